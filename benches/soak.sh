#!/usr/bin/env bash
# soak.sh: `mailflow serve --headless` under mixed traffic for a long time,
# printing its resident memory as it goes (issue 14 §7). The headless
# server keeps no events, so its memory should rise while the first
# sessions warm it up, then stay flat.
#
#   bash benches/soak.sh                 # 30 minutes, a sample every 30 s
#   SECONDS_TOTAL=300 EVERY=10 bash benches/soak.sh
#
# The traffic, all at once until the end, over 127.0.0.1:
#   * Postfix's smtp-source, 5 sessions of 20 messages each (-d), 1 KiB, in
#     rounds; Python's smtplib instead when Postfix is not installed;
#   * swaks, one message a second (skipped when swaks is missing);
#   * a POP3 client that retrieves and deletes bob's mail every second, so
#     the mailbox does not grow with the soak;
#   * hostile clients: junk bytes, over-long lines, NOOP floods, silence,
#     vanishing mid-DATA, bare-LF end of data (benches/support/soak_clients.py).
#
# Prints a line per sample:
#   soak: t=60s rss_kib=21000 messages=5400 sessions=6100
# and at the end the growth of the last third over the middle third:
#   soak: rss_kib first=18000 middle=21000 last=21100 growth=1.00 (flat: ≤ 1.10)
# Exit 0 when flat, 1 when memory grew, 2 when it could not run.
set -uo pipefail
cd "$(dirname "$0")/.."

TOTAL=${SECONDS_TOTAL:-1800}
EVERY=${EVERY:-30}
MAILFLOW=${MAILFLOW:-target/release/mailflow}
PYTHON=${PYTHON:-python3}
CLIENTS=benches/support/soak_clients.py

# find_tool, SOURCE, SINK, port_open, free_port.
source benches/postfix-tools.sh

[ -x "$MAILFLOW" ] || { echo "soak: $MAILFLOW not built (cargo build --release)" >&2; exit 2; }
"$PYTHON" -c 'import poplib, smtplib' 2>/dev/null || { echo "soak: $PYTHON cannot run the clients" >&2; exit 2; }

smtp=$(free_port) && pop3=$(free_port) && dns=$(free_port) || { echo "soak: no free ports" >&2; exit 2; }
log=$(mktemp -d /tmp/mailflow-soak.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$log"
}
trap cleanup EXIT INT TERM

# The transcript is read as fast as it comes (a reader that keeps up never
# holds the printer back) and only counted: half an hour of it would fill
# gigabytes. awk keeps the counts in a small file.
"$MAILFLOW" serve --headless --smtp "127.0.0.1:$smtp" --pop3 "127.0.0.1:$pop3" \
    --dns "127.0.0.1:$dns" 2>"$log/stderr" | awk -v out="$log/counts" '
        /^ready$/ { print "ready" > out; close(out) }
        / stored / { m++ }
        / connect / { s++ }
        NR % 500 == 0 { print m + 0, s + 0 > out; close(out) }
        END { print m + 0, s + 0 > out; close(out) }' &
pids+=($!)
server=
for _ in $(seq 1 100); do
    server=$(pgrep -f -n -- "serve --headless --smtp 127.0.0.1:$smtp") && [ -s "$log/counts" ] && break
    sleep 0.1
done
[ -s "$log/counts" ] || { echo "soak: serve did not start: $(cat "$log/stderr")" >&2; exit 2; }
pids+=("$server")

until=$(( $(date +%s) + TOTAL ))
loop() { while [ "$(date +%s)" -lt "$until" ]; do "$@" >/dev/null 2>&1 || sleep 1; done; }

if [ -n "$SOURCE" ]; then
    loop "$SOURCE" -s 5 -m 100 -d -l 1024 -f alice@example.org -t bob@example.net \
        -M localhost "127.0.0.1:$smtp" &
    pids+=($!)
    echo "soak: smtp-source $(dpkg-query -W -f='${Version}' postfix 2>/dev/null)"
else
    "$PYTHON" "$CLIENTS" smtp "127.0.0.1:$smtp" "$TOTAL" >"$log/smtp" &
    pids+=($!)
    echo "soak: smtp-source missing ($POSTFIX_HINT); smtplib sends instead"
fi
if command -v swaks >/dev/null; then
    loop bash -c "swaks --server 127.0.0.1:$smtp --from alice@example.org --to bob@example.net \
        --header 'Subject: soak swaks' --timeout 10 && sleep 1" &
    pids+=($!)
else
    echo "soak: swaks missing (apt-get install swaks); no swaks traffic"
fi
"$PYTHON" "$CLIENTS" pop3 "127.0.0.1:$pop3" "$TOTAL" >"$log/pop3" &
pids+=($!)
"$PYTHON" "$CLIENTS" hostile "127.0.0.1:$smtp" "$TOTAL" >"$log/hostile" &
pids+=($!)

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$server/status" 2>/dev/null || echo 0; }
samples=()
messages=0 sessions=0
start=$(date +%s)
while [ "$(date +%s)" -lt "$until" ]; do
    sleep "$EVERY"
    kill -0 "$server" 2>/dev/null || { echo "soak: serve died: $(tail -5 "$log/stderr")" >&2; exit 1; }
    r=$(rss)
    samples+=("$r")
    # awk rewrites the file as it counts: a read that finds it empty
    # keeps the last counts.
    read -r m s < "$log/counts" || true
    case $m in ''|ready) ;; *) messages=$m sessions=$s;; esac
    echo "soak: t=$(( $(date +%s) - start ))s rss_kib=$r messages=$messages sessions=$sessions"
done
# The clients stop at the same deadline; their counts tell whether they
# were served.
wait "${pids[@]:2}" 2>/dev/null
cat "$log"/pop3 "$log"/hostile "$log"/smtp 2>/dev/null

n=${#samples[@]}
if [ "$n" -lt 3 ]; then echo "soak: too few samples ($n) to judge"; exit 2; fi
printf '%s\n' "${samples[@]}" | awk -v n="$n" '
    { v[NR] = $1 }
    END {
        third = int(n / 3)
        for (i = third + 1; i <= 2 * third; i++) { m += v[i]; mc++ }
        for (i = 2 * third + 1; i <= n; i++) { l += v[i]; lc++ }
        m /= mc; l /= lc
        growth = l / m
        printf "soak: rss_kib first=%d middle=%.0f last=%.0f growth=%.2f (flat: <= 1.10)\n", v[1], m, l, growth
        exit growth > 1.10
    }'

#!/usr/bin/env bash
# Real-socket throughput of `mailflow serve`, against a reference measured in
# the same run: Postfix's smtp-source pushes N messages (1 KiB bodies, one
# connection per message, SESSIONS at once) over loopback into
#   1. `mailflow serve --headless` (stdout to /dev/null): every byte traced,
#      each message queued, given a Received line and stored in bob's mailbox;
#   2. Postfix's smtp-sink, which answers and throws the message away;
#   3. Python's aiosmtpd with its Sink handler (`python3 -m aiosmtpd -n -c
#      aiosmtpd.handlers.Sink`), which parses the session and drops the
#      message: the asyncio server a teacher would otherwise reach for.
# The ratios mailflow ÷ smtp-sink and mailflow ÷ aiosmtpd are the figures to
# compare between machines (issue 14 §3 asks for ≥ 1 and ≥ 5). On a busy
# machine the CPU seconds each server spent (cpu_s=mailflow/sink/aiosmtpd,
# and their ratios) are the steadier figures.
#
#   bash benches/serve-throughput.sh [N ...]     (default: 1000 10000)
#
# Environment: SESSIONS=10, LIMIT=600 (seconds before a run is stopped),
# MAILFLOW=target/release/mailflow, PYTHON=python3 (aiosmtpd is skipped,
# aiosmtpd_s=NA, where it cannot import it).
#
# Prints per N, e.g.
#   serve-throughput: n=1000 sessions=10 mailflow_s=0.61 sink_s=0.41 aiosmtpd_s=2.10 mailflow_msgs_per_s=1639 sink_msgs_per_s=2439 ratio=0.67 ratio_aiosmtpd=3.44 rss_kib_before=9000 rss_kib_after=30000
# or exits 0 after "serve-throughput: SKIP: <why>".

set -u

SESSIONS=${SESSIONS:-10}
LIMIT=${LIMIT:-600}
MAILFLOW=${MAILFLOW:-target/release/mailflow}
PYTHON=${PYTHON:-python3}
if [ $# -eq 0 ]; then set -- 1000 10000; fi

# find_tool, SOURCE, SINK, SINK_USER, port_open, free_port, now_ns.
source "$(dirname "$0")/postfix-tools.sh"

if [ -z "$SOURCE" ] || [ -z "$SINK" ]; then
    echo "serve-throughput: SKIP: $POSTFIX_HINT"
    exit 0
fi
if [ ! -x "$MAILFLOW" ]; then
    echo "serve-throughput: SKIP: $MAILFLOW not built (cargo build --release)"
    exit 0
fi

PID=
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
    fi
    PID=
}
trap cleanup EXIT INT TERM

wait_port() {
    for _ in $(seq 1 200); do port_open "$1" && return 0; sleep 0.05; done
    return 1
}

# Seconds smtp-source takes for n messages to 127.0.0.1:port, or "FAILED".
push() {
    local n=$1 port=$2 start end
    start=$(now_ns)
    if ! timeout "$LIMIT" "$SOURCE" -s "$SESSIONS" -m "$n" -l 1024 -f sender@example.org \
        -t bob@example.net -M localhost "127.0.0.1:$port" >/dev/null 2>/tmp/serve-throughput.$$; then
        echo FAILED
        return
    fi
    end=$(now_ns)
    awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }'
}

# VmRSS of mailflow itself: the child of the `timeout` that started it.
rss_kib() {
    local child
    child=$(pgrep -P "$1" -n 2>/dev/null) || child=$1
    awk '/^VmRSS/ { print $2 }' "/proc/$child/status" 2>/dev/null || echo 0
}

# CPU seconds (user + system) the server has used so far: steadier than
# wall time on a machine that is busy with something else.
cpu_s() {
    local child
    child=$(pgrep -P "$1" -n 2>/dev/null) || child=$1
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$child/stat" 2>/dev/null || echo 0
}

status=0
for n in "$@"; do
    case $n in *[!0-9]*|'') echo "serve-throughput: not a count: $n" >&2; status=2; continue;; esac
    port=$(free_port) || { echo "serve-throughput: SKIP: no free loopback port"; exit 0; }
    timeout "$LIMIT" "$MAILFLOW" serve --headless --no-pop3 --no-dns --smtp "127.0.0.1:$port" \
        --max-connections 1000 >/dev/null 2>&1 &
    PID=$!
    wait_port "$port" || { echo "serve-throughput: SKIP: mailflow serve did not start"; exit 0; }
    # Let the scenario's own first message pass before measuring.
    sleep 1
    before=$(rss_kib "$PID")
    cpu_before=$(cpu_s "$PID")
    mailflow_s=$(push "$n" "$port")
    after=$(rss_kib "$PID")
    mailflow_cpu=$(awk -v a="$(cpu_s "$PID")" -v b="$cpu_before" 'BEGIN { printf "%.3f", a - b }')
    cleanup
    port=$(free_port) || { echo "serve-throughput: SKIP: no free loopback port"; exit 0; }
    timeout "$LIMIT" "$SINK" "${SINK_USER[@]}" -m $((SESSIONS + 8)) "127.0.0.1:$port" 1024 >/dev/null 2>&1 &
    PID=$!
    wait_port "$port" || { echo "serve-throughput: SKIP: smtp-sink did not start"; exit 0; }
    sink_s=$(push "$n" "$port")
    sink_cpu=$(cpu_s "$PID")
    cleanup
    aio_s=NA
    aio_cpu=NA
    if "$PYTHON" -c 'import aiosmtpd' 2>/dev/null; then
        port=$(free_port) || { echo "serve-throughput: SKIP: no free loopback port"; exit 0; }
        timeout "$LIMIT" "$PYTHON" -m aiosmtpd -n -c aiosmtpd.handlers.Sink \
            -l "127.0.0.1:$port" >/dev/null 2>&1 &
        PID=$!
        wait_port "$port" || { echo "serve-throughput: SKIP: aiosmtpd did not start"; exit 0; }
        aio_s=$(push "$n" "$port")
        aio_cpu=$(cpu_s "$PID")
        cleanup
    fi
    if [ "$mailflow_s" = FAILED ] || [ "$sink_s" = FAILED ] || [ "$aio_s" = FAILED ]; then
        echo "serve-throughput: n=$n FAILED (mailflow $mailflow_s, sink $sink_s, aiosmtpd $aio_s): $(head -c 300 /tmp/serve-throughput.$$)" >&2
        status=1
        continue
    fi
    awk -v n="$n" -v s="$SESSIONS" -v m="$mailflow_s" -v k="$sink_s" -v p="$aio_s" -v b="$before" -v a="$after" \
        -v mc="$mailflow_cpu" -v kc="$sink_cpu" -v pc="$aio_cpu" 'BEGIN {
        if (p == "NA") { ps = "NA"; pr = "NA"; pcr = "NA" } else {
            ps = sprintf("%.3f", p); pr = sprintf("%.2f", p / m); pcr = sprintf("%.2f", pc / mc) }
        printf "serve-throughput: n=%d sessions=%d mailflow_s=%.3f sink_s=%.3f aiosmtpd_s=%s mailflow_msgs_per_s=%.0f sink_msgs_per_s=%.0f ratio=%.2f ratio_aiosmtpd=%s cpu_s=%.3f/%.3f/%s cpu_ratio=%.2f cpu_ratio_aiosmtpd=%s rss_kib_before=%d rss_kib_after=%d\n",
            n, s, m, k, ps, n / m, n / k, k / m, pr, mc, kc, pc, kc / mc, pcr, b, a
    }'
done
rm -f /tmp/serve-throughput.$$
exit $status

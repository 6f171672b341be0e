#!/usr/bin/env bash
# The reference for benches/world.rs: Postfix's smtp-source pushing N
# messages with 1 KiB bodies into smtp-sink over loopback (127.0.0.1 only),
# timed with the shell.
#
#   bash benches/postfix-reference.sh [N ...]        (default: 1000 10000 100000)
#
# Environment:
#   SESSIONS=10     parallel SMTP sessions of smtp-source (-s)
#   REUSE=0         1: several messages per connection (-d); default one
#                   connection per message, as mailflow's client does
#   LIMIT=600       seconds before each run is stopped
#
# Prints one line per N:
#   postfix-reference: n=1000 sessions=10 reuse=0 seconds=0.512 msgs_per_s=1953
# or, where Postfix is not installed, exits 0 after
#   postfix-reference: SKIP: <why>
#
# The smtp-sink it starts is killed (by its own pid) as soon as smtp-source
# is done, and cannot outlive LIMIT seconds either (timeout). Its -M option
# (end after N messages) is not used: the sink then quits before its last
# reply and smtp-source fails with "lost connection while sending message".

set -u

SESSIONS=${SESSIONS:-10}
REUSE=${REUSE:-0}
LIMIT=${LIMIT:-600}
if [ $# -eq 0 ]; then set -- 1000 10000 100000; fi

# find_tool, SOURCE, SINK, SINK_USER, port_open, free_port, now_ns.
source "$(dirname "$0")/postfix-tools.sh"

if [ -z "$SOURCE" ] || [ -z "$SINK" ]; then
    echo "postfix-reference: SKIP: $POSTFIX_HINT"
    exit 0
fi
if ! command -v timeout >/dev/null 2>&1; then
    echo "postfix-reference: SKIP: coreutils timeout is missing"
    exit 0
fi

SINK_PID=
cleanup() {
    if [ -n "$SINK_PID" ] && kill -0 "$SINK_PID" 2>/dev/null; then
        kill "$SINK_PID" 2>/dev/null
        wait "$SINK_PID" 2>/dev/null
    fi
    SINK_PID=
}
trap cleanup EXIT INT TERM

status=0
for n in "$@"; do
    case $n in *[!0-9]*|'') echo "postfix-reference: not a count: $n" >&2; status=2; continue;; esac
    port=$(free_port) || { echo "postfix-reference: SKIP: no free loopback port found"; exit 0; }
    # -m: at most this many sessions at once; 1024: the listen backlog.
    timeout "$LIMIT" "$SINK" "${SINK_USER[@]}" -m $((SESSIONS + 8)) "127.0.0.1:$port" 1024 \
        >/dev/null 2>/tmp/postfix-reference-sink.$$ &
    SINK_PID=$!
    for _ in $(seq 1 100); do port_open "$port" && break; sleep 0.05; done
    if ! port_open "$port"; then
        echo "postfix-reference: SKIP: smtp-sink did not start: $(head -c 300 /tmp/postfix-reference-sink.$$)"
        rm -f /tmp/postfix-reference-sink.$$
        exit 0
    fi
    flags=(-s "$SESSIONS" -m "$n" -l 1024 -f sender@example.org -t rcpt@example.net -M localhost)
    if [ "$REUSE" = 1 ]; then flags+=(-d); fi
    start=$(now_ns)
    timeout "$LIMIT" "$SOURCE" "${flags[@]}" "127.0.0.1:$port" >/dev/null 2>/tmp/postfix-reference-source.$$
    rc=$?
    end=$(now_ns)
    cleanup
    if [ $rc -ne 0 ]; then
        echo "postfix-reference: n=$n FAILED: smtp-source exited $rc: $(head -c 300 /tmp/postfix-reference-source.$$)" >&2
        status=1
    else
        awk -v n="$n" -v s="$SESSIONS" -v r="$REUSE" -v ns=$((end - start)) 'BEGIN {
            secs = ns / 1e9
            printf "postfix-reference: n=%d sessions=%d reuse=%d seconds=%.3f msgs_per_s=%.0f\n", n, s, r, secs, n / secs
        }'
    fi
    rm -f /tmp/postfix-reference-sink.$$ /tmp/postfix-reference-source.$$
done
exit $status

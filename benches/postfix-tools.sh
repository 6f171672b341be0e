# Shell helpers shared by the benchmarks that drive Postfix's smtp-source
# and smtp-sink over loopback; sourced, not run.

# The path of a Postfix tool, wherever the distribution put it.
find_tool() {
    local t
    t=$(command -v "$1" 2>/dev/null) && { echo "$t"; return 0; }
    for d in /usr/sbin /usr/lib/postfix /usr/lib/postfix/sbin /usr/libexec/postfix /usr/local/sbin; do
        [ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
    done
    return 1
}

SOURCE=$(find_tool smtp-source) || SOURCE=
SINK=$(find_tool smtp-sink) || SINK=
POSTFIX_HINT='smtp-source/smtp-sink not installed (Debian: apt-get install postfix, choose "No configuration")'

# smtp-sink refuses to run as root without -u.
SINK_USER=()
if [ "$(id -u)" -eq 0 ]; then SINK_USER=(-u nobody); fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        port_open "$p" || { echo "$p"; return 0; }
    done
    return 1
}

now_ns() { date +%s%N; }

#!/usr/bin/env bash
# cpu-idle.sh: how much CPU the dashboard uses while paused, and while
# playing for comparison.
#
# Starts `mailflow tui SCENARIO` in a detached tmux (a private server, no
# user configuration) of 120x40 (SIZE), lets it settle, then for SECONDS_EACH s
# each measures the process's CPU time (utime + stime of all its threads,
# from /proc/PID/stat) and its context switches (voluntary + involuntary,
# summed over /proc/PID/task/*/status: every wakeup of a blocked thread is
# one), first paused, then playing (Space). The tmux server's CPU over the
# same windows is shown too: it is what redraws cost the terminal side.
# A third window is paused again, with the mouse moving over the dashboard
# (SGR any-motion reports, as a terminal sends them once mouse capture is
# on, 20 a second): each one is an input event, so it wakes the dashboard.
#
#   benches/cpu-idle.sh                 # hello, 10 s each
#   SECONDS_EACH=30 benches/cpu-idle.sh three-domains
#   MAILFLOW=target/debug/mailflow benches/cpu-idle.sh
#
# Uses target/release/mailflow (building it when missing) unless MAILFLOW
# names a binary. Linux only (/proc). Exit status 0; 2 when tmux is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-hello}
each=${SECONDS_EACH:-10}
size=${SIZE:-120x40}
bin=${MAILFLOW:-target/release/mailflow}

command -v tmux >/dev/null || { echo "cpu-idle: tmux is not installed (apt-get install -y tmux)" >&2; exit 2; }
[ -r /proc/self/stat ] || { echo "cpu-idle: needs /proc (Linux)" >&2; exit 2; }
if [ ! -x "$bin" ]; then
  echo "cpu-idle: building $bin" >&2
  cargo build --release --bin mailflow >&2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tick=$(getconf CLK_TCK)
sock="mailflow-cpu-idle-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
socket_path=
cleanup() {
  tm kill-server 2>/dev/null || true
  [ -n "$socket_path" ] && rm -f "$socket_path"
}
trap cleanup EXIT

# utime + stime of a process, in clock ticks (fields 14 and 15 of stat;
# the command name in field 2 may hold spaces, so cut after its ')').
ticks() {
  local stat
  stat=$(cat "/proc/$1/stat") || { echo 0; return; }
  stat=${stat##*) }
  set -- $stat
  echo $(( ${12} + ${13} ))
}

# Context switches of all threads of a process.
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

threads() { ls /proc/"$1"/task | wc -l; }

# One window: prints "cpu-seconds percent switches tmux-cpu-seconds".
window() {
  local pid=$1 server=$2 t0 s0 v0 t1 s1 v1 start end
  t0=$(ticks "$pid"); s0=$(ticks "$server"); v0=$(switches "$pid")
  start=$(date +%s.%N)
  sleep "$each"
  end=$(date +%s.%N)
  t1=$(ticks "$pid"); s1=$(ticks "$server"); v1=$(switches "$pid")
  awk -v t=$((t1 - t0)) -v s=$((s1 - s0)) -v v=$((v1 - v0)) -v hz="$tick" -v a="$start" -v b="$end" \
    'BEGIN { wall = b - a; printf "%.2f %.2f %d %.2f %.1f\n", t / hz, 100 * t / hz / wall, v, s / hz, wall }'
}

cols=${size%x*} rows=${size#*x}
tm new-session -d -s main -x "$cols" -y "$rows" "exec $(printf '%q' "$bin") tui $(printf '%q' "$scenario")"
socket_path=$(tm display-message -p -t main '#{socket_path}')
pid=$(tm display-message -p -t main '#{pane_pid}')
server=$(tm display-message -p -t main '#{pid}')

# Wait for the first frame (the run on the simulated clock comes first).
for _ in $(seq 200); do
  tm capture-pane -p -t main | grep -q ' event 0/' && break
  sleep 0.05
done
tm capture-pane -p -t main | grep -q ' event 0/' || { echo "cpu-idle: the dashboard did not open:" >&2; tm capture-pane -p -t main >&2; exit 1; }
sleep 1

events=$(tm capture-pane -p -t main | grep -o ' event 0/[0-9]*' | cut -d/ -f2)
echo "mailflow tui $scenario at $size, pid $pid ($(threads "$pid") thread(s)), $events events; tmux server pid $server"
echo "CPU time from /proc/PID/stat (utime+stime, 1/$tick s resolution) over ${each} s each"
echo
read -r p_cpu p_pct p_sw p_srv p_wall < <(window "$pid" "$server")
tm send-keys -t main Space
sleep 0.2
read -r g_cpu g_pct g_sw g_srv g_wall < <(window "$pid" "$server")
pos=$(tm capture-pane -p -t main | grep -o ' event [0-9]*/[0-9]*' | head -1)
state=$(tm capture-pane -p -t main | grep -o -e '▶ playing' -e '⏸ paused' | head -1)
tm send-keys -t main Space
sleep 0.2
moves=$((each * 20))
(
  for i in $(seq "$moves"); do
    # ESC [ < 35 ; column ; row M: the mouse moved, no button held.
    tm send-keys -t main -l $'\e[<35;'"$((10 + i % 60));$((5 + i % 20))M"
    sleep 0.05
  done
) &
mover=$!
read -r m_cpu m_pct m_sw m_srv m_wall < <(window "$pid" "$server")
wait "$mover" 2>/dev/null || true
tm send-keys -t main q

printf '%-13s %8s %12s %8s %11s %16s\n' state wall-s "mailflow-s" "CPU-%" "wakeups" "tmux-server-s"
printf '%-13s %8s %12s %8s %11s %16s\n' paused "$p_wall" "$p_cpu" "$p_pct" "$p_sw" "$p_srv"
printf '%-13s %8s %12s %8s %11s %16s\n' playing "$g_wall" "$g_cpu" "$g_pct" "$g_sw" "$g_srv"
printf '%-13s %8s %12s %8s %11s %16s\n' "paused+mouse" "$m_wall" "$m_cpu" "$m_pct" "$m_sw" "$m_srv"
echo
echo "after playing:$pos ($state); paused+mouse: $moves motion reports sent (the tmux-server column includes sending them)"
if [ "$p_cpu" = "0.00" ]; then
  echo "paused: no measurable CPU (0 ticks in ${each} s), $p_sw wakeups"
else
  echo "paused: $p_cpu s of CPU in ${each} s ($p_pct %), $p_sw wakeups"
fi

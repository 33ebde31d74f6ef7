#!/bin/sh
# SPDX-License-Identifier: ISC
# goals.sh: what `make bench` runs. Measures each goal of issue 14 in one
# sitting, prints it with PASS or FAIL beside its figure, next to the null
# sink (and rsyslog where installed) of the same run, and draws the charts
# of docs/PERFORMANCE.md with gnuplot (docs/bench-*.svg).
#
#   ASYNCLOG_BUILD=build sh bench/goals.sh [REPEAT]
#
# REPEAT (default 3) is how many times each throughput run is made (the
# median is kept). The machine is usually shared: ratios within one run
# matter, absolute numbers do not. Uses asynclog-bench for every
# throughput and latency figure; only the idle-connection memory is
# measured here (python3 holds the connections, /proc says the RSS).
set -eu

B=${ASYNCLOG_BUILD:-build}
REPEAT=${1:-3}
BENCH="$B/asynclog-bench --build $B"
DOCS=$(dirname "$0")/../docs
D=$(mktemp -d "${TMPDIR:-/tmp}/asynclog-goals.XXXXXX")
trap 'rm -rf "$D"' EXIT
COMPARE=
command -v rsyslogd >/dev/null 2>&1 && COMPARE=--compare

# The row of run $2 in an asynclog-bench table $1: field $3 (2 records/s,
# 8 RSS MiB, 9 CPU ns per record, 10 lost).
row() { awk -v r="$2" -v f="$3" '$1 == r { print $f; exit }' "$1"; }
# PASS when awk finds the condition true.
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }

echo "== W1: 4 x 250 000 x 128 B, median of $REPEAT"
RUNS=null-sink,asynclog,asynclog-block,stream
[ -n "$COMPARE" ] && RUNS=$RUNS,rsyslog-stream
$BENCH -w W1 -i $RUNS --repeat "$REPEAT" $COMPARE 2>/dev/null | tee "$D/w1.txt"
null_cpu=$(row "$D/w1.txt" null-sink 9)
stream_cpu=$(row "$D/w1.txt" stream 9)
for r in null-sink asynclog asynclog-block stream rsyslog-stream; do
	v=$(row "$D/w1.txt" $r 2)
	[ -n "$v" ] && echo "$r $v $(row "$D/w1.txt" $r 9)"
done > "$D/w1.dat"

echo "== idle latency: one record from the CLI until its line is in the file"
$BENCH --idle-latency 30 $COMPARE 2>/dev/null | tee "$D/idle.txt"
lat_ours=$(awk '$1 == "asynclogd" && $2 == "asynclog" { print $4; exit }' "$D/idle.txt")
lat_rsys=$(awk '$1 == "rsyslog" { print $4; exit }' "$D/idle.txt")
awk '$1 == "asynclogd" || $1 == "rsyslog" {
	n = $1 "/" $2; gsub(/[()]/, "", n); print n, $(NF-3), $(NF-2) }' \
    "$D/idle.txt" > "$D/idle.dat"

echo "== connection sweep: N stream writers x 128 B, against the null sink"
: > "$D/sweep.dat"
for n in 4 100 999; do
	m=$((400000 / n))
	$BENCH -c $n -n $m -s 128 -i null-sink,stream --repeat "$REPEAT" \
	    2>/dev/null > "$D/sweep.$n.txt" || true
	echo "$n $(row "$D/sweep.$n.txt" null-sink 2) $(row "$D/sweep.$n.txt" stream 2) $(row "$D/sweep.$n.txt" stream 8)" |
	    tee -a "$D/sweep.dat"
done

echo "== idle connections: asynclogd RSS with N idle syslog stream clients"
cat > "$D/c.conf" <<EOF
listen = { socket = "$D/n.sock"; syslog_stream = "$D/s.sock";
	max_clients = 10240; max_clients_per_user = 10240; };
outputs = ( { name = "main"; path = "$D/main.log"; } );
EOF
ulimit -n 11000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
"$B/asynclogd" -c "$D/c.conf" 2>"$D/d.err" &
dpid=$!
python3 - "$D/s.sock" "$dpid" <<'EOF' | tee "$D/idle-conn.dat"
# Holds N connections and says the daemon's VmRSS for each N.
import socket, sys, time
path, pid = sys.argv[1], sys.argv[2]
for _ in range(200):
    try:
        socket.socket(socket.AF_UNIX).connect(path); break
    except OSError:
        time.sleep(0.05)
def rss():
    time.sleep(0.5)		# let the daemon accept what is queued
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
held = []
for n in (0, 100, 1000, 10000):
    while len(held) < n:
        s = socket.socket(socket.AF_UNIX); s.connect(path); held.append(s)
    print(n, rss())
EOF
kill "$dpid"; wait "$dpid" || true
rss0=$(awk '$1 == 0 { print $2 }' "$D/idle-conn.dat")
rss10k=$(awk '$1 == 10000 { print $2 }' "$D/idle-conn.dat")

echo "== seq 1000000 | asynclog, against one stream writer into the null sink"
cat > "$D/p.conf" <<EOF
listen = { socket = "$D/p.sock"; };
outputs = ( { name = "main"; path = "$D/pipe.log"; } );
EOF
"$B/asynclogd" -c "$D/p.conf" 2>"$D/p.err" &
dpid=$!
while [ ! -S "$D/p.sock" ]; do sleep 0.05; done
t0=$(date +%s.%N)
seq 1000000 | "$B/asynclog" -u "$D/p.sock"
while [ "$(wc -l < "$D/pipe.log")" -lt 1000000 ]; do sleep 0.01; done
t1=$(date +%s.%N)
kill "$dpid"; wait "$dpid" || true
cli_rate=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", 1000000 / (b - a) }')
$BENCH -c 1 -n 1000000 -s 20 -i null-sink 2>/dev/null > "$D/one.txt"
one_null=$(row "$D/one.txt" null-sink 2)
echo "asynclog CLI: $cli_rate lines/s; one writer into the null sink: $one_null records/s"

echo
echo "== issue 14 goals (this run)"
printf '%-58s %-28s %s\n' goal figure verdict
if [ -n "$lat_rsys" ]; then
	printf '%-58s %-28s %s\n' "idle latency p50 <= rsyslog's (CLI; logger)" \
	    "$lat_ours ms vs $lat_rsys ms" "$(verdict "$lat_ours <= $lat_rsys")"
else
	printf '%-58s %-28s %s\n' "idle latency p50 <= rsyslog's" "$lat_ours ms" \
	    "n/a (no rsyslog)"
fi
printf '%-58s %-28s %s\n' "W1 daemon CPU/record <= 1.3 x null sink's (stream)" \
    "$stream_cpu vs $null_cpu ns" "$(verdict "$stream_cpu <= 1.3 * $null_cpu")"
s999=$(awk '$1 == 999' "$D/sweep.dat")
set -- $s999
printf '%-58s %-28s %s\n' "999 writers: >= 80% of the null sink's records/s" \
    "$3 vs $2" "$(verdict "$3 >= 0.8 * $2")"
printf '%-58s %-28s %s\n' "999 writers: peak RSS < 64 MiB" "$4 MiB" \
    "$(verdict "$4 < 64")"
printf '%-58s %-28s %s\n' "10 000 idle clients held, <= 2 KiB each" \
    "$(( (rss10k - rss0) * 1024 / 10000 )) B each" \
    "$(verdict "($rss10k - $rss0) * 1024 / 10000 <= 2048")"
printf '%-58s %-28s %s\n' "seq N | asynclog >= one stream writer, null sink" \
    "$cli_rate vs $one_null/s" "$(verdict "$cli_rate >= $one_null")"
printf '%-58s %-28s %s\n' "W1 library, no ASYNCLOG_BLOCK: records lost (counted)" \
    "$(row "$D/w1.txt" asynclog 10) of 1000000" "info (ring: ASYNCLOG_RING_SIZE)"

if command -v gnuplot >/dev/null 2>&1; then
	gnuplot -e "D='$D'; DOCS='$DOCS'" "$(dirname "$0")/charts.gp"
	echo "charts: docs/bench-throughput.svg bench-cpu.svg bench-latency.svg bench-connections.svg"
fi

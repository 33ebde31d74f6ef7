# SPDX-License-Identifier: ISC
# charts.gp: the charts of docs/PERFORMANCE.md, drawn by bench/goals.sh
# from the data files of one `make bench` run:
#   gnuplot -e "D='DATADIR'; DOCS='docs'" bench/charts.gp
# w1.dat: run records/s cpu-ns; idle.dat: server/client p50 p99;
# sweep.dat: writers null-sink-records/s stream-records/s peak-RSS-MiB;
# idle-conn.dat: idle-connections RSS-KiB.
set terminal svg size 720,400 dynamic font "sans,11"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set key off
set xtics rotate by -20
set format y "%.1s%c"

set output DOCS."/bench-throughput.svg"
set title "W1 (4 x 250 000 x 128 B): records/s, higher is better"
plot D."/w1.dat" using 2:xtic(1) lc rgb "#4477aa"

set output DOCS."/bench-cpu.svg"
set title "W1: server CPU ns per record, lower is better"
set format y "%g"
plot D."/w1.dat" using 3:xtic(1) lc rgb "#cc6677"

set output DOCS."/bench-latency.svg"
set title "Idle latency, record to line in the file (ms), lower is better"
set key on top left
plot D."/idle.dat" using 2:xtic(1) title "p50" lc rgb "#4477aa", \
     "" using 3 title "p99" lc rgb "#ddcc77"

set output DOCS."/bench-connections.svg"
set title "asynclogd against connections: RSS (left), records/s (right)"
set style data linespoints
set logscale x
set xtics norotate
set xlabel "connections (idle clients, or stream writers x 128 B)"
set ylabel "RSS MiB"
set y2label "records/s"
set y2tics
set ytics nomirror
set format y2 "%.1s%c"
set key below
plot D."/idle-conn.dat" using ($1 > 0 ? $1 : 1):($2 / 1024.0) title "RSS, idle clients" lw 2, \
     D."/sweep.dat" using 1:4 title "peak RSS, writers" lw 2, \
     D."/sweep.dat" using 1:3 axes x1y2 title "records/s, writers" lw 2, \
     D."/sweep.dat" using 1:2 axes x1y2 title "records/s, null sink" lw 2 dt 2

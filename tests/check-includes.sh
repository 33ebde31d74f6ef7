#!/bin/sh
# SPDX-License-Identifier: ISC
# The daemon's modules depend on each other one way only (inputs -> route ->
# output -> sinks; see docs/ARCHITECTURE.md). A module is a .c/.h pair; it
# depends on another when either file #includes the other's header. Prints
# the cycle and exits 1 if the graph has one.
set -eu
dir=${1:-daemon}
edges=$(for f in "$dir"/*.c "$dir"/*.h; do
	m=$(basename "$f"); m=${m%.*}
	sed -n 's/^#include "\([a-z_0-9]*\)\.h".*/\1/p' "$f" | while read -r d; do
		if [ "$d" != "$m" ] && [ -f "$dir/$d.h" ]; then echo "$m $d"; fi
	done
done | sort -u)
if ! out=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null) || [ -n "$out" ]; then
	echo "include cycle among $dir modules:" >&2
	printf '%s\n' "$out" >&2
	exit 1
fi
echo "$dir: $(printf '%s\n' "$edges" | wc -l) module dependencies, no cycle"

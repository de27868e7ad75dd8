#!/bin/sh
# preload_layers.sh - preload/ depends one way: front ends (shim.c,
# inject.c, the wrappers) -> collector -> threads -> recording core ->
# configuration.  tools/preload_layers.py reads which object uses which
# other object's symbols (nm) and which header each file includes, and
# fails on a cycle in either.
. "$(dirname "$0")/lib.inc"
need_py "the graph is drawn in Python"
command -v nm >/dev/null || { echo "skip: no nm (binutils)"; exit 77; }
need "$LIB" "$B/lib/preload/collector.o" "$B/lib/preload/threads.o"

"$PY" "$ROOT/tools/preload_layers.py" "$B/lib" "$ROOT/preload" >"$tmp/graph.txt" ||
	fail "a cycle: $(grep CYCLE "$tmp/graph.txt")"
# the order the design names, read off the layers printed
layer() { awk -v m="$1" '/^# layers/ { on = 1; next } on { for (i = 2; i <= NF; i++)
	if ($i == m) print $1 + 0 }' "$tmp/graph.txt"; }
prev=
for m in shim collector threads record config; do
	l=$(layer $m)
	[ -n "$l" ] || fail "no module $m in the graph"
	[ -z "$prev" ] || [ "$l" -lt "$prev" ] ||
		fail "$m is not below the module before it: $(sed -n '/^# layers/,$p' "$tmp/graph.txt")"
	prev=$l
done
# below the collector, nothing calls up into it, shim.c or inject.c
awk '/^# uses/ { on = 1; next } /^# / { on = 0 }
	on && $1 ~ /^(threads|record|config|resolve|layer|gpu)$/ && $3 ~ /^(collector|shim|inject):$/ {
		print; bad = 1 } END { exit bad }' "$tmp/graph.txt" ||
	fail "a lower module calls up"
ok "no cycle; $(sed -n '/^# layers/,$p' "$tmp/graph.txt" | tail -n +2 | tr '\n' ' ')"
finish

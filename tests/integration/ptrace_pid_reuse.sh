#!/bin/sh
# ptrace_pid_reuse.sh - in ptrace mode a pid that the kernel hands out
# twice in one run never overwrites the earlier process's trace: the later
# process takes the next free name of that pid (.<pid>.exec<n>.opc, n
# counting on).
#
# In a new PID namespace (unshare -fp, root only), the traced shell sets
# /proc/sys/kernel/ns_last_pid before each of two children, so both get
# pid 100.  Each is traced from its fork (the shell's copy: no calls)
# through its exec of dlopen_local (100 and 200 iterations): the first
# writes FILE's stem .100.opc and .100.exec1.opc, the second .100.exec2.opc
# and .100.exec3.opc, each with exactly its own calls.  Skips when not
# root, without unshare, or when ptrace is not permitted here.
. "$(dirname "$0")/lib.inc"
need_py "the JSON checks need it"
P=$B/tests/progs
need "$OPC" "$P/dlopen_local"
. "$(dirname "$0")/ptrace.inc"
ptrace_or_skip

[ "$(id -u)" = 0 ] || { echo "skip: needs root (a PID namespace whose next pid can be set)"; exit 77; }
command -v unshare >/dev/null || fail "unshare is missing (Debian's util-linux, always installed)"
unshare -fp --mount-proc sh -c 'echo 99 >/proc/sys/kernel/ns_last_pid && sh -c "echo \$\$"' \
	>"$tmp/ns.out" 2>&1
[ "$(cat "$tmp/ns.out")" = 100 ] ||
	{ echo "skip: cannot set the next pid in a new PID namespace: $(cat "$tmp/ns.out")"; exit 77; }

# a subshell each: the shell forks it (a command it may vfork, which is
# let go untraced), and it execs the program
unshare -fp --mount-proc "$OPC" record --ptrace -o "$tmp/r.opc" -- sh -c '
	echo 99 >/proc/sys/kernel/ns_last_pid
	("$1" 100 >"$2/one.out")
	echo 99 >/proc/sys/kernel/ns_last_pid
	("$1" 200 >"$2/two.out")' sh "$P/dlopen_local" "$tmp" >"$tmp/rec.out" 2>"$tmp/rec.err" ||
	fail "record exited $?: $(cat "$tmp/rec.err")"

# has TRACE OUT: TRACE holds exactly the calls and FLOPs OUT expects
# (OUT "none": no call)
has() {
	[ -f "$1" ] || fail "no trace $(basename "$1") (have: $(ls "$tmp" | grep '^r\.' | tr '\n' ' '))"
	"$OPC" report "$1" --by op --format json >"$tmp/r.json" 2>"$tmp/rep.err" ||
		fail "report $(basename "$1") exited $?: $(cat "$tmp/rep.err")"
	if [ "$2" = none ]; then
		want="0 0"
	else
		want=$(awk '$1 == "expect_total" { print $2, $3 }' "$2")
	fi
	got="$($CHECK get "$tmp/r.json" totals.flops) $($CHECK get "$tmp/r.json" totals.calls)"
	[ "$got" = "$want" ] || fail "$(basename "$1"): counted (FLOPs calls) $got, expected $want"
}
has "$tmp/r.opc" none
has "$tmp/r.100.opc" none
has "$tmp/r.100.exec1.opc" "$tmp/one.out"
has "$tmp/r.100.exec2.opc" none
has "$tmp/r.100.exec3.opc" "$tmp/two.out"
n=$(ls "$tmp" | grep -c '^r\..*opc$')
[ "$n" = 5 ] || fail "expected 5 traces, have $(ls "$tmp" | grep '^r\.' | tr '\n' ' ')"
ok "pid 100 twice in one run: r.100.opc, .exec1 (first), .exec2, .exec3 (second), none overwritten"

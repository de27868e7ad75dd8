#!/bin/sh
# options_strict.sh - numeric options are parsed strictly by every command
# (analysis/util.c: opc_parse_long, opc_parse_double).
#
# An empty string, blanks around the number, text after it, nan, inf (where
# no unlimited value is meant), hexadecimal, and values out of range are
# refused with exit 2 and a message naming the option, before any work;
# a good value still works.  `record -p PID --duration`: nan, negative and
# 1e300 refused; inf means "until the process exits or Ctrl-C", so with
# ptrace permitted, record -p --duration inf must still be attached after
# 1.5 s and detach cleanly on SIGINT, leaving the process running.
. "$(dirname "$0")/lib.inc"
. "$ROOT/tests/integration/ptrace.inc"
need "$OPC" "$B/tests/progs/blas_loop"

# refused OPTION-NAME COMMAND...: exit 2, and the message names the option
refused() {
	_name=$1
	shift
	"$OPC" "$@" >"$tmp/out" 2>"$tmp/err"
	_rc=$?
	if [ $_rc -ne 2 ]; then
		bad "opcount $*: exit $_rc, expected 2 (refused): $(cat "$tmp/err")"
	elif ! grep -q -- "$_name" "$tmp/err"; then
		bad "opcount $*: the message does not name $_name: $(cat "$tmp/err")"
	else
		ok "refused: opcount $*"
	fi
}

for v in '' ' 5' '5 ' '5x' 'nan' 'inf' '0x10' '-1' '1e999'; do
	refused --top report --top "$v" "$tmp/none.opc"
	refused -F record -F "$v" -- true
	refused --idle-baseline record --idle-baseline "$v" -- true
	refused -p record -p "$v"
	refused --samples predict --energy-j 1 --intensity 1 --samples "$v"
	refused --pue predict --energy-j 1 --intensity 1 --pue "$v"
	refused --intensity predict --energy-j 1 --intensity "$v"
	refused --energy-j predict --energy-j "$v" --intensity 1
done
refused -F record -F 1001 -- true
refused -p record -p 0
refused -p record -p 99999999999999999999
refused --batch predict --coeffs x --arch y --batch 1.5
for v in nan -1 0 1e300 1e10 '' 'inf x'; do
	refused --duration record -p 1 --duration "$v"
done
refused --duration record --duration inf -- true

# good values still work
"$OPC" predict --energy-j 3.6e6 --intensity 100 --pue 1 --format json >"$tmp/p.json" 2>"$tmp/p.err" ||
	bad "predict --energy-j 3.6e6 --intensity 100: $(cat "$tmp/p.err")"
grep -q '"co2eq_g":100' "$tmp/p.json" || grep -q '"co2eq_g": 100' "$tmp/p.json" ||
	bad "predict --energy-j 3.6e6 --intensity 100 does not give 100 g: $(cat "$tmp/p.json")"
OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$B/tests/progs/blas_loop" 3 0 >/dev/null ||
	fail "blas_loop failed under the library"
"$OPC" report "$tmp/t.opc" --top 1 >"$tmp/r.txt" 2>"$tmp/r.err" ||
	bad "report --top 1: $(cat "$tmp/r.err")"
"$OPC" report "$tmp/t.opc" --top +0 >/dev/null 2>"$tmp/r.err" ||
	bad "report --top +0: $(cat "$tmp/r.err")"

# --duration inf: attached until SIGINT
ptrace_ok=1
"$OPC" record --ptrace -o "$tmp/probe.opc" -- true >/dev/null 2>"$tmp/probe.err" || ptrace_ok=0
if [ $ptrace_ok = 0 ]; then
	echo "(ptrace not permitted here: record -p --duration inf not run: $(cat "$tmp/probe.err"))"
	finish
fi
start_loop "$B/tests/progs/blas_loop" 1000000 1000
on_exit() { kill "$lp" 2>/dev/null; [ -n "${rp:-}" ] && kill "$rp" 2>/dev/null; }
"$OPC" record -p "$lp" --duration inf -o "$tmp/inf.opc" >"$tmp/rec.out" 2>&1 &
rp=$!
sleep 1.5
if kill -0 "$rp" 2>/dev/null; then
	ok "record -p --duration inf still attached after 1.5 s"
	kill -INT "$rp"
	wait "$rp"
	rc=$?
	rp=
	[ $rc -eq 0 ] || bad "record -p --duration inf: exit $rc after SIGINT: $(cat "$tmp/rec.out")"
	kill -0 "$lp" 2>/dev/null || bad "the process did not survive the detach"
	"$OPC" report "$tmp/inf.opc" >/dev/null 2>"$tmp/r.err" ||
		bad "the trace of record -p --duration inf does not read: $(cat "$tmp/r.err")"
else
	wait "$rp"
	rp=
	bad "record -p --duration inf returned at once: $(cat "$tmp/rec.out")"
fi
finish

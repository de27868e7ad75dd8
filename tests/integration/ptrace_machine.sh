#!/bin/sh
# ptrace_machine.sh - a --ptrace trace describes the machine as a trace of
# the preload library does (the INFO record, common/producer.c): the same
# CPU model, the same BLAS library (the one the tracee loaded, found as the
# library finds it) and BLAS threads, so `opcount fit` takes a preload, a
# --ptrace and a --ptrace --inject trace of one machine for one machine.
# A static program's BLAS is the program itself.
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/ptrace.inc"
MLP=$B/examples/mlp
P=$B/tests/progs
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$MLP" "$P/blas_calls-static"
ptrace_or_skip
cd "$tmp" || exit 1

# The estimate: energy on any machine, for fit to have something to fit.
# One BLAS thread: OpenBLAS then starts no thread before main, and
# --inject injects (with threads it counts with breakpoints).
export OPENBLAS_NUM_THREADS=1
"$OPC" record --energy estimate -o pre.opc -- "$MLP" --epochs 1 >/dev/null 2>pre.err ||
	fail "record exited $?: $(cat pre.err)"
"$OPC" record --ptrace --energy estimate -o pt.opc -- "$MLP" --epochs 1 >/dev/null 2>pt.err ||
	fail "record --ptrace exited $?: $(cat pt.err)"
"$OPC" record --ptrace --inject --energy estimate -o inj.opc -- "$MLP" --epochs 1 >/dev/null \
	2>inj.err || fail "record --ptrace --inject exited $?: $(cat inj.err)"
for t in pre pt inj; do
	"$OPC" report $t.opc --format json >$t.json 2>rep.err || fail "report $t.opc: $(cat rep.err)"
done
for key in cpu blas host; do
	a=$($CHECK get pre.json "traces.0.$key")
	for t in pt inj; do
		b=$($CHECK get $t.json "traces.0.$key")
		if [ "$b" = "$a" ] && [ "$b" != null ]; then
			ok "$key: $t.opc says what the library's trace says: $b"
		else
			bad "$key: the library's trace says '$a', $t.opc '$b'"
		fi
	done
done

"$OPC" fit pre.opc pt.opc inj.opc >fit.out 2>fit.err || fail "fit exited $?: $(cat fit.err)"
if grep -q "another machine\|several machines" fit.out fit.err; then
	bad "fit takes the two traces for two machines: $(grep machine fit.out fit.err)"
else
	ok "fit: one machine ($(grep '^machine:' fit.out))"
fi

# a static program: its BLAS is linked into it
"$OPC" record --ptrace -o s.opc -- "$P/blas_calls-static" >/dev/null 2>s.err ||
	fail "record --ptrace of the static program exited $?: $(cat s.err)"
"$OPC" report s.opc --format json >s.json 2>rep.err || fail "report s.opc: $(cat rep.err)"
want=$(readlink -f "$P/blas_calls-static")
got=$($CHECK get s.json traces.0.blas)
[ "$got" = "$want" ] && ok "static program: blas is the program" ||
	bad "static program: blas '$got', expected the program $want"
finish

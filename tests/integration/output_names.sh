#!/bin/sh
# output_names.sh - one naming rule for every writer of traces
# (common/producer.c): the preload library, `record --ptrace` and what
# `record` reports agree on every name.
#
# - %% is a literal %: -o 'run%%x.opc' writes run%x.opc under the library
#   (bare LD_PRELOAD and `record`) and under --ptrace, and record says so;
# - %p and %h expand alike in all three;
# - the other processes of a run write FILE's stem + ".<pid>.opc" (and
#   ".<pid>.exec<n>.opc" for an exec'd image), also when FILE does not end
#   in .opc, and record counts them; under --ptrace exactly the names
#   fork_exec.sh checks for the library.
# - a % in the working directory's name is a %: a relative FILE in the
#   directory a%pb is a%pb/FILE under the library, `record`, --ptrace and
#   --ptrace --inject;
# - `record -p PID --inject -o FILE`: FILE relative to record's directory,
#   not the process's.
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/ptrace.inc"
P=$B/tests/progs
need "$LIB" "$OPC" "$P/blas_calls" "$P/fork_exec" "$P/blas_loop"
lp=
on_exit() { [ -n "$lp" ] && kill "$lp" 2>/dev/null; }
cd "$tmp" || exit 1
host=$(hostname)

# written WHAT NAME ERR: NAME exists and record's stderr ERR names it
written() {
	[ -s "$2" ] || bad "$1: no $2 (have: $(ls | tr '\n' ' '))"
	grep -qF "trace written to $2" "$3" && ok "$1: $2" ||
		bad "$1: record did not name $2: $(cat "$3")"
}

# 1. %% under the library
OPCOUNT_OUTPUT='bare%%x.opc' LD_PRELOAD=$LIB "$P/blas_calls" >/dev/null 2>bare.err ||
	fail "blas_calls under the library exited $?: $(cat bare.err)"
[ -s 'bare%x.opc' ] && ok "bare LD_PRELOAD: %% is a %" ||
	bad "bare LD_PRELOAD, OPCOUNT_OUTPUT='bare%%x.opc': no bare%x.opc (have: $(ls | tr '\n' ' '))"
"$OPC" record -o 'rec%%x.opc' -- "$P/blas_calls" >/dev/null 2>rec.err ||
	fail "record exited $?: $(cat rec.err)"
written "record" 'rec%x.opc' rec.err
grep -q "no trace" rec.err && bad "record says no trace was made: $(cat rec.err)"

# 2. %p and %h under the library
"$OPC" record -o 'lib-%h-%p.opc' -- "$P/blas_calls" >/dev/null 2>lib.err ||
	fail "record exited $?: $(cat lib.err)"
f=$(ls lib-"$host"-*.opc 2>/dev/null)
[ -n "$f" ] && written "record %h %p" "$f" lib.err ||
	bad "record -o 'lib-%h-%p.opc': no lib-$host-<pid>.opc (have: $(ls | tr '\n' ' '))"

# 3. the other processes of a run, FILE without .opc
"$OPC" record -o plain -- sh -c "\"$P/blas_calls\" >/dev/null; \"$P/blas_calls\" >/dev/null" \
	2>plain.err || fail "record of two children exited $?: $(cat plain.err)"
n=$(ls plain.*.opc 2>/dev/null | wc -l)
[ "$n" -eq 2 ] && ok "children of a run: plain.<pid>.opc" ||
	bad "record -o plain: expected 2 traces plain.<pid>.opc, found $n: $(ls | tr '\n' ' ')"
grep -q '2 more traces' plain.err || bad "record did not count the children's traces: $(cat plain.err)"

# 4. a % in the working directory, under the library
mkdir 'a%pb' && cd 'a%pb' || fail "cannot make a%pb"
OPCOUNT_OUTPUT=bare.opc LD_PRELOAD=$LIB "$P/blas_calls" >/dev/null 2>bare.err ||
	fail "blas_calls in a%pb exited $?: $(cat bare.err)"
[ -s bare.opc ] && ok "bare LD_PRELOAD in a%pb: a%pb/bare.opc" ||
	bad "bare LD_PRELOAD in a%pb: no a%pb/bare.opc: $(cat bare.err)"
"$OPC" record -o rec.opc -- sh -c "\"$P/blas_calls\" >/dev/null; \"$P/blas_calls\" >/dev/null" \
	2>rec.err || fail "record in a%pb exited $?: $(cat rec.err)"
n=$(ls rec.*.opc 2>/dev/null | wc -l)
[ "$n" -eq 2 ] && grep -q '2 more traces' rec.err && ok "record in a%pb: rec.<pid>.opc" ||
	bad "record in a%pb: expected 2 traces rec.<pid>.opc, found $n: $(cat rec.err)"
cd "$tmp" || exit 1

# 5. the same names under --ptrace
ptrace_or_skip
"$OPC" record --ptrace -o 'pt%%x.opc' -- "$P/blas_calls" >/dev/null 2>pt.err ||
	fail "record --ptrace exited $?: $(cat pt.err)"
written "record --ptrace" 'pt%x.opc' pt.err
[ -e 'pt%%x.opc' ] && bad "record --ptrace wrote pt%%x.opc"
"$OPC" record --ptrace -o 'pt-%h-%p.opc' -- "$P/blas_calls" >/dev/null 2>pth.err ||
	fail "record --ptrace exited $?: $(cat pth.err)"
f=$(ls pt-"$host"-*.opc 2>/dev/null)
[ -n "$f" ] && written "record --ptrace %h %p" "$f" pth.err ||
	bad "record --ptrace -o 'pt-%h-%p.opc': no pt-$host-<pid>.opc (have: $(ls | tr '\n' ' '))"
"$OPC" record --ptrace -o 'ptk%%' -- "$P/fork_exec" >/dev/null 2>ptk.err ||
	fail "record --ptrace of fork_exec exited $?: $(cat ptk.err)"
[ -s 'ptk%' ] || bad "record --ptrace -o 'ptk%%': no trace ptk% of the command"
n=$(ls 'ptk%.'*.opc 2>/dev/null | wc -l)
[ "$n" -ge 2 ] && ok "--ptrace: children write ptk%.<pid>.opc" ||
	bad "record --ptrace -o 'ptk%%': expected the children's ptk%.<pid>.opc, found $n: $(ls | tr '\n' ' ')"
grep -q "$n more traces" ptk.err || bad "record --ptrace did not count $n more traces: $(cat ptk.err)"

# 5. exactly the library's names under --ptrace (fork_exec.sh checks the
# library's): the forked child FILE's stem + .<pid>.opc, the image a
# process execs after writing a trace + .<pid>.exec1.opc
mkdir ptf && cd ptf || exit 1
"$OPC" record --ptrace -o run.opc -- "$P/fork_exec" --work-before-exec >out.txt 2>err.txt ||
	fail "record --ptrace of fork_exec --work-before-exec exited $?: $(cat err.txt)"
c=$(awk '$1 == "pid" && $2 == "child" { print $3 }' out.txt)
e=$(awk '$1 == "pid" && $2 == "exec" { print $3 }' out.txt)
want="run.$c.opc run.$e.exec1.opc run.$e.opc run.opc"
have=$(ls | grep '\.opc$' | sort | tr '\n' ' ')
[ "$have" = "$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ')" ] &&
	ok "--ptrace, -o run.opc: $want" || bad "--ptrace, -o run.opc: expected $want, have $have"
cd ..

# 6. a % in the working directory, under --ptrace and --ptrace --inject
# (which a sanitizer build, make check-sanitize, does with breakpoints)
cd 'a%pb' || exit 1
"$OPC" record --ptrace -o pt.opc -- "$P/blas_calls" >/dev/null 2>pt.err ||
	fail "record --ptrace in a%pb exited $?: $(cat pt.err)"
written "record --ptrace in a%pb" pt.opc pt.err
OPENBLAS_NUM_THREADS=1 "$OPC" record --ptrace --inject -o inj.opc -- "$P/blas_calls" \
	>/dev/null 2>inj.err || fail "record --ptrace --inject in a%pb exited $?: $(cat inj.err)"
[ -z "${SAN_RUNTIME:-}" ] && grep -q "breakpoints instead" inj.err &&
	bad "record --ptrace --inject: not injected: $(cat inj.err)"
written "record --ptrace --inject in a%pb" inj.opc inj.err
cd "$tmp" || exit 1

# 7. -p PID --inject: FILE is relative to record's directory
mkdir elsewhere
(cd elsewhere && exec "$P/blas_loop" 3000 500) >loop.out 2>&1 &
lp=$!
i=0
while ! grep -q ready loop.out 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "blas_loop did not start: $(cat loop.out)"
	sleep 0.05
done
"$OPC" record -p $lp --inject --duration 0.2 -o att.opc >att.err 2>&1 ||
	fail "record -p --inject exited $?: $(cat att.err)"
kill $lp; wait $lp 2>/dev/null; lp=
[ -z "${SAN_RUNTIME:-}" ] && grep -q "breakpoints instead" att.err &&
	bad "record -p --inject: not injected: $(cat att.err)"
written "record -p PID --inject, the process elsewhere" att.opc att.err
[ -e elsewhere/att.opc ] && bad "record -p --inject wrote the process's elsewhere/att.opc"
finish

#!/bin/sh
# mpi_comm.sh - MPI calls counted as rows of type comm, with real Open MPI
# (openmpi-bin, libopenmpi-dev): 4 ranks of tests/progs/mpi_work, each
# doing known dgemm work (different per rank) and one of each of a dozen
# MPI calls of known sizes.
#
#   output    mpirun prints the same and returns the same status (0, and a
#             program that returns 3) with and without the library
#   per rank  each rank's trace (one OPCOUNT_OUTPUT for the job: each rank
#             writes run.rank<N>.opc): dgemm calls and FLOPs exact; every MPI row's
#             calls and bytes exactly the docs/counting.md model's, FLOPs
#             0, type comm, iface mpi (the two MPI_Allreduce too, made
#             in a layer region of type Linear, which the dgemm rows
#             take); --by type comm totals; --by key
#             shapes "MPI_Allreduce n=8000 p=4" (check_mpi_comm.py);
#             MPI_Alltoallw, whose datatype arrays are read in the width
#             of Open MPI's handles (8 bytes, found at run time)
#   job       `opcount report run.rank*.opc` merges the 4 ranks: its totals
#             (calls, FLOPs, bytes) are the ranks' sums exactly, the
#             --by type comm row the sum of the ranks' comm rows, the job
#             names world size 4 and ranks 0-3, complete
#   nested    OPCOUNT_NESTED=1 changes no MPI row: Open MPI makes no MPI
#             call of its own here that comes back through the wrappers
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/mpi_work
NP=4
ROUNDS=3

command -v mpirun >/dev/null 2>&1 || { echo "skipped: no mpirun (Debian openmpi-bin)"; exit 77; }
command -v mpicc >/dev/null 2>&1 || { echo "skipped: no mpicc (Debian libopenmpi-dev)"; exit 77; }
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

# Under make check-sanitize: Open MPI leaks what its components allocated,
# and unloads them before exit, so LeakSanitizer cannot tell the leaks
# from ours by their stacks ("<unknown module>"): no leak checks in the
# ranks (memory errors still are checked).
[ -n "${SAN_RUNTIME:-}" ] && export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

# root in a container: Open MPI refuses root without --allow-run-as-root;
# 4 ranks on fewer cores need --oversubscribe.  No network beyond the node.
MPIRUN="timeout 50 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np $NP"
$MPIRUN true >"$tmp/probe.txt" 2>&1 ||
	{ echo "skipped: Open MPI cannot start $NP ranks here: $(tail -n 3 "$tmp/probe.txt")"; exit 77; }

# run OUTDIR PREFIX ARGS...: the job, each rank with its own trace
# OUTDIR/run.rank<N>.opc (empty OUTDIR: without the library)
run() {
	_out=$1
	shift
	if [ -z "$_out" ]; then
		$MPIRUN "$PROG" "$@"
	else
		$MPIRUN env OPCOUNT_OUTPUT="$_out/run.opc" LD_PRELOAD="$LIB" "$PROG" "$@"
	fi
}

mkdir "$tmp/t" "$tmp/n" "$tmp/s"
run "" $ROUNDS 0 >"$tmp/plain.txt" 2>"$tmp/plain.err"
st_plain=$?
run "$tmp/t" $ROUNDS 0 >"$tmp/out.txt" 2>"$tmp/out.err"
st=$?
[ $st_plain -eq 0 ] || fail "mpi_work failed without opcount ($st_plain): $(cat "$tmp/plain.err")"
[ $st -eq 0 ] || fail "mpi_work failed under opcount ($st): $(cat "$tmp/out.err")"
[ "$(wc -l <"$tmp/plain.txt")" -eq $NP ] || fail "expected $NP lines from rank 0: $(cat "$tmp/plain.txt")"
cmp -s "$tmp/plain.txt" "$tmp/out.txt" ||
	fail "output differs under opcount: $(cat "$tmp/plain.txt") / $(cat "$tmp/out.txt")"
ok "output: $NP ranks print the same with and without the library"

# a failing program: mpirun passes the status on, the same under opcount
run "" 1 3 >/dev/null 2>&1
st_plain=$?
run "$tmp/s" 1 3 >/dev/null 2>&1
st=$?
[ $st_plain -ne 0 ] && [ $st -eq $st_plain ] ||
	fail "exit status of a failing job: $st_plain without the library, $st with it"
ok "status: a job whose ranks return 3 exits $st with and without the library"

for r in $(seq 0 $((NP - 1))); do
	[ -s "$tmp/t/run.rank$r.opc" ] || fail "rank $r wrote no trace"
	for by in op type key; do
		"$OPC" report "$tmp/t/run.rank$r.opc" --by $by --format json >"$tmp/$r.$by.json" 2>"$tmp/rep.err" ||
			fail "report rank $r --by $by exited $?: $(cat "$tmp/rep.err")"
	done
	$PY "$ROOT/tests/python/check_mpi_comm.py" $r $NP $ROUNDS "$tmp/$r.op.json" \
		"$tmp/$r.type.json" "$tmp/$r.key.json" || bad "rank $r: counts differ from the model"
done
"$OPC" report "$tmp/t/run.rank1.opc" --by type >"$tmp/type.txt" 2>&1
grep -q "^comm " "$tmp/type.txt" || bad "report --by type shows no comm row: $(cat "$tmp/type.txt")"
grep -q "^# comm bytes: sent + received" "$tmp/type.txt" || bad "no comm bytes note under the table"

# nested: the same MPI rows with OPCOUNT_NESTED=1
$MPIRUN env OPCOUNT_NESTED=1 OPCOUNT_OUTPUT="$tmp/n/run.opc" LD_PRELOAD="$LIB" "$PROG" $ROUNDS >/dev/null 2>"$tmp/nested.err" ||
	fail "mpi_work failed with OPCOUNT_NESTED=1: $(cat "$tmp/nested.err")"
"$OPC" report "$tmp/n/run.rank0.opc" --by op --format json >"$tmp/n0.json" 2>"$tmp/rep.err" ||
	fail "report (nested) exited $?: $(cat "$tmp/rep.err")"
$PY - "$tmp/0.op.json" "$tmp/n0.json" <<'PYEOF' || bad "OPCOUNT_NESTED=1 changes the MPI rows"
import json, sys
def mpi(path):
    return sorted((r["op"], r["calls"], r["bytes"], r["nested"]) for r in json.load(open(path))["rows"]
                  if r["op"].startswith("MPI_"))
a, b = mpi(sys.argv[1]), mpi(sys.argv[2])
if a != b:
    sys.exit("plain %s\nnested %s" % (a, b))
PYEOF
ok "nested: OPCOUNT_NESTED=1 gives the same MPI rows (no MPI call inside another)"

"$OPC" report "$tmp"/t/run.rank*.opc --format json >"$tmp/job.json" 2>"$tmp/rep.err" ||
	fail "report of the job exited $?: $(cat "$tmp/rep.err")"
"$OPC" report "$tmp"/t/run.rank*.opc --by type --format json >"$tmp/jobtype.json" 2>"$tmp/rep.err" ||
	fail "report of the job --by type exited $?: $(cat "$tmp/rep.err")"
$PY - "$tmp/job.json" "$tmp/jobtype.json" $NP "$tmp"/*.type.json <<'PYEOF' || bad "the job's merged report"
import json, sys
job, jt, np_ = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
ranks = [json.load(open(p)) for p in sys.argv[4:]]
ok = True
for k in ("calls", "flops", "bytes"):
    want = sum(r["totals"][k] for r in ranks)
    if job["totals"][k] != want:
        print("job %s %s, the ranks' sum %s" % (k, job["totals"][k], want)); ok = False
def comm(d):
    return [(r["calls"], r["bytes"]) for r in d["rows"] if r.get("type") == "comm"]
want = [sum(x) for x in zip(*[c for r in ranks for c in comm(r)])]
got = comm(jt)
if len(got) != 1 or list(got[0]) != want:
    print("job comm row %s, the ranks' sum %s" % (got, want)); ok = False
j = job.get("job") or {}
if j.get("world_size") != np_ or j.get("ranks_present") != list(range(np_)) or job.get("incomplete"):
    print("job block %s, incomplete %s" % (j, job.get("incomplete"))); ok = False
print("   job: %d calls, %d FLOPs, %d bytes; comm %s" % (job["totals"]["calls"],
      job["totals"]["flops"], job["totals"]["bytes"], got))
sys.exit(0 if ok else 1)
PYEOF
ok "job: the merged report's totals and comm row are the $NP ranks' sums"
finish

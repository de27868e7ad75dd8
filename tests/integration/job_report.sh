#!/bin/sh
# job_report.sh - `opcount report run.rank*.opc`: the ranks of a distributed
# job merged into one report, each node's energy counted once.
#
# Ranks are made by hand: energy_work (tests/progs) under the library with
# Open MPI's variables set (rank, size, local rank, job id), all at once;
# nodes by OPCOUNT_TEST_HOST / OPCOUNT_TEST_BOOT_ID (tests only) and a
# synthetic powercap tree of known constant power each (fake_rapl).
#
#  one node    4 ranks on one node at 35 W: the job's energy is the node's
#              counter over the job, 35 W x the time the ranks cover,
#              within 1% (each trace alone holds the whole node: reported
#              one by one they add up to up to 4x); that time lies between
#              the longest rank's and the launch's wall time
#  two nodes   2 ranks on node a at 20 W, 2 on node b at 45 W: each node's
#              energy within 1% of its power x its time
#  sums        --by rank and --by node: the rows' calls and FLOPs add up
#              exactly to the totals, each rank's FLOPs are those of the
#              program run alone, the ranks' and nodes' JSON too
#              (check_report.py validate); the footer names the slowest
#              rank and the imbalance, the header the job
#  fit         `opcount fit` of two jobs' traces: two runs, each job's
#              energy its nodes' as the report counts it (0.01%), its FLOPs
#              the job's (1%)
#  mixed       a rank of another job is refused (exit 1, both jobs and
#              files named) unless --allow-mixed
#  incomplete  rank 2 missing and rank 3 truncated (its END cut off): both
#              named, incomplete in JSON, exit 0; --strict exits 3
#  mpirun      Open MPI's mpirun -np 4 (when installed): one job, 4 ranks,
#              exact FLOPs per rank
. "$(dirname "$0")/energy_common.inc"
PROG=$B/tests/progs/blas_calls
need "$PROG"
unset OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE OMPI_COMM_WORLD_LOCAL_RANK PMI_RANK PMI_SIZE \
	RANK WORLD_SIZE LOCAL_RANK SLURM_PROCID SLURM_STEP_ID SLURM_JOB_ID PMIX_RANK \
	PMIX_NAMESPACE PBS_JOBID TORCHELASTIC_RUN_ID OMPI_MCA_ess_base_jobid 2>/dev/null
SECS=0.3	# s per phase: ~1.2 s a rank, so that a stalled fake writer (a loaded machine) stays well inside 1%
now() { date +%s.%N; }

# rank DIR PC N SIZE JOB HOST BOOT: energy_work as rank N of SIZE of job
# JOB on node HOST/BOOT, counters in PC, trace DIR/run.rank<N>.opc (in the
# background: wait for it)
rank() {
	env OPENBLAS_NUM_THREADS=1 OPCOUNT_HZ=100 OPCOUNT_ENERGY=rapl OPCOUNT_POWERCAP_ROOT="$2" \
		OPCOUNT_OUTPUT="$1/run.opc" OMPI_COMM_WORLD_RANK=$3 OMPI_COMM_WORLD_SIZE=$4 \
		OMPI_COMM_WORLD_LOCAL_RANK=$3 OMPI_MCA_ess_base_jobid=$5 \
		OPCOUNT_TEST_HOST=$6 OPCOUNT_TEST_BOOT_ID=$7 \
		LD_PRELOAD="$LIB" "$WORK" $SECS >"$1/out.$3" 2>"$1/err.$3" ||
		echo "rank $3 exited $?: $(head -n 3 "$1/err.$3")" >>"$1/failed"
}

# within GOT WANT PCT: |GOT - WANT| <= PCT% of WANT
within() {
	awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(w > 0 && d <= p / 100 * w) }'
}

# node_check JSON NODE WATTS WALL LABEL: node NODE's energy = WATTS x its
# time within 1%, its time between (98% of) its longest trace's and WALL
node_check() {
	_e=$($CHECK_REPORT get "$1" "job.nodes.$2.energy_j")
	_s=$($CHECK_REPORT get "$1" "job.nodes.$2.duration_s")
	_name=$($CHECK_REPORT get "$1" "job.nodes.$2.node")
	_max=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(max(t["duration_s"] for t in d["traces"] if t["node"] == sys.argv[2]))' "$1" "$_name")
	_want=$(awk -v w="$3" -v s="$_s" 'BEGIN { print w * s }')
	_err=$(awk -v g="$_e" -v w="$_want" 'BEGIN { printf "%.3f", 100 * (g - w) / w }')
	if within "$_e" "$_want" 1; then
		ok "$5: node $_name $_e J = $3 W x $_s s within 1% (error $_err%)"
	else
		bad "$5: node $_name energy $_e J, but $3 W x $_s s = $_want J (error $_err%)"
	fi
	# (a trace's duration runs to its last record, its samples' time to
	# its last sample: 2% apart at most)
	awk -v s="$_s" -v m="$_max" -v w="$4" 'BEGIN { exit !(s >= 0.98 * m && s <= w) }' &&
		ok "$5: node $_name covers $_s s: >= 98% of its longest trace $_max s, <= the wall time $4 s" ||
		bad "$5: node $_name covers $_s s, not between 98% of its longest trace $_max s and the wall time $4 s"
}

# ---- one node, 4 ranks ----------------------------------------------------
d=$tmp/one
start_fake "$d" package:0=30 dram:0=5
t0=$(now)
pids=
for r in 0 1 2 3; do
	rank "$d" "$d/pc" $r 4 4242 nodeA 11111111-aaaa-4aaa-8aaa-000000000001 &
	pids="$pids $!"
done
wait $pids	# (not the fake writer)
t1=$(now)
stop_fake
[ -e "$d/failed" ] && fail "one node: $(cat "$d/failed")"
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
ls "$d"/run.rank[0-3].opc >/dev/null 2>&1 || fail "one node: no rank traces: $(ls "$d")"
"$OPC" report "$d"/run.rank*.opc --format json >"$d/site.json" 2>"$d/rep.err" ||
	fail "one node: report exited $?: $(cat "$d/rep.err")"
$CHECK_REPORT validate "$d/site.json" || bad "one node: the report does not follow the JSON contract"
grep -q "not additive" "$d/rep.err" && bad "one node: the report still warns: $(cat "$d/rep.err")"
[ "$($CHECK_REPORT get "$d/site.json" job.id)" = "openmpi:4242" ] || bad "one node: job.id is not openmpi:4242"
[ "$($CHECK_REPORT get "$d/site.json" job.nodes.0.counted_once)" = true ] ||
	bad "one node: the node's energy is not counted once"
node_check "$d/site.json" 0 35 "$wall" "one node"
total=$($CHECK_REPORT get "$d/site.json" totals.energy_j)
node=$($CHECK_REPORT get "$d/site.json" job.nodes.0.energy_j)
[ "$total" = "$node" ] && ok "one node: the job's energy is the node's, $total J" ||
	bad "one node: the job's energy $total J is not the node's $node J"
# the same traces reported one by one: each holds the whole node
alone=0
for r in 0 1 2 3; do
	"$OPC" report "$d/run.rank$r.opc" --format json >"$d/alone.json" 2>/dev/null ||
		fail "one node: report of rank $r alone failed"
	alone=$(awk -v a="$alone" -v b="$($CHECK_REPORT get "$d/alone.json" totals.energy_j)" 'BEGIN { print a + b }')
done
# (up to 4x: as much as the ranks overlap, which the loaded machine's
# scheduling decides)
awk -v a="$alone" -v t="$total" 'BEGIN { exit !(a > 1.5 * t) }' &&
	ok "one node: the ranks reported one by one add up to $alone J (> 1.5 x $total J: each holds the node)" ||
	bad "one node: the ranks alone add up to $alone J, expected 1.5 to 4 x $total J"

# ---- sums: --by rank, --by node, and the footer ----------------------------
"$OPC" report "$d"/run.rank*.opc --by rank --format json >"$d/rank.json" 2>/dev/null ||
	fail "report --by rank failed"
"$OPC" report "$d"/run.rank*.opc --by node --format json >"$d/node.json" 2>/dev/null ||
	fail "report --by node failed"
for by in rank node; do
	$CHECK_REPORT validate "$d/$by.json" || bad "--by $by: the report does not follow the JSON contract"
	for k in calls flops; do
		s=$($CHECK_REPORT sum "$d/$by.json" $k)
		t=$($CHECK_REPORT get "$d/$by.json" totals.$k)
		[ "$s" = "$t" ] && ok "--by $by: the rows' $k add up to the total, $t" ||
			bad "--by $by: the rows' $k add up to $s, not the total $t"
	done
	e=$($CHECK_REPORT sum "$d/$by.json" energy_j)
	t=$($CHECK_REPORT get "$d/$by.json" totals.energy_j)
	within "$e" "$t" 0.0001 && ok "--by $by: the rows' energy (outside included) is the total, $t J" ||
		bad "--by $by: the rows' energy adds up to $e J, not the total $t J"
done
# each rank's row: what its trace holds, reported alone (energy_work
# works for a time: the ranks' FLOPs differ)
sum=0
for r in 0 1 2 3; do
	"$OPC" report "$d/run.rank$r.opc" --format json >"$d/r$r.json" 2>/dev/null
	want=$($CHECK_REPORT get "$d/r$r.json" totals.flops)
	f=$($CHECK_REPORT row "$d/rank.json" rank=$r flops)
	n=$($CHECK_REPORT row "$d/rank.json" rank=$r node)
	[ "$f" = "$want" ] && [ "$n" = nodeA ] && ok "--by rank: rank $r: $f FLOPs on $n" ||
		bad "--by rank: rank $r has $f FLOPs on node $n, expected $want on nodeA"
	sum=$((sum + want))
done
# CSV: rank and node are its last two columns, as the JSON rows have them
"$OPC" report "$d"/run.rank*.opc --by rank --format csv >"$d/rank.csv" 2>/dev/null ||
	fail "report --by rank --format csv failed"
head -n 1 "$d/rank.csv" | grep -q ',rejected,rank,node$' &&
	ok "CSV: rank and node columns at the end" || bad "CSV header: $(head -n 1 "$d/rank.csv")"
for r in 0 1 2 3; do
	want=$($CHECK_REPORT row "$d/rank.json" rank=$r flops)
	got=$(awk -F, -v r=$r 'NR > 1 && $(NF-1) == r && $NF == "nodeA" { s += $7 } END { printf "%.0f\n", s }' "$d/rank.csv")
	[ "$got" = "$want" ] && ok "CSV: rank $r on nodeA, $got FLOPs" ||
		bad "CSV: rank $r row has FLOPs '$got', expected $want on nodeA: $(cat "$d/rank.csv")"
done
f0=$($CHECK_REPORT get "$d/r0.json" totals.flops)
f=$($CHECK_REPORT get "$d/rank.json" totals.flops)
[ "$f" = "$sum" ] && ok "the job's FLOPs: the ranks' sum, $sum" || bad "the job's FLOPs are $f, not the ranks' sum $sum"
"$OPC" report "$d"/run.rank*.opc >"$d/table.txt" 2>&1 || fail "table report failed"
grep -q "^# job openmpi:4242 (openmpi): world size 4, ranks 0-3 present (4), 1 node: nodeA" "$d/table.txt" &&
	ok "table: the header names the job: $(grep '^# job' "$d/table.txt")" ||
	bad "table: no job header: $(grep '^#' "$d/table.txt" | head -n 5)"
slow=$($CHECK_REPORT get "$d/rank.json" job.slowest_rank)
imb=$($CHECK_REPORT get "$d/rank.json" job.imbalance)
grep -q "^# ranks: slowest rank $slow .*imbalance" "$d/table.txt" &&
	ok "table: $(grep '^# ranks' "$d/table.txt")" || bad "table: no slowest rank / imbalance line"
awk -v i="$imb" 'BEGIN { exit !(i >= 1) }' || bad "imbalance $imb < 1"

# ---- two nodes --------------------------------------------------------------
d=$tmp/two
start_fake "$d/a" package:0=20
pa=$fake_pid
start_fake "$d/b" package:0=40 dram:0=5
pb=$fake_pid
fake_pid=
on_exit() { kill $pa $pb 2>/dev/null; }
t0=$(now)
rank "$d" "$d/a/pc" 0 4 555 nodeA 11111111-aaaa-4aaa-8aaa-00000000000a &
pids=$!
rank "$d" "$d/a/pc" 1 4 555 nodeA 11111111-aaaa-4aaa-8aaa-00000000000a &
pids="$pids $!"
rank "$d" "$d/b/pc" 2 4 555 nodeB 22222222-bbbb-4bbb-8bbb-00000000000b &
pids="$pids $!"
rank "$d" "$d/b/pc" 3 4 555 nodeB 22222222-bbbb-4bbb-8bbb-00000000000b &
pids="$pids $!"
wait $pids
t1=$(now)
kill $pa $pb 2>/dev/null
[ -e "$d/failed" ] && fail "two nodes: $(cat "$d/failed")"
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
"$OPC" report "$d"/run.rank*.opc --by node --format json >"$d/node.json" 2>"$d/rep.err" ||
	fail "two nodes: report exited $?: $(cat "$d/rep.err")"
$CHECK_REPORT validate "$d/node.json" || bad "two nodes: the report does not follow the JSON contract"
[ "$($CHECK_REPORT get "$d/node.json" job.nodes.0.node)" = nodeA ] &&
	[ "$($CHECK_REPORT get "$d/node.json" job.nodes.1.node)" = nodeB ] ||
	bad "two nodes: nodes are not nodeA, nodeB"
node_check "$d/node.json" 0 20 "$wall" "two nodes"
node_check "$d/node.json" 1 45 "$wall" "two nodes"
for n in A B; do
	e=$($CHECK_REPORT row "$d/node.json" node=node$n energy_j)
	[ "$e" != none ] || bad "two nodes: no --by node row for node$n"
done
ea=$($CHECK_REPORT get "$d/node.json" job.nodes.0.energy_j)
eb=$($CHECK_REPORT get "$d/node.json" job.nodes.1.energy_j)
t=$($CHECK_REPORT get "$d/node.json" totals.energy_j)
within "$(awk -v a="$ea" -v b="$eb" 'BEGIN { printf "%.12g", a + b }')" "$t" 0.0001 &&
	ok "two nodes: the job's energy $t J = node a $ea J + node b $eb J" ||
	bad "two nodes: the job's energy $t J is not node a $ea J + node b $eb J"

# ---- fit: a job is one run ---------------------------------------------------
# A node's rows are the stretches between its ranks' samples, each one's
# energy taken once, its calls every rank's: the run's energy is the
# job's as the report counts it (0.01%), its FLOPs the job's but for
# calls outside every sample (1%).
"$OPC" fit "$tmp/one"/run.rank*.opc "$d"/run.rank*.opc --format json >"$d/fit.json" 2>"$d/fit.err" ||
	fail "fit of two jobs exited $?: $(cat "$d/fit.err")"
grep -q "ran at the same time" "$d/fit.err" && bad "fit: warns that a job's ranks overlap: $(cat "$d/fit.err")"
$PY - "$d/fit.json" "$tmp/one/site.json" "$d/node.json" <<'PYEOF' && ok "fit: $(cat "$d/fit.txt")" || bad "fit: $(cat "$d/fit.txt")"
import json, sys
fit = json.load(open(sys.argv[1]))
out, good = [], True
runs = fit["runs"]
if len(runs) != 2:
    out.append("%d runs, not 2 (one per job)" % len(runs))
    good = False
for run, rep in zip(runs, sys.argv[2:]):
    r = json.load(open(rep))
    e, f = r["totals"]["energy_j"], r["totals"]["flops"]
    ok_e = abs(run["measured"] - e) <= 1e-4 * e
    ok_f = abs(run["flops"] - f) <= 0.01 * f
    good &= ok_e and ok_f
    out.append("%s: %.6f J of the job's %.6f J, %.0f FLOPs of %d" %
               (run["path"].split("/")[-1], run["measured"], e, run["flops"], f))
open(sys.argv[1].replace(".json", ".txt"), "w").write("; ".join(out))
sys.exit(0 if good else 1)
PYEOF

# ---- mixed jobs -------------------------------------------------------------
d1=$tmp/one
mkdir -p "$tmp/other"
env OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none OPCOUNT_OUTPUT="$tmp/other/run.opc" \
	OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 OMPI_MCA_ess_base_jobid=999 \
	LD_PRELOAD="$LIB" "$PROG" >/dev/null 2>&1 || fail "mixed: blas_calls as rank 0 of job 999 failed"
"$OPC" report "$d1/run.rank0.opc" "$tmp/other/run.rank0.opc" >/dev/null 2>"$tmp/mixed.err"
rc=$?
if [ $rc = 1 ] && grep -q "openmpi:4242" "$tmp/mixed.err" && grep -q "openmpi:999" "$tmp/mixed.err" &&
	grep -q "other/run.rank0.opc" "$tmp/mixed.err"; then
	ok "mixed: refused, exit 1: $(cat "$tmp/mixed.err")"
else
	bad "mixed: exit $rc, message '$(cat "$tmp/mixed.err")'"
fi
"$OPC" report "$d1/run.rank0.opc" "$tmp/other/run.rank0.opc" --allow-mixed --format json \
	>"$tmp/mixed.json" 2>/dev/null && [ "$($CHECK_REPORT get "$tmp/mixed.json" job.mixed)" = true ] &&
	ok "mixed: --allow-mixed reports them together (job.mixed true)" ||
	bad "mixed: --allow-mixed failed"

# ---- incomplete: rank 2 missing, rank 3 truncated ----------------------------
d=$tmp/inc
mkdir -p "$d"
cp "$d1/run.rank0.opc" "$d1/run.rank1.opc" "$d"
sz=$(wc -c <"$d1/run.rank3.opc")
head -c $((sz - 4)) "$d1/run.rank3.opc" >"$d/run.rank3.opc"
"$OPC" report "$d"/run.rank*.opc --format json >"$d/r.json" 2>"$d/r.err"
rc=$?
[ $rc = 0 ] && ok "incomplete: exit 0 without --strict" || bad "incomplete: exit $rc without --strict"
$CHECK_REPORT validate "$d/r.json" || bad "incomplete: the report does not follow the JSON contract"
[ "$($CHECK_REPORT get "$d/r.json" incomplete)" = true ] &&
	[ "$($CHECK_REPORT get "$d/r.json" missing_ranks)" = "[2]" ] &&
	[ "$($CHECK_REPORT get "$d/r.json" truncated_ranks.0.rank)" = 3 ] &&
	ok "incomplete: JSON incomplete, missing_ranks [2], truncated rank 3" ||
	bad "incomplete: JSON says incomplete $($CHECK_REPORT get "$d/r.json" incomplete), missing $($CHECK_REPORT get "$d/r.json" missing_ranks)"
"$OPC" report "$d"/run.rank*.opc >"$d/t.txt" 2>&1
grep -q "INCOMPLETE: rank 2 of 4 missing" "$d/t.txt" && grep -q "INCOMPLETE: rank 3's trace .*run.rank3.opc is truncated" "$d/t.txt" &&
	ok "incomplete: the table names rank 2 (missing) and rank 3 (truncated)" ||
	bad "incomplete: the table does not name them: $(grep INCOMPLETE "$d/t.txt")"
f=$($CHECK_REPORT get "$d/r.json" job.ranks.0.flops)
[ "$f" = "$f0" ] && ok "incomplete: the other ranks still reported (rank 0: $f FLOPs)" ||
	bad "incomplete: rank 0 has $f FLOPs, not $f0"
"$OPC" report "$d"/run.rank*.opc --strict >/dev/null 2>&1
rc=$?
[ $rc = 3 ] && ok "incomplete: --strict exits 3" || bad "incomplete: --strict exits $rc, not 3"

# ---- mpirun -----------------------------------------------------------------
if command -v mpirun >/dev/null 2>&1; then
	d=$tmp/mpi
	mkdir -p "$d"
	OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none OPCOUNT_OUTPUT="$d/alone.opc" LD_PRELOAD="$LIB" \
		"$PROG" >/dev/null 2>&1 || fail "blas_calls alone failed"
	"$OPC" report "$d/alone.opc" --format json >"$d/alone.json" 2>/dev/null
	f0=$($CHECK_REPORT get "$d/alone.json" totals.flops)
	mpirun --allow-run-as-root --oversubscribe -np 4 \
		-x OPENBLAS_NUM_THREADS=1 -x OPCOUNT_ENERGY=none -x OPCOUNT_OUTPUT="$d/run.opc" \
		-x LD_PRELOAD="$LIB" "$PROG" >"$d/out" 2>"$d/err" || fail "mpirun exited $?: $(head -n 5 "$d/err")"
	"$OPC" report "$d"/run.rank*.opc --by rank --format json >"$d/rank.json" 2>"$d/rep.err" ||
		fail "mpirun: report exited $?: $(cat "$d/rep.err")"
	$CHECK_REPORT validate "$d/rank.json" || bad "mpirun: the report does not follow the JSON contract"
	n=$($CHECK_REPORT get "$d/rank.json" job.ranks_present)
	f=$($CHECK_REPORT get "$d/rank.json" totals.flops)
	[ "$n" = "[0, 1, 2, 3]" ] && [ "$f" = "$((4 * f0))" ] &&
		ok "mpirun: one job ($($CHECK_REPORT get "$d/rank.json" job.id)), ranks $n, $f FLOPs = 4 x $f0" ||
		bad "mpirun: ranks $n, $f FLOPs (expected [0, 1, 2, 3], $((4 * f0)))"
else
	echo "skip mpirun: Open MPI's mpirun is not installed"
fi
finish

#!/bin/sh
# gpu_node.sh - the GPUs of a node that several ranks read count once in
# the job's report, against the simulated GPU of the fake CUDA libraries
# (tests/fake/) and a fake NVML of constant power.  Two ranks of one job
# on one node (Open MPI's variables, OPCOUNT_TEST_HOST/BOOT_ID), run at
# once, OPCOUNT_ENERGY=nvml (the GPUs only: every joule is a GPU's).
#
#   shared     both ranks see one GPU at 100 W and run on it: the job's
#              energy is 100 W x the union of their times (0.1%), once,
#              where each rank's trace alone holds 100 W x its own time;
#              the ranks overlap (the union < 80% of the sum), so counted
#              per trace it would have been much more (nodes[]: gpus 1,
#              gpu_j all of energy_j); the SGEMMs of both
#              get at most 100 W x their GPU time
#   renumbered two GPUs, gpu0 at 100 W and gpu1 at 60 W; rank 0 sees gpu1
#              only (CUDA_VISIBLE_DEVICES=1: its device 0 is gpu1), rank 1
#              both (its device 0 is gpu0).  Each rank's SGEMMs get their
#              own GPU's power x their GPU time (3%: rank 0 60 W, rank 1
#              100 W); the job's energy is 60 W x the union (both read
#              gpu1) + 100 W x rank 1's time (0.1%), the node's nodes[]
#              entry the same (gpu_j all of it, gpus 2); closure holds
#   fit        `opcount fit` of the two jobs: two runs, each one's energy
#              the job's as the report counts it (0.01%), each GPU once
. "$(dirname "$0")/energy_common.inc"
gpu_or_skip

PROG=$B/tests/gpu/gpu_energy
NVML=$B/fake/libnvidia-ml.so.1
[ -e /usr/local/cuda/include/cuda_runtime_api.h ] ||
	{ echo "skip: no CUDA headers in /usr/local/cuda (the fake GPU libraries need them)"; exit 77; }
[ -x "$PROG" ] && [ -e "$NVML" ] || fail "$PROG or $NVML is missing (run make test)"
unset OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE OMPI_COMM_WORLD_LOCAL_RANK PMI_RANK PMI_SIZE \
	RANK WORLD_SIZE LOCAL_RANK SLURM_PROCID SLURM_STEP_ID SLURM_JOB_ID PMIX_RANK \
	PMIX_NAMESPACE PBS_JOBID TORCHELASTIC_RUN_ID OMPI_MCA_ess_base_jobid \
	CUDA_VISIBLE_DEVICES 2>/dev/null

# rank DIR N WATTS [VAR=VALUE...]: gpu_energy (0.3 s of SGEMMs, 0.3 s of
# host work) as rank N of 2 of job $JOB on node g, in the background
rank() {
	_d=$1
	_n=$2
	_w=$3
	shift 3
	env OPCOUNT_HZ=100 OPCOUNT_ENERGY=nvml OPCOUNT_NVML_LIBRARY="$NVML" FAKE_NVML_WATTS="$_w" \
		OPCOUNT_OUTPUT="$_d/run.opc" OMPI_COMM_WORLD_RANK=$_n OMPI_COMM_WORLD_SIZE=2 \
		OMPI_COMM_WORLD_LOCAL_RANK=$_n OMPI_MCA_ess_base_jobid=$JOB \
		OPCOUNT_TEST_HOST=g OPCOUNT_TEST_BOOT_ID=4141abcd-0000 "$@" \
		LD_PRELOAD="$LIB" "$PROG" 0.3 0.3 >"$_d/out.$_n" 2>"$_d/err.$_n" ||
		echo "rank $_n exited $?: $(head -n 3 "$_d/err.$_n")" >>"$_d/failed"
}

# job DIR WATTS [VARS OF RANK 0] -- [VARS OF RANK 1]: both ranks at once,
# then the merged report DIR/job.json and each rank's alone DIR/r<N>.json
job() {
	_d=$1
	_w=$2
	shift 2
	_v0=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _v0="$_v0 $1"; shift; done
	[ $# -gt 0 ] && shift
	mkdir -p "$_d"
	# shellcheck disable=SC2086
	rank "$_d" 0 "$_w" $_v0 &
	_p0=$!
	rank "$_d" 1 "$_w" "$@" &
	_p1=$!
	wait $_p0 $_p1
	[ -e "$_d/failed" ] && fail "$(cat "$_d/failed")"
	"$OPC" report "$_d/run.rank0.opc" "$_d/run.rank1.opc" --by rank --format json \
		>"$_d/job.json" 2>"$_d/job.err" || fail "$_d: report exited $?: $(cat "$_d/job.err")"
	$CHECK_REPORT validate "$_d/job.json" || fail "$_d: report does not follow the JSON contract"
	for _n in 0 1; do
		"$OPC" report "$_d/run.rank$_n.opc" --by op --format json >"$_d/r$_n.json" \
			2>"$_d/r$_n.err" || fail "$_d: report of rank $_n exited $?"
	done
}

# ---- one GPU, both ranks on it -----------------------------------------------
d=$tmp/shared
JOB=41
job "$d" 100
$PY - "$d" <<'PYEOF' && ok "shared: the GPU's energy once over the ranks' union" || bad "shared: see above"
import json, sys
d = sys.argv[1]
j = json.load(open(d + "/job.json"))
alone = [json.load(open("%s/r%d.json" % (d, n))) for n in (0, 1)]
bad = 0
def check(label, got, want, tol):
    global bad
    good = abs(got - want) <= tol * abs(want)
    print("%s %s: %.6g vs %.6g (%+.3f%%)" % ("ok" if good else "FAIL:", label, got, want,
          100 * (got - want) / want if want else 0))
    bad += not good
nodes = j["job"]["nodes"]
if len(nodes) != 1 or not nodes[0]["counted_once"]:
    print("FAIL: nodes %r, want one, counted once" % nodes); sys.exit(1)
union = nodes[0]["duration_s"]
cov = [a["energy"]["duration_s"] for a in alone]
check("job energy = 100 W x union", j["totals"]["energy_j"], 100 * union, 1e-3)
check("node energy = the job's", nodes[0]["energy_j"], j["totals"]["energy_j"], 1e-9)
check("node's GPU energy = all of it (nvml only)", nodes[0]["gpu_j"], nodes[0]["energy_j"], 1e-9)
if nodes[0]["gpus"] != 1:
    print("FAIL: node gpus %r, not 1" % nodes[0]["gpus"]); bad += 1
for n in (0, 1):
    check("rank %d alone = 100 W x its time" % n, alone[n]["totals"]["energy_j"], 100 * cov[n], 1e-3)
if not (max(cov) - 1e-6 <= union < 0.8 * sum(cov)):
    print("FAIL: union %.4f s of %.4f + %.4f s: not overlapping ranks" % (union, cov[0], cov[1]))
    bad += 1
else:
    print("ok union %.4f s of ranks of %.4f and %.4f s (per trace: %.1f J, once: %.1f J)"
          % (union, cov[0], cov[1], 100 * sum(cov), 100 * union))
gemm = sum(r["energy_j"] for a in alone for r in a["rows"] if r["op"] == "cublasSgemm")
gpu_s = sum(r["gpu_s"] for a in alone for r in a["rows"] if r["op"] == "cublasSgemm")
merged = sum(r["energy_j"] for r in j["rows"] if r["op"] == "cublasSgemm")
if not merged <= 100 * gpu_s * 1.03:
    print("FAIL: SGEMMs %.3f J > 100 W x %.4f s" % (merged, gpu_s)); bad += 1
if abs(j["energy"]["closure"]["worst_residual_j"]) > 1e-6:
    print("FAIL: closure %r" % j["energy"]["closure"]); bad += 1
sys.exit(1 if bad else 0)
PYEOF

# ---- two GPUs, each rank its own CUDA_VISIBLE_DEVICES -------------------------
d=$tmp/renumbered
JOB=42
job "$d" 100,60 CUDA_VISIBLE_DEVICES=1 -- CUDA_VISIBLE_DEVICES=0,1
$PY - "$d" <<'PYEOF' && ok "renumbered: each GPU by its NVML name, once" || bad "renumbered: see above"
import json, sys
d = sys.argv[1]
j = json.load(open(d + "/job.json"))
alone = [json.load(open("%s/r%d.json" % (d, n))) for n in (0, 1)]
gpu_ns = [int(open("%s/out.%d" % (d, n)).read().split()[2]) / 1e9 for n in (0, 1)]
bad = 0
def check(label, got, want, tol):
    global bad
    good = abs(got - want) <= tol * abs(want)
    print("%s %s: %.6g vs %.6g (%+.3f%%)" % ("ok" if good else "FAIL:", label, got, want,
          100 * (got - want) / want if want else 0))
    bad += not good
union = j["job"]["nodes"][0]["duration_s"]
cov1 = alone[1]["energy"]["duration_s"]
want = 60 * union + 100 * cov1
check("job energy = 60 W x union + 100 W x rank 1's time", j["totals"]["energy_j"], want, 1e-3)
check("node energy", j["job"]["nodes"][0]["energy_j"], want, 1e-3)
check("node's GPU energy", j["job"]["nodes"][0]["gpu_j"], want, 1e-3)
if j["job"]["nodes"][0]["gpus"] != 2:
    print("FAIL: node gpus %r, not 2" % j["job"]["nodes"][0]["gpus"]); bad += 1
ranks = {r["rank"]: r for r in j["job"]["ranks"]}
for n, w in ((0, 60), (1, 100)):
    rows = [r for r in j["rows"] if r["op"] == "cublasSgemm" and r["rank"] == n]
    e = sum(r["energy_j"] for r in rows)
    check("rank %d's SGEMMs = %d W x their GPU time" % (n, w), e, w * gpu_ns[n], 0.03)
if abs(j["energy"]["closure"]["worst_residual_j"]) > 1e-6:
    print("FAIL: closure %r" % j["energy"]["closure"]); bad += 1
sys.exit(1 if bad else 0)
PYEOF

# ---- fit: each job one run, its GPUs counted once -----------------------------
"$OPC" fit "$tmp"/shared/run.rank*.opc "$tmp"/renumbered/run.rank*.opc --format json \
	>"$tmp/fit.json" 2>"$tmp/fit.err" || fail "fit exited $?: $(cat "$tmp/fit.err")"
$PY - "$tmp/fit.json" "$tmp/shared/job.json" "$tmp/renumbered/job.json" <<'PYEOF' &&
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
good = len(runs) == 2
if not good:
    print("FAIL: %d runs, not 2 (one per job)" % len(runs))
for run, rep in zip(runs, sys.argv[2:]):
    e = json.load(open(rep))["totals"]["energy_j"]
    ok = abs(run["measured"] - e) <= 1e-4 * e
    print("%s fit: run %s: %.6f J of the job's %.6f J" % ("ok" if ok else "FAIL:",
          run["path"].split("/")[-2], run["measured"], e))
    good &= ok
sys.exit(0 if good else 1)
PYEOF
	ok "fit: each job's run holds its GPUs' energy once" || bad "fit: see above"
finish

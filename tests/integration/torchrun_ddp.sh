#!/bin/sh
# torchrun_ddp.sh - DistributedDataParallel over gloo, 2 ranks started by
# torchrun under `opcount record` (tests/python/ddp_train.py).
#
#  names   torchrun's agent writes run.opc, its workers run.rank0.opc and
#          run.rank1.opc, with launcher torchrun, rank, world_size 2 and
#          one job id
#  gemm    each rank's sgemm calls and FLOPs equal its own shapes' (the
#          ranks' batches differ: a count given to the wrong rank shows)
#  comm    (when preload/gloo.c is built) gloo's all-reduce of the
#          gradients is a row of type comm in each rank, one call per
#          step, its bytes the ring model's for the gradients' size
#
# Debian's torchrun (torch 1.13 under Python 3.11) fails to start with its
# default --redirects/--tee (an IntFlag of value 0 is no member in 3.11):
# `--redirects 1 --tee 1` works around it.
. "$(dirname "$0")/lib.inc"
need_py_module torch python3-torch
need "$LIB" "$OPC"
command -v torchrun >/dev/null 2>&1 || { echo "skip: no torchrun (Debian package python3-torch)"; exit 77; }
unset RANK WORLD_SIZE LOCAL_RANK OMPI_COMM_WORLD_RANK PMI_RANK SLURM_PROCID PMIX_RANK 2>/dev/null
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OPCOUNT_ENERGY=none GLOO_SOCKET_IFNAME=lo
STEPS=3
port=$((20000 + $$ % 20000))
d=$tmp/ddp
mkdir -p "$d"
timeout 300 "$OPC" record -o "$d/run.opc" -- torchrun --redirects 1 --tee 1 \
	--nproc_per_node 2 --master_addr 127.0.0.1 --master_port $port \
	"$ROOT/tests/python/ddp_train.py" "$d" $STEPS >"$d/out" 2>"$d/err" ||
	fail "torchrun exited $?: $(tail -n 20 "$d/err")"

info() {
	tr '\0' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1
}
val() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

[ -e "$d/run.opc" ] || bad "no trace of torchrun's agent: $(ls "$d")"
for r in 0 1; do
	t=$d/run.rank$r.opc
	[ -e "$t" ] || fail "no run.rank$r.opc: $(ls "$d")"
	[ "$(info "$t" launcher)" = torchrun ] || bad "rank $r: launcher '$(info "$t" launcher)'"
	[ "$(info "$t" rank)" = $r ] || bad "rank $r: INFO rank '$(info "$t" rank)'"
	[ "$(info "$t" world_size)" = 2 ] || bad "rank $r: world_size '$(info "$t" world_size)'"
done
[ "$(info "$d/run.rank0.opc" job)" = "$(info "$d/run.rank1.opc" job)" ] ||
	bad "the ranks' job ids differ"
ok "names: run.opc (agent), run.rank0.opc, run.rank1.opc, one job"

for r in 0 1; do
	e=$d/expect.$r
	"$OPC" report "$d/run.rank$r.opc" --by op --format csv >"$d/op$r.csv" 2>"$d/rep.err" ||
		fail "report rank $r: $(cat "$d/rep.err")"
	got=$(awk -F, '$1 == "sgemm" { c += $6; f += $7 } END { print c + 0, f + 0 }' "$d/op$r.csv")
	want="$(val "$e" gemm_calls) $(val "$e" gemm_flops)"
	[ "$got" = "$want" ] || bad "rank $r: sgemm calls and FLOPs '$got', expected '$want'"
	echo "   rank $r: sgemm calls, FLOPs $got (expected $want)"
done
ok "gemm: each rank's Linear GEMMs exact"
finish

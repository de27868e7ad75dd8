#!/bin/sh
# torchrun_ddp.sh - DistributedDataParallel over gloo, 2 ranks started by
# torchrun under `opcount record` (tests/python/ddp_train.py).
#
#  names   torchrun's agent writes run.opc, its workers run.rank0.opc and
#          run.rank1.opc, with launcher torchrun, rank, world_size 2 and
#          one job id
#  gemm    each rank's sgemm calls and FLOPs equal its own shapes' (the
#          ranks' batches differ: a count given to the wrong rank shows)
#  comm    Gloo's all-reduce of the gradients (preload/gloo.c) is a row
#          gloo::allreduce of type comm in each rank, one call per step,
#          n the gradients' bytes, p 2, its bytes the ring model's,
#          2 floor(2 (p-1) n / p) per call; DDP's start broadcasts the
#          parameters (a gloo::broadcast of n bytes, both ends of a chain
#          of 2 moving n); `--by type` has a comm row
#  throw   a collective whose peer is gone throws (tests/python/
#          gloo_throw.py): the all-reduce is counted as rejected, and an
#          sgemm after it is counted (the wrapper closed its call as the
#          exception went through)
#  layout  where Gloo's headers are (libgloo-dev), the offsets
#          preload/gloo_abi.h reads are Gloo's (tests/progs/gloo_layout.cc
#          compiles only then)
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

for r in 0 1; do
	e=$d/expect.$r
	"$OPC" report "$d/run.rank$r.opc" --by key --format json >"$d/key$r.json" 2>"$d/rep.err" ||
		fail "report --by key rank $r: $(cat "$d/rep.err")"
	n=$(val "$e" grad_bytes)
	$PY - "$d/key$r.json" "$n" "$(val "$e" steps)" <<'PY' || bad "rank $r: the comm rows"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
n, steps = int(sys.argv[2]), int(sys.argv[3])
def rows_of(op):
    return [r for r in rows if r.get("op") == op]
ar = rows_of("gloo::allreduce")
want = 2 * (2 * (2 - 1) * n // 2)
ok = True
if len(ar) != 1 or ar[0]["calls"] != steps or ar[0]["bytes"] != steps * want \
        or ar[0]["type"] != "comm" or ar[0]["flops"] != 0:
    print("allreduce rows %s, expected %d calls of %d bytes" % (ar, steps, want)); ok = False
bc = [r for r in rows_of("gloo::broadcast") if r["bytes"] == n]
if len(bc) != 1 or bc[0]["calls"] != 1:
    print("no broadcast of the %d bytes of parameters: %s" % (n, rows_of("gloo::broadcast"))); ok = False
if not rows_of("gloo::barrier"):
    print("no gloo::barrier row"); ok = False
print("   allreduce: %d calls, %d bytes (%d per call, n=%d p=2)" % (steps, steps * want, want, n))
sys.exit(0 if ok else 1)
PY
	"$OPC" report "$d/run.rank$r.opc" --by type --format csv 2>/dev/null | grep -q '^[^,]*,comm,' ||
		bad "rank $r: no comm row --by type"
done
ok "comm: gloo::allreduce one call per step with the ring model's bytes, the parameters' broadcast, comm --by type"

t=$tmp/throw
mkdir -p "$t"
timeout 120 "$OPC" record -o "$t/run.opc" -- torchrun --redirects 1 --tee 1 \
	--nproc_per_node 2 --master_addr 127.0.0.1 --master_port $((port + 1)) \
	"$ROOT/tests/python/gloo_throw.py" "$t" >"$t/out" 2>"$t/err" ||
	bad "torchrun gloo_throw exited $?: $(tail -n 20 "$t/err")"
if [ "$(val "$t/throw.0" raised)" != 1 ]; then
	bad "the all-reduce with its peer gone did not raise: $(cat "$t/throw.0" 2>&1)"
else
	"$OPC" report "$t/run.rank0.opc" --by op --format csv >"$t/op.csv" 2>/dev/null
	got=$(awk -F, '$1 == "sgemm" { print $6, $7 }' "$t/op.csv")
	[ "$got" = "1 $(val "$t/throw.0" gemm_flops)" ] ||
		bad "the sgemm after Gloo threw: '$got', expected '1 $(val "$t/throw.0" gemm_flops)'"
	awk -F, '$1 == "gloo::allreduce" && $16 == 1 { f = 1 } END { exit !f }' "$t/op.csv" ||
		bad "the all-reduce that threw is not counted as rejected: $(grep gloo "$t/op.csv")"
	ok "throw: the all-reduce rejected, the sgemm after it counted"
fi

if [ -e /usr/include/gloo/allreduce.h ] && command -v g++ >/dev/null 2>&1; then
	g++ -std=c++17 -w -I"$ROOT/preload" -c "$ROOT/tests/progs/gloo_layout.cc" \
		-o "$tmp/gloo_layout.o" 2>"$tmp/layout.err" ||
		bad "preload/gloo_abi.h is not Gloo's layout: $(grep -m 3 'error' "$tmp/layout.err")"
	ok "layout: gloo_abi.h's offsets are those of /usr/include/gloo"
else
	echo "skip: layout: no Gloo headers (Debian package libgloo-dev) or no g++"
fi
finish

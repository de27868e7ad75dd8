#!/bin/sh
# energy_nvml.sh - GPU energy through NVML, against a fake libnvidia-ml.so.1
# (tests/fake/nvml.c, built here) whose GPUs draw a known power.
#
#   counter   OPCOUNT_ENERGY=nvml, one GPU at 150 W with the total-energy
#             counter: energy.source "nvml", measured, the total 150 W x
#             duration, each call site 150 W x busy_s (3%)
#   power     the same GPU without the counter (NVML_ERROR_NOT_SUPPORTED):
#             the library integrates the power readings; same checks
#   visible   two GPUs, 100 W and 250 W: all of them 350 W; with
#             CUDA_VISIBLE_DEVICES=1, or GPU 1's UUID, only 250 W
#   phases    the GPU's power follows the program's phases (A 120 W,
#             B 300 W, C 200 W): each layer gets its power x busy_s
#   absent    no NVML library with OPCOUNT_ENERGY=auto: not an error, no
#             message, another source; OPCOUNT_ENERGY=nvml: a message
#             that says NVML is not there, and the program still runs
#
# Every check runs; the script fails at the end if any did.
. "$(dirname "$0")/energy_common.inc"

CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || fail "no C compiler ($CC) to build the fake NVML: make test needs one"
NVML=$tmp/lib/libnvidia-ml.so.1
mkdir -p "$tmp/lib"
$CC -shared -fPIC -O2 -Wall -Wextra -fvisibility=hidden -Wl,-soname,libnvidia-ml.so.1 \
	-o "$NVML" "$ROOT/tests/fake/nvml.c" -lpthread 2>"$tmp/cc.err" ||
	fail "cannot build the fake NVML: $(cat "$tmp/cc.err")"

# gpu_run NAME SECS VAR=VALUE...: energy_work under the library with the
# fake NVML and no RAPL tree; DIR=$tmp/NAME
gpu_run() {
	d=$tmp/$1
	_s=$2
	shift 2
	mkdir -p "$d"
	traced "$d" "$_s" OPC_FAKE_PHASE= OPCOUNT_ENERGY=nvml OPCOUNT_NVML_LIBRARY="$NVML" "$@"
	report "$d" site
}

# total_is NAME WATTS: totals.energy_j is WATTS x energy.duration_s (the time
# the samples cover: from the baseline, the first call, to the last)
total_is() {
	_dur=$($CHECK_REPORT get "$d/site.json" energy.duration_s)
	if $CHECK_ENERGY "$d/site.json" --label "$1" --source nvml --measured true \
		--total "$(awk -v s="$_dur" -v w="$2" 'BEGIN { print w * s }')"; then
		ok "$1: total within 3% of $2 W x $_dur s"
	else
		bad "$1: total is not $2 W x duration within 3%"
	fi
}

sites_are() {	# NAME WATTS
	if $CHECK_ENERGY "$d/site.json" --label "$1" --power "$2"; then
		ok "$1: every call site within 3% of $2 W x busy_s"
	else
		bad "$1: a call site's energy is not $2 W x busy_s within 3%"
	fi
}

# ---- the energy counter, and power integration without it -------------
gpu_run counter 0.15 FAKE_NVML_WATTS=150
total_is counter 150
sites_are counter 150

gpu_run power 0.15 FAKE_NVML_WATTS=150 FAKE_NVML_NO_ENERGY=1
total_is power 150
sites_are power 150

# ---- CUDA_VISIBLE_DEVICES ---------------------------------------------
gpu_run all-gpus 0.05 FAKE_NVML_WATTS=100,250
total_is all-gpus 350
gpu_run visible-index 0.05 FAKE_NVML_WATTS=100,250 CUDA_VISIBLE_DEVICES=1
total_is visible-index 250
gpu_run visible-uuid 0.05 FAKE_NVML_WATTS=100,250 \
	CUDA_VISIBLE_DEVICES=GPU-fa4e0000-0000-4000-8000-000000000001
total_is visible-uuid 250

# ---- power that follows the program's phases ---------------------------
d=$tmp/phases
mkdir -p "$d"
dd if=/dev/zero of="$d/phase" bs=4096 count=1 2>/dev/null
traced "$d" 0.2 OPCOUNT_ENERGY=nvml OPCOUNT_NVML_LIBRARY="$NVML" \
	FAKE_NVML_WATTS=50/120/300/20/200
report "$d" layer
if $CHECK_ENERGY "$d/layer.json" --label phases --source nvml --measured true \
	--layer-power A=120 --layer-power B=300 --layer-power C=200 --program-busy "$d/out.txt"; then
	ok "phases: layers A, B, C within 3% of their power x busy_s"
else
	bad "phases: a layer's energy is not its power x busy_s within 3%"
fi

# ---- no NVML at all ----------------------------------------------------
d=$tmp/absent-auto
mkdir -p "$d"
traced "$d" 0.02 OPC_FAKE_PHASE= OPCOUNT_ENERGY=auto \
	OPCOUNT_NVML_LIBRARY="$tmp/lib/no-such-libnvidia-ml.so.1"
report "$d" site
src=$($CHECK_REPORT get "$d/site.json" energy.source)
[ "$src" != nvml ] || bad "absent-auto: energy.source is nvml without a library"
# (a CPU counter that does not move on this machine is worth one: not NVML's)
if grep -v 'warning: energy: .* did not move' "$d/err.txt" | grep -q .; then
	bad "absent-auto: a missing NVML with OPCOUNT_ENERGY=auto is not worth a message," \
	    "but stderr says: $(cat "$d/err.txt")"
else
	ok "absent-auto: no message, energy.source $src"
fi
if ! ldconfig -p 2>/dev/null | grep -q 'libnvidia-ml\.so\.1'; then
	d=$tmp/absent-default
	mkdir -p "$d"
	traced "$d" 0.02 OPC_FAKE_PHASE= OPCOUNT_ENERGY=auto OPCOUNT_NVML_LIBRARY=
	report "$d" site
	grep -v 'warning: energy: .* did not move' "$d/err.txt" | grep -q . &&
		bad "absent-default: stderr says: $(cat "$d/err.txt")"
	ok "absent-default: no libnvidia-ml.so.1 on this machine, no message"
fi
d=$tmp/absent-nvml
mkdir -p "$d"
traced "$d" 0.02 OPC_FAKE_PHASE= OPCOUNT_ENERGY=nvml \
	OPCOUNT_NVML_LIBRARY="$tmp/lib/no-such-libnvidia-ml.so.1"
report "$d" site
if grep -q "NVML" "$d/err.txt"; then
	ok "absent-nvml: asked for NVML, told it is not there"
else
	bad "absent-nvml: OPCOUNT_ENERGY=nvml without NVML says nothing: $(cat "$d/err.txt")"
fi
[ "$($CHECK_REPORT get "$d/site.json" energy.measured)" = false ] ||
	bad "absent-nvml: energy.measured is true without NVML"
finish

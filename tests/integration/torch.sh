#!/bin/sh
# torch.sh - Debian's PyTorch under the preload library, against the FLOPs
# of torch.profiler.profile(with_flops=True).
#
# tests/python/torch_models.py runs (a) an nn.Linear MLP and (b) a small
# CNN (Conv2d, ReLU, MaxPool2d, Linear), each forward only and forward +
# backward, with one thread and MKL-DNN off (every matrix product goes to
# sgemm_).  For each case three runs:
#   1. without the library, under the profiler: the reference, the sum of
#      event.flops over key_averages() (a SEPARATE run, so that neither
#      tool sees the other);
#   2. under the library, import and model only: the baseline (NumPy's
#      import calls cblas_sdot once);
#   3. under the library, the step.
# opcount's FLOPs for the step (run 3 minus run 2) must equal the
# reference exactly.  One known, exact difference is allowed and printed:
# torch 1.13's profiler counts no FLOPs for aten::convolution_backward,
# whose GEMMs the BLAS does all the same (weight gradient, and input
# gradient for a layer whose input requires grad, each as large as the
# forward product).  That amount, conv_backward_flops, is computed from
# the layer shapes, and is added to the reference only if the profiler
# reported no FLOPs for convolution_backward.
. "$(dirname "$0")/lib.inc"
MODELS=$ROOT/tests/python/torch_models.py
need_py_module torch python3-torch
need "$LIB" "$OPC"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

val() {	# FILE KEY
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

for model in mlp cnn; do
	for mode in infer train; do
		c=$model-$mode
		d=$tmp/$c
		mkdir "$d"
		"$PY" "$MODELS" $model $mode --profile >"$d/prof.txt" 2>"$d/prof.err" ||
			fail "$c: profiler run failed: $(tail -n 5 "$d/prof.err")"
		OPCOUNT_OUTPUT=$d/base.opc LD_PRELOAD=$LIB "$PY" "$MODELS" $model $mode --baseline \
			>/dev/null 2>"$d/base.err" || fail "$c: baseline run failed: $(tail -n 5 "$d/base.err")"
		OPCOUNT_OUTPUT=$d/step.opc LD_PRELOAD=$LIB "$PY" "$MODELS" $model $mode \
			>"$d/step.txt" 2>"$d/step.err" || fail "$c: run under the library failed: $(tail -n 5 "$d/step.err")"
		[ -s "$d/step.opc" ] || fail "$c: no trace: PyTorch's BLAS calls were not intercepted"

		base=0
		if [ -s "$d/base.opc" ]; then
			"$OPC" report "$d/base.opc" --format json >"$d/base.json" 2>"$d/rep.err" ||
				fail "$c: report of the baseline exited $?: $(cat "$d/rep.err")"
			base=$($CHECK get "$d/base.json" totals.flops)
		fi
		"$OPC" report "$d/step.opc" --by op --format json >"$d/step.json" 2>"$d/rep.err" ||
			fail "$c: report exited $?: $(cat "$d/rep.err")"
		$CHECK validate "$d/step.json" || fail "$c: report does not follow the JSON contract"
		total=$($CHECK get "$d/step.json" totals.flops)
		counted=$((total - base))

		ref=$(val "$d/prof.txt" profiler_flops)
		bwd=$(val "$d/step.txt" conv_backward_flops)
		[ -n "$ref" ] && [ -n "$bwd" ] || fail "$c: missing profiler_flops or conv_backward_flops"
		[ "$bwd" = "$(val "$d/prof.txt" conv_backward_flops)" ] ||
			fail "$c: the two runs disagree on the conv shapes"
		if [ "$bwd" = 0 ]; then
			want=$ref note="the profiler's count"
		elif grep -q '^profiler_op aten::convolution_backward ' "$d/prof.txt"; then
			want=$ref note="the profiler's count (convolution_backward included)"
		else
			want=$((ref + bwd))
			note="profiler $ref + convolution_backward $bwd it does not count"
		fi
		ops=$($CHECK rows "$d/step.json" op | awk '{ printf "%s%s:%s", s, $1, $3; s = " " }')
		if [ "$counted" != "$want" ]; then
			echo "$c: profiler ops: $(grep '^profiler_op' "$d/prof.txt" | cut -d' ' -f2- | tr '\n' ';')"
			echo "$c: opcount ops: $ops (baseline $base)"
			fail "$c: opcount counted $counted FLOPs, expected $want ($note); difference $((counted - want))"
		fi
		echo "ok $c: $counted FLOPs = $note [$ops]"
	done
done
echo "PyTorch counted exactly"

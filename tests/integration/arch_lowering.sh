#!/bin/sh
# arch_lowering.sh - architecture format version 2 lowered to the GEMMs
# and oneDNN convolutions torch 1.13 really runs, checked against
# measurement, layer by layer.
#
# tests/python/arch_lowering.py builds fifteen PyTorch models (a transformer
# encoder of 2 repeated nn.TransformerEncoderLayer between two Linear, one
# layer with a causal mask, a lone nn.MultiheadAttention too small for
# BLAS bmm, a 2-layer bidirectional LSTM between two Linear, a GRU without
# biases, an MLP with dropout, LayerNorm and SiLU, a LayerNorm before a
# Linear, a CNN with BatchNorm2d first, a convolution without bias, grouped,
# dilated, depthwise strided ones and adaptive pooling, an embedding before
# a Linear, cnnb1 and res below; a transformer decoder of 2
# nn.TransformerDecoderLayer with a causal self-attention and
# cross-attention over a memory, an nn.MultiheadAttention with kdim/vdim
# and a key and value apart, three cross-attentions over memories that
# require grad and over a key and value apart, an RMSNorm of one's own
# before a Linear), annotated with
# opcount_torch, and writes their version 2 architecture files with the
# modules' names.  It runs them under the library once for inference
# (eval, no_grad) and once for a training step (forward and backward).
# For each family, `opcount predict --arch --format json` lowers the file;
# every layer's sgemm calls, FLOPs and bytes must equal what `opcount
# report --by layer --format json` measured, exactly, forward ops against
# the inference run, all phases against the training step; no layer may be
# measured and not predicted or the other way round.  Those runs are
# oneDNN off, lowered by `predict --conv gemm`.  Again with oneDNN on
# (torch's default, predict's default lowering), on one intra-op thread
# (`--torch-threads 1`) and on two: every Conv2d torch gives oneDNN is
# checked row key by key, the convolution passes, the bias epilogues and
# the reorders (those of inputs into a blocked format may be missing where
# oneDNN's kernel reads the plain layout, except in the ResNet-style
# family, whose 16 channels take blocked kernels: exact there), every other
# layer as above.  Two more families: one image (cnnb1: a conv2d oneDNN
# leaves to slow_conv2d, a grouped and a 5x5 one it takes) and a small
# ResNet (res: Conv2d + BatchNorm2d + ReLU, two basic blocks with the
# residual add, a downsampling block whose shortcut is a strided 1x1 conv2d
# and a BatchNorm2d, a 1x1 head conv2d that oneDNN takes only on several
# threads).
. "$(dirname "$0")/lib.inc"
SCRIPT=$ROOT/tests/python/arch_lowering.py
need_py_module torch python3-torch
need "$LIB" "$OPC"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
FAMILIES="enc cenc tiny lstm gru mlp ln cnn emb cnnb1 res dec xkv xg rms"
NLAYERS=55

# any valid coefficients do: only the lowering's counts are compared
cat >"$tmp/c.json" <<'EOC'
{"opcount_coeffs": 1, "target": "energy", "unit": "J", "energy_source": "rapl",
 "energy_measured": true, "machine": {"cpu": "test"}, "model": "a",
 "models": {"a": {"per_flop": 1e-9, "per_type": {}, "per_call": 0, "static_w": 0}}}
EOC

for mode in infer train; do
	d=$tmp/$mode
	mkdir "$d"
	OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PY" "$SCRIPT" run --mode $mode --out "$d" \
		>"$d/out.txt" 2>"$d/err.txt" || fail "$mode: run under the library failed: $(tail -n 5 "$d/err.txt")"
	grep -q '^active 1$' "$d/out.txt" || fail "$mode: opcount_torch.active() is false under the library"
	"$OPC" report "$d/run.opc" --by layer --by key --format json >"$d/layer.json" 2>"$d/rep.err" ||
		fail "$mode: report exited $?: $(cat "$d/rep.err")"
	for f in $FAMILIES; do
		"$OPC" predict --coeffs "$tmp/c.json" --arch "$d/$f.json" --conv gemm --format json \
			>"$d/$f.predict.json" 2>"$d/p.err" || fail "$mode: predict --arch $f.json exited $?: $(cat "$d/p.err")"
	done
	"$PY" "$SCRIPT" check --mode $mode --report "$d/layer.json" --predict "$d" >"$d/check.txt" 2>&1 ||
		fail "$mode: lowering differs from measurement: $(grep -v '^ok' "$d/check.txt" | head -n 10)"
	grep -q "^layers $NLAYERS mismatches 0\$" "$d/check.txt" || fail "$mode: $(tail -n 1 "$d/check.txt")"
	ok "$mode: $NLAYERS layers, sgemm calls, FLOPs and bytes exactly as measured"
done

# torch's default, oneDNN on: every layer exactly as lowered, the
# convolutions torch gives oneDNN as its rows, key by key.  On one intra-op
# thread (`predict --torch-threads 1`: 14 convolutions in oneDNN, res.head,
# 1x1, in slow_conv2d; the downsample's 1x1 is strided: oneDNN), and on two
# (predict's default, several threads: res.head too, 15)
# Under the sanitizers, LeakSanitizer's own tracer dies stopping PyTorch's
# 2 threads at exit, with or without the library (torch_layers.sh says
# so): no leak check in the 2-thread runs; memory errors are still checked.
for run in "1 --torch-threads 1 14" "2 --torch-threads 2 15"; do
	set -- $run
	threads=$1 popt="$2 $3" nconv=$4
	# predict's default is several threads: the second run passes none
	[ "$threads" = 2 ] && popt=
	for mode in infer train; do
		d=$tmp/onednn$threads-$mode
		mkdir "$d"
		san=${ASAN_OPTIONS:-}
		[ -n "${SAN_RUNTIME:-}" ] && [ "$threads" = 2 ] && san="$san:detect_leaks=0"
		ASAN_OPTIONS=$san OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PY" "$SCRIPT" run --onednn --threads $threads \
			--mode $mode --out "$d" >"$d/out.txt" 2>"$d/err.txt" ||
			fail "oneDNN $threads $mode: run under the library failed: $(tail -n 5 "$d/err.txt")"
		"$OPC" report "$d/run.opc" --by layer --by key --format json >"$d/layer.json" \
			2>"$d/rep.err" || fail "oneDNN $threads $mode: report exited $?: $(cat "$d/rep.err")"
		for f in $FAMILIES; do
			"$OPC" predict --coeffs "$tmp/c.json" --arch "$d/$f.json" $popt --format json \
				>"$d/$f.predict.json" 2>"$d/p.err" ||
				fail "oneDNN $threads $mode: predict $f exited $?: $(cat "$d/p.err")"
		done
		"$PY" "$SCRIPT" check --mode $mode --report "$d/layer.json" --predict "$d" \
			--layout-exact res. >"$d/check.txt" 2>&1 ||
			fail "oneDNN $threads $mode: $(grep -v '^ok' "$d/check.txt" | head -n 10)"
		grep -q "^layers $NLAYERS mismatches 0\$" "$d/check.txt" ||
			fail "oneDNN $threads $mode: $(tail -n 1 "$d/check.txt")"
		n=$(grep -c ' onednn' "$d/check.txt")
		[ "$n" = $nconv ] ||
			fail "oneDNN $threads $mode: $n layers in oneDNN, expected $nconv: $(grep onednn "$d/check.txt")"
		ok "oneDNN on, $threads thread(s), $mode: $NLAYERS layers exactly as lowered, $nconv convolutions as oneDNN rows key by key"
	done
done

# what the lowering says torch does, as measured (calls of one layer):
#   attention, infer: in_proj + out_proj + 2 bmm x batch 3 x 4 heads = 26;
#   causal 2 + 2 x 2 x 2 = 10; tiny (S*S*dh = 64 < 400, no BLAS bmm) = 2
#   lstm, infer: 2 layers x 2 directions x (1 input projection + 7 steps) = 32
#   gru, train: 1 + 5 steps forward, 5 dW_hh + 4 dh + 1 dW_ih, no dx = 16
#   ln.1, train: forward, dW and dX (the LayerNorm before it learns) = 3
#   cnn.1 (behind a BatchNorm2d), train: 3 images x 3 = 9;
#   cnn.5 (depthwise), infer: 3 images x 6 groups = 18
#   emb.1 (behind an embedding, which learns), train: 3
#   oneDNN on, one thread: res.blocks.0.conv1, train: reorders of x, w in,
#   y out; dy, w in, dx out; x, dy in, dW out, and the 3 passes = 12; the
#   depthwise cnn.5, infer: 3 reorders + convolution + bias epilogue = 5;
#   cnnb1.0 (one image, 3x3, 256 inputs) is slow_conv2d's sgemm: 1
#   two threads: res.head (1x1, bias), infer: 3 reorders + 2 = 5
for want in "onednn1-train res.blocks.0.conv1 measured [12," "onednn1-infer cnn.5 measured [5," \
	    "onednn1-infer cnnb1.0 measured [1," "onednn2-infer res.head measured [5,"; do
	dir=${want%% *}
	grep -qF "ok ${dir#*-} ${want#* }" "$tmp/$dir/check.txt" || fail "expected '$want'"
done
ok "oneDNN: a pass and its reorders per convolution, slow_conv2d where torch 1.13 leaves it"
# the downsample's 1x1 conv2d (the residual's "shortcut"), oneDNN off,
# train: 2 images x (forward, dW, dX: the stem before the block learns) = 6
grep -qF "ok train res.blocks.2.downsample.0 measured [6," "$tmp/train/check.txt" ||
	fail "the shortcut's conv2d: $(grep -F res.blocks.2.downsample.0 "$tmp/train/check.txt")"
ok "a residual's shortcut lowered as measured: res.blocks.2.downsample.0, 6 sgemm in a training step"
for want in "train emb.1 measured [3," "train ln.1 measured [3," "train cnn.1 measured [9," "infer cnn.5 measured [18," \
	     "infer enc.encoder.layers.1.self_attn measured [26," \
	    "infer cenc.encoder.layers.0.self_attn measured [10," "infer tiny.attn measured [2," \
	    "infer lstm.lstm measured [32," "train gru.gru measured [16,"; do
	grep -qF "ok $want" "$tmp/${want%% *}/check.txt" || fail "expected '$want'"
done
ok "attention's bmm per sample and head (none below 400 multiply-adds), LSTM/GRU one GEMM per step, convolutions per image and group, norms learn"

# cross-attention (calls of one layer), as measured:
#   decoder multihead_attn, infer: q + kv (key is value: one addmm) + out_proj
#     + 2 bmm x batch 2 x 2 heads = 11; train: + out_proj dW, dX, 4 x 4 bmm,
#     q dW, dX, kv dW (the memory is data: no kv dX) = 32
#   xkv.attn (kdim 10, vdim 6: q, k, v apart), infer: 4 + 2 x 3 x 2 = 16
#   xg.a.attn (S*S_kv*dh = 400: BLAS bmm), infer: 4 + 2 x 2 x 2 = 12; train,
#     first layer (no q dX) but its memory requires grad (k dX, v dX): 35
#   xg.b.attn (5*4*4 = 80: no BLAS bmm), key and value apart: q, k, v, out = 4
#   xg.c.attn (key is value, 5*6*8 = 240), train: q, kv, out; out dW, dX;
#     q dW, dX; kv dW and, the memory requiring grad, kv dX = 9
#   rms.1 (behind an RMSNorm, which learns), train: 3
for want in "infer dec.dec.layers.1.multihead_attn measured [11," \
	    "train dec.dec.layers.0.multihead_attn measured [32," "infer xkv.attn measured [16," \
	    "infer xg.a.attn measured [12," "train xg.a.attn measured [35," \
	    "infer xg.b.attn measured [4," "train xg.c.attn measured [9," \
	    "train rms.1 measured [3,"; do
	grep -qF "ok $want" "$tmp/${want%% *}/check.txt" || fail "expected '$want'"
done
ok "cross-attention: q and kv projections apart (one kv addmm when key is value, three with kdim/vdim), bmm S x S_kv, memory's input gradient only when it requires grad; RMSNorm learns"

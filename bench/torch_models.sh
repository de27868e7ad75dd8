#!/bin/sh
# bench/torch_models.sh - issue 12's figures for Debian's PyTorch: a small
# CNN, a TransformerEncoder and an LSTM (bench/torch_models.py), at default
# settings (oneDNN on) but one intra-op thread, each trained with SGD:
#
#   FLOPs    one training forward of each model: torch.profiler's FLOPs
#            (with_flops=True, a run without the library) against what
#            opcount counts for the same forward (a run with it, the
#            forward in a region of its own); share = sum over op classes
#            (convolution, matrix products, elementwise) of
#            min(opcount, profiler), over the profiler's total
#   energy   the training loop under the library at a constant WATTS
#            (tests/progs/fake_rapl, OPCOUNT_ENERGY=rapl), the model
#            annotated with python/opcount_torch.py, the loss,
#            loss.backward() and the optimizer step in regions: share = energy of every row but
#            "(outside intercepted calls)" / (WATTS x the loop's wall time);
#            EREPS runs of each model, the median share and the range
#   time     the three training loops (2 warm-up steps, then the timed
#            steps) without LD_PRELOAD, with it (no annotation), and with
#            it and the energy runs' annotation (inert without the
#            library), REPS interleaved runs: ratios of the medians of
#            wall time to the one without
#
# The machine may be shared: the time ratio is only as good as the
# medians.  PY=other python3 with torch.
BUILD=${BUILD:-build}
REPS=${REPS:-7}
EREPS=${EREPS:-3}
WATTS=${WATTS:-35}
PY=${PY:-/usr/bin/python3}
DRIVER=bench/torch_models.py
FAKE=$BUILD/tests/progs/fake_rapl
if ! "$PY" -c "import torch" 2>/dev/null; then
	echo "PyTorch models: skipped, $PY has no torch (python3-torch)"
	exit 0
fi
if [ ! -x "$FAKE" ]; then
	echo "PyTorch models: skipped, $FAKE not built (make $FAKE)"
	exit 0
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
dir=$(mktemp -d)
fake=
trap '[ -n "$fake" ] && kill "$fake" 2>/dev/null; rm -rf "$dir"' EXIT
lib=$(readlink -f "$BUILD/libopcount.so")
opc=$BUILD/opcount
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
die() { echo "PyTorch models: $*" >&2; exit 1; }

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) on $(getconf _NPROCESSORS_ONLN) CPUs"
echo "PyTorch $("$PY" -c 'import torch; print(torch.__version__)'), oneDNN on" \
	"(torch.backends.mkldnn), one intra-op thread, CPU, float32"

# FLOPs: one forward each, under the profiler, then under the library
"$PY" $DRIVER profile >"$dir/prof.txt" 2>"$dir/err" || die "profile: $(tail -3 "$dir/err")"
OPCOUNT_ENERGY=none OPCOUNT_OUTPUT="$dir/c.opc" LD_PRELOAD="$lib" "$PY" $DRIVER count \
	2>"$dir/err" || die "count: $(tail -3 "$dir/err")"
"$opc" report "$dir/c.opc" --by key --format json >"$dir/c.json" || die "report of the count"
"$PY" $DRIVER flops "$dir/prof.txt" "$dir/c.json" >"$dir/flops.txt" || die "flops"
grep -v '^flops_share' "$dir/flops.txt"

# energy: each model's training loop at WATTS, annotated, EREPS times
for i in $(seq "$EREPS"); do
	for m in cnn transformer lstm; do
		d=$dir/e.$m.$i
		mkdir -p "$d"
		"$FAKE" -u 1000 -r "$d/ready" "$d/pc" package:0="$WATTS" 2>"$d/fake.err" &
		fake=$!
		n=0
		while [ ! -e "$d/ready" ]; do
			n=$((n + 1))
			[ $n -lt 500 ] || die "fake_rapl: no tree after 5 s: $(cat "$d/fake.err")"
			sleep 0.01
		done
		OPCOUNT_ENERGY=rapl OPCOUNT_POWERCAP_ROOT="$d/pc" OPCOUNT_OUTPUT="$d/t.opc" \
			LD_PRELOAD="$lib" "$PY" $DRIVER train "$m" --annotate >"$d/out" 2>"$d/err" ||
			die "train $m: $(tail -3 "$d/err")"
		kill "$fake"
		wait "$fake" 2>/dev/null
		fake=
		"$opc" report "$d/t.opc" --by path --format json >"$d/r.json" || die "report of $m"
		loop=$(awk '$1 == "loop" { print $3 }' "$d/out")
		echo "$m $loop $("$PY" $DRIVER energy "$d/r.json" "$loop" "$WATTS")" >>"$dir/energy.txt"
	done
done
echo "energy of the training loop at a constant $WATTS W (fake_rapl), annotated model, loss,"
echo "backward and optimizer step in regions; named = every row but (outside intercepted calls); $EREPS runs"
for m in cnn transformer lstm; do
	awk -v m=$m '$1 == m' "$dir/energy.txt" | sort -n -k4 >"$dir/energy.$m"
	# the median run by share, and the range of the shares
	sed -n "$(( (EREPS + 1) / 2 ))p" "$dir/energy.$m" >>"$dir/energy.med"
	awk -v lo="$(sed -n '1p' "$dir/energy.$m" | awk '{ print $4 }')" \
		-v hi="$(sed -n '$p' "$dir/energy.$m" | awk '{ print $4 }')" '{
		printf "  %-12s loop %.3f s: named rows %.2f J of %.2f J = %.1f%% (%.1f-%.1f%%),\n" \
			"  %-12s of which (other ops) %.2f J; worst closure residual %.2g\n",
			$1, $2, $6, $12, 100 * $4, 100 * lo, 100 * hi, "", $8, $16 }' \
		"$dir/energy.med" | tail -2
done

# time: interleaved runs of the three loops without the library, with it
# (no annotation) and with it and the annotation of the energy runs; the
# order of the three turns at every round
variant() {	# base | shim | ann
	case $1 in
	base) "$PY" $DRIVER loops ;;
	shim) OPCOUNT_OUTPUT="$dir/l.opc" LD_PRELOAD="$lib" "$PY" $DRIVER loops ;;
	ann) OPCOUNT_OUTPUT="$dir/l.opc" LD_PRELOAD="$lib" "$PY" $DRIVER loops --annotate ;;
	esac >>"$dir/$1" 2>"$dir/err" || die "loops ($1): $(tail -3 "$dir/err")"
}
: >"$dir/base"; : >"$dir/shim"; : >"$dir/ann"
for i in $(seq "$REPS"); do
	case $((i % 3)) in
	1) variant base; variant shim; variant ann ;;
	2) variant shim; variant ann; variant base ;;
	0) variant ann; variant base; variant shim ;;
	esac
done
echo "training loop time, medians of $REPS interleaved runs (min-max), default energy source;"
echo "wall time, and the process's CPU time (all threads: the library's collector too)"
for m in cnn transformer lstm; do
	for v in base shim ann; do
		awk -v m=$m '$2 == m { print $3 }' "$dir/$v" | sort -n >"$dir/$v.$m"
		awk -v m=$m '$2 == m { print $4 }' "$dir/$v" | median >"$dir/$v.$m.cpu"
	done
	b=$(median <"$dir/base.$m"); s=$(median <"$dir/shim.$m"); a=$(median <"$dir/ann.$m")
	bc=$(cat "$dir/base.$m.cpu"); sc=$(cat "$dir/shim.$m.cpu"); ac=$(cat "$dir/ann.$m.cpu")
	echo "$m $b $s $a $bc $sc $ac" >>"$dir/time.txt"
	awk -v m=$m -v b="$b" -v s="$s" -v a="$a" -v bc="$bc" -v sc="$sc" -v ac="$ac" \
		-v br="$(sed -n '1p;$p' "$dir/base.$m" | paste -sd-)" \
		-v sr="$(sed -n '1p;$p' "$dir/shim.$m" | paste -sd-)" \
		-v ar="$(sed -n '1p;$p' "$dir/ann.$m" | paste -sd-)" 'BEGIN {
		printf "  %-12s without %.3f s (%s), CPU %.3f s\n", m, b, br, bc
		printf "  %-12s with    %.3f s (%s), CPU %.3f s, no annotation: ratio %.3f (CPU %.3f)\n",
			"", s, sr, sc, s / b, sc / bc
		printf "  %-12s with    %.3f s (%s), CPU %.3f s, annotated:     ratio %.3f (CPU %.3f)\n",
			"", a, ar, ac, a / b, ac / bc }'
done

echo "summary (PyTorch, one thread): time = ratio of medians, with the library to without,"
echo "of the loop's wall time and of the process's CPU time, without and with the annotation"
printf "  %-12s %8s %8s %8s %8s %9s %9s\n" model FLOPs energy wall CPU "wall ann" "CPU ann"
for m in cnn transformer lstm; do
	f=$(awk -v m=$m '$1 == "flops_share" && $2 == m { print $3 }' "$dir/flops.txt")
	e=$(awk -v m=$m '$1 == m { print $4 }' "$dir/energy.med")
	awk -v m=$m -v f="$f" -v e="$e" '$1 == m {
		printf "  %-12s %7.2f%% %7.1f%% %8.3f %8.3f %9.3f %9.3f\n", m, 100 * f, 100 * e,
			$3 / $2, $6 / $5, $4 / $2, $7 / $5 }' "$dir/time.txt"
done

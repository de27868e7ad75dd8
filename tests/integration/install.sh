#!/bin/sh
# install.sh - an installed opcount reads the data installed with it
# (PREFIX/share/opcount, common/datadir.c), not the data of the tree it was
# built from, wherever the install is moved.
#
#   tool      `make install PREFIX=P`; P/share/opcount's carbon table is
#             changed (FRA at 11.111 g/kWh): P/bin/opcount predict reports
#             the changed value and names P/share/opcount as its source,
#             though the build tree's data/ is still there
#   moved     P moved to Q: Q/bin/opcount reads Q/share/opcount
#   library   Q/lib/libopcount.so (through Q/bin/opcount record) reads
#             Q/share/opcount's TDP table: this CPU planted at 123 W, the
#             estimate's note names 123 W
#   override  OPCOUNT_DATA_DIR still wins over the install
#   build     the build tree's binary still reads the source tree's data/
#
# Every check runs; the script fails at the end if any did.
. "$(dirname "$0")/lib.inc"
need "$OPC" "$LIB" "$B/tests/progs/blas_loop"

# the same build the tests run: a sanitizer build is named by its variable
case $BUILD in
build) san= ;;
build-asan) san=ASAN=1 ;;
build-asan-ubsan) san="ASAN=1 UBSAN=1" ;;
build-ubsan) san=UBSAN=1 ;;
build-tsan) san=TSAN=1 ;;
*) san=BUILD=$BUILD ;;
esac
# (run from `make test`: not a sub-make of it, so none of its flags)
# shellcheck disable=SC2086
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -C "$ROOT" install \
	PREFIX="$tmp/p" $san >"$tmp/make.out" 2>&1 ||
	fail "make install PREFIX=$tmp/p failed: $(tail -n 5 "$tmp/make.out")"
need "$tmp/p/bin/opcount" "$tmp/p/lib/libopcount.so" "$tmp/p/share/opcount/grid-carbon-intensity.csv" \
	"$tmp/p/share/doc/opcount/docs/design.md"
sed -i 's/^FRA,France,[^,]*,/FRA,France,11.111,/' "$tmp/p/share/opcount/grid-carbon-intensity.csv"
grep -q '^FRA,France,11.111,' "$tmp/p/share/opcount/grid-carbon-intensity.csv" ||
	fail "could not change FRA in the installed carbon table"
grep -q '^FRA,France,11.111,' "$ROOT/data/grid-carbon-intensity.csv" &&
	fail "the source tree's FRA is 11.111 already: the check would prove nothing"

# predict_fra NAME OPCOUNT [VAR=VALUE...]: the carbon of 1 kWh in France as
# that opcount sees it, into $tmp/NAME.json (and its stderr, with
# OPCOUNT_DEBUG=1, into $tmp/NAME.err)
predict_fra() {
	_n=$1 _o=$2
	shift 2
	env OPCOUNT_DEBUG=1 "$@" "$_o" predict --energy-kwh 1 --region FRA --pue 1 --format json \
		>"$tmp/$_n.json" 2>"$tmp/$_n.err" || fail "$_n: $_o predict exited $?: $(cat "$tmp/$_n.err")"
}
# expect NAME INTENSITY DIR: the prediction used INTENSITY from DIR
expect() {
	_g=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["carbon"]["intensity_g_per_kwh"])' \
		"$tmp/$1.json")
	_s=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["carbon"]["source"])' "$tmp/$1.json")
	case $_s in
	"$3/grid-carbon-intensity.csv:"*) ;;
	*) bad "$1: the carbon table read is not $3's: $_s"; return ;;
	esac
	if [ "$_g" = "$2" ]; then
		ok "$1: FRA $_g g/kWh from $3"
	else
		bad "$1: FRA is $_g g/kWh, not $2 (from $3)"
	fi
}

need_py
real=$(cd "$tmp" && pwd -P)
predict_fra tool "$tmp/p/bin/opcount"
expect tool 11.111 "$real/p/share/opcount"
grep -q "data directory $real/p/share/opcount (installed)" "$tmp/tool.err" ||
	bad "tool: OPCOUNT_DEBUG=1 does not say the installed data is used: $(cat "$tmp/tool.err")"

mv "$tmp/p" "$tmp/q"
predict_fra moved "$tmp/q/bin/opcount"
expect moved 11.111 "$real/q/share/opcount"

predict_fra override "$tmp/q/bin/opcount" OPCOUNT_DATA_DIR="$ROOT/data"
expect override "$(awk -F, '$1 == "FRA" { print $3 }' "$ROOT/data/grid-carbon-intensity.csv")" "$ROOT/data"

predict_fra build "$OPC"
expect build "$(awk -F, '$1 == "FRA" { print $3 }' "$ROOT/data/grid-carbon-intensity.csv")" \
	"$(cd "$ROOT/data" && pwd -P)"

# the library, which reads the TDP table for the estimate energy source
model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
case $model in
"" | *,*)
	echo "note: no usable CPU model name in /proc/cpuinfo; the library's check is left out"
	finish ;;
esac
printf 'Name,TDP\n%s,123\n' "$model" >"$tmp/q/share/opcount/cpu-tdp-watts.csv"
OPCOUNT_DEBUG=1 "$tmp/q/bin/opcount" record -o "$tmp/lib.opc" --energy estimate -- \
	"$B/tests/progs/blas_loop" 200 0 >"$tmp/lib.out" 2>"$tmp/lib.err" ||
	fail "library: $tmp/q/bin/opcount record exited $?: $(tail -n 5 "$tmp/lib.err")"
"$tmp/q/bin/opcount" report "$tmp/lib.opc" --format json >"$tmp/lib.json" 2>"$tmp/rep.err" ||
	fail "library: report exited $?: $(cat "$tmp/rep.err")"
note=$($CHECK get "$tmp/lib.json" energy.note)
case $note in
*"123 W"*"$model"*) ok "library: the estimate used the installed TDP table: $note" ;;
*) bad "library: the estimate's note does not name the installed table's 123 W: $note" ;;
esac
grep -q "data directory $real/q/share/opcount (installed)" "$tmp/lib.err" ||
	bad "library: OPCOUNT_DEBUG=1 does not say the installed data is used"
finish

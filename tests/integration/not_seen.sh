#!/bin/sh
# not_seen.sh - libraries whose work opcount does not see are named in the
# report's header, once, with their path (analysis/unseen.c).
#
# blas_calls runs with stand-in libraries preloaded beside the library
# (empty shared objects named libfftw3.so.3, libcudnn.so.8 and
# libcudnn.so.9): the trace lists every module loaded at the end, and the
# report of two such traces says "not seen" for FFTW and for cuDNN 8 (a
# major version the wrappers do not follow), once each, and not for cuDNN
# 9; JSON not_seen has the same two; a run without them has none.
. "$(dirname "$0")/lib.inc"
need "$LIB" "$OPC" "$B/tests/progs/blas_calls"
command -v cc >/dev/null || { echo "SKIP: no C compiler to build the stand-in libraries"; exit 0; }

echo 'int opcount_test_standin;' >"$tmp/s.c"
for n in libfftw3.so.3 libcudnn.so.8 libcudnn.so.9; do
	mkdir -p "$tmp/$n.d"
	cc -shared -fPIC -o "$tmp/$n.d/$n" "$tmp/s.c" || fail "cannot build $n"
done
pre="$LIB:$tmp/libfftw3.so.3.d/libfftw3.so.3:$tmp/libcudnn.so.8.d/libcudnn.so.8:$tmp/libcudnn.so.9.d/libcudnn.so.9"
for i in 1 2; do
	OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none OPCOUNT_OUTPUT="$tmp/t$i.opc" LD_PRELOAD="$pre" \
		"$B/tests/progs/blas_calls" >/dev/null 2>"$tmp/err" || fail "blas_calls exited $?: $(cat "$tmp/err")"
done
"$OPC" report "$tmp/t1.opc" "$tmp/t2.opc" >"$tmp/r.txt" 2>&1 || fail "report exited $?: $(cat "$tmp/r.txt")"
n=$(grep -c "^#   not seen: $tmp/libfftw3.so.3.d/libfftw3.so.3 (FFTW: " "$tmp/r.txt")
[ "$n" = 1 ] || bad "FFTW named $n times in the header, expected once: $(grep 'not seen' "$tmp/r.txt")"
n=$(grep -c "^#   not seen: $tmp/libcudnn.so.8.d/libcudnn.so.8 (cuDNN 8: opcount follows cuDNN 9" "$tmp/r.txt")
[ "$n" = 1 ] || bad "cuDNN 8 named $n times in the header, expected once: $(grep 'not seen' "$tmp/r.txt")"
grep -q "not seen: .*libcudnn.so.9" "$tmp/r.txt" && bad "cuDNN 9, which the wrappers follow, is named"
[ "$(grep -c 'not seen' "$tmp/r.txt")" = 2 ] || bad "other lines: $(grep 'not seen' "$tmp/r.txt")"
"$OPC" report "$tmp/t1.opc" "$tmp/t2.opc" --format json >"$tmp/r.json" || fail "report --format json"
"$PY" -c 'import json, sys
ns = json.load(open(sys.argv[1]))["not_seen"]
sys.exit(0 if sorted(x["path"].rsplit("/", 1)[1] for x in ns) == ["libcudnn.so.8", "libfftw3.so.3"] else 1)' \
	"$tmp/r.json" || bad "JSON not_seen: $(cat "$tmp/r.json" | head -c 600)"
[ "$nbad" = 0 ] && ok "header and JSON name FFTW and cuDNN 8, once each in two traces, not cuDNN 9"

OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none OPCOUNT_OUTPUT="$tmp/p.opc" LD_PRELOAD="$LIB" \
	"$B/tests/progs/blas_calls" >/dev/null 2>&1 || fail "blas_calls alone exited $?"
"$OPC" report "$tmp/p.opc" >"$tmp/p.txt" 2>&1 || fail "report of the plain run"
if grep -q "not seen" "$tmp/p.txt"; then
	bad "a BLAS-only run names libraries: $(grep 'not seen' "$tmp/p.txt")"
else
	ok "a BLAS-only run names none"
fi
finish

#!/bin/sh
# tests/sanitize.sh - the tests under the sanitizers (make check-sanitize),
# and one summary line at the end, as make test prints.
#
#   ASAN_BUILD=build-asan-ubsan TSAN_BUILD=build-tsan tests/sanitize.sh
#
# 1. Every unit and integration test on the ASan+UBSan build (make ASAN=1
#    UBSAN=1): the library, opcount and the unit tests instrumented, the
#    test programs plain.  A program not built with ASan can load the ASan
#    build of the library only behind the ASan runtime: LD_PRELOAD names
#    the runtime first (tests/integration/lib.inc: SAN_RUNTIME; opcount
#    record does it itself in a sanitizer build).  The tests that cannot
#    run so are skipped, with the reason, by tests/sanitize/asan.skip.
# 2. The tests whose programs start threads on the TSan build (make
#    TSAN=1), the same way, with tests/sanitize/tsan.supp.
#
# Any sanitizer report ends the process that made it with exit status 66,
# which fails its test (UBSan does not recover: -fno-sanitize-recover=all),
# and goes to a file of its own in $ASAN_BUILD/logs/ or $TSAN_BUILD/logs/,
# named by the program and its pid: a report from a process whose status
# no test checks fails the run too, and every one is printed at the end.
# Suppressed (tests/sanitize/lsan.supp, tsan.supp) is only what is not
# opcount's, each with the reason.  The runtimes come with gcc (Debian's
# libgcc-12-dev depends on libasan8, libubsan1 and libtsan2).
ASAN_BUILD=${ASAN_BUILD:-build-asan-ubsan}
TSAN_BUILD=${TSAN_BUILD:-build-tsan}
CC=${CC:-cc}
# The tests that start threads: their programs (tests/progs/threads.c,
# collector_stress.c, many_keys.c, tests/gpu/gpu_threads.c, nvtx_layers.c)
# and the collector thread, which every preloaded run has; energy_stalled
# for the collector's energy sampling.  Not fork_exec: the library starts
# its collector again in the forked child of a process with threads, which
# TSan does not follow ("starting new threads after multi-threaded fork is
# not supported. Dying"; with die_after_fork=0, "dup thread with used id").
# Not record: TSan runs a signal handler only at the next intercepted call,
# so opcount record, waiting in waitpid, never forwards a SIGTERM.  Not
# torch_layers: TSan reports races inside PyTorch, whose OpenMP (libgomp)
# synchronises where TSan does not see it.  The other tests pass under
# TSan without a report (all of them: 13 minutes), but for timing
# (energy_rapl, energy_rapl_domains, gpu_cudart assume a plain build).
TSAN_TESTS=${TSAN_TESTS:-"integration/threads integration/collector_stress
	integration/many_keys integration/gpu_threads integration/gpu_nvtx
	integration/energy_stalled"}
# The simulated GPU's clock counts the host's time between a call's start
# event and its kernel while its stream is idle: many times slower under a
# sanitizer, that time takes gpu_threads past its 0.5% on the GPU time
# (a thread's ring lost or counted twice, 12% or more, still fails at 5%).
export GPU_TIME_TOLERANCE=0.05

# runtime NAME: the file of the sanitizer runtime the compiler links
runtime() {
	_f=$("$CC" -print-file-name="$1") && _f=$(readlink -f "$_f") && [ -f "$_f" ] ||
		{ echo "tests/sanitize.sh: $CC has no $1 (it comes with gcc)" >&2; exit 1; }
	echo "$_f"
}

rm -rf "$ASAN_BUILD/logs" "$TSAN_BUILD/logs"
mkdir -p "$ASAN_BUILD/logs" "$TSAN_BUILD/logs" || exit 1
alogs=$(cd "$ASAN_BUILD/logs" && pwd)
tlogs=$(cd "$TSAN_BUILD/logs" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s)

echo "== ASan+UBSan ($ASAN_BUILD): unit and integration tests"
SAN_RUNTIME=$(runtime libasan.so) || exit 1
# Leaks are checked (LSan) in every process the runtime is in, but for
# what tests/sanitize/lsan.supp says.  verify_asan_link_order=0: record.sh
# runs opcount itself (an ASan program) with libm preloaded before the
# runtime; a library that replaces no allocator function, so harmless.
ASAN_OPTIONS="halt_on_error=1:exitcode=66:verify_asan_link_order=0:log_path=$alogs/asan:log_exe_name=1" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=66:log_path=$alogs/ubsan:log_exe_name=1" \
LSAN_OPTIONS="suppressions=$(pwd)/tests/sanitize/lsan.supp:print_suppressions=0" \
SAN_RUNTIME=$SAN_RUNTIME SKIP=tests/sanitize/asan.skip BUILD=$ASAN_BUILD \
	sh tests/run.sh | tee "$out"
asan=$(tail -n 1 "$out")

echo "== TSan ($TSAN_BUILD): the tests that start threads"
SAN_RUNTIME=$(runtime libtsan.so) || exit 1
TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:log_path=$tlogs/tsan:log_exe_name=1:suppressions=$(pwd)/tests/sanitize/tsan.supp" \
SAN_RUNTIME=$SAN_RUNTIME BUILD=$TSAN_BUILD \
	sh tests/run.sh $TSAN_TESTS | tee "$out"
tsan=$(tail -n 1 "$out")

# the two summaries ("N passed, N failed, N skipped") added up (one that
# is not such a line is a failure), and one failure more for the reports
p=0 f=0 s=0
for sum in "$asan" "$tsan"; do
	case $sum in
	*" passed, "*" failed, "*" skipped")
		set -- $sum
		p=$((p + $1)) f=$((f + $3)) s=$((s + $5)) ;;
	*)	f=$((f + 1)) ;;
	esac
done
# (a file that names no sanitizer holds a warning, e.g. LSan's about the
# threads of a forked child's parent: not a failure)
reports=$(grep -l 'Sanitizer' -r "$alogs" "$tlogs" | sort)
if [ -n "$reports" ]; then
	for r in $reports; do
		echo "== sanitizer report $r"
		head -n 60 "$r"
	done
	echo "FAIL  sanitizer reports: $(echo "$reports" | wc -l) (above)"
	f=$((f + 1))
fi
echo "asan+ubsan: $asan; tsan: $tsan; $(( $(date +%s) - start )) s"
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]

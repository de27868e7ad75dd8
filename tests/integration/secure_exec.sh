#!/bin/sh
# secure_exec.sh - a setuid program run by an unprivileged user, with the
# library preloaded the one way glibc preloads in secure-execution mode
# (AT_SECURE): /etc/ld.so.preload.  The library must then read no
# environment variable and load nothing a user names: it does nothing at
# all, and says nothing.
#
# The preload file is made in a private mount namespace (an overlay on
# /etc that only this test's processes see), so the machine's /etc is
# never touched.  The setuid program is a root-owned copy of
# tests/progs/blas_calls, run as nobody (65534) with every OPCOUNT_*
# variable an attacker would set:
#   OPCOUNT_OUTPUT        a root-owned file: it must stay as it is
#   OPCOUNT_NVML_LIBRARY  a library whose constructor leaves a mark: it
#   (OPCOUNT_ENERGY=nvml) must not be loaded
#   OPCOUNT_DEBUG, OPCOUNT_REPORT  must print nothing
#   OPCOUNT_DATA_DIR      must not be read
# and its stdout must be the one of a run without the library.
#
# Two controls show that the test tests something: a setuid copy of cat
# prints its own /proc/self/maps (the library is mapped in the secure
# process), and a copy of the program without the setuid bit, run the
# same way, writes its trace (the preload works in the namespace, and the
# library obeys the environment where the process is not privileged).
#
# Skips (77) where it cannot be made: not root, or no mount namespace or
# overlay (a container without CAP_SYS_ADMIN).
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/blas_calls
need "$LIB" "$OPC" "$PROG"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || fail "no C compiler ($CC) to build the NVML bait: make test needs one"

[ "$(id -u)" = 0 ] || { echo "skip: making a setuid-root program needs root"; exit 77; }
# every path the unprivileged user execs or the preload reads must be
# reachable by it
chmod 755 "$tmp"
d=$tmp/s
mkdir -m 755 "$d" "$d/up" "$d/work" || fail "mkdir"
mkdir -m 1777 "$d/w"
libabs=$(readlink -f "$LIB")
(
	p=$(dirname "$libabs")
	while [ "$p" != / ]; do
		[ -x "$p" ] || exit 1
		p=$(dirname "$p")
	done
) || fail "the unprivileged user cannot reach $libabs"

unshare -m sh -c "mount --make-rprivate / && mount -t overlay overlay \
	-o lowerdir=/etc,upperdir=$d/up,workdir=$d/work /etc" 2>"$tmp/ns.err" || {
	echo "skip: no private mount namespace with an overlay on /etc here" \
		"(needs CAP_SYS_ADMIN): $(head -n 1 "$tmp/ns.err")"
	exit 77
}
rm -rf "$d/up" "$d/work"
mkdir -m 755 "$d/up" "$d/work"

cp "$PROG" "$d/prog" && chown root:root "$d/prog" && chmod 4755 "$d/prog" || fail "setuid copy"
cp "$PROG" "$d/prog-plain" && chmod 755 "$d/prog-plain" || fail "plain copy"
cp "$(command -v cat)" "$d/cat" && chown root:root "$d/cat" && chmod 4755 "$d/cat" ||
	fail "setuid cat"
printf 'precious root data\n' >"$d/victim"
chmod 644 "$d/victim"
cat >"$d/bait.c" <<EOF
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void bait(void)
{
	FILE *f = fopen("$d/w/pwned", "w");
	if (f) { fprintf(f, "loaded with euid %d\n", (int)geteuid()); fclose(f); }
}
EOF
$CC -shared -fPIC -o "$d/bait.so" "$d/bait.c" || fail "cannot build the NVML bait"
chmod 755 "$d/bait.so"

# the reference: no library at all
OPENBLAS_NUM_THREADS=1 "$PROG" >"$tmp/want.out" 2>"$tmp/want.err" ||
	fail "blas_calls alone exited $?: $(cat "$tmp/want.err")"

# in_ns CMD...: CMD as nobody, /etc/ld.so.preload naming the library
cat >"$d/ns.sh" <<EOF
mount --make-rprivate / &&
mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/up,workdir=$d/work /etc &&
echo "$libabs" >/etc/ld.so.preload || exit 100
exec setpriv --reuid=65534 --regid=65534 --clear-groups "\$@"
EOF
in_ns() {
	unshare -m sh "$d/ns.sh" "$@"
}
export OPENBLAS_NUM_THREADS=1

# control 1: the library is mapped in a secure process
in_ns "$d/cat" /proc/self/maps >"$tmp/maps" 2>"$tmp/maps.err"
rc=$?
[ $rc = 100 ] && fail "cannot set up /etc/ld.so.preload in the namespace: $(cat "$tmp/maps.err")"
[ $rc = 0 ] || fail "setuid cat exited $rc: $(cat "$tmp/maps.err")"
grep -q "$(basename "$libabs")" "$tmp/maps" ||
	fail "the library is not mapped in the setuid process: the test proves nothing"
ok "the library is loaded into the setuid process (/etc/ld.so.preload)"

# control 2: not setuid, the library counts and obeys the environment
in_ns env OPCOUNT_OUTPUT="$d/w/plain.opc" OPCOUNT_ENERGY=none "$d/prog-plain" \
	>"$tmp/plain.out" 2>"$tmp/plain.err" ||
	fail "the plain copy exited $?: $(cat "$tmp/plain.err")"
[ -s "$d/w/plain.opc" ] || fail "the plain copy wrote no trace: the preload does not work here"
calls=$("$OPC" report "$d/w/plain.opc" --format json | $PY -c \
	'import json, sys; print(json.load(sys.stdin)["totals"]["calls"])') ||
	fail "cannot report the plain copy's trace"
[ "$calls" -gt 0 ] || fail "the plain copy's trace counts no call"
ok "not setuid: the library counts ($calls calls) and obeys OPCOUNT_OUTPUT"

# the attack
in_ns env OPCOUNT_OUTPUT="$d/victim" OPCOUNT_ENERGY=nvml OPCOUNT_NVML_LIBRARY="$d/bait.so" \
	OPCOUNT_DEBUG=3 OPCOUNT_REPORT=1 OPCOUNT_DATA_DIR="$d/w" "$d/prog" \
	>"$tmp/sec.out" 2>"$tmp/sec.err"
rc=$?
[ $rc = 0 ] || bad "the setuid program exited $rc under the library: $(head -n 5 "$tmp/sec.err")"
[ "$(cat "$d/victim")" = "precious root data" ] &&
	ok "OPCOUNT_OUTPUT ignored: the root-owned file is unchanged" ||
	bad "OPCOUNT_OUTPUT obeyed in a setuid program: $d/victim is now" \
		"$(wc -c <"$d/victim") bytes"
[ -e "$d/w/pwned" ] &&
	bad "OPCOUNT_NVML_LIBRARY loaded in a setuid program: $(cat "$d/w/pwned")" ||
	ok "OPCOUNT_NVML_LIBRARY not loaded"
cmp -s "$tmp/want.out" "$tmp/sec.out" &&
	ok "the program's output is unchanged" ||
	bad "the setuid program's output differs from a run without the library"
[ -s "$tmp/sec.err" ] &&
	bad "the library spoke in a setuid program (OPCOUNT_DEBUG/OPCOUNT_REPORT obeyed):" \
		"$(head -n 3 "$tmp/sec.err")" ||
	ok "nothing on stderr"
ls "$d"/*.opc "$d"/w/*.opc 2>/dev/null | grep -v plain.opc >"$tmp/traces"
[ -s "$tmp/traces" ] && bad "traces written by the setuid program: $(cat "$tmp/traces")" ||
	ok "no trace written"
finish

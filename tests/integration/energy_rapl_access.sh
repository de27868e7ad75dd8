#!/bin/sh
# energy_rapl_access.sh - RAPL counters that exist but cannot be read.
#
# Since Linux 5.10 energy_uj is readable by root only.  A synthetic tree
# whose energy_uj files are mode 0400 and owned by root is read by the
# traced program running as another user (as root here: setpriv to
# nobody; as a user: the files are made mode 0000 instead).  Then:
#
#   auto   the library falls back to the estimate, saying so on stderr
#          with the file that could not be read and how to grant access;
#          the report says energy.source "estimate", measured false
#   rapl   asked for by name: the same explanation, nothing measured
. "$(dirname "$0")/energy_common.inc"

if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null 2>&1 ||
		fail "setpriv is missing (Debian's util-linux, always installed; it runs the program as nobody)"
	AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	mode=0400
	$AS true 2>/dev/null ||
		{ echo "skip: setpriv cannot switch to nobody here"; exit 77; }
else
	AS=
	mode=0000
fi
chmod 0755 "$tmp"

# run_denied NAME OPCOUNT_ENERGY-value
run_denied() {
	d=$tmp/$1
	start_fake "$d" package:0=30 core:0=10 dram:0=5
	chmod "$mode" "$d"/pc/*/energy_uj
	chmod 0777 "$d"
	# nobody may read the tree's directories and names, not energy_uj
	if [ -n "$AS" ] && $AS cat "$d/pc/intel-rapl:0/energy_uj" >/dev/null 2>&1; then
		fail "$1: nobody can still read energy_uj; cannot test"
	fi
	$AS env OPENBLAS_NUM_THREADS=1 OPC_FAKE_PHASE="$d/phase" OPCOUNT_ENERGY="$2" \
		OPCOUNT_POWERCAP_ROOT="$d/pc" OPCOUNT_OUTPUT="$d/t.opc" \
		OPCOUNT_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1 \
		LD_PRELOAD="$LIB" "$WORK" 0.05 >"$d/out.txt" 2>"$d/err.txt" ||
		fail "$1: energy_work exited $?: $(cat "$d/err.txt")"
	stop_fake
	report "$d" site
	if grep -q "$d/pc/intel-rapl:[0-9:]*/energy_uj" "$d/err.txt" &&
	   grep -q "chmod\|udev" "$d/err.txt"; then
		ok "$1: stderr names the file and how to grant access"
	else
		bad "$1: stderr does not name an unreadable energy_uj under $d/pc and how to" \
		    "grant access; it says: $(cat "$d/err.txt")"
	fi
	[ "$(grep -c . "$d/err.txt")" -le 1 ] ||
		bad "$1: the explanation should be said once: $(cat "$d/err.txt")"
	src=$($CHECK_REPORT get "$d/site.json" energy.source)
	meas=$($CHECK_REPORT get "$d/site.json" energy.measured)
	[ "$meas" = false ] || bad "$1: energy.measured is $meas with unreadable counters"
}

run_denied auto auto
src=$($CHECK_REPORT get "$d/site.json" energy.source)
if [ "$src" = estimate ]; then
	ok "auto: energy.source estimate"
elif [ "$src" = perf ] && [ -e /sys/bus/event_source/devices/power ]; then
	ok "auto: energy.source perf (this machine has a readable perf power PMU)"
else
	bad "auto: energy.source is $src, expected estimate"
fi
grep -q "estimate" "$d/err.txt" || bad "auto: stderr does not say it falls back to the estimate"
$CHECK_ENERGY "$d/site.json" --label auto --measured false >/dev/null ||
	bad "auto: the estimate's energy figures are not sane"

run_denied rapl rapl
src=$($CHECK_REPORT get "$d/site.json" energy.source)
[ "$src" != rapl ] || bad "rapl: energy.source is rapl although nothing could be read"
ok "rapl: energy.source $src"
finish

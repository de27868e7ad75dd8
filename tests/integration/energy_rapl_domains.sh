#!/bin/sh
# energy_rapl_domains.sh - which RAPL zones make the total, and counter
# wrap-around, against synthetic powercap trees (tests/progs/fake_rapl).
#
#   wrap      package 50 W + dram 5 W with max_energy_range_uj = 5 J,
#             starting just below it: the package counter wraps every
#             0.1 s, several times in the run (never twice between two
#             10 ms samples); the total is still 55 W x duration, every
#             key gets 55 W x busy_s, and nothing is negative
#   core      package 20 W with core 15 W and uncore 3 W inside it, dram
#             4 W beside it: the total is 24 W (core and uncore not added)
#   psys      the same plus psys 40 W: psys alone is the total, 40 W
#   two-pkg   package-0 20 W + dram 4 W, package-1 30 W + dram 6 W: 60 W
#   lockstep  package-0 30 W and package-1 whose energy_uj has the same
#             contents at every update (one counter exposed per die), dram
#             5 W: 35 W, the mirror counted once; and again with the
#             mirror one update behind its package, as when the two
#             copies are read on either side of an update (on hardware,
#             where the counter moves every ~1 ms and two preads are
#             microseconds apart, a run of some seconds has such samples,
#             and when the first one does, the baselines differ for good)
#
# Totals within 3% of power x the report's energy.duration_s.  Every check runs;
# the script fails at the end if any did.
. "$(dirname "$0")/energy_common.inc"

# total_is NAME DIR WATTS: totals.energy_j is WATTS x energy.duration_s (the
# time the samples cover: from the baseline, the first call, to the last)
total_is() {
	_dur=$($CHECK_REPORT get "$2/site.json" energy.duration_s)
	if $CHECK_ENERGY "$2/site.json" --label "$1" --source rapl --measured true \
		--total "$(awk -v s="$_dur" -v w="$3" 'BEGIN { print w * s }')"; then
		ok "$1: total within 3% of $3 W x $_dur s"
	else
		bad "$1: total is not $3 W x duration within 3%"
	fi
}

# ---- wrap-around --------------------------------------------------------
d=$tmp/wrap
start_fake "$d" -m 5000000 -s 4500000 package:0=50 dram:0=5
traced "$d" 0.15 OPCOUNT_ENERGY=rapl
stop_fake
report "$d" site
w=$(truth "$d" wraps)
if [ "${w:-0}" -ge 4 ]; then
	ok "wrap: the counters wrapped $w times during the run"
else
	bad "wrap: the counters wrapped only ${w:-0} times; the test needs several"
fi
total_is wrap "$d" 55
if $CHECK_ENERGY "$d/site.json" --label wrap --power 55; then
	ok "wrap: every call site within 3% of 55 W x busy_s, nothing negative"
else
	bad "wrap: a call site's energy is wrong or negative across wraps"
fi

# ---- core and uncore are inside the package ----------------------------
d=$tmp/core
start_fake "$d" package:0=20 core:0=15 uncore:0=3 dram:0=4
traced "$d" 0.1 OPCOUNT_ENERGY=rapl
stop_fake
report "$d" site
total_is core "$d" 24

# ---- psys is the total --------------------------------------------------
d=$tmp/psys
start_fake "$d" package:0=20 core:0=15 dram:0=4 psys:1=40
traced "$d" 0.1 OPCOUNT_ENERGY=rapl
stop_fake
report "$d" site
total_is psys "$d" 40

# ---- a second package is added in --------------------------------------
d=$tmp/two-pkg
start_fake "$d" package:0=20 dram:0=4 package:1=30 dram:1=6
traced "$d" 0.1 OPCOUNT_ENERGY=rapl
stop_fake
report "$d" site
total_is two-pkg "$d" 60

# ---- zones in lockstep are one counter ---------------------------------
d=$tmp/lockstep
start_fake "$d" package:0=30 package:1=@0 dram:0=5
traced "$d" 0.1 OPCOUNT_ENERGY=rapl
stop_fake
report "$d" site
total_is lockstep "$d" 35
# The same, with the mirror one update (0.2 ms) behind its package: the
# two copies are read on either side of an update, at every sample here,
# at some samples (the baseline among them) in any run of some seconds on
# hardware.  Still one counter.
d=$tmp/lockstep-skew
start_fake "$d" -l package:0=30 package:1=@0 dram:0=5
traced "$d" 0.1 OPCOUNT_ENERGY=rapl
stop_fake
report "$d" site
total_is lockstep-skew "$d" 35
finish

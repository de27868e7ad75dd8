#!/bin/sh
# energy_estimate.sh - the estimate source (TDP x CPU utilisation of the
# process), which keeps the tool useful without counters, and says
# everywhere that it is an estimate.
#
#   default   OPCOUNT_ENERGY=estimate: energy.source "estimate", measured
#             false, energy.note mentions the TDP, the table's energy line
#             says ESTIMATED, and the figures are sane
#   known     a TDP table (OPCOUNT_DATA_DIR) that lists this machine's CPU
#             at 123 W: the note names 123 W and the model, and the total
#             is 123 W x CPU time / CPUs (10%; the program's own CPU time
#             from once the library has started, where the energy starts)
#   unknown   a table without this CPU: the note says the TDP is unknown
#             and which wattage was assumed
#
# Every check runs; the script fails at the end if any did.
. "$(dirname "$0")/energy_common.inc"

est_run() {	# NAME VAR=VALUE...
	d=$tmp/$1
	shift
	mkdir -p "$d"
	traced "$d" 0.1 OPC_FAKE_PHASE= OPCOUNT_ENERGY=estimate "$@"
	report "$d" site
	"$OPC" report "$d/t.opc" >"$d/table.txt" 2>"$d/rep.err" ||
		fail "$d: report (table) exited $?: $(cat "$d/rep.err")"
}

est_run default
[ "$($CHECK_REPORT get "$d/site.json" energy.source)" = estimate ] ||
	bad "default: energy.source is not estimate"
[ "$($CHECK_REPORT get "$d/site.json" energy.measured)" = false ] ||
	bad "default: energy.measured is not false"
note=$($CHECK_REPORT get "$d/site.json" energy.note)
case $note in
*TDP*) ok "default: energy.note says how: $note" ;;
*) bad "default: energy.note does not mention the TDP: $note" ;;
esac
if grep -q "^# energy:.*ESTIMATED" "$d/table.txt"; then
	ok "default: the table says ESTIMATED"
else
	bad "default: the table's energy line does not say ESTIMATED: $(grep energy "$d/table.txt")"
fi
$CHECK_ENERGY "$d/site.json" --label default --source estimate --measured false >/dev/null ||
	bad "default: the estimate's figures are not sane"

model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
ncpu=$(getconf _NPROCESSORS_ONLN)
case $model in
"" | *,*)
	echo "note: no usable CPU model name in /proc/cpuinfo; the TDP table checks are left out"
	finish ;;
esac

mkdir -p "$tmp/known-data" "$tmp/unknown-data"
printf 'Name,TDP\n%s,123\n' "$model" >"$tmp/known-data/cpu-tdp-watts.csv"
printf 'Name,TDP\nNo Such CPU 9999,77\n' >"$tmp/unknown-data/cpu-tdp-watts.csv"

est_run known OPCOUNT_DATA_DIR="$tmp/known-data"
note=$($CHECK_REPORT get "$d/site.json" energy.note)
case $note in
*"123 W"*"$model"*) ok "known: the note names the table's TDP: $note" ;;
*) bad "known: the note does not name 123 W and '$model': $note" ;;
esac
cpu=$(awk '$1 == "cpu0_s" { c0 = $2 } $1 == "cpu_s" { printf "%.6f", $2 - c0 }' "$d/out.txt")
want=$(awk -v c="$cpu" -v n="$ncpu" 'BEGIN { print 123 * c / n }')
if $CHECK_ENERGY "$d/site.json" --label known --tol 10 --total "$want"; then
	ok "known: total within 10% of 123 W x $cpu s CPU / $ncpu CPUs"
else
	bad "known: total is not 123 W x CPU time / CPUs"
fi

est_run unknown OPCOUNT_DATA_DIR="$tmp/unknown-data"
note=$($CHECK_REPORT get "$d/site.json" energy.note)
case $note in
*unknown*assumed*) ok "unknown: the note says the TDP was assumed: $note" ;;
*) bad "unknown: the note does not say the TDP is unknown and assumed: $note" ;;
esac
finish

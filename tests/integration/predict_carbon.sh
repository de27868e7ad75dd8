#!/bin/sh
# predict_carbon.sh - the carbon arithmetic of `opcount predict`, on worked
# numbers:
#   1287 MWh at 429 gCO2eq/kWh is 552.123 t CO2eq (PUE 1: the energy is
#   what the data centre drew), in the table and in the JSON;
#   one kWh at 20 g/kWh (Quebec) vs 736.6 g/kWh (Iowa): --intensity
#   overrides, also over a --region;
#   the default PUE is 1.58 and scales the energy;
#   --region takes a country (ISO 3166 alpha-3) or provider:region and
#   gives the value of the table in data/, with its source and year.
. "$(dirname "$0")/lib.inc"
need_py "the JSON checks need it"
need "$OPC"

# jcheck FILE EXPR: a Python expression over the JSON document p is true
jcheck() {
	$PY - "$1" "$2" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
if not eval(sys.argv[2]):
    sys.exit("does not hold: %s\n%s" % (sys.argv[2], json.dumps(p, indent=1)[:2000]))
EOF
}

"$OPC" predict --energy-kwh 1287000 --intensity 429 --pue 1 >"$tmp/t.txt" 2>"$tmp/err" ||
	fail "1287 MWh: exited $?: $(cat "$tmp/err")"
grep -q '552\.123 t' "$tmp/t.txt" || fail "1287 MWh at 429 g/kWh is not 552.123 t: $(cat "$tmp/t.txt")"
"$OPC" predict --energy-kwh 1287000 --intensity 429 --pue 1 --format json >"$tmp/t.json" ||
	fail "1287 MWh: json exited $?"
jcheck "$tmp/t.json" 'p["energy"]["co2eq_t"] == 552.123 and p["energy"]["co2eq_g"] == 552123000 and p["energy"]["kwh"] == 1287000 and p["energy"]["co2eq_kg"] == 552123' ||
	fail "1287 MWh: JSON"
# the same in joules
"$OPC" predict --energy-j 4.6332e12 --intensity 429 --pue 1 --format json >"$tmp/j.json" ||
	fail "--energy-j exited $?"
jcheck "$tmp/j.json" 'p["energy"]["co2eq_t"] == 552.123' || fail "--energy-j"
echo "ok 1287 MWh at 429 g/kWh = 552.123 t"

"$OPC" predict --energy-kwh 1 --pue 1 --intensity 20 --format json >"$tmp/q.json" || fail "Quebec"
"$OPC" predict --energy-kwh 1 --pue 1 --intensity 736.6 --format json >"$tmp/i.json" || fail "Iowa"
jcheck "$tmp/q.json" 'p["energy"]["co2eq_g"] == 20 and p["carbon"]["source"].startswith("--intensity")' ||
	fail "Quebec: 1 kWh at 20 g/kWh"
jcheck "$tmp/i.json" 'p["energy"]["co2eq_g"] == 736.6' || fail "Iowa: 1 kWh at 736.6 g/kWh"
# --intensity wins over --region, and says what it replaced
"$OPC" predict --energy-kwh 1 --pue 1 --region USA --intensity 736.6 --format json >"$tmp/o.json" ||
	fail "override"
jcheck "$tmp/o.json" 'p["energy"]["co2eq_g"] == 736.6 and "replaces USA" in p["carbon"]["source"]' ||
	fail "--intensity does not override --region"
echo "ok Quebec vs Iowa"

"$OPC" predict --energy-kwh 1000 --intensity 100 --format json >"$tmp/pue.json" || fail "PUE"
jcheck "$tmp/pue.json" 'p["pue"] == 1.58 and abs(p["energy"]["kwh"] - 1580) < 1e-9 and abs(p["energy"]["co2eq_kg"] - 158) < 1e-9' ||
	fail "the default PUE 1.58 is not applied"
echo "ok PUE"

# regions: the table values, with their source
# (the tables have CRLF line ends)
want=$(awk -F, '{ sub(/\r$/, "") } $1 == "FRA" { print $3 }' "$ROOT/data/grid-carbon-intensity.csv")
year=$(awk -F, '{ sub(/\r$/, "") } $1 == "FRA" { print $4 }' "$ROOT/data/grid-carbon-intensity.csv")
"$OPC" predict --energy-kwh 1 --pue 1 --region fra --format json >"$tmp/fra.json" || fail "FRA"
jcheck "$tmp/fra.json" "p['carbon']['intensity_g_per_kwh'] == $want and p['carbon']['year'] == $year and p['carbon']['region'] == 'FRA' and 'Our World in Data' in p['carbon']['source'] and p['energy']['co2eq_g'] == $want" ||
	fail "FRA"
want=$(awk -F, '{ sub(/\r$/, "") } $1 == "gcp" && $2 == "europe-west9" { print $5 }' \
	"$ROOT/data/cloud-region-carbon-intensity.csv")
"$OPC" predict --energy-kwh 1 --pue 1 --region gcp:europe-west9 --format json >"$tmp/gcp.json" ||
	fail "gcp:europe-west9"
jcheck "$tmp/gcp.json" "p['carbon']['intensity_g_per_kwh'] == $want and p['carbon']['region'] == 'gcp:europe-west9' and p['carbon']['year'] is None" ||
	fail "gcp:europe-west9"
# OPCOUNT_DATA_DIR names another data directory
mkdir "$tmp/data"
printf 'iso3,country,g_co2eq_per_kwh,year\nXYZ,Testland,123.5,2030\n' >"$tmp/data/grid-carbon-intensity.csv"
printf 'provider,region,country,iso3,g_co2eq_per_kwh\n' >"$tmp/data/cloud-region-carbon-intensity.csv"
OPCOUNT_DATA_DIR=$tmp/data "$OPC" predict --energy-kwh 2 --pue 1 --region XYZ --format json \
	>"$tmp/xyz.json" || fail "OPCOUNT_DATA_DIR"
jcheck "$tmp/xyz.json" 'p["energy"]["co2eq_g"] == 247 and p["carbon"]["year"] == 2030' ||
	fail "OPCOUNT_DATA_DIR is not used"
echo "ok regions"

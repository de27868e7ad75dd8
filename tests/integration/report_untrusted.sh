#!/bin/sh
# report_untrusted.sh - text from a trace never drives the terminal and
# never makes invalid JSON.
#
# A hand-made trace (bench/gentrace --hostile, written with the library's
# trace writer) puts escape sequences (CSI, OSC with BEL), bytes that are
# not UTF-8, quotes, backslashes, line breaks, DEL and a C1 control into
# its command line, host, CPU and BLAS info, layer names and types, routine
# names, module path, energy source, domain name and note.  Then for every
# grouping:
#   - report's table, CSV and folded output hold no control byte but the
#     line feeds that end lines (no ESC, CR, BEL, tab, DEL, C1), and are
#     valid UTF-8: the text shows as \xNN (README: "Untrusted text");
#   - report --format json is valid JSON (python3 json.loads on the bytes,
#     which must be UTF-8) and keeps the valid parts of the text as they
#     are: the command line's quotes, backslash and line break;
# and the same for fit (table, json) and predict --from-trace (table,
# json), and for everything on stderr.
. "$(dirname "$0")/lib.inc"
need_py "it checks the output"
need "$OPC" "$B/bench/gentrace"

"$B/bench/gentrace" -o "$tmp/h.opc" --hostile --keys 60 --intervals 6 --per-interval 20 \
	--layers 5 --sites 3 >/dev/null || fail "gentrace --hostile failed"

# clean FILE WHAT: only printable text and line feeds, valid UTF-8
clean() {
	$PY - "$1" "$2" <<'EOF' || nbad=$((nbad + 1))
import sys
data, what = open(sys.argv[1], "rb").read(), sys.argv[2]
bad = sorted({b for b in data if (b < 0x20 and b != 0x0a) or b == 0x7f})
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("FAIL: %s: not UTF-8: %s" % (what, e))
c1 = sorted({hex(ord(c)) for c in text if 0x80 <= ord(c) <= 0x9f})
if bad or c1:
    sys.exit("FAIL: %s: control characters %s %s reach the output" %
             (what, [hex(b) for b in bad], c1))
EOF
}

# json FILE WHAT [CHECK]: valid JSON, and CHECK (python, on d) holds
json_ok() {
	$PY - "$1" "$2" "${3:-True}" <<'EOF' || nbad=$((nbad + 1))
import json, sys
path, what, check = sys.argv[1:4]
try:
    d = json.loads(open(path, "rb").read())
except ValueError as e:
    sys.exit("FAIL: %s: not valid JSON: %s" % (what, e))
if not eval(check):
    sys.exit("FAIL: %s: %s does not hold" % (what, check))
EOF
}

for by in site layer path op type key device; do
	for fmt in table csv folded; do
		"$OPC" report "$tmp/h.opc" --by $by --format $fmt --stacks >"$tmp/out" 2>"$tmp/err" ||
			bad "report --by $by --format $fmt failed: $(cat "$tmp/err")"
		clean "$tmp/out" "report --by $by --format $fmt"
		clean "$tmp/err" "report --by $by --format $fmt (stderr)"
	done
	"$OPC" report "$tmp/h.opc" --by $by --format json --stacks >"$tmp/out.json" 2>"$tmp/err" ||
		bad "report --by $by --format json failed: $(cat "$tmp/err")"
	json_ok "$tmp/out.json" "report --by $by --format json" \
		'"\"quoted\" back\\slash\nsecond line\r" in d["traces"][0]["cmdline"] and "\x1b]0;pwned\x07" in d["traces"][0]["cmdline"]'
	clean "$tmp/err" "report --by $by --format json (stderr)"
done
ok "report: table, csv, folded clean; json valid"

# the table shows the escapes, documented as \xNN
"$OPC" report "$tmp/h.opc" --by layer >"$tmp/t.txt" 2>/dev/null
grep -q 'layer0\\x1b\[31m\\x1b\]0;title\\x07\\xff\\xfe\\xc3("q"\\\\\\x0a\\x0d\\x09\\x7f\\xc2\\x9b' "$tmp/t.txt" ||
	bad "the table does not show layer0's name escaped as \\xNN: $(grep layer0 "$tmp/t.txt")"

"$OPC" fit "$tmp/h.opc" >"$tmp/fit.txt" 2>"$tmp/err" || bad "fit failed: $(cat "$tmp/err")"
clean "$tmp/fit.txt" "fit (table)"
clean "$tmp/err" "fit (stderr)"
"$OPC" fit "$tmp/h.opc" --format json -o "$tmp/coeffs.json" >"$tmp/fit.json" 2>"$tmp/err" ||
	bad "fit --format json failed: $(cat "$tmp/err")"
json_ok "$tmp/fit.json" "fit --format json"
json_ok "$tmp/coeffs.json" "fit -o COEFFS.json"

"$OPC" predict --from-trace "$tmp/h.opc" --trace-inferences 10 >"$tmp/p.txt" 2>"$tmp/err" ||
	bad "predict --from-trace failed: $(cat "$tmp/err")"
clean "$tmp/p.txt" "predict (table)"
clean "$tmp/err" "predict (stderr)"
"$OPC" predict --from-trace "$tmp/h.opc" --trace-inferences 10 --format json \
	>"$tmp/p.json" 2>"$tmp/err" || bad "predict --format json failed: $(cat "$tmp/err")"
json_ok "$tmp/p.json" "predict --format json"

# a trace reader's error quotes the trace (an energy domain's name)
$PY - "$tmp/h.opc" "$tmp/bad.opc" <<'EOF' || fail "cannot write the corrupt trace"
import struct, sys, zlib
good = open(sys.argv[1], "rb").read()
hsize = struct.unpack_from("<I", good, 12)[0]
out, off = bytearray(good[:hsize]), hsize
last = {}
while off + 16 <= len(good):
    typ, size, crc, seq = struct.unpack_from("<IIII", good, off)
    payload = bytearray(good[off + 16:off + 16 + size])
    if typ == 11 and last.get(11) == 1:     # the second energy sample decreases
        struct.pack_into("<d", payload, 16, 0.0)
    last[typ] = last.get(typ, 0) + 1
    crc = zlib.crc32(payload, zlib.crc32(struct.pack("<III", typ, size, seq)))
    out += struct.pack("<IIII", typ, size, crc, seq) + payload
    out += b"\0" * ((-(16 + size)) % 8)
    off = (off + 16 + size + 7) & ~7
open(sys.argv[2], "wb").write(out)
EOF
"$OPC" report "$tmp/bad.opc" >"$tmp/out" 2>"$tmp/err" && bad "report took a trace whose energy decreases"
grep -q "decreases" "$tmp/err" || bad "no message about the decreasing energy: $(cat "$tmp/err")"
clean "$tmp/err" "report of a corrupt trace (stderr)"
finish

#!/bin/sh
# bad_input.sh - `opcount report` on files that are not good traces.
#
# Must fail cleanly: non-zero exit, not by a signal (exit status < 128),
# and a message on stderr that names the file:
#   a missing file, a directory, an empty file, random bytes, a header cut
#   short (10 and 63 bytes), a foreign magic, a valid trace with one byte
#   of a record's payload flipped in the middle of the file (the frame's
#   CRC must catch it), and a bad file given together with a good one.
#   (A corrupt frame length is corrupt_length.sh.)
# Must succeed with a warning naming the file (a program killed while it
# wrote): the same trace cut short by 1, 7 and 20 bytes (counted from the
# end of the last frame's payload, before any padding).
# Runs every case in all three output formats.
. "$(dirname "$0")/lib.inc"
need_py "it writes the corrupt files"
need "$LIB" "$OPC" "$B/tests/progs/blas_calls"

OPCOUNT_OUTPUT=$tmp/good.opc LD_PRELOAD=$LIB "$B/tests/progs/blas_calls" >/dev/null ||
	fail "blas_calls failed under the library"
"$OPC" report "$tmp/good.opc" --format json >/dev/null 2>"$tmp/good.err" ||
	fail "the good trace does not read: $(cat "$tmp/good.err")"
[ -s "$tmp/good.err" ] && fail "warnings on a good trace: $(cat "$tmp/good.err")"

# Write the bad files.  The flipped byte is placed by walking the frames
# (header_size at offset 12; frames of type, size, crc, seq + payload,
# zero-padded to a multiple of 8 bytes): in the payload of the frame that
# holds the middle of the file.
$PY - "$tmp" <<'EOF' || fail "cannot write the corrupt files"
import os, random, struct, sys
d = sys.argv[1]
good = open(os.path.join(d, "good.opc"), "rb").read()
def put(name, data):
    open(os.path.join(d, name), "wb").write(data)
put("empty.opc", b"")
rng = random.Random(41)
put("random.opc", bytes(rng.randrange(256) for _ in range(4096)))
put("header10.opc", good[:10])
put("header63.opc", good[:63])
put("magic.opc", b"NOTATRAC" + good[8:])
hsize = struct.unpack_from("<I", good, 12)[0]
off, frames = hsize, []
while off + 16 <= len(good):
    size = struct.unpack_from("<I", good, off + 4)[0]
    frames.append((off, size))
    off = (off + 16 + size + 7) & ~7    # frames are zero-padded to 8 bytes
if off != len(good):
    sys.exit("good.opc does not end on a frame boundary")
mid = len(good) // 2
# the frame holding the middle, or the next one with a payload
cand = [f for f in frames if f[1] > 0 and f[0] + 16 + f[1] > mid]
fo, fsize = cand[0]
pos = max(fo + 16, min(mid, fo + 16 + fsize - 1))
b = bytearray(good); b[pos] ^= 0x5a
put("flipped.opc", bytes(b))
# cut from the end of the last frame's payload: cutting only its padding
# (if it has any) would leave the frame whole
last_end = frames[-1][0] + 16 + frames[-1][1]
for cut in (1, 7, 20):
    put("cut%d.opc" % cut, good[:last_end - cut])
EOF
mkdir "$tmp/dir.opc"

# rejected FILE...: every format must fail cleanly, naming the last FILE
rejected() {
	for last; do :; done
	name=$(basename "$last")
	for fmt in table json csv; do
		"$OPC" report "$@" --format $fmt >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ $rc != 0 ] || fail "$name ($fmt): exit 0 for a bad trace"
		[ $rc -lt 128 ] || fail "$name ($fmt): killed by signal $((rc - 128))"
		grep -q "$name" "$tmp/err" || fail "$name ($fmt): the message does not name the file: $(head -c 300 "$tmp/err")"
	done
	echo "ok $name: $(head -n 1 "$tmp/err")"
}

rejected "$tmp/missing.opc"
rejected "$tmp/dir.opc"
rejected "$tmp/empty.opc"
rejected "$tmp/random.opc"
rejected "$tmp/header10.opc"
rejected "$tmp/header63.opc"
rejected "$tmp/magic.opc"
rejected "$tmp/flipped.opc"
rejected "$tmp/good.opc" "$tmp/flipped.opc"

# cut short: readable, with a warning that names the file
for cut in 1 7 20; do
	name=cut$cut.opc
	for fmt in table json csv; do
		"$OPC" report "$tmp/$name" --format $fmt >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ $rc = 0 ] || fail "$name ($fmt): exit $rc for a trace cut short: $(cat "$tmp/err")"
		grep -q "$name" "$tmp/err" || fail "$name ($fmt): no warning naming the file"
	done
	echo "ok $name: $(head -n 1 "$tmp/err")"
done

echo "bad input rejected cleanly"

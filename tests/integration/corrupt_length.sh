#!/bin/sh
# corrupt_length.sh - a corrupt frame length in the middle of a trace is
# corruption, not a program killed while writing.
#
# One bit flipped in the size field of a frame near the middle of a good
# trace makes the frame claim more bytes than the file has left (but less
# than the 64 MiB frame limit).  The bytes after its header are still
# whole, valid frames, so the file was not cut short there: `opcount
# report` must fail (non-zero exit, below 128) and name the file, rather
# than warn "incomplete last frame", exit 0 and drop every later frame.
# A size field flipped in the first frame is checked too.
. "$(dirname "$0")/lib.inc"
need_py "it writes the corrupt files"
need "$LIB" "$OPC" "$B/tests/progs/blas_calls"

OPCOUNT_OUTPUT=$tmp/good.opc LD_PRELOAD=$LIB "$B/tests/progs/blas_calls" >/dev/null ||
	fail "blas_calls failed under the library"

$PY - "$tmp" <<'EOF' || fail "cannot write the corrupt files"
import os, struct, sys
d = sys.argv[1]
good = open(os.path.join(d, "good.opc"), "rb").read()
hsize = struct.unpack_from("<I", good, 12)[0]
off, frames = hsize, []
while off + 16 <= len(good):
    size = struct.unpack_from("<I", good, off + 4)[0]
    frames.append((off, size))
    off = (off + 16 + size + 7) & ~7    # frames are zero-padded to 8 bytes
mid = [f for f in frames if f[0] >= len(good) // 2][0]
for name, (fo, size) in (("first", frames[0]), ("middle", mid)):
    b = bytearray(good)
    # one bit of the size's third byte: +64 KiB, past the end of the file
    struct.pack_into("<I", b, fo + 4, size ^ (1 << 16))
    open(os.path.join(d, "len-%s.opc" % name), "wb").write(bytes(b))
EOF

for name in first middle; do
	f=len-$name.opc
	"$OPC" report "$tmp/$f" --format json >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -lt 128 ] || fail "$f: killed by signal $((rc - 128))"
	[ $rc != 0 ] || fail "$f: exit 0 after corrupting the length of the $name frame; said: $(cat "$tmp/err")"
	grep -q "$f" "$tmp/err" || fail "$f: the message does not name the file"
	echo "ok $f: $(head -n 1 "$tmp/err")"
done
echo "corrupt frame lengths rejected"

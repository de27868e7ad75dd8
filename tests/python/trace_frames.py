#!/usr/bin/env python3
"""trace_frames.py [--entries] TRACE - the type of every frame of an opcount
trace, one name a line, in file order (common/trace.h); a tail too short
for its frame is reported as "truncated".

With --entries, what the frames say about keys and intervals instead:
  string ID TEXT
  layer ID PARENT NAME TYPE
  key ID FLAGS LAYER TID          (flags in hex)
  interval BEGIN_NS END_NS
  entry KEY CALLS TIMED BUSY_NS FLOPS BYTES   (of the interval above)

The report cannot tell an EXEC record from an END record (both end an
image); the tests that must can with this.
"""
import struct
import sys

NAMES = {1: "INFO", 2: "STRING", 3: "MODULE", 4: "LAYER", 5: "STACK", 6: "KEY",
         7: "INTERVAL", 8: "END", 9: "EXEC", 10: "ENERGY_INFO", 11: "ENERGY",
         12: "SAMPLE"}


def varints(data, at, n):
    out = []
    for _ in range(n):
        v = shift = 0
        while True:
            b = data[at]
            at += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                break
        out.append(v)
    return out, at


def entries(ftype, p):
    if ftype == 2:
        sid, = struct.unpack_from("<I", p, 0)
        print("string", sid, p[4:].split(b"\0")[0].decode("utf-8", "replace"))
    elif ftype == 4:
        print("layer", *struct.unpack_from("<IIII", p, 0))
    elif ftype == 6:
        kid, = struct.unpack_from("<I", p, 0)
        layer, _, flags = struct.unpack_from("<III", p, 24)
        tid, = struct.unpack_from("<I", p, 100)
        print("key", kid, "%x" % flags, layer, tid)
    elif ftype == 7:
        tb, te, count = struct.unpack_from("<QQI", p, 0)
        print("interval", tb, te)
        at = 24
        for _ in range(count):
            v, at = varints(p, at, 6)
            print("entry", *v)


def main(path, show_entries=False):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 16 or data[:8] != b"OPCTRACE":
        sys.exit("%s: not an opcount trace" % path)
    off = struct.unpack_from("<I", data, 12)[0]
    while off + 16 <= len(data):
        ftype, size = struct.unpack_from("<II", data, off)
        if off + 16 + size > len(data):
            break
        if show_entries:
            entries(ftype, data[off + 16:off + 16 + size])
        else:
            print(NAMES.get(ftype, "TYPE%d" % ftype))
        off = (off + 16 + size + 7) & ~7
    if off < len(data):
        print("truncated")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--entries":
        main(sys.argv[2], True)
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit("usage: trace_frames.py [--entries] TRACE")

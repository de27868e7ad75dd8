#!/usr/bin/env python3
"""trace_frames.py TRACE - the type of every frame of an opcount trace, one
name a line, in file order (common/trace.h); a tail too short for its
frame is reported as "truncated".

The report cannot tell an EXEC record from an END record (both end an
image); the tests that must can with this.
"""
import struct
import sys

NAMES = {1: "INFO", 2: "STRING", 3: "MODULE", 4: "LAYER", 5: "STACK", 6: "KEY",
         7: "INTERVAL", 8: "END", 9: "EXEC", 10: "ENERGY_INFO", 11: "ENERGY",
         12: "SAMPLE"}


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 16 or data[:8] != b"OPCTRACE":
        sys.exit("%s: not an opcount trace" % path)
    off = struct.unpack_from("<I", data, 12)[0]
    while off + 16 <= len(data):
        ftype, size = struct.unpack_from("<II", data, off)
        if off + 16 + size > len(data):
            break
        print(NAMES.get(ftype, "TYPE%d" % ftype))
        off = (off + 16 + size + 7) & ~7
    if off < len(data):
        print("truncated")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: trace_frames.py TRACE")
    main(sys.argv[1])

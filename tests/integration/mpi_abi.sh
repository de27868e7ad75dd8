#!/bin/sh
# mpi_abi.sh - the MPI wrappers under the MPICH ABI (int handles,
# MPI_IN_PLACE (void *)-1), against tests/progs/mpich_fake and its own
# libmpich_fake.so (rank 1 of 4), beside mpi_comm.sh's real Open MPI
# (pointer handles).
#
#   output    the program prints the same and every call succeeds with and
#             without the library (each fake call checks its handles)
#   handles   no wrapper asks the size of a handle that is not significant
#             (a gather's receive type at a non-root, the null type of an
#             empty receive), and MPI_Alltoallw's datatype arrays are read
#             4 bytes a handle: the fake aborts otherwise
#   counts    every row's calls and bytes per docs/counting.md, in place
#             (MPI_Alltoallv's receive counts both ways) included
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/mpich_fake
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

"$PROG" >"$tmp/plain.txt" 2>"$tmp/plain.err" || fail "mpich_fake failed alone: $(cat "$tmp/plain.err")"
OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$PROG" >"$tmp/out.txt" 2>"$tmp/err.txt" ||
	fail "mpich_fake failed under opcount: $(cat "$tmp/err.txt" "$tmp/out.txt")"
cmp -s "$tmp/plain.txt" "$tmp/out.txt" ||
	fail "output differs under opcount: $(cat "$tmp/plain.txt") / $(cat "$tmp/out.txt")"
ok "output: $(cat "$tmp/out.txt")"
reports "$tmp/t.opc" key

$PY - "$tmp/key.json" <<'PYEOF' || fail "counts differ from the model (see above)"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if not r.get("outside")]
p, rank, D, I, F = 4, 1, 8, 4, 4
ring = lambda n: 2 * (2 * (p - 1) * n // p)
want = {	# shape: bytes per call (3 calls each)
    "MPI_Send n=80": 10 * D,
    "MPI_Recv n=0": 0,
    "MPI_Allreduce n=200 p=4": ring(25 * D),
    "MPI_Allreduce n=800 p=4": ring(100 * D),
    "MPI_Bcast n=64 p=4 q=2": 2 * 16 * I,			# root 3: between the ends
    "MPI_Gather n=80 p=4 q=1": 5 * I,				# a non-root: its block
    "MPI_Alltoallv send=64 recv=64 p=4": 2 * (1 + 3 + 4) * D,	# in place
    "MPI_Alltoallw send=12 recv=48 p=4": (I + F + I) + 3 * 2 * D,
}
got = {r["shape"]: r for r in rows}
bad = []
if sorted(got) != sorted(want):
    bad.append("keys %s, want %s" % (sorted(got), sorted(want)))
for shape, b in want.items():
    r = got.get(shape, {})
    line = (r.get("calls"), r.get("bytes"), r.get("flops"), r.get("type"), r.get("rejected", False))
    print("%-36s %s" % (shape, line))
    if line != (3, 3 * b, 0, "comm", False):
        bad.append("%s: %s, want %s" % (shape, line, (3, 3 * b, 0, "comm", False)))
if bad:
    sys.exit("off: " + "; ".join(bad))
PYEOF
ok "MPICH ABI: int handles passed through, handle arrays read 4 bytes wide, bytes as modelled"
finish

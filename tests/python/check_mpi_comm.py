"""check_mpi_comm.py - one rank's report of tests/progs/mpi_work against
the byte models of docs/counting.md (tests/integration/mpi_comm.sh).

    check_mpi_comm.py RANK P ROUNDS OP.json TYPE.json KEY.json

OP, TYPE, KEY: `opcount report TRACE --by op|type|key --format json` of
rank RANK's trace.  Exact: the GEMM FLOPs, every MPI row's calls and
bytes (FLOPs 0), the comm type's totals (the all-reduces made in the
"Linear" layer fc1 included), and the keys' shapes.
"""
import json
import sys

rank, p, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
by_op = json.load(open(sys.argv[4]))
by_type = json.load(open(sys.argv[5]))
by_key = json.load(open(sys.argv[6]))


# the models, as docs/counting.md writes them (n bytes, p ranks, q place)
def ring(n):
    return 2 * (2 * (p - 1) * n // p)


def block(n):
    return 2 * ((p - 1) * n // p)


def chain(n, root):
    q = (rank - root) % p
    return 0 if p == 1 else n * (1 if q in (0, p - 1) else 2)


def rooted(n, root):
    return (p - 1) * (n // p) if rank == root else n // p


D, I, F = 8, 4, 4	# double, int, float
expect = {	# op: (calls, bytes), as tests/progs/mpi_work.c makes them
    "MPI_Allreduce": (2, 2 * ring(1000 * D)),
    "MPI_Irecv": (1, 500 * D),
    "MPI_Isend": (1, 500 * D),
    "MPI_Waitall": (1, 0),
    "MPI_Bcast": (1, chain(100 * I, 0)),
    "MPI_Reduce": (1, chain(10 * D, 1 % p)),
    "MPI_Gather": (2, rooted(p * 4 * I, 0) + rooted(p * D, 0)),
    "MPI_Scatter": (1, rooted(p * 3 * D, 2 % p)),
    "MPI_Allgather": (1, block(p * 2 * D)),
    "MPI_Alltoall": (1, block(p * 5 * I)),
    "MPI_Alltoallv": (1, sum((j + 1) * I for j in range(p) if j != rank) +
                      (p - 1) * (rank + 1) * I),
    "MPI_Alltoallw": (1, 2 * (p - 1) * 2 * D),
    "MPI_Reduce_scatter_block": (1, block(p * 6 * D)),
    "MPI_Scan": (1, chain(7 * I, 0)),
    "MPI_Sendrecv": (1, 2 * 11 * D),
    "MPI_Iallreduce": (1, ring(50 * F)),
    "MPI_Wait": (1, 0),
    "MPI_Barrier": (1, 0),
}
m, n, k = 32 + 8 * rank, 24, 16
bad = []


def check(what, got, want):
    if got != want:
        bad.append("%s: %r, want %r" % (what, got, want))


rows = {r["op"]: r for r in by_op["rows"] if not r.get("outside")}
check("ops", sorted(rows), sorted(list(expect) + ["dgemm", "(other ops)"]))
g = rows.get("dgemm", {})
check("dgemm calls", g.get("calls"), rounds)
check("dgemm FLOPs", g.get("flops"), rounds * 2 * m * n * k)
check("dgemm type", g.get("type"), "Linear")	# its layer's type
check("dgemm layer", g.get("layer"), "fc1")
# the all-reduces are in fc1 too, but of type comm
check("MPI_Allreduce layer", rows.get("MPI_Allreduce", {}).get("layer"), "fc1")
for op, (calls, nbytes) in expect.items():
    r = rows.get(op, {})
    check(op + " calls", r.get("calls"), calls)
    check(op + " bytes", r.get("bytes"), nbytes)
    check(op + " FLOPs", r.get("flops"), 0)
    check(op + " type", r.get("type"), "comm")
    check(op + " iface", r.get("iface"), "mpi")

types = {r["type"]: r for r in by_type["rows"] if not r.get("outside")}
check("types", sorted(types), ["Linear", "comm"])
c = types.get("comm", {})
check("comm calls", c.get("calls"), sum(v[0] for v in expect.values()))
check("comm bytes", c.get("bytes"), sum(v[1] for v in expect.values()))
check("comm FLOPs", c.get("flops"), 0)
check("bytes_model_comm", "bytes_model_comm" in by_type, True)

shapes = sorted(r["shape"] for r in by_key["rows"] if r.get("op", "").startswith("MPI_All"))
check("MPI_All* keys", shapes, sorted([
    "MPI_Allreduce n=8000 p=%d" % p, "MPI_Allgather n=%d p=%d" % (p * 16, p),
    "MPI_Alltoall n=%d p=%d" % (p * 20, p),
    "MPI_Alltoallv send=%d recv=%d p=%d" % (sum((j + 1) * I for j in range(p) if j != rank),
                                           (p - 1) * (rank + 1) * I, p),
    "MPI_Alltoallw send=%d recv=%d p=%d" % ((p - 1) * 2 * D, (p - 1) * 2 * D, p)]))

if bad:
    print("rank %d:\n  " % rank + "\n  ".join(bad))
    sys.exit(1)
print("rank %d: dgemm %d FLOPs exact; %d MPI ops, %d calls, %d bytes exact (comm type)" %
      (rank, rounds * 2 * m * n * k, len(expect), c["calls"], c["bytes"]))

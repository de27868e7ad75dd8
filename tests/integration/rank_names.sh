#!/bin/sh
# rank_names.sh - a rank of a distributed job writes STEM.rank<N>.opc, with
# its job in the trace's INFO (common/job.h, common/producer.h).
#
#  launchers  the environment of Open MPI, torchrun, MPICH (Hydra), Slurm
#             (inside a step only) and PMIx, set by hand: each rank's name
#             and its INFO launcher, rank, local_rank, world_size, job
#  same -o    4 ranks given one output name write 4 files, none lost
#  children   a rank's forked and exec'd children write
#             STEM.rank<N>.<pid>.opc, under LD_PRELOAD and under record
#  %p         an output with %p still carries the rank
#  no rank    a batch script (SLURM_* without SLURM_STEP_ID), numbers that
#             are not numbers, a rank past the world size: the plain name
#  node       OPCOUNT_TEST_HOST and OPCOUNT_TEST_BOOT_ID (tests only)
#             replace INFO host and boot_id; boot_id is the kernel's
#  mpirun     Open MPI's mpirun, 3 ranks, `mpirun opcount record` and
#             `opcount record mpirun`, breakpoints too (--ptrace): the
#             program's output and exit status unchanged, one trace per
#             rank with one job id; a failing rank fails both commands
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/blas_calls
FORK=$B/tests/progs/fork_exec
need "$LIB" "$OPC" "$PROG" "$FORK"
export OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none
# whatever launched this test must not make it a rank
unset OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE OMPI_COMM_WORLD_LOCAL_RANK PMI_RANK PMI_SIZE \
	RANK WORLD_SIZE LOCAL_RANK SLURM_PROCID SLURM_STEP_ID SLURM_JOB_ID PMIX_RANK \
	PMIX_NAMESPACE PBS_JOBID TORCHELASTIC_RUN_ID OMPI_MCA_ess_base_jobid 2>/dev/null

"$PROG" >"$tmp/want.out" 2>/dev/null || fail "blas_calls alone exited $?"

# info TRACE KEY: the value of INFO KEY in TRACE ("" if absent)
info() {
	tr '\0' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1
}

# expect_info TRACE KEY VALUE
expect_info() {
	_v=$(info "$1" "$2")
	[ "$_v" = "$3" ] || bad "$(basename "$1"): INFO $2 is '$_v', not '$3'"
}

# ranked DIR VAR=VALUE...: blas_calls under the library with OPCOUNT_OUTPUT
# DIR/run.opc and the launcher's variables
ranked() {
	_d=$1
	shift
	mkdir -p "$_d"
	env OPCOUNT_OUTPUT="$_d/run.opc" "$@" LD_PRELOAD="$LIB" "$PROG" >"$_d/out" 2>"$_d/err" ||
		bad "$_d: blas_calls exited $?: $(head -n 3 "$_d/err")"
	cmp -s "$tmp/want.out" "$_d/out" || bad "$_d: the program's output changed"
}

# only DIR NAME...: DIR holds exactly the traces NAME...
only() {
	_d=$1
	shift
	_want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	_have=$(cd "$_d" && ls *.opc 2>/dev/null | sort | tr '\n' ' ')
	[ "$_want" = "$_have" ] || bad "$_d: traces '$_have', expected '$_want'"
}

# launchers
ranked "$tmp/ompi" OMPI_COMM_WORLD_RANK=2 OMPI_COMM_WORLD_SIZE=4 OMPI_COMM_WORLD_LOCAL_RANK=0 \
	OMPI_MCA_ess_base_jobid=12345 PMIX_NAMESPACE=999 PMIX_RANK=2
only "$tmp/ompi" run.rank2.opc
t=$tmp/ompi/run.rank2.opc
expect_info "$t" launcher openmpi
expect_info "$t" rank 2
expect_info "$t" local_rank 0
expect_info "$t" world_size 4
expect_info "$t" job openmpi:12345

ranked "$tmp/torch" RANK=1 WORLD_SIZE=2 LOCAL_RANK=1 TORCHELASTIC_RUN_ID=none \
	MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 SLURM_JOB_ID=77 SLURM_PROCID=0 SLURM_STEP_ID=0
only "$tmp/torch" run.rank1.opc
t=$tmp/torch/run.rank1.opc
expect_info "$t" launcher torchrun
expect_info "$t" rank 1
expect_info "$t" world_size 2
expect_info "$t" job slurm:77/torchrun:127.0.0.1:29500

ranked "$tmp/torch2" RANK=0 WORLD_SIZE=2 TORCHELASTIC_RUN_ID=f00d
expect_info "$tmp/torch2/run.rank0.opc" job torchrun:f00d
expect_info "$tmp/torch2/run.rank0.opc" local_rank ""

ranked "$tmp/mpich" PMI_RANK=3 PMI_SIZE=8 MPI_LOCALRANKID=1 PBS_JOBID=42.pbs
only "$tmp/mpich" run.rank3.opc
expect_info "$tmp/mpich/run.rank3.opc" launcher mpich
expect_info "$tmp/mpich/run.rank3.opc" local_rank 1
expect_info "$tmp/mpich/run.rank3.opc" job pbs:42.pbs/mpich:

ranked "$tmp/slurm" SLURM_PROCID=5 SLURM_STEP_NUM_TASKS=6 SLURM_NTASKS=12 SLURM_LOCALID=1 \
	SLURM_JOB_ID=900 SLURM_STEP_ID=2
only "$tmp/slurm" run.rank5.opc
expect_info "$tmp/slurm/run.rank5.opc" world_size 6
expect_info "$tmp/slurm/run.rank5.opc" job slurm:900.2

ranked "$tmp/pmix" PMIX_RANK=1 PMIX_NAMESPACE=ns7
only "$tmp/pmix" run.rank1.opc
expect_info "$tmp/pmix/run.rank1.opc" job pmix:ns7
expect_info "$tmp/pmix/run.rank1.opc" world_size ""
ok "launchers: names and INFO of Open MPI, torchrun, MPICH, Slurm and PMIx ranks"

# no rank: the plain name and no job in INFO
ranked "$tmp/batch" SLURM_PROCID=0 SLURM_NTASKS=4 SLURM_JOB_ID=900
ranked "$tmp/nan" RANK=one WORLD_SIZE=2
ranked "$tmp/past" OMPI_COMM_WORLD_RANK=4 OMPI_COMM_WORLD_SIZE=4
ranked "$tmp/neg" PMI_RANK=-1 PMI_SIZE=2
for d in batch nan past neg; do
	only "$tmp/$d" run.opc
	[ -z "$(info "$tmp/$d/run.opc" rank)" ] || bad "$d: INFO names a rank"
done
ok "no rank: a batch script, 'one', a rank past the size and -1 give the plain name"

# same -o: 4 ranks at once
mkdir -p "$tmp/four"
for r in 0 1 2 3; do
	env OPCOUNT_OUTPUT="$tmp/four/run.opc" OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_SIZE=4 \
		OMPI_MCA_ess_base_jobid=5 LD_PRELOAD="$LIB" "$PROG" >/dev/null 2>&1 &
done
wait
only "$tmp/four" run.rank0.opc run.rank1.opc run.rank2.opc run.rank3.opc
for r in 0 1 2 3; do
	expect_info "$tmp/four/run.rank$r.opc" rank $r
	"$OPC" report "$tmp/four/run.rank$r.opc" --format csv >/dev/null 2>&1 ||
		bad "run.rank$r.opc does not read"
done
ok "same -o: 4 ranks write 4 traces"

# %p keeps the rank
mkdir -p "$tmp/pct"
env OPCOUNT_OUTPUT="$tmp/pct/t.%p.opc" OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 \
	LD_PRELOAD="$LIB" "$PROG" >/dev/null 2>&1
n=$(cd "$tmp/pct" && ls | grep -c '^t\.[0-9]*\.rank1\.opc$')
[ "$n" = 1 ] || bad "%p: $(ls "$tmp/pct")"
ok "%p: t.<pid>.rank1.opc"

# children of a rank, under LD_PRELOAD and under record
for how in preload record; do
	d=$tmp/kids-$how
	mkdir -p "$d"
	if [ $how = preload ]; then
		env OPCOUNT_OUTPUT="$d/run.opc" OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 \
			LD_PRELOAD="$LIB" "$FORK" >"$d/out" 2>"$d/err"
	else
		env OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 \
			"$OPC" record -o "$d/run.opc" -- "$FORK" >"$d/out" 2>"$d/err"
	fi || bad "$how: fork_exec exited $?: $(head -n 3 "$d/err")"
	for role in child exec; do
		pid=$(sed -n "s/^pid $role //p" "$d/out")
		[ -e "$d/run.rank1.$pid.opc" ] || bad "$how: no run.rank1.$pid.opc for the $role: $(ls "$d")"
		expect_info "$d/run.rank1.$pid.opc" rank 1
	done
	[ -e "$d/run.rank1.opc" ] || bad "$how: no run.rank1.opc: $(ls "$d")"
	n=$(ls "$d" | grep -c '\.opc$')
	[ "$n" = 3 ] || bad "$how: $n traces, not 3: $(ls "$d")"
done
grep -q "2 more traces" "$tmp/kids-record/err" || bad "record does not count the rank's children: $(cat "$tmp/kids-record/err")"
ok "children: run.rank1.<pid>.opc, under LD_PRELOAD and record"

# node overrides, for tests only; the real boot id otherwise
ranked "$tmp/node" OPCOUNT_TEST_HOST=nodeB OPCOUNT_TEST_BOOT_ID=b00t
expect_info "$tmp/node/run.opc" host nodeB
expect_info "$tmp/node/run.opc" boot_id b00t
expect_info "$tmp/batch/run.opc" boot_id "$(cat /proc/sys/kernel/random/boot_id)"
expect_info "$tmp/batch/run.opc" host "$(hostname)"
ok "node: OPCOUNT_TEST_HOST/BOOT_ID, else the host name and the kernel's boot id"

# real mpirun
if ! command -v mpirun >/dev/null 2>&1; then
	echo "skip: mpirun sections: no mpirun (Debian package openmpi-bin)"
	finish
fi
MPIRUN="mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 3"
# under the sanitizers, mpirun and the ranks leak Open MPI's components
# (not opcount's memory): no leak checks in them (see mpi_comm.sh)
[ -n "${SAN_RUNTIME:-}" ] && export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
# ncalls TRACE: the calls it counted (the csv's 6th column)
ncalls() {
	"$OPC" report "$1" --format csv 2>/dev/null | awk -F, 'NR > 1 { n += $6 } END { print n + 0 }'
}
LD_PRELOAD="$LIB" OPCOUNT_OUTPUT="$tmp/one.opc" "$PROG" >/dev/null 2>&1
want=$(ncalls "$tmp/one.opc")
for how in inside outside ptrace; do
	d=$tmp/mpi-$how
	mkdir -p "$d"
	case $how in
	inside) timeout 60 $MPIRUN "$OPC" record -o "$d/run.opc" -- "$PROG" ;;
	outside) timeout 60 "$OPC" record -o "$d/run.opc" -- $MPIRUN "$PROG" ;;
	ptrace) timeout 60 $MPIRUN "$OPC" record --ptrace -o "$d/run.opc" -- "$PROG" ;;
	esac >"$d/out" 2>"$d/err" || { bad "mpirun $how exited $?: $(tail -n 5 "$d/err")"; continue; }
	for r in 0 1 2; do
		[ "$(grep -c . "$d/out")" = "$((3 * $(grep -c . "$tmp/want.out")))" ] ||
			bad "mpirun $how: the ranks' output changed"
		t=$d/run.rank$r.opc
		[ -e "$t" ] || { bad "mpirun $how: no run.rank$r.opc: $(ls "$d")"; continue; }
		expect_info "$t" rank $r
		expect_info "$t" world_size 3
		expect_info "$t" launcher openmpi
		calls=$(ncalls "$t")
		[ "$calls" = "$want" ] && [ "$calls" -gt 0 ] || bad "mpirun $how: rank $r counted $calls calls, not $want"
	done
	jobs=$(for r in 0 1 2; do info "$d/run.rank$r.opc" job; done | sort -u)
	[ "$(echo "$jobs" | wc -l)" = 1 ] && [ -n "$jobs" ] || bad "mpirun $how: job ids '$jobs'"
done
ok "mpirun: 3 ranks, record inside and outside, breakpoints: one trace per rank, one job"

# a failing rank fails mpirun and record
cat >"$tmp/fail1.sh" <<'SH'
#!/bin/sh
"$1" >/dev/null
[ "$OMPI_COMM_WORLD_RANK" = 1 ] && exit 3
exit 0
SH
chmod +x "$tmp/fail1.sh"
timeout 60 $MPIRUN "$OPC" record -o "$tmp/f/run.opc" -- "$tmp/fail1.sh" "$PROG" >/dev/null 2>&1
rc=$?
[ $rc = 3 ] || bad "mpirun opcount record: a rank exiting 3 gave $rc"
timeout 60 "$OPC" record -o "$tmp/g/run.opc" -- $MPIRUN "$tmp/fail1.sh" "$PROG" >/dev/null 2>&1
rc=$?
[ $rc = 3 ] || bad "opcount record mpirun: a rank exiting 3 gave $rc"
ok "a failing rank: exit 3 from mpirun opcount record and from opcount record mpirun"
finish

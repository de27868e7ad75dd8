/*
 * job.h - the distributed job a process is a rank of, as its launcher's
 * environment tells it, and the node it runs on.
 *
 * A launcher gives each rank its global rank, its rank on the node and
 * the job's size in the environment.  The innermost launcher wins: a
 * torchrun started by srun gives its workers RANK (the worker's) beside
 * SLURM_PROCID (the node's task), and mpirun inside an allocation gives
 * OMPI_COMM_WORLD_RANK beside the batch step's SLURM_* variables.
 *
 *   torch.distributed  RANK, WORLD_SIZE, LOCAL_RANK (torchrun, and the
 *                      launchers that follow it); job TORCHELASTIC_RUN_ID,
 *                      else MASTER_ADDR:MASTER_PORT
 *   openmpi            OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK; job
 *                      OMPI_MCA_ess_base_jobid, else PMIX_NAMESPACE
 *   mpich              PMI_RANK, PMI_SIZE, MPI_LOCALRANKID (Hydra) or
 *                      PMI_LOCAL_RANK (PALS); Hydra names no job: the
 *                      scheduler's, where there is one
 *   slurm              SLURM_PROCID, SLURM_STEP_NUM_TASKS (or
 *                      SLURM_NTASKS), SLURM_LOCALID, inside a step only
 *                      (SLURM_STEP_ID set: a batch script is no rank);
 *                      job SLURM_JOB_ID.SLURM_STEP_ID
 *   pmix               PMIX_RANK; job PMIX_NAMESPACE; no size
 *
 * The job id is "<launcher>:<id>", after "slurm:<job>/" or "pbs:<job>/"
 * when a scheduler's job holds the launcher.  Where no id is known it is
 * empty, and a merged report tells jobs apart by time alone.
 *
 * Nothing here calls getenv: the caller passes its own (secure_getenv in
 * the preload library, which reads nothing in a secure process).
 */
#ifndef OPC_JOB_H
#define OPC_JOB_H

typedef char *(*opc_getenv_fn)(const char *name);

struct opc_job {
	const char *launcher;	/* NULL: not a rank of a job */
	long rank, local_rank, world_size;	/* -1: not known */
	char id[256];		/* "" where no launcher says */
};

/* Fills j from the environment get reads; 1 if a launcher was found. */
int opc_job_detect(struct opc_job *j, opc_getenv_fn get);

#endif

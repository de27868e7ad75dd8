/*
 * job.c - the rank, job and node of a process (see job.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

/* A variable that holds a whole decimal number in [0, INT_MAX]: it, or -1. */
static long env_num(opc_getenv_fn get, const char *name)
{
	const char *s = get(name);
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v > INT_MAX ? -1 : v;
}

static const char *env_str(opc_getenv_fn get, const char *name)
{
	const char *s = get(name);

	return s && *s ? s : NULL;
}

/* The scheduler's job holding the launcher: "slurm:<id>/", "pbs:<id>/", "". */
static void scheduler(opc_getenv_fn get, const char *launcher, char *out, size_t len)
{
	const char *s;

	out[0] = 0;
	if (strcmp(launcher, "slurm") && (s = env_str(get, "SLURM_JOB_ID")))
		snprintf(out, len, "slurm:%.100s/", s);
	else if ((s = env_str(get, "PBS_JOBID")))
		snprintf(out, len, "pbs:%.100s/", s);
}

static int torch(struct opc_job *j, opc_getenv_fn get, char *id, size_t len)
{
	const char *run = env_str(get, "TORCHELASTIC_RUN_ID");
	const char *addr = env_str(get, "MASTER_ADDR"), *port = env_str(get, "MASTER_PORT");

	j->rank = env_num(get, "RANK");
	j->world_size = env_num(get, "WORLD_SIZE");
	if (j->rank < 0 || j->world_size < 1)
		return 0;
	j->local_rank = env_num(get, "LOCAL_RANK");
	j->launcher = run ? "torchrun" : "torch.distributed";
	/* torchrun's default rendezvous id is "none": the master's address
	 * then tells one job from another at the same time */
	if (run && strcmp(run, "none"))
		snprintf(id, len, "%.200s", run);
	else if (addr || port)
		snprintf(id, len, "%.120s:%.16s", addr ? addr : "", port ? port : "");
	return 1;
}

static int openmpi(struct opc_job *j, opc_getenv_fn get, char *id, size_t len)
{
	const char *s;

	j->rank = env_num(get, "OMPI_COMM_WORLD_RANK");
	if (j->rank < 0)
		return 0;
	j->world_size = env_num(get, "OMPI_COMM_WORLD_SIZE");
	j->local_rank = env_num(get, "OMPI_COMM_WORLD_LOCAL_RANK");
	j->launcher = "openmpi";
	if ((s = env_str(get, "OMPI_MCA_ess_base_jobid")) || (s = env_str(get, "PMIX_NAMESPACE")))
		snprintf(id, len, "%.200s", s);
	return 1;
}

static int mpich(struct opc_job *j, opc_getenv_fn get, char *id, size_t len)
{
	j->rank = env_num(get, "PMI_RANK");
	j->world_size = env_num(get, "PMI_SIZE");
	if (j->rank < 0 || j->world_size < 1)
		return 0;
	j->local_rank = env_num(get, "MPI_LOCALRANKID");
	if (j->local_rank < 0)
		j->local_rank = env_num(get, "PMI_LOCAL_RANK");
	j->launcher = "mpich";
	return 1;
}

static int slurm(struct opc_job *j, opc_getenv_fn get, char *id, size_t len)
{
	const char *job = env_str(get, "SLURM_JOB_ID"), *step = env_str(get, "SLURM_STEP_ID");

	j->rank = env_num(get, "SLURM_PROCID");
	if (j->rank < 0 || step == NULL)
		return 0;
	j->world_size = env_num(get, "SLURM_STEP_NUM_TASKS");
	if (j->world_size < 1)
		j->world_size = env_num(get, "SLURM_NTASKS");
	j->local_rank = env_num(get, "SLURM_LOCALID");
	j->launcher = "slurm";
	if (job)
		snprintf(id, len, "%.100s.%.100s", job, step);
	return 1;
}

static int pmix(struct opc_job *j, opc_getenv_fn get, char *id, size_t len)
{
	const char *ns = env_str(get, "PMIX_NAMESPACE");

	j->rank = env_num(get, "PMIX_RANK");
	if (j->rank < 0)
		return 0;
	j->launcher = "pmix";
	if (ns)
		snprintf(id, len, "%.200s", ns);
	return 1;
}

int opc_job_detect(struct opc_job *j, opc_getenv_fn get)
{
	static int (*const launchers[])(struct opc_job *, opc_getenv_fn, char *, size_t) = {
		torch, openmpi, mpich, slurm, pmix,
	};
	char id[210], sched[110];

	for (size_t i = 0; i < sizeof(launchers) / sizeof(launchers[0]); i++) {
		memset(j, 0, sizeof(*j));
		j->rank = j->local_rank = j->world_size = -1;
		id[0] = 0;
		if (!launchers[i](j, get, id, sizeof(id)))
			continue;
		/* a rank beyond the job's size is no rank of it */
		if (j->world_size > 0 && j->rank >= j->world_size)
			break;
		scheduler(get, j->launcher, sched, sizeof(sched));
		if (id[0] || sched[0])
			snprintf(j->id, sizeof(j->id), "%s%s:%s", sched, j->launcher, id);
		return 1;
	}
	memset(j, 0, sizeof(*j));
	j->rank = j->local_rank = j->world_size = -1;
	return 0;
}

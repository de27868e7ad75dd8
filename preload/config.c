/*
 * config.c - the configuration of libopcount.so: the environment, read
 * once in the constructor, and the tracer's settings at the injected
 * start (see config.h).
 */
#define PR_FMT "opcount"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "datadir.h"
#include "energy.h"
#include "inject_abi.h"
#include "log.h"

struct opc_config opc_config_store = {
	.stack_depth = OPC_STACK_MAX,
	.max_keys = OPC_MAX_KEYS_DEFAULT,
	.hz = 100,
	.interval_ns = 10000000,	/* 100 Hz */
	.output = "opcount-%p.opc",
};

static long env_long(const char *name, long def, long lo, long hi)
{
	const char *s = secure_getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == 0)
		return def;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi) {
		pr_warn("ignoring %s=%s: expected an integer in [%ld, %ld]", name, s, lo, hi);
		return def;
	}
	return v;
}

/* A string setting, copied: the program may change its environment. */
static void env_str(char *out, size_t len, const char *name)
{
	const char *s = secure_getenv(name);

	snprintf(out, len, "%s", s ? s : "");
}

/*
 * The output pattern, made absolute from the working directory: the path
 * is fixed now, even if the program changes directory before its first
 * call.  A % in the directory's name is a %, not the %p or %h of the
 * pattern.
 */
static void output_absolute(char *out, size_t len, const char *pattern)
{
	char cwd[PATH_MAX];
	size_t o = 0;

	if (pattern[0] == '/' || !getcwd(cwd, sizeof(cwd))) {
		snprintf(out, len, "%s", pattern);
		return;
	}
	for (const char *p = cwd; *p && o + 3 < len; p++) {
		if (*p == '%')
			out[o++] = '%';
		out[o++] = *p;
	}
	snprintf(out + o, len - o, "/%s", pattern);
}

/*
 * Invariant TSC: rdtsc is then a clock, at half the cost of the vDSO's
 * clock_gettime.  Otherwise time with CLOCK_MONOTONIC.  Only the first
 * CPU's flags are read: the kernel generates /proc/cpuinfo as it is read,
 * and the whole of it, on a machine of many CPUs, costs every process
 * that loads the library a millisecond or more.
 */
static int tsc_usable(void)
{
#if defined(__x86_64__)
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "re");
	int ok = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		ok = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
		break;
	}
	fclose(f);
	return ok;
#else
	return 0;
#endif
}

/*
 * Secure execution (AT_SECURE: setuid or setgid, file capabilities, an
 * LSM transition): the environment belongs to a user the process does
 * not trust, and every setting is a path opened or loaded with the
 * process's privileges (the trace, the NVML library, the powercap tree,
 * the data directory).  A careful library does nothing there: it passes
 * every call through, as with OPCOUNT_DISABLE=1, reads no variable,
 * opens and loads nothing, and says nothing.  Counting a privileged
 * program is root's business: run it as root, not setuid.
 */
static int secure_exec(void)
{
	return getauxval(AT_SECURE) != 0;
}

int opc_config_load(void)
{
	struct opc_config *c = &opc_config_store;
	const char *out, *root, *off;
	struct timespec ts;

	/* first: the energy baseline and the trace's clock start here */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->t0_ns = (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
	off = secure_exec() ? "1" : secure_getenv("OPCOUNT_DISABLE");
	if (off && atoi(off)) {
		c->disabled = 1;
		return -1;
	}
	/* secure_getenv throughout, though secure_exec() returned already:
	 * no path below may ever read the environment of a secure process */
	out = secure_getenv("OPCOUNT_OUTPUT");
	root = secure_getenv("OPCOUNT_ROOT_PID");
	c->report = env_long("OPCOUNT_REPORT", 0, 0, 1);
	c->nested = env_long("OPCOUNT_NESTED", 0, 0, 1);
	c->stack_depth = env_long("OPCOUNT_STACK_DEPTH", OPC_STACK_MAX, 0, OPC_STACK_MAX);
	c->max_keys = env_long("OPCOUNT_MAX_KEYS", OPC_MAX_KEYS_DEFAULT, 1, OPC_MAX_KEYS_LIMIT);
	c->hz = env_long("OPCOUNT_HZ", 100, 1, 10000);
	c->interval_ns = 1000000000 / c->hz;
	c->use_tsc = tsc_usable() && !secure_getenv("OPCOUNT_NO_TSC");
	/* set by `opcount record`: any value, even one atoi reads as 0,
	 * names the command's trace FILE and gives other processes .<pid> */
	c->root_set = root != NULL;
	c->root_pid = root ? atoi(root) : 0;
	env_str(c->energy, sizeof(c->energy), "OPCOUNT_ENERGY");
	env_str(c->idle_w, sizeof(c->idle_w), "OPCOUNT_IDLE_W");
	env_str(c->powercap_root, sizeof(c->powercap_root), "OPCOUNT_POWERCAP_ROOT");
	env_str(c->nvml_library, sizeof(c->nvml_library), "OPCOUNT_NVML_LIBRARY");
	/* set but empty is no GPU at all, as for CUDA */
	c->visible_gpus_set = secure_getenv("CUDA_VISIBLE_DEVICES") != NULL;
	env_str(c->visible_gpus, sizeof(c->visible_gpus), "CUDA_VISIBLE_DEVICES");
	opc_job_detect(&c->job, secure_getenv);
	env_str(c->test_host, sizeof(c->test_host), "OPCOUNT_TEST_HOST");
	env_str(c->test_boot_id, sizeof(c->test_boot_id), "OPCOUNT_TEST_BOOT_ID");

	output_absolute(c->output, sizeof(c->output), out && *out ? out : "opcount-%p.opc");
	return 0;
}

/*
 * The tracer's choices replace the environment's for what it decides:
 * the trace's name, the rate, the energy source and its powercap tree,
 * the idle power, and the root process (its children name their traces
 * after it).  Counting options (nested calls, stacks, timing) stay the
 * process's own, and so do its GPUs and NVML.
 */
void opc_config_inject(const struct opc_inject_cfg *ic)
{
	struct opc_config *c = &opc_config_store;
	const char *s;

	c->root_set = 1;
	c->root_pid = ic->root_pid;
	if (ic->hz > 0) {
		c->hz = ic->hz;
		c->interval_ns = 1000000000u / (uint64_t)ic->hz;
	}
	snprintf(c->output, sizeof(c->output), "%s", (const char *)(uintptr_t)ic->output);
	s = (const char *)(uintptr_t)ic->energy;
	snprintf(c->energy, sizeof(c->energy), "%s", s ? s : "");
	s = (const char *)(uintptr_t)ic->idle_w;
	snprintf(c->idle_w, sizeof(c->idle_w), "%s", s ? s : "");
	s = (const char *)(uintptr_t)ic->powercap_root;
	snprintf(c->powercap_root, sizeof(c->powercap_root), "%s", s ? s : "");
	/* last: resolve.c stops resolving once it sees this */
	__atomic_store_n(&c->inject, 1, __ATOMIC_RELEASE);
}

void opc_config_energy(struct opc_energy_opts *o)
{
	const struct opc_config *c = opc_cfg();

	o->source = c->energy;
	o->powercap_root = c->powercap_root;
	o->nvml_library = c->nvml_library;
	o->visible_gpus = c->visible_gpus_set ? c->visible_gpus : NULL;
	/* here, not at load: the search resolves the library's path */
	if (!c->data_dir[0])
		snprintf(opc_config_store.data_dir, sizeof(c->data_dir), "%s", opc_data_dir());
	o->data_dir = c->data_dir;
}

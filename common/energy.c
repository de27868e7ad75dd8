/*
 * energy.c - RAPL (powercap), the perf power PMU, NVML and the estimate.
 *
 * RAPL is read through the powercap tree (default /sys/class/powercap),
 * the same files on Intel and AMD.  The perf power PMU serves kernels and
 * permissions where it is readable but powercap is not.  NVML is loaded
 * with dlopen, never linked.  When nothing can be read, the estimate (TDP
 * x CPU utilisation of this process) keeps the tool useful, and it says
 * everywhere that it is an estimate.  Where to look is the caller's
 * struct opc_energy_opts: nothing here reads the environment.
 */
#define PR_FMT "opcount"
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "datadir.h"
#include "energy.h"
#include "file.h"
#include "log.h"
#include "producer.h"
#include "trace.h"


const char *opc_energy_kind_name(int kind)
{
	switch (kind) {
	case OPC_DOM_PACKAGE: return "package";
	case OPC_DOM_CORE: return "core";
	case OPC_DOM_UNCORE: return "uncore";
	case OPC_DOM_DRAM: return "dram";
	case OPC_DOM_PSYS: return "psys";
	case OPC_DOM_GPU: return "gpu";
	case OPC_DOM_ESTIMATE: return "estimate";
	}
	return "?";
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

static int pread_u64(int fd, uint64_t *v)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;

	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (end == buf || errno)
		return -EINVAL;
	return 0;
}

/* ---- RAPL through powercap ---- */

static int rapl_kind(const char *name)
{
	if (!strncmp(name, "package", 7))
		return OPC_DOM_PACKAGE;
	if (!strcmp(name, "core"))
		return OPC_DOM_CORE;
	if (!strcmp(name, "uncore"))
		return OPC_DOM_UNCORE;
	if (!strcmp(name, "dram"))
		return OPC_DOM_DRAM;
	if (!strcmp(name, "psys"))
		return OPC_DOM_PSYS;
	return 0;
}

static int zone_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Zones appear flat in /sys/class/powercap as intel-rapl:P (a package or
 * psys) and intel-rapl:P:S (its core, uncore, dram); AMD's driver uses the
 * same names.  The mmio interface duplicates the package counter and is
 * skipped.
 */
static int rapl_open(struct opc_energy *e, const char *root, char *msg, size_t len)
{
	char *names[OPC_ENERGY_MAX_DOMAINS];
	int nnames = 0, denied = 0, have_psys = 0;
	char denied_path[1024] = "";
	struct dirent *de;
	DIR *d;

	if (root == NULL || *root == 0)
		root = "/sys/class/powercap";
	d = opendir(root);
	if (d == NULL) {
		snprintf(msg, len, "no powercap tree at %s", root);
		return -ENOENT;
	}
	while ((de = readdir(d)) && nnames < OPC_ENERGY_MAX_DOMAINS) {
		if (!strstr(de->d_name, "-rapl:") || strstr(de->d_name, "mmio"))
			continue;
		names[nnames++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, nnames, sizeof(names[0]), zone_cmp);

	for (int i = 0; i < nnames; i++) {
		struct opc_energy_domain *dom = &e->dom[e->ndom];
		char path[1024], name[64], val[64];
		const char *colon = strchr(names[i], ':');
		int pkg = colon ? atoi(colon + 1) : 0;
		int kind, fd;

		snprintf(path, sizeof(path), "%s/%s/name", root, names[i]);
		if (read_small(path, name, sizeof(name)) < 0 || !(kind = rapl_kind(name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/energy_uj", root, names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == EACCES || errno == EPERM) {
				denied++;
				snprintf(denied_path, sizeof(denied_path), "%s", path);
			}
			continue;
		}
		memset(dom, 0, sizeof(*dom));
		dom->fd = fd;
		dom->kind = kind;
		dom->joules_per_raw = 1e-6;
		if (kind == OPC_DOM_PACKAGE || kind == OPC_DOM_PSYS)
			snprintf(dom->name, sizeof(dom->name), "%s", name);
		else
			snprintf(dom->name, sizeof(dom->name), "%s-%d", name, pkg);
		snprintf(path, sizeof(path), "%s/%s/max_energy_range_uj", root, names[i]);
		if (read_small(path, val, sizeof(val)) == 0)
			dom->max_raw = strtoull(val, NULL, 10);
		if (pread_u64(fd, &dom->last_raw) < 0) {
			if (errno == EACCES || errno == EPERM) {
				denied++;
				snprintf(denied_path, sizeof(denied_path), "%s", path);
			}
			close(fd);
			continue;
		}
		have_psys |= kind == OPC_DOM_PSYS;
		e->ndom++;
	}
	for (int i = 0; i < nnames; i++)
		free(names[i]);
	if (e->ndom == 0) {
		if (denied)
			snprintf(msg, len,
				 "RAPL counters exist but %s is not readable: since Linux 5.10 "
				 "energy_uj is root-only (CVE-2020-8694). Run as root, or grant "
				 "read access: sudo chmod o+r %s/*/energy_uj (or a udev rule)",
				 denied_path, root);
		else
			snprintf(msg, len, "no RAPL zones under %s", root);
		return denied ? -EACCES : -ENOENT;
	}
	/* psys holds packages and DRAM; core and uncore are in packages. */
	for (int i = 0; i < e->ndom; i++) {
		int k = e->dom[i].kind;

		e->dom[i].counted = have_psys ? k == OPC_DOM_PSYS
					      : (k == OPC_DOM_PACKAGE || k == OPC_DOM_DRAM);
	}
	snprintf(e->source, sizeof(e->source), "rapl");
	e->measured = 1;
	e->resolution_j = 1e-6;
	return 0;
}

static int rapl_sample(struct opc_energy_domain *d)
{
	uint64_t raw, delta;
	int ret = pread_u64(d->fd, &raw);

	if (ret < 0)
		return ret;
	/* A lower reading is a wrap at max_energy_range_uj, never negative
	 * energy; sampling at >= 1 Hz keeps it to one wrap between reads. */
	if (raw >= d->last_raw)
		delta = raw - d->last_raw;
	else if (d->max_raw > d->last_raw)
		delta = d->max_raw - d->last_raw + raw;
	else
		delta = raw;
	d->last_raw = raw;
	d->joules += delta * d->joules_per_raw;
	return 0;
}

/* ---- perf_event power PMU ---- */

static int perf_open(struct opc_energy *e, char *msg, size_t len)
{
	static const struct {
		const char *event;
		int kind;
	} events[] = {
		{ "energy-pkg", OPC_DOM_PACKAGE }, { "energy-ram", OPC_DOM_DRAM },
		{ "energy-cores", OPC_DOM_CORE }, { "energy-psys", OPC_DOM_PSYS },
	};
	const char *dir = "/sys/bus/event_source/devices/power";
	char path[512], buf[256];
	int type, cpu, have_psys = 0, denied = 0;

	snprintf(path, sizeof(path), "%s/type", dir);
	if (read_small(path, buf, sizeof(buf)) < 0) {
		snprintf(msg, len, "no perf power PMU (%s)", dir);
		return -ENOENT;
	}
	type = atoi(buf);
	snprintf(path, sizeof(path), "%s/cpumask", dir);
	cpu = read_small(path, buf, sizeof(buf)) == 0 ? atoi(buf) : 0;
	/* One counter per package would need one fd per cpumask entry; the
	 * first package is read here, which is the whole machine on the
	 * single-socket hosts this mode is for. */
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		struct perf_event_attr attr;
		struct opc_energy_domain *dom = &e->dom[e->ndom];
		unsigned long long config;
		char *p;
		int fd;

		snprintf(path, sizeof(path), "%s/events/%s", dir, events[i].event);
		if (read_small(path, buf, sizeof(buf)) < 0 || !(p = strstr(buf, "event=")))
			continue;
		config = strtoull(p + 6, NULL, 0);
		memset(&attr, 0, sizeof(attr));
		attr.type = type;
		attr.size = sizeof(attr);
		attr.config = config;
		fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			denied += errno == EACCES || errno == EPERM;
			continue;
		}
		memset(dom, 0, sizeof(*dom));
		dom->fd = fd;
		dom->kind = events[i].kind;
		snprintf(dom->name, sizeof(dom->name), "%s", events[i].event + 7);
		snprintf(path, sizeof(path), "%s/events/%s.scale", dir, events[i].event);
		dom->joules_per_raw = read_small(path, buf, sizeof(buf)) == 0 ? strtod(buf, NULL)
									       : 2.3283064365386963e-10;
		if (read(fd, &dom->last_raw, sizeof(dom->last_raw)) != sizeof(dom->last_raw)) {
			close(fd);
			continue;
		}
		have_psys |= dom->kind == OPC_DOM_PSYS;
		e->ndom++;
	}
	if (e->ndom == 0) {
		snprintf(msg, len, denied ? "the perf power PMU is not readable: needs "
					    "CAP_PERFMON or kernel.perf_event_paranoid <= 0"
					  : "no readable perf power events");
		return denied ? -EACCES : -ENOENT;
	}
	for (int i = 0; i < e->ndom; i++) {
		int k = e->dom[i].kind;

		e->dom[i].counted = have_psys ? k == OPC_DOM_PSYS
					      : (k == OPC_DOM_PACKAGE || k == OPC_DOM_DRAM);
	}
	snprintf(e->source, sizeof(e->source), "perf");
	e->measured = 1;
	e->resolution_j = e->dom[0].joules_per_raw;
	return 0;
}

static int perf_sample(struct opc_energy_domain *d)
{
	uint64_t raw;

	if (pread(d->fd, &raw, sizeof(raw), 0) != sizeof(raw) &&
	    read(d->fd, &raw, sizeof(raw)) != sizeof(raw))
		return -EIO;
	d->joules += (raw - d->last_raw) * d->joules_per_raw;
	d->last_raw = raw;
	return 0;
}

/* ---- NVML, loaded at run time ---- */

typedef int (*nvml_init_t)(void);
typedef int (*nvml_count_t)(unsigned int *);
typedef int (*nvml_handle_t)(unsigned int, void **);
typedef int (*nvml_name_t)(void *, char *, unsigned int);
typedef int (*nvml_energy_t)(void *, unsigned long long *);
typedef int (*nvml_power_t)(void *, unsigned int *);
typedef int (*nvml_uuid_t)(void *, char *, unsigned int);

static struct {
	void *lib;
	nvml_energy_t energy;
	nvml_power_t power;
	void *handle[OPC_ENERGY_MAX_DOMAINS];
} nvml;

/* GPUs belong to the run according to CUDA_VISIBLE_DEVICES when set
 * (v, NULL when not). */
static int gpu_visible(const char *v, unsigned int index, const char *uuid)
{
	char list[1024], *tok, *save;

	if (v == NULL)
		return 1;
	snprintf(list, sizeof(list), "%s", v);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (!strncmp(tok, "GPU-", 4) || !strncmp(tok, "MIG-", 4)) {
			if (uuid && !strncmp(uuid, tok, strlen(tok)))
				return 1;
		} else if (*tok >= '0' && *tok <= '9' && (unsigned)atoi(tok) == index) {
			return 1;
		}
	}
	return 0;
}

static int nvml_open(struct opc_energy *e, const struct opc_energy_opts *o, char *msg,
		     size_t len)
{
	const char *path = o->nvml_library;
	nvml_init_t init;
	nvml_count_t count;
	nvml_handle_t handle;
	nvml_name_t name;
	nvml_uuid_t uuid;
	unsigned int n = 0;

	/* a library a user names is code run with the process's rights: never
	 * in secure execution (setuid; the preload library is off there
	 * anyway), where only the system's NVML is loaded */
	if (getauxval(AT_SECURE))
		path = NULL;
	nvml.lib = dlopen(path && *path ? path : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (nvml.lib == NULL) {
		snprintf(msg, len, "NVML not available (%s)", path && *path ? path
								      : "libnvidia-ml.so.1");
		return -ENOENT;
	}
	init = (nvml_init_t)dlsym(nvml.lib, "nvmlInit_v2");
	count = (nvml_count_t)dlsym(nvml.lib, "nvmlDeviceGetCount_v2");
	handle = (nvml_handle_t)dlsym(nvml.lib, "nvmlDeviceGetHandleByIndex_v2");
	name = (nvml_name_t)dlsym(nvml.lib, "nvmlDeviceGetName");
	uuid = (nvml_uuid_t)dlsym(nvml.lib, "nvmlDeviceGetUUID");
	nvml.energy = (nvml_energy_t)dlsym(nvml.lib, "nvmlDeviceGetTotalEnergyConsumption");
	nvml.power = (nvml_power_t)dlsym(nvml.lib, "nvmlDeviceGetPowerUsage");
	if (!init || !count || !handle || (!nvml.energy && !nvml.power) || init() != 0 ||
	    count(&n) != 0 || n == 0) {
		snprintf(msg, len, "NVML found no GPU");
		dlclose(nvml.lib);
		nvml.lib = NULL;
		return -ENOENT;
	}
	for (unsigned int i = 0; i < n && e->ndom < OPC_ENERGY_MAX_DOMAINS; i++) {
		struct opc_energy_domain *dom = &e->dom[e->ndom];
		char nm[96] = "GPU", id[96] = "";
		unsigned long long mj;
		unsigned int mw;
		void *h;

		if (handle(i, &h) != 0)
			continue;
		if (uuid)
			uuid(h, id, sizeof(id));
		if (!gpu_visible(o->visible_gpus, i, id))
			continue;
		if (name)
			name(h, nm, sizeof(nm));
		memset(dom, 0, sizeof(*dom));
		dom->fd = -1;
		dom->kind = OPC_DOM_GPU;
		dom->counted = 1;
		dom->gpu_index = e->ndom;
		nvml.handle[e->ndom] = h;
		snprintf(dom->name, sizeof(dom->name), "gpu%u %s", i, nm);
		if (nvml.energy && nvml.energy(h, &mj) == 0) {
			dom->gpu_has_energy = 1;
			dom->last_raw = mj;
			dom->joules_per_raw = 1e-3;
		} else if (nvml.power && nvml.power(h, &mw) == 0) {
			dom->last_power_w = mw / 1000.0;
		} else {
			continue;
		}
		e->ndom++;
	}
	if (e->ndom == 0) {
		snprintf(msg, len, "NVML: no visible GPU with an energy or power reading");
		return -ENOENT;
	}
	snprintf(e->source, sizeof(e->source), "nvml");
	e->measured = 1;
	e->resolution_j = 1e-3;
	return 0;
}

static int nvml_sample(struct opc_energy *e, struct opc_energy_domain *d, double dt)
{
	void *h = nvml.handle[d->gpu_index];

	(void)e;
	if (d->gpu_has_energy) {
		unsigned long long mj;

		if (nvml.energy(h, &mj) != 0)
			return -EIO;
		if (mj >= d->last_raw)
			d->joules += (mj - d->last_raw) * 1e-3;
		d->last_raw = mj;
	} else {
		unsigned int mw;

		if (nvml.power(h, &mw) != 0)
			return -EIO;
		/* trapezoid between two power readings */
		d->joules += 0.5 * (d->last_power_w + mw / 1000.0) * dt;
		d->last_power_w = mw / 1000.0;
	}
	return 0;
}

/* ---- the estimate ---- */

/* "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz" -> "Intel Xeon Gold 6130" */
static void normalise_model(const char *in, char *out, size_t len)
{
	static const char *drop[] = { "(R)", "(r)", "(TM)", "(tm)", " CPU", " Processor",
				      "-Core", NULL };
	char buf[256];
	char *at;
	size_t o = 0;

	snprintf(buf, sizeof(buf), "%s", in);
	at = strstr(buf, " @");
	if (at)
		*at = 0;
	for (const char *p = buf; *p && o + 1 < len;) {
		int skipped = 0;

		for (int i = 0; drop[i]; i++)
			if (!strncmp(p, drop[i], strlen(drop[i]))) {
				p += strlen(drop[i]);
				skipped = 1;
				break;
			}
		if (skipped)
			continue;
		if (*p == ' ' && (o == 0 || out[o - 1] == ' ')) {
			p++;
			continue;
		}
		out[o++] = *p++;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = 0;
}

/* The table's TDP for cpu_model, or 0 if the model is not in it.  The
 * table is "Name,TDP" with the names vendors print (codecarbon's list). */
double opc_energy_tdp_lookup(const char *table_path, const char *cpu_model)
{
	char want[256], line[512], name[256];
	double best = 0;
	size_t best_len = 0;
	FILE *f = opc_fopen_regular(table_path);	/* a FIFO must not hang the program */

	if (f == NULL)
		return 0;
	normalise_model(cpu_model, want, sizeof(want));
	while (fgets(line, sizeof(line), f)) {
		char *comma = strrchr(line, ',');

		if (comma == NULL)
			continue;
		*comma = 0;
		normalise_model(line, name, sizeof(name));
		if (!name[0])
			continue;
		if (!strcmp(name, want)) {
			best = strtod(comma + 1, NULL);
			break;
		}
		/* "AMD EPYC 7763 64-Core" contains "AMD EPYC 7763": the longest
		 * table name found in the model string wins. */
		if (strlen(name) > best_len && strstr(want, name) && strlen(name) >= 6) {
			char next = want[strstr(want, name) - want + strlen(name)];

			if (next == 0 || next == ' ') {
				best = strtod(comma + 1, NULL);
				best_len = strlen(name);
			}
		}
	}
	fclose(f);
	return best;
}

/* CPU time of process pid (0: this one); 0 when it cannot be read (it
 * exited): the caller keeps its last value then. */
static uint64_t cpu_time_ns(pid_t pid)
{
	struct timespec ts;
	clockid_t clk = CLOCK_PROCESS_CPUTIME_ID;

	if (pid && clock_getcpuclockid(pid, &clk) != 0)
		return 0;
	if (clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

#define DEFAULT_TDP_W 85.0	/* codecarbon's default for an unknown CPU */

static int estimate_open(struct opc_energy *e, const char *dir, char *msg, size_t len)
{
	char model[256], table[1024];
	struct opc_energy_domain *dom = &e->dom[0];

	snprintf(table, sizeof(table), "%s/cpu-tdp-watts.csv", dir && *dir ? dir : opc_data_dir());
	opc_cpu_model(model, sizeof(model));
	e->tdp_w = opc_energy_tdp_lookup(table, model);
	e->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (e->ncpu < 1)
		e->ncpu = 1;
	if (e->tdp_w > 0)
		snprintf(e->note, sizeof(e->note), "estimate: TDP %.0f W of '%s' x CPU "
			 "utilisation of the process", e->tdp_w, model);
	else {
		e->tdp_w = DEFAULT_TDP_W;
		snprintf(e->note, sizeof(e->note), "estimate: TDP of '%s' unknown, %.0f W "
			 "assumed, x CPU utilisation of the process", model, e->tdp_w);
	}
	memset(dom, 0, sizeof(*dom));
	dom->fd = -1;
	dom->kind = OPC_DOM_ESTIMATE;
	dom->counted = 1;
	snprintf(dom->name, sizeof(dom->name), "cpu-estimate");
	e->ndom = 1;
	e->last_cpu_ns = cpu_time_ns(e->cpu_pid);
	snprintf(e->source, sizeof(e->source), "estimate");
	e->measured = 0;
	e->resolution_j = 0;
	(void)msg;
	(void)len;
	return 0;
}

static void estimate_sample(struct opc_energy *e, double dt)
{
	uint64_t cpu = cpu_time_ns(e->cpu_pid);
	double busy = cpu > e->last_cpu_ns ? (cpu - e->last_cpu_ns) / 1e9 : 0;
	double util = dt > 0 ? busy / (dt * e->ncpu) : 0;

	if (util > 1)
		util = 1;
	e->dom[0].joules += e->tdp_w * util * dt;
	if (cpu)
		e->last_cpu_ns = cpu;
}

/* ---- the interface ---- */

static int energy_open_one(struct opc_energy *e, const char *want,
			   const struct opc_energy_opts *o, char *msg, size_t len);

/*
 * The GPUs' domains beside the CPU's: "auto" adds NVML to whatever it
 * found for the CPU, when NVML is there (silently otherwise), and
 * "SOURCE+nvml" asks for both.  GPU work is then attributed the GPUs'
 * energy and CPU work the rest (analysis/attribute.c).
 */
static void add_gpus(struct opc_energy *e, const struct opc_energy_opts *o, int required,
		     char *msg, size_t len)
{
	static struct opc_energy g;	/* big: not on the stack */
	char why[512] = "";
	size_t n;

	if (nvml_open(&g, o, why, sizeof(why)) < 0) {
		if (required && len > (n = strlen(msg)))
			snprintf(msg + n, len - n, "%s%s", n ? "; " : "", why);
		return;
	}
	for (int i = 0; i < g.ndom && e->ndom < OPC_ENERGY_MAX_DOMAINS; i++)
		e->dom[e->ndom++] = g.dom[i];	/* gpu_index: NVML's handle slot */
	n = strlen(e->source);
	snprintf(e->source + n, sizeof(e->source) - n, "+nvml");
	if (g.resolution_j > e->resolution_j)
		e->resolution_j = g.resolution_j;
}

int opc_energy_open(struct opc_energy *e, const struct opc_energy_opts *o, char *msg,
		    size_t len)
{
	const char *want = o->source;
	const char *plus = want ? strchr(want, '+') : NULL;
	char first[16];
	int ret;

	if (want == NULL || *want == 0)
		want = "auto";
	if (plus == NULL) {
		ret = energy_open_one(e, want, o, msg, len);
		if (ret == 0 && !strcmp(want, "auto") && strcmp(e->source, "nvml") &&
		    strcmp(e->source, "none"))
			add_gpus(e, o, 0, msg, len);
		return ret;
	}
	if (strcmp(plus, "+nvml") || (size_t)(plus - want) >= sizeof(first) ||
	    !strncmp(want, "nvml", 4)) {
		snprintf(msg, len, "unknown energy source '%s' (auto, rapl, perf, nvml, estimate, "
			 "none, or rapl+nvml, perf+nvml, estimate+nvml)", want);
		return -EINVAL;
	}
	snprintf(first, sizeof(first), "%.*s", (int)(plus - want), want);
	ret = energy_open_one(e, first, o, msg, len);
	if (ret == 0)
		add_gpus(e, o, 1, msg, len);
	return ret;
}

static int energy_open_one(struct opc_energy *e, const char *want,
			   const struct opc_energy_opts *o, char *msg, size_t len)
{
	char why[1024] = "";
	int ret = -ENOENT;

	memset(e, 0, sizeof(*e));
	msg[0] = 0;
	if (want == NULL || *want == 0)
		want = "auto";
	if (!strcmp(want, "none")) {
		snprintf(e->source, sizeof(e->source), "none");
		return 0;
	}
	if (!strcmp(want, "rapl") || !strcmp(want, "auto")) {
		ret = rapl_open(e, o->powercap_root, why, sizeof(why));
		if (ret == 0 || strcmp(want, "auto"))
			goto out;
		if (ret == -EACCES)	/* exists but unreadable: say so */
			snprintf(msg, len, "%s", why);
		memset(e, 0, sizeof(*e));
	}
	if (!strcmp(want, "perf") || !strcmp(want, "auto")) {
		ret = perf_open(e, why, sizeof(why));
		if (ret == 0 || strcmp(want, "auto"))
			goto out;
		memset(e, 0, sizeof(*e));
	}
	if (!strcmp(want, "nvml") || !strcmp(want, "auto")) {
		ret = nvml_open(e, o, why, sizeof(why));
		if (ret == 0 || strcmp(want, "auto"))
			goto out;
		memset(e, 0, sizeof(*e));
	}
	if (!strcmp(want, "estimate") || !strcmp(want, "auto")) {
		ret = estimate_open(e, o->data_dir, why, sizeof(why));
		if (ret == 0 && msg[0]) {
			size_t n = strlen(msg);

			snprintf(msg + n, len - n, "; falling back to the estimate");
		}
		goto out_nomsg;
	}
	snprintf(msg, len, "unknown energy source '%s' (auto, rapl, perf, nvml, estimate, none)",
		 want);
	return -EINVAL;
out:
	if (ret < 0)
		snprintf(msg, len, "%s", why);
out_nomsg:
	/* The caller's first opc_energy_sample sets the time base. */
	return ret;
}

int opc_energy_sample(struct opc_energy *e, uint64_t t_ns)
{
	double dt = e->last_ns && t_ns > e->last_ns ? (t_ns - e->last_ns) / 1e9 : 0;
	int ret = 0;

	if (!strncmp(e->source, "estimate", 8))
		estimate_sample(e, dt);
	for (int i = 0; i < e->ndom; i++) {
		struct opc_energy_domain *d = &e->dom[i];
		int r = 0;

		if (d->kind == OPC_DOM_ESTIMATE)
			continue;
		/* Domains outside the total (core, uncore) are informative
		 * only: above 100 Hz they are read every 10 ms, which halves
		 * the cost of sampling at 1 kHz. */
		if (!d->counted && d->last_ns && t_ns - d->last_ns < 10000000)
			continue;
		d->last_ns = t_ns;
		if (d->kind == OPC_DOM_GPU)
			r = nvml_sample(e, d, dt);
		else if (!strncmp(e->source, "perf", 4))
			r = perf_sample(d);
		else
			r = rapl_sample(d);
		if (r < 0)
			ret = r;
	}
	e->last_ns = t_ns;
	return ret;
}

double opc_energy_total(const struct opc_energy *e)
{
	double j = 0;

	for (int i = 0; i < e->ndom; i++)
		if (e->dom[i].counted)
			j += e->dom[i].joules;
	return j;
}

/* Closes the CPU counters of e (the GPUs' are NVML's handles). */
static void close_cpu_domains(struct opc_energy *e)
{
	for (int i = 0; i < e->ndom; i++)
		if (e->dom[i].fd >= 0 && e->dom[i].kind != OPC_DOM_ESTIMATE &&
		    e->dom[i].kind != OPC_DOM_GPU)
			close(e->dom[i].fd);
}

static void drop_standby(struct opc_energy *e)
{
	if (e->standby) {
		close_cpu_domains(e->standby);
		free(e->standby);
		e->standby = NULL;
	}
}

void opc_energy_close(struct opc_energy *e)
{
	close_cpu_domains(e);
	drop_standby(e);
	e->ndom = 0;
}

/* ---- in a trace ---- */

/* The baseline of every domain: a counter moved when its reading differs. */
static void set_baseline(struct opc_energy *e, uint64_t now_ns)
{
	opc_energy_sample(e, now_ns);
	for (int i = 0; i < e->ndom; i++)
		e->dom[i].raw0 = e->dom[i].last_raw;
}

int opc_energy_start(struct opc_energy *e, const struct opc_energy_opts *o, pid_t pid,
		     uint64_t now_ns, char *msg, size_t len)
{
	const char *want = o->source;
	int is_auto = want == NULL || *want == 0 || !strcmp(want, "auto");
	struct opc_energy_opts other = *o;
	int ret = opc_energy_open(e, o, msg, len);

	if (ret < 0 && ret != -EINVAL) {
		/* the source asked for cannot be read: say why, estimate */
		size_t n = strlen(msg);

		snprintf(msg + n, len - n, "; falling back to the estimate");
		other.source = "estimate";
		ret = opc_energy_open(e, &other, msg + strlen(msg), 1);
	}
	if (ret < 0) {
		other.source = "none";
		opc_energy_open(e, &other, msg + strlen(msg), 1);
		return 0;
	}
	e->data_dir = o->data_dir;
	e->base_t = 0;
	memset(e->base_j, 0, sizeof(e->base_j));
	if (pid && !strncmp(e->source, "estimate", 8)) {
		e->cpu_pid = pid;
		e->last_cpu_ns = cpu_time_ns(pid);
	}
	if (e->ndom == 0)
		return 0;
	if (!strncmp(e->source, "rapl", 4) || !strncmp(e->source, "perf", 4)) {
		e->probe = is_auto ? OPC_PROBE_FALLBACK : OPC_PROBE_WARN;
		e->t0_ns = now_ns;
		if (is_auto) {
			/* what the fallbacks need from time 0 on */
			e->cpu_pid = pid;
			e->cpu0_ns = cpu_time_ns(pid);
			if (!strncmp(e->source, "rapl", 4)) {
				struct opc_energy *sb = calloc(1, sizeof(*sb));
				char why[512];

				if (sb && perf_open(sb, why, sizeof(why)) == 0) {
					e->standby = sb;
					set_baseline(sb, now_ns);
				} else {
					free(sb);
				}
			}
		}
	}
	set_baseline(e, now_ns);
	return 1;
}

/* Whether a counted CPU domain of e moved since the baseline. */
static int cpu_moved(const struct opc_energy *e)
{
	for (int i = 0; i < e->ndom; i++) {
		const struct opc_energy_domain *d = &e->dom[i];

		if (d->counted && d->kind != OPC_DOM_GPU && d->kind != OPC_DOM_ESTIMATE &&
		    d->last_raw != d->raw0)
			return 1;
	}
	return 0;
}

/* "perf counter power/energy-psys/", "RAPL counters package-0, dram-0":
 * e's counted CPU counters, as a user would look them up. */
static void counter_names(const struct opc_energy *e, char *out, size_t len)
{
	int perf = !strncmp(e->source, "perf", 4), k = 0;
	char names[400];
	size_t n = 0;

	names[0] = 0;
	for (int i = 0; i < e->ndom && n < sizeof(names); i++) {
		const struct opc_energy_domain *d = &e->dom[i];

		if (!d->counted || d->kind == OPC_DOM_GPU)
			continue;
		n += (size_t)snprintf(names + n, sizeof(names) - n,
				      perf ? "%spower/energy-%s/" : "%s%s", k++ ? ", " : "", d->name);
	}
	snprintf(out, len, "%s counter%s %s", perf ? "perf" : "RAPL", k > 1 ? "s" : "", names);
}

/*
 * Auto's next source after a CPU counter that does not move: perf where it
 * was opened beside RAPL and moves, else the GPUs alone where there are
 * any (auto's order: rapl, perf, nvml, estimate), else the estimate.  The
 * GPUs' domains and their joules stay; the estimate counts from the
 * baseline.  why (which says what else did not move) goes before the
 * note.
 */
static void fall_back(struct opc_energy *e, uint64_t now_ns, char *why, size_t why_len)
{
	struct opc_energy_domain gpus[OPC_ENERGY_MAX_DOMAINS];
	struct opc_energy *sb = e->standby;
	char note[sizeof(e->note)];
	int ngpu = 0;

	for (int i = 0; i < e->ndom; i++)
		if (e->dom[i].kind == OPC_DOM_GPU)
			gpus[ngpu++] = e->dom[i];
	close_cpu_domains(e);
	if (sb)
		opc_energy_sample(sb, now_ns);
	e->standby = NULL;
	if (sb && !cpu_moved(sb)) {
		char names[512];
		size_t n = strlen(why);

		counter_names(sb, names, sizeof(names));
		snprintf(why + n, why_len - n, ", nor the %s", names);
	}
	if (sb && cpu_moved(sb)) {
		memcpy(e->dom, sb->dom, sb->ndom * sizeof(sb->dom[0]));
		e->ndom = sb->ndom;
		snprintf(e->source, sizeof(e->source), "perf");
		e->resolution_j = sb->resolution_j;
		e->note[0] = 0;
		free(sb);	/* its descriptors are e's now */
		sb = NULL;
	} else if (ngpu) {
		e->ndom = 0;
		snprintf(e->source, sizeof(e->source), "nvml");
		e->resolution_j = 1e-3;
		e->note[0] = 0;
	} else {
		estimate_open(e, e->data_dir, NULL, 0);
		/* from the baseline: the CPU time since then, over the time */
		e->last_cpu_ns = e->cpu0_ns;
		estimate_sample(e, now_ns > e->t0_ns ? (now_ns - e->t0_ns) / 1e9 : 0);
		e->last_ns = now_ns;
	}
	if (sb) {
		close_cpu_domains(sb);
		free(sb);
	}
	e->measured = strcmp(e->source, "estimate") != 0;
	/* the new domains count from the baseline */
	memset(e->base_j, 0, sizeof(e->base_j));
	for (int i = 0; i < ngpu && e->ndom < OPC_ENERGY_MAX_DOMAINS; i++)
		e->dom[e->ndom++] = gpus[i];
	if (ngpu && strcmp(e->source, "nvml")) {
		size_t n = strlen(e->source);

		snprintf(e->source + n, sizeof(e->source) - n, "+nvml");
		if (e->resolution_j < 1e-3)
			e->resolution_j = 1e-3;
	}
	memcpy(note, e->note, sizeof(note));
	/* both fit: the reason is a few names long, the estimate's note one line */
	snprintf(e->note, sizeof(e->note), "%.300s: not a measurement%s%.440s", why,
		 note[0] ? "; " : "", note);
}

/*
 * The verdict on a probed CPU counter at a sample taken at now_ns: 1 when
 * it is known (the counter moved, or it did not in OPC_ENERGY_PROBE_NS, or
 * at the end in OPC_ENERGY_PROBE_MIN_NS, and what follows from that was
 * done), 0 while still pending.
 */
static int probe_verdict(struct opc_energy *e, uint64_t now_ns, int end)
{
	static int warned;	/* one warning: a ptrace run has many traces */
	uint64_t age = now_ns > e->t0_ns ? now_ns - e->t0_ns : 0;
	char names[512], why[700], *to;

	if (cpu_moved(e) || (end && age < OPC_ENERGY_PROBE_MIN_NS)) {
		e->probe = OPC_PROBE_NONE;
		drop_standby(e);
		return 1;
	}
	if (age < OPC_ENERGY_PROBE_NS && !end)
		return 0;
	counter_names(e, names, sizeof(names));
	snprintf(why, sizeof(why), "the %s did not move in %.0f ms", names, age / 1e6);
	if (e->probe == OPC_PROBE_WARN) {
		if (!warned++)
			pr_warn("energy: %s: its joules are not a measurement (kept: --energy %s "
				"was asked for)", why, e->source);
	} else {
		fall_back(e, now_ns, why, sizeof(why));
		to = !strncmp(e->source, "estimate", 8) ? "the estimate" : e->source;
		if (!warned++)
			pr_warn("energy: %s: not a measurement; falling back to %s", why, to);
	}
	e->probe = OPC_PROBE_NONE;
	return 1;
}

/* The baseline's ENERGY record: when and from what the trace counts. */
static void write_baseline(struct opc_writer *w, const struct opc_energy *e)
{
	struct opc_rec_energy *r = opc_writer_begin(w, OPC_REC_ENERGY, sizeof(*r));

	if (r == NULL)
		return;
	r->t_ns = e->base_t;
	r->n = e->ndom;
	r->flags = OPC_ENERGY_BASELINE;
	opc_writer_append(w, e->base_j, e->ndom * sizeof(double));
	opc_writer_end(w);
}

void opc_energy_write_info(struct opc_writer *w, struct opc_energy *e)
{
	struct opc_rec_energy_info *r;

	if (e->probe == OPC_PROBE_FALLBACK) {
		e->info_held = 1;	/* the source may change yet */
		return;
	}
	r = opc_writer_begin(w, OPC_REC_ENERGY_INFO, sizeof(*r));
	if (r == NULL)
		return;
	snprintf(r->source, sizeof(r->source), "%s", e->source);
	r->resolution_j = e->resolution_j;
	r->ndomains = e->ndom;
	r->measured = e->measured;
	for (int i = 0; i < e->ndom; i++) {
		struct opc_rec_energy_domain d;

		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "%s", e->dom[i].name);
		d.kind = e->dom[i].kind;
		d.counted = e->dom[i].counted;
		opc_writer_append(w, &d, sizeof(d));
	}
	opc_writer_append(w, e->note, strlen(e->note) + 1);
	opc_writer_end(w);
	write_baseline(w, e);
}

/* An ENERGY record of the domains' joules as they are. */
static void write_record(struct opc_writer *w, const struct opc_energy *e, uint64_t t_ns)
{
	struct opc_rec_energy *r = opc_writer_begin(w, OPC_REC_ENERGY, sizeof(*r));
	double j[OPC_ENERGY_MAX_DOMAINS];

	if (r == NULL)
		return;
	r->t_ns = t_ns;
	r->n = e->ndom;
	for (int i = 0; i < e->ndom; i++)
		j[i] = e->dom[i].joules;
	opc_writer_append(w, j, e->ndom * sizeof(double));
	opc_writer_end(w);
}

void opc_energy_rebase(struct opc_energy *e, uint64_t now_ns, uint64_t t_ns)
{
	opc_energy_sample(e, now_ns);
	e->base_t = t_ns;
	for (int i = 0; i < e->ndom; i++)
		e->base_j[i] = e->dom[i].joules;
}

void opc_energy_write_sample(struct opc_writer *w, struct opc_energy *e, uint64_t now_ns,
			     uint64_t t_ns)
{
	/* A failed read keeps the domain's last value: the energy shows up
	 * at the next good reading, nothing is lost. */
	if (opc_energy_sample(e, now_ns) < 0)
		pr_dbg(1, "energy counter read failed; retried at the next tick");
	e->t_last = t_ns;
	if (e->probe != OPC_PROBE_NONE && !probe_verdict(e, now_ns, 0) &&
	    e->probe == OPC_PROBE_FALLBACK)
		return;		/* held: the next sample has this one's joules */
	if (e->info_held) {
		e->info_held = 0;
		opc_energy_write_info(w, e);
	}
	write_record(w, e, t_ns);
}

void opc_energy_write_end(struct opc_writer *w, struct opc_energy *e)
{
	if (e->probe != OPC_PROBE_NONE)
		probe_verdict(e, e->last_ns, 1);
	if (e->info_held) {
		e->info_held = 0;
		opc_energy_write_info(w, e);
		write_record(w, e, e->t_last);
	}
}

_Static_assert(OPC_DOM_GPU == OPC_TDOM_GPU, "trace.h's GPU domain kind follows energy.h");

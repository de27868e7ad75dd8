/*
 * fake_rapl.c - a synthetic powercap tree with known power, for testing
 * the RAPL energy source on machines without RAPL.
 *
 *   fake_rapl [options] DIR ZONE=POWER...
 *
 * ZONE is one of
 *   package:P        DIR/intel-rapl:P            name "package-P"
 *   core:P           DIR/intel-rapl:P:0          name "core"   (inside package P)
 *   uncore:P         DIR/intel-rapl:P:1          name "uncore" (inside package P)
 *   dram:P           DIR/intel-rapl:P:2          name "dram"   (beside package P)
 *   psys:P           DIR/intel-rapl:P            name "psys"   (the whole platform)
 * and POWER is watts, either one number or one per phase, "W0/W1/W2..."
 * (a phase past the list keeps the last value).  POWER "@Q" makes the zone
 * a mirror of package Q: the same file contents at every update, the way
 * some multi-die AMD parts expose one counter once per die.
 *
 * Options:
 *   -p FILE   phase word shared with the traced program (created, 4 KiB,
 *             zero = phase 0).  The program maps it and stores a
 *             CLOCK_MONOTONIC time stamp, then the new phase number: see
 *             struct fake_phase below and tests/progs/energy_work.c.
 *             SIGUSR1 also advances the phase (at the time it arrives).
 *   -t FILE   ground truth, rewritten at every phase change and at exit:
 *               phase K seconds S joules J
 *               total seconds S joules J
 *               wraps N       (times a zone's energy_uj went back to 0)
 *             J is the energy of the counted domains (psys alone when
 *             there is one, else every package plus every dram; a mirror
 *             is the same counter, counted once) while phase K was on.
 *   -r FILE   created once the tree exists and holds its first values
 *   -m UJ     max_energy_range_uj of every zone (default 262143328850, a
 *             Skylake server's); energy_uj wraps to 0 there
 *   -s UJ     energy_uj of every zone at start (default 1000000)
 *   -u US     update period in microseconds (default 200)
 *   -l        a mirror lags its package by one update: it shows the value
 *             the package had one update period earlier.  On hardware the
 *             reader's preads of the two copies are microseconds apart and
 *             the counter moves every ~1 ms, so over a run of some seconds
 *             some samples (the first one included, which sets the
 *             baseline) read the copies on either side of an update; this
 *             makes every sample of a short run do so, for sure.
 *
 * The writer runs until SIGTERM or SIGINT, then writes the truth and exits.
 *
 * Truth is exact, not sampled: the program stamps the time of each phase
 * change, and the writer integrates the old power up to that stamp and the
 * new one after it, so the only difference between a file's contents and
 * the true integral is the update period (as on hardware, where RAPL
 * updates about every millisecond).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_ZONES 32
#define MAX_PHASES 32

/* Shared with energy_work.c: written there t_ns first, then phase. */
struct fake_phase {
	uint64_t t_ns;		/* CLOCK_MONOTONIC of the latest change */
	uint32_t phase;
};

enum kind { PACKAGE, CORE, UNCORE, DRAM, PSYS };

struct zone {
	enum kind kind;
	int pkg;
	int mirror;		/* index of the zone mirrored, or -1 */
	int npow;
	double watts[MAX_PHASES];
	double uj;		/* integral since start, microjoules */
	uint64_t last;		/* energy_uj last written */
	uint64_t prev;		/* its value one update earlier, for -l */
	int fd;			/* energy_uj, kept open */
};

static struct zone zones[MAX_ZONES];
static int nzones;
static uint64_t max_uj = 262143328850ull, start_uj = 1000000;
static int mirror_lag;		/* -l */
static volatile sig_atomic_t stop, usr1;
static double phase_s[MAX_PHASES], phase_j[MAX_PHASES];
static const char *truth_path;
static long wraps;		/* times a zone's energy_uj went back to 0 */

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "fake_rapl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static double power(const struct zone *z, unsigned phase)
{
	if (z->mirror >= 0)
		z = &zones[z->mirror];
	return z->watts[phase < (unsigned)z->npow ? phase : (unsigned)z->npow - 1];
}

/* The physical total: psys alone, else packages and dram; mirrors once. */
static double counted_power(unsigned phase)
{
	double w = 0;
	int psys = 0;

	for (int i = 0; i < nzones; i++)
		if (zones[i].kind == PSYS) {
			w += power(&zones[i], phase);
			psys = 1;
		}
	if (psys)
		return w;
	for (int i = 0; i < nzones; i++)
		if ((zones[i].kind == PACKAGE || zones[i].kind == DRAM) && zones[i].mirror < 0)
			w += power(&zones[i], phase);
	return w;
}

static void write_file(const char *path, const char *text, int keep)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die("cannot write %s", path);
	if (keep)
		zones[nzones].fd = fd;
	else
		close(fd);
}

static void parse_zone(const char *dir, const char *arg)
{
	struct zone *z = &zones[nzones];
	char kind[16], path[4096], sub[64], text[64];
	const char *eq = strchr(arg, '=');
	const char *name;
	int n = 0;

	if (nzones == MAX_ZONES)
		die("too many zones at %s", arg);
	if (eq == NULL || sscanf(arg, "%15[a-z]:%d%n", kind, &z->pkg, &n) != 2 || arg + n != eq)
		die("bad zone '%s' (want KIND:P=WATTS)", arg);
	z->mirror = -1;
	if (!strcmp(kind, "package"))
		z->kind = PACKAGE;
	else if (!strcmp(kind, "core"))
		z->kind = CORE;
	else if (!strcmp(kind, "uncore"))
		z->kind = UNCORE;
	else if (!strcmp(kind, "dram"))
		z->kind = DRAM;
	else if (!strcmp(kind, "psys"))
		z->kind = PSYS;
	else
		die("unknown zone kind in '%s'", arg);
	if (eq[1] == '@') {
		int q = atoi(eq + 2);

		for (int i = 0; i < nzones; i++)
			if (zones[i].kind == PACKAGE && zones[i].pkg == q && zones[i].mirror < 0)
				z->mirror = i;
		if (z->mirror < 0)
			die("'%s' mirrors a package not given before it", arg);
	} else {
		for (const char *p = eq + 1; *p && z->npow < MAX_PHASES;) {
			char *end;

			z->watts[z->npow++] = strtod(p, &end);
			if (end == p)
				die("bad power in '%s'", arg);
			p = *end == '/' ? end + 1 : end;
			if (*end && *end != '/')
				die("bad power in '%s'", arg);
		}
		if (z->npow == 0)
			die("no power in '%s'", arg);
	}

	switch (z->kind) {
	case CORE: snprintf(sub, sizeof(sub), "intel-rapl:%d:0", z->pkg); name = "core"; break;
	case UNCORE: snprintf(sub, sizeof(sub), "intel-rapl:%d:1", z->pkg); name = "uncore"; break;
	case DRAM: snprintf(sub, sizeof(sub), "intel-rapl:%d:2", z->pkg); name = "dram"; break;
	case PSYS: snprintf(sub, sizeof(sub), "intel-rapl:%d", z->pkg); name = "psys"; break;
	default: snprintf(sub, sizeof(sub), "intel-rapl:%d", z->pkg); name = NULL; break;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("cannot create %s", path);
	if (name)
		snprintf(text, sizeof(text), "%s\n", name);
	else
		snprintf(text, sizeof(text), "package-%d\n", z->pkg);
	snprintf(path, sizeof(path), "%s/%s/name", dir, sub);
	write_file(path, text, 0);
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)max_uj);
	snprintf(path, sizeof(path), "%s/%s/max_energy_range_uj", dir, sub);
	write_file(path, text, 0);
	snprintf(text, sizeof(text), "%20llu\n", (unsigned long long)(start_uj % max_uj));
	snprintf(path, sizeof(path), "%s/%s/energy_uj", dir, sub);
	write_file(path, text, 1);
	z->last = z->prev = start_uj % max_uj;
	nzones++;
}

/*
 * Every update rewrites energy_uj in place: one pwrite of fixed-width
 * text at offset 0.  The library opens energy_uj once and preads it at
 * every tick, as it does on sysfs, so the file must stay the same inode
 * (a rename would leave it reading the old file forever) and must never
 * be empty or short (truncate-then-write would let a pread land in
 * between and read nothing).  The number is right-aligned in 20
 * characters, leading spaces, which strtoull skips like sysfs's
 * newline.  A mirror gets the same text as its package, written next.
 */
static void update_files(void)
{
	char text[32];

	for (int i = 0; i < nzones; i++) {
		const struct zone *src = zones[i].mirror >= 0 ? &zones[zones[i].mirror] : &zones[i];
		uint64_t v = (start_uj + (uint64_t)src->uj) % max_uj;

		if (zones[i].mirror >= 0 && mirror_lag)
			v = src->prev;

		if (v < zones[i].last && zones[i].mirror < 0)
			wraps++;
		zones[i].last = v;

		snprintf(text, sizeof(text), "%20llu\n", (unsigned long long)v);
		if (pwrite(zones[i].fd, text, 21, 0) != 21) {
			perror("fake_rapl: pwrite");
			exit(2);
		}
	}
	for (int i = 0; i < nzones; i++)
		zones[i].prev = zones[i].last;
}

static void advance(unsigned phase, double dt)
{
	if (dt <= 0)
		return;
	for (int i = 0; i < nzones; i++)
		zones[i].uj += power(&zones[i], phase) * dt * 1e6;
	phase_s[phase % MAX_PHASES] += dt;
	phase_j[phase % MAX_PHASES] += counted_power(phase) * dt;
}

static void write_truth(void)
{
	char tmp[4096];
	double s = 0, j = 0;
	FILE *f;

	if (truth_path == NULL)
		return;
	/* The truth file is read only by the test, after the fact: it may be
	 * replaced by rename, unlike the counters. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", truth_path);
	f = fopen(tmp, "w");
	if (f == NULL)
		die("cannot write %s", tmp);
	for (int k = 0; k < MAX_PHASES; k++) {
		if (phase_s[k] == 0)
			continue;
		fprintf(f, "phase %d seconds %.9f joules %.9f\n", k, phase_s[k], phase_j[k]);
		s += phase_s[k];
		j += phase_j[k];
	}
	fprintf(f, "total seconds %.9f joules %.9f\n", s, j);
	fprintf(f, "wraps %ld\n", wraps);
	fclose(f);
	rename(tmp, truth_path);
}

int main(int argc, char **argv)
{
	const char *phase_path = NULL, *ready_path = NULL, *dir;
	struct fake_phase *shared = NULL, local = { 0, 0 };
	long period_us = 200;
	unsigned phase = 0;
	uint64_t last;
	int c;

	while ((c = getopt(argc, argv, "p:t:r:m:s:u:l")) != -1) {
		switch (c) {
		case 'p': phase_path = optarg; break;
		case 't': truth_path = optarg; break;
		case 'r': ready_path = optarg; break;
		case 'm': max_uj = strtoull(optarg, NULL, 10); break;
		case 's': start_uj = strtoull(optarg, NULL, 10); break;
		case 'u': period_us = atol(optarg); break;
		case 'l': mirror_lag = 1; break;
		default:
			fprintf(stderr, "usage: fake_rapl [-p PHASE] [-t TRUTH] [-r READY] [-m MAX_UJ] "
				"[-s START_UJ] [-u PERIOD_US] [-l] DIR ZONE=WATTS...\n");
			return 2;
		}
	}
	if (argc - optind < 2 || max_uj == 0 || period_us <= 0) {
		fprintf(stderr, "fake_rapl: need DIR and at least one ZONE=WATTS\n");
		return 2;
	}
	dir = argv[optind++];
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die("cannot create %s", dir);
	while (optind < argc)
		parse_zone(dir, argv[optind++]);

	if (phase_path) {
		int fd = open(phase_path, O_RDWR | O_CREAT, 0666);

		if (fd < 0 || ftruncate(fd, 4096) < 0)
			die("cannot create %s", phase_path);
		fchmod(fd, 0666);	/* the traced program may run as another user */
		shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (shared == MAP_FAILED)
			die("cannot map %s", phase_path);
		close(fd);
	} else {
		shared = &local;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGUSR1, on_usr1);

	/* A hardware counter advances whatever the load; this one only when
	 * the writer runs.  With the CPUs busy (a parallel build) it was
	 * found several ms behind, and a stale reading at a phase boundary
	 * moves that much energy to the wrong call site.  Ask for a
	 * real-time priority where allowed (it sleeps 200 us between
	 * updates); without CAP_SYS_NICE it runs as before. */
	{
		struct sched_param sp = { .sched_priority = 1 };

		sched_setscheduler(0, SCHED_FIFO, &sp);
	}
	phase = __atomic_load_n(&shared->phase, __ATOMIC_ACQUIRE);
	last = now_ns();
	write_truth();
	if (ready_path)
		write_file(ready_path, "ready\n", 0);

	while (!stop) {
		struct timespec ts = { 0, period_us * 1000 };
		unsigned want;
		uint64_t t;

		nanosleep(&ts, NULL);
		t = now_ns();
		if (usr1) {
			usr1--;
			local.t_ns = t;
			__atomic_store_n(&local.phase, phase + 1, __ATOMIC_RELEASE);
			if (shared != &local) {
				shared->t_ns = t;
				__atomic_store_n(&shared->phase, phase + 1, __ATOMIC_RELEASE);
			}
		}
		want = __atomic_load_n(&shared->phase, __ATOMIC_ACQUIRE);
		if (want != phase) {
			/* stamped before the phase was stored: the exact switch */
			uint64_t ts_sw = __atomic_load_n(&shared->t_ns, __ATOMIC_ACQUIRE);

			if (ts_sw < last || ts_sw > t)
				ts_sw = t;
			advance(phase, (ts_sw - last) / 1e9);
			advance(want, (t - ts_sw) / 1e9);
			phase = want;
			update_files();
			write_truth();
		} else {
			advance(phase, (t - last) / 1e9);
			update_files();
		}
		last = t;
	}
	advance(phase, (now_ns() - last) / 1e9);
	write_truth();
	return 0;
}

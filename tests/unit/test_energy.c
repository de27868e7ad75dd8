/*
 * test_energy.c - common/energy.c: the TDP table look-up, the RAPL zones
 * that make the total, counter wrap-around, and what the user is told
 * when counters are absent or unreadable.
 *
 * RAPL is exercised on temporary powercap trees (opts.powercap_root)
 * whose energy_uj files are rewritten in place, the way sysfs changes
 * under an open descriptor.  The TDP look-up runs on the project's table
 * (data/cpu-tdp-watts.csv, through OPC_DATADIR) and on small tables
 * written here to pin the matching rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "energy.h"

/* cmocka's assert_float_equal works in float: too coarse for joules */
#define assert_near(a, b, eps)							\
	do {								\
		double a_ = (a), b_ = (b);				\
		if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps)))		\
			fail_msg("%s = %.12g, expected %.12g (+/- %g)", #a, a_, b_, \
				 (double)(eps));			\
	} while (0)

#ifndef OPC_DATADIR
#define OPC_DATADIR "data"
#endif

/* ---- helpers -------------------------------------------------------- */

static char tmpdir[256];
/* where the sources look: the tree made here, never a real GPU */
static struct opc_energy_opts opts = {
	.powercap_root = tmpdir,
	.nvml_library = "/nonexistent/libnvidia-ml.so.1",
};

/* Open `source` with opts. */
static int open_source(struct opc_energy *e, const char *source, char *msg, size_t len)
{
	opts.source = source;
	return opc_energy_open(e, &opts, msg, len);
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Rewrite energy_uj in place, as sysfs changes under an open fd. */
static void set_energy(const char *zone, unsigned long long uj)
{
	char path[512], text[32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/energy_uj", tmpdir, zone);
	snprintf(text, sizeof(text), "%20llu\n", uj);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	close(fd);
}

/* A zone directory with name, energy_uj and (max_uj != 0) its range. */
static void make_zone(const char *zone, const char *name, unsigned long long uj,
		      unsigned long long max_uj)
{
	char path[512], text[64];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, zone);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s/name", tmpdir, zone);
	snprintf(text, sizeof(text), "%s\n", name);
	put_file(path, text);
	snprintf(path, sizeof(path), "%s/%s/energy_uj", tmpdir, zone);
	put_file(path, "0\n");
	set_energy(zone, uj);
	if (max_uj) {
		snprintf(path, sizeof(path), "%s/%s/max_energy_range_uj", tmpdir, zone);
		snprintf(text, sizeof(text), "%llu\n", max_uj);
		put_file(path, text);
	}
}

static int setup_tree(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/opc-test-energy-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	chmod(tmpdir, 0755);	/* readable by the unprivileged child below */
	return 0;
}

static int teardown_tree(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct opc_energy_domain *dom_named(const struct opc_energy *e, const char *name)
{
	for (int i = 0; i < e->ndom; i++)
		if (!strcmp(e->dom[i].name, name))
			return &e->dom[i];
	fail_msg("no domain named '%s' (of %d)", name, e->ndom);
	return NULL;
}

/* Open the RAPL source on the tree made by make_zone(); it must succeed. */
static void open_rapl(struct opc_energy *e)
{
	char msg[1024];
	int ret = open_source(e, "rapl", msg, sizeof(msg));

	if (ret != 0)
		fail_msg("opc_energy_open(rapl) = %d: %s", ret, msg);
}

/* ---- TDP table ------------------------------------------------------ */

static void test_tdp_project_table(void **state)
{
	const char *table = OPC_DATADIR "/cpu-tdp-watts.csv";

	(void)state;
	if (access(table, R_OK) != 0)
		fail_msg("%s is not readable", table);
	/* the table lists "Intel Xeon Gold 6130,125.0" */
	assert_near(opc_energy_tdp_lookup(table,
		"Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz"), 125.0, 1e-9);
	/* ... and "Intel Xeon Gold 6130F,135.0": not the 6130's 125 W */
	assert_near(opc_energy_tdp_lookup(table,
		"Intel(R) Xeon(R) Gold 6130F CPU @ 2.10GHz"), 135.0, 1e-9);
	/* "AMD EPYC 7763,280.0": the core count after it is not part of the name */
	assert_near(opc_energy_tdp_lookup(table, "AMD EPYC 7763 64-Core Processor"),
			   280.0, 1e-9);
	assert_near(opc_energy_tdp_lookup(table,
		"Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz"), 95.0, 1e-9);
	assert_near(opc_energy_tdp_lookup(table, "Totally Unknown CPU 1234"), 0.0, 0);
	assert_near(opc_energy_tdp_lookup("/nonexistent/cpu-tdp-watts.csv",
		"Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz"), 0.0, 0);
}

static void test_tdp_matching_rules(void **state)
{
	char table[512];

	(void)state;
	snprintf(table, sizeof(table), "%s/tdp.csv", tmpdir);
	put_file(table, "Name,TDP\n"
		 "Acme Chip 100,10\n"
		 "Acme Chip 100 Turbo,20\n"
		 "Acme Chip 1000,30.5\n"
		 "X1,5\n"
		 "Zeta Core Z7,44\r\n");
	/* decorations dropped: (R), (TM), " CPU", "@ clock" */
	assert_near(opc_energy_tdp_lookup(table, "Acme(R) Chip(TM) 100 CPU @ 3.00GHz"),
			   10.0, 1e-9);
	/* the longest table name found in the model wins */
	assert_near(opc_energy_tdp_lookup(table, "Acme Chip 100 Turbo Edition"), 20.0, 1e-9);
	assert_near(opc_energy_tdp_lookup(table, "Acme Chip 1000"), 30.5, 1e-9);
	/* a name must end at a word boundary: 10000 is not 1000 or 100 */
	assert_near(opc_energy_tdp_lookup(table, "Acme Chip 10000"), 0.0, 0);
	/* names shorter than 6 characters never match inside a model */
	assert_near(opc_energy_tdp_lookup(table, "Foo X1 Processor"), 0.0, 0);
	/* a table written with CRLF line ends */
	assert_near(opc_energy_tdp_lookup(table, "Zeta Core Z7"), 44.0, 1e-9);
}

/* ---- which RAPL zones count ------------------------------------------ */

static void test_rapl_core_uncore_not_counted(void **state)
{
	struct opc_energy e;

	(void)state;
	make_zone("intel-rapl:0", "package-0", 1000, 262143328850ull);
	make_zone("intel-rapl:0:0", "core", 1000, 262143328850ull);
	make_zone("intel-rapl:0:1", "uncore", 1000, 262143328850ull);
	make_zone("intel-rapl:0:2", "dram", 1000, 65712999613ull);
	open_rapl(&e);
	assert_string_equal(e.source, "rapl");
	assert_int_equal(e.measured, 1);
	assert_int_equal(e.ndom, 4);
	assert_int_equal(dom_named(&e, "package-0")->counted, 1);
	assert_int_equal(dom_named(&e, "dram-0")->counted, 1);
	assert_int_equal(dom_named(&e, "core-0")->counted, 0);
	assert_int_equal(dom_named(&e, "uncore-0")->counted, 0);
	assert_int_equal(dom_named(&e, "core-0")->kind, OPC_DOM_CORE);

	/* 2 J in the package, 1 J in dram, 5 J in core: the total is 3 J */
	opc_energy_sample(&e, 1000000000ull);
	set_energy("intel-rapl:0", 1000 + 2000000);
	set_energy("intel-rapl:0:2", 1000 + 1000000);
	set_energy("intel-rapl:0:0", 1000 + 5000000);
	assert_int_equal(opc_energy_sample(&e, 2000000000ull), 0);
	assert_near(opc_energy_total(&e), 3.0, 1e-9);
	opc_energy_close(&e);
}

static void test_rapl_psys_alone_is_the_total(void **state)
{
	struct opc_energy e;

	(void)state;
	make_zone("intel-rapl:0", "package-0", 0, 262143328850ull);
	make_zone("intel-rapl:0:0", "core", 0, 262143328850ull);
	make_zone("intel-rapl:0:2", "dram", 0, 262143328850ull);
	make_zone("intel-rapl:1", "psys", 0, 262143328850ull);
	open_rapl(&e);
	assert_int_equal(e.ndom, 4);
	assert_int_equal(dom_named(&e, "psys")->counted, 1);
	assert_int_equal(dom_named(&e, "psys")->kind, OPC_DOM_PSYS);
	assert_int_equal(dom_named(&e, "package-0")->counted, 0);
	assert_int_equal(dom_named(&e, "dram-0")->counted, 0);
	assert_int_equal(dom_named(&e, "core-0")->counted, 0);

	opc_energy_sample(&e, 1);
	set_energy("intel-rapl:0", 2000000);
	set_energy("intel-rapl:0:2", 1000000);
	set_energy("intel-rapl:1", 4000000);
	opc_energy_sample(&e, 2);
	assert_near(opc_energy_total(&e), 4.0, 1e-9);
	opc_energy_close(&e);
}

static void test_rapl_two_packages_add(void **state)
{
	struct opc_energy e;

	(void)state;
	make_zone("intel-rapl:0", "package-0", 10, 262143328850ull);
	make_zone("intel-rapl:0:0", "dram", 10, 262143328850ull);
	make_zone("intel-rapl:1", "package-1", 20, 262143328850ull);
	make_zone("intel-rapl:1:0", "dram", 20, 262143328850ull);
	/* the mmio interface repeats package-0's counter; unknown names are no zone */
	make_zone("intel-rapl-mmio:0", "package-0", 10, 262143328850ull);
	make_zone("intel-rapl:2", "something-new", 10, 262143328850ull);
	open_rapl(&e);
	assert_int_equal(e.ndom, 4);
	assert_int_equal(dom_named(&e, "package-1")->counted, 1);
	assert_int_equal(dom_named(&e, "dram-1")->counted, 1);
	assert_int_equal(dom_named(&e, "dram-0")->counted, 1);

	opc_energy_sample(&e, 1);
	set_energy("intel-rapl:0", 10 + 1000000);
	set_energy("intel-rapl:0:0", 10 + 250000);
	set_energy("intel-rapl:1", 20 + 2000000);
	set_energy("intel-rapl:1:0", 20 + 500000);
	set_energy("intel-rapl-mmio:0", 10 + 1000000);
	opc_energy_sample(&e, 2);
	assert_near(opc_energy_total(&e), 3.75, 1e-9);
	opc_energy_close(&e);
}

/* ---- wrap-around ------------------------------------------------------ */

static void test_rapl_wrap(void **state)
{
	struct opc_energy e;
	const struct opc_energy_domain *pkg;

	(void)state;
	make_zone("intel-rapl:0", "package-0", 900000, 1000000);
	open_rapl(&e);
	pkg = dom_named(&e, "package-0");
	assert_int_equal(pkg->max_raw, 1000000);
	opc_energy_sample(&e, 1);
	assert_near(pkg->joules, 0.0, 1e-12);

	/* ordinary increase */
	set_energy("intel-rapl:0", 950000);
	opc_energy_sample(&e, 2);
	assert_near(pkg->joules, 0.05, 1e-9);

	/* lower reading: wrapped at max, delta = max - last + new */
	set_energy("intel-rapl:0", 100000);
	opc_energy_sample(&e, 3);
	assert_near(pkg->joules, 0.05 + (1000000 - 950000 + 100000) * 1e-6, 1e-9);

	/* and again, several times: never negative, always the modular delta */
	for (int i = 0; i < 5; i++) {
		double before = pkg->joules;

		set_energy("intel-rapl:0", 700000);
		opc_energy_sample(&e, 4 + 2 * i);
		set_energy("intel-rapl:0", 100000);
		opc_energy_sample(&e, 5 + 2 * i);
		assert_near(pkg->joules - before, 1.0, 1e-9);
	}
	/* an unchanged reading adds nothing */
	opc_energy_sample(&e, 100);
	assert_near(pkg->joules, 0.2 + 5.0, 1e-9);
	assert_near(opc_energy_total(&e), pkg->joules, 0);
	opc_energy_close(&e);
}

/* ---- absent and unreadable counters ---------------------------------- */

static void test_absent_tree(void **state)
{
	struct opc_energy e;
	char msg[1024], root[512];

	(void)state;
	snprintf(root, sizeof(root), "%s/no-such-dir", tmpdir);
	opts.powercap_root = root;
	assert_int_equal(open_source(&e, "rapl", msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, root));
	/* absent is not worth a message when auto falls through */
	assert_int_equal(open_source(&e, "auto", msg, sizeof(msg)), 0);
	assert_string_not_equal(e.source, "rapl");
	assert_string_equal(msg, "");
	opc_energy_close(&e);

	/* a tree without RAPL zones: absent too */
	opts.powercap_root = tmpdir;
	assert_int_equal(open_source(&e, "rapl", msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "no RAPL zones"));
}

/*
 * The checks of an unreadable tree, run by a process that cannot read it:
 * returns 0 when they hold, else a line number.  No cmocka here: it may
 * run in a forked child.
 */
static int unreadable_checks(char *why, size_t len)
{
	struct opc_energy e;
	char msg[1024], path[512];

	snprintf(path, sizeof(path), "%s/intel-rapl:0/energy_uj", tmpdir);
	if (open_source(&e, "rapl", msg, sizeof(msg)) != -EACCES)
		return snprintf(why, len, "rapl: not -EACCES: %.300s", msg), __LINE__;
	if (strstr(msg, path) == NULL || strstr(msg, "chmod") == NULL)
		return snprintf(why, len, "rapl: message without %.300s or chmod: %.300s", path, msg),
		       __LINE__;
	if (open_source(&e, "auto", msg, sizeof(msg)) != 0)
		return snprintf(why, len, "auto failed: %.300s", msg), __LINE__;
	if (!strcmp(e.source, "rapl"))
		return snprintf(why, len, "auto: source rapl"), __LINE__;
	/* exists but unreadable: said, with the file and the way out */
	if (strstr(msg, path) == NULL || strstr(msg, "chmod") == NULL)
		return snprintf(why, len, "auto: message without %.300s or chmod: %.300s", path, msg),
		       __LINE__;
	if (!strcmp(e.source, "estimate") &&
	    (strstr(msg, "estimate") == NULL || e.measured != 0))
		return snprintf(why, len, "auto: estimate not said: %.300s", msg), __LINE__;
	opc_energy_close(&e);
	return 0;
}

static void test_unreadable_counter(void **state)
{
	char path[512], why[1200] = "";
	int status, line;
	pid_t pid;

	(void)state;
	make_zone("intel-rapl:0", "package-0", 1000, 262143328850ull);
	snprintf(path, sizeof(path), "%s/intel-rapl:0/energy_uj", tmpdir);
	assert_int_equal(chmod(path, 0400), 0);
	if (geteuid() != 0) {
		assert_int_equal(chmod(path, 0000), 0);
		line = unreadable_checks(why, sizeof(why));
		chmod(path, 0644);
		if (line)
			fail_msg("line %d: %s", line, why);
		return;
	}
	/* root reads anything: the checks run as nobody, on a root-owned 0400 file */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(200);
		line = unreadable_checks(why, sizeof(why));
		if (line)
			fprintf(stderr, "unreadable_checks line %d: %s\n", line, why);
		_exit(line ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 200)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the other sources' framing ---------------------------------------- */

static void test_unknown_and_none(void **state)
{
	struct opc_energy e;
	char msg[1024];

	(void)state;
	assert_int_equal(open_source(&e, "bogus", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "bogus"));
	assert_int_equal(open_source(&e, "none", msg, sizeof(msg)), 0);
	assert_string_equal(e.source, "none");
	assert_int_equal(e.ndom, 0);
	assert_int_equal(e.measured, 0);
	assert_near(opc_energy_total(&e), 0.0, 0);
	opc_energy_close(&e);
}

static void test_estimate(void **state)
{
	struct opc_energy e;
	char msg[1024];
	struct timespec t0, t1;
	volatile double x = 0;
	uint64_t a, b;

	(void)state;
	assert_int_equal(open_source(&e, "estimate", msg, sizeof(msg)), 0);
	assert_string_equal(e.source, "estimate");
	assert_int_equal(e.measured, 0);
	assert_int_equal(e.ndom, 1);
	assert_int_equal(e.dom[0].counted, 1);
	assert_int_equal(e.dom[0].kind, OPC_DOM_ESTIMATE);
	assert_non_null(strstr(e.note, "TDP"));
	assert_true(e.tdp_w > 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = (uint64_t)t0.tv_sec * 1000000000u + t0.tv_nsec;
	opc_energy_sample(&e, a);
	do {	/* 50 ms of CPU */
		for (int i = 0; i < 100000; i++)
			x += i;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		b = (uint64_t)t1.tv_sec * 1000000000u + t1.tv_nsec;
	} while (b - a < 50000000);
	opc_energy_sample(&e, b);
	/* TDP x this process's share of the machine: more than nothing, at
	 * most the whole TDP for the time */
	assert_true(opc_energy_total(&e) > 0);
	assert_true(opc_energy_total(&e) <= e.tdp_w * (b - a) / 1e9 * 1.0001);
	opc_energy_close(&e);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(opc_energy_kind_name(OPC_DOM_PACKAGE), "package");
	assert_string_equal(opc_energy_kind_name(OPC_DOM_CORE), "core");
	assert_string_equal(opc_energy_kind_name(OPC_DOM_UNCORE), "uncore");
	assert_string_equal(opc_energy_kind_name(OPC_DOM_DRAM), "dram");
	assert_string_equal(opc_energy_kind_name(OPC_DOM_PSYS), "psys");
	assert_string_equal(opc_energy_kind_name(OPC_DOM_GPU), "gpu");
	assert_string_equal(opc_energy_kind_name(OPC_DOM_ESTIMATE), "estimate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tdp_project_table),
		cmocka_unit_test_setup_teardown(test_tdp_matching_rules, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_rapl_core_uncore_not_counted, setup_tree,
						teardown_tree),
		cmocka_unit_test_setup_teardown(test_rapl_psys_alone_is_the_total, setup_tree,
						teardown_tree),
		cmocka_unit_test_setup_teardown(test_rapl_two_packages_add, setup_tree,
						teardown_tree),
		cmocka_unit_test_setup_teardown(test_rapl_wrap, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_absent_tree, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_unreadable_counter, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_unknown_and_none, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_estimate, setup_tree, teardown_tree),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

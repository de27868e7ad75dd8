/*
 * test_producer.c - the rules every writer of traces shares
 * (common/producer.c): the output pattern, the names of the other
 * processes' and the exec'd images' traces, the glob `opcount record`
 * counts them with, the in-use rule, reopening a trace, and the header
 * and INFO records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "producer.h"
#include "trace.h"

static char host[256];

static void test_expand(void **state)
{
	char out[512], want[512];

	(void)state;
	assert_int_equal(opc_output_expand(out, sizeof(out), "t-%p.opc", 42), 0);
	assert_string_equal(out, "t-42.opc");
	snprintf(want, sizeof(want), "%s/x", host);
	assert_int_equal(opc_output_expand(out, sizeof(out), "%h/x", 1), 0);
	assert_string_equal(out, want);
	/* %% is a %, also before a p; any other % stays */
	assert_int_equal(opc_output_expand(out, sizeof(out), "run%%x%%p%q%", 7), 0);
	assert_string_equal(out, "run%x%p%q%");
	/* cut short, terminated */
	assert_int_equal(opc_output_expand(out, 6, "abc-%p", 123456), -ENAMETOOLONG);
	assert_string_equal(out, "abc-1");
}

static void test_per_pid(void **state)
{
	(void)state;
	assert_true(opc_output_per_pid("t-%p.opc"));
	assert_true(opc_output_per_pid("%%%p"));
	assert_false(opc_output_per_pid("t-%%p.opc"));
	assert_false(opc_output_per_pid("t.opc"));
}

static void name(const struct opc_producer *p, pid_t pid, unsigned image, const char *want)
{
	char out[512];

	assert_int_equal(opc_trace_name(out, sizeof(out), p, pid, image), 0);
	assert_string_equal(out, want);
}

static void test_names(void **state)
{
	struct opc_producer run = { .output = "d/run.opc", .root_pid = 100 };
	struct opc_producer per_pid = { .output = "t-%p.opc", .root_pid = 100 };
	struct opc_producer bare = { .output = "d.x/plain" };
	struct opc_producer given = { .output = "a%p.opc", .output_is_name = 1, .root_pid = 100 };
	struct opc_producer pct = { .output = "r%%.opc", .root_pid = 100 };

	(void)state;
	name(&run, 100, 0, "d/run.opc");		/* the command */
	name(&run, 101, 0, "d/run.101.opc");		/* another process */
	name(&run, 100, 1, "d/run.100.exec1.opc");	/* the command's first exec */
	name(&run, 101, 3, "d/run.101.exec3.opc");
	name(&per_pid, 101, 0, "t-101.opc");
	name(&per_pid, 101, 2, "t-101.exec2.opc");
	/* no run: every process the pattern; a name without .opc is its stem */
	name(&bare, 5, 0, "d.x/plain");
	name(&bare, 5, 1, "d.x/plain.5.exec1.opc");
	/* a name given as is: no expansion */
	name(&given, 100, 0, "a%p.opc");
	name(&given, 101, 0, "a%p.101.opc");
	name(&pct, 100, 0, "r%.opc");
	name(&pct, 101, 0, "r%.101.opc");
}

static void test_glob(void **state)
{
	struct opc_producer run = { .output = "d/run.opc" };
	struct opc_producer per_pid = { .output = "d/t-%p-%%p.opc" };
	char out[512];

	(void)state;
	assert_int_equal(opc_trace_glob(out, sizeof(out), &run, 100), 0);
	assert_string_equal(out, "d/run.*.opc");
	assert_int_equal(opc_trace_glob(out, sizeof(out), &per_pid, 100), 0);
	assert_string_equal(out, "d/t-*-%p.opc");
}

/* A trace file of pid in dir/name with the producer's header. */
static void write_trace(const char *path, pid_t pid, pid_t ppid)
{
	struct opc_trace_hdr h = { .pid = pid, .ppid = ppid, .interval_ns = 1000 };
	struct opc_writer w;
	int fd = opc_trace_create(path, 0);

	assert_true(fd >= 0);
	assert_int_equal(opc_trace_begin(&w, fd, &h), 0);
	assert_int_equal(opc_writer_flush(&w), 0);
	opc_writer_release(&w);
	close(fd);
}

static void test_unused(void **state)
{
	char dir[] = "/tmp/test_producer.XXXXXX", pattern[64], path[128], out[128], want[128];
	struct opc_producer p = { .output = pattern, .root_pid = 100 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pattern, sizeof(pattern), "%s/run.opc", dir);
	snprintf(path, sizeof(path), "%s/run.opc", dir);
	/* a finished process's trace is replaced (no pid is that high) */
	write_trace(path, 0x7ffffff0, 1);
	assert_int_equal(opc_trace_name_unused(out, sizeof(out), &p, 100, 1), 0);
	assert_string_equal(out, path);
	/* this process's trace before an exec is not: the exec name */
	write_trace(path, 100, 1);
	assert_int_equal(opc_trace_name_unused(out, sizeof(out), &p, 100, 1), 0);
	snprintf(want, sizeof(want), "%s/run.100.exec1.opc", dir);
	assert_string_equal(out, want);
	assert_int_equal(opc_trace_name_unused(out, sizeof(out), &p, 100, 100), 0);
	assert_string_equal(out, want);
	unlink(path);

	/* no run (a bare LD_PRELOAD, a fixed name): the trace another process
	 * writes, its parent (ppid 200) or any that runs (this test), is not
	 * replaced; this process is another process of the run */
	p.root_pid = 0;
	write_trace(path, 200, 1);
	assert_int_equal(opc_trace_name_unused(out, sizeof(out), &p, 100, 200), 0);
	snprintf(want, sizeof(want), "%s/run.100.opc", dir);
	assert_string_equal(out, want);
	write_trace(path, getpid(), 1);
	assert_int_equal(opc_trace_name_unused(out, sizeof(out), &p, 100, 200), 0);
	assert_string_equal(out, want);
	/* ... and where it wrote that before an exec, the exec name */
	write_trace(want, 100, 200);
	assert_int_equal(opc_trace_name_unused(out, sizeof(out), &p, 100, 200), 0);
	unlink(want);
	snprintf(want, sizeof(want), "%s/run.100.exec1.opc", dir);
	assert_string_equal(out, want);
	unlink(path);
	rmdir(dir);
}

/* The trace opened again only while its path is the same file: appending,
 * moved high; never another file, never a FIFO, never blocking. */
static void test_reopen(void **state)
{
	char dir[] = "/tmp/test_producer.XXXXXX", path[128], moved[128], buf[16];
	struct stat st;
	int fd, fd2;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.opc", dir);
	snprintf(moved, sizeof(moved), "%s/t.moved", dir);
	fd = opc_trace_create(path, 1);
	assert_true(fd >= 900);
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(fstat(fd, &st), 0);
	fd2 = opc_trace_reopen(path, st.st_dev, st.st_ino);
	assert_true(fd2 >= 900 && fd2 != fd);
	assert_int_equal(write(fd2, "def", 3), 3);	/* appended, not over "abc" */
	close(fd2);
	fd2 = open(path, O_RDONLY);
	assert_int_equal(read(fd2, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "abcdef", 6);
	close(fd2);
	/* renamed away: nothing at the path */
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(opc_trace_reopen(path, st.st_dev, st.st_ino), -ENOENT);
	/* another file at the path */
	fd2 = open(path, O_WRONLY | O_CREAT, 0644);
	close(fd2);
	assert_int_equal(opc_trace_reopen(path, st.st_dev, st.st_ino), -ESTALE);
	unlink(path);
	/* a FIFO with no reader: refused at once */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(opc_trace_reopen(path, st.st_dev, st.st_ino), -ENXIO);
	close(fd);
	unlink(path);
	unlink(moved);
	rmdir(dir);
}

static void test_header_and_info(void **state)
{
	char dir[] = "/tmp/test_producer.XXXXXX", path[128], err[256];
	struct opc_producer p = { .output = "x", .mode = "ptrace", .idle_w = "12.5", .tsc = 1 };
	struct opc_trace_hdr h = { .pid = 4242, .ppid = 1, .features = OPC_FEAT_STACKS,
				   .interval_ns = 10000000 };
	struct opc_writer w;
	struct opc_trace t;
	char cpu[256];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.opc", dir);
	fd = opc_trace_create(path, 1);
	assert_true(fd >= 900);
	assert_int_equal(opc_trace_begin(&w, fd, &h), 0);
	opc_info_write_machine(&w, &p, getpid());
	opc_info_write_blas(&w, "/proc/self/../self/exe", 3, 2);
	assert_int_equal(opc_writer_flush(&w), 0);
	opc_writer_release(&w);
	close(fd);

	memset(&t, 0, sizeof(t));
	assert_int_equal(opc_trace_read(path, &t, err, sizeof(err)), 0);
	assert_int_equal(t.hdr.pid, 4242);
	assert_int_equal(t.hdr.features, OPC_FEAT_STACKS);
	assert_int_equal(t.hdr.interval_ns, 10000000);
	assert_string_equal(opc_trace_info(&t, "mode"), "ptrace");
	assert_string_equal(opc_trace_info(&t, "host"), host);
	opc_cpu_model(cpu, sizeof(cpu));
	assert_string_equal(opc_trace_info(&t, "cpu"), cpu);
	assert_string_equal(opc_trace_info(&t, "tsc"), "1");
	assert_string_equal(opc_trace_info(&t, "idle_w"), "12.5");
	assert_non_null(strstr(opc_trace_info(&t, "exe"), "test_producer"));
	assert_non_null(strstr(opc_trace_info(&t, "cmdline"), "test_producer"));
	/* the BLAS by its canonical path */
	assert_non_null(strstr(opc_trace_info(&t, "blas"), "test_producer"));
	assert_null(strstr(opc_trace_info(&t, "blas"), "/proc/"));
	assert_string_equal(opc_trace_info(&t, "blas_threads"), "3");
	assert_string_equal(opc_trace_info(&t, "threads"), "2");
	opc_trace_free(&t);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_per_pid),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_unused),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_header_and_info),
	};

	gethostname(host, sizeof(host) - 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

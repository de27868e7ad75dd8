/*
 * test_trace_edges.c - the trace reader (common/trace_read.c) on traces a
 * fuzzer found to hurt it: records that are valid one by one but not
 * together.
 *
 *   - a second ENERGY_INFO after a first one with no domain and no sample:
 *     refused like any second one (it used to be taken, leaking the first
 *     one's note: ASan's leak checker, or valgrind, shows it);
 *   - a trace with no key at all: read, with nothing in it.
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
#include <unistd.h>
#include <cmocka.h>

#include "trace.h"

static char path[64];
static struct opc_writer w;

static void begin(void)
{
	struct opc_file_header h;
	int fd;

	strcpy(path, "/tmp/opc-test-edges-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, OPC_TRACE_MAGIC, 8);
	h.version = OPC_TRACE_VERSION;
	h.min_version = OPC_TRACE_MIN_VERSION;
	h.header_size = sizeof(h);
	h.byte_order = OPC_BYTE_ORDER_MARK;
	h.frame_header_size = sizeof(struct opc_frame);
	h.pid = 4242;
	h.interval_ns = 10000000;
	assert_int_equal(opc_writer_open(&w, fd, &h), 0);
}

static void end(void)
{
	struct opc_rec_end *e = opc_writer_begin(&w, OPC_REC_END, sizeof(*e));

	assert_non_null(e);
	e->t_ns = 1000;
	opc_writer_end(&w);
	assert_int_equal(opc_writer_flush(&w), 0);
	close(w.fd);
	opc_writer_release(&w);
}

/* An ENERGY_INFO of source src with no domain, and note. */
static void energy_info(const char *src, const char *note)
{
	struct opc_rec_energy_info *ei = opc_writer_begin(&w, OPC_REC_ENERGY_INFO, sizeof(*ei));

	assert_non_null(ei);
	snprintf(ei->source, sizeof(ei->source), "%s", src);
	assert_int_equal(opc_writer_append(&w, note, strlen(note) + 1), 0);
	opc_writer_end(&w);
}

static void test_second_energy_info(void **state)
{
	struct opc_trace t;
	char err[1024];

	(void)state;
	begin();
	energy_info("none", "the first note, which a second record leaked");
	energy_info("estimate", "the second note");
	end();
	assert_int_equal(opc_trace_read(path, &t, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "second energy info record"))
		fail_msg("message: %s", err);
	opc_trace_free(&t);
	unlink(path);
}

static void test_no_keys(void **state)
{
	struct opc_trace t;
	char err[1024];

	(void)state;
	begin();
	energy_info("none", "");
	end();
	assert_int_equal(opc_trace_read(path, &t, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(t.nkeys, 0);
	assert_int_equal(t.nintervals, 0);
	assert_true(t.ended);
	assert_string_equal(t.energy.source, "none");
	opc_trace_free(&t);
	unlink(path);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_energy_info),
		cmocka_unit_test(test_no_keys),
	};

	return cmocka_run_group_tests_name("test_trace_edges", tests, NULL, NULL);
}

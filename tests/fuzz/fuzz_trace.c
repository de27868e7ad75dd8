/*
 * fuzz_trace.c - libFuzzer target for the trace reader (make fuzz).
 *
 * Each input is written to one temporary file (opc_trace_read reads a
 * path) and read; a trace that reads is then loaded and grouped as
 * `opcount report` does, so that what the reader lets through is also
 * what the report code must survive.  Errors are expected: only memory
 * errors, undefined behaviour, leaks and hangs are findings.  The report
 * code warns on stderr about every odd trace: run with -close_fd_mask=2
 * (as make fuzz does; the sanitizers' reports still show).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"
#include "profile.h"

static char path[] = "/tmp/opc-fuzz-trace-XXXXXX";
static int fd = -1;

static void unlink_path(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fd = mkstemp(path);
	if (fd < 0) {
		perror("fuzz_trace: mkstemp");
		abort();
	}
	atexit(unlink_path);
	return 0;
}

static int put(const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return -1;
	return 0;
}

/*
 * Checksums and sequence numbers stop almost every mutation at the first
 * frame: the copy of a rejected input with the header's crc, every
 * frame's seq and crc, and the padding made right, so that the records
 * behind them are fuzzed too.  0 if the copy differs from the input.
 */
static int fix_up(uint8_t *buf, size_t size)
{
	struct opc_file_header h;
	uint32_t seq = 0;
	int changed = 0;
	size_t off;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	if (h.header_size < sizeof(h) || h.header_size > size)
		return 0;
	h.header_crc = opc_header_crc(&h);
	changed |= memcmp(&h, buf, sizeof(h)) != 0;
	memcpy(buf, &h, sizeof(h));
	for (off = h.header_size; size - off >= sizeof(struct opc_frame);) {
		struct opc_frame fr, was;
		size_t end;

		memcpy(&fr, buf + off, sizeof(fr));
		if (fr.size > size - off - sizeof(fr))
			break;
		was = fr;
		fr.seq = seq++;
		fr.crc = opc_frame_crc(&fr, buf + off + sizeof(fr));
		changed |= memcmp(&fr, &was, sizeof(fr)) != 0;
		memcpy(buf + off, &fr, sizeof(fr));
		off += sizeof(fr) + fr.size;
		end = OPC_FRAME_ALIGN(off) <= size ? OPC_FRAME_ALIGN(off) : size;
		for (; off < end; off++) {
			changed |= buf[off] != 0;
			buf[off] = 0;
		}
	}
	return changed;
}

/* Read path, and if it reads, load and group it as a report does. */
static void read_and_group(size_t size)
{
	struct opc_trace t;
	struct opc_profile p;
	char err[256];
	char *paths[1] = { path };

	memset(&t, 0, sizeof(t));
	if (opc_trace_read(path, &t, err, sizeof(err)) < 0) {
		opc_trace_free(&t);
		return;
	}
	opc_trace_free(&t);

	memset(&p, 0, sizeof(p));
	if (opc_profile_load(&p, paths, 1) == 0)
		opc_profile_group(&p, (enum opc_group)(size % (OPC_BY_DEVICE + 1)), size & 1);
	opc_profile_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opc_trace t;
	char err[256];
	uint8_t *copy;
	int ret;

	if (put(data, size) < 0)
		abort();
	memset(&t, 0, sizeof(t));
	ret = opc_trace_read(path, &t, err, sizeof(err));
	opc_trace_free(&t);
	if (ret == 0) {
		read_and_group(size);
		return 0;
	}
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (fix_up(copy, size)) {
		if (put(copy, size) < 0)
			abort();
		read_and_group(size);
	}
	free(copy);
	return 0;
}

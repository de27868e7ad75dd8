/*
 * dnnl_fake.c - a program and its own oneDNN, for
 * tests/integration/dnnl_bad_input.sh.  Built twice: with -DDNNL_FAKE_LIB
 * as libdnnl_fake.so, the few oneDNN functions the preload library looks
 * for (which it binds to as it would to libdnnl's); and as the program,
 * linked with it:
 *
 *   dnnl_fake v4       dnnl_version() says 4.0, a oneDNN opcount does not
 *                      know: descriptors must not be read at all (the
 *                      descriptor functions abort)
 *   dnnl_fake kind     2.6, but the primitive's kind is 99, unknown
 *   dnnl_fake nomd     2.6, a convolution whose memory descriptors are
 *                      missing (the query returns NULL)
 *   dnnl_fake fail     2.6, an execution that fails (status 2)
 *   dnnl_fake v3       3.3, with 3.x's numbering and its opaque memory
 *                      descriptors (dnnl_memory_desc_query): a grouped
 *                      convolution, a broadcast matmul and a 2x2 pooling
 *                      (kind 16, its kernel a query), as 3.x's header
 *                      describes them; the only test of the 3.x path
 *                      (no oneDNN 3 here)
 *
 * Each mode executes each of its primitives 5 times; dnnl_primitive_execute
 * sets errno to 1234 and the program checks it is still 1234 after each
 * call, then prints "executed N errno-kept status S" (the same with and
 * without the library).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dnnl_fake_mode(const char *mode, int **executed);
int dnnl_primitive_execute(const void *prim, void *stream, int nargs, const void *args);

#ifdef DNNL_FAKE_LIB
struct version {
	int major, minor, patch;
	const char *hash;
	unsigned cpu_runtime, gpu_runtime;
};

/* a 3.x memory descriptor, opaque to its users */
struct md3 {
	int ndims;
	int64_t dims[12];
};

/* a primitive descriptor: kind, propagation, src, weights, dst, kernel */
struct pd {
	int kind, prop;
	struct md3 src, wei, dst;
	int64_t kernel[12];
};

static const struct pd pds[] = {
	{ 5, 64, { 4, { 2, 8, 9, 11 } }, { 5, { 4, 3, 2, 3, 5 } }, { 4, { 2, 12, 5, 11 } }, { 0 } },
	{ 14, 0, { 3, { 3, 4, 5 } }, { 3, { 1, 5, 6 } }, { 3, { 3, 4, 6 } }, { 0 } },
	{ 16, 96, { 4, { 2, 3, 8, 8 } }, { 0, { 0 } }, { 4, { 2, 3, 4, 4 } }, { 2, 2 } },
};

static int mode_v3, mode_v4, mode_kind, mode_fail, executed;

void dnnl_fake_mode(const char *mode, int **count)
{
	mode_v3 = !strcmp(mode, "v3");
	mode_v4 = !strcmp(mode, "v4");
	mode_kind = !strcmp(mode, "kind");
	mode_fail = !strcmp(mode, "fail");
	*count = &executed;
}

const struct version *dnnl_version(void)
{
	static const struct version v4 = { 4, 0, 0, "fake", 0, 0 }, v3 = { 3, 3, 0, "fake", 0, 0 },
				    v2 = { 2, 6, 3, "fake", 0, 0 };

	return mode_v4 ? &v4 : mode_v3 ? &v3 : &v2;
}

int dnnl_primitive_execute(const void *prim, void *stream, int nargs, const void *args)
{
	(void)prim, (void)stream, (void)nargs, (void)args;
	executed++;
	errno = 1234;
	return mode_fail ? 2 : 0;
}

static void no_v4(void)
{
	if (mode_v4) {
		fprintf(stderr, "dnnl_fake: a oneDNN 4 descriptor was read\n");
		abort();
	}
}

/* primitive i is at address 0x1000 (i + 1) */
int dnnl_primitive_get_primitive_desc(const void *prim, const void **pd)
{
	size_t i = (uintptr_t)prim / 0x1000 - 1;

	no_v4();
	if (i >= sizeof(pds) / sizeof(pds[0]))
		return 2;
	*pd = &pds[i];
	return 0;
}

int dnnl_primitive_desc_query(const void *pd, int what, int index, void *result)
{
	const struct pd *p = pd;

	(void)index;
	no_v4();
	switch (what) {
	case 2:		/* primitive kind */
		*(int *)result = mode_kind ? 99 : p->kind;
		return 0;
	case 11:	/* prop kind */
		if (!p->prop)
			return 3;
		*(int *)result = p->prop;
		return 0;
	case 31:	/* 3.x: the pooling kernel, const dnnl_dims_t ** */
		if (!mode_v3 || p->kind != 16)
			return 3;
		*(const int64_t **)result = p->kernel;
		return 0;
	}
	return 3;	/* unimplemented */
}

/* 2.x modes: no descriptor; 3.x: src 129, weights 131, dst 133, index 0 */
const void *dnnl_primitive_desc_query_md(const void *pd, int what, int index)
{
	const struct pd *p = pd;
	const struct md3 *m = NULL;

	no_v4();
	if (!mode_v3 || index != 0)
		return NULL;
	if (what == 129)
		m = &p->src;
	else if (what == 131)
		m = &p->wei;
	else if (what == 133)
		m = &p->dst;
	return m && m->ndims ? m : NULL;
}

int dnnl_memory_desc_query(const void *md, int what, void *result)
{
	const struct md3 *m = md;

	no_v4();
	switch (what) {
	case 256:	/* ndims, int * */
		*(int *)result = m->ndims;
		return 0;
	case 257:	/* dims, const dnnl_dims_t ** */
		*(const int64_t **)result = m->dims;
		return 0;
	case 258:	/* data type: f32 */
		*(int *)result = 3;
		return 0;
	}
	return 3;
}
#else
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int kept = 1, st = 0, *executed, nprims;

	if (strcmp(mode, "v3") && strcmp(mode, "v4") && strcmp(mode, "kind") &&
	    strcmp(mode, "nomd") && strcmp(mode, "fail")) {
		fprintf(stderr, "usage: dnnl_fake v3|v4|kind|nomd|fail\n");
		return 2;
	}
	dnnl_fake_mode(mode, &executed);
	nprims = strcmp(mode, "v3") ? 1 : 3;
	for (int p = 0; p < nprims; p++)
		for (int i = 0; i < 5; i++) {
			errno = 0;
			st = dnnl_primitive_execute((void *)(uintptr_t)(0x1000 * (p + 1)), NULL, 0,
						    NULL);
			kept &= errno == 1234;
		}
	printf("executed %d %s status %d\n", *executed, kept ? "errno-kept" : "errno-lost", st);
	return 0;
}
#endif

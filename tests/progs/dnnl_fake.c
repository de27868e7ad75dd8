/*
 * dnnl_fake.c - a program and its own oneDNN, for
 * tests/integration/dnnl_bad_input.sh.  Built twice: with -DDNNL_FAKE_LIB
 * as libdnnl_fake.so, the few oneDNN functions the preload library looks
 * for (which it binds to as it would to libdnnl's), answering as a oneDNN
 * the library cannot read would; and as the program, linked with it:
 *
 *   dnnl_fake v3       dnnl_version() says 3.3: descriptors must not be
 *                      read at all (the descriptor functions abort)
 *   dnnl_fake kind     2.6, but the primitive's kind is 99, unknown
 *   dnnl_fake nomd     2.6, a convolution whose memory descriptors are
 *                      missing (the query returns NULL)
 *   dnnl_fake fail     2.6, an execution that fails (status 2)
 *
 * Each mode executes a "primitive" 5 times; dnnl_primitive_execute sets
 * errno to 1234 and the program checks it is still 1234 after each call,
 * then prints "executed N errno-kept" (the same with and without the
 * library) and the status of the last call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct version {
	int major, minor, patch;
	const char *hash;
	unsigned cpu_runtime, gpu_runtime;
};

void dnnl_fake_mode(const char *mode, int **executed);
int dnnl_primitive_execute(const void *prim, void *stream, int nargs, const void *args);

#ifdef DNNL_FAKE_LIB
static int mode_v3, mode_kind, mode_nomd, mode_fail, executed;
static int pd_dummy;

void dnnl_fake_mode(const char *mode, int **count)
{
	mode_v3 = !strcmp(mode, "v3");
	mode_kind = !strcmp(mode, "kind");
	mode_nomd = !strcmp(mode, "nomd");
	mode_fail = !strcmp(mode, "fail");
	*count = &executed;
}

const struct version *dnnl_version(void)
{
	static const struct version v3 = { 3, 3, 0, "fake", 0, 0 }, v2 = { 2, 6, 3, "fake", 0, 0 };

	return mode_v3 ? &v3 : &v2;
}

int dnnl_primitive_execute(const void *prim, void *stream, int nargs, const void *args)
{
	(void)prim, (void)stream, (void)nargs, (void)args;
	executed++;
	errno = 1234;
	return mode_fail ? 2 : 0;
}

int dnnl_primitive_get_primitive_desc(const void *prim, const void **pd)
{
	(void)prim;
	if (mode_v3) {
		fprintf(stderr, "dnnl_fake: a oneDNN 3 descriptor was read\n");
		abort();
	}
	*pd = &pd_dummy;
	return 0;
}

int dnnl_primitive_desc_query(const void *pd, int what, int index, void *result)
{
	(void)pd, (void)index;
	if (mode_v3)
		abort();
	if (what == 2) {	/* primitive kind */
		*(int *)result = mode_kind ? 99 : 5;	/* convolution */
		return 0;
	}
	if (what == 11) {	/* prop kind: forward_training */
		*(int *)result = 64;
		return 0;
	}
	return 3;	/* unimplemented */
}

const void *dnnl_primitive_desc_query_md(const void *pd, int what, int index)
{
	(void)pd, (void)what, (void)index;
	if (mode_v3)
		abort();
	return NULL;
}

#else
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int kept = 1, st = 0, *executed;

	if (strcmp(mode, "v3") && strcmp(mode, "kind") && strcmp(mode, "nomd") &&
	    strcmp(mode, "fail")) {
		fprintf(stderr, "usage: dnnl_fake v3|kind|nomd|fail\n");
		return 2;
	}
	dnnl_fake_mode(mode, &executed);
	for (int i = 0; i < 5; i++) {
		errno = 0;
		st = dnnl_primitive_execute((void *)0x1000, NULL, 0, NULL);
		kept &= errno == 1234;
	}
	printf("executed %d %s status %d\n", *executed, kept ? "errno-kept" : "errno-lost", st);
	return 0;
}
#endif

/*
 * fuzz_arch.c - libFuzzer target for the architecture and coefficient
 * readers (make fuzz).
 *
 * Each input is read both as an architecture (`opcount predict
 * --arch`) and as a coefficients file (`--coeffs`); an architecture that
 * parses is lowered and priced with fixed coefficients, and coefficients
 * that parse price a fixed architecture, so the fuzzed side always meets
 * a valid other side.  Errors are expected: only memory errors, undefined
 * behaviour, leaks and hangs are findings.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "predict.h"

static const char fixed_arch[] =
	"{\"opcount_arch\": 1, \"input\": [3, 8, 8], \"batch\": 2, \"layers\": ["
	" {\"type\": \"conv2d\", \"filters\": 4, \"kernel\": [3, 3]},"
	" {\"type\": \"activation\", \"function\": \"relu\"},"
	" {\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 10}]}";

static const char fixed_coeffs[] =
	"{\"opcount_coeffs\": 1, \"target\": \"energy\", \"unit\": \"J\","
	" \"energy_source\": \"rapl\", \"energy_measured\": true,"
	" \"machine\": {\"cpu\": \"Test CPU\", \"ncpu\": 4, \"mixed\": false},"
	" \"model\": \"c\", \"models\": {"
	"  \"c\": {\"per_flop\": 1e-9, \"per_type\": {\"Linear\": {\"per_flop\": 1e-9, \"per_byte\": 1e-8}},"
	"        \"per_call\": 1e-6, \"static_w\": 5}}}";

static struct opc_arch arch;
static struct opc_lowering lowering;
static struct opc_coeffs coeffs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	if (opc_arch_parse(fixed_arch, "fixed.json", 0, &arch, err, sizeof(err)) ||
	    opc_arch_lower(&arch, &lowering, err, sizeof(err)) ||
	    opc_coeffs_parse(fixed_coeffs, "fixed.json", 0, &coeffs, err, sizeof(err))) {
		fprintf(stderr, "fuzz_arch: the fixed inputs do not read: %s\n", err);
		abort();
	}
	return 0;
}

static void price(const struct opc_coeffs *c, const struct opc_arch *a,
		  const struct opc_lowering *lw)
{
	struct opc_op_cost *cost = calloc(lw->nops ? lw->nops : 1, sizeof(*cost));
	char err[512];

	if (!cost)
		return;
	opc_coeffs_eval(c, a, lw, cost, err, sizeof(err));
	free(cost);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char err[512];
	struct opc_arch a;
	struct opc_lowering lw;
	struct opc_coeffs c;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	/* a batch from the command line overrides the file's: try both */
	if (opc_arch_parse(text, "fuzz.json", size & 1 ? 7 : 0, &a, err, sizeof(err)) == 0) {
		if (opc_arch_lower(&a, &lw, err, sizeof(err)) == 0) {
			price(&coeffs, &a, &lw);
			opc_lowering_free(&lw);
		}
		opc_arch_free(&a);
	}

	memset(&c, 0, sizeof(c));
	if (opc_coeffs_parse(text, "fuzz.json", "\0abc"[size & 3], &c, err, sizeof(err)) == 0)
		price(&c, &arch, &lowering);
	opc_coeffs_free(&c);
	free(text);
	return 0;
}

/*
 * opcount.c - the command-line tool: dispatch to one file per subcommand.
 */
#define PR_FMT "opcount"
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "opcount_cli.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
	{ "record", cmd_record, "run a command under the preload library, with energy" },
	{ "report", cmd_report, "show where the work and energy went, from trace files" },
	{ "fit", cmd_fit, "fit per-type cost coefficients; do FLOPs predict energy?" },
	{ "predict", cmd_predict, "life-cycle energy and CO2eq of a model, predicted or measured" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: opcount COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nOr record without it: LD_PRELOAD=/path/to/libopcount.so PROGRAM [ARGS]\n"
		   "`opcount COMMAND --help` for the options of a command.\n");
}

int main(int argc, char **argv)
{
	opc_log_init();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("opcount %s\n", OPC_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	pr_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}

/*
 * opcount.c - the command-line tool: dispatch to one file per subcommand.
 */
#define PR_FMT "opcount"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
	{ "calibrate", cmd_calibrate, "measure this machine's compute and memory ceilings (roofline)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: opcount COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nOr record without it: LD_PRELOAD=/path/to/libopcount.so PROGRAM [ARGS]\n"
		   "`opcount COMMAND --help` for the options of a command.\n");
}

/*
 * Whatever a command printed is only written when stdout is flushed, so a
 * full disk or a closed descriptor shows up here, after the command said
 * it succeeded: check once for every command, as perf's run_builtin does,
 * rather than in each.  A command that already failed keeps its status.
 * A reader that went away (a pipe into head) is not an error: a program
 * that ignores SIGPIPE gets EPIPE there, which it did not ask for.
 */
static int stdout_check(int status)
{
	struct stat st;
	int broken;

	if (status != 0)
		return status;
	if (fstat(fileno(stdout), &st) < 0)
		return status;	/* stdout was closed: nothing to write to */
	if (fflush(stdout) != 0) {
		if (errno == EPIPE && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
			return status;
		pr_err("cannot write to standard output: %s", strerror(errno));
		return 1;
	}
	broken = ferror(stdout);
	if (fclose(stdout) != 0) {
		pr_err("cannot close standard output: %s", strerror(errno));
		return 1;
	}
	if (broken) {	/* an earlier write failed, and its errno is gone */
		pr_err("cannot write to standard output");
		return 1;
	}
	return status;
}

static int dispatch(int argc, char **argv)
{
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

int main(int argc, char **argv)
{
	opc_log_init();
	return stdout_check(dispatch(argc, argv));
}

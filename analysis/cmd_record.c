/*
 * cmd_record.c - `opcount record`: run a command under the preload library.
 *
 *   opcount record [-o FILE] [--energy SRC] [-F HZ] [--nested]
 *                  [--idle-baseline SECONDS] [--ptrace [--stacks]] -- CMD [ARGS...]
 *   opcount record -p PID [--duration S] [--stacks | --inject] [...]
 *   opcount record --ptrace --inject [...] -- CMD [ARGS...]
 *
 * Sets up LD_PRELOAD (appending to an existing one), runs the command,
 * forwards the signals a terminal or a batch system sends, returns the
 * command's exit status, and says where the traces went.  Children the
 * command starts inherit the set-up: the command writes FILE, any other
 * process FILE's stem plus ".<pid>.opc".
 */
#define PR_FMT "opcount"
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "energy.h"
#include "job.h"
#include "log.h"
#include "opcount_cli.h"
#include "producer.h"
#include "ptrace.h"
#include "trace.h"
#include "util.h"

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* What a terminal or a batch system sends, passed on to the command. */
static int forwarded(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT ||
	       sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGALRM || sig == SIGWINCH ||
	       sig == SIGCONT || sig == SIGTSTP;
}

static int file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* libopcount.so beside this binary (build tree) or in ../lib (installed). */
static int find_library(char *out, size_t len)
{
	const char *env = getenv("OPCOUNT_LIBRARY");
	char exe[PATH_MAX - 32], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return file_exists(out) ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return -ENOENT;
	*slash = 0;
	snprintf(out, len, "%s/libopcount.so", exe);
	if (file_exists(out))
		return 0;
	snprintf(out, len, "%s/../lib/libopcount.so", exe);
	return file_exists(out) ? 0 : -ENOENT;
}

/* The energy options from this process's environment, which the command
 * inherits: what the library reads there (preload/config.c). */
static void energy_options(struct opc_energy_opts *eo, const char *source)
{
	memset(eo, 0, sizeof(*eo));
	eo->source = source;
	eo->powercap_root = getenv("OPCOUNT_POWERCAP_ROOT");
	eo->nvml_library = getenv("OPCOUNT_NVML_LIBRARY");
	eo->visible_gpus = getenv("CUDA_VISIBLE_DEVICES");
	eo->data_dir = NULL;	/* opc_data_dir(), when the estimate opens */
}

/* Mean power of the idle machine over `secs`, to split static from
 * dynamic energy.  Returns -1 when the source cannot tell. */
static double idle_baseline(const char *source, double secs)
{
	struct opc_energy_opts eo;
	struct opc_energy e;
	struct timespec ts, start, now;
	char msg[1280];
	double j0;

	energy_options(&eo, source);
	if (opc_energy_open(&e, &eo, msg, sizeof(msg)) < 0 || e.ndom == 0) {
		pr_warn("idle baseline: %s", msg[0] ? msg : "no energy source");
		return -1;
	}
	if (!e.measured) {
		pr_warn("idle baseline: the %s source is not a measurement; no baseline",
			e.source);
		opc_energy_close(&e);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	opc_energy_sample(&e, (uint64_t)start.tv_sec * 1000000000u + start.tv_nsec);
	j0 = opc_energy_total(&e);
	ts.tv_sec = 0;
	ts.tv_nsec = 10000000;
	do {	/* sample as the collector does, so that wraps are seen */
		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		opc_energy_sample(&e, (uint64_t)now.tv_sec * 1000000000u + now.tv_nsec);
	} while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < secs);
	double dt = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
	double w = (opc_energy_total(&e) - j0) / dt;
	int moved = opc_energy_total(&e) != j0;

	opc_energy_close(&e);
	if (!moved) {
		/* a counter that never moves (a VM's energy-psys) */
		pr_warn("idle baseline: the %s counter did not move in %.1f s: no baseline",
			e.source, dt);
		return -1;
	}
	pr_info("idle baseline: %.2f W over %.1f s (%s)", w, dt, e.source);
	return w;
}

/*
 * Traces of the other processes of the run: the output pattern with %p as
 * a wildcard, or, without %p, FILE's stem + ".<pid>.opc" (what the library
 * does for processes other than the command itself).
 */
static void count_other_traces(const char *output, const char *main_path, pid_t pid,
			       time_t started)
{
	struct opc_producer p = { .output = output, .root_pid = pid };
	char pattern[PATH_MAX], dir[PATH_MAX], glob[PATH_MAX], *slash;
	struct opc_job job;
	int nchild = 0;
	struct dirent *de;
	DIR *d;

	opc_producer_job(&p, &job, getenv);
	if (opc_trace_glob(pattern, sizeof(pattern), &p, pid) < 0)
		return;
	snprintf(dir, sizeof(dir), "%s", pattern);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		snprintf(glob, sizeof(glob), "%s", slash + 1);
	} else {
		snprintf(glob, sizeof(glob), "%s", dir);
		snprintf(dir, sizeof(dir), ".");
	}
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char full[2 * PATH_MAX + 2];
		struct stat st;

		if (fnmatch(glob, de->d_name, 0))
			continue;
		snprintf(full, sizeof(full), "%s/%s", dir, de->d_name);
		if (strcmp(full, main_path) && strcmp(de->d_name, main_path) &&
		    stat(full, &st) == 0 && st.st_mtime >= started)
			nchild++;
	}
	if (d)
		closedir(d);
	if (nchild)
		pr_info("%d more trace%s from other processes of the run: %s/%s", nchild,
			nchild > 1 ? "s" : "", dir, glob);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: opcount record [options] -- COMMAND [ARGS...]\n"
		"  -o, --output FILE        trace of the command (default opcount-%%p.opc; %%p pid,\n"
		"                           %%h host, %%%% a %%); other processes write FILE's\n"
		"                           stem.<pid>.opc\n"
		"  --energy SRC             auto (default), rapl, perf, nvml, estimate, none;\n"
		"                           rapl+nvml, perf+nvml, estimate+nvml: CPU and GPUs\n"
		"  -F, --freq HZ            sampling rate, 1..1000 (default 100)\n"
		"  --idle-baseline SECONDS  measure idle power first, to split static from dynamic\n"
		"  --nested                 also record calls made inside intercepted calls\n"
		"  --ptrace                 count with breakpoints instead of LD_PRELOAD (static\n"
		"                           programs, BLAS bound with dlopen+dlsym)\n"
		"  -p PID [--duration S]    attach to a running process for S seconds (without\n"
		"                           one, or with inf: until it exits or Ctrl-C), then\n"
		"                           detach and leave it running\n"
		"  --stacks                 with --ptrace or -p: sample every running thread's\n"
		"                           stack at each tick, so that the energy outside\n"
		"                           intercepted calls goes to code (report --format folded)\n"
		"  --inject                 with --ptrace or -p, for dynamically linked programs\n"
		"                           (glibc 2.34+): load libopcount.so into the process and\n"
		"                           jump from each BLAS entry to its wrapper: no ptrace stop\n"
		"                           per call (static programs keep breakpoints)\n");
}

/* What the command line asked for. */
struct record_opts {
	const char *output;	/* -o: a pattern (common/producer.h) */
	const char *energy;	/* --energy; NULL: the library's default (auto) */
	double idle_secs;	/* --idle-baseline */
	long hz;		/* -F; 0: the default */
	int use_ptrace, stacks, inject;
	long attach_pid;	/* -p */
	double duration;	/* --duration; 0: until the process exits or Ctrl-C */
	int duration_given;
	char **cmd;		/* the command and its arguments, NULL-terminated */
};

/* The energy source named on the command line, checked against the ones
 * the library knows: 0, or -1 with the message printed. */
static int parse_energy(const char *arg)
{
	static const char *sources[] = { "auto", "rapl", "perf", "nvml", "estimate", "none",
					 "rapl+nvml", "perf+nvml", "estimate+nvml" };

	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (!strcmp(arg, sources[i]))
			return 0;
	pr_err("--energy: unknown source '%s' (auto, rapl, perf, nvml, "
	       "estimate, none, rapl+nvml, perf+nvml, estimate+nvml)", arg);
	return -1;
}

/*
 * --duration: seconds > 0, or "inf" for no limit (until the process exits
 * or Ctrl-C), which is what the tracer does without a duration (0).  A
 * finite duration must give a deadline the tracer's nanosecond clock can
 * hold: anything from 1 ns to about 31 years.  0, or -1 with the message
 * printed.
 */
static int parse_duration(const char *arg, double *out)
{
	if (!strcmp(arg, "inf") || !strcmp(arg, "infinity")) {
		*out = 0;
		return 0;
	}
	if (opc_parse_double(arg, 1e-9, 1e9, out) < 0) {
		pr_err("--duration: expected seconds from 1e-9 to 1e9, or inf (until the process "
		       "exits or Ctrl-C), got '%s'", opc_tty(arg));
		return -1;
	}
	return 0;
}

/* Fills o from argv: -1 to go on, or the exit status (0 after --help, 2
 * for a bad option).  --nested goes to the environment at once. */
static int parse_options(int argc, char **argv, struct record_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "energy", required_argument, NULL, 'e' },
		{ "freq", required_argument, NULL, 'F' },
		{ "idle-baseline", required_argument, NULL, 'I' },
		{ "nested", no_argument, NULL, 'n' },
		{ "ptrace", no_argument, NULL, 'P' },
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'D' },
		{ "stacks", no_argument, NULL, 'S' },
		{ "inject", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->output = "opcount-%p.opc";
	optind = 1;
	/* '+': options end at the command, whose own options are its own */
	while ((c = getopt_long(argc, argv, "+o:F:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'e':
			if (parse_energy(optarg) < 0)
				return 2;
			o->energy = optarg;
			break;
		case 'F':
			if (opc_parse_long(optarg, 1, 1000, &o->hz) < 0) {
				pr_err("-F: expected a rate from 1 to 1000 Hz, got '%s'", optarg);
				return 2;
			}
			break;
		case 'I':
			if (opc_parse_double(optarg, 0, 3600, &o->idle_secs) < 0 ||
			    o->idle_secs <= 0) {
				pr_err("--idle-baseline: expected seconds in (0, 3600], got '%s'",
				       optarg);
				return 2;
			}
			break;
		case 'n':
			setenv("OPCOUNT_NESTED", "1", 1);
			break;
		case 'P':
			o->use_ptrace = 1;
			break;
		case 'p':
			if (opc_parse_long(optarg, 1, INT_MAX, &o->attach_pid) < 0) {
				pr_err("-p: expected a process id, got '%s'", optarg);
				return 2;
			}
			break;
		case 'D':
			if (parse_duration(optarg, &o->duration) < 0)
				return 2;
			o->duration_given = 1;
			break;
		case 'S':
			o->stacks = 1;
			break;
		case 'J':
			o->inject = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	o->cmd = argv + optind;
	return -1;
}

/* Options that do not go together: 0, or 2 with the message printed. */
static int check_options(const struct record_opts *o)
{
	if (o->stacks && !o->use_ptrace && !o->attach_pid) {
		pr_err("--stacks samples stacks with ptrace: it needs --ptrace or -p PID "
		       "(the preload library records the stack of every call site by itself)");
		return 2;
	}
	if (o->inject && o->stacks) {
		pr_err("--inject and --stacks do not go together: samples need the threads "
		       "stopped, which is what --inject avoids");
		return 2;
	}
	if (o->inject && !o->use_ptrace && !o->attach_pid) {
		pr_err("--inject needs --ptrace (with a command) or -p PID; without them the "
		       "library is preloaded anyway");
		return 2;
	}
	return 0;
}

/* --idle-baseline: measured before the run, handed to every trace's INFO
 * through OPCOUNT_IDLE_W (the library reads it there, the tracer is given
 * it). */
static void measure_idle_baseline(const struct record_opts *o)
{
	char num[64];
	double w;

	if (o->idle_secs <= 0)
		return;
	w = idle_baseline(o->energy ? o->energy : "auto", o->idle_secs);
	if (w >= 0) {
		snprintf(num, sizeof(num), "%.6f", w);
		setenv("OPCOUNT_IDLE_W", num, 1);
	}
}

/*
 * The ptrace tracer's options: the same energy choice as the library's.
 * With --inject, the library's path as the process's maps will show it
 * (injlib holds it).  0, or 1 with the message printed.
 */
static int ptrace_options(const struct record_opts *o, struct opc_ptrace_opts *popts,
			  char *injlib)
{
	char lib[2 * PATH_MAX];

	popts->inject = NULL;
	if (o->inject) {
		/* the path the process's maps will show: no symbolic link */
		if (find_library(lib, sizeof(lib)) < 0 || !realpath(lib, injlib)) {
			pr_err("--inject: cannot find libopcount.so beside the opcount binary or "
			       "in ../lib (set OPCOUNT_LIBRARY)");
			return 1;
		}
		popts->inject = injlib;
	}
	popts->hz = o->hz ? o->hz : 100;
	energy_options(&popts->energy, o->energy ? o->energy : getenv("OPCOUNT_ENERGY"));
	popts->stacks = o->stacks;
	popts->idle_w = NULL;
	return 0;
}

/* -p PID: attach to a running process (tracer/ptrace.c). */
static int record_attached(const struct record_opts *o, const struct opc_ptrace_opts *popts)
{
	char path[PATH_MAX];
	time_t started;
	int rc;

	if (o->cmd[0]) {
		pr_err("-p takes no command");
		return 2;
	}
	started = time(NULL);
	rc = opc_ptrace_attach((pid_t)o->attach_pid, o->duration, o->output, path, sizeof(path),
			       popts);
	if (rc < 0)
		return 1;
	pr_info("trace written to %s%s", path, rc ? "" : "; the process runs on");
	/* children it forked while attached, images it exec'd */
	count_other_traces(o->output, path, (pid_t)o->attach_pid, started);
	return 0;
}

/* --ptrace: no preload library, breakpoints (tracer/ptrace.c). */
static int record_ptraced(const struct record_opts *o, const struct opc_ptrace_opts *popts)
{
	char path[PATH_MAX];
	time_t started = time(NULL);
	int rc = opc_ptrace_run(o->output, path, sizeof(path), o->cmd, popts);

	if (rc < 0)
		return 1;
	if (file_exists(path))
		pr_info("trace written to %s", path);
	count_other_traces(o->output, path, 0, started);
	return rc;
}

/*
 * A sanitizer build of opcount (make ASAN=1, TSAN=1) preloads the library
 * of its own build, which works in a program not built with the sanitizer
 * only when the sanitizer's runtime is loaded before everything else:
 * this process's runtime, the file holding its entry point.  NULL in a
 * plain build.
 */
#if defined(__SANITIZE_ADDRESS__)
extern void __asan_init(void);
#define SANITIZER_INIT __asan_init
#elif defined(__SANITIZE_THREAD__)
extern void __tsan_init(void);
#define SANITIZER_INIT __tsan_init
#endif
static const char *sanitizer_runtime(void)
{
#ifdef SANITIZER_INIT
	Dl_info info;

	if (dladdr((void *)SANITIZER_INIT, &info) && info.dli_fname && info.dli_fname[0] == '/')
		return info.dli_fname;
#endif
	return NULL;
}

/*
 * The environment the command and its children inherit: the library
 * appended to LD_PRELOAD (preload gets the new value, set in the child
 * only), and what the options say for the library to read.
 */
static void preload_environment(const struct record_opts *o, const char *lib, char *preload,
				size_t len)
{
	const char *rt = sanitizer_runtime(), *old = getenv("LD_PRELOAD");
	char num[64];

	snprintf(preload, len, "%s%s%s%s%s", rt ? rt : "", rt ? " " : "", old && *old ? old : "",
		 old && *old ? " " : "", lib);
	setenv("OPCOUNT_OUTPUT", o->output, 1);
	if (o->energy)
		setenv("OPCOUNT_ENERGY", o->energy, 1);
	if (o->hz) {
		snprintf(num, sizeof(num), "%ld", o->hz);
		setenv("OPCOUNT_HZ", num, 1);
	}
}

/*
 * Runs the command with the library preloaded and waits for it,
 * forwarding what a terminal or a batch system sends (the command decides
 * what to do with it).  Its pid in *pid and its wait status in *status:
 * 0, or 1 with the message printed.
 */
static int run_forwarding_signals(char **cmd, const char *lib, const char *preload,
				  pid_t *pid, int *status)
{
	struct sigaction sa, saved[32];
	sigset_t fwd, old;
	char num[32];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	/*
	 * The handlers before the fork, the signals blocked until the child's
	 * pid is known: a command that starts fast (it prints that it is
	 * ready) may be signalled before this process would otherwise have
	 * installed them, and the signal would end the recorder instead.
	 * The child gets back what this process had (nohup's ignored SIGHUP).
	 */
	sigemptyset(&fwd);
	for (int sig = 1; sig < 32; sig++)
		if (forwarded(sig))
			sigaddset(&fwd, sig);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	for (int sig = 1; sig < 32; sig++)
		if (forwarded(sig))
			sigaction(sig, &sa, &saved[sig]);
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		pr_err("cannot fork: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 1;
	}
	if (*pid == 0) {
		for (int sig = 1; sig < 32; sig++)
			if (forwarded(sig))
				sigaction(sig, &saved[sig], NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		snprintf(num, sizeof(num), "%d", (int)getpid());
		setenv("OPCOUNT_ROOT_PID", num, 1);
		setenv("LD_PRELOAD", preload, 1);
		/* NVTX ranges as layers: the NVTX loader dlopens the library
		 * this names, which is the one already preloaded.  A profiler
		 * that set its own (nsys) keeps it. */
		setenv("NVTX_INJECTION64_PATH", lib, 0);
		execvp(cmd[0], cmd);
		pr_err("cannot run %s: %s", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	child_pid = *pid;
	sigprocmask(SIG_SETMASK, &old, NULL);	/* a pending one is forwarded now */
	while (waitpid(*pid, status, 0) < 0) {
		if (errno != EINTR) {
			pr_err("waitpid: %s", strerror(errno));
			return 1;
		}
	}
	return 0;
}

/* What the trace the command should have written holds. */
enum trace_state {
	TRACE_ENDED,		/* a header, frames, an END (or EXEC) record */
	TRACE_NO_END,		/* a header and frames, no END record */
	TRACE_NO_HEADER,	/* a file without a whole, valid header: empty */
	TRACE_NOT_FILE,		/* something that is not a regular file */
	TRACE_MISSING,		/* nothing */
	TRACE_UNWRITABLE,	/* nothing, and its directory takes no file */
};

/*
 * Walks the frames of the trace at path (their headers only: the reader
 * checks the rest) to see whether the library finished it.  A library
 * that could not write warns itself; this tells "it could not write" from
 * "the program never called BLAS", which both leave no complete trace.
 */
static enum trace_state trace_state(const char *path)
{
	struct opc_file_header h;
	struct stat st;
	char dir[PATH_MAX], *slash;
	unsigned char *buf;
	size_t have = 0, at = 0;
	int fd, ended = 0;

	if (stat(path, &st) < 0) {
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = 0;
		else
			snprintf(dir, sizeof(dir), ".");
		return access(dir, W_OK | X_OK) == 0 ? TRACE_MISSING : TRACE_UNWRITABLE;
	}
	if (!S_ISREG(st.st_mode))
		return TRACE_NOT_FILE;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return TRACE_NO_HEADER;
	buf = malloc(1 << 20);
	if (buf == NULL || read(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, OPC_TRACE_MAGIC, 8) || h.header_crc != opc_header_crc(&h) ||
	    h.header_size < sizeof(h) || lseek(fd, h.header_size, SEEK_SET) < 0) {
		free(buf);
		close(fd);
		return TRACE_NO_HEADER;
	}
	for (;;) {
		struct opc_frame fr;
		ssize_t n;

		if (have - at < sizeof(fr)) {
			memmove(buf, buf + at, have - at);
			have -= at;
			at = 0;
			n = read(fd, buf + have, (1 << 20) - have);
			if (n <= 0 || (have += n) < sizeof(fr))
				break;
		}
		memcpy(&fr, buf + at, sizeof(fr));
		ended = fr.type == OPC_REC_END || fr.type == OPC_REC_EXEC;
		if (fr.size > OPC_FRAME_MAX)
			break;
		/* skip the payload: within the buffer, or past it */
		size_t skip = OPC_FRAME_ALIGN(sizeof(fr) + fr.size);

		if (skip <= have - at) {
			at += skip;
		} else {
			if (lseek(fd, skip - (have - at), SEEK_CUR) < 0)
				break;
			have = at = 0;
		}
	}
	free(buf);
	close(fd);
	return ended ? TRACE_ENDED : TRACE_NO_END;
}

/* Where the traces of the run went: the command's (named as the library
 * named it), whether the library could write it, and how many the other
 * processes wrote.  `killed`: the command died of a signal, which leaves
 * its trace without an END record. */
static void report_traces(const struct record_opts *o, pid_t pid, time_t started, int killed)
{
	struct opc_producer prod = { .output = o->output, .root_pid = pid };
	char path[PATH_MAX];
	struct opc_job job;

	opc_producer_job(&prod, &job, getenv);
	opc_trace_name(path, sizeof(path), &prod, pid, 0);
	switch (trace_state(path)) {
	case TRACE_ENDED:
		pr_info("trace written to %s", opc_tty(path));
		break;
	case TRACE_NO_END:
		if (killed)
			pr_info("trace written to %s (incomplete: the command was killed)",
				opc_tty(path));
		else
			pr_warn("the trace %s is incomplete: it has no end record, so it could "
				"not be written to the end (see the library's messages above); "
				"opcount report reads what is there", opc_tty(path));
		break;
	case TRACE_NO_HEADER:
		pr_err("the trace %s could not be written: the file holds no trace header "
		       "(see the library's messages above)", opc_tty(path));
		break;
	case TRACE_NOT_FILE:
		pr_err("the trace could not be written: %s is not a regular file", opc_tty(path));
		break;
	case TRACE_UNWRITABLE:
		pr_err("the trace %s could not be written: its directory does not exist or "
		       "takes no new file", opc_tty(path));
		break;
	case TRACE_MISSING:
		pr_info("no trace from %s: it made no BLAS or LAPACK call", opc_tty(o->cmd[0]));
		break;
	}
	count_other_traces(o->output, path, pid, started);
}

/* The command under the preload library: its exit status, 128 + the
 * signal that killed it, or 1 when it could not be run. */
static int record_preloaded(const struct record_opts *o)
{
	char lib[2 * PATH_MAX], preload[4 * PATH_MAX + 2];
	time_t started;
	int status;
	pid_t pid;

	if (find_library(lib, sizeof(lib)) < 0) {
		pr_err("cannot find libopcount.so beside %s or in ../lib (set OPCOUNT_LIBRARY)",
		       "the opcount binary");
		return 1;
	}
	preload_environment(o, lib, preload, sizeof(preload));
	started = time(NULL);
	if (run_forwarding_signals(o->cmd, lib, preload, &pid, &status))
		return 1;
	report_traces(o, pid, started, WIFSIGNALED(status));
	if (WIFSIGNALED(status)) {
		pr_info("%s killed by signal %d", o->cmd[0], WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

int cmd_record(int argc, char **argv)
{
	struct opc_ptrace_opts popts;
	struct record_opts o;
	char injlib[PATH_MAX];
	int rc;

	if ((rc = parse_options(argc, argv, &o)) >= 0 || (rc = check_options(&o)))
		return rc;
	if (ptrace_options(&o, &popts, injlib))
		return 1;
	measure_idle_baseline(&o);
	popts.idle_w = getenv("OPCOUNT_IDLE_W");
	if (o.attach_pid)
		return record_attached(&o, &popts);
	if (o.duration_given) {
		pr_err("--duration needs -p PID");
		return 2;
	}
	if (!o.cmd[0]) {
		pr_err("no command to record");
		usage(stderr);
		return 2;
	}
	if (o.use_ptrace)
		return record_ptraced(&o, &popts);
	return record_preloaded(&o);
}

/*
 * producer.c - trace names, files, header and the INFO of the machine, for
 * every writer of traces (see producer.h).  One copy of these rules: the
 * library, the ptrace tracer and `opcount record` must agree on every name,
 * or `record` looks for a trace that was written under another.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "job.h"
#include "producer.h"
#include "trace.h"

/* ---- names ------------------------------------------------------------ */

int opc_output_expand(char *out, size_t len, const char *pattern, pid_t pid)
{
	char host[256] = "unknown", num[24];
	size_t o = 0;

	if (len == 0)
		return -ENAMETOOLONG;
	gethostname(host, sizeof(host) - 1);
	for (const char *p = pattern; *p; p++) {
		const char *s = p;
		size_t n = 1;

		if (p[0] == '%' && (p[1] == 'p' || p[1] == 'h' || p[1] == '%')) {
			if (p[1] == 'p')
				snprintf(num, sizeof(num), "%d", (int)pid);
			s = p[1] == 'p' ? num : p[1] == 'h' ? host : "%";
			n = strlen(s);
			p++;
		}
		if (o + n >= len) {
			memcpy(out + o, s, len - 1 - o);
			out[len - 1] = 0;
			return -ENAMETOOLONG;
		}
		memcpy(out + o, s, n);
		o += n;
	}
	out[o] = 0;
	return 0;
}

int opc_output_per_pid(const char *pattern)
{
	for (const char *p = pattern; *p; p++) {
		if (p[0] != '%')
			continue;
		if (p[1] == 'p')
			return 1;
		if (p[1] == '%')
			p++;	/* "%%p" is a % and a p */
	}
	return 0;
}

/* Appends fmt, formatting one long, to out, which holds n characters: 0,
 * or -ENAMETOOLONG. */
static int append(char *out, size_t len, size_t *n, const char *fmt, long v)
{
	int k = *n < len ? snprintf(out + *n, len - *n, fmt, v) : 0;

	if (*n >= len || (size_t)k >= len - *n)
		return -ENAMETOOLONG;
	*n += (size_t)k;
	return 0;
}

int opc_producer_rank(const struct opc_producer *p)
{
	return p->job && p->job->launcher && !p->output_is_name ? (int)p->job->rank : -1;
}

void opc_producer_job(struct opc_producer *p, struct opc_job *job,
		      char *(*get)(const char *name))
{
	const char *s;

	opc_job_detect(job, get);
	p->job = job;
	p->host = (s = get("OPCOUNT_TEST_HOST")) && *s ? s : NULL;
	p->boot_id = (s = get("OPCOUNT_TEST_BOOT_ID")) && *s ? s : NULL;
}

/* The output for pid without its ".opc" (any other name is its own
 * stem), and a rank's ".rank<N>" after it. */
static int stem(char *out, size_t len, const struct opc_producer *p, pid_t pid)
{
	char *dot, *slash;
	int ret, rank = opc_producer_rank(p);
	size_t n;

	if (p->output_is_name)
		ret = snprintf(out, len, "%s", p->output) < (int)len ? 0 : -ENAMETOOLONG;
	else
		ret = opc_output_expand(out, len, p->output, pid);
	dot = strrchr(out, '.');
	slash = strrchr(out, '/');
	if (dot && (!slash || dot > slash) && !strcmp(dot, ".opc"))
		*dot = 0;
	n = strlen(out);
	if (rank >= 0 && append(out, len, &n, ".rank%ld", rank) < 0)
		return -ENAMETOOLONG;
	return ret;
}

int opc_trace_name(char *out, size_t len, const struct opc_producer *p, pid_t pid,
		   unsigned image)
{
	int per_pid = !p->output_is_name && opc_output_per_pid(p->output);
	int rank = opc_producer_rank(p);
	size_t n;
	int ret;

	/* a rank's own trace is STEM.rank<N>.opc whichever process of the
	 * run it is (mpirun under `record` is the root, its ranks are not) */
	if (image == 0 && (per_pid || p->root_pid == 0 || pid == p->root_pid ||
			   (rank >= 0 && p->root_pid != -1))) {
		if (p->output_is_name)
			return snprintf(out, len, "%s", p->output) < (int)len ? 0 : -ENAMETOOLONG;
		if (rank < 0)
			return opc_output_expand(out, len, p->output, pid);
		ret = stem(out, len, p, pid);
		n = strlen(out);
		return append(out, len, &n, ".opc", 0) < 0 ? -ENAMETOOLONG : ret;
	}
	ret = stem(out, len, p, pid);
	n = strlen(out);
	if ((!per_pid && append(out, len, &n, ".%ld", (long)pid) < 0) ||
	    (image && append(out, len, &n, ".exec%ld", (long)image) < 0) ||
	    append(out, len, &n, ".opc", 0) < 0)
		return -ENAMETOOLONG;
	return ret;
}

/* Who writes the trace at path, by its header. */
enum { TRACE_NONE, TRACE_OURS, TRACE_LIVE };

/*
 * TRACE_OURS: this process, before an exec.  TRACE_LIVE: another process
 * that still runs (its parent, a grandparent, a sibling: a fixed name is
 * every process's).  TRACE_NONE: no trace, or one of a process that has
 * finished, which is replaced.  A pid reused since is taken as running:
 * the cost is another name, never a trace overwritten.
 */
static int trace_writer(const char *path, pid_t pid, pid_t ppid)
{
	struct opc_file_header h;
	int fd = opc_open_regular(path, O_RDONLY | O_NOFOLLOW, 0);
	ssize_t n;

	if (fd < 0)
		return TRACE_NONE;
	n = read(fd, &h, sizeof(h));
	close(fd);
	if (n != (ssize_t)sizeof(h) || memcmp(h.magic, OPC_TRACE_MAGIC, 8) || h.pid == 0)
		return TRACE_NONE;
	if (h.pid == (uint32_t)pid)
		return TRACE_OURS;
	if (h.pid == (uint32_t)ppid || kill((pid_t)h.pid, 0) == 0 || errno == EPERM)
		return TRACE_LIVE;
	return TRACE_NONE;
}

int opc_trace_name_unused(char *out, size_t len, const struct opc_producer *p, pid_t pid,
			  pid_t ppid)
{
	int ret = opc_trace_name(out, len, p, pid, 0);
	int who = trace_writer(out, pid, ppid);

	/*
	 * Another process writes the output (a fixed name, no run: the
	 * parent that forked this process before it exec'd, or any other):
	 * this one is another process of the run, STEM.<pid>.opc.
	 */
	if (who == TRACE_LIVE) {
		struct opc_producer other = *p;

		other.root_pid = -1;
		ret = opc_trace_name(out, len, &other, pid, 0);
		who = trace_writer(out, pid, ppid);
	}
	for (unsigned n = 1; who != TRACE_NONE && n < 10000; n++) {
		ret = opc_trace_name(out, len, p, pid, n);
		who = trace_writer(out, pid, ppid);
	}
	return ret;
}

int opc_trace_glob(char *out, size_t len, const struct opc_producer *p, pid_t root)
{
	char pat[PATH_MAX];
	size_t o = 0;

	if (p->output_is_name || !opc_output_per_pid(p->output)) {
		if (stem(pat, sizeof(pat), p, root) < 0)
			return -ENAMETOOLONG;
		return snprintf(out, len, "%s.*.opc", pat) < (int)len ? 0 : -ENAMETOOLONG;
	}
	/* %p as *, every other escape as it was */
	for (const char *s = p->output; *s && o + 2 < sizeof(pat); s++) {
		if (s[0] == '%' && s[1] == 'p') {
			pat[o++] = '*';
			s++;
		} else if (s[0] == '%' && s[1] == '%') {
			pat[o++] = *s++;
			pat[o++] = *s;
		} else {
			pat[o++] = *s;
		}
	}
	pat[o] = 0;
	return opc_output_expand(out, len, pat, root);
}

/* ---- the file --------------------------------------------------------- */

/* fd moved to 900 or above where it can be; fd otherwise. */
static int move_high(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, 900);

	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

/*
 * The path of a trace is predictable (opcount-<pid>.opc, often in a shared
 * directory), so what is there is not trusted: a symbolic link is not
 * followed (it could point at any file of the user's, to be truncated),
 * anything but a regular file is refused without blocking (a FIFO would
 * hang the program at its first call), and a new trace is 0600: it holds
 * the command line and the environment's choices.  A link the user made
 * on purpose is refused too, as the library cannot tell it from a planted
 * one; directories above may be links.
 */
int opc_trace_create(const char *path, int high_fd)
{
	int fd = opc_open_regular(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	return high_fd ? move_high(fd) : fd;
}

int opc_trace_reopen(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;
	/* non-blocking: a FIFO put at the path must not hang the program;
	 * O_NOFOLLOW as at its creation (a link there now is not the trace) */
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != dev || st.st_ino != ino) {
		close(fd);
		return -ESTALE;
	}
	return move_high(fd);
}

int opc_trace_begin(struct opc_writer *w, int fd, const struct opc_trace_hdr *t)
{
	struct opc_file_header h;
	struct timespec rt;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, OPC_TRACE_MAGIC, 8);
	h.version = OPC_TRACE_VERSION;
	h.min_version = OPC_TRACE_MIN_VERSION;
	h.header_size = sizeof(h);
	h.byte_order = OPC_BYTE_ORDER_MARK;
	h.frame_header_size = sizeof(struct opc_frame);
	h.features = t->features;
	clock_gettime(CLOCK_REALTIME, &rt);
	h.start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000u + rt.tv_nsec - t->t0_ago_ns;
	h.pid = t->pid;
	h.ppid = t->ppid;
	h.interval_ns = t->interval_ns;
	return opc_writer_open(w, fd, &h);
}

/* ---- INFO ------------------------------------------------------------- */

/* A file's first len - 1 bytes; NULs as spaces (a command line), trailing
 * spaces dropped. */
static void read_text(const char *path, char *buf, size_t len, int nul_to_space)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	if (nul_to_space) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == 0)
				buf[i] = ' ';
		while (n > 0 && buf[n - 1] == ' ')
			buf[--n] = 0;
	}
}

static void info_kv(struct opc_writer *w, const char *key, const char *val)
{
	char line[8400];
	int n = snprintf(line, sizeof(line), "%s=%s", key, val ? val : "");

	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	opc_writer_append(w, line, n + 1);
}

/* a number known (>= 0) */
static void info_num(struct opc_writer *w, const char *key, long v)
{
	char num[24];

	if (v < 0)
		return;
	snprintf(num, sizeof(num), "%ld", v);
	info_kv(w, key, num);
}

void opc_cpu_model(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];

	snprintf(out, len, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (strncmp(line, "model name", 10) || p == NULL)
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\n")] = 0;
		snprintf(out, len, "%s", p);
		break;
	}
	fclose(f);
}

void opc_info_write_machine(struct opc_writer *w, const struct opc_producer *p, pid_t pid)
{
	char proc[32], path[64], buf[4096], host[256] = "";
	ssize_t n;

	if (opc_writer_begin(w, OPC_REC_INFO, 0) == NULL)
		return;
	info_kv(w, "opcount_version", OPC_VERSION);
	if (p->mode)
		info_kv(w, "mode", p->mode);
	/* this process by "self": right also where /proc is another pid
	 * namespace's */
	if (pid == getpid())
		snprintf(proc, sizeof(proc), "/proc/self");
	else
		snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	snprintf(path, sizeof(path), "%s/exe", proc);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	info_kv(w, "exe", buf);
	/* read, not passed: a fork child's or an exec'd image's is its own */
	snprintf(path, sizeof(path), "%s/cmdline", proc);
	read_text(path, buf, sizeof(buf), 1);
	info_kv(w, "cmdline", buf);
	if (p->host)
		snprintf(host, sizeof(host), "%s", p->host);
	else
		gethostname(host, sizeof(host) - 1);
	info_kv(w, "host", host);
	/* with the host name, the node: a host name alone is shared by
	 * containers and reinstalled machines, a boot id is not */
	if (p->boot_id)
		snprintf(buf, sizeof(buf), "%s", p->boot_id);
	else
		read_text("/proc/sys/kernel/random/boot_id", buf, sizeof(buf), 0);
	buf[strcspn(buf, "\n")] = 0;
	info_kv(w, "boot_id", buf);
	if (p->job && p->job->launcher) {
		const struct opc_job *j = p->job;

		info_kv(w, "launcher", j->launcher);
		info_num(w, "rank", j->rank);
		info_num(w, "local_rank", j->local_rank);
		info_num(w, "world_size", j->world_size);
		info_kv(w, "job", j->id);
	}
	opc_cpu_model(buf, sizeof(buf));
	info_kv(w, "cpu", buf);
	snprintf(buf, sizeof(buf), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	info_kv(w, "ncpu", buf);
	snprintf(buf, sizeof(buf), "%d", p->tsc);
	info_kv(w, "tsc", buf);
	/* measured by `opcount record --idle-baseline` before the run */
	if (p->idle_w && *p->idle_w)
		info_kv(w, "idle_w", p->idle_w);
	opc_writer_end(w);
}

const char *const opc_blas_routines[OPC_BLAS_ROUTINES] = {
	"cblas_dgemm", "dgemm_", "cblas_sgemm", "sgemm_", "dgetrf_",
};

void opc_info_write_blas(struct opc_writer *w, const char *blas, long blas_threads,
			 uint64_t threads)
{
	char num[32], real[PATH_MAX];

	if (opc_writer_begin(w, OPC_REC_INFO, 0) == NULL)
		return;
	/* one name for one file, however the program reached it */
	if (blas)
		info_kv(w, "blas", realpath(blas, real) ? real : blas);
	if (blas_threads >= 0) {
		snprintf(num, sizeof(num), "%ld", blas_threads);
		info_kv(w, "blas_threads", num);
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)threads);
	info_kv(w, "threads", num);
	opc_writer_end(w);
}

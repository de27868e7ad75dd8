/*
 * log.c - stderr diagnostics with a per-file prefix.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int opc_debug_level;

/* secure_getenv: a setuid program's user does not choose what the
 * library tells it (in secure execution the library says nothing). */
void opc_log_init(void)
{
	const char *s = secure_getenv("OPCOUNT_DEBUG");

	if (s && *s)
		opc_debug_level = atoi(s);
}

/*
 * One write(2) per message, formatted on the stack: the preload library
 * may log from any thread, inside a signal-unsafe moment of the program,
 * and must not interleave half lines with the program's own stderr nor
 * take stdio's locks.  errno is preserved because callers log on the way
 * out of a wrapper.
 */
void opc_log(const char *prefix, const char *level, const char *fmt, ...)
{
	char buf[1024];
	int saved_errno = errno;
	va_list ap;
	int n;

	if (level)
		n = snprintf(buf, sizeof(buf), "%s: %s: ", prefix, level);
	else
		n = snprintf(buf, sizeof(buf), "%s: ", prefix);
	if (n < 0 || n >= (int)sizeof(buf))
		n = 0;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (n == 0 || buf[n - 1] != '\n')
		buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved_errno;
}

/* A line of a summary: no prefix, same single write. */
void opc_log_raw(const char *fmt, ...)
{
	char buf[1024];
	int saved_errno = errno;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0 && write(STDERR_FILENO, buf, n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved_errno;
}

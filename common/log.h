/*
 * log.h - diagnostics shared by libopcount.so and the opcount tool.
 *
 * Each file defines PR_FMT before including this header to get its own
 * prefix, as in the kernel and uftrace.  Everything goes to stderr (or to
 * a descriptor the preload library chose): the traced program's stdout is
 * never touched.  OPCOUNT_DEBUG=N enables pr_dbg messages of level <= N.
 */
#ifndef OPC_LOG_H
#define OPC_LOG_H

#include <stdarg.h>

#ifndef PR_FMT
#define PR_FMT "opcount"
#endif

extern int opc_debug_level;

void opc_log_init(void);
void opc_log(const char *prefix, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void opc_log_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define pr_err(fmt, ...)  opc_log(PR_FMT, "error", fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) opc_log(PR_FMT, "warning", fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) opc_log(PR_FMT, NULL, fmt, ##__VA_ARGS__)
#define pr_dbg(lvl, fmt, ...)                                          \
	do {                                                           \
		if (opc_debug_level >= (lvl))                          \
			opc_log(PR_FMT, "debug", fmt, ##__VA_ARGS__);  \
	} while (0)

#endif

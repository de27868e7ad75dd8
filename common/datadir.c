/*
 * datadir.c - find the reference data from a build tree or an install.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datadir.h"

#ifndef OPC_DATADIR
#define OPC_DATADIR "data"
#endif

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *opc_data_dir(void)
{
	static char installed[PATH_MAX];
	const char *env = getenv("OPCOUNT_DATA_DIR");
	Dl_info dli;

	if (env && *env)
		return env;
	if (is_dir(OPC_DATADIR))
		return OPC_DATADIR;
	/* bin/opcount or lib/libopcount.so -> share/opcount */
	if (dladdr((void *)opc_data_dir, &dli) && dli.dli_fname) {
		char self[PATH_MAX], *slash;

		if (realpath(dli.dli_fname, self) && (slash = strrchr(self, '/'))) {
			*slash = 0;
			snprintf(installed, sizeof(installed), "%.*s/../share/opcount",
				 (int)(sizeof(installed) - 20), self);
			if (is_dir(installed))
				return installed;
		}
	}
	return OPC_DATADIR;
}

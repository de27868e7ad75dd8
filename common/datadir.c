/*
 * datadir.c - find the reference data from an install or a build tree.
 *
 * An installed opcount (bin/opcount, lib/libopcount.so) reads the data
 * installed beside it, in ../share/opcount, wherever the tree was installed
 * or moved to.  The directory compiled in (OPC_DATADIR, the source tree's
 * data/) is only the fallback for binaries run from a build tree: an
 * install must not read, or depend on, the tree it was built from.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PR_FMT "opcount"
#include "log.h"
#include "datadir.h"

#ifndef OPC_DATADIR
#define OPC_DATADIR "data"
#endif

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ../share/opcount beside the object this code is linked into (the tool or
 * the preload library), if it exists */
static const char *installed_dir(void)
{
	static char dir[PATH_MAX];
	char self[PATH_MAX], share[PATH_MAX], *slash;
	Dl_info dli;

	if (!dladdr((void *)installed_dir, &dli) || !dli.dli_fname ||
	    !realpath(dli.dli_fname, self) || !(slash = strrchr(self, '/')))
		return NULL;
	*slash = 0;
	if (snprintf(share, sizeof(share), "%s/../share/opcount", self) >= (int)sizeof(share))
		return NULL;
	/* resolved, so that messages and reports name PREFIX/share/opcount */
	return realpath(share, dir) && is_dir(dir) ? dir : NULL;
}

/* secure_getenv: in a setuid program (AT_SECURE) the user does not name
 * the files it reads; the installed data is used. */
const char *opc_data_dir(void)
{
	const char *env = secure_getenv("OPCOUNT_DATA_DIR");
	const char *dir;

	if (env && *env) {
		pr_dbg(1, "data directory %s (OPCOUNT_DATA_DIR)", env);
		return env;
	}
	dir = installed_dir();
	if (dir) {
		pr_dbg(1, "data directory %s (installed)", dir);
		return dir;
	}
	pr_dbg(1, "data directory %s (build tree)", OPC_DATADIR);
	return OPC_DATADIR;
}

/*
 * file.c - opening files that must be regular, without blocking (file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

int opc_open_regular(const char *path, int flags, mode_t mode)
{
	int trunc = flags & O_TRUNC;
	struct stat st;
	int fd, fl, err;

	/* O_TRUNC waits for fstat: a device's O_TRUNC may mean something */
	fd = open(path, (flags & ~O_TRUNC) | O_NONBLOCK | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -ENXIO;
		goto fail;
	}
	if (trunc && ftruncate(fd, 0) < 0) {
		err = -errno;
		goto fail;
	}
	/* blocking again, as the caller expects of a file */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		err = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

FILE *opc_fopen_regular(const char *path)
{
	int fd = opc_open_regular(path, O_RDONLY, 0);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

const char *opc_open_strerror(int err)
{
	if (err == ENXIO)
		return "not a regular file";
	if (err == ELOOP)
		return "a symbolic link (not followed)";
	return strerror(err);
}

/*
 * file.h - opening files whose path someone else may have chosen: a trace
 * the program writes at a predictable path, a module a trace names, a
 * data file.  Each is opened without blocking (a FIFO put there must not
 * hang the program or the report) and used only if it is a regular file.
 */
#ifndef OPC_FILE_H
#define OPC_FILE_H

#include <stdio.h>
#include <sys/types.h>

/*
 * path opened with flags (O_RDONLY, O_WRONLY, O_CREAT ...: O_NONBLOCK and
 * O_CLOEXEC are added, O_NONBLOCK cleared again once open) if it is a
 * regular file: its descriptor, or -errno; -ENXIO for any file that is
 * not regular (a FIFO, a device, a socket: a FIFO without a reader fails
 * so when opened for writing, one with a reader is opened, then closed).
 * With O_TRUNC the file is truncated only once it is known to be regular.
 */
int opc_open_regular(const char *path, int flags, mode_t mode);

/* The same for reading, as a stdio stream: NULL with errno set. */
FILE *opc_fopen_regular(const char *path);

/* A message for what opc_open_regular returned (a positive errno):
 * strerror, but "not a regular file" for ENXIO and "a symbolic link
 * (not followed)" for ELOOP, where the caller asked for O_NOFOLLOW. */
const char *opc_open_strerror(int err);

#endif

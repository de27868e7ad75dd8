/*
 * unseen.h - libraries a traced process had loaded whose work opcount
 * knows it does not see: the report names them in its header, once.
 */
#ifndef OPC_UNSEEN_H
#define OPC_UNSEEN_H

#include <stddef.h>

/*
 * What module `path` does that opcount does not intercept, written into
 * why (a sentence fragment), or 0 when it is not such a library.
 */
int opc_unseen(const char *path, char *why, size_t len);

#endif

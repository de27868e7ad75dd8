/*
 * export.h - what libopcount.so exports.  It is built with
 * -fvisibility=hidden: only the wrapped entry points and the public
 * annotation API are marked OPC_EXPORT; OPC_HIDDEN marks, for the reader,
 * state shared between the library's files.
 */
#ifndef OPC_EXPORT_H
#define OPC_EXPORT_H

#define OPC_EXPORT __attribute__((visibility("default")))
#define OPC_HIDDEN __attribute__((visibility("hidden")))

#endif

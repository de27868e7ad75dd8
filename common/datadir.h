/*
 * datadir.h - where the reference data (the CSV files of data/) is.
 */
#ifndef OPC_DATADIR_H
#define OPC_DATADIR_H

/* OPCOUNT_DATA_DIR; else the directory compiled in, if it exists (a build
 * tree); else ../share/opcount beside the binary or library calling this
 * (an installed tree). */
const char *opc_data_dir(void);

#endif

/*
 * datadir.h - where the reference data (the CSV files of data/) is.
 */
#ifndef OPC_DATADIR_H
#define OPC_DATADIR_H

/* OPCOUNT_DATA_DIR; else ../share/opcount beside the binary or library
 * calling this, if it exists (an installed tree); else the directory
 * compiled in (the source tree's data/, for a build tree).  OPCOUNT_DEBUG=1
 * says which. */
const char *opc_data_dir(void);

#endif

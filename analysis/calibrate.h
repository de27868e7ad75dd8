/*
 * calibrate.h - this machine's ceilings (`opcount calibrate`), measured,
 * saved to a JSON file (docs/design.md, "Calibration file"), and read
 * back for the roofline.
 */
#ifndef OPC_CALIBRATE_H
#define OPC_CALIBRATE_H

#include <stddef.h>

#define OPC_CALIB_VERSION 1

struct opc_calib {
	double gflops;		/* DGEMM, all threads: the compute ceiling */
	double gflops_1t;	/* DGEMM, one thread */
	double gbps;		/* triad, all threads: the memory ceiling */
	long threads;
	char cpu[256];
	char date[64];
	char blas[512];
	char path[4096];	/* the file it was read from */
};

/* $XDG_CONFIG_HOME/opcount/calibration.json, or ~/.config/opcount/... */
int opc_calib_default_path(char *buf, size_t len);

/*
 * Read a calibration file: 0, or -1 with "PATH: what is wrong" in err.
 * missing_ok: a file that does not exist is 1 (not an error).
 */
int opc_calib_load(const char *path, struct opc_calib *c, int missing_ok, char *err,
		   size_t errlen);

/*
 * The calibration a report uses: the file given (which must be a good
 * one), else the default file where there is one.  1 with c filled, 0
 * for none (note says so, and how to make one), -1 with err for a file
 * that is not a calibration.
 */
int opc_calib_for_report(const char *given, struct opc_calib *c, char *note, size_t notelen,
			 char *err, size_t errlen);

#endif

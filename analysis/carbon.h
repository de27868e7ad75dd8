/*
 * carbon.h - grid carbon intensity by country or cloud region, and the
 * arithmetic from energy to CO2eq (docs/arch.md, "Carbon").
 */
#ifndef OPC_CARBON_H
#define OPC_CARBON_H

#include <stddef.h>

#define OPC_J_PER_KWH 3.6e6
#define OPC_PUE_DEFAULT 1.58	/* average data-centre PUE in 2020 (docs/arch.md) */

struct opc_intensity {
	double g_per_kwh;	/* gCO2eq per kWh */
	char region[96];	/* canonical: "FRA", "gcp:europe-west9"; "" when given */
	char label[160];	/* "France", "gcp europe-west9 (France)" */
	char source[1400];	/* where the number comes from */
	int year;		/* year of the data, 0 when the table gives none */
};

/* opc_data_dir(): common/datadir.h */

/*
 * Look up an ISO 3166 alpha-3 country ("FRA", any case) in
 * DIR/grid-carbon-intensity.csv, or "provider:region" ("gcp:us-central1")
 * in DIR/cloud-region-carbon-intensity.csv.  An unknown name fails with
 * -ENOENT and a message listing the nearest known names.
 */
int opc_intensity_lookup(const char *dir, const char *region, struct opc_intensity *out,
			 char *err, size_t len);

/* CO2eq in grams of energy_j joules (already scaled by the PUE). */
double opc_co2eq_g(double energy_j, double g_per_kwh);

#endif

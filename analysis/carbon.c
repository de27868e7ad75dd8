/*
 * carbon.c - grid carbon intensity of a country or a cloud region, from the
 * tables in data/ (sources in data/README.md), and energy to CO2eq.
 *
 * The tables are small (a few hundred lines): each lookup reads its table
 * from the start, which keeps no state and needs no cache.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "carbon.h"
#include "datadir.h"
#include "file.h"
#include "util.h"

#define GRID_CSV "grid-carbon-intensity.csv"
#define CLOUD_CSV "cloud-region-carbon-intensity.csv"
#define NFIELDS 6
#define NSUGGEST 5

double opc_co2eq_g(double energy_j, double g_per_kwh)
{
	return energy_j / OPC_J_PER_KWH * g_per_kwh;
}

/* Split a CSV line in place; fields may be "quoted". Returns the count. */
static int csv_split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = 0;
	while (n < max) {
		if (*p == '"') {
			char *w = ++p;

			f[n++] = w;
			while (*p) {
				if (*p == '"' && p[1] == '"') {	/* "" is a quote */
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			*w = 0;
			if (*p == ',')
				p++;
			else
				break;
		} else {
			f[n++] = p;
			p += strcspn(p, ",");
			if (*p == 0)
				break;
			*p++ = 0;
		}
	}
	return n;
}

/* A positive finite number, or -1. */
static double number(const char *s)
{
	double v;

	return opc_parse_double(s, 0, 1e6, &v) == 0 && v < 1e6 ? v : -1;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[128];

	if (la >= 127 || lb >= 127)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t sub = diag + (tolower((unsigned char)a[i - 1]) !=
					     tolower((unsigned char)b[j - 1]));

			row[j] = sub;
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

static int contains_ci(const char *hay, const char *needle)
{
	return *needle && strcasestr(hay, needle) != NULL;
}

struct suggest {
	char text[NSUGGEST][128];
	size_t score[NSUGGEST];	/* lower is nearer */
	int n;
};

static void suggest_add(struct suggest *s, size_t score, const char *text)
{
	int i, worst = 0;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->text[i], text)) {
			if (score < s->score[i])
				s->score[i] = score;
			return;
		}
	if (s->n < NSUGGEST) {
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s", text);
		s->score[s->n++] = score;
		return;
	}
	for (i = 1; i < s->n; i++)
		if (s->score[i] > s->score[worst])
			worst = i;
	if (score < s->score[worst]) {
		snprintf(s->text[worst], sizeof(s->text[0]), "%s", text);
		s->score[worst] = score;
	}
}

static void suggest_format(struct suggest *s, char *buf, size_t len)
{
	size_t o = 0;

	/* nearest first; few entries, so a selection sort will do */
	for (int i = 0; i < s->n; i++)
		for (int j = i + 1; j < s->n; j++)
			if (s->score[j] < s->score[i] ||
			    (s->score[j] == s->score[i] && strcmp(s->text[j], s->text[i]) < 0)) {
				char t[128];
				size_t sc = s->score[i];

				memcpy(t, s->text[i], sizeof(t));
				memcpy(s->text[i], s->text[j], sizeof(t));
				memcpy(s->text[j], t, sizeof(t));
				s->score[i] = s->score[j];
				s->score[j] = sc;
			}
	buf[0] = 0;
	/* the nearest tier and the next: "us-central1" need not suggest
	 * every region three edits away */
	for (int i = 0; i < s->n && o < len && s->score[i] <= s->score[0] + 1; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? ", " : "", s->text[i]);
}

static FILE *open_table(const char *dir, const char *name, char *path, size_t plen,
			char *err, size_t len)
{
	FILE *f;

	snprintf(path, plen, "%s/%s", dir, name);
	f = opc_fopen_regular(path);	/* never blocks on a FIFO */
	if (f == NULL)
		snprintf(err, len, "cannot open %s: %s (OPCOUNT_DATA_DIR names the directory "
			 "that holds opcount's data/ files)", path, opc_open_strerror(errno));
	return f;
}

/* One pass over a table: find `want`, or collect suggestions for it. */
static int grid_lookup(const char *dir, const char *want, struct opc_intensity *out,
		       struct suggest *sg, char *err, size_t len)
{
	char path[1024], line[512], *f[NFIELDS], text[160];
	FILE *fp = open_table(dir, GRID_CSV, path, sizeof(path), err, len);
	int found = 0, lineno = 0;
	long year;

	if (fp == NULL)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		int n = csv_split(line, f, NFIELDS);
		double g;

		if (++lineno == 1 || n < 4)
			continue;
		snprintf(text, sizeof(text), "%s (%s)", f[0], f[1]);
		if (!strcasecmp(f[0], want)) {
			g = number(f[2]);
			if (g < 0) {
				snprintf(err, len, "%s:%d: bad intensity \"%s\" for %s", path,
					 lineno, f[2], f[0]);
				fclose(fp);
				return -EINVAL;
			}
			out->g_per_kwh = g;
			snprintf(out->region, sizeof(out->region), "%s", f[0]);
			snprintf(out->label, sizeof(out->label), "%s", f[1]);
			out->year = opc_parse_long(f[3], 1, 9999, &year) == 0 ? (int)year : 0;
			snprintf(out->source, sizeof(out->source),
				 "%s: Our World in Data energy dataset (CC BY 4.0), as compiled by "
				 "codecarbon (MIT licence), year %s", path, f[3]);
			found = 1;
			break;
		}
		if (!strcasecmp(f[1], want))
			suggest_add(sg, 0, text);
		else if (contains_ci(f[1], want) && strlen(want) >= 3)
			suggest_add(sg, 1, text);
		else if (strlen(want) <= 4 && edit_distance(f[0], want) <= 1)
			suggest_add(sg, 2, text);
		else if (edit_distance(f[1], want) <= 2)
			suggest_add(sg, 2, text);
	}
	fclose(fp);
	return found;
}

static int cloud_lookup(const char *dir, const char *provider, const char *region,
			struct opc_intensity *out, struct suggest *sg,
			char *err, size_t len)
{
	char path[1024], line[512], *f[NFIELDS], text[160];
	FILE *fp = open_table(dir, CLOUD_CSV, path, sizeof(path), err, len);
	int found = 0, lineno = 0;

	if (fp == NULL)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		int n = csv_split(line, f, NFIELDS);
		size_t d;
		double g;

		if (++lineno == 1 || n < 5)
			continue;
		snprintf(text, sizeof(text), "%s:%s", f[0], f[1]);
		if (provider && !strcasecmp(f[0], provider) && !strcasecmp(f[1], region)) {
			g = number(f[4]);
			if (g < 0) {
				snprintf(err, len, "%s:%d: bad intensity \"%s\" for %s:%s", path,
					 lineno, f[4], f[0], f[1]);
				fclose(fp);
				return -EINVAL;
			}
			out->g_per_kwh = g;
			snprintf(out->region, sizeof(out->region), "%s:%s", f[0], f[1]);
			snprintf(out->label, sizeof(out->label), "%s %s (%s)", f[0], f[1], f[2]);
			out->year = 0;
			snprintf(out->source, sizeof(out->source),
				 "%s: published by the provider, as compiled by codecarbon "
				 "(MIT licence); no year given", path);
			found = 1;
			break;
		}
		/* "us-central1" without its provider, a typo in either half */
		d = edit_distance(f[1], region);
		if (d == 0)
			suggest_add(sg, 0, text);
		else if (d <= 3)
			suggest_add(sg, d, text);
		else if (strlen(region) >= 4 && contains_ci(f[1], region))
			suggest_add(sg, 3, text);
	}
	fclose(fp);
	return found;
}

int opc_intensity_lookup(const char *dir, const char *region, struct opc_intensity *out,
			 char *err, size_t len)
{
	struct suggest sg = { .n = 0 };
	char provider[64], name[96], list[NSUGGEST * 130];
	const char *colon = strchr(region, ':');
	int ret;

	memset(out, 0, sizeof(*out));
	err[0] = 0;
	if (!*region) {
		snprintf(err, len, "empty region name (give an ISO 3166 alpha-3 country such "
			 "as FRA, or provider:region such as gcp:europe-west9)");
		return -EINVAL;
	}
	if (colon) {
		snprintf(provider, sizeof(provider), "%.*s", (int)(colon - region), region);
		snprintf(name, sizeof(name), "%s", colon + 1);
		ret = cloud_lookup(dir, provider, name, out, &sg, err, len);
	} else {
		ret = grid_lookup(dir, region, out, &sg, err, len);
		/* a cloud region given without its provider */
		if (ret == 0)
			ret = cloud_lookup(dir, NULL, region, out, &sg, err, len);
	}
	if (ret < 0)
		return ret;
	if (ret == 1)
		return 0;
	suggest_format(&sg, list, sizeof(list));
	snprintf(err, len, "unknown region \"%s\"%s%s%s: not an ISO 3166 alpha-3 country in "
		 "%s/%s nor a provider:region in %s/%s (for another place, give its intensity "
		 "with --intensity G)", region, sg.n ? " (did you mean " : "", list,
		 sg.n ? "?)" : "", dir, GRID_CSV, dir, CLOUD_CSV);
	return -ENOENT;
}

/*
 * cmd_fit.c - `opcount fit`: per-type cost coefficients from traces, and
 * whether they predict unseen runs better than FLOPs alone.
 *
 *   opcount fit TRACE... [--target energy|time] [-o COEFFS.json]
 *               [--plot FILE.svg|FILE.png] [--format table|json]
 *               [--group cmdline|file|arch] [--html FILE.html]
 *
 * The data set, the models and COEFFS.json are described in fit.h.
 */
#define PR_FMT "fit"
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"
#include "html.h"
#include "log.h"
#include "util.h"
#include "opcount_cli.h"
#include "picture.h"
#include "plot.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: opcount fit TRACE... [options]\n"
		"  --target energy|time   fit the energy of each sampling interval (default),\n"
		"                         or the busy time of the intercepted calls\n"
		"  -o, --output FILE      write the coefficients (COEFFS.json, docs/coeffs.md)\n"
		"  --plot FILE.svg|.png   measured vs predicted per run, models (a) and (c)\n"
		"  --format table|json    stdout: a table (default) or the COEFFS.json document\n"
		"  --html FILE            one self-contained page: the verdict, the plot, the\n"
		"                         models and the runs (rendered from the fit's JSON)\n"
		"  --group cmdline|file   runs left out together in cross-validation: traces\n"
		"                         with the same command line (default), each file, or\n"
		"                         (arch) each architecture: the set of its traced\n"
		"                         layers; prints held-out error per architecture and\n"
		"                         per layer type\n"
		"Models: (a) FLOPs alone, (b) per-type FLOPs, (c) per-type FLOPs and bytes,\n"
		"per-call overhead and static power; non-negative least squares, compared by\n"
		"leave-one-run-out prediction of each run's total (needs 3 runs or more).\n");
}

static const char *num(char *buf, size_t len, const char *fmt, double v)
{
	if (isfinite(v))
		snprintf(buf, len, fmt, v);
	else
		snprintf(buf, len, "-");
	return buf;
}

static void source_line(const struct opc_fit_data *d)
{
	const char *unused = d->target == OPC_FIT_TIME ? ", not used by a time fit" : "";

	if (d->measured)
		printf("energy source: %s (measured)%s\n", opc_tty(d->source), unused);
	else if (!strcmp(d->source, "none"))
		printf("energy source: none (no energy samples)\n");
	else
		printf("energy source: %s (NOT measured)%s\n", opc_tty(d->source), unused);
	if (d->note && !d->measured)
		printf("  how: %s\n", opc_tty(d->note));
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static void print_heldout(const struct opc_fit_data *d, const struct opc_fit_heldout *h)
{
	char b1[32], b2[32], b3[32];

	printf("\nheld-out error per architecture (each left out of the fit; median "
	       "|error| of its runs)\n");
	printf("%-36s %5s %10s %10s %10s\n", "architecture", "runs", "(a) FLOPs", "(b)",
	       "(c) type");
	for (size_t g = 0; g < h->narch; g++)
		printf("%-36.36s %5zu %9s%% %9s%% %9s%%\n", opc_tty(h->arch[g].name),
		       h->arch[g].runs, num(b1, sizeof(b1), "%.1f", h->arch[g].err[0]),
		       num(b2, sizeof(b2), "%.1f", h->arch[g].err[1]),
		       num(b3, sizeof(b3), "%.1f", h->arch[g].err[2]));
	printf("%-36s %5s %9s%% %9s%% %9s%%\n", "median over architectures", "",
	       num(b1, sizeof(b1), "%.1f", h->arch_median[0]),
	       num(b2, sizeof(b2), "%.1f", h->arch_median[1]),
	       num(b3, sizeof(b3), "%.1f", h->arch_median[2]));
	printf("%-36s %5s %9s%% %9s%% %9s%%\n", "worst architecture", "",
	       num(b1, sizeof(b1), "%.1f", h->arch_max[0]),
	       num(b2, sizeof(b2), "%.1f", h->arch_max[1]),
	       num(b3, sizeof(b3), "%.1f", h->arch_max[2]));
	if (d->target != OPC_FIT_TIME) {
		printf("(per layer type: only for --target time; a type's energy is not "
		       "measured)\n");
		return;
	}
	printf("\nheld-out error per layer type (the model's share for the type vs its "
	       "measured busy time; median over runs)\n");
	printf("%-36s %5s %10s %10s %10s\n", "type", "runs", "(a) FLOPs", "(b)", "(c) type");
	for (size_t t = 0; t < d->ntypes; t++)
		printf("%-36.36s %5zu %9s%% %9s%% %9s%%\n", opc_tty(d->types[t].name),
		       h->type_runs[t], num(b1, sizeof(b1), "%.1f", h->type_err[t]),
		       num(b2, sizeof(b2), "%.1f", h->type_err[d->ntypes + t]),
		       num(b3, sizeof(b3), "%.1f", h->type_err[2 * d->ntypes + t]));
	printf("%-36s %5s %9s%% %9s%% %9s%%\n", "median over types", "",
	       num(b1, sizeof(b1), "%.1f", h->type_median[0]),
	       num(b2, sizeof(b2), "%.1f", h->type_median[1]),
	       num(b3, sizeof(b3), "%.1f", h->type_median[2]));
}

static void print_table(const struct opc_fit_data *d, const struct opc_fit_result *r)
{
	const char *u = opc_fit_unit(d);
	int estimate = !d->measured && strcmp(d->source, "none") && d->target == OPC_FIT_ENERGY;
	char b1[32], b2[32], b3[32], b4[32];

	if (d->target == OPC_FIT_ENERGY)
		printf("opcount fit: target energy (J per sampling interval, summed per run)\n");
	else
		printf("opcount fit: target time = busy time of the intercepted calls (s per "
		       "interval, summed per run; wall time outside them is not modelled)\n");
	printf("data: %zu run%s (%zu distinct by %s), %zu sampling intervals\n", d->nruns,
	       d->nruns == 1 ? "" : "s", d->ngroups,
	       d->group_by == OPC_GROUP_CMDLINE ? "command line" :
	       d->group_by == OPC_GROUP_ARCH ? "architecture" : "file", d->nrows);
	source_line(d);
	if (estimate)
		printf("  !! the energy is an estimate, not a measurement: these coefficients fit the\n"
		       "  !! estimate's model of the machine; use them to compare, not as joules\n");
	printf("machine: %s%s, %s CPUs, BLAS %s, BLAS threads %s, host %s\n",
	       d->machine.cpu ? opc_tty(d->machine.cpu) : "unknown CPU",
	       d->machine.mixed ? " (traces from several machines!)" : "",
	       num(b1, sizeof(b1), "%.0f", d->machine.ncpu >= 0 ? d->machine.ncpu : NAN),
	       d->machine.blas ? opc_tty(d->machine.blas) : "unknown",
	       num(b2, sizeof(b2), "%.0f",
		   d->machine.blas_threads >= 0 ? d->machine.blas_threads : NAN),
	       d->machine.host ? opc_tty(d->machine.host) : "?");

	printf("\n%-24s %10s %10s %10s %11s\n", "type", "calls", "FLOPs", "bytes", "busy_s");
	for (size_t t = 0; t < d->ntypes; t++) {
		opc_si(b1, sizeof(b1), d->types[t].calls);
		opc_si(b2, sizeof(b2), d->types[t].flops);
		opc_si(b3, sizeof(b3), d->types[t].bytes);
		printf("%-24.24s %10s %10s %10s %11.6f\n", opc_tty(d->types[t].name), b1, b2, b3,
		       d->types[t].busy_s);
	}

	printf("\ncoefficients (fitted on every run, non-negative)\n");
	for (int m = 0; m < OPC_FIT_NMODELS; m++) {
		const struct opc_fit_model *fm = &r->m[m];

		printf("(%c) %s: %s\n      in-sample R^2 %s per interval", 'a' + m,
		       opc_fit_model_short(m), opc_fit_model_desc(d, m),
		       num(b1, sizeof(b1), "%.3f", fm->fit_r2));
		if (fm->rows < fm->nparams)
			printf("  !! %zu intervals for %zu coefficients: NOT determined "
			       "(record longer runs)", fm->rows, fm->nparams);
		putchar('\n');
		if (m == 0) {
			printf("      %-20s %11.4e %s/FLOP\n", "every type", fm->per_flop, u);
			continue;
		}
		for (size_t t = 0; t < d->ntypes; t++) {
			printf("      %-20.20s %11.4e %s/FLOP", opc_tty(d->types[t].name),
			       fm->type_flop[t], u);
			if (m == 2)
				printf(" %11.4e %s/byte", fm->type_byte[t], u);
			putchar('\n');
		}
		if (m == 2) {
			printf("      %-20s %11.4e %s/call\n", "per call", fm->per_call, u);
			if (d->target == OPC_FIT_ENERGY)
				printf("      %-20s %11.4g W\n", "static power", fm->static_w);
		}
	}

	if (r->cv) {
		printf("\nleave-one-out cross-validation: each run's total predicted by the models "
		       "fitted without it%s\n", d->group_by == OPC_GROUP_CMDLINE ?
		       " (and without other runs of its command line)" : "");
		printf("%-28s %8s %8s %9s\n", "model", "R^2", "MAPE", "Spearman");
		for (int m = 0; m < OPC_FIT_NMODELS; m++) {
			const struct opc_fit_model *fm = &r->m[m];
			char name[64];

			snprintf(name, sizeof(name), "(%c) %s", 'a' + m, opc_fit_model_short(m));
			printf("%-28s %8s %7s%% %9s\n", name, num(b1, sizeof(b1), "%.3f", fm->cv_r2),
			       num(b2, sizeof(b2), "%.1f", fm->cv_mape),
			       num(b3, sizeof(b3), "%.3f", fm->cv_spearman));
		}
	}

	printf("\n%-28s %12s", "run", "measured");
	for (int m = 0; m < OPC_FIT_NMODELS; m++)
		printf("   %10s%c %6s", "", 'a' + m, "err");
	printf("\n%-28s %12s", "", u);
	for (int m = 0; m < OPC_FIT_NMODELS; m++)
		printf("   %11s %6s", r->cv ? "held out" : "in sample", "");
	putchar('\n');
	for (size_t i = 0; i < d->nruns; i++) {
		const struct opc_fit_run *run = &d->runs[i];

		printf("%-28.28s %12.5g", opc_tty(base_name(run->path)), run->measured);
		for (int m = 0; m < OPC_FIT_NMODELS; m++) {
			double p = r->cv ? run->predicted[m] : run->fitted[m];
			double e = run->measured > 0 ? 100 * (p - run->measured) / run->measured : NAN;

			printf("   %11s %5s%%", num(b1, sizeof(b1), "%.5g", p),
			       num(b4, sizeof(b4), "%+.0f", e));
		}
		if (run->nunseen) {
			printf("   (no other run has");
			for (size_t j = 0; j < run->nunseen; j++)
				printf(" %s", opc_tty(run->unseen[j]));
			printf(")");
		}
		putchar('\n');
	}

	if (r->ho.ok)
		print_heldout(d, &r->ho);
	printf("\nverdict: %s\n", r->verdict);
	if (estimate)
		printf("energy source: %s (NOT measured)\n", opc_tty(d->source));
	printf("recommended model: (%c) %s%s\n", 'a' + r->best, opc_fit_model_short(r->best),
	       r->cv ? ", the lowest cross-validated MAPE" : ", by default (no cross-validation)");
}

static int write_json(json_object *doc, const char *path)
{
	const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		pr_err("%s: cannot write the coefficients: %s", path, strerror(errno));
		return -1;
	}
	fputs(s, f);
	fputc('\n', f);
	if (ferror(f) | fclose(f)) {
		pr_err("%s: cannot write the coefficients: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_fit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "plot", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "group", required_argument, NULL, 'g' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum opc_fit_target target = OPC_FIT_ENERGY;
	enum opc_fit_group group = OPC_GROUP_CMDLINE;
	const char *out = NULL, *plot = NULL, *html = NULL;
	struct opc_trace *traces = NULL;
	struct opc_fit_data d;
	struct opc_fit_result r;
	json_object *doc = NULL;
	int json = 0, c, n, ret = 1, built = 0, fitted = 0;
	char err[2048];

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:o:p:f:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!strcmp(optarg, "energy"))
				target = OPC_FIT_ENERGY;
			else if (!strcmp(optarg, "time"))
				target = OPC_FIT_TIME;
			else {
				pr_err("--target: '%s' is neither energy nor time", optarg);
				return 2;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			plot = optarg;
			if (opc_plot_format(plot) == OPC_PLOT_NONE) {
				pr_err("--plot %s: the name must end in .svg or .png", plot);
				return 2;
			}
			break;
		case 'f':
			if (!strcmp(optarg, "table"))
				json = 0;
			else if (!strcmp(optarg, "json"))
				json = 1;
			else {
				pr_err("--format: '%s' is neither table nor json", optarg);
				return 2;
			}
			break;
		case 'H':
			html = optarg;
			break;
		case 'g':
			if (!strcmp(optarg, "cmdline"))
				group = OPC_GROUP_CMDLINE;
			else if (!strcmp(optarg, "file"))
				group = OPC_GROUP_FILE;
			else if (!strcmp(optarg, "arch"))
				group = OPC_GROUP_ARCH;
			else {
				pr_err("--group: '%s' is not cmdline, file or arch", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	n = argc - optind;
	if (n <= 0) {
		pr_err("no trace given: opcount fit TRACE... (traces from opcount record)");
		usage(stderr);
		return 2;
	}
	traces = calloc(n, sizeof(*traces));
	if (traces == NULL) {
		pr_err("out of memory");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (opc_trace_read(argv[optind + i], &traces[i], err, sizeof(err)) < 0) {
			pr_err("%s", opc_tty(err));
			for (int j = 0; j <= i; j++)
				opc_trace_free(&traces[j]);
			free(traces);
			return 1;
		}
		if (err[0])
			pr_warn("%s", opc_tty(err));
	}
	if (opc_fit_build(&d, traces, n, target, group, err, sizeof(err)) < 0) {
		pr_err("%s", opc_tty(err));
		goto out;
	}
	built = 1;
	if (opc_fit_all(&d, &r) < 0) {
		pr_err("the fit failed (out of memory, or a numerical failure in GSL)");
		goto out;
	}
	fitted = 1;
	doc = opc_fit_json(&d, &r);
	if (out && write_json(doc, out) < 0)
		goto out;
	if (plot && opc_fit_plot(&d, &r, plot, err, sizeof(err)) < 0) {
		pr_err("%s", opc_tty(err));
		goto out;
	}
	if (html) {
		char *svg = NULL;

		if (opc_fit_plot_svg(&d, &r, "fit-", &svg, err, sizeof(err)) < 0) {
			pr_err("%s: %s", html, opc_tty(err));
			goto out;
		}
		/* the page embeds the document --format json prints */
		c = opc_html_fit(html, json_object_to_json_string_ext(doc,
				 JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), svg);
		free(svg);
		if (c < 0)
			goto out;
	}
	if (json) {
		puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		print_table(&d, &r);
		if (out)
			printf("coefficients written to %s\n", out);
		else
			printf("coefficients not saved (-o COEFFS.json saves them)\n");
		if (plot)
			printf("plot written to %s\n", plot);
		if (html)
			printf("page written to %s\n", html);
	}
	ret = 0;
out:
	if (doc)
		json_object_put(doc);
	if (fitted)
		opc_fit_result_free(&r);
	if (built)
		opc_fit_data_free(&d);
	for (int i = 0; i < n; i++)
		opc_trace_free(&traces[i]);
	free(traces);
	if (plot || html)
		opc_pic_cleanup();	/* last: cairo is not used after it */
	return ret;
}

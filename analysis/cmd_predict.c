/*
 * cmd_predict.c - `opcount predict`: the energy and carbon of a model's
 * life cycle, from fitted coefficients or from measured traces.
 *
 *   opcount predict --coeffs COEFFS.json --arch MODEL.json [options]
 *   opcount predict --from-trace INFER.opc --trace-inferences N [options]
 *   opcount predict --from-trace TRAIN.opc --steps TOTAL [--step-layer NAME] [--skip K]
 *   opcount predict --energy-kwh X (--region R | --intensity G) [--pue P]
 *
 * The model is docs/design.md's ("The life-cycle model"), with I the
 * energy of one inference: the forward pass of one batch divided by the
 * batch size (docs/arch.md, "What is predicted").  This file parses the
 * options and prints; analysis/predict.c (opc_predict) computes.
 */
#define PR_FMT "predict"
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "carbon.h"
#include "log.h"
#include "opcount_cli.h"
#include "predict.h"
#include "util.h"

struct popts {
	struct opc_predict_req q;
	int json;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: opcount predict --coeffs COEFFS.json --arch MODEL.json [options]\n"
"       opcount predict --from-trace INFER.opc --trace-inferences N [options]\n"
"       opcount predict --from-trace TRAIN.opc --steps TOTAL [--step-layer NAME]\n"
"                       [--skip K] [carbon options]\n"
"       opcount predict --energy-kwh X (--region R | --intensity G) [--pue P]\n"
"\n"
"Energy of one inference I (the forward pass of one batch / batch size):\n"
"  --arch MODEL.json        architecture (docs/arch.md), lowered to its BLAS calls\n"
"  --batch B                batch size (default: the file's \"batch\", else 1)\n"
"  --conv onednn|gemm       how a version 2 conv2d is lowered: PyTorch's default,\n"
"                           oneDNN on (its rows), or oneDNN off (slow_conv2d's sgemm)\n"
"  --torch-threads N        torch.get_num_threads() of the run (default: several);\n"
"                           1 keeps a 1x1 conv2d of a batch under 16 out of oneDNN\n"
"  --coeffs COEFFS.json     coefficients from opcount fit: predict I and a training step\n"
"  --model a|b|c            which fitted model (default: the one the file recommends)\n"
"  --time-coeffs TIME.json  a time fit (opcount fit --target time): the static power\n"
"                           of --coeffs applied to the predicted busy time\n"
"  --power W                turn a time fit given as --coeffs into energy (estimate)\n"
"  --from-trace TRACE       measure I from a trace of inference only: its energy / N\n"
"  --trace-inferences N     the number of inferences (samples forward) in that trace\n"
"  --train-trace TRACE      a trace of training the same model: measured overhead\n"
"  --train-trace-samples N  the samples it trained on, times its epochs\n"
"  --overhead X             training energy per sample / inference energy, given\n"
"A whole training run from a trace of its first steps (docs/arch.md):\n"
"  --steps TOTAL            steps of the whole run; with --from-trace TRAIN.opc\n"
"  --step-layer NAME        the layer region entered once per step (default step)\n"
"  --skip K                 warm-up steps left out of the mean (default 0)\n"
"Life cycle (docs/design.md: T = I*D*E*overhead, CT = H*T, LC = CT + T + N*I):\n"
"  --samples D --epochs E   training set size and epochs (both needed)\n"
"  --tuning-runs H          training runs of the architecture search (default 0)\n"
"  --inferences N           inferences served over the model's life (default 0)\n"
"Carbon (CO2eq = energy x PUE x intensity):\n"
"  --region R               ISO 3166 alpha-3 country (FRA) or provider:region\n"
"                           (gcp:europe-west9), from the tables in data/\n"
"  --intensity G            gCO2eq/kWh, overrides the region's value\n"
"  --pue P                  power usage effectiveness (default %.2f)\n"
"  --energy-kwh X, --energy-j X   plain carbon arithmetic on a given energy\n"
"  --format table|json      (default table)\n", OPC_PUE_DEFAULT);
}

/* A number >= min; integral when `integer`; plain decimal or 1e9 form. */
static int parse_num(const char *opt, const char *arg, double min, int integer, double *out)
{
	double v;

	if (opc_parse_double(arg, min, DBL_MAX, &v) < 0 || (integer && v != floor(v))) {
		pr_err("--%s: expected %s >= %g, got '%s'", opt,
		       integer ? "a whole number" : "a number", min, opc_tty(arg));
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct popts *o)
{
	enum {
		O_COEFFS = 256, O_TIME_COEFFS, O_ARCH, O_BATCH, O_MODEL, O_POWER, O_FROM_TRACE,
		O_TRACE_INF, O_TRAIN_TRACE, O_TRAIN_SAMPLES, O_OVERHEAD, O_SAMPLES, O_EPOCHS,
		O_TUNING, O_INFERENCES, O_REGION, O_INTENSITY, O_PUE, O_KWH, O_J, O_FORMAT,
		O_STEPS, O_STEP_LAYER, O_SKIP, O_CONV, O_THREADS,
	};
	static const struct option opts[] = {
		{ "coeffs", required_argument, NULL, O_COEFFS },
		{ "time-coeffs", required_argument, NULL, O_TIME_COEFFS },
		{ "arch", required_argument, NULL, O_ARCH },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "model", required_argument, NULL, O_MODEL },
		{ "power", required_argument, NULL, O_POWER },
		{ "from-trace", required_argument, NULL, O_FROM_TRACE },
		{ "trace-inferences", required_argument, NULL, O_TRACE_INF },
		{ "train-trace", required_argument, NULL, O_TRAIN_TRACE },
		{ "train-trace-samples", required_argument, NULL, O_TRAIN_SAMPLES },
		{ "overhead", required_argument, NULL, O_OVERHEAD },
		{ "samples", required_argument, NULL, O_SAMPLES },
		{ "epochs", required_argument, NULL, O_EPOCHS },
		{ "tuning-runs", required_argument, NULL, O_TUNING },
		{ "inferences", required_argument, NULL, O_INFERENCES },
		{ "region", required_argument, NULL, O_REGION },
		{ "intensity", required_argument, NULL, O_INTENSITY },
		{ "pue", required_argument, NULL, O_PUE },
		{ "energy-kwh", required_argument, NULL, O_KWH },
		{ "energy-j", required_argument, NULL, O_J },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "steps", required_argument, NULL, O_STEPS },
		{ "step-layer", required_argument, NULL, O_STEP_LAYER },
		{ "skip", required_argument, NULL, O_SKIP },
		{ "conv", required_argument, NULL, O_CONV },
		{ "torch-threads", required_argument, NULL, O_THREADS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_COEFFS: o->q.coeffs = optarg; break;
		case O_TIME_COEFFS: o->q.time_coeffs = optarg; break;
		case O_ARCH: o->q.arch = optarg; break;
		case O_BATCH:
			ret = parse_num("batch", optarg, 1, 1, &v);
			if (ret == 0 && v > 2147483647.0) {
				pr_err("--batch: at most 2147483647");
				ret = -EINVAL;
			}
			o->q.batch = (int64_t)v;
			break;
		case O_MODEL:
			if (strlen(optarg) != 1 || optarg[0] < 'a' || optarg[0] > 'c') {
				pr_err("--model: expected a, b or c, got '%s'", optarg);
				ret = -EINVAL;
			}
			o->q.model = optarg[0];
			break;
		case O_POWER: ret = parse_num("power", optarg, 1e-300, 0, &o->q.power_w); break;
		case O_FROM_TRACE: o->q.from_trace = optarg; break;
		case O_TRACE_INF:
			ret = parse_num("trace-inferences", optarg, 1, 1, &o->q.trace_inferences);
			break;
		case O_TRAIN_TRACE: o->q.train_trace = optarg; break;
		case O_TRAIN_SAMPLES:
			ret = parse_num("train-trace-samples", optarg, 1, 1, &o->q.train_samples);
			break;
		case O_OVERHEAD: ret = parse_num("overhead", optarg, 1, 0, &o->q.overhead); break;
		case O_SAMPLES: ret = parse_num("samples", optarg, 0, 1, &o->q.samples); break;
		case O_EPOCHS: ret = parse_num("epochs", optarg, 0, 1, &o->q.epochs); break;
		case O_TUNING: ret = parse_num("tuning-runs", optarg, 0, 1, &o->q.tuning_runs); break;
		case O_INFERENCES: ret = parse_num("inferences", optarg, 0, 1, &o->q.inferences); break;
		case O_REGION: o->q.region = optarg; break;
		case O_INTENSITY: ret = parse_num("intensity", optarg, 0, 0, &o->q.intensity); break;
		case O_PUE:
			ret = parse_num("pue", optarg, 1, 0, &o->q.pue);
			if (ret)
				pr_err("--pue: a PUE is facility energy / IT energy, so at least 1");
			break;
		case O_KWH:
			ret = parse_num("energy-kwh", optarg, 0, 0, &v);
			o->q.energy_j = v * OPC_J_PER_KWH;
			break;
		case O_J: ret = parse_num("energy-j", optarg, 0, 0, &o->q.energy_j); break;
		case O_STEPS: ret = parse_num("steps", optarg, 1, 1, &o->q.steps); break;
		case O_STEP_LAYER:
			if (!optarg[0]) {
				pr_err("--step-layer: an empty name");
				ret = -EINVAL;
			}
			o->q.step_layer = optarg;
			break;
		case O_SKIP: ret = parse_num("skip", optarg, 0, 1, &o->q.skip); break;
		case O_CONV:
			o->q.lower_given = 1;
			if (!strcmp(optarg, "onednn"))
				o->q.lower.conv = OPC_CONV_ONEDNN;
			else if (!strcmp(optarg, "gemm"))
				o->q.lower.conv = OPC_CONV_GEMM;
			else {
				pr_err("--conv: unknown path '%s' (onednn, gemm)", opc_tty(optarg));
				ret = -EINVAL;
			}
			break;
		case O_THREADS:
			o->q.lower_given = 1;
			ret = parse_num("torch-threads", optarg, 1, 1, &v);
			if (ret == 0 && v > 1 << 20) {
				pr_err("--torch-threads: at most %d", 1 << 20);
				ret = -EINVAL;
			}
			if (ret == 0)
				o->q.lower.threads = (int)v;
			break;
		case O_FORMAT:
			if (!strcmp(optarg, "json"))
				o->json = 1;
			else if (!strcmp(optarg, "table"))
				o->json = 0;
			else {
				pr_err("--format: unknown format '%s' (table, json)", optarg);
				ret = -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (ret)
			return ret;
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (traces are given with --from-trace)", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* ---- output ------------------------------------------------------------- */

/* Six significant digits, without an exponent where that stays readable. */
static const char *num(char *buf, size_t len, double v)
{
	double a = fabs(v);

	if (v == 0) {
		snprintf(buf, len, "0");
	} else if (a >= 1e-3 && a < 1e15) {
		int decimals = 5 - (int)floor(log10(a));
		char *p;

		snprintf(buf, len, "%.*f", decimals > 0 ? decimals : 0, v);
		if (strchr(buf, '.')) {	/* drop trailing zeros */
			p = buf + strlen(buf) - 1;
			while (*p == '0')
				*p-- = 0;
			if (*p == '.')
				*p = 0;
		}
	} else {
		snprintf(buf, len, "%.5e", v);
	}
	return buf;
}

static const char *co2(char *buf, size_t len, double g)
{
	char n[48];

	if (fabs(g) >= 1e6)
		snprintf(buf, len, "%s t", num(n, sizeof(n), g / 1e6));
	else if (fabs(g) >= 1e3)
		snprintf(buf, len, "%s kg", num(n, sizeof(n), g / 1e3));
	else
		snprintf(buf, len, "%s g", num(n, sizeof(n), g));
	return buf;
}

static const char *ovh_name(enum opc_overhead_source s)
{
	switch (s) {
	case OPC_OVH_LOWERING: return "lowering";
	case OPC_OVH_FLOPS: return "lowering_flops";
	case OPC_OVH_MEASURED: return "measured";
	case OPC_OVH_TRACES: return "traces_estimated";
	case OPC_OVH_GIVEN: return "given";
	case OPC_OVH_NONE: break;
	}
	return "none";
}

static const char *ovh_desc(enum opc_overhead_source s)
{
	switch (s) {
	case OPC_OVH_LOWERING:
		return "derived from the lowering: coefficients applied to forward + backward, "
		       "over forward";
	case OPC_OVH_FLOPS:
		return "derived from the lowering's FLOPs (forward + backward over forward); "
		       "no coefficients to weigh them";
	case OPC_OVH_MEASURED:
		return "measured: training trace energy per sample over inference trace energy "
		       "per inference";
	case OPC_OVH_TRACES:
		return "from the traces, but their energy is ESTIMATED, not measured: training "
		       "trace energy per sample over inference trace energy per inference";
	case OPC_OVH_GIVEN: return "given (--overhead)";
	case OPC_OVH_NONE: break;
	}
	return "not known";
}

static const char *basis(const struct opc_prediction *r, char *buf, size_t len)
{
	if (r->have_infer_tr)
		snprintf(buf, len, "%s by %s in %s", r->infer_tr.measured ? "measured" :
			 "ESTIMATED (not measured)", r->infer_tr.source, r->infer_tr.path);
	else if (r->co.time)
		snprintf(buf, len, "ESTIMATE: busy time predicted by model %c of %s x %g W "
			 "(--power)",
			 r->co.model, r->co.path, r->req.power_w);
	else
		snprintf(buf, len, "predicted by model %c of %s, fitted to energy %s by %s",
			 r->co.model, r->co.path, r->co.energy_measured ? "measured" :
			 "ESTIMATED (not measured)", r->co.energy_source);
	return buf;
}

/* Text from the user's files and traces: valid UTF-8 (opc_json_string). */
static json_object *jstr(const char *s)
{
	return opc_json_string(s);
}

/* JSON has no inf nor NaN: null (opcount predict refuses such results). */
static json_object *jnum(double v)
{
	return opc_json_double(v);
}

/* one quantity: IT energy, with PUE, kWh, CO2eq */
static json_object *jq(const struct opc_prediction *r, double it_j)
{
	json_object *o = json_object_new_object();
	struct opc_quantity q;

	opc_predict_quantity(r, it_j, &q);
	json_object_object_add(o, "it_j", jnum(q.it_j));
	json_object_object_add(o, "j", jnum(q.j));
	json_object_object_add(o, "kwh", jnum(q.kwh));
	json_object_object_add(o, "co2eq_g", q.have_co2 ?
			       jnum(q.co2eq_g) : NULL);
	json_object_object_add(o, "co2eq_kg", q.have_co2 ?
			       jnum(q.co2eq_g / 1e3) : NULL);
	json_object_object_add(o, "co2eq_t", q.have_co2 ?
			       jnum(q.co2eq_g / 1e6) : NULL);
	return o;
}

static json_object *jwork(const struct opc_work *w)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "calls", json_object_new_uint64(w->calls));
	json_object_object_add(o, "flops", json_object_new_uint64(w->flops));
	json_object_object_add(o, "bytes", json_object_new_uint64(w->bytes));
	return o;
}

static json_object *jshape(int rank, const int64_t *d)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < rank; i++)
		json_object_array_add(a, json_object_new_int64(d[i]));
	return a;
}

/* A cross-attention's key/value source, as the file says it. */
static void arch_memory_json(json_object *x, const struct opc_arch_layer *ly)
{
	int64_t mem[2] = { ly->mem_seq, ly->mem_dim }, val[2] = { ly->mem_seq, ly->val_dim };

	json_object_object_add(x, "memory", jshape(2, mem));
	if (ly->val_sep)
		json_object_object_add(x, "value", jshape(2, val));
	json_object_object_add(x, "memory_grad", json_object_new_boolean(ly->mem_grad));
}

static json_object *jtrace(const struct opc_trace_energy *m, const char *count_name)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "path", jstr(m->path));
	json_object_object_add(t, "cmdline", jstr(m->cmdline));
	json_object_object_add(t, "host", jstr(m->host));
	json_object_object_add(t, "cpu", jstr(m->cpu));
	json_object_object_add(t, "energy_source", jstr(m->source));
	json_object_object_add(t, "energy_measured", json_object_new_boolean(m->measured));
	json_object_object_add(t, "complete", json_object_new_boolean(m->complete));
	json_object_object_add(t, "energy_j", jnum(m->energy_j));
	json_object_object_add(t, "duration_s", jnum(m->duration_s));
	json_object_object_add(t, "flops", json_object_new_uint64(m->flops));
	json_object_object_add(t, "calls", json_object_new_uint64(m->calls));
	json_object_object_add(t, count_name, jnum(m->samples));
	json_object_object_add(t, "energy_per_sample_j",
			       jnum(m->energy_j / m->samples));
	return t;
}

static json_object *jcarbon(const struct opc_prediction *r)
{
	json_object *c;

	if (!r->have_carbon)
		return NULL;
	c = json_object_new_object();
	json_object_object_add(c, "intensity_g_per_kwh", jnum(r->ci.g_per_kwh));
	json_object_object_add(c, "region", r->ci.region[0] ?
			       jstr(r->ci.region) : NULL);
	json_object_object_add(c, "label", r->ci.label[0] ?
			       jstr(r->ci.label) : NULL);
	json_object_object_add(c, "source", jstr(r->ci.source));
	json_object_object_add(c, "year", r->ci.year ? json_object_new_int(r->ci.year) : NULL);
	return c;
}

static json_object *jrange(const struct opc_prediction *r, const struct opc_steps_total *t,
			   int energy)
{
	json_object *o = energy ? jq(r, t->v) : json_object_new_object();

	if (!energy)
		json_object_object_add(o, "s", jnum(t->v));
	json_object_object_add(o, "low", energy ? jq(r, t->lo) : jnum(t->lo));
	json_object_object_add(o, "high", energy ? jq(r, t->hi) : jnum(t->hi));
	return o;
}

/* --from-trace TRACE --steps TOTAL */
static void steps_json(const struct opc_prediction *r, json_object *root)
{
	const struct opc_steps *s = &r->st;
	json_object *st = json_object_new_object(), *per = json_object_new_array();
	json_object *m = json_object_new_object(), *tr = json_object_new_object();

	json_object_object_add(m, "host", jstr(s->host));
	json_object_object_add(m, "cpu", jstr(s->cpu));
	json_object_object_add(root, "machine", m);
	json_object_object_add(tr, "path", jstr(r->req.from_trace));
	json_object_object_add(tr, "cmdline", jstr(s->cmdline));
	json_object_object_add(tr, "energy_source", jstr(s->source));
	json_object_object_add(tr, "energy_measured", json_object_new_boolean(s->measured));
	json_object_object_add(tr, "complete", json_object_new_boolean(s->complete));
	json_object_object_add(tr, "interval_s", jnum(s->interval_s));
	json_object_object_add(root, "training_trace", tr);
	json_object_object_add(root, "estimated", json_object_new_boolean(
		s->have_energy && !s->measured));
	json_object_object_add(st, "layer", jstr(s->layer));
	json_object_object_add(st, "seen", json_object_new_uint64(s->nseen));
	json_object_object_add(st, "skipped", json_object_new_uint64(s->skip));
	json_object_object_add(st, "used", json_object_new_uint64(s->n));
	json_object_object_add(st, "total", jnum(r->req.steps));
	json_object_object_add(st, "seen_s", jnum(s->seen_s));
	json_object_object_add(st, "seen_j", s->have_energy ? jnum(s->seen_j) : NULL);
	json_object_object_add(st, "mean_s", jnum(s->mean_s));
	json_object_object_add(st, "sd_s", jnum(s->sd_s));
	json_object_object_add(st, "min_s", jnum(s->min_s));
	json_object_object_add(st, "max_s", jnum(s->max_s));
	json_object_object_add(st, "mean_j", s->have_energy ? jnum(s->mean_j) : NULL);
	json_object_object_add(st, "sd_j", s->have_energy ? jnum(s->sd_j) : NULL);
	json_object_object_add(st, "min_j", s->have_energy ? jnum(s->min_j) : NULL);
	json_object_object_add(st, "max_j", s->have_energy ? jnum(s->max_j) : NULL);
	json_object_object_add(st, "t95", jnum(s->t95));
	for (size_t i = 0; i < s->nseen; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "s", jnum(s->time_s[i]));
		json_object_object_add(x, "j", s->have_energy ? jnum(s->energy_j[i]) : NULL);
		json_object_object_add(x, "skipped", json_object_new_boolean(i < s->skip));
		json_object_array_add(per, x);
	}
	json_object_object_add(st, "per_step", per);
	json_object_object_add(root, "steps", st);
	json_object_object_add(root, "run_time", jrange(r, &r->steps_s, 0));
	json_object_object_add(root, "run_energy", s->have_energy ?
			       jrange(r, &r->steps_j, 1) : NULL);
}

/* ---- per-value uncertainty (opc_uncertainty) ------------------------------ */

static const char unc_definition[] =
	"range = value x (1 - e) .. value x (1 + e) (low at least 0), e = the median (0.5 "
	"quantile) of the absolute relative errors of this model's held-out predictions "
	"(opcount fit --group arch): for a layer, over the runs with the layer's type (its "
	"share of their busy time); for a total, over the architectures, each left out of the "
	"fit. About half of held-out predictions erred by less; it is not a confidence interval";

/* {"value": v, "low": .., "high": ..} in joules, or with e unknown the value alone */
static json_object *junc_range(double v, double e)
{
	json_object *o = json_object_new_object();
	double lo, hi;

	json_object_object_add(o, "value", jnum(v));
	if (e >= 0) {
		opc_unc_range(v, e, &lo, &hi);
		json_object_object_add(o, "low", jnum(lo));
		json_object_object_add(o, "high", jnum(hi));
	} else {
		json_object_object_add(o, "low", NULL);
		json_object_object_add(o, "high", NULL);
	}
	return o;
}

/* {"low": QUANTITY, "high": QUANTITY} of an IT energy under the totals' error */
static json_object *jqrange(const struct opc_prediction *r, double it_j)
{
	json_object *o = json_object_new_object();
	double lo, hi;

	opc_unc_range(it_j, r->unc.total_pct, &lo, &hi);
	json_object_object_add(o, "low", jq(r, lo));
	json_object_object_add(o, "high", jq(r, hi));
	return o;
}

static json_object *juncertainty(const struct opc_prediction *r)
{
	const struct opc_uncertainty *u = &r->unc;
	json_object *o = json_object_new_object(), *layers = json_object_new_array();
	int lc = u->lifecycle && u->total_pct >= 0;

	json_object_object_add(o, "quantile", jnum(OPC_UNC_QUANTILE));
	json_object_object_add(o, "definition", jstr(unc_definition));
	json_object_object_add(o, "total_err_pct", u->total_pct >= 0 ? jnum(u->total_pct) : NULL);
	json_object_object_add(o, "architectures", json_object_new_uint64(u->narch));
	for (size_t i = 0; i < u->nlayers; i++) {
		const struct opc_layer_unc *l = &u->layers[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "layer", jstr(l->name));
		json_object_object_add(x, "type", jstr(l->type));
		json_object_object_add(x, "validated", json_object_new_boolean(l->err_pct >= 0));
		json_object_object_add(x, "heldout_type", l->err_type ? jstr(l->err_type) : NULL);
		json_object_object_add(x, "err_pct", l->err_pct >= 0 ? jnum(l->err_pct) : NULL);
		json_object_object_add(x, "inference_batch_j", junc_range(l->infer_j, l->err_pct));
		json_object_object_add(x, "training_step_j", junc_range(l->train_j, l->err_pct));
		json_object_array_add(layers, x);
	}
	json_object_object_add(o, "layers", layers);
	json_object_object_add(o, "inference_batch_j",
			       junc_range(r->pred_infer_batch_j, u->total_pct));
	json_object_object_add(o, "training_step_j",
			       junc_range(r->pred_train_batch_j, u->total_pct));
	json_object_object_add(o, "applies_to_lifecycle", json_object_new_boolean(lc));
	json_object_object_add(o, "inference", lc ? jqrange(r, r->lc.infer_j) : NULL);
	json_object_object_add(o, "training_per_sample", lc && r->ovh != OPC_OVH_NONE ?
			       jqrange(r, r->lc.train_sample_j) : NULL);
	json_object_object_add(o, "lifecycle_total", lc && r->have_lifecycle ?
			       jqrange(r, r->lc.total_j) : NULL);
	return o;
}

/*
 * The memory traffic of the layers without GEMMs (arch.c, lower_traffic):
 * a model, not validated, not priced.
 */
static void traffic_json(json_object *l, const struct opc_prediction *r)
{
	json_object *t = json_object_new_object(), *a = json_object_new_array();

	for (size_t i = 0; i < r->lw.ntraffic; i++) {
		const struct opc_traffic *x = &r->lw.traffic[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "layer", jstr(r->arch.layers[x->layer].name));
		json_object_object_add(o, "type", jstr(r->arch.layers[x->layer].type));
		json_object_object_add(o, "phase", jstr(opc_phase_name(x->phase)));
		json_object_object_add(o, "bytes", json_object_new_uint64(x->bytes));
		json_object_array_add(a, o);
	}
	json_object_object_add(t, "model", jstr("bytes the loops of the layers without GEMMs "
						"move (docs/arch.md, Non-GEMM layers): not "
						"validated, not priced"));
	json_object_object_add(t, "layers", a);
	json_object_object_add(t, "inference_batch_bytes",
			       json_object_new_uint64(r->lw.traffic_infer));
	json_object_object_add(t, "training_step_bytes",
			       json_object_new_uint64(r->lw.traffic_train));
	json_object_object_add(l, "traffic", t);
}
static void print_json(const struct opc_prediction *r)
{
	const struct opc_predict_req *o = &r->req;
	json_object *root = json_object_new_object(), *notes = json_object_new_array();
	char buf[512];

	json_object_object_add(root, "opcount_predict", json_object_new_int(1));
	json_object_object_add(root, "pue", jnum(o->pue));
	json_object_object_add(root, "carbon", jcarbon(r));
	if (OPC_GIVEN(o->energy_j)) {
		json_object_object_add(root, "mode", jstr("energy"));
		json_object_object_add(root, "energy", jq(r, o->energy_j));
		goto out;
	}
	if (r->have_steps) {
		json_object_object_add(root, "mode", jstr("steps"));
		steps_json(r, root);
		goto out;
	}
	json_object_object_add(root, "mode", jstr(r->have_infer_tr ? "trace" :
								     "coeffs"));
	json_object_object_add(root, "energy_basis", jstr(basis(r, buf,
								sizeof(buf))));
	json_object_object_add(root, "lower_bound", json_object_new_boolean(
		!r->have_infer_tr && r->lower_bound));
	json_object_object_add(root, "estimated", json_object_new_boolean(
		r->have_infer_tr ? !r->infer_tr.measured : 1));
	if (r->have_arch) {
		json_object *a = json_object_new_object(), *layers = json_object_new_array();
		json_object *l = json_object_new_object(), *ops = json_object_new_array();
		char key[256];

		json_object_object_add(a, "path", jstr(r->arch.path));
		json_object_object_add(a, "opcount_arch", json_object_new_int(r->arch.version));
		json_object_object_add(a, "name", r->arch.name[0] ?
				       jstr(r->arch.name) : NULL);
		json_object_object_add(a, "input", jshape(r->arch.input_rank, r->arch.input));
		json_object_object_add(a, "batch", json_object_new_int64(r->arch.batch));
		json_object_object_add(a, "dtype", jstr(
			r->arch.prec == 'd' ? "float64" : "float32"));
		json_object_object_add(a, "params", json_object_new_uint64(r->arch.params));
		for (size_t i = 0; i < r->arch.nlayers; i++) {
			const struct opc_arch_layer *ly = &r->arch.layers[i];
			json_object *x = json_object_new_object();

			json_object_object_add(x, "name", jstr(ly->name));
			json_object_object_add(x, "kind", jstr(
				opc_layer_kind_name(ly->kind)));
			json_object_object_add(x, "type", jstr(ly->type));
			json_object_object_add(x, "input", jshape(ly->in_rank, ly->in));
			json_object_object_add(x, "output", jshape(ly->out_rank, ly->out));
			json_object_object_add(x, "params", json_object_new_uint64(ly->params));
			if (ly->mem_seq)
				arch_memory_json(x, ly);
			json_object_array_add(layers, x);
		}
		json_object_object_add(a, "layers", layers);
		json_object_object_add(root, "arch", a);

		json_object_object_add(l, "batch", json_object_new_int64(r->lw.batch));
		json_object_object_add(l, "conv", jstr(opc_conv_path_name(r->req.lower.conv)));
		json_object_object_add(l, "torch_threads", r->req.lower.threads ?
				       json_object_new_int(r->req.lower.threads) : NULL);
		for (size_t i = 0; i < r->lw.nops; i++) {
			const struct opc_lop *op = &r->lw.ops[i];
			json_object *x = json_object_new_object();

			json_object_object_add(x, "layer", jstr(
				r->arch.layers[op->layer].name));
			json_object_object_add(x, "type", jstr(
				r->arch.layers[op->layer].type));
			json_object_object_add(x, "phase", jstr(
				opc_phase_name(op->phase)));
			json_object_object_add(x, "routine", jstr(op->routine));
			json_object_object_add(x, "m", json_object_new_int64(op->m));
			json_object_object_add(x, "n", json_object_new_int64(op->n));
			json_object_object_add(x, "k", json_object_new_int64(op->k));
			json_object_object_add(x, "calls", json_object_new_uint64(op->calls));
			json_object_object_add(x, "c_read_calls",
					       json_object_new_uint64(op->c_read_calls));
			json_object_object_add(x, "flops", json_object_new_uint64(op->flops));
			json_object_object_add(x, "bytes", json_object_new_uint64(op->bytes));
			/* a oneDNN row: its key as `opcount report` shows it */
			opc_lop_key(op, key, sizeof(key));
			json_object_object_add(x, "key", key[0] ? jstr(key) : NULL);
			json_object_object_add(x, "layout_dependent",
					       json_object_new_boolean(op->layout));
			if (r->have_pred) {
				json_object_object_add(x, "coeff_type", r->cost[i].coeff_type ?
					jstr(r->cost[i].coeff_type) : NULL);
				json_object_object_add(x, "fallback",
					json_object_new_boolean(r->cost[i].fallback));
				json_object_object_add(x, "energy_j", jnum(r->op_j[i]));
				json_object_object_add(x, "static_j",
					jnum(r->op_static_j[i]));
			}
			json_object_array_add(ops, x);
		}
		json_object_object_add(l, "ops", ops);
		json_object_object_add(l, "inference_batch", jwork(&r->lw.infer));
		json_object_object_add(l, "training_step", jwork(&r->lw.train));
		traffic_json(l, r);
		json_object_object_add(l, "inference_flops_per_sample", jnum(
			(double)r->lw.infer.flops / r->lw.batch));
		json_object_object_add(l, "training_flops_per_sample", jnum(
			(double)r->lw.train.flops / r->lw.batch));
		json_object_object_add(root, "lowering", l);
	} else {
		json_object_object_add(root, "arch", NULL);
		json_object_object_add(root, "lowering", NULL);
	}
	if (r->have_coeffs) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "path", jstr(r->co.path));
		json_object_object_add(c, "target", jstr(r->co.time ? "time" :
									     "energy"));
		json_object_object_add(c, "model", jstr((char[]){ r->co.model, 0 }));
		json_object_object_add(c, "model_description", jstr(
			opc_coeffs_model_desc(r->co.model)));
		json_object_object_add(c, "energy_source", jstr(r->co.energy_source));
		json_object_object_add(c, "energy_measured",
				       json_object_new_boolean(r->co.energy_measured));
		json_object_object_add(c, "machine", jstr(r->co.machine));
		json_object_object_add(c, "cv_mape", r->co.cv_mape >= 0 ?
				       jnum(r->co.cv_mape) : NULL);
		json_object_object_add(c, "uncertainty_pct", r->unc.total_pct >= 0 ?
				       jnum(r->unc.total_pct) : NULL);
		json_object_object_add(c, "uncertainty_worst_pct", r->co.ho_max >= 0 ?
				       jnum(r->co.ho_max) : NULL);
		json_object_object_add(c, "static_applied",
				       json_object_new_boolean(r->static_applied));
		json_object_object_add(c, "power_w", r->co.time ?
				       jnum(o->power_w) : NULL);
		json_object_object_add(c, "inference_batch_j",
				       jnum(r->pred_infer_batch_j));
		json_object_object_add(c, "training_step_j",
				       jnum(r->pred_train_batch_j));
		json_object_object_add(c, "inference_j", jnum(
			r->pred_infer_batch_j / r->lw.batch));
		json_object_object_add(root, "coeffs", c);
		json_object_object_add(root, "uncertainty", juncertainty(r));
	} else {
		json_object_object_add(root, "coeffs", NULL);
		json_object_object_add(root, "uncertainty", NULL);
	}
	json_object_object_add(root, "inference_trace", r->have_infer_tr ?
			       jtrace(&r->infer_tr, "inferences") : NULL);
	json_object_object_add(root, "training_trace", r->have_train_tr ?
			       jtrace(&r->train_tr, "samples") : NULL);
	json_object_object_add(root, "inference", jq(r, r->lc.infer_j));
	json_object_object_add(root, "training_per_sample", r->ovh != OPC_OVH_NONE ?
			       jq(r, r->lc.train_sample_j) : NULL);
	json_object_object_add(root, "training_step", r->ovh != OPC_OVH_NONE && r->have_arch ?
			       jq(r, r->lc.train_sample_j * r->lw.batch) : NULL);
	{
		json_object *ov = json_object_new_object();

		json_object_object_add(ov, "value", r->ovh != OPC_OVH_NONE ?
				       jnum(r->lc.overhead) : NULL);
		json_object_object_add(ov, "source", jstr(ovh_name(r->ovh)));
		json_object_object_add(ov, "description", jstr(ovh_desc(r->ovh)));
		json_object_object_add(ov, "lowering_flops_ratio", r->have_arch ?
				       jnum((double)r->lw.train.flops /
							      r->lw.infer.flops) : NULL);
		json_object_object_add(ov, "lowering_energy_ratio", r->have_pred &&
				       r->pred_infer_batch_j > 0 ? jnum(
					       r->pred_train_batch_j / r->pred_infer_batch_j) : NULL);
		json_object_object_add(ov, "training_share", r->ovh != OPC_OVH_NONE &&
				       r->lc.overhead > 0 ? jnum(
					       1 - 1 / r->lc.overhead) : NULL);
		json_object_object_add(root, "overhead", ov);
	}
	if (r->have_lifecycle) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "samples", jnum(r->lc.samples));
		json_object_object_add(l, "epochs", jnum(r->lc.epochs));
		json_object_object_add(l, "tuning_runs", jnum(r->lc.tuning_runs));
		json_object_object_add(l, "inferences", jnum(r->lc.inferences));
		json_object_object_add(l, "training", jq(r, r->lc.training_j));
		json_object_object_add(l, "tuning", jq(r, r->lc.tuning_j));
		json_object_object_add(l, "serving", jq(r, r->lc.inference_j));
		json_object_object_add(l, "total", jq(r, r->lc.total_j));
		json_object_object_add(root, "lifecycle", l);
	} else {
		json_object_object_add(root, "lifecycle", NULL);
	}
out:
	for (size_t i = 0; i < r->nnotes; i++)
		json_object_array_add(notes, jstr(r->notes[i]));
	json_object_object_add(root, "notes", notes);
	/* 15 digits: 552.123 prints as such, not 552.12300000000005 */
	json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_THREAD);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void print_carbon_line(const struct opc_prediction *r)
{
	char n[48];

	if (!r->have_carbon) {
		printf("# CO2eq: give --region R or --intensity G (gCO2eq/kWh)\n");
		return;
	}
	printf("# carbon intensity %s gCO2eq/kWh", num(n, sizeof(n), r->ci.g_per_kwh));
	if (r->ci.label[0] && strncmp(r->ci.source, "--intensity", 11))
		printf(": %s, %s, %s", opc_tty(r->ci.region), opc_tty(r->ci.label),
		       opc_tty(r->ci.source));
	else
		printf(": %s", opc_tty(r->ci.source));
	putchar('\n');
}

/* "  label  IT J  with PUE J  kWh  CO2eq" */
static void qrow(const struct opc_prediction *r, const char *label, double it_j)
{
	char a[48], b[48], c[48], d[48];
	struct opc_quantity q;

	opc_predict_quantity(r, it_j, &q);
	printf("  %-34s %14s %14s %14s %14s\n", label, num(a, sizeof(a), q.it_j),
	       num(b, sizeof(b), q.j), num(c, sizeof(c), q.kwh),
	       q.have_co2 ? co2(d, sizeof(d), q.co2eq_g) : "-");
}

static void qhead(const struct opc_prediction *r)
{
	char p[48], h[64];

	snprintf(h, sizeof(h), "x PUE %s (J)", num(p, sizeof(p), r->req.pue));
	printf("  %-34s %14s %14s %14s %14s\n", "", "IT energy (J)", h, "kWh", "CO2eq");
}

/* --from-trace TRACE --steps TOTAL */
static void steps_table(const struct opc_prediction *r)
{
	const struct opc_steps *s = &r->st;
	char a[48], b[48], c[48], d[48];

	printf("# opcount predict: a training run of %s steps from its first %zu (%s)\n",
	       num(a, sizeof(a), r->req.steps), s->nseen, opc_tty(r->req.from_trace));
	printf("# machine: %s, %s\n", opc_tty(s->host), opc_tty(s->cpu));
	printf("# energy: %s\n", !s->have_energy ? "none in the trace: time only" :
	       s->measured ? "MEASURED" : "ESTIMATED (not measured)");
	if (s->have_energy)
		printf("#   by %s\n", opc_tty(s->source));
	printf("# steps: layer region '%s', %zu seen, first %zu skipped, %zu in the "
	       "statistics\n\n", opc_tty(s->layer), s->nseen, s->skip, s->n);
	printf("  %-22s %12s %12s %12s %12s\n", "per step", "mean", "sd", "min", "max");
	printf("  %-22s %12s %12s %12s %12s\n", "time (s)", num(a, sizeof(a), s->mean_s),
	       num(b, sizeof(b), s->sd_s), num(c, sizeof(c), s->min_s),
	       num(d, sizeof(d), s->max_s));
	if (s->have_energy)
		printf("  %-22s %12s %12s %12s %12s\n", "IT energy (J)",
		       num(a, sizeof(a), s->mean_j), num(b, sizeof(b), s->sd_j),
		       num(c, sizeof(c), s->min_j), num(d, sizeof(d), s->max_j));
	printf("\nwhole run: the %zu steps seen (%s s", s->nseen, num(a, sizeof(a), s->seen_s));
	if (s->have_energy)
		printf(", %s J", num(b, sizeof(b), s->seen_j));
	printf(") + %s x the mean step\n", num(c, sizeof(c), r->req.steps - (double)s->nseen));
	printf("  %-34s %14s %14s %14s\n", "time (s)", "estimate", "95% low", "95% high");
	printf("  %-34s %14s %14s %14s\n", "", num(a, sizeof(a), r->steps_s.v),
	       num(b, sizeof(b), r->steps_s.lo), num(c, sizeof(c), r->steps_s.hi));
	if (s->have_energy) {
		putchar('\n');
		qhead(r);
		qrow(r, "training run", r->steps_j.v);
		qrow(r, "  95% low", r->steps_j.lo);
		qrow(r, "  95% high", r->steps_j.hi);
	}
	putchar('\n');
	print_carbon_line(r);
}

/* The ranges of the predicted energies: per layer, then the two totals. */
static void unc_table(const struct opc_prediction *r)
{
	const struct opc_uncertainty *u = &r->unc;
	char a[48], b[48], c[48], e[32];
	int wl = 16;

	for (size_t i = 0; i < u->nlayers; i++) {
		int n = (int)strlen(u->layers[i].name);

		wl = n > wl ? (n < 48 ? n : 48) : wl;
	}
	printf("\nuncertainty of the predicted energies (J per batch of %lld): range = value "
	       "x (1 +/- e),\ne = median absolute held-out error of model %c: of the layer's "
	       "type for a layer, of the architectures for a total\n", (long long)r->lw.batch,
	       r->co.model);
	printf("%-*s %-12s %7s %12s %12s %12s %14s %12s %12s\n", wl, "layer", "type", "e",
	       "inference", "low", "high", "training step", "low", "high");
	for (size_t i = 0; i < u->nlayers; i++) {
		const struct opc_layer_unc *l = &u->layers[i];
		double lo, hi;

		printf("%-*.*s %-12.12s", wl, wl, opc_tty(l->name), opc_tty(l->type));
		if (l->err_pct < 0) {
			printf(" %7s %12s  not validated: no held-out error for this type\n", "-",
			       num(a, sizeof(a), l->infer_j));
			continue;
		}
		snprintf(e, sizeof(e), "%.1f%%", l->err_pct);
		opc_unc_range(l->infer_j, l->err_pct, &lo, &hi);
		printf(" %7s %12s %12s %12s", e, num(a, sizeof(a), l->infer_j),
		       num(b, sizeof(b), lo), num(c, sizeof(c), hi));
		opc_unc_range(l->train_j, l->err_pct, &lo, &hi);
		printf(" %14s %12s %12s\n", num(a, sizeof(a), l->train_j), num(b, sizeof(b), lo),
		       num(c, sizeof(c), hi));
	}
	printf("%-*s %-12s", wl, "total", "");
	if (u->total_pct < 0) {
		printf(" %7s %12s  unknown: no held-out error per architecture\n", "-",
		       num(a, sizeof(a), r->pred_infer_batch_j));
	} else {
		double lo, hi;

		snprintf(e, sizeof(e), "%.1f%%", u->total_pct);
		opc_unc_range(r->pred_infer_batch_j, u->total_pct, &lo, &hi);
		printf(" %7s %12s %12s %12s", e, num(a, sizeof(a), r->pred_infer_batch_j),
		       num(b, sizeof(b), lo), num(c, sizeof(c), hi));
		opc_unc_range(r->pred_train_batch_j, u->total_pct, &lo, &hi);
		printf(" %14s %12s %12s\n", num(a, sizeof(a), r->pred_train_batch_j),
		       num(b, sizeof(b), lo), num(c, sizeof(c), hi));
	}
}

/* The low and high rows of a life-cycle quantity, when the totals' range applies. */
static void qrange(const struct opc_prediction *r, double it_j)
{
	char l[64];
	double lo, hi;

	if (!r->unc.lifecycle || r->unc.total_pct < 0)
		return;
	opc_unc_range(it_j, r->unc.total_pct, &lo, &hi);
	snprintf(l, sizeof(l), "  low (-%.1f%%)", r->unc.total_pct);
	qrow(r, l, lo);
	snprintf(l, sizeof(l), "  high (+%.1f%%)", r->unc.total_pct);
	qrow(r, l, hi);
}

static void print_table(const struct opc_prediction *r)
{
	const struct opc_predict_req *o = &r->req;
	char a[48], b[48], c[48], buf[512];

	if (OPC_GIVEN(o->energy_j)) {
		printf("# opcount predict: carbon of a given energy\n");
		print_carbon_line(r);
		putchar('\n');
		qhead(r);
		qrow(r, "energy", o->energy_j);
		goto notes;
	}
	if (r->have_steps) {
		steps_table(r);
		goto notes;
	}
	if (r->have_arch) {
		printf("# opcount predict: %s (%s), input %s, batch %lld, %s, %s parameters\n",
		       r->arch.name[0] ? opc_tty(r->arch.name) : "model", opc_tty(r->arch.path),
		       (opc_arch_shape_str(r->arch.input_rank, r->arch.input, a, sizeof(a)), a),
		       (long long)r->arch.batch, r->arch.prec == 'd' ? "float64" : "float32",
		       num(b, sizeof(b), (double)r->arch.params));
	} else {
		printf("# opcount predict\n");
	}
	if (r->have_coeffs) {
		if (r->co.time)
			printf("# coefficients: %s, model %c (%s), fitted to time\n", opc_tty(r->co.path),
			       r->co.model, opc_coeffs_model_desc(r->co.model));
		else
			printf("# coefficients: %s, model %c (%s), fitted to energy %s by %s\n",
			       opc_tty(r->co.path), r->co.model, opc_coeffs_model_desc(r->co.model),
			       r->co.energy_measured ? "measured" : "ESTIMATED (not measured)",
			       opc_tty(r->co.energy_source));
		if (r->co.cv_mape >= 0)
			printf("#   model %c predicted the runs it was not fitted on with a mean "
			       "absolute error of %.1f%% (leave-one-out)\n", r->co.model,
			       r->co.cv_mape);
		if (r->unc.total_pct >= 0)
			printf("#   uncertainty: +/-%.1f%% on the totals computed from these coefficients "
			       "(median held-out error of model %c over %zu architectures, each left "
			       "out of the fit; worst %.1f%%); a layer's is its type's (ranges below)\n",
			       r->unc.total_pct, r->co.model, r->unc.narch, r->co.ho_max);
		else
			printf("#   uncertainty: unknown (fit with --group arch to measure it on "
			       "architectures left out)\n");
		if (r->co.machine[0])
			printf("#   fitted on %s; coefficients do not transfer to other machines\n",
			       opc_tty(r->co.machine));
	}
	if (r->have_infer_tr)
		printf("# inference trace: %s (%s) on %s, %s: %s J %s by %s over %s inferences\n",
		       opc_tty(r->infer_tr.path), opc_tty(r->infer_tr.cmdline),
		       opc_tty(r->infer_tr.host), opc_tty(r->infer_tr.cpu),
		       num(a, sizeof(a), r->infer_tr.energy_j),
		       r->infer_tr.measured ? "measured" : "ESTIMATED", opc_tty(r->infer_tr.source),
		       num(b, sizeof(b), r->infer_tr.samples));
	if (r->have_train_tr)
		printf("# training trace: %s (%s) on %s, %s: %s J %s by %s over %s samples\n",
		       opc_tty(r->train_tr.path), opc_tty(r->train_tr.cmdline),
		       opc_tty(r->train_tr.host), opc_tty(r->train_tr.cpu),
		       num(a, sizeof(a), r->train_tr.energy_j),
		       r->train_tr.measured ? "measured" : "ESTIMATED", opc_tty(r->train_tr.source),
		       num(b, sizeof(b), r->train_tr.samples));

	if (r->have_arch) {
		printf("\nlowering, per batch of %lld (calls, FLOPs and bytes as opcount counts them)\n",
		       (long long)r->lw.batch);
		/* columns as wide as the longest name and type (version 2 names
		 * are qualified: encoder.layers.0.self_attn), up to 48 */
		int wl = 16, wt = 9;

		for (size_t i = 0; i < r->lw.nops; i++) {
			const struct opc_arch_layer *ly = &r->arch.layers[r->lw.ops[i].layer];
			int nl = (int)strlen(ly->name), nt = (int)strlen(ly->type);

			wl = nl > wl ? (nl < 48 ? nl : 48) : wl;
			wt = nt > wt ? nt : wt;
		}
		printf("%-*s %-*s %-8s %-6s %8s %8s %8s %7s %14s %14s", wl, "layer", wt, "type", "phase",
		       "op", "m", "n", "k", "calls", "FLOPs", "bytes");
		if (r->have_pred)
			printf(" %-10s %12s", "coeffs", "energy_J");
		putchar('\n');
		for (size_t i = 0; i < r->lw.nops; i++) {
			const struct opc_lop *op = &r->lw.ops[i];
			const struct opc_arch_layer *ly = &r->arch.layers[op->layer];

			char key[256];

			/* a oneDNN row: "dnnl" in the op column, its key (routine
			 * and shape, as `opcount report` shows it) at the end */
			opc_lop_key(op, key, sizeof(key));
			printf("%-*.*s %-*s %-8s %-6s ", wl, wl, opc_tty(ly->name), wt, ly->type,
			       opc_phase_name(op->phase), key[0] ? "dnnl" : op->routine);
			if (key[0])
				printf("%8s %8s %8s", "-", "-", "-");
			else
				printf("%8lld %8lld %8lld", (long long)op->m, (long long)op->n,
				       (long long)op->k);
			printf(" %7llu %14llu %14llu", (unsigned long long)op->calls,
			       (unsigned long long)op->flops, (unsigned long long)op->bytes);
			if (r->have_pred)
				printf(" %-10s %12s", r->cost[i].coeff_type ?
				       opc_tty(r->cost[i].coeff_type) : "(all)",
				       num(a, sizeof(a), r->op_j[i]));
			if (key[0])
				printf("  %s%s", key, op->layout ? " (layout)" : "");
			putchar('\n');
		}
		printf("%-*s %-*s %-8s %-6s %8s %8s %8s %7llu %14llu %14llu", wl, "inference", wt, "", "",
		       "", "", "", "", (unsigned long long)r->lw.infer.calls,
		       (unsigned long long)r->lw.infer.flops, (unsigned long long)r->lw.infer.bytes);
		if (r->have_pred)
			printf(" %-10s %12s", "", num(a, sizeof(a), r->pred_infer_batch_j));
		putchar('\n');
		printf("%-*s %-*s %-8s %-6s %8s %8s %8s %7llu %14llu %14llu", wl, "training step", wt, "",
		       "", "", "", "", "", (unsigned long long)r->lw.train.calls,
		       (unsigned long long)r->lw.train.flops, (unsigned long long)r->lw.train.bytes);
		if (r->have_pred)
			printf(" %-10s %12s", "", num(a, sizeof(a), r->pred_train_batch_j));
		putchar('\n');
		if (r->lw.ntraffic)
			printf("memory traffic of the layers without GEMMs (a model, not validated, "
			       "not priced): inference %llu bytes, training step %llu bytes\n",
			       (unsigned long long)r->lw.traffic_infer,
			       (unsigned long long)r->lw.traffic_train);
	}

	if (r->have_pred)
		unc_table(r);

	printf("\nper sample (energy %s%s)\n", opc_tty(basis(r, buf, sizeof(buf))),
	       !r->have_infer_tr && r->lower_bound ? "; a LOWER BOUND, see the notes" : "");
	qhead(r);
	qrow(r, "inference I", r->lc.infer_j);
	qrange(r, r->lc.infer_j);
	if (r->ovh != OPC_OVH_NONE) {
		qrow(r, "training (forward + backward)", r->lc.train_sample_j);
		qrange(r, r->lc.train_sample_j);
		printf("  training overhead %sx (%s): %s%% of a training sample's energy goes "
		       "beyond inference\n", num(a, sizeof(a), r->lc.overhead), ovh_desc(r->ovh),
		       num(b, sizeof(b), r->lc.overhead > 0 ? 100 * (1 - 1 / r->lc.overhead) : 0));
	}
	if (r->have_pred && r->have_infer_tr)
		printf("  the coefficients predict I = %s J per inference\n",
		       num(a, sizeof(a), r->pred_infer_batch_j / r->lw.batch));
	if (r->have_arch && r->ovh != OPC_OVH_FLOPS)
		printf("  the lowering's FLOPs give an overhead of %sx%s%s%s\n",
		       num(a, sizeof(a), (double)r->lw.train.flops / r->lw.infer.flops),
		       r->have_pred && r->ovh != OPC_OVH_LOWERING ? ", the coefficients " : "",
		       r->have_pred && r->ovh != OPC_OVH_LOWERING ?
		       num(b, sizeof(b), r->pred_train_batch_j / r->pred_infer_batch_j) : "",
		       r->have_pred && r->ovh != OPC_OVH_LOWERING ? "x" : "");

	if (r->have_lifecycle) {
		printf("\nlife cycle: D = %s samples, E = %s epochs, H = %s tuning runs, "
		       "N = %s inferences\n", num(a, sizeof(a), r->lc.samples),
		       num(b, sizeof(b), r->lc.epochs), num(c, sizeof(c), r->lc.tuning_runs),
		       num(buf, sizeof(buf), r->lc.inferences));
		qhead(r);
		qrow(r, "T   training = I*D*E*overhead", r->lc.training_j);
		qrow(r, "CT  tuning = H*T", r->lc.tuning_j);
		qrow(r, "N*I serving", r->lc.inference_j);
		qrow(r, "LC  life cycle = CT + T + N*I", r->lc.total_j);
		qrange(r, r->lc.total_j);
	}
	putchar('\n');
	print_carbon_line(r);
notes:
	for (size_t i = 0; i < r->nnotes; i++)
		printf("# note: %s\n", opc_tty(r->notes[i]));
}
int cmd_predict(int argc, char **argv)
{
	struct popts o = { .json = 0 };
	struct opc_prediction r;
	char err[4096];
	int ret;

	opc_predict_req_init(&o.q);
	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (opc_predict_check(&o.q, err, sizeof(err)) < 0) {
		pr_err("%s", opc_tty(err));
		return 2;
	}
	if (opc_predict(&o.q, &r, err, sizeof(err)) < 0) {
		if (err[0])	/* else the trace reader said what is wrong */
			pr_err("%s", opc_tty(err));
		return 1;
	}
	if (o.json)
		print_json(&r);
	else
		print_table(&r);
	opc_prediction_free(&r);
	return 0;
}

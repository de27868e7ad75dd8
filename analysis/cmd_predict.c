/*
 * cmd_predict.c - `opcount predict`: the energy and carbon of a model's
 * life cycle, from fitted coefficients or from measured traces.
 *
 *   opcount predict --coeffs COEFFS.json --arch MODEL.json [options]
 *   opcount predict --from-trace INFER.opc --trace-inferences N [options]
 *   opcount predict --energy-kwh X (--region R | --intensity G) [--pue P]
 *
 * The model is DESIGN.md's ("The model it makes executable"), with I the
 * energy of one inference: the forward pass of one batch divided by the
 * batch size (docs/arch.md, "What is predicted").
 */
#define PR_FMT "predict"
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "carbon.h"
#include "datadir.h"
#include "log.h"
#include "opcount_cli.h"
#include "predict.h"
#include "profile.h"

enum ovh_source { OVH_NONE, OVH_LOWERING, OVH_FLOPS, OVH_MEASURED, OVH_TRACES, OVH_GIVEN };

struct popts {
	const char *coeffs, *time_coeffs, *arch, *from_trace, *train_trace, *region;
	char model;
	int64_t batch;
	double power_w, trace_inferences, train_samples, overhead;
	double samples, epochs, tuning_runs, inferences;
	double intensity, pue, energy_j;
	int json;
};

/* A measured run: the energy and work of a trace, per sample. */
struct measured {
	const char *path;
	char source[32], cmdline[256];
	int measured, complete;
	double energy_j, duration_s, samples;
	uint64_t flops, calls;
};

struct result {
	struct popts *o;
	struct opc_arch arch;
	struct opc_lowering lw;
	struct opc_coeffs co, tco;
	struct opc_op_cost *cost;	/* per op, in the coefficients' unit */
	double *op_j;			/* per op: energy of its calls in one batch */
	double *op_static_j;		/* per op: static power x predicted time */
	int have_arch, have_coeffs, have_tco, have_pred, static_applied;
	int lower_bound;		/* static power not (fully) applied */
	double pred_infer_batch_j, pred_train_batch_j;	/* from the coefficients */
	struct measured infer_tr, train_tr;
	int have_infer_tr, have_train_tr;
	struct opc_lifecycle lc;
	int have_lifecycle;
	enum ovh_source ovh;
	struct opc_intensity ci;
	int have_carbon;
	char **notes;
	size_t nnotes;
};

__attribute__((format(printf, 2, 3)))
static void note(struct result *r, const char *fmt, ...)
{
	char buf[1024], **n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = realloc(r->notes, (r->nnotes + 1) * sizeof(*n));
	if (n == NULL)
		return;
	r->notes = n;
	r->notes[r->nnotes] = strdup(buf);
	if (r->notes[r->nnotes])
		r->nnotes++;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: opcount predict --coeffs COEFFS.json --arch MODEL.json [options]\n"
"       opcount predict --from-trace INFER.opc --trace-inferences N [options]\n"
"       opcount predict --energy-kwh X (--region R | --intensity G) [--pue P]\n"
"\n"
"Energy of one inference I (the forward pass of one batch / batch size):\n"
"  --arch MODEL.json        architecture (docs/arch.md), lowered to its BLAS calls\n"
"  --batch B                batch size (default: the file's \"batch\", else 1)\n"
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
"Life cycle (DESIGN.md: T = I*D*E*overhead, CT = H*T, LC = CT + T + N*I):\n"
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
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < min ||
	    (integer && v != floor(v))) {
		pr_err("--%s: expected %s >= %g, got '%s'", opt,
		       integer ? "a whole number" : "a number", min, arg);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_COEFFS: o->coeffs = optarg; break;
		case O_TIME_COEFFS: o->time_coeffs = optarg; break;
		case O_ARCH: o->arch = optarg; break;
		case O_BATCH:
			ret = parse_num("batch", optarg, 1, 1, &v);
			if (ret == 0 && v > 2147483647.0) {
				pr_err("--batch: at most 2147483647");
				ret = -EINVAL;
			}
			o->batch = (int64_t)v;
			break;
		case O_MODEL:
			if (strlen(optarg) != 1 || optarg[0] < 'a' || optarg[0] > 'c') {
				pr_err("--model: expected a, b or c, got '%s'", optarg);
				ret = -EINVAL;
			}
			o->model = optarg[0];
			break;
		case O_POWER: ret = parse_num("power", optarg, 1e-300, 0, &o->power_w); break;
		case O_FROM_TRACE: o->from_trace = optarg; break;
		case O_TRACE_INF:
			ret = parse_num("trace-inferences", optarg, 1, 1, &o->trace_inferences);
			break;
		case O_TRAIN_TRACE: o->train_trace = optarg; break;
		case O_TRAIN_SAMPLES:
			ret = parse_num("train-trace-samples", optarg, 1, 1, &o->train_samples);
			break;
		case O_OVERHEAD: ret = parse_num("overhead", optarg, 1, 0, &o->overhead); break;
		case O_SAMPLES: ret = parse_num("samples", optarg, 0, 1, &o->samples); break;
		case O_EPOCHS: ret = parse_num("epochs", optarg, 0, 1, &o->epochs); break;
		case O_TUNING: ret = parse_num("tuning-runs", optarg, 0, 1, &o->tuning_runs); break;
		case O_INFERENCES: ret = parse_num("inferences", optarg, 0, 1, &o->inferences); break;
		case O_REGION: o->region = optarg; break;
		case O_INTENSITY: ret = parse_num("intensity", optarg, 0, 0, &o->intensity); break;
		case O_PUE:
			ret = parse_num("pue", optarg, 1, 0, &o->pue);
			if (ret)
				pr_err("--pue: a PUE is facility energy / IT energy, so at least 1");
			break;
		case O_KWH:
			ret = parse_num("energy-kwh", optarg, 0, 0, &v);
			o->energy_j = v * OPC_J_PER_KWH;
			break;
		case O_J: ret = parse_num("energy-j", optarg, 0, 0, &o->energy_j); break;
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

#define GIVEN(x) ((x) >= 0)

/* Which combinations make sense; one clear message for each that does not. */
static int check_opts(const struct popts *o)
{
	int lifecycle = GIVEN(o->samples) || GIVEN(o->epochs) || GIVEN(o->tuning_runs) ||
			GIVEN(o->inferences);

	if (GIVEN(o->energy_j)) {
		if (o->coeffs || o->arch || o->from_trace || o->train_trace || lifecycle ||
		    GIVEN(o->overhead)) {
			pr_err("--energy-kwh/--energy-j is plain carbon arithmetic on a given energy; "
			       "it does not combine with --coeffs, --arch, traces or life-cycle "
			       "options");
			return -EINVAL;
		}
		if (!o->region && !GIVEN(o->intensity)) {
			pr_err("--energy-kwh/--energy-j needs --region R or --intensity G "
			       "(gCO2eq/kWh) to give CO2eq");
			return -EINVAL;
		}
		return 0;
	}
	if (!o->coeffs && !o->from_trace) {
		pr_err("nothing gives energy: use --coeffs COEFFS.json --arch MODEL.json to "
		       "predict, --from-trace TRACE --trace-inferences N to measure, or "
		       "--energy-kwh X for plain carbon arithmetic (opcount predict --help)");
		return -EINVAL;
	}
	if (o->coeffs && !o->arch) {
		pr_err("--coeffs needs --arch MODEL.json: the coefficients price the operations "
		       "of an architecture");
		return -EINVAL;
	}
	if (o->model && !o->coeffs) {
		pr_err("--model selects a model of --coeffs, which is not given");
		return -EINVAL;
	}
	if (o->time_coeffs && !o->coeffs) {
		pr_err("--time-coeffs completes --coeffs (static power x time), which is not given");
		return -EINVAL;
	}
	if (GIVEN(o->power_w) && !o->coeffs) {
		pr_err("--power turns a time fit given as --coeffs into energy; no --coeffs given");
		return -EINVAL;
	}
	if (o->batch && !o->arch) {
		pr_err("--batch sets the batch of --arch, which is not given");
		return -EINVAL;
	}
	if (o->from_trace && !GIVEN(o->trace_inferences)) {
		pr_err("--from-trace needs --trace-inferences N: how many inferences (samples "
		       "through the forward pass) the trace ran; a trace does not know it");
		return -EINVAL;
	}
	if (GIVEN(o->trace_inferences) && !o->from_trace) {
		pr_err("--trace-inferences counts the inferences of --from-trace, which is not "
		       "given");
		return -EINVAL;
	}
	if (o->train_trace && !o->from_trace) {
		pr_err("--train-trace needs --from-trace INFER.opc: the measured overhead is the "
		       "ratio of the training and inference traces of the same model");
		return -EINVAL;
	}
	if (o->train_trace && !GIVEN(o->train_samples)) {
		pr_err("--train-trace needs --train-trace-samples N: the samples it trained on "
		       "times its epochs");
		return -EINVAL;
	}
	if (GIVEN(o->train_samples) && !o->train_trace) {
		pr_err("--train-trace-samples counts the samples of --train-trace, which is not "
		       "given");
		return -EINVAL;
	}
	if (o->train_trace && GIVEN(o->overhead)) {
		pr_err("--overhead and --train-trace both give the training overhead; keep one");
		return -EINVAL;
	}
	if (lifecycle && (!GIVEN(o->samples) || !GIVEN(o->epochs))) {
		pr_err("the life cycle needs both --samples D and --epochs E (0 for no training)");
		return -EINVAL;
	}
	if (lifecycle && o->samples > 0 && o->epochs > 0 && !o->train_trace &&
	    !GIVEN(o->overhead) && !o->arch) {
		pr_err("training energy needs the training overhead: give --train-trace TRACE "
		       "--train-trace-samples N (measured), --arch MODEL.json (derived from "
		       "the lowering) or --overhead X");
		return -EINVAL;
	}
	return 0;
}

static int load_trace(const char *path, double samples, struct measured *m)
{
	struct opc_profile p;
	char *paths[1] = { (char *)path };
	const char *cmd;

	memset(m, 0, sizeof(*m));
	if (opc_profile_load(&p, paths, 1) < 0 || opc_profile_group(&p, OPC_BY_OP, 0) < 0) {
		opc_profile_free(&p);
		return -EINVAL;
	}
	if (!p.have_energy) {
		pr_err("%s: no energy samples in this trace (recorded with --energy none, or too "
		       "short to sample): record it with an energy source", path);
		opc_profile_free(&p);
		return -EINVAL;
	}
	m->path = path;
	snprintf(m->source, sizeof(m->source), "%s", p.source);
	cmd = opc_trace_info(&p.traces[0], "cmdline");
	snprintf(m->cmdline, sizeof(m->cmdline), "%s", cmd ? cmd : "?");
	m->measured = p.measured;
	m->complete = p.traces[0].ended;
	m->energy_j = p.energy_j;
	m->duration_s = p.duration_s;
	m->flops = p.flops;
	m->calls = p.calls;
	m->samples = samples;
	opc_profile_free(&p);
	if (!m->complete)
		pr_warn("%s: incomplete trace (the program was killed): its energy covers only "
			"part of the run", path);
	return 0;
}

/* Predicted energies of the lowering under the coefficients. */
static int predict_from_coeffs(struct result *r)
{
	struct popts *o = r->o;
	char err[1024];
	struct opc_op_cost *tc = NULL;

	if (opc_coeffs_load(o->coeffs, o->model, &r->co, err, sizeof(err)) < 0) {
		pr_err("%s", err);
		return -EINVAL;
	}
	r->have_coeffs = 1;
	if (r->co.time && !GIVEN(o->power_w)) {
		pr_err("%s: fitted for time (target \"time\"), not energy: give --power W to turn "
		       "predicted seconds into an energy estimate, or fit energy", o->coeffs);
		return -EINVAL;
	}
	if (!r->co.time && GIVEN(o->power_w)) {
		pr_err("--power: %s is already an energy fit", o->coeffs);
		return -EINVAL;
	}
	r->cost = calloc(r->lw.nops, sizeof(*r->cost));
	r->op_j = calloc(r->lw.nops, sizeof(*r->op_j));
	r->op_static_j = calloc(r->lw.nops, sizeof(*r->op_static_j));
	if (!r->cost || !r->op_j || !r->op_static_j) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	if (opc_coeffs_eval(&r->co, &r->arch, &r->lw, r->cost, err, sizeof(err)) < 0) {
		pr_err("%s", err);
		return -EINVAL;
	}
	if (o->time_coeffs) {
		if (opc_coeffs_load(o->time_coeffs, 0, &r->tco, err, sizeof(err)) < 0) {
			pr_err("%s", err);
			return -EINVAL;
		}
		r->have_tco = 1;
		if (!r->tco.time) {
			pr_err("--time-coeffs: %s is an energy fit; it needs a time fit "
			       "(opcount fit --target time)", o->time_coeffs);
			return -EINVAL;
		}
		tc = calloc(r->lw.nops, sizeof(*tc));
		if (tc == NULL) {
			pr_err("out of memory");
			return -ENOMEM;
		}
		if (opc_coeffs_eval(&r->tco, &r->arch, &r->lw, tc, err, sizeof(err)) < 0) {
			pr_err("%s", err);
			free(tc);
			return -EINVAL;
		}
	}
	if (!r->co.time && r->co.static_w > 0) {
		if (tc) {
			r->static_applied = 1;
			note(r, "LOWER BOUND: static power %g W is applied to the busy time %s "
			     "predicts for the calls, but a run's wall time also holds the "
			     "program's own code", r->co.static_w, r->tco.path);
		} else {
			note(r, "LOWER BOUND: the static power of model %c (%g W) is not applied, "
			     "since it needs the run's time; --time-coeffs TIME.json (opcount fit "
			     "--target time) adds static power x predicted busy time", r->co.model,
			     r->co.static_w);
		}
		r->lower_bound = 1;
	} else if (tc) {
		note(r, "--time-coeffs unused: model %c has no static power", r->co.model);
	}
	for (size_t i = 0; i < r->lw.nops; i++) {
		const struct opc_lop *op = &r->lw.ops[i];

		if (r->co.time)
			r->op_j[i] = r->cost[i].total * o->power_w;
		else
			r->op_j[i] = r->cost[i].total;
		if (r->static_applied) {
			r->op_static_j[i] = r->co.static_w * tc[i].total;
			r->op_j[i] += r->op_static_j[i];
		}
		if (op->phase == OPC_PHASE_FORWARD)
			r->pred_infer_batch_j += r->op_j[i];
		r->pred_train_batch_j += r->op_j[i];
	}
	/* one note per type that fell back */
	for (size_t i = 0; i < r->lw.nops; i++) {
		const char *type = r->arch.layers[r->lw.ops[i].layer].type;
		int seen = 0;

		if (!r->cost[i].fallback)
			continue;
		for (size_t j = 0; j < i; j++)
			seen |= r->cost[j].fallback &&
				!strcmp(type, r->arch.layers[r->lw.ops[j].layer].type);
		if (seen)
			continue;
		if (r->cost[i].untyped)
			note(r, "layer type %s was never seen by the fit of %s, nor the routine "
			     "class \"gemm\": its calls are priced by the per-FLOP coefficient "
			     "over all types only", type, r->co.path);
		else
			note(r, "layer type %s was never seen by the fit of %s: its calls are "
			     "priced with the routine class \"gemm\"", type, r->co.path);
	}
	if (r->co.machine_mixed)
		note(r, "%s was fitted on traces of several machines", r->co.path);
	free(tc);
	r->have_pred = 1;
	return 0;
}

static int compute(struct result *r)
{
	struct popts *o = r->o;
	struct opc_lifecycle *lc = &r->lc;
	char err[2048];
	double b;

	if (o->arch) {
		if (opc_arch_load(o->arch, o->batch, &r->arch, err, sizeof(err)) < 0 ||
		    opc_arch_lower(&r->arch, &r->lw, err, sizeof(err)) < 0) {
			pr_err("%s", err);
			return -EINVAL;
		}
		r->have_arch = 1;
	}
	if (o->coeffs && predict_from_coeffs(r) < 0)
		return -EINVAL;
	if (o->from_trace && load_trace(o->from_trace, o->trace_inferences, &r->infer_tr) < 0)
		return -EINVAL;
	r->have_infer_tr = o->from_trace != NULL;
	if (o->train_trace && load_trace(o->train_trace, o->train_samples, &r->train_tr) < 0)
		return -EINVAL;
	r->have_train_tr = o->train_trace != NULL;

	b = r->have_arch ? (double)r->lw.batch : 1;
	/* I: measured when a trace is given, else predicted */
	if (r->have_infer_tr)
		lc->infer_j = r->infer_tr.energy_j / r->infer_tr.samples;
	else
		lc->infer_j = r->pred_infer_batch_j / b;

	/* the training overhead, in order of preference */
	if (r->have_train_tr) {
		lc->train_sample_j = r->train_tr.energy_j / r->train_tr.samples;
		/* a ratio of two estimates is no measurement */
		r->ovh = r->train_tr.measured && r->infer_tr.measured ? OVH_MEASURED : OVH_TRACES;
	} else if (GIVEN(o->overhead)) {
		lc->train_sample_j = lc->infer_j * o->overhead;
		r->ovh = OVH_GIVEN;
	} else if (r->have_pred && r->pred_infer_batch_j > 0) {
		lc->train_sample_j = lc->infer_j * (r->pred_train_batch_j / r->pred_infer_batch_j);
		r->ovh = OVH_LOWERING;
	} else if (r->have_arch && r->lw.infer.flops) {
		lc->train_sample_j = lc->infer_j * ((double)r->lw.train.flops / r->lw.infer.flops);
		r->ovh = OVH_FLOPS;
	}
	opc_lifecycle_compute(lc);
	if ((r->ovh == OVH_MEASURED || r->ovh == OVH_TRACES) && lc->overhead < 1)
		note(r, "the measured overhead is below 1: training used less energy per sample "
		     "than inference; check --trace-inferences and --train-trace-samples");

	/* do the traces do the work the architecture says? */
	if (r->have_arch && r->have_infer_tr) {
		double want = (double)r->lw.infer.flops / b, got = r->infer_tr.flops /
			      r->infer_tr.samples;

		if (fabs(got - want) > 1e-6 * want)
			note(r, "%s did %.6g FLOPs per inference, the architecture lowers to %.6g: "
			     "a different model, or a wrong --trace-inferences?", r->infer_tr.path,
			     got, want);
	}
	if (r->have_arch && r->have_train_tr) {
		double want = (double)r->lw.train.flops / b, got = r->train_tr.flops /
			      r->train_tr.samples;

		if (fabs(got - want) > 1e-6 * want)
			note(r, "%s did %.6g FLOPs per training sample, the architecture lowers to "
			     "%.6g: a different model, or a wrong --train-trace-samples?",
			     r->train_tr.path, got, want);
	}

	r->have_lifecycle = GIVEN(o->samples);
	if (r->have_lifecycle) {
		lc->samples = o->samples;
		lc->epochs = o->epochs;
		lc->tuning_runs = GIVEN(o->tuning_runs) ? o->tuning_runs : 0;
		lc->inferences = GIVEN(o->inferences) ? o->inferences : 0;
		opc_lifecycle_compute(lc);
	}
	return 0;
}

static int carbon(struct result *r)
{
	struct popts *o = r->o;
	char err[2048];

	if (o->region) {
		if (opc_intensity_lookup(opc_data_dir(), o->region, &r->ci, err, sizeof(err)) < 0) {
			pr_err("--region: %s", err);
			return -EINVAL;
		}
		r->have_carbon = 1;
	}
	if (GIVEN(o->intensity)) {
		char was[sizeof(r->ci.source)];

		if (r->have_carbon)
			snprintf(was, sizeof(was), "--intensity (given; replaces %s's %g from "
				 "%.1200s)", r->ci.region, r->ci.g_per_kwh, r->ci.source);
		else
			snprintf(was, sizeof(was), "--intensity (given)");
		snprintf(r->ci.source, sizeof(r->ci.source), "%s", was);
		r->ci.g_per_kwh = o->intensity;
		r->ci.year = 0;
		r->have_carbon = 1;
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

static const char *ovh_name(enum ovh_source s)
{
	switch (s) {
	case OVH_LOWERING: return "lowering";
	case OVH_FLOPS: return "lowering_flops";
	case OVH_MEASURED: return "measured";
	case OVH_TRACES: return "traces_estimated";
	case OVH_GIVEN: return "given";
	case OVH_NONE: break;
	}
	return "none";
}

static const char *ovh_desc(enum ovh_source s)
{
	switch (s) {
	case OVH_LOWERING:
		return "derived from the lowering: coefficients applied to forward + backward, "
		       "over forward";
	case OVH_FLOPS:
		return "derived from the lowering's FLOPs (forward + backward over forward); "
		       "no coefficients to weigh them";
	case OVH_MEASURED:
		return "measured: training trace energy per sample over inference trace energy "
		       "per inference";
	case OVH_TRACES:
		return "from the traces, but their energy is ESTIMATED, not measured: training "
		       "trace energy per sample over inference trace energy per inference";
	case OVH_GIVEN: return "given (--overhead)";
	case OVH_NONE: break;
	}
	return "not known";
}

static const char *basis(const struct result *r, char *buf, size_t len)
{
	if (r->have_infer_tr)
		snprintf(buf, len, "%s by %s in %s", r->infer_tr.measured ? "measured" :
			 "ESTIMATED (not measured)", r->infer_tr.source, r->infer_tr.path);
	else if (r->co.time)
		snprintf(buf, len, "ESTIMATE: busy time predicted by model %c of %s x %g W "
			 "(--power)",
			 r->co.model, r->co.path, r->o->power_w);
	else
		snprintf(buf, len, "predicted by model %c of %s, fitted to energy %s by %s",
			 r->co.model, r->co.path, r->co.energy_measured ? "measured" :
			 "ESTIMATED (not measured)", r->co.energy_source);
	return buf;
}

/* one quantity: IT energy, with PUE, kWh, CO2eq */
static json_object *jq(const struct result *r, double it_j)
{
	json_object *q = json_object_new_object();
	double j = it_j * r->o->pue;

	json_object_object_add(q, "it_j", json_object_new_double(it_j));
	json_object_object_add(q, "j", json_object_new_double(j));
	json_object_object_add(q, "kwh", json_object_new_double(j / OPC_J_PER_KWH));
	if (r->have_carbon) {
		double g = opc_co2eq_g(j, r->ci.g_per_kwh);

		json_object_object_add(q, "co2eq_g", json_object_new_double(g));
		json_object_object_add(q, "co2eq_kg", json_object_new_double(g / 1e3));
		json_object_object_add(q, "co2eq_t", json_object_new_double(g / 1e6));
	} else {
		json_object_object_add(q, "co2eq_g", NULL);
		json_object_object_add(q, "co2eq_kg", NULL);
		json_object_object_add(q, "co2eq_t", NULL);
	}
	return q;
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

static json_object *jtrace(const struct measured *m, const char *count_name)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "path", json_object_new_string(m->path));
	json_object_object_add(t, "cmdline", json_object_new_string(m->cmdline));
	json_object_object_add(t, "energy_source", json_object_new_string(m->source));
	json_object_object_add(t, "energy_measured", json_object_new_boolean(m->measured));
	json_object_object_add(t, "complete", json_object_new_boolean(m->complete));
	json_object_object_add(t, "energy_j", json_object_new_double(m->energy_j));
	json_object_object_add(t, "duration_s", json_object_new_double(m->duration_s));
	json_object_object_add(t, "flops", json_object_new_uint64(m->flops));
	json_object_object_add(t, "calls", json_object_new_uint64(m->calls));
	json_object_object_add(t, count_name, json_object_new_double(m->samples));
	json_object_object_add(t, "energy_per_sample_j",
			       json_object_new_double(m->energy_j / m->samples));
	return t;
}

static json_object *jcarbon(const struct result *r)
{
	json_object *c;

	if (!r->have_carbon)
		return NULL;
	c = json_object_new_object();
	json_object_object_add(c, "intensity_g_per_kwh", json_object_new_double(r->ci.g_per_kwh));
	json_object_object_add(c, "region", r->ci.region[0] ?
			       json_object_new_string(r->ci.region) : NULL);
	json_object_object_add(c, "label", r->ci.label[0] ?
			       json_object_new_string(r->ci.label) : NULL);
	json_object_object_add(c, "source", json_object_new_string(r->ci.source));
	json_object_object_add(c, "year", r->ci.year ? json_object_new_int(r->ci.year) : NULL);
	return c;
}

static void print_json(const struct result *r)
{
	const struct popts *o = r->o;
	json_object *root = json_object_new_object(), *notes = json_object_new_array();
	char buf[512];

	json_object_object_add(root, "opcount_predict", json_object_new_int(1));
	json_object_object_add(root, "pue", json_object_new_double(o->pue));
	json_object_object_add(root, "carbon", jcarbon(r));
	if (GIVEN(o->energy_j)) {
		json_object_object_add(root, "mode", json_object_new_string("energy"));
		json_object_object_add(root, "energy", jq(r, o->energy_j));
		goto out;
	}
	json_object_object_add(root, "mode", json_object_new_string(r->have_infer_tr ? "trace" :
								     "coeffs"));
	json_object_object_add(root, "energy_basis", json_object_new_string(basis(r, buf,
								sizeof(buf))));
	json_object_object_add(root, "lower_bound", json_object_new_boolean(
		!r->have_infer_tr && r->lower_bound));
	json_object_object_add(root, "estimated", json_object_new_boolean(
		r->have_infer_tr ? !r->infer_tr.measured : 1));
	if (r->have_arch) {
		json_object *a = json_object_new_object(), *layers = json_object_new_array();
		json_object *l = json_object_new_object(), *ops = json_object_new_array();

		json_object_object_add(a, "path", json_object_new_string(r->arch.path));
		json_object_object_add(a, "name", r->arch.name[0] ?
				       json_object_new_string(r->arch.name) : NULL);
		json_object_object_add(a, "input", jshape(r->arch.input_rank, r->arch.input));
		json_object_object_add(a, "batch", json_object_new_int64(r->arch.batch));
		json_object_object_add(a, "dtype", json_object_new_string(
			r->arch.prec == 'd' ? "float64" : "float32"));
		json_object_object_add(a, "params", json_object_new_uint64(r->arch.params));
		for (size_t i = 0; i < r->arch.nlayers; i++) {
			const struct opc_arch_layer *ly = &r->arch.layers[i];
			json_object *x = json_object_new_object();

			json_object_object_add(x, "name", json_object_new_string(ly->name));
			json_object_object_add(x, "kind", json_object_new_string(
				opc_layer_kind_name(ly->kind)));
			json_object_object_add(x, "type", json_object_new_string(ly->type));
			json_object_object_add(x, "input", jshape(ly->in_rank, ly->in));
			json_object_object_add(x, "output", jshape(ly->out_rank, ly->out));
			json_object_object_add(x, "params", json_object_new_uint64(ly->params));
			json_object_array_add(layers, x);
		}
		json_object_object_add(a, "layers", layers);
		json_object_object_add(root, "arch", a);

		json_object_object_add(l, "batch", json_object_new_int64(r->lw.batch));
		for (size_t i = 0; i < r->lw.nops; i++) {
			const struct opc_lop *op = &r->lw.ops[i];
			json_object *x = json_object_new_object();

			json_object_object_add(x, "layer", json_object_new_string(
				r->arch.layers[op->layer].name));
			json_object_object_add(x, "type", json_object_new_string(
				r->arch.layers[op->layer].type));
			json_object_object_add(x, "phase", json_object_new_string(
				opc_phase_name(op->phase)));
			json_object_object_add(x, "routine", json_object_new_string(op->routine));
			json_object_object_add(x, "m", json_object_new_int64(op->m));
			json_object_object_add(x, "n", json_object_new_int64(op->n));
			json_object_object_add(x, "k", json_object_new_int64(op->k));
			json_object_object_add(x, "calls", json_object_new_uint64(op->calls));
			json_object_object_add(x, "c_read_calls",
					       json_object_new_uint64(op->c_read_calls));
			json_object_object_add(x, "flops", json_object_new_uint64(op->flops));
			json_object_object_add(x, "bytes", json_object_new_uint64(op->bytes));
			if (r->have_pred) {
				json_object_object_add(x, "coeff_type", r->cost[i].coeff_type ?
					json_object_new_string(r->cost[i].coeff_type) : NULL);
				json_object_object_add(x, "fallback",
					json_object_new_boolean(r->cost[i].fallback));
				json_object_object_add(x, "energy_j", json_object_new_double(r->op_j[i]));
				json_object_object_add(x, "static_j",
					json_object_new_double(r->op_static_j[i]));
			}
			json_object_array_add(ops, x);
		}
		json_object_object_add(l, "ops", ops);
		json_object_object_add(l, "inference_batch", jwork(&r->lw.infer));
		json_object_object_add(l, "training_step", jwork(&r->lw.train));
		json_object_object_add(l, "inference_flops_per_sample", json_object_new_double(
			(double)r->lw.infer.flops / r->lw.batch));
		json_object_object_add(l, "training_flops_per_sample", json_object_new_double(
			(double)r->lw.train.flops / r->lw.batch));
		json_object_object_add(root, "lowering", l);
	} else {
		json_object_object_add(root, "arch", NULL);
		json_object_object_add(root, "lowering", NULL);
	}
	if (r->have_coeffs) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "path", json_object_new_string(r->co.path));
		json_object_object_add(c, "target", json_object_new_string(r->co.time ? "time" :
									     "energy"));
		json_object_object_add(c, "model", json_object_new_string((char[]){ r->co.model, 0 }));
		json_object_object_add(c, "model_description", json_object_new_string(
			opc_coeffs_model_desc(r->co.model)));
		json_object_object_add(c, "energy_source", json_object_new_string(r->co.energy_source));
		json_object_object_add(c, "energy_measured",
				       json_object_new_boolean(r->co.energy_measured));
		json_object_object_add(c, "machine", json_object_new_string(r->co.machine));
		json_object_object_add(c, "cv_mape", r->co.cv_mape >= 0 ?
				       json_object_new_double(r->co.cv_mape) : NULL);
		json_object_object_add(c, "static_applied",
				       json_object_new_boolean(r->static_applied));
		json_object_object_add(c, "power_w", r->co.time ?
				       json_object_new_double(o->power_w) : NULL);
		json_object_object_add(c, "inference_batch_j",
				       json_object_new_double(r->pred_infer_batch_j));
		json_object_object_add(c, "training_step_j",
				       json_object_new_double(r->pred_train_batch_j));
		json_object_object_add(c, "inference_j", json_object_new_double(
			r->pred_infer_batch_j / r->lw.batch));
		json_object_object_add(root, "coeffs", c);
	} else {
		json_object_object_add(root, "coeffs", NULL);
	}
	json_object_object_add(root, "inference_trace", r->have_infer_tr ?
			       jtrace(&r->infer_tr, "inferences") : NULL);
	json_object_object_add(root, "training_trace", r->have_train_tr ?
			       jtrace(&r->train_tr, "samples") : NULL);
	json_object_object_add(root, "inference", jq(r, r->lc.infer_j));
	json_object_object_add(root, "training_per_sample", r->ovh != OVH_NONE ?
			       jq(r, r->lc.train_sample_j) : NULL);
	json_object_object_add(root, "training_step", r->ovh != OVH_NONE && r->have_arch ?
			       jq(r, r->lc.train_sample_j * r->lw.batch) : NULL);
	{
		json_object *ov = json_object_new_object();

		json_object_object_add(ov, "value", r->ovh != OVH_NONE ?
				       json_object_new_double(r->lc.overhead) : NULL);
		json_object_object_add(ov, "source", json_object_new_string(ovh_name(r->ovh)));
		json_object_object_add(ov, "description", json_object_new_string(ovh_desc(r->ovh)));
		json_object_object_add(ov, "lowering_flops_ratio", r->have_arch ?
				       json_object_new_double((double)r->lw.train.flops /
							      r->lw.infer.flops) : NULL);
		json_object_object_add(ov, "lowering_energy_ratio", r->have_pred &&
				       r->pred_infer_batch_j > 0 ? json_object_new_double(
					       r->pred_train_batch_j / r->pred_infer_batch_j) : NULL);
		json_object_object_add(ov, "training_share", r->ovh != OVH_NONE &&
				       r->lc.overhead > 0 ? json_object_new_double(
					       1 - 1 / r->lc.overhead) : NULL);
		json_object_object_add(root, "overhead", ov);
	}
	if (r->have_lifecycle) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "samples", json_object_new_double(r->lc.samples));
		json_object_object_add(l, "epochs", json_object_new_double(r->lc.epochs));
		json_object_object_add(l, "tuning_runs", json_object_new_double(r->lc.tuning_runs));
		json_object_object_add(l, "inferences", json_object_new_double(r->lc.inferences));
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
		json_object_array_add(notes, json_object_new_string(r->notes[i]));
	json_object_object_add(root, "notes", notes);
	/* 15 digits: 552.123 prints as such, not 552.12300000000005 */
	json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_THREAD);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void print_carbon_line(const struct result *r)
{
	char n[48];

	if (!r->have_carbon) {
		printf("# CO2eq: give --region R or --intensity G (gCO2eq/kWh)\n");
		return;
	}
	printf("# carbon intensity %s gCO2eq/kWh", num(n, sizeof(n), r->ci.g_per_kwh));
	if (r->ci.label[0] && strncmp(r->ci.source, "--intensity", 11))
		printf(": %s, %s, %s", r->ci.region, r->ci.label, r->ci.source);
	else
		printf(": %s", r->ci.source);
	putchar('\n');
}

/* "  label  IT J  with PUE J  kWh  CO2eq" */
static void qrow(const struct result *r, const char *label, double it_j)
{
	char a[48], b[48], c[48], d[48];
	double j = it_j * r->o->pue;

	printf("  %-34s %14s %14s %14s %14s\n", label, num(a, sizeof(a), it_j),
	       num(b, sizeof(b), j), num(c, sizeof(c), j / OPC_J_PER_KWH),
	       r->have_carbon ? co2(d, sizeof(d), opc_co2eq_g(j, r->ci.g_per_kwh)) : "-");
}

static void qhead(const struct result *r)
{
	char p[48], h[64];

	snprintf(h, sizeof(h), "x PUE %s (J)", num(p, sizeof(p), r->o->pue));
	printf("  %-34s %14s %14s %14s %14s\n", "", "IT energy (J)", h, "kWh", "CO2eq");
}

static void print_table(const struct result *r)
{
	const struct popts *o = r->o;
	char a[48], b[48], c[48], buf[512];

	if (GIVEN(o->energy_j)) {
		printf("# opcount predict: carbon of a given energy\n");
		print_carbon_line(r);
		putchar('\n');
		qhead(r);
		qrow(r, "energy", o->energy_j);
		goto notes;
	}
	if (r->have_arch) {
		printf("# opcount predict: %s (%s), input %s, batch %lld, %s, %s parameters\n",
		       r->arch.name[0] ? r->arch.name : "model", r->arch.path,
		       (opc_arch_shape_str(r->arch.input_rank, r->arch.input, a, sizeof(a)), a),
		       (long long)r->arch.batch, r->arch.prec == 'd' ? "float64" : "float32",
		       num(b, sizeof(b), (double)r->arch.params));
	} else {
		printf("# opcount predict\n");
	}
	if (r->have_coeffs) {
		if (r->co.time)
			printf("# coefficients: %s, model %c (%s), fitted to time\n", r->co.path,
			       r->co.model, opc_coeffs_model_desc(r->co.model));
		else
			printf("# coefficients: %s, model %c (%s), fitted to energy %s by %s\n",
			       r->co.path, r->co.model, opc_coeffs_model_desc(r->co.model),
			       r->co.energy_measured ? "measured" : "ESTIMATED (not measured)",
			       r->co.energy_source);
		if (r->co.cv_mape >= 0)
			printf("#   model %c predicted the runs it was not fitted on with a mean "
			       "absolute error of %.1f%% (leave-one-out)\n", r->co.model,
			       r->co.cv_mape);
		if (r->co.machine[0])
			printf("#   fitted on %s; coefficients do not transfer to other machines\n",
			       r->co.machine);
	}
	if (r->have_infer_tr)
		printf("# inference trace: %s (%s): %s J %s by %s over %s inferences\n",
		       r->infer_tr.path, r->infer_tr.cmdline, num(a, sizeof(a), r->infer_tr.energy_j),
		       r->infer_tr.measured ? "measured" : "ESTIMATED", r->infer_tr.source,
		       num(b, sizeof(b), r->infer_tr.samples));
	if (r->have_train_tr)
		printf("# training trace: %s (%s): %s J %s by %s over %s samples\n",
		       r->train_tr.path, r->train_tr.cmdline, num(a, sizeof(a), r->train_tr.energy_j),
		       r->train_tr.measured ? "measured" : "ESTIMATED", r->train_tr.source,
		       num(b, sizeof(b), r->train_tr.samples));

	if (r->have_arch) {
		printf("\nlowering, per batch of %lld (calls, FLOPs and bytes as opcount counts them)\n",
		       (long long)r->lw.batch);
		printf("%-16s %-9s %-8s %-6s %8s %8s %8s %7s %14s %14s", "layer", "type", "phase",
		       "op", "m", "n", "k", "calls", "FLOPs", "bytes");
		if (r->have_pred)
			printf(" %-10s %12s", "coeffs", "energy_J");
		putchar('\n');
		for (size_t i = 0; i < r->lw.nops; i++) {
			const struct opc_lop *op = &r->lw.ops[i];
			const struct opc_arch_layer *ly = &r->arch.layers[op->layer];

			printf("%-16.16s %-9s %-8s %-6s %8lld %8lld %8lld %7llu %14llu %14llu",
			       ly->name, ly->type, opc_phase_name(op->phase), op->routine,
			       (long long)op->m, (long long)op->n, (long long)op->k,
			       (unsigned long long)op->calls, (unsigned long long)op->flops,
			       (unsigned long long)op->bytes);
			if (r->have_pred)
				printf(" %-10s %12s", r->cost[i].coeff_type ? r->cost[i].coeff_type :
				       "(all)", num(a, sizeof(a), r->op_j[i]));
			putchar('\n');
		}
		printf("%-16s %-9s %-8s %-6s %8s %8s %8s %7llu %14llu %14llu", "inference", "", "",
		       "", "", "", "", (unsigned long long)r->lw.infer.calls,
		       (unsigned long long)r->lw.infer.flops, (unsigned long long)r->lw.infer.bytes);
		if (r->have_pred)
			printf(" %-10s %12s", "", num(a, sizeof(a), r->pred_infer_batch_j));
		putchar('\n');
		printf("%-16s %-9s %-8s %-6s %8s %8s %8s %7llu %14llu %14llu", "training step", "",
		       "", "", "", "", "", (unsigned long long)r->lw.train.calls,
		       (unsigned long long)r->lw.train.flops, (unsigned long long)r->lw.train.bytes);
		if (r->have_pred)
			printf(" %-10s %12s", "", num(a, sizeof(a), r->pred_train_batch_j));
		putchar('\n');
	}

	printf("\nper sample (energy %s%s)\n", basis(r, buf, sizeof(buf)),
	       !r->have_infer_tr && r->lower_bound ? "; a LOWER BOUND, see the notes" : "");
	qhead(r);
	qrow(r, "inference I", r->lc.infer_j);
	if (r->ovh != OVH_NONE) {
		qrow(r, "training (forward + backward)", r->lc.train_sample_j);
		printf("  training overhead %sx (%s): %s%% of a training sample's energy goes "
		       "beyond inference\n", num(a, sizeof(a), r->lc.overhead), ovh_desc(r->ovh),
		       num(b, sizeof(b), r->lc.overhead > 0 ? 100 * (1 - 1 / r->lc.overhead) : 0));
	}
	if (r->have_pred && r->have_infer_tr)
		printf("  the coefficients predict I = %s J per inference\n",
		       num(a, sizeof(a), r->pred_infer_batch_j / r->lw.batch));
	if (r->have_arch && r->ovh != OVH_FLOPS)
		printf("  the lowering's FLOPs give an overhead of %sx%s%s%s\n",
		       num(a, sizeof(a), (double)r->lw.train.flops / r->lw.infer.flops),
		       r->have_pred && r->ovh != OVH_LOWERING ? ", the coefficients " : "",
		       r->have_pred && r->ovh != OVH_LOWERING ?
		       num(b, sizeof(b), r->pred_train_batch_j / r->pred_infer_batch_j) : "",
		       r->have_pred && r->ovh != OVH_LOWERING ? "x" : "");

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
	}
	putchar('\n');
	print_carbon_line(r);
notes:
	for (size_t i = 0; i < r->nnotes; i++)
		printf("# note: %s\n", r->notes[i]);
}

static void result_free(struct result *r)
{
	opc_arch_free(&r->arch);
	opc_lowering_free(&r->lw);
	opc_coeffs_free(&r->co);
	opc_coeffs_free(&r->tco);
	free(r->cost);
	free(r->op_j);
	free(r->op_static_j);
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
}

int cmd_predict(int argc, char **argv)
{
	struct popts o = {
		.power_w = -1, .trace_inferences = -1, .train_samples = -1, .overhead = -1,
		.samples = -1, .epochs = -1, .tuning_runs = -1, .inferences = -1,
		.intensity = -1, .pue = OPC_PUE_DEFAULT, .energy_j = -1,
	};
	struct result r;
	int ret;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (check_opts(&o) < 0)
		return 2;
	memset(&r, 0, sizeof(r));
	r.o = &o;
	ret = 0;
	if (!GIVEN(o.energy_j) && compute(&r) < 0)
		ret = 1;
	if (ret == 0 && carbon(&r) < 0)
		ret = 1;
	if (ret == 0) {
		if (o.json)
			print_json(&r);
		else
			print_table(&r);
	}
	result_free(&r);
	return ret;
}

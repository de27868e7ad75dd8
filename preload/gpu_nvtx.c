/*
 * gpu_nvtx.c - NVTX ranges as layer regions (preload/layer.c), so that
 * programs and frameworks that annotate themselves with NVTX (PyTorch's
 * emit_nvtx and torch.cuda.nvtx, CUDA libraries, RAPIDS) get their work
 * attributed per range, as with opcount_layer_push/pop.
 *
 * NVTX v3 is header-only: each object that uses it carries its own
 * function table, which its first NVTX call fills by loading the library
 * that NVTX_INJECTION64_PATH names and calling its
 * InitializeInjectionNvtx2 (nvtx3/nvtxDetail/nvtxInit.h).  We are that
 * library: `opcount record` sets the variable to libopcount.so, which
 * the process already has (the dlopen finds the preloaded object), and
 * every object that initialises NVTX calls us once with its own table.
 * Nothing is intercepted by symbol: libnvtx3interop.so.1 (CUDA 13)
 * exports nvtxRangePushA and friends, but is itself built on the NVTX v3
 * headers and reaches us through the same injection, so wrapping its
 * symbols as well would count every range twice.  The older
 * libnvToolsExt.so.1 (CUDA <= 11) also loads its tool from
 * NVTX_INJECTION64_PATH; an NVTX v1 one that looks only for the v1 entry
 * point (InitializeInjectionNvtx) finds none here and stays silent.
 *
 * Mapping (per thread, as NVTX push/pop ranges are):
 *  - a push/pop range is a layer named by its message; its type is the
 *    NVTX domain's name, "nvtx" for the default domain.  Each domain
 *    nests on its own (nvtxDomainRangePop pops that domain's innermost
 *    range), so a pop closes that range even under ranges of other
 *    domains or start/end ranges: those above it are closed and reopened
 *    beneath the layer that encloses it.
 *  - a start/end range does not have to nest and may end on another
 *    thread.  It is a layer of the thread that started it, closed at its
 *    end wherever it is in that thread's stack (as above); ended from
 *    another thread, it is closed by its own thread at that thread's next
 *    NVTX call.
 *  - PyTorch numbers every operator call in its range names ("aten::mm,
 *    seq = 12, op_id = 40, sizes = ..."): the name is cut before ", seq = "
 *    or ", op_id = ", so that one operator is one layer, not one layer per
 *    call (the layer table is finite).
 *  - marks, categories, payloads and the other NVTX modules are not used:
 *    their calls stay no-ops.
 * Push returns the range's nesting level in its domain, pop the level of
 * the range it closed, -1 when there is none (NVTX: negative on error).
 */
#define PR_FMT "opcount"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "layer.h"
#include "log.h"
#include "nvtx_abi.h"
#include "record.h"
#include "threads.h"

OPC_EXPORT void opcount_api_layer_push(const char *name, const char *type);
OPC_EXPORT void opcount_api_layer_pop(void);

#define OPEN_MAX	64	/* open ranges per thread we can place */
#define NAME_LEN	256	/* longer names are cut */
#define PENDING_MAX	256	/* start/end ranges ended from another thread */

struct domain {
	char *name;
};

struct range {
	uint64_t id;		/* start/end range: its id; push/pop range: 0 */
	const void *domain;	/* NULL: the default domain */
	uint32_t depth;		/* its layer: layer_stack[depth - 1] */
};

struct nvtx_thread {
	int n;
	int untracked;		/* pushes beyond OPEN_MAX: no layer */
	struct range r[OPEN_MAX];
};

static __thread struct nvtx_thread *nvtx_self;
static pthread_key_t nvtx_key;
static pthread_once_t nvtx_once = PTHREAD_ONCE_INIT;
static uint64_t next_id;

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;

/* the registered strings (register_string) */
struct registered {
	struct registered *next;
	char s[];
};
#define REGISTERED_BUCKETS 256
static struct registered *registered[REGISTERED_BUCKETS];
static pthread_mutex_t registered_lock = PTHREAD_MUTEX_INITIALIZER;

/* fork: as gpu_cudnn_graph.c's mirror */
void opc_nvtx_atfork_prepare(void)
{
	pthread_mutex_lock(&pending_lock);
	pthread_mutex_lock(&registered_lock);
}

void opc_nvtx_atfork_parent(void)
{
	pthread_mutex_unlock(&registered_lock);
	pthread_mutex_unlock(&pending_lock);
}

void opc_nvtx_atfork_child(void)
{
	pthread_mutex_init(&registered_lock, NULL);
	pthread_mutex_init(&pending_lock, NULL);
}
static uint64_t pending[PENDING_MAX];
static int npending;

static void nvtx_thread_free(void *p)
{
	free(p);
}

static void nvtx_key_init(void)
{
	if (pthread_key_create(&nvtx_key, nvtx_thread_free) != 0)
		pr_warn("NVTX: no thread-exit hook; per-thread range state is not freed");
}

static struct nvtx_thread *nvtx_thread_get(void)
{
	struct nvtx_thread *nt = nvtx_self;

	if (__builtin_expect(nt != NULL, 1))
		return nt;
	pthread_once(&nvtx_once, nvtx_key_init);
	nt = calloc(1, sizeof(*nt));
	if (nt == NULL)
		return NULL;
	pthread_setspecific(nvtx_key, nt);
	nvtx_self = nt;
	return nt;
}

/* ---- names ---- */

static void utf8_from_wide(const wchar_t *w, char *out, size_t len)
{
	size_t o = 0;

	for (; w && *w; w++) {
		uint32_t c = (uint32_t)*w;
		char b[4];
		size_t n;

		if (c < 0x80) {
			b[0] = (char)c, n = 1;
		} else if (c < 0x800) {
			b[0] = (char)(0xc0 | c >> 6), b[1] = (char)(0x80 | (c & 0x3f)), n = 2;
		} else if (c < 0x10000) {
			b[0] = (char)(0xe0 | c >> 12), b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
			b[2] = (char)(0x80 | (c & 0x3f)), n = 3;
		} else if (c < 0x110000) {
			b[0] = (char)(0xf0 | c >> 18), b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
			b[2] = (char)(0x80 | ((c >> 6) & 0x3f)), b[3] = (char)(0x80 | (c & 0x3f));
			n = 4;
		} else {
			b[0] = '?', n = 1;
		}
		if (o + n >= len)
			break;
		memcpy(out + o, b, n);
		o += n;
	}
	out[o] = 0;
}

/* The layer name of a range message, cut as the header comment says. */
static const char *range_name(const char *msg, char *buf)
{
	const char *cut[] = { ", seq = ", ", op_id = " };
	size_t n;

	if (msg == NULL)
		return "?";
	n = strlen(msg);
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		const char *p = strstr(msg, cut[i]);

		if (p && (size_t)(p - msg) < n)
			n = (size_t)(p - msg);
	}
	if (n >= NAME_LEN)
		n = NAME_LEN - 1;
	memcpy(buf, msg, n);
	buf[n] = 0;
	return buf;
}

static const char *attr_name(const struct opc_nvtx_event_attr *a, char *buf)
{
	char wide[NAME_LEN];

	if (a == NULL || a->size < offsetof(struct opc_nvtx_event_attr, message) +
					  sizeof(a->message))
		return "?";
	switch (a->message_type) {
	case OPC_NVTX_MESSAGE_TYPE_ASCII:
		return range_name(a->message.ascii, buf);
	case OPC_NVTX_MESSAGE_TYPE_UNICODE:
		utf8_from_wide(a->message.unicode, wide, sizeof(wide));
		return range_name(wide, buf);
	case OPC_NVTX_MESSAGE_TYPE_REGISTERED:	/* our own string: see register_string */
		return range_name(a->message.registered, buf);
	}
	return "?";
}

static const char *domain_type(const void *domain)
{
	return domain ? ((const struct domain *)domain)->name : "nvtx";
}

/* ---- ranges ---- */

/*
 * Close range i of this thread: pop its layer and every layer above it,
 * then push those above again (beneath the layer that enclosed range i).
 */
static void range_close(struct nvtx_thread *nt, int i)
{
	struct opc_thread *t = opc_self;
	uint32_t d = nt->r[i].depth, above, ids[OPC_LAYER_DEPTH];

	memmove(&nt->r[i], &nt->r[i + 1], (size_t)(nt->n - i - 1) * sizeof(nt->r[0]));
	nt->n--;
	if (t == NULL || d == 0 || d > (uint32_t)t->layer_depth)
		return;		/* popped already (opcount_layer_pop) */
	above = (uint32_t)t->layer_depth - d;
	if (t->layer_depth > OPC_LAYER_DEPTH) {
		/* beyond the depth layer.c keeps names of: the innermost goes */
		opcount_api_layer_pop();
		above = 0;
	} else {
		memcpy(ids, &t->layer_stack[d], above * sizeof(ids[0]));
		for (uint32_t k = 0; k <= above; k++)
			opcount_api_layer_pop();
		for (uint32_t k = 0; k < above; k++) {
			struct opc_layer_info li;

			if (opc_layer_get(ids[k], &li) == 0)
				opcount_api_layer_push(li.name, li.type);
			else
				opcount_api_layer_push("?", "");
		}
	}
	for (int j = 0; j < nt->n; j++)
		if (nt->r[j].depth > d)
			nt->r[j].depth--;
}

/* Close this thread's ranges that other threads ended. */
static void pending_close(struct nvtx_thread *nt)
{
	if (__atomic_load_n(&npending, __ATOMIC_ACQUIRE) == 0)
		return;
	pthread_mutex_lock(&pending_lock);
	for (int p = 0; p < npending; p++) {
		for (int i = nt->n - 1; i >= 0; i--) {
			if (nt->r[i].id != pending[p])
				continue;
			range_close(nt, i);
			pending[p--] = pending[npending - 1];
			__atomic_store_n(&npending, npending - 1, __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&pending_lock);
}

/* nesting level of a new push range of `domain` (0: outermost) */
static int push_level(const struct nvtx_thread *nt, int below, const void *domain)
{
	int level = 0;

	for (int i = 0; i < below; i++)
		level += nt->r[i].id == 0 && nt->r[i].domain == domain;
	return level;
}

static int range_open(const void *domain, const char *name, uint64_t id)
{
	struct nvtx_thread *nt = nvtx_thread_get();
	int saved_errno = errno, level;

	if (nt == NULL)
		return -1;
	pending_close(nt);
	level = push_level(nt, nt->n, domain);
	if (nt->n < OPEN_MAX)
		opcount_api_layer_push(name, domain_type(domain));
	if (nt->n == OPEN_MAX || opc_self == NULL)	/* no room, or no thread state */
		nt->untracked++;
	else
		nt->r[nt->n++] = (struct range){ id, domain, (uint32_t)opc_self->layer_depth };
	errno = saved_errno;
	return level;
}

static int range_pop(const void *domain)
{
	struct nvtx_thread *nt = nvtx_thread_get();
	int saved_errno = errno, level;

	if (nt == NULL)
		return -1;
	pending_close(nt);
	if (nt->untracked) {
		nt->untracked--;
		return push_level(nt, nt->n, domain);
	}
	for (int i = nt->n - 1; i >= 0; i--) {
		if (nt->r[i].id != 0 || nt->r[i].domain != domain)
			continue;
		level = push_level(nt, i, domain);
		range_close(nt, i);
		errno = saved_errno;
		return level;
	}
	return -1;
}

static uint64_t range_start(const void *domain, const char *name)
{
	uint64_t id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);

	range_open(domain, name, id);
	return id;
}

static void range_end(uint64_t id)
{
	struct nvtx_thread *nt = nvtx_thread_get();
	int saved_errno = errno;

	if (nt == NULL || id == 0)
		return;
	pending_close(nt);
	for (int i = nt->n - 1; i >= 0; i--) {
		if (nt->r[i].id == id) {
			range_close(nt, i);
			errno = saved_errno;
			return;
		}
	}
	/* another thread's, or one we could not place: its owner closes it */
	pthread_mutex_lock(&pending_lock);
	if (npending == PENDING_MAX)	/* the oldest is most likely stale */
		memmove(pending, pending + 1, (PENDING_MAX - 1) * sizeof(pending[0]));
	else
		__atomic_store_n(&npending, npending + 1, __ATOMIC_RELEASE);
	pending[npending - 1] = id;
	pthread_mutex_unlock(&pending_lock);
	errno = saved_errno;
}

/* ---- the NVTX callbacks ---- */

static int nvtx_push_a(const char *msg)
{
	char buf[NAME_LEN];

	return range_open(NULL, range_name(msg, buf), 0);
}

static int nvtx_push_w(const wchar_t *msg)
{
	char wide[NAME_LEN], buf[NAME_LEN];

	utf8_from_wide(msg, wide, sizeof(wide));
	return range_open(NULL, range_name(wide, buf), 0);
}

static int nvtx_push_ex(const struct opc_nvtx_event_attr *a)
{
	char buf[NAME_LEN];

	return range_open(NULL, attr_name(a, buf), 0);
}

static int nvtx_pop(void)
{
	return range_pop(NULL);
}

static uint64_t nvtx_start_a(const char *msg)
{
	char buf[NAME_LEN];

	return range_start(NULL, range_name(msg, buf));
}

static uint64_t nvtx_start_w(const wchar_t *msg)
{
	char wide[NAME_LEN], buf[NAME_LEN];

	utf8_from_wide(msg, wide, sizeof(wide));
	return range_start(NULL, range_name(wide, buf));
}

static uint64_t nvtx_start_ex(const struct opc_nvtx_event_attr *a)
{
	char buf[NAME_LEN];

	return range_start(NULL, attr_name(a, buf));
}

static void nvtx_end(uint64_t id)
{
	range_end(id);
}

static int nvtx_domain_push_ex(void *domain, const struct opc_nvtx_event_attr *a)
{
	char buf[NAME_LEN];

	return range_open(domain, attr_name(a, buf), 0);
}

static int nvtx_domain_pop(void *domain)
{
	return range_pop(domain);
}

static uint64_t nvtx_domain_start_ex(void *domain, const struct opc_nvtx_event_attr *a)
{
	char buf[NAME_LEN];

	return range_start(domain, attr_name(a, buf));
}

static void nvtx_domain_end(void *domain, uint64_t id)
{
	(void)domain;	/* ids are unique across domains */
	range_end(id);
}

static void *domain_create(const char *name)
{
	struct domain *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;	/* NULL is the default domain: still usable */
	d->name = strdup(name ? name : "?");
	if (d->name == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

static void *nvtx_domain_create_a(const char *name)
{
	return domain_create(name);
}

static void *nvtx_domain_create_w(const wchar_t *name)
{
	char buf[NAME_LEN];

	utf8_from_wide(name, buf, sizeof(buf));
	return domain_create(buf);
}

static void nvtx_domain_destroy(void *domain)
{
	struct domain *d = domain;

	if (d) {
		free(d->name);
		free(d);
	}
}

/*
 * A registered string's handle is our own copy of it, kept as long as the
 * process lives (the program may use a handle that long), and the same
 * for every registration of the same text: a program that registers its
 * strings in a loop does not grow.  The copies hang off a table, not only
 * off handles the program may drop (LSan took those for leaks).
 */
static void *register_string(const char *s)
{
	struct registered **head, *r;
	size_t n = strlen(s);
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	head = &registered[h % REGISTERED_BUCKETS];
	pthread_mutex_lock(&registered_lock);
	for (r = *head; r; r = r->next)
		if (!strcmp(r->s, s))
			break;
	if (r == NULL && (r = malloc(sizeof(*r) + n + 1)) != NULL) {
		memcpy(r->s, s, n + 1);
		r->next = *head;
		*head = r;
	}
	pthread_mutex_unlock(&registered_lock);
	return r ? r->s : NULL;
}

static void *nvtx_register_string_a(void *domain, const char *s)
{
	(void)domain;
	return register_string(s ? s : "?");
}

static void *nvtx_register_string_w(void *domain, const wchar_t *s)
{
	char buf[NAME_LEN];

	(void)domain;
	utf8_from_wide(s, buf, sizeof(buf));
	return register_string(buf);
}

static void set_callback(opc_nvtx_fn **table, unsigned size, unsigned id, opc_nvtx_fn fn)
{
	if (table && id < size && table[id])
		*table[id] = fn;
}

#define CB(f) ((opc_nvtx_fn)(void (*)(void))(f))

/*
 * Called once per object that initialises NVTX, with that object's export
 * table; fills its function table with ours.  Returns 1 on success (0
 * makes NVTX unload us and turn the object's calls into no-ops).
 */
OPC_EXPORT int InitializeInjectionNvtx2(opc_nvtx_get_export_table_t get)
{
	const struct opc_nvtx_etbl_callbacks *cb;
	const struct opc_nvtx_etbl_version *vi;
	opc_nvtx_fn **core = NULL, **core2 = NULL;
	unsigned ncore = 0, ncore2 = 0;

	if (get == NULL)
		return 0;
	cb = get(OPC_NVTX_ETID_CALLBACKS);
	if (cb == NULL || cb->struct_size < sizeof(*cb) || cb->get_module_function_table == NULL)
		return 0;
	if (!cb->get_module_function_table(OPC_NVTX_CB_MODULE_CORE, &core, &ncore))
		return 0;
	set_callback(core, ncore, OPC_NVTX_CBID_CORE_RangePushA, CB(nvtx_push_a));
	set_callback(core, ncore, OPC_NVTX_CBID_CORE_RangePushW, CB(nvtx_push_w));
	set_callback(core, ncore, OPC_NVTX_CBID_CORE_RangePushEx, CB(nvtx_push_ex));
	set_callback(core, ncore, OPC_NVTX_CBID_CORE_RangePop, CB(nvtx_pop));
	set_callback(core, ncore, OPC_NVTX_CBID_CORE_RangeStartA, CB(nvtx_start_a));
	set_callback(core, ncore, OPC_NVTX_CBID_CORE_RangeStartW, CB(nvtx_start_w));
	set_callback(core, ncore, OPC_NVTX_CBID_CORE_RangeStartEx, CB(nvtx_start_ex));
	set_callback(core, ncore, OPC_NVTX_CBID_CORE_RangeEnd, CB(nvtx_end));
	/* CORE2 (domains) came later: an old object may lack it */
	if (cb->get_module_function_table(OPC_NVTX_CB_MODULE_CORE2, &core2, &ncore2)) {
		set_callback(core2, ncore2, OPC_NVTX_CBID_CORE2_DomainRangePushEx,
			     CB(nvtx_domain_push_ex));
		set_callback(core2, ncore2, OPC_NVTX_CBID_CORE2_DomainRangePop, CB(nvtx_domain_pop));
		set_callback(core2, ncore2, OPC_NVTX_CBID_CORE2_DomainRangeStartEx,
			     CB(nvtx_domain_start_ex));
		set_callback(core2, ncore2, OPC_NVTX_CBID_CORE2_DomainRangeEnd, CB(nvtx_domain_end));
		set_callback(core2, ncore2, OPC_NVTX_CBID_CORE2_DomainCreateA,
			     CB(nvtx_domain_create_a));
		set_callback(core2, ncore2, OPC_NVTX_CBID_CORE2_DomainCreateW,
			     CB(nvtx_domain_create_w));
		set_callback(core2, ncore2, OPC_NVTX_CBID_CORE2_DomainDestroy,
			     CB(nvtx_domain_destroy));
		set_callback(core2, ncore2, OPC_NVTX_CBID_CORE2_DomainRegisterStringA,
			     CB(nvtx_register_string_a));
		set_callback(core2, ncore2, OPC_NVTX_CBID_CORE2_DomainRegisterStringW,
			     CB(nvtx_register_string_w));
	}
	vi = get(OPC_NVTX_ETID_VERSIONINFO);
	if (vi && vi->struct_size >= sizeof(*vi) && vi->set_injection_version)
		vi->set_injection_version(vi->version);
	pr_dbg(1, "NVTX ranges are layers (NVTX version %u)", vi ? vi->version : 0);
	return 1;
}

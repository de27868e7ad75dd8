/*
 * trace_write.c - framing and buffering of trace records.
 *
 * Frames are assembled in memory and handed to the kernel with write(2) at
 * each flush, whole frames only: a process killed between two flushes
 * leaves a file that ends on a frame boundary, and one killed inside a
 * write leaves at most one incomplete frame, which the reader drops.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "routines.h"
#include "trace.h"

uint32_t opc_crc32(const void *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

static int reserve(struct opc_writer *w, size_t n)
{
	size_t cap;
	char *p;

	if (w->error)
		return w->error;
	if (w->len + n <= w->cap)
		return 0;
	cap = w->cap ? w->cap : 4096;
	while (cap < w->len + n)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (p == NULL)
		return w->error = -ENOMEM;
	w->buf = p;
	w->cap = cap;
	return 0;
}

int opc_writer_append(struct opc_writer *w, const void *p, size_t n)
{
	int ret = reserve(w, n);

	if (ret)
		return ret;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

uint32_t opc_frame_crc(const struct opc_frame *fr, const void *payload)
{
	uint32_t head[3] = { fr->type, fr->size, fr->seq };
	uLong c = crc32(0L, (const Bytef *)head, sizeof(head));

	return (uint32_t)crc32(c, payload, (uInt)fr->size);
}

uint32_t opc_header_crc(const struct opc_file_header *h)
{
	struct opc_file_header c = *h;

	c.header_crc = 0;
	return opc_crc32(&c, sizeof(c));
}

/* The header is sealed with its checksum here: callers fill the rest. */
int opc_writer_open(struct opc_writer *w, int fd, const struct opc_file_header *h)
{
	struct opc_file_header sealed = *h;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->frame_start = (size_t)-1;
	sealed.header_crc = opc_header_crc(&sealed);
	return opc_writer_append(w, &sealed, sizeof(sealed));
}

/*
 * Open a frame of `type` with a zeroed fixed part of `fixed` bytes and
 * return a pointer to it.  The pointer is valid until the next append:
 * fill the fixed part first.
 */
void *opc_writer_begin(struct opc_writer *w, uint32_t type, size_t fixed)
{
	struct opc_frame fr = { .type = type };
	size_t off;

	w->frame_start = w->len;
	if (opc_writer_append(w, &fr, sizeof(fr)) || reserve(w, fixed))
		return NULL;
	off = w->len;
	memset(w->buf + off, 0, fixed);
	w->len += fixed;
	return w->buf + off;
}

int opc_writer_varint(struct opc_writer *w, uint64_t v)
{
	unsigned char b[10];
	int n = 0;

	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	return opc_writer_append(w, b, n);
}

void opc_writer_end(struct opc_writer *w)
{
	struct opc_frame fr;
	size_t payload;

	if (w->error || w->frame_start == (size_t)-1)
		return;
	payload = w->len - w->frame_start - sizeof(fr);
	memcpy(&fr, w->buf + w->frame_start, sizeof(fr));
	fr.size = (uint32_t)payload;
	fr.seq = w->seq++;
	fr.crc = opc_frame_crc(&fr, w->buf + w->frame_start + sizeof(fr));
	memcpy(w->buf + w->frame_start, &fr, sizeof(fr));
	w->frame_start = (size_t)-1;
	/* pad to 8 bytes so that the next frame is aligned */
	static const char zeros[8];
	size_t pad = OPC_FRAME_ALIGN(w->len) - w->len;

	if (pad)
		opc_writer_append(w, zeros, pad);
}

int opc_writer_flush(struct opc_writer *w)
{
	size_t done = 0;

	if (w->error)
		return w->error;
	while (done < w->len) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return w->error = n < 0 ? -errno : -EIO;
		done += n;
	}
	w->len = 0;
	return 0;
}

void opc_writer_release(struct opc_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

struct strtab_key {
	const struct opc_strtab *t;
	const char *s;
};

static int strtab_is(const void *arg, uint32_t id)
{
	const struct strtab_key *k = arg;

	return !strcmp(k->t->s[id - 1], k->s);
}

/* Returns 0 only when out of memory (ids start at 1). */
uint32_t opc_writer_string(struct opc_writer *w, struct opc_strtab *t, const char *s)
{
	struct strtab_key k = { t, s ? s : "" };
	uint32_t h = opc_hash_str(OPC_HASH_SEED, k.s), id;
	char *copy;

	id = opc_hashtab_find(&t->index, h, strtab_is, &k);
	if (id)
		return id;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 256;
		char **ss = realloc(t->s, cap * sizeof(*ss));

		if (ss == NULL)
			return 0;
		t->s = ss;
		t->cap = cap;
	}
	copy = strdup(k.s);
	if (copy == NULL)
		return 0;
	id = t->n + 1;
	t->s[id - 1] = copy;
	if (opc_hashtab_insert(&t->index, h, id) < 0) {
		free(copy);
		return 0;
	}
	t->n = id;

	struct opc_rec_string *r = opc_writer_begin(w, OPC_REC_STRING, sizeof(*r));

	if (r) {
		r->id = id;
		opc_writer_append(w, k.s, strlen(k.s) + 1);
		opc_writer_end(w);
	}
	return id;
}

void opc_strtab_free(struct opc_strtab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	opc_hashtab_free(&t->index);
	memset(t, 0, sizeof(*t));
}

struct stacktab_key {
	const struct opc_stacktab *t;
	const uint64_t *frames;
	uint32_t depth;
};

static int stacktab_is(const void *arg, uint32_t id)
{
	const struct stacktab_key *k = arg;
	const struct opc_stacktab_ent *e = &k->t->e[id - 1];

	return e->depth == k->depth && !memcmp(e->frames, k->frames, k->depth * sizeof(*k->frames));
}

/* The id of a stack (ids start at 1), written the first time; 0 for an
 * empty stack (no stack), or when out of memory. */
uint32_t opc_writer_stack(struct opc_writer *w, struct opc_stacktab *t, const uint64_t *frames,
			  uint32_t depth)
{
	struct stacktab_key k = { t, frames, depth };
	uint64_t h = depth;
	uint64_t *copy;
	uint32_t id;

	if (depth == 0)
		return 0;
	for (uint32_t i = 0; i < depth; i++)
		h = opc_hash_mix64(h ^ frames[i]);
	id = opc_hashtab_find(&t->index, (uint32_t)h, stacktab_is, &k);
	if (id)
		return id;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 256;
		struct opc_stacktab_ent *e = realloc(t->e, cap * sizeof(*e));

		if (e == NULL)
			return 0;
		t->e = e;
		t->cap = cap;
	}
	copy = malloc(depth * sizeof(*frames));
	if (copy == NULL)
		return 0;
	memcpy(copy, frames, depth * sizeof(*frames));
	id = t->n + 1;
	t->e[id - 1].frames = copy;
	t->e[id - 1].depth = depth;
	if (opc_hashtab_insert(&t->index, (uint32_t)h, id) < 0) {
		free(copy);
		return 0;
	}
	t->n = id;

	struct opc_rec_stack *r = opc_writer_begin(w, OPC_REC_STACK, sizeof(*r));

	if (r) {
		r->id = id;
		r->depth = depth;
		opc_writer_append(w, frames, depth * sizeof(*frames));
		opc_writer_end(w);
	}
	return id;
}

void opc_stacktab_free(struct opc_stacktab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->e[i].frames);
	free(t->e);
	opc_hashtab_free(&t->index);
	memset(t, 0, sizeof(*t));
}

void opc_writer_module(struct opc_writer *w, uint64_t base, uint64_t lo, uint64_t hi,
		       const char *path)
{
	struct opc_rec_module *r = opc_writer_begin(w, OPC_REC_MODULE, sizeof(*r));

	if (r) {
		r->base = base;
		r->lo = lo;
		r->hi = hi;
		opc_writer_append(w, path, strlen(path) + 1);
		opc_writer_end(w);
	}
}

struct opc_rec_key *opc_writer_key(struct opc_writer *w, struct opc_strtab *t, uint32_t id,
				   int rid)
{
	const struct opc_routine *r = &opc_routines[rid];
	uint32_t sym = opc_writer_string(w, t, r->symbol), op = opc_writer_string(w, t, r->op);
	uint32_t fam = opc_writer_string(w, t, r->family);
	uint32_t dims = opc_writer_string(w, t, r->dims);
	uint32_t fl = opc_writer_string(w, t, r->flags);
	struct opc_rec_key *k = opc_writer_begin(w, OPC_REC_KEY, sizeof(*k));

	if (k == NULL)
		return NULL;
	k->id = id;
	k->symbol = sym;
	k->op = op;
	k->family = fam;
	k->dims = dims;
	k->flag_names = fl;
	k->flags = r->flops_kind == OPC_FLOPS_ESTIMATED ? OPC_TKEY_ESTIMATED :
		   r->flops_kind == OPC_FLOPS_UNKNOWN ? OPC_TKEY_UNKNOWN : 0;
	k->level = r->level;
	k->prec = r->prec;
	k->iface = r->iface;
	return k;
}

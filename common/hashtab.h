/*
 * hashtab.h - the hash index of the tables that intern things (strings,
 * common/trace_write.c; layers, preload/layer.c; the tracer's routine
 * names, tracer/pt_module.c; cuDNN plans, preload/gpu_cudnn_graph.c): open
 * addressing with linear probing over a power-of-two array of slots.
 *
 * The table maps a key to an id; it does not hold the entries.  Each slot
 * is one 64-bit word: the id of an entry the caller keeps (1 and up: an
 * index + 1 into an array, a string id...; 0 is a free slot) and the
 * 32-bit hash it was inserted under.  The caller hashes its keys
 * (opc_hash_str, opc_hash_mix64 or its own) and says whether an entry
 * matches (opc_hashtab_eq_fn); the stored hash lets a probe pass the
 * other entries without asking, and lets the table grow without calling
 * back.  Every function is inline: the look-up may sit on a hot path, and
 * the comparison the caller passes is inlined with it.
 *
 * A table that grows starts zeroed (no slots) and doubles when it would be
 * more than half full; opc_hashtab_reserve sizes it up front.  A fixed
 * table lives in the caller's zeroed array (OPC_HASHTAB_FIXED,
 * opc_hashtab_init_fixed) and refuses an insert past half full.
 *
 * Threads: slots are stored with release and loaded with acquire.  A
 * reader may call opc_hashtab_find on another thread while one writer
 * inserts into a table that does not grow (a fixed one, or one reserved
 * large enough): it finds an id only after what the writer wrote before
 * inserting it.  Growing replaces the slots and removing moves them: no
 * reader may run meanwhile (hold a lock, or use a sequence counter as the
 * plan table of preload/gpu_cudnn_graph.c does).
 */
#ifndef OPC_HASHTAB_H
#define OPC_HASHTAB_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct opc_hashtab {
	uint64_t *slot;		/* (hash << 32) | id; 0: free */
	uint32_t mask;		/* slots - 1 (a power of two), when slot is set */
	uint32_t n;		/* ids in the table */
	int fixed;		/* the caller's array: never grows nor freed */
};

/* A fixed table over a zeroed array of slots whose size is a power of two. */
#define OPC_HASHTAB_FIXED(array)                                               \
	{ .slot = (array), .mask = sizeof(array) / sizeof((array)[0]) - 1, .fixed = 1 }

static inline void opc_hashtab_init_fixed(struct opc_hashtab *t, uint64_t *slots, uint32_t nslots)
{
	t->slot = slots;
	t->mask = nslots - 1;
	t->n = 0;
	t->fixed = 1;
}

/* Is entry `id` the one looked for?  arg is what the caller passed to find
 * (its key, and where its entries are). */
typedef int (*opc_hashtab_eq_fn)(const void *arg, uint32_t id);

/* The id inserted under hash for which eq(arg, id) holds; 0 if none. */
static inline uint32_t opc_hashtab_find(const struct opc_hashtab *t, uint32_t hash,
					opc_hashtab_eq_fn eq, const void *arg)
{
	const uint64_t *slot = t->slot;
	uint32_t i = hash & t->mask;
	uint64_t s;

	if (slot == NULL)
		return 0;
	while ((s = __atomic_load_n(&slot[i], __ATOMIC_ACQUIRE)) != 0) {
		if ((uint32_t)(s >> 32) == hash && eq(arg, (uint32_t)s))
			return (uint32_t)s;
		i = (i + 1) & t->mask;
	}
	return 0;
}

/* into the first free slot of its probe sequence */
static inline void opc_hashtab_put(uint64_t *slot, uint32_t mask, uint64_t s)
{
	uint32_t i = (uint32_t)(s >> 32) & mask;

	while (slot[i])
		i = (i + 1) & mask;
	__atomic_store_n(&slot[i], s, __ATOMIC_RELEASE);
}

/* Room for n ids, at most half full: 0, -ENOMEM, or -ENOSPC (fixed). */
static inline int opc_hashtab_reserve(struct opc_hashtab *t, uint32_t n)
{
	uint32_t have = t->slot ? t->mask + 1 : 0, want = 16;
	uint64_t *slot;

	if (n > 1u << 30)
		return -ENOSPC;
	if (t->slot && 2 * n <= have)
		return 0;
	if (t->fixed)
		return -ENOSPC;
	while (want < 2 * n)
		want *= 2;
	slot = calloc(want, sizeof(*slot));
	if (slot == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < have; i++)
		if (t->slot[i])
			opc_hashtab_put(slot, want - 1, t->slot[i]);
	free(t->slot);
	t->slot = slot;
	t->mask = want - 1;
	return 0;
}

/* Add id (>= 1, not in the table yet) under hash: 0, -ENOMEM, or -ENOSPC
 * (a fixed table half full). */
static inline int opc_hashtab_insert(struct opc_hashtab *t, uint32_t hash, uint32_t id)
{
	int ret = opc_hashtab_reserve(t, t->n + 1);

	if (ret < 0)
		return ret;
	opc_hashtab_put(t->slot, t->mask, (uint64_t)hash << 32 | id);
	t->n++;
	return 0;
}

/*
 * Take id (inserted under hash) out: 0, or -ENOENT.  The entries after it
 * in its run move back into the hole unless that would put them before
 * their home slot, so there are no tombstones and a probe still stops at
 * the first free slot.
 */
static inline int opc_hashtab_remove(struct opc_hashtab *t, uint32_t hash, uint32_t id)
{
	uint64_t want = (uint64_t)hash << 32 | id, s;
	uint32_t mask = t->mask, i = hash & mask, j;

	if (t->slot == NULL)
		return -ENOENT;
	while ((s = t->slot[i]) != want) {
		if (s == 0)
			return -ENOENT;
		i = (i + 1) & mask;
	}
	for (j = i;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if ((s = t->slot[j]) == 0)
			break;
		home = (uint32_t)(s >> 32) & mask;
		/* it stays unless its home lies (cyclically) in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			__atomic_store_n(&t->slot[i], s, __ATOMIC_RELEASE);
			i = j;
		}
	}
	__atomic_store_n(&t->slot[i], 0, __ATOMIC_RELEASE);
	t->n--;
	return 0;
}

/* Empty the table: a growing one frees its slots, a fixed one zeroes them. */
static inline void opc_hashtab_free(struct opc_hashtab *t)
{
	if (t->fixed) {
		memset(t->slot, 0, ((size_t)t->mask + 1) * sizeof(*t->slot));
	} else {
		free(t->slot);
		t->slot = NULL;
		t->mask = 0;
	}
	t->n = 0;
}

/* ---- hashes ---- */

#define OPC_HASH_SEED 2166136261u	/* FNV-1a offset basis */

/* FNV-1a over a string, continuing from h (OPC_HASH_SEED to start). */
static inline uint32_t opc_hash_str(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* A 64-bit word (an address, a running hash xor a frame) mixed so that
 * its low bits depend on all of it. */
static inline uint64_t opc_hash_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

#endif

/*
 * test_hashtab.c - the hash index of common/hashtab.h: insert, find, grow,
 * many keys, collisions (same hash, same home slot, runs that wrap past
 * the end of the array), removal against a brute-force model, and fixed
 * tables.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hashtab.h"

/* The entries: key[id] for ids 1..NKEYS, each the number written out. */
#define NKEYS 20000
static char key[NKEYS + 1][16];

static int key_is(const void *arg, uint32_t id)
{
	return !strcmp(key[id], arg);
}

static int setup(void **state)
{
	(void)state;
	for (int i = 1; i <= NKEYS; i++)
		snprintf(key[i], sizeof(key[i]), "k%d", i);
	return 0;
}

static uint32_t hash_of(const char *s)
{
	return opc_hash_str(OPC_HASH_SEED, s);
}

static void test_hashes(void **state)
{
	(void)state;
	/* FNV-1a's published values */
	assert_int_equal(opc_hash_str(OPC_HASH_SEED, ""), 0x811c9dc5u);
	assert_int_equal(opc_hash_str(OPC_HASH_SEED, "a"), 0xe40c292cu);
	assert_int_equal(opc_hash_str(OPC_HASH_SEED, "foobar"), 0xbf9cf968u);
	/* continuing a hash is hashing the concatenation */
	assert_int_equal(opc_hash_str(opc_hash_str(OPC_HASH_SEED, "foo"), "bar"), 0xbf9cf968u);
	assert_true(opc_hash_mix64(0) == 0);
	/* addresses 16 bytes apart land in different low bits */
	assert_true((opc_hash_mix64(0x7f0000001000ull) & 1023) !=
		    (opc_hash_mix64(0x7f0000001010ull) & 1023));
}

static void test_insert_find(void **state)
{
	struct opc_hashtab t = { 0 };

	(void)state;
	/* a zeroed table is empty */
	assert_int_equal(opc_hashtab_find(&t, hash_of("k1"), key_is, "k1"), 0);
	assert_int_equal(opc_hashtab_remove(&t, hash_of("k1"), 1), -ENOENT);
	for (uint32_t id = 1; id <= 3; id++)
		assert_int_equal(opc_hashtab_insert(&t, hash_of(key[id]), id), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.mask + 1, 16);	/* the smallest table */
	for (uint32_t id = 1; id <= 3; id++)
		assert_int_equal(opc_hashtab_find(&t, hash_of(key[id]), key_is, key[id]), id);
	assert_int_equal(opc_hashtab_find(&t, hash_of("k4"), key_is, "k4"), 0);
	/* the same hash, another key: not found */
	assert_int_equal(opc_hashtab_find(&t, hash_of("k1"), key_is, "other"), 0);
	opc_hashtab_free(&t);
	assert_null(t.slot);
	assert_int_equal(t.n, 0);
	assert_int_equal(opc_hashtab_find(&t, hash_of("k1"), key_is, "k1"), 0);
	/* usable again */
	assert_int_equal(opc_hashtab_insert(&t, hash_of("k2"), 2), 0);
	assert_int_equal(opc_hashtab_find(&t, hash_of("k2"), key_is, "k2"), 2);
	opc_hashtab_free(&t);
}

/* Grows by doubling, never more than half full, and loses nothing. */
static void test_grow_many(void **state)
{
	struct opc_hashtab t = { 0 };

	(void)state;
	for (uint32_t id = 1; id <= NKEYS; id++) {
		uint32_t before = t.slot ? t.mask + 1 : 0;

		assert_int_equal(opc_hashtab_insert(&t, hash_of(key[id]), id), 0);
		assert_int_equal(t.n, id);
		assert_true(2 * t.n <= t.mask + 1);
		if (before && t.mask + 1 != before)
			assert_int_equal(t.mask + 1, 2 * before);
	}
	assert_int_equal(t.mask + 1, 65536);	/* 20000 ids: 2 x 20000 <= 65536 */
	for (uint32_t id = 1; id <= NKEYS; id++)
		assert_int_equal(opc_hashtab_find(&t, hash_of(key[id]), key_is, key[id]), id);
	assert_int_equal(opc_hashtab_find(&t, hash_of("k0"), key_is, "k0"), 0);
	assert_int_equal(opc_hashtab_find(&t, hash_of("k20001"), key_is, "k20001"), 0);
	opc_hashtab_free(&t);
}

/* reserve sizes the table once: filling it up to half never moves it */
static void test_reserve(void **state)
{
	struct opc_hashtab t = { 0 };
	uint64_t *slot;

	(void)state;
	assert_int_equal(opc_hashtab_reserve(&t, 1000), 0);
	assert_int_equal(t.mask + 1, 2048);
	slot = t.slot;
	for (uint32_t id = 1; id <= 1024; id++)	/* half of 2048 */
		assert_int_equal(opc_hashtab_insert(&t, hash_of(key[id]), id), 0);
	assert_ptr_equal(t.slot, slot);
	assert_int_equal(opc_hashtab_reserve(&t, 10), 0);	/* never shrinks */
	assert_ptr_equal(t.slot, slot);
	assert_int_equal(opc_hashtab_insert(&t, hash_of(key[1025]), 1025), 0);
	assert_int_equal(t.mask + 1, 4096);
	for (uint32_t id = 1; id <= 1025; id++)
		assert_int_equal(opc_hashtab_find(&t, hash_of(key[id]), key_is, key[id]), id);
	opc_hashtab_free(&t);
}

/*
 * Collisions: every key under one hash (the comparison tells them apart),
 * and keys with different hashes that share a home slot (the stored hash
 * tells them apart without asking).
 */
static int asked;

static int key_is_counted(const void *arg, uint32_t id)
{
	asked++;
	return key_is(arg, id);
}

static void test_collisions(void **state)
{
	struct opc_hashtab t = { 0 };

	(void)state;
	for (uint32_t id = 1; id <= 500; id++)
		assert_int_equal(opc_hashtab_insert(&t, 7, id), 0);
	for (uint32_t id = 1; id <= 500; id++)
		assert_int_equal(opc_hashtab_find(&t, 7, key_is, key[id]), id);
	assert_int_equal(opc_hashtab_find(&t, 7, key_is, "nothere"), 0);
	opc_hashtab_free(&t);

	/* the same home slot (low bits), hashes that differ above the mask */
	for (uint32_t id = 1; id <= 500; id++)
		assert_int_equal(opc_hashtab_insert(&t, id << 20 | 5, id), 0);
	assert_true(t.mask < 1u << 20);
	asked = 0;
	for (uint32_t id = 1; id <= 500; id++)
		assert_int_equal(opc_hashtab_find(&t, id << 20 | 5, key_is_counted, key[id]), id);
	assert_int_equal(asked, 500);	/* only the entry with its hash was compared */
	opc_hashtab_free(&t);
}

/* Removal, against a brute-force model, in a small fixed table where runs
 * are long and wrap around its end. */
static void test_remove_model(void **state)
{
	static uint64_t slots[64];
	struct opc_hashtab t = OPC_HASHTAB_FIXED(slots);
	uint32_t hash[NKEYS + 1];
	int in[200] = { 0 }, n = 0;
	unsigned seed = 12345;

	(void)state;
	assert_int_equal(t.mask, 63);
	for (int id = 1; id < 200; id++)	/* few distinct homes, near the end */
		hash[id] = (uint32_t)id << 16 | (58 + id % 9);
	for (int step = 0; step < 20000; step++) {
		int id;

		seed = seed * 1103515245u + 12345u;
		id = 1 + (seed >> 16) % 199;
		if (in[id]) {
			assert_int_equal(opc_hashtab_remove(&t, hash[id], id), 0);
			in[id] = 0;
			n--;
		} else if (n < 32) {
			assert_int_equal(opc_hashtab_insert(&t, hash[id], id), 0);
			in[id] = 1;
			n++;
		} else {
			assert_int_equal(opc_hashtab_insert(&t, hash[id], id), -ENOSPC);
		}
		assert_int_equal(t.n, n);
		if (step % 7)
			continue;
		for (int k = 1; k < 200; k++)
			assert_int_equal(opc_hashtab_find(&t, hash[k], key_is, key[k]),
					 in[k] ? k : 0);
	}
	/* removing what is not there changes nothing */
	for (int k = 1; k < 200; k++)
		if (!in[k])
			assert_int_equal(opc_hashtab_remove(&t, hash[k], k), -ENOENT);
	assert_int_equal(t.n, n);
	opc_hashtab_free(&t);
	for (int i = 0; i < 64; i++)
		assert_true(slots[i] == 0);
}

/* A fixed table takes up to half its slots and never allocates. */
static void test_fixed(void **state)
{
	uint64_t slots[8] = { 0 };
	struct opc_hashtab t;

	(void)state;
	opc_hashtab_init_fixed(&t, slots, 8);
	for (uint32_t id = 1; id <= 4; id++)
		assert_int_equal(opc_hashtab_insert(&t, hash_of(key[id]), id), 0);
	assert_int_equal(opc_hashtab_insert(&t, hash_of(key[5]), 5), -ENOSPC);
	assert_int_equal(opc_hashtab_reserve(&t, 5), -ENOSPC);
	assert_int_equal(opc_hashtab_reserve(&t, 4), 0);
	assert_ptr_equal(t.slot, slots);
	for (uint32_t id = 1; id <= 4; id++)
		assert_int_equal(opc_hashtab_find(&t, hash_of(key[id]), key_is, key[id]), id);
	assert_int_equal(opc_hashtab_remove(&t, hash_of(key[2]), 2), 0);
	assert_int_equal(opc_hashtab_insert(&t, hash_of(key[5]), 5), 0);
	assert_int_equal(opc_hashtab_find(&t, hash_of(key[2]), key_is, key[2]), 0);
	assert_int_equal(opc_hashtab_find(&t, hash_of(key[5]), key_is, key[5]), 5);
	opc_hashtab_free(&t);
	assert_ptr_equal(t.slot, slots);
	assert_int_equal(t.n, 0);
	assert_int_equal(opc_hashtab_find(&t, hash_of(key[5]), key_is, key[5]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_insert_find),
		cmocka_unit_test(test_grow_many),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_remove_model),
		cmocka_unit_test(test_fixed),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

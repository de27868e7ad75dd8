/*
 * symbolize.c - offline symbolization of call sites with elfutils' libdwfl.
 *
 * The trace records every module's path and load bias; each is reported
 * to a Dwfl at that address, so lookups work on the files as they are on
 * disk now, without the process.  With debug information the result is
 * "function (file.c:123)", without it "function+0x1f (libx.so)", and an
 * address in no known module stays "0x7f...".
 */
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "hashtab.h"
#include "symbolize.h"

struct cache_ent {
	uint64_t addr;
	char *text;
};

/* Addresses already resolved, found through a hash: a trace may hold
 * many thousand distinct sites and stack frames. */
struct cache {
	struct cache_ent *e;
	size_t cap, n;
	struct opc_hashtab index;	/* key -> e[] + 1 */
};

struct opc_symbolizer {
	Dwfl *dwfl;
	const struct opc_trace *t;
	struct cache full, func;	/* opc_sym_addr's, opc_sym_func's */
};

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

struct opc_symbolizer *opc_sym_new(const struct opc_trace *t)
{
	struct opc_symbolizer *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->t = t;
	s->dwfl = dwfl_begin(&offline_callbacks);
	if (s->dwfl == NULL)
		return s;
	dwfl_report_begin(s->dwfl);
	for (size_t i = 0; i < t->nmodules; i++) {
		const struct opc_tmodule *m = &t->modules[i];

		/* A file that changed or vanished since the run is skipped:
		 * its addresses print as module+offset.  The path is the
		 * trace's word, so it is opened here, without blocking, and
		 * used only if it is a regular file (libdwfl would open a FIFO
		 * and wait for ever); libdwfl keeps the descriptor. */
		int fd = opc_open_regular(m->path, O_RDONLY, 0);

		if (fd < 0)
			continue;
		if (dwfl_report_elf(s->dwfl, m->path, m->path, fd, m->base, false) == NULL)
			close(fd);
	}
	dwfl_report_end(s->dwfl, NULL, NULL);
	return s;
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

static const struct opc_tmodule *module_of(const struct opc_trace *t, uint64_t addr)
{
	for (size_t i = 0; i < t->nmodules; i++)
		if (addr >= t->modules[i].lo && addr < t->modules[i].hi)
			return &t->modules[i];
	return NULL;
}

static char *resolve(struct opc_symbolizer *s, uint64_t addr, int is_return, int func_only)
{
	/* A return address points after the call: look up the call. */
	uint64_t pc = is_return && addr ? addr - 1 : addr;
	const struct opc_tmodule *m = module_of(s->t, addr);
	Dwfl_Module *mod = s->dwfl ? dwfl_addrmodule(s->dwfl, pc) : NULL;
	const char *fn = NULL, *file = NULL;
	GElf_Off off = 0;
	GElf_Sym sym;
	int line = 0;
	char buf[1024];

	if (mod) {
		fn = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
		Dwfl_Line *l = dwfl_module_getsrc(mod, pc);

		if (l)
			file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
	}
	if (fn && func_only)
		snprintf(buf, sizeof(buf), "%s", fn);
	else if (func_only && m)
		snprintf(buf, sizeof(buf), "%s+0x%llx", base_name(m->path),
			 (unsigned long long)(addr - m->base));
	else if (fn && file && line > 0)
		snprintf(buf, sizeof(buf), "%s (%s:%d)", fn, base_name(file), line);
	else if (fn && m)
		snprintf(buf, sizeof(buf), "%s+0x%llx (%s)", fn, (unsigned long long)off,
			 base_name(m->path));
	else if (m)
		snprintf(buf, sizeof(buf), "%s+0x%llx", base_name(m->path),
			 (unsigned long long)(addr - m->base));
	else
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)addr);
	return strdup(buf);
}

struct cache_key {
	const struct cache *c;
	uint64_t key;
};

static int cache_is(const void *arg, uint32_t id)
{
	const struct cache_key *k = arg;

	return k->c->e[id - 1].addr == k->key;
}

static const char *lookup(struct opc_symbolizer *s, struct cache *c, uint64_t key,
			  uint64_t addr, int is_return, int func_only)
{
	struct cache_key k = { c, key };
	uint32_t h = (uint32_t)opc_hash_mix64(key);
	uint32_t id = opc_hashtab_find(&c->index, h, cache_is, &k);

	if (id)
		return c->e[id - 1].text;
	if (c->n >= UINT32_MAX / 2)
		return "?";
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct cache_ent *e = realloc(c->e, cap * sizeof(*e));

		if (e == NULL)
			return "?";
		c->e = e;
		c->cap = cap;
	}
	char *text = resolve(s, addr, is_return, func_only);

	if (text == NULL)
		return "?";
	if (opc_hashtab_insert(&c->index, h, (uint32_t)c->n + 1) < 0) {
		free(text);
		return "?";
	}
	c->e[c->n++] = (struct cache_ent){ key, text };
	return text;
}

const char *opc_sym_addr(struct opc_symbolizer *s, uint64_t addr, int is_return)
{
	return lookup(s, &s->full, addr, addr, is_return, 0);
}

const char *opc_sym_func(struct opc_symbolizer *s, uint64_t addr, int is_return)
{
	/* is_return changes the answer: keep the two kinds apart */
	return lookup(s, &s->func, addr * 2 + !!is_return, addr, is_return, 1);
}

void opc_sym_free(struct opc_symbolizer *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->full.n; i++)
		free(s->full.e[i].text);
	free(s->full.e);
	opc_hashtab_free(&s->full.index);
	for (size_t i = 0; i < s->func.n; i++)
		free(s->func.e[i].text);
	free(s->func.e);
	opc_hashtab_free(&s->func.index);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s);
}

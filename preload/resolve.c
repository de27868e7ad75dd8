/*
 * resolve.c - find the real BLAS/LAPACK routine wherever it was loaded.
 *
 * dlsym(RTLD_NEXT) only searches the global scope after us.  Debian's NumPy
 * and PyTorch load their BLAS as a dependency of an extension module opened
 * with RTLD_LOCAL, which the global scope never contains: RTLD_NEXT returns
 * NULL there, and a wrapper trusting it would crash the interpreter.  So we
 * walk every loaded object with dl_iterate_phdr and look the symbol up in
 * its own dynamic symbol table (GNU or SysV hash), skipping ourselves, in
 * load order, which is the order the dynamic linker itself searches.
 *
 * Every pointer is resolved by one function, called lazily by any wrapper
 * whose pointer is still NULL; a rescan happens only when objects were
 * added since the last one (dlpi_adds), so libraries opened after start-up
 * are found and a missing optional routine costs one check.
 */
#define PR_FMT "opcount"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "export.h"
#include "log.h"
#include "resolve.h"
#include "routines.h"

OPC_HIDDEN void *opc_real_fn[OPC_NROUTINES];
OPC_HIDDEN unsigned opc_resolve_gen;

static pthread_mutex_t resolve_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long last_adds = ~0ull;
static uintptr_t self_lo, self_hi;

struct dso_syms {
	uintptr_t base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const uint32_t *gnu_hash;
	const uint32_t *sysv_hash;
};

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0, g;

	for (; *s; s++) {
		h = (h << 4) + (unsigned char)*s;
		g = h & 0xf0000000;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

static int sym_usable(const struct dso_syms *d, const ElfW(Sym) *sym, const char *name)
{
	int type = ELF64_ST_TYPE(sym->st_info);
	int bind = ELF64_ST_BIND(sym->st_info);

	if (sym->st_shndx == SHN_UNDEF || sym->st_value == 0)
		return 0;
	if (type != STT_FUNC && type != STT_GNU_IFUNC)
		return 0;
	if (bind != STB_GLOBAL && bind != STB_WEAK)
		return 0;
	return strcmp(d->strtab + sym->st_name, name) == 0;
}

static const ElfW(Sym) *lookup_gnu(const struct dso_syms *d, const char *name, uint32_t h)
{
	const uint32_t *ht = d->gnu_hash;
	uint32_t nbuckets = ht[0], symoffset = ht[1];
	uint32_t bloom_size = ht[2], bloom_shift = ht[3];
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)&ht[4];
	const uint32_t *buckets = (const uint32_t *)&bloom[bloom_size];
	const uint32_t *chain = &buckets[nbuckets];
	const unsigned bits = sizeof(ElfW(Addr)) * 8;
	ElfW(Addr) word, mask;
	uint32_t ix;

	if (nbuckets == 0 || bloom_size == 0)
		return NULL;
	word = bloom[(h / bits) % bloom_size];
	mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> bloom_shift) % bits));
	if ((word & mask) != mask)
		return NULL;
	ix = buckets[h % nbuckets];
	if (ix < symoffset)
		return NULL;
	for (;; ix++) {
		uint32_t h2 = chain[ix - symoffset];

		if ((h | 1) == (h2 | 1) && sym_usable(d, &d->symtab[ix], name))
			return &d->symtab[ix];
		if (h2 & 1)
			return NULL;
	}
}

static const ElfW(Sym) *lookup_sysv(const struct dso_syms *d, const char *name)
{
	const uint32_t *ht = d->sysv_hash;
	uint32_t nbucket = ht[0];
	const uint32_t *bucket = &ht[2], *chain = &ht[2 + nbucket];

	if (nbucket == 0)
		return NULL;
	for (uint32_t ix = bucket[sysv_hash(name) % nbucket]; ix; ix = chain[ix])
		if (sym_usable(d, &d->symtab[ix], name))
			return &d->symtab[ix];
	return NULL;
}

/*
 * glibc relocates the d_ptr entries of writable dynamic sections in place,
 * other loaders and read-only sections do not: an address below the load
 * base is still a link-time address.
 */
static const void *dyn_ptr(uintptr_t base, ElfW(Addr) p)
{
	return (const void *)(p < base ? base + p : p);
}

static int dso_syms_init(struct dl_phdr_info *info, struct dso_syms *d)
{
	const ElfW(Dyn) *dyn = NULL;

	memset(d, 0, sizeof(*d));
	d->base = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (dyn == NULL)
		return -ENOENT;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			d->symtab = dyn_ptr(d->base, dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			d->strtab = dyn_ptr(d->base, dyn->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			d->gnu_hash = dyn_ptr(d->base, dyn->d_un.d_ptr);
			break;
		case DT_HASH:
			d->sysv_hash = dyn_ptr(d->base, dyn->d_un.d_ptr);
			break;
		}
	}
	if (!d->symtab || !d->strtab || (!d->gnu_hash && !d->sysv_hash))
		return -ENOENT;
	return 0;
}

static int object_is_self(struct dl_phdr_info *info)
{
	uintptr_t self = __atomic_load_n(&self_lo, __ATOMIC_ACQUIRE);

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && self >= lo && self < lo + ph->p_memsz)
			return 1;
	}
	return 0;
}

struct scan {
	unsigned long long adds;
	int found;
};

static int scan_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct scan *sc = arg;
	struct dso_syms d;

	(void)size;
	if (object_is_self(info) || dso_syms_init(info, &d) < 0)
		return 0;
	if (info->dlpi_name && strstr(info->dlpi_name, "linux-vdso"))
		return 0;

	for (int rid = 0; rid < opc_nroutines; rid++) {
		const char *name = opc_routines[rid].symbol;
		const ElfW(Sym) *sym;
		void *p;

		if (opc_real_fn[rid])
			continue;
		sym = d.gnu_hash ? lookup_gnu(&d, name, gnu_hash(name)) : lookup_sysv(&d, name);
		if (sym == NULL)
			continue;
		p = (void *)(d.base + sym->st_value);
		if (ELF64_ST_TYPE(sym->st_info) == STT_GNU_IFUNC)
			p = ((void *(*)(void))p)();
		if (p == NULL || opc_in_self((uintptr_t)p))
			continue;
		pr_dbg(2, "%s -> %p in %s", name, p,
		       info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "(main)");
		__atomic_store_n(&opc_real_fn[rid], p, __ATOMIC_RELEASE);
		sc->found++;
	}
	return 0;
}

/* Computed whole, then published (self_hi before self_lo): another
 * thread's opc_in_self (a stack captured at a layer push, say) sees
 * either no bounds or the final ones, never a half-extended range. */
static void self_bounds(void)
{
	Dl_info dli;
	ElfW(Ehdr) *eh;
	uintptr_t slo, shi;

	if (__atomic_load_n(&self_lo, __ATOMIC_ACQUIRE))
		return;
	if (dladdr((void *)self_bounds, &dli) == 0 || dli.dli_fbase == NULL)
		return;
	eh = dli.dli_fbase;
	slo = shi = (uintptr_t)self_bounds;
	/* Extend to every PT_LOAD of our own image. */
	for (int i = 0; i < eh->e_phnum; i++) {
		const ElfW(Phdr) *ph = (const void *)((char *)eh + eh->e_phoff +
						      i * eh->e_phentsize);
		uintptr_t lo = (uintptr_t)eh + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (lo < slo)
			slo = lo;
		if (lo + ph->p_memsz > shi)
			shi = lo + ph->p_memsz;
	}
	__atomic_store_n(&self_hi, shi, __ATOMIC_RELAXED);
	__atomic_store_n(&self_lo, slo, __ATOMIC_RELEASE);
}

/* The bounds are made at the first question if nothing resolved a
 * routine before (a layer pushed before the first BLAS call captures a
 * stack): without them our own frames would stay in the stack.  Any
 * thread may make them: every one computes the same values. */
int opc_in_self(uintptr_t addr)
{
	uintptr_t lo = __atomic_load_n(&self_lo, __ATOMIC_ACQUIRE);

	if (__builtin_expect(lo == 0, 0)) {
		self_bounds();
		lo = __atomic_load_n(&self_lo, __ATOMIC_ACQUIRE);
	}
	return lo && addr >= lo && addr < __atomic_load_n(&self_hi, __ATOMIC_RELAXED);
}

static int probe_adds(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct scan *sc = arg;

	if (size >= offsetof(struct dl_phdr_info, dlpi_adds) + sizeof(info->dlpi_adds))
		sc->adds = info->dlpi_adds;
	return 1;	/* the counters are the same in every entry */
}

/* Resolve every routine whose pointer is still NULL; return rid's. */
void *opc_resolve(int rid)
{
	struct scan probe = { 0, 0 }, sc = { 0, 0 };
	int saved_errno = errno;

	/* Injected: the tracer set every pointer its jumps lead to, and a
	 * search would find the patched entry itself (inject.c). */
	if (__atomic_load_n(&opc_cfg()->inject, __ATOMIC_ACQUIRE))
		return opc_real_fn[rid];
	pthread_mutex_lock(&resolve_lock);
	self_bounds();
	if (opc_real_fn[rid] == NULL) {
		dl_iterate_phdr(probe_adds, &probe);
		if (probe.adds != last_adds || probe.adds == 0) {
			dl_iterate_phdr(scan_object, &sc);
			last_adds = probe.adds;
			pr_dbg(1, "resolved %d routines", sc.found);
		}
	}
	pthread_mutex_unlock(&resolve_lock);
	errno = saved_errno;
	return opc_real_fn[rid];
}

/*
 * The program called a routine that no loaded object defines: it found
 * ours through dlsym(RTLD_DEFAULT) or a weak reference.  There is nothing
 * to forward to; say so once per routine and return without effect.
 */
void opc_real_missing(int rid)
{
	static unsigned char warned[OPC_NROUTINES];

	if (!__atomic_exchange_n(&warned[rid], 1, __ATOMIC_RELAXED))
		pr_err("%s called but no loaded library defines it; the call did nothing",
		       opc_routines[rid].symbol);
}

/*
 * After a dlclose the library that held a routine may be gone, and a
 * later dlopen may map it elsewhere: forget every pointer, re-resolve on
 * the next call.
 */
void opc_resolve_forget(void)
{
	pthread_mutex_lock(&resolve_lock);
	for (int i = 0; i < OPC_NROUTINES; i++)
		__atomic_store_n(&opc_real_fn[i], NULL, __ATOMIC_RELEASE);
	last_adds = ~0ull;
	__atomic_add_fetch(&opc_resolve_gen, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&resolve_lock);
}

struct scan_name {
	const char *name;
	uint32_t hash;
	void *p;
};

static int scan_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct scan_name *sn = arg;
	const ElfW(Sym) *sym;
	struct dso_syms d;

	(void)size;
	if (object_is_self(info) || dso_syms_init(info, &d) < 0)
		return 0;
	if (info->dlpi_name && strstr(info->dlpi_name, "linux-vdso"))
		return 0;
	sym = d.gnu_hash ? lookup_gnu(&d, sn->name, sn->hash) : lookup_sysv(&d, sn->name);
	if (sym == NULL)
		return 0;
	sn->p = (void *)(d.base + sym->st_value);
	if (ELF64_ST_TYPE(sym->st_info) == STT_GNU_IFUNC)
		sn->p = ((void *(*)(void))sn->p)();
	return sn->p != NULL && !opc_in_self((uintptr_t)sn->p);
}

unsigned long long opc_resolve_epoch(void)
{
	struct scan probe = { 0, 0 };

	dl_iterate_phdr(probe_adds, &probe);
	return probe.adds;
}

/* One symbol of another object, first in load order; NULL if none.  Not
 * cached here: callers keep it with opc_resolve_gen (see gpu.h). */
void *opc_resolve_name(const char *name)
{
	struct scan_name sn = { name, gnu_hash(name), NULL };
	int saved_errno = errno;

	pthread_mutex_lock(&resolve_lock);
	self_bounds();
	if (!dl_iterate_phdr(scan_one, &sn))
		sn.p = NULL;
	pthread_mutex_unlock(&resolve_lock);
	errno = saved_errno;
	return sn.p;
}

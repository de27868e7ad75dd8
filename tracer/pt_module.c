/*
 * pt_module.c - what the tracee has mapped, and the routines in it.
 *
 * Every entry point named in opc_routines[] is found in the executable
 * and in each shared object as it is mapped (libelf on the mapped files:
 * .symtab and .dynsym, so a statically linked program is covered), and
 * gets an int3, or with --inject a jump to the library's wrapper.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hashtab.h"
#include "log.h"
#include "pt_internal.h"

/* ---- routine names ---------------------------------------------------- */

static struct opc_hashtab rnames;	/* opc_routines[].symbol -> rid + 1 */

static int rname_is(const void *arg, uint32_t id)
{
	return !strcmp(opc_routines[id - 1].symbol, arg);
}

int pt_rnames_init(void)
{
	if (rnames.slot)	/* built already */
		return 0;
	if (opc_hashtab_reserve(&rnames, opc_nroutines) < 0)
		return -ENOMEM;
	for (int rid = 0; rid < opc_nroutines; rid++) {
		/* GPU calls return before their work is done: a breakpoint
		 * would time nothing; they are the preload library's */
		if (opc_iface_gpu(opc_routines[rid].iface))
			continue;
		/* oneDNN: the shape is in descriptors the tracer cannot
		 * query from outside; the preload library's alone */
		if (opc_routines[rid].iface == OPC_IF_DNNL)
			continue;
		/* MPI: sizes from MPI_Type_size in the process; the
		 * preload library's alone */
		if (opc_routines[rid].iface == OPC_IF_MPI)
			continue;
		/* reserved: cannot fail */
		opc_hashtab_insert(&rnames, opc_hash_str(OPC_HASH_SEED, opc_routines[rid].symbol),
				   rid + 1);
	}
	return 0;
}

int pt_rname_find(const char *s)
{
	return (int)opc_hashtab_find(&rnames, opc_hash_str(OPC_HASH_SEED, s), rname_is, s) - 1;
}

/* ---- symbols ---------------------------------------------------------- */

/* The one walk over a module's symbol tables (libelf on the mapped file). */
int pt_module_symbols(struct tracer *tr, int mi, int tables,
		      int (*fn)(const struct pt_sym *s, void *arg), void *arg)
{
	const struct module *m = &tr->mods[mi];
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	int stop = 0, ret;
	Elf *e;

	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ret = e ? 0 : -EIO;
	while (e && !stop && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_entsize == 0 ||
		    !((sh.sh_type == SHT_SYMTAB && (tables & PT_SYMTAB)) ||
		      (sh.sh_type == SHT_DYNSYM && (tables & PT_DYNSYM))) ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !stop; i++) {
			struct pt_sym s;
			GElf_Sym sym;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    sym.st_value == 0 || !(s.name = elf_strptr(e, sh.sh_link, sym.st_name)))
				continue;
			s.addr = sym.st_value + m->bias;
			s.size = sym.st_size;
			s.type = GELF_ST_TYPE(sym.st_info);
			stop = fn(&s, arg);
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return ret;
}

struct scan {
	struct tracer *tr;
	int mi;
	int planted;
};

static int scan_sym(const struct pt_sym *s, void *arg)
{
	struct scan *sc = arg;
	struct tracer *tr = sc->tr;
	const struct module *m = &tr->mods[sc->mi];
	int rid, kind = BP_ENTRY;

	if (s->type != STT_FUNC || s->addr < m->lo || s->addr >= m->hi)
		return 0;
	rid = pt_rname_find(s->name);
	if (rid < 0) {
		if (strcmp(s->name, "_dl_debug_state"))
			return 0;
		kind = BP_DLSTATE;
	}
	if (kind == BP_ENTRY && tr->inj == INJ_PENDING)
		return 0;	/* the library is not loaded yet */
	if (kind == BP_ENTRY && tr->inj == INJ_ACTIVE)
		pt_patch_entry(tr, sc->mi, s->addr, rid, s->size);
	else if (pt_bp_plant(tr, s->addr, kind, rid, sc->mi) == 0)
		sc->planted++;
	return 0;
}

/* Plants a breakpoint on every routine (and on _dl_debug_state) that the
 * ELF file of module mi defines. */
void pt_module_scan(struct tracer *tr, int mi)
{
	struct scan sc = { tr, mi, 0 };

	pt_module_symbols(tr, mi, PT_SYMTAB | PT_DYNSYM, scan_sym, &sc);
	pr_dbg(1, "%s: %d breakpoints", tr->mods[mi].path, sc.planted);
}

/* The load bias of an ELF file whose lowest mapping starts at `lo`. */
static uint64_t elf_bias(const char *path, uint64_t lo)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t first = UINT64_MAX;
	Elf *e;
	size_t n;

	if (fd < 0)
		return lo;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && elf_getphdrnum(e, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < first)
				first = ph.p_vaddr;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	if (first == UINT64_MAX)
		return lo;
	return lo - (first & ~(uint64_t)0xfff);
}

/*
 * Reads /proc/PID/maps: every file with an executable mapping that is
 * new gets its breakpoints; modules no longer mapped are forgotten.
 */
void pt_maps_scan(struct tracer *tr)
{
	char path[64], line[PATH_MAX + 256];
	FILE *f;
	int dropped = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tr->pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	for (size_t i = 0; i < tr->nmods; i++)
		tr->mods[i].present = 0;

	/* group consecutive mappings of one file */
	char curfile[PATH_MAX] = "";
	uint64_t clo = 0, chi = 0;
	int cexec = 0, czero = 0;

	for (;;) {
		char *ok = fgets(line, sizeof(line), f);
		unsigned long lo = 0, hi = 0, off = 0;
		char perms[8] = "", file[PATH_MAX] = "";

		if (ok)
			sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095[^\n]", &lo, &hi, perms, &off, file);
		if (!ok || strcmp(file, curfile)) {
			if (curfile[0] == '/' && cexec && czero) {
				size_t i;

				for (i = 0; i < tr->nmods; i++)
					if (!tr->mods[i].gone && tr->mods[i].lo == clo &&
					    !strcmp(tr->mods[i].path, curfile))
						break;
				if (i < tr->nmods) {
					tr->mods[i].present = 1;
				} else {
					tr->mods = realloc(tr->mods,
							   (tr->nmods + 1) * sizeof(*tr->mods));
					struct module *m = &tr->mods[tr->nmods];

					m->path = strdup(curfile);
					m->lo = clo;
					m->hi = chi;
					m->bias = elf_bias(curfile, clo);
					m->present = 1;
					m->gone = 0;
					tr->nmods++;
					m->near = m->near_used = 0;
					pt_emit_module(tr, m);
					/* the injected library: its wrappers are not the program's */
					if (pt.opts.inject && !strcmp(curfile, pt.opts.inject))
						tr->lib_mod = (int)(tr->nmods - 1);
					else
						pt_module_scan(tr, (int)(tr->nmods - 1));
				}
			}
			if (!ok)
				break;
			snprintf(curfile, sizeof(curfile), "%s", file);
			clo = lo;
			chi = hi;
			cexec = 0;
			czero = 0;
		}
		if (lo < clo)
			clo = lo;
		if (hi > chi)
			chi = hi;
		cexec |= perms[2] == 'x';
		czero |= off == 0;
	}
	fclose(f);
	for (size_t i = 0; i < tr->nmods; i++)
		if (!tr->mods[i].present && !tr->mods[i].gone) {
			tr->mods[i].gone = 1;
			dropped = 1;
		}
	if (dropped)
		pt_bp_drop_gone(tr);
}

/* ---- the BLAS of the trace's INFO ------------------------------------- */

struct lookup {
	const char *name;
	uint64_t addr;
};

static int lookup_sym(const struct pt_sym *s, void *arg)
{
	struct lookup *l = arg;

	if (strcmp(s->name, l->name))
		return 0;
	l->addr = s->addr;
	return 1;
}

/* The tracee's address of the symbol `name` (any type) that the ELF file
 * of module mi defines; 0 if none. */
static uint64_t module_symbol(struct tracer *tr, int mi, const char *name)
{
	struct lookup l = { name, 0 };

	pt_module_symbols(tr, mi, PT_SYMTAB | PT_DYNSYM, lookup_sym, &l);
	return l.addr;
}

/*
 * The modules in the order the dynamic linker loaded them, read from its
 * list in the tracee (r_debug, found in the module where _dl_debug_state
 * is), then any module the list does not name (all of them in a program
 * without one).  Returns how many indices went into order[].
 */
static size_t load_order(struct tracer *tr, pid_t tid, size_t *order)
{
	void *ctx = (void *)(intptr_t)tid;
	uint64_t r_debug = 0, lm = 0;
	size_t n = 0;

	for (size_t i = 0; i < tr->nbp && !r_debug; i++)
		if (tr->bps[i].kind == BP_DLSTATE)
			r_debug = module_symbol(tr, tr->bps[i].mod, "_r_debug");
	if (r_debug)
		pt_mem_read(ctx, r_debug + offsetof(struct r_debug, r_map), &lm, sizeof(lm));
	for (int hops = 0; lm && hops < 4096 && n < tr->nmods; hops++) {
		struct link_map l;

		if (pt_mem_read(ctx, lm, &l, sizeof(l)) < 0)
			break;
		for (size_t i = 0; i < tr->nmods; i++)
			if (!tr->mods[i].gone && tr->mods[i].bias == (uint64_t)l.l_addr) {
				order[n++] = i;
				break;
			}
		lm = (uint64_t)(uintptr_t)l.l_next;
	}
	for (size_t i = 0; i < tr->nmods; i++) {
		size_t j;

		for (j = 0; j < n && order[j] != i; j++)
			;
		if (j == n && !tr->mods[i].gone)
			order[n++] = i;
	}
	return n;
}

/* A new trace (an image, a fork child): its BLAS is looked for anew. */
void pt_blas_forget(struct tracer *tr)
{
	tr->blas[0] = 0;
	tr->blas_threads = -1;
	tr->blas_threads_addr = 0;
	tr->blas_threads_mod = -1;
	tr->blas_nmods = 0;
}

/*
 * The trace's BLAS as the preload library finds it (opc_blas_routines[]:
 * the object defining the first of them any object defines, objects in
 * load order), and OpenBLAS's thread count (what openblas_get_num_threads
 * returns).  Called with thread tid stopped, at each new key: the search
 * runs again when modules were added since, the count is read each time
 * (OpenBLAS's constructor, which sets it, has run before any call).
 */
void pt_blas_update(struct tracer *tr, pid_t tid)
{
	int32_t nthreads;

	if (tr->nmods != tr->blas_nmods) {
		size_t *order = malloc((tr->nmods + 1) * sizeof(*order));
		uint8_t *defines = calloc(tr->nmods + 1, 1);	/* bit i: routine i */
		int rid[OPC_BLAS_ROUTINES];
		size_t n;

		if (order == NULL || defines == NULL) {
			free(order);
			free(defines);
			return;
		}
		tr->blas_nmods = tr->nmods;
		for (int i = 0; i < OPC_BLAS_ROUTINES; i++)
			rid[i] = pt_rname_find(opc_blas_routines[i]);
		for (size_t b = 0; b < tr->nbp; b++)
			for (int i = 0; i < OPC_BLAS_ROUTINES; i++)
				if (tr->bps[b].kind == BP_ENTRY &&
				    tr->bps[b].rid == rid[i] && tr->bps[b].mod < tr->nmods)
					defines[tr->bps[b].mod] |= 1u << i;
		n = load_order(tr, tid, order);
		tr->blas[0] = 0;
		for (int i = 0; i < OPC_BLAS_ROUTINES && !tr->blas[0]; i++)
			for (size_t j = 0; j < n; j++)
				if (defines[order[j]] & (1u << i)) {
					snprintf(tr->blas, sizeof(tr->blas), "%s", tr->mods[order[j]].path);
					break;
				}
		/* OpenBLAS's own count, in the object that defines routines
		 * (libblas.so.3 may be only OpenBLAS's front); looked up
		 * again only if that object went */
		if (tr->blas_threads_mod < 0 || tr->mods[tr->blas_threads_mod].gone) {
			tr->blas_threads_addr = 0;
			tr->blas_threads_mod = -1;
			for (size_t j = 0; j < n && !tr->blas_threads_addr; j++)
				if (defines[order[j]] && (tr->blas_threads_addr =
					module_symbol(tr, (int)order[j], "blas_cpu_number")))
					tr->blas_threads_mod = (int)order[j];
		}
		free(order);
		free(defines);
	}
	if (tr->blas_threads_addr &&
	    pt_mem_read((void *)(intptr_t)tid, tr->blas_threads_addr, &nthreads, sizeof(nthreads)) == 0)
		tr->blas_threads = nthreads;
}

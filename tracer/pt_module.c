/*
 * pt_module.c - what the tracee has mapped, and the routines in it.
 *
 * Every entry point named in opc_routines[] is found in the executable
 * and in each shared object as it is mapped (libelf on the mapped files:
 * .symtab and .dynsym, so a statically linked program is covered), and
 * gets an int3, or with --inject a jump to the library's wrapper.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pt_internal.h"

/* ---- routine names ---------------------------------------------------- */

static int *rname_idx;		/* hash of opc_routines[].symbol: rid + 1 */
static uint32_t rname_cap;

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void pt_rnames_init(void)
{
	rname_cap = 2048;
	while (rname_cap < 4u * opc_nroutines)
		rname_cap *= 2;
	rname_idx = calloc(rname_cap, sizeof(*rname_idx));
	for (int rid = 0; rid < opc_nroutines; rid++) {
		uint32_t i = str_hash(opc_routines[rid].symbol) & (rname_cap - 1);

		/* GPU calls return before their work is done: a breakpoint
		 * would time nothing; they are the preload library's */
		if (opc_iface_gpu(opc_routines[rid].iface))
			continue;
		while (rname_idx[i])
			i = (i + 1) & (rname_cap - 1);
		rname_idx[i] = rid + 1;
	}
}

int pt_rname_find(const char *s)
{
	uint32_t i = str_hash(s) & (rname_cap - 1);

	while (rname_idx[i]) {
		if (!strcmp(opc_routines[rname_idx[i] - 1].symbol, s))
			return rname_idx[i] - 1;
		i = (i + 1) & (rname_cap - 1);
	}
	return -1;
}

/* ---- symbols ---------------------------------------------------------- */

/* Plants a breakpoint on every routine (and on _dl_debug_state) that the
 * ELF file of module mi defines. */
void pt_module_scan(int mi)
{
	struct module *m = &T.mods[mi];
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;
	int planted = 0;

	if (fd < 0)
		return;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		if (!(d = elf_getdata(scn, NULL)) || sh.sh_entsize == 0)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int rid, kind = BP_ENTRY;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    sym.st_value == 0 || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name == NULL)
				continue;
			rid = pt_rname_find(name);
			if (rid < 0) {
				if (strcmp(name, "_dl_debug_state"))
					continue;
				kind = BP_DLSTATE;
			}
			uint64_t addr = sym.st_value + m->bias;

			if (addr < m->lo || addr >= m->hi)
				continue;
			if (kind == BP_ENTRY && T.inj == INJ_PENDING)
				continue;	/* the library is not loaded yet */
			if (kind == BP_ENTRY && T.inj == INJ_ACTIVE) {
				pt_patch_entry(mi, addr, rid, sym.st_size);
				continue;
			}
			if (pt_bp_plant(addr, kind, rid, mi) == 0)
				planted++;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	pr_dbg(1, "%s: %d breakpoints", m->path, planted);
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
void pt_maps_scan(void)
{
	char path[64], line[PATH_MAX + 256];
	FILE *f;
	int dropped = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)T.pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	for (size_t i = 0; i < T.nmods; i++)
		T.mods[i].present = 0;

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

				for (i = 0; i < T.nmods; i++)
					if (!T.mods[i].gone && T.mods[i].lo == clo &&
					    !strcmp(T.mods[i].path, curfile))
						break;
				if (i < T.nmods) {
					T.mods[i].present = 1;
				} else {
					T.mods = realloc(T.mods, (T.nmods + 1) * sizeof(*T.mods));
					struct module *m = &T.mods[T.nmods];

					m->path = strdup(curfile);
					m->lo = clo;
					m->hi = chi;
					m->bias = elf_bias(curfile, clo);
					m->present = 1;
					m->gone = 0;
					T.nmods++;
					m->near = m->near_used = 0;
					pt_emit_module(m);
					/* the injected library: its wrappers are not the program's */
					if (pt.opts.inject && !strcmp(curfile, pt.opts.inject))
						T.lib_mod = (int)(T.nmods - 1);
					else
						pt_module_scan((int)(T.nmods - 1));
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
	for (size_t i = 0; i < T.nmods; i++)
		if (!T.mods[i].present && !T.mods[i].gone) {
			T.mods[i].gone = 1;
			dropped = 1;
		}
	if (dropped)
		pt_bp_drop_gone();
}

/* ---- the BLAS of the trace's INFO ------------------------------------- */

/* The tracee's address of the symbol `name` (any type) that the ELF file
 * of module mi defines; 0 if none. */
static uint64_t module_symbol(int mi, const char *name)
{
	struct module *m = &T.mods[mi];
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	uint64_t found = 0;
	Elf *e;

	if (fd < 0)
		return 0;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (e && !found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		if (!(d = elf_getdata(scn, NULL)) || sh.sh_entsize == 0)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *sn;

			if (gelf_getsym(d, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
			    sym.st_value && (sn = elf_strptr(e, sh.sh_link, sym.st_name)) &&
			    !strcmp(sn, name)) {
				found = sym.st_value + m->bias;
				break;
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return found;
}

/*
 * The modules in the order the dynamic linker loaded them, read from its
 * list in the tracee (r_debug, found in the module where _dl_debug_state
 * is), then any module the list does not name (all of them in a program
 * without one).  Returns how many indices went into order[].
 */
static size_t load_order(pid_t tid, size_t *order)
{
	void *ctx = (void *)(intptr_t)tid;
	uint64_t r_debug = 0, lm = 0;
	size_t n = 0;

	for (size_t i = 0; i < T.bpcap && !r_debug; i++)
		if (T.bps[i].addr && T.bps[i].kind == BP_DLSTATE)
			r_debug = module_symbol(T.bps[i].mod, "_r_debug");
	if (r_debug)
		pt_mem_read(ctx, r_debug + offsetof(struct r_debug, r_map), &lm, sizeof(lm));
	for (int hops = 0; lm && hops < 4096 && n < T.nmods; hops++) {
		struct link_map l;

		if (pt_mem_read(ctx, lm, &l, sizeof(l)) < 0)
			break;
		for (size_t i = 0; i < T.nmods; i++)
			if (!T.mods[i].gone && T.mods[i].bias == (uint64_t)l.l_addr) {
				order[n++] = i;
				break;
			}
		lm = (uint64_t)(uintptr_t)l.l_next;
	}
	for (size_t i = 0; i < T.nmods; i++) {
		size_t j;

		for (j = 0; j < n && order[j] != i; j++)
			;
		if (j == n && !T.mods[i].gone)
			order[n++] = i;
	}
	return n;
}

/* A new trace (an image, a fork child): its BLAS is looked for anew. */
void pt_blas_forget(void)
{
	T.blas[0] = 0;
	T.blas_threads = -1;
	T.blas_threads_addr = 0;
	T.blas_threads_mod = -1;
	T.blas_nmods = 0;
}

/*
 * The trace's BLAS as the preload library finds it (opc_blas_routines[]:
 * the object defining the first of them any object defines, objects in
 * load order), and OpenBLAS's thread count (what openblas_get_num_threads
 * returns).  Called with thread tid stopped, at each new key: the search
 * runs again when modules were added since, the count is read each time
 * (OpenBLAS's constructor, which sets it, has run before any call).
 */
void pt_blas_update(pid_t tid)
{
	int32_t nthreads;

	if (T.nmods != T.blas_nmods) {
		size_t *order = malloc((T.nmods + 1) * sizeof(*order));
		uint8_t *defines = calloc(T.nmods + 1, 1);	/* bit i: routine i */
		int rid[OPC_BLAS_ROUTINES];
		size_t n;

		if (order == NULL || defines == NULL) {
			free(order);
			free(defines);
			return;
		}
		T.blas_nmods = T.nmods;
		for (int i = 0; i < OPC_BLAS_ROUTINES; i++)
			rid[i] = pt_rname_find(opc_blas_routines[i]);
		for (size_t b = 0; b < T.bpcap; b++)
			for (int i = 0; i < OPC_BLAS_ROUTINES; i++)
				if (T.bps[b].addr && T.bps[b].kind == BP_ENTRY &&
				    T.bps[b].rid == rid[i] && T.bps[b].mod < T.nmods)
					defines[T.bps[b].mod] |= 1u << i;
		n = load_order(tid, order);
		T.blas[0] = 0;
		for (int i = 0; i < OPC_BLAS_ROUTINES && !T.blas[0]; i++)
			for (size_t j = 0; j < n; j++)
				if (defines[order[j]] & (1u << i)) {
					snprintf(T.blas, sizeof(T.blas), "%s", T.mods[order[j]].path);
					break;
				}
		/* OpenBLAS's own count, in the object that defines routines
		 * (libblas.so.3 may be only OpenBLAS's front); looked up
		 * again only if that object went */
		if (T.blas_threads_mod < 0 || T.mods[T.blas_threads_mod].gone) {
			T.blas_threads_addr = 0;
			T.blas_threads_mod = -1;
			for (size_t j = 0; j < n && !T.blas_threads_addr; j++)
				if (defines[order[j]] && (T.blas_threads_addr =
					module_symbol((int)order[j], "blas_cpu_number")))
					T.blas_threads_mod = (int)order[j];
		}
		free(order);
		free(defines);
	}
	if (T.blas_threads_addr &&
	    pt_mem_read((void *)(intptr_t)tid, T.blas_threads_addr, &nthreads, sizeof(nthreads)) == 0)
		T.blas_threads = nthreads;
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Format-independent behaviour of tdp_lookup(), tdp_lookup_raw() with
 * tdp_lookup_decode(), and tdp_translate(): table pointers outside the
 * memory backend at every level, a table that straddles the end of the
 * backend's memory, self-referencing and cyclic tables (translated as the
 * hardware would), the result fields on faults, that lookups never write,
 * and argument checks.
 *
 * Tables are built by hand from raw EPT and IA-32e entries; engine level L
 * indexes with address bits (20 + 9L):(12 + 9L).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtdp/tdp.h>

#include "hand_x86.h"

/* Look @addr up with a result pre-filled with garbage. */
static int lookup(const struct tdp_pgt *pgt, uint64_t addr,
		  struct tdp_lookup *res)
{
	memset(res, 0xa5, sizeof(*res));
	return tdp_lookup(pgt, addr, res);
}

/* What a fault must look like; entries from the root down to @level. */
struct want_fault {
	uint32_t fault;
	int level; /* fault_level and last_level */
	int root_level;
	uint64_t entry[6];
	uint64_t entry_pa[6];
};

static void check_fault(const char *ctx, uint64_t addr, int ret,
			const struct tdp_lookup *res,
			const struct want_fault *w)
{
	if (ret != -TDP_ERR_FAULT || res->fault != w->fault ||
	    res->fault_level != w->level || res->last_level != w->level ||
	    res->root_level != w->root_level || res->addr != addr) {
		print_error("%s: ret %d fault %u fault_level %d last_level %d "
			    "root_level %d, expected fault %u at level %d\n",
			    ctx, ret, res->fault, res->fault_level,
			    res->last_level, res->root_level, w->fault,
			    w->level);
		fail();
	}
	for (int l = w->root_level; l >= w->level && l >= 0; l--) {
		if (res->entry[l] != w->entry[l] ||
		    res->entry_pa[l] != w->entry_pa[l]) {
			print_error("%s: level %d entry %#llx at %#llx, "
				    "expected %#llx at %#llx\n",
				    ctx, l,
				    (unsigned long long)res->entry[l],
				    (unsigned long long)res->entry_pa[l],
				    (unsigned long long)w->entry[l],
				    (unsigned long long)w->entry_pa[l]);
			fail();
		}
	}
}

static void check_ok(const char *ctx, uint64_t addr, int ret,
		     const struct tdp_lookup *res, uint64_t out,
		     uint64_t page_size, int last_level)
{
	if (ret != 0 || res->fault != TDP_FAULT_NONE ||
	    res->out_addr != out || res->page_size != page_size ||
	    res->last_level != last_level || res->addr != addr) {
		print_error("%s: ret %d fault %u out %#llx size %#llx "
			    "last_level %d; expected out %#llx size %#llx "
			    "last_level %d\n",
			    ctx, ret, res->fault,
			    (unsigned long long)res->out_addr,
			    (unsigned long long)res->page_size,
			    res->last_level, (unsigned long long)out,
			    (unsigned long long)page_size, last_level);
		fail();
	}
}

/*
 * A chain of tables for @fc: the root is page 0 and the table at engine
 * level L (below the root) is page levels-1-L. The looked-up address uses
 * index L + 1 at level L, so every entry sits at a distinct offset.
 */
static unsigned int chain_page(const struct fmt_case *fc, int level)
{
	return (unsigned int)(fc->levels - 1 - level);
}

static uint64_t chain_addr(const struct fmt_case *fc)
{
	uint64_t a = 0x123;

	for (int l = 0; l < fc->levels; l++)
		a |= (uint64_t)(l + 1) << (12 + 9 * l);
	return a;
}

static void build_chain(struct fix *f, const struct fmt_case *fc,
			struct want_fault *w)
{
	fix_reset(f, fc);
	for (int l = fc->levels - 1; l >= 0; l--) {
		unsigned int idx = (unsigned int)l + 1;
		uint64_t raw = l ? tbl(fc, chain_page(fc, l - 1)) :
				   leaf(fc, 0x77777000);

		set_e(f, chain_page(fc, l), idx, raw);
		w->entry[l] = raw;
		w->entry_pa[l] = PG(chain_page(fc, l)) + idx * 8;
	}
	w->root_level = fc->levels - 1;
	fix_attach(f, 0);
}

/* --- tests -------------------------------------------------------------- */

/*
 * A table pointer the pool cannot translate, at each level that holds
 * table pointers: BAD_POINTER at the level of that entry, where the walk
 * stops. The chain itself translates.
 */
static void test_bad_pointer_each_level(void **state)
{
	struct fix *f = *state;
	/* Outside the pool: far above, the page just past it, just below. */
	static const uint64_t bad_pa[] = {
		0x40000000ull, PG(POOL_PAGES), POOL_BASE - 0x1000,
		(1ull << PA_BITS) - 0x1000, 0
	};
	const size_t n_bad = sizeof(bad_pa) / sizeof(bad_pa[0]);

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		uint64_t addr = chain_addr(fc);
		struct want_fault w;
		struct tdp_lookup res;

		build_chain(f, fc, &w);
		check_ok(fc->name, addr, lookup(&f->pgt, addr, &res), &res,
			 0x77777123, K4, 0);
		for (int l = fc->levels - 1; l >= 1; l--) {
			for (size_t k = 0; k < n_bad; k++) {
				unsigned int idx = (unsigned int)l + 1;
				uint64_t raw = bad_pa[k] | fc->table;
				char ctx[64];

				build_chain(f, fc, &w);
				set_e(f, chain_page(fc, l), idx, raw);
				w.entry[l] = raw;
				w.fault = TDP_FAULT_BAD_POINTER;
				w.level = l;
				snprintf(ctx, sizeof(ctx),
					 "%s level %d pa %#llx", fc->name, l,
					 (unsigned long long)bad_pa[k]);
				check_fault(ctx, addr,
					    lookup(&f->pgt, addr, &res), &res,
					    &w);
			}
		}
	}
}

/* A not-present entry at each level: the walk stops there. */
static void test_not_present_each_level(void **state)
{
	struct fix *f = *state;

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		uint64_t addr = chain_addr(fc);

		for (int l = fc->levels - 1; l >= 0; l--) {
			struct want_fault w;
			struct tdp_lookup res;
			char ctx[64];

			build_chain(f, fc, &w);
			set_e(f, chain_page(fc, l), (unsigned int)l + 1, 0);
			w.entry[l] = 0;
			w.fault = TDP_FAULT_NOT_PRESENT;
			w.level = l;
			snprintf(ctx, sizeof(ctx), "%s level %d", fc->name, l);
			check_fault(ctx, addr, lookup(&f->pgt, addr, &res),
				    &res, &w);
			/* A reserved table pointer (bit 51 > pa_bits). */
			if (l) {
				w.entry[l] = tbl(fc, 0) | 1ull << 51;
				set_e(f, chain_page(fc, l),
				      (unsigned int)l + 1, w.entry[l]);
				w.fault = fc->rsvd_fault;
				check_fault(ctx, addr,
					    lookup(&f->pgt, addr, &res), &res,
					    &w);
				assert_int_equal(res.fault_detail,
						 TDP_DETAIL_PA_WIDTH);
			}
		}
	}
}

/*
 * A memory backend whose memory ends in the middle of a page, to see
 * that a table is only followed when all of it can be translated. The
 * buffer is exactly as long as the memory, so a read past the end is
 * caught by AddressSanitizer.
 */
struct short_mem {
	uint8_t *buf;
	uint64_t base;
	uint64_t bytes;
	uint64_t window_pa;    /* the linear window offered, if window_bytes */
	uint64_t window_bytes;
	unsigned int p2v_calls;
};

static int short_alloc(void *ctx, uint64_t size, uint64_t align,
		       uint64_t *pa)
{
	(void)ctx;
	(void)size;
	(void)align;
	(void)pa;
	return -TDP_ERR_NOMEM;
}

static void short_free(void *ctx, uint64_t pa, uint64_t size)
{
	(void)ctx;
	(void)pa;
	(void)size;
}

static void *short_p2v(void *ctx, uint64_t pa, uint64_t size)
{
	struct short_mem *m = ctx;

	m->p2v_calls++;
	if (!size)
		size = 1;
	if (pa < m->base || pa - m->base >= m->bytes ||
	    size > m->bytes - (pa - m->base))
		return NULL;
	return m->buf + (pa - m->base);
}

static void *short_window(void *ctx, uint64_t *pa, uint64_t *bytes)
{
	struct short_mem *m = ctx;

	*pa = m->window_pa;
	*bytes = m->window_bytes;
	return m->buf + (m->window_pa - m->base);
}

static const struct tdp_mm_ops short_ops = {
	.alloc_table = short_alloc,
	.free_table = short_free,
	.phys_to_virt = short_p2v,
};

static const struct tdp_mm_ops short_window_ops = {
	.alloc_table = short_alloc,
	.free_table = short_free,
	.phys_to_virt = short_p2v,
	.linear_window = short_window,
};

/*
 * Root (page 0) -> PDPT (page 1) -> PD (page 2) of which only the first
 * half exists. PD[0] lies in the existing half, but the table does not:
 * the PDPT entry is a bad pointer.
 */
static void test_table_straddles_end(void **state)
{
	const struct fmt_case *fmts[] = { &ept4, &ia32e4 };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct fmt_case *fc = fmts[i];
		struct short_mem m = {
			.base = 0x200000, .bytes = 2 * 4096 + 2048
		};
		struct tdp_mm mm = { .ops = &short_ops, .ctx = &m };
		struct tdp_format_config cfg = {
			.format = fc->format,
			.pa_bits = PA_BITS,
		};
		struct want_fault w = {
			.fault = TDP_FAULT_BAD_POINTER,
			.level = 2,
			.root_level = 3,
		};
		struct tdp_lookup res;
		struct tdp_pgt pgt;
		uint8_t *buf;
		uint64_t *e;

		m.buf = calloc(1, m.bytes);
		assert_non_null(m.buf);
		e = (uint64_t *)m.buf;
		e[0] = (m.base + 0x1000) | fc->table;   /* PML4[0] */
		e[512] = (m.base + 0x2000) | fc->table; /* PDPT[0] */
		e[1024] = 0x40000000 | fc->leafbig;     /* PD[0] */
		w.entry[3] = e[0];
		w.entry_pa[3] = m.base;
		w.entry[2] = e[512];
		w.entry_pa[2] = m.base + 0x1000;
		assert_int_equal(tdp_pgt_init_at(&pgt, &cfg, &mm, m.base), 0);
		check_fault(fc->name, 0x1234, lookup(&pgt, 0x1234, &res),
			    &res, &w);

		tdp_pgt_destroy(&pgt);

		/* With the whole PD present, the same entry translates. */
		buf = calloc(1, 3 * 4096);
		assert_non_null(buf);
		memcpy(buf, m.buf, m.bytes);
		free(m.buf);
		m.buf = buf;
		m.bytes = 3 * 4096;
		assert_int_equal(tdp_pgt_init_at(&pgt, &cfg, &mm, m.base), 0);
		check_ok(fc->name, 0x1234, lookup(&pgt, 0x1234, &res), &res,
			 0x40001234, M2, 1);
		tdp_pgt_destroy(&pgt);
		free(m.buf);
	}
}

/*
 * The backend's linear window is a shortcut, never a way around the bounds
 * check: root (page 0) -> PDPT (page 1) -> PD (page 2) with a 2 MiB leaf,
 * in three pages of memory, with windows of several sizes. Tables outside
 * the window, or straddling its end, are reached through phys_to_virt.
 */
static void test_linear_window(void **state)
{
	static const struct {
		uint64_t mem_bytes;
		uint64_t window_bytes;
		bool translates;
		bool calls; /* phys_to_virt is needed for the lookup */
	} cases[] = {
		{ 3 * 4096, 3 * 4096, true, false },       /* all inside */
		{ 3 * 4096, 4096, true, true },            /* root only */
		{ 3 * 4096, 2 * 4096 + 2048, true, true }, /* PD straddles */
		{ 2 * 4096 + 2048, 2 * 4096 + 2048, false, true }, /* short */
	};
	const struct fmt_case *fc = &ia32e4;
	struct tdp_format_config cfg = {
		.format = fc->format,
		.pa_bits = PA_BITS,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct short_mem m = {
			.base = 0x200000,
			.bytes = cases[i].mem_bytes,
			.window_pa = 0x200000,
			.window_bytes = cases[i].window_bytes,
		};
		struct tdp_mm mm = { .ops = &short_window_ops, .ctx = &m };
		struct tdp_lookup res;
		struct tdp_pgt pgt;
		uint64_t *e;
		int ret;

		m.buf = calloc(1, m.bytes);
		assert_non_null(m.buf);
		e = (uint64_t *)m.buf;
		e[0] = (m.base + 0x1000) | fc->table;   /* PML4[0] */
		e[512] = (m.base + 0x2000) | fc->table; /* PDPT[0] */
		if (m.bytes > 2 * 4096 + 2048)
			e[1024] = 0x40000000 | fc->leafbig; /* PD[0] */
		assert_int_equal(tdp_pgt_init_at(&pgt, &cfg, &mm, m.base), 0);
		m.p2v_calls = 0;
		ret = tdp_lookup(&pgt, 0x1234, &res);
		if (cases[i].translates) {
			assert_int_equal(ret, 0);
			assert_int_equal(res.out_addr, 0x40001234);
		} else {
			assert_int_equal(ret, -TDP_ERR_FAULT);
			assert_int_equal(res.fault, TDP_FAULT_BAD_POINTER);
			assert_int_equal(res.fault_level, 2);
		}
		if (cases[i].calls)
			assert_true(m.p2v_calls > 0);
		else
			assert_int_equal(m.p2v_calls, 0);
		tdp_pgt_destroy(&pgt);
		free(m.buf);
	}
}

/* A backend offering a window that wraps around 2^64 is refused. */
static void test_linear_window_wraps(void **state)
{
	uint8_t buf[4096] = { 0 };
	struct short_mem m = {
		.buf = buf,
		.base = 0,
		.bytes = sizeof(buf),
		.window_pa = 0,
		.window_bytes = 0,
	};
	struct tdp_mm mm = { .ops = &short_window_ops, .ctx = &m };
	struct tdp_format_config cfg = { .format = TDP_FMT_IA32E4 };
	struct tdp_pgt pgt;

	(void)state;
	/* No window (0 bytes) is fine. */
	assert_int_equal(tdp_pgt_init_at(&pgt, &cfg, &mm, 0), 0);
	tdp_pgt_destroy(&pgt);
	/* [4096, 4096 + 2^64 - 1) ends past 2^64. */
	m.window_bytes = ~0ull;
	m.window_pa = 4096;
	m.buf = buf + 4096; /* never dereferenced: init refuses first */
	m.base = 4096;
	assert_int_equal(tdp_pgt_init_at(&pgt, &cfg, &mm, 4096),
			 -TDP_ERR_INVAL);
}

/*
 * EPT 4-level, PML4[0] points at the PML4 itself (page 0), so the root
 * also serves as the PDPT, PD and PT of addresses whose upper indexes are
 * 0. Root entries: [0] -> root, [5] = 4 KiB-leaf shape for 0x12345000
 * (WB, RWX), [6] = 2 MiB-leaf shape for 0x40600000, [1] = 0.
 */
static void test_self_map_ept(void **state)
{
	struct fix *f = *state;
	const struct fmt_case *fc = &ept4;
	const uint64_t self = tbl(fc, 0);
	const uint64_t e5 = 0x12345000 | fc->leaf4k;
	const uint64_t e6 = 0x40600000 | fc->leafbig;
	struct tdp_lookup res;
	struct want_fault w = { .root_level = 3 };

	fix_reset(f, fc);
	set_e(f, 0, 0, self);
	set_e(f, 0, 5, e5);
	set_e(f, 0, 6, e6);
	fix_attach(f, 0);
	for (int l = 3; l >= 0; l--) {
		w.entry[l] = self;
		w.entry_pa[l] = PG(0);
	}

	/* Indexes 0/0/0/5: root[5] is the PTE. */
	assert_int_equal(lookup(&f->pgt, 0x5678, &res), 0);
	check_ok("pte 5", 0x5678, 0, &res, 0x12345678, K4, 0);
	assert_int_equal(res.entry[3], self);
	assert_int_equal(res.entry[2], self);
	assert_int_equal(res.entry[1], self);
	assert_int_equal(res.entry[0], e5);
	assert_int_equal(res.entry_pa[3], PG(0));
	assert_int_equal(res.entry_pa[2], PG(0));
	assert_int_equal(res.entry_pa[1], PG(0));
	assert_int_equal(res.entry_pa[0], PG(0) + 5 * 8);
	assert_int_equal(res.perms, TDP_PERM_R | TDP_PERM_W | TDP_PERM_X |
				    TDP_PERM_XU);

	/* Indexes 0/0/0/0: root[0] is also the PTE, mapping the root (UC). */
	check_ok("pte 0", 0xabc, lookup(&f->pgt, 0xabc, &res), &res,
		 PG(0) + 0xabc, K4, 0);
	assert_int_equal(res.entry[0], self);

	/* Indexes 0/0/6: root[6] is a 2 MiB leaf at the PD level. */
	check_ok("pde 6", 6 * M2 + 0x12345,
		 lookup(&f->pgt, 6 * M2 + 0x12345, &res), &res,
		 0x40612345, M2, 1);
	assert_int_equal(res.entry[1], e6);
	assert_int_equal(res.entry_pa[1], PG(0) + 6 * 8);

	/* Indexes 0/0/5: root[5] as a PDE has bits 6:3 set: misconfigured. */
	w.fault = TDP_FAULT_MISCONFIG;
	w.level = 1;
	w.entry[1] = e5;
	w.entry_pa[1] = PG(0) + 5 * 8;
	check_fault("pde 5", 5 * M2, lookup(&f->pgt, 5 * M2, &res), &res, &w);

	/* Indexes 0/6: a 1 GiB leaf with address bits 29:12 set. */
	w.level = 2;
	w.entry[2] = e6;
	w.entry_pa[2] = PG(0) + 6 * 8;
	check_fault("pdpte 6", 6 * G1, lookup(&f->pgt, 6 * G1, &res), &res,
		    &w);
	assert_int_equal(res.fault_detail, TDP_DETAIL_LEAF_ALIGN);

	/* Index 6 at the root: bit 7 in a PML4E. */
	w.level = 3;
	w.entry[3] = e6;
	w.entry_pa[3] = PG(0) + 6 * 8;
	check_fault("pml4e 6", 6 * T512, lookup(&f->pgt, 6 * T512, &res),
		    &res, &w);
	assert_int_equal(res.fault_detail, TDP_DETAIL_LEAF_LEVEL);

	/* Index 1 at the root: not present. */
	w.fault = TDP_FAULT_NOT_PRESENT;
	w.entry[3] = 0;
	w.entry_pa[3] = PG(0) + 8;
	check_fault("pml4e 1", T512, lookup(&f->pgt, T512, &res), &res, &w);
}

/*
 * IA-32e 4-level recursive mapping: PML4[511] = root | P | RW, so
 * addresses with upper indexes 511/511/511 use the root as their PT.
 * root[2] points at 0xabc000, outside the pool: a 4 KiB page as a PTE, a
 * bad table pointer at any higher level.
 */
static void test_self_map_ia32e(void **state)
{
	struct fix *f = *state;
	const struct fmt_case *fc = &ia32e4;
	const uint64_t self = PG(0) | 0x3;
	const uint64_t e2 = 0xabc000 | 0x3;
	struct tdp_lookup res;
	struct want_fault w = { .root_level = 3 };

	fix_reset(f, fc);
	set_e(f, 0, 511, self);
	set_e(f, 0, 2, e2);
	fix_attach(f, 0);
	for (int l = 3; l >= 0; l--) {
		w.entry[l] = self;
		w.entry_pa[l] = PG(0) + 511 * 8;
	}

	/* 511/511/511/511: the root maps itself. */
	check_ok("self", 0xfffffffffffff123ull,
		 lookup(&f->pgt, 0xfffffffffffff123ull, &res), &res,
		 PG(0) + 0x123, K4, 0);
	assert_int_equal(res.perms, TDP_PERM_R | TDP_PERM_W | TDP_PERM_X |
				    TDP_PERM_XU);
	for (int l = 3; l >= 0; l--) {
		assert_int_equal(res.entry[l], self);
		assert_int_equal(res.entry_pa[l], PG(0) + 511 * 8);
	}

	/* 511/511/511/2: root[2] is the PTE. */
	check_ok("pte 2", 0xffffffffffe02010ull,
		 lookup(&f->pgt, 0xffffffffffe02010ull, &res), &res,
		 0xabc010, K4, 0);
	assert_int_equal(res.entry[0], e2);
	assert_int_equal(res.entry_pa[0], PG(0) + 2 * 8);

	/* 511/511/2: root[2] as a PDE points outside the pool. */
	w.fault = TDP_FAULT_BAD_POINTER;
	w.level = 1;
	w.entry[1] = e2;
	w.entry_pa[1] = PG(0) + 2 * 8;
	check_fault("pde 2", 0xffffffffc0400000ull,
		    lookup(&f->pgt, 0xffffffffc0400000ull, &res), &res, &w);

	/* 2 at the root (a lower-half address). */
	w.level = 3;
	w.entry[3] = e2;
	w.entry_pa[3] = PG(0) + 2 * 8;
	check_fault("pml4e 2", 2 * T512, lookup(&f->pgt, 2 * T512, &res),
		    &res, &w);

	/* Non-canonical: no entry is read. */
	assert_int_equal(lookup(&f->pgt, 1ull << 47, &res), -TDP_ERR_FAULT);
	assert_int_equal(res.fault, TDP_FAULT_NON_CANONICAL);
	assert_int_equal(res.last_level, -1);
	assert_int_equal(res.fault_level, -1);
	assert_int_equal(res.addr, 1ull << 47);
}

/*
 * Two tables pointing at each other: A (page 0, root) with A[0] -> B, and
 * B (page 1) with B[0] -> A and B[1] = a 4 KiB-leaf shape for 0x77777000.
 * The walk uses A, B, A, B as PML4, PDPT, PD and PT.
 */
static void test_cycle(void **state)
{
	struct fix *f = *state;
	const struct fmt_case *fmts[] = { &ept4, &ia32e4 };

	for (size_t i = 0; i < 2; i++) {
		const struct fmt_case *fc = fmts[i];
		const uint64_t to_a = tbl(fc, 0), to_b = tbl(fc, 1);
		const uint64_t b1 = leaf(fc, 0x77777000);
		struct want_fault w = {
			.root_level = 3,
			.entry = { 0, to_b, to_a, to_b },
			.entry_pa = { 0, PG(0), PG(1), PG(0) },
		};
		struct tdp_lookup res;

		fix_reset(f, fc);
		set_e(f, 0, 0, to_b);
		set_e(f, 1, 0, to_a);
		set_e(f, 1, 1, b1);
		fix_attach(f, 0);

		/* 0/0/0/1: B[1] is the PTE. */
		check_ok(fc->name, 0x1abc, lookup(&f->pgt, 0x1abc, &res),
			 &res, 0x77777abc, K4, 0);
		assert_int_equal(res.entry[3], to_b);
		assert_int_equal(res.entry_pa[3], PG(0));
		assert_int_equal(res.entry[2], to_a);
		assert_int_equal(res.entry_pa[2], PG(1));
		assert_int_equal(res.entry[1], to_b);
		assert_int_equal(res.entry_pa[1], PG(0));
		assert_int_equal(res.entry[0], b1);
		assert_int_equal(res.entry_pa[0], PG(1) + 8);

		/* 0/0/0/0: B[0] is the PTE and maps A. */
		check_ok(fc->name, 0xabc, lookup(&f->pgt, 0xabc, &res), &res,
			 PG(0) + 0xabc, K4, 0);

		/* 0/0/1: A[1] is not present. */
		w.fault = TDP_FAULT_NOT_PRESENT;
		w.level = 1;
		w.entry[1] = 0;
		w.entry_pa[1] = PG(0) + 8;
		check_fault(fc->name, M2, lookup(&f->pgt, M2, &res), &res, &w);

		/*
		 * 0/1: B[1] as a PDPTE. EPT: a table entry with bits 6:3
		 * set, reserved. IA-32e: a table pointer to 0x77777000,
		 * outside the pool.
		 */
		w.fault = fc->format == TDP_FMT_EPT4 ? TDP_FAULT_MISCONFIG :
						       TDP_FAULT_BAD_POINTER;
		w.level = 2;
		w.entry[2] = b1;
		w.entry_pa[2] = PG(1) + 8;
		check_fault(fc->name, G1, lookup(&f->pgt, G1, &res), &res, &w);
	}
}

/*
 * Lookups never write: not the accessed flags (EPT with A/D enabled,
 * IA-32e), not anything else in the pool.
 */
static void test_never_writes(void **state)
{
	struct fix *f = *state;
	uint8_t *before = malloc(POOL_SIZE);
	struct tdp_pool_stats s0, s1;

	assert_non_null(before);
	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		struct want_fault w;
		struct tdp_lookup res;
		uint64_t a = chain_addr(fc);

		build_chain(f, fc, &w);
		if (fc->format == TDP_FMT_EPT4 || fc->format == TDP_FMT_EPT5)
			fix_attach_cfg(f, 0, TDP_FEAT_EPT_AD);
		/* A self-reference and a bad pointer besides the chain. */
		set_e(f, 0, 0, tbl(fc, 0));
		set_e(f, 0, 3, 0x40000000ull | fc->table);
		memcpy(before, f->mem, POOL_SIZE);
		assert_int_equal(tdp_pool_get_stats(f->pool, &s0), 0);
		for (uint64_t k = 0; k < 64; k++) {
			uint64_t addr = (a + k * 0x9e3779b97f4a7c15ull) &
					((1ull << 47) - 1);

			(void)tdp_lookup(&f->pgt, addr, &res);
			(void)tdp_translate(&f->pgt, addr,
					    TDP_ACCESS_READ | TDP_ACCESS_WRITE,
					    NULL, NULL);
		}
		assert_int_equal(tdp_lookup(&f->pgt, a, &res), 0);
		assert_int_equal(tdp_lookup(&f->pgt, 3 * (1ull << (12 + 9 *
						(fc->levels - 1))), &res),
				 -TDP_ERR_FAULT);
		/* Address 0 goes through root[0] at every level. */
		assert_int_equal(tdp_lookup(&f->pgt, 0x10, &res), 0);
		assert_int_equal(res.out_addr, PG(0) + 0x10);
		assert_memory_equal(before, f->mem, POOL_SIZE);
		assert_int_equal(tdp_pool_get_stats(f->pool, &s1), 0);
		assert_memory_equal(&s0, &s1, sizeof(s0));
	}
	free(before);
}

/* NULL arguments and the translate outputs. */
static void test_args_and_translate(void **state)
{
	struct fix *f = *state;
	struct want_fault w;
	struct tdp_lookup res;
	uint64_t out;
	uint32_t fault;

	build_chain(f, &ept4, &w);
	assert_int_equal(tdp_lookup(NULL, 0, &res), -TDP_ERR_INVAL);
	assert_int_equal(tdp_lookup(&f->pgt, 0, NULL), -TDP_ERR_INVAL);

	assert_int_equal(tdp_translate(NULL, 0, 0, &out, &fault),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_translate(&f->pgt, 0, 1u << 7, &out, &fault),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_translate(&f->pgt, chain_addr(&ept4), ~0u, &out,
				       &fault),
			 -TDP_ERR_INVAL);

	/* Success: both outputs, either one, or neither. */
	out = 0;
	fault = 99;
	assert_int_equal(tdp_translate(&f->pgt, chain_addr(&ept4),
				       TDP_ACCESS_READ, &out, &fault),
			 0);
	assert_int_equal(out, 0x77777123);
	assert_int_equal(fault, TDP_FAULT_NONE);
	out = 0;
	assert_int_equal(tdp_translate(&f->pgt, chain_addr(&ept4), 0, &out,
				       NULL),
			 0);
	assert_int_equal(out, 0x77777123);
	fault = 99;
	assert_int_equal(tdp_translate(&f->pgt, chain_addr(&ept4),
				       TDP_ACCESS_WRITE, NULL, &fault),
			 0);
	assert_int_equal(fault, TDP_FAULT_NONE);
	assert_int_equal(tdp_translate(&f->pgt, chain_addr(&ept4),
				       TDP_ACCESS_EXEC, NULL, NULL),
			 0);

	/* A fault: reported through @fault, or only by the return value. */
	fault = 99;
	assert_int_equal(tdp_translate(&f->pgt, 0, TDP_ACCESS_READ, &out,
				       &fault),
			 -TDP_ERR_FAULT);
	assert_int_equal(fault, TDP_FAULT_NOT_PRESENT);
	assert_int_equal(tdp_translate(&f->pgt, 0, 0, NULL, NULL),
			 -TDP_ERR_FAULT);
	fault = 99;
	assert_int_equal(tdp_translate(&f->pgt, 1ull << 48, 0, NULL, &fault),
			 -TDP_ERR_FAULT);
	assert_int_equal(fault, TDP_FAULT_ADDRESS_SIZE);

	/* EPT beyond 48 bits: no entry is read. */
	assert_int_equal(lookup(&f->pgt, 1ull << 48, &res), -TDP_ERR_FAULT);
	assert_int_equal(res.fault, TDP_FAULT_ADDRESS_SIZE);
	assert_int_equal(res.last_level, -1);
	assert_int_equal(res.fault_level, -1);
	assert_int_equal(res.root_level, 3);

	/* A bad pointer through translate. */
	set_e(f, chain_page(&ept4, 2), 3, PG(POOL_PAGES) | 0x7);
	fault = 99;
	assert_int_equal(tdp_translate(&f->pgt, chain_addr(&ept4), 0, &out,
				       &fault),
			 -TDP_ERR_FAULT);
	assert_int_equal(fault, TDP_FAULT_BAD_POINTER);
}

/*
 * A read-only 2 MiB EPT leaf at 0x200000 -> 0x40000000, written by hand in
 * its own pool: PML4 at 0x100000, PDPT at 0x101000, PD at 0x102000. The
 * raw values follow from the SDM layout. Returns the PD.
 */
static uint64_t *build_ro_2m(struct tdp_pool **pool, struct tdp_pgt *pgt)
{
	struct tdp_format_config cfg = { .format = TDP_FMT_EPT4 };
	struct tdp_mm mm;
	uint64_t *pml4, *pdpt, *pd;

	assert_int_equal(tdp_pool_create(0x10000, 0x100000, pool), 0);
	mm = tdp_pool_mm(*pool);
	assert_int_equal(tdp_pool_claim(*pool, 0x100000, 0x3000), 0);
	pml4 = tdp_pool_phys_to_virt(*pool, 0x100000, 4096);
	pdpt = tdp_pool_phys_to_virt(*pool, 0x101000, 4096);
	pd = tdp_pool_phys_to_virt(*pool, 0x102000, 4096);
	for (int i = 0; i < 512; i++)
		pml4[i] = pdpt[i] = pd[i] = 0;
	pml4[0] = 0x101000 | 0x7;
	pdpt[0] = 0x102000 | 0x7;
	/* R only, WB (6 << 3), page size bit 7. */
	pd[1] = 0x40000000 | 0x1 | (6 << 3) | 0x80;
	assert_int_equal(tdp_pgt_init_at(pgt, &cfg, &mm, 0x100000), 0);
	return pd;
}

/*
 * tdp_lookup_access: one walk gives both the entries and the access
 * verdict, on the leaf of build_ro_2m(); the expected results follow from
 * the SDM layout.
 */
static void test_lookup_access(void **state)
{
	struct tdp_pool *pool;
	struct tdp_pgt pgt;
	struct tdp_lookup r;

	(void)state; /* builds its own pool */
	build_ro_2m(&pool, &pgt);

	assert_int_equal(tdp_lookup_access(&pgt, 0x212345, TDP_ACCESS_READ,
					   &r), 0);
	assert_int_equal(r.out_addr, 0x40012345);
	assert_int_equal(r.fault, TDP_FAULT_NONE);

	assert_int_equal(tdp_lookup_access(&pgt, 0x212345, TDP_ACCESS_WRITE,
					   &r), -TDP_ERR_FAULT);
	assert_int_equal(r.fault, TDP_FAULT_PERMISSION);
	assert_int_equal(r.fault_level, 1);
	assert_int_equal(r.last_level, 1);
	assert_int_equal(r.entry[3], 0x101007);
	assert_int_equal(r.entry[1], 0x400000b1);
	assert_int_equal(r.entry_pa[1], 0x102008);

	/* A walk fault is reported as by tdp_lookup. */
	assert_int_equal(tdp_lookup_access(&pgt, 0x400000, TDP_ACCESS_READ,
					   &r), -TDP_ERR_FAULT);
	assert_int_equal(r.fault, TDP_FAULT_NOT_PRESENT);
	assert_int_equal(r.fault_level, 1);

	assert_int_equal(tdp_lookup_access(NULL, 0, 0, &r), -TDP_ERR_INVAL);
	assert_int_equal(tdp_lookup_access(&pgt, 0, 0, NULL), -TDP_ERR_INVAL);
	assert_int_equal(tdp_lookup_access(&pgt, 0, 1u << 31, &r),
			 -TDP_ERR_INVAL);
	tdp_pool_destroy(pool);
}

/*
 * tdp_lookup_raw() and tdp_lookup_decode(): the walk without the decode,
 * and the decode later from the recorded entries, on the leaf of
 * build_ro_2m(); its attributes follow from the SDM layout (bit 0 R,
 * bits 5:3 memory type 6 = WB).
 */
static void test_lookup_raw_then_decode(void **state)
{
	struct tdp_pool *pool;
	struct tdp_pgt pgt;
	struct tdp_lookup r, saved;
	uint64_t *pd;

	(void)state; /* builds its own pool */
	pd = build_ro_2m(&pool, &pgt);

	/* The walk: every field but the decoded ones. */
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(tdp_lookup_raw(&pgt, 0x212345, &r), 0);
	assert_int_equal(r.addr, 0x212345);
	assert_int_equal(r.out_addr, 0x40012345);
	assert_int_equal(r.page_size, 0x200000);
	assert_int_equal(r.root_level, 3);
	assert_int_equal(r.last_level, 1);
	assert_int_equal(r.fault, TDP_FAULT_NONE);
	assert_int_equal(r.fault_level, -1);
	assert_int_equal(r.fault_detail, TDP_DETAIL_NONE);
	assert_int_equal(r.entry[3], 0x101007);
	assert_int_equal(r.entry[2], 0x102007);
	assert_int_equal(r.entry[1], 0x400000b1);
	assert_int_equal(r.entry_pa[3], 0x100000);
	assert_int_equal(r.entry_pa[2], 0x101000);
	assert_int_equal(r.entry_pa[1], 0x102008);

	/* The decode, from the entries as the walk saw them. */
	pd[1] |= 0x6; /* now RWX; the recorded walk is not */
	assert_int_equal(tdp_lookup_decode(&pgt, &r), 0);
	assert_int_equal(r.perms, TDP_PERM_R);
	assert_int_equal(r.attrs.perms, TDP_PERM_R);
	assert_int_equal(r.attrs.memtype, TDP_MT_WB);
	assert_int_equal(r.attrs.flags, 0);
	assert_int_equal(r.out_addr, 0x40012345);
	assert_int_equal(tdp_lookup(&pgt, 0x212345, &r), 0);
	assert_int_equal(r.perms, TDP_PERM_RWX | TDP_PERM_XU);

	/* A fault: zero attributes and permissions, nothing to decode. */
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(tdp_lookup_raw(&pgt, 0x400000, &r), -TDP_ERR_FAULT);
	assert_int_equal(r.fault, TDP_FAULT_NOT_PRESENT);
	assert_int_equal(r.fault_level, 1);
	assert_int_equal(r.last_level, 1);
	assert_int_equal(r.perms, 0);
	assert_int_equal(r.attrs.perms, 0);
	saved = r;
	assert_int_equal(tdp_lookup_decode(&pgt, &r), -TDP_ERR_INVAL);
	assert_memory_equal(&r, &saved, sizeof(r));

	/* Results that no walk of this table records change nothing. */
	assert_int_equal(tdp_lookup_raw(&pgt, 0x212345, &r), 0);
	r.last_level = 4;
	saved = r;
	assert_int_equal(tdp_lookup_decode(&pgt, &r), -TDP_ERR_INVAL);
	assert_memory_equal(&r, &saved, sizeof(r));
	r.last_level = -1;
	saved = r;
	assert_int_equal(tdp_lookup_decode(&pgt, &r), -TDP_ERR_INVAL);
	assert_memory_equal(&r, &saved, sizeof(r));
	r.last_level = 1;
	r.root_level = 4; /* a 5-level walk */
	saved = r;
	assert_int_equal(tdp_lookup_decode(&pgt, &r), -TDP_ERR_INVAL);
	assert_memory_equal(&r, &saved, sizeof(r));

	assert_int_equal(tdp_lookup_raw(NULL, 0, &r), -TDP_ERR_INVAL);
	assert_int_equal(tdp_lookup_raw(&pgt, 0, NULL), -TDP_ERR_INVAL);
	assert_int_equal(tdp_lookup_decode(NULL, &r), -TDP_ERR_INVAL);
	assert_int_equal(tdp_lookup_decode(&pgt, NULL), -TDP_ERR_INVAL);
	tdp_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_pointer_each_level,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_not_present_each_level,
						fix_setup, fix_teardown),
		cmocka_unit_test(test_table_straddles_end),
		cmocka_unit_test(test_lookup_access),
		cmocka_unit_test(test_lookup_raw_then_decode),
		cmocka_unit_test(test_linear_window),
		cmocka_unit_test(test_linear_window_wraps),
		cmocka_unit_test_setup_teardown(test_self_map_ept, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_self_map_ia32e,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_cycle, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_never_writes, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_args_and_translate,
						fix_setup, fix_teardown),
	};

	return cmocka_run_group_tests_name("lookup", tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * PAE paging ("pae") and 32-bit paging ("legacy32").
 *
 * Hand-built tables are written into claimed pool pages from the Intel SDM
 * layout (vol. 3A, "PAE Paging" and "32-Bit Paging") and looked up; tables
 * the library builds are read back as raw memory and compared with entries
 * assembled here bit by bit. Several PAE roots share one page, as a
 * hypervisor packs them (32-byte PDPTs, CR3 bits 31:5), and operations on
 * one must never touch its neighbours. A small model-based random test runs
 * map/unmap/protect on both formats and checks every leaf against a model.
 *
 * The random test prints its seed; set TDP_SEED to rerun a sequence.
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

#include "rng.h"

#define K4 0x1000ull
#define M2 0x200000ull
#define M4 0x400000ull
#define G1 0x40000000ull
#define G4 0x100000000ull

/* Entry bits, SDM names. */
#define P (1ull << 0)
#define RW (1ull << 1)
#define US (1ull << 2)
#define PWT (1ull << 3)
#define PCD (1ull << 4)
#define ACC (1ull << 5)
#define DRT (1ull << 6)
#define PS (1ull << 7)
#define PTE_PAT (1ull << 7)
#define GLB (1ull << 8)
#define AVL0 (1ull << 9)
#define AVL1 (1ull << 10)
#define AVL2 (1ull << 11)
#define BIG_PAT (1ull << 12)
#define XD (1ull << 63)

#define PERM_X (TDP_PERM_X | TDP_PERM_XU)
#define PERM_ALL (TDP_PERM_RWX | TDP_PERM_U)

/* 8 MiB of "physical memory" at 256 MiB: table addresses fit in 32 bits. */
#define POOL_BASE 0x10000000ull
#define POOL_SIZE (8ull << 20)

static const struct tdp_format_config pae40 = {
	.format = TDP_FMT_PAE, .pa_bits = 40
};
static const struct tdp_format_config pae40_nonx = {
	.format = TDP_FMT_PAE, .features = TDP_FEAT_NO_NX, .pa_bits = 40
};

/* The power-on default PAT: index = PAT << 2 | PCD << 1 | PWT. */
static const uint8_t default_pat[8] = {
	TDP_MT_WB, TDP_MT_WT, TDP_MT_UC_MINUS, TDP_MT_UC,
	TDP_MT_WB, TDP_MT_WT, TDP_MT_UC_MINUS, TDP_MT_UC,
};

struct env {
	struct tdp_pool *pool;
	struct tdp_mm mm;
};

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e || tdp_pool_create(POOL_SIZE, POOL_BASE, &e->pool)) {
		free(e);
		return -1;
	}
	e->mm = tdp_pool_mm(e->pool);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	tdp_pool_destroy(e->pool);
	free(e);
	return 0;
}

/* Claim pool page @n for a hand-built table and return its address. */
static uint64_t claim(struct env *e, unsigned int n)
{
	uint64_t pa = POOL_BASE + n * K4;

	assert_int_equal(tdp_pool_claim(e->pool, pa, K4), 0);
	memset(tdp_pool_phys_to_virt(e->pool, pa, K4), 0, K4);
	return pa;
}

static uint64_t *q(struct env *e, uint64_t pa)
{
	uint64_t *p = tdp_pool_phys_to_virt(e->pool, pa, 8);

	assert_non_null(p);
	return p;
}

static uint32_t *dw(struct env *e, uint64_t pa)
{
	uint32_t *p = tdp_pool_phys_to_virt(e->pool, pa, 4);

	assert_non_null(p);
	return p;
}

static uint64_t tables_in_use(const struct env *e)
{
	struct tdp_pool_stats st;

	assert_int_equal(tdp_pool_get_stats(e->pool, &st), 0);
	return st.tables_in_use;
}

static void expect_ok(const struct tdp_pgt *pgt, uint64_t addr, uint64_t out,
		      uint64_t page_size, uint32_t perms)
{
	struct tdp_lookup r;
	int ret = tdp_lookup(pgt, addr, &r);

	if (ret || r.out_addr != out || r.page_size != page_size ||
	    r.perms != perms)
		fail_msg("lookup 0x%llx: ret %d fault %u at %d, out 0x%llx "
			 "size 0x%llx perms 0x%x; expected out 0x%llx size "
			 "0x%llx perms 0x%x",
			 (unsigned long long)addr, ret, r.fault, r.fault_level,
			 (unsigned long long)r.out_addr,
			 (unsigned long long)r.page_size, r.perms,
			 (unsigned long long)out, (unsigned long long)page_size,
			 perms);
	assert_int_equal(r.fault, TDP_FAULT_NONE);
}

static void expect_fault(const struct tdp_pgt *pgt, uint64_t addr,
			 uint32_t fault, int level, uint32_t detail)
{
	struct tdp_lookup r;
	int ret = tdp_lookup(pgt, addr, &r);

	if (ret != -TDP_ERR_FAULT || r.fault != fault ||
	    r.fault_level != level || r.fault_detail != detail)
		fail_msg("lookup 0x%llx: ret %d fault %u level %d detail %u; "
			 "expected fault %u level %d detail %u",
			 (unsigned long long)addr, ret, r.fault, r.fault_level,
			 r.fault_detail, fault, level, detail);
	assert_int_equal(r.last_level, level);
}

/* --- geometry ------------------------------------------------------------- */

static void test_geometry_pae(void **state)
{
	static const uint8_t bad_pa[] = { 1, 31, 53, 64 };
	static const uint32_t bad_feat[] = {
		TDP_FEAT_PSE, TDP_FEAT_NO_1G, TDP_FEAT_EPT_AD,
		TDP_FEAT_EPT_SPP, TDP_FEAT_EPT_EXEC_ONLY,
	};
	struct tdp_format_config cfg = { .format = TDP_FMT_PAE };
	struct tdp_format f;
	size_t i;

	(void)state;
	assert_int_equal(tdp_format_from_name("pae"), TDP_FMT_PAE);
	assert_int_equal(tdp_format_init(&f, &cfg), 0);
	assert_int_equal(f.levels, 3);
	assert_int_equal(f.entry_size, 8);
	assert_int_equal(f.ia_bits, 32);
	assert_int_equal(f.pa_bits, 52);
	assert_int_equal(f.canonical, 0);
	assert_int_equal(f.root_size, 32);
	assert_int_equal(f.root_align, 32);
	assert_int_equal(f.table_size, 4096);
	/* 4 KiB and 2 MiB pages; a PDPTE never maps a page. */
	assert_int_equal(f.leaf_levels, 0x3);
	assert_int_equal(tdp_format_level_shift(&f, 0), 12);
	assert_int_equal(tdp_format_level_shift(&f, 1), 21);
	assert_int_equal(tdp_format_level_shift(&f, 2), 30);
	assert_int_equal(tdp_format_level_shift(&f, 3), -TDP_ERR_INVAL);
	assert_int_equal(tdp_format_arch_level(&f, 0), 1);
	assert_int_equal(tdp_format_arch_level(&f, 2), 3);

	cfg.pa_bits = 32;
	assert_int_equal(tdp_format_init(&f, &cfg), 0);
	assert_int_equal(f.pa_bits, 32);
	cfg.pa_bits = 52;
	assert_int_equal(tdp_format_init(&f, &cfg), 0);
	for (i = 0; i < sizeof(bad_pa); i++) {
		cfg.pa_bits = bad_pa[i];
		assert_int_equal(tdp_format_init(&f, &cfg), -TDP_ERR_FORMAT);
	}
	cfg.pa_bits = 0;
	cfg.features = TDP_FEAT_NO_NX;
	assert_int_equal(tdp_format_init(&f, &cfg), 0);
	for (i = 0; i < sizeof(bad_feat) / sizeof(bad_feat[0]); i++) {
		cfg.features = bad_feat[i];
		assert_int_equal(tdp_format_init(&f, &cfg), -TDP_ERR_FORMAT);
	}
	cfg.features = 0;
	cfg.ia_bits = 32;
	assert_int_equal(tdp_format_init(&f, &cfg), -TDP_ERR_FORMAT);
}

static void test_geometry_legacy32(void **state)
{
	struct tdp_format_config cfg = { .format = TDP_FMT_LEGACY32 };
	struct tdp_format f;

	(void)state;
	assert_int_equal(tdp_format_from_name("legacy32"), TDP_FMT_LEGACY32);
	assert_int_equal(tdp_format_init(&f, &cfg), 0);
	assert_int_equal(f.levels, 2);
	assert_int_equal(f.entry_size, 4);
	assert_int_equal(f.ia_bits, 32);
	assert_int_equal(f.pa_bits, 32);
	assert_int_equal(f.root_size, 4096);
	assert_int_equal(f.root_align, 4096);
	assert_int_equal(f.leaf_levels, 0x1);
	assert_int_equal(tdp_format_level_shift(&f, 0), 12);
	assert_int_equal(tdp_format_level_shift(&f, 1), 22);
	assert_int_equal(tdp_format_arch_level(&f, 1), 2);

	cfg.features = TDP_FEAT_PSE;
	assert_int_equal(tdp_format_init(&f, &cfg), 0);
	assert_int_equal(f.leaf_levels, 0x3);
	cfg.pa_bits = 36;
	assert_int_equal(tdp_format_init(&f, &cfg), 0);
	assert_int_equal(f.pa_bits, 36);
	cfg.pa_bits = 40;
	assert_int_equal(tdp_format_init(&f, &cfg), 0);
	cfg.pa_bits = 41;
	assert_int_equal(tdp_format_init(&f, &cfg), -TDP_ERR_FORMAT);
	cfg.pa_bits = 31;
	assert_int_equal(tdp_format_init(&f, &cfg), -TDP_ERR_FORMAT);
	cfg.pa_bits = 0;
	/* 32-bit paging has no XD bit and no 1 GiB pages. */
	cfg.features = TDP_FEAT_NO_NX;
	assert_int_equal(tdp_format_init(&f, &cfg), -TDP_ERR_FORMAT);
	cfg.features = TDP_FEAT_NO_1G;
	assert_int_equal(tdp_format_init(&f, &cfg), -TDP_ERR_FORMAT);
}

/* A PAE root needs only 32-byte alignment, anywhere in a page. */
static void test_pae_root_alignment(void **state)
{
	struct env *e = *state;
	uint64_t page = claim(e, 0);
	struct tdp_pgt pgt;
	uint64_t off;

	for (off = 0; off < K4; off += 32) {
		assert_int_equal(tdp_pgt_init_at(&pgt, &pae40, &e->mm,
						 page + off), 0);
		assert_int_equal(pgt.root_pa, page + off);
	}
	assert_int_equal(tdp_pgt_init_at(&pgt, &pae40, &e->mm, page + 0x7f0),
			 -TDP_ERR_ALIGN);
	assert_int_equal(tdp_pgt_init_at(&pgt, &pae40, &e->mm, page + 0x7e8),
			 -TDP_ERR_ALIGN);
	/* The last 32 bytes of the pool hold a root; one slot further not. */
	assert_int_equal(tdp_pgt_init_at(&pgt, &pae40, &e->mm,
					 POOL_BASE + POOL_SIZE - 32), 0);
	assert_int_equal(tdp_pgt_init_at(&pgt, &pae40, &e->mm,
					 POOL_BASE + POOL_SIZE),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_pgt_init_at(&pgt, &pae40, &e->mm, POOL_BASE - 32),
			 -TDP_ERR_RANGE);
}

/* --- PAE lookups on hand-built tables ------------------------------------ */

struct pae_hand {
	uint64_t pdpt_page, root, pd0, pt0, pd2;
};

/*
 * PDPT at offset 0x7e0 of its page (32-byte aligned, not page aligned):
 *   PDPTE0 -> PD0 (ignored bits 11 and 9 set), PDPTE1 not present,
 *   PDPTE2 -> PD2 with PWT and PCD, PDPTE3 not present but full of junk.
 * PD0: [0] -> PT0 (P RW US); [1] 2 MiB at 1 GiB (RW A D G AVL0 XD);
 *      [3] -> PT0 read-only supervisor; [4] -> PT0 with XD.
 * PT0: [0] 0x12345000 P RW US PAT PCD; [1] 0x00abc000 P XD.
 * PD2: [511] 2 MiB at 0xffe00000 P US PAT PWT.
 */
static void build_pae(struct env *e, struct pae_hand *h)
{
	h->pdpt_page = claim(e, 0);
	h->root = h->pdpt_page + 0x7e0;
	h->pd0 = claim(e, 1);
	h->pt0 = claim(e, 2);
	h->pd2 = claim(e, 3);

	*q(e, h->root + 0) = h->pd0 | P | AVL2 | AVL0;
	*q(e, h->root + 8) = 0;
	*q(e, h->root + 16) = h->pd2 | P | PWT | PCD;
	/* Not present: every other bit is ignored, reserved ones too. */
	*q(e, h->root + 24) = 0xfff00000dead01e6ull;

	*q(e, h->pd0 + 0 * 8) = h->pt0 | P | RW | US;
	*q(e, h->pd0 + 1 * 8) = 0x40000000 | P | RW | PS | ACC | DRT | GLB |
				AVL0 | XD;
	*q(e, h->pd0 + 3 * 8) = h->pt0 | P;
	*q(e, h->pd0 + 4 * 8) = h->pt0 | P | RW | US | XD;
	*q(e, h->pt0 + 0 * 8) = 0x12345000 | P | RW | US | PTE_PAT | PCD;
	*q(e, h->pt0 + 1 * 8) = 0x00abc000 | P | XD;
	*q(e, h->pd2 + 511 * 8) = 0xffe00000 | P | US | PS | BIG_PAT | PWT;
}

static void test_pae_lookup_hand(void **state)
{
	struct env *e = *state;
	struct pae_hand h;
	struct tdp_pgt pgt;
	struct tdp_lookup r;
	uint32_t fault;
	uint64_t out;

	build_pae(e, &h);
	assert_int_equal(tdp_pgt_init_at(&pgt, &pae40, &e->mm, h.root), 0);

	/* 0x123: PDPTE0 -> PD0[0] -> PT0[0]. */
	assert_int_equal(tdp_lookup(&pgt, 0x123, &r), 0);
	assert_int_equal(r.root_level, 2);
	assert_int_equal(r.last_level, 0);
	assert_int_equal(r.out_addr, 0x12345123);
	assert_int_equal(r.page_size, K4);
	assert_int_equal(r.entry[2], h.pd0 | P | AVL2 | AVL0);
	assert_int_equal(r.entry_pa[2], h.pdpt_page + 0x7e0);
	assert_int_equal(r.entry[1], h.pt0 | P | RW | US);
	assert_int_equal(r.entry_pa[1], h.pd0);
	assert_int_equal(r.entry[0], 0x12345000 | P | RW | US | PTE_PAT | PCD);
	assert_int_equal(r.entry_pa[0], h.pt0);
	/* The PDPTE grants everything; PDE and PTE grant R W U X. */
	assert_int_equal(r.perms, PERM_ALL);
	assert_int_equal(r.attrs.perms, PERM_ALL);
	assert_int_equal(r.attrs.pat, 6);
	assert_int_equal(r.attrs.memtype, default_pat[6]);
	assert_int_equal(r.attrs.memtype, TDP_MT_UC_MINUS);
	assert_int_equal(r.attrs.flags, 0);
	assert_int_equal(r.attrs.sw, 0);

	/* PT0[1]: read-only, supervisor, execute-disable. */
	expect_ok(&pgt, 0x1fff, 0x00abcfff, K4, TDP_PERM_R);

	/* PD0[1]: a 2 MiB page; bit 9 is software bit 0. */
	assert_int_equal(tdp_lookup(&pgt, M2 + 0x1abcd, &r), 0);
	assert_int_equal(r.out_addr, 0x4001abcd);
	assert_int_equal(r.page_size, M2);
	assert_int_equal(r.last_level, 1);
	assert_int_equal(r.entry_pa[1], h.pd0 + 8);
	assert_int_equal(r.perms, TDP_PERM_R | TDP_PERM_W);
	assert_int_equal(r.attrs.flags,
			 TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY | TDP_ATTR_GLOBAL);
	assert_int_equal(r.attrs.sw, 1);
	assert_int_equal(r.attrs.pat, 0);

	/* PD0[3] takes W, U away from everything below it. */
	assert_int_equal(tdp_lookup(&pgt, 3 * M2 + 5, &r), 0);
	assert_int_equal(r.out_addr, 0x12345005);
	assert_int_equal(r.perms, TDP_PERM_R | PERM_X);
	assert_int_equal(r.attrs.perms, PERM_ALL);
	/* PD0[4] has XD: nothing below it executes. */
	expect_ok(&pgt, 4 * M2, 0x12345000, K4,
		  TDP_PERM_R | TDP_PERM_W | TDP_PERM_U);
	assert_int_equal(tdp_translate(&pgt, 4 * M2, TDP_ACCESS_EXEC, &out,
				       &fault), -TDP_ERR_FAULT);
	assert_int_equal(fault, TDP_FAULT_PERMISSION);
	assert_int_equal(tdp_translate(&pgt, 4 * M2 + 8, TDP_ACCESS_WRITE |
				       TDP_ACCESS_USER, &out, &fault), 0);
	assert_int_equal(out, 0x12345008);

	/* PDPTE2 -> PD2[511]: PAT index 5 = PAT | PWT, write-through. */
	assert_int_equal(tdp_lookup(&pgt, 0xbfe12345, &r), 0);
	assert_int_equal(r.out_addr, 0xffe12345);
	assert_int_equal(r.entry_pa[2], h.root + 16);
	assert_int_equal(r.entry_pa[1], h.pd2 + 511 * 8);
	assert_int_equal(r.attrs.pat, 5);
	assert_int_equal(r.attrs.memtype, TDP_MT_WT);
	assert_int_equal(r.perms, TDP_PERM_R | TDP_PERM_U | PERM_X);

	expect_fault(&pgt, G1, TDP_FAULT_NOT_PRESENT, 2, TDP_DETAIL_NONE);
	expect_fault(&pgt, 0xc0000000, TDP_FAULT_NOT_PRESENT, 2,
		     TDP_DETAIL_NONE);
	expect_fault(&pgt, 2 * M2, TDP_FAULT_NOT_PRESENT, 1, TDP_DETAIL_NONE);
	expect_fault(&pgt, 2 * K4, TDP_FAULT_NOT_PRESENT, 0, TDP_DETAIL_NONE);
	/* 32-bit linear addresses: nothing at or above 4 GiB. */
	expect_fault(&pgt, G4, TDP_FAULT_ADDRESS_SIZE, -1, TDP_DETAIL_NONE);
	expect_fault(&pgt, ~0ull, TDP_FAULT_ADDRESS_SIZE, -1, TDP_DETAIL_NONE);
}

/* With EFER.NXE = 0, XD is a reserved bit in PDEs and PTEs. */
static void test_pae_lookup_no_nx(void **state)
{
	struct env *e = *state;
	struct pae_hand h;
	struct tdp_pgt pgt;

	build_pae(e, &h);
	assert_int_equal(tdp_pgt_init_at(&pgt, &pae40_nonx, &e->mm, h.root),
			 0);
	expect_ok(&pgt, 0x123, 0x12345123, K4, PERM_ALL);
	expect_ok(&pgt, 3 * M2, 0x12345000, K4, TDP_PERM_R | PERM_X);
	expect_ok(&pgt, 0xbfe00000, 0xffe00000, M2,
		  TDP_PERM_R | TDP_PERM_U | PERM_X);
	expect_fault(&pgt, 0x1000, TDP_FAULT_RESERVED, 0,
		     TDP_DETAIL_RESERVED_BIT);
	expect_fault(&pgt, M2, TDP_FAULT_RESERVED, 1, TDP_DETAIL_RESERVED_BIT);
	expect_fault(&pgt, 4 * M2, TDP_FAULT_RESERVED, 1,
		     TDP_DETAIL_RESERVED_BIT);
	/* Without XD the leaf decodes executable. */
	*q(e, h.pt0 + 8) &= ~XD;
	expect_ok(&pgt, 0x1000, 0x00abc000, K4, TDP_PERM_R | PERM_X);
}

/* Every reserved bit of a present PDPTE faults at the PDPTE. */
static void test_pae_pdpte_reserved(void **state)
{
	static const struct {
		int bit;
		uint32_t detail;
	} rsvd[] = {
		{ 1, TDP_DETAIL_RESERVED_BIT }, { 2, TDP_DETAIL_RESERVED_BIT },
		{ 5, TDP_DETAIL_RESERVED_BIT }, { 6, TDP_DETAIL_RESERVED_BIT },
		/* bit 7 is not "page size" here: a PDPTE is never a leaf */
		{ 7, TDP_DETAIL_RESERVED_BIT }, { 8, TDP_DETAIL_RESERVED_BIT },
		/* no XD in a PDPTE, even with NXE */
		{ 63, TDP_DETAIL_RESERVED_BIT },
	};
	struct env *e = *state;
	struct pae_hand h;
	struct tdp_pgt pgt, pgt52;
	struct tdp_format_config cfg52 = { .format = TDP_FMT_PAE };
	uint64_t good;
	size_t i;
	int b;

	build_pae(e, &h);
	good = h.pd0 | P;
	assert_int_equal(tdp_pgt_init_at(&pgt, &pae40, &e->mm, h.root), 0);
	assert_int_equal(tdp_pgt_init_at(&pgt52, &cfg52, &e->mm, h.root), 0);

	for (i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		*q(e, h.root) = good | 1ull << rsvd[i].bit;
		expect_fault(&pgt, 0x123, TDP_FAULT_RESERVED, 2,
			     rsvd[i].detail);
		expect_fault(&pgt52, 0x123, TDP_FAULT_RESERVED, 2,
			     rsvd[i].detail);
		assert_int_equal(tdp_entry_classify(&pgt.fmt, 2, *q(e, h.root)),
				 TDP_ENTRY_RESERVED);
	}
	for (b = 52; b <= 62; b++) {
		*q(e, h.root) = good | 1ull << b;
		expect_fault(&pgt, 0x123, TDP_FAULT_RESERVED, 2,
			     TDP_DETAIL_RESERVED_BIT);
		expect_fault(&pgt52, 0x123, TDP_FAULT_RESERVED, 2,
			     TDP_DETAIL_RESERVED_BIT);
	}
	/* Address bits 51:40 are above MAXPHYADDR 40 (fine with 52). */
	for (b = 40; b <= 51; b++) {
		*q(e, h.root) = good | 1ull << b;
		expect_fault(&pgt, 0x123, TDP_FAULT_RESERVED, 2,
			     TDP_DETAIL_PA_WIDTH);
		/* With 52 bits it is a valid pointer, outside the pool. */
		expect_fault(&pgt52, 0x123, TDP_FAULT_BAD_POINTER, 2,
			     TDP_DETAIL_NONE);
	}
	/* PWT, PCD and the ignored bits 11:9 are allowed. */
	*q(e, h.root) = good | PWT | PCD | AVL0 | AVL1 | AVL2;
	expect_ok(&pgt, 0x123, 0x12345123, K4, PERM_ALL);
	assert_int_equal(tdp_entry_classify(&pgt.fmt, 2, *q(e, h.root)),
			 TDP_ENTRY_TABLE);
	/* Not present: reserved bits do not matter. */
	*q(e, h.root) = 0x01e6 | XD | 1ull << 55 | h.pd0;
	expect_fault(&pgt, 0x123, TDP_FAULT_NOT_PRESENT, 2, TDP_DETAIL_NONE);
	assert_int_equal(tdp_entry_classify(&pgt.fmt, 2, *q(e, h.root)),
			 TDP_ENTRY_INVALID);
}

/* PAE PDEs and PTEs reserve bits 62:52 (IA-32e ignores them). */
static void test_pae_pde_pte_reserved(void **state)
{
	struct env *e = *state;
	struct tdp_format_config ia = { .format = TDP_FMT_IA32E4,
					.pa_bits = 40 };
	struct tdp_format ia32e;
	struct pae_hand h;
	struct tdp_pgt pgt;
	uint64_t pde_t, pde_l, pte;
	int b;

	build_pae(e, &h);
	assert_int_equal(tdp_format_init(&ia32e, &ia), 0);
	assert_int_equal(tdp_pgt_init_at(&pgt, &pae40, &e->mm, h.root), 0);
	pde_t = *q(e, h.pd0);
	pde_l = *q(e, h.pd0 + 8);
	pte = *q(e, h.pt0);

	for (b = 52; b <= 62; b++) {
		uint64_t bit = 1ull << b;

		*q(e, h.pd0) = pde_t | bit;
		expect_fault(&pgt, 0x123, TDP_FAULT_RESERVED, 1,
			     TDP_DETAIL_RESERVED_BIT);
		*q(e, h.pd0) = pde_t;
		*q(e, h.pd0 + 8) = pde_l | bit;
		expect_fault(&pgt, M2, TDP_FAULT_RESERVED, 1,
			     TDP_DETAIL_RESERVED_BIT);
		*q(e, h.pd0 + 8) = pde_l;
		*q(e, h.pt0) = pte | bit;
		expect_fault(&pgt, 0x123, TDP_FAULT_RESERVED, 0,
			     TDP_DETAIL_RESERVED_BIT);
		assert_int_equal(tdp_entry_classify(&pgt.fmt, 0, pte | bit),
				 TDP_ENTRY_RESERVED);
		assert_int_equal(tdp_entry_classify(&ia32e, 0, pte | bit),
				 TDP_ENTRY_LEAF);
		*q(e, h.pt0) = pte;
	}
	/* 2 MiB leaf: bits 20:13 must be zero (bit 12 is PAT). */
	for (b = 13; b <= 20; b++) {
		*q(e, h.pd0 + 8) = pde_l | 1ull << b;
		expect_fault(&pgt, M2, TDP_FAULT_RESERVED, 1,
			     TDP_DETAIL_LEAF_ALIGN);
	}
	*q(e, h.pd0 + 8) = pde_l;
	for (b = 40; b <= 51; b++) {
		*q(e, h.pt0) = pte | 1ull << b;
		expect_fault(&pgt, 0x123, TDP_FAULT_RESERVED, 0,
			     TDP_DETAIL_PA_WIDTH);
	}
	*q(e, h.pt0) = pte;
	expect_ok(&pgt, 0x123, 0x12345123, K4, PERM_ALL);
	expect_ok(&pgt, M2, 0x40000000, M2, TDP_PERM_R | TDP_PERM_W);
}

/* --- several PAE roots in one page ---------------------------------------- */

#define MAX_SNAP 4096

struct snap {
	uint64_t pa[MAX_SNAP];
	uint64_t raw[MAX_SNAP];
	size_t n;
};

static int snap_fn(const struct tdp_visit *v, void *arg)
{
	struct snap *s = arg;

	assert_true(s->n < MAX_SNAP);
	s->pa[s->n] = v->entry_pa;
	s->raw[s->n] = v->old;
	s->n++;
	return 0;
}

/* Every entry of a table (all levels) with where it lives. */
static void take_snap(const struct tdp_pgt *pgt, struct snap *s)
{
	s->n = 0;
	assert_int_equal(tdp_walk(pgt, 0, G4, TDP_WALK_LEAF |
				  TDP_WALK_TABLE_PRE, snap_fn, s), 0);
}

static void assert_snap_equal(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->n, b->n);
	assert_memory_equal(a->pa, b->pa, a->n * sizeof(a->pa[0]));
	assert_memory_equal(a->raw, b->raw, a->n * sizeof(a->raw[0]));
}

struct root_span {
	uint64_t lo, hi;
	unsigned int n;
};

static int root_span_fn(const struct tdp_visit *v, void *arg)
{
	struct root_span *s = arg;

	if (v->level == 2) {
		assert_true(v->entry_pa >= s->lo && v->entry_pa + 8 <= s->hi);
		s->n++;
	}
	return 0;
}

/*
 * Two roots at page + 0x20 and page + 0x40, the rest of the page a
 * pattern: a root is its full address, never its page frame, so nothing an
 * operation on one root does may touch the other or the rest of the page.
 */
static void test_pae_roots_share_page(void **state)
{
	struct env *e = *state;
	struct tdp_attrs rwx = { .perms = TDP_PERM_RWX };
	struct tdp_attrs rw = { .perms = TDP_PERM_R | TDP_PERM_W };
	uint64_t page = claim(e, 0);
	uint64_t ra = page + 0x20, rb = page + 0x40;
	uint8_t *mem = tdp_pool_phys_to_virt(e->pool, page, K4);
	static uint8_t before[4096], a_empty[4096];
	static struct snap sb[2];
	struct tdp_pgt a, b;
	struct root_span span = { ra, ra + 32, 0 };
	uint64_t tables_b;

	memset(sb, 0, sizeof(sb));
	memset(mem, 0xa4, K4);
	memset(mem + 0x20, 0, 64);
	assert_int_equal(tdp_pgt_init_at(&a, &pae40, &e->mm, ra), 0);
	assert_int_equal(tdp_pgt_init_at(&b, &pae40, &e->mm, rb), 0);

	/* B: 2 MiB at 0 -> 2 GiB, a page at 3 GiB, one at 1 GiB + 4 KiB. */
	assert_int_equal(tdp_map(&b, 0, M2, 0x80000000, &rwx, 0, NULL), 0);
	assert_int_equal(tdp_map(&b, 0xc0000000, K4, 0x9000, &rw, 0, NULL), 0);
	assert_int_equal(tdp_map(&b, G1 + K4, K4, 0xa000, &rw, 0, NULL), 0);
	tables_b = tables_in_use(e);
	assert_int_equal(tables_b, 5); /* 3 PDs, 2 PTs */
	memcpy(before, mem, K4);
	memcpy(a_empty, mem, K4);
	take_snap(&b, &sb[0]);

	/* A: the same slots of its own PDPT, other contents. */
	assert_int_equal(tdp_map(&a, 0, K4, 0x40000000, &rw, 0, NULL), 0);
	assert_int_equal(tdp_map(&a, G1, M2, 0x60000000, &rwx, 0, NULL), 0);
	assert_int_equal(tdp_map(&a, 0xc0000000, M2, 0x01000000, &rwx, 0,
				 NULL), 0);
	/* Only A's 32 bytes changed in the page: each PDPTE is table | P. */
	assert_memory_equal(mem, before, 0x20);
	assert_memory_equal(mem + 0x40, before + 0x40, K4 - 0x40);
	assert_int_equal(*q(e, ra) & 0xfff, P);
	assert_int_equal(*q(e, ra + 8) & 0xfff, P);
	assert_int_equal(*q(e, ra + 16), 0);
	assert_int_equal(*q(e, ra + 24) & 0xfff, P);
	take_snap(&b, &sb[1]);
	assert_snap_equal(&sb[0], &sb[1]);

	expect_ok(&a, 0x123, 0x40000123, K4, TDP_PERM_R | TDP_PERM_W);
	expect_ok(&b, 0x123, 0x80000123, M2, TDP_PERM_RWX);
	expect_ok(&a, G1 + K4, 0x60001000, M2, TDP_PERM_RWX);
	expect_ok(&b, G1 + K4, 0xa000, K4, TDP_PERM_R | TDP_PERM_W);
	expect_ok(&a, 0xc0000010, 0x01000010, M2, TDP_PERM_RWX);
	expect_ok(&b, 0xc0000010, 0x9010, K4, TDP_PERM_R | TDP_PERM_W);
	expect_fault(&a, 2 * G1, TDP_FAULT_NOT_PRESENT, 2, TDP_DETAIL_NONE);
	expect_fault(&b, 2 * G1, TDP_FAULT_NOT_PRESENT, 2, TDP_DETAIL_NONE);

	/* A walk of A reads only A's four PDPTEs. */
	assert_int_equal(tdp_walk(&a, 0, G4, TDP_WALK_LEAF |
				  TDP_WALK_TABLE_PRE, root_span_fn, &span), 0);
	assert_int_equal(span.n, 4);

	/* Protect, then split, then unmap everything in A. */
	assert_int_equal(tdp_protect(&a, 0, G4, 0, TDP_PERM_W, 0, NULL), 0);
	assert_int_equal(tdp_unmap(&a, G1 + M2 / 2, K4, 0, NULL), 0);
	take_snap(&b, &sb[1]);
	assert_snap_equal(&sb[0], &sb[1]);
	assert_int_equal(tdp_unmap(&a, 0, G4, 0, NULL), 0);
	assert_memory_equal(mem, before, K4);
	assert_int_equal(tables_in_use(e), tables_b);
	take_snap(&b, &sb[1]);
	assert_snap_equal(&sb[0], &sb[1]);
	expect_ok(&b, 0x123, 0x80000123, M2, TDP_PERM_RWX);

	/* The other way round: A mapped, B emptied; A keeps its tables. */
	assert_int_equal(tdp_map(&a, 0, M2, 0x20000000, &rw, 0, NULL), 0);
	take_snap(&a, &sb[0]);
	memcpy(before, mem, K4);
	assert_int_equal(tdp_unmap(&b, 0, G4, 0, NULL), 0);
	take_snap(&a, &sb[1]);
	assert_snap_equal(&sb[0], &sb[1]);
	assert_memory_equal(mem, before, 0x40);
	assert_memory_equal(mem + 0x60, before + 0x60, K4 - 0x60);
	assert_int_equal(*q(e, rb) | *q(e, rb + 8) | *q(e, rb + 16) |
			 *q(e, rb + 24), 0);
	assert_int_equal(tables_in_use(e), 1);
	expect_ok(&a, 0x123, 0x20000123, M2, TDP_PERM_R | TDP_PERM_W);
	assert_int_equal(tdp_unmap(&a, 0, G4, 0, NULL), 0);
	assert_memory_equal(mem, a_empty, 0x20);
	assert_int_equal(tables_in_use(e), 0);
}

/* --- PAE through the library ---------------------------------------------- */

static void test_pae_map_raw(void **state)
{
	struct env *e = *state;
	struct tdp_pgt pgt;
	struct tdp_attrs rw = { .perms = TDP_PERM_R | TDP_PERM_W };
	struct tdp_attrs big = { .perms = PERM_ALL, .sw = 7 };
	const uint64_t big_pa = (1ull << 40) - M2;
	uint64_t pdpte, pd, pde, pt, pt2, j;
	uint8_t *root;

	assert_int_equal(tdp_pgt_init(&pgt, &pae40, &e->mm), 0);
	assert_int_equal(tables_in_use(e), 1);
	root = tdp_pool_phys_to_virt(e->pool, pgt.root_pa, K4);
	assert_non_null(root);

	assert_int_equal(tdp_map(&pgt, K4, K4, 0x5000, &rw, 0, NULL), 0);
	/* The PDPTE the library makes: the PD's address and P, nothing else. */
	pdpte = *q(e, pgt.root_pa);
	pd = pdpte & ~0xfffull;
	assert_int_equal(pdpte, pd | 1);
	assert_true(pd >= POOL_BASE && pd < POOL_BASE + POOL_SIZE);
	pde = *q(e, pd);
	pt = pde & ~0xfffull;
	assert_int_equal(pde, pt | P | RW | US);
	assert_int_equal(*q(e, pt + 8), 0x5000 | P | RW | XD);
	assert_int_equal(*q(e, pt), 0);
	assert_int_equal(tables_in_use(e), 3);
	expect_ok(&pgt, 0x1abc, 0x5abc, K4, TDP_PERM_R | TDP_PERM_W);

	/* 2 MiB at 3 GiB + 2 MiB, highest 2 MiB frame below 2^40. */
	assert_int_equal(tdp_map(&pgt, 0xc0200000, M2, big_pa, &big, 0, NULL),
			 0);
	pdpte = *q(e, pgt.root_pa + 24);
	pd = pdpte & ~0xfffull;
	assert_int_equal(pdpte, pd | 1);
	assert_int_equal(*q(e, pd + 8),
			 big_pa | P | RW | US | PS | AVL0 | AVL1 | AVL2);
	expect_ok(&pgt, 0xc0212345, big_pa + 0x12345, M2, PERM_ALL);

	/* Write-protect the block in place. */
	assert_int_equal(tdp_protect(&pgt, 0xc0200000, M2, 0, TDP_PERM_W, 0,
				     NULL), 0);
	assert_int_equal(*q(e, pd + 8),
			 big_pa | P | US | PS | AVL0 | AVL1 | AVL2);
	/* Make one page of it writable: the block splits into 512 PTEs. */
	assert_int_equal(tdp_protect(&pgt, 0xc0300000, K4, TDP_PERM_W, 0, 0,
				     NULL), 0);
	pde = *q(e, pd + 8);
	pt2 = pde & ~0xfffull;
	assert_int_equal(pde, pt2 | P | RW | US);
	for (j = 0; j < 512; j++) {
		uint64_t exp = (big_pa + j * K4) | P | US | AVL0 | AVL1 | AVL2;

		if (j == 0x100)
			exp |= RW;
		assert_int_equal(*q(e, pt2 + j * 8), exp);
	}

	/* Two 2 MiB pages across the 1 GiB boundary: two PDPTEs. */
	assert_int_equal(tdp_map(&pgt, G1 - M2, 2 * M2, 0x7fe00000, &rw, 0,
				 NULL), 0);
	pdpte = *q(e, pgt.root_pa + 8);
	assert_int_equal(pdpte, (pdpte & ~0xfffull) | 1);
	assert_int_equal(*q(e, (pdpte & ~0xfffull)),
			 0x80000000 | P | RW | PS | XD);
	pd = *q(e, pgt.root_pa) & ~0xfffull;
	assert_int_equal(*q(e, pd + 511 * 8), 0x7fe00000 | P | RW | PS | XD);

	/* Only the first 32 bytes of the root page are PDPTEs. */
	for (j = 32; j < K4; j++)
		assert_int_equal(root[j], 0);

	assert_int_equal(tdp_unmap(&pgt, 0, G4, 0, NULL), 0);
	for (j = 0; j < 32; j++)
		assert_int_equal(root[j], 0);
	assert_int_equal(tables_in_use(e), 1);
	tdp_pgt_destroy(&pgt);
	assert_int_equal(tables_in_use(e), 0);
}

static void test_pae_map_whole_space(void **state)
{
	struct env *e = *state;
	struct tdp_pgt pgt;
	struct tdp_attrs rwx = { .perms = TDP_PERM_RWX };
	unsigned int i;

	assert_int_equal(tdp_pgt_init(&pgt, &pae40, &e->mm), 0);
	/* No 1 GiB pages: the whole 4 GiB takes 4 PDs of 2 MiB leaves. */
	assert_int_equal(tdp_map(&pgt, 0, G4, 0, &rwx, 0, NULL), 0);
	assert_int_equal(tables_in_use(e), 5);
	for (i = 0; i < 4; i++) {
		uint64_t pdpte = *q(e, pgt.root_pa + i * 8);
		uint64_t pd = pdpte & ~0xfffull;

		assert_int_equal(pdpte, pd | 1);
		assert_int_equal(*q(e, pd + 511 * 8),
				 (i * G1 + 511 * M2) | P | RW | PS);
	}
	expect_ok(&pgt, 0xffffffff, 0xffffffff, M2, TDP_PERM_RWX);
	assert_int_equal(tdp_unmap(&pgt, 0, G4, 0, NULL), 0);
	assert_int_equal(tables_in_use(e), 1);
	tdp_pgt_destroy(&pgt);
}

static void test_pae_map_errors(void **state)
{
	struct env *e = *state;
	struct tdp_pgt pgt, nonx;
	struct tdp_attrs a = { .perms = TDP_PERM_R | TDP_PERM_W };
	struct tdp_pool_stats st0, st1;

	assert_int_equal(tdp_pgt_init(&pgt, &pae40, &e->mm), 0);
	assert_int_equal(tdp_pgt_init(&nonx, &pae40_nonx, &e->mm), 0);
	assert_int_equal(tdp_pool_get_stats(e->pool, &st0), 0);

	/* No protection keys in PAE paging. */
	a.pkey = 1;
	assert_int_equal(tdp_map(&pgt, 0, K4, 0, &a, 0, NULL),
			 -TDP_ERR_NOTSUP);
	a.pkey = 0;
	/* Three software bits only (11:9). */
	a.sw = 8;
	assert_int_equal(tdp_map(&pgt, 0, K4, 0, &a, 0, NULL), -TDP_ERR_INVAL);
	a.sw = 0;
	/* Not executable needs XD, which NO_NX reserves. */
	assert_int_equal(tdp_map(&nonx, 0, K4, 0, &a, 0, NULL),
			 -TDP_ERR_NOTSUP);
	assert_int_equal(tdp_map(&pgt, G4 - K4, 2 * K4, 0, &a, 0, NULL),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_map(&pgt, G4, K4, 0, &a, 0, NULL),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_map(&pgt, 0, K4, 1ull << 40, &a, 0, NULL),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_map(&pgt, 0, 2 * K4, (1ull << 40) - K4, &a, 0,
				 NULL), -TDP_ERR_RANGE);
	assert_int_equal(tdp_pool_get_stats(e->pool, &st1), 0);
	assert_memory_equal(&st0, &st1, sizeof(st0));

	/* With XD allowed, the same leaf works; with NO_NX exec works. */
	assert_int_equal(tdp_map(&pgt, 0, K4, (1ull << 40) - K4, &a, 0, NULL),
			 0);
	a.perms |= PERM_X;
	assert_int_equal(tdp_map(&nonx, 0, K4, 0x3000, &a, 0, NULL), 0);
	expect_ok(&nonx, 0x10, 0x3010, K4, TDP_PERM_RWX);
	tdp_pgt_destroy(&pgt);
	tdp_pgt_destroy(&nonx);
	assert_int_equal(tables_in_use(e), 0);
}

/* --- 32-bit paging: hand-built tables ------------------------------------- */

static const struct tdp_format_config l32 = { .format = TDP_FMT_LEGACY32 };

static struct tdp_format_config pse_bits(unsigned int pa_bits)
{
	struct tdp_format_config c = {
		.format = TDP_FMT_LEGACY32,
		.features = TDP_FEAT_PSE,
		.pa_bits = (uint8_t)pa_bits,
	};

	return c;
}

/* A 4 MiB PDE by the SDM: PA 31:22 in place, PA 39:32 in bits 20:13. */
static uint32_t pse_pde(uint64_t pa, uint32_t flags)
{
	return (uint32_t)(pa & 0xffc00000u) |
	       (uint32_t)(((pa >> 32) & 0xff) << 13) | flags | (uint32_t)PS;
}

struct l32_hand {
	uint64_t pd, pt, pt2;
};

/*
 * PD[0] -> PT (P RW US); PT[3] 0x12345000 with A D PAT G AVL0 AVL1;
 * PT[4] 0xfffff000 P only. PD[1] 0x00c0108b: with PSE a 4 MiB page at
 * 12 MiB (PAT, PWT), without PSE a table pointer to 0x00c01000 (outside
 * the pool). PD[2] = PT2 | P RW US PS: without PSE it points to PT2, whose
 * entry 5 maps 0x00777000.
 */
static void build_l32(struct env *e, struct l32_hand *h)
{
	h->pd = claim(e, 0);
	h->pt = claim(e, 1);
	h->pt2 = claim(e, 2);
	*dw(e, h->pd + 0) = (uint32_t)(h->pt | P | RW | US);
	*dw(e, h->pt + 3 * 4) = (uint32_t)(0x12345000 | P | RW | US | ACC |
					   DRT | PTE_PAT | GLB | AVL0 |
					   AVL1);
	*dw(e, h->pt + 4 * 4) = 0xfffff000u | (uint32_t)P;
	*dw(e, h->pd + 1 * 4) = 0x00c0108bu;
	*dw(e, h->pd + 2 * 4) = (uint32_t)(h->pt2 | P | RW | US | PS);
	*dw(e, h->pt2 + 5 * 4) = (uint32_t)(0x00777000 | P | RW);
}

static void test_l32_lookup_hand(void **state)
{
	struct env *e = *state;
	struct tdp_format_config c40 = pse_bits(40), c32 = pse_bits(32);
	struct tdp_pgt nopse, pse, pse40;
	struct tdp_lookup r;
	struct l32_hand h;

	build_l32(e, &h);
	/* The constant agrees with the field-by-field form. */
	assert_int_equal(pse_pde(0x00c00000,
				 (uint32_t)(P | RW | PWT | BIG_PAT)),
			 0x00c0108bu);
	assert_int_equal(tdp_pgt_init_at(&nopse, &l32, &e->mm, h.pd), 0);
	assert_int_equal(tdp_pgt_init_at(&pse, &c32, &e->mm, h.pd), 0);
	assert_int_equal(tdp_pgt_init_at(&pse40, &c40, &e->mm, h.pd), 0);

	/* PTE 3: 4-byte entries, index 3 at byte 12. */
	assert_int_equal(tdp_lookup(&nopse, 0x3abc, &r), 0);
	assert_int_equal(r.root_level, 1);
	assert_int_equal(r.last_level, 0);
	assert_int_equal(r.out_addr, 0x12345abc);
	assert_int_equal(r.entry[1], h.pt | P | RW | US);
	assert_int_equal(r.entry_pa[1], h.pd);
	assert_int_equal(r.entry[0], 0x123457e7);
	assert_int_equal(r.entry_pa[0], h.pt + 12);
	/* No XD: every page is executable. */
	assert_int_equal(r.perms, PERM_ALL);
	assert_int_equal(r.attrs.pat, 4);
	assert_int_equal(r.attrs.memtype, default_pat[4]);
	assert_int_equal(r.attrs.flags, TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY |
					 TDP_ATTR_GLOBAL);
	assert_int_equal(r.attrs.sw, 3);
	expect_ok(&nopse, 0x4fff, 0xffffffff, K4, TDP_PERM_R | PERM_X);
	expect_ok(&pse, 0x4fff, 0xffffffff, K4, TDP_PERM_R | PERM_X);

	/* With PSE, PD[1] maps 4 MiB at 12 MiB, PAT index 5. */
	assert_int_equal(tdp_lookup(&pse, M4 + 0x123456, &r), 0);
	assert_int_equal(r.out_addr, 0x00d23456);
	assert_int_equal(r.page_size, M4);
	assert_int_equal(r.last_level, 1);
	assert_int_equal(r.entry_pa[1], h.pd + 4);
	assert_int_equal(r.attrs.pat, 5);
	assert_int_equal(r.attrs.memtype, TDP_MT_WT);
	assert_int_equal(r.perms, TDP_PERM_R | TDP_PERM_W | PERM_X);
	/* Without PSE bit 7 is ignored: 0x00c01000 is a table pointer. */
	expect_fault(&nopse, M4 + 0x123456, TDP_FAULT_BAD_POINTER, 1,
		     TDP_DETAIL_NONE);
	assert_int_equal(tdp_entry_classify(&nopse.fmt, 1, 0x00c0108bu),
			 TDP_ENTRY_TABLE);

	/* PD[2]: without PSE a walk to PT2... */
	assert_int_equal(tdp_lookup(&nopse, 2 * M4 + 0x5abc, &r), 0);
	assert_int_equal(r.last_level, 0);
	assert_int_equal(r.out_addr, 0x00777abc);
	assert_int_equal(r.entry_pa[0], h.pt2 + 20);
	/* ...with PSE and 40 bits a 4 MiB page: PT2 = 0x10002000 has bit 13
	 * set, which is PA bit 32. */
	assert_int_equal(h.pt2, 0x10002000);
	expect_ok(&pse40, 2 * M4 + 0x5abc, 0x110005abcull, M4,
		  TDP_PERM_RWX | TDP_PERM_U);
	/* ...and with 32 bits, bit 13 is an address bit the CPU lacks. */
	expect_fault(&pse, 2 * M4, TDP_FAULT_RESERVED, 1,
		     TDP_DETAIL_PA_WIDTH);

	expect_fault(&nopse, 3 * M4, TDP_FAULT_NOT_PRESENT, 1,
		     TDP_DETAIL_NONE);
	expect_fault(&nopse, 0x5000, TDP_FAULT_NOT_PRESENT, 0,
		     TDP_DETAIL_NONE);
	expect_fault(&nopse, G4, TDP_FAULT_ADDRESS_SIZE, -1, TDP_DETAIL_NONE);
	/* A PTE has no reserved bits at all. */
	*dw(e, h.pt + 4 * 4) = 0xffffffffu;
	expect_ok(&nopse, 0x4000, 0xfffff000, K4, PERM_ALL);
}

/* PSE-36 style addresses: PDE bits 20:13 hold PA bits 39:32. */
static void test_l32_pse36(void **state)
{
	struct env *e = *state;
	struct tdp_format_config c32 = pse_bits(32), c36 = pse_bits(36);
	struct tdp_format_config c40 = pse_bits(40);
	struct tdp_pgt p32, p36, p40;
	uint64_t pd = claim(e, 0);
	uint32_t *pde = dw(e, pd + 3 * 4);
	const uint64_t va = 3 * M4;
	int b;

	assert_int_equal(tdp_pgt_init_at(&p32, &c32, &e->mm, pd), 0);
	assert_int_equal(tdp_pgt_init_at(&p36, &c36, &e->mm, pd), 0);
	assert_int_equal(tdp_pgt_init_at(&p40, &c40, &e->mm, pd), 0);

	/* PA 0xa_4000_0000: bits 31:22 = 0x100, PA[35:32] = 0xa. */
	*pde = 0x40014081u;
	assert_int_equal(*pde, pse_pde(0xa40000000ull, (uint32_t)P));
	expect_ok(&p36, va + 0x123456, 0xa40123456ull, M4,
		  TDP_PERM_R | PERM_X);
	expect_ok(&p40, va + 0x123456, 0xa40123456ull, M4,
		  TDP_PERM_R | PERM_X);
	expect_fault(&p32, va, TDP_FAULT_RESERVED, 1, TDP_DETAIL_PA_WIDTH);

	/* PA 0xc3_ffc0_0000: PA[39:32] = 0xc3 needs all of 20:13. */
	*pde = 0xffd86081u;
	assert_int_equal(*pde, pse_pde(0xc3ffc00000ull, (uint32_t)P));
	expect_ok(&p40, va + 0x3fffff, 0xc3ffffffffull, M4,
		  TDP_PERM_R | PERM_X);
	expect_fault(&p36, va, TDP_FAULT_RESERVED, 1, TDP_DETAIL_PA_WIDTH);

	/* Bit 21 is reserved whatever the width. */
	*pde = 0x40000081u | 1u << 21;
	expect_fault(&p40, va, TDP_FAULT_RESERVED, 1, TDP_DETAIL_RESERVED_BIT);
	expect_fault(&p36, va, TDP_FAULT_RESERVED, 1, TDP_DETAIL_RESERVED_BIT);
	expect_fault(&p32, va, TDP_FAULT_RESERVED, 1, TDP_DETAIL_RESERVED_BIT);

	/* 36 bits: 16:13 are address, 20:17 are not. */
	for (b = 13; b <= 20; b++) {
		*pde = 0x40000081u | 1u << b;
		if (b <= 16)
			expect_ok(&p36, va, 0x40000000 | 1ull << (b - 13 + 32),
				  M4, TDP_PERM_R | PERM_X);
		else
			expect_fault(&p36, va, TDP_FAULT_RESERVED, 1,
				     TDP_DETAIL_PA_WIDTH);
		expect_ok(&p40, va, 0x40000000 | 1ull << (b - 13 + 32), M4,
			  TDP_PERM_R | PERM_X);
		expect_fault(&p32, va, TDP_FAULT_RESERVED, 1,
			     TDP_DETAIL_PA_WIDTH);
	}
	/* Bit 12 is PAT, not an address bit. */
	*pde = 0x40001081u;
	expect_ok(&p32, va + 1, 0x40000001, M4, TDP_PERM_R | PERM_X);
}

/* --- 32-bit paging through the library ------------------------------------ */

static void test_l32_map_raw(void **state)
{
	struct env *e = *state;
	struct tdp_format_config c40 = pse_bits(40);
	struct tdp_attrs all = { .perms = PERM_ALL };
	struct tdp_attrs rwx = { .perms = TDP_PERM_RWX };
	struct tdp_attrs ro = { .perms = TDP_PERM_R | PERM_X | TDP_PERM_U,
				.flags = TDP_ATTR_PAT_INDEX, .pat = 3 };
	struct tdp_pool_stats st0, st1;
	struct tdp_pgt pgt;
	uint64_t t, t2, j;
	uint32_t *pd;

	assert_int_equal(tdp_pgt_init(&pgt, &c40, &e->mm), 0);
	pd = tdp_pool_phys_to_virt(e->pool, pgt.root_pa, K4);
	assert_non_null(pd);

	/* One page at 4 MiB + 4 KiB: PDE 1, PTE 1, 4 bytes each. */
	assert_int_equal(tdp_map(&pgt, M4 + K4, K4, 0x7000, &all, 0, NULL), 0);
	t = pd[1] & ~0xfffu;
	assert_int_equal(pd[1], t | P | RW | US);
	assert_true(t >= POOL_BASE && t < POOL_BASE + POOL_SIZE);
	assert_int_equal(pd[0], 0);
	assert_int_equal(pd[2], 0);
	assert_int_equal(*dw(e, t + 4), 0x7007);
	assert_int_equal(*dw(e, t + 0), 0);
	assert_int_equal(*dw(e, t + 8), 0);
	expect_ok(&pgt, M4 + K4 + 0x10, 0x7010, K4, PERM_ALL);

	/* A 4 MiB page above 4 GiB: PA[39:32] = 2 in bits 20:13. */
	assert_int_equal(tdp_map(&pgt, 2 * M4, M4, 0x200400000ull, &rwx, 0,
				 NULL), 0);
	assert_int_equal(pd[2], 0x00404083u);
	assert_int_equal(pd[2], pse_pde(0x200400000ull, (uint32_t)(P | RW)));
	expect_ok(&pgt, 2 * M4 + 0x12345, 0x200412345ull, M4, TDP_PERM_RWX);
	/* It has no 4 KiB form: cutting it is impossible, nothing changes. */
	assert_int_equal(tdp_pool_get_stats(e->pool, &st0), 0);
	assert_int_equal(tdp_unmap(&pgt, 2 * M4 + K4, K4, 0, NULL),
			 -TDP_ERR_NOTSUP);
	assert_int_equal(tdp_protect(&pgt, 2 * M4, K4, 0, TDP_PERM_W, 0, NULL),
			 -TDP_ERR_NOTSUP);
	assert_int_equal(pd[2], 0x00404083u);
	assert_int_equal(tdp_pool_get_stats(e->pool, &st1), 0);
	assert_memory_equal(&st0, &st1, sizeof(st0));
	/* Whole, it can be changed. */
	assert_int_equal(tdp_protect(&pgt, 2 * M4, M4, 0, TDP_PERM_W, 0, NULL),
			 0);
	assert_int_equal(pd[2], 0x00404081u);

	/* 4 MiB at 12 MiB, PAT index 3 (PCD, PWT), user, read-only. */
	assert_int_equal(tdp_map(&pgt, 3 * M4, M4, 0x01000000, &ro, 0, NULL),
			 0);
	assert_int_equal(pd[3], 0x0100009du);
	/* Splitting it keeps everything but the page size. */
	assert_int_equal(tdp_unmap(&pgt, 3 * M4 + 5 * K4, K4, 0, NULL), 0);
	t2 = pd[3] & ~0xfffu;
	assert_int_equal(pd[3], t2 | P | RW | US);
	for (j = 0; j < 1024; j++) {
		uint32_t exp = j == 5 ? 0 : (uint32_t)((0x01000000 + j * K4) |
						      P | US | PWT | PCD);

		assert_int_equal(*dw(e, t2 + j * 4), exp);
	}
	expect_ok(&pgt, 3 * M4 + 6 * K4 + 1, 0x01006001, K4,
		  TDP_PERM_R | PERM_X | TDP_PERM_U);

	/* Removing everything leaves the root, all zero. */
	assert_int_equal(tdp_unmap(&pgt, 0, G4, 0, NULL), 0);
	for (j = 0; j < 1024; j++)
		assert_int_equal(pd[j], 0);
	assert_int_equal(tables_in_use(e), 1);
	tdp_pgt_destroy(&pgt);
}

static void test_l32_map_errors(void **state)
{
	struct env *e = *state;
	struct tdp_format_config c40 = pse_bits(40);
	struct tdp_attrs a = { .perms = TDP_PERM_RWX };
	struct tdp_pool_stats st0, st1;
	struct tdp_pgt pgt, nopse;
	uint64_t raw;

	assert_int_equal(tdp_pgt_init(&pgt, &c40, &e->mm), 0);
	assert_int_equal(tdp_pgt_init(&nopse, &l32, &e->mm), 0);
	assert_int_equal(tdp_pool_get_stats(e->pool, &st0), 0);

	/* PTEs reach only 4 GiB, whatever pa_bits says. */
	assert_int_equal(tdp_map(&pgt, 0, K4, G4, &a, 0, NULL),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_map(&pgt, 0, 2 * K4, G4 - K4, &a, 0, NULL),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_map(&pgt, M4, M4, G4, &a, TDP_OP_MAX_LEVEL(0),
				 NULL), -TDP_ERR_RANGE);
	assert_int_equal(tdp_entry_encode_leaf(&pgt.fmt, 0, G4, &a, &raw),
			 -TDP_ERR_RANGE);
	/* A 4 MiB page there is fine, below 2^40 only. */
	assert_int_equal(tdp_entry_encode_leaf(&pgt.fmt, 1, G4, &a, &raw), 0);
	assert_int_equal(raw, (1u << 13) | P | RW | PS);
	assert_int_equal(tdp_entry_encode_leaf(&pgt.fmt, 1, 1ull << 40, &a,
					       &raw), -TDP_ERR_RANGE);
	assert_int_equal(tdp_map(&nopse, 0, M4, G4, &a, 0, NULL),
			 -TDP_ERR_RANGE);
	/* No XD: a page cannot be made non-executable. */
	a.perms = TDP_PERM_R | TDP_PERM_W;
	assert_int_equal(tdp_map(&pgt, 0, K4, 0, &a, 0, NULL),
			 -TDP_ERR_NOTSUP);
	a.perms = TDP_PERM_RWX;
	a.sw = 8;
	assert_int_equal(tdp_map(&pgt, 0, K4, 0, &a, 0, NULL), -TDP_ERR_INVAL);
	a.sw = 0;
	a.pkey = 1;
	assert_int_equal(tdp_map(&pgt, 0, K4, 0, &a, 0, NULL),
			 -TDP_ERR_NOTSUP);
	a.pkey = 0;
	assert_int_equal(tdp_map(&pgt, G4 - K4, 2 * K4, 0, &a, 0, NULL),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_pool_get_stats(e->pool, &st1), 0);
	assert_memory_equal(&st0, &st1, sizeof(st0));

	/* sw 7 fills bits 11:9. */
	a.sw = 7;
	assert_int_equal(tdp_map(&pgt, 0, K4, G4 - K4, &a, 0, NULL), 0);
	expect_ok(&pgt, 0xfff, 0xffffffff, K4, TDP_PERM_RWX);
	assert_int_equal(tdp_entry_encode_leaf(&pgt.fmt, 0, G4 - K4, &a, &raw),
			 0);
	assert_int_equal(raw, 0xfffffe03u);
	/* Without PSE, 4 MiB of aligned memory takes 1024 PTEs. */
	a.sw = 0;
	assert_int_equal(tdp_map(&nopse, M4, M4, 2 * M4, &a, 0, NULL), 0);
	expect_ok(&nopse, M4 + 0x3ff123, 2 * M4 + 0x3ff123, K4, TDP_PERM_RWX);
	tdp_pgt_destroy(&pgt);
	tdp_pgt_destroy(&nopse);
	assert_int_equal(tables_in_use(e), 0);
}

struct pat_fmt {
	const char *name;
	struct tdp_format_config cfg;
	uint64_t big; /* bytes of a level-1 leaf */
};

/* Map a block with PAT index @pat, write-protect it, cut it. */
static void check_pat_kept(struct env *e, const struct pat_fmt *pf,
			   unsigned int pat)
{
	struct tdp_attrs a = { .perms = TDP_PERM_RWX,
			       .flags = TDP_ATTR_PAT_INDEX,
			       .pat = (uint8_t)pat };
	const uint64_t big = pf->big, base = 4 * big;
	const uint64_t pte_bits = (pat & 4 ? PTE_PAT : 0) |
				  (pat & 2 ? PCD : 0) | (pat & 1 ? PWT : 0);
	const uint64_t big_bits = (pat & 4 ? BIG_PAT : 0) |
				  (pat & 2 ? PCD : 0) | (pat & 1 ? PWT : 0);
	struct tdp_lookup r;
	struct tdp_pgt pgt;
	uint64_t j;

	assert_int_equal(tdp_pgt_init(&pgt, &pf->cfg, &e->mm), 0);
	assert_int_equal(tdp_map(&pgt, base, big, big, &a, 0, NULL), 0);
	assert_int_equal(tdp_lookup(&pgt, base, &r), 0);
	assert_int_equal(r.attrs.pat, pat);
	assert_int_equal(r.entry[1] & (BIG_PAT | PCD | PWT), big_bits);

	/* Write-protecting the block in place keeps it. */
	assert_int_equal(tdp_protect(&pgt, base, big, 0, TDP_PERM_W, 0, NULL),
			 0);
	assert_int_equal(tdp_lookup(&pgt, base, &r), 0);
	if ((r.entry[1] & (BIG_PAT | PCD | PWT)) != big_bits)
		fail_msg("%s: protect of a block with PAT index %u gave 0x%llx "
			 "(PAT index %u)", pf->name, pat,
			 (unsigned long long)r.entry[1], r.attrs.pat);

	/* So does cutting it: the PAT bit moves to bit 7 of the PTEs. */
	assert_int_equal(tdp_unmap(&pgt, base, K4, 0, NULL), 0);
	for (j = 1; j < big / K4; j += 37) {
		assert_int_equal(tdp_lookup(&pgt, base + j * K4, &r), 0);
		if ((r.entry[0] & (PTE_PAT | PCD | PWT)) != pte_bits)
			fail_msg("%s: split of a block with PAT index %u gave "
				 "PTE 0x%llx (PAT index %u)", pf->name, pat,
				 (unsigned long long)r.entry[0], r.attrs.pat);
	}
	tdp_pgt_destroy(&pgt);
}

/*
 * Protect and split keep a leaf's attributes, the PAT index (PAT, PCD,
 * PWT) included: the PAT MSR may hold anything, not only its power-on
 * values, so index 4 is not index 0 even though both mean WB at reset.
 */
static void test_pat_index_kept(void **state)
{
	static const struct pat_fmt fmts[] = {
		{ "pae", { .format = TDP_FMT_PAE, .pa_bits = 40 }, M2 },
		{ "legacy32", { .format = TDP_FMT_LEGACY32,
				.features = TDP_FEAT_PSE }, M4 },
		{ "ia32e4", { .format = TDP_FMT_IA32E4, .pa_bits = 40 }, M2 },
	};
	struct env *e = *state;
	unsigned int f, pat;

	for (f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++)
		for (pat = 0; pat < 8; pat++)
			check_pat_kept(e, &fmts[f], pat);
	assert_int_equal(tables_in_use(e), 0);
}

/* --- model-based random test ------------------------------------------- */

#define DEFAULT_SEED 0x3ae5c0ffee1234ull

/* What 4 KiB page @i of the 4 GiB space maps to; perms 0 = unmapped. */
struct mpage {
	uint64_t pa;
	uint32_t perms;
};

enum { OP_MAP, OP_UNMAP, OP_PROTECT };

struct mop {
	int kind;
	uint64_t addr, size, pa;
	uint32_t perms, flags, set, clear;
	int cap;
	uint64_t fail_nth;
};

struct mcase {
	const char *name;
	struct tdp_format_config cfg;
	uint64_t big;      /* bytes of a level-1 leaf */
	bool nx;           /* pages can be non-executable */
	uint64_t pa_limit; /* output addresses stay below */
	unsigned int steps;
};

struct mctx {
	const struct mcase *mc;
	struct tdp_pool *pool;
	struct tdp_pgt pgt;
	struct mpage *model;
	uint64_t mapped; /* pages the model maps */
	uint64_t seed;
	unsigned int step;
	struct mop op;
	uint64_t tables, n_ok, n_exist, n_notsup, n_nomem;
};

#define NPAGES (G4 / K4)

static void mfail(const struct mctx *c, const char *what, uint64_t a,
		  uint64_t b)
{
	fprintf(stderr,
		"model %s FAILED: seed 0x%llx (TDP_SEED) step %u: op %d addr "
		"0x%llx size 0x%llx pa 0x%llx perms 0x%x flags 0x%x set 0x%x "
		"clear 0x%x fail_nth %llu: %s (0x%llx, 0x%llx)\n",
		c->mc->name, (unsigned long long)c->seed, c->step, c->op.kind,
		(unsigned long long)c->op.addr, (unsigned long long)c->op.size,
		(unsigned long long)c->op.pa, c->op.perms, c->op.flags,
		c->op.set, c->op.clear, (unsigned long long)c->op.fail_nth,
		what, (unsigned long long)a, (unsigned long long)b);
	fail_msg("%s: %s (seed 0x%llx step %u)", c->mc->name, what,
		 (unsigned long long)c->seed, c->step);
}

/* Whether the format can express @p: R always, X with XU, XD if any. */
static bool mperms_ok(const struct mctx *c, uint32_t p)
{
	bool x = p & TDP_PERM_X, xu = p & TDP_PERM_XU;

	return (p & TDP_PERM_R) && x == xu && (x || c->mc->nx);
}

/* The code the op must return; the model is not changed. */
static int mexpect(const struct mctx *c, const struct mop *o)
{
	uint64_t first = o->addr / K4, n = o->size / K4, i;

	for (i = first; i < first + n; i++) {
		const struct mpage *m = &c->model[i];

		if (!m->perms)
			continue;
		if (o->kind == OP_MAP && !(o->flags & TDP_OP_REPLACE))
			return -TDP_ERR_EXIST;
		if (o->kind == OP_PROTECT &&
		    !mperms_ok(c, (m->perms | o->set) & ~o->clear))
			return -TDP_ERR_NOTSUP;
	}
	return 0;
}

/* Apply a successful op to the model. */
static void mcommit(struct mctx *c, const struct mop *o)
{
	uint64_t first = o->addr / K4, n = o->size / K4, i;

	for (i = first; i < first + n; i++) {
		struct mpage *m = &c->model[i];

		if (o->kind == OP_MAP) {
			c->mapped += !m->perms;
			m->pa = o->pa + (i - first) * K4;
			m->perms = o->perms;
		} else if (o->kind == OP_UNMAP) {
			c->mapped -= !!m->perms;
			m->perms = 0;
		} else if (m->perms) {
			m->perms = (m->perms | o->set) & ~o->clear;
		}
	}
}

/* The leaf level a map must use at @x: the largest that fits. */
static int mlevel(const struct mctx *c, const struct mop *o, uint64_t x)
{
	uint64_t big = c->mc->big, base = x & ~(big - 1);

	if (o->cap == 0 || ((o->pa - o->addr) & (big - 1)))
		return 0;
	return base >= o->addr && base + big <= o->addr + o->size ? 1 : 0;
}

struct mscan {
	struct mctx *c;
	uint64_t tables;
	uint64_t valid[3];
	uint64_t pages;
	bool after_map;
};

static int mscan_fn(const struct tdp_visit *v, void *arg)
{
	struct mscan *s = arg;
	struct mctx *c = s->c;
	struct tdp_attrs at;
	uint64_t pa, i;

	if (v->visit == TDP_WALK_TABLE_PRE) {
		s->tables++;
		s->valid[v->level]++;
		s->valid[v->level - 1] = 0;
		return 0;
	}
	if (v->visit == TDP_WALK_TABLE_POST) {
		if (!s->valid[v->level - 1])
			mfail(c, "empty table left behind", v->addr,
			      (uint64_t)v->level);
		return 0;
	}
	if (v->kind == TDP_ENTRY_INVALID)
		return 0;
	s->valid[v->level]++;
	if (v->kind != TDP_ENTRY_LEAF)
		mfail(c, "entry of bad kind", v->addr, v->old);
	if (tdp_entry_decode_leaf(&c->pgt.fmt, v->level, v->old, &pa, &at))
		mfail(c, "leaf does not decode", v->addr, v->old);
	if (at.memtype != TDP_MT_WB || at.flags || at.sw)
		mfail(c, "leaf attributes", v->addr, v->old);
	for (i = 0; i < v->size / K4; i++) {
		const struct mpage *m = &c->model[v->addr / K4 + i];

		if (m->perms != at.perms || m->pa != pa + i * K4)
			mfail(c, "page differs from the model (addr, pa)",
			      v->addr + i * K4, pa + i * K4);
	}
	s->pages += v->size / K4;
	if (s->after_map && v->addr >= c->op.addr &&
	    v->addr < c->op.addr + c->op.size &&
	    v->level != mlevel(c, &c->op, v->addr))
		mfail(c, "map used the wrong leaf size (addr, level)", v->addr,
		      (uint64_t)v->level);
	return 0;
}

/*
 * Every page a leaf maps agrees with the model, and the leaves map as many
 * pages as the model has, so the two are equal page by page.
 */
static void mcheck(struct mctx *c, bool after_map)
{
	struct mscan s = { .c = c, .after_map = after_map };
	struct tdp_pool_stats st;
	struct tdp_lookup r;
	unsigned int i;

	assert_int_equal(tdp_walk(&c->pgt, 0, G4, TDP_WALK_LEAF |
				  TDP_WALK_TABLE_PRE | TDP_WALK_TABLE_POST,
				  mscan_fn, &s), 0);
	if (s.pages != c->mapped)
		mfail(c, "pages mapped: table, model", s.pages, c->mapped);
	assert_int_equal(tdp_pool_get_stats(c->pool, &st), 0);
	if (st.tables_in_use != 1 + s.tables)
		mfail(c, "tables_in_use != root + reachable", st.tables_in_use,
		      s.tables);
	if (s.tables > c->tables)
		c->tables = s.tables;
	for (i = 0; i < 8; i++) {
		uint64_t x = below(NPAGES) * K4 + below(K4);
		const struct mpage *m = &c->model[x / K4];
		int ret = tdp_lookup(&c->pgt, x, &r);

		if (!m->perms && (ret != -TDP_ERR_FAULT ||
				  r.fault != TDP_FAULT_NOT_PRESENT))
			mfail(c, "lookup of an unmapped page", x, r.fault);
		if (m->perms && (ret || r.out_addr != m->pa + x % K4 ||
				 r.attrs.perms != m->perms))
			mfail(c, "lookup differs from the model", x,
			      r.out_addr);
	}
}

static uint32_t mrandom_perms(const struct mctx *c)
{
	uint32_t p = TDP_PERM_R;

	if (chance(50))
		p |= TDP_PERM_W;
	if (chance(30))
		p |= TDP_PERM_U;
	if (!c->mc->nx || chance(60))
		p |= PERM_X;
	return p;
}

static uint32_t mrandom_change(void)
{
	static const uint32_t pick[] = {
		TDP_PERM_W, TDP_PERM_W, TDP_PERM_U, PERM_X,
		TDP_PERM_W | TDP_PERM_U,
		/* not expressible: NOTSUP, nothing changed */
		TDP_PERM_R, TDP_PERM_X,
	};

	return pick[below(sizeof(pick) / sizeof(pick[0]))];
}

static void mrandom_op(struct mctx *c, struct mop *o)
{
	const uint64_t big = c->mc->big;
	uint64_t g, start, size, r;

	memset(o, 0, sizeof(*o));
	o->cap = -1;
	r = below(100);
	o->kind = r < 45 ? OP_MAP : r < 75 ? OP_UNMAP : OP_PROTECT;
	r = below(100);
	g = r < 50 ? K4 : r < 92 ? big : G1;
	start = below(G4 / g) * g;
	if (chance(30))
		start += (1 + below(16)) * K4;
	r = below(100);
	g = r < 50 ? K4 : r < 93 ? big : G1;
	size = (1 + below(g == G1 ? 2 : 8)) * g;
	if (chance(30))
		size += (1 + below(16)) * K4;
	if (start >= G4)
		start = G4 - K4;
	if (start + size > G4)
		size = G4 - start;
	o->addr = start;
	o->size = size;
	if (o->kind == OP_MAP) {
		r = below(100);
		if (r < 60) /* congruent modulo the big page: blocks */
			o->pa = (start & (big - 1)) +
				below(c->mc->pa_limit / big) * big;
		else
			o->pa = below(c->mc->pa_limit / K4) * K4;
		/* Keep the output range inside the limit. */
		if (o->pa + size > c->mc->pa_limit)
			o->pa = start;
		/* Small pages only when the offsets do not allow blocks. */
		if (((o->pa - start) & (big - 1)) && size > 64 * big)
			o->size = size = 64 * big;
		o->perms = mrandom_perms(c);
		if (chance(60))
			o->flags |= TDP_OP_REPLACE;
		r = below(100);
		if (r < 15) {
			o->cap = 0;
			if (size > 16 * big)
				o->size = 16 * big;
		} else if (r < 25) {
			o->cap = 1;
		}
		if (o->cap >= 0)
			o->flags |= TDP_OP_MAX_LEVEL(o->cap);
	} else if (o->kind == OP_PROTECT) {
		if (chance(50))
			o->set = mrandom_change();
		if (chance(60) || !o->set)
			o->clear = mrandom_change();
	}
	if (chance(8))
		o->fail_nth = 1 + below(3);
}

static int mrun(struct mctx *c, const struct mop *o)
{
	struct tdp_attrs a = { .perms = o->perms };

	if (o->kind == OP_MAP)
		return tdp_map(&c->pgt, o->addr, o->size, o->pa, &a, o->flags,
			       NULL);
	if (o->kind == OP_UNMAP)
		return tdp_unmap(&c->pgt, o->addr, o->size, 0, NULL);
	return tdp_protect(&c->pgt, o->addr, o->size, o->set, o->clear, 0,
			   NULL);
}

static void mstep(struct mctx *c)
{
	struct mop *o = &c->op;
	struct tdp_pool_stats before, after;
	int exp, ret;

	mrandom_op(c, o);
	exp = mexpect(c, o);
	assert_int_equal(tdp_pool_get_stats(c->pool, &before), 0);
	assert_int_equal(tdp_pool_fail_nth(c->pool, o->fail_nth), 0);
	ret = mrun(c, o);
	assert_int_equal(tdp_pool_fail_nth(c->pool, 0), 0);
	assert_int_equal(tdp_pool_get_stats(c->pool, &after), 0);

	if (ret == -TDP_ERR_NOMEM && o->fail_nth && !exp &&
	    after.failed_allocs == before.failed_allocs + 1) {
		c->n_nomem++; /* injected: nothing may have changed */
	} else if (ret != exp) {
		mfail(c, "return code differs from the model (got, expected)",
		      (uint64_t)(int64_t)ret, (uint64_t)(int64_t)exp);
	} else if (after.failed_allocs != before.failed_allocs) {
		mfail(c, "an allocation failed but the op succeeded", 0, 0);
	} else if (!ret) {
		mcommit(c, o);
		c->n_ok++;
	} else if (ret == -TDP_ERR_EXIST) {
		c->n_exist++;
	} else {
		c->n_notsup++;
	}
	mcheck(c, !ret && o->kind == OP_MAP);
}

static void run_model(const struct mcase *mc)
{
	struct mctx *c = calloc(1, sizeof(*c));
	struct tdp_mm mm;

	assert_non_null(c);
	c->mc = mc;
	c->model = calloc(NPAGES, sizeof(*c->model));
	assert_non_null(c->model);
	c->seed = seed_from_env(DEFAULT_SEED);
	rng_state = c->seed ^ mc->cfg.format;
	fprintf(stderr, "model %s: seed 0x%llx (TDP_SEED), %u steps\n",
		mc->name, (unsigned long long)c->seed, mc->steps);
	assert_int_equal(tdp_pool_create(32ull << 20, POOL_BASE, &c->pool), 0);
	mm = tdp_pool_mm(c->pool);
	assert_int_equal(tdp_pgt_init(&c->pgt, &mc->cfg, &mm), 0);

	for (c->step = 0; c->step < mc->steps; c->step++)
		mstep(c);
	fprintf(stderr,
		"model %s: %llu ok, %llu exist, %llu notsup, %llu nomem, at "
		"most %llu tables\n",
		mc->name, (unsigned long long)c->n_ok,
		(unsigned long long)c->n_exist,
		(unsigned long long)c->n_notsup,
		(unsigned long long)c->n_nomem, (unsigned long long)c->tables);
	/* A run that never hit these outcomes tested too little. */
	assert_true(c->n_ok > mc->steps / 4);
	assert_true(c->n_exist > 0);
	assert_true(c->n_notsup > 0);
	assert_true(c->n_nomem > 0);

	memset(&c->op, 0, sizeof(c->op));
	c->op.kind = OP_UNMAP;
	c->op.size = G4;
	assert_int_equal(mexpect(c, &c->op), 0);
	assert_int_equal(mrun(c, &c->op), 0);
	mcommit(c, &c->op);
	assert_int_equal(c->mapped, 0);
	mcheck(c, false);
	{
		struct tdp_pool_stats st;

		assert_int_equal(tdp_pool_get_stats(c->pool, &st), 0);
		assert_int_equal(st.tables_in_use, 1);
	}
	tdp_pgt_destroy(&c->pgt);
	tdp_pool_destroy(c->pool);
	free(c->model);
	free(c);
}

static const struct mcase model_pae = {
	"pae", { .format = TDP_FMT_PAE, .pa_bits = 40 }, M2, true,
	1ull << 40, 300
};
static const struct mcase model_l32 = {
	"legacy32-pse", { .format = TDP_FMT_LEGACY32,
			  .features = TDP_FEAT_PSE, .pa_bits = 40 },
	M4, false, G4, 300
};

static void test_model_pae(void **state)
{
	(void)state;
	run_model(&model_pae);
}

static void test_model_legacy32(void **state)
{
	(void)state;
	run_model(&model_l32);
}

#define ENV_TEST(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry_pae),
		cmocka_unit_test(test_geometry_legacy32),
		ENV_TEST(test_pae_root_alignment),
		ENV_TEST(test_pae_lookup_hand),
		ENV_TEST(test_pae_lookup_no_nx),
		ENV_TEST(test_pae_pdpte_reserved),
		ENV_TEST(test_pae_pde_pte_reserved),
		ENV_TEST(test_pae_roots_share_page),
		ENV_TEST(test_pae_map_raw),
		ENV_TEST(test_pae_map_whole_space),
		ENV_TEST(test_pae_map_errors),
		ENV_TEST(test_l32_lookup_hand),
		ENV_TEST(test_l32_pse36),
		ENV_TEST(test_l32_map_raw),
		ENV_TEST(test_l32_map_errors),
		ENV_TEST(test_pat_index_kept),
		cmocka_unit_test(test_model_pae),
		cmocka_unit_test(test_model_legacy32),
	};

	return cmocka_run_group_tests_name("pae32", tests, NULL, NULL);
}

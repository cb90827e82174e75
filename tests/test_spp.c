/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Intel SPP: the sub-page bitmap <-> leaf SPPTE spread, the SPPTP, the
 * SPPT ("spp" format) built with tdp_spp_set/get/clear, lookups and walks
 * on it, and the coupling with EPT leaves in tdp_spp_protect/unprotect:
 * block splitting, TLB hooks, rollback when the EPT step fails, the 2^48
 * reach of the 4-level SPPT under 5-level EPT, and bad input.
 *
 * Layouts by hand (SPP documentation of the KVM series and Bochs, see
 * x86-kvm-mmu-facts.md section 9): non-leaf SPPTE = next table | bit 0;
 * leaf SPPTE bit 2i = sub-page i writable. EPT leaves (SDM vol. 3C):
 * R W X in bits 2:0, memory type 5:3, IPAT 6, page size 7, A 8, D 9,
 * software bit 11 and 56:52, SPP 61.
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
#define G1 0x40000000ull

/* EPT entry bits. */
#define E_R (1ull << 0)
#define E_W (1ull << 1)
#define E_X (1ull << 2)
#define E_MT(t) ((uint64_t)(t) << 3)
#define E_IPAT (1ull << 6)
#define E_PS (1ull << 7)
#define E_A (1ull << 8)
#define E_D (1ull << 9)
#define E_SW0 (1ull << 11)
#define E_SW1 (1ull << 52)
#define E_SPP (1ull << 61)
#define MT_WB 6
#define MT_WT 4

#define EPT_BASE 0x10000000ull
#define EPT_SIZE (16ull << 20)
#define SPPT_BASE 0x20000000ull
#define SPPT_SIZE (4ull << 20)

#define DEFAULT_SEED 0x5ee9b17a4f00d5ull

/* --- the spread, computed here -------------------------------------------- */

/* Bit i of a nibble to bit 2i: 0..15 -> 0x00..0x55. */
static uint64_t spread4(unsigned int n)
{
	return (n & 1) | (n & 2) << 1 | (n & 4) << 2 | (n & 8) << 3;
}

/* Each nibble k of the bitmap becomes byte k of the SPPTE. */
static uint64_t my_spread(uint32_t bitmap)
{
	uint64_t spte = 0;
	unsigned int k;

	for (k = 0; k < 8; k++)
		spte |= spread4((bitmap >> (4 * k)) & 15) << (8 * k);
	return spte;
}

static void check_roundtrip(uint32_t bitmap)
{
	uint64_t exp = my_spread(bitmap);
	uint64_t a = tdp_spp_bitmap_to_spte(bitmap);
	uint64_t b = tdp_spp_bitmap_to_spte_loop(bitmap);
	uint32_t back = ~bitmap;

	if (a != exp || b != exp)
		fail_msg("bitmap 0x%08x: spte 0x%016llx, loop 0x%016llx, "
			 "expected 0x%016llx", bitmap, (unsigned long long)a,
			 (unsigned long long)b, (unsigned long long)exp);
	assert_int_equal(tdp_spp_spte_to_bitmap(exp, &back), 0);
	assert_int_equal(back, bitmap);
}

static void test_bitmap_spread(void **state)
{
	uint64_t seed = seed_from_env(DEFAULT_SEED);
	unsigned int i, j;

	(void)state;
	/* Fixed points first: the table in my_spread is right. */
	assert_int_equal(my_spread(0), 0);
	assert_int_equal(my_spread(1), 1);
	assert_int_equal(my_spread(0x80000000u), 1ull << 62);
	assert_int_equal(my_spread(0xffffffffu), 0x5555555555555555ull);
	assert_int_equal(my_spread(0x0000ffffu), 0x0000000055555555ull);
	assert_int_equal(my_spread(0x12345678u), 0x0104051011141540ull);

	check_roundtrip(0);
	check_roundtrip(0xffffffffu);
	for (i = 0; i < 32; i++) {
		assert_int_equal(my_spread(1u << i), 1ull << (2 * i));
		check_roundtrip(1u << i);
		check_roundtrip(~(1u << i));
	}
	for (i = 0; i < 32; i++)
		for (j = i + 1; j < 32; j++)
			check_roundtrip(1u << i | 1u << j);
	fprintf(stderr, "spp bitmaps: seed 0x%llx (TDP_SEED)\n",
		(unsigned long long)seed);
	rng_state = seed;
	for (i = 0; i < 200000; i++)
		check_roundtrip((uint32_t)rnd());
}

static void test_bitmap_reserved(void **state)
{
	uint32_t bm = 0x5a5a5a5a;
	unsigned int i, n;

	(void)state;
	for (i = 0; i < 32; i++) {
		uint64_t odd = 1ull << (2 * i + 1);

		assert_int_equal(tdp_spp_spte_to_bitmap(odd, &bm),
				 -TDP_ERR_BADTABLE);
		assert_int_equal(tdp_spp_spte_to_bitmap(
					 0x5555555555555555ull | odd, &bm),
				 -TDP_ERR_BADTABLE);
		assert_int_equal(bm, 0x5a5a5a5a);
	}
	rng_state = seed_from_env(DEFAULT_SEED) ^ 1;
	for (n = 0; n < 10000; n++) {
		uint64_t v = rnd();

		if (!(v & 0xaaaaaaaaaaaaaaaaull))
			continue;
		assert_int_equal(tdp_spp_spte_to_bitmap(v, &bm),
				 -TDP_ERR_BADTABLE);
		assert_int_equal(bm, 0x5a5a5a5a);
	}
	assert_int_equal(tdp_spp_spte_to_bitmap(0, NULL), -TDP_ERR_INVAL);
}

/* --- SPPTP ---------------------------------------------------------------- */

static void test_spptp(void **state)
{
	uint64_t v = 0x77, root = 0x77;
	unsigned int b;

	(void)state;
	/* The value is the root's 4 KiB-aligned address; 11:0 are zero. */
	assert_int_equal(tdp_spptp_make(0x12345000, 52, &v), 0);
	assert_int_equal(v, 0x12345000);
	assert_int_equal(tdp_spptp_make(0, 32, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(tdp_spptp_make(0xfffff000, 32, &v), 0);
	assert_int_equal(v, 0xfffff000);
	assert_int_equal(tdp_spptp_make((1ull << 52) - K4, 52, &v), 0);
	assert_int_equal(v, 0xffffffffff000ull);

	v = 0x77;
	for (b = 0; b < 12; b++)
		assert_int_equal(tdp_spptp_make(0x12345000 | 1ull << b, 52, &v),
				 -TDP_ERR_ALIGN);
	assert_int_equal(tdp_spptp_make(1ull << 40, 40, &v), -TDP_ERR_RANGE);
	assert_int_equal(tdp_spptp_make(1ull << 32, 32, &v), -TDP_ERR_RANGE);
	assert_int_equal(tdp_spptp_make(1ull << 63, 52, &v), -TDP_ERR_RANGE);
	assert_int_equal(tdp_spptp_make(0x1000, 31, &v), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spptp_make(0x1000, 53, &v), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spptp_make(0x1000, 0, &v), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spptp_make(0x1000, 52, NULL), -TDP_ERR_INVAL);
	assert_int_equal(v, 0x77);

	assert_int_equal(tdp_spptp_parse(0xabcdef000ull, 40, &root), 0);
	assert_int_equal(root, 0xabcdef000ull);
	root = 0x77;
	for (b = 0; b < 12; b++)
		assert_int_equal(tdp_spptp_parse(0xabcdef000ull | 1ull << b, 40,
						 &root), -TDP_ERR_INVAL);
	for (b = 40; b < 64; b++)
		assert_int_equal(tdp_spptp_parse(0xabcdef000ull | 1ull << b, 40,
						 &root), -TDP_ERR_INVAL);
	for (b = 52; b < 64; b++)
		assert_int_equal(tdp_spptp_parse(1ull << b, 52, &root),
				 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spptp_parse(0x1000, 31, &root), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spptp_parse(0x1000, 53, &root), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spptp_parse(0x1000, 52, NULL), -TDP_ERR_INVAL);
	assert_int_equal(root, 0x77);

	/* Round trips over every width. */
	for (b = 32; b <= 52; b++) {
		uint64_t r = ((1ull << b) - 1) & ~0xfffull;

		assert_int_equal(tdp_spptp_make(r, b, &v), 0);
		assert_int_equal(tdp_spptp_parse(v, b, &root), 0);
		assert_int_equal(root, r);
	}
}

/* --- fixture: EPT and SPPT in two pools ----------------------------------- */

struct tlb_log {
	unsigned int n_addr, n_range, n_all;
	uint64_t addr[64];
	int level[64];
	uint64_t lo[64], size[64];
};

static void tlb_addr(void *ctx, uint64_t addr, int level)
{
	struct tlb_log *t = ctx;

	if (t->n_addr < 64) {
		t->addr[t->n_addr] = addr;
		t->level[t->n_addr] = level;
	}
	t->n_addr++;
}

static void tlb_range(void *ctx, uint64_t addr, uint64_t size)
{
	struct tlb_log *t = ctx;

	if (t->n_range < 64) {
		t->lo[t->n_range] = addr;
		t->size[t->n_range] = size;
	}
	t->n_range++;
}

static void tlb_all(void *ctx)
{
	struct tlb_log *t = ctx;

	t->n_all++;
}

static const struct tdp_tlb_ops tlb_ops = {
	.flush_addr = tlb_addr,
	.flush_range = tlb_range,
	.flush_all = tlb_all,
};

/* Whether the recorded calls invalidate the translation of @gpa. */
static bool tlb_covers(const struct tlb_log *t, uint64_t gpa)
{
	unsigned int i;

	if (t->n_all)
		return true;
	for (i = 0; i < t->n_addr && i < 64; i++) {
		uint64_t span = 1ull << (12 + 9 * t->level[i]);

		if ((t->addr[i] & ~(span - 1)) == (gpa & ~(span - 1)))
			return true;
	}
	for (i = 0; i < t->n_range && i < 64; i++)
		if (gpa >= t->lo[i] && gpa - t->lo[i] < t->size[i])
			return true;
	return false;
}

static unsigned int tlb_calls(const struct tlb_log *t)
{
	return t->n_addr + t->n_range + t->n_all;
}

struct fix {
	struct tdp_pool *ep, *sp;
	struct tdp_mm emm, smm;
	struct tdp_pgt ept, sppt;
	struct tlb_log tlb;
	uint8_t *snap_e, *snap_s;
};

static const struct tdp_format_config ept4_spp = {
	.format = TDP_FMT_EPT4,
	.features = TDP_FEAT_EPT_SPP | TDP_FEAT_EPT_AD,
	.pa_bits = 46,
};
static const struct tdp_format_config spp_cfg = { .format = TDP_FMT_SPP };

static int fix_setup_cfg(void **state, const struct tdp_format_config *ecfg)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f || tdp_pool_create(EPT_SIZE, EPT_BASE, &f->ep) ||
	    tdp_pool_create(SPPT_SIZE, SPPT_BASE, &f->sp))
		return -1;
	f->emm = tdp_pool_mm(f->ep);
	f->smm = tdp_pool_mm(f->sp);
	f->snap_e = malloc(EPT_SIZE);
	f->snap_s = malloc(SPPT_SIZE);
	if (!f->snap_e || !f->snap_s ||
	    tdp_pgt_init(&f->ept, ecfg, &f->emm) ||
	    tdp_pgt_init(&f->sppt, &spp_cfg, &f->smm) ||
	    tdp_pgt_set_tlb(&f->ept, &tlb_ops, &f->tlb))
		return -1;
	*state = f;
	return 0;
}

static int fix_setup(void **state)
{
	return fix_setup_cfg(state, &ept4_spp);
}

static int fix_setup_ept5(void **state)
{
	static const struct tdp_format_config ept5_spp = {
		.format = TDP_FMT_EPT5, .features = TDP_FEAT_EPT_SPP,
	};

	return fix_setup_cfg(state, &ept5_spp);
}

static int fix_teardown(void **state)
{
	struct fix *f = *state;

	tdp_pgt_destroy(&f->ept);
	tdp_pgt_destroy(&f->sppt);
	tdp_pool_destroy(f->ep);
	tdp_pool_destroy(f->sp);
	free(f->snap_e);
	free(f->snap_s);
	free(f);
	return 0;
}

static struct tdp_pool_stats stats(struct tdp_pool *p)
{
	struct tdp_pool_stats st;

	assert_int_equal(tdp_pool_get_stats(p, &st), 0);
	return st;
}

static uint64_t *qs(struct fix *f, uint64_t pa)
{
	uint64_t *p = tdp_pool_phys_to_virt(f->sp, pa, 8);

	assert_non_null(p);
	return p;
}

/* Snapshot all memory of both pools. */
static void snap(struct fix *f)
{
	memcpy(f->snap_e, tdp_pool_phys_to_virt(f->ep, EPT_BASE, EPT_SIZE),
	       EPT_SIZE);
	memcpy(f->snap_s, tdp_pool_phys_to_virt(f->sp, SPPT_BASE, SPPT_SIZE),
	       SPPT_SIZE);
}

static void assert_unchanged(struct fix *f)
{
	assert_memory_equal(f->snap_e,
			    tdp_pool_phys_to_virt(f->ep, EPT_BASE, EPT_SIZE),
			    EPT_SIZE);
	assert_memory_equal(f->snap_s,
			    tdp_pool_phys_to_virt(f->sp, SPPT_BASE, SPPT_SIZE),
			    SPPT_SIZE);
}

static unsigned int idx(uint64_t gpa, int level)
{
	return (unsigned int)((gpa >> (12 + 9 * level)) & 511);
}

/* The SPPT entry for @gpa at @level, walked by hand; 0 if a table is
 * missing on the way. */
static uint64_t sppt_entry(struct fix *f, uint64_t gpa, int level,
			   uint64_t *where)
{
	uint64_t table = f->sppt.root_pa;
	int l;

	for (l = 3; l >= level; l--) {
		uint64_t pa = table + idx(gpa, l) * 8;
		uint64_t e = *qs(f, pa);

		if (l == level) {
			if (where)
				*where = pa;
			return e;
		}
		if (!(e & 1))
			return 0;
		/* Non-leaf: valid bit and the next table, nothing else. */
		assert_int_equal(e & ~0x000ffffffffff000ull, 1);
		table = e & ~0xfffull;
	}
	return 0;
}

/* --- SPPT building -------------------------------------------------------- */

static void test_sppt_format(void **state)
{
	struct tdp_format_config c = { .format = TDP_FMT_SPP };
	struct tdp_format fmt;

	(void)state;
	assert_int_equal(tdp_format_from_name("spp"), TDP_FMT_SPP);
	assert_int_equal(tdp_format_init(&fmt, &c), 0);
	assert_int_equal(fmt.levels, 4);
	assert_int_equal(fmt.entry_size, 8);
	assert_int_equal(fmt.ia_bits, 48);
	assert_int_equal(fmt.pa_bits, 52);
	assert_int_equal(fmt.root_size, 4096);
	assert_int_equal(fmt.leaf_levels, 1);
	c.features = TDP_FEAT_EPT_SPP;
	assert_int_equal(tdp_format_init(&fmt, &c), -TDP_ERR_FORMAT);
	c.features = 0;
	c.pa_bits = 31;
	assert_int_equal(tdp_format_init(&fmt, &c), -TDP_ERR_FORMAT);
}

static void test_sppt_set_get_clear(void **state)
{
	struct fix *f = *state;
	const uint64_t g = 0x123456789000ull;
	uint64_t t, where, e;
	uint32_t bm;
	int l;

	assert_int_equal(stats(f->sp).tables_in_use, 1);
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), -TDP_ERR_NOENT);
	assert_int_equal(tdp_spp_set(&f->sppt, g, K4, 0x80000001u, NULL), 0);
	/* Root + L3 + L2 + L1 tables; the path is table | 1 at every level. */
	assert_int_equal(stats(f->sp).tables_in_use, 4);
	t = f->sppt.root_pa;
	for (l = 3; l >= 1; l--) {
		e = *qs(f, t + idx(g, l) * 8);
		assert_int_equal(e, (e & ~0xfffull) | 1);
		assert_true((e & ~0xfffull) >= SPPT_BASE &&
			    (e & ~0xfffull) < SPPT_BASE + SPPT_SIZE);
		t = e & ~0xfffull;
	}
	assert_int_equal(*qs(f, t + idx(g, 0) * 8), 1ull | 1ull << 62);
	assert_int_equal(sppt_entry(f, g, 0, &where), 1ull | 1ull << 62);
	assert_int_equal(where, t + idx(g, 0) * 8);

	bm = 0;
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), 0);
	assert_int_equal(bm, 0x80000001u);
	/* Any address in the frame. */
	assert_int_equal(tdp_spp_get(&f->sppt, g + 0xfff, &bm), 0);
	assert_int_equal(bm, 0x80000001u);
	/* A neighbour in the same L1 table: an all-zero leaf, bitmap 0. */
	bm = 0x77;
	assert_int_equal(tdp_spp_get(&f->sppt, g + K4, &bm), 0);
	assert_int_equal(bm, 0);
	/* Another 2 MiB region: no L1 table, an SPPT miss. */
	bm = 0x77;
	assert_int_equal(tdp_spp_get(&f->sppt, g + M2, &bm), -TDP_ERR_NOENT);
	assert_int_equal(tdp_spp_get(&f->sppt, g + G1, &bm), -TDP_ERR_NOENT);
	assert_int_equal(tdp_spp_get(&f->sppt, 0, &bm), -TDP_ERR_NOENT);
	assert_int_equal(bm, 0x77);

	/* Three frames across a 2 MiB boundary, then replace one. */
	assert_int_equal(tdp_spp_set(&f->sppt, 3 * M2 - K4, 3 * K4, 0xf0f0u,
				     NULL), 0);
	assert_int_equal(tdp_spp_get(&f->sppt, 3 * M2 - K4, &bm), 0);
	assert_int_equal(bm, 0xf0f0u);
	assert_int_equal(tdp_spp_get(&f->sppt, 3 * M2 + K4, &bm), 0);
	assert_int_equal(bm, 0xf0f0u);
	assert_int_equal(sppt_entry(f, 3 * M2, 0, NULL), my_spread(0xf0f0u));
	assert_int_equal(tdp_spp_set(&f->sppt, 3 * M2, K4, 0xffffffffu, NULL),
			 0);
	assert_int_equal(sppt_entry(f, 3 * M2, 0, NULL), 0x5555555555555555ull);
	assert_int_equal(tdp_spp_get(&f->sppt, 3 * M2 + K4, &bm), 0);
	assert_int_equal(bm, 0xf0f0u);
	/* Root + (L3, L2, L1) for g + (L3, L2, 2 x L1) at 6 MiB. */
	assert_int_equal(stats(f->sp).tables_in_use, 8);

	assert_int_equal(tdp_spp_clear(&f->sppt, 3 * M2 - K4, 3 * K4), 0);
	assert_int_equal(tdp_spp_get(&f->sppt, 3 * M2, &bm), -TDP_ERR_NOENT);
	assert_int_equal(stats(f->sp).tables_in_use, 4);
	assert_int_equal(tdp_spp_clear(&f->sppt, g, K4), 0);
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), -TDP_ERR_NOENT);
	assert_int_equal(stats(f->sp).tables_in_use, 1);
	assert_int_equal(tdp_spp_clear(&f->sppt, 0, 1ull << 48), 0);
	assert_int_equal(stats(f->sp).tables_in_use, 1);
}

/* A zero bitmap (no sub-page writable) is still an entry: no SPPT miss. */
static void test_sppt_zero_bitmap(void **state)
{
	struct fix *f = *state;
	const uint64_t g = 0x7654321000ull;
	uint32_t bm = 0x77;

	assert_int_equal(tdp_spp_set(&f->sppt, g, K4, 0, NULL), 0);
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), 0);
	assert_int_equal(bm, 0);
	assert_int_equal(stats(f->sp).tables_in_use, 4);
	assert_int_equal(sppt_entry(f, g, 0, NULL), 0);
	assert_true(sppt_entry(f, g, 1, NULL) & 1);

	/* Zeroing a frame that had a bitmap keeps the path as well. */
	assert_int_equal(tdp_spp_set(&f->sppt, g + K4, K4, 0x3u, NULL), 0);
	assert_int_equal(tdp_spp_set(&f->sppt, g + K4, K4, 0, NULL), 0);
	bm = 0x77;
	assert_int_equal(tdp_spp_get(&f->sppt, g + K4, &bm), 0);
	assert_int_equal(bm, 0);
	assert_int_equal(stats(f->sp).tables_in_use, 4);

	/* Clearing removes the entries and the tables. */
	assert_int_equal(tdp_spp_clear(&f->sppt, g, 2 * K4), 0);
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), -TDP_ERR_NOENT);
	assert_int_equal(stats(f->sp).tables_in_use, 1);
}

static void test_sppt_errors(void **state)
{
	struct fix *f = *state;
	struct tdp_pool_stats st0, st1;
	uint32_t bm = 0x77;

	assert_int_equal(tdp_spp_set(&f->sppt, 0x5000, K4, 1, NULL), 0);
	snap(f);
	st0 = stats(f->sp);
	assert_int_equal(tdp_spp_set(&f->sppt, 0x6000, 0, 1, NULL),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_set(&f->sppt, 0x6001, K4, 1, NULL),
			 -TDP_ERR_ALIGN);
	assert_int_equal(tdp_spp_set(&f->sppt, 0x6000, 0x800, 1, NULL),
			 -TDP_ERR_ALIGN);
	assert_int_equal(tdp_spp_set(&f->sppt, 1ull << 48, K4, 1, NULL),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_spp_set(&f->sppt, (1ull << 48) - K4, 2 * K4, 1,
				     NULL), -TDP_ERR_RANGE);
	assert_int_equal(tdp_spp_set(NULL, 0x6000, K4, 1, NULL),
			 -TDP_ERR_INVAL);
	/* The EPT is not an SPPT. */
	assert_int_equal(tdp_spp_set(&f->ept, 0x6000, K4, 1, NULL),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_get(&f->ept, 0x5000, &bm), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_clear(&f->ept, 0x5000, K4), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_get(&f->sppt, 0x5000, NULL), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_get(NULL, 0x5000, &bm), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_get(&f->sppt, 1ull << 48, &bm),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_spp_get(&f->sppt, ~0ull, &bm), -TDP_ERR_RANGE);
	assert_int_equal(tdp_spp_clear(&f->sppt, 0x5001, K4), -TDP_ERR_ALIGN);
	assert_int_equal(tdp_spp_clear(&f->sppt, 0x5000, 0), -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_clear(&f->sppt, 1ull << 48, K4),
			 -TDP_ERR_RANGE);
	assert_int_equal(bm, 0x77);
	st1 = stats(f->sp);
	assert_memory_equal(&st0, &st1, sizeof(st0));
	assert_unchanged(f);

	/* Out of memory: nothing changed. */
	assert_int_equal(tdp_pool_fail_nth(f->sp, 2), 0);
	assert_int_equal(tdp_spp_set(&f->sppt, 1ull << 40, K4, 1, NULL),
			 -TDP_ERR_NOMEM);
	assert_int_equal(tdp_pool_fail_nth(f->sp, 0), 0);
	st1 = stats(f->sp);
	assert_int_equal(st1.tables_in_use, st0.tables_in_use);
	assert_int_equal(st1.failed_allocs, st0.failed_allocs + 1);
	assert_unchanged(f);
	assert_int_equal(tdp_spp_get(&f->sppt, 1ull << 40, &bm),
			 -TDP_ERR_NOENT);
}

static void expect_sppt_fault(struct fix *f, uint64_t gpa, int level,
			      uint32_t detail)
{
	struct tdp_lookup r;
	uint32_t bm = 0x77;

	assert_int_equal(tdp_lookup(&f->sppt, gpa, &r), -TDP_ERR_FAULT);
	assert_int_equal(r.fault, TDP_FAULT_MISCONFIG);
	assert_int_equal(r.fault_level, level);
	assert_int_equal(r.fault_detail, detail);
	assert_int_equal(tdp_spp_get(&f->sppt, gpa, &bm), -TDP_ERR_BADTABLE);
	assert_int_equal(bm, 0x77);
}

/* Reserved bits in any SPPTE are an SPPT misconfiguration. */
static void test_sppt_misconfig(void **state)
{
	struct fix *f = *state;
	const uint64_t g = 0x3456789a000ull;
	struct tdp_pool_stats st0;
	uint64_t where = 0, good;
	int l, b;

	assert_int_equal(tdp_spp_set(&f->sppt, g, K4, 0x1234u, NULL), 0);
	for (l = 1; l <= 3; l++) {
		good = sppt_entry(f, g, l, &where);
		for (b = 1; b <= 11; b++) {
			*qs(f, where) = good | 1ull << b;
			expect_sppt_fault(f, g, l, TDP_DETAIL_RESERVED_BIT);
		}
		for (b = 52; b <= 63; b++) {
			*qs(f, where) = good | 1ull << b;
			expect_sppt_fault(f, g, l, TDP_DETAIL_RESERVED_BIT);
		}
		/* A misconfigured entry in the way: set changes nothing. */
		*qs(f, where) = good | 1ull << 5;
		snap(f);
		st0 = stats(f->sp);
		assert_int_equal(tdp_spp_set(&f->sppt, g + K4, K4, 1, NULL),
				 -TDP_ERR_BADTABLE);
		assert_unchanged(f);
		assert_int_equal(stats(f->sp).tables_in_use, st0.tables_in_use);
		*qs(f, where) = good;
	}
	/* Leaves: the odd bits. */
	good = sppt_entry(f, g, 0, &where);
	assert_int_equal(good, my_spread(0x1234u));
	for (b = 1; b < 64; b += 2) {
		*qs(f, where) = good | 1ull << b;
		expect_sppt_fault(f, g, 0, TDP_DETAIL_RESERVED_BIT);
	}
	*qs(f, where) = good;
	{
		uint32_t bm;

		assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), 0);
		assert_int_equal(bm, 0x1234u);
	}
}

/* Address bits at and above MAXPHYADDR in a non-leaf entry. */
static void test_sppt_pa_width(void **state)
{
	struct fix *f = *state;
	const struct tdp_format_config c40 = { .format = TDP_FMT_SPP,
					       .pa_bits = 40 };
	struct tdp_pgt s40;
	struct tdp_lookup r;
	uint64_t where = 0, good;
	int b;

	assert_int_equal(tdp_spp_set(&f->sppt, 0x5000, K4, 1, NULL), 0);
	assert_int_equal(tdp_pgt_init_at(&s40, &c40, &f->smm, f->sppt.root_pa),
			 0);
	good = sppt_entry(f, 0x5000, 2, &where);
	for (b = 40; b <= 51; b++) {
		*qs(f, where) = good | 1ull << b;
		assert_int_equal(tdp_lookup(&s40, 0x5000, &r), -TDP_ERR_FAULT);
		assert_int_equal(r.fault, TDP_FAULT_MISCONFIG);
		assert_int_equal(r.fault_level, 2);
		assert_int_equal(r.fault_detail, TDP_DETAIL_PA_WIDTH);
	}
	*qs(f, where) = good;
	assert_int_equal(tdp_lookup(&s40, 0x5000, &r), 0);
}

/* --- lookups and walks ---------------------------------------------------- */

static uint32_t frame_bitmap(unsigned int i)
{
	/* Frame 5 keeps an all-zero entry. */
	return i == 5 ? 0 : 0x9e3779b9u * (i + 1);
}

struct leaf_walk {
	unsigned int leaves, invalid0, upper;
};

static int leaf_fn(const struct tdp_visit *v, void *arg)
{
	struct leaf_walk *w = arg;
	struct tdp_attrs a;
	uint64_t i = v->addr / K4;

	if (v->level > 0) {
		assert_int_equal(v->kind, TDP_ENTRY_INVALID);
		w->upper++;
		return 0;
	}
	if (i >= 16 || frame_bitmap((unsigned int)i) == 0) {
		assert_int_equal(v->kind, TDP_ENTRY_INVALID);
		assert_int_equal(v->old, 0);
		w->invalid0++;
		return 0;
	}
	assert_int_equal(v->kind, TDP_ENTRY_LEAF);
	assert_int_equal(v->size, K4);
	assert_int_equal(v->old, my_spread(frame_bitmap((unsigned int)i)));
	memset(&a, 0xff, sizeof(a));
	assert_int_equal(tdp_entry_decode_leaf(&v->pgt->fmt, 0, v->old, NULL,
					       &a), 0);
	assert_int_equal(a.subpage_write, frame_bitmap((unsigned int)i));
	assert_int_equal(a.perms, 0);
	w->leaves++;
	return 0;
}

static void test_sppt_lookup_walk(void **state)
{
	struct fix *f = *state;
	struct leaf_walk w = { 0, 0, 0 };
	struct tdp_lookup r;
	uint64_t where;
	unsigned int i;

	for (i = 0; i < 16; i++)
		assert_int_equal(tdp_spp_set(&f->sppt, i * K4, K4,
					     frame_bitmap(i), NULL), 0);
	for (i = 0; i < 16; i++) {
		uint64_t g = i * K4 + 0x7ff;

		if (!frame_bitmap(i)) {
			/* Present path, zero leaf: not present at level 0. */
			assert_int_equal(tdp_lookup(&f->sppt, g, &r),
					 -TDP_ERR_FAULT);
			assert_int_equal(r.fault, TDP_FAULT_NOT_PRESENT);
			assert_int_equal(r.fault_level, 0);
			continue;
		}
		assert_int_equal(tdp_lookup(&f->sppt, g, &r), 0);
		assert_int_equal(r.last_level, 0);
		assert_int_equal(r.root_level, 3);
		assert_int_equal(r.page_size, K4);
		assert_int_equal(r.attrs.subpage_write, frame_bitmap(i));
		assert_int_equal(r.entry[0], my_spread(frame_bitmap(i)));
		sppt_entry(f, g, 0, &where);
		assert_int_equal(r.entry_pa[0], where);
	}
	/* A missing L1 table: not present at level 1. */
	assert_int_equal(tdp_lookup(&f->sppt, M2, &r), -TDP_ERR_FAULT);
	assert_int_equal(r.fault, TDP_FAULT_NOT_PRESENT);
	assert_int_equal(r.fault_level, 1);
	assert_int_equal(tdp_lookup(&f->sppt, 1ull << 48, &r), -TDP_ERR_FAULT);
	assert_int_equal(r.fault, TDP_FAULT_ADDRESS_SIZE);

	/* The first 4 MiB: 512 level-0 visits, the next 2 MiB one level-1. */
	assert_int_equal(tdp_walk(&f->sppt, 0, 2 * M2, TDP_WALK_LEAF, leaf_fn,
				  &w), 0);
	assert_int_equal(w.leaves, 15);
	assert_int_equal(w.invalid0, 512 - 15);
	assert_int_equal(w.upper, 1);
}

/* --- EPT + SPP ------------------------------------------------------------ */

static uint64_t ept_entry(struct fix *f, uint64_t gpa, int level)
{
	struct tdp_lookup r;

	tdp_lookup(&f->ept, gpa, &r);
	assert_true(r.last_level <= level);
	return r.entry[level];
}

static void test_protect_4k(void **state)
{
	struct fix *f = *state;
	struct tdp_attrs a = { .perms = TDP_PERM_RWX, .memtype = TDP_MT_WB };
	struct tdp_lookup r;
	uint32_t bm;

	assert_int_equal(tdp_map(&f->ept, 0x5000, K4, 0x9000, &a, 0, NULL), 0);
	assert_int_equal(ept_entry(f, 0x5000, 0),
			 0x9000 | E_R | E_W | E_X | E_MT(MT_WB));
	memset(&f->tlb, 0, sizeof(f->tlb));
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, 0x5000, 0x5555u),
			 0);
	/* W cleared, SPP set, nothing else changed. */
	assert_int_equal(ept_entry(f, 0x5000, 0),
			 0x9000 | E_R | E_X | E_MT(MT_WB) | E_SPP);
	assert_int_equal(ept_entry(f, 0x5000, 0), 0x2000000000009035ull);
	assert_true(tlb_covers(&f->tlb, 0x5000));
	assert_int_equal(tdp_spp_get(&f->sppt, 0x5000, &bm), 0);
	assert_int_equal(bm, 0x5555u);
	assert_int_equal(tdp_lookup(&f->ept, 0x5123, &r), 0);
	assert_int_equal(r.out_addr, 0x9123);
	assert_true(r.attrs.flags & TDP_ATTR_SPP);

	/* Re-protect with another bitmap: the entry is updated. */
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, 0x5000, 0xau), 0);
	assert_int_equal(tdp_spp_get(&f->sppt, 0x5000, &bm), 0);
	assert_int_equal(bm, 0xau);
	assert_int_equal(ept_entry(f, 0x5000, 0), 0x2000000000009035ull);

	memset(&f->tlb, 0, sizeof(f->tlb));
	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, 0x5000), 0);
	assert_int_equal(ept_entry(f, 0x5000, 0),
			 0x9000 | E_R | E_W | E_X | E_MT(MT_WB));
	assert_true(tlb_covers(&f->tlb, 0x5000));
	assert_int_equal(tdp_spp_get(&f->sppt, 0x5000, &bm), -TDP_ERR_NOENT);
	assert_int_equal(stats(f->sp).tables_in_use, 1);
	/* Not protected any more. */
	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, 0x5000),
			 -TDP_ERR_NOENT);
}

/* The 2 MiB leaf's attributes: R W, WT, IPAT, A, D, software bits 0 and 1. */
static const struct tdp_attrs big_attrs = {
	.perms = TDP_PERM_R | TDP_PERM_W,
	.memtype = TDP_MT_WT,
	.flags = TDP_ATTR_IGNORE_PAT | TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY,
	.sw = 3,
};
#define BIG_BITS (E_R | E_W | E_MT(MT_WT) | E_IPAT | E_A | E_D | E_SW0 | E_SW1)

static void test_protect_2m(void **state)
{
	struct fix *f = *state;
	const uint64_t base = G1, pa = 0x80000000, g = base + 0x13000;
	uint64_t pde, pt, j;
	uint32_t bm;

	assert_int_equal(tdp_map(&f->ept, base, M2, pa, &big_attrs, 0, NULL),
			 0);
	assert_int_equal(ept_entry(f, base, 1), pa | BIG_BITS | E_PS);
	memset(&f->tlb, 0, sizeof(f->tlb));
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, g, 0xffff0000u),
			 0);
	assert_true(tlb_covers(&f->tlb, g));
	/* The block became a table of 512 PTEs, all but one as before. */
	pde = ept_entry(f, base, 1);
	pt = pde & ~0xfffull;
	assert_int_equal(pde, pt | E_R | E_W | E_X);
	for (j = 0; j < 512; j++) {
		uint64_t exp = (pa + j * K4) | BIG_BITS;
		uint64_t *e = tdp_pool_phys_to_virt(f->ep, pt + j * 8, 8);

		if (j == 0x13)
			exp = (exp & ~E_W) | E_SPP;
		assert_non_null(e);
		if (*e != exp)
			fail_msg("PTE %llu: 0x%llx, expected 0x%llx",
				 (unsigned long long)j,
				 (unsigned long long)*e,
				 (unsigned long long)exp);
	}
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), 0);
	assert_int_equal(bm, 0xffff0000u);

	memset(&f->tlb, 0, sizeof(f->tlb));
	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, g), 0);
	assert_true(tlb_covers(&f->tlb, g));
	assert_int_equal(ept_entry(f, g, 0), (pa + 0x13000) | BIG_BITS);
	assert_int_equal(ept_entry(f, g + K4, 0), (pa + 0x14000) | BIG_BITS);
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), -TDP_ERR_NOENT);
	assert_int_equal(stats(f->sp).tables_in_use, 1);
}

struct g1_walk {
	uint64_t base, pa, target;
	unsigned int n1, n0;
};

static int g1_fn(const struct tdp_visit *v, void *arg)
{
	struct g1_walk *w = arg;
	uint64_t pa = w->pa + (v->addr - w->base);
	uint64_t exp;

	if (v->level == 1) {
		exp = pa | E_R | E_W | E_X | E_MT(MT_WB) | E_PS;
		w->n1++;
	} else if (v->level == 0) {
		exp = pa | E_R | E_W | E_X | E_MT(MT_WB);
		if (v->addr == w->target)
			exp = (exp & ~E_W) | E_SPP;
		w->n0++;
	} else {
		fail_msg("leaf at level %d for 0x%llx", v->level,
			 (unsigned long long)v->addr);
		return 1;
	}
	if (v->old != exp)
		fail_msg("0x%llx level %d: 0x%llx, expected 0x%llx",
			 (unsigned long long)v->addr, v->level,
			 (unsigned long long)v->old, (unsigned long long)exp);
	return 0;
}

static void test_protect_1g(void **state)
{
	struct fix *f = *state;
	struct tdp_attrs a = { .perms = TDP_PERM_RWX, .memtype = TDP_MT_WB };
	struct g1_walk w = { 2 * G1, 0x100000000ull, 2 * G1 + 0x12345000, 0,
			     0 };
	struct tdp_lookup r;
	uint32_t bm;

	assert_int_equal(tdp_map(&f->ept, w.base, G1, w.pa, &a, 0, NULL), 0);
	assert_int_equal(ept_entry(f, w.base, 2),
			 w.pa | E_R | E_W | E_X | E_MT(MT_WB) | E_PS);
	memset(&f->tlb, 0, sizeof(f->tlb));
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, w.target, 1), 0);
	assert_true(tlb_covers(&f->tlb, w.target));
	/* 511 2 MiB leaves and one PT of 512 4 KiB leaves. */
	assert_int_equal(tdp_walk(&f->ept, w.base, G1, TDP_WALK_LEAF, g1_fn,
				  &w), 0);
	assert_int_equal(w.n1, 511);
	assert_int_equal(w.n0, 512);
	assert_int_equal(tdp_lookup(&f->ept, w.target + 0x80, &r), 0);
	assert_int_equal(r.out_addr, w.pa + 0x12345080);
	assert_int_equal(r.perms & TDP_PERM_W, 0);
	assert_int_equal(tdp_spp_get(&f->sppt, w.target, &bm), 0);
	assert_int_equal(bm, 1);

	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, w.target), 0);
	assert_int_equal(ept_entry(f, w.target, 0),
			 (w.pa + 0x12345000) | E_R | E_W | E_X | E_MT(MT_WB));
	w.target = 0; /* no frame is special any more */
	w.n1 = w.n0 = 0;
	assert_int_equal(tdp_walk(&f->ept, w.base, G1, TDP_WALK_LEAF, g1_fn,
				  &w), 0);
	assert_int_equal(tdp_spp_get(&f->sppt, 2 * G1 + 0x12345000, &bm),
			 -TDP_ERR_NOENT);
	assert_int_equal(stats(f->sp).tables_in_use, 1);
}

/* The EPT split fails: the SPPT goes back to exactly what it was. */
static void test_protect_rollback_existing(void **state)
{
	struct fix *f = *state;
	const uint64_t g = G1 + 0x7000;
	struct tdp_pool_stats es0, ss0, es1, ss1;
	uint32_t bm;

	assert_int_equal(tdp_map(&f->ept, G1, M2, 0x80000000, &big_attrs, 0,
				 NULL), 0);
	/* The frame and a neighbour already have SPPT entries. */
	assert_int_equal(tdp_spp_set(&f->sppt, g, K4, 0x00ff00ffu, NULL), 0);
	assert_int_equal(tdp_spp_set(&f->sppt, g + K4, K4, 0x3u, NULL), 0);
	snap(f);
	es0 = stats(f->ep);
	ss0 = stats(f->sp);
	memset(&f->tlb, 0, sizeof(f->tlb));
	assert_int_equal(tdp_pool_fail_nth(f->ep, 1), 0);
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, g, 0xdeadbeefu),
			 -TDP_ERR_NOMEM);
	assert_int_equal(tdp_pool_fail_nth(f->ep, 0), 0);
	es1 = stats(f->ep);
	ss1 = stats(f->sp);
	/* Same bytes in both pools, same SPPT pool statistics. */
	assert_unchanged(f);
	assert_memory_equal(&ss0, &ss1, sizeof(ss0));
	assert_int_equal(es1.failed_allocs, es0.failed_allocs + 1);
	es1.failed_allocs = es0.failed_allocs;
	assert_memory_equal(&es0, &es1, sizeof(es0));
	assert_int_equal(tlb_calls(&f->tlb), 0);
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), 0);
	assert_int_equal(bm, 0x00ff00ffu);

	/* Same with an all-zero entry for the frame. */
	assert_int_equal(tdp_spp_set(&f->sppt, g, K4, 0, NULL), 0);
	snap(f);
	ss0 = stats(f->sp);
	assert_int_equal(tdp_pool_fail_nth(f->ep, 1), 0);
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, g, 0xdeadbeefu),
			 -TDP_ERR_NOMEM);
	assert_int_equal(tdp_pool_fail_nth(f->ep, 0), 0);
	ss1 = stats(f->sp);
	assert_unchanged(f);
	assert_memory_equal(&ss0, &ss1, sizeof(ss0));

	/* Without the failure it works. */
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, g, 0xdeadbeefu),
			 0);
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), 0);
	assert_int_equal(bm, 0xdeadbeefu);
	assert_int_equal(ept_entry(f, g, 0),
			 ((0x80000000 + 0x7000) | BIG_BITS | E_SPP) & ~E_W);
}

struct entry_list {
	uint64_t pa[64], raw[64];
	unsigned int n;
};

static int list_fn(const struct tdp_visit *v, void *arg)
{
	struct entry_list *l = arg;

	if (v->kind == TDP_ENTRY_INVALID)
		return 0;
	assert_true(l->n < 64);
	l->pa[l->n] = v->entry_pa;
	l->raw[l->n] = v->old;
	l->n++;
	return 0;
}

/*
 * The SPPT had no entry for the frame: the tables made for it are taken
 * away again, so everything reachable from the SPPT root and the pool's
 * usage are as before.
 */
static void test_protect_rollback_new(void **state)
{
	struct fix *f = *state;
	const uint64_t g = G1 + 0x7000;
	static struct entry_list l[2];
	struct tdp_pool_stats ss0, ss1, es0;
	uint8_t root[4096];
	uint32_t bm;

	memset(l, 0, sizeof(l));
	assert_int_equal(tdp_map(&f->ept, G1, M2, 0x80000000, &big_attrs, 0,
				 NULL), 0);
	/* Something elsewhere in the SPPT, to see it kept. */
	assert_int_equal(tdp_spp_set(&f->sppt, 0x5000, K4, 9, NULL), 0);
	assert_int_equal(tdp_walk(&f->sppt, 0, 1ull << 48,
				  TDP_WALK_LEAF | TDP_WALK_TABLE_PRE, list_fn,
				  &l[0]), 0);
	memcpy(root, tdp_pool_phys_to_virt(f->sp, f->sppt.root_pa, K4), K4);
	ss0 = stats(f->sp);
	es0 = stats(f->ep);
	memcpy(f->snap_e, tdp_pool_phys_to_virt(f->ep, EPT_BASE, EPT_SIZE),
	       EPT_SIZE);

	assert_int_equal(tdp_pool_fail_nth(f->ep, 1), 0);
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, g, 0x1u),
			 -TDP_ERR_NOMEM);
	assert_int_equal(tdp_pool_fail_nth(f->ep, 0), 0);
	assert_int_equal(tdp_spp_get(&f->sppt, g, &bm), -TDP_ERR_NOENT);
	assert_int_equal(tdp_walk(&f->sppt, 0, 1ull << 48,
				  TDP_WALK_LEAF | TDP_WALK_TABLE_PRE, list_fn,
				  &l[1]), 0);
	assert_int_equal(l[0].n, l[1].n);
	assert_memory_equal(&l[0], &l[1], sizeof(l[0]));
	assert_memory_equal(root,
			    tdp_pool_phys_to_virt(f->sp, f->sppt.root_pa, K4),
			    K4);
	ss1 = stats(f->sp);
	assert_int_equal(ss1.tables_in_use, ss0.tables_in_use);
	assert_int_equal(ss1.bytes_in_use, ss0.bytes_in_use);
	assert_int_equal(ss1.failed_allocs, ss0.failed_allocs);
	assert_memory_equal(f->snap_e,
			    tdp_pool_phys_to_virt(f->ep, EPT_BASE, EPT_SIZE),
			    EPT_SIZE);
	assert_int_equal(stats(f->ep).tables_in_use, es0.tables_in_use);
}

/*
 * The frame's SPPT leaf is misconfigured (an odd bit set) and the EPT step
 * fails: whether protect refuses the entry up front (BADTABLE) or tries
 * and rolls back (NOMEM), the SPPT must be as it was, that leaf included.
 */
static void test_protect_rollback_malformed_leaf(void **state)
{
	struct fix *f = *state;
	const uint64_t g = G1 + 0x7000;
	static struct entry_list l[2];
	struct tdp_pool_stats ss0, ss1;
	uint64_t where = 0;
	uint8_t root[4096];
	int ret;

	memset(l, 0, sizeof(l));
	assert_int_equal(tdp_map(&f->ept, G1, M2, 0x80000000, &big_attrs, 0,
				 NULL), 0);
	assert_int_equal(tdp_spp_set(&f->sppt, g, K4, 1, NULL), 0);
	sppt_entry(f, g, 0, &where);
	*qs(f, where) = 0x3;
	assert_int_equal(tdp_walk(&f->sppt, 0, 1ull << 48,
				  TDP_WALK_LEAF | TDP_WALK_TABLE_PRE, list_fn,
				  &l[0]), 0);
	memcpy(root, tdp_pool_phys_to_virt(f->sp, f->sppt.root_pa, K4), K4);
	ss0 = stats(f->sp);

	assert_int_equal(tdp_pool_fail_nth(f->ep, 1), 0);
	ret = tdp_spp_protect(&f->ept, &f->sppt, g, 0x10u);
	assert_int_equal(tdp_pool_fail_nth(f->ep, 0), 0);
	assert_true(ret == -TDP_ERR_NOMEM || ret == -TDP_ERR_BADTABLE);
	ss1 = stats(f->sp);
	assert_int_equal(tdp_walk(&f->sppt, 0, 1ull << 48,
				  TDP_WALK_LEAF | TDP_WALK_TABLE_PRE, list_fn,
				  &l[1]), 0);
	if (ss1.tables_in_use != ss0.tables_in_use || l[0].n != l[1].n ||
	    memcmp(l[0].raw, l[1].raw, l[0].n * sizeof(l[0].raw[0])) ||
	    memcmp(root, tdp_pool_phys_to_virt(f->sp, f->sppt.root_pa, K4),
		   K4))
		fail_msg("protect returned %d and the SPPT changed: %llu "
			 "tables before, %llu after; %u entries before, %u "
			 "after", ret, (unsigned long long)ss0.tables_in_use,
			 (unsigned long long)ss1.tables_in_use, l[0].n,
			 l[1].n);
}

/* The SPPT step fails: nothing changes in either table. */
static void test_protect_sppt_nomem(void **state)
{
	struct fix *f = *state;
	struct tdp_attrs a = { .perms = TDP_PERM_RWX, .memtype = TDP_MT_WB };
	struct tdp_pool_stats es0, ss0, es1, ss1;
	unsigned int nth;
	uint32_t bm;

	assert_int_equal(tdp_map(&f->ept, 0, M2, 0, &a, 0, NULL), 0);
	for (nth = 1; nth <= 3; nth++) {
		snap(f);
		es0 = stats(f->ep);
		ss0 = stats(f->sp);
		memset(&f->tlb, 0, sizeof(f->tlb));
		assert_int_equal(tdp_pool_fail_nth(f->sp, nth), 0);
		assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, 0x3000, 1),
				 -TDP_ERR_NOMEM);
		assert_int_equal(tdp_pool_fail_nth(f->sp, 0), 0);
		es1 = stats(f->ep);
		ss1 = stats(f->sp);
		assert_unchanged(f);
		assert_memory_equal(&es0, &es1, sizeof(es0));
		assert_int_equal(ss1.tables_in_use, ss0.tables_in_use);
		assert_int_equal(tlb_calls(&f->tlb), 0);
		assert_int_equal(tdp_spp_get(&f->sppt, 0x3000, &bm),
				 -TDP_ERR_NOENT);
	}
}

/* 5-level EPT: the 4-level SPPT reaches guest-physical addresses < 2^48. */
static void test_protect_ept5(void **state)
{
	struct fix *f = *state;
	struct tdp_attrs a = { .perms = TDP_PERM_RWX, .memtype = TDP_MT_WB };
	const uint64_t top = (1ull << 48) - K4, hi = 1ull << 48;
	const uint64_t far = 1ull << 56;
	uint32_t bm;

	assert_int_equal(tdp_map(&f->ept, top, K4, 0x7000, &a, 0, NULL), 0);
	assert_int_equal(tdp_map(&f->ept, hi, K4, 0x8000, &a, 0, NULL), 0);
	assert_int_equal(tdp_map(&f->ept, far, M2, 0x200000, &a, 0, NULL), 0);
	assert_int_equal(tdp_map(&f->ept, 1ull << 47, K4, 0x9000, &a, 0, NULL),
			 0);

	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, top, 0x11u), 0);
	assert_int_equal(ept_entry(f, top, 0),
			 0x7000 | E_R | E_X | E_MT(MT_WB) | E_SPP);
	assert_int_equal(tdp_spp_get(&f->sppt, top, &bm), 0);
	assert_int_equal(bm, 0x11u);
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, 1ull << 47, 2), 0);

	snap(f);
	memset(&f->tlb, 0, sizeof(f->tlb));
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, hi, 1),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, far + K4, 1),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, hi),
			 -TDP_ERR_RANGE);
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt,
					 (1ull << 57) - K4, 1),
			 -TDP_ERR_RANGE);
	assert_unchanged(f);
	assert_int_equal(tlb_calls(&f->tlb), 0);
	assert_int_equal(ept_entry(f, hi, 0),
			 0x8000 | E_R | E_W | E_X | E_MT(MT_WB));

	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, top), 0);
	assert_int_equal(ept_entry(f, top, 0),
			 0x7000 | E_R | E_W | E_X | E_MT(MT_WB));
	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, 1ull << 47), 0);
	assert_int_equal(stats(f->sp).tables_in_use, 1);
}

static void test_protect_bad_input(void **state)
{
	struct fix *f = *state;
	struct tdp_attrs a = { .perms = TDP_PERM_RWX, .memtype = TDP_MT_WB };
	const struct tdp_format_config plain = { .format = TDP_FMT_EPT4,
						 .pa_bits = 46 };
	const struct tdp_format_config ia = { .format = TDP_FMT_IA32E4 };
	struct tdp_pgt no_spp, ia32e;

	assert_int_equal(tdp_pgt_init(&no_spp, &plain, &f->emm), 0);
	assert_int_equal(tdp_pgt_init(&ia32e, &ia, &f->emm), 0);
	assert_int_equal(tdp_map(&f->ept, 0x5000, K4, 0x9000, &a, 0, NULL), 0);
	assert_int_equal(tdp_map(&no_spp, 0x5000, K4, 0x9000, &a, 0, NULL), 0);
	assert_int_equal(tdp_map(&ia32e, 0x5000, K4, 0x9000, &a, 0, NULL), 0);
	snap(f);
	memset(&f->tlb, 0, sizeof(f->tlb));

	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, 0x5001, 1),
			 -TDP_ERR_ALIGN);
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, 0x5800, 1),
			 -TDP_ERR_ALIGN);
	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, 0x5080),
			 -TDP_ERR_ALIGN);
	/* EPT without SPP, a non-EPT table, tables swapped, NULL. */
	assert_int_equal(tdp_spp_protect(&no_spp, &f->sppt, 0x5000, 1),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_protect(&ia32e, &f->sppt, 0x5000, 1),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_protect(&f->sppt, &f->ept, 0x5000, 1),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_protect(&f->ept, &f->ept, 0x5000, 1),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_protect(&f->ept, &no_spp, 0x5000, 1),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_protect(NULL, &f->sppt, 0x5000, 1),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_protect(&f->ept, NULL, 0x5000, 1),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_unprotect(&no_spp, &f->sppt, 0x5000),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->ept, 0x5000),
			 -TDP_ERR_INVAL);
	/* Frames the EPT does not map: no table, or a hole in a table. */
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, 0x6000, 1),
			 -TDP_ERR_NOENT);
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, 0x7654321000ull,
					 1), -TDP_ERR_NOENT);
	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, 0x6000),
			 -TDP_ERR_NOENT);
	/* Mapped but not protected. */
	assert_int_equal(tdp_spp_unprotect(&f->ept, &f->sppt, 0x5000),
			 -TDP_ERR_NOENT);
	/* 4-level EPT: nothing at or above 2^48 either. */
	assert_int_equal(tdp_spp_protect(&f->ept, &f->sppt, 1ull << 48, 1),
			 -TDP_ERR_RANGE);
	assert_unchanged(f);
	assert_int_equal(tlb_calls(&f->tlb), 0);
	assert_int_equal(stats(f->sp).tables_in_use, 1);
	tdp_pgt_destroy(&no_spp);
	tdp_pgt_destroy(&ia32e);
}

#define FIX(t) cmocka_unit_test_setup_teardown(t, fix_setup, fix_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_spread),
		cmocka_unit_test(test_bitmap_reserved),
		cmocka_unit_test(test_spptp),
		cmocka_unit_test(test_sppt_format),
		FIX(test_sppt_set_get_clear),
		FIX(test_sppt_zero_bitmap),
		FIX(test_sppt_errors),
		FIX(test_sppt_misconfig),
		FIX(test_sppt_pa_width),
		FIX(test_sppt_lookup_walk),
		FIX(test_protect_4k),
		FIX(test_protect_2m),
		FIX(test_protect_1g),
		FIX(test_protect_rollback_existing),
		FIX(test_protect_rollback_new),
		FIX(test_protect_rollback_malformed_leaf),
		FIX(test_protect_sppt_nomem),
		cmocka_unit_test_setup_teardown(test_protect_ept5,
						fix_setup_ept5, fix_teardown),
		FIX(test_protect_bad_input),
	};

	return cmocka_run_group_tests_name("spp", tests, NULL, NULL);
}

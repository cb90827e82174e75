/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * tdp_lookup()'s fast walk against the full rules, for every format, and
 * tdp_lookup_raw() with tdp_lookup_decode() against both.
 *
 * Lookups take a fast path when the memory backend offers a linear window:
 * per-level tests derived from each format's rules, and one decode of the
 * leaf and the walk's permissions at the end (the decode_walk backend op).
 * Without a window every table pointer goes through the backend, and the
 * walk by the full rules. Here one table, mapped by tdp_map(), is looked up
 * through both kinds of backend over the same memory while random bits of
 * the entries on the path are flipped, and each result is checked:
 * - both lookups agree in every defined field;
 * - each recorded entry is what the memory holds at its recorded address;
 * - tdp_entry_classify() (the full rules) calls every entry above the last
 *   one a table, and the last one a leaf, invalid, reserved, or (bad
 *   pointer) a table, as the outcome says;
 * - a translation's address, size and attributes are the leaf's as
 *   tdp_entry_decode_leaf() decodes them;
 * - its permissions are the AND over the walk, computed here from the raw
 *   bits by each architecture's rules;
 * - tdp_lookup_raw() records the same walk through either backend, and
 *   tdp_lookup_decode() then gives the same attributes and permissions.
 *
 * The seed is printed on failure; set TDP_SEED to rerun a sequence.
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

#define POOL_SIZE (4ull << 20)
#define TRIALS 3000
#define DEFAULT_SEED 0x5eed1007c0ffee11ull

/* Permission rules of the architectures, for the oracle below. */
enum family { FAM_EPT, FAM_X86, FAM_S2, FAM_SPP };

struct tcase {
	const char *name;
	struct tdp_format_config cfg;
	enum family fam;
	uint64_t pool_base;
	uint64_t addr;  /* mapped with 4 KiB (or the smallest) pages */
	uint64_t pa;    /* its output address */
	uint64_t block; /* mapped with the largest leaf, if non-zero */
	uint64_t block_pa;
	struct tdp_attrs attrs;
};

#define RWXU (TDP_PERM_RWX | TDP_PERM_U)
#define X86_ATTRS { .perms = RWXU, .flags = TDP_ATTR_ACCESSED }
#define S2_ATTRS                                                              \
	{ .perms = TDP_PERM_RWX,                                              \
	  .flags = TDP_ATTR_ACCESSED | TDP_ATTR_DBM }
#define HI_BASE (1ull << 50) /* table addresses that need 52-bit entries */

static const struct tcase cases[] = {
	{ "ept4", { .format = TDP_FMT_EPT4, .features = TDP_FEAT_EPT_AD },
	  FAM_EPT, 0x10000000, 0x12345000, 0x80000000, 0x40000000, 0x80000000,
	  { .perms = TDP_PERM_RWX, .flags = TDP_ATTR_ACCESSED } },
	{ "ept4 xo mbec spp",
	  { .format = TDP_FMT_EPT4,
	    .features = TDP_FEAT_EPT_EXEC_ONLY | TDP_FEAT_EPT_MBEC |
			TDP_FEAT_EPT_SPP },
	  FAM_EPT, HI_BASE, 0x7f0012345000, HI_BASE, 0x40000000, HI_BASE,
	  { .perms = TDP_PERM_R | TDP_PERM_X, .memtype = TDP_MT_UC } },
	{ "ept5", { .format = TDP_FMT_EPT5 }, FAM_EPT, 0x10000000,
	  0x1f00012345000, 0x80000000, 0x40000000, 0x80000000,
	  { .perms = TDP_PERM_RWX } },
	{ "ia32e4", { .format = TDP_FMT_IA32E4 }, FAM_X86, 0x10000000,
	  0xffff800012345000, 0x80000000, 0x40000000, 0x80000000, X86_ATTRS },
	{ "ia32e5 no-nx", { .format = TDP_FMT_IA32E5,
			    .features = TDP_FEAT_NO_NX },
	  FAM_X86, HI_BASE, 0x12345000, HI_BASE, 0x40000000, HI_BASE,
	  X86_ATTRS },
	{ "pae", { .format = TDP_FMT_PAE }, FAM_X86, 0x10000000, 0xc0345000,
	  0x80000000, 0x40000000, 0x80000000, X86_ATTRS },
	{ "pae no-nx", { .format = TDP_FMT_PAE, .features = TDP_FEAT_NO_NX },
	  FAM_X86, 0x10000000, 0x12345000, 0x80000000, 0, 0, X86_ATTRS },
	{ "legacy32", { .format = TDP_FMT_LEGACY32 }, FAM_X86, 0x10000000,
	  0x12345000, 0x80000000, 0, 0, X86_ATTRS },
	{ "legacy32 pse36",
	  { .format = TDP_FMT_LEGACY32, .features = TDP_FEAT_PSE,
	    .pa_bits = 40 },
	  FAM_X86, 0x10000000, 0x12345000, 0x80000000, 0x40000000,
	  0x8000400000ull, X86_ATTRS },
	{ "spp", { .format = TDP_FMT_SPP }, FAM_SPP, 0x10000000,
	  0x12345000, 0, 0, 0, { .subpage_write = 0x8000f00d } },
	{ "s2-4k", { .format = TDP_FMT_S2_4K, .ia_bits = 40,
		     .features = TDP_FEAT_S2_HA | TDP_FEAT_S2_HD },
	  FAM_S2, 0x10000000, 0x12345000, 0x80000000, 0x40000000, 0x80000000,
	  S2_ATTRS },
	{ "s2-4k xnx fwb", { .format = TDP_FMT_S2_4K,
			     .features = TDP_FEAT_S2_XNX | TDP_FEAT_S2_FWB },
	  FAM_S2, 0x10000000, 0x12345000, 0x80000000, 0x40000000, 0x80000000,
	  { .perms = TDP_PERM_R | TDP_PERM_X,
	    .flags = TDP_ATTR_ACCESSED } },
	{ "s2-4k lpa2", { .format = TDP_FMT_S2_4K, .pa_bits = 52,
			  .features = TDP_FEAT_S2_LPA2 },
	  FAM_S2, HI_BASE, 0x8000012345000, HI_BASE, 0x40000000, HI_BASE,
	  S2_ATTRS },
	{ "s2-16k lpa2", { .format = TDP_FMT_S2_16K, .ia_bits = 48,
			   .pa_bits = 52, .features = TDP_FEAT_S2_LPA2 },
	  FAM_S2, HI_BASE, 0x12344000, HI_BASE, 0x40000000, HI_BASE,
	  S2_ATTRS },
	{ "s2-64k", { .format = TDP_FMT_S2_64K, .ia_bits = 40 }, FAM_S2,
	  0x10000000, 0x12340000, 0x80000000, 0x40000000, 0x80000000,
	  S2_ATTRS },
	{ "s2-64k lpa", { .format = TDP_FMT_S2_64K, .ia_bits = 48,
			  .pa_bits = 52 },
	  FAM_S2, HI_BASE, 0x12340000, HI_BASE, 0x40000000, HI_BASE,
	  S2_ATTRS },
};

/* What the walk in @r grants, by the architecture's rules. */
static uint32_t want_perms(const struct tcase *tc, const struct tdp_format *f,
			   const struct tdp_lookup *r)
{
	uint32_t feat = tc->cfg.features;
	uint64_t leaf = r->entry[r->last_level], all = ~0ull, any = 0;
	uint32_t p = 0;
	int l;

	for (l = r->last_level; l <= r->root_level; l++) {
		/* A PAE PDPTE grants everything. */
		if (tc->cfg.format == TDP_FMT_PAE && l == 2)
			continue;
		all &= r->entry[l];
		any |= r->entry[l];
	}
	switch (tc->fam) {
	case FAM_EPT:
		p |= all & 1 ? TDP_PERM_R : 0;
		p |= all & 2 ? TDP_PERM_W : 0;
		if (feat & TDP_FEAT_EPT_MBEC)
			p |= (all & 4 ? TDP_PERM_X : 0) |
			     (all & 0x400 ? TDP_PERM_XU : 0);
		else
			p |= all & 4 ? TDP_PERM_X | TDP_PERM_XU : 0;
		return p;
	case FAM_X86:
		p = TDP_PERM_R;
		p |= all & 2 ? TDP_PERM_W : 0;
		p |= all & 4 ? TDP_PERM_U : 0;
		/* XD (bit 63) exists with EFER.NXE, never in 32-bit paging. */
		if (f->entry_size == 4 || (feat & TDP_FEAT_NO_NX) ||
		    !(any >> 63))
			p |= TDP_PERM_X | TDP_PERM_XU;
		return p;
	case FAM_S2: {
		/* Tables grant all; S2AP is bits 7:6, XN bits 54:53. */
		unsigned int xn = (unsigned int)(leaf >> 53) & 3;

		p |= leaf & (1u << 6) ? TDP_PERM_R : 0;
		p |= leaf & (1u << 7) ? TDP_PERM_W : 0;
		if (!(feat & TDP_FEAT_S2_XNX))
			return p | (xn & 2 ? 0 : TDP_PERM_X | TDP_PERM_XU);
		if (xn == 0 || xn == 3)
			p |= TDP_PERM_X;
		if (xn == 0 || xn == 1)
			p |= TDP_PERM_XU;
		return p;
	}
	default:
		return TDP_PERM_RWX;
	}
}

struct env {
	const struct tcase *tc;
	struct tdp_pool *pool;
	struct tdp_pgt fast; /* the pool's backend: a linear window */
	struct tdp_pgt slow; /* the same memory, without the window */
	struct tdp_mm_ops nowin_ops;
	unsigned int trials;
	unsigned int leaves, faults;
};

/*
 * Two results of one walk agree in every field the contract defines for
 * both lookups (attrs and perms are tdp_lookup()'s only; see below).
 */
static void check_same_walk(const struct tdp_lookup *a,
			    const struct tdp_lookup *b)
{
	int l;

	assert_int_equal(a->addr, b->addr);
	assert_int_equal(a->root_level, b->root_level);
	assert_int_equal(a->last_level, b->last_level);
	assert_int_equal(a->fault, b->fault);
	assert_int_equal(a->fault_level, b->fault_level);
	assert_int_equal(a->fault_detail, b->fault_detail);
	assert_int_equal(a->out_addr, b->out_addr);
	assert_int_equal(a->page_size, b->page_size);
	for (l = a->root_level; l >= a->last_level && l >= 0; l--) {
		assert_int_equal(a->entry[l], b->entry[l]);
		assert_int_equal(a->entry_pa[l], b->entry_pa[l]);
	}
}

/* A translation's address, attributes and permissions, from the raw bits. */
static void check_decoded(const struct env *e, const struct tdp_lookup *r)
{
	const struct tdp_format *f = &e->fast.fmt;
	struct tdp_attrs at;
	uint64_t pa;

	assert_int_equal(tdp_entry_decode_leaf(f, r->last_level,
					       r->entry[r->last_level], &pa,
					       &at), 0);
	assert_int_equal(r->out_addr, pa | (r->addr & (r->page_size - 1)));
	assert_memory_equal(&r->attrs, &at, sizeof(at));
	assert_int_equal(r->perms, want_perms(e->tc, f, r));
}

static void check_one(struct env *e, uint64_t addr)
{
	const struct tdp_format *f = &e->fast.fmt;
	struct tdp_lookup a, b, raw[2];
	int ra, rb, l, k;

	memset(&a, 0x5a, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	memset(raw, 0x3c, sizeof(raw));
	ra = tdp_lookup(&e->fast, addr, &a);
	rb = tdp_lookup(&e->slow, addr, &b);

	/* Both walks agree in every field the contract defines. */
	assert_int_equal(ra, rb);
	assert_int_equal(a.addr, addr);
	assert_int_equal(a.root_level, f->levels - 1);
	check_same_walk(&a, &b);
	assert_int_equal(a.perms, b.perms);
	assert_memory_equal(&a.attrs, &b.attrs, sizeof(a.attrs));
	assert_true(a.last_level >= 0);

	/* So do the walks that do not decode, by either kind of backend. */
	assert_int_equal(tdp_lookup_raw(&e->fast, addr, &raw[0]), ra);
	assert_int_equal(tdp_lookup_raw(&e->slow, addr, &raw[1]), ra);
	for (k = 0; k < 2; k++)
		check_same_walk(&a, &raw[k]);

	for (l = a.root_level; l >= a.last_level; l--) {
		const void *p = tdp_pool_phys_to_virt(e->pool, a.entry_pa[l],
						      f->entry_size);
		uint64_t mem;
		int kind;

		assert_non_null(p);
		mem = f->entry_size == 4 ? *(const uint32_t *)p
					 : *(const uint64_t *)p;
		assert_int_equal(a.entry[l], mem);

		/* The full rules' verdict on each entry of the path. */
		kind = tdp_entry_classify(f, l, a.entry[l]);
		if (l > a.last_level || a.fault == TDP_FAULT_BAD_POINTER)
			assert_int_equal(kind, TDP_ENTRY_TABLE);
		else if (!ra)
			assert_int_equal(kind, TDP_ENTRY_LEAF);
		else if (kind == TDP_ENTRY_INVALID)
			assert_int_equal(a.fault, TDP_FAULT_NOT_PRESENT);
		else
			assert_int_equal(kind, TDP_ENTRY_RESERVED);
	}
	if (ra) {
		assert_int_equal(ra, -TDP_ERR_FAULT);
		assert_int_equal(a.fault_level, a.last_level);
		/* There is no leaf to decode. */
		assert_int_equal(tdp_lookup_decode(&e->fast, &raw[0]),
				 -TDP_ERR_INVAL);
		e->faults++;
		return;
	}

	/* A translation: the leaf as decoded, the walk's permissions. */
	{
		uint64_t size;

		size = 1ull << tdp_format_level_shift(f, a.last_level);
		assert_int_equal(a.fault, TDP_FAULT_NONE);
		assert_int_equal(a.fault_level, -1);
		assert_int_equal(a.page_size, size);
		check_decoded(e, &a);
		for (k = 0; k < 2; k++) {
			assert_int_equal(tdp_lookup_decode(&e->fast, &raw[k]),
					 0);
			check_decoded(e, &raw[k]);
		}
		e->leaves++;
	}
}

/* Flip random bits of the entries on @addr's path, look up, put back. */
static void fuzz_path(struct env *e, uint64_t addr)
{
	const struct tdp_format *f = &e->fast.fmt;
	struct tdp_lookup r;
	unsigned int t;

	assert_int_equal(tdp_lookup(&e->fast, addr, &r), 0);
	for (t = 0; t < TRIALS; t++) {
		int l = r.last_level +
			(int)(rnd() % (uint64_t)(r.root_level - r.last_level + 1));
		void *p = tdp_pool_phys_to_virt(e->pool, r.entry_pa[l],
						f->entry_size);
		unsigned int flips = t % 8 ? 1 + (unsigned int)(rnd() % 3) : 0;
		uint64_t v = r.entry[l];

		assert_non_null(p);
		for (; flips; flips--)
			v ^= 1ull << (rnd() % (8u * f->entry_size));
		if (f->entry_size == 4)
			*(uint32_t *)p = (uint32_t)v;
		else
			*(uint64_t *)p = v;
		check_one(e, addr);
		/* An address next to it, often through the same tables. */
		check_one(e, addr ^ (rnd() & 0x3ffff000ull));
		if (f->entry_size == 4)
			*(uint32_t *)p = (uint32_t)r.entry[l];
		else
			*(uint64_t *)p = r.entry[l];
		e->trials++;
	}
}

/* Map tc->block with the largest leaf that is aligned there. */
static void map_block(struct env *e)
{
	const struct tcase *tc = e->tc;
	int level;

	for (level = e->fast.fmt.levels - 1; level > 0; level--) {
		uint64_t size =
			1ull << tdp_format_level_shift(&e->fast.fmt, level);

		if (!tdp_map(&e->fast, tc->block, size, tc->block_pa,
			     &tc->attrs, TDP_OP_MAX_LEVEL(level), NULL))
			return;
	}
	fail_msg("%s: no block leaf could be mapped", tc->name);
}

static void test_fast_walk_matches_full_rules(void **state)
{
	size_t i;

	(void)state;
	rng_state = seed_from_env(DEFAULT_SEED);
	print_message("seed %#llx\n", (unsigned long long)rng_state);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *tc = &cases[i];
		struct env e = { .tc = tc };
		struct tdp_mm mm, nowin;
		uint64_t page;
		int ret;

		print_message("%s\n", tc->name);
		assert_int_equal(tdp_pool_create(POOL_SIZE, tc->pool_base,
						 &e.pool), 0);
		mm = tdp_pool_mm(e.pool);
		assert_non_null(mm.ops->linear_window);
		e.nowin_ops = *mm.ops;
		e.nowin_ops.linear_window = NULL;
		nowin = (struct tdp_mm){ .ops = &e.nowin_ops, .ctx = mm.ctx };
		assert_int_equal(tdp_pgt_init(&e.fast, &tc->cfg, &mm), 0);
		assert_int_equal(tdp_pgt_init_at(&e.slow, &tc->cfg, &nowin,
						 e.fast.root_pa), 0);

		page = 1ull << tdp_format_level_shift(&e.fast.fmt, 0);
		ret = tdp_map(&e.fast, tc->addr, page, tc->pa, &tc->attrs,
			      TDP_OP_MAX_LEVEL(0), NULL);
		assert_int_equal(ret, 0);
		fuzz_path(&e, tc->addr);
		if (tc->block) {
			map_block(&e);
			fuzz_path(&e, tc->block);
		}
		/* Both outcomes were seen often. */
		assert_true(e.leaves > e.trials / 8);
		assert_true(e.faults > e.trials / 32);
		tdp_pgt_destroy(&e.slow);
		tdp_pgt_destroy(&e.fast);
		tdp_pool_destroy(e.pool);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_walk_matches_full_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

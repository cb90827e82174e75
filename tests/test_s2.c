/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The arm64 stage-2 formats (s2-4k, s2-16k, s2-64k) as a user sees them:
 * geometry and configuration rules, descriptor encoding, decoding and
 * classification, lookups and faults through hand-built tables, map /
 * unmap / protect / aging / dirty harvesting with break-before-make, a VM
 * memory map, the VTCR_EL2 / VTTBR_EL2 helpers, and a model-based random
 * test of map, unmap and protect.
 *
 * Every expected value is written here from the Arm ARM's VMSAv8-64
 * stage-2 layout (descriptor bits, lookup-level geometry, VTCR_EL2 and
 * VTTBR_EL2 fields) as hex constants and shifts, never produced by the
 * library's encoder, so a library that agrees with itself but not with the
 * architecture still fails.
 *
 * Table-driven checks report every mismatching case (not only the first)
 * and fail the test at its end, so one run shows all disagreements.
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
#include <time.h>

#include <libtdp/tdp.h>

#include "expect.h"
#include "rng.h"

#define BIT(n) (1ull << (n))
/* Bits h..l inclusive. */
#define GENMASK(h, l) ((~0ull >> (63 - (h))) & (~0ull << (l)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the Arm ARM's stage-2 descriptor layout --------------------------- */

/* bits[1:0]: 0b11 table (levels < 3) or page (level 3), 0b01 block. */
#define D_VALID BIT(0)
#define D_BLOCK 0x1ull
#define D_TABLE 0x3ull
#define D_PAGE 0x3ull
#define D_MEMATTR(m) ((uint64_t)(m) << 2) /* MemAttr[3:0], bits 5:2 */
#define D_R BIT(6)                        /* S2AP[0]: read */
#define D_W BIT(7)                        /* S2AP[1]: write */
#define D_SH(s) ((uint64_t)(s) << 8)      /* SH[1:0], bits 9:8 */
#define D_AF BIT(10)
#define D_DBM BIT(51)
#define D_CONT BIT(52)
#define D_XN(x) ((uint64_t)(x) << 53)     /* XN[1:0], bits 54:53 */
#define D_XN1 BIT(54)
#define D_SW(s) ((uint64_t)(s) << 55)     /* software bits 58:55 */

/* MemAttr without FWB: Normal is outer[3:2] inner[1:0]; Device is 00xx. */
#define MA_DEV_NGNRNE 0x0
#define MA_DEV_NGNRE 0x1
#define MA_DEV_NGRE 0x2
#define MA_DEV_GRE 0x3
#define MA_NC 0x5
#define MA_WT 0xa
#define MA_WB 0xf
/* MemAttr with FWB (HCR_EL2.FWB = 1). */
#define MA_FWB_NC 0x5
#define MA_FWB_WB 0x6

/* The usual leaf attributes: Normal WB, R+W, inner shareable, AF. */
#define LO_RW_WB (D_MEMATTR(MA_WB) | D_R | D_W | D_SH(3) | D_AF)

#define RWX (TDP_PERM_R | TDP_PERM_W | TDP_PERM_X | TDP_PERM_XU)
#define XX (TDP_PERM_X | TDP_PERM_XU)

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

/* Fill byte for outputs that a failing call must leave alone. */
#define POISON 0xa5a5a5a5a5a5a5a5ull

/* ---- the spec's geometry, computed independently ----------------------- */

/* What the test expects a configuration to resolve to. */
struct geo {
	unsigned int g;  /* granule shift: 12, 14, 16 */
	unsigned int b;  /* index bits per level: g - 3 */
	unsigned int ia;
	unsigned int pa;
	int start;       /* Arm start level */
	bool lpa2;       /* FEAT_LPA2 descriptors */
	bool lpa;        /* 64K with 52-bit PA: OA[51:48] in bits 15:12 */
};

static unsigned int granule_of(uint32_t format)
{
	return format == TDP_FMT_S2_4K ? 12 : format == TDP_FMT_S2_16K ? 14
								       : 16;
}

/* Low input-address bit resolved at Arm lookup level @lvl. */
static unsigned int arm_shift(unsigned int g, int lvl)
{
	return g + (g - 3) * (unsigned int)(3 - lvl);
}

/* A start level is usable when it resolves 1..b+4 bits (<= 16 tables). */
static bool spec_start_ok(unsigned int g, unsigned int ia, bool lpa2, int lvl)
{
	int extra;

	if (lvl < -1 || lvl > 3)
		return false;
	extra = (int)ia - (int)arm_shift(g, lvl);
	if (extra < 1 || extra > (int)(g - 3) + 4)
		return false;
	if (g == 14 && lvl == 0 && !lpa2)
		return false;
	if (lvl == -1 && !(g == 12 && lpa2))
		return false;
	return true;
}

/* Fewest levels, never fewer than two: the highest of 2, 1, 0, -1. */
static int spec_default_start(unsigned int g, unsigned int ia, bool lpa2)
{
	int lvl;

	for (lvl = 2; lvl >= -1; lvl--)
		if (spec_start_ok(g, ia, lpa2, lvl))
			return lvl;
	return -9;
}

/* Levels that hold blocks (level 3 holds pages). */
static bool spec_block_ok(unsigned int g, bool lpa2, unsigned int pa, int lvl)
{
	if (lvl == 3 || lvl == 2)
		return true;
	if (lvl == 1)
		return g == 12 || (g == 14 && lpa2) || (g == 16 && pa == 52);
	if (lvl == 0)
		return g == 12 && lpa2;
	return false;
}

static uint64_t spec_root_bytes(const struct geo *s)
{
	uint64_t n = 8ull << (s->ia - arm_shift(s->g, s->start));

	return n < (1ull << s->g) ? 1ull << s->g : n;
}

/* Index of @addr in the table of Arm level @lvl. */
static uint64_t spec_index(const struct geo *s, int lvl, uint64_t addr)
{
	unsigned int shift = arm_shift(s->g, lvl);
	unsigned int bits = lvl == s->start ? s->ia - shift : s->b;

	return (addr >> shift) & ((1ull << bits) - 1);
}

static uint64_t span_of(const struct geo *s, int lvl)
{
	return 1ull << arm_shift(s->g, lvl);
}

static void geo_init(struct geo *s, const struct tdp_format_config *cfg,
		     int start)
{
	s->g = granule_of(cfg->format);
	s->b = s->g - 3;
	s->ia = cfg->ia_bits;
	s->pa = cfg->pa_bits;
	s->start = start;
	s->lpa2 = cfg->features & TDP_FEAT_S2_LPA2;
	s->lpa = s->g == 16 && s->pa == 52;
}

/*
 * Where an output or next-table address goes in a descriptor: bits 47:g;
 * LPA2 bits 49:g with OA[51:50] in bits 9:8 (when PS is 52); 64K with a
 * 52-bit PA keeps OA[51:48] in bits 15:12.
 */
static uint64_t place_addr(const struct geo *s, uint64_t pa)
{
	if (s->lpa2 && s->pa == 52)
		return (pa & GENMASK(49, s->g)) | (((pa >> 50) & 3) << 8);
	if (s->lpa)
		return (pa & GENMASK(47, 16)) | (((pa >> 48) & 0xf) << 12);
	return pa & GENMASK(s->lpa2 ? 49 : 47, s->g);
}

/* The reverse: the address a descriptor holds (low bits not cleared). */
static uint64_t desc_addr(const struct geo *s, uint64_t raw)
{
	if (s->lpa2 && s->pa == 52)
		return (raw & GENMASK(49, s->g)) | (((raw >> 8) & 3) << 50);
	if (s->lpa)
		return (raw & GENMASK(47, 16)) | (((raw >> 12) & 0xf) << 48);
	return raw & GENMASK(s->lpa2 ? 49 : 47, s->g);
}

/* The SH field a leaf carries by default: inner, absent with LPA2. */
static uint64_t sh_default(const struct geo *s)
{
	return s->lpa2 ? 0 : D_SH(3);
}

/* ---- named configurations with their expected start level -------------- */

struct preset {
	const char *name;
	struct tdp_format_config cfg;
	int start;
};

#define S4 TDP_FMT_S2_4K
#define S16 TDP_FMT_S2_16K
#define S64 TDP_FMT_S2_64K
#define F_LPA2 TDP_FEAT_S2_LPA2
#define F_SL TDP_FEAT_S2_START_LEVEL

/* Every granule, IPA shape, start level and output-address layout. */
static const struct preset presets[] = {
	{ "4k ia40", { .format = S4, .ia_bits = 40, .pa_bits = 48 }, 1 },
	{ "4k ia48", { .format = S4, .ia_bits = 48, .pa_bits = 48 }, 0 },
	{ "4k ia32 pa32", { .format = S4, .ia_bits = 32, .pa_bits = 32 }, 2 },
	{ "4k ia40 pa40", { .format = S4, .ia_bits = 40, .pa_bits = 40 }, 1 },
	{ "4k lpa2 ia52", { .format = S4, .features = F_LPA2, .ia_bits = 52,
			    .pa_bits = 52 }, 0 },
	{ "4k lpa2 ia52 L-1", { .format = S4, .features = F_LPA2 | F_SL,
				.ia_bits = 52, .pa_bits = 52,
				.start_level = -1 }, -1 },
	{ "4k lpa2 ia48 pa48", { .format = S4, .features = F_LPA2,
				 .ia_bits = 48, .pa_bits = 48 }, 0 },
	{ "16k ia40", { .format = S16, .ia_bits = 40, .pa_bits = 48 }, 2 },
	{ "16k ia48", { .format = S16, .ia_bits = 48, .pa_bits = 48 }, 1 },
	{ "16k ia36 pa36", { .format = S16, .ia_bits = 36, .pa_bits = 36 }, 2 },
	{ "16k lpa2 ia52", { .format = S16, .features = F_LPA2, .ia_bits = 52,
			     .pa_bits = 52 }, 0 },
	{ "16k lpa2 ia47", { .format = S16, .features = F_LPA2, .ia_bits = 47,
			     .pa_bits = 52 }, 1 },
	{ "64k ia42 pa44", { .format = S64, .ia_bits = 42, .pa_bits = 44 }, 2 },
	{ "64k ia46", { .format = S64, .ia_bits = 46, .pa_bits = 48 }, 2 },
	{ "64k ia48", { .format = S64, .ia_bits = 48, .pa_bits = 48 }, 1 },
	{ "64k ia52 pa52", { .format = S64, .ia_bits = 52, .pa_bits = 52 }, 1 },
	{ "64k ia33 L3", { .format = S64, .features = F_SL, .ia_bits = 33,
			   .pa_bits = 48, .start_level = 3 }, 3 },
};

/* ---- hand-built tables in a simulated pool ------------------------------ */

#define HB_LOW 0x40000000ull
/* OA[51:48] = 0b1101: both LPA2 bits 9:8 and LPA bits 15:12 non-zero. */
#define HB_HIGH 0x000d000040000000ull
#define HB_SIZE (16 * MIB)
#define HB_ROOT_BYTES MIB /* room for 16 concatenated 64K pages */

/* Fixed non-root table pages per engine level, 64K each, not in order. */
static const uint64_t hb_table_off[4] = {
	0x370000, 0x130000, 0x250000, 0x1e0000,
};

struct hb {
	struct tdp_pool *pool;
	struct tdp_mm mm;
	uint64_t base;
	struct tdp_pgt pgt;
	struct geo s;
	int root_e; /* engine level of the root */
};

static void hb_open(struct hb *h, const struct preset *p)
{
	struct tdp_format_config cfg = p->cfg;
	unsigned int i;

	memset(h, 0, sizeof(*h));
	geo_init(&h->s, &cfg, p->start);
	h->root_e = 3 - p->start;
	/* 52-bit layouts: put the tables above 2^48 to use the high bits. */
	h->base = h->s.pa == 52 ? HB_HIGH : HB_LOW;
	assert_int_equal(tdp_pool_create(HB_SIZE, h->base, &h->pool), 0);
	assert_int_equal(tdp_pool_claim(h->pool, h->base, HB_ROOT_BYTES), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(tdp_pool_claim(h->pool,
						h->base + hb_table_off[i],
						64 * KIB),
				 0);
	h->mm = tdp_pool_mm(h->pool);
	assert_int_equal(tdp_pgt_init_at(&h->pgt, &cfg, &h->mm, h->base), 0);
	assert_int_equal(h->pgt.fmt.levels, 4 - p->start);
}

static void hb_close(struct hb *h)
{
	tdp_pool_destroy(h->pool);
}

static uint64_t hb_table_pa(const struct hb *h, int e)
{
	return e == h->root_e ? h->base : h->base + hb_table_off[e];
}

/* What hb_build() wrote, and where. */
struct path {
	uint64_t entry[TDP_MAX_LEVELS];
	uint64_t entry_pa[TDP_MAX_LEVELS];
};

/*
 * Build the walk for @addr from zeroed tables: table descriptors (next
 * page | 0b11, address bits placed per the Arm ARM) from the root down to
 * engine level @stop, which holds @raw.
 */
static void hb_build(struct hb *h, uint64_t addr, int stop, uint64_t raw,
		     struct path *p)
{
	int e;

	memset(tdp_pool_phys_to_virt(h->pool, h->base, HB_ROOT_BYTES), 0,
	       HB_ROOT_BYTES);
	for (e = 0; e < 4; e++)
		memset(tdp_pool_phys_to_virt(h->pool,
					     h->base + hb_table_off[e],
					     64 * KIB),
		       0, 64 * KIB);
	memset(p, 0, sizeof(*p));
	for (e = h->root_e; e >= stop; e--) {
		uint64_t val = e == stop ? raw :
			       place_addr(&h->s, hb_table_pa(h, e - 1)) |
				       D_TABLE;
		uint64_t *slot;

		p->entry[e] = val;
		p->entry_pa[e] = hb_table_pa(h, e) +
				 8 * spec_index(&h->s, 3 - e, addr);
		slot = tdp_pool_phys_to_virt(h->pool, p->entry_pa[e], 8);
		assert_non_null(slot);
		*slot = val;
	}
}

/* ---- 1. geometry ------------------------------------------------------- */

/* Configuration families: which features and PA width go with a granule. */
struct family {
	uint32_t format;
	uint32_t features;
	uint8_t pa;
};

static const struct family families[] = {
	{ S4, 0, 48 }, { S4, F_LPA2, 52 }, { S4, F_LPA2, 48 },
	{ S16, 0, 48 }, { S16, F_LPA2, 52 }, { S16, 0, 36 },
	{ S64, 0, 48 }, { S64, 0, 52 }, { S64, 0, 42 },
};

/* Check a resolved format against the spec's geometry. */
static void check_geometry(const char *where, const struct tdp_format *fmt,
			   const struct geo *s)
{
	int levels = 4 - s->start, e;
	uint16_t leaf_levels = 0;

	EXPECT_EQ(where, fmt->levels, levels);
	EXPECT_EQ(where, fmt->entry_size, 8);
	EXPECT_EQ(where, fmt->ia_bits, s->ia);
	EXPECT_EQ(where, fmt->pa_bits, s->pa);
	EXPECT_EQ(where, fmt->canonical, 0);
	EXPECT_EQ(where, fmt->table_size, 1u << s->g);
	EXPECT_EQ(where, fmt->root_size, spec_root_bytes(s));
	EXPECT_EQ(where, fmt->root_align, spec_root_bytes(s));
	EXPECT_EQ(where, tdp_format_arch_level(fmt, levels - 1), s->start);
	EXPECT_EQ(where, tdp_format_arch_level(fmt, levels), -128);
	EXPECT_EQ(where, tdp_format_arch_level(fmt, -1), -128);
	EXPECT_EQ(where, tdp_format_level_shift(fmt, levels), -TDP_ERR_INVAL);
	for (e = 0; e < levels; e++) {
		EXPECT_EQ(where, tdp_format_arch_level(fmt, e), 3 - e);
		EXPECT_EQ(where, tdp_format_level_shift(fmt, e),
			  arm_shift(s->g, 3 - e));
		if (spec_block_ok(s->g, s->lpa2, s->pa, 3 - e))
			leaf_levels |= (uint16_t)(1u << e);
	}
	EXPECT_EQ(where, fmt->leaf_levels, leaf_levels);
}

/*
 * One configuration of a family: IPA size @ia and start level @lvl (-2:
 * no TDP_FEAT_S2_START_LEVEL, the default rule). Returns true when it
 * resolved and was checked.
 */
static bool check_geometry_case(const struct family *fam, unsigned int ia,
				int lvl)
{
	unsigned int g = granule_of(fam->format);
	bool lpa2 = fam->features & F_LPA2;
	bool wide = lpa2 || (g == 16 && fam->pa == 52);
	struct tdp_format_config cfg = {
		.format = fam->format,
		.features = fam->features,
		.pa_bits = fam->pa,
		.ia_bits = (uint8_t)ia,
	};
	unsigned char poison[sizeof(struct tdp_format)];
	struct tdp_format fmt;
	struct geo s;
	char where[96];
	int start, ret;
	bool ok;

	if (lvl == -2) {
		start = spec_default_start(g, ia, lpa2);
		ok = start != -9;
	} else {
		cfg.features |= F_SL;
		cfg.start_level = (int8_t)lvl;
		start = lvl;
		ok = spec_start_ok(g, ia, lpa2, lvl);
	}
	ok = ok && (ia <= 48 || wide);
	snprintf(where, sizeof(where), "%s feat %#x pa %u ia %u start %d",
		 tdp_format_name(fam->format), cfg.features, fam->pa, ia, lvl);
	memset(&fmt, 0xa5, sizeof(fmt));
	memset(poison, 0xa5, sizeof(poison));
	ret = tdp_format_init(&fmt, &cfg);
	if (!ok) {
		/* Rejected, and the output left alone. */
		EXPECT_EQ(where, ret, -TDP_ERR_FORMAT);
		EXPECT_EQ(where, memcmp(&fmt, poison, sizeof(fmt)), 0);
		return false;
	}
	EXPECT_EQ(where, ret, 0);
	if (ret)
		return false;
	geo_init(&s, &cfg, start);
	check_geometry(where, &fmt, &s);
	return true;
}

/*
 * Every granule, IPA size 32..52 and start level (explicit and default),
 * against the spec's rules written out above.
 */
static void test_geometry_all(void **state)
{
	unsigned int f, ia, checked = 0;
	int lvl;

	(void)state;
	for (f = 0; f < ARRAY_SIZE(families); f++)
		for (ia = 32; ia <= 52; ia++)
			for (lvl = -2; lvl <= 3; lvl++)
				checked += check_geometry_case(&families[f],
							       ia, lvl);
	/* Guard against a table that silently expects nothing to work. */
	assert_true(checked > 200);
	assert_int_equal(mismatches, 0);
}

struct known_geo {
	const char *name;
	struct tdp_format_config cfg;
	uint8_t ia, pa;
	int start;
	unsigned int root_pages;
};

/* The spec's known results, and the default widths. */
static const struct known_geo known_geos[] = {
	{ "4k 40", { .format = S4, .ia_bits = 40 }, 40, 48, 1, 2 },
	{ "4k 48", { .format = S4, .ia_bits = 48 }, 48, 48, 0, 1 },
	{ "4k 52 lpa2", { .format = S4, .features = F_LPA2, .ia_bits = 52 },
	  52, 52, 0, 16 },
	{ "16k 40", { .format = S16, .ia_bits = 40 }, 40, 48, 2, 16 },
	{ "16k 48", { .format = S16, .ia_bits = 48 }, 48, 48, 1, 2 },
	{ "64k 40", { .format = S64, .ia_bits = 40 }, 40, 48, 2, 1 },
	{ "64k 48", { .format = S64, .ia_bits = 48 }, 48, 48, 1, 1 },
	{ "4k 32", { .format = S4, .ia_bits = 32 }, 32, 48, 2, 4 },
	/* ia_bits 0: 48, or 52 with LPA2 or with 64K and pa_bits 52. */
	{ "4k defaults", { .format = S4 }, 48, 48, 0, 1 },
	{ "16k defaults", { .format = S16 }, 48, 48, 1, 2 },
	{ "64k defaults", { .format = S64 }, 48, 48, 1, 1 },
	{ "4k lpa2 defaults", { .format = S4, .features = F_LPA2 },
	  52, 52, 0, 16 },
	{ "16k lpa2 defaults", { .format = S16, .features = F_LPA2 },
	  52, 52, 0, 1 },
	{ "16k lpa2 pa48", { .format = S16, .features = F_LPA2,
			     .pa_bits = 48 }, 52, 48, 0, 1 },
	{ "64k pa52 defaults", { .format = S64, .pa_bits = 52 }, 52, 52, 1, 1 },
	{ "64k pa40", { .format = S64, .pa_bits = 40 }, 48, 40, 1, 1 },
	/* A one-level table: 64K start level 3 with 17 bits (16 pages). */
	{ "64k 33 L3", { .format = S64, .features = F_SL, .ia_bits = 33,
			 .start_level = 3 }, 33, 48, 3, 16 },
	{ "4k 52 L-1", { .format = S4, .features = F_LPA2 | F_SL,
			 .start_level = -1 }, 52, 52, -1, 1 },
	/* start_level is ignored without TDP_FEAT_S2_START_LEVEL. */
	{ "4k 40 start ignored", { .format = S4, .ia_bits = 40,
				   .start_level = 3 }, 40, 48, 1, 2 },
	/* Every other feature is accepted with every granule. */
	{ "4k all features",
	  { .format = S4, .ia_bits = 40,
	    .features = TDP_FEAT_S2_FWB | TDP_FEAT_S2_XNX | TDP_FEAT_S2_HA |
			TDP_FEAT_S2_HD }, 40, 48, 1, 2 },
	{ "64k all features",
	  { .format = S64, .ia_bits = 40,
	    .features = TDP_FEAT_S2_FWB | TDP_FEAT_S2_XNX | TDP_FEAT_S2_HA |
			TDP_FEAT_S2_HD }, 40, 48, 2, 1 },
};

static void test_geometry_known(void **state)
{
	struct tdp_pool *pool;
	struct tdp_mm mm;
	unsigned int i;

	(void)state;
	assert_int_equal(tdp_pool_create(8 * MIB, HB_LOW, &pool), 0);
	mm = tdp_pool_mm(pool);
	for (i = 0; i < ARRAY_SIZE(known_geos); i++) {
		const struct known_geo *k = &known_geos[i];
		struct tdp_format_config cfg = k->cfg;
		struct tdp_pool_stats st;
		struct tdp_format fmt;
		struct tdp_pgt pgt;
		struct geo s;
		int ret;

		ret = tdp_format_init(&fmt, &cfg);
		EXPECT_EQ(k->name, ret, 0);
		if (ret)
			continue;
		cfg.ia_bits = k->ia;
		cfg.pa_bits = k->pa;
		geo_init(&s, &cfg, k->start);
		check_geometry(k->name, &fmt, &s);
		EXPECT_EQ(k->name, fmt.root_size / fmt.table_size,
			  k->root_pages);
		/* The allocated root is one block aligned to its size. */
		ret = tdp_pgt_init(&pgt, &k->cfg, &mm);
		EXPECT_EQ(k->name, ret, 0);
		if (ret)
			continue;
		EXPECT_EQ(k->name, pgt.root_pa % spec_root_bytes(&s), 0);
		assert_int_equal(tdp_pool_get_stats(pool, &st), 0);
		EXPECT_EQ(k->name, st.tables_in_use, 1);
		EXPECT_EQ(k->name, st.bytes_in_use,
			  spec_root_bytes(&s) < 4096 ? 4096
						     : spec_root_bytes(&s));
		tdp_pgt_destroy(&pgt);
		assert_int_equal(tdp_pool_get_stats(pool, &st), 0);
		EXPECT_EQ(k->name, st.tables_in_use, 0);
	}
	tdp_pool_destroy(pool);
	assert_int_equal(mismatches, 0);
}

struct bad_cfg {
	const char *name;
	struct tdp_format_config cfg;
	int err;
};

static const struct bad_cfg bad_cfgs[] = {
	{ "4k ia40 start 2", { .format = S4, .features = F_SL, .ia_bits = 40,
			       .start_level = 2 }, -TDP_ERR_FORMAT },
	{ "4k ia32 start 0", { .format = S4, .features = F_SL, .ia_bits = 32,
			       .start_level = 0 }, -TDP_ERR_FORMAT },
	{ "4k ia48 start 2", { .format = S4, .features = F_SL, .ia_bits = 48,
			       .start_level = 2 }, -TDP_ERR_FORMAT },
	{ "16k L0 without lpa2", { .format = S16, .features = F_SL,
				   .ia_bits = 48, .start_level = 0 },
	  -TDP_ERR_FORMAT },
	{ "4k -1 without lpa2", { .format = S4, .features = F_SL,
				  .ia_bits = 48, .start_level = -1 },
	  -TDP_ERR_FORMAT },
	{ "16k -1 with lpa2", { .format = S16, .features = F_SL | F_LPA2,
				.ia_bits = 52, .start_level = -1 },
	  -TDP_ERR_FORMAT },
	{ "start 4", { .format = S64, .features = F_SL, .ia_bits = 33,
		       .start_level = 4 }, -TDP_ERR_FORMAT },
	{ "start -2", { .format = S4, .features = F_SL | F_LPA2,
			.ia_bits = 52, .start_level = -2 }, -TDP_ERR_FORMAT },
	{ "lpa2 with 64k", { .format = S64, .features = F_LPA2 },
	  -TDP_ERR_FORMAT },
	{ "lpa2 with 64k pa52", { .format = S64, .features = F_LPA2,
				  .pa_bits = 52 }, -TDP_ERR_FORMAT },
	{ "4k ia49", { .format = S4, .ia_bits = 49 }, -TDP_ERR_FORMAT },
	{ "16k ia52", { .format = S16, .ia_bits = 52 }, -TDP_ERR_FORMAT },
	{ "64k ia49 pa48", { .format = S64, .ia_bits = 49, .pa_bits = 48 },
	  -TDP_ERR_FORMAT },
	{ "ia31", { .format = S64, .ia_bits = 31 }, -TDP_ERR_FORMAT },
	{ "ia53", { .format = S4, .features = F_LPA2, .ia_bits = 53 },
	  -TDP_ERR_FORMAT },
	{ "pa50", { .format = S4, .pa_bits = 50 }, -TDP_ERR_FORMAT },
	{ "64k pa50", { .format = S64, .pa_bits = 50 }, -TDP_ERR_FORMAT },
	{ "4k lpa2 pa50", { .format = S4, .features = F_LPA2, .pa_bits = 50 },
	  -TDP_ERR_FORMAT },
	{ "16k lpa2 pa46", { .format = S16, .features = F_LPA2,
			     .pa_bits = 46 }, -TDP_ERR_FORMAT },
	{ "64k pa33", { .format = S64, .ia_bits = 40, .pa_bits = 33 },
	  -TDP_ERR_FORMAT },
	{ "pa30", { .format = S4, .pa_bits = 30 }, -TDP_ERR_FORMAT },
	{ "pa47", { .format = S16, .pa_bits = 47 }, -TDP_ERR_FORMAT },
	{ "pa56", { .format = S64, .pa_bits = 56 }, -TDP_ERR_FORMAT },
	{ "4k pa52 without lpa2", { .format = S4, .pa_bits = 52 },
	  -TDP_ERR_FORMAT },
	{ "16k pa52 without lpa2", { .format = S16, .pa_bits = 52 },
	  -TDP_ERR_FORMAT },
	{ "x86 EPT_AD", { .format = S4, .features = TDP_FEAT_EPT_AD },
	  -TDP_ERR_FORMAT },
	{ "x86 NO_1G", { .format = S16, .features = TDP_FEAT_NO_1G },
	  -TDP_ERR_FORMAT },
	{ "x86 NO_NX", { .format = S64, .features = TDP_FEAT_NO_NX },
	  -TDP_ERR_FORMAT },
	{ "x86 PSE", { .format = S4, .features = TDP_FEAT_PSE },
	  -TDP_ERR_FORMAT },
	{ "x86 EXEC_ONLY", { .format = S4,
			     .features = TDP_FEAT_EPT_EXEC_ONLY },
	  -TDP_ERR_FORMAT },
	{ "unknown feature", { .format = S4, .features = 1u << 30 },
	  -TDP_ERR_INVAL },
	{ "reserved0", { .format = S4, .reserved0 = 1 }, -TDP_ERR_INVAL },
};

static void test_geometry_bad(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_cfgs); i++) {
		struct tdp_format fmt, poison;

		memset(&fmt, 0x5a, sizeof(fmt));
		memset(&poison, 0x5a, sizeof(poison));
		EXPECT_EQ(bad_cfgs[i].name,
			  tdp_format_init(&fmt, &bad_cfgs[i].cfg),
			  bad_cfgs[i].err);
		EXPECT_EQ(bad_cfgs[i].name,
			  memcmp(&fmt, &poison, sizeof(fmt)), 0);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- 2. descriptors ----------------------------------------------------- */

/* Configurations for descriptor cases, by short name. */
#define C_4K { .format = S4, .ia_bits = 40, .pa_bits = 48 }
#define C_4K48 { .format = S4, .ia_bits = 48, .pa_bits = 48 }
#define C_4K40 { .format = S4, .ia_bits = 40, .pa_bits = 40 }
#define C_4KFWB { .format = S4, .ia_bits = 40, .pa_bits = 48,               \
		  .features = TDP_FEAT_S2_FWB }
#define C_4KXNX { .format = S4, .ia_bits = 40, .pa_bits = 48,               \
		  .features = TDP_FEAT_S2_XNX }
#define C_4KLPA2 { .format = S4, .ia_bits = 52, .pa_bits = 52,              \
		   .features = F_LPA2 }
#define C_4KLPA2_48 { .format = S4, .ia_bits = 52, .pa_bits = 48,           \
		      .features = F_LPA2 }
#define C_4KLPA2_M1 { .format = S4, .ia_bits = 52, .pa_bits = 52,           \
		      .features = F_LPA2 | F_SL, .start_level = -1 }
#define C_16K { .format = S16, .ia_bits = 48, .pa_bits = 48 }
#define C_16KLPA2 { .format = S16, .ia_bits = 52, .pa_bits = 52,            \
		    .features = F_LPA2 }
#define C_64K { .format = S64, .ia_bits = 48, .pa_bits = 48 }
#define C_64K52 { .format = S64, .ia_bits = 52, .pa_bits = 52 }

/* Attribute shorthands. */
#define A_RWX_AF { .perms = RWX, .flags = TDP_ATTR_ACCESSED }
#define A_RW_AF { .perms = TDP_PERM_R | TDP_PERM_W,                        \
		  .flags = TDP_ATTR_ACCESSED }

struct enc_case {
	const char *name;
	struct tdp_format_config cfg;
	int level; /* engine level */
	uint64_t pa;
	struct tdp_attrs attrs;
	int ret;
	uint64_t raw;
};

/* Block at 0x200000 with 4K, 2 MiB: the base for one-field changes. */
#define B2M (0x200000ull | D_BLOCK)

static const struct enc_case enc_cases[] = {
	/* The spec's known encodings (4K, no FWB). */
	{ "1G RWX", C_4K, 2, 0x80000000, A_RWX_AF, 0, 0x800007fd },
	{ "1G RW", C_4K, 2, 0x80000000, A_RW_AF, 0, 0x00400000800007fd },
	{ "1G R", C_4K, 2, 0x80000000,
	  { .perms = TDP_PERM_R, .flags = TDP_ATTR_ACCESSED }, 0,
	  0x004000008000077d },
	{ "4K page RWX", C_4K, 0, 0x80200000, A_RWX_AF, 0, 0x802007ff },
	{ "2M dev nGnRE", C_4K, 1, 0x09000000,
	  { .perms = TDP_PERM_R | TDP_PERM_W, .flags = TDP_ATTR_ACCESSED,
	    .memtype = TDP_MT_DEV_NGNRE }, 0, 0x00400000090007c5 },
	{ "2M normal NC", C_4K, 1, 0x09000000,
	  { .perms = TDP_PERM_R | TDP_PERM_W, .flags = TDP_ATTR_ACCESSED,
	    .memtype = TDP_MT_NC }, 0, 0x00400000090007d5 },
	{ "FWB 1G RWX", C_4KFWB, 2, 0x80000000, A_RWX_AF, 0, 0x800007d9 },
	/* Pages and blocks of every granule (Normal WB, RWX, AF, SH 11). */
	{ "4K 2M block", C_4K, 1, 0x80200000, A_RWX_AF, 0, 0x802007fd },
	{ "4K ia48 512G block", C_4K48, 3, 0x8000000000, A_RWX_AF,
	  -TDP_ERR_NOTSUP, 0 },
	{ "16K page", C_16K, 0, 0x80204000, A_RWX_AF, 0, 0x802047ff },
	{ "16K 32M block", C_16K, 1, 0x82000000, A_RWX_AF, 0, 0x820007fd },
	{ "16K 64G without lpa2", C_16K, 2, 0x1000000000, A_RWX_AF,
	  -TDP_ERR_NOTSUP, 0 },
	{ "64K page", C_64K, 0, 0x80210000, A_RWX_AF, 0, 0x802107ff },
	{ "64K 512M block", C_64K, 1, 0xa0000000, A_RWX_AF, 0, 0xa00007fd },
	{ "64K 4T with pa48", C_64K, 2, 0x40000000000, A_RWX_AF,
	  -TDP_ERR_NOTSUP, 0 },
	/* LPA2: OA[49:g] in place, OA[51:50] in bits 9:8, no SH field. */
	{ "lpa2 4K 512G at 0x9008000000000", C_4KLPA2, 3, 0x9008000000000ull,
	  A_RWX_AF, 0, 0x00010080000006fdull },
	{ "lpa2 4K 1G", C_4KLPA2, 2, 0xc000040000000ull, A_RWX_AF, 0,
	  0x00000000400007fdull },
	{ "lpa2 4K page", C_4KLPA2, 0, 0xc000000003000ull, A_RWX_AF, 0,
	  0x00000000000037ffull },
	{ "lpa2 4K page bit 49", C_4KLPA2, 0, 0x2000000005000ull, A_RWX_AF,
	  0, 0x00020000000054ffull },
	{ "lpa2 16K 64G", C_16KLPA2, 2, 0x6001000000000ull, A_RWX_AF, 0,
	  0x00020010000005fdull },
	{ "lpa2 16K 32M", C_16KLPA2, 1, 0x4000002000000ull, A_RWX_AF, 0,
	  0x00000000020005fdull },
	{ "lpa2 16K L0 block", C_16KLPA2, 3, 0, A_RWX_AF, -TDP_ERR_NOTSUP, 0 },
	{ "lpa2 4K L-1 block", C_4KLPA2_M1, 4, 0, A_RWX_AF, -TDP_ERR_NOTSUP,
	  0 },
	{ "lpa2 pa48 page", C_4KLPA2_48, 0, 0xfffffffff000ull, A_RWX_AF, 0,
	  0x0000fffffffff4ffull },
	{ "lpa2 pa48 beyond", C_4KLPA2_48, 0, 0x1000000000000ull, A_RWX_AF,
	  -TDP_ERR_RANGE, 0 },
	{ "lpa2 shareability none", C_4KLPA2, 0, 0x1000,
	  { .perms = RWX, .shareability = TDP_SH_NONE }, -TDP_ERR_NOTSUP, 0 },
	{ "lpa2 shareability outer", C_4KLPA2, 0, 0x1000,
	  { .perms = RWX, .shareability = TDP_SH_OUTER }, -TDP_ERR_NOTSUP, 0 },
	{ "lpa2 shareability inner", C_4KLPA2, 0, 0x1000,
	  { .perms = RWX, .shareability = TDP_SH_INNER }, -TDP_ERR_NOTSUP, 0 },
	/* 64K with a 52-bit PA: OA[51:48] in bits 15:12. */
	{ "lpa 64K 4T", C_64K52, 2, 0xa040000000000ull, A_RWX_AF, 0,
	  0x000004000000a7fdull },
	{ "lpa 64K page", C_64K52, 0, 0xf000012340000ull, A_RWX_AF, 0,
	  0x000000001234f7ffull },
	{ "lpa 64K 512M", C_64K52, 1, 0x50000e0000000ull, A_RWX_AF, 0,
	  0x00000000e00057fdull },
	/* MemAttr without FWB. */
	{ "mt WB", C_4K, 1, 0x200000, { .memtype = TDP_MT_WB }, 0,
	  B2M | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1 },
	{ "mt NC", C_4K, 1, 0x200000, { .memtype = TDP_MT_NC }, 0,
	  B2M | D_MEMATTR(MA_NC) | D_SH(3) | D_XN1 },
	{ "mt WT", C_4K, 1, 0x200000, { .memtype = TDP_MT_WT }, 0,
	  B2M | D_MEMATTR(MA_WT) | D_SH(3) | D_XN1 },
	{ "mt nGnRnE", C_4K, 1, 0x200000, { .memtype = TDP_MT_DEV_NGNRNE }, 0,
	  B2M | D_MEMATTR(MA_DEV_NGNRNE) | D_SH(3) | D_XN1 },
	{ "mt nGnRE", C_4K, 1, 0x200000, { .memtype = TDP_MT_DEV_NGNRE }, 0,
	  B2M | D_MEMATTR(MA_DEV_NGNRE) | D_SH(3) | D_XN1 },
	{ "mt nGRE", C_4K, 1, 0x200000, { .memtype = TDP_MT_DEV_NGRE }, 0,
	  B2M | D_MEMATTR(MA_DEV_NGRE) | D_SH(3) | D_XN1 },
	{ "mt GRE", C_4K, 1, 0x200000, { .memtype = TDP_MT_DEV_GRE }, 0,
	  B2M | D_MEMATTR(MA_DEV_GRE) | D_SH(3) | D_XN1 },
	{ "mt UC", C_4K, 1, 0x200000, { .memtype = TDP_MT_UC },
	  -TDP_ERR_NOTSUP, 0 },
	{ "mt WC", C_4K, 1, 0x200000, { .memtype = TDP_MT_WC },
	  -TDP_ERR_NOTSUP, 0 },
	{ "mt WP", C_4K, 1, 0x200000, { .memtype = TDP_MT_WP },
	  -TDP_ERR_NOTSUP, 0 },
	{ "mt UC-", C_4K, 1, 0x200000, { .memtype = TDP_MT_UC_MINUS },
	  -TDP_ERR_NOTSUP, 0 },
	{ "mt 11", C_4K, 1, 0x200000, { .memtype = 11 }, -TDP_ERR_INVAL, 0 },
	/* MemAttr with FWB. */
	{ "fwb WB", C_4KFWB, 1, 0x200000, { .memtype = TDP_MT_WB }, 0,
	  B2M | D_MEMATTR(MA_FWB_WB) | D_SH(3) | D_XN1 },
	{ "fwb NC", C_4KFWB, 1, 0x200000, { .memtype = TDP_MT_NC }, 0,
	  B2M | D_MEMATTR(MA_FWB_NC) | D_SH(3) | D_XN1 },
	{ "fwb WT", C_4KFWB, 1, 0x200000, { .memtype = TDP_MT_WT },
	  -TDP_ERR_NOTSUP, 0 },
	{ "fwb nGnRnE", C_4KFWB, 1, 0x200000,
	  { .memtype = TDP_MT_DEV_NGNRNE }, 0,
	  B2M | D_MEMATTR(MA_DEV_NGNRNE) | D_SH(3) | D_XN1 },
	{ "fwb nGnRE", C_4KFWB, 1, 0x200000, { .memtype = TDP_MT_DEV_NGNRE },
	  0, B2M | D_MEMATTR(MA_DEV_NGNRE) | D_SH(3) | D_XN1 },
	{ "fwb nGRE", C_4KFWB, 1, 0x200000, { .memtype = TDP_MT_DEV_NGRE },
	  0, B2M | D_MEMATTR(MA_DEV_NGRE) | D_SH(3) | D_XN1 },
	{ "fwb GRE", C_4KFWB, 1, 0x200000, { .memtype = TDP_MT_DEV_GRE }, 0,
	  B2M | D_MEMATTR(MA_DEV_GRE) | D_SH(3) | D_XN1 },
	{ "fwb UC", C_4KFWB, 1, 0x200000, { .memtype = TDP_MT_UC },
	  -TDP_ERR_NOTSUP, 0 },
	/* S2AP. */
	{ "S2AP none", C_4K, 1, 0x200000, { .perms = XX }, 0,
	  B2M | D_MEMATTR(MA_WB) | D_SH(3) },
	{ "S2AP R", C_4K, 1, 0x200000, { .perms = TDP_PERM_R | XX }, 0,
	  B2M | D_MEMATTR(MA_WB) | D_SH(3) | D_R },
	{ "S2AP W", C_4K, 1, 0x200000, { .perms = TDP_PERM_W | XX }, 0,
	  B2M | D_MEMATTR(MA_WB) | D_SH(3) | D_W },
	{ "S2AP RW", C_4K, 1, 0x200000, { .perms = RWX }, 0,
	  B2M | D_MEMATTR(MA_WB) | D_SH(3) | D_R | D_W },
	/* SH. */
	{ "SH default", C_4K, 1, 0x200000,
	  { .perms = XX, .shareability = TDP_SH_DEFAULT }, 0,
	  B2M | D_MEMATTR(MA_WB) | D_SH(3) },
	{ "SH none", C_4K, 1, 0x200000,
	  { .perms = XX, .shareability = TDP_SH_NONE }, 0,
	  B2M | D_MEMATTR(MA_WB) | D_SH(0) },
	{ "SH outer", C_4K, 1, 0x200000,
	  { .perms = XX, .shareability = TDP_SH_OUTER }, 0,
	  B2M | D_MEMATTR(MA_WB) | D_SH(2) },
	{ "SH inner", C_4K, 1, 0x200000,
	  { .perms = XX, .shareability = TDP_SH_INNER }, 0,
	  B2M | D_MEMATTR(MA_WB) | D_SH(3) },
	{ "SH 4", C_4K, 1, 0x200000, { .perms = XX, .shareability = 4 },
	  -TDP_ERR_INVAL, 0 },
	/* AF, DBM, contiguous, software bits. */
	{ "AF", C_4K, 0, 0x5000, { .perms = XX, .flags = TDP_ATTR_ACCESSED },
	  0, 0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_AF },
	{ "DBM", C_4K, 0, 0x5000, { .perms = XX, .flags = TDP_ATTR_DBM }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_DBM },
	{ "contiguous", C_4K, 0, 0x5000,
	  { .perms = XX, .flags = TDP_ATTR_CONTIGUOUS }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_CONT },
	{ "sw 1", C_4K, 0, 0x5000, { .perms = XX, .sw = 1 }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_SW(1) },
	{ "sw 5", C_4K, 0, 0x5000, { .perms = XX, .sw = 5 }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_SW(5) },
	{ "sw 15", C_4K, 0, 0x5000, { .perms = XX, .sw = 15 }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | BIT(55) | BIT(56) |
	  BIT(57) | BIT(58) },
	{ "everything", C_4K, 1, 0x7fffffe00000ull,
	  { .perms = RWX, .flags = TDP_ATTR_ACCESSED | TDP_ATTR_DBM |
				   TDP_ATTR_CONTIGUOUS,
	    .memtype = TDP_MT_DEV_GRE, .shareability = TDP_SH_OUTER,
	    .sw = 9 }, 0,
	  0x7fffffe00000ull | D_BLOCK | D_MEMATTR(MA_DEV_GRE) | D_R | D_W |
	  D_SH(2) | D_AF | D_DBM | D_CONT | D_SW(9) },
	/* XN without FEAT_XNX: only bit 54, X and XU together. */
	{ "xn X|XU", C_4K, 0, 0x5000, { .perms = XX }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(0) },
	{ "xn none", C_4K, 0, 0x5000, { .perms = 0 }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(2) },
	{ "xn X only", C_4K, 0, 0x5000, { .perms = TDP_PERM_X },
	  -TDP_ERR_NOTSUP, 0 },
	{ "xn XU only", C_4K, 0, 0x5000, { .perms = TDP_PERM_XU },
	  -TDP_ERR_NOTSUP, 0 },
	/* XN with FEAT_XNX: 00 both, 01 EL0 only, 10 none, 11 EL1 only. */
	{ "xnx X|XU", C_4KXNX, 0, 0x5000, { .perms = XX }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(0) },
	{ "xnx XU", C_4KXNX, 0, 0x5000, { .perms = TDP_PERM_XU }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(1) },
	{ "xnx none", C_4KXNX, 0, 0x5000, { .perms = 0 }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(2) },
	{ "xnx X", C_4KXNX, 0, 0x5000, { .perms = TDP_PERM_X }, 0,
	  0x5000 | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(3) },
	/* What stage 2 cannot express. */
	{ "PERM_U", C_4K, 0, 0x5000, { .perms = XX | TDP_PERM_U },
	  -TDP_ERR_NOTSUP, 0 },
	{ "pkey", C_4K, 0, 0x5000, { .perms = XX, .pkey = 1 },
	  -TDP_ERR_NOTSUP, 0 },
	{ "subpage_write", C_4K, 0, 0x5000,
	  { .perms = XX, .subpage_write = 1 }, -TDP_ERR_NOTSUP, 0 },
	{ "GLOBAL", C_4K, 0, 0x5000, { .perms = XX, .flags = TDP_ATTR_GLOBAL },
	  -TDP_ERR_NOTSUP, 0 },
	{ "IGNORE_PAT", C_4K, 0, 0x5000,
	  { .perms = XX, .flags = TDP_ATTR_IGNORE_PAT }, -TDP_ERR_NOTSUP, 0 },
	{ "SUPPRESS_VE", C_4K, 0, 0x5000,
	  { .perms = XX, .flags = TDP_ATTR_SUPPRESS_VE }, -TDP_ERR_NOTSUP, 0 },
	{ "SPP", C_4K, 0, 0x5000, { .perms = XX, .flags = TDP_ATTR_SPP },
	  -TDP_ERR_NOTSUP, 0 },
	{ "PAT_INDEX", C_4K, 0, 0x5000,
	  { .perms = XX, .flags = TDP_ATTR_PAT_INDEX }, -TDP_ERR_NOTSUP, 0 },
	{ "VGP", C_4K, 0, 0x5000,
	  { .perms = XX, .flags = TDP_ATTR_VERIFY_GUEST_PAGING },
	  -TDP_ERR_NOTSUP, 0 },
	{ "PW", C_4K, 0, 0x5000,
	  { .perms = XX, .flags = TDP_ATTR_PAGING_WRITE }, -TDP_ERR_NOTSUP,
	  0 },
	{ "SSS", C_4K, 0, 0x5000,
	  { .perms = XX, .flags = TDP_ATTR_SUPERVISOR_SHADOW_STACK },
	  -TDP_ERR_NOTSUP, 0 },
	/* Argument errors. */
	{ "misaligned 2M", C_4K, 1, 0x201000, A_RWX_AF, -TDP_ERR_ALIGN, 0 },
	{ "misaligned 16K page", C_16K, 0, 0x2000, A_RWX_AF, -TDP_ERR_ALIGN,
	  0 },
	{ "misaligned 64K page", C_64K, 0, 0x8000, A_RWX_AF, -TDP_ERR_ALIGN,
	  0 },
	{ "pa at 2^48", C_4K, 0, 1ull << 48, A_RWX_AF, -TDP_ERR_RANGE, 0 },
	{ "pa at 2^40, pa40", C_4K40, 0, 1ull << 40, A_RWX_AF,
	  -TDP_ERR_RANGE, 0 },
	{ "pa below 2^40, pa40", C_4K40, 0, (1ull << 40) - 4096, A_RWX_AF, 0,
	  0xfffffff000ull | D_PAGE | LO_RW_WB },
	{ "level out of range", C_4K, 3, 0, A_RWX_AF, -TDP_ERR_INVAL, 0 },
	{ "unknown perm", C_4K, 0, 0x5000, { .perms = 1u << 5 },
	  -TDP_ERR_INVAL, 0 },
	{ "unknown flag", C_4K, 0, 0x5000, { .flags = 1u << 20 },
	  -TDP_ERR_INVAL, 0 },
};

static void init_fmt(struct tdp_format *fmt,
		     const struct tdp_format_config *cfg)
{
	assert_int_equal(tdp_format_init(fmt, cfg), 0);
}

static void test_encode(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(enc_cases); i++) {
		const struct enc_case *c = &enc_cases[i];
		struct tdp_format fmt;
		uint64_t raw = POISON;
		int ret;

		init_fmt(&fmt, &c->cfg);
		ret = tdp_entry_encode_leaf(&fmt, c->level, c->pa, &c->attrs,
					    &raw);
		EXPECT_EQ(c->name, ret, c->ret);
		EXPECT_EQ(c->name, raw, c->ret ? POISON : c->raw);
	}
	/* Software bits are 4 wide: 16 does not fit. */
	{
		struct tdp_format fmt;
		struct tdp_attrs a = { .perms = XX, .sw = 16 };
		uint64_t raw = POISON;
		const struct tdp_format_config cfg = C_4K;

		init_fmt(&fmt, &cfg);
		assert_true(tdp_entry_encode_leaf(&fmt, 0, 0x5000, &a, &raw) <
			    0);
		assert_int_equal(raw, POISON);
		assert_int_equal(tdp_entry_encode_leaf(NULL, 0, 0, &a, &raw),
				 -TDP_ERR_INVAL);
		assert_int_equal(tdp_entry_encode_leaf(&fmt, 0, 0, NULL, &raw),
				 -TDP_ERR_INVAL);
		assert_int_equal(tdp_entry_encode_leaf(&fmt, 0, 0, &a, NULL),
				 -TDP_ERR_INVAL);
		assert_int_equal(tdp_entry_encode_leaf(&fmt, -1, 0, &a, &raw),
				 -TDP_ERR_INVAL);
	}
	assert_int_equal(mismatches, 0);
}

struct dec_case {
	const char *name;
	struct tdp_format_config cfg;
	int level;
	uint64_t raw;
	int ret;
	uint64_t pa;
	struct tdp_attrs attrs;
};

#define P5 (0x5000ull | D_PAGE)
#define SH_IN TDP_SH_INNER

static const struct dec_case dec_cases[] = {
	/* The known encodings decode back. */
	{ "1G RWX", C_4K, 2, 0x800007fd, 0, 0x80000000,
	  { .perms = RWX, .flags = TDP_ATTR_ACCESSED, .shareability = SH_IN } },
	{ "1G RW", C_4K, 2, 0x00400000800007fd, 0, 0x80000000,
	  { .perms = TDP_PERM_R | TDP_PERM_W, .flags = TDP_ATTR_ACCESSED,
	    .shareability = SH_IN } },
	{ "1G R", C_4K, 2, 0x004000008000077d, 0, 0x80000000,
	  { .perms = TDP_PERM_R, .flags = TDP_ATTR_ACCESSED,
	    .shareability = SH_IN } },
	{ "page RWX", C_4K, 0, 0x802007ff, 0, 0x80200000,
	  { .perms = RWX, .flags = TDP_ATTR_ACCESSED, .shareability = SH_IN } },
	{ "2M nGnRE", C_4K, 1, 0x00400000090007c5, 0, 0x09000000,
	  { .perms = TDP_PERM_R | TDP_PERM_W, .flags = TDP_ATTR_ACCESSED,
	    .memtype = TDP_MT_DEV_NGNRE, .shareability = SH_IN } },
	{ "2M NC", C_4K, 1, 0x00400000090007d5, 0, 0x09000000,
	  { .perms = TDP_PERM_R | TDP_PERM_W, .flags = TDP_ATTR_ACCESSED,
	    .memtype = TDP_MT_NC, .shareability = SH_IN } },
	{ "fwb 1G", C_4KFWB, 2, 0x800007d9, 0, 0x80000000,
	  { .perms = RWX, .flags = TDP_ATTR_ACCESSED, .shareability = SH_IN } },
	/* MemAttr. */
	{ "ma WB", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_WB, .shareability = SH_IN } },
	{ "ma NC", C_4K, 0, P5 | D_MEMATTR(MA_NC) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_NC, .shareability = SH_IN } },
	{ "ma WT", C_4K, 0, P5 | D_MEMATTR(MA_WT) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_WT, .shareability = SH_IN } },
	{ "ma nGnRnE", C_4K, 0, P5 | D_MEMATTR(0) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_DEV_NGNRNE, .shareability = SH_IN } },
	{ "ma nGnRE", C_4K, 0, P5 | D_MEMATTR(1) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_DEV_NGNRE, .shareability = SH_IN } },
	{ "ma nGRE", C_4K, 0, P5 | D_MEMATTR(2) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_DEV_NGRE, .shareability = SH_IN } },
	{ "ma GRE", C_4K, 0, P5 | D_MEMATTR(3) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_DEV_GRE, .shareability = SH_IN } },
	{ "fwb ma WB", C_4KFWB, 0, P5 | D_MEMATTR(MA_FWB_WB) | D_SH(3) | D_XN1,
	  0, 0x5000, { .memtype = TDP_MT_WB, .shareability = SH_IN } },
	{ "fwb ma NC", C_4KFWB, 0, P5 | D_MEMATTR(MA_FWB_NC) | D_SH(3) | D_XN1,
	  0, 0x5000, { .memtype = TDP_MT_NC, .shareability = SH_IN } },
	{ "fwb ma nGnRnE", C_4KFWB, 0, P5 | D_MEMATTR(0) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_DEV_NGNRNE, .shareability = SH_IN } },
	{ "fwb ma nGnRE", C_4KFWB, 0, P5 | D_MEMATTR(1) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_DEV_NGNRE, .shareability = SH_IN } },
	{ "fwb ma nGRE", C_4KFWB, 0, P5 | D_MEMATTR(2) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_DEV_NGRE, .shareability = SH_IN } },
	{ "fwb ma GRE", C_4KFWB, 0, P5 | D_MEMATTR(3) | D_SH(3) | D_XN1, 0,
	  0x5000, { .memtype = TDP_MT_DEV_GRE, .shareability = SH_IN } },
	/* SH. */
	{ "sh 00", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(0) | D_XN1, 0, 0x5000,
	  { .shareability = TDP_SH_NONE } },
	{ "sh 10", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(2) | D_XN1, 0, 0x5000,
	  { .shareability = TDP_SH_OUTER } },
	{ "sh 11", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1, 0, 0x5000,
	  { .shareability = TDP_SH_INNER } },
	/* S2AP and XN without XNX (bit 53 is not an XN bit then). */
	{ "R", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_R | D_XN1, 0,
	  0x5000, { .perms = TDP_PERM_R, .shareability = SH_IN } },
	{ "W", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_W | D_XN1, 0,
	  0x5000, { .perms = TDP_PERM_W, .shareability = SH_IN } },
	{ "xn 00", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3), 0, 0x5000,
	  { .perms = XX, .shareability = SH_IN } },
	{ "xn 01 no xnx", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(1),
	  0, 0x5000, { .perms = XX, .shareability = SH_IN } },
	{ "xn 11 no xnx", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(3),
	  0, 0x5000, { .shareability = SH_IN } },
	{ "xnx 00", C_4KXNX, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(0), 0,
	  0x5000, { .perms = XX, .shareability = SH_IN } },
	{ "xnx 01", C_4KXNX, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(1), 0,
	  0x5000, { .perms = TDP_PERM_XU, .shareability = SH_IN } },
	{ "xnx 10", C_4KXNX, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(2), 0,
	  0x5000, { .perms = 0, .shareability = SH_IN } },
	{ "xnx 11", C_4KXNX, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN(3), 0,
	  0x5000, { .perms = TDP_PERM_X, .shareability = SH_IN } },
	/* AF, DBM (dirty when writable), contiguous, software bits. */
	{ "AF", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1 | D_AF, 0,
	  0x5000, { .flags = TDP_ATTR_ACCESSED, .shareability = SH_IN } },
	{ "DBM clean", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1 |
	  D_R | D_DBM, 0, 0x5000,
	  { .perms = TDP_PERM_R, .flags = TDP_ATTR_DBM,
	    .shareability = SH_IN } },
	{ "DBM dirty", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1 |
	  D_R | D_W | D_DBM, 0, 0x5000,
	  { .perms = TDP_PERM_R | TDP_PERM_W,
	    .flags = TDP_ATTR_DBM | TDP_ATTR_DIRTY, .shareability = SH_IN } },
	{ "W without DBM", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1 |
	  D_W, 0, 0x5000, { .perms = TDP_PERM_W, .shareability = SH_IN } },
	{ "contiguous", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1 |
	  D_CONT, 0, 0x5000,
	  { .flags = TDP_ATTR_CONTIGUOUS, .shareability = SH_IN } },
	{ "sw 0xf", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1 |
	  D_SW(0xf), 0, 0x5000, { .sw = 0xf, .shareability = SH_IN } },
	{ "sw 0x6", C_4K, 0, P5 | D_MEMATTR(MA_WB) | D_SH(3) | D_XN1 |
	  D_SW(0x6), 0, 0x5000, { .sw = 0x6, .shareability = SH_IN } },
	/* LPA2: bits 9:8 are OA[51:50], no shareability in the entry. */
	{ "lpa2 page", C_4KLPA2, 0, 0x00020000000054ffull, 0,
	  0x2000000005000ull, { .perms = RWX, .flags = TDP_ATTR_ACCESSED } },
	{ "lpa2 page 51:50", C_4KLPA2, 0, 0x00010000000057ffull, 0,
	  0xd000000005000ull, { .perms = RWX, .flags = TDP_ATTR_ACCESSED } },
	{ "lpa2 512G", C_4KLPA2, 3, 0x00010080000006fdull, 0,
	  0x9008000000000ull, { .perms = RWX, .flags = TDP_ATTR_ACCESSED } },
	{ "lpa2 16K 64G", C_16KLPA2, 2, 0x00020010000005fdull, 0,
	  0x6001000000000ull, { .perms = RWX, .flags = TDP_ATTR_ACCESSED } },
	/* 64K LPA: bits 15:12 are OA[51:48]. */
	{ "lpa 64K page", C_64K52, 0, 0x000000001234f7ffull, 0,
	  0xf000012340000ull,
	  { .perms = RWX, .flags = TDP_ATTR_ACCESSED, .shareability = SH_IN } },
	{ "lpa 64K 4T", C_64K52, 2, 0x000004000000a7fdull, 0,
	  0xa040000000000ull,
	  { .perms = RWX, .flags = TDP_ATTR_ACCESSED, .shareability = SH_IN } },
	/* Not valid leaves. */
	{ "zero", C_4K, 0, 0, -TDP_ERR_NOENT, 0, { 0 } },
	{ "01 at level 3", C_4K, 0, 0x5001 | LO_RW_WB, -TDP_ERR_NOENT, 0,
	  { 0 } },
	{ "table", C_4K, 1, 0x5003, -TDP_ERR_NOENT, 0, { 0 } },
	{ "block at L0", C_4K48, 3, 0x8000000001 | LO_RW_WB, -TDP_ERR_NOENT,
	  0, { 0 } },
	{ "beyond pa", C_4K40, 0, (1ull << 40) | D_PAGE | LO_RW_WB,
	  -TDP_ERR_NOENT, 0, { 0 } },
};

static void test_decode(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(dec_cases); i++) {
		const struct dec_case *c = &dec_cases[i];
		struct tdp_format fmt;
		struct tdp_attrs a;
		uint64_t pa = POISON;
		int ret;

		init_fmt(&fmt, &c->cfg);
		memset(&a, 0x5a, sizeof(a));
		ret = tdp_entry_decode_leaf(&fmt, c->level, c->raw, &pa, &a);
		EXPECT_EQ(c->name, ret, c->ret);
		if (c->ret) {
			EXPECT_EQ(c->name, pa, POISON);
			continue;
		}
		EXPECT_EQ(c->name, pa, c->pa);
		EXPECT_EQ(c->name, a.perms, c->attrs.perms);
		EXPECT_EQ(c->name, a.flags, c->attrs.flags);
		EXPECT_EQ(c->name, a.memtype, c->attrs.memtype);
		EXPECT_EQ(c->name, a.shareability, c->attrs.shareability);
		EXPECT_EQ(c->name, a.sw, c->attrs.sw);
		EXPECT_EQ(c->name, a.pkey, 0);
		EXPECT_EQ(c->name, a.subpage_write, 0);
		/* The NULL outputs are optional. */
		EXPECT_EQ(c->name, tdp_entry_decode_leaf(&fmt, c->level, c->raw,
							 NULL, NULL),
			  0);
	}
	assert_int_equal(mismatches, 0);
}

struct kind_case {
	const char *name;
	struct tdp_format_config cfg;
	int level;
	uint64_t raw;
	int kind;
};

static const struct kind_case kind_cases[] = {
	/* Level 3 (engine 0): 11 page, 01 / 10 / 00 invalid. */
	{ "L3 00", C_4K, 0, 0x5000 | LO_RW_WB, TDP_ENTRY_INVALID },
	{ "L3 01", C_4K, 0, 0x5001 | LO_RW_WB, TDP_ENTRY_INVALID },
	{ "L3 10", C_4K, 0, 0x5002 | LO_RW_WB, TDP_ENTRY_INVALID },
	{ "L3 11", C_4K, 0, 0x5003 | LO_RW_WB, TDP_ENTRY_LEAF },
	/* Levels < 3: 11 table, 01 block where allowed. */
	{ "L2 11", C_4K, 1, 0x5003, TDP_ENTRY_TABLE },
	{ "L2 01", C_4K, 1, 0x200001 | LO_RW_WB, TDP_ENTRY_LEAF },
	{ "L2 10", C_4K, 1, 0x5002, TDP_ENTRY_INVALID },
	{ "L1 01 4K", C_4K, 2, 0x40000001 | LO_RW_WB, TDP_ENTRY_LEAF },
	{ "L1 11 4K", C_4K, 2, 0x5003, TDP_ENTRY_TABLE },
	{ "L0 01 4K", C_4K48, 3, 0x8000000001 | LO_RW_WB, TDP_ENTRY_RESERVED },
	{ "L0 11 4K", C_4K48, 3, 0x5003, TDP_ENTRY_TABLE },
	{ "L0 01 4K lpa2", C_4KLPA2, 3, 0x8000000001 | D_AF, TDP_ENTRY_LEAF },
	{ "L-1 01 4K lpa2", C_4KLPA2_M1, 4, 0x1 | D_AF, TDP_ENTRY_RESERVED },
	{ "L-1 11 4K lpa2", C_4KLPA2_M1, 4, 0x5003, TDP_ENTRY_TABLE },
	{ "L1 01 16K", C_16K, 2, 0x1000000001 | LO_RW_WB, TDP_ENTRY_RESERVED },
	{ "L1 01 16K lpa2", C_16KLPA2, 2, 0x1000000001 | D_AF,
	  TDP_ENTRY_LEAF },
	{ "L0 01 16K lpa2", C_16KLPA2, 3, 0x1 | D_AF, TDP_ENTRY_RESERVED },
	{ "L2 01 16K", C_16K, 1, 0x2000001 | LO_RW_WB, TDP_ENTRY_LEAF },
	{ "L1 01 64K pa48", C_64K, 2, 0x40000000001 | LO_RW_WB,
	  TDP_ENTRY_RESERVED },
	{ "L1 01 64K pa52", C_64K52, 2, 0x40000000001 | LO_RW_WB,
	  TDP_ENTRY_LEAF },
	{ "L2 01 64K", C_64K, 1, 0x20000001 | LO_RW_WB, TDP_ENTRY_LEAF },
	/* Address bits at or above pa_bits. */
	{ "pa40 page bit 40", C_4K40, 0, (1ull << 40) | D_PAGE | LO_RW_WB,
	  TDP_ENTRY_RESERVED },
	{ "pa40 page bit 47", C_4K40, 0, (1ull << 47) | D_PAGE | LO_RW_WB,
	  TDP_ENTRY_RESERVED },
	{ "pa40 page bit 39", C_4K40, 0, (1ull << 39) | D_PAGE | LO_RW_WB,
	  TDP_ENTRY_LEAF },
	{ "pa40 table bit 40", C_4K40, 1, (1ull << 40) | D_TABLE,
	  TDP_ENTRY_RESERVED },
	{ "pa40 block bit 45", C_4K40, 2, (1ull << 45) | D_BLOCK | LO_RW_WB,
	  TDP_ENTRY_RESERVED },
	{ "lpa2 pa48 page bits 9:8", C_4KLPA2_48, 0, 0x5003 | D_SH(1) | D_AF,
	  TDP_ENTRY_RESERVED },
	{ "lpa2 pa48 page bit 48", C_4KLPA2_48, 0, BIT(48) | 0x5003 | D_AF,
	  TDP_ENTRY_RESERVED },
	{ "lpa2 pa48 page bit 49", C_4KLPA2_48, 0, BIT(49) | 0x5003 | D_AF,
	  TDP_ENTRY_RESERVED },
	{ "lpa2 pa48 table bit 9", C_4KLPA2_48, 1, 0x5003 | D_SH(2),
	  TDP_ENTRY_RESERVED },
	{ "lpa2 pa48 page ok", C_4KLPA2_48, 0, 0x5003 | D_AF,
	  TDP_ENTRY_LEAF },
	{ "lpa2 pa52 page bits 49:48, 9:8", C_4KLPA2, 0,
	  BIT(49) | BIT(48) | 0x5003 | D_SH(3) | D_AF, TDP_ENTRY_LEAF },
	{ "lpa2 pa52 table bits 9:8", C_4KLPA2, 1, 0x5003 | D_SH(3),
	  TDP_ENTRY_TABLE },
	{ "lpa 64K table 15:12", C_64K52, 1, 0x1234f003ull, TDP_ENTRY_TABLE },
};

static void test_classify(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kind_cases); i++) {
		const struct kind_case *c = &kind_cases[i];
		struct tdp_format fmt;

		init_fmt(&fmt, &c->cfg);
		EXPECT_EQ(c->name, tdp_entry_classify(&fmt, c->level, c->raw),
			  c->kind);
	}
	{
		struct tdp_format fmt;
		const struct tdp_format_config cfg = C_4K;

		init_fmt(&fmt, &cfg);
		assert_int_equal(tdp_entry_classify(&fmt, 3, 0),
				 -TDP_ERR_INVAL);
		assert_int_equal(tdp_entry_classify(NULL, 0, 0),
				 -TDP_ERR_INVAL);
	}
	assert_int_equal(mismatches, 0);
}

/*
 * An output address for a leaf of @span below 2^pa with the top bits of
 * the PA set, so 52-bit layouts exercise every high field.
 */
static uint64_t test_oa(const struct geo *s, uint64_t span)
{
	uint64_t oa = (1ull << (s->pa - 1)) | (1ull << (s->pa - 4)) | span;

	return oa & ~(span - 1);
}

/* An input address inside the leaf's span, with a non-zero offset. */
static uint64_t test_ia(const struct geo *s, uint64_t span)
{
	return (1ull << (s->ia - 1)) | span | (span >> 1) | 0x18;
}

/*
 * Every page and block size of every preset through a hand-built table:
 * the encoder, decoder and classifier agree with the hand-written entry,
 * and lookups and translations find the output address, the size and the
 * attributes through the table descriptors written by hand.
 */
static void test_lookup_leaves(void **state)
{
	unsigned int i;
	int e, k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(presets); i++) {
		struct hb h;

		hb_open(&h, &presets[i]);
		for (e = 0; e <= h.root_e; e++) {
			const struct geo *s = &h.s;
			uint64_t span = span_of(s, 3 - e);
			uint64_t oa = test_oa(s, span), ia = test_ia(s, span);
			uint64_t raw = place_addr(s, oa) |
				       (e ? D_BLOCK : D_PAGE) |
				       D_MEMATTR(MA_WB) | D_R | D_W |
				       sh_default(s) | D_AF | D_SW(0xa);
			struct tdp_attrs want = {
				.perms = RWX,
				.flags = TDP_ATTR_ACCESSED,
				.shareability = s->lpa2 ? 0 : TDP_SH_INNER,
				.sw = 0xa,
			};
			struct tdp_attrs enc_attrs = want;
			struct tdp_lookup res;
			struct path p;
			uint64_t enc = POISON, out = POISON;
			char where[96];
			int ret;

			if (!spec_block_ok(s->g, s->lpa2, s->pa, 3 - e))
				continue;
			snprintf(where, sizeof(where), "%s leaf at L%d",
				 presets[i].name, 3 - e);
			assert_true(oa < (1ull << s->pa) || s->pa == 64);
			assert_true(ia < (1ull << s->ia));
			enc_attrs.shareability = 0;
			ret = tdp_entry_encode_leaf(&h.pgt.fmt, e, oa,
						    &enc_attrs, &enc);
			EXPECT_EQ(where, ret, 0);
			EXPECT_EQ(where, enc, raw);
			EXPECT_EQ(where, tdp_entry_classify(&h.pgt.fmt, e, raw),
				  TDP_ENTRY_LEAF);

			hb_build(&h, ia, e, raw, &p);
			ret = tdp_lookup(&h.pgt, ia, &res);
			EXPECT_EQ(where, ret, 0);
			EXPECT_EQ(where, res.addr, ia);
			EXPECT_EQ(where, res.out_addr, oa | (ia & (span - 1)));
			EXPECT_EQ(where, res.page_size, span);
			EXPECT_EQ(where, res.fault, TDP_FAULT_NONE);
			EXPECT_EQ(where, res.root_level, h.root_e);
			EXPECT_EQ(where, res.last_level, e);
			for (k = h.root_e; k >= e; k--) {
				EXPECT_EQ(where, res.entry[k], p.entry[k]);
				EXPECT_EQ(where, res.entry_pa[k],
					  p.entry_pa[k]);
			}
			EXPECT_EQ(where, res.perms, RWX);
			EXPECT_EQ(where, res.attrs.perms, want.perms);
			EXPECT_EQ(where, res.attrs.flags, want.flags);
			EXPECT_EQ(where, res.attrs.memtype, TDP_MT_WB);
			EXPECT_EQ(where, res.attrs.shareability,
				  want.shareability);
			EXPECT_EQ(where, res.attrs.sw, want.sw);
			ret = tdp_translate(&h.pgt, ia,
					    TDP_ACCESS_READ | TDP_ACCESS_WRITE |
						    TDP_ACCESS_EXEC,
					    &out, NULL);
			EXPECT_EQ(where, ret, 0);
			EXPECT_EQ(where, out, oa | (ia & (span - 1)));
		}
		hb_close(&h);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- 3. faults --------------------------------------------------------- */

static void expect_fault(const char *where, struct hb *h, uint64_t ia,
			 uint32_t fault, int e, uint32_t detail)
{
	struct tdp_lookup res;
	uint32_t tf = 0xdead;

	EXPECT_EQ(where, tdp_lookup(&h->pgt, ia, &res), -TDP_ERR_FAULT);
	EXPECT_EQ(where, res.fault, fault);
	EXPECT_EQ(where, res.fault_level, e);
	EXPECT_EQ(where, res.last_level, e);
	EXPECT_EQ(where, res.fault_detail, detail);
	if (e >= 0)
		EXPECT_EQ(where,
			  tdp_format_arch_level(&h->pgt.fmt, res.fault_level),
			  3 - e);
	EXPECT_EQ(where, tdp_translate(&h->pgt, ia, TDP_ACCESS_READ, NULL,
				       &tf),
		  -TDP_ERR_FAULT);
	EXPECT_EQ(where, tf, fault);
}

/*
 * Translation faults (invalid entry at each level, 0b01 at level 3, a
 * block where none may be, an input address beyond ia_bits) and
 * address-size faults (a table or output address at or above pa_bits at
 * each level), with their levels.
 */
static void test_lookup_faults(void **state)
{
	unsigned int i;
	int e;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(presets); i++) {
		struct hb h;
		const struct geo *s;
		char where[128];
		struct path p;

		hb_open(&h, &presets[i]);
		s = &h.s;
		for (e = 0; e <= h.root_e; e++) {
			int lvl = 3 - e;
			uint64_t span = span_of(s, lvl);
			uint64_t ia = test_ia(s, span);
			uint64_t lo = (e ? D_BLOCK : D_PAGE) |
				      D_MEMATTR(MA_WB) | D_R | D_W |
				      sh_default(s) | D_AF;
			bool block = spec_block_ok(s->g, s->lpa2, s->pa, lvl);

			snprintf(where, sizeof(where), "%s L%d invalid",
				 presets[i].name, lvl);
			hb_build(&h, ia, e, 0, &p);
			expect_fault(where, &h, ia, TDP_FAULT_NOT_PRESENT, e,
				     TDP_DETAIL_NONE);
			/* bit 0 clear, bit 1 set: still invalid. */
			snprintf(where, sizeof(where), "%s L%d 0b10",
				 presets[i].name, lvl);
			hb_build(&h, ia, e, place_addr(s, test_oa(s, span)) |
						    0x2 | LO_RW_WB,
				 &p);
			expect_fault(where, &h, ia, TDP_FAULT_NOT_PRESENT, e,
				     TDP_DETAIL_NONE);
			if (e == 0) {
				snprintf(where, sizeof(where), "%s L3 0b01",
					 presets[i].name);
				hb_build(&h, ia, 0,
					 place_addr(s, test_oa(s, span)) |
						 D_BLOCK | LO_RW_WB,
					 &p);
				expect_fault(where, &h, ia,
					     TDP_FAULT_NOT_PRESENT, 0,
					     TDP_DETAIL_NONE);
			}
			if (e && !block) {
				snprintf(where, sizeof(where),
					 "%s block at L%d", presets[i].name,
					 lvl);
				hb_build(&h, ia, e,
					 place_addr(s, test_oa(s, span)) | lo,
					 &p);
				expect_fault(where, &h, ia,
					     TDP_FAULT_NOT_PRESENT, e,
					     TDP_DETAIL_LEAF_LEVEL);
			}
			/* Address-size faults need a PA narrower than the
			 * descriptor's address field. */
			if (s->pa < (s->lpa2 ? 50u : 48u)) {
				uint64_t beyond = 1ull << s->pa;

				if (e) {
					snprintf(where, sizeof(where),
						 "%s table at 2^%u at L%d",
						 presets[i].name, s->pa, lvl);
					hb_build(&h, ia, e, beyond | D_TABLE,
						 &p);
					expect_fault(where, &h, ia,
						     TDP_FAULT_ADDRESS_SIZE, e,
						     TDP_DETAIL_PA_WIDTH);
					snprintf(where, sizeof(where),
						 "%s table top bit at L%d",
						 presets[i].name, lvl);
					hb_build(&h, ia, e,
						 BIT(s->lpa2 ? 49 : 47) |
							 D_TABLE,
						 &p);
					expect_fault(where, &h, ia,
						     TDP_FAULT_ADDRESS_SIZE, e,
						     TDP_DETAIL_PA_WIDTH);
				}
				if (block && beyond >= span) {
					snprintf(where, sizeof(where),
						 "%s leaf at 2^%u at L%d",
						 presets[i].name, s->pa, lvl);
					hb_build(&h, ia, e, beyond | lo, &p);
					expect_fault(where, &h, ia,
						     TDP_FAULT_ADDRESS_SIZE, e,
						     TDP_DETAIL_PA_WIDTH);
				}
			}
			/* LPA2 with a smaller PS: bits 9:8 are OA[51:50]. */
			if (s->lpa2 && s->pa < 52) {
				if (e) {
					snprintf(where, sizeof(where),
						 "%s table bit 8 at L%d",
						 presets[i].name, lvl);
					uint64_t t0 = h.base + hb_table_off[0];

					hb_build(&h, ia, e,
						 place_addr(s, t0) | D_TABLE |
							 BIT(8),
						 &p);
					expect_fault(where, &h, ia,
						     TDP_FAULT_ADDRESS_SIZE, e,
						     TDP_DETAIL_PA_WIDTH);
				}
				if (block) {
					snprintf(where, sizeof(where),
						 "%s leaf bit 9 at L%d",
						 presets[i].name, lvl);
					hb_build(&h, ia, e,
						 place_addr(s,
							    test_oa(s, span)) |
							 lo | BIT(9),
						 &p);
					expect_fault(where, &h, ia,
						     TDP_FAULT_ADDRESS_SIZE, e,
						     TDP_DETAIL_PA_WIDTH);
				}
			}
		}
		/*
		 * An IPA beyond ia_bits: the Arm ARM's AArch64.S2Translate()
		 * gives a Translation fault (level 0) before any descriptor
		 * is read, so no entry level: -1.
		 */
		snprintf(where, sizeof(where), "%s ia 2^%u", presets[i].name,
			 s->ia);
		expect_fault(where, &h, 1ull << s->ia, TDP_FAULT_NOT_PRESENT,
			     -1, TDP_DETAIL_NONE);
		snprintf(where, sizeof(where), "%s ia ~0", presets[i].name);
		expect_fault(where, &h, ~0ull, TDP_FAULT_NOT_PRESENT, -1,
			     TDP_DETAIL_NONE);
		hb_close(&h);
	}
	assert_int_equal(mismatches, 0);
}

struct perm_case {
	uint64_t bits;   /* S2AP, XN and AF of the page */
	uint32_t access;
	uint32_t fault;
};

#define A_R TDP_ACCESS_READ
#define A_W TDP_ACCESS_WRITE
#define A_X TDP_ACCESS_EXEC
#define A_U TDP_ACCESS_USER
#define F_OK TDP_FAULT_NONE
#define F_PERM TDP_FAULT_PERMISSION
#define F_AF TDP_FAULT_ACCESS_FLAG

/* Without XNX: bit 54 governs EL1 and EL0 execution alike. */
static const struct perm_case perm_plain[] = {
	{ D_R | D_AF, A_R, F_OK },
	{ D_R | D_AF, A_W, F_PERM },
	{ D_R | D_AF, A_X, F_OK },
	{ D_R | D_AF, A_X | A_U, F_OK },
	{ D_W | D_AF, A_R, F_PERM },
	{ D_W | D_AF, A_W, F_OK },
	{ D_R | D_W | D_XN1 | D_AF, A_X, F_PERM },
	{ D_R | D_W | D_XN1 | D_AF, A_X | A_U, F_PERM },
	{ D_R | D_W | D_XN1 | D_AF, A_R | A_W, F_OK },
	{ D_AF, A_R, F_PERM },
	{ D_AF, 0, F_OK },
	/* XN[0] alone is not an XN bit without FEAT_XNX. */
	{ D_R | D_XN(1) | D_AF, A_X, F_OK },
	{ D_R | D_XN(1) | D_AF, A_X | A_U, F_OK },
	/* AF = 0 faults before permissions are looked at. */
	{ D_R | D_W, A_R, F_AF },
	{ D_R | D_W, A_W, F_AF },
	{ 0, A_W, F_AF },
	{ D_R | D_W | D_XN1, A_X, F_AF },
};

/* With XNX: 00 both, 01 EL0 only, 10 none, 11 EL1 only. */
static const struct perm_case perm_xnx[] = {
	{ D_R | D_XN(0) | D_AF, A_X, F_OK },
	{ D_R | D_XN(0) | D_AF, A_X | A_U, F_OK },
	{ D_R | D_XN(1) | D_AF, A_X, F_PERM },
	{ D_R | D_XN(1) | D_AF, A_X | A_U, F_OK },
	{ D_R | D_XN(2) | D_AF, A_X, F_PERM },
	{ D_R | D_XN(2) | D_AF, A_X | A_U, F_PERM },
	{ D_R | D_XN(3) | D_AF, A_X, F_OK },
	{ D_R | D_XN(3) | D_AF, A_X | A_U, F_PERM },
	/* USER changes nothing for data accesses. */
	{ D_R | D_XN(2) | D_AF, A_R | A_U, F_OK },
	{ D_R | D_XN(2) | D_AF, A_W | A_U, F_PERM },
};

/* With hardware AF updates, AF = 0 never faults. */
static const struct perm_case perm_ha[] = {
	{ D_R | D_W, A_R, F_OK },
	{ D_R | D_W, A_W, F_OK },
	{ D_R, A_W, F_PERM },
	{ D_R | D_XN1, A_X, F_PERM },
	{ D_R | D_AF, A_R, F_OK },
};

static void check_perms(const char *name, uint32_t features,
			const struct perm_case *cases, unsigned int n)
{
	const struct preset p = {
		name,
		{ .format = S4, .ia_bits = 40, .pa_bits = 48,
		  .features = features },
		1,
	};
	const uint64_t ia = 0x12345678ull, oa = 0x876543000ull;
	unsigned int i;
	struct hb h;

	hb_open(&h, &p);
	for (i = 0; i < n; i++) {
		const struct perm_case *c = &cases[i];
		uint64_t out = POISON;
		uint32_t fault = 0xdead;
		struct path path;
		char where[96];
		int ret;

		snprintf(where, sizeof(where),
			 "%s bits %#llx access %#x", name,
			 (unsigned long long)c->bits, c->access);
		hb_build(&h, ia, 0, oa | D_PAGE | D_MEMATTR(MA_WB) | D_SH(3) |
					     c->bits,
			 &path);
		ret = tdp_translate(&h.pgt, ia, c->access, &out, &fault);
		EXPECT_EQ(where, ret, c->fault ? -TDP_ERR_FAULT : 0);
		EXPECT_EQ(where, fault, c->fault);
		EXPECT_EQ(where, out, c->fault ? POISON : oa | 0x678);
	}
	hb_close(&h);
}

static void test_permissions(void **state)
{
	(void)state;
	check_perms("plain", 0, perm_plain, ARRAY_SIZE(perm_plain));
	check_perms("xnx", TDP_FEAT_S2_XNX, perm_xnx, ARRAY_SIZE(perm_xnx));
	check_perms("ha", TDP_FEAT_S2_HA, perm_ha, ARRAY_SIZE(perm_ha));
	assert_int_equal(mismatches, 0);
}

/* ---- 4. map, unmap, protect, aging -------------------------------------- */

#define MAP_BASE 0x40000000ull
#define MAP_SIZE (64 * MIB)

/* Map tests: every granule, concatenated roots, both 52-bit layouts. */
static const struct preset map_presets[] = {
	{ "s2-4k ia40", { .format = S4, .ia_bits = 40, .pa_bits = 48 }, 1 },
	{ "s2-16k ia40", { .format = S16, .ia_bits = 40, .pa_bits = 48 }, 2 },
	{ "s2-64k ia46", { .format = S64, .ia_bits = 46, .pa_bits = 48 }, 2 },
	{ "s2-64k ia42", { .format = S64, .ia_bits = 42, .pa_bits = 48 }, 2 },
	{ "s2-4k lpa2 ia52", { .format = S4, .features = F_LPA2,
			       .ia_bits = 52, .pa_bits = 52 }, 0 },
	{ "s2-16k lpa2 ia47", { .format = S16, .features = F_LPA2,
				.ia_bits = 47, .pa_bits = 52 }, 1 },
	{ "s2-64k pa52", { .format = S64, .ia_bits = 52, .pa_bits = 52 }, 1 },
};

struct menv {
	struct tdp_pool *pool;
	struct tdp_mm mm;
	struct tdp_pgt pgt;
	struct geo s;
	int root_e;
	uint64_t page;
};

static void menv_open(struct menv *m, const struct preset *p,
		      uint32_t extra_features)
{
	struct tdp_format_config cfg = p->cfg;
	uint64_t base;

	memset(m, 0, sizeof(*m));
	cfg.features |= extra_features;
	geo_init(&m->s, &cfg, p->start);
	m->root_e = 3 - p->start;
	m->page = 1ull << m->s.g;
	/* 52-bit layouts: tables above 2^48 use the high address fields. */
	base = m->s.pa == 52 ? HB_HIGH : MAP_BASE;
	assert_int_equal(tdp_pool_create(MAP_SIZE, base, &m->pool), 0);
	m->mm = tdp_pool_mm(m->pool);
	assert_int_equal(tdp_pgt_init(&m->pgt, &cfg, &m->mm), 0);
	assert_int_equal(m->pgt.fmt.levels, 4 - p->start);
}

static uint64_t tables_in_use(const struct menv *m)
{
	struct tdp_pool_stats st;

	assert_int_equal(tdp_pool_get_stats(m->pool, &st), 0);
	return st.tables_in_use;
}

static void menv_close(struct menv *m)
{
	tdp_pgt_destroy(&m->pgt);
	assert_int_equal(tables_in_use(m), 0);
	tdp_pool_destroy(m->pool);
}

/* The raw entry currently mapping @ia at engine level @e, via lookup. */
static uint64_t raw_at(const struct menv *m, uint64_t ia, int *level)
{
	struct tdp_lookup res;

	assert_int_equal(tdp_lookup(&m->pgt, ia, &res), 0);
	if (level)
		*level = res.last_level;
	return res.entry[res.last_level];
}

static uint64_t read_pa(const struct menv *m, uint64_t pa)
{
	uint64_t v, *p = tdp_pool_phys_to_virt(m->pool, pa, 8);

	assert_non_null(p);
	memcpy(&v, p, 8);
	return v;
}

/*
 * The table descriptors of a lookup path must be "next table | 0b11" with
 * the address placed per the Arm ARM: the next entry's page.
 */
static void check_table_path(const char *where, const struct menv *m,
			     const struct tdp_lookup *res)
{
	int k;

	for (k = res->root_level; k > res->last_level; k--) {
		uint64_t next = res->entry_pa[k - 1] & ~(m->page - 1);

		EXPECT_EQ(where, res->entry[k],
			  place_addr(&m->s, next) | D_TABLE);
	}
	EXPECT_EQ(where, res->entry_pa[res->root_level],
		  m->pgt.root_pa +
			  8 * spec_index(&m->s, m->s.start, res->addr));
}

/* The highest block level at or below the root. */
static int top_leaf_e(const struct geo *s, int root_e)
{
	int e;

	for (e = root_e; e > 0; e--)
		if (spec_block_ok(s->g, s->lpa2, s->pa, 3 - e))
			return e;
	return 0;
}

/*
 * Map a range made of one leaf of every size, largest first, and check
 * that each got the largest leaf alignment allows, with the hand-computed
 * entry and table descriptors; then unmap everything.
 */
static void test_map_leaf_sizes(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(map_presets); i++) {
		struct tdp_attrs attrs = A_RWX_AF;
		struct menv m;
		uint64_t a, pa, size = 0, off;
		int top, e;

		menv_open(&m, &map_presets[i], 0);
		top = top_leaf_e(&m.s, m.root_e);
		a = span_of(&m.s, 3 - top);
		pa = test_oa(&m.s, a);
		for (e = top; e >= 0; e--)
			if (spec_block_ok(m.s.g, m.s.lpa2, m.s.pa, 3 - e))
				size += span_of(&m.s, 3 - e);
		assert_int_equal(tdp_map(&m.pgt, a, size, pa, &attrs, 0, NULL),
				 0);
		off = 0;
		for (e = top; e >= 0; e--) {
			uint64_t span = span_of(&m.s, 3 - e);
			struct tdp_lookup res;
			char where[96];

			if (!spec_block_ok(m.s.g, m.s.lpa2, m.s.pa, 3 - e))
				continue;
			snprintf(where, sizeof(where), "%s L%d",
				 map_presets[i].name, 3 - e);
			EXPECT_EQ(where, tdp_lookup(&m.pgt, a + off, &res), 0);
			EXPECT_EQ(where, res.last_level, e);
			EXPECT_EQ(where, res.page_size, span);
			EXPECT_EQ(where, res.out_addr, pa + off);
			EXPECT_EQ(where, res.entry[e],
				  place_addr(&m.s, pa + off) |
					  (e ? D_BLOCK : D_PAGE) |
					  D_MEMATTR(MA_WB) | D_R | D_W |
					  sh_default(&m.s) | D_AF);
			check_table_path(where, &m, &res);
			/* The last byte of the leaf, and the one after. */
			EXPECT_EQ(where,
				  tdp_lookup(&m.pgt, a + off + span - 1, &res),
				  0);
			EXPECT_EQ(where, res.out_addr, pa + off + span - 1);
			off += span;
		}
		{
			struct tdp_lookup res;

			assert_int_equal(tdp_lookup(&m.pgt, a + size, &res),
					 -TDP_ERR_FAULT);
			assert_int_equal(res.fault, TDP_FAULT_NOT_PRESENT);
			assert_int_equal(tdp_lookup(&m.pgt, a - 1, &res),
					 -TDP_ERR_FAULT);
		}
		/* One table per level below the root: the leaves share the
		 * path down to the page. */
		EXPECT_EQ(map_presets[i].name, tables_in_use(&m),
			  1 + (uint64_t)m.root_e);
		/* Mapping again fails and changes nothing. */
		EXPECT_EQ(map_presets[i].name,
			  tdp_map(&m.pgt, a + size - m.page, m.page, 0, &attrs,
				  0, NULL),
			  -TDP_ERR_EXIST);
		assert_int_equal(tdp_unmap(&m.pgt, a, size, 0, NULL), 0);
		EXPECT_EQ(map_presets[i].name, tables_in_use(&m), 1);
		menv_close(&m);
	}
	assert_int_equal(mismatches, 0);
}

/*
 * Concatenated roots: mappings across the boundary between root pages,
 * at the very top of the input space, and beyond it.
 */
static void test_map_concat_root(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(map_presets); i++) {
		struct tdp_attrs attrs = A_RW_AF;
		struct menv m;
		uint64_t boundary, top, addr, root_bytes, blk;
		unsigned int n;
		char where[96];

		menv_open(&m, &map_presets[i], 0);
		root_bytes = spec_root_bytes(&m.s);
		/* One root page resolves b index bits. */
		boundary = 1ull << (arm_shift(m.s.g, m.s.start) + m.s.b);
		top = 1ull << m.s.ia;
		snprintf(where, sizeof(where), "%s", map_presets[i].name);
		if (root_bytes > m.page) {
			/* Four pages, two on each side of the boundary. */
			assert_int_equal(tdp_map(&m.pgt, boundary - 2 * m.page,
						 4 * m.page, 0x10000000,
						 &attrs, 0, NULL),
					 0);
			for (n = 0; n < 4; n++) {
				struct tdp_lookup res;

				addr = boundary - 2 * m.page + n * m.page;
				EXPECT_EQ(where, tdp_lookup(&m.pgt, addr, &res),
					  0);
				EXPECT_EQ(where, res.out_addr,
					  0x10000000 + n * m.page);
				EXPECT_EQ(where, res.entry_pa[m.root_e],
					  m.pgt.root_pa + (n < 2 ? m.page - 8
								  : m.page));
				check_table_path(where, &m, &res);
			}
		}
		/* The top page and the top block of the input space. */
		blk = span_of(&m.s, 2);
		assert_int_equal(tdp_map(&m.pgt, top - m.page, m.page,
					 0x20000000, &attrs, 0, NULL),
				 0);
		assert_int_equal(tdp_map(&m.pgt, top - 2 * blk, blk,
					 0x40000000ull & ~(blk - 1), &attrs, 0,
					 NULL),
				 0);
		{
			struct tdp_lookup res;

			EXPECT_EQ(where, tdp_lookup(&m.pgt, top - 1, &res), 0);
			EXPECT_EQ(where, res.out_addr,
				  0x20000000 + m.page - 1);
			/* The last entry of the root, which may be smaller
			 * than the page it is allocated in. */
			EXPECT_EQ(where, res.entry_pa[m.root_e],
				  m.pgt.root_pa +
					  (8ull << (m.s.ia -
						    arm_shift(m.s.g,
							      m.s.start))) -
					  8);
			EXPECT_EQ(where,
				  tdp_lookup(&m.pgt, top - 2 * blk, &res), 0);
			EXPECT_EQ(where, res.page_size, blk);
			check_table_path(where, &m, &res);
		}
		/* Beyond the input space: nothing changes. */
		EXPECT_EQ(where, tdp_map(&m.pgt, top, m.page, 0, &attrs, 0,
					 NULL),
			  -TDP_ERR_RANGE);
		EXPECT_EQ(where, tdp_map(&m.pgt, top - m.page, 2 * m.page, 0,
					 &attrs, TDP_OP_REPLACE, NULL),
			  -TDP_ERR_RANGE);
		EXPECT_EQ(where, tdp_unmap(&m.pgt, top - m.page, 2 * m.page, 0,
					   NULL),
			  -TDP_ERR_RANGE);
		EXPECT_EQ(where, raw_at(&m, top - m.page, NULL) & 3, D_PAGE);
		/* Output beyond pa_bits. */
		EXPECT_EQ(where, tdp_map(&m.pgt, 0, m.page,
					 1ull << m.s.pa, &attrs, 0, NULL),
			  -TDP_ERR_RANGE);
		/* Misalignment to the granule. */
		if (m.page > 4096) {
			EXPECT_EQ(where, tdp_map(&m.pgt, 4096, m.page, 0,
						 &attrs, 0, NULL),
				  -TDP_ERR_ALIGN);
			EXPECT_EQ(where, tdp_map(&m.pgt, 0, m.page, 4096,
						 &attrs, 0, NULL),
				  -TDP_ERR_ALIGN);
			EXPECT_EQ(where, tdp_unmap(&m.pgt, 0, 4096, 0, NULL),
				  -TDP_ERR_ALIGN);
		}
		assert_int_equal(tdp_unmap(&m.pgt, 0, top, 0, NULL), 0);
		EXPECT_EQ(where, tables_in_use(&m), 1);
		menv_close(&m);
	}
	assert_int_equal(mismatches, 0);
}

/*
 * TLB hooks that record every call, the watched entry at that time, and
 * what a lookup of the probe address finds then.
 */
struct tlb_call {
	int kind; /* 0 flush_addr, 1 flush_range, 2 flush_all */
	uint64_t addr;
	uint64_t size;
	int level;
	uint64_t watched;
	uint32_t probe_fault;
};

struct tlb_log {
	const struct menv *m;
	uint64_t watch_pa;
	uint64_t probe;
	unsigned int n;
	struct tlb_call call[16];
};

static void log_call(struct tlb_log *l, int kind, uint64_t addr,
		     uint64_t size, int level)
{
	if (l->n < ARRAY_SIZE(l->call)) {
		struct tlb_call *c = &l->call[l->n];
		struct tdp_lookup res;

		c->kind = kind;
		c->addr = addr;
		c->size = size;
		c->level = level;
		c->watched = l->watch_pa ? read_pa(l->m, l->watch_pa) : 0;
		tdp_lookup(&l->m->pgt, l->probe, &res);
		c->probe_fault = res.fault;
	}
	l->n++;
}

static void hook_addr(void *ctx, uint64_t addr, int level)
{
	log_call(ctx, 0, addr, 0, level);
}

static void hook_range(void *ctx, uint64_t addr, uint64_t size)
{
	log_call(ctx, 1, addr, size, -1);
}

static void hook_all(void *ctx)
{
	log_call(ctx, 2, 0, 0, -1);
}

static const struct tdp_tlb_ops tlb_hooks = {
	.flush_addr = hook_addr,
	.flush_range = hook_range,
	.flush_all = hook_all,
};

static void log_reset(struct tlb_log *l, uint64_t watch_pa, uint64_t probe)
{
	l->watch_pa = watch_pa;
	l->probe = probe;
	l->n = 0;
}

/* The first recorded call must be the break-before-make invalidation. */
static void expect_bbm(const char *where, const struct tlb_log *l, int kind,
		       uint64_t addr, uint64_t size, int level)
{
	EXPECT_EQ(where, l->n >= 1, 1);
	if (!l->n)
		return;
	EXPECT_EQ(where, l->call[0].kind, kind);
	EXPECT_EQ(where, l->call[0].addr, addr);
	if (kind == 0)
		EXPECT_EQ(where, l->call[0].level, level);
	else
		EXPECT_EQ(where, l->call[0].size, size);
	/* Inside the hook the old entry must already read as 0. */
	EXPECT_EQ(where, l->call[0].watched, 0);
	EXPECT_EQ(where, l->call[0].probe_fault, TDP_FAULT_NOT_PRESENT);
}

/*
 * Break-before-make on every block level of every granule: splitting a
 * block by a partial unmap and replacing a table by a block each
 * invalidate the entry (reading 0 meanwhile) before the new value is
 * written; the rest of the block stays mapped. A permission change is made
 * in place and invalidated after.
 */
static void test_bbm(void **state)
{
	unsigned int i;
	int e;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(map_presets); i++) {
		struct menv m;

		menv_open(&m, &map_presets[i], 0);
		for (e = 1; e <= m.root_e; e++) {
			uint64_t span = span_of(&m.s, 3 - e);
			uint64_t a = span, pa = test_oa(&m.s, span);
			uint64_t lo = D_MEMATTR(MA_WB) | D_R | D_W |
				      sh_default(&m.s) | D_AF | D_SW(3);
			struct tdp_attrs attrs = A_RWX_AF;
			struct tlb_log log = { .m = &m };
			struct tdp_lookup res;
			uint64_t entry_pa, mapped, block;
			char where[96];
			int lvl;

			if (!spec_block_ok(m.s.g, m.s.lpa2, m.s.pa, 3 - e))
				continue;
			snprintf(where, sizeof(where), "%s block L%d",
				 map_presets[i].name, 3 - e);
			attrs.sw = 3;
			assert_int_equal(tdp_map(&m.pgt, a, span, pa, &attrs,
						 0, NULL),
					 0);
			/* The block and the tables above it. */
			mapped = tables_in_use(&m);
			EXPECT_EQ(where, mapped, 1 + (uint64_t)(m.root_e - e));
			assert_int_equal(tdp_lookup(&m.pgt, a, &res), 0);
			EXPECT_EQ(where, res.last_level, e);
			entry_pa = res.entry_pa[e];
			block = place_addr(&m.s, pa) | D_BLOCK | lo;
			EXPECT_EQ(where, read_pa(&m, entry_pa), block);
			assert_int_equal(tdp_pgt_set_tlb(&m.pgt, &tlb_hooks,
							 &log),
					 0);

			/* Split by unmapping the second page. */
			log_reset(&log, entry_pa, a);
			EXPECT_EQ(where, tdp_unmap(&m.pgt, a + m.page, m.page,
						   0, NULL),
				  0);
			expect_bbm(where, &log, 0, a, 0, e);
			EXPECT_EQ(where, read_pa(&m, entry_pa) & 3, D_TABLE);
			/* One new table per level below the block. */
			EXPECT_EQ(where, tables_in_use(&m),
				  mapped + (uint64_t)e);
			EXPECT_EQ(where, raw_at(&m, a, &lvl),
				  place_addr(&m.s, pa) | D_PAGE | lo);
			EXPECT_EQ(where, lvl, 0);
			EXPECT_EQ(where, tdp_lookup(&m.pgt, a + m.page, &res),
				  -TDP_ERR_FAULT);
			EXPECT_EQ(where, res.fault_level, 0);
			EXPECT_EQ(where, raw_at(&m, a + 2 * m.page, &lvl),
				  place_addr(&m.s, pa + 2 * m.page) | D_PAGE |
					  lo);
			assert_int_equal(tdp_lookup(&m.pgt, a + span - 1, &res),
					 0);
			EXPECT_EQ(where, res.out_addr, pa + span - 1);
			EXPECT_EQ(where, res.attrs.sw, 3);

			/* A block over the table: the table entry is
			 * invalidated over its span, then replaced. */
			log_reset(&log, entry_pa, a);
			EXPECT_EQ(where, tdp_map(&m.pgt, a, span, pa, &attrs,
						 TDP_OP_REPLACE, NULL),
				  0);
			expect_bbm(where, &log, 1, a, span, -1);
			EXPECT_EQ(where, read_pa(&m, entry_pa), block);
			EXPECT_EQ(where, tables_in_use(&m), mapped);

			/*
			 * A permission change may be made in place (the Arm
			 * ARM needs no break-before-make for S2AP): one
			 * invalidation of the block, after the new value is
			 * in, and the translation never goes away.
			 */
			log_reset(&log, entry_pa, a);
			EXPECT_EQ(where, tdp_protect(&m.pgt, a, span, 0,
						     TDP_PERM_W, 0, NULL),
				  0);
			EXPECT_EQ(where, log.n, 1);
			EXPECT_EQ(where, log.call[0].kind, 0);
			EXPECT_EQ(where, log.call[0].addr, a);
			EXPECT_EQ(where, log.call[0].watched, block & ~D_W);
			EXPECT_EQ(where, log.call[0].probe_fault,
				  TDP_FAULT_NONE);
			EXPECT_EQ(where, read_pa(&m, entry_pa), block & ~D_W);
			/* Nothing to change: no invalidation. */
			log_reset(&log, entry_pa, a);
			EXPECT_EQ(where, tdp_protect(&m.pgt, a, span, 0,
						     TDP_PERM_W, 0, NULL),
				  0);
			EXPECT_EQ(where, log.n, 0);
			/*
			 * Unmapping the whole block: one invalidation, made
			 * when the translation is gone; flush_addr for the
			 * root entry alone, else a range (the emptied table
			 * above the block is unlinked too, and may be
			 * unlinked whole with the block still in it).
			 */
			log_reset(&log, e == m.root_e ? entry_pa : 0, a);
			EXPECT_EQ(where, tdp_unmap(&m.pgt, a, span, 0, NULL),
				  0);
			EXPECT_EQ(where, log.n, 1);
			if (e == m.root_e) {
				expect_bbm(where, &log, 0, a, 0, e);
				EXPECT_EQ(where, read_pa(&m, entry_pa), 0);
			} else {
				expect_bbm(where, &log, 1, a, span, -1);
			}
			assert_int_equal(tdp_pgt_set_tlb(&m.pgt, NULL, NULL),
					 0);
			EXPECT_EQ(where, tables_in_use(&m), 1);
		}
		menv_close(&m);
	}
	assert_int_equal(mismatches, 0);
}

/*
 * Harvest (dirty) or age a range; returns the first 64 bits of the
 * report's bitmap and checks that no bit beyond the range was set.
 */
static uint64_t harvest(struct menv *m, bool dirty, uint64_t a,
			uint64_t size, int *ret)
{
	uint64_t words = size / m->page / 64 + 2, first, i;
	uint64_t *map = calloc(words, 8);
	struct tdp_report r = { .bitmap = map };

	assert_non_null(map);
	*ret = dirty ? tdp_harvest_dirty(&m->pgt, a, size, 0, &r)
		     : tdp_test_clear_young(&m->pgt, a, size, 0, &r);
	first = map[0];
	for (i = size / m->page; i < words * 64; i++)
		if (map[i / 64] & (1ull << (i % 64)))
			mismatches++;
	free(map);
	return first;
}

/*
 * Dirty harvesting with TDP_FEAT_S2_HD: a DBM leaf with S2AP write is
 * dirty; harvesting reports it, clears S2AP write, keeps DBM and
 * invalidates. Without HD it is not supported.
 */
static void test_harvest_dirty(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(map_presets); i++) {
		struct tdp_attrs rw_dbm = {
			.perms = TDP_PERM_R | TDP_PERM_W,
			.flags = TDP_ATTR_ACCESSED | TDP_ATTR_DBM,
		};
		struct tdp_attrs r_dbm = rw_dbm, rw = rw_dbm;
		struct tlb_log log;
		struct menv m;
		uint64_t a, pg, lo, bits, blk, pa = 0x7000000000ull;
		char where[96];
		int ret, n;

		menv_open(&m, &map_presets[i], TDP_FEAT_S2_HD);
		log = (struct tlb_log){ .m = &m };
		snprintf(where, sizeof(where), "%s", map_presets[i].name);
		pg = m.page;
		blk = span_of(&m.s, 2);
		a = 4 * blk;
		r_dbm.perms = TDP_PERM_R;
		rw.flags = TDP_ATTR_ACCESSED;
		lo = D_PAGE | D_MEMATTR(MA_WB) | D_R | sh_default(&m.s) | D_AF |
		     D_XN1;
		assert_int_equal(tdp_map(&m.pgt, a, 2 * pg, pa, &rw_dbm, 0,
					 NULL),
				 0);
		assert_int_equal(tdp_map(&m.pgt, a + 2 * pg, pg, pa + 2 * pg,
					 &r_dbm, 0, NULL),
				 0);
		assert_int_equal(tdp_map(&m.pgt, a + 3 * pg, pg, pa + 3 * pg,
					 &rw, 0, NULL),
				 0);
		EXPECT_EQ(where, raw_at(&m, a, NULL),
			  place_addr(&m.s, pa) | lo | D_W | D_DBM);
		assert_int_equal(tdp_pgt_set_tlb(&m.pgt, &tlb_hooks, &log), 0);
		bits = harvest(&m, true, a, 4 * pg, &ret);
		EXPECT_EQ(where, ret, 0);
		EXPECT_EQ(where, bits, 0x3);
		for (n = 0; n < 2; n++)
			EXPECT_EQ(where, raw_at(&m, a + (uint64_t)n * pg, NULL),
				  place_addr(&m.s, pa + (uint64_t)n * pg) | lo |
					  D_DBM);
		EXPECT_EQ(where, raw_at(&m, a + 2 * pg, NULL),
			  place_addr(&m.s, pa + 2 * pg) | lo | D_DBM);
		EXPECT_EQ(where, raw_at(&m, a + 3 * pg, NULL),
			  place_addr(&m.s, pa + 3 * pg) | lo | D_W);
		/* Cleared dirty state must be invalidated: both pages. */
		EXPECT_EQ(where, log.n, 1);
		EXPECT_EQ(where, log.call[0].kind, 1);
		EXPECT_EQ(where, log.call[0].addr, a);
		EXPECT_EQ(where, log.call[0].size, 2 * pg);
		bits = harvest(&m, true, a, 4 * pg, &ret);
		EXPECT_EQ(where, ret, 0);
		EXPECT_EQ(where, bits, 0);
		{
			/*
			 * With HD, a write to a clean DBM page is not a
			 * permission fault: the hardware sets S2AP[1] (Arm
			 * ARM, hardware management of the dirty state).
			 */
			uint32_t fault = 0xff;

			EXPECT_EQ(where, tdp_translate(&m.pgt, a,
						       TDP_ACCESS_WRITE, NULL,
						       &fault),
				  0);
			EXPECT_EQ(where, fault, TDP_FAULT_NONE);
		}
		/* A dirty block only partly in the range: reported, kept. */
		assert_int_equal(tdp_map(&m.pgt, blk, blk, blk, &rw_dbm, 0,
					 NULL),
				 0);
		bits = harvest(&m, true, blk + pg, pg, &ret);
		EXPECT_EQ(where, ret, 0);
		EXPECT_EQ(where, bits, 1);
		EXPECT_EQ(where, raw_at(&m, blk, NULL) & (D_W | D_DBM),
			  D_W | D_DBM);
		bits = harvest(&m, true, blk, blk, &ret);
		EXPECT_EQ(where, ret, 0);
		EXPECT_EQ(where, bits, ~0ull);
		EXPECT_EQ(where, raw_at(&m, blk, NULL) & (D_W | D_DBM), D_DBM);
		tdp_pgt_set_tlb(&m.pgt, NULL, NULL);
		menv_close(&m);

		/* Without HD: not supported, nothing changes. */
		menv_open(&m, &map_presets[i], 0);
		assert_int_equal(tdp_map(&m.pgt, a, pg, pa, &rw_dbm, 0, NULL),
				 0);
		bits = harvest(&m, true, a, pg, &ret);
		EXPECT_EQ(where, ret, -TDP_ERR_NOTSUP);
		EXPECT_EQ(where, bits, 0);
		EXPECT_EQ(where, raw_at(&m, a, NULL),
			  place_addr(&m.s, pa) | lo | D_W | D_DBM);
		menv_close(&m);
	}
	assert_int_equal(mismatches, 0);
}

/*
 * Write-protecting and splitting DBM leaves (the dirty-logging path):
 * the leaves keep DBM and all other attributes.
 */
static void test_dbm_protect_split(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(map_presets); i++) {
		struct tdp_attrs rw_dbm = {
			.perms = TDP_PERM_R | TDP_PERM_W,
			.flags = TDP_ATTR_ACCESSED | TDP_ATTR_DBM,
		};
		struct menv m;
		uint64_t a, pg, lo, blk;
		char where[96];

		menv_open(&m, &map_presets[i], TDP_FEAT_S2_HD);
		snprintf(where, sizeof(where), "%s", map_presets[i].name);
		pg = m.page;
		blk = span_of(&m.s, 2);
		a = 4 * blk;
		lo = D_MEMATTR(MA_WB) | D_R | sh_default(&m.s) | D_AF | D_XN1 |
		     D_DBM;
		assert_int_equal(tdp_map(&m.pgt, a, pg, a, &rw_dbm, 0, NULL),
				 0);
		EXPECT_EQ(where, tdp_protect(&m.pgt, a, pg, 0, TDP_PERM_W, 0,
					     NULL),
			  0);
		EXPECT_EQ(where, raw_at(&m, a, NULL),
			  place_addr(&m.s, a) | D_PAGE | lo);
		/* Split a dirty DBM block: the rest stays dirty. */
		assert_int_equal(tdp_map(&m.pgt, blk, blk, blk, &rw_dbm, 0,
					 NULL),
				 0);
		EXPECT_EQ(where, tdp_unmap(&m.pgt, blk + pg, pg, 0, NULL), 0);
		EXPECT_EQ(where, raw_at(&m, blk, NULL),
			  place_addr(&m.s, blk) | D_PAGE | lo | D_W);
		EXPECT_EQ(where, raw_at(&m, blk + blk - pg, NULL),
			  place_addr(&m.s, blk + blk - pg) | D_PAGE | lo | D_W);
		menv_close(&m);
	}
	assert_int_equal(mismatches, 0);
}

/* Aging: test_clear_young reports leaves with AF and clears AF. */
static void test_young(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(map_presets); i++) {
		struct tdp_attrs af = A_RW_AF, old = A_RW_AF;
		struct tlb_log log;
		struct menv m;
		uint64_t a, pg, lo, bits, pa = 0x3000000000ull;
		char where[96];
		uint32_t fault = 0;
		int ret;

		menv_open(&m, &map_presets[i], 0);
		log = (struct tlb_log){ .m = &m };
		snprintf(where, sizeof(where), "%s", map_presets[i].name);
		pg = m.page;
		a = 8 * span_of(&m.s, 2);
		old.flags = 0;
		lo = D_PAGE | D_MEMATTR(MA_WB) | D_R | D_W | sh_default(&m.s) |
		     D_XN1;
		assert_int_equal(tdp_map(&m.pgt, a, 2 * pg, pa, &af, 0, NULL),
				 0);
		assert_int_equal(tdp_map(&m.pgt, a + 2 * pg, pg, pa + 2 * pg,
					 &old, 0, NULL),
				 0);
		EXPECT_EQ(where, tdp_translate(&m.pgt, a, TDP_ACCESS_READ, NULL,
					       &fault),
			  0);
		assert_int_equal(tdp_pgt_set_tlb(&m.pgt, &tlb_hooks, &log), 0);
		bits = harvest(&m, false, a, 3 * pg, &ret);
		EXPECT_EQ(where, ret, 0);
		EXPECT_EQ(where, bits, 0x3);
		EXPECT_EQ(where, raw_at(&m, a, NULL),
			  place_addr(&m.s, pa) | lo);
		EXPECT_EQ(where, raw_at(&m, a + pg, NULL),
			  place_addr(&m.s, pa + pg) | lo);
		EXPECT_EQ(where, raw_at(&m, a + 2 * pg, NULL),
			  place_addr(&m.s, pa + 2 * pg) | lo);
		/* Aging never invalidates. */
		EXPECT_EQ(where, log.n, 0);
		bits = harvest(&m, false, a, 3 * pg, &ret);
		EXPECT_EQ(where, ret, 0);
		EXPECT_EQ(where, bits, 0);
		/* Without hardware AF, the cleared page now faults. */
		EXPECT_EQ(where, tdp_translate(&m.pgt, a, TDP_ACCESS_READ, NULL,
					       &fault),
			  -TDP_ERR_FAULT);
		EXPECT_EQ(where, fault, TDP_FAULT_ACCESS_FLAG);
		tdp_pgt_set_tlb(&m.pgt, NULL, NULL);
		menv_close(&m);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- 5. a VM memory map ------------------------------------------------ */

#define ROM_IPA 0x00000000ull
#define ROM_SIZE (8 * MIB)
#define ROM_PA 0x100000000ull
#define MMIO_IPA 0x08000000ull
#define MMIO_SIZE (16 * MIB)
#define MMIO_PA 0x08000000ull
#define RAM_IPA 0x40000000ull
#define RAM_SIZE (2 * GIB)
#define RAM_PA 0x800000000ull

struct vm_probe {
	uint64_t ipa;
	uint32_t access;
	uint32_t fault;
	uint64_t out;
};

static void run_probes(const char *where, const struct menv *m,
		       const struct vm_probe *p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t out = POISON;
		uint32_t fault = 0xdead;
		char w[128];
		int ret;

		snprintf(w, sizeof(w), "%s probe %u (%#llx, %#x)", where, i,
			 (unsigned long long)p[i].ipa, p[i].access);
		ret = tdp_translate(&m->pgt, p[i].ipa, p[i].access, &out,
				    &fault);
		EXPECT_EQ(w, ret, p[i].fault ? -TDP_ERR_FAULT : 0);
		EXPECT_EQ(w, fault, p[i].fault);
		if (!p[i].fault)
			EXPECT_EQ(w, out, p[i].out);
	}
}

static const struct preset vm_presets[] = {
	{ "s2-4k", { .format = S4, .ia_bits = 40, .pa_bits = 48 }, 1 },
	{ "s2-16k", { .format = S16, .ia_bits = 40, .pa_bits = 48 }, 2 },
	{ "s2-64k", { .format = S64, .ia_bits = 42, .pa_bits = 48 }, 2 },
};

static void test_vm_memory_map(void **state)
{
	const struct tdp_attrs rom = {
		.perms = TDP_PERM_R | XX, .flags = TDP_ATTR_ACCESSED,
	};
	const struct tdp_attrs mmio = {
		.perms = TDP_PERM_R | TDP_PERM_W, .flags = TDP_ATTR_ACCESSED,
		.memtype = TDP_MT_DEV_NGNRE,
	};
	const struct tdp_attrs ram = A_RWX_AF;
	const struct vm_probe before[] = {
		{ ROM_IPA + 0x1234, A_R, F_OK, ROM_PA + 0x1234 },
		{ ROM_IPA + 0x1234, A_X, F_OK, ROM_PA + 0x1234 },
		{ ROM_IPA + ROM_SIZE - 8, A_R, F_OK, ROM_PA + ROM_SIZE - 8 },
		{ ROM_IPA + 0x1234, A_W, F_PERM, 0 },
		{ ROM_IPA + ROM_SIZE, A_R, TDP_FAULT_NOT_PRESENT, 0 },
		{ MMIO_IPA + 0x10, A_R | A_W, F_OK, MMIO_PA + 0x10 },
		{ MMIO_IPA + MMIO_SIZE - 4, A_W, F_OK,
		  MMIO_PA + MMIO_SIZE - 4 },
		{ MMIO_IPA + 0x10, A_X, F_PERM, 0 },
		{ MMIO_IPA + MMIO_SIZE, A_R, TDP_FAULT_NOT_PRESENT, 0 },
		{ 0x20000000, A_R, TDP_FAULT_NOT_PRESENT, 0 },
		{ RAM_IPA - 1, A_R, TDP_FAULT_NOT_PRESENT, 0 },
		{ RAM_IPA, A_R | A_W | A_X, F_OK, RAM_PA },
		{ RAM_IPA + 0x12345678, A_W, F_OK, RAM_PA + 0x12345678 },
		{ RAM_IPA + RAM_SIZE - 1, A_X | A_U, F_OK,
		  RAM_PA + RAM_SIZE - 1 },
		{ RAM_IPA + RAM_SIZE, A_R, TDP_FAULT_NOT_PRESENT, 0 },
	};
	const struct vm_probe after_wp[] = {
		{ RAM_IPA, A_R | A_X, F_OK, RAM_PA },
		{ RAM_IPA, A_W, F_PERM, 0 },
		{ RAM_IPA + RAM_SIZE - 8, A_W, F_PERM, 0 },
		{ RAM_IPA + RAM_SIZE - 8, A_R, F_OK, RAM_PA + RAM_SIZE - 8 },
		{ MMIO_IPA + 0x10, A_W, F_OK, MMIO_PA + 0x10 },
		{ ROM_IPA, A_W, F_PERM, 0 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(vm_presets); i++) {
		const char *where = vm_presets[i].name;
		struct tdp_lookup res;
		struct menv m;
		uint64_t raw;
		int lvl;

		menv_open(&m, &vm_presets[i], 0);
		assert_int_equal(tdp_map(&m.pgt, ROM_IPA, ROM_SIZE, ROM_PA,
					 &rom, 0, NULL),
				 0);
		assert_int_equal(tdp_map(&m.pgt, MMIO_IPA, MMIO_SIZE, MMIO_PA,
					 &mmio, 0, NULL),
				 0);
		assert_int_equal(tdp_map(&m.pgt, RAM_IPA, RAM_SIZE, RAM_PA,
					 &ram, 0, NULL),
				 0);
		run_probes(where, &m, before, ARRAY_SIZE(before));
		/* The MMIO hole is Device-nGnRE, execute-never. */
		EXPECT_EQ(where, tdp_lookup(&m.pgt, MMIO_IPA, &res), 0);
		EXPECT_EQ(where, res.attrs.memtype, TDP_MT_DEV_NGNRE);
		EXPECT_EQ(where, res.entry[res.last_level] &
					 (GENMASK(5, 2) | D_XN1 | D_W | D_R),
			  D_MEMATTR(MA_DEV_NGNRE) | D_XN1 | D_W | D_R);
		/* RAM is made of the largest leaves the granule allows. */
		raw = raw_at(&m, RAM_IPA, &lvl);
		EXPECT_EQ(where, raw & 3, lvl ? D_BLOCK : D_PAGE);
		EXPECT_EQ(where, 1ull << tdp_format_level_shift(&m.pgt.fmt,
								 lvl),
			  m.s.g == 12 ? GIB : span_of(&m.s, 2));
		/* Write-protect RAM for dirty logging. */
		assert_int_equal(tdp_protect(&m.pgt, RAM_IPA, RAM_SIZE, 0,
					     TDP_PERM_W, 0, NULL),
				 0);
		run_probes(where, &m, after_wp, ARRAY_SIZE(after_wp));
		/* Tear down, the gap included (holes are skipped). */
		assert_int_equal(tdp_unmap(&m.pgt, ROM_IPA, ROM_SIZE, 0, NULL),
				 0);
		assert_int_equal(tdp_unmap(&m.pgt, MMIO_IPA,
					   RAM_IPA + RAM_SIZE - MMIO_IPA, 0,
					   NULL),
				 0);
		EXPECT_EQ(where, tables_in_use(&m), 1);
		EXPECT_EQ(where, tdp_lookup(&m.pgt, RAM_IPA, &res),
			  -TDP_ERR_FAULT);
		EXPECT_EQ(where, res.fault_level, m.root_e);
		menv_close(&m);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- 6. VTCR_EL2 and VTTBR_EL2 ------------------------------------------ */

/* VTCR_EL2 from its fields (Arm ARM), for the configurations tested. */
static uint64_t spec_vtcr(const struct geo *s, bool vmid16, bool ha,
			  bool hd)
{
	static const unsigned int ps_of[] = { 32, 36, 40, 42, 44, 48, 52 };
	uint64_t v, ps = 0, tg, sl0;

	for (ps = 0; ps_of[ps] != s->pa; ps++)
		;
	tg = s->g == 12 ? 0 : s->g == 16 ? 1 : 2;
	/* 4K: SL0 2/1/0 start at 0/1/2, 3 at 3, -1 is SL0 0 + SL2. */
	if (s->g == 12 && s->start == 3)
		sl0 = 3;
	else if (s->g == 12)
		sl0 = s->start == -1 ? 0 : (uint64_t)(2 - s->start);
	else
		sl0 = (uint64_t)(3 - s->start);
	v = (64 - s->ia) | (sl0 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	    (tg << 14) | (ps << 16) | (1ull << 31);
	if (vmid16)
		v |= 1 << 19;
	if (ha)
		v |= 1 << 21;
	if (hd)
		v |= 1 << 22;
	if (s->lpa2)
		v |= 1ull << 32;
	if (s->start == -1)
		v |= 1ull << 33;
	return v;
}

struct vtcr_known {
	const char *name;
	struct tdp_format_config cfg;
	uint64_t vtcr;
	uint64_t by_hand;
};

static const struct vtcr_known vtcr_known[] = {
	{ "4k ia40", { .format = S4, .ia_bits = 40, .pa_bits = 48,
		       .features = TDP_FEAT_S2_HA }, 0x802d3558,
	  (64 - 40) | (1 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (0 << 14) | (5 << 16) | (1 << 19) | (1 << 21) | (1ull << 31) },
	{ "4k ia48", { .format = S4, .ia_bits = 48, .pa_bits = 48,
		       .features = TDP_FEAT_S2_HA }, 0x802d3590,
	  (64 - 48) | (2 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (0 << 14) | (5 << 16) | (1 << 19) | (1 << 21) | (1ull << 31) },
	{ "4k ia52 lpa2", { .format = S4, .ia_bits = 52, .pa_bits = 52,
			    .features = TDP_FEAT_S2_HA | F_LPA2 },
	  0x1802e358c,
	  (64 - 52) | (2 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (0 << 14) | (6 << 16) | (1 << 19) | (1 << 21) | (1ull << 31) |
	  (1ull << 32) },
	{ "16k ia40", { .format = S16, .ia_bits = 40, .pa_bits = 48,
			.features = TDP_FEAT_S2_HA }, 0x802db558,
	  (64 - 40) | (1 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (2 << 14) | (5 << 16) | (1 << 19) | (1 << 21) | (1ull << 31) },
	{ "16k ia48", { .format = S16, .ia_bits = 48, .pa_bits = 48,
			.features = TDP_FEAT_S2_HA }, 0x802db590,
	  (64 - 48) | (2 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (2 << 14) | (5 << 16) | (1 << 19) | (1 << 21) | (1ull << 31) },
	{ "64k ia40", { .format = S64, .ia_bits = 40, .pa_bits = 48,
			.features = TDP_FEAT_S2_HA }, 0x802d7558,
	  (64 - 40) | (1 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (1 << 14) | (5 << 16) | (1 << 19) | (1 << 21) | (1ull << 31) },
	{ "64k ia48", { .format = S64, .ia_bits = 48, .pa_bits = 48,
			.features = TDP_FEAT_S2_HA }, 0x802d7590,
	  (64 - 48) | (2 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (1 << 14) | (5 << 16) | (1 << 19) | (1 << 21) | (1ull << 31) },
	/* Beyond the spec's list: HD, SL2 (level -1), 16K level 0. */
	{ "4k ia52 L-1 hd", { .format = S4, .ia_bits = 52, .pa_bits = 52,
			      .features = TDP_FEAT_S2_HD | F_LPA2 | F_SL,
			      .start_level = -1 },
	  0x3804e350c,
	  (64 - 52) | (0 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (0 << 14) | (6 << 16) | (1 << 19) | (1 << 22) | (1ull << 31) |
	  (1ull << 32) | (1ull << 33) },
	{ "16k ia52 L0", { .format = S16, .ia_bits = 52, .pa_bits = 52,
			   .features = F_LPA2 },
	  0x1800eb5cc,
	  (64 - 52) | (3 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (2 << 14) | (6 << 16) | (1 << 19) | (1ull << 31) | (1ull << 32) },
	{ "64k ia33 L3 pa32", { .format = S64, .ia_bits = 33, .pa_bits = 32,
				.features = F_SL, .start_level = 3 },
	  0x8008751f,
	  (64 - 33) | (0 << 6) | (1 << 8) | (1 << 10) | (3 << 12) |
	  (1 << 14) | (0 << 16) | (1 << 19) | (1ull << 31) },
};

static void test_vtcr_known(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(vtcr_known); i++) {
		const struct vtcr_known *k = &vtcr_known[i];
		struct tdp_format fmt;
		uint64_t v = POISON;

		/* The literal and the field-by-field value agree. */
		assert_int_equal(k->vtcr, k->by_hand);
		init_fmt(&fmt, &k->cfg);
		EXPECT_EQ(k->name, tdp_s2_make_vtcr(&fmt, TDP_S2_VTCR_VMID16,
						    &v),
			  0);
		EXPECT_EQ(k->name, v, k->vtcr);
		EXPECT_EQ(k->name, tdp_s2_make_vtcr(&fmt, 0, &v), 0);
		EXPECT_EQ(k->name, v, k->vtcr & ~(1ull << 19));
	}
	{
		struct tdp_format fmt;
		const struct tdp_format_config ept = { .format =
							       TDP_FMT_EPT4 };
		const struct tdp_format_config s4 = C_4K;
		uint64_t v = POISON;

		init_fmt(&fmt, &ept);
		assert_int_equal(tdp_s2_make_vtcr(&fmt, 0, &v),
				 -TDP_ERR_FORMAT);
		init_fmt(&fmt, &s4);
		assert_int_equal(tdp_s2_make_vtcr(&fmt, 1u << 1, &v),
				 -TDP_ERR_INVAL);
		assert_int_equal(tdp_s2_make_vtcr(NULL, 0, &v),
				 -TDP_ERR_INVAL);
		assert_int_equal(tdp_s2_make_vtcr(&fmt, 0, NULL),
				 -TDP_ERR_INVAL);
		assert_int_equal(v, POISON);
	}
	assert_int_equal(mismatches, 0);
}

/* Feature sets for the VTCR round trip (FWB and XNX are not in VTCR). */
static const uint32_t vtcr_extras[] = {
	0, TDP_FEAT_S2_HA, TDP_FEAT_S2_HD,
	TDP_FEAT_S2_HA | TDP_FEAT_S2_HD | TDP_FEAT_S2_FWB | TDP_FEAT_S2_XNX,
};

/* make_vtcr has the spec's fields and parse_vtcr gives the config back. */
static bool vtcr_round_trip(uint32_t format, bool lpa2, unsigned int pa,
			    unsigned int ia, int lvl, uint32_t extra)
{
	const uint32_t in_vtcr = TDP_FEAT_S2_HA | TDP_FEAT_S2_HD;
	unsigned int g = granule_of(format);
	bool wide = lpa2 || (g == 16 && pa == 52);
	struct tdp_format_config cfg = {
		.format = format,
		.features = extra | F_SL | (lpa2 ? F_LPA2 : 0),
		.ia_bits = (uint8_t)ia,
		.pa_bits = (uint8_t)pa,
		.start_level = (int8_t)lvl,
	}, back;
	struct tdp_format fmt, fmt2;
	uint64_t v = POISON;
	struct geo s;
	char where[112];

	if ((lpa2 && g == 16) || (pa == 52 && !wide) || (ia > 48 && !wide) ||
	    !spec_start_ok(g, ia, lpa2, lvl))
		return false;
	snprintf(where, sizeof(where), "%s lpa2 %d pa %u ia %u start %d "
		 "feat %#x", tdp_format_name(format), lpa2, pa, ia, lvl,
		 cfg.features);
	EXPECT_EQ(where, tdp_format_init(&fmt, &cfg), 0);
	geo_init(&s, &cfg, lvl);
	EXPECT_EQ(where, tdp_s2_make_vtcr(&fmt, TDP_S2_VTCR_VMID16, &v), 0);
	EXPECT_EQ(where, v, spec_vtcr(&s, true, extra & TDP_FEAT_S2_HA,
				      extra & TDP_FEAT_S2_HD));
	memset(&back, 0x5a, sizeof(back));
	EXPECT_EQ(where, tdp_s2_parse_vtcr(v, extra & ~in_vtcr, &back), 0);
	EXPECT_EQ(where, back.format, cfg.format);
	EXPECT_EQ(where, back.features, cfg.features);
	EXPECT_EQ(where, back.ia_bits, ia);
	EXPECT_EQ(where, back.pa_bits, pa);
	EXPECT_EQ(where, back.start_level, lvl);
	EXPECT_EQ(where, back.reserved0, 0);
	EXPECT_EQ(where, tdp_format_init(&fmt2, &back), 0);
	EXPECT_EQ(where, fmt2.levels, 4 - lvl);
	EXPECT_EQ(where, fmt2.root_size, spec_root_bytes(&s));
	return true;
}

/*
 * For every valid geometry (granule, IPA size, start level, PA size) and
 * HA/HD/FWB/XNX combination: VTCR_EL2 has the spec's fields, and parsing
 * it gives the configuration back.
 */
static void test_vtcr_round_trip(void **state)
{
	static const uint8_t pas[] = { 32, 36, 40, 42, 44, 48, 52 };
	static const uint32_t fmts[] = { S4, S16, S64 };
	unsigned int f, p, ia, x, n, checked = 0;
	int lvl;

	(void)state;
	/* n: format x LPA2 x PA size. */
	for (n = 0; n < ARRAY_SIZE(fmts) * 2 * ARRAY_SIZE(pas); n++) {
		f = n / (2 * ARRAY_SIZE(pas));
		p = n % ARRAY_SIZE(pas);
		for (ia = 32; ia <= 52; ia++)
			for (lvl = -1; lvl <= 3; lvl++)
				for (x = 0; x < ARRAY_SIZE(vtcr_extras); x++)
					checked += vtcr_round_trip(
						fmts[f],
						(n / ARRAY_SIZE(pas)) % 2,
						pas[p], ia, lvl,
						vtcr_extras[x]);
	}
	assert_true(checked > 1000);
	assert_int_equal(mismatches, 0);
}

struct vtcr_bad {
	const char *name;
	uint64_t vtcr;
	uint32_t extra;
	int err;
};

/*
 * VTCR_EL2 from T0SZ, SL0, TG0 and PS, with IRGN0 = ORGN0 = 1, SH0 = 3,
 * VS, HA and RES1 as in the known values.
 */
#define VF(t0sz, sl0, tg0, ps)                                                \
	((uint64_t)(t0sz) | ((uint64_t)(sl0) << 6) | (1 << 8) | (1 << 10) |   \
	 (3 << 12) | ((uint64_t)(tg0) << 14) | ((uint64_t)(ps) << 16) |        \
	 (1 << 19) | (1 << 21) | (1ull << 31))
#define DS (1ull << 32)
#define SL2 (1ull << 33)
/* 4K ia40 pa48, start level 1: 0x802d3558. */
#define V4 VF(24, 1, 0, 5)

static const struct vtcr_bad vtcr_bad[] = {
	{ "TG0 3", VF(24, 1, 3, 5), 0, -TDP_ERR_FORMAT },
	{ "PS 7", VF(24, 1, 0, 7), 0, -TDP_ERR_FORMAT },
	{ "T0SZ 11", VF(11, 2, 0, 6) | DS, 0, -TDP_ERR_FORMAT },
	{ "T0SZ 33", VF(33, 0, 0, 5), 0, -TDP_ERR_FORMAT },
	{ "T0SZ 0", VF(0, 2, 0, 5), 0, -TDP_ERR_FORMAT },
	{ "T0SZ 63", VF(63, 0, 0, 5), 0, -TDP_ERR_FORMAT },
	{ "4k ia52 without DS", VF(12, 2, 0, 5), 0, -TDP_ERR_FORMAT },
	{ "SL2 without DS", VF(12, 0, 0, 5) | SL2, 0, -TDP_ERR_FORMAT },
	{ "SL2 with SL0 1", VF(12, 1, 0, 6) | DS | SL2, 0, -TDP_ERR_FORMAT },
	{ "SL2 with 16k", VF(12, 3, 2, 6) | DS | SL2, 0, -TDP_ERR_FORMAT },
	{ "SL2 with 64k", VF(12, 0, 1, 6) | SL2, 0, -TDP_ERR_FORMAT },
	{ "64k SL0 3", VF(16, 3, 1, 5), 0, -TDP_ERR_FORMAT },
	{ "16k SL0 3 without DS", VF(16, 3, 2, 5), 0, -TDP_ERR_FORMAT },
	{ "4k ia40 SL0 0 (level 2)", VF(24, 0, 0, 5), 0, -TDP_ERR_FORMAT },
	{ "4k ia40 SL0 3 (level 3)", VF(24, 3, 0, 5), 0, -TDP_ERR_FORMAT },
	{ "4k PS 52 without DS", VF(24, 1, 0, 6), 0, -TDP_ERR_FORMAT },
	{ "DS with 64k", VF(16, 2, 1, 6) | DS, 0, -TDP_ERR_FORMAT },
	{ "extra LPA2", V4, TDP_FEAT_S2_LPA2, -TDP_ERR_INVAL },
	{ "extra HA", V4, TDP_FEAT_S2_HA, -TDP_ERR_INVAL },
	{ "extra EPT_AD", V4, TDP_FEAT_EPT_AD, -TDP_ERR_INVAL },
};

static void test_vtcr_bad(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(vtcr_bad); i++) {
		struct tdp_format_config cfg, poison;

		memset(&cfg, 0x5a, sizeof(cfg));
		memset(&poison, 0x5a, sizeof(poison));
		EXPECT_EQ(vtcr_bad[i].name,
			  tdp_s2_parse_vtcr(vtcr_bad[i].vtcr,
					    vtcr_bad[i].extra, &cfg),
			  vtcr_bad[i].err);
		EXPECT_EQ(vtcr_bad[i].name, memcmp(&cfg, &poison, sizeof(cfg)),
			  0);
	}
	assert_int_equal(tdp_s2_parse_vtcr(V4, 0, NULL), -TDP_ERR_INVAL);
	/* The base value itself is fine. */
	{
		struct tdp_format_config cfg;

		assert_int_equal(V4, 0x802d3558);
		assert_int_equal(tdp_s2_parse_vtcr(V4, 0, &cfg), 0);
	}
	assert_int_equal(mismatches, 0);
}

struct vttbr_case {
	const char *name;
	struct tdp_format_config cfg;
	uint64_t root;
	uint16_t vmid;
	uint32_t flags;
	int ret;
	uint64_t vttbr;
};

static const struct vttbr_case vttbr_cases[] = {
	{ "4k vmid8", C_4K, 0x40002000, 0x12, 0, 0, 0x0012000040002000ull },
	{ "4k vmid 255", C_4K, 0x40002000, 0xff, 0, 0, 0x00ff000040002000ull },
	{ "4k vmid16", C_4K, 0x7fffffffe000ull, 0xabcd, TDP_S2_VTCR_VMID16, 0,
	  0xabcd7fffffffe000ull },
	{ "4k vmid 256 without VS", C_4K, 0x40002000, 0x100, 0,
	  -TDP_ERR_INVAL, 0 },
	{ "4k unknown flag", C_4K, 0x40002000, 1, 1u << 3, -TDP_ERR_INVAL, 0 },
	/* 52-bit roots: PA[51:48] in bits 5:2. */
	{ "64k pa52", C_64K52, 0xa000012340000ull, 7, 0, 0,
	  0x0007000012340028ull },
	{ "4k lpa2 pa52", C_4KLPA2, 0xfffffffff0000ull, 0x1234,
	  TDP_S2_VTCR_VMID16, 0, 0x1234ffffffff003cull },
	/* 4K ia40: two root pages, 8 KiB alignment. */
	{ "4k misaligned", C_4K, 0x40001000, 0, 0, -TDP_ERR_ALIGN, 0 },
	{ "16k ia48 misaligned", C_16K, 0x40004000, 0, 0, -TDP_ERR_ALIGN, 0 },
	{ "64k misaligned", C_64K, 0x40008000, 0, 0, -TDP_ERR_ALIGN, 0 },
	{ "4k root at 2^48", C_4K, 1ull << 48, 0, 0, -TDP_ERR_RANGE, 0 },
	{ "4k pa40 root at 2^40", C_4K40, 1ull << 40, 0, 0, -TDP_ERR_RANGE,
	  0 },
	{ "4k pa40 root below 2^40", C_4K40, (1ull << 40) - 0x2000, 0, 0, 0,
	  0x000000ffffffe000ull },
};

static void test_vttbr(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(vttbr_cases); i++) {
		const struct vttbr_case *c = &vttbr_cases[i];
		struct tdp_format fmt;
		uint64_t v = POISON, root = POISON;
		uint16_t vmid = 0;

		init_fmt(&fmt, &c->cfg);
		EXPECT_EQ(c->name, tdp_s2_make_vttbr(&fmt, c->root, c->vmid,
						     c->flags, &v),
			  c->ret);
		EXPECT_EQ(c->name, v, c->ret ? POISON : c->vttbr);
		if (c->ret)
			continue;
		EXPECT_EQ(c->name, tdp_s2_parse_vttbr(&fmt, v, &root, &vmid),
			  0);
		EXPECT_EQ(c->name, root, c->root);
		EXPECT_EQ(c->name, vmid, c->vmid);
	}
	{
		struct tdp_format fmt;
		const struct tdp_format_config ept = { .format =
							       TDP_FMT_EPT4 };
		const struct tdp_format_config s4 = C_4K;
		uint64_t v, root;

		init_fmt(&fmt, &ept);
		assert_int_equal(tdp_s2_make_vttbr(&fmt, 0, 0, 0, &v),
				 -TDP_ERR_FORMAT);
		assert_int_equal(tdp_s2_parse_vttbr(&fmt, 0, &root, NULL),
				 -TDP_ERR_FORMAT);
		init_fmt(&fmt, &s4);
		assert_int_equal(tdp_s2_make_vttbr(NULL, 0, 0, 0, &v),
				 -TDP_ERR_INVAL);
		assert_int_equal(tdp_s2_make_vttbr(&fmt, 0, 0, 0, NULL),
				 -TDP_ERR_INVAL);
		assert_int_equal(tdp_s2_parse_vttbr(&fmt, 0, NULL, NULL),
				 -TDP_ERR_INVAL);
		/* A root that is not aligned to the concatenated root. */
		assert_int_equal(tdp_s2_parse_vttbr(&fmt, 0x40001000, &root,
						    NULL),
				 -TDP_ERR_ALIGN);
		/* CnP (bit 0) is not part of the address. */
		assert_int_equal(tdp_s2_parse_vttbr(&fmt, 0x40002001, &root,
						    NULL),
				 0);
		assert_int_equal(root, 0x40002000);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- 7. model-based random test ----------------------------------------- */

/* What the model holds for each page of the window. */
struct mpage {
	uint64_t pa;
	uint8_t mapped;
	uint8_t perms; /* R, W, and X standing for X|XU */
	uint8_t memtype;
	uint8_t af;
};

struct model {
	struct menv m;
	uint64_t base;   /* first IPA of the window */
	uint64_t npages;
	struct mpage *pg;
	uint64_t lo, hi; /* walk: the part of the window checked */
	uint64_t next;   /* walk: next IPA expected */
	uint64_t tables; /* walk: tables reachable */
	unsigned int bad;
	const char *where;
};

static void model_fail(struct model *md, const char *what, uint64_t addr,
		       uint64_t got, uint64_t want)
{
	if (md->bad++ < 8)
		print_error("%s: %s at %#llx: got %#llx, expected %#llx\n",
			    md->where, what, (unsigned long long)addr,
			    (unsigned long long)got, (unsigned long long)want);
}

/* The raw bits the model expects for a page (address aside). */
static uint64_t model_bits(const struct model *md, const struct mpage *p)
{
	static const uint8_t memattr[] = {
		[TDP_MT_WB] = MA_WB, [TDP_MT_NC] = MA_NC,
		[TDP_MT_DEV_NGNRE] = MA_DEV_NGNRE,
	};
	uint64_t v = D_MEMATTR(memattr[p->memtype]) | sh_default(&md->m.s);

	if (p->perms & TDP_PERM_R)
		v |= D_R;
	if (p->perms & TDP_PERM_W)
		v |= D_W;
	if (!(p->perms & TDP_PERM_X))
		v |= D_XN1;
	if (p->af)
		v |= D_AF;
	return v;
}

/* A LEAF visit: the entry must match the model over its whole span. */
static int model_visit(const struct tdp_visit *v, void *arg)
{
	struct model *md = arg;
	const uint64_t pgsz = md->m.page;
	uint64_t lo = v->addr < md->lo ? md->lo : v->addr;
	uint64_t hi = v->addr + v->size < md->hi ? v->addr + v->size : md->hi;
	uint64_t a, oa = 0;
	struct tdp_attrs at;

	if (lo != md->next)
		model_fail(md, "walk gap", lo, lo, md->next);
	md->next = hi;
	if (v->kind == TDP_ENTRY_LEAF) {
		int ret = tdp_entry_decode_leaf(&md->m.pgt.fmt, v->level,
						v->old, &oa, &at);

		if (ret)
			model_fail(md, "decode", v->addr, (uint64_t)ret, 0);
		if (desc_addr(&md->m.s, v->old) != oa)
			model_fail(md, "oa", v->addr, oa,
				   desc_addr(&md->m.s, v->old));
		if ((v->old & 3) != (v->level ? D_BLOCK : D_PAGE))
			model_fail(md, "descriptor type", v->addr, v->old & 3,
				   v->level ? D_BLOCK : D_PAGE);
	} else if (v->kind != TDP_ENTRY_INVALID) {
		model_fail(md, "entry kind", v->addr, v->kind, 0);
		return 0;
	}
	for (a = lo; a < hi; a += pgsz) {
		const struct mpage *p = &md->pg[(a - md->base) / pgsz];
		uint64_t want;

		if (v->kind == TDP_ENTRY_INVALID) {
			if (p->mapped)
				model_fail(md, "missing mapping", a, 0, p->pa);
			continue;
		}
		if (!p->mapped) {
			model_fail(md, "stray mapping", a, v->old, 0);
			continue;
		}
		if (oa + (a - v->addr) != p->pa)
			model_fail(md, "output address", a,
				   oa + (a - v->addr), p->pa);
		want = model_bits(md, p);
		if ((v->old & ~(GENMASK(49, 12) | 3 | D_SH(3))) !=
		    (want & ~D_SH(3)) ||
		    (!md->m.s.lpa2 && (v->old & D_SH(3)) != D_SH(3)))
			model_fail(md, "attribute bits", a, v->old, want);
		if (at.perms != ((p->perms & ~TDP_PERM_X) |
				 (p->perms & TDP_PERM_X ? XX : 0)) ||
		    at.memtype != p->memtype ||
		    (at.flags != (p->af ? TDP_ATTR_ACCESSED : 0u)))
			model_fail(md, "decoded attributes", a, at.perms,
				   p->perms);
	}
	return 0;
}

/* A TABLE_PRE visit: count the table and check it is not empty. */
static int count_table(const struct tdp_visit *v, void *arg)
{
	struct model *md = arg;
	uint64_t pa = desc_addr(&md->m.s, v->old), i, valid = 0;
	const uint64_t *t = tdp_pool_phys_to_virt(md->m.pool, pa, md->m.page);

	md->tables++;
	if (!t) {
		model_fail(md, "table outside the pool", v->addr, pa, 0);
		return 0;
	}
	for (i = 0; i < md->m.page / 8; i++)
		valid += t[i] & D_VALID;
	if (!valid)
		model_fail(md, "empty table", v->addr, pa, 1);
	return 0;
}

/*
 * Compare [lo, hi) of the window with the model, then count the tables
 * reachable from the root.
 */
static void model_check(struct model *md, uint64_t lo, uint64_t hi)
{
	uint64_t in_use;

	md->lo = lo;
	md->hi = hi;
	md->next = lo;
	assert_int_equal(tdp_walk(&md->m.pgt, lo, hi - lo, TDP_WALK_LEAF,
				  model_visit, md),
			 0);
	if (md->next != hi)
		model_fail(md, "walk end", md->next, md->next, hi);
	md->tables = 0;
	assert_int_equal(tdp_walk(&md->m.pgt, 0, 1ull << md->m.s.ia,
				  TDP_WALK_TABLE_PRE, count_table, md),
			 0);
	in_use = tables_in_use(&md->m);
	if (in_use != md->tables + 1)
		model_fail(md, "tables_in_use", 0, in_use, md->tables + 1);
}

static const uint8_t rand_memtypes[] = {
	TDP_MT_WB, TDP_MT_NC, TDP_MT_DEV_NGNRE,
};

/* A random subset of R, W and X (X standing for X|XU). */
static uint32_t rand_perms(void)
{
	return (uint32_t)below(8) & (TDP_PERM_R | TDP_PERM_W | TDP_PERM_X);
}

static uint32_t lib_perms(uint32_t p)
{
	return p & TDP_PERM_X ? p | TDP_PERM_XU : p;
}

static void model_run(const struct preset *p, uint64_t base, uint64_t window,
		      unsigned int ops)
{
	struct model md = { .base = base, .where = p->name };
	uint64_t units[4], hot, hot_first, big;
	unsigned int n;

	menv_open(&md.m, p, 0);
	md.npages = window / md.m.page;
	md.pg = calloc(md.npages, sizeof(*md.pg));
	assert_non_null(md.pg);
	units[0] = md.m.page;
	units[1] = 16 * md.m.page;
	units[2] = span_of(&md.m.s, 2);
	units[3] = spec_block_ok(md.m.s.g, false, 48, 1) ? span_of(&md.m.s, 1)
							  : units[2];
	/*
	 * Small operations mostly land in a hot region of four blocks in
	 * the middle of the window, so that they overlap, cut each other
	 * and empty tables they only partly cover.
	 */
	big = units[3];
	hot = 4 * units[2];
	hot_first = window / 2 - 2 * units[2];
	for (n = 0; n < ops && md.bad == 0; n++) {
		uint64_t unit = units[below(4)];
		uint64_t first = unit < units[2] && below(4) ?
				 hot_first + below(hot / unit) * unit :
				 below(window / unit) * unit;
		uint64_t count = 1 + (unit == md.m.page ?
				      below(below(3) ? 16 : 1024) :
				      below(3));
		uint64_t size = count * unit, i, np, before;
		unsigned int kind = (unsigned int)below(10);
		uint64_t pa = 0x100000000ull + below(256) * unit;
		struct tdp_attrs at = { 0 };
		uint32_t set = 0, clr = 0;
		bool exist = false;
		int ret, want = 0;

		if (first + size > window)
			size = window - first;
		/* Sometimes break the output alignment of blocks. */
		if (below(4) == 0)
			pa += md.m.page;
		np = size / md.m.page;
		before = tables_in_use(&md.m);
		at.perms = lib_perms(rand_perms());
		at.memtype = rand_memtypes[below(3)];
		at.flags = below(2) ? TDP_ATTR_ACCESSED : 0;
		/* 0-2 map, 3 map with REPLACE, 4-6 unmap, 7-9 protect. */
		if (kind < 4) {
			for (i = 0; i < np; i++)
				exist |= md.pg[first / md.m.page + i].mapped;
			if (kind == 3 || !exist) {
				ret = tdp_map(&md.m.pgt, base + first, size, pa,
					      &at,
					      kind == 3 ? TDP_OP_REPLACE : 0,
					      NULL);
			} else {
				want = -TDP_ERR_EXIST;
				ret = tdp_map(&md.m.pgt, base + first, size, pa,
					      &at, 0, NULL);
			}
			if (!want)
				for (i = 0; i < np; i++) {
					struct mpage *q =
						&md.pg[first / md.m.page + i];

					q->mapped = 1;
					q->pa = pa + i * md.m.page;
					q->perms = (uint8_t)(at.perms &
							     ~TDP_PERM_XU);
					q->memtype = at.memtype;
					q->af = at.flags != 0;
				}
		} else if (kind < 7) {
			ret = tdp_unmap(&md.m.pgt, base + first, size, 0, NULL);
			for (i = 0; i < np; i++)
				md.pg[first / md.m.page + i].mapped = 0;
		} else {
			set = lib_perms(rand_perms());
			clr = lib_perms(rand_perms());
			ret = tdp_protect(&md.m.pgt, base + first, size, set,
					  clr, 0, NULL);
			for (i = 0; i < np; i++) {
				struct mpage *q = &md.pg[first / md.m.page + i];

				q->perms = (uint8_t)((q->perms | set) & ~clr &
						     ~TDP_PERM_XU);
			}
		}
		if (ret != want) {
			md.bad++;
			print_error("%s op %u kind %u [%#llx, +%#llx) pa %#llx:"
				    " %d, expected %d\n",
				    p->name, n, kind,
				    (unsigned long long)(base + first),
				    (unsigned long long)size,
				    (unsigned long long)pa, ret, want);
		}
		if (want && tables_in_use(&md.m) != before)
			model_fail(&md, "tables after a failed map", 0,
				   tables_in_use(&md.m), before);
		/*
		 * An operation changes only the largest blocks its range
		 * meets: check those after each one, everything now and
		 * then.
		 */
		if (n % 16 == 15)
			model_check(&md, base, base + window);
		else
			model_check(&md, base + (first & ~(big - 1)),
				    base + ((first + size + big - 1) &
					    ~(big - 1)));
		if (md.bad)
			print_error("%s: first failure after op %u\n", p->name,
				    n);
	}
	model_check(&md, base, base + window);
	assert_int_equal(tdp_unmap(&md.m.pgt, base, window, 0, NULL), 0);
	assert_int_equal(tables_in_use(&md.m), 1);
	free(md.pg);
	menv_close(&md.m);
	assert_int_equal(md.bad, 0);
}

static void test_random_model(void **state)
{
	static const struct preset rp[] = {
		{ "random s2-4k ia40",
		  { .format = S4, .ia_bits = 40, .pa_bits = 48 }, 1 },
		{ "random s2-16k ia40",
		  { .format = S16, .ia_bits = 40, .pa_bits = 48 }, 2 },
		{ "random s2-64k ia42",
		  { .format = S64, .ia_bits = 42, .pa_bits = 48 }, 2 },
		{ "random s2-4k ia32",
		  { .format = S4, .ia_bits = 32, .pa_bits = 40 }, 2 },
		{ "random s2-4k ia48",
		  { .format = S4, .ia_bits = 48, .pa_bits = 48 }, 0 },
		{ "random s2-16k ia48",
		  { .format = S16, .ia_bits = 48, .pa_bits = 48 }, 1 },
		{ "random s2-64k ia48",
		  { .format = S64, .ia_bits = 48, .pa_bits = 48 }, 1 },
	};
	/*
	 * Windows cross a root-page boundary where the root has several
	 * (4K ia40: 2 pages of 512 GiB; 16K ia40: 16 of 64 GiB; 4K ia32: 4 of
	 * 1 GiB; 16K ia48: 2 of 128 TiB), or a top-level entry boundary.
	 */
	static const uint64_t base[] = {
		(1ull << 39) - GIB, (1ull << 36) - GIB, 4 * GIB,
		GIB / 2, (1ull << 39) - GIB, (1ull << 47) - GIB, 4 * GIB,
	};
	static const uint64_t window[] = {
		2 * GIB, 2 * GIB, 4 * GIB, GIB, 2 * GIB, 2 * GIB, 4 * GIB,
	};
	const char *env = getenv("TDP_SEED");
	uint64_t seed;
	unsigned int i;

	(void)state;
	seed = env ? strtoull(env, NULL, 0)
		   : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
	print_message("test_s2 random model: TDP_SEED=%llu\n",
		      (unsigned long long)seed);
	for (i = 0; i < ARRAY_SIZE(rp); i++) {
		rng_state = seed + i;
		model_run(&rp[i], base[i], window[i], 400);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup(fn, reset_mismatches)
		T(test_geometry_all),
		T(test_geometry_known),
		T(test_geometry_bad),
		T(test_encode),
		T(test_decode),
		T(test_classify),
		T(test_lookup_leaves),
		T(test_lookup_faults),
		T(test_permissions),
		T(test_map_leaf_sizes),
		T(test_map_concat_root),
		T(test_bbm),
		T(test_harvest_dirty),
		T(test_dbm_protect_split),
		T(test_young),
		T(test_vm_memory_map),
		T(test_vtcr_known),
		T(test_vtcr_round_trip),
		T(test_vtcr_bad),
		T(test_vttbr),
		T(test_random_model),
#undef T
	};

	return cmocka_run_group_tests_name("s2", tests, NULL, NULL);
}

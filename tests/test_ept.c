/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The EPT formats (ept4, ept5) as a user sees them: format geometry, leaf
 * encoding, decoding and classification, and lookups and translations
 * through tables built by hand in a simulated pool.
 *
 * Every expected value is written here from the Intel SDM's layout of EPT
 * paging-structure entries (Vol. 3C, "The EPT Translation Mechanism") as
 * hex constants and shifts, never produced by the library's encoder, so a
 * library that agrees with itself but not with the SDM still fails.
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

#include <libtdp/tdp.h>

#include "hand_path.h"

#define BIT(n) (1ull << (n))

/* EPT entry bits (SDM Vol. 3C, Tables 29-1 to 29-6). */
#define EPT_R BIT(0)
#define EPT_W BIT(1)
#define EPT_X BIT(2)			/* supervisor execute with MBEC */
#define EPT_MT(t) ((uint64_t)(t) << 3)	/* leaf memory type, bits 5:3 */
#define EPT_IPAT BIT(6)
#define EPT_PS BIT(7)			/* PDPTE/PDE: maps a page */
#define EPT_A BIT(8)
#define EPT_D BIT(9)
#define EPT_XU BIT(10)			/* user execute with MBEC */
#define EPT_SW11 BIT(11)
#define EPT_VGP BIT(57)
#define EPT_PW BIT(58)
#define EPT_SSS BIT(60)
#define EPT_SPP BIT(61)
#define EPT_SVE BIT(63)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)

/* The SDM's memory-type encodings (bits 5:3 of a leaf). */
#define SDM_UC 0
#define SDM_WC 1
#define SDM_WT 4
#define SDM_WP 5
#define SDM_WB 6

/* The usual leaf low bits: RWX, write-back. */
#define LEAF_WB (EPT_RWX | EPT_MT(SDM_WB))

#define RWXU (TDP_PERM_R | TDP_PERM_W | TDP_PERM_X | TDP_PERM_XU)
#define RXU (TDP_PERM_R | TDP_PERM_X | TDP_PERM_XU)

/* Output addresses used in hand-built entries. */
#define PA_4K 0x12345000ull
#define PA_2M 0x12200000ull
#define PA_1G 0x140000000ull
/* A table pointer inside the pool; walks stop before following it. */
#define PA_TBL 0x1d2000ull

/* ---- geometry ---------------------------------------------------------- */

struct geom_case {
	const char *name;
	struct tdp_format_config cfg;
	uint8_t levels;
	uint8_t ia_bits;
	uint8_t pa_bits;
	uint16_t leaf_levels;
};

static const struct geom_case geom_cases[] = {
	{ "ept4 defaults", { .format = TDP_FMT_EPT4 }, 4, 48, 52, 0x7 },
	{ "ept5 defaults", { .format = TDP_FMT_EPT5 }, 5, 57, 52, 0x7 },
	{ "ept4 no 1G", { .format = TDP_FMT_EPT4,
			  .features = TDP_FEAT_NO_1G }, 4, 48, 52, 0x3 },
	{ "ept5 no 1G pa36", { .format = TDP_FMT_EPT5, .pa_bits = 36,
			       .features = TDP_FEAT_NO_1G }, 5, 57, 36, 0x3 },
	{ "ept4 pa32", { .format = TDP_FMT_EPT4, .pa_bits = 32 },
	  4, 48, 32, 0x7 },
	{ "ept4 pa52", { .format = TDP_FMT_EPT4, .pa_bits = 52 },
	  4, 48, 52, 0x7 },
	{ "ept5 every EPT feature",
	  { .format = TDP_FMT_EPT5,
	    .features = TDP_FEAT_EPT_EXEC_ONLY | TDP_FEAT_EPT_MBEC |
			TDP_FEAT_EPT_AD | TDP_FEAT_EPT_SPP },
	  5, 57, 52, 0x7 },
	/* start_level belongs to arm64; x86 ignores it. */
	{ "ept4 start_level ignored", { .format = TDP_FMT_EPT4,
					.start_level = 2 }, 4, 48, 52, 0x7 },
};

static void test_geometry(void **state)
{
	unsigned int i;
	int level;

	(void)state;
	for (i = 0; i < sizeof(geom_cases) / sizeof(geom_cases[0]); i++) {
		const struct geom_case *c = &geom_cases[i];
		struct tdp_format fmt;
		int ret;

		memset(&fmt, 0x5a, sizeof(fmt));
		ret = tdp_format_init(&fmt, &c->cfg);
		EXPECT_EQ(c->name, ret, 0);
		if (ret)
			continue;
		EXPECT_EQ(c->name, fmt.levels, c->levels);
		EXPECT_EQ(c->name, fmt.entry_size, 8);
		EXPECT_EQ(c->name, fmt.ia_bits, c->ia_bits);
		EXPECT_EQ(c->name, fmt.pa_bits, c->pa_bits);
		EXPECT_EQ(c->name, fmt.canonical, 0);
		EXPECT_EQ(c->name, fmt.leaf_levels, c->leaf_levels);
		EXPECT_EQ(c->name, fmt.root_size, 4096);
		EXPECT_EQ(c->name, fmt.root_align, 4096);
		EXPECT_EQ(c->name, fmt.table_size, 4096);
		EXPECT_EQ(c->name, fmt.cfg.format, c->cfg.format);
		EXPECT_EQ(c->name, fmt.cfg.features, c->cfg.features);
		/* SDM levels count from 1 at the PTE; pages are 4 KiB << 9L. */
		for (level = 0; level < c->levels; level++) {
			EXPECT_EQ(c->name, tdp_format_arch_level(&fmt, level),
				  level + 1);
			EXPECT_EQ(c->name, tdp_format_level_shift(&fmt, level),
				  12 + 9 * level);
		}
		EXPECT_EQ(c->name, tdp_format_arch_level(&fmt, c->levels),
			  -128);
		EXPECT_EQ(c->name, tdp_format_arch_level(&fmt, -1), -128);
		EXPECT_EQ(c->name, tdp_format_level_shift(&fmt, c->levels),
			  -TDP_ERR_INVAL);
		EXPECT_EQ(c->name, tdp_format_level_shift(&fmt, -1),
			  -TDP_ERR_INVAL);
	}
	assert_int_equal(tdp_format_arch_level(NULL, 0), -128);
	assert_int_equal(tdp_format_level_shift(NULL, 0), -TDP_ERR_INVAL);
	assert_string_equal(tdp_format_name(TDP_FMT_EPT4), "ept4");
	assert_string_equal(tdp_format_name(TDP_FMT_EPT5), "ept5");
	assert_int_equal(tdp_format_from_name("ept4"), TDP_FMT_EPT4);
	assert_int_equal(tdp_format_from_name("ept5"), TDP_FMT_EPT5);
	assert_int_equal(mismatches, 0);
}

struct bad_cfg_case {
	const char *name;
	struct tdp_format_config cfg;
	int ret;
};

static const struct bad_cfg_case bad_cfg_cases[] = {
	{ "pa_bits 31", { .format = TDP_FMT_EPT4, .pa_bits = 31 },
	  -TDP_ERR_FORMAT },
	{ "pa_bits 1", { .format = TDP_FMT_EPT4, .pa_bits = 1 },
	  -TDP_ERR_FORMAT },
	{ "pa_bits 53", { .format = TDP_FMT_EPT4, .pa_bits = 53 },
	  -TDP_ERR_FORMAT },
	{ "pa_bits 64", { .format = TDP_FMT_EPT5, .pa_bits = 64 },
	  -TDP_ERR_FORMAT },
	{ "pa_bits 255", { .format = TDP_FMT_EPT5, .pa_bits = 255 },
	  -TDP_ERR_FORMAT },
	{ "ia_bits 48", { .format = TDP_FMT_EPT4, .ia_bits = 48 },
	  -TDP_ERR_FORMAT },
	{ "ia_bits 57", { .format = TDP_FMT_EPT5, .ia_bits = 57 },
	  -TDP_ERR_FORMAT },
	{ "ia_bits 39", { .format = TDP_FMT_EPT4, .ia_bits = 39 },
	  -TDP_ERR_FORMAT },
	{ "NO_NX", { .format = TDP_FMT_EPT4, .features = TDP_FEAT_NO_NX },
	  -TDP_ERR_FORMAT },
	{ "PSE", { .format = TDP_FMT_EPT5, .features = TDP_FEAT_PSE },
	  -TDP_ERR_FORMAT },
	{ "unknown feature bit 7",
	  { .format = TDP_FMT_EPT4, .features = 1u << 7 }, -TDP_ERR_INVAL },
	{ "unknown feature bit 31",
	  { .format = TDP_FMT_EPT4, .features = 1u << 31 }, -TDP_ERR_INVAL },
	{ "reserved0", { .format = TDP_FMT_EPT4, .reserved0 = 1 },
	  -TDP_ERR_INVAL },
	{ "format 0", { .format = 0 }, -TDP_ERR_FORMAT },
	{ "format 99", { .format = 99 }, -TDP_ERR_FORMAT },
};

static void test_bad_config(void **state)
{
	struct env *env = *state;
	struct tdp_format_config good = { .format = TDP_FMT_EPT4 };
	struct tdp_format fmt, before;
	struct tdp_pool_stats st;
	struct tdp_pgt pgt;
	unsigned int i;

	for (i = 0; i < sizeof(bad_cfg_cases) / sizeof(bad_cfg_cases[0]);
	     i++) {
		const struct bad_cfg_case *c = &bad_cfg_cases[i];

		memset(&fmt, 0x5a, sizeof(fmt));
		before = fmt;
		EXPECT_EQ(c->name, tdp_format_init(&fmt, &c->cfg), c->ret);
		/* A failing call changes nothing. */
		EXPECT_EQ(c->name, memcmp(&fmt, &before, sizeof(fmt)), 0);
		EXPECT_EQ(c->name,
			  tdp_pgt_init_at(&pgt, &c->cfg, &env->mm,
					  table_page[3]),
			  c->ret);
	}
	assert_int_equal(tdp_format_init(NULL, &good), -TDP_ERR_INVAL);
	assert_int_equal(tdp_format_init(&fmt, NULL), -TDP_ERR_INVAL);
	assert_int_equal(tdp_pool_get_stats(env->pool, &st), 0);
	assert_int_equal(st.allocs, 0);
	assert_int_equal(mismatches, 0);
}

/* ---- encode ------------------------------------------------------------ */

#define E4 TDP_FMT_EPT4
#define E5 TDP_FMT_EPT5
#define F_XO TDP_FEAT_EPT_EXEC_ONLY
#define F_MBEC TDP_FEAT_EPT_MBEC
#define F_SPP TDP_FEAT_EPT_SPP
#define F_NO1G TDP_FEAT_NO_1G

static const struct enc_case enc_cases[] = {
	/* Permissions: R, W, X in bits 0..2; WB = 6 in bits 5:3. */
	{ "4K R", E4, 0, 0, 0, PA_4K, { .perms = TDP_PERM_R }, 0,
	  0x12345031 },
	{ "4K RW", E4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_R | TDP_PERM_W }, 0, 0x12345033 },
	{ "4K RX", E4, 0, 0, 0, PA_4K, { .perms = RXU }, 0, 0x12345035 },
	{ "4K RWX", E4, 0, 0, 0, PA_4K, { .perms = RWXU }, 0, 0x12345037 },
	{ "4K U ignored", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU | TDP_PERM_U }, 0, 0x12345037 },
	/* Memory types: UC 0, WC 1, WT 4, WP 5, WB 6. */
	{ "4K UC", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = TDP_MT_UC }, 0, 0x12345007 },
	{ "4K WC", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = TDP_MT_WC }, 0, 0x1234500f },
	{ "4K WT", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = TDP_MT_WT }, 0, 0x12345027 },
	{ "4K WP", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = TDP_MT_WP }, 0, 0x1234502f },
	/* Flags. */
	{ "4K IPAT", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_IGNORE_PAT }, 0, 0x12345077 },
	{ "4K A", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_ACCESSED }, 0, 0x12345137 },
	{ "4K D", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_DIRTY }, 0, 0x12345237 },
	{ "4K suppress #VE", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_SUPPRESS_VE }, 0,
	  0x8000000012345037 },
	{ "4K verify guest paging", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_VERIFY_GUEST_PAGING }, 0,
	  0x0200000012345037 },
	{ "4K paging write", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_PAGING_WRITE }, 0,
	  0x0400000012345037 },
	{ "4K supervisor shadow stack", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_SUPERVISOR_SHADOW_STACK }, 0,
	  0x1000000012345037 },
	{ "4K SPP", E4, F_SPP, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_SPP }, 0, 0x2000000012345037 },
	{ "4K all flags", E4, F_SPP, 0, 0, PA_4K,
	  { .perms = RWXU,
	    .flags = TDP_ATTR_IGNORE_PAT | TDP_ATTR_ACCESSED |
		     TDP_ATTR_DIRTY | TDP_ATTR_SUPPRESS_VE | TDP_ATTR_SPP |
		     TDP_ATTR_VERIFY_GUEST_PAGING | TDP_ATTR_PAGING_WRITE |
		     TDP_ATTR_SUPERVISOR_SHADOW_STACK },
	  0, 0xb600000012345377 },
	/* Software bits: sw 0 -> bit 11, sw 1..5 -> bits 52..56. */
	{ "4K sw0", E4, 0, 0, 0, PA_4K, { .perms = RWXU, .sw = 0x1 }, 0,
	  0x12345837 },
	{ "4K sw1", E4, 0, 0, 0, PA_4K, { .perms = RWXU, .sw = 0x2 }, 0,
	  0x0010000012345037 },
	{ "4K sw5", E4, 0, 0, 0, PA_4K, { .perms = RWXU, .sw = 0x20 }, 0,
	  0x0100000012345037 },
	{ "4K sw all", E4, 0, 0, 0, PA_4K, { .perms = RWXU, .sw = 0x3f }, 0,
	  0x01f0000012345837 },
	/* Large leaves carry bit 7. */
	{ "2M RWX", E4, 0, 0, 1, PA_2M, { .perms = RWXU }, 0, 0x122000b7 },
	{ "2M R UC A D", E4, 0, 0, 1, PA_2M,
	  { .perms = TDP_PERM_R, .memtype = TDP_MT_UC,
	    .flags = TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY }, 0, 0x12200381 },
	{ "1G RWX", E4, 0, 0, 2, PA_1G, { .perms = RWXU }, 0, 0x1400000b7 },
	{ "1G WT sw", E4, 0, 0, 2, PA_1G,
	  { .perms = RXU, .memtype = TDP_MT_WT, .sw = 0x21 }, 0,
	  0x01000001400008a5 },
	{ "ept5 1G", E5, 0, 0, 2, PA_1G, { .perms = RWXU }, 0,
	  0x1400000b7 },
	{ "ept5 4K top pa", E5, 0, 0, 0, 0x000ffffffffff000ull,
	  { .perms = RWXU }, 0, 0x000ffffffffff037ull },
	/* MBEC: X is supervisor execute (bit 2), XU user execute (bit 10). */
	{ "MBEC R X", E4, F_MBEC, 0, 0, PA_4K,
	  { .perms = TDP_PERM_R | TDP_PERM_X }, 0, 0x12345035 },
	{ "MBEC R XU", E4, F_MBEC, 0, 0, PA_4K,
	  { .perms = TDP_PERM_R | TDP_PERM_XU }, 0, 0x12345431 },
	{ "MBEC RWX XU", E4, F_MBEC, 0, 0, PA_4K, { .perms = RWXU }, 0,
	  0x12345437 },
	{ "MBEC 2M R", E4, F_MBEC, 0, 1, PA_2M, { .perms = TDP_PERM_R }, 0,
	  0x122000b1 },
	/* Execute-only with the capability. */
	{ "exec-only", E4, F_XO, 0, 0, PA_4K,
	  { .perms = TDP_PERM_X | TDP_PERM_XU }, 0, 0x12345034 },
	{ "exec-only MBEC user", E4, F_XO | F_MBEC, 0, 0, PA_4K,
	  { .perms = TDP_PERM_XU }, 0, 0x12345430 },
	/* Address width. */
	{ "pa36 top", E4, 0, 36, 0, 0xffffff000ull, { .perms = RWXU }, 0,
	  0xffffff037ull },
	{ "pa36 bit 36", E4, 0, 36, 0, BIT(36), { .perms = RWXU },
	  -TDP_ERR_RANGE, 0 },
	{ "pa52 bit 52", E4, 0, 0, 0, BIT(52), { .perms = RWXU },
	  -TDP_ERR_RANGE, 0 },
	{ "pa39 2M bit 40", E5, 0, 39, 1, BIT(40), { .perms = RWXU },
	  -TDP_ERR_RANGE, 0 },
	/* Alignment. */
	{ "4K misaligned", E4, 0, 0, 0, PA_4K + 0x800, { .perms = RWXU },
	  -TDP_ERR_ALIGN, 0 },
	{ "2M misaligned", E4, 0, 0, 1, PA_2M + 0x1000, { .perms = RWXU },
	  -TDP_ERR_ALIGN, 0 },
	{ "1G misaligned", E4, 0, 0, 2, PA_1G + PA_2M, { .perms = RWXU },
	  -TDP_ERR_ALIGN, 0 },
	/* Levels. */
	{ "leaf at PML4E", E4, 0, 0, 3, 0, { .perms = RWXU },
	  -TDP_ERR_NOTSUP, 0 },
	{ "leaf at PML5E", E5, 0, 0, 4, 0, { .perms = RWXU },
	  -TDP_ERR_NOTSUP, 0 },
	{ "1G with NO_1G", E4, F_NO1G, 0, 2, PA_1G, { .perms = RWXU },
	  -TDP_ERR_NOTSUP, 0 },
	{ "level 4 on ept4", E4, 0, 0, 4, 0, { .perms = RWXU },
	  -TDP_ERR_INVAL, 0 },
	{ "level 5 on ept5", E5, 0, 0, 5, 0, { .perms = RWXU },
	  -TDP_ERR_INVAL, 0 },
	{ "level -1", E4, 0, 0, -1, 0, { .perms = RWXU }, -TDP_ERR_INVAL,
	  0 },
	/* Unknown bits. */
	{ "unknown perm", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU | (1u << 5) }, -TDP_ERR_INVAL, 0 },
	{ "unknown flag", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = 1u << 20 }, -TDP_ERR_INVAL, 0 },
	{ "unknown flag 31", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = 1u << 31 }, -TDP_ERR_INVAL, 0 },
	/* Permission combinations EPT cannot express. */
	{ "no permission", E4, 0, 0, 0, PA_4K, { .perms = 0 },
	  -TDP_ERR_NOTSUP, 0 },
	{ "W only", E4, 0, 0, 0, PA_4K, { .perms = TDP_PERM_W },
	  -TDP_ERR_NOTSUP, 0 },
	{ "W X", E4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_W | TDP_PERM_X | TDP_PERM_XU },
	  -TDP_ERR_NOTSUP, 0 },
	{ "W X with exec-only", E4, F_XO, 0, 0, PA_4K,
	  { .perms = TDP_PERM_W | TDP_PERM_X | TDP_PERM_XU },
	  -TDP_ERR_NOTSUP, 0 },
	{ "exec-only without cap", E4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_X | TDP_PERM_XU }, -TDP_ERR_NOTSUP, 0 },
	{ "X without XU", E4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_R | TDP_PERM_X }, -TDP_ERR_NOTSUP, 0 },
	{ "XU without X", E4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_R | TDP_PERM_XU }, -TDP_ERR_NOTSUP, 0 },
	{ "U only", E4, 0, 0, 0, PA_4K, { .perms = TDP_PERM_U },
	  -TDP_ERR_NOTSUP, 0 },
	/* Memory types EPT has no encoding for. */
	{ "UC-", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = TDP_MT_UC_MINUS }, -TDP_ERR_NOTSUP, 0 },
	{ "NC", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = TDP_MT_NC }, -TDP_ERR_NOTSUP, 0 },
	{ "device", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = TDP_MT_DEV_NGNRNE }, -TDP_ERR_NOTSUP,
	  0 },
	{ "memtype DEV_GRE", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = TDP_MT_DEV_GRE }, -TDP_ERR_NOTSUP, 0 },
	/* Not a tdp_memtype at all: an invalid value, not a missing feature. */
	{ "memtype 11", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = TDP_MT_DEV_GRE + 1 }, -TDP_ERR_INVAL,
	  0 },
	{ "memtype 200", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .memtype = 200 }, -TDP_ERR_INVAL, 0 },
	{ "shareability 4", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .shareability = TDP_SH_INNER + 1 },
	  -TDP_ERR_INVAL, 0 },
	/* Attributes of other formats. */
	{ "DBM", E4, 0, 0, 0, PA_4K, { .perms = RWXU, .flags = TDP_ATTR_DBM },
	  -TDP_ERR_NOTSUP, 0 },
	{ "CONTIGUOUS", E4, 0, 0, 1, PA_2M,
	  { .perms = RWXU, .flags = TDP_ATTR_CONTIGUOUS }, -TDP_ERR_NOTSUP,
	  0 },
	{ "GLOBAL", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_GLOBAL }, -TDP_ERR_NOTSUP, 0 },
	{ "PAT_INDEX", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_PAT_INDEX }, -TDP_ERR_NOTSUP,
	  0 },
	{ "SPP without feature", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .flags = TDP_ATTR_SPP }, -TDP_ERR_NOTSUP, 0 },
	{ "SPP on 2M", E4, F_SPP, 0, 1, PA_2M,
	  { .perms = RWXU, .flags = TDP_ATTR_SPP }, -TDP_ERR_NOTSUP, 0 },
	{ "pkey", E4, 0, 0, 0, PA_4K, { .perms = RWXU, .pkey = 1 },
	  -TDP_ERR_NOTSUP, 0 },
	{ "subpage_write", E4, 0, 0, 0, PA_4K,
	  { .perms = RWXU, .subpage_write = 1 }, -TDP_ERR_NOTSUP, 0 },
	{ "sw 64", E4, 0, 0, 0, PA_4K, { .perms = RWXU, .sw = 64 },
	  -TDP_ERR_INVAL, 0 },
};

static void test_encode(void **state)
{
	const struct tdp_attrs a = { .perms = RWXU };

	(void)state;
	expect_encodings(enc_cases, sizeof(enc_cases) / sizeof(enc_cases[0]),
			 E4, &a);
	assert_int_equal(mismatches, 0);
}

/* ---- decode ------------------------------------------------------------ */

struct dec_case {
	const char *name;
	uint32_t format;
	uint32_t features;
	uint8_t pa_bits;
	int level;
	uint64_t raw;
	int ret;
	uint64_t pa;
	uint32_t perms;
	uint32_t flags;
	uint8_t memtype;
	uint32_t sw;
	/* @raw is exactly what encoding the decoded attributes gives. */
	bool canonical;
};

/* An ept4 entry that does not decode. */
#define DEC_ERR(name, level, raw, ret)                                        \
	{ name, E4, 0, 0, level, raw, ret, 0, 0, 0, 0, 0, false }

static const struct dec_case dec_cases[] = {
	{ "4K RWX WB", E4, 0, 0, 0, 0x12345037, 0, PA_4K, RWXU, 0,
	  TDP_MT_WB, 0, true },
	{ "4K R", E4, 0, 0, 0, 0x12345031, 0, PA_4K, TDP_PERM_R, 0,
	  TDP_MT_WB, 0, true },
	{ "4K RW", E4, 0, 0, 0, 0x12345033, 0, PA_4K,
	  TDP_PERM_R | TDP_PERM_W, 0, TDP_MT_WB, 0, true },
	{ "4K RX", E4, 0, 0, 0, 0x12345035, 0, PA_4K, RXU, 0, TDP_MT_WB, 0,
	  true },
	{ "4K UC", E4, 0, 0, 0, 0x12345007, 0, PA_4K, RWXU, 0, TDP_MT_UC, 0,
	  true },
	{ "4K WC", E4, 0, 0, 0, 0x1234500f, 0, PA_4K, RWXU, 0, TDP_MT_WC, 0,
	  true },
	{ "4K WT", E4, 0, 0, 0, 0x12345027, 0, PA_4K, RWXU, 0, TDP_MT_WT, 0,
	  true },
	{ "4K WP", E4, 0, 0, 0, 0x1234502f, 0, PA_4K, RWXU, 0, TDP_MT_WP, 0,
	  true },
	{ "4K IPAT", E4, 0, 0, 0, 0x12345077, 0, PA_4K, RWXU,
	  TDP_ATTR_IGNORE_PAT, TDP_MT_WB, 0, true },
	{ "4K A", E4, 0, 0, 0, 0x12345137, 0, PA_4K, RWXU,
	  TDP_ATTR_ACCESSED, TDP_MT_WB, 0, true },
	{ "4K D", E4, 0, 0, 0, 0x12345237, 0, PA_4K, RWXU, TDP_ATTR_DIRTY,
	  TDP_MT_WB, 0, true },
	{ "4K bit 57", E4, 0, 0, 0, 0x0200000012345037, 0, PA_4K, RWXU,
	  TDP_ATTR_VERIFY_GUEST_PAGING, TDP_MT_WB, 0, true },
	{ "4K bit 58", E4, 0, 0, 0, 0x0400000012345037, 0, PA_4K, RWXU,
	  TDP_ATTR_PAGING_WRITE, TDP_MT_WB, 0, true },
	{ "4K bit 60", E4, 0, 0, 0, 0x1000000012345037, 0, PA_4K, RWXU,
	  TDP_ATTR_SUPERVISOR_SHADOW_STACK, TDP_MT_WB, 0, true },
	{ "4K SPP", E4, F_SPP, 0, 0, 0x2000000012345037, 0, PA_4K, RWXU,
	  TDP_ATTR_SPP, TDP_MT_WB, 0, true },
	/* Without the SPP control, bit 61 means nothing. */
	{ "4K bit 61 without SPP", E4, 0, 0, 0, 0x2000000012345037, 0, PA_4K,
	  RWXU, 0, TDP_MT_WB, 0, false },
	{ "2M bit 61 with SPP", E4, F_SPP, 0, 1, 0x20000000122000b7, 0,
	  PA_2M, RWXU, 0, TDP_MT_WB, 0, false },
	{ "4K suppress #VE", E4, 0, 0, 0, 0x8000000012345037, 0, PA_4K, RWXU,
	  TDP_ATTR_SUPPRESS_VE, TDP_MT_WB, 0, true },
	{ "4K sw bit 11", E4, 0, 0, 0, 0x12345837, 0, PA_4K, RWXU, 0,
	  TDP_MT_WB, 0x1, true },
	{ "4K sw bit 52", E4, 0, 0, 0, 0x0010000012345037, 0, PA_4K, RWXU, 0,
	  TDP_MT_WB, 0x2, true },
	{ "4K sw bit 56", E4, 0, 0, 0, 0x0100000012345037, 0, PA_4K, RWXU, 0,
	  TDP_MT_WB, 0x20, true },
	{ "4K everything", E4, F_SPP, 0, 0, 0xb7f0000012345b77, 0, PA_4K,
	  RWXU,
	  TDP_ATTR_IGNORE_PAT | TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY |
	  TDP_ATTR_SUPPRESS_VE | TDP_ATTR_SPP | TDP_ATTR_VERIFY_GUEST_PAGING |
	  TDP_ATTR_PAGING_WRITE | TDP_ATTR_SUPERVISOR_SHADOW_STACK,
	  TDP_MT_WB, 0x3f, true },
	/* Bit 7 of a PTE is ignored. */
	{ "4K bit 7 ignored", E4, 0, 0, 0, 0x123450b7, 0, PA_4K, RWXU, 0,
	  TDP_MT_WB, 0, false },
	{ "2M", E4, 0, 0, 1, 0x122000b7, 0, PA_2M, RWXU, 0, TDP_MT_WB, 0,
	  true },
	{ "2M R UC A D", E4, 0, 0, 1, 0x12200381, 0, PA_2M, TDP_PERM_R,
	  TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY, TDP_MT_UC, 0, true },
	{ "1G", E4, 0, 0, 2, 0x1400000b7, 0, PA_1G, RWXU, 0, TDP_MT_WB, 0,
	  true },
	{ "1G WP sw", E5, 0, 0, 2, 0x01100001400008af, 0, PA_1G, RWXU, 0,
	  TDP_MT_WP, 0x23, true },
	/* MBEC splits execute. */
	{ "MBEC X only supervisor", E4, F_MBEC, 0, 0, 0x12345035, 0, PA_4K,
	  TDP_PERM_R | TDP_PERM_X, 0, TDP_MT_WB, 0, true },
	{ "MBEC XU", E4, F_MBEC, 0, 0, 0x12345431, 0, PA_4K,
	  TDP_PERM_R | TDP_PERM_XU, 0, TDP_MT_WB, 0, true },
	{ "MBEC both", E4, F_MBEC, 0, 0, 0x12345437, 0, PA_4K, RWXU, 0,
	  TDP_MT_WB, 0, true },
	/* Without MBEC bit 10 is ignored. */
	{ "bit 10 without MBEC", E4, 0, 0, 0, 0x12345431, 0, PA_4K,
	  TDP_PERM_R, 0, TDP_MT_WB, 0, false },
	{ "exec-only", E4, F_XO, 0, 0, 0x12345034, 0, PA_4K,
	  TDP_PERM_X | TDP_PERM_XU, 0, TDP_MT_WB, 0, true },
	{ "MBEC user exec-only", E4, F_XO | F_MBEC, 0, 0, 0x12345430, 0,
	  PA_4K, TDP_PERM_XU, 0, TDP_MT_WB, 0, true },
	/* Output address bits (pa_bits-1):12. */
	{ "pa36 top", E4, 0, 36, 0, 0xffffff037, 0, 0xffffff000ull, RWXU, 0,
	  TDP_MT_WB, 0, true },
	{ "pa52 top", E5, 0, 0, 0, 0x000ffffffffff037, 0, 0xffffffffff000ull,
	  RWXU, 0, TDP_MT_WB, 0, true },
	{ "pa46 2M top", E4, 0, 46, 1, 0x00003fffffe000b7, 0,
	  0x3fffffe00000ull, RWXU, 0, TDP_MT_WB, 0, true },
	/* Not a valid leaf. */
	DEC_ERR("not present", 0, 0, -TDP_ERR_NOENT),
	DEC_ERR("not present garbage", 0, 0xfffffffffffffff8,
		-TDP_ERR_NOENT),
	DEC_ERR("table", 1, PA_TBL | EPT_RWX, -TDP_ERR_NOENT),
	DEC_ERR("memtype 2", 0, PA_4K | EPT_RWX | EPT_MT(2), -TDP_ERR_NOENT),
	DEC_ERR("W only", 0, PA_4K | EPT_W | EPT_MT(SDM_WB), -TDP_ERR_NOENT),
	DEC_ERR("2M misaligned", 1, 0x12201000 | EPT_PS | LEAF_WB,
		-TDP_ERR_NOENT),
	DEC_ERR("PML4E with PS", 3, PA_1G | EPT_PS | LEAF_WB,
		-TDP_ERR_NOENT),
	DEC_ERR("level 4 on ept4", 4, PA_4K | LEAF_WB, -TDP_ERR_INVAL),
	DEC_ERR("level -1", -1, PA_4K | LEAF_WB, -TDP_ERR_INVAL),
};

static void test_decode(void **state)
{
	const uint64_t sentinel = 0xdeadbeefcafef00dull;
	struct tdp_attrs attrs, before;
	struct tdp_format fmt;
	uint64_t pa, raw;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++) {
		const struct dec_case *c = &dec_cases[i];
		int ret;

		init_fmt(&fmt, c->format, c->features, c->pa_bits);
		/* Garbage in: decode must set every field it reports. */
		memset(&attrs, 0xa5, sizeof(attrs));
		before = attrs;
		pa = sentinel;
		ret = tdp_entry_decode_leaf(&fmt, c->level, c->raw, &pa,
					    &attrs);
		EXPECT_EQ(c->name, ret, c->ret);
		if (c->ret) {
			EXPECT_EQ(c->name, pa, sentinel);
			EXPECT_EQ(c->name,
				  memcmp(&attrs, &before, sizeof(attrs)), 0);
			continue;
		}
		EXPECT_EQ(c->name, pa, c->pa);
		EXPECT_EQ(c->name, attrs.perms, c->perms);
		EXPECT_EQ(c->name, attrs.flags, c->flags);
		EXPECT_EQ(c->name, attrs.memtype, c->memtype);
		EXPECT_EQ(c->name, attrs.sw, c->sw);
		EXPECT_EQ(c->name, attrs.pkey, 0);
		/* EPT entries hold no shareability. */
		EXPECT_EQ(c->name, attrs.shareability, TDP_SH_DEFAULT);
		EXPECT_EQ(c->name, attrs.subpage_write, 0);
		EXPECT_EQ(c->name, tdp_entry_classify(&fmt, c->level, c->raw),
			  TDP_ENTRY_LEAF);
		/* NULL outputs are allowed. */
		EXPECT_EQ(c->name,
			  tdp_entry_decode_leaf(&fmt, c->level, c->raw, NULL,
						NULL),
			  0);
		if (!c->canonical)
			continue;
		EXPECT_EQ(c->name,
			  tdp_entry_encode_leaf(&fmt, c->level, pa, &attrs,
						&raw),
			  0);
		EXPECT_EQ(c->name, raw, c->raw);
	}
	assert_int_equal(tdp_entry_decode_leaf(NULL, 0, 0x12345037, &pa,
					       &attrs),
			 -TDP_ERR_INVAL);
	assert_int_equal(mismatches, 0);
}

/* ---- classification and lookups of malformed entries ----------------- */

struct kind_case {
	const char *name;
	uint32_t format;
	uint32_t features;
	uint8_t pa_bits;
	int level;
	uint64_t raw;
	int kind;
};

static const struct kind_case kind_cases[] = {
	{ "PTE zero", E4, 0, 0, 0, 0, TDP_ENTRY_INVALID },
	/* Present means one of bits 2:0; everything else is ignored. */
	{ "PTE garbage, XWR 000", E4, 0, 0, 0, 0xfffffffffffffff8,
	  TDP_ENTRY_INVALID },
	{ "PDE PS only", E4, 0, 0, 1, EPT_PS | EPT_MT(7), TDP_ENTRY_INVALID },
	{ "PML4E bit 10 without MBEC", E4, 0, 0, 3, PA_TBL | EPT_XU,
	  TDP_ENTRY_INVALID },
	{ "PTE", E4, 0, 0, 0, PA_4K | LEAF_WB, TDP_ENTRY_LEAF },
	{ "PTE R", E4, 0, 0, 0, PA_4K | EPT_R, TDP_ENTRY_LEAF },
	{ "PTE bit 7", E4, 0, 0, 0, PA_4K | LEAF_WB | EPT_PS, TDP_ENTRY_LEAF },
	{ "PTE WC", E4, 0, 0, 0, PA_4K | EPT_RWX | EPT_MT(SDM_WC),
	  TDP_ENTRY_LEAF },
	{ "PTE WT", E4, 0, 0, 0, PA_4K | EPT_RWX | EPT_MT(SDM_WT),
	  TDP_ENTRY_LEAF },
	{ "PTE WP", E4, 0, 0, 0, PA_4K | EPT_RWX | EPT_MT(SDM_WP),
	  TDP_ENTRY_LEAF },
	{ "PTE ignored high bits", E4, 0, 0, 0,
	  PA_4K | LEAF_WB | BIT(59) | BIT(62), TDP_ENTRY_LEAF },
	{ "PDE table", E4, 0, 0, 1, PA_TBL | EPT_RWX, TDP_ENTRY_TABLE },
	{ "PDE table R", E4, 0, 0, 1, PA_TBL | EPT_R, TDP_ENTRY_TABLE },
	{ "PDE table RW", E4, 0, 0, 1, PA_TBL | EPT_R | EPT_W,
	  TDP_ENTRY_TABLE },
	{ "PDE table ignored bits", E4, 0, 0, 1,
	  PA_TBL | EPT_RWX | 0xf00 | BIT(52) | BIT(62) | BIT(63),
	  TDP_ENTRY_TABLE },
	{ "PDE 2M", E4, 0, 0, 1, PA_2M | EPT_PS | LEAF_WB, TDP_ENTRY_LEAF },
	{ "PDPTE table", E4, 0, 0, 2, PA_TBL | EPT_RWX, TDP_ENTRY_TABLE },
	{ "PDPTE 1G", E4, 0, 0, 2, PA_1G | EPT_PS | LEAF_WB, TDP_ENTRY_LEAF },
	{ "PDPTE table NO_1G", E4, F_NO1G, 0, 2, PA_TBL | EPT_RWX,
	  TDP_ENTRY_TABLE },
	{ "PML4E table", E4, 0, 0, 3, PA_TBL | EPT_RWX, TDP_ENTRY_TABLE },
	{ "PML5E table", E5, 0, 0, 4, PA_TBL | EPT_RWX, TDP_ENTRY_TABLE },
	{ "exec-only PTE", E4, F_XO, 0, 0, PA_4K | EPT_X | EPT_MT(SDM_WB),
	  TDP_ENTRY_LEAF },
	{ "exec-only PML4E", E4, F_XO, 0, 3, PA_TBL | EPT_X,
	  TDP_ENTRY_TABLE },
	{ "MBEC R XU", E4, F_MBEC, 0, 0, PA_4K | EPT_R | EPT_XU | EPT_MT(6),
	  TDP_ENTRY_LEAF },
	/* With MBEC bit 10 alone makes an entry present (user exec-only). */
	{ "MBEC exec-only PTE XU only", E4, F_MBEC | F_XO, 0, 0,
	  PA_4K | EPT_XU | EPT_MT(SDM_WB), TDP_ENTRY_LEAF },
	{ "MBEC exec-only PDE table XU only", E5, F_MBEC | F_XO, 0, 1,
	  PA_TBL | EPT_XU, TDP_ENTRY_TABLE },
	{ "pa36 bit 35", E4, 0, 36, 0, BIT(35) | LEAF_WB, TDP_ENTRY_LEAF },
	{ "pa52 bit 51", E4, 0, 0, 0, BIT(51) | LEAF_WB, TDP_ENTRY_LEAF },
	{ "pa39 table bit 38", E5, 0, 39, 4, BIT(38) | EPT_RWX,
	  TDP_ENTRY_TABLE },
};

static void test_classify(void **state)
{
	struct tdp_format fmt;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		const struct kind_case *c = &kind_cases[i];

		init_fmt(&fmt, c->format, c->features, c->pa_bits);
		EXPECT_EQ(c->name, tdp_entry_classify(&fmt, c->level, c->raw),
			  c->kind);
	}
	init_fmt(&fmt, E4, 0, 0);
	assert_int_equal(tdp_entry_classify(&fmt, 4, PA_TBL | EPT_RWX),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_entry_classify(&fmt, -1, PA_TBL | EPT_RWX),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_entry_classify(NULL, 0, PA_4K | LEAF_WB),
			 -TDP_ERR_INVAL);
	assert_int_equal(mismatches, 0);
}

/* A malformed entry: classify says RESERVED, a lookup MISCONFIG. */
#define D_RSVD TDP_DETAIL_RESERVED_BIT
#define D_PA TDP_DETAIL_PA_WIDTH
#define D_WNR TDP_DETAIL_WRITE_NO_READ
#define D_XO TDP_DETAIL_EXEC_ONLY
#define D_MT TDP_DETAIL_MEMTYPE
#define D_LVL TDP_DETAIL_LEAF_LEVEL
#define D_ALIGN TDP_DETAIL_LEAF_ALIGN

static const struct bad_case bad_cases[] = {
	/* XWR = 010 or 110, leaf or table, any level. */
	{ "PTE W", E4, 0, 0, 0, PA_4K | EPT_W | EPT_MT(SDM_WB), D_WNR },
	{ "PTE WX", E4, 0, 0, 0, PA_4K | EPT_W | EPT_X | EPT_MT(SDM_WB),
	  D_WNR },
	{ "PTE WX with exec-only", E4, F_XO, 0, 0,
	  PA_4K | EPT_W | EPT_X | EPT_MT(SDM_WB), D_WNR },
	{ "2M W", E4, 0, 0, 1, PA_2M | EPT_PS | EPT_W | EPT_MT(SDM_WB),
	  D_WNR },
	{ "1G WX", E4, 0, 0, 2, PA_1G | EPT_PS | EPT_W | EPT_X, D_WNR },
	{ "PDE table W", E4, 0, 0, 1, PA_TBL | EPT_W, D_WNR },
	{ "PDPTE table WX", E4, 0, 0, 2, PA_TBL | EPT_W | EPT_X, D_WNR },
	{ "PML4E table W", E4, 0, 0, 3, PA_TBL | EPT_W, D_WNR },
	{ "PML5E table WX", E5, 0, 0, 4, PA_TBL | EPT_W | EPT_X, D_WNR },
	{ "MBEC PTE W XU", E4, F_MBEC, 0, 0,
	  PA_4K | EPT_W | EPT_XU | EPT_MT(SDM_WB), D_WNR },
	/* XWR = 100 without the execute-only capability. */
	{ "PTE X", E4, 0, 0, 0, PA_4K | EPT_X | EPT_MT(SDM_WB), D_XO },
	{ "2M X", E4, 0, 0, 1, PA_2M | EPT_PS | EPT_X | EPT_MT(SDM_WB),
	  D_XO },
	{ "1G X", E5, 0, 0, 2, PA_1G | EPT_PS | EPT_X | EPT_MT(SDM_WB),
	  D_XO },
	{ "PDE table X", E4, 0, 0, 1, PA_TBL | EPT_X, D_XO },
	{ "PML4E table X", E4, 0, 0, 3, PA_TBL | EPT_X, D_XO },
	{ "PML5E table X", E5, 0, 0, 4, PA_TBL | EPT_X, D_XO },
	/* Leaf memory types 2, 3 and 7. */
	{ "PTE memtype 2", E4, 0, 0, 0, PA_4K | EPT_RWX | EPT_MT(2), D_MT },
	{ "PTE memtype 3", E4, 0, 0, 0, PA_4K | EPT_RWX | EPT_MT(3), D_MT },
	{ "PTE memtype 7", E4, 0, 0, 0, PA_4K | EPT_RWX | EPT_MT(7), D_MT },
	{ "2M memtype 3", E4, 0, 0, 1, PA_2M | EPT_PS | EPT_R | EPT_MT(3),
	  D_MT },
	{ "1G memtype 7", E4, 0, 0, 2, PA_1G | EPT_PS | EPT_RWX | EPT_MT(7),
	  D_MT },
	{ "ept5 2M memtype 2", E5, 0, 0, 1,
	  PA_2M | EPT_PS | EPT_RWX | EPT_MT(2), D_MT },
	/* Address bits at or above pa_bits. */
	{ "pa36 PTE bit 36", E4, 0, 36, 0, BIT(36) | PA_4K | LEAF_WB, D_PA },
	{ "pa36 PTE bit 51", E4, 0, 36, 0, BIT(51) | PA_4K | LEAF_WB, D_PA },
	{ "pa39 PML4E bit 39", E4, 0, 39, 3, BIT(39) | PA_TBL | EPT_RWX,
	  D_PA },
	{ "pa46 2M bit 51", E4, 0, 46, 1, BIT(51) | PA_2M | EPT_PS | LEAF_WB,
	  D_PA },
	{ "pa46 1G bit 46", E4, 0, 46, 2, BIT(46) | PA_1G | EPT_PS | LEAF_WB,
	  D_PA },
	{ "pa32 PDPTE table bit 32", E4, 0, 32, 2, BIT(32) | PA_TBL | EPT_R,
	  D_PA },
	{ "pa39 PML5E bit 45", E5, 0, 39, 4, BIT(45) | PA_TBL | EPT_RWX,
	  D_PA },
	{ "pa46 PDE table bit 47", E5, 0, 46, 1, BIT(47) | PA_TBL | EPT_RWX,
	  D_PA },
	/* Bits 6:3 of table entries. */
	{ "PDE table bit 3", E4, 0, 0, 1, PA_TBL | EPT_RWX | BIT(3), D_RSVD },
	{ "PDPTE table bit 4", E4, 0, 0, 2, PA_TBL | EPT_RWX | BIT(4),
	  D_RSVD },
	{ "PML4E table bit 5", E4, 0, 0, 3, PA_TBL | EPT_RWX | BIT(5),
	  D_RSVD },
	{ "PML4E table bit 6", E4, 0, 0, 3, PA_TBL | EPT_RWX | BIT(6),
	  D_RSVD },
	{ "PML5E table bit 6", E5, 0, 0, 4, PA_TBL | EPT_R | BIT(6), D_RSVD },
	{ "PDE table bits 6:3", E5, 0, 0, 1, PA_TBL | EPT_RWX | 0x78, D_RSVD },
	{ "NO_1G PDPTE table bit 5", E4, F_NO1G, 0, 2,
	  PA_TBL | EPT_RWX | BIT(5), D_RSVD },
	/* A leaf where none may be. */
	{ "PML4E PS", E4, 0, 0, 3, PA_TBL | EPT_RWX | EPT_PS, D_LVL },
	{ "PML4E 512G-looking leaf", E4, 0, 0, 3,
	  PA_1G | EPT_PS | LEAF_WB, D_LVL },
	{ "PML5E PS", E5, 0, 0, 4, PA_TBL | EPT_RWX | EPT_PS, D_LVL },
	{ "1G with NO_1G", E4, F_NO1G, 0, 2, PA_1G | EPT_PS | LEAF_WB,
	  D_LVL },
	{ "ept5 1G with NO_1G", E5, F_NO1G, 0, 2, PA_1G | EPT_PS | LEAF_WB,
	  D_LVL },
	/* Low address bits of large pages. */
	{ "2M bit 12", E4, 0, 0, 1, PA_2M | BIT(12) | EPT_PS | LEAF_WB,
	  D_ALIGN },
	{ "2M bit 20", E4, 0, 0, 1, PA_2M | BIT(20) | EPT_PS | LEAF_WB,
	  D_ALIGN },
	{ "1G bit 12", E4, 0, 0, 2, PA_1G | BIT(12) | EPT_PS | LEAF_WB,
	  D_ALIGN },
	{ "1G bit 21", E4, 0, 0, 2, PA_1G | BIT(21) | EPT_PS | LEAF_WB,
	  D_ALIGN },
	{ "1G bit 29", E5, 0, 0, 2, PA_1G | BIT(29) | EPT_PS | LEAF_WB,
	  D_ALIGN },
	/*
	 * Precedence: LEAF_LEVEL, PA_WIDTH, WRITE_NO_READ, EXEC_ONLY,
	 * MEMTYPE, LEAF_ALIGN, RESERVED_BIT.
	 */
	{ "PML4E PS + W only", E4, 0, 0, 3, PA_TBL | EPT_W | EPT_PS, D_LVL },
	{ "PML4E PS + pa40 bit 40", E4, 0, 40, 3,
	  BIT(40) | PA_TBL | EPT_RWX | EPT_PS, D_LVL },
	{ "NO_1G 1G + memtype 7", E4, F_NO1G, 0, 2,
	  PA_1G | EPT_PS | EPT_RWX | EPT_MT(7), D_LVL },
	{ "pa36 PTE bit 36 + W only", E4, 0, 36, 0,
	  BIT(36) | PA_4K | EPT_W | EPT_MT(SDM_WB), D_PA },
	{ "pa36 PDE table bit 40 + W + bit 3", E4, 0, 36, 1,
	  BIT(40) | PA_TBL | EPT_W | BIT(3), D_PA },
	{ "pa36 2M bit 36 + bit 12", E4, 0, 36, 1,
	  BIT(36) | PA_2M | BIT(12) | EPT_PS | LEAF_WB, D_PA },
	{ "PTE W + memtype 7", E4, 0, 0, 0, PA_4K | EPT_W | EPT_MT(7),
	  D_WNR },
	{ "PDE table W + bit 4", E4, 0, 0, 1, PA_TBL | EPT_W | BIT(4),
	  D_WNR },
	{ "2M W + bit 13", E4, 0, 0, 1,
	  PA_2M | BIT(13) | EPT_PS | EPT_W | EPT_MT(SDM_WB), D_WNR },
	{ "PTE X + memtype 2", E4, 0, 0, 0, PA_4K | EPT_X | EPT_MT(2), D_XO },
	{ "PDPTE table X + bit 5", E4, 0, 0, 2, PA_TBL | EPT_X | BIT(5),
	  D_XO },
	{ "1G X + bit 20", E4, 0, 0, 2,
	  PA_1G | BIT(20) | EPT_PS | EPT_X | EPT_MT(SDM_WB), D_XO },
	{ "2M memtype 3 + bit 13", E4, 0, 0, 1,
	  PA_2M | BIT(13) | EPT_PS | EPT_RWX | EPT_MT(3), D_MT },
};

static void test_malformed(void **state)
{
	unsigned int i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		/* Distinct indexes at every level, bits 56:48 included. */
		uint64_t addr = c->format == E5 ? 0x00a73ec9c5a73123ull :
						  0x00003ec9c5a73123ull;

		expect_malformed(*state, c, addr, TDP_FAULT_MISCONFIG);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- successful lookups ------------------------------------------------ */

struct walk_case {
	const char *name;
	uint32_t format;
	uint32_t features;
	uint8_t pa_bits;
	uint64_t addr;
	int leaf_level;
	uint64_t leaf;
	/* Table entries' low bits per level; 0 means R|W|X. */
	uint64_t tbits[5];
	uint64_t out_addr;
	uint64_t page_size;
	uint32_t perms;		/* effective: AND over the walk */
	uint32_t leaf_perms;	/* the leaf's own, in attrs */
	uint8_t memtype;
	uint32_t flags;
	uint32_t sw;
};

static const struct walk_case walk_cases[] = {
	{ "ept4 4K", E4, 0, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | LEAF_WB, { 0 }, 0xabcdeabc, 0x1000, RWXU, RWXU,
	  TDP_MT_WB, 0, 0 },
	{ "ept4 2M", E4, 0, 0, 0x0000004012345678ull, 1,
	  0x80200000 | EPT_PS | LEAF_WB, { 0 }, 0x80345678, 0x200000, RWXU,
	  RWXU, TDP_MT_WB, 0, 0 },
	{ "ept4 1G", E4, 0, 0, 0x00000123456789abull, 2,
	  0x140000000 | EPT_PS | LEAF_WB, { 0 }, 0x1456789ab, 0x40000000,
	  RWXU, RWXU, TDP_MT_WB, 0, 0 },
	{ "ept4 address 0", E4, 0, 0, 0, 0, 0x5000 | LEAF_WB, { 0 }, 0x5000,
	  0x1000, RWXU, RWXU, TDP_MT_WB, 0, 0 },
	{ "ept4 last address", E4, 0, 0, 0x0000ffffffffffffull, 0,
	  0x5000 | EPT_R | EPT_MT(SDM_UC), { 0 }, 0x5fff, 0x1000,
	  TDP_PERM_R, TDP_PERM_R, TDP_MT_UC, 0, 0 },
	/* PML5 index 0xff, PML4 index 0x100. */
	{ "ept5 4K high", E5, 0, 0, 0x00ff800012345abcull, 0,
	  0x000ffffffffff000ull | LEAF_WB, { 0 }, 0x000ffffffffffabcull,
	  0x1000, RWXU, RWXU, TDP_MT_WB, 0, 0 },
	{ "ept5 2M high", E5, 0, 0, 0x00ff800012345678ull, 1,
	  0x000fffffffe00000ull | EPT_PS | LEAF_WB, { 0 },
	  0x000ffffffff45678ull, 0x200000, RWXU, RWXU, TDP_MT_WB, 0, 0 },
	{ "ept5 1G last address", E5, 0, 0, 0x01ffffffffffffffull, 2,
	  0x40000000 | EPT_PS | LEAF_WB, { 0 }, 0x7fffffff, 0x40000000,
	  RWXU, RWXU, TDP_MT_WB, 0, 0 },
	{ "ept5 4K low", E5, 0, 0, 0x0000000000001234ull, 0,
	  0x9000 | LEAF_WB, { 0 }, 0x9234, 0x1000, RWXU, RWXU, TDP_MT_WB, 0,
	  0 },
	/* Attributes come from the leaf. */
	{ "ept4 4K attributes", E4, 0, 0, 0x0000000012345678ull, 0,
	  0x8010000000777b67ull, { 0 }, 0x777678, 0x1000, RWXU, RWXU,
	  TDP_MT_WT,
	  TDP_ATTR_IGNORE_PAT | TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY |
	  TDP_ATTR_SUPPRESS_VE, 0x3 },
	{ "ept4 PTE bit 7 ignored", E4, 0, 0, 0x0000000012345678ull, 0,
	  0x00777000 | EPT_PS | LEAF_WB, { 0 }, 0x777678, 0x1000, RWXU,
	  RWXU, TDP_MT_WB, 0, 0 },
	/* Effective permissions are the AND over the walk. */
	{ "PDE without W", E4, 0, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | LEAF_WB, { [1] = EPT_R | EPT_X }, 0xabcdeabc, 0x1000,
	  RXU, RWXU, TDP_MT_WB, 0, 0 },
	{ "PML4E without X", E4, 0, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | LEAF_WB, { [3] = EPT_R | EPT_W },
	  0xabcdeabc, 0x1000, TDP_PERM_R | TDP_PERM_W, RWXU, TDP_MT_WB, 0,
	  0 },
	{ "PDPTE R only over 2M", E4, 0, 0, 0x0000004012345678ull, 1,
	  0x80200000 | EPT_PS | LEAF_WB, { [2] = EPT_R }, 0x80345678,
	  0x200000, TDP_PERM_R, RWXU, TDP_MT_WB, 0, 0 },
	{ "ept5 PML5E R X over 1G", E5, 0, 0, 0x00ff8000456789abull, 2,
	  0x140000000 | EPT_PS | LEAF_WB, { [4] = EPT_R | EPT_X },
	  0x1456789ab, 0x40000000, RXU, RWXU, TDP_MT_WB, 0, 0 },
	{ "leaf R over RWX", E4, 0, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | EPT_R | EPT_MT(SDM_WB), { 0 }, 0xabcdeabc, 0x1000,
	  TDP_PERM_R, TDP_PERM_R, TDP_MT_WB, 0, 0 },
	/* MBEC: XU from bit 10 at every level. */
	{ "MBEC all levels XU", E4, F_MBEC, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | LEAF_WB | EPT_XU,
	  { 0x407, 0x407, 0x407, 0x407, 0x407 }, 0xabcdeabc, 0x1000, RWXU,
	  RWXU, TDP_MT_WB, 0, 0 },
	{ "MBEC PDPTE without XU", E4, F_MBEC, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | LEAF_WB | EPT_XU, { 0x407, 0x407, 0x007, 0x407, 0 },
	  0xabcdeabc, 0x1000, TDP_PERM_R | TDP_PERM_W | TDP_PERM_X, RWXU,
	  TDP_MT_WB, 0, 0 },
	{ "MBEC PML4E XU only", E4, F_MBEC, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | LEAF_WB | EPT_XU, { 0x407, 0x407, 0x407, 0x403, 0 },
	  0xabcdeabc, 0x1000, TDP_PERM_R | TDP_PERM_W | TDP_PERM_XU, RWXU,
	  TDP_MT_WB, 0, 0 },
	{ "MBEC user exec-only leaf", E4, F_MBEC | F_XO, 0,
	  0x00007f1234567abcull, 0, 0xabcde000 | EPT_XU | EPT_MT(SDM_WB),
	  { 0x407, 0x407, 0x407, 0x407, 0 }, 0xabcdeabc, 0x1000, TDP_PERM_XU,
	  TDP_PERM_XU, TDP_MT_WB, 0, 0 },
	/* Execute-only with the capability. */
	{ "exec-only leaf", E4, F_XO, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | EPT_X | EPT_MT(SDM_WB), { 0 }, 0xabcdeabc, 0x1000,
	  TDP_PERM_X | TDP_PERM_XU, TDP_PERM_X | TDP_PERM_XU, TDP_MT_WB, 0,
	  0 },
	{ "exec-only PDE over RW leaf", E4, F_XO, 0, 0x00007f1234567abcull,
	  0, 0xabcde000 | LEAF_WB, { [1] = EPT_X }, 0xabcdeabc, 0x1000,
	  TDP_PERM_X | TDP_PERM_XU, RWXU, TDP_MT_WB, 0, 0 },
	/* Narrow physical addresses. */
	{ "pa36 top", E4, 0, 36, 0x0000000000000fffull, 0,
	  0xffffff000ull | LEAF_WB, { 0 }, 0xfffffffffull, 0x1000, RWXU,
	  RWXU, TDP_MT_WB, 0, 0 },
	{ "pa39 2M", E5, 0, 39, 0x00000000003fffffull, 1,
	  0x7fffe00000ull | EPT_PS | LEAF_WB, { 0 }, 0x7fffffffffull,
	  0x200000, RWXU, RWXU, TDP_MT_WB, 0, 0 },
};

/* Copy every table page so a lookup can be shown to write nothing. */
static void snapshot(struct env *env, uint8_t *buf)
{
	int level;

	for (level = 0; level < 5; level++)
		memcpy(buf + 4096 * level,
		       tdp_pool_phys_to_virt(env->pool, table_page[level],
					     4096),
		       4096);
}

static void test_lookup_ok(void **state)
{
	static uint8_t before[5 * 4096], after[5 * 4096];
	struct env *env = *state;
	struct tdp_pool_stats st;
	struct tdp_lookup res;
	struct tdp_pgt pgt;
	struct path p;
	unsigned int i;

	for (i = 0; i < sizeof(walk_cases) / sizeof(walk_cases[0]); i++) {
		const struct walk_case *c = &walk_cases[i];
		int root = root_level_of(c->format);
		uint64_t out;
		uint32_t fault;
		int ret;

		build_path(env, root, c->addr, c->leaf_level, c->tbits,
			   c->leaf, &p);
		attach(env, &pgt, c->format, c->features, c->pa_bits);
		snapshot(env, before);
		memset(&res, 0xa5, sizeof(res));
		ret = tdp_lookup(&pgt, c->addr, &res);
		snapshot(env, after);
		EXPECT_EQ(c->name, ret, 0);
		EXPECT_EQ(c->name, memcmp(before, after, sizeof(before)), 0);
		EXPECT_EQ(c->name, res.addr, c->addr);
		EXPECT_EQ(c->name, res.fault, TDP_FAULT_NONE);
		EXPECT_EQ(c->name, res.fault_level, -1);
		EXPECT_EQ(c->name, res.fault_detail, TDP_DETAIL_NONE);
		EXPECT_EQ(c->name, res.out_addr, c->out_addr);
		EXPECT_EQ(c->name, res.page_size, c->page_size);
		expect_path(c->name, &res, &p, root, c->leaf_level);
		EXPECT_EQ(c->name, res.perms, c->perms);
		EXPECT_EQ(c->name, res.attrs.perms, c->leaf_perms);
		EXPECT_EQ(c->name, res.attrs.memtype, c->memtype);
		EXPECT_EQ(c->name, res.attrs.flags, c->flags);
		EXPECT_EQ(c->name, res.attrs.sw, c->sw);

		/* No access to check: presence is enough. */
		out = 0;
		fault = 0xff;
		EXPECT_EQ(c->name, tdp_translate(&pgt, c->addr, 0, &out,
						 &fault),
			  0);
		EXPECT_EQ(c->name, out, c->out_addr);
		EXPECT_EQ(c->name, fault, TDP_FAULT_NONE);
		EXPECT_EQ(c->name, tdp_translate(&pgt, c->addr, 0, NULL, NULL),
			  0);
	}
	assert_int_equal(tdp_pool_get_stats(env->pool, &st), 0);
	assert_int_equal(st.allocs, 0);
	assert_int_equal(tdp_lookup(NULL, 0, &res), -TDP_ERR_INVAL);
	assert_int_equal(tdp_lookup(&pgt, 0, NULL), -TDP_ERR_INVAL);
	assert_int_equal(mismatches, 0);
}

/* ---- faults other than misconfigurations ------------------------------ */

struct fault_case {
	const char *name;
	uint32_t format;
	uint64_t addr;
	/* Level where build_path() stops and the entry written there. */
	int level;
	uint64_t raw;
	uint32_t fault;
	int fault_level;	/* also the last level read */
};

static const struct fault_case fault_cases[] = {
	/* An address beyond the input width reads nothing. */
	{ "ept4 2^48", E4, BIT(48), 3, 0, TDP_FAULT_ADDRESS_SIZE, -1 },
	{ "ept4 2^48 + 0x1000", E4, BIT(48) | 0x1000, 0, PA_4K | LEAF_WB,
	  TDP_FAULT_ADDRESS_SIZE, -1 },
	{ "ept4 canonical-looking high", E4, 0xffff800000001000ull, 0,
	  PA_4K | LEAF_WB, TDP_FAULT_ADDRESS_SIZE, -1 },
	{ "ept4 all ones", E4, ~0ull, 3, 0, TDP_FAULT_ADDRESS_SIZE, -1 },
	{ "ept5 2^57", E5, BIT(57), 4, 0, TDP_FAULT_ADDRESS_SIZE, -1 },
	{ "ept5 2^63", E5, BIT(63) | 0x1000, 0, PA_4K | LEAF_WB,
	  TDP_FAULT_ADDRESS_SIZE, -1 },
	/* Not present at each level. */
	{ "ept4 empty root", E4, 0x00007f1234567abcull, 3, 0,
	  TDP_FAULT_NOT_PRESENT, 3 },
	{ "ept4 top address empty root", E4, 0x0000ffffffffffffull, 3, 0,
	  TDP_FAULT_NOT_PRESENT, 3 },
	{ "ept5 empty root", E5, 0x00ff800012345678ull, 4, 0,
	  TDP_FAULT_NOT_PRESENT, 4 },
	{ "ept5 top address empty root", E5, 0x01ffffffffffffffull, 4, 0,
	  TDP_FAULT_NOT_PRESENT, 4 },
	{ "ept4 PDPTE", E4, 0x00007f1234567abcull, 2, 0,
	  TDP_FAULT_NOT_PRESENT, 2 },
	{ "ept4 PDE PS memtype, XWR 000", E4, 0x00007f1234567abcull, 1,
	  PA_2M | EPT_PS | EPT_MT(SDM_WB), TDP_FAULT_NOT_PRESENT, 1 },
	{ "ept4 PTE garbage, XWR 000", E4, 0x00007f1234567abcull, 0,
	  0xfffffffffffffff8ull, TDP_FAULT_NOT_PRESENT, 0 },
	{ "ept5 PML4E bit 10 without MBEC", E5, 0x00ff800012345678ull, 3,
	  PA_TBL | EPT_XU, TDP_FAULT_NOT_PRESENT, 3 },
	/* Table pointers the pool cannot translate. */
	{ "ept4 PML4E to 1 GiB", E4, 0x00007f1234567abcull, 3,
	  0x40000000 | EPT_RWX, TDP_FAULT_BAD_POINTER, 3 },
	{ "ept4 PDE below the pool", E4, 0x00007f1234567abcull, 1,
	  (POOL_BASE - 0x1000) | EPT_RWX, TDP_FAULT_BAD_POINTER, 1 },
	{ "ept5 PDPTE past the pool", E5, 0x00ff800012345678ull, 2,
	  (POOL_BASE + POOL_SIZE) | EPT_R, TDP_FAULT_BAD_POINTER, 2 },
	{ "ept5 PML5E at 2^51", E5, 0x00ff800012345678ull, 4,
	  BIT(51) | EPT_RWX, TDP_FAULT_BAD_POINTER, 4 },
};

static void test_lookup_faults(void **state)
{
	struct env *env = *state;
	struct tdp_lookup res;
	struct tdp_pgt pgt;
	struct path p;
	unsigned int i;

	for (i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
		const struct fault_case *c = &fault_cases[i];
		int root = root_level_of(c->format);
		uint32_t fault = 0xff;
		int ret;

		/*
		 * For out-of-range addresses, lay out a walk that would
		 * succeed if the index bits were simply truncated.
		 */
		build_path(env, root, c->addr, c->level, NULL, c->raw, &p);
		attach(env, &pgt, c->format, 0, 0);
		memset(&res, 0xa5, sizeof(res));
		ret = tdp_lookup(&pgt, c->addr, &res);
		EXPECT_EQ(c->name, ret, -TDP_ERR_FAULT);
		EXPECT_EQ(c->name, res.addr, c->addr);
		EXPECT_EQ(c->name, res.fault, c->fault);
		EXPECT_EQ(c->name, res.fault_level, c->fault_level);
		EXPECT_EQ(c->name, res.last_level, c->fault_level);
		EXPECT_EQ(c->name, res.fault_detail, TDP_DETAIL_NONE);
		if (c->fault_level >= 0)
			expect_path(c->name, &res, &p, root, c->fault_level);
		if (c->fault == TDP_FAULT_BAD_POINTER)
			EXPECT_EQ(c->name,
				  tdp_entry_classify(&pgt.fmt, c->level,
						     c->raw),
				  TDP_ENTRY_TABLE);
		EXPECT_EQ(c->name,
			  tdp_translate(&pgt, c->addr, TDP_ACCESS_READ, NULL,
					&fault),
			  -TDP_ERR_FAULT);
		EXPECT_EQ(c->name, fault, c->fault);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- translate: the permission rules, exhaustively --------------------- */

/* The permissions an EPT entry grants, straight from the SDM bits. */
static uint32_t sdm_ept_perms(uint64_t raw, bool mbec)
{
	uint32_t p = 0;

	if (raw & EPT_R)
		p |= TDP_PERM_R;
	if (raw & EPT_W)
		p |= TDP_PERM_W;
	if (raw & EPT_X)
		p |= TDP_PERM_X;
	if (mbec ? raw & EPT_XU : raw & EPT_X)
		p |= TDP_PERM_XU;
	return p;
}

/* Does the SDM let @access through with effective permissions @eff? */
static bool sdm_ept_allows(uint32_t eff, uint32_t access, bool mbec)
{
	uint32_t exec_need = mbec && (access & TDP_ACCESS_USER) ?
			     TDP_PERM_XU : TDP_PERM_X;

	if ((access & TDP_ACCESS_READ) && !(eff & TDP_PERM_R))
		return false;
	if ((access & TDP_ACCESS_WRITE) && !(eff & TDP_PERM_W))
		return false;
	if ((access & TDP_ACCESS_EXEC) && !(eff & exec_need))
		return false;
	return true;
}

static const uint32_t ept_accesses[] = {
	0,
	TDP_ACCESS_READ,
	TDP_ACCESS_WRITE,
	TDP_ACCESS_EXEC,
	TDP_ACCESS_USER | TDP_ACCESS_READ,
	TDP_ACCESS_USER | TDP_ACCESS_WRITE,
	TDP_ACCESS_USER | TDP_ACCESS_EXEC,
	/* The x86-paging controls mean nothing to EPT. */
	TDP_ACCESS_NO_WP | TDP_ACCESS_WRITE,
	TDP_ACCESS_SMEP | TDP_ACCESS_EXEC,
	TDP_ACCESS_SMAP | TDP_ACCESS_READ,
	TDP_ACCESS_SMAP | TDP_ACCESS_USER | TDP_ACCESS_WRITE,
};

/* XWR combinations that are neither absent nor misconfigured. */
static const uint64_t xwr_ok[] = {
	EPT_R, EPT_R | EPT_W, EPT_R | EPT_X, EPT_RWX, EPT_X,
};

static const uint32_t perm_features[] = {
	0, F_XO, F_MBEC, F_MBEC | F_XO,
};

static unsigned int perm_combos(uint32_t features, uint64_t *out)
{
	unsigned int n = 0, i;

	for (i = 0; i < sizeof(xwr_ok) / sizeof(xwr_ok[0]); i++) {
		if (xwr_ok[i] == EPT_X && !(features & F_XO))
			continue;
		out[n++] = xwr_ok[i];
		if (features & F_MBEC)
			out[n++] = xwr_ok[i] | EPT_XU;
	}
	/* With MBEC, bit 10 alone is a present, user exec-only entry. */
	if ((features & F_MBEC) && (features & F_XO))
		out[n++] = EPT_XU;
	return n;
}

/*
 * One configuration: a 4 KiB leaf with @leaf_bits under tables that all
 * grant @deflt except the one at level @tl, which grants @table_bits.
 * Every access is checked against the SDM rule.
 */
static void check_perm_config(struct env *env, uint32_t feat, int tl,
			      uint64_t deflt, uint64_t table_bits,
			      uint64_t leaf_bits)
{
	const uint64_t addr = 0x000013579bdf1234ull;
	const uint64_t leaf = 0x76543000 | leaf_bits | EPT_MT(SDM_WB);
	uint64_t tbits[5] = { deflt, deflt, deflt, deflt, deflt };
	bool mbec = feat & F_MBEC;
	uint32_t eff = RWXU;
	struct tdp_lookup res;
	struct tdp_pgt pgt;
	struct path p;
	char where[120], w2[160];
	unsigned int ai;
	int level;

	tbits[tl] = table_bits;
	build_path(env, 3, addr, 0, tbits, leaf, &p);
	attach(env, &pgt, E4, feat, 0);
	for (level = 3; level >= 0; level--)
		eff &= sdm_ept_perms(p.entry[level], mbec);
	snprintf(where, sizeof(where),
		 "features %#x table L%d %#llx leaf %#llx", feat, tl,
		 (unsigned long long)table_bits,
		 (unsigned long long)leaf_bits);
	EXPECT_EQ(where, tdp_lookup(&pgt, addr, &res), 0);
	EXPECT_EQ(where, res.perms, eff);
	EXPECT_EQ(where, res.attrs.perms, sdm_ept_perms(leaf, mbec));
	for (ai = 0; ai < sizeof(ept_accesses) / sizeof(ept_accesses[0]);
	     ai++) {
		uint32_t acc = ept_accesses[ai];
		bool ok = sdm_ept_allows(eff, acc, mbec);
		uint64_t out = 0;
		uint32_t fault = 0xff;

		snprintf(w2, sizeof(w2), "%s access %#x", where, acc);
		EXPECT_EQ(w2, tdp_translate(&pgt, addr, acc, &out, &fault),
			  ok ? 0 : -TDP_ERR_FAULT);
		EXPECT_EQ(w2, fault,
			  ok ? TDP_FAULT_NONE : TDP_FAULT_PERMISSION);
		if (ok)
			EXPECT_EQ(w2, out, 0x76543234);
	}
}

static void test_translate_rules(void **state)
{
	struct env *env = *state;
	struct tdp_pgt pgt;
	uint64_t combos[16];
	unsigned int f, n, li, ti;
	int tl;

	for (f = 0; f < sizeof(perm_features) / sizeof(perm_features[0]);
	     f++) {
		uint32_t feat = perm_features[f];
		uint64_t deflt = feat & F_MBEC ? EPT_RWX | EPT_XU : EPT_RWX;

		n = perm_combos(feat, combos);
		for (tl = 1; tl <= 3; tl++)
			for (li = 0; li < n; li++)
				for (ti = 0; ti < n; ti++)
					check_perm_config(env, feat, tl, deflt,
							  combos[ti],
							  combos[li]);
	}
	attach(env, &pgt, E4, 0, 0);
	assert_int_equal(tdp_translate(&pgt, 0, 1u << 7, NULL, NULL),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_translate(NULL, 0, TDP_ACCESS_READ, NULL, NULL),
			 -TDP_ERR_INVAL);
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)
		T(test_geometry),
		T(test_bad_config),
		T(test_encode),
		T(test_decode),
		T(test_classify),
		T(test_malformed),
		T(test_lookup_ok),
		T(test_lookup_faults),
		T(test_translate_rules),
#undef T
	};

	return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The IA-32e paging formats (ia32e4, ia32e5; also AMD NPT) as a user sees
 * them: format geometry, leaf encoding, decoding and classification,
 * canonical addresses, and lookups and translations through tables built
 * by hand in a simulated pool.
 *
 * Every expected value is written here from the Intel SDM's layout of
 * IA-32e paging-structure entries (Vol. 3A, "4-Level Paging and 5-Level
 * Paging") as hex constants and shifts, never produced by the library's
 * encoder. The permission rules of translations are computed by this file
 * from the SDM's access-rights rules (Vol. 3A, "Access Rights"), for every
 * combination of entry bits and access flags.
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

/* IA-32e entry bits (SDM Vol. 3A, Tables 4-15 to 4-20). */
#define PG_P BIT(0)
#define PG_RW BIT(1)
#define PG_US BIT(2)
#define PG_PWT BIT(3)
#define PG_PCD BIT(4)
#define PG_A BIT(5)
#define PG_D BIT(6)
#define PG_PS BIT(7)		/* PDPTE/PDE: maps a page */
#define PG_PAT_4K BIT(7)	/* PTE: PAT */
#define PG_G BIT(8)
#define PG_PAT_LARGE BIT(12)	/* 2 MiB / 1 GiB leaf: PAT */
#define PG_PKEY(k) ((uint64_t)(k) << 59)
#define PG_XD BIT(63)

/* What build_path() puts in table entries by default: P, R/W, U/S. */
#define TBL_DEFAULT (PG_P | PG_RW | PG_US)

#define RX (TDP_PERM_R | TDP_PERM_X | TDP_PERM_XU)
#define RWX (RX | TDP_PERM_W)
#define RWXU (RWX | TDP_PERM_U)

/* Output addresses used in hand-built entries. */
#define PA_4K 0x12345000ull
#define PA_2M 0x12200000ull
#define PA_1G 0x140000000ull
/* A table pointer inside the pool; walks stop before following it. */
#define PA_TBL 0x1d2000ull

#define I4 TDP_FMT_IA32E4
#define I5 TDP_FMT_IA32E5
#define F_NO1G TDP_FEAT_NO_1G
#define F_NONX TDP_FEAT_NO_NX

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
	{ "ia32e4 defaults", { .format = I4 }, 4, 48, 52, 0x7 },
	{ "ia32e5 defaults", { .format = I5 }, 5, 57, 52, 0x7 },
	{ "ia32e4 no 1G", { .format = I4, .features = F_NO1G },
	  4, 48, 52, 0x3 },
	{ "ia32e5 no 1G no NX pa36",
	  { .format = I5, .features = F_NO1G | F_NONX, .pa_bits = 36 },
	  5, 57, 36, 0x3 },
	{ "ia32e4 no NX", { .format = I4, .features = F_NONX },
	  4, 48, 52, 0x7 },
	{ "ia32e4 pa32", { .format = I4, .pa_bits = 32 }, 4, 48, 32, 0x7 },
	{ "ia32e5 pa52", { .format = I5, .pa_bits = 52 }, 5, 57, 52, 0x7 },
	/* start_level belongs to arm64; x86 ignores it. */
	{ "ia32e4 start_level ignored", { .format = I4, .start_level = 1 },
	  4, 48, 52, 0x7 },
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
		EXPECT_EQ(c->name, !!fmt.canonical, 1);
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
	assert_string_equal(tdp_format_name(I4), "ia32e4");
	assert_string_equal(tdp_format_name(I5), "ia32e5");
	assert_int_equal(tdp_format_from_name("ia32e4"), I4);
	assert_int_equal(tdp_format_from_name("ia32e5"), I5);
	assert_int_equal(mismatches, 0);
}

struct bad_cfg_case {
	const char *name;
	struct tdp_format_config cfg;
	int ret;
};

static const struct bad_cfg_case bad_cfg_cases[] = {
	{ "pa_bits 31", { .format = I4, .pa_bits = 31 }, -TDP_ERR_FORMAT },
	{ "pa_bits 53", { .format = I4, .pa_bits = 53 }, -TDP_ERR_FORMAT },
	{ "pa_bits 64", { .format = I5, .pa_bits = 64 }, -TDP_ERR_FORMAT },
	{ "pa_bits 12", { .format = I5, .pa_bits = 12 }, -TDP_ERR_FORMAT },
	{ "EPT exec-only", { .format = I4,
			     .features = TDP_FEAT_EPT_EXEC_ONLY },
	  -TDP_ERR_FORMAT },
	{ "EPT MBEC", { .format = I4, .features = TDP_FEAT_EPT_MBEC },
	  -TDP_ERR_FORMAT },
	{ "EPT A/D", { .format = I5, .features = TDP_FEAT_EPT_AD },
	  -TDP_ERR_FORMAT },
	{ "EPT SPP", { .format = I5, .features = TDP_FEAT_EPT_SPP },
	  -TDP_ERR_FORMAT },
	{ "PSE", { .format = I4, .features = TDP_FEAT_PSE },
	  -TDP_ERR_FORMAT },
	{ "unknown feature", { .format = I4, .features = 1u << 20 },
	  -TDP_ERR_INVAL },
	{ "reserved0", { .format = I5, .reserved0 = 1 }, -TDP_ERR_INVAL },
};

static void test_bad_config(void **state)
{
	struct env *env = *state;
	struct tdp_format fmt, before;
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
	assert_int_equal(mismatches, 0);
}

/* ---- encode ------------------------------------------------------------ */

#define PI TDP_ATTR_PAT_INDEX

static const struct enc_case enc_cases[] = {
	/* Permissions: R is P; W is bit 1, U bit 2; no X sets XD. */
	{ "4K R X", I4, 0, 0, 0, PA_4K, { .perms = RX }, 0, 0x12345001 },
	{ "4K RW X", I4, 0, 0, 0, PA_4K, { .perms = RWX }, 0, 0x12345003 },
	{ "4K RW X U", I4, 0, 0, 0, PA_4K, { .perms = RWXU }, 0,
	  0x12345007 },
	{ "4K R U", I4, 0, 0, 0, PA_4K, { .perms = RX | TDP_PERM_U }, 0,
	  0x12345005 },
	{ "4K R NX", I4, 0, 0, 0, PA_4K, { .perms = TDP_PERM_R }, 0,
	  0x8000000012345001 },
	{ "4K RW U NX", I4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_R | TDP_PERM_W | TDP_PERM_U }, 0,
	  0x8000000012345007 },
	/* Memory types through the power-on PAT: WB 0, WT 1, UC- 2, UC 3. */
	{ "4K WT", I4, 0, 0, 0, PA_4K, { .perms = RX, .memtype = TDP_MT_WT },
	  0, 0x12345009 },
	{ "4K UC-", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .memtype = TDP_MT_UC_MINUS }, 0, 0x12345011 },
	{ "4K UC", I4, 0, 0, 0, PA_4K, { .perms = RX, .memtype = TDP_MT_UC },
	  0, 0x12345019 },
	{ "2M UC", I4, 0, 0, 1, PA_2M, { .perms = RX, .memtype = TDP_MT_UC },
	  0, 0x12200099 },
	/* An explicit PAT index: PAT is bit 7 in a PTE, bit 12 above. */
	{ "4K PAT index 4", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = PI, .pat = 4 }, 0, 0x12345081 },
	{ "4K PAT index 7", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = PI, .pat = 7 }, 0, 0x12345099 },
	{ "4K PAT index 0 over UC", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = PI, .pat = 0, .memtype = TDP_MT_UC }, 0,
	  0x12345001 },
	{ "4K PAT index 1 over WC", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = PI, .pat = 1, .memtype = TDP_MT_WC }, 0,
	  0x12345009 },
	{ "2M PAT index 5", I4, 0, 0, 1, PA_2M,
	  { .perms = RX, .flags = PI, .pat = 5 }, 0, 0x12201089 },
	{ "1G PAT index 6", I5, 0, 0, 2, PA_1G,
	  { .perms = RX, .flags = PI, .pat = 6 }, 0, 0x140001091 },
	{ "2M PAT index 3", I4, 0, 0, 1, PA_2M,
	  { .perms = RX, .flags = PI, .pat = 3 }, 0, 0x12200099 },
	/* Flags. */
	{ "4K A", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = TDP_ATTR_ACCESSED }, 0, 0x12345021 },
	{ "4K D", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = TDP_ATTR_DIRTY }, 0, 0x12345041 },
	{ "4K G", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = TDP_ATTR_GLOBAL }, 0, 0x12345101 },
	{ "1G A D G", I4, 0, 0, 2, PA_1G,
	  { .perms = RWXU,
	    .flags = TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY | TDP_ATTR_GLOBAL },
	  0, 0x1400001e7 },
	/* Protection keys in bits 62:59. */
	{ "4K pkey 1", I4, 0, 0, 0, PA_4K, { .perms = RX, .pkey = 1 }, 0,
	  0x0800000012345001 },
	{ "4K pkey 15 NX", I4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_R, .pkey = 15 }, 0, 0xf800000012345001 },
	{ "2M pkey 5", I4, 0, 0, 1, PA_2M, { .perms = RX, .pkey = 5 }, 0,
	  0x2800000012200081 },
	/* Software bits: sw 0..2 -> bits 9..11, sw 3..9 -> bits 52..58. */
	{ "4K sw0", I4, 0, 0, 0, PA_4K, { .perms = RX, .sw = 0x1 }, 0,
	  0x12345201 },
	{ "4K sw2", I4, 0, 0, 0, PA_4K, { .perms = RX, .sw = 0x4 }, 0,
	  0x12345801 },
	{ "4K sw3", I4, 0, 0, 0, PA_4K, { .perms = RX, .sw = 0x8 }, 0,
	  0x0010000012345001 },
	{ "4K sw9", I4, 0, 0, 0, PA_4K, { .perms = RX, .sw = 0x200 }, 0,
	  0x0400000012345001 },
	{ "4K sw all", I4, 0, 0, 0, PA_4K, { .perms = RX, .sw = 0x3ff }, 0,
	  0x07f0000012345e01 },
	/* Large leaves carry PS. */
	{ "2M RWXU", I4, 0, 0, 1, PA_2M, { .perms = RWXU }, 0, 0x12200087 },
	{ "1G RWXU", I4, 0, 0, 2, PA_1G, { .perms = RWXU }, 0, 0x140000087 },
	{ "ia32e5 1G", I5, 0, 0, 2, PA_1G, { .perms = RWX }, 0, 0x140000083 },
	{ "ia32e5 4K top pa", I5, 0, 0, 0, 0x000ffffffffff000ull,
	  { .perms = RWXU }, 0, 0x000ffffffffff007ull },
	/* Without NX everything is executable. */
	{ "no NX RWXU", I4, F_NONX, 0, 0, PA_4K, { .perms = RWXU }, 0,
	  0x12345007 },
	{ "no NX R only", I4, F_NONX, 0, 0, PA_4K, { .perms = TDP_PERM_R },
	  -TDP_ERR_NOTSUP, 0 },
	/* Address width and alignment. */
	{ "pa36 top", I4, 0, 36, 0, 0xffffff000ull, { .perms = RX }, 0,
	  0xffffff001ull },
	{ "pa36 bit 36", I4, 0, 36, 0, BIT(36), { .perms = RX },
	  -TDP_ERR_RANGE, 0 },
	{ "pa52 bit 52", I5, 0, 0, 0, BIT(52), { .perms = RX },
	  -TDP_ERR_RANGE, 0 },
	{ "4K misaligned", I4, 0, 0, 0, PA_4K + 8, { .perms = RX },
	  -TDP_ERR_ALIGN, 0 },
	{ "2M misaligned", I4, 0, 0, 1, PA_2M + 0x1000, { .perms = RX },
	  -TDP_ERR_ALIGN, 0 },
	{ "1G misaligned", I4, 0, 0, 2, PA_1G + PA_2M, { .perms = RX },
	  -TDP_ERR_ALIGN, 0 },
	/* Levels. */
	{ "leaf at PML4E", I4, 0, 0, 3, 0, { .perms = RX },
	  -TDP_ERR_NOTSUP, 0 },
	{ "leaf at PML5E", I5, 0, 0, 4, 0, { .perms = RX },
	  -TDP_ERR_NOTSUP, 0 },
	{ "1G with NO_1G", I4, F_NO1G, 0, 2, PA_1G, { .perms = RX },
	  -TDP_ERR_NOTSUP, 0 },
	{ "level 4 on ia32e4", I4, 0, 0, 4, 0, { .perms = RX },
	  -TDP_ERR_INVAL, 0 },
	{ "level -1", I5, 0, 0, -1, 0, { .perms = RX }, -TDP_ERR_INVAL, 0 },
	/* Permissions IA-32e cannot express. */
	{ "no permission", I4, 0, 0, 0, PA_4K, { .perms = 0 },
	  -TDP_ERR_NOTSUP, 0 },
	{ "W without R", I4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_W | TDP_PERM_X | TDP_PERM_XU },
	  -TDP_ERR_NOTSUP, 0 },
	{ "X without R", I4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_X | TDP_PERM_XU }, -TDP_ERR_NOTSUP, 0 },
	{ "X without XU", I4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_R | TDP_PERM_X }, -TDP_ERR_NOTSUP, 0 },
	{ "XU without X", I4, 0, 0, 0, PA_4K,
	  { .perms = TDP_PERM_R | TDP_PERM_XU }, -TDP_ERR_NOTSUP, 0 },
	{ "unknown perm", I4, 0, 0, 0, PA_4K, { .perms = RX | (1u << 5) },
	  -TDP_ERR_INVAL, 0 },
	/* Memory types. */
	{ "WC", I4, 0, 0, 0, PA_4K, { .perms = RX, .memtype = TDP_MT_WC },
	  -TDP_ERR_NOTSUP, 0 },
	{ "WP", I4, 0, 0, 0, PA_4K, { .perms = RX, .memtype = TDP_MT_WP },
	  -TDP_ERR_NOTSUP, 0 },
	{ "NC", I4, 0, 0, 0, PA_4K, { .perms = RX, .memtype = TDP_MT_NC },
	  -TDP_ERR_NOTSUP, 0 },
	{ "device", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .memtype = TDP_MT_DEV_NGNRE }, -TDP_ERR_NOTSUP, 0 },
	{ "memtype 200", I4, 0, 0, 0, PA_4K, { .perms = RX, .memtype = 200 },
	  -TDP_ERR_INVAL, 0 },
	{ "PAT index 8", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = PI, .pat = 8 }, -TDP_ERR_INVAL, 0 },
	/* EPT attributes. */
	{ "IGNORE_PAT", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = TDP_ATTR_IGNORE_PAT }, -TDP_ERR_NOTSUP, 0 },
	{ "SUPPRESS_VE", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = TDP_ATTR_SUPPRESS_VE }, -TDP_ERR_NOTSUP,
	  0 },
	{ "SPP", I4, 0, 0, 0, PA_4K, { .perms = RX, .flags = TDP_ATTR_SPP },
	  -TDP_ERR_NOTSUP, 0 },
	{ "VERIFY_GUEST_PAGING", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = TDP_ATTR_VERIFY_GUEST_PAGING },
	  -TDP_ERR_NOTSUP, 0 },
	{ "PAGING_WRITE", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = TDP_ATTR_PAGING_WRITE }, -TDP_ERR_NOTSUP,
	  0 },
	{ "SUPERVISOR_SHADOW_STACK", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = TDP_ATTR_SUPERVISOR_SHADOW_STACK },
	  -TDP_ERR_NOTSUP, 0 },
	/* Attributes of other formats. */
	{ "DBM", I4, 0, 0, 0, PA_4K, { .perms = RWX, .flags = TDP_ATTR_DBM },
	  -TDP_ERR_NOTSUP, 0 },
	{ "CONTIGUOUS", I4, 0, 0, 1, PA_2M,
	  { .perms = RX, .flags = TDP_ATTR_CONTIGUOUS }, -TDP_ERR_NOTSUP, 0 },
	{ "unknown flag", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .flags = 1u << 20 },
	  -TDP_ERR_INVAL, 0 },
	{ "pkey 16", I4, 0, 0, 0, PA_4K, { .perms = RX, .pkey = 16 },
	  -TDP_ERR_INVAL, 0 },
	{ "sw 1024", I4, 0, 0, 0, PA_4K, { .perms = RX, .sw = 1024 },
	  -TDP_ERR_INVAL, 0 },
	{ "shareability 4", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .shareability = TDP_SH_INNER + 1 }, -TDP_ERR_INVAL,
	  0 },
	{ "subpage_write", I4, 0, 0, 0, PA_4K,
	  { .perms = RX, .subpage_write = 1 }, -TDP_ERR_NOTSUP, 0 },
};

static void test_encode(void **state)
{
	const struct tdp_attrs a = { .perms = RX };

	(void)state;
	expect_encodings(enc_cases, sizeof(enc_cases) / sizeof(enc_cases[0]),
			 I4, &a);
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
	uint8_t pat;
	uint8_t memtype;
	uint8_t pkey;
	uint32_t sw;
	/* @raw is exactly what encoding the decoded attributes gives. */
	bool canonical;
};

#define DEC_ERR(name, level, raw, ret)                                        \
	{ name, I4, 0, 0, level, raw, ret, 0, 0, 0, 0, 0, 0, 0, false }

#define A_ADG (TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY | TDP_ATTR_GLOBAL)

static const struct dec_case dec_cases[] = {
	{ "4K P", I4, 0, 0, 0, 0x12345001, 0, PA_4K, RX, 0, 0, TDP_MT_WB, 0,
	  0, true },
	{ "4K RW", I4, 0, 0, 0, 0x12345003, 0, PA_4K, RWX, 0, 0, TDP_MT_WB,
	  0, 0, true },
	{ "4K U", I4, 0, 0, 0, 0x12345005, 0, PA_4K, RX | TDP_PERM_U, 0, 0,
	  TDP_MT_WB, 0, 0, true },
	{ "4K RW U", I4, 0, 0, 0, 0x12345007, 0, PA_4K, RWXU, 0, 0,
	  TDP_MT_WB, 0, 0, true },
	{ "4K XD", I4, 0, 0, 0, 0x8000000012345001, 0, PA_4K, TDP_PERM_R, 0,
	  0, TDP_MT_WB, 0, 0, true },
	{ "4K RW U XD", I4, 0, 0, 0, 0x8000000012345007, 0, PA_4K,
	  TDP_PERM_R | TDP_PERM_W | TDP_PERM_U, 0, 0, TDP_MT_WB, 0, 0, true },
	/* Power-on PAT: 0 WB, 1 WT, 2 UC-, 3 UC, 4 WB, 5 WT, 6 UC-, 7 UC. */
	{ "4K PAT 1", I4, 0, 0, 0, 0x12345009, 0, PA_4K, RX, 0, 1, TDP_MT_WT,
	  0, 0, true },
	{ "4K PAT 2", I4, 0, 0, 0, 0x12345011, 0, PA_4K, RX, 0, 2,
	  TDP_MT_UC_MINUS, 0, 0, true },
	{ "4K PAT 3", I4, 0, 0, 0, 0x12345019, 0, PA_4K, RX, 0, 3, TDP_MT_UC,
	  0, 0, true },
	{ "4K PAT 4", I4, 0, 0, 0, 0x12345081, 0, PA_4K, RX, 0, 4, TDP_MT_WB,
	  0, 0, false },
	{ "4K PAT 5", I4, 0, 0, 0, 0x12345089, 0, PA_4K, RX, 0, 5, TDP_MT_WT,
	  0, 0, false },
	{ "4K PAT 6", I4, 0, 0, 0, 0x12345091, 0, PA_4K, RX, 0, 6,
	  TDP_MT_UC_MINUS, 0, 0, false },
	{ "4K PAT 7", I4, 0, 0, 0, 0x12345099, 0, PA_4K, RX, 0, 7, TDP_MT_UC,
	  0, 0, false },
	{ "2M PAT 4", I4, 0, 0, 1, 0x12201081, 0, PA_2M, RX, 0, 4, TDP_MT_WB,
	  0, 0, false },
	{ "2M PAT 3", I4, 0, 0, 1, 0x12200099, 0, PA_2M, RX, 0, 3, TDP_MT_UC,
	  0, 0, true },
	{ "2M PAT 7", I4, 0, 0, 1, 0x12201099, 0, PA_2M, RX, 0, 7, TDP_MT_UC,
	  0, 0, false },
	{ "1G PAT 5", I5, 0, 0, 2, 0x140001089, 0, PA_1G, RX, 0, 5,
	  TDP_MT_WT, 0, 0, false },
	{ "1G PAT 6", I4, 0, 0, 2, 0x140001091, 0, PA_1G, RX, 0, 6,
	  TDP_MT_UC_MINUS, 0, 0, false },
	/* Flags. */
	{ "4K A", I4, 0, 0, 0, 0x12345021, 0, PA_4K, RX, TDP_ATTR_ACCESSED,
	  0, TDP_MT_WB, 0, 0, true },
	{ "4K D", I4, 0, 0, 0, 0x12345041, 0, PA_4K, RX, TDP_ATTR_DIRTY, 0,
	  TDP_MT_WB, 0, 0, true },
	{ "4K G", I4, 0, 0, 0, 0x12345101, 0, PA_4K, RX, TDP_ATTR_GLOBAL, 0,
	  TDP_MT_WB, 0, 0, true },
	{ "2M A D G", I4, 0, 0, 1, 0x122001e7, 0, PA_2M, RWXU, A_ADG, 0,
	  TDP_MT_WB, 0, 0, true },
	/* Protection key and software bits. */
	{ "4K pkey 1", I4, 0, 0, 0, 0x0800000012345001, 0, PA_4K, RX, 0, 0,
	  TDP_MT_WB, 1, 0, true },
	{ "4K pkey 15", I4, 0, 0, 0, 0x7800000012345001, 0, PA_4K, RX, 0, 0,
	  TDP_MT_WB, 15, 0, true },
	{ "1G pkey 10", I4, 0, 0, 2, 0x5000000140000081, 0, PA_1G, RX, 0, 0,
	  TDP_MT_WB, 10, 0, true },
	{ "4K sw bit 9", I4, 0, 0, 0, 0x12345201, 0, PA_4K, RX, 0, 0,
	  TDP_MT_WB, 0, 0x1, true },
	{ "4K sw bit 10", I4, 0, 0, 0, 0x12345401, 0, PA_4K, RX, 0, 0,
	  TDP_MT_WB, 0, 0x2, true },
	{ "4K sw bit 11", I4, 0, 0, 0, 0x12345801, 0, PA_4K, RX, 0, 0,
	  TDP_MT_WB, 0, 0x4, true },
	{ "4K sw bit 52", I4, 0, 0, 0, 0x0010000012345001, 0, PA_4K, RX, 0,
	  0, TDP_MT_WB, 0, 0x8, true },
	{ "4K sw bit 58", I4, 0, 0, 0, 0x0400000012345001, 0, PA_4K, RX, 0,
	  0, TDP_MT_WB, 0, 0x200, true },
	{ "4K everything", I4, 0, 0, 0, 0xfff0000012345ff9, 0, PA_4K,
	  TDP_PERM_R, A_ADG, 7, TDP_MT_UC, 15, 0x3ff, false },
	{ "2M everything", I4, 0, 0, 1, 0xfff0000012201fff, 0, PA_2M,
	  TDP_PERM_R | TDP_PERM_W | TDP_PERM_U, A_ADG, 7, TDP_MT_UC, 15,
	  0x3ff, false },
	/* Without NX support bit 63 is reserved, so X is always granted. */
	{ "no NX 4K", I4, F_NONX, 0, 0, 0x12345003, 0, PA_4K, RWX, 0, 0,
	  TDP_MT_WB, 0, 0, true },
	/* Output address bits (pa_bits-1):shift. */
	{ "pa36 top", I4, 0, 36, 0, 0xffffff001, 0, 0xffffff000ull, RX, 0, 0,
	  TDP_MT_WB, 0, 0, true },
	{ "pa52 top", I5, 0, 0, 0, 0x000ffffffffff001, 0, 0xffffffffff000ull,
	  RX, 0, 0, TDP_MT_WB, 0, 0, true },
	{ "pa46 1G top", I4, 0, 46, 2, 0x00003fffc0000081, 0,
	  0x3fffc0000000ull, RX, 0, 0, TDP_MT_WB, 0, 0, true },
	/* Not a valid leaf. */
	DEC_ERR("not present", 0, 0, -TDP_ERR_NOENT),
	DEC_ERR("not present garbage", 0, 0xfffffffffffffffe,
		-TDP_ERR_NOENT),
	DEC_ERR("PDE table", 1, PA_TBL | TBL_DEFAULT, -TDP_ERR_NOENT),
	DEC_ERR("2M bit 13", 1, PA_2M | BIT(13) | PG_PS | PG_P,
		-TDP_ERR_NOENT),
	DEC_ERR("PML4E PS", 3, PA_1G | PG_PS | PG_P, -TDP_ERR_NOENT),
	DEC_ERR("level 4 on ia32e4", 4, PA_4K | PG_P, -TDP_ERR_INVAL),
	DEC_ERR("level -1", -1, PA_4K | PG_P, -TDP_ERR_INVAL),
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
		EXPECT_EQ(c->name, attrs.pat, c->pat);
		EXPECT_EQ(c->name, attrs.memtype, c->memtype);
		EXPECT_EQ(c->name, attrs.pkey, c->pkey);
		EXPECT_EQ(c->name, attrs.sw, c->sw);
		/* x86 paging entries hold no shareability. */
		EXPECT_EQ(c->name, attrs.shareability, TDP_SH_DEFAULT);
		EXPECT_EQ(c->name, attrs.subpage_write, 0);
		EXPECT_EQ(c->name, tdp_entry_classify(&fmt, c->level, c->raw),
			  TDP_ENTRY_LEAF);
		EXPECT_EQ(c->name,
			  tdp_entry_decode_leaf(&fmt, c->level, c->raw, NULL,
						NULL),
			  0);
		/* With an explicit PAT index every leaf round-trips. */
		attrs.flags |= TDP_ATTR_PAT_INDEX;
		EXPECT_EQ(c->name,
			  tdp_entry_encode_leaf(&fmt, c->level, pa, &attrs,
						&raw),
			  0);
		EXPECT_EQ(c->name, raw, c->raw);
		if (!c->canonical)
			continue;
		attrs.flags &= ~TDP_ATTR_PAT_INDEX;
		EXPECT_EQ(c->name,
			  tdp_entry_encode_leaf(&fmt, c->level, pa, &attrs,
						&raw),
			  0);
		EXPECT_EQ(c->name, raw, c->raw);
	}
	assert_int_equal(tdp_entry_decode_leaf(NULL, 0, PA_4K | PG_P, &pa,
					       &attrs),
			 -TDP_ERR_INVAL);
	assert_int_equal(mismatches, 0);
}

/* ---- classification and reserved-bit faults --------------------------- */

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
	{ "PTE zero", I4, 0, 0, 0, 0, TDP_ENTRY_INVALID },
	/* Present is bit 0 alone; everything else is then ignored. */
	{ "PTE garbage, P clear", I4, 0, 0, 0, 0xfffffffffffffffe,
	  TDP_ENTRY_INVALID },
	{ "PDE PS, P clear", I4, 0, 0, 1, PA_2M | PG_PS | PG_RW,
	  TDP_ENTRY_INVALID },
	{ "PML4E PS, P clear", I4, 0, 0, 3, PA_TBL | PG_PS | PG_RW | PG_US,
	  TDP_ENTRY_INVALID },
	{ "PTE", I4, 0, 0, 0, PA_4K | PG_P, TDP_ENTRY_LEAF },
	{ "PTE PAT bit 7", I4, 0, 0, 0, PA_4K | PG_PAT_4K | PG_P,
	  TDP_ENTRY_LEAF },
	{ "PTE low bits all", I4, 0, 0, 0, PA_4K | 0xfff, TDP_ENTRY_LEAF },
	{ "PTE XD pkey", I4, 0, 0, 0, PA_4K | PG_P | PG_XD | PG_PKEY(15),
	  TDP_ENTRY_LEAF },
	{ "PDE table", I4, 0, 0, 1, PA_TBL | TBL_DEFAULT, TDP_ENTRY_TABLE },
	{ "PDE table P only", I4, 0, 0, 1, PA_TBL | PG_P, TDP_ENTRY_TABLE },
	{ "PDE table ignored bits", I4, 0, 0, 1,
	  PA_TBL | 0xf7f | BIT(52) | BIT(62) | PG_XD, TDP_ENTRY_TABLE },
	{ "PDE 2M", I4, 0, 0, 1, PA_2M | PG_PS | PG_P, TDP_ENTRY_LEAF },
	{ "PDE 2M PAT bit 12", I4, 0, 0, 1, PA_2M | PG_PAT_LARGE | PG_PS | 1,
	  TDP_ENTRY_LEAF },
	{ "PDPTE table", I4, 0, 0, 2, PA_TBL | TBL_DEFAULT, TDP_ENTRY_TABLE },
	{ "PDPTE 1G", I4, 0, 0, 2, PA_1G | PG_PS | PG_P, TDP_ENTRY_LEAF },
	{ "PDPTE 1G PAT bit 12", I5, 0, 0, 2,
	  PA_1G | PG_PAT_LARGE | PG_PS | PG_P, TDP_ENTRY_LEAF },
	{ "PDPTE table NO_1G", I4, F_NO1G, 0, 2, PA_TBL | TBL_DEFAULT,
	  TDP_ENTRY_TABLE },
	{ "PML4E table", I4, 0, 0, 3, PA_TBL | TBL_DEFAULT, TDP_ENTRY_TABLE },
	{ "PML4E table XD", I4, 0, 0, 3, PA_TBL | TBL_DEFAULT | PG_XD,
	  TDP_ENTRY_TABLE },
	{ "PML5E table", I5, 0, 0, 4, PA_TBL | TBL_DEFAULT, TDP_ENTRY_TABLE },
	{ "no NX PTE", I4, F_NONX, 0, 0, PA_4K | PG_P | BIT(62),
	  TDP_ENTRY_LEAF },
	{ "pa36 bit 35", I4, 0, 36, 0, BIT(35) | PG_P, TDP_ENTRY_LEAF },
	{ "pa52 bit 51", I4, 0, 0, 0, BIT(51) | PG_P, TDP_ENTRY_LEAF },
	{ "pa39 PML5E bit 38", I5, 0, 39, 4, BIT(38) | TBL_DEFAULT,
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
	init_fmt(&fmt, I4, 0, 0);
	assert_int_equal(tdp_entry_classify(&fmt, 4, PA_TBL | PG_P),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_entry_classify(&fmt, -1, PA_TBL | PG_P),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_entry_classify(NULL, 0, PA_4K | PG_P),
			 -TDP_ERR_INVAL);
	assert_int_equal(mismatches, 0);
}

/* A malformed entry: classify says RESERVED, a lookup RESERVED fault. */
#define D_RSVD TDP_DETAIL_RESERVED_BIT
#define D_PA TDP_DETAIL_PA_WIDTH
#define D_LVL TDP_DETAIL_LEAF_LEVEL
#define D_ALIGN TDP_DETAIL_LEAF_ALIGN

static const struct bad_case bad_cases[] = {
	/* Address bits at or above MAXPHYADDR, in every kind of entry. */
	{ "pa36 PTE bit 36", I4, 0, 36, 0, BIT(36) | PA_4K | PG_P, D_PA },
	{ "pa36 PTE bit 51", I4, 0, 36, 0, BIT(51) | PA_4K | PG_P, D_PA },
	{ "pa39 PML4E bit 39", I4, 0, 39, 3, BIT(39) | PA_TBL | TBL_DEFAULT,
	  D_PA },
	{ "pa46 2M bit 51", I4, 0, 46, 1, BIT(51) | PA_2M | PG_PS | PG_P,
	  D_PA },
	{ "pa46 1G bit 46", I4, 0, 46, 2, BIT(46) | PA_1G | PG_PS | PG_P,
	  D_PA },
	{ "pa32 PDPTE table bit 32", I4, 0, 32, 2, BIT(32) | PA_TBL | PG_P,
	  D_PA },
	{ "pa39 PML5E bit 45", I5, 0, 39, 4, BIT(45) | PA_TBL | TBL_DEFAULT,
	  D_PA },
	{ "pa46 PDE table bit 47", I5, 0, 46, 1, BIT(47) | PA_TBL | PG_P,
	  D_PA },
	/* XD is reserved when NX is off (EFER.NXE = 0). */
	{ "no NX PTE XD", I4, F_NONX, 0, 0, PA_4K | PG_P | PG_XD, D_RSVD },
	{ "no NX PDE table XD", I4, F_NONX, 0, 1,
	  PA_TBL | TBL_DEFAULT | PG_XD, D_RSVD },
	{ "no NX 2M XD", I4, F_NONX, 0, 1, PA_2M | PG_PS | PG_P | PG_XD,
	  D_RSVD },
	{ "no NX PML4E XD", I4, F_NONX, 0, 3, PA_TBL | TBL_DEFAULT | PG_XD,
	  D_RSVD },
	{ "no NX PML5E XD", I5, F_NONX, 0, 4, PA_TBL | TBL_DEFAULT | PG_XD,
	  D_RSVD },
	/* PS where no leaf may be. */
	{ "PML4E PS", I4, 0, 0, 3, PA_TBL | TBL_DEFAULT | PG_PS, D_LVL },
	{ "PML4E 512G-looking leaf", I4, 0, 0, 3, PA_1G | PG_PS | PG_P,
	  D_LVL },
	{ "PML5E PS", I5, 0, 0, 4, PA_TBL | TBL_DEFAULT | PG_PS, D_LVL },
	{ "1G with NO_1G", I4, F_NO1G, 0, 2, PA_1G | PG_PS | PG_P, D_LVL },
	{ "ia32e5 1G with NO_1G", I5, F_NO1G, 0, 2,
	  PA_1G | PG_PS | TBL_DEFAULT, D_LVL },
	/* Bits 20:13 of a 2 MiB leaf, 29:13 of a 1 GiB leaf. */
	{ "2M bit 13", I4, 0, 0, 1, PA_2M | BIT(13) | PG_PS | PG_P,
	  D_ALIGN },
	{ "2M bit 20", I4, 0, 0, 1, PA_2M | BIT(20) | PG_PS | PG_P,
	  D_ALIGN },
	{ "2M bit 20 with PAT", I5, 0, 0, 1,
	  PA_2M | BIT(20) | PG_PAT_LARGE | PG_PS | PG_P, D_ALIGN },
	{ "1G bit 13", I4, 0, 0, 2, PA_1G | BIT(13) | PG_PS | PG_P,
	  D_ALIGN },
	{ "1G bit 21", I4, 0, 0, 2, PA_1G | BIT(21) | PG_PS | PG_P,
	  D_ALIGN },
	{ "1G bit 29", I5, 0, 0, 2, PA_1G | BIT(29) | PG_PS | PG_P,
	  D_ALIGN },
};

static void test_reserved(void **state)
{
	unsigned int i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		/* Upper-half addresses with distinct indexes at every level. */
		uint64_t addr = c->format == I5 ? 0xffa73ec9c5a73123ull :
						  0xffffbec9c5a73123ull;

		expect_malformed(*state, c, addr, TDP_FAULT_RESERVED);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- successful lookups, canonical addresses --------------------------- */

struct walk_case {
	const char *name;
	uint32_t format;
	uint32_t features;
	uint8_t pa_bits;
	uint64_t addr;
	int leaf_level;
	uint64_t leaf;
	/* Table entries' low bits per level; 0 means P | R/W | U/S. */
	uint64_t tbits[5];
	uint64_t out_addr;
	uint64_t page_size;
	uint32_t perms;		/* effective: AND over the walk */
	uint32_t leaf_perms;	/* the leaf's own, in attrs */
	uint32_t flags;
	uint8_t pat;
	uint8_t memtype;
	uint8_t pkey;
	uint32_t sw;
};

static const struct walk_case walk_cases[] = {
	{ "ia32e4 4K low", I4, 0, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | TBL_DEFAULT, { 0 }, 0xabcdeabc, 0x1000, RWXU, RWXU,
	  0, 0, TDP_MT_WB, 0, 0 },
	{ "ia32e4 low half top", I4, 0, 0, 0x00007fffffffffffull, 0,
	  0x5000 | TBL_DEFAULT, { 0 }, 0x5fff, 0x1000, RWXU, RWXU, 0, 0,
	  TDP_MT_WB, 0, 0 },
	/* PML4 index 256, PT index 1. */
	{ "ia32e4 upper half start", I4, 0, 0, 0xffff800000001234ull, 0,
	  0xabcde000 | PG_RW | PG_P, { 0 }, 0xabcde234, 0x1000, RWX, RWX,
	  0, 0, TDP_MT_WB, 0, 0 },
	{ "ia32e4 last address", I4, 0, 0, 0xffffffffffffffffull, 0,
	  0x5000 | PG_P, { 0 }, 0x5fff, 0x1000, RX, RX, 0, 0, TDP_MT_WB, 0,
	  0 },
	{ "ia32e4 2M kernel text", I4, 0, 0, 0xffffffff80123456ull, 1,
	  0x80200000 | PG_PS | PG_RW | PG_P, { 0 }, 0x80323456, 0x200000,
	  RWX, RWX, 0, 0, TDP_MT_WB, 0, 0 },
	{ "ia32e4 1G direct map", I4, 0, 0, 0xffff888012345678ull, 2,
	  PA_1G | PG_PS | PG_RW | PG_P | PG_XD, { 0 }, 0x152345678ull,
	  0x40000000, TDP_PERM_R | TDP_PERM_W, TDP_PERM_R | TDP_PERM_W, 0, 0,
	  TDP_MT_WB, 0, 0 },
	{ "ia32e4 address 0", I4, 0, 0, 0, 0, 0x7000 | TBL_DEFAULT, { 0 },
	  0x7000, 0x1000, RWXU, RWXU, 0, 0, TDP_MT_WB, 0, 0 },
	/* PML5 index 256: the first upper-half address of LA57. */
	{ "ia32e5 upper half start", I5, 0, 0, 0xff00000000001234ull, 0,
	  0x9000 | PG_RW | PG_P, { 0 }, 0x9234, 0x1000, RWX, RWX, 0, 0,
	  TDP_MT_WB, 0, 0 },
	/* PML5 index 511, PML4 index 256. */
	{ "ia32e5 4-level kernel half", I5, 0, 0, 0xffff800000001234ull, 0,
	  0x9000 | PG_P, { 0 }, 0x9234, 0x1000, RX, RX, 0, 0, TDP_MT_WB, 0,
	  0 },
	{ "ia32e5 low half top 2M", I5, 0, 0, 0x00ffffffffffffffull, 1,
	  0x000fffffffe00000ull | PG_PS | TBL_DEFAULT, { 0 },
	  0x000fffffffffffffull, 0x200000, RWXU, RWXU, 0, 0, TDP_MT_WB, 0,
	  0 },
	{ "ia32e5 1G high", I5, 0, 0, 0xff123456789abcdeull, 2,
	  0x40000000 | PG_PS | TBL_DEFAULT, { 0 }, 0x789abcde, 0x40000000,
	  RWXU, RWXU, 0, 0, TDP_MT_WB, 0, 0 },
	/* Attributes come from the leaf. */
	{ "4K attributes", I4, 0, 0, 0xffff800012345678ull, 0,
	  0x9870000000777ffbull, { 0 }, 0x777678, 0x1000,
	  TDP_PERM_R | TDP_PERM_W, TDP_PERM_R | TDP_PERM_W, A_ADG, 7,
	  TDP_MT_UC, 3, 0x3f },
	{ "2M attributes", I4, 0, 0, 0x0000004012345678ull, 1,
	  0x08000000802011a9ull, { 0 }, 0x80345678, 0x200000, RX, RX,
	  TDP_ATTR_ACCESSED | TDP_ATTR_GLOBAL, 5, TDP_MT_WT, 1, 0 },
	/* Effective permissions are the AND over the walk. */
	{ "PDE without R/W", I4, 0, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | TBL_DEFAULT, { [1] = PG_P | PG_US }, 0xabcdeabc,
	  0x1000, RX | TDP_PERM_U, RWXU, 0, 0, TDP_MT_WB, 0, 0 },
	{ "PDPTE without U/S", I4, 0, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | TBL_DEFAULT, { [2] = PG_P | PG_RW }, 0xabcdeabc,
	  0x1000, RWX, RWXU, 0, 0, TDP_MT_WB, 0, 0 },
	{ "PML4E XD over 2M", I4, 0, 0, 0x0000004012345678ull, 1,
	  0x80200000 | PG_PS | TBL_DEFAULT, { [3] = TBL_DEFAULT | PG_XD },
	  0x80345678, 0x200000, TDP_PERM_R | TDP_PERM_W | TDP_PERM_U, RWXU,
	  0, 0, TDP_MT_WB, 0, 0 },
	{ "PML5E P only over 1G", I5, 0, 0, 0xff123456789abcdeull, 2,
	  0x40000000 | PG_PS | TBL_DEFAULT, { [4] = PG_P }, 0x789abcde,
	  0x40000000, RX, RWXU, 0, 0, TDP_MT_WB, 0, 0 },
	{ "no NX: X everywhere", I4, F_NONX, 0, 0x00007f1234567abcull, 0,
	  0xabcde000 | PG_P, { 0 }, 0xabcdeabc, 0x1000, RX, RX, 0, 0,
	  TDP_MT_WB, 0, 0 },
	/* Narrow physical addresses. */
	{ "pa36 top", I4, 0, 36, 0xfffffffffffff0ffull, 0,
	  0xffffff000ull | PG_P, { 0 }, 0xffffff0ffull, 0x1000,
	  RX, RX, 0, 0, TDP_MT_WB, 0, 0 },
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
		uint32_t fault = 0xff;
		uint64_t out = 0;
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
		EXPECT_EQ(c->name, res.attrs.flags, c->flags);
		EXPECT_EQ(c->name, res.attrs.pat, c->pat);
		EXPECT_EQ(c->name, res.attrs.memtype, c->memtype);
		EXPECT_EQ(c->name, res.attrs.pkey, c->pkey);
		EXPECT_EQ(c->name, res.attrs.sw, c->sw);
		EXPECT_EQ(c->name,
			  tdp_translate(&pgt, c->addr, 0, &out, &fault), 0);
		EXPECT_EQ(c->name, out, c->out_addr);
		EXPECT_EQ(c->name, fault, TDP_FAULT_NONE);
	}
	assert_int_equal(tdp_pool_get_stats(env->pool, &st), 0);
	assert_int_equal(st.allocs, 0);
	assert_int_equal(tdp_lookup(NULL, 0, &res), -TDP_ERR_INVAL);
	assert_int_equal(tdp_lookup(&pgt, 0, NULL), -TDP_ERR_INVAL);
	assert_int_equal(mismatches, 0);
}

/* ---- faults other than reserved bits ----------------------------------- */

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
	/*
	 * Non-canonical addresses read nothing, even where a walk of the
	 * truncated index bits would find a page.
	 */
	{ "ia32e4 2^47", I4, 0x0000800000000000ull, 0, PA_4K | PG_P,
	  TDP_FAULT_NON_CANONICAL, -1 },
	{ "ia32e4 below upper half", I4, 0xffff7ffffffff000ull, 0,
	  PA_4K | PG_P, TDP_FAULT_NON_CANONICAL, -1 },
	{ "ia32e4 2^48", I4, 0x0001000000000000ull, 0, PA_4K | PG_P,
	  TDP_FAULT_NON_CANONICAL, -1 },
	{ "ia32e4 2^63", I4, 0x8000000000000000ull, 0, PA_4K | PG_P,
	  TDP_FAULT_NON_CANONICAL, -1 },
	{ "ia32e4 LA57 upper half", I4, 0xff00000000001000ull, 0,
	  PA_4K | PG_P, TDP_FAULT_NON_CANONICAL, -1 },
	{ "ia32e5 2^56", I5, 0x0100000000000000ull, 0, PA_4K | PG_P,
	  TDP_FAULT_NON_CANONICAL, -1 },
	{ "ia32e5 below upper half", I5, 0xfeffffffffffffffull, 0,
	  PA_4K | PG_P, TDP_FAULT_NON_CANONICAL, -1 },
	{ "ia32e5 2^57", I5, 0x0200000000000000ull, 4, 0,
	  TDP_FAULT_NON_CANONICAL, -1 },
	{ "ia32e5 2^63", I5, 0x8000000000000000ull, 4, 0,
	  TDP_FAULT_NON_CANONICAL, -1 },
	/* Not present at each level, upper and lower half. */
	{ "ia32e4 empty root low", I4, 0x00007f1234567abcull, 3, 0,
	  TDP_FAULT_NOT_PRESENT, 3 },
	{ "ia32e4 empty root high", I4, 0xffff800000000000ull, 3, 0,
	  TDP_FAULT_NOT_PRESENT, 3 },
	{ "ia32e5 empty root high", I5, 0xff00000000000000ull, 4, 0,
	  TDP_FAULT_NOT_PRESENT, 4 },
	{ "ia32e4 PDPTE", I4, 0xffffffff80000000ull, 2, 0,
	  TDP_FAULT_NOT_PRESENT, 2 },
	{ "ia32e5 PDE PS, P clear", I5, 0xff00000000200000ull, 1,
	  PA_2M | PG_PS | PG_RW | PG_US, TDP_FAULT_NOT_PRESENT, 1 },
	{ "ia32e4 PTE garbage, P clear", I4, 0xffff800000001000ull, 0,
	  0xfffffffffffffffeull, TDP_FAULT_NOT_PRESENT, 0 },
	/* Table pointers the pool cannot translate. */
	{ "ia32e4 PML4E to 1 GiB", I4, 0xffff800000001000ull, 3,
	  0x40000000 | TBL_DEFAULT, TDP_FAULT_BAD_POINTER, 3 },
	{ "ia32e4 PDE below the pool", I4, 0x00007f1234567abcull, 1,
	  (POOL_BASE - 0x1000) | PG_P, TDP_FAULT_BAD_POINTER, 1 },
	{ "ia32e5 PML5E at 2^51", I5, 0xff00000000001000ull, 4,
	  BIT(51) | TBL_DEFAULT, TDP_FAULT_BAD_POINTER, 4 },
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
		EXPECT_EQ(c->name,
			  tdp_translate(&pgt, c->addr, TDP_ACCESS_READ, NULL,
					&fault),
			  -TDP_ERR_FAULT);
		EXPECT_EQ(c->name, fault, c->fault);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- translate: the SDM's access-rights rules, exhaustively ------------ */

/* What the walk grants, from the raw entries, as the SDM combines them. */
struct sdm_rights {
	bool write;	/* R/W set at every level */
	bool user;	/* U/S set at every level: a user-mode address */
	bool exec;	/* XD clear at every level */
};

static struct sdm_rights sdm_rights(const struct path *p, int root)
{
	struct sdm_rights r = { true, true, true };
	int level;

	for (level = root; level >= 0; level--) {
		r.write = r.write && (p->entry[level] & PG_RW);
		r.user = r.user && (p->entry[level] & PG_US);
		r.exec = r.exec && !(p->entry[level] & PG_XD);
	}
	return r;
}

/* SDM Vol. 3A 4.6: does the access fault? (NXE = 1, EFLAGS.AC = 0) */
static bool sdm_faults(struct sdm_rights r, uint32_t access)
{
	bool data = access & (TDP_ACCESS_READ | TDP_ACCESS_WRITE);
	bool write = access & TDP_ACCESS_WRITE;
	bool exec = access & TDP_ACCESS_EXEC;

	if (access & TDP_ACCESS_USER) {
		/* User mode reaches user-mode addresses only. */
		if (!r.user)
			return true;
		/* CR0.WP does not matter to user-mode writes. */
		if (write && !r.write)
			return true;
		return exec && !r.exec;
	}
	if (data && r.user && (access & TDP_ACCESS_SMAP))
		return true;
	if (write && !r.write && !(access & TDP_ACCESS_NO_WP))
		return true;
	if (exec && !r.exec)
		return true;
	return exec && r.user && (access & TDP_ACCESS_SMEP);
}

/*
 * One configuration: a 4 KiB leaf with @leaf_bits (from R/W, U/S, XD)
 * under tables that grant everything except the one at level @tl, which
 * has @table_bits. Every access type in every mode is checked.
 */
static void check_rights(struct env *env, uint32_t format, uint64_t addr,
			 int tl, uint64_t table_bits, uint64_t leaf_bits)
{
	static const uint32_t kinds[] = {
		0, TDP_ACCESS_READ, TDP_ACCESS_WRITE, TDP_ACCESS_EXEC,
	};
	const uint64_t leaf = 0x76543000 | PG_P | leaf_bits;
	int root = root_level_of(format);
	uint64_t tbits[5] = { 0 };
	struct sdm_rights r;
	struct tdp_lookup res;
	struct tdp_pgt pgt;
	struct path p;
	uint32_t eff, mode, k;
	char where[120], w2[160];

	tbits[tl] = PG_P | table_bits;
	build_path(env, root, addr, 0, tbits, leaf, &p);
	attach(env, &pgt, format, 0, 0);
	r = sdm_rights(&p, root);
	snprintf(where, sizeof(where), "%s table L%d %#llx leaf %#llx",
		 tdp_format_name(format), tl, (unsigned long long)tbits[tl],
		 (unsigned long long)leaf_bits);

	eff = TDP_PERM_R | (r.write ? TDP_PERM_W : 0) |
	      (r.user ? TDP_PERM_U : 0) |
	      (r.exec ? TDP_PERM_X | TDP_PERM_XU : 0);
	EXPECT_EQ(where, tdp_lookup(&pgt, addr, &res), 0);
	EXPECT_EQ(where, res.perms, eff);

	/* Every kind with every subset of USER, NO_WP, SMEP, SMAP. */
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (mode = 0; mode < 16; mode++) {
			uint32_t acc = kinds[k] |
				       (mode & 1 ? TDP_ACCESS_USER : 0) |
				       (mode & 2 ? TDP_ACCESS_NO_WP : 0) |
				       (mode & 4 ? TDP_ACCESS_SMEP : 0) |
				       (mode & 8 ? TDP_ACCESS_SMAP : 0);
			bool faults = sdm_faults(r, acc);
			uint32_t fault = 0xff;
			uint64_t out = 0;

			snprintf(w2, sizeof(w2), "%s access %#x", where, acc);
			EXPECT_EQ(w2,
				  tdp_translate(&pgt, addr, acc, &out, &fault),
				  faults ? -TDP_ERR_FAULT : 0);
			EXPECT_EQ(w2, fault,
				  faults ? TDP_FAULT_PERMISSION :
					   TDP_FAULT_NONE);
			if (!faults)
				EXPECT_EQ(w2, out, 0x76543000 | (addr & 0xfff));
		}
	}
}

static void test_translate_rules(void **state)
{
	static const uint64_t bit[3] = { PG_RW, PG_US, PG_XD };
	static const struct {
		uint32_t format;
		uint64_t addr;
	} where[] = {
		{ I4, 0x00007f1234567abcull },
		{ I4, 0xffff800000001234ull },
		{ I5, 0xff00123456789abcull },
	};
	struct env *env = *state;
	struct tdp_pgt pgt;
	unsigned int w, li, ti, b;
	int tl;

	for (w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		for (tl = 1; tl <= root_level_of(where[w].format); tl++) {
			for (li = 0; li < 8; li++) {
				for (ti = 0; ti < 8; ti++) {
					uint64_t lb = 0, tb = 0;

					for (b = 0; b < 3; b++) {
						if (li & (1u << b))
							lb |= bit[b];
						if (ti & (1u << b))
							tb |= bit[b];
					}
					check_rights(env, where[w].format,
						     where[w].addr, tl, tb, lb);
				}
			}
		}
	}
	attach(env, &pgt, I4, 0, 0);
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
		T(test_reserved),
		T(test_lookup_ok),
		T(test_lookup_faults),
		T(test_translate_rules),
#undef T
	};

	return cmocka_run_group_tests_name("ia32e", tests, NULL, NULL);
}

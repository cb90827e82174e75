/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The EPT pointer helpers, tdp_eptp_make() and tdp_eptp_parse().
 *
 * Expected values are written from the SDM's EPTP layout (Vol. 3C, "Extended-
 * Page-Table Pointer"): bits 2:0 memory type (0 UC, 6 WB), bits 5:3 walk
 * length minus one, bit 6 A/D enable, bit 7 supervisor shadow-stack
 * control, bits 11:8 reserved, bits N-1:12 the root, bits 63:N reserved.
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
#include <string.h>

#include <libtdp/tdp.h>

#include "expect.h"

#define BIT(n) (1ull << (n))

static void expect_fields(const char *where, const struct tdp_eptp *got,
			  const struct tdp_eptp *want)
{
	EXPECT_EQ(where, got->root_pa, want->root_pa);
	EXPECT_EQ(where, got->memtype, want->memtype);
	EXPECT_EQ(where, got->levels, want->levels);
	EXPECT_EQ(where, got->ad, want->ad);
	EXPECT_EQ(where, got->sss, want->sss);
}

/* Valid pointers: make() gives @eptp, parse() gives the fields back. */
struct good_case {
	const char *name;
	struct tdp_eptp in;
	unsigned int pa_bits;
	uint64_t eptp;
};

static const struct good_case good_cases[] = {
	/* 0x5e = WB (6) | walk length 3 << 3 | A/D (bit 6). */
	{ "WB 4-level A/D",
	  { 0x12345000, TDP_MT_WB, 4, true, false }, 52, 0x1234505e },
	{ "UC 4-level", { 0x12345000, TDP_MT_UC, 4, false, false }, 52,
	  0x12345018 },
	{ "WB 5-level", { 0x12345000, TDP_MT_WB, 5, false, false }, 52,
	  0x12345026 },
	{ "UC 5-level A/D", { 0x12345000, TDP_MT_UC, 5, true, false }, 52,
	  0x12345060 },
	{ "WB 4-level A/D SSS",
	  { 0x12345000, TDP_MT_WB, 4, true, true }, 52, 0x123450de },
	{ "SSS only", { 0x7000, TDP_MT_UC, 5, false, true }, 40, 0x70a0 },
	{ "root 0", { 0, TDP_MT_WB, 4, false, false }, 32, 0x1e },
	{ "pa32 top root", { 0xfffff000, TDP_MT_WB, 4, false, false }, 32,
	  0xfffff01e },
	{ "pa36 top root", { 0xffffff000, TDP_MT_WB, 4, true, false }, 36,
	  0xffffff05e },
	{ "pa46 top root", { 0x3ffffffff000, TDP_MT_WB, 5, true, true }, 46,
	  0x3ffffffff0e6 },
	{ "pa52 top root", { 0xffffffffff000, TDP_MT_WB, 5, false, false },
	  52, 0xffffffffff026 },
};

static void test_make_and_parse(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		const struct good_case *c = &good_cases[i];
		struct tdp_eptp out;
		uint64_t v = 0;

		EXPECT_EQ(c->name, tdp_eptp_make(&c->in, c->pa_bits, &v), 0);
		EXPECT_EQ(c->name, v, c->eptp);
		memset(&out, 0xa5, sizeof(out));
		out.ad = true;
		out.sss = true;
		EXPECT_EQ(c->name, tdp_eptp_parse(c->eptp, c->pa_bits, &out),
			  0);
		expect_fields(c->name, &out, &c->in);
		/* A wider MAXPHYADDR accepts the same pointer. */
		EXPECT_EQ(c->name, tdp_eptp_parse(c->eptp, 52, &out), 0);
		expect_fields(c->name, &out, &c->in);
	}
	assert_int_equal(mismatches, 0);
}

struct make_err_case {
	const char *name;
	struct tdp_eptp in;
	unsigned int pa_bits;
	int ret;
};

static const struct make_err_case make_err_cases[] = {
	{ "memtype WC", { 0x12345000, TDP_MT_WC, 4, false, false }, 52,
	  -TDP_ERR_INVAL },
	{ "memtype WT", { 0x12345000, TDP_MT_WT, 4, false, false }, 52,
	  -TDP_ERR_INVAL },
	{ "memtype WP", { 0x12345000, TDP_MT_WP, 4, false, false }, 52,
	  -TDP_ERR_INVAL },
	{ "memtype UC-", { 0x12345000, TDP_MT_UC_MINUS, 4, false, false },
	  52, -TDP_ERR_INVAL },
	{ "memtype 200", { 0x12345000, 200, 4, false, false }, 52,
	  -TDP_ERR_INVAL },
	{ "levels 0", { 0x12345000, TDP_MT_WB, 0, false, false }, 52,
	  -TDP_ERR_INVAL },
	{ "levels 2", { 0x12345000, TDP_MT_WB, 2, false, false }, 52,
	  -TDP_ERR_INVAL },
	{ "levels 3", { 0x12345000, TDP_MT_WB, 3, false, false }, 52,
	  -TDP_ERR_INVAL },
	{ "levels 6", { 0x12345000, TDP_MT_WB, 6, false, false }, 52,
	  -TDP_ERR_INVAL },
	{ "levels 8", { 0x12345000, TDP_MT_WB, 8, false, false }, 52,
	  -TDP_ERR_INVAL },
	{ "root bit 11", { 0x12345800, TDP_MT_WB, 4, false, false }, 52,
	  -TDP_ERR_ALIGN },
	{ "root bit 0", { 0x12345001, TDP_MT_WB, 4, false, false }, 52,
	  -TDP_ERR_ALIGN },
	{ "pa32 root 4G", { BIT(32), TDP_MT_WB, 4, false, false }, 32,
	  -TDP_ERR_RANGE },
	{ "pa36 root 2^36", { BIT(36), TDP_MT_WB, 4, false, false }, 36,
	  -TDP_ERR_RANGE },
	{ "pa36 root 2^40", { BIT(40) | 0x1000, TDP_MT_WB, 4, false, false },
	  36, -TDP_ERR_RANGE },
	{ "pa52 root 2^52", { BIT(52), TDP_MT_WB, 5, false, false }, 52,
	  -TDP_ERR_RANGE },
	{ "pa52 root 2^63", { BIT(63), TDP_MT_WB, 5, false, false }, 52,
	  -TDP_ERR_RANGE },
	{ "pa_bits 0", { 0x12345000, TDP_MT_WB, 4, false, false }, 0,
	  -TDP_ERR_INVAL },
	{ "pa_bits 31", { 0x12345000, TDP_MT_WB, 4, false, false }, 31,
	  -TDP_ERR_INVAL },
	{ "pa_bits 53", { 0x12345000, TDP_MT_WB, 4, false, false }, 53,
	  -TDP_ERR_INVAL },
	{ "pa_bits 64", { 0x12345000, TDP_MT_WB, 4, false, false }, 64,
	  -TDP_ERR_INVAL },
	{ "pa_bits 4096", { 0x12345000, TDP_MT_WB, 4, false, false }, 4096,
	  -TDP_ERR_INVAL },
};

static void test_make_errors(void **state)
{
	const uint64_t sentinel = 0xdeadbeefcafef00dull;
	const struct tdp_eptp ok = { 0x12345000, TDP_MT_WB, 4, true, false };
	uint64_t v;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(make_err_cases) / sizeof(make_err_cases[0]);
	     i++) {
		const struct make_err_case *c = &make_err_cases[i];

		v = sentinel;
		EXPECT_EQ(c->name, tdp_eptp_make(&c->in, c->pa_bits, &v),
			  c->ret);
		/* A failing call changes nothing. */
		EXPECT_EQ(c->name, v, sentinel);
	}
	v = sentinel;
	assert_int_equal(tdp_eptp_make(NULL, 52, &v), -TDP_ERR_INVAL);
	assert_int_equal(v, sentinel);
	assert_int_equal(tdp_eptp_make(&ok, 52, NULL), -TDP_ERR_INVAL);
	assert_int_equal(mismatches, 0);
}

struct parse_err_case {
	const char *name;
	uint64_t eptp;
	unsigned int pa_bits;
};

/* A valid WB, 4-level pointer to 0x12345000 with A/D, to spoil. */
#define GOOD 0x1234505eull

static const struct parse_err_case parse_err_cases[] = {
	/* Memory types other than 0 (UC) and 6 (WB). */
	{ "memtype 1", 0x12345059, 52 },
	{ "memtype 2", 0x1234505a, 52 },
	{ "memtype 3", 0x1234505b, 52 },
	{ "memtype 4", 0x1234505c, 52 },
	{ "memtype 5", 0x1234505d, 52 },
	{ "memtype 7", 0x1234505f, 52 },
	/* Walk lengths other than 4 and 5 (field = length - 1). */
	{ "walk length 1", 0x12345046, 52 },
	{ "walk length 2", 0x1234504e, 52 },
	{ "walk length 3", 0x12345056, 52 },
	{ "walk length 6", 0x1234506e, 52 },
	{ "walk length 7", 0x12345076, 52 },
	{ "walk length 8", 0x1234507e, 52 },
	/* Reserved bits 11:8. */
	{ "bit 8", GOOD | BIT(8), 52 },
	{ "bit 9", GOOD | BIT(9), 52 },
	{ "bit 10", GOOD | BIT(10), 52 },
	{ "bit 11", GOOD | BIT(11), 52 },
	/* Bits at or above MAXPHYADDR. */
	{ "pa32 bit 32", GOOD | BIT(32), 32 },
	{ "pa36 bit 36", GOOD | BIT(36), 36 },
	{ "pa36 bit 51", GOOD | BIT(51), 36 },
	{ "pa46 bit 46", GOOD | BIT(46), 46 },
	{ "pa52 bit 52", GOOD | BIT(52), 52 },
	{ "pa52 bit 63", GOOD | BIT(63), 52 },
	/* MAXPHYADDR itself out of range. */
	{ "pa_bits 0", GOOD, 0 },
	{ "pa_bits 31", GOOD, 31 },
	{ "pa_bits 53", GOOD, 53 },
	{ "pa_bits 64", GOOD, 64 },
};

static void test_parse_errors(void **state)
{
	struct tdp_eptp out, before;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(parse_err_cases) / sizeof(parse_err_cases[0]);
	     i++) {
		const struct parse_err_case *c = &parse_err_cases[i];

		memset(&out, 0x5a, sizeof(out));
		before = out;
		EXPECT_EQ(c->name, tdp_eptp_parse(c->eptp, c->pa_bits, &out),
			  -TDP_ERR_INVAL);
		/* A failing call changes nothing. */
		EXPECT_EQ(c->name, memcmp(&out, &before, sizeof(out)), 0);
	}
	/* The spoiled bits are the only problem: GOOD itself parses. */
	assert_int_equal(tdp_eptp_parse(GOOD, 32, &out), 0);
	assert_int_equal(out.root_pa, 0x12345000);
	assert_int_equal(tdp_eptp_parse(GOOD, 52, NULL), -TDP_ERR_INVAL);
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_make_and_parse, reset_mismatches),
		cmocka_unit_test_setup(test_make_errors, reset_mismatches),
		cmocka_unit_test_setup(test_parse_errors, reset_mismatches),
	};

	return cmocka_run_group_tests_name("eptp", tests, NULL, NULL);
}

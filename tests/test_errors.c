/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The small naming functions every user and the `tdp` tool print through:
 * error strings, the run-time version, fault names and format names.
 * Expected values come from common.h, pgtable.h and format.h.
 */
#include <limits.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libtdp/tdp.h>

static const char unknown_error[] = "unknown error";

/*
 * Callers print tdp_strerror(ret) straight from a return value, so the
 * negative form must name the same thing as the positive one.
 */
static void test_strerror_known_codes(void **state)
{
	const char *text[TDP_ERR_MAX];
	int code;

	(void)state;
	for (code = 0; code < TDP_ERR_MAX; code++) {
		const char *pos = tdp_strerror(code);
		const char *neg = tdp_strerror(-code);

		assert_non_null(pos);
		assert_non_null(neg);
		assert_string_equal(pos, neg);
		assert_true(strlen(pos) > 0);
		if (strcmp(pos, unknown_error) == 0)
			fail_msg("code %d is documented but reads \"%s\"",
				 code, pos);
		text[code] = pos;
	}

	/* Two codes with one text would make error reports ambiguous. */
	for (code = 0; code < TDP_ERR_MAX; code++) {
		int other;

		for (other = code + 1; other < TDP_ERR_MAX; other++) {
			if (strcmp(text[code], text[other]) == 0)
				fail_msg("codes %d and %d share \"%s\"",
					 code, other, text[code]);
		}
	}
}

static void test_strerror_unknown_codes(void **state)
{
	/*
	 * TDP_ERR_MAX is the first value past the table: an off-by-one in the
	 * bound would read past it. INT_MIN has no positive counterpart, so
	 * negating it naively is undefined behaviour.
	 */
	static const int unknown[] = {
		TDP_ERR_MAX, -TDP_ERR_MAX, TDP_ERR_MAX + 1, -(TDP_ERR_MAX + 1),
		1000, -1000, INT_MAX, -INT_MAX, INT_MIN,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const char *s = tdp_strerror(unknown[i]);

		assert_non_null(s);
		if (strcmp(s, unknown_error) != 0)
			fail_msg("tdp_strerror(%d) = \"%s\"", unknown[i], s);
	}
}

static void test_version(void **state)
{
	uint32_t expect = ((uint32_t)TDP_VERSION_MAJOR << 16) |
			  ((uint32_t)TDP_VERSION_MINOR << 8) |
			  (uint32_t)TDP_VERSION_PATCH;

	(void)state;
	/* Each component has 8 bits (major 16) in the packed number. */
	assert_true(TDP_VERSION_MINOR < 256 && TDP_VERSION_PATCH < 256);
	assert_int_equal((uint32_t)TDP_VERSION_NUMBER, expect);
	assert_int_equal(tdp_version(), expect);
}

static void test_fault_names(void **state)
{
	/* The names the `tdp` tool prints; scripts parse them. */
	static const struct {
		int fault;
		const char *name;
	} faults[] = {
		{ TDP_FAULT_NONE, "none" },
		{ TDP_FAULT_NOT_PRESENT, "not-present" },
		{ TDP_FAULT_RESERVED, "reserved" },
		{ TDP_FAULT_MISCONFIG, "misconfig" },
		{ TDP_FAULT_PERMISSION, "permission" },
		{ TDP_FAULT_ACCESS_FLAG, "access-flag" },
		{ TDP_FAULT_ADDRESS_SIZE, "address-size" },
		{ TDP_FAULT_NON_CANONICAL, "non-canonical" },
		{ TDP_FAULT_BAD_POINTER, "out-of-memory-image" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		const char *s = tdp_fault_name(faults[i].fault);

		assert_non_null(s);
		if (strcmp(s, faults[i].name) != 0)
			fail_msg("fault %d: got \"%s\", want \"%s\"",
				 faults[i].fault, s, faults[i].name);
	}
}

static void test_fault_names_unknown(void **state)
{
	static const int unknown[] = {
		-1, TDP_FAULT_BAD_POINTER + 1, 100, INT_MAX, INT_MIN,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const char *s = tdp_fault_name(unknown[i]);

		assert_non_null(s);
		if (strcmp(s, "unknown") != 0)
			fail_msg("tdp_fault_name(%d) = \"%s\"", unknown[i], s);
	}
}

static const struct {
	const char *name;
	uint32_t id;
} formats[] = {
	{ "ept4", TDP_FMT_EPT4 },
	{ "ept5", TDP_FMT_EPT5 },
	{ "ia32e4", TDP_FMT_IA32E4 },
	{ "ia32e5", TDP_FMT_IA32E5 },
	{ "pae", TDP_FMT_PAE },
	{ "legacy32", TDP_FMT_LEGACY32 },
	{ "spp", TDP_FMT_SPP },
	{ "s2-4k", TDP_FMT_S2_4K },
	{ "s2-16k", TDP_FMT_S2_16K },
	{ "s2-64k", TDP_FMT_S2_64K },
};

#define NR_FORMATS (sizeof(formats) / sizeof(formats[0]))

static void test_format_names_round_trip(void **state)
{
	size_t i;

	(void)state;
	/* The enum's values are part of the ABI: pin them too. */
	for (i = 0; i < NR_FORMATS; i++)
		assert_int_equal(formats[i].id, i + 1);

	for (i = 0; i < NR_FORMATS; i++) {
		const char *name = tdp_format_name(formats[i].id);
		int id = tdp_format_from_name(formats[i].name);

		if (id != (int)formats[i].id)
			fail_msg("from_name(\"%s\") = %d, want %u",
				 formats[i].name, id, formats[i].id);
		assert_non_null(name);
		if (strcmp(name, formats[i].name) != 0)
			fail_msg("format_name(%u) = \"%s\", want \"%s\"",
				 formats[i].id, name, formats[i].name);
	}
}

static void test_format_names_unknown(void **state)
{
	/*
	 * Prefixes and extensions of real names catch a lookup that compares
	 * only a prefix; "" and " ept4" catch sloppy trimming.
	 */
	static const char *const bad_names[] = {
		"", "ept", "ept44", "ept4 ", " ept4", "ept6", "s2", "s2-4",
		"s2-4kk", "ia32e", "legacy", "sp", "spp-", "none", "unknown",
	};
	static const uint32_t bad_ids[] = {
		0, TDP_FMT_S2_64K + 1, 100, 0x80000001u, UINT32_MAX,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		int ret = tdp_format_from_name(bad_names[i]);

		if (ret != -TDP_ERR_FORMAT)
			fail_msg("from_name(\"%s\") = %d, want %d",
				 bad_names[i], ret, -TDP_ERR_FORMAT);
	}
	assert_int_equal(tdp_format_from_name(NULL), -TDP_ERR_INVAL);

	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		if (tdp_format_name(bad_ids[i]) != NULL)
			fail_msg("format_name(%u) is not NULL", bad_ids[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_known_codes),
		cmocka_unit_test(test_strerror_unknown_codes),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_fault_names),
		cmocka_unit_test(test_fault_names_unknown),
		cmocka_unit_test(test_format_names_round_trip),
		cmocka_unit_test(test_format_names_unknown),
	};

	return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Table-driven checks that report every mismatching case, not only the
 * first: EXPECT_EQ() prints a mismatch and counts it, and the test asserts
 * at its end that the count is 0, so one run shows all disagreements.
 *
 * Include after <cmocka.h>.
 */
#ifndef TESTS_EXPECT_H
#define TESTS_EXPECT_H

#include <stdint.h>

/* Mismatches found by the table-driven checks of the current test. */
extern unsigned int mismatches;

/* Count and print a mismatch when @got differs from @want. */
void expect_eq(const char *where, const char *what, uint64_t got,
	       uint64_t want);

#define EXPECT_EQ(where, got, want)                                           \
	expect_eq((where), #got, (uint64_t)(got), (uint64_t)(want))

/* cmocka setup: start a test with no mismatches. */
int reset_mismatches(void **state);

#endif

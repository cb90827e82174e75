/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* Table-driven checks that report every mismatch; see expect.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "expect.h"

unsigned int mismatches;

void expect_eq(const char *where, const char *what, uint64_t got,
	       uint64_t want)
{
	if (got == want)
		return;
	print_error("%s: %s = %#llx (%lld), expected %#llx (%lld)\n", where,
		    what, (unsigned long long)got, (long long)got,
		    (unsigned long long)want, (long long)want);
	mismatches++;
}

int reset_mismatches(void **state)
{
	(void)state;
	mismatches = 0;
	return 0;
}

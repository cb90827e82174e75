/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* Byte checks of memory the backends hand out; see bytes.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>

#include "bytes.h"

void assert_zeroed(const uint8_t *p, uint64_t n, uint64_t pa)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (p[i])
			fail_msg("byte %#" PRIx64 " of the table at %#" PRIx64
				 " is %#x, not zero", i, pa, p[i]);
	}
}

void assert_filled(const uint8_t *p, uint64_t n, uint8_t val)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != val)
			fail_msg("byte %#" PRIx64 " is %#x, want %#x", i, p[i],
				 val);
	}
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Byte checks of memory the backends hand out, failing the test at the
 * first wrong byte with its offset. Include after <cmocka.h>.
 */
#ifndef TESTS_BYTES_H
#define TESTS_BYTES_H

#include <stdint.h>

/* Every byte of the @n at @p (the table at @pa) is zero. */
void assert_zeroed(const uint8_t *p, uint64_t n, uint64_t pa);
/* Every byte of the @n at @p is @val. */
void assert_filled(const uint8_t *p, uint64_t n, uint8_t val);

#endif

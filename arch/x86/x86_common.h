/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* Geometry shared by the 8-byte, 9-bits-per-level x86 formats. Private. */
#ifndef LIBTDP_ARCH_X86_COMMON_H
#define LIBTDP_ARCH_X86_COMMON_H

#include "../../src/internal.h"

/*
 * Fill the geometry of a @levels-level format with 512 8-byte entries per
 * table, 4 KiB tables, leaves up to 1 GiB, address bits 51:12 and reserved
 * physical-address bits 51:pa_bits. Returns -TDP_ERR_FORMAT for a pa_bits
 * (0 meaning 52) outside 32..52 or an ia_bits other than 0.
 */
int tdp_x86_geometry(struct tdp_format *fmt, int levels);

/*
 * Unpack software-available bits: lo_mask (contiguous) holds sw bits 0..,
 * then hi_mask (which may be 0 where the format has no high software
 * bits). Inline: with constant masks every shift is a constant.
 */
static inline uint32_t tdp_x86_sw_get(uint64_t raw, uint64_t lo_mask,
				      uint64_t hi_mask)
{
	uint64_t hi = hi_mask ? TDP_FIELD_GET(hi_mask, raw) : 0;

	return (uint32_t)(TDP_FIELD_GET(lo_mask, raw) |
			  (hi << TDP_FIELD_WIDTH(lo_mask)));
}

static inline uint64_t tdp_x86_sw_put(uint32_t sw, uint64_t lo_mask,
				      uint64_t hi_mask)
{
	uint64_t hi = (uint64_t)sw >> TDP_FIELD_WIDTH(lo_mask);

	return TDP_FIELD_PREP(lo_mask, sw) |
	       (hi_mask ? TDP_FIELD_PREP(hi_mask, hi) : 0);
}

#endif /* LIBTDP_ARCH_X86_COMMON_H */

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
#include "x86_common.h"

#define X86_INDEX_BITS 9
#define X86_MAX_PA_BITS 52
#define X86_MIN_PA_BITS 32

int tdp_x86_geometry(struct tdp_format *fmt, int levels)
{
	unsigned int pa = fmt->cfg.pa_bits ? fmt->cfg.pa_bits : X86_MAX_PA_BITS;
	uint64_t pa_rsvd, addr;
	int l;

	if (pa < X86_MIN_PA_BITS || pa > X86_MAX_PA_BITS || fmt->cfg.ia_bits)
		return -TDP_ERR_FORMAT;
	/* Address bits at or above MAXPHYADDR are reserved in every entry. */
	pa_rsvd = TDP_GENMASK(X86_MAX_PA_BITS - 1, 0) & ~tdp_low_mask(pa);
	addr = TDP_GENMASK(pa - 1, 12);

	fmt->levels = (uint8_t)levels;
	fmt->entry_size = 8;
	fmt->ia_bits = (uint8_t)(12 + X86_INDEX_BITS * levels);
	fmt->pa_bits = (uint8_t)pa;
	fmt->root_size = 4096;
	fmt->root_align = 4096;
	fmt->table_size = 4096;
	fmt->leaf_levels = 0x7; /* 4 KiB, 2 MiB, 1 GiB */
	if (fmt->cfg.features & TDP_FEAT_NO_1G)
		fmt->leaf_levels = 0x3;
	for (l = 0; l < levels; l++) {
		struct tdp_level_desc *d = &fmt->lvl[l];
		unsigned int shift = 12 + X86_INDEX_BITS * (unsigned int)l;

		d->shift = (uint8_t)shift;
		d->index_bits = X86_INDEX_BITS;
		d->arch_level = (int8_t)(l + 1);
		d->table_rsvd = pa_rsvd;
		d->table_addr_mask = addr;
		d->leaf_addr_mask = addr & ~tdp_low_mask(shift);
		d->leaf_rsvd = pa_rsvd;
	}
	return 0;
}

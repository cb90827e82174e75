/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* VTCR_EL2 and VTTBR_EL2 for stage-2 tables. */
#include <libtdp/arm64.h>

#include "s2.h"

/* PS encodings of physical-address sizes. */
static const uint8_t ps_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

static bool is_s2(const struct tdp_format *fmt)
{
	return fmt->cfg.format == TDP_FMT_S2_4K ||
	       fmt->cfg.format == TDP_FMT_S2_16K ||
	       fmt->cfg.format == TDP_FMT_S2_64K;
}

int tdp_s2_make_vtcr(const struct tdp_format *fmt, uint32_t flags,
		     uint64_t *vtcr)
{
	unsigned int ps, tg, sl0;
	int start;
	uint64_t v;

	if (!fmt || !vtcr || (flags & ~TDP_S2_VTCR_VMID16))
		return -TDP_ERR_INVAL;
	start = 4 - fmt->levels;
	if (!is_s2(fmt))
		return -TDP_ERR_FORMAT;
	for (ps = 0; ps_bits[ps] != fmt->pa_bits; ps++)
		;
	if (fmt->cfg.format == TDP_FMT_S2_4K) {
		tg = VTCR_TG0_4K;
		/* 4K: SL0 0/1/2 start at level 2/1/0; 3 is level 3. */
		sl0 = start == 3 ? 3 : start == -1 ? 0 : (unsigned int)(2 - start);
	} else {
		tg = fmt->cfg.format == TDP_FMT_S2_16K ? VTCR_TG0_16K
						       : VTCR_TG0_64K;
		sl0 = (unsigned int)(3 - start);
	}
	v = TDP_FIELD_PREP(VTCR_T0SZ, 64u - fmt->ia_bits) |
	    TDP_FIELD_PREP(VTCR_SL0, sl0) | TDP_FIELD_PREP(VTCR_IRGN0, 1) |
	    TDP_FIELD_PREP(VTCR_ORGN0, 1) | TDP_FIELD_PREP(VTCR_SH0, 3) |
	    TDP_FIELD_PREP(VTCR_TG0, tg) | TDP_FIELD_PREP(VTCR_PS, ps) |
	    VTCR_RES1;
	if (flags & TDP_S2_VTCR_VMID16)
		v |= VTCR_VS;
	if (fmt->cfg.features & TDP_FEAT_S2_HA)
		v |= VTCR_HA;
	if (fmt->cfg.features & TDP_FEAT_S2_HD)
		v |= VTCR_HD;
	if (fmt->cfg.features & TDP_FEAT_S2_LPA2)
		v |= VTCR_DS;
	if (start == -1)
		v |= VTCR_SL2;
	*vtcr = v;
	return 0;
}

int tdp_s2_parse_vtcr(uint64_t vtcr, uint32_t extra_features,
		      struct tdp_format_config *cfg)
{
	unsigned int tg = (unsigned int)TDP_FIELD_GET(VTCR_TG0, vtcr);
	unsigned int ps = (unsigned int)TDP_FIELD_GET(VTCR_PS, vtcr);
	unsigned int sl0 = (unsigned int)TDP_FIELD_GET(VTCR_SL0, vtcr);
	unsigned int t0sz = (unsigned int)TDP_FIELD_GET(VTCR_T0SZ, vtcr);
	struct tdp_format_config c = { 0 };
	struct tdp_format fmt;
	int start, ret;

	if (!cfg || (extra_features & ~(TDP_FEAT_S2_FWB | TDP_FEAT_S2_XNX)))
		return -TDP_ERR_INVAL;
	if (tg == 3 || ps >= TDP_ARRAY_SIZE(ps_bits) || t0sz < 12 || t0sz > 32)
		return -TDP_ERR_FORMAT;
	c.format = tg == VTCR_TG0_4K ? TDP_FMT_S2_4K
		 : tg == VTCR_TG0_16K ? TDP_FMT_S2_16K : TDP_FMT_S2_64K;
	c.ia_bits = (uint8_t)(64 - t0sz);
	c.pa_bits = ps_bits[ps];
	c.features = extra_features | TDP_FEAT_S2_START_LEVEL;
	if (vtcr & VTCR_HA)
		c.features |= TDP_FEAT_S2_HA;
	if (vtcr & VTCR_HD)
		c.features |= TDP_FEAT_S2_HD;
	if (vtcr & VTCR_DS)
		c.features |= TDP_FEAT_S2_LPA2;
	if (tg == VTCR_TG0_4K) {
		if (vtcr & VTCR_SL2) {
			/* SL2 = 1 only encodes level -1, with SL0 = 0. */
			if (sl0 || !(vtcr & VTCR_DS))
				return -TDP_ERR_FORMAT;
			start = -1;
		} else {
			start = sl0 == 3 ? 3 : 2 - (int)sl0;
		}
	} else {
		if ((vtcr & VTCR_SL2) || (tg == VTCR_TG0_64K && sl0 == 3))
			return -TDP_ERR_FORMAT;
		start = 3 - (int)sl0;
	}
	c.start_level = (int8_t)start;
	ret = tdp_format_init(&fmt, &c);
	if (ret)
		return ret;
	*cfg = c;
	return 0;
}

int tdp_s2_make_vttbr(const struct tdp_format *fmt, uint64_t root_pa,
		      uint16_t vmid, uint32_t flags, uint64_t *vttbr)
{
	uint64_t v;

	if (!fmt || !vttbr || (flags & ~TDP_S2_VTCR_VMID16) ||
	    (!(flags & TDP_S2_VTCR_VMID16) && vmid > 0xff))
		return -TDP_ERR_INVAL;
	if (!is_s2(fmt))
		return -TDP_ERR_FORMAT;
	if (root_pa & (fmt->root_align - 1))
		return -TDP_ERR_ALIGN;
	if (root_pa >> fmt->pa_bits)
		return -TDP_ERR_RANGE;
	v = (root_pa & VTTBR_BADDR) |
	    TDP_FIELD_PREP(VTTBR_BADDR_HI, root_pa >> 48) |
	    TDP_FIELD_PREP(VTTBR_VMID, vmid);
	*vttbr = v;
	return 0;
}

int tdp_s2_parse_vttbr(const struct tdp_format *fmt, uint64_t vttbr,
		       uint64_t *root_pa, uint16_t *vmid)
{
	uint64_t pa;

	if (!fmt || !root_pa)
		return -TDP_ERR_INVAL;
	if (!is_s2(fmt))
		return -TDP_ERR_FORMAT;
	pa = vttbr & VTTBR_BADDR & ~VTTBR_BADDR_HI & ~VTTBR_CNP;
	if (fmt->pa_bits == 52)
		pa |= TDP_FIELD_GET(VTTBR_BADDR_HI, vttbr) << 48;
	if (pa & (fmt->root_align - 1))
		return -TDP_ERR_ALIGN;
	*root_pa = pa;
	if (vmid)
		*vmid = (uint16_t)TDP_FIELD_GET(VTTBR_VMID, vttbr);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* The VMCS EPT-pointer field. */
#include <libtdp/x86.h>

#include "ept.h"

static bool pa_bits_ok(unsigned int pa_bits)
{
	return pa_bits >= 32 && pa_bits <= 52;
}

int tdp_eptp_make(const struct tdp_eptp *in, unsigned int pa_bits,
		  uint64_t *eptp)
{
	uint64_t v;

	if (!in || !eptp || !pa_bits_ok(pa_bits) ||
	    (in->memtype != TDP_MT_UC && in->memtype != TDP_MT_WB) ||
	    (in->levels != 4 && in->levels != 5))
		return -TDP_ERR_INVAL;
	if (in->root_pa & 0xfff)
		return -TDP_ERR_ALIGN;
	if (in->root_pa >> pa_bits)
		return -TDP_ERR_RANGE;
	v = in->root_pa;
	v |= TDP_FIELD_PREP(EPTP_MEMTYPE,
			    in->memtype == TDP_MT_WB ? EPT_MT_WB : EPT_MT_UC);
	v |= TDP_FIELD_PREP(EPTP_WALK_LENGTH, in->levels - 1u);
	if (in->ad)
		v |= EPTP_AD;
	if (in->sss)
		v |= EPTP_SSS;
	*eptp = v;
	return 0;
}

int tdp_eptp_parse(uint64_t eptp, unsigned int pa_bits, struct tdp_eptp *out)
{
	unsigned int mt, wl;

	if (!out || !pa_bits_ok(pa_bits))
		return -TDP_ERR_INVAL;
	mt = (unsigned int)TDP_FIELD_GET(EPTP_MEMTYPE, eptp);
	wl = (unsigned int)TDP_FIELD_GET(EPTP_WALK_LENGTH, eptp) + 1;
	if ((mt != EPT_MT_UC && mt != EPT_MT_WB) || (wl != 4 && wl != 5) ||
	    (eptp & EPTP_RSVD) || (eptp >> pa_bits))
		return -TDP_ERR_INVAL;
	*out = (struct tdp_eptp){
		.root_pa = eptp & TDP_GENMASK(pa_bits - 1, 12),
		.memtype = mt == EPT_MT_WB ? TDP_MT_WB : TDP_MT_UC,
		.levels = (uint8_t)wl,
		.ad = eptp & EPTP_AD,
		.sss = eptp & EPTP_SSS,
	};
	return 0;
}

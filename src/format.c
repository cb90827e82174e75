/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
#include "internal.h"

#define TDP_FEAT_ALL                                                          \
	(TDP_FEAT_EPT_EXEC_ONLY | TDP_FEAT_EPT_MBEC | TDP_FEAT_EPT_AD |       \
	 TDP_FEAT_EPT_SPP | TDP_FEAT_NO_1G | TDP_FEAT_NO_NX | TDP_FEAT_PSE |  \
	 TDP_FEAT_S2_FWB | TDP_FEAT_S2_LPA2 | TDP_FEAT_S2_XNX |               \
	 TDP_FEAT_S2_HA | TDP_FEAT_S2_HD | TDP_FEAT_S2_START_LEVEL)

struct tdp_format_entry {
	const char *name;
	int (*setup)(struct tdp_format *fmt); /* NULL: not built in yet */
};

static const struct tdp_format_entry tdp_formats[] = {
	[TDP_FMT_EPT4] = { "ept4", tdp_x86_ept_setup },
	[TDP_FMT_EPT5] = { "ept5", tdp_x86_ept_setup },
	[TDP_FMT_IA32E4] = { "ia32e4", tdp_x86_paging_setup },
	[TDP_FMT_IA32E5] = { "ia32e5", tdp_x86_paging_setup },
	[TDP_FMT_PAE] = { "pae", tdp_x86_paging_setup },
	[TDP_FMT_LEGACY32] = { "legacy32", tdp_x86_paging_setup },
	[TDP_FMT_SPP] = { "spp", tdp_x86_spp_setup },
	[TDP_FMT_S2_4K] = { "s2-4k", tdp_arm64_s2_setup },
	[TDP_FMT_S2_16K] = { "s2-16k", tdp_arm64_s2_setup },
	[TDP_FMT_S2_64K] = { "s2-64k", tdp_arm64_s2_setup },
};

int tdp_format_init(struct tdp_format *fmt,
		    const struct tdp_format_config *cfg)
{
	struct tdp_format f = { 0 };
	const struct tdp_format_entry *e;
	int ret;

	if (!fmt || !cfg || cfg->reserved0 || (cfg->features & ~TDP_FEAT_ALL))
		return -TDP_ERR_INVAL;
	if (cfg->format == 0 || cfg->format >= TDP_ARRAY_SIZE(tdp_formats))
		return -TDP_ERR_FORMAT;
	e = &tdp_formats[cfg->format];
	if (!e->setup)
		return -TDP_ERR_FORMAT;
	f.cfg = *cfg;
	ret = e->setup(&f);
	if (ret)
		return ret;
	*fmt = f;
	return 0;
}

const char *tdp_format_name(uint32_t format)
{
	if (format == 0 || format >= TDP_ARRAY_SIZE(tdp_formats))
		return NULL;
	return tdp_formats[format].name;
}

static bool tdp_streq(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	return *a == *b;
}

int tdp_format_from_name(const char *name)
{
	unsigned int id;

	if (!name)
		return -TDP_ERR_INVAL;
	for (id = 1; id < TDP_ARRAY_SIZE(tdp_formats); id++)
		if (tdp_streq(name, tdp_formats[id].name))
			return (int)id;
	return -TDP_ERR_FORMAT;
}

int tdp_format_arch_level(const struct tdp_format *fmt, int level)
{
	if (!fmt || level < 0 || level >= fmt->levels)
		return -128;
	return fmt->lvl[level].arch_level;
}

int tdp_format_level_shift(const struct tdp_format *fmt, int level)
{
	if (!fmt || level < 0 || level >= fmt->levels)
		return -TDP_ERR_INVAL;
	return fmt->lvl[level].shift;
}

int tdp_range_to_ia(const struct tdp_format *fmt, uint64_t addr,
		    uint64_t size, uint64_t *ia, uint64_t *ia_last)
{
	uint64_t last = addr + (size - 1);

	if (last < addr)
		return -TDP_ERR_RANGE;
	if (!tdp_addr_to_ia(fmt, addr, ia) || !tdp_addr_to_ia(fmt, last, ia_last))
		return -TDP_ERR_RANGE;
	/*
	 * Both ends may be canonical while the range spans the hole between
	 * the halves: then it is not contiguous in index space.
	 */
	if (*ia_last < *ia || *ia_last - *ia != size - 1)
		return -TDP_ERR_RANGE;
	return 0;
}

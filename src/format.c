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

/*
 * Patterns of bits 5:0 (bit p of the map for pattern p) without any bit of
 * @present_any: an entry needs a present bit among bits 5:0 to take the
 * fast path; one whose only present bits are higher takes the full rules.
 */
static uint64_t low6_absent(uint64_t present_any)
{
	uint64_t map = 0;
	unsigned int p;

	if (!present_any)
		return 0;
	for (p = 0; p < 64; p++)
		if (!(p & present_any))
			map |= TDP_BIT(p);
	return map;
}

/*
 * Fold a low-six-bit map into its mask test where one compare can do both:
 * when the patterns of bits 5:0 that pass the test and are not in the map
 * are exactly those with certain bits fixed, fix those bits in the test
 * and empty the map.
 */
static void fold_low6(uint64_t *mask, uint64_t *value, uint64_t *bad)
{
	uint64_t m6 = *mask & 63, v6 = *value & 63, fixed, want;
	uint64_t good_and = 63, good_or = 0;
	unsigned int p, good = 0, cube = 0;

	if (!*bad)
		return;
	for (p = 0; p < 64; p++) {
		if ((p & m6) != v6 || ((*bad >> p) & 1))
			continue;
		good++;
		good_and &= p;
		good_or |= p;
	}
	fixed = ~(good_and ^ good_or) & 63;
	want = good_and & fixed;
	for (p = 0; p < 64; p++)
		if ((p & m6) == v6 && (p & fixed) == want)
			cube++;
	if (!good || cube != good)
		return;
	*mask |= fixed;
	*value |= want;
	*bad = 0;
}

/*
 * The fast tests of struct tdp_level_desc, derived from the full rules so
 * that passing one implies the full rules' verdict; where one compare
 * cannot express a rule, the test is made one that no entry passes.
 */
static void derive_fast_rules(struct tdp_format *fmt)
{
	const uint64_t never_mask = 0, never_value = 1;
	bool plain = fmt->entry_size == 8;
	int l;

	for (l = 0; l < fmt->levels; l++) {
		struct tdp_level_desc *d = &fmt->lvl[l];
		uint64_t absent = low6_absent(d->present_any);
		uint64_t m = d->present_all | d->table_rsvd;
		uint64_t v = d->present_all;
		bool not_leaf;

		d->index_mask = tdp_low_mask(d->index_bits);
		d->span = 1ull << d->shift;

		/*
		 * A table: present, not leaf shaped, no reserved bit set;
		 * never at level 0, which the fast walk relies on to stop.
		 */
		if (l == 0) {
			not_leaf = false;
		} else if (d->leaf_value & ~d->leaf_mask) {
			not_leaf = true; /* no entry is leaf shaped */
		} else if (tdp_is_pow2(d->leaf_mask)) {
			m |= d->leaf_mask;
			v |= d->leaf_mask & ~d->leaf_value;
			not_leaf = (v & d->leaf_mask) != d->leaf_value;
		} else {
			not_leaf = false;
		}
		if (!not_leaf || (v & d->table_rsvd)) {
			m = never_mask;
			v = never_value;
		}
		d->fast_table_mask = m;
		d->fast_table_value = v;
		d->fast_table_bad_low6 = fmt->bad_low6[0] | absent;
		fold_low6(&d->fast_table_mask, &d->fast_table_value,
			  &d->fast_table_bad_low6);
		if ((l > 0 && (d->fast_table_bad_low6 || d->table_hi_mask)) ||
		    d->leaf_hi_mask)
			plain = false;

		/* A leaf: present, leaf shaped, at a leaf level, not reserved. */
		m = d->present_all | d->leaf_rsvd | d->leaf_mask;
		v = d->present_all | d->leaf_value;
		if (!(fmt->leaf_levels & (1u << l)) ||
		    (d->leaf_value & ~d->leaf_mask) ||
		    (v & d->leaf_mask) != d->leaf_value || (v & d->leaf_rsvd)) {
			m = never_mask;
			v = never_value;
		}
		d->fast_leaf_mask = m;
		d->fast_leaf_value = v;
		d->fast_leaf_bad_low6 = fmt->bad_low6[1] | absent;
		fold_low6(&d->fast_leaf_mask, &d->fast_leaf_value,
			  &d->fast_leaf_bad_low6);
	}
	fmt->fast_plain = plain;
}

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
	derive_fast_rules(&f);
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

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* Intel EPT, 4- and 5-level. */
#include "ept.h"
#include "x86_common.h"

#define EPT_FEATURES                                                          \
	(TDP_FEAT_EPT_EXEC_ONLY | TDP_FEAT_EPT_MBEC | TDP_FEAT_EPT_AD |       \
	 TDP_FEAT_EPT_SPP | TDP_FEAT_NO_1G)

static bool ept_has(const struct tdp_format *fmt, uint32_t feat)
{
	return fmt->cfg.features & feat;
}

/* Bits 2:0 values that are a misconfiguration at any level. */
static bool ept_bad_xwr(const struct tdp_format *fmt, unsigned int xwr)
{
	if (xwr == EPT_W || xwr == (EPT_W | EPT_X))
		return true;
	return xwr == EPT_X && !ept_has(fmt, TDP_FEAT_EPT_EXEC_ONLY);
}

static bool ept_bad_memtype(unsigned int mt)
{
	return mt == 2 || mt == 3 || mt == 7;
}

/* TDP_PERM_* bits of @raw: the same bits at every level. */
static inline uint32_t ept_perms(const struct tdp_format *fmt, uint64_t raw)
{
	uint64_t p = TDP_BIT_MOVE(raw, EPT_R, TDP_PERM_R) |
		     TDP_BIT_MOVE(raw, EPT_W, TDP_PERM_W) |
		     TDP_BIT_MOVE(raw, EPT_X, TDP_PERM_X);

	/* Without mode-based control, X is execute in every mode. */
	if (ept_has(fmt, TDP_FEAT_EPT_MBEC))
		p |= TDP_BIT_MOVE(raw, EPT_XU, TDP_PERM_XU);
	else
		p |= TDP_BIT_MOVE(raw, EPT_X, TDP_PERM_XU);
	return (uint32_t)p;
}

static uint32_t ept_entry_perms(const struct tdp_format *fmt, int level,
				uint64_t raw, bool leaf)
{
	(void)level; /* EPT grants the same bits at every level */
	(void)leaf;
	return ept_perms(fmt, raw);
}

static const uint8_t ept_mt_to_memtype[8] = {
	[EPT_MT_UC] = TDP_MT_UC, [EPT_MT_WC] = TDP_MT_WC,
	[EPT_MT_WT] = TDP_MT_WT, [EPT_MT_WP] = TDP_MT_WP,
	[EPT_MT_WB] = TDP_MT_WB,
};

/* Leaf flag bits that map one to one onto TDP_ATTR_* flags. */
static const struct {
	uint64_t bit;
	uint32_t flag;
} ept_flag_bits[] = {
	{ EPT_IPAT, TDP_ATTR_IGNORE_PAT },
	{ EPT_ACCESSED, TDP_ATTR_ACCESSED },
	{ EPT_DIRTY, TDP_ATTR_DIRTY },
	{ EPT_VERIFY_GUEST_PAGING, TDP_ATTR_VERIFY_GUEST_PAGING },
	{ EPT_PAGING_WRITE, TDP_ATTR_PAGING_WRITE },
	{ EPT_SUPERVISOR_SHADOW_STACK, TDP_ATTR_SUPERVISOR_SHADOW_STACK },
	{ EPT_SUPPRESS_VE, TDP_ATTR_SUPPRESS_VE },
};

static inline void ept_decode_leaf(const struct tdp_format *fmt, int level,
				   uint64_t raw, struct tdp_attrs *a)
{
	uint64_t flags = 0;
	unsigned int i;

	/* Unrolled, every move below is a constant shift and an AND. */
#pragma GCC unroll 8
	for (i = 0; i < TDP_ARRAY_SIZE(ept_flag_bits); i++)
		flags |= TDP_BIT_MOVE(raw, ept_flag_bits[i].bit,
				      ept_flag_bits[i].flag);
	/* Bit 61 means SPP only in 4 KiB leaves with SPP enabled. */
	if (level == 0 && ept_has(fmt, TDP_FEAT_EPT_SPP))
		flags |= TDP_BIT_MOVE(raw, EPT_SPP, TDP_ATTR_SPP);
	a->perms = ept_perms(fmt, raw);
	a->flags = (uint32_t)flags;
	a->memtype = ept_mt_to_memtype[TDP_FIELD_GET(EPT_MEMTYPE, raw)];
	a->pat = 0;
	a->pkey = 0;
	a->shareability = TDP_SH_DEFAULT;
	a->sw = tdp_x86_sw_get(raw, EPT_SW_LOW, EPT_SW_HIGH);
	a->subpage_write = 0;
}

static void ept_decode_walk(const struct tdp_format *fmt,
			    struct tdp_lookup *res, uint64_t all_and,
			    uint64_t all_or)
{
	(void)all_or; /* every EPT permission bit grants */
	ept_decode_leaf(fmt, res->last_level, res->entry[res->last_level],
			&res->attrs);
	/* Each permission is the same bit at every level. */
	res->perms = ept_perms(fmt, all_and);
}

static int ept_memtype_bits(uint8_t memtype, uint64_t *bits)
{
	static const uint8_t map[] = {
		[TDP_MT_WB] = EPT_MT_WB, [TDP_MT_UC] = EPT_MT_UC,
		[TDP_MT_WC] = EPT_MT_WC, [TDP_MT_WT] = EPT_MT_WT,
		[TDP_MT_WP] = EPT_MT_WP,
	};

	if (memtype >= TDP_ARRAY_SIZE(map))
		return -TDP_ERR_NOTSUP;
	*bits = TDP_FIELD_PREP(EPT_MEMTYPE, map[memtype]);
	return 0;
}

/* Permission bits mask: XU only exists with mode-based execute control. */
static uint64_t ept_perm_mask(const struct tdp_format *fmt)
{
	return EPT_XWR | (ept_has(fmt, TDP_FEAT_EPT_MBEC) ? EPT_XU : 0);
}

/* The bits for @p, or -TDP_ERR_NOTSUP for what would be a misconfiguration
 * (write without read, execute-only without the capability) or nothing. */
static int ept_perm_bits(const struct tdp_format *fmt, uint32_t p,
			 uint64_t *bits)
{
	bool mbec = ept_has(fmt, TDP_FEAT_EPT_MBEC);

	if (!(p & TDP_PERM_RWX) || ((p & TDP_PERM_W) && !(p & TDP_PERM_R)))
		return -TDP_ERR_NOTSUP;
	if (!(p & TDP_PERM_R) && !ept_has(fmt, TDP_FEAT_EPT_EXEC_ONLY))
		return -TDP_ERR_NOTSUP;
	if (!mbec && !(p & TDP_PERM_X) != !(p & TDP_PERM_XU))
		return -TDP_ERR_NOTSUP;
	*bits = (p & TDP_PERM_R ? EPT_R : 0) | (p & TDP_PERM_W ? EPT_W : 0) |
		(p & TDP_PERM_X ? EPT_X : 0) |
		(mbec && (p & TDP_PERM_XU) ? EPT_XU : 0);
	return 0;
}

static int ept_set_leaf_perms(const struct tdp_format *fmt, int level,
			      uint64_t raw, uint32_t perms, uint64_t *new_raw)
{
	uint64_t bits;

	(void)level; /* the same bits at every level */
	if (ept_perm_bits(fmt, perms, &bits))
		return -TDP_ERR_NOTSUP;
	*new_raw = (raw & ~ept_perm_mask(fmt)) | bits;
	return 0;
}

static uint64_t ept_split_leaf(const struct tdp_format *fmt, int level,
			       uint64_t raw)
{
	uint64_t t = tdp_leaf_strip_pa(fmt, level, raw);

	/* Bit 7 means "page" above the PTE level and is ignored in a PTE. */
	return level == 1 ? t & ~EPT_PAGE_SIZE : t;
}

static int ept_encode_leaf(const struct tdp_format *fmt, int level,
			   uint64_t pa, const struct tdp_attrs *a,
			   uint64_t *raw)
{
	const uint32_t ept_flags_ok =
		TDP_ATTR_IGNORE_PAT | TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY |
		TDP_ATTR_VERIFY_GUEST_PAGING | TDP_ATTR_PAGING_WRITE |
		TDP_ATTR_SUPERVISOR_SHADOW_STACK | TDP_ATTR_SUPPRESS_VE |
		TDP_ATTR_SPP;
	uint64_t v = pa, mt, perm_bits;
	unsigned int i;

	if (a->sw >= (1u << 6))
		return -TDP_ERR_INVAL;
	if (ept_perm_bits(fmt, a->perms, &perm_bits))
		return -TDP_ERR_NOTSUP;
	if ((a->flags & ~ept_flags_ok) || a->pkey || a->subpage_write ||
	    a->shareability)
		return -TDP_ERR_NOTSUP;
	if ((a->flags & TDP_ATTR_SPP) &&
	    (level != 0 || !ept_has(fmt, TDP_FEAT_EPT_SPP)))
		return -TDP_ERR_NOTSUP;
	if (ept_memtype_bits(a->memtype, &mt))
		return -TDP_ERR_NOTSUP;

	v |= mt | perm_bits;
	if (level > 0)
		v |= EPT_PAGE_SIZE;
	for (i = 0; i < TDP_ARRAY_SIZE(ept_flag_bits); i++)
		if (a->flags & ept_flag_bits[i].flag)
			v |= ept_flag_bits[i].bit;
	if (a->flags & TDP_ATTR_SPP)
		v |= EPT_SPP;
	v |= tdp_x86_sw_put(a->sw, EPT_SW_LOW, EPT_SW_HIGH);
	*raw = v;
	return 0;
}

static uint64_t ept_make_table(const struct tdp_format *fmt, int level,
			       uint64_t table_pa)
{
	uint64_t v = table_pa | EPT_R | EPT_W | EPT_X;

	(void)level; /* same form at every level */
	/* Non-leaf entries must not restrict what the leaves grant. */
	if (ept_has(fmt, TDP_FEAT_EPT_MBEC))
		v |= EPT_XU;
	return v;
}

static uint32_t ept_explain(const struct tdp_format *fmt, int level,
			    uint64_t raw)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];
	bool leaf = tdp_entry_leaf_shape(d, raw);
	uint64_t pa_rsvd = TDP_GENMASK(51, fmt->pa_bits);

	if (leaf && !(fmt->leaf_levels & (1u << level)))
		return TDP_DETAIL_LEAF_LEVEL;
	if (raw & pa_rsvd)
		return TDP_DETAIL_PA_WIDTH;
	if ((raw & EPT_XWR) == EPT_W || (raw & EPT_XWR) == (EPT_W | EPT_X))
		return TDP_DETAIL_WRITE_NO_READ;
	if (ept_bad_xwr(fmt, (unsigned int)(raw & EPT_XWR)))
		return TDP_DETAIL_EXEC_ONLY;
	if (leaf && ept_bad_memtype((unsigned int)TDP_FIELD_GET(EPT_MEMTYPE, raw)))
		return TDP_DETAIL_MEMTYPE;
	if (leaf && (raw & d->leaf_rsvd & ~pa_rsvd))
		return TDP_DETAIL_LEAF_ALIGN;
	return TDP_DETAIL_RESERVED_BIT;
}

static uint32_t ept_check_access(const struct tdp_format *fmt, uint32_t perms,
				 const struct tdp_attrs *attrs,
				 uint32_t access)
{
	uint32_t exec = TDP_PERM_X;

	(void)attrs; /* EPT decides on permissions alone */
	if (ept_has(fmt, TDP_FEAT_EPT_MBEC) && (access & TDP_ACCESS_USER))
		exec = TDP_PERM_XU;
	return tdp_rwx_fault(perms, access, exec);
}

static const struct tdp_format_ops ept_ops = {
	.setup = tdp_x86_ept_setup,
	.decode_leaf = ept_decode_leaf,
	.encode_leaf = ept_encode_leaf,
	.split_leaf = ept_split_leaf,
	.set_leaf_perms = ept_set_leaf_perms,
	.make_table = ept_make_table,
	.entry_perms = ept_entry_perms,
	.decode_walk = ept_decode_walk,
	.explain = ept_explain,
	.check_access = ept_check_access,
	.input_range_fault = TDP_FAULT_ADDRESS_SIZE,
};

int tdp_x86_ept_setup(struct tdp_format *fmt)
{
	int levels = fmt->cfg.format == TDP_FMT_EPT5 ? 5 : 4;
	unsigned int i;
	int ret, l;

	if (fmt->cfg.features & ~EPT_FEATURES)
		return -TDP_ERR_FORMAT;
	ret = tdp_x86_geometry(fmt, levels);
	if (ret)
		return ret;
	fmt->ops = &ept_ops;
	fmt->rsvd_fault = TDP_FAULT_MISCONFIG;
	/* Without EPTP[6], bits 8 and 9 are ignored: there is nothing to age. */
	if (ept_has(fmt, TDP_FEAT_EPT_AD)) {
		fmt->accessed_mask = EPT_ACCESSED;
		fmt->dirty_mask = EPT_DIRTY;
	}
	for (l = 0; l < levels; l++) {
		struct tdp_level_desc *d = &fmt->lvl[l];

		/* Present when any access is granted (bits 2:0, or 10 with MBEC). */
		d->present_any = EPT_XWR;
		if (ept_has(fmt, TDP_FEAT_EPT_MBEC))
			d->present_any |= EPT_XU;
		/* Bit 7 is ignored in a PTE; above, it says "maps a page". */
		if (l > 0) {
			d->leaf_mask = EPT_PAGE_SIZE;
			d->leaf_value = EPT_PAGE_SIZE;
		}
		d->table_rsvd |= EPT_TABLE_RSVD;
		/* A large page's address must be aligned to its size. */
		if (l > 0)
			d->leaf_rsvd |= TDP_GENMASK(d->shift - 1, 12);
	}
	/*
	 * Misconfigurations decided by bits 5:0 (memory type and XWR): the
	 * engine indexes these bitmaps with the entry's low six bits.
	 */
	for (i = 0; i < 64; i++) {
		bool xwr_bad = ept_bad_xwr(fmt, i & 7);

		if (xwr_bad)
			fmt->bad_low6[0] |= TDP_BIT(i);
		if (xwr_bad || ept_bad_memtype(i >> 3))
			fmt->bad_low6[1] |= TDP_BIT(i);
	}
	return 0;
}

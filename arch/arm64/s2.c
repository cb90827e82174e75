/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * arm64 stage-2 translation (VMSAv8-64) with the 4 KiB, 16 KiB and 64 KiB
 * granules, 32- to 52-bit IPAs, concatenated start-level tables, FEAT_LPA
 * (64 KiB, 52-bit PA) and FEAT_LPA2 (4/16 KiB, 52-bit) descriptors.
 */
#include "s2.h"

#define S2_FEATURES                                                           \
	(TDP_FEAT_S2_FWB | TDP_FEAT_S2_LPA2 | TDP_FEAT_S2_XNX |               \
	 TDP_FEAT_S2_HA | TDP_FEAT_S2_HD | TDP_FEAT_S2_START_LEVEL)

/* The stage-2 start level may resolve up to 4 extra bits: 16 tables. */
#define S2_MAX_CONCAT_BITS 4

static unsigned int granule_shift(uint32_t format)
{
	return format == TDP_FMT_S2_4K ? 12 : format == TDP_FMT_S2_16K ? 14 : 16;
}

static bool has(const struct tdp_format *fmt, uint32_t feat)
{
	return fmt->cfg.features & feat;
}

/* Address bits above 2^shift resolved at lookup level @lvl (Arm numbering). */
static unsigned int level_shift(unsigned int g, int lvl)
{
	return g + (g - 3) * (unsigned int)(3 - lvl);
}

static bool ps_bits_valid(unsigned int pa)
{
	return pa == 32 || pa == 36 || pa == 40 || pa == 42 || pa == 44 ||
	       pa == 48 || pa == 52;
}

/* Bits the start level resolves must fit one table plus concatenation. */
static bool start_level_fits(unsigned int g, unsigned int ia, int lvl)
{
	unsigned int s = level_shift(g, lvl);

	return ia > s && ia - s <= (g - 3) + S2_MAX_CONCAT_BITS;
}

/* Levels that hold blocks: 4K: 1G, 2M (+512G with LPA2); 16K: 32M (+64G
 * with LPA2); 64K: 512M (+4T with 52-bit PAs, FEAT_LPA). Pages at 3. */
static bool block_level(const struct tdp_format *fmt, unsigned int g,
			int lvl)
{
	bool big = has(fmt, TDP_FEAT_S2_LPA2) || (g == 16 && fmt->pa_bits == 52);

	if (lvl == 3 || lvl == 2)
		return true;
	if (g == 12)
		return lvl == 1 || (lvl == 0 && big);
	return lvl == 1 && big;
}

/*
 * Execute permissions of a leaf by XN[1:0]: with FEAT_XNX (row 1) both
 * bits count; without it (row 0) only XN[1] does.
 */
static const uint8_t s2_xn_perms[2][4] = {
	{
		[S2_XN_EL1_EL0] = TDP_PERM_X | TDP_PERM_XU,
		[S2_XN_EL0_ONLY] = TDP_PERM_X | TDP_PERM_XU,
	},
	{
		[S2_XN_EL1_EL0] = TDP_PERM_X | TDP_PERM_XU,
		[S2_XN_EL0_ONLY] = TDP_PERM_XU,
		[S2_XN_EL1_ONLY] = TDP_PERM_X,
	},
};

static inline uint32_t s2_leaf_perms(const struct tdp_format *fmt,
				     uint64_t raw)
{
	return (uint32_t)(TDP_BIT_MOVE(raw, S2AP_R, TDP_PERM_R) |
			  TDP_BIT_MOVE(raw, S2AP_W, TDP_PERM_W)) |
	       s2_xn_perms[has(fmt, TDP_FEAT_S2_XNX)]
			  [TDP_FIELD_GET(S2_XN, raw)];
}

static uint32_t s2_entry_perms(const struct tdp_format *fmt, int level,
			       uint64_t raw, bool leaf)
{
	(void)level; /* the same encoding at every level */
	/* Stage-2 table descriptors carry no permissions: leaves decide. */
	if (!leaf)
		return TDP_PERM_RWX;
	return s2_leaf_perms(fmt, raw);
}

/*
 * Memory types by MemAttr[3:0], without FWB (row 0) and with it (row 1).
 * MemAttr[3:2] = 0 is Device in either encoding; every encoding not
 * listed is Normal write-back (TDP_MT_WB is 0).
 */
static const uint8_t s2_memtypes[2][16] = {
	{
		[S2_MT_DEV_NGNRNE] = TDP_MT_DEV_NGNRNE,
		[S2_MT_DEV_NGNRE] = TDP_MT_DEV_NGNRE,
		[S2_MT_DEV_NGRE] = TDP_MT_DEV_NGRE,
		[S2_MT_DEV_GRE] = TDP_MT_DEV_GRE,
		[S2_MT_NORMAL_NC] = TDP_MT_NC,
		[S2_MT_NORMAL_WT] = TDP_MT_WT,
	},
	{
		[S2_MT_DEV_NGNRNE] = TDP_MT_DEV_NGNRNE,
		[S2_MT_DEV_NGNRE] = TDP_MT_DEV_NGNRE,
		[S2_MT_DEV_NGRE] = TDP_MT_DEV_NGRE,
		[S2_MT_DEV_GRE] = TDP_MT_DEV_GRE,
		[S2_FWB_MT_NORMAL_NC] = TDP_MT_NC,
	},
};

static int memtype_to_memattr(const struct tdp_format *fmt, uint8_t mt,
			      unsigned int *m)
{
	bool fwb = has(fmt, TDP_FEAT_S2_FWB);

	switch (mt) {
	case TDP_MT_WB:
		*m = fwb ? S2_FWB_MT_NORMAL_WB : S2_MT_NORMAL_WB;
		return 0;
	case TDP_MT_NC:
		*m = fwb ? S2_FWB_MT_NORMAL_NC : S2_MT_NORMAL_NC;
		return 0;
	case TDP_MT_WT:
		if (fwb)
			return -TDP_ERR_NOTSUP;
		*m = S2_MT_NORMAL_WT;
		return 0;
	case TDP_MT_DEV_NGNRNE:
	case TDP_MT_DEV_NGNRE:
	case TDP_MT_DEV_NGRE:
	case TDP_MT_DEV_GRE:
		*m = S2_MT_DEV_NGNRNE + (unsigned int)(mt - TDP_MT_DEV_NGNRNE);
		return 0;
	default:
		return -TDP_ERR_NOTSUP;
	}
}

static inline void s2_decode_leaf(const struct tdp_format *fmt, int level,
				  uint64_t raw, struct tdp_attrs *a)
{
	static const uint8_t sh[4] = { TDP_SH_NONE, TDP_SH_NONE, TDP_SH_OUTER,
				       TDP_SH_INNER };
	uint64_t flags = TDP_BIT_MOVE(raw, S2_AF, TDP_ATTR_ACCESSED) |
			 TDP_BIT_MOVE(raw, S2_DBM, TDP_ATTR_DBM) |
			 TDP_BIT_MOVE(raw, S2_CONTIGUOUS, TDP_ATTR_CONTIGUOUS);

	(void)level; /* the same attributes at every level */
	/* With DBM, a writable page is one the hardware (or we) dirtied. */
	flags |= TDP_BIT_MOVE(raw, S2_DBM, TDP_ATTR_DIRTY) &
		 TDP_BIT_MOVE(raw, S2AP_W, TDP_ATTR_DIRTY);
	a->perms = s2_leaf_perms(fmt, raw);
	a->flags = (uint32_t)flags;
	a->memtype = s2_memtypes[has(fmt, TDP_FEAT_S2_FWB)]
				[TDP_FIELD_GET(S2_MEMATTR, raw)];
	a->pat = 0;
	a->pkey = 0;
	/* With LPA2 these bits are address bits; VTCR_EL2 holds SH. */
	a->shareability = has(fmt, TDP_FEAT_S2_LPA2) ? TDP_SH_DEFAULT
				: sh[TDP_FIELD_GET(S2_SH, raw)];
	a->sw = (uint32_t)TDP_FIELD_GET(S2_SW, raw);
	a->subpage_write = 0;
}

static void s2_decode_walk(const struct tdp_format *fmt,
			   struct tdp_lookup *res, uint64_t all_and,
			   uint64_t all_or)
{
	int leaf = res->last_level;

	(void)all_and; /* the leaf alone decides */
	(void)all_or;
	s2_decode_leaf(fmt, leaf, res->entry[leaf], &res->attrs);
	/*
	 * Table descriptors grant everything (s2_entry_perms), so the walk
	 * grants what the leaf does.
	 */
	res->perms = res->attrs.perms;
}

/* S2AP and XN for @p, or -TDP_ERR_NOTSUP (no U/S in stage 2; without
 * FEAT_XNX execute is not split by exception level). */
static int s2_perm_bits(const struct tdp_format *fmt, uint32_t p,
			uint64_t *bits)
{
	bool x = p & TDP_PERM_X, xu = p & TDP_PERM_XU;
	unsigned int xn;

	if ((p & TDP_PERM_U) || (!has(fmt, TDP_FEAT_S2_XNX) && x != xu))
		return -TDP_ERR_NOTSUP;
	if (has(fmt, TDP_FEAT_S2_XNX))
		xn = x ? (xu ? S2_XN_EL1_EL0 : S2_XN_EL1_ONLY)
		       : (xu ? S2_XN_EL0_ONLY : S2_XN_NONE);
	else
		xn = x ? S2_XN_EL1_EL0 : S2_XN_NONE;
	*bits = (p & TDP_PERM_R ? S2AP_R : 0) | (p & TDP_PERM_W ? S2AP_W : 0) |
		TDP_FIELD_PREP(S2_XN, xn);
	return 0;
}

static int s2_set_leaf_perms(const struct tdp_format *fmt, int level,
			     uint64_t raw, uint32_t perms, uint64_t *new_raw)
{
	uint64_t bits;

	(void)level; /* the same bits at every level */
	if (s2_perm_bits(fmt, perms, &bits))
		return -TDP_ERR_NOTSUP;
	*new_raw = (raw & ~(S2AP_R | S2AP_W | S2_XN)) | bits;
	return 0;
}

static uint64_t s2_split_leaf(const struct tdp_format *fmt, int level,
			      uint64_t raw)
{
	/*
	 * The pieces of a block are not an aligned run of contiguous entries
	 * by themselves, so the contiguous hint does not carry over.
	 */
	uint64_t t = tdp_leaf_strip_pa(fmt, level, raw) & ~S2_CONTIGUOUS;

	/* bits[1:0] = 11 for a level-3 page, 01 for a block. */
	return level == 1 ? t | S2_TABLE_OR_PAGE : t;
}

static int s2_encode_leaf(const struct tdp_format *fmt, int level,
			  uint64_t pa, const struct tdp_attrs *a,
			  uint64_t *raw)
{
	/*
	 * DIRTY is not a bit of its own here: decode reports it for a DBM
	 * page that is writable, so it is accepted and implied by the perms.
	 */
	const uint32_t ok_flags = TDP_ATTR_ACCESSED | TDP_ATTR_DBM |
				  TDP_ATTR_CONTIGUOUS | TDP_ATTR_DIRTY;
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t v, perm_bits;
	unsigned int m;

	if (a->sw >= 16)
		return -TDP_ERR_INVAL;
	if ((a->flags & ~ok_flags) || a->pkey || a->subpage_write)
		return -TDP_ERR_NOTSUP;
	if (memtype_to_memattr(fmt, a->memtype, &m))
		return -TDP_ERR_NOTSUP;
	if (s2_perm_bits(fmt, a->perms, &perm_bits))
		return -TDP_ERR_NOTSUP;
	/* Shareability lives in VTCR_EL2 when LPA2 takes these bits. */
	if (has(fmt, TDP_FEAT_S2_LPA2) && a->shareability)
		return -TDP_ERR_NOTSUP;

	v = S2_VALID | TDP_FIELD_PREP(S2_MEMATTR, m);
	v |= (pa & d->leaf_addr_mask) |
	     (((pa >> d->leaf_hi_dst) & d->leaf_hi_mask) << d->leaf_hi_src);
	if (level == 0)
		v |= S2_TABLE_OR_PAGE;
	v |= perm_bits;
	if (!has(fmt, TDP_FEAT_S2_LPA2)) {
		static const uint8_t sh[4] = { 3, 0, 2, 3 };

		v |= TDP_FIELD_PREP(S2_SH, sh[a->shareability]);
	}
	if (a->flags & TDP_ATTR_ACCESSED)
		v |= S2_AF;
	if (a->flags & TDP_ATTR_DBM)
		v |= S2_DBM;
	if (a->flags & TDP_ATTR_CONTIGUOUS)
		v |= S2_CONTIGUOUS;
	v |= TDP_FIELD_PREP(S2_SW, a->sw);
	*raw = v;
	return 0;
}

static uint64_t s2_make_table(const struct tdp_format *fmt, int level,
			      uint64_t table_pa)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];

	return S2_VALID | S2_TABLE_OR_PAGE | (table_pa & d->table_addr_mask) |
	       (((table_pa >> d->table_hi_dst) & d->table_hi_mask)
		<< d->table_hi_src);
}

static uint32_t s2_explain(const struct tdp_format *fmt, int level,
			   uint64_t raw)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];

	if (tdp_entry_leaf_shape(d, raw) && !(fmt->leaf_levels & (1u << level)))
		return TDP_DETAIL_LEAF_LEVEL;
	return TDP_DETAIL_PA_WIDTH;
}

static uint32_t s2_check_access(const struct tdp_format *fmt, uint32_t perms,
				const struct tdp_attrs *attrs,
				uint32_t access)
{
	uint32_t exec = access & TDP_ACCESS_USER ? TDP_PERM_XU : TDP_PERM_X;

	/* Without hardware AF updates, any access to an AF = 0 page faults. */
	if (!(attrs->flags & TDP_ATTR_ACCESSED) && !has(fmt, TDP_FEAT_S2_HA))
		return TDP_FAULT_ACCESS_FLAG;
	/*
	 * With hardware dirty state (HD), a write to a DBM page that is not
	 * writable yet makes the hardware set S2AP[1]: no permission fault.
	 */
	if ((attrs->flags & TDP_ATTR_DBM) && has(fmt, TDP_FEAT_S2_HD))
		perms |= TDP_PERM_W;
	return tdp_rwx_fault(perms, access, exec);
}

static const struct tdp_format_ops s2_ops = {
	.setup = tdp_arm64_s2_setup,
	.decode_leaf = s2_decode_leaf,
	.encode_leaf = s2_encode_leaf,
	.split_leaf = s2_split_leaf,
	.set_leaf_perms = s2_set_leaf_perms,
	.make_table = s2_make_table,
	.entry_perms = s2_entry_perms,
	.decode_walk = s2_decode_walk,
	.explain = s2_explain,
	.check_access = s2_check_access,
	/*
	 * An IPA above the input size is a stage 2 Translation fault, which
	 * the Arm ARM reports at level 0 (AArch64.S2Translate(),
	 * AArch64.IPAIsOutOfRange()); no descriptor is read.
	 */
	.input_range_fault = TDP_FAULT_NOT_PRESENT,
	/* libtdp itself writes 0 for an invalid entry, never this. */
	.bbm_lock = S2_INVALID_BBM_LOCK,
};

/* Choose the start level: the fewest levels that cover the IPA, never
 * fewer than two (start at most level 2), with up to 16 root tables. */
static int pick_start_level(const struct tdp_format *fmt, unsigned int g,
			    unsigned int ia, int *start)
{
	int lvl, lowest = has(fmt, TDP_FEAT_S2_LPA2) && g == 12 ? -1 : 0;

	if (has(fmt, TDP_FEAT_S2_START_LEVEL)) {
		lvl = fmt->cfg.start_level;
		if (lvl < lowest || lvl > 3 || !start_level_fits(g, ia, lvl))
			return -TDP_ERR_FORMAT;
		/* 16K starting at level 0 is an LPA2 (DS = 1) encoding. */
		if (g == 14 && lvl == 0 && !has(fmt, TDP_FEAT_S2_LPA2))
			return -TDP_ERR_FORMAT;
		*start = lvl;
		return 0;
	}
	for (lvl = 2; lvl >= lowest; lvl--) {
		if (start_level_fits(g, ia, lvl) &&
		    !(g == 14 && lvl == 0 && !has(fmt, TDP_FEAT_S2_LPA2))) {
			*start = lvl;
			return 0;
		}
	}
	return -TDP_ERR_FORMAT;
}

static int s2_widths(struct tdp_format *fmt, unsigned int g,
		     unsigned int *ia, unsigned int *pa)
{
	bool lpa2 = has(fmt, TDP_FEAT_S2_LPA2);
	unsigned int max_pa;

	if (lpa2 && g == 16)
		return -TDP_ERR_FORMAT; /* LPA2 is for 4K and 16K granules */
	max_pa = (lpa2 || g == 16) ? 52 : 48;
	*pa = fmt->cfg.pa_bits ? fmt->cfg.pa_bits : (lpa2 ? 52 : 48);
	if (!ps_bits_valid(*pa) || *pa > max_pa)
		return -TDP_ERR_FORMAT;
	/* A 52-bit IPA needs 52-bit descriptors: LPA2, or LPA with 64K. */
	*ia = fmt->cfg.ia_bits ? fmt->cfg.ia_bits
			       : ((lpa2 || (g == 16 && *pa == 52)) ? 52 : 48);
	if (*ia < 32 || *ia > 52 || (*ia > 48 && !lpa2 && !(g == 16 && *pa == 52)))
		return -TDP_ERR_FORMAT;
	return 0;
}

int tdp_arm64_s2_setup(struct tdp_format *fmt)
{
	unsigned int g = granule_shift(fmt->cfg.format), ia, pa;
	uint64_t oa_mask, pa_rsvd;
	int start, ret, l;

	if (fmt->cfg.features & ~S2_FEATURES)
		return -TDP_ERR_FORMAT;
	ret = s2_widths(fmt, g, &ia, &pa);
	if (ret)
		return ret;
	fmt->pa_bits = (uint8_t)pa;
	ret = pick_start_level(fmt, g, ia, &start);
	if (ret)
		return ret;

	fmt->ops = &s2_ops;
	fmt->levels = (uint8_t)(4 - start);
	fmt->entry_size = 8;
	fmt->ia_bits = (uint8_t)ia;
	fmt->table_size = 1u << g;
	/* A concatenated root is one table of up to 16 pages, aligned to its
	 * size; a root with fewer entries than a page still takes a page. */
	fmt->root_size = 8u << (ia - level_shift(g, start));
	if (fmt->root_size < fmt->table_size)
		fmt->root_size = fmt->table_size;
	fmt->root_align = fmt->root_size;
	fmt->rsvd_fault = TDP_FAULT_ADDRESS_SIZE;
	fmt->leaf_level_fault = TDP_FAULT_NOT_PRESENT;
	/*
	 * Replacing a valid descriptor needs break-before-make, except when
	 * only permissions, the access flag, DBM or software bits of a leaf
	 * change, which the architecture allows in place (then the usual
	 * batched invalidation follows).
	 */
	fmt->needs_bbm = 1;
	fmt->bbm_exempt = S2AP_R | S2AP_W | S2_XN | S2_AF | S2_DBM | S2_SW;
	fmt->accessed_mask = S2_AF;
	if (has(fmt, TDP_FEAT_S2_HD)) {
		fmt->dirty_mask = S2AP_W;
		fmt->dirty_requires = S2_DBM;
	}

	/* Output-address bits in the descriptor, and those beyond PS. */
	oa_mask = TDP_GENMASK(has(fmt, TDP_FEAT_S2_LPA2) ? 49 : 47, g);
	pa_rsvd = oa_mask & ~tdp_low_mask(pa);
	for (l = 0; l < fmt->levels; l++) {
		struct tdp_level_desc *d = &fmt->lvl[l];
		int lvl = 3 - l;
		unsigned int shift = level_shift(g, lvl);

		d->shift = (uint8_t)shift;
		d->index_bits = (uint8_t)(l == fmt->levels - 1 ? ia - shift
								: g - 3);
		d->arch_level = (int8_t)lvl;
		/* bits[1:0]: 01 is a block above level 3 and invalid at 3. */
		d->present_all = l == 0 ? S2_VALID | S2_TABLE_OR_PAGE : S2_VALID;
		if (l > 0)
			d->leaf_mask = S2_TABLE_OR_PAGE;
		if (block_level(fmt, g, lvl))
			fmt->leaf_levels |= (uint16_t)(1u << l);
		d->table_addr_mask = oa_mask;
		d->leaf_addr_mask = oa_mask & ~tdp_low_mask(shift);
		d->table_rsvd = pa_rsvd;
		d->leaf_rsvd = pa_rsvd;
		if (has(fmt, TDP_FEAT_S2_LPA2) && pa == 52) {
			d->table_hi_src = d->leaf_hi_src = S2_OA_LPA2_HI_SRC;
			d->table_hi_dst = d->leaf_hi_dst = S2_OA_LPA2_HI_DST;
			d->table_hi_mask = d->leaf_hi_mask = 3;
		} else if (has(fmt, TDP_FEAT_S2_LPA2)) {
			/* OA[51:50] beyond a smaller PS: an address-size fault. */
			d->table_rsvd |= S2_SH;
			d->leaf_rsvd |= S2_SH;
		} else if (g == 16 && pa == 52) {
			d->table_hi_src = d->leaf_hi_src = S2_OA_LPA_HI_SRC;
			d->table_hi_dst = d->leaf_hi_dst = S2_OA_LPA_HI_DST;
			d->table_hi_mask = d->leaf_hi_mask = 0xf;
		}
	}
	return 0;
}

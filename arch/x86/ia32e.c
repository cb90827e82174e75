/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* x86 4- and 5-level paging (IA-32e), which AMD NPT tables also use. */
#include "ia32e.h"
#include "x86_common.h"

#define IA32E_FEATURES (TDP_FEAT_NO_1G | TDP_FEAT_NO_NX)

/* Memory types of the PAT entries after reset (the power-on default PAT). */
static const uint8_t default_pat[8] = {
	TDP_MT_WB, TDP_MT_WT, TDP_MT_UC_MINUS, TDP_MT_UC,
	TDP_MT_WB, TDP_MT_WT, TDP_MT_UC_MINUS, TDP_MT_UC,
};

static bool nx_enabled(const struct tdp_format *fmt)
{
	return !(fmt->cfg.features & TDP_FEAT_NO_NX);
}

static uint32_t ia32e_entry_perms(const struct tdp_format *fmt, int level,
				  uint64_t raw, bool leaf)
{
	uint32_t p = TDP_PERM_R;

	(void)level; /* the same bits at every level */
	(void)leaf;
	if (raw & X86_RW)
		p |= TDP_PERM_W;
	if (raw & X86_US)
		p |= TDP_PERM_U;
	if (!(nx_enabled(fmt) && (raw & X86_XD)))
		p |= TDP_PERM_X | TDP_PERM_XU;
	return p;
}

static uint64_t pat_bit(int level)
{
	return level ? X86_LARGE_PAT : X86_PTE_PAT;
}

static void ia32e_decode_leaf(const struct tdp_format *fmt, int level,
			      uint64_t raw, struct tdp_attrs *a)
{
	*a = (struct tdp_attrs){ 0 };
	a->perms = ia32e_entry_perms(fmt, level, raw, true);
	if (raw & X86_A)
		a->flags |= TDP_ATTR_ACCESSED;
	if (raw & X86_D)
		a->flags |= TDP_ATTR_DIRTY;
	if (raw & X86_G)
		a->flags |= TDP_ATTR_GLOBAL;
	a->pat = (uint8_t)((raw & pat_bit(level) ? 4 : 0) |
			   (raw & X86_PCD ? 2 : 0) | (raw & X86_PWT ? 1 : 0));
	a->memtype = default_pat[a->pat];
	a->pkey = (uint8_t)TDP_FIELD_GET(X86_PKEY, raw);
	a->sw = tdp_x86_sw_get(raw, X86_SW_LOW, X86_SW_HIGH);
}

static int pat_index(const struct tdp_attrs *a, unsigned int *idx)
{
	unsigned int i;

	if (a->flags & TDP_ATTR_PAT_INDEX) {
		if (a->pat > 7)
			return -TDP_ERR_INVAL;
		*idx = a->pat;
		return 0;
	}
	/* The first default-PAT entry holding the type. */
	for (i = 0; i < 4; i++) {
		if (default_pat[i] == a->memtype) {
			*idx = i;
			return 0;
		}
	}
	return -TDP_ERR_NOTSUP;
}

static int ia32e_encode_leaf(const struct tdp_format *fmt, int level,
			     uint64_t pa, const struct tdp_attrs *a,
			     uint64_t *raw)
{
	const uint32_t ok_flags = TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY |
				  TDP_ATTR_GLOBAL | TDP_ATTR_PAT_INDEX;
	uint32_t p = a->perms;
	uint64_t v = pa | X86_P;
	unsigned int idx;
	int ret;

	if (a->sw >= (1u << 10) || a->pkey > 15)
		return -TDP_ERR_INVAL;
	/* A present entry is always readable; execute is not split by mode. */
	if (!(p & TDP_PERM_R) || !(p & TDP_PERM_X) != !(p & TDP_PERM_XU))
		return -TDP_ERR_NOTSUP;
	if (!(p & TDP_PERM_X) && !nx_enabled(fmt))
		return -TDP_ERR_NOTSUP;
	if ((a->flags & ~ok_flags) || a->subpage_write)
		return -TDP_ERR_NOTSUP;
	ret = pat_index(a, &idx);
	if (ret)
		return ret;

	if (p & TDP_PERM_W)
		v |= X86_RW;
	if (p & TDP_PERM_U)
		v |= X86_US;
	if (idx & 1)
		v |= X86_PWT;
	if (idx & 2)
		v |= X86_PCD;
	if (idx & 4)
		v |= pat_bit(level);
	if (a->flags & TDP_ATTR_ACCESSED)
		v |= X86_A;
	if (a->flags & TDP_ATTR_DIRTY)
		v |= X86_D;
	if (level > 0)
		v |= X86_PS;
	if (a->flags & TDP_ATTR_GLOBAL)
		v |= X86_G;
	if (!(p & TDP_PERM_X))
		v |= X86_XD;
	v |= TDP_FIELD_PREP(X86_PKEY, a->pkey);
	v |= tdp_x86_sw_put(a->sw, X86_SW_LOW, X86_SW_HIGH);
	*raw = v;
	return 0;
}

static uint64_t ia32e_make_table(const struct tdp_format *fmt, int level,
				 uint64_t table_pa)
{
	(void)fmt; /* the same form in every configuration and level */
	(void)level;
	/*
	 * Permissions combine by AND across levels, so a non-leaf entry
	 * grants everything and the leaf decides.
	 */
	return table_pa | X86_P | X86_RW | X86_US;
}

static uint32_t ia32e_explain(const struct tdp_format *fmt, int level,
			      uint64_t raw)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];
	bool leaf = tdp_entry_leaf_shape(d, raw);
	uint64_t pa_rsvd = TDP_GENMASK(51, fmt->pa_bits);

	if (leaf && !(fmt->leaf_levels & (1u << level)))
		return TDP_DETAIL_LEAF_LEVEL;
	if (raw & pa_rsvd)
		return TDP_DETAIL_PA_WIDTH;
	if (leaf && (raw & d->leaf_rsvd & ~pa_rsvd & ~X86_XD))
		return TDP_DETAIL_LEAF_ALIGN;
	return TDP_DETAIL_RESERVED_BIT;
}

static uint32_t ia32e_check_access(const struct tdp_format *fmt,
				   uint32_t perms,
				   const struct tdp_attrs *attrs,
				   uint32_t access)
{
	bool user = access & TDP_ACCESS_USER;
	bool user_page = perms & TDP_PERM_U;
	bool data = access & (TDP_ACCESS_READ | TDP_ACCESS_WRITE);

	(void)fmt;   /* NXE is already folded into perms */
	(void)attrs; /* protection keys are not checked (no PKRU given) */
	if (user && !user_page)
		return TDP_FAULT_PERMISSION;
	if ((access & TDP_ACCESS_WRITE) && !(perms & TDP_PERM_W) &&
	    (user || !(access & TDP_ACCESS_NO_WP)))
		return TDP_FAULT_PERMISSION;
	if ((access & TDP_ACCESS_EXEC) && !(perms & TDP_PERM_X))
		return TDP_FAULT_PERMISSION;
	if (!user && user_page) {
		if ((access & TDP_ACCESS_SMEP) && (access & TDP_ACCESS_EXEC))
			return TDP_FAULT_PERMISSION;
		if ((access & TDP_ACCESS_SMAP) && data)
			return TDP_FAULT_PERMISSION;
	}
	return TDP_FAULT_NONE;
}

static const struct tdp_format_ops ia32e_ops = {
	.setup = tdp_x86_ia32e_setup,
	.decode_leaf = ia32e_decode_leaf,
	.encode_leaf = ia32e_encode_leaf,
	.make_table = ia32e_make_table,
	.entry_perms = ia32e_entry_perms,
	.explain = ia32e_explain,
	.check_access = ia32e_check_access,
};

int tdp_x86_ia32e_setup(struct tdp_format *fmt)
{
	int levels = fmt->cfg.format == TDP_FMT_IA32E5 ? 5 : 4;
	int ret, l;

	if (fmt->cfg.features & ~IA32E_FEATURES)
		return -TDP_ERR_FORMAT;
	ret = tdp_x86_geometry(fmt, levels);
	if (ret)
		return ret;
	fmt->ops = &ia32e_ops;
	fmt->rsvd_fault = TDP_FAULT_RESERVED;
	fmt->canonical = 1;
	fmt->accessed_mask = X86_A;
	fmt->dirty_mask = X86_D;
	for (l = 0; l < levels; l++) {
		struct tdp_level_desc *d = &fmt->lvl[l];

		d->present_all = X86_P;
		if (l > 0) {
			d->leaf_mask = X86_PS;
			d->leaf_value = X86_PS;
			/* Bit 12 is PAT; the bits above it up to the page size are reserved. */
			d->leaf_rsvd |= TDP_GENMASK(d->shift - 1, 13);
		}
		/* Without EFER.NXE the XD bit is reserved in every entry. */
		if (!nx_enabled(fmt)) {
			d->table_rsvd |= X86_XD;
			d->leaf_rsvd |= X86_XD;
		}
	}
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * x86 paging, the guest's own page tables: 4- and 5-level paging (IA-32e,
 * whose format AMD NPT tables also use), PAE paging (3 levels, a 4-entry
 * PDPT that needs only 32-byte alignment) and 32-bit paging (2 levels of
 * 4-byte entries, 4 MiB pages with PSE, PSE-36 address bits).
 */
#include "paging.h"
#include "x86_common.h"

#define IA32E_FEATURES (TDP_FEAT_NO_1G | TDP_FEAT_NO_NX)
#define PAE_FEATURES TDP_FEAT_NO_NX
#define LEGACY_FEATURES TDP_FEAT_PSE

/* Memory types of the PAT entries after reset (the power-on default PAT). */
static const uint8_t default_pat[8] = {
	TDP_MT_WB, TDP_MT_WT, TDP_MT_UC_MINUS, TDP_MT_UC,
	TDP_MT_WB, TDP_MT_WT, TDP_MT_UC_MINUS, TDP_MT_UC,
};

static bool is_ia32e(const struct tdp_format *fmt)
{
	return fmt->cfg.format == TDP_FMT_IA32E4 ||
	       fmt->cfg.format == TDP_FMT_IA32E5;
}

static bool is_pae_pdpte(const struct tdp_format *fmt, int level)
{
	return fmt->cfg.format == TDP_FMT_PAE && level == 2;
}

/* XD exists (EFER.NXE = 1) in IA-32e and PAE paging, never in 32-bit. */
static bool nx_enabled(const struct tdp_format *fmt)
{
	return fmt->cfg.format != TDP_FMT_LEGACY32 &&
	       !(fmt->cfg.features & TDP_FEAT_NO_NX);
}

/* Software-available bits: 11:9 everywhere, 58:52 only in IA-32e. */
static uint64_t sw_high(const struct tdp_format *fmt)
{
	return is_ia32e(fmt) ? X86_SW_HIGH : 0;
}

/*
 * TDP_PERM_* bits of an entry other than a PAE PDPTE: a present entry is
 * readable, R/W and U/S grant, XD (when @nx, EFER.NXE = 1) denies.
 */
static inline uint32_t paging_perms(uint64_t raw, bool nx)
{
	uint64_t p = TDP_PERM_R | TDP_BIT_MOVE(raw, X86_RW, TDP_PERM_W) |
		     TDP_BIT_MOVE(raw, X86_US, TDP_PERM_U);

	return (uint32_t)p | (nx && (raw & X86_XD) ? 0
						   : TDP_PERM_X | TDP_PERM_XU);
}

static uint32_t paging_entry_perms(const struct tdp_format *fmt, int level,
				   uint64_t raw, bool leaf)
{
	(void)leaf; /* tables and leaves grant the same bits */
	/* PDPTEs hold no permissions: R/W and U/S are reserved there. */
	if (is_pae_pdpte(fmt, level))
		return TDP_PERM_RWX | TDP_PERM_U;
	return paging_perms(raw, nx_enabled(fmt));
}

static uint64_t pat_bit(int level)
{
	return level ? X86_LARGE_PAT : X86_PTE_PAT;
}

/* tdp_attrs::pat: bit 2 is PAT, bit 1 PCD, bit 0 PWT. */
#define PAT_INDEX_PWT TDP_BIT(0)
#define PAT_INDEX_PCD TDP_BIT(1)
#define PAT_INDEX_PAT TDP_BIT(2)

static inline void paging_decode_leaf(const struct tdp_format *fmt,
				      int level, uint64_t raw,
				      struct tdp_attrs *a)
{
	bool ia32e = is_ia32e(fmt);
	uint64_t pat = TDP_BIT_MOVE(raw, X86_PWT, PAT_INDEX_PWT) |
		       TDP_BIT_MOVE(raw, X86_PCD, PAT_INDEX_PCD);

	pat |= level ? TDP_BIT_MOVE(raw, X86_LARGE_PAT, PAT_INDEX_PAT)
		     : TDP_BIT_MOVE(raw, X86_PTE_PAT, PAT_INDEX_PAT);
	a->perms = paging_perms(raw, nx_enabled(fmt));
	a->flags = (uint32_t)(TDP_BIT_MOVE(raw, X86_A, TDP_ATTR_ACCESSED) |
			      TDP_BIT_MOVE(raw, X86_D, TDP_ATTR_DIRTY) |
			      TDP_BIT_MOVE(raw, X86_G, TDP_ATTR_GLOBAL));
	a->memtype = default_pat[pat];
	a->pat = (uint8_t)pat;
	a->pkey = ia32e ? (uint8_t)TDP_FIELD_GET(X86_PKEY, raw) : 0;
	a->shareability = TDP_SH_DEFAULT;
	a->sw = ia32e ? tdp_x86_sw_get(raw, X86_SW_LOW, X86_SW_HIGH)
		      : tdp_x86_sw_get(raw, X86_SW_LOW, 0);
	a->subpage_write = 0;
}

static void paging_decode_walk(const struct tdp_format *fmt,
			       struct tdp_lookup *res, uint64_t all_and,
			       uint64_t all_or)
{
	int leaf = res->last_level, l;

	/*
	 * R/W and U/S grant at every level and XD denies, so the AND and the
	 * OR of the entries decide; but a PAE PDPTE grants everything while
	 * its R/W and U/S bits are reserved (zero): leave it out.
	 */
	if (is_pae_pdpte(fmt, res->root_level)) {
		all_and = ~0ull;
		all_or = 0;
		for (l = leaf; l < res->root_level; l++) {
			all_and &= res->entry[l];
			all_or |= res->entry[l];
		}
	}
	res->perms = paging_perms((all_and & ~X86_XD) | (all_or & X86_XD),
				  nx_enabled(fmt));
	paging_decode_leaf(fmt, leaf, res->entry[leaf], &res->attrs);
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

/* R/W, U/S and XD for @p, or -TDP_ERR_NOTSUP: a present entry is always
 * readable, execute is not split by mode, and XD needs EFER.NXE. */
static int paging_perm_bits(const struct tdp_format *fmt, uint32_t p,
			    uint64_t *bits)
{
	if (!(p & TDP_PERM_R) || !(p & TDP_PERM_X) != !(p & TDP_PERM_XU))
		return -TDP_ERR_NOTSUP;
	if (!(p & TDP_PERM_X) && !nx_enabled(fmt))
		return -TDP_ERR_NOTSUP;
	*bits = (p & TDP_PERM_W ? X86_RW : 0) | (p & TDP_PERM_U ? X86_US : 0) |
		(p & TDP_PERM_X ? 0 : X86_XD);
	return 0;
}

static int paging_set_leaf_perms(const struct tdp_format *fmt, int level,
				 uint64_t raw, uint32_t perms,
				 uint64_t *new_raw)
{
	uint64_t bits;

	(void)level; /* the same bits at every level */
	if (paging_perm_bits(fmt, perms, &bits))
		return -TDP_ERR_NOTSUP;
	*new_raw = (raw & ~(X86_RW | X86_US | X86_XD)) | bits;
	return 0;
}

static uint64_t paging_split_leaf(const struct tdp_format *fmt, int level,
				  uint64_t raw)
{
	uint64_t t = tdp_leaf_strip_pa(fmt, level, raw);

	if (level > 1)
		return t;
	/* Into 4 KiB PTEs: bit 7 becomes PAT, which sat at bit 12. */
	t &= ~X86_PS;
	if (t & X86_LARGE_PAT)
		t = (t & ~X86_LARGE_PAT) | X86_PTE_PAT;
	return t;
}

static int paging_encode_leaf(const struct tdp_format *fmt, int level,
			      uint64_t pa, const struct tdp_attrs *a,
			      uint64_t *raw)
{
	const uint32_t ok_flags = TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY |
				  TDP_ATTR_GLOBAL | TDP_ATTR_PAT_INDEX;
	const struct tdp_level_desc *d = &fmt->lvl[level];
	unsigned int sw_bits = is_ia32e(fmt) ? 10 : 3;
	uint64_t v = X86_P, perm_bits;
	unsigned int idx;
	int ret;

	if (a->sw >= (1u << sw_bits) || a->pkey > 15)
		return -TDP_ERR_INVAL;
	if (paging_perm_bits(fmt, a->perms, &perm_bits))
		return -TDP_ERR_NOTSUP;
	if ((a->flags & ~ok_flags) || a->subpage_write || a->shareability ||
	    (a->pkey && !is_ia32e(fmt)))
		return -TDP_ERR_NOTSUP;
	ret = pat_index(a, &idx);
	if (ret)
		return ret;

	v |= (pa & d->leaf_addr_mask) |
	     (((pa >> d->leaf_hi_dst) & d->leaf_hi_mask) << d->leaf_hi_src);
	v |= perm_bits;
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
	v |= TDP_FIELD_PREP(X86_PKEY, a->pkey);
	v |= tdp_x86_sw_put(a->sw, X86_SW_LOW, sw_high(fmt));
	*raw = v;
	return 0;
}

static uint64_t paging_make_table(const struct tdp_format *fmt, int level,
				  uint64_t table_pa)
{
	/* R/W and U/S are reserved in a PDPTE. */
	if (is_pae_pdpte(fmt, level))
		return table_pa | X86_P;
	/*
	 * Permissions combine by AND across levels, so a non-leaf entry
	 * grants everything and the leaf decides.
	 */
	return table_pa | X86_P | X86_RW | X86_US;
}

static uint32_t paging_explain(const struct tdp_format *fmt, int level,
			       uint64_t raw)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];
	bool leaf = tdp_entry_leaf_shape(d, raw);
	uint64_t addr_bits = fmt->entry_size == 4 ? LEGACY_ADDR : X86_ADDR;
	uint64_t pa_rsvd = addr_bits & ~tdp_low_mask(fmt->pa_bits);

	if (leaf && !(fmt->leaf_levels & (1u << level)))
		return TDP_DETAIL_LEAF_LEVEL;
	if (raw & pa_rsvd)
		return TDP_DETAIL_PA_WIDTH;
	/* 32-bit 4 MiB pages: bits 20:13 are high address bits, 21 is not. */
	if (fmt->entry_size == 4)
		return raw & TDP_BIT(21) ? TDP_DETAIL_RESERVED_BIT
					 : TDP_DETAIL_PA_WIDTH;
	if (leaf && level > 0 &&
	    (raw & d->leaf_rsvd & TDP_GENMASK(d->shift - 1, 13)))
		return TDP_DETAIL_LEAF_ALIGN;
	return TDP_DETAIL_RESERVED_BIT;
}

static uint32_t paging_check_access(const struct tdp_format *fmt,
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

static const struct tdp_format_ops paging_ops = {
	.setup = tdp_x86_paging_setup,
	.decode_leaf = paging_decode_leaf,
	.encode_leaf = paging_encode_leaf,
	.split_leaf = paging_split_leaf,
	.set_leaf_perms = paging_set_leaf_perms,
	.make_table = paging_make_table,
	.entry_perms = paging_entry_perms,
	.decode_walk = paging_decode_walk,
	.explain = paging_explain,
	.check_access = paging_check_access,
	.input_range_fault = TDP_FAULT_ADDRESS_SIZE,
};

/* Rules shared by IA-32e and PAE PDEs and PTEs. */
static void setup_8byte_levels(struct tdp_format *fmt, int levels)
{
	int l;

	for (l = 0; l < levels; l++) {
		struct tdp_level_desc *d = &fmt->lvl[l];

		d->present_all = X86_P;
		if (l > 0) {
			d->leaf_mask = X86_PS;
			d->leaf_value = X86_PS;
			/* Bit 12 is PAT; the bits above it up to the page
			 * size must be zero. */
			d->leaf_rsvd |= TDP_GENMASK(d->shift - 1, 13);
		}
		/* Without EFER.NXE the XD bit is reserved in every entry. */
		if (!nx_enabled(fmt)) {
			d->table_rsvd |= X86_XD;
			d->leaf_rsvd |= X86_XD;
		}
	}
}

static int setup_pae(struct tdp_format *fmt)
{
	struct tdp_level_desc *pdpte = &fmt->lvl[2];
	int ret, l;

	ret = tdp_x86_geometry(fmt, 3);
	if (ret)
		return ret;
	setup_8byte_levels(fmt, 3);
	/* The PDPT has 4 entries, one per GiB of the 32-bit address space,
	 * and CR3 needs only 32-byte alignment for it. */
	pdpte->index_bits = 2;
	fmt->ia_bits = 32;
	fmt->root_size = 32;
	fmt->root_align = 32;
	fmt->leaf_levels = 0x3; /* 4 KiB and 2 MiB */
	for (l = 0; l < 2; l++) {
		fmt->lvl[l].table_rsvd |= PAE_HIGH_RSVD;
		fmt->lvl[l].leaf_rsvd |= PAE_HIGH_RSVD;
	}
	/* A PDPTE never maps a page: bit 7 is just another reserved bit. */
	pdpte->leaf_mask = 0;
	pdpte->leaf_value = 1;
	pdpte->table_rsvd |= PAE_PDPTE_RSVD | TDP_GENMASK(63, 52);
	return 0;
}

static int setup_legacy32(struct tdp_format *fmt)
{
	unsigned int pa = fmt->cfg.pa_bits ? fmt->cfg.pa_bits : 32;
	int l;

	/* Beyond 32 bits only through the PSE-36 style bits 20:13. */
	if (pa < 32 || pa > 40 || fmt->cfg.ia_bits)
		return -TDP_ERR_FORMAT;
	fmt->levels = 2;
	fmt->entry_size = 4;
	fmt->ia_bits = 32;
	fmt->pa_bits = (uint8_t)pa;
	fmt->root_size = 4096;
	fmt->root_align = 4096;
	fmt->table_size = 4096;
	fmt->leaf_levels = 0x1;
	for (l = 0; l < 2; l++) {
		struct tdp_level_desc *d = &fmt->lvl[l];

		d->shift = (uint8_t)(12 + 10 * l);
		d->index_bits = 10;
		d->arch_level = (int8_t)(l + 1);
		d->present_all = X86_P;
		d->table_addr_mask = LEGACY_ADDR;
		d->leaf_addr_mask = LEGACY_ADDR & ~tdp_low_mask(d->shift);
	}
	/* Without CR4.PSE, bit 7 of a PDE is ignored: it always points to a
	 * page table. */
	fmt->lvl[1].leaf_mask = 0;
	fmt->lvl[1].leaf_value = 1;
	if (fmt->cfg.features & TDP_FEAT_PSE) {
		struct tdp_level_desc *d = &fmt->lvl[1];

		fmt->leaf_levels |= 0x2;
		d->leaf_mask = X86_PS;
		d->leaf_value = X86_PS;
		d->leaf_hi_src = LEGACY_PSE_HI_SRC;
		d->leaf_hi_dst = LEGACY_PSE_HI_DST;
		d->leaf_hi_mask = tdp_low_mask(pa - 32);
		/* Bit 21, and the bits of 20:13 above the supported width. */
		d->leaf_rsvd = LEGACY_PSE_RSVD &
			       ~(tdp_low_mask(pa - 32) << LEGACY_PSE_HI_SRC);
	}
	return 0;
}

int tdp_x86_paging_setup(struct tdp_format *fmt)
{
	uint32_t id = fmt->cfg.format;
	uint32_t allowed = id == TDP_FMT_PAE	  ? PAE_FEATURES
			   : id == TDP_FMT_LEGACY32 ? LEGACY_FEATURES
						    : IA32E_FEATURES;
	int ret;

	if (fmt->cfg.features & ~allowed)
		return -TDP_ERR_FORMAT;
	fmt->ops = &paging_ops;
	fmt->rsvd_fault = TDP_FAULT_RESERVED;
	fmt->accessed_mask = X86_A;
	fmt->dirty_mask = X86_D;
	if (id == TDP_FMT_PAE)
		return setup_pae(fmt);
	if (id == TDP_FMT_LEGACY32)
		return setup_legacy32(fmt);
	ret = tdp_x86_geometry(fmt, id == TDP_FMT_IA32E5 ? 5 : 4);
	if (ret)
		return ret;
	fmt->canonical = 1;
	setup_8byte_levels(fmt, fmt->levels);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* Intel SPP: the SPPT format, bitmap formatting, and the EPT coupling. */
#include <libtdp/spp.h>

#include "ept.h"
#include "spp.h"

uint64_t tdp_spp_bitmap_to_spte_loop(uint32_t bitmap)
{
	uint64_t spte = 0;
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (bitmap & (1u << i))
			spte |= TDP_BIT(2 * i);
	return spte;
}

uint64_t tdp_spp_bitmap_to_spte(uint32_t bitmap)
{
	uint64_t x = bitmap;

	/* Interleave a zero bit after each bit, halving the stride each step. */
	x = (x | x << 16) & 0x0000ffff0000ffffull;
	x = (x | x << 8) & 0x00ff00ff00ff00ffull;
	x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
	x = (x | x << 2) & 0x3333333333333333ull;
	x = (x | x << 1) & SPPT_LEAF_WRITE_BITS;
	return x;
}

int tdp_spp_spte_to_bitmap(uint64_t spte, uint32_t *bitmap)
{
	uint64_t x = spte;

	if (!bitmap)
		return -TDP_ERR_INVAL;
	if (spte & SPPT_LEAF_RSVD)
		return -TDP_ERR_BADTABLE;
	/* The inverse of the spread: squeeze out every odd bit. */
	x = (x | x >> 1) & 0x3333333333333333ull;
	x = (x | x >> 2) & 0x0f0f0f0f0f0f0f0full;
	x = (x | x >> 4) & 0x00ff00ff00ff00ffull;
	x = (x | x >> 8) & 0x0000ffff0000ffffull;
	x = (x | x >> 16) & 0x00000000ffffffffull;
	*bitmap = (uint32_t)x;
	return 0;
}

static bool pa_bits_ok(unsigned int pa_bits)
{
	return pa_bits >= 32 && pa_bits <= 52;
}

int tdp_spptp_make(uint64_t root_pa, unsigned int pa_bits, uint64_t *spptp)
{
	if (!spptp || !pa_bits_ok(pa_bits))
		return -TDP_ERR_INVAL;
	if (root_pa & SPPTP_RSVD_LOW)
		return -TDP_ERR_ALIGN;
	if (root_pa >> pa_bits)
		return -TDP_ERR_RANGE;
	*spptp = root_pa;
	return 0;
}

int tdp_spptp_parse(uint64_t spptp, unsigned int pa_bits, uint64_t *root_pa)
{
	if (!root_pa || !pa_bits_ok(pa_bits) || (spptp & SPPTP_RSVD_LOW) ||
	    (spptp >> pa_bits))
		return -TDP_ERR_INVAL;
	*root_pa = spptp;
	return 0;
}

/* --- the SPPT format ---------------------------------------------------- */

static uint32_t spp_entry_perms(const struct tdp_format *fmt, int level,
				uint64_t raw, bool leaf)
{
	(void)fmt; /* SPPT entries grant no access permissions themselves */
	(void)level;
	(void)raw;
	(void)leaf;
	return TDP_PERM_RWX;
}

static void spp_decode_leaf(const struct tdp_format *fmt, int level,
			    uint64_t raw, struct tdp_attrs *a)
{
	uint32_t bitmap = 0;

	(void)fmt; /* one leaf form */
	(void)level;
	*a = (struct tdp_attrs){ 0 };
	tdp_spp_spte_to_bitmap(raw, &bitmap);
	a->subpage_write = bitmap;
}

static void spp_decode_walk(const struct tdp_format *fmt,
			    struct tdp_lookup *res, uint64_t all_and,
			    uint64_t all_or)
{
	int leaf = res->last_level;

	(void)all_and; /* no SPPT entry restricts access */
	(void)all_or;
	spp_decode_leaf(fmt, leaf, res->entry[leaf], &res->attrs);
	/* No SPPT entry restricts access (spp_entry_perms). */
	res->perms = TDP_PERM_RWX;
}

static int spp_encode_leaf(const struct tdp_format *fmt, int level,
			   uint64_t pa, const struct tdp_attrs *a,
			   uint64_t *raw)
{
	(void)fmt; /* one leaf form, and it holds no address */
	(void)level;
	(void)pa;
	if (a->perms || a->flags || a->memtype || a->pat || a->pkey ||
	    a->shareability || a->sw)
		return -TDP_ERR_NOTSUP;
	*raw = tdp_spp_bitmap_to_spte(a->subpage_write);
	return 0;
}

static int spp_set_leaf_perms(const struct tdp_format *fmt, int level,
			      uint64_t raw, uint32_t perms, uint64_t *new_raw)
{
	(void)fmt; /* SPPT leaves hold sub-page bitmaps, not permissions */
	(void)level;
	(void)raw;
	(void)perms;
	(void)new_raw;
	return -TDP_ERR_NOTSUP;
}

static uint64_t spp_split_leaf(const struct tdp_format *fmt, int level,
			       uint64_t raw)
{
	(void)fmt; /* never called: SPPT leaves exist only at level 0 */
	(void)level;
	return raw;
}

static uint64_t spp_make_table(const struct tdp_format *fmt, int level,
			       uint64_t table_pa)
{
	(void)fmt; /* the same form at every level */
	(void)level;
	return table_pa | SPPT_VALID;
}

static uint32_t spp_explain(const struct tdp_format *fmt, int level,
			    uint64_t raw)
{
	if (level > 0 && (raw & TDP_GENMASK(51, fmt->pa_bits)))
		return TDP_DETAIL_PA_WIDTH;
	return TDP_DETAIL_RESERVED_BIT;
}

static uint32_t spp_check_access(const struct tdp_format *fmt, uint32_t perms,
				 const struct tdp_attrs *attrs,
				 uint32_t access)
{
	(void)fmt; /* sub-page checks need the sub-page: see tdp_spp_get() */
	(void)perms;
	(void)attrs;
	(void)access;
	return TDP_FAULT_NONE;
}

static const struct tdp_format_ops spp_ops = {
	.setup = tdp_x86_spp_setup,
	.decode_leaf = spp_decode_leaf,
	.encode_leaf = spp_encode_leaf,
	.split_leaf = spp_split_leaf,
	.set_leaf_perms = spp_set_leaf_perms,
	.make_table = spp_make_table,
	.entry_perms = spp_entry_perms,
	.decode_walk = spp_decode_walk,
	.explain = spp_explain,
	.check_access = spp_check_access,
	.input_range_fault = TDP_FAULT_ADDRESS_SIZE,
};

int tdp_x86_spp_setup(struct tdp_format *fmt)
{
	unsigned int pa = fmt->cfg.pa_bits ? fmt->cfg.pa_bits : 52;
	uint64_t pa_rsvd;
	int l;

	if (fmt->cfg.features || fmt->cfg.ia_bits || !pa_bits_ok(pa))
		return -TDP_ERR_FORMAT;
	pa_rsvd = TDP_GENMASK(51, 0) & ~tdp_low_mask(pa);
	fmt->ops = &spp_ops;
	fmt->levels = SPPT_LEVELS;
	fmt->entry_size = 8;
	fmt->ia_bits = SPPT_IA_BITS;
	fmt->pa_bits = (uint8_t)pa;
	fmt->root_size = 4096;
	fmt->root_align = 4096;
	fmt->table_size = 4096;
	fmt->leaf_levels = 0x1;
	/* Reserved bits in any SPPTE are an SPPT misconfiguration. */
	fmt->rsvd_fault = TDP_FAULT_MISCONFIG;
	for (l = 0; l < SPPT_LEVELS; l++) {
		struct tdp_level_desc *d = &fmt->lvl[l];

		d->shift = (uint8_t)(12 + 9 * l);
		d->index_bits = 9;
		d->arch_level = (int8_t)(l + 1);
		if (l == 0) {
			/*
			 * The CPU reads every L1E as valid, but an all-zero
			 * L1E (no sub-page writable) is what an empty slot
			 * holds, so libtdp treats it as invalid: tables whose
			 * leaves are all zero can be freed.
			 */
			d->present_any = ~0ull;
			d->leaf_rsvd = SPPT_LEAF_RSVD;
			continue;
		}
		d->present_all = SPPT_VALID;
		d->leaf_value = 1; /* leaf_mask 0: never a leaf */
		d->table_rsvd = SPPT_TABLE_RSVD | pa_rsvd;
		d->table_addr_mask = TDP_GENMASK(pa - 1, 12);
	}
	return 0;
}

/* --- the API ------------------------------------------------------------ */

static bool is_sppt(const struct tdp_pgt *p)
{
	return p && p->fmt.cfg.format == TDP_FMT_SPP;
}

static bool is_ept_with_spp(const struct tdp_pgt *p)
{
	return p && (p->fmt.cfg.format == TDP_FMT_EPT4 ||
		     p->fmt.cfg.format == TDP_FMT_EPT5) &&
	       (p->fmt.cfg.features & TDP_FEAT_EPT_SPP);
}

int tdp_spp_set(struct tdp_pgt *sppt, uint64_t gpa, uint64_t size,
		uint32_t bitmap, struct tdp_reserve *res)
{
	struct tdp_attrs a = { .subpage_write = bitmap };

	if (!is_sppt(sppt))
		return -TDP_ERR_INVAL;
	return tdp_map(sppt, gpa, size, 0, &a, TDP_OP_REPLACE, res);
}

int tdp_spp_get(const struct tdp_pgt *sppt, uint64_t gpa, uint32_t *bitmap)
{
	struct tdp_lookup r;
	int ret;

	if (!is_sppt(sppt) || !bitmap)
		return -TDP_ERR_INVAL;
	ret = tdp_lookup(sppt, gpa, &r);
	if (!ret) {
		*bitmap = r.attrs.subpage_write;
		return 0;
	}
	if (r.fault == TDP_FAULT_ADDRESS_SIZE)
		return -TDP_ERR_RANGE;
	if (r.fault == TDP_FAULT_NOT_PRESENT && r.fault_level == 0) {
		*bitmap = 0; /* an L1E with no sub-page writable */
		return 0;
	}
	return r.fault == TDP_FAULT_NOT_PRESENT ? -TDP_ERR_NOENT
						: -TDP_ERR_BADTABLE;
}

int tdp_spp_clear(struct tdp_pgt *sppt, uint64_t gpa, uint64_t size)
{
	if (!is_sppt(sppt))
		return -TDP_ERR_INVAL;
	return tdp_unmap(sppt, gpa, size, 0, NULL);
}

/* The EPT leaf over @gpa as a 4 KiB leaf's attributes and output address. */
static int ept_frame(const struct tdp_pgt *ept, uint64_t gpa,
		     struct tdp_lookup *r)
{
	if (tdp_lookup(ept, gpa, r))
		return r->fault == TDP_FAULT_ADDRESS_SIZE ? -TDP_ERR_RANGE
							  : -TDP_ERR_NOENT;
	return 0;
}

static int check_pair(const struct tdp_pgt *ept, const struct tdp_pgt *sppt,
		      uint64_t gpa)
{
	if (!is_ept_with_spp(ept) || !is_sppt(sppt))
		return -TDP_ERR_INVAL;
	if (gpa & 0xfff)
		return -TDP_ERR_ALIGN;
	/* The SPPT has four levels: frames at or above 2^48 have no entry. */
	if (gpa >> SPPT_IA_BITS)
		return -TDP_ERR_RANGE;
	return 0;
}

int tdp_spp_protect(struct tdp_pgt *ept, struct tdp_pgt *sppt, uint64_t gpa,
		    uint32_t bitmap)
{
	struct tdp_lookup r;
	struct tdp_attrs a;
	uint32_t old_bitmap = 0;
	bool had_entry;
	int ret;

	ret = check_pair(ept, sppt, gpa);
	if (ret)
		return ret;
	ret = ept_frame(ept, gpa, &r);
	if (ret)
		return ret;
	ret = tdp_spp_get(sppt, gpa, &old_bitmap);
	/* A misconfigured entry could not be restored: leave it alone. */
	if (ret == -TDP_ERR_BADTABLE)
		return ret;
	had_entry = !ret;
	/* SPPT first: once the EPT leaf says "SPP", the entry must be there. */
	ret = tdp_spp_set(sppt, gpa, 4096, bitmap, NULL);
	if (ret)
		return ret;
	a = r.attrs;
	a.perms &= ~TDP_PERM_W;
	a.flags |= TDP_ATTR_SPP;
	/* Replacing one 4 KiB page splits a 2 MiB or 1 GiB leaf around it. */
	ret = tdp_map(ept, gpa, 4096, r.out_addr & ~0xfffull, &a,
		      TDP_OP_REPLACE | TDP_OP_MAX_LEVEL(0), NULL);
	if (ret) {
		/* Restoring an existing entry or removing a new one never
		 * allocates: the SPPT tables are already there. */
		if (had_entry)
			tdp_spp_set(sppt, gpa, 4096, old_bitmap, NULL);
		else
			tdp_spp_clear(sppt, gpa, 4096);
	}
	return ret;
}

int tdp_spp_unprotect(struct tdp_pgt *ept, struct tdp_pgt *sppt, uint64_t gpa)
{
	struct tdp_lookup r;
	struct tdp_attrs a;
	int ret;

	ret = check_pair(ept, sppt, gpa);
	if (ret)
		return ret;
	ret = ept_frame(ept, gpa, &r);
	if (ret)
		return ret;
	if (!(r.attrs.flags & TDP_ATTR_SPP))
		return -TDP_ERR_NOENT;
	a = r.attrs;
	a.perms |= TDP_PERM_W;
	a.flags &= ~TDP_ATTR_SPP;
	/* EPT first, so the CPU stops consulting the entry we remove. */
	ret = tdp_map(ept, gpa, 4096, r.out_addr & ~0xfffull, &a,
		      TDP_OP_REPLACE | TDP_OP_MAX_LEVEL(0), NULL);
	if (ret)
		return ret;
	return tdp_spp_clear(sppt, gpa, 4096);
}

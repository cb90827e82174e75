/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Accessed/dirty harvesting. The CPU sets these flags concurrently with
 * us, so they are always cleared with an atomic AND: a plain store could
 * lose a dirty flag set between our read and our write.
 */
#include "internal.h"

struct harvest {
	const struct tdp_pgt *pgt;
	uint64_t mask;
	bool dirty;
	uint64_t first; /* index space */
	uint64_t last;
	const struct tdp_report *report;
	struct tdp_tlb_batch tlb;
};

static uint64_t clear_bits(const struct tdp_format *fmt, void *p,
			   uint64_t mask)
{
	if (fmt->entry_size == 4)
		return __atomic_fetch_and((uint32_t *)p, (uint32_t)~mask,
					  __ATOMIC_ACQ_REL);
	return __atomic_fetch_and((uint64_t *)p, ~mask, __ATOMIC_ACQ_REL);
}

static int report_range(const struct harvest *h, uint64_t lo, uint64_t hi)
{
	const struct tdp_report *r = h->report;
	unsigned int shift = h->pgt->fmt.lvl[0].shift;
	uint64_t n;

	if (!r)
		return 0;
	for (n = (lo - h->first) >> shift; r->bitmap && n <= (hi - h->first) >> shift;
	     n++)
		r->bitmap[n / 64] |= 1ull << (n % 64);
	if (r->fn)
		return r->fn(tdp_ia_to_addr(&h->pgt->fmt, lo), hi - lo + 1,
			     r->arg);
	return 0;
}

static int harvest_leaf(const struct tdp_visit *v, void *arg)
{
	struct harvest *h = arg;
	const struct tdp_format *fmt = &h->pgt->fmt;
	uint64_t ia = 0, lo, hi, span = v->size;

	if (v->kind != TDP_ENTRY_LEAF || !(v->old & h->mask))
		return 0;
	/* arm64 DBM: only a DBM leaf's write permission means "dirty". */
	if (h->dirty && (v->old & fmt->dirty_requires) != fmt->dirty_requires)
		return 0;
	tdp_addr_to_ia(fmt, v->addr, &ia);
	lo = ia > h->first ? ia : h->first;
	hi = ia + span - 1 < h->last ? ia + span - 1 : h->last;
	/*
	 * A dirty block only partly in the range keeps its flag: clearing it
	 * would lose the dirty state of the pages outside the range.
	 */
	if (!h->dirty || (lo == ia && hi == ia + span - 1)) {
		if (!(clear_bits(fmt, v->entry, h->mask) & h->mask))
			return 0; /* someone else harvested it first */
		if (h->dirty)
			tdp_tlb_note(&h->tlb, ia, v->level, span, false);
	}
	return report_range(h, lo, hi);
}

static int harvest(struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
		   uint32_t flags, const struct tdp_report *report, bool dirty)
{
	struct harvest h = { .pgt = pgt, .report = report, .dirty = dirty };
	uint64_t page;
	int ret;

	if (!pgt || !pgt->root || (flags & ~TDP_OP_SHARED) || !size)
		return -TDP_ERR_INVAL;
	page = 1ull << pgt->fmt.lvl[0].shift;
	if ((addr | size) & (page - 1))
		return -TDP_ERR_ALIGN;
	ret = tdp_range_to_ia(&pgt->fmt, addr, size, &h.first, &h.last);
	if (ret)
		return ret;
	h.mask = dirty ? pgt->fmt.dirty_mask : pgt->fmt.accessed_mask;
	if (!h.mask)
		return -TDP_ERR_NOTSUP;
	ret = tdp_walk_ia(pgt, h.first, h.last, TDP_WALK_LEAF, harvest_leaf,
			  &h);
	/* Cleared dirty flags must reach the TLB, or writes stay unlogged. */
	tdp_tlb_flush(pgt, &h.tlb);
	return ret;
}

int tdp_test_clear_young(struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
			 uint32_t flags, const struct tdp_report *report)
{
	return harvest(pgt, addr, size, flags, report, false);
}

int tdp_harvest_dirty(struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
		      uint32_t flags, const struct tdp_report *report)
{
	return harvest(pgt, addr, size, flags, report, true);
}

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

static int harvest_leaf(struct harvest *h, void *entry, uint64_t old,
			int level, uint64_t ia)
{
	const struct tdp_format *fmt = &h->pgt->fmt;
	uint64_t span = 1ull << fmt->lvl[level].shift, lo, hi;

	/* arm64 DBM: only a DBM leaf's write permission means "dirty". */
	if (h->dirty && (old & fmt->dirty_requires) != fmt->dirty_requires)
		return 0;
	lo = ia > h->first ? ia : h->first;
	hi = ia + span - 1 < h->last ? ia + span - 1 : h->last;
	/*
	 * A dirty block only partly in the range keeps its flag: clearing it
	 * would lose the dirty state of the pages outside the range.
	 */
	if (!h->dirty || (lo == ia && hi == ia + span - 1)) {
		if (!(clear_bits(fmt, entry, h->mask) & h->mask))
			return 0; /* someone else harvested it first */
		if (h->dirty)
			tdp_tlb_note(&h->tlb, ia, level, span, false);
	}
	return report_range(h, lo, hi);
}

/*
 * A direct scan rather than tdp_walk(): harvesting touches every leaf of
 * large ranges on every dirty-log pass, and most leaves need only a load
 * and a mask test.
 */
static int harvest_table(struct harvest *h, uint8_t *table, int level,
			 uint64_t ia_base)
{
	const struct tdp_format *fmt = &h->pgt->fmt;
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t first, last, i, child_pa;
	unsigned int es = fmt->entry_size;
	int ret;

	tdp_index_span(d, ia_base, h->first, h->last, &first, &last);
	for (i = first; i <= last; i++) {
		uint64_t raw = tdp_entry_load(fmt, table + i * es);
		uint64_t ia = ia_base + (i << d->shift);
		uint8_t *child;

		/* Most page-table entries: a leaf whose flag is clear. */
		if (level == 0 && !(raw & h->mask))
			continue;
		switch (tdp_classify(fmt, level, raw)) {
		case TDP_ENTRY_LEAF:
			if (!(raw & h->mask))
				break;
			ret = harvest_leaf(h, table + i * es, raw, level, ia);
			if (ret)
				return ret;
			break;
		case TDP_ENTRY_TABLE:
			child = tdp_child_table(h->pgt, level, raw, &child_pa);
			if (!child)
				break;
			ret = harvest_table(h, child, level - 1, ia);
			if (ret)
				return ret;
			break;
		default:
			break;
		}
	}
	return 0;
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
	ret = harvest_table(&h, pgt->root, tdp_root_level(&pgt->fmt), 0);
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

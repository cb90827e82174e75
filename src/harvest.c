/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Accessed/dirty harvesting.
 *
 * The CPU sets these flags concurrently with us. While a leaf has a flag
 * clear that the CPU may still set (tdp_leaf_volatile()), our flag is
 * cleared with an atomic AND: a plain store of the value we read would
 * lose a flag the CPU set between our read and our write. Once every flag
 * the CPU may set is set, the CPU changes the leaf no more, and in
 * exclusive mode no other thread writes it either, so a plain store loses
 * nothing (KVM's rule, spte_has_volatile_bits()). Aging mostly meets pages
 * both accessed and dirty and so mostly stores plainly: a locked
 * instruction per page cost more than all the rest of it. Dirty harvesting
 * mostly meets pages already aged, which the CPU may mark accessed at any
 * moment, so it stays atomic. In shared mode another thread may change a
 * leaf at any moment: every clear is atomic there.
 */
#include "internal.h"

struct harvest {
	const struct tdp_pgt *pgt;
	uint64_t mask;
	bool dirty;
	bool shared;
	uint64_t first; /* index space */
	uint64_t last;
	uint64_t *bitmap;
	int (*fn)(uint64_t addr, uint64_t size, void *arg);
	void *arg;
	struct tdp_tlb_batch tlb;
};

/*
 * Clear @mask in the entry of @es bytes at @p, last read as @raw; @atomic
 * unless nothing else can change the entry meanwhile (see the top of the
 * file). Returns false when the flag was already gone: someone else cleared
 * it first (another thread in shared mode), and it must not be reported
 * twice.
 */
static inline bool clear_flag(unsigned int es, void *p, uint64_t raw,
			      uint64_t mask, bool atomic)
{
	if (!atomic && es == 4)
		__atomic_store_n((uint32_t *)p, (uint32_t)(raw & ~mask),
				 __ATOMIC_RELEASE);
	else if (!atomic)
		__atomic_store_n((uint64_t *)p, raw & ~mask, __ATOMIC_RELEASE);
	else if (es == 4)
		return __atomic_fetch_and((uint32_t *)p, (uint32_t)~mask,
					  __ATOMIC_ACQ_REL) & mask;
	else
		return __atomic_fetch_and((uint64_t *)p, ~mask,
					  __ATOMIC_ACQ_REL) & mask;
	return true;
}

/* Set bits [@lo, @hi] of @bitmap, a word at a time. */
static void set_bits(uint64_t *bitmap, uint64_t lo, uint64_t hi)
{
	uint64_t w;

	for (w = lo / 64; w <= hi / 64; w++) {
		uint64_t bits = ~0ull;

		if (w == lo / 64)
			bits &= ~0ull << (lo % 64);
		if (w == hi / 64)
			bits &= ~0ull >> (63 - hi % 64);
		bitmap[w] |= bits;
	}
}

/* A block leaf (above level 0): rare, so one call per leaf is fine. */
static int harvest_block(struct harvest *h, void *entry, uint64_t old,
			 int level, uint64_t ia)
{
	const struct tdp_format *fmt = &h->pgt->fmt;
	unsigned int shift = fmt->lvl[0].shift;
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
		if (!clear_flag(fmt->entry_size, entry, old, h->mask,
				h->shared || tdp_leaf_volatile(fmt, old)))
			return 0;
		if (h->dirty)
			tdp_tlb_note(&h->tlb, ia, level, span, false);
	}
	if (h->bitmap)
		set_bits(h->bitmap, (lo - h->first) >> shift,
			 (hi - h->first) >> shift);
	if (h->fn)
		return h->fn(tdp_ia_to_addr(fmt, lo), hi - lo + 1, h->arg);
	return 0;
}

/* Whether a page entry whose flag is set is a page to harvest. */
static bool page_to_harvest(const struct harvest *h, uint64_t raw)
{
	const struct tdp_format *fmt = &h->pgt->fmt;
	/* arm64 DBM: only a DBM leaf's write permission means "dirty". */
	uint64_t need = h->dirty ? fmt->dirty_requires : 0;

	return tdp_classify(fmt, 0, raw) == TDP_ENTRY_LEAF &&
	       (raw & need) == need;
}

/*
 * A table of smallest pages, where nearly all the work of a harvest is, so
 * the loop does as little per entry as it can:
 * - an entry that agrees with the last page harvested on every bit that
 *   classifying it, the DBM test and tdp_leaf_volatile() look at is judged
 *   alike without looking again: in practice every page of a table but the
 *   first;
 * - the report bits of the entries that share a bitmap word are gathered
 *   in a register and stored once;
 * - the cleared pages are noted for the TLB once for the table.
 * What the loop needs is kept in locals: after a store to an entry the
 * compiler could not otherwise assume the format and the harvest state
 * unchanged, and would load them again for every entry.
 */
static int harvest_pages(struct harvest *h, uint8_t *table, uint64_t ia_base)
{
	const struct tdp_format *fmt = &h->pgt->fmt;
	const unsigned int shift = fmt->lvl[0].shift;
	const unsigned int es = fmt->entry_size;
	const uint64_t mask = h->mask;
	const bool shared = h->shared;
	/* Includes mask: no entry with the flag set matches known = 0. */
	const uint64_t same = tdp_classify_bits(fmt, 0) | fmt->accessed_mask |
			      fmt->dirty_mask | fmt->dirty_requires;
	uint64_t *const bitmap = h->bitmap;
	int (*const fn)(uint64_t, uint64_t, void *) = h->fn;
	/* Entry i is bit base + i of the bitmap (mod 2^64: i >= first). */
	const uint64_t base = (ia_base >> shift) - (h->first >> shift);
	uint64_t first, last, i, end, j, known = 0;
	uint64_t cleared = 0, lo = 1, hi = 0; /* lo > hi: none yet */
	bool atomic = true;
	int ret = 0;

	tdp_index_span(&fmt->lvl[0], ia_base, h->first, h->last, &first,
		       &last);
	/* One bitmap word per round: end is the last entry in its word. */
	for (i = first; i <= last && !ret; i = end + 1) {
		uint64_t hits = 0, bit = 1ull << ((base + i) & 63);

		end = i + (63 - ((base + i) & 63));
		end = end < last ? end : last;
		for (j = i; j <= end; j++, bit <<= 1) {
			uint8_t *p = table + j * es;
			uint64_t raw = es == 4 ? __atomic_load_n((uint32_t *)p,
							 __ATOMIC_ACQUIRE)
					       : __atomic_load_n((uint64_t *)p,
							 __ATOMIC_ACQUIRE);

			/* Most entries: a page whose flag is clear. */
			if (!(raw & mask))
				continue;
			if ((raw ^ known) & same) {
				if (!page_to_harvest(h, raw))
					continue;
				known = raw;
				atomic = shared || tdp_leaf_volatile(fmt, raw);
			}
			if (!clear_flag(es, p, raw, mask, atomic))
				continue;
			cleared++;
			hits |= bit;
			if (!fn)
				continue;
			/* The callback may read the bitmap: fill it first. */
			if (bitmap)
				bitmap[(base + i) / 64] |= hits;
			ret = fn(tdp_ia_to_addr(fmt, ia_base + (j << shift)),
				 1ull << shift, h->arg);
			if (ret)
				break;
		}
		if (!hits)
			continue;
		if (bitmap)
			bitmap[(base + i) / 64] |= hits;
		/* The first and last page cleared, for the TLB. */
		if (lo > hi)
			lo = i + __builtin_ctzll(hits) - ((base + i) & 63);
		hi = i + (63 - __builtin_clzll(hits)) - ((base + i) & 63);
	}
	/* Cleared dirty flags must reach the TLB; aging never flushes. */
	if (h->dirty && cleared)
		tdp_tlb_note_run(&h->tlb, ia_base + (lo << shift),
				 ia_base + ((hi + 1) << shift) - 1, 0, cleared);
	return ret;
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

	if (!level)
		return harvest_pages(h, table, ia_base);
	tdp_index_span(d, ia_base, h->first, h->last, &first, &last);
	for (i = first; i <= last; i++) {
		uint64_t raw = tdp_entry_load(fmt, table + i * es);
		uint64_t ia = ia_base + (i << d->shift);
		uint8_t *child;

		switch (tdp_classify(fmt, level, raw)) {
		case TDP_ENTRY_LEAF:
			if (!(raw & h->mask))
				break;
			ret = harvest_block(h, table + i * es, raw, level, ia);
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
	struct harvest h = {
		.pgt = pgt,
		.dirty = dirty,
		.shared = flags & TDP_OP_SHARED,
	};
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
	if (report) {
		h.bitmap = report->bitmap;
		h.fn = report->fn;
		h.arg = report->arg;
	}
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

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * TLB-invalidation batching: operations note every live valid entry they
 * change and issue one invalidation for the whole span at their end.
 */
#include "internal.h"

void tdp_tlb_note_leaves(struct tdp_tlb_batch *b, uint64_t ia, int level,
			 uint64_t span, uint64_t leaves)
{
	if (!b->entries || ia < b->lo)
		b->lo = ia;
	if (!b->entries || ia + span - 1 > b->hi)
		b->hi = ia + span - 1;
	b->level = level;
	b->entries += leaves;
}

void tdp_tlb_note(struct tdp_tlb_batch *b, uint64_t ia, int level,
		  uint64_t span, bool was_table)
{
	b->tables |= was_table;
	tdp_tlb_note_leaves(b, ia, level, span, 1);
}

void tdp_tlb_flush_one(const struct tdp_pgt *pgt, uint64_t ia, int level,
		       bool was_table)
{
	const struct tdp_tlb_ops *t = pgt->tlb;
	uint64_t addr = tdp_ia_to_addr(&pgt->fmt, ia);
	uint64_t span = 1ull << pgt->fmt.lvl[level].shift;

	if (!t)
		return;
	if (t->flush_addr && !was_table)
		t->flush_addr(pgt->tlb_ctx, addr, level);
	else if (t->flush_range)
		t->flush_range(pgt->tlb_ctx, addr, span);
	else if (t->flush_all)
		t->flush_all(pgt->tlb_ctx);
}

/* Issue the pending invalidation: one call for everything batched. */
void tdp_tlb_flush(const struct tdp_pgt *pgt, struct tdp_tlb_batch *b)
{
	const struct tdp_tlb_ops *t = pgt->tlb;
	uint64_t entries = b->entries;
	bool tables = b->tables;

	b->entries = 0;
	b->tables = false;
	if (!entries || !t)
		return;
	if (entries == 1 && !tables) {
		tdp_tlb_flush_one(pgt, b->lo, b->level, false);
		return;
	}
	if (t->flush_range)
		t->flush_range(pgt->tlb_ctx, tdp_ia_to_addr(&pgt->fmt, b->lo),
			       b->hi - b->lo + 1);
	else if (t->flush_all)
		t->flush_all(pgt->tlb_ctx);
}

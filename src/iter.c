/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The pre-order iterator. It keeps the table pointer of every level on the
 * current path (path[]), so stepping up needs no recursion and no re-walk,
 * and a goal address (goal): the address iteration continues from, which
 * only grows. After the caller drops its lock, the path may point at freed
 * tables, so tdp_iter_restart() makes the next step walk down again from
 * the root toward the goal.
 */
#include "internal.h"

static void iter_read(struct tdp_iter *it)
{
	const struct tdp_format *fmt = &it->pgt->fmt;
	uint64_t child_pa;

	it->entry = (uint8_t *)it->path[it->level] +
		    tdp_index(fmt, it->level, it->ia) * fmt->entry_size;
	it->old = tdp_entry_load(fmt, it->entry);
	it->kind = tdp_classify(fmt, it->level, it->old);
	if (it->kind == TDP_ENTRY_TABLE &&
	    !tdp_child_table(it->pgt, it->level, it->old, &child_pa))
		it->kind = TDP_ENTRY_BAD_POINTER;
	it->addr = tdp_ia_to_addr(fmt, it->ia);
}

static uint64_t round_to_level(const struct tdp_iter *it, uint64_t ia)
{
	return ia & ~tdp_low_mask(it->pgt->fmt.lvl[it->level].shift);
}

/* Become current at the root entry that maps the goal. */
static void iter_from_root(struct tdp_iter *it)
{
	it->level = it->root_level;
	it->path[it->level] = it->pgt->root;
	it->ia = round_to_level(it, it->goal);
	iter_read(it);
}

int tdp_iter_start(struct tdp_iter *it, const struct tdp_pgt *pgt,
		   uint64_t addr, uint64_t size, int min_level)
{
	uint64_t ia, ia_last;
	int ret;

	if (!it)
		return -TDP_ERR_INVAL;
	*it = (struct tdp_iter){ .pgt = pgt };
	if (!pgt || !pgt->root || min_level < 0 ||
	    min_level >= pgt->fmt.levels)
		return -TDP_ERR_INVAL;
	if (!size)
		return 0;
	ret = tdp_range_to_ia(&pgt->fmt, addr, size, &ia, &ia_last);
	if (ret)
		return ret;
	it->min_level = min_level;
	it->root_level = tdp_root_level(&pgt->fmt);
	it->goal = ia;
	it->end = ia_last;
	it->valid = true;
	iter_from_root(it);
	return 0;
}

bool tdp_iter_step_down(struct tdp_iter *it)
{
	const struct tdp_format *fmt;
	uint64_t child_pa;
	void *child;

	if (!it || !it->valid || it->level <= it->min_level)
		return false;
	fmt = &it->pgt->fmt;
	/* Re-read: the table may have been unlinked since we looked. */
	it->old = tdp_entry_load(fmt, it->entry);
	it->kind = tdp_classify(fmt, it->level, it->old);
	if (it->kind != TDP_ENTRY_TABLE)
		return false;
	child = tdp_child_table(it->pgt, it->level, it->old, &child_pa);
	if (!child) {
		it->kind = TDP_ENTRY_BAD_POINTER;
		return false;
	}
	it->level--;
	it->path[it->level] = child;
	it->ia = round_to_level(it, it->goal);
	iter_read(it);
	return true;
}

bool tdp_iter_step_side(struct tdp_iter *it)
{
	const struct tdp_level_desc *d;
	uint64_t next;

	if (!it || !it->valid)
		return false;
	d = &it->pgt->fmt.lvl[it->level];
	if (tdp_index(&it->pgt->fmt, it->level, it->ia) ==
	    tdp_low_mask(d->index_bits))
		return false;
	next = it->ia + (1ull << d->shift);
	if (next > it->end)
		return false;
	it->ia = next;
	it->goal = next;
	iter_read(it);
	return true;
}

bool tdp_iter_step_up(struct tdp_iter *it)
{
	if (!it || !it->valid || it->level >= it->root_level)
		return false;
	it->level++;
	it->ia = round_to_level(it, it->ia);
	iter_read(it);
	return true;
}

void tdp_iter_next(struct tdp_iter *it)
{
	if (!it || !it->valid)
		return;
	if (it->restart) {
		it->restart = false;
		iter_from_root(it);
		return;
	}
	if (tdp_iter_step_down(it))
		return;
	/* The parent was visited before its children: go to its sibling. */
	for (;;) {
		if (tdp_iter_step_side(it))
			return;
		if (!tdp_iter_step_up(it))
			break;
	}
	it->valid = false;
}

bool tdp_iter_restart(struct tdp_iter *it)
{
	if (!it || !it->valid)
		return false;
	if (it->restarted_once && it->goal <= it->restart_goal)
		return false;
	it->restarted_once = true;
	it->restart_goal = it->goal;
	it->restart = true;
	return true;
}

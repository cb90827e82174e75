/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The walker: depth-first over the entries that map a range, with visits
 * before a table's subtree (TABLE_PRE), on everything that is not a table
 * (LEAF), and after a table's subtree (TABLE_POST). The entry is re-read
 * after every visit, so a visitor can replace a table by a leaf (the old
 * subtree is skipped) or install a table where there was none (the walker
 * descends into it): map, split and unmap are all built that way.
 *
 * Recursion depth is bounded by the format's levels, and every table
 * pointer goes through the memory backend's bounds check, so hostile
 * tables (pointing outside memory, at themselves, or in cycles) cannot make
 * the walk read out of bounds or run forever.
 */
#include "internal.h"

#define TDP_WALK_ALL (TDP_WALK_LEAF | TDP_WALK_TABLE_PRE | TDP_WALK_TABLE_POST)

struct walk_data {
	const struct tdp_pgt *pgt;
	uint64_t ia_first;
	uint64_t ia_last;
	uint32_t flags;
	tdp_visit_fn fn;
	void *arg;
};

/* Read the visited entry and classify it, following a table pointer. */
static void *read_entry(const struct walk_data *w, struct tdp_visit *v,
			uint64_t *child_pa)
{
	const struct tdp_format *fmt = &w->pgt->fmt;
	void *child;

	v->old = tdp_entry_load(fmt, v->entry);
	v->kind = tdp_classify(fmt, v->level, v->old);
	if (v->kind != TDP_ENTRY_TABLE)
		return NULL;
	child = tdp_child_table(w->pgt, v->level, v->old, child_pa);
	if (!child)
		v->kind = TDP_ENTRY_BAD_POINTER;
	return child;
}

static int visit(const struct walk_data *w, struct tdp_visit *v,
		 uint32_t which)
{
	v->visit = which;
	return w->fn(v, w->arg);
}

static int walk_table(const struct walk_data *w, uint8_t *table,
		      uint64_t table_pa, int level, uint64_t ia_base)
{
	const struct tdp_format *fmt = &w->pgt->fmt;
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t span = 1ull << d->shift;
	uint64_t first, last, i;
	int ret;

	/* Only the entries that meet [ia_first, ia_last]. */
	tdp_index_span(d, ia_base, w->ia_first, w->ia_last, &first, &last);

	for (i = first; i <= last; i++) {
		uint64_t ia = ia_base + i * span, child_pa = 0;
		struct tdp_visit v = {
			.pgt = w->pgt,
			.addr = tdp_ia_to_addr(fmt, ia),
			.size = span,
			.entry = table + i * fmt->entry_size,
			.entry_pa = table_pa + i * fmt->entry_size,
			.level = level,
		};
		void *child = read_entry(w, &v, &child_pa);

		if (v.kind == TDP_ENTRY_TABLE && (w->flags & TDP_WALK_TABLE_PRE)) {
			ret = visit(w, &v, TDP_WALK_TABLE_PRE);
			if (ret)
				return ret;
			child = read_entry(w, &v, &child_pa);
		}
		if (v.kind != TDP_ENTRY_TABLE && (w->flags & TDP_WALK_LEAF)) {
			ret = visit(w, &v, TDP_WALK_LEAF);
			if (ret)
				return ret;
			child = read_entry(w, &v, &child_pa);
		}
		if (v.kind != TDP_ENTRY_TABLE)
			continue;
		ret = walk_table(w, child, child_pa, level - 1, ia);
		if (ret)
			return ret;
		if (w->flags & TDP_WALK_TABLE_POST) {
			read_entry(w, &v, &child_pa);
			ret = visit(w, &v, TDP_WALK_TABLE_POST);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int tdp_walk_ia(const struct tdp_pgt *pgt, uint64_t ia, uint64_t ia_last,
		uint32_t flags, tdp_visit_fn fn, void *arg)
{
	const struct walk_data w = {
		.pgt = pgt,
		.ia_first = ia,
		.ia_last = ia_last,
		.flags = flags,
		.fn = fn,
		.arg = arg,
	};

	return walk_table(&w, pgt->root, pgt->root_pa,
			  tdp_root_level(&pgt->fmt), 0);
}

int tdp_walk(const struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
	     uint32_t flags, tdp_visit_fn fn, void *arg)
{
	uint64_t ia, ia_last;
	int ret;

	if (!pgt || !pgt->root || !fn || (flags & ~TDP_WALK_ALL))
		return -TDP_ERR_INVAL;
	if (!size)
		return 0;
	ret = tdp_range_to_ia(&pgt->fmt, addr, size, &ia, &ia_last);
	if (ret)
		return ret;
	return tdp_walk_ia(pgt, ia, ia_last, flags, fn, arg);
}

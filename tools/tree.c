/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The table-tree traversal behind dump, dot, diff and stats.
 *
 * It drives libtdp's iterator step by step instead of using tdp_walk(),
 * because a hostile image can make a table point at one of its own
 * ancestors: the walker would follow such a pointer (bounded only by the
 * depth, which can still mean 512^levels entries), while here the child
 * table is compared with the tables on the current path and a cycle is
 * reported instead of entered. A cap on the entries visited bounds the
 * remaining blow-up (many entries sharing one subtree).
 */
#include <string.h>

#include "tool.h"

struct table_span {
	uint64_t pa;
	uint64_t bytes;
};

struct tree_walk {
	const struct tool_image *img;
	const struct tdp_format *fmt;
	tree_fn fn;
	void *arg;
	uint64_t max_entries;
	uint64_t entries;
	int root_level;
	struct table_span path[TDP_MAX_LEVELS + 1];
};

static bool overlaps(const struct table_span *a, uint64_t pa, uint64_t bytes)
{
	return pa < a->pa + a->bytes && a->pa < pa + bytes;
}

/* Fill the parts of a node every entry has. */
static void node_entry(const struct tree_walk *w, const struct tdp_iter *it,
		       struct tree_node *n, enum tree_node_kind kind)
{
	int shift = tdp_format_level_shift(w->fmt, it->level);

	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->depth = w->root_level - it->level;
	n->level = it->level;
	n->addr = it->addr;
	n->size = 1ull << shift;
	n->last = it->addr + (n->size - 1);
	n->raw = it->old;
	n->entry_pa = tool_image_pa(w->img, it->entry);
	n->entry_kind = it->kind;
}

/* An entry that is not a table the walk can enter. */
static int visit_entry(struct tree_walk *w, const struct tdp_iter *it)
{
	struct tdp_lookup res;
	struct tree_node n;
	int ret;

	if (it->kind == TDP_ENTRY_INVALID) {
		node_entry(w, it, &n, NODE_INVALID);
		return w->fn(&n, w->arg);
	}
	/*
	 * The lookup follows the same indices as the iterator did, so it
	 * stops at this very entry; it combines the permissions of every
	 * level and names the fault of a malformed entry.
	 */
	ret = tdp_lookup(&w->img->pgt, it->addr, &res);
	if (it->kind == TDP_ENTRY_LEAF && !ret && res.last_level == it->level) {
		node_entry(w, it, &n, NODE_LEAF);
		n.size = res.page_size;
		n.out = res.out_addr;
		n.perms = res.perms;
		n.attrs = res.attrs;
		/* SPPT leaves hold no address: let equal bitmaps form runs. */
		if (tool_is_spp(w->fmt))
			n.out = n.addr;
		return w->fn(&n, w->arg);
	}
	node_entry(w, it, &n, NODE_BAD);
	if (ret == -TDP_ERR_FAULT && res.fault_level == it->level) {
		n.fault = res.fault;
		n.detail = res.fault_detail;
	} else {
		n.fault = it->kind == TDP_ENTRY_BAD_POINTER ?
				  TDP_FAULT_BAD_POINTER :
				  TDP_FAULT_NOT_PRESENT;
	}
	return w->fn(&n, w->arg);
}

static int walk_range(struct tree_walk *w, uint64_t addr, uint64_t size)
{
	const struct tdp_pgt *pgt = &w->img->pgt;
	struct tree_node n;
	struct tdp_iter it;
	int ret, depth;

	ret = tdp_iter_start(&it, pgt, addr, size, 0);
	if (ret)
		return tool_err("cannot iterate over 0x%llx+0x%llx: %s",
				(unsigned long long)addr,
				(unsigned long long)size, tdp_strerror(ret));
	while (it.valid) {
		if (++w->entries > w->max_entries)
			return tool_err("stopped after %llu entries: the "
					"tree is larger than --max-entries "
					"(many entries sharing tables? a "
					"corrupt image?)",
					(unsigned long long)w->max_entries);
		if (it.kind == TDP_ENTRY_TABLE) {
			struct tdp_iter parent = it;

			if (tdp_iter_step_down(&it)) {
				uint64_t bytes = w->fmt->table_size;
				uint64_t pa = tool_image_pa(w->img, it.entry) &
					      ~(bytes - 1);

				depth = w->root_level - it.level;
				node_entry(w, &parent, &n, NODE_TABLE);
				n.table_pa = pa;
				n.table_bytes = bytes;
				for (int d = 0; d < depth; d++) {
					if (overlaps(&w->path[d], pa, bytes)) {
						n.kind = NODE_LOOP;
						n.loop_depth = d;
						break;
					}
				}
				if (n.kind == NODE_LOOP) {
					tdp_iter_step_up(&it);
				} else {
					w->path[depth].pa = pa;
					w->path[depth].bytes = bytes;
					n.level = it.level;
					n.depth = depth;
				}
				ret = w->fn(&n, w->arg);
				if (ret)
					return ret;
				if (n.kind == NODE_TABLE)
					continue; /* now at its first entry */
			} else {
				/* The pointer is outside the image. */
				ret = visit_entry(w, &it);
				if (ret)
					return ret;
			}
		} else {
			ret = visit_entry(w, &it);
			if (ret)
				return ret;
		}
		while (!tdp_iter_step_side(&it)) {
			depth = w->root_level - it.level;
			if (!tdp_iter_step_up(&it))
				return 0;
			memset(&n, 0, sizeof(n));
			n.kind = NODE_TABLE_END;
			n.depth = depth;
			n.level = it.level - 1;
			ret = w->fn(&n, w->arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int tool_tree_walk(const struct tool_image *img, uint64_t max_entries,
		   tree_fn fn, void *arg)
{
	const struct tdp_format *fmt = &img->pgt.fmt;
	struct tree_walk w = {
		.img = img,
		.fmt = fmt,
		.fn = fn,
		.arg = arg,
		.max_entries = max_entries,
		.root_level = fmt->levels - 1,
	};
	uint64_t span = 1ull << (fmt->ia_bits - (fmt->canonical ? 1 : 0));
	struct tree_node root = {
		.kind = NODE_TABLE,
		.depth = 0,
		.level = fmt->levels - 1,
		.is_root = true,
		.table_pa = img->pgt.root_pa,
		.table_bytes = fmt->root_size,
		.addr = 0,
		.last = fmt->canonical ? ~0ull : span - 1,
	};
	int ret;

	w.path[0].pa = img->pgt.root_pa;
	w.path[0].bytes = fmt->root_size;
	ret = fn(&root, arg);
	if (!ret)
		ret = walk_range(&w, 0, span);
	/* Canonical formats: the upper half, above the hole. */
	if (!ret && fmt->canonical)
		ret = walk_range(&w, 0ull - span, span);
	if (!ret) {
		root.kind = NODE_TABLE_END;
		ret = fn(&root, arg);
	}
	return ret;
}

bool tool_run_extends(const struct tool_run *r, const struct tree_node *n)
{
	return n->kind == NODE_LEAF && n->level == r->level &&
	       n->depth == r->depth && n->addr == r->last + 1 &&
	       n->out == r->out + (r->last - r->first) + 1 &&
	       n->perms == r->perms &&
	       !memcmp(&n->attrs, &r->attrs, sizeof(n->attrs));
}

void tool_run_start(struct tool_run *r, const struct tree_node *n)
{
	r->first = n->addr;
	r->last = n->last;
	r->out = n->out;
	r->pages = 1;
	r->level = n->level;
	r->depth = n->depth;
	r->perms = n->perms;
	r->attrs = n->attrs;
}

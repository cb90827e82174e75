/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Map, unmap and protect: one recursive engine over the tables of a range.
 *
 * Every operation runs in two passes in exclusive mode. The first ("dry")
 * pass changes nothing: it checks for errors (existing mappings, malformed
 * entries, permissions the format cannot express) and counts exactly the
 * table pages the operation will need. The pages are then allocated up
 * front, so the second pass cannot fail: a failed allocation leaves the
 * tables exactly as they were. Tables that do not exist yet, and the
 * tables a block will be split into, are walked "virtually" in the dry
 * pass: their entries are computed (all invalid, or the block's pieces)
 * instead of read.
 *
 * New tables are filled while still private (unreachable by any walker)
 * and linked last, so a walker sees either the old entry or the complete
 * new subtree.
 *
 * Protect decides most leaves without the per-entry engine: a range's
 * leaves mostly share their attributes, and protect_scan() compares each
 * with a memo of the last permission change, skipping it (the dry pass) or
 * rewriting it with a plain store and noting one TLB range per run.
 */
#include "internal.h"

#define OP_FLAGS_ALL (TDP_OP_REPLACE | TDP_OP_SHARED | (0xfu << 8))
/*
 * Unlinked subtrees are freed after the TLB flush. Only their top tables are
 * remembered (the rest is found by walking them once they are private), so
 * one batch covers any number of pages; a larger count of separate
 * subtrees costs one extra flush per batch.
 */
#define FREED_BATCH 64

enum op_kind_internal { OP_MAP, OP_UNMAP, OP_PROTECT };

struct op {
	struct tdp_pgt *pgt;
	const struct tdp_format *fmt;
	int kind;
	bool replace;
	bool shared;
	bool dry;
	uint64_t first; /* index space, inclusive */
	uint64_t last;
	uint64_t delta; /* map: output address = input + delta */
	uint32_t leaf_ok; /* map: levels a new leaf may sit at */
	uint64_t leaf_tmpl[TDP_MAX_LEVELS];
	uint32_t set; /* protect */
	uint32_t clear;
	uint64_t need; /* dry pass: pages counted */
	uint64_t stack_head; /* pages allocated for this operation */
	uint64_t stack_count;
	struct tdp_reserve *res;
	struct tdp_tlb_batch tlb;
	struct {
		uint64_t pa;
		int level;
	} freed[FREED_BATCH];
	unsigned int n_freed;
	uint32_t memo_valid; /* protect: levels with a memoised leaf */
	uint64_t memo_key[TDP_MAX_LEVELS];
	uint64_t memo_val[TDP_MAX_LEVELS];
};

/* A table being operated on: real memory, or computed entries. */
struct vtab {
	uint8_t *mem;        /* NULL: virtual */
	uint64_t pa;
	uint64_t split_tmpl; /* virtual: the split block's leaf template, or 0 */
	uint64_t split_pa;   /* virtual: the split block's output address */
};

/* --- page lists threaded through the free pages themselves ------------- */

static uint64_t *page_ptr(const struct tdp_pgt *pgt, uint64_t pa)
{
	return tdp_pgt_p2v(pgt, pa, pgt->fmt.table_size);
}

static void list_push(const struct tdp_pgt *pgt, uint64_t *head,
		      uint64_t *count, uint64_t pa)
{
	uint64_t *p = page_ptr(pgt, pa);

	p[0] = *head;
	*head = pa;
	(*count)++;
}

static uint64_t list_pop(const struct tdp_pgt *pgt, uint64_t *head,
			 uint64_t *count)
{
	uint64_t pa = *head;
	uint64_t *p = page_ptr(pgt, pa);

	*head = p[0];
	p[0] = 0; /* the page is all zero again */
	(*count)--;
	return pa;
}

static bool mm_can_alloc(const struct tdp_pgt *pgt)
{
	return pgt && pgt->root && pgt->mm.ops && pgt->mm.ops->alloc_table &&
	       pgt->mm.ops->free_table;
}

static int alloc_page(const struct tdp_pgt *pgt, uint64_t *pa)
{
	uint64_t sz = pgt->fmt.table_size;
	int ret = pgt->mm.ops->alloc_table(pgt->mm.ctx, sz, sz, pa);

	if (ret)
		return ret;
	/* A page the backend cannot translate back is of no use. */
	if (!page_ptr(pgt, *pa)) {
		pgt->mm.ops->free_table(pgt->mm.ctx, *pa, sz);
		return -TDP_ERR_NOMEM;
	}
	return 0;
}

int tdp_reserve_topup(struct tdp_pgt *pgt, struct tdp_reserve *res,
		      uint64_t pages)
{
	uint64_t pa;
	int ret;

	if (!mm_can_alloc(pgt) || !res)
		return -TDP_ERR_INVAL;
	for (; res->count < pages;) {
		ret = alloc_page(pgt, &pa);
		if (ret)
			return ret;
		list_push(pgt, &res->head, &res->count, pa);
	}
	return 0;
}

void tdp_reserve_release(struct tdp_pgt *pgt, struct tdp_reserve *res)
{
	if (!mm_can_alloc(pgt) || !res)
		return;
	for (; res->count;)
		pgt->mm.ops->free_table(pgt->mm.ctx,
					list_pop(pgt, &res->head, &res->count),
					pgt->fmt.table_size);
}

/* A zeroed page for a new table: this operation's pages, the caller's
 * reservation, or (shared mode, or a miscount) the backend. */
static int take_page(struct op *op, uint64_t *pa)
{
	if (op->stack_count) {
		*pa = list_pop(op->pgt, &op->stack_head, &op->stack_count);
		return 0;
	}
	if (op->res && op->res->count) {
		*pa = list_pop(op->pgt, &op->res->head, &op->res->count);
		return 0;
	}
	return alloc_page(op->pgt, pa);
}

/* Give a private page back to this operation (zeroed for reuse). */
static void return_page(struct op *op, uint64_t pa)
{
	tdp_zero(page_ptr(op->pgt, pa), op->fmt->table_size);
	list_push(op->pgt, &op->stack_head, &op->stack_count, pa);
}

/* --- TLB invalidation and freeing ---------------------------------------- */

/* Free a subtree nobody can reach any more (unlinked and flushed). */
static void free_tree(struct op *op, uint64_t pa, int level)
{
	const struct tdp_format *fmt = op->fmt;
	const struct tdp_mm_ops *m = op->pgt->mm.ops;
	uint64_t bytes = tdp_table_bytes(fmt, level);
	uint8_t *mem = tdp_pgt_p2v(op->pgt, pa, bytes);
	uint64_t i, n = 1ull << fmt->lvl[level].index_bits;

	if (!mem)
		return;
	for (i = 0; level > 0 && i < n; i++) {
		uint64_t raw = tdp_entry_load(fmt, mem + i * fmt->entry_size);

		if (tdp_classify(fmt, level, raw) == TDP_ENTRY_TABLE)
			free_tree(op, tdp_table_pa(fmt, level, raw), level - 1);
	}
	if (op->shared && m->free_table_deferred)
		m->free_table_deferred(op->pgt->mm.ctx, pa, bytes);
	else
		m->free_table(op->pgt->mm.ctx, pa, bytes);
}

static void free_batch(struct op *op)
{
	unsigned int i;

	/* Hardware may cache the tables until the flush: flush first. */
	tdp_tlb_flush(op->pgt, &op->tlb);
	for (i = 0; i < op->n_freed; i++)
		free_tree(op, op->freed[i].pa, op->freed[i].level);
	op->n_freed = 0;
}

/*
 * Queue the unlinked subtree whose top table (at @level) is at @pa. Every
 * table this engine unlinks comes here, so this is where map cursors learn
 * that a table they may hold is gone.
 */
static void defer_free(struct op *op, uint64_t pa, int level)
{
	tdp_map_cursors_invalidate(op->pgt);
	if (op->n_freed == FREED_BATCH)
		free_batch(op);
	op->freed[op->n_freed].pa = pa;
	op->freed[op->n_freed].level = level;
	op->n_freed++;
}

/* Give a private subtree's pages back to the operation (a lost race). */
static void return_subtree(struct op *op, uint64_t pa, int level)
{
	const struct tdp_format *fmt = op->fmt;
	uint8_t *mem = (uint8_t *)page_ptr(op->pgt, pa);
	uint64_t i, n = 1ull << fmt->lvl[level].index_bits;

	for (i = 0; level > 0 && i < n; i++) {
		uint64_t raw = tdp_entry_load(fmt, mem + i * fmt->entry_size);

		if (tdp_classify(fmt, level, raw) == TDP_ENTRY_TABLE)
			return_subtree(op, tdp_table_pa(fmt, level, raw),
				       level - 1);
	}
	return_page(op, pa);
}

/* --- entries -------------------------------------------------------------- */

static uint64_t leaf_set_pa(const struct tdp_format *fmt, int level,
			    uint64_t tmpl, uint64_t pa)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];

	return tmpl | (pa & d->leaf_addr_mask) |
	       (((pa >> d->leaf_hi_dst) & d->leaf_hi_mask) << d->leaf_hi_src);
}

/* The leaf template (no address) one level below a block, same attributes. */
static uint64_t split_template(const struct tdp_format *fmt, int level,
			       uint64_t block)
{
	return fmt->ops->split_leaf(fmt, level, block);
}

static bool cmpxchg_entry(const struct tdp_format *fmt, void *p,
			  uint64_t old, uint64_t new)
{
	if (fmt->entry_size == 4) {
		uint32_t o = (uint32_t)old;

		return __atomic_compare_exchange_n((uint32_t *)p, &o,
						   (uint32_t)new, false,
						   __ATOMIC_ACQ_REL,
						   __ATOMIC_RELAXED);
	}
	return __atomic_compare_exchange_n((uint64_t *)p, &old, new, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/*
 * Note a changed live entry for the TLB flush. A table entry removed because
 * the range emptied or covered its subtree only held translations inside
 * the range, so the flush is clipped to the range rather than covering the
 * entry's whole span (up to 512 GiB for a PML4 entry).
 */
static void note_change(struct op *op, uint64_t ia, int level,
			enum tdp_entry_kind kind, uint64_t new)
{
	uint64_t span = 1ull << op->fmt->lvl[level].shift;
	uint64_t lo = ia, hi = ia + span - 1;

	if (kind == TDP_ENTRY_TABLE && !new) {
		lo = lo > op->first ? lo : op->first;
		hi = hi < op->last ? hi : op->last;
	}
	tdp_tlb_note(&op->tlb, lo, level, hi - lo + 1,
		     kind == TDP_ENTRY_TABLE);
}

/*
 * Whether replacing the live entry @old (of @kind) by @new needs
 * break-before-make: the architecture forbids two valid translations for
 * one address at once, except when only the exempt bits of a leaf change
 * (a pure permission change, say).
 */
static bool needs_bbm(const struct tdp_format *fmt, int level, uint64_t old,
		      enum tdp_entry_kind kind, uint64_t new)
{
	return kind != TDP_ENTRY_INVALID && fmt->needs_bbm &&
	       tdp_entry_present(&fmt->lvl[level], new) &&
	       !(kind == TDP_ENTRY_LEAF &&
		 tdp_classify(fmt, level, new) == TDP_ENTRY_LEAF &&
		 !((old ^ new) & ~fmt->bbm_exempt));
}

/*
 * Replace a live entry. Returns -TDP_ERR_AGAIN when the entry changed under
 * us (another thread, or the CPU setting accessed/dirty): the caller re-reads
 * it and decides again.
 */
static int set_live_entry(struct op *op, void *p, int level, uint64_t ia,
			  uint64_t old, enum tdp_entry_kind kind, uint64_t new)
{
	const struct tdp_format *fmt = op->fmt;
	bool atomic = op->shared || (kind == TDP_ENTRY_LEAF &&
				     tdp_leaf_volatile(fmt, old));
	bool was_valid = kind != TDP_ENTRY_INVALID;

	if (needs_bbm(fmt, level, old, kind, new)) {
		/*
		 * Break-before-make: the architecture forbids two valid
		 * translations for one address at once, so invalidate, flush
		 * that entry, and only then install the new one. In shared
		 * mode the break writes the format's lock value, so that no
		 * other writer takes the entry before our make (op_entry()
		 * waits on it).
		 */
		uint64_t brk = op->shared ? fmt->ops->bbm_lock : 0;

		if (atomic && !cmpxchg_entry(fmt, p, old, brk))
			return -TDP_ERR_AGAIN;
		if (!atomic)
			tdp_entry_store(fmt, p, brk);
		tdp_tlb_flush_one(op->pgt, ia, level, kind == TDP_ENTRY_TABLE);
		tdp_entry_store(fmt, p, new);
		return 0;
	}
	if (atomic) {
		if (!cmpxchg_entry(fmt, p, old, new))
			return -TDP_ERR_AGAIN;
	} else {
		tdp_entry_store(fmt, p, new);
	}
	if (was_valid)
		note_change(op, ia, level, kind, new);
	return 0;
}

static int set_entry(struct op *op, const struct vtab *vt, uint64_t i,
		     int level, uint64_t ia, bool live, uint64_t old,
		     enum tdp_entry_kind kind, uint64_t new)
{
	void *p = vt->mem + i * op->fmt->entry_size;

	if (!live) {
		tdp_entry_store(op->fmt, p, new);
		return 0;
	}
	return set_live_entry(op, p, level, ia, old, kind, new);
}

static uint64_t vt_read(const struct op *op, const struct vtab *vt,
			int level, uint64_t i)
{
	const struct tdp_format *fmt = op->fmt;

	if (vt->mem)
		return tdp_entry_load(fmt, vt->mem + i * fmt->entry_size);
	if (!vt->split_tmpl)
		return 0;
	return leaf_set_pa(fmt, level, vt->split_tmpl,
			   vt->split_pa + (i << fmt->lvl[level].shift));
}

/* True if any entry below the table at @pa (level @level) is valid. */
static bool subtree_has_valid(const struct op *op, uint64_t pa, int level)
{
	const struct tdp_format *fmt = op->fmt;
	uint8_t *mem = tdp_pgt_p2v(op->pgt, pa, tdp_table_bytes(fmt, level));
	uint64_t i, n = 1ull << fmt->lvl[level].index_bits;

	if (!mem)
		return true; /* cannot see inside: treat as in use */
	for (i = 0; i < n; i++) {
		uint64_t raw = tdp_entry_load(fmt, mem + i * fmt->entry_size);
		enum tdp_entry_kind k = tdp_classify(fmt, level, raw);

		if (k == TDP_ENTRY_INVALID)
			continue;
		if (k != TDP_ENTRY_TABLE ||
		    subtree_has_valid(op, tdp_table_pa(fmt, level, raw),
				      level - 1))
			return true;
	}
	return false;
}

static uint64_t count_valid(const struct op *op, const uint8_t *mem,
			    int level)
{
	const struct tdp_format *fmt = op->fmt;
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t i, n = 1ull << d->index_bits, valid = 0;

	for (i = 0; i < n; i++)
		valid += tdp_entry_present(
			d, tdp_entry_load(fmt, mem + i * fmt->entry_size));
	return valid;
}

/* True if every valid entry of the table at @level (mapping from @ia_base)
 * lies wholly inside the operation's range. */
static bool only_inside(const struct op *op, const uint8_t *mem, int level,
			uint64_t ia_base)
{
	const struct tdp_format *fmt = op->fmt;
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t i, n = 1ull << d->index_bits, span = 1ull << d->shift;

	for (i = 0; i < n; i++) {
		uint64_t ia = ia_base + i * span;
		uint64_t raw = tdp_entry_load(fmt, mem + i * fmt->entry_size);

		if (tdp_entry_present(d, raw) &&
		    (ia < op->first || ia + span - 1 > op->last))
			return false;
	}
	return true;
}

/* The bits of a leaf that hold its output address. */
static uint64_t leaf_addr_bits(const struct tdp_level_desc *d)
{
	return d->leaf_addr_mask | (d->leaf_hi_mask << d->leaf_hi_src);
}

static int protect_leaf(struct op *op, int level, uint64_t raw,
			uint64_t *new)
{
	const struct tdp_format *fmt = op->fmt;
	uint64_t addr = leaf_addr_bits(&fmt->lvl[level]);
	uint32_t perms;
	int ret;

	/* Leaves of a range mostly share their attributes: reuse the last
	 * result when only the address differs. */
	if ((op->memo_valid & (1u << level)) &&
	    (raw & ~addr) == op->memo_key[level]) {
		*new = op->memo_val[level] | (raw & addr);
		return 0;
	}
	perms = fmt->ops->entry_perms(fmt, level, raw, true);
	ret = fmt->ops->set_leaf_perms(fmt, level, raw,
				       (perms | op->set) & ~op->clear, new);
	if (!ret) {
		op->memo_valid |= 1u << level;
		op->memo_key[level] = raw & ~addr;
		op->memo_val[level] = *new & ~addr;
	}
	return ret;
}

/* --- the recursive engine ------------------------------------------------- */

static int op_table(struct op *op, const struct vtab *vt, int level,
		    uint64_t ia_base, bool live, uint64_t *valid_left);

/*
 * Replace the entry at @i by a new table: empty, or (@kind LEAF) holding
 * the block's pieces. The table is filled and operated on while private,
 * then linked.
 */
static int descend_new(struct op *op, const struct vtab *vt, uint64_t i,
		       int level, uint64_t ia, bool live, uint64_t old,
		       enum tdp_entry_kind kind)
{
	const struct tdp_format *fmt = op->fmt;
	struct vtab child = { 0 };
	uint64_t tmpl = 0, j, n, span;
	int ret;

	if (kind == TDP_ENTRY_LEAF) {
		child.split_pa = tdp_leaf_pa(fmt, level, old);
		/* A 32-bit paging 4 MiB page above 4 GiB has no 4 KiB form. */
		if (!tdp_leaf_pa_fits(fmt, level - 1,
				      child.split_pa + tdp_low_mask(
							       fmt->lvl[level].shift)))
			return -TDP_ERR_NOTSUP;
		tmpl = split_template(fmt, level, old);
		child.split_tmpl = tmpl;
	}
	if (op->dry) {
		op->need++;
		return op_table(op, &child, level - 1, ia, false, NULL);
	}
	ret = take_page(op, &child.pa);
	if (ret)
		return ret;
	child.mem = (uint8_t *)page_ptr(op->pgt, child.pa);
	if (kind == TDP_ENTRY_LEAF) {
		span = 1ull << fmt->lvl[level - 1].shift;
		n = 1ull << fmt->lvl[level - 1].index_bits;
		for (j = 0; j < n; j++)
			tdp_entry_store(fmt, child.mem + j * fmt->entry_size,
					leaf_set_pa(fmt, level - 1, tmpl,
						    child.split_pa + j * span));
		child.split_tmpl = 0;
	}
	ret = op_table(op, &child, level - 1, ia, false, NULL);
	if (!ret)
		ret = set_entry(op, vt, i, level, ia, live, old, kind,
				fmt->ops->make_table(fmt, level, child.pa));
	if (ret)
		return_subtree(op, child.pa, level - 1);
	return ret;
}

static int op_map_entry(struct op *op, const struct vtab *vt, uint64_t i,
			int level, uint64_t ia, bool live, bool full,
			uint64_t old, enum tdp_entry_kind kind,
			const struct vtab *child)
{
	const struct tdp_format *fmt = op->fmt;
	uint64_t new;
	int ret;

	/*
	 * In shared mode a map never unlinks a table to put a block in its
	 * place: another thread may have read our entry before the swap and
	 * be installing into that table now; its mapping would vanish with
	 * the table, and the page table it links there would leak. It maps
	 * inside the table instead, with smaller leaves, which an exclusive
	 * map or unmap may merge later. A shared unmap keeps the tables it
	 * covers in part for the same reason; KVM unlinks tables only under
	 * its write lock.
	 */
	if (full && (op->leaf_ok & (1u << level)) &&
	    !(kind == TDP_ENTRY_TABLE && op->shared)) {
		if (kind == TDP_ENTRY_TABLE && !op->replace &&
		    subtree_has_valid(op, child->pa, level - 1))
			return -TDP_ERR_EXIST;
		if (kind != TDP_ENTRY_TABLE && kind != TDP_ENTRY_INVALID &&
		    !op->replace)
			return kind == TDP_ENTRY_LEAF ? -TDP_ERR_EXIST
						      : -TDP_ERR_BADTABLE;
		new = leaf_set_pa(fmt, level, op->leaf_tmpl[level],
				  ia + op->delta);
		if (op->dry || new == old)
			return 0;
		ret = set_entry(op, vt, i, level, ia, live, old, kind, new);
		if (!ret && kind == TDP_ENTRY_TABLE)
			defer_free(op, child->pa, level - 1);
		return ret;
	}
	/* A page no leaf of this format can point at (see tdp_map). */
	if (level == 0)
		return -TDP_ERR_RANGE;
	switch (kind) {
	case TDP_ENTRY_TABLE:
		return op_table(op, child, level - 1, ia, live, NULL);
	case TDP_ENTRY_INVALID:
		return descend_new(op, vt, i, level, ia, live, old, kind);
	case TDP_ENTRY_LEAF:
		if (!op->replace)
			return -TDP_ERR_EXIST;
		return descend_new(op, vt, i, level, ia, live, old, kind);
	default:
		return -TDP_ERR_BADTABLE;
	}
}

static int op_unmap_entry(struct op *op, const struct vtab *vt, uint64_t i,
			  int level, uint64_t ia, bool live, bool full,
			  uint64_t old, enum tdp_entry_kind kind,
			  const struct vtab *child)
{
	uint64_t left = 1;
	int ret;

	if (kind == TDP_ENTRY_INVALID)
		return 0;
	if (full) {
		if (op->dry)
			return 0;
		ret = set_entry(op, vt, i, level, ia, live, old, kind, 0);
		if (!ret && kind == TDP_ENTRY_TABLE)
			defer_free(op, child->pa, level - 1);
		return ret;
	}
	switch (kind) {
	case TDP_ENTRY_TABLE:
		/*
		 * A table the range does not cover whole stays in shared
		 * mode, even when it is (or becomes) empty: between our look
		 * at its entries and the unlinking of it, another thread may
		 * install an entry outside our range into it, and that
		 * mapping would be lost with the table. An exclusive unmap
		 * over it frees it later (KVM, likewise, reclaims tables
		 * only under its write lock).
		 */
		if (op->shared)
			return op_table(op, child, level - 1, ia, live, NULL);
		/*
		 * Everything the table maps lies inside the range: unlink it
		 * whole instead of clearing its entries one by one.
		 */
		if (!op->dry && only_inside(op, child->mem, level - 1, ia)) {
			ret = set_entry(op, vt, i, level, ia, live, old, kind,
					0);
			if (!ret)
				defer_free(op, child->pa, level - 1);
			return ret;
		}
		ret = op_table(op, child, level - 1, ia, live, &left);
		if (ret || op->dry || left)
			return ret;
		/* The range emptied the table: unlink and free it. */
		ret = set_entry(op, vt, i, level, ia, live, old, kind, 0);
		if (!ret)
			defer_free(op, child->pa, level - 1);
		return ret;
	case TDP_ENTRY_LEAF:
		return descend_new(op, vt, i, level, ia, live, old, kind);
	default:
		return -TDP_ERR_BADTABLE;
	}
}

static int op_protect_entry(struct op *op, const struct vtab *vt, uint64_t i,
			    int level, uint64_t ia, bool live, bool full,
			    uint64_t old, enum tdp_entry_kind kind,
			    const struct vtab *child)
{
	uint64_t new;
	int ret;

	switch (kind) {
	case TDP_ENTRY_INVALID:
		return 0;
	case TDP_ENTRY_TABLE:
		return op_table(op, child, level - 1, ia, live, NULL);
	case TDP_ENTRY_LEAF:
		if (!full)
			return descend_new(op, vt, i, level, ia, live, old,
					   kind);
		ret = protect_leaf(op, level, old, &new);
		if (ret || op->dry || new == old)
			return ret;
		return set_entry(op, vt, i, level, ia, live, old, kind, new);
	default:
		return -TDP_ERR_BADTABLE;
	}
}

static int op_entry(struct op *op, const struct vtab *vt, uint64_t i,
		    int level, uint64_t ia, bool live)
{
	const struct tdp_format *fmt = op->fmt;
	uint64_t span = 1ull << fmt->lvl[level].shift;
	bool full = ia >= op->first && ia + span - 1 <= op->last;
	struct vtab child = { 0 };
	enum tdp_entry_kind kind;
	uint64_t old;
	int ret;

	do {
		old = vt_read(op, vt, level, i);
		/*
		 * Another shared-mode writer is between the break and the make
		 * of this entry: wait for the make, then decide.
		 */
		if (op->shared && old && old == fmt->ops->bbm_lock) {
			ret = -TDP_ERR_AGAIN;
			continue;
		}
		kind = tdp_classify(fmt, level, old);
		if (kind == TDP_ENTRY_TABLE) {
			child.mem = tdp_child_table(op->pgt, level, old,
						    &child.pa);
			if (!child.mem)
				kind = TDP_ENTRY_BAD_POINTER;
		}
		switch (op->kind) {
		case OP_MAP:
			ret = op_map_entry(op, vt, i, level, ia, live, full,
					   old, kind, &child);
			break;
		case OP_UNMAP:
			ret = op_unmap_entry(op, vt, i, level, ia, live, full,
					     old, kind, &child);
			break;
		default:
			ret = op_protect_entry(op, vt, i, level, ia, live,
					       full, old, kind, &child);
			break;
		}
	} while (ret == -TDP_ERR_AGAIN);
	return ret;
}

/* Whether entry @i of the table at @level mapping from @ia_base lies wholly
 * inside the range. */
static bool entry_in_range(const struct op *op, int level, uint64_t ia_base,
			   uint64_t i)
{
	unsigned int shift = op->fmt->lvl[level].shift;
	uint64_t ia = ia_base + (i << shift);

	return ia >= op->first && ia + tdp_low_mask(shift) <= op->last;
}

/* What protect_scan() does with a leaf that matches the memo. */
enum memo_use {
	MEMO_NONE,  /* no memo, or a match would not decide the entry */
	MEMO_SKIP,  /* nothing to do: the dry pass, or an unchanged leaf */
	MEMO_STORE, /* a plain store of the memo's value */
	MEMO_SLOW,  /* the general path: an atomic store or break-before-make */
};

/*
 * How protect_scan() may treat the leaves at @level whose bits other than
 * the address equal the memo's key (returned in @key, the new bits in
 * @val). A match decides everything the general path would
 * (classification, the new value and whether it can be expressed, and
 * set_live_entry()'s store rule) only when none of the bits those look at
 * (the masks below, and the low six bits for fmt->bad_low6) is an address
 * bit. No format mixes them, but the engine checks rather than assumes it.
 */
static enum memo_use protect_memo_use(const struct op *op, int level,
				      bool live, uint64_t *key, uint64_t *val)
{
	const struct tdp_format *fmt = op->fmt;
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t decided_by = d->present_any | d->present_all | d->leaf_mask |
			      d->leaf_value | d->leaf_rsvd | 63 |
			      fmt->accessed_mask | fmt->dirty_mask |
			      fmt->dirty_requires;

	*key = op->memo_key[level];
	*val = op->memo_val[level];
	if (!(op->memo_valid & (1u << level)) ||
	    (decided_by & leaf_addr_bits(d)))
		return MEMO_NONE;
	if (op->dry || *val == *key)
		return MEMO_SKIP;
	if (!live)
		return MEMO_STORE;
	if (op->shared || tdp_leaf_volatile(fmt, *key) ||
	    needs_bbm(fmt, level, *key, TDP_ENTRY_LEAF, *val))
		return MEMO_SLOW;
	return MEMO_STORE;
}

/* Note the live leaves [@first, @last] of a table, @n of them changed. */
static void note_leaves(struct op *op, int level, uint64_t ia_base,
			uint64_t first, uint64_t last, uint64_t n)
{
	unsigned int shift = op->fmt->lvl[level].shift;

	tdp_tlb_note_run(&op->tlb, ia_base + (first << shift),
			 ia_base + ((last + 1) << shift) - 1, level, n);
}

/*
 * The loops of protect_scan() over leaves matching the memo, for entries
 * of @esz bytes: the callers pass a constant, so each loop is compiled
 * for its entry size without a test per entry.
 */
static inline uint64_t load_sz(unsigned int esz, const uint8_t *p)
{
	if (esz == 4)
		return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}

static inline void store_sz(unsigned int esz, uint8_t *p, uint64_t val)
{
	if (esz == 4)
		__atomic_store_n((uint32_t *)p, (uint32_t)val,
				 __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint64_t *)p, val, __ATOMIC_RELEASE);
}

/* The first index from @i on (below @end) whose entry does not match. */
static inline uint64_t skip_matching(unsigned int esz, const uint8_t *mem,
				     uint64_t i, uint64_t end,
				     uint64_t addr, uint64_t key)
{
	for (; i < end && (load_sz(esz, mem + i * esz) & ~addr) == key; i++)
		;
	return i;
}

/* Rewrite matching entries from @i on; returns the first that does not. */
static inline uint64_t store_matching(unsigned int esz, uint8_t *mem,
				      uint64_t i, uint64_t end,
				      uint64_t addr, uint64_t key,
				      uint64_t val)
{
	uint64_t raw;

	for (; i < end; i++) {
		raw = load_sz(esz, mem + i * esz);
		if ((raw & ~addr) != key)
			break;
		store_sz(esz, mem + i * esz, val | (raw & addr));
	}
	return i;
}

/* Protect's scan over one real table (protect_scan()). */
struct pscan {
	uint64_t lo, hi; /* the entries wholly inside the range: [lo, hi) */
	uint64_t run, run_first, run_last; /* leaves rewritten, not noted */
};

static void pscan_init(const struct op *op, int level, uint64_t ia_base,
		       uint64_t first, uint64_t last, struct pscan *ps)
{
	/* Only the two end entries can be blocks the range cuts. */
	ps->lo = first + !entry_in_range(op, level, ia_base, first);
	ps->hi = last + 1;
	if (ps->lo < ps->hi && !entry_in_range(op, level, ia_base, last))
		ps->hi--;
	ps->run = ps->run_first = ps->run_last = 0;
}

/*
 * Protect over the entries [@i, @last] of a real table, in both passes,
 * up to the first entry the general path (op_entry()) must take; returns
 * its index, or @last + 1. A range's leaves mostly share their attributes,
 * so most match the memo and are decided here in a tight loop: skipped
 * (the dry pass, or no change) or rewritten with one plain store, the TLB
 * batch hearing once of each run of rewritten leaves. Invalid entries,
 * which protect leaves alone, are passed over. The general path checks,
 * splits, descends, stores atomically or breaks before making; the memo
 * it leaves behind is picked up when the scan resumes.
 */
static uint64_t protect_scan(struct op *op, const struct vtab *vt, int level,
			     uint64_t ia_base, bool live, uint64_t i,
			     uint64_t last, struct pscan *ps)
{
	const struct tdp_format *fmt = op->fmt;
	const struct tdp_level_desc *d = &fmt->lvl[level];
	const uint64_t addr = leaf_addr_bits(d);
	const unsigned int esz = fmt->entry_size;
	uint64_t stop = i, key, val;
	enum memo_use use = protect_memo_use(op, level, live, &key, &val);
	bool in;

	for (; i <= last; i = stop + 1) {
		stop = i;
		in = i >= ps->lo && i < ps->hi;
		if (in && use == MEMO_SKIP)
			stop = esz == 4 ? skip_matching(4, vt->mem, i, ps->hi,
							addr, key)
					: skip_matching(8, vt->mem, i, ps->hi,
							addr, key);
		if (in && use == MEMO_STORE) {
			stop = esz == 4 ? store_matching(4, vt->mem, i, ps->hi,
							 addr, key, val)
					: store_matching(8, vt->mem, i, ps->hi,
							 addr, key, val);
			if (stop > i && !ps->run)
				ps->run_first = i;
			if (stop > i)
				ps->run_last = stop - 1;
			ps->run += stop - i;
		}
		if (stop > last ||
		    tdp_entry_present(d, load_sz(esz, vt->mem + stop * esz)))
			break;
	}
	/* Noted before the general path runs: it may flush the batch. */
	if (ps->run && live)
		note_leaves(op, level, ia_base, ps->run_first, ps->run_last,
			    ps->run);
	ps->run = 0;
	return i > last ? last + 1 : stop;
}

static int op_table(struct op *op, const struct vtab *vt, int level,
		    uint64_t ia_base, bool live, uint64_t *valid_left)
{
	const struct tdp_level_desc *d = &op->fmt->lvl[level];
	uint64_t first, last, i, next;
	struct pscan ps = { 0 };
	bool scan;
	int ret;

	/*
	 * A new, empty page-level table needs no pages and cannot fail,
	 * unless a map's leaves cannot sit at level 0 (an output address
	 * beyond what a page entry holds): then its entries report that.
	 */
	if (op->dry && !vt->mem && !vt->split_tmpl && level == 0 &&
	    (op->kind != OP_MAP || (op->leaf_ok & 1u)))
		return 0;
	tdp_index_span(d, ia_base, op->first, op->last, &first, &last);
	/*
	 * Leaves into a private page-level table (new, or a split block's
	 * pieces, which a map may only replace): nobody else can see it, so
	 * a plain store loop does, as fast as memory allows.
	 */
	if (op->kind == OP_MAP && !op->dry && !live && vt->mem && level == 0 &&
	    (op->leaf_ok & 1u)) {
		uint64_t tmpl = op->leaf_tmpl[0], out = ia_base + op->delta;

		for (i = first; i <= last; i++)
			tdp_entry_store(op->fmt, vt->mem + i * op->fmt->entry_size,
					leaf_set_pa(op->fmt, 0, tmpl,
						    out + (i << d->shift)));
		return 0;
	}
	/* Protect decides most entries of a real table without op_entry(). */
	scan = op->kind == OP_PROTECT && vt->mem;
	if (scan)
		pscan_init(op, level, ia_base, first, last, &ps);
	for (i = first; i <= last; i = next + 1) {
		next = scan ? protect_scan(op, vt, level, ia_base, live, i,
					   last, &ps)
			    : i;
		if (next > last)
			break;
		ret = op_entry(op, vt, next, level,
			       ia_base + (next << d->shift), live);
		if (ret)
			return ret;
	}
	if (valid_left && vt->mem && !op->dry)
		*valid_left = count_valid(op, vt->mem, level);
	return 0;
}

static int op_pass(struct op *op)
{
	const struct vtab root = { .mem = op->pgt->root, .pa = op->pgt->root_pa };

	return op_table(op, &root, tdp_root_level(op->fmt), 0, true, NULL);
}

/* Return the operation's unused pages to the reservation or backend. */
static void op_release_pages(struct op *op)
{
	for (; op->stack_count;) {
		uint64_t pa = list_pop(op->pgt, &op->stack_head,
				       &op->stack_count);

		if (op->res)
			list_push(op->pgt, &op->res->head, &op->res->count,
				  pa);
		else
			op->pgt->mm.ops->free_table(op->pgt->mm.ctx, pa,
						    op->fmt->table_size);
	}
}

static int op_run(struct op *op)
{
	uint64_t have, pa;
	int ret;

	/*
	 * The dry pass finds every error before anything changes. In shared
	 * mode other threads may change the tables after it, so its page count
	 * is only a hint and pages are allocated as needed.
	 */
	op->dry = true;
	ret = op_pass(op);
	if (ret)
		return ret;
	op->dry = false;
	if (!op->shared) {
		have = op->res ? op->res->count : 0;
		for (; op->stack_count + have < op->need;) {
			ret = alloc_page(op->pgt, &pa);
			if (ret) {
				op_release_pages(op);
				return ret;
			}
			list_push(op->pgt, &op->stack_head, &op->stack_count,
				  pa);
		}
	}
	ret = op_pass(op);
	free_batch(op);
	op_release_pages(op);
	return ret;
}

static int op_init(struct op *op, struct tdp_pgt *pgt, int kind,
		   uint64_t addr, uint64_t size, uint32_t flags,
		   struct tdp_reserve *res)
{
	const struct tdp_format *fmt;
	uint64_t page;

	if (!mm_can_alloc(pgt) || (flags & ~OP_FLAGS_ALL) || !size)
		return -TDP_ERR_INVAL;
	fmt = &pgt->fmt;
	page = 1ull << fmt->lvl[0].shift;
	if ((addr | size) & (page - 1))
		return -TDP_ERR_ALIGN;
	/* Field by field: freed[] (1 KiB) needs no zeroing. */
	op->pgt = pgt;
	op->fmt = fmt;
	op->kind = kind;
	op->replace = flags & TDP_OP_REPLACE;
	op->shared = flags & TDP_OP_SHARED;
	op->dry = false;
	op->delta = 0;
	op->leaf_ok = 0;
	op->set = op->clear = 0;
	op->need = 0;
	op->stack_head = op->stack_count = 0;
	op->res = res;
	op->tlb = (struct tdp_tlb_batch){ 0 };
	op->n_freed = 0;
	op->memo_valid = 0;
	return tdp_range_to_ia(fmt, addr, size, &op->first, &op->last);
}

/*
 * The fault pattern: one smallest page where every table exists and the
 * entry is invalid. A hypervisor maps on every stage-2 fault, mostly next
 * to the previous fault, so the page-level table of the last call is
 * cached with the path to it (the walk cache in struct tdp_pgt): a hit
 * costs a few loads instead of a walk. Anything else (a missing table, an
 * existing entry, an error) takes the general path, which reports it.
 */

/*
 * Whether two attribute sets are the same. struct tdp_attrs has no padding,
 * so comparing bytes compares fields; compilers expand the fixed-size
 * comparison inline.
 */
static inline bool attrs_equal(const struct tdp_attrs *a,
			       const struct tdp_attrs *b)
{
	_Static_assert(sizeof(*a) == 5 * sizeof(uint32_t),
		       "struct tdp_attrs has padding");
	return !__builtin_memcmp(a, b, sizeof(*a));
}

/*
 * Whether the path to the cached page-level table is still the path.
 * Nothing tells the cache when a table is unlinked (by this library, or by
 * a caller writing entries itself), so it keeps every entry on the path
 * with the value it had: the path is unchanged exactly when they all still
 * hold it. They are compared from the root down, so an entry is only read
 * once the entry above proved its table still linked (a freed table is
 * never read). The path ends at the last slot of wc_entry[] (see
 * wc_fill()), so that the unrolled comparison below has constant slots.
 *
 * Relaxed loads: only the values are compared (exclusive mode has no other
 * writer whose table contents we would need to see).
 */
#define WC_SLOT(depth_left) (TDP_MAX_LEVELS - (depth_left))
#define WC_SAME(type, n)                                                      \
	(__atomic_load_n((const type *)pgt->wc_entry[WC_SLOT(n)],             \
			 __ATOMIC_RELAXED) == pgt->wc_value[WC_SLOT(n)])

static inline __attribute__((always_inline)) bool
wc_path_intact(const struct tdp_pgt *pgt)
{
	_Static_assert(TDP_MAX_LEVELS == 6, "unrolled for 5 table levels");
	if (pgt->fmt.entry_size == 4) {
		int i;

		for (i = WC_SLOT(pgt->wc_depth); i < TDP_MAX_LEVELS; i++)
			if (__atomic_load_n((const uint32_t *)pgt->wc_entry[i],
					    __ATOMIC_RELAXED) !=
			    pgt->wc_value[i])
				return false;
		return true;
	}
	switch (pgt->wc_depth) {
	case 5:
		if (!WC_SAME(uint64_t, 5))
			return false;
		/* fallthrough */
	case 4:
		if (!WC_SAME(uint64_t, 4))
			return false;
		/* fallthrough */
	case 3:
		if (!WC_SAME(uint64_t, 3))
			return false;
		/* fallthrough */
	case 2:
		if (!WC_SAME(uint64_t, 2))
			return false;
		/* fallthrough */
	case 1:
		return WC_SAME(uint64_t, 1);
	default:
		return false;
	}
}

/* The cache's constants, from the format (once per table). */
static void wc_setup(struct tdp_pgt *pgt)
{
	const struct tdp_format *fmt = &pgt->fmt;
	const struct tdp_level_desc *d0 = &fmt->lvl[0];
	uint64_t reach = ~0ull;

	/* One mask for alignment, pa_bits and what a page leaf can hold. */
	if (d0->leaf_addr_mask)
		reach = d0->leaf_addr_mask | tdp_low_mask(d0->shift) |
			(d0->leaf_hi_mask << d0->leaf_hi_dst);
	pgt->wc_pa_bad = ~reach | ~tdp_low_mask(fmt->pa_bits) |
			 tdp_low_mask(d0->shift);
	pgt->wc_page = 1ull << d0->shift;
	/* A page-aligned offset into the table, shifted by this, is the
	 * entry's byte offset. */
	pgt->wc_entry_shift =
		(uint8_t)(d0->shift - (fmt->entry_size == 4 ? 2 : 3));
	/*
	 * The common case stores template | address into an entry that is 0
	 * (invalid in every format, but checked): 8-byte entries whose page
	 * leaves keep the whole address in place.
	 */
	pgt->wc_plain = fmt->entry_size == 8 && !d0->leaf_hi_mask &&
			!tdp_entry_present(d0, 0);
}

/*
 * A page for a new table on the fault path: from the caller's reservation
 * first, then from the backend, as the general path takes them.
 */
static int fault_take_page(struct tdp_pgt *pgt, struct tdp_reserve *res,
			   uint64_t *pa)
{
	if (res && res->count) {
		*pa = list_pop(pgt, &res->head, &res->count);
		return 0;
	}
	return alloc_page(pgt, pa);
}

/*
 * Give back the first @n pages of @pa, taken in that order by
 * fault_take_page(): the first @from_res went back onto the reservation,
 * in reverse, so that it is exactly as it was.
 */
static void fault_give_back(struct tdp_pgt *pgt, struct tdp_reserve *res,
			    const uint64_t *pa, int n, int from_res)
{
	int i;

	for (i = n - 1; i >= from_res; i--)
		pgt->mm.ops->free_table(pgt->mm.ctx, pa[i],
					pgt->fmt.table_size);
	for (; i >= 0; i--)
		list_push(pgt, &res->head, &res->count, pa[i]);
}

/*
 * Link the @level missing tables below the invalid entry @p (at @level)
 * that lead to the page-level table of @ia: the fault that opens a new
 * table. Every page is taken before anything changes, so a failure changes
 * nothing; the tables are linked to each other while still private and
 * published by one store into @p. Invalid to valid needs neither a TLB
 * invalidation nor break-before-make.
 */
static int wc_grow(struct tdp_pgt *pgt, uint8_t *p, int level, uint64_t ia,
		   struct tdp_reserve *res)
{
	const struct tdp_format *fmt = &pgt->fmt;
	const struct tdp_format_ops *ops = fmt->ops;
	uint64_t pa[TDP_MAX_LEVELS];
	int i, from_res = 0, ret;

	for (i = 0; i < level; i++) {
		bool reserved = res && res->count;

		ret = fault_take_page(pgt, res, &pa[i]);
		if (ret) {
			fault_give_back(pgt, res, pa, i, from_res);
			return ret;
		}
		from_res += reserved;
	}
	/* pa[i] is the new table of level level - 1 - i. */
	for (i = 1; i < level; i++) {
		uint8_t *t = (uint8_t *)page_ptr(pgt, pa[i - 1]);

		tdp_entry_store(fmt,
				t + tdp_index(fmt, level - i, ia) *
					    fmt->entry_size,
				ops->make_table(fmt, level - i, pa[i]));
	}
	tdp_entry_store(fmt, p, ops->make_table(fmt, level, pa[0]));
	return 0;
}

/*
 * The child table of the entry @raw (described by @d) when it passes the
 * format's fast table test and lies in the backend's linear window, as in
 * a lookup; NULL when only the full rules can say. Plain formats only
 * (fmt->fast_plain: the table address is raw & table_addr_mask).
 */
static inline uint8_t *fast_child(const struct tdp_pgt *pgt,
				  const struct tdp_level_desc *d, uint64_t raw)
{
	uint64_t child = raw & d->table_addr_mask;

	if (!tdp_fast_table(d, raw) ||
	    child - pgt->window_pa >= pgt->window_table_avail)
		return NULL;
	return pgt->window_va + (child - pgt->window_pa);
}

/*
 * Walk to the page-level table of @ia and cache the path, creating the
 * tables that are missing on the way. 1: cached; 0: an entry on the way is
 * neither a table nor invalid, for the general path to decide; an error
 * (allocation) with nothing changed.
 */
static int wc_fill(struct tdp_pgt *pgt, uint64_t ia, struct tdp_reserve *res)
{
	const struct tdp_format *fmt = &pgt->fmt;
	const unsigned int es = fmt->entry_size;
	const int depth = tdp_root_level(fmt);
	const bool plain = fmt->fast_plain;
	uint8_t *table = pgt->root;
	uint64_t child_pa, raw, span;
	int level, ret;

	pgt->wc_span = 0;
	for (level = depth; level > 0; level--) {
		const struct tdp_level_desc *d = &fmt->lvl[level];
		uint8_t *p = table + ((ia >> d->shift) & d->index_mask) * es;
		const int slot = WC_SLOT(level);
		uint8_t *next;

		raw = tdp_entry_load(fmt, p);
		/*
		 * Most entries pass the format's derived fast test of a table
		 * and point into the backend's window (as in a lookup); the
		 * rest take the full rules.
		 */
		next = plain ? fast_child(pgt, d, raw) : NULL;
		if (TDP_LIKELY(next)) {
			table = next;
		} else {
			switch (tdp_classify(fmt, level, raw)) {
			case TDP_ENTRY_TABLE:
				break;
			case TDP_ENTRY_INVALID:
				/* A backend that cannot allocate: the general
				 * path reports it. */
				if (!mm_can_alloc(pgt))
					return 0;
				ret = wc_grow(pgt, p, level, ia, res);
				if (ret)
					return ret;
				raw = tdp_entry_load(fmt, p);
				break;
			default:
				return 0;
			}
			table = tdp_child_table(pgt, level, raw, &child_pa);
			if (!table)
				return 0;
		}
		pgt->wc_entry[slot] = p;
		pgt->wc_value[slot] = raw;
	}
	span = pgt->wc_page << fmt->lvl[0].index_bits;
	pgt->wc_depth = depth;
	pgt->wc_table = table;
	pgt->wc_addr = tdp_ia_to_addr(fmt, ia & ~(span - 1));
	pgt->wc_span = span;
	return 1;
}

/* Store a page leaf at @p unless a valid entry is there already. */
static inline __attribute__((always_inline)) bool
install_page(const struct tdp_format *fmt, uint8_t *p, uint64_t tmpl,
	     uint64_t pa)
{
	if (tdp_entry_present(&fmt->lvl[0], tdp_entry_load(fmt, p)))
		return false;
	tdp_entry_store(fmt, p, leaf_set_pa(fmt, 0, tmpl, pa));
	return true;
}

/*
 * One page into the cached page-level table, if @addr lies in it, the path
 * to it is intact and the entry is invalid. The checks are arranged so
 * that a hit costs a few dozen instructions: the cached table's range
 * implies a valid (and canonical) input address, one mask checks the
 * output address's alignment and width, and a cached range is never
 * without a leaf template (wc_fill() runs only once one exists). Only
 * exclusive-mode maps without TDP_OP_REPLACE come here (flags: at most a
 * level cap, which a page always satisfies).
 */
static inline __attribute__((always_inline)) bool
map_one_cached(struct tdp_pgt *pgt, uint64_t addr, uint64_t size, uint64_t pa,
	       const struct tdp_attrs *attrs, uint32_t flags)
{
	uint64_t off = addr - pgt->wc_addr;
	uint8_t *p;

	if ((flags & ~(0xfu << 8)) || size != pgt->wc_page ||
	    off >= pgt->wc_span || ((off & (size - 1)) | (pa & pgt->wc_pa_bad)) ||
	    !attrs_equal(attrs, &pgt->wc_attrs) || !wc_path_intact(pgt))
		return false;
	p = pgt->wc_table + (off >> pgt->wc_entry_shift);
	if (TDP_LIKELY(pgt->wc_plain)) {
		/* Anything but 0 is for install_page() to judge. */
		if (__atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED))
			return false;
		__atomic_store_n((uint64_t *)p, pgt->wc_leaf | pa,
				 __ATOMIC_RELEASE);
		return true;
	}
	return install_page(&pgt->fmt, p, pgt->wc_leaf, pa);
}

/*
 * The cache missed: walk, creating the tables a new page needs, and
 * refill it. The path was just walked, so the rest of the cached checks
 * (and not the path comparison) will do. 1: mapped; 0: for the general
 * path; an error, with nothing changed.
 */
static int map_one_fill(struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
			uint64_t pa, const struct tdp_attrs *attrs,
			uint32_t flags, struct tdp_reserve *res)
{
	const struct tdp_format *fmt = &pgt->fmt;
	uint64_t ia, tmpl = pgt->wc_leaf;
	int ret;

	/* Shared mode never touches the cache: other threads use it too. */
	if (flags & ~(0xfu << 8))
		return 0;
	if (!pgt->wc_page)
		wc_setup(pgt);
	if (size != pgt->wc_page ||
	    ((addr | pa) & (size - 1)) || (pa & pgt->wc_pa_bad) ||
	    !tdp_addr_to_ia(fmt, addr, &ia) || fmt->levels < 2)
		return 0;
	/* The template first: tables are created only for a leaf that can
	 * be written. A template of 0 is never cached: it would read as
	 * none. */
	if (!tmpl || !attrs_equal(attrs, &pgt->wc_attrs)) {
		if (tdp_entry_encode_leaf(fmt, 0, 0, attrs, &tmpl) || !tmpl)
			return 0;
		pgt->wc_span = 0;
		pgt->wc_attrs = *attrs;
		pgt->wc_leaf = tmpl;
	}
	ret = wc_fill(pgt, ia, res);
	if (ret <= 0)
		return ret;
	return install_page(fmt,
			    pgt->wc_table +
				    tdp_index(fmt, 0, ia) * fmt->entry_size,
			    tmpl, pa);
}

/*
 * Not inlined into tdp_map(): its operation state is a kilobyte of stack
 * and many registers, which the fault pattern must not pay for.
 */
__attribute__((noinline)) static int
map_range(struct tdp_pgt *pgt, uint64_t addr, uint64_t size, uint64_t pa,
	  const struct tdp_attrs *attrs, uint32_t flags,
	  struct tdp_reserve *res)
{
	struct op op;
	unsigned int cap;
	int ret, l;

	ret = op_init(&op, pgt, OP_MAP, addr, size, flags, res);
	if (ret)
		return ret;
	if (pa & tdp_low_mask(op.fmt->lvl[0].shift))
		return -TDP_ERR_ALIGN;
	if (pa + (size - 1) < pa || (pa + (size - 1)) >> op.fmt->pa_bits)
		return -TDP_ERR_RANGE;
	op.delta = pa - op.first;
	cap = (flags >> 8) & 0xf;
	for (l = 0; l < op.fmt->levels; l++) {
		if (!(op.fmt->leaf_levels & (1u << l)) ||
		    (cap && (unsigned int)l > cap - 1) ||
		    (op.delta & tdp_low_mask(op.fmt->lvl[l].shift)) ||
		    !tdp_leaf_pa_fits(op.fmt, l, pa + (size - 1)))
			continue;
		ret = tdp_entry_encode_leaf(op.fmt, l, 0, attrs,
					    &op.leaf_tmpl[l]);
		/* A block that cannot carry the attributes: use smaller leaves. */
		if (ret == -TDP_ERR_NOTSUP && l > 0)
			continue;
		if (ret)
			return ret;
		op.leaf_ok |= 1u << l;
	}
	return op_run(&op);
}

/* Everything but a walk-cache hit: kept out of tdp_map()'s fast path. */
__attribute__((noinline)) static int
map_slow(struct tdp_pgt *pgt, uint64_t addr, uint64_t size, uint64_t pa,
	 const struct tdp_attrs *attrs, uint32_t flags, struct tdp_reserve *res)
{
	int ret;

	if (!attrs)
		return -TDP_ERR_INVAL;
	if (pgt && pgt->root) {
		ret = map_one_fill(pgt, addr, size, pa, attrs, flags, res);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	return map_range(pgt, addr, size, pa, attrs, flags, res);
}

int tdp_map(struct tdp_pgt *pgt, uint64_t addr, uint64_t size, uint64_t pa,
	    const struct tdp_attrs *attrs, uint32_t flags,
	    struct tdp_reserve *res)
{
	/* The fault pattern: the page next to the previous call's. */
	if (pgt && attrs && map_one_cached(pgt, addr, size, pa, attrs, flags))
		return 0;
	return map_slow(pgt, addr, size, pa, attrs, flags, res);
}

int tdp_map_cursor_init(struct tdp_map_cursor *cur, struct tdp_pgt *pgt,
			const struct tdp_attrs *attrs, struct tdp_reserve *res)
{
	uint64_t leaf;
	int ret;

	if (!cur)
		return -TDP_ERR_INVAL;
	/* Unusable until it succeeds: pgt NULL makes every page call fail. */
	*cur = (struct tdp_map_cursor){ .bad = ~0ull };
	if (!pgt || !pgt->root || !attrs)
		return -TDP_ERR_INVAL;
	ret = tdp_entry_encode_leaf(&pgt->fmt, 0, 0, attrs, &leaf);
	if (ret)
		return ret;
	if (!pgt->wc_page)
		wc_setup(pgt);
	cur->bad = pgt->wc_pa_bad;
	cur->leaf = leaf;
	cur->pgt = pgt;
	cur->res = res;
	cur->page = pgt->wc_page;
	cur->entry_shift = pgt->wc_entry_shift;
	cur->attrs = *attrs;
	return 0;
}

/*
 * The page-level table that maps @ia, when every entry on the way passes
 * the format's fast test of a table and every table lies in the backend's
 * linear window, as in a lookup. NULL for anything else (a table to
 * create, a block, an entry only the full rules can judge, a table reached
 * through phys_to_virt): tdp_map() decides those.
 */
static uint8_t *cursor_find_table(const struct tdp_pgt *pgt, uint64_t ia)
{
	const struct tdp_format *fmt = &pgt->fmt;
	uint8_t *table = pgt->root;
	int level;

	for (level = tdp_root_level(fmt); level > 0; level--) {
		const struct tdp_level_desc *d = &fmt->lvl[level];
		const void *p = table + ((ia >> d->shift) & d->index_mask) * 8;
		table = fast_child(pgt, d,
				   __atomic_load_n((const uint64_t *)p,
						   __ATOMIC_RELAXED));
		if (!table)
			return NULL;
	}
	return table;
}

/*
 * A cursor's miss in a table that exists, without tdp_map(): faults in a
 * random order mostly land in tables that earlier faults created, and a
 * bare walk to them costs a fraction of tdp_map()'s general checks. Only
 * for the formats whose hit is the inline store (8-byte plain entries,
 * fmt->fast_plain), with the inline hit's own rules: aligned addresses in
 * reach, and an entry that is 0. True when the page was mapped and the
 * cursor now caches its table; false leaves everything to tdp_map().
 */
static bool cursor_walk_store(struct tdp_map_cursor *cur,
			      const struct tdp_pgt *pgt, uint64_t addr,
			      uint64_t pa)
{
	const struct tdp_format *fmt = &pgt->fmt;
	const struct tdp_level_desc *d0 = &fmt->lvl[0];
	uint64_t ia, span = cur->page << d0->index_bits;
	uint8_t *table;
	uint64_t *p;

	if (!pgt->root || !pgt->wc_plain || !fmt->fast_plain ||
	    fmt->levels < 2 || (addr & (cur->page - 1)) || (pa & cur->bad) ||
	    !tdp_addr_to_ia(fmt, addr, &ia))
		return false;
	table = cursor_find_table(pgt, ia);
	if (!table)
		return false;
	p = (uint64_t *)(void *)(table + ((ia >> d0->shift) & d0->index_mask) *
						 8);
	if (__atomic_load_n(p, __ATOMIC_RELAXED))
		return false;
	/* Release, as the inline hit: invalid to valid needs nothing else. */
	__atomic_store_n(p, cur->leaf | pa, __ATOMIC_RELEASE);
	cur->addr = addr & ~(span - 1);
	cur->table = table;
	cur->unlinks_seen = pgt->unlinks;
	cur->span = span;
	return true;
}

int tdp_map_cursor_walk_page(struct tdp_map_cursor *cur, uint64_t addr,
			     uint64_t pa)
{
	struct tdp_pgt *pgt;
	int ret;

	if (!cur || !cur->pgt)
		return -TDP_ERR_INVAL;
	pgt = cur->pgt;
	cur->span = 0;
	if (cursor_walk_store(cur, pgt, addr, pa))
		return 0;
	ret = tdp_map(pgt, addr, cur->page, pa, &cur->attrs, 0, cur->res);
	/*
	 * A single-page tdp_map() leaves the table's walk cache on the table
	 * it reached, whether the entry was free or not (it may also have
	 * gone the general way and left the cache elsewhere, or stale: hence
	 * the path check). Only formats whose hit is the plain store of
	 * tdp_map_cursor_page() take the table over.
	 */
	if (pgt->wc_plain && addr - pgt->wc_addr < pgt->wc_span &&
	    wc_path_intact(pgt)) {
		cur->addr = pgt->wc_addr;
		cur->table = pgt->wc_table;
		cur->unlinks_seen = pgt->unlinks;
		cur->span = pgt->wc_span;
	}
	return ret;
}

/* Atomic: shared-mode operations unlink tables concurrently. */
void tdp_map_cursors_invalidate(struct tdp_pgt *pgt)
{
	if (pgt)
		__atomic_fetch_add(&pgt->unlinks, 1, __ATOMIC_RELAXED);
}

int tdp_unmap(struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
	      uint32_t flags, struct tdp_reserve *res)
{
	struct op op;
	int ret;

	if (flags & ~TDP_OP_SHARED)
		return -TDP_ERR_INVAL;
	ret = op_init(&op, pgt, OP_UNMAP, addr, size, flags, res);
	if (ret)
		return ret;
	return op_run(&op);
}

int tdp_protect(struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
		uint32_t set, uint32_t clear, uint32_t flags,
		struct tdp_reserve *res)
{
	const uint32_t all = TDP_PERM_RWX | TDP_PERM_U;
	struct op op;
	int ret;

	if ((flags & ~TDP_OP_SHARED) || ((set | clear) & ~all))
		return -TDP_ERR_INVAL;
	ret = op_init(&op, pgt, OP_PROTECT, addr, size, flags, res);
	if (ret)
		return ret;
	op.set = set;
	op.clear = clear;
	return op_run(&op);
}

int64_t tdp_worst_case_pages(const struct tdp_pgt *pgt, uint32_t kind,
			     uint64_t addr, uint64_t size)
{
	const struct tdp_format *fmt;
	uint64_t ia, ia_last, total = 0;
	int l, ret;

	if (!pgt || kind < TDP_OPK_MAP || kind > TDP_OPK_PROTECT)
		return -TDP_ERR_INVAL;
	if (!size)
		return 0;
	fmt = &pgt->fmt;
	ret = tdp_range_to_ia(fmt, addr, size, &ia, &ia_last);
	if (ret)
		return ret;
	for (l = 0; l < tdp_root_level(fmt); l++) {
		unsigned int s = fmt->lvl[l + 1].shift;
		uint64_t tables = (ia_last >> s) - (ia >> s) + 1;

		/* Map may need every table the range meets; the others only
		 * split the blocks at the two ends of the range. */
		total += kind == TDP_OPK_MAP ? tables : (tables < 2 ? tables : 2);
	}
	return (int64_t)total;
}

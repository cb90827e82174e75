/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* The table object and the format-independent entry helpers. */
#include "internal.h"

#define TDP_PERM_ALL (TDP_PERM_RWX | TDP_PERM_U)
#define TDP_ATTR_ALL                                                          \
	(TDP_ATTR_ACCESSED | TDP_ATTR_DIRTY | TDP_ATTR_GLOBAL |               \
	 TDP_ATTR_IGNORE_PAT | TDP_ATTR_SUPPRESS_VE | TDP_ATTR_SPP |          \
	 TDP_ATTR_PAT_INDEX | TDP_ATTR_VERIFY_GUEST_PAGING |                 \
	 TDP_ATTR_PAGING_WRITE | TDP_ATTR_SUPERVISOR_SHADOW_STACK |          \
	 TDP_ATTR_DBM | TDP_ATTR_CONTIGUOUS)

/* Bytes the backend must allocate for the root: at least one 4 KiB page. */
static uint64_t root_alloc_bytes(const struct tdp_format *fmt)
{
	uint64_t n = TDP_MIN_TABLE_BYTES;

	for (; n < fmt->root_size; n <<= 1)
		;
	return n;
}

static uint64_t root_alloc_align(const struct tdp_format *fmt)
{
	return fmt->root_align > TDP_MIN_TABLE_BYTES ? fmt->root_align
						     : TDP_MIN_TABLE_BYTES;
}

/* See tdp_pgt::window_table_avail. */
static uint64_t table_avail(const struct tdp_format *fmt, uint64_t win_bytes)
{
	return win_bytes >= fmt->table_size ? win_bytes - fmt->table_size + 1
					    : 0;
}

/*
 * Ask the backend for its linear window once; false if it offers one that
 * wraps around 2^64 (a backend bug the table must not build on).
 */
static bool get_window(const struct tdp_mm *mm, uint8_t **va, uint64_t *pa,
		       uint64_t *bytes)
{
	*va = NULL;
	*pa = *bytes = 0;
	if (!mm->ops->linear_window)
		return true;
	*va = mm->ops->linear_window(mm->ctx, pa, bytes);
	if (!*va || !*bytes) {
		*va = NULL;
		*pa = *bytes = 0;
		return true;
	}
	return *pa + (*bytes - 1) >= *pa;
}

int tdp_pgt_init(struct tdp_pgt *pgt, const struct tdp_format_config *cfg,
		 const struct tdp_mm *mm)
{
	struct tdp_format fmt;
	uint64_t pa, win_pa, win_bytes;
	uint8_t *win_va;
	void *root;
	int ret;

	if (!pgt || !cfg || !mm || !mm->ops || !mm->ops->alloc_table ||
	    !mm->ops->free_table || !mm->ops->phys_to_virt)
		return -TDP_ERR_INVAL;
	ret = tdp_format_init(&fmt, cfg);
	if (ret)
		return ret;
	ret = mm->ops->alloc_table(mm->ctx, root_alloc_bytes(&fmt),
				   root_alloc_align(&fmt), &pa);
	if (ret)
		return ret;
	/* After the root: a backend may create its memory on first use. */
	ret = get_window(mm, &win_va, &win_pa, &win_bytes) ? 0 : -TDP_ERR_INVAL;
	root = mm->ops->phys_to_virt(mm->ctx, pa, fmt.root_size);
	if (!ret && !root)
		ret = -TDP_ERR_BADTABLE;
	if (ret) {
		mm->ops->free_table(mm->ctx, pa, root_alloc_bytes(&fmt));
		return ret;
	}
	*pgt = (struct tdp_pgt){
		.fmt = fmt,
		.mm = *mm,
		.root_pa = pa,
		.root = root,
		.flags = TDP_PGT_OWNS_ROOT,
		.window_va = win_va,
		.window_pa = win_pa,
		.window_bytes = win_bytes,
		.window_table_avail = table_avail(&fmt, win_bytes),
	};
	return 0;
}

int tdp_pgt_init_at(struct tdp_pgt *pgt, const struct tdp_format_config *cfg,
		    const struct tdp_mm *mm, uint64_t root_pa)
{
	struct tdp_format fmt;
	uint64_t win_pa, win_bytes;
	uint8_t *win_va;
	void *root;
	int ret;

	if (!pgt || !cfg || !mm || !mm->ops || !mm->ops->phys_to_virt ||
	    !get_window(mm, &win_va, &win_pa, &win_bytes))
		return -TDP_ERR_INVAL;
	ret = tdp_format_init(&fmt, cfg);
	if (ret)
		return ret;
	if (root_pa & (fmt.root_align - 1))
		return -TDP_ERR_ALIGN;
	root = mm->ops->phys_to_virt(mm->ctx, root_pa, fmt.root_size);
	if (!root)
		return -TDP_ERR_RANGE;
	*pgt = (struct tdp_pgt){
		.fmt = fmt,
		.mm = *mm,
		.root_pa = root_pa,
		.root = root,
		.window_va = win_va,
		.window_pa = win_pa,
		.window_bytes = win_bytes,
		.window_table_avail = table_avail(&fmt, win_bytes),
	};
	return 0;
}

int tdp_pgt_set_tlb(struct tdp_pgt *pgt, const struct tdp_tlb_ops *ops,
		    void *ctx)
{
	if (!pgt)
		return -TDP_ERR_INVAL;
	pgt->tlb = ops;
	pgt->tlb_ctx = ops ? ctx : NULL;
	return 0;
}

/* Free the table a table entry points to, after its own subtree. */
static int free_subtable(const struct tdp_visit *v, void *arg)
{
	const struct tdp_pgt *pgt = v->pgt;

	(void)arg; /* all state is in the visit */
	if (v->kind == TDP_ENTRY_TABLE)
		pgt->mm.ops->free_table(pgt->mm.ctx,
					tdp_table_pa(&pgt->fmt, v->level, v->old),
					tdp_table_bytes(&pgt->fmt, v->level - 1));
	return 0;
}

void tdp_pgt_destroy(struct tdp_pgt *pgt)
{
	const struct tdp_format *fmt;

	if (!pgt || !(pgt->flags & TDP_PGT_OWNS_ROOT))
		return;
	fmt = &pgt->fmt;
	tdp_walk_ia(pgt, 0, tdp_low_mask(fmt->ia_bits), TDP_WALK_TABLE_POST,
		    free_subtable, NULL);
	pgt->mm.ops->free_table(pgt->mm.ctx, pgt->root_pa,
				root_alloc_bytes(fmt));
	pgt->root = NULL;
	pgt->flags = 0;
	/*
	 * Every table is gone: neither the walk cache of tdp_map() nor a map
	 * cursor may store into one again (the freed pages may still hold
	 * the path's old values, so the cache's own check would pass).
	 */
	pgt->wc_span = 0;
	tdp_map_cursors_invalidate(pgt);
}

void tdp_visit_write(const struct tdp_visit *v, uint64_t val)
{
	if (!v || !v->entry)
		return;
	tdp_entry_store(&v->pgt->fmt, v->entry, val);
}

static bool level_ok(const struct tdp_format *fmt, int level)
{
	return fmt && level >= 0 && level < fmt->levels;
}

int tdp_entry_classify(const struct tdp_format *fmt, int level, uint64_t raw)
{
	if (!level_ok(fmt, level))
		return -TDP_ERR_INVAL;
	return tdp_classify(fmt, level, raw);
}

int tdp_entry_decode_leaf(const struct tdp_format *fmt, int level,
			  uint64_t raw, uint64_t *out_pa,
			  struct tdp_attrs *attrs)
{
	if (!level_ok(fmt, level))
		return -TDP_ERR_INVAL;
	if (tdp_classify(fmt, level, raw) != TDP_ENTRY_LEAF)
		return -TDP_ERR_NOENT;
	if (out_pa)
		*out_pa = tdp_leaf_pa(fmt, level, raw);
	if (attrs)
		fmt->ops->decode_leaf(fmt, level, raw, attrs);
	return 0;
}

int tdp_entry_encode_leaf(const struct tdp_format *fmt, int level,
			  uint64_t pa, const struct tdp_attrs *attrs,
			  uint64_t *raw)
{
	if (!level_ok(fmt, level) || !attrs || !raw ||
	    (attrs->perms & ~TDP_PERM_ALL) || (attrs->flags & ~TDP_ATTR_ALL) ||
	    attrs->memtype > TDP_MT_DEV_GRE || attrs->shareability > TDP_SH_INNER)
		return -TDP_ERR_INVAL;
	if (pa & tdp_low_mask(fmt->lvl[level].shift))
		return -TDP_ERR_ALIGN;
	if (pa >> fmt->pa_bits || !tdp_leaf_pa_fits(fmt, level, pa))
		return -TDP_ERR_RANGE;
	if (!(fmt->leaf_levels & (1u << level)))
		return -TDP_ERR_NOTSUP;
	return fmt->ops->encode_leaf(fmt, level, pa, attrs, raw);
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Read-only lookups: one path from the root, at most one entry per level,
 * recording each entry and where it lives, and stopping at the first leaf
 * or fault. Never writes, so it is safe on tables a guest controls.
 */
#include "internal.h"

#define TDP_ACCESS_ALL                                                        \
	(TDP_ACCESS_READ | TDP_ACCESS_WRITE | TDP_ACCESS_EXEC |               \
	 TDP_ACCESS_USER | TDP_ACCESS_NO_WP | TDP_ACCESS_SMEP |               \
	 TDP_ACCESS_SMAP)

/* Record a fault in @res; the walk's entries stay as recorded. */
static int set_fault(struct tdp_lookup *res, uint32_t fault, int level,
		     uint32_t detail)
{
	res->fault = fault;
	res->fault_level = level;
	res->fault_detail = detail;
	return -TDP_ERR_FAULT;
}

/*
 * End a walk that stopped at @level (-1: before reading an entry) without
 * reaching a leaf. Off the hot path, so the translation's fields are
 * cleared rather than left unspecified.
 */
static int walk_fault(struct tdp_lookup *res, int level, uint32_t fault,
		      uint32_t detail)
{
	res->out_addr = 0;
	res->page_size = 0;
	res->last_level = level;
	res->attrs = (struct tdp_attrs){ 0 };
	res->perms = 0;
	return set_fault(res, fault, level, detail);
}

/* The fault a present entry that is neither table nor leaf causes. */
static int reserved_fault(const struct tdp_format *fmt,
			  struct tdp_lookup *res, int level, uint64_t raw)
{
	uint32_t detail = fmt->ops->explain(fmt, level, raw);
	uint32_t fault = fmt->rsvd_fault;

	/* arm64: a block where none may be is a translation fault. */
	if (detail == TDP_DETAIL_LEAF_LEVEL && fmt->leaf_level_fault)
		fault = fmt->leaf_level_fault;
	return walk_fault(res, level, fault, detail);
}

/*
 * Whether @addr is in the input space: the bits above it must be zero, or
 * for canonical formats all equal to its top bit.
 */
static inline bool addr_ok(const struct tdp_format *fmt, uint64_t addr)
{
	unsigned int shift = fmt->ia_bits - (fmt->canonical ? 1 : 0);
	uint64_t top = addr >> shift;

	return !top || (fmt->canonical && top == ~0ull >> shift);
}

/*
 * The address parts of an entry as tdp_table_pa() and tdp_leaf_pa() give
 * them, with the high address bits, which few configurations have, behind
 * a branch: that keeps them off the dependency chain from one level's
 * load to the next.
 */
static inline uint64_t child_pa(const struct tdp_level_desc *d, uint64_t raw)
{
	uint64_t pa = raw & d->table_addr_mask;

	if (TDP_UNLIKELY(d->table_hi_mask))
		pa |= ((raw >> d->table_hi_src) & d->table_hi_mask)
		      << d->table_hi_dst;
	return pa;
}

static inline uint64_t leaf_pa(const struct tdp_level_desc *d, uint64_t raw)
{
	uint64_t pa = raw & d->leaf_addr_mask;

	if (TDP_UNLIKELY(d->leaf_hi_mask))
		pa |= ((raw >> d->leaf_hi_src) & d->leaf_hi_mask)
		      << d->leaf_hi_dst;
	return pa;
}

/*
 * Finish a walk that reached the valid leaf @raw at @level; @all_and and
 * @all_or combine the walk's entries (see tdp_format_ops::decode_walk).
 * @plain: the format's leaves have no high address bits.
 */
static inline int lookup_leaf(const struct tdp_format *fmt, uint64_t addr,
			      struct tdp_lookup *res, int level, uint64_t raw,
			      uint64_t all_and, uint64_t all_or,
			      const bool plain, const bool decode)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t pa = plain ? raw & d->leaf_addr_mask : leaf_pa(d, raw);

	res->out_addr = pa | (addr & (d->span - 1));
	res->page_size = d->span;
	res->last_level = level;
	res->fault = TDP_FAULT_NONE;
	res->fault_level = -1;
	res->fault_detail = TDP_DETAIL_NONE;
	if (decode)
		fmt->ops->decode_walk(fmt, res, all_and, all_or);
	return 0;
}

/*
 * Decode the leaf of the walk recorded in @res (root_level down to
 * last_level), combining its entries at the end as decode_walk wants.
 */
static void decode_recorded(const struct tdp_format *fmt,
			    struct tdp_lookup *res)
{
	uint64_t all_and = ~0ull, all_or = 0;
	int l;

	for (l = res->last_level; l <= res->root_level; l++) {
		all_and &= res->entry[l];
		all_or |= res->entry[l];
	}
	fmt->ops->decode_walk(fmt, res, all_and, all_or);
}

/* lookup_leaf() for the slow walk, which combines the entries at the end. */
static int slow_leaf(const struct tdp_format *fmt, uint64_t addr,
		     struct tdp_lookup *res, int level, uint64_t raw,
		     bool decode)
{
	lookup_leaf(fmt, addr, res, level, raw, 0, 0, false, false);
	if (decode)
		decode_recorded(fmt, res);
	return 0;
}

/*
 * The walk by the full rules, from the entry @raw at @level (already read
 * and recorded) down: whatever the fast walk cannot decide by itself.
 */
static int lookup_slow(const struct tdp_pgt *pgt, uint64_t addr,
		       struct tdp_lookup *res, int level, uint64_t raw,
		       bool decode)
{
	const struct tdp_format *fmt = &pgt->fmt;
	const uint8_t *table;
	uint64_t table_pa, off;

	for (;; level--) {
		switch (tdp_classify(fmt, level, raw)) {
		case TDP_ENTRY_INVALID:
			return walk_fault(res, level, TDP_FAULT_NOT_PRESENT,
					  TDP_DETAIL_NONE);
		case TDP_ENTRY_LEAF:
			return slow_leaf(fmt, addr, res, level, raw, decode);
		case TDP_ENTRY_TABLE:
			break;
		default:
			return reserved_fault(fmt, res, level, raw);
		}
		/* Level 0 always holds leaves; never index below it. */
		if (level == 0)
			return walk_fault(res, 0, TDP_FAULT_NOT_PRESENT,
					  TDP_DETAIL_NONE);
		table = tdp_child_table(pgt, level, raw, &table_pa);
		if (!table)
			return walk_fault(res, level, TDP_FAULT_BAD_POINTER,
					  TDP_DETAIL_NONE);
		off = (uint64_t)tdp_index(fmt, level - 1, addr) * fmt->entry_size;
		raw = tdp_entry_load(fmt, table + off);
		res->entry[level - 1] = raw;
		res->entry_pa[level - 1] = table_pa + off;
	}
}

static inline uint64_t load_entry(const uint8_t *p, unsigned int esz)
{
	if (esz == 4)
		return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}

/*
 * The state of the fast walk: the table it reads next, the last entry it
 * read, and (copied, since the stores into the result could alias them as
 * far as the compiler knows) the backend's linear window. Every child of
 * an entry is a non-root table of table_size bytes; one at window offset
 * off lies inside the window when off < avail.
 */
struct fast_walk {
	const uint8_t *table;
	uint64_t table_pa;
	uint64_t raw;
	uint64_t all_and;
	uint64_t all_or;
	const uint8_t *window_va;
	uint64_t window_pa;
	uint64_t avail;
};

/* Read and record the entry of @level that maps @addr (@esz bytes). */
static inline __attribute__((always_inline)) void
fast_read(const struct tdp_format *fmt, int level, uint64_t addr,
	  struct tdp_lookup *res, struct fast_walk *w, const unsigned int esz,
	  const bool decode)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t off = ((addr >> d->shift) & d->index_mask) * esz;

	w->raw = load_entry(w->table + off, esz);
	if (decode) {
		w->all_and &= w->raw;
		w->all_or |= w->raw;
	}
	res->entry[level] = w->raw;
	res->entry_pa[level] = w->table_pa + off;
}

/*
 * One level of the fast walk: read the entry of @level and step into its
 * child when the derived fast test says "valid table" and the child lies
 * in the window. False when the walk stops at this entry instead.
 */
static inline __attribute__((always_inline)) bool
fast_step(const struct tdp_format *fmt, int level, uint64_t addr,
	  struct tdp_lookup *res, struct fast_walk *w, const unsigned int esz,
	  const bool plain, const bool decode)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t pa;

	fast_read(fmt, level, addr, res, w, esz, decode);
	if (plain) {
		/* No map to consult, no high address bits. */
		if (!TDP_LIKELY((w->raw & d->fast_table_mask) ==
				d->fast_table_value))
			return false;
		pa = w->raw & d->table_addr_mask;
	} else {
		if (!TDP_LIKELY(tdp_fast_table(d, w->raw)))
			return false;
		pa = child_pa(d, w->raw);
	}
	if (!TDP_LIKELY(pa - w->window_pa < w->avail))
		return false;
	w->table = w->window_va + (pa - w->window_pa);
	w->table_pa = pa;
	return true;
}

/*
 * The fast walk, for entries of @esz bytes, and for formats whose tables
 * are plain (tdp_format::fast_plain) when @plain is set: inlined
 * once per kind, and unrolled by the number of levels, so that the loads,
 * the index scaling and where each level's rules lie are constants. It
 * descends through valid tables inside the window without a call; the
 * entry it stops at is finished here when it is a fast leaf, and by the
 * full rules in lookup_slow() otherwise (also a table outside the window).
 */
static inline __attribute__((always_inline)) int
lookup_walk(const struct tdp_pgt *pgt, uint64_t addr, struct tdp_lookup *res,
	    const unsigned int esz, const bool plain, const bool decode)
{
	const struct tdp_format *fmt = &pgt->fmt;
	struct fast_walk w = {
		.table = pgt->root,
		.table_pa = pgt->root_pa,
		.all_and = ~0ull,
		.window_va = pgt->window_va,
		.window_pa = pgt->window_pa,
		.avail = pgt->window_table_avail,
	};
	int level = 0;

	/* Enter at the root's level; each step falls through to the next. */
	switch (fmt->levels - 1) {
	case 5:
		if (!fast_step(fmt, 5, addr, res, &w, esz, plain, decode)) {
			level = 5;
			break;
		}
		/* fallthrough */
	case 4:
		if (!fast_step(fmt, 4, addr, res, &w, esz, plain, decode)) {
			level = 4;
			break;
		}
		/* fallthrough */
	case 3:
		if (!fast_step(fmt, 3, addr, res, &w, esz, plain, decode)) {
			level = 3;
			break;
		}
		/* fallthrough */
	case 2:
		if (!fast_step(fmt, 2, addr, res, &w, esz, plain, decode)) {
			level = 2;
			break;
		}
		/* fallthrough */
	case 1:
		if (!fast_step(fmt, 1, addr, res, &w, esz, plain, decode)) {
			level = 1;
			break;
		}
		/* fallthrough */
	default:
		/*
		 * Level 0 holds no tables (tdp_format_init() makes sure).
		 * Most walks end here: finish a leaf with the level known.
		 */
		fast_read(fmt, 0, addr, res, &w, esz, decode);
		if (TDP_LIKELY(tdp_fast_leaf(&fmt->lvl[0], w.raw)))
			return lookup_leaf(fmt, addr, res, 0, w.raw, w.all_and,
					   w.all_or, plain, decode);
		break;
	}
	if (TDP_LIKELY(tdp_fast_leaf(&fmt->lvl[level], w.raw)))
		return lookup_leaf(fmt, addr, res, level, w.raw, w.all_and,
				   w.all_or, plain, decode);
	return lookup_slow(pgt, addr, res, level, w.raw, decode);
}

/*
 * Both lookups: inlined into each, so that the walk is specialised for
 * decoding or not as well as for the entry kind.
 */
static inline __attribute__((always_inline)) int
lookup(const struct tdp_pgt *pgt, uint64_t addr, struct tdp_lookup *res,
       const bool decode)
{
	const struct tdp_format *fmt;

	if (!pgt || !pgt->root || !res)
		return -TDP_ERR_INVAL;
	fmt = &pgt->fmt;
	res->addr = addr;
	res->root_level = tdp_root_level(fmt);
	if (!addr_ok(fmt, addr))
		return walk_fault(res, -1,
				  fmt->canonical ? TDP_FAULT_NON_CANONICAL
						 : fmt->ops->input_range_fault,
				  TDP_DETAIL_NONE);
	if (fmt->fast_plain)
		return lookup_walk(pgt, addr, res, 8, true, decode);
	if (fmt->entry_size == 4)
		return lookup_walk(pgt, addr, res, 4, false, decode);
	return lookup_walk(pgt, addr, res, 8, false, decode);
}

int tdp_lookup(const struct tdp_pgt *pgt, uint64_t addr,
	       struct tdp_lookup *res)
{
	return lookup(pgt, addr, res, true);
}

int tdp_lookup_raw(const struct tdp_pgt *pgt, uint64_t addr,
		   struct tdp_lookup *res)
{
	return lookup(pgt, addr, res, false);
}

int tdp_lookup_decode(const struct tdp_pgt *pgt, struct tdp_lookup *res)
{
	if (!pgt || !pgt->root || !res || res->fault != TDP_FAULT_NONE ||
	    res->root_level != tdp_root_level(&pgt->fmt) ||
	    res->last_level < 0 || res->last_level > res->root_level)
		return -TDP_ERR_INVAL;
	decode_recorded(&pgt->fmt, res);
	return 0;
}

int tdp_lookup_access(const struct tdp_pgt *pgt, uint64_t addr,
		      uint32_t access, struct tdp_lookup *res)
{
	uint32_t f;
	int ret;

	if (!pgt || !res || (access & ~TDP_ACCESS_ALL))
		return -TDP_ERR_INVAL;
	ret = tdp_lookup(pgt, addr, res);
	if (ret)
		return ret;
	f = pgt->fmt.ops->check_access(&pgt->fmt, res->perms, &res->attrs,
				       access);
	if (f == TDP_FAULT_NONE)
		return 0;
	return set_fault(res, f, res->last_level, TDP_DETAIL_NONE);
}

int tdp_translate(const struct tdp_pgt *pgt, uint64_t addr, uint32_t access,
		  uint64_t *out_addr, uint32_t *fault)
{
	struct tdp_lookup res;
	int ret;

	if (!pgt || (access & ~TDP_ACCESS_ALL))
		return -TDP_ERR_INVAL;
	ret = tdp_lookup_access(pgt, addr, access, &res);
	if (ret == -TDP_ERR_INVAL)
		return ret;
	if (fault)
		*fault = res.fault;
	if (ret)
		return ret;
	if (out_addr)
		*out_addr = res.out_addr;
	return 0;
}

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

static int lookup_fault(struct tdp_lookup *res, uint32_t fault, int level,
			uint32_t detail)
{
	res->fault = fault;
	res->fault_level = level;
	res->fault_detail = detail;
	return -TDP_ERR_FAULT;
}

int tdp_lookup(const struct tdp_pgt *pgt, uint64_t addr,
	       struct tdp_lookup *res)
{
	const struct tdp_format *fmt;
	const uint8_t *table;
	uint64_t ia, table_pa;
	uint32_t perms = ~0u;
	int level;

	if (!pgt || !pgt->root || !res)
		return -TDP_ERR_INVAL;
	fmt = &pgt->fmt;
	*res = (struct tdp_lookup){
		.addr = addr,
		.root_level = tdp_root_level(fmt),
		.last_level = -1,
		.fault_level = -1,
	};
	if (!tdp_addr_to_ia(fmt, addr, &ia))
		return lookup_fault(res,
				    fmt->canonical ? TDP_FAULT_NON_CANONICAL
						   : TDP_FAULT_ADDRESS_SIZE,
				    -1, TDP_DETAIL_NONE);

	table = pgt->root;
	table_pa = pgt->root_pa;
	for (level = res->root_level; level >= 0; level--) {
		uint64_t off = tdp_index(fmt, level, ia) * fmt->entry_size;
		uint64_t raw = tdp_entry_load(fmt, table + off);
		uint64_t span = 1ull << fmt->lvl[level].shift;
		enum tdp_entry_kind kind = tdp_classify(fmt, level, raw);

		res->entry[level] = raw;
		res->entry_pa[level] = table_pa + off;
		res->last_level = level;
		switch (kind) {
		case TDP_ENTRY_INVALID:
			return lookup_fault(res, TDP_FAULT_NOT_PRESENT, level,
					    TDP_DETAIL_NONE);
		case TDP_ENTRY_LEAF:
			perms &= fmt->ops->entry_perms(fmt, level, raw, true);
			fmt->ops->decode_leaf(fmt, level, raw, &res->attrs);
			res->perms = perms;
			res->page_size = span;
			res->out_addr = tdp_leaf_pa(fmt, level, raw) |
					(ia & (span - 1));
			return 0;
		case TDP_ENTRY_TABLE:
			perms &= fmt->ops->entry_perms(fmt, level, raw, false);
			table = tdp_child_table(pgt, level, raw, &table_pa);
			if (!table)
				return lookup_fault(res, TDP_FAULT_BAD_POINTER,
						    level, TDP_DETAIL_NONE);
			break;
		default: {
			uint32_t detail = fmt->ops->explain(fmt, level, raw);
			uint32_t fault = fmt->rsvd_fault;

			/* arm64: a block where none may be is a translation fault. */
			if (detail == TDP_DETAIL_LEAF_LEVEL && fmt->leaf_level_fault)
				fault = fmt->leaf_level_fault;
			return lookup_fault(res, fault, level, detail);
		}
		}
	}
	/* Level 0 always holds leaves, so the loop cannot end here. */
	return lookup_fault(res, TDP_FAULT_NOT_PRESENT, 0, TDP_DETAIL_NONE);
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
	return lookup_fault(res, f, res->last_level, TDP_DETAIL_NONE);
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

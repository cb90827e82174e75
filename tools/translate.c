/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * `tdp translate`: one line per address, as the CPU would see the access.
 *
 *   ADDR ok PA level=N perms=PERMS
 *   ADDR fault KIND level=N
 *
 * The level of a permission or access-flag fault is the leaf's level (the
 * entry that denied the access); faults found before any entry is read
 * (non-canonical, input address too wide) have no level and print
 * "level=-".
 */
#include <stdlib.h>

#include "tool.h"

static void print_level(const struct tdp_format *fmt, int level)
{
	if (level < 0)
		printf(" level=-\n");
	else
		printf(" level=%d\n", tdp_format_arch_level(fmt, level));
}

/* --verbose: every entry the walk read, root first. */
static void print_path(const struct tdp_format *fmt,
		       const struct tdp_lookup *res)
{
	char perms[5], size[16];
	int l;

	/* last_level is -1 when the address was refused before any read. */
	for (l = res->root_level; res->last_level >= 0 && l >= res->last_level;
	     l--) {
		uint64_t raw = res->entry[l], out;
		struct tdp_attrs attrs;
		int kind = tdp_entry_classify(fmt, l, raw);

		if (res->fault == TDP_FAULT_BAD_POINTER &&
		    l == res->fault_level)
			kind = TDP_ENTRY_BAD_POINTER;
		printf("  level=%d entry=0x%016llx raw=0x%016llx %s",
		       tdp_format_arch_level(fmt, l),
		       (unsigned long long)res->entry_pa[l],
		       (unsigned long long)raw, tool_kind_name((uint32_t)kind));
		if (kind == TDP_ENTRY_LEAF &&
		    !tdp_entry_decode_leaf(fmt, l, raw, &out, &attrs)) {
			uint64_t page = 1ull << tdp_format_level_shift(fmt, l);

			if (!tool_is_spp(fmt))
				printf(" out=0x%016llx",
				       (unsigned long long)out);
			printf(" size=%s",
			       tool_size_name(page, size, sizeof(size)));
			if (!tool_is_spp(fmt))
				printf(" perms=%s",
				       tool_perms_str(attrs.perms, perms));
			tool_print_attrs(stdout, fmt, &attrs);
		}
		if (res->fault != TDP_FAULT_NONE && l == res->fault_level) {
			printf(" fault=%s", tdp_fault_name((int)res->fault));
			if (res->fault_detail != TDP_DETAIL_NONE)
				printf(" detail=%s",
				       tool_detail_name(res->fault_detail));
		}
		printf("\n");
	}
}

/* Returns true when the address faulted. */
static bool translate_one(const struct tool_opts *o, const struct tdp_pgt *pgt,
			  uint64_t addr)
{
	const struct tdp_format *fmt = &pgt->fmt;
	struct tdp_lookup res;
	uint32_t fault = TDP_FAULT_NONE;
	uint64_t out = 0;
	char perms[5];
	int level, ret;

	ret = tdp_lookup(pgt, addr, &res);
	/*
	 * The CPU reads every SPPT leaf as valid; libtdp calls an all-zero
	 * one (no sub-page writable) not present. Report what the CPU sees.
	 */
	if (ret && tool_is_spp(fmt) && res.fault == TDP_FAULT_NOT_PRESENT &&
	    res.fault_level == 0) {
		ret = 0;
		res.attrs.subpage_write = 0;
		res.fault = TDP_FAULT_NONE;
	}
	if (ret) {
		fault = res.fault;
		level = res.fault_level;
	} else {
		level = res.last_level;
		if (!tool_is_spp(fmt))
			ret = tdp_translate(pgt, addr, o->access, &out, &fault);
		if (ret && fault == TDP_FAULT_NONE)
			fault = TDP_FAULT_PERMISSION; /* cannot happen */
	}
	printf("0x%016llx ", (unsigned long long)addr);
	if (fault != TDP_FAULT_NONE) {
		printf("fault %s", tdp_fault_name((int)fault));
		print_level(fmt, level);
	} else if (tool_is_spp(fmt)) {
		printf("ok bitmap=0x%08x", res.attrs.subpage_write);
		print_level(fmt, level);
	} else {
		printf("ok 0x%016llx", (unsigned long long)out);
		printf(" level=%d perms=%s\n",
		       tdp_format_arch_level(fmt, level),
		       tool_perms_str(res.perms, perms));
	}
	if (o->verbose)
		print_path(fmt, &res);
	return fault != TDP_FAULT_NONE;
}

int tool_cmd_translate(struct tool_opts *o)
{
	struct tdp_format fmt;
	struct tool_image img = { 0 };
	uint64_t *addrs;
	bool faulted = false;
	int i, ret;

	if (!o->image)
		return tool_err("missing --image FILE");
	if (!o->have_root)
		return tool_err("missing --root PA");
	if (!o->n_pos)
		return tool_err("no address to translate");
	addrs = calloc((size_t)o->n_pos, sizeof(*addrs));
	if (!addrs)
		return tool_err("out of memory");
	for (i = 0; i < o->n_pos; i++) {
		if (!tool_parse_u64(o->pos[i], &addrs[i])) {
			free(addrs);
			return tool_err("'%s' is not an address", o->pos[i]);
		}
	}
	ret = tool_resolve_format(o, &fmt);
	if (!ret)
		ret = tool_image_open(&img, o, o->image, o->base, o->root);
	if (!ret) {
		for (i = 0; i < o->n_pos; i++)
			faulted |= translate_one(o, &img.pgt, addrs[i]);
	}
	tool_image_close(&img);
	free(addrs);
	if (!ret && faulted && o->fail_on_fault)
		ret = EXIT_FAULT;
	return ret;
}

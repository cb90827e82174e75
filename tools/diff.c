/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * `tdp diff IMAGE_A IMAGE_B`: what maps differently. Each image becomes a
 * sorted list of segments (maximal runs of leaves that translate
 * contiguously with equal level and attributes, across table boundaries,
 * plus malformed entries and loops); one sweep over both lists finds the
 * input ranges where they disagree, and prints A's side with '-' and B's
 * with '+' for each. Only what the CPU would see counts, unless --sizes
 * asks for page-size changes too.
 */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct seg {
	enum tree_node_kind kind; /* NODE_LEAF, NODE_BAD or NODE_LOOP */
	uint64_t first;
	uint64_t last;
	uint64_t out;
	int level;
	uint32_t perms;
	struct tdp_attrs attrs;
	uint64_t raw;
	uint32_t fault;
	uint32_t detail;
};

struct seglist {
	struct seg *v;
	size_t n;
	size_t cap;
	bool have_run;
	struct tool_run run;
};

static int push(struct seglist *l, const struct seg *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct seg *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return tool_err("out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
	return 0;
}

static int flush(struct seglist *l)
{
	struct seg s = { .kind = NODE_LEAF };

	if (!l->have_run)
		return 0;
	l->have_run = false;
	s.first = l->run.first;
	s.last = l->run.last;
	s.out = l->run.out;
	s.level = l->run.level;
	s.perms = l->run.perms;
	s.attrs = l->run.attrs;
	return push(l, &s);
}

static int collect(const struct tree_node *n, void *arg)
{
	struct seglist *l = arg;
	struct seg s = { 0 };
	int ret;

	switch (n->kind) {
	case NODE_LEAF:
		/* Runs continue across tables: only the mapping matters. */
		l->run.depth = n->depth;
		if (l->have_run && tool_run_extends(&l->run, n)) {
			l->run.last = n->last;
			l->run.pages++;
			return 0;
		}
		ret = flush(l);
		tool_run_start(&l->run, n);
		l->have_run = true;
		return ret;
	case NODE_BAD:
	case NODE_LOOP:
		ret = flush(l);
		if (ret)
			return ret;
		s.kind = n->kind;
		s.first = n->addr;
		s.last = n->last;
		s.level = n->level;
		s.raw = n->raw;
		s.fault = n->fault;
		s.detail = n->detail;
		return push(l, &s);
	case NODE_TABLE_END:
		return n->is_root ? flush(l) : 0;
	default:
		return 0;
	}
}

/*
 * Whether two segments map an address alike. Page sizes count only with
 * --sizes: by default a split block that still translates the same is no
 * difference.
 */
static bool same(const struct seg *a, const struct seg *b, bool sizes)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind || (sizes && a->level != b->level))
		return false;
	if (a->kind != NODE_LEAF && a->level != b->level)
		return false;
	if (a->kind != NODE_LEAF)
		return a->raw == b->raw && a->fault == b->fault;
	/* The same output for every address of the overlap. */
	return a->out - a->first == b->out - b->first && a->perms == b->perms &&
	       !memcmp(&a->attrs, &b->attrs, sizeof(a->attrs));
}

static void print_side(const struct tdp_format *fmt, char side,
		       const struct seg *s, uint64_t first, uint64_t last)
{
	int level = tdp_format_arch_level(fmt, s->level);
	char perms[5], size[16];
	uint64_t out = s->out + (first - s->first);

	if (s->kind == NODE_LEAF) {
		printf("%c leaf in=0x%016llx-0x%016llx", side,
		       (unsigned long long)first, (unsigned long long)last);
		if (!tool_is_spp(fmt))
			printf(" out=0x%016llx-0x%016llx",
			       (unsigned long long)out,
			       (unsigned long long)(out + (last - first)));
		printf(" level=%d size=%s", level,
		       tool_size_name(1ull << tdp_format_level_shift(fmt,
								      s->level),
				      size, sizeof(size)));
		if (!tool_is_spp(fmt))
			printf(" perms=%s", tool_perms_str(s->perms, perms));
		tool_print_attrs(stdout, fmt, &s->attrs);
	} else {
		printf("%c %s in=0x%016llx-0x%016llx level=%d raw=0x%016llx",
		       side, s->kind == NODE_LOOP ? "loop" : "bad",
		       (unsigned long long)first, (unsigned long long)last,
		       level, (unsigned long long)s->raw);
		if (s->kind == NODE_BAD)
			printf(" fault=%s", tdp_fault_name((int)s->fault));
	}
	printf("\n");
}

static uint64_t compare(const struct tdp_format *fmt, const struct seglist *a,
			const struct seglist *b, bool sizes)
{
	size_t i = 0, j = 0;
	uint64_t x = 0, end, diffs = 0;

	for (;;) {
		const struct seg *sa = NULL, *sb = NULL;

		for (; i < a->n && a->v[i].last < x; i++)
			;
		for (; j < b->n && b->v[j].last < x; j++)
			;
		if (i == a->n && j == b->n)
			break;
		end = ~0ull;
		if (i < a->n) {
			if (a->v[i].first <= x)
				sa = &a->v[i], end = sa->last;
			else
				end = a->v[i].first - 1;
		}
		if (j < b->n) {
			if (b->v[j].first <= x) {
				sb = &b->v[j];
				end = sb->last < end ? sb->last : end;
			} else if (b->v[j].first - 1 < end) {
				end = b->v[j].first - 1;
			}
		}
		if (!same(sa, sb, sizes)) {
			diffs++;
			if (sa)
				print_side(fmt, '-', sa, x, end);
			if (sb)
				print_side(fmt, '+', sb, x, end);
		}
		if (end == ~0ull)
			break;
		x = end + 1;
	}
	return diffs;
}

int tool_cmd_diff(struct tool_opts *o)
{
	struct tool_image img_a = { 0 }, img_b = { 0 };
	struct seglist a = { 0 }, b = { 0 };
	struct tdp_format fmt;
	uint64_t diffs;
	int ret;

	if (o->n_pos != 2)
		return tool_err("expected two images: IMAGE_A IMAGE_B");
	if (!o->have_root)
		return tool_err("missing --root PA");
	ret = tool_resolve_format(o, &fmt);
	if (!ret)
		ret = tool_image_open(&img_a, o, o->pos[0], o->base, o->root);
	if (!ret)
		ret = tool_image_open(&img_b, o, o->pos[1],
				      o->have_base_b ? o->base_b : o->base,
				      o->have_root_b ? o->root_b : o->root);
	if (!ret)
		ret = tool_tree_walk(&img_a, o->max_entries, collect, &a);
	if (!ret)
		ret = tool_tree_walk(&img_b, o->max_entries, collect, &b);
	if (!ret) {
		diffs = compare(&img_a.pgt.fmt, &a, &b, o->sizes);
		printf("differences=%llu\n", (unsigned long long)diffs);
	}
	free(a.v);
	free(b.v);
	tool_image_close(&img_a);
	tool_image_close(&img_b);
	return ret;
}

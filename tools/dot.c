/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * `tdp dot`: the table tree as a Graphviz graph. Tables are boxes, each run
 * of contiguous equally attributed leaves is one note, malformed entries
 * are red, and a pointer back to a table on its own path is a dashed red
 * edge to that table. --depth N draws tables down to depth N (the root is
 * depth 0) and replaces everything deeper by one summary node per table,
 * so a large tree stays readable.
 */
#include "tool.h"

struct dot {
	const struct tool_opts *o;
	FILE *f;
	const struct tdp_format *fmt;
	unsigned int next_id;
	unsigned int table_id[TDP_MAX_LEVELS + 1]; /* by depth */
	bool have_run;
	struct tool_run run;
	/* What lies hidden below the table at the depth limit. */
	uint64_t hidden_tables;
	uint64_t hidden_pages;
	uint64_t hidden_bad;
};

static bool hidden(const struct dot *d, int depth)
{
	return d->o->depth >= 0 && depth > d->o->depth;
}

static int arch(const struct dot *d, int level)
{
	return tdp_format_arch_level(d->fmt, level);
}

static void flush_run(struct dot *d)
{
	const struct tool_run *r = &d->run;
	uint64_t page = 1ull << tdp_format_level_shift(d->fmt, r->level);
	uint64_t out_last = r->out + (r->last - r->first);
	bool spp = tool_is_spp(d->fmt);
	char perms[5], size[16];
	FILE *f = d->f;
	unsigned int id;

	if (!d->have_run)
		return;
	d->have_run = false;
	id = d->next_id++;
	fprintf(f, "\tn%u [shape=note, label=\"0x%016llx-0x%016llx\\n", id,
		(unsigned long long)r->first, (unsigned long long)r->last);
	if (!spp)
		fprintf(f, "-> 0x%016llx-0x%016llx\\n",
			(unsigned long long)r->out,
			(unsigned long long)out_last);
	fprintf(f, "level %d: %llu x %s\\n", arch(d, r->level),
		(unsigned long long)r->pages,
		tool_size_name(page, size, sizeof(size)));
	if (!spp)
		fprintf(f, "%s", tool_perms_str(r->perms, perms));
	tool_print_attrs(f, d->fmt, &r->attrs);
	fprintf(f, "\"];\n\tn%u -> n%u;\n", d->table_id[r->depth], id);
}

/* The summary of what --depth hid below the table that ends. */
static void flush_hidden(struct dot *d, int depth)
{
	unsigned int id;

	if (!d->hidden_tables && !d->hidden_pages && !d->hidden_bad)
		return;
	id = d->next_id++;
	fprintf(d->f, "\tn%u [shape=plaintext, label=\"%llu tables, %llu "
		"pages, %llu bad entries below\"];\n"
		"\tn%u -> n%u [style=dotted];\n", id,
		(unsigned long long)d->hidden_tables,
		(unsigned long long)d->hidden_pages,
		(unsigned long long)d->hidden_bad, d->table_id[depth], id);
	d->hidden_tables = 0;
	d->hidden_pages = 0;
	d->hidden_bad = 0;
}

static int dot_node(const struct tree_node *n, void *arg)
{
	struct dot *d = arg;
	FILE *f = d->f;
	unsigned int id;

	if (n->kind != NODE_TABLE_END && hidden(d, n->depth)) {
		if (n->kind == NODE_TABLE)
			d->hidden_tables++;
		else if (n->kind == NODE_LEAF)
			d->hidden_pages++;
		else if (n->kind != NODE_INVALID)
			d->hidden_bad++;
		return 0;
	}
	if (d->have_run && tool_run_extends(&d->run, n)) {
		d->run.last = n->last;
		d->run.pages++;
		return 0;
	}
	flush_run(d);
	switch (n->kind) {
	case NODE_TABLE:
		id = d->next_id++;
		d->table_id[n->depth] = id;
		fprintf(f, "\tn%u [label=\"table 0x%016llx\\nlevel %d\\n"
			"0x%016llx-0x%016llx\"];\n", id,
			(unsigned long long)n->table_pa, arch(d, n->level),
			(unsigned long long)n->addr,
			(unsigned long long)n->last);
		if (!n->is_root)
			fprintf(f, "\tn%u -> n%u;\n",
				d->table_id[n->depth - 1], id);
		break;
	case NODE_TABLE_END:
		if (d->o->depth >= 0 && n->depth == d->o->depth)
			flush_hidden(d, n->depth);
		break;
	case NODE_LEAF:
		tool_run_start(&d->run, n);
		d->have_run = true;
		break;
	case NODE_LOOP:
		fprintf(f, "\tn%u -> n%u [style=dashed, color=red, "
			"label=\"loop 0x%016llx\"];\n",
			d->table_id[n->depth], d->table_id[n->loop_depth],
			(unsigned long long)n->raw);
		break;
	case NODE_BAD:
		id = d->next_id++;
		fprintf(f, "\tn%u [color=red, label=\"0x%016llx-0x%016llx\\n"
			"level %d raw 0x%016llx\\n%s%s%s\"];\n\tn%u -> n%u;\n",
			id, (unsigned long long)n->addr,
			(unsigned long long)n->last, arch(d, n->level),
			(unsigned long long)n->raw,
			tdp_fault_name((int)n->fault), n->detail ? " " : "",
			n->detail ? tool_detail_name(n->detail) : "",
			d->table_id[n->depth], id);
		break;
	case NODE_INVALID:
		break;
	}
	return 0;
}

int tool_cmd_dot(struct tool_opts *o)
{
	struct tool_image img = { 0 };
	struct dot d = { .o = o };
	int ret;

	ret = tool_open_single(o, &img);
	if (ret)
		goto out;
	d.fmt = &img.pgt.fmt;
	d.f = tool_out_begin();
	fprintf(d.f, "digraph tdp {\n\trankdir=LR;\n"
		"\tnode [shape=box, fontname=\"monospace\", fontsize=9];\n"
		"\tlabel=\"%s root 0x%016llx\";\n",
		tdp_format_name(d.fmt->cfg.format),
		(unsigned long long)img.pgt.root_pa);
	ret = tool_tree_walk(&img, o->max_entries, dot_node, &d);
	if (!ret)
		fprintf(d.f, "}\n");
	ret = tool_out_end(d.f, ret);
out:
	tool_image_close(&img);
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * `tdp dump` (the table tree as text or JSON) and `tdp stats` (what the
 * tree maps and what it costs). Both consume the traversal of tree.c.
 *
 * Text form, indented two spaces per table level:
 *   table pa=0x... level=N in=FIRST-LAST
 *   leaf in=FIRST-LAST out=FIRST-LAST level=N size=S pages=P perms=... mt=...
 *   bad in=FIRST-LAST level=N entry=0x... raw=0x... fault=KIND [detail=D]
 *   loop in=FIRST-LAST level=N entry=0x... raw=0x... table=0x...
 * and a count line per level at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct level_count {
	uint64_t tables;
	uint64_t pages;
};

struct dump {
	const struct tool_opts *o;
	const struct tdp_format *fmt;
	FILE *f;
	bool have_run;
	struct tool_run run;
	struct level_count count[TDP_MAX_LEVELS];
	/* JSON: whether the array at each depth has an element yet. */
	bool json_more[TDP_MAX_LEVELS + 2];
};

static void indent(FILE *f, int n)
{
	fprintf(f, "%*s", 2 * n, "");
}

static int arch(const struct dump *d, int level)
{
	return tdp_format_arch_level(d->fmt, level);
}

static void print_range(FILE *f, const char *key, uint64_t first,
			uint64_t last)
{
	fprintf(f, " %s=0x%016llx-0x%016llx", key, (unsigned long long)first,
		(unsigned long long)last);
}

static void json_sep(struct dump *d, int depth)
{
	if (d->json_more[depth])
		fputc(',', d->f);
	d->json_more[depth] = true;
}

static void json_hex(FILE *f, const char *key, uint64_t v)
{
	fprintf(f, ",\"%s\":\"0x%016llx\"", key, (unsigned long long)v);
}

/* --raw: where an entry is and what it holds. */
static void print_entry_raw(const struct dump *d, const struct tree_node *n)
{
	if (d->o->json) {
		json_hex(d->f, "entry", n->entry_pa);
		json_hex(d->f, "raw", n->raw);
	} else {
		fprintf(d->f, " entry=0x%016llx raw=0x%016llx",
			(unsigned long long)n->entry_pa,
			(unsigned long long)n->raw);
	}
}

/* Print the pending run; with --raw it is one entry, shown with raw. */
static void flush_run(struct dump *d, const struct tree_node *raw)
{
	const struct tool_run *r = &d->run;
	uint64_t page = 1ull << tdp_format_level_shift(d->fmt, r->level);
	uint64_t out_last = r->out + (r->last - r->first);
	bool spp = tool_is_spp(d->fmt);
	char perms[5], size[16];
	FILE *f = d->f;

	if (!d->have_run)
		return;
	d->have_run = false;
	tool_perms_str(r->perms, perms);
	if (d->o->json) {
		json_sep(d, r->depth + 1);
		fprintf(f, "{\"type\":\"leaf\",\"level\":%d",
			arch(d, r->level));
		json_hex(f, "first", r->first);
		json_hex(f, "last", r->last);
		if (!spp) {
			json_hex(f, "out_first", r->out);
			json_hex(f, "out_last", out_last);
			fprintf(f, ",\"perms\":\"%s\"", perms);
		}
		fprintf(f, ",\"page_size\":%llu,\"pages\":%llu",
			(unsigned long long)page, (unsigned long long)r->pages);
		tool_print_attrs_json(f, d->fmt, &r->attrs);
		if (raw)
			print_entry_raw(d, raw);
		fprintf(f, "}");
		return;
	}
	indent(f, r->depth + 1);
	fprintf(f, "leaf");
	print_range(f, "in", r->first, r->last);
	if (!spp)
		print_range(f, "out", r->out, out_last);
	fprintf(f, " level=%d size=%s pages=%llu", arch(d, r->level),
		tool_size_name(page, size, sizeof(size)),
		(unsigned long long)r->pages);
	if (!spp)
		fprintf(f, " perms=%s", perms);
	tool_print_attrs(f, d->fmt, &r->attrs);
	if (raw)
		print_entry_raw(d, raw);
	fputc('\n', f);
}

static void print_table(struct dump *d, const struct tree_node *n)
{
	FILE *f = d->f;
	uint64_t pages = n->table_bytes / d->fmt->table_size;

	if (d->o->json) {
		if (!n->is_root)
			json_sep(d, n->depth);
		fprintf(f, "{\"type\":\"table\",\"level\":%d",
			arch(d, n->level));
		json_hex(f, "pa", n->table_pa);
		json_hex(f, "first", n->addr);
		json_hex(f, "last", n->last);
		if (pages > 1)
			fprintf(f, ",\"concatenated\":%llu",
				(unsigned long long)pages);
		if (!n->is_root && d->o->raw)
			print_entry_raw(d, n);
		fprintf(f, ",\"entries\":[");
		d->json_more[n->depth + 1] = false;
		return;
	}
	indent(f, n->depth);
	fprintf(f, "table pa=0x%016llx level=%d",
		(unsigned long long)n->table_pa, arch(d, n->level));
	print_range(f, "in", n->addr, n->last);
	if (pages > 1)
		fprintf(f, " concatenated=%llu", (unsigned long long)pages);
	if (!n->is_root && d->o->raw)
		print_entry_raw(d, n);
	fputc('\n', f);
}

static void print_bad(struct dump *d, const struct tree_node *n)
{
	FILE *f = d->f;
	bool loop = n->kind == NODE_LOOP;

	if (d->o->json) {
		json_sep(d, n->depth + 1);
		fprintf(f, "{\"type\":\"%s\",\"level\":%d",
			loop ? "loop" : "bad", arch(d, n->level));
		json_hex(f, "first", n->addr);
		json_hex(f, "last", n->last);
		print_entry_raw(d, n);
		if (loop)
			json_hex(f, "table", n->table_pa);
		else
			fprintf(f, ",\"fault\":\"%s\",\"detail\":\"%s\"",
				tdp_fault_name((int)n->fault),
				tool_detail_name(n->detail));
		fprintf(f, "}");
		return;
	}
	indent(f, n->depth + 1);
	fprintf(f, "%s", loop ? "loop" : "bad");
	print_range(f, "in", n->addr, n->last);
	fprintf(f, " level=%d", arch(d, n->level));
	print_entry_raw(d, n);
	if (loop) {
		fprintf(f, " table=0x%016llx", (unsigned long long)n->table_pa);
	} else {
		fprintf(f, " fault=%s", tdp_fault_name((int)n->fault));
		if (n->detail != TDP_DETAIL_NONE)
			fprintf(f, " detail=%s", tool_detail_name(n->detail));
	}
	fputc('\n', f);
}

/* --raw: an entry that maps nothing but is not zero. */
static void print_invalid(struct dump *d, const struct tree_node *n)
{
	FILE *f = d->f;

	if (d->o->json) {
		json_sep(d, n->depth + 1);
		fprintf(f, "{\"type\":\"invalid\",\"level\":%d",
			arch(d, n->level));
		json_hex(f, "first", n->addr);
		json_hex(f, "last", n->last);
		print_entry_raw(d, n);
		fprintf(f, "}");
		return;
	}
	indent(f, n->depth + 1);
	fprintf(f, "invalid");
	print_range(f, "in", n->addr, n->last);
	fprintf(f, " level=%d", arch(d, n->level));
	print_entry_raw(d, n);
	fputc('\n', f);
}

static int dump_node(const struct tree_node *n, void *arg)
{
	struct dump *d = arg;

	if (d->have_run && !d->o->raw && tool_run_extends(&d->run, n)) {
		d->count[n->level].pages++;
		d->run.last = n->last;
		d->run.pages++;
		return 0;
	}
	flush_run(d, NULL);
	switch (n->kind) {
	case NODE_TABLE:
		d->count[n->level].tables++;
		print_table(d, n);
		break;
	case NODE_TABLE_END:
		if (d->o->json)
			fprintf(d->f, "]}");
		break;
	case NODE_LEAF:
		d->count[n->level].pages++;
		tool_run_start(&d->run, n);
		d->have_run = true;
		if (d->o->raw)
			flush_run(d, n);
		break;
	case NODE_LOOP:
	case NODE_BAD:
		print_bad(d, n);
		break;
	case NODE_INVALID:
		if (d->o->raw && n->raw)
			print_invalid(d, n);
		break;
	}
	return 0;
}

static void print_counts(struct dump *d)
{
	char size[16];
	int l;

	if (d->o->json) {
		fprintf(d->f, ",\"counts\":[");
		for (l = d->fmt->levels - 1; l >= 0; l--) {
			fprintf(d->f, "%s{\"level\":%d,\"page_size\":%llu,"
				"\"tables\":%llu,\"pages\":%llu}",
				l == d->fmt->levels - 1 ? "" : ",", arch(d, l),
				1ull << tdp_format_level_shift(d->fmt, l),
				(unsigned long long)d->count[l].tables,
				(unsigned long long)d->count[l].pages);
		}
		fprintf(d->f, "]");
		return;
	}
	for (l = d->fmt->levels - 1; l >= 0; l--) {
		uint64_t page = 1ull << tdp_format_level_shift(d->fmt, l);

		fprintf(d->f, "count level=%d size=%s tables=%llu pages=%llu\n",
			arch(d, l), tool_size_name(page, size, sizeof(size)),
			(unsigned long long)d->count[l].tables,
			(unsigned long long)d->count[l].pages);
	}
}

int tool_cmd_dump(struct tool_opts *o)
{
	struct tool_image img = { 0 };
	struct dump d = { .o = o };
	int ret;

	ret = tool_open_single(o, &img);
	if (ret)
		goto out;
	d.fmt = &img.pgt.fmt;
	d.f = tool_out_begin();
	if (o->json) {
		fprintf(d.f, "{\"format\":\"%s\",\"levels\":%u",
			tdp_format_name(d.fmt->cfg.format), d.fmt->levels);
		json_hex(d.f, "root", img.pgt.root_pa);
		fprintf(d.f, ",\"tree\":");
	}
	ret = tool_tree_walk(&img, o->max_entries, dump_node, &d);
	if (!ret) {
		print_counts(&d);
		if (o->json)
			fprintf(d.f, "}\n");
	}
	ret = tool_out_end(d.f, ret);
out:
	tool_image_close(&img);
	return ret;
}

/* --- stats ---------------------------------------------------------------- */

struct stats {
	const struct tool_image *img;
	struct level_count count[TDP_MAX_LEVELS];
	uint64_t bad;
	uint64_t bad_pointer;
	uint64_t loops;
	uint8_t *table_page; /* per 4 KiB page of the image: holds a table */
};

static int stats_node(const struct tree_node *n, void *arg)
{
	struct stats *s = arg;
	uint64_t off, i;

	switch (n->kind) {
	case NODE_TABLE:
		/* A PAE root is 32 bytes: it still takes a page here. */
		s->count[n->level].tables +=
			(n->table_bytes + s->img->pgt.fmt.table_size - 1) /
			s->img->pgt.fmt.table_size;
		off = n->table_pa - s->img->base;
		for (i = 0; i < n->table_bytes; i += TDP_MIN_TABLE_BYTES)
			s->table_page[(off + i) / TDP_MIN_TABLE_BYTES] = 1;
		break;
	case NODE_LEAF:
		s->count[n->level].pages++;
		break;
	case NODE_BAD:
		if (n->fault == TDP_FAULT_BAD_POINTER)
			s->bad_pointer++;
		else
			s->bad++;
		break;
	case NODE_LOOP:
		s->loops++;
		break;
	default:
		break;
	}
	return 0;
}

int tool_cmd_stats(struct tool_opts *o)
{
	struct tool_image img = { 0 };
	struct stats s = { .img = &img };
	const struct tdp_format *fmt;
	uint64_t mapped = 0, tables = 0, distinct = 0, i;
	char size[16];
	int ret, l;

	ret = tool_open_single(o, &img);
	if (ret)
		goto out;
	fmt = &img.pgt.fmt;
	s.table_page = calloc((size_t)(img.size / TDP_MIN_TABLE_BYTES), 1);
	if (!s.table_page) {
		ret = tool_err("out of memory");
		goto out;
	}
	ret = tool_tree_walk(&img, o->max_entries, stats_node, &s);
	if (ret)
		goto out;
	for (l = fmt->levels - 1; l >= 0; l--) {
		uint64_t page = 1ull << tdp_format_level_shift(fmt, l);

		if (!(fmt->leaf_levels & (1u << l)))
			continue;
		printf("mapped level=%d size=%s pages=%llu bytes=%llu\n",
		       tdp_format_arch_level(fmt, l),
		       tool_size_name(page, size, sizeof(size)),
		       (unsigned long long)s.count[l].pages,
		       (unsigned long long)(s.count[l].pages * page));
		mapped += s.count[l].pages * page;
	}
	printf("mapped total bytes=%llu\n", (unsigned long long)mapped);
	for (l = fmt->levels - 1; l >= 0; l--) {
		printf("tables level=%d pages=%llu\n",
		       tdp_format_arch_level(fmt, l),
		       (unsigned long long)s.count[l].tables);
		tables += s.count[l].tables;
	}
	for (i = 0; i < img.size / TDP_MIN_TABLE_BYTES; i++)
		distinct += s.table_page[i];
	printf("tables total pages=%llu bytes=%llu\n",
	       (unsigned long long)tables,
	       (unsigned long long)(tables * fmt->table_size));
	printf("bad reserved=%llu out-of-memory-image=%llu loops=%llu\n",
	       (unsigned long long)s.bad, (unsigned long long)s.bad_pointer,
	       (unsigned long long)s.loops);
	printf("pool bytes=%llu table-bytes=%llu used=%.1f%%\n",
	       (unsigned long long)img.size,
	       (unsigned long long)(distinct * TDP_MIN_TABLE_BYTES),
	       100.0 * (double)(distinct * TDP_MIN_TABLE_BYTES) /
		       (double)img.size);
out:
	free(s.table_page);
	tool_image_close(&img);
	return ret;
}

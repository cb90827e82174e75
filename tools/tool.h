/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Shared declarations of the `tdp` command-line tool. The tool uses only
 * libtdp's public API; everything here is private to it.
 */
#ifndef TDP_TOOL_H
#define TDP_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libtdp/tdp.h>

/* Exit statuses: the documented contract of the tool. */
#define EXIT_OK 0
#define EXIT_FAULT 1 /* translate --fail-on-fault found a fault */
#define EXIT_USAGE 2 /* bad usage or bad input */

enum tool_cmd {
	CMD_BUILD,
	CMD_TRANSLATE,
	CMD_DUMP,
	CMD_DOT,
	CMD_DIFF,
	CMD_STATS,
	CMD_COUNT
};

#define CMD_BIT(c) (1u << (c))
#define CMD_ALL ((1u << CMD_COUNT) - 1u)
/* Commands that read an existing image with --image. */
#define CMD_READERS                                                           \
	(CMD_BIT(CMD_TRANSLATE) | CMD_BIT(CMD_DUMP) | CMD_BIT(CMD_DOT) |      \
	 CMD_BIT(CMD_STATS))

/*
 * Format families: what the tool does differently per architecture (which
 * registers `build` prints, which options apply, how translate reports a
 * hit). Adding a format the library gains is one row in tool_formats[].
 */
enum tool_family {
	FAM_EPT = 1u << 0,
	FAM_PAGING = 1u << 1, /* IA-32e, PAE, 32-bit paging */
	FAM_S2 = 1u << 2,
	FAM_SPP = 1u << 3,
};

/* A bit per ::tdp_format_id, for options that apply to some formats. */
#define FMT_BIT(id) (1u << (id))
#define FMTS_EPT (FMT_BIT(TDP_FMT_EPT4) | FMT_BIT(TDP_FMT_EPT5))
#define FMTS_IA32E (FMT_BIT(TDP_FMT_IA32E4) | FMT_BIT(TDP_FMT_IA32E5))
#define FMTS_PAGING                                                           \
	(FMTS_IA32E | FMT_BIT(TDP_FMT_PAE) | FMT_BIT(TDP_FMT_LEGACY32))
#define FMTS_S2                                                               \
	(FMT_BIT(TDP_FMT_S2_4K) | FMT_BIT(TDP_FMT_S2_16K) |                   \
	 FMT_BIT(TDP_FMT_S2_64K))
#define FMTS_ALL (FMTS_EPT | FMTS_PAGING | FMTS_S2 | FMT_BIT(TDP_FMT_SPP))

struct tool_format {
	uint32_t id;     /* ::tdp_format_id; the name comes from libtdp */
	uint32_t family; /* enum tool_family */
	/* The tool's defaults where the user gives none (0: libtdp's). */
	uint8_t default_pa_bits;
	uint8_t default_ia_bits;
};

/* Everything the command line said. */
struct tool_opts {
	enum tool_cmd cmd;
	bool help;
	const struct tool_format *tf;
	struct tdp_format_config cfg;
	bool have_format;
	bool have_pa_bits;
	bool have_ia_bits;

	const char *image;
	uint64_t base;
	uint64_t root;
	bool have_root;
	uint64_t base_b;
	uint64_t root_b;
	bool have_base_b;
	bool have_root_b;

	/* build */
	uint64_t size;
	bool have_size;
	const char *out;
	const char **ops_files;
	int n_ops_files;
	uint16_t vmid;

	/* translate */
	uint32_t access;
	bool verbose;
	bool fail_on_fault;

	/* dump, dot, diff, stats */
	bool json;
	bool raw;
	int depth; /* -1: no limit */
	bool sizes; /* diff: page-size changes count as differences */
	uint64_t max_entries;

	/* Positional arguments, in order. */
	char **pos;
	int n_pos;
};

/* A memory image: the pool over a buffer standing for physical memory. */
struct tool_image {
	uint8_t *mem;
	uint64_t base;
	uint64_t size;
	uint64_t *bitmap;
	struct tdp_pool pool;
	struct tdp_pgt pgt;
	const char *name; /* file name, for messages */
};

/* --- messages (opts.c) ---------------------------------------------------- */

/* The command name used to prefix messages ("tdp build"). */
extern const char *tool_prog;

/* Print "tdp CMD: message" on stderr and return EXIT_USAGE. */
int tool_err(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

/* --- parsing (opts.c) ----------------------------------------------------- */

/* A number: decimal or 0x hex, optionally with a k/m/g/t (binary) suffix. */
bool tool_parse_u64(const char *s, uint64_t *v);
bool tool_parse_int(const char *s, long lo, long hi, long *v);
int tool_parse_args(int argc, char **argv, enum tool_cmd cmd,
		    struct tool_opts *o);
/* Resolve o->cfg into a format, with a clear message on failure. */
int tool_resolve_format(const struct tool_opts *o, struct tdp_format *fmt);
const char *tool_cmd_name(enum tool_cmd cmd);
const struct tool_format *tool_format_by_id(uint32_t id);

/* --- images (image.c) ----------------------------------------------------- */

/* Load FILE as physical memory from base and attach to the root at root. */
int tool_image_open(struct tool_image *img, const struct tool_opts *o,
		    const char *file, uint64_t base, uint64_t root);
/* A new zeroed image of size bytes from base, with its pool (no table). */
int tool_image_new(struct tool_image *img, uint64_t base, uint64_t size);
void tool_image_close(struct tool_image *img);
/* For the commands that read one image: check the options, resolve the
 * format, open --image at --base with the root at --root. */
int tool_open_single(struct tool_opts *o, struct tool_image *img);
uint64_t tool_image_pa(const struct tool_image *img, const void *p);

/* --- printing helpers (print.c) ------------------------------------------- */

/* "rwxu" with '-' for what is missing; S or U in the x column when only
 * supervisor (EL1) or only user (EL0) may execute. buf holds 5 bytes. */
const char *tool_perms_str(uint32_t perms, char *buf);
const char *tool_memtype_name(unsigned int mt);
const char *tool_detail_name(uint32_t detail);
const char *tool_kind_name(uint32_t kind);
/* "4K", "2M", "1G", "512G", ... */
const char *tool_size_name(uint64_t size, char *buf, size_t len);
/* Attributes after perms: "mt=wb flags=a,d sh=inner ..." */
void tool_print_attrs(FILE *f, const struct tdp_format *fmt,
		      const struct tdp_attrs *a);
/* The same as a JSON object's members (leading comma included). */
void tool_print_attrs_json(FILE *f, const struct tdp_format *fmt,
			   const struct tdp_attrs *a);
/*
 * Output that must appear whole or not at all (dump, dot): written to a
 * temporary file and copied to stdout by tool_out_end() only when ret is 0.
 */
FILE *tool_out_begin(void);
int tool_out_end(FILE *f, int ret);
/* SPPT leaves map no output address and grant nothing: only a bitmap. */
bool tool_is_spp(const struct tdp_format *fmt);

/* --- the table-tree traversal (tree.c) ------------------------------------ */

enum tree_node_kind {
	NODE_TABLE,   /* a table the walk enters (the root has depth 0) */
	NODE_LOOP,    /* a table entry pointing at a table on its own path */
	NODE_LEAF,    /* a valid leaf */
	NODE_INVALID, /* not present */
	NODE_BAD,     /* reserved (malformed) or pointer outside the image */
	NODE_TABLE_END,
};

struct tree_node {
	enum tree_node_kind kind;
	int depth;        /* 0 = the root table's entries */
	/* Engine level of the entry; for TABLE, of the table's entries. */
	int level;
	uint64_t addr;     /* first input address (canonical form) */
	uint64_t size;     /* bytes the entry covers (0 for the root) */
	uint64_t last;     /* last input address covered (canonical form) */
	uint64_t raw;      /* the entry (TABLE, LOOP: the parent entry) */
	uint64_t entry_pa; /* where the entry is (TABLE, LOOP: the parent) */
	bool is_root;      /* TABLE: the root (raw, entry_pa meaningless) */
	uint64_t table_pa; /* TABLE, LOOP: the table pointed to */
	uint64_t table_bytes;
	int loop_depth;    /* LOOP: depth of the path's table it points at */
	/* LEAF: the translation as tdp_lookup() reports it. */
	uint64_t out;
	uint32_t perms;   /* effective: every level's restrictions combined */
	struct tdp_attrs attrs;
	/* BAD: why. */
	uint32_t fault;
	uint32_t detail;
	uint32_t entry_kind; /* ::tdp_entry_kind */
};

typedef int (*tree_fn)(const struct tree_node *n, void *arg);

/*
 * Visit the whole tree in address order: every table (before its entries),
 * every entry that is not a table, and the end of every table. A table
 * pointing at a table on its own path is reported as NODE_LOOP and not
 * entered. Stops with a message (EXIT_USAGE) after max_entries entries.
 */
int tool_tree_walk(const struct tool_image *img, uint64_t max_entries,
		   tree_fn fn, void *arg);

/* A run of contiguous leaves with equal attributes. */
struct tool_run {
	uint64_t first;    /* input, inclusive */
	uint64_t last;
	uint64_t out;      /* output address of first */
	uint64_t pages;
	int level;
	uint32_t perms;
	struct tdp_attrs attrs;
	int depth;
};

bool tool_run_extends(const struct tool_run *r, const struct tree_node *n);
void tool_run_start(struct tool_run *r, const struct tree_node *n);

/* --- commands ------------------------------------------------------------- */

int tool_cmd_build(struct tool_opts *o);
int tool_cmd_translate(struct tool_opts *o);
int tool_cmd_dump(struct tool_opts *o);
int tool_cmd_dot(struct tool_opts *o);
int tool_cmd_stats(struct tool_opts *o);
int tool_cmd_diff(struct tool_opts *o);

void tool_usage(FILE *f, enum tool_cmd cmd);
void tool_usage_main(FILE *f);

#endif /* TDP_TOOL_H */

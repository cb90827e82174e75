/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * `tdp build`: create an image, apply operations, write it, print the
 * register values a CPU would be given. Operations come from --ops files
 * and from the command line (one operation per argument). The image is
 * written only when every operation succeeded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct build {
	struct tool_opts *o;
	struct tool_image img;
	const struct tdp_format *fmt;
	/* EPT with spp operations: the SPPT, made in the same image. */
	struct tdp_pgt sppt;
	bool have_sppt;
	const char *where; /* "FILE:LINE" or "op N" */
	const char *text;  /* the operation as written */
};

/* An operation as written, and where: "FILE:LINE" or "op N". */
struct op_line {
	char *where;
	char *text;
};

struct op_list {
	struct op_line *v;
	size_t n;
	size_t cap;
};

#define MAX_WORDS 32

static int op_err(const struct build *b, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static int op_err(const struct build *b, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: '%s': ", tool_prog, b->where, b->text);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static bool split_exec(const struct tdp_format *fmt)
{
	return fmt->cfg.features & (TDP_FEAT_EPT_MBEC | TDP_FEAT_S2_XNX);
}

static uint32_t family(const struct build *b)
{
	return b->o->tf->family;
}

static int parse_perms(const struct build *b, const char *s, uint32_t *perms)
{
	const char *p;

	*perms = 0;
	if (!*s)
		return op_err(b, "empty permissions");
	for (p = s; *p; p++) {
		switch (*p) {
		case 'r': *perms |= TDP_PERM_R; break;
		case 'w': *perms |= TDP_PERM_W; break;
		case 'x': *perms |= TDP_PERM_X | TDP_PERM_XU; break;
		case '-': break;
		case 'u':
			if (family(b) != FAM_PAGING)
				return op_err(b, "'u' (user-accessible) exists "
					      "only in x86 paging formats");
			*perms |= TDP_PERM_U;
			break;
		case 'S':
		case 'U':
			if (!split_exec(b->fmt))
				return op_err(b, "'%c' (execute in one mode "
					      "only) needs --mbec (EPT) or "
					      "--xnx (arm64)", *p);
			*perms |= *p == 'S' ? TDP_PERM_X : TDP_PERM_XU;
			break;
		default:
			return op_err(b, "unknown permission '%c' in '%s' (use "
				      "r, w, x, u, S, U or -)", *p, s);
		}
	}
	return 0;
}

static int parse_num(const struct build *b, const char *what, const char *s,
		     uint64_t *v)
{
	if (!tool_parse_u64(s, v))
		return op_err(b, "%s '%s' is not a number", what, s);
	return 0;
}

static int parse_bool(const struct build *b, const char *key, const char *v,
		      bool *out)
{
	if (!strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "0"))
		*out = false;
	else
		return op_err(b, "%s=%s: expected 0 or 1", key, v);
	return 0;
}

static int parse_memtype(const struct build *b, const char *v, uint8_t *mt)
{
	unsigned int i;

	for (i = 0; i <= TDP_MT_DEV_GRE; i++) {
		if (!strcmp(v, tool_memtype_name(i))) {
			*mt = (uint8_t)i;
			return 0;
		}
	}
	return op_err(b, "mt=%s: unknown memory type (wb uc wc wt wp uc- nc "
		      "dev-ngnrne dev-ngnre dev-ngre dev-gre)", v);
}

/* xn= replaces the execute permissions where execute is split by mode. */
static int parse_xn(const struct build *b, const char *v, uint32_t *perms)
{
	uint32_t x;

	if (!split_exec(b->fmt))
		return op_err(b, "xn= needs --mbec (EPT) or --xnx (arm64); "
			      "elsewhere use x or - in the permissions");
	if (!strcmp(v, "none"))
		x = TDP_PERM_X | TDP_PERM_XU;
	else if (!strcmp(v, "all"))
		x = 0;
	else if (!strcmp(v, "el0") || !strcmp(v, "user"))
		x = TDP_PERM_X;
	else if (!strcmp(v, "el1") || !strcmp(v, "supervisor"))
		x = TDP_PERM_XU;
	else
		return op_err(b, "xn=%s: expected none, all, el0 (or user) or "
			      "el1 (or supervisor)", v);
	*perms = (*perms & ~(TDP_PERM_X | TDP_PERM_XU)) | x;
	return 0;
}

/* max=SIZE: the largest leaf the mapping may use. */
static int parse_max(const struct build *b, const char *v, uint32_t *flags)
{
	char sizes[128] = "", name[32];
	uint64_t size;
	int l;

	if (!tool_parse_u64(v, &size))
		return op_err(b, "max=%s is not a size", v);
	for (l = 0; l < b->fmt->levels; l++) {
		int shift = tdp_format_level_shift(b->fmt, l);

		if (!(b->fmt->leaf_levels & (1u << l)))
			continue;
		if (size == 1ull << shift) {
			*flags |= TDP_OP_MAX_LEVEL(l);
			return 0;
		}
		tool_size_name(1ull << shift, name, sizeof(name));
		strncat(sizes, " ", sizeof(sizes) - strlen(sizes) - 1);
		strncat(sizes, name, sizeof(sizes) - strlen(sizes) - 1);
	}
	return op_err(b, "max=%s is not a page size of %s (one of:%s)", v,
		      tdp_format_name(b->fmt->cfg.format), sizes);
}

/* Why a format may refuse permissions, for the common cases. */
static const char *perms_hint(const struct build *b, uint32_t perms)
{
	uint32_t feat = b->fmt->cfg.features;

	switch (family(b)) {
	case FAM_EPT:
		if ((perms & TDP_PERM_W) && !(perms & TDP_PERM_R))
			return " (EPT: write needs read)";
		if ((perms & TDP_PERM_X) && !(perms & TDP_PERM_R) &&
		    !(feat & TDP_FEAT_EPT_EXEC_ONLY))
			return " (EPT: execute-only needs --exec-only)";
		if (!(perms & (TDP_PERM_RWX)))
			return " (EPT: an entry without permissions maps "
			       "nothing)";
		break;
	case FAM_PAGING:
		if (!(perms & TDP_PERM_R))
			return " (x86 paging: every page is readable)";
		if (!(perms & TDP_PERM_X) &&
		    (b->fmt->cfg.format == TDP_FMT_LEGACY32 ||
		     (feat & TDP_FEAT_NO_NX)))
			return " (without NX every page is executable: add x)";
		break;
	default:
		break;
	}
	return "";
}

/* Explain a libtdp error of a map, unmap, protect or mkold. */
static int lib_err(const struct build *b, int ret, uint32_t perms)
{
	char page[16];

	tool_size_name(1ull << tdp_format_level_shift(b->fmt, 0), page,
		       sizeof(page));
	switch (-ret) {
	case TDP_ERR_ALIGN:
		return op_err(b, "addresses and sizes must be multiples of %s",
			      page);
	case TDP_ERR_RANGE:
		return op_err(b, "the range is outside the %u-bit input space, "
			      "or the output beyond --pa-bits %u",
			      b->fmt->ia_bits, b->fmt->pa_bits);
	case TDP_ERR_NOTSUP:
		return op_err(b, "%s cannot express these attributes%s",
			      tdp_format_name(b->fmt->cfg.format),
			      perms_hint(b, perms));
	case TDP_ERR_EXIST:
		return op_err(b, "something is already mapped in the range "
			      "(add replace=1 to replace it)");
	case TDP_ERR_BADTABLE:
		return op_err(b, "a corrupt entry lies in the way");
	case TDP_ERR_NOMEM:
		return op_err(b, "no room for more tables in the image "
			      "(increase --size)");
	default:
		return op_err(b, "%s", tdp_strerror(ret));
	}
}

/* What a map operation asks for, as its KEY=VALUE words build it up. */
struct map_req {
	struct tdp_attrs attrs;
	uint32_t flags;
	bool af;
};

/* Flag keys: KEY=0|1 sets or clears one attribute flag. */
static const struct {
	const char *key;
	uint32_t bit;
} flag_keys[] = {
	{ "dirty", TDP_ATTR_DIRTY },
	{ "global", TDP_ATTR_GLOBAL },
	{ "ipat", TDP_ATTR_IGNORE_PAT },
	{ "sve", TDP_ATTR_SUPPRESS_VE },
	{ "dbm", TDP_ATTR_DBM },
	{ "cont", TDP_ATTR_CONTIGUOUS },
};

static int parse_sh(const struct build *b, const char *v, uint8_t *sh)
{
	if (!strcmp(v, "none"))
		*sh = TDP_SH_NONE;
	else if (!strcmp(v, "outer"))
		*sh = TDP_SH_OUTER;
	else if (!strcmp(v, "inner"))
		*sh = TDP_SH_INNER;
	else
		return op_err(b, "sh=%s: expected none, outer or inner", v);
	return 0;
}

/* One KEY=VALUE word of a map operation (cut in place). */
static int map_key(const struct build *b, char *word, struct map_req *m)
{
	char *val = strchr(word, '=');
	uint64_t n = 0;
	size_t k;
	bool v = false;
	long l;
	int ret;

	if (!val)
		return op_err(b, "'%s' is not KEY=VALUE", word);
	*val++ = '\0';
	if (!strcmp(word, "mt"))
		return parse_memtype(b, val, &m->attrs.memtype);
	if (!strcmp(word, "af"))
		return parse_bool(b, word, val, &m->af);
	if (!strcmp(word, "max"))
		return parse_max(b, val, &m->flags);
	if (!strcmp(word, "xn"))
		return parse_xn(b, val, &m->attrs.perms);
	if (!strcmp(word, "sh"))
		return parse_sh(b, val, &m->attrs.shareability);
	if (!strcmp(word, "replace")) {
		ret = parse_bool(b, word, val, &v);
		if (!ret && v)
			m->flags |= TDP_OP_REPLACE;
		return ret;
	}
	if (!strcmp(word, "pat")) {
		if (!tool_parse_int(val, 0, 7, &l))
			return op_err(b, "pat=%s: expected 0..7", val);
		m->attrs.pat = (uint8_t)l;
		m->attrs.flags |= TDP_ATTR_PAT_INDEX;
		return 0;
	}
	if (!strcmp(word, "pkey")) {
		if (!tool_parse_int(val, 0, 15, &l))
			return op_err(b, "pkey=%s: expected 0..15", val);
		m->attrs.pkey = (uint8_t)l;
		return 0;
	}
	if (!strcmp(word, "sw")) {
		ret = parse_num(b, "sw", val, &n);
		if (!ret && n > UINT32_MAX)
			return op_err(b, "sw=%s is too large", val);
		m->attrs.sw = (uint32_t)n;
		return ret;
	}
	for (k = 0; k < sizeof(flag_keys) / sizeof(flag_keys[0]); k++) {
		if (strcmp(word, flag_keys[k].key))
			continue;
		ret = parse_bool(b, word, val, &v);
		if (!ret && v)
			m->attrs.flags |= flag_keys[k].bit;
		return ret;
	}
	return op_err(b, "unknown key '%s' (mt af max xn replace dirty "
		      "global ipat sve dbm cont pat pkey sh sw)", word);
}

static int op_map(struct build *b, char **w, int n)
{
	/* arm64 maps with AF set by default, so the mapping is usable. */
	struct map_req m = { .af = family(b) == FAM_S2 };
	uint64_t addr, size, pa;
	int i, ret;

	if ((ret = parse_num(b, "ADDR", w[1], &addr)) ||
	    (ret = parse_num(b, "SIZE", w[2], &size)) ||
	    (ret = parse_num(b, "PA", w[3], &pa)) ||
	    (ret = parse_perms(b, w[4], &m.attrs.perms)))
		return ret;
	for (i = 5; i < n; i++) {
		ret = map_key(b, w[i], &m);
		if (ret)
			return ret;
	}
	if (m.af)
		m.attrs.flags |= TDP_ATTR_ACCESSED;
	ret = tdp_map(&b->img.pgt, addr, size, pa, &m.attrs, m.flags, NULL);
	return ret ? lib_err(b, ret, m.attrs.perms) : 0;
}

static int parse_range(struct build *b, char **w, uint64_t *addr,
		       uint64_t *size)
{
	int ret = parse_num(b, "ADDR", w[1], addr);

	return ret ? ret : parse_num(b, "SIZE", w[2], size);
}

static int op_unmap(struct build *b, char **w, int n)
{
	uint64_t addr, size;
	int ret = parse_range(b, w, &addr, &size);

	(void)n;
	if (!ret && (ret = tdp_unmap(&b->img.pgt, addr, size, 0, NULL)))
		return lib_err(b, ret, TDP_PERM_RWX);
	return ret;
}

static int op_protect(struct build *b, char **w, int n)
{
	uint32_t perms, all = TDP_PERM_RWX | TDP_PERM_U;
	uint64_t addr, size;
	int i, ret = parse_range(b, w, &addr, &size);

	if (ret || (ret = parse_perms(b, w[3], &perms)))
		return ret;
	for (i = 4; i < n; i++) {
		if (strncmp(w[i], "xn=", 3))
			return op_err(b, "'%s': protect takes only xn=", w[i]);
		ret = parse_xn(b, w[i] + 3, &perms);
		if (ret)
			return ret;
	}
	ret = tdp_protect(&b->img.pgt, addr, size, perms, all & ~perms, 0,
			  NULL);
	return ret ? lib_err(b, ret, perms) : 0;
}

static int op_mkold(struct build *b, char **w, int n)
{
	uint64_t addr, size;
	int ret = parse_range(b, w, &addr, &size);

	(void)n;
	if (ret)
		return ret;
	ret = tdp_test_clear_young(&b->img.pgt, addr, size, 0, NULL);
	if (ret == -TDP_ERR_NOTSUP)
		return op_err(b, "%s has no accessed flags%s",
			      tdp_format_name(b->fmt->cfg.format),
			      family(b) == FAM_EPT ? " without --ad" : "");
	return ret ? lib_err(b, ret, TDP_PERM_RWX) : 0;
}

static int op_poke(struct build *b, char **w, int n)
{
	unsigned int bytes = b->fmt->entry_size, i;
	uint64_t pa, val;
	uint8_t *p;
	int ret;

	(void)n;
	if ((ret = parse_num(b, "PA", w[1], &pa)) ||
	    (ret = parse_num(b, "VALUE", w[2], &val)))
		return ret;
	if (pa % bytes)
		return op_err(b, "PA is not a multiple of the %u-byte entry "
			      "size", bytes);
	if (bytes < 8 && val >> (8 * bytes))
		return op_err(b, "VALUE does not fit in a %u-byte entry",
			      bytes);
	p = tdp_pool_phys_to_virt(&b->img.pool, pa, bytes);
	if (!p)
		return op_err(b, "PA is outside the image (0x%llx-0x%llx)",
			      (unsigned long long)b->img.base,
			      (unsigned long long)(b->img.base + b->img.size -
						   1));
	/* Tables are little-endian whatever the host is. */
	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(val >> (8 * i));
	return 0;
}

static int make_sppt(struct build *b)
{
	struct tdp_format_config cfg = {
		.format = TDP_FMT_SPP,
		.pa_bits = b->fmt->pa_bits,
	};
	struct tdp_mm mm = tdp_pool_mm(&b->img.pool);
	int ret;

	if (b->have_sppt)
		return 0;
	ret = tdp_pgt_init(&b->sppt, &cfg, &mm);
	if (ret == -TDP_ERR_NOMEM)
		return op_err(b, "no room for the SPPT root in the image "
			      "(increase --size)");
	if (ret)
		return op_err(b, "cannot create the SPPT: %s",
			      tdp_strerror(ret));
	b->have_sppt = true;
	return 0;
}

/*
 * spp ADDR BITMAP: on EPT, sub-page protect the frame (SPPT entry plus the
 * EPT leaf's SPP bit, write cleared); on an SPPT image, set the entry.
 */
static int op_spp(struct build *b, char **w, int n)
{
	uint64_t addr, bitmap;
	int ret;

	(void)n;
	if ((ret = parse_num(b, "ADDR", w[1], &addr)) ||
	    (ret = parse_num(b, "BITMAP", w[2], &bitmap)))
		return ret;
	if (bitmap > UINT32_MAX)
		return op_err(b, "BITMAP has 32 bits (one per 128-byte "
			      "sub-page)");
	if (family(b) == FAM_SPP) {
		ret = tdp_spp_set(&b->img.pgt, addr, 4096, (uint32_t)bitmap,
				  NULL);
	} else {
		ret = make_sppt(b);
		if (ret)
			return ret;
		ret = tdp_spp_protect(&b->img.pgt, &b->sppt, addr,
				      (uint32_t)bitmap);
	}
	if (ret == -TDP_ERR_NOENT)
		return op_err(b, "the EPT does not map ADDR (map it first)");
	if (ret == -TDP_ERR_RANGE)
		return op_err(b, "ADDR is at or above 2^48, beyond the SPPT");
	return ret ? lib_err(b, ret, TDP_PERM_RWX) : 0;
}

/* The operations; adding one is a row here and its function. */
static const struct op_desc {
	const char *name;
	int min_words; /* including the name */
	int max_words; /* -1: KEY=VALUE words may follow */
	uint32_t formats;
	int (*run)(struct build *b, char **w, int n);
	const char *syntax;
} op_table[] = {
	{ "map", 5, -1, FMTS_ALL & ~FMT_BIT(TDP_FMT_SPP), op_map,
	  "map ADDR SIZE PA PERMS [KEY=VALUE...]" },
	{ "unmap", 3, 3, FMTS_ALL, op_unmap,
	  "unmap ADDR SIZE" },
	{ "protect", 4, -1, FMTS_ALL & ~FMT_BIT(TDP_FMT_SPP), op_protect,
	  "protect ADDR SIZE PERMS [xn=...]" },
	{ "mkold", 3, 3, FMTS_ALL & ~FMT_BIT(TDP_FMT_SPP), op_mkold,
	  "mkold ADDR SIZE" },
	{ "poke", 3, 3, FMTS_ALL, op_poke, "poke PA VALUE" },
	{ "spp", 3, 3, FMTS_EPT | FMT_BIT(TDP_FMT_SPP), op_spp,
	  "spp ADDR BITMAP" },
};

/* Cut s into blank-separated words in place; -1 if there are too many. */
static int split_words(char *s, char **w, int max)
{
	int n = 0;

	for (;;) {
		s += strspn(s, " \t\r\n");
		if (!*s)
			return n;
		if (n == max)
			return -1;
		w[n++] = s;
		s += strcspn(s, " \t\r\n");
		if (*s)
			*s++ = '\0';
	}
}

static int run_op(struct build *b, const char *line)
{
	const struct op_desc *d = NULL;
	char *w[MAX_WORDS], *copy;
	size_t i;
	int n, ret;

	/* Messages quote the operation as written; words are cut in a copy. */
	copy = malloc(strlen(line) + 1);
	if (!copy)
		return tool_err("out of memory");
	strcpy(copy, line);
	n = split_words(copy, w, MAX_WORDS);
	if (n < 0) {
		free(copy);
		return op_err(b, "too many words");
	}
	if (!n) {
		free(copy);
		return 0;
	}
	for (i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
		if (!strcmp(w[0], op_table[i].name))
			d = &op_table[i];
	if (!d)
		ret = op_err(b, "unknown operation '%s' (map unmap protect "
			     "mkold poke spp)", w[0]);
	else if (!(d->formats & FMT_BIT(b->fmt->cfg.format)))
		ret = op_err(b, "%s does not apply to format %s", d->name,
			     tdp_format_name(b->fmt->cfg.format));
	else if (n < d->min_words || (d->max_words >= 0 && n > d->max_words))
		ret = op_err(b, "expected: %s", d->syntax);
	else
		ret = d->run(b, w, n);
	free(copy);
	return ret;
}

static int ops_add(struct op_list *l, const char *where, const char *text)
{
	size_t wl = strlen(where) + 1, tl = strlen(text) + 1;
	char *mem;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct op_line *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return tool_err("out of memory");
		l->v = v;
		l->cap = cap;
	}
	mem = malloc(wl + tl);
	if (!mem)
		return tool_err("out of memory");
	memcpy(mem, where, wl);
	memcpy(mem + wl, text, tl);
	l->v[l->n].where = mem;
	l->v[l->n].text = mem + wl;
	l->n++;
	return 0;
}

static void ops_free(struct op_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].where);
	free(l->v);
}

/*
 * One operation per line; '#' starts a comment; blank lines are skipped.
 * "-" is the standard input.
 */
static int ops_read_file(struct op_list *l, const char *file)
{
	bool std = !strcmp(file, "-");
	char where[512], line[4096];
	FILE *f = std ? stdin : fopen(file, "r");
	unsigned long lineno = 0;
	int ret = 0;

	if (!f)
		return tool_err("cannot open ops file %s: %s", file,
				strerror(errno));
	while (!ret && fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#'), *text;
		size_t len;

		lineno++;
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			ret = tool_err("%s:%lu: line too long", file, lineno);
			break;
		}
		if (hash)
			*hash = '\0';
		len = strlen(line);
		for (; len && strchr(" \t\r\n", line[len - 1]); len--)
			line[len - 1] = '\0';
		text = line + strspn(line, " \t");
		if (!*text)
			continue;
		snprintf(where, sizeof(where), "%s:%lu", file, lineno);
		ret = ops_add(l, where, text);
	}
	if (!ret && ferror(f))
		ret = tool_err("cannot read ops file %s", file);
	if (!std)
		fclose(f);
	return ret;
}

static int ops_collect(struct op_list *l, const struct tool_opts *o)
{
	char where[32];
	int i, ret = 0;

	for (i = 0; !ret && i < o->n_ops_files; i++)
		ret = ops_read_file(l, o->ops_files[i]);
	for (i = 0; !ret && i < o->n_pos; i++) {
		snprintf(where, sizeof(where), "op %d", i + 1);
		ret = ops_add(l, where, o->pos[i]);
	}
	return ret;
}

/* Whether an operation is an spp one (the EPT then needs TDP_FEAT_EPT_SPP). */
static bool ops_use_spp(const struct op_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *t = l->v[i].text + strspn(l->v[i].text, " \t");

		if (!strncmp(t, "spp", 3) && (!t[3] || strchr(" \t", t[3])))
			return true;
	}
	return false;
}

static int make_root(struct build *b)
{
	const struct tdp_format *fmt = b->fmt;
	struct tdp_mm mm = tdp_pool_mm(&b->img.pool);
	uint64_t root = b->o->root, claim;
	int ret;

	if (!b->o->have_root) {
		ret = tdp_pgt_init(&b->img.pgt, &b->o->cfg, &mm);
		if (ret == -TDP_ERR_NOMEM)
			return tool_err("no room for the %u-byte root table in "
					"the image (increase --size)",
					fmt->root_size);
		return ret ? tool_err("cannot create the root table: %s",
				      tdp_strerror(ret)) : 0;
	}
	if (root % fmt->root_align)
		return tool_err("--root 0x%llx is not aligned as %s requires "
				"(%u bytes)", (unsigned long long)root,
				tdp_format_name(fmt->cfg.format),
				fmt->root_align);
	/* The pool works in whole pages: claim every page the root touches. */
	claim = (fmt->root_size + TDP_MIN_TABLE_BYTES - 1) &
		~(uint64_t)(TDP_MIN_TABLE_BYTES - 1);
	ret = tdp_pool_claim(&b->img.pool, root & ~(uint64_t)4095, claim);
	if (ret)
		return tool_err("--root 0x%llx: the %u-byte root table is not "
				"inside the image (0x%llx-0x%llx)",
				(unsigned long long)root, fmt->root_size,
				(unsigned long long)b->img.base,
				(unsigned long long)(b->img.base +
						     b->img.size - 1));
	ret = tdp_pgt_init_at(&b->img.pgt, &b->o->cfg, &mm, root);
	return ret ? tool_err("cannot attach the root at 0x%llx: %s",
			      (unsigned long long)root, tdp_strerror(ret)) : 0;
}

/* "root=0x... REG=0x...": the registers a CPU would be given. */
static int format_registers(const struct build *b, char *buf, size_t len)
{
	const struct tdp_format *fmt = b->fmt;
	uint64_t root = b->img.pgt.root_pa, v1, v2;
	int ret = 0, n;

	n = snprintf(buf, len, "root=0x%016llx", (unsigned long long)root);
	buf += n;
	len -= (size_t)n;
	switch (b->o->tf->family) {
	case FAM_EPT: {
		struct tdp_eptp e = {
			.root_pa = root,
			.memtype = TDP_MT_WB,
			.levels = fmt->levels,
			.ad = fmt->cfg.features & TDP_FEAT_EPT_AD,
		};

		ret = tdp_eptp_make(&e, fmt->pa_bits, &v1);
		if (!ret)
			snprintf(buf, len, " eptp=0x%016llx",
				 (unsigned long long)v1);
		break;
	}
	case FAM_PAGING:
		snprintf(buf, len, " cr3=0x%016llx", (unsigned long long)root);
		break;
	case FAM_S2:
		ret = tdp_s2_make_vttbr(fmt, root, b->o->vmid,
					TDP_S2_VTCR_VMID16, &v1);
		if (!ret)
			ret = tdp_s2_make_vtcr(fmt, TDP_S2_VTCR_VMID16, &v2);
		if (!ret)
			snprintf(buf, len, " vttbr_el2=0x%016llx "
				 "vtcr_el2=0x%016llx", (unsigned long long)v1,
				 (unsigned long long)v2);
		break;
	case FAM_SPP:
		ret = tdp_spptp_make(root, fmt->pa_bits, &v1);
		if (!ret)
			snprintf(buf, len, " spptp=0x%016llx",
				 (unsigned long long)v1);
		break;
	}
	/* EPT with spp operations: the SPPT's pointer too. */
	if (!ret && b->have_sppt) {
		n = (int)strlen(buf);
		ret = tdp_spptp_make(b->sppt.root_pa, fmt->pa_bits, &v1);
		if (!ret)
			snprintf(buf + n, len - (size_t)n, " spptp=0x%016llx",
				 (unsigned long long)v1);
	}
	if (ret)
		return tool_err("cannot compute the register values: %s",
				tdp_strerror(ret));
	return 0;
}

static int write_image(const struct build *b)
{
	const char *out = b->o->out;
	FILE *f = fopen(out, "wb");
	bool ok;

	if (!f)
		return tool_err("cannot create %s: %s", out, strerror(errno));
	ok = fwrite(b->img.mem, 1, (size_t)b->img.size, f) ==
	     (size_t)b->img.size;
	if (fclose(f))
		ok = false;
	if (!ok) {
		remove(out);
		return tool_err("cannot write %s", out);
	}
	return 0;
}

int tool_cmd_build(struct tool_opts *o)
{
	struct tdp_format fmt;
	struct build b = { .o = o, .fmt = &fmt };
	struct op_list ops = { 0 };
	char regs[192];
	size_t i;
	int ret;

	if (!o->have_size)
		return tool_err("missing --size BYTES");
	if (!o->out)
		return tool_err("missing --out FILE");
	ret = ops_collect(&ops, o);
	/* Sub-page protection changes what EPT bit 61 means: enable it. */
	if (!ret && o->tf->family == FAM_EPT && ops_use_spp(&ops))
		o->cfg.features |= TDP_FEAT_EPT_SPP;
	if (!ret)
		ret = tool_resolve_format(o, &fmt);
	if (!ret)
		ret = tool_image_new(&b.img, o->base, o->size);
	if (!ret)
		ret = make_root(&b);
	/* The table object holds the resolved format from here on. */
	if (!ret)
		b.fmt = &b.img.pgt.fmt;
	for (i = 0; !ret && i < ops.n; i++) {
		b.where = ops.v[i].where;
		b.text = ops.v[i].text;
		ret = run_op(&b, ops.v[i].text);
	}
	if (!ret)
		ret = format_registers(&b, regs, sizeof(regs));
	if (!ret)
		ret = write_image(&b);
	if (!ret)
		printf("%s\n", regs);
	ops_free(&ops);
	tool_image_close(&b.img);
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Command-line parsing of the `tdp` tool: numbers, the option table, the
 * format table, and resolving the format with messages that say what is
 * wrong. Options are checked against the command and the format they are
 * used with, so a misplaced option is an error instead of being ignored.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const char *tool_prog = "tdp";

int tool_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static const char *const cmd_names[CMD_COUNT] = {
	[CMD_BUILD] = "build",	   [CMD_TRANSLATE] = "translate",
	[CMD_DUMP] = "dump",	   [CMD_DOT] = "dot",
	[CMD_DIFF] = "diff",	   [CMD_STATS] = "stats",
};

const char *tool_cmd_name(enum tool_cmd cmd)
{
	return cmd_names[cmd];
}

/*
 * Every format the tool knows, whether or not this libtdp has it: a format
 * the library lacks is reported as such instead of as an unknown name, and
 * supporting it later needs no change here. arm64 gets the tool's own
 * default geometry (40-bit IPA, 48-bit PA), a typical small VM.
 */
static const struct tool_format tool_formats[] = {
	{ TDP_FMT_EPT4, FAM_EPT, 0, 0 },
	{ TDP_FMT_EPT5, FAM_EPT, 0, 0 },
	{ TDP_FMT_IA32E4, FAM_PAGING, 0, 0 },
	{ TDP_FMT_IA32E5, FAM_PAGING, 0, 0 },
	{ TDP_FMT_PAE, FAM_PAGING, 0, 0 },
	{ TDP_FMT_LEGACY32, FAM_PAGING, 0, 0 },
	{ TDP_FMT_SPP, FAM_SPP, 0, 0 },
	{ TDP_FMT_S2_4K, FAM_S2, 48, 40 },
	{ TDP_FMT_S2_16K, FAM_S2, 48, 40 },
	{ TDP_FMT_S2_64K, FAM_S2, 48, 40 },
};

#define N_FORMATS (sizeof(tool_formats) / sizeof(tool_formats[0]))

const struct tool_format *tool_format_by_id(uint32_t id)
{
	size_t i;

	for (i = 0; i < N_FORMATS; i++)
		if (tool_formats[i].id == id)
			return &tool_formats[i];
	return NULL;
}

static const char *format_name(uint32_t id)
{
	const char *name = tdp_format_name(id);

	return name ? name : "?";
}

/* --- numbers -------------------------------------------------------------- */

bool tool_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	/* strtoull takes signs and blanks: a number starts with a digit. */
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end)
		return false;
	if (shift && n > (~0ull >> shift))
		return false;
	*v = (uint64_t)n << shift;
	return true;
}

bool tool_parse_int(const char *s, long lo, long hi, long *v)
{
	long n;
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < lo || n > hi)
		return false;
	*v = n;
	return true;
}

/* --- options -------------------------------------------------------------- */

enum opt_id {
	O_FORMAT, O_PA_BITS, O_IPA_BITS, O_START_LEVEL, O_FEATURE,
	O_IMAGE, O_BASE, O_ROOT, O_SIZE, O_OUT, O_OPS, O_VMID,
	O_ACCESS, O_USER, O_SMEP, O_SMAP, O_NO_WP, O_VERBOSE, O_FAIL_ON_FAULT,
	O_JSON, O_RAW, O_DEPTH, O_MAX_ENTRIES, O_ROOT_B, O_BASE_B, O_SIZES,
	O_HELP,
};

struct opt_desc {
	const char *name;
	enum opt_id id;
	bool has_arg;
	uint32_t cmds;     /* CMD_BIT()s it applies to */
	uint32_t formats;  /* FMT_BIT()s it applies to; 0 = any */
	uint32_t feature;  /* O_FEATURE: the TDP_FEAT_* flag */
};

#define CMDS_NOT_BUILD (CMD_ALL & ~CMD_BIT(CMD_BUILD))
#define CMDS_WALKERS                                                          \
	(CMD_BIT(CMD_DUMP) | CMD_BIT(CMD_DOT) | CMD_BIT(CMD_DIFF) |           \
	 CMD_BIT(CMD_STATS))

static const struct opt_desc opt_table[] = {
	{ "format", O_FORMAT, true, CMD_ALL, 0, 0 },
	{ "pa-bits", O_PA_BITS, true, CMD_ALL, 0, 0 },
	{ "ipa-bits", O_IPA_BITS, true, CMD_ALL, FMTS_S2, 0 },
	{ "start-level", O_START_LEVEL, true, CMD_ALL, FMTS_S2, 0 },
	{ "ad", O_FEATURE, false, CMD_ALL, FMTS_EPT, TDP_FEAT_EPT_AD },
	{ "exec-only", O_FEATURE, false, CMD_ALL, FMTS_EPT,
	  TDP_FEAT_EPT_EXEC_ONLY },
	{ "mbec", O_FEATURE, false, CMD_ALL, FMTS_EPT, TDP_FEAT_EPT_MBEC },
	{ "spp", O_FEATURE, false, CMD_ALL, FMTS_EPT, TDP_FEAT_EPT_SPP },
	{ "no-1g", O_FEATURE, false, CMD_ALL, FMTS_EPT | FMTS_IA32E,
	  TDP_FEAT_NO_1G },
	{ "no-nx", O_FEATURE, false, CMD_ALL,
	  FMTS_IA32E | FMT_BIT(TDP_FMT_PAE), TDP_FEAT_NO_NX },
	{ "pse", O_FEATURE, false, CMD_ALL, FMT_BIT(TDP_FMT_LEGACY32),
	  TDP_FEAT_PSE },
	{ "fwb", O_FEATURE, false, CMD_ALL, FMTS_S2, TDP_FEAT_S2_FWB },
	{ "lpa2", O_FEATURE, false, CMD_ALL, FMTS_S2, TDP_FEAT_S2_LPA2 },
	{ "xnx", O_FEATURE, false, CMD_ALL, FMTS_S2, TDP_FEAT_S2_XNX },
	{ "ha", O_FEATURE, false, CMD_ALL, FMTS_S2, TDP_FEAT_S2_HA },
	{ "hd", O_FEATURE, false, CMD_ALL, FMTS_S2, TDP_FEAT_S2_HD },
	{ "image", O_IMAGE, true, CMD_READERS, 0, 0 },
	{ "base", O_BASE, true, CMD_ALL, 0, 0 },
	{ "root", O_ROOT, true, CMD_ALL, 0, 0 },
	{ "size", O_SIZE, true, CMD_BIT(CMD_BUILD), 0, 0 },
	{ "out", O_OUT, true, CMD_BIT(CMD_BUILD), 0, 0 },
	{ "ops", O_OPS, true, CMD_BIT(CMD_BUILD), 0, 0 },
	{ "vmid", O_VMID, true, CMD_BIT(CMD_BUILD), FMTS_S2, 0 },
	{ "access", O_ACCESS, true, CMD_BIT(CMD_TRANSLATE), 0, 0 },
	{ "user", O_USER, false, CMD_BIT(CMD_TRANSLATE), 0, 0 },
	{ "smep", O_SMEP, false, CMD_BIT(CMD_TRANSLATE), FMTS_PAGING, 0 },
	{ "smap", O_SMAP, false, CMD_BIT(CMD_TRANSLATE), FMTS_PAGING, 0 },
	{ "no-wp", O_NO_WP, false, CMD_BIT(CMD_TRANSLATE), FMTS_PAGING, 0 },
	{ "verbose", O_VERBOSE, false, CMD_BIT(CMD_TRANSLATE), 0, 0 },
	{ "fail-on-fault", O_FAIL_ON_FAULT, false, CMD_BIT(CMD_TRANSLATE),
	  0, 0 },
	{ "json", O_JSON, false, CMD_BIT(CMD_DUMP), 0, 0 },
	{ "raw", O_RAW, false, CMD_BIT(CMD_DUMP), 0, 0 },
	{ "depth", O_DEPTH, true, CMD_BIT(CMD_DOT), 0, 0 },
	{ "max-entries", O_MAX_ENTRIES, true, CMDS_WALKERS, 0, 0 },
	{ "root-b", O_ROOT_B, true, CMD_BIT(CMD_DIFF), 0, 0 },
	{ "base-b", O_BASE_B, true, CMD_BIT(CMD_DIFF), 0, 0 },
	{ "sizes", O_SIZES, false, CMD_BIT(CMD_DIFF), 0, 0 },
	{ "help", O_HELP, false, CMD_ALL, 0, 0 },
};

#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

static const struct opt_desc *find_opt(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_OPTS; i++)
		if (strlen(opt_table[i].name) == len &&
		    !strncmp(opt_table[i].name, name, len))
			return &opt_table[i];
	return NULL;
}

static int unknown_format(const char *name)
{
	size_t i;

	fprintf(stderr, "%s: unknown format '%s' (one of:", tool_prog, name);
	for (i = 0; i < N_FORMATS; i++)
		fprintf(stderr, " %s", format_name(tool_formats[i].id));
	fprintf(stderr, ")\n");
	return EXIT_USAGE;
}

static int parse_access(const char *v, uint32_t *access)
{
	const char *p;

	if (!*v)
		return tool_err("--access wants r, w, x or a combination");
	for (p = v; *p; p++) {
		switch (*p) {
		case 'r': *access |= TDP_ACCESS_READ; break;
		case 'w': *access |= TDP_ACCESS_WRITE; break;
		case 'x': *access |= TDP_ACCESS_EXEC; break;
		default:
			return tool_err("--access %s: '%c' is not one of r, "
					"w, x", v, *p);
		}
	}
	return 0;
}

static int bad_value(const struct opt_desc *d, const char *v,
		     const char *want)
{
	return tool_err("--%s %s: expected %s", d->name, v, want);
}

/* Apply one option; v is its argument or NULL. */
static int apply_opt(struct tool_opts *o, const struct opt_desc *d,
		     const char *v)
{
	uint64_t n;
	long l;
	int id;

	switch (d->id) {
	case O_FORMAT:
		id = tdp_format_from_name(v);
		if (id <= 0 || !tool_format_by_id((uint32_t)id))
			return unknown_format(v);
		o->tf = tool_format_by_id((uint32_t)id);
		o->cfg.format = (uint32_t)id;
		o->have_format = true;
		return 0;
	case O_PA_BITS:
		if (!tool_parse_int(v, 1, 64, &l))
			return bad_value(d, v, "a bit count");
		o->cfg.pa_bits = (uint8_t)l;
		o->have_pa_bits = true;
		return 0;
	case O_IPA_BITS:
		if (!tool_parse_int(v, 1, 64, &l))
			return bad_value(d, v, "a bit count");
		o->cfg.ia_bits = (uint8_t)l;
		o->have_ia_bits = true;
		return 0;
	case O_START_LEVEL:
		if (!tool_parse_int(v, -1, 3, &l))
			return bad_value(d, v, "a lookup level from -1 to 3");
		o->cfg.start_level = (int8_t)l;
		o->cfg.features |= TDP_FEAT_S2_START_LEVEL;
		return 0;
	case O_FEATURE:
		o->cfg.features |= d->feature;
		return 0;
	case O_IMAGE:
		o->image = v;
		return 0;
	case O_BASE:
	case O_ROOT:
	case O_SIZE:
	case O_ROOT_B:
	case O_BASE_B:
		if (!tool_parse_u64(v, &n))
			return bad_value(d, v, "a number (0x... or decimal, "
					 "optionally with k, m, g or t)");
		if (d->id == O_BASE)
			o->base = n;
		else if (d->id == O_ROOT)
			o->root = n, o->have_root = true;
		else if (d->id == O_SIZE)
			o->size = n, o->have_size = true;
		else if (d->id == O_ROOT_B)
			o->root_b = n, o->have_root_b = true;
		else
			o->base_b = n, o->have_base_b = true;
		return 0;
	case O_OUT:
		o->out = v;
		return 0;
	case O_OPS:
		o->ops_files[o->n_ops_files++] = v;
		return 0;
	case O_VMID:
		if (!tool_parse_int(v, 0, 65535, &l))
			return bad_value(d, v, "a VMID from 0 to 65535");
		o->vmid = (uint16_t)l;
		return 0;
	case O_ACCESS:
		return parse_access(v, &o->access);
	case O_USER:
		o->access |= TDP_ACCESS_USER;
		return 0;
	case O_SMEP:
		o->access |= TDP_ACCESS_SMEP;
		return 0;
	case O_SMAP:
		o->access |= TDP_ACCESS_SMAP;
		return 0;
	case O_NO_WP:
		o->access |= TDP_ACCESS_NO_WP;
		return 0;
	case O_VERBOSE:
		o->verbose = true;
		return 0;
	case O_FAIL_ON_FAULT:
		o->fail_on_fault = true;
		return 0;
	case O_JSON:
		o->json = true;
		return 0;
	case O_RAW:
		o->raw = true;
		return 0;
	case O_DEPTH:
		if (!tool_parse_int(v, 0, TDP_MAX_LEVELS, &l))
			return bad_value(d, v, "a depth from 0 to 6");
		o->depth = (int)l;
		return 0;
	case O_MAX_ENTRIES:
		if (!tool_parse_u64(v, &n) || !n)
			return bad_value(d, v, "a positive number");
		o->max_entries = n;
		return 0;
	case O_SIZES:
		o->sizes = true;
		return 0;
	case O_HELP:
		o->help = true;
		return 0;
	}
	return tool_err("internal error: option --%s", d->name);
}

/* Options that depend on the format are checked once it is known. */
static int check_formats(const struct tool_opts *o,
			 const struct opt_desc *const *seen, int n_seen)
{
	int i;

	for (i = 0; i < n_seen; i++) {
		const struct opt_desc *d = seen[i];

		if (d->formats && !(d->formats & FMT_BIT(o->cfg.format)))
			return tool_err("option --%s does not apply to "
					"format %s", d->name,
					format_name(o->cfg.format));
	}
	return 0;
}

int tool_parse_args(int argc, char **argv, enum tool_cmd cmd,
		    struct tool_opts *o)
{
	const struct opt_desc **seen;
	bool opts_done = false;
	int i, ret = 0, n_seen = 0;

	o->cmd = cmd;
	o->depth = -1;
	o->max_entries = 1ull << 24;
	o->pos = calloc((size_t)argc + 1, sizeof(*o->pos));
	o->ops_files = calloc((size_t)argc + 1, sizeof(*o->ops_files));
	seen = calloc((size_t)argc + 1, sizeof(*seen));
	if (!o->pos || !o->ops_files || !seen) {
		free(seen);
		return tool_err("out of memory");
	}
	for (i = 0; i < argc && !ret; i++) {
		const char *arg = argv[i], *eq, *v = NULL;
		const struct opt_desc *d;
		size_t len;

		if (opts_done || arg[0] != '-') {
			o->pos[o->n_pos++] = argv[i];
			continue;
		}
		if (!strcmp(arg, "--")) {
			opts_done = true;
			continue;
		}
		if (arg[1] != '-') {
			ret = tool_err("unknown option '%s' (options are "
				       "spelt --name; see %s --help)",
				       arg, tool_prog);
			break;
		}
		eq = strchr(arg + 2, '=');
		len = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
		d = find_opt(arg + 2, len);
		if (!d) {
			ret = tool_err("unknown option '%.*s' (see %s --help)",
				       (int)len + 2, arg, tool_prog);
			break;
		}
		if (!(d->cmds & CMD_BIT(cmd))) {
			ret = tool_err("option --%s does not apply to '%s'",
				       d->name, tool_prog);
			break;
		}
		if (d->has_arg) {
			if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				ret = tool_err("option --%s needs a value",
					       d->name);
				break;
			}
		} else if (eq) {
			ret = tool_err("option --%s takes no value", d->name);
			break;
		}
		seen[n_seen++] = d;
		ret = apply_opt(o, d, v);
	}
	if (!ret && !o->help) {
		if (!o->have_format)
			ret = tool_err("missing --format FMT (see %s --help)",
				       tool_prog);
		else
			ret = check_formats(o, seen, n_seen);
	}
	if (!ret && !o->help && o->tf) {
		/* The tool's defaults (see the man page), unless given. */
		if (!o->have_pa_bits)
			o->cfg.pa_bits = o->tf->default_pa_bits;
		if (!o->have_ia_bits)
			o->cfg.ia_bits = o->tf->default_ia_bits;
	}
	free(seen);
	return ret;
}

/* --- formats -------------------------------------------------------------- */

int tool_resolve_format(const struct tool_opts *o, struct tdp_format *fmt)
{
	const struct tdp_format_config probe = { .format = o->cfg.format };
	const char *name = format_name(o->cfg.format);
	int ret;

	/*
	 * A format this libtdp lacks fails even in its plainest
	 * configuration; anything else is the user's configuration.
	 */
	ret = tdp_format_init(fmt, &probe);
	if (ret == -TDP_ERR_FORMAT)
		return tool_err("format %s is not supported by this libtdp "
				"build", name);
	ret = tdp_format_init(fmt, &o->cfg);
	if (!ret)
		return 0;
	if (o->tf->family == FAM_S2) {
		if (o->cfg.features & TDP_FEAT_S2_START_LEVEL)
			return tool_err("%s cannot have --ipa-bits %u, "
					"--pa-bits %u and --start-level %d "
					"with these features: %s",
					name, o->cfg.ia_bits, o->cfg.pa_bits,
					o->cfg.start_level, tdp_strerror(ret));
		return tool_err("%s cannot have --ipa-bits %u and --pa-bits "
				"%u with these features: %s (IPA 32..52 bits, "
				"PA 32, 36, 40, 42, 44, 48 or 52 bits; more "
				"than 48 needs --lpa2 or s2-64k)",
				name, o->cfg.ia_bits, o->cfg.pa_bits,
				tdp_strerror(ret));
	}
	if (o->have_pa_bits)
		return tool_err("%s cannot have --pa-bits %u with these "
				"features: %s (MAXPHYADDR is 32..52)",
				name, o->cfg.pa_bits, tdp_strerror(ret));
	return tool_err("%s: invalid configuration: %s", name,
			tdp_strerror(ret));
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * How the tool writes permissions, attributes, levels and sizes. Every
 * command uses these, so a mapping reads the same in translate, dump and
 * diff output.
 */
#include <string.h>

#include "tool.h"

const char *tool_perms_str(uint32_t perms, char *buf)
{
	bool x = perms & TDP_PERM_X, xu = perms & TDP_PERM_XU;

	buf[0] = perms & TDP_PERM_R ? 'r' : '-';
	buf[1] = perms & TDP_PERM_W ? 'w' : '-';
	/* Split execute (EPT MBEC, arm64 XNX): name the only mode allowed. */
	buf[2] = x && xu ? 'x' : x ? 'S' : xu ? 'U' : '-';
	buf[3] = perms & TDP_PERM_U ? 'u' : '-';
	buf[4] = '\0';
	return buf;
}

static const char *const memtype_names[] = {
	[TDP_MT_WB] = "wb",
	[TDP_MT_UC] = "uc",
	[TDP_MT_WC] = "wc",
	[TDP_MT_WT] = "wt",
	[TDP_MT_WP] = "wp",
	[TDP_MT_UC_MINUS] = "uc-",
	[TDP_MT_NC] = "nc",
	[TDP_MT_DEV_NGNRNE] = "dev-ngnrne",
	[TDP_MT_DEV_NGNRE] = "dev-ngnre",
	[TDP_MT_DEV_NGRE] = "dev-ngre",
	[TDP_MT_DEV_GRE] = "dev-gre",
};

const char *tool_memtype_name(unsigned int mt)
{
	if (mt >= sizeof(memtype_names) / sizeof(memtype_names[0]) ||
	    !memtype_names[mt])
		return "?";
	return memtype_names[mt];
}

const char *tool_detail_name(uint32_t detail)
{
	switch (detail) {
	case TDP_DETAIL_NONE: return "none";
	case TDP_DETAIL_RESERVED_BIT: return "reserved-bit";
	case TDP_DETAIL_PA_WIDTH: return "pa-width";
	case TDP_DETAIL_WRITE_NO_READ: return "write-no-read";
	case TDP_DETAIL_EXEC_ONLY: return "exec-only";
	case TDP_DETAIL_MEMTYPE: return "memtype";
	case TDP_DETAIL_LEAF_LEVEL: return "leaf-level";
	case TDP_DETAIL_LEAF_ALIGN: return "leaf-align";
	default: return "?";
	}
}

const char *tool_kind_name(uint32_t kind)
{
	switch (kind) {
	case TDP_ENTRY_INVALID: return "invalid";
	case TDP_ENTRY_TABLE: return "table";
	case TDP_ENTRY_LEAF: return "leaf";
	case TDP_ENTRY_RESERVED: return "reserved";
	case TDP_ENTRY_BAD_POINTER: return "bad-pointer";
	default: return "?";
	}
}

const char *tool_size_name(uint64_t size, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned int u = 0;
	uint64_t n = size;

	for (; n && !(n & 1023) && u < sizeof(units) - 1; n >>= 10, u++)
		;
	if (u == 0)
		snprintf(buf, len, "%llu", (unsigned long long)size);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)n,
			 units[u - 1]);
	return buf;
}

/* Flag bits and the short names the tool prints for them. */
static const struct {
	uint32_t bit;
	const char *name;
} flag_names[] = {
	{ TDP_ATTR_ACCESSED, "a" },
	{ TDP_ATTR_DIRTY, "d" },
	{ TDP_ATTR_GLOBAL, "g" },
	{ TDP_ATTR_IGNORE_PAT, "ipat" },
	{ TDP_ATTR_SUPPRESS_VE, "sve" },
	{ TDP_ATTR_SPP, "spp" },
	{ TDP_ATTR_VERIFY_GUEST_PAGING, "vgp" },
	{ TDP_ATTR_PAGING_WRITE, "pw" },
	{ TDP_ATTR_SUPERVISOR_SHADOW_STACK, "sss" },
	{ TDP_ATTR_DBM, "dbm" },
	{ TDP_ATTR_CONTIGUOUS, "cont" },
};

#define N_FLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

static const char *sh_name(unsigned int sh)
{
	switch (sh) {
	case TDP_SH_NONE: return "none";
	case TDP_SH_OUTER: return "outer";
	case TDP_SH_INNER: return "inner";
	default: return "?";
	}
}

static bool is_paging(const struct tdp_format *fmt)
{
	const struct tool_format *tf = tool_format_by_id(fmt->cfg.format);

	return tf && tf->family == FAM_PAGING;
}

bool tool_is_spp(const struct tdp_format *fmt)
{
	return fmt->cfg.format == TDP_FMT_SPP;
}

void tool_print_attrs(FILE *f, const struct tdp_format *fmt,
		      const struct tdp_attrs *a)
{
	const char *sep = " flags=";
	size_t i;

	/* An SPPT leaf holds nothing but the sub-page write bitmap. */
	if (tool_is_spp(fmt)) {
		fprintf(f, " bitmap=0x%08x", a->subpage_write);
		return;
	}
	fprintf(f, " mt=%s", tool_memtype_name(a->memtype));
	for (i = 0; i < N_FLAGS; i++) {
		if (a->flags & flag_names[i].bit) {
			fprintf(f, "%s%s", sep, flag_names[i].name);
			sep = ",";
		}
	}
	/* The PAT index tells more than the memory type only when not 0. */
	if (is_paging(fmt) && a->pat)
		fprintf(f, " pat=%u", a->pat);
	if (a->pkey)
		fprintf(f, " pkey=%u", a->pkey);
	/* Inner shareable is what map writes unless told: name the others. */
	if (a->shareability && a->shareability != TDP_SH_INNER)
		fprintf(f, " sh=%s", sh_name(a->shareability));
	if (a->sw)
		fprintf(f, " sw=0x%x", a->sw);
}

void tool_print_attrs_json(FILE *f, const struct tdp_format *fmt,
			   const struct tdp_attrs *a)
{
	const char *sep = "";
	size_t i;

	if (tool_is_spp(fmt)) {
		fprintf(f, ",\"bitmap\":\"0x%08x\"", a->subpage_write);
		return;
	}
	fprintf(f, ",\"memtype\":\"%s\",\"flags\":[",
		tool_memtype_name(a->memtype));
	for (i = 0; i < N_FLAGS; i++) {
		if (a->flags & flag_names[i].bit) {
			fprintf(f, "%s\"%s\"", sep, flag_names[i].name);
			sep = ",";
		}
	}
	fprintf(f, "]");
	if (is_paging(fmt))
		fprintf(f, ",\"pat\":%u,\"pkey\":%u", a->pat, a->pkey);
	if (a->shareability)
		fprintf(f, ",\"shareability\":\"%s\"",
			sh_name(a->shareability));
	fprintf(f, ",\"sw\":%u", a->sw);
}

FILE *tool_out_begin(void)
{
	FILE *f = tmpfile();

	/* Without a temporary file, write straight out (and maybe partly). */
	return f ? f : stdout;
}

int tool_out_end(FILE *f, int ret)
{
	char buf[8192];
	size_t n;

	if (f == stdout)
		return ret;
	if (!ret) {
		rewind(f);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			if (fwrite(buf, 1, n, stdout) != n)
				break;
		if (ferror(f) || ferror(stdout))
			ret = tool_err("cannot write the output");
	}
	fclose(f);
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* Hand-built x86 tables for the engine tests; see hand_x86.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <libtdp/tdp.h>

#include "hand_x86.h"

/* EPT: XWR = 111, leaves WB (memory type 6 in bits 5:3), bit 7 = page. */
const struct fmt_case ept4 = {
	"ept4", TDP_FMT_EPT4, 4, 0x7, 0x7 | 6 << 3, 0x7 | 6 << 3 | 0x80,
	TDP_FAULT_MISCONFIG
};
const struct fmt_case ept5 = {
	"ept5", TDP_FMT_EPT5, 5, 0x7, 0x7 | 6 << 3, 0x7 | 6 << 3 | 0x80,
	TDP_FAULT_MISCONFIG
};
/* IA-32e: tables P|RW|US, leaves P|RW, bit 7 = PS. */
const struct fmt_case ia32e4 = {
	"ia32e4", TDP_FMT_IA32E4, 4, 0x7, 0x3, 0x83, TDP_FAULT_RESERVED
};
const struct fmt_case ia32e5 = {
	"ia32e5", TDP_FMT_IA32E5, 5, 0x7, 0x3, 0x83, TDP_FAULT_RESERVED
};

const struct fmt_case *const all_fmts[N_FMTS] = {
	&ept4, &ept5, &ia32e4, &ia32e5
};

uint64_t tbl(const struct fmt_case *fc, unsigned int page)
{
	return PG(page) | fc->table;
}

uint64_t leaf(const struct fmt_case *fc, uint64_t pa)
{
	return pa | fc->leaf4k;
}

uint64_t big(const struct fmt_case *fc, uint64_t pa)
{
	return pa | fc->leafbig;
}

uint64_t rsv(const struct fmt_case *fc, uint64_t pa)
{
	return pa | fc->leaf4k | 1ull << 51;
}

uint64_t span(int level)
{
	return 1ull << (12 + 9 * level);
}

int fix_setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tdp_pool_create(POOL_SIZE, POOL_BASE, &f->pool) ||
	    tdp_pool_claim(f->pool, POOL_BASE, POOL_SIZE)) {
		free(f);
		return -1;
	}
	f->mem = tdp_pool_phys_to_virt(f->pool, POOL_BASE, POOL_SIZE);
	*state = f;
	return 0;
}

int fix_teardown(void **state)
{
	struct fix *f = *state;

	tdp_pool_destroy(f->pool);
	free(f);
	return 0;
}

void fix_reset(struct fix *f, const struct fmt_case *fc)
{
	memset(f->mem, 0, POOL_SIZE);
	f->fc = fc;
}

void set_e(struct fix *f, unsigned int page, unsigned int idx, uint64_t raw)
{
	f->mem[page * 512 + idx] = raw;
}

uint64_t get_e(const struct fix *f, unsigned int page, unsigned int idx)
{
	return f->mem[page * 512 + idx];
}

void fix_attach_cfg(struct fix *f, unsigned int root_page, uint32_t features)
{
	struct tdp_format_config cfg = {
		.format = f->fc->format,
		.features = features,
		.pa_bits = PA_BITS,
	};
	struct tdp_mm mm = tdp_pool_mm(f->pool);

	assert_int_equal(tdp_pgt_init_at(&f->pgt, &cfg, &mm, PG(root_page)),
			 0);
}

void fix_attach(struct fix *f, unsigned int root_page)
{
	fix_attach_cfg(f, root_page, 0);
}

void build_main(struct fix *f, const struct fmt_case *fc)
{
	fix_reset(f, fc);
	set_e(f, 0, 0, tbl(fc, 1));
	set_e(f, 0, 1, tbl(fc, 4));
	set_e(f, 1, 509, big(fc, 0x80000000)); /* outside the range */
	set_e(f, 1, 510, tbl(fc, 2));
	set_e(f, 1, 511, big(fc, 0x40000000));
	set_e(f, 2, 510, tbl(fc, 3));
	set_e(f, 2, 511, big(fc, 0x200000));
	set_e(f, 3, 507, leaf(fc, 0xa000)); /* outside the range */
	set_e(f, 3, 508, leaf(fc, 0x5000));
	set_e(f, 3, 510, leaf(fc, 0x6000));
	set_e(f, 3, 511, rsv(fc, 0x7000));
	set_e(f, 4, 1, tbl(fc, 5));
	set_e(f, 5, 0, big(fc, 0x400000));
	set_e(f, 5, 2, tbl(fc, 6));
	set_e(f, 6, 0, leaf(fc, 0x8000));
	set_e(f, 6, 2, leaf(fc, 0x9000)); /* outside the range */
	if (fc->levels == 5) {
		set_e(f, 9, 0, tbl(fc, 0));
		fix_attach(f, 9);
	} else {
		fix_attach(f, 0);
	}
}

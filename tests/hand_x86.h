/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Hand-built x86 tables for the tests of the format-independent engine
 * (walker, iterator, lookups): raw EPT and IA-32e entries written straight
 * into a simulated pool of POOL_PAGES pages at POOL_BASE. Engine level L
 * indexes with address bits (20 + 9L):(12 + 9L) and maps 2^(12 + 9L) bytes
 * per entry, as the Intel SDM lays the tables out. Every value here is
 * written from the SDM, never taken from the library.
 *
 * Include after <cmocka.h> and <libtdp/tdp.h>.
 */
#ifndef TESTS_HAND_X86_H
#define TESTS_HAND_X86_H

#include <stdint.h>

/* The pool: 16 pages standing for physical memory at 1 MiB. */
#define POOL_BASE 0x100000ull
#define POOL_PAGES 16u
#define POOL_SIZE ((uint64_t)POOL_PAGES * 4096u)
#define PG(n) (POOL_BASE + (uint64_t)(n) * 4096u)
#define PA_BITS 46

#define K4 0x1000ull
#define M2 0x200000ull
#define G1 0x40000000ull
#define T512 0x8000000000ull

/* Raw entry shapes of one format. */
struct fmt_case {
	const char *name;
	uint32_t format;
	int levels;
	uint64_t table;   /* low bits of an entry pointing to a table */
	uint64_t leaf4k;  /* low bits of a 4 KiB leaf */
	uint64_t leafbig; /* low bits of a 2 MiB or 1 GiB leaf */
	uint32_t rsvd_fault; /* the fault a reserved entry gives */
};

extern const struct fmt_case ept4, ept5, ia32e4, ia32e5;

/* All four, for tests that run once per format. */
#define N_FMTS 4u
extern const struct fmt_case *const all_fmts[N_FMTS];

/* An entry pointing to the table in pool page @page. */
uint64_t tbl(const struct fmt_case *fc, unsigned int page);
/* A 4 KiB leaf of @pa. */
uint64_t leaf(const struct fmt_case *fc, uint64_t pa);
/* A 2 MiB or 1 GiB leaf of @pa. */
uint64_t big(const struct fmt_case *fc, uint64_t pa);
/* A 4 KiB leaf with bit 51 set: above pa_bits = 46, so reserved. */
uint64_t rsv(const struct fmt_case *fc, uint64_t pa);
/* Bytes an entry of engine level @level maps. */
uint64_t span(int level);

/* The pool, its memory, and a table of one format over it. */
struct fix {
	struct tdp_pool *pool;
	uint64_t *mem; /* the pool's memory, 512 entries per page */
	struct tdp_pgt pgt;
	const struct fmt_case *fc;
};

/* cmocka setup and teardown: a claimed pool in *state. */
int fix_setup(void **state);
int fix_teardown(void **state);
/* Start over with an all-zero pool for format @fc. */
void fix_reset(struct fix *f, const struct fmt_case *fc);
/* Write (read) entry @idx of pool page @page. */
void set_e(struct fix *f, unsigned int page, unsigned int idx, uint64_t raw);
uint64_t get_e(const struct fix *f, unsigned int page, unsigned int idx);
/* Make f->pgt a table of f->fc rooted at pool page @root_page. */
void fix_attach_cfg(struct fix *f, unsigned int root_page,
		    uint32_t features);
void fix_attach(struct fix *f, unsigned int root_page);

#endif

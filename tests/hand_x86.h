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

/*
 * The main tree of the walker and iterator tests. Pages: 0 PML4; 1 PDPT_A
 * (under PML4[0]); 2 PD_A (under PDPT_A[510]); 3 PT_A (under PD_A[510]);
 * 4 PDPT_B (under PML4[1]); 5 PD_B (under PDPT_B[1]); 6 PT_B (under
 * PD_B[2]); 9 the PML5 of 5-level formats, whose entry 0 points to page 0.
 * Pages 7 and 8 stay free for the tests.
 *
 * The range [R0, R1) starts at PT_A[508] and ends after PT_B[1], so it
 * crosses from PML4[0] into PML4[1] while staying small.
 */
#define R0 (510 * G1 + 510 * M2 + 508 * K4)
#define R1 (T512 + G1 + 2 * M2 + 2 * K4)
#define A_PD (510 * G1)            /* start of PDPT_A[510] */
#define A_PT (510 * G1 + 510 * M2) /* start of PD_A[510] */
#define B_PD (T512 + G1)           /* start of PDPT_B[1] */
#define B_PT (T512 + G1 + 2 * M2)  /* start of PD_B[2] */

/* Build the main tree for @fc from an all-zero pool and attach f->pgt. */
void build_main(struct fix *f, const struct fmt_case *fc);

#endif

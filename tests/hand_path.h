/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * One x86 walk built by hand (EPT or IA-32e, 4 or 5 levels), for the
 * format tests: fixed table pages in a simulated pool, the path for one
 * address written entry by entry, and the check that a lookup reports
 * those entries. Indexes are the Intel SDM's, 9 bits per level above the
 * 4 KiB offset, computed here and never taken from the library.
 *
 * Include after <cmocka.h> and <libtdp/tdp.h>.
 */
#ifndef TESTS_HAND_PATH_H
#define TESTS_HAND_PATH_H

#include <stdint.h>

#include "expect.h"

/* The pool: 1 MiB of memory at 1 MiB. */
#define POOL_BASE 0x100000ull
#define POOL_SIZE 0x100000ull

/*
 * Fixed table pages, one per engine level, scattered and not in level
 * order so that a walker that guesses addresses instead of following the
 * entries finds the wrong memory.
 */
extern const uint64_t table_page[5];

struct env {
	struct tdp_pool *pool;
	struct tdp_mm mm;
};

/* cmocka setup (the pool, its table pages claimed, no mismatches) and
 * teardown. */
int env_setup(void **state);
int env_teardown(void **state);

/* The SDM's table index of @addr at engine level @level: 9 bits each, so
 * the sign-extension bits above bit 47 (or 56) of a linear address drop
 * out. */
unsigned int sdm_index(uint64_t addr, int level);

/* The root's engine level: 4 for the 5-level formats, else 3. */
int root_level_of(uint32_t format);

/* Write entry @index of the table at @table_pa. */
void entry_write(struct env *env, uint64_t table_pa, unsigned int index,
		 uint64_t val);

/* What build_path() wrote, and where. */
struct path {
	uint64_t entry[5];
	uint64_t entry_pa[5];
};

/*
 * Build the walk for @addr from a zeroed set of tables: every level above
 * @stop holds a table entry (the next level's page | @table_bits[level],
 * or | 0x7 when that is zero: read, write and execute in EPT; present,
 * writable and user in IA-32e), and level @stop holds @raw.
 */
void build_path(struct env *env, int root_level, uint64_t addr, int stop,
		const uint64_t *table_bits, uint64_t raw, struct path *p);

/* A table of @format over the pool, rooted at its root level's page. */
void attach(struct env *env, struct tdp_pgt *pgt, uint32_t format,
	    uint32_t features, uint8_t pa_bits);

/* tdp_format_init() that must succeed. */
void init_fmt(struct tdp_format *fmt, uint32_t format, uint32_t features,
	      uint8_t pa_bits);

/* The entries down to the stopping level must be the ones we wrote. */
void expect_path(const char *where, const struct tdp_lookup *res,
		 const struct path *p, int root_level, int last_level);

/* A malformed entry and the fault detail it must give. */
struct bad_case {
	const char *name;
	uint32_t format;
	uint32_t features;
	uint8_t pa_bits;
	int level;	/* engine level of the malformed entry */
	uint64_t raw;
	uint32_t detail;
};

/*
 * The malformed entry of @c in the walk for @addr, below default table
 * entries: the classifier calls it reserved, the leaf decoder refuses it,
 * and a lookup and a translation give @fault at its level, the lookup
 * reporting the path down to it.
 */
void expect_malformed(struct env *env, const struct bad_case *c,
		      uint64_t addr, uint32_t fault);

/* A leaf to encode and what tdp_entry_encode_leaf() must give. */
struct enc_case {
	const char *name;
	uint32_t format;
	uint32_t features;
	uint8_t pa_bits;
	int level;
	uint64_t pa;
	struct tdp_attrs attrs;
	int ret;
	uint64_t raw; /* the entry, when ret is 0 */
};

/*
 * Encode each of the @n cases, which must give its return value and raw
 * entry, or leave the output alone when it fails; then the NULL arguments
 * with @format and @attrs, which must fail and change nothing.
 */
void expect_encodings(const struct enc_case *cases, unsigned int n,
		      uint32_t format, const struct tdp_attrs *attrs);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The mutating primitives: tdp_map(), tdp_unmap(), tdp_protect(),
 * tdp_test_clear_young(), tdp_harvest_dirty(), TLB hooks, reservations,
 * worst-case page counts, argument checks and allocation failure at every
 * allocation point. Mostly on ept4 (with A/D flags) and ia32e4, some cases
 * on ept5 and ia32e5.
 *
 * Expected leaf entries are built in exp_leaf() from the Intel SDM layout,
 * not by the library's encoder. Expected table counts are counted by hand:
 * the root, plus one table per level for every 512-entry span the leaves
 * below the root need; engine level L maps 2^(12 + 9L) bytes per entry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtdp/tdp.h>

#define K4 0x1000ull
#define M1 0x100000ull
#define M2 0x200000ull
#define G1 0x40000000ull
#define G512 0x8000000000ull

/* Bytes an entry at engine level @l maps. */
#define SZ(l) (1ull << (12 + 9 * (l)))

/* The pool: 8 MiB (2048 table pages) standing for memory at 256 MiB. */
#define POOL_BASE 0x10000000ull
#define POOL_SIZE (8ull << 20)

#define PA_BITS 46

#define RWX TDP_PERM_RWX
#define RX (TDP_PERM_R | TDP_PERM_X | TDP_PERM_XU)
#define RW (TDP_PERM_R | TDP_PERM_W)
#define XO (TDP_PERM_X | TDP_PERM_XU)
#define ACC TDP_ATTR_ACCESSED
#define DIRTY TDP_ATTR_DIRTY

struct fmt_case {
	const char *name;
	struct tdp_format_config cfg;
	int levels;
	bool ept;
	unsigned int ia_bits;
	unsigned int pa_bits;
};

static struct fmt_case ept4 = {
	"ept4",
	{ .format = TDP_FMT_EPT4, .features = TDP_FEAT_EPT_AD,
	  .pa_bits = PA_BITS },
	4, true, 48, PA_BITS
};
static struct fmt_case ept5 = {
	"ept5",
	{ .format = TDP_FMT_EPT5, .features = TDP_FEAT_EPT_AD },
	5, true, 57, 52
};
static struct fmt_case ia32e4 = {
	"ia32e4",
	{ .format = TDP_FMT_IA32E4, .pa_bits = PA_BITS },
	4, false, 48, PA_BITS
};
static struct fmt_case ia32e5 = {
	"ia32e5",
	{ .format = TDP_FMT_IA32E5 },
	5, false, 57, 52
};
/* EPT without A/D flags, with execute-only, and without 1 GiB pages. */
static struct fmt_case ept4_noad = {
	"ept4-noad",
	{ .format = TDP_FMT_EPT4, .pa_bits = PA_BITS },
	4, true, 48, PA_BITS
};
static struct fmt_case ept4_xo = {
	"ept4-xo",
	{ .format = TDP_FMT_EPT4,
	  .features = TDP_FEAT_EPT_AD | TDP_FEAT_EPT_EXEC_ONLY,
	  .pa_bits = PA_BITS },
	4, true, 48, PA_BITS
};
static struct fmt_case ept4_no1g = {
	"ept4-no1g",
	{ .format = TDP_FMT_EPT4,
	  .features = TDP_FEAT_EPT_AD | TDP_FEAT_NO_1G,
	  .pa_bits = PA_BITS },
	4, true, 48, PA_BITS
};
static struct fmt_case ia32e4_no1g = {
	"ia32e4-no1g",
	{ .format = TDP_FMT_IA32E4, .features = TDP_FEAT_NO_1G,
	  .pa_bits = PA_BITS },
	4, false, 48, PA_BITS
};

/* A leaf entry as the SDM lays it out, with write-back memory type. */
static uint64_t exp_leaf(const struct fmt_case *fc, int level, uint64_t pa,
			 uint32_t perms, uint32_t aflags)
{
	uint64_t e = pa;

	if (fc->ept) {
		/* XWR in bits 2:0, memory type 6 (WB) in bits 5:3. */
		e |= (perms & TDP_PERM_R) ? 1u : 0u;
		e |= (perms & TDP_PERM_W) ? 2u : 0u;
		e |= (perms & TDP_PERM_X) ? 4u : 0u;
		e |= 6ull << 3;
		e |= (aflags & ACC) ? 1ull << 8 : 0;
		e |= (aflags & DIRTY) ? 1ull << 9 : 0;
	} else {
		/* P, R/W, U/S, A (5), D (6), XD (63); PAT index 0 = WB. */
		e |= 1u;
		e |= (perms & TDP_PERM_W) ? 2u : 0u;
		e |= (perms & TDP_PERM_U) ? 4u : 0u;
		e |= (aflags & ACC) ? 1ull << 5 : 0;
		e |= (aflags & DIRTY) ? 1ull << 6 : 0;
		e |= (perms & TDP_PERM_X) ? 0 : 1ull << 63;
	}
	if (level > 0)
		e |= 1ull << 7; /* page size */
	return e;
}

struct fix {
	const struct fmt_case *fc;
	struct tdp_pool *pool;
	struct tdp_mm mm;
	struct tdp_pgt pgt;
	uint8_t *mem;
	uint8_t *snap_buf; /* room for one snapshot of the pool */
};

static int fix_setup(void **state)
{
	struct fmt_case *fc = *state;
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->fc = fc;
	f->snap_buf = malloc(POOL_SIZE);
	if (!f->snap_buf || tdp_pool_create(POOL_SIZE, POOL_BASE, &f->pool))
		goto fail;
	f->mm = tdp_pool_mm(f->pool);
	f->mem = tdp_pool_phys_to_virt(f->pool, POOL_BASE, POOL_SIZE);
	if (!f->mem || tdp_pgt_init(&f->pgt, &fc->cfg, &f->mm))
		goto fail;
	*state = f;
	return 0;
fail:
	tdp_pool_destroy(f->pool);
	free(f->snap_buf);
	free(f);
	return -1;
}

static int fix_teardown(void **state)
{
	struct fix *f = *state;

	tdp_pgt_destroy(&f->pgt);
	tdp_pool_destroy(f->pool);
	free(f->snap_buf);
	free(f);
	return 0;
}

/* --- checking helpers ---------------------------------------------------- */

static void eq_at(int line, const char *what, uint64_t got, uint64_t exp)
{
	if (got != exp)
		fail_msg("line %d: %s = 0x%llx, expected 0x%llx", line, what,
			 (unsigned long long)got, (unsigned long long)exp);
}

static void ret_at(int line, const char *what, int got, int exp)
{
	if (got != exp)
		fail_msg("line %d: %s returned %d (%s), expected %d (%s)",
			 line, what, got, tdp_strerror(got), exp,
			 tdp_strerror(exp));
}

#define EQ(got, exp) eq_at(__LINE__, #got, (uint64_t)(got), (uint64_t)(exp))
#define RET(got, exp) ret_at(__LINE__, #got, (got), (exp))

static struct tdp_pool_stats pstats(const struct fix *f)
{
	struct tdp_pool_stats st;

	assert_int_equal(tdp_pool_get_stats(f->pool, &st), 0);
	return st;
}

static uint64_t tables(const struct fix *f)
{
	return pstats(f).tables_in_use;
}

static struct tdp_attrs mk_attrs(uint32_t perms, uint32_t aflags)
{
	struct tdp_attrs a;

	memset(&a, 0, sizeof(a));
	a.perms = perms;
	a.flags = aflags;
	a.memtype = TDP_MT_WB;
	return a;
}

static int do_map(struct fix *f, uint64_t addr, uint64_t size, uint64_t pa,
		  uint32_t perms, uint32_t aflags, uint32_t opflags)
{
	struct tdp_attrs a = mk_attrs(perms, aflags);

	return tdp_map(&f->pgt, addr, size, pa, &a, opflags, NULL);
}

#define MAP(f, addr, size, pa, perms, af, of)                                 \
	RET(do_map((f), (addr), (size), (pa), (perms), (af), (of)), 0)

/* @addr translates to @out through a leaf at @level with these attributes. */
static void check_map_at(int line, struct fix *f, uint64_t addr, uint64_t out,
			 int level, uint32_t perms, uint32_t aflags)
{
	struct tdp_lookup r;
	uint64_t sz = SZ(level);
	int ret = tdp_lookup(&f->pgt, addr, &r);

	if (ret)
		fail_msg("line %d: lookup 0x%llx failed: %d, fault %u, "
			 "level %d",
			 line, (unsigned long long)addr, ret, r.fault,
			 r.fault_level);
	eq_at(line, "last_level", (uint64_t)r.last_level, (uint64_t)level);
	eq_at(line, "page_size", r.page_size, sz);
	eq_at(line, "out_addr", r.out_addr, out);
	eq_at(line, "leaf entry", r.entry[level],
	      exp_leaf(f->fc, level, out & ~(sz - 1), perms, aflags));
}

#define CHECK_MAP(f, addr, out, level, perms, af)                             \
	check_map_at(__LINE__, (f), (addr), (out), (level), (perms), (af))

/* @addr is not mapped; the walk stopped at a non-present entry of @level
 * (-1: any level). */
static void check_unmapped_at(int line, struct fix *f, uint64_t addr,
			      int level)
{
	struct tdp_lookup r;

	ret_at(line, "tdp_lookup", tdp_lookup(&f->pgt, addr, &r),
	       -TDP_ERR_FAULT);
	eq_at(line, "fault", r.fault, TDP_FAULT_NOT_PRESENT);
	if (level >= 0)
		eq_at(line, "fault_level", (uint64_t)r.fault_level,
		      (uint64_t)level);
}

#define CHECK_UNMAPPED(f, addr, level)                                        \
	check_unmapped_at(__LINE__, (f), (addr), (level))

/*
 * Snapshot of the whole pool: memory and statistics. The memory goes to
 * the fixture's buffer (so a failing test leaks nothing); one at a time.
 */
struct snap {
	const uint8_t *mem;
	struct tdp_pool_stats st;
};

static void snap_take(const struct fix *f, struct snap *s)
{
	memcpy(f->snap_buf, f->mem, POOL_SIZE);
	s->mem = f->snap_buf;
	s->st = pstats(f);
}

/* Nothing changed, not even an allocation attempt. */
static void snap_same_at(int line, const struct fix *f, const struct snap *s)
{
	struct tdp_pool_stats st = pstats(f);

	if (memcmp(s->mem, f->mem, POOL_SIZE))
		fail_msg("line %d: pool memory changed", line);
	eq_at(line, "tables_in_use", st.tables_in_use, s->st.tables_in_use);
	eq_at(line, "bytes_in_use", st.bytes_in_use, s->st.bytes_in_use);
	eq_at(line, "allocs", st.allocs, s->st.allocs);
	eq_at(line, "frees", st.frees, s->st.frees);
	eq_at(line, "failed_allocs", st.failed_allocs, s->st.failed_allocs);
}

#define SNAP_SAME(f, s) snap_same_at(__LINE__, (f), (s))

/* After a failed allocation: same memory, same pages in use, nothing leaked. */
static void snap_same_nomem_at(int line, const struct fix *f,
			       const struct snap *s)
{
	struct tdp_pool_stats st = pstats(f);

	if (memcmp(s->mem, f->mem, POOL_SIZE))
		fail_msg("line %d: pool memory changed after NOMEM", line);
	eq_at(line, "tables_in_use", st.tables_in_use, s->st.tables_in_use);
	eq_at(line, "bytes_in_use", st.bytes_in_use, s->st.bytes_in_use);
	eq_at(line, "allocs - frees", st.allocs - s->st.allocs,
	      st.frees - s->st.frees);
	eq_at(line, "failed_allocs", st.failed_allocs,
	      s->st.failed_allocs + 1);
}

/* Leaf counts per level in a range, by walking. */
struct leaf_count {
	uint64_t n[TDP_MAX_LEVELS];
};

static int count_leaf(const struct tdp_visit *v, void *arg)
{
	struct leaf_count *c = arg;

	if (v->kind == TDP_ENTRY_LEAF)
		c->n[v->level]++;
	return 0;
}

static struct leaf_count leaves_in(struct fix *f, uint64_t addr,
				   uint64_t size)
{
	struct leaf_count c;

	memset(&c, 0, sizeof(c));
	RET(tdp_walk(&f->pgt, addr, size, TDP_WALK_LEAF, count_leaf, &c), 0);
	return c;
}

/* --- map: leaf sizes and table counts --------------------------------- */

static void test_map_1g_leaf(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 3 * G1, pa = 5 * G1;

	EQ(tables(f), 1);
	MAP(f, a, G1, pa, RWX, 0, 0);
	CHECK_MAP(f, a, pa, 2, RWX, 0);
	CHECK_MAP(f, a + 123 * K4, pa + 123 * K4, 2, RWX, 0);
	CHECK_MAP(f, a + G1 - K4, pa + G1 - K4, 2, RWX, 0);
	CHECK_UNMAPPED(f, a - K4, 2);
	CHECK_UNMAPPED(f, a + G1, 2);
	/* Root ... PDPT: every level above the 1 GiB leaf, nothing below. */
	EQ(tables(f), f->fc->levels - 2);
	EQ(leaves_in(f, a, G1).n[2], 1);
}

static void test_map_2m_leaves(void **state)
{
	struct fix *f = *state;
	const uint64_t a = G1 + 3 * M2, pa = 7 * M2;

	MAP(f, a, 2 * M2, pa, RWX, 0, 0);
	CHECK_MAP(f, a, pa, 1, RWX, 0);
	CHECK_MAP(f, a + M2 - K4, pa + M2 - K4, 1, RWX, 0);
	CHECK_MAP(f, a + M2, pa + M2, 1, RWX, 0);
	CHECK_MAP(f, a + 2 * M2 - K4, pa + 2 * M2 - K4, 1, RWX, 0);
	CHECK_UNMAPPED(f, a - K4, 1);
	CHECK_UNMAPPED(f, a + 2 * M2, 1);
	EQ(tables(f), f->fc->levels - 1);
	EQ(leaves_in(f, G1, G1).n[1], 2);
}

/*
 * [1G - 2M - 4K, 2G + 2M + 4K) with pa congruent modulo 1 GiB: a 4 KiB
 * page, a 2 MiB block, a 1 GiB block, a 2 MiB block, a 4 KiB page.
 */
static void test_map_mixed_sizes(void **state)
{
	struct fix *f = *state;
	const uint64_t a = G1 - M2 - K4, size = G1 + 2 * M2 + 2 * K4;
	const uint64_t pa = a + 64 * G1;
	struct leaf_count c;

	MAP(f, a, size, pa, RWX, 0, 0);
	CHECK_MAP(f, a, pa, 0, RWX, 0);
	CHECK_MAP(f, G1 - M2, pa + K4, 1, RWX, 0);
	CHECK_MAP(f, G1, pa + K4 + M2, 2, RWX, 0);
	CHECK_MAP(f, 2 * G1 - K4, pa + K4 + M2 + G1 - K4, 2, RWX, 0);
	CHECK_MAP(f, 2 * G1, pa + K4 + M2 + G1, 1, RWX, 0);
	CHECK_MAP(f, 2 * G1 + M2, pa + K4 + 2 * M2 + G1, 0, RWX, 0);
	CHECK_UNMAPPED(f, a - K4, 0);
	CHECK_UNMAPPED(f, a + size, 0);
	c = leaves_in(f, 0, 4 * G1);
	EQ(c.n[0], 2);
	EQ(c.n[1], 2);
	EQ(c.n[2], 1);
	/* Root, PDPT, PD 0 + its PT, PD 2 + its PT (plus PML4 on 5 levels). */
	EQ(tables(f), f->fc->levels + 2);
}

static void test_map_misaligned_small_leaves(void **state)
{
	struct fix *f = *state;
	struct leaf_count c;
	uint64_t k;

	/* pa 4 KiB off a 2 MiB boundary: 4 KiB leaves only, in 2 PTs. */
	MAP(f, G1, 4 * M1, 2 * G1 + K4, RWX, 0, 0);
	for (k = 0; k < 1024; k += 511)
		CHECK_MAP(f, G1 + k * K4, 2 * G1 + K4 + k * K4, 0, RWX, 0);
	CHECK_MAP(f, G1 + 1023 * K4, 2 * G1 + K4 + 1023 * K4, 0, RWX, 0);
	c = leaves_in(f, G1, 4 * M1);
	EQ(c.n[0], 1024);
	EQ(c.n[1], 0);
	EQ(c.n[2], 0);
	EQ(tables(f), f->fc->levels + 1);

	/* pa 2 MiB aligned but not 1 GiB: 512 2 MiB leaves and one PD more. */
	MAP(f, 4 * G1, G1, 3 * M2, RWX, 0, 0);
	CHECK_MAP(f, 4 * G1, 3 * M2, 1, RWX, 0);
	CHECK_MAP(f, 5 * G1 - K4, 3 * M2 + G1 - K4, 1, RWX, 0);
	c = leaves_in(f, 4 * G1, G1);
	EQ(c.n[1], 512);
	EQ(c.n[2], 0);
	EQ(tables(f), f->fc->levels + 2);

	/* addr 4 KiB off, pa aligned: 512 4 KiB leaves over two PTs. */
	MAP(f, 6 * G1 + K4, M2, 8 * M2, RWX, 0, 0);
	CHECK_MAP(f, 6 * G1 + K4, 8 * M2, 0, RWX, 0);
	CHECK_MAP(f, 6 * G1 + M2, 8 * M2 + M2 - K4, 0, RWX, 0);
	c = leaves_in(f, 6 * G1, G1);
	EQ(c.n[0], 512);
	/* PD and two PTs. */
	EQ(tables(f), f->fc->levels + 5);
}

static void test_map_max_level(void **state)
{
	struct fix *f = *state;
	struct leaf_count c;

	/* Aligned for 2 MiB blocks, but capped at 4 KiB. */
	MAP(f, G1, 4 * M1, 4 * G1, RWX, 0, TDP_OP_MAX_LEVEL(0));
	CHECK_MAP(f, G1, 4 * G1, 0, RWX, 0);
	CHECK_MAP(f, G1 + 4 * M1 - K4, 4 * G1 + 4 * M1 - K4, 0, RWX, 0);
	c = leaves_in(f, G1, 4 * M1);
	EQ(c.n[0], 1024);
	EQ(c.n[1], 0);
	EQ(tables(f), f->fc->levels + 1);

	/* Aligned for a 1 GiB block, capped at 2 MiB. */
	MAP(f, 2 * G1, G1, 6 * G1, RWX, 0, TDP_OP_MAX_LEVEL(1));
	CHECK_MAP(f, 2 * G1, 6 * G1, 1, RWX, 0);
	CHECK_MAP(f, 3 * G1 - K4, 7 * G1 - K4, 1, RWX, 0);
	c = leaves_in(f, 2 * G1, G1);
	EQ(c.n[1], 512);
	EQ(c.n[2], 0);
	EQ(tables(f), f->fc->levels + 2);

	/* A cap at the block's own level changes nothing. */
	MAP(f, 3 * G1, G1, 7 * G1, RWX, 0, TDP_OP_MAX_LEVEL(2));
	CHECK_MAP(f, 3 * G1, 7 * G1, 2, RWX, 0);
	EQ(tables(f), f->fc->levels + 2);
}

static void test_map_no_1g(void **state)
{
	struct fix *f = *state;
	struct leaf_count c;

	MAP(f, G1, G1, 2 * G1, RWX, 0, 0);
	CHECK_MAP(f, G1, 2 * G1, 1, RWX, 0);
	c = leaves_in(f, G1, G1);
	EQ(c.n[1], 512);
	EQ(c.n[2], 0);
	EQ(tables(f), f->fc->levels - 1);
}

/* Edges of the input and output spaces are usable. */
static void test_map_edges(void **state)
{
	struct fix *f = *state;
	const uint64_t pa_top = 1ull << f->fc->pa_bits;
	const uint64_t ia_top = f->fc->ept ? 1ull << f->fc->ia_bits
					   : 1ull << (f->fc->ia_bits - 1);

	MAP(f, 3 * G1, K4, pa_top - K4, RWX, 0, 0);
	CHECK_MAP(f, 3 * G1, pa_top - K4, 0, RWX, 0);
	MAP(f, ia_top - M2, M2, 4 * M2, RWX, 0, 0);
	CHECK_MAP(f, ia_top - K4, 4 * M2 + M2 - K4, 1, RWX, 0);
	RET(tdp_unmap(&f->pgt, 0, ia_top, 0, NULL), 0);
	EQ(tables(f), 1);
}

/* --- map over existing mappings ---------------------------------------- */

/* Over an existing mapping, without TDP_OP_REPLACE, in mode @mode. */
static void map_exist_in_mode(struct fix *f, uint32_t mode)
{
	const uint64_t a = G1 + M2;
	struct snap s;

	MAP(f, a, M2, 6 * M2, RWX, 0, 0);
	MAP(f, 5 * G1 + 4 * M1, K4, 9 * G1, RWX, 0, 0);
	snap_take(f, &s);
	/* Inside the block, straddling each end, and covering it. */
	RET(do_map(f, a + K4, K4, 0, RWX, 0, mode), -TDP_ERR_EXIST);
	SNAP_SAME(f, &s);
	RET(do_map(f, a - K4, 2 * K4, 0, RWX, 0, mode), -TDP_ERR_EXIST);
	SNAP_SAME(f, &s);
	RET(do_map(f, a + M2 - K4, 2 * K4, 0, RWX, 0, mode),
	    -TDP_ERR_EXIST);
	SNAP_SAME(f, &s);
	RET(do_map(f, G1, G1, 0, RWX, 0, mode), -TDP_ERR_EXIST);
	SNAP_SAME(f, &s);
	/* Same pa and attributes still counts as a mapping in the way. */
	RET(do_map(f, a, M2, 6 * M2, RWX, 0, mode), -TDP_ERR_EXIST);
	SNAP_SAME(f, &s);
	/* A 2 MiB block over a table holding one page. */
	RET(do_map(f, 5 * G1 + 4 * M1, M2, 0, RWX, 0, mode), -TDP_ERR_EXIST);
	SNAP_SAME(f, &s);
	/* The conflict comes last: tables for the first part would be new. */
	RET(do_map(f, 5 * G1 - K4, 4 * M1 + 2 * K4, 0, RWX, 0, mode),
	    -TDP_ERR_EXIST);
	SNAP_SAME(f, &s);
	/* Blocks before the conflict would fit in existing tables. */
	RET(do_map(f, G1 - 4 * M2, 6 * M2, 0, RWX, 0, mode), -TDP_ERR_EXIST);
	SNAP_SAME(f, &s);
	CHECK_MAP(f, a, 6 * M2, 1, RWX, 0);
	CHECK_UNMAPPED(f, G1, 1);
}

static void test_map_exist(void **state)
{
	map_exist_in_mode(*state, 0);
}

/* Shared mode too: only NOMEM may leave a shared-mode map partly done. */
static void test_map_exist_shared(void **state)
{
	map_exist_in_mode(*state, TDP_OP_SHARED);
}

/* --- map with TDP_OP_REPLACE ------------------------------------------- */

static void test_replace_leaf(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 2 * G1 + 5 * K4;
	uint64_t t;

	MAP(f, a, K4, 3 * G1, RWX, 0, 0);
	MAP(f, 2 * G1 + 4 * M2, M2, 8 * M2, RWX, 0, 0);
	t = tables(f);
	MAP(f, a, K4, 7 * G1 + K4, RX, 0, TDP_OP_REPLACE);
	CHECK_MAP(f, a, 7 * G1 + K4, 0, RX, 0);
	MAP(f, 2 * G1 + 4 * M2, M2, 12 * M2, RW, 0, TDP_OP_REPLACE);
	CHECK_MAP(f, 2 * G1 + 4 * M2 + K4, 12 * M2 + K4, 1, RW, 0);
	EQ(tables(f), t);
	/* Replacing over nothing is an ordinary map. */
	MAP(f, a + K4, K4, 3 * G1, RWX, 0, TDP_OP_REPLACE);
	CHECK_MAP(f, a + K4, 3 * G1, 0, RWX, 0);
	EQ(tables(f), t);
}

static void test_replace_splits_blocks(void **state)
{
	struct fix *f = *state;
	const uint64_t a = G1 + 2 * M2, p = 3 * M2;
	const uint64_t b = 4 * G1, c = 6 * G1;
	uint64_t t;

	/* 4 KiB inside a 2 MiB block: one PT; the rest keeps pa and attrs. */
	MAP(f, a, M2, p, RWX, ACC, 0);
	t = tables(f);
	MAP(f, a + 5 * K4, K4, 100 * M2 + K4, RX, 0, TDP_OP_REPLACE);
	EQ(tables(f), t + 1);
	CHECK_MAP(f, a, p, 0, RWX, ACC);
	CHECK_MAP(f, a + 4 * K4, p + 4 * K4, 0, RWX, ACC);
	CHECK_MAP(f, a + 5 * K4, 100 * M2 + K4, 0, RX, 0);
	CHECK_MAP(f, a + 6 * K4, p + 6 * K4, 0, RWX, ACC);
	CHECK_MAP(f, a + M2 - K4, p + M2 - K4, 0, RWX, ACC);

	/* 2 MiB inside a 1 GiB block: one PD of 2 MiB blocks. */
	MAP(f, b, G1, 8 * G1, RWX, 0, 0);
	t = tables(f);
	MAP(f, b + 10 * M1, M2, 100 * M2, RX, 0, TDP_OP_REPLACE);
	EQ(tables(f), t + 1);
	CHECK_MAP(f, b, 8 * G1, 1, RWX, 0);
	CHECK_MAP(f, b + 8 * M1, 8 * G1 + 8 * M1, 1, RWX, 0);
	CHECK_MAP(f, b + 10 * M1 + K4, 100 * M2 + K4, 1, RX, 0);
	CHECK_MAP(f, b + 12 * M1, 8 * G1 + 12 * M1, 1, RWX, 0);
	CHECK_MAP(f, b + G1 - K4, 9 * G1 - K4, 1, RWX, 0);

	/* 4 KiB inside a 1 GiB block: a PD and a PT. */
	MAP(f, c, G1, 12 * G1, RWX, DIRTY, 0);
	t = tables(f);
	MAP(f, c + 3 * M1 + K4, K4, 5 * K4, RW, 0, TDP_OP_REPLACE);
	EQ(tables(f), t + 2);
	CHECK_MAP(f, c, 12 * G1, 1, RWX, DIRTY);
	CHECK_MAP(f, c + M2, 12 * G1 + M2, 0, RWX, DIRTY);
	CHECK_MAP(f, c + 3 * M1, 12 * G1 + 3 * M1, 0, RWX, DIRTY);
	CHECK_MAP(f, c + 3 * M1 + K4, 5 * K4, 0, RW, 0);
	CHECK_MAP(f, c + 3 * M1 + 2 * K4, 12 * G1 + 3 * M1 + 2 * K4, 0, RWX,
		  DIRTY);
	CHECK_MAP(f, c + 4 * M1, 12 * G1 + 4 * M1, 1, RWX, DIRTY);
	CHECK_MAP(f, c + G1 - K4, 13 * G1 - K4, 1, RWX, DIRTY);

	/* A range across two blocks splits both ends. */
	MAP(f, 8 * G1, 2 * G1, 16 * G1, RWX, 0, 0);
	t = tables(f);
	MAP(f, 9 * G1 - K4, 2 * K4, 40 * G1 - K4, RX, 0, TDP_OP_REPLACE);
	EQ(tables(f), t + 4);
	CHECK_MAP(f, 9 * G1 - 2 * K4, 17 * G1 - 2 * K4, 0, RWX, 0);
	CHECK_MAP(f, 9 * G1 - K4, 40 * G1 - K4, 0, RX, 0);
	CHECK_MAP(f, 9 * G1, 40 * G1, 0, RX, 0);
	CHECK_MAP(f, 9 * G1 + K4, 17 * G1 + K4, 0, RWX, 0);
	CHECK_MAP(f, 9 * G1 - M2, 17 * G1 - M2, 0, RWX, 0);
	CHECK_MAP(f, 9 * G1 - 2 * M2, 17 * G1 - 2 * M2, 1, RWX, 0);
	CHECK_MAP(f, 9 * G1 + M2, 17 * G1 + M2, 1, RWX, 0);
}

static void test_replace_frees_tables(void **state)
{
	struct fix *f = *state;
	const uint64_t a = G1 + M2;
	uint64_t t;

	/* 512 4 KiB pages in one PT, replaced by a 2 MiB block. */
	MAP(f, a, M2, 0, RWX, 0, TDP_OP_MAX_LEVEL(0));
	EQ(tables(f), f->fc->levels);
	MAP(f, a, M2, 6 * M2, RX, 0, TDP_OP_REPLACE);
	EQ(tables(f), f->fc->levels - 1);
	CHECK_MAP(f, a, 6 * M2, 1, RX, 0);
	CHECK_MAP(f, a + M2 - K4, 7 * M2 - K4, 1, RX, 0);

	/* A PD with a block and two PTs, replaced by a 1 GiB block. */
	MAP(f, 2 * G1, K4, 0, RWX, 0, 0);
	MAP(f, 2 * G1 + 512 * M1, 2 * K4, 0, RWX, 0, 0);
	MAP(f, 2 * G1 + 4 * M2, M2, 0, RWX, 0, 0);
	t = tables(f);
	MAP(f, 2 * G1, G1, 3 * G1, RWX, 0, TDP_OP_REPLACE);
	EQ(tables(f), t - 3);
	CHECK_MAP(f, 2 * G1 + 512 * M1, 3 * G1 + 512 * M1, 2, RWX, 0);
	/* A range covering a table and more: the table goes, blocks come. */
	MAP(f, 4 * G1 + 4 * K4, K4, 0, RWX, 0, 0);
	t = tables(f);
	MAP(f, 4 * G1 - M2, G1 + 2 * M2, 5 * G1 - M2, RWX, 0,
	    TDP_OP_REPLACE);
	CHECK_MAP(f, 4 * G1, 5 * G1, 2, RWX, 0);
	CHECK_MAP(f, 4 * G1 - M2, 5 * G1 - M2, 1, RWX, 0);
	CHECK_MAP(f, 5 * G1, 6 * G1, 1, RWX, 0);
	CHECK_UNMAPPED(f, 4 * G1 - M2 - K4, 1);
	CHECK_UNMAPPED(f, 5 * G1 + M2, 1);
	/* A PD for [4G - 2M, 4G) came (+1), the PD at 4G and its PT went
	 * (-2), a PD for [5G, 5G + 2M) came (+1). */
	EQ(tables(f), t);
}

/* --- unmap -------------------------------------------------------------- */

static void test_unmap_split_1g(void **state)
{
	struct fix *f = *state;
	const uint64_t u = G1 + 4 * M1 + 3 * K4;
	uint64_t t;

	MAP(f, G1, G1, 4 * G1, RWX, 0, 0);
	t = tables(f);
	RET(tdp_unmap(&f->pgt, u, K4, 0, NULL), 0);
	EQ(tables(f), t + 2);
	CHECK_UNMAPPED(f, u, 0);
	CHECK_MAP(f, u - K4, 4 * G1 + 4 * M1 + 2 * K4, 0, RWX, 0);
	CHECK_MAP(f, u + K4, 4 * G1 + 4 * M1 + 4 * K4, 0, RWX, 0);
	CHECK_MAP(f, G1 + 4 * M1, 4 * G1 + 4 * M1, 0, RWX, 0);
	CHECK_MAP(f, G1 + 6 * M1 - K4, 4 * G1 + 6 * M1 - K4, 0, RWX, 0);
	CHECK_MAP(f, G1 + 6 * M1, 4 * G1 + 6 * M1, 1, RWX, 0);
	CHECK_MAP(f, G1, 4 * G1, 1, RWX, 0);
	CHECK_MAP(f, 2 * G1 - K4, 5 * G1 - K4, 1, RWX, 0);

	/* A 2 MiB hole in another 1 GiB block: a PD only. */
	MAP(f, 2 * G1, G1, 8 * G1, RWX, 0, 0);
	t = tables(f);
	RET(tdp_unmap(&f->pgt, 2 * G1 + 8 * M2, M2, 0, NULL), 0);
	EQ(tables(f), t + 1);
	CHECK_UNMAPPED(f, 2 * G1 + 8 * M2, 1);
	CHECK_UNMAPPED(f, 2 * G1 + 9 * M2 - K4, 1);
	CHECK_MAP(f, 2 * G1 + 9 * M2, 8 * G1 + 9 * M2, 1, RWX, 0);
	CHECK_MAP(f, 2 * G1 + 8 * M2 - K4, 8 * G1 + 8 * M2 - K4, 1, RWX, 0);
}

static void test_unmap_split_2m_then_empty(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 3 * G1 + 6 * M2;

	MAP(f, a, M2, 10 * M2, RWX, 0, 0);
	EQ(tables(f), f->fc->levels - 1);
	RET(tdp_unmap(&f->pgt, a, K4, 0, NULL), 0);
	EQ(tables(f), f->fc->levels);
	CHECK_UNMAPPED(f, a, 0);
	CHECK_MAP(f, a + K4, 10 * M2 + K4, 0, RWX, 0);
	CHECK_MAP(f, a + M2 - K4, 11 * M2 - K4, 0, RWX, 0);
	/* Unmapping the rest empties the PT, the PD, ...: only the root. */
	RET(tdp_unmap(&f->pgt, a + K4, M2 - K4, 0, NULL), 0);
	EQ(tables(f), 1);
}

static bool page_is_zero(const uint8_t *p)
{
	size_t i;

	for (i = 0; i < 4096; i++)
		if (p[i])
			return false;
	return true;
}

static void test_unmap_all_only_root(void **state)
{
	struct fix *f = *state;
	const uint64_t a = G1 - M2 - K4;

	MAP(f, a, G1 + 2 * M2 + 2 * K4, a + 64 * G1, RWX, 0, 0);
	MAP(f, 5 * G1 + K4, 3 * M2, 0, RWX, 0, 0);
	MAP(f, G512 + 7 * K4, K4, 0, RWX, 0, 0);
	assert_true(tables(f) > 4);
	RET(tdp_unmap(&f->pgt, 0, 2 * G512, 0, NULL), 0);
	EQ(tables(f), 1);
	assert_true(page_is_zero(tdp_pool_phys_to_virt(f->pool, f->pgt.root_pa,
							 4096)));
	CHECK_UNMAPPED(f, G1, f->fc->levels - 1);
}

static void test_unmap_pagewise(void **state)
{
	struct fix *f = *state;
	const uint64_t a = G1 - M2;
	uint64_t k;

	/* Two PDs (either side of 1 GiB), one PT each. */
	MAP(f, a, 2 * M2, 0, RWX, 0, TDP_OP_MAX_LEVEL(0));
	EQ(tables(f), f->fc->levels + 2);
	for (k = 0; k < 1024; k++) {
		RET(tdp_unmap(&f->pgt, a + k * K4, K4, 0, NULL), 0);
		if (k + 1 < 1024)
			CHECK_MAP(f, a + (k + 1) * K4, (k + 1) * K4, 0, RWX,
				  0);
		if (k == 510)
			EQ(tables(f), f->fc->levels + 2);
		if (k == 511) /* PT 0 and PD 0 went */
			EQ(tables(f), f->fc->levels);
	}
	EQ(tables(f), 1);
}

static void test_unmap_holes(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 2 * G1 + 16 * K4;
	struct snap s;

	MAP(f, a, K4, 0, RWX, 0, 0);
	MAP(f, a + 2 * K4, K4, 0, RWX, 0, 0);
	MAP(f, 7 * G1, M2, 0, RWX, 0, 0);
	snap_take(f, &s);
	/* A range with nothing in it: success, no change. */
	RET(tdp_unmap(&f->pgt, a + 3 * K4, 8 * K4, 0, NULL), 0);
	SNAP_SAME(f, &s);
	RET(tdp_unmap(&f->pgt, 100 * G1, 4 * G1, 0, NULL), 0);
	SNAP_SAME(f, &s);
	/* Page, hole, page. */
	RET(tdp_unmap(&f->pgt, a, 3 * K4, 0, NULL), 0);
	CHECK_UNMAPPED(f, a, -1);
	CHECK_UNMAPPED(f, a + 2 * K4, -1);
	CHECK_MAP(f, 7 * G1, 0, 1, RWX, 0);
	/* Everything, mostly holes. */
	RET(tdp_unmap(&f->pgt, 0, G512, 0, NULL), 0);
	EQ(tables(f), 1);
}

/* --- protect ------------------------------------------------------------ */

static void test_protect_wp_relax(void **state)
{
	struct fix *f = *state;
	const uint64_t a = G1 + M2, p = 2 * G1 + 2 * M2;
	uint32_t fault;
	uint64_t out, t;

	MAP(f, a, 2 * M2, p, RWX, 0, 0);
	MAP(f, a + 2 * M2, 2 * K4, p + 2 * M2, RWX, 0, 0);
	t = tables(f);
	RET(tdp_protect(&f->pgt, a, 2 * M2 + 2 * K4, 0, TDP_PERM_W, 0, NULL),
	    0);
	EQ(tables(f), t);
	CHECK_MAP(f, a, p, 1, RX, 0);
	CHECK_MAP(f, a + M2, p + M2, 1, RX, 0);
	CHECK_MAP(f, a + 2 * M2 + K4, p + 2 * M2 + K4, 0, RX, 0);
	RET(tdp_translate(&f->pgt, a + 5 * K4, TDP_ACCESS_WRITE, &out, &fault),
	    -TDP_ERR_FAULT);
	EQ(fault, TDP_FAULT_PERMISSION);
	RET(tdp_translate(&f->pgt, a + 2 * M2 + K4, TDP_ACCESS_WRITE, &out,
			  &fault),
	    -TDP_ERR_FAULT);
	EQ(fault, TDP_FAULT_PERMISSION);
	RET(tdp_translate(&f->pgt, a + 5 * K4, TDP_ACCESS_READ, &out, &fault),
	    0);
	EQ(out, p + 5 * K4);

	/* Relax again (after the write fault). */
	RET(tdp_protect(&f->pgt, a, 2 * M2 + 2 * K4, TDP_PERM_W, 0, 0, NULL),
	    0);
	CHECK_MAP(f, a, p, 1, RWX, 0);
	CHECK_MAP(f, a + 2 * M2, p + 2 * M2, 0, RWX, 0);
	RET(tdp_translate(&f->pgt, a + 5 * K4, TDP_ACCESS_WRITE, &out, &fault),
	    0);
	EQ(out, p + 5 * K4);
	EQ(fault, TDP_FAULT_NONE);

	/* clear wins over set. */
	RET(tdp_protect(&f->pgt, a, M2, TDP_PERM_W, TDP_PERM_W, 0, NULL), 0);
	CHECK_MAP(f, a, p, 1, RX, 0);
	/* Taking execute away. */
	RET(tdp_protect(&f->pgt, a, M2, 0, TDP_PERM_X | TDP_PERM_XU, 0, NULL),
	    0);
	CHECK_MAP(f, a, p, 1, TDP_PERM_R, 0);
	EQ(tables(f), t);
}

static void test_protect_split_where_cut(void **state)
{
	struct fix *f = *state;
	const uint64_t g = G1, p = 4 * G1;
	uint64_t t;

	MAP(f, g, G1, p, RWX, 0, 0);
	t = tables(f);
	/* Cuts the 1 GiB block and the 2 MiB piece at 1G + 2M; covers the
	 * piece at 1G + 4M entirely. */
	RET(tdp_protect(&f->pgt, g + M2 + K4, M2 + M2 - K4, 0, TDP_PERM_W, 0,
			NULL),
	    0);
	EQ(tables(f), t + 2);
	CHECK_MAP(f, g, p, 1, RWX, 0);
	CHECK_MAP(f, g + M2, p + M2, 0, RWX, 0);
	CHECK_MAP(f, g + M2 + K4, p + M2 + K4, 0, RX, 0);
	CHECK_MAP(f, g + 2 * M2 - K4, p + 2 * M2 - K4, 0, RX, 0);
	CHECK_MAP(f, g + 2 * M2, p + 2 * M2, 1, RX, 0);
	CHECK_MAP(f, g + 3 * M2, p + 3 * M2, 1, RWX, 0);
	CHECK_MAP(f, g + G1 - M2, p + G1 - M2, 1, RWX, 0);
	/* A whole block: no split. */
	MAP(f, 2 * G1, G1, 8 * G1, RWX, 0, 0);
	t = tables(f);
	RET(tdp_protect(&f->pgt, 2 * G1, G1, 0, TDP_PERM_W, 0, NULL), 0);
	EQ(tables(f), t);
	CHECK_MAP(f, 2 * G1 + M2, 8 * G1 + M2, 2, RX, 0);
}

static void test_protect_notsup(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 3 * G1;
	struct snap s;

	MAP(f, a, M2, 2 * M2, RW, 0, 0);
	MAP(f, a + M2, K4, 0, RWX, 0, 0);
	snap_take(f, &s);
	/* EPT: W without R; IA-32e: no R at all. Neither is expressible. */
	RET(tdp_protect(&f->pgt, a + K4, M2, 0, TDP_PERM_R, 0, NULL),
	    -TDP_ERR_NOTSUP);
	SNAP_SAME(f, &s);
	RET(tdp_protect(&f->pgt, a + M2, K4, 0, TDP_PERM_R, 0, NULL),
	    -TDP_ERR_NOTSUP);
	SNAP_SAME(f, &s);
	/* Supervisor execute without user execute: X != XU without MBEC. */
	RET(tdp_protect(&f->pgt, a, K4, TDP_PERM_X, 0, 0, NULL),
	    -TDP_ERR_NOTSUP);
	SNAP_SAME(f, &s);
	CHECK_MAP(f, a, 2 * M2, 1, RW, 0);
}

/* ept4 with execute-only: the first leaf could change, the second cannot,
 * so nothing may change (and no split may happen). */
static void protect_notsup_atomic_in_mode(struct fix *f, uint32_t mode)
{
	const uint64_t a = 3 * G1, p = 4 * M2;
	struct snap s;
	uint64_t t;

	MAP(f, a, M2, p, RX, 0, 0);
	MAP(f, a + M2, K4, 0, RW, 0, 0);
	t = tables(f);
	snap_take(f, &s);
	RET(tdp_protect(&f->pgt, a + K4, M2, 0, TDP_PERM_R, mode, NULL),
	    -TDP_ERR_NOTSUP);
	SNAP_SAME(f, &s);
	/* A whole leaf that can change before one that cannot. */
	RET(tdp_protect(&f->pgt, a, M2 + K4, 0, TDP_PERM_R, mode, NULL),
	    -TDP_ERR_NOTSUP);
	SNAP_SAME(f, &s);
	/* Only the execute-only-capable part: allowed, the block is split. */
	RET(tdp_protect(&f->pgt, a + K4, M2 - K4, 0, TDP_PERM_R, mode, NULL),
	    0);
	EQ(tables(f), t + 1);
	CHECK_MAP(f, a, p, 0, RX, 0);
	CHECK_MAP(f, a + K4, p + K4, 0, XO, 0);
	CHECK_MAP(f, a + M2 - K4, p + M2 - K4, 0, XO, 0);
	CHECK_MAP(f, a + M2, 0, 0, RW, 0);
}

static void test_protect_notsup_atomic(void **state)
{
	protect_notsup_atomic_in_mode(*state, 0);
}

static void test_protect_notsup_atomic_shared(void **state)
{
	protect_notsup_atomic_in_mode(*state, TDP_OP_SHARED);
}

static void test_protect_holes(void **state)
{
	struct fix *f = *state;

	MAP(f, G1, K4, 0, RWX, 0, 0);
	MAP(f, 3 * G1, M2, 0, RWX, 0, 0);
	RET(tdp_protect(&f->pgt, 0, 4 * G1, 0, TDP_PERM_W, 0, NULL), 0);
	CHECK_MAP(f, G1, 0, 0, RX, 0);
	CHECK_MAP(f, 3 * G1, 0, 1, RX, 0);
	CHECK_UNMAPPED(f, G1 + K4, 0);
	CHECK_UNMAPPED(f, 2 * G1, 2);
}

/* --- accessed and dirty ------------------------------------------------- */

struct rep_log {
	unsigned int n;
	uint64_t addr[16];
	uint64_t size[16];
	unsigned int stop_at; /* return stop_ret from this call (1-based) */
	int stop_ret;
};

static int rep_fn(uint64_t addr, uint64_t size, void *arg)
{
	struct rep_log *l = arg;

	if (l->n < 16) {
		l->addr[l->n] = addr;
		l->size[l->n] = size;
	}
	l->n++;
	return l->n == l->stop_at ? l->stop_ret : 0;
}

/*
 * The window used by the young and dirty tests: a 2 MiB block with A and
 * D, then six pages with A and @flag except the fifth, which has only the
 * other flag of the two.
 */
static void ad_layout(struct fix *f, uint64_t w, uint32_t flag)
{
	const uint32_t other = (ACC | DIRTY) & ~flag;

	MAP(f, w, M2, 8 * G1, RWX, ACC | DIRTY, 0);
	MAP(f, w + M2, 4 * K4, 16 * G1, RWX, ACC | flag, 0);
	MAP(f, w + M2 + 4 * K4, K4, 16 * G1 + 4 * K4, RWX, other, 0);
	MAP(f, w + M2 + 5 * K4, K4, 16 * G1 + 5 * K4, RWX, ACC | flag, 0);
}

static void check_ad_report(const struct rep_log *l, const uint64_t *bm,
			    uint64_t w)
{
	static const uint64_t exp_addr[] = { 0, M2, M2 + K4, M2 + 2 * K4,
					     M2 + 3 * K4, M2 + 5 * K4 };
	unsigned int i;

	EQ(l->n, 6);
	EQ(l->size[0], M2);
	for (i = 0; i < 6; i++) {
		EQ(l->addr[i], w + exp_addr[i]);
		if (i)
			EQ(l->size[i], K4);
	}
	/* Bits 0..511 (the block), 512..515 and 517. */
	for (i = 0; i < 8; i++)
		EQ(bm[i], ~0ull);
	EQ(bm[8], 0x2full);
	for (i = 9; i < 16; i++)
		EQ(bm[i], 0);
}

static void test_young(void **state)
{
	struct fix *f = *state;
	const uint64_t w = G1;
	uint64_t bm[16];
	struct rep_log l;
	struct tdp_report r = { bm, rep_fn, &l };
	unsigned int i;

	/* Every leaf accessed except the page at w + 2M + 16K. */
	ad_layout(f, w, ACC);
	memset(bm, 0, sizeof(bm));
	memset(&l, 0, sizeof(l));
	RET(tdp_test_clear_young(&f->pgt, w, 2 * M2, 0, &r), 0);
	check_ad_report(&l, bm, w);
	/* A is cleared everywhere; D stays. */
	CHECK_MAP(f, w + K4, 8 * G1 + K4, 1, RWX, DIRTY);
	for (i = 0; i < 6; i++)
		CHECK_MAP(f, w + M2 + i * K4, 16 * G1 + i * K4, 0, RWX,
			  i == 4 ? DIRTY : 0);
	/* Nothing is young any more. */
	memset(bm, 0, sizeof(bm));
	memset(&l, 0, sizeof(l));
	RET(tdp_test_clear_young(&f->pgt, w, 2 * M2, 0, &r), 0);
	EQ(l.n, 0);
	for (i = 0; i < 16; i++)
		EQ(bm[i], 0);
}

static void test_young_partial_block(void **state)
{
	struct fix *f = *state;
	const uint64_t w = 2 * G1;
	uint64_t bm[2] = { 0, 0 };
	struct rep_log l;
	struct tdp_report r = { bm, rep_fn, &l };

	MAP(f, w, M2, 6 * M2, RWX, ACC, 0);
	memset(&l, 0, sizeof(l));
	/* Reported clipped to the range, cleared as a whole. */
	RET(tdp_test_clear_young(&f->pgt, w + M1, 2 * K4, 0, &r), 0);
	EQ(l.n, 1);
	EQ(l.addr[0], w + M1);
	EQ(l.size[0], 2 * K4);
	EQ(bm[0], 3);
	EQ(bm[1], 0);
	CHECK_MAP(f, w, 6 * M2, 1, RWX, 0);
	memset(&l, 0, sizeof(l));
	RET(tdp_test_clear_young(&f->pgt, w, M2, 0, &r), 0);
	EQ(l.n, 0);
	/* Bitmap bits are only ever set. */
	EQ(bm[0], 3);
}

static void test_dirty(void **state)
{
	struct fix *f = *state;
	const uint64_t w = G1;
	uint64_t bm[16];
	struct rep_log l;
	struct tdp_report r = { bm, rep_fn, &l };
	unsigned int i;

	/* Every leaf dirty except the page at w + 2M + 16K. */
	ad_layout(f, w, DIRTY);
	memset(bm, 0, sizeof(bm));
	memset(&l, 0, sizeof(l));
	RET(tdp_harvest_dirty(&f->pgt, w, 2 * M2, 0, &r), 0);
	check_ad_report(&l, bm, w);
	/* D is cleared; A stays. */
	CHECK_MAP(f, w, 8 * G1, 1, RWX, ACC);
	for (i = 0; i < 6; i++)
		CHECK_MAP(f, w + M2 + i * K4, 16 * G1 + i * K4, 0, RWX, ACC);
	memset(bm, 0, sizeof(bm));
	memset(&l, 0, sizeof(l));
	RET(tdp_harvest_dirty(&f->pgt, w, 2 * M2, 0, &r), 0);
	EQ(l.n, 0);
	for (i = 0; i < 16; i++)
		EQ(bm[i], 0);
}

static void test_dirty_partial_block(void **state)
{
	struct fix *f = *state;
	const uint64_t w = 2 * G1;
	uint64_t bm[8];
	struct rep_log l;
	struct tdp_report r = { bm, rep_fn, &l };
	int round;

	MAP(f, w, M2, 6 * M2, RWX, DIRTY, 0);
	/* Reported, clipped, but kept dirty: twice the same. */
	for (round = 0; round < 2; round++) {
		memset(bm, 0, sizeof(bm));
		memset(&l, 0, sizeof(l));
		RET(tdp_harvest_dirty(&f->pgt, w + M1, 2 * K4, 0, &r), 0);
		EQ(l.n, 1);
		EQ(l.addr[0], w + M1);
		EQ(l.size[0], 2 * K4);
		EQ(bm[0], 3);
		EQ(bm[1], 0);
		CHECK_MAP(f, w, 6 * M2, 1, RWX, DIRTY);
	}
	/* A range that starts before the block and ends inside it. */
	memset(bm, 0, sizeof(bm));
	memset(&l, 0, sizeof(l));
	RET(tdp_harvest_dirty(&f->pgt, w - 2 * K4, 4 * K4, 0, &r), 0);
	EQ(l.n, 1);
	EQ(l.addr[0], w);
	EQ(l.size[0], 2 * K4);
	EQ(bm[0], 0xc);
	CHECK_MAP(f, w, 6 * M2, 1, RWX, DIRTY);
	/* The whole block: reported and cleared. */
	memset(bm, 0, sizeof(bm));
	memset(&l, 0, sizeof(l));
	RET(tdp_harvest_dirty(&f->pgt, w, M2, 0, &r), 0);
	EQ(l.n, 1);
	EQ(l.addr[0], w);
	EQ(l.size[0], M2);
	EQ(bm[0], ~0ull);
	EQ(bm[7], ~0ull);
	CHECK_MAP(f, w, 6 * M2, 1, RWX, 0);
	memset(&l, 0, sizeof(l));
	RET(tdp_harvest_dirty(&f->pgt, w, M2, 0, &r), 0);
	EQ(l.n, 0);
}

static void test_report_stop_and_null(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 5 * G1;
	struct rep_log l;
	struct tdp_report r = { NULL, rep_fn, &l };

	MAP(f, a, 3 * K4, 0, RWX, ACC | DIRTY, 0);
	memset(&l, 0, sizeof(l));
	l.stop_at = 1;
	l.stop_ret = 7;
	RET(tdp_test_clear_young(&f->pgt, a, 3 * K4, 0, &r), 7);
	EQ(l.n, 1);
	memset(&l, 0, sizeof(l));
	l.stop_at = 2;
	l.stop_ret = -3;
	RET(tdp_harvest_dirty(&f->pgt, a, 3 * K4, 0, &r), -3);
	EQ(l.n, 2);
	/* No report at all: flags are still cleared. */
	RET(tdp_test_clear_young(&f->pgt, a, 3 * K4, 0, NULL), 0);
	RET(tdp_harvest_dirty(&f->pgt, a, 3 * K4, 0, NULL), 0);
	CHECK_MAP(f, a + 2 * K4, 2 * K4, 0, RWX, 0);
}

static void test_ad_notsup(void **state)
{
	struct fix *f = *state;
	uint64_t bm[1] = { 0 };
	struct rep_log l;
	struct tdp_report r = { bm, rep_fn, &l };

	memset(&l, 0, sizeof(l));
	MAP(f, G1, K4, 0, RWX, 0, 0);
	RET(tdp_test_clear_young(&f->pgt, G1, K4, 0, &r), -TDP_ERR_NOTSUP);
	RET(tdp_harvest_dirty(&f->pgt, G1, K4, 0, &r), -TDP_ERR_NOTSUP);
	EQ(l.n, 0);
	EQ(bm[0], 0);
}

/* --- TLB hooks ---------------------------------------------------------- */

struct tlb_log {
	struct tdp_pool *pool;
	unsigned int n_addr, n_range, n_all;
	uint64_t addr, size; /* of the last call */
	int level;
	bool seen;
	uint64_t tables_at_first; /* tables_in_use at the first call */
};

static struct tlb_log *tlb_ctx_of(void *ctx)
{
	struct tlb_log *t = ctx;

	if (!t->seen) {
		struct tdp_pool_stats st;

		tdp_pool_get_stats(t->pool, &st);
		t->tables_at_first = st.tables_in_use;
		t->seen = true;
	}
	return t;
}

static void h_flush_addr(void *ctx, uint64_t addr, int level)
{
	struct tlb_log *t = tlb_ctx_of(ctx);

	t->n_addr++;
	t->addr = addr;
	t->level = level;
}

static void h_flush_range(void *ctx, uint64_t addr, uint64_t size)
{
	struct tlb_log *t = tlb_ctx_of(ctx);

	t->n_range++;
	t->addr = addr;
	t->size = size;
}

static void h_flush_all(void *ctx)
{
	tlb_ctx_of(ctx)->n_all++;
}

static const struct tdp_tlb_ops tlb_full = { h_flush_addr, h_flush_range,
					     h_flush_all };
static const struct tdp_tlb_ops tlb_only_all = { NULL, NULL, h_flush_all };
static const struct tdp_tlb_ops tlb_only_range = { NULL, h_flush_range,
						   NULL };
static const struct tdp_tlb_ops tlb_addr_all = { h_flush_addr, NULL,
						 h_flush_all };

static void tlb_reset(struct tlb_log *t, const struct fix *f)
{
	memset(t, 0, sizeof(*t));
	t->pool = f->pool;
	t->level = -1;
}

static unsigned int tlb_calls(const struct tlb_log *t)
{
	return t->n_addr + t->n_range + t->n_all;
}

static void test_tlb_map_no_flush(void **state)
{
	struct fix *f = *state;
	struct tlb_log t;

	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_full, &t), 0);
	MAP(f, G1 - M2 - K4, G1 + 2 * M2 + 2 * K4, 64 * G1 - M2 - K4, RWX, 0,
	    0);
	/* Into an existing PT, next to a live page. */
	MAP(f, G1 - M2 - 2 * K4, K4, 0, RWX, 0, 0);
	/* REPLACE over nothing. */
	MAP(f, 7 * G1, M2, 0, RWX, 0, TDP_OP_REPLACE);
	EQ(tlb_calls(&t), 0);
	RET(tdp_pgt_set_tlb(&f->pgt, NULL, NULL), 0);
}

/* One flush for an aligned 1 GiB of 4 KiB pages: the single PDPTE that
 * held them is the only live entry changed. */
static void test_tlb_unmap_1g_aligned(void **state)
{
	struct fix *f = *state;
	struct tlb_log t;
	uint64_t before;

	MAP(f, G1, G1, 4 * G1, RWX, 0, TDP_OP_MAX_LEVEL(0));
	before = tables(f);
	EQ(before, f->fc->levels - 1 + 512);
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_full, &t), 0);
	RET(tdp_unmap(&f->pgt, G1, G1, 0, NULL), 0);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_all, 0);
	/* Either form covers exactly [1G, 2G). */
	EQ(t.addr, G1);
	if (t.n_range)
		EQ(t.size, G1);
	else
		EQ(t.level, 2);
	/* Tables are freed only after the flush. */
	EQ(t.tables_at_first, before);
	EQ(tables(f), 1);
}

static void test_tlb_unmap_1g_unaligned(void **state)
{
	struct fix *f = *state;
	const uint64_t a = G1 + M2;
	struct tlb_log t;
	uint64_t before;

	MAP(f, a, G1, 4 * G1, RWX, 0, TDP_OP_MAX_LEVEL(0));
	before = tables(f);
	/* PDPT (+ PML4), two PDs, 512 PTs. */
	EQ(before, f->fc->levels - 2 + 2 + 512);
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_full, &t), 0);
	RET(tdp_unmap(&f->pgt, a, G1, 0, NULL), 0);
	EQ(t.n_range, 1);
	EQ(t.n_addr, 0);
	EQ(t.n_all, 0);
	EQ(t.addr, a);
	EQ(t.size, G1);
	EQ(t.tables_at_first, before);
	EQ(tables(f), 1);
}

static void test_tlb_single_page(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 2 * G1 + 8 * K4;
	struct tlb_log t;

	MAP(f, a, 2 * K4, 0, RWX, 0, 0);
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_full, &t), 0);
	RET(tdp_unmap(&f->pgt, a + K4, K4, 0, NULL), 0);
	EQ(t.n_addr, 1);
	EQ(t.n_range, 0);
	EQ(t.n_all, 0);
	EQ(t.addr, a + K4);
	EQ(t.level, 0);
	/* A hole changes nothing live. */
	tlb_reset(&t, f);
	RET(tdp_unmap(&f->pgt, a + K4, 4 * K4, 0, NULL), 0);
	EQ(tlb_calls(&t), 0);
	/* Re-mapping the now empty slot needs no flush either. */
	MAP(f, a + K4, K4, 0, RWX, 0, 0);
	EQ(tlb_calls(&t), 0);
}

static void test_tlb_harvest(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 3 * G1;
	struct tlb_log t;

	MAP(f, a, 4 * K4, 0, RWX, ACC | DIRTY, 0);
	MAP(f, a + 8 * K4, K4, 0, RWX, DIRTY, 0);
	MAP(f, a + M2, M2, 0, RWX, DIRTY, 0);
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_full, &t), 0);
	/* Aging never invalidates. */
	RET(tdp_test_clear_young(&f->pgt, a, 4 * K4, 0, NULL), 0);
	EQ(tlb_calls(&t), 0);
	CHECK_MAP(f, a, 0, 0, RWX, DIRTY);
	/* Dirty: one flush for the four pages. */
	RET(tdp_harvest_dirty(&f->pgt, a, 4 * K4, 0, NULL), 0);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_range, 1);
	EQ(t.addr, a);
	EQ(t.size, 4 * K4);
	/* Nothing left to clear: no flush. */
	tlb_reset(&t, f);
	RET(tdp_harvest_dirty(&f->pgt, a, 4 * K4, 0, NULL), 0);
	EQ(tlb_calls(&t), 0);
	/* One page: flush_addr. */
	RET(tdp_harvest_dirty(&f->pgt, a + 8 * K4, K4, 0, NULL), 0);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_addr, 1);
	EQ(t.addr, a + 8 * K4);
	EQ(t.level, 0);
	/* A dirty block only partly in range is not cleared: no flush. */
	tlb_reset(&t, f);
	RET(tdp_harvest_dirty(&f->pgt, a + M2 + K4, K4, 0, NULL), 0);
	EQ(tlb_calls(&t), 0);
}

/* --- harvesting many pages ------------------------------------------------ */

/*
 * 1024 pages (two page tables) with every combination of the two flags, in
 * runs and scattered, a few entries made malformed by hand, and a range
 * that starts and ends inside a table and at no bitmap-word boundary.
 * Report bits, callback order, the entries afterwards and the TLB flush
 * are checked against what is computed here page by page.
 */
#define HP_BASE (6 * G1)
#define HP_PA (20 * G1)
#define HP_PAGES 1024u
#define HP_FIRST 37u  /* first page of the harvested range */
#define HP_LAST 1000u /* its last page */
#define HP_WORDS ((HP_LAST - HP_FIRST + 1 + 63) / 64 + 1) /* one spare */

struct hp_log {
	unsigned int n;
	uint64_t addr[HP_PAGES];
	unsigned int stop_at; /* return stop_ret from this call (1-based) */
	int stop_ret;
};

static int hp_fn(uint64_t addr, uint64_t size, void *arg)
{
	struct hp_log *l = arg;

	if (size != K4 || l->n >= HP_PAGES)
		fail_msg("report of 0x%llx bytes, or too many reports",
			 (unsigned long long)size);
	l->addr[l->n++] = addr;
	return l->n == l->stop_at ? l->stop_ret : 0;
}

/* Page @k's flags: a long run with both, otherwise no regular order. */
static uint32_t hp_flags(unsigned int k)
{
	static const uint32_t combo[4] = { 0, ACC, DIRTY, ACC | DIRTY };

	if (k >= 128 && k < 448)
		return ACC | DIRTY;
	return combo[(k * 7 + k / 5) % 4];
}

/*
 * Pages whose entry is made malformed, with both flags set: a reserved
 * address bit (46 and up are beyond PA_BITS), or not present (no XWR for
 * EPT, no P otherwise). Harvesting must skip them and leave them alone.
 */
static const unsigned int hp_bad[] = { 40, 41, 200, 201, 511, 512, 999 };

static int hp_bad_kind(unsigned int k)
{
	unsigned int i;

	for (i = 0; i < sizeof(hp_bad) / sizeof(hp_bad[0]); i++)
		if (hp_bad[i] == k)
			return 1 + (int)(i % 2); /* 1: reserved, 2: absent */
	return 0;
}

/* The SDM's accessed (or, @dirty, dirty) bit of a leaf. */
static uint64_t hp_bit(const struct fix *f, bool dirty)
{
	if (f->fc->ept)
		return dirty ? 1ull << 9 : 1ull << 8;
	return dirty ? 1ull << 6 : 1ull << 5;
}

/* Pointers to the entries, and the pages with malformed entries. */
static void hp_setup(struct fix *f, uint64_t **ent)
{
	const uint64_t both = hp_bit(f, false) | hp_bit(f, true);
	const uint64_t present = f->fc->ept ? 7 : 1;
	unsigned int k;

	for (k = 0; k < HP_PAGES; k++) {
		struct tdp_lookup r;

		MAP(f, HP_BASE + k * K4, K4, HP_PA + k * K4, RWX, hp_flags(k),
		    0);
		RET(tdp_lookup(&f->pgt, HP_BASE + k * K4, &r), 0);
		EQ(r.last_level, 0);
		ent[k] = (uint64_t *)(f->mem + (r.entry_pa[0] - POOL_BASE));
	}
	for (k = 0; k < HP_PAGES; k++) {
		struct tdp_lookup r;

		if (!hp_bad_kind(k))
			continue;
		*ent[k] |= both;
		if (hp_bad_kind(k) == 1)
			*ent[k] |= 1ull << 47;
		else
			*ent[k] &= ~present;
		RET(tdp_lookup(&f->pgt, HP_BASE + k * K4, &r), -TDP_ERR_FAULT);
	}
}

/* Page @k is harvested: in range, well formed, flag set in @raw. */
static bool hp_hit(unsigned int k, uint64_t raw, uint64_t bit)
{
	return k >= HP_FIRST && k <= HP_LAST && !hp_bad_kind(k) &&
	       (raw & bit);
}

/*
 * One harvest over the range with a bitmap and the callback; @stop_at
 * stops it at that report (0: never). Checks everything against @before.
 */
static void hp_check(struct fix *f, uint64_t **ent, const uint64_t *before,
		     bool dirty, unsigned int stop_at)
{
	const uint64_t bit = hp_bit(f, dirty);
	const uint64_t size = (HP_LAST - HP_FIRST + 1) * K4;
	static struct hp_log l;
	struct tdp_report r = { NULL, hp_fn, &l };
	uint64_t bm[HP_WORDS], exp_bm[HP_WORDS];
	unsigned int k, hits = 0;
	int ret;

	memset(&l, 0, sizeof(l));
	l.stop_at = stop_at;
	l.stop_ret = 5;
	memset(bm, 0, sizeof(bm));
	memset(exp_bm, 0, sizeof(exp_bm));
	r.bitmap = bm;
	ret = dirty ? tdp_harvest_dirty(&f->pgt, HP_BASE + HP_FIRST * K4,
					size, 0, &r)
		    : tdp_test_clear_young(&f->pgt, HP_BASE + HP_FIRST * K4,
					   size, 0, &r);
	for (k = 0; k < HP_PAGES; k++) {
		bool hit = hp_hit(k, before[k], bit) &&
			   (!stop_at || hits < stop_at);

		if (hit) {
			unsigned int n = k - HP_FIRST;

			exp_bm[n / 64] |= 1ull << (n % 64);
			if (hits < l.n)
				EQ(l.addr[hits], HP_BASE + k * K4);
			hits++;
		}
		EQ(*ent[k], hit ? before[k] & ~bit : before[k]);
	}
	RET(ret, stop_at ? 5 : 0);
	EQ(l.n, hits);
	for (k = 0; k < HP_WORDS; k++)
		EQ(bm[k], exp_bm[k]);
}

static void test_harvest_many(void **state)
{
	struct fix *f = *state;
	static uint64_t *ent[HP_PAGES];
	static uint64_t orig[HP_PAGES], before[HP_PAGES];
	const uint64_t dbit = hp_bit(f, true);
	unsigned int k, first = 0, last = 0, n = 0;
	struct tlb_log t;

	hp_setup(f, ent);
	for (k = 0; k < HP_PAGES; k++)
		orig[k] = before[k] = *ent[k];
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_full, &t), 0);
	/* Aging: no invalidation. */
	hp_check(f, ent, before, false, 0);
	EQ(tlb_calls(&t), 0);

	/* Dirty: one flush from the first to the last page cleared. */
	for (k = 0; k < HP_PAGES; k++) {
		before[k] = *ent[k];
		if (!hp_hit(k, before[k], dbit))
			continue;
		first = n++ ? first : k;
		last = k;
	}
	hp_check(f, ent, before, true, 0);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_range, 1);
	EQ(t.addr, HP_BASE + first * K4);
	EQ(t.size, (last - first + 1) * K4);

	/* From the start again, stopped by the callback at the 70th page. */
	for (k = 0; k < HP_PAGES; k++)
		*ent[k] = before[k] = orig[k];
	hp_check(f, ent, before, false, 70);
	for (k = 0; k < HP_PAGES; k++)
		before[k] = *ent[k];
	tlb_reset(&t, f);
	hp_check(f, ent, before, true, 70);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_range, 1);
}

static void test_tlb_protect_replace(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 4 * G1;
	struct tlb_log t;

	MAP(f, a, M2, 0, RWX, 0, 0);
	MAP(f, a + M2, 2 * K4, 0, RWX, 0, 0);
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_full, &t), 0);
	RET(tdp_protect(&f->pgt, a, M2 + 2 * K4, 0, TDP_PERM_W, 0, NULL), 0);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_range, 1);
	EQ(t.addr, a);
	EQ(t.size, M2 + 2 * K4);
	/* No entry changes: no flush. */
	tlb_reset(&t, f);
	RET(tdp_protect(&f->pgt, a, M2 + 2 * K4, 0, TDP_PERM_W, 0, NULL), 0);
	EQ(tlb_calls(&t), 0);
	/* Replacing one live page. */
	MAP(f, a + M2, K4, 9 * K4, RWX, 0, TDP_OP_REPLACE);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_addr, 1);
	EQ(t.addr, a + M2);
	EQ(t.level, 0);
	/* Replacing with the same value changes nothing. */
	tlb_reset(&t, f);
	MAP(f, a + M2, K4, 9 * K4, RWX, 0, TDP_OP_REPLACE);
	EQ(tlb_calls(&t), 0);
	/* Splitting the block: its PDE is the one live entry changed. */
	MAP(f, a + 3 * K4, K4, 0, RWX, 0, TDP_OP_REPLACE);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_addr, 1);
	EQ(t.addr, a);
	EQ(t.level, 1);
}

static void test_tlb_fallback(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 5 * G1;
	struct tlb_log t;

	MAP(f, a, 8 * K4, 0, RWX, 0, 0);
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_only_all, &t), 0);
	RET(tdp_unmap(&f->pgt, a, K4, 0, NULL), 0);
	EQ(t.n_all, 1);
	EQ(tlb_calls(&t), 1);

	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_only_range, &t), 0);
	RET(tdp_unmap(&f->pgt, a + K4, K4, 0, NULL), 0);
	EQ(t.n_range, 1);
	EQ(tlb_calls(&t), 1);
	EQ(t.addr, a + K4);
	EQ(t.size, K4);

	/* Two entries and no flush_range: the next coarser is flush_all. */
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_addr_all, &t), 0);
	RET(tdp_unmap(&f->pgt, a + 2 * K4, 2 * K4, 0, NULL), 0);
	EQ(t.n_all, 1);
	EQ(tlb_calls(&t), 1);
	RET(tdp_pgt_set_tlb(&f->pgt, NULL, NULL), 0);
	RET(tdp_unmap(&f->pgt, a + 4 * K4, K4, 0, NULL), 0);
	EQ(tlb_calls(&t), 1);
}

/* --- protect inside one table -------------------------------------------- */

/* Where the entry of @level that maps @addr lives, in the pool's memory. */
static uint64_t *entry_at(struct fix *f, uint64_t addr, int level)
{
	struct tdp_lookup r;

	tdp_lookup(&f->pgt, addr, &r);
	assert_true(r.last_level <= level);
	return (uint64_t *)(f->mem + (r.entry_pa[level] - POOL_BASE));
}

/*
 * A malformed entry in the middle of a table of leaves: protect over it
 * fails and changes nothing, the leaves before it included. Bit 50 lies
 * above the fixtures' 46-bit physical addresses: reserved in every EPT and
 * IA-32e leaf (SDM vol. 3, 29.3.2 and 4.5).
 */
static void protect_bad_mid_table_in_mode(struct fix *f, uint32_t mode)
{
	const uint64_t a = 3 * G1, bad = 1ull << 50;
	struct tdp_lookup r;
	uint64_t *e;
	struct snap s;
	int i;

	MAP(f, a, 16 * K4, 64 * K4, RWX, ACC | DIRTY, 0);
	MAP(f, a + 2 * M2, 3 * M2, 8 * G1, RWX, ACC | DIRTY, 0);
	e = entry_at(f, a + 9 * K4, 0);
	*e |= bad;
	RET(tdp_lookup(&f->pgt, a + 9 * K4, &r), -TDP_ERR_FAULT);
	EQ(r.fault_level, 0);
	snap_take(f, &s);
	RET(tdp_protect(&f->pgt, a, 16 * K4, 0, TDP_PERM_W, mode, NULL),
	    -TDP_ERR_BADTABLE);
	SNAP_SAME(f, &s);
	RET(tdp_protect(&f->pgt, a + 8 * K4, 2 * K4, 0, TDP_PERM_W, mode,
			NULL),
	    -TDP_ERR_BADTABLE);
	SNAP_SAME(f, &s);
	RET(tdp_protect(&f->pgt, a, 5 * M2, 0, TDP_PERM_W, mode, NULL),
	    -TDP_ERR_BADTABLE);
	SNAP_SAME(f, &s);
	/* Around it: only the range changes, the bad entry stays as it is. */
	RET(tdp_protect(&f->pgt, a + 10 * K4, 6 * K4, 0, TDP_PERM_W, mode,
			NULL),
	    0);
	for (i = 0; i < 16; i++)
		if (i != 9)
			CHECK_MAP(f, a + i * K4, (64 + i) * K4, 0,
				  i < 10 ? RWX : RX, ACC | DIRTY);
	EQ(*e, exp_leaf(f->fc, 0, 73 * K4, RWX, ACC | DIRTY) | bad);
	*e &= ~bad;

	/* The middle one of three 2 MiB blocks. */
	e = entry_at(f, a + 3 * M2, 1);
	*e |= bad;
	snap_take(f, &s);
	RET(tdp_protect(&f->pgt, a + 2 * M2, 3 * M2, 0, TDP_PERM_W, mode,
			NULL),
	    -TDP_ERR_BADTABLE);
	SNAP_SAME(f, &s);
	RET(tdp_protect(&f->pgt, a, 5 * M2, 0, TDP_PERM_W, mode, NULL),
	    -TDP_ERR_BADTABLE);
	SNAP_SAME(f, &s);
	*e &= ~bad;
	RET(tdp_protect(&f->pgt, a, 5 * M2, 0, TDP_PERM_W, mode, NULL), 0);
	CHECK_MAP(f, a + 9 * K4, 73 * K4, 0, RX, ACC | DIRTY);
	CHECK_MAP(f, a + 3 * M2, 8 * G1 + M2, 1, RX, ACC | DIRTY);
	CHECK_MAP(f, a + 4 * M2, 8 * G1 + 2 * M2, 1, RX, ACC | DIRTY);
}

static void test_protect_bad_mid_table(void **state)
{
	protect_bad_mid_table_in_mode(*state, 0);
}

static void test_protect_bad_mid_table_shared(void **state)
{
	protect_bad_mid_table_in_mode(*state, TDP_OP_SHARED);
}

/* A leaf whose new permissions cannot be expressed, amid leaves whose can
 * (ept4 with execute-only: RX may become XO, RW may not become W). */
static void protect_notsup_mid_table_in_mode(struct fix *f, uint32_t mode)
{
	const uint64_t a = 3 * G1;
	struct snap s;
	int i;

	MAP(f, a, 8 * K4, 0, RX, ACC | DIRTY, 0);
	MAP(f, a + 4 * K4, K4, 4 * K4, RW, ACC | DIRTY, TDP_OP_REPLACE);
	snap_take(f, &s);
	RET(tdp_protect(&f->pgt, a, 8 * K4, 0, TDP_PERM_R, mode, NULL),
	    -TDP_ERR_NOTSUP);
	SNAP_SAME(f, &s);
	RET(tdp_protect(&f->pgt, a + 4 * K4, 4 * K4, 0, TDP_PERM_R, mode,
			NULL),
	    -TDP_ERR_NOTSUP);
	SNAP_SAME(f, &s);
	RET(tdp_protect(&f->pgt, a + K4, 3 * K4, 0, TDP_PERM_R, mode, NULL),
	    0);
	for (i = 0; i < 8; i++)
		CHECK_MAP(f, a + i * K4, i * K4, 0,
			  i == 4 ? RW : i >= 1 && i <= 3 ? XO : RX,
			  ACC | DIRTY);
}

static void test_protect_notsup_mid_table(void **state)
{
	protect_notsup_mid_table_in_mode(*state, 0);
}

static void test_protect_notsup_mid_table_shared(void **state)
{
	protect_notsup_mid_table_in_mode(*state, TDP_OP_SHARED);
}

/* A range that starts and ends inside page tables, across two of them. */
static void test_protect_cut_mid_table(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 5 * G1 + M2 - 8 * K4;
	struct tlb_log t;
	int i;

	MAP(f, a, 16 * K4, 0, RWX, ACC | DIRTY, 0);
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_full, &t), 0);
	RET(tdp_protect(&f->pgt, a + 2 * K4, 10 * K4, 0, TDP_PERM_W, 0, NULL),
	    0);
	for (i = 0; i < 16; i++)
		CHECK_MAP(f, a + i * K4, i * K4, 0,
			  i >= 2 && i < 12 ? RX : RWX, ACC | DIRTY);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_range, 1);
	EQ(t.addr, a + 2 * K4);
	EQ(t.size, 10 * K4);
	/* One page: flushed by address. */
	tlb_reset(&t, f);
	RET(tdp_protect(&f->pgt, a + 13 * K4, K4, 0, TDP_PERM_W, 0, NULL), 0);
	CHECK_MAP(f, a + 12 * K4, 12 * K4, 0, RWX, ACC | DIRTY);
	CHECK_MAP(f, a + 13 * K4, 13 * K4, 0, RX, ACC | DIRTY);
	CHECK_MAP(f, a + 14 * K4, 14 * K4, 0, RWX, ACC | DIRTY);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_addr, 1);
	EQ(t.addr, a + 13 * K4);
	EQ(t.level, 0);
	/* Two pages of one table: one flush, of both. */
	tlb_reset(&t, f);
	RET(tdp_protect(&f->pgt, a + 4 * K4, 2 * K4, TDP_PERM_W, 0, 0, NULL),
	    0);
	for (i = 3; i < 7; i++)
		CHECK_MAP(f, a + i * K4, i * K4, 0,
			  i == 4 || i == 5 ? RWX : RX, ACC | DIRTY);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_range, 1);
	EQ(t.addr, a + 4 * K4);
	EQ(t.size, 2 * K4);
	/* Splitting a block: its entry is the one live entry changed (the
	 * pieces are written while the new table is private). */
	MAP(f, 7 * G1, M2, 0, RWX, ACC | DIRTY, 0);
	tlb_reset(&t, f);
	RET(tdp_protect(&f->pgt, 7 * G1 + K4, 2 * K4, 0, TDP_PERM_W, 0, NULL),
	    0);
	for (i = 0; i < 4; i++)
		CHECK_MAP(f, 7 * G1 + i * K4, i * K4, 0,
			  i == 1 || i == 2 ? RX : RWX, ACC | DIRTY);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_addr, 1);
	EQ(t.addr, 7 * G1);
	EQ(t.level, 1);
	RET(tdp_pgt_set_tlb(&f->pgt, NULL, NULL), 0);
}

/*
 * Leaves of different attributes in one table: some the CPU may still
 * mark accessed or dirty (no A/D set), some that the change leaves as
 * they are, and holes. Each must end up as its own attributes say.
 */
static void test_protect_mixed_table(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 6 * G1;
	static const struct {
		uint32_t perms, aflags;
	} pg[12] = {
		{ RWX, ACC | DIRTY }, { RWX, 0 }, { RX, ACC | DIRTY },
		{ 0, 0 }, /* hole */ { RWX, ACC | DIRTY }, { RWX, ACC },
		{ RWX, ACC | DIRTY }, { RX, 0 }, { RWX, ACC | DIRTY },
		{ RWX, DIRTY }, { RWX, ACC | DIRTY }, { RX, ACC | DIRTY },
	};
	struct tlb_log t;
	int i;

	for (i = 0; i < 12; i++)
		if (pg[i].perms)
			MAP(f, a + i * K4, K4, (32 + i) * K4, pg[i].perms,
			    pg[i].aflags, 0);
	tlb_reset(&t, f);
	RET(tdp_pgt_set_tlb(&f->pgt, &tlb_full, &t), 0);
	RET(tdp_protect(&f->pgt, a, 12 * K4, 0, TDP_PERM_W, 0, NULL), 0);
	for (i = 0; i < 12; i++) {
		if (!pg[i].perms) {
			CHECK_UNMAPPED(f, a + i * K4, 0);
			continue;
		}
		CHECK_MAP(f, a + i * K4, (32 + i) * K4, 0,
			  pg[i].perms & ~TDP_PERM_W, pg[i].aflags);
	}
	/* Pages 0 to 10 changed. */
	EQ(tlb_calls(&t), 1);
	EQ(t.n_range, 1);
	EQ(t.addr, a);
	EQ(t.size, 11 * K4);
	/* Nothing left to change: no flush. */
	tlb_reset(&t, f);
	RET(tdp_protect(&f->pgt, a, 12 * K4, 0, TDP_PERM_W, 0, NULL), 0);
	EQ(tlb_calls(&t), 0);
	/* Write access back for pages 4 to 7. */
	RET(tdp_protect(&f->pgt, a + 4 * K4, 4 * K4, TDP_PERM_W, 0, 0, NULL),
	    0);
	for (i = 0; i < 12; i++)
		if (pg[i].perms)
			CHECK_MAP(f, a + i * K4, (32 + i) * K4, 0,
				  i >= 4 && i < 8 ? pg[i].perms | TDP_PERM_W
						  : pg[i].perms & ~TDP_PERM_W,
				  pg[i].aflags);
	EQ(tlb_calls(&t), 1);
	EQ(t.n_range, 1);
	EQ(t.addr, a + 4 * K4);
	EQ(t.size, 4 * K4);
	RET(tdp_pgt_set_tlb(&f->pgt, NULL, NULL), 0);
}

/* --- worst-case counts and reservations --------------------------------- */

struct wc_case {
	uint64_t addr, size;
	int64_t map4, other4, map5, other5; /* -1: not for this depth */
};

static void test_worst_case(void **state)
{
	struct fix *f = *state;
	/*
	 * MAP: the tables of each level below the root that the range meets;
	 * a level-L table spans 2^(21 + 9L) bytes. UNMAP/PROTECT: at most 2
	 * per level (the blocks cut at the two ends).
	 */
	static const struct wc_case cases[] = {
		{ 0, K4, 3, 3, 4, 4 },
		{ 0, M2, 3, 3, 4, 4 },
		{ M2 - K4, 2 * K4, 4, 4, 5, 5 },         /* 2 PTs */
		{ G1 - K4, 2 * K4, 5, 5, 6, 6 },         /* 2 PTs, 2 PDs */
		{ G512 - K4, 2 * K4, 6, 6, 7, 7 },       /* 2 of each */
		{ 0, G1, 514, 4, 515, 5 },               /* 512 PTs */
		{ K4, G1, 516, 5, 517, 6 },              /* 513 PTs, 2 PDs */
		{ G1 - M2, 2 * M2, 5, 5, 6, 6 },
		/* 524289 PTs, 1025 PDs, 3 PDPTs. */
		{ 3 * G512 + 5 * K4, 2 * G512, 525317, 6, 525318, 7 },
		{ (1ull << 47) - K4, K4, 3, 3, 4, 4 },
	};
	int64_t exp;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct wc_case *c = &cases[i];

		exp = f->fc->levels == 4 ? c->map4 : c->map5;
		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_MAP, c->addr,
					c->size),
		   exp);
		exp = f->fc->levels == 4 ? c->other4 : c->other5;
		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_UNMAP, c->addr,
					c->size),
		   exp);
		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_PROTECT, c->addr,
					c->size),
		   exp);
	}
	if (f->fc->levels == 5) {
		/* Across a PML4 table boundary (256 TiB). */
		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_MAP,
					(1ull << 48) - K4, 2 * K4),
		   8);
		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_UNMAP,
					(1ull << 48) - K4, 2 * K4),
		   8);
	}
	EQ(tdp_worst_case_pages(NULL, TDP_OPK_MAP, 0, K4), -TDP_ERR_INVAL);
	EQ(tdp_worst_case_pages(&f->pgt, 0, 0, K4), -TDP_ERR_INVAL);
	EQ(tdp_worst_case_pages(&f->pgt, 4, 0, K4), -TDP_ERR_INVAL);
	if (f->fc->ept) {
		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_MAP,
					1ull << f->fc->ia_bits, K4),
		   -TDP_ERR_RANGE);
		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_MAP,
					(1ull << f->fc->ia_bits) - K4,
					2 * K4),
		   -TDP_ERR_RANGE);
	} else {
		uint64_t hole = 1ull << (f->fc->ia_bits - 1);

		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_MAP, hole, K4),
		   -TDP_ERR_RANGE);
		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_MAP, hole - K4,
					2 * K4),
		   -TDP_ERR_RANGE);
		/* The upper half, canonical: the top 4 KiB. */
		EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_MAP, 0 - K4, K4),
		   f->fc->levels - 1);
	}
}

static void test_reserve_covers_map(void **state)
{
	struct fix *f = *state;
	/* Empty table: the range needs every table the bound counts. */
	const uint64_t a = G1 - K4, size = 2 * K4;
	const uint64_t wc = (uint64_t)f->fc->levels + 1;
	struct tdp_reserve res = { 0, 0 };
	struct tdp_attrs at = mk_attrs(RWX, 0);
	struct tdp_pool_stats st0, st1;

	EQ(tdp_worst_case_pages(&f->pgt, TDP_OPK_MAP, a, size), wc);
	RET(tdp_reserve_topup(&f->pgt, &res, wc), 0);
	EQ(res.count, wc);
	EQ(tables(f), 1 + wc);
	/* Topping up to what it holds allocates nothing. */
	RET(tdp_reserve_topup(&f->pgt, &res, wc - 1), 0);
	EQ(res.count, wc);
	st0 = pstats(f);
	RET(tdp_pool_fail_nth(f->pool, 1), 0);
	RET(tdp_map(&f->pgt, a, size, 0, &at, 0, &res), 0);
	st1 = pstats(f);
	/* No allocation was even tried. */
	EQ(st1.allocs, st0.allocs);
	EQ(st1.failed_allocs, st0.failed_allocs);
	EQ(res.count, 0);
	EQ(st1.tables_in_use, 1 + wc);
	RET(tdp_pool_fail_nth(f->pool, 0), 0);
	CHECK_MAP(f, a, 0, 0, RWX, 0);
	CHECK_MAP(f, a + K4, K4, 0, RWX, 0);
	tdp_reserve_release(&f->pgt, &res);
	EQ(tables(f), 1 + wc);
	/* Argument checks. */
	RET(tdp_reserve_topup(NULL, &res, 1), -TDP_ERR_INVAL);
	RET(tdp_reserve_topup(&f->pgt, NULL, 1), -TDP_ERR_INVAL);
	tdp_reserve_release(&f->pgt, NULL);
	tdp_reserve_release(NULL, &res);
	EQ(tables(f), 1 + wc);
}

/* A pool that holds exactly the root and the reservation. */
static void test_reserve_tiny_pool(void **state)
{
	struct fix *f = *state;
	const uint64_t a = 2 * G1 - M2 - K4, size = 2 * M2 + 2 * K4;
	const uint64_t pa = a + 64 * G1;
	struct tdp_reserve res = { 0, 0 };
	struct tdp_attrs at = mk_attrs(RWX, 0);
	struct tdp_pool *pool;
	struct tdp_pool_stats st;
	struct tdp_pgt pgt;
	struct tdp_mm mm;
	int64_t wc;

	/* The bound: PTs 4 (2G - 4M .. 2G + 4M), PDs 2, PDPT 1 (+ PML4). The
	 * map needs 2 PTs fewer: the middle is two 2 MiB blocks. */
	wc = tdp_worst_case_pages(&f->pgt, TDP_OPK_MAP, a, size);
	EQ(wc, f->fc->levels + 3);
	RET(tdp_pool_create((uint64_t)(wc + 1) * 4096, POOL_BASE, &pool), 0);
	mm = tdp_pool_mm(pool);
	RET(tdp_pgt_init(&pgt, &f->fc->cfg, &mm), 0);
	RET(tdp_reserve_topup(&pgt, &res, (uint64_t)wc), 0);
	/* The pool is now full: one more page cannot be had. */
	RET(tdp_reserve_topup(&pgt, &res, (uint64_t)wc + 1), -TDP_ERR_NOMEM);
	EQ(res.count, wc);
	/* Without the reservation the map fails and changes nothing. */
	RET(tdp_map(&pgt, a, size, pa, &at, 0, NULL), -TDP_ERR_NOMEM);
	RET(tdp_pool_get_stats(pool, &st), 0);
	EQ(st.tables_in_use, 1 + wc);
	RET(tdp_map(&pgt, a, size, pa, &at, 0, &res), 0);
	EQ(res.count, 2);
	{
		struct tdp_lookup r;

		RET(tdp_lookup(&pgt, a, &r), 0);
		EQ(r.out_addr, pa);
		EQ(r.last_level, 0);
		RET(tdp_lookup(&pgt, 2 * G1 - M2, &r), 0);
		EQ(r.page_size, M2);
		RET(tdp_lookup(&pgt, 2 * G1 + M2, &r), 0);
		EQ(r.out_addr, 2 * G1 + M2 + 64 * G1);
		EQ(r.last_level, 0);
	}
	RET(tdp_unmap(&pgt, a, size, 0, NULL), 0);
	tdp_reserve_release(&pgt, &res);
	EQ(res.count, 0);
	RET(tdp_pool_get_stats(pool, &st), 0);
	EQ(st.tables_in_use, 1);
	tdp_pgt_destroy(&pgt);
	tdp_pool_destroy(pool);
}

static void test_reserve_partial_release(void **state)
{
	struct fix *f = *state;
	const uint64_t u = G1 + 3 * M2 + 5 * K4;
	struct tdp_reserve res = { 0, 0 };
	uint64_t t;
	int64_t wc;

	MAP(f, G1, G1, 0, RWX, 0, 0);
	t = tables(f);
	/* Splitting 1 GiB down to 4 KiB: a PD and a PT; the bound: one per
	 * level below the root. */
	wc = tdp_worst_case_pages(&f->pgt, TDP_OPK_UNMAP, u, K4);
	EQ(wc, f->fc->levels - 1);
	RET(tdp_reserve_topup(&f->pgt, &res, (uint64_t)wc), 0);
	EQ(tables(f), t + (uint64_t)wc);
	RET(tdp_pool_fail_nth(f->pool, 1), 0);
	RET(tdp_unmap(&f->pgt, u, K4, 0, &res), 0);
	RET(tdp_pool_fail_nth(f->pool, 0), 0);
	EQ(res.count, (uint64_t)wc - 2);
	CHECK_UNMAPPED(f, u, 0);
	CHECK_MAP(f, u + K4, u + K4 - G1, 0, RWX, 0);
	tdp_reserve_release(&f->pgt, &res);
	EQ(res.count, 0);
	EQ(tables(f), t + 2);
	/* protect splitting with a reservation too. */
	wc = tdp_worst_case_pages(&f->pgt, TDP_OPK_PROTECT, u + M2, K4);
	RET(tdp_reserve_topup(&f->pgt, &res, (uint64_t)wc), 0);
	RET(tdp_pool_fail_nth(f->pool, 1), 0);
	RET(tdp_protect(&f->pgt, u + M2, K4, 0, TDP_PERM_W, 0, &res), 0);
	RET(tdp_pool_fail_nth(f->pool, 0), 0);
	CHECK_MAP(f, u + M2, u + M2 - G1, 0, RX, 0);
	tdp_reserve_release(&f->pgt, &res);
	EQ(tables(f), t + 3);
}

/* --- bad arguments ------------------------------------------------------ */

enum { OPX_MAP, OPX_UNMAP, OPX_PROTECT, OPX_YOUNG, OPX_DIRTY };

struct bad_case {
	const char *what;
	int op;
	uint64_t addr, size, pa;
	uint32_t flags, perms, aflags, set, clear;
	bool null_pgt, null_attrs;
	int exp;
};

static int run_bad(struct fix *f, const struct bad_case *c,
		   const struct tdp_report *r)
{
	struct tdp_attrs a = mk_attrs(c->perms, c->aflags);
	struct tdp_pgt *pgt = c->null_pgt ? NULL : &f->pgt;

	switch (c->op) {
	case OPX_MAP:
		return tdp_map(pgt, c->addr, c->size, c->pa,
			       c->null_attrs ? NULL : &a, c->flags, NULL);
	case OPX_UNMAP:
		return tdp_unmap(pgt, c->addr, c->size, c->flags, NULL);
	case OPX_PROTECT:
		return tdp_protect(pgt, c->addr, c->size, c->set, c->clear,
				   c->flags, NULL);
	case OPX_YOUNG:
		return tdp_test_clear_young(pgt, c->addr, c->size, c->flags,
					    r);
	default:
		return tdp_harvest_dirty(pgt, c->addr, c->size, c->flags, r);
	}
}

static void test_bad_args(void **state)
{
	struct fix *f = *state;
	const uint64_t pa_top = 1ull << f->fc->pa_bits;
	/* The first address past the (lower half of the) input space. */
	const uint64_t top = f->fc->ept ? 1ull << f->fc->ia_bits
					: 1ull << (f->fc->ia_bits - 1);
	const uint64_t m = 3 * G1, b = G1; /* empty / the existing block */
	const uint64_t wrap = 0 - K4;
	const struct bad_case cases[] = {
		{ "map NULL pgt", OPX_MAP, m, K4, 0, 0, RWX, 0, 0, 0, true,
		  false, -TDP_ERR_INVAL },
		{ "map NULL attrs", OPX_MAP, m, K4, 0, 0, RWX, 0, 0, 0, false,
		  true, -TDP_ERR_INVAL },
		{ "map addr", OPX_MAP, m + 0x800, K4, 0, 0, RWX, 0, 0, 0,
		  false, false, -TDP_ERR_ALIGN },
		{ "map size", OPX_MAP, m, 0x1800, 0, 0, RWX, 0, 0, 0, false,
		  false, -TDP_ERR_ALIGN },
		{ "map pa", OPX_MAP, m, K4, 0x800, 0, RWX, 0, 0, 0, false,
		  false, -TDP_ERR_ALIGN },
		{ "map size 0", OPX_MAP, m, 0, 0, 0, RWX, 0, 0, 0, false,
		  false, -TDP_ERR_INVAL },
		{ "map flag 2", OPX_MAP, m, K4, 0, 1u << 2, RWX, 0, 0, 0,
		  false, false, -TDP_ERR_INVAL },
		{ "map flag 12", OPX_MAP, m, K4, 0, 1u << 12, RWX, 0, 0, 0,
		  false, false, -TDP_ERR_INVAL },
		{ "map flag 31", OPX_MAP, m, K4, 0, 1u << 31, RWX, 0, 0, 0,
		  false, false, -TDP_ERR_INVAL },
		{ "map pa top", OPX_MAP, m, K4, pa_top, 0, RWX, 0, 0, 0,
		  false, false, -TDP_ERR_RANGE },
		{ "map pa crosses top", OPX_MAP, m, 2 * K4, pa_top - K4, 0,
		  RWX, 0, 0, 0, false, false, -TDP_ERR_RANGE },
		{ "map pa wraps", OPX_MAP, m, 2 * K4, wrap, 0, RWX, 0, 0, 0,
		  false, false, -TDP_ERR_RANGE },
		{ "map addr top", OPX_MAP, top, K4, 0, 0, RWX, 0, 0, 0, false,
		  false, -TDP_ERR_RANGE },
		{ "map addr crosses top", OPX_MAP, top - K4, 2 * K4, 0, 0,
		  RWX, 0, 0, 0, false, false, -TDP_ERR_RANGE },
		{ "map addr wraps", OPX_MAP, wrap, 2 * K4, 0, 0, RWX, 0, 0, 0,
		  false, false, -TDP_ERR_RANGE },
		{ "map perm bit 7", OPX_MAP, m, K4, 0, 0, RWX | 1u << 7, 0, 0,
		  0, false, false, -TDP_ERR_INVAL },
		{ "map attr flag 20", OPX_MAP, m, K4, 0, 0, RWX, 1u << 20, 0,
		  0, false, false, -TDP_ERR_INVAL },
		{ "map W only", OPX_MAP, m, K4, 0, 0, TDP_PERM_W, 0, 0, 0,
		  false, false, -TDP_ERR_NOTSUP },
		{ "map X not XU", OPX_MAP, m, K4, 0, 0,
		  TDP_PERM_R | TDP_PERM_X, 0, 0, 0, false, false,
		  -TDP_ERR_NOTSUP },

		{ "unmap NULL", OPX_UNMAP, b, K4, 0, 0, 0, 0, 0, 0, true,
		  false, -TDP_ERR_INVAL },
		{ "unmap REPLACE", OPX_UNMAP, b, K4, 0, TDP_OP_REPLACE, 0, 0,
		  0, 0, false, false, -TDP_ERR_INVAL },
		{ "unmap MAX_LEVEL", OPX_UNMAP, b, K4, 0, TDP_OP_MAX_LEVEL(0),
		  0, 0, 0, 0, false, false, -TDP_ERR_INVAL },
		{ "unmap flag 31", OPX_UNMAP, b, K4, 0, 1u << 31, 0, 0, 0, 0,
		  false, false, -TDP_ERR_INVAL },
		{ "unmap addr", OPX_UNMAP, b + 0x800, K4, 0, 0, 0, 0, 0, 0,
		  false, false, -TDP_ERR_ALIGN },
		{ "unmap size", OPX_UNMAP, b, 0x1800, 0, 0, 0, 0, 0, 0, false,
		  false, -TDP_ERR_ALIGN },
		{ "unmap size 0", OPX_UNMAP, b, 0, 0, 0, 0, 0, 0, 0, false,
		  false, -TDP_ERR_INVAL },
		{ "unmap top", OPX_UNMAP, top, K4, 0, 0, 0, 0, 0, 0, false,
		  false, -TDP_ERR_RANGE },
		{ "unmap crosses top", OPX_UNMAP, top - K4, 2 * K4, 0, 0, 0,
		  0, 0, 0, false, false, -TDP_ERR_RANGE },
		{ "unmap wraps", OPX_UNMAP, wrap, 2 * K4, 0, 0, 0, 0, 0, 0,
		  false, false, -TDP_ERR_RANGE },

		{ "protect NULL", OPX_PROTECT, b, K4, 0, 0, 0, 0, 0,
		  TDP_PERM_W, true, false, -TDP_ERR_INVAL },
		{ "protect REPLACE", OPX_PROTECT, b, K4, 0, TDP_OP_REPLACE, 0,
		  0, 0, TDP_PERM_W, false, false, -TDP_ERR_INVAL },
		{ "protect flag 31", OPX_PROTECT, b, K4, 0, 1u << 31, 0, 0, 0,
		  TDP_PERM_W, false, false, -TDP_ERR_INVAL },
		{ "protect set bit 5", OPX_PROTECT, b, K4, 0, 0, 0, 0, 1u << 5,
		  TDP_PERM_W, false, false, -TDP_ERR_INVAL },
		{ "protect clear bit 5", OPX_PROTECT, b, K4, 0, 0, 0, 0, 0,
		  TDP_PERM_W | 1u << 5, false, false, -TDP_ERR_INVAL },
		{ "protect set bit 31", OPX_PROTECT, b, K4, 0, 0, 0, 0,
		  1u << 31, 0, false, false, -TDP_ERR_INVAL },
		{ "protect addr", OPX_PROTECT, b + 0x800, K4, 0, 0, 0, 0, 0,
		  TDP_PERM_W, false, false, -TDP_ERR_ALIGN },
		{ "protect size", OPX_PROTECT, b, 0x1800, 0, 0, 0, 0, 0,
		  TDP_PERM_W, false, false, -TDP_ERR_ALIGN },
		{ "protect size 0", OPX_PROTECT, b, 0, 0, 0, 0, 0, 0,
		  TDP_PERM_W, false, false, -TDP_ERR_INVAL },
		{ "protect top", OPX_PROTECT, top, K4, 0, 0, 0, 0, 0,
		  TDP_PERM_W, false, false, -TDP_ERR_RANGE },
		{ "protect crosses top", OPX_PROTECT, top - K4, 2 * K4, 0, 0,
		  0, 0, 0, TDP_PERM_W, false, false, -TDP_ERR_RANGE },
		{ "protect wraps", OPX_PROTECT, wrap, 2 * K4, 0, 0, 0, 0, 0,
		  TDP_PERM_W, false, false, -TDP_ERR_RANGE },

		{ "young NULL", OPX_YOUNG, b, K4, 0, 0, 0, 0, 0, 0, true,
		  false, -TDP_ERR_INVAL },
		{ "young REPLACE", OPX_YOUNG, b, K4, 0, TDP_OP_REPLACE, 0, 0,
		  0, 0, false, false, -TDP_ERR_INVAL },
		{ "young addr", OPX_YOUNG, b + 0x800, K4, 0, 0, 0, 0, 0, 0,
		  false, false, -TDP_ERR_ALIGN },
		{ "young size", OPX_YOUNG, b, 0x1800, 0, 0, 0, 0, 0, 0, false,
		  false, -TDP_ERR_ALIGN },
		{ "young top", OPX_YOUNG, top, K4, 0, 0, 0, 0, 0, 0, false,
		  false, -TDP_ERR_RANGE },
		{ "young wraps", OPX_YOUNG, wrap, 2 * K4, 0, 0, 0, 0, 0, 0,
		  false, false, -TDP_ERR_RANGE },
		{ "dirty NULL", OPX_DIRTY, b, K4, 0, 0, 0, 0, 0, 0, true,
		  false, -TDP_ERR_INVAL },
		{ "dirty flag 31", OPX_DIRTY, b, K4, 0, 1u << 31, 0, 0, 0, 0,
		  false, false, -TDP_ERR_INVAL },
		{ "dirty addr", OPX_DIRTY, b + 0x800, K4, 0, 0, 0, 0, 0, 0,
		  false, false, -TDP_ERR_ALIGN },
		{ "dirty size", OPX_DIRTY, b, 0x1800, 0, 0, 0, 0, 0, 0, false,
		  false, -TDP_ERR_ALIGN },
		{ "dirty crosses top", OPX_DIRTY, top - K4, 2 * K4, 0, 0, 0, 0,
		  0, 0, false, false, -TDP_ERR_RANGE },
		{ "dirty wraps", OPX_DIRTY, wrap, 2 * K4, 0, 0, 0, 0, 0, 0,
		  false, false, -TDP_ERR_RANGE },
	};
	uint64_t bm[4];
	struct rep_log l;
	const struct tdp_report r = { bm, rep_fn, &l };
	struct snap s;
	size_t i;
	int ret;

	/* Something to (not) change: a block with A and D set. */
	MAP(f, b, M2, 0, RWX, ACC | DIRTY, 0);
	snap_take(f, &s);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(bm, 0, sizeof(bm));
		memset(&l, 0, sizeof(l));
		ret = run_bad(f, &cases[i], &r);
		if (ret != cases[i].exp)
			fail_msg("%s: returned %d, expected %d", cases[i].what,
				 ret, cases[i].exp);
		if (memcmp(s.mem, f->mem, POOL_SIZE))
			fail_msg("%s: pool memory changed", cases[i].what);
		SNAP_SAME(f, &s);
		if (l.n || bm[0])
			fail_msg("%s: something was reported", cases[i].what);
	}
}

/* --- 5 levels and the canonical upper half ------------------------------ */

static void test_high_addresses(void **state)
{
	struct fix *f = *state;
	const bool five = f->fc->levels == 5;
	uint64_t hi, top2m, base, end;

	if (f->fc->ept) {
		hi = five ? (1ull << 56) + 3 * G1 : (1ull << 47) + 3 * G1;
		top2m = (1ull << f->fc->ia_bits) - M2;
	} else {
		/* Lowest canonical upper-half address, plus 3 GiB. */
		hi = (0 - (1ull << (f->fc->ia_bits - 1))) + 3 * G1;
		top2m = 0 - M2;
	}
	MAP(f, hi, G1, 5 * G1, RWX, 0, 0);
	EQ(tables(f), f->fc->levels - 2);
	CHECK_MAP(f, hi + 7 * K4, 5 * G1 + 7 * K4, 2, RWX, 0);
	MAP(f, top2m, M2, 9 * M2, RWX, 0, 0);
	/* Another root entry: every level below the root again, to the PD. */
	EQ(tables(f), 2 * f->fc->levels - 4);
	CHECK_MAP(f, top2m + M2 - K4, 10 * M2 - K4, 1, RWX, 0);
	RET(tdp_unmap(&f->pgt, hi + M2, K4, 0, NULL), 0);
	EQ(tables(f), 2 * f->fc->levels - 2);
	CHECK_UNMAPPED(f, hi + M2, 0);
	CHECK_MAP(f, hi + M2 + K4, 5 * G1 + M2 + K4, 0, RWX, 0);
	/* The top of the space is reachable as (addr, size) without wrap. */
	base = hi - 3 * G1;
	end = f->fc->ept ? 1ull << f->fc->ia_bits : 0;
	RET(tdp_unmap(&f->pgt, base, end - base, 0, NULL), 0);
	EQ(tables(f), 1);
	if (!f->fc->ept) {
		struct tdp_lookup r;

		/* Just above the lower half: not canonical. */
		RET(tdp_lookup(&f->pgt, 1ull << (f->fc->ia_bits - 1), &r),
		    -TDP_ERR_FAULT);
		EQ(r.fault, TDP_FAULT_NON_CANONICAL);
	}
}

/* --- fault injection at every allocation point -------------------------- */

struct inj_op {
	int op;
	uint64_t addr, size, pa;
	uint32_t perms, flags, clear;
};

static int inj_run(struct fix *f, const struct inj_op *o)
{
	switch (o->op) {
	case OPX_MAP:
		return do_map(f, o->addr, o->size, o->pa, o->perms, 0,
			      o->flags);
	case OPX_UNMAP:
		return tdp_unmap(&f->pgt, o->addr, o->size, 0, NULL);
	default:
		return tdp_protect(&f->pgt, o->addr, o->size, 0, o->clear, 0,
				   NULL);
	}
}

/*
 * Fail the 1st, 2nd, ... allocation of @o until it succeeds. Each failure
 * must leave memory and statistics as they were; the operation allocates
 * exactly @need pages (counted by hand), so it succeeds at need + 1.
 */
static void inject_each(struct fix *f, const struct inj_op *o, uint64_t need)
{
	struct snap s;
	uint64_t n, before = tables(f);
	int ret;

	for (n = 1;; n++) {
		snap_take(f, &s);
		RET(tdp_pool_fail_nth(f->pool, n), 0);
		ret = inj_run(f, o);
		if (!ret)
			break;
		if (ret != -TDP_ERR_NOMEM)
			fail_msg("allocation %llu failed: got %d",
				 (unsigned long long)n, ret);
		snap_same_nomem_at(__LINE__, f, &s);
		if (n > need)
			fail_msg("failure %llu: more allocations than %llu",
				 (unsigned long long)n,
				 (unsigned long long)need);
	}
	RET(tdp_pool_fail_nth(f->pool, 0), 0);
	EQ(n, need + 1);
	EQ(tables(f), before + need);
}

static void test_inject_map_empty(void **state)
{
	struct fix *f = *state;
	const uint64_t a = G1 - 4 * M1 - K4;
	const struct inj_op o = { OPX_MAP, a, 8 * M1 + 2 * K4, a + 64 * G1,
				  RWX, 0, 0 };

	/* PDPT (+ PML4), 2 PDs, 2 PTs. */
	inject_each(f, &o, (uint64_t)f->fc->levels + 1);
	CHECK_MAP(f, a, 64 * G1 + a, 0, RWX, 0);
	CHECK_MAP(f, G1 - 4 * M1, 64 * G1 + G1 - 4 * M1, 1, RWX, 0);
	CHECK_MAP(f, G1, 65 * G1, 1, RWX, 0);
	CHECK_MAP(f, G1 + 4 * M1, 65 * G1 + 4 * M1, 0, RWX, 0);
	CHECK_UNMAPPED(f, G1 + 4 * M1 + K4, 0);
}

static void test_inject_replace_split(void **state)
{
	struct fix *f = *state;
	const struct inj_op o = { OPX_MAP, 2 * G1 - K4, 2 * K4, 100 * G1 - K4,
				  RX, TDP_OP_REPLACE, 0 };

	MAP(f, G1, G1, 4 * G1, RWX, 0, 0);
	MAP(f, 2 * G1, G1, 8 * G1, RWX, 0, 0);
	/* A PD and a PT on each side. */
	inject_each(f, &o, 4);
	CHECK_MAP(f, 2 * G1 - K4, 100 * G1 - K4, 0, RX, 0);
	CHECK_MAP(f, 2 * G1, 100 * G1, 0, RX, 0);
	CHECK_MAP(f, 2 * G1 - 2 * K4, 5 * G1 - 2 * K4, 0, RWX, 0);
	CHECK_MAP(f, 2 * G1 - M2, 5 * G1 - M2, 0, RWX, 0);
	CHECK_MAP(f, 2 * G1 - 2 * M2, 5 * G1 - 2 * M2, 1, RWX, 0);
	CHECK_MAP(f, G1, 4 * G1, 1, RWX, 0);
	CHECK_MAP(f, 2 * G1 + K4, 8 * G1 + K4, 0, RWX, 0);
	CHECK_MAP(f, 2 * G1 + M2, 8 * G1 + M2, 1, RWX, 0);
}

static void test_inject_unmap_split(void **state)
{
	struct fix *f = *state;
	const uint64_t u = G1 + 512 * M1 + K4;
	const struct inj_op o = { OPX_UNMAP, u, K4, 0, 0, 0, 0 };

	MAP(f, G1, G1, 4 * G1, RWX, 0, 0);
	inject_each(f, &o, 2);
	CHECK_UNMAPPED(f, u, 0);
	CHECK_MAP(f, u - K4, 4 * G1 + 512 * M1, 0, RWX, 0);
	CHECK_MAP(f, u + K4, 4 * G1 + 512 * M1 + 2 * K4, 0, RWX, 0);
	CHECK_MAP(f, G1 + 512 * M1 + M2, 4 * G1 + 512 * M1 + M2, 1, RWX, 0);
}

static void test_inject_protect_split(void **state)
{
	struct fix *f = *state;
	const struct inj_op o = { OPX_PROTECT, G1 + K4, 4 * M1, 0, 0, 0,
				  TDP_PERM_W };

	MAP(f, G1, G1, 4 * G1, RWX, 0, 0);
	/* A PD, and PTs for [1G, 1G + 2M) and [1G + 4M, 1G + 6M). */
	inject_each(f, &o, 3);
	CHECK_MAP(f, G1, 4 * G1, 0, RWX, 0);
	CHECK_MAP(f, G1 + K4, 4 * G1 + K4, 0, RX, 0);
	CHECK_MAP(f, G1 + M2, 4 * G1 + M2, 1, RX, 0);
	CHECK_MAP(f, G1 + 4 * M1, 4 * G1 + 4 * M1, 0, RX, 0);
	CHECK_MAP(f, G1 + 4 * M1 + K4, 4 * G1 + 4 * M1 + K4, 0, RWX, 0);
	CHECK_MAP(f, G1 + 6 * M1, 4 * G1 + 6 * M1, 1, RWX, 0);
}

/* A test run once per format: "name/format". */
/*
 * The fault pattern goes through a cache of the last page-level table
 * (tdp_map() remembers the path to it). The cache must never change what a
 * map does: errors are still reported, attributes still apply per call, and
 * a table that was freed, or relinked by the caller behind the library's
 * back, is never written through a stale path. In the upper half for
 * IA-32e, where input addresses are sign-extended.
 */
/*
 * The caller moves the page table that maps @addr: a copy in a page of its
 * own, linked in place of the old one by rewriting the PD entry. Returns
 * the old table's address (the caller frees it); *old_t and *new_t point
 * at the two tables.
 */
static uint64_t move_page_table(struct fix *f, uint64_t addr,
				uint64_t **old_t, uint64_t **new_t)
{
	uint64_t pt_pa, new_pt, *pd;
	struct tdp_lookup r;

	RET(tdp_lookup(&f->pgt, addr, &r), 0);
	pt_pa = r.entry_pa[0] & ~(K4 - 1);
	RET(f->mm.ops->alloc_table(f->mm.ctx, K4, K4, &new_pt), 0);
	pd = tdp_pool_phys_to_virt(f->pool, r.entry_pa[1], 8);
	*old_t = tdp_pool_phys_to_virt(f->pool, pt_pa, K4);
	*new_t = tdp_pool_phys_to_virt(f->pool, new_pt, K4);
	assert_non_null(pd);
	assert_non_null(*old_t);
	assert_non_null(*new_t);
	memcpy(*new_t, *old_t, K4);
	*pd = (*pd & ~pt_pa) | new_pt;
	return pt_pa;
}

static void test_map_fault_pattern_cache(void **state)
{
	struct fix *f = *state;
	const uint64_t base = f->fc->ept ? 5 * G1 : 0xffff800000000000ull + 5 * G1;
	const uint64_t out = 3 * G1, of = TDP_OP_MAX_LEVEL(0);
	const int levels = f->fc->levels;
	uint64_t i, pt_pa, *old_t, *new_t;
	struct snap s;

	for (i = 0; i < 8; i++)
		MAP(f, base + i * K4, K4, out + i * K4, RWX, ACC, of);
	for (i = 0; i < 8; i++)
		CHECK_MAP(f, base + i * K4, out + i * K4, 0, RWX, ACC);
	CHECK_UNMAPPED(f, base + 8 * K4, 0);
	EQ(tables(f), levels);

	/* Errors the cached path must leave to the general one. */
	snap_take(f, &s);
	RET(do_map(f, base + 3 * K4, K4, out, RWX, ACC, of), -TDP_ERR_EXIST);
	RET(do_map(f, base + 8 * K4, K4, out + 8 * K4 + 0x800, RWX, ACC, of),
	    -TDP_ERR_ALIGN);
	RET(do_map(f, base + 8 * K4 + 0x800, K4, out, RWX, ACC, of),
	    -TDP_ERR_ALIGN);
	RET(do_map(f, base + 8 * K4, K4, 1ull << PA_BITS, RWX, ACC, of),
	    -TDP_ERR_RANGE);
	RET(do_map(f, base + 8 * K4, K4, out, RWX, ACC, 1u << 7),
	    -TDP_ERR_INVAL);
	SNAP_SAME(f, &s);

	/* Attributes that change from call to call. */
	MAP(f, base + 8 * K4, K4, out + 8 * K4, RW, 0, of);
	MAP(f, base + 9 * K4, K4, out + 9 * K4, RWX, ACC | DIRTY, 0);
	MAP(f, base + 10 * K4, K4, out + 10 * K4, RW, 0, of);
	CHECK_MAP(f, base + 8 * K4, out + 8 * K4, 0, RW, 0);
	CHECK_MAP(f, base + 9 * K4, out + 9 * K4, 0, RWX, ACC | DIRTY);
	CHECK_MAP(f, base + 10 * K4, out + 10 * K4, 0, RW, 0);
	/* TDP_OP_REPLACE always takes the general path, and replaces. */
	RET(do_map(f, base + 10 * K4, K4, out, RWX, ACC, TDP_OP_REPLACE), 0);
	CHECK_MAP(f, base + 10 * K4, out, 0, RWX, ACC);

	/* Every table freed under the cache: the next fault builds anew. */
	RET(tdp_unmap(&f->pgt, base, M2, 0, NULL), 0);
	EQ(tables(f), 1);
	MAP(f, base + 11 * K4, K4, out + 11 * K4, RWX, ACC, of);
	CHECK_MAP(f, base + 11 * K4, out + 11 * K4, 0, RWX, ACC);
	CHECK_UNMAPPED(f, base + 10 * K4, 0);
	EQ(tables(f), levels);

	/*
	 * The caller moves the page table: a copy in a page of its own,
	 * linked in place of the old one by rewriting the PD entry. The next
	 * fault must land in the copy, the old table must stay untouched.
	 */
	pt_pa = move_page_table(f, base + 11 * K4, &old_t, &new_t);
	MAP(f, base + 12 * K4, K4, out + 12 * K4, RWX, ACC, of);
	EQ(new_t[12], exp_leaf(f->fc, 0, out + 12 * K4, RWX, ACC));
	EQ(old_t[12], 0);
	CHECK_MAP(f, base + 12 * K4, out + 12 * K4, 0, RWX, ACC);
	CHECK_MAP(f, base + 11 * K4, out + 11 * K4, 0, RWX, ACC);
	/* The library frees the copy with the rest; the old table is ours. */
	f->mm.ops->free_table(f->mm.ctx, pt_pa, K4);
	RET(tdp_unmap(&f->pgt, base, M2, 0, NULL), 0);
	EQ(tables(f), 1);
}

/*
 * A fault where tables are missing: tdp_map() of one page creates them on
 * its fault path. It must take exactly the tables the page needs, from the
 * reservation first, and after a failed allocation leave the tables, the
 * pool and the reservation exactly as they were. In the upper half for
 * IA-32e, where input addresses are sign-extended.
 */
static void test_map_fault_opens_tables(void **state)
{
	struct fix *f = *state;
	const uint64_t hi = f->fc->ept ? 0 : 0xffff800000000000ull;
	const uint64_t of = TDP_OP_MAX_LEVEL(0), T512 = 512 * G1;
	const uint64_t levels = (uint64_t)f->fc->levels;
	const struct tdp_attrs rw = mk_attrs(RW, ACC);
	struct tdp_reserve res = { 0 };
	struct tdp_pool_stats st;
	uint64_t head;
	struct snap s;

	/* Only the root: one new table per level below it. */
	EQ(tables(f), 1);
	MAP(f, hi + 7 * G1 + 5 * K4, K4, 9 * G1, RW, ACC, of);
	EQ(tables(f), levels);
	CHECK_MAP(f, hi + 7 * G1 + 5 * K4, 9 * G1, 0, RW, ACC);
	CHECK_UNMAPPED(f, hi + 7 * G1 + 4 * K4, 0);
	/* The next 2 MiB: only a page table. Without a level cap too. */
	MAP(f, hi + 7 * G1 + M2, K4, 9 * G1 + M2, RW, ACC, 0);
	EQ(tables(f), levels + 1);
	CHECK_MAP(f, hi + 7 * G1 + M2, 9 * G1 + M2, 0, RW, ACC);

	/* Each allocation failing in turn: 2 tables in a new 1 GiB, 3 in a
	 * new 512 GiB. */
	inject_each(f,
		    &(const struct inj_op){ OPX_MAP, hi + 8 * G1 + K4, K4,
					    10 * G1, RWX, of, 0 },
		    2);
	CHECK_MAP(f, hi + 8 * G1 + K4, 10 * G1, 0, RWX, 0);
	inject_each(f,
		    &(const struct inj_op){ OPX_MAP, hi + T512 + 8 * G1, K4,
					    11 * G1, RWX, of, 0 },
		    3);
	CHECK_MAP(f, hi + T512 + 8 * G1, 11 * G1, 0, RWX, 0);
	EQ(tables(f), levels + 6);

	/* A reservation of the 2 pages needed: the backend is not asked. */
	RET(tdp_reserve_topup(&f->pgt, &res, 2), 0);
	st = pstats(f);
	RET(tdp_map(&f->pgt, hi + 9 * G1, K4, 12 * G1, &rw, of, &res), 0);
	EQ(res.count, 0);
	EQ(pstats(f).allocs, st.allocs);
	EQ(tables(f), levels + 8);
	CHECK_MAP(f, hi + 9 * G1, 12 * G1, 0, RW, ACC);

	/* One reserved page of the 2 needed, and the backend fails: the
	 * reserved page goes back, the list as it was. */
	RET(tdp_reserve_topup(&f->pgt, &res, 1), 0);
	head = res.head;
	snap_take(f, &s);
	RET(tdp_pool_fail_nth(f->pool, 1), 0);
	RET(tdp_map(&f->pgt, hi + 10 * G1, K4, 13 * G1, &rw, of, &res),
	    -TDP_ERR_NOMEM);
	RET(tdp_pool_fail_nth(f->pool, 0), 0);
	snap_same_nomem_at(__LINE__, f, &s);
	EQ(res.count, 1);
	EQ(res.head, head);
	CHECK_UNMAPPED(f, hi + 10 * G1, 2);
	/* With the backend back: one page from each. */
	RET(tdp_map(&f->pgt, hi + 10 * G1, K4, 13 * G1, &rw, of, &res), 0);
	EQ(res.count, 0);
	EQ(tables(f), levels + 10);
	CHECK_MAP(f, hi + 10 * G1, 13 * G1, 0, RW, ACC);

	/* All gone again: nothing leaked. */
	RET(tdp_unmap(&f->pgt, hi, 2 * T512, 0, NULL), 0);
	EQ(tables(f), 1);
}

/* --- map cursors -------------------------------------------------------- */

/* Map one page through @cur; the cursor's attributes are the fixture's. */
#define CMAP(cur, addr, pa) RET(tdp_map_cursor_page((cur), (addr), (pa)), 0)

/*
 * Pages through a cursor, in the orders faults come: ascending across a
 * page-table boundary, descending, and a jump to a far region. Every page
 * gets exactly the SDM leaf, every neighbour stays unmapped, and exactly
 * the tables the pages need exist.
 */
static void test_map_cursor_pages(void **state)
{
	struct fix *f = *state;
	const uint64_t hi = f->fc->ept ? 0 : ~0ull << (f->fc->ia_bits - 1);
	/* 100 pages below a 2 MiB boundary, 500 above it. */
	const uint64_t start = hi + 3 * G1 + M2 - 100 * K4, out = 7 * G1;
	const uint64_t far = hi + 200 * G1, levels = (uint64_t)f->fc->levels;
	const struct tdp_attrs rwx = mk_attrs(RWX, ACC | DIRTY);
	struct tdp_map_cursor cur;
	uint64_t i;

	RET(tdp_map_cursor_init(&cur, &f->pgt, &rwx, NULL), 0);
	for (i = 0; i < 600; i++)
		CMAP(&cur, start + i * K4, out + i * K4);
	/* Root, one table per level below it, and a second page table. */
	EQ(tables(f), levels + 1);
	for (i = 0; i < 600; i++)
		CHECK_MAP(f, start + i * K4, out + i * K4, 0, RWX, ACC | DIRTY);
	CHECK_UNMAPPED(f, start - K4, 0);
	CHECK_UNMAPPED(f, start + 600 * K4, 0);

	/* Descending, below the first run, in the first page table. */
	for (i = 1; i <= 20; i++)
		CMAP(&cur, start - i * K4, out - i * K4);
	for (i = 1; i <= 20; i++)
		CHECK_MAP(f, start - i * K4, out - i * K4, 0, RWX, ACC | DIRTY);
	CHECK_UNMAPPED(f, start - 21 * K4, 0);
	EQ(tables(f), levels + 1);

	/* Another 1 GiB region: a new PD and page table, then back. */
	CMAP(&cur, far + 5 * K4, 3 * G1);
	CMAP(&cur, far + 6 * K4, 3 * G1 + 9 * K4);
	CMAP(&cur, start + 600 * K4, out + 600 * K4);
	EQ(tables(f), levels + 3);
	CHECK_MAP(f, far + 5 * K4, 3 * G1, 0, RWX, ACC | DIRTY);
	CHECK_MAP(f, far + 6 * K4, 3 * G1 + 9 * K4, 0, RWX, ACC | DIRTY);
	CHECK_MAP(f, start + 600 * K4, out + 600 * K4, 0, RWX, ACC | DIRTY);
	CHECK_UNMAPPED(f, far + 4 * K4, 0);
	CHECK_UNMAPPED(f, far + 7 * K4, 0);

	RET(tdp_unmap(&f->pgt, hi, 512 * G1, 0, NULL), 0);
	EQ(tables(f), 1);
}

/*
 * Bad arguments and occupied entries, after the cursor has cached the
 * table they fall in: each gives tdp_map()'s error and changes nothing,
 * and the cursor goes on working.
 */
static void test_map_cursor_errors(void **state)
{
	struct fix *f = *state;
	const uint64_t hi = f->fc->ept ? 0 : ~0ull << (f->fc->ia_bits - 1);
	const uint64_t base = hi + 9 * G1, out = 2 * G1;
	const struct tdp_attrs rw = mk_attrs(RW, ACC);
	const struct tdp_attrs w_only = mk_attrs(TDP_PERM_W, 0);
	struct tdp_map_cursor cur, dead;
	struct tdp_lookup r;
	uint64_t *pt;
	struct snap s;

	/* Bad set-ups: an error, and a cursor that refuses every page. */
	RET(tdp_map_cursor_init(NULL, &f->pgt, &rw, NULL), -TDP_ERR_INVAL);
	RET(tdp_map_cursor_init(&dead, NULL, &rw, NULL), -TDP_ERR_INVAL);
	RET(tdp_map_cursor_page(&dead, base, out), -TDP_ERR_INVAL);
	RET(tdp_map_cursor_init(&dead, &f->pgt, NULL, NULL), -TDP_ERR_INVAL);
	RET(tdp_map_cursor_page(&dead, base, out), -TDP_ERR_INVAL);
	RET(tdp_map_cursor_page(NULL, base, out), -TDP_ERR_INVAL);
	/* Writable but not readable: neither EPT nor x86 paging has it. */
	RET(tdp_map_cursor_init(&dead, &f->pgt, &w_only, NULL),
	    -TDP_ERR_NOTSUP);
	RET(tdp_map_cursor_page(&dead, base, out), -TDP_ERR_INVAL);
	EQ(tables(f), 1);

	RET(tdp_map_cursor_init(&cur, &f->pgt, &rw, NULL), 0);
	CMAP(&cur, base, out);
	CMAP(&cur, base + K4, out + K4);
	snap_take(f, &s);
	RET(tdp_map_cursor_page(&cur, base, out + 5 * K4), -TDP_ERR_EXIST);
	RET(tdp_map_cursor_page(&cur, base + 2 * K4 + 0x800, out),
	    -TDP_ERR_ALIGN);
	RET(tdp_map_cursor_page(&cur, base + 2 * K4, out + 0x800),
	    -TDP_ERR_ALIGN);
	RET(tdp_map_cursor_page(&cur, base + 2 * K4, 1ull << PA_BITS),
	    -TDP_ERR_RANGE);
	RET(tdp_map_cursor_page(&cur, base + 2 * K4, ~0ull << 12),
	    -TDP_ERR_RANGE);
	/* Beyond the input space (EPT), or not canonical (IA-32e). */
	RET(tdp_map_cursor_page(&cur, 1ull << f->fc->ia_bits, out),
	    -TDP_ERR_RANGE);
	SNAP_SAME(f, &s);
	CHECK_MAP(f, base, out, 0, RW, ACC);

	/* An invalid entry that is not 0 (ignored bits 52 and 62 set):
	 * tdp_map() maps over it, so the cursor does too. */
	RET(tdp_lookup(&f->pgt, base, &r), 0);
	pt = tdp_pool_phys_to_virt(f->pool, r.entry_pa[0], 3 * 8);
	assert_non_null(pt);
	pt[2] = (1ull << 52) | (1ull << 62);
	CMAP(&cur, base + 2 * K4, out + 2 * K4);
	CHECK_MAP(f, base + 2 * K4, out + 2 * K4, 0, RW, ACC);
	CMAP(&cur, base + 3 * K4, out + 3 * K4);
	CHECK_MAP(f, base + 3 * K4, out + 3 * K4, 0, RW, ACC);
	EQ(tables(f), (uint64_t)f->fc->levels);
}

/*
 * A cursor must never store into a table that is no longer linked: tables
 * freed by unmap, replaced by a block, moved by the caller (announced with
 * tdp_map_cursors_invalidate()), or gone with the whole table.
 */
static void test_map_cursor_unlinked_tables(void **state)
{
	struct fix *f = *state;
	const uint64_t hi = f->fc->ept ? 0 : ~0ull << (f->fc->ia_bits - 1);
	const uint64_t base = hi + 4 * G1, out = 6 * G1;
	const uint64_t levels = (uint64_t)f->fc->levels;
	const struct tdp_attrs rwx = mk_attrs(RWX, ACC);
	struct tdp_map_cursor cur;
	uint64_t pt_pa, *old_t, *new_t;

	RET(tdp_map_cursor_init(&cur, &f->pgt, &rwx, NULL), 0);
	CMAP(&cur, base, out);
	EQ(tables(f), levels);
	/* Unmap frees every table below the root; the cursor rebuilds. */
	RET(tdp_unmap(&f->pgt, base, K4, 0, NULL), 0);
	EQ(tables(f), 1);
	CMAP(&cur, base + K4, out + K4);
	EQ(tables(f), levels);
	CHECK_MAP(f, base + K4, out + K4, 0, RWX, ACC);
	CHECK_UNMAPPED(f, base, 0);

	/* A 2 MiB block replaces the page table: the page is now taken. */
	RET(do_map(f, base, M2, out, RWX, ACC, TDP_OP_REPLACE), 0);
	EQ(tables(f), levels - 1);
	RET(tdp_map_cursor_page(&cur, base + 2 * K4, 9 * G1), -TDP_ERR_EXIST);
	CHECK_MAP(f, base + 2 * K4, out + 2 * K4, 1, RWX, ACC);
	EQ(tables(f), levels - 1);

	/* The caller moves a page table and says so: the next page lands in
	 * the copy, and the old table stays untouched. */
	CMAP(&cur, base + M2, out + M2);
	pt_pa = move_page_table(f, base + M2, &old_t, &new_t);
	tdp_map_cursors_invalidate(&f->pgt);
	tdp_map_cursors_invalidate(NULL);
	CMAP(&cur, base + M2 + K4, out + M2 + K4);
	EQ(new_t[1], exp_leaf(f->fc, 0, out + M2 + K4, RWX, ACC));
	EQ(old_t[1], 0);
	CHECK_MAP(f, base + M2 + K4, out + M2 + K4, 0, RWX, ACC);
	f->mm.ops->free_table(f->mm.ctx, pt_pa, K4);

	/* The whole table destroyed: the cursor refuses, allocating nothing. */
	tdp_pgt_destroy(&f->pgt);
	EQ(tables(f), 0);
	RET(tdp_map_cursor_page(&cur, base + M2 + 2 * K4, out),
	    -TDP_ERR_INVAL);
	RET(do_map(f, base + M2 + 2 * K4, K4, out, RWX, ACC, 0),
	    -TDP_ERR_INVAL);
	EQ(tables(f), 0);
	EQ(pstats(f).failed_allocs, 0);
}

/*
 * A cursor that misses finds a page table that exists by a bare walk, not
 * through tdp_map(): pages in page tables made before, in an order that
 * jumps between them. Each page gets its leaf, nothing is allocated, and
 * the neighbours stay unmapped. The page tables are made in descending
 * order, so none is the page after the one below it: a cursor that took
 * its table to reach further than it does would write into the wrong
 * page. A block whose output address is table memory is a block, never a
 * table to step into.
 */
static void test_map_cursor_walks_existing_tables(void **state)
{
	static const unsigned int order[] = { 2, 0, 1, 3, 1, 0 };
	struct fix *f = *state;
	const uint64_t hi = f->fc->ept ? 0 : ~0ull << (f->fc->ia_bits - 1);
	const uint64_t base = hi + 5 * G1, out = 3 * G1;
	const struct tdp_attrs rw = mk_attrs(RW, ACC);
	struct tdp_map_cursor cur;
	uint64_t allocs, i, a;
	int t;
	struct snap s;

	/* Page tables for four 2 MiB regions, the last made first; each
	 * region's page 0 mapped by tdp_map(). */
	for (t = 3; t >= 0; t--)
		MAP(f, base + (uint64_t)t * M2, K4, out + (uint64_t)t * M2, RW,
		    ACC, 0);
	allocs = pstats(f).allocs;
	RET(tdp_map_cursor_init(&cur, &f->pgt, &rw, NULL), 0);
	/* Pages 2i + 1 and 2i + 2 of region order[i]: a miss, then a hit. */
	for (i = 0; i < 6; i++) {
		a = base + order[i] * M2 + (2 * i + 1) * K4;
		CMAP(&cur, a, out + (a - base));
		CMAP(&cur, a + K4, out + (a - base) + K4);
	}
	EQ(pstats(f).allocs, allocs);
	for (i = 0; i < 6; i++) {
		a = base + order[i] * M2 + (2 * i + 1) * K4;
		CHECK_MAP(f, a, out + (a - base), 0, RW, ACC);
		CHECK_MAP(f, a + K4, out + (a - base) + K4, 0, RW, ACC);
		CHECK_UNMAPPED(f, a + 2 * K4, 0);
	}
	/* The end of region 3, then the start of the next 2 MiB, which
	 * has no table yet: the cursor must not reach across. */
	CMAP(&cur, base + 4 * M2 - K4, out + 4 * M2 - K4);
	CMAP(&cur, base + 4 * M2, out + 4 * M2);
	CHECK_MAP(f, base + 4 * M2 - K4, out + 4 * M2 - K4, 0, RW, ACC);
	CHECK_MAP(f, base + 4 * M2, out + 4 * M2, 0, RW, ACC);
	EQ(pstats(f).allocs, allocs + 1);

	/* A 2 MiB block whose output address is the pool's first page. */
	MAP(f, base + 8 * M2, M2, POOL_BASE, RW, ACC, 0);
	snap_take(f, &s);
	RET(tdp_map_cursor_page(&cur, base + 8 * M2 + K4, out), -TDP_ERR_EXIST);
	SNAP_SAME(f, &s);
	CHECK_MAP(f, base + 8 * M2 + K4, POOL_BASE + K4, 1, RW, ACC);
}

/*
 * A backend of two separate buffers whose linear window is the first
 * only. Tables made once the first is full lie outside the window: a
 * walk reaches them through phys_to_virt, never by the window's offset
 * (which here points nowhere).
 */
struct two_pools {
	struct tdp_pool *pool[2];
	struct tdp_mm mm[2];
};

static int two_alloc(void *ctx, uint64_t size, uint64_t align, uint64_t *pa)
{
	struct two_pools *tp = ctx;
	int i, ret = -TDP_ERR_NOMEM;

	for (i = 0; i < 2 && ret; i++)
		ret = tp->mm[i].ops->alloc_table(tp->mm[i].ctx, size, align,
						 pa);
	return ret;
}

static void two_free(void *ctx, uint64_t pa, uint64_t size)
{
	struct two_pools *tp = ctx;
	int i;

	for (i = 0; i < 2; i++)
		if (tdp_pool_phys_to_virt(tp->pool[i], pa, size))
			tp->mm[i].ops->free_table(tp->mm[i].ctx, pa, size);
}

static void *two_p2v(void *ctx, uint64_t pa, uint64_t size)
{
	struct two_pools *tp = ctx;
	void *p = tdp_pool_phys_to_virt(tp->pool[0], pa, size);

	return p ? p : tdp_pool_phys_to_virt(tp->pool[1], pa, size);
}

static void *two_window(void *ctx, uint64_t *pa, uint64_t *bytes)
{
	struct two_pools *tp = ctx;

	return tp->mm[0].ops->linear_window(tp->mm[0].ctx, pa, bytes);
}

static const struct tdp_mm_ops two_pools_ops = {
	.alloc_table = two_alloc,
	.free_table = two_free,
	.phys_to_virt = two_p2v,
	.linear_window = two_window,
};

/*
 * Through a cursor, a second page in each of 40 page tables made before,
 * most of them outside the window: every page gets its leaf, without an
 * allocation.
 */
static void test_map_cursor_outside_window(void **state)
{
	struct fix *f = *state;
	const uint64_t hi = f->fc->ept ? 0 : ~0ull << (f->fc->ia_bits - 1);
	const uint64_t base = hi + 7 * G1, out = 2 * G1;
	const struct tdp_attrs rw = mk_attrs(RW, ACC);
	struct two_pools tp = { .pool = { NULL, NULL } };
	struct tdp_mm mm = { .ops = &two_pools_ops, .ctx = &tp };
	struct tdp_map_cursor cur;
	struct tdp_pool_stats st0, st1, st1_after;
	struct tdp_pgt pgt;
	struct tdp_lookup r;
	uint64_t i, a;

	RET(tdp_pool_create(16 * K4, POOL_BASE, &tp.pool[0]), 0);
	RET(tdp_pool_create(M1, 4 * POOL_BASE, &tp.pool[1]), 0);
	tp.mm[0] = tdp_pool_mm(tp.pool[0]);
	tp.mm[1] = tdp_pool_mm(tp.pool[1]);
	RET(tdp_pgt_init(&pgt, &f->fc->cfg, &mm), 0);
	for (i = 0; i < 40; i++)
		RET(tdp_map(&pgt, base + i * M2, K4, out + i * M2, &rw, 0,
			    NULL),
		    0);
	/* The first buffer is full: new tables would come from the second. */
	RET(tdp_pool_get_stats(tp.pool[0], &st0), 0);
	RET(tdp_pool_get_stats(tp.pool[1], &st1), 0);
	EQ(st0.tables_in_use, 16);
	EQ(st0.tables_in_use + st1.tables_in_use,
	   (uint64_t)f->fc->levels - 1 + 40);
	/* Page 1 of region i, then of region 39 - i: every page misses. */
	RET(tdp_map_cursor_init(&cur, &pgt, &rw, NULL), 0);
	for (i = 0; i < 40; i++) {
		a = base + (i % 2 ? 39 - i / 2 : i / 2) * M2 + K4;
		RET(tdp_map_cursor_page(&cur, a, out + (a - base)), 0);
	}
	for (i = 0; i < 40; i++) {
		a = base + i * M2 + K4;
		RET(tdp_lookup(&pgt, a, &r), 0);
		EQ(r.out_addr, out + (a - base));
		EQ(r.last_level, 0);
		EQ(r.entry[0], exp_leaf(f->fc, 0, out + (a - base), RW, ACC));
		RET(tdp_lookup(&pgt, a + K4, &r), -TDP_ERR_FAULT);
	}
	RET(tdp_pool_get_stats(tp.pool[1], &st1_after), 0);
	EQ(st1_after.allocs, st1.allocs);
	tdp_pgt_destroy(&pgt);
	tdp_pool_destroy(tp.pool[0]);
	tdp_pool_destroy(tp.pool[1]);
}

/*
 * A cursor's maps take new tables from its reservation first, then from
 * the backend; when both run dry, nothing changes.
 */
static void test_map_cursor_reserve(void **state)
{
	struct fix *f = *state;
	const uint64_t hi = f->fc->ept ? 0 : ~0ull << (f->fc->ia_bits - 1);
	const uint64_t base = hi + 8 * G1, out = G1;
	const uint64_t levels = (uint64_t)f->fc->levels;
	const struct tdp_attrs rw = mk_attrs(RW, ACC);
	struct tdp_reserve res = { 0 };
	struct tdp_map_cursor cur;
	uint64_t allocs;
	struct snap s;

	RET(tdp_reserve_topup(&f->pgt, &res, levels), 0);
	allocs = pstats(f).allocs;
	RET(tdp_map_cursor_init(&cur, &f->pgt, &rw, &res), 0);
	/* levels - 1 tables from the reservation, none from the backend. */
	CMAP(&cur, base, out);
	EQ(res.count, 1);
	EQ(pstats(f).allocs, allocs);
	/* The next 2 MiB: its page table is the reservation's last page. */
	CMAP(&cur, base + M2, out + M2);
	EQ(res.count, 0);
	EQ(pstats(f).allocs, allocs);
	/* Then the backend; and when it fails, nothing changes. */
	CMAP(&cur, base + 2 * M2, out + 2 * M2);
	EQ(pstats(f).allocs, allocs + 1);
	snap_take(f, &s);
	RET(tdp_pool_fail_nth(f->pool, 1), 0);
	RET(tdp_map_cursor_page(&cur, base + 3 * M2, out), -TDP_ERR_NOMEM);
	RET(tdp_pool_fail_nth(f->pool, 0), 0);
	snap_same_nomem_at(__LINE__, f, &s);
	CHECK_UNMAPPED(f, base + 3 * M2, 1);
	CMAP(&cur, base + 3 * M2, out + 3 * M2);
	CHECK_MAP(f, base + 3 * M2, out + 3 * M2, 0, RW, ACC);
	EQ(tables(f), levels + 3);
	tdp_reserve_release(&f->pgt, &res);
}

/*
 * Every format, through a cursor and through tdp_map(): the same leaves,
 * output addresses by arithmetic, and the same tables. Formats whose
 * page leaf is a plain 8-byte template | address take the inline store;
 * the others (4-byte entries, arm64 addresses above bit 47) always walk.
 */
struct cursor_case {
	const char *name;
	struct tdp_format_config cfg;
	uint64_t far; /* a second region, in another top-level entry */
};

static const struct cursor_case cursor_cases[] = {
	{ "ept4", { .format = TDP_FMT_EPT4, .features = TDP_FEAT_EPT_AD },
	  300 * G1 },
	{ "ept5", { .format = TDP_FMT_EPT5 }, 1ull << 50 },
	{ "ia32e4", { .format = TDP_FMT_IA32E4 }, 0xffff800000000000ull },
	{ "ia32e5", { .format = TDP_FMT_IA32E5 }, 0xff00000000000000ull },
	{ "pae", { .format = TDP_FMT_PAE, .pa_bits = 40 }, 3 * G1 },
	{ "legacy32", { .format = TDP_FMT_LEGACY32 }, 3 * G1 },
	{ "legacy32-pse", { .format = TDP_FMT_LEGACY32,
			    .features = TDP_FEAT_PSE, .pa_bits = 36 }, 3 * G1 },
	{ "s2-4k ia40", { .format = TDP_FMT_S2_4K, .ia_bits = 40,
			  .pa_bits = 48 }, 700 * G1 },
	{ "s2-4k lpa2", { .format = TDP_FMT_S2_4K,
			  .features = TDP_FEAT_S2_LPA2, .ia_bits = 52,
			  .pa_bits = 52 }, 1ull << 50 },
	{ "s2-16k", { .format = TDP_FMT_S2_16K, .ia_bits = 48,
		      .pa_bits = 48 }, 1ull << 46 },
	{ "s2-64k ia42", { .format = TDP_FMT_S2_64K, .ia_bits = 42,
			   .pa_bits = 44 }, 3ull << 40 },
	{ "s2-64k pa52", { .format = TDP_FMT_S2_64K, .ia_bits = 52,
			   .pa_bits = 52 }, 1ull << 50 },
};

/* Output address of the n-th page mapped (n may be negative). */
static uint64_t cursor_out(uint64_t page, int64_t n)
{
	return G1 + (uint64_t)((int64_t)page * n);
}

static void cursor_case_run(const struct cursor_case *cc)
{
	const struct tdp_attrs a = mk_attrs(RWX, ACC);
	struct tdp_pool *pool[2] = { NULL, NULL };
	struct tdp_pgt pgt[2];
	struct tdp_mm mm[2];
	struct tdp_map_cursor cur;
	struct tdp_lookup r[2];
	uint64_t page, span, start, addr[760], st_tables[2];
	int64_t n[760];
	unsigned int i, k, count = 0;
	struct tdp_pool_stats st;

	for (k = 0; k < 2; k++) {
		RET(tdp_pool_create(POOL_SIZE, POOL_BASE, &pool[k]), 0);
		mm[k] = tdp_pool_mm(pool[k]);
		RET(tdp_pgt_init(&pgt[k], &cc->cfg, &mm[k]), 0);
	}
	page = 1ull << tdp_format_level_shift(&pgt[0].fmt, 0);
	span = 1ull << tdp_format_level_shift(&pgt[0].fmt, 1);
	/* 100 pages below a page-table boundary, 600 above; 40 pages down
	 * from below the first; 20 in the far region. */
	start = 2 * span - 100 * page;
	for (i = 0; i < 700; i++, count++) {
		addr[count] = start + i * page;
		n[count] = i;
	}
	for (i = 1; i <= 40; i++, count++) {
		addr[count] = start - i * page;
		n[count] = -(int64_t)i;
	}
	for (i = 0; i < 20; i++, count++) {
		addr[count] = cc->far + i * page;
		n[count] = 1000 + i;
	}

	RET(tdp_map_cursor_init(&cur, &pgt[0], &a, NULL), 0);
	for (i = 0; i < count; i++) {
		RET(tdp_map_cursor_page(&cur, addr[i], cursor_out(page, n[i])),
		    0);
		RET(tdp_map(&pgt[1], addr[i], page, cursor_out(page, n[i]), &a,
			    0, NULL),
		    0);
	}
	for (i = 0; i < count; i++) {
		for (k = 0; k < 2; k++)
			RET(tdp_lookup_raw(&pgt[k], addr[i], &r[k]), 0);
		EQ(r[0].out_addr, cursor_out(page, n[i]));
		EQ(r[0].last_level, 0);
		EQ(r[0].page_size, page);
		EQ(r[0].entry[0], r[1].entry[0]);
	}
	/* The neighbours of each run stay unmapped. */
	RET(tdp_lookup_raw(&pgt[0], start + 700 * page, &r[0]), -TDP_ERR_FAULT);
	RET(tdp_lookup_raw(&pgt[0], start - 41 * page, &r[0]), -TDP_ERR_FAULT);
	RET(tdp_lookup_raw(&pgt[0], cc->far + 20 * page, &r[0]),
	    -TDP_ERR_FAULT);
	/* An occupied page: tdp_map()'s error, the leaf unchanged. */
	RET(tdp_map_cursor_page(&cur, start, cursor_out(page, 5)),
	    -TDP_ERR_EXIST);
	RET(tdp_lookup_raw(&pgt[0], start, &r[0]), 0);
	EQ(r[0].out_addr, cursor_out(page, 0));
	for (k = 0; k < 2; k++) {
		RET(tdp_pool_get_stats(pool[k], &st), 0);
		st_tables[k] = st.tables_in_use;
	}
	EQ(st_tables[0], st_tables[1]);
	for (k = 0; k < 2; k++) {
		tdp_pgt_destroy(&pgt[k]);
		tdp_pool_destroy(pool[k]);
	}
}

static void test_map_cursor_all_formats(void **state)
{
	size_t i;

	(void)state; /* table-driven: the cases are cursor_cases[] */
	for (i = 0; i < sizeof(cursor_cases) / sizeof(cursor_cases[0]); i++) {
		print_message("  %s\n", cursor_cases[i].name);
		cursor_case_run(&cursor_cases[i]);
	}
}

#define FT(fn, fc)                                                            \
	{ #fn "/" #fc, fn, fix_setup, fix_teardown, &(fc) }
#define F4(fn) FT(fn, ept4), FT(fn, ia32e4)
#define FALL(fn) FT(fn, ept4), FT(fn, ia32e4), FT(fn, ept5), FT(fn, ia32e5)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FALL(test_map_1g_leaf),
		FALL(test_map_2m_leaves),
		FALL(test_map_mixed_sizes),
		F4(test_map_misaligned_small_leaves),
		F4(test_map_max_level),
		FT(test_map_no_1g, ept4_no1g),
		FT(test_map_no_1g, ia32e4_no1g),
		FALL(test_map_edges),
		F4(test_map_exist),
		F4(test_map_fault_pattern_cache),
		F4(test_map_fault_opens_tables),
		FALL(test_map_cursor_pages),
		F4(test_map_cursor_errors),
		F4(test_map_cursor_unlinked_tables),
		F4(test_map_cursor_walks_existing_tables),
		F4(test_map_cursor_outside_window),
		F4(test_map_cursor_reserve),
		cmocka_unit_test(test_map_cursor_all_formats),
		F4(test_map_exist_shared),
		F4(test_replace_leaf),
		FALL(test_replace_splits_blocks),
		F4(test_replace_frees_tables),
		F4(test_unmap_split_1g),
		FALL(test_unmap_split_2m_then_empty),
		FALL(test_unmap_all_only_root),
		F4(test_unmap_pagewise),
		F4(test_unmap_holes),
		F4(test_protect_wp_relax),
		FALL(test_protect_split_where_cut),
		F4(test_protect_notsup),
		FT(test_protect_notsup_atomic, ept4_xo),
		FT(test_protect_notsup_atomic_shared, ept4_xo),
		F4(test_protect_holes),
		F4(test_young),
		F4(test_young_partial_block),
		F4(test_dirty),
		FT(test_dirty, ept5),
		F4(test_dirty_partial_block),
		F4(test_report_stop_and_null),
		FT(test_ad_notsup, ept4_noad),
		F4(test_tlb_map_no_flush),
		F4(test_tlb_unmap_1g_aligned),
		F4(test_tlb_unmap_1g_unaligned),
		F4(test_tlb_single_page),
		F4(test_tlb_harvest),
		F4(test_harvest_many),
		F4(test_tlb_protect_replace),
		F4(test_tlb_fallback),
		F4(test_protect_bad_mid_table),
		F4(test_protect_bad_mid_table_shared),
		FT(test_protect_notsup_mid_table, ept4_xo),
		FT(test_protect_notsup_mid_table_shared, ept4_xo),
		F4(test_protect_cut_mid_table),
		F4(test_protect_mixed_table),
		FALL(test_worst_case),
		FALL(test_reserve_covers_map),
		FALL(test_reserve_tiny_pool),
		F4(test_reserve_partial_release),
		FALL(test_bad_args),
		FALL(test_high_addresses),
		FALL(test_inject_map_empty),
		FALL(test_inject_replace_split),
		FALL(test_inject_unmap_split),
		FALL(test_inject_protect_split),
	};

	return cmocka_run_group_tests_name("map", tests, NULL, NULL);
}

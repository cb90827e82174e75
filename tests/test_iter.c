/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The pre-order iterator: tdp_for_each_entry() against tdp_walk() and a
 * hand-written order, min_level, the explicit steps at table edges,
 * restarts (re-descent, refusal without progress, termination, unlinked
 * tables), ranges that end mid-table or at the top of the address space,
 * and bad arguments.
 *
 * Tables are built by hand from raw EPT and IA-32e entries in a simulated
 * pool; engine level L indexes with address bits (20 + 9L):(12 + 9L).
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

#include "hand_x86.h"

#define K_INV TDP_ENTRY_INVALID
#define K_TBL TDP_ENTRY_TABLE
#define K_LEAF TDP_ENTRY_LEAF
#define K_RSV TDP_ENTRY_RESERVED
#define K_BAD TDP_ENTRY_BAD_POINTER

/* One entry as the iterator (or a LEAF/TABLE_PRE visit) shows it. */
struct pos {
	int level;
	uint32_t kind;
	uint64_t addr;
	uint64_t entry_pa;
	uint64_t old;
};

static bool pos_equal(const struct pos *a, const struct pos *b)
{
	return a->level == b->level && a->kind == b->kind &&
	       a->addr == b->addr && a->entry_pa == b->entry_pa &&
	       a->old == b->old;
}

static void print_pos(const char *what, size_t i, const struct pos *p)
{
	print_error("%s[%zu]: level %d kind %u addr %#llx entry_pa %#llx "
		    "old %#llx\n",
		    what, i, p->level, p->kind, (unsigned long long)p->addr,
		    (unsigned long long)p->entry_pa,
		    (unsigned long long)p->old);
}

static void check_seq(const char *ctx, const struct pos *got, size_t ngot,
		      const struct pos *want, size_t nwant)
{
	size_t n = ngot < nwant ? ngot : nwant;

	for (size_t i = 0; i < n; i++) {
		if (!pos_equal(&got[i], &want[i])) {
			print_error("%s: first difference at entry %zu\n",
				    ctx, i);
			print_pos("got ", i, &got[i]);
			print_pos("want", i, &want[i]);
			fail();
		}
	}
	if (ngot != nwant) {
		print_error("%s: %zu entries, expected %zu\n", ctx, ngot,
			    nwant);
		if (ngot > n)
			print_pos("extra", n, &got[n]);
		else
			print_pos("missing", n, &want[n]);
		fail();
	}
}

/*
 * The current entry of @it, checked for consistency: the entry pointer
 * lies in the pool and holds it->old.
 */
static struct pos iter_pos(const struct fix *f, const struct tdp_iter *it)
{
	uintptr_t base = (uintptr_t)f->mem;
	uintptr_t p = (uintptr_t)it->entry;

	assert_true(it->valid);
	assert_true(it->pgt == &f->pgt);
	assert_true(p >= base && p - base < POOL_SIZE && !((p - base) & 7));
	assert_int_equal(f->mem[(p - base) / 8], it->old);
	return (struct pos){
		.level = it->level,
		.kind = it->kind,
		.addr = it->addr,
		.entry_pa = POOL_BASE + (p - base),
		.old = it->old,
	};
}

#define MAX_POS 2048

/* Collect the whole pre-order of a range with tdp_for_each_entry(). */
static size_t iter_collect(const struct fix *f, uint64_t addr, uint64_t size,
			   struct pos *out)
{
	struct tdp_iter it;
	size_t n = 0;

	tdp_for_each_entry(it, &f->pgt, addr, size) {
		assert_true(n < MAX_POS);
		out[n++] = iter_pos(f, &it);
	}
	return n;
}

struct walk_rec {
	struct pos *p;
	size_t n;
};

static int walk_record(const struct tdp_visit *v, void *arg)
{
	struct walk_rec *w = arg;

	assert_true(w->n < MAX_POS);
	w->p[w->n++] = (struct pos){
		.level = v->level,
		.kind = v->kind,
		.addr = v->addr,
		.entry_pa = v->entry_pa,
		.old = v->old,
	};
	return 0;
}

/*
 * The pre-order of [R0, R1) on the main tree, 4-level part; the index in
 * this list is used as p0 .. p16 in the comments below.
 */
#define N_MAIN 17

static void main_order(const struct fmt_case *fc, struct pos *p)
{
	const struct pos rows[N_MAIN] = {
		{ 3, K_TBL, 0, PG(0), tbl(fc, 1) },                   /* p0 */
		{ 2, K_TBL, A_PD, PG(1) + 510 * 8, tbl(fc, 2) },      /* p1 */
		{ 1, K_TBL, A_PT, PG(2) + 510 * 8, tbl(fc, 3) },      /* p2 */
		{ 0, K_LEAF, A_PT + 508 * K4, PG(3) + 508 * 8,
		  leaf(fc, 0x5000) },                                 /* p3 */
		{ 0, K_INV, A_PT + 509 * K4, PG(3) + 509 * 8, 0 },    /* p4 */
		{ 0, K_LEAF, A_PT + 510 * K4, PG(3) + 510 * 8,
		  leaf(fc, 0x6000) },                                 /* p5 */
		{ 0, K_RSV, A_PT + 511 * K4, PG(3) + 511 * 8,
		  rsv(fc, 0x7000) },                                  /* p6 */
		{ 1, K_LEAF, A_PD + 511 * M2, PG(2) + 511 * 8,
		  big(fc, 0x200000) },                                /* p7 */
		{ 2, K_LEAF, 511 * G1, PG(1) + 511 * 8,
		  big(fc, 0x40000000) },                              /* p8 */
		{ 3, K_TBL, T512, PG(0) + 8, tbl(fc, 4) },            /* p9 */
		{ 2, K_INV, T512, PG(4), 0 },                         /* p10 */
		{ 2, K_TBL, B_PD, PG(4) + 8, tbl(fc, 5) },            /* p11 */
		{ 1, K_LEAF, B_PD, PG(5), big(fc, 0x400000) },        /* p12 */
		{ 1, K_INV, B_PD + M2, PG(5) + 8, 0 },                /* p13 */
		{ 1, K_TBL, B_PT, PG(5) + 16, tbl(fc, 6) },           /* p14 */
		{ 0, K_LEAF, B_PT, PG(6), leaf(fc, 0x8000) },         /* p15 */
		{ 0, K_INV, B_PT + K4, PG(6) + 8, 0 },                /* p16 */
	};

	memcpy(p, rows, sizeof(rows));
}

/* The hand order with the PML5 entry first for 5-level formats. */
static size_t main_expect(const struct fmt_case *fc, struct pos *p)
{
	size_t n = 0;

	if (fc->levels == 5)
		p[n++] = (struct pos){ 4, K_TBL, 0, PG(9), tbl(fc, 0) };
	main_order(fc, p + n);
	return n + N_MAIN;
}

/* --- tests -------------------------------------------------------------- */

/* tdp_for_each_entry == LEAF + TABLE_PRE visits of tdp_walk == by hand. */
static void test_preorder_matches_walk(void **state)
{
	struct fix *f = *state;
	struct pos *got = calloc(MAX_POS, sizeof(*got));
	struct pos *walked = calloc(MAX_POS, sizeof(*walked));
	struct pos want[N_MAIN + 1];

	assert_non_null(got);
	assert_non_null(walked);
	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		struct walk_rec w = { walked, 0 };
		size_t nw, ng;
		char ctx[64];

		build_main(f, fc);
		nw = main_expect(fc, want);
		ng = iter_collect(f, R0, R1 - R0, got);
		snprintf(ctx, sizeof(ctx), "%s iterator", fc->name);
		check_seq(ctx, got, ng, want, nw);
		assert_int_equal(tdp_walk(&f->pgt, R0, R1 - R0,
					  TDP_WALK_LEAF | TDP_WALK_TABLE_PRE,
					  walk_record, &w),
				 0);
		snprintf(ctx, sizeof(ctx), "%s walk", fc->name);
		check_seq(ctx, walked, w.n, got, ng);
	}
	free(walked);
	free(got);
}

/*
 * Untrusted entries: pointers outside the pool are BAD_POINTER and not
 * entered, a table entry with reserved bits is RESERVED; the iterator
 * agrees with the walk. PDPT (page 1): [0] far outside the pool, [1] a PD
 * (page 2) with one 2 MiB leaf, [2] that pointer with bit 51 (above
 * pa_bits) set, [3] the page just past the pool.
 */
static void test_untrusted_matches_walk(void **state)
{
	struct fix *f = *state;
	struct pos *got = calloc(MAX_POS, sizeof(*got));
	struct pos *walked = calloc(MAX_POS, sizeof(*walked));
	struct pos *want = calloc(MAX_POS, sizeof(*want));

	assert_non_null(got);
	assert_non_null(walked);
	assert_non_null(want);
	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		bool five = fc->levels == 5;
		const uint64_t far = 0x40000000ull | fc->table;
		const uint64_t past = PG(POOL_PAGES) | fc->table;
		const uint64_t rsvd = tbl(fc, 2) | 1ull << 51;
		struct walk_rec w = { walked, 0 };
		size_t ng, nw = 0;

		fix_reset(f, fc);
		set_e(f, 0, 0, tbl(fc, 1));
		set_e(f, 1, 0, far);
		set_e(f, 1, 1, tbl(fc, 2));
		set_e(f, 1, 2, rsvd);
		set_e(f, 1, 3, past);
		set_e(f, 2, 0, big(fc, 0x200000));
		set_e(f, 9, 0, tbl(fc, 0));
		fix_attach(f, five ? 9 : 0);

		if (five)
			want[nw++] = (struct pos){ 4, K_TBL, 0, PG(9),
						   tbl(fc, 0) };
		want[nw++] = (struct pos){ 3, K_TBL, 0, PG(0), tbl(fc, 1) };
		want[nw++] = (struct pos){ 2, K_BAD, 0, PG(1), far };
		want[nw++] = (struct pos){ 2, K_TBL, G1, PG(1) + 8,
					   tbl(fc, 2) };
		want[nw++] = (struct pos){ 1, K_LEAF, G1, PG(2),
					   big(fc, 0x200000) };
		for (uint64_t j = 1; j < 512; j++)
			want[nw++] = (struct pos){ 1, K_INV, G1 + j * M2,
						   PG(2) + j * 8, 0 };
		want[nw++] = (struct pos){ 2, K_RSV, 2 * G1, PG(1) + 16,
					   rsvd };
		want[nw++] = (struct pos){ 2, K_BAD, 3 * G1, PG(1) + 24,
					   past };
		assert_int_equal(nw, (five ? 1 : 0) + 517);

		ng = iter_collect(f, 0, 4 * G1, got);
		check_seq(fc->name, got, ng, want, nw);
		assert_int_equal(tdp_walk(&f->pgt, 0, 4 * G1,
					  TDP_WALK_LEAF | TDP_WALK_TABLE_PRE,
					  walk_record, &w),
				 0);
		check_seq(fc->name, walked, w.n, got, ng);
	}
	free(want);
	free(walked);
	free(got);
}

/* min_level: entries below it are never visited, tables at it not entered. */
static void test_min_level(void **state)
{
	struct fix *f = *state;
	struct pos all[N_MAIN + 1];

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		size_t na;

		build_main(f, fc);
		na = main_expect(fc, all);
		for (int min = 0; min < fc->levels; min++) {
			struct pos want[N_MAIN + 1], got[N_MAIN + 1];
			struct tdp_iter it;
			size_t nw = 0, ng = 0;
			char ctx[64];

			for (size_t j = 0; j < na; j++)
				if (all[j].level >= min)
					want[nw++] = all[j];
			assert_int_equal(tdp_iter_start(&it, &f->pgt, R0,
							 R1 - R0, min),
					 0);
			for (; it.valid; tdp_iter_next(&it)) {
				assert_true(ng <= N_MAIN);
				got[ng++] = iter_pos(f, &it);
			}
			snprintf(ctx, sizeof(ctx), "%s min_level %d",
				 fc->name, min);
			check_seq(ctx, got, ng, want, nw);
		}
	}
	/* By hand for ept4: 11 entries at levels 1-3, 6 at 2-3, 2 at 3. */
	{
		struct pos p[N_MAIN];
		size_t c[4] = { 0 };

		main_order(&ept4, p);
		for (size_t j = 0; j < N_MAIN; j++)
			for (int min = 0; min <= p[j].level; min++)
				c[min]++;
		assert_int_equal(c[0], 17);
		assert_int_equal(c[1], 11);
		assert_int_equal(c[2], 6);
		assert_int_equal(c[3], 2);
	}
}

static void expect_at(const struct fix *f, const struct tdp_iter *it,
		      const struct pos *want, const char *ctx)
{
	struct pos got = iter_pos(f, it);

	check_seq(ctx, &got, 1, want, 1);
}

/* The explicit steps and their return values at the edges. */
static void test_explicit_steps(void **state)
{
	struct fix *f = *state;
	const struct fmt_case *fc = &ept4;
	struct pos p[N_MAIN];
	struct tdp_iter it;

	build_main(f, fc);
	main_order(fc, p);

	/* From PML4[0]: the root level has no parent. */
	assert_int_equal(tdp_iter_start(&it, &f->pgt, R0, R1 - R0, 0), 0);
	expect_at(f, &it, &p[0], "start");
	assert_false(tdp_iter_step_up(&it));
	expect_at(f, &it, &p[0], "up at root");
	/* The first child in range is PDPT_A[510], not PDPT_A[0]. */
	assert_true(tdp_iter_step_down(&it));
	expect_at(f, &it, &p[1], "down to PDPT_A[510]");
	assert_true(tdp_iter_step_down(&it));
	expect_at(f, &it, &p[2], "down to PD_A[510]");
	assert_true(tdp_iter_step_down(&it));
	expect_at(f, &it, &p[3], "down to PT_A[508]");
	/* A 4 KiB leaf: nothing below. */
	assert_false(tdp_iter_step_down(&it));
	expect_at(f, &it, &p[3], "down at PTE");
	assert_true(tdp_iter_step_side(&it));
	assert_true(tdp_iter_step_side(&it));
	assert_true(tdp_iter_step_side(&it));
	expect_at(f, &it, &p[6], "side to PT_A[511]");
	/* Index 511: the end of the table, though not of the range. */
	assert_false(tdp_iter_step_side(&it));
	expect_at(f, &it, &p[6], "side at 511");
	/* A reserved entry is not a table. */
	assert_false(tdp_iter_step_down(&it));
	assert_true(tdp_iter_step_up(&it));
	expect_at(f, &it, &p[2], "up to PD_A[510]");
	assert_true(tdp_iter_step_side(&it));
	expect_at(f, &it, &p[7], "side to PD_A[511]");
	/* A 2 MiB leaf. */
	assert_false(tdp_iter_step_down(&it));
	assert_false(tdp_iter_step_side(&it));
	assert_true(tdp_iter_step_up(&it));
	expect_at(f, &it, &p[1], "up to PDPT_A[510]");
	assert_true(tdp_iter_step_side(&it));
	expect_at(f, &it, &p[8], "side to PDPT_A[511]");
	assert_false(tdp_iter_step_down(&it)); /* 1 GiB leaf */
	assert_true(tdp_iter_step_up(&it));
	expect_at(f, &it, &p[0], "up to PML4[0]");
	assert_true(tdp_iter_step_side(&it));
	expect_at(f, &it, &p[9], "side to PML4[1]");
	/* PML4[2] is past the end of the range. */
	assert_false(tdp_iter_step_side(&it));
	expect_at(f, &it, &p[9], "side at range end (root)");
	assert_true(tdp_iter_step_down(&it));
	expect_at(f, &it, &p[10], "down to PDPT_B[0]");
	assert_false(tdp_iter_step_down(&it)); /* invalid */
	assert_true(tdp_iter_step_side(&it));
	assert_true(tdp_iter_step_down(&it));
	expect_at(f, &it, &p[12], "down to PD_B[0]");
	assert_true(tdp_iter_step_side(&it));
	assert_true(tdp_iter_step_side(&it));
	expect_at(f, &it, &p[14], "side to PD_B[2]");
	assert_true(tdp_iter_step_down(&it));
	assert_true(tdp_iter_step_side(&it));
	expect_at(f, &it, &p[16], "side to PT_B[1]");
	/* PT_B[2] is a leaf, but past the end of the range. */
	assert_false(tdp_iter_step_side(&it));
	expect_at(f, &it, &p[16], "side at range end");
	assert_true(tdp_iter_step_up(&it));
	assert_true(tdp_iter_step_up(&it));
	assert_true(tdp_iter_step_up(&it));
	expect_at(f, &it, &p[9], "up to PML4[1]");
	assert_false(tdp_iter_step_up(&it));
	assert_true(it.valid);

	/* At min_level a table is not entered. */
	assert_int_equal(tdp_iter_start(&it, &f->pgt, R0, R1 - R0, 1), 0);
	assert_true(tdp_iter_step_down(&it));
	assert_true(tdp_iter_step_down(&it));
	expect_at(f, &it, &p[2], "min_level 1: PD_A[510]");
	assert_false(tdp_iter_step_down(&it));
	expect_at(f, &it, &p[2], "min_level 1: still PD_A[510]");
	assert_int_equal(tdp_iter_start(&it, &f->pgt, R0, R1 - R0, 3), 0);
	assert_false(tdp_iter_step_down(&it));
	expect_at(f, &it, &p[0], "min_level 3: PML4[0]");

	/* A table pointer outside the pool is not entered. */
	set_e(f, 4, 1, PG(POOL_PAGES) | fc->table);
	assert_int_equal(tdp_iter_start(&it, &f->pgt, B_PD, G1, 0), 0);
	assert_true(tdp_iter_step_down(&it));
	assert_int_equal(it.level, 2);
	assert_int_equal(it.addr, B_PD);
	assert_int_equal(it.kind, K_BAD);
	assert_false(tdp_iter_step_down(&it));
	assert_int_equal(it.level, 2);
	assert_int_equal(it.addr, B_PD);
	set_e(f, 4, 1, 0x40000000ull | fc->table);
	assert_int_equal(tdp_iter_start(&it, &f->pgt, B_PD, G1, 0), 0);
	assert_true(tdp_iter_step_down(&it));
	assert_false(tdp_iter_step_down(&it));
	assert_int_equal(it.level, 2);
}

/*
 * After a restart the next step goes to the root entry over the current
 * address and the following ones come down to the current entry again;
 * a second restart without progress is refused.
 */
static void test_restart_redescends(void **state)
{
	struct fix *f = *state;

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		struct pos p[N_MAIN + 1], got[64], want[64];
		size_t np, ng = 0, nw = 0;
		size_t top = fc->levels == 5; /* offset of p0 in p[] */
		unsigned int seen4 = 0, seen11 = 0;
		struct tdp_iter it;
		char ctx[64];

		build_main(f, fc);
		np = main_expect(fc, p);
		tdp_for_each_entry(it, &f->pgt, R0, R1 - R0) {
			struct pos cur = iter_pos(f, &it);
			bool at4 = pos_equal(&cur, &p[top + 4]);
			bool at11 = pos_equal(&cur, &p[top + 11]);

			assert_true(ng < 64);
			got[ng++] = cur;
			/*
			 * Restart at PT_A[509] (p4) and at PDPT_B[1] (p11):
			 * armed on the first arrival, refused on the second
			 * (no progress since), and refused when repeated at
			 * once.
			 */
			if (at4 || at11) {
				bool first = at4 ? !seen4++ : !seen11++;

				assert_true(tdp_iter_restart(&it) == first);
				assert_false(tdp_iter_restart(&it));
			}
		}
		assert_int_equal(seen4, 2);
		assert_int_equal(seen11, 2);
		/*
		 * p0-p4, then PML5[0], p0, p1, p2, p4 again; p5-p11, then
		 * PML5[0], p9, p11 again; p12-p16.
		 */
		for (size_t j = 0; j <= top + 4; j++)
			want[nw++] = p[j];
		for (size_t j = 0; j <= top + 2; j++)
			want[nw++] = p[j];
		want[nw++] = p[top + 4];
		for (size_t j = top + 5; j <= top + 11; j++)
			want[nw++] = p[j];
		if (top)
			want[nw++] = p[0];
		want[nw++] = p[top + 9];
		want[nw++] = p[top + 11];
		for (size_t j = top + 12; j < np; j++)
			want[nw++] = p[j];
		snprintf(ctx, sizeof(ctx), "%s restart", fc->name);
		check_seq(ctx, got, ng, want, nw);
	}
}

/*
 * A caller that restarts on every entry still terminates. A restart only
 * succeeds the first time or when the iteration has advanced since the
 * previous one; "advanced" is read as KVM's yield rule does: the position
 * the iteration continues from, max(range start, entry address), has
 * grown. (An entry that starts below the range start, such as p1 - p2
 * here, has not moved the position past the start.) Each successful
 * restart re-visits the path from the root down to the entry.
 */
static void test_restart_every_entry(void **state)
{
	/* Parent of p0 .. p16 in the pre-order (-1: a PML4 entry). */
	static const int parent4[N_MAIN] = {
		-1, 0, 1, 2, 2, 2, 2, 1, 0, -1, 9, 9, 11, 11, 11, 14, 14
	};
	struct fix *f = *state;
	struct pos *got = calloc(MAX_POS, sizeof(*got));
	struct pos *want = calloc(MAX_POS, sizeof(*want));

	assert_non_null(got);
	assert_non_null(want);
	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		struct pos p[N_MAIN + 1];
		int parent[N_MAIN + 1];
		size_t top = fc->levels == 5;
		size_t np, ng = 0, nw = 0, restarts = 0, steps = 0;
		bool have_last = false;
		uint64_t last = 0;
		struct tdp_iter it;
		char ctx[64];

		build_main(f, fc);
		np = main_expect(fc, p);
		/* With a PML5, its entry 0 is the parent of the PML4 ones. */
		if (top)
			parent[0] = -1;
		for (size_t j = 0; j < N_MAIN; j++)
			parent[top + j] = parent4[j] < 0 ? (int)top - 1 :
				parent4[j] + (int)top;
		/* Build the expected sequence from the documented rule. */
		for (int j = 0; j < (int)np; j++) {
			int path[6], depth = 0;

			uint64_t at = p[j].addr > R0 ? p[j].addr : R0;

			want[nw++] = p[j];
			if (have_last && at <= last)
				continue;
			have_last = true;
			last = at;
			for (int k = j; k >= 0; k = parent[k])
				path[depth++] = k;
			while (depth > 0)
				want[nw++] = p[path[--depth]];
		}
		/*
		 * By hand: restarts at p0, p4-p9, p11, p13, p14, p16 (with a
		 * PML5 its entry replaces p0), re-visiting 31 entries
		 * (4-level) or 41 (5-level).
		 */
		assert_int_equal(nw, top ? 18 + 41 : 17 + 31);

		tdp_for_each_entry(it, &f->pgt, R0, R1 - R0) {
			/* Far more than the at most 59 steps this takes. */
			assert_true(++steps < 1000);
			got[ng++] = iter_pos(f, &it);
			if (tdp_iter_restart(&it))
				restarts++;
		}
		snprintf(ctx, sizeof(ctx), "%s restart always", fc->name);
		check_seq(ctx, got, ng, want, nw);
		assert_int_equal(restarts, 11);
		assert_false(tdp_iter_restart(&it)); /* not valid any more */
	}
	free(want);
	free(got);
}

/*
 * The table under the current entry is unlinked (its parent entry set to
 * 0) before a restart or a plain step: the iterator never enters it.
 */
static void test_unlinked_table(void **state)
{
	struct fix *f = *state;

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		struct pos p[N_MAIN + 1], got[64], want[64];
		struct pos gone;
		size_t top = fc->levels == 5;
		struct tdp_iter it;
		size_t ng, nw;

		build_main(f, fc);
		main_expect(fc, p);
		gone = p[top + 2];
		gone.kind = K_INV;
		gone.old = 0;

		/*
		 * (a) At PT_A[509] (p4), PD_A[510] is cleared, then the
		 * caller restarts: p0, p1, PD_A[510] (now invalid), p7 ...
		 */
		ng = 0;
		tdp_for_each_entry(it, &f->pgt, R0, R1 - R0) {
			got[ng++] = iter_pos(f, &it);
			if (ng == top + 5) {
				set_e(f, 2, 510, 0);
				assert_true(tdp_iter_restart(&it));
			}
		}
		nw = 0;
		for (size_t j = 0; j <= top + 4; j++)
			want[nw++] = p[j];
		for (size_t j = 0; j <= top + 1; j++)
			want[nw++] = p[j];
		want[nw++] = gone;
		for (size_t j = top + 7; j < top + N_MAIN; j++)
			want[nw++] = p[j];
		check_seq("unlink above, restart", got, ng, want, nw);

		/*
		 * (b) At PD_A[510] (p2) itself, the entry is cleared and the
		 * caller restarts: the re-descent reads it as invalid.
		 */
		build_main(f, fc);
		ng = 0;
		tdp_for_each_entry(it, &f->pgt, R0, R1 - R0) {
			got[ng++] = iter_pos(f, &it);
			if (ng == top + 3) {
				set_e(f, 2, 510, 0);
				assert_true(tdp_iter_restart(&it));
			}
		}
		nw = 0;
		for (size_t j = 0; j <= top + 2; j++)
			want[nw++] = p[j];
		for (size_t j = 0; j <= top + 1; j++)
			want[nw++] = p[j];
		want[nw++] = gone;
		for (size_t j = top + 7; j < top + N_MAIN; j++)
			want[nw++] = p[j];
		check_seq("unlink current, restart", got, ng, want, nw);

		/* (c) The same without a restart: step_down re-reads. */
		build_main(f, fc);
		ng = 0;
		tdp_for_each_entry(it, &f->pgt, R0, R1 - R0) {
			got[ng++] = iter_pos(f, &it);
			if (ng == top + 3)
				set_e(f, 2, 510, 0);
		}
		nw = 0;
		for (size_t j = 0; j <= top + 2; j++)
			want[nw++] = p[j];
		for (size_t j = top + 7; j < top + N_MAIN; j++)
			want[nw++] = p[j];
		check_seq("unlink current, no restart", got, ng, want, nw);
	}
}

/* Ranges that end in the middle of a table. */
static void test_range_ends_mid_table(void **state)
{
	static const struct {
		uint64_t addr;
		uint64_t size;
		int n;
		int idx[12]; /* the entries, as p0 .. p16 */
	} ranges[] = {
		/* PT_A[508..509]. */
		{ R0, 2 * K4, 5, { 0, 1, 2, 3, 4 } },
		/* One byte more: the first of PT_A[510]. */
		{ R0, 2 * K4 + 1, 6, { 0, 1, 2, 3, 4, 5 } },
		/* Just PT_A[510]. */
		{ A_PT + 510 * K4 + 7, 1, 4, { 0, 1, 2, 5 } },
		/* Ends inside the 2 MiB leaf PD_A[511]. */
		{ R0, 4 * K4 + M2 / 2, 8, { 0, 1, 2, 3, 4, 5, 6, 7 } },
		/* Ends with PML4[0]. */
		{ R0, T512 - R0, 9, { 0, 1, 2, 3, 4, 5, 6, 7, 8 } },
		/* Last byte of PML4[0] to the first byte of PDPT_B[1]. */
		{ T512 - 1, B_PD - (T512 - 1) + 1, 6, { 0, 8, 9, 10, 11, 12 } },
		/* PD_B[1] and the first byte of PD_B[2] / PT_B[0]. */
		{ B_PD + M2, M2 + 1, 5, { 9, 11, 13, 14, 15 } },
	};
	struct fix *f = *state;

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		struct pos p[N_MAIN + 1], got[64], want[16];
		size_t top = fc->levels == 5;

		build_main(f, fc);
		main_expect(fc, p);
		for (size_t k = 0; k < sizeof(ranges) / sizeof(ranges[0]);
		     k++) {
			size_t nw = 0, ng;
			char ctx[64];

			if (top)
				want[nw++] = p[0];
			for (int j = 0; j < ranges[k].n; j++)
				want[nw++] = p[top + ranges[k].idx[j]];
			ng = iter_collect(f, ranges[k].addr, ranges[k].size,
					  got);
			snprintf(ctx, sizeof(ctx), "%s range %zu", fc->name,
				 k);
			check_seq(ctx, got, ng, want, nw);
		}
	}
}

/* The very top of the 57-bit EPT space, and of the IA-32e upper half. */
static void test_top_of_space(void **state)
{
	struct fix *f = *state;
	const struct fmt_case *fc = &ept5;
	const struct pos want[] = {
		{ 4, K_TBL, 0x1ff000000000000ull, PG(0) + 511 * 8,
		  tbl(fc, 1) },
		{ 3, K_TBL, 0x1ffff8000000000ull, PG(1) + 511 * 8,
		  tbl(fc, 2) },
		{ 2, K_TBL, 0x1ffffffc0000000ull, PG(2) + 511 * 8,
		  tbl(fc, 3) },
		{ 1, K_TBL, 0x1ffffffffe00000ull, PG(3) + 511 * 8,
		  tbl(fc, 4) },
		{ 0, K_LEAF, 0x1fffffffffff000ull, PG(4) + 511 * 8,
		  leaf(fc, 0x5000) },
	};
	struct pos got[16], want2[6];
	size_t ng;

	fix_reset(f, fc);
	for (unsigned int pg = 0; pg < 4; pg++)
		set_e(f, pg, 511, tbl(fc, pg + 1));
	set_e(f, 4, 510, leaf(fc, 0x6000));
	set_e(f, 4, 511, leaf(fc, 0x5000));
	fix_attach(f, 0);
	ng = iter_collect(f, (1ull << 57) - 0x1000, 0x1000, got);
	check_seq("ept5 top", got, ng, want, 5);

	/* Two pages: PT[510] comes before PT[511]. */
	memcpy(want2, want, 4 * sizeof(want[0]));
	want2[4] = (struct pos){ 0, K_LEAF, 0x1ffffffffffe000ull,
				 PG(4) + 510 * 8, leaf(fc, 0x6000) };
	want2[5] = want[4];
	ng = iter_collect(f, (1ull << 57) - 0x2000, 0x2000, got);
	check_seq("ept5 top two pages", got, ng, want2, 6);

	/* IA-32e 4-level: the last page ends at 2^64 (no wrap). */
	fc = &ia32e4;
	fix_reset(f, fc);
	for (unsigned int pg = 0; pg < 3; pg++)
		set_e(f, pg, 511, tbl(fc, pg + 1));
	set_e(f, 3, 511, leaf(fc, 0x5000));
	fix_attach(f, 0);
	{
		const struct pos w[] = {
			{ 3, K_TBL, 0xffffff8000000000ull, PG(0) + 511 * 8,
			  tbl(fc, 1) },
			{ 2, K_TBL, 0xffffffffc0000000ull, PG(1) + 511 * 8,
			  tbl(fc, 2) },
			{ 1, K_TBL, 0xffffffffffe00000ull, PG(2) + 511 * 8,
			  tbl(fc, 3) },
			{ 0, K_LEAF, 0xfffffffffffff000ull, PG(3) + 511 * 8,
			  leaf(fc, 0x5000) },
		};
		struct tdp_iter it;
		size_t n = 0;

		ng = iter_collect(f, 0xfffffffffffff000ull, 0x1000, got);
		check_seq("ia32e4 top", got, ng, w, 4);

		/* A restart in the upper half re-descends canonically. */
		tdp_for_each_entry(it, &f->pgt, 0xfffffffffffff000ull,
				   0x1000) {
			got[n++] = iter_pos(f, &it);
			if (n == 4)
				assert_true(tdp_iter_restart(&it));
			else
				assert_true(n < 9);
		}
		assert_int_equal(n, 8);
		check_seq("ia32e4 top restart", got, 4, w, 4);
		check_seq("ia32e4 top restart", got + 4, n - 4, w, 4);
	}
}

/* Bad arguments: the documented error and valid == false. */
static void test_bad_args(void **state)
{
	static const struct {
		const struct fmt_case *fc;
		uint64_t addr;
		uint64_t size;
	} bad_ranges[] = {
		{ &ept4, 1ull << 48, 0x1000 },
		{ &ept4, (1ull << 48) - 0x1000, 0x2000 },
		{ &ept4, 0x1000, ~0ull },
		{ &ept5, (1ull << 57) - 0x1000, 0x1001 },
		{ &ia32e4, 1ull << 47, 0x1000 },
		{ &ia32e4, (1ull << 47) - 0x1000, 0x2000 },
		{ &ia32e4, (1ull << 47) - 0x1000,
		  0xffff800000001000ull - ((1ull << 47) - 0x1000) },
		{ &ia32e4, 0xfffffffffffff000ull, 0x2000 },
		{ &ia32e5, 1ull << 56, 0x1000 },
		{ &ia32e5, (1ull << 56) - 0x1000,
		  0xff00000000001000ull - ((1ull << 56) - 0x1000) },
	};
	struct fix *f = *state;
	struct tdp_iter it;

	build_main(f, &ept4);
	assert_int_equal(tdp_iter_start(NULL, &f->pgt, R0, 0x1000, 0),
			 -TDP_ERR_INVAL);
	it.valid = true;
	assert_int_equal(tdp_iter_start(&it, NULL, R0, 0x1000, 0),
			 -TDP_ERR_INVAL);
	assert_false(it.valid);
	it.valid = true;
	assert_int_equal(tdp_iter_start(&it, &f->pgt, R0, 0x1000, -1),
			 -TDP_ERR_INVAL);
	assert_false(it.valid);
	it.valid = true;
	assert_int_equal(tdp_iter_start(&it, &f->pgt, R0, 0x1000, 4),
			 -TDP_ERR_INVAL);
	assert_false(it.valid);
	it.valid = true;
	assert_int_equal(tdp_iter_start(&it, &f->pgt, R0, 0x1000, 1000),
			 -TDP_ERR_INVAL);
	assert_false(it.valid);
	assert_false(tdp_iter_restart(&it));

	for (size_t i = 0; i < sizeof(bad_ranges) / sizeof(bad_ranges[0]);
	     i++) {
		build_main(f, bad_ranges[i].fc);
		it.valid = true;
		if (tdp_iter_start(&it, &f->pgt, bad_ranges[i].addr,
				   bad_ranges[i].size, 0) != -TDP_ERR_RANGE) {
			print_error("%s range %zu not rejected\n",
				    bad_ranges[i].fc->name, i);
			fail();
		}
		assert_false(it.valid);
	}

	/* Size 0: an empty iteration, not an error. */
	build_main(f, &ia32e5);
	it.valid = true;
	assert_int_equal(tdp_iter_start(&it, &f->pgt, R0, 0, 0), 0);
	assert_false(it.valid);
	{
		struct pos got[4];

		assert_int_equal(iter_collect(f, R0, 0, got), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_preorder_matches_walk,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_matches_walk,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_min_level, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_explicit_steps,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_restart_redescends,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_restart_every_entry,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_unlinked_table,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_range_ends_mid_table,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_top_of_space, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, fix_setup,
						fix_teardown),
	};

	return cmocka_run_group_tests_name("iter", tests, NULL, NULL);
}

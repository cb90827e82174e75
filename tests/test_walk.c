/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * tdp_walk(): visit order, ranges, early stops, callbacks that rewrite the
 * entry they visit, argument checks, canonical addresses, and hostile
 * tables (bad pointers, reserved entries, self-loops and cycles).
 *
 * Every table is built by hand in a simulated pool, from raw EPT and
 * IA-32e entries, and every expected visit is written out below from the
 * Intel SDM layout: engine level L indexes with bits (20 + 9L):(12 + 9L)
 * of the address and maps 2^(12 + 9L) bytes per entry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtdp/tdp.h>

#include "hand_x86.h"

#define V_LEAF TDP_WALK_LEAF
#define V_PRE TDP_WALK_TABLE_PRE
#define V_POST TDP_WALK_TABLE_POST
#define V_ALL (V_LEAF | V_PRE | V_POST)

#define K_INV TDP_ENTRY_INVALID
#define K_TBL TDP_ENTRY_TABLE
#define K_LEAF TDP_ENTRY_LEAF
#define K_RSV TDP_ENTRY_RESERVED
#define K_BAD TDP_ENTRY_BAD_POINTER

/* --- recording visits ------------------------------------------------ */

struct rec {
	uint32_t visit;
	uint32_t kind;
	int level;
	uint64_t addr;
	uint64_t size;
	uint64_t entry_pa;
	uint64_t old;
};

#define MAX_RECS 4096

struct recorder {
	const struct fix *f;
	struct rec r[MAX_RECS];
	size_t n;     /* visits recorded (at most MAX_RECS) */
	size_t total; /* visits seen */
	bool inconsistent; /* a visit's pgt, entry or old did not match */
	bool outside;      /* a visited entry lies outside the pool */
	/* Return stop_ret from the stop_at-th visit (1-based; 0: never). */
	size_t stop_at;
	int stop_ret;
	/* At the first write_visit visit of write_pa, store write_val. */
	uint32_t write_visit;
	uint64_t write_pa;
	uint64_t write_val;
	unsigned int writes;
	/*
	 * At the LEAF visit of poke_at, store poke_val straight into the
	 * entry at poke_pa, as a concurrent writer would.
	 */
	uint64_t poke_at;
	uint64_t poke_pa;
	uint64_t poke_val;
};

static struct recorder *rec_new(const struct fix *f)
{
	struct recorder *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->f = f;
	return r;
}

static void rec_clear(struct recorder *r)
{
	const struct fix *f = r->f;

	memset(r, 0, sizeof(*r));
	r->f = f;
}

static int record_visit(const struct tdp_visit *v, void *arg)
{
	struct recorder *r = arg;
	const struct fix *f = r->f;
	uint64_t off = v->entry_pa - POOL_BASE;

	r->total++;
	if (v->entry_pa < POOL_BASE || off >= POOL_SIZE || (off & 7)) {
		r->outside = true;
	} else if (v->pgt != &f->pgt ||
		   v->entry != (void *)&f->mem[off / 8] ||
		   f->mem[off / 8] != v->old) {
		r->inconsistent = true;
	}
	if (r->n < MAX_RECS) {
		r->r[r->n++] = (struct rec){
			.visit = v->visit,
			.kind = v->kind,
			.level = v->level,
			.addr = v->addr,
			.size = v->size,
			.entry_pa = v->entry_pa,
			.old = v->old,
		};
	}
	if (r->write_visit && !r->writes && v->visit == r->write_visit &&
	    v->entry_pa == r->write_pa) {
		tdp_visit_write(v, r->write_val);
		r->writes++;
	}
	if (r->poke_pa && v->visit == V_LEAF && v->entry_pa == r->poke_at)
		f->mem[(r->poke_pa - POOL_BASE) / 8] = r->poke_val;
	if (r->stop_at && r->total == r->stop_at)
		return r->stop_ret;
	return 0;
}

/* --- expected sequences ------------------------------------------------ */

/*
 * One row of a hand-written expectation. @count > 1 stands for that many
 * neighbouring entries with the same value (addr advances by the level's
 * span, entry_pa by 8).
 */
struct exp {
	uint32_t visit;
	uint32_t kind;
	int level;
	uint64_t addr;
	uint64_t entry_pa;
	uint64_t old;
	unsigned int count;
};

/* Expand @e, keeping the visits whose type is in @flags. */
static size_t expand(const struct exp *e, size_t ne, uint32_t flags,
		     struct rec *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < ne; i++) {
		unsigned int cnt = e[i].count ? e[i].count : 1;

		if (!(e[i].visit & flags))
			continue;
		for (unsigned int j = 0; j < cnt; j++) {
			assert_true(n < cap);
			out[n++] = (struct rec){
				.visit = e[i].visit,
				.kind = e[i].kind,
				.level = e[i].level,
				.addr = e[i].addr + j * span(e[i].level),
				.size = span(e[i].level),
				.entry_pa = e[i].entry_pa + 8ull * j,
				.old = e[i].old,
			};
		}
	}
	return n;
}

static void print_rec(const char *what, size_t i, const struct rec *r)
{
	print_error("%s[%zu]: visit %u kind %u level %d addr %#llx "
		    "size %#llx entry_pa %#llx old %#llx\n",
		    what, i, r->visit, r->kind, r->level,
		    (unsigned long long)r->addr, (unsigned long long)r->size,
		    (unsigned long long)r->entry_pa,
		    (unsigned long long)r->old);
}

static bool rec_equal(const struct rec *a, const struct rec *b)
{
	return a->visit == b->visit && a->kind == b->kind &&
	       a->level == b->level && a->addr == b->addr &&
	       a->size == b->size && a->entry_pa == b->entry_pa &&
	       a->old == b->old;
}

static void check_seq(const char *ctx, const struct rec *got, size_t ngot,
		      const struct rec *want, size_t nwant)
{
	size_t n = ngot < nwant ? ngot : nwant;

	for (size_t i = 0; i < n; i++) {
		if (!rec_equal(&got[i], &want[i])) {
			print_error("%s: first difference at visit %zu\n",
				    ctx, i);
			print_rec("got ", i, &got[i]);
			print_rec("want", i, &want[i]);
			fail();
		}
	}
	if (ngot != nwant) {
		print_error("%s: %zu visits, expected %zu\n", ctx, ngot,
			    nwant);
		if (ngot > n)
			print_rec("extra", n, &got[n]);
		else
			print_rec("missing", n, &want[n]);
		fail();
	}
}

#define MAX_EXP 64

/* Every visit of walking [R0, R1) over the main tree with all flags. */
static size_t main_expect(const struct fmt_case *fc, struct exp *e)
{
	const struct exp rows[] = {
		{ V_PRE, K_TBL, 3, 0, PG(0), tbl(fc, 1), 1 },
		{ V_PRE, K_TBL, 2, A_PD, PG(1) + 510 * 8, tbl(fc, 2), 1 },
		{ V_PRE, K_TBL, 1, A_PT, PG(2) + 510 * 8, tbl(fc, 3), 1 },
		{ V_LEAF, K_LEAF, 0, A_PT + 508 * K4, PG(3) + 508 * 8,
		  leaf(fc, 0x5000), 1 },
		{ V_LEAF, K_INV, 0, A_PT + 509 * K4, PG(3) + 509 * 8, 0, 1 },
		{ V_LEAF, K_LEAF, 0, A_PT + 510 * K4, PG(3) + 510 * 8,
		  leaf(fc, 0x6000), 1 },
		{ V_LEAF, K_RSV, 0, A_PT + 511 * K4, PG(3) + 511 * 8,
		  rsv(fc, 0x7000), 1 },
		{ V_POST, K_TBL, 1, A_PT, PG(2) + 510 * 8, tbl(fc, 3), 1 },
		{ V_LEAF, K_LEAF, 1, A_PD + 511 * M2, PG(2) + 511 * 8,
		  big(fc, 0x200000), 1 },
		{ V_POST, K_TBL, 2, A_PD, PG(1) + 510 * 8, tbl(fc, 2), 1 },
		{ V_LEAF, K_LEAF, 2, 511 * G1, PG(1) + 511 * 8,
		  big(fc, 0x40000000), 1 },
		{ V_POST, K_TBL, 3, 0, PG(0), tbl(fc, 1), 1 },
		{ V_PRE, K_TBL, 3, T512, PG(0) + 8, tbl(fc, 4), 1 },
		{ V_LEAF, K_INV, 2, T512, PG(4), 0, 1 },
		{ V_PRE, K_TBL, 2, B_PD, PG(4) + 8, tbl(fc, 5), 1 },
		{ V_LEAF, K_LEAF, 1, B_PD, PG(5), big(fc, 0x400000), 1 },
		{ V_LEAF, K_INV, 1, B_PD + M2, PG(5) + 8, 0, 1 },
		{ V_PRE, K_TBL, 1, B_PT, PG(5) + 16, tbl(fc, 6), 1 },
		{ V_LEAF, K_LEAF, 0, B_PT, PG(6), leaf(fc, 0x8000), 1 },
		{ V_LEAF, K_INV, 0, B_PT + K4, PG(6) + 8, 0, 1 },
		{ V_POST, K_TBL, 1, B_PT, PG(5) + 16, tbl(fc, 6), 1 },
		{ V_POST, K_TBL, 2, B_PD, PG(4) + 8, tbl(fc, 5), 1 },
		{ V_POST, K_TBL, 3, T512, PG(0) + 8, tbl(fc, 4), 1 },
	};
	const struct exp pml5_pre = { V_PRE, K_TBL, 4, 0, PG(9), tbl(fc, 0),
				      1 };
	const struct exp pml5_post = { V_POST, K_TBL, 4, 0, PG(9),
				       tbl(fc, 0), 1 };
	size_t n = 0;

	if (fc->levels == 5)
		e[n++] = pml5_pre;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		e[n++] = rows[i];
	if (fc->levels == 5)
		e[n++] = pml5_post;
	return n;
}

/* --- tests -------------------------------------------------------------- */

/* Every combination of visit flags gives the hand-written order. */
static void test_order_all_flags(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	struct exp e[MAX_EXP];
	struct rec want[MAX_EXP];

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		size_t ne;

		build_main(f, fc);
		ne = main_expect(fc, e);
		for (uint32_t flags = 1; flags <= V_ALL; flags++) {
			char ctx[64];
			size_t nw = expand(e, ne, flags, want, MAX_EXP);

			snprintf(ctx, sizeof(ctx), "%s flags %u", fc->name,
				 flags);
			rec_clear(r);
			assert_int_equal(tdp_walk(&f->pgt, R0, R1 - R0, flags,
						  record_visit, r),
					 0);
			assert_false(r->inconsistent);
			assert_false(r->outside);
			check_seq(ctx, r->r, r->n, want, nw);
		}
		/* The hand count: 17 entries and 6 tables (+1 PML5 entry). */
		assert_int_equal(expand(e, ne, V_ALL, want, MAX_EXP),
				 fc->levels == 5 ? 25 : 23);
	}
	free(r);
}

/*
 * Sub-ranges: exactly the entries whose span meets the range are visited,
 * the first and last possibly reaching beyond it.
 */
static void test_partial_ranges(void **state)
{
	static const struct {
		uint64_t addr;
		uint64_t size;
		size_t visits; /* 4-level count by hand, all flags */
	} ranges[] = {
		/* Half of PT_A[508] and all of PT_A[509]. */
		{ A_PT + 508 * K4 + 0x800, 0x1800, 8 },
		/* The last byte of the 2 MiB leaf PD_A[511]. */
		{ 511 * G1 - 1, 1, 5 },
		/* Two bytes across the PML4[0] / PML4[1] boundary. */
		{ T512 - 1, 2, 6 },
		/* From inside PD_B[1] into PT_B[0] (under PD_B[2]). */
		{ B_PD + M2 + 5, M2, 8 },
		/* One byte inside PT_B[1]: the last entry of the range. */
		{ R1 - 1, 1, 7 },
		/* The whole range. */
		{ R0, R1 - R0, 23 },
	};
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	struct exp e[MAX_EXP];
	struct rec all[MAX_EXP], want[MAX_EXP];

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		size_t na;

		build_main(f, fc);
		na = expand(e, main_expect(fc, e), V_ALL, all, MAX_EXP);
		for (size_t k = 0; k < sizeof(ranges) / sizeof(ranges[0]);
		     k++) {
			uint64_t a = ranges[k].addr;
			uint64_t last = a + ranges[k].size - 1;
			size_t nw = 0;
			char ctx[64];

			/* Keep the visits whose entry meets [a, last]. */
			for (size_t j = 0; j < na; j++)
				if (all[j].addr <= last &&
				    all[j].addr + all[j].size - 1 >= a)
					want[nw++] = all[j];
			assert_int_equal(nw, ranges[k].visits +
					 (fc->levels == 5 ? 2 : 0));
			snprintf(ctx, sizeof(ctx), "%s range %zu", fc->name,
				 k);
			rec_clear(r);
			assert_int_equal(tdp_walk(&f->pgt, a, ranges[k].size,
						  V_ALL, record_visit, r),
					 0);
			check_seq(ctx, r->r, r->n, want, nw);
		}
	}
	free(r);
}

/* A non-zero callback return stops the walk at once and is returned. */
static void test_early_stop(void **state)
{
	static const int values[] = { 1, -1, 12345, -TDP_ERR_RANGE, INT_MIN,
				      INT_MAX };
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	struct exp e[MAX_EXP];
	struct rec want[MAX_EXP];

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		size_t nw;

		build_main(f, fc);
		nw = expand(e, main_expect(fc, e), V_ALL, want, MAX_EXP);
		for (size_t k = 1; k <= nw; k++) {
			int val = values[k % (sizeof(values) /
					      sizeof(values[0]))];
			char ctx[64];

			snprintf(ctx, sizeof(ctx), "%s stop at %zu", fc->name,
				 k);
			rec_clear(r);
			r->stop_at = k;
			r->stop_ret = val;
			assert_int_equal(tdp_walk(&f->pgt, R0, R1 - R0, V_ALL,
						  record_visit, r),
					 val);
			/* No visit after the one that stopped. */
			check_seq(ctx, r->r, r->n, want, k);
		}
	}
	free(r);
}

/*
 * A TABLE_PRE callback replaces PD_A[510] (a table) by a 2 MiB leaf: the
 * walker skips PT_A, gives the new leaf a LEAF visit and no TABLE_POST.
 */
static void test_pre_replaces_table(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	struct exp e[MAX_EXP], e2[MAX_EXP];
	struct rec want[MAX_EXP];

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		const uint64_t pd_pa = PG(2) + 510 * 8;
		const uint64_t newleaf = big(fc, 0x600000);
		const struct exp leafvisit = { V_LEAF, K_LEAF, 1, A_PT, pd_pa,
					       newleaf, 1 };
		const uint32_t flagsets[] = { V_ALL, V_PRE | V_POST, V_PRE };

		for (size_t fs = 0; fs < 3; fs++) {
			size_t ne, n2 = 0, nw;
			char ctx[64];

			build_main(f, fc);
			ne = main_expect(fc, e);
			/*
			 * Copy the main expectation; after the PRE visit of
			 * PD_A[510] comes the new leaf, and PT_A's visits
			 * and PD_A[510]'s POST visit disappear.
			 */
			for (size_t j = 0; j < ne; j++) {
				bool in_pt = e[j].level == 0 &&
					     e[j].entry_pa >= PG(3) &&
					     e[j].entry_pa < PG(4);
				bool pd_post = e[j].visit == V_POST &&
					       e[j].entry_pa == pd_pa;

				if (in_pt || pd_post)
					continue;
				e2[n2++] = e[j];
				if (e[j].visit == V_PRE &&
				    e[j].entry_pa == pd_pa)
					e2[n2++] = leafvisit;
			}
			nw = expand(e2, n2, flagsets[fs], want, MAX_EXP);
			rec_clear(r);
			r->write_visit = V_PRE;
			r->write_pa = pd_pa;
			r->write_val = newleaf;
			snprintf(ctx, sizeof(ctx), "%s flags %u", fc->name,
				 flagsets[fs]);
			assert_int_equal(tdp_walk(&f->pgt, R0, R1 - R0,
						  flagsets[fs], record_visit,
						  r),
					 0);
			assert_int_equal(r->writes, 1);
			assert_int_equal(get_e(f, 2, 510), newleaf);
			check_seq(ctx, r->r, r->n, want, nw);
		}
	}
	free(r);
}

/*
 * A LEAF callback installs a table into the invalid entry PD_B[1]: the
 * walker descends into it (page 7: one leaf, 511 invalid entries) and
 * then gives PD_B[1] a TABLE_POST visit with the new value.
 */
static void test_leaf_installs_table(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	struct exp e[MAX_EXP], e2[MAX_EXP];
	struct rec *want = calloc(2048, sizeof(*want));

	assert_non_null(want);
	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		const uint64_t slot = PG(5) + 8; /* PD_B[1] */
		const struct exp added[] = {
			{ V_LEAF, K_LEAF, 0, B_PD + M2, PG(7),
			  leaf(fc, 0xb000), 1 },
			{ V_LEAF, K_INV, 0, B_PD + M2 + K4, PG(7) + 8, 0,
			  511 },
			{ V_POST, K_TBL, 1, B_PD + M2, slot, tbl(fc, 7), 1 },
		};
		const uint32_t flagsets[] = { V_ALL, V_LEAF, V_LEAF | V_POST };

		for (size_t fs = 0; fs < 3; fs++) {
			size_t ne, n2 = 0, nw;
			char ctx[64];

			build_main(f, fc);
			set_e(f, 7, 0, leaf(fc, 0xb000));
			ne = main_expect(fc, e);
			for (size_t j = 0; j < ne; j++) {
				e2[n2++] = e[j];
				if (e[j].visit == V_LEAF &&
				    e[j].entry_pa == slot) {
					for (size_t k = 0; k < 3; k++)
						e2[n2++] = added[k];
				}
			}
			nw = expand(e2, n2, flagsets[fs], want, 2048);
			rec_clear(r);
			r->write_visit = V_LEAF;
			r->write_pa = slot;
			r->write_val = tbl(fc, 7);
			snprintf(ctx, sizeof(ctx), "%s flags %u", fc->name,
				 flagsets[fs]);
			assert_int_equal(tdp_walk(&f->pgt, R0, R1 - R0,
						  flagsets[fs], record_visit,
						  r),
					 0);
			assert_int_equal(r->writes, 1);
			assert_false(r->inconsistent);
			check_seq(ctx, r->r, r->n, want, nw);
		}
	}
	free(want);
	free(r);
}

/*
 * The TABLE_POST visit reports the entry as read after the subtree: here
 * PD_A[510] gains the ignored bit 11 while PT_A is walked.
 */
static void test_post_rereads(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	struct exp e[MAX_EXP];
	struct rec want[MAX_EXP];

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		const uint64_t pd_pa = PG(2) + 510 * 8;
		const uint64_t changed = tbl(fc, 3) | 1ull << 11;
		size_t ne, nw;

		build_main(f, fc);
		ne = main_expect(fc, e);
		for (size_t j = 0; j < ne; j++)
			if (e[j].visit == V_POST && e[j].entry_pa == pd_pa)
				e[j].old = changed;
		nw = expand(e, ne, V_ALL, want, MAX_EXP);
		rec_clear(r);
		r->poke_at = PG(3) + 509 * 8;
		r->poke_pa = pd_pa;
		r->poke_val = changed;
		assert_int_equal(tdp_walk(&f->pgt, R0, R1 - R0, V_ALL,
					  record_visit, r),
				 0);
		assert_false(r->inconsistent);
		check_seq(fc->name, r->r, r->n, want, nw);
	}
	free(r);
}

/* Bad arguments return the documented error and call nothing. */
static void test_bad_args(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	static const struct {
		const struct fmt_case *fc;
		uint64_t addr;
		uint64_t size;
	} bad_ranges[] = {
		/* EPT: beyond 48 bits, wholly or at the end. */
		{ &ept4, 1ull << 48, 0x1000 },
		{ &ept4, (1ull << 48) - 0x1000, 0x2000 },
		{ &ept4, 0, (1ull << 48) + 1 },
		{ &ept4, ~0ull - 0xfff, 0x1000 },
		/* addr + size wraps around 2^64. */
		{ &ept4, 0x1000, ~0ull },
		{ &ept4, ~0ull - 0xfff, 0x2000 },
		{ &ept5, 1ull << 57, 0x1000 },
		{ &ept5, (1ull << 57) - 0x1000, 0x1001 },
		/* IA-32e: non-canonical start. */
		{ &ia32e4, 1ull << 47, 0x1000 },
		{ &ia32e4, 0x0000800000001000ull, 0x1000 },
		{ &ia32e4, 0xfff0000000000000ull, 0x1000 },
		/* Non-canonical end. */
		{ &ia32e4, (1ull << 47) - 0x1000, 0x2000 },
		/* Both ends canonical, but the range crosses the hole. */
		{ &ia32e4, (1ull << 47) - 0x1000,
		  0xffff800000001000ull - ((1ull << 47) - 0x1000) },
		{ &ia32e4, 0, 0 - 0x1000ull },
		/* Canonical at both ends, but addr + size wraps. */
		{ &ia32e4, 0xfffffffffffff000ull, 0x2000 },
		{ &ia32e4, 0xffff800000000000ull, 1ull << 63 },
		{ &ia32e5, 1ull << 56, 0x1000 },
		{ &ia32e5, 0xff00000000000000ull - 0x1000, 0x1000 },
		{ &ia32e5, (1ull << 56) - 0x1000, 0x2000 },
		{ &ia32e5, (1ull << 56) - 0x1000,
		  0xff00000000001000ull - ((1ull << 56) - 0x1000) },
	};

	build_main(f, &ept4);
	assert_int_equal(tdp_walk(NULL, 0, 0x1000, V_LEAF, record_visit, r),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_walk(&f->pgt, 0, 0x1000, V_LEAF, NULL, r),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_walk(&f->pgt, R0, 0x1000, 1u << 3,
				  record_visit, r),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_walk(&f->pgt, R0, 0x1000, V_ALL | 1u << 31,
				  record_visit, r),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_walk(&f->pgt, R0, 0x1000, ~0u, record_visit, r),
			 -TDP_ERR_INVAL);
	assert_int_equal(r->total, 0);

	for (size_t i = 0; i < sizeof(bad_ranges) / sizeof(bad_ranges[0]);
	     i++) {
		build_main(f, bad_ranges[i].fc);
		rec_clear(r);
		if (tdp_walk(&f->pgt, bad_ranges[i].addr, bad_ranges[i].size,
			     V_ALL, record_visit, r) != -TDP_ERR_RANGE) {
			print_error("%s range %zu: addr %#llx size %#llx "
				    "not rejected\n",
				    bad_ranges[i].fc->name, i,
				    (unsigned long long)bad_ranges[i].addr,
				    (unsigned long long)bad_ranges[i].size);
			fail();
		}
		assert_int_equal(r->total, 0);
	}
	free(r);
}

/* Size 0 walks nothing, wherever it starts. */
static void test_size_zero(void **state)
{
	static const uint64_t addrs[] = { 0, R0, T512, 0x1000 };
	struct fix *f = *state;
	struct recorder *r = rec_new(f);

	for (size_t i = 0; i < N_FMTS; i++) {
		build_main(f, all_fmts[i]);
		for (size_t k = 0; k < sizeof(addrs) / sizeof(addrs[0]); k++) {
			rec_clear(r);
			assert_int_equal(tdp_walk(&f->pgt, addrs[k], 0, V_ALL,
						  record_visit, r),
					 0);
			assert_int_equal(r->total, 0);
		}
	}
	free(r);
}

/*
 * Upper-half IA-32e addresses are reported sign-extended. Pages: the
 * 4-level root is page 0; a PML5 (page 7) adds PML5[256] -> page 8 and
 * PML5[511] -> page 9 whose entry 0 resp. 511 continue as in 4-level.
 */
static void test_canonical_upper_half(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	const struct fmt_case *fmts[] = { &ia32e4, &ia32e5 };

	for (size_t i = 0; i < 2; i++) {
		const struct fmt_case *fc = fmts[i];
		bool five = fc->levels == 5;
		/* First address of the upper half and its PML4 slot. */
		uint64_t lo = five ? 0xff00000000000000ull :
				     0xffff800000000000ull;
		unsigned int lo_page = five ? 8 : 0;
		unsigned int lo_idx = five ? 0 : 256;
		unsigned int hi_page = five ? 9 : 0;
		struct exp lo_rows[] = {
			{ V_PRE, K_TBL, 3, lo, PG(lo_page) + lo_idx * 8,
			  tbl(fc, 1), 1 },
			{ V_PRE, K_TBL, 2, lo, PG(1), tbl(fc, 2), 1 },
			{ V_PRE, K_TBL, 1, lo, PG(2), tbl(fc, 3), 1 },
			{ V_LEAF, K_LEAF, 0, lo, PG(3), leaf(fc, 0x5000), 1 },
			{ V_LEAF, K_LEAF, 0, lo + 0x1000, PG(3) + 8,
			  leaf(fc, 0x6000), 1 },
			{ V_POST, K_TBL, 1, lo, PG(2), tbl(fc, 3), 1 },
			{ V_POST, K_TBL, 2, lo, PG(1), tbl(fc, 2), 1 },
			{ V_POST, K_TBL, 3, lo, PG(lo_page) + lo_idx * 8,
			  tbl(fc, 1), 1 },
		};
		struct exp hi_rows[] = {
			{ V_PRE, K_TBL, 3, 0xffffff8000000000ull,
			  PG(hi_page) + 511 * 8, tbl(fc, 4), 1 },
			{ V_PRE, K_TBL, 2, 0xffffffffc0000000ull,
			  PG(4) + 511 * 8, tbl(fc, 5), 1 },
			{ V_PRE, K_TBL, 1, 0xffffffffffe00000ull,
			  PG(5) + 511 * 8, tbl(fc, 6), 1 },
			{ V_LEAF, K_LEAF, 0, 0xfffffffffffff000ull,
			  PG(6) + 511 * 8, leaf(fc, 0x8000), 1 },
			{ V_POST, K_TBL, 1, 0xffffffffffe00000ull,
			  PG(5) + 511 * 8, tbl(fc, 6), 1 },
			{ V_POST, K_TBL, 2, 0xffffffffc0000000ull,
			  PG(4) + 511 * 8, tbl(fc, 5), 1 },
			{ V_POST, K_TBL, 3, 0xffffff8000000000ull,
			  PG(hi_page) + 511 * 8, tbl(fc, 4), 1 },
		};
		struct exp e[16];
		struct rec want[16];
		size_t n = 0, nw;

		fix_reset(f, fc);
		set_e(f, lo_page, lo_idx, tbl(fc, 1));
		set_e(f, 1, 0, tbl(fc, 2));
		set_e(f, 2, 0, tbl(fc, 3));
		set_e(f, 3, 0, leaf(fc, 0x5000));
		set_e(f, 3, 1, leaf(fc, 0x6000));
		set_e(f, 3, 2, leaf(fc, 0x7000));
		set_e(f, hi_page, 511, tbl(fc, 4));
		set_e(f, 4, 511, tbl(fc, 5));
		set_e(f, 5, 511, tbl(fc, 6));
		set_e(f, 6, 510, leaf(fc, 0x9000));
		set_e(f, 6, 511, leaf(fc, 0x8000));
		if (five) {
			set_e(f, 7, 256, tbl(fc, 8));
			set_e(f, 7, 511, tbl(fc, 9));
			fix_attach(f, 7);
		} else {
			fix_attach(f, 0);
		}

		/* The first two pages of the upper half. */
		if (five)
			e[n++] = (struct exp){ V_PRE, K_TBL, 4, lo,
					       PG(7) + 256 * 8, tbl(fc, 8),
					       1 };
		for (size_t j = 0; j < 8; j++)
			e[n++] = lo_rows[j];
		if (five)
			e[n++] = (struct exp){ V_POST, K_TBL, 4, lo,
					       PG(7) + 256 * 8, tbl(fc, 8),
					       1 };
		nw = expand(e, n, V_ALL, want, 16);
		rec_clear(r);
		assert_int_equal(tdp_walk(&f->pgt, lo, 0x2000, V_ALL,
					  record_visit, r),
				 0);
		check_seq(fc->name, r->r, r->n, want, nw);

		/* The very last page: addr + size is 2^64, not a wrap. */
		n = 0;
		if (five)
			e[n++] = (struct exp){ V_PRE, K_TBL, 4,
					       0xffff000000000000ull,
					       PG(7) + 511 * 8, tbl(fc, 9),
					       1 };
		for (size_t j = 0; j < 7; j++)
			e[n++] = hi_rows[j];
		if (five)
			e[n++] = (struct exp){ V_POST, K_TBL, 4,
					       0xffff000000000000ull,
					       PG(7) + 511 * 8, tbl(fc, 9),
					       1 };
		nw = expand(e, n, V_ALL, want, 16);
		rec_clear(r);
		assert_int_equal(tdp_walk(&f->pgt, 0xfffffffffffff000ull,
					  0x1000, V_ALL, record_visit, r),
				 0);
		check_seq(fc->name, r->r, r->n, want, nw);
	}
	free(r);
}

/* The last page of the 57-bit EPT space; addr + size = 2^57. */
static void test_ept5_top(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	const struct fmt_case *fc = &ept5;
	const struct exp e[] = {
		{ V_PRE, K_TBL, 4, 0x1ff000000000000ull, PG(0) + 511 * 8,
		  tbl(fc, 1), 1 },
		{ V_PRE, K_TBL, 3, 0x1ffff8000000000ull, PG(1) + 511 * 8,
		  tbl(fc, 2), 1 },
		{ V_PRE, K_TBL, 2, 0x1ffffffc0000000ull, PG(2) + 511 * 8,
		  tbl(fc, 3), 1 },
		{ V_PRE, K_TBL, 1, 0x1ffffffffe00000ull, PG(3) + 511 * 8,
		  tbl(fc, 4), 1 },
		{ V_LEAF, K_LEAF, 0, 0x1fffffffffff000ull, PG(4) + 511 * 8,
		  leaf(fc, 0x5000), 1 },
		{ V_POST, K_TBL, 1, 0x1ffffffffe00000ull, PG(3) + 511 * 8,
		  tbl(fc, 4), 1 },
		{ V_POST, K_TBL, 2, 0x1ffffffc0000000ull, PG(2) + 511 * 8,
		  tbl(fc, 3), 1 },
		{ V_POST, K_TBL, 3, 0x1ffff8000000000ull, PG(1) + 511 * 8,
		  tbl(fc, 2), 1 },
		{ V_POST, K_TBL, 4, 0x1ff000000000000ull, PG(0) + 511 * 8,
		  tbl(fc, 1), 1 },
	};
	struct rec want[16];
	size_t nw = expand(e, sizeof(e) / sizeof(e[0]), V_ALL, want, 16);

	fix_reset(f, fc);
	for (unsigned int p = 0; p < 4; p++)
		set_e(f, p, 511, tbl(fc, p + 1));
	set_e(f, 4, 510, leaf(fc, 0x6000));
	set_e(f, 4, 511, leaf(fc, 0x5000));
	fix_attach(f, 0);
	assert_int_equal(tdp_walk(&f->pgt, (1ull << 57) - 0x1000, 0x1000,
				  V_ALL, record_visit, r),
			 0);
	check_seq("ept5 top", r->r, r->n, want, nw);
	free(r);
}

/*
 * Untrusted table entries: pointers outside the pool are BAD_POINTER
 * (one LEAF visit, never descended), a table entry with reserved bits is
 * RESERVED. PDPT (page 1): [0] far outside the pool, [1] a valid empty
 * PD (page 2), [2] the same pointer with bit 51 (above pa_bits) set,
 * [3] the page just past the pool, [4] the page just below it.
 */
static void test_bad_pointer_and_reserved(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);

	for (size_t i = 0; i < N_FMTS; i++) {
		const struct fmt_case *fc = all_fmts[i];
		bool five = fc->levels == 5;
		const uint64_t far = 0x40000000ull | fc->table;
		const uint64_t past = PG(POOL_PAGES) | fc->table;
		const uint64_t below = (POOL_BASE - 0x1000) | fc->table;
		const uint64_t rsvd = tbl(fc, 2) | 1ull << 51;
		struct exp e[] = {
			{ V_PRE, K_TBL, 4, 0, PG(9), tbl(fc, 0), 1 },
			{ V_PRE, K_TBL, 3, 0, PG(0), tbl(fc, 1), 1 },
			{ V_LEAF, K_BAD, 2, 0, PG(1), far, 1 },
			{ V_PRE, K_TBL, 2, G1, PG(1) + 8, tbl(fc, 2), 1 },
			{ V_LEAF, K_INV, 1, G1, PG(2), 0, 512 },
			{ V_POST, K_TBL, 2, G1, PG(1) + 8, tbl(fc, 2), 1 },
			{ V_LEAF, K_RSV, 2, 2 * G1, PG(1) + 16, rsvd, 1 },
			{ V_LEAF, K_BAD, 2, 3 * G1, PG(1) + 24, past, 1 },
			{ V_LEAF, K_BAD, 2, 4 * G1, PG(1) + 32, below, 1 },
			{ V_POST, K_TBL, 3, 0, PG(0), tbl(fc, 1), 1 },
			{ V_POST, K_TBL, 4, 0, PG(9), tbl(fc, 0), 1 },
		};
		const size_t ne = sizeof(e) / sizeof(e[0]);
		struct rec *want = calloc(1024, sizeof(*want));
		size_t nw;

		assert_non_null(want);
		/* 4-level formats have no PML5 rows. */
		nw = five ? expand(e, ne, V_ALL, want, 1024) :
			    expand(e + 1, ne - 2, V_ALL, want, 1024);
		fix_reset(f, fc);
		set_e(f, 0, 0, tbl(fc, 1));
		set_e(f, 1, 0, far);
		set_e(f, 1, 1, tbl(fc, 2));
		set_e(f, 1, 2, rsvd);
		set_e(f, 1, 3, past);
		set_e(f, 1, 4, below);
		set_e(f, 9, 0, tbl(fc, 0));
		fix_attach(f, five ? 9 : 0);
		rec_clear(r);
		assert_int_equal(tdp_walk(&f->pgt, 0, 5 * G1, V_ALL,
					  record_visit, r),
				 0);
		assert_false(r->outside);
		check_seq(fc->name, r->r, r->n, want, nw);
		free(want);
	}
	free(r);
}

/*
 * PML4[0] of the root points at the root itself, so the root also serves
 * as PDPT, PD and PT. Walking [0, 4 MiB) reads PML4[0] as a table at
 * levels 3, 2 and 1, then the root's 512 entries as PTEs (entry 0 is a
 * present 4 KiB leaf there, entry 2 is a leaf), then PML4[1] as the PDE of
 * [2 MiB, 4 MiB): 519 visits, none outside the root page.
 */
static void test_self_loop(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	const struct fmt_case *fmts[] = { &ept4, &ia32e4 };
	struct rec *want = calloc(1024, sizeof(*want));

	assert_non_null(want);
	for (size_t i = 0; i < 2; i++) {
		const struct fmt_case *fc = fmts[i];
		const uint64_t self = tbl(fc, 0);
		const struct exp e[] = {
			{ V_PRE, K_TBL, 3, 0, PG(0), self, 1 },
			{ V_PRE, K_TBL, 2, 0, PG(0), self, 1 },
			{ V_PRE, K_TBL, 1, 0, PG(0), self, 1 },
			{ V_LEAF, K_LEAF, 0, 0, PG(0), self, 1 },
			{ V_LEAF, K_INV, 0, K4, PG(0) + 8, 0, 1 },
			{ V_LEAF, K_LEAF, 0, 2 * K4, PG(0) + 16,
			  leaf(fc, 0xc000), 1 },
			{ V_LEAF, K_INV, 0, 3 * K4, PG(0) + 24, 0, 509 },
			{ V_POST, K_TBL, 1, 0, PG(0), self, 1 },
			{ V_LEAF, K_INV, 1, M2, PG(0) + 8, 0, 1 },
			{ V_POST, K_TBL, 2, 0, PG(0), self, 1 },
			{ V_POST, K_TBL, 3, 0, PG(0), self, 1 },
		};
		size_t nw = expand(e, sizeof(e) / sizeof(e[0]), V_ALL, want,
				   1024);

		assert_int_equal(nw, 519);
		fix_reset(f, fc);
		set_e(f, 0, 0, self);
		set_e(f, 0, 2, leaf(fc, 0xc000));
		fix_attach(f, 0);
		rec_clear(r);
		assert_int_equal(tdp_walk(&f->pgt, 0, 2 * M2, V_ALL,
					  record_visit, r),
				 0);
		assert_int_equal(r->total, 519);
		assert_false(r->outside);
		check_seq(fc->name, r->r, r->n, want, nw);
	}
	free(want);
	free(r);
}

/*
 * Two tables pointing at each other: A (page 0, root) has A[0] -> B, and
 * B (page 1) has B[0] -> A and B[1] -> A. Walking [0, 2 GiB): A[0] is the
 * PML4E, B[0] and B[1] the PDPTEs, A as the PD of each (A[0] -> B, 511
 * invalid entries), and B as the PT under each A[0] (B[0] and B[1] are
 * present 4 KiB leaves there, 510 invalid). 2056 visits in all.
 */
static void test_cycle(void **state)
{
	struct fix *f = *state;
	struct recorder *r = rec_new(f);
	const struct fmt_case *fmts[] = { &ept4, &ia32e4 };
	struct rec *want = calloc(4096, sizeof(*want));

	assert_non_null(want);
	for (size_t i = 0; i < 2; i++) {
		const struct fmt_case *fc = fmts[i];
		const uint64_t to_a = tbl(fc, 0), to_b = tbl(fc, 1);
		const struct exp e[] = {
			{ V_PRE, K_TBL, 3, 0, PG(0), to_b, 1 },
			{ V_PRE, K_TBL, 2, 0, PG(1), to_a, 1 },
			{ V_PRE, K_TBL, 1, 0, PG(0), to_b, 1 },
			{ V_LEAF, K_LEAF, 0, 0, PG(1), to_a, 2 },
			{ V_LEAF, K_INV, 0, 2 * K4, PG(1) + 16, 0, 510 },
			{ V_POST, K_TBL, 1, 0, PG(0), to_b, 1 },
			{ V_LEAF, K_INV, 1, M2, PG(0) + 8, 0, 511 },
			{ V_POST, K_TBL, 2, 0, PG(1), to_a, 1 },
			{ V_PRE, K_TBL, 2, G1, PG(1) + 8, to_a, 1 },
			{ V_PRE, K_TBL, 1, G1, PG(0), to_b, 1 },
			{ V_LEAF, K_LEAF, 0, G1, PG(1), to_a, 2 },
			{ V_LEAF, K_INV, 0, G1 + 2 * K4, PG(1) + 16, 0, 510 },
			{ V_POST, K_TBL, 1, G1, PG(0), to_b, 1 },
			{ V_LEAF, K_INV, 1, G1 + M2, PG(0) + 8, 0, 511 },
			{ V_POST, K_TBL, 2, G1, PG(1) + 8, to_a, 1 },
			{ V_POST, K_TBL, 3, 0, PG(0), to_b, 1 },
		};
		size_t nw = expand(e, sizeof(e) / sizeof(e[0]), V_ALL, want,
				   4096);

		assert_int_equal(nw, 2056);
		fix_reset(f, fc);
		set_e(f, 0, 0, to_b);
		set_e(f, 1, 0, to_a);
		set_e(f, 1, 1, to_a);
		fix_attach(f, 0);
		rec_clear(r);
		assert_int_equal(tdp_walk(&f->pgt, 0, 2 * G1, V_ALL,
					  record_visit, r),
				 0);
		assert_int_equal(r->total, 2056);
		assert_false(r->outside);
		check_seq(fc->name, r->r, r->n, want, nw);
	}
	free(want);
	free(r);
}

struct counts {
	size_t visits[8];    /* by visit flag */
	size_t entries[6];   /* LEAF + PRE visits by level */
	size_t kinds[5];     /* LEAF visits by entry kind */
	uint64_t first_addr; /* of the first visit */
	uint64_t last_addr;  /* of the last LEAF visit */
	bool any;
};

static int count_visit(const struct tdp_visit *v, void *arg)
{
	struct counts *c = arg;

	if (v->visit >= 8 || v->level < 0 || v->level >= 6 || v->kind >= 5)
		return -1000;
	c->visits[v->visit]++;
	if (v->visit != V_POST)
		c->entries[v->level]++;
	if (v->visit == V_LEAF) {
		c->kinds[v->kind]++;
		c->last_addr = v->addr;
	}
	if (!c->any)
		c->first_addr = v->addr;
	c->any = true;
	return 0;
}

/*
 * The whole input space of the main tree: the 7 tables reached hold 3584
 * entries, 6 of which are tables (PRE and POST visits), so 3578 LEAF
 * visits: 9 leaves, 1 reserved, 3568 invalid entries.
 */
static void test_whole_space(void **state)
{
	struct fix *f = *state;
	struct counts c;

	build_main(f, &ept4);
	memset(&c, 0, sizeof(c));
	assert_int_equal(tdp_walk(&f->pgt, 0, 1ull << 48, V_ALL, count_visit,
				  &c),
			 0);
	assert_int_equal(c.visits[V_LEAF], 3578);
	assert_int_equal(c.visits[V_PRE], 6);
	assert_int_equal(c.visits[V_POST], 6);
	assert_int_equal(c.entries[3], 512);
	assert_int_equal(c.entries[2], 1024);
	assert_int_equal(c.entries[1], 1024);
	assert_int_equal(c.entries[0], 1024);
	assert_int_equal(c.kinds[K_LEAF], 9);
	assert_int_equal(c.kinds[K_RSV], 1);
	assert_int_equal(c.kinds[K_INV], 3568);
	assert_int_equal(c.last_addr, 511 * T512);

	/* IA-32e lower half: only PML4[0..255] are reached. */
	build_main(f, &ia32e4);
	memset(&c, 0, sizeof(c));
	assert_int_equal(tdp_walk(&f->pgt, 0, 1ull << 47, V_ALL, count_visit,
				  &c),
			 0);
	assert_int_equal(c.visits[V_LEAF], 3578 - 256);
	assert_int_equal(c.visits[V_PRE], 6);
	assert_int_equal(c.visits[V_POST], 6);
	assert_int_equal(c.entries[3], 256);
	assert_int_equal(c.kinds[K_INV], 3568 - 256);
	assert_int_equal(c.last_addr, 255 * T512);

	/* The upper half: 256 invalid PML4 entries, canonical addresses. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(tdp_walk(&f->pgt, 0xffff800000000000ull, 1ull << 47,
				  V_ALL, count_visit, &c),
			 0);
	assert_int_equal(c.visits[V_LEAF], 256);
	assert_int_equal(c.kinds[K_INV], 256);
	assert_int_equal(c.visits[V_PRE] + c.visits[V_POST], 0);
	assert_int_equal(c.first_addr, 0xffff800000000000ull);
	assert_int_equal(c.last_addr, 0xffffff8000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_all_flags,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_partial_ranges,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_early_stop, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_pre_replaces_table,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_leaf_installs_table,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_post_rereads, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_size_zero, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_canonical_upper_half,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_ept5_top, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_bad_pointer_and_reserved,
						fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_self_loop, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_cycle, fix_setup,
						fix_teardown),
		cmocka_unit_test_setup_teardown(test_whole_space, fix_setup,
						fix_teardown),
	};

	return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}

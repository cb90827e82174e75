/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Shared mode (TDP_OP_SHARED) under stress: four writer threads map,
 * unmap, protect and age one ept4 table at once while two reader threads
 * look addresses up without any lock. Then two races set up step by step
 * on arm64 tables: a second writer in the window between a break and its
 * make, and a second writer inside a table that a shared map covers with
 * a block.
 *
 * The simulated pool is not thread-safe, so the test reaches it through
 * its own tdp_mm_ops that take a mutex around alloc_table and free_table
 * (phys_to_virt is thread-safe as it is). free_table_deferred parks pages
 * on a list that is freed only after every thread has been joined: the
 * simplest RCU grace period there is.
 *
 * Address layout (all under one PML4 entry, so the threads share tables):
 * - own[i]: [4 GiB + i GiB, +1 GiB), writer i only;
 * - slice[i]: [16 GiB + i * 8 MiB, +8 MiB), writer i only, but all four
 *   slices share one page directory, so empty-table removal in one slice
 *   races with installs in the others;
 * - shared: [32 GiB, +64 MiB), every writer maps (with TDP_OP_REPLACE)
 *   and unmaps there, always with the same output address (input + DS)
 *   and attributes; at the end every writer maps all of it, so its final
 *   content is known.
 * Each writer keeps a per-page model of its own memory; after the threads
 * are joined the table must equal the models exactly, hold no empty table
 * and leak no page, and a final unmap must leave only the root.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libtdp/tdp.h>

#define K4 0x1000ull
#define M2 0x200000ull
#define M8 0x800000ull
#define G1 0x40000000ull

#define N_WRITERS 4
#define N_READERS 2
#define MAX_ITERS 5000
#define MAX_SECONDS 3.0

#define OWN_BASE (4 * G1)
#define OWN_SIZE G1
#define SLICE_BASE (16 * G1)
#define SLICE_SIZE M8
#define SHARED_BASE (32 * G1)
#define SHARED_SIZE (64ull << 20)

/* Output address = input + one of these. */
#define D0 (64 * G1)
#define D1 (128 * G1)
#define DS (256 * G1)

#define OWN_PAGES (OWN_SIZE / K4)
#define SLICE_PAGES (SLICE_SIZE / K4)

#define POOL_BASE 0x10000000ull
#define POOL_SIZE (512ull << 20)

#define RWX TDP_PERM_RWX
#define RX (TDP_PERM_R | TDP_PERM_X | TDP_PERM_XU)

/* --- the locked pool backend --------------------------------------------- */

struct locked_mm {
	pthread_mutex_t lock;
	struct tdp_mm inner;
	uint64_t *parked; /* pages freed with free_table_deferred */
	size_t n_parked, cap_parked;
	uint64_t parked_size;
	bool park_failed;
};

static int lk_alloc(void *ctx, uint64_t size, uint64_t align, uint64_t *pa)
{
	struct locked_mm *l = ctx;
	int ret;

	pthread_mutex_lock(&l->lock);
	ret = l->inner.ops->alloc_table(l->inner.ctx, size, align, pa);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static void lk_free(void *ctx, uint64_t pa, uint64_t size)
{
	struct locked_mm *l = ctx;

	pthread_mutex_lock(&l->lock);
	l->inner.ops->free_table(l->inner.ctx, pa, size);
	pthread_mutex_unlock(&l->lock);
}

static void *lk_p2v(void *ctx, uint64_t pa, uint64_t size)
{
	const struct locked_mm *l = ctx;

	return l->inner.ops->phys_to_virt(l->inner.ctx, pa, size);
}

/* Readers may still be inside the page: keep it until all have left. */
static void lk_free_deferred(void *ctx, uint64_t pa, uint64_t size)
{
	struct locked_mm *l = ctx;

	pthread_mutex_lock(&l->lock);
	if (l->n_parked == l->cap_parked) {
		size_t cap = l->cap_parked ? 2 * l->cap_parked : 1024;
		uint64_t *p = realloc(l->parked, cap * sizeof(*p));

		if (!p) {
			l->park_failed = true;
			pthread_mutex_unlock(&l->lock);
			return;
		}
		l->parked = p;
		l->cap_parked = cap;
	}
	l->parked[l->n_parked++] = pa;
	l->parked_size = size;
	pthread_mutex_unlock(&l->lock);
}

static const struct tdp_mm_ops locked_ops = {
	.alloc_table = lk_alloc,
	.free_table = lk_free,
	.phys_to_virt = lk_p2v,
	.free_table_deferred = lk_free_deferred,
};

/* Called with every thread joined: no reader can be in a parked page. */
static void lk_release_parked(struct locked_mm *l)
{
	size_t i;

	for (i = 0; i < l->n_parked; i++)
		l->inner.ops->free_table(l->inner.ctx, l->parked[i],
					 l->parked_size);
	l->n_parked = 0;
}

/* --- shared state -------------------------------------------------------- */

struct world {
	struct tdp_pool *pool;
	struct locked_mm lmm;
	struct tdp_pgt pgt;
	pthread_barrier_t barrier;       /* everyone: start together */
	pthread_barrier_t final_barrier; /* writers: the final maps */
	struct timespec t0;
	uint64_t seed;
	int stop_readers; /* atomic */
	pthread_mutex_t err_lock;
	unsigned int n_errors;
	char first_error[512];
};

static void report(struct world *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(struct world *w, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&w->err_lock);
	if (!w->n_errors++) {
		va_start(ap, fmt);
		vsnprintf(w->first_error, sizeof(w->first_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&w->err_lock);
}

static double elapsed(const struct world *w)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - w->t0.tv_sec) +
	       (double)(t.tv_nsec - w->t0.tv_nsec) / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return rnd(s) % n;
}

/* --- writers ------------------------------------------------------------- */

/* Per-page model values of a writer's own memory. */
enum { PG_NONE, PG_D0_RWX, PG_D0_RX, PG_D1_RWX, PG_D1_RX };

struct writer {
	struct world *w;
	int id;
	uint64_t rng;
	uint8_t *own;   /* OWN_PAGES entries */
	uint8_t *slice; /* SLICE_PAGES entries */
	unsigned int iters;
	unsigned int n_exist;
};

static uint64_t own_base(int id)
{
	return OWN_BASE + (uint64_t)id * OWN_SIZE;
}

static uint64_t slice_base(int id)
{
	return SLICE_BASE + (uint64_t)id * SLICE_SIZE;
}

/* A random page-aligned range inside [base, base + size). */
static void pick_range(uint64_t *rng, uint64_t base, uint64_t size,
		       uint64_t *addr, uint64_t *len)
{
	static const uint64_t grains[] = { K4, K4, M2, M2, G1 };
	uint64_t g = grains[below(rng, 5)], a, l;

	while (g > size)
		g >>= 9;
	a = below(rng, size / g) * g;
	if (below(rng, 3) == 0)
		a += below(rng, 16) * K4;
	g = grains[below(rng, 5)];
	while (g > size)
		g >>= 9;
	l = (1 + below(rng, 4)) * g;
	if (below(rng, 3) == 0)
		l += (1 + below(rng, 16)) * K4;
	if (a >= size)
		a = size - K4;
	if (a + l > size)
		l = size - a;
	*addr = base + a;
	*len = l;
}

static uint32_t max_level_flag(uint64_t *rng)
{
	uint64_t r = below(rng, 4);

	return r < 3 ? TDP_OP_MAX_LEVEL(r) : 0;
}

/* Operate on [addr, addr + len) of the writer's own memory @model. */
static void own_op(struct writer *wr, uint8_t *model, uint64_t base,
		   uint64_t addr, uint64_t len)
{
	struct world *w = wr->w;
	uint64_t first = (addr - base) / K4, n = len / K4, i;
	uint64_t r = below(&wr->rng, 100);
	struct tdp_attrs a;
	int ret, exp = 0;

	memset(&a, 0, sizeof(a));
	a.memtype = TDP_MT_WB;
	if (r < 45) {
		bool d1 = below(&wr->rng, 2);
		bool rx = below(&wr->rng, 2);
		bool replace = below(&wr->rng, 3) != 0;
		uint8_t v = d1 ? (rx ? PG_D1_RX : PG_D1_RWX)
			       : (rx ? PG_D0_RX : PG_D0_RWX);
		uint32_t cap = max_level_flag(&wr->rng);

		/* 4 KiB pages only: keep the leaf count moderate. */
		if (cap == TDP_OP_MAX_LEVEL(0) && n > 1024)
			n = 1024;
		len = n * K4;
		for (i = 0; !replace && i < n; i++)
			if (model[first + i] != PG_NONE)
				exp = -TDP_ERR_EXIST;
		a.perms = rx ? RX : RWX;
		ret = tdp_map(&w->pgt, addr, len, addr + (d1 ? D1 : D0), &a,
			      TDP_OP_SHARED | cap |
				      (replace ? TDP_OP_REPLACE : 0),
			      NULL);
		if (!ret)
			memset(model + first, v, n);
		else
			wr->n_exist++;
	} else if (r < 70) {
		ret = tdp_unmap(&w->pgt, addr, len, TDP_OP_SHARED, NULL);
		if (!ret)
			memset(model + first, PG_NONE, n);
	} else if (r < 90) {
		bool wp = below(&wr->rng, 2);

		ret = tdp_protect(&w->pgt, addr, len, wp ? 0 : TDP_PERM_W,
				  wp ? TDP_PERM_W : 0, TDP_OP_SHARED, NULL);
		for (i = 0; !ret && i < n; i++) {
			uint8_t *p = &model[first + i];

			if (*p == PG_D0_RWX || *p == PG_D0_RX)
				*p = wp ? PG_D0_RX : PG_D0_RWX;
			else if (*p != PG_NONE)
				*p = wp ? PG_D1_RX : PG_D1_RWX;
		}
	} else {
		/* Aging changes no translation. */
		ret = tdp_test_clear_young(&w->pgt, addr, len, TDP_OP_SHARED,
					   NULL);
	}
	if (ret != exp)
		report(w, "writer %d: op %llu on [0x%llx, +0x%llx) returned "
			  "%d, expected %d",
		       wr->id, (unsigned long long)r,
		       (unsigned long long)addr, (unsigned long long)len, ret,
		       exp);
}

static void shared_op(struct writer *wr)
{
	struct world *w = wr->w;
	struct tdp_attrs a;
	uint64_t addr, len;
	int ret;

	pick_range(&wr->rng, SHARED_BASE, SHARED_SIZE, &addr, &len);
	if (below(&wr->rng, 3)) {
		uint32_t cap = max_level_flag(&wr->rng);

		memset(&a, 0, sizeof(a));
		a.perms = RWX;
		a.memtype = TDP_MT_WB;
		if (cap == TDP_OP_MAX_LEVEL(0) && len > 4 * M2)
			len = 4 * M2;
		ret = tdp_map(&w->pgt, addr, len, addr + DS, &a,
			      TDP_OP_SHARED | TDP_OP_REPLACE | cap, NULL);
	} else {
		ret = tdp_unmap(&w->pgt, addr, len, TDP_OP_SHARED, NULL);
	}
	if (ret)
		report(w, "writer %d: shared op on [0x%llx, +0x%llx): %d",
		       wr->id, (unsigned long long)addr,
		       (unsigned long long)len, ret);
}

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	struct world *w = wr->w;
	struct tdp_attrs a;
	uint64_t addr, len;
	int ret;

	pthread_barrier_wait(&w->barrier);
	for (wr->iters = 0; wr->iters < MAX_ITERS && elapsed(w) < MAX_SECONDS;
	     wr->iters++) {
		uint64_t r = below(&wr->rng, 100);

		if (r < 45) {
			pick_range(&wr->rng, own_base(wr->id), OWN_SIZE, &addr,
				   &len);
			own_op(wr, wr->own, own_base(wr->id), addr, len);
		} else if (r < 75) {
			pick_range(&wr->rng, slice_base(wr->id), SLICE_SIZE,
				   &addr, &len);
			own_op(wr, wr->slice, slice_base(wr->id), addr, len);
		} else {
			shared_op(wr);
		}
	}
	/* Everyone maps all of the shared region, with different caps. */
	pthread_barrier_wait(&w->final_barrier);
	memset(&a, 0, sizeof(a));
	a.perms = RWX;
	a.memtype = TDP_MT_WB;
	ret = tdp_map(&w->pgt, SHARED_BASE, SHARED_SIZE, SHARED_BASE + DS, &a,
		      TDP_OP_SHARED | TDP_OP_REPLACE |
			      (wr->id < 3 ? TDP_OP_MAX_LEVEL(wr->id) : 0),
		      NULL);
	if (ret)
		report(w, "writer %d: final shared map: %d", wr->id, ret);
	return NULL;
}

/* --- readers ------------------------------------------------------------- */

struct reader {
	struct world *w;
	uint64_t rng;
	uint64_t lookups, mapped;
};

static void check_lookup(struct reader *rd, uint64_t x, bool shared)
{
	struct world *w = rd->w;
	struct tdp_lookup r;
	uint64_t delta;
	int ret = tdp_lookup(&w->pgt, x, &r);

	rd->lookups++;
	if (ret == -TDP_ERR_FAULT && r.fault == TDP_FAULT_NOT_PRESENT)
		return;
	if (ret) {
		report(w, "reader: lookup 0x%llx: %d fault %u level %d",
		       (unsigned long long)x, ret, r.fault, r.fault_level);
		return;
	}
	rd->mapped++;
	delta = r.out_addr - x;
	if (r.page_size != K4 && r.page_size != M2 && r.page_size != G1)
		report(w, "reader: 0x%llx: page size 0x%llx",
		       (unsigned long long)x,
		       (unsigned long long)r.page_size);
	if (r.attrs.memtype != TDP_MT_WB || r.attrs.flags)
		report(w, "reader: 0x%llx: memtype %u flags 0x%x",
		       (unsigned long long)x, r.attrs.memtype, r.attrs.flags);
	if (shared) {
		if (delta != DS || r.attrs.perms != RWX)
			report(w, "reader: shared 0x%llx -> 0x%llx perms 0x%x",
			       (unsigned long long)x,
			       (unsigned long long)r.out_addr,
			       r.attrs.perms);
		return;
	}
	if ((delta != D0 && delta != D1) ||
	    (r.attrs.perms != RWX && r.attrs.perms != RX))
		report(w, "reader: 0x%llx -> 0x%llx perms 0x%x",
		       (unsigned long long)x, (unsigned long long)r.out_addr,
		       r.attrs.perms);
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct world *w = rd->w;

	pthread_barrier_wait(&w->barrier);
	while (!__atomic_load_n(&w->stop_readers, __ATOMIC_ACQUIRE)) {
		uint64_t r = below(&rd->rng, 3), id = below(&rd->rng, 4);
		uint64_t off;

		if (r == 0) {
			off = below(&rd->rng, OWN_SIZE);
			check_lookup(rd, own_base((int)id) + off, false);
		} else if (r == 1) {
			off = below(&rd->rng, SLICE_SIZE);
			check_lookup(rd, slice_base((int)id) + off, false);
		} else {
			off = below(&rd->rng, SHARED_SIZE);
			check_lookup(rd, SHARED_BASE + off, true);
		}
	}
	return NULL;
}

/* --- final checks -------------------------------------------------------- */

static uint64_t model_delta(uint8_t v)
{
	return v == PG_D0_RWX || v == PG_D0_RX ? D0 : D1;
}

static uint32_t model_perms(uint8_t v)
{
	return v == PG_D0_RWX || v == PG_D1_RWX ? RWX : RX;
}

/* Every page of a writer's memory translates as its model says. */
static void check_own(struct world *w, const uint8_t *model, uint64_t base,
		      uint64_t pages, int id)
{
	struct tdp_lookup r;
	uint64_t i;

	for (i = 0; i < pages; i++) {
		uint64_t x = base + i * K4;
		int ret = tdp_lookup(&w->pgt, x, &r);

		if (model[i] == PG_NONE) {
			if (ret != -TDP_ERR_FAULT ||
			    r.fault != TDP_FAULT_NOT_PRESENT)
				fail_msg("writer %d: 0x%llx should be unmapped"
					 " (%d, fault %u)",
					 id, (unsigned long long)x, ret,
					 r.fault);
			continue;
		}
		if (ret || r.out_addr != x + model_delta(model[i]) ||
		    r.attrs.perms != model_perms(model[i]))
			fail_msg("writer %d: 0x%llx -> %d 0x%llx perms 0x%x, "
				 "expected 0x%llx perms 0x%x",
				 id, (unsigned long long)x, ret,
				 (unsigned long long)r.out_addr, r.attrs.perms,
				 (unsigned long long)(x +
						      model_delta(model[i])),
				 model_perms(model[i]));
	}
}

/* Exclusive unmaps of every run of pages a writer's model says are unmapped. */
static void unmap_unmapped(struct world *w, const uint8_t *model, uint64_t base,
			   uint64_t pages)
{
	uint64_t i, run;

	for (i = 0; i < pages; i += run ? run : 1) {
		for (run = 0; i + run < pages && model[i + run] == PG_NONE;
		     run++)
			;
		if (run)
			assert_int_equal(tdp_unmap(&w->pgt, base + i * K4,
						   run * K4, 0, NULL),
					 0);
	}
}

struct scan {
	uint64_t tables;
	uint64_t valid[TDP_MAX_LEVELS];
	uint64_t empty;
	uint64_t bad;
};

static int scan_fn(const struct tdp_visit *v, void *arg)
{
	struct scan *s = arg;

	switch (v->visit) {
	case TDP_WALK_TABLE_PRE:
		s->tables++;
		s->valid[v->level]++;
		s->valid[v->level - 1] = 0;
		break;
	case TDP_WALK_TABLE_POST:
		if (!s->valid[v->level - 1]) {
			fprintf(stderr, "empty table under 0x%llx level %d\n",
				(unsigned long long)v->addr, v->level);
			s->empty++;
		}
		break;
	default:
		if (v->kind == TDP_ENTRY_INVALID)
			break;
		s->valid[v->level]++;
		if (v->kind != TDP_ENTRY_LEAF)
			s->bad++;
		break;
	}
	return 0;
}

static uint64_t check_structure(struct world *w)
{
	struct tdp_pool_stats st;
	struct scan s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(tdp_walk(&w->pgt, 0, 1ull << 48,
				  TDP_WALK_LEAF | TDP_WALK_TABLE_PRE |
					  TDP_WALK_TABLE_POST,
				  scan_fn, &s),
			 0);
	assert_int_equal(tdp_pool_get_stats(w->pool, &st), 0);
	fprintf(stderr, "concurrency: %llu tables reachable, %llu in use\n",
		(unsigned long long)s.tables,
		(unsigned long long)st.tables_in_use);
	assert_int_equal(s.bad, 0);
	assert_int_equal(st.tables_in_use, 1 + s.tables);
	return s.empty;
}

/*
 * Static, so that a failed assertion (which leaves the test at once)
 * leaks nothing the leak checker would report.
 */
static struct world world;
static uint8_t own_models[N_WRITERS][OWN_PAGES];
static uint8_t slice_models[N_WRITERS][SLICE_PAGES];

static void test_shared_stress(void **state)
{
	struct world *w = &world;
	struct writer wr[N_WRITERS];
	struct reader rd[N_READERS];
	pthread_t tw[N_WRITERS], tr[N_READERS];
	struct tdp_format_config cfg = {
		.format = TDP_FMT_EPT4,
		.features = TDP_FEAT_EPT_AD,
		.pa_bits = 46,
	};
	struct tdp_mm mm;
	struct tdp_pool_stats st;
	const char *env = getenv("TDP_SEED");
	uint64_t lookups = 0, mapped = 0, iters = 0, i;
	int k;

	(void)state;
	w->seed = env && *env ? strtoull(env, NULL, 0) : 0x5eedc0ffee11ull;
	fprintf(stderr, "concurrency: seed 0x%llx (TDP_SEED)\n",
		(unsigned long long)w->seed);
	assert_int_equal(tdp_pool_create(POOL_SIZE, POOL_BASE, &w->pool), 0);
	assert_int_equal(pthread_mutex_init(&w->lmm.lock, NULL), 0);
	assert_int_equal(pthread_mutex_init(&w->err_lock, NULL), 0);
	w->lmm.inner = tdp_pool_mm(w->pool);
	mm.ops = &locked_ops;
	mm.ctx = &w->lmm;
	assert_int_equal(tdp_pgt_init(&w->pgt, &cfg, &mm), 0);
	assert_int_equal(pthread_barrier_init(&w->barrier, NULL,
					      N_WRITERS + N_READERS + 1),
			 0);
	assert_int_equal(pthread_barrier_init(&w->final_barrier, NULL,
					      N_WRITERS),
			 0);

	for (k = 0; k < N_WRITERS; k++) {
		wr[k] = (struct writer){ .w = w, .id = k };
		wr[k].rng = w->seed * 0x100 + (uint64_t)k;
		wr[k].own = own_models[k];
		wr[k].slice = slice_models[k];
		assert_int_equal(pthread_create(&tw[k], NULL, writer_main,
						&wr[k]),
				 0);
	}
	for (k = 0; k < N_READERS; k++) {
		rd[k] = (struct reader){ .w = w };
		rd[k].rng = w->seed * 0x100 + 0x80 + (uint64_t)k;
		assert_int_equal(pthread_create(&tr[k], NULL, reader_main,
						&rd[k]),
				 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &w->t0);
	pthread_barrier_wait(&w->barrier);
	for (k = 0; k < N_WRITERS; k++)
		assert_int_equal(pthread_join(tw[k], NULL), 0);
	__atomic_store_n(&w->stop_readers, 1, __ATOMIC_RELEASE);
	for (k = 0; k < N_READERS; k++) {
		assert_int_equal(pthread_join(tr[k], NULL), 0);
		lookups += rd[k].lookups;
		mapped += rd[k].mapped;
	}
	for (k = 0; k < N_WRITERS; k++)
		iters += wr[k].iters;
	fprintf(stderr,
		"concurrency: %llu writer ops in %.1f s, %llu lookups "
		"(%llu mapped), %zu pages parked\n",
		(unsigned long long)iters, elapsed(w),
		(unsigned long long)lookups, (unsigned long long)mapped,
		w->lmm.n_parked);
	if (w->n_errors)
		fail_msg("%u errors; first: %s", w->n_errors, w->first_error);
	assert_false(w->lmm.park_failed);
	assert_true(lookups > 0);

	/* The final content: each writer's model, and the shared region. */
	for (k = 0; k < N_WRITERS; k++) {
		check_own(w, wr[k].own, own_base(k), OWN_PAGES, k);
		check_own(w, wr[k].slice, slice_base(k), SLICE_PAGES, k);
	}
	for (i = 0; i < SHARED_SIZE / K4; i++) {
		uint64_t x = SHARED_BASE + i * K4, out;
		uint32_t fault;

		assert_int_equal(tdp_translate(&w->pgt, x,
					       TDP_ACCESS_READ |
						       TDP_ACCESS_WRITE,
					       &out, &fault),
				 0);
		assert_int_equal(out, x + DS);
	}

	/* No reader is left: the parked pages can go. Nothing leaked. */
	lk_release_parked(&w->lmm);
	/*
	 * Shared-mode unmaps leave the tables they emptied without covering
	 * them whole (see map.h); exclusive unmaps of the unmapped pages free
	 * them, and then no table may be empty.
	 */
	if (check_structure(w)) {
		for (k = 0; k < N_WRITERS; k++) {
			unmap_unmapped(w, wr[k].own, own_base(k), OWN_PAGES);
			unmap_unmapped(w, wr[k].slice, slice_base(k),
				       SLICE_PAGES);
		}
		assert_int_equal(check_structure(w), 0);
	}
	assert_int_equal(tdp_unmap(&w->pgt, 0, 64 * G1, 0, NULL), 0);
	assert_int_equal(tdp_pool_get_stats(w->pool, &st), 0);
	assert_int_equal(st.tables_in_use, 1);

	tdp_pgt_destroy(&w->pgt);
	tdp_pool_destroy(w->pool);
	pthread_barrier_destroy(&w->barrier);
	pthread_barrier_destroy(&w->final_barrier);
	pthread_mutex_destroy(&w->lmm.lock);
	pthread_mutex_destroy(&w->err_lock);
	free(w->lmm.parked);
	w->lmm.parked = NULL;
}


/* --- break-before-make in shared mode (arm64) ----------------------------- */

/*
 * Thread A replaces a page's output address in shared mode, which on arm64
 * needs break-before-make. A's TLB flush, between the break and the make,
 * starts thread B mapping the same page (without TDP_OP_REPLACE) and
 * gives it 50 ms. B must wait for A's make and then find A's page: had it
 * taken the entry in the window, A's make would overwrite B's page while
 * B reported success.
 */
#define BBM_PAGE (2 * G1)
#define BBM_PA_OLD 0x80000000ull
#define BBM_PA_NEW 0x80001000ull
#define BBM_PA_B 0x80002000ull
#define BBM_POOL_SIZE (1ull << 20)

/* The arm64 table of both races: 4 KiB granule, 40-bit IPA. */
static const struct tdp_format_config race_cfg = {
	.format = TDP_FMT_S2_4K, .ia_bits = 40,
};
static const struct tdp_attrs race_attrs = {
	.perms = TDP_PERM_R | TDP_PERM_W, .memtype = TDP_MT_WB,
};

struct bbm_race {
	struct tdp_pgt pgt;
	int flushes;           /* atomic: TLB invalidations seen */
	uint64_t window_entry; /* the entry between break and make */
	uint32_t window_fault; /* a lookup's fault then */
	pthread_t b;
	bool b_started;
	int b_done;            /* atomic: B's tdp_map() returned */
	bool b_done_in_window;
	int b_ret;
};

static void *bbm_b_main(void *arg)
{
	struct bbm_race *r = arg;

	r->b_ret = tdp_map(&r->pgt, BBM_PAGE, K4, BBM_PA_B, &race_attrs,
			   TDP_OP_SHARED, NULL);
	__atomic_store_n(&r->b_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void bbm_flush_addr(void *ctx, uint64_t addr, int level)
{
	struct bbm_race *r = ctx;
	struct timespec wait = { 0, 50 * 1000 * 1000 };
	struct tdp_lookup res;

	(void)level;
	if (__atomic_fetch_add(&r->flushes, 1, __ATOMIC_RELAXED) ||
	    addr != BBM_PAGE)
		return;
	tdp_lookup_raw(&r->pgt, BBM_PAGE, &res);
	r->window_entry = res.entry[0];
	r->window_fault = res.fault;
	r->b_started = !pthread_create(&r->b, NULL, bbm_b_main, r);
	nanosleep(&wait, NULL);
	r->b_done_in_window = __atomic_load_n(&r->b_done, __ATOMIC_ACQUIRE);
}

static void bbm_flush_range(void *ctx, uint64_t addr, uint64_t size)
{
	struct bbm_race *r = ctx;

	(void)addr;
	(void)size;
	__atomic_fetch_add(&r->flushes, 1, __ATOMIC_RELAXED);
}

static const struct tdp_tlb_ops bbm_tlb_ops = {
	.flush_addr = bbm_flush_addr,
	.flush_range = bbm_flush_range,
};

static void test_shared_bbm_lock(void **state)
{
	static struct bbm_race r;
	struct tdp_pool *pool;
	struct tdp_lookup res;
	struct tdp_mm mm;

	(void)state;
	r = (struct bbm_race){ 0 };
	assert_int_equal(tdp_pool_create(BBM_POOL_SIZE, POOL_BASE, &pool), 0);
	mm = tdp_pool_mm(pool);
	assert_int_equal(tdp_pgt_init(&r.pgt, &race_cfg, &mm), 0);
	tdp_pgt_set_tlb(&r.pgt, &bbm_tlb_ops, &r);
	assert_int_equal(tdp_map(&r.pgt, BBM_PAGE, K4, BBM_PA_OLD, &race_attrs,
				 TDP_OP_SHARED, NULL),
			 0);
	assert_int_equal(r.flushes, 0);

	/* Thread A (this one): a new output address needs the break. */
	assert_int_equal(tdp_map(&r.pgt, BBM_PAGE, K4, BBM_PA_NEW, &race_attrs,
				 TDP_OP_SHARED | TDP_OP_REPLACE, NULL),
			 0);
	assert_true(r.b_started);
	assert_int_equal(pthread_join(r.b, NULL), 0);

	/* In the window: an invalid descriptor with only bit 10 set. */
	assert_int_equal(r.window_entry, 1ull << 10);
	assert_int_equal(r.window_fault, TDP_FAULT_NOT_PRESENT);
	/* B waited for the make, then found A's page. */
	assert_false(r.b_done_in_window);
	assert_int_equal(r.b_ret, -TDP_ERR_EXIST);
	assert_int_equal(tdp_lookup_raw(&r.pgt, BBM_PAGE, &res), 0);
	assert_int_equal(res.out_addr, BBM_PA_NEW);

	tdp_pgt_destroy(&r.pgt);
	tdp_pool_destroy(pool);
}

/* --- a shared map over a table another writer is filling ------------------ */

/*
 * Writer B maps a 4 KiB page in shared mode where it needs a new page
 * table. The backend's allocation, which B makes after it has walked into
 * the existing (empty) level-2 table, holds B until writer A (this thread)
 * has mapped the whole 1 GiB around it, blocks allowed, without
 * TDP_OP_REPLACE. Had A unlinked the table to put a 1 GiB block in its
 * place, B would link its page table into the unlinked one: both writers
 * would report success for B's page, which no order of the two allows,
 * and B's table would leak. A must map inside the table instead; then B
 * meets A's 2 MiB block where it wanted its table and reports
 * -TDP_ERR_EXIST.
 */
#define KT_GIB (2 * G1)              /* the 1 GiB both writers map in */
#define KT_FIRST KT_GIB              /* mapped and unmapped: makes tables */
#define KT_B (KT_GIB + 5 * M2)       /* B's page: no page table yet */
#define KT_PA_A 0x100000000ull       /* A's output: 1 GiB aligned */
#define KT_PA_B 0x7654000ull

struct keep_tables {
	struct locked_mm lmm;  /* first: the backend's context */
	pthread_mutex_t gate;
	pthread_cond_t cond;
	struct tdp_pgt pgt;
	pthread_t b;
	int armed;             /* hold B's next allocation */
	bool b_waiting;
	bool a_done;
	int b_ret;
};

/* The locked pool's allocation, which holds B once when armed. */
static int kt_alloc(void *ctx, uint64_t size, uint64_t align, uint64_t *pa)
{
	struct keep_tables *k = ctx;

	pthread_mutex_lock(&k->gate);
	if (k->armed && pthread_equal(pthread_self(), k->b)) {
		k->armed = 0;
		k->b_waiting = true;
		pthread_cond_broadcast(&k->cond);
		while (!k->a_done)
			pthread_cond_wait(&k->cond, &k->gate);
	}
	pthread_mutex_unlock(&k->gate);
	return lk_alloc(&k->lmm, size, align, pa);
}

static const struct tdp_mm_ops kt_ops = {
	.alloc_table = kt_alloc,
	.free_table = lk_free,
	.phys_to_virt = lk_p2v,
};

static void *kt_b_main(void *arg)
{
	struct keep_tables *k = arg;

	k->b_ret = tdp_map(&k->pgt, KT_B, K4, KT_PA_B, &race_attrs,
			   TDP_OP_SHARED, NULL);
	return NULL;
}

static void test_shared_map_keeps_tables(void **state)
{
	static struct keep_tables k;
	struct tdp_pool *pool;
	struct tdp_pool_stats st;
	struct tdp_lookup res;
	struct tdp_mm mm = { .ops = &kt_ops, .ctx = &k };

	(void)state;
	k = (struct keep_tables){ 0 };
	assert_int_equal(pthread_mutex_init(&k.lmm.lock, NULL), 0);
	assert_int_equal(pthread_mutex_init(&k.gate, NULL), 0);
	assert_int_equal(pthread_cond_init(&k.cond, NULL), 0);
	assert_int_equal(tdp_pool_create(BBM_POOL_SIZE, POOL_BASE, &pool), 0);
	k.lmm.inner = tdp_pool_mm(pool);
	assert_int_equal(tdp_pgt_init(&k.pgt, &race_cfg, &mm), 0);
	assert_int_equal(tdp_map(&k.pgt, KT_FIRST, K4, KT_PA_B - K4,
				 &race_attrs, TDP_OP_SHARED, NULL),
			 0);
	/* A shared unmap keeps the tables it covers only in part. */
	assert_int_equal(tdp_unmap(&k.pgt, KT_FIRST, K4, TDP_OP_SHARED, NULL),
			 0);

	pthread_mutex_lock(&k.gate);
	k.armed = 1;
	assert_int_equal(pthread_create(&k.b, NULL, kt_b_main, &k), 0);
	while (!k.b_waiting)
		pthread_cond_wait(&k.cond, &k.gate);
	pthread_mutex_unlock(&k.gate);

	/* A, while B waits inside the level-2 table for its page. */
	assert_int_equal(tdp_map(&k.pgt, KT_GIB, G1, KT_PA_A, &race_attrs,
				 TDP_OP_SHARED, NULL),
			 0);
	pthread_mutex_lock(&k.gate);
	k.a_done = true;
	pthread_cond_broadcast(&k.cond);
	pthread_mutex_unlock(&k.gate);
	assert_int_equal(pthread_join(k.b, NULL), 0);

	/* B found A's 2 MiB block; every page of the GiB is A's. */
	assert_int_equal(k.b_ret, -TDP_ERR_EXIST);
	assert_int_equal(tdp_lookup_raw(&k.pgt, KT_B, &res), 0);
	assert_int_equal(res.out_addr, KT_PA_A + (KT_B - KT_GIB));
	assert_int_equal(res.page_size, M2);
	assert_int_equal(tdp_lookup_raw(&k.pgt, KT_FIRST, &res), 0);
	assert_int_equal(res.out_addr, KT_PA_A);
	assert_int_equal(tdp_lookup_raw(&k.pgt, KT_GIB + G1 - K4, &res), 0);
	assert_int_equal(res.out_addr, KT_PA_A + G1 - K4);

	/* And no table was lost on the way. */
	tdp_pgt_destroy(&k.pgt);
	assert_int_equal(tdp_pool_get_stats(pool, &st), 0);
	assert_int_equal(st.tables_in_use, 0);
	tdp_pool_destroy(pool);
	pthread_cond_destroy(&k.cond);
	pthread_mutex_destroy(&k.gate);
	pthread_mutex_destroy(&k.lmm.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_stress),
		cmocka_unit_test(test_shared_bbm_lock),
		cmocka_unit_test(test_shared_map_keeps_tables),
	};

	return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}

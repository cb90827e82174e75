/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The real-memory backend (host.h): configuration checks, allocations
 * through its tdp_mm_ops, the identity and caller-supplied translations,
 * bounds of phys_to_virt, arenas, max_bytes, reserve, fault injection and
 * statistics. Expectations come from host.h and mem.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libtdp/tdp.h>
#include <libtdp/host.h>

#include "bytes.h"

#define PAGE 4096ull
#define KIB(n) ((uint64_t)(n) << 10)
#define MIB(n) ((uint64_t)(n) << 20)

/*
 * The backend under test lives in *state so teardown frees it even when
 * an assertion fails halfway.
 */
static int hm_setup(void **state)
{
	*state = NULL;
	return 0;
}

static int hm_teardown(void **state)
{
	tdp_host_mm_destroy(*state);
	return 0;
}

static struct tdp_mm hm_new(void **state,
			    const struct tdp_host_mm_config *cfg)
{
	struct tdp_host_mm *hm = NULL;
	struct tdp_mm mm;

	assert_int_equal(tdp_host_mm_create(cfg, &hm), 0);
	assert_non_null(hm);
	*state = hm;
	mm = tdp_host_mm_get(hm);
	assert_non_null(mm.ops);
	return mm;
}

static int mm_alloc(const struct tdp_mm *mm, uint64_t size, uint64_t align,
		    uint64_t *pa)
{
	return mm->ops->alloc_table(mm->ctx, size, align, pa);
}

static void mm_free(const struct tdp_mm *mm, uint64_t pa, uint64_t size)
{
	mm->ops->free_table(mm->ctx, pa, size);
}

static uint8_t *mm_p2v(const struct tdp_mm *mm, uint64_t pa, uint64_t size)
{
	return mm->ops->phys_to_virt(mm->ctx, pa, size);
}

static struct tdp_pool_stats hm_stats(void **state)
{
	struct tdp_pool_stats st;

	memset(&st, 0x5a, sizeof(st));
	assert_int_equal(tdp_host_mm_get_stats(*state, &st), 0);
	return st;
}

/* What every table user relies on: aligned, translatable, zero. */
static uint8_t *check_block(const struct tdp_mm *mm, uint64_t pa,
			    uint64_t size, uint64_t align)
{
	uint8_t *va;

	if (pa % align)
		fail_msg("pa %#" PRIx64 " is not aligned to %#" PRIx64, pa,
			 align);
	va = mm_p2v(mm, pa, size);
	assert_non_null(va);
	assert_zeroed(va, size, pa);
	return va;
}

static void test_create_defaults(void **state)
{
	struct tdp_host_mm_config cfg;
	struct tdp_host_mm *hm = NULL;
	struct tdp_pool_stats st;
	struct tdp_mm mm = hm_new(state, NULL);

	assert_non_null(mm.ops->alloc_table);
	assert_non_null(mm.ops->free_table);
	assert_non_null(mm.ops->phys_to_virt);
	st = hm_stats(state);
	assert_int_equal(st.bytes_in_use, 0);
	assert_int_equal(st.bytes_high_water, 0);
	assert_int_equal(st.tables_in_use, 0);
	assert_int_equal(st.allocs, 0);
	assert_int_equal(st.frees, 0);
	assert_int_equal(st.failed_allocs, 0);

	assert_null(tdp_host_mm_get(NULL).ops);
	assert_int_equal(tdp_host_mm_get_stats(NULL, &st), -TDP_ERR_INVAL);
	assert_int_equal(tdp_host_mm_get_stats(*state, NULL), -TDP_ERR_INVAL);
	assert_int_equal(tdp_host_mm_create(NULL, NULL), -TDP_ERR_INVAL);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(tdp_host_mm_create(&cfg, NULL), -TDP_ERR_INVAL);

	/* All-zero config is the defaults, like NULL. */
	assert_int_equal(tdp_host_mm_create(&cfg, &hm), 0);
	assert_non_null(hm);
	tdp_host_mm_destroy(hm);
	tdp_host_mm_destroy(NULL);
}

/* Memory comes one arena at a time, 2 MiB by default. */
static void test_default_arena(void **state)
{
	struct tdp_mm mm = hm_new(state, NULL);
	struct tdp_pool_stats st;
	uint64_t pa;

	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
	st = hm_stats(state);
	assert_int_equal(st.bytes_total, MIB(2));
	assert_int_equal(st.bytes_in_use, PAGE);
	assert_int_equal(st.tables_in_use, 1);
	assert_int_equal(st.allocs, 1);
}

static uint64_t xlate_v2p(void *ctx, const void *va);
static void *xlate_p2v(void *ctx, uint64_t pa);

static void test_create_bad_config(void **state)
{
	static const uint64_t bad_arena[] = {
		1, 3, PAGE, KIB(512), MIB(1) - PAGE, MIB(1) + PAGE, MIB(3),
		MIB(1) - 1, UINT64_MAX,
	};
	static const uint64_t good_arena[] = { 0, MIB(1), MIB(4) };
	static char sentinel;
	struct tdp_host_mm *const untouched =
		(struct tdp_host_mm *)(void *)&sentinel;
	struct tdp_host_mm_config cfg;
	struct tdp_host_mm *hm;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_arena) / sizeof(bad_arena[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.arena_bytes = bad_arena[i];
		hm = untouched;
		if (tdp_host_mm_create(&cfg, &hm) != -TDP_ERR_INVAL)
			fail_msg("arena_bytes %#" PRIx64 " was not refused",
				 bad_arena[i]);
		assert_ptr_equal(hm, untouched);
	}

	/* The translation comes in pairs. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.virt_to_phys = xlate_v2p;
	hm = untouched;
	assert_int_equal(tdp_host_mm_create(&cfg, &hm), -TDP_ERR_INVAL);
	assert_ptr_equal(hm, untouched);
	memset(&cfg, 0, sizeof(cfg));
	cfg.phys_to_virt = xlate_p2v;
	assert_int_equal(tdp_host_mm_create(&cfg, &hm), -TDP_ERR_INVAL);
	assert_ptr_equal(hm, untouched);

	for (i = 0; i < sizeof(good_arena) / sizeof(good_arena[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.arena_bytes = good_arena[i];
		hm = NULL;
		assert_int_equal(tdp_host_mm_create(&cfg, &hm), 0);
		assert_non_null(hm);
		tdp_host_mm_destroy(hm);
	}
}

static const struct {
	uint64_t size, align;
} size_reqs[] = {
	{ MIB(1), MIB(1) },	/* an arm64 concatenated root */
	{ PAGE, PAGE },
	{ KIB(16), KIB(16) },
	{ KIB(64), KIB(64) },
	{ PAGE, KIB(64) },
	{ PAGE, KIB(16) },
	{ KIB(64), PAGE },
	{ PAGE, PAGE },
	{ MIB(1), MIB(1) },
};

#define NR_SIZE_REQS (sizeof(size_reqs) / sizeof(size_reqs[0]))

static void assert_disjoint(const uint64_t *pa, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (pa[i] < pa[j] + size_reqs[j].size &&
			    pa[j] < pa[i] + size_reqs[i].size)
				fail_msg("blocks %zu and %zu overlap", i, j);
		}
	}
}

/* By default a table's physical address is its host virtual address. */
static void test_alloc_identity(void **state)
{
	struct tdp_mm mm = hm_new(state, NULL);
	uint64_t pa[NR_SIZE_REQS] = { 0 }, sum = 0;
	struct tdp_pool_stats st;
	size_t i;

	for (i = 0; i < NR_SIZE_REQS; i++) {
		uint8_t *va;

		if (mm_alloc(&mm, size_reqs[i].size, size_reqs[i].align,
			     &pa[i]))
			fail_msg("request %zu failed", i);
		va = check_block(&mm, pa[i], size_reqs[i].size,
				 size_reqs[i].align);
		assert_ptr_equal(va, (void *)(uintptr_t)pa[i]);
		memset(va, (int)(i + 1), (size_t)size_reqs[i].size);
		sum += size_reqs[i].size;
	}
	assert_disjoint(pa, NR_SIZE_REQS);
	/* Read back through the physical address used as a pointer. */
	for (i = 0; i < NR_SIZE_REQS; i++)
		assert_filled((const uint8_t *)(uintptr_t)pa[i],
			      size_reqs[i].size, (uint8_t)(i + 1));

	st = hm_stats(state);
	assert_int_equal(st.bytes_in_use, sum);
	assert_int_equal(st.bytes_high_water, sum);
	assert_int_equal(st.tables_in_use, NR_SIZE_REQS);
	assert_int_equal(st.allocs, NR_SIZE_REQS);
	assert_true(st.bytes_total >= sum);
	for (i = 0; i < NR_SIZE_REQS; i++)
		mm_free(&mm, pa[i], size_reqs[i].size);
	st = hm_stats(state);
	assert_int_equal(st.bytes_in_use, 0);
	assert_int_equal(st.bytes_high_water, sum);
	assert_int_equal(st.tables_in_use, 0);
	assert_int_equal(st.frees, NR_SIZE_REQS);
	assert_int_equal(st.failed_allocs, 0);
}

/*
 * One arena and no room for another, so freed pages must be reused; the
 * test dirties them first, so a backend that zeroes only fresh arenas
 * shows.
 */
static void test_alloc_zeroes_reused_memory(void **state)
{
	struct tdp_host_mm_config cfg = {
		.arena_bytes = MIB(1),
		.max_bytes = MIB(1),
	};
	struct tdp_mm mm = hm_new(state, &cfg);
	uint64_t pages[256], blocks[16], pa;
	int i;

	for (i = 0; i < 256; i++) {
		assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pages[i]), 0);
		memset(check_block(&mm, pages[i], PAGE, PAGE), 0xaa,
		       (size_t)PAGE);
	}
	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), -TDP_ERR_NOMEM);
	for (i = 0; i < 256; i++)
		mm_free(&mm, pages[i], PAGE);

	for (i = 0; i < 16; i++) {
		assert_int_equal(mm_alloc(&mm, KIB(64), KIB(64), &blocks[i]),
				 0);
		memset(check_block(&mm, blocks[i], KIB(64), KIB(64)), 0x55,
		       (size_t)KIB(64));
	}
	for (i = 0; i < 16; i++)
		mm_free(&mm, blocks[i], KIB(64));

	/* The whole arena as one 1 MiB root, over dirty memory. */
	assert_int_equal(mm_alloc(&mm, MIB(1), MIB(1), &pa), 0);
	check_block(&mm, pa, MIB(1), MIB(1));
	assert_int_equal(hm_stats(state).bytes_total, MIB(1));
}

static void test_phys_to_virt_rejects_foreign(void **state)
{
	struct tdp_mm mm = hm_new(state, NULL);
	uint64_t local = 0, pa;
	void *heap = malloc(PAGE);

	assert_non_null(heap);
	/* An arena exists, so there is something to confuse it with. */
	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
	assert_non_null(mm_p2v(&mm, pa, PAGE));

	assert_null(mm_p2v(&mm, (uint64_t)(uintptr_t)&local, sizeof(local)));
	assert_null(mm_p2v(&mm, (uint64_t)(uintptr_t)heap, PAGE));
	assert_null(mm_p2v(&mm, 0, 1));
	assert_null(mm_p2v(&mm, 0, PAGE));
	assert_null(mm_p2v(&mm, UINT64_MAX, 1));
	assert_null(mm_p2v(&mm, UINT64_MAX & ~(PAGE - 1), PAGE));
	free(heap);
}

/*
 * The edges of an arena. With max_bytes = arena_bytes there is exactly
 * one; allocating all of it page by page shows where it lies.
 */
static void test_phys_to_virt_arena_bounds(void **state)
{
	struct tdp_host_mm_config cfg = {
		.arena_bytes = MIB(1),
		.max_bytes = MIB(1),
	};
	struct tdp_mm mm = hm_new(state, &cfg);
	uint64_t lo = UINT64_MAX, hi = 0, pa;
	int i;

	for (i = 0; i < 256; i++) {
		assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
		if (pa < lo)
			lo = pa;
		if (pa + PAGE > hi)
			hi = pa + PAGE;
	}
	assert_int_equal(hi - lo, MIB(1));

	assert_ptr_equal(mm_p2v(&mm, lo, MIB(1)), (void *)(uintptr_t)lo);
	assert_ptr_equal(mm_p2v(&mm, lo, 1), (void *)(uintptr_t)lo);
	assert_ptr_equal(mm_p2v(&mm, hi - 1, 1), (void *)(uintptr_t)(hi - 1));
	assert_ptr_equal(mm_p2v(&mm, hi - PAGE, PAGE),
			 (void *)(uintptr_t)(hi - PAGE));
	assert_null(mm_p2v(&mm, lo - 1, 1));
	assert_null(mm_p2v(&mm, lo - 1, 2));
	assert_null(mm_p2v(&mm, lo, MIB(1) + 1));
	assert_null(mm_p2v(&mm, hi - 1, 2));
	assert_null(mm_p2v(&mm, hi - PAGE, PAGE + 1));
	assert_null(mm_p2v(&mm, hi, 1));
	/* pa + size wraps round to inside the arena. */
	assert_null(mm_p2v(&mm, lo + PAGE, UINT64_MAX));
	assert_null(mm_p2v(&mm, hi - 1, 0 - (hi - 1)));
}

/*
 * A hypervisor whose memory sits at another physical address: here
 * pa = va + 16 TiB. The translation functions check that the backend
 * hands them the context it was configured with.
 */
#define XLATE_OFFSET 0x100000000000ull
#define XLATE_MAGIC 0x7d9b0c11u

struct xlate {
	uint32_t magic;
	unsigned int v2p_calls;
	unsigned int p2v_calls;
	unsigned int bad_ctx;
};

static uint64_t xlate_v2p(void *ctx, const void *va)
{
	struct xlate *x = ctx;

	if (!x || x->magic != XLATE_MAGIC)
		return 0;
	x->v2p_calls++;
	return (uint64_t)(uintptr_t)va + XLATE_OFFSET;
}

static void *xlate_p2v(void *ctx, uint64_t pa)
{
	struct xlate *x = ctx;

	if (!x || x->magic != XLATE_MAGIC)
		return NULL;
	x->p2v_calls++;
	return (void *)(uintptr_t)(pa - XLATE_OFFSET);
}

static void test_caller_translation(void **state)
{
	struct xlate x = { .magic = XLATE_MAGIC };
	struct tdp_host_mm_config cfg = {
		.virt_to_phys = xlate_v2p,
		.phys_to_virt = xlate_p2v,
		.xlate_ctx = &x,
	};
	struct tdp_mm mm = hm_new(state, &cfg);
	uint64_t pa[NR_SIZE_REQS] = { 0 };
	struct tdp_pool_stats st;
	size_t i;

	for (i = 0; i < NR_SIZE_REQS; i++) {
		uint8_t *va;

		if (mm_alloc(&mm, size_reqs[i].size, size_reqs[i].align,
			     &pa[i]))
			fail_msg("request %zu failed", i);
		va = check_block(&mm, pa[i], size_reqs[i].size,
				 size_reqs[i].align);
		/* The backend's pointer is our inverse of its pa. */
		assert_ptr_equal(va, (void *)(uintptr_t)(pa[i] - XLATE_OFFSET));
		memset(va, (int)(i + 1), (size_t)size_reqs[i].size);

		/*
		 * The host address and an address beyond are not physical
		 * addresses of this backend: bounds are checked on the
		 * physical side.
		 */
		assert_null(mm_p2v(&mm, pa[i] - XLATE_OFFSET, 1));
		assert_null(mm_p2v(&mm, pa[i] + XLATE_OFFSET, 1));
	}
	assert_disjoint(pa, NR_SIZE_REQS);
	for (i = 0; i < NR_SIZE_REQS; i++)
		assert_filled(mm_p2v(&mm, pa[i], size_reqs[i].size),
			      size_reqs[i].size, (uint8_t)(i + 1));
	assert_true(x.v2p_calls > 0);
	assert_true(x.p2v_calls > 0);

	for (i = 0; i < NR_SIZE_REQS; i++)
		mm_free(&mm, pa[i], size_reqs[i].size);
	st = hm_stats(state);
	assert_int_equal(st.bytes_in_use, 0);
	assert_int_equal(st.frees, NR_SIZE_REQS);
	assert_int_equal(st.tables_in_use, 0);
}

/* More than one arena holds: new arenas appear, old tables stay valid. */
static void test_grows_arenas(void **state)
{
	enum { NR = 40 };	/* 2.5 arenas of 64 KiB blocks */
	struct tdp_host_mm_config cfg = { .arena_bytes = MIB(1) };
	struct tdp_mm mm = hm_new(state, &cfg);
	uint64_t pa[NR], first_total = 0;
	struct tdp_pool_stats st;
	int i, j;

	for (i = 0; i < NR; i++) {
		assert_int_equal(mm_alloc(&mm, KIB(64), KIB(64), &pa[i]), 0);
		memset(check_block(&mm, pa[i], KIB(64), KIB(64)), i + 1,
		       (size_t)KIB(64));
		if (i == 0)
			first_total = hm_stats(state).bytes_total;
	}
	st = hm_stats(state);
	assert_int_equal(first_total, MIB(1));
	assert_true(st.bytes_total > first_total);
	assert_true(st.bytes_total >= NR * KIB(64));
	assert_int_equal(st.bytes_total % MIB(1), 0);
	assert_int_equal(st.bytes_in_use, NR * KIB(64));
	assert_int_equal(st.tables_in_use, NR);

	for (i = 0; i < NR; i++) {
		for (j = i + 1; j < NR; j++)
			assert_true(pa[i] + KIB(64) <= pa[j] ||
				    pa[j] + KIB(64) <= pa[i]);
		assert_filled(mm_p2v(&mm, pa[i], KIB(64)), KIB(64),
			      (uint8_t)(i + 1));
		assert_filled((const uint8_t *)(uintptr_t)pa[i], KIB(64),
			      (uint8_t)(i + 1));
	}
}

static void test_max_bytes(void **state)
{
	struct tdp_host_mm_config cfg = {
		.arena_bytes = MIB(1),
		.max_bytes = MIB(2),
	};
	struct tdp_mm mm = hm_new(state, &cfg);
	struct tdp_pool_stats st;
	uint64_t pa, last = 0;
	int got = 0;

	while (mm_alloc(&mm, PAGE, PAGE, &pa) == 0) {
		last = pa;
		if (++got > 512)
			fail_msg("more than max_bytes handed out");
	}
	assert_int_equal(got, 512);
	st = hm_stats(state);
	assert_int_equal(st.bytes_total, MIB(2));
	assert_int_equal(st.bytes_in_use, MIB(2));
	assert_int_equal(st.allocs, 512);
	assert_int_equal(st.failed_allocs, 1);
	assert_int_equal(mm_alloc(&mm, MIB(1), MIB(1), &pa), -TDP_ERR_NOMEM);
	assert_int_equal(hm_stats(state).failed_allocs, 2);

	/* A freed page is handed out again within the bound. */
	mm_free(&mm, last, PAGE);
	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
	assert_int_equal(pa, last);
	assert_int_equal(hm_stats(state).bytes_total, MIB(2));
}

static void test_reserve(void **state)
{
	struct tdp_host_mm_config cfg = { .arena_bytes = MIB(1) };
	struct tdp_mm mm = hm_new(state, &cfg);
	struct tdp_pool_stats st;
	uint64_t pa, total;
	int i;

	assert_int_equal(tdp_host_mm_reserve(NULL, PAGE), -TDP_ERR_INVAL);
	assert_int_equal(tdp_host_mm_reserve(*state, 0), 0);
	assert_int_equal(tdp_host_mm_reserve(*state, MIB(3)), 0);
	st = hm_stats(state);
	assert_true(st.bytes_total - st.bytes_in_use >= MIB(3));
	assert_int_equal(st.bytes_in_use, 0);
	assert_int_equal(st.allocs, 0);
	total = st.bytes_total;

	/* What was reserved is allocated without growing. */
	for (i = 0; i < (int)(MIB(3) / PAGE); i++)
		assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
	st = hm_stats(state);
	assert_int_equal(st.bytes_total, total);
	assert_int_equal(st.bytes_in_use, MIB(3));

	/* Reserve counts from what is in use now. */
	assert_int_equal(tdp_host_mm_reserve(*state, MIB(1) + PAGE), 0);
	st = hm_stats(state);
	assert_true(st.bytes_total - st.bytes_in_use >= MIB(1) + PAGE);
}

/*
 * The first reservation is one arena, the backend's linear window, so that
 * a table whose pages were reserved first is walked without calls.
 */
static void test_reserve_is_window(void **state)
{
	struct tdp_host_mm_config cfg = { .arena_bytes = MIB(1) };
	struct tdp_mm mm = hm_new(state, &cfg);
	uint64_t wpa = 1, wbytes = 1, pa;
	uint8_t *wva;
	int i;

	/* No arena yet: no window. */
	assert_non_null(mm.ops->linear_window);
	assert_null(mm.ops->linear_window(mm.ctx, &wpa, &wbytes));

	/* 3 MiB rounds up to one 4 MiB arena. */
	assert_int_equal(tdp_host_mm_reserve(*state, MIB(3)), 0);
	assert_int_equal(hm_stats(state).bytes_total, MIB(4));
	wva = mm.ops->linear_window(mm.ctx, &wpa, &wbytes);
	assert_non_null(wva);
	assert_int_equal(wpa, (uint64_t)(uintptr_t)wva);
	assert_int_equal(wbytes, MIB(4));
	for (i = 0; i < (int)(MIB(4) / PAGE); i++) {
		assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
		assert_true(pa >= wpa && pa - wpa <= wbytes - PAGE);
		assert_ptr_equal(mm_p2v(&mm, pa, PAGE), wva + (pa - wpa));
	}
	/* Growing adds arenas of the configured size; the window stays. */
	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
	assert_int_equal(hm_stats(state).bytes_total, MIB(5));
	assert_ptr_equal(mm.ops->linear_window(mm.ctx, &wpa, &wbytes), wva);
	assert_int_equal(wbytes, MIB(4));
}

static uint64_t v2p_plus_one(void *ctx, const void *va)
{
	(void)ctx;
	return (uint64_t)(uintptr_t)va + PAGE;
}

static void *p2v_minus_one(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)(pa - PAGE);
}

/* With the caller's translation, host pages need not be consecutive. */
static void test_no_window_with_translation(void **state)
{
	struct tdp_host_mm_config cfg = {
		.virt_to_phys = v2p_plus_one,
		.phys_to_virt = p2v_minus_one,
	};
	struct tdp_mm mm = hm_new(state, &cfg);
	uint64_t wpa, wbytes;

	assert_int_equal(tdp_host_mm_reserve(*state, MIB(1)), 0);
	assert_null(mm.ops->linear_window(mm.ctx, &wpa, &wbytes));
}

static void test_reserve_max_bytes(void **state)
{
	struct tdp_host_mm_config cfg = {
		.arena_bytes = MIB(1),
		.max_bytes = MIB(2),
	};
	struct tdp_mm mm = hm_new(state, &cfg);
	struct tdp_pool_stats st;
	uint64_t pa;

	assert_int_equal(tdp_host_mm_reserve(*state, MIB(2) + PAGE),
			 -TDP_ERR_NOMEM);
	assert_int_equal(tdp_host_mm_reserve(*state, MIB(3)), -TDP_ERR_NOMEM);
	assert_true(hm_stats(state).bytes_total <= MIB(2));
	assert_int_equal(tdp_host_mm_reserve(*state, MIB(2)), 0);
	st = hm_stats(state);
	assert_int_equal(st.bytes_total, MIB(2));

	/* With one page in use, 2 MiB more would pass the bound. */
	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
	assert_int_equal(tdp_host_mm_reserve(*state, MIB(2)), -TDP_ERR_NOMEM);
	assert_int_equal(tdp_host_mm_reserve(*state, MIB(2) - PAGE), 0);
	assert_true(hm_stats(state).bytes_total <= MIB(2));
}

static void test_fail_nth(void **state)
{
	struct tdp_mm mm = hm_new(state, NULL);
	struct tdp_pool_stats st, now;
	uint64_t pa;
	int i;

	assert_int_equal(tdp_host_mm_fail_nth(NULL, 1), -TDP_ERR_INVAL);

	/* The third allocation fails; a free in between does not count. */
	assert_int_equal(tdp_host_mm_fail_nth(*state, 3), 0);
	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
	mm_free(&mm, pa, PAGE);
	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);
	st = hm_stats(state);
	assert_int_equal(mm_alloc(&mm, KIB(16), KIB(16), &pa), -TDP_ERR_NOMEM);
	/* Only the failure counter moves. */
	now = hm_stats(state);
	assert_int_equal(now.failed_allocs, st.failed_allocs + 1);
	assert_int_equal(now.allocs, st.allocs);
	assert_int_equal(now.bytes_in_use, st.bytes_in_use);
	assert_int_equal(now.tables_in_use, st.tables_in_use);
	for (i = 0; i < 10; i++)
		assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);

	assert_int_equal(tdp_host_mm_fail_nth(*state, 1), 0);
	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), -TDP_ERR_NOMEM);
	assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);

	/* 0 disarms a pending failure. */
	assert_int_equal(tdp_host_mm_fail_nth(*state, 2), 0);
	assert_int_equal(tdp_host_mm_fail_nth(*state, 0), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(mm_alloc(&mm, PAGE, PAGE, &pa), 0);

	st = hm_stats(state);
	assert_int_equal(st.failed_allocs, 2);
	assert_int_equal(st.allocs, 2 + 10 + 1 + 5);
	assert_int_equal(st.bytes_in_use, (1 + 10 + 1 + 5) * PAGE);
}

/* A small deterministic generator, so a failure replays exactly. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random allocations and frees against counts kept here. Without
 * max_bytes nothing may fail; blocks must keep their contents while live.
 */
static void test_stats_against_model(void **state)
{
	enum { OPS = 3000, MAX_LIVE = 512 };
	static const uint64_t sizes[] = { PAGE, KIB(16), KIB(64) };
	struct tdp_host_mm_config cfg = { .arena_bytes = MIB(1) };
	struct tdp_mm mm = hm_new(state, &cfg);
	struct {
		uint64_t pa, size;
		uint8_t tag;
	} live[MAX_LIVE];
	struct tdp_pool_stats model = { 0 }, st;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	size_t nr_live = 0;
	int op;

	for (op = 0; op < OPS; op++) {
		uint64_t r = next_random(&seed);

		if (nr_live == MAX_LIVE || (nr_live && r % 5 < 2)) {
			size_t k = (size_t)((r >> 8) % nr_live);

			assert_filled(mm_p2v(&mm, live[k].pa, live[k].size),
				      live[k].size, live[k].tag);
			mm_free(&mm, live[k].pa, live[k].size);
			model.bytes_in_use -= live[k].size;
			model.tables_in_use--;
			model.frees++;
			live[k] = live[--nr_live];
		} else {
			uint64_t size = sizes[(r >> 8) % 3];
			uint64_t align = sizes[(r >> 16) % 3];
			uint64_t pa;

			assert_int_equal(mm_alloc(&mm, size, align, &pa), 0);
			live[nr_live].pa = pa;
			live[nr_live].size = size;
			live[nr_live].tag = (uint8_t)(op % 255 + 1);
			memset(check_block(&mm, pa, size, align),
			       live[nr_live].tag, (size_t)size);
			nr_live++;
			model.bytes_in_use += size;
			if (model.bytes_in_use > model.bytes_high_water)
				model.bytes_high_water = model.bytes_in_use;
			model.tables_in_use++;
			model.allocs++;
		}
		st = hm_stats(state);
		assert_int_equal(st.bytes_in_use, model.bytes_in_use);
		assert_int_equal(st.bytes_high_water, model.bytes_high_water);
		assert_int_equal(st.tables_in_use, model.tables_in_use);
		assert_int_equal(st.allocs, model.allocs);
		assert_int_equal(st.frees, model.frees);
		assert_int_equal(st.failed_allocs, 0);
		assert_true(st.bytes_total >= st.bytes_in_use);
	}
	assert_true(model.bytes_high_water > MIB(1));
}

#define HM_TEST(f) cmocka_unit_test_setup_teardown(f, hm_setup, hm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		HM_TEST(test_create_defaults),
		HM_TEST(test_default_arena),
		cmocka_unit_test(test_create_bad_config),
		HM_TEST(test_alloc_identity),
		HM_TEST(test_alloc_zeroes_reused_memory),
		HM_TEST(test_phys_to_virt_rejects_foreign),
		HM_TEST(test_phys_to_virt_arena_bounds),
		HM_TEST(test_caller_translation),
		HM_TEST(test_grows_arenas),
		HM_TEST(test_max_bytes),
		HM_TEST(test_reserve),
		HM_TEST(test_reserve_is_window),
		HM_TEST(test_no_window_with_translation),
		HM_TEST(test_reserve_max_bytes),
		HM_TEST(test_fail_nth),
		HM_TEST(test_stats_against_model),
	};

	return cmocka_run_group_tests_name("host_mm", tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Real memory pages: arenas of aligned host memory, each managed by a
 * simulated pool whose "physical" addresses are the arena's host virtual
 * addresses. Physical addresses handed to the engine are host virtual
 * addresses (identity) or whatever the caller's translation makes of them;
 * either way every address coming back from a table is checked against the
 * arenas before it becomes a pointer.
 */
#include <stdlib.h>
#include <string.h>

#include <libtdp/host.h>

#include "../internal.h"

#define DEFAULT_ARENA (2ull << 20)

struct arena {
	struct tdp_pool pool;
	uint8_t *mem;
};

struct tdp_host_mm {
	struct tdp_host_mm_config cfg;
	struct arena *arenas;
	size_t n_arenas;
	size_t cap_arenas;
	/*
	 * Arena of the last successful allocation or lookup: only a hint,
	 * read and written with relaxed atomics because concurrent lookups
	 * (which the API allows) all update it.
	 */
	size_t last;
	uint64_t fail_countdown;
	uint64_t failed_allocs;
	uint64_t bytes_in_use;
	uint64_t high_water;
};

static uint64_t hm_va_to_pa(const struct tdp_host_mm *hm, const void *va)
{
	if (hm->cfg.virt_to_phys)
		return hm->cfg.virt_to_phys(hm->cfg.xlate_ctx, va);
	return (uint64_t)(uintptr_t)va;
}

static void *hm_pa_to_va(const struct tdp_host_mm *hm, uint64_t pa)
{
	if (hm->cfg.phys_to_virt)
		return hm->cfg.phys_to_virt(hm->cfg.xlate_ctx, pa);
	return (void *)(uintptr_t)pa;
}

/* Bytes of all arenas together. */
static uint64_t arenas_bytes(const struct tdp_host_mm *hm)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < hm->n_arenas; i++)
		total += hm->arenas[i].pool.size;
	return total;
}

/* Add an arena of @bytes (a power of two, at least cfg.arena_bytes). */
static int add_arena(struct tdp_host_mm *hm, uint64_t bytes)
{
	struct arena *a;
	uint64_t *bitmap;
	uint8_t *mem;

	if (hm->cfg.max_bytes && (bytes > hm->cfg.max_bytes ||
				  arenas_bytes(hm) > hm->cfg.max_bytes - bytes))
		return -TDP_ERR_NOMEM;
	if (hm->n_arenas == hm->cap_arenas) {
		size_t cap = hm->cap_arenas ? hm->cap_arenas * 2 : 8;
		struct arena *n = realloc(hm->arenas, cap * sizeof(*n));

		if (!n)
			return -TDP_ERR_NOMEM;
		hm->arenas = n;
		hm->cap_arenas = cap;
	}
	mem = aligned_alloc((size_t)bytes, (size_t)bytes);
	bitmap = calloc(1, (size_t)TDP_POOL_BITMAP_BYTES(bytes));
	if (!mem || !bitmap) {
		free(mem);
		free(bitmap);
		return -TDP_ERR_NOMEM;
	}
	/* Touch the arena now, not in the middle of a timed operation. */
	memset(mem, 0, (size_t)bytes);
	a = &hm->arenas[hm->n_arenas];
	a->mem = mem;
	tdp_pool_init(&a->pool, mem, bytes, (uint64_t)(uintptr_t)mem, bitmap,
		      (size_t)TDP_POOL_BITMAP_BYTES(bytes));
	hm->n_arenas++;
	return 0;
}

/* The arena holding [va, va + size), or NULL. */
static struct arena *find_arena(struct tdp_host_mm *hm, const void *va,
				uint64_t size)
{
	uint64_t v = (uint64_t)(uintptr_t)va;
	size_t i;

	size_t last = __atomic_load_n(&hm->last, __ATOMIC_RELAXED);

	if (last < hm->n_arenas &&
	    tdp_pool_phys_to_virt(&hm->arenas[last].pool, v, size))
		return &hm->arenas[last];
	for (i = 0; i < hm->n_arenas; i++) {
		if (tdp_pool_phys_to_virt(&hm->arenas[i].pool, v, size)) {
			__atomic_store_n(&hm->last, i, __ATOMIC_RELAXED);
			return &hm->arenas[i];
		}
	}
	return NULL;
}

static bool arena_alloc(struct tdp_host_mm *hm, size_t idx, uint64_t size,
			uint64_t align, uint64_t *pa)
{
	struct tdp_mm mm = tdp_pool_mm(&hm->arenas[idx].pool);
	uint64_t va;

	if (mm.ops->alloc_table(mm.ctx, size, align, &va))
		return false;
	__atomic_store_n(&hm->last, idx, __ATOMIC_RELAXED);
	*pa = hm_va_to_pa(hm, (void *)(uintptr_t)va);
	hm->bytes_in_use += size;
	if (hm->bytes_in_use > hm->high_water)
		hm->high_water = hm->bytes_in_use;
	return true;
}

static int hm_alloc(void *ctx, uint64_t size, uint64_t align, uint64_t *pa)
{
	struct tdp_host_mm *hm = ctx;
	size_t i, last;

	if (!tdp_is_pow2(size) || size < TDP_MIN_TABLE_BYTES ||
	    !tdp_is_pow2(align) || align < TDP_MIN_TABLE_BYTES)
		return -TDP_ERR_INVAL;
	if (size > hm->cfg.arena_bytes || align > hm->cfg.arena_bytes)
		return -TDP_ERR_NOMEM;
	if (hm->fail_countdown && --hm->fail_countdown == 0) {
		hm->failed_allocs++;
		return -TDP_ERR_NOMEM;
	}
	/* The arena that served last, then the others, then a new one. */
	last = __atomic_load_n(&hm->last, __ATOMIC_RELAXED);
	if (last < hm->n_arenas && arena_alloc(hm, last, size, align, pa))
		return 0;
	for (i = 0; i < hm->n_arenas; i++)
		if (i != last && arena_alloc(hm, i, size, align, pa))
			return 0;
	if (!add_arena(hm, hm->cfg.arena_bytes) &&
	    arena_alloc(hm, hm->n_arenas - 1, size, align, pa))
		return 0;
	hm->failed_allocs++;
	return -TDP_ERR_NOMEM;
}

static void *hm_p2v(void *ctx, uint64_t pa, uint64_t size)
{
	struct tdp_host_mm *hm = ctx;
	void *va = hm_pa_to_va(hm, pa);

	size_t last = __atomic_load_n(&hm->last, __ATOMIC_RELAXED);

	/* Most lookups hit the arena of the previous one: check it inline. */
	if (va && last < hm->n_arenas) {
		const struct arena *a = &hm->arenas[last];
		uintptr_t v = (uintptr_t)va, m = (uintptr_t)a->mem;
		uint64_t n = size ? size : 1, bytes = a->pool.size;

		if (v >= m && v - m < bytes && n <= bytes - (v - m))
			return va;
	}
	if (!va || !find_arena(hm, va, size ? size : 1))
		return NULL;
	return va;
}

static void hm_free(void *ctx, uint64_t pa, uint64_t size)
{
	struct tdp_host_mm *hm = ctx;
	void *va = hm_p2v(hm, pa, size);
	struct arena *a;
	struct tdp_mm mm;
	uint64_t before;

	if (!va)
		return;
	a = find_arena(hm, va, size);
	mm = tdp_pool_mm(&a->pool);
	before = a->pool.stats.bytes_in_use;
	mm.ops->free_table(mm.ctx, (uint64_t)(uintptr_t)va, size);
	hm->bytes_in_use -= before - a->pool.stats.bytes_in_use;
}

/*
 * Arenas never move, so the first one can be the linear window, but only
 * where physical addresses are host addresses: with the caller's
 * translation, consecutive host pages need not be consecutive physically.
 */
static void *hm_window(void *ctx, uint64_t *pa, uint64_t *bytes)
{
	const struct tdp_host_mm *hm = ctx;

	if (!hm->n_arenas || hm->cfg.virt_to_phys)
		return NULL;
	*pa = (uint64_t)(uintptr_t)hm->arenas[0].mem;
	*bytes = hm->arenas[0].pool.size;
	return hm->arenas[0].mem;
}

static const struct tdp_mm_ops host_ops = {
	.alloc_table = hm_alloc,
	.free_table = hm_free,
	.phys_to_virt = hm_p2v,
	.linear_window = hm_window,
};

int tdp_host_mm_create(const struct tdp_host_mm_config *cfg,
		       struct tdp_host_mm **out)
{
	struct tdp_host_mm *hm;

	if (!out)
		return -TDP_ERR_INVAL;
	hm = calloc(1, sizeof(*hm));
	if (!hm)
		return -TDP_ERR_NOMEM;
	if (cfg)
		hm->cfg = *cfg;
	if (!hm->cfg.arena_bytes)
		hm->cfg.arena_bytes = DEFAULT_ARENA;
	if (!tdp_is_pow2(hm->cfg.arena_bytes) ||
	    hm->cfg.arena_bytes < (1ull << 20) ||
	    !hm->cfg.virt_to_phys != !hm->cfg.phys_to_virt) {
		free(hm);
		return -TDP_ERR_INVAL;
	}
	*out = hm;
	return 0;
}

int tdp_host_mm_reserve(struct tdp_host_mm *hm, uint64_t bytes)
{
	struct tdp_pool_stats st;

	if (!hm)
		return -TDP_ERR_INVAL;
	/*
	 * The first reservation is one arena big enough for all of it: the
	 * first arena is the linear window of tdp_host_mm_get(), so a pool
	 * reserved up front is walked without a call per table.
	 */
	if (!hm->n_arenas && bytes > hm->cfg.arena_bytes) {
		uint64_t first = hm->cfg.arena_bytes;

		for (; first < bytes; first <<= 1)
			if (first >> 63)
				return -TDP_ERR_NOMEM;
		if (add_arena(hm, first))
			return -TDP_ERR_NOMEM;
	}
	for (;;) {
		tdp_host_mm_get_stats(hm, &st);
		if (st.bytes_total - st.bytes_in_use >= bytes)
			return 0;
		if (add_arena(hm, hm->cfg.arena_bytes))
			return -TDP_ERR_NOMEM;
	}
}

struct tdp_mm tdp_host_mm_get(struct tdp_host_mm *hm)
{
	struct tdp_mm mm = { 0 };

	if (hm) {
		mm.ops = &host_ops;
		mm.ctx = hm;
	}
	return mm;
}

int tdp_host_mm_get_stats(const struct tdp_host_mm *hm,
			  struct tdp_pool_stats *stats)
{
	size_t i;

	if (!hm || !stats)
		return -TDP_ERR_INVAL;
	*stats = (struct tdp_pool_stats){
		.bytes_in_use = hm->bytes_in_use,
		.bytes_high_water = hm->high_water,
		.failed_allocs = hm->failed_allocs,
	};
	for (i = 0; i < hm->n_arenas; i++) {
		const struct tdp_pool_stats *s = &hm->arenas[i].pool.stats;

		stats->bytes_total += s->bytes_total;
		stats->tables_in_use += s->tables_in_use;
		stats->allocs += s->allocs;
		stats->frees += s->frees;
	}
	return 0;
}

int tdp_host_mm_fail_nth(struct tdp_host_mm *hm, uint64_t nth)
{
	if (!hm)
		return -TDP_ERR_INVAL;
	hm->fail_countdown = nth;
	return 0;
}

void tdp_host_mm_destroy(struct tdp_host_mm *hm)
{
	size_t i;

	if (!hm)
		return;
	for (i = 0; i < hm->n_arenas; i++) {
		free(hm->arenas[i].mem);
		free(hm->arenas[i].pool.bitmap);
	}
	free(hm->arenas);
	free(hm);
}

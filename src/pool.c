/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The simulated table pool: a buffer standing for physical memory, carved
 * into 4 KiB units tracked by a bitmap (one bit per unit, set = in use).
 * Freestanding; the hosted create/destroy helpers live in hosted/.
 */
#include "internal.h"

#define UNIT_SHIFT 12
#define UNIT TDP_MIN_TABLE_BYTES

static bool unit_used(const struct tdp_pool *pool, uint64_t u)
{
	return (pool->bitmap[u / 64] >> (u % 64)) & 1;
}

static void set_units(struct tdp_pool *pool, uint64_t u, uint64_t n,
		      bool used)
{
	uint64_t i;

	for (i = u; i < u + n; i++) {
		if (used)
			pool->bitmap[i / 64] |= TDP_BIT(i % 64);
		else
			pool->bitmap[i / 64] &= ~TDP_BIT(i % 64);
	}
}

static bool units_free(const struct tdp_pool *pool, uint64_t u, uint64_t n)
{
	uint64_t i;

	for (i = u; i < u + n; i++)
		if (unit_used(pool, i))
			return false;
	return true;
}

int tdp_pool_init(struct tdp_pool *pool, void *mem, uint64_t size,
		  uint64_t base_pa, uint64_t *bitmap, size_t bitmap_bytes)
{
	uint64_t i, words;

	if (!pool || !mem || !bitmap)
		return -TDP_ERR_INVAL;
	if (((uintptr_t)mem & 7) || ((uintptr_t)bitmap & 7) ||
	    (size & (UNIT - 1)) || (base_pa & (UNIT - 1)))
		return -TDP_ERR_ALIGN;
	if (!size || base_pa + size - 1 < base_pa)
		return -TDP_ERR_RANGE;
	if (bitmap_bytes < TDP_POOL_BITMAP_BYTES(size))
		return -TDP_ERR_INVAL;

	words = TDP_POOL_BITMAP_BYTES(size) / 8;
	for (i = 0; i < words; i++)
		bitmap[i] = 0;
	*pool = (struct tdp_pool){
		.mem = mem,
		.base = base_pa,
		.size = size,
		.bitmap = bitmap,
		.units = size >> UNIT_SHIFT,
	};
	pool->stats.bytes_total = size;
	return 0;
}

/* The first unit index >= @from whose physical address is aligned to
 * @align_u units. */
static uint64_t align_unit(const struct tdp_pool *pool, uint64_t from,
			   uint64_t align_u)
{
	uint64_t base_u = pool->base >> UNIT_SHIFT;

	return ((base_u + from + align_u - 1) & ~(align_u - 1)) - base_u;
}

/* Find @n free units aligned to @align_u, scanning from @from to @limit. */
static bool find_run(const struct tdp_pool *pool, uint64_t from,
		     uint64_t limit, uint64_t n, uint64_t align_u,
		     uint64_t *found)
{
	uint64_t u;

	if (n == 1 && align_u == 1) {
		/* The common case: skip full 64-unit words at once. */
		for (u = from; u < limit; u++) {
			if (!(u % 64) && pool->bitmap[u / 64] == ~0ull) {
				u += 63;
				continue;
			}
			if (!unit_used(pool, u)) {
				*found = u;
				return true;
			}
		}
		return false;
	}
	for (u = align_unit(pool, from, align_u); u + n <= limit;
	     u += align_u) {
		if (units_free(pool, u, n)) {
			*found = u;
			return true;
		}
	}
	return false;
}

static int pool_alloc(void *ctx, uint64_t size, uint64_t align, uint64_t *pa)
{
	struct tdp_pool *pool = ctx;
	uint64_t n, align_u, u;

	if (!tdp_is_pow2(size) || size < UNIT || !tdp_is_pow2(align) ||
	    align < UNIT || !pa)
		return -TDP_ERR_INVAL;
	if (pool->fail_countdown && --pool->fail_countdown == 0) {
		pool->stats.failed_allocs++;
		return -TDP_ERR_NOMEM;
	}
	n = size >> UNIT_SHIFT;
	align_u = align >> UNIT_SHIFT;
	if (!find_run(pool, pool->hint, pool->units, n, align_u, &u) &&
	    !find_run(pool, 0, pool->units, n, align_u, &u)) {
		pool->stats.failed_allocs++;
		return -TDP_ERR_NOMEM;
	}
	set_units(pool, u, n, true);
	pool->hint = u + n;
	tdp_zero(pool->mem + (u << UNIT_SHIFT), size);
	*pa = pool->base + (u << UNIT_SHIFT);

	pool->stats.allocs++;
	pool->stats.tables_in_use++;
	pool->stats.bytes_in_use += size;
	if (pool->stats.bytes_in_use > pool->stats.bytes_high_water)
		pool->stats.bytes_high_water = pool->stats.bytes_in_use;
	return 0;
}

static void pool_free(void *ctx, uint64_t pa, uint64_t size)
{
	struct tdp_pool *pool = ctx;
	uint64_t u, n;

	/* Ignore what this pool cannot have handed out. */
	if (!tdp_pool_phys_to_virt(pool, pa, size) || (pa & (UNIT - 1)) ||
	    !size || (size & (UNIT - 1)))
		return;
	u = (pa - pool->base) >> UNIT_SHIFT;
	n = size >> UNIT_SHIFT;
	for (uint64_t i = u; i < u + n; i++)
		if (!unit_used(pool, i))
			return; /* a double free: keep the books straight */
	set_units(pool, u, n, false);
	if (u < pool->hint)
		pool->hint = u;
	pool->stats.frees++;
	pool->stats.tables_in_use--;
	pool->stats.bytes_in_use -= size;
}

void *tdp_pool_phys_to_virt(const struct tdp_pool *pool, uint64_t pa,
			    uint64_t size)
{
	uint64_t off;

	if (!pool || !pool->mem)
		return NULL;
	if (!size)
		size = 1;
	if (pa < pool->base)
		return NULL;
	off = pa - pool->base;
	if (off >= pool->size || size > pool->size - off)
		return NULL;
	return pool->mem + off;
}

static void *pool_p2v(void *ctx, uint64_t pa, uint64_t size)
{
	return tdp_pool_phys_to_virt(ctx, pa, size);
}

/* The whole pool is one linear range. */
static void *pool_window(void *ctx, uint64_t *pa, uint64_t *bytes)
{
	const struct tdp_pool *pool = ctx;

	*pa = pool->base;
	*bytes = pool->size;
	return pool->mem;
}

static const struct tdp_mm_ops tdp_pool_ops = {
	.alloc_table = pool_alloc,
	.free_table = pool_free,
	.phys_to_virt = pool_p2v,
	.linear_window = pool_window,
};

struct tdp_mm tdp_pool_mm(struct tdp_pool *pool)
{
	struct tdp_mm mm = { 0 };

	if (pool) {
		mm.ops = &tdp_pool_ops;
		mm.ctx = pool;
	}
	return mm;
}

int tdp_pool_claim(struct tdp_pool *pool, uint64_t pa, uint64_t size)
{
	uint64_t u, n;

	if (!pool)
		return -TDP_ERR_INVAL;
	if ((pa & (UNIT - 1)) || (size & (UNIT - 1)))
		return -TDP_ERR_ALIGN;
	if (!size || pa + size - 1 < pa ||
	    !tdp_pool_phys_to_virt(pool, pa, size))
		return -TDP_ERR_RANGE;
	u = (pa - pool->base) >> UNIT_SHIFT;
	n = size >> UNIT_SHIFT;
	if (!units_free(pool, u, n))
		return -TDP_ERR_EXIST;
	set_units(pool, u, n, true);
	return 0;
}

int tdp_pool_get_stats(const struct tdp_pool *pool,
		       struct tdp_pool_stats *stats)
{
	if (!pool || !stats)
		return -TDP_ERR_INVAL;
	*stats = pool->stats;
	return 0;
}

int tdp_pool_fail_nth(struct tdp_pool *pool, uint64_t nth)
{
	if (!pool)
		return -TDP_ERR_INVAL;
	pool->fail_countdown = nth;
	return 0;
}

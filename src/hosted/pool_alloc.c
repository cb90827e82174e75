/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* Hosted convenience: a pool whose memory libtdp allocates with libc. */
#include <stdlib.h>

#include "../internal.h"

int tdp_pool_create(uint64_t size, uint64_t base_pa, struct tdp_pool **out)
{
	struct tdp_pool *pool;
	uint64_t *bitmap;
	void *mem;
	int ret;

	if (!out)
		return -TDP_ERR_INVAL;
	if ((size & (TDP_MIN_TABLE_BYTES - 1)) ||
	    (base_pa & (TDP_MIN_TABLE_BYTES - 1)))
		return -TDP_ERR_ALIGN;
	if (!size || base_pa + size - 1 < base_pa || size > SIZE_MAX)
		return -TDP_ERR_RANGE;

	pool = calloc(1, sizeof(*pool));
	mem = calloc(1, (size_t)size);
	bitmap = calloc(1, (size_t)TDP_POOL_BITMAP_BYTES(size));
	if (!pool || !mem || !bitmap) {
		free(pool);
		free(mem);
		free(bitmap);
		return -TDP_ERR_NOMEM;
	}
	ret = tdp_pool_init(pool, mem, size, base_pa, bitmap,
			    (size_t)TDP_POOL_BITMAP_BYTES(size));
	if (ret) {
		free(pool);
		free(mem);
		free(bitmap);
		return ret;
	}
	pool->owns_memory = true;
	*out = pool;
	return 0;
}

void tdp_pool_destroy(struct tdp_pool *pool)
{
	if (!pool || !pool->owns_memory)
		return;
	free(pool->mem);
	free(pool->bitmap);
	free(pool);
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file mem.h
 * @brief Table memory: the ops interface and the simulated table pool.
 *
 * libtdp never allocates or dereferences table memory on its own: it asks
 * a memory backend, described by ::tdp_mm_ops, to allocate zeroed table
 * pages and to turn the physical addresses found in tables into pointers.
 * A hypervisor implements the ops over its own page allocator; libtdp ships
 * two ready backends:
 *
 * - the simulated table pool (::tdp_pool, this header): a buffer that stands
 *   for physical memory from a chosen base address upward; an emulator uses
 *   the guest's RAM as the pool. It needs no libc and works freestanding.
 * - real memory pages (tdp_host_mm_create() in host.h): aligned host pages,
 *   hosted builds only.
 *
 * Every physical address that comes from a table goes through
 * tdp_mm_ops::phys_to_virt, which must return NULL for any range that is not
 * wholly inside the backend's memory: this is how a corrupt or hostile table
 * becomes a fault result instead of a wild pointer.
 */
#ifndef LIBTDP_MEM_H
#define LIBTDP_MEM_H

#include <libtdp/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The smallest table page libtdp allocates, in bytes (4 KiB). */
#define TDP_MIN_TABLE_BYTES 4096u

/**
 * @brief Operations a table-memory backend provides.
 *
 * Sizes and alignments passed to @c alloc_table are powers of two from
 * 4 KiB up to 1 MiB (16 concatenated 64 KiB arm64 root tables).
 */
struct tdp_mm_ops {
	/**
	 * Allocate @p size bytes of zeroed, physically contiguous table memory
	 * aligned to @p align, and store its physical address in @p *pa.
	 * Returns 0, -TDP_ERR_NOMEM when memory is exhausted, or
	 * -TDP_ERR_INVAL for a size or alignment that is not a power of two of
	 * at least 4 KiB. Required.
	 */
	int (*alloc_table)(void *ctx, uint64_t size, uint64_t align,
			   uint64_t *pa);
	/**
	 * Free table memory returned by @c alloc_table (same @p pa and
	 * @p size). The ready backends ignore a range they did not hand out
	 * and a double free. Required.
	 */
	void (*free_table)(void *ctx, uint64_t pa, uint64_t size);
	/**
	 * Translate the physical range [@p pa, @p pa + @p size) to a pointer,
	 * or return NULL when any byte of it is outside the backend's memory.
	 * Required; libtdp calls it for every table pointer it follows.
	 */
	void *(*phys_to_virt)(void *ctx, uint64_t pa, uint64_t size);
	/**
	 * Optional reference-count hook: a parent entry now points at the
	 * table page at @p pa. May be NULL.
	 */
	void (*table_get)(void *ctx, uint64_t pa);
	/**
	 * Optional reference-count hook: a parent entry no longer points at
	 * the table page at @p pa. May be NULL.
	 */
	void (*table_put)(void *ctx, uint64_t pa);
	/**
	 * Optional deferred free (RCU style): free the table memory once no
	 * concurrent lock-free reader can still be reading it. Used instead of
	 * @c free_table by operations in shared mode. May be NULL, in which
	 * case shared-mode operations free at once and the caller must not run
	 * lock-free readers concurrently.
	 */
	void (*free_table_deferred)(void *ctx, uint64_t pa, uint64_t size);
	/**
	 * Optional linear window: return the host pointer of a physical range
	 * that @c phys_to_virt translates by a constant offset, and store the
	 * range's start in @p *pa and its length in @p *bytes; or return NULL
	 * for none. May be NULL.
	 *
	 * Following a table pointer is the innermost step of every walk, and
	 * an indirect call per level costs more than the rest of the step. A
	 * table object asks once, when it is created, and from then on turns
	 * an address inside the window into a pointer with a subtraction and
	 * a bounds check, calling @c phys_to_virt only for addresses outside
	 * it. The translation must stay valid for as long as tables use the
	 * backend. A hypervisor's direct map of its page pool, or an
	 * emulator's guest-RAM buffer, is such a window.
	 */
	void *(*linear_window)(void *ctx, uint64_t *pa, uint64_t *bytes);
};

/** @brief A memory backend: its ops and the context they are called with. */
struct tdp_mm {
	const struct tdp_mm_ops *ops; /**< The backend's operations. */
	void *ctx;                    /**< Passed as first argument to every op. */
};

/** @brief Allocation statistics of a pool or host backend. */
struct tdp_pool_stats {
	uint64_t bytes_total;      /**< Bytes the backend can allocate from. */
	uint64_t bytes_in_use;     /**< Bytes allocated now. */
	uint64_t bytes_high_water; /**< Most bytes allocated at any time. */
	uint64_t tables_in_use;    /**< Live allocations. */
	uint64_t allocs;           /**< Successful allocations so far. */
	uint64_t frees;            /**< Frees so far. */
	uint64_t failed_allocs;    /**< Failed allocations (exhausted or injected). */
};

/**
 * @brief The simulated table pool.
 *
 * The layout is public so callers can place a pool anywhere (including in
 * freestanding code) but every field is private: use the functions below.
 * The pool manages its memory in 4 KiB units with a caller-provided bitmap.
 */
struct tdp_pool {
	/** @privatesection */
	uint8_t *mem;
	uint64_t base;
	uint64_t size;
	uint64_t *bitmap;
	uint64_t units;
	uint64_t hint;
	uint64_t fail_countdown;
	struct tdp_pool_stats stats;
	bool owns_memory;
};

/**
 * @brief Bytes of bitmap a pool of @p size bytes needs (one bit per 4 KiB).
 * @param size The pool's size in bytes.
 */
#define TDP_POOL_BITMAP_BYTES(size)                                           \
	((((uint64_t)(size) / TDP_MIN_TABLE_BYTES) + 63u) / 64u * 8u)

/**
 * @brief Set up a pool over caller-provided memory.
 *
 * The memory stands for physical addresses [@p base_pa, @p base_pa + @p size).
 * All of it starts free for table allocation; use tdp_pool_claim() to keep
 * parts of it (guest data, a fixed root) out of the allocator. The pool
 * does not clear @p mem; allocations are zeroed when handed out.
 *
 * @param pool The pool to initialise.
 * @param mem Host pointer to the memory; at least 8-byte aligned.
 * @param size Size of @p mem in bytes; a non-zero multiple of 4096.
 * @param base_pa Physical address of the first byte; a multiple of 4096.
 * @param bitmap Bookkeeping storage of at least
 *        TDP_POOL_BITMAP_BYTES(@p size) bytes, 8-byte aligned; the pool
 *        owns its contents from now on.
 * @param bitmap_bytes Size of @p bitmap in bytes.
 * @return 0; -TDP_ERR_INVAL if a pointer is NULL or @p bitmap_bytes is too
 *         small; -TDP_ERR_ALIGN if @p mem, @p bitmap, @p size or @p base_pa
 *         is misaligned; -TDP_ERR_RANGE if @p size is zero or the physical
 *         range wraps around 2^64.
 * @note Not thread-safe with other calls on the same pool.
 */
TDP_API int tdp_pool_init(struct tdp_pool *pool, void *mem, uint64_t size,
			  uint64_t base_pa, uint64_t *bitmap,
			  size_t bitmap_bytes);

/**
 * @brief Mark a physical range of the pool as in use, so tables are never
 *        allocated there.
 *
 * Use it for memory that holds something else (guest code and data in an
 * emulator's RAM), or to reserve a table at a fixed address before
 * attaching it with tdp_pgt_init_at(). Claimed memory is not zeroed and
 * does not count in the statistics.
 *
 * @param pool The pool.
 * @param pa Start of the range; a multiple of 4096.
 * @param size Length in bytes; a non-zero multiple of 4096.
 * @return 0; -TDP_ERR_INVAL for a NULL pool; -TDP_ERR_ALIGN for misaligned
 *         @p pa or @p size; -TDP_ERR_RANGE if @p size is zero, or the range
 *         is not inside the pool or wraps; -TDP_ERR_EXIST if part of it
 *         is already in use (then nothing is claimed).
 * @note Not thread-safe with other calls on the same pool.
 */
TDP_API int tdp_pool_claim(struct tdp_pool *pool, uint64_t pa, uint64_t size);

/**
 * @brief The memory-backend handle of a pool, to pass to table functions.
 * @param pool The pool (must stay alive while tables use it).
 * @return The backend, whose linear window is the whole pool; its ops
 *         pointer is NULL if @p pool is NULL.
 * @note The pool's ops are not thread-safe: callers that allocate from one
 *       pool on several threads must serialise those operations.
 */
TDP_API struct tdp_mm tdp_pool_mm(struct tdp_pool *pool);

/**
 * @brief Translate a physical range inside the pool to a pointer.
 * @param pool The pool.
 * @param pa Start of the range.
 * @param size Length in bytes (0 is treated as 1).
 * @return The pointer, or NULL if @p pool is NULL or any byte of the range
 *         lies outside the pool.
 * @note Thread-safe (reads only immutable fields).
 */
TDP_API void *tdp_pool_phys_to_virt(const struct tdp_pool *pool, uint64_t pa,
				    uint64_t size);

/**
 * @brief Read the pool's statistics.
 * @param pool The pool.
 * @param stats Receives the statistics.
 * @return 0, or -TDP_ERR_INVAL if a pointer is NULL.
 * @note Not thread-safe with allocations on the same pool.
 */
TDP_API int tdp_pool_get_stats(const struct tdp_pool *pool,
			       struct tdp_pool_stats *stats);

/**
 * @brief Fault injection: make the @p nth allocation from now on fail.
 *
 * With @p nth = 1 the very next allocation fails; 0 disables injection.
 * Exactly one allocation fails, then the pool behaves normally again. Tests
 * use it to reach every allocation point of an operation.
 *
 * @param pool The pool.
 * @param nth Which upcoming allocation fails (1-based), or 0 for none.
 * @return 0, or -TDP_ERR_INVAL if @p pool is NULL.
 * @note Not thread-safe with allocations on the same pool.
 */
TDP_API int tdp_pool_fail_nth(struct tdp_pool *pool, uint64_t nth);

/**
 * @brief Hosted convenience: create a pool over memory that libtdp
 *        allocates (zeroed) with the C library.
 * @param size Size in bytes; a non-zero multiple of 4096.
 * @param base_pa Physical address of the first byte; a multiple of 4096.
 * @param out Receives the new pool; free it with tdp_pool_destroy().
 * @return 0; -TDP_ERR_INVAL if @p out is NULL; -TDP_ERR_ALIGN or
 *         -TDP_ERR_RANGE as for tdp_pool_init(); -TDP_ERR_NOMEM if the host
 *         allocation failed.
 * @note Absent from freestanding builds. Thread-safe.
 */
TDP_API int tdp_pool_create(uint64_t size, uint64_t base_pa,
			    struct tdp_pool **out);

/**
 * @brief Free a pool made by tdp_pool_create(), with its memory.
 * @param pool The pool, or NULL (nothing happens).
 * @note Absent from freestanding builds. Tables in the pool become invalid.
 */
TDP_API void tdp_pool_destroy(struct tdp_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_MEM_H */

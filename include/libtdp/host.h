/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file host.h
 * @brief The real-memory-pages backend (hosted builds only).
 *
 * Table pages are real, aligned host memory, allocated in arenas with the
 * C library. By default a page's physical address is its host virtual
 * address (what a user-space test or benchmark wants, and what a hypervisor
 * with an identity map has). A caller-supplied translation replaces that,
 * for a hypervisor whose host memory sits at another physical address.
 *
 * Physical addresses found in tables are bounds-checked against the arenas:
 * an address that is not inside an arena this backend allocated translates
 * to NULL, never to a wild pointer.
 */
#ifndef LIBTDP_HOST_H
#define LIBTDP_HOST_H

#include <libtdp/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Configuration of a host-memory backend; zero fields get defaults. */
struct tdp_host_mm_config {
	/**
	 * Bytes per arena, a power of two from 1 MiB; 0 means 2 MiB. Memory is
	 * allocated (and touched) one arena at a time, so a benchmark or a
	 * hypervisor pool can pre-allocate with tdp_host_mm_reserve().
	 */
	uint64_t arena_bytes;
	/** Upper bound on all arenas together; 0 means no bound. */
	uint64_t max_bytes;
	/**
	 * Optional translation of a host pointer to its physical address;
	 * NULL means physical == virtual. Set both or neither.
	 */
	uint64_t (*virt_to_phys)(void *ctx, const void *va);
	/** Optional translation of a physical address to a host pointer. */
	void *(*phys_to_virt)(void *ctx, uint64_t pa);
	/** Context for the two translation functions. */
	void *xlate_ctx;
};

/** @brief A real-memory-pages backend (opaque). */
struct tdp_host_mm;

/**
 * @brief Create a host-memory backend.
 * @param cfg Configuration, or NULL for all defaults.
 * @param out Receives the backend; free it with tdp_host_mm_destroy().
 * @return 0; -TDP_ERR_INVAL if @p out is NULL, only one translation
 *         function is given, or @p cfg->arena_bytes is not a power of two
 *         of at least 1 MiB; -TDP_ERR_NOMEM if the host allocation failed.
 * @note Thread-safe.
 */
TDP_API int tdp_host_mm_create(const struct tdp_host_mm_config *cfg,
			       struct tdp_host_mm **out);

/**
 * @brief Allocate arenas ahead of time so that at least @p bytes more can
 *        be allocated without asking the C library (pages are touched).
 *
 * The first reservation of a backend without arenas is made as one arena
 * of at least @p bytes (the next power of two). The first arena is the
 * backend's linear window (tdp_mm_ops::linear_window, unless translation
 * functions are configured), which a table object takes when it is
 * created: reserve before tdp_pgt_init() and every table in the
 * reservation is followed without an indirect call.
 * @param hm The backend.
 * @param bytes How many bytes must be available.
 * @return 0; -TDP_ERR_INVAL if @p hm is NULL; -TDP_ERR_NOMEM if the host
 *         allocation failed or max_bytes would be exceeded.
 * @note Not thread-safe with other calls on the same backend.
 */
TDP_API int tdp_host_mm_reserve(struct tdp_host_mm *hm, uint64_t bytes);

/**
 * @brief The memory-backend handle to pass to table functions.
 * @param hm The backend.
 * @return The handle; its ops pointer is NULL if @p hm is NULL.
 * @note Allocations and frees must be serialised on one backend.
 *       phys_to_virt (every lookup) may run on any number of threads at
 *       once, also during allocations that fit the arenas already there;
 *       an allocation that adds an arena must not run concurrently with
 *       lookups, so reserve with tdp_host_mm_reserve() first when tables
 *       are shared.
 */
TDP_API struct tdp_mm tdp_host_mm_get(struct tdp_host_mm *hm);

/**
 * @brief Read the backend's statistics (all arenas together).
 * @param hm The backend.
 * @param stats Receives the statistics.
 * @return 0, or -TDP_ERR_INVAL if a pointer is NULL.
 * @note Not thread-safe with allocations on the same backend.
 */
TDP_API int tdp_host_mm_get_stats(const struct tdp_host_mm *hm,
				  struct tdp_pool_stats *stats);

/**
 * @brief Fault injection: make the @p nth allocation from now on fail.
 * @param hm The backend.
 * @param nth Which upcoming allocation fails (1-based), or 0 for none.
 * @return 0, or -TDP_ERR_INVAL if @p hm is NULL.
 * @note Not thread-safe with allocations on the same backend.
 */
TDP_API int tdp_host_mm_fail_nth(struct tdp_host_mm *hm, uint64_t nth);

/**
 * @brief Free the backend and all its arenas.
 * @param hm The backend, or NULL (nothing happens).
 * @note Tables allocated from it become invalid.
 */
TDP_API void tdp_host_mm_destroy(struct tdp_host_mm *hm);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_HOST_H */

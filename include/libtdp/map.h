/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file map.h
 * @brief Changing tables: map, unmap, protect, access/dirty harvesting,
 *        and page reservations.
 *
 * All operations are format-independent: the format supplies encodings
 * and rules, the engine does the rest.
 *
 * @par Range semantics
 * Ranges are exact: an operation changes [addr, addr + size) and nothing
 * else. A block (large page) that the range cuts is split into a table of
 * smaller entries that keep the rest of the block mapped with its old
 * attributes. addr, size and (for map) pa must be aligned to the format's
 * smallest page.
 *
 * @par Empty tables
 * A table page whose entries all become invalid is unlinked and freed in
 * the same operation, so unmapping everything leaves only the root. Tables
 * entirely covered by an unmap (or replaced by a block) are freed without
 * looking at their entries; a table the range only partly covers is
 * checked by scanning its entries after the operation (at most two such
 * tables per level per operation, so the cost is bounded). In shared mode
 * a table the range does not cover whole is left in place even when the
 * unmap empties it: another thread may be installing an entry into it at
 * that moment, and unlinking it would lose that mapping. An exclusive-mode
 * unmap over such a table frees it.
 *
 * @par TLB invalidation
 * With hooks installed (tdp_pgt_set_tlb()), each operation that changes
 * live valid entries calls flush_range once at its end for the span of
 * everything it changed (flush_addr when that is a single leaf entry), and
 * only then frees table pages it unlinked (hardware may cache them until
 * the flush). Installing an entry where none was valid needs no
 * invalidation. Formats that require break-before-make (arm64) first write
 * an invalid entry, call flush_addr for that entry (flush_range over its
 * span for a table entry), and only then write the new value -- except when
 * only a leaf's permissions, access flag, DBM or software bits change,
 * which the architecture allows in place; x86 formats replace entries in
 * place. Clearing accessed flags
 * never invalidates (aging is approximate, as on real hypervisors);
 * clearing dirty flags does, so the CPU sets them again on the next write.
 *
 * @par The fault pattern
 * Hypervisors map one page per fault, mostly next to the previous fault.
 * An exclusive-mode tdp_map() of one smallest page (without
 * TDP_OP_REPLACE) therefore remembers the page-level table it reached and
 * the entries on the path to it, and the next such call into the same
 * table skips the walk. The cache checks itself on every use (the path's
 * entries must still hold the values it saw, compared from the root down),
 * so entries may be changed by anyone between calls, the caller included;
 * it only makes the common case fast and never changes a result. When
 * tables on the way are missing, the call creates just those (pages from
 * the reservation first, as any map takes them) without the general
 * engine's counting pass; the rules below on allocation failure hold
 * unchanged. A ::tdp_map_cursor goes further for callers that map many
 * pages with one set of attributes: its page call is inline, and the hit
 * is a handful of instructions in the caller's own code.
 *
 * @par Allocation failure
 * In exclusive mode (the default) an operation first counts exactly the
 * table pages it needs, takes them from the reservation passed in (if any)
 * and then from the memory backend, and only then changes anything: when a
 * page cannot be had, it returns -TDP_ERR_NOMEM with the tables exactly as
 * they were and no page leaked. A reservation filled with
 * tdp_reserve_topup() for tdp_worst_case_pages() pages guarantees that the
 * operation does not allocate at all.
 *
 * @par Concurrency
 * Exclusive mode: the caller serialises all mutating operations on a table;
 * lock-free lookups may run concurrently (entries are written with atomic
 * stores), but freed table pages are handed back to the backend at once, so
 * concurrent lookups need TDP_OP_SHARED and a deferred-free hook.
 * Shared mode (TDP_OP_SHARED): several threads may map, unmap, protect and
 * harvest the same table at once, overlapping or not, while others look
 * up. Entries are installed with atomic compare-and-exchange; a thread that
 * loses a race frees the pages it had allocated and retries; unlinked table
 * pages go to the backend's free_table_deferred hook (RCU style) when it
 * has one. In shared mode the page count cannot be known in advance (other
 * threads change the tables meanwhile), so pages are allocated as needed:
 * without a sufficient reservation an allocation failure can leave the
 * operation partly done (every entry is still consistent).
 * Formats with break-before-make (arm64 stage 2): between the break and
 * the make, a shared-mode writer leaves a lock value in the entry (an
 * invalid descriptor with only bit 10 set), which lookups and the hardware
 * see as invalid and other shared-mode writers wait on until the make;
 * never write that value into a table yourself.
 */
#ifndef LIBTDP_MAP_H
#define LIBTDP_MAP_H

#include <libtdp/pgtable.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @name Operation flags
 * @{
 */
/** map: replace existing mappings instead of failing with -TDP_ERR_EXIST. */
#define TDP_OP_REPLACE (1u << 0)
/** Shared mode: safe against concurrent operations on the same table. */
#define TDP_OP_SHARED (1u << 1)
/**
 * map: install leaves no larger than engine level @p l (0 = smallest
 * page only, the per-fault pattern). Without it, the largest leaves that
 * the alignment of addr and pa and the format allow are used.
 */
#define TDP_OP_MAX_LEVEL(l) (((((uint32_t)(l)) & 0xfu) + 1u) << 8)
/** @} */

/**
 * @brief A reservation of zeroed table pages (KVM's memory cache).
 *
 * Pages are kept on a list threaded through the pages themselves, so the
 * reservation needs no storage of its own. Initialise to all zero.
 * A reservation belongs to one table (its page size).
 */
struct tdp_reserve {
	uint64_t head;   /**< Physical address of the first page, private. */
	uint64_t count;  /**< Pages held. */
};

/**
 * @brief Fill a reservation with zeroed table pages from the table's
 *        memory backend until it holds at least @p pages.
 * @param pgt The table (its backend and page size are used).
 * @param res The reservation.
 * @param pages How many pages it must hold.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer; -TDP_ERR_NOMEM if the
 *         backend ran out (the pages already added stay in @p res).
 * @note Not thread-safe with other uses of @p res or of the backend.
 */
TDP_API int tdp_reserve_topup(struct tdp_pgt *pgt, struct tdp_reserve *res,
			      uint64_t pages);

/**
 * @brief Return every page of a reservation to the memory backend.
 * @param pgt The table the reservation was filled for.
 * @param res The reservation; empty afterwards. NULL does nothing.
 * @note Not thread-safe with other uses of @p res or of the backend.
 */
TDP_API void tdp_reserve_release(struct tdp_pgt *pgt, struct tdp_reserve *res);

/** @brief The kinds of operation tdp_worst_case_pages() can size. */
enum tdp_op_kind {
	TDP_OPK_MAP = 1,     /**< tdp_map(). */
	TDP_OPK_UNMAP = 2,   /**< tdp_unmap(). */
	TDP_OPK_PROTECT = 3, /**< tdp_protect(). */
};

/**
 * @brief The most table pages an operation on a range can need, whatever
 *        the table holds (the bound a hypervisor reserves before taking
 *        its lock).
 * @param pgt The table.
 * @param kind A ::tdp_op_kind.
 * @param addr First input address.
 * @param size Bytes.
 * @return The page count (>= 0); -TDP_ERR_INVAL for a NULL @p pgt or an
 *         unknown @p kind; -TDP_ERR_RANGE for a range outside the input
 *         space.
 * @note Thread-safe.
 */
TDP_API int64_t tdp_worst_case_pages(const struct tdp_pgt *pgt, uint32_t kind,
				     uint64_t addr, uint64_t size);

/**
 * @brief Map [@p addr, @p addr + @p size) to [@p pa, @p pa + @p size).
 *
 * Uses the largest leaves that alignment, the format and the
 * TDP_OP_MAX_LEVEL cap allow. Intermediate tables are allocated on demand.
 * Over an existing mapping the call fails unless TDP_OP_REPLACE is given;
 * with it, existing leaves are replaced, blocks the range cuts are split,
 * and tables the new leaves cover entirely are freed. In shared mode no
 * table is freed: another thread may be installing into it, so the new
 * leaves go inside it, smaller than the range allows; an exclusive map or
 * unmap may merge them later.
 *
 * @param pgt The table.
 * @param addr First input address; aligned to the smallest page.
 * @param size Bytes; a non-zero multiple of the smallest page.
 * @param pa First output address; aligned to the smallest page.
 * @param attrs The leaves' attributes (see tdp_entry_encode_leaf()).
 * @param flags TDP_OP_REPLACE, TDP_OP_SHARED, TDP_OP_MAX_LEVEL().
 * @param res A reservation to take pages from first, or NULL.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, unknown flags, a zero size
 *         or attributes the format rejects as invalid; -TDP_ERR_ALIGN for
 *         misaligned @p addr, @p size or @p pa; -TDP_ERR_RANGE for an input
 *         range outside the input space or an output range beyond pa_bits;
 *         -TDP_ERR_NOTSUP for attributes the format cannot express;
 *         -TDP_ERR_EXIST if something is mapped in the range and
 *         TDP_OP_REPLACE is not given; -TDP_ERR_BADTABLE if a malformed
 *         entry or an untranslatable table pointer lies in the way;
 *         -TDP_ERR_NOMEM if table pages ran out. Except for NOMEM in shared
 *         mode, nothing changed when an error is returned.
 * @note See the file's concurrency notes.
 */
TDP_API int tdp_map(struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
		    uint64_t pa, const struct tdp_attrs *attrs, uint32_t flags,
		    struct tdp_reserve *res);

/**
 * @brief A map cursor: maps one smallest page per call with attributes
 *        fixed in advance, and makes the call free of a function call when
 *        the page lies next to the previous one.
 *
 * For the fault pattern at its fastest, and for anything else that maps
 * page by page with one set of attributes (prefaulting, a loader filling a
 * guest's memory). tdp_map_cursor_init() encodes the page leaf once;
 * tdp_map_cursor_page(), which is inline, then stores it directly when the
 * page lies in the page-level table the cursor reached last, no table was
 * unlinked since, and the entry is 0. Anything else goes to
 * tdp_map_cursor_walk_page(), which walks from the root to the page's
 * table, stores the leaf the same way when the table exists and its entry
 * is 0, and otherwise calls tdp_map() for the page; either way it then
 * remembers the table it reached. Results are always those of tdp_map()
 * with the cursor's attributes, flags 0 and its reservation.
 *
 * How the cursor knows its table is still linked: the table (::tdp_pgt)
 * counts the tables this library unlinks (unmap, a block replacing a
 * table, destruction), and the cursor compares the count it saw. Tables
 * the caller unlinks itself (tdp_visit_write(), or writing entries
 * directly) must be announced with tdp_map_cursors_invalidate() before a
 * cursor of that table is used again; changing leaves needs nothing.
 *
 * Every field is private. The struct's size and layout are ABI, because
 * tdp_map_cursor_page() reads the fields in the caller's code.
 */
struct tdp_map_cursor {
	/** @privatesection */
	uint64_t addr;  /* input address the cached table maps from */
	uint64_t span;  /* bytes it maps; 0: nothing cached */
	uint64_t bad;   /* bits of (offset | pa) that need the walk */
	uint64_t leaf;  /* the page leaf, output address 0 */
	uint8_t *table; /* the cached page-level table */
	uint64_t unlinks_seen; /* pgt->unlinks when the table was cached */
	struct tdp_pgt *pgt;
	struct tdp_reserve *res;
	uint64_t page;  /* bytes of the smallest page */
	uint32_t entry_shift; /* offset >> this: the entry's byte offset */
	struct tdp_attrs attrs;
};

/**
 * @brief Prepare a map cursor for a table and one set of attributes.
 *
 * @param cur The cursor to fill.
 * @param pgt The table; it must outlive every use of the cursor.
 * @param attrs The attributes of every page the cursor maps (copied).
 * @param res A reservation that the cursor's maps take table pages from
 *        first, or NULL. The pointer is kept; the caller may top the
 *        reservation up between calls.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, a table that was
 *         destroyed, or attributes the format rejects; -TDP_ERR_NOTSUP if
 *         the format cannot express @p attrs in a smallest-page leaf.
 *         On error a non-NULL @p cur is left so that every page call on it
 *         returns -TDP_ERR_INVAL; the table is not touched.
 * @note Touches only @p cur (and the table's private constants): call it
 *       under the same lock as tdp_map().
 */
TDP_API int tdp_map_cursor_init(struct tdp_map_cursor *cur,
				struct tdp_pgt *pgt,
				const struct tdp_attrs *attrs,
				struct tdp_reserve *res);

/**
 * @brief The out-of-line part of tdp_map_cursor_page(): map the page,
 *        then cache the page-level table it reached.
 *
 * Callers use tdp_map_cursor_page(); this is exported for it. A walk from
 * the root finds the page's table when it exists (faults in a random
 * order mostly land in tables earlier faults made) and stores the leaf
 * when the entry is 0, as the inline hit does; anything else (a table to
 * make, a block, an occupied entry, a table outside the backend's linear
 * window, a format whose leaf is not a plain store) goes to tdp_map().
 *
 * @param cur The cursor.
 * @param addr Input address of the page.
 * @param pa Output address of the page.
 * @return As tdp_map() of one smallest page with the cursor's attributes,
 *         flags 0 and its reservation; -TDP_ERR_INVAL also for a NULL or
 *         unusable cursor. After an error, as after success, the cursor
 *         caches the table the walk reached, if any.
 * @note Exclusive mode only, as tdp_map() without TDP_OP_SHARED: the
 *       caller serialises it with every operation that changes the table.
 */
TDP_API int tdp_map_cursor_walk_page(struct tdp_map_cursor *cur,
				     uint64_t addr, uint64_t pa);

/**
 * @brief Map the smallest page at @p addr to @p pa with the cursor's
 *        attributes: tdp_map(pgt, addr, page size, pa, attrs, 0, res).
 *
 * Inline. When @p addr lies in the cursor's cached table, no table was
 * unlinked since it was cached, @p addr and @p pa are aligned and @p pa is
 * one a page leaf can hold, and the entry is 0, it stores the leaf with a
 * release store and returns 0. Going from invalid to valid needs neither
 * a TLB invalidation nor break-before-make, so nothing else is due.
 * Otherwise it calls tdp_map_cursor_walk_page().
 *
 * @param cur A cursor set up by tdp_map_cursor_init().
 * @param addr Input address of the page.
 * @param pa Output address of the page.
 * @return As tdp_map_cursor_walk_page().
 * @note Exclusive mode only (see tdp_map_cursor_walk_page()). Tables
 *       unlinked by the caller itself must be announced first with
 *       tdp_map_cursors_invalidate().
 */
static inline int tdp_map_cursor_page(struct tdp_map_cursor *cur,
				      uint64_t addr, uint64_t pa)
{
	if (cur) {
		uint64_t off = addr - cur->addr;

		/* off < span also proves off has no bits above the table. */
		if (off < cur->span && !((off | pa) & cur->bad) &&
		    __atomic_load_n(&cur->pgt->unlinks, __ATOMIC_RELAXED) ==
			    cur->unlinks_seen) {
			uint64_t *e = (uint64_t *)(void *)(cur->table +
							   (off >>
							    cur->entry_shift));

			if (!__atomic_load_n(e, __ATOMIC_RELAXED)) {
				/* Release: a walker that sees the leaf sees
				 * the tables above it complete. */
				__atomic_store_n(e, cur->leaf | pa,
						 __ATOMIC_RELEASE);
				return 0;
			}
		}
	}
	return tdp_map_cursor_walk_page(cur, addr, pa);
}

/**
 * @brief Tell the map cursors of a table that the caller unlinked tables
 *        itself: each walks again on its next page.
 *
 * Needed after tdp_visit_write() or a direct write replaced an entry that
 * pointed to a table; never after this library's own operations.
 *
 * @param pgt The table; NULL does nothing.
 * @note Under the same lock as tdp_map().
 */
TDP_API void tdp_map_cursors_invalidate(struct tdp_pgt *pgt);

/**
 * @brief Unmap [@p addr, @p addr + @p size); unmapped holes are skipped.
 *
 * Blocks the range cuts are split so the rest stays mapped; tables left
 * empty are freed.
 *
 * @param pgt The table.
 * @param addr First input address; aligned to the smallest page.
 * @param size Bytes; a non-zero multiple of the smallest page.
 * @param flags 0 or TDP_OP_SHARED.
 * @param res A reservation for the split tables, or NULL.
 * @return 0; -TDP_ERR_INVAL, -TDP_ERR_ALIGN, -TDP_ERR_RANGE for bad
 *         arguments; -TDP_ERR_BADTABLE if the range cuts a malformed entry;
 *         -TDP_ERR_NOMEM if a split table could not be allocated.
 * @note See the file's concurrency notes.
 */
TDP_API int tdp_unmap(struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
		      uint32_t flags, struct tdp_reserve *res);

/**
 * @brief Change the permissions of the leaves in a range: new permissions
 *        are (old | @p set) & ~@p clear. Unmapped holes are skipped.
 *
 * Write-protect for dirty logging with @p clear = TDP_PERM_W; relax after a
 * permission fault with @p set. Blocks are split only where the range cuts
 * them.
 *
 * @param pgt The table.
 * @param addr First input address; aligned to the smallest page.
 * @param size Bytes; a non-zero multiple of the smallest page.
 * @param set TDP_PERM_* bits to add.
 * @param clear TDP_PERM_* bits to remove (wins over @p set).
 * @param flags 0 or TDP_OP_SHARED.
 * @param res A reservation for split tables, or NULL.
 * @return 0; the argument errors of tdp_unmap(); -TDP_ERR_INVAL for unknown
 *         permission bits; -TDP_ERR_NOTSUP if the format cannot express the
 *         resulting permissions for some leaf (for example EPT write
 *         without read), in which case nothing changed; -TDP_ERR_BADTABLE;
 *         -TDP_ERR_NOMEM.
 * @note See the file's concurrency notes.
 */
TDP_API int tdp_protect(struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
			uint32_t set, uint32_t clear, uint32_t flags,
			struct tdp_reserve *res);

/**
 * @brief Where harvesting reports what it found: a bitmap and/or a callback.
 *
 * Bit n of @c bitmap stands for the smallest page at addr + n * page size,
 * where addr is the start of the harvested range; bits are only set, never
 * cleared. @c fn is called once per leaf found, with the part of it inside
 * the range. Either may be NULL.
 */
struct tdp_report {
	uint64_t *bitmap; /**< One bit per smallest page of the range, or NULL. */
	/**
	 * Called per reported leaf; a non-zero return stops and is returned.
	 */
	int (*fn)(uint64_t addr, uint64_t size, void *arg);
	void *arg; /**< Passed to @c fn. */
};

/**
 * @brief Test and clear the accessed flag of every leaf in a range (aging).
 *
 * Reports the leaves whose flag was set. Blocks the range only partly
 * covers are cleared as a whole and reported clipped to the range.
 *
 * @param pgt The table.
 * @param addr First input address.
 * @param size Bytes.
 * @param flags 0 or TDP_OP_SHARED. A flag is cleared with an atomic
 *        operation whenever the CPU could set a flag of the entry
 *        meanwhile (and always in shared mode), so CPU updates are never
 *        lost; once all of them are set, a plain store suffices.
 * @param report Where to report; may be NULL.
 * @return 0; -TDP_ERR_INVAL (NULL table, unknown flags, zero size),
 *         -TDP_ERR_ALIGN, -TDP_ERR_RANGE for bad arguments;
 *         -TDP_ERR_NOTSUP if the format has no accessed flag
 *         (EPT without TDP_FEAT_EPT_AD); a non-zero value returned by the
 *         report callback.
 */
TDP_API int tdp_test_clear_young(struct tdp_pgt *pgt, uint64_t addr,
				 uint64_t size, uint32_t flags,
				 const struct tdp_report *report);

/**
 * @brief Harvest and clear the dirty flag of every leaf in a range (dirty
 *        logging).
 *
 * Reports the leaves that were dirty. A dirty block that the range only
 * partly covers is reported (clipped) but not cleared, so no dirty page
 * outside the range is lost. One TLB invalidation covers everything
 * cleared.
 *
 * @param pgt The table.
 * @param addr First input address.
 * @param size Bytes.
 * @param flags 0 or TDP_OP_SHARED.
 * @param report Where to report; may be NULL.
 * @return As tdp_test_clear_young().
 */
TDP_API int tdp_harvest_dirty(struct tdp_pgt *pgt, uint64_t addr,
			      uint64_t size, uint32_t flags,
			      const struct tdp_report *report);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_MAP_H */

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file pgtable.h
 * @brief Translation tables: the table object, the walker, the iterator,
 *        and read-only lookups.
 *
 * A ::tdp_pgt ties a resolved format to a memory backend and a root table.
 * Everything here is format-independent: the same walker, iterator and
 * lookup serve EPT, x86 paging, SPP and arm64 stage-2 tables.
 *
 * @par Addresses
 * Input addresses are what the format translates: guest-physical for EPT
 * and stage 2, linear for x86 paging (IA-32e addresses in canonical form).
 * Ranges are given as (address, size), so the top of the address space is
 * reachable without wrapping. A range must lie inside the format's input
 * space; IA-32e ranges may not cross the non-canonical hole.
 *
 * @par Untrusted tables
 * Tables may be hostile (an emulator walks what a guest wrote). The walker,
 * the iterator and lookups only follow table pointers that the memory
 * backend translates, never read outside the backend's memory, and never
 * descend deeper than the format's levels, so a table that points at itself
 * or at its ancestors terminates like any other table: a walk visits each
 * entry of the requested range at most once per path to it.
 *
 * @par Concurrency
 * Walks, iterations and lookups only read the tables (unless a walk
 * callback writes), with single-copy-atomic loads of whole entries. Any
 * number of them may run at once on the same tables; they may also run
 * concurrently with writers that update entries atomically, in which case
 * they see each entry either before or after each update.
 */
#ifndef LIBTDP_PGTABLE_H
#define LIBTDP_PGTABLE_H

#include <libtdp/common.h>
#include <libtdp/format.h>
#include <libtdp/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief TLB-invalidation hooks a caller supplies (see tdp_pgt_set_tlb()).
 *
 * Operations that change live entries call them after the change, batched:
 * at most one range call per operation where the format allows it. Any hook
 * may be NULL; a missing @c flush_addr or @c flush_range falls back to the
 * next coarser hook that exists.
 */
struct tdp_tlb_ops {
	/**
	 * Invalidate the translation of @p addr cached from an entry at engine
	 * @p level.
	 */
	void (*flush_addr)(void *ctx, uint64_t addr, int level);
	/** Invalidate all translations of [@p addr, @p addr + @p size). */
	void (*flush_range)(void *ctx, uint64_t addr, uint64_t size);
	/** Invalidate every translation of this table. */
	void (*flush_all)(void *ctx);
};

/**
 * @brief A translation table: format, memory backend and root.
 *
 * The layout is public so a freestanding caller can embed it; fields after
 * @c root_pa are private.
 */
struct tdp_pgt {
	struct tdp_format fmt; /**< The resolved format. */
	struct tdp_mm mm;      /**< The memory backend the tables live in. */
	uint64_t root_pa;      /**< Physical address of the root table. */
	/** @privatesection */
	void *root;
	const struct tdp_tlb_ops *tlb;
	void *tlb_ctx;
	uint32_t flags;
	uint8_t *window_va; /* the backend's linear window (bytes 0: none) */
	uint64_t window_pa;
	uint64_t window_bytes;
	/*
	 * Window offsets below this start a whole non-root table (0 when the
	 * window holds none): one compare checks a table pointer in a walk.
	 */
	uint64_t window_table_avail;
	/*
	 * Walk cache of exclusive-mode single-page maps (src/map.c): the last
	 * page-level table reached, the entries on the path to it with the
	 * values they had, and the last attributes with their leaf template.
	 */
	uint64_t wc_addr; /* input address the cached table starts at */
	uint64_t wc_span; /* bytes it maps; 0: nothing cached */
	uint64_t wc_page; /* bytes of a page; 0 until the first use */
	uint64_t wc_pa_bad; /* bits a page's output address may not have */
	uint8_t *wc_table;
	int wc_depth; /* path entries: the last slots, root first */
	uint8_t wc_entry_shift; /* table offset >> this: the entry's offset */
	uint8_t wc_plain; /* hits store template | address (map.c) */
	void *wc_entry[TDP_MAX_LEVELS];
	uint64_t wc_value[TDP_MAX_LEVELS];
	struct tdp_attrs wc_attrs;
	uint64_t wc_leaf; /* template of wc_attrs at level 0; 0: none */
	/*
	 * Tables unlinked so far (by this library, or as the caller said
	 * with tdp_map_cursors_invalidate()): a map cursor whose count is
	 * still this one knows its cached table is still linked (map.h).
	 */
	uint64_t unlinks;
};

/**
 * @brief Create a table: resolve the format and allocate a zeroed root.
 * @param pgt The table object to fill.
 * @param cfg The format configuration.
 * @param mm The memory backend; copied into @p pgt.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, a backend without its
 *         required ops, or a linear window that wraps around 2^64; the errors of tdp_format_init(); -TDP_ERR_NOMEM if
 *         the root cannot be allocated; -TDP_ERR_BADTABLE if the backend
 *         cannot translate the root it returned.
 * @note Not thread-safe with other uses of the same backend.
 */
TDP_API int tdp_pgt_init(struct tdp_pgt *pgt,
			 const struct tdp_format_config *cfg,
			 const struct tdp_mm *mm);

/**
 * @brief Attach to an existing root table, for example one a guest built.
 *
 * Nothing is allocated or cleared. tdp_pgt_destroy() will not free the
 * root or anything below it.
 *
 * @param pgt The table object to fill.
 * @param cfg The format configuration.
 * @param mm The memory backend the root lives in.
 * @param root_pa Physical address of the root; aligned as the format
 *        requires (4 KiB for most, 32 bytes for PAE, the whole root for
 *        arm64 concatenated roots).
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, an incomplete backend, or a
 *         linear window that wraps around 2^64; the
 *         errors of tdp_format_init(); -TDP_ERR_ALIGN for a misaligned
 *         root; -TDP_ERR_RANGE if the backend cannot translate the whole
 *         root.
 * @note Thread-safe with respect to other tables.
 */
TDP_API int tdp_pgt_init_at(struct tdp_pgt *pgt,
			    const struct tdp_format_config *cfg,
			    const struct tdp_mm *mm, uint64_t root_pa);

/**
 * @brief Install TLB-invalidation hooks.
 * @param pgt The table.
 * @param ops The hooks (copied by reference: must outlive the table), or
 *        NULL to remove them.
 * @param ctx Passed to every hook.
 * @return 0, or -TDP_ERR_INVAL if @p pgt is NULL.
 * @note Not thread-safe with operations on the same table.
 */
TDP_API int tdp_pgt_set_tlb(struct tdp_pgt *pgt, const struct tdp_tlb_ops *ops,
			    void *ctx);

/**
 * @brief Free every table page of a table created by tdp_pgt_init(),
 *        root included.
 *
 * No TLB invalidation is done: the table must no longer be in use by any
 * hardware or software walker. For a table attached with tdp_pgt_init_at()
 * nothing is freed. Table pointers the backend cannot translate are not
 * followed.
 *
 * @param pgt The table, or NULL (nothing happens).
 * @note Not thread-safe with any other use of the table.
 */
TDP_API void tdp_pgt_destroy(struct tdp_pgt *pgt);

/** @brief What an entry is, as the format's rules classify it. */
enum tdp_entry_kind {
	TDP_ENTRY_INVALID = 0,  /**< Not present; maps nothing. */
	TDP_ENTRY_TABLE = 1,    /**< Points to a next-level table. */
	TDP_ENTRY_LEAF = 2,     /**< Maps a page or block. */
	/**
	 * Present but malformed: reserved bits, a misconfiguration, a leaf at a
	 * level that cannot hold one, or an output address beyond pa_bits.
	 */
	TDP_ENTRY_RESERVED = 3,
	/**
	 * A well-formed table entry whose pointer the backend cannot translate.
	 */
	TDP_ENTRY_BAD_POINTER = 4,
};

/**
 * @name Walk flags (tdp_walk())
 * @{
 */
/**
 * Visit leaf entries: pages, blocks, and invalid, reserved and bad-pointer
 * entries.
 */
#define TDP_WALK_LEAF (1u << 0)
/** Visit table entries before their subtree. */
#define TDP_WALK_TABLE_PRE (1u << 1)
/** Visit table entries after their subtree. */
#define TDP_WALK_TABLE_POST (1u << 2)
/** @} */

/** @brief What a walk callback learns about the entry it visits. */
struct tdp_visit {
	const struct tdp_pgt *pgt; /**< The table being walked. */
	/**
	 * First input address the entry maps (canonical form where the format
	 * has one).
	 */
	uint64_t addr;
	uint64_t size;      /**< Bytes the entry maps. */
	void *entry;        /**< The entry in memory (4 or 8 bytes). */
	uint64_t entry_pa;  /**< Physical address of the entry. */
	uint64_t old;       /**< The entry's value when it was read for this visit. */
	int level;          /**< Engine level of the entry. */
	uint32_t kind;      /**< ::tdp_entry_kind of @c old. */
	/** Which visit: TDP_WALK_LEAF, _TABLE_PRE or _TABLE_POST. */
	uint32_t visit;
};

/**
 * @brief A walk callback.
 * @param v The visited entry.
 * @param arg The argument given to tdp_walk().
 * @return 0 to go on; any other value stops the walk, which returns it.
 */
typedef int (*tdp_visit_fn)(const struct tdp_visit *v, void *arg);

/**
 * @brief Walk the entries that map [@p addr, @p addr + @p size).
 *
 * @par Visit order
 * Entries are visited in ascending address order, depth first. For each
 * entry whose span meets the range (the first and last may extend beyond
 * it), the walker reads the entry and:
 * 1. if it is a table, calls the TABLE_PRE visit (if requested) and reads
 *    the entry again;
 * 2. if it is now not a table (invalid, leaf, reserved or bad pointer),
 *    calls the LEAF visit (if requested) and reads the entry again;
 * 3. if it is now a table, walks the part of its subtree inside the range
 *    and then calls the TABLE_POST visit (if requested) with the entry's
 *    value read after the subtree.
 *
 * @par Replacing entries
 * A callback may write the entry it visits with tdp_visit_write(). Because
 * the walker re-reads the entry after each visit, a TABLE_PRE callback that
 * replaces a table by a leaf makes the walker skip the old subtree and give
 * the new leaf a LEAF visit, and a LEAF callback that installs a table makes
 * the walker descend into the new table. Freeing a replaced subtree is the
 * callback's business.
 *
 * @param pgt The table.
 * @param addr First input address.
 * @param size Bytes to walk; 0 walks nothing.
 * @param flags TDP_WALK_LEAF, TDP_WALK_TABLE_PRE and/or TDP_WALK_TABLE_POST.
 * @param fn The callback.
 * @param arg Passed to @p fn.
 * @return 0 when the walk completed, the callback's non-zero return value
 *         when it stopped the walk, -TDP_ERR_INVAL for a NULL pointer or
 *         unknown flag, -TDP_ERR_RANGE when the range is outside the input
 *         space, wraps, or (IA-32e) is not canonical.
 * @note Reads entries atomically; see the file's concurrency notes.
 */
TDP_API int tdp_walk(const struct tdp_pgt *pgt, uint64_t addr, uint64_t size,
		     uint32_t flags, tdp_visit_fn fn, void *arg);

/**
 * @brief Write the entry a walk callback is visiting (a single atomic store).
 * @param v The visit passed to the callback.
 * @param val The new raw entry (truncated to 32 bits for 4-byte formats).
 * @note The caller is responsible for TLB invalidation, for freeing any
 *       subtree the old entry pointed to and, when the old entry was a
 *       table, for calling tdp_map_cursors_invalidate() before a map
 *       cursor is used again (the walk cannot do it: it holds the table
 *       read-only).
 */
TDP_API void tdp_visit_write(const struct tdp_visit *v, uint64_t val);

/**
 * @brief Classify a raw entry by the format's rules.
 * @param fmt A resolved format.
 * @param level The entry's engine level.
 * @param raw The entry.
 * @return A ::tdp_entry_kind other than TDP_ENTRY_BAD_POINTER (classifying
 *         does not consult memory), or -TDP_ERR_INVAL for a NULL @p fmt or
 *         an out-of-range @p level.
 * @note Thread-safe.
 */
TDP_API int tdp_entry_classify(const struct tdp_format *fmt, int level,
			       uint64_t raw);

/**
 * @brief Decode a leaf entry into its output address and attributes.
 * @param fmt A resolved format.
 * @param level The entry's engine level.
 * @param raw The entry.
 * @param out_pa Receives the output address of the first byte mapped; may be
 *        NULL.
 * @param attrs Receives the attributes; may be NULL.
 * @return 0; -TDP_ERR_INVAL for a NULL @p fmt or bad level; -TDP_ERR_NOENT if
 *         the entry is not a valid leaf (invalid, table or reserved).
 * @note Thread-safe.
 */
TDP_API int tdp_entry_decode_leaf(const struct tdp_format *fmt, int level,
				  uint64_t raw, uint64_t *out_pa,
				  struct tdp_attrs *attrs);

/**
 * @brief Encode a leaf entry.
 * @param fmt A resolved format.
 * @param level The engine level the leaf will sit at.
 * @param pa Output address; aligned to the level's page size.
 * @param attrs Attributes.
 * @param raw Receives the entry.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, bad level, or unknown
 *         permission or flag bits; -TDP_ERR_ALIGN for a misaligned @p pa;
 *         -TDP_ERR_RANGE if @p pa exceeds the format's pa_bits;
 *         -TDP_ERR_NOTSUP if the level cannot hold a leaf or the format
 *         cannot express the attributes (for example write without read on
 *         EPT, or execute-only without TDP_FEAT_EPT_EXEC_ONLY).
 * @note Thread-safe.
 */
TDP_API int tdp_entry_encode_leaf(const struct tdp_format *fmt, int level,
				  uint64_t pa, const struct tdp_attrs *attrs,
				  uint64_t *raw);

/**
 * @brief A pre-order cursor over the entries of a range (like KVM's tdp_iter).
 *
 * The fields documented below may be read between steps; the rest are
 * private. See tdp_iter_start() and tdp_iter_next().
 */
struct tdp_iter {
	const struct tdp_pgt *pgt; /**< The table. */
	/** First input address of the current entry (canonical form). */
	uint64_t addr;
	uint64_t old;   /**< The current entry's value as last read. */
	void *entry;    /**< The current entry in memory. */
	int level;      /**< Engine level of the current entry. */
	uint32_t kind;  /**< ::tdp_entry_kind of @c old. */
	bool valid;     /**< False once the iteration has ended. */
	/** @privatesection */
	bool restart;
	bool restarted_once;
	int min_level;
	int root_level;
	uint64_t goal;
	uint64_t restart_goal;
	uint64_t end;
	uint64_t ia;
	void *path[TDP_MAX_LEVELS];
};

/**
 * @brief Start iterating over the entries that map
 *        [@p addr, @p addr + @p size).
 *
 * The iterator becomes current at the root entry that maps @p addr. On bad
 * arguments it is left with @c valid false.
 *
 * @param it The iterator.
 * @param pgt The table.
 * @param addr First input address.
 * @param size Bytes to cover; 0 gives an empty iteration.
 * @param min_level Lowest engine level to visit: entries below it are never
 *        visited (0 visits everything).
 * @return 0; -TDP_ERR_INVAL for a NULL pointer or a @p min_level outside
 *         the format's levels; -TDP_ERR_RANGE as for tdp_walk().
 */
TDP_API int tdp_iter_start(struct tdp_iter *it, const struct tdp_pgt *pgt,
			   uint64_t addr, uint64_t size, int min_level);

/**
 * @brief Try to step down into the table the current entry points to.
 *
 * Re-reads the current entry first, so a table unlinked since the last read
 * is not entered. Not possible at @c min_level, for an entry that is not a
 * table, or for a table pointer the backend cannot translate.
 *
 * @param it The iterator.
 * @return true if the iterator moved to the first child entry in range.
 */
TDP_API bool tdp_iter_step_down(struct tdp_iter *it);

/**
 * @brief Try to step to the next entry of the same table.
 * @param it The iterator.
 * @return true if it moved; false at the table's last entry (or at the end
 *         of the range), leaving the iterator where it was.
 */
TDP_API bool tdp_iter_step_side(struct tdp_iter *it);

/**
 * @brief Try to step up to the parent entry of the current table.
 * @param it The iterator.
 * @return true if it moved; false at the root level.
 */
TDP_API bool tdp_iter_step_up(struct tdp_iter *it);

/**
 * @brief Advance to the next entry in pre-order: down if possible, else to
 *        the side, else up (as often as needed) and then to the side.
 *
 * When the range is exhausted, @c valid becomes false.
 * After tdp_iter_restart() the next call instead re-descends from the root.
 *
 * @param it The iterator.
 */
TDP_API void tdp_iter_next(struct tdp_iter *it);

/**
 * @brief Prepare to resume after the caller dropped and retook its lock.
 *
 * Tables above the current entry may have been freed meanwhile, so the
 * iterator forgets its path. The next tdp_iter_next() walks down from the
 * root again toward the current entry's address and stops at the root
 * entry that maps it: upper-level entries on the way are visited again,
 * so work done on table entries must be idempotent, and the current entry
 * (which the caller has not processed) is reached again.
 *
 * To guarantee forward progress, a restart is refused when the address
 * the iteration would resume from (the larger of the range start and the
 * address of the last entry reached by stepping to the side) has not grown
 * since the previous restart, as KVM's yield rule does: a caller that
 * yields on every entry then still gets through the range.
 *
 * @param it The iterator.
 * @return true if the restart was armed; false if it was refused (the
 *         iterator did not advance since the last restart) or @p it is
 *         not valid.
 */
TDP_API bool tdp_iter_restart(struct tdp_iter *it);

/**
 * @brief Loop over the entries of a range in pre-order.
 * @param it A struct tdp_iter variable (not a pointer).
 * @param pgt The table.
 * @param addr First input address.
 * @param size Bytes to cover.
 */
#define tdp_for_each_entry(it, pgt, addr, size)                               \
	for (tdp_iter_start(&(it), (pgt), (addr), (size), 0); (it).valid;     \
	     tdp_iter_next(&(it)))

/** @brief Why a translation failed. */
enum tdp_fault {
	TDP_FAULT_NONE = 0,        /**< No fault. */
	/**
	 * An entry is not present (arm64: translation fault). On arm64 also an
	 * input address above ia_bits, with fault_level -1: the Arm ARM
	 * reports that as a translation fault at lookup level 0.
	 */
	TDP_FAULT_NOT_PRESENT = 1,
	/** x86 paging: a reserved bit is set (\#PF with RSVD). */
	TDP_FAULT_RESERVED = 2,
	/** EPT misconfiguration (reserved bits or combinations). */
	TDP_FAULT_MISCONFIG = 3,
	TDP_FAULT_PERMISSION = 4,  /**< The access is not allowed. */
	TDP_FAULT_ACCESS_FLAG = 5, /**< arm64: the access flag is clear. */
	/**
	 * x86: the input address is beyond the format's width (fault_level
	 * -1). arm64: an output or table address is beyond the
	 * physical-address size.
	 */
	TDP_FAULT_ADDRESS_SIZE = 6,
	TDP_FAULT_NON_CANONICAL = 7, /**< x86: the linear address is not canonical. */
	/**
	 * A table pointer is outside the memory backend ("out-of-memory-
	 * image").
	 */
	TDP_FAULT_BAD_POINTER = 8,
};

/** @brief Finer reasons for reserved-bit and misconfiguration faults. */
enum tdp_fault_detail {
	TDP_DETAIL_NONE = 0,          /**< No detail. */
	TDP_DETAIL_RESERVED_BIT = 1,  /**< A bit the format reserves is set. */
	TDP_DETAIL_PA_WIDTH = 2,      /**< Address bits at or above pa_bits are set. */
	/** EPT: write (or write+execute) without read. */
	TDP_DETAIL_WRITE_NO_READ = 3,
	TDP_DETAIL_EXEC_ONLY = 4,     /**< EPT: execute-only without the capability. */
	TDP_DETAIL_MEMTYPE = 5,       /**< EPT: memory type 2, 3 or 7. */
	/** A leaf at a level that cannot hold one (e.g. PS set in a PML4E). */
	TDP_DETAIL_LEAF_LEVEL = 6,
	/** Low address bits of a large page, which must be zero, are set. */
	TDP_DETAIL_LEAF_ALIGN = 7,
};

/**
 * @brief The name the `tdp` tool prints for a fault ("not-present", ...).
 * @param fault A ::tdp_fault.
 * @return A static string; "unknown" for a value outside the enum.
 * @note Thread-safe.
 */
TDP_API const char *tdp_fault_name(int fault);

/** @brief Everything a lookup found. */
struct tdp_lookup {
	uint64_t addr;      /**< The input address looked up. */
	uint64_t out_addr;  /**< The output address (valid when fault is NONE). */
	uint64_t page_size; /**< Bytes the leaf maps (valid when fault is NONE). */
	int root_level;     /**< Engine level of the root. */
	/**
	 * Engine level of the last entry read: the leaf, or the entry where
	 * the walk stopped. -1 if no entry was read (bad input address).
	 */
	int last_level;
	/**
	 * Raw entries, indexed by engine level, valid from root_level down to
	 * last_level; the other elements are unspecified (a lookup does not
	 * spend time clearing them).
	 */
	uint64_t entry[TDP_MAX_LEVELS];
	/**
	 * Physical address of each entry in @c entry (valid for the same
	 * levels).
	 */
	uint64_t entry_pa[TDP_MAX_LEVELS];
	/** The leaf's decoded attributes (valid when fault is NONE). */
	struct tdp_attrs attrs;
	/**
	 * Effective permissions: the TDP_PERM_* bits every level grants (the
	 * AND over the walk, as the hardware combines them).
	 */
	uint32_t perms;
	uint32_t fault;        /**< ::tdp_fault. */
	/**
	 * Engine level of the faulting entry, or -1 when the input address
	 * itself faults and no entry was read.
	 */
	int fault_level;
	uint32_t fault_detail; /**< ::tdp_fault_detail. */
};

/**
 * @brief Look an input address up, recording every level. Never writes.
 *
 * The walk starts at the root and stops at the first leaf, or at an entry
 * that is invalid, malformed, or points outside the backend's memory.
 * No permission check is made (see tdp_translate()).
 *
 * @param pgt The table.
 * @param addr The input address (any address: it is checked, not rejected).
 * @param res Receives the result, also on a fault.
 * @return 0 when the address translates; -TDP_ERR_FAULT when it does not
 *         (res->fault says why and res->fault_level where);
 *         -TDP_ERR_INVAL for a NULL pointer.
 * @note Thread-safe; reads entries atomically.
 */
TDP_API int tdp_lookup(const struct tdp_pgt *pgt, uint64_t addr,
		       struct tdp_lookup *res);

/**
 * @brief Look an input address up without decoding the leaf's attributes.
 *
 * The same walk as tdp_lookup(), for callers that want the output address,
 * the page size, every level's entry or the fault, and not the decoded
 * attributes: a hypervisor asking where a guest page lives, or an emulator
 * that refills its TLB from the raw entries. Everything in @p res is
 * filled as tdp_lookup() fills it except @c attrs and @c perms, which are
 * unspecified after a successful walk (zero after a fault);
 * tdp_lookup_decode() fills them later from the recorded entries.
 *
 * @param pgt The table.
 * @param addr The input address (any address: it is checked, not rejected).
 * @param res Receives the result, also on a fault.
 * @return 0 when the address translates; -TDP_ERR_FAULT when it does not
 *         (res->fault says why and res->fault_level where);
 *         -TDP_ERR_INVAL for a NULL pointer.
 * @note Thread-safe; reads entries atomically.
 */
TDP_API int tdp_lookup_raw(const struct tdp_pgt *pgt, uint64_t addr,
			   struct tdp_lookup *res);

/**
 * @brief Decode the attributes of a walk tdp_lookup_raw() recorded.
 *
 * Fills @c attrs and @c perms of @p res from the entries it holds, as
 * tdp_lookup() would have filled them in the same walk. The table is not
 * read again: the result describes the entries as the walk saw them, even
 * if the table has changed since.
 *
 * @param pgt The table the walk was made in.
 * @param res A result of a successful tdp_lookup_raw() (or tdp_lookup())
 *        on @p pgt.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, or a @p res that does not
 *         hold a successful walk of a table of this format (a fault, or
 *         levels outside the format's).
 * @note Thread-safe: reads only @p pgt's format and writes only @p res.
 */
TDP_API int tdp_lookup_decode(const struct tdp_pgt *pgt,
			      struct tdp_lookup *res);

/**
 * @name Access flags (tdp_translate())
 * @{
 */
#define TDP_ACCESS_READ (1u << 0)  /**< A data read. */
#define TDP_ACCESS_WRITE (1u << 1) /**< A data write. */
#define TDP_ACCESS_EXEC (1u << 2)  /**< An instruction fetch. */
/** The access is made in user mode (x86 CPL 3, arm64 EL0). */
#define TDP_ACCESS_USER (1u << 3)
/** x86 paging: CR0.WP = 0 (supervisor writes ignore R/W). */
#define TDP_ACCESS_NO_WP (1u << 4)
/** x86 paging: CR4.SMEP = 1. */
#define TDP_ACCESS_SMEP (1u << 5)
/** x86 paging: CR4.SMAP = 1 (with EFLAGS.AC = 0). */
#define TDP_ACCESS_SMAP (1u << 6)
/** @} */

/**
 * @brief Look an address up and check an access against it in one walk.
 *
 * Like tdp_lookup(), and then, when the address translates, checks
 * @p access as tdp_translate() does. A permission or access-flag fault is
 * reported in @p res with fault_level = the leaf's level; every level's
 * entry stays recorded, so an emulator can build the architecture's fault
 * report (error code, fault status and level) from one consistent walk.
 *
 * @param pgt The table.
 * @param addr The input address.
 * @param access TDP_ACCESS_* flags.
 * @param res Receives the result.
 * @return 0; -TDP_ERR_FAULT if the walk or the access faults (see
 *         res->fault); -TDP_ERR_INVAL for a NULL pointer or unknown access
 *         flags.
 * @note Thread-safe; reads entries atomically.
 */
TDP_API int tdp_lookup_access(const struct tdp_pgt *pgt, uint64_t addr,
			      uint32_t access, struct tdp_lookup *res);

/**
 * @brief Translate an input address to its output address for an access.
 *
 * Walks like tdp_lookup() and then checks the access against the effective
 * permissions as the architecture does.
 *
 * @param pgt The table.
 * @param addr The input address.
 * @param access TDP_ACCESS_* flags (0 checks nothing beyond presence).
 * @param out_addr Receives the output address on success; may be NULL.
 * @param fault Receives the ::tdp_fault (TDP_FAULT_NONE on success); may be
 *        NULL.
 * @return 0; -TDP_ERR_FAULT if the access faults; -TDP_ERR_INVAL for a NULL
 *         @p pgt or unknown access flags.
 * @note Thread-safe; reads entries atomically.
 */
TDP_API int tdp_translate(const struct tdp_pgt *pgt, uint64_t addr,
			  uint32_t access, uint64_t *out_addr,
			  uint32_t *fault);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_PGTABLE_H */

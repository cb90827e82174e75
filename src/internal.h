/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Private to libtdp: bit helpers, the interface between the engine (src/)
 * and the format backends (arch/), and the engine's inline entry helpers.
 *
 * Freestanding: only <stdint.h>, <stddef.h>, <stdbool.h> and builtins.
 */
#ifndef LIBTDP_INTERNAL_H
#define LIBTDP_INTERNAL_H

#include <libtdp/common.h>
#include <libtdp/format.h>
#include <libtdp/map.h>
#include <libtdp/mem.h>
#include <libtdp/pgtable.h>

#define TDP_BIT(n) (1ull << (n))
/* Bits h..l inclusive, h >= l; GENMASK(63, 0) is all ones. */
#define TDP_GENMASK(h, l) ((~0ull >> (63 - (h))) & (~0ull << (l)))
/* Extract/insert a field given its (constant, contiguous) mask. */
#define TDP_FIELD_GET(mask, val)                                              \
	(((uint64_t)(val) & (mask)) >> __builtin_ctzll(mask))
#define TDP_FIELD_PREP(mask, val)                                             \
	(((uint64_t)(val) << __builtin_ctzll(mask)) & (mask))

/*
 * The bit of @val under the single-bit constant mask @from, moved to the
 * position of the single-bit constant mask @to: a shift and an AND, no
 * branch. (The shift counts are taken mod 64 so that the arm not chosen
 * never shifts by a negative count.)
 */
#define TDP_BIT_MOVE(val, from, to)                                           \
	(__builtin_ctzll(from) >= __builtin_ctzll(to)                         \
		 ? ((uint64_t)(val) >>                                         \
		    ((__builtin_ctzll(from) - __builtin_ctzll(to)) & 63)) &    \
			   (to)                                                \
		 : ((uint64_t)(val) <<                                         \
		    ((__builtin_ctzll(to) - __builtin_ctzll(from)) & 63)) &    \
			   (to))

/* Branch hints, for hot paths whose rare cases are known. */
#define TDP_LIKELY(x) __builtin_expect(!!(x), 1)
#define TDP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Bits in a (constant, contiguous, non-zero) mask. */
#define TDP_FIELD_WIDTH(mask)                                                 \
	(64 - __builtin_clzll(mask) - __builtin_ctzll(mask))

#define TDP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Mask of the low n bits, valid for n = 0..64. */
static inline uint64_t tdp_low_mask(unsigned int n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static inline bool tdp_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/*
 * Zero @n bytes without libc (the core is freestanding). The stores are
 * volatile so the compiler cannot turn the loop back into a memset call.
 * Table pages (64-byte multiples, 16-byte aligned) are zeroed 64 bytes per
 * step with 16-byte vector stores, which every 64-bit target has (SSE2,
 * NEON): a fresh table is zeroed on the fault path, once per 512 pages.
 */
typedef uint64_t tdp_u64x2 __attribute__((vector_size(16)));

static inline void tdp_zero(void *p, uint64_t n)
{
	volatile uint8_t *b = (volatile uint8_t *)p;
	volatile tdp_u64x2 *v = (volatile tdp_u64x2 *)p;
	const tdp_u64x2 z = { 0, 0 };
	uint64_t i;

	if (!((uintptr_t)p & 15) && !(n & 63)) {
		for (i = 0; i < n / 16; i += 4) {
			v[i] = z;
			v[i + 1] = z;
			v[i + 2] = z;
			v[i + 3] = z;
		}
		return;
	}
	for (i = 0; i < n; i++)
		b[i] = 0;
}

/*
 * What a format backend supplies beyond the per-level masks in struct
 * tdp_format. The engine calls these only off its hot paths: classification
 * and address extraction are done inline from the masks.
 */
struct tdp_format_ops {
	/* Fill geometry and masks from fmt->cfg; validate the configuration. */
	int (*setup)(struct tdp_format *fmt);
	/* Attributes of a valid leaf. */
	void (*decode_leaf)(const struct tdp_format *fmt, int level,
			    uint64_t raw, struct tdp_attrs *attrs);
	/* Build a leaf; pa is already checked for alignment and width. */
	int (*encode_leaf)(const struct tdp_format *fmt, int level,
			   uint64_t pa, const struct tdp_attrs *attrs,
			   uint64_t *raw);
	/*
	 * The leaf template (address bits clear) one level below the block
	 * @raw at @level, keeping every other bit of the block: splitting
	 * must not lose what the portable attributes do not describe.
	 */
	uint64_t (*split_leaf)(const struct tdp_format *fmt, int level,
			       uint64_t raw);
	/*
	 * @raw with its permissions replaced by @perms (TDP_PERM_* bits),
	 * every other bit kept; -TDP_ERR_NOTSUP if the format cannot express
	 * @perms.
	 */
	int (*set_leaf_perms)(const struct tdp_format *fmt, int level,
			      uint64_t raw, uint32_t perms, uint64_t *new_raw);
	/* Build an entry pointing at a next-level table. */
	uint64_t (*make_table)(const struct tdp_format *fmt, int level,
			       uint64_t table_pa);
	/* TDP_PERM_* bits a present entry grants to the walk's AND. */
	uint32_t (*entry_perms)(const struct tdp_format *fmt, int level,
				uint64_t raw, bool leaf);
	/*
	 * Fill @res->attrs (decode_leaf() of the leaf) and @res->perms (the
	 * AND of entry_perms() over the walk) for a lookup that reached a
	 * valid leaf: @res->entry holds the entries from root_level down to
	 * the leaf at last_level, and @all_and and @all_or are their AND and
	 * OR, which give most formats' walk permissions at once (a bit that
	 * grants combines by AND, one that denies, such as XD, by OR). One
	 * call per lookup, not one per level.
	 */
	void (*decode_walk)(const struct tdp_format *fmt,
			    struct tdp_lookup *res, uint64_t all_and,
			    uint64_t all_or);
	/* Why a present entry was classified reserved (a tdp_fault_detail). */
	uint32_t (*explain)(const struct tdp_format *fmt, int level,
			    uint64_t raw);
	/* Fault for an access given the effective permissions, or NONE. */
	uint32_t (*check_access)(const struct tdp_format *fmt, uint32_t perms,
				 const struct tdp_attrs *attrs,
				 uint32_t access);
	/*
	 * The fault of an input address above the ia_bits the format
	 * translates (canonical formats report TDP_FAULT_NON_CANONICAL
	 * instead): architectures name it differently.
	 */
	uint32_t input_range_fault;
	/*
	 * For formats with break-before-make: the invalid entry a shared-mode
	 * writer leaves between the break and the make. Between the two, a
	 * plain 0 would let another writer install its own entry, which the
	 * make then overwrites: that writer's mapping would be lost (and a
	 * table it linked, leaked). Other writers that read this value wait
	 * for the make. 0: no break-before-make.
	 */
	uint64_t bbm_lock;
};

/*
 * The permission fault of a read/write/fetch against effective permissions,
 * for formats whose rule is simply "each access needs its bit" (EPT, arm64
 * stage 2); @exec is the bit a fetch needs (supervisor or user execute).
 */
static inline uint32_t tdp_rwx_fault(uint32_t perms, uint32_t access,
				     uint32_t exec)
{
	if (((access & TDP_ACCESS_READ) && !(perms & TDP_PERM_R)) ||
	    ((access & TDP_ACCESS_WRITE) && !(perms & TDP_PERM_W)) ||
	    ((access & TDP_ACCESS_EXEC) && !(perms & exec)))
		return TDP_FAULT_PERMISSION;
	return TDP_FAULT_NONE;
}

/* Each backend's table of ops and its setup entry point. */
int tdp_x86_ept_setup(struct tdp_format *fmt);
int tdp_x86_paging_setup(struct tdp_format *fmt);
int tdp_x86_spp_setup(struct tdp_format *fmt);
int tdp_arm64_s2_setup(struct tdp_format *fmt);

/* --- entries ------------------------------------------------------------ */

/*
 * Entries are loaded with acquire semantics: a reader that follows a table
 * pointer another thread just linked (with a release store or CAS) must
 * also see that table's zeroed and filled contents. On x86 this is a plain
 * load.
 */
static inline uint64_t tdp_entry_load(const struct tdp_format *fmt,
				      const void *p)
{
	if (fmt->entry_size == 4)
		return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}

static inline void tdp_entry_store(const struct tdp_format *fmt, void *p,
				   uint64_t val)
{
	if (fmt->entry_size == 4)
		__atomic_store_n((uint32_t *)p, (uint32_t)val,
				 __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint64_t *)p, val, __ATOMIC_RELEASE);
}

/*
 * Whether the CPU may still set a bit in the valid leaf @raw while we
 * change it: its accessed flag is clear, or its dirty flag is clear and
 * the leaf is one the CPU can dirty (arm64 DBM: only a leaf with DBM set
 * gets its write permission set by hardware; x86 has no such condition).
 * Such a leaf must be changed atomically (compare-and-exchange, or an
 * atomic AND that clears bits), or a flag the CPU sets between our read
 * and our write is lost. When every bit the CPU may set is already set,
 * nothing can race with us (KVM's spte_has_volatile_bits() rule) and, in
 * exclusive mode, a plain store is enough.
 *
 * x86 sets the dirty flag only in a writable leaf, but deciding that is
 * the backend's business: a read-only leaf with a clear dirty flag is
 * treated as volatile, which costs an atomic but is never wrong.
 */
static inline bool tdp_leaf_volatile(const struct tdp_format *fmt,
				     uint64_t raw)
{
	if (fmt->accessed_mask & ~raw)
		return true;
	return (fmt->dirty_mask & ~raw) &&
	       (raw & fmt->dirty_requires) == fmt->dirty_requires;
}

static inline bool tdp_entry_present(const struct tdp_level_desc *d,
				     uint64_t raw)
{
	if (d->present_any && !(raw & d->present_any))
		return false;
	return (raw & d->present_all) == d->present_all;
}

static inline bool tdp_entry_leaf_shape(const struct tdp_level_desc *d,
					uint64_t raw)
{
	return (raw & d->leaf_mask) == d->leaf_value;
}

/*
 * The fast tests derived by tdp_format_init() (see struct tdp_level_desc):
 * true means the entry is a valid table (leaf); false means only that the
 * full rules of tdp_classify() must decide.
 */
static inline bool tdp_fast_table(const struct tdp_level_desc *d,
				  uint64_t raw)
{
	return (raw & d->fast_table_mask) == d->fast_table_value &&
	       !((d->fast_table_bad_low6 >> (raw & 63)) & 1);
}

static inline bool tdp_fast_leaf(const struct tdp_level_desc *d, uint64_t raw)
{
	return (raw & d->fast_leaf_mask) == d->fast_leaf_value &&
	       !((d->fast_leaf_bad_low6 >> (raw & 63)) & 1);
}

/* Classify by the masks alone (never TDP_ENTRY_BAD_POINTER). */
static inline enum tdp_entry_kind
tdp_classify(const struct tdp_format *fmt, int level, uint64_t raw)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];
	bool leaf;

	if (!tdp_entry_present(d, raw))
		return TDP_ENTRY_INVALID;
	leaf = tdp_entry_leaf_shape(d, raw);
	if (leaf) {
		if (!(fmt->leaf_levels & (1u << level)) ||
		    (raw & d->leaf_rsvd) || (fmt->bad_low6[1] >> (raw & 63)) & 1)
			return TDP_ENTRY_RESERVED;
		return TDP_ENTRY_LEAF;
	}
	if ((raw & d->table_rsvd) || (fmt->bad_low6[0] >> (raw & 63)) & 1)
		return TDP_ENTRY_RESERVED;
	return TDP_ENTRY_TABLE;
}

/*
 * The bits of an entry at @level that tdp_classify() looks at: entries that
 * agree on them are classified alike. Keep in step with tdp_classify().
 */
static inline uint64_t tdp_classify_bits(const struct tdp_format *fmt,
					 int level)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];

	return d->present_any | d->present_all | d->leaf_mask |
	       d->leaf_rsvd | d->table_rsvd | 63; /* bad_low6[] */
}

static inline uint64_t tdp_table_pa(const struct tdp_format *fmt, int level,
				    uint64_t raw)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];

	return (raw & d->table_addr_mask) |
	       (((raw >> d->table_hi_src) & d->table_hi_mask)
		<< d->table_hi_dst);
}

static inline uint64_t tdp_leaf_pa(const struct tdp_format *fmt, int level,
				   uint64_t raw)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];

	return (raw & d->leaf_addr_mask) |
	       (((raw >> d->leaf_hi_src) & d->leaf_hi_mask) << d->leaf_hi_dst);
}

/*
 * Whether a leaf at @level can hold output address @pa at all: 32-bit
 * paging PTEs reach only 4 GiB while its 4 MiB pages reach 40 bits.
 */
static inline bool tdp_leaf_pa_fits(const struct tdp_format *fmt, int level,
				    uint64_t pa)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];
	uint64_t reach = d->leaf_addr_mask | tdp_low_mask(d->shift) |
			 (d->leaf_hi_mask << d->leaf_hi_dst);

	/* SPP leaves hold no output address: any pa (ignored) will do. */
	return !d->leaf_addr_mask || !(pa & ~reach);
}

/* A leaf's bits without its output address (the inverse of leaf_set_pa). */
static inline uint64_t tdp_leaf_strip_pa(const struct tdp_format *fmt,
					 int level, uint64_t raw)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];

	return raw & ~d->leaf_addr_mask & ~(d->leaf_hi_mask << d->leaf_hi_src);
}

static inline unsigned int tdp_index(const struct tdp_format *fmt, int level,
				     uint64_t ia)
{
	const struct tdp_level_desc *d = &fmt->lvl[level];

	return (unsigned int)((ia >> d->shift) & d->index_mask);
}

/*
 * The indexes [*first, *last] of the table at @level that maps from
 * @ia_base whose entries meet [@ia_first, @ia_last] (which meets the table).
 */
static inline void tdp_index_span(const struct tdp_level_desc *d,
				  uint64_t ia_base, uint64_t ia_first,
				  uint64_t ia_last, uint64_t *first,
				  uint64_t *last)
{
	*first = ia_first > ia_base ? (ia_first - ia_base) >> d->shift : 0;
	*last = tdp_low_mask(d->index_bits);
	if ((ia_last - ia_base) >> d->shift < *last)
		*last = (ia_last - ia_base) >> d->shift;
}

/* Bytes of the table an entry at @level lives in (the root may differ). */
static inline uint64_t tdp_table_bytes(const struct tdp_format *fmt, int level)
{
	return (uint64_t)fmt->entry_size << fmt->lvl[level].index_bits;
}

/*
 * Input addresses: the engine works in "index space", [0, 2^ia_bits).
 * Canonical formats accept sign-extended addresses and report them back in
 * that form.
 */
static inline uint64_t tdp_ia_to_addr(const struct tdp_format *fmt,
				      uint64_t ia)
{
	unsigned int s = 64 - fmt->ia_bits;

	if (!fmt->canonical)
		return ia;
	return (uint64_t)((int64_t)(ia << s) >> s);
}

/* Returns false if @addr is not a valid input address. */
static inline bool tdp_addr_to_ia(const struct tdp_format *fmt, uint64_t addr,
				  uint64_t *ia)
{
	uint64_t m = tdp_low_mask(fmt->ia_bits);

	if (fmt->canonical) {
		if (tdp_ia_to_addr(fmt, addr & m) != addr)
			return false;
		*ia = addr & m;
		return true;
	}
	if (addr & ~m)
		return false;
	*ia = addr;
	return true;
}

/*
 * Convert an (addr, size) range to index space [*ia, *ia_last]; size > 0.
 * Returns -TDP_ERR_RANGE when either end is outside the input space, the
 * range wraps, or it crosses a canonical hole.
 */
int tdp_range_to_ia(const struct tdp_format *fmt, uint64_t addr,
		    uint64_t size, uint64_t *ia, uint64_t *ia_last);

/* tdp_walk() over index-space addresses [ia, ia_last]; no argument checks. */
int tdp_walk_ia(const struct tdp_pgt *pgt, uint64_t ia, uint64_t ia_last,
		uint32_t flags, tdp_visit_fn fn, void *arg);

/*
 * [@pa, @pa + @size) as a pointer, or NULL when the backend cannot translate
 * all of it. Inside the backend's linear window this is one subtraction and
 * one bounds check (no call); @size is at most a table, never 0.
 */
static inline void *tdp_pgt_p2v(const struct tdp_pgt *pgt, uint64_t pa,
				uint64_t size)
{
	uint64_t off = pa - pgt->window_pa;

	if (off < pgt->window_bytes && size <= pgt->window_bytes - off)
		return pgt->window_va + off;
	return pgt->mm.ops->phys_to_virt(pgt->mm.ctx, pa, size);
}

/*
 * The table an entry of @level (already classified TDP_ENTRY_TABLE) points
 * to, or NULL when the backend cannot translate all of it.
 */
static inline void *tdp_child_table(const struct tdp_pgt *pgt, int level,
				    uint64_t raw, uint64_t *child_pa)
{
	const struct tdp_format *fmt = &pgt->fmt;

	*child_pa = tdp_table_pa(fmt, level, raw);
	return tdp_pgt_p2v(pgt, *child_pa, tdp_table_bytes(fmt, level - 1));
}

static inline int tdp_root_level(const struct tdp_format *fmt)
{
	return fmt->levels - 1;
}

#define TDP_PGT_OWNS_ROOT (1u << 0)

/* A pending TLB invalidation, in index space (src/tlb.c). */
struct tdp_tlb_batch {
	uint64_t lo;
	uint64_t hi;
	uint64_t entries;
	int level;
	bool tables; /* a table entry changed: only a range flush will do */
};

/*
 * Note that a live entry at @level changed, whose old translations covered
 * [@ia, @ia + @span); @was_table says it pointed to a table.
 */
void tdp_tlb_note(struct tdp_tlb_batch *b, uint64_t ia, int level,
		  uint64_t span, bool was_table);
/*
 * Note that @leaves (> 0) live leaves at @level changed, all inside
 * [@lo, @hi] (whose ends are leaf boundaries): the same as noting each of
 * them, in one call.
 */
void tdp_tlb_note_run(struct tdp_tlb_batch *b, uint64_t lo, uint64_t hi,
		      int level, uint64_t leaves);
/* Issue the batched invalidation: one call for everything noted. */
void tdp_tlb_flush(const struct tdp_pgt *pgt, struct tdp_tlb_batch *b);
/*
 * Invalidate one entry now (break-before-make). A leaf's translation goes
 * with flush_addr; a table entry needs every translation below it gone.
 */
void tdp_tlb_flush_one(const struct tdp_pgt *pgt, uint64_t ia, int level,
		       bool was_table);

#endif /* LIBTDP_INTERNAL_H */

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file shadow.h
 * @brief x86 shadow paging: shadow-page roles with child and quadrant
 *        derivation, and a PAE root allocator that packs 32-byte PDPTs.
 *
 * A hypervisor that shadows a guest's page tables keeps one shadow page
 * per (guest table, role). The role says what the shadow page is (its
 * level, whether it shadows 4-byte guest entries and which part of the
 * guest table -- the quadrant --, whether it is a direct map, the access
 * inherited from the parent entries, and the guest-mode bits the
 * translation depends on). Role plus guest frame identify a shadow page
 * uniquely, which is why the quadrant stays in the role even though it can
 * be computed: two shadow pages for two halves of one guest page table
 * have the same guest frame and must still differ. See docs/roles.md for a
 * worked example.
 *
 * @par Concurrency
 * Role functions are pure and thread-safe. A ::tdp_pae_roots allocator is
 * not thread-safe: serialise calls on one allocator.
 */
#ifndef LIBTDP_SHADOW_H
#define LIBTDP_SHADOW_H

#include <libtdp/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @name Role word layout (tdp_role::word)
 * Masks of the fields of a role; bits not listed are zero.
 * @{
 */
/** Level of the shadow page, 1 (PTE) .. 5. */
#define TDP_ROLE_LEVEL 0x0000000fu
/** Shadows 4-byte (32-bit paging) guest entries. */
#define TDP_ROLE_GPTE4 0x00000010u
/** Which part of the guest table (0..3). */
#define TDP_ROLE_QUADRANT 0x00000060u
/** Maps a linear frame range, shadows no guest table. */
#define TDP_ROLE_DIRECT 0x00000080u
/** Inherited access: bit 0 exec, 1 write, 2 user. */
#define TDP_ROLE_ACCESS 0x00000700u
/** A root (pointed to by CR3 or a PDPTE). */
#define TDP_ROLE_ROOT 0x00000800u
#define TDP_ROLE_EFER_NX 0x00001000u   /**< EFER.NX the page is valid for. */
#define TDP_ROLE_CR0_WP 0x00002000u    /**< CR0.WP the page is valid for. */
#define TDP_ROLE_SMEP_ANDNOT_WP 0x00004000u /**< CR4.SMEP && !CR0.WP. */
#define TDP_ROLE_SMAP_ANDNOT_WP 0x00008000u /**< CR4.SMAP && !CR0.WP. */
/** Accessed/dirty flags not usable. */
#define TDP_ROLE_AD_DISABLED 0x00010000u
#define TDP_ROLE_GUEST_MODE 0x00020000u /**< Made for a nested guest. */
#define TDP_ROLE_SMM 0xff000000u       /**< Address space (SMM = 1). */
/** @} */

/** @brief A shadow or TDP table page's role (see the layout masks). */
struct tdp_role {
	uint32_t word; /**< The fields, TDP_ROLE_* masks. */
};

/** @brief The guest's paging state that roles depend on. */
struct tdp_guest_mode {
	bool paging;      /**< CR0.PG. */
	bool wp;          /**< CR0.WP. */
	bool pae;         /**< CR4.PAE. */
	bool la57;        /**< CR4.LA57 (5-level paging, with long mode). */
	bool long_mode;   /**< EFER.LMA. */
	bool nx;          /**< EFER.NX. */
	bool smep;        /**< CR4.SMEP. */
	bool smap;        /**< CR4.SMAP. */
	bool smm;         /**< The vCPU is in SMM. */
	bool guest_mode;  /**< Shadowing for a nested (L2) guest. */
	bool ad_disabled; /**< The shadow tables cannot use accessed/dirty flags. */
	uint64_t cr3;     /**< Guest CR3 (root table address). */
	/** PAE guests: the four PDPTEs (bit 0 present, address in 51:12). */
	uint64_t pdptrs[4];
};

/** @brief A shadow root: its role and the guest frame it shadows. */
struct tdp_shadow_root {
	struct tdp_role role; /**< The root's role. */
	uint64_t gfn;         /**< Guest frame of the shadowed table (0 for direct). */
	bool valid;           /**< False for a non-present PAE PDPTE: no root. */
};

/**
 * @brief The shadow root(s) for a guest paging mode.
 *
 * Shadow tables are always PAE or 64-bit, so: a 64-bit guest gets one root
 * (level 4 or 5) for its CR3; a PAE guest gets four level-2 roots, one per
 * present PDPTE; a 32-bit guest gets four level-2 roots for the same guest
 * page directory, quadrants 0-3, one per GiB of the address space (a 4-byte
 * guest PD covers 4 GiB, a PAE PD 1 GiB); with paging off, one direct root
 * of level 4. All roots carry CR0.WP, EFER.NX forced to 1 (shadow entries
 * always use NX), SMEP/SMAP-and-not-WP, SMM, guest mode, A/D-disabled, and
 * full access.
 *
 * @param mode The guest's paging state.
 * @param roots Receives up to four roots.
 * @param count Receives how many entries of @p roots were filled (1 or 4).
 * @return 0; -TDP_ERR_INVAL for a NULL pointer or an impossible mode (long
 *         mode without PAE or without paging, LA57 without long mode).
 */
TDP_API int tdp_role_roots(const struct tdp_guest_mode *mode,
			   struct tdp_shadow_root roots[4], unsigned int *count);

/**
 * @brief The role of the shadow page a parent's entry points to (as KVM's
 *        kvm_mmu_child_role).
 *
 * One level down; @p direct and @p access as given; not a root. For 4-byte
 * guest entries the child is always a level-1 page and its quadrant is the
 * parity of @p index: a 4 MiB guest page table is shadowed by two 2 MiB
 * shadow tables, selected by address bit 21, the low bit of the parent
 * (PAE page-directory) index.
 *
 * @param parent The parent's role.
 * @param index The parent entry's index (0..511).
 * @param direct Whether the child is a direct map (for example below a
 *        guest large page).
 * @param access The child's inherited access (0..7, TDP_ROLE_ACCESS bits).
 * @param child Receives the child's role.
 * @return 0; -TDP_ERR_INVAL for a NULL @p child, a parent at level 1 or
 *         below, an index above 511, access above 7, or a 4-byte-gpte parent
 *         above level 2.
 */
TDP_API int tdp_role_child(struct tdp_role parent, unsigned int index,
			   bool direct, unsigned int access,
			   struct tdp_role *child);

/** @brief Which guest entries a shadow page shadows. */
struct tdp_guest_span {
	uint64_t gpa;          /**< Guest-physical address of the first guest entry. */
	unsigned int count;    /**< Number of guest entries shadowed. */
	unsigned int size;     /**< Bytes per guest entry: 4 or 8. */
	/**
	 * Shadow entries per guest entry: 2 for a 4-byte guest PD (4 MiB -> 2 x
	 * 2 MiB).
	 */
	unsigned int ratio;
};

/**
 * @brief The guest table entries a shadow page of @p role for guest frame
 *        @p gfn shadows.
 *
 * 8-byte guest entries: the whole table, 512 entries at gfn * 4096.
 * 4-byte entries at level 1: guest PTEs 512 * quadrant .. + 511, at
 * gfn * 4096 + quadrant * 2048. 4-byte entries at level 2: guest PDEs
 * 256 * quadrant .. + 255, at gfn * 4096 + quadrant * 1024, each shadowed
 * by two shadow PDEs.
 *
 * @param role The shadow page's role.
 * @param gfn The guest frame it shadows.
 * @param span Receives the span.
 * @return 0; -TDP_ERR_INVAL for a NULL @p span or a role whose fields are
 *         inconsistent (level 0, 4-byte entries above level 2, a quadrant
 *         with 8-byte entries); -TDP_ERR_NOENT for a direct role, which
 *         shadows no guest table.
 */
TDP_API int tdp_role_guest_entries(struct tdp_role role, uint64_t gfn,
				   struct tdp_guest_span *span);

/**
 * @brief Whether two (role, guest frame) pairs name the same shadow page.
 * @param a First role.
 * @param gfn_a First guest frame.
 * @param b Second role.
 * @param gfn_b Second guest frame.
 * @return true if both role words and frames are equal.
 */
TDP_API bool tdp_role_equal(struct tdp_role a, uint64_t gfn_a,
			    struct tdp_role b, uint64_t gfn_b);

/**
 * @brief A 64-bit hash key over (role, guest frame) for a shadow-page cache.
 *
 * Equal pairs give equal keys; pairs that differ only in the quadrant (the
 * halves or quarters of one guest table) give different keys.
 *
 * @param role The role.
 * @param gfn The guest frame.
 * @return The key; take its low bits as a bucket index.
 */
TDP_API uint64_t tdp_role_hash(struct tdp_role role, uint64_t gfn);

/**
 * @brief Bookkeeping of one page of packed PAE roots (128 slots of 32 bytes).
 */
struct tdp_pae_root_page {
	uint64_t pa;      /**< Physical address of the 4 KiB page. */
	uint64_t used[2]; /**< One bit per 32-byte slot (128 slots). */
};

/**
 * @brief A PAE root allocator: packs 4-entry PDPTs (32 bytes, 32-byte
 *        aligned, as CR3 requires) 128 to a 4 KiB page.
 *
 * A root is identified by its full address, never by its page frame: two
 * roots in one page are different roots. A page goes back to the backend
 * only when its last root is freed. Because CR3 holds a 32-bit address in
 * PAE mode, pages must lie below 4 GiB.
 */
struct tdp_pae_roots {
	/** @privatesection */
	struct tdp_mm mm;
	struct tdp_pae_root_page *pages;
	size_t capacity;
	size_t n_pages;
};

/**
 * @brief Set up a PAE root allocator.
 * @param r The allocator.
 * @param mm The memory backend pages come from.
 * @param pages Caller storage for page bookkeeping.
 * @param capacity Entries in @p pages (the most pages the allocator uses).
 * @return 0, or -TDP_ERR_INVAL for a NULL pointer, zero capacity or a
 *         backend without alloc/free/phys_to_virt.
 */
TDP_API int tdp_pae_roots_init(struct tdp_pae_roots *r, const struct tdp_mm *mm,
			       struct tdp_pae_root_page *pages, size_t capacity);

/**
 * @brief Allocate a zeroed 32-byte PDPT.
 * @param r The allocator.
 * @param root_pa Receives the root's physical address (CR3 value bits 31:5).
 * @return 0; -TDP_ERR_INVAL for a NULL pointer; -TDP_ERR_NOMEM if every
 *         page is full and no new page can be had (backend exhausted or
 *         capacity reached); -TDP_ERR_RANGE if the backend returned a page
 *         at or above 4 GiB (it is given back).
 */
TDP_API int tdp_pae_root_alloc(struct tdp_pae_roots *r, uint64_t *root_pa);

/**
 * @brief Free a root by its full address; the page goes back to the
 *        backend when it was the page's last root.
 * @param r The allocator.
 * @param root_pa The root's address as returned by tdp_pae_root_alloc().
 * @return 0; -TDP_ERR_INVAL for a NULL @p r; -TDP_ERR_ALIGN if @p root_pa is
 *         not 32-byte aligned; -TDP_ERR_NOENT if no live root has that
 *         address (then nothing changes).
 */
TDP_API int tdp_pae_root_free(struct tdp_pae_roots *r, uint64_t root_pa);

/**
 * @brief How many pages the allocator holds now.
 * @param r The allocator.
 * @return The page count (0 for NULL).
 */
TDP_API size_t tdp_pae_roots_pages(const struct tdp_pae_roots *r);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_SHADOW_H */

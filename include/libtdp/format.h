/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file format.h
 * @brief Translation-table formats, their configuration, and the portable
 *        attribute set.
 *
 * A format is chosen by a ::tdp_format_config (format id, feature flags,
 * address widths) and resolved by tdp_format_init() into a ::tdp_format,
 * which holds everything the format-independent engine needs: the number of
 * levels, index bits and entry size per level, which levels may hold a
 * leaf, the root's size and alignment, and the per-level rules that decide
 * whether an entry is invalid, a table, a leaf, or malformed.
 *
 * @par Level numbering
 * The engine numbers levels from 0 at the smallest page upward, the same
 * way for every format: on x86 engine level 0 is the PTE (the SDM's level
 * 1), on arm64 4 KiB stage-2 it is lookup level 3. tdp_format_arch_level()
 * converts to the architecture's own numbering.
 *
 * @par Concurrency
 * A resolved ::tdp_format is immutable; any number of threads may use it.
 */
#ifndef LIBTDP_FORMAT_H
#define LIBTDP_FORMAT_H

#include <libtdp/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The most levels any format has (arm64 LPA2 4 KiB: 5; x86: 5). */
#define TDP_MAX_LEVELS 6

/** @brief Format identifiers; the names are those of the `tdp` tool. */
enum tdp_format_id {
	TDP_FMT_EPT4 = 1,      /**< "ept4": Intel EPT, 4-level, 48-bit GPA. */
	TDP_FMT_EPT5 = 2,      /**< "ept5": Intel EPT, 5-level, 57-bit GPA. */
	TDP_FMT_IA32E4 = 3,    /**< "ia32e4": x86 4-level paging (and AMD NPT). */
	TDP_FMT_IA32E5 = 4,    /**< "ia32e5": x86 5-level paging (LA57). */
	TDP_FMT_PAE = 5,       /**< "pae": x86 PAE paging, 3 levels. */
	TDP_FMT_LEGACY32 = 6,  /**< "legacy32": x86 32-bit paging, 4-byte entries. */
	TDP_FMT_SPP = 7,       /**< "spp": Intel sub-page permission table. */
	TDP_FMT_S2_4K = 8,     /**< "s2-4k": arm64 stage 2, 4 KiB granule. */
	TDP_FMT_S2_16K = 9,    /**< "s2-16k": arm64 stage 2, 16 KiB granule. */
	TDP_FMT_S2_64K = 10,   /**< "s2-64k": arm64 stage 2, 64 KiB granule. */
};

/**
 * @name Feature flags (tdp_format_config::features)
 * Capabilities and control bits that change what an entry means. A flag
 * whose name contains NO_ turns off something most CPUs have.
 * @{
 */
/** EPT: the CPU supports execute-only entries (XWR = 100 is valid). */
#define TDP_FEAT_EPT_EXEC_ONLY (1u << 0)
/**
 * EPT: mode-based execute control; bit 2 is supervisor execute, bit 10 user
 * execute.
 */
#define TDP_FEAT_EPT_MBEC (1u << 1)
/** EPT: accessed and dirty flags are enabled (EPTP bit 6). */
#define TDP_FEAT_EPT_AD (1u << 2)
/** EPT: sub-page write permissions are enabled (bit 61 of a 4 KiB leaf). */
#define TDP_FEAT_EPT_SPP (1u << 3)
/** EPT and IA-32e: no 1 GiB pages (bit 7 of a PDPTE is reserved). */
#define TDP_FEAT_NO_1G (1u << 4)
/** IA-32e and PAE: EFER.NXE = 0, so bit 63 (XD) is reserved. */
#define TDP_FEAT_NO_NX (1u << 5)
/** 32-bit paging: CR4.PSE = 1, so bit 7 of a PDE maps a 4 MiB page. */
#define TDP_FEAT_PSE (1u << 6)
/** arm64: FEAT_S2FWB with HCR_EL2.FWB = 1 (MemAttr takes the FWB encodings). */
#define TDP_FEAT_S2_FWB (1u << 8)
/**
 * arm64: FEAT_LPA2 descriptors (VTCR_EL2.DS = 1): 52-bit addresses with 4K/16K.
 */
#define TDP_FEAT_S2_LPA2 (1u << 9)
/** arm64: FEAT_XNX, the two-bit XN field (separate EL1 and EL0 execute). */
#define TDP_FEAT_S2_XNX (1u << 10)
/** arm64: hardware access-flag updates (VTCR_EL2.HA): AF = 0 does not fault. */
#define TDP_FEAT_S2_HA (1u << 11)
/** arm64: hardware dirty-state management with DBM (VTCR_EL2.HD). */
#define TDP_FEAT_S2_HD (1u << 12)
/** arm64: take the start level from tdp_format_config::start_level. */
#define TDP_FEAT_S2_START_LEVEL (1u << 13)
/** @} */

/**
 * @name Permission bits (tdp_attrs::perms)
 * @{
 */
#define TDP_PERM_R (1u << 0)  /**< Read. */
#define TDP_PERM_W (1u << 1)  /**< Write. */
/**
 * Execute; where the format splits execute by mode, supervisor (EL1) execute.
 */
#define TDP_PERM_X (1u << 2)
/**
 * User-mode (EL0) execute. Formats that do not split execute by mode always
 * decode X and XU together and reject one without the other.
 */
#define TDP_PERM_XU (1u << 3)
/** User-mode accessible (x86 paging U/S); formats without it ignore it. */
#define TDP_PERM_U (1u << 4)
/** Read, write and execute in every mode. */
#define TDP_PERM_RWX (TDP_PERM_R | TDP_PERM_W | TDP_PERM_X | TDP_PERM_XU)
/** @} */

/**
 * @name Attribute flags (tdp_attrs::flags)
 * @{
 */
#define TDP_ATTR_ACCESSED (1u << 0)    /**< Accessed (x86 A, arm64 AF). */
#define TDP_ATTR_DIRTY (1u << 1)       /**< Dirty (x86 D). */
#define TDP_ATTR_GLOBAL (1u << 2)      /**< Global (x86 paging G). */
#define TDP_ATTR_IGNORE_PAT (1u << 3)  /**< EPT ignore-PAT (IPAT). */
#define TDP_ATTR_SUPPRESS_VE (1u << 4) /**< EPT suppress \#VE (bit 63). */
#define TDP_ATTR_SPP (1u << 5)         /**< EPT sub-page protected (bit 61). */
/** x86 paging: take the PAT/PCD/PWT bits from tdp_attrs::pat, not memtype. */
#define TDP_ATTR_PAT_INDEX (1u << 6)
#define TDP_ATTR_VERIFY_GUEST_PAGING (1u << 7) /**< EPT bit 57. */
#define TDP_ATTR_PAGING_WRITE (1u << 8)        /**< EPT bit 58. */
#define TDP_ATTR_SUPERVISOR_SHADOW_STACK (1u << 9) /**< EPT bit 60. */
/**
 * arm64: dirty bit modifier (DBM): hardware may make the page writable-dirty.
 */
#define TDP_ATTR_DBM (1u << 10)
/**
 * arm64: the contiguous hint. The caller sets it only on leaves of an
 * aligned run of entries that all map one contiguous, equally attributed
 * range, as the Arm ARM requires.
 */
#define TDP_ATTR_CONTIGUOUS (1u << 11)
/** @} */

/**
 * @name Shareability (tdp_attrs::shareability, arm64)
 * @{
 */
/** Encode: inner shareable. Decode: not in the entry (LPA2). */
#define TDP_SH_DEFAULT 0
#define TDP_SH_NONE 1    /**< Non-shareable. */
#define TDP_SH_OUTER 2   /**< Outer shareable. */
#define TDP_SH_INNER 3   /**< Inner shareable. */
/** @} */

/** @brief Memory types (tdp_attrs::memtype); 0 is write-back. */
enum tdp_memtype {
	TDP_MT_WB = 0,       /**< Write-back (arm64: Normal, inner/outer WB). */
	TDP_MT_UC = 1,       /**< Uncacheable. */
	TDP_MT_WC = 2,       /**< Write-combining. */
	TDP_MT_WT = 3,       /**< Write-through. */
	TDP_MT_WP = 4,       /**< Write-protected. */
	TDP_MT_UC_MINUS = 5, /**< x86 PAT UC- (uncacheable, MTRR may override). */
	TDP_MT_NC = 6,       /**< arm64 Normal non-cacheable. */
	TDP_MT_DEV_NGNRNE = 7, /**< arm64 Device-nGnRnE. */
	TDP_MT_DEV_NGNRE = 8,  /**< arm64 Device-nGnRE. */
	TDP_MT_DEV_NGRE = 9,   /**< arm64 Device-nGRE. */
	TDP_MT_DEV_GRE = 10,   /**< arm64 Device-GRE. */
};

/**
 * @brief The portable attribute set of a leaf entry.
 *
 * Zero-initialised attributes mean: no access, write-back, no flags. Each
 * format encodes what it has and rejects with -TDP_ERR_NOTSUP what it
 * cannot express; decoding fills what the entry holds.
 */
struct tdp_attrs {
	uint32_t perms;   /**< TDP_PERM_* bits. */
	uint32_t flags;   /**< TDP_ATTR_* bits. */
	uint8_t memtype;  /**< ::tdp_memtype. */
	/**
	 * x86 paging: PAT index (bit 2 = PAT, bit 1 = PCD, bit 0 = PWT).
	 * Decoding always fills it; encoding uses it with TDP_ATTR_PAT_INDEX.
	 */
	uint8_t pat;
	uint8_t pkey;     /**< x86 paging protection key (bits 62:59 of a leaf). */
	uint8_t shareability; /**< arm64: a TDP_SH_* value. */
	/**
	 * Software-available bits, packed from bit 0 in the order the
	 * format's header lists them (EPT: 11, 52..56; IA-32e: 9..11,
	 * 52..58).
	 */
	uint32_t sw;
	/** SPP leaves: the 32-bit sub-page write bitmap. */
	uint32_t subpage_write;
};

/** @brief Which configuration to resolve; zero fields take defaults. */
struct tdp_format_config {
	uint32_t format;   /**< A ::tdp_format_id. */
	uint32_t features; /**< TDP_FEAT_* flags. */
	/**
	 * Width of output (physical) addresses: x86 MAXPHYADDR, arm64 PS.
	 * 0 takes the format's maximum (52 for 8-byte x86 formats, 32 for
	 * 32-bit paging without PSE-36 and up to 40 with it).
	 */
	uint8_t pa_bits;
	/**
	 * Input-address width for formats where it varies (arm64 IPA size,
	 * 32..52); 0 = the maximum the configuration allows (48, or 52 with
	 * LPA2 or with the 64 KiB granule and pa_bits 52).
	 */
	uint8_t ia_bits;
	/**
	 * arm64 start level (-1..3, the Arm ARM's numbering), used with
	 * TDP_FEAT_S2_START_LEVEL; otherwise the fewest levels that cover the
	 * IPA size (never fewer than two), concatenating up to 16 root tables.
	 */
	int8_t start_level;
	uint8_t reserved0; /**< Zero. */
};

/** @brief Per-level rules of a resolved format (private to libtdp). */
struct tdp_level_desc {
	/** @privatesection */
	uint64_t present_any;
	uint64_t present_all;
	uint64_t leaf_mask;
	uint64_t leaf_value;
	uint64_t table_rsvd;
	uint64_t leaf_rsvd;
	uint64_t table_addr_mask;
	uint64_t leaf_addr_mask;
	uint64_t table_hi_mask;
	uint64_t leaf_hi_mask;
	uint8_t table_hi_src;
	uint8_t table_hi_dst;
	uint8_t leaf_hi_src;
	uint8_t leaf_hi_dst;
	uint8_t shift;
	uint8_t index_bits;
	int8_t arch_level;
	uint8_t reserved0;
	/*
	 * Derived from the rules above by tdp_format_init(), for lookups: an
	 * entry with (raw & fast_*_mask) == fast_*_value whose bits 5:0 are
	 * not set in fast_*_bad_low6 is a valid table (leaf) for certain;
	 * any other entry takes the full rules.
	 */
	uint64_t index_mask;
	uint64_t span; /* bytes an entry maps: 1 << shift */
	uint64_t fast_table_mask;
	uint64_t fast_table_value;
	uint64_t fast_table_bad_low6;
	uint64_t fast_leaf_mask;
	uint64_t fast_leaf_value;
	uint64_t fast_leaf_bad_low6;
};

/**
 * @brief A resolved format.
 *
 * Filled by tdp_format_init(). The public fields may be read; the rest is
 * private and may change between major versions.
 */
struct tdp_format {
	struct tdp_format_config cfg; /**< The configuration it was made from. */
	uint8_t levels;     /**< Number of levels walked from the root. */
	uint8_t entry_size; /**< Bytes per entry: 4 or 8. */
	uint8_t ia_bits;    /**< Input-address bits translated. */
	uint8_t pa_bits;    /**< Output-address bits allowed. */
	/**
	 * Non-zero when input addresses are canonical (sign-extended from bit
	 * ia_bits - 1), as x86 linear addresses of IA-32e paging are.
	 */
	uint8_t canonical;
	uint8_t reserved0;  /**< Zero. */
	uint16_t leaf_levels; /**< Bit L set: engine level L may hold a leaf. */
	uint32_t root_size;   /**< Bytes of the root table (all concatenated pages). */
	uint32_t root_align;  /**< Required alignment of the root, in bytes. */
	uint32_t table_size;  /**< Bytes of a non-root table (one page). */
	/** @privatesection */
	uint32_t rsvd_fault;
	uint32_t leaf_level_fault;
	uint32_t needs_bbm;
	/*
	 * Derived by tdp_format_init(): non-zero when entries are 8 bytes, no
	 * level needs its fast_table_bad_low6 map or high address bits to
	 * tell and follow a table, and no leaf has high address bits, so
	 * lookups may take a leaner walk.
	 */
	uint32_t fast_plain;
	uint64_t bbm_exempt;
	uint64_t accessed_mask;
	uint64_t dirty_mask;
	uint64_t dirty_requires;
	uint64_t bad_low6[2];
	struct tdp_level_desc lvl[TDP_MAX_LEVELS];
	const struct tdp_format_ops *ops;
};

/**
 * @brief Resolve a format configuration.
 * @param fmt Receives the resolved format.
 * @param cfg The configuration.
 * @return 0; -TDP_ERR_INVAL if a pointer is NULL or an unknown feature flag
 *         or a non-zero reserved field is given; -TDP_ERR_FORMAT for an
 *         unknown format id, a format not built into this library, a feature
 *         that does not belong to the format, or address widths or a start
 *         level the architecture does not allow.
 * @note Thread-safe.
 */
TDP_API int tdp_format_init(struct tdp_format *fmt,
			    const struct tdp_format_config *cfg);

/**
 * @brief The `tdp` tool's name of a format id ("ept4", "s2-64k", ...).
 * @param format A ::tdp_format_id.
 * @return A static string, or NULL for an unknown id.
 * @note Thread-safe.
 */
TDP_API const char *tdp_format_name(uint32_t format);

/**
 * @brief Look a format id up by its name.
 * @param name A NUL-terminated name such as "ept4".
 * @return The ::tdp_format_id (positive), -TDP_ERR_INVAL if @p name is NULL,
 *         or -TDP_ERR_FORMAT if no format has that name.
 * @note Thread-safe.
 */
TDP_API int tdp_format_from_name(const char *name);

/**
 * @brief The architecture's number for an engine level.
 *
 * x86 counts from 1 at the 4 KiB level (PTE = 1 ... PML5E = 5); arm64 uses
 * the Arm ARM's lookup levels (3 is the page level; -1 exists with LPA2).
 *
 * @param fmt A resolved format.
 * @param level An engine level, 0 .. fmt->levels - 1.
 * @return The architecture's level number, or -128 if @p fmt is NULL or
 *         @p level is out of range.
 * @note Thread-safe.
 */
TDP_API int tdp_format_arch_level(const struct tdp_format *fmt, int level);

/**
 * @brief log2 of the bytes one entry at @p level maps (12 for a 4 KiB PTE).
 * @param fmt A resolved format.
 * @param level An engine level.
 * @return The shift, or -TDP_ERR_INVAL if @p fmt is NULL or @p level is out
 *         of range.
 * @note Thread-safe.
 */
TDP_API int tdp_format_level_shift(const struct tdp_format *fmt, int level);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_FORMAT_H */

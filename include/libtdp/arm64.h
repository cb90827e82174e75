/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file arm64.h
 * @brief arm64 stage-2 register helpers: VTCR_EL2 and VTTBR_EL2.
 *
 * A hypervisor builds a stage-2 table with the s2-4k, s2-16k or s2-64k
 * formats and gives the CPU the VTCR_EL2 and VTTBR_EL2 values computed
 * here; an emulator does the reverse, configuring a table from the values a
 * guest hypervisor wrote. Field positions follow the Arm ARM: VTCR_EL2
 * T0SZ [5:0], SL0 [7:6], IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12], TG0
 * [15:14] (0 = 4K, 1 = 64K, 2 = 16K), PS [18:16], VS [19], HA [21], HD
 * [22], bit 31 RES1, DS [32], SL2 [33]; VTTBR_EL2 BADDR [47:1] (PA[51:48]
 * in bits [5:2] with 52-bit physical addresses), VMID [63:48].
 */
#ifndef LIBTDP_ARM64_H
#define LIBTDP_ARM64_H

#include <libtdp/format.h>

#ifdef __cplusplus
extern "C" {
#endif

/** tdp_s2_make_vtcr() flag: 16-bit VMIDs (VTCR_EL2.VS = 1). */
#define TDP_S2_VTCR_VMID16 (1u << 0)

/**
 * @brief Compute VTCR_EL2 for a resolved stage-2 format.
 *
 * T0SZ = 64 - IPA bits; SL0 (and SL2 for a 4 KiB LPA2 start at level -1)
 * from the start level; TG0 from the granule; PS from pa_bits; table walks
 * inner shareable, write-back write-allocate (SH0 = 3, ORGN0 = IRGN0 = 1);
 * HA, HD and DS from the format's features; bit 31 (RES1) set.
 *
 * @param fmt A resolved s2-4k, s2-16k or s2-64k format.
 * @param flags 0 or TDP_S2_VTCR_VMID16.
 * @param vtcr Receives the value.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer or unknown flag;
 *         -TDP_ERR_FORMAT if @p fmt is not a stage-2 format.
 * @note Thread-safe.
 */
TDP_API int tdp_s2_make_vtcr(const struct tdp_format *fmt, uint32_t flags,
			     uint64_t *vtcr);

/**
 * @brief Configure a stage-2 format from a VTCR_EL2 value.
 *
 * Fills format (from TG0), ia_bits (64 - T0SZ), pa_bits (PS), the start
 * level (SL0/SL2, with TDP_FEAT_S2_START_LEVEL) and the LPA2/HA/HD
 * features. Features VTCR_EL2 does not hold (FWB, XNX) are taken from
 * @p extra_features. The result is checked with tdp_format_init(), so an
 * impossible combination is rejected, never rounded.
 *
 * @param vtcr The register value.
 * @param extra_features TDP_FEAT_S2_FWB and/or TDP_FEAT_S2_XNX, or 0.
 * @param cfg Receives the configuration.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer or other feature bits;
 *         -TDP_ERR_FORMAT for a reserved TG0 or PS encoding, a T0SZ, SL0
 *         or SL2 the granule does not allow, or any combination
 *         tdp_format_init() rejects.
 * @note Thread-safe.
 */
TDP_API int tdp_s2_parse_vtcr(uint64_t vtcr, uint32_t extra_features,
			      struct tdp_format_config *cfg);

/**
 * @brief Compute VTTBR_EL2 from a root address and a VMID.
 * @param fmt The resolved stage-2 format of the table.
 * @param root_pa Physical address of the root (all concatenated pages);
 *        aligned to fmt->root_align.
 * @param vmid The VMID.
 * @param flags 0 or TDP_S2_VTCR_VMID16 (VMIDs above 255 need it).
 * @param vttbr Receives the value.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, unknown flag, or a VMID
 *         wider than allowed; -TDP_ERR_FORMAT if @p fmt is not stage 2;
 *         -TDP_ERR_ALIGN for a misaligned root; -TDP_ERR_RANGE for a root
 *         at or above 2^pa_bits.
 * @note Thread-safe.
 */
TDP_API int tdp_s2_make_vttbr(const struct tdp_format *fmt, uint64_t root_pa,
			      uint16_t vmid, uint32_t flags, uint64_t *vttbr);

/**
 * @brief Split a VTTBR_EL2 value into root address and VMID.
 * @param fmt The resolved stage-2 format in use (for the address layout).
 * @param vttbr The register value.
 * @param root_pa Receives the root's physical address.
 * @param vmid Receives the VMID (all 16 bits of the field); may be NULL.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer; -TDP_ERR_FORMAT if @p fmt
 *         is not stage 2; -TDP_ERR_ALIGN if the root address is not aligned
 *         as the format requires.
 * @note Thread-safe.
 */
TDP_API int tdp_s2_parse_vttbr(const struct tdp_format *fmt, uint64_t vttbr,
			       uint64_t *root_pa, uint16_t *vmid);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_ARM64_H */

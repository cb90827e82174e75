/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * arm64 VMSAv8-64 stage-2 translation-table descriptors and the VTCR_EL2 /
 * VTTBR_EL2 fields: every field named once (Arm ARM, "VMSAv8-64 translation
 * table format descriptors", stage 2 attributes). Private to libtdp.
 */
#ifndef LIBTDP_ARCH_ARM64_S2_H
#define LIBTDP_ARCH_ARM64_S2_H

#include "../../src/internal.h"

/* bits[1:0]: 0b11 table (levels 0-2) or page (level 3), 0b01 block. */
#define S2_VALID TDP_BIT(0)
#define S2_TABLE_OR_PAGE TDP_BIT(1)
/* Lower attributes of block and page descriptors. */
#define S2_MEMATTR TDP_GENMASK(5, 2)
#define S2AP_R TDP_BIT(6)
#define S2AP_W TDP_BIT(7)
/* Shareability; with LPA2 these bits hold OA[51:50] instead. */
#define S2_SH TDP_GENMASK(9, 8)
#define S2_AF TDP_BIT(10)
/*
 * An invalid descriptor (S2_VALID clear): the hardware ignores bits 63:1,
 * which software may use. libtdp's marker of an entry under
 * break-before-make in shared mode (see tdp_format_ops::bbm_lock).
 */
#define S2_INVALID_BBM_LOCK TDP_BIT(10)
/* Upper attributes. */
#define S2_DBM TDP_BIT(51)
#define S2_CONTIGUOUS TDP_BIT(52)
/* XN[1:0]; without FEAT_XNX only XN[1] (bit 54) exists. */
#define S2_XN TDP_GENMASK(54, 53)
#define S2_XN1 TDP_BIT(54)
#define S2_SW TDP_GENMASK(58, 55)

/* XN[1:0] with FEAT_XNX: which exception levels may execute. */
#define S2_XN_EL1_EL0 0u /* both */
#define S2_XN_EL0_ONLY 1u
#define S2_XN_NONE 2u
#define S2_XN_EL1_ONLY 3u

/* MemAttr[3:0] without FWB: outer in [3:2], inner in [1:0] for Normal. */
#define S2_MT_DEV_NGNRNE 0x0u
#define S2_MT_DEV_NGNRE 0x1u
#define S2_MT_DEV_NGRE 0x2u
#define S2_MT_DEV_GRE 0x3u
#define S2_MT_NORMAL_NC 0x5u
#define S2_MT_NORMAL_WT 0xau
#define S2_MT_NORMAL_WB 0xfu
/* With FWB (HCR_EL2.FWB = 1): MemAttr[2] = 1 selects Normal. */
#define S2_FWB_MT_NORMAL_NC 0x5u
#define S2_FWB_MT_NORMAL_WB 0x6u
#define S2_FWB_MT_NORMAL_S1 0x7u /* use the stage-1 attributes */

/* Output address: bits 47:granule; LPA2 extends it to 49 with 51:50 in
 * bits 9:8; 64 KiB with FEAT_LPA keeps 51:48 in bits 15:12. */
#define S2_OA_LPA2_HI_SRC 8
#define S2_OA_LPA2_HI_DST 50
#define S2_OA_LPA_HI_SRC 12
#define S2_OA_LPA_HI_DST 48

/* VTCR_EL2. */
#define VTCR_T0SZ TDP_GENMASK(5, 0)
#define VTCR_SL0 TDP_GENMASK(7, 6)
#define VTCR_IRGN0 TDP_GENMASK(9, 8)
#define VTCR_ORGN0 TDP_GENMASK(11, 10)
#define VTCR_SH0 TDP_GENMASK(13, 12)
#define VTCR_TG0 TDP_GENMASK(15, 14)
#define VTCR_PS TDP_GENMASK(18, 16)
#define VTCR_VS TDP_BIT(19)
#define VTCR_HA TDP_BIT(21)
#define VTCR_HD TDP_BIT(22)
#define VTCR_RES1 TDP_BIT(31)
#define VTCR_DS TDP_BIT(32)
#define VTCR_SL2 TDP_BIT(33)

#define VTCR_TG0_4K 0u
#define VTCR_TG0_64K 1u
#define VTCR_TG0_16K 2u

/* VTTBR_EL2. */
#define VTTBR_CNP TDP_BIT(0)
#define VTTBR_BADDR TDP_GENMASK(47, 1)
#define VTTBR_BADDR_HI TDP_GENMASK(5, 2) /* PA[51:48] with 52-bit PAs */
#define VTTBR_VMID TDP_GENMASK(63, 48)

#endif /* LIBTDP_ARCH_ARM64_S2_H */

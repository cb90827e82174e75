/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Intel sub-page write permissions (SPP): SPPT entries and the SPPTP, every
 * field named once (Intel SDM / ISE, "Sub-Page Write Permissions"). Private.
 */
#ifndef LIBTDP_ARCH_X86_SPP_H
#define LIBTDP_ARCH_X86_SPP_H

#include "../../src/internal.h"

/* Non-leaf SPPTEs (L4E, L3E, L2E): valid bit, next-table address. */
#define SPPT_VALID TDP_BIT(0)
/* Bits 11:1 and 63:52 of a non-leaf SPPTE are reserved. */
#define SPPT_TABLE_RSVD (TDP_GENMASK(11, 1) | TDP_GENMASK(63, 52))
/*
 * Leaf SPPTE (L1E): bit 2i allows writes to the i-th 128-byte sub-page of
 * the 4 KiB page; the odd bits are reserved. There is no present bit.
 */
#define SPPT_LEAF_WRITE_BITS 0x5555555555555555ull
#define SPPT_LEAF_RSVD 0xaaaaaaaaaaaaaaaaull
/* The SPPT has four levels whatever the EPT has: GPA bits 47:12. */
#define SPPT_LEVELS 4
#define SPPT_IA_BITS 48
/* SPPTP: the root's 4 KiB-aligned physical address; bits 11:0 reserved. */
#define SPPTP_RSVD_LOW TDP_GENMASK(11, 0)

#endif /* LIBTDP_ARCH_X86_SPP_H */

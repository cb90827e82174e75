/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * x86 4- and 5-level paging entries (IA-32e; also the AMD NPT format): every
 * field named once (Intel SDM vol. 3A, "4-Level Paging and 5-Level
 * Paging"). Private to libtdp.
 */
#ifndef LIBTDP_ARCH_X86_IA32E_H
#define LIBTDP_ARCH_X86_IA32E_H

#include "../../src/internal.h"

#define X86_P TDP_BIT(0)
#define X86_RW TDP_BIT(1)
#define X86_US TDP_BIT(2)
#define X86_PWT TDP_BIT(3)
#define X86_PCD TDP_BIT(4)
#define X86_A TDP_BIT(5)
#define X86_D TDP_BIT(6)
/* Maps a page in a PDE/PDPTE; reserved in PML4E/PML5E; PAT in a PTE. */
#define X86_PS TDP_BIT(7)
#define X86_PTE_PAT TDP_BIT(7)
#define X86_G TDP_BIT(8)
#define X86_SW_LOW TDP_GENMASK(11, 9)
/* PAT of a 2 MiB or 1 GiB leaf: bit 12, below the page-aligned address. */
#define X86_LARGE_PAT TDP_BIT(12)
#define X86_ADDR TDP_GENMASK(51, 12)
#define X86_SW_HIGH TDP_GENMASK(58, 52)
/* Protection key of a leaf (with CR4.PKE/PKS; otherwise ignored bits). */
#define X86_PKEY TDP_GENMASK(62, 59)
#define X86_XD TDP_BIT(63)

#endif /* LIBTDP_ARCH_X86_IA32E_H */

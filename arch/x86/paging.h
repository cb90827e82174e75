/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * x86 paging-structure entries -- 4- and 5-level paging (IA-32e; also the
 * AMD NPT format), PAE paging and 32-bit paging: every field named once
 * (Intel SDM vol. 3A, chapter "Paging"). Private to libtdp.
 */
#ifndef LIBTDP_ARCH_X86_PAGING_H
#define LIBTDP_ARCH_X86_PAGING_H

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

/*
 * PAE PDPTEs are loaded into registers, not walked like other entries:
 * only P, PWT, PCD, the ignored bits 11:9 and the address may be set; R/W,
 * U/S (2:1), bits 8:5 and everything above the address, XD included, are
 * reserved.
 */
#define PAE_PDPTE_RSVD (TDP_GENMASK(2, 1) | TDP_GENMASK(8, 5))
/* PAE PDEs and PTEs: bits 62:52 are reserved, not ignored as in IA-32e. */
#define PAE_HIGH_RSVD TDP_GENMASK(62, 52)

/* 32-bit paging, 4 MiB page: PA[39:32] in bits 20:13 (PSE-36 and beyond),
 * bit 21 reserved. */
#define LEGACY_PSE_HI_SRC 13
#define LEGACY_PSE_HI_DST 32
#define LEGACY_PSE_RSVD TDP_GENMASK(21, 13)
#define LEGACY_ADDR TDP_GENMASK(31, 12)

#endif /* LIBTDP_ARCH_X86_PAGING_H */

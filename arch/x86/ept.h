/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Intel EPT paging-structure entries and the EPT pointer: every field named
 * once (Intel SDM vol. 3C, "EPT Translation Mechanism" and "Extended-Page-
 * Table Pointer"). Private to libtdp.
 */
#ifndef LIBTDP_ARCH_X86_EPT_H
#define LIBTDP_ARCH_X86_EPT_H

#include "../../src/internal.h"

/* Entries: bits 2:0 grant read, write and (supervisor) execute. */
#define EPT_R TDP_BIT(0)
#define EPT_W TDP_BIT(1)
#define EPT_X TDP_BIT(2)
#define EPT_XWR TDP_GENMASK(2, 0)
/* Leaves: memory type (0 UC, 1 WC, 4 WT, 5 WP, 6 WB) and ignore-PAT. */
#define EPT_MEMTYPE TDP_GENMASK(5, 3)
#define EPT_IPAT TDP_BIT(6)
/* Non-leaf entries reserve bits 6:3 (they carry no memory type). */
#define EPT_TABLE_RSVD TDP_GENMASK(6, 3)
/* Bit 7: maps a page (PDE, PDPTE); reserved in PML4E/PML5E; ignored in PTEs. */
#define EPT_PAGE_SIZE TDP_BIT(7)
#define EPT_ACCESSED TDP_BIT(8)
#define EPT_DIRTY TDP_BIT(9)
/* User-mode execute, with mode-based execute control. */
#define EPT_XU TDP_BIT(10)
#define EPT_SW_LOW TDP_BIT(11)
#define EPT_SW_HIGH TDP_GENMASK(56, 52)
#define EPT_ADDR TDP_GENMASK(51, 12)
#define EPT_VERIFY_GUEST_PAGING TDP_BIT(57)
#define EPT_PAGING_WRITE TDP_BIT(58)
#define EPT_SUPERVISOR_SHADOW_STACK TDP_BIT(60)
/* Sub-page write permissions apply (4 KiB leaves, with SPP enabled). */
#define EPT_SPP TDP_BIT(61)
#define EPT_SUPPRESS_VE TDP_BIT(63)

/* Memory-type encodings used in leaves and in the EPTP. */
#define EPT_MT_UC 0
#define EPT_MT_WC 1
#define EPT_MT_WT 4
#define EPT_MT_WP 5
#define EPT_MT_WB 6

/* EPT pointer. */
#define EPTP_MEMTYPE TDP_GENMASK(2, 0)
#define EPTP_WALK_LENGTH TDP_GENMASK(5, 3) /* levels - 1 */
#define EPTP_AD TDP_BIT(6)
#define EPTP_SSS TDP_BIT(7)
#define EPTP_RSVD TDP_GENMASK(11, 8)

#endif /* LIBTDP_ARCH_X86_EPT_H */

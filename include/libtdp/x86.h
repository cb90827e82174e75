/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file x86.h
 * @brief x86 register helpers: the EPT pointer (EPTP).
 *
 * Builds and parses the VMCS EPT-pointer field as the Intel SDM defines it:
 * bits 2:0 memory type of paging-structure accesses (0 = UC, 6 = WB),
 * bits 5:3 page-walk length minus one (3 = 4-level, 4 = 5-level), bit 6
 * enables accessed/dirty flags, bit 7 enables supervisor shadow-stack
 * control, bits 11:8 are reserved, bits N-1:12 hold the root's physical
 * address (N = MAXPHYADDR, at most 52) and bits 63:N are reserved.
 */
#ifndef LIBTDP_X86_H
#define LIBTDP_X86_H

#include <libtdp/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The fields of an EPT pointer. */
struct tdp_eptp {
	/** Physical address of the PML4 or PML5 table; 4 KiB aligned. */
	uint64_t root_pa;
	/**
	 * ::tdp_memtype of paging-structure accesses: TDP_MT_UC or TDP_MT_WB.
	 */
	uint8_t memtype;
	uint8_t levels;   /**< Page-walk length: 4 or 5. */
	bool ad;          /**< Accessed and dirty flags enabled. */
	bool sss;         /**< Supervisor shadow-stack control enabled (bit 7). */
};

/**
 * @brief Build an EPTP value.
 * @param in The fields.
 * @param pa_bits MAXPHYADDR: the root must lie below 2^pa_bits (32..52).
 * @param eptp Receives the value.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, a memory type other than UC
 *         or WB, a walk length other than 4 or 5, or @p pa_bits outside
 *         32..52; -TDP_ERR_ALIGN if the root is not 4 KiB aligned;
 *         -TDP_ERR_RANGE if the root is at or above 2^pa_bits.
 * @note Thread-safe.
 */
TDP_API int tdp_eptp_make(const struct tdp_eptp *in, unsigned int pa_bits,
			  uint64_t *eptp);

/**
 * @brief Parse an EPTP value, rejecting what VM entry would reject.
 * @param eptp The value.
 * @param pa_bits MAXPHYADDR (32..52).
 * @param out Receives the fields.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, @p pa_bits outside 32..52,
 *         a memory type other than 0 or 6, a walk length other than 4 or 5,
 *         or reserved bits (11:8, or 63:pa_bits) set.
 * @note Thread-safe.
 */
TDP_API int tdp_eptp_parse(uint64_t eptp, unsigned int pa_bits,
			   struct tdp_eptp *out);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_X86_H */

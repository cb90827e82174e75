/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file spp.h
 * @brief Intel SPP: sub-page write-permission tables (format "spp") and
 *        their coupling with the EPT.
 *
 * With sub-page write permissions, a write that a 4 KiB EPT leaf with bit
 * 61 (SPP) set and write permission clear would deny is allowed when the
 * 128-byte sub-page's bit is set in the SPP table (SPPT). The SPPT is a
 * 4-level table indexed by guest-physical address like EPT; its leaves hold
 * 32 write-permission bits, sub-page i at bit 2i (odd bits reserved).
 *
 * @par 5-level EPT
 * The SPPT always has four levels, so it can only index guest-physical
 * addresses below 2^48, whatever the EPT's page-walk length: SPP is
 * available for those frames with 5-level EPT too, and every function here
 * rejects frames at or above 2^48 with -TDP_ERR_RANGE.
 *
 * @par Concurrency
 * As for tdp_map() in exclusive mode: serialise changes of the two tables.
 */
#ifndef LIBTDP_SPP_H
#define LIBTDP_SPP_H

#include <libtdp/map.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Spread a 32-bit sub-page write bitmap to a leaf SPPTE (bit i to
 *        bit 2i), with a plain loop: the reference form.
 * @param bitmap Bit i allows writes to bytes 128i .. 128i + 127.
 * @return The leaf SPPTE.
 */
TDP_API uint64_t tdp_spp_bitmap_to_spte_loop(uint32_t bitmap);

/**
 * @brief Spread a 32-bit sub-page write bitmap to a leaf SPPTE, branch-free
 *        (the same result as tdp_spp_bitmap_to_spte_loop()).
 * @param bitmap Bit i allows writes to bytes 128i .. 128i + 127.
 * @return The leaf SPPTE.
 */
TDP_API uint64_t tdp_spp_bitmap_to_spte(uint32_t bitmap);

/**
 * @brief Gather a leaf SPPTE back into a 32-bit bitmap.
 * @param spte The leaf SPPTE.
 * @param bitmap Receives the bitmap.
 * @return 0; -TDP_ERR_INVAL for a NULL @p bitmap; -TDP_ERR_BADTABLE if a
 *         reserved (odd) bit is set, which the CPU treats as an SPPT
 *         misconfiguration (then @p bitmap is not written).
 */
TDP_API int tdp_spp_spte_to_bitmap(uint64_t spte, uint32_t *bitmap);

/**
 * @brief Build an SPPTP value (the VMCS field that points at the SPPT).
 * @param root_pa The SPPT root; 4 KiB aligned.
 * @param pa_bits MAXPHYADDR (32..52).
 * @param spptp Receives the value.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer or @p pa_bits outside
 *         32..52; -TDP_ERR_ALIGN for a misaligned root; -TDP_ERR_RANGE for a
 *         root at or above 2^pa_bits.
 */
TDP_API int tdp_spptp_make(uint64_t root_pa, unsigned int pa_bits,
			   uint64_t *spptp);

/**
 * @brief Parse an SPPTP value.
 * @param spptp The value.
 * @param pa_bits MAXPHYADDR (32..52).
 * @param root_pa Receives the root address.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, @p pa_bits outside 32..52,
 *         or reserved bits (11:0, or at and above pa_bits) set.
 */
TDP_API int tdp_spptp_parse(uint64_t spptp, unsigned int pa_bits,
			    uint64_t *root_pa);

/**
 * @brief Set the sub-page write bitmap of every 4 KiB frame in
 *        [@p gpa, @p gpa + @p size) in an SPPT (creating entries).
 * @param sppt A table of format TDP_FMT_SPP.
 * @param gpa First guest-physical address; 4 KiB aligned.
 * @param size Bytes; a non-zero multiple of 4 KiB.
 * @param bitmap The write bitmap for each frame.
 * @param res A reservation for new SPPT tables, or NULL.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer, zero size or a table that
 *         is not an SPPT; -TDP_ERR_ALIGN for misaligned @p gpa or @p size;
 *         -TDP_ERR_RANGE beyond 2^48; -TDP_ERR_BADTABLE for a malformed
 *         SPPT entry in the way; -TDP_ERR_NOMEM (nothing changed).
 */
TDP_API int tdp_spp_set(struct tdp_pgt *sppt, uint64_t gpa, uint64_t size,
			uint32_t bitmap, struct tdp_reserve *res);

/**
 * @brief Read the sub-page write bitmap of one frame.
 * @param sppt A table of format TDP_FMT_SPP.
 * @param gpa Any address in the frame.
 * @param bitmap Receives the bitmap.
 * @return 0; -TDP_ERR_INVAL for a NULL pointer or a table that is not an
 *         SPPT; -TDP_ERR_RANGE beyond 2^48; -TDP_ERR_NOENT if the SPPT has
 *         no entry for the frame (an SPPT miss); -TDP_ERR_BADTABLE for a
 *         misconfigured entry.
 */
TDP_API int tdp_spp_get(const struct tdp_pgt *sppt, uint64_t gpa,
			uint32_t *bitmap);

/**
 * @brief Remove the SPPT entries of [@p gpa, @p gpa + @p size) (frees
 *        emptied tables).
 * @param sppt A table of format TDP_FMT_SPP.
 * @param gpa First address; 4 KiB aligned.
 * @param size Bytes; a non-zero multiple of 4 KiB.
 * @return 0 or the errors of tdp_unmap().
 */
TDP_API int tdp_spp_clear(struct tdp_pgt *sppt, uint64_t gpa, uint64_t size);

/**
 * @brief Sub-page-protect one guest frame: write its bitmap into the SPPT
 *        and mark its EPT leaf (SPP bit 61 set, write cleared), as one
 *        operation.
 *
 * A 2 MiB or 1 GiB EPT leaf over the frame is split first (the rest keeps
 * its mapping). The SPPT entry is written before the EPT leaf points the
 * CPU at it; if the EPT step fails, the SPPT entry is restored, so the two
 * tables never disagree. The EPT's TLB hooks are called as for tdp_map().
 *
 * @param ept An EPT table (ept4 or ept5) with TDP_FEAT_EPT_SPP.
 * @param sppt The SPPT.
 * @param gpa The frame; 4 KiB aligned, below 2^48.
 * @param bitmap The sub-page write bitmap.
 * @return 0; -TDP_ERR_INVAL for NULL or mismatched tables (not EPT with
 *         SPP, not an SPPT); -TDP_ERR_ALIGN; -TDP_ERR_RANGE at or above
 *         2^48; -TDP_ERR_NOENT if the EPT does not map the frame;
 *         -TDP_ERR_NOMEM (nothing changed).
 */
TDP_API int tdp_spp_protect(struct tdp_pgt *ept, struct tdp_pgt *sppt,
			    uint64_t gpa, uint32_t bitmap);

/**
 * @brief Undo tdp_spp_protect(): clear the EPT leaf's SPP bit, give it
 *        write permission back, and remove the frame's SPPT entry.
 * @param ept The EPT table.
 * @param sppt The SPPT.
 * @param gpa The frame; 4 KiB aligned, below 2^48.
 * @return 0; the argument errors of tdp_spp_protect(); -TDP_ERR_NOENT if
 *         the frame is not sub-page protected.
 */
TDP_API int tdp_spp_unprotect(struct tdp_pgt *ept, struct tdp_pgt *sppt,
			      uint64_t gpa);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_SPP_H */

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file common.h
 * @brief Export macro, version, and the one error model of libtdp.
 *
 * Every libtdp function that can fail returns an @c int: zero (or a
 * non-negative value where documented) on success, and the negative of one
 * of the ::tdp_error codes on failure. tdp_strerror() names a code. A
 * function that fails because of bad input changes nothing.
 *
 * This header, like every public libtdp header, includes only the
 * freestanding headers <stdint.h>, <stddef.h> and <stdbool.h>.
 */
#ifndef LIBTDP_COMMON_H
#define LIBTDP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Marks a declaration as part of libtdp's exported ABI.
 *
 * The library is built with hidden visibility; only declarations carrying
 * this macro (and listed in the linker version script) are exported.
 */
#if defined(__GNUC__) || defined(__clang__)
#define TDP_API __attribute__((visibility("default")))
#else
#define TDP_API
#endif

/** @brief Major version: changes when the ABI breaks (also the SOVERSION). */
#define TDP_VERSION_MAJOR 0
/** @brief Minor version: changes when functions are added. */
#define TDP_VERSION_MINOR 3
/** @brief Patch version: changes for fixes only. */
#define TDP_VERSION_PATCH 1
/** @brief The version as one number, (major << 16) | (minor << 8) | patch. */
#define TDP_VERSION_NUMBER                                                    \
	((TDP_VERSION_MAJOR << 16) | (TDP_VERSION_MINOR << 8) | TDP_VERSION_PATCH)

/**
 * @brief Error codes. Functions return their negative (e.g. -TDP_ERR_INVAL).
 *
 * Values are explicit and never reused, so they are stable across versions.
 */
enum tdp_error {
	/** Success. */
	TDP_OK = 0,
	/** An argument is invalid: a NULL pointer, an unknown flag or value. */
	TDP_ERR_INVAL = 1,
	/** An address, size or pointer is not aligned as required. */
	TDP_ERR_ALIGN = 2,
	/**
	 * An address is out of range: beyond the format's input or output
	 * width, outside the memory backend, or addr + size wraps around.
	 */
	TDP_ERR_RANGE = 3,
	/**
	 * Unknown format, or a configuration the architecture does not allow.
	 */
	TDP_ERR_FORMAT = 4,
	/** A table page could not be allocated. */
	TDP_ERR_NOMEM = 5,
	/** A mapping already exists where the operation would create one. */
	TDP_ERR_EXIST = 6,
	/** Nothing is mapped where the operation needs a mapping. */
	TDP_ERR_NOENT = 7,
	/** The translation faulted; the result structure says why and where. */
	TDP_ERR_FAULT = 8,
	/**
	 * A table is corrupt: an entry has reserved bits set, or points
	 * outside the memory the backend can translate.
	 */
	TDP_ERR_BADTABLE = 9,
	/** A concurrent update won a race; the caller may retry. */
	TDP_ERR_AGAIN = 10,
	/**
	 * The request is valid but this format or configuration cannot express
	 * it.
	 */
	TDP_ERR_NOTSUP = 11,
	/**
	 * An internal invariant does not hold (a libtdp bug or memory
	 * corruption).
	 */
	TDP_ERR_INTERNAL = 12,
	/** One past the highest error code. */
	TDP_ERR_MAX = 13
};

/**
 * @brief Describes an error code in a short English phrase.
 *
 * @param err An error code, negative (as returned) or positive; 0 is success.
 * @return A static, NUL-terminated string; never NULL. Unknown codes give
 *         "unknown error".
 * @note Thread-safe; no state.
 */
TDP_API const char *tdp_strerror(int err);

/**
 * @brief The library's version at run time.
 * @return TDP_VERSION_NUMBER of the library that is linked.
 * @note Thread-safe; no state.
 */
TDP_API uint32_t tdp_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBTDP_COMMON_H */

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
#include "internal.h"

static const char *const tdp_error_text[TDP_ERR_MAX] = {
	[TDP_OK] = "success",
	[TDP_ERR_INVAL] = "invalid argument",
	[TDP_ERR_ALIGN] = "misaligned address or size",
	[TDP_ERR_RANGE] = "address out of range",
	[TDP_ERR_FORMAT] = "unknown format or unsupported configuration",
	[TDP_ERR_NOMEM] = "out of table memory",
	[TDP_ERR_EXIST] = "mapping already exists",
	[TDP_ERR_NOENT] = "nothing mapped",
	[TDP_ERR_FAULT] = "translation fault",
	[TDP_ERR_BADTABLE] = "corrupt translation table",
	[TDP_ERR_AGAIN] = "lost a race with a concurrent update",
	[TDP_ERR_NOTSUP] = "not supported by this format",
	[TDP_ERR_INTERNAL] = "internal error",
};

const char *tdp_strerror(int err)
{
	unsigned int code = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;

	if (code >= TDP_ERR_MAX)
		return "unknown error";
	return tdp_error_text[code];
}

uint32_t tdp_version(void)
{
	return TDP_VERSION_NUMBER;
}

static const char *const tdp_fault_text[] = {
	[TDP_FAULT_NONE] = "none",
	[TDP_FAULT_NOT_PRESENT] = "not-present",
	[TDP_FAULT_RESERVED] = "reserved",
	[TDP_FAULT_MISCONFIG] = "misconfig",
	[TDP_FAULT_PERMISSION] = "permission",
	[TDP_FAULT_ACCESS_FLAG] = "access-flag",
	[TDP_FAULT_ADDRESS_SIZE] = "address-size",
	[TDP_FAULT_NON_CANONICAL] = "non-canonical",
	[TDP_FAULT_BAD_POINTER] = "out-of-memory-image",
};

const char *tdp_fault_name(int fault)
{
	if (fault < 0 || (unsigned int)fault >= TDP_ARRAY_SIZE(tdp_fault_text))
		return "unknown";
	return tdp_fault_text[fault];
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * A program built against libtdp found through find_package(libtdp) (or
 * added with add_subdirectory): it makes an empty EPT table in a simulated
 * pool and checks that an address nothing maps faults as not-present.
 */
#include <inttypes.h>
#include <stdio.h>

#include <libtdp/tdp.h>

#define POOL_BYTES (16 * 4096u)
#define POOL_BASE_PA 0x100000u
#define PROBE_GPA 0x40201000u

int main(void)
{
	struct tdp_format_config cfg = { .format = TDP_FMT_EPT4 };
	struct tdp_pool *pool;
	struct tdp_lookup res;
	struct tdp_pgt pgt;
	struct tdp_mm mm;
	int ret, status = 1;

	ret = tdp_pool_create(POOL_BYTES, POOL_BASE_PA, &pool);
	if (ret) {
		fprintf(stderr, "tdp_pool_create: %s\n", tdp_strerror(ret));
		return 1;
	}
	mm = tdp_pool_mm(pool);
	ret = tdp_pgt_init(&pgt, &cfg, &mm);
	if (ret) {
		fprintf(stderr, "tdp_pgt_init: %s\n", tdp_strerror(ret));
		goto out_pool;
	}

	/* The table is empty, so the walk must stop at the root entry. */
	ret = tdp_lookup(&pgt, PROBE_GPA, &res);
	if (ret != -TDP_ERR_FAULT || res.fault != TDP_FAULT_NOT_PRESENT) {
		fprintf(stderr, "tdp_lookup: got %d (%s), fault %s\n", ret,
			tdp_strerror(ret), tdp_fault_name((int)res.fault));
		goto out_pgt;
	}
	printf("cmake-consumer: libtdp %u.%u.%u, %s GPA 0x%" PRIx64
	       " -> %s (%s)\n",
	       (unsigned int)(tdp_version() >> 16),
	       (unsigned int)(tdp_version() >> 8) & 0xffu,
	       (unsigned int)tdp_version() & 0xffu,
	       tdp_format_name(cfg.format), (uint64_t)PROBE_GPA,
	       tdp_fault_name((int)res.fault), tdp_strerror(ret));
	status = 0;
out_pgt:
	tdp_pgt_destroy(&pgt);
out_pool:
	tdp_pool_destroy(pool);
	return status;
}

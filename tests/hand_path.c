/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* One x86 walk built by hand for the format tests; see hand_path.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <libtdp/tdp.h>

#include "hand_path.h"

const uint64_t table_page[5] = {
	0x1a3000, 0x117000, 0x1f0000, 0x105000, 0x1c8000,
};

int env_setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));
	int level;

	if (!env || tdp_pool_create(POOL_SIZE, POOL_BASE, &env->pool))
		return -1;
	for (level = 0; level < 5; level++)
		if (tdp_pool_claim(env->pool, table_page[level], 4096))
			return -1;
	env->mm = tdp_pool_mm(env->pool);
	mismatches = 0;
	*state = env;
	return 0;
}

int env_teardown(void **state)
{
	struct env *env = *state;

	tdp_pool_destroy(env->pool);
	free(env);
	return 0;
}

unsigned int sdm_index(uint64_t addr, int level)
{
	return (unsigned int)((addr >> (12 + 9 * level)) & 0x1ff);
}

int root_level_of(uint32_t format)
{
	return format == TDP_FMT_EPT5 || format == TDP_FMT_IA32E5 ? 4 : 3;
}

void entry_write(struct env *env, uint64_t table_pa, unsigned int index,
		 uint64_t val)
{
	uint64_t *slot = tdp_pool_phys_to_virt(env->pool,
					       table_pa + 8ull * index, 8);

	assert_non_null(slot);
	*slot = val;
}

void build_path(struct env *env, int root_level, uint64_t addr, int stop,
		const uint64_t *table_bits, uint64_t raw, struct path *p)
{
	int level;

	for (level = 0; level < 5; level++)
		memset(tdp_pool_phys_to_virt(env->pool, table_page[level],
					     4096), 0, 4096);
	memset(p, 0, sizeof(*p));
	for (level = root_level; level >= stop; level--) {
		uint64_t bits = table_bits && table_bits[level] ?
				table_bits[level] : 0x7;
		uint64_t val = level == stop ? raw :
			       table_page[level - 1] | bits;

		p->entry[level] = val;
		p->entry_pa[level] = table_page[level] +
				     8ull * sdm_index(addr, level);
		entry_write(env, table_page[level], sdm_index(addr, level),
			    val);
	}
}

void attach(struct env *env, struct tdp_pgt *pgt, uint32_t format,
	    uint32_t features, uint8_t pa_bits)
{
	struct tdp_format_config cfg = {
		.format = format, .features = features, .pa_bits = pa_bits,
	};

	assert_int_equal(tdp_pgt_init_at(pgt, &cfg, &env->mm,
					 table_page[root_level_of(format)]),
			 0);
}

void init_fmt(struct tdp_format *fmt, uint32_t format, uint32_t features,
	      uint8_t pa_bits)
{
	struct tdp_format_config cfg = {
		.format = format, .features = features, .pa_bits = pa_bits,
	};

	assert_int_equal(tdp_format_init(fmt, &cfg), 0);
}

void expect_path(const char *where, const struct tdp_lookup *res,
		 const struct path *p, int root_level, int last_level)
{
	int level;

	EXPECT_EQ(where, res->root_level, root_level);
	EXPECT_EQ(where, res->last_level, last_level);
	for (level = root_level; level >= last_level && level >= 0; level--) {
		EXPECT_EQ(where, res->entry[level], p->entry[level]);
		EXPECT_EQ(where, res->entry_pa[level], p->entry_pa[level]);
	}
}

void expect_malformed(struct env *env, const struct bad_case *c,
		      uint64_t addr, uint32_t fault)
{
	int root = root_level_of(c->format);
	struct tdp_format fmt;
	struct tdp_lookup res;
	struct tdp_pgt pgt;
	struct path p;
	uint32_t got_fault = 0xff;
	int ret;

	init_fmt(&fmt, c->format, c->features, c->pa_bits);
	EXPECT_EQ(c->name, tdp_entry_classify(&fmt, c->level, c->raw),
		  TDP_ENTRY_RESERVED);
	EXPECT_EQ(c->name,
		  tdp_entry_decode_leaf(&fmt, c->level, c->raw, NULL, NULL),
		  -TDP_ERR_NOENT);

	build_path(env, root, addr, c->level, NULL, c->raw, &p);
	attach(env, &pgt, c->format, c->features, c->pa_bits);
	memset(&res, 0xa5, sizeof(res));
	ret = tdp_lookup(&pgt, addr, &res);
	EXPECT_EQ(c->name, ret, -TDP_ERR_FAULT);
	EXPECT_EQ(c->name, res.addr, addr);
	EXPECT_EQ(c->name, res.fault, fault);
	EXPECT_EQ(c->name, res.fault_level, c->level);
	EXPECT_EQ(c->name, res.fault_detail, c->detail);
	expect_path(c->name, &res, &p, root, c->level);
	EXPECT_EQ(c->name,
		  tdp_translate(&pgt, addr, TDP_ACCESS_READ, NULL, &got_fault),
		  -TDP_ERR_FAULT);
	EXPECT_EQ(c->name, got_fault, fault);
}

void expect_encodings(const struct enc_case *cases, unsigned int n,
		      uint32_t format, const struct tdp_attrs *attrs)
{
	const uint64_t sentinel = 0xdeadbeefcafef00dull;
	const uint64_t pa = 0x12345000;
	struct tdp_format fmt;
	uint64_t raw;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct enc_case *c = &cases[i];

		init_fmt(&fmt, c->format, c->features, c->pa_bits);
		raw = sentinel;
		EXPECT_EQ(c->name,
			  tdp_entry_encode_leaf(&fmt, c->level, c->pa,
						&c->attrs, &raw),
			  c->ret);
		EXPECT_EQ(c->name, raw, c->ret ? sentinel : c->raw);
	}
	init_fmt(&fmt, format, 0, 0);
	raw = sentinel;
	assert_int_equal(tdp_entry_encode_leaf(NULL, 0, pa, attrs, &raw),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_entry_encode_leaf(&fmt, 0, pa, NULL, &raw),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_entry_encode_leaf(&fmt, 0, pa, attrs, NULL),
			 -TDP_ERR_INVAL);
	assert_int_equal(raw, sentinel);
}

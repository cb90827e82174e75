/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Shadow paging: roles of shadow roots for every guest paging mode, child
 * role derivation with 4-byte-gpte quadrants, the guest entries a shadow
 * page covers, role equality and hashing, and the PAE root allocator.
 *
 * Expected role words are assembled here from the TDP_ROLE_* masks; the
 * guest entries a shadow page must cover are computed from a guest linear
 * address the way the CPU indexes 32-bit and PAE tables (SDM vol. 3A,
 * "32-Bit Paging", "PAE Paging"), independently of the library's span
 * arithmetic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtdp/tdp.h>

#define K4 0x1000ull

#define LVL(l) ((uint32_t)(l))
#define QUAD(q) ((uint32_t)(q) << 5)
#define ACCESS(a) ((uint32_t)(a) << 8)
#define SMM(s) ((uint32_t)(s) << 24)
/* Fields a child does not inherit from its parent. */
#define CHILD_OWN                                                             \
	(TDP_ROLE_LEVEL | TDP_ROLE_QUADRANT | TDP_ROLE_DIRECT |               \
	 TDP_ROLE_ACCESS | TDP_ROLE_ROOT)

enum mode_kind { M_OFF, M_32, M_PAE, M_64, M_LA57, M_KINDS };

static struct tdp_guest_mode make_mode(enum mode_kind k)
{
	struct tdp_guest_mode m;

	memset(&m, 0, sizeof(m));
	m.paging = k != M_OFF;
	m.pae = k == M_PAE || k == M_64 || k == M_LA57;
	m.long_mode = k == M_64 || k == M_LA57;
	m.la57 = k == M_LA57;
	m.cr3 = 0x12345678;
	return m;
}

/* --- roots ---------------------------------------------------------------- */

static void get_roots(const struct tdp_guest_mode *m,
		      struct tdp_shadow_root roots[4], unsigned int *count)
{
	memset(roots, 0, 4 * sizeof(*roots));
	*count = 0;
	assert_int_equal(tdp_role_roots(m, roots, count), 0);
}

static void test_roots_paging_off(void **state)
{
	struct tdp_guest_mode m = make_mode(M_OFF);
	struct tdp_shadow_root r[4];
	unsigned int n;

	(void)state;
	get_roots(&m, r, &n);
	assert_int_equal(n, 1);
	assert_true(r[0].valid);
	assert_int_equal(r[0].gfn, 0);
	/* level 4, direct, access 7, root, EFER.NX forced */
	assert_int_equal(r[0].role.word, 0x1f84);
	assert_int_equal(r[0].role.word,
			 LVL(4) | TDP_ROLE_DIRECT | ACCESS(7) | TDP_ROLE_ROOT |
				 TDP_ROLE_EFER_NX);
	/* CR4.PAE without CR0.PG is still unpaged. */
	m.pae = true;
	m.wp = true;
	get_roots(&m, r, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].role.word, 0x3f84);
}

static void test_roots_32bit(void **state)
{
	struct tdp_guest_mode m = make_mode(M_32);
	struct tdp_shadow_root r[4];
	unsigned int n, i;

	(void)state;
	m.wp = true;
	get_roots(&m, r, &n);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++) {
		/* Quarter i of the guest PD at CR3: level 2, 4-byte gptes. */
		assert_true(r[i].valid);
		assert_int_equal(r[i].gfn, 0x12345);
		assert_int_equal(r[i].role.word, 0x3f12 | i << 5);
		assert_int_equal(r[i].role.word,
				 LVL(2) | TDP_ROLE_GPTE4 | QUAD(i) | ACCESS(7) |
					 TDP_ROLE_ROOT | TDP_ROLE_EFER_NX |
					 TDP_ROLE_CR0_WP);
	}
}

static void test_roots_pae(void **state)
{
	struct tdp_guest_mode m = make_mode(M_PAE);
	struct tdp_shadow_root r[4];
	unsigned int n, i;

	(void)state;
	m.wp = true;
	m.nx = true;
	/* PDPTE 0 and 2 present (2 with PWT, PCD, AVL), 1 and 3 not. */
	m.pdptrs[0] = 0x00001000 | 1;
	m.pdptrs[1] = 0;
	m.pdptrs[2] = 0x789000000ull | 0xe18 | 1;
	m.pdptrs[3] = 0xabc000;
	get_roots(&m, r, &n);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(r[i].role.word, 0x3f02);
	assert_true(r[0].valid);
	assert_int_equal(r[0].gfn, 1);
	assert_false(r[1].valid);
	assert_true(r[2].valid);
	assert_int_equal(r[2].gfn, 0x789000);
	assert_false(r[3].valid);
}

static void test_roots_64bit(void **state)
{
	struct tdp_guest_mode m = make_mode(M_64);
	struct tdp_shadow_root r[4];
	unsigned int n;

	(void)state;
	/* CR3 bits 11:0 are PWT/PCD or the PCID, not address. */
	m.cr3 = 0x1234567000ull | 0x018;
	get_roots(&m, r, &n);
	assert_int_equal(n, 1);
	assert_true(r[0].valid);
	assert_int_equal(r[0].gfn, 0x1234567);
	assert_int_equal(r[0].role.word,
			 LVL(4) | ACCESS(7) | TDP_ROLE_ROOT | TDP_ROLE_EFER_NX);
	assert_int_equal(r[0].role.word, 0x1f04);

	m = make_mode(M_LA57);
	m.cr3 = 0xfedcba000ull;
	get_roots(&m, r, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].gfn, 0xfedcba);
	assert_int_equal(r[0].role.word, 0x1f05);
}

/* The guest-mode bits of every root, for every combination. */
static void test_roots_mode_bits(void **state)
{
	enum mode_kind k;
	unsigned int bits, i;

	(void)state;
	for (k = M_OFF; k < M_KINDS; k++) {
		for (bits = 0; bits < 128; bits++) {
			struct tdp_guest_mode m = make_mode(k);
			struct tdp_shadow_root r[4];
			/* EFER.NX is always set: shadow entries use NX. */
			uint32_t extra = TDP_ROLE_EFER_NX;
			unsigned int n;

			m.wp = bits & 1;
			m.nx = bits & 2;
			m.smep = bits & 4;
			m.smap = bits & 8;
			m.smm = bits & 16;
			m.guest_mode = bits & 32;
			m.ad_disabled = bits & 64;
			m.pdptrs[0] = m.pdptrs[1] = m.pdptrs[2] = m.pdptrs[3] =
				0x5000 | 1;
			if (m.wp)
				extra |= TDP_ROLE_CR0_WP;
			/* With CR0.WP = 0 supervisor writes ignore R/W, which
			 * changes what SMEP/SMAP mean for a shadow entry. */
			if (m.smep && !m.wp)
				extra |= TDP_ROLE_SMEP_ANDNOT_WP;
			if (m.smap && !m.wp)
				extra |= TDP_ROLE_SMAP_ANDNOT_WP;
			if (m.smm)
				extra |= SMM(1);
			if (m.guest_mode)
				extra |= TDP_ROLE_GUEST_MODE;
			if (m.ad_disabled)
				extra |= TDP_ROLE_AD_DISABLED;
			get_roots(&m, r, &n);
			assert_int_equal(n, k == M_32 || k == M_PAE ? 4 : 1);
			for (i = 0; i < n; i++) {
				uint32_t base = ACCESS(7) | TDP_ROLE_ROOT;

				switch (k) {
				case M_OFF:
					base |= LVL(4) | TDP_ROLE_DIRECT;
					break;
				case M_32:
					base |= LVL(2) | TDP_ROLE_GPTE4 |
						QUAD(i);
					break;
				case M_PAE:
					base |= LVL(2);
					break;
				case M_64:
					base |= LVL(4);
					break;
				default:
					base |= LVL(5);
					break;
				}
				if (r[i].role.word != (base | extra))
					fail_msg("mode %d bits 0x%x root %u: "
						 "0x%x, expected 0x%x",
						 k, bits, i, r[i].role.word,
						 base | extra);
			}
		}
	}
}

static void test_roots_invalid(void **state)
{
	struct tdp_guest_mode bad[3];
	struct tdp_guest_mode ok = make_mode(M_64);
	struct tdp_shadow_root r[4], before[4];
	unsigned int n = 99, i;

	(void)state;
	bad[0] = make_mode(M_64);
	bad[0].pae = false; /* long mode needs PAE */
	bad[1] = make_mode(M_64);
	bad[1].paging = false; /* and paging */
	bad[2] = make_mode(M_PAE);
	bad[2].la57 = true; /* LA57 needs long mode */
	memset(r, 0xa5, sizeof(r));
	memcpy(before, r, sizeof(r));
	for (i = 0; i < 3; i++) {
		assert_int_equal(tdp_role_roots(&bad[i], r, &n),
				 -TDP_ERR_INVAL);
		assert_int_equal(n, 99);
		assert_memory_equal(r, before, sizeof(r));
	}
	assert_int_equal(tdp_role_roots(NULL, r, &n), -TDP_ERR_INVAL);
	assert_int_equal(tdp_role_roots(&ok, NULL, &n), -TDP_ERR_INVAL);
	assert_int_equal(tdp_role_roots(&ok, r, NULL), -TDP_ERR_INVAL);
	assert_int_equal(n, 99);
	assert_memory_equal(r, before, sizeof(r));
}

/* --- child roles ---------------------------------------------------------- */

static struct tdp_role root_of(enum mode_kind k, unsigned int i)
{
	struct tdp_guest_mode m = make_mode(k);
	struct tdp_shadow_root r[4];
	unsigned int n;

	/* Some inherited bits set, to see them carried down. */
	m.smm = true;
	m.smep = true;
	m.guest_mode = true;
	get_roots(&m, r, &n);
	return r[i].role;
}

/* One level down: direct and access as given, not a root, the rest kept. */
static void test_child_levels(void **state)
{
	struct tdp_role parent = root_of(M_LA57, 0);
	unsigned int level, access, direct, index;
	struct tdp_role c;

	(void)state;
	assert_int_equal(parent.word,
			 0x1f05 | SMM(1) | TDP_ROLE_SMEP_ANDNOT_WP |
				 TDP_ROLE_GUEST_MODE);
	for (level = 5; level >= 2; level--) {
		uint32_t keep = parent.word & ~CHILD_OWN;

		assert_int_equal(parent.word & TDP_ROLE_LEVEL, level);
		for (direct = 0; direct < 2; direct++) {
			for (access = 0; access < 8; access++) {
				uint32_t exp = keep | LVL(level - 1) |
					       (direct ? TDP_ROLE_DIRECT : 0) |
					       ACCESS(access);

				memset(&c, 0xff, sizeof(c));
				assert_int_equal(tdp_role_child(parent, 7,
								direct, access,
								&c), 0);
				assert_int_equal(c.word, exp);
			}
		}
		/* Without 4-byte gptes the index does not matter. */
		for (index = 0; index < 512; index++) {
			assert_int_equal(tdp_role_child(parent, index, false, 5,
							&c), 0);
			assert_int_equal(c.word, keep | LVL(level - 1) |
							 ACCESS(5));
		}
		parent = c;
	}
	assert_int_equal(parent.word & TDP_ROLE_LEVEL, 1);
	assert_int_equal(parent.word & TDP_ROLE_ROOT, 0);
	/* Nothing below a level-1 page. */
	assert_int_equal(tdp_role_child(parent, 0, false, 7, &c),
			 -TDP_ERR_INVAL);
}

/* 4-byte gptes: the child of any quadrant-q root is quadrant index & 1. */
static void test_child_gpte4_quadrant(void **state)
{
	unsigned int q, index, direct;

	(void)state;
	for (q = 0; q < 4; q++) {
		struct tdp_role parent = root_of(M_32, q);
		uint32_t keep = parent.word & ~CHILD_OWN;

		assert_int_equal(parent.word & TDP_ROLE_QUADRANT, QUAD(q));
		assert_true(keep & TDP_ROLE_GPTE4);
		for (index = 0; index < 512; index++) {
			for (direct = 0; direct < 2; direct++) {
				struct tdp_role c;
				uint32_t exp = keep | LVL(1) |
					       QUAD(index & 1) |
					       (direct ? TDP_ROLE_DIRECT : 0) |
					       ACCESS(3);

				assert_int_equal(tdp_role_child(parent, index,
								direct, 3, &c),
						 0);
				if (c.word != exp)
					fail_msg("quadrant %u index %u: 0x%x, "
						 "expected 0x%x",
						 q, index, c.word, exp);
			}
		}
	}
}

static void test_child_invalid(void **state)
{
	const struct tdp_role l2 = root_of(M_PAE, 0);
	const struct tdp_role g4 = root_of(M_32, 1);
	static const struct {
		uint32_t parent;
		unsigned int index, access;
	} bad[] = {
		{ 0x3f01, 0, 7 },         /* a PTE page has no children */
		{ 0x3f00, 0, 7 },         /* level 0 does not exist */
		{ 0x3f02, 512, 7 },       /* 512 entries per table */
		{ 0x3f02, 4096, 7 },
		{ 0x3f02, UINT_MAX, 7 },
		{ 0x3f02, 0, 8 },         /* access is three bits */
		{ 0x3f02, 0, UINT_MAX },
		{ 0x3f13, 0, 7 },         /* 4-byte gptes above level 2 */
		{ 0x3f14, 0, 7 },
		{ 0x3f11, 0, 7 },         /* 4-byte gptes at level 1 */
	};
	struct tdp_role c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tdp_role p = { bad[i].parent };

		c.word = 0xdeadbeef;
		assert_int_equal(tdp_role_child(p, bad[i].index, false,
						bad[i].access, &c),
				 -TDP_ERR_INVAL);
		assert_int_equal(c.word, 0xdeadbeef);
	}
	assert_int_equal(tdp_role_child(l2, 0, false, 7, NULL), -TDP_ERR_INVAL);
	assert_int_equal(tdp_role_child(g4, 511, false, 7, &c), 0);
	assert_int_equal(tdp_role_child(g4, 512, false, 7, &c), -TDP_ERR_INVAL);
}

/* --- guest entries -------------------------------------------------------- */

static void span_of(struct tdp_role role, uint64_t gfn,
		    struct tdp_guest_span *s)
{
	memset(s, 0xee, sizeof(*s));
	assert_int_equal(tdp_role_guest_entries(role, gfn, s), 0);
}

static void test_span_8byte(void **state)
{
	struct tdp_guest_span s;
	unsigned int level;

	(void)state;
	for (level = 1; level <= 5; level++) {
		struct tdp_role r = { LVL(level) | ACCESS(7) |
				      TDP_ROLE_EFER_NX };

		span_of(r, 0x12345, &s);
		assert_int_equal(s.gpa, 0x12345000);
		assert_int_equal(s.count, 512);
		assert_int_equal(s.size, 8);
		assert_int_equal(s.ratio, 1);
	}
}

static void test_span_gpte4(void **state)
{
	struct tdp_guest_span s;
	unsigned int q;
	const uint64_t gfn = 0xabcde;

	(void)state;
	/* Level 1: half a guest PT, 512 PTEs of 4 bytes = 2 KiB each. */
	for (q = 0; q < 2; q++) {
		struct tdp_role r = { LVL(1) | TDP_ROLE_GPTE4 | QUAD(q) };

		span_of(r, gfn, &s);
		assert_int_equal(s.gpa, gfn * 4096 + q * 2048);
		assert_int_equal(s.count, 512);
		assert_int_equal(s.size, 4);
		assert_int_equal(s.ratio, 1);
	}
	/* Level 2: a quarter of the guest PD, 256 PDEs = 1 KiB, each
	 * shadowed by two 2 MiB shadow PDEs. */
	for (q = 0; q < 4; q++) {
		struct tdp_role r = { LVL(2) | TDP_ROLE_GPTE4 | QUAD(q) |
				      TDP_ROLE_ROOT };

		span_of(r, gfn, &s);
		assert_int_equal(s.gpa, gfn * 4096 + q * 1024);
		assert_int_equal(s.count, 256);
		assert_int_equal(s.size, 4);
		assert_int_equal(s.ratio, 2);
	}
}

/*
 * A level-1 4-byte-gpte page shadows one half of a guest page table: only
 * quadrants 0 and 1 exist (tdp_role_child makes nothing else). Quadrant 2
 * or 3 would name guest entries outside the guest frame (gfn + 1), an
 * inconsistent role.
 */
static void test_span_gpte4_level1_quadrant_range(void **state)
{
	struct tdp_guest_span s, before;
	unsigned int q;

	(void)state;
	for (q = 2; q < 4; q++) {
		struct tdp_role r = { LVL(1) | TDP_ROLE_GPTE4 | QUAD(q) };
		int ret;

		memset(&s, 0xee, sizeof(s));
		before = s;
		ret = tdp_role_guest_entries(r, 0x100, &s);
		if (ret != -TDP_ERR_INVAL)
			fail_msg("level-1 gpte4 quadrant %u: returned %d, span "
				 "gpa 0x%llx count %u (frame 0x100 ends at "
				 "0x101000)", q, ret,
				 (unsigned long long)s.gpa, s.count);
		assert_memory_equal(&s, &before, sizeof(s));
	}
}

static void test_span_errors(void **state)
{
	static const uint32_t bad[] = {
		LVL(0),                          /* no level 0 */
		LVL(6), LVL(15),                 /* deeper than 5 levels */
		LVL(3) | TDP_ROLE_GPTE4,         /* 4-byte gptes: PD and PT */
		LVL(5) | TDP_ROLE_GPTE4,
		LVL(2) | QUAD(1),                /* quadrant, 8-byte gptes */
		LVL(1) | QUAD(3),
		LVL(4) | QUAD(2),
	};
	struct tdp_guest_span s, before;
	size_t i;

	(void)state;
	memset(&s, 0xee, sizeof(s));
	before = s;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tdp_role r = { bad[i] | ACCESS(7) };

		assert_int_equal(tdp_role_guest_entries(r, 5, &s),
				 -TDP_ERR_INVAL);
		assert_memory_equal(&s, &before, sizeof(s));
	}
	/* Direct pages shadow no guest table. */
	{
		struct tdp_role d4 = { LVL(4) | TDP_ROLE_DIRECT | ACCESS(7) };
		struct tdp_role d1 = { LVL(1) | TDP_ROLE_DIRECT |
				       TDP_ROLE_GPTE4 | QUAD(1) };

		assert_int_equal(tdp_role_guest_entries(d4, 5, &s),
				 -TDP_ERR_NOENT);
		assert_int_equal(tdp_role_guest_entries(d1, 5, &s),
				 -TDP_ERR_NOENT);
		assert_memory_equal(&s, &before, sizeof(s));
		assert_int_equal(tdp_role_guest_entries(d4, 5, NULL),
				 -TDP_ERR_INVAL);
	}
}

/* The guest PT frame a guest PDE for @la points to, in this test's guest. */
static uint64_t guest_pt_gfn(uint64_t la)
{
	return 0x40000 + (la >> 22) * 3;
}

/*
 * For a 32-bit guest and a linear address: the CPU reads the guest PDE at
 * CR3 + 4 * la[31:22] and the PTE at PT + 4 * la[21:12]. The shadow
 * root for la is root la[31:30], its PDE index la[29:21]; the shadow PT
 * below it is the child for that index, its PTE index la[20:12]. Each
 * shadow entry's guest entry must lie in the span of its shadow page, at
 * span.gpa + (shadow index / ratio) * size.
 */
static void check_la_32(const struct tdp_shadow_root roots[4], uint64_t la)
{
	const uint64_t cr3_gfn = roots[0].gfn;
	uint64_t gpde = cr3_gfn * 4096 + (la >> 22) * 4;
	uint64_t pt_gfn = guest_pt_gfn(la);
	uint64_t gpte = pt_gfn * 4096 + ((la >> 12) & 1023) * 4;
	unsigned int root = (unsigned int)(la >> 30);
	unsigned int spde = (unsigned int)((la >> 21) & 511);
	unsigned int spte = (unsigned int)((la >> 12) & 511);
	struct tdp_guest_span s;
	struct tdp_role child;

	span_of(roots[root].role, roots[root].gfn, &s);
	if (gpde < s.gpa || gpde >= s.gpa + (uint64_t)s.count * s.size ||
	    s.gpa + (spde / s.ratio) * s.size != gpde)
		fail_msg("la 0x%llx: guest PDE 0x%llx, root %u span 0x%llx+%u"
			 "x%u ratio %u", (unsigned long long)la,
			 (unsigned long long)gpde, root,
			 (unsigned long long)s.gpa, s.count, s.size, s.ratio);
	assert_int_equal(tdp_role_child(roots[root].role, spde, false, 7,
					&child), 0);
	span_of(child, pt_gfn, &s);
	if (gpte < s.gpa || gpte >= s.gpa + (uint64_t)s.count * s.size ||
	    s.gpa + (spte / s.ratio) * s.size != gpte)
		fail_msg("la 0x%llx: guest PTE 0x%llx, child 0x%x span 0x%llx"
			 "+%ux%u", (unsigned long long)la,
			 (unsigned long long)gpte, child.word,
			 (unsigned long long)s.gpa, s.count, s.size);
}

static void test_span_matches_guest_walk_32(void **state)
{
	struct tdp_guest_mode m = make_mode(M_32);
	struct tdp_shadow_root roots[4];
	uint64_t la, x = 0x2545f4914f6cdd1dull;
	unsigned int n, i;

	(void)state;
	m.cr3 = 0x00777000;
	get_roots(&m, roots, &n);
	assert_int_equal(roots[0].gfn, 0x777);
	/* Every 2 MiB half of every 4 MiB guest PDE, first and last page. */
	for (la = 0; la < (1ull << 32); la += 0x200000) {
		check_la_32(roots, la);
		check_la_32(roots, la + 0x1ff000);
		check_la_32(roots, la + 0xabc);
	}
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_la_32(roots, x & 0xffffffffull);
	}
}

/* PAE guests: one root per present PDPTE, 8-byte entries, no quadrants. */
static void test_span_matches_guest_walk_pae(void **state)
{
	struct tdp_guest_mode m = make_mode(M_PAE);
	struct tdp_shadow_root roots[4];
	uint64_t la;
	unsigned int n;

	(void)state;
	m.pdptrs[0] = 0x10000 | 1;
	m.pdptrs[1] = 0x20000 | 1;
	m.pdptrs[2] = 0x30000 | 1;
	m.pdptrs[3] = 0x40000 | 1;
	get_roots(&m, roots, &n);
	for (la = 0; la < (1ull << 32); la += 0x1ff000) {
		unsigned int i = (unsigned int)(la >> 30);
		unsigned int pde = (unsigned int)((la >> 21) & 511);
		unsigned int pte = (unsigned int)((la >> 12) & 511);
		uint64_t gpde = (m.pdptrs[i] & ~0xfffull) + pde * 8;
		uint64_t pt_gfn = 0x50000 + (la >> 21);
		struct tdp_guest_span s;
		struct tdp_role c;

		span_of(roots[i].role, roots[i].gfn, &s);
		assert_int_equal(s.gpa + (pde / s.ratio) * s.size, gpde);
		assert_int_equal(tdp_role_child(roots[i].role, pde, false, 7,
						&c), 0);
		assert_int_equal(c.word & TDP_ROLE_QUADRANT, 0);
		span_of(c, pt_gfn, &s);
		assert_int_equal(s.gpa + pte * s.size, pt_gfn * 4096 + pte * 8);
	}
}

/* --- equality and hashing ------------------------------------------------- */

static void test_equal_and_hash(void **state)
{
	static const uint32_t fields[] = {
		TDP_ROLE_LEVEL, TDP_ROLE_GPTE4, TDP_ROLE_QUADRANT,
		TDP_ROLE_DIRECT, TDP_ROLE_ACCESS, TDP_ROLE_ROOT,
		TDP_ROLE_EFER_NX, TDP_ROLE_CR0_WP, TDP_ROLE_SMEP_ANDNOT_WP,
		TDP_ROLE_SMAP_ANDNOT_WP, TDP_ROLE_AD_DISABLED,
		TDP_ROLE_GUEST_MODE, TDP_ROLE_SMM,
	};
	const uint64_t gfn = 0x777;
	struct tdp_role q[4], c0, c1, a, b;
	unsigned int i, j, bit;
	size_t f;

	(void)state;
	for (i = 0; i < 4; i++)
		q[i] = root_of(M_32, i);
	/* The four quarters of one guest PD: same frame, different pages. */
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 4; j++) {
			bool same = i == j;

			assert_int_equal(tdp_role_equal(q[i], gfn, q[j], gfn),
					 same);
			if (!same)
				assert_true(tdp_role_hash(q[i], gfn) !=
					    tdp_role_hash(q[j], gfn));
		}
	}
	/* The two halves of one guest PT. */
	assert_int_equal(tdp_role_child(q[2], 10, false, 7, &c0), 0);
	assert_int_equal(tdp_role_child(q[2], 11, false, 7, &c1), 0);
	assert_false(tdp_role_equal(c0, 0x999, c1, 0x999));
	assert_true(tdp_role_hash(c0, 0x999) != tdp_role_hash(c1, 0x999));
	/* The same half reached from another quarter is the same page. */
	assert_int_equal(tdp_role_child(q[0], 100, false, 7, &c1), 0);
	assert_true(tdp_role_equal(c0, 0x999, c1, 0x999));
	assert_int_equal(tdp_role_hash(c0, 0x999), tdp_role_hash(c1, 0x999));

	/* Equal pairs: equal and the same key, built independently. */
	a.word = 0x3f12 | QUAD(3) | SMM(1);
	b.word = LVL(2) | TDP_ROLE_GPTE4 | QUAD(3) | ACCESS(7) |
		 TDP_ROLE_ROOT | TDP_ROLE_EFER_NX | TDP_ROLE_CR0_WP | SMM(1);
	assert_true(tdp_role_equal(a, 0x123456789ull, b, 0x123456789ull));
	assert_int_equal(tdp_role_hash(a, 0x123456789ull),
			 tdp_role_hash(b, 0x123456789ull));
	/* Another frame, or any one field different: another page. */
	assert_false(tdp_role_equal(a, 0x123456789ull, b, 0x12345678aull));
	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		for (bit = 0; bit < 32; bit++) {
			if (!(fields[f] & (1u << bit)))
				continue;
			b.word = a.word ^ (1u << bit);
			assert_false(tdp_role_equal(a, 5, b, 5));
		}
	}
}

/* --- PAE root allocator --------------------------------------------------- */

#define SLOTS 128

struct rpool {
	struct tdp_pool *pool;
	struct tdp_mm mm;
	struct tdp_pae_roots r;
	struct tdp_pae_root_page pages[8];
};

static void rp_init(struct rpool *p, uint64_t size, uint64_t base,
		    size_t capacity)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(tdp_pool_create(size, base, &p->pool), 0);
	p->mm = tdp_pool_mm(p->pool);
	assert_int_equal(tdp_pae_roots_init(&p->r, &p->mm, p->pages,
					    capacity), 0);
}

static struct tdp_pool_stats rp_stats(const struct rpool *p)
{
	struct tdp_pool_stats st;

	assert_int_equal(tdp_pool_get_stats(p->pool, &st), 0);
	return st;
}

static uint64_t *rp_mem(const struct rpool *p, uint64_t pa)
{
	uint64_t *m = tdp_pool_phys_to_virt(p->pool, pa, 32);

	assert_non_null(m);
	return m;
}

/* Fill a root with a value naming it, to see overlaps and clearing. */
static void rp_mark(const struct rpool *p, uint64_t pa)
{
	uint64_t *m = rp_mem(p, pa);
	unsigned int i;

	for (i = 0; i < 4; i++)
		m[i] = pa ^ 0x5a5a000000000000ull ^ i;
}

static void rp_check_mark(const struct rpool *p, uint64_t pa)
{
	uint64_t *m = rp_mem(p, pa);
	unsigned int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(m[i], pa ^ 0x5a5a000000000000ull ^ i);
}

static void rp_check_zero(const struct rpool *p, uint64_t pa)
{
	uint64_t *m = rp_mem(p, pa);

	assert_int_equal(m[0] | m[1] | m[2] | m[3], 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_pae_roots_pack(void **state)
{
	struct rpool *p = calloc(1, sizeof(*p));
	uint64_t roots[SLOTS + 1], sorted[SLOTS], page, extra;
	struct tdp_pool_stats st;
	unsigned int i;

	(void)state;
	assert_non_null(p);
	rp_init(p, 64 * K4, 0x10000000, 4);
	for (i = 0; i < SLOTS; i++) {
		assert_int_equal(tdp_pae_root_alloc(&p->r, &roots[i]), 0);
		assert_int_equal(roots[i] & 31, 0);
		assert_true(roots[i] < (1ull << 32));
		rp_check_zero(p, roots[i]);
		rp_mark(p, roots[i]);
	}
	/* 128 roots, one page, every 32-byte slot of it exactly once. */
	assert_int_equal(tdp_pae_roots_pages(&p->r), 1);
	st = rp_stats(p);
	assert_int_equal(st.tables_in_use, 1);
	assert_int_equal(st.allocs, 1);
	page = roots[0] & ~0xfffull;
	memcpy(sorted, roots, sizeof(sorted));
	qsort(sorted, SLOTS, sizeof(sorted[0]), cmp_u64);
	for (i = 0; i < SLOTS; i++)
		assert_int_equal(sorted[i], page + i * 32);
	for (i = 0; i < SLOTS; i++)
		rp_check_mark(p, roots[i]);

	/* The 129th root needs a second page. */
	assert_int_equal(tdp_pae_root_alloc(&p->r, &roots[SLOTS]), 0);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 2);
	assert_int_equal(rp_stats(p).tables_in_use, 2);
	assert_true((roots[SLOTS] & ~0xfffull) != page);
	rp_check_zero(p, roots[SLOTS]);
	for (i = 0; i < SLOTS; i++)
		rp_check_mark(p, roots[i]);

	/* Free by full address: page + 0x20 only, page + 0x40 stays live. */
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x20), 0);
	rp_check_mark(p, page + 0x40);
	rp_check_mark(p, page);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x20),
			 -TDP_ERR_NOENT);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x40), 0);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x40),
			 -TDP_ERR_NOENT);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 2);
	assert_int_equal(rp_stats(p).tables_in_use, 2);
	/* A new root reuses a free slot, zeroed, and takes no new page. */
	assert_int_equal(tdp_pae_root_alloc(&p->r, &extra), 0);
	assert_int_equal(extra & 31, 0);
	rp_check_zero(p, extra);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 2);
	assert_int_equal(rp_stats(p).allocs, 2);
	assert_int_equal(tdp_pae_root_free(&p->r, extra), 0);

	/* The first page goes back only with its last root. */
	for (i = 0; i < SLOTS; i++) {
		uint64_t pa = page + i * 32;

		if (pa == page + 0x20 || pa == page + 0x40 ||
		    pa == page + 0x7e0)
			continue;
		assert_int_equal(tdp_pae_root_free(&p->r, pa), 0);
		assert_int_equal(tdp_pae_roots_pages(&p->r), 2);
	}
	rp_check_mark(p, page + 0x7e0);
	st = rp_stats(p);
	assert_int_equal(st.tables_in_use, 2);
	assert_int_equal(st.frees, 0);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x7e0), 0);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 1);
	st = rp_stats(p);
	assert_int_equal(st.tables_in_use, 1);
	assert_int_equal(st.frees, 1);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x7e0),
			 -TDP_ERR_NOENT);
	rp_check_zero(p, roots[SLOTS]);
	assert_int_equal(tdp_pae_root_free(&p->r, roots[SLOTS]), 0);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 0);
	assert_int_equal(rp_stats(p).tables_in_use, 0);
	tdp_pool_destroy(p->pool);
	free(p);
}

/* Every returned root is zeroed, also a slot a previous root dirtied. */
static void test_pae_roots_reuse_zeroed(void **state)
{
	struct rpool *p = calloc(1, sizeof(*p));
	uint64_t pa, page = 0;
	unsigned int i;

	(void)state;
	assert_non_null(p);
	rp_init(p, 16 * K4, 0x20000000, 1);
	for (i = 0; i < SLOTS; i++) {
		assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), 0);
		rp_mark(p, pa);
		page = pa & ~0xfffull;
	}
	/* Capacity 1 and the page full: the freed slot is the only one. */
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x7e0), 0);
	assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), 0);
	assert_int_equal(pa, page + 0x7e0);
	rp_check_zero(p, pa);
	rp_check_mark(p, page + 0x7c0);
	assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), -TDP_ERR_NOMEM);
	tdp_pool_destroy(p->pool);
	free(p);
}

static void test_pae_roots_errors(void **state)
{
	struct rpool *p = calloc(1, sizeof(*p));
	struct tdp_mm_ops no_free;
	struct tdp_pool_stats st0, st1;
	struct tdp_pae_roots other;
	struct tdp_mm bad_mm;
	uint64_t pa, page, out = 0x1234;
	size_t pages;

	(void)state;
	assert_non_null(p);
	rp_init(p, 16 * K4, 0x10000000, 2);
	/* A backend that cannot give pages back. */
	no_free = *p->mm.ops;
	no_free.free_table = NULL;
	bad_mm.ops = &no_free;
	bad_mm.ctx = p->mm.ctx;
	assert_int_equal(tdp_pae_roots_init(NULL, &p->mm, p->pages, 2),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_pae_roots_init(&other, NULL, p->pages, 2),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_pae_roots_init(&other, &p->mm, NULL, 2),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_pae_roots_init(&other, &p->mm, p->pages, 0),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_pae_roots_init(&other, &bad_mm, p->pages, 2),
			 -TDP_ERR_INVAL);
	assert_int_equal(tdp_pae_root_alloc(NULL, &out), -TDP_ERR_INVAL);
	assert_int_equal(tdp_pae_root_alloc(&p->r, NULL), -TDP_ERR_INVAL);
	assert_int_equal(out, 0x1234);
	assert_int_equal(tdp_pae_root_free(NULL, 0x10000000), -TDP_ERR_INVAL);
	assert_int_equal(tdp_pae_roots_pages(NULL), 0);

	assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), 0);
	page = pa & ~0xfffull;
	assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), 0);
	st0 = rp_stats(p);
	pages = tdp_pae_roots_pages(&p->r);
	/* Misaligned, unknown page, free slot of a live page, address 0. */
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x10),
			 -TDP_ERR_ALIGN);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 1), -TDP_ERR_ALIGN);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x7ff),
			 -TDP_ERR_ALIGN);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x800),
			 -TDP_ERR_NOENT);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x4000),
			 -TDP_ERR_NOENT);
	assert_int_equal(tdp_pae_root_free(&p->r, 0), -TDP_ERR_NOENT);
	assert_int_equal(tdp_pae_root_free(&p->r, page + 0x1000),
			 -TDP_ERR_NOENT);
	st1 = rp_stats(p);
	assert_memory_equal(&st0, &st1, sizeof(st0));
	assert_int_equal(tdp_pae_roots_pages(&p->r), pages);
	/* Both live roots still free exactly once. */
	assert_int_equal(tdp_pae_root_free(&p->r, page), 0);
	assert_int_equal(tdp_pae_root_free(&p->r, pa), 0);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 0);
	tdp_pool_destroy(p->pool);
	free(p);
}

/* No more than @capacity pages, and no more than the backend has. */
static void test_pae_roots_nomem(void **state)
{
	struct rpool *p = calloc(1, sizeof(*p));
	struct tdp_pool_stats st;
	uint64_t pa = 0x77;
	unsigned int i;

	(void)state;
	assert_non_null(p);
	rp_init(p, 16 * K4, 0x10000000, 2);
	for (i = 0; i < 2 * SLOTS; i++)
		assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), 0);
	assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), -TDP_ERR_NOMEM);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 2);
	st = rp_stats(p);
	assert_int_equal(st.tables_in_use, 2);
	tdp_pool_destroy(p->pool);

	/* A one-page backend, room for eight pages of bookkeeping. */
	rp_init(p, K4, 0x10000000, 8);
	for (i = 0; i < SLOTS; i++)
		assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), 0);
	pa = 0x77;
	assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), -TDP_ERR_NOMEM);
	assert_int_equal(pa, 0x77);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 1);
	tdp_pool_destroy(p->pool);
	free(p);
}

/* CR3 holds 32 bits in PAE mode: pages at or above 4 GiB are refused. */
static void test_pae_roots_below_4g(void **state)
{
	struct rpool *p = calloc(1, sizeof(*p));
	struct tdp_pool_stats st;
	uint64_t pa = 0x77;
	unsigned int i;

	(void)state;
	assert_non_null(p);
	rp_init(p, 16 * K4, 0x100000000ull, 4);
	assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), -TDP_ERR_RANGE);
	assert_int_equal(pa, 0x77);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 0);
	st = rp_stats(p);
	assert_int_equal(st.tables_in_use, 0); /* given back */
	assert_int_equal(st.bytes_in_use, 0);
	tdp_pool_destroy(p->pool);

	/* Two pages: the last one below 4 GiB works, the next does not. */
	rp_init(p, 2 * K4, 0xfffff000ull, 4);
	for (i = 0; i < SLOTS; i++) {
		assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), 0);
		assert_true(pa >= 0xfffff000ull && pa <= 0xffffffe0ull);
	}
	assert_int_equal(tdp_pae_root_alloc(&p->r, &pa), -TDP_ERR_RANGE);
	assert_int_equal(tdp_pae_roots_pages(&p->r), 1);
	st = rp_stats(p);
	assert_int_equal(st.tables_in_use, 1);
	tdp_pool_destroy(p->pool);
	free(p);
}

/* A packed root works as a PAE table and frees back to an empty slot. */
static void test_pae_roots_as_tables(void **state)
{
	const struct tdp_format_config pae = { .format = TDP_FMT_PAE };
	struct tdp_attrs rw = { .perms = TDP_PERM_R | TDP_PERM_W };
	struct rpool *p = calloc(1, sizeof(*p));
	struct tdp_pgt t0, t1;
	struct tdp_lookup r;
	uint64_t a, b;

	(void)state;
	assert_non_null(p);
	rp_init(p, 64 * K4, 0x10000000, 2);
	assert_int_equal(tdp_pae_root_alloc(&p->r, &a), 0);
	assert_int_equal(tdp_pae_root_alloc(&p->r, &b), 0);
	assert_int_equal(a & ~0xfffull, b & ~0xfffull);
	assert_int_equal(tdp_pgt_init_at(&t0, &pae, &p->mm, a), 0);
	assert_int_equal(tdp_pgt_init_at(&t1, &pae, &p->mm, b), 0);
	assert_int_equal(tdp_map(&t0, 0, K4, 0x5000, &rw, 0, NULL), 0);
	assert_int_equal(tdp_map(&t1, 0, K4, 0x6000, &rw, 0, NULL), 0);
	assert_int_equal(tdp_lookup(&t0, 0x10, &r), 0);
	assert_int_equal(r.out_addr, 0x5010);
	assert_int_equal(r.entry_pa[2], a);
	assert_int_equal(tdp_lookup(&t1, 0x10, &r), 0);
	assert_int_equal(r.out_addr, 0x6010);
	assert_int_equal(r.entry_pa[2], b);
	assert_int_equal(tdp_unmap(&t0, 0, 1ull << 32, 0, NULL), 0);
	assert_int_equal(tdp_lookup(&t1, 0x10, &r), 0);
	assert_int_equal(r.out_addr, 0x6010);
	assert_int_equal(tdp_unmap(&t1, 0, 1ull << 32, 0, NULL), 0);
	assert_int_equal(tdp_pae_root_free(&p->r, a), 0);
	assert_int_equal(tdp_pae_root_free(&p->r, b), 0);
	assert_int_equal(rp_stats(p).tables_in_use, 0);
	tdp_pool_destroy(p->pool);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roots_paging_off),
		cmocka_unit_test(test_roots_32bit),
		cmocka_unit_test(test_roots_pae),
		cmocka_unit_test(test_roots_64bit),
		cmocka_unit_test(test_roots_mode_bits),
		cmocka_unit_test(test_roots_invalid),
		cmocka_unit_test(test_child_levels),
		cmocka_unit_test(test_child_gpte4_quadrant),
		cmocka_unit_test(test_child_invalid),
		cmocka_unit_test(test_span_8byte),
		cmocka_unit_test(test_span_gpte4),
		cmocka_unit_test(test_span_gpte4_level1_quadrant_range),
		cmocka_unit_test(test_span_errors),
		cmocka_unit_test(test_span_matches_guest_walk_32),
		cmocka_unit_test(test_span_matches_guest_walk_pae),
		cmocka_unit_test(test_equal_and_hash),
		cmocka_unit_test(test_pae_roots_pack),
		cmocka_unit_test(test_pae_roots_reuse_zeroed),
		cmocka_unit_test(test_pae_roots_errors),
		cmocka_unit_test(test_pae_roots_nomem),
		cmocka_unit_test(test_pae_roots_below_4g),
		cmocka_unit_test(test_pae_roots_as_tables),
	};

	return cmocka_run_group_tests_name("shadow", tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Model-based random test of tdp_map(), tdp_unmap() and tdp_protect().
 *
 * The test keeps its own model of what a 4 GiB window of input addresses
 * maps to (a sorted list of extents: input range, output address,
 * permissions) and runs thousands of random operations on the table and
 * the model alike: maps with and without TDP_OP_REPLACE and with random
 * TDP_OP_MAX_LEVEL caps, unmaps and protects, over ranges of 4 KiB to
 * 2 GiB that are often block-aligned (so 2 MiB and 1 GiB blocks appear)
 * and often cut by a few pages (so blocks get split). Some operations run
 * with an allocation failure injected; they must fail with nothing changed.
 *
 * After every step the whole table is walked and checked:
 * - the leaves, decoded, equal the model exactly;
 * - a successful map used the largest leaves alignment and cap allow;
 * - no table other than the root is empty, and the pool's tables_in_use is
 *   exactly the root plus the tables reachable from it (nothing leaked,
 *   no orphaned subtree, no empty table left behind).
 *
 * The seed is printed at the start and on failure; set TDP_SEED to rerun
 * a sequence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtdp/tdp.h>

#include "rng.h"

#define K4 0x1000ull
#define M2 0x200000ull
#define G1 0x40000000ull
#define WINDOW (4 * G1)

#define SZ(l) (1ull << (12 + 9 * (l)))

#define POOL_BASE 0x10000000ull
#define POOL_SIZE (64ull << 20)

#define DEFAULT_SEED 0x7d9a11c3e5f00d15ull

/* --- random numbers (splitmix64: small, seedable, reproducible) -------- */

/* --- extents ------------------------------------------------------------ */

struct ext {
	uint64_t lo, hi; /* [lo, hi) */
	uint64_t pa;     /* output address of lo */
	uint32_t perms;
};

struct extlist {
	struct ext *v;
	size_t n, cap;
};

/* Append, merging with the last extent when it continues it exactly. */
static void el_push(struct extlist *l, uint64_t lo, uint64_t hi, uint64_t pa,
		    uint32_t perms)
{
	struct ext *last = l->n ? &l->v[l->n - 1] : NULL;

	if (lo >= hi)
		return;
	if (last && last->hi == lo && last->perms == perms &&
	    last->pa + (last->hi - last->lo) == pa) {
		last->hi = hi;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n++] = (struct ext){ lo, hi, pa, perms };
}

static void el_swap(struct extlist *a, struct extlist *b)
{
	struct extlist t = *a;

	*a = *b;
	*b = t;
}

/* The extent holding @x, or NULL. */
static const struct ext *el_find(const struct extlist *l, uint64_t x)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].hi <= x)
			lo = mid + 1;
		else if (l->v[mid].lo > x)
			hi = mid;
		else
			return &l->v[mid];
	}
	return NULL;
}

/* --- the operations ----------------------------------------------------- */

enum { OP_MAP, OP_UNMAP, OP_PROTECT };

struct op {
	int kind;
	uint64_t addr, size, pa;
	uint32_t perms;   /* map */
	uint32_t flags;   /* map: REPLACE, MAX_LEVEL */
	int cap;          /* map: -1 for none */
	uint32_t set, clear;
	uint64_t fail_nth; /* 0: no injected failure */
};

struct fmt_case {
	const char *name;
	struct tdp_format_config cfg;
	bool ept;
	uint64_t window;    /* first address of the window */
	uint64_t space_end; /* end of the walkable (lower) input space */
	unsigned int steps;
};

struct ctx {
	const struct fmt_case *fc;
	struct tdp_pool *pool;
	struct tdp_pgt pgt;
	struct extlist model, next, seen;
	uint64_t seed;
	unsigned int step;
	struct op op;
	/* statistics, to show the run covered what it should */
	uint64_t n_ok, n_exist, n_notsup, n_nomem, n_split_seen;
	uint64_t max_tables, sum_tables;
};

static void describe(const struct ctx *c, char *buf, size_t len)
{
	static const char *const kinds[] = { "map", "unmap", "protect" };
	const struct op *o = &c->op;

	snprintf(buf, len,
		 "%s addr 0x%llx size 0x%llx pa 0x%llx perms 0x%x flags 0x%x "
		 "set 0x%x clear 0x%x fail_nth %llu",
		 kinds[o->kind], (unsigned long long)o->addr,
		 (unsigned long long)o->size, (unsigned long long)o->pa,
		 o->perms, o->flags, o->set, o->clear,
		 (unsigned long long)o->fail_nth);
}

static void model_fail(const struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void model_fail(const struct ctx *c, const char *fmt, ...)
{
	char what[256], op[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	describe(c, op, sizeof(op));
	fprintf(stderr,
		"model test %s FAILED: seed 0x%llx (TDP_SEED=0x%llx) step %u\n"
		"  op: %s\n  %s\n",
		c->fc->name, (unsigned long long)c->seed,
		(unsigned long long)c->seed, c->step, op, what);
	fail_msg("%s: %s (seed 0x%llx step %u)", c->fc->name, what,
		 (unsigned long long)c->seed, c->step);
}

/* The permissions a leaf decodes to after being encoded with @p. */
static uint32_t decoded_perms(const struct ctx *c, uint32_t p)
{
	/* EPT accepts and ignores U; IA-32e always grants R. */
	return c->fc->ept ? p & ~TDP_PERM_U : p | TDP_PERM_R;
}

/* Whether the format can express @p (no EXEC_ONLY, no MBEC). */
static bool perms_ok(uint32_t p)
{
	bool x = p & TDP_PERM_X, xu = p & TDP_PERM_XU;

	return (p & TDP_PERM_R) && x == xu;
}

/*
 * Apply @o to the model, building c->next; return the code the library
 * must return (the model is unchanged when it is not 0).
 */
static int model_apply(struct ctx *c, const struct op *o)
{
	const uint64_t a = o->addr, b = o->addr + o->size;
	const struct extlist *m = &c->model;
	struct extlist *out = &c->next;
	bool placed = false;
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct ext *e = &m->v[i];

		if (e->hi <= a || e->lo >= b)
			continue;
		if (o->kind == OP_MAP && !(o->flags & TDP_OP_REPLACE))
			return -TDP_ERR_EXIST;
		if (o->kind == OP_PROTECT &&
		    !perms_ok((e->perms | o->set) & ~o->clear))
			return -TDP_ERR_NOTSUP;
	}
	out->n = 0;
	for (i = 0; i < m->n; i++) {
		const struct ext *e = &m->v[i];
		uint64_t lo, hi;

		if (e->hi <= a || e->lo >= b) {
			if (o->kind == OP_MAP && !placed && e->lo >= b) {
				el_push(out, a, b, o->pa,
					decoded_perms(c, o->perms));
				placed = true;
			}
			el_push(out, e->lo, e->hi, e->pa, e->perms);
			continue;
		}
		lo = e->lo > a ? e->lo : a;
		hi = e->hi < b ? e->hi : b;
		el_push(out, e->lo, lo, e->pa, e->perms);
		if (o->kind == OP_MAP && !placed) {
			el_push(out, a, b, o->pa, decoded_perms(c, o->perms));
			placed = true;
		} else if (o->kind == OP_PROTECT) {
			el_push(out, lo, hi, e->pa + (lo - e->lo),
				decoded_perms(c, (e->perms | o->set) &
							 ~o->clear));
		}
		el_push(out, hi, e->hi, e->pa + (hi - e->lo), e->perms);
	}
	if (o->kind == OP_MAP && !placed)
		el_push(out, a, b, o->pa, decoded_perms(c, o->perms));
	return 0;
}

/* --- checking the table ------------------------------------------------- */

struct scan {
	struct ctx *c;
	uint64_t tables;                  /* TABLE_PRE visits */
	uint64_t valid[TDP_MAX_LEVELS];   /* valid entries in the current
					     table of each level */
	uint64_t small_leaves;            /* leaves below 1 GiB */
};

static int scan_fn(const struct tdp_visit *v, void *arg)
{
	struct scan *s = arg;
	struct ctx *c = s->c;
	struct tdp_attrs at;
	uint64_t pa;

	switch (v->visit) {
	case TDP_WALK_TABLE_PRE:
		s->tables++;
		s->valid[v->level]++;
		s->valid[v->level - 1] = 0;
		return 0;
	case TDP_WALK_TABLE_POST:
		if (!s->valid[v->level - 1])
			model_fail(c, "empty table left behind: entry "
				      "for 0x%llx at level %d",
				   (unsigned long long)v->addr, v->level);
		return 0;
	default:
		break;
	}
	if (v->kind == TDP_ENTRY_INVALID)
		return 0;
	s->valid[v->level]++;
	if (v->kind != TDP_ENTRY_LEAF)
		model_fail(c, "entry 0x%llx for 0x%llx at level %d has kind %u",
			   (unsigned long long)v->old,
			   (unsigned long long)v->addr, v->level, v->kind);
	if (v->addr < c->fc->window ||
	    v->addr + v->size > c->fc->window + WINDOW)
		model_fail(c, "leaf 0x%llx+0x%llx outside the window",
			   (unsigned long long)v->addr,
			   (unsigned long long)v->size);
	if (tdp_entry_decode_leaf(&c->pgt.fmt, v->level, v->old, &pa, &at))
		model_fail(c, "leaf 0x%llx does not decode",
			   (unsigned long long)v->old);
	if (at.memtype != TDP_MT_WB || at.flags)
		model_fail(c, "leaf 0x%llx: memtype %u flags 0x%x",
			   (unsigned long long)v->old, at.memtype, at.flags);
	if (v->level < 2)
		s->small_leaves++;
	el_push(&c->seen, v->addr, v->addr + v->size, pa, at.perms);
	return 0;
}

static void check_table(struct ctx *c)
{
	struct scan s;
	struct tdp_pool_stats st;
	size_t i, n;
	int ret;

	memset(&s, 0, sizeof(s));
	s.c = c;
	c->seen.n = 0;
	ret = tdp_walk(&c->pgt, 0, c->fc->space_end,
		       TDP_WALK_LEAF | TDP_WALK_TABLE_PRE | TDP_WALK_TABLE_POST,
		       scan_fn, &s);
	if (ret)
		model_fail(c, "walk returned %d", ret);
	assert_int_equal(tdp_pool_get_stats(c->pool, &st), 0);
	if (st.tables_in_use != 1 + s.tables)
		model_fail(c, "tables_in_use %llu, but %llu reachable + root",
			   (unsigned long long)st.tables_in_use,
			   (unsigned long long)s.tables);
	if (st.tables_in_use > c->max_tables)
		c->max_tables = st.tables_in_use;
	c->sum_tables += st.tables_in_use;
	if (s.small_leaves)
		c->n_split_seen++;

	n = c->seen.n < c->model.n ? c->seen.n : c->model.n;
	for (i = 0; i < n; i++) {
		const struct ext *t = &c->seen.v[i], *m = &c->model.v[i];

		if (t->lo != m->lo || t->hi != m->hi || t->pa != m->pa ||
		    t->perms != m->perms)
			break;
	}
	if (i < c->seen.n || i < c->model.n) {
		const struct ext *t = i < c->seen.n ? &c->seen.v[i] : NULL;
		const struct ext *m = i < c->model.n ? &c->model.v[i] : NULL;

		model_fail(c,
			   "extent %zu differs: table [0x%llx, 0x%llx) -> "
			   "0x%llx perms 0x%x; model [0x%llx, 0x%llx) -> "
			   "0x%llx perms 0x%x (table %zu extents, model %zu)",
			   i, t ? (unsigned long long)t->lo : 0ull,
			   t ? (unsigned long long)t->hi : 0ull,
			   t ? (unsigned long long)t->pa : 0ull,
			   t ? t->perms : 0u,
			   m ? (unsigned long long)m->lo : 0ull,
			   m ? (unsigned long long)m->hi : 0ull,
			   m ? (unsigned long long)m->pa : 0ull,
			   m ? m->perms : 0u, c->seen.n, c->model.n);
	}
}

/* Lookups of a few random pages agree with the model. */
static void check_lookups(struct ctx *c)
{
	struct tdp_lookup r;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		uint64_t x = c->fc->window + below(WINDOW / K4) * K4 +
			     below(K4);
		const struct ext *e = el_find(&c->model, x);
		int ret = tdp_lookup(&c->pgt, x, &r);

		if (!e) {
			if (ret != -TDP_ERR_FAULT ||
			    r.fault != TDP_FAULT_NOT_PRESENT)
				model_fail(c, "lookup 0x%llx: %d fault %u, "
					      "expected not present",
					   (unsigned long long)x, ret,
					   r.fault);
			continue;
		}
		if (ret || r.out_addr != e->pa + (x - e->lo) ||
		    r.attrs.perms != e->perms)
			model_fail(c, "lookup 0x%llx: %d out 0x%llx perms 0x%x,"
				      " expected 0x%llx perms 0x%x",
				   (unsigned long long)x, ret,
				   (unsigned long long)r.out_addr,
				   r.attrs.perms,
				   (unsigned long long)(e->pa + (x - e->lo)),
				   e->perms);
	}
}

/* The leaf level a successful map must have used at @x. */
static int expected_level(const struct op *o, uint64_t x)
{
	int l = o->cap >= 0 && o->cap < 2 ? o->cap : 2;
	uint64_t delta = o->pa - o->addr;

	for (; l > 0; l--) {
		uint64_t s = SZ(l), base = x & ~(s - 1);

		if (!(delta & (s - 1)) && base >= o->addr &&
		    base + s <= o->addr + o->size)
			return l;
	}
	return 0;
}

struct leaf_check {
	struct ctx *c;
	const struct op *o;
};

static int leaf_size_fn(const struct tdp_visit *v, void *arg)
{
	struct leaf_check *lc = arg;
	const struct op *o = lc->o;
	int exp;

	if (v->kind != TDP_ENTRY_LEAF)
		model_fail(lc->c, "after map: entry kind %u at 0x%llx level %d",
			   v->kind, (unsigned long long)v->addr, v->level);
	if (v->addr < o->addr || v->addr + v->size > o->addr + o->size)
		model_fail(lc->c, "after map: leaf 0x%llx+0x%llx sticks out",
			   (unsigned long long)v->addr,
			   (unsigned long long)v->size);
	exp = expected_level(o, v->addr);
	if (v->level != exp)
		model_fail(lc->c, "after map: leaf at 0x%llx has level %d, "
				  "expected %d",
			   (unsigned long long)v->addr, v->level, exp);
	return 0;
}

static void check_leaf_sizes(struct ctx *c, const struct op *o)
{
	struct leaf_check lc = { c, o };

	if (tdp_walk(&c->pgt, o->addr, o->size, TDP_WALK_LEAF, leaf_size_fn,
		     &lc))
		model_fail(c, "walk of the mapped range failed");
}

/* --- generating operations ---------------------------------------------- */

static uint64_t granule(void)
{
	uint64_t r = below(100);

	return r < 50 ? K4 : r < 85 ? M2 : G1;
}

static uint32_t random_perms(const struct ctx *c)
{
	uint32_t p = TDP_PERM_R;

	if (chance(50))
		p |= TDP_PERM_W;
	if (chance(50))
		p |= TDP_PERM_X | TDP_PERM_XU;
	if (!c->fc->ept && chance(30))
		p |= TDP_PERM_U;
	return p;
}

static uint32_t random_perm_change(void)
{
	static const uint32_t pick[] = {
		TDP_PERM_W, TDP_PERM_W, TDP_PERM_W,
		TDP_PERM_X | TDP_PERM_XU, TDP_PERM_X | TDP_PERM_XU,
		TDP_PERM_U, TDP_PERM_W | TDP_PERM_X | TDP_PERM_XU,
		/* not expressible on some leaves: NOTSUP, nothing changed */
		TDP_PERM_R, TDP_PERM_X,
	};

	return pick[below(sizeof(pick) / sizeof(pick[0]))];
}

static void random_op(struct ctx *c, struct op *o)
{
	const uint64_t w = c->fc->window;
	uint64_t g, start, size, r;

	memset(o, 0, sizeof(*o));
	o->cap = -1;
	r = below(100);
	o->kind = r < 45 ? OP_MAP : r < 75 ? OP_UNMAP : OP_PROTECT;

	g = granule();
	start = w + below(WINDOW / g) * g;
	if (chance(30))
		start += (1 + below(16)) * K4;
	g = granule();
	size = (1 + below(g == G1 ? 2 : 8)) * g;
	if (chance(30))
		size += (1 + below(16)) * K4;
	if (start >= w + WINDOW)
		start = w + WINDOW - K4;
	if (start + size > w + WINDOW)
		size = w + WINDOW - start;
	o->addr = start;
	o->size = size;

	/* Now and then unmap a whole 1 GiB, so tables come and go. */
	if (o->kind == OP_UNMAP && chance(15)) {
		o->addr = w + below(WINDOW / G1) * G1;
		o->size = G1;
	}
	if (o->kind == OP_MAP) {
		r = below(100);
		if (r < 60) /* congruent modulo 1 GiB: blocks possible */
			o->pa = start + below(64) * G1;
		else if (r < 80)
			o->pa = (start & (G1 - 1)) + below(1024) * M2;
		else
			o->pa = below(1ull << 28) * K4;
		/* Not 2 MiB-congruent: 4 KiB leaves only, keep them few. */
		if (((o->pa - o->addr) & (M2 - 1)) && o->size > 4 * M2)
			o->size = 4 * M2;
		o->perms = random_perms(c);
		if (chance(60))
			o->flags |= TDP_OP_REPLACE;
		r = below(100);
		if (r < 15)
			o->cap = 0;
		else if (r < 30)
			o->cap = 1;
		else if (r < 40)
			o->cap = 2;
		/*
		 * 4 KiB pages only: keep the number of leaves moderate, as
		 * every step decodes all of them.
		 */
		if (o->cap == 0 && o->size > 2 * M2)
			o->size = 2 * M2;
		if (o->cap >= 0)
			o->flags |= TDP_OP_MAX_LEVEL(o->cap);
	} else if (o->kind == OP_PROTECT) {
		if (chance(50))
			o->set = random_perm_change();
		if (chance(60) || !o->set)
			o->clear = random_perm_change();
	}
	if (chance(8))
		o->fail_nth = 1 + below(4);
}

static int run_op(struct ctx *c, const struct op *o)
{
	struct tdp_attrs a;

	switch (o->kind) {
	case OP_MAP:
		memset(&a, 0, sizeof(a));
		a.perms = o->perms;
		a.memtype = TDP_MT_WB;
		return tdp_map(&c->pgt, o->addr, o->size, o->pa, &a, o->flags,
			       NULL);
	case OP_UNMAP:
		return tdp_unmap(&c->pgt, o->addr, o->size, 0, NULL);
	default:
		return tdp_protect(&c->pgt, o->addr, o->size, o->set, o->clear,
				   0, NULL);
	}
}

static void one_step(struct ctx *c)
{
	struct op *o = &c->op;
	struct tdp_pool_stats before, after;
	int exp, ret;

	random_op(c, o);
	exp = model_apply(c, o);
	assert_int_equal(tdp_pool_get_stats(c->pool, &before), 0);
	assert_int_equal(tdp_pool_fail_nth(c->pool, o->fail_nth), 0);
	ret = run_op(c, o);
	assert_int_equal(tdp_pool_fail_nth(c->pool, 0), 0);
	assert_int_equal(tdp_pool_get_stats(c->pool, &after), 0);

	if (ret == -TDP_ERR_NOMEM && o->fail_nth &&
	    after.failed_allocs == before.failed_allocs + 1 && !exp) {
		/* The injected failure: nothing may have changed. */
		c->n_nomem++;
	} else if (ret != exp) {
		model_fail(c, "returned %d (%s), model expects %d (%s)", ret,
			   tdp_strerror(ret), exp, tdp_strerror(exp));
	} else if (after.failed_allocs != before.failed_allocs) {
		model_fail(c, "an allocation failed but the op returned %d",
			   ret);
	} else if (!ret) {
		el_swap(&c->model, &c->next);
		c->n_ok++;
		if (o->kind == OP_MAP)
			check_leaf_sizes(c, o);
	} else if (ret == -TDP_ERR_EXIST) {
		c->n_exist++;
	} else {
		c->n_notsup++;
	}
	check_table(c);
	check_lookups(c);
}

static void run_model(const struct fmt_case *fc)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct tdp_mm mm;
	unsigned int steps = fc->steps;
	const char *env_steps = getenv("TDP_MODEL_STEPS");

	assert_non_null(c);
	if (env_steps && *env_steps)
		steps = (unsigned int)strtoul(env_steps, NULL, 0);
	c->fc = fc;
	c->seed = seed_from_env(DEFAULT_SEED);
	/* Each format gets its own stream from the one seed. */
	rng_state = c->seed ^ fc->cfg.format;
	fprintf(stderr, "model test %s: seed 0x%llx (TDP_SEED), %u steps\n",
		fc->name, (unsigned long long)c->seed, steps);
	assert_int_equal(tdp_pool_create(POOL_SIZE, POOL_BASE, &c->pool), 0);
	mm = tdp_pool_mm(c->pool);
	assert_int_equal(tdp_pgt_init(&c->pgt, &fc->cfg, &mm), 0);

	for (c->step = 0; c->step < steps; c->step++)
		one_step(c);

	/* The run must have exercised every outcome. */
	fprintf(stderr,
		"model test %s: %llu ok, %llu exist, %llu notsup, %llu nomem, "
		"%llu steps with split tables, tables at most %llu, "
		"on average %llu\n",
		fc->name, (unsigned long long)c->n_ok,
		(unsigned long long)c->n_exist,
		(unsigned long long)c->n_notsup,
		(unsigned long long)c->n_nomem,
		(unsigned long long)c->n_split_seen,
		(unsigned long long)c->max_tables,
		(unsigned long long)(c->sum_tables / (steps ? steps : 1)));
	if (steps >= 500) {
		assert_true(c->n_exist > 0);
		assert_true(c->n_notsup > 0);
		assert_true(c->n_nomem > 0);
		assert_true(c->n_split_seen > 0);
	}

	/* Everything unmapped: only the root is left. */
	memset(&c->op, 0, sizeof(c->op));
	c->op.kind = OP_UNMAP;
	c->op.addr = fc->window;
	c->op.size = WINDOW;
	assert_int_equal(model_apply(c, &c->op), 0);
	assert_int_equal(run_op(c, &c->op), 0);
	el_swap(&c->model, &c->next);
	check_table(c);
	{
		struct tdp_pool_stats st;

		assert_int_equal(tdp_pool_get_stats(c->pool, &st), 0);
		assert_int_equal(st.tables_in_use, 1);
	}

	tdp_pgt_destroy(&c->pgt);
	tdp_pool_destroy(c->pool);
	free(c->model.v);
	free(c->next.v);
	free(c->seen.v);
	free(c);
}

/* Windows straddle a root-level boundary, so two subtrees are in play. */
static const struct fmt_case ept4 = {
	"ept4",
	{ .format = TDP_FMT_EPT4, .features = TDP_FEAT_EPT_AD, .pa_bits = 46 },
	true, 512 * G1 - 2 * G1, 1ull << 48, 2000
};
static const struct fmt_case ia32e4 = {
	"ia32e4",
	{ .format = TDP_FMT_IA32E4, .pa_bits = 46 },
	false, 512 * G1 - 2 * G1, 1ull << 47, 2000
};
static const struct fmt_case ept5 = {
	"ept5",
	{ .format = TDP_FMT_EPT5, .features = TDP_FEAT_EPT_AD },
	true, (1ull << 48) - 2 * G1, 1ull << 57, 700
};

static void test_model_ept4(void **state)
{
	(void)state;
	run_model(&ept4);
}

static void test_model_ia32e4(void **state)
{
	(void)state;
	run_model(&ia32e4);
}

static void test_model_ept5(void **state)
{
	(void)state;
	run_model(&ept5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_ept4),
		cmocka_unit_test(test_model_ia32e4),
		cmocka_unit_test(test_model_ept5),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}

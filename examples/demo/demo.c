/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The libtdp tour: build a small VM's memory map as an Intel EPT and as an
 * x86 IA-32e guest page table in a simulated pool, look addresses up with
 * every level's entry shown, write-protect and harvest dirty pages, then
 * tear everything down and show the pool is back to its root page.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <libtdp/tdp.h>

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

static void check(int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "demo: %s: %s\n", what, tdp_strerror(ret));
		exit(1);
	}
}

static const char *perm_string(uint32_t p, char buf[6])
{
	buf[0] = p & TDP_PERM_R ? 'r' : '-';
	buf[1] = p & TDP_PERM_W ? 'w' : '-';
	buf[2] = p & TDP_PERM_X ? 'x' : '-';
	buf[3] = p & TDP_PERM_U ? 'u' : '-';
	buf[4] = '\0';
	return buf;
}

struct counts {
	uint64_t tables[TDP_MAX_LEVELS];
	uint64_t leaves[TDP_MAX_LEVELS];
};

static int count_visit(const struct tdp_visit *v, void *arg)
{
	struct counts *c = arg;

	if (v->kind == TDP_ENTRY_TABLE)
		c->tables[v->level - 1]++;
	else if (v->kind == TDP_ENTRY_LEAF)
		c->leaves[v->level]++;
	return 0;
}

static void print_tree(const struct tdp_pgt *pgt, uint64_t addr,
		       uint64_t size)
{
	struct counts c = { 0 };
	int l;

	tdp_walk(pgt, addr, size, TDP_WALK_LEAF | TDP_WALK_TABLE_PRE,
		 count_visit, &c);
	c.tables[pgt->fmt.levels - 1] = 1; /* the root */
	printf("  %-6s %-8s %s\n", "level", "tables", "leaves");
	for (l = pgt->fmt.levels - 1; l >= 0; l--)
		printf("  %-6d %-8" PRIu64 " %" PRIu64 " x %s\n",
		       tdp_format_arch_level(&pgt->fmt, l), c.tables[l],
		       c.leaves[l],
		       l == 0 ? "4K" : l == 1 ? "2M" : l == 2 ? "1G" : "-");
}

static void show_lookup(const struct tdp_pgt *pgt, uint64_t addr)
{
	struct tdp_lookup r;
	char p[6];
	int ret = tdp_lookup(pgt, addr, &r);
	int l;

	if (ret && r.fault_level < 0)
		printf("  0x%016" PRIx64 "  fault %s\n", addr,
		       tdp_fault_name((int)r.fault));
	else if (ret)
		printf("  0x%016" PRIx64 "  fault %s level=%d\n", addr,
		       tdp_fault_name((int)r.fault),
		       tdp_format_arch_level(&pgt->fmt, r.fault_level));
	else
		printf("  0x%016" PRIx64 "  ok %#" PRIx64 " level=%d perms=%s\n",
		       addr, r.out_addr,
		       tdp_format_arch_level(&pgt->fmt, r.last_level),
		       perm_string(r.perms, p));
	for (l = r.root_level; r.last_level >= 0 && l >= r.last_level; l--)
		printf("      level %d entry @%#" PRIx64 " = 0x%016" PRIx64 "\n",
		       tdp_format_arch_level(&pgt->fmt, l), r.entry_pa[l],
		       r.entry[l]);
}

static int print_dirty(uint64_t addr, uint64_t size, void *arg)
{
	(void)arg; /* nothing to accumulate: print as we go */
	printf("  dirty: %#" PRIx64 " + %#" PRIx64 "\n", addr, size);
	return 0;
}

static void tables_in_use(struct tdp_pool *pool, const char *when)
{
	struct tdp_pool_stats st;

	tdp_pool_get_stats(pool, &st);
	printf("  pool: %" PRIu64 " table page(s) in use %s\n",
	       st.tables_in_use, when);
}

static void ept_tour(struct tdp_pool *pool)
{
	struct tdp_format_config cfg = { .format = TDP_FMT_EPT4,
					 .features = TDP_FEAT_EPT_AD,
					 .pa_bits = 46 };
	struct tdp_attrs ram = { .perms = TDP_PERM_RWX,
				 .flags = TDP_ATTR_ACCESSED };
	struct tdp_attrs rom = { .perms = TDP_PERM_R | TDP_PERM_X |
					  TDP_PERM_XU };
	struct tdp_attrs mmio = { .perms = TDP_PERM_R | TDP_PERM_W,
				  .memtype = TDP_MT_UC };
	struct tdp_mm mm = tdp_pool_mm(pool);
	struct tdp_report rep = { .fn = print_dirty };
	struct tdp_eptp e;
	struct tdp_pgt pgt;
	uint64_t eptp;

	printf("== Intel EPT, 4-level: RAM 0-3G (hole at 3G-4G), ROM, MMIO ==\n");
	check(tdp_pgt_init(&pgt, &cfg, &mm), "ept init");
	/* RAM below the hole, the 1 MiB BIOS ROM at its top, MMIO above. */
	check(tdp_map(&pgt, 0, 3 * GiB - 16 * MiB, 0x100000000ull, &ram, 0,
		      NULL), "map RAM");
	check(tdp_map(&pgt, 4 * GiB - MiB, MiB, 0x200000000ull, &rom, 0, NULL),
	      "map ROM");
	check(tdp_map(&pgt, 3 * GiB, 16 * MiB, 0xfe000000ull, &mmio, 0, NULL),
	      "map MMIO");
	e = (struct tdp_eptp){ .root_pa = pgt.root_pa, .memtype = TDP_MT_WB,
			       .levels = 4, .ad = true };
	check(tdp_eptp_make(&e, 46, &eptp), "eptp");
	printf("  root=%#" PRIx64 " eptp=%#" PRIx64 "\n", pgt.root_pa, eptp);
	print_tree(&pgt, 0, 1ull << 48);
	tables_in_use(pool, "after mapping");

	printf(" lookups (every level's entry):\n");
	show_lookup(&pgt, 0x12345678);
	show_lookup(&pgt, 4 * GiB - 0x10);
	show_lookup(&pgt, 3 * GiB + 0x1000);
	show_lookup(&pgt, 3 * GiB + 512 * MiB);

	printf(" dirty logging: write-protect RAM, guest writes 2 pages\n");
	check(tdp_protect(&pgt, 0, 3 * GiB - 16 * MiB, 0, TDP_PERM_W, 0, NULL),
	      "write-protect");
	/*
	 * Pretend the guest wrote two pages: the hypervisor relaxes them on
	 * the write fault and the CPU sets their dirty flags (done by hand
	 * here, as there is no CPU).
	 */
	check(tdp_protect(&pgt, 0x5000, 0x1000, TDP_PERM_W, 0, 0, NULL),
	      "relax");
	check(tdp_protect(&pgt, 0x40000000, 0x1000, TDP_PERM_W, 0, 0, NULL),
	      "relax");
	{
		struct tdp_attrs dirty = ram;

		dirty.flags |= TDP_ATTR_DIRTY;
		check(tdp_map(&pgt, 0x5000, 0x1000, 0x100005000ull, &dirty,
			      TDP_OP_REPLACE, NULL), "dirty");
		check(tdp_map(&pgt, 0x40000000, 0x1000, 0x140000000ull, &dirty,
			      TDP_OP_REPLACE, NULL), "dirty");
	}
	check(tdp_harvest_dirty(&pgt, 0, 3 * GiB - 16 * MiB, 0, &rep),
	      "harvest");
	tables_in_use(pool, "after splitting for dirty logging");

	check(tdp_unmap(&pgt, 0, 1ull << 48, 0, NULL), "unmap");
	tables_in_use(pool, "after unmapping everything");
	tdp_pgt_destroy(&pgt);
}

static void ia32e_tour(struct tdp_pool *pool)
{
	struct tdp_format_config cfg = { .format = TDP_FMT_IA32E4 };
	struct tdp_attrs kernel_text = { .perms = TDP_PERM_R | TDP_PERM_X |
						  TDP_PERM_XU,
					 .flags = TDP_ATTR_GLOBAL };
	struct tdp_attrs user = { .perms = TDP_PERM_R | TDP_PERM_W |
					   TDP_PERM_U };
	struct tdp_mm mm = tdp_pool_mm(pool);
	struct tdp_pgt pgt;
	uint64_t out;
	uint32_t fault;

	printf("\n== x86 IA-32e 4-level guest page table ==\n");
	check(tdp_pgt_init(&pgt, &cfg, &mm), "ia32e init");
	check(tdp_map(&pgt, 0xffffffff80000000ull, 16 * MiB, 0x1000000,
		      &kernel_text, 0, NULL), "map kernel");
	check(tdp_map(&pgt, 0x400000, 64 * KiB, 0x8000000, &user, 0, NULL),
	      "map user");
	printf("  root=%#" PRIx64 " cr3=%#" PRIx64 "\n", pgt.root_pa,
	       pgt.root_pa);
	show_lookup(&pgt, 0xffffffff80123456ull);
	show_lookup(&pgt, 0x401008);
	show_lookup(&pgt, 0x0000800000000000ull);
	check(tdp_translate(&pgt, 0xffffffff80000000ull,
			    TDP_ACCESS_READ | TDP_ACCESS_USER, &out, &fault) !=
			      -TDP_ERR_FAULT,
	      "user read of kernel text must fault");
	printf("  user read of kernel text: fault %s (as the SDM predicts)\n",
	       tdp_fault_name((int)fault));
	check(tdp_unmap(&pgt, 0xffffffff80000000ull, 16 * MiB, 0, NULL),
	      "unmap kernel");
	check(tdp_unmap(&pgt, 0x400000, 64 * KiB, 0, NULL), "unmap user");
	tables_in_use(pool, "after unmapping everything");
	tdp_pgt_destroy(&pgt);
}

int main(void)
{
	struct tdp_pool *pool;

	printf("libtdp %d.%d.%d demo\n\n", TDP_VERSION_MAJOR,
	       TDP_VERSION_MINOR, TDP_VERSION_PATCH);
	/* 8 MiB of simulated physical memory for table pages, at 1 MiB. */
	check(tdp_pool_create(8 * MiB, MiB, &pool), "pool");
	ept_tour(pool);
	ia32e_tour(pool);
	tdp_pool_destroy(pool);
	return 0;
}

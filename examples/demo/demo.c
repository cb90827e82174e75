/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * The libtdp tour. One small VM memory map -- RAM, a read-only ROM and an
 * MMIO hole -- is built as an Intel EPT and as arm64 stage-2 tables with
 * the 4 KiB, 16 KiB and 64 KiB granules, all in a simulated pool of
 * "physical" memory. For each: the table tree with page counts per level,
 * a few translations, a round of dirty logging (write-protect, guest
 * writes, harvest), and teardown back to the root page. An x86 IA-32e guest page
 * table then shows one lookup with every level's entry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <libtdp/tdp.h>

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* The VM: 2 GiB of RAM at 0, a 1 MiB ROM below 4 GiB, MMIO at 3 GiB. */
#define RAM_BASE 0ull
#define RAM_SIZE (2 * GiB)
#define RAM_HOST 0x80000000ull
#define ROM_BASE (4 * GiB - MiB)
#define ROM_SIZE MiB
#define ROM_HOST 0x40000000ull
#define MMIO_BASE (3 * GiB)
#define MMIO_SIZE (32 * MiB)
#define MMIO_HOST 0x10000000ull

static void check(int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "demo: %s: %s\n", what, tdp_strerror(ret));
		exit(1);
	}
}

static const char *size_name(int shift)
{
	static const char *const names[] = {
		[12] = "4K",  [14] = "16K", [16] = "64K",  [21] = "2M",
		[25] = "32M", [29] = "512M", [30] = "1G",  [36] = "64G",
		[39] = "512G", [42] = "4T",
	};

	if (shift < 0 || shift >= (int)(sizeof(names) / sizeof(names[0])) ||
	    !names[shift])
		return "?";
	return names[shift];
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

/* One line per level: "L1: 1 table, 2x1G". */
static void print_tree(const struct tdp_pgt *pgt)
{
	const struct tdp_format *fmt = &pgt->fmt;
	struct counts c = { 0 };
	int l;

	tdp_walk(pgt, 0, 1ull << fmt->ia_bits,
		 TDP_WALK_LEAF | TDP_WALK_TABLE_PRE, count_visit, &c);
	c.tables[fmt->levels - 1] = 1; /* the root */
	printf("  tree:");
	for (l = fmt->levels - 1; l >= 0; l--) {
		printf(" L%d %" PRIu64 "t", tdp_format_arch_level(fmt, l),
		       c.tables[l]);
		if (c.leaves[l])
			printf("+%" PRIu64 "x%s", c.leaves[l],
			       size_name(tdp_format_level_shift(fmt, l)));
		printf(l ? " |" : "\n");
	}
}

static const char *perm_string(uint32_t p, char buf[5])
{
	buf[0] = p & TDP_PERM_R ? 'r' : '-';
	buf[1] = p & TDP_PERM_W ? 'w' : '-';
	buf[2] = p & TDP_PERM_X ? 'x' : '-';
	buf[3] = p & TDP_PERM_U ? 'u' : '-';
	buf[4] = '\0';
	return buf;
}

static void translate(const struct tdp_pgt *pgt, uint64_t addr,
		      uint32_t access, const char *what)
{
	struct tdp_lookup r;
	uint64_t out;
	uint32_t fault;
	char p[5];

	tdp_lookup(pgt, addr, &r);
	if (tdp_translate(pgt, addr, access, &out, &fault))
		printf("  %-10s 0x%09" PRIx64 " -> fault %s\n", what, addr,
		       tdp_fault_name((int)fault));
	else
		printf("  %-10s 0x%09" PRIx64 " -> %#" PRIx64 " (%s page, %s)\n",
		       what, addr, out,
		       size_name(tdp_format_level_shift(&pgt->fmt,
							r.last_level)),
		       perm_string(r.perms, p));
}

static void print_lookup(const struct tdp_pgt *pgt, uint64_t addr)
{
	struct tdp_lookup r;
	int l;

	if (tdp_lookup(pgt, addr, &r))
		printf("  %#" PRIx64 ": fault %s\n", addr,
		       tdp_fault_name((int)r.fault));
	else
		printf("  %#" PRIx64 " -> %#" PRIx64 ", every level:\n", addr,
		       r.out_addr);
	for (l = r.root_level; r.last_level >= 0 && l >= r.last_level; l--)
		printf("    level %d  entry @%#" PRIx64 " = 0x%016" PRIx64 "\n",
		       tdp_format_arch_level(&pgt->fmt, l), r.entry_pa[l],
		       r.entry[l]);
}

static uint64_t tables_in_use(struct tdp_pool *pool)
{
	struct tdp_pool_stats st;

	tdp_pool_get_stats(pool, &st);
	return st.tables_in_use;
}

static uint64_t count_bits(const uint64_t *bitmap, size_t words)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bitmap[i]);
	return n;
}

static bool is_arm64(const struct tdp_pgt *pgt)
{
	return pgt->fmt.cfg.format >= TDP_FMT_S2_4K;
}

/*
 * Stand-in for the CPU: mark one page written. x86 sets the dirty flag;
 * arm64 hardware dirty management (DBM) makes the page writable.
 */
static void guest_writes(struct tdp_pgt *pgt, uint64_t addr)
{
	uint64_t page = 1ull << tdp_format_level_shift(&pgt->fmt, 0);
	struct tdp_lookup r;
	struct tdp_attrs a;

	check(tdp_lookup(pgt, addr, &r), "lookup");
	if (is_arm64(pgt)) {
		check(tdp_protect(pgt, addr & ~(page - 1), page, TDP_PERM_W, 0,
				  0, NULL), "guest write");
		return;
	}
	a = r.attrs;
	a.flags |= TDP_ATTR_DIRTY;
	check(tdp_map(pgt, addr & ~(page - 1), page,
		      r.out_addr & ~(page - 1), &a, TDP_OP_REPLACE, NULL),
	      "guest write");
}

static void vm_tour(struct tdp_pool *pool, const char *title,
		    const struct tdp_format_config *cfg)
{
	struct tdp_attrs ram = { .perms = TDP_PERM_RWX,
				 .flags = TDP_ATTR_ACCESSED };
	struct tdp_attrs rom = { .perms = TDP_PERM_R | TDP_PERM_X |
					  TDP_PERM_XU,
				 .flags = TDP_ATTR_ACCESSED };
	struct tdp_attrs mmio = { .perms = TDP_PERM_R | TDP_PERM_W,
				  .flags = TDP_ATTR_ACCESSED,
				  .memtype = TDP_MT_UC };
	struct tdp_mm mm = tdp_pool_mm(pool);
	static uint64_t dirty[RAM_SIZE / (4 * KiB) / 64];
	struct tdp_report rep = { .bitmap = dirty };
	struct tdp_pgt pgt;
	uint64_t reg;

	check(tdp_pgt_init(&pgt, cfg, &mm), "init");
	if (is_arm64(&pgt)) {
		/* Device memory for MMIO; DBM so hardware logs dirty pages. */
		mmio.memtype = TDP_MT_DEV_NGNRE;
		ram.flags |= TDP_ATTR_DBM;
	}
	check(tdp_map(&pgt, RAM_BASE, RAM_SIZE, RAM_HOST, &ram, 0, NULL),
	      "map RAM");
	check(tdp_map(&pgt, ROM_BASE, ROM_SIZE, ROM_HOST, &rom, 0, NULL),
	      "map ROM");
	check(tdp_map(&pgt, MMIO_BASE, MMIO_SIZE, MMIO_HOST, &mmio, 0, NULL),
	      "map MMIO");

	printf("== %s: %d levels, root %#" PRIx64, title, pgt.fmt.levels,
	       pgt.root_pa);
	if (is_arm64(&pgt)) {
		check(tdp_s2_make_vtcr(&pgt.fmt, TDP_S2_VTCR_VMID16, &reg),
		      "vtcr");
		printf(" (%u root page(s)), vtcr_el2=%#" PRIx64 "\n",
		       pgt.fmt.root_size / pgt.fmt.table_size, reg);
	} else {
		struct tdp_eptp e = { .root_pa = pgt.root_pa,
				      .memtype = TDP_MT_WB,
				      .levels = pgt.fmt.levels, .ad = true };

		check(tdp_eptp_make(&e, pgt.fmt.pa_bits, &reg), "eptp");
		printf(", eptp=%#" PRIx64 "\n", reg);
	}
	print_tree(&pgt);
	translate(&pgt, 0x12345678, TDP_ACCESS_WRITE, "RAM write");
	translate(&pgt, ROM_BASE + 0x10, TDP_ACCESS_EXEC, "ROM fetch");
	translate(&pgt, ROM_BASE + 0x10, TDP_ACCESS_WRITE, "ROM write");
	translate(&pgt, MMIO_BASE + 0x1000, TDP_ACCESS_READ, "MMIO read");
	translate(&pgt, MMIO_BASE + 512 * MiB, TDP_ACCESS_READ, "hole read");
	if (!is_arm64(&pgt))
		print_lookup(&pgt, ROM_BASE + 0x10);

	/* Dirty logging: start clean, the guest writes two pages, harvest. */
	check(tdp_protect(&pgt, RAM_BASE, RAM_SIZE, 0, TDP_PERM_W, 0, NULL),
	      "write-protect");
	if (!is_arm64(&pgt))
		check(tdp_harvest_dirty(&pgt, RAM_BASE, RAM_SIZE, 0, NULL),
		      "clear");
	guest_writes(&pgt, 0x5000);
	guest_writes(&pgt, 0x40000000);
	check(tdp_harvest_dirty(&pgt, RAM_BASE, RAM_SIZE, 0, &rep), "harvest");
	printf("  dirty log: %" PRIu64 " dirty page(s) harvested, %" PRIu64
	       " table pages now (blocks split only where written)\n",
	       count_bits(dirty, sizeof(dirty) / 8), tables_in_use(pool));
	for (size_t i = 0; i < sizeof(dirty) / 8; i++)
		dirty[i] = 0;

	check(tdp_unmap(&pgt, 0, 1ull << pgt.fmt.ia_bits, 0, NULL), "unmap");
	printf("  unmapped everything: %" PRIu64 " table page(s) left (the root)\n",
	       tables_in_use(pool));
	tdp_pgt_destroy(&pgt);
}

static void ia32e_tour(struct tdp_pool *pool)
{
	struct tdp_format_config cfg = { .format = TDP_FMT_IA32E4 };
	struct tdp_attrs text = { .perms = TDP_PERM_R | TDP_PERM_X |
					   TDP_PERM_XU,
				  .flags = TDP_ATTR_GLOBAL };
	struct tdp_attrs user = { .perms = TDP_PERM_R | TDP_PERM_W |
					   TDP_PERM_U };
	struct tdp_mm mm = tdp_pool_mm(pool);
	struct tdp_pgt pgt;

	check(tdp_pgt_init(&pgt, &cfg, &mm), "ia32e init");
	check(tdp_map(&pgt, 0xffffffff80000000ull, 16 * MiB, 0x1000000, &text,
		      0, NULL), "map kernel");
	check(tdp_map(&pgt, 0x400000, 64 * KiB, 0x8000000, &user, 0, NULL),
	      "map user");
	printf("== x86 IA-32e guest page table, cr3=%#" PRIx64 "\n",
	       pgt.root_pa);
	print_lookup(&pgt, 0x401008);
	translate(&pgt, 0xffffffff80000000ull,
		  TDP_ACCESS_READ | TDP_ACCESS_USER, "user read");
	translate(&pgt, 0x0000800000000000ull, TDP_ACCESS_READ, "hole");
	tdp_pgt_destroy(&pgt);
}

int main(void)
{
	const struct tdp_format_config ept = {
		.format = TDP_FMT_EPT4, .features = TDP_FEAT_EPT_AD,
		.pa_bits = 46 };
	const struct tdp_format_config s2_4k = {
		.format = TDP_FMT_S2_4K, .ia_bits = 40,
		.features = TDP_FEAT_S2_HA | TDP_FEAT_S2_HD };
	const struct tdp_format_config s2_16k = {
		.format = TDP_FMT_S2_16K, .ia_bits = 40,
		.features = TDP_FEAT_S2_HA | TDP_FEAT_S2_HD };
	const struct tdp_format_config s2_64k = {
		.format = TDP_FMT_S2_64K, .ia_bits = 40,
		.features = TDP_FEAT_S2_HA | TDP_FEAT_S2_HD };
	struct tdp_pool *pool;

	printf("libtdp %d.%d.%d tour: RAM 0-2G, ROM 1M below 4G, MMIO 32M at 3G\n\n",
	       TDP_VERSION_MAJOR, TDP_VERSION_MINOR, TDP_VERSION_PATCH);
	/* 16 MiB of simulated physical memory for table pages, at 1 GiB. */
	check(tdp_pool_create(16 * MiB, GiB, &pool), "pool");
	vm_tour(pool, "Intel EPT 4-level", &ept);
	vm_tour(pool, "arm64 stage 2, 4K granule, 40-bit IPA", &s2_4k);
	vm_tour(pool, "arm64 stage 2, 16K granule, 40-bit IPA", &s2_16k);
	vm_tour(pool, "arm64 stage 2, 64K granule, 40-bit IPA", &s2_64k);
	ia32e_tour(pool);
	tdp_pool_destroy(pool);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * libtdp in an emulator: the soft MMU of a CPU emulator.
 *
 * The emulated guest's RAM is one buffer; a libtdp pool over it stands for
 * the guest's physical memory, so the guest's own translation tables are
 * read where the guest wrote them. The MMU takes the guest's paging
 * registers (x86 CR0/CR3/CR4/EFER, arm64 VTCR_EL2/VTTBR_EL2), attaches to
 * the guest's root with tdp_pgt_init_at(), and for every access:
 *
 *   1. looks the address up in a 64-entry direct-mapped TLB;
 *   2. on a miss walks the tables with tdp_lookup(), which records the
 *      entry and its guest-physical address at every level;
 *   3. checks the access as the architecture does and turns a fault into
 *      what the CPU would report (x86 #PF error code or #GP, arm64 fault
 *      status code with its level);
 *   4. sets accessed/dirty state as the hardware walker does (x86: A in
 *      every entry walked, D in the leaf on a write; arm64 with HA/HD: AF,
 *      and S2AP write for a DBM page), each with a compare-and-swap on the
 *      entry in guest RAM; when an entry changed since the walk read it,
 *      the walk starts over;
 *   5. fills the TLB.
 *
 * The TLB is flushed by the guest's own invalidations (INVLPG, a CR3
 * write) and by libtdp's TLB hooks (tdp_pgt_set_tlb()) when the emulated
 * guest changes its tables through libtdp.
 *
 * Guest RAM is untrusted: the built-in images contain a table pointer
 * outside RAM, a table that points at itself, and reserved bits. Each
 * gives the fault the hardware would give, and random garbage in a table
 * gives faults or translations, never a crash.
 *
 * The program runs a scripted scenario on built-in images (x86 4- and
 * 5-level paging, arm64 stage 2 with the 4 KiB granule) and checks every
 * outcome against values written down from the Intel SDM and the Arm ARM;
 * it exits non-zero on any mismatch.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtdp/tdp.h>

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* ---- the soft MMU ------------------------------------------------------- */

#define TLB_ENTRIES 64

struct tlb_entry {
	bool valid;
	uint64_t vpn;   /* input address >> 12 */
	uint64_t pfn;   /* output address >> 12 */
	uint32_t perms; /* TDP_PERM_* the walk granted */
	bool dirty;     /* writes may hit: x86 D set, arm64 S2AP write set */
};

struct mmu_stats {
	uint64_t hits, misses, walks, restarts, flushes, dropped;
};

enum mmu_arch { MMU_X86, MMU_ARM64 };

struct mmu {
	enum mmu_arch arch;
	struct tdp_pool *ram;
	struct tdp_pgt pgt;
	/* x86 controls that change the access check. */
	bool wp, nxe, smep, smap;
	/* arm64: hardware access-flag and dirty-state updates. */
	bool ha, hd;
	struct tlb_entry tlb[TLB_ENTRIES];
	struct mmu_stats st;
	/*
	 * Test hook: called once, between a walk and its first A/D update,
	 * to stand for another vCPU changing the tables at that moment.
	 */
	void (*race)(struct mmu *m);
};

/* What the CPU reports for a failed access. */
struct mmu_fault {
	int vector;     /* x86: 14 (#PF) or 13 (#GP); arm64: 0 */
	uint32_t code;  /* x86: error code; arm64: fault status code (FSC) */
	const char *why;
};

/* x86 #PF error-code bits. */
#define PF_P 0x01u
#define PF_W 0x02u
#define PF_U 0x04u
#define PF_RSVD 0x08u
#define PF_I 0x10u

/* arm64 fault status codes (ESR_ELx.ISS.DFSC/IFSC), level in bits 1:0. */
#define FSC_ADDR_SIZE 0x00u
#define FSC_TRANSLATION 0x04u
#define FSC_ACCESS_FLAG 0x08u
#define FSC_PERMISSION 0x0cu
#define FSC_WALK_ABORT 0x14u

static struct tlb_entry *tlb_slot(struct mmu *m, uint64_t addr)
{
	return &m->tlb[(addr >> 12) % TLB_ENTRIES];
}

static void tlb_flush_all(void *ctx)
{
	struct mmu *m = ctx;
	unsigned int i;

	for (i = 0; i < TLB_ENTRIES; i++) {
		m->st.dropped += m->tlb[i].valid;
		m->tlb[i].valid = false;
	}
	m->st.flushes++;
}

static void tlb_flush_range(void *ctx, uint64_t addr, uint64_t size)
{
	struct mmu *m = ctx;
	uint64_t off;

	/* A range wider than the TLB: dropping everything is cheaper. */
	if (size / 4096 >= TLB_ENTRIES) {
		tlb_flush_all(m);
		return;
	}
	for (off = 0; off < size; off += 4096) {
		struct tlb_entry *e = tlb_slot(m, addr + off);

		if (e->valid && e->vpn == (addr + off) >> 12) {
			e->valid = false;
			m->st.dropped++;
		}
	}
	m->st.flushes++;
}

static void tlb_flush_addr(void *ctx, uint64_t addr, int level)
{
	struct mmu *m = ctx;
	uint64_t span = 1ull << tdp_format_level_shift(&m->pgt.fmt, level);

	/* The entry at @level mapped its whole span: drop all of it. */
	tlb_flush_range(m, addr & ~(span - 1), span);
}

static const struct tdp_tlb_ops mmu_tlb_ops = {
	.flush_addr = tlb_flush_addr,
	.flush_range = tlb_flush_range,
	.flush_all = tlb_flush_all,
};

/* x86 control-register bits the MMU reads. */
#define CR0_PG (1ull << 31)
#define CR0_WP (1ull << 16)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

struct x86_regs {
	uint64_t cr0, cr3, cr4, efer;
	unsigned int maxphyaddr;
};

static int mmu_attach(struct mmu *m, const struct tdp_format_config *cfg,
		      uint64_t root)
{
	struct tdp_mm mm = tdp_pool_mm(m->ram);
	int ret;

	ret = tdp_pgt_init_at(&m->pgt, cfg, &mm, root);
	if (ret)
		return ret;
	tlb_flush_all(m);
	return tdp_pgt_set_tlb(&m->pgt, &mmu_tlb_ops, m);
}

/*
 * Load the x86 paging registers: the paging mode picks the libtdp format
 * (IA-32e with LA57 or not, PAE, 32-bit), EFER.NXE whether bit 63 is XD or
 * reserved, MAXPHYADDR the reserved address bits. A CR3 write (this call)
 * flushes the TLB.
 */
static int mmu_load_x86(struct mmu *m, struct tdp_pool *ram,
			const struct x86_regs *r)
{
	struct tdp_format_config cfg = { .pa_bits = (uint8_t)r->maxphyaddr };
	uint64_t root;

	memset(m, 0, sizeof(*m));
	m->arch = MMU_X86;
	m->ram = ram;
	if (!(r->cr0 & CR0_PG))
		return -TDP_ERR_NOTSUP; /* no paging: nothing to translate */
	if (r->efer & EFER_LMA) {
		cfg.format = (r->cr4 & CR4_LA57) ? TDP_FMT_IA32E5 :
						   TDP_FMT_IA32E4;
		root = r->cr3 & ((1ull << r->maxphyaddr) - 1) & ~0xfffull;
	} else if (r->cr4 & CR4_PAE) {
		cfg.format = TDP_FMT_PAE;
		root = r->cr3 & 0xffffffe0ull;
	} else {
		cfg.format = TDP_FMT_LEGACY32;
		cfg.pa_bits = 0;
		cfg.features = (r->cr4 & CR4_PSE) ? TDP_FEAT_PSE : 0;
		root = r->cr3 & 0xfffff000ull;
	}
	m->nxe = cfg.format != TDP_FMT_LEGACY32 && (r->efer & EFER_NXE);
	if (cfg.format != TDP_FMT_LEGACY32 && !m->nxe)
		cfg.features |= TDP_FEAT_NO_NX;
	m->wp = r->cr0 & CR0_WP;
	m->smep = r->cr4 & CR4_SMEP;
	m->smap = r->cr4 & CR4_SMAP;
	return mmu_attach(m, &cfg, root);
}

/*
 * Load the arm64 stage-2 registers: VTCR_EL2 gives the granule, the IPA
 * and PA sizes, the start level and HA/HD; VTTBR_EL2 the root.
 */
static int mmu_load_arm64(struct mmu *m, struct tdp_pool *ram, uint64_t vtcr,
			  uint64_t vttbr)
{
	struct tdp_format_config cfg;
	struct tdp_format fmt;
	uint64_t root;
	int ret;

	memset(m, 0, sizeof(*m));
	m->arch = MMU_ARM64;
	m->ram = ram;
	ret = tdp_s2_parse_vtcr(vtcr, 0, &cfg);
	if (!ret)
		ret = tdp_format_init(&fmt, &cfg);
	if (!ret)
		ret = tdp_s2_parse_vttbr(&fmt, vttbr, &root, NULL);
	if (ret)
		return ret;
	m->ha = cfg.features & TDP_FEAT_S2_HA;
	m->hd = cfg.features & TDP_FEAT_S2_HD;
	return mmu_attach(m, &cfg, root);
}

static int arch_level(const struct mmu *m, int level)
{
	return tdp_format_arch_level(&m->pgt.fmt, level);
}

static uint32_t fsc(uint32_t base, int level)
{
	/* Level -1 (LPA2) has its own codes: 0x29, 0x2b, 0x13. */
	if (level < 0)
		return base == FSC_WALK_ABORT ? 0x13 : 0x29 + base / 2;
	return base | (uint32_t)level;
}

/* The #PF error code for an access; P and RSVD come from the caller. */
static uint32_t x86_pf_code(const struct mmu *m, uint32_t access,
			    uint32_t bits)
{
	if (access & TDP_ACCESS_WRITE)
		bits |= PF_W;
	if (access & TDP_ACCESS_USER)
		bits |= PF_U;
	/* I/D is reported for fetches when NX (or SMEP) is on. */
	if ((access & TDP_ACCESS_EXEC) && (m->nxe || m->smep))
		bits |= PF_I;
	return bits;
}

/* A walk that stopped at a bad entry: the fault the CPU reports. */
static void fault_from_walk(const struct mmu *m, const struct tdp_lookup *res,
			    uint32_t access, struct mmu_fault *f)
{
	int level = res->fault_level >= 0 ? arch_level(m, res->fault_level) :
					    0;

	f->why = tdp_fault_name((int)res->fault);
	if (m->arch == MMU_X86) {
		f->vector = 14;
		switch (res->fault) {
		case TDP_FAULT_NON_CANONICAL:
			f->vector = 13;
			f->code = 0;
			break;
		case TDP_FAULT_NOT_PRESENT:
			f->code = x86_pf_code(m, access, 0);
			break;
		case TDP_FAULT_BAD_POINTER:
			/*
			 * A table outside RAM reads as all ones on a PC (no
			 * device answers), and all ones has reserved bits.
			 */
		default:
			f->code = x86_pf_code(m, access, PF_P | PF_RSVD);
			break;
		}
		return;
	}
	switch (res->fault) {
	case TDP_FAULT_ADDRESS_SIZE:
		f->code = fsc(FSC_ADDR_SIZE, level);
		break;
	case TDP_FAULT_BAD_POINTER:
		/*
		 * Reading the next table hits no memory: a synchronous
		 * external abort on the walk, at the next lookup level.
		 */
		f->code = fsc(FSC_WALK_ABORT, level + 1);
		break;
	default: /* not present, or a descriptor invalid at its level */
		f->code = fsc(FSC_TRANSLATION, level);
		break;
	}
}

/* The architecture's access check on the walk's effective permissions. */
static bool x86_allowed(const struct mmu *m, uint32_t perms, uint32_t access)
{
	bool user = access & TDP_ACCESS_USER;

	if (user && !(perms & TDP_PERM_U))
		return false;
	if ((access & TDP_ACCESS_WRITE) && !(perms & TDP_PERM_W) &&
	    (user || m->wp))
		return false;
	if ((access & TDP_ACCESS_EXEC) && !(perms & TDP_PERM_X))
		return false;
	if (!user && (perms & TDP_PERM_U)) {
		if ((access & TDP_ACCESS_EXEC) && m->smep)
			return false;
		if ((access & (TDP_ACCESS_READ | TDP_ACCESS_WRITE)) && m->smap)
			return false;
	}
	return true;
}

/*
 * Set @bits in the entry at guest-physical @pa that the walk read as @seen,
 * atomically, as the hardware walker does. False when the entry changed
 * since the walk read it: the walk must start over.
 */
static bool set_entry_bits(struct mmu *m, uint64_t pa, uint64_t seen,
			   uint64_t bits)
{
	void *p;

	if ((seen & bits) == bits)
		return true;
	if (m->race) {
		void (*race)(struct mmu *) = m->race;

		m->race = NULL;
		race(m);
	}
	p = tdp_pool_phys_to_virt(m->ram, pa, m->pgt.fmt.entry_size);
	if (!p)
		return false;
	if (m->pgt.fmt.entry_size == 4) {
		uint32_t old = (uint32_t)seen;

		return __atomic_compare_exchange_n((uint32_t *)p, &old,
						   old | (uint32_t)bits, false,
						   __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST);
	}
	return __atomic_compare_exchange_n((uint64_t *)p, &seen, seen | bits,
					   false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

#define X86_A (1ull << 5)
#define X86_D (1ull << 6)
#define S2_AP_W (1ull << 7)
#define S2_AF (1ull << 10)
#define S2_DBM (1ull << 51)

/*
 * x86: A in every entry of the walk, root first, and D in the leaf for a
 * write. False if any entry changed under us.
 */
static bool x86_update_ad(struct mmu *m, const struct tdp_lookup *res,
			  uint32_t access)
{
	uint64_t seen[TDP_MAX_LEVELS];
	int l, k;

	memcpy(seen, res->entry, sizeof(seen));
	for (l = res->root_level; l >= res->last_level; l--) {
		uint64_t bits = X86_A;

		if (l == res->last_level && (access & TDP_ACCESS_WRITE))
			bits |= X86_D;
		if (!set_entry_bits(m, res->entry_pa[l], seen[l], bits))
			return false;
		/* A table that points at itself: the entry is used again. */
		for (k = l - 1; k >= res->last_level; k--)
			if (res->entry_pa[k] == res->entry_pa[l])
				seen[k] |= bits;
	}
	return true;
}

/* One walk of an access; 1 means "restart", 0 done, -1 fault. */
static int mmu_walk_once(struct mmu *m, uint64_t addr, uint32_t access,
			 uint64_t *out, struct mmu_fault *f)
{
	struct tdp_lookup res;
	struct tlb_entry *e;
	uint64_t leaf;
	uint32_t perms;
	int leaf_level;

	m->st.walks++;
	if (tdp_lookup(&m->pgt, addr, &res)) {
		fault_from_walk(m, &res, access, f);
		return -1;
	}
	leaf_level = res.last_level;
	leaf = res.entry[leaf_level];
	perms = res.perms;
	if (m->arch == MMU_X86) {
		if (!x86_allowed(m, perms, access)) {
			f->vector = 14;
			f->code = x86_pf_code(m, access, PF_P);
			f->why = "permission";
			return -1;
		}
		if (!x86_update_ad(m, &res, access))
			return 1;
	} else {
		int level = arch_level(m, leaf_level);
		bool dbm_clean = m->hd && (leaf & S2_DBM) &&
				 !(perms & TDP_PERM_W);
		uint32_t need = ((access & TDP_ACCESS_READ) ? TDP_PERM_R : 0) |
				((access & TDP_ACCESS_WRITE) ? TDP_PERM_W : 0) |
				((access & TDP_ACCESS_EXEC) ?
					 ((access & TDP_ACCESS_USER) ?
						  TDP_PERM_XU : TDP_PERM_X) :
					 0);

		/* Access-flag faults come before permission faults. */
		if (!(leaf & S2_AF) && !m->ha) {
			f->vector = 0;
			f->code = fsc(FSC_ACCESS_FLAG, level);
			f->why = "access-flag";
			return -1;
		}
		/* With HD, a DBM page is writable: the write makes it dirty. */
		if (dbm_clean)
			perms |= TDP_PERM_W;
		if (need & ~perms) {
			f->vector = 0;
			f->code = fsc(FSC_PERMISSION, level);
			f->why = "permission";
			return -1;
		}
		if (!set_entry_bits(m, res.entry_pa[leaf_level], leaf,
				    S2_AF | ((access & TDP_ACCESS_WRITE) &&
						     dbm_clean ? S2_AP_W : 0)))
			return 1;
		/* A clean DBM page stays un-writable in the TLB until dirty. */
		if (dbm_clean && !(access & TDP_ACCESS_WRITE))
			perms &= ~TDP_PERM_W;
	}

	e = tlb_slot(m, addr);
	e->valid = true;
	e->vpn = addr >> 12;
	e->pfn = res.out_addr >> 12;
	e->perms = perms;
	e->dirty = (access & TDP_ACCESS_WRITE) ||
		   (m->arch == MMU_X86 ? (leaf & X86_D) != 0 :
					 (leaf & S2_AP_W) != 0);
	*out = res.out_addr;
	return 0;
}

/* Can a TLB entry serve this access without a walk? */
static bool tlb_allows(const struct mmu *m, const struct tlb_entry *e,
		       uint32_t access)
{
	if (access & TDP_ACCESS_WRITE && !e->dirty)
		return false; /* the walk must set the dirty state first */
	if (m->arch == MMU_X86)
		return x86_allowed(m, e->perms, access);
	if ((access & TDP_ACCESS_READ) && !(e->perms & TDP_PERM_R))
		return false;
	if ((access & TDP_ACCESS_WRITE) && !(e->perms & TDP_PERM_W))
		return false;
	return !(access & TDP_ACCESS_EXEC) || (e->perms & TDP_PERM_X);
}

/*
 * Translate one access. Returns 0 with the output address, or -1 with the
 * fault. A TLB entry that does not allow the access is not trusted to
 * decide a fault: the tables are walked again, as the CPU does.
 */
static int mmu_access(struct mmu *m, uint64_t addr, uint32_t access,
		      uint64_t *out, struct mmu_fault *f, bool *hit)
{
	struct tlb_entry *e = tlb_slot(m, addr);
	int ret;

	*hit = false;
	if (e->valid && e->vpn == addr >> 12 && tlb_allows(m, e, access)) {
		m->st.hits++;
		*hit = true;
		*out = (e->pfn << 12) | (addr & 0xfff);
		return 0;
	}
	m->st.misses++;
	do {
		ret = mmu_walk_once(m, addr, access, out, f);
		m->st.restarts += ret == 1;
	} while (ret == 1);
	return ret;
}

/* The guest executed INVLPG (x86) or TLBI IPAS2E1 (arm64) for @addr. */
static void mmu_invalidate_page(struct mmu *m, uint64_t addr)
{
	tlb_flush_range(m, addr & ~0xfffull, 4096);
}

/* ---- the scenario -------------------------------------------------------- */

static unsigned int failures;

#define RD TDP_ACCESS_READ
#define WR TDP_ACCESS_WRITE
#define EX TDP_ACCESS_EXEC
#define US TDP_ACCESS_USER

static const char *access_name(uint32_t access)
{
	static const char *const names[] = {
		[RD] = "read",         [WR] = "write",
		[EX] = "exec",         [RD | US] = "user read",
		[WR | US] = "user write", [EX | US] = "user exec",
	};

	return names[access & (RD | WR | EX | US)];
}

static void report(bool ok, const char *fmt_line)
{
	printf("  %-8s %s\n", ok ? "ok" : "MISMATCH", fmt_line);
	failures += !ok;
}

static uint64_t ram_read64(struct tdp_pool *ram, uint64_t pa)
{
	uint64_t v = 0;
	void *p = tdp_pool_phys_to_virt(ram, pa, 8);

	if (p)
		memcpy(&v, p, 8);
	return v;
}

static void ram_write64(struct tdp_pool *ram, uint64_t pa, uint64_t v)
{
	void *p = tdp_pool_phys_to_virt(ram, pa, 8);

	if (p)
		memcpy(p, &v, 8);
}

/* An access that must translate to @want_pa; @want_hit: -1 don't care. */
static void expect_ok(struct mmu *m, uint64_t addr, uint32_t access,
		      uint64_t want_pa, int want_hit, const char *what)
{
	struct mmu_fault f = { 0 };
	char line[160];
	uint64_t pa = 0;
	bool hit, ok;
	int ret;

	ret = mmu_access(m, addr, access, &pa, &f, &hit);
	ok = ret == 0 && pa == want_pa && (want_hit < 0 || want_hit == hit);
	if (ret == 0)
		snprintf(line, sizeof(line), "%-10s 0x%-12" PRIx64 " -> 0x%"
			 PRIx64 " (%s) %s", access_name(access), addr, pa,
			 hit ? "TLB" : "walk", what);
	else
		snprintf(line, sizeof(line), "%-10s 0x%-12" PRIx64 " FAULT %s"
			 " 0x%x, expected 0x%" PRIx64 " %s",
			 access_name(access), addr, f.why, f.code, want_pa,
			 what);
	report(ok, line);
}

static void expect_fault(struct mmu *m, uint64_t addr, uint32_t access,
			 int vector, uint32_t code, const char *what)
{
	struct mmu_fault f = { 0 };
	char line[160];
	uint64_t pa;
	bool hit;
	int ret;

	ret = mmu_access(m, addr, access, &pa, &f, &hit);
	if (ret == 0)
		snprintf(line, sizeof(line), "%-10s 0x%-12" PRIx64 " -> 0x%"
			 PRIx64 ", expected a fault %s", access_name(access),
			 addr, pa, what);
	else if (m->arch == MMU_X86)
		snprintf(line, sizeof(line), "%-10s 0x%-12" PRIx64 " %s 0x%x"
			 " (%s) %s", access_name(access), addr,
			 f.vector == 13 ? "#GP" : "#PF", f.code, f.why, what);
	else
		snprintf(line, sizeof(line), "%-10s 0x%-12" PRIx64 " FSC 0x%02x"
			 " (%s L%u) %s", access_name(access), addr, f.code,
			 f.why, f.code & 3, what);
	report(ret != 0 && f.vector == vector && f.code == code, line);
}

static void expect_true(bool cond, const char *what)
{
	report(cond, what);
}

/* Fill guest RAM with tags: every 8-byte word holds its own address. */
static void fill_tags(uint8_t *ram, uint64_t base, uint64_t size)
{
	uint64_t off;

	for (off = 0; off < size; off += 8) {
		uint64_t v = base + off;

		memcpy(ram + off, &v, 8);
	}
}

static void put_entry(struct tdp_pool *ram, uint64_t table, unsigned int i,
		      uint64_t val)
{
	ram_write64(ram, table + 8ull * i, val);
}

/* ---- x86 ----------------------------------------------------------------- */

/*
 * The x86 image: 4 MiB of RAM at guest-physical 0. The guest's tables, as
 * its kernel wrote them (Intel SDM vol. 3, 4.5):
 *
 *   PML5 0x5000 [0], [511] -> PML4 (5-level paging only)
 *   PML4 0x1000 [0] -> PDPT 0x2000, [1] -> 0x7f000000 (outside RAM),
 *               [511] -> PDPT 0x6000
 *   PDPT 0x2000 [0] -> PD 0x3000, [1] 1G leaf at 0, read-only, NX
 *   PD   0x3000 [2] -> PT 0x4000, [3] 2M leaf 0x200000 rw NX,
 *               [4] 2M leaf with bit 13 set (reserved),
 *               [5] -> 0x7f000000 (outside RAM), [6] -> PD itself (loop)
 *   PT   0x4000 [0] 0x10000 rw user, [1] 0x11000 read-only NX,
 *               [2] 0x12000 rw, [3] not present,
 *               [4] 0x14000 with bit 51 set (>= MAXPHYADDR 40),
 *               [5] 0x15000 read-only user
 *   PDPT 0x6000 [510] -> PD 0x7000 [0] -> PT 0x8000 [0] 0x16000 rw
 *               (linear 0xffffffff80000000)
 */
#define X86_RAM (4 * MiB)
#define X86_PML5 0x5000ull
#define X86_PML4 0x1000ull
#define X86_PDPT 0x2000ull
#define X86_PD 0x3000ull
#define X86_PT 0x4000ull
#define X86_OUTSIDE 0x7f000000ull
#define X86_TABLE 0x7ull /* P, R/W, U/S */
#define X86_P 0x1ull
#define X86_RW 0x2ull
#define X86_US 0x4ull
#define X86_PS 0x80ull
#define X86_NX (1ull << 63)

static void build_x86_image(struct tdp_pool *ram, uint8_t *mem)
{
	fill_tags(mem, 0, X86_RAM);
	memset(mem + 0x1000, 0, 0x8000); /* table pages 0x1000..0x8fff */
	put_entry(ram, X86_PML5, 0, X86_PML4 | X86_TABLE);
	put_entry(ram, X86_PML5, 511, X86_PML4 | X86_TABLE);
	put_entry(ram, X86_PML4, 0, X86_PDPT | X86_TABLE);
	put_entry(ram, X86_PML4, 1, X86_OUTSIDE | X86_TABLE);
	put_entry(ram, X86_PML4, 511, 0x6000 | X86_TABLE);
	put_entry(ram, X86_PDPT, 0, X86_PD | X86_TABLE);
	put_entry(ram, X86_PDPT, 1, 0 | X86_P | X86_PS | X86_NX);
	put_entry(ram, X86_PD, 2, X86_PT | X86_TABLE);
	put_entry(ram, X86_PD, 3, 0x200000 | X86_P | X86_RW | X86_PS | X86_NX);
	put_entry(ram, X86_PD, 4, 0x200000 | X86_P | X86_RW | X86_PS |
					  (1ull << 13));
	put_entry(ram, X86_PD, 5, X86_OUTSIDE | X86_TABLE);
	put_entry(ram, X86_PD, 6, X86_PD | X86_TABLE);
	put_entry(ram, X86_PT, 0, 0x10000 | X86_P | X86_RW | X86_US);
	put_entry(ram, X86_PT, 1, 0x11000 | X86_P | X86_NX);
	put_entry(ram, X86_PT, 2, 0x12000 | X86_P | X86_RW);
	put_entry(ram, X86_PT, 4, 0x14000 | X86_P | (1ull << 51));
	put_entry(ram, X86_PT, 5, 0x15000 | X86_P | X86_US);
	put_entry(ram, 0x6000, 510, 0x7000 | X86_TABLE);
	put_entry(ram, 0x7000, 0, 0x8000 | X86_TABLE);
	put_entry(ram, 0x8000, 0, 0x16000 | X86_P | X86_RW);
}

/* Another vCPU write-protects PT[2] between our walk and our D update. */
static void race_clear_rw(struct mmu *m)
{
	uint64_t pte = ram_read64(m->ram, X86_PT + 2 * 8);

	ram_write64(m->ram, X86_PT + 2 * 8, pte & ~X86_RW);
}

struct walk_census {
	uint64_t kinds[5];
};

static int census_visit(const struct tdp_visit *v, void *arg)
{
	struct walk_census *c = arg;

	if (v->kind < 5)
		c->kinds[v->kind]++;
	return 0;
}

/*
 * Walk the whole input space of the guest's tables: it must terminate and
 * find the corrupt entries the image has.
 */
static void census(const struct mmu *m, uint64_t lo, uint64_t size,
		   const char *what, uint64_t reserved, uint64_t outside)
{
	struct walk_census c = { { 0 } };
	char line[160];
	int ret;

	ret = tdp_walk(&m->pgt, lo, size, TDP_WALK_LEAF | TDP_WALK_TABLE_PRE,
		       census_visit, &c);
	snprintf(line, sizeof(line), "tdp_walk %s: %" PRIu64 " tables, %"
		 PRIu64 " leaves, %" PRIu64 " reserved, %" PRIu64
		 " outside RAM", what, c.kinds[TDP_ENTRY_TABLE],
		 c.kinds[TDP_ENTRY_LEAF], c.kinds[TDP_ENTRY_RESERVED],
		 c.kinds[TDP_ENTRY_BAD_POINTER]);
	expect_true(ret == 0 && c.kinds[TDP_ENTRY_BAD_POINTER] == outside &&
			    c.kinds[TDP_ENTRY_RESERVED] == reserved, line);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random garbage in one table page of the guest: random flag bits, table
 * and page addresses half inside guest RAM and half outside, and now and
 * then a random high bit. Thousands of accesses through it end in a
 * translation or a fault, never outside guest RAM (run it under ASan to
 * see that), and a full walk still terminates.
 */
static void garbage_table(struct mmu *m, uint64_t table, uint64_t lo,
			  uint64_t span, uint64_t ram_base, uint64_t ram_size)
{
	static const uint32_t kinds[] = { RD, WR, EX, RD | US, WR | US };
	uint64_t seed = 0x9e3779b97f4a7c15ull, ok = 0, faults = 0;
	struct walk_census c = { { 0 } };
	char line[160];
	unsigned int i;

	for (i = 0; i < 512; i++) {
		uint64_t r = xorshift(&seed);
		uint64_t pa = ram_base + (xorshift(&seed) % (2 * ram_size));
		uint64_t high = (r & 0x700) ? 0 : 1ull << (40 + r % 24);

		put_entry(m->ram, table, i, (r & 0x8000000000000fffull) |
						    (pa & ~0xfffull) | high);
	}
	tlb_flush_all(m);
	for (i = 0; i < 20000; i++) {
		uint64_t addr = lo + (xorshift(&seed) % span), pa;
		struct mmu_fault f;
		bool hit;

		if (mmu_access(m, addr & ~7ull, kinds[i % 5], &pa, &f, &hit))
			faults++;
		else
			ok++;
	}
	tdp_walk(&m->pgt, lo, span, TDP_WALK_LEAF | TDP_WALK_TABLE_PRE,
		 census_visit, &c);
	snprintf(line, sizeof(line), "garbage table 0x%" PRIx64 ": %" PRIu64
		 " translated, %" PRIu64 " faulted, walk saw %" PRIu64
		 " entries", table, ok, faults,
		 c.kinds[0] + c.kinds[1] + c.kinds[2] + c.kinds[3] +
			 c.kinds[4]);
	expect_true(ok + faults == 20000, line);
}

static void x86_scenario(struct tdp_pool *ram, uint8_t *mem, bool la57)
{
	struct x86_regs regs = {
		.cr0 = CR0_PG | CR0_WP | 1,
		.cr3 = la57 ? X86_PML5 : X86_PML4,
		.cr4 = CR4_PAE | (la57 ? CR4_LA57 : 0),
		.efer = EFER_LMA | EFER_NXE | (1ull << 8),
		.maxphyaddr = 40,
	};
	struct tdp_attrs rw = { .perms = TDP_PERM_R | TDP_PERM_W | TDP_PERM_X |
					 TDP_PERM_XU | TDP_PERM_U };
	uint64_t flushes, restarts;
	struct mmu m;
	int ret;

	build_x86_image(ram, mem);
	ret = mmu_load_x86(&m, ram, &regs);
	printf("x86 %s: CR0 0x%" PRIx64 " CR3 0x%" PRIx64 " CR4 0x%" PRIx64
	       " EFER 0x%" PRIx64 " -> %s\n", la57 ? "5-level" : "4-level",
	       regs.cr0, regs.cr3, regs.cr4, regs.efer,
	       ret ? tdp_strerror(ret) : tdp_format_name(m.pgt.fmt.cfg.format));
	if (ret) {
		failures++;
		return;
	}

	/* Translations; the value read shows where the access landed. */
	expect_ok(&m, 0x400008, RD, 0x10008, 0, "4K user rw page");
	expect_true(ram_read64(ram, 0x10008) == 0x10008,
		    "guest RAM at 0x10008 holds its tag 0x10008");
	expect_true((ram_read64(ram, X86_PML4) & X86_A) &&
			    (ram_read64(ram, X86_PDPT) & X86_A) &&
			    (ram_read64(ram, X86_PD + 16) & X86_A) &&
			    (ram_read64(ram, X86_PT) & X86_A) &&
			    !(ram_read64(ram, X86_PT) & X86_D) &&
			    (!la57 || (ram_read64(ram, X86_PML5) & X86_A)),
		    "A set in every entry walked, D clear after a read");
	expect_ok(&m, 0x400010, RD, 0x10010, 1, "same page again");
	expect_ok(&m, 0x400018, WR | US, 0x10018, 0,
		  "first write walks to set D");
	expect_true(ram_read64(ram, X86_PT) & X86_D, "D set in the PTE");
	expect_ok(&m, 0x400020, WR, 0x10020, 1, "dirty now: TLB hit");
	expect_true((ram_read64(ram, X86_PD + 6 * 8) & X86_A) == 0,
		    "entries not walked stay without A");
	expect_ok(&m, 0x600000 + 0x1238, RD, 0x201238, -1, "2M leaf");
	expect_ok(&m, 0x40000000 + 0x10010, RD, 0x10010, -1, "1G leaf");
	expect_ok(&m, 0xffffffff80000040ull, WR, 0x16040, -1,
		  "upper half (PML4[511])");

	/* Faults, with the error codes of SDM vol. 3, 4.7. */
	expect_fault(&m, 0x401008, WR, 14, PF_P | PF_W, "read-only, WP=1");
	expect_fault(&m, 0x401000, EX, 14, PF_P | PF_I, "NX page");
	expect_fault(&m, 0x401000, RD | US, 14, PF_P | PF_U,
		     "supervisor page");
	expect_fault(&m, 0x405008, WR | US, 14, PF_P | PF_W | PF_U,
		     "user read-only page");
	expect_fault(&m, 0x403000, RD, 14, 0, "not present");
	expect_fault(&m, 0x403000, EX | US, 14, PF_U | PF_I, "not present");
	expect_fault(&m, 0x404000, RD, 14, PF_P | PF_RSVD,
		     "PTE bit 51 >= MAXPHYADDR");
	expect_fault(&m, 0x40000000 + 0x10000, WR, 14, PF_P | PF_W,
		     "1G leaf is read-only");
	expect_fault(&m, 0x800000, RD, 14, PF_P | PF_RSVD,
		     "2M leaf with bit 13 set");
	expect_fault(&m, 0x8000000000ull, RD, 14, PF_P | PF_RSVD,
		     "PML4E points outside RAM");
	expect_fault(&m, 0xa00000, WR, 14, PF_P | PF_W | PF_RSVD,
		     "PDE points outside RAM");
	expect_fault(&m, 0x0000800000000000ull, RD, la57 ? 14 : 13, 0,
		     la57 ? "PML5E 1 not present" : "non-canonical");
	expect_fault(&m, 0x8000000000000000ull, RD, 13, 0, "non-canonical");

	/*
	 * PD[6] points at the PD itself: the walk still ends after four
	 * levels. PT index 6 reads PD[6] as a PTE and maps the PD page (a
	 * recursive mapping, as on hardware); PT index 7 reads the empty
	 * PD[7].
	 */
	expect_ok(&m, 0xc00000 + 6 * 4096 + 0x18, RD, X86_PD + 0x18, -1,
		  "loop: reads the PD itself");
	expect_true((ram_read64(ram, X86_PD + 0x18) & ~X86_A) ==
			    (0x200000 | X86_P | X86_RW | X86_PS | X86_NX),
		    "  ... and what it reads there is PD[3]");
	expect_fault(&m, 0xc00000 + 7 * 4096, RD, 14, 0,
		     "loop: empty PD[7] as a PTE");

	/*
	 * The guest changes a PTE with a plain store: until it executes
	 * INVLPG the TLB may keep the old translation, as on hardware.
	 */
	expect_ok(&m, 0x400028, WR, 0x10028, -1, "write");
	ram_write64(ram, X86_PT, ram_read64(ram, X86_PT) & ~X86_RW);
	expect_ok(&m, 0x400030, WR, 0x10030, 1,
		  "PTE made read-only, no INVLPG: stale TLB");
	mmu_invalidate_page(&m, 0x400000);
	expect_fault(&m, 0x400030, WR, 14, PF_P | PF_W, "after INVLPG");
	ram_write64(ram, X86_PT, ram_read64(ram, X86_PT) | X86_RW);
	mmu_invalidate_page(&m, 0x400000);

	/*
	 * The guest changes its tables through libtdp instead: libtdp calls
	 * the TLB hooks, so the emulator's TLB never goes stale.
	 */
	expect_ok(&m, 0x400030, WR, 0x10030, -1, "writable again");
	expect_ok(&m, 0x400038, WR, 0x10038, 1, "cached");
	flushes = m.st.flushes;
	ret = tdp_protect(&m.pgt, 0x400000, 4096, 0, TDP_PERM_W, 0, NULL);
	expect_true(ret == 0 && m.st.flushes == flushes + 1,
		    "tdp_protect(0x400000, -W): libtdp called flush_addr");
	expect_fault(&m, 0x400038, WR, 14, PF_P | PF_W,
		     "so the write faults at once");
	ret = tdp_unmap(&m.pgt, 0x402000, 4096, 0, NULL);
	expect_fault(&m, 0x402000, RD, 14, 0, "tdp_unmap(0x402000)");
	flushes = m.st.flushes;
	ret |= tdp_map(&m.pgt, 0x406000, 4096, 0x17000, &rw, 0, NULL);
	expect_true(ret == 0 && m.st.flushes == flushes,
		    "tdp_map(0x406000): a new entry needs no flush");
	expect_ok(&m, 0x406008, RD | US, 0x17008, 0, "the new page");

	/*
	 * Another vCPU write-protects PT[2] between this walk and its D
	 * update: the compare-and-swap fails, the walk restarts and sees
	 * the read-only PTE.
	 */
	ret = tdp_map(&m.pgt, 0x402000, 4096, 0x12000, &rw, 0, NULL);
	restarts = m.st.restarts;
	m.race = race_clear_rw;
	expect_fault(&m, 0x402000, WR, 14, PF_P | PF_W,
		     "PTE changed mid-walk: restart, then #PF");
	expect_true(ret == 0 && m.st.restarts == restarts + 1 &&
			    !(ram_read64(ram, X86_PT + 16) & X86_D),
		    "one restart, and D was not set on the read-only PTE");

	census(&m, 0, 1ull << 47, "lower half", 2, 2);
	printf("  TLB: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
	       " walks, %" PRIu64 " restarts, %" PRIu64 " flushes\n",
	       m.st.hits, m.st.misses, m.st.walks, m.st.restarts,
	       m.st.flushes);
	garbage_table(&m, X86_PT, 0x400000, 2 * MiB, 0, X86_RAM);
	garbage_table(&m, X86_PD, 0, GiB, 0, X86_RAM);
}

/* ---- arm64 stage 2 ------------------------------------------------------ */

/*
 * The arm64 image: 4 MiB of RAM at physical 0x40000000. A guest
 * hypervisor's stage-2 tables (Arm ARM D8), 4 KiB granule, 40-bit IPA
 * (start level 1, two concatenated root pages), 40-bit PA:
 *
 *   L1 0x40002000 [0] -> L2 0x40004000, [1] 1G block IPA 1G -> PA 1G
 *                 read-only, [2] -> 0x7f000000 (outside RAM)
 *   L2 0x40004000 [0] -> L3 0x40005000, [1] 2M block -> 0x40200000 rw,
 *                 [2] -> 0x7f000000, [3] -> L2 itself (loop),
 *                 [4] table address bit 45 (>= PA size)
 *   L3 0x40005000 [0] 0x40100000 rw, [1] read-only XN, [2] AF = 0,
 *                 [3] DBM, writable-clean, [4] invalid,
 *                 [5] output address bit 45 (>= PA size),
 *                 [6] block descriptor (invalid at level 3), [8] AF = 0,
 *                 [9] DBM, writable-clean
 *
 * VTCR_EL2 = 0x80623558: T0SZ 24, SL0 1, IRGN0/ORGN0 1, SH0 3, TG0 4K,
 * PS 40 bits, HA, HD, RES1 bit 31. VTTBR_EL2 = VMID 1, root 0x40002000.
 */
#define A64_BASE 0x40000000ull
#define A64_RAM (4 * MiB)
#define A64_L1 0x40002000ull
#define A64_L2 0x40004000ull
#define A64_L3 0x40005000ull
#define A64_VTCR 0x80623558ull
#define A64_VTCR_NO_HAHD 0x80023558ull
#define A64_VTTBR ((1ull << 48) | A64_L1)
#define S2_TABLE 0x3ull
#define S2_PAGE 0x3ull
#define S2_BLOCK 0x1ull
#define S2_NORMAL_WB (0xfull << 2)
#define S2_AP_R (1ull << 6)
#define S2_SH_INNER (3ull << 8)
#define S2_XN (1ull << 54)
#define S2_RW_AF (S2_NORMAL_WB | S2_AP_R | S2_AP_W | S2_SH_INNER | S2_AF)

static void build_arm64_image(struct tdp_pool *ram, uint8_t *mem)
{
	fill_tags(mem, A64_BASE, A64_RAM);
	memset(mem + (A64_L1 - A64_BASE), 0, 0x4000); /* L1 x2, L2, L3 */
	put_entry(ram, A64_L1, 0, A64_L2 | S2_TABLE);
	put_entry(ram, A64_L1, 1, 0x40000000 | S2_BLOCK | S2_NORMAL_WB |
					  S2_AP_R | S2_SH_INNER | S2_AF);
	put_entry(ram, A64_L1, 2, 0x7f000000 | S2_TABLE);
	put_entry(ram, A64_L2, 0, A64_L3 | S2_TABLE);
	put_entry(ram, A64_L2, 1, 0x40200000 | S2_BLOCK | S2_RW_AF);
	put_entry(ram, A64_L2, 2, 0x7f000000 | S2_TABLE);
	put_entry(ram, A64_L2, 3, A64_L2 | S2_TABLE);
	put_entry(ram, A64_L2, 4, (1ull << 45) | 0x40006000 | S2_TABLE);
	put_entry(ram, A64_L3, 0, 0x40100000 | S2_PAGE | S2_RW_AF);
	put_entry(ram, A64_L3, 1, 0x40101000 | S2_PAGE | S2_NORMAL_WB |
					  S2_AP_R | S2_SH_INNER | S2_AF | S2_XN);
	put_entry(ram, A64_L3, 2, 0x40102000 | S2_PAGE | (S2_RW_AF & ~S2_AF));
	put_entry(ram, A64_L3, 3, 0x40103000 | S2_PAGE | S2_NORMAL_WB |
					  S2_AP_R | S2_SH_INNER | S2_AF | S2_DBM);
	put_entry(ram, A64_L3, 5, (1ull << 45) | 0x40105000 | S2_PAGE |
					  S2_RW_AF);
	put_entry(ram, A64_L3, 6, 0x40106000 | S2_BLOCK | S2_RW_AF);
	put_entry(ram, A64_L3, 8, 0x40108000 | S2_PAGE | (S2_RW_AF & ~S2_AF));
	put_entry(ram, A64_L3, 9, 0x40109000 | S2_PAGE | S2_NORMAL_WB |
					  S2_AP_R | S2_SH_INNER | S2_AF | S2_DBM);
}

struct dirty_log {
	uint64_t pages, first;
};

static int log_dirty(uint64_t addr, uint64_t size, void *arg)
{
	struct dirty_log *log = arg;

	if (!log->pages)
		log->first = addr;
	log->pages += size / 4096;
	return 0;
}

static void arm64_scenario(struct tdp_pool *ram, uint8_t *mem)
{
	struct dirty_log dirty = { 0, 0 };
	struct tdp_report rep = { .fn = log_dirty, .arg = &dirty };
	uint64_t flushes, l3_3;
	struct mmu m;
	int ret;

	build_arm64_image(ram, mem);
	ret = mmu_load_arm64(&m, ram, A64_VTCR, A64_VTTBR);
	printf("arm64 stage 2: VTCR_EL2 0x%" PRIx64 " VTTBR_EL2 0x%" PRIx64
	       " -> %s\n", (uint64_t)A64_VTCR, (uint64_t)A64_VTTBR,
	       ret ? tdp_strerror(ret) : tdp_format_name(m.pgt.fmt.cfg.format));
	if (ret) {
		failures++;
		return;
	}
	expect_true(m.pgt.fmt.ia_bits == 40 && m.pgt.fmt.pa_bits == 40 &&
			    m.pgt.root_pa == A64_L1 && m.ha && m.hd,
		    "IPA 40 bits, PA 40 bits, root 0x40002000, HA and HD");

	expect_ok(&m, 0x8, RD, 0x40100008, 0, "4K page");
	expect_true(ram_read64(ram, 0x40100008) == 0x40100008,
		    "guest RAM at 0x40100008 holds its tag");
	expect_ok(&m, 0x10, WR, 0x40100010, 1, "written (already dirty)");
	expect_ok(&m, 0x200000 + 0x1238, RD, 0x40201238, -1, "2M block");
	expect_ok(&m, 0x40100008, RD, 0x40100008, -1, "1G block");

	/* Fault status codes of ESR_ELx (Arm ARM D24), with the level. */
	expect_fault(&m, 0x1008, WR, 0, FSC_PERMISSION | 3, "read-only");
	expect_fault(&m, 0x1000, EX, 0, FSC_PERMISSION | 3, "XN");
	expect_fault(&m, 0x40100008, WR, 0, FSC_PERMISSION | 1,
		     "read-only 1G block");
	expect_fault(&m, 0x4000, RD, 0, FSC_TRANSLATION | 3, "invalid");
	expect_fault(&m, 0x5000, RD, 0, FSC_ADDR_SIZE | 3,
		     "output address >= PA size");
	expect_fault(&m, 0x6000, RD, 0, FSC_TRANSLATION | 3,
		     "block descriptor at level 3");
	expect_fault(&m, 0x400000, RD, 0, FSC_WALK_ABORT | 3,
		     "L2 table pointer outside RAM");
	expect_fault(&m, 0x80000000, RD, 0, FSC_WALK_ABORT | 2,
		     "L1 table pointer outside RAM");
	expect_fault(&m, 0x800000, RD, 0, FSC_ADDR_SIZE | 2,
		     "table address >= PA size");
	/* The loop: L2[3] -> L2, so L2's entries are read as pages. */
	expect_fault(&m, 0x600000 + 0x7000, RD, 0, FSC_TRANSLATION | 3,
		     "loop: empty L2[7] as a page");
	expect_fault(&m, 0x600000 + 0x1000, RD, 0, FSC_TRANSLATION | 3,
		     "loop: block L2[1] as a page");

	/* Hardware access flag and dirty state (HA, HD). */
	expect_ok(&m, 0x2008, RD, 0x40102008, 0, "AF = 0 with HA");
	expect_true(ram_read64(ram, A64_L3 + 2 * 8) & S2_AF,
		    "  ... the walker set AF in guest RAM");
	expect_ok(&m, 0x3008, RD, 0x40103008, 0, "DBM page, read");
	expect_ok(&m, 0x3010, WR, 0x40103010, 0,
		  "DBM page, first write walks");
	l3_3 = ram_read64(ram, A64_L3 + 3 * 8);
	expect_true((l3_3 & S2_AP_W) && (l3_3 & S2_DBM),
		    "  ... the walker set S2AP write: dirty");
	flushes = m.st.flushes;
	ret = tdp_harvest_dirty(&m.pgt, 0, 2 * MiB, 0, &rep);
	expect_true(ret == 0 && dirty.pages == 1 && dirty.first == 0x3000 &&
			    m.st.flushes > flushes &&
			    !(ram_read64(ram, A64_L3 + 3 * 8) & S2_AP_W),
		    "tdp_harvest_dirty: 0x3000 dirty, cleaned, TLB flushed");
	expect_ok(&m, 0x3018, WR, 0x40103018, 0,
		  "so the next write walks and dirties again");

	/* The guest hypervisor unmaps through libtdp: hooks flush. */
	expect_ok(&m, 0x20, RD, 0x40100020, -1, "IPA 0 page");
	expect_ok(&m, 0x28, RD, 0x40100028, 1, "cached");
	flushes = m.st.flushes;
	ret = tdp_unmap(&m.pgt, 0, 4096, 0, NULL);
	expect_true(ret == 0 && m.st.flushes == flushes + 1,
		    "tdp_unmap(IPA 0): libtdp called flush_addr");
	expect_fault(&m, 0x20, RD, 0, FSC_TRANSLATION | 3,
		     "so the access faults at once");

	/* L2[4] is seen twice: as a table entry and, through the loop, as
	 * a page descriptor; both have an address beyond the PA size. */
	census(&m, 0, 1ull << 40, "IPA space", 3, 2);
	printf("  TLB: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
	       " walks, %" PRIu64 " restarts, %" PRIu64 " flushes\n",
	       m.st.hits, m.st.misses, m.st.walks, m.st.restarts,
	       m.st.flushes);

	/* The same tables with VTCR_EL2.HA = HD = 0. */
	ret = mmu_load_arm64(&m, ram, A64_VTCR_NO_HAHD, A64_VTTBR);
	printf("arm64 stage 2: VTCR_EL2 0x%" PRIx64 " (no HA, no HD)\n",
	       (uint64_t)A64_VTCR_NO_HAHD);
	expect_true(ret == 0 && !m.ha && !m.hd, "HA and HD off");
	expect_fault(&m, 0x8008, RD, 0, FSC_ACCESS_FLAG | 3,
		     "AF = 0: access-flag fault");
	expect_fault(&m, 0x9008, WR, 0, FSC_PERMISSION | 3,
		     "clean DBM page: permission fault");
	garbage_table(&m, A64_L2, 0, GiB, A64_BASE, A64_RAM);
}

int main(void)
{
	static uint64_t bitmap[TDP_POOL_BITMAP_BYTES(4 * MiB) / 8];
	struct tdp_pool ram;
	uint8_t *mem;
	int ret;

	mem = aligned_alloc(4096, 4 * MiB);
	if (!mem)
		return 1;

	/*
	 * The pool stands for the guest's physical memory. Everything in
	 * the image is claimed, so tables that libtdp allocates when the
	 * guest changes its tables through libtdp go to free guest pages.
	 */
	ret = tdp_pool_init(&ram, mem, X86_RAM, 0, bitmap, sizeof(bitmap));
	if (!ret)
		ret = tdp_pool_claim(&ram, 0, 0x20000);
	if (!ret)
		ret = tdp_pool_claim(&ram, 0x200000, 0x200000);
	if (ret) {
		fprintf(stderr, "soft-mmu: pool: %s\n", tdp_strerror(ret));
		return 1;
	}
	x86_scenario(&ram, mem, false);
	x86_scenario(&ram, mem, true);

	ret = tdp_pool_init(&ram, mem, A64_RAM, A64_BASE, bitmap,
			    sizeof(bitmap));
	if (!ret)
		ret = tdp_pool_claim(&ram, A64_BASE, 0x110000);
	if (ret) {
		fprintf(stderr, "soft-mmu: pool: %s\n", tdp_strerror(ret));
		return 1;
	}
	arm64_scenario(&ram, mem);

	free(mem);
	printf("soft-mmu: %s\n", failures ? "MISMATCHES" :
	       "every access as the architecture says");
	return failures ? 1 : 0;
}

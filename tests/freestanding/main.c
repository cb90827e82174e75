/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * A program with no C library and no startup files, linked against the
 * freestanding libtdp.a: the way a hypervisor embeds libtdp. It keeps its
 * table pool in a static buffer, builds an EPT table there, and exits
 * through the exit system call; its exit status names the first check that
 * failed (0: all passed).
 *
 * Built with -ffreestanding -nostdlib -static by check.sh, for x86-64 and
 * arm64 Linux (only the exit call is architecture-specific).
 */
#include <libtdp/tdp.h>

#define POOL_BYTES (16 * 4096)
#define POOL_BASE_PA 0x200000ull
/* EPT: an entry pointing at a table grants read, write and execute. */
#define EPT_TABLE_RWX 0x7ull
/* EPT 4 KiB leaf: read, write, execute, memory type 6 (WB) in bits 5:3. */
#define EPT_LEAF_RWX_WB (0x7ull | (6ull << 3))
#define PROBE_GPA 0x40201000ull
#define MAPPED_GPA 0x7fe00000ull
#define MAPPED_HPA 0x5000ull

static uint8_t pool_mem[POOL_BYTES] __attribute__((aligned(4096)));
static uint64_t pool_bitmap[TDP_POOL_BITMAP_BYTES(POOL_BYTES) / 8];

void _start(void);

/*
 * Every freestanding C environment supplies these four: GCC and clang may
 * emit calls to them for struct copies and initialisation even with
 * -ffreestanding (both compilers document this). A hypervisor has its own;
 * this program brings minimal ones, so no C library is linked at all.
 */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memcpy(void *dst, const void *src, size_t n)
{
	return memmove(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const unsigned char *s = src;
	size_t i;

	if (d < s)
		for (i = 0; i < n; i++)
			d[i] = s[i];
	else
		for (i = n; i > 0; i--)
			d[i - 1] = s[i - 1];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	volatile unsigned char *d = dst;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

static __attribute__((noreturn)) void sys_exit(long status)
{
#if defined(__x86_64__)
	__asm__ volatile("syscall" : : "a"(60L), "D"(status)
			 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x0 __asm__("x0") = status;
	register long x8 __asm__("x8") = 93;

	__asm__ volatile("svc #0" : : "r"(x0), "r"(x8) : "memory");
#else
#error "add the exit system call for this architecture"
#endif
	for (;;)
		;
}

/* Index of @gpa's entry in the table at EPT engine level @level. */
static unsigned int ept_index(uint64_t gpa, int level)
{
	return (unsigned int)(gpa >> (12 + 9 * level)) & 511u;
}

/*
 * Link a 4 KiB mapping by hand, the way a guest or another hypervisor
 * would have written it, with table pages taken from the pool through the
 * backend's ops. Returns 0 or the failing step.
 */
static int map_by_hand(struct tdp_pool *pool, const struct tdp_pgt *pgt,
		       uint64_t gpa, uint64_t hpa)
{
	const struct tdp_mm_ops *ops = pgt->mm.ops;
	uint64_t table_pa = pgt->root_pa;
	volatile uint64_t *table;
	uint64_t next_pa;
	int level;

	for (level = 3; level > 0; level--, table_pa = next_pa) {
		if (ops->alloc_table(pgt->mm.ctx, 4096, 4096, &next_pa))
			return 1;
		table = tdp_pool_phys_to_virt(pool, table_pa, 4096);
		if (!table)
			return 2;
		table[ept_index(gpa, level)] = next_pa | EPT_TABLE_RWX;
	}
	table = tdp_pool_phys_to_virt(pool, table_pa, 4096);
	if (!table)
		return 3;
	table[ept_index(gpa, 0)] = hpa | EPT_LEAF_RWX_WB;
	return 0;
}

static int run(void)
{
	struct tdp_format_config cfg = { .format = TDP_FMT_EPT4 };
	struct tdp_pool_stats stats;
	struct tdp_lookup res;
	struct tdp_pool pool;
	struct tdp_pgt pgt;
	struct tdp_mm mm;

	if (tdp_version() != TDP_VERSION_NUMBER)
		return 10;
	if (tdp_pool_init(&pool, pool_mem, sizeof(pool_mem), POOL_BASE_PA,
			  pool_bitmap, sizeof(pool_bitmap)))
		return 11;
	mm = tdp_pool_mm(&pool);
	if (tdp_pgt_init(&pgt, &cfg, &mm))
		return 12;
	if (pgt.root_pa < POOL_BASE_PA ||
	    pgt.root_pa >= POOL_BASE_PA + POOL_BYTES)
		return 13;

	/* Nothing is mapped: the walk stops at the root (engine level 3). */
	if (tdp_lookup(&pgt, PROBE_GPA, &res) != -TDP_ERR_FAULT)
		return 20;
	if (res.fault != TDP_FAULT_NOT_PRESENT || res.fault_level != 3)
		return 21;

	if (map_by_hand(&pool, &pgt, MAPPED_GPA, MAPPED_HPA))
		return 30;
	if (tdp_lookup(&pgt, MAPPED_GPA + 0x123, &res))
		return 31;
	if (res.out_addr != MAPPED_HPA + 0x123 || res.page_size != 4096 ||
	    res.last_level != 0)
		return 32;

	/* The root and the three tables linked under it all go back. */
	tdp_pgt_destroy(&pgt);
	if (tdp_pool_get_stats(&pool, &stats))
		return 40;
	if (stats.tables_in_use != 0 || stats.bytes_in_use != 0 ||
	    stats.allocs != 4 || stats.frees != 4)
		return 41;
	return 0;
}

#if defined(__x86_64__)
/*
 * The kernel enters _start with the stack 16-byte aligned and no return
 * address pushed; realign for code that expects the call ABI.
 */
__attribute__((force_align_arg_pointer))
#endif
__attribute__((noreturn)) void _start(void)
{
	sys_exit(run());
}

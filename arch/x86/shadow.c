/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* Shadow-page roles and the PAE root allocator. */
#include <libtdp/shadow.h>

#include "../../src/internal.h"

#define ROLE_KNOWN                                                            \
	(TDP_ROLE_LEVEL | TDP_ROLE_GPTE4 | TDP_ROLE_QUADRANT |                \
	 TDP_ROLE_DIRECT | TDP_ROLE_ACCESS | TDP_ROLE_ROOT |                  \
	 TDP_ROLE_EFER_NX | TDP_ROLE_CR0_WP | TDP_ROLE_SMEP_ANDNOT_WP |        \
	 TDP_ROLE_SMAP_ANDNOT_WP | TDP_ROLE_AD_DISABLED |                     \
	 TDP_ROLE_GUEST_MODE | TDP_ROLE_SMM)
#define ACCESS_ALL 7u
#define GPTE4_PT_ENTRIES 1024u /* a 32-bit guest table: 1024 4-byte entries */
#define PAE_ENTRIES 512u

static unsigned int role_get(struct tdp_role r, uint32_t mask)
{
	return (unsigned int)TDP_FIELD_GET(mask, r.word);
}

static void role_set(struct tdp_role *r, uint32_t mask, unsigned int v)
{
	r->word = (uint32_t)((r->word & ~mask) | TDP_FIELD_PREP(mask, v));
}

int tdp_role_roots(const struct tdp_guest_mode *m,
		   struct tdp_shadow_root roots[4], unsigned int *count)
{
	struct tdp_role base = { 0 };
	unsigned int i;

	if (!m || !roots || !count ||
	    (m->long_mode && (!m->pae || !m->paging)) ||
	    (m->la57 && !m->long_mode))
		return -TDP_ERR_INVAL;
	/* Shadow entries always use NX, whatever the guest's EFER.NX. */
	role_set(&base, TDP_ROLE_EFER_NX, 1);
	role_set(&base, TDP_ROLE_CR0_WP, m->wp);
	role_set(&base, TDP_ROLE_SMEP_ANDNOT_WP, m->smep && !m->wp);
	role_set(&base, TDP_ROLE_SMAP_ANDNOT_WP, m->smap && !m->wp);
	role_set(&base, TDP_ROLE_AD_DISABLED, m->ad_disabled);
	role_set(&base, TDP_ROLE_GUEST_MODE, m->guest_mode);
	role_set(&base, TDP_ROLE_SMM, m->smm);
	role_set(&base, TDP_ROLE_ACCESS, ACCESS_ALL);
	role_set(&base, TDP_ROLE_ROOT, 1);

	if (!m->paging || m->long_mode) {
		roots[0].role = base;
		role_set(&roots[0].role, TDP_ROLE_LEVEL,
			 m->paging && m->la57 ? 5 : 4);
		role_set(&roots[0].role, TDP_ROLE_DIRECT, !m->paging);
		roots[0].gfn = m->paging ? m->cr3 >> 12 : 0;
		roots[0].valid = true;
		*count = 1;
		return 0;
	}
	/* PAE and 32-bit guests: four PAE page directories, one per GiB. */
	for (i = 0; i < 4; i++) {
		roots[i].role = base;
		role_set(&roots[i].role, TDP_ROLE_LEVEL, 2);
		if (m->pae) {
			roots[i].valid = m->pdptrs[i] & 1;
			roots[i].gfn = roots[i].valid
					       ? (m->pdptrs[i] &
						  TDP_GENMASK(51, 12)) >> 12
					       : 0;
		} else {
			/* A 4-byte guest PD covers 4 GiB: quarter i of it. */
			role_set(&roots[i].role, TDP_ROLE_GPTE4, 1);
			role_set(&roots[i].role, TDP_ROLE_QUADRANT, i);
			roots[i].gfn = (m->cr3 & TDP_GENMASK(31, 12)) >> 12;
			roots[i].valid = true;
		}
	}
	*count = 4;
	return 0;
}

int tdp_role_child(struct tdp_role parent, unsigned int index, bool direct,
		   unsigned int access, struct tdp_role *child)
{
	unsigned int level = role_get(parent, TDP_ROLE_LEVEL);
	bool gpte4 = role_get(parent, TDP_ROLE_GPTE4);
	struct tdp_role c = parent;

	if (!child || level < 2 || index >= PAE_ENTRIES || access > ACCESS_ALL ||
	    (gpte4 && level != 2) || (parent.word & ~ROLE_KNOWN))
		return -TDP_ERR_INVAL;
	role_set(&c, TDP_ROLE_LEVEL, level - 1);
	role_set(&c, TDP_ROLE_DIRECT, direct);
	role_set(&c, TDP_ROLE_ACCESS, access);
	role_set(&c, TDP_ROLE_ROOT, 0);
	role_set(&c, TDP_ROLE_QUADRANT, 0);
	/*
	 * A 4 MiB guest page table is shadowed by two 2 MiB shadow tables;
	 * address bit 21 -- the low bit of the parent PDE index -- picks one.
	 */
	if (gpte4)
		role_set(&c, TDP_ROLE_QUADRANT, index & 1);
	*child = c;
	return 0;
}

int tdp_role_guest_entries(struct tdp_role role, uint64_t gfn,
			   struct tdp_guest_span *span)
{
	unsigned int level = role_get(role, TDP_ROLE_LEVEL);
	unsigned int quadrant = role_get(role, TDP_ROLE_QUADRANT);
	bool gpte4 = role_get(role, TDP_ROLE_GPTE4);

	/* A guest page table has two halves, a guest directory four quarters. */
	if (!span || level < 1 || level > 5 || (gpte4 && level > 2) ||
	    (gpte4 && level == 1 && quadrant > 1) || (!gpte4 && quadrant) ||
	    (role.word & ~ROLE_KNOWN))
		return -TDP_ERR_INVAL;
	if (role_get(role, TDP_ROLE_DIRECT))
		return -TDP_ERR_NOENT;
	span->gpa = gfn << 12;
	if (!gpte4) {
		span->count = PAE_ENTRIES;
		span->size = 8;
		span->ratio = 1;
		return 0;
	}
	span->size = 4;
	if (level == 1) {
		/* Half of a 1024-entry guest page table. */
		span->count = GPTE4_PT_ENTRIES / 2;
		span->ratio = 1;
	} else {
		/* A quarter of the guest PD; each 4 MiB PDE -> two 2 MiB PDEs. */
		span->count = GPTE4_PT_ENTRIES / 4;
		span->ratio = 2;
	}
	span->gpa += (uint64_t)quadrant * span->count * span->size;
	return 0;
}

bool tdp_role_equal(struct tdp_role a, uint64_t gfn_a, struct tdp_role b,
		    uint64_t gfn_b)
{
	return a.word == b.word && gfn_a == gfn_b;
}

uint64_t tdp_role_hash(struct tdp_role role, uint64_t gfn)
{
	/* A 64-bit finaliser (splitmix64) over both, so every bit counts. */
	uint64_t h = gfn ^ ((uint64_t)role.word << 32 | role.word);

	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

/* --- PAE roots ------------------------------------------------------------ */

#define PAE_ROOT_BYTES 32u
#define SLOTS_PER_PAGE (4096u / PAE_ROOT_BYTES)
#define BELOW_4G (1ull << 32)

int tdp_pae_roots_init(struct tdp_pae_roots *r, const struct tdp_mm *mm,
		       struct tdp_pae_root_page *pages, size_t capacity)
{
	if (!r || !mm || !mm->ops || !mm->ops->alloc_table ||
	    !mm->ops->free_table || !mm->ops->phys_to_virt || !pages ||
	    !capacity)
		return -TDP_ERR_INVAL;
	r->mm = *mm;
	r->pages = pages;
	r->capacity = capacity;
	r->n_pages = 0;
	return 0;
}

static bool slot_used(const struct tdp_pae_root_page *p, unsigned int s)
{
	return (p->used[s / 64] >> (s % 64)) & 1;
}

int tdp_pae_root_alloc(struct tdp_pae_roots *r, uint64_t *root_pa)
{
	struct tdp_pae_root_page *p;
	unsigned int s;
	uint64_t pa;
	size_t i;
	int ret;

	if (!r || !root_pa)
		return -TDP_ERR_INVAL;
	for (i = 0; i < r->n_pages; i++) {
		p = &r->pages[i];
		for (s = 0; s < SLOTS_PER_PAGE; s++) {
			if (slot_used(p, s))
				continue;
			p->used[s / 64] |= TDP_BIT(s % 64);
			*root_pa = p->pa + s * PAE_ROOT_BYTES;
			return 0;
		}
	}
	if (r->n_pages == r->capacity)
		return -TDP_ERR_NOMEM;
	ret = r->mm.ops->alloc_table(r->mm.ctx, 4096, 4096, &pa);
	if (ret)
		return ret;
	/* CR3 holds only 32 bits of the PDPT address in PAE mode. */
	if (pa + 4095 >= BELOW_4G) {
		r->mm.ops->free_table(r->mm.ctx, pa, 4096);
		return -TDP_ERR_RANGE;
	}
	p = &r->pages[r->n_pages++];
	p->pa = pa;
	p->used[0] = 1;
	p->used[1] = 0;
	*root_pa = pa;
	return 0;
}

int tdp_pae_root_free(struct tdp_pae_roots *r, uint64_t root_pa)
{
	uint64_t page = root_pa & ~0xfffull;
	unsigned int s = (unsigned int)((root_pa & 0xfff) / PAE_ROOT_BYTES);
	struct tdp_pae_root_page *p = NULL;
	uint64_t *mem;
	size_t i;

	if (!r)
		return -TDP_ERR_INVAL;
	if (root_pa & (PAE_ROOT_BYTES - 1))
		return -TDP_ERR_ALIGN;
	for (i = 0; i < r->n_pages && !p; i++)
		if (r->pages[i].pa == page)
			p = &r->pages[i];
	if (!p || !slot_used(p, s))
		return -TDP_ERR_NOENT;
	/* Leave the slot zeroed for the next root: all PDPTEs not present. */
	mem = r->mm.ops->phys_to_virt(r->mm.ctx, root_pa, PAE_ROOT_BYTES);
	if (mem)
		for (i = 0; i < PAE_ROOT_BYTES / 8; i++)
			__atomic_store_n(&mem[i], 0, __ATOMIC_RELAXED);
	p->used[s / 64] &= ~TDP_BIT(s % 64);
	if (p->used[0] || p->used[1])
		return 0;
	r->mm.ops->free_table(r->mm.ctx, p->pa, 4096);
	*p = r->pages[--r->n_pages];
	return 0;
}

size_t tdp_pae_roots_pages(const struct tdp_pae_roots *r)
{
	return r ? r->n_pages : 0;
}

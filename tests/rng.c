/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* Random numbers for the randomised tests; see rng.h. */
#include <stdlib.h>

#include "rng.h"

uint64_t rng_state;

uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

bool chance(unsigned int pct)
{
	return below(100) < pct;
}

uint64_t seed_from_env(uint64_t default_seed)
{
	const char *s = getenv("TDP_SEED");

	return s && *s ? strtoull(s, NULL, 0) : default_seed;
}

/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * Random numbers for the randomised tests: splitmix64, which is small,
 * seedable and reproducible, so a failing seed can be run again.
 */
#ifndef TESTS_RNG_H
#define TESTS_RNG_H

#include <stdbool.h>
#include <stdint.h>

/* The generator's state; a test seeds it by assignment. */
extern uint64_t rng_state;

/* The next 64 random bits. */
uint64_t rnd(void);
/* Uniform enough in [0, @n); 0 when @n is 0. */
uint64_t below(uint64_t n);
/* True with probability @pct percent. */
bool chance(unsigned int pct);
/* The seed in the environment variable TDP_SEED, else @default_seed. */
uint64_t seed_from_env(uint64_t default_seed);

#endif

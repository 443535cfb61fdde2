/* Seeded, reproducible random numbers: xoshiro256** seeded through
 * splitmix64, so the same seed gives the same stream on every machine. */
#ifndef JS_CORE_RNG_H
#define JS_CORE_RNG_H

#include <stdint.h>

typedef struct js_rng {
  uint64_t s[4];
} js_rng;

void js_rng_seed(js_rng *rng, uint64_t seed);
uint64_t js_rng_u64(js_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double js_rng_uniform(js_rng *rng);
/* Uniform integer in [0, bound), without modulo bias. */
uint64_t js_rng_below(js_rng *rng, uint64_t bound);
/* Standard normal (Marsaglia's polar method). */
double js_rng_normal(js_rng *rng);
/* +1 or -1 with equal probability. */
double js_rng_sign(js_rng *rng);

/* Counter-based draws: entry `index` of a vector drawn from `seed` comes
 * from its own stream, seeded by a hash of (seed, index), so any slice of
 * the vector can be drawn alone. A vector split across ranks (jacspec.h,
 * js_comm) is then the same whatever the number of ranks. */
uint64_t js_rng_key(uint64_t seed, uint64_t index); /* the hash of (seed, index) */
void js_rng_seed_at(js_rng *rng, uint64_t seed, uint64_t index);
double js_rng_normal_at(uint64_t seed, uint64_t index);
double js_rng_sign_at(uint64_t seed, uint64_t index);

#endif

#include "core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void js_rng_seed(js_rng *rng, uint64_t seed) {
  uint64_t state = seed;
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64(&state);
}

uint64_t js_rng_u64(js_rng *rng) {
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double js_rng_uniform(js_rng *rng) {
  return (double)(js_rng_u64(rng) >> 11) * 0x1.0p-53;
}

uint64_t js_rng_below(js_rng *rng, uint64_t bound) {
  /* Reject the top partial range so every value is equally likely. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do
    x = js_rng_u64(rng);
  while (x >= limit);
  return x % bound;
}

double js_rng_normal(js_rng *rng) {
  double u, v, s;
  do {
    u = 2.0 * js_rng_uniform(rng) - 1.0;
    v = 2.0 * js_rng_uniform(rng) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  /* The second normal of the pair is dropped to keep the stream stateless. */
  return u * sqrt(-2.0 * log(s) / s);
}

double js_rng_sign(js_rng *rng) { return (js_rng_u64(rng) >> 63) ? 1.0 : -1.0; }

uint64_t js_rng_key(uint64_t seed, uint64_t index) {
  /* Two rounds of splitmix64 mix the pair: neighbouring indices (and
   * seeds) give unrelated streams. */
  uint64_t state = seed;
  uint64_t key = splitmix64(&state) ^ index;
  return splitmix64(&key);
}

void js_rng_seed_at(js_rng *rng, uint64_t seed, uint64_t index) {
  js_rng_seed(rng, js_rng_key(seed, index));
}

double js_rng_normal_at(uint64_t seed, uint64_t index) {
  js_rng rng;
  js_rng_seed_at(&rng, seed, index);
  return js_rng_normal(&rng);
}

double js_rng_sign_at(uint64_t seed, uint64_t index) {
  js_rng rng;
  js_rng_seed_at(&rng, seed, index);
  return js_rng_sign(&rng);
}

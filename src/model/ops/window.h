/* What convolutions and poolings share: which positions of a strided walk
 * over a padded image row read the image rather than the padding. */
#ifndef JS_MODEL_OPS_WINDOW_H
#define JS_MODEL_OPS_WINDOW_H

#include <stdint.h>

/* The steps o in [lo, hi) of 0..n_steps-1 whose input o step + offset lies
 * in 0..size-1. */
typedef struct span {
  int64_t lo, hi;
} span;

static inline span inside(int64_t offset, int64_t step, int64_t size, int64_t n_steps) {
  span s;
  s.lo = offset >= 0 ? 0 : (step - 1 - offset) / step;
  s.hi = size > offset ? (size - offset + step - 1) / step : 0;
  if (s.hi > n_steps)
    s.hi = n_steps;
  if (s.lo > s.hi)
    s.lo = s.hi;
  return s;
}

#endif

#include "shards.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

void assert_shards_equal(const js_dataset *whole, js_dataset *const *shards, int parts) {
  int64_t d = whole->dim, k = whole->n_outputs;
  for (int part = 0; part < parts; part++) {
    const js_dataset *s = shards[part];
    int64_t first, count;
    js_shard_range(whole->n_samples, part, parts, &first, &count);
    assert_int_equal(s->n_samples, count);
    assert_int_equal(s->first_sample, parts > 1 ? first : 0);
    assert_int_equal(s->total_samples, parts > 1 ? whole->n_samples : 0);
    assert_int_equal(s->dim, d);
    assert_int_equal(s->n_outputs, k);
    assert_memory_equal(&s->shape, &whole->shape, sizeof s->shape);
    assert_memory_equal(s->x, whole->x + first * d, sizeof(double) * (size_t)(count * d));
    assert_memory_equal(s->y, whole->y + first * k, sizeof(double) * (size_t)(count * k));
    assert_true((s->labels == NULL) == (whole->labels == NULL));
    if (whole->labels)
      assert_memory_equal(s->labels, whole->labels + first, sizeof(int32_t) * (size_t)count);
  }
}

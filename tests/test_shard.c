/* Shards of a data set (jacspec.h, js_comm): js_shard_range covers the
 * samples once, generators drawn in parts give the samples of the whole,
 * .npy files read by rows give the rows of the whole file, and the serial
 * comm agrees on a status without communicating. */
#include "jacspec.h"
#include "scratch.h"
#include "shards.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

static void test_ranges_cover_once(void **state) {
  (void)state;
  for (int64_t n = 1; n <= 23; n++)
    for (int parts = 1; parts <= 6; parts++) {
      int64_t next = 0;
      for (int part = 0; part < parts; part++) {
        int64_t first, count;
        js_shard_range(n, part, parts, &first, &count);
        assert_int_equal(first, next); /* contiguous, in rank order */
        assert_true(count == n / parts || count == n / parts + 1);
        next = first + count;
      }
      assert_int_equal(next, n);
    }
}

static void test_gmm_parts(void **state) {
  (void)state;
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  opt.n_samples = 31;
  js_dataset *whole = NULL, *shards[3] = {NULL};
  assert_int_equal(js_dataset_gmm(&opt, &whole), JS_OK);
  opt.parts = 3;
  for (int part = 0; part < 3; part++) {
    opt.part = part;
    assert_int_equal(js_dataset_gmm(&opt, &shards[part]), JS_OK);
  }
  assert_shards_equal(whole, shards, 3);
  for (int part = 0; part < 3; part++)
    js_dataset_free(shards[part]);
  js_dataset_free(whole);
}

static void test_parity_parts(void **state) {
  (void)state;
  js_parity_options opt;
  js_parity_options_init_defaults(&opt);
  opt.n_samples = 17;
  js_dataset *whole = NULL, *shards[2] = {NULL};
  assert_int_equal(js_dataset_parity(&opt, NULL, &whole), JS_OK);
  opt.parts = 2;
  for (int part = 0; part < 2; part++) {
    opt.part = part;
    assert_int_equal(js_dataset_parity(&opt, NULL, &shards[part]), JS_OK);
  }
  assert_shards_equal(whole, shards, 2);
  js_dataset_free(shards[0]);
  js_dataset_free(shards[1]);
  js_dataset_free(whole);
}

static void test_npy_rows(void **state) {
  (void)state;
  char x_path[4096], t_path[4096];
  scratch_path(x_path, sizeof x_path, "x.npy");
  scratch_path(t_path, sizeof t_path, "t.npy");
  double x[13 * 4], t[13 * 2];
  for (int i = 0; i < 13 * 4; i++)
    x[i] = 0.5 * i + 1;
  for (int i = 0; i < 13 * 2; i++)
    t[i] = -1.0 * i;
  assert_int_equal(js_npy_write(x_path, x, 2, (int64_t[]){13, 4}), JS_OK);
  assert_int_equal(js_npy_write(t_path, t, 2, (int64_t[]){13, 2}), JS_OK);
  js_dataset *whole = NULL, *shards[4] = {NULL};
  assert_int_equal(js_dataset_npy(x_path, NULL, t_path, &whole), JS_OK);
  for (int part = 0; part < 4; part++)
    assert_int_equal(js_dataset_npy_shard(x_path, NULL, t_path, part, 4, &shards[part]),
                     JS_OK);
  assert_shards_equal(whole, shards, 4);
  for (int part = 0; part < 4; part++)
    js_dataset_free(shards[part]);
  js_array *a = NULL;
  int64_t total = 0;
  assert_failure(js_npy_read_rows(x_path, 10, 4, &total, &a), JS_EFORMAT, "rows", NULL);
  assert_int_equal(total, 13);
  js_dataset *cut = NULL;
  assert_int_equal(js_dataset_shard(whole, 5, 3, &cut), JS_OK);
  assert_int_equal(cut->first_sample, 5);
  assert_memory_equal(cut->x, whole->x + 5 * 4, sizeof(double) * 12);
  js_dataset_free(cut);
  js_dataset_free(whole);
}

static void test_serial_agree(void **state) {
  (void)state;
  const js_comm *serial = js_comm_serial();
  assert_int_equal(serial->size, 1);
  assert_int_equal(js_comm_agree(serial, JS_OK), JS_OK);
  assert_int_equal(js_comm_agree(NULL, JS_EIO), JS_EIO);
  double x[2] = {1.5, -2};
  assert_int_equal(js_comm_sum(serial, x, 2), JS_OK);
  assert_true(x[0] == 1.5 && x[1] == -2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ranges_cover_once), cmocka_unit_test(test_gmm_parts),
      cmocka_unit_test(test_parity_parts),      cmocka_unit_test(test_npy_rows),
      cmocka_unit_test(test_serial_agree),
  };
  return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}

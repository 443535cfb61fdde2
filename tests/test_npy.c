/* .npy reading and writing. Every file read here is assembled byte by byte
 * by the test (magic, version, header length, dict, data bytes spelled
 * out), so the expected values come from the bytes, not from the library's
 * own encoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jacspec.h"
#include "scratch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes a .npy file: version major.0, the dict (padded with spaces and a
 * '\n' when pad != 0), then data_len data bytes. */
static void write_npy_file(const char *path, int major, const char *dict, int pad,
                           const void *data, size_t data_len) {
  unsigned char bytes[4096];
  size_t len_bytes = major == 1 ? 2 : 4, prefix = 8 + len_bytes;
  size_t header_len = strlen(dict);
  if (pad)
    header_len = (prefix + header_len + 1 + 63) / 64 * 64 - prefix;
  assert_true(prefix + header_len + data_len <= sizeof bytes);
  memcpy(bytes, "\x93NUMPY", 6);
  bytes[6] = (unsigned char)major;
  bytes[7] = 0;
  for (size_t k = 0; k < len_bytes; k++)
    bytes[8 + k] = (unsigned char)(header_len >> (8 * k));
  memset(bytes + prefix, ' ', header_len);
  memcpy(bytes + prefix, dict, strlen(dict));
  if (pad)
    bytes[prefix + header_len - 1] = '\n';
  if (data_len)
    memcpy(bytes + prefix + header_len, data, data_len);
  scratch_write(path, bytes, prefix + header_len + data_len, 0);
}

/* The dict NumPy writes for descr and shape. */
static void dict_for(char *buf, size_t size, const char *descr, const char *shape) {
  snprintf(buf, size, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr,
           shape);
}

static js_array *read_ok(const char *path) {
  js_array *a = NULL;
  int rc = js_npy_read(path, &a);
  if (rc)
    fail_msg("js_npy_read: %s", js_last_error());
  assert_non_null(a);
  return a;
}

/* Writes a version `major` file of descr and shape holding data, reads it
 * back and checks its rank and size. */
static js_array *write_and_read(int major, const char *descr, const char *shape,
                                const void *data, size_t len, int ndim, int64_t size) {
  char path[512], dict[256];
  scratch_path(path, sizeof path, "array.npy");
  dict_for(dict, sizeof dict, descr, shape);
  write_npy_file(path, major, dict, 1, data, len);
  js_array *a = read_ok(path);
  assert_int_equal(a->ndim, ndim);
  assert_int_equal(a->size, size);
  return a;
}

/* A 1-d file of `descr` holding data must read as want. */
static void check_floats(const char *descr, int major, const void *data, size_t len,
                         const double *want, int64_t n) {
  char shape[32];
  snprintf(shape, sizeof shape, "(%lld,)", (long long)n);
  js_array *a = write_and_read(major, descr, shape, data, len, 1, n);
  assert_int_equal(a->shape[0], n);
  assert_false(a->is_integer);
  assert_non_null(a->values);
  for (int64_t i = 0; i < n; i++)
    assert_memory_equal(&a->values[i], &want[i], sizeof(double));
  js_array_free(a);
}

static void check_ints(const char *descr, const void *data, size_t len, const int64_t *want,
                       int64_t n) {
  char shape[32];
  snprintf(shape, sizeof shape, "(%lld,)", (long long)n);
  js_array *a = write_and_read(1, descr, shape, data, len, 1, n);
  assert_true(a->is_integer);
  assert_non_null(a->ints);
  for (int64_t i = 0; i < n; i++)
    if (a->ints[i] != want[i])
      fail_msg("%s entry %lld: %lld, expected %lld", descr, (long long)i,
               (long long)a->ints[i], (long long)want[i]);
  js_array_free(a);
}

/* 1.5 = 0x3FF8000000000000, -2 = 0xC000000000000000, 0.25 = 0x3FD0000000000000. */
static void test_float64_both_endians(void **state) {
  (void)state;
  const double want[] = {1.5, -2.0, 0.25};
  const unsigned char le[] = {0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0xC0,
                              0, 0, 0, 0, 0, 0, 0xD0, 0x3F};
  const unsigned char be[] = {0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0,
                              0x3F, 0xD0, 0, 0, 0, 0, 0, 0};
  check_floats("<f8", 1, le, sizeof le, want, 3);
  check_floats(">f8", 1, be, sizeof be, want, 3);
  check_floats("<f8", 2, le, sizeof le, want, 3);
  check_floats("<f8", 3, le, sizeof le, want, 3);
}

/* 1.5f = 0x3FC00000, -2f = 0xC0000000, 0.1f = 0x3DCCCCCD. */
static void test_float32_both_endians(void **state) {
  (void)state;
  const double want[] = {1.5, -2.0, (double)0.1f};
  const unsigned char le[] = {0, 0, 0xC0, 0x3F, 0, 0, 0, 0xC0, 0xCD, 0xCC, 0xCC, 0x3D};
  const unsigned char be[] = {0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0, 0x3D, 0xCC, 0xCC, 0xCD};
  check_floats("<f4", 1, le, sizeof le, want, 3);
  check_floats(">f4", 2, be, sizeof be, want, 3);
}

static void test_one_byte_types(void **state) {
  (void)state;
  const unsigned char bytes[] = {0x7F, 0x80, 0xFF, 0x00};
  check_ints("|i1", bytes, 4, (const int64_t[]){127, -128, -1, 0}, 4);
  check_ints("|u1", bytes, 4, (const int64_t[]){127, 128, 255, 0}, 4);
  check_ints("|b1", (const unsigned char[]){0, 1, 1, 0}, 4, (const int64_t[]){0, 1, 1, 0},
             4);
}

static void test_two_byte_types(void **state) {
  (void)state;
  const unsigned char le[] = {0x00, 0x80, 0x34, 0x12, 0xFF, 0xFF};
  const unsigned char be[] = {0x80, 0x00, 0x12, 0x34, 0xFF, 0xFF};
  check_ints("<i2", le, 6, (const int64_t[]){-32768, 0x1234, -1}, 3);
  check_ints(">i2", be, 6, (const int64_t[]){-32768, 0x1234, -1}, 3);
  check_ints("<u2", le, 6, (const int64_t[]){32768, 0x1234, 65535}, 3);
  check_ints(">u2", be, 6, (const int64_t[]){32768, 0x1234, 65535}, 3);
}

static void test_four_byte_types(void **state) {
  (void)state;
  const unsigned char le[] = {0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
  const unsigned char be[] = {0xFF, 0xFF, 0xFF, 0xFE, 0x7F, 0xFF, 0xFF, 0xFF};
  check_ints("<i4", le, 8, (const int64_t[]){-2, INT32_MAX}, 2);
  check_ints(">i4", be, 8, (const int64_t[]){-2, INT32_MAX}, 2);
  check_ints("<u4", le, 8, (const int64_t[]){4294967294LL, INT32_MAX}, 2);
  check_ints(">u4", be, 8, (const int64_t[]){4294967294LL, INT32_MAX}, 2);
}

static void test_eight_byte_types(void **state) {
  (void)state;
  const unsigned char le[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                              0, 0, 0, 0, 0, 0, 0, 0x80,
                              0x02, 0x01, 0, 0, 0, 0, 0, 0};
  const unsigned char be[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                              0x80, 0, 0, 0, 0, 0, 0, 0,
                              0, 0, 0, 0, 0, 0, 0x01, 0x02};
  check_ints("<i8", le, 24, (const int64_t[]){-1, INT64_MIN, 0x102}, 3);
  check_ints(">i8", be, 24, (const int64_t[]){-1, INT64_MIN, 0x102}, 3);
  /* An unsigned value of 2^63 or more has no int64. */
  const unsigned char fits[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
  check_ints("<u8", fits, 8, (const int64_t[]){INT64_MAX}, 1);
  char path[512], dict[256];
  scratch_path(path, sizeof path, "big_u8.npy");
  dict_for(dict, sizeof dict, "<u8", "(3,)");
  write_npy_file(path, 1, dict, 1, le, 24);
  js_array *a = NULL;
  assert_failure(js_npy_read(path, &a), JS_EFORMAT, path, "entry 0", NULL);
  assert_null(a);
}

/* A 2 x 3 array in a version 2.0 file, dict keys in another order, double
 * quotes, no trailing comma, no padding. */
static void test_two_dimensional_version_2(void **state) {
  (void)state;
  char path[512];
  scratch_path(path, sizeof path, "matrix.npy");
  const unsigned char data[] = {1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0};
  write_npy_file(path, 2, "{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"<i2\"}",
                 0, data, sizeof data);
  js_array *a = read_ok(path);
  assert_int_equal(a->ndim, 2);
  assert_int_equal(a->shape[0], 2);
  assert_int_equal(a->shape[1], 3);
  assert_int_equal(a->size, 6);
  for (int64_t i = 0; i < 6; i++)
    assert_int_equal(a->ints[i], i + 1);
  js_array_free(a);
}

static void test_zero_and_high_dimensional(void **state) {
  (void)state;
  const unsigned char seven[] = {0, 0, 0, 0, 0, 0, 0x1C, 0x40}; /* 7.0 */
  js_array *a = write_and_read(1, "<f8", "()", seven, 8, 0, 1);
  assert_true(a->values[0] == 7.0);
  js_array_free(a);
  a = write_and_read(1, "<f8", "(0,)", NULL, 0, 1, 0);
  assert_int_equal(a->shape[0], 0);
  js_array_free(a);
  /* Eight dimensions (the most), Python 2's long suffix. */
  a = write_and_read(1, "<f8", "(1, 1, 1, 1L, 1, 1, 1, 1)", seven, 8, 8, 1);
  assert_true(a->values[0] == 7.0);
  js_array_free(a);
}

static void read_fails(const char *path, int expected, const char *word) {
  js_array *a = NULL;
  assert_failure(js_npy_read(path, &a), expected, path, word, NULL);
  assert_null(a);
}

/* A header dict (data: 3 doubles) that must be refused with `word`. */
static void check_bad_header(const char *dict, int expected, const char *word) {
  char path[512];
  scratch_path(path, sizeof path, "bad_header.npy");
  write_npy_file(path, 1, dict, 1, (const double[]){1, 2, 3}, 24);
  read_fails(path, expected, word);
}

static void test_bad_files(void **state) {
  (void)state;
  char path[512], dict[256];
  scratch_path(path, sizeof path, "bad.npy");
  const double three[] = {1, 2, 3};

  dict_for(dict, sizeof dict, "<f8", "(3,)");
  write_npy_file(path, 1, dict, 1, three, 16);
  read_fails(path, JS_EFORMAT, "truncated: expected 24 bytes of data, found 16");
  write_npy_file(path, 1, dict, 1, (const double[]){1, 2, 3, 4}, 32);
  read_fails(path, JS_EFORMAT, "32 bytes of data");

  scratch_write(path, "PK\x03\x04 not numpy at all", 22, 0);
  read_fails(path, JS_EFORMAT, "not a .npy file");
  scratch_write(path, "", 0, 0);
  read_fails(path, JS_EFORMAT, "not a .npy file");
  scratch_write(path, "\x93NUMPY\x01\x00\x40", 9, 0);
  read_fails(path, JS_EFORMAT, "truncated");
  scratch_write(path, "\x93NUMPY\x01\x00\x40\x00{'descr'", 17, 0);
  read_fails(path, JS_EFORMAT, "truncated");
  scratch_write(path, "\x93NUMPY\x04\x00\x40\x00\x00\x00", 12, 0);
  read_fails(path, JS_EFORMAT, "version 4.0");

  scratch_path(path, sizeof path, "does-not-exist.npy");
  read_fails(path, JS_EIO, "No such file");

  check_bad_header("{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }", JS_EFORMAT,
                   "Fortran-order arrays are not supported; save with np.ascontiguousarray");
  check_bad_header("{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }", JS_EFORMAT,
                   "unsupported dtype '<c16'");
  check_bad_header("{'descr': '|f8', 'fortran_order': False, 'shape': (3,), }", JS_EFORMAT,
                   "unsupported dtype '|f8'");
  check_bad_header("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,), }",
                   JS_EFORMAT, "malformed");
  check_bad_header("hello, world", JS_EFORMAT, "malformed");
  check_bad_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,)", JS_EFORMAT,
                   "malformed");
  check_bad_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } x", JS_EFORMAT,
                   "malformed");
  check_bad_header("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (3,), }", JS_EFORMAT,
                   "True or False");
  check_bad_header("{'descr': '<f8', 'shape': (3,), }", JS_EFORMAT, "fortran_order");
  check_bad_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': 1}",
                   JS_EFORMAT, "unexpected key 'x'");
  check_bad_header("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (3,)}",
                   JS_EFORMAT, "repeated key");
  check_bad_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3 4), }", JS_EFORMAT,
                   "malformed");
  check_bad_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }", JS_EFORMAT,
                   "negative");
  check_bad_header("{'descr': '<f8', 'fortran_order': False, 'shape': "
                   "(99999999999999999999999,), }", JS_ELIMIT, "exceeds");
  check_bad_header("{'descr': '<f8', 'fortran_order': False, 'shape': "
                   "(2097152, 2097152), }", JS_ELIMIT, "limit");
  check_bad_header("{'descr': '<f8', 'fortran_order': False, 'shape': "
                   "(1, 1, 1, 1, 1, 1, 1, 1, 3), }", JS_EFORMAT, "more than 8 dimensions");
}

/* ----------------------------------------------------------------- write */

static void round_trip(const double *data, int ndim, const int64_t *shape, int64_t size) {
  char path[512], tmp[520];
  scratch_path(path, sizeof path, "round_trip.npy");
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if (js_npy_write(path, data, ndim, shape))
    fail_msg("js_npy_write: %s", js_last_error());
  assert_int_not_equal(access(tmp, F_OK), 0);
  js_array *a = read_ok(path);
  assert_int_equal(a->ndim, ndim);
  for (int k = 0; k < ndim; k++)
    assert_int_equal(a->shape[k], shape[k]);
  assert_int_equal(a->size, size);
  assert_false(a->is_integer);
  if (size)
    assert_memory_equal(a->values, data, sizeof(double) * (size_t)size);
  js_array_free(a);

  /* The layout NumPy expects: version 1.0, data 64-byte aligned, '\n'. */
  size_t len;
  unsigned char *bytes = scratch_read(path, &len);
  size_t header_len = bytes[8] | (size_t)bytes[9] << 8;
  assert_memory_equal(bytes, "\x93NUMPY\x01\x00", 8);
  assert_int_equal((10 + header_len) % 64, 0);
  assert_int_equal(bytes[10 + header_len - 1], '\n');
  assert_int_equal(len, 10 + header_len + 8 * (size_t)size);
  free(bytes);
}

static void test_round_trip(void **state) {
  (void)state;
  double data[15];
  for (int i = 0; i < 15; i++)
    data[i] = sin(1.0 + i) * pow(10.0, i - 7);
  data[3] = -0.0;
  data[4] = INFINITY;
  data[5] = 4.9e-324; /* the smallest subnormal */
  data[6] = -1.7976931348623157e308;
  round_trip(data, 2, (const int64_t[]){3, 5}, 15);
  round_trip(data, 1, (const int64_t[]){15}, 15);
  round_trip(data, 0, NULL, 1);
  round_trip(data, 2, (const int64_t[]){0, 4}, 0);
}

/* The exact bytes of a written file: header text and little-endian data. */
static void test_written_bytes(void **state) {
  (void)state;
  char path[512];
  scratch_path(path, sizeof path, "bytes.npy");
  assert_int_equal(js_npy_write(path, (const double[]){1.5, -2.0}, 2,
                                (const int64_t[]){1, 2}), JS_OK);
  size_t len;
  unsigned char *bytes = scratch_read(path, &len);
  /* 10 + 60 header bytes round up to 128. */
  assert_int_equal(len, 128 + 16);
  const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }";
  assert_memory_equal(bytes + 10, dict, strlen(dict));
  const unsigned char data[] = {0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0xC0};
  assert_memory_equal(bytes + 128, data, 16);
  free(bytes);

  assert_int_equal(js_npy_write(path, (const double[]){1.5}, 1, (const int64_t[]){1}),
                   JS_OK);
  bytes = scratch_read(path, &len);
  const char *dict1 = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }";
  assert_memory_equal(bytes + 10, dict1, strlen(dict1));
  free(bytes);
}

static void test_write_failures(void **state) {
  (void)state;
  char path[512], tmp[520];
  scratch_path(path, sizeof path, "no-such-dir/out.npy");
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  const double one = 1.0;
  assert_failure(js_npy_write(path, &one, 1, (const int64_t[]){1}), JS_EIO, path,
                 "No such file", NULL);
  assert_int_not_equal(access(tmp, F_OK), 0);

  scratch_path(path, sizeof path, "never.npy");
  assert_failure(js_npy_write(path, &one, 1, (const int64_t[]){-1}), JS_EINVAL, path,
                 "negative", NULL);
  assert_failure(js_npy_write(path, &one, 9, (const int64_t[9]){1}), JS_EINVAL, path, NULL);
  assert_failure(js_npy_write(path, NULL, 1, (const int64_t[]){1}), JS_EINVAL, path, NULL);
  assert_int_not_equal(access(path, F_OK), 0);

  /* A directory where the file should go: the rename fails, nothing is
   * left behind. */
  scratch_path(path, sizeof path, "a-directory");
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  assert_int_equal(mkdir(path, 0700), 0);
  assert_failure(js_npy_write(path, &one, 1, (const int64_t[]){1}), JS_EIO, path, NULL);
  assert_int_not_equal(access(tmp, F_OK), 0);
  assert_int_equal(rmdir(path), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_float64_both_endians),
      cmocka_unit_test(test_float32_both_endians),
      cmocka_unit_test(test_one_byte_types),
      cmocka_unit_test(test_two_byte_types),
      cmocka_unit_test(test_four_byte_types),
      cmocka_unit_test(test_eight_byte_types),
      cmocka_unit_test(test_two_dimensional_version_2),
      cmocka_unit_test(test_zero_and_high_dimensional),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_written_bytes),
      cmocka_unit_test(test_write_failures),
  };
  return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}

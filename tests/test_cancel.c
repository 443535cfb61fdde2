/* js_cancel_request: the solvers and the trainer stop at their next check
 * with JS_ECANCELED, say where, return no result, and run again once the
 * request is cleared. The request is made from inside the run (the
 * operator's product and the training callback), as a signal handler
 * would make it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dense_op.h"
#include "small_problem.h"

#include <stdlib.h>
#include <string.h>

enum { ROWS = 40, COLS = 30 };

typedef struct counting {
  js_linop *inner;
  int64_t calls, cancel_at; /* js_cancel_request on call cancel_at */
} counting;

static int counting_apply(void *ctx, int transpose, int64_t n_vectors, const double *in,
                          double *out) {
  counting *c = ctx;
  if (++c->calls == c->cancel_at)
    js_cancel_request();
  return transpose ? js_linop_apply_t(c->inner, n_vectors, in, out)
                   : js_linop_apply(c->inner, n_vectors, in, out);
}

static void test_svds(void **state) {
  (void)state;
  double *a = malloc(sizeof(double) * ROWS * COLS);
  for (int i = 0; i < ROWS * COLS; i++)
    a[i] = (double)((i * 7919) % 101) / 101.0 - 0.5;
  dense_op d = {.rows = ROWS, .cols = COLS, .a = a};
  counting c = {.cancel_at = 5};
  js_linop *op = NULL;
  assert_int_equal(dense_op_create(&d, &c.inner), JS_OK);
  assert_int_equal(js_linop_create(ROWS, COLS, counting_apply, &c, &op), JS_OK);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = 3;
  js_svds_result *res = (js_svds_result *)&opt; /* must become NULL */
  assert_int_equal(js_svds(op, &opt, &res), JS_ECANCELED);
  assert_null(res);
  assert_non_null(strstr(js_last_error(), "interrupted after"));
  assert_string_equal(js_errstr(JS_ECANCELED), "canceled");
  /* The Gram product is two calls: the one that asked stops the next. */
  assert_int_equal(c.calls, 6);
  assert_int_equal(js_svds_dense(op, &opt, &res), JS_ECANCELED);
  assert_null(res);
  js_cancel_clear();
  assert_false(js_cancel_requested());
  assert_int_equal(js_svds(op, &opt, &res), JS_OK);
  assert_int_equal(res->rank, 3);
  js_svds_result_free(res);
  js_linop_free(op);
  js_linop_free(c.inner);
  free(a);
}

static int cancel_at_step_3(void *ctx, const js_train_state *state) {
  (void)ctx;
  if (state->step == 3)
    js_cancel_request();
  return 0;
}

static void test_train(void **state) {
  (void)state;
  small_problem pb;
  assert_int_equal(small_problem_build(&pb, 20, 4, 6), JS_OK);
  double theta[24];
  js_net_get_params(pb.net, theta);
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = 10;
  opt.lr = 1e-2;
  assert_int_equal(js_train(&pb.model, pb.data->y, &opt, cancel_at_step_3, NULL, theta),
                   JS_ECANCELED);
  assert_string_equal(js_last_error(), "train: interrupted at step 3 of 10");
  js_cancel_clear();
  small_problem_free(&pb);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_svds), cmocka_unit_test(test_train)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Allocation failures: a small end-to-end problem (spectrum, split, train)
 * and the file readers are run once to count their allocations, then once
 * for every k up to that count with the k-th allocation failing
 * (js_alloc_fail_after). Each run must return JS_ENOMEM with a message (or
 * JS_OK, where the library can do without the memory) and never crash;
 * everything it allocated is freed, which the sanitizer build's
 * LeakSanitizer checks at exit.
 *
 * The problem is built by small_problem.c, which holds everything that
 * depends on the model API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "scratch.h"
#include "small_problem.h"

#include "jacspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* spectrum (top 4 with vectors), split (I of rank 3, the labels aligned),
 * training: SGD with the linearised run and the automatic rate (a Lanczos
 * solve of its own), then Adam with the Jacobian's change measured (the
 * difference operator and its GKL solve). */
static int run_problem(small_problem *pb) {
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = 4;
  so.want_vectors = 1;
  js_svds_result *res = NULL;
  js_space *space = NULL;
  double *theta = NULL;
  js_alignment a;
  int status = js_svds(pb->jacobian, &so, &res);
  if (status || (status = js_space_create(res, 3, 0, &space)) ||
      (status = js_space_align(space, pb->data->y, NULL, &a)))
    goto done;
  int64_t p = js_net_n_params(pb->net);
  if (!(theta = js_alloc((size_t)p, sizeof *theta, "test parameters"))) {
    status = JS_ENOMEM;
    goto done;
  }
  js_net_get_params(pb->net, theta);
  js_train_options to;
  js_train_options_init_defaults(&to);
  to.steps = 3;
  to.optimizer = JS_OPTIM_SGD;
  to.batch = 5;
  to.linearized = 1;
  if ((status = js_train(&pb->model, pb->data->y, &to, NULL, NULL, theta)))
    goto done;
  to.optimizer = JS_OPTIM_ADAM;
  to.lr = 1e-2;
  to.linearized = 0;
  to.measure_every = 3;
  to.jacobian_change = 1;
  status = js_train(&pb->model, pb->data->y, &to, NULL, NULL, theta);
done:
  free(theta);
  js_space_free(space);
  js_svds_result_free(res);
  return status;
}

static int end_to_end(void *ctx) {
  (void)ctx;
  small_problem pb;
  int status = small_problem_build(&pb, 24, 5, 8);
  if (!status)
    status = run_problem(&pb);
  small_problem_free(&pb);
  return status;
}

/* The readers on files written in the scratch directory by setup. */
static int readers(void *ctx) {
  (void)ctx;
  char npy[256], csv[256], images[256], labels[256];
  scratch_path(npy, sizeof npy, "a.npy");
  scratch_path(csv, sizeof csv, "d.csv.gz");
  scratch_path(images, sizeof images, "images");
  scratch_path(labels, sizeof labels, "labels.gz");
  js_array *a = NULL;
  js_dataset *d = NULL;
  int status = js_npy_write(npy, (const double[]){1, 2, 3, 4, 5, 6}, 2,
                            (const int64_t[]){2, 3});
  if (!status && !(status = js_npy_read(npy, &a)))
    js_array_free(a);
  if (!status && !(status = js_dataset_csv(csv, "label", &d)))
    js_dataset_free(d);
  int32_t keep[] = {2, 0};
  js_idx_options opt = {.classes = keep, .n_classes = 2, .per_class = 1};
  if (!status && !(status = js_dataset_idx(images, labels, &opt, &d)))
    js_dataset_free(d);
  return status;
}

/* Runs fn once to count its allocations, then with each one failing. */
static void every_failure(int (*fn)(void *), void *ctx, const char *name) {
  js_alloc_fail_after(0);
  assert_int_equal(fn(ctx), JS_OK);
  int64_t total = js_alloc_count();
  assert_true(total > 0);
  int64_t failed_runs = 0;
  for (int64_t k = 1; k <= total; k++) {
    js_alloc_fail_after(k);
    int status = fn(ctx);
    int64_t made = js_alloc_count();
    js_alloc_fail_after(0);
    /* The run is deterministic: the k-th allocation was reached. */
    assert_true(made >= k);
    if (status != JS_OK) {
      if (status != JS_ENOMEM)
        fail_msg("%s: allocation %lld failing gave status %d (%s), not JS_ENOMEM", name,
                 (long long)k, status, js_last_error());
      assert_true(js_last_error()[0] != '\0');
      failed_runs++;
    }
  }
  printf("%s: %lld allocations, %lld of the runs with one failing returned JS_ENOMEM\n",
         name, (long long)total, (long long)failed_runs);
}

static void test_end_to_end(void **state) {
  (void)state;
  every_failure(end_to_end, NULL, "spectrum, split, train");
}

static void test_readers(void **state) {
  (void)state;
  char path[256];
  const char *text = "a,b,label\n1,2,0\n3,4,1\n5,6,1\n";
  scratch_path(path, sizeof path, "d.csv.gz");
  scratch_write(path, text, strlen(text), 1);
  unsigned char images[16 + 4 * 2] = {0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2};
  unsigned char labels[8 + 4] = {0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 2, 2};
  scratch_path(path, sizeof path, "images");
  scratch_write(path, images, sizeof images, 0);
  scratch_path(path, sizeof path, "labels.gz");
  scratch_write(path, labels, sizeof labels, 1);
  every_failure(readers, NULL, "npy, CSV and IDX readers");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_end_to_end),
                                     cmocka_unit_test(test_readers)};
  return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}

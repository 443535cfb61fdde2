/* Test helper: a small end-to-end problem (a GMM data
 * set, a one-hidden-layer softplus network, its Jacobian and its js_model).
 * The tests that need "some network on some data" build it here, so a
 * change of the model API touches this file only. */
#ifndef JS_TESTS_SMALL_PROBLEM_H
#define JS_TESTS_SMALL_PROBLEM_H

#include "jacspec.h"

typedef struct small_problem {
  js_dataset *data;
  js_net *net;
  js_linop *jacobian;
  js_model model;
} small_problem;

/* GMM (n samples of dimension dim, 2 classes, 1 cluster each, normalised)
 * and a network of the given hidden width. Returns a status; on failure
 * everything built so far is freed. */
int small_problem_build(small_problem *pb, int64_t n, int64_t dim, int64_t width);
void small_problem_free(small_problem *pb);

#endif

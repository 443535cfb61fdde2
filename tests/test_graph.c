/* The layer graph as a whole: the Jacobian operator of whole networks
 * against central differences of js_net_forward (at parameters moved by
 * js_net_set_params) and against the explicitly formed J, for
 *   (a) an MLP with biases, every tensor trained (also against the plain
 *       reference network of reference_net.c),
 *   (b) a small CNN: strided, asymmetrically padded and dilated
 *       convolutions, average pooling with and without the padding in the
 *       mean, max pooling, padding, affine maps (image and flat), global
 *       average pooling, flatten, dense layers, several activations, and a
 *       node read by two branches that are summed,
 *   (c) a ResNet (depth 8, width 2) with its projection shortcuts,
 *   (d) a graph with fan-out beyond residual adds (one node read by three
 *       dense layers, a sum of a node with itself),
 *   (e) partial training: some tensors, a bias alone, a tensor deep in the
 *       graph, a whole stage; each J the matching columns of the full J.
 * Each case: J formed by columns (J e_j) and by rows (J^T e_i) agree; J
 * agrees with the finite-difference J to 1e-8 relative (Frobenius); random
 * blocks satisfy <J v, u> = <v, J^T u>; and every execution choice (blocks
 * b = 1 and 3, batches that do and do not divide n, cached and uncached,
 * one and two threads, two calls on one operator) gives the products of
 * the explicit J up to rounding.
 * Then: single precision against double on a CNN; the snapshot contract;
 * the builders' errors; data shapes; describe and clone; tensor files;
 * js_net_create_arch.
 *
 * Letters: n samples, K outputs per sample, m = nK rows of J, p columns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"
#include "model/graph.h"
#include "model/schedule.h"
#include "reference_net.h"
#include "scratch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_SAMPLES 6
/* Central differences: f is smooth or piecewise linear in theta near the
 * samples (kinks are screened, below), so the error is truncation ~ step^2
 * plus rounding ~ eps / step: far below the accepted 1e-8. */
#define FD_STEP 1e-5
#define FD_TOL 1e-8
/* Products computed two ways in double: equal up to summation order. */
#define TOL 1e-12
/* How far every relu/leaky input and every max-pooling winner must be
 * from a kink (a sign change, a runner-up) for the differences, whose
 * steps move them by about 1e-5, to see no kink. */
#define KINK_MARGIN 1e-3

static const js_activation act_tanh = {JS_ACT_TANH, 0},
                           act_softplus = {JS_ACT_SOFTPLUS, 0},
                           act_sigmoid = {JS_ACT_SIGMOID, 0}, act_leaky = {JS_ACT_LEAKY, 0.1};

/* ------------------------------------------------------------ helpers */

static void *alloc(size_t count) {
  void *p = calloc(count ? count : 1, sizeof(double));
  assert_non_null(p);
  return p;
}

/* Fails naming the case when err > tol (or NaN). */
static void expect_small(double err, double tol, const char *what, const char *label) {
  if (!(err <= tol))
    fail_msg("%s: %s: relative error %.3g > %.3g", label, what, err, tol);
}

/* A builder step that must succeed: returns the node id. */
static int ok_node(int id) {
  if (id < 0)
    fail_msg("builder: %s (%s)", js_errstr(id), js_last_error());
  return id;
}

/* n samples of `shape` with K outputs, N(0, 1) inputs from seed. */
static js_dataset *make_data(js_shape shape, int64_t n, int64_t K, uint64_t seed) {
  int64_t d = 1;
  for (int a = 0; a < shape.ndim; a++)
    d *= shape.dim[a];
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_create(n, d, K, 0, &data), JS_OK);
  data->shape = shape;
  ref_fill_normal(data->x, n * d, seed);
  return data;
}

/* Biases, shifts and scales drawn too (the builders' zeros and ones would
 * leave their columns of J trivial and put pre-activations exactly on a
 * relu's kink where a window sees only padding), then everything drawn. */
static void randomize(js_net *net, uint64_t seed) {
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    size_t len = strlen(info.name);
    int bias = len > 5 && (!strcmp(info.name + len - 5, ".bias") ||
                           !strcmp(info.name + len - 6, ".shift"));
    int scale = len > 6 && !strcmp(info.name + len - 6, ".scale");
    if (bias)
      assert_int_equal(js_net_set_init(net, t, (js_init){JS_INIT_NORMAL, 0.3}), JS_OK);
    if (scale)
      assert_int_equal(js_net_set_init(net, t, (js_init){JS_INIT_NORMAL, 1.0}), JS_OK);
  }
  assert_int_equal(js_net_initialize(net, seed), JS_OK);
  /* Biases leaning positive: fewer relu units off for every sample. */
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    size_t len = strlen(info.name);
    if (len > 5 && !strcmp(info.name + len - 5, ".bias"))
      for (int64_t i = 0; i < info.size; i++)
        js_net_tensor_mut(net, t)[i] += 0.3;
  }
}

/* The values of node `node` (n x its size) on the data: the network with
 * its output moved there (on a copy). */
static double *node_values(const js_net *net, int node, const js_dataset *data) {
  double *z = alloc((size_t)(data->n_samples * net->nodes[node].size));
  if (node == 0) {
    memcpy(z, data->x, sizeof(double) * (size_t)(data->n_samples * data->dim));
    return z;
  }
  js_net *probe = NULL;
  assert_int_equal(js_net_clone(net, &probe), JS_OK);
  assert_int_equal(js_net_set_output(probe, node), JS_OK);
  assert_int_equal(js_net_forward(probe, data->x, data->n_samples, z), JS_OK);
  js_net_free(probe);
  return z;
}

/* The smallest gap between the winner and the runner-up of a max-pooling
 * window (cells inside the image), over every window of every sample. */
static double maxpool_margin(const js_node *node, const double *x, int64_t n) {
  const js_window *w = &node->window;
  int64_t C = node->in_shape.dim[0], H = node->in_shape.dim[1], W = node->in_shape.dim[2];
  double least = INFINITY;
  for (int64_t s = 0; s < n; s++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t oh = 0; oh < node->shape.dim[1]; oh++)
        for (int64_t ow = 0; ow < node->shape.dim[2]; ow++) {
          double top = -INFINITY, second = -INFINITY;
          for (int64_t i = 0; i < w->kernel[0]; i++)
            for (int64_t j = 0; j < w->kernel[1]; j++) {
              int64_t ih = oh * w->stride[0] - w->pad[0] + i * w->dilation[0];
              int64_t iw = ow * w->stride[1] - w->pad[1] + j * w->dilation[1];
              if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                continue;
              double v = x[((s * C + c) * H + ih) * W + iw];
              if (v > top) {
                second = top;
                top = v;
              } else if (v > second) {
                second = v;
              }
            }
          if (second > -INFINITY)
            least = fmin(least, top - second);
        }
  return least;
}

/* How far the samples are from a kink of the network: min |z| over the
 * inputs of relu and leaky activations, and the max-pooling gaps (Inf when
 * the network has no kink). */
static double kink_margin(const js_net *net, const js_dataset *data) {
  double least = INFINITY;
  for (int i = 1; i < net->n_nodes; i++) {
    const js_node *node = &net->nodes[i];
    int kinked = node->kind == JS_OP_ACTIVATION &&
                 (node->act.kind == JS_ACT_RELU || node->act.kind == JS_ACT_LEAKY);
    if (!kinked && node->kind != JS_OP_MAXPOOL)
      continue;
    double *z = node_values(net, node->input[0], data);
    if (kinked)
      for (int64_t q = 0; q < data->n_samples * node->in_size; q++)
        least = fmin(least, fabs(z[q]));
    else
      least = fmin(least, maxpool_margin(node, z, data->n_samples));
    free(z);
  }
  return least;
}

/* Data for the finite differences: the first seed whose samples keep
 * KINK_MARGIN from every kink of the network. */
static js_dataset *screened_data(const js_net *net, int64_t n, uint64_t seed) {
  for (uint64_t s = seed; s < seed + 60; s++) {
    js_dataset *data = make_data(js_net_input_shape(net), n, js_net_n_outputs(net), s);
    if (kink_margin(net, data) > KINK_MARGIN)
      return data;
    js_dataset_free(data);
  }
  fail_msg("no samples keep %g from the kinks", KINK_MARGIN);
  return NULL;
}

static js_jacobian_options jac_options(int64_t batch, size_t cache_limit) {
  js_jacobian_options opt;
  js_jacobian_options_init_defaults(&opt);
  opt.batch_size = batch;
  opt.cache_limit = cache_limit;
  return opt;
}

static js_linop *make_op(const js_net *net, const js_dataset *data,
                         const js_jacobian_options *opt) {
  js_linop *op = NULL;
  int rc = js_jacobian_create(net, data, opt, &op);
  if (rc)
    fail_msg("js_jacobian_create: %s", js_last_error());
  return op;
}

/* J (m x p, row-major) from J e_j, one column at a time. */
static double *form_by_columns(js_linop *op) {
  int64_t m = js_linop_rows(op), p = js_linop_cols(op);
  double *j = alloc((size_t)(m * p)), *e = alloc((size_t)p), *col = alloc((size_t)m);
  for (int64_t c = 0; c < p; c++) {
    e[c] = 1;
    assert_int_equal(js_linop_apply(op, 1, e, col), JS_OK);
    e[c] = 0;
    for (int64_t r = 0; r < m; r++)
      j[r * p + c] = col[r];
  }
  free(e);
  free(col);
  return j;
}

/* J (m x p, row-major) from J^T e_i, one row at a time. */
static double *form_by_rows(js_linop *op) {
  int64_t m = js_linop_rows(op), p = js_linop_cols(op);
  double *j = alloc((size_t)(m * p)), *e = alloc((size_t)m);
  for (int64_t r = 0; r < m; r++) {
    e[r] = 1;
    assert_int_equal(js_linop_apply_t(op, 1, e, j + r * p), JS_OK);
    e[r] = 0;
  }
  free(e);
  return j;
}

/* fd (m) = (f(theta + s v) - f(theta - s v)) / 2s, s = step / ||v||; the
 * network's parameters are restored. */
static void fd_direction(js_net *net, const js_dataset *data, const double *v, double step,
                         double *fd) {
  int64_t p = js_net_n_params(net), m = data->n_samples * data->n_outputs;
  double *theta = alloc((size_t)p), *moved = alloc((size_t)p), *minus = alloc((size_t)m);
  double s = step / sqrt(ref_dot(v, v, p));
  js_net_get_params(net, theta);
  for (int sign = -1; sign <= 1; sign += 2) {
    for (int64_t i = 0; i < p; i++)
      moved[i] = theta[i] + sign * s * v[i];
    js_net_set_params(net, moved);
    assert_int_equal(js_net_forward(net, data->x, data->n_samples, sign < 0 ? minus : fd),
                     JS_OK);
  }
  for (int64_t r = 0; r < m; r++)
    fd[r] = (fd[r] - minus[r]) / (2 * s);
  js_net_set_params(net, theta);
  free(theta);
  free(moved);
  free(minus);
}

/* The finite-difference J (m x p, row-major), column by column. */
static double *form_by_differences(js_net *net, const js_dataset *data) {
  int64_t p = js_net_n_params(net), m = data->n_samples * data->n_outputs;
  double *j = alloc((size_t)(m * p)), *e = alloc((size_t)p), *col = alloc((size_t)m);
  for (int64_t c = 0; c < p; c++) {
    e[c] = 1;
    fd_direction(net, data, e, FD_STEP, col);
    e[c] = 0;
    for (int64_t r = 0; r < m; r++)
      j[r * p + c] = col[r];
  }
  free(e);
  free(col);
  return j;
}

/* ------------------------------------------------------------ the check */

/* Every check of the file's header on one network and data set; returns
 * the explicit J (m x p, row-major; the caller frees it). */
static double *check_graph(js_net *net, const js_dataset *data, const char *label) {
  int64_t n = data->n_samples, m = n * data->n_outputs, p = js_net_n_params(net);
  double margin = kink_margin(net, data);
  if (!(margin > KINK_MARGIN))
    fail_msg("%s: the samples are %.3g from a kink", label, margin);
  assert_int_equal(js_set_threads(1), 1);
  js_jacobian_options plain = jac_options(n, 0);
  js_linop *op = make_op(net, data, &plain);
  assert_int_equal(js_linop_rows(op), m);
  assert_int_equal(js_linop_cols(op), p);
  double *j = form_by_columns(op), *rows = form_by_rows(op);
  expect_small(ref_relative_error(rows, j, m * p), TOL, "J by rows vs J by columns", label);
  free(rows);
  double *fd = form_by_differences(net, data);
  expect_small(ref_relative_error(j, fd, m * p), FD_TOL, "J vs finite differences", label);
  /* The comparison is not vacuous: every trained tensor has a column of J
   * that is not zero, and at least half the columns are not. (Some are:
   * the weights into or out of a relu unit that is off for every sample,
   * common in the narrow last stage of a small ResNet; the differences
   * agree that they are zero.) */
  int64_t zero = 0;
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    int64_t nonzero = 0;
    for (int64_t c = info.theta_offset; info.trained && c < info.theta_offset + info.size; c++) {
      double norm = 0;
      for (int64_t r = 0; r < m; r++)
        norm += j[r * p + c] * j[r * p + c];
      nonzero += norm > 0;
    }
    if (info.trained && nonzero == 0)
      fail_msg("%s: J is zero on every column of tensor %s", label, info.name);
    zero += info.trained ? info.size - nonzero : 0;
  }
  if (zero > p / 2)
    fail_msg("%s: %lld of %lld columns of J are zero", label, (long long)zero, (long long)p);

  /* Random blocks: products against J and the differences, adjointness. */
  enum { B3 = 3 };
  double *v = alloc((size_t)(p * B3)), *u = alloc((size_t)(m * B3));
  double *jv = alloc((size_t)(m * B3)), *g = alloc((size_t)(p * B3));
  double *want_jv = alloc((size_t)(m * B3)), *want_g = alloc((size_t)(p * B3));
  double *col = alloc((size_t)m), *fd_g = alloc((size_t)(p * B3));
  ref_fill_normal(v, p * B3, 41);
  ref_fill_normal(u, m * B3, 42);
  ref_apply(j, m, p, 0, B3, v, want_jv);
  ref_apply(j, m, p, 1, B3, u, want_g);
  assert_int_equal(js_linop_apply(op, B3, v, jv), JS_OK);
  assert_int_equal(js_linop_apply_t(op, B3, u, g), JS_OK);
  for (int64_t k = 0; k < B3; k++) {
    fd_direction(net, data, v + k * p, FD_STEP, col);
    expect_small(ref_relative_error(jv + k * m, col, m), FD_TOL, "J v vs differences", label);
    double gap = ref_dot(jv + k * m, u + k * m, m) - ref_dot(v + k * p, g + k * p, p);
    double scale = sqrt(ref_dot(jv + k * m, jv + k * m, m) * ref_dot(u + k * m, u + k * m, m));
    expect_small(fabs(gap) / scale, TOL, "<J v, u> = <v, J^T u>", label);
  }
  ref_apply(fd, m, p, 1, B3, u, fd_g);
  expect_small(ref_relative_error(g, fd_g, p * B3), FD_TOL, "J^T u vs differences", label);
  free(fd);
  js_linop_free(op);

  /* Execution choices: n = 6, batches of 1 and 3 divide it, 4 does not,
   * 0 is automatic. */
  const int64_t batches[] = {1, 3, 4, 0}, blocks[] = {1, 3};
  for (int threads = 1; threads <= 2; threads++) {
    int used = js_set_threads(threads); /* clamped to the online cores */
    assert_true(used >= 1 && used <= threads);
    for (int cached = 0; cached <= 1; cached++)
      for (int ib = 0; ib < 4; ib++) {
        js_jacobian_options opt = jac_options(batches[ib], cached ? (size_t)1 << 30 : 0);
        op = make_op(net, data, &opt);
        for (int ik = 0; ik < 2; ik++)
          for (int call = 0; call < 2; call++) {
            int64_t b = blocks[ik];
            char what[128];
            snprintf(what, sizeof what, "%d threads, cache %d, batch %lld, block %lld, call %d",
                     used, cached, (long long)batches[ib], (long long)b, call);
            assert_int_equal(js_linop_apply(op, b, v, jv), JS_OK);
            assert_int_equal(js_linop_apply_t(op, b, u, g), JS_OK);
            expect_small(ref_relative_error(jv, want_jv, m * b), TOL, what, label);
            expect_small(ref_relative_error(g, want_g, p * b), TOL, what, label);
          }
        js_linop_free(op);
      }
  }
  js_set_threads(0);
  free(v);
  free(u);
  free(jv);
  free(g);
  free(want_jv);
  free(want_g);
  free(col);
  free(fd_g);
  return j;
}

/* ------------------------------------------------------------ networks */

/* (b): input (2, 9, 8), K = 3. Shapes in the comments. */
static js_net *build_cnn(void) {
  js_net *net = NULL;
  assert_int_equal(js_net_create(&(js_shape){3, {2, 9, 8}}, &net), JS_OK);
  js_conv2d_options c;
  js_conv2d_options_init_defaults(&c);
  c.filters = 3;
  c.kernel[0] = 3, c.kernel[1] = 2;
  c.stride[0] = 2, c.stride[1] = 1;
  c.pad[0] = 1, c.pad[1] = 0, c.pad[2] = 2, c.pad[3] = 1;
  c.dilation[0] = 1, c.dilation[1] = 2;
  int a = ok_node(js_net_add_conv2d(net, 0, &c, "conv1")); /* (3, 5, 7) */
  assert_int_equal(net->nodes[a].shape.dim[1], 5);
  assert_int_equal(net->nodes[a].shape.dim[2], 7);
  a = ok_node(js_net_add_activation(net, a, act_tanh));
  const int64_t pad[4] = {1, 0, 0, 1};
  a = ok_node(js_net_add_pad(net, a, pad)); /* (3, 6, 8) */
  js_pool_options p;
  js_pool_options_init_defaults(&p);
  p.kernel[0] = 3, p.kernel[1] = 2;
  p.stride[0] = 1, p.stride[1] = 2;
  p.pad[0] = 1, p.pad[1] = 1, p.pad[2] = 1, p.pad[3] = 0;
  p.count_include_pad = 0;
  a = ok_node(js_net_add_pool(net, a, &p)); /* (3, 6, 4) */
  assert_int_equal(net->nodes[a].size, 3 * 6 * 4);
  a = ok_node(js_net_add_affine(net, a, "bn1"));
  a = ok_node(js_net_add_activation(net, a, act_softplus));
  js_conv2d_options_init_defaults(&c);
  c.filters = 4;
  c.stride[0] = c.stride[1] = 2;
  c.pad[0] = 0, c.pad[1] = 1, c.pad[2] = 1, c.pad[3] = 0;
  c.bias = 0;
  a = ok_node(js_net_add_conv2d(net, a, &c, "conv2")); /* (4, 3, 2) */
  assert_int_equal(net->nodes[a].size, 4 * 3 * 2);
  js_pool_options_init_defaults(&p);
  p.stride[0] = p.stride[1] = 1;
  p.pad[0] = p.pad[1] = 1;
  p.count_include_pad = 1;
  a = ok_node(js_net_add_pool(net, a, &p)); /* (4, 3, 2) */
  a = ok_node(js_net_add_activation(net, a, act_leaky));
  js_pool_options_init_defaults(&p);
  p.kind = JS_POOL_MAX;
  p.stride[0] = p.stride[1] = 1;
  p.pad[2] = p.pad[3] = 1;
  int pooled = ok_node(js_net_add_pool(net, a, &p)); /* (4, 3, 2) */
  assert_int_equal(net->nodes[pooled].size, 4 * 3 * 2);
  /* Two branches on the pooled node, summed. */
  a = ok_node(js_net_add_flatten(net, pooled)); /* (24) */
  a = ok_node(js_net_add_dense(net, a, 6, 1, "fc1"));
  a = ok_node(js_net_add_activation(net, a, act_sigmoid));
  a = ok_node(js_net_add_dense(net, a, 3, 0, "fc2"));
  int g = ok_node(js_net_add_global_avgpool(net, pooled)); /* (4, 1, 1) */
  g = ok_node(js_net_add_dense(net, g, 3, 1, "head"));
  a = ok_node(js_net_add_sum(net, a, g));
  a = ok_node(js_net_add_affine(net, a, "out")); /* per entry of a flat (3) */
  assert_int_equal(js_net_n_outputs(net), 3);
  randomize(net, 7);
  return net;
}

/* (c): ResNet8 of width 2 on (1, 8, 8), K = 3. */
static js_net *build_resnet(void) {
  js_resnet_options ro;
  js_resnet_options_init_defaults(&ro);
  ro.depth = 8;
  ro.width = 2;
  ro.input = (js_shape){3, {1, 8, 8}};
  ro.n_outputs = 3;
  ro.seed = 3;
  js_net *net = NULL;
  assert_int_equal(js_net_create_resnet(&ro, &net), JS_OK);
  randomize(net, 3);
  return net;
}

/* (d): input (5): h = tanh(a x + b) read by three dense layers;
 * s = b(h) + c(h); t = softplus(s); f = out(t + t + d(h)). */
static js_net *build_fanout(void) {
  js_net *net = NULL;
  assert_int_equal(js_net_create(&(js_shape){1, {5, 0, 0}}, &net), JS_OK);
  int h = ok_node(js_net_add_dense(net, 0, 6, 1, "a"));
  h = ok_node(js_net_add_activation(net, h, act_tanh));
  int b = ok_node(js_net_add_dense(net, h, 4, 1, "b"));
  int c = ok_node(js_net_add_dense(net, h, 4, 0, "c"));
  int s = ok_node(js_net_add_sum(net, b, c));
  int t = ok_node(js_net_add_activation(net, s, act_softplus));
  int tt = ok_node(js_net_add_sum(net, t, t));
  int d = ok_node(js_net_add_dense(net, h, 4, 1, "d"));
  int f = ok_node(js_net_add_sum(net, tt, d));
  ok_node(js_net_add_dense(net, f, 3, 1, "out"));
  randomize(net, 11);
  return net;
}

/* ------------------------------------------------------------ tests */

/* (a): the MLP with biases, every tensor trained; also against the plain
 * reference network, which shares no code with the graph. */
static void test_mlp_with_biases(void **state) {
  (void)state;
  const int64_t widths[] = {5, 6, 4, 3};
  js_mlp_options mo;
  js_mlp_options_init_defaults(&mo);
  mo.n_layers = 3;
  mo.widths = widths;
  mo.bias = 1;
  mo.act = act_tanh;
  mo.seed = 9;
  js_net *net = NULL;
  assert_int_equal(js_net_create_mlp(&mo, &net), JS_OK);
  assert_int_equal(js_net_set_trained(net, "all"), JS_OK);
  for (int l = 1; l <= 3; l++) {
    char name[8];
    snprintf(name, sizeof name, "b%d", l);
    ref_fill_normal(js_net_tensor_mut(net, js_net_find_tensor(net, name)), widths[l], 20 + l);
  }
  ref_mlp arch = ref_mlp_of(&mo);
  int64_t p = js_net_n_params(net), m = N_SAMPLES * 3;
  assert_int_equal(p, 5 * 6 + 6 + 6 * 4 + 4 + 4 * 3 + 3);
  assert_int_equal(ref_n_params(&arch, net), p);
  js_dataset *data = make_data(js_net_input_shape(net), N_SAMPLES, 3, 1);
  double *j = check_graph(net, data, "mlp with biases");
  double *ref = alloc((size_t)(m * p)), f[N_SAMPLES * 3], want[N_SAMPLES * 3];
  ref_jacobian(&arch, net, data->x, N_SAMPLES, ref);
  expect_small(ref_relative_error(j, ref, m * p), TOL, "J vs the reference network",
               "mlp with biases");
  assert_int_equal(js_net_forward(net, data->x, N_SAMPLES, f), JS_OK);
  ref_forward(&arch, net, data->x, N_SAMPLES, want);
  expect_small(ref_relative_error(f, want, m), TOL, "forward vs the reference", "mlp");
  free(ref);
  free(j);
  js_dataset_free(data);
  js_net_free(net);
}

/* (b) */
static void test_cnn(void **state) {
  (void)state;
  js_net *net = build_cnn();
  /* p: conv1 3 2 3 2 + 3, bn1 3 + 3, conv2 4 3 3 3 (no bias), fc1 6 24 + 6,
   * fc2 3 6, head 3 4 + 3, out 3 + 3. */
  assert_int_equal(js_net_n_params(net), 39 + 6 + 108 + 150 + 18 + 15 + 6);
  js_dataset *data = screened_data(net, N_SAMPLES, 1);
  free(check_graph(net, data, "cnn"));
  js_dataset_free(data);
  js_net_free(net);
}

/* (c) */
static void test_resnet(void **state) {
  (void)state;
  js_net *net = build_resnet();
  /* The projection shortcuts of stages 2 and 3, none in stage 1. */
  assert_true(js_net_find_tensor(net, "stage2.block1.shortcut.weight") >= 0);
  assert_true(js_net_find_tensor(net, "stage3.block1.shortcut.weight") >= 0);
  assert_int_equal(js_net_find_tensor(net, "stage1.block1.shortcut.weight"), -1);
  js_tensor_info info;
  assert_int_equal(js_net_tensor_info(net, js_net_find_tensor(net, "stage3.block1.shortcut.weight"),
                                      &info), JS_OK);
  assert_int_equal(info.ndim, 4);
  assert_true(info.shape[0] == 8 && info.shape[1] == 4 && info.shape[2] == 1 &&
              info.shape[3] == 1);
  js_dataset *data = screened_data(net, N_SAMPLES, 1);
  free(check_graph(net, data, "resnet8"));
  js_dataset_free(data);
  js_net_free(net);
}

/* (d) */
static void test_fanout(void **state) {
  (void)state;
  js_net *net = build_fanout();
  js_dataset *data = make_data(js_net_input_shape(net), N_SAMPLES, 3, 2);
  free(check_graph(net, data, "fan-out"));
  js_dataset_free(data);
  js_net_free(net);
}

/* (e): partial training. J of a subset of tensors is the full J's columns
 * of those tensors (found through each layout's theta offsets); a bias of
 * the output layer alone gives J = I_K per sample, exactly. */
static void check_partial(js_net *net, const js_dataset *data, const double *full,
                          const js_net *all, const char *patterns) {
  assert_int_equal(js_net_set_trained(net, patterns), JS_OK);
  int64_t p = js_net_n_params(net), p_all = js_net_n_params(all), m = N_SAMPLES * 3;
  int64_t count = 0;
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    count += info.trained ? info.size : 0;
  }
  assert_int_equal(count, p);
  assert_true(p < p_all);
  double *j = check_graph(net, data, patterns);
  double *cols = alloc((size_t)(m * p));
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info, info_all;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    assert_int_equal(js_net_tensor_info(all, t, &info_all), JS_OK);
    if (!info.trained)
      continue;
    for (int64_t r = 0; r < m; r++)
      for (int64_t e = 0; e < info.size; e++)
        cols[r * p + info.theta_offset + e] = full[r * p_all + info_all.theta_offset + e];
  }
  expect_small(ref_relative_error(j, cols, m * p), TOL, "J vs the full J's columns", patterns);
  free(cols);
  free(j);
}

static void test_partial_training(void **state) {
  (void)state;
  js_net *all = build_resnet(), *net = NULL;
  js_dataset *data = screened_data(all, N_SAMPLES, 1);
  js_linop *op = make_op(all, data, NULL);
  double *full = form_by_columns(op);
  js_linop_free(op);
  assert_int_equal(js_net_clone(all, &net), JS_OK);
  /* With this tensor alone trained, the untrained stem's forward needs
   * more scratch than any product (im2col on 8 x 8 against 2 x 2): the
   * workspace of cached products must still hold it, as the first product
   * runs the forward pass to fill the cache. Cached and uncached
   * workspaces differ by the forward data alone. */
  assert_int_equal(js_net_set_trained(net, "stage3.block1.conv2.weight"), JS_OK);
  js_schedule sched;
  assert_int_equal(js_schedule_create(net, JS_PRECISION_DOUBLE, &sched), JS_OK);
  for (int64_t B = 1; B <= N_SAMPLES; B += N_SAMPLES - 1)
    for (int64_t b = 1; b <= 3; b += 2)
      assert_int_equal(js_schedule_workspace(&sched, B, b, 1) + js_schedule_data_bytes(&sched, B),
                       js_schedule_workspace(&sched, B, b, 0));
  js_schedule_free(&sched);
  check_partial(net, data, full, all, "stem.weight,fc.*");
  check_partial(net, data, full, all, "stage3.block1.conv2.weight");
  check_partial(net, data, full, all, "stage1.block1.conv1.bias");
  check_partial(net, data, full, all, "stage2.*");
  check_partial(net, data, full, all, "fc.bias");
  /* The output bias alone: df_k / db_l = [k == l] for every sample. */
  op = make_op(net, data, NULL);
  double *j = form_by_columns(op);
  for (int64_t r = 0; r < N_SAMPLES * 3; r++)
    for (int64_t c = 0; c < 3; c++)
      assert_true(j[r * 3 + c] == (r % 3 == c ? 1.0 : 0.0));
  free(j);
  js_linop_free(op);
  free(full);
  js_dataset_free(data);
  js_net_free(net);
  js_net_free(all);
}

/* Single precision against double on the CNN, cached and uncached, blocks
 * of 1 and 3: ~1e-5 relative (float rounding through a few layers; the
 * header's "about 3e-7" for an MLP, with margin), and not exact. */
static void test_single_precision(void **state) {
  (void)state;
  js_net *net = build_cnn();
  js_dataset *data = make_data(js_net_input_shape(net), 17, 3, 5);
  int64_t p = js_net_n_params(net), m = 17 * 3;
  double *v = alloc((size_t)(p * 3)), *u = alloc((size_t)(m * 3));
  double *jv = alloc((size_t)(m * 3)), *g = alloc((size_t)(p * 3));
  double *jv1 = alloc((size_t)(m * 3)), *g1 = alloc((size_t)(p * 3));
  ref_fill_normal(v, p * 3, 1);
  ref_fill_normal(u, m * 3, 2);
  js_linop *dbl = make_op(net, data, NULL);
  assert_int_equal(js_linop_apply(dbl, 3, v, jv), JS_OK);
  assert_int_equal(js_linop_apply_t(dbl, 3, u, g), JS_OK);
  for (int cached = 0; cached <= 1; cached++)
    for (int64_t b = 1; b <= 3; b += 2) {
      js_jacobian_options opt = jac_options(cached ? 0 : 5, cached ? (size_t)1 << 30 : 0);
      opt.precision = JS_PRECISION_SINGLE;
      js_linop *op = make_op(net, data, &opt);
      for (int call = 0; call < 2; call++) {
        assert_int_equal(js_linop_apply(op, b, v, jv1), JS_OK);
        assert_int_equal(js_linop_apply_t(op, b, u, g1), JS_OK);
        double e_jv = ref_relative_error(jv1, jv, m * b), e_g = ref_relative_error(g1, g, p * b);
        if (!(e_jv <= 1e-5 && e_g <= 1e-5 && e_jv > 0 && e_g > 0))
          fail_msg("single (cache %d, block %lld, call %d): J v %.3g, J^T u %.3g", cached,
                   (long long)b, call, e_jv, e_g);
      }
      js_linop_free(op);
    }
  js_linop_free(dbl);
  free(v);
  free(u);
  free(jv);
  free(g);
  free(jv1);
  free(g1);
  js_dataset_free(data);
  js_net_free(net);
}

/* The snapshot: writing the network after js_jacobian_create (a tensor
 * through js_net_tensor_mut, theta through js_net_set_params) changes no
 * product of the existing operator, cached or not; a new operator follows;
 * js_jacobian_create_at(theta) is js_net_set_params(theta) then
 * js_jacobian_create, and leaves the network as it was. */
static void test_snapshot(void **state) {
  (void)state;
  js_net *net = build_cnn();
  js_dataset *data = make_data(js_net_input_shape(net), N_SAMPLES, 3, 6);
  int64_t p = js_net_n_params(net), m = N_SAMPLES * 3;
  double *v = alloc((size_t)p), *u = alloc((size_t)m), *theta = alloc((size_t)p);
  double *before_jv = alloc((size_t)(2 * m)), *before_g = alloc((size_t)(2 * p));
  double *jv = alloc((size_t)m), *g = alloc((size_t)p), *jv2 = alloc((size_t)m),
         *g2 = alloc((size_t)p);
  ref_fill_normal(v, p, 3);
  ref_fill_normal(u, m, 4);
  js_jacobian_options cached = jac_options(0, (size_t)1 << 30), plain = jac_options(4, 0);
  js_linop *ops[2] = {make_op(net, data, &cached), make_op(net, data, &plain)};
  for (int k = 0; k < 2; k++) {
    assert_int_equal(js_linop_apply(ops[k], 1, v, before_jv + k * m), JS_OK);
    assert_int_equal(js_linop_apply_t(ops[k], 1, u, before_g + k * p), JS_OK);
  }
  /* Round 0 writes one tensor through the pointer, round 1 all of theta;
   * after each, the old operators give the products they gave before. */
  double *w = js_net_tensor_mut(net, js_net_find_tensor(net, "conv2.weight"));
  for (int64_t i = 0; i < 108; i++)
    w[i] *= -1.5;
  for (int round = 0; round < 2; round++) {
    for (int k = 0; k < 2; k++) {
      assert_int_equal(js_linop_apply(ops[k], 1, v, jv), JS_OK);
      assert_int_equal(js_linop_apply_t(ops[k], 1, u, g), JS_OK);
      assert_memory_equal(jv, before_jv + k * m, sizeof(double) * (size_t)m);
      assert_memory_equal(g, before_g + k * p, sizeof(double) * (size_t)p);
    }
    js_linop *now = make_op(net, data, &plain);
    assert_int_equal(js_linop_apply(now, 1, v, jv), JS_OK);
    assert_true(ref_relative_error(jv, before_jv, m) > 1e-3);
    js_linop_free(now);
    js_net_get_params(net, theta);
    for (int64_t i = 0; i < p; i++)
      theta[i] = 0.8 * theta[i] + 0.05;
    js_net_set_params(net, theta);
  }
  for (int k = 0; k < 2; k++)
    js_linop_free(ops[k]);

  /* create_at(theta') == set_params(theta') + create; the net unchanged. */
  double *theta2 = alloc((size_t)p), *back = alloc((size_t)p);
  ref_fill_normal(theta2, p, 8);
  js_net_get_params(net, theta);
  js_linop *at = NULL;
  assert_int_equal(js_jacobian_create_at(net, theta2, data, &plain, &at), JS_OK);
  js_net_get_params(net, back);
  assert_memory_equal(back, theta, sizeof(double) * (size_t)p);
  assert_int_equal(js_linop_apply(at, 1, v, jv), JS_OK);
  assert_int_equal(js_linop_apply_t(at, 1, u, g), JS_OK);
  js_net_set_params(net, theta2);
  js_linop *set = make_op(net, data, &plain);
  assert_int_equal(js_linop_apply(set, 1, v, jv2), JS_OK);
  assert_int_equal(js_linop_apply_t(set, 1, u, g2), JS_OK);
  assert_memory_equal(jv, jv2, sizeof(double) * (size_t)m);
  assert_memory_equal(g, g2, sizeof(double) * (size_t)p);
  js_linop_free(at);
  js_linop_free(set);
  free(v);
  free(u);
  free(theta);
  free(theta2);
  free(back);
  free(before_jv);
  free(before_g);
  free(jv);
  free(g);
  free(jv2);
  free(g2);
  js_dataset_free(data);
  js_net_free(net);
}

/* A failed builder call names the problem and leaves the network as it
 * was (nodes, tensors, p). */
static void expect_builder_error(const js_net *net, int status, const char *word) {
  (void)net; /* checked as a whole afterwards */
  assert_failure(status, JS_EINVAL, word, NULL);
}

static void test_builder_errors(void **state) {
  (void)state;
  js_net *net = NULL;
  assert_int_equal(js_net_create(&(js_shape){3, {2, 5, 4}}, &net), JS_OK);
  js_conv2d_options c;
  js_conv2d_options_init_defaults(&c);
  c.filters = 3;
  int conv = ok_node(js_net_add_conv2d(net, 0, &c, "conv"));
  char before[2048];
  js_net_describe(net, before, sizeof before);
  int n_tensors = js_net_n_tensors(net);
  int64_t p = js_net_n_params(net);

  /* A convolution whose output would be empty: a 6 x 6 kernel on 5 x 4
   * with padding 0; a dilated 3 x 3 (span 7) on it with padding 1. */
  c.kernel[0] = c.kernel[1] = 6;
  memset(c.pad, 0, sizeof c.pad);
  expect_builder_error(net, js_net_add_conv2d(net, conv, &c, "big"), "empty");
  js_conv2d_options_init_defaults(&c);
  c.filters = 2;
  c.dilation[0] = c.dilation[1] = 3;
  expect_builder_error(net, js_net_add_conv2d(net, conv, &c, "dilated"), "empty");
  c.dilation[0] = c.dilation[1] = 1;
  c.filters = 0;
  expect_builder_error(net, js_net_add_conv2d(net, conv, &c, "none"), "filters");
  c.filters = 2;
  c.stride[1] = 0;
  expect_builder_error(net, js_net_add_conv2d(net, conv, &c, "stride"), "stride");
  js_conv2d_options_init_defaults(&c);
  c.filters = 2;
  expect_builder_error(net, js_net_add_conv2d(net, conv, &c, "conv"), "exists already");
  expect_builder_error(net, js_net_add_conv2d(net, conv, &c, ""), "name");
  expect_builder_error(net, js_net_add_conv2d(net, 7, &c, "x"), "does not exist");

  /* A sum of mismatched shapes: (3, 5, 4) and (2, 5, 4). */
  expect_builder_error(net, js_net_add_sum(net, conv, 0), "shapes differ");

  /* Image layers on flat input: pooling, conv, pad, global pooling. */
  int flat = ok_node(js_net_add_flatten(net, conv));
  js_net_describe(net, before, sizeof before);
  n_tensors = js_net_n_tensors(net);
  js_pool_options po;
  js_pool_options_init_defaults(&po);
  expect_builder_error(net, js_net_add_pool(net, flat, &po), "flat");
  expect_builder_error(net, js_net_add_conv2d(net, flat, &c, "c2"), "flat");
  const int64_t pads[4] = {1, 1, 1, 1};
  expect_builder_error(net, js_net_add_pad(net, flat, pads), "flat");
  expect_builder_error(net, js_net_add_global_avgpool(net, flat), "flat");
  /* Pooling windows that do not fit or hold only padding. */
  po.kernel[0] = po.kernel[1] = 6;
  expect_builder_error(net, js_net_add_pool(net, conv, &po), "empty");
  js_pool_options_init_defaults(&po);
  po.pad[0] = 2;
  expect_builder_error(net, js_net_add_pool(net, conv, &po), "padding");
  expect_builder_error(net, js_net_add_dense(net, flat, 0, 1, "d"), "outputs");
  expect_builder_error(net, js_net_add_activation(net, flat, (js_activation){99, 0}), "");
  expect_builder_error(net, js_net_set_output(net, 0), "input");

  /* Nothing changed by the failures. */
  char after[2048];
  js_net_describe(net, after, sizeof after);
  assert_string_equal(after, before);
  assert_int_equal(js_net_n_tensors(net), n_tensors);
  assert_int_equal(js_net_n_params(net), p);

  /* A train pattern that matches nothing: refused, the choice kept. */
  assert_int_equal(js_net_set_trained(net, "conv.bias"), JS_OK);
  assert_failure(js_net_set_trained(net, "conv.weight,fc.*"), JS_EINVAL, "'fc.*'",
                 "matches no parameter tensor", NULL);
  assert_int_equal(js_net_n_params(net), 3);
  js_tensor_info info;
  assert_int_equal(js_net_tensor_info(net, 0, &info), JS_OK);
  assert_false(info.trained);
  js_net_free(net);
  assert_int_equal(js_net_create(&(js_shape){2, {2, 5, 4}}, &net), JS_EINVAL);
  assert_null(net);
  assert_int_equal(js_net_create(&(js_shape){3, {2, 0, 4}}, &net), JS_EINVAL);
}

/* Data shapes: image data whose 3-D shape differs from the network's
 * (same size, other dimensions) is refused naming both; flat data of the
 * right size is accepted as the image it reshapes to. */
static void test_data_shapes(void **state) {
  (void)state;
  js_net *net = build_cnn(); /* input (2, 9, 8) */
  js_dataset *data = make_data(js_net_input_shape(net), N_SAMPLES, 3, 9);
  js_linop *op = (js_linop *)&op;
  const js_shape other[] = {{3, {2, 8, 9}}, {3, {4, 9, 4}}, {3, {1, 18, 8}}};
  for (int k = 0; k < 3; k++) {
    js_dataset bad = *data;
    bad.shape = other[k];
    char shape[64];
    js_shape_format(&other[k], shape, sizeof shape);
    assert_failure(js_jacobian_create(net, &bad, NULL, &op), JS_EINVAL, shape, "(2, 9, 8)",
                   NULL);
    assert_null(op);
  }
  js_dataset flat = *data;
  flat.shape = (js_shape){1, {144, 0, 0}};
  js_linop *a = make_op(net, data, NULL), *b = make_op(net, &flat, NULL);
  int64_t p = js_net_n_params(net), m = N_SAMPLES * 3;
  double *v = alloc((size_t)p), *ja = alloc((size_t)m), *jb = alloc((size_t)m);
  ref_fill_normal(v, p, 1);
  assert_int_equal(js_linop_apply(a, 1, v, ja), JS_OK);
  assert_int_equal(js_linop_apply(b, 1, v, jb), JS_OK);
  assert_memory_equal(ja, jb, sizeof(double) * (size_t)m);
  /* Flat data of another size, or another number of outputs: refused. */
  flat.shape.dim[0] = flat.dim = 143;
  assert_failure(js_jacobian_create(net, &flat, NULL, &op), JS_EINVAL, "(143)", NULL);
  js_dataset outputs = *data;
  outputs.n_outputs = 4;
  assert_failure(js_jacobian_create(net, &outputs, NULL, &op), JS_EINVAL, "outputs", NULL);
  js_linop_free(a);
  js_linop_free(b);
  free(v);
  free(ja);
  free(jb);
  js_dataset_free(data);
  js_net_free(net);
}

/* js_net_describe: a line a node, naming ops, inputs, shapes, tensors and
 * the output; its length as snprintf's. js_net_clone: the same network,
 * independent of the original. */
static void test_describe_and_clone(void **state) {
  (void)state;
  js_net *net = build_cnn();
  size_t need = js_net_describe(net, NULL, 0);
  char *text = malloc(need + 1);
  assert_non_null(text);
  assert_int_equal(js_net_describe(net, text, need + 1), need);
  assert_int_equal(strlen(text), need);
  int lines = 0;
  for (const char *c = text; *c; c++)
    lines += *c == '\n';
  assert_int_equal(lines, net->n_nodes);
  const char *words[] = {"input", "conv2d", "avgpool", "maxpool", "global_avgpool", "flatten",
                         "sum", "affine", "pad", "dense", "tanh", "leaky:0.1", "conv1.weight",
                         "conv1.bias", "bn1.scale", "head.bias", "(2, 9, 8)", "(3, 5, 7)",
                         "-> f"};
  for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
    if (!strstr(text, words[k]))
      fail_msg("describe lacks '%s':\n%s", words[k], text);
  assert_null(strstr(text, "conv2.bias")); /* conv2 has none */
  char small[40];
  assert_int_equal(js_net_describe(net, small, sizeof small), need);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_memory_equal(small, text, sizeof small - 1);

  js_net *copy = NULL;
  assert_int_equal(js_net_clone(net, &copy), JS_OK);
  char *again = malloc(need + 1);
  assert_non_null(again);
  js_net_describe(copy, again, need + 1);
  assert_string_equal(again, text);
  int64_t p = js_net_n_params(net);
  assert_int_equal(js_net_n_params(copy), p);
  assert_int_equal(js_net_n_tensors(copy), js_net_n_tensors(net));
  js_dataset *data = make_data(js_net_input_shape(net), N_SAMPLES, 3, 3);
  double f[N_SAMPLES * 3], f_copy[N_SAMPLES * 3];
  assert_int_equal(js_net_forward(net, data->x, N_SAMPLES, f), JS_OK);
  assert_int_equal(js_net_forward(copy, data->x, N_SAMPLES, f_copy), JS_OK);
  assert_memory_equal(f, f_copy, sizeof f);
  /* Independent: writing, retraining and growing the copy leave the
   * original as it was. */
  js_net_tensor_mut(copy, 0)[0] += 1.0;
  assert_int_equal(js_net_set_trained(copy, "fc*"), JS_OK);
  ok_node(js_net_add_activation(copy, copy->output, act_tanh));
  assert_int_equal(js_net_forward(net, data->x, N_SAMPLES, f_copy), JS_OK);
  assert_memory_equal(f, f_copy, sizeof f);
  assert_int_equal(js_net_n_params(net), p);
  js_net_describe(net, again, need + 1);
  assert_string_equal(again, text);
  assert_true(js_net_tensor(net, 0) != js_net_tensor(copy, 0));
  js_net_free(copy);
  assert_int_equal(js_net_clone(net, NULL), JS_EINVAL);
  assert_int_equal(js_net_clone(NULL, &copy), JS_EINVAL);
  assert_null(copy);
  free(text);
  free(again);
  js_dataset_free(data);
  js_net_free(net);
}

/* Every tensor's values, concatenated (as the network holds them). */
static double *all_values(const js_net *net, int64_t *count) {
  *count = 0;
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    *count += info.size;
  }
  double *values = alloc((size_t)*count), *at = values;
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    memcpy(at, js_net_tensor(net, t), sizeof(double) * (size_t)info.size);
    at += info.size;
  }
  return values;
}

/* Tensor files: saved, read back by js_npy_read (name, shape, values),
 * loaded into a network drawn anew (equal again, bit for bit); a file of
 * another shape, one with a NaN and a missing one are refused naming the
 * file, and change nothing. */
static void test_tensor_files(void **state) {
  (void)state;
  js_net *net = build_resnet();
  char dir[512], path[600];
  scratch_path(dir, sizeof dir, "tensors");
  assert_int_equal(js_net_save_tensors(net, dir), JS_OK); /* creates dir */
  int64_t count;
  double *saved = all_values(net, &count);
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    snprintf(path, sizeof path, "%s/%s.npy", dir, info.name);
    js_array *a = NULL;
    assert_int_equal(js_npy_read(path, &a), JS_OK);
    assert_int_equal(a->ndim, info.ndim);
    for (int k = 0; k < info.ndim; k++)
      assert_int_equal(a->shape[k], info.shape[k]);
    assert_memory_equal(a->values, js_net_tensor(net, t), sizeof(double) * (size_t)info.size);
    js_array_free(a);
  }
  assert_int_equal(js_net_initialize(net, 99), JS_OK);
  double *drawn = all_values(net, &count);
  assert_memory_not_equal(drawn, saved, sizeof(double) * (size_t)count);
  assert_int_equal(js_net_load_tensors(net, dir), JS_OK);
  double *loaded = all_values(net, &count);
  assert_memory_equal(loaded, saved, sizeof(double) * (size_t)count);
  free(loaded);

  /* A wrong shape: fc.weight (3 x 8) written as 8 x 3. */
  assert_int_equal(js_net_initialize(net, 99), JS_OK);
  snprintf(path, sizeof path, "%s/fc.weight.npy", dir);
  double w[24] = {0};
  assert_int_equal(js_npy_write(path, w, 2, (const int64_t[]){8, 3}), JS_OK);
  assert_failure(js_net_load_tensors(net, dir), JS_EFORMAT, "fc.weight.npy", "3 x 8", NULL);
  loaded = all_values(net, &count);
  assert_memory_equal(loaded, drawn, sizeof(double) * (size_t)count);
  free(loaded);
  /* A NaN. */
  w[5] = NAN;
  assert_int_equal(js_npy_write(path, w, 2, (const int64_t[]){3, 8}), JS_OK);
  assert_failure(js_net_load_tensors(net, dir), JS_EFORMAT, "fc.weight.npy", "finite", NULL);
  /* Missing. */
  assert_int_equal(unlink(path), 0);
  assert_failure(js_net_load_tensors(net, dir), JS_EIO, "fc.weight.npy", NULL);
  loaded = all_values(net, &count);
  assert_memory_equal(loaded, drawn, sizeof(double) * (size_t)count);
  free(loaded);

  /* Clean up the directory (scratch_teardown removes plain files only). */
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    snprintf(path, sizeof path, "%s/%s.npy", dir, info.name);
    unlink(path);
  }
  assert_int_equal(rmdir(dir), 0);
  free(saved);
  free(drawn);
  js_net_free(net);
}

/* js_net_create_arch: the documented CNN items (tensors, shapes), its
 * products checked like the others, and the errors of bad specs. */
static void test_arch(void **state) {
  (void)state;
  js_shape input = {3, {2, 8, 8}};
  js_net *net = NULL;
  assert_int_equal(js_net_create_arch("cnn:conv=4x3,pool=avg2,conv=6x3s2,dense=8", &input, 3,
                                      5, &net), JS_OK);
  /* conv1 (4, 8, 8) relu, avg 2 -> (4, 4, 4), conv2 stride 2 (6, 2, 2)
   * relu, dense3 8 relu, fc 3. */
  const char *names[] = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                         "dense3.weight", "dense3.bias", "fc.weight", "fc.bias"};
  const int64_t sizes[] = {4 * 2 * 9, 4, 6 * 4 * 9, 6, 8 * 24, 8, 3 * 8, 3};
  assert_int_equal(js_net_n_tensors(net), 8);
  int64_t p = 0;
  for (int t = 0; t < 8; t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    assert_string_equal(info.name, names[t]);
    assert_int_equal(info.size, sizes[t]);
    assert_true(info.trained);
    p += sizes[t];
  }
  assert_int_equal(js_net_n_params(net), p);
  assert_int_equal(js_net_n_outputs(net), 3);
  randomize(net, 5);
  js_dataset *data = screened_data(net, N_SAMPLES, 1);
  free(check_graph(net, data, "arch cnn"));
  js_dataset_free(data);
  js_net_free(net);

  assert_int_equal(js_net_create_arch("resnet8:width=2", &input, 3, 1, &net), JS_OK);
  assert_true(js_net_find_tensor(net, "stage3.block1.conv2.weight") >= 0);
  js_net_free(net);

  /* init=torch: every weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
   * fan_in = C k^2 (conv) or the inputs (fc): within the bound, and the
   * largest tensor's variance 1/(3 fan_in) to sampling error. */
  assert_int_equal(js_net_create_arch("resnet8:init=torch,width=8", &input, 3, 1, &net), JS_OK);
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    assert_int_equal(info.init.kind, JS_INIT_UNIFORM_FAN);
    int is_fc = strncmp(info.name, "fc.", 3) == 0;
    const js_tensor_info *w = &info;
    js_tensor_info weight;
    if (info.ndim == 1) { /* a bias: the fan-in of its weight */
      char name[128];
      snprintf(name, sizeof name, "%.*s.weight", (int)(strlen(info.name) - 5), info.name);
      assert_int_equal(js_net_tensor_info(net, js_net_find_tensor(net, name), &weight), JS_OK);
      w = &weight;
    }
    double fan_in = is_fc ? (double)w->shape[1]
                          : (double)(w->shape[1] * w->shape[2] * w->shape[3]);
    const double *v = js_net_tensor(net, t);
    double bound = 1 / sqrt(fan_in), sum2 = 0;
    for (int64_t i = 0; i < info.size; i++) {
      assert_true(fabs(v[i]) <= bound);
      sum2 += v[i] * v[i];
    }
    if (strcmp(info.name, "stage3.block1.conv2.weight") == 0) /* 32 x 32 x 9 values */
      assert_true(fabs(sum2 / (double)info.size * 3 * fan_in - 1) < 0.05);
  }
  js_net_free(net);

  /* Bad specs: each refused, naming the item or key. */
  struct {
    const char *spec, *word;
  } bad[] = {{"cnn:conv=4", "conv=4"},         {"cnn:conv=4x3s", "conv=4x3s"},
             {"cnn:pool=avg0", "pool=avg0"},   {"cnn:pool=min2", "pool=min2"},
             {"cnn:bogus", "bogus"},           {"cnn:dense=x", "dense=x"},
             {"cnn:act=swish", "swish"},       {"cnn:conv=4x9p0", "empty"},
             {"resnet7", "depth 7"},           {"resnet20:width=0", "width"},
             {"resnet20:depth=3", "width"},    {"mlp:3", "unknown architecture"},
             {"resnet8:init=lecun", "init=he|torch"}, {"resnet8:width=2;init=he", "','"},
             {"cnn:pool=max16", "empty"}};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    net = (js_net *)&net;
    int rc = js_net_create_arch(bad[k].spec, &input, 3, 1, &net);
    if (rc != JS_EINVAL || !strstr(js_last_error(), bad[k].word))
      fail_msg("spec '%s': status %d, message '%s' (expected '%s')", bad[k].spec, rc,
               js_last_error(), bad[k].word);
    assert_null(net);
  }
  js_shape flat = {1, {128, 0, 0}};
  assert_failure(js_net_create_arch("resnet8", &flat, 3, 1, &net), JS_EINVAL, "image", NULL);
  assert_failure(js_net_create_arch("cnn:conv=4x3", &flat, 3, 1, &net), JS_EINVAL, "flat",
                 NULL);
  assert_int_equal(js_net_create_arch("cnn:dense=5", &flat, 3, 1, &net), JS_OK); /* an MLP */
  assert_int_equal(js_net_n_params(net), 128 * 5 + 5 + 5 * 3 + 3);
  js_net_free(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mlp_with_biases),
      cmocka_unit_test(test_cnn),
      cmocka_unit_test(test_resnet),
      cmocka_unit_test(test_fanout),
      cmocka_unit_test(test_partial_training),
      cmocka_unit_test(test_single_precision),
      cmocka_unit_test(test_snapshot),
      cmocka_unit_test(test_builder_errors),
      cmocka_unit_test(test_data_shapes),
      cmocka_unit_test(test_describe_and_clone),
      cmocka_unit_test(test_tensor_files),
      cmocka_unit_test(test_arch),
  };
  return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}

/* The fully connected network (js_net_create_mlp): forward pass, JVP and
 * VJP of its Jacobian operator against the plain reference (explicit J by
 * hand backprop, with and without biases) and central finite differences
 * of the forward pass; initialisation; theta's layout; argument checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/rng.h"
#include "reference_net.h"
#include "scratch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small nets: d = 4, hidden widths 5, 3, 4 (as deep as asked), K = 3. */
#define N_SAMPLES 7
#define DIM 4
#define N_OUT 3
static const int64_t hidden_widths[] = {5, 3, 4};

/* The options of a small net of n_layers; widths points into `widths`. */
static js_mlp_options small_options(js_activation act, int n_layers, int bias,
                                    int64_t widths[REF_MAX_LAYERS + 1]) {
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.n_layers = n_layers;
  widths[0] = DIM;
  for (int l = 1; l < n_layers; l++)
    widths[l] = hidden_widths[l - 1];
  widths[n_layers] = N_OUT;
  opt.widths = widths;
  opt.act = act;
  opt.bias = bias;
  opt.seed = 42;
  return opt;
}

static js_net *make_net(const js_mlp_options *opt, const char *trained) {
  js_net *net = NULL;
  int rc = js_net_create_mlp(opt, &net);
  if (rc)
    print_error("js_net_create_mlp: %s\n", js_last_error());
  assert_int_equal(rc, JS_OK);
  if (trained && (rc = js_net_set_trained(net, trained)))
    print_error("js_net_set_trained(%s): %s\n", trained, js_last_error());
  assert_int_equal(rc, JS_OK);
  return net;
}

/* The Jacobian of net on the n samples x (a flat data set that borrows x). */
static js_linop *make_jacobian(const js_net *net, const double *x, int64_t n,
                               int64_t batch_size) {
  js_dataset data = {.n_samples = n, .dim = js_net_input_shape(net).dim[0],
                     .shape = js_net_input_shape(net), .n_outputs = js_net_n_outputs(net),
                     .x = (double *)x};
  js_jacobian_options opt;
  js_jacobian_options_init_defaults(&opt);
  opt.batch_size = batch_size;
  js_linop *op = NULL;
  int rc = js_jacobian_create(net, &data, &opt, &op);
  if (rc)
    print_error("js_jacobian_create: %s\n", js_last_error());
  assert_int_equal(rc, JS_OK);
  return op; /* the data set's fields are copied; x is borrowed */
}

/* One network on one input set with its explicit J, and how to name it
 * when a check fails. */
typedef struct product_check {
  js_net *net;
  js_linop *op;
  const double *x;         /* (n, d) */
  int64_t n_samples;
  const double *jacobian;  /* (nK, p), from the reference */
  int fd_valid;            /* finite differences see no kink */
  char label[160];
} product_check;

/* Fails, naming the configuration, when err > tol (or NaN). */
static void expect_small(double err, double tol, const char *what, const product_check *c,
                         int64_t block) {
  if (err <= tol)
    return;
  print_error("%s: error %.3g > %.3g (%s, block %lld)\n", what, err, tol, c->label,
              (long long)block);
  fail();
}

/* Central differences: the step (||s v||) and the accepted relative error,
 * the 1e-8 (truncation ~ step^2, rounding ~ eps / step). */
#define FD_STEP 1e-5
#define FD_TOL 1e-8

/* Central differences of js_net_forward along v: (f(t + s v) - f(t - s v)) / 2s,
 * with s scaled so that ||s v|| = step. fd is (nK). The network's
 * parameters are restored afterwards. */
static void finite_difference(const product_check *c, const double *v, double step,
                              double *fd) {
  int64_t p = js_net_n_params(c->net), nK = c->n_samples * js_net_n_outputs(c->net);
  double *theta = calloc((size_t)p, sizeof *theta);
  double *moved = calloc((size_t)p, sizeof *moved);
  double *f_minus = calloc((size_t)nK, sizeof *f_minus);
  double s = step / sqrt(ref_dot(v, v, p));
  js_net_get_params(c->net, theta);
  for (int sign = -1; sign <= 1; sign += 2) {
    for (int64_t i = 0; i < p; i++)
      moved[i] = theta[i] + sign * s * v[i];
    js_net_set_params(c->net, moved);
    assert_int_equal(js_net_forward(c->net, c->x, c->n_samples, sign < 0 ? f_minus : fd), JS_OK);
  }
  for (int64_t r = 0; r < nK; r++)
    fd[r] = (fd[r] - f_minus[r]) / (2 * s);
  js_net_set_params(c->net, theta);
  free(theta);
  free(moved);
  free(f_minus);
}

/* JVP and VJP of a block of b random vectors against the explicit J, the
 * adjoint identity <J v, u> = <v, J^T u>, and finite differences. */
static void check_block(const product_check *c, int64_t b, uint64_t seed) {
  int64_t p = js_net_n_params(c->net);
  int64_t nK = c->n_samples * js_net_n_outputs(c->net);
  assert_int_equal(js_linop_rows(c->op), nK);
  assert_int_equal(js_linop_cols(c->op), p);
  double *v = calloc((size_t)(p * b), sizeof *v), *g = calloc((size_t)(p * b), sizeof *g);
  double *u = calloc((size_t)(nK * b), sizeof *u), *jv = calloc((size_t)(nK * b), sizeof *jv);
  double *want = calloc((size_t)((nK > p ? nK : p) * b), sizeof *want);
  double *fd = calloc((size_t)nK, sizeof *fd);
  ref_fill_normal(v, p * b, seed);
  ref_fill_normal(u, nK * b, seed + 1);
  assert_int_equal(js_linop_apply(c->op, b, v, jv), JS_OK);
  assert_int_equal(js_linop_apply_t(c->op, b, u, g), JS_OK);

  ref_apply(c->jacobian, nK, p, 0, b, v, want);
  expect_small(ref_relative_error(jv, want, nK * b), 1e-8, "jvp vs explicit J", c, b);
  ref_apply(c->jacobian, nK, p, 1, b, u, want);
  expect_small(ref_relative_error(g, want, p * b), 1e-8, "vjp vs explicit J", c, b);
  for (int64_t j = 0; j < b; j++) {
    const double *jv_j = jv + j * nK, *u_j = u + j * nK;
    double scale = sqrt(ref_dot(jv_j, jv_j, nK) * ref_dot(u_j, u_j, nK));
    double gap = ref_dot(jv_j, u_j, nK) - ref_dot(v + j * p, g + j * p, p);
    expect_small(fabs(gap) / scale, 1e-12, "adjoint <Jv,u> = <v,J^T u>", c, b);
    if (c->fd_valid) {
      finite_difference(c, v + j * p, FD_STEP, fd);
      expect_small(ref_relative_error(jv_j, fd, nK), FD_TOL, "jvp vs finite differences", c,
                   b);
    }
  }
  /* J^T u (the first vector of the block) against the gradient of
   * <u, f(theta)> by central differences, one parameter at a time: every
   * parameter of a small net, about 100 spread over a large one. */
  if (c->fd_valid) {
    int64_t stride = p > 200 ? p / 100 : 1, count = 0;
    double *e = calloc((size_t)p, sizeof *e), *fd_g = calloc((size_t)p, sizeof *fd_g);
    double *g_k = calloc((size_t)p, sizeof *g_k);
    for (int64_t k = 0; k < p; k += stride, count++) {
      e[k] = 1;
      finite_difference(c, e, FD_STEP, fd);
      fd_g[count] = ref_dot(u, fd, nK);
      g_k[count] = g[k];
      e[k] = 0;
    }
    expect_small(ref_relative_error(g_k, fd_g, count), FD_TOL, "vjp vs finite differences",
                 c, b);
    free(e);
    free(fd_g);
    free(g_k);
  }
  free(v);
  free(g);
  free(u);
  free(jv);
  free(want);
  free(fd);
}

static int kink_activation(js_activation act) {
  return act.kind == JS_ACT_RELU || act.kind == JS_ACT_LEAKY;
}

/* Every product of one (activation, depth, biases, trained tensors) against
 * the reference, for batch sizes that do and do not divide n, and blocks
 * growing and shrinking (the workspace is reused). */
static void check_configuration(const char *act_name, int n_layers, int bias,
                                const char *trained) {
  js_activation act;
  assert_int_equal(js_activation_parse(act_name, &act), JS_OK);
  double x[N_SAMPLES * DIM];
  int64_t widths[REF_MAX_LAYERS + 1];
  js_mlp_options opt = small_options(act, n_layers, bias, widths);
  ref_mlp arch = ref_mlp_of(&opt);
  product_check c = {.x = x, .n_samples = N_SAMPLES};
  snprintf(c.label, sizeof c.label, "act %s, L %d, bias %d, trained %s", act_name, n_layers,
           bias, trained);
  c.net = make_net(&opt, trained);
  /* Finite differences (step 1e-5) cross a relu/leaky kink only if some
   * pre-activation is within the step's reach of 0: take the first inputs
   * that keep every pre-activation clear of it, so that every
   * configuration is checked against finite differences. */
  for (uint64_t seed = 7; seed < 47; seed++) {
    ref_fill_normal(x, N_SAMPLES * DIM, seed);
    c.fd_valid = !kink_activation(act) ||
                 ref_min_abs_preactivation(&arch, c.net, x, N_SAMPLES) > 1e-3;
    if (c.fd_valid)
      break;
  }
  expect_small(c.fd_valid ? 0 : 1, 0, "no inputs clear of the kinks", &c, 0);
  int64_t p = js_net_n_params(c.net), nK = N_SAMPLES * N_OUT;
  assert_int_equal(ref_n_params(&arch, c.net), p);
  double *jacobian = calloc((size_t)(nK * p), sizeof *jacobian);
  double f_ref[N_SAMPLES * N_OUT], f[N_SAMPLES * N_OUT];
  ref_jacobian(&arch, c.net, x, N_SAMPLES, jacobian);
  ref_forward(&arch, c.net, x, N_SAMPLES, f_ref);
  c.jacobian = jacobian;
  assert_int_equal(js_net_forward(c.net, x, N_SAMPLES, f), JS_OK);
  expect_small(ref_relative_error(f, f_ref, nK), 1e-12, "forward", &c, 0);

  /* n = 7: batches of 1 divide it (seven batches), 3 does not, 7 is one
   * batch, 0 automatic. */
  const int64_t batches[] = {1, 3, 7, 0}, blocks[] = {1, 3, 2};
  char base[sizeof c.label];
  memcpy(base, c.label, sizeof base);
  for (int ib = 0; ib < 4; ib++) {
    c.op = make_jacobian(c.net, x, N_SAMPLES, batches[ib]);
    snprintf(c.label, sizeof c.label, "%s, batch %lld", base, (long long)batches[ib]);
    for (int ik = 0; ik < 3; ik++)
      check_block(&c, blocks[ik], 100 + 2 * (uint64_t)ik);
    js_linop_free(c.op);
  }
  js_net_free(c.net);
  free(jacobian);
}

/* Many samples and wide layers: the elementwise loops run on several
 * threads and batches of 128 leave a remainder of 44. */
static void test_wide_layers(void **state) {
  (void)state;
  enum { n = 300, d = 8 };
  int64_t widths[] = {d, 60, 50, 3};
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.n_layers = 3;
  opt.widths = widths;
  opt.act.kind = JS_ACT_TANH;
  opt.bias = 1;
  ref_mlp arch = ref_mlp_of(&opt);
  double *x = calloc(n * d, sizeof *x);
  ref_fill_normal(x, n * d, 5);
  product_check c = {.x = x, .n_samples = n, .fd_valid = 1};
  c.net = make_net(&opt, "W*,b2");
  double *jacobian = calloc((size_t)(n * 3 * js_net_n_params(c.net)), sizeof *jacobian);
  ref_jacobian(&arch, c.net, x, n, jacobian);
  c.jacobian = jacobian;
  const int64_t batches[] = {128, 0};
  for (int ib = 0; ib < 2; ib++) {
    c.op = make_jacobian(c.net, x, n, batches[ib]);
    snprintf(c.label, sizeof c.label, "wide tanh net, batch %lld", (long long)batches[ib]);
    check_block(&c, 3, 300);
    js_linop_free(c.op);
  }
  js_net_free(c.net);
  free(jacobian);
  free(x);
}

/* state: the activation's name. Depths 1-4; without biases, trained: only
 * W_1, all, {W1, W3}, only the output layer; with biases: all, only b_1,
 * W_1 with b_L, and the output layer's bias alone. */
static void test_products(void **state) {
  const char *act_name = *state;
  for (int L = 1; L <= 4; L++) {
    char last[16], mixed[32], last_bias[16];
    snprintf(last, sizeof last, "W%d", L);
    snprintf(mixed, sizeof mixed, "W1,b%d", L);
    snprintf(last_bias, sizeof last_bias, "b%d", L);
    const char *plain[] = {"W1", "*", L >= 3 ? "W1,W3" : NULL, L > 1 ? last : NULL};
    const char *with_bias[] = {"all", "b1", L > 1 ? mixed : NULL, L > 1 ? last_bias : NULL};
    for (int k = 0; k < 4; k++) {
      if (plain[k])
        check_configuration(act_name, L, 0, plain[k]);
      if (with_bias[k])
        check_configuration(act_name, L, 1, with_bias[k]);
    }
  }
}

static double layer_draw(js_rng *rng, int l, int n_layers) {
  return l == 1 || l < n_layers ? js_rng_normal(rng) : js_rng_sign(rng);
}

static const double *weights(const js_net *net, int l) {
  char name[8];
  snprintf(name, sizeof name, "W%d", l);
  const double *w = js_net_tensor(net, js_net_find_tensor(net, name));
  assert_non_null(w);
  return w;
}

/* Theorem 3.2 initialisation: the seeded stream in layer order, each entry
 * drawn as documented; reproducible per seed, different across seeds;
 * biases zero and drawing nothing (the weights are the same with them). */
static void test_initialisation_draws(void **state) {
  (void)state;
  int64_t widths[REF_MAX_LAYERS + 1];
  js_mlp_options opt = small_options((js_activation){JS_ACT_TANH, 0}, 3, 0, widths);
  opt.nu = 0.7;
  js_net *net = make_net(&opt, NULL), *same = make_net(&opt, NULL);
  opt.bias = 1;
  js_net *biased = make_net(&opt, NULL);
  opt.bias = 0;
  opt.seed = 43;
  js_net *other = make_net(&opt, NULL);
  js_rng rng;
  js_rng_seed(&rng, 42);
  for (int l = 1; l <= 3; l++) {
    int64_t rows = widths[l], cols = widths[l - 1];
    double scale = l == 1 ? 1.0 : l < 3 ? 1.0 / sqrt((double)cols)
                                        : 0.7 / sqrt((double)(cols * rows));
    const double *w = weights(net, l);
    for (int64_t i = 0; i < rows * cols; i++)
      assert_true(w[i] == layer_draw(&rng, l, 3) * scale);
    size_t bytes = sizeof(double) * (size_t)(rows * cols);
    assert_memory_equal(w, weights(same, l), bytes);
    assert_memory_equal(w, weights(biased, l), bytes);
    assert_memory_not_equal(w, weights(other, l), bytes);
    char name[8];
    snprintf(name, sizeof name, "b%d", l);
    assert_int_equal(js_net_find_tensor(net, name), -1);
    const double *b = js_net_tensor(biased, js_net_find_tensor(biased, name));
    assert_non_null(b);
    for (int64_t i = 0; i < rows; i++)
      assert_true(b[i] == 0.0);
  }
  js_net_free(net);
  js_net_free(same);
  js_net_free(biased);
  js_net_free(other);
}

/* W_L entries are exactly +-nu/sqrt(k K), both signs; W_1 looks N(0,1) and a
 * middle layer N(0, 1/m_{l-1}) (5-sigma margins on mean and variance). */
static void test_initialisation_statistics(void **state) {
  (void)state;
  int64_t widths[] = {40, 50, 60, 10};
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.n_layers = 3;
  opt.widths = widths;
  opt.nu = 2.5;
  js_net *net = make_net(&opt, NULL);
  for (int l = 1; l <= 3; l++) {
    int64_t count = widths[l] * widths[l - 1];
    const double *w = weights(net, l);
    double mean = 0, var = 0;
    for (int64_t i = 0; i < count; i++)
      mean += w[i] / (double)count;
    for (int64_t i = 0; i < count; i++)
      var += (w[i] - mean) * (w[i] - mean) / (double)(count - 1);
    if (l == 3) {
      double scale = 2.5 / sqrt((double)(widths[2] * widths[3]));
      int64_t positive = 0;
      for (int64_t i = 0; i < count; i++) {
        assert_true(fabs(w[i]) == scale);
        positive += w[i] > 0;
      }
      assert_true(positive > 0 && positive < count);
      continue;
    }
    double expected_var = l == 1 ? 1.0 : 1.0 / (double)widths[l - 1];
    assert_true(fabs(mean) < 5 * sqrt(expected_var / (double)count));
    assert_true(fabs(var / expected_var - 1) < 5 * sqrt(2.0 / (double)count));
  }
  js_net_free(net);
}

/* The MLP's tensors (names, shapes, W1 alone trained by default), and theta
 * as the trained tensors, row-major, in declaration order W1 b1 W2 b2 ... */
static void test_params_layout(void **state) {
  (void)state;
  int64_t widths[REF_MAX_LAYERS + 1];
  js_mlp_options opt = small_options((js_activation){JS_ACT_RELU, 0}, 4, 1, widths);
  js_net *net = make_net(&opt, NULL);
  assert_int_equal(js_net_n_tensors(net), 8);
  assert_int_equal(js_net_n_outputs(net), N_OUT);
  assert_int_equal(js_net_input_shape(net).ndim, 1);
  assert_int_equal(js_net_input_shape(net).dim[0], DIM);
  for (int t = 0; t < 8; t++) {
    js_tensor_info info;
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    int l = t / 2 + 1;
    char name[8];
    snprintf(name, sizeof name, "%c%d", t % 2 ? 'b' : 'W', l);
    assert_string_equal(info.name, name);
    assert_int_equal(js_net_find_tensor(net, name), t);
    assert_int_equal(info.ndim, t % 2 ? 1 : 2);
    assert_int_equal(info.shape[0], widths[l]);
    if (t % 2 == 0)
      assert_int_equal(info.shape[1], widths[l - 1]);
    assert_int_equal(info.size, t % 2 ? widths[l] : widths[l] * widths[l - 1]);
    assert_int_equal(info.trained, t == 0);
    assert_int_equal(info.theta_offset, t == 0 ? 0 : -1);
  }
  assert_int_equal(js_net_n_params(net), 5 * DIM);
  js_tensor_info info;
  assert_int_equal(js_net_tensor_info(net, 8, &info), JS_EINVAL);
  assert_int_equal(js_net_tensor_info(net, -1, &info), JS_EINVAL);
  assert_null(js_net_tensor(net, 8));
  assert_null(js_net_tensor_mut(net, -1));
  assert_int_equal(js_net_find_tensor(net, "W5"), -1);

  /* W1, b1 and W3: offsets 0, 20, 25; p = 20 + 5 + 12. */
  assert_int_equal(js_net_set_trained(net, "W3,b1,W1"), JS_OK);
  int64_t n1 = 5 * DIM, nb = 5, n3 = 4 * 3, p = n1 + nb + n3;
  assert_int_equal(js_net_n_params(net), p);
  const int64_t want_offset[8] = {0, n1, -1, -1, n1 + nb, -1, -1, -1};
  for (int t = 0; t < 8; t++) {
    assert_int_equal(js_net_tensor_info(net, t, &info), JS_OK);
    assert_int_equal(info.theta_offset, want_offset[t]);
    assert_int_equal(info.trained, want_offset[t] >= 0);
  }
  double theta[5 * DIM + 5 + 4 * 3], back[5 * DIM + 5 + 4 * 3];
  for (int64_t i = 0; i < p; i++)
    theta[i] = (double)i;
  double w2_before[3 * 5];
  memcpy(w2_before, weights(net, 2), sizeof w2_before);
  js_net_set_params(net, theta);
  for (int64_t i = 0; i < n1; i++)
    assert_true(weights(net, 1)[i] == (double)i);
  const double *b1 = js_net_tensor(net, js_net_find_tensor(net, "b1"));
  for (int64_t i = 0; i < nb; i++)
    assert_true(b1[i] == (double)(n1 + i));
  for (int64_t i = 0; i < n3; i++)
    assert_true(weights(net, 3)[i] == (double)(n1 + nb + i));
  assert_memory_equal(weights(net, 2), w2_before, sizeof w2_before); /* untrained: kept */
  js_net_get_params(net, back);
  assert_memory_equal(theta, back, sizeof theta);
  /* Writing a tensor through js_net_tensor_mut is what get_params reads. */
  js_net_tensor_mut(net, js_net_find_tensor(net, "W3"))[2] = -7.5;
  js_net_get_params(net, back);
  assert_true(back[n1 + nb + 2] == -7.5);
  /* Globs: "b*" is every bias (5 + 3 + 4 + 3 = 15 entries). */
  assert_int_equal(js_net_set_trained(net, "b*"), JS_OK);
  assert_int_equal(js_net_n_params(net), 15);
  assert_int_equal(js_net_set_trained(net, "all"), JS_OK);
  assert_int_equal(js_net_n_params(net), 20 + 15 + 12 + 12 + 15); /* weights + biases */
  js_net_free(net);
}

static void expect_create_rejected(const js_mlp_options *opt) {
  js_net *net = (js_net *)&net; /* must be reset to NULL */
  js_clear_error();
  assert_int_equal(js_net_create_mlp(opt, &net), JS_EINVAL);
  assert_null(net);
  assert_true(strlen(js_last_error()) > 0);
}

static void test_bad_options(void **state) {
  (void)state;
  int64_t widths[REF_MAX_LAYERS + 1], bad_widths[REF_MAX_LAYERS + 1];
  js_mlp_options good = small_options((js_activation){JS_ACT_TANH, 0}, 3, 0, widths), opt;
  memcpy(bad_widths, widths, sizeof widths);
  expect_create_rejected(NULL);
  opt = good, opt.n_layers = 0;
  expect_create_rejected(&opt);
  opt = good, opt.n_layers = 4097; /* the builder's limit (widths is not read) */
  expect_create_rejected(&opt);
  opt = good, opt.widths = NULL;
  expect_create_rejected(&opt);
  opt = good, opt.widths = bad_widths, bad_widths[3] = 0;
  expect_create_rejected(&opt);
  bad_widths[3] = widths[3], bad_widths[0] = -2;
  expect_create_rejected(&opt);
  opt = good, opt.nu = NAN;
  expect_create_rejected(&opt);
  opt = good, opt.nu = INFINITY;
  expect_create_rejected(&opt);
  opt = good, opt.act.kind = (js_act_kind)99;
  expect_create_rejected(&opt);
  opt = good, opt.act = (js_activation){JS_ACT_LEAKY, NAN};
  expect_create_rejected(&opt);
  assert_int_equal(js_net_create_mlp(&good, NULL), JS_EINVAL);

  /* Trained tensors: a pattern that matches nothing (the old "bit above
   * L"), an empty pattern; each refused, naming it, the choice unchanged. */
  js_net *net = make_net(&good, "W1,W3");
  int64_t p = js_net_n_params(net);
  assert_failure(js_net_set_trained(net, "W4"), JS_EINVAL, "'W4'", NULL);
  assert_failure(js_net_set_trained(net, "W1,b1"), JS_EINVAL, "'b1'", NULL);
  assert_failure(js_net_set_trained(net, ""), JS_EINVAL, "empty", NULL);
  assert_failure(js_net_set_trained(net, "W1,"), JS_EINVAL, "empty", NULL);
  assert_int_equal(js_net_set_trained(NULL, "W1"), JS_EINVAL);
  assert_int_equal(js_net_set_trained(net, NULL), JS_EINVAL);
  assert_int_equal(js_net_n_params(net), p);
  js_tensor_info info;
  assert_int_equal(js_net_tensor_info(net, 1, &info), JS_OK);
  assert_false(info.trained);

  /* The products' options: a negative batch, an unknown precision. */
  double x[N_SAMPLES * DIM] = {0};
  js_dataset data = {.n_samples = N_SAMPLES, .dim = DIM, .shape = {1, {DIM, 0, 0}},
                     .n_outputs = N_OUT, .x = x};
  js_jacobian_options jo;
  js_jacobian_options_init_defaults(&jo);
  jo.batch_size = -1;
  js_linop *op = (js_linop *)&op;
  assert_failure(js_jacobian_create(net, &data, &jo, &op), JS_EINVAL, "batch_size", NULL);
  assert_null(op);
  js_jacobian_options_init_defaults(&jo);
  jo.precision = (js_precision)7;
  assert_failure(js_jacobian_create(net, &data, &jo, &op), JS_EINVAL, "precision", NULL);
  assert_null(op);
  js_net_free(net);
}

static void expect_call_rejected(int rc) {
  assert_int_equal(rc, JS_EINVAL);
  assert_true(strlen(js_last_error()) > 0);
  js_clear_error();
}

static void test_bad_arguments(void **state) {
  (void)state;
  int64_t widths[REF_MAX_LAYERS + 1];
  js_mlp_options opt = small_options((js_activation){JS_ACT_TANH, 0}, 2, 0, widths);
  js_net *net = make_net(&opt, NULL);
  double x[N_SAMPLES * DIM] = {0}, v[5 * DIM] = {0}, out[N_SAMPLES * N_OUT * 5 * DIM];
  js_clear_error();
  expect_call_rejected(js_net_forward(NULL, x, N_SAMPLES, out));
  expect_call_rejected(js_net_forward(net, NULL, N_SAMPLES, out));
  expect_call_rejected(js_net_forward(net, x, 0, out));
  expect_call_rejected(js_net_forward(net, x, N_SAMPLES, NULL));
  js_linop *op = make_jacobian(net, x, N_SAMPLES, 0);
  expect_call_rejected(js_linop_apply(op, 0, v, out));
  expect_call_rejected(js_linop_apply(op, -2, v, out));
  expect_call_rejected(js_linop_apply_t(op, -3, out, v));
  expect_call_rejected(js_linop_apply_t(op, 0, out, v));
  assert_int_equal(js_linop_apply_count(op), 0); /* refused before the products */
  assert_int_equal(js_linop_apply_t_count(op), 0);
  expect_call_rejected(js_linop_apply(op, 1, NULL, out));
  expect_call_rejected(js_linop_apply(op, 1, v, NULL));
  expect_call_rejected(js_linop_apply_t(op, 1, NULL, v));
  expect_call_rejected(js_linop_apply_t(op, 1, out, NULL));
  js_linop_free(op);
  js_net_free(net);
}

int main(void) {
  static const char *acts[] = {"linear", "relu", "leaky:0.1", "leaky:-0.5",
                               "softplus", "tanh", "sigmoid", "quadratic"};
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_prestate(test_products, (void *)acts[0]),
      cmocka_unit_test_prestate(test_products, (void *)acts[1]),
      cmocka_unit_test_prestate(test_products, (void *)acts[2]),
      cmocka_unit_test_prestate(test_products, (void *)acts[3]),
      cmocka_unit_test_prestate(test_products, (void *)acts[4]),
      cmocka_unit_test_prestate(test_products, (void *)acts[5]),
      cmocka_unit_test_prestate(test_products, (void *)acts[6]),
      cmocka_unit_test_prestate(test_products, (void *)acts[7]),
      cmocka_unit_test(test_wide_layers),
      cmocka_unit_test(test_initialisation_draws),
      cmocka_unit_test(test_initialisation_statistics),
      cmocka_unit_test(test_params_layout),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The network's forward pass, JVP and VJP against the plain reference
 * (explicit J by hand backprop) and central finite differences of the
 * forward pass; initialisation; argument checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/rng.h"
#include "reference_net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small nets: d = 4, hidden widths 5, 3, 4 (as deep as asked), K = 3. */
#define N_SAMPLES 7
#define DIM 4
#define N_OUT 3
static const int64_t hidden_widths[] = {5, 3, 4};

static js_net_options small_options(js_activation act, int n_layers,
                                    uint32_t trained, int64_t batch_size) {
  js_net_options opt;
  js_net_options_init_defaults(&opt);
  opt.n_layers = n_layers;
  opt.widths[0] = DIM;
  for (int l = 1; l < n_layers; l++)
    opt.widths[l] = hidden_widths[l - 1];
  opt.widths[n_layers] = N_OUT;
  opt.act = act;
  opt.trained = trained;
  opt.batch_size = batch_size;
  opt.seed = 42;
  return opt;
}

static js_net *make_net(const js_net_options *opt) {
  js_net *net = NULL;
  int rc = js_net_create(opt, &net);
  if (rc)
    print_error("js_net_create: %s\n", js_last_error());
  assert_int_equal(rc, JS_OK);
  return net;
}

/* One network on one input set with its explicit J, and how to name it
 * when a check fails. */
typedef struct product_check {
  js_net *net;
  const double *x;         /* (n, d) */
  int64_t n_samples;
  const double *jacobian;  /* (nK, p), from the reference */
  int fd_valid;            /* finite differences see no kink */
  char label[128];
} product_check;

/* Fails, naming the configuration, when err > tol. */
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
 * with s scaled so that ||s v|| = step. fd is (nK). */
static void finite_difference(const product_check *c, const double *v, double step,
                              double *fd) {
  int64_t p = js_net_n_params(c->net), nK = c->n_samples * js_net_width(c->net, js_net_n_layers(c->net));
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
  int64_t nK = c->n_samples * js_net_width(c->net, js_net_n_layers(c->net));
  double *v = calloc((size_t)(p * b), sizeof *v), *g = calloc((size_t)(p * b), sizeof *g);
  double *u = calloc((size_t)(nK * b), sizeof *u), *jv = calloc((size_t)(nK * b), sizeof *jv);
  double *want = calloc((size_t)((nK > p ? nK : p) * b), sizeof *want);
  double *fd = calloc((size_t)nK, sizeof *fd);
  ref_fill_normal(v, p * b, seed);
  ref_fill_normal(u, nK * b, seed + 1);
  assert_int_equal(js_net_jvp(c->net, c->x, c->n_samples, v, b, jv), JS_OK);
  assert_int_equal(js_net_vjp(c->net, c->x, c->n_samples, u, b, g), JS_OK);

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

/* Every product of one (activation, depth, trained layers) against the
 * reference, for batch sizes that do and do not divide n, and blocks
 * growing and shrinking (the workspace is reused). */
static void check_configuration(const char *act_name, int n_layers, uint32_t trained) {
  js_activation act;
  assert_int_equal(js_activation_parse(act_name, &act), JS_OK);
  double x[N_SAMPLES * DIM];
  js_net_options opt = small_options(act, n_layers, trained, 0);
  product_check c = {.x = x, .n_samples = N_SAMPLES};
  c.net = make_net(&opt);
  /* Finite differences (step 1e-5) cross a relu/leaky kink only if some
   * pre-activation is within the step's reach of 0: take the first inputs
   * that keep every pre-activation clear of it, so that every
   * configuration is checked against finite differences. */
  for (uint64_t seed = 7; seed < 47; seed++) {
    ref_fill_normal(x, N_SAMPLES * DIM, seed);
    c.fd_valid = !kink_activation(act) || ref_min_abs_preactivation(c.net, x, N_SAMPLES) > 1e-3;
    if (c.fd_valid)
      break;
  }
  expect_small(c.fd_valid ? 0 : 1, 0, "no inputs clear of the kinks", &c, 0);
  int64_t p = js_net_n_params(c.net), nK = N_SAMPLES * N_OUT;
  double *jacobian = calloc((size_t)(nK * p), sizeof *jacobian);
  double f_ref[N_SAMPLES * N_OUT], f[N_SAMPLES * N_OUT];
  ref_jacobian(c.net, x, N_SAMPLES, jacobian);
  ref_forward(c.net, x, N_SAMPLES, f_ref);
  c.jacobian = jacobian;
  js_net_free(c.net);

  /* n = 7: batches of 1 divide it (seven batches), 3 does not, 7 is one
   * batch, 0 automatic. */
  const int64_t batches[] = {1, 3, 7, 0}, blocks[] = {1, 3, 2};
  for (int ib = 0; ib < 4; ib++) {
    opt.batch_size = batches[ib];
    c.net = make_net(&opt);
    snprintf(c.label, sizeof c.label, "act %s, L %d, trained 0x%x, batch %lld", act_name,
             n_layers, (unsigned)trained, (long long)batches[ib]);
    assert_int_equal(js_net_forward(c.net, x, N_SAMPLES, f), JS_OK);
    expect_small(ref_relative_error(f, f_ref, nK), 1e-12, "forward", &c, 0);
    for (int ik = 0; ik < 3; ik++)
      check_block(&c, blocks[ik], 100 + 2 * (uint64_t)ik);
    js_net_free(c.net);
  }
  free(jacobian);
}

/* Many samples and wide layers: the elementwise loops run on several
 * threads and batches of 128 leave a remainder of 44. */
static void test_wide_layers(void **state) {
  (void)state;
  enum { n = 300, d = 8 };
  js_net_options opt;
  js_net_options_init_defaults(&opt);
  opt.n_layers = 3;
  opt.widths[0] = d;
  opt.widths[1] = 60;
  opt.widths[2] = 50;
  opt.widths[3] = 3;
  opt.act.kind = JS_ACT_TANH;
  opt.trained = 0x7u;
  double *x = calloc(n * d, sizeof *x);
  ref_fill_normal(x, n * d, 5);
  product_check c = {.x = x, .n_samples = n, .fd_valid = 1};
  c.net = make_net(&opt);
  double *jacobian = calloc((size_t)(n * 3 * js_net_n_params(c.net)), sizeof *jacobian);
  ref_jacobian(c.net, x, n, jacobian);
  c.jacobian = jacobian;
  js_net_free(c.net);
  const int64_t batches[] = {128, 0};
  for (int ib = 0; ib < 2; ib++) {
    opt.batch_size = batches[ib];
    c.net = make_net(&opt);
    snprintf(c.label, sizeof c.label, "wide tanh net, batch %lld", (long long)batches[ib]);
    check_block(&c, 3, 300);
    js_net_free(c.net);
  }
  free(jacobian);
  free(x);
}

/* state: the activation's name. Depths 1-4; trained: only W_1, all, {1,3},
 * only the output layer. */
static void test_products(void **state) {
  const char *act_name = *state;
  for (int L = 1; L <= 4; L++) {
    uint32_t all = (1u << L) - 1;
    uint32_t choices[] = {1u, all, L >= 3 ? 0x5u : 0u, 1u << (L - 1)};
    for (int c = 0; c < 4; c++) {
      int seen = choices[c] == 0;
      for (int e = 0; e < c; e++)
        seen |= choices[e] == choices[c];
      if (!seen)
        check_configuration(act_name, L, choices[c]);
    }
  }
}

static double layer_draw(js_rng *rng, int l, int n_layers) {
  return l == 1 || l < n_layers ? js_rng_normal(rng) : js_rng_sign(rng);
}

/* Theorem 3.2 initialisation: the seeded stream in layer order, each entry
 * drawn as documented; reproducible per seed, different across seeds. */
static void test_initialisation_draws(void **state) {
  (void)state;
  js_net_options opt = small_options((js_activation){JS_ACT_TANH, 0}, 3, 1u, 0);
  opt.nu = 0.7;
  js_net *net = make_net(&opt), *same = make_net(&opt);
  opt.seed = 43;
  js_net *other = make_net(&opt);
  js_rng rng;
  js_rng_seed(&rng, 42);
  for (int l = 1; l <= 3; l++) {
    int64_t rows = js_net_width(net, l), cols = js_net_width(net, l - 1);
    double scale = l == 1 ? 1.0 : l < 3 ? 1.0 / sqrt((double)cols)
                                        : 0.7 / sqrt((double)(cols * rows));
    const double *w = js_net_weights(net, l);
    for (int64_t i = 0; i < rows * cols; i++)
      assert_true(w[i] == layer_draw(&rng, l, 3) * scale);
    assert_memory_equal(w, js_net_weights(same, l), sizeof(double) * (size_t)(rows * cols));
    assert_memory_not_equal(w, js_net_weights(other, l), sizeof(double) * (size_t)(rows * cols));
  }
  js_net_free(net);
  js_net_free(same);
  js_net_free(other);
}

/* W_L entries are exactly +-nu/sqrt(k K), both signs; W_1 looks N(0,1) and a
 * middle layer N(0, 1/m_{l-1}) (5-sigma margins on mean and variance). */
static void test_initialisation_statistics(void **state) {
  (void)state;
  js_net_options opt;
  js_net_options_init_defaults(&opt);
  opt.n_layers = 3;
  opt.widths[0] = 40;
  opt.widths[1] = 50;
  opt.widths[2] = 60;
  opt.widths[3] = 10;
  opt.nu = 2.5;
  js_net *net = make_net(&opt);
  for (int l = 1; l <= 3; l++) {
    int64_t count = opt.widths[l] * opt.widths[l - 1];
    const double *w = js_net_weights(net, l);
    double mean = 0, var = 0;
    for (int64_t i = 0; i < count; i++)
      mean += w[i] / (double)count;
    for (int64_t i = 0; i < count; i++)
      var += (w[i] - mean) * (w[i] - mean) / (double)(count - 1);
    if (l == 3) {
      double scale = 2.5 / sqrt((double)(opt.widths[2] * opt.widths[3]));
      int64_t positive = 0;
      for (int64_t i = 0; i < count; i++) {
        assert_true(fabs(w[i]) == scale);
        positive += w[i] > 0;
      }
      assert_true(positive > 0 && positive < count);
      continue;
    }
    double expected_var = l == 1 ? 1.0 : 1.0 / (double)opt.widths[l - 1];
    assert_true(fabs(mean) < 5 * sqrt(expected_var / (double)count));
    assert_true(fabs(var / expected_var - 1) < 5 * sqrt(2.0 / (double)count));
  }
  js_net_free(net);
}

/* theta is the trained layers, row-major, in layer order. */
static void test_params_layout(void **state) {
  (void)state;
  js_net_options opt = small_options((js_activation){JS_ACT_RELU, 0}, 4, 0x5u, 0);
  js_net *net = make_net(&opt);
  int64_t n1 = 5 * DIM, n3 = 4 * 3;
  assert_int_equal(js_net_n_params(net), n1 + n3);
  assert_true(js_net_is_trained(net, 1) && !js_net_is_trained(net, 2) &&
              js_net_is_trained(net, 3) && !js_net_is_trained(net, 4));
  assert_int_equal(js_net_n_layers(net), 4);
  assert_int_equal(js_net_width(net, 4), N_OUT);
  double theta[5 * DIM + 4 * 3], back[5 * DIM + 4 * 3];
  for (int64_t i = 0; i < n1 + n3; i++)
    theta[i] = (double)i;
  js_net_set_params(net, theta);
  for (int64_t i = 0; i < n1; i++)
    assert_true(js_net_weights(net, 1)[i] == (double)i);
  for (int64_t i = 0; i < n3; i++)
    assert_true(js_net_weights(net, 3)[i] == (double)(n1 + i));
  js_net_get_params(net, back);
  assert_memory_equal(theta, back, sizeof theta);
  js_net_free(net);
}

static void expect_create_rejected(const js_net_options *opt) {
  js_net *net = (js_net *)&net; /* must be reset to NULL */
  js_clear_error();
  assert_int_equal(js_net_create(opt, &net), JS_EINVAL);
  assert_null(net);
  assert_true(strlen(js_last_error()) > 0);
}

static void test_bad_options(void **state) {
  (void)state;
  js_net_options good = small_options((js_activation){JS_ACT_TANH, 0}, 3, 1u, 0), opt;
  expect_create_rejected(NULL);
  opt = good, opt.n_layers = 0;
  expect_create_rejected(&opt);
  opt = good, opt.n_layers = JS_MAX_LAYERS + 1;
  expect_create_rejected(&opt);
  opt = good, opt.widths[3] = 0;
  expect_create_rejected(&opt);
  opt = good, opt.widths[0] = -2;
  expect_create_rejected(&opt);
  opt = good, opt.trained = 0;
  expect_create_rejected(&opt);
  opt = good, opt.trained = 1u << 3;
  expect_create_rejected(&opt);
  opt = good, opt.nu = NAN;
  expect_create_rejected(&opt);
  opt = good, opt.nu = INFINITY;
  expect_create_rejected(&opt);
  opt = good, opt.act.kind = (js_act_kind)99;
  expect_create_rejected(&opt);
  opt = good, opt.act = (js_activation){JS_ACT_LEAKY, NAN};
  expect_create_rejected(&opt);
  opt = good, opt.batch_size = -1;
  expect_create_rejected(&opt);
  assert_int_equal(js_net_create(&good, NULL), JS_EINVAL);
}

static void expect_call_rejected(int rc) {
  assert_int_equal(rc, JS_EINVAL);
  assert_true(strlen(js_last_error()) > 0);
  js_clear_error();
}

static void test_bad_arguments(void **state) {
  (void)state;
  js_net_options opt = small_options((js_activation){JS_ACT_TANH, 0}, 2, 1u, 0);
  js_net *net = make_net(&opt);
  double x[N_SAMPLES * DIM] = {0}, v[5 * DIM] = {0}, out[N_SAMPLES * N_OUT * 5 * DIM];
  js_clear_error();
  expect_call_rejected(js_net_forward(NULL, x, N_SAMPLES, out));
  expect_call_rejected(js_net_forward(net, NULL, N_SAMPLES, out));
  expect_call_rejected(js_net_forward(net, x, 0, out));
  expect_call_rejected(js_net_forward(net, x, N_SAMPLES, NULL));
  expect_call_rejected(js_net_jvp(net, x, 0, v, 1, out));
  expect_call_rejected(js_net_jvp(net, x, N_SAMPLES, v, 0, out));
  expect_call_rejected(js_net_jvp(net, x, N_SAMPLES, NULL, 1, out));
  expect_call_rejected(js_net_jvp(net, x, N_SAMPLES, v, 1, NULL));
  expect_call_rejected(js_net_vjp(net, x, -1, out, 1, v));
  expect_call_rejected(js_net_vjp(net, x, N_SAMPLES, out, -3, v));
  expect_call_rejected(js_net_vjp(net, NULL, N_SAMPLES, out, 1, v));
  expect_call_rejected(js_net_vjp(NULL, x, N_SAMPLES, out, 1, v));
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

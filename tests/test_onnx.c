/* ONNX import and export:
 *   - the forward pass of every Debian libonnx-testdata node test of a
 *     supported op against its expected outputs (the cases outside the
 *     supported subset are listed as skipped, with the reader's reason);
 *   - written networks read back to the same tensors, outputs and top-20
 *     singular values, and the Jacobian products of an imported network
 *     against central finite differences and each other;
 *   - corrupt files: one JS_EFORMAT message naming the file.
 * Exits 77 (skip) only for the node tests when the test data is absent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "jacspec.h"
#include "model/onnx/onnx.h"
#include "model/onnx/onnx.pb-c.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NODE_DATA "/usr/share/libonnx-testdata/data/node"

/* ------------------------------------------------------------ node tests */

/* The node tests of the supported op types (by directory prefix). */
static const char *const prefixes[] = {
    "test_add", "test_sub", "test_mul", "test_div", "test_averagepool", "test_maxpool",
    "test_globalaveragepool", "test_basic_conv", "test_conv_", "test_gemm", "test_relu",
    "test_leakyrelu", "test_sigmoid", "test_tanh", "test_softplus", "test_flatten",
    "test_constant_pad", "test_edge_pad", "test_reflect_pad", "test_batchnorm",
    "test_matmul_", "test_identity", "test_reshape", "test_prelu", "test_constant"};

/* Cases that must run: a bug that makes the reader refuse them would
 * otherwise pass as a skip. */
static const char *const must_run[] = {
    "test_basic_conv_with_padding", "test_conv_with_strides_and_asymmetric_padding",
    "test_conv_with_autopad_same", "test_averagepool_2d_pads_count_include_pad",
    "test_averagepool_2d_same_upper", "test_averagepool_2d_same_lower", "test_maxpool_2d_pads",
    "test_maxpool_2d_same_lower", "test_globalaveragepool", "test_gemm_transposeB",
    "test_gemm_alpha", "test_gemm_beta", "test_gemm_default_scalar_bias", "test_relu",
    "test_leakyrelu", "test_sigmoid", "test_tanh", "test_softplus", "test_flatten_axis1",
    "test_batchnorm_epsilon", "test_batchnorm_example", "test_matmul_2d", "test_identity",
    "test_reshape_reduced_dims"};

static int wanted(const char *name) {
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
    if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
      return 1;
  return 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs one data set of a case: 1 passed, 0 skipped (reason in `why`),
 * -1 failed (message in `why`). */
static int run_data_set(const char *dir, const char *set, char *why, size_t why_size,
                        double *max_err) {
  char path[4200], model[4200];
  js_onnx_array in[8];
  int n_in = 0, result = -1;
  snprintf(model, sizeof model, "%s/model.onnx", dir);
  for (; n_in < 8; n_in++) {
    snprintf(path, sizeof path, "%s/%s/input_%d.pb", dir, set, n_in);
    if (access(path, R_OK) != 0)
      break;
    if (js_onnx_read_tensor_file(path, &in[n_in])) {
      snprintf(why, why_size, "%s", js_last_error());
      for (int i = 0; i < n_in; i++)
        js_onnx_array_free(&in[i]);
      return 0;
    }
  }
  js_onnx_array expected = {0};
  js_net *net = NULL;
  double *f = NULL;
  js_onnx_extras extras = {.n_feeds = n_in - 1, .feeds = in + 1, .any_rank_input = 1};
  snprintf(path, sizeof path, "%s/%s/output_0.pb", dir, set);
  if (n_in == 0 || js_onnx_import(model, NULL, &extras, &net)) {
    snprintf(why, why_size, "%s", n_in ? js_last_error() : "no data input");
    result = 0;
  } else if (js_onnx_read_tensor_file(path, &expected)) {
    snprintf(why, why_size, "expected output: %s", js_last_error());
  } else {
    int64_t n = in[0].ndim ? in[0].dim[0] : 1, k = js_net_n_outputs(net);
    f = calloc((size_t)(n * k), sizeof *f);
    if (n * k != expected.size)
      snprintf(why, why_size, "%lld outputs, %lld expected", (long long)(n * k),
               (long long)expected.size);
    else if (js_net_forward(net, in[0].data, n, f))
      snprintf(why, why_size, "forward: %s", js_last_error());
    else
      result = 1;
    /* onnx's backend tests compare with rtol 1e-3, atol 1e-7 */
    for (int64_t i = 0; result == 1 && i < n * k; i++) {
      double err = fabs(f[i] - expected.data[i]);
      if (err > 1e-7 + 1e-3 * fabs(expected.data[i])) {
        snprintf(why, why_size, "output %lld is %.9g, expected %.9g", (long long)i, f[i],
                 expected.data[i]);
        result = -1;
      }
      *max_err = err > *max_err ? err : *max_err;
    }
  }
  free(f);
  js_net_free(net);
  js_onnx_array_free(&expected);
  for (int i = 0; i < n_in; i++)
    js_onnx_array_free(&in[i]);
  return result;
}

static void test_node_cases(void **state) {
  (void)state;
  DIR *d = opendir(NODE_DATA);
  if (!d) {
    print_message("%s is absent (Debian libonnx-testdata): node tests skipped\n", NODE_DATA);
    skip();
  }
  char *names[512];
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < 512;)
    if (wanted(e->d_name))
      names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, compare_names);
  int ran = 0, skipped = 0, failed = 0;
  for (int c = 0; c < n; c++) {
    char dir[4096], why[1024] = "";
    snprintf(dir, sizeof dir, "%s/%s", NODE_DATA, names[c]);
    double max_err = 0;
    int result = 1, sets = 0;
    for (int s = 0; result == 1; s++, sets++) {
      char set[64], path[4200];
      snprintf(set, sizeof set, "test_data_set_%d", s);
      snprintf(path, sizeof path, "%s/%s", dir, set);
      if (access(path, R_OK) != 0)
        break;
      result = run_data_set(dir, set, why, sizeof why, &max_err);
    }
    if (result == 1) {
      ran++;
      print_message("  run   %-52s %d set(s), max |error| %.1e\n", names[c], sets, max_err);
    } else if (result == 0) {
      skipped++;
      const char *reason = strstr(why, "model.onnx: ");
      print_message("  skip  %-52s %s\n", names[c], reason ? reason + 12 : why);
    } else {
      failed++;
      print_message("  FAIL  %-52s %s\n", names[c], why);
    }
    for (size_t m = 0; m < sizeof must_run / sizeof *must_run; m++)
      if (strcmp(names[c], must_run[m]) == 0 && result != 1) {
        print_message("  FAIL  %s must run\n", names[c]);
        failed++;
      }
  }
  print_message("node tests: %d run, %d skipped, %d failed\n", ran, skipped, failed);
  for (int c = 0; c < n; c++)
    free(names[c]);
  assert_int_equal(failed, 0);
  assert_true(ran >= (int)(sizeof must_run / sizeof *must_run));
}

/* ------------------------------------------------------------ networks */

static uint64_t rng_state = 88172645463325252u;
static double uniform(void) { /* xorshift64, in (-1, 1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0;
}

/* Every tensor drawn anew (so biases, scales and shifts are not 0 or 1). */
static void randomize(js_net *net) {
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    js_net_tensor_info(net, t, &info);
    double *v = js_net_tensor_mut(net, t);
    for (int64_t i = 0; i < info.size; i++)
      v[i] = 0.5 * uniform() + (strstr(info.name, "scale") ? 1.0 : 0.0);
  }
}

/* A hand-built net of the nodes the built-in architectures do not use:
 * pad, affine (on an image and flat), a residual sum, average pooling that
 * counts the padding, flatten, sigmoid, leaky with a slope a float rounds. */
static js_net *hand_net(void) {
  js_shape in = {3, {2, 6, 5}};
  js_net *net;
  assert_int_equal(js_net_create(&in, &net), JS_OK);
  int64_t pad[4] = {1, 0, 2, 1};
  int p = js_net_add_pad(net, 0, pad);
  js_conv2d_options c;
  js_conv2d_options_init_defaults(&c);
  c.filters = 3;
  c.pad[2] = 0;
  c.stride[1] = 2;
  int conv = js_net_add_conv2d(net, p, &c, "conv");
  int aff = js_net_add_affine(net, conv, "bn");
  int act = js_net_add_activation(net, aff, (js_activation){JS_ACT_SIGMOID, 0});
  int sum = js_net_add_sum(net, act, conv);
  js_pool_options po;
  js_pool_options_init_defaults(&po);
  po.kernel[0] = po.kernel[1] = 3;
  po.stride[0] = po.stride[1] = 1;
  po.pad[0] = po.pad[1] = po.pad[2] = po.pad[3] = 1;
  po.count_include_pad = 1;
  int pool = js_net_add_pool(net, sum, &po);
  int flat = js_net_add_flatten(net, pool);
  int dense = js_net_add_dense(net, flat, 7, 1, "hidden");
  int leaky = js_net_add_activation(net, dense, (js_activation){JS_ACT_LEAKY, 0.3});
  int aff2 = js_net_add_affine(net, leaky, "norm");
  int out = js_net_add_dense(net, aff2, 3, 1, "out");
  assert_true(out > 0);
  randomize(net);
  return net;
}

static js_net *arch_net(const char *spec, js_shape in, int64_t k) {
  js_net *net;
  assert_int_equal(js_net_create_arch(spec, &in, k, 3, &net), JS_OK);
  randomize(net);
  return net;
}

static js_net *mlp_net(void) {
  int64_t widths[4] = {6, 8, 5, 3};
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.n_layers = 3;
  opt.widths = widths;
  opt.bias = 1;
  opt.act = (js_activation){JS_ACT_TANH, 0};
  js_net *net;
  assert_int_equal(js_net_create_mlp(&opt, &net), JS_OK);
  assert_int_equal(js_net_set_trained(net, "all"), JS_OK);
  randomize(net);
  return net;
}

static js_dataset *data_for(const js_net *net, int64_t n) {
  js_shape s = js_net_input_shape(net);
  int64_t d = s.ndim == 3 ? s.dim[0] * s.dim[1] * s.dim[2] : s.dim[0];
  js_dataset *data;
  assert_int_equal(js_dataset_create(n, d, js_net_n_outputs(net), 0, &data), JS_OK);
  data->shape = s;
  for (int64_t i = 0; i < n * d; i++)
    data->x[i] = uniform();
  return data;
}

static void temp_path(char *path, size_t size, const char *name) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, size, "%s/jacspec_test_onnx_%d_%s", dir && *dir ? dir : "/tmp", (int)getpid(),
           name);
}

/* The top singular values of the explicit J (all of them when p < 20). */
static js_svds_result *top20(const js_net *net, const js_dataset *data) {
  js_linop *op;
  assert_int_equal(js_jacobian_create(net, data, NULL, &op), JS_OK);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  int64_t m = js_linop_rows(op) < js_linop_cols(op) ? js_linop_rows(op) : js_linop_cols(op);
  opt.top = m - 1 < 20 ? m - 1 : 20;
  js_svds_result *res;
  int rc = js_svds_dense(op, &opt, &res);
  if (rc)
    print_message("%s\n", js_last_error());
  assert_int_equal(rc, JS_OK);
  js_linop_free(op);
  return res;
}

/* net -> file -> net: the same tensors (names, shapes, values), outputs
 * and top-20 singular values (relative 1e-12). */
static js_net *round_trip(js_net *net, const char *name) {
  char path[4096];
  temp_path(path, sizeof path, name);
  assert_int_equal(js_net_save_onnx(net, path), JS_OK);
  js_net *back;
  int rc = js_net_load_onnx(path, NULL, &back);
  if (rc)
    print_message("%s\n", js_last_error());
  assert_int_equal(rc, JS_OK);
  remove(path);
  assert_int_equal(js_net_n_tensors(back), js_net_n_tensors(net));
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info a, b;
    js_net_tensor_info(net, t, &a);
    js_net_tensor_info(back, t, &b);
    assert_string_equal(a.name, b.name);
    assert_int_equal(a.size, b.size);
    assert_int_equal(b.trained, 1);
    assert_memory_equal(js_net_tensor(net, t), js_net_tensor(back, t),
                        sizeof(double) * (size_t)a.size);
  }
  assert_int_equal(js_net_set_trained(net, "all"), JS_OK);
  js_dataset *data = data_for(net, 10);
  int64_t k = js_net_n_outputs(net);
  assert_int_equal(js_net_n_outputs(back), k);
  double *f = calloc((size_t)(10 * k), sizeof *f);
  assert_int_equal(js_net_forward(net, data->x, 5, f), JS_OK);
  assert_int_equal(js_net_forward(back, data->x, 5, f + 5 * k), JS_OK);
  for (int64_t i = 0; i < 5 * k; i++)
    assert_true(fabs(f[i] - f[5 * k + i]) <= 1e-14 * (1 + fabs(f[i])));
  js_svds_result *r1 = top20(net, data), *r2 = top20(back, data);
  double worst = 0;
  for (int64_t s = 0; s < r1->rank; s++) {
    double rel = fabs(r1->sigma[s] - r2->sigma[s]) / r1->sigma[0];
    worst = rel > worst ? rel : worst;
  }
  print_message("round trip %-8s p = %lld, top %lld singular values agree to %.1e relative\n",
                name, (long long)js_net_n_params(net), (long long)r1->rank, worst);
  assert_true(worst <= 1e-12);
  js_svds_result_free(r1);
  js_svds_result_free(r2);
  free(f);
  js_dataset_free(data);
  return back;
}

static void test_round_trips(void **state) {
  (void)state;
  js_net *nets[4] = {
      mlp_net(),
      arch_net("cnn:conv=3x3,act=leaky:0.1,pool=max2,conv=4x3s2,act=quadratic,gap,dense=5,"
               "act=softplus", (js_shape){3, {2, 8, 8}}, 3),
      arch_net("resnet8:width=2", (js_shape){3, {1, 8, 8}}, 4), hand_net()};
  const char *names[4] = {"mlp", "cnn", "resnet8", "hand"};
  for (int i = 0; i < 4; i++) {
    js_net_free(round_trip(nets[i], names[i]));
    js_net_free(nets[i]);
  }
}

/* J e_j (JVP), J^T e_i (VJP) and central differences of f agree. */
static void check_products(const js_net *net) {
  js_dataset *data = data_for(net, 3);
  js_linop *op;
  assert_int_equal(js_jacobian_create(net, data, NULL, &op), JS_OK);
  int64_t m = js_linop_rows(op), p = js_linop_cols(op);
  double *eye_p = calloc((size_t)(p * p), sizeof(double));
  double *eye_m = calloc((size_t)(m * m), sizeof(double));
  double *jv = calloc((size_t)(m * p), sizeof(double)), *jt = calloc((size_t)(m * p), 8);
  double *theta = calloc((size_t)p, sizeof(double)), *fp = calloc((size_t)m, 8),
         *fm = calloc((size_t)m, 8);
  for (int64_t j = 0; j < p; j++)
    eye_p[j * p + j] = 1;
  for (int64_t i = 0; i < m; i++)
    eye_m[i * m + i] = 1;
  assert_int_equal(js_linop_apply(op, p, eye_p, jv), JS_OK);   /* column j: J e_j */
  assert_int_equal(js_linop_apply_t(op, m, eye_m, jt), JS_OK); /* column i: J^T e_i */
  js_net *work;
  assert_int_equal(js_net_clone(net, &work), JS_OK);
  js_net_get_params(net, theta);
  double scale = 0, worst_t = 0, worst_fd = 0, h = 1e-5;
  for (int64_t k = 0; k < m * p; k++)
    scale = fabs(jv[k]) > scale ? fabs(jv[k]) : scale;
  for (int64_t j = 0; j < p; j++) {
    double t0 = theta[j];
    theta[j] = t0 + h;
    js_net_set_params(work, theta);
    assert_int_equal(js_net_forward(work, data->x, 3, fp), JS_OK);
    theta[j] = t0 - h;
    js_net_set_params(work, theta);
    assert_int_equal(js_net_forward(work, data->x, 3, fm), JS_OK);
    theta[j] = t0;
    for (int64_t i = 0; i < m; i++) {
      double d = jv[j * m + i], fd = (fp[i] - fm[i]) / (2 * h);
      worst_t = fmax(worst_t, fabs(d - jt[i * p + j]) / scale);
      worst_fd = fmax(worst_fd, fabs(d - fd) / scale);
    }
  }
  print_message("imported net, p = %lld: |JVP - VJP^T| %.1e, |JVP - finite diff.| %.1e "
                "(relative to max |J|)\n", (long long)p, worst_t, worst_fd);
  assert_true(worst_t <= 1e-12);
  assert_true(worst_fd <= 1e-8);
  js_net_free(work);
  js_linop_free(op);
  js_dataset_free(data);
  free(eye_p), free(eye_m), free(jv), free(jt), free(theta), free(fp), free(fm);
}

static void test_imported_products(void **state) {
  (void)state;
  js_net *nets[2] = {hand_net(), mlp_net()};
  for (int i = 0; i < 2; i++) {
    js_net *back = round_trip(nets[i], i ? "mlp" : "hand");
    check_products(back);
    js_net_free(back);
    js_net_free(nets[i]);
  }
}

/* ------------------------------------------------------------ bad files */

static void write_bytes(const char *path, const uint8_t *bytes, size_t size) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, size, f), size);
  fclose(f);
}

/* Loading path fails with JS_EFORMAT and a message naming the file and
 * containing `words`. */
static void refused(const char *path, const char *words) {
  js_net *net = (js_net *)1;
  int rc = js_net_load_onnx(path, NULL, &net);
  const char *msg = js_last_error();
  if (rc != JS_EFORMAT || !strstr(msg, path) || !strstr(msg, words))
    print_message("status %d, message: %s (expected '%s')\n", rc, msg, words);
  assert_int_equal(rc, JS_EFORMAT);
  assert_null(net);
  assert_non_null(strstr(msg, path));
  assert_non_null(strstr(msg, words));
  assert_null(strchr(msg, '\n'));
}

typedef void (*mutation)(Onnx__ModelProto *m);
static void huge_dims(Onnx__ModelProto *m) {
  Onnx__TensorProto *t = m->graph->initializer[0];
  t->dims[0] = INT64_C(1) << 40;
  t->dims[1] = INT64_C(1) << 40;
}
static void short_data(Onnx__ModelProto *m) { m->graph->initializer[0]->n_double_data--; }
static void no_input(Onnx__ModelProto *m) { m->graph->n_input = 0; }
static void cycle(Onnx__ModelProto *m) {
  m->graph->node[0]->input[0] = m->graph->node[m->graph->n_node - 1]->output[0];
}
static void unsupported(Onnx__ModelProto *m) { m->graph->node[1]->op_type = "Softmax"; }
static void bad_attribute(Onnx__ModelProto *m) {
  m->graph->node[0]->attribute[0]->name = "transA";
}

static void test_bad_files(void **state) {
  (void)state;
  char good[4096], bad[4096];
  temp_path(good, sizeof good, "good.onnx");
  temp_path(bad, sizeof bad, "bad.onnx");
  js_net *net = mlp_net();
  assert_int_equal(js_net_save_onnx(net, good), JS_OK);
  js_net_free(net);
  FILE *f = fopen(good, "rb");
  uint8_t bytes[1 << 16];
  size_t size = fread(bytes, 1, sizeof bytes, f);
  fclose(f);
  assert_true(size > 100 && size < sizeof bytes);

  write_bytes(bad, bytes, size / 2);
  refused(bad, "truncated or corrupt");
  uint8_t noise[4096];
  for (size_t i = 0; i < sizeof noise; i++)
    noise[i] = (uint8_t)(uniform() * 256);
  write_bytes(bad, noise, sizeof noise);
  refused(bad, "not an ONNX model");

  const struct {
    mutation change;
    const char *words;
  } cases[] = {{huge_dims, "each must be >= 0 and the tensor at most"},
               {short_data, "holds 47 values where its dims need 48"},
               {no_input, "no data input"},
               {cycle, "cycle"},
               {unsupported, "op type 'Softmax' is not supported (supported: Add,"},
               {bad_attribute, "transA = 1"}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, bytes);
    assert_non_null(m);
    /* keep what the mutation replaces, so free_unpacked frees what it unpacked */
    Onnx__NodeProto *n0 = m->graph->node[0], *n1 = m->graph->node[1];
    char *in0 = n0->input[0], *op1 = n1->op_type, *attr = n0->attribute[0]->name;
    size_t n_input = m->graph->n_input, n_data = m->graph->initializer[0]->n_double_data;
    cases[c].change(m);
    uint8_t *out = malloc(onnx__model_proto__get_packed_size(m));
    size_t n = onnx__model_proto__pack(m, out);
    write_bytes(bad, out, n);
    free(out);
    refused(bad, cases[c].words);
    n0->input[0] = in0, n1->op_type = op1, n0->attribute[0]->name = attr;
    m->graph->n_input = n_input, m->graph->initializer[0]->n_double_data = n_data;
    onnx__model_proto__free_unpacked(m, NULL);
  }
  js_net *none;
  assert_int_equal(js_net_load_onnx("/nonexistent/model.onnx", NULL, &none), JS_EIO);
  remove(good);
  remove(bad);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_node_cases),
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_imported_products),
      cmocka_unit_test(test_bad_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

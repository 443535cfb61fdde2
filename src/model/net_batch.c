#include "model/net_batch.h"

#include "core/error.h"
#include "model/dense.h"
#include "model/footprint.h"

#include <stdlib.h>
#include <string.h>

/* batch_size from the options, or (0) the most samples whose workspace
 * fits JS_FOOTPRINT_BATCH_CAP, at least 1; never more than n_samples. */
static int64_t batch_samples(const js_net *net, int64_t n_samples, int64_t n_vectors,
                             int cached) {
  int64_t batch = net->opt.batch_size;
  if (batch == 0) {
    size_t per_sample = js_footprint_workspace(&net->opt, n_vectors, cached);
    batch = per_sample ? (int64_t)(JS_FOOTPRINT_BATCH_CAP / per_sample) : n_samples;
    if (batch < 1)
      batch = 1;
  }
  return batch < n_samples ? batch : n_samples;
}

/* Makes *buf hold at least `need` bytes: grown, never shrunk, so warm
 * products do not allocate. The contents are not kept. */
static int grow(void **buf, size_t *size, size_t need, const char *what) {
  if (need <= *size)
    return JS_OK;
  void *bigger = js_alloc(need, 1, what);
  if (!bigger)
    return JS_ENOMEM;
  free(*buf);
  *buf = bigger;
  *size = need;
  return JS_OK;
}

/* Grows net->work to hold batches of B samples and blocks of n_vectors,
 * and lays the buffers out in it; h_l and phi'(z_l) get no room when they
 * come from the cache. */
static int reserve_workspace(js_net *net, const js_kernels *k, int64_t B, int64_t n_vectors,
                             int cached, js_batch_buffers *buf) {
  const js_net_options *opt = &net->opt;
  size_t per_sample = js_footprint_workspace(opt, n_vectors, cached);
  if (per_sample > SIZE_MAX / (size_t)B)
    return js_fail(JS_ENOMEM, "network workspace: %lld samples x %zu bytes overflows",
                   (long long)B, per_sample);
  int rc = grow(&net->work, &net->work_size, per_sample * (size_t)B, "network workspace");
  if (rc)
    return rc;
  memset(buf, 0, sizeof *buf);
  int64_t next = cached ? 0
                        : js_footprint_lay_out(opt, k, net->work, B, n_vectors > 0, buf->h,
                                               buf->dphi);
  if (n_vectors == 0)
    return JS_OK;
  int64_t block = n_vectors * B * js_footprint_widest_output(opt);
  buf->t[0] = js_elem(k, net->work, next);
  buf->t[1] = js_elem(k, net->work, next + block);
  if (opt->precision == JS_PRECISION_SINGLE)
    buf->x_single = js_elem(k, net->work, next + 2 * block);
  return JS_OK;
}

/* Single precision: the float weights (refreshed when the weights may have
 * changed) and the float p x b block. */
static int prepare_single(js_net *net, int64_t n_vectors, js_product *pr) {
  if (net->weights_f_generation != net->generation) {
    pr->k->from_double(net->weights_f, net->weights, net->n_weights);
    net->weights_f_generation = net->generation;
  }
  for (int l = 1; l <= pr->L; l++)
    pr->w[l] = net->weights_f + (net->w[l] - net->weights);
  int rc = grow(&net->param_work, &net->param_work_size,
                (size_t)(pr->p * n_vectors) * sizeof(float), "float parameter block");
  if (rc == JS_OK)
    pr->params = net->param_work;
  return rc;
}

static int check_call(const char *fn, const js_net *net, const double *x,
                      int64_t n_samples, const double *in, int64_t n_vectors,
                      const double *out) {
  if (!net)
    return js_fail(JS_EINVAL, "%s: network is NULL", fn);
  if (!x || !in || !out)
    return js_fail(JS_EINVAL, "%s: %s is NULL", fn,
                   !x ? "the input x" : !in ? "the vector block" : "the output");
  if (n_samples < 1)
    return js_fail(JS_EINVAL, "%s: n_samples = %lld, must be >= 1", fn,
                   (long long)n_samples);
  if (n_vectors < 1)
    return js_fail(JS_EINVAL, "%s: n_vectors = %lld, must be >= 1", fn,
                   (long long)n_vectors);
  return JS_OK;
}

/* A product of n_vectors, or (forward) a forward pass with n_vectors = 0. */
static int begin(const char *fn, js_net *net, const double *x, int64_t n_samples,
                 const double *in, int64_t n_vectors, const double *out, int forward,
                 js_product *pr) {
  int rc = check_call(fn, net, x, n_samples, in, forward ? 1 : n_vectors, out);
  if (rc)
    return rc;
  memset(pr, 0, sizeof *pr);
  js_precision precision = forward ? JS_PRECISION_DOUBLE : net->opt.precision;
  pr->k = js_kernels_of(precision);
  pr->L = net->opt.n_layers;
  pr->lo = net->lowest_trained;
  pr->K = net->opt.widths[pr->L];
  pr->p = net->n_params;
  for (int l = 1; l <= pr->L; l++)
    pr->w[l] = net->w[l];
  if (precision == JS_PRECISION_SINGLE && (rc = prepare_single(net, n_vectors, pr)))
    return rc;
  pr->cache = forward ? JS_CACHE_OFF : js_net_cache_begin(net, x, n_samples);
  int cached = pr->cache != JS_CACHE_OFF;
  pr->B = batch_samples(net, n_samples, n_vectors, cached);
  return reserve_workspace(net, pr->k, pr->B, n_vectors, cached, &pr->buf);
}

int js_product_begin(const char *fn, js_net *net, const double *x, int64_t n_samples,
                     const double *in, int64_t n_vectors, const double *out,
                     js_product *pr) {
  return begin(fn, net, x, n_samples, in, n_vectors, out, 0, pr);
}

int js_forward_begin(js_net *net, const double *x, int64_t n_samples, const double *f,
                     js_product *pr) {
  return begin("js_net_forward", net, x, n_samples, x, 0, f, 1, pr);
}

/* h_l = phi(W_l h_{l-1}) for the hidden layers l = 1..L-1 of one batch
 * (buf.x set), keeping phi'(z_l) where the buffers have room for it
 * (products: the layers from the lowest trained up). */
static void hidden_forward(const js_net *net, js_product *pr, int64_t nb) {
  const js_net_options *opt = &net->opt;
  const js_kernels *k = pr->k;
  js_batch_buffers *buf = &pr->buf;
  for (int l = 1; l < opt->n_layers; l++) {
    int64_t size = nb * opt->widths[l];
    js_dense_forward(k, buf->h[l], js_layer_input(buf, l), pr->w[l], nb,
                     opt->widths[l - 1], opt->widths[l]);
    if (buf->dphi[l])
      k->act_derivative(opt->act, buf->dphi[l], buf->h[l], size);
    k->act_forward(opt->act, buf->h[l], buf->h[l], size);
  }
}

/* Computed into the workspace (OFF) or the cache's rows (FILL), or
 * already there (HIT). */
void js_product_batch(js_net *net, js_product *pr, const double *x, int64_t i0, int64_t nb) {
  const js_kernels *k = pr->k;
  const int64_t *m = net->opt.widths;
  if (pr->cache != JS_CACHE_OFF)
    for (int l = 1; l < pr->L; l++) {
      pr->buf.h[l] = js_elem(k, net->cache.h[l], i0 * m[l]);
      pr->buf.dphi[l] = l >= pr->lo ? js_elem(k, net->cache.dphi[l], i0 * m[l]) : NULL;
    }
  pr->buf.x = x + i0 * m[0];
  if (pr->buf.x_single) {
    k->from_double(pr->buf.x_single, x + i0 * m[0], nb * m[0]);
    pr->buf.x = pr->buf.x_single;
  }
  if (pr->cache != JS_CACHE_HIT)
    hidden_forward(net, pr, nb);
}

void js_product_end(js_net *net, const js_product *pr) {
  if (pr->cache == JS_CACHE_FILL)
    js_net_cache_filled(net);
}

void js_gather_rows(const js_kernels *k, void *stacked, const double *block,
                    int64_t n_rows, int64_t first_row, int64_t rows, int64_t n_vectors) {
  for (int64_t j = 0; j < n_vectors; j++)
    k->from_double(js_elem(k, stacked, j * rows), block + j * n_rows + first_row, rows);
}

void js_scatter_rows(const js_kernels *k, double *block, const void *stacked,
                     int64_t n_rows, int64_t first_row, int64_t rows, int64_t n_vectors) {
  for (int64_t j = 0; j < n_vectors; j++)
    k->to_double(block + j * n_rows + first_row, js_elem(k, stacked, j * rows), rows);
}

/* Network construction: options, the paper's initialisation, parameters. */
#include "model/net.h"

#include "core/error.h"
#include "core/rng.h"
#include "model/activation.h"
#include "model/footprint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void js_net_options_init_defaults(js_net_options *opt) {
  if (!opt)
    return;
  memset(opt, 0, sizeof *opt);
  opt->n_layers = 2; /* the paper's f(x) = V phi(W x) */
  opt->act.kind = JS_ACT_SOFTPLUS;
  opt->trained = 1u; /* W_1 = W trained, W_2 = V fixed */
  opt->nu = 1.0;
  opt->seed = 1;
  opt->batch_size = 0;
  opt->cache_limit = (size_t)1 << 30;
}

/* Entries of W_l. */
static int64_t layer_size(const js_net *net, int l) {
  return net->opt.widths[l] * net->opt.widths[l - 1];
}

static int check_options(const js_net_options *opt) {
  if (!opt)
    return js_fail(JS_EINVAL, "js_net_create: options are NULL");
  int L = opt->n_layers;
  if (L < 1 || L > JS_MAX_LAYERS)
    return js_fail(JS_EINVAL, "js_net_create: n_layers = %d, must be in 1..%d", L,
                   JS_MAX_LAYERS);
  int64_t total = 0;
  for (int l = 0; l <= L; l++) {
    if (opt->widths[l] < 1)
      return js_fail(JS_EINVAL, "js_net_create: widths[%d] = %lld, every width must be >= 1",
                     l, (long long)opt->widths[l]);
    if (l >= 1 && (opt->widths[l] > INT64_MAX / opt->widths[l - 1] ||
                   opt->widths[l] * opt->widths[l - 1] > INT64_MAX - total))
      return js_fail(JS_EINVAL, "js_net_create: the weight count overflows at layer %d", l);
    if (l >= 1)
      total += opt->widths[l] * opt->widths[l - 1];
  }
  if (opt->trained == 0)
    return js_fail(JS_EINVAL, "js_net_create: no layer is trained (trained = 0)");
  if ((opt->trained >> L) != 0)
    return js_fail(JS_EINVAL,
                   "js_net_create: trained = 0x%x marks layers above the %d layers of the network",
                   (unsigned)opt->trained, L);
  if (!isfinite(opt->nu))
    return js_fail(JS_EINVAL, "js_net_create: nu = %g is not finite", opt->nu);
  if (opt->precision != JS_PRECISION_DOUBLE && opt->precision != JS_PRECISION_SINGLE)
    return js_fail(JS_EINVAL, "js_net_create: precision %d is not double or single",
                   (int)opt->precision);
  if (opt->batch_size < 0)
    return js_fail(JS_EINVAL, "js_net_create: batch_size = %lld, must be >= 0 (0: automatic)",
                   (long long)opt->batch_size);
  return js_activation_check(opt->act, "js_net_create");
}

/* The paper's Theorem 3.2: W_1 i.i.d. N(0,1); the output layer Rademacher
 * times nu / sqrt(k K) with k = widths[L-1]; layers in between N(0, 1/m_{l-1})
 * (DESIGN.md section 1). One stream, layer 1 row-major first, then layer 2... */
static void initialise(js_net *net) {
  const js_net_options *opt = &net->opt;
  int L = opt->n_layers;
  js_rng rng;
  js_rng_seed(&rng, opt->seed);
  for (int l = 1; l <= L; l++) {
    int64_t count = layer_size(net, l);
    double *w = net->w[l];
    if (l == 1) {
      for (int64_t i = 0; i < count; i++)
        w[i] = js_rng_normal(&rng);
    } else if (l == L) {
      double scale = opt->nu / sqrt((double)(opt->widths[L - 1] * opt->widths[L]));
      for (int64_t i = 0; i < count; i++)
        w[i] = js_rng_sign(&rng) * scale;
    } else {
      double scale = 1.0 / sqrt((double)opt->widths[l - 1]);
      for (int64_t i = 0; i < count; i++)
        w[i] = js_rng_normal(&rng) * scale;
    }
  }
}

int js_net_create(const js_net_options *opt, js_net **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_net_create: output pointer is NULL");
  *out = NULL;
  int rc = check_options(opt);
  if (rc)
    return rc;
  js_net *net = js_alloc(1, sizeof *net, "network");
  if (!net)
    return JS_ENOMEM;
  net->opt = *opt;
  int L = opt->n_layers;
  net->lowest_trained = js_footprint_lowest_trained(opt);
  net->generation = 1; /* weights_f_generation 0: the float copy is stale */
  for (int l = 1; l <= L; l++)
    net->n_weights += layer_size(net, l);
  net->weights = js_alloc((size_t)net->n_weights, sizeof(double), "network weights");
  if (opt->precision == JS_PRECISION_SINGLE)
    net->weights_f = js_alloc((size_t)net->n_weights, sizeof(float), "float weights");
  if (!net->weights || (opt->precision == JS_PRECISION_SINGLE && !net->weights_f)) {
    rc = JS_ENOMEM;
    goto done;
  }
  double *w = net->weights;
  for (int l = 1; l <= L; l++) {
    net->w[l] = w;
    w += layer_size(net, l);
    net->param_offset[l] = -1;
    if (opt->trained & (1u << (l - 1))) {
      net->param_offset[l] = net->n_params;
      net->n_params += layer_size(net, l);
    }
  }
  initialise(net);
  *out = net;
  net = NULL;
done:
  js_net_free(net);
  return rc;
}

void js_net_free(js_net *net) {
  if (!net)
    return;
  free(net->weights);
  free(net->work);
  free(net->weights_f);
  free(net->param_work);
  js_net_drop_cache(net);
  free(net);
}

int js_net_n_layers(const js_net *net) { return net->opt.n_layers; }

/* widths[layer], or 0 for a layer outside 0..L. */
int64_t js_net_width(const js_net *net, int layer) {
  return layer >= 0 && layer <= net->opt.n_layers ? net->opt.widths[layer] : 0;
}

int js_net_is_trained(const js_net *net, int layer) {
  return layer >= 1 && layer <= net->opt.n_layers && net->param_offset[layer] >= 0;
}

int64_t js_net_n_params(const js_net *net) { return net->n_params; }

js_activation js_net_activation(const js_net *net) { return net->opt.act; }

void js_net_get_options(const js_net *net, js_net_options *opt) { *opt = net->opt; }

/* W_layer, or NULL for a layer outside 1..L. The caller may write: the
 * cached activations no longer describe the weights. */
double *js_net_weights(js_net *net, int layer) {
  if (layer < 1 || layer > net->opt.n_layers)
    return NULL;
  net->generation++;
  return net->w[layer];
}

void js_net_get_params(const js_net *net, double *theta) {
  for (int l = 1; l <= net->opt.n_layers; l++)
    if (net->param_offset[l] >= 0)
      memcpy(theta + net->param_offset[l], net->w[l],
             sizeof(double) * (size_t)layer_size(net, l));
}

void js_net_set_params(js_net *net, const double *theta) {
  net->generation++;
  for (int l = 1; l <= net->opt.n_layers; l++)
    if (net->param_offset[l] >= 0)
      memcpy(net->w[l], theta + net->param_offset[l],
             sizeof(double) * (size_t)layer_size(net, l));
}

int js_net_set_memory(js_net *net, int64_t batch_size, size_t cache_limit) {
  if (!net)
    return js_fail(JS_EINVAL, "js_net_set_memory: network is NULL");
  if (batch_size < 0)
    return js_fail(JS_EINVAL, "js_net_set_memory: batch_size = %lld, must be >= 0 "
                   "(0: automatic)", (long long)batch_size);
  net->opt.batch_size = batch_size;
  net->opt.cache_limit = cache_limit;
  if (net->cache.size > cache_limit)
    js_net_drop_cache(net);
  return JS_OK;
}

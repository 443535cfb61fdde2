#include "model/net_cache.h"

#include "core/error.h"
#include "model/footprint.h"
#include "model/kernels.h"

#include <stdlib.h>

/* Points h[l] and dphi[l] at their (n, m_l) slices of the buffer. */
static void lay_out(js_net *net, int64_t n_samples) {
  const js_net_options *opt = &net->opt;
  const js_kernels *k = js_kernels_of(opt->precision);
  js_net_cache *c = &net->cache;
  int64_t next = 0; /* elements */
  for (int l = 1; l < opt->n_layers; l++) {
    c->h[l] = js_elem(k, c->data, next);
    next += n_samples * opt->widths[l];
  }
  for (int l = net->lowest_trained; l < opt->n_layers; l++) {
    c->dphi[l] = js_elem(k, c->data, next);
    next += n_samples * opt->widths[l];
  }
}

js_cache_use js_net_cache_begin(js_net *net, const double *x, int64_t n_samples) {
  js_net_cache *c = &net->cache;
  size_t per_sample = js_footprint_cache(&net->opt);
  if (per_sample == 0 || per_sample > net->opt.cache_limit / (size_t)n_samples)
    return JS_CACHE_OFF;
  if (c->valid && c->x == x && c->n_samples == n_samples &&
      c->generation == net->generation)
    return JS_CACHE_HIT;
  size_t need = per_sample * (size_t)n_samples;
  if (need > c->size) {
    js_net_drop_cache(net);
    c->data = js_alloc(need, 1, "activation cache");
    if (!c->data) {
      js_clear_error();
      return JS_CACHE_OFF;
    }
    c->size = need;
  }
  c->valid = 0;
  c->x = x;
  c->n_samples = n_samples;
  c->generation = net->generation;
  lay_out(net, n_samples);
  return JS_CACHE_FILL;
}

void js_net_cache_forget(js_net *net) { net->cache.valid = 0; }

void js_net_cache_filled(js_net *net) { net->cache.valid = 1; }

void js_net_drop_cache(js_net *net) {
  if (!net)
    return;
  free(net->cache.data);
  net->cache.data = NULL;
  net->cache.size = 0;
  net->cache.valid = 0;
}

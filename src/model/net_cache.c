#include "model/net_cache.h"

#include "core/error.h"
#include "model/footprint.h"

#include <stdlib.h>

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
  js_footprint_lay_out(&net->opt, js_kernels_of(net->opt.precision), c->data, n_samples, 1,
                       c->h, c->dphi);
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

#include "model/footprint.h"

#include "model/kernels.h"

int js_footprint_lowest_trained(const js_net_options *opt) {
  for (int l = 1; l <= opt->n_layers; l++)
    if (opt->trained & (1u << (l - 1)))
      return l;
  return opt->n_layers;
}

int64_t js_footprint_widest_output(const js_net_options *opt) {
  int64_t widest = 0;
  for (int l = 1; l <= opt->n_layers; l++)
    if (opt->widths[l] > widest)
      widest = opt->widths[l];
  return widest;
}

/* Entries m_l summed over the hidden layers l = first..L-1. */
static size_t hidden_width(const js_net_options *opt, int first) {
  size_t total = 0;
  for (int l = first; l < opt->n_layers; l++)
    total += (size_t)opt->widths[l];
  return total;
}

static size_t element(const js_net_options *opt) {
  return js_kernels_of(opt->precision)->size;
}

size_t js_footprint_cache(const js_net_options *opt) {
  size_t entries = hidden_width(opt, 1) + hidden_width(opt, js_footprint_lowest_trained(opt));
  return entries * element(opt);
}

size_t js_footprint_workspace(const js_net_options *opt, int64_t n_vectors, int cached) {
  size_t hidden = hidden_width(opt, 1);
  if (n_vectors == 0)
    return hidden * sizeof(double);
  size_t entries = 2 * (size_t)n_vectors * (size_t)js_footprint_widest_output(opt);
  if (!cached)
    entries += 2 * hidden;
  if (opt->precision == JS_PRECISION_SINGLE)
    entries += (size_t)opt->widths[0];
  return entries * element(opt);
}

size_t js_footprint_network(const js_net_options *opt, int64_t n_vectors) {
  size_t weights = 0, params = 0;
  for (int l = 1; l <= opt->n_layers; l++) {
    size_t size = (size_t)opt->widths[l] * (size_t)opt->widths[l - 1];
    weights += size;
    params += opt->trained & (1u << (l - 1)) ? size : 0;
  }
  size_t bytes = weights * sizeof(double);
  if (opt->precision == JS_PRECISION_SINGLE)
    bytes += (weights + params * (size_t)n_vectors) * sizeof(float);
  return bytes;
}

#include "model/footprint.h"

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

/* Entries per sample of the activations a product keeps: h_l and phi'(z_l). */
static size_t activation_entries(const js_net_options *opt) {
  return hidden_width(opt, 1) + hidden_width(opt, js_footprint_lowest_trained(opt));
}

int64_t js_footprint_lay_out(const js_net_options *opt, const js_kernels *k, void *base,
                             int64_t rows, int with_dphi, void *h[], void *dphi[]) {
  int64_t next = 0; /* elements */
  int lowest = js_footprint_lowest_trained(opt);
  for (int l = 1; l < opt->n_layers; l++) {
    h[l] = js_elem(k, base, next);
    next += rows * opt->widths[l];
  }
  for (int l = 1; l < opt->n_layers; l++) {
    dphi[l] = NULL;
    if (with_dphi && l >= lowest) {
      dphi[l] = js_elem(k, base, next);
      next += rows * opt->widths[l];
    }
  }
  return next;
}

size_t js_footprint_cache(const js_net_options *opt) {
  return activation_entries(opt) * element(opt);
}

size_t js_footprint_workspace(const js_net_options *opt, int64_t n_vectors, int cached) {
  size_t hidden = hidden_width(opt, 1);
  if (n_vectors == 0)
    return hidden * sizeof(double);
  size_t entries = 2 * (size_t)n_vectors * (size_t)js_footprint_widest_output(opt);
  if (!cached)
    entries += activation_entries(opt);
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

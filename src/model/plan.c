/* js_plan_memory: batch size and caching under a byte budget. What is
 * counted (all from the shapes, as the library allocates it):
 *   fixed  = data (n (d + K) doubles) + js_footprint_network (weights, and
 *            their float copy and a float p x b block in single precision)
 *            + the solver's bytes + RUNTIME_BYTES
 *   cache  = n x js_footprint_cache (activations of every sample)
 *   batch  = B x the larger per-sample workspace of a product (n_vectors)
 *            and of a forward pass
 * The cache is worth more than a large batch (it saves a forward pass per
 * product; batches beyond a few MiB do not speed GEMM up), so it is chosen
 * first whenever it fits next to a batch of one. */
#include "core/error.h"
#include "model/footprint.h"

/* What the process holds besides the arrays counted: its code and
 * libraries (about 7 MiB resident) and BLIS's packing buffers (about 9 MiB
 * for dgemm's KC x NC panel of B plus a block of A per thread), measured
 * as peak RSS of jacspec spectrum on small and large problems. */
#define RUNTIME_BYTES ((size_t)16 << 20)

/* Bytes per sample of the batch workspace (product or forward pass). */
static size_t workspace_per_sample(const js_net_options *opt, int64_t n_vectors,
                                   int cached) {
  size_t product = js_footprint_workspace(opt, n_vectors, cached);
  size_t forward = js_footprint_workspace(opt, 0, 0);
  return product > forward ? product : forward;
}

/* The largest batch of per_sample bytes in `room`, capped, in 1..n. */
static int64_t fit_batch(size_t room, size_t per_sample, int64_t n_samples) {
  size_t cap = JS_FOOTPRINT_BATCH_CAP / per_sample;
  size_t batch = room / per_sample < cap ? room / per_sample : cap;
  if (batch < 1)
    batch = 1;
  return batch < (size_t)n_samples ? (int64_t)batch : n_samples;
}

int js_plan_memory(const js_net_options *net, int64_t n_samples, int64_t n_vectors,
                   size_t solver_bytes, size_t budget, js_memory_plan *plan) {
  if (!net || !plan)
    return js_fail(JS_EINVAL, "js_plan_memory: %s is NULL", net ? "plan" : "options");
  if (net->n_layers < 1 || net->n_layers > JS_MAX_LAYERS || n_samples < 1 ||
      n_vectors < 1)
    return js_fail(JS_EINVAL, "js_plan_memory: %d layers, %lld samples, %lld vectors: "
                   "need 1..%d layers and at least one sample and vector",
                   net->n_layers, (long long)n_samples, (long long)n_vectors,
                   JS_MAX_LAYERS);
  const int64_t *m = net->widths;
  size_t data = (size_t)n_samples * (size_t)(m[0] + m[net->n_layers]) * sizeof(double);
  size_t uncached = workspace_per_sample(net, n_vectors, 0);
  size_t cached = workspace_per_sample(net, n_vectors, 1);
  *plan = (js_memory_plan){.budget = budget, .batch_size = 1};
  plan->fixed_bytes =
      data + js_footprint_network(net, n_vectors) + solver_bytes + RUNTIME_BYTES;
  plan->cache_bytes = (size_t)n_samples * js_footprint_cache(net);
  plan->min_budget = plan->fixed_bytes + uncached;
  if (budget < plan->min_budget) {
    plan->cache_bytes = 0;
    return js_fail(JS_ENOMEM,
                   "memory budget %zu KiB is too small: the program, data, weights and "
                   "the Lanczos basis take %.2f MiB and one sample's working set %.1f KiB; the "
                   "smallest budget that works is %zu KiB (%.2f MiB)",
                   budget / 1024,
                   (double)plan->fixed_bytes / (1024.0 * 1024.0), (double)uncached / 1024.0,
                   (plan->min_budget + 1023) / 1024,
                   (double)plan->min_budget / (1024.0 * 1024.0));
  }
  plan->cache = plan->cache_bytes > 0 &&
                plan->cache_bytes <= budget - plan->fixed_bytes &&
                cached <= budget - plan->fixed_bytes - plan->cache_bytes;
  if (!plan->cache)
    plan->cache_bytes = 0;
  size_t per_sample = plan->cache ? cached : uncached;
  size_t room = budget - plan->fixed_bytes - plan->cache_bytes;
  plan->batch_size = fit_batch(room, per_sample, n_samples);
  plan->cache_limit = plan->cache_bytes;
  plan->batch_bytes = (size_t)plan->batch_size * per_sample;
  plan->total_bytes = plan->fixed_bytes + plan->cache_bytes + plan->batch_bytes;
  return JS_OK;
}

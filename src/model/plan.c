/* js_plan_memory: batch size and caching under a byte budget. What is
 * counted (all from the graph's shapes, as the library allocates it):
 *   fixed  = data (n (d + K) doubles) + the network's parameter values +
 *            the Jacobian's copy of them (in single precision a float
 *            copy and a float p x chunk block; mixed: the twin's float
 *            ones and the double Jacobian's) + the solver's bytes +
 *            RUNTIME_BYTES
 *   cache  = the products' forward data of all n samples (schedule.h)
 *   batch  = the workspace of a product on B samples (js_schedule_workspace),
 *            or of a forward pass, whichever is larger, for the batch of
 *            a block of n_vectors and for that of one vector (a Lanczos
 *            product), each the largest that fits what is left; mixed: the
 *            larger of the twin's and the double Jacobian's uncached
 *            block, which take turns with one workspace (jacobian.c)
 * The cache is worth more than a large batch (it saves a forward pass per
 * product; batches beyond a few MiB do not speed GEMM up), so it is chosen
 * first whenever it fits next to a batch of one. Mixed plans within
 * double's own plan (what is left of it after the twin's cache and float
 * copies goes to the workspace), so that it never takes more memory. */
#include "core/error.h"
#include "model/schedule.h"

/* What the process holds besides the arrays counted: its code and
 * libraries (about 7 MiB resident) and BLIS's packing buffers (about 9 MiB
 * for dgemm's KC x NC panel of B plus a block of A per thread), measured
 * as peak RSS of jacspec spectrum on small and large problems. */
#define RUNTIME_BYTES ((size_t)16 << 20)
/* What a mixed solve holds beyond its arrays: the code of LAPACK's QR and
 * SVD, which only the refinement pages in, measured as the peak RSS a
 * top-40 mixed solve took above its arrays' share (about 0.9 MiB). */
#define MIXED_RUNTIME_BYTES ((size_t)2 << 20)

static size_t larger(size_t a, size_t b) { return a > b ? a : b; }
static size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

/* The plan of products by schedule s (the twin's under mixed) and, under
 * mixed, of exact's uncached blocks of n_vectors beside them, with a total
 * of at most `within` (<= budget) where that leaves a batch of one. */
static int plan_with(const js_net *net, const js_schedule *s, const js_schedule *exact,
                     int64_t n_samples, int64_t n_vectors, size_t solver_bytes, size_t budget,
                     size_t within, js_memory_plan *plan) {
  size_t values = (size_t)net->n_values;
  size_t data = (size_t)n_samples * (size_t)(net->nodes[0].size + js_net_n_outputs(net)) *
                sizeof(double);
  int64_t chunk = js_schedule_chunk(s, n_vectors); /* what a block product runs at once */
  /* The network's values, and each Jacobian's snapshot of them. */
  size_t weights = values * sizeof(double);
  if (s->k->size == sizeof(double))
    weights += values * sizeof(double);
  else
    weights += (values + (size_t)net->n_theta * (size_t)chunk) * sizeof(float);
  if (exact)
    weights += values * sizeof(double) + MIXED_RUNTIME_BYTES;
  size_t exact_one = exact ? js_schedule_batch_bytes(exact, 1, n_vectors, 0, 1) : 0;
  *plan = (js_memory_plan){.budget = budget, .batch_size = 1, .vector_batch_size = 1};
  plan->fixed_bytes = data + weights + solver_bytes + RUNTIME_BYTES;
  plan->cache_bytes = s->data_per_sample ? js_schedule_data_bytes(s, n_samples) : 0;
  plan->min_budget =
      plan->fixed_bytes + larger(js_schedule_batch_bytes(s, 1, chunk, 0, 1), exact_one);
  if (budget < plan->min_budget) {
    plan->cache_bytes = 0;
    return js_fail(JS_ENOMEM,
                   "memory budget %zu KiB is too small: the program, data, weights and "
                   "the Lanczos basis take %.2f MiB and one sample's working set %.1f KiB; "
                   "the smallest budget that works is %zu KiB (%.2f MiB)",
                   budget / 1024, (double)plan->fixed_bytes / (1024.0 * 1024.0),
                   (double)(plan->min_budget - plan->fixed_bytes) / 1024.0,
                   (plan->min_budget + 1023) / 1024,
                   (double)plan->min_budget / (1024.0 * 1024.0));
  }
  if (within < plan->min_budget)
    within = budget;
  size_t room = within - plan->fixed_bytes;
  plan->cache = plan->cache_bytes > 0 && plan->cache_bytes <= room &&
                larger(js_schedule_batch_bytes(s, 1, chunk, 1, 1), exact_one) <=
                    room - plan->cache_bytes;
  if (!plan->cache)
    plan->cache_bytes = 0;
  room -= plan->cache_bytes;
  size_t cap = smaller(room, js_schedule_batch_cap(s));
  size_t exact_cap = exact ? smaller(room, JS_BATCH_CAP) : 0;
  /* Mixed: the double Jacobian's limit, of which the twin takes its cap. */
  plan->workspace_limit = exact ? exact_cap : cap;
  plan->block_vectors = chunk;
  plan->batch_size = js_schedule_fit_batch(s, cap, n_samples, chunk, plan->cache, 1);
  plan->vector_batch_size = js_schedule_fit_batch(s, cap, n_samples, 1, plan->cache, 1);
  plan->cache_limit = plan->cache_bytes;
  size_t block = js_schedule_batch_bytes(s, plan->batch_size, chunk, plan->cache, 1);
  size_t vector = js_schedule_batch_bytes(s, plan->vector_batch_size, 1, plan->cache, 1);
  plan->batch_bytes = larger(block, vector);
  if (exact) {
    plan->exact_batch_size = js_schedule_fit_batch(exact, exact_cap, n_samples, n_vectors, 0, 1);
    plan->batch_bytes = larger(plan->batch_bytes,
                               js_schedule_batch_bytes(exact, plan->exact_batch_size,
                                                       n_vectors, 0, 1));
  }
  plan->total_bytes = plan->fixed_bytes + plan->cache_bytes + plan->batch_bytes;
  return JS_OK;
}

int js_plan_memory(const js_net *net, js_precision precision, int64_t n_samples,
                   int64_t n_vectors, size_t solver_bytes, size_t budget,
                   js_memory_plan *plan) {
  if (!net || !plan)
    return js_fail(JS_EINVAL, "js_plan_memory: %s is NULL", net ? "plan" : "network");
  if (n_samples < 1 || n_vectors < 1)
    return js_fail(JS_EINVAL, "js_plan_memory: %lld samples, %lld vectors: need at least "
                   "one of each", (long long)n_samples, (long long)n_vectors);
  int mixed = precision == JS_PRECISION_MIXED;
  size_t within = budget;
  if (mixed) { /* within double's own plan, when it has one */
    js_memory_plan exact_alone;
    if (js_plan_memory(net, JS_PRECISION_DOUBLE, n_samples, n_vectors, solver_bytes, budget,
                       &exact_alone) == JS_OK)
      within = exact_alone.total_bytes;
    js_clear_error();
  }
  js_schedule s, exact;
  int status = js_schedule_create(net, mixed ? JS_PRECISION_SINGLE : precision, &s);
  if (status)
    return status;
  if (mixed && (status = js_schedule_create(net, JS_PRECISION_DOUBLE, &exact))) {
    js_schedule_free(&s);
    return status;
  }
  status = plan_with(net, &s, mixed ? &exact : NULL, n_samples, n_vectors, solver_bytes, budget,
                     within, plan);
  js_schedule_free(&s);
  if (mixed)
    js_schedule_free(&exact);
  return status;
}

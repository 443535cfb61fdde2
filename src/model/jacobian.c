/* The Jacobian of a network at (theta, X) as a matrix-free operator:
 * rows = nK (outputs, sample-major), cols = p (trained parameters).
 *
 * It is a snapshot: it copies the parameter values when it is created, so
 * "J at theta_0" is an object one can hold while the network moves on, and
 * it owns the cache of the products' forward data (schedule.h), which is
 * valid for its whole life because neither theta nor X can change under
 * it. The first product fills the cache; later ones skip the forward pass.
 * Only its maker may aim it anew (js_jacobian_reaim: a new snapshot in the
 * same memory, for the next SGD batch).
 *
 * The products compute in the options' precision: in double the public
 * vectors are used in place; in single the parameters are converted once,
 * the p x b block once per product in chunks of JS_FLOAT_BLOCK vectors,
 * and output rows per batch. A mixed-precision Jacobian is a double one
 * that holds a single-precision twin of itself (js_jacobian_fast): the
 * twin has the cache, for the many Lanczos products; the double one
 * computes the few block products of the refinement without one. */
#include "model/jacobian.h"

#include "core/error.h"
#include "linop/linop.h"

#include <stdlib.h>
#include <string.h>

struct js_jacobian {
  const js_net *net;     /* borrowed: the graph */
  const double *x;       /* borrowed: n x d inputs */
  int64_t n, d, K, p;
  js_jacobian_options opt;
  js_schedule sched;
  double *values;        /* the parameter values at creation (double; NULL in single) */
  void *values_k;        /* the same in the products' type: = values, or floats */
  void *block;           /* single: a p x b block in float */
  size_t block_size;
  void *cache;           /* forward data of all n samples, or NULL */
  size_t cache_size;
  int cache_valid;       /* filled by a product */
  int cache_off;         /* too large for cache_limit, or its allocation failed */
  void **cache_value, **cache_saved; /* views of the cache, all n rows */
  void *work;
  size_t work_size;
  void **views;          /* value, saved and tangent arrays for js_exec (3 n_nodes) */
  unsigned char *opened;
  js_linop *twin;        /* mixed precision: the same J in single, owned; or NULL */
  struct js_jacobian *partner; /* mixed: the other of the pair, or NULL */
};
typedef struct js_jacobian jacobian;

void js_jacobian_options_init_defaults(js_jacobian_options *opt) {
  *opt = (js_jacobian_options){.batch_size = 0, .workspace_limit = 0,
                               .cache_limit = (size_t)1 << 30,
                               .precision = JS_PRECISION_DOUBLE, .comm = NULL};
}

static void jacobian_free(void *ctx) {
  jacobian *jac = ctx;
  if (!jac)
    return;
  if (jac->values_k != jac->values)
    free(jac->values_k);
  free(jac->values);
  free(jac->block);
  free(jac->cache);
  free(jac->cache_value);
  free(jac->work);
  free(jac->views);
  free(jac->opened);
  js_schedule_free(&jac->sched);
  js_linop_free(jac->twin);
  free(jac);
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

/* 1 when the products run from the cache (allocated on first use); a
 * cache that does not fit or cannot be had turns caching off for good. */
static int use_cache(jacobian *jac) {
  if (jac->cache || jac->cache_off)
    return jac->cache != NULL;
  const js_schedule *s = &jac->sched;
  size_t need = js_schedule_data_bytes(s, jac->n);
  if (s->data_per_sample == 0 || need > jac->opt.cache_limit) {
    jac->cache_off = 1;
    return 0;
  }
  jac->cache = js_alloc(need, 1, "activation cache");
  jac->cache_value = js_alloc(2 * (size_t)s->n_nodes, sizeof(void *), "cache views");
  if (!jac->cache || !jac->cache_value) {
    js_clear_error(); /* not an error: the products recompute instead */
    free(jac->cache);
    free(jac->cache_value);
    jac->cache = NULL;
    jac->cache_value = NULL;
    jac->cache_off = 1;
    return 0;
  }
  jac->cache_size = need;
  jac->cache_saved = jac->cache_value + s->n_nodes;
  js_schedule_lay_out(s, jac->cache, jac->n, jac->cache_value, jac->cache_saved);
  return 1;
}

/* Samples per batch for blocks of b: the options', or the most whose
 * workspace fits workspace_limit (js_schedule_batch_cap when 0). Per b,
 * because a batch sized for a block of r vectors gives one vector r times
 * fewer samples than fit (issue #12 measured such products 10-13 % slower
 * with two threads; with one, README, the difference is in the noise). */
static int64_t batch_samples(const jacobian *jac, int64_t b, int cached) {
  int64_t batch = jac->opt.batch_size;
  size_t limit = jac->opt.workspace_limit ? jac->opt.workspace_limit
                                          : js_schedule_batch_cap(&jac->sched);
  if (batch == 0)
    batch = js_schedule_fit_batch(&jac->sched, limit, jac->n, b, cached, 0);
  return batch < jac->n ? batch : jac->n;
}

/* Sets up e for a product of b vectors: the workspace, the views and, in
 * single precision, the float block. *B and *cached are the batch plan.
 * The two of a mixed pair take turns with one workspace: each frees the
 * other's (and the twin's float block), so the pair never holds both. */
static int begin(jacobian *jac, int64_t b, js_exec *e, int64_t *B, int *cached) {
  const js_schedule *s = &jac->sched;
  if (jac->partner) {
    free(jac->partner->work);
    free(jac->partner->block);
    jac->partner->work = jac->partner->block = NULL;
    jac->partner->work_size = jac->partner->block_size = 0;
  }
  *cached = use_cache(jac);
  *B = batch_samples(jac, b, *cached);
  int rc = grow(&jac->work, &jac->work_size, js_schedule_workspace(s, *B, b, *cached),
                "Jacobian workspace");
  if (!rc && s->k->size != sizeof(double))
    rc = grow(&jac->block, &jac->block_size, s->k->size * (size_t)(jac->p * b),
              "float parameter block");
  if (rc)
    return rc;
  int n = s->n_nodes;
  size_t slots = js_schedule_slot_bytes(s, *B, b);
  *e = (js_exec){.s = s, .k = s->k, .values = jac->values_k, .value = jac->views,
                 .saved = jac->views + n, .tangent = jac->views + 2 * n,
                 .opened = jac->opened, .slots = jac->work,
                 .scratch = (char *)jac->work + slots};
  if (!*cached) /* the forward data of one batch sits at the workspace's end */
    js_schedule_lay_out(s, (char *)jac->work + (jac->work_size - js_schedule_data_bytes(s, *B)),
                        *B, e->value, e->saved);
  return JS_OK;
}

/* The forward data of samples [i0, i0 + nb): views into the cache, and
 * the forward pass unless the cache already holds it. */
static void batch_forward(jacobian *jac, js_exec *e, int cached, int64_t i0, int64_t nb) {
  const js_schedule *s = &jac->sched;
  const js_net *net = jac->net;
  if (cached)
    for (int i = 0; i < s->n_nodes; i++) {
      size_t value_row = s->k->size * (size_t)net->nodes[i].size;
      e->value[i] = jac->cache_value[i] ? (char *)jac->cache_value[i] + value_row * i0 : NULL;
      e->saved[i] = jac->cache_saved[i] ? (char *)jac->cache_saved[i] + s->saved_bytes[i] * i0
                                        : NULL;
    }
  const double *x = jac->x + i0 * jac->d;
  if (s->input_direct) {
    e->value[0] = (void *)x;
  } else if (!cached || !jac->cache_valid) {
    if (!s->kept[0]) /* a transient slot: single precision, input not kept */
      e->value[0] = js_elem(s->k, e->slots, s->value_slot[0] * nb);
    s->k->from_double(e->value[0], x, nb * jac->d);
  }
  if (!cached || !jac->cache_valid)
    js_exec_forward(e, nb);
}

static int jacobian_jvp(jacobian *jac, int64_t b, const double *v, double *jv) {
  js_exec e;
  int64_t B;
  int cached;
  int rc = begin(jac, b, &e, &B, &cached);
  if (rc)
    return rc;
  const js_kernels *k = jac->sched.k;
  const void *tangents = v; /* p x b in the products' precision */
  if (jac->block) {
    k->from_double(jac->block, v, jac->p * b);
    tangents = jac->block;
  }
  int64_t rows = jac->n * jac->K;
  for (int64_t i0 = 0; i0 < jac->n; i0 += B) {
    int64_t nb = jac->n - i0 < B ? jac->n - i0 : B;
    batch_forward(jac, &e, cached, i0, nb);
    js_exec_jvp(&e, tangents, nb, b);
    const void *out = e.tangent[jac->net->output]; /* (b, nb, K) */
    for (int64_t j = 0; j < b; j++)
      k->to_double(jv + j * rows + i0 * jac->K, js_elem(k, out, j * nb * jac->K), nb * jac->K);
  }
  jac->cache_valid |= cached;
  return JS_OK;
}

static int jacobian_vjp(jacobian *jac, int64_t b, const double *u, double *g) {
  js_exec e;
  int64_t B;
  int cached;
  int rc = begin(jac, b, &e, &B, &cached);
  if (rc)
    return rc;
  const js_kernels *k = jac->sched.k;
  void *grad = jac->block ? jac->block : g; /* p x b in the products' precision */
  memset(grad, 0, k->size * (size_t)(jac->p * b));
  int64_t rows = jac->n * jac->K;
  int f = jac->net->output;
  for (int64_t i0 = 0; i0 < jac->n; i0 += B) {
    int64_t nb = jac->n - i0 < B ? jac->n - i0 : B;
    batch_forward(jac, &e, cached, i0, nb);
    js_exec_tangent_slots(&e, jac->sched.cotangent_slot, nb, b);
    for (int64_t j = 0; j < b; j++)
      k->from_double(js_elem(k, e.tangent[f], j * nb * jac->K), u + j * rows + i0 * jac->K,
                     nb * jac->K);
    js_exec_vjp(&e, grad, nb, b);
  }
  if (jac->block)
    k->to_double(g, jac->block, jac->p * b);
  jac->cache_valid |= cached;
  return JS_OK;
}

int js_jacobian_each_batch(js_jacobian *jac, js_batch_fn fn, void *ctx) {
  js_exec e;
  int64_t B;
  int cached;
  int rc = begin(jac, 1, &e, &B, &cached);
  for (int64_t i0 = 0; rc == JS_OK && i0 < jac->n; i0 += B) {
    int64_t nb = jac->n - i0 < B ? jac->n - i0 : B;
    batch_forward(jac, &e, cached, i0, nb);
    rc = fn(ctx, &e, i0, nb);
  }
  if (rc == JS_OK) /* a walk stopped half-way leaves the cache unfilled */
    jac->cache_valid |= cached;
  return rc;
}

/* f (n x K, double) = the outputs, by the products' forward pass: with the
 * cache on, the pass fills it, and the products that follow skip it. Only
 * on a snapshot whose cache is not yet filled: the output node's value is
 * valid after a forward pass, not kept in the cache. */
typedef struct outputs_walk {
  const jacobian *jac;
  double *f;
} outputs_walk;

static int copy_outputs(void *ctx, const js_exec *e, int64_t i0, int64_t nb) {
  outputs_walk *w = ctx;
  int64_t K = w->jac->K;
  e->k->to_double(w->f + i0 * K, e->value[w->jac->net->output], nb * K);
  return JS_OK;
}

static int jacobian_apply(void *ctx, int transpose, int64_t n_vectors, const double *in,
                          double *out) {
  jacobian *jac = ctx;
  if (!in || !out) /* the header's promise: bad input is an error, not a crash */
    return js_fail(JS_EINVAL, "Jacobian %s: the %s block is NULL",
                   transpose ? "J^T u" : "J v", in ? "output" : "input");
  /* Vector j of a block is column j: a chunk of vectors is a sub-block. */
  int64_t chunk = js_schedule_chunk(&jac->sched, n_vectors), rows = jac->n * jac->K;
  for (int64_t j = 0; j < n_vectors; j += chunk) {
    int64_t c = n_vectors - j < chunk ? n_vectors - j : chunk;
    int rc = transpose ? jacobian_vjp(jac, c, in + j * rows, out + j * jac->p)
                       : jacobian_jvp(jac, c, in + j * jac->p, out + j * rows);
    if (rc)
      return rc;
  }
  return JS_OK;
}

js_jacobian *js_jacobian_of(const js_linop *op) {
  return js_linop_ctx_of(op, jacobian_apply);
}

js_linop *js_jacobian_fast(const js_linop *op) {
  const js_jacobian *jac = op ? js_jacobian_of(op) : NULL;
  return jac ? jac->twin : NULL;
}

const js_schedule *js_jacobian_schedule(const js_jacobian *jac) { return &jac->sched; }
const void *js_jacobian_values(const js_jacobian *jac) { return jac->values_k; }
int64_t js_jacobian_samples(const js_jacobian *jac) { return jac->n; }

/* The snapshot: the network's values with theta in (NULL: as they are),
 * in double, or in single precision as the float copy alone (the products
 * read only it). A second call (js_jacobian_reaim) writes into the first's
 * arrays. */
static int take_snapshot(jacobian *jac, const double *theta) {
  const js_net *net = jac->net;
  double *values = jac->values ? jac->values
                               : js_alloc((size_t)net->n_values, sizeof(double),
                                          "Jacobian parameters");
  if (!values)
    return JS_ENOMEM;
  memcpy(values, net->values, sizeof(double) * (size_t)net->n_values);
  if (theta)
    js_graph_scatter_theta(net, theta, values);
  if (jac->opt.precision != JS_PRECISION_SINGLE) {
    jac->values = jac->values_k = values;
    return JS_OK;
  }
  if (!jac->values_k &&
      !(jac->values_k = js_alloc((size_t)net->n_values, sizeof(float), "float parameters"))) {
    free(values);
    return JS_ENOMEM;
  }
  jac->sched.k->from_double(jac->values_k, values, net->n_values);
  free(values);
  jac->values = NULL;
  return JS_OK;
}

/* The data's samples fit the network's input: the same size, and the same
 * shape unless the data is flat (then it is reshaped). */
static int check_data(const js_net *net, const js_dataset *data) {
  if (!data->x || data->n_samples < 1)
    return js_fail(JS_EINVAL, "js_jacobian_create: the data set has no samples");
  js_shape want = js_net_input_shape(net);
  char have_text[64], want_text[64];
  js_shape_format(&want, want_text, sizeof want_text);
  js_shape have = data->shape.ndim ? data->shape : (js_shape){1, {data->dim, 0, 0}};
  js_shape_format(&have, have_text, sizeof have_text);
  int same = have.ndim == want.ndim;
  for (int a = 0; same && a < have.ndim; a++)
    same = have.dim[a] == want.dim[a];
  if (data->dim != net->nodes[0].size || (!same && have.ndim != 1 && want.ndim != 1))
    return js_fail(JS_EINVAL, "the data's samples are %s (%lld values), the network's input "
                   "is %s (%lld values)", have_text, (long long)data->dim, want_text,
                   (long long)net->nodes[0].size);
  if (data->n_outputs != js_net_n_outputs(net))
    return js_fail(JS_EINVAL, "the data has %lld outputs per sample, the network %lld",
                   (long long)data->n_outputs, (long long)js_net_n_outputs(net));
  return JS_OK;
}

/* Mixed precision: the double Jacobian without a cache and its single
 * twin with the cache, taking turns with one workspace of workspace_limit
 * (the twin at most single precision's cap of it; jacspec.h). */
static int create_mixed(const js_net *net, const double *theta, const js_dataset *data,
                        const js_jacobian_options *opt, double *f, js_linop **out) {
  js_jacobian_options exact = *opt, single = *opt;
  size_t float_cap = JS_BATCH_CAP / sizeof(double) * sizeof(float);
  exact.precision = JS_PRECISION_DOUBLE;
  exact.cache_limit = 0;
  single.precision = JS_PRECISION_SINGLE;
  if (single.workspace_limit > float_cap)
    single.workspace_limit = float_cap;
  js_linop *twin = NULL;
  int rc = js_jacobian_create_at(net, theta, data, &single, &twin);
  if (!rc && (rc = js_jacobian_create_outputs(net, theta, data, &exact, f, out)))
    js_linop_free(twin);
  if (rc)
    return rc;
  jacobian *jac = js_jacobian_of(*out);
  jac->twin = twin;
  jac->partner = js_jacobian_of(twin);
  jac->partner->partner = jac;
  return JS_OK;
}

int js_jacobian_create_outputs(const js_net *net, const double *theta,
                               const js_dataset *data, const js_jacobian_options *opt,
                               double *f, js_linop **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_jacobian_create: output pointer is NULL");
  *out = NULL;
  if (!net || !data)
    return js_fail(JS_EINVAL, "js_jacobian_create: %s is NULL",
                   net ? "the data set" : "the network");
  js_jacobian_options defaults;
  js_jacobian_options_init_defaults(&defaults);
  opt = opt ? opt : &defaults;
  if (opt->precision == JS_PRECISION_MIXED)
    return create_mixed(net, theta, data, opt, f, out);
  if (opt->batch_size < 0 ||
      (opt->precision != JS_PRECISION_DOUBLE && opt->precision != JS_PRECISION_SINGLE))
    return js_fail(JS_EINVAL, "js_jacobian_create: batch_size %lld (need >= 0, 0: automatic) "
                   "or precision %d is not valid", (long long)opt->batch_size,
                   (int)opt->precision);
  if (net->n_theta < 1)
    return js_fail(JS_EINVAL, "js_jacobian_create: the network has no trained parameter");
  int rc = check_data(net, data);
  if (rc)
    return rc;
  jacobian *jac = js_alloc(1, sizeof *jac, "Jacobian operator");
  if (!jac)
    return JS_ENOMEM;
  *jac = (jacobian){.net = net, .x = data->x, .n = data->n_samples, .d = data->dim,
                    .K = data->n_outputs, .p = net->n_theta, .opt = *opt};
  if ((rc = js_schedule_create(net, opt->precision, &jac->sched)))
    goto fail;
  if (!jac->sched.active[net->output]) {
    rc = js_fail(JS_EINVAL, "js_jacobian_create: no trained parameter tensor is on a path "
                 "to the output");
    goto fail;
  }
  int n = net->n_nodes;
  jac->views = js_alloc(3 * (size_t)n, sizeof(void *), "Jacobian views");
  jac->opened = js_alloc((size_t)n, 1, "Jacobian flags");
  if (!jac->views || !jac->opened) {
    rc = JS_ENOMEM;
    goto fail;
  }
  if ((rc = take_snapshot(jac, theta)))
    goto fail;
  outputs_walk walk = {jac, f};
  if ((f && (rc = js_jacobian_each_batch(jac, copy_outputs, &walk))) ||
      (rc = js_linop_create(jac->n * jac->K, jac->p, jacobian_apply, jac, out)))
    goto fail;
  js_linop_set_ctx_free(*out, jacobian_free);
  /* A rank's Jacobian is the Jacobian on its shard: its rows of J, and
   * J^T u summed over the ranks by the operator. */
  if (opt->comm) {
    int64_t total = data->total_samples ? data->total_samples : data->n_samples;
    if ((rc = js_linop_set_shard(*out, opt->comm, data->first_sample * jac->K,
                                 total * jac->K))) {
      js_linop_free(*out);
      *out = NULL;
      return rc;
    }
  }
  return JS_OK;
fail:
  jacobian_free(jac);
  return rc;
}

/* Neither half of a mixed pair (its twin holds the snapshot in the other
 * precision) nor a shard of a distributed J is aimed anew. */
int js_jacobian_can_reaim(const js_linop *op) {
  const jacobian *jac = op ? js_jacobian_of(op) : NULL;
  return jac && !jac->partner && !jac->opt.comm;
}

/* A new snapshot in the old one's memory: the parameters at theta and the
 * inputs `data`, the cache emptied (its contents were of the old pair);
 * the workspace, the cache and the float block stay allocated, so a loop
 * of SGD steps does not map and fault in its buffers every step. */

int js_jacobian_reaim(js_linop *op, const double *theta, const js_dataset *data, double *f) {
  jacobian *jac = js_jacobian_can_reaim(op) ? js_jacobian_of(op) : NULL;
  if (!jac || !data || data->n_samples != jac->n || data->dim != jac->d ||
      data->n_outputs != jac->K)
    return js_fail(JS_EINVAL, "js_jacobian_reaim: only a one-process Jacobian outside a "
                   "mixed pair, on as many samples (%lld) of the same size, can be aimed anew",
                   (long long)(jac ? jac->n : 0));
  int rc = take_snapshot(jac, theta);
  if (rc)
    return rc;
  jac->x = data->x;
  jac->cache_valid = 0;
  outputs_walk walk = {jac, f};
  return f ? js_jacobian_each_batch(jac, copy_outputs, &walk) : JS_OK;
}

int js_jacobian_create_at(const js_net *net, const double *theta, const js_dataset *data,
                          const js_jacobian_options *opt, js_linop **out) {
  return js_jacobian_create_outputs(net, theta, data, opt, NULL, out);
}

int js_jacobian_create(const js_net *net, const js_dataset *data,
                       const js_jacobian_options *opt, js_linop **out) {
  return js_jacobian_create_outputs(net, NULL, data, opt, NULL, out);
}

int js_net_forward(const js_net *net, const double *x, int64_t n_samples, double *f) {
  if (!net || !x || !f)
    return js_fail(JS_EINVAL, "js_net_forward: %s is NULL",
                   !net ? "the network" : !x ? "the input x" : "the output");
  if (n_samples < 1)
    return js_fail(JS_EINVAL, "js_net_forward: n_samples = %lld, must be >= 1",
                   (long long)n_samples);
  return js_exec_outputs(net, net->values, x, n_samples, f);
}

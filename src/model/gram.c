/* The exact Gram matrix G = J J^T (the empirical NTK, nK x nK) of a network
 * whose active nodes form a chain of dense layers, activations and
 * flattens, formed by GEMMs without ever forming J (nK x p).
 *
 * Row (i, k) of J restricted to a trained dense layer l, z_l = a_l W_l^T +
 * b_l with input a_l, is s_{l,k}(x_i) (x) [a_l(x_i), 1], where s_{l,k} =
 * df_k / dz_l is the output sensitivity (dW_l[o, j] = s[o] a[j], db_l[o] =
 * s[o]). Hence
 *   G[(i,k), (j,k')] = sum_l c_l(i, j) <s_{l,k}(x_i), s_{l,k'}(x_j)>,        (1)
 *   c_l(i, j) = [W_l trained] <a_l(x_i), a_l(x_j)> + [b_l trained],
 * that is G = sum_l (C_l (x) 1_{K x K}) (.) (S_l S_l^T), with C_l (n x n)
 * and S_l (nK x m_l, row i K + k) the sensitivities. Those come from one
 * reverse walk per batch with the K unit cotangents of every sample:
 *   s = e_k at f;  s_in = s W through a dense node;
 *   s_z = s_h (.) phi'(z) through an activation;  s through a flatten.     (2)
 *
 * Legend: n samples, K outputs, N = nK, T samples in a tile (TK rows),
 * m_in / m_out a dense layer's input / output size. Factors A_l (n, m_in)
 * and S_l (N, m_out) are in the products' type (single precision forms G
 * with sgemm); G itself is double, and only its lower triangle is written
 * and read (js_symv, js_symm), so the upper half of its pages is never
 * touched. */
#include "jacspec.h"

#include "core/blas.h"
#include "core/comm.h"
#include "core/error.h"
#include "linop/linop.h"
#include "model/jacobian.h"
#include "model/ops/ops.h"

#include <stdlib.h>
#include <string.h>

/* Rows of a tile of G (T K): GEMMs of this size run at full speed, the
 * diagonal tiles' upper halves (computed, not needed) cost TILE_ROWS / nK
 * of the work, and the tile's scratch (2 MiB in double) is small next to
 * G. */
#define TILE_ROWS 512

/* A product with G reads its lower triangle, 4 N^2 bytes, at memory speed:
 * on the development machine dsymv took as long as 4.3 to 5.3 times its
 * 2 N^2 flops at the dgemm rate (bench/gram, N = 2700 and 9000). */
#define STEP_WEIGHT 5.0
/* Forming G also touches its lower triangle for the first time (a page
 * fault a page, most of it) and passes over it in the Hadamard products:
 * beyond the GEMMs, as long as 22 to 27 products with G (bench/gram,
 * N = 9000). */
#define FORM_PASSES 25.0

typedef struct layer {
  int node;
  int weight, bias;      /* trained */
  int64_t in, out;       /* m_in, m_out */
  void *a;               /* (n, m_in) inputs, NULL when W is not trained */
  void *s;               /* (N, m_out) sensitivities */
} layer;

typedef struct chain {
  const js_net *net;
  const js_kernels *k;
  const void *values;    /* parameter values in k's type */
  int64_t n, K;
  int *node;             /* the active nodes from f down */
  int length;
  layer *layers;         /* the trained dense layers, from f down */
  int n_layers;
  int64_t widest;        /* the largest node size on the chain */
  void *work[2];         /* (B K, widest) each: the sensitivities of a batch */
} chain;

static void chain_free(chain *c) {
  for (int l = 0; l < c->n_layers; l++) {
    free(c->layers[l].a);
    free(c->layers[l].s);
  }
  free(c->layers);
  free(c->node);
  free(c->work[0]);
  free(c->work[1]);
}

/* The active nodes from f down, which must be dense layers, activations
 * and flattens each on one input (so they are a chain); the trained dense
 * layers among them. JS_EINVAL naming the first node that is not. */
static int chain_find(const js_net *net, const js_schedule *s, int64_t n, chain *c) {
  *c = (chain){.net = net, .k = s->k, .n = n, .K = js_net_n_outputs(net)};
  c->node = js_alloc((size_t)net->n_nodes, sizeof(int), "Gram chain");
  c->layers = js_alloc((size_t)net->n_nodes, sizeof(layer), "Gram layers");
  if (!c->node || !c->layers)
    return JS_ENOMEM;
  for (int j = net->output; j > 0 && s->active[j]; j = net->nodes[j].input[0]) {
    const js_node *node = &net->nodes[j];
    if ((node->kind != JS_OP_DENSE && node->kind != JS_OP_ACTIVATION &&
         node->kind != JS_OP_FLATTEN) || node->n_inputs != 1)
      return js_fail(JS_EINVAL, "explicit Gram: the trained part of the network must be a "
                     "chain of dense layers and activations, and node %d is %s: use the "
                     "implicit Gram J (J^T x)", j, js_op_of(node->kind)->name);
    c->node[c->length++] = j;
    c->widest = node->size > c->widest ? node->size : c->widest;
    if (node->kind != JS_OP_DENSE)
      continue;
    int weight = net->params[node->param[0]].trained;
    int bias = node->param[1] >= 0 && net->params[node->param[1]].trained;
    if (weight || bias)
      c->layers[c->n_layers++] = (layer){.node = j, .weight = weight, .bias = bias,
                                         .in = node->in_size, .out = node->size};
  }
  return JS_OK;
}

int js_net_gram_cost(const js_net *net, int64_t n_samples, js_gram_cost *out) {
  if (!net || !out || n_samples < 1)
    return js_fail(JS_EINVAL, "js_net_gram_cost: %s", !net ? "the network is NULL"
                   : !out ? "the output pointer is NULL" : "n_samples must be >= 1");
  js_schedule s;
  int status = js_schedule_create(net, JS_PRECISION_DOUBLE, &s);
  if (status)
    return status;
  chain c;
  status = chain_find(net, &s, n_samples, &c);
  double n = (double)n_samples, N = n * (double)c.K;
  *out = (js_gram_cost){.step_flops = STEP_WEIGHT * 2.0 * N * N,
                        .bytes = (size_t)(N * N) * sizeof(double)};
  out->form_flops = FORM_PASSES * out->step_flops;
  for (int t = 0; status == JS_OK && t < c.length; t++) {
    const js_node *node = &net->nodes[c.node[t]];
    if (node->kind != JS_OP_DENSE)
      continue;
    double mm = (double)node->size * (double)node->in_size;
    int below = s.active[node->input[0]];
    int weight = net->params[node->param[0]].trained;
    /* J v: the propagated term x dW^T and dx W^T; J^T u: dW and gx. */
    out->implicit_flops += 4.0 * n * mm * (weight + below);
    if (below) /* (2): s W for the K cotangents of every sample */
      out->form_flops += 2.0 * N * mm;
  }
  for (int l = 0; l < c.n_layers; l++) {
    const layer *ly = &c.layers[l];
    /* (1) on the lower triangle: S S^T and A A^T. */
    out->form_flops += N * N * (double)ly->out + (ly->weight ? n * n * (double)ly->in : 0);
    out->bytes += (size_t)(N * (double)ly->out + (ly->weight ? n * (double)ly->in : 0)) *
                  sizeof(double);
  }
  /* The tiles' scratch, and the two sensitivity blocks of a batch (at
   * most all n samples). */
  int64_t T = TILE_ROWS / c.K > 0 ? TILE_ROWS / c.K : 1;
  T = T < n_samples ? T : n_samples;
  double tile_rows = (double)(T * c.K); /* single precision: a float and a double tile */
  out->bytes += (size_t)(1.5 * (tile_rows * tile_rows + (double)(T * T)) +
                         2.0 * N * (double)c.widest) * sizeof(double);
  chain_free(&c);
  js_schedule_free(&s);
  return status;
}

/* Sensitivities of one batch by (2), walking the chain from f down; a
 * trained dense layer's are copied out with its inputs. */
static int batch_sensitivities(void *ctx, const js_exec *e, int64_t i0, int64_t nb) {
  chain *c = ctx;
  const js_kernels *k = c->k;
  const js_net *net = c->net;
  int64_t K = c->K, rows = nb * K;
  if (!c->work[0]) { /* the first batch is the largest */
    c->work[0] = js_alloc((size_t)(rows * c->widest), k->size, "Gram sensitivity block");
    c->work[1] = js_alloc((size_t)(rows * c->widest), k->size, "Gram sensitivity block");
    if (!c->work[0] || !c->work[1])
      return JS_ENOMEM;
  }
  void *cur = c->work[0], *next = c->work[1];
  /* s = e_k at f: row (i, k) of the (nb K, K) block is e_k. */
  memset(cur, 0, k->size * (size_t)(rows * K));
  double one = 1.0;
  for (int64_t r = 0; r < rows; r++)
    k->from_double(js_elem(k, cur, r * K + r % K), &one, 1);
  int l = 0;
  for (int t = 0; t < c->length; t++) {
    const js_node *node = &net->nodes[c->node[t]];
    if (node->kind == JS_OP_ACTIVATION) {
      /* phi'(z) of sample s scales its K rows */
      for (int64_t s = 0; s < nb; s++)
        k->scale_block(js_elem(k, cur, s * K * node->size),
                       js_elem(k, e->saved[c->node[t]], s * node->size), node->size, K);
      continue;
    }
    if (node->kind != JS_OP_DENSE) /* a flatten: the same values */
      continue;
    int64_t in = node->in_size, out = node->size;
    if (l < c->n_layers && c->layers[l].node == c->node[t]) {
      layer *ly = &c->layers[l++];
      memcpy(js_elem(k, ly->s, i0 * K * out), cur, k->size * (size_t)(rows * out));
      if (ly->weight)
        memcpy(js_elem(k, ly->a, i0 * in), e->value[node->input[0]],
               k->size * (size_t)(nb * in));
    }
    if (t + 1 < c->length) { /* s_in = s W, W (out, in) */
      const void *w = js_elem(k, c->values, net->params[node->param[0]].offset);
      k->gemm(0, 0, rows, in, out, 1.0, cur, out, w, in, 0.0, next, in);
      void *swap = cur;
      cur = next;
      next = swap;
    }
  }
  return js_cancel_requested() ? js_fail(JS_ECANCELED, "explicit Gram: interrupted at "
                                         "sample %lld", (long long)(i0 + nb))
                               : JS_OK;
}

/* The explicit Gram as an operator: G x for each vector, both ways. */
typedef struct explicit_gram {
  double *g;  /* (N, N), lower triangle */
  int64_t N;
} explicit_gram;

static int gram_apply(void *ctx, int transpose, int64_t b, const double *x, double *y) {
  (void)transpose; /* G is symmetric */
  explicit_gram *eg = ctx;
  if (!x || !y)
    return js_fail(JS_EINVAL, "explicit Gram: a NULL block");
  js_symm(eg->N, b, eg->g, eg->N, x, y);
  return JS_OK;
}

static void gram_free(void *ctx) {
  explicit_gram *eg = ctx;
  if (eg)
    free(eg->g);
  free(eg);
}

/* Tile (I, J) of G, rows I0 K.. (ti samples) and columns J0 K.. (tj): (1)
 * summed over the layers. d and cd are (ti K, tj K) and (ti, tj) scratch
 * in k's type, dd and cdd the same in double (used in single precision). */
static void tile(const chain *c, double *g, int64_t I0, int64_t ti, int64_t J0, int64_t tj,
                 void *d, void *cd, double *dd, double *cdd) {
  const js_kernels *k = c->k;
  int64_t K = c->K, N = c->n * K, ri = ti * K, rj = tj * K;
  int wide = k->size == sizeof(double);
  const double *D = wide ? d : dd, *C = wide ? cd : cdd;
  for (int l = 0; l < c->n_layers; l++) {
    const layer *ly = &c->layers[l];
    k->gemm(0, 1, ri, rj, ly->out, 1.0, js_elem(k, ly->s, I0 * K * ly->out), ly->out,
            js_elem(k, ly->s, J0 * K * ly->out), ly->out, 0.0, d, rj);
    if (ly->weight)
      k->gemm(0, 1, ti, tj, ly->in, 1.0, js_elem(k, ly->a, I0 * ly->in), ly->in,
              js_elem(k, ly->a, J0 * ly->in), ly->in, 0.0, cd, tj);
    if (!wide) {
      k->to_double(dd, d, ri * rj);
      if (ly->weight)
        k->to_double(cdd, cd, ti * tj);
    }
    double bias = ly->bias ? 1.0 : 0.0;
    int first = l == 0;
#pragma omp parallel for if (ri * rj >= 65536)
    for (int64_t r = 0; r < ri; r++) {
      double *row = g + (I0 * K + r) * N + J0 * K;
      const double *dr = D + r * rj, *cr = C + (r / K) * tj;
      for (int64_t b = 0; b < tj; b++) { /* sample J0 + b: its K columns */
        double cb = (ly->weight ? cr[b] : 0.0) + bias;
        for (int64_t q = b * K; q < (b + 1) * K; q++)
          row[q] = first ? cb * dr[q] : row[q] + cb * dr[q];
      }
    }
  }
}

int js_jacobian_gram(js_linop *jacobian, js_linop **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_jacobian_gram: the output pointer is NULL");
  *out = NULL;
  js_jacobian *jac = js_jacobian_of(jacobian);
  if (!jac)
    return js_fail(JS_EINVAL, "js_jacobian_gram: the operator is not a network's Jacobian "
                   "(js_jacobian_create)");
  if (js_comm_distributed(js_linop_comm(jacobian)))
    return js_fail(JS_EINVAL, "explicit Gram: it runs on one process, and this Jacobian is "
                   "split across ranks");
  const js_schedule *s = js_jacobian_schedule(jac);
  chain c;
  int status = chain_find(s->net, s, js_jacobian_samples(jac), &c);
  explicit_gram *eg = NULL;
  int64_t K = c.K, N = c.n * K, T = TILE_ROWS / K > 0 ? TILE_ROWS / K : 1;
  T = T < c.n ? T : c.n;
  void *d = NULL, *cd = NULL;
  double *dd = NULL, *cdd = NULL;
  if (status)
    goto done;
  c.values = js_jacobian_values(jac);
  const js_kernels *k = c.k;
  for (int l = 0; l < c.n_layers; l++) {
    layer *ly = &c.layers[l];
    ly->s = js_alloc((size_t)(N * ly->out), k->size, "Gram sensitivities");
    ly->a = ly->weight ? js_alloc((size_t)(c.n * ly->in), k->size, "Gram layer inputs") : NULL;
    if (!ly->s || (ly->weight && !ly->a)) {
      status = JS_ENOMEM;
      goto done;
    }
  }
  eg = js_alloc(1, sizeof *eg, "explicit Gram");
  d = js_alloc((size_t)(T * K * T * K), k->size, "Gram tile");
  cd = js_alloc((size_t)(T * T), k->size, "Gram tile");
  if (k->size != sizeof(double)) {
    dd = js_alloc((size_t)(T * K * T * K), sizeof(double), "Gram tile");
    cdd = js_alloc((size_t)(T * T), sizeof(double), "Gram tile");
  }
  if (!eg || !d || !cd ||
      (k->size != sizeof(double) && (!dd || !cdd))) {
    status = JS_ENOMEM;
    goto done;
  }
  if ((status = js_jacobian_each_batch(jac, batch_sensitivities, &c)))
    goto done;
  eg->N = N;
  if (!(eg->g = js_alloc((size_t)N * (size_t)N, sizeof(double), "explicit Gram J J^T"))) {
    status = JS_ENOMEM;
    goto done;
  }
  for (int64_t I0 = 0; I0 < c.n; I0 += T) {
    int64_t ti = c.n - I0 < T ? c.n - I0 : T;
    for (int64_t J0 = 0; J0 <= I0; J0 += T)
      tile(&c, eg->g, I0, ti, J0, c.n - J0 < T ? c.n - J0 : T, d, cd, dd, cdd);
    if (js_cancel_requested()) {
      status = js_fail(JS_ECANCELED, "explicit Gram: interrupted at row %lld of %lld",
                       (long long)(I0 * K), (long long)N);
      goto done;
    }
  }
  if ((status = js_linop_create(N, N, gram_apply, eg, out)))
    goto done;
  js_linop_set_ctx_free(*out, gram_free);
  eg = NULL;
done:
  gram_free(eg);
  free(d);
  free(cd);
  free(dd);
  free(cdd);
  chain_free(&c);
  return status;
}

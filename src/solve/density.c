/* js_density: stochastic Lanczos quadrature of the singular values of J on
 * the smaller Gram side (jacspec.h, density section). Per probe v, m Lanczos
 * steps give T_m; its eigen-decomposition (LAPACK dstev) gives the Gauss
 * nodes theta_k and weights tau_k^2 = Z(0, k)^2 of the measure
 * mu_v = sum_i (v^T x_i)^2 delta_{lambda_i} (Golub and Meurant, ch. 6),
 * and N mu_v, averaged over probes, estimates the counting measure of the
 * eigenvalues of G, i.e. of the squared singular values of J. */
#include "solve/lanczos.h"
#include "solve/lapack.h"
#include "solve/svds.h"

#include "core/comm.h"
#include "core/error.h"
#include "core/rng.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Nodes below this times sigma_max are zero singular values: a zero
 * eigenvalue of G comes out of Lanczos as theta ~ m eps sigma_1^2 (seen up
 * to 1e-13 sigma_1^2 at N = 2000), i.e. sigma ~ 3e-7 sigma_1, so the Gram
 * side resolves nothing below about 1e-6 sigma_1. */
#define GRAM_RESOLUTION 1e-6
/* The automatic range ends this far above the largest node. */
#define RANGE_MARGIN 1.05

void js_density_options_init_defaults(js_density_options *opt) {
  *opt = (js_density_options){
      .probes = 20,
      .steps = 120,
      .probe = JS_PROBE_RADEMACHER,
      .seed = 1,
      .block = 4,
      .bins = 50,
      .range_lo = 0.0,
      .range_hi = 0.0,
      .log_bins = 0,
      .cutoff = 0.0,
      .gram = NULL,
      .progress = NULL,
      .progress_ctx = NULL,
  };
}

void js_density_result_free(js_density_result *res) {
  if (!res)
    return;
  free(res->nodes);
  free(res->weights);
  free(res->node_start);
  free(res->edges);
  free(res->counts);
  free(res);
}

static int check_options(const js_density_options *opt) {
  if (opt->probes < 1 || opt->steps < 1 || opt->bins < 1 || opt->block < 1)
    return js_fail(JS_EINVAL,
                   "density: probes (%lld), steps (%lld), bins (%lld) and block (%lld) "
                   "must each be >= 1",
                   (long long)opt->probes, (long long)opt->steps, (long long)opt->bins,
                   (long long)opt->block);
  if (opt->probes > INT_MAX || opt->bins > INT_MAX || opt->steps > INT_MAX)
    return js_fail(JS_ELIMIT, "density: probes, steps and bins must each be below 2^31");
  if (opt->probe != JS_PROBE_RADEMACHER && opt->probe != JS_PROBE_GAUSSIAN)
    return js_fail(JS_EINVAL, "density: probe kind %d is not Rademacher or Gaussian",
                   (int)opt->probe);
  double lo = opt->range_lo, hi = opt->range_hi;
  int automatic = lo == 0 && hi == 0;
  if (!isfinite(lo) || !isfinite(hi) ||
      (!automatic && (lo < 0 || lo >= hi || (opt->log_bins && lo <= 0))))
    return js_fail(JS_EINVAL,
                   "density: range %g:%g must have 0 <= lo < hi (lo > 0 on log bins), "
                   "or be 0:0 (automatic)",
                   lo, hi);
  if (!(opt->cutoff >= 0 && isfinite(opt->cutoff)))
    return js_fail(JS_EINVAL, "density: cut-off %g must be finite and >= 0", opt->cutoff);
  return JS_OK;
}

static int64_t steps_of(const js_density_options *opt, int64_t n) {
  return opt->steps < n ? opt->steps : n;
}

static int64_t block_of(const js_density_options *opt) {
  return opt->block < opt->probes ? opt->block : opt->probes;
}

size_t js_density_memory_bytes(const js_density_options *opt, int64_t rows, int64_t cols) {
  if (!opt || rows < 1 || cols < 1 || check_options(opt))
    return 0;
  int64_t n = rows < cols ? rows : cols, m_side = rows < cols ? cols : rows;
  int64_t m = steps_of(opt, n), b = block_of(opt);
  /* Lanczos block and Gram scratch; the nodes (3 arrays of probes * m);
   * the tridiagonal's eigenvectors (m x m). */
  return js_lanczos_block_bytes(n, b, m) + sizeof(double) * (size_t)(m_side * b) +
         3 * sizeof(double) * (size_t)(opt->probes * m) + sizeof(double) * (size_t)(m * m) +
         sizeof(double) * 2 * (size_t)(opt->bins + 1);
}

/* The unit vectors of probes first .. first + b - 1: probe l drawn by
 * global index from its own key (core/rng.h), so neither the block size
 * nor the number of ranks changes it. */
static void draw_probes(const js_gram *g, uint64_t seed, js_probe kind, int64_t first,
                        int64_t b, double *v) {
  int64_t n = g->n;
  for (int64_t c = 0; c < b; c++) {
    double *x = v + c * n;
    js_gram_draw(g, js_rng_key(seed, (uint64_t)(first + c)), kind == JS_PROBE_RADEMACHER, x);
    double norm = kind == JS_PROBE_RADEMACHER ? sqrt((double)g->n_global)
                                              : js_comm_nrm2(g->comm, n, x);
    for (int64_t i = 0; i < n; i++)
      x[i] /= norm;
  }
}

/* Gauss rule of one probe's T (k steps): nodes sigma = sqrt(max(theta, 0))
 * and weights N tau^2 appended at res->nodes + res->n_nodes. z is k x k. */
static int gauss_rule(js_density_result *res, const double *alpha, const double *beta,
                      int64_t k, double *z) {
  double *d = res->nodes + res->n_nodes, *w = res->weights + res->n_nodes;
  double *e = js_alloc((size_t)k, sizeof(double), "tridiagonal");
  double *work = js_alloc((size_t)(2 * k), sizeof(double), "dstev work");
  int status = JS_ENOMEM;
  if (!e || !work)
    goto done;
  memcpy(d, alpha, sizeof(double) * (size_t)k);
  memcpy(e, beta, sizeof(double) * (size_t)(k - 1 > 0 ? k - 1 : 0));
  int n = (int)k, info = 0;
  dstev_("V", &n, d, e, z, &n, work, &info, 1);
  if (info != 0) {
    status = js_fail(JS_ENUMERIC, "density: LAPACK dstev failed on a %d x %d tridiagonal "
                                  "(info = %d)", n, n, info);
    goto done;
  }
  for (int64_t j = 0; j < k; j++) {
    d[j] = sqrt(d[j] > 0 ? d[j] : 0.0);
    w[j] = (double)res->size * z[j * k] * z[j * k];
  }
  res->n_nodes += k;
  status = JS_OK;
done:
  free(e);
  free(work);
  return status;
}

typedef struct progress_relay {
  const js_density_options *opt;
  int64_t total;
} progress_relay;

static void relay(void *ctx, int64_t n_products) {
  progress_relay *r = ctx;
  js_progress p = {.stage = "density", .done = n_products, .total = r->total,
                   .restarts = -1, .converged = -1};
  r->opt->progress(r->opt->progress_ctx, &p);
}

/* All probes, block by block: the nodes and weights of res. */
static int quadrature(js_linop *op, const js_density_options *opt, js_density_result *res) {
  int64_t m = res->steps, b = block_of(opt);
  js_gram g = {0};
  js_lanczos_block lb = {0};
  double *z = js_alloc((size_t)(m * m), sizeof(double), "tridiagonal eigenvectors");
  int status = js_comm_agree(js_linop_comm(op), z ? JS_OK : JS_ENOMEM);
  if (status || (status = js_gram_init_block(&g, op, res->side, b)) ||
      (status = js_gram_use_explicit(&g, opt->gram)) ||
      (status = js_comm_agree(js_linop_comm(op), js_lanczos_block_init(&lb, g.n, b, m))))
    goto done;
  progress_relay r = {opt, opt->probes * m};
  int64_t products = 0;
  for (int64_t first = 0; first < opt->probes; first += b) {
    lb.b = opt->probes - first < b ? opt->probes - first : b;
    draw_probes(&g, opt->seed, opt->probe, first, lb.b, lb.x);
    if ((status = js_lanczos_run(&g, &lb, lb.x, opt->progress ? relay : NULL, &r,
                                 &products)))
      goto done;
    for (int64_t c = 0; c < lb.b; c++) {
      int64_t k = lb.steps[c];
      res->node_start[first + c] = res->n_nodes;
      if (k < m)
        res->breakdowns++;
      if ((status = gauss_rule(res, lb.alpha + c * m, lb.beta + c * m, k, z)))
        goto done;
    }
  }
  res->node_start[opt->probes] = res->n_nodes;
done:
  free(z);
  js_gram_free(&g);
  js_lanczos_block_free(&lb);
  return status;
}

/* The automatic range: 0 (linear) or the smallest resolved node (log) up to
 * RANGE_MARGIN sigma_max; [0, 1] for a zero operator. */
static void automatic_range(const js_density_result *res, double *lo, double *hi) {
  double top = res->sigma_max > 0 ? res->sigma_max : 1.0;
  *hi = RANGE_MARGIN * top;
  *lo = 0;
  if (!res->log_bins)
    return;
  double smallest = top;
  for (int64_t k = 0; k < res->n_nodes; k++)
    if (res->nodes[k] > GRAM_RESOLUTION * top && res->nodes[k] < smallest)
      smallest = res->nodes[k];
  *lo = smallest / RANGE_MARGIN;
}

/* The estimated fraction of probe l's singular values <= x. The Gauss rule
 * puts each weight w_k on one node; by the Chebyshev-Markov-Stieltjes
 * inequalities (Szego, Orthogonal Polynomials, section 3.41) the true distribution function at node x_k lies
 * between W_{k-1} and W_k (W_k = w_1 + ... + w_k), so the estimate takes
 * the midpoints W_{k-1} + w_k/2 at the nodes and interpolates linearly
 * between them; a step function would carry an error of up to w_k/2 at
 * every node, the same for every probe once N is large (the nodes then
 * hardly move between probes), which averaging cannot remove. Two
 * exceptions keep their weight on the node: nodes below the Gram side's
 * resolution, the zero singular values of a rank-deficient J (an atom at
 * 0), and the half weights beyond the first and last nodes. */
static double probe_cdf(const js_density_result *res, int64_t l, double x) {
  const double *s = res->nodes, *w = res->weights;
  int64_t first = res->node_start[l], end = res->node_start[l + 1];
  double zero = GRAM_RESOLUTION * res->sigma_max, below = 0;
  while (first < end && s[first] <= zero) { /* the atom at 0 */
    if (x >= 0)
      below += w[first];
    first++;
  }
  if (first == end || x < s[first])
    return below / (double)res->size;
  double knot = below + 0.5 * w[first];
  for (int64_t k = first; k + 1 < end; k++) {
    double next = knot + 0.5 * (w[k] + w[k + 1]);
    if (x < s[k + 1]) {
      double t = s[k + 1] > s[k] ? (x - s[k]) / (s[k + 1] - s[k]) : 1.0;
      return (knot + t * (next - knot)) / (double)res->size;
    }
    knot = next;
  }
  return 1.0;
}

double js_density_cdf(const js_density_result *res, double x) {
  double sum = 0;
  for (int64_t l = 0; l < res->probes; l++)
    sum += probe_cdf(res, l, x);
  return sum / (double)res->probes;
}

static void histogram(const js_density_options *opt, js_density_result *res) {
  double lo = opt->range_lo, hi = opt->range_hi;
  if (lo == 0 && hi == 0)
    automatic_range(res, &lo, &hi);
  int64_t bins = res->bins;
  double a = res->log_bins ? log(lo) : lo;
  double width = ((res->log_bins ? log(hi) : hi) - a) / (double)bins;
  for (int64_t i = 0; i <= bins; i++)
    res->edges[i] = res->log_bins ? exp(a + width * (double)i) : a + width * (double)i;
  res->edges[0] = lo;
  res->edges[bins] = hi;
  double n = (double)res->size;
  /* Nothing lies below 0: with lo = 0 the atom at 0 is in the first bin. */
  double previous = lo > 0 ? js_density_cdf(res, lo) : 0.0;
  res->below_range = n * previous;
  for (int64_t i = 0; i < bins; i++) {
    double next = js_density_cdf(res, res->edges[i + 1]);
    res->counts[i] = n * (next - previous);
    previous = next;
  }
  res->above_range = n * (1.0 - previous);
}

/* c(alpha) = N (1 - F_l(alpha)) per probe, then its mean and the standard
 * error of the mean. */
static void count_above(js_density_result *res) {
  res->count_above = res->count_above_stderr = NAN;
  if (res->cutoff <= 0)
    return;
  double sum = 0, sum2 = 0;
  for (int64_t l = 0; l < res->probes; l++) {
    double c = (double)res->size * (1.0 - probe_cdf(res, l, res->cutoff));
    sum += c;
    sum2 += c * c;
  }
  double p = (double)res->probes, mean = sum / p;
  res->count_above = mean;
  if (res->probes > 1) {
    double var = (sum2 - p * mean * mean) / (p - 1);
    res->count_above_stderr = sqrt((var > 0 ? var : 0) / p);
  }
}

static int result_alloc(js_linop *op, const js_density_options *opt, js_density_result **out) {
  js_density_result *res = js_alloc(1, sizeof *res, "density result");
  if (!res)
    return JS_ENOMEM;
  res->rows = js_linop_global_rows(op);
  res->cols = js_linop_cols(op);
  res->side = js_gram_side(op, JS_SIDE_AUTO);
  res->size = res->rows < res->cols ? res->rows : res->cols;
  res->probes = opt->probes;
  res->steps = steps_of(opt, res->size);
  res->bins = opt->bins;
  res->log_bins = opt->log_bins;
  res->cutoff = opt->cutoff;
  size_t nodes = (size_t)(res->probes * res->steps);
  res->nodes = js_alloc(nodes, sizeof(double), "quadrature nodes");
  res->weights = js_alloc(nodes, sizeof(double), "quadrature weights");
  res->node_start = js_alloc((size_t)res->probes + 1, sizeof(int64_t), "node offsets");
  res->edges = js_alloc((size_t)res->bins + 1, sizeof(double), "bin edges");
  res->counts = js_alloc((size_t)res->bins, sizeof(double), "bin counts");
  *out = res;
  if (!res->nodes || !res->weights || !res->node_start || !res->edges || !res->counts)
    return JS_ENOMEM;
  return JS_OK;
}

int js_density(js_linop *op, const js_density_options *opt, js_density_result **out) {
  if (!out)
    return js_fail(JS_EINVAL, "density: the result pointer is NULL");
  *out = NULL;
  if (!op || !opt)
    return js_fail(JS_EINVAL, "density: %s is NULL", op ? "the options" : "the operator");
  int status = check_options(opt);
  if (status)
    return status;
  js_svds_meter meter;
  js_svds_meter_start(&meter, op);
  int64_t gram_start = opt->gram ? js_linop_apply_count(opt->gram) : 0;
  js_density_result *res = NULL;
  if ((status = js_comm_agree(js_linop_comm(op), result_alloc(op, opt, &res))) ||
      (status = quadrature(op, opt, res)))
    goto done;
  for (int64_t k = 0; k < res->n_nodes; k++)
    if (res->nodes[k] > res->sigma_max)
      res->sigma_max = res->nodes[k];
  histogram(opt, res);
  count_above(res);
  js_svds_meter_read(&meter, op, &res->n_apply, &res->n_apply_t, &res->seconds);
  res->n_gram = opt->gram ? js_linop_apply_count(opt->gram) - gram_start : 0;
done:
  if (status) {
    js_density_result_free(res);
    res = NULL;
  }
  *out = res;
  return status;
}

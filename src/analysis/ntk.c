/* The analytic kernel of the paper's Definition 3.1 (the multiclass NTK):
 *   Sigma~(X)_ij = E_w[phi'(x_i^T w) phi'(x_j^T w)] x_i^T x_j,  w ~ N(0, I_d),
 * Sigma(X) = I_K (x) Sigma~(X). Only the pair (u, v) = (x_i^T w, x_j^T w)
 * enters the expectation: a centred Gaussian with variances ||x_i||^2,
 * ||x_j||^2 and correlation rho = cos(x_i, x_j). So each entry is a function
 * of two norms and one angle: in closed form where phi' is a step or
 * polynomial, by two-dimensional Gauss-Hermite quadrature otherwise.
 *
 * The kernel is formed (n x n, row-major) when it fits the dense limit;
 * otherwise it is an operator whose rows are recomputed in blocks at every
 * product, so memory stays O(n d + block n).
 *
 * Letters: n samples, d dimension, K outputs per sample, Q quadrature
 * nodes, b vectors of a block, R rows of a row block. */
#include "core/blas.h"
#include "core/error.h"
#include "model/activation.h"
#include "solve/lapack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_NODES = 64 };
static const double PI = 3.14159265358979323846;
/* Row blocks of the matrix-free kernel hold about this many entries. */
enum { ROW_BLOCK_ENTRIES = 1 << 21 };
/* Unit vectors per block when J J^T is formed column by column. */
enum { GRAM_BLOCK = 32 };

struct js_ntk {
  int64_t n, d;
  js_activation act;
  js_ntk_options opt;
  double *x;       /* n x d */
  double *norm;    /* n: ||x_i|| */
  double *unit;    /* n x d: x_i / ||x_i|| (0 for x_i = 0) */
  double *node;    /* Q: sqrt(2) t_a, so that z = node is N(0, 1)-distributed */
  double *weight;  /* Q: w_a / sqrt(pi), summing to 1 */
  double *matrix;  /* n x n when dense, else NULL */
  double *block;   /* matrix-free: R x n rows of the kernel, then of X X^T */
  int64_t block_rows; /* R */
  js_linop *op;
  js_linop *shifted; /* lambda I - Sigma~, for the smallest eigenvalues */
  double shift;
};

void js_ntk_options_init_defaults(js_ntk_options *opt) {
  *opt = (js_ntk_options){.nodes = 64,
                          .dense_limit = (size_t)1 << 30,
                          .tol = 1e-10,
                          .max_iter = 0,
                          .seed = 1};
}

/* Golub-Welsch: the Gauss-Hermite nodes are the eigenvalues of the Jacobi
 * matrix of the Hermite polynomials (zero diagonal, off-diagonal
 * sqrt(k / 2)), the weights sqrt(pi) times the squared first components of
 * its eigenvectors. Rescaled for the standard normal: E g(z) ~ sum_a
 * weight_a g(node_a). */
static int gauss_hermite(int q, double *node, double *weight) {
  double e[MAX_NODES], z[MAX_NODES * MAX_NODES], work[2 * MAX_NODES];
  int info = 0;
  for (int k = 0; k < q; k++) {
    node[k] = 0.0;
    e[k] = sqrt((k + 1) / 2.0);
  }
  dstev_("V", &q, node, e, z, &q, work, &info, 1);
  if (info)
    return js_fail(JS_ENUMERIC, "ntk: Gauss-Hermite nodes: LAPACK dstev info %d", info);
  for (int a = 0; a < q; a++) {
    weight[a] = z[a * q] * z[a * q]; /* sqrt(pi) z^2 / sqrt(pi) */
    node[a] *= sqrt(2.0);
  }
  return JS_OK;
}

/* E[phi'(u) phi'(v)] by quadrature: u = s_i z_1, v = s_j (rho z_1 +
 * c z_2) with z_1, z_2 independent N(0, 1) and c = sqrt(1 - rho^2). */
static double quadrature(const js_ntk *k, double s_i, double s_j, double rho, double c) {
  int64_t q = k->opt.nodes;
  double args[MAX_NODES * MAX_NODES], first[MAX_NODES] = {0};
  for (int64_t a = 0; a < q; a++) {
    first[a] = s_i * k->node[a];
    for (int64_t b = 0; b < q; b++)
      args[a * q + b] = s_j * (rho * k->node[a] + c * k->node[b]);
  }
  js_activation_derivative(k->act, first, first, q);
  js_activation_derivative(k->act, args, args, q * q);
  double sum = 0.0;
  for (int64_t a = 0; a < q; a++) {
    double inner = 0.0;
    for (int64_t b = 0; b < q; b++)
      inner += k->weight[b] * args[a * q + b];
    sum += k->weight[a] * first[a] * inner;
  }
  return sum;
}

/* The angle between x_i and x_j. acos(rho) and sqrt(1 - rho^2) amplify the
 * rounding of rho near +-1 to its square root (1e-8 from 1e-16), so there
 * the angle comes from the unit vectors by Kahan's
 * 2 atan2(||a - b||, ||a + b||), exact to rounding. */
static double angle(const js_ntk *k, int64_t i, int64_t j, double rho) {
  if (fabs(rho) < 0.9)
    return acos(rho);
  const double *a = k->unit + i * k->d, *b = k->unit + j * k->d;
  double minus = 0, plus = 0;
  for (int64_t c = 0; c < k->d; c++) {
    minus += (a[c] - b[c]) * (a[c] - b[c]);
    plus += (a[c] + b[c]) * (a[c] + b[c]);
  }
  return 2.0 * atan2(sqrt(minus), sqrt(plus));
}

/* E[phi'(u) phi'(v)] for samples i, j with Gram entry g = x_i^T x_j. */
static double expectation(const js_ntk *k, int64_t i, int64_t j, double g) {
  double s_i = k->norm[i], s_j = k->norm[j];
  double theta = angle(k, i, j, fmax(-1.0, fmin(1.0, g / (s_i * s_j))));
  switch (k->act.kind) {
  case JS_ACT_LINEAR: return 1.0;
  /* P(u > 0, v > 0) = (pi - theta) / (2 pi) (Sheppard): the arc-cosine kernel
   * of degree 0 (Cho and Saul). */
  case JS_ACT_RELU: return (PI - theta) / (2.0 * PI);
  /* phi' = 1 or s: the quadrants (+,+) and (-,-) have probability
   * (pi - theta) / (2 pi) each, (+,-) and (-,+) theta / (2 pi) each. */
  case JS_ACT_LEAKY: {
    double s = k->act.slope;
    return ((1.0 + s * s) * (PI - theta) + 2.0 * s * theta) / (2.0 * PI);
  }
  case JS_ACT_QUADRATIC: return g; /* phi'(z) = z: E[u v] */
  default: return quadrature(k, s_i, s_j, cos(theta), sin(theta));
  }
}

/* out[j] = Sigma~_ij for j in j0..n-1, from gram[j] = x_i^T x_j. */
static void kernel_row(const js_ntk *k, int64_t i, int64_t j0, const double *gram,
                       double *out) {
  for (int64_t j = j0; j < k->n; j++)
    out[j] = k->norm[i] > 0 && k->norm[j] > 0
                 ? expectation(k, i, j, gram[j]) * gram[j]
                 : 0.0; /* x_i = 0: the factor x_i^T x_j is 0 */
}

int js_ntk_rows(const js_ntk *ntk, int64_t first, int64_t count, double *out) {
  if (!ntk || !out || first < 0 || count < 1 || first + count > ntk->n)
    return js_fail(JS_EINVAL, "ntk: rows %lld..%lld of a kernel of %lld", (long long)first,
                   (long long)(first + count - 1), (long long)(ntk ? ntk->n : 0));
  int64_t n = ntk->n;
  if (ntk->matrix) {
    memcpy(out, ntk->matrix + first * n, sizeof(double) * (size_t)(count * n));
    return JS_OK;
  }
  /* out = X[first..] X^T, then each entry scaled in place. */
  js_gemm(0, 1, count, n, ntk->d, 1.0, ntk->x + first * ntk->d, ntk->d, ntk->x, ntk->d,
          0.0, out, n);
#pragma omp parallel for schedule(dynamic)
  for (int64_t r = 0; r < count; r++)
    kernel_row(ntk, first + r, 0, out + r * n, out + r * n);
  return JS_OK;
}

/* The dense kernel: X X^T, the upper triangle transformed, then mirrored. */
static void form_dense(js_ntk *k) {
  int64_t n = k->n;
  js_gemm(0, 1, n, n, k->d, 1.0, k->x, k->d, k->x, k->d, 0.0, k->matrix, n);
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < n; i++)
    kernel_row(k, i, i, k->matrix + i * n, k->matrix + i * n);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < i; j++)
      k->matrix[i * n + j] = k->matrix[j * n + i];
}

/* out = Sigma~ in (n x b each, column after column); symmetric, so the
 * transpose flag does not matter. */
static int apply_kernel(void *ctx, int transpose, int64_t b, const double *in,
                        double *out) {
  (void)transpose;
  js_ntk *k = ctx;
  int64_t n = k->n;
  if (k->matrix) {
    js_gemm(0, 1, b, n, n, 1.0, in, n, k->matrix, n, 0.0, out, n);
    return JS_OK;
  }
  for (int64_t first = 0; first < n; first += k->block_rows) {
    int64_t rows = n - first < k->block_rows ? n - first : k->block_rows;
    int status = js_ntk_rows(k, first, rows, k->block);
    if (status)
      return status;
    /* out[j n + first + r] = sum_c block[r, c] in[j n + c]. */
    js_gemm(0, 1, b, rows, n, 1.0, in, n, k->block, n, 0.0, out + first, n);
  }
  return JS_OK;
}

static int apply_shifted(void *ctx, int transpose, int64_t b, const double *in,
                         double *out) {
  js_ntk *k = ctx;
  int status = apply_kernel(ctx, transpose, b, in, out);
  if (status)
    return status;
  for (int64_t i = 0; i < b * k->n; i++)
    out[i] = k->shift * in[i] - out[i];
  return JS_OK;
}

void js_ntk_free(js_ntk *ntk) {
  if (!ntk)
    return;
  js_linop_free(ntk->op);
  js_linop_free(ntk->shifted);
  free(ntk->x);
  free(ntk->norm);
  free(ntk->unit);
  free(ntk->node);
  free(ntk->weight);
  free(ntk->matrix);
  free(ntk->block);
  free(ntk);
}

static int check_create(const double *x, int64_t n, int64_t d, js_activation act,
                        const js_ntk_options *opt) {
  if (!x || n < 1 || d < 1)
    return js_fail(JS_EINVAL, "ntk: need inputs of n, d >= 1 (got n = %lld, d = %lld%s)",
                   (long long)n, (long long)d, x ? "" : ", NULL x");
  if (opt->nodes < 2 || opt->nodes > MAX_NODES)
    return js_fail(JS_EINVAL, "ntk: %lld quadrature nodes, expected 2..%d",
                   (long long)opt->nodes, MAX_NODES);
  if (!(opt->tol > 0 && opt->tol < 1) || opt->max_iter < 0)
    return js_fail(JS_EINVAL, "ntk: tolerance %g must be in (0, 1) and max_iter %lld >= 0",
                   opt->tol, (long long)opt->max_iter);
  return js_activation_check(act, "ntk");
}

int js_ntk_create(const double *x, int64_t n, int64_t d, js_activation act,
                  const js_ntk_options *opt, js_ntk **out) {
  if (!out)
    return js_fail(JS_EINVAL, "ntk: the output pointer is NULL");
  *out = NULL;
  js_ntk_options defaults;
  js_ntk_options_init_defaults(&defaults);
  if (!opt)
    opt = &defaults;
  int status = check_create(x, n, d, act, opt);
  if (status)
    return status;
  js_ntk *k = js_alloc(1, sizeof *k, "ntk");
  if (!k)
    return JS_ENOMEM;
  *k = (js_ntk){.n = n, .d = d, .act = act, .opt = *opt};
  if (k->opt.max_iter == 0)
    k->opt.max_iter = 10 * n;
  int dense = (double)n * (double)n * sizeof(double) <= (double)opt->dense_limit;
  k->block_rows = dense ? 0 : (ROW_BLOCK_ENTRIES / n > 0 ? ROW_BLOCK_ENTRIES / n : 1);
  k->block_rows = k->block_rows > n ? n : k->block_rows;
  k->x = js_alloc((size_t)(n * d), sizeof(double), "ntk: inputs");
  k->norm = js_alloc((size_t)n, sizeof(double), "ntk: norms");
  k->unit = js_alloc((size_t)(n * d), sizeof(double), "ntk: directions");
  k->node = js_alloc((size_t)opt->nodes, sizeof(double), "ntk: nodes");
  k->weight = js_alloc((size_t)opt->nodes, sizeof(double), "ntk: weights");
  if (dense)
    k->matrix = js_alloc((size_t)n * (size_t)n, sizeof(double), "ntk: the dense kernel");
  else
    k->block = js_alloc((size_t)(k->block_rows * n), sizeof(double), "ntk: row block");
  if (!k->x || !k->norm || !k->unit || !k->node || !k->weight || !(k->matrix || k->block)) {
    js_ntk_free(k);
    return JS_ENOMEM;
  }
  memcpy(k->x, x, sizeof(double) * (size_t)(n * d));
  for (int64_t i = 0; i < n; i++) {
    k->norm[i] = js_nrm2(d, k->x + i * d);
    for (int64_t c = 0; c < d; c++)
      k->unit[i * d + c] = k->norm[i] > 0 ? k->x[i * d + c] / k->norm[i] : 0.0;
  }
  if ((status = gauss_hermite((int)opt->nodes, k->node, k->weight)) ||
      (status = js_linop_create(n, n, apply_kernel, k, &k->op)) ||
      (status = js_linop_create(n, n, apply_shifted, k, &k->shifted))) {
    js_ntk_free(k);
    return status;
  }
  if (dense)
    form_dense(k);
  *out = k;
  return JS_OK;
}

int64_t js_ntk_size(const js_ntk *ntk) { return ntk->n; }
int js_ntk_is_dense(const js_ntk *ntk) { return ntk->matrix != NULL; }
js_linop *js_ntk_operator(js_ntk *ntk) { return ntk->op; }

/* All n eigenvalues of the dense kernel, ascending (LAPACK dsyevr). */
static int dense_eigenvalues(const js_ntk *k, double *w) {
  int n = (int)k->n, m = 0, info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  int il = 1, iu = n;
  double vl = 0, vu = 0, abstol = 0, work_query = 0, z = 0;
  double *a = js_alloc((size_t)n * (size_t)n, sizeof *a, "ntk: eigenvalue copy");
  int *isuppz = js_alloc(2 * (size_t)n, sizeof *isuppz, "ntk: eigenvalue workspace");
  if (!a || !isuppz) {
    free(a);
    free(isuppz);
    return JS_ENOMEM;
  }
  memcpy(a, k->matrix, sizeof(double) * (size_t)n * (size_t)n);
  dsyevr_("N", "A", "U", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, w, &z, &n, isuppz,
          &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1, 1);
  lwork = (int)work_query;
  liwork = iwork_query;
  double *work = js_alloc((size_t)lwork, sizeof *work, "ntk: eigenvalue workspace");
  int *iwork = js_alloc((size_t)liwork, sizeof *iwork, "ntk: eigenvalue workspace");
  int status = work && iwork ? JS_OK : JS_ENOMEM;
  if (!status)
    dsyevr_("N", "A", "U", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, w, &z, &n, isuppz,
            work, &lwork, iwork, &liwork, &info, 1, 1, 1);
  if (!status && (info || m != n))
    status = js_fail(JS_ENUMERIC, "ntk: LAPACK dsyevr info %d (%d of %d eigenvalues)", info,
                     m, n);
  free(a);
  free(isuppz);
  free(work);
  free(iwork);
  return status;
}

/* The top `count` singular values of op (= eigenvalues: op is symmetric
 * positive semi-definite) by Lanczos. */
static int lanczos_top(const js_ntk *k, js_linop *op, int64_t count, double *sigma) {
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = count;
  so.tol = k->opt.tol;
  so.seed = k->opt.seed;
  so.want_vectors = 0;
  js_svds_result *res = NULL;
  int status = js_svds(op, &so, &res);
  if (res)
    memcpy(sigma, res->sigma, sizeof(double) * (size_t)res->rank);
  js_svds_result_free(res);
  return status;
}

int js_ntk_eigenvalues(js_ntk *ntk, int64_t top, int64_t smallest, double *largest,
                       double *lowest) {
  if (!ntk || (top > 0 && !largest) || (smallest > 0 && !lowest))
    return js_fail(JS_EINVAL, "ntk: eigenvalues: NULL argument");
  int64_t n = ntk->n, most = ntk->matrix ? n : n - 1;
  if (top < 0 || top > most || smallest < 0 || smallest > most)
    return js_fail(JS_EINVAL, "ntk: %lld top and %lld smallest eigenvalues of a kernel of "
                   "%lld (at most %lld each%s)", (long long)top, (long long)smallest,
                   (long long)n, (long long)most, ntk->matrix ? "" : " matrix-free");
  if (ntk->matrix) {
    double *w = js_alloc((size_t)n, sizeof *w, "ntk: eigenvalues");
    if (!w)
      return JS_ENOMEM;
    int status = dense_eigenvalues(ntk, w);
    for (int64_t s = 0; !status && s < top; s++)
      largest[s] = w[n - 1 - s];
    for (int64_t s = 0; !status && s < smallest; s++)
      lowest[s] = w[s];
    free(w);
    return status;
  }
  double lambda_1 = 0;
  int status = lanczos_top(ntk, ntk->op, top > 0 ? top : 1, top > 0 ? largest : &lambda_1);
  if (status || smallest == 0)
    return status;
  /* lambda_1 I - Sigma~ is positive semi-definite with eigenvalues
   * lambda_1 - lambda_s: its top ones are the kernel's smallest. */
  ntk->shift = top > 0 ? largest[0] : lambda_1;
  if ((status = lanczos_top(ntk, ntk->shifted, smallest, lowest)))
    return status;
  for (int64_t s = 0; s < smallest; s++)
    lowest[s] = fmax(0.0, ntk->shift - lowest[s]);
  return JS_OK;
}

/* Conjugate gradients on Sigma~ z_l = y_l for the K columns at once (one
 * block product per iteration); a column stops when its residual is
 * below tol ||y_l||. */
typedef struct cg_state {
  double *b, *z, *r, *p, *ap; /* n x K each, column after column */
  double *rr;                 /* K: r_l^T r_l */
  int64_t *iterations;        /* K; -1 while the column runs */
} cg_state;

int js_ntk_quadratic_form(js_ntk *ntk, const double *y, int64_t n_outputs, double *value,
                          int64_t *iterations) {
  if (!ntk || !y || !value || n_outputs < 1)
    return js_fail(JS_EINVAL, "ntk: quadratic form: NULL argument or %lld outputs",
                   (long long)n_outputs);
  int64_t n = ntk->n, K = n_outputs, m = n * K;
  cg_state s = {0};
  double *all = js_alloc((size_t)(5 * m + K), sizeof *all, "ntk: conjugate gradients");
  s.iterations = js_alloc((size_t)K, sizeof *s.iterations, "ntk: conjugate gradients");
  if (!all || !s.iterations) {
    free(all);
    free(s.iterations);
    return JS_ENOMEM;
  }
  s.b = all, s.z = all + m, s.r = all + 2 * m, s.p = all + 3 * m, s.ap = all + 4 * m;
  s.rr = all + 5 * m;
  for (int64_t i = 0; i < n; i++)
    for (int64_t l = 0; l < K; l++)
      s.b[l * n + i] = y[i * K + l];
  memcpy(s.r, s.b, sizeof(double) * (size_t)m);
  memcpy(s.p, s.b, sizeof(double) * (size_t)m);
  int64_t running = 0;
  for (int64_t l = 0; l < K; l++) {
    s.rr[l] = js_dot(n, s.r + l * n, s.r + l * n);
    s.iterations[l] = s.rr[l] > 0 ? -1 : 0; /* y_l = 0: z_l = 0 */
    running += s.iterations[l] < 0;
  }
  int status = JS_OK;
  for (int64_t it = 1; running > 0 && it <= ntk->opt.max_iter && !status; it++) {
    if ((status = js_linop_apply(ntk->op, K, s.p, s.ap)))
      break;
    for (int64_t l = 0; l < K; l++) {
      if (s.iterations[l] >= 0)
        continue;
      double *p = s.p + l * n, *ap = s.ap + l * n, *r = s.r + l * n;
      double pap = js_dot(n, p, ap);
      if (!(pap > 0)) { /* a direction of zero curvature: Sigma~ is singular */
        status = js_fail(JS_ENOCONV, "ntk: conjugate gradients met p^T Sigma~ p = %g at "
                         "iteration %lld of column %lld: the kernel is singular on y",
                         pap, (long long)it, (long long)l);
        break;
      }
      double alpha = s.rr[l] / pap;
      js_axpy(n, alpha, p, s.z + l * n);
      js_axpy(n, -alpha, ap, r);
      double rr = js_dot(n, r, r);
      double bb = js_dot(n, s.b + l * n, s.b + l * n);
      if (rr <= ntk->opt.tol * ntk->opt.tol * bb) {
        s.iterations[l] = it;
        running--;
        continue;
      }
      js_scal(n, rr / s.rr[l], p);
      js_axpy(n, 1.0, r, p);
      s.rr[l] = rr;
    }
  }
  *value = 0;
  int64_t most = 0;
  for (int64_t l = 0; l < K; l++) {
    *value += js_dot(n, s.b + l * n, s.z + l * n);
    int64_t used = s.iterations[l] >= 0 ? s.iterations[l] : ntk->opt.max_iter;
    most = used > most ? used : most;
  }
  if (iterations)
    *iterations = most;
  if (!status && running > 0)
    status = js_fail(JS_ENOCONV, "ntk: conjugate gradients: %lld of %lld columns above the "
                     "relative residual %g after %lld iterations", (long long)running,
                     (long long)K, ntk->opt.tol, (long long)ntk->opt.max_iter);
  free(all);
  free(s.iterations);
  return status;
}

int js_ntk_empirical_distance(js_ntk *ntk, js_linop *jacobian, double nu,
                              double *distance) {
  if (!ntk || !jacobian || !distance || !(nu > 0 && isfinite(nu)))
    return js_fail(JS_EINVAL, "ntk: empirical distance: NULL argument or nu = %g", nu);
  int64_t n = ntk->n, m = js_linop_rows(jacobian), p = js_linop_cols(jacobian);
  if (m % n != 0)
    return js_fail(JS_EINVAL, "ntk: the Jacobian has %lld rows, not a multiple of n = %lld",
                   (long long)m, (long long)n);
  int64_t K = m / n, b_max = m < GRAM_BLOCK ? m : GRAM_BLOCK;
  double *eye = js_alloc((size_t)(m * b_max), sizeof *eye, "ntk: unit vectors");
  double *jt = js_alloc((size_t)(p * b_max), sizeof *jt, "ntk: J^T e");
  double *col = js_alloc((size_t)(m * b_max), sizeof *col, "ntk: columns of J J^T");
  double *row = js_alloc((size_t)n, sizeof *row, "ntk: kernel row");
  int status = eye && jt && col && row ? JS_OK : JS_ENOMEM;
  double diff2 = 0, ref2 = 0, scale = (double)K / (nu * nu);
  int64_t row_of = -1; /* the kernel row held in `row` */
  for (int64_t c0 = 0; c0 < m && !status; c0 += b_max) {
    int64_t b = m - c0 < b_max ? m - c0 : b_max;
    memset(eye, 0, sizeof(double) * (size_t)(m * b));
    for (int64_t k = 0; k < b; k++)
      eye[k * m + c0 + k] = 1.0;
    if ((status = js_linop_apply_t(jacobian, b, eye, jt)) ||
        (status = js_linop_apply(jacobian, b, jt, col)))
      break;
    for (int64_t k = 0; k < b && !status; k++) {
      /* Column c = (j, l') of J J^T against delta_{l l'} Sigma~_ij. */
      int64_t c = c0 + k, j = c / K, lc = c % K;
      if (j != row_of && !(status = js_ntk_rows(ntk, j, 1, row)))
        row_of = j;
      for (int64_t i = 0; i < n && !status; i++)
        for (int64_t l = 0; l < K; l++) {
          double target = l == lc ? row[i] : 0.0;
          double e = scale * col[k * m + i * K + l] - target;
          diff2 += e * e;
          ref2 += target * target;
        }
    }
  }
  if (!status)
    *distance = ref2 > 0 ? sqrt(diff2 / ref2) : INFINITY;
  free(eye);
  free(jt);
  free(col);
  free(row);
  return status;
}

int js_ntk_space(js_ntk *ntk, double cutoff, js_space **out) {
  if (!ntk || !out || !(cutoff > 0 && isfinite(cutoff)))
    return js_fail(JS_EINVAL, "ntk: space: NULL argument or cut-off %g", cutoff);
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.cutoff = cutoff * cutoff; /* on the eigenvalues of Sigma~ */
  so.tol = ntk->opt.tol;
  so.seed = ntk->opt.seed;
  so.want_vectors = 1;
  js_svds_result *res = NULL;
  int status = js_svds(ntk->op, &so, &res);
  if (!status) {
    /* Sigma~^{1/2} has the same vectors and the square roots as values. */
    for (int64_t s = 0; s < res->rank; s++)
      res->sigma[s] = sqrt(res->sigma[s]);
    status = js_space_create(res, 0, cutoff, out);
  }
  js_svds_result_free(res);
  return status;
}

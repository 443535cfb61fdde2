/*
 * jacspec.h: the public interface of libjacspec.
 *
 * jacspec computes the spectrum of a neural network's Jacobian J = df/dtheta
 * (nK rows, p columns) without forming J: Jacobian-vector products (J v),
 * transposed products (J^T u), top-r singular triplets from ARPACK's Lanczos,
 * and a dense LAPACK reference for checking.
 *
 * Conventions (binding; see DESIGN.md section 1):
 *   - Inputs X are n x d, row-major (row i is sample x_i).
 *   - Outputs and targets are sample-major vectors of length nK:
 *     f[i*K + l] = f_l(x_i).
 *   - theta is the concatenation of the trained weight matrices W_l, each
 *     flattened row-major, in layer order; p = number of trained entries.
 *   - A block of b vectors of length m is stored column after column:
 *     vector j occupies block[j*m .. j*m + m - 1].
 *
 * Errors: every function that can fail returns an int status (JS_OK = 0 or a
 * negative JS_E* code) and records a one-line message, readable with
 * js_last_error(), that names what was wrong. No function exits or aborts on
 * bad input. Objects returned through an out-pointer belong to the caller and
 * are released with the matching _free function (which accepts NULL).
 */
#ifndef JACSPEC_H
#define JACSPEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JS_VERSION "0.1.0"

/* ---------------------------------------------------------------- status */

enum {
  JS_OK = 0,
  JS_EINVAL = -1,   /* an argument is invalid (shape, range, option) */
  JS_ENOMEM = -2,   /* an allocation failed */
  JS_EIO = -3,      /* a file could not be opened, read or written */
  JS_EFORMAT = -4,  /* a file is malformed or of an unsupported kind */
  JS_ENOCONV = -5,  /* an iterative method did not converge (partial result) */
  JS_ELIMIT = -6,   /* a request exceeds a size limit (e.g. dense J) */
  JS_ENUMERIC = -7, /* NaN or Inf where finite numbers are required */
  JS_EARPACK = -8   /* ARPACK reported an internal error */
};

/* A fixed string for a status code ("invalid argument", ...). */
const char *js_errstr(int status);
/* The message of the last error on this thread (empty if none). */
const char *js_last_error(void);

/* ---------------------------------------------------------------- data */

/* A data set: n samples of dimension d with nK targets. Plain data, owned
 * by whoever created it; free with js_dataset_free. */
typedef struct js_dataset {
  int64_t n_samples; /* n */
  int64_t dim;       /* d */
  int64_t n_outputs; /* K: classes for classification, 1 (or more) for regression */
  double *x;         /* n x d, row-major */
  double *y;         /* n x K targets, sample-major (one-hot for labels) */
  int32_t *labels;   /* n class ids in 0..K-1, or NULL for real-valued targets */
} js_dataset;

/* Allocates a zeroed data set; labels allocated when with_labels != 0. */
int js_dataset_create(int64_t n_samples, int64_t dim, int64_t n_outputs,
                      int with_labels, js_dataset **out);
void js_dataset_free(js_dataset *data);
/* Sets y to the one-hot encoding of labels (requires labels). */
int js_dataset_one_hot(js_dataset *data);
/* Scales each row of x to unit Euclidean norm (zero rows are an error). */
int js_dataset_normalize(js_dataset *data);
/* JS_ENUMERIC, naming the first offending entry, if x or y holds NaN/Inf. */
int js_dataset_check_finite(const js_dataset *data, const char *what);

/* Gaussian mixture of the paper's Definition 3.4: n_classes classes of
 * n_clusters clusters each; unit-norm centres pairwise at least `separation`
 * apart; each sample picks a cluster uniformly, x = centre + N(0, sigma^2/d I),
 * label = the cluster's class. */
typedef struct js_gmm_options {
  int64_t n_samples;
  int64_t n_classes;
  int64_t n_clusters; /* per class (C) */
  int64_t dim;
  double sigma;
  double separation;
  uint64_t seed;
} js_gmm_options;
void js_gmm_options_init_defaults(js_gmm_options *opt);
int js_dataset_gmm(const js_gmm_options *opt, js_dataset **out);

/* ---------------------------------------------------------------- npy files */

/* An n-dimensional array read from a NumPy .npy file, converted to double
 * (floating dtypes) or int64 (integer and bool dtypes). */
typedef struct js_array {
  int ndim;
  int64_t shape[8];
  int64_t size;   /* product of shape */
  int is_integer; /* 1: data in ints, 0: data in values */
  double *values;
  int64_t *ints;
} js_array;

/* Reads a C-order .npy file (little- or big-endian float32/float64, signed
 * or unsigned integers of 1-8 bytes, bool). */
int js_npy_read(const char *path, js_array **out);
void js_array_free(js_array *a);
/* Writes a float64 C-order array of the given shape (ndim 1 or 2). The
 * file appears complete or not at all (written to a temporary, renamed). */
int js_npy_write(const char *path, const double *data, int ndim,
                 const int64_t *shape);

/* ---------------------------------------------------------------- model */

#define JS_MAX_LAYERS 16

typedef enum {
  JS_ACT_LINEAR,
  JS_ACT_RELU,
  JS_ACT_LEAKY,
  JS_ACT_SOFTPLUS,
  JS_ACT_TANH,
  JS_ACT_SIGMOID,
  JS_ACT_QUADRATIC
} js_act_kind;

typedef struct js_activation {
  js_act_kind kind;
  double slope; /* leaky: slope for z < 0 */
} js_activation;

/* Parses "linear", "relu", "leaky:0.1", "softplus", "tanh", "sigmoid",
 * "quadratic". */
int js_activation_parse(const char *text, js_activation *out);
/* Writes the canonical name (e.g. "leaky:0.1") into buf. */
void js_activation_name(js_activation act, char *buf, size_t size);
/* sup |phi'(z)|: the B of the paper's Theorem 3.3 (Inf for quadratic). */
double js_activation_derivative_bound(js_activation act);

/* A fully connected network without biases:
 *   h_0 = x, h_l = phi(W_l h_{l-1}) for l < L, f(x) = W_L h_{L-1},
 * W_l in R^{widths[l] x widths[l-1]}. widths[0] = d, widths[L] = K. */
typedef struct js_net_options {
  int n_layers;                      /* L >= 1 */
  int64_t widths[JS_MAX_LAYERS + 1]; /* widths[0..L] */
  js_activation act;
  uint32_t trained;   /* bit l-1 set when W_l is trained */
  double nu;          /* output-layer scale (paper: nu) */
  uint64_t seed;      /* initialisation seed */
  int64_t batch_size; /* samples per batch in products (0: automatic) */
} js_net_options;
/* Defaults: the paper's network, one hidden layer, softplus, W_1 trained,
 * nu = 1, seed 1; widths must still be set. */
void js_net_options_init_defaults(js_net_options *opt);

typedef struct js_net js_net;

/* Creates a network and initialises it as in the paper (Theorem 3.2):
 * W_1 ~ N(0,1); W_L ~ Rademacher * nu / sqrt(widths[L-1] * K) when L >= 2;
 * W_l ~ N(0, 1/widths[l-1]) for 2 <= l < L. Seeded and reproducible. */
int js_net_create(const js_net_options *opt, js_net **out);
void js_net_free(js_net *net);

int js_net_n_layers(const js_net *net);
int64_t js_net_width(const js_net *net, int layer); /* widths[layer] */
int js_net_is_trained(const js_net *net, int layer); /* layer in 1..L */
int64_t js_net_n_params(const js_net *net);         /* p */
js_activation js_net_activation(const js_net *net);
/* W_l (widths[l] x widths[l-1], row-major), layer in 1..L; the pointer
 * stays owned by the network and may be written through. */
double *js_net_weights(js_net *net, int layer);
/* Copies theta (length p) out of / into the trained layers. */
void js_net_get_params(const js_net *net, double *theta);
void js_net_set_params(js_net *net, const double *theta);

/* f = forward(x): x is n x d, f is n x K (= nK vector). */
int js_net_forward(js_net *net, const double *x, int64_t n_samples, double *f);
/* Forward mode: jv = J v for b tangents. v is p x b, jv is nK x b. */
int js_net_jvp(js_net *net, const double *x, int64_t n_samples,
               const double *v, int64_t n_vectors, double *jv);
/* Reverse mode: g = J^T u for b cotangents. u is nK x b, g is p x b. */
int js_net_vjp(js_net *net, const double *x, int64_t n_samples,
               const double *u, int64_t n_vectors, double *g);

/* ---------------------------------------------------------------- operator */

/* A matrix-free linear operator A (rows x cols). The callback computes
 * out = A in (transpose = 0; in is cols x b, out is rows x b) or
 * out = A^T in (transpose = 1; in is rows x b, out is cols x b) for a block
 * of b vectors, and returns a status. */
typedef int (*js_apply_fn)(void *ctx, int transpose, int64_t n_vectors,
                           const double *in, double *out);

typedef struct js_linop js_linop;

int js_linop_create(int64_t rows, int64_t cols, js_apply_fn apply, void *ctx,
                    js_linop **out);
void js_linop_free(js_linop *op);
int64_t js_linop_rows(const js_linop *op);
int64_t js_linop_cols(const js_linop *op);
/* y = A x (x is cols x b, y is rows x b). */
int js_linop_apply(js_linop *op, int64_t n_vectors, const double *x, double *y);
/* x = A^T y (y is rows x b, x is cols x b). */
int js_linop_apply_t(js_linop *op, int64_t n_vectors, const double *y, double *x);
/* Numbers of single-vector products applied so far (a block of b counts b). */
int64_t js_linop_apply_count(const js_linop *op);
int64_t js_linop_apply_t_count(const js_linop *op);
void js_linop_reset_counts(js_linop *op);

/* The Jacobian of `net` on the inputs of `data` at the network's current
 * weights. The operator borrows net and data: both must outlive it. */
int js_jacobian_create(js_net *net, const js_dataset *data, js_linop **out);

/* ---------------------------------------------------------------- solver */

typedef enum {
  JS_SIDE_AUTO,    /* the smaller of the two Gram matrices */
  JS_SIDE_OUTPUTS, /* Lanczos on J J^T (size nK) */
  JS_SIDE_PARAMS   /* Lanczos on J^T J (size p) */
} js_side;

typedef void (*js_progress_fn)(void *ctx, const char *stage, int64_t done,
                               int64_t total);

typedef struct js_svds_options {
  int64_t top;       /* r: number of triplets (used when cutoff <= 0) */
  double cutoff;     /* alpha > 0: all singular values above alpha */
  js_side side;
  double tol;        /* ARPACK relative tolerance on the Gram eigenvalues */
  int64_t ncv;       /* Lanczos basis size (0: min(max(2r+1, 20), n)) */
  int64_t max_iter;  /* ARPACK restarts */
  uint64_t seed;     /* start vector */
  int want_vectors;  /* keep u and v in the result */
  size_t dense_limit; /* bytes the explicit J may take in js_svds_dense */
  js_progress_fn progress; /* called once per Lanczos restart (may be NULL) */
  void *progress_ctx;
} js_svds_options;
void js_svds_options_init_defaults(js_svds_options *opt);

/* Singular triplets (lambda_s, u_s, v_s), s < rank, lambda descending. */
typedef struct js_svds_result {
  int64_t rank;       /* triplets returned (converged ones) */
  int64_t requested;  /* triplets asked for (the last request, in cutoff mode) */
  int64_t rows, cols; /* nK and p */
  js_side side;       /* the side actually used (never JS_SIDE_AUTO) */
  double *sigma;      /* rank singular values */
  double *u;          /* rows x rank (NULL unless want_vectors) */
  double *v;          /* cols x rank (NULL unless want_vectors) */
  double *residual_u; /* ||J v_s - lambda_s u_s|| / lambda_1 */
  double *residual_v; /* ||J^T u_s - lambda_s v_s|| / lambda_1 */
  int converged;      /* 1 if every requested triplet converged */
  int64_t iterations; /* Lanczos restarts (0 for dense) */
  int64_t n_apply, n_apply_t; /* products with J and J^T */
  double seconds;
} js_svds_result;
void js_svds_result_free(js_svds_result *res);

/* Top singular triplets of op by Lanczos (ARPACK dsaupd/dseupd) on the Gram
 * operator of the chosen side. Returns JS_OK, or JS_ENOCONV with *out set
 * to the triplets that did converge. */
int js_svds(js_linop *op, const js_svds_options *opt, js_svds_result **out);
/* The same from LAPACK's SVD of the explicitly formed matrix (J e_j for
 * every column); JS_ELIMIT when rows*cols*8 exceeds opt->dense_limit. */
int js_svds_dense(js_linop *op, const js_svds_options *opt, js_svds_result **out);

#ifdef __cplusplus
}
#endif
#endif

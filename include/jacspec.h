/*
 * jacspec.h: the public interface of libjacspec.
 *
 * jacspec computes the spectrum of a neural network's Jacobian J = df/dtheta
 * (nK rows, p columns) without forming J: Jacobian-vector products (J v),
 * transposed products (J^T u), top-r singular triplets from ARPACK's Lanczos,
 * and a dense LAPACK reference for checking. The sections below follow
 * the pipeline: data, model, resources, operator, solver, analysis.
 *
 * Conventions (binding; see doc/DESIGN.md section 1):
 *   - Inputs X are n x d, row-major (row i is sample x_i); an image sample
 *     is (C, H, W) row-major inside its row (NCHW).
 *   - Outputs and targets are sample-major vectors of length nK:
 *     f[i*K + l] = f_l(x_i).
 *   - theta is the concatenation of the network's trained parameter tensors,
 *     each flattened row-major, in declaration order (for the paper's MLP:
 *     the trained W_l in layer order); p = number of trained entries.
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
  JS_EARPACK = -8,  /* ARPACK reported an internal error */
  JS_ECANCELED = -9 /* stopped by js_cancel_request (the message says where) */
};

/* A fixed string for a status code ("invalid argument", ...). */
const char *js_errstr(int status);
/* The message of the last error on this thread (empty if none). */
const char *js_last_error(void);

/* ---------------------------------------------------------------- cancellation */

/* Asks the long computations to stop: js_svds and js_svds_dense check
 * before each product, js_train before each step (and in its own solves),
 * and return JS_ECANCELED with a message saying where they stopped
 * ("svds: interrupted after N products", "train: interrupted at step t"),
 * having freed what they allocated. Safe to call from a signal handler: it
 * only sets a volatile sig_atomic_t. The request holds for every later
 * call too, until js_cancel_clear. */
void js_cancel_request(void);
void js_cancel_clear(void);
/* Non-zero while a request holds. */
int js_cancel_requested(void);

/* ---------------------------------------------------------------- communicator */

/* Several processes computing together (doc/DESIGN.md section 6): the rows
 * of J, i.e. the samples, are split into contiguous shards, one per
 * process ("rank"); vectors of length nK are split the same way, vectors
 * of length p are held whole by every rank. A js_comm is the library's
 * only view of the processes, as callbacks (PRIMME's globalSumReal and
 * procID/numProcs), so the library itself needs no MPI: the command line
 * fills one from MPI_COMM_WORLD (src/parallel/mpi.c), another program
 * from whatever it runs on. Every callback is collective: all ranks call
 * it, in the same order, with the same n. Each returns JS_OK or a JS_E*
 * status. NULL where a js_comm is taken means one process (serial). */
typedef struct js_comm {
  int rank, size;  /* this process, 0..size-1, of size */
  void *ctx;       /* passed to every callback */
  /* x (n doubles) = the sum over ranks of each rank's x, in place; every
   * rank must receive bit for bit the same sums, since the ranks run the
   * same Lanczos on them (sum on one rank, then broadcast, guarantees it). */
  int (*sum)(void *ctx, double *x, int64_t n);
  /* x (n int64) = the maximum over ranks, in place (agreeing on a status). */
  int (*max)(void *ctx, int64_t *x, int64_t n);
  /* buf (bytes) on every rank = buf on rank `root`. */
  int (*broadcast)(void *ctx, void *buf, size_t bytes, int root);
  /* The Fortran handle of the communicator (MPI_Comm_c2f) for PARPACK's
   * pdsaupd/pdseupd, or -1 when there is none (serial ARPACK then). */
  int fortran_comm;
} js_comm;

/* One process: rank 0 of 1, every reduction the identity. */
const js_comm *js_comm_serial(void);
/* comm's sum, max and broadcast (comm may be NULL: serial, nothing done). */
int js_comm_sum(const js_comm *comm, double *x, int64_t n);
int js_comm_max(const js_comm *comm, int64_t *x, int64_t n);
int js_comm_broadcast(const js_comm *comm, void *buf, size_t bytes, int root);
/* Collective errors: every rank passes its own status and all return the
 * same one, the status of the lowest-numbered rank that failed (JS_OK when
 * none did), with that rank's message as every rank's js_last_error(), so
 * rank 0 can report it and no rank waits for one that gave up. */
int js_comm_agree(const js_comm *comm, int status);

/* The contiguous shard of rank `part` of `parts` among n samples: the first
 * n % parts shards hold one sample more than the others. */
void js_shard_range(int64_t n, int part, int parts, int64_t *first, int64_t *count);

/* ---------------------------------------------------------------- data */

/* The shape of one sample: (d) for flat inputs, (C, H, W) for images
 * (NCHW, row-major). */
typedef struct js_shape {
  int ndim;       /* 1 or 3 */
  int64_t dim[3];
} js_shape;

/* Writes "(d)" or "(C, H, W)" into buf. */
void js_shape_format(const js_shape *shape, char *buf, size_t size);

/* A data set: n samples of dimension d with nK targets. Plain data, owned
 * by whoever created it; free with js_dataset_free. */
typedef struct js_dataset {
  int64_t n_samples; /* n */
  int64_t dim;       /* d: elements of one sample */
  js_shape shape;    /* a sample's shape (flat: (d)); product = d */
  int64_t n_outputs; /* K: classes for classification, 1 (or more) for regression */
  double *x;         /* n x d, row-major */
  double *y;         /* n x K targets, sample-major (one-hot for labels) */
  int32_t *labels;   /* n class ids in 0..K-1, or NULL for real-valued targets */
  /* A shard of a larger data set (js_shard_range): these n samples are
   * samples first_sample .. first_sample + n - 1 of total_samples. Both 0
   * for a whole data set (js_dataset_create). */
  int64_t first_sample, total_samples;
} js_dataset;

/* The largest class id the readers accept (K = id + 1 outputs). */
#define JS_MAX_CLASS_ID 1000000

/* Allocates a zeroed data set; labels allocated when with_labels != 0. */
int js_dataset_create(int64_t n_samples, int64_t dim, int64_t n_outputs,
                      int with_labels, js_dataset **out);
void js_dataset_free(js_dataset *data);
/* Sets y to the one-hot encoding of labels (requires labels). */
int js_dataset_one_hot(js_dataset *data);
/* Scales each row of x to unit Euclidean norm (zero rows are an error). */
int js_dataset_normalize(js_dataset *data);
/* The inputs' channels: C of an image data set (shape (C, H, W)), 1 for
 * flat data. */
int64_t js_dataset_channels(const js_dataset *data);
/* mean[c] and std[c] (js_dataset_channels entries each) of channel c's
 * values over every sample and pixel, over the shards of comm's ranks
 * (collective; NULL: this data set alone); std is the population
 * deviation. */
int js_dataset_channel_stats(const js_dataset *data, const js_comm *comm, double *mean,
                             double *std);
/* x = (x - mean[c]) / std[c] on channel c: the standardisation of image
 * pipelines (CIFAR's per-channel normalisation), with the training set's
 * statistics for training and test data alike. JS_EINVAL naming the
 * channel when a std is not finite and > 0 (a constant channel). */
int js_dataset_standardize(js_dataset *data, const double *mean, const double *std);
/* JS_ENUMERIC, naming the first offending entry, if x or y holds NaN/Inf. */
int js_dataset_check_finite(const js_dataset *data, const char *what);

/* Gaussian mixture of the paper's Definition 3.4: n_classes classes of
 * n_clusters clusters each; unit-norm centres pairwise at least `separation`
 * apart; each sample picks a cluster uniformly, x = centre + N(0, sigma^2/d I),
 * label = the cluster's class (cluster c is in class c / n_clusters). The
 * centres depend only on task_seed, n_classes, n_clusters, dim and
 * separation; the samples on seed. So a test set is the same options with
 * another seed: the same mixture, new samples.
 * JS_EINVAL for an option out of range or centres that do not fit. */
typedef struct js_gmm_options {
  int64_t n_samples;
  int64_t n_classes;
  int64_t n_clusters; /* per class (C) */
  int64_t dim;
  double sigma;
  double separation;
  uint64_t task_seed;    /* draws the centres */
  uint64_t seed;         /* draws the samples */
  /* Only shard `part` of `parts` of the n samples (js_shard_range); each
   * sample is drawn from its own stream, seeded by (seed, its index), so a
   * sample is the same whatever the number of parts. parts 0 or 1: all. */
  int part, parts;
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
/* Only rows first .. first + count - 1 (along the first dimension) of the
 * file; shape[0] of the result is count and *total_rows (may be NULL) the
 * file's. JS_EFORMAT when the rows are not in the file. */
int js_npy_read_rows(const char *path, int64_t first, int64_t count, int64_t *total_rows,
                     js_array **out);
void js_array_free(js_array *a);
/* Writes a float64 C-order array of the given shape (ndim 0 to 8). The
 * file appears complete or not at all (written to a temporary, renamed). */
int js_npy_write(const char *path, const double *data, int ndim,
                 const int64_t *shape);

/* A data set from .npy files: inputs x_path (n x d, or n x C x H x W images,
 * float32 or float64) with exactly one of labels_path (n integer class ids
 * 0..K-1, one-hot encoded; K = the largest id + 1) or targets_path (real
 * values, n x K or n). Values are checked finite by js_dataset_check_finite,
 * not here. JS_EINVAL (both or neither of labels and targets), JS_EIO,
 * JS_EFORMAT naming the file (a wrong dtype, rank or row count, a label
 * out of range). */
int js_dataset_npy(const char *x_path, const char *labels_path, const char *targets_path,
                   js_dataset **out);
/* The same for shard `part` of `parts` (js_shard_range) of the samples:
 * only those rows of the inputs and targets are read from the files (the
 * labels file is read whole, K being its largest id + 1). The data set is
 * a shard (first_sample, total_samples). */
int js_dataset_npy_shard(const char *x_path, const char *labels_path,
                         const char *targets_path, int part, int parts, js_dataset **out);
/* Rows first .. first + count - 1 of a data set as a new shard (of
 * data->total_samples, or data->n_samples when data is whole). */
int js_dataset_shard(const js_dataset *data, int64_t first, int64_t count, js_dataset **out);

/* ---------------------------------------------------------------- real data */

/* Files are read through zlib, so each reader takes gzip-compressed and
 * plain files alike; a truncated or corrupted gzip stream is JS_EFORMAT
 * naming the file. Missing or unreadable files are JS_EIO. Every data set
 * returned belongs to the caller (js_dataset_free). Inputs are returned as
 * read (IDX pixels scaled to [0, 1]); scaling rows to unit norm is left to
 * the caller (js_dataset_normalize). */

/* Which samples of a labelled file to keep. */
typedef struct js_idx_options {
  const int32_t *classes; /* class ids to keep, relabelled 0..K-1 in this
                             order (borrowed); NULL: every id 0..max label */
  int n_classes;          /* length of classes */
  int64_t per_class;      /* keep the first m samples of each kept class in
                             file order (0: all of them) */
  /* Only shard `part` of `parts` (js_shard_range) of the kept samples: the
   * labels are read whole to decide which samples are kept, the images
   * streamed and only this shard's converted. parts 0 or 1: all. */
  int part, parts;
} js_idx_options;
/* All classes, all samples, one part. */
void js_idx_options_init_defaults(js_idx_options *opt);

/* An MNIST-format (IDX) pair: images_path holds unsigned bytes with magic
 * 0x00000803 and big-endian dims n x rows x cols; labels_path holds n
 * unsigned bytes with magic 0x00000801. x is n x (rows*cols), each pixel
 * byte / 255; labels are one-hot encoded into y; samples keep file order.
 * opt may be NULL (defaults). With opt->parts > 1 the data set is a shard
 * (first_sample, total_samples) of the kept samples, and every part reads
 * (and checks) both files to their ends. Errors: JS_EIO (cannot open),
 * JS_EFORMAT (wrong magic, truncation, trailing bytes, image and label
 * counts that differ; the message names the file and the record),
 * JS_EINVAL (a class id that does not occur in the labels, a repeated
 * class id, per_class larger than a class holds: the message names the
 * class and its count; more parts than kept samples). */
int js_dataset_idx(const char *images_path, const char *labels_path,
                   const js_idx_options *opt, js_dataset **out);

/* Where the Debian package dataset-fashion-mnist installs its files. */
#define JS_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
/* Fashion-MNIST from JS_FASHION_MNIST_DIR: split "train" (60000 images) or
 * "test" (10000), 28 x 28 pixels, 10 classes; as js_dataset_idx. JS_EIO,
 * naming the package to install, when the files are absent; JS_EINVAL for
 * another split. */
int js_dataset_fashion_mnist(const char *split, const js_idx_options *opt,
                             js_dataset **out);

/* A CSV file of numbers, comma-separated, one sample a line, blank lines
 * ignored (no quoting: cells hold no commas). The first line is a header
 * when one of its cells is not a number. label_column is a header name or
 * a column number counting from 1; that column holds integer class ids
 * 0..K-1 (one-hot encoded into y), every other column is a feature, in
 * file order. Errors: JS_EINVAL (label_column NULL or not a column),
 * JS_EIO (cannot open), JS_EFORMAT naming the file, line and column: an
 * empty file, a row with another number of fields than the first, a cell
 * that is not a finite number, a label that is not a non-negative
 * integer. */
int js_dataset_csv(const char *path, const char *label_column, js_dataset **out);
/* The same for shard `part` of `parts` (js_shard_range) of the rows: every
 * row is read and checked (each part finds the same errors), only the
 * shard's are converted and kept, K is the largest id of all rows + 1. The
 * data set is a shard (first_sample, total_samples) when parts > 1;
 * JS_EINVAL when there are more parts than rows. */
int js_dataset_csv_shard(const char *path, const char *label_column, int part, int parts,
                         js_dataset **out);

/* Parity (monomial) data: x uniform in {-1, +1}^bits, real-valued target
 * y = prod_{j in S} x_j (K = 1, labels NULL) for a hidden subset S of
 * `degree` coordinates. task_seed draws S, seed the samples, so test data
 * of the same parity takes another seed. */
typedef struct js_parity_options {
  int64_t n_samples;
  int64_t bits;   /* d */
  int64_t degree; /* |S|, 0 <= degree <= bits */
  uint64_t task_seed;
  uint64_t seed;
  int part, parts; /* a shard, as js_gmm_options */
} js_parity_options;
/* n = 1000, bits = 20, degree = 3, task_seed = seed = 1. */
void js_parity_options_init_defaults(js_parity_options *opt);
/* subset (may be NULL) receives the degree coordinates of S, ascending.
 * JS_EINVAL for sizes out of range. */
int js_dataset_parity(const js_parity_options *opt, int64_t *subset,
                      js_dataset **out);
/* The cross-predictability CP = E_{S,S'} (E_x chi_S(x) chi_S'(x))^2 of the
 * parities of `degree` among `bits` coordinates, S and S' drawn uniformly
 * (Abbe and Sandon; the universality talk in papers/): E_x chi_S chi_S' is
 * 1 when S = S' and 0 otherwise, so CP = 1 / C(bits, degree). A gradient
 * method with noise learns such a class only after a number of steps
 * polynomial in 1/CP. NaN for sizes out of range (degree outside
 * 0..bits); 0 when C(bits, degree) overflows a double. */
double js_parity_cross_predictability(int64_t bits, int64_t degree);

/* Permutes the samples (rows of x and y, and labels) together by a
 * Fisher-Yates shuffle drawn from the seed: the same seed gives the same
 * order. */
int js_dataset_shuffle(js_dataset *data, uint64_t seed);

/* ---------------------------------------------------------------- model */

/* A network is a graph of layers (doc/DESIGN.md section 1.1): node 0 is the
 * input; each js_net_add_* adds a node on existing ones and returns its id
 * (>= 1), or a negative status (JS_EINVAL naming the node and what does not
 * fit, JS_ENOMEM). The last node added is the output f (js_net_set_output
 * picks another). Layers with weights declare named parameter tensors,
 * "NAME.weight" and "NAME.bias" (dense, conv2d) or "NAME.scale" and
 * "NAME.shift" (affine), each a row-major view into the network's one
 * buffer of parameter values.
 *
 * theta, the vector the Jacobian differentiates by, is the concatenation of
 * the *trained* tensors in declaration order; p is its length. A new tensor
 * is trained; js_net_set_trained chooses. */
typedef struct js_net js_net;

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
/* sup |phi'(z)| (Inf for quadratic). */
double js_activation_derivative_bound(js_activation act);
/* sup |phi''(z)|: 0 for linear, Inf for relu and leaky (slope != 1: phi'
 * jumps, phi'' is a Dirac mass), 1/4 softplus, 4 / (3 sqrt 3) tanh,
 * 1 / (6 sqrt 3) sigmoid, 1 quadratic. Theorems 3.2 and 3.3 take B >= both. */
double js_activation_second_derivative_bound(js_activation act);

/* How a parameter tensor is drawn by js_net_initialize. fan_in is the
 * tensor's inputs per output (dense: in features; conv2d: C kh kw). */
typedef enum {
  JS_INIT_ZEROS,
  JS_INIT_ONES,
  JS_INIT_NORMAL,     /* N(0, scale^2) */
  JS_INIT_RADEMACHER, /* +-scale with probability 1/2 each */
  JS_INIT_HE,         /* N(0, 2 / fan_in) (He et al.; conv2d's default) */
  JS_INIT_LECUN,      /* N(0, 1 / fan_in) (dense's default) */
  JS_INIT_UNIFORM_FAN /* U(-scale / sqrt(fan_in), scale / sqrt(fan_in)): with
                         scale 1, PyTorch's default for the weights and biases
                         of Conv2d and Linear (kaiming_uniform, a = sqrt 5) */
} js_init_kind;
typedef struct js_init {
  js_init_kind kind;
  double scale; /* JS_INIT_NORMAL, JS_INIT_RADEMACHER, JS_INIT_UNIFORM_FAN */
} js_init;

/* An empty network whose samples have the given shape: (d) for flat
 * inputs, (C, H, W) for images (ndim 1 or 3). */
int js_net_create(const js_shape *input, js_net **out);
void js_net_free(js_net *net);
/* A copy of net (graph, tensors, values, trained flags), independent of it. */
int js_net_clone(const js_net *net, js_net **out);

/* Dense layer on node `input` (flattened): z = x W^T + b, W is
 * n_out x in, b has n_out entries when bias != 0. Default initialisers:
 * W LeCun normal, b zeros. */
int js_net_add_dense(js_net *net, int input, int64_t n_out, int bias, const char *name);

/* 2-D convolution (cross-correlation, as in ONNX and PyTorch) on a
 * (C, H, W) node: W is filters x C x kh x kw, output (filters, H', W'),
 * H' = floor((H + pad_top + pad_bottom - dilation (kh - 1) - 1) / stride) + 1. */
typedef struct js_conv2d_options {
  int64_t filters;
  int64_t kernel[2];   /* kh, kw */
  int64_t stride[2];
  int64_t pad[4];      /* top, left, bottom, right */
  int64_t dilation[2];
  int bias;
} js_conv2d_options;
/* 3 x 3, stride 1, padding 1 (the same size), dilation 1, bias on;
 * filters must still be set. Default initialisers: W He normal, b zeros. */
void js_conv2d_options_init_defaults(js_conv2d_options *opt);
int js_net_add_conv2d(js_net *net, int input, const js_conv2d_options *opt,
                      const char *name);

int js_net_add_activation(js_net *net, int input, js_activation act);

typedef enum { JS_POOL_AVG, JS_POOL_MAX } js_pool_kind;
typedef struct js_pool_options {
  js_pool_kind kind;
  int64_t kernel[2], stride[2];
  int64_t pad[4];        /* top, left, bottom, right; max pooling pads with -Inf */
  int count_include_pad; /* average: padded cells count in the mean */
} js_pool_options;
/* Average, kernel 2 x 2, stride 2, no padding. */
void js_pool_options_init_defaults(js_pool_options *opt);
int js_net_add_pool(js_net *net, int input, const js_pool_options *opt);
/* (C, H, W) -> (C, 1, 1): the mean over each channel. */
int js_net_add_global_avgpool(js_net *net, int input);
/* (C, H, W) -> (C H W). Dense layers flatten on their own; this makes it
 * explicit (and is what an imported Flatten becomes). */
int js_net_add_flatten(js_net *net, int input);
/* Zero padding of H and W (top, left, bottom, right). */
int js_net_add_pad(js_net *net, int input, const int64_t pad[4]);
/* z = a + b, of equal shapes: residual connections. */
int js_net_add_sum(js_net *net, int a, int b);
/* Per channel c of a (C, H, W) node (or per entry of a flat one):
 * z = scale[c] x + shift[c], i.e. batch normalisation in inference form.
 * Default initialisers: scale ones, shift zeros. */
int js_net_add_affine(js_net *net, int input, const char *name);

/* f is node `node`'s value (default: the last node added). */
int js_net_set_output(js_net *net, int node);

/* Shapes: the input's and the output's (K = output size). */
js_shape js_net_input_shape(const js_net *net);
int64_t js_net_n_outputs(const js_net *net);
int64_t js_net_n_params(const js_net *net); /* p */

/* The parameter tensors, in declaration order. */
int js_net_n_tensors(const js_net *net);
typedef struct js_tensor_info {
  const char *name;     /* owned by the network */
  int ndim;
  int64_t shape[4];
  int64_t size;
  int trained;
  int64_t theta_offset; /* start in theta, or -1 when not trained */
  js_init init;
} js_tensor_info;
/* JS_EINVAL for an index outside 0..n_tensors-1. */
int js_net_tensor_info(const js_net *net, int index, js_tensor_info *out);
/* The index of the tensor called `name`, or -1. */
int js_net_find_tensor(const js_net *net, const char *name);
/* A tensor's values (row-major, info.size entries). The _mut form may be
 * written through: Jacobians already created keep the values they were
 * created with. NULL for an index out of range. */
const double *js_net_tensor(const js_net *net, int index);
double *js_net_tensor_mut(js_net *net, int index);
int js_net_set_init(js_net *net, int index, js_init init);

/* Marks trained exactly the tensors whose names match one of the
 * comma-separated patterns (shell globs: "stage3.*,fc.*"; "all" or "*":
 * every tensor); theta is laid out anew. JS_EINVAL naming a pattern that
 * matches no tensor, or when nothing would be trained. */
int js_net_set_trained(js_net *net, const char *patterns);
/* Draws every tensor from its initialiser, in declaration order and
 * row-major, from one stream seeded with `seed`. */
int js_net_initialize(js_net *net, uint64_t seed);

/* theta (length p) out of / into the trained tensors. */
void js_net_get_params(const js_net *net, double *theta);
void js_net_set_params(js_net *net, const double *theta);

/* f = the outputs on x (n_samples x input size, row-major), n x K,
 * computed batch by batch in double. JS_EINVAL for NULL pointers or
 * n_samples < 1, JS_ENOMEM. */
int js_net_forward(const js_net *net, const double *x, int64_t n_samples, double *f);

/* Prints the graph (one line a node: id, op, inputs, shape, parameters)
 * into buf; returns the length it needed, as snprintf. */
size_t js_net_describe(const js_net *net, char *buf, size_t size);

/* The paper's fully connected network (doc/DESIGN.md section 1):
 *   h_0 = x, h_l = phi(W_l h_{l-1} + b_l) for l < L, f(x) = W_L h_{L-1} (+ b_L),
 * W_l in R^{widths[l] x widths[l-1]}, widths[0] = d, widths[L] = K. Its
 * tensors are "W1".."WL" (and "b1".."bL" with biases), W1 trained. */
typedef struct js_mlp_options {
  int n_layers;           /* L >= 1 */
  const int64_t *widths;  /* widths[0..L] (read during the call) */
  js_activation act;
  int bias;               /* biases b_l (zero-initialised) */
  double nu;              /* output-layer scale (paper: nu) */
  uint64_t seed;          /* initialisation seed */
} js_mlp_options;
/* One hidden layer, softplus, no biases, nu = 1, seed 1; n_layers and
 * widths must still be set. */
void js_mlp_options_init_defaults(js_mlp_options *opt);
/* Builds and initialises it as in the paper (Theorem 3.2): W_1 ~ N(0,1);
 * W_L ~ Rademacher * nu / sqrt(widths[L-1] * K) when L >= 2;
 * W_l ~ N(0, 1/widths[l-1]) for 2 <= l < L; one stream, W_1 first.
 * JS_EINVAL for L < 1, a width < 1, a non-finite nu. */
int js_net_create_mlp(const js_mlp_options *opt, js_net **out);

/* He et al.'s CIFAR ResNet of depth 6n + 2 without batch norm, as the
 * paper's section 4 uses it: a 3 x 3 stem of `width` channels, three stages
 * of n basic blocks (conv-relu-conv, + shortcut, relu) with width, 2 width
 * and 4 width channels, stride 2 at the start of stages 2 and 3 with 1 x 1
 * projection shortcuts, global average pooling and a dense output layer;
 * biases on, no softmax. Tensors: "stem.*", "stageS.blockB.conv1.*",
 * "...conv2.*", "...shortcut.*", "fc.*"; all trained; He-normal
 * convolutions, LeCun dense, zero biases, drawn from `seed`. */
typedef struct js_resnet_options {
  int depth;           /* 6n + 2: 8, 14, 20, 32, ... */
  int64_t width;       /* channels of stage 1 (16 in the paper) */
  js_shape input;      /* (C, H, W) */
  int64_t n_outputs;   /* K */
  uint64_t seed;
  /* 0: He weights (N(0, 2 / fan_in)), LeCun for fc, zero biases. 1: every
   * weight and bias JS_INIT_UNIFORM_FAN of scale 1, what a PyTorch ResNet
   * without batch norm starts from: its residual branches start small,
   * so the network starts near its shortcuts' linear map, where He's
   * variance-keeping weights without batch norm double the output's
   * variance at every block. */
  int torch_init;
} js_resnet_options;
/* ResNet20, width 16, input (1, 28, 28), 10 outputs, seed 1, He init. */
void js_resnet_options_init_defaults(js_resnet_options *opt);
int js_net_create_resnet(const js_resnet_options *opt, js_net **out);

/* A network named by a short text (the command line's --arch):
 *   "resnetD[:width=W][,init=he|torch]"  js_net_create_resnet of depth D
 *     (init=torch: torch_init);
 *   "cnn:ITEM,..."  a plain CNN; items in order: conv=FxK[sS][pP] (F
 *     filters K x K, stride S, padding P, default K/2, then the
 *     activation), pool=avgN or pool=maxN (N x N, stride N), gap (global
 *     average pooling), dense=N (then the activation), act=NAME (the
 *     activation of later items; relu by default); a dense output layer
 *     "fc" of n_outputs follows. Tensors "convI.*", "denseI.*", "fc.*";
 *     all trained; biases on; initialised from seed.
 * JS_EINVAL naming the key or item that is wrong, or the shapes that do not
 * chain (a window larger than its input, image layers on flat input). */
int js_net_create_arch(const char *spec, const js_shape *input, int64_t n_outputs,
                       uint64_t seed, js_net **out);

/* Parameter tensors as files: DIR/NAME.npy, one per tensor, float64 of the
 * tensor's shape. Saving creates DIR if needed; loading reads every tensor
 * and checks shapes and finiteness (JS_EIO for a missing file, JS_EFORMAT
 * naming the file for a wrong shape or NaN/Inf), changing nothing unless
 * all of them are good. */
int js_net_save_tensors(const js_net *net, const char *dir);
int js_net_load_tensors(js_net *net, const char *dir);

/* ONNX model files (README "ONNX models": the op table). A build without
 * protobuf-c has both functions, returning JS_EINVAL with a message. */
typedef struct js_onnx_options {
  int64_t max_tensor_size; /* largest tensor (entries) a file may declare */
} js_onnx_options;
/* max_tensor_size = 2^31. */
void js_onnx_options_init_defaults(js_onnx_options *opt);
/* Reads an ONNX model (opsets up to 17) as a network (opt NULL: defaults).
 * The graph's one data input of shape (N, d) or (N, C, H, W) (N symbolic or
 * a number) gives the sample shape (d) or (C, H, W); its one output is f.
 * Every floating-point initializer of rank >= 1 becomes a trained tensor
 * of the same name, except batch normalisation's running mean and
 * variance, which are folded into its affine form; tensors jacspec adds
 * (an Add's scale of ones) are not trained. JS_EIO when the file cannot be
 * read; JS_EFORMAT, with one line naming the file, the node and its op
 * type, for a corrupt file or an op, attribute or broadcast outside the
 * supported subset (never a silently different network). */
int js_net_load_onnx(const char *path, const js_onnx_options *opt, js_net **out);
/* Writes net, with its current values, as an ONNX model (opset 13, double
 * precision) that js_net_load_onnx reads back to the same function and
 * tensor names. The file appears complete or not at all (PATH.tmp, then
 * renamed). JS_EIO when it cannot be written. */
int js_net_save_onnx(const js_net *net, const char *path);

/* ---------------------------------------------------------------- resources */

/* Threads for the BLIS kernels and the elementwise (OpenMP) loops, for the
 * whole process. n = 0 means one per online core; more than the online
 * cores is clamped to them, since BLIS's OpenMP threads busy-wait and
 * oversubscribed cores slow every product down. Returns the number of
 * threads now in use (>= 1), or JS_EINVAL for n < 0. */
int js_set_threads(int n);

/* The arithmetic of the Jacobian products (the public API stays double). */
typedef enum {
  JS_PRECISION_DOUBLE, /* float64 throughout */
  JS_PRECISION_SINGLE, /* J v and J^T u computed in float32 (sgemm), on a
                          float copy of the weights; inputs and results are
                          converted at the boundary, blocks of vectors 8 at
                          a time. Up to twice the GEMM speed and half the
                          cache (plus a float copy of the input) and
                          workspace memory;
                          products then agree with double to about 3e-7
                          relative (measured, README). */
  JS_PRECISION_MIXED   /* a double-precision Jacobian (no activation cache)
                          holding its single-precision twin (which has the
                          cache), js_jacobian_fast: js_svds runs Lanczos on
                          the twin and refines in double
                          (js_svds_options.fast) to its tol. The two take
                          turns with one workspace of workspace_limit (each
                          frees the other's when it computes; the twin
                          takes at most single's 32 MiB of it) */
} js_precision;

/* How a Jacobian's products run. */
typedef struct js_jacobian_options {
  /* Samples per batch; 0: automatic, each product the largest batch whose
   * workspace for its number of vectors fits workspace_limit, so a
   * single-vector Lanczos product and a block of r vectors each get the
   * batch that suits them. */
  int64_t batch_size;
  size_t workspace_limit; /* bytes of the automatic batches' workspace
                             (0: 64 MiB in double, where larger batches stop
                             paying; 32 MiB, the same batches, in single) */
  /* Bytes the Jacobian may keep, for all samples, of what its products
   * need from the forward pass (the layer inputs of trained weights,
   * activation derivatives, max-pooling choices); the products after the
   * first then skip the forward pass. 0: never cache. */
  size_t cache_limit;
  js_precision precision;
  /* The processes the data set is sharded over (NULL: one). With a comm
   * the data set is this rank's shard (first_sample, total_samples) and
   * the operator is the rank's rows of J (js_linop_set_shard). Borrowed. */
  const js_comm *comm;
} js_jacobian_options;
/* Automatic batches in 64 MiB, cache_limit 1 GiB, double precision, one
 * process. */
void js_jacobian_options_init_defaults(js_jacobian_options *opt);

/* How products on a data set fit a memory budget (js_plan_memory). Bytes
 * are what the library allocates, counted from the graph's shapes, plus a
 * fixed 16 MiB for the program's code and BLIS's packing buffers, so that
 * the budget bounds the process's resident memory. */
typedef struct js_memory_plan {
  size_t budget;        /* the budget planned for */
  /* For js_jacobian_options (batch_size 0): the workspace the automatic
   * batches may take, at most 64 MiB (32 MiB in single precision; mixed:
   * the double Jacobian's, of which its twin takes at most 32 MiB). */
  size_t workspace_limit;
  int64_t block_vectors; /* vectors a block product runs at once: n_vectors,
                            at most 8 in single precision (mixed: of its
                            single twin) */
  int64_t batch_size;   /* samples per batch of block_vectors under it (for
                           js_jacobian_options.batch_size when every product
                           should take the same batch) */
  int64_t vector_batch_size; /* the same for one vector */
  int64_t exact_batch_size;  /* mixed: the same for the double Jacobian's
                                uncached blocks of n_vectors; else 0 */
  int cache;            /* 1: the products' forward data of all samples is cached */
  size_t cache_limit;   /* for js_jacobian_options: cache_bytes, or 0 */
  size_t fixed_bytes;   /* program, data, weights and solver_bytes */
  size_t cache_bytes;   /* the activation cache (0 when not cached) */
  size_t batch_bytes;   /* the Jacobian's workspace: the larger of a
                           block's and one vector's batch (mixed: and of
                           the double one's block) */
  size_t total_bytes;   /* fixed + cache + batch: at most the budget */
  size_t min_budget;    /* the smallest budget that works (batch of 1, no cache) */
} js_memory_plan;

/* Plans products of `net` on n_samples samples (inputs and targets held in
 * memory) in blocks of n_vectors, in the given precision, next to
 * solver_bytes of solver memory (js_svds_memory_bytes): caches when the
 * cache fits, then gives the workspace what is left (capped where larger
 * batches stop paying: 64 MiB in double, 32 MiB in single) and the largest
 * batches that fit it, for blocks of n_vectors (block_vectors) and for one
 * vector, at least one sample. Mixed counts both Jacobians (the twin's
 * float copies, cache and batches, the double one's copy and uncached
 * blocks) and plans within what double precision would plan for the same
 * sizes, giving the workspace what the twin leaves of it, so that mixed
 * never plans more memory than double.
 * JS_ENOMEM, with a message giving min_budget, when even one sample's
 * working set next to the fixed memory exceeds budget (*plan is still
 * filled); JS_EINVAL for invalid sizes. */
int js_plan_memory(const js_net *net, js_precision precision, int64_t n_samples,
                   int64_t n_vectors, size_t solver_bytes, size_t budget,
                   js_memory_plan *plan);

/* ---------------------------------------------------------------- operator */

/* A matrix-free linear operator A (rows x cols). The callback computes
 * out = A in (transpose = 0; in is cols x b, out is rows x b) or
 * out = A^T in (transpose = 1; in is rows x b, out is cols x b) for a block
 * of b vectors, and returns a status. */
typedef int (*js_apply_fn)(void *ctx, int transpose, int64_t n_vectors,
                           const double *in, double *out);

typedef struct js_linop js_linop;

/* Wraps a callback as an operator of rows x cols. ctx is borrowed (it must
 * outlive the operator) and passed to every call. JS_EINVAL for sizes < 1,
 * a NULL callback or a NULL out. */
int js_linop_create(int64_t rows, int64_t cols, js_apply_fn apply, void *ctx,
                    js_linop **out);
void js_linop_free(js_linop *op);
int64_t js_linop_rows(const js_linop *op);
int64_t js_linop_cols(const js_linop *op);
/* A row-distributed operator: op is this rank's rows row_offset ..
 * row_offset + rows - 1 of an operator of global_rows x cols whose other
 * rows the other ranks of comm hold (borrowed; it must outlive op). Then
 * A x stays local (each rank its rows), and A^T y becomes the callback's
 * local product followed by comm's sum over the ranks, so every rank gets
 * the whole A^T y: the callback computes only its own rows' part. Every
 * product is collective then (all ranks call it, with the same b) and
 * agrees on its status (js_comm_agree): a rank whose callback fails makes
 * every rank's product fail, with its message. Collective: checks that
 * the ranks' rows add up to global_rows (JS_EINVAL otherwise). */
int js_linop_set_shard(js_linop *op, const js_comm *comm, int64_t row_offset,
                       int64_t global_rows);
/* global_rows, row_offset and comm of a shard; rows, 0 and the serial
 * comm for an operator that is not distributed. */
int64_t js_linop_global_rows(const js_linop *op);
int64_t js_linop_row_offset(const js_linop *op);
const js_comm *js_linop_comm(const js_linop *op);
/* y = A x (x is cols x b, y is rows x b). Returns the callback's status
 * (JS_EINVAL for n_vectors < 1, before calling it). */
int js_linop_apply(js_linop *op, int64_t n_vectors, const double *x, double *y);
/* x = A^T y (y is rows x b, x is cols x b). */
int js_linop_apply_t(js_linop *op, int64_t n_vectors, const double *y, double *x);
/* Numbers of single-vector products applied so far (a block of b counts b). */
int64_t js_linop_apply_count(const js_linop *op);
int64_t js_linop_apply_t_count(const js_linop *op);
void js_linop_reset_counts(js_linop *op);

/* The Jacobian J = df/dtheta of `net` at its current parameters on the
 * inputs of `data`: rows nK (sample-major), cols p. It is a snapshot of
 * (theta, X): it copies the parameter values, so later changes to the
 * network do not change it, and it owns the cache of its forward data. It
 * borrows net (the graph) and data, which must outlive it and data->x must
 * not change. opt may be NULL (defaults). Inputs whose shape differs from
 * the network's are reshaped when the sizes agree and either shape is flat
 * (flat rows for an image network; images for an MLP, which flattens).
 * JS_EINVAL (naming both shapes) when they do not fit, or when the data
 * has another number of outputs than the network. Its products are not
 * safe to run from two threads at once. */
int js_jacobian_create(const js_net *net, const js_dataset *data,
                       const js_jacobian_options *opt, js_linop **out);
/* The same at parameters theta (length p) instead of the network's. */
int js_jacobian_create_at(const js_net *net, const double *theta, const js_dataset *data,
                          const js_jacobian_options *opt, js_linop **out);
/* The same, and f (length nK, double) receives the network's outputs at
 * (theta, X), computed by the products' own forward pass in their
 * precision: with the activation cache on, that pass fills it, so one
 * forward pass serves the outputs and every product (a training step's
 * residual and gradient). */
int js_jacobian_create_outputs(const js_net *net, const double *theta,
                               const js_dataset *data, const js_jacobian_options *opt,
                               double *f, js_linop **out);
/* The single-precision twin of a mixed-precision Jacobian (borrowed: it is
 * freed with the Jacobian), for js_svds_options.fast; NULL for any other
 * operator. Its products are the same J to about 3e-7 relative. */
js_linop *js_jacobian_fast(const js_linop *jacobian);

/* ---------------------------------------------------------------- explicit Gram */

/* The Gram matrix G = J J^T (nK x nK: the empirical neural tangent kernel)
 * formed explicitly, for networks whose trained part is a chain of dense
 * layers, activations and flattens (the MLP, a CNN with only its dense
 * top trained, a Gemm/Relu ONNX model; not convolutions, pools, sums or
 * affine maps). Row (i, k) of J on a trained dense layer l is
 * s_{l,k}(x_i) (x) [a_l(x_i), 1], with a_l the layer's input and
 * s_{l,k} = df_k/dz_l its output sensitivity, so
 *   G[(i,k), (j,k')] = sum_l ([W_l trained] <a_l(x_i), a_l(x_j)> + [b_l trained])
 *                            <s_{l,k}(x_i), s_{l,k'}(x_j)>,
 * formed by GEMMs on tiles of its lower triangle in O((nK)^2 width) flops
 * (README, "Speed and memory"), never forming J. Then one product G x
 * costs one pass over G instead of a J^T and a J product. */
/* Costs in dgemm-equivalent flops: work that runs at memory speed is
 * weighted by how much slower it was than dgemm on the development machine
 * (bench/gram, README). */
typedef struct js_gram_cost {
  double form_flops;     /* forming G: the sensitivities and the tiles'
                            GEMMs, plus first touching G and the Hadamard
                            products, counted as 25 steps */
  double step_flops;     /* one product G x: its 2 (nK)^2 flops times 5 */
  double implicit_flops; /* one product J (J^T x) through J v and J^T u */
  size_t bytes;          /* G (8 (nK)^2 bytes; about half of it is touched)
                            and what forming it holds */
} js_gram_cost;
/* What the explicit Gram of net on n_samples samples costs; JS_EINVAL,
 * naming the node, when the trained part of net is not such a chain. */
int js_net_gram_cost(const js_net *net, int64_t n_samples, js_gram_cost *out);
/* *out = the explicit G of a Jacobian made by js_jacobian_create (in its
 * precision: single precision forms G with sgemm, to about 1e-7 relative,
 * and keeps it in double), as a symmetric nK x nK operator (either
 * product is G x); it holds G and owns nothing else, so the Jacobian may
 * be freed before it. JS_EINVAL for another operator, a network that is
 * not such a chain (the message names the node) or a Jacobian split
 * across ranks; JS_ENOMEM; JS_ECANCELED (js_cancel_request). */
int js_jacobian_gram(js_linop *jacobian, js_linop **out);

/* ---------------------------------------------------------------- solver */

typedef enum {
  JS_SIDE_AUTO,    /* the smaller of the two Gram matrices */
  JS_SIDE_OUTPUTS, /* Lanczos on J J^T (size nK) */
  JS_SIDE_PARAMS   /* Lanczos on J^T J (size p) */
} js_side;

/* Where a long computation stands, for a progress display. */
typedef struct js_progress {
  const char *stage;  /* "lanczos" (ARPACK on the Gram side), "gkl", "density",
                         or a caller's own ("train" on the command line) */
  int64_t done;       /* lanczos, density: Gram products (one J and one J^T
                         each); gkl: steps (one J and one J^T each) */
  int64_t total;      /* what done reaches at the end; 0 when not known */
  int64_t restarts;   /* Lanczos restarts so far; -1 when not known */
  int64_t converged;  /* triplets converged so far; -1 when not known */
  int64_t wanted;     /* triplets asked for; 0 outside a triplet solve */
} js_progress;
/* Called after each product (or block of them); the struct is valid during
 * the call only. */
typedef void (*js_progress_fn)(void *ctx, const js_progress *progress);

/* How js_svds computes the triplets. */
typedef enum {
  JS_SVDS_AUTO,  /* GKL for the smallest; else the Gram side, switching to GKL
                    (and solving again) when the request reaches below
                    1e-4 lambda_1 (lambda_r, or the cut-off), where the Gram
                    side's error eps lambda_1^2 / lambda becomes visible */
  JS_SVDS_GRAM,  /* ARPACK's Lanczos on the smaller Gram operator: one J and
                    one J^T product a step, memory n x ncv on that side; a
                    singular value carries an error ~ eps lambda_1^2 / lambda */
  JS_SVDS_GKL,   /* Golub-Kahan-Lanczos bidiagonalisation of J itself,
                    thick-restarted (IRLBA): one J and one J^T product a
                    step, memory (nK + p) x ncv; error ~ eps lambda_1 */
  JS_SVDS_DENSE  /* js_svds_dense: LAPACK's SVD of the explicit J */
} js_svds_method;

/* js_svds_options.want_vectors. */
enum { JS_VECTORS_NONE = 0, JS_VECTORS_ALL = 1, JS_VECTORS_U = 2 };

typedef struct js_svds_options {
  int64_t top;       /* r: number of triplets (used when cutoff <= 0) */
  int smallest;      /* 1: the r smallest triplets instead of the top r
                        (not with cutoff) */
  js_svds_method method;
  double cutoff;     /* alpha > 0: all singular values above alpha */
  js_side side;
  double tol;        /* the relative accuracy wanted of each singular value
                        (default 1e-10). Gram: ARPACK's tolerance on the
                        eigenvalues lambda^2 is sqrt(2e-2 tol): an error of
                        at most tol where lambda^2 is 1 % or more away from
                        the rest of the spectrum (Kato-Temple), sqrt(5e-3
                        tol) in any case; 0: machine precision. GKL: a
                        triplet converges when its residual bound ||J^T u -
                        lambda v|| <= tol lambda_1 / 100, which bounds its
                        error */
  int64_t ncv;       /* Lanczos basis size (0: min(max(2r+1, 20), n), 256 in
                        place of 20 for the smallest; n = the Gram side's
                        size, min(nK, p) for GKL, which clamps to it) */
  int64_t max_iter;  /* restarts */
  uint64_t seed;     /* start vector */
  int want_vectors;  /* JS_VECTORS_ALL (1, the default): keep u and v in the
                        result; JS_VECTORS_U: u only (v NULL), which with an
                        explicit gram needs no product with J after Lanczos
                        but the two that check G (gram_check); JS_VECTORS_NONE
                        (0): neither */
  size_t dense_limit; /* bytes the explicit J may take in js_svds_dense */
  /* An explicit Gram of op (js_jacobian_gram; borrowed), or NULL: Lanczos
   * on the outputs side then multiplies by it instead of J (J^T x), the
   * residuals come from one block product G U (js_svds_result), J makes
   * the right vectors (one block of r J^T products, unless JS_VECTORS_U or
   * none are wanted) and checks G once (gram_check). Needs the outputs
   * side; GKL and the dense path do not use it. */
  js_linop *gram;
  /* A cheaper approximation of op (the same J in single precision:
   * js_jacobian_fast of a mixed-precision Jacobian; borrowed), or NULL.
   * Lanczos then runs on its Gram (or on gram, which may be formed from
   * it) for r + 3 triplets (3 guards), to tol (but not below 1e-12: float
   * products go no further), and a refinement in double on op
   * (Rayleigh-Ritz of J on the subspace found, then up to 3 steps of
   * subspace iteration while needed) brings every singular value to tol
   * and bounds its error: the fast Lanczos plus (steps + 1) (r + 3)
   * products with J and as many with J^T. Where the r-th value sits at the
   * edge of a dense bulk far below lambda_1 (sigma_r / sigma_1 ~ 0.02,
   * relative gaps ~ 1e-3), float products leave the subspace too noisy
   * and subspace iteration too slow to certify tol = 1e-10: js_svds then
   * returns JS_ENOCONV with the triplets and the bound reached (README,
   * "Mixed precision"). The Gram method only (auto never switches to GKL),
   * the top r (not smallest), one process (JS_EINVAL otherwise);
   * res->refined and what follows it report the refinement. */
  js_linop *fast;
  js_progress_fn progress; /* after each product: stage "lanczos" (the Gram
                              side: restarts counted from the Lanczos step
                              ARPACK asks for, converged not known until
                              the end) or "gkl" (restarts and converged
                              known); total 0; may be NULL */
  void *progress_ctx;
} js_svds_options;
void js_svds_options_init_defaults(js_svds_options *opt);

/* Singular triplets (lambda_s, u_s, v_s), s < rank, lambda descending
 * (ascending with opt->smallest). */
typedef struct js_svds_result {
  int64_t rank;       /* triplets returned (converged ones) */
  int64_t requested;  /* triplets asked for (the last request, in cutoff mode) */
  int64_t rows, cols; /* nK and p (all ranks' rows) */
  /* A distributed operator's: this rank's rows of u (local_rows from
   * row_offset) and its comm; rows, 0 and the serial comm otherwise. */
  int64_t local_rows, row_offset;
  const js_comm *comm;
  js_side side;       /* the Gram side used (never JS_SIDE_AUTO); for GKL and
                         dense, the one the Gram method would have used */
  js_svds_method method; /* the method that gave the triplets (never AUTO) */
  double *sigma;      /* rank singular values */
  double *u;          /* local_rows x rank (NULL unless want_vectors) */
  double *v;          /* cols x rank (NULL unless JS_VECTORS_ALL) */
  /* ||J v_s - lambda_s u_s|| / lambda_1 and ||J^T u_s - lambda_s v_s|| /
   * lambda_1. On the Gram side the other side's vectors are made from the
   * solver's (v_s = J^T u_s / ||J^T u_s|| on the outputs side), so that
   * side's residual is | ||J^T u_s|| - lambda_s | / lambda_1 with no
   * product, and one block of r products (J V there; J^T U on the params
   * side) gives the one that measures the triplet: ||G u_s - lambda_s^2
   * u_s|| / (lambda_s lambda_1). With an explicit Gram (opt->gram) no
   * product with J: from G U, ||J^T u_s|| = sqrt(u_s^T G u_s) and J v_s =
   * G u_s / ||J^T u_s||. GKL and dense: both by products. */
  double *residual_u;
  double *residual_v;
  /* With opt->gram (and no opt->fast): ||G z - J (J^T z)|| / ||G z|| for a
   * Gaussian z drawn from opt->seed, G checked by two products with J
   * (rounding: ~1e-15 in double, ~1e-7 when G was formed in single
   * precision); NaN otherwise. */
  double gram_check;
  int converged;      /* 1 if every requested triplet converged */
  int smallest;       /* the r smallest: sigma ascending (sigma_min first) */
  double scale;       /* lambda_1, the residuals' scale (for the smallest,
                         from a separate top-1 solve by the same method, its
                         products counted) */
  /* Numerical rank: when the top r asked for reach singular values that
   * are zero to working precision (sigma_s <= max(nK, p) eps lambda_1, or,
   * on the Gram side, sqrt(eps) lambda_1 with a residual that shows the
   * pair is not a triplet of J), only the rho = numerical_rank nonzero
   * triplets are returned (rank = rho) and rank_gap = sigma_rho /
   * sigma_{rho+1} (Inf for an exact zero); numerical_rank = -1 and
   * rank_gap = NaN when every triplet asked for is nonzero. */
  int64_t numerical_rank;
  double rank_gap;
  int64_t iterations; /* Lanczos restarts (0 for dense) */
  int64_t n_apply, n_apply_t; /* products with J and J^T */
  int64_t n_gram;     /* products with opt->gram (0 without it) */
  int64_t n_fast_apply, n_fast_apply_t; /* products with opt->fast (0 without it) */
  /* With opt->fast: refined = 1 and the triplets come from the refinement
   * in double on op. J^T u_s = sigma_s v_s holds by construction on the
   * outputs side (J v_s = sigma_s u_s on the params side), so that
   * residual is 0 and the other is measured by one block of products.
   * error_bound[s] (rank values) bounds |sigma_s - lambda_s| / sigma_s:
   * the smaller of the residual bound rho_s / sqrt 2 and the quadratic
   * rho^2 / gap (Kato-Temple, with the gap to the neighbouring Ritz values;
   * solve/refine.c); max_error_bound is the largest, at most opt->tol
   * unless the solve returned JS_ENOCONV; refine_steps counts the
   * subspace-iteration steps after the first Rayleigh-Ritz step (each
   * r + guards products with J and as many with J^T). Without opt->fast:
   * refined = 0, error_bound NaN, refine_steps 0, max_error_bound NaN. */
  int refined;
  int64_t refine_steps;
  double *error_bound;
  double max_error_bound;
  double seconds;
} js_svds_result;
void js_svds_result_free(js_svds_result *res);
/* out[s] = ||u_s||_inf sqrt(nK) for s < res->rank: 1 for a perfectly spread
 * (delocalised) left vector, sqrt(nK) for one on a single output. JS_EINVAL
 * when res has no vectors. */
int js_svds_delocalization(const js_svds_result *res, double *out);

/* Singular triplets of op by opt->method (js_svds_method): ARPACK's Lanczos
 * (dsaupd/dseupd) on the Gram operator of the chosen side, GKL on op
 * itself, or the dense path. Returns JS_OK, or JS_ENOCONV with *out set to
 * the triplets that did converge; JS_ECANCELED (*out NULL) when
 * js_cancel_request stopped it between two products. */
int js_svds(js_linop *op, const js_svds_options *opt, js_svds_result **out);
/* The same from LAPACK's SVD of the explicitly formed matrix, formed from
 * its smaller side (J e_j for every column when cols <= rows, else J^T e_i
 * for every row); JS_ELIMIT when rows*cols*8 exceeds opt->dense_limit. */
int js_svds_dense(js_linop *op, const js_svds_options *opt, js_svds_result **out);
/* Bytes js_svds allocates for an operator of rows x cols under opt: the
 * Lanczos basis and ARPACK's work arrays on the Gram side (GKL: both bases,
 * (rows + cols) x ncv), the scratch of the other side and the result (for
 * cut-off mode, at its first rank). JS_SVDS_AUTO counts the larger of the
 * Gram side and GKL, since it may switch; the dense path is not counted.
 * On the Gram side the guard triplets and the refinement of a fast
 * operator are counted whether or not opt->fast is set (a plan comes
 * before the operators): three triplets more than without. */
size_t js_svds_memory_bytes(const js_svds_options *opt, int64_t rows, int64_t cols);

/* ---------------------------------------------------------------- density */

/* The density of all min(nK, p) singular values of J by stochastic Lanczos
 * quadrature (Ubaru, Chen and Saad, SIAM J. Matrix Anal. Appl. 38, 2017):
 * on the smaller Gram matrix G (J J^T when nK <= p, else J^T J; size
 * N = min(nK, p)), each probe v (a unit Hutchinson vector) gives m Lanczos
 * steps, whose tridiagonal T_m = Z diag(theta) Z^T is the m-point Gauss
 * rule of the spectral measure of G seen from v:
 *   v^T f(G) v ~ sum_k tau_k^2 f(theta_k),  tau_k = Z(0, k).
 * Hence the number of singular values in a set B is estimated by
 *   N sum_k tau_k^2 [sqrt(theta_k) in B], averaged over the probes
 * (E[N v v^T] = I for v uniform on the sphere or a scaled sign vector). */
typedef enum {
  JS_PROBE_RADEMACHER, /* entries +-1/sqrt(N): the smaller variance */
  JS_PROBE_GAUSSIAN    /* a normal vector scaled to unit length */
} js_probe;

typedef struct js_density_options {
  int64_t probes;   /* Hutchinson probe vectors */
  int64_t steps;    /* m: Lanczos steps per probe (capped at N) */
  js_probe probe;
  uint64_t seed;    /* the probes (the same seed gives the same result for
                       any block size) */
  int64_t block;    /* probes run side by side, their products as one block
                       of vectors; memory N (m + 2) doubles per probe */
  int64_t bins;     /* histogram bins */
  double range_lo, range_hi; /* bin edges' range; both 0: automatic, 0 ..
                       1.05 sigma_max (log: from the smallest node above
                       1e-6 sigma_max, the Gram side's resolution, below
                       which nodes count as zero singular values) */
  int log_bins;     /* bins of equal width in log sigma (needs range_lo > 0) */
  double cutoff;    /* alpha > 0: estimate c(alpha); 0: not computed */
  /* An explicit Gram of op (js_jacobian_gram; borrowed), or NULL: the
   * Lanczos steps multiply by it instead of J (J^T x). Needs nK <= p (the
   * outputs side). */
  js_linop *gram;
  js_progress_fn progress; /* stage "density", done = Gram products so far,
                              total = probes * m (fewer after breakdowns);
                              restarts and converged -1 */
  void *progress_ctx;
} js_density_options;
void js_density_options_init_defaults(js_density_options *opt);

typedef struct js_density_result {
  int64_t rows, cols; /* nK and p */
  int64_t size;       /* N = min(nK, p): the Gram side's size */
  js_side side;       /* JS_SIDE_OUTPUTS (J J^T) or JS_SIDE_PARAMS (J^T J) */
  int64_t probes, steps; /* as run (steps capped at N) */
  /* The quadrature: probe l owns nodes node_start[l] .. node_start[l+1]-1,
   * each a singular value sigma_k = sqrt(max(theta_k, 0)) with weight
   * N tau_k^2 (a probe's weights sum to N). */
  int64_t n_nodes;
  double *nodes, *weights;
  int64_t *node_start; /* probes + 1 */
  int64_t breakdowns;  /* probes that stopped early on an invariant subspace */
  double sigma_max;    /* the largest node (a lower bound on sigma_1) */
  /* The histogram: bins [edges[i], edges[i+1]) (the last one closed), and
   * the estimated numbers of singular values in each, outside the range
   * below and above; counts + below + above sum to N. */
  int64_t bins;
  double *edges;       /* bins + 1 */
  double *counts;      /* bins */
  double below_range, above_range;
  int log_bins;
  /* c(alpha): the estimated number of singular values above alpha and its
   * standard error over the probes (NaN when cutoff = 0, or the error for
   * one probe). */
  double cutoff, count_above, count_above_stderr;
  int64_t n_apply, n_apply_t; /* products with J and J^T */
  int64_t n_gram;     /* products with opt->gram (0 without it) */
  double seconds;
} js_density_result;
void js_density_result_free(js_density_result *res);

/* The density of op's singular values, from op's products alone. JS_EINVAL
 * for bad options (probes, steps, bins or block < 1; a range with lo >= hi,
 * lo < 0, or lo = 0 on log bins; a negative or non-finite cut-off),
 * JS_ENUMERIC for NaN or Inf from a product, JS_ENOMEM. */
int js_density(js_linop *op, const js_density_options *opt, js_density_result **out);
/* The estimated fraction of singular values <= x (the histogram's and
 * c(alpha)'s distribution function: the Gauss rule's weights spread
 * linearly between the nodes, zero singular values kept at 0). */
double js_density_cdf(const js_density_result *res, double x);
/* Bytes js_density allocates for an operator of rows x cols under opt. */
size_t js_density_memory_bytes(const js_density_options *opt, int64_t rows, int64_t cols);

/* ---------------------------------------------------------------- analysis */

/* Information space I = span(u_1..u_r) of J and nuisance space N = I^perp
 * in R^{nK} (doc/DESIGN.md section 1; paper Definition 2.1). A js_space holds
 * the top r triplets (lambda_s, u_s, v_s) of J, copied from a solver
 * result: r (nK + p + 1) doubles, never nK x p. */
typedef struct js_space js_space;

/* Builds the space from res (computed with want_vectors; res may be freed
 * afterwards). Exactly one of rank > 0 (the top `rank` triplets) or
 * cutoff > 0 (every lambda_s > cutoff; res must hold them all, as js_svds
 * in cut-off mode returns them) selects r. JS_EINVAL when res has no
 * vectors, when rank >= min(nK, p) or exceeds res->rank, or when the
 * cut-off is <= 0 or >= lambda_1 (I would be empty). */
int js_space_create(const js_svds_result *res, int64_t rank, double cutoff,
                    js_space **out);
void js_space_free(js_space *space);
int64_t js_space_rank(const js_space *space); /* r */
/* nK: with a distributed J (res->comm), this rank's rows, and the vectors
 * z and pz below are this rank's entries of vectors of length nK. */
int64_t js_space_rows(const js_space *space);
int64_t js_space_cols(const js_space *space); /* p */
/* lambda_1 >= ... >= lambda_r (r values, owned by the space). */
const double *js_space_singular_values(const js_space *space);

/* u_1..u_r (nK x r, column after column, owned by the space). */
const double *js_space_left_vectors(const js_space *space);

/* How far two information spaces I_a and I_b of R^{nK} (of ranks r_a and
 * r_b, e.g. I(theta_0) and I(theta_t): the paper's adaptation of the
 * Jacobian, Tables 1-3) are from each other. The singular values
 * cos(phi_1) >= ... of the r_a x r_b matrix U_a^T U_b (LAPACK dgesvd) are
 * the cosines of the principal angles phi_1 <= phi_2 <= ...; angles (may
 * be NULL) receives the min(r_a, r_b) angles in radians, ascending, and
 * *overlap (may be NULL) ||U_a^T U_b||_F^2 / min(r_a, r_b) = the mean of
 * cos^2(phi_s): 1 when the smaller space lies in the other, about
 * max(r_a, r_b) / nK for a uniformly random one. Cost O(nK r_a r_b).
 * JS_EINVAL for NULL spaces or spaces of different nK. */
int js_space_overlap(const js_space *a, const js_space *b, double *angles, double *overlap);
/* The same between I_a and the span of the `rank` columns of basis (rows x
 * rank, column after column): vectors saved by another run (spectrum
 * --save-vectors' U, for the same samples in the same order). The columns
 * need not be orthonormal (Householder QR orthonormalises a copy); angles
 * receives min(r_a, rank) values. JS_EINVAL when rows differs from the
 * space's nK, for a non-finite entry, or when the columns are linearly
 * dependent (a diagonal entry of R at most 1e-10 of the largest). */
int js_space_overlap_basis(const js_space *a, int64_t rows, int64_t rank, const double *basis,
                           double *angles, double *overlap);

/* pz = Pi_I z = sum_s (u_s^T z) u_s; z and pz have length nK (they may
 * not overlap). */
int js_space_project(const js_space *space, const double *z, double *pz);

/* How a vector z (length nK) splits between I and N: the paper's Table 1
 * ratios. For z = 0 the ratios are 0. */
typedef struct js_alignment {
  double norm;     /* ||z|| */
  double info;     /* ||Pi_I z|| / ||z|| */
  double nuisance; /* ||Pi_N z|| / ||z||, from ||z||^2 - ||Pi_I z||^2 (clamped at 0) */
  double pinv;     /* ||J_I^+ z|| / ||z||, J_I^+ z = sum_s (u_s^T z / lambda_s) v_s */
} js_alignment;
/* Fills *out; coef (length r, or NULL) receives u_s^T z. JS_ENUMERIC when
 * z holds NaN or Inf. */
int js_space_align(const js_space *space, const double *z, double *coef,
                   js_alignment *out);
/* ||J^T Pi_N z|| = ||J^T z - sum_s lambda_s (u_s^T z) v_s|| (one product
 * with J^T; jacobian is the operator the space was computed from):
 * (sum_{s>r} lambda_s^2 (u_s^T z)^2)^{1/2}, the nuisance part of the
 * early-stopping value of the paper's Definition 6.1. */
int js_space_nuisance_gradient(const js_space *space, js_linop *jacobian, const double *z,
                               double *norm);

/* A model to train: any differentiable f(theta) in R^{nK} of p parameters
 * on n samples (K = n_outputs / n_samples outputs each, sample-major), given
 * by callbacks, so a C user can train their own model. The callbacks are
 * functions of theta: nothing is set and nothing changes between calls.
 * Each returns a status (JS_OK or a JS_E* code), which js_train passes on. */
typedef struct js_model {
  int64_t n_samples; /* n */
  int64_t n_outputs; /* nK */
  int64_t n_params;  /* p */
  void *ctx;         /* passed to every callback */
  /* Distributed (NULL: one process): n_samples, n_outputs, f, y and the
   * residuals are this rank's shard, theta and the gradient whole, and
   * the jacobian callback returns row-distributed operators over comm. */
  const js_comm *comm;
  /* f (length nK) = the outputs on all samples at theta (length p). */
  int (*forward)(void *ctx, const double *theta, double *f);
  /* *op = the Jacobian at theta on the n_batch samples listed in
   * `samples` (all n in order when samples is NULL): rows = n_batch K,
   * cols = p. f (length n_batch K; NULL: not wanted) receives the outputs
   * at theta on those samples, which the operator's forward pass computes
   * anyway: js_train takes every residual it needs for a gradient from
   * here. The operator keeps its own copy of what it needs: theta may
   * change afterwards. The caller frees it with js_linop_free. */
  int (*jacobian)(void *ctx, const double *theta, const int64_t *samples,
                  int64_t n_batch, double *f, js_linop **op);
  /* Releases ctx (js_model_release); may be NULL. */
  void (*release)(void *ctx);
} js_model;

/* The model of a network on a data set (both borrowed: they must outlive
 * the model; opt is copied, NULL for defaults): f(theta) is the network
 * with its trained tensors set to theta and the others as they are. */
int js_net_model_init(js_model *model, const js_net *net, const js_dataset *data,
                      const js_jacobian_options *opt);
/* Calls model->release(model->ctx) and clears the model (NULL accepted). */
void js_model_release(js_model *model);

typedef enum {
  JS_OPTIM_GD,  /* theta -= eta J^T r */
  JS_OPTIM_SGD, /* theta -= eta J_B^T r_B over `batch` samples drawn anew
                   each step (without replacement) */
  JS_OPTIM_ADAM /* Adam (Kingma and Ba) on the gradient J^T r */
} js_optimizer;

/* Everything a training run carries from one step to the next, after step
 * t: with it js_train continues as if it had never stopped, bit for bit.
 * Lengths: p = n_params, m = n_outputs, n = n_samples of the model; arrays
 * a run does not have are NULL. When js_train hands one to the checkpoint
 * callback the arrays are its own, valid during the call; for resume they
 * are the caller's, read during the js_train call only. */
typedef struct js_train_snapshot {
  int64_t step;                   /* t: the updates done, 0..T */
  double lr;                      /* eta before the schedule (an automatic one is kept) */
  const double *theta0;           /* p: theta_0 */
  const double *theta;            /* p: theta_t */
  const double *moment1, *moment2; /* p each: Adam's moments */
  /* The linearised run (linearized): */
  const double *lin_theta;        /* p: theta~_t */
  const double *lin_residual;     /* m: r~_t */
  const double *lin_moment1, *lin_moment2; /* p each (Adam) */
  const double *res0;             /* m: r_0 */
  /* SGD's sample draws: */
  uint64_t rng_state[4];          /* the generator (xoshiro256**) */
  const int64_t *order;           /* n: the order the next draw starts from */
} js_train_snapshot;
/* Receives a snapshot (a checkpoint to keep); returns JS_OK, or a status
 * that stops training (js_train returns it). */
typedef int (*js_checkpoint_fn)(void *ctx, const js_train_snapshot *snapshot);

#define JS_MAX_LR_DECAYS 16
typedef struct js_train_options {
  int64_t steps;        /* T >= 1 updates */
  double lr;            /* eta > 0; <= 0: automatic, 1 / lambda_1^2 of J(theta_0) */
  js_optimizer optimizer;
  int64_t batch;        /* SGD: samples per step, 1..n */
  uint64_t seed;        /* SGD sample draws and the lambda_1 solve's start */
  int linearized;       /* also train f_lin(theta) = f(theta_0) + J_0 (theta - theta_0) */
  double beta1, beta2, epsilon; /* Adam */
  /* After every checkpoint_every-th step (0: never), once the step's
   * callback has run, checkpoint(checkpoint_ctx, snapshot) is called. */
  int64_t checkpoint_every;
  js_checkpoint_fn checkpoint;
  void *checkpoint_ctx;
  /* Non-NULL: continue a run from this snapshot (taken with the same model,
   * targets and options) instead of starting at theta: steps
   * resume->step + 1 .. T follow, each reported as before; step
   * resume->step itself is not reported again. */
  const js_train_snapshot *resume;
  /* Learning-rate schedule (the paper's section 4: x0.1 at given epochs):
   * the update to theta_t uses eta times the product of decay_factors[i]
   * over the i with decay_steps[i] <= t. Steps ascending, >= 1; factors
   * finite and > 0. */
  int n_decays;         /* 0..JS_MAX_LR_DECAYS */
  int64_t decay_steps[JS_MAX_LR_DECAYS];
  double decay_factors[JS_MAX_LR_DECAYS];
  /* How the Jacobian adapts during training (the paper's Tables 1-3),
   * measured at steps 0, E, 2E, ... and T for E = measure_every (0: never)
   * into js_train_state:
   * taylor != 0: taylor_rem = ||f(theta_t) - f(theta_0) - J_0 (theta_t -
   *   theta_0)||, the remainder of the first-order Taylor expansion at
   *   theta_0 (O(||theta_t - theta_0||^2) for a smooth model): one product
   *   with J_0 per measured step;
   * overlap_rank r >= 1 (below min(nK, p)): space_overlap = ||U_0^T
   *   U_t||_F^2 / r between I(theta_0) and I(theta_t) (js_space_overlap),
   *   the top r triplets of J(theta_t) by Lanczos (js_svds defaults,
   *   start vector from seed) at every measured step, plus one such
   *   solve at theta_0: each costs about as many products as `jacspec
   *   split --rank r` (tens of products per triplet), far more than a
   *   training step;
   * jacobian_change != 0: jacobian_change = ||J(theta_t) - J_0||_2 /
   *   lambda_1(J_0), the top singular value of the difference operator
   *   by GKL to 1e-6 (js_svds, start vector from seed: a basis of 20,
   *   some 20-40 products each of J(theta_t), J_0 and their transposes),
   *   lambda_1(J_0) solved once (the automatic learning rate's when there
   *   is one); 0 at step 0 without a solve. Works on a distributed model,
   *   where the overlap does not. */
  int64_t measure_every;
  int taylor;
  int64_t overlap_rank;
  int jacobian_change;
  /* SGD: the callback sees the loss and the residual at steps 0, E, 2E,
   * ... and T for E = report_every (0 or 1: every step), and at the other
   * steps only theta (loss NaN, residual NULL): the full residual is a
   * forward pass over all n samples, n / B times the work of a step, so
   * set E to the steps you look at. GD and Adam, whose every step needs
   * it, always report it. */
  int64_t report_every;
} js_train_options;
/* T = 100, automatic eta, GD, batch 32, seed 1, not linearised, Adam's
 * beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, no checkpoints, no resume,
 * no decay, nothing measured, every step reported. */
void js_train_options_init_defaults(js_train_options *opt);

/* What the callback sees after each step (step 0 is theta_0). Pointers are
 * valid during the call only. */
typedef struct js_train_state {
  int64_t step;            /* t, 0..T */
  double lr;               /* eta of the update that reached theta_t (step 0:
                              of the first update), after the schedule */
  double loss;             /* 0.5 ||r_t||^2 over all samples (NaN at steps
                              not reported: js_train_options.report_every) */
  const double *residual;  /* r_t = f(theta_t) - y, length nK (NULL at steps
                              not reported) */
  const double *theta;     /* theta_t, length p */
  double dist_from_init;   /* ||theta_t - theta_0|| */
  /* Linearised run (NULL / NaN unless opt->linearized): */
  const double *lin_residual; /* r~_t = f_lin(theta~_t) - y */
  double lin_gap;             /* ||r_t - r~_t|| */
  double lin_dist;            /* ||theta_t - theta~_t|| */
  /* At measured steps (js_train_options.measure_every), else NaN: */
  double taylor_rem;          /* ||f(theta_t) - f(theta_0) - J_0 (theta_t - theta_0)|| */
  double space_overlap;       /* ||U_0^T U_t||_F^2 / r of I(theta_0) and I(theta_t) */
  double jacobian_change;     /* ||J(theta_t) - J_0||_2 / ||J_0||_2 */
} js_train_state;
/* Returns 0 to go on, non-zero to stop training (js_train then returns
 * JS_OK). */
typedef int (*js_train_callback)(void *ctx, const js_train_state *state);

/* Minimises 0.5 ||f(theta) - y||^2 from theta_0 = theta (length p) by
 * opt->steps updates, using only forward passes and J^T products (memory
 * O(nK + p)). y has length nK. callback may be NULL. With opt->resume the
 * run starts from the snapshot and theta's input is not read. On return
 * theta holds the last parameters reached. Errors: JS_EINVAL (options,
 * sizes, a snapshot lacking what the options need), JS_ENUMERIC when the
 * loss becomes NaN or Inf (the message names
 * the step; the callback has seen every step before it), JS_ECANCELED
 * (js_cancel_request; the message names the last step done), or any status
 * of the model's callbacks or of the lambda_1 solve. */
int js_train(const js_model *model, const double *y, const js_train_options *opt,
             js_train_callback callback, void *ctx, double *theta);

/* Label corruption (paper section 4): exactly round(fraction * n) samples,
 * chosen by a permutation drawn from the seed, get a class drawn uniformly
 * among the K - 1 other classes; y is one-hot encoded again. n_changed
 * (may be NULL) receives the count. JS_EINVAL when the data set has no
 * labels, fraction is outside [0, 1], or K < 2 and a label must change. */
int js_dataset_corrupt_labels(js_dataset *data, double fraction, uint64_t seed,
                              int64_t *n_changed);

/* The terms of the paper's Theorem 3.3 (arbitrary initialisation) for a
 * network whose output layer obeys ||V||_inf <= nu / sqrt(kK) and whose
 * activation has |phi'|, |phi''| <= B. */
typedef struct js_bound_inputs {
  int64_t n_samples;   /* n */
  double nu;           /* output-layer scale nu */
  double deriv_bound;  /* B */
  double cutoff;       /* alpha > 0 */
  double gamma;        /* Gamma >= 1 */
  double delta;        /* 0 < delta <= 1 (the bound holds w.p. 1 - delta) */
  double zeta;         /* 0 <= zeta <= 1/2 */
  double lr;           /* eta > 0 */
  double res_norm;     /* ||r_0|| */
  double res_nuisance; /* ||Pi_N r_0|| */
  double res_pinv;     /* ||J_I^+ r_0|| */
  /* For the hypotheses and Theorem 6.21 (0 or NaN: unknown, their results
   * NaN): */
  double input_norm;   /* ||X|| (spectral norm of the n x d inputs) */
  double nuisance_gradient; /* ||J^T Pi_N r_0|| = (sum_{s>r} lambda_s^2
                               <u_s, r_0>^2)^{1/2} (js_space_nuisance_gradient);
                               NaN: unknown */
} js_bound_inputs;
typedef struct js_bound {
  double bias;          /* 2 ||Pi_N r_0|| / sqrt(n) */
  double variance;      /* 12 nu B / sqrt(n) (||J_I^+ r_0|| + Gamma/alpha ||Pi_N r_0||) */
  double confidence;    /* 5 sqrt(log(2/delta) / n) */
  double approximation; /* 2 C_r (e^-Gamma + zeta), C_r = ||r_0|| / sqrt(n) */
  double total;         /* the sum of the four: the bound on Err_D(W_T) */
  double c_r;           /* C_r */
  double iterations;    /* T = Gamma / (eta alpha^2) */
  /* The hypotheses (Theorem 3.3, Theorem 6.21): */
  double alpha_bar;     /* alpha / (nu B n^(1/4) ||X||^(1/2)): the normalised cut-off */
  double width_required; /* (6.57): k >= 25600 C_r^2 Gamma^4 / (alpha_bar^8 nu^2 B^2 zeta^2) */
  double lr_max;        /* 1 / (nu^2 B^2 ||X||^2): the largest eta allowed */
  double distance;      /* D_{alpha,Gamma} = B_{alpha,Gamma} / alpha (Definition 6.1):
                           (||J_I^+ r_0||^2 + Gamma^2 / alpha^4 ||J^T Pi_N r_0||^2)^{1/2} */
  double variance_621;  /* 12 nu B D_{alpha,Gamma} / sqrt(n) (6.58): <= variance */
  double total_621;     /* the bound (6.58) with variance_621 */
} js_bound;
/* JS_EINVAL naming the input out of range (non-finite, n < 1, alpha or
 * eta <= 0, Gamma < 1, delta outside (0, 1], zeta outside [0, 1/2], a
 * negative norm). B may be Inf (the terms then are Inf). */
int js_bound_theorem33(const js_bound_inputs *in, js_bound *out);

/* Theorem 3.2 (random initialisation): the information space is that of
 * J = Sigma(X)^{1/2} (Definition 3.1) with cut-off alpha_0 on its singular
 * values sqrt(eigenvalues of Sigma~), the labels y in place of r_0, the
 * output scale fixed by the theorem at nu = zeta / (50 B sqrt(log 2K)). */
typedef struct js_bound32_inputs {
  int64_t n_samples, n_outputs; /* n, K */
  double deriv_bound;  /* B >= |phi'|, |phi''| */
  double cutoff;       /* alpha_0 > 0 */
  double gamma, delta, zeta;
  double lr;           /* eta > 0, or 0: the theorem's largest, lr_max */
  double input_norm;   /* ||X|| */
  double y_norm;       /* ||y|| */
  double y_nuisance;   /* ||Pi_N y|| */
  double y_pinv;       /* ||J_I^+ y|| */
} js_bound32_inputs;
typedef struct js_bound32 {
  double nu;            /* zeta / (50 B sqrt(log 2K)) (6.85) */
  double alpha_bar;     /* alpha_0 / (B sqrt(K) n^(1/4) ||X||^(1/2)) */
  double bias;          /* 2 ||Pi_N y|| / sqrt(n) */
  double variance;      /* 12 B sqrt(K) / sqrt(n) (||J_I^+ y|| + Gamma/alpha_0 ||Pi_N y||) */
  double zeta_term;     /* 12 (1 + Gamma / (alpha_bar (n ||X||^2)^(1/4))) zeta */
  double confidence;    /* 5 sqrt(log(2/delta) / n) */
  double approximation; /* 2 e^-Gamma */
  double total;
  double lr_max;        /* 1 / (nu^2 B^2 ||X||^2) */
  double lr;            /* eta used */
  double iterations;    /* T = Gamma K / (eta nu^2 alpha_0^2) */
  double width_required; /* (6.86): 12e7 Gamma^4 K^4 B^8 ||X||^4 n^2 log n /
                            (c^4 zeta^4 alpha_0^8), c = ||Pi_I y|| / ||y|| */
} js_bound32;
/* JS_EINVAL naming an input out of range (as js_bound_theorem33; K >= 1,
 * ||X|| > 0). */
int js_bound_theorem32(const js_bound32_inputs *in, js_bound32 *out);

/* eta_max = 1 / (nu^2 B^2 ||X||^2): the step size Theorems 3.2 and 3.3
 * allow (0 when a factor is Inf). */
double js_bound_lr_max(double nu, double deriv_bound, double input_norm);

/* ||X||: the largest singular value of the n x d inputs, by Lanczos. */
int js_dataset_input_norm(const js_dataset *data, double *norm);
/* The same for a data set sharded over comm's ranks (js_jacobian_options):
 * data is this rank's shard, and the norm is the whole X's. Collective. */
int js_dataset_input_norm_shard(const js_dataset *data, const js_comm *comm, double *norm);

/* The analytic (infinite-width) kernel of the paper's Definition 3.1, the
 * multiclass NTK Sigma(X) = I_K (x) Sigma~(X) with the n x n
 *   Sigma~(X) = E_w[(phi'(X w) phi'(X w)^T) (.) X X^T],  w ~ N(0, I_d).
 * For the paper's initialisation (W_0 i.i.d. N(0, 1), V Rademacher times
 * nu / sqrt(k K)) the Jacobian of W_1 obeys E[J J^T] = (nu^2 / K) Sigma(X)
 * exactly (README, "The analytic kernel"): K / nu^2 J J^T -> Sigma(X) as the
 * width k grows, at the rate 1 / sqrt(k).
 * Entries: closed forms for linear (X X^T), relu (the degree-0 arc-cosine
 * kernel (pi - theta_ij) / (2 pi) times x_i^T x_j), leaky:s
 * ((1 + s^2)(pi - theta) + 2 s theta) / (2 pi) times x_i^T x_j) and quadratic
 * ((x_i^T x_j)^2); two-dimensional Gauss-Hermite quadrature over the joint
 * Gaussian of (x_i^T w, x_j^T w) for softplus, tanh and sigmoid. */
typedef struct js_ntk js_ntk;

typedef struct js_ntk_options {
  int64_t nodes;      /* Gauss-Hermite nodes per dimension, 2..64: exact to
                         1e-15 for softplus and sigmoid on unit-norm inputs,
                         1e-7 for tanh (whose phi' is narrower than the
                         Gaussian); larger norms converge more slowly (README) */
  size_t dense_limit; /* bytes the n x n kernel may take to be formed; above
                         it the kernel is a matrix-free operator whose rows
                         are computed on the fly at every product */
  double tol;         /* conjugate gradients: relative residual per column;
                         Lanczos: js_svds_options.tol, the eigenvalues'
                         relative accuracy */
  int64_t max_iter;   /* conjugate-gradient iterations (0: 10 n) */
  uint64_t seed;      /* Lanczos start vector (matrix-free eigenvalues) */
} js_ntk_options;
/* 64 nodes, dense_limit 1 GiB, tol 1e-10, max_iter 0, seed 1. */
void js_ntk_options_init_defaults(js_ntk_options *opt);

/* The kernel of the n rows of x (n x d, row-major; copied). opt may be NULL.
 * Dense when 8 n^2 <= opt->dense_limit (the kernel is then computed here).
 * JS_EINVAL for sizes < 1, an unknown activation, nodes outside 2..64. */
int js_ntk_create(const double *x, int64_t n, int64_t d, js_activation act,
                  const js_ntk_options *opt, js_ntk **out);
void js_ntk_free(js_ntk *ntk);
int64_t js_ntk_size(const js_ntk *ntk); /* n */
int js_ntk_is_dense(const js_ntk *ntk);
/* out (count x n, row-major) = rows first..first+count-1 of Sigma~. */
int js_ntk_rows(const js_ntk *ntk, int64_t first, int64_t count, double *out);
/* Sigma~ as an n x n operator (symmetric: both products apply it); owned
 * by the kernel. */
js_linop *js_ntk_operator(js_ntk *ntk);
/* The `top` largest eigenvalues of Sigma~ (descending, into largest) and
 * the `smallest` smallest (ascending, into lowest); either count may be 0.
 * Dense: LAPACK's dsyevr. Matrix-free: Lanczos (js_svds) on Sigma~ for the
 * top ones and on lambda_1 I - Sigma~ for the smallest, which are then
 * accurate to about tol * lambda_1 in absolute terms. JS_EINVAL for counts
 * outside 0..n (0..n-1 matrix-free), JS_ENOCONV, JS_EARPACK. */
int js_ntk_eigenvalues(js_ntk *ntk, int64_t top, int64_t smallest, double *largest,
                       double *lowest);
/* y^T Sigma(X)^{-1} y = sum_l y_l^T Sigma~^{-1} y_l over the K columns y_l of
 * the n x K sample-major targets y (the quantity of the paper's (3.4)), by
 * conjugate gradients on each column; *iterations (may be NULL) receives
 * the largest count a column took. JS_ENOCONV (value from the last
 * iterate) when a column misses opt->tol within opt->max_iter. */
int js_ntk_quadratic_form(js_ntk *ntk, const double *y, int64_t n_outputs, double *value,
                          int64_t *iterations);
/* The information space of Sigma~^{1/2} (the paper's J = Sigma(X)^{1/2} of
 * Theorem 3.2, one of its K identical blocks): the eigenvectors of Sigma~
 * with sqrt(eigenvalue) > cutoff, singular values sqrt(eigenvalue), by
 * Lanczos in cut-off mode (u_s = v_s). JS_EINVAL when cutoff^2 is not
 * below lambda_1. */
int js_ntk_space(js_ntk *ntk, double cutoff, js_space **out);
/* ||K / nu^2 J J^T - Sigma(X)||_F / ||Sigma(X)||_F for a Jacobian `jacobian`
 * (nK x p) of the paper's network V phi(W x) with respect to W on the same
 * inputs, formed from nK products J (J^T e_c) in blocks. JS_EINVAL when
 * its rows are not a multiple of n or nu <= 0. */
int js_ntk_empirical_distance(js_ntk *ntk, js_linop *jacobian, double nu,
                              double *distance);

/* The linear model of the paper's section 2.1: X = U V^T + Z (n x d) with
 * U (n x r) and V (d x r) uniformly random orthonormal (Sigma = I_r),
 * Z i.i.d. N(0, sigma_x^2 / n); real targets (K = 1, labels NULL)
 * y = U V^T w* + z with w* = V g, g ~ N(0, I_r), z i.i.d. N(0, sigma_y^2 / n).
 * task_seed draws V and g (the task), seed draws U, Z and z (the samples),
 * so test data from the same task takes another seed. */
typedef struct js_lowrank_options {
  int64_t n_samples; /* n */
  int64_t dim;       /* d */
  int64_t rank;      /* r, 1 <= r <= min(n, d) */
  double sigma_x, sigma_y;
  uint64_t task_seed;
  uint64_t seed;
  /* 0: Z and z come from seed too, after U. Otherwise from a stream of
   * their own seeded with noise_seed, so data sets that differ only in it
   * share the clean part U V^T and U g (the paper's population loss of
   * section 2.1 is the mean over such draws). */
  uint64_t noise_seed;
} js_lowrank_options;
/* n = 100, d = 500, r = 10, sigma_x = sigma_y = 1, task_seed = seed = 1,
 * noise_seed = 0 (the paper's Figure 2). */
void js_lowrank_options_init_defaults(js_lowrank_options *opt);
int js_dataset_lowrank(const js_lowrank_options *opt, js_dataset **out);
/* The clean model behind js_dataset_lowrank's data for the same options:
 * u (n x r, column after column) the orthonormal basis U of the column
 * space of the uncorrupted inputs U V^T (the paper's information space of
 * Figure 2b, Pi_I = U U^T), v (d x r, likewise) V, and w_star (d) the true
 * w* = V g; any of them may be NULL. JS_EINVAL as js_dataset_lowrank. */
int js_lowrank_basis(const js_lowrank_options *opt, double *u, double *v, double *w_star);

#ifdef __cplusplus
}
#endif
#endif

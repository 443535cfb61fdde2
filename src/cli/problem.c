#include "cli/problem.h"

#include "cli/lowrank_source.h"
#include "cli/spec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where a data set comes from: a generator spec or .npy files. */
typedef struct data_args {
  const char *data, *x, *labels, *targets;
} data_args;

static data_args train_args, test_args;
static int no_normalize;

/* Options of the file readers (checked against the source they apply to)
 * and --shuffle; they apply to training and test data alike. */
static struct {
  const char *classes, *per_class, *label_column, *shuffle;
  int classes_used, label_column_used; /* by the data set being loaded */
} reader_args;

static struct {
  const char *hidden, *act, *train, *nu, *seed, *init, *save_init;
} model_args;

/* How the products run: threads and the memory budget. */
static struct {
  const char *threads, *mem, *precision;
  int verbose;
} compute_args;

const cli_opt cli_data_options[] = {
    {"data", "SPEC",
     "gmm:n=,classes=,clusters=,dim=,sigma=,sep=,seed=,task= (default gmm); "
     "parity:n=,bits=,degree=,seed=,task=; lowrank:n=,dim=,rank=,sx=,sy=,task=,seed= (with "
     "--hidden none --no-normalize); idx:IMAGES,LABELS; fashion-mnist:train|test; FILE.csv",
     &train_args.data, NULL},
    {"x", "X.npy", "inputs, n x d, float32 or float64", &train_args.x, NULL},
    {"labels", "y.npy", "class ids 0..K-1 (any integer dtype), length n", &train_args.labels,
     NULL},
    {"targets", "T.npy", "real-valued targets, n x K or n", &train_args.targets, NULL},
    {"no-normalize", NULL, "keep inputs as given (default: rows to unit norm)", NULL,
     &no_normalize},
    {"classes", "IDS", "idx, fashion-mnist: classes to keep, relabelled 0..K-1 in this order",
     &reader_args.classes, NULL},
    {"per-class", "M", "idx, fashion-mnist: the first M samples of each kept class",
     &reader_args.per_class, NULL},
    {"label-column", "NAME|N", "CSV: the column of class ids (header name, or number from 1)",
     &reader_args.label_column, NULL},
    {"shuffle", "SEED", "shuffle the samples (training and test data) with this seed",
     &reader_args.shuffle, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

const cli_opt cli_test_data_options[] = {
    {"test-data", "SPEC", "test data from a generator (e.g. gmm with another seed)",
     &test_args.data, NULL},
    {"test-x", "X.npy", "test inputs", &test_args.x, NULL},
    {"test-labels", "y.npy", "test class ids", &test_args.labels, NULL},
    {"test-targets", "T.npy", "test real-valued targets", &test_args.targets, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

const cli_opt cli_model_options[] = {
    {"hidden", "WIDTHS", "hidden widths, e.g. 256 or 512,512; none for linear (default 256)",
     &model_args.hidden, NULL},
    {"act", "NAME", "linear relu leaky:s softplus tanh sigmoid quadratic (default softplus)",
     &model_args.act, NULL},
    {"train", "LAYERS", "trained layers: 1, all, or a list such as 1,3 (default 1)",
     &model_args.train, NULL},
    {"nu", "NU", "output-layer scale nu (default 1)", &model_args.nu, NULL},
    {"seed", "S", "seed of the initialisation and the start vector (default 1)",
     &model_args.seed, NULL},
    {"init", "DIR", "read the weights from DIR/W1.npy ... WL.npy", &model_args.init, NULL},
    {"save-init", "DIR", "write the weights used to DIR/W1.npy ... WL.npy",
     &model_args.save_init, NULL},
    {"threads", "N", "threads for BLIS and elementwise loops (default 0: all cores)",
     &compute_args.threads, NULL},
    {"mem", "SIZE", "memory budget, e.g. 2G: sets batch size and caching (default half "
     "the physical memory)", &compute_args.mem, NULL},
    {"precision", "P", "double or single: the arithmetic of the Jacobian products "
     "(default double)", &compute_args.precision, NULL},
    {"verbose", NULL, "print the memory plan and thread count on stderr", NULL,
     &compute_args.verbose},
    {NULL, NULL, NULL, NULL, NULL}};

int cli_library_error(void) {
  cli_error("%s", js_last_error());
  return 1;
}

static int load_gmm(const char *body, js_dataset **out) {
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  int64_t seed = (int64_t)opt.seed, task = (int64_t)opt.task_seed;
  const spec_key keys[] = {
      {"n", 1, &opt.n_samples, NULL, 1, 1e9},
      {"classes", 1, &opt.n_classes, NULL, 1, 1e6},
      {"clusters", 1, &opt.n_clusters, NULL, 1, 1e6},
      {"dim", 1, &opt.dim, NULL, 1, 1e8},
      {"sigma", 0, NULL, &opt.sigma, 0, 1e6},
      {"sep", 0, NULL, &opt.separation, 0, 2},
      {"seed", 1, &seed, NULL, 0, 9e18},
      {"task", 1, &task, NULL, 0, 9e18},
      {NULL, 0, NULL, NULL, 0, 0}};
  if (spec_parse("data", "gmm", body, keys))
    return 2;
  opt.seed = (uint64_t)seed;
  opt.task_seed = (uint64_t)task;
  return js_dataset_gmm(&opt, out) ? cli_library_error() : 0;
}

/* Reads a floating-point .npy of rank 1 or 2; rows must equal n_rows when
 * n_rows > 0. */
static int read_real_matrix(const char *path, const char *what, int64_t n_rows,
                            js_array **out) {
  if (js_npy_read(path, out))
    return cli_library_error();
  js_array *a = *out;
  if (a->is_integer) {
    cli_error("%s: %s must be float32 or float64, found an integer dtype", path, what);
    return 1;
  }
  if (a->ndim < 1 || a->ndim > 2) {
    cli_error("%s: %s must have 1 or 2 dimensions, found %d", path, what, a->ndim);
    return 1;
  }
  if (n_rows > 0 && a->shape[0] != n_rows) {
    cli_error("%s: %s has %lld rows but the inputs have %lld samples", path, what,
              (long long)a->shape[0], (long long)n_rows);
    return 1;
  }
  return 0;
}

static int load_labels(const char *path, js_dataset *x_only, js_dataset **out) {
  js_array *a = NULL;
  int rc = 1;
  if (js_npy_read(path, &a)) {
    rc = cli_library_error();
    goto done;
  }
  int64_t n = x_only->n_samples;
  if (!a->is_integer) {
    cli_error("%s: labels must have an integer dtype (class ids 0..K-1)", path);
    goto done;
  }
  if (!(a->ndim == 1 || (a->ndim == 2 && a->shape[1] == 1)) || a->shape[0] != n) {
    cli_error("%s: expected %lld labels (one per row of the inputs) as a 1-d array, "
              "found %d-d with %lld rows", path, (long long)n, a->ndim,
              (long long)(a->ndim ? a->shape[0] : 1));
    goto done;
  }
  int64_t max_label = 0;
  for (int64_t i = 0; i < n; i++) {
    if (a->ints[i] < 0 || a->ints[i] > 1000000) {
      cli_error("%s: label %lld of sample %lld is out of range (classes are 0..K-1)",
                path, (long long)a->ints[i], (long long)i);
      goto done;
    }
    if (a->ints[i] > max_label)
      max_label = a->ints[i];
  }
  if (js_dataset_create(n, x_only->dim, max_label + 1, 1, out)) {
    rc = cli_library_error();
    goto done;
  }
  memcpy((*out)->x, x_only->x, sizeof(double) * (size_t)(n * x_only->dim));
  for (int64_t i = 0; i < n; i++)
    (*out)->labels[i] = (int32_t)a->ints[i];
  rc = js_dataset_one_hot(*out) ? cli_library_error() : 0;
done:
  js_array_free(a);
  return rc;
}

static int load_npy_data(const data_args *a, js_dataset **out) {
  js_array *x = NULL, *t = NULL;
  js_dataset *x_only = NULL;
  int rc = 1;
  if ((a->labels != NULL) == (a->targets != NULL)) {
    cli_error("%s needs exactly one of --labels (classes) or --targets (real values)", a->x);
    goto done;
  }
  if ((rc = read_real_matrix(a->x, "inputs", 0, &x)))
    goto done;
  rc = 1;
  if (x->ndim != 2) {
    cli_error("%s: inputs must be a 2-d array n x d", a->x);
    goto done;
  }
  int64_t n = x->shape[0], d = x->shape[1];
  if (n < 1 || d < 1) {
    cli_error("%s: inputs are empty (%lld x %lld)", a->x, (long long)n, (long long)d);
    goto done;
  }
  if (a->labels) {
    if (js_dataset_create(n, d, 1, 0, &x_only)) {
      rc = cli_library_error();
      goto done;
    }
    memcpy(x_only->x, x->values, sizeof(double) * (size_t)(n * d));
    rc = load_labels(a->labels, x_only, out);
    goto done;
  }
  if ((rc = read_real_matrix(a->targets, "targets", n, &t)))
    goto done;
  int64_t k = t->ndim == 2 ? t->shape[1] : 1;
  /* Name the targets file (the later check of the data set names --x). */
  for (int64_t i = 0; i < n * k; i++)
    if (!isfinite(t->values[i])) {
      cli_error("%s: targets hold %s at row %lld, output %lld (counting from 0)", a->targets,
                isnan(t->values[i]) ? "NaN" : "Inf", (long long)(i / k), (long long)(i % k));
      rc = 1;
      goto done;
    }
  if (js_dataset_create(n, d, k, 0, out)) {
    rc = cli_library_error();
    goto done;
  }
  memcpy((*out)->x, x->values, sizeof(double) * (size_t)(n * d));
  memcpy((*out)->y, t->values, sizeof(double) * (size_t)(n * k));
  rc = 0;
done:
  js_array_free(x);
  js_array_free(t);
  js_dataset_free(x_only);
  return rc;
}

static int load_parity(const char *body, js_dataset **out) {
  js_parity_options opt;
  js_parity_options_init_defaults(&opt);
  int64_t seed = (int64_t)opt.seed, task = (int64_t)opt.task_seed;
  const spec_key keys[] = {
      {"n", 1, &opt.n_samples, NULL, 1, 1e9},
      {"bits", 1, &opt.bits, NULL, 1, 1e8},
      {"degree", 1, &opt.degree, NULL, 0, 1e8},
      {"seed", 1, &seed, NULL, 0, 9e18},
      {"task", 1, &task, NULL, 0, 9e18},
      {NULL, 0, NULL, NULL, 0, 0}};
  if (spec_parse("data", "parity", body, keys))
    return 2;
  opt.seed = (uint64_t)seed;
  opt.task_seed = (uint64_t)task;
  return js_dataset_parity(&opt, NULL, out) ? cli_library_error() : 0;
}

/* --classes and --per-class; opt->classes points into `classes`. */
static int parse_idx_options(js_idx_options *opt, int32_t *classes, int max_classes) {
  js_idx_options_init_defaults(opt);
  reader_args.classes_used = 1;
  if (reader_args.classes) {
    int64_t ids[256];
    if (cli_int_list("classes", reader_args.classes, 0, 255, ids, max_classes,
                     &opt->n_classes))
      return 2;
    for (int i = 0; i < opt->n_classes; i++)
      classes[i] = (int32_t)ids[i];
    opt->classes = classes;
  }
  if (reader_args.per_class &&
      cli_int("per-class", reader_args.per_class, 1, INT64_MAX, &opt->per_class))
    return 2;
  return 0;
}

static int load_idx(const char *body, js_dataset **out) {
  char images[4096];
  const char *comma = strchr(body, ',');
  if (!comma || comma == body || !comma[1] || (size_t)(comma - body) >= sizeof images) {
    cli_error("--data idx:IMAGES,LABELS: expected two files separated by a comma, got '%s'",
              body);
    return 2;
  }
  snprintf(images, sizeof images, "%.*s", (int)(comma - body), body);
  js_idx_options opt;
  int32_t classes[256];
  int rc = parse_idx_options(&opt, classes, 256);
  if (rc)
    return rc;
  return js_dataset_idx(images, comma + 1, &opt, out) ? cli_library_error() : 0;
}

static int load_fashion_mnist(const char *body, js_dataset **out) {
  js_idx_options opt;
  int32_t classes[256];
  int rc = parse_idx_options(&opt, classes, 256);
  if (rc)
    return rc;
  return js_dataset_fashion_mnist(*body ? body : "train", &opt, out) ? cli_library_error()
                                                                      : 0;
}

static int load_csv(const char *path, js_dataset **out) {
  if (!reader_args.label_column) {
    cli_error("%s: CSV data needs --label-column NAME|N (the column of class ids)", path);
    return 2;
  }
  reader_args.label_column_used = 1;
  return js_dataset_csv(path, reader_args.label_column, out) ? cli_library_error() : 0;
}

static int has_suffix(const char *text, const char *suffix) {
  size_t n = strlen(text), k = strlen(suffix);
  return n >= k && strcmp(text + n - k, suffix) == 0;
}

/* The generators behind --data NAME:KEY=VALUE,... */
static const struct {
  const char *name;
  int (*load)(const char *body, js_dataset **out);
} sources[] = {
    {"gmm", load_gmm},
    {"lowrank", cli_load_lowrank},
    {"parity", load_parity},
    {"idx", load_idx},
    {"fashion-mnist", load_fashion_mnist},
};

static int load_source(const char *spec, js_dataset **out) {
  if (has_suffix(spec, ".csv") || has_suffix(spec, ".csv.gz"))
    return load_csv(spec, out);
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
    size_t len = strlen(sources[i].name);
    if (strncmp(spec, sources[i].name, len) == 0 && (spec[len] == '\0' || spec[len] == ':'))
      return sources[i].load(spec[len] ? spec + len + 1 : "", out);
  }
  cli_error("--data: unknown data source '%s' (expected gmm:..., parity:..., "
            "lowrank:..., idx:IMAGES,LABELS, fashion-mnist:train|test or FILE.csv)", spec);
  return 2;
}

/* Reader options the data set did not use are mistakes, not silently
 * ignored; --shuffle applies to every data set. */
static int apply_reader_options(const char *name, js_dataset *data) {
  if ((reader_args.classes || reader_args.per_class) && !reader_args.classes_used) {
    cli_error("--classes and --per-class apply to idx: and fashion-mnist: data, not to %s",
              name);
    return 2;
  }
  if (reader_args.label_column && !reader_args.label_column_used) {
    cli_error("--label-column applies to CSV data, not to %s", name);
    return 2;
  }
  int64_t seed;
  if (!reader_args.shuffle)
    return 0;
  if (cli_int("shuffle", reader_args.shuffle, 0, INT64_MAX, &seed))
    return 2;
  return js_dataset_shuffle(data, (uint64_t)seed) ? cli_library_error() : 0;
}

/* Loads one data set (training: default_spec "gmm"; test: NULL, absent
 * unless given) and checks and normalises it. `name` receives a label. */
static int load_dataset(const data_args *a, const char *default_spec, char *name,
                        size_t name_size, js_dataset **out) {
  int rc;
  reader_args.classes_used = reader_args.label_column_used = 0;
  if (a->x) {
    if (a->data) {
      cli_error("give the data either with a generator spec or with .npy files, not both");
      return 2;
    }
    snprintf(name, name_size, "%s", a->x);
    rc = load_npy_data(a, out);
  } else if (a->labels || a->targets) {
    cli_error("labels and targets files go with an inputs file (--x or --test-x)");
    return 2;
  } else {
    const char *spec = a->data ? a->data : default_spec;
    if (!spec)
      return 0;
    snprintf(name, name_size, "%s", spec);
    rc = load_source(spec, out);
  }
  if (rc || (rc = apply_reader_options(name, *out)))
    return rc;
  if (js_dataset_check_finite(*out, name))
    return cli_library_error();
  if (!no_normalize && js_dataset_normalize(*out))
    return cli_library_error();
  return 0;
}

int cli_problem_load_test(const cli_problem *pb, js_dataset **test) {
  char name[256];
  *test = NULL;
  int rc = load_dataset(&test_args, NULL, name, sizeof name, test);
  if (rc || !*test)
    return rc;
  if ((*test)->dim != pb->data->dim || (*test)->n_outputs != pb->data->n_outputs) {
    cli_error("test data %s has dimension %lld and %lld outputs, training data %lld and %lld",
              name, (long long)(*test)->dim, (long long)(*test)->n_outputs,
              (long long)pb->data->dim, (long long)pb->data->n_outputs);
    return 1;
  }
  return 0;
}

static int parse_model(const js_dataset *data, js_net_options *opt, uint64_t *seed) {
  js_net_options_init_defaults(opt);
  int64_t hidden[JS_MAX_LAYERS] = {256};
  int n_hidden = 1;
  const char *h = model_args.hidden;
  if (h && (strcmp(h, "none") == 0 || strcmp(h, "0") == 0))
    n_hidden = 0;
  else if (h && cli_int_list("hidden", h, 1, 1 << 24, hidden, JS_MAX_LAYERS - 1, &n_hidden))
    return 2;
  opt->n_layers = n_hidden + 1;
  opt->widths[0] = data->dim;
  for (int l = 0; l < n_hidden; l++)
    opt->widths[l + 1] = hidden[l];
  opt->widths[opt->n_layers] = data->n_outputs;

  if (model_args.act && js_activation_parse(model_args.act, &opt->act)) {
    cli_error("--act: %s", js_last_error());
    return 2;
  }
  if (model_args.train) {
    opt->trained = 0;
    if (strcmp(model_args.train, "all") == 0) {
      opt->trained = (uint32_t)((1u << opt->n_layers) - 1);
    } else {
      int64_t layers[JS_MAX_LAYERS];
      int count;
      if (cli_int_list("train", model_args.train, 1, opt->n_layers, layers,
                       JS_MAX_LAYERS, &count))
        return 2;
      for (int i = 0; i < count; i++)
        opt->trained |= 1u << (layers[i] - 1);
    }
  }
  if (model_args.nu && cli_double("nu", model_args.nu, -1e300, 1e300, &opt->nu))
    return 2;
  if (compute_args.precision && strcmp(compute_args.precision, "double") != 0) {
    if (strcmp(compute_args.precision, "single") != 0) {
      cli_error("--precision: expected double or single, got '%s'", compute_args.precision);
      return 2;
    }
    opt->precision = JS_PRECISION_SINGLE;
  }
  int64_t s = 1;
  if (model_args.seed && cli_int("seed", model_args.seed, 0, INT64_MAX, &s))
    return 2;
  opt->seed = (uint64_t)s;
  *seed = (uint64_t)s;
  return 0;
}

int cli_load_weights(js_net *net, const char *dir) {
  int n_layers = js_net_n_layers(net);
  for (int l = 1; l <= n_layers; l++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/W%d.npy", dir, l);
    js_array *w = NULL;
    if (read_real_matrix(path, "weights", 0, &w)) {
      js_array_free(w);
      return 1;
    }
    int64_t rows = js_net_width(net, l), cols = js_net_width(net, l - 1);
    int ok = w->ndim == 2 && w->shape[0] == rows && w->shape[1] == cols;
    if (!ok) {
      cli_error("%s: W%d must be %lld x %lld for this data and --hidden, found %lld x %lld",
                path, l, (long long)rows, (long long)cols, (long long)w->shape[0],
                (long long)(w->ndim == 2 ? w->shape[1] : 1));
      js_array_free(w);
      return 1;
    }
    for (int64_t i = 0; i < w->size; i++) {
      if (!isfinite(w->values[i])) {
        cli_error("%s: entry %lld is not finite", path, (long long)i);
        js_array_free(w);
        return 1;
      }
    }
    memcpy(js_net_weights(net, l), w->values, sizeof(double) * (size_t)w->size);
    js_array_free(w);
  }
  return 0;
}

int cli_save_weights(js_net *net, const char *dir) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    cli_error("%s: cannot create directory: %s", dir, strerror(errno));
    return 1;
  }
  for (int l = 1; l <= js_net_n_layers(net); l++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/W%d.npy", dir, l);
    int64_t shape[2] = {js_net_width(net, l), js_net_width(net, l - 1)};
    if (js_npy_write(path, js_net_weights(net, l), 2, shape))
      return cli_library_error();
  }
  return 0;
}

/* --threads, applied before any work so data generation uses them too. */
static int apply_threads(void) {
  int64_t n = 0;
  if (compute_args.threads && cli_int("threads", compute_args.threads, 0, 4096, &n))
    return 2;
  int used = js_set_threads((int)n);
  if (used < 0)
    return cli_library_error();
  if (compute_args.verbose)
    fprintf(stderr, "jacspec: %d thread%s\n", used, used == 1 ? "" : "s");
  return 0;
}

/* --mem, or half the physical memory (the rest is the system's and the
 * other programs'); 0 when the system does not say. */
static int memory_budget(size_t *budget) {
  if (compute_args.mem)
    return cli_bytes("mem", compute_args.mem, budget);
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  *budget = pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 2 : 0;
  return 0;
}

static double mib(size_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

int cli_problem_plan(cli_problem *pb, const js_svds_options *solver) {
  size_t budget;
  if (memory_budget(&budget))
    return 2;
  if (budget == 0)
    return 0; /* unknown machine size and no --mem: the library's defaults */
  js_net_options opt;
  js_net_get_options(pb->net, &opt);
  int64_t rows = pb->data->n_samples * pb->data->n_outputs;
  int64_t p = js_net_n_params(pb->net);
  size_t solver_bytes = js_svds_memory_bytes(solver, rows, p);
  /* The residual check multiplies a block of all r triplets at once. */
  int64_t block = solver->top > 0 ? solver->top : 1;
  js_memory_plan plan;
  int status = js_plan_memory(&opt, pb->data->n_samples, block, solver_bytes, budget, &plan);
  if (status == JS_ENOMEM) {
    cli_error("%s%s", js_last_error(), compute_args.mem ? "" : " (give a budget with --mem)");
    return 1;
  }
  if (status || js_net_set_memory(pb->net, plan.batch_size, plan.cache_limit))
    return cli_library_error();
  if (compute_args.verbose)
    fprintf(stderr,
            "jacspec: memory plan for a budget of %.1f MiB: program, data, weights and "
            "solver %.1f MiB; activation cache %s (%.1f MiB); batches of %lld samples "
            "(%.1f MiB workspace); %.1f MiB in all\n",
            mib(plan.budget), mib(plan.fixed_bytes), plan.cache ? "on" : "off",
            mib(plan.cache_bytes), (long long)plan.batch_size, mib(plan.batch_bytes),
            mib(plan.total_bytes));
  return 0;
}

int cli_problem_load(cli_problem *pb) {
  memset(pb, 0, sizeof *pb);
  int rc = apply_threads();
  if (rc)
    return rc;
  rc = load_dataset(&train_args, "gmm", pb->data_name, sizeof pb->data_name, &pb->data);
  if (rc)
    return rc;
  js_net_options opt;
  if ((rc = parse_model(pb->data, &opt, &pb->seed)))
    return rc;
  if (js_net_create(&opt, &pb->net))
    return cli_library_error();
  if (model_args.init && (rc = cli_load_weights(pb->net, model_args.init)))
    return rc;
  if (model_args.save_init && (rc = cli_save_weights(pb->net, model_args.save_init)))
    return rc;
  return 0;
}

void cli_problem_free(cli_problem *pb) {
  js_net_free(pb->net);
  js_dataset_free(pb->data);
}

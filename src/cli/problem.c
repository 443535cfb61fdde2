#include "cli/problem.h"

#include "cli/generators.h"
#include "cli/parallel.h"
#include "cli/signals.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where a data set comes from: a generator spec or .npy files. */
typedef struct data_args {
  const char *data, *x, *labels, *targets;
  const char *per_class; /* test data: --test-per-class (NULL: --per-class) */
} data_args;

static data_args train_args, test_args;
static int no_normalize, normalize, standardize;

/* Options of the file readers (checked against the source they apply to)
 * and --shuffle; they apply to training and test data alike. */
static struct {
  const char *classes, *per_class, *label_column, *shuffle;
  int classes_used, label_column_used; /* by the data set being loaded */
  const char *per_class_now;           /* the per-class count of that data set */
} reader_args;

static struct {
  const char *arch, *hidden, *act, *train, *nu, *seed, *init, *save_init, *model, *save_model;
  int bias, list_params;
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
    {"no-normalize", NULL, "keep inputs as given (default: rows to unit norm, except with "
     "--model)", NULL, &no_normalize},
    {"normalize", NULL, "with --model: scale the input rows to unit norm", NULL, &normalize},
    {"standardize", NULL, "instead of unit-norm rows: each input channel to mean 0 and "
     "standard deviation 1 over the training data (the test data with the same statistics), "
     "as image pipelines do", NULL, &standardize},
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
    {"test-per-class", "M", "idx, fashion-mnist test data: the first M samples of each kept "
     "class (default --per-class's M)", &test_args.per_class, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

const cli_opt cli_model_options[] = {
    {"arch", "SPEC", "resnetD[:width=W][,init=he|torch] (D = 6n+2: resnet8, resnet20, ...; "
     "init=torch: PyTorch's default initialisation, U(+-1/sqrt(fan_in))) or cnn:ITEMS, "
     "e.g. cnn:conv=16x3,pool=avg2,conv=32x3s2,dense=128 (image data); default: the MLP of "
     "--hidden/--act/--nu/--bias", &model_args.arch, NULL},
    {"model", "FILE.onnx", "the network (graph and weights) of an ONNX file; inputs are used "
     "as given unless --normalize, flat ones reshaped to its input shape", &model_args.model,
     NULL},
    {"save-model", "FILE.onnx", "write the network used (train: the trained one) as an ONNX "
     "file", &model_args.save_model, NULL},
    {"hidden", "WIDTHS", "hidden widths, e.g. 256 or 512,512; none for linear (default 256)",
     &model_args.hidden, NULL},
    {"act", "NAME", "linear relu leaky:s softplus tanh sigmoid quadratic (default softplus)",
     &model_args.act, NULL},
    {"bias", NULL, "MLP: biases b_l on every layer (trained with their W_l)", NULL,
     &model_args.bias},
    {"train", "WHICH", "trained tensors: all, names or globs ('stage3.*,fc.*'); for the MLP "
     "also layer numbers (1, 1,3); default: W1 for the MLP, all for --arch",
     &model_args.train, NULL},
    {"list-params", NULL, "print the parameter tensors (name, shape, trained) and exit", NULL,
     &model_args.list_params},
    {"nu", "NU", "output-layer scale nu (default 1)", &model_args.nu, NULL},
    {"seed", "S", "seed of the initialisation and the start vector (default 1)",
     &model_args.seed, NULL},
    {"init", "DIR", "read every parameter tensor from DIR/NAME.npy (the MLP's W1.npy ...)",
     &model_args.init, NULL},
    {"save-init", "DIR", "write every parameter tensor used to DIR/NAME.npy",
     &model_args.save_init, NULL},
    {"threads", "N", "threads for BLIS and elementwise loops (default 0: all cores)",
     &compute_args.threads, NULL},
    {"mem", "SIZE", "memory budget, e.g. 2G: sets batch size and caching (default half "
     "the physical memory)", &compute_args.mem, NULL},
    {"precision", "P", "double, single or mixed: the arithmetic of the Jacobian products "
     "(default double; mixed, for spectrum, split and bound: Lanczos on single-precision "
     "products, refined in double to --tol, reported with error bounds)",
     &compute_args.precision, NULL},
    {"verbose", NULL, "print the memory plan, thread count and --gram choice on stderr", NULL,
     &compute_args.verbose},
    {NULL, NULL, NULL, NULL, NULL}};

int cli_library_error(void) {
  cli_error("%s", js_last_error());
  /* After SIGINT or SIGTERM the library's error is the interruption (it
   * says where it stopped). */
  return cli_signal_caught() ? 128 + cli_signal_caught() : 1;
}

/* --classes and --per-class; opt->classes points into `classes`. */
static int parse_idx_options(js_idx_options *opt, int part, int parts, int32_t *classes,
                             int max_classes) {
  js_idx_options_init_defaults(opt);
  opt->part = part;
  opt->parts = parts;
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
  if (reader_args.per_class_now &&
      cli_int("per-class", reader_args.per_class_now, 1, INT64_MAX, &opt->per_class))
    return 2;
  return 0;
}

static int load_idx(const char *body, int part, int parts, js_dataset **out) {
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
  int rc = parse_idx_options(&opt, part, parts, classes, 256);
  if (rc)
    return rc;
  return js_dataset_idx(images, comma + 1, &opt, out) ? cli_library_error() : 0;
}

static int load_fashion_mnist(const char *body, int part, int parts, js_dataset **out) {
  js_idx_options opt;
  int32_t classes[256];
  int rc = parse_idx_options(&opt, part, parts, classes, 256);
  if (rc)
    return rc;
  return js_dataset_fashion_mnist(*body ? body : "train", &opt, out) ? cli_library_error()
                                                                      : 0;
}

static int load_csv(const char *path, int part, int parts, js_dataset **out) {
  if (!reader_args.label_column) {
    cli_error("%s: CSV data needs --label-column NAME|N (the column of class ids)", path);
    return 2;
  }
  reader_args.label_column_used = 1;
  return js_dataset_csv_shard(path, reader_args.label_column, part, parts, out)
             ? cli_library_error()
             : 0;
}

static int has_suffix(const char *text, const char *suffix) {
  size_t n = strlen(text), k = strlen(suffix);
  return n >= k && strcmp(text + n - k, suffix) == 0;
}

/* The generators behind --data NAME:KEY=VALUE,... */
static const struct {
  const char *name;
  int (*load)(const char *body, int part, int parts, js_dataset **out);
} sources[] = {
    {"gmm", cli_load_gmm},
    {"lowrank", cli_load_lowrank},
    {"parity", cli_load_parity},
    {"idx", load_idx},
    {"fashion-mnist", load_fashion_mnist},
};

/* Each rank reads or draws its own samples (its part of cli_ranks()),
 * unless a shuffle needs them all (part 0 of 1; keep_shard then cuts them). */
static int load_parts(void) { return reader_args.shuffle ? 1 : cli_ranks(); }
static int load_part(void) { return load_parts() > 1 ? cli_rank() : 0; }

static int load_source(const char *spec, js_dataset **out) {
  if (has_suffix(spec, ".csv") || has_suffix(spec, ".csv.gz"))
    return load_csv(spec, load_part(), load_parts(), out);
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
    size_t len = strlen(sources[i].name);
    if (strncmp(spec, sources[i].name, len) == 0 && (spec[len] == '\0' || spec[len] == ':'))
      return sources[i].load(spec[len] ? spec + len + 1 : "", load_part(), load_parts(),
                             out);
  }
  cli_error("--data: unknown data source '%s' (expected gmm:..., parity:..., "
            "lowrank:..., idx:IMAGES,LABELS, fashion-mnist:train|test or FILE.csv)", spec);
  return 2;
}

/* Reader options the data set did not use are mistakes, not silently
 * ignored; --shuffle applies to every data set. */
static int apply_reader_options(const char *name, js_dataset *data) {
  if ((reader_args.classes || reader_args.per_class_now) && !reader_args.classes_used) {
    cli_error("--classes and --per-class apply to idx: and fashion-mnist: data, not to %s",
              name);
    return 2;
  }
  if (reader_args.label_column && !reader_args.label_column_used) {
    cli_error("--label-column applies to CSV data, not to %s", name);
    return 2;
  }
  uint64_t seed;
  if (!reader_args.shuffle)
    return 0;
  if (cli_seed("shuffle", reader_args.shuffle, &seed))
    return 2;
  return js_dataset_shuffle(data, seed) ? cli_library_error() : 0;
}

/* On several ranks, a data set loaded whole (lowrank, or a shuffled file)
 * keeps only this rank's samples; shards stay as they are. */
static int keep_shard(js_dataset **data) {
  if (cli_ranks() == 1 || (*data)->total_samples > 0)
    return 0;
  int64_t first, count;
  js_shard_range((*data)->n_samples, cli_rank(), cli_ranks(), &first, &count);
  js_dataset *shard = NULL;
  if (count < 1) {
    cli_error("%lld samples cannot be split across %d ranks", (long long)(*data)->n_samples,
              cli_ranks());
    return 1;
  }
  if (js_dataset_shard(*data, first, count, &shard))
    return cli_library_error();
  js_dataset_free(*data);
  *data = shard;
  return 0;
}

/* Loads one data set (training: default_spec "gmm"; test: NULL, absent
 * unless given) and checks and normalises it. `name` receives a label. */
static int load_dataset(const data_args *a, const char *default_spec, char *name,
                        size_t name_size, js_dataset **out) {
  int rc;
  reader_args.classes_used = reader_args.label_column_used = 0;
  reader_args.per_class_now = a->per_class ? a->per_class : reader_args.per_class;
  if (a->x) {
    if (a->data) {
      cli_error("give the data either with a generator spec or with .npy files, not both");
      return 2;
    }
    snprintf(name, name_size, "%s", a->x);
    rc = js_dataset_npy_shard(a->x, a->labels, a->targets, load_part(), load_parts(), out)
             ? cli_library_error()
             : 0;
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
  if (rc || (rc = apply_reader_options(name, *out)) || (rc = keep_shard(out)))
    return rc;
  /* The message names the file of the offending array: with --targets, the
   * inputs' and the targets' files both. */
  char files[2 * 4096 + 8] = "";
  if (a->x && a->targets)
    snprintf(files, sizeof files, "%s, %s", a->x, a->targets);
  if (js_dataset_check_finite(*out, files[0] ? files : name))
    return cli_library_error();
  if ((normalize || (!no_normalize && !standardize && !model_args.model)) &&
      js_dataset_normalize(*out))
    return cli_library_error();
  return 0;
}

/* --standardize: the training data's channel statistics (collective), or
 * data standardised with them. */
static int standard_stats(cli_problem *pb) {
  int64_t C = js_dataset_channels(pb->data);
  if (!standardize)
    return 0;
  if (!(pb->standard = malloc(sizeof(double) * (size_t)(2 * C)))) {
    cli_error("out of memory for the channel statistics");
    return 1;
  }
  return js_dataset_channel_stats(pb->data, cli_comm(), pb->standard, pb->standard + C)
             ? cli_library_error()
             : 0;
}

static int standardize_with(const cli_problem *pb, js_dataset *data) {
  int64_t C = js_dataset_channels(pb->data);
  if (!pb->standard)
    return 0;
  if (js_dataset_channels(data) != C) {
    cli_error("--standardize: the test data has %lld channels, the training data %lld",
              (long long)js_dataset_channels(data), (long long)C);
    return 1;
  }
  return js_dataset_standardize(data, pb->standard, pb->standard + C) ? cli_library_error()
                                                                      : 0;
}

/* Class labels of fewer classes than an imported model has outputs (a
 * sample of the classes it was trained on): one-hot over all of them. */
static int fit_outputs(js_dataset *data, int64_t n_outputs) {
  if (!data->labels || data->n_outputs >= n_outputs)
    return 0;
  double *y = realloc(data->y, sizeof(double) * (size_t)(data->n_samples * n_outputs));
  if (!y) {
    cli_error("out of memory for the targets");
    return 1;
  }
  data->y = y;
  data->n_outputs = n_outputs;
  return js_dataset_one_hot(data) ? cli_library_error() : 0;
}

int cli_problem_load_test(const cli_problem *pb, js_dataset **test) {
  char name[256];
  *test = NULL;
  int rc = cli_agree(load_dataset(&test_args, NULL, name, sizeof name, test));
  if (rc || !*test)
    return rc;
  if ((model_args.model && (rc = fit_outputs(*test, pb->data->n_outputs))) ||
      (rc = cli_agree(standardize_with(pb, *test))))
    return rc;
  if ((*test)->dim != pb->data->dim || (*test)->n_outputs != pb->data->n_outputs) {
    cli_error("test data %s has dimension %lld and %lld outputs, training data %lld and %lld",
              name, (long long)(*test)->dim, (long long)(*test)->n_outputs,
              (long long)pb->data->dim, (long long)pb->data->n_outputs);
    return 1;
  }
  return 0;
}

/* The MLP of --hidden/--act/--nu/--bias on data of d inputs and K outputs;
 * `name` receives its widths and activation. */
static int build_mlp(cli_problem *pb) {
  const js_dataset *data = pb->data;
  char *name = pb->model_name;
  size_t name_size = sizeof pb->model_name;
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  int64_t widths[4098] = {data->dim, 256};
  int n_hidden = 1;
  const char *h = model_args.hidden;
  if (h && (strcmp(h, "none") == 0 || strcmp(h, "0") == 0))
    n_hidden = 0;
  else if (h && cli_int_list("hidden", h, 1, 1 << 24, widths + 1, 4096, &n_hidden))
    return 2;
  opt.n_layers = n_hidden + 1;
  widths[opt.n_layers] = data->n_outputs;
  opt.widths = widths;
  opt.bias = model_args.bias;
  opt.seed = pb->seed;
  if (model_args.act && js_activation_parse(model_args.act, &opt.act)) {
    cli_error("--act: %s", js_last_error());
    return 2;
  }
  pb->mlp = 1;
  pb->act = opt.act;
  if (model_args.nu && cli_double("nu", model_args.nu, -1e300, 1e300, &opt.nu))
    return 2;
  size_t used = 0;
  for (int l = 0; l <= opt.n_layers && used < name_size; l++)
    used += (size_t)snprintf(name + used, name_size - used, "%s%lld", l ? "-" : "",
                             (long long)widths[l]);
  if (used + 1 < name_size) {
    name[used] = ' ';
    js_activation_name(opt.act, name + used + 1, name_size - used - 1);
  }
  return js_net_create_mlp(&opt, &pb->net) ? cli_library_error() : 0;
}

/* --train: for the MLP, layer numbers become W<l> (and b<l>); "all" and
 * every other text are name patterns. */
static int apply_train(js_net *net, int mlp) {
  const char *train = model_args.train;
  if (!train)
    return 0;
  char patterns[4096] = "";
  int64_t layers[4096];
  int count;
  if (mlp && strspn(train, "0123456789,") == strlen(train)) {
    if (cli_int_list("train", train, 1, 4096, layers, 4096, &count))
      return 2;
    size_t used = 0;
    for (int i = 0; i < count && used < sizeof patterns; i++)
      used += (size_t)snprintf(patterns + used, sizeof patterns - used,
                               model_args.bias ? "%sW%lld,b%lld" : "%sW%lld", i ? "," : "",
                               (long long)layers[i], (long long)layers[i]);
    train = patterns;
  }
  if (js_net_set_trained(net, train)) {
    cli_error("--train: %s", js_last_error());
    return 2;
  }
  return 0;
}

/* --model: the network of an ONNX file, on data whose samples it fits. */
static int load_model(cli_problem *pb) {
  if (model_args.arch || model_args.hidden || model_args.act || model_args.nu ||
      model_args.bias) {
    cli_error("--model reads the whole network; --arch, --hidden, --act, --nu and --bias "
              "do not apply");
    return 2;
  }
  snprintf(pb->model_name, sizeof pb->model_name, "%s", model_args.model);
  if (js_net_load_onnx(model_args.model, NULL, &pb->net))
    return cli_library_error();
  js_shape shape = js_net_input_shape(pb->net);
  int64_t size = shape.ndim == 3 ? shape.dim[0] * shape.dim[1] * shape.dim[2] : shape.dim[0];
  int64_t K = js_net_n_outputs(pb->net);
  char text[96];
  js_shape_format(&shape, text, sizeof text);
  if (pb->data->dim != size) {
    cli_error("%s takes samples of shape %s (%lld values); the data has %lld values a sample",
              model_args.model, text, (long long)size, (long long)pb->data->dim);
    return 1;
  }
  int rc = fit_outputs(pb->data, K);
  if (!rc && pb->data->n_outputs != K) {
    cli_error("%s has %lld outputs; the data has %lld targets a sample", model_args.model,
              (long long)K, (long long)pb->data->n_outputs);
    rc = 1;
  }
  return rc;
}

static int build_model(cli_problem *pb) {
  pb->seed = 1;
  if (model_args.seed && cli_seed("seed", model_args.seed, &pb->seed))
    return 2;
  if (compute_args.precision && strcmp(compute_args.precision, "double") != 0) {
    if (strcmp(compute_args.precision, "single") == 0) {
      pb->jac.precision = JS_PRECISION_SINGLE;
    } else if (strcmp(compute_args.precision, "mixed") == 0) {
      pb->jac.precision = JS_PRECISION_MIXED;
    } else {
      cli_error("--precision: expected double, single or mixed, got '%s'",
                compute_args.precision);
      return 2;
    }
  }
  int mlp = !model_args.model && (!model_args.arch || strcmp(model_args.arch, "mlp") == 0);
  int rc;
  if (model_args.model) {
    rc = load_model(pb);
  } else if (mlp) {
    rc = build_mlp(pb);
  } else if (model_args.hidden || model_args.act || model_args.nu || model_args.bias) {
    cli_error("--hidden, --act, --nu and --bias describe the MLP; --arch %s gives its "
              "layers in the spec", model_args.arch);
    rc = 2;
  } else {
    snprintf(pb->model_name, sizeof pb->model_name, "%s", model_args.arch);
    rc = js_net_create_arch(model_args.arch, &pb->data->shape, pb->data->n_outputs, pb->seed,
                            &pb->net)
             ? cli_library_error()
             : 0;
  }
  if (!rc)
    rc = apply_train(pb->net, mlp);
  if (!rc && model_args.init && js_net_load_tensors(pb->net, model_args.init))
    rc = cli_library_error();
  return rc;
}

/* --list-params: name, shape, size and whether trained, one tensor a line. */
static void list_params(const js_net *net) {
  printf("%-40s %-22s %12s  %s\n", "tensor", "shape", "size", "trained");
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    js_net_tensor_info(net, t, &info);
    char shape[96] = "(";
    for (int a = 0; a < info.ndim; a++)
      snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", a ? ", " : "",
               (long long)info.shape[a]);
    strcat(shape, ")");
    printf("%-40s %-22s %12lld  %s\n", info.name, shape, (long long)info.size,
           info.trained ? "yes" : "no");
  }
  printf("# %d tensors, p = %lld trained parameters\n", js_net_n_tensors(net),
         (long long)js_net_n_params(net));
}

void cli_problem_data_line(const cli_problem *pb, FILE *f, int64_t rows, int64_t cols) {
  fprintf(f, "# data %s: n=%lld d=%lld K=%lld", pb->data_name,
          (long long)cli_samples(pb->data), (long long)pb->data->dim,
          (long long)pb->data->n_outputs);
  if (rows > 0)
    fprintf(f, "; J is %lld x %lld (nK x p)", (long long)rows, (long long)cols);
  if (!isnan(pb->cross_predictability))
    fprintf(f, "; cross-predictability 1/C(bits, degree) = %.6g", pb->cross_predictability);
  fputc('\n', f);
}

void cli_problem_data_json(const cli_problem *pb, json_writer *j) {
  json_string(j, "data", pb->data_name);
  int64_t C = js_dataset_channels(pb->data);
  if (pb->standard) {
    json_object(j, "standardize");
    json_numbers(j, "mean", C, pb->standard);
    json_numbers(j, "std", C, pb->standard + C);
    json_close_object(j);
  }
  if (!isnan(pb->cross_predictability))
    json_number(j, "cross_predictability", pb->cross_predictability);
}

void cli_problem_describe(const cli_problem *pb, FILE *f) {
  cli_problem_data_line(pb, f, 0, 0);
  fprintf(f, "# network %s, trained", pb->model_name);
  int n_trained = 0, n = js_net_n_tensors(pb->net);
  for (int t = 0; t < n; t++) {
    js_tensor_info info;
    js_net_tensor_info(pb->net, t, &info);
    n_trained += info.trained;
  }
  if (n_trained == n && n > 4) {
    fprintf(f, " all %d tensors", n);
  } else {
    for (int t = 0, shown = 0; t < n; t++) {
      js_tensor_info info;
      js_net_tensor_info(pb->net, t, &info);
      if (info.trained && shown++ < 8)
        fprintf(f, " %s", info.name);
    }
    if (n_trained > 8)
      fprintf(f, " ... (%d tensors)", n_trained);
  }
  fprintf(f, "\n");
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

int cli_verbose(void) { return compute_args.verbose; }

int64_t cli_samples(const js_dataset *data) {
  return data->total_samples ? data->total_samples : data->n_samples;
}

int cli_problem_plan(cli_problem *pb, js_svds_options *solver) {
  int64_t rows = cli_samples(pb->data) * pb->data->n_outputs;
  int64_t p = js_net_n_params(pb->net);
  /* The residual check multiplies a block of all r triplets at once. A rank
   * out of range is left to the solver, which names the limit. */
  int64_t min_dim = rows < p ? rows : p;
  int64_t block = solver->top > 0 && solver->top < min_dim ? solver->top : 1;
  /* auto on a top r plans for GKL's two bases, which it may switch to; where
   * they do not fit next to the products, it stays on the Gram side. */
  size_t budget;
  js_memory_plan plan;
  if (memory_budget(&budget))
    return 2;
  if (solver->method == JS_SVDS_AUTO && !solver->smallest) {
    int64_t gram = budget > 0 &&
                   js_plan_memory(pb->net, pb->jac.precision, pb->data->n_samples, block,
                                  js_svds_memory_bytes(solver, rows, p), budget,
                                  &plan) == JS_ENOMEM;
    /* One method on every rank: a shard that leaves no room turns all to Gram. */
    if (js_comm_max(cli_comm(), &gram, 1) || gram)
      solver->method = JS_SVDS_GRAM;
  }
  return cli_problem_plan_bytes(pb, js_svds_memory_bytes(solver, rows, p), block);
}

/* Plans solver_bytes next to the network in blocks of `block`. With
 * fits non-NULL a budget too small is no error: *fits = 0 and the plan
 * already made stays. */
static int plan_memory(cli_problem *pb, size_t solver_bytes, int64_t block, int *fits) {
  size_t budget;
  if (memory_budget(&budget))
    return 2;
  if (fits)
    *fits = 1;
  if (budget == 0)
    return 0; /* unknown machine size and no --mem: the library's defaults */
  js_memory_plan plan;
  /* --mem is per rank: each plans for its own shard. */
  int status = js_plan_memory(pb->net, pb->jac.precision, pb->data->n_samples, block,
                              solver_bytes, budget, &plan);
  int64_t short_of = status == JS_ENOMEM;
  if (fits && (js_comm_max(cli_comm(), &short_of, 1) || short_of)) {
    *fits = 0;
    return 0;
  }
  int rc = 0;
  if (status == JS_ENOMEM)
    cli_error("%s%s", js_last_error(), compute_args.mem ? "" : " (give a budget with --mem)");
  if (status)
    rc = status == JS_ENOMEM ? 1 : cli_library_error();
  if ((rc = cli_agree(rc)))
    return rc;
  /* The batch per product from the workspace the plan leaves: a block's
   * batch would slow every single-vector Lanczos product (jacspec.h). */
  if (pb->one_batch)
    pb->jac.batch_size = plan.batch_size;
  else
    pb->jac.workspace_limit = plan.workspace_limit;
  pb->jac.cache_limit = plan.cache_limit;
  pb->solver_bytes = solver_bytes;
  pb->block = block;
  if (!compute_args.verbose)
    return 0;
  /* Every rank's plan, on its own stderr (cli/parallel.h). */
  FILE *log = cli_rank_log();
  fprintf(log, "jacspec: ");
  if (cli_ranks() > 1)
    fprintf(log, "rank %d of %d: samples %lld..%lld (%lld); ", cli_rank(), cli_ranks(),
            (long long)pb->data->first_sample,
            (long long)(pb->data->first_sample + pb->data->n_samples - 1),
            (long long)pb->data->n_samples);
  fprintf(log,
          "memory plan for a budget of %.1f MiB: program, data, weights and "
          "solver %.1f MiB; activation cache %s (%.1f MiB); batches of %lld samples "
          "for one vector, %lld for blocks of %lld (%.1f MiB workspace); %.1f MiB in "
          "all\n",
          mib(plan.budget), mib(plan.fixed_bytes), plan.cache ? "on" : "off",
          mib(plan.cache_bytes),
          (long long)(pb->one_batch ? plan.batch_size : plan.vector_batch_size),
          (long long)plan.batch_size, (long long)plan.block_vectors, mib(plan.batch_bytes),
          mib(plan.total_bytes));
  if (plan.exact_batch_size > 0)
    fprintf(log, "jacspec: mixed precision: the products above are the single-precision "
            "twin's; the double Jacobian's (no cache) take batches of %lld samples for "
            "blocks of %lld\n", (long long)plan.exact_batch_size, (long long)block);
  return 0;
}

int cli_problem_plan_bytes(cli_problem *pb, size_t solver_bytes, int64_t block) {
  return plan_memory(pb, solver_bytes, block, NULL);
}

int cli_problem_plan_extra(cli_problem *pb, size_t extra, int *fits) {
  return plan_memory(pb, pb->solver_bytes + extra, pb->block, fits);
}

int cli_problem_load_data(cli_problem *pb) {
  memset(pb, 0, sizeof *pb);
  js_jacobian_options_init_defaults(&pb->jac);
  int rc = apply_threads();
  if (rc)
    return rc;
  if (normalize + no_normalize + standardize > 1) {
    cli_error("--normalize, --no-normalize and --standardize contradict each other");
    return 2;
  }
  rc = load_dataset(&train_args, "gmm", pb->data_name, sizeof pb->data_name, &pb->data);
  /* The spec parsed again (it was checked): the parity class's bits and
   * degree. */
  js_parity_options parity;
  pb->cross_predictability = NAN;
  const char *name = pb->data_name;
  if (!rc && !train_args.x && strncmp(name, "parity", 6) == 0 && (!name[6] || name[6] == ':') &&
      !cli_parity_spec(name[6] ? name + 7 : "", &parity))
    pb->cross_predictability = js_parity_cross_predictability(parity.bits, parity.degree);
  /* A rank that could not read its shard stops every rank, reported once. */
  if ((rc = cli_agree(rc)) || (rc = cli_agree(standard_stats(pb))) ||
      (rc = cli_agree(standardize_with(pb, pb->data))))
    return rc;
  pb->jac.comm = cli_comm();
  return 0;
}

int cli_problem_load(cli_problem *pb) {
  int rc = cli_problem_load_data(pb);
  if (rc)
    return rc;
  if ((rc = cli_agree(build_model(pb))))
    return rc;
  if (model_args.list_params) {
    list_params(pb->net);
    cli_problem_free(pb);
    exit(0);
  }
  return 0;
}

int cli_problem_save_init(cli_problem *pb) {
  if (model_args.save_init && cli_rank() == 0 &&
      js_net_save_tensors(pb->net, model_args.save_init))
    return cli_library_error();
  return 0;
}

int cli_problem_save_model(const js_net *net) {
  if (model_args.save_model && cli_rank() == 0 &&
      js_net_save_onnx(net, model_args.save_model))
    return cli_library_error();
  return 0;
}

void cli_problem_free(cli_problem *pb) {
  js_net_free(pb->net);
  js_dataset_free(pb->data);
  free(pb->standard);
  pb->net = NULL;
  pb->data = NULL;
  pb->standard = NULL;
}

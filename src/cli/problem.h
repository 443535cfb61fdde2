/* The data and the network every verb works on, from the shared options:
 * --data/--x/--labels/--targets for the data, --model/--hidden/--act/--train/
 * --nu/--seed/--init/--save-init/--save-model for the model, --threads/--mem/--verbose for
 * how its products run. */
#ifndef JS_CLI_PROBLEM_H
#define JS_CLI_PROBLEM_H

#include "cli/args.h"
#include "cli/output.h"
#include "jacspec.h"

#include <stdio.h>

extern const cli_opt cli_data_options[];
extern const cli_opt cli_model_options[];
/* --test-data/--test-x/--test-labels/--test-targets, for verbs with test data. */
extern const cli_opt cli_test_data_options[];

typedef struct cli_problem {
  js_dataset *data;
  js_net *net;
  js_jacobian_options jac; /* --precision, and batch and cache from the plan */
  char data_name[256]; /* how the data was given, for reports */
  char model_name[256]; /* the MLP's widths and activation, or the --arch spec */
  int mlp;              /* built from --hidden/--act (no --arch) */
  js_activation act;    /* the MLP's activation */
  uint64_t seed;       /* --seed: initialisation and solver start vector */
  /* parity: data: 1 / C(bits, degree) (js_parity_cross_predictability); NaN
   * for other data. */
  double cross_predictability;
  /* --standardize: the training inputs' mean of each channel, then its
   * standard deviation (2 C values); NULL without. */
  double *standard;
  /* Set before planning by a verb that holds several Jacobians at once
   * (train: J(theta_0), J(theta_t), the test data's): every product takes
   * the plan's batch for a block, so their workspaces stay within the one
   * planned. Otherwise each product takes the batch that suits its number
   * of vectors within the planned workspace. */
  int one_batch;
  /* The last memory plan's solver bytes and block (cli_problem_plan_extra). */
  size_t solver_bytes;
  int64_t block;
} cli_problem;

/* Loads the data and builds the network from the parsed options. Returns 0,
 * or prints one line and returns a non-zero exit code. With --list-params
 * it prints the parameter tensors and exits. */
int cli_problem_load(cli_problem *pb);
/* Only the data (and --threads): for verbs without a network (ntk). */
int cli_problem_load_data(cli_problem *pb);
/* The "# data ..." and "# network ..., trained ..." header lines. */
void cli_problem_describe(const cli_problem *pb, FILE *f);
/* The "# data NAME: n= d= K=" line, with "; J is ROWS x COLS (nK x p)"
 * when rows > 0 and the cross-predictability for parity data. */
void cli_problem_data_line(const cli_problem *pb, FILE *f, int64_t rows, int64_t cols);
/* The JSON keys of the data: "data" (its name) and, for parity data,
 * "cross_predictability". */
void cli_problem_data_json(const cli_problem *pb, json_writer *j);
/* Writes the weights the network was created with to --save-init's DIR, if
 * given. Verbs call it once the run has got past everything that can
 * reject it, and before any training changes the weights, so a refused run
 * leaves no directory behind. Returns 0, or prints one line and returns 1. */
int cli_problem_save_init(cli_problem *pb);
/* Writes net to --save-model's FILE.onnx, if given: the verbs call it where
 * they call cli_problem_save_init, train with the trained network. */
int cli_problem_save_model(const js_net *net);
void cli_problem_free(cli_problem *pb);
/* Fits batch size and caching of pb->jac to --mem (or half the physical
 * memory) next to the solver's memory, before any product; --verbose
 * prints the plan. Under --method auto on a top r, where GKL's memory (which
 * auto may switch to) does not fit, sets solver->method to the Gram side.
 * Returns 0, or prints one line and returns non-zero (1 when the budget is
 * too small, naming the smallest that works). */
int cli_problem_plan(cli_problem *pb, js_svds_options *solver);
/* The same for any solver: solver_bytes of its memory next to the network,
 * products in blocks of up to `block` vectors. */
int cli_problem_plan_bytes(cli_problem *pb, size_t solver_bytes, int64_t block);
/* Non-zero under --verbose. */
int cli_verbose(void);
/* Plans again with `extra` bytes (an explicit Gram, cli/gram.h) next to
 * the last plan's solver bytes: *fits = 0, and the last plan stays, when
 * they do not fit the budget. Returns 0, or prints one line and returns
 * non-zero. */
int cli_problem_plan_extra(cli_problem *pb, size_t extra, int *fits);
/* The test data set, or *test = NULL when no --test-* option was given;
 * its dimension and number of outputs must match the training data. */
int cli_problem_load_test(const cli_problem *pb, js_dataset **test);


/* The samples of the whole data set (all ranks' shards). */
int64_t cli_samples(const js_dataset *data);

/* Prints "jacspec: <library message>" and returns exit code 1, or 128 + the
 * signal number once SIGINT or SIGTERM was caught (cli/signals.h). */
int cli_library_error(void);

#endif

/* --precision mixed on the verbs that solve for singular triplets
 * (spectrum, split, bound): what it cannot combine with, and the report of
 * the refinement in double that follows the single-precision Lanczos
 * (js_svds_options.fast). */
#ifndef JS_CLI_PRECISION_H
#define JS_CLI_PRECISION_H

#include "cli/output.h"
#include "cli/problem.h"
#include "jacspec.h"

#include <stdio.h>

/* What the refinements of a verb's solves did, summed over them. */
typedef struct cli_refinement {
  int used;                         /* a solve had a fast operator */
  double tol;                       /* --tol */
  int64_t steps;                    /* subspace-iteration steps */
  double max_error_bound;           /* the largest relative error bound */
  int64_t fast_apply, fast_apply_t; /* products in single precision */
  int64_t apply, apply_t;           /* products in double */
} cli_refinement;

/* Under --precision mixed: one line and 2 when the solve cannot take a
 * fast operator (--dense, --method gkl, --smallest, several processes);
 * verb names the verb, for one that solves for no triplets (solver NULL:
 * mixed does not apply to it). 0 otherwise. */
int cli_precision_check(const cli_problem *pb, const js_svds_options *solver,
                        const char *verb);
/* Adds a solve's refinement (nothing without one). */
void cli_refinement_add(cli_refinement *r, const js_svds_result *res);
/* "refinement": {"steps", "max_error_bound", "tol", "fast_jvp_count",
 * "fast_vjp_count"} when one ran; error_bounds (n values, NULL: none) adds
 * "error_bounds". */
void cli_refinement_json(const cli_refinement *r, int64_t n, const double *error_bounds,
                         json_writer *j);
/* The table's "# refinement in double: ..." line when one ran. */
void cli_refinement_describe(const cli_refinement *r, FILE *f);

#endif

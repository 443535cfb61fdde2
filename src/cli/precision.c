#include "cli/precision.h"

#include "cli/args.h"
#include "cli/parallel.h"

int cli_precision_check(const cli_problem *pb, const js_svds_options *solver,
                        const char *verb) {
  if (pb->jac.precision != JS_PRECISION_MIXED)
    return 0;
  const char *obstacle = NULL;
  if (!solver)
    obstacle = "it refines singular triplets (spectrum, split, bound --theorem 3.3); this "
               "verb's products take double or single";
  else if (solver->method == JS_SVDS_DENSE)
    obstacle = "the dense SVD has no Lanczos to speed up (--dense or --method dense)";
  else if (solver->method == JS_SVDS_GKL)
    obstacle = "it refines Lanczos on the Gram side (--method gram or auto), not GKL";
  else if (solver->smallest)
    obstacle = "it refines the top singular triplets, not the smallest";
  else if (cli_ranks() > 1)
    obstacle = "its refinement runs on one process (not under mpirun)";
  if (!obstacle)
    return 0;
  cli_error("%s: --precision mixed: %s", verb, obstacle);
  return 2;
}

void cli_refinement_add(cli_refinement *r, const js_svds_result *res) {
  if (!res->refined)
    return;
  if (!r->used || res->max_error_bound > r->max_error_bound)
    r->max_error_bound = res->max_error_bound;
  r->used = 1;
  r->steps += res->refine_steps;
  r->fast_apply += res->n_fast_apply;
  r->fast_apply_t += res->n_fast_apply_t;
  r->apply += res->n_apply;
  r->apply_t += res->n_apply_t;
}

void cli_refinement_json(const cli_refinement *r, int64_t n, const double *error_bounds,
                         json_writer *j) {
  if (!r->used)
    return;
  json_object(j, "refinement");
  json_int(j, "steps", r->steps);
  json_number(j, "max_error_bound", r->max_error_bound);
  json_number(j, "tol", r->tol);
  if (error_bounds)
    json_numbers(j, "error_bounds", n, error_bounds);
  json_int(j, "fast_jvp_count", r->fast_apply);
  json_int(j, "fast_vjp_count", r->fast_apply_t);
  json_close_object(j);
}

void cli_refinement_describe(const cli_refinement *r, FILE *f) {
  if (!r->used)
    return;
  fprintf(f, "# mixed precision: Lanczos on single-precision products (%lld J and %lld J^T), "
          "refined in double (%lld J and %lld J^T) with %lld subspace-iteration step%s: "
          "relative error of every sigma_s <= %.3g (tol %.3g)\n",
          (long long)r->fast_apply, (long long)r->fast_apply_t, (long long)r->apply,
          (long long)r->apply_t, (long long)r->steps, r->steps == 1 ? "" : "s",
          r->max_error_bound, r->tol);
}

#include "cli/gram.h"

#include "cli/parallel.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static const char *gram_arg;

const cli_opt cli_gram_options[] = {
    {"gram", "MODE", "explicit (form J J^T by GEMMs: dense networks, (nK)^2 doubles), "
     "implicit (J (J^T x) by products) or auto (explicit when it fits --mem and costs "
     "fewer flops; default)", &gram_arg, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

const char *cli_gram_svds_obstacle(const cli_problem *pb, const js_svds_options *opt) {
  int64_t rows = cli_samples(pb->data) * pb->data->n_outputs, p = js_net_n_params(pb->net);
  /* js_side: AUTO is the smaller Gram matrix, J J^T when nK <= p. */
  js_side side = opt->side != JS_SIDE_AUTO ? opt->side
                 : rows <= p                ? JS_SIDE_OUTPUTS
                                            : JS_SIDE_PARAMS;
  if (opt->method == JS_SVDS_GKL || opt->method == JS_SVDS_DENSE ||
      (opt->method == JS_SVDS_AUTO && opt->smallest))
    return "GKL and the dense SVD work on J itself, not on J J^T";
  if (side != JS_SIDE_OUTPUTS)
    return "the solve is on the params side (J^T J, nK > p or --side params)";
  return NULL;
}

double cli_gram_svds_steps(const js_svds_options *opt) {
  /* ARPACK's products for r triplets: about twice the basis of
   * max(2r + 1, 20) vectors on network Jacobians (154 for r = 50 on
   * Fashion-MNIST, issue 12; 412 for r = 20 on the clustered GMM). */
  int64_t r = opt->top > 0 ? opt->top : 10;
  int64_t ncv = opt->ncv > r ? opt->ncv : 2 * r + 1 > 20 ? 2 * r + 1 : 20;
  return 2.0 * (double)ncv;
}

static double mib(size_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

int cli_gram_decide(cli_problem *pb, const char *obstacle, double steps, cli_gram *g) {
  *g = (cli_gram){0};
  int rc;
  const char *mode = gram_arg ? gram_arg : "auto";
  int forced = strcmp(mode, "explicit") == 0;
  if (!forced && strcmp(mode, "implicit") != 0 && strcmp(mode, "auto") != 0) {
    cli_error("--gram: expected explicit, implicit or auto, got '%s'", mode);
    return 2;
  }
  if (strcmp(mode, "implicit") == 0)
    return 0;
  if (!obstacle && cli_ranks() > 1)
    obstacle = "it runs on one process (not under mpirun)";
  char why[512] = "";
  if (!obstacle && js_net_gram_cost(pb->net, pb->data->n_samples, &g->cost)) {
    snprintf(why, sizeof why, "%s", js_last_error());
    obstacle = why;
  }
  if (obstacle) {
    if (forced) {
      cli_error("--gram explicit: %s", obstacle);
      return 2;
    }
    if (cli_verbose())
      fprintf(stderr, "jacspec: Gram: implicit (the explicit one cannot serve: %s)\n",
              obstacle);
    return 0;
  }
  const js_gram_cost *c = &g->cost;
  double explicit_flops = c->form_flops + steps * c->step_flops;
  double implicit_flops = steps * c->implicit_flops;
  int cheaper = explicit_flops < implicit_flops, fits = 0;
  /* The plan made room for the largest batches; it is made again with G
   * beside the solver (smaller batches), or kept when G does not fit. */
  if ((forced || cheaper) && (rc = cli_problem_plan_extra(pb, c->bytes, &fits)))
    return rc;
  if (forced && !fits) {
    cli_error("--gram explicit: J J^T and its forming take %.1f MiB, beyond the memory "
              "budget next to the rest (raise --mem, or --gram implicit)", mib(c->bytes));
    return 1;
  }
  g->use = fits;
  if (cli_verbose())
    fprintf(stderr, "jacspec: Gram: %s (J J^T formed explicitly: %.1f MiB%s; for %.0f "
            "expected products %.3g flops against %.3g by J (J^T x))\n",
            g->use ? "explicit" : "implicit", mib(c->bytes),
            !(forced || cheaper) ? "" : fits ? ", within the budget" : ", beyond the budget",
            steps, explicit_flops, implicit_flops);
  return 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int cli_gram_form(cli_gram *g, js_linop *jacobian, js_linop **slot) {
  if (!g->use)
    return 0;
  double start = now();
  if (js_jacobian_gram(jacobian, &g->op))
    return cli_library_error();
  double seconds = now() - start;
  g->seconds += seconds;
  *slot = g->op;
  if (cli_verbose())
    fprintf(stderr, "jacspec: Gram: J J^T (%lld x %lld) formed in %.3f s\n",
            (long long)js_linop_rows(g->op), (long long)js_linop_rows(g->op), seconds);
  return 0;
}

void cli_gram_count(cli_gram *g, const js_svds_result *res) {
  g->products += res->n_gram;
  if (isnan(res->gram_check))
    return;
  g->check = g->checks == 0 || res->gram_check > g->check ? res->gram_check : g->check;
  g->checks++;
}

void cli_gram_json(const cli_gram *g, json_writer *j) {
  json_string(j, "gram", g->use ? "explicit" : "implicit");
  json_int(j, "gram_products", g->products);
  if (g->use)
    json_number(j, "gram_seconds", g->seconds);
  if (g->checks > 0)
    json_number(j, "gram_check", g->check);
}

void cli_gram_describe(const cli_gram *g, FILE *f) {
  if (!g->use)
    return;
  fprintf(f, "# Gram: J J^T formed explicitly in %.3f s, %lld products with it", g->seconds,
          (long long)g->products);
  if (g->checks > 0)
    fprintf(f, "; checked: ||G z - J (J^T z)|| = %.2g ||G z||", g->check);
  fputc('\n', f);
}

void cli_gram_free(cli_gram *g) {
  js_linop_free(g->op);
  g->op = NULL;
}

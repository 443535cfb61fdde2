/* Strong scaling of the products and of a top-r solve over MPI ranks
 * (doc/scaling.md): Fashion-MNIST, 3 classes x 1000 training images
 * (n = 3000, K = 3: nK = 9000), the paper's MLP 784-256-3 (softplus, W1
 * trained: p = 200 704), so the solve runs on the outputs side, J J^T,
 * with PARPACK. Run it under mpirun, each rank on one thread:
 *   mpirun -np 1 build/bench/mpi_scaling; mpirun -np 2 build/bench/mpi_scaling
 * (bench/mpi_scaling.sh runs both and prints the speed-up). Rank 0 prints
 * one line per measurement: seconds per Gram product J (J^T x), the part
 * of it inside the sums over ranks (one p-vector per product, plus the
 * scalars of PARPACK's and the status agreements), the bytes a rank
 * sends per product, and the same for js_svds of the top 10. */
#include "jacspec.h"
#include "measure.h"
#include "parallel/mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { PER_CLASS = 1000, HIDDEN = 256, PRODUCTS = 20, TOP = 10 };

typedef struct sums {
  int64_t calls, bytes;
  double seconds;
} sums;

static sums sums_now(void) {
  sums s;
  js_mpi_sum_stats(&s.calls, &s.seconds, &s.bytes);
  return s;
}


static void report(const js_comm *comm, const char *what, double seconds, double cpu,
                   int64_t products, sums before) {
  sums after = sums_now();
  if (comm->rank != 0)
    return;
  double per = seconds / (double)products;
  double in_sums = (after.seconds - before.seconds) / (double)products;
  printf("%-8s ranks %d  %lld products  %.4f s/product  cpu %.4f s/product  sums %.4f "
         "s/product (%.1f%%, %.1f calls)  %.2f MB sent/product  total %.3f s\n",
         what, comm->size, (long long)products, per, cpu / (double)products, in_sums,
         100.0 * in_sums / per, (double)(after.calls - before.calls) / (double)products,
         (double)(after.bytes - before.bytes) / (double)products / 1e6, seconds);
}

int main(int argc, char **argv) {
  const js_comm *comm = NULL;
  if (js_mpi_init(&argc, &argv, &comm)) {
    fprintf(stderr, "mpi_scaling: %s\n", js_last_error());
    return 1;
  }
  js_set_threads(1);
  js_dataset *data = NULL;
  js_net *net = NULL;
  js_linop *op = NULL;
  js_svds_result *res = NULL;
  double *x = NULL, *y = NULL, *z = NULL;
  /* Each rank reads its own shard of the images. */
  int rc = js_comm_agree(comm, bench_fashion_mnist_3c(PER_CLASS, comm->rank, comm->size,
                                                      &data));
  int64_t widths[3] = {784, HIDDEN, 3};
  js_mlp_options mlp;
  js_mlp_options_init_defaults(&mlp);
  mlp.n_layers = 2;
  mlp.widths = widths;
  js_jacobian_options jo;
  js_jacobian_options_init_defaults(&jo);
  jo.comm = comm;
  if (!rc)
    rc = js_net_create_mlp(&mlp, &net);
  if (!rc)
    rc = js_jacobian_create(net, data, &jo, &op);
  if (rc) {
    fprintf(stderr, "mpi_scaling: %s\n", js_last_error());
    goto done;
  }
  int64_t rows = js_linop_rows(op), p = js_linop_cols(op);
  if (comm->rank == 0)
    printf("# fashion-mnist 3 x %d: nK = %lld, p = %lld; %d rank(s), one thread each, "
           "%lld rows on rank 0\n",
           PER_CLASS, (long long)js_linop_global_rows(op), (long long)p, comm->size,
           (long long)rows);
  x = calloc((size_t)rows, sizeof *x);
  y = calloc((size_t)rows, sizeof *y);
  z = calloc((size_t)p, sizeof *z);
  if (!x || !y || !z)
    goto done;
  for (int64_t i = 0; i < rows; i++)
    x[i] = 1.0 / (double)(1 + (js_linop_row_offset(op) + i) % 7);
  /* The first product fills the activation cache; the timed ones skip the
   * forward pass, as a solve's products do. */
  if ((rc = js_linop_apply_t(op, 1, x, z)) || (rc = js_linop_apply(op, 1, z, y)))
    goto done;
  sums before = sums_now();
  double start = bench_now(), cpu = bench_cpu_now();
  for (int k = 0; k < PRODUCTS && !rc; k++)
    if (!(rc = js_linop_apply_t(op, 1, x, z)))
      rc = js_linop_apply(op, 1, z, y);
  report(comm, "J J^T x", bench_now() - start, bench_cpu_now() - cpu, PRODUCTS, before);
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = TOP;
  so.side = JS_SIDE_OUTPUTS;
  so.want_vectors = 0;
  before = sums_now();
  start = bench_now();
  cpu = bench_cpu_now();
  if (!rc && !(rc = js_svds(op, &so, &res)))
    report(comm, "svds", bench_now() - start, bench_cpu_now() - cpu, res->n_apply_t, before);
  if (!rc && comm->rank == 0)
    printf("# sigma_1 = %.15g, sigma_%d = %.15g\n", res->sigma[0], TOP, res->sigma[TOP - 1]);
  if (rc)
    fprintf(stderr, "mpi_scaling: %s\n", js_last_error());
done:
  free(x);
  free(y);
  free(z);
  js_svds_result_free(res);
  js_linop_free(op);
  js_net_free(net);
  js_dataset_free(data);
  js_mpi_finalize();
  return rc ? 1 : 0;
}

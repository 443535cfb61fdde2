/* js_comm on MPI_COMM_WORLD: the only file that includes mpi.h. */
#include "parallel/mpi.h"

#include "core/error.h"

#include <limits.h>
#include <mpi.h>
#include <time.h>

/* solve/parpack.c declares PARPACK's entry points with an int communicator. */
_Static_assert(sizeof(MPI_Fint) == sizeof(int), "MPI_Fint must be an int for PARPACK");

static struct {
  int initialised; /* by us: we finalise */
  js_comm comm;
  int64_t sum_calls, sum_bytes;
  double sum_seconds;
} world;

/* MPI counts are ints: large vectors go in pieces. */
enum { CHUNK = 1 << 28 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int mpi_status(int rc, const char *what) {
  if (rc == MPI_SUCCESS)
    return JS_OK;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return js_fail(JS_EIO, "MPI %s failed: %s", what, text);
}

/* Reduce to rank 0, then broadcast, rather than MPI_Allreduce: the
 * standard does not promise that every rank of an allreduce gets the same
 * bits, and the ranks run the same Lanczos iteration on these sums. */
static int sum(void *ctx, double *x, int64_t n) {
  (void)ctx;
  double start = now();
  int rank = world.comm.rank, rc = MPI_SUCCESS;
  for (int64_t at = 0; at < n && rc == MPI_SUCCESS; at += CHUNK) {
    int count = (int)(n - at < CHUNK ? n - at : CHUNK);
    rc = MPI_Reduce(rank == 0 ? MPI_IN_PLACE : x + at, x + at, count, MPI_DOUBLE, MPI_SUM, 0,
                    MPI_COMM_WORLD);
    if (rc == MPI_SUCCESS)
      rc = MPI_Bcast(x + at, count, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  }
  world.sum_calls++;
  world.sum_seconds += now() - start;
  /* Trees send size - 1 copies of the vector in the reduction and as many
   * in the broadcast: 2 (size - 1) / size of them a rank, on average. */
  int64_t size = world.comm.size;
  world.sum_bytes += (int64_t)sizeof(double) * n * 2 * (size - 1) / size;
  return mpi_status(rc, "sum");
}

static int max(void *ctx, int64_t *x, int64_t n) {
  (void)ctx;
  if (n > INT_MAX)
    return js_fail(JS_ELIMIT, "MPI max: %lld values", (long long)n);
  return mpi_status(MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_INT64_T, MPI_MAX,
                                  MPI_COMM_WORLD), "max");
}

static int broadcast(void *ctx, void *buf, size_t bytes, int root) {
  (void)ctx;
  int rc = MPI_SUCCESS;
  for (size_t at = 0; at < bytes && rc == MPI_SUCCESS; at += CHUNK) {
    int count = (int)(bytes - at < CHUNK ? bytes - at : CHUNK);
    rc = MPI_Bcast((char *)buf + at, count, MPI_BYTE, root, MPI_COMM_WORLD);
  }
  return mpi_status(rc, "broadcast");
}

int js_mpi_init(int *argc, char ***argv, const js_comm **comm) {
  int already = 0, provided = 0;
  MPI_Initialized(&already);
  if (!already) {
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS)
      return mpi_status(rc, "init");
    world.initialised = 1;
  }
  /* Errors come back as codes (mpi_status), not as an abort. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  world.comm = (js_comm){.ctx = NULL, .sum = sum, .max = max, .broadcast = broadcast,
                         .fortran_comm = (int)MPI_Comm_c2f(MPI_COMM_WORLD)};
  MPI_Comm_rank(MPI_COMM_WORLD, &world.comm.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world.comm.size);
  *comm = &world.comm;
  return JS_OK;
}

void js_mpi_finalize(void) {
  if (world.initialised)
    MPI_Finalize();
  world.initialised = 0;
}

void js_mpi_sum_stats(int64_t *calls, double *seconds, int64_t *bytes) {
  *calls = world.sum_calls;
  *seconds = world.sum_seconds;
  *bytes = world.sum_bytes;
}

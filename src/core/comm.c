/* The serial js_comm and what the library builds on any comm: vector
 * reductions over sharded rows and the collective agreement on a status. */
#include "core/comm.h"

#include "core/blas.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int serial_sum(void *ctx, double *x, int64_t n) {
  (void)ctx, (void)x, (void)n;
  return JS_OK;
}

static int serial_max(void *ctx, int64_t *x, int64_t n) {
  (void)ctx, (void)x, (void)n;
  return JS_OK;
}

static int serial_broadcast(void *ctx, void *buf, size_t bytes, int root) {
  (void)ctx, (void)buf, (void)bytes, (void)root;
  return JS_OK;
}

static const js_comm serial = {.rank = 0, .size = 1, .ctx = NULL, .sum = serial_sum,
                               .max = serial_max, .broadcast = serial_broadcast,
                               .fortran_comm = -1};

const js_comm *js_comm_serial(void) { return &serial; }

int js_comm_distributed(const js_comm *comm) { return comm && comm->size > 1; }

int js_comm_sum(const js_comm *comm, double *x, int64_t n) {
  return js_comm_distributed(comm) ? comm->sum(comm->ctx, x, n) : JS_OK;
}

int js_comm_max(const js_comm *comm, int64_t *x, int64_t n) {
  return js_comm_distributed(comm) ? comm->max(comm->ctx, x, n) : JS_OK;
}

int js_comm_broadcast(const js_comm *comm, void *buf, size_t bytes, int root) {
  return js_comm_distributed(comm) ? comm->broadcast(comm->ctx, buf, bytes, root) : JS_OK;
}

int js_comm_agree(const js_comm *comm, int status) {
  if (!js_comm_distributed(comm))
    return status;
  /* The lowest failing rank wins: the maximum of size - rank over those
   * that failed (0 when none). One reduction when all went well. */
  int64_t who = status ? comm->size - comm->rank : 0;
  if (comm->max(comm->ctx, &who, 1))
    return JS_EIO; /* the communication itself failed: nothing left to agree */
  if (who == 0)
    return JS_OK;
  int root = comm->size - (int)who;
  struct {
    int64_t status;
    char message[1024];
  } verdict = {.status = status};
  if (comm->rank == root)
    snprintf(verdict.message, sizeof verdict.message, "%s", js_last_error());
  if (comm->broadcast(comm->ctx, &verdict, sizeof verdict, root))
    return JS_EIO;
  verdict.message[sizeof verdict.message - 1] = '\0';
  if (comm->rank == root)
    return status;
  return js_fail((int)verdict.status, "%s", verdict.message);
}

double js_comm_dot(const js_comm *comm, int64_t n, const double *x, const double *y) {
  double dot = js_dot(n, x, y);
  if (js_comm_sum(comm, &dot, 1))
    return NAN;
  return dot;
}

double js_comm_nrm2(const js_comm *comm, int64_t n, const double *x) {
  if (!js_comm_distributed(comm))
    return js_nrm2(n, x);
  /* The squares of the local norms add up (nrm2 guards its own overflow). */
  double local = js_nrm2(n, x), square = local * local;
  if (js_comm_sum(comm, &square, 1))
    return NAN;
  return sqrt(square);
}

void js_shard_range(int64_t n, int part, int parts, int64_t *first, int64_t *count) {
  if (parts < 1 || part < 0 || part >= parts) {
    *first = 0;
    *count = n;
    return;
  }
  int64_t base = n / parts, extra = n % parts;
  *first = part * base + (part < extra ? part : extra);
  *count = base + (part < extra);
}

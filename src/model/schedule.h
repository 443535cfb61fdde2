/* What a Jacobian's products need of the graph, decided once per
 * (graph, trained tensors, precision) and used by every batch:
 *   - which nodes reach f, and which carry tangents (are "active": they
 *     depend on a trained tensor and reach f);
 *   - the forward data of the products: the values of nodes whose value a
 *     product reads (the input of a trained weight: dW needs x) and what
 *     active ops keep (activation derivatives, max-pooling choices). This
 *     is what the activation cache holds for all samples;
 *   - buffer slots by liveness: a value (forward), tangent (jvp) or
 *     cotangent (vjp) lives from the node that makes it to its last
 *     consumer; slots are offsets in elements per sample, reused greedily
 *     (first fit), so a residual block's shortcut stays alive while a
 *     chain's buffers are recycled.
 * Slots scale with the batch: a value slot holds (B, size), a tangent slot
 * (b, B, size); both are (offset x B) or (offset x b B) elements in. */
#ifndef JS_MODEL_SCHEDULE_H
#define JS_MODEL_SCHEDULE_H

#include "model/graph.h"
#include "model/kernels.h"

#include <stddef.h>
#include <stdint.h>

/* Workspace beyond which larger batches stop paying: GEMMs on a few MiB
 * already run at full speed (measured in round 1: bench/products). */
#define JS_BATCH_CAP ((size_t)64 << 20)

/* Vectors a single-precision product converts to float at once: its p x b
 * block in float sits beside the double vectors it stands for, and a
 * top-50 residual block of p = 2e5 would add 40 MB, more than single saves
 * elsewhere (issue #12). Chunks of 8 cost nothing measurable once the
 * forward data is cached (a trained weight's GEMMs are per vector anyway). */
#define JS_FLOAT_BLOCK 8

/* Start of every array in a workspace or cache: a cache line, so double,
 * float and int32 arrays all stay aligned whatever the row count. */
static inline size_t js_align(size_t bytes) { return (bytes + 63) / 64 * 64; }

typedef struct js_schedule {
  const js_net *net;        /* borrowed */
  const js_kernels *k;      /* the products' precision */
  int n_nodes;
  unsigned char *reaches;   /* the node's value is used on the way to f */
  unsigned char *active;    /* carries a tangent in the products */
  unsigned char *kept;      /* its value is forward data */
  size_t *saved_bytes;      /* per sample, what an active op keeps (0: nothing) */
  int input_direct;         /* node 0's value is the data rows themselves (double) */
  int64_t *value_slot;      /* products' forward pass: transient values, -1: none */
  int64_t value_units;
  int64_t *tangent_slot;    /* jvp, -1 for inactive nodes */
  int64_t tangent_units;
  int64_t *cotangent_slot;  /* vjp, -1 for inactive nodes */
  int64_t cotangent_units;
  int64_t *plain_slot;      /* forward pass for outputs only (double), every value */
  int64_t plain_units;
  size_t data_per_sample;   /* bytes of forward data a sample (before alignment) */
} js_schedule;

int js_schedule_create(const js_net *net, js_precision precision, js_schedule *s);
void js_schedule_free(js_schedule *s);

/* Bytes of the forward data of `rows` samples, and its views in base:
 * value[i] for kept nodes (rows, size), saved[i] for ops that keep
 * something (rows x saved_bytes); other entries are set to NULL. */
size_t js_schedule_data_bytes(const js_schedule *s, int64_t rows);
void js_schedule_lay_out(const js_schedule *s, void *base, int64_t rows, void **value,
                         void **saved);

/* JS_BATCH_CAP in the products' precision: the batches of samples double
 * takes, in half the bytes for float (what makes a GEMM fast is its shape,
 * not its bytes), so single precision keeps its halving of the workspace. */
static inline size_t js_schedule_batch_cap(const js_schedule *s) {
  return JS_BATCH_CAP / sizeof(double) * s->k->size;
}

/* The vectors of a product of b that run at once: all in double (used in
 * place), at most JS_FLOAT_BLOCK in single. */
static inline int64_t js_schedule_chunk(const js_schedule *s, int64_t b) {
  return s->k->size == sizeof(double) || b < JS_FLOAT_BLOCK ? b : JS_FLOAT_BLOCK;
}

/* Bytes of the value and tangent slots for B samples and b vectors (the
 * forward pass's values and the products' tangents share them: the
 * former are dead before the latter are born). The workspace is these
 * slots, then the ops' scratch, then (uncached) the forward data. */
size_t js_schedule_slot_bytes(const js_schedule *s, int64_t B, int64_t b);
/* Bytes of workspace for products on batches of B samples and blocks of
 * b vectors, with the forward data in the workspace unless cached. */
size_t js_schedule_workspace(const js_schedule *s, int64_t B, int64_t b, int cached);
/* Bytes for the outputs-only forward pass (double) on batches of B. */
size_t js_schedule_plain_workspace(const js_schedule *s, int64_t B);

/* The workspace of a product, or with_plain: the larger of it and a
 * forward pass's (what a run that does both needs at most). */
size_t js_schedule_batch_bytes(const js_schedule *s, int64_t B, int64_t b, int cached,
                               int with_plain);
/* The largest batch whose js_schedule_batch_bytes fits `bytes` (at least
 * 1, at most n_samples). */
int64_t js_schedule_fit_batch(const js_schedule *s, size_t bytes, int64_t n_samples,
                              int64_t b, int cached, int with_plain);

#endif

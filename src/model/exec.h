/* The batch walks over a schedule: the forward pass (for the products,
 * keeping their forward data; or for the outputs alone), the JVP in node
 * order and the VJP in reverse order. The Jacobian (jacobian.c) owns the
 * buffers and loops over batches; this file holds only the walks. */
#ifndef JS_MODEL_EXEC_H
#define JS_MODEL_EXEC_H

#include "model/schedule.h"

typedef struct js_exec {
  const js_schedule *s;
  const js_kernels *k;
  const void *values;   /* every parameter tensor, net layout, k's type */
  void **value;         /* per node: its value for this batch (B, size) */
  void **saved;         /* per node: what its op keeps */
  void **tangent;       /* per node: tangent (jvp) or cotangent (vjp) block */
  unsigned char *opened; /* vjp: the node's cotangent has been zeroed */
  void *slots;          /* the slots' base */
  void *scratch;        /* the ops' scratch */
} js_exec;

/* Products' forward pass on B samples: value[0] and the views of kept
 * values and saved data must be set; transient values go to their slots. */
void js_exec_forward(js_exec *e, int64_t B);
/* tangent[f] = J_batch v for the p x b block v (k's type). */
void js_exec_jvp(js_exec *e, const void *v, int64_t B, int64_t b);
/* g += J_batch^T u, where the output's cotangent block (b, B, K) is already
 * in tangent[f]; g is p x b (k's type). */
void js_exec_vjp(js_exec *e, void *g, int64_t B, int64_t b);
/* Points tangent[i] at the slots of a block of b vectors on B samples. */
void js_exec_tangent_slots(js_exec *e, const int64_t *slot, int64_t B, int64_t b);

/* f = the outputs (n x K) on x (n x input size) at `values` (double, net
 * layout), in double, batch by batch with its own workspace. */
int js_exec_outputs(const js_net *net, const double *values, const double *x,
                    int64_t n_samples, double *f);

#endif

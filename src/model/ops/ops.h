/* The op interface: what the executor (exec.c) needs of every kind of
 * node. Each op lives in one file of this folder with its forward, jvp and
 * vjp side by side, so the three can be compared line by line.
 *
 * Legend of the letters in shape comments:
 *   B   samples in the batch
 *   b   vectors in the block (tangents or cotangents)
 *   in  elements per sample of input 0 (node->in_size); out: node->size
 *   p   trained parameters (the column length of a tangent block)
 * Per-sample tensors of a batch are (B, size), sample after sample, each
 * sample row-major in its own shape (NCHW for images). A block of b such
 * batches is (b, B, size), vector after vector.
 * Parameter tangents and gradients: vector j's slice of tensor i starts at
 * dw[i] + j * dw_stride (elements) and is laid out as the tensor.
 * Buffers hold elements of the kernels' type (double or float); reach
 * element i with js_elem(k, base, i). */
#ifndef JS_MODEL_OPS_H
#define JS_MODEL_OPS_H

#include "model/graph.h"
#include "model/kernels.h"

typedef struct js_op_call {
  const js_kernels *k;
  const js_node *node;
  int64_t B;          /* samples in the batch */
  int64_t b;          /* vectors in the block (jvp, vjp) */
  const void *x[2];   /* input values (B, in_i); NULL where the products
                         do not keep them (see js_op.input_for_weight) */
  void *y;            /* forward: the output value (B, out), written */
  void *saved;        /* what the op keeps for its products, (B, saved_size)
                         (e.g. phi'(z), argmax); forward writes it when
                         non-NULL (NULL: a forward pass for outputs only); in
                         jvp and vjp it is the forward's at the same x,
                         non-NULL whenever saved_size > 0 */
  const void *w[2];   /* parameter values (param[0], param[1]), NULL: absent */
  void *dw[2];        /* their tangents (jvp, read) or gradients (vjp,
                         accumulated); NULL when the tensor is not trained */
  int64_t dw_stride;  /* p */
  const void *dx[2];  /* jvp: input tangents (b, B, in_i); NULL means zero */
  void *gx[2];        /* vjp: input cotangents (b, B, in_i), accumulated
                         (+=); NULL when nothing upstream needs them */
  void *dy;           /* jvp: the output tangent (b, B, out), written */
  const void *gy;     /* vjp: the output cotangent (b, B, out) */
  void *scratch;      /* scratch_size bytes, or NULL when that is 0 */
} js_op_call;

typedef struct js_op {
  const char *name;
  /* 1: products need input 0's value exactly when param[0] is trained
   * (dense, conv2d, affine: dW needs x). */
  int input_for_weight;
  /* Bytes per sample of the tensor the op keeps for its products (NULL:
   * nothing). */
  size_t (*saved_size)(const js_node *node, const js_kernels *k);
  /* Scratch bytes for one call on B samples and b vectors (b = 0: forward);
   * NULL: none. Non-decreasing in B and b, so the executor sizes the
   * scratch once for the largest call. */
  size_t (*scratch_size)(const js_node *node, const js_kernels *k, int64_t B, int64_t b);
  void (*forward)(const js_op_call *c);
  /* Writes c->dy. At least one of dx[], dw[] is non-NULL. */
  void (*jvp)(const js_op_call *c);
  /* Accumulates into the non-NULL gx[] and dw[]. */
  void (*vjp)(const js_op_call *c);
} js_op;

/* The op of each node kind (JS_OP_INPUT has none: NULL). */
const js_op *js_op_of(js_op_kind kind);

extern const js_op js_op_dense, js_op_conv2d, js_op_activation, js_op_avgpool,
    js_op_maxpool, js_op_global_avgpool, js_op_flatten, js_op_add, js_op_affine, js_op_pad;

#endif

/* The layer graph behind a js_net (doc/DESIGN.md section 1.1): nodes in
 * topological order (a node's inputs always come before it, because a node
 * can only be added on existing ones), and the parameter table, whose
 * tensors are named row-major views into one buffer of values.
 *
 * Node 0 is the input. Every node produces one tensor per sample, of
 * `shape` ((d) or (C, H, W)) and `size` elements; a batch of B samples of
 * it is (B, size), sample after sample. */
#ifndef JS_MODEL_GRAPH_H
#define JS_MODEL_GRAPH_H

#include "jacspec.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
  JS_OP_INPUT,
  JS_OP_DENSE,          /* z = x W^T (+ b); x is flattened */
  JS_OP_CONV2D,         /* z = W * x (+ b), NCHW, cross-correlation as in ONNX */
  JS_OP_ACTIVATION,     /* h = phi(z) elementwise */
  JS_OP_AVGPOOL,        /* average over windows */
  JS_OP_MAXPOOL,        /* maximum over windows */
  JS_OP_GLOBAL_AVGPOOL, /* (C, H, W) -> (C, 1, 1) */
  JS_OP_FLATTEN,        /* (C, H, W) -> (C H W): a copy under a new shape */
  JS_OP_ADD,            /* z = a + b (residual connections) */
  JS_OP_AFFINE,         /* z[c] = scale[c] x[c] + shift[c] per channel (BN in inference) */
  JS_OP_PAD,            /* zero padding of H and W */
  JS_OP_COUNT
} js_op_kind;

/* The window of a convolution or a pooling: kernel (kh, kw), stride
 * (sh, sw), padding (top, left, bottom, right), dilation (dh, dw). */
typedef struct js_window {
  int64_t kernel[2], stride[2], pad[4], dilation[2];
  int count_include_pad; /* average pooling: padded cells count in the mean */
} js_window;

typedef struct js_node {
  js_op_kind kind;
  int n_inputs;
  int input[2];      /* node ids, < this node's id */
  js_shape in_shape; /* shape of input 0 */
  int64_t in_size;   /* its elements per sample */
  js_shape shape;    /* output shape per sample */
  int64_t size;      /* output elements per sample */
  int param[2];      /* parameter tensors (weight or scale, bias or shift), -1: none */
  js_activation act; /* JS_OP_ACTIVATION */
  js_window window;  /* conv2d, pools, pad (pad only) */
} js_node;

typedef struct js_param {
  char *name;
  int ndim;
  int64_t shape[4];
  int64_t size;         /* product of shape */
  int64_t offset;       /* start in net->values */
  int64_t theta_offset; /* start in theta when trained, else -1 */
  int trained;
  js_init init;
  int64_t fan_in;       /* for JS_INIT_HE and the default scales */
} js_param;

struct js_net {
  js_node *nodes;
  int n_nodes, nodes_cap;
  int output; /* node whose value is f */
  js_param *params;
  int n_params_tensors, params_cap;
  double *values;     /* every parameter tensor, in declaration order */
  int64_t n_values;   /* entries of values */
  int64_t n_theta;    /* p: entries of the trained tensors */
};

/* The node that produces a tensor consumed by `node` (its input i). */
static inline const js_node *js_graph_input(const js_net *net, const js_node *node, int i) {
  return &net->nodes[node->input[i]];
}

/* A dense layer whose tensors are called weight_name and bias_name (NULL:
 * no bias): js_net_add_dense with names of the builder's choosing (the
 * MLP's W1, b1, ...). Returns the node id or a negative status. */
int js_graph_add_dense(js_net *net, int input, int64_t n_out, const char *weight_name,
                       const char *bias_name);

/* js_net_add_conv2d and js_net_add_affine with tensor names of the caller's
 * choosing (an imported model's initializer names); bias_name NULL: no bias
 * (opt->bias is not read). */
int js_graph_add_conv2d(js_net *net, int input, const js_conv2d_options *opt,
                        const char *weight_name, const char *bias_name);
int js_graph_add_affine(js_net *net, int input, const char *scale_name,
                        const char *shift_name);

/* theta_offset of every tensor from the trained flags, and n_theta. */
void js_graph_layout_theta(js_net *net);
/* Writes theta (length p) into the trained tensors' places of `values`
 * (a buffer laid out as net->values). */
void js_graph_scatter_theta(const js_net *net, const double *theta, double *values);

#endif

/* The ONNX reader's state and the helpers its op handlers share
 * (read.c: the file, the graph walk and the value table; import_ops.c and
 * import_arith.c: one handler per op type).
 *
 * Each ONNX value (a name) is either a graph value, computed per sample by
 * a js_net node, with its per-sample ONNX dims (the batch axis N dropped),
 * or a constant (an initializer, a Constant node's output) with its full
 * dims and values. */
#ifndef JS_MODEL_ONNX_IMPORT_H
#define JS_MODEL_ONNX_IMPORT_H

#include "core/error.h"
#include "model/graph.h"
#include "model/onnx/onnx.h"
#include "model/onnx/onnx.pb-c.h"

#include <stddef.h>

typedef struct js_onnx_value {
  const char *name;       /* borrowed from the model (or the feeds) */
  int node;               /* the js_net node computing it; -1: a constant */
  int ndim;               /* graph value: per-sample rank; constant: rank */
  int64_t dim[JS_ONNX_MAX_RANK];
  js_onnx_array constant; /* node == -1: the values */
  int param;              /* a floating-point initializer of rank >= 1 */
  int claimed;            /* param already taken by a trained tensor */
} js_onnx_value;

typedef struct js_onnx_reader {
  const char *path;
  js_onnx_options opt;
  const Onnx__GraphProto *graph;
  int64_t opset;          /* of the default domain */
  int64_t batch;          /* the input's batch size when a number, else -1 */
  js_net *net;
  js_onnx_value *values;
  int n_values, values_cap;
  unsigned char *done;    /* per graph node: imported, or folded into another */
  unsigned char *trained; /* per js tensor: from an initializer */
  int trained_cap;
} js_onnx_reader;

/* An op handler: adds the nodes of one ONNX node and defines its outputs. */
typedef int (*js_onnx_handler)(js_onnx_reader *r, const Onnx__NodeProto *node);
/* The handler of an op type (NULL: unsupported); the supported list
 * ("Add, AveragePool, ...") into buf. */
js_onnx_handler js_onnx_find_handler(const char *op_type);
void js_onnx_supported_ops(char *buf, size_t size);

/* ---- tensor.c */

/* The whole file (at most 2 GiB, protobuf's limit), malloc'd. */
int js_onnx_read_file(const char *path, uint8_t **bytes, size_t *size);
/* A TensorProto's values; `what` names it in messages ("initializer 'w'"),
 * limit bounds its entries. */
int js_onnx_tensor_values(const Onnx__TensorProto *t, int64_t limit, const char *path,
                          const char *what, js_onnx_array *out);

/* ---- read.c */

/* JS_EFORMAT: "PATH: node 'NAME' (OP): message". */
int js_onnx_node_fail(const js_onnx_reader *r, const Onnx__NodeProto *node, const char *fmt,
                      ...) JS_PRINTF(3, 4);
/* A js_net_add_* result: the node id, or its error as a node error. */
int js_onnx_added(const js_onnx_reader *r, const Onnx__NodeProto *node, int id);
js_onnx_value *js_onnx_find(const js_onnx_reader *r, const char *name);
/* Input i (required: an error when absent or not yet known). */
int js_onnx_input(const js_onnx_reader *r, const Onnx__NodeProto *node, size_t i,
                  js_onnx_value **out);
/* Input i when given (NULL for an absent or empty name). */
js_onnx_value *js_onnx_optional_input(const js_onnx_reader *r, const Onnx__NodeProto *node,
                                      size_t i);
/* Input i as a constant (an error naming `role` when it is a graph value). */
int js_onnx_constant_input(const js_onnx_reader *r, const Onnx__NodeProto *node, size_t i,
                           const char *role, js_onnx_value **out);
/* Output `name` is js node id, with per-sample dims taken from the node's
 * shape (dims NULL) or given. */
int js_onnx_define(js_onnx_reader *r, const char *name, int id, int ndim, const int64_t *dims);
/* Output `name` is a constant (takes the array). */
int js_onnx_define_constant(js_onnx_reader *r, const char *name, js_onnx_array *a);
/* Exactly n_max outputs at most, and the first one named. */
int js_onnx_outputs(const js_onnx_reader *r, const Onnx__NodeProto *node, size_t n_max);

/* The node that alone consumes `name`, when that is not a graph output
 * (NULL otherwise, or when it is done already). */
const Onnx__NodeProto *js_onnx_sole_consumer(const js_onnx_reader *r, const char *name);
void js_onnx_mark_done(js_onnx_reader *r, const Onnx__NodeProto *node);

/* A tensor of a node the handler adds: its name and whether it is trained.
 * From an unclaimed parameter `src`: the initializer's name, trained (a
 * parameter used twice is refused: shared weights are not supported).
 * Otherwise (src NULL: values jacspec derives or broadcasts): the node's
 * name + "." + suffix, not trained. */
typedef struct js_onnx_tensor {
  char name[320];
  int trained;
} js_onnx_tensor;
int js_onnx_name_tensor(js_onnx_reader *r, const Onnx__NodeProto *node, js_onnx_value *src,
                        const char *suffix, js_onnx_tensor *out);
/* Writes values into slot `slot` (0 or 1) of node id's tensors. */
int js_onnx_set_tensor(js_onnx_reader *r, int id, int slot, const js_onnx_tensor *t,
                       const double *values);

/* Attributes: any not in `known` (NULL-terminated) is refused. */
int js_onnx_check_attributes(const js_onnx_reader *r, const Onnx__NodeProto *node,
                             const char *const *known);
const Onnx__AttributeProto *js_onnx_attribute(const Onnx__NodeProto *node, const char *name);
int js_onnx_attr_int(const js_onnx_reader *r, const Onnx__NodeProto *node, const char *name,
                     int64_t fallback, int64_t *out);
int js_onnx_attr_float(const js_onnx_reader *r, const Onnx__NodeProto *node, const char *name,
                       double fallback, double *out);
/* An ints attribute of exactly n entries; *given = 0 when absent. */
int js_onnx_attr_ints(const js_onnx_reader *r, const Onnx__NodeProto *node, const char *name,
                      size_t n, int64_t *out, int *given);
/* A string attribute (fallback when absent) into buf. */
int js_onnx_attr_string(const js_onnx_reader *r, const Onnx__NodeProto *node,
                        const char *name, const char *fallback, char *buf, size_t size);

/* ---- import_arith.c */

/* The C per-channel values of constant c broadcast against graph value v
 * (C = channels of a (C, H, W) sample, entries of a flat one). *exact = 1
 * when c holds exactly those C values, so it can become a trained tensor
 * as it is. A broadcast along any other axis is a node error. */
int js_onnx_channel_values(const js_onnx_reader *r, const Onnx__NodeProto *node,
                           const js_onnx_value *v, const js_onnx_value *c, double *out,
                           int *exact);
int64_t js_onnx_channels(const js_onnx_value *v);
/* An affine node on v: z = scale x + shift, tensors named and filled. */
int js_onnx_add_affine(js_onnx_reader *r, const Onnx__NodeProto *node, const js_onnx_value *v,
                       const js_onnx_tensor *scale_name, const double *scale,
                       const js_onnx_tensor *shift_name, const double *shift);
/* When `name` (a value to be, of like's dims) is consumed only by an Add of
 * a constant that broadcasts per channel: that Add (its output is the
 * caller's to define, and it is the caller's to mark done), its C values,
 * and *src the constant when it holds exactly them (else NULL). NULL when
 * there is no such Add. */
const Onnx__NodeProto *js_onnx_following_bias(const js_onnx_reader *r, const char *name,
                                              const js_onnx_value *like, double *values,
                                              js_onnx_value **src);

int js_onnx_import_add(js_onnx_reader *r, const Onnx__NodeProto *node);
int js_onnx_import_sub(js_onnx_reader *r, const Onnx__NodeProto *node);
int js_onnx_import_mul(js_onnx_reader *r, const Onnx__NodeProto *node);
int js_onnx_import_div(js_onnx_reader *r, const Onnx__NodeProto *node);

#endif

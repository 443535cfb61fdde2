/* Internal ONNX entry points that need no protobuf-c types: what the tests
 * use beyond the public js_net_load_onnx. */
#ifndef JS_MODEL_ONNX_ONNX_H
#define JS_MODEL_ONNX_ONNX_H

#include "jacspec.h"

#include <stdint.h>

#define JS_ONNX_MAX_RANK 8

/* A tensor's values as doubles (floating-point and integer element types
 * alike), with its dims. */
typedef struct js_onnx_array {
  int ndim;
  int64_t dim[JS_ONNX_MAX_RANK];
  int64_t size;  /* product of dim (1 for rank 0) */
  double *data;  /* size entries, owned (free with js_onnx_array_free) */
  int is_float;  /* FLOAT or DOUBLE elements (else an integer type) */
} js_onnx_array;
void js_onnx_array_free(js_onnx_array *a);

/* A serialised TensorProto file (the ONNX test data's input_0.pb ...). */
int js_onnx_read_tensor_file(const char *path, js_onnx_array *out);

/* What js_net_load_onnx does not offer, for the ONNX node tests, whose
 * weights are graph inputs: */
typedef struct js_onnx_extras {
  /* graph inputs 2 .. n_feeds + 1 are constants of these values, as if
   * they were initializers (a float one of rank >= 1 becomes a trained
   * tensor); input 1 is the data */
  int n_feeds;
  const js_onnx_array *feeds;
  /* a data input of another rank than 2 or 4 is read as (N, rest): its
   * sample is flat, of the product of the rest (elementwise ops only mean
   * the same on it; broadcasts are still checked against the true dims) */
  int any_rank_input;
} js_onnx_extras;
int js_onnx_import(const char *path, const js_onnx_options *opt, const js_onnx_extras *extras,
                   js_net **out);

#endif

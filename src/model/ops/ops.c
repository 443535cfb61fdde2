#include "model/ops/ops.h"

#include <stddef.h>

static const js_op *const table[JS_OP_COUNT] = {
    [JS_OP_INPUT] = NULL,
    [JS_OP_DENSE] = &js_op_dense,
    [JS_OP_CONV2D] = &js_op_conv2d,
    [JS_OP_ACTIVATION] = &js_op_activation,
    [JS_OP_AVGPOOL] = &js_op_avgpool,
    [JS_OP_MAXPOOL] = &js_op_maxpool,
    [JS_OP_GLOBAL_AVGPOOL] = &js_op_global_avgpool,
    [JS_OP_FLATTEN] = &js_op_flatten,
    [JS_OP_ADD] = &js_op_add,
    [JS_OP_AFFINE] = &js_op_affine,
    [JS_OP_PAD] = &js_op_pad};

const js_op *js_op_of(js_op_kind kind) { return table[kind]; }

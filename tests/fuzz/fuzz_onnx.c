/* libFuzzer target: js_net_load_onnx on arbitrary bytes. */
/* run.sh's coverage report reads the next line, which must stay one line. */
/* Covers: src/model/onnx/read.c src/model/onnx/import_ops.c src/model/onnx/import_arith.c src/model/onnx/tensor.c */
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Models small enough to run: a forward pass on one zero sample must then
 * give finite outputs of the declared count (larger ones are only read). */
#define RUN_LIMIT 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  js_net *net = NULL;
  int status = js_net_load_onnx(fuzz_file(0, data, size), NULL, &net);
  fuzz_check_status(status, net);
  if (!net)
    return 0;
  js_shape in = js_net_input_shape(net);
  int64_t d = 1, values = 0;
  for (int a = 0; a < in.ndim; a++)
    d *= in.dim[a];
  for (int t = 0; t < js_net_n_tensors(net); t++) {
    js_tensor_info info;
    if (js_net_tensor_info(net, t, &info))
      __builtin_trap();
    values += info.size;
  }
  int64_t k = js_net_n_outputs(net);
  if (d <= RUN_LIMIT && values <= RUN_LIMIT && k <= RUN_LIMIT) {
    double *x = calloc((size_t)d, sizeof *x), *f = calloc((size_t)k, sizeof *f);
    if (x && f && js_net_forward(net, x, 1, f) == JS_OK) {
      volatile double sum = 0; /* every output written: ASan checks the bounds */
      for (int64_t i = 0; i < k; i++)
        sum += f[i];
      (void)sum;
    }
    free(x);
    free(f);
  }
  js_net_free(net);
  return 0;
}

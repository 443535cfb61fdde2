/* The ONNX entry points of a build without protobuf-c (meson -Donnx=disabled,
 * or the library absent): they exist, so the exported API does not depend on
 * the build, and say why they cannot work. */
#include "jacspec.h"

#include "core/error.h"

void js_onnx_options_init_defaults(js_onnx_options *opt) {
  *opt = (js_onnx_options){.max_tensor_size = INT64_C(1) << 31};
}

int js_net_load_onnx(const char *path, const js_onnx_options *opt, js_net **out) {
  (void)opt;
  if (out)
    *out = NULL;
  return js_fail(JS_EINVAL, "%s: this jacspec was built without ONNX support "
                 "(meson -Donnx=enabled needs libprotobuf-c and protoc-c)", path ? path : "");
}

int js_net_save_onnx(const js_net *net, const char *path) {
  (void)net;
  return js_fail(JS_EINVAL, "%s: this jacspec was built without ONNX support "
                 "(meson -Donnx=enabled needs libprotobuf-c and protoc-c)", path ? path : "");
}

/* TensorProto values as doubles, with every check a hostile file needs:
 * dims in range, element counts that match the dims (raw_data and the typed
 * fields alike), no external data. Also the whole-file reader the model and
 * tensor files share. */
#include "model/onnx/import.h"

#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ONNX files are protobuf messages, which protobuf limits to 2 GiB. */
#define MAX_FILE_BYTES (INT64_C(1) << 31)

void js_onnx_array_free(js_onnx_array *a) {
  if (!a)
    return;
  free(a->data);
  a->data = NULL;
}

int js_onnx_read_file(const char *path, uint8_t **bytes, size_t *size) {
  *bytes = NULL;
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return js_fail(JS_EIO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, used = 0;
  uint8_t *buf = malloc(cap);
  int rc = buf ? JS_OK : js_fail(JS_ENOMEM, "%s: out of memory", path);
  while (!rc) {
    if (used == cap) {
      uint8_t *bigger = (int64_t)cap * 2 <= MAX_FILE_BYTES ? realloc(buf, cap * 2) : NULL;
      if (!bigger) {
        rc = (int64_t)cap * 2 > MAX_FILE_BYTES
                 ? js_fail(JS_EFORMAT, "%s: larger than 2 GiB, the protobuf limit", path)
                 : js_fail(JS_ENOMEM, "%s: out of memory", path);
        break;
      }
      buf = bigger;
      cap *= 2;
    }
    size_t got = fread(buf + used, 1, cap - used, f);
    used += got;
    if (got == 0) {
      if (ferror(f))
        rc = js_fail(JS_EIO, "%s: read error", path);
      break;
    }
  }
  fclose(f);
  if (rc) {
    free(buf);
    return rc;
  }
  *bytes = buf;
  *size = used;
  return JS_OK;
}

/* Little-endian element i of raw_data, whatever the host's byte order. */
static uint64_t raw_bits(const uint8_t *raw, int64_t i, int bytes) {
  uint64_t v = 0;
  for (int b = bytes - 1; b >= 0; b--)
    v = v << 8 | raw[i * bytes + b];
  return v;
}

static double raw_value(const uint8_t *raw, int64_t i, int32_t type) {
  uint64_t bits;
  switch (type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
    uint32_t b32 = (uint32_t)raw_bits(raw, i, 4);
    float f;
    memcpy(&f, &b32, 4);
    return f;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
    bits = raw_bits(raw, i, 8);
    double d;
    memcpy(&d, &bits, 8);
    return d;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    return (double)(int64_t)raw_bits(raw, i, 8);
  default: /* INT32 */
    return (double)(int32_t)(uint32_t)raw_bits(raw, i, 4);
  }
}

int js_onnx_tensor_values(const Onnx__TensorProto *t, int64_t limit, const char *path,
                          const char *what, js_onnx_array *out) {
  memset(out, 0, sizeof *out);
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return js_fail(JS_EFORMAT, "%s: %s keeps its data in an external file, which is not "
                   "supported", path, what);
  if (t->n_dims > JS_ONNX_MAX_RANK)
    return js_fail(JS_EFORMAT, "%s: %s has %zu dimensions (at most %d)", path, what,
                   t->n_dims, JS_ONNX_MAX_RANK);
  int64_t size = 1;
  for (size_t a = 0; a < t->n_dims; a++) {
    if (t->dims[a] < 0 || (t->dims[a] > 0 && size > limit / t->dims[a]))
      return js_fail(JS_EFORMAT, "%s: %s has dimension %zu of %lld: each must be >= 0 and "
                     "the tensor at most %lld entries", path, what, a, (long long)t->dims[a],
                     (long long)limit);
    size *= t->dims[a];
    out->dim[a] = t->dims[a];
  }
  out->ndim = (int)t->n_dims;
  out->size = size;
  int32_t type = t->data_type;
  int bytes;
  size_t n_typed;
  switch (type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: bytes = 4; n_typed = t->n_float_data; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: bytes = 8; n_typed = t->n_double_data; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: bytes = 8; n_typed = t->n_int64_data; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: bytes = 4; n_typed = t->n_int32_data; break;
  default:
    return js_fail(JS_EFORMAT, "%s: %s has element type %d; supported: float, double, "
                   "int64, int32", path, what, (int)type);
  }
  out->is_float = type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
                  type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  int64_t have = t->has_raw_data ? (int64_t)(t->raw_data.len / (size_t)bytes) : (int64_t)n_typed;
  if (have != size || (t->has_raw_data && t->raw_data.len % (size_t)bytes))
    return js_fail(JS_EFORMAT, "%s: %s holds %lld values%s where its dims need %lld", path,
                   what, (long long)have, t->has_raw_data ? " (raw_data)" : "",
                   (long long)size);
  out->data = js_alloc((size_t)(size ? size : 1), sizeof(double), what);
  if (!out->data)
    return JS_ENOMEM;
  for (int64_t i = 0; i < size; i++) {
    if (t->has_raw_data)
      out->data[i] = raw_value(t->raw_data.data, i, type);
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      out->data[i] = t->float_data[i];
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
      out->data[i] = t->double_data[i];
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
      out->data[i] = (double)t->int64_data[i];
    else
      out->data[i] = t->int32_data[i];
  }
  return JS_OK;
}

int js_onnx_read_tensor_file(const char *path, js_onnx_array *out) {
  memset(out, 0, sizeof *out);
  uint8_t *bytes;
  size_t size;
  int rc = js_onnx_read_file(path, &bytes, &size);
  if (rc)
    return rc;
  Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, size, bytes);
  free(bytes);
  if (!t)
    return js_fail(JS_EFORMAT, "%s: not a TensorProto: the protobuf data is truncated or "
                   "corrupt", path);
  rc = js_onnx_tensor_values(t, INT64_C(1) << 31, path, "the tensor", out);
  onnx__tensor_proto__free_unpacked(t, NULL);
  return rc;
}

/* Parameter tensors as .npy files, one per tensor: DIR/NAME.npy, float64
 * in the tensor's shape. Characters of a name outside [A-Za-z0-9._-]
 * become '_' in its file name (imported models name tensors freely). */
#include "model/graph.h"

#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int tensor_path(char *path, size_t size, const char *dir, const char *name) {
  int n = snprintf(path, size, "%s/", dir);
  if (n < 0 || (size_t)n + strlen(name) + 5 > size)
    return js_fail(JS_EINVAL, "%s: the path of tensor '%s' is too long", dir, name);
  char *at = path + n;
  for (const char *c = name; *c; c++)
    *at++ = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                    *c == '.' || *c == '_' || *c == '-'
                ? *c
                : '_';
  strcpy(at, ".npy");
  return JS_OK;
}

int js_net_save_tensors(const js_net *net, const char *dir) {
  if (!net || !dir)
    return js_fail(JS_EINVAL, "js_net_save_tensors: %s is NULL", net ? "dir" : "network");
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return js_fail(JS_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
  for (int t = 0; t < net->n_params_tensors; t++) {
    const js_param *p = &net->params[t];
    char path[4096];
    int rc = tensor_path(path, sizeof path, dir, p->name);
    if (rc || (rc = js_npy_write(path, net->values + p->offset, p->ndim, p->shape)))
      return rc;
  }
  return JS_OK;
}

/* Reads tensor p's file into `into`, checking shape and finiteness. */
static int read_tensor(const js_param *p, const char *dir, double *into) {
  char path[4096];
  int rc = tensor_path(path, sizeof path, dir, p->name);
  js_array *a = NULL;
  if (rc || (rc = js_npy_read(path, &a)))
    return rc;
  int same = a->ndim == p->ndim && !a->is_integer;
  for (int i = 0; same && i < p->ndim; i++)
    same = a->shape[i] == p->shape[i];
  if (!same) {
    char want[128] = "", have[128] = "";
    for (int i = 0; i < p->ndim; i++)
      snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", i ? " x " : "",
               (long long)p->shape[i]);
    for (int i = 0; i < a->ndim; i++)
      snprintf(have + strlen(have), sizeof have - strlen(have), "%s%lld", i ? " x " : "",
               (long long)a->shape[i]);
    rc = js_fail(JS_EFORMAT, "%s: tensor %s must be a float array of %s for this network, "
                 "found %s%s", path, p->name, want, a->is_integer ? "integers of " : "",
                 a->ndim ? have : "a scalar");
  }
  for (int64_t i = 0; !rc && i < a->size; i++)
    if (!isfinite(a->values[i]))
      rc = js_fail(JS_EFORMAT, "%s: entry %lld is not finite", path, (long long)i);
  if (!rc)
    memcpy(into, a->values, sizeof(double) * (size_t)p->size);
  js_array_free(a);
  return rc;
}

int js_net_load_tensors(js_net *net, const char *dir) {
  if (!net || !dir)
    return js_fail(JS_EINVAL, "js_net_load_tensors: %s is NULL", net ? "dir" : "network");
  double *values = js_alloc((size_t)net->n_values, sizeof(double), "loaded tensors");
  if (!values)
    return JS_ENOMEM;
  int rc = JS_OK;
  for (int t = 0; !rc && t < net->n_params_tensors; t++)
    rc = read_tensor(&net->params[t], dir, values + net->params[t].offset);
  if (!rc) /* all or nothing */
    memcpy(net->values, values, sizeof(double) * (size_t)net->n_values);
  free(values);
  return rc;
}

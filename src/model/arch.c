/* Networks named by a short text, as the command line gives them:
 *   resnetD[:width=W][,init=he|torch]  He et al.'s CIFAR ResNet of depth
 *                       D = 6n + 2; init=torch starts from PyTorch's default
 *                       initialisation instead of He's
 *   cnn:ITEM,ITEM,...   a plain CNN, items in order:
 *     conv=FxK[sS][pP]  F filters of K x K, stride S (1), padding P (K/2),
 *                       then the activation
 *     pool=avgN|maxN    N x N pooling of stride N
 *     gap               global average pooling
 *     dense=N           a hidden dense layer of N, then the activation
 *     act=NAME          the activation of the items after it (relu)
 *   and a dense output layer of K is appended. Every convolution and dense
 *   layer has a bias; all tensors are trained. */
#include "model/graph.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses an integer at *s in 1..max, advancing *s. */
static int parse_count(const char **s, int64_t max, int64_t *out) {
  char *end;
  long long v = strtoll(*s, &end, 10);
  if (end == *s || v < 1 || v > max)
    return 0;
  *out = v;
  *s = end;
  return 1;
}

static int resnet(const char *spec, const js_shape *input, int64_t n_outputs, uint64_t seed,
                  js_net **out) {
  js_resnet_options opt;
  js_resnet_options_init_defaults(&opt);
  opt.input = *input;
  opt.n_outputs = n_outputs;
  opt.seed = seed;
  const char *s = spec + strlen("resnet");
  int64_t depth;
  if (!parse_count(&s, 6002, &depth))
    return js_fail(JS_EINVAL, "--arch %s: expected resnetD with a depth D = 6n + 2, e.g. "
                   "resnet20", spec);
  opt.depth = (int)depth;
  if (*s && *s != ':')
    return js_fail(JS_EINVAL, "--arch %s: expected resnetD or resnetD:KEY=VALUE,...", spec);
  while (*s) { /* ':' first, then ',' between keys */
    s++;
    if (strncmp(s, "width=", 6) == 0) {
      s += 6;
      if (!parse_count(&s, 4096, &opt.width))
        return js_fail(JS_EINVAL, "--arch %s: width=W needs W in 1..4096", spec);
    } else if (strncmp(s, "init=he", 7) == 0 || strncmp(s, "init=torch", 10) == 0) {
      opt.torch_init = s[5] == 't';
      s += opt.torch_init ? 10 : 7;
    } else {
      return js_fail(JS_EINVAL, "--arch %s: the keys of resnet are width=W and "
                     "init=he|torch", spec);
    }
    if (*s && *s != ',')
      return js_fail(JS_EINVAL, "--arch %s: keys are separated by ','", spec);
  }
  if (input->ndim != 3)
    return js_fail(JS_EINVAL, "--arch %s needs image data (C, H, W); these samples are "
                   "flat (%lld values)", spec, (long long)input->dim[0]);
  return js_net_create_resnet(&opt, out);
}

/* One cnn item at `item` (length len) on node *node. */
static int cnn_item(js_net *net, const char *item, size_t len, js_activation *act,
                    int *node, int *count) {
  char text[128];
  snprintf(text, sizeof text, "%.*s", (int)(len < 127 ? len : 127), item);
  const char *s = text;
  char name[32];
  int id = -1;
  if (strncmp(s, "conv=", 5) == 0) {
    js_conv2d_options c;
    js_conv2d_options_init_defaults(&c);
    s += 5;
    int64_t k;
    if (!parse_count(&s, 1 << 20, &c.filters) || *s++ != 'x' || !parse_count(&s, 4096, &k))
      return js_fail(JS_EINVAL, "cnn item '%s': expected conv=FxK[sS][pP]", text);
    c.kernel[0] = c.kernel[1] = k;
    for (int a = 0; a < 4; a++)
      c.pad[a] = k / 2;
    while (*s == 's' || *s == 'p') {
      char key = *s++;
      int64_t v;
      if (key == 'p' && *s == '0') { /* padding may be 0 */
        v = 0;
        s++;
      } else if (!parse_count(&s, 4096, &v)) {
        return js_fail(JS_EINVAL, "cnn item '%s': expected a number after '%c'", text, key);
      }
      if (key == 's')
        c.stride[0] = c.stride[1] = v;
      else
        for (int a = 0; a < 4; a++)
          c.pad[a] = v;
    }
    if (*s)
      return js_fail(JS_EINVAL, "cnn item '%s': expected conv=FxK[sS][pP]", text);
    snprintf(name, sizeof name, "conv%d", ++*count);
    id = js_net_add_conv2d(net, *node, &c, name);
    if (id >= 0)
      id = js_net_add_activation(net, id, *act);
  } else if (strncmp(s, "pool=avg", 8) == 0 || strncmp(s, "pool=max", 8) == 0) {
    js_pool_options p;
    js_pool_options_init_defaults(&p);
    p.kind = s[5] == 'm' ? JS_POOL_MAX : JS_POOL_AVG;
    s += 8;
    int64_t k;
    if (!parse_count(&s, 4096, &k) || *s)
      return js_fail(JS_EINVAL, "cnn item '%s': expected pool=avgN or pool=maxN", text);
    p.kernel[0] = p.kernel[1] = p.stride[0] = p.stride[1] = k;
    id = js_net_add_pool(net, *node, &p);
  } else if (strcmp(s, "gap") == 0) {
    id = js_net_add_global_avgpool(net, *node);
  } else if (strncmp(s, "dense=", 6) == 0) {
    int64_t width;
    s += 6;
    if (!parse_count(&s, 1 << 24, &width) || *s)
      return js_fail(JS_EINVAL, "cnn item '%s': expected dense=N", text);
    snprintf(name, sizeof name, "dense%d", ++*count);
    id = js_net_add_dense(net, *node, width, 1, name);
    if (id >= 0)
      id = js_net_add_activation(net, id, *act);
  } else if (strncmp(s, "act=", 4) == 0) {
    return js_activation_parse(s + 4, act);
  } else {
    return js_fail(JS_EINVAL, "cnn item '%s': expected conv=FxK[sS][pP], pool=avgN, "
                   "pool=maxN, gap, dense=N or act=NAME", text);
  }
  if (id < 0)
    return id;
  *node = id;
  return JS_OK;
}

static int cnn(const char *spec, const js_shape *input, int64_t n_outputs, uint64_t seed,
               js_net **out) {
  js_net *net;
  int rc = js_net_create(input, &net);
  if (rc)
    return rc;
  js_activation act = {JS_ACT_RELU, 0.0};
  int node = 0, count = 0;
  for (const char *s = spec + 4; !rc && *s;) {
    size_t len = strcspn(s, ",");
    rc = cnn_item(net, s, len, &act, &node, &count);
    s += len + (s[len] == ',');
  }
  if (!rc) {
    node = js_net_add_dense(net, node, n_outputs, 1, "fc");
    rc = node < 0 ? node : js_net_initialize(net, seed);
  }
  if (rc) {
    js_net_free(net);
    return rc;
  }
  *out = net;
  return JS_OK;
}

int js_net_create_arch(const char *spec, const js_shape *input, int64_t n_outputs,
                       uint64_t seed, js_net **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_net_create_arch: output pointer is NULL");
  *out = NULL;
  if (!spec || !input)
    return js_fail(JS_EINVAL, "js_net_create_arch: %s is NULL", spec ? "the input" : "spec");
  if (strncmp(spec, "resnet", 6) == 0)
    return resnet(spec, input, n_outputs, seed, out);
  if (strncmp(spec, "cnn:", 4) == 0)
    return cnn(spec, input, n_outputs, seed, out);
  return js_fail(JS_EINVAL, "--arch %s: unknown architecture (expected resnetD[:width=W], "
                 "e.g. resnet20, or cnn:ITEMS, e.g. cnn:conv=16x3,pool=avg2,dense=128)", spec);
}

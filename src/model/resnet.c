/* He et al.'s CIFAR ResNet (depth 6n + 2) without batch normalisation, as
 * the paper's section 4 modifies it: every convolution has a bias, the
 * output is the dense layer's (no softmax). A basic block is
 *   relu(conv2(relu(conv1(x))) + shortcut(x)),
 * the shortcut the identity, or a strided 1 x 1 convolution where the
 * block changes the channels or the size (start of stages 2 and 3). */
#include "model/graph.h"

#include "core/error.h"

#include <stdio.h>

void js_resnet_options_init_defaults(js_resnet_options *opt) {
  *opt = (js_resnet_options){.depth = 20, .width = 16, .input = {3, {1, 28, 28}},
                             .n_outputs = 10, .seed = 1};
}

/* A convolution of `filters` channels, kernel k (padding k / 2), stride s. */
static int conv(js_net *net, int input, int64_t filters, int64_t k, int64_t s,
                const char *name) {
  js_conv2d_options c;
  js_conv2d_options_init_defaults(&c);
  c.filters = filters;
  c.kernel[0] = c.kernel[1] = k;
  c.stride[0] = c.stride[1] = s;
  for (int a = 0; a < 4; a++)
    c.pad[a] = k / 2;
  return js_net_add_conv2d(net, input, &c, name);
}

static const js_activation relu = {JS_ACT_RELU, 0.0};

static int basic_block(js_net *net, int input, int64_t filters, int64_t stride,
                       const char *prefix) {
  char name[96];
  snprintf(name, sizeof name, "%s.conv1", prefix);
  int node = conv(net, input, filters, 3, stride, name);
  if (node >= 0)
    node = js_net_add_activation(net, node, relu);
  snprintf(name, sizeof name, "%s.conv2", prefix);
  if (node >= 0)
    node = conv(net, node, filters, 3, 1, name);
  int shortcut = input;
  if (node >= 0 && (stride != 1 || net->nodes[input].shape.dim[0] != filters)) {
    snprintf(name, sizeof name, "%s.shortcut", prefix);
    shortcut = conv(net, input, filters, 1, stride, name);
  }
  if (node >= 0 && shortcut >= 0)
    node = js_net_add_sum(net, node, shortcut);
  return node >= 0 && shortcut >= 0 ? js_net_add_activation(net, node, relu)
                                    : (node < 0 ? node : shortcut);
}

int js_net_create_resnet(const js_resnet_options *opt, js_net **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_net_create_resnet: output pointer is NULL");
  *out = NULL;
  if (!opt || opt->depth < 8 || (opt->depth - 2) % 6 != 0 || opt->depth > 6 * 1000 + 2)
    return js_fail(JS_EINVAL, "resnet: depth %d is not 6n + 2 (8, 14, 20, 32, 44, 56, 110)",
                   opt ? opt->depth : 0);
  if (opt->width < 1 || opt->width > 4096 || opt->n_outputs < 1 || opt->input.ndim != 3)
    return js_fail(JS_EINVAL, "resnet: width %lld (need 1..4096), %lld outputs (need >= 1) "
                   "and an image input (C, H, W)", (long long)opt->width,
                   (long long)opt->n_outputs);
  js_net *net;
  int rc = js_net_create(&opt->input, &net);
  if (rc)
    return rc;
  int per_stage = (opt->depth - 2) / 6;
  int node = conv(net, 0, opt->width, 3, 1, "stem");
  if (node >= 0)
    node = js_net_add_activation(net, node, relu);
  for (int stage = 1; stage <= 3 && node >= 0; stage++)
    for (int block = 1; block <= per_stage && node >= 0; block++) {
      char prefix[64];
      snprintf(prefix, sizeof prefix, "stage%d.block%d", stage, block);
      int64_t stride = stage > 1 && block == 1 ? 2 : 1;
      node = basic_block(net, node, opt->width << (stage - 1), stride, prefix);
    }
  if (node >= 0)
    node = js_net_add_global_avgpool(net, node);
  if (node >= 0)
    node = js_net_add_dense(net, node, opt->n_outputs, 1, "fc");
  if (node < 0) {
    js_net_free(net);
    return node;
  }
  for (int t = 0; opt->torch_init && t < js_net_n_tensors(net); t++)
    js_net_set_init(net, t, (js_init){JS_INIT_UNIFORM_FAN, 1.0});
  js_net_initialize(net, opt->seed);
  *out = net;
  return JS_OK;
}

/* The paper's fully connected network as a builder of the graph: dense
 * layers W_1..W_L (named "W1".."WL", biases "b1".."bL") with the activation
 * between them, and its initialisation (Theorem 3.2). Only W_1 is trained
 * by default, as in the paper's f(x) = V phi(W x) with V fixed. */
#include "model/graph.h"

#include "core/error.h"
#include "model/activation.h"

#include <math.h>
#include <stdio.h>

void js_mlp_options_init_defaults(js_mlp_options *opt) {
  *opt = (js_mlp_options){.n_layers = 2, .act = {JS_ACT_SOFTPLUS, 0.0}, .nu = 1.0, .seed = 1};
}

static int check_options(const js_mlp_options *opt) {
  if (!opt)
    return js_fail(JS_EINVAL, "js_net_create_mlp: options are NULL");
  if (opt->n_layers < 1 || opt->n_layers > 4096 || !opt->widths)
    return js_fail(JS_EINVAL, "js_net_create_mlp: n_layers = %d (need 1..4096) and widths "
                   "must be set", opt->n_layers);
  for (int l = 0; l <= opt->n_layers; l++)
    if (opt->widths[l] < 1)
      return js_fail(JS_EINVAL, "js_net_create_mlp: widths[%d] = %lld, every width must be "
                     ">= 1", l, (long long)opt->widths[l]);
  if (!isfinite(opt->nu))
    return js_fail(JS_EINVAL, "js_net_create_mlp: nu = %g is not finite", opt->nu);
  return js_activation_check(opt->act, "js_net_create_mlp");
}

int js_net_create_mlp(const js_mlp_options *opt, js_net **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_net_create_mlp: output pointer is NULL");
  *out = NULL;
  int rc = check_options(opt);
  if (rc)
    return rc;
  int L = opt->n_layers;
  const int64_t *m = opt->widths;
  js_net *net;
  if ((rc = js_net_create(&(js_shape){1, {m[0], 0, 0}}, &net)))
    return rc;
  int node = 0;
  for (int l = 1; l <= L && node >= 0; l++) {
    char weight[32], bias[32];
    snprintf(weight, sizeof weight, "W%d", l);
    snprintf(bias, sizeof bias, "b%d", l);
    node = js_graph_add_dense(net, node, m[l], weight, opt->bias ? bias : NULL);
    if (node < 0)
      break;
    int index = net->nodes[node].param[0];
    /* Theorem 3.2: W_1 ~ N(0, 1); the output layer Rademacher times
     * nu / sqrt(k K), k = widths[L-1]; layers between N(0, 1/m_{l-1}). */
    js_init init = {JS_INIT_NORMAL, 1.0};
    if (l == L && L >= 2)
      init = (js_init){JS_INIT_RADEMACHER, opt->nu / sqrt((double)(m[L - 1] * m[L]))};
    else if (l > 1)
      init = (js_init){JS_INIT_NORMAL, 1.0 / sqrt((double)m[l - 1])};
    net->params[index].init = init;
    net->params[index].trained = l == 1;
    if (opt->bias)
      net->params[net->nodes[node].param[1]].trained = 0;
    if (l < L)
      node = js_net_add_activation(net, node, opt->act);
  }
  if (node < 0) {
    js_net_free(net);
    return node;
  }
  js_graph_layout_theta(net);
  js_net_initialize(net, opt->seed);
  *out = net;
  return JS_OK;
}

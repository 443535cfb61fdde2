/* Elementwise activations phi and their exact derivatives phi' (doc/DESIGN.md
 * section 1). A hidden layer's Jacobian is the diagonal matrix diag(phi'(z)),
 * so forward and reverse mode share one kernel: scale by phi'(z). */
#ifndef JS_MODEL_ACTIVATION_H
#define JS_MODEL_ACTIVATION_H

#include "jacspec.h"

/* JS_EINVAL (with a message) unless act names a known kind with a finite
 * leaky slope; what names the caller in the message. */
int js_activation_check(js_activation act, const char *what);

/* h = phi(z) for n entries; h may alias z. */
void js_activation_forward(js_activation act, double *h, const double *z,
                           int64_t n);
/* dphi = phi'(z) for n entries; dphi may alias z. */
void js_activation_derivative(js_activation act, double *dphi, const double *z,
                              int64_t n);
/* t_j *= dphi for each of the n_vectors vectors of a block: t is
 * (n_vectors, size), dphi is (size). Both the JVP and the VJP of phi. */
void js_activation_scale_block(double *t, const double *dphi, int64_t size,
                               int64_t n_vectors);

/* acc_j += dphi * t_j for each vector (reverse mode, accumulating). */
void js_activation_scale_add_block(double *acc, const double *t, const double *dphi,
                                   int64_t size, int64_t n_vectors);

/* The same four in float, for single-precision products. */
void js_activation_forward_f(js_activation act, float *h, const float *z, int64_t n);
void js_activation_derivative_f(js_activation act, float *dphi, const float *z,
                                int64_t n);
void js_activation_scale_block_f(float *t, const float *dphi, int64_t size,
                                 int64_t n_vectors);
void js_activation_scale_add_block_f(float *acc, const float *t, const float *dphi,
                                     int64_t size, int64_t n_vectors);

#endif

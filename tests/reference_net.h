/* A plain, slow reference of the fully connected network for the tests:
 * naive loops, no BLIS, one sample at a time, its own activation formulas
 * and its own layout of theta. It reads the weight values of a js_net (the
 * numbers under test) by tensor name ("W1".."WL", "b1".."bL") and which of
 * them are trained, but shares none of its code: the explicit J is built
 * row by row, output by output, by hand backprop.
 *
 * The architecture comes from the test (ref_mlp, filled from the options
 * the test built the network with); the reference checks the tensors'
 * shapes against it. */
#ifndef TESTS_REFERENCE_NET_H
#define TESTS_REFERENCE_NET_H

#include "jacspec.h"

/* Largest width and depth the reference handles (fixed arrays). */
#define REF_MAX_WIDTH 64
#define REF_MAX_LAYERS 8

typedef struct ref_mlp {
  int n_layers;                        /* L */
  int64_t widths[REF_MAX_LAYERS + 1];  /* widths[0] = d .. widths[L] = K */
  js_activation act;
  int bias;                            /* b_l present */
} ref_mlp;

/* The architecture of js_net_create_mlp(opt). */
ref_mlp ref_mlp_of(const js_mlp_options *opt);

double ref_phi(js_activation act, double z);
double ref_phi_prime(js_activation act, double z);

/* p as the reference lays theta out: the trained tensors among
 * W1, b1, W2, b2, ..., WL, bL, in that order, each row-major. */
int64_t ref_n_params(const ref_mlp *arch, const js_net *net);
/* f = forward(x): x is (n, d), f is (n, K). */
void ref_forward(const ref_mlp *arch, const js_net *net, const double *x, int64_t n_samples,
                 double *f);
/* The explicit Jacobian, (nK, p) row-major: row i*K + l, column = index in
 * the reference's theta. */
void ref_jacobian(const ref_mlp *arch, const js_net *net, const double *x, int64_t n_samples,
                  double *jacobian);
/* min |z| over every hidden pre-activation of every sample (Inf if none):
 * how far the inputs are from a relu/leaky kink. */
double ref_min_abs_preactivation(const ref_mlp *arch, const js_net *net, const double *x,
                                 int64_t n_samples);

/* Plain helpers the model tests share. */
/* out = J in (transpose = 0, in is cols x b) or J^T in (in is rows x b) for
 * an explicit J (rows, cols) row-major and a block of b vectors. */
void ref_apply(const double *jacobian, int64_t rows, int64_t cols, int transpose,
               int64_t n_vectors, const double *in, double *out);
/* sum_i a_i b_i. */
double ref_dot(const double *a, const double *b, int64_t n);
/* ||a - b|| / ||b||, or ||a|| when b = 0. */
double ref_relative_error(const double *a, const double *b, int64_t n);
/* n standard normal numbers from a seeded stream. */
void ref_fill_normal(double *a, int64_t n, uint64_t seed);

#endif

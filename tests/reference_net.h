/* A plain, slow reference network for the tests: naive loops, no BLIS, one
 * sample at a time, its own activation formulas. It reads the widths and
 * weights of a js_net (the numbers under test) but shares none of its code:
 * the explicit J is built row by row, output by output, by hand backprop. */
#ifndef TESTS_REFERENCE_NET_H
#define TESTS_REFERENCE_NET_H

#include "jacspec.h"

/* Largest width the reference handles (its buffers are fixed arrays). */
#define REF_MAX_WIDTH 64

double ref_phi(js_activation act, double z);
double ref_phi_prime(js_activation act, double z);

/* f = forward(x): x is (n, d), f is (n, K). */
void ref_forward(js_net *net, const double *x, int64_t n_samples, double *f);
/* The explicit Jacobian, (nK, p) row-major: row i*K + l, column = index in theta. */
void ref_jacobian(js_net *net, const double *x, int64_t n_samples, double *jacobian);
/* min |z| over every hidden pre-activation of every sample (Inf if none):
 * how far the inputs are from a relu/leaky kink. */
double ref_min_abs_preactivation(js_net *net, const double *x, int64_t n_samples);

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

/* What the network's products keep in memory, per sample, computed from the
 * options alone: the products size their buffers with it and the memory
 * planner predicts them with it, so the two cannot disagree. */
#ifndef JS_MODEL_FOOTPRINT_H
#define JS_MODEL_FOOTPRINT_H

#include "jacspec.h"
#include "model/kernels.h"

#include <stddef.h>

/* The smallest l with W_l trained (1..L); options must be valid. */
int js_footprint_lowest_trained(const js_net_options *opt);

/* max_l m_l over the layers' outputs (l = 1..L): the width of a block buffer. */
int64_t js_footprint_widest_output(const js_net_options *opt);

/* Workspace batches larger than this stop paying (GEMM is no faster): the
 * automatic batch of the products and the planner's cap. */
#define JS_FOOTPRINT_BATCH_CAP ((size_t)64 << 20)

/* Lays out, from base, rows x m_l slices h[l] for the hidden layers and,
 * when with_dphi, dphi[l] for the hidden layers a product goes through
 * (l >= lowest trained; the others are NULL). Returns the elements used.
 * The cache (rows = n) and the workspace (rows = B) share this layout. */
int64_t js_footprint_lay_out(const js_net_options *opt, const js_kernels *k, void *base,
                             int64_t rows, int with_dphi, void *h[], void *dphi[]);

/* Bytes of the activation cache per sample, in the products' precision:
 * h_l for every hidden layer and phi'(z_l) for the hidden layers a product
 * goes through (l >= lowest trained). 0 for a network without hidden
 * layers: nothing to cache. */
size_t js_footprint_cache(const js_net_options *opt);

/* Bytes of workspace per sample of a batch: for a forward pass
 * (n_vectors = 0, always double) the activations h_l; for a product of
 * n_vectors vectors, in the products' precision, the two block buffers
 * (b, max_l m_l), plus h_l and phi'(z_l) unless they come from the cache
 * (cached != 0), plus the batch's inputs converted to float in single
 * precision. */
size_t js_footprint_workspace(const js_net_options *opt, int64_t n_vectors, int cached);

/* Bytes the network holds whatever the batch: all weights, and in single
 * precision their float copy and a p x n_vectors float block. */
size_t js_footprint_network(const js_net_options *opt, int64_t n_vectors);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* nn_internal.h — what the NeuralNetwork layer kernels share (not installed).
 *
 * The layer kernels are split by family: nn.c (convolution, pooling, dense,
 * elementwise over inputs, the legacy shape layers, reductions, the table
 * and its coverage list), nn_elem.c (unary math, comparisons, logic,
 * clamps), nn_shape.c (slicing, splitting, permuting, gathering,
 * scattering, filling, broadcasting, ranges and the rest of the rank-N
 * data movement), nn_norm.c (normalisations), nn_resample.c (upsampling
 * and bilinear resizing, crop-and-resize), nn_rnn.c (recurrent layers),
 * nn_misc.c (control flow, embeddings, top-k, argmax/argsort,
 * non-maximum suppression, random layers, 3-D convolution and pooling).
 * Each family file has a table; exec_find_nn (nn.c) looks in all of them. */
#ifndef CML_NN_INTERNAL_H
#define CML_NN_INTERNAL_H

#include <stdio.h>
#include <string.h>

#include "../exec_internal.h"

#define NEED(t, name)                                                        \
    do {                                                                     \
        if (!(t) || (!(t)->d && !(t)->lz)) return exec_fail(c, "missing %s", name); \
    } while (0)

/* The channel axis of a legacy layer's blob: -3 (C of [.., C, H, W]); the
 * last one of a rank-1 or rank-2 blob. */
static inline int nn_chan_axis(int rank) { return rank >= 3 ? rank - 3 : rank - 1; }

/* element i of an INTS attribute, def when absent */
static inline int64_t nn_list_at(xctx *c, const char *name, int i, int64_t def) {
    int64_t v[8];
    int n = exec_aints(c, name, v, 8);
    return n > i ? v[i] : def;
}

/* output 0 = x's values in shape dim (same count) */
int nn_copy_as(xctx *c, const xt *x, int r, const int64_t *dim);
/* an integral tensor's values as int64 (rounded toward zero); n values, -1 if x is short */
int nn_ints(const xt *x, int64_t *out, size_t n);
/* int8DynamicQuantize (innerProduct, batchedMatmul): a malloc'd copy of x
 * rounded to the int8 grid of max |x| / 127, or NULL (out of memory) */
float *nn_dyn_quant(const xt *x);
/* NN truthiness: |x| > 1e-6 (SOURCE: NeuralNetwork.proto BranchLayerParams) */
static inline bool nn_true(float v) { return v > 1e-6f || v < -1e-6f; }

/* C-order strides of dim[0..r) */
static inline void nn_strides(int r, const int64_t *dim, int64_t *st) {
    int64_t s = 1;
    for (int i = r - 1; i >= 0; i--) {
        st[i] = s;
        s *= dim[i] > 0 ? dim[i] : 1;
    }
}

typedef struct nn_table {
    const exec_kdef *k;
    size_t n;
} nn_table;

extern const nn_table NN_ELEM_TABLE, NN_SHAPE_TABLE, NN_NORM_TABLE, NN_RESAMPLE_TABLE, NN_RNN_TABLE, NN_MISC_TABLE;

#define NN_K(name) {#name, k_##name, NULL}
#define NN_KC(name, chk) {#name, k_##name, chk}
#define NN_TABLE(var, arr) const nn_table var = {arr, sizeof arr / sizeof arr[0]}

#endif

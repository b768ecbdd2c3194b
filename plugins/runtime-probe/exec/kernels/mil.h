/* SPDX-License-Identifier: Apache-2.0 */
/* mil.h — what the ML Program kernel files (kernels/mil*.c) share.
 *
 * mil.c holds the elementwise, normalisation, reduction, linear, convolution,
 * pooling and shape kernels and the lookup (exec_find_mil), which also
 * searches the tables of the files split off by op family:
 *   mil_control.c  cond, while_loop, lists, random_* ops
 *   mil_tensor.c   gather / scatter families, slice_update, topk, argsort,
 *                  cumsum, one_hot, band_part, reverse, non_zero, depth and
 *                  space rearrangements, sliding_windows, fill_like, ...
 *   mil_image.c    resize / upsample / crop / crop_resize / resample / affine,
 *                  non_maximum_suppression
 *   mil_seq.c      lstm, gru, rnn, scaled_dot_product_attention, einsum,
 *                  l2_norm, local_response_norm, quantize / dequantize
 *   mil_spatial.c  3-D conv, conv_transpose and pooling (rank-5 inputs) */
#ifndef CML_EXEC_MIL_H
#define CML_EXEC_MIL_H

#include "../exec_internal.h"

#define NEED(t, name)                                                   \
    do {                                                                \
        if (!(t) || (!(t)->d && !(t)->lz)) return exec_fail(c, "missing input '%s'", name); \
    } while (0)

/* one family's kernels */
typedef struct mil_table {
    const exec_kdef *k;
    size_t n;
} mil_table;

extern const mil_table EXEC_MIL_CONTROL, EXEC_MIL_TENSOR, EXEC_MIL_IMAGE, EXEC_MIL_SEQ;

/* axis a normalised for rank (negative from the end), or -1 after exec_fail */
int mil_axis(xctx *c, int64_t a, int rank);
/* exec_dtype of a MIL dtype name ("fp32", "int32", "bool" ...), -1 unknown */
int mil_dtype(const char *name);
/* the string parameter `name`, when given, is one of the NULL-terminated ok[] */
int mil_chk_one_of(const exec_io *io, const cml_op *op, const char *name, const char *const *ok, char *why,
                   size_t n);
/* slice_by_index's parameters (begin, end, stride, begin/end/squeeze masks;
 * Python slice semantics) for x: per dim start, step and count; od/orank
 * the result's shape (squeezed dims dropped). 0, or -1 after exec_fail */
int mil_slice_params(xctx *c, const xt *x, int64_t *start, int64_t *step, int64_t *cnt, int64_t *od, int *orank);
/* the function's opset as an iOS release (15 .. 18, 26), 15 when unknown */
int mil_opset(xctx *c);
/* row-major strides of a shape */
void mil_strides(int rank, const int64_t *dim, int64_t *st);

/* rank-5 [N, C, D, H, W] convolution / transposed convolution (weight w of
 * shape wdim, rank 5) and pooling (mil_spatial.c) */
int mil_conv3d(xctx *c, const xt *x, const float *w, const int64_t *wdim, const float *bias, size_t nbias, bool transpose);
int mil_pool3d(xctx *c, const xt *x, int type);

/* a deterministic generator (xoshiro256**), for random_* ops */
typedef struct mil_rng {
    uint64_t s[4];
} mil_rng;
void mil_rng_init(mil_rng *r, uint64_t seed);
uint64_t mil_rng_next(mil_rng *r);
double mil_rng_unit(mil_rng *r); /* [0, 1) with 53 bits */

#endif

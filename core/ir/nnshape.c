/* SPDX-License-Identifier: Apache-2.0 */
/* ir_nnshape.c — shape inference for NeuralNetwork layers.
 *
 * NeuralNetwork models store no intermediate shapes (the converter does not
 * even fill output shapes), so rules and the executor get them from here.
 * Starting from the input features, each layer's output shape follows from
 * its parameters for the layers below; anything else, or any unknown input
 * dimension, leaves the output unknown (rank -1 or CML_DIM_UNKNOWN dims):
 * never guessed. Layers work on the trailing [C, H, W] dims, which is true
 * of both the legacy rank-5 and the exact-rank mapping for these layers.
 * SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto (parameter
 * semantics in the message comments: ConvolutionLayerParams, PoolingLayerParams,
 * InnerProductLayerParams, ConcatLayerParams, FlattenLayerParams,
 * ReshapeLayerParams, ReduceLayerParams, PaddingLayerParams, ...). */
#include <stdbool.h>
#include <string.h>

#include "ir/model.h"

#define MAXR 16

typedef struct shp {
    int rank;          /* -1 unknown */
    int64_t d[MAXR];
} shp;

static int get_in(const cml_op *op, size_t i, shp *s) {
    s->rank = -1;
    if (!op->n_inputs || op->inputs[0]->n_values <= i) return -1;
    const cml_value *v = op->inputs[0]->values[i];
    if (v->type.shape.rank < 0 || v->type.shape.rank > MAXR) return -1;
    s->rank = v->type.shape.rank;
    for (int k = 0; k < s->rank; k++) s->d[k] = v->type.shape.dims[k];
    return 0;
}

static int64_t attr_int(const cml_op *op, const char *name, int64_t def) {
    const cml_attr *a = ir_op_attr(op, name);
    if (!a) return def;
    if (a->kind == CML_ATTR_INT) return a->i;
    if (a->kind == CML_ATTR_BOOL) return a->b;
    return def;
}

static int64_t attr_list(const cml_op *op, const char *name, size_t i, int64_t def) {
    const cml_attr *a = ir_op_attr(op, name);
    if (!a || a->kind != CML_ATTR_INTS || i >= a->n) return def;
    return a->ints[i];
}

static const char *attr_str(const cml_op *op, const char *name) {
    const cml_attr *a = ir_op_attr(op, name);
    return a && a->kind == CML_ATTR_STRING ? a->s : NULL;
}

static int has(const cml_op *op, const char *name) { return ir_op_attr(op, name) != NULL; }

/* index of a trailing dim: -1 = last */
static int tail(const shp *s, int k) { return s->rank + k; }

/* Dims and attributes come from the model, so every sum and product is
 * checked: one that does not fit int64 makes the dim unknown (never UB,
 * never a wrapped finite size). dmul/dadd take dims (unknown if negative). */
static int64_t dmul(int64_t a, int64_t b) {
    int64_t r;
    return a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) ? CML_DIM_UNKNOWN : r;
}

static int64_t dadd(int64_t a, int64_t b) {
    int64_t r;
    return a < 0 || b < 0 || __builtin_add_overflow(a, b, &r) ? CML_DIM_UNKNOWN : r;
}

/* start + end padding (uint64 in the proto: negative here means it did
 * not fit int64); CML_DIM_UNKNOWN when it cannot be known */
static int64_t pad_sum(const cml_op *op, const char *start, const char *end) {
    return dadd(attr_int(op, start, 0), attr_int(op, end, 0));
}

static int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t dil, int64_t pad_total, int same, int ceil_mode) {
    int64_t eff, span, r;
    if (in < 0 || s <= 0) return CML_DIM_UNKNOWN;
    if (same) return __builtin_add_overflow(in, s - 1, &r) ? CML_DIM_UNKNOWN : r / s;
    if (pad_total < 0) return CML_DIM_UNKNOWN;
    /* eff = (k - 1) * dil + 1, span = in + pad_total - eff */
    if (__builtin_sub_overflow(k, 1, &eff) || __builtin_mul_overflow(eff, dil, &eff) ||
        __builtin_add_overflow(eff, 1, &eff) || __builtin_add_overflow(in, pad_total, &span) ||
        __builtin_sub_overflow(span, eff, &span) || span < 0)
        return CML_DIM_UNKNOWN;
    if (ceil_mode && __builtin_add_overflow(span, s - 1, &span)) return CML_DIM_UNKNOWN;
    return dadd(span / s, 1);
}

/* a deconvolution without outputShape: (in - 1) * s + (k - 1) * dil + 1 - pad */
static int64_t deconv_out(int64_t in, int64_t k, int64_t s, int64_t dil, int64_t pad_total) {
    int64_t a, b, r;
    if (in < 0 || pad_total < 0) return CML_DIM_UNKNOWN;
    if (__builtin_sub_overflow(in, 1, &a) || __builtin_mul_overflow(a, s, &a) ||
        __builtin_sub_overflow(k, 1, &b) || __builtin_mul_overflow(b, dil, &b) ||
        __builtin_add_overflow(a, b, &r) || __builtin_add_overflow(r, 1, &r) ||
        __builtin_sub_overflow(r, pad_total, &r) || r < 0)
        return CML_DIM_UNKNOWN;
    return r;
}

static void set_out(lmodel *lm, const cml_op *op, const shp *s) {
    if (!op->n_outputs || s->rank < 0) return;
    cml_value *v = (cml_value *)op->outputs[0];
    int64_t *d = arena_calloc(lm->a, s->rank ? (size_t)s->rank : 1, sizeof *d);
    if (!d) return;
    for (int k = 0; k < s->rank; k++) d[k] = s->d[k] < 0 ? CML_DIM_UNKNOWN : s->d[k];
    v->type.kind = CML_TYPE_TENSOR;
    v->type.shape.rank = s->rank;
    v->type.shape.dims = d;
}

static void infer(lmodel *lm, const cml_op *op) {
    shp s, t;
    const char *k = op->kind;
    if (get_in(op, 0, &s) != 0) return;
    if (!strcmp(k, "convolution")) {
        if (s.rank < 3) return;
        int h = tail(&s, -2), w = tail(&s, -1), c = tail(&s, -3);
        int64_t kh = attr_list(op, "kernelSize", 0, 3), kw = attr_list(op, "kernelSize", 1, 3);
        int64_t sh = attr_list(op, "stride", 0, 1), sw = attr_list(op, "stride", 1, 1);
        int64_t dh = attr_list(op, "dilationFactor", 0, 1), dw = attr_list(op, "dilationFactor", 1, 1);
        int64_t ph = pad_sum(op, "valid.paddingAmounts.borderAmounts[0].startEdgeSize",
                             "valid.paddingAmounts.borderAmounts[0].endEdgeSize");
        int64_t pw = pad_sum(op, "valid.paddingAmounts.borderAmounts[1].startEdgeSize",
                             "valid.paddingAmounts.borderAmounts[1].endEdgeSize");
        int same = has(op, "same");
        s.d[c] = attr_int(op, "outputChannels", CML_DIM_UNKNOWN);
        if (attr_int(op, "isDeconvolution", 0)) {
            const cml_attr *os = ir_op_attr(op, "outputShape");
            if (os && os->kind == CML_ATTR_INTS && os->n == 2) {
                s.d[h] = os->ints[0];
                s.d[w] = os->ints[1];
            } else if (same) {
                s.d[h] = dmul(s.d[h], sh);
                s.d[w] = dmul(s.d[w], sw);
            } else {
                s.d[h] = deconv_out(s.d[h], kh, sh, dh, ph);
                s.d[w] = deconv_out(s.d[w], kw, sw, dw, pw);
            }
        } else {
            s.d[h] = conv_out(s.d[h], kh, sh, dh, ph, same, 0);
            s.d[w] = conv_out(s.d[w], kw, sw, dw, pw, same, 0);
        }
        set_out(lm, op, &s);
    } else if (!strcmp(k, "pooling")) {
        if (s.rank < 3) return;
        int h = tail(&s, -2), w = tail(&s, -1);
        if (attr_int(op, "globalPooling", 0)) {
            s.d[h] = s.d[w] = 1;
        } else {
            int64_t kh = attr_list(op, "kernelSize", 0, 3), kw = attr_list(op, "kernelSize", 1, 3);
            int64_t sh = attr_list(op, "stride", 0, 1), sw = attr_list(op, "stride", 1, 1);
            int same = has(op, "same");
            int ceil_mode = has(op, "includeLastPixel");
            int64_t ph = 0, pw = 0, p0 = 0, p1 = 0;
            if (ceil_mode) {
                p0 = attr_list(op, "includeLastPixel.paddingAmounts", 0, 0);
                p1 = attr_list(op, "includeLastPixel.paddingAmounts", 1, 0);
                ph = dmul(2, p0);
                pw = dmul(2, p1);
            } else {
                ph = pad_sum(op, "valid.paddingAmounts.borderAmounts[0].startEdgeSize",
                             "valid.paddingAmounts.borderAmounts[0].endEdgeSize");
                pw = pad_sum(op, "valid.paddingAmounts.borderAmounts[1].startEdgeSize",
                             "valid.paddingAmounts.borderAmounts[1].endEdgeSize");
            }
            int64_t in_h = s.d[h], in_w = s.d[w];
            s.d[h] = conv_out(in_h, kh, sh, 1, ph, same, ceil_mode);
            s.d[w] = conv_out(in_w, kw, sw, 1, pw, same, ceil_mode);
            /* SOURCE: NeuralNetwork.proto PoolingLayerParams
             * (ValidCompletePadding): when either padding amount is
             * positive, an output whose last window would start at or past
             * in + padding is one shorter, on each axis */
            if (ceil_mode && (p0 > 0 || p1 > 0)) {
                if (s.d[h] > 0 && in_h >= 0 && (s.d[h] - 1) * sh >= in_h + p0) s.d[h]--;
                if (s.d[w] > 0 && in_w >= 0 && (s.d[w] - 1) * sw >= in_w + p1) s.d[w]--;
            }
        }
        set_out(lm, op, &s);
    } else if (!strcmp(k, "innerProduct")) {
        /* SOURCE: NeuralNetwork.proto InnerProductLayerParams: rank 1..3
         * act on the last dim; rank 4 [x1, C, H, W] -> [x1, C_out, 1, 1];
         * rank 5 -> [x1, x2, C_out, 1, 1] (as exec_nn.c k_innerProduct) */
        int64_t oc = attr_int(op, "outputChannels", CML_DIM_UNKNOWN);
        if (s.rank < 1) return;
        if (s.rank <= 3) {
            s.d[s.rank - 1] = oc;
        } else {
            int lead = s.rank == 4 ? 1 : 2;
            s.d[lead] = oc;
            for (int j = lead + 1; j < s.rank; j++) s.d[j] = 1;
        }
        set_out(lm, op, &s);
    } else if (!strcmp(k, "batchedMatmul")) {
        /* one input and weights [X1, X2]: the last dim becomes X2
         * (NeuralNetwork.proto BatchedMatMulLayerParams) */
        if (op->inputs[0]->n_values != 1 || s.rank < 1) return;
        int64_t n2 = attr_int(op, "weightMatrixSecondDimension", CML_DIM_UNKNOWN);
        if (n2 <= 0) return;
        s.d[s.rank - 1] = n2;
        set_out(lm, op, &s);
    } else if (!strcmp(k, "upsample")) {
        /* integer scalingFactor [H, W] (UpsampleLayerParams); fractional
         * factors round in ways the proto leaves open: unknown */
        const cml_attr *fr = ir_op_attr(op, "fractionalScalingFactor");
        if (s.rank < 2 || (fr && fr->n)) return;
        int64_t fh = attr_list(op, "scalingFactor", 0, 1), fw = attr_list(op, "scalingFactor", 1, 1);
        if (fh < 1 || fw < 1) return;
        int h = tail(&s, -2), w = tail(&s, -1);
        s.d[h] = dmul(s.d[h], fh);
        s.d[w] = dmul(s.d[w], fw);
        set_out(lm, op, &s);
    } else if (!strcmp(k, "expandDims")) {
        const cml_attr *ax = ir_op_attr(op, "axes");
        if (!ax || ax->kind != CML_ATTR_INTS || ax->n < 1 || ax->n > (size_t)(MAXR - s.rank)) return;
        int R = s.rank + (int)ax->n;
        unsigned mask = 0;
        for (size_t j = 0; j < ax->n; j++) {
            int64_t a = ax->ints[j] < 0 ? ax->ints[j] + R : ax->ints[j];
            /* the same axis twice leaves a dim unset (read as the output
             * shape from uninitialised memory, an audit found): unknown */
            if (a < 0 || a >= R || (mask & (1u << a))) return;
            mask |= 1u << a;
        }
        shp o = {.rank = R};
        for (int j = 0, q = 0; j < R; j++) o.d[j] = (mask & (1u << j)) ? 1 : s.d[q++];
        set_out(lm, op, &o);
    } else if (!strcmp(k, "squeeze")) {
        const cml_attr *ax = ir_op_attr(op, "axes");
        size_t na = ax && ax->kind == CML_ATTR_INTS ? ax->n : 0;
        int all = attr_int(op, "squeezeAll", 0) || na == 0;
        unsigned mask = 0;
        for (size_t j = 0; j < na; j++) {
            int64_t a = ax->ints[j] < 0 ? ax->ints[j] + s.rank : ax->ints[j];
            if (a < 0 || a >= s.rank) return;
            mask |= 1u << a;
        }
        shp o = {.rank = 0};
        for (int j = 0; j < s.rank; j++) {
            bool cand = all || (mask & (1u << j));
            if (cand && s.d[j] < 0) return;   /* whether it goes depends on an unknown size */
            if (!(cand && s.d[j] == 1)) o.d[o.rank++] = s.d[j];
        }
        set_out(lm, op, &o);
    } else if (!strcmp(k, "concatND")) {
        int64_t a = attr_int(op, "axis", 0);
        if (a < 0) a += s.rank;
        if (a < 0 || a >= s.rank) return;
        for (size_t i = 1; i < op->inputs[0]->n_values; i++) {
            if (get_in(op, i, &t) != 0 || t.rank != s.rank) return;
            s.d[a] = dadd(s.d[a], t.d[a]);
        }
        set_out(lm, op, &s);
    } else if (!strcmp(k, "batchnorm") || !strcmp(k, "activation") || !strcmp(k, "softmax") ||
               !strcmp(k, "softmaxND") || !strcmp(k, "unary") || !strcmp(k, "lrn") || !strcmp(k, "mvn") ||
               !strcmp(k, "l2normalize") || !strcmp(k, "clip") || !strcmp(k, "scale") || !strcmp(k, "bias") ||
               !strcmp(k, "layerNormalization") || !strcmp(k, "gelu") || !strcmp(k, "copy")) {
        set_out(lm, op, &s);
    } else if (!strcmp(k, "add") || !strcmp(k, "multiply") || !strcmp(k, "max") || !strcmp(k, "min") ||
               !strcmp(k, "average") || !strncmp(k + (strlen(k) > 12 ? strlen(k) - 12 : 0), "Broadcastable", 13)) {
        size_t n = op->inputs[0]->n_values;
        for (size_t i = 1; i < n; i++) {
            if (get_in(op, i, &t) != 0) return;
            int r = s.rank > t.rank ? s.rank : t.rank;
            shp o = {.rank = r};
            for (int j = 0; j < r; j++) {
                int64_t a = j - (r - s.rank) >= 0 ? s.d[j - (r - s.rank)] : 1;
                int64_t b = j - (r - t.rank) >= 0 ? t.d[j - (r - t.rank)] : 1;
                if (a < 0 || b < 0) o.d[j] = CML_DIM_UNKNOWN;
                else if (a == b || b == 1) o.d[j] = a;
                else if (a == 1) o.d[j] = b;
                else return; /* incompatible: leave unknown */
            }
            s = o;
        }
        set_out(lm, op, &s);
    } else if (!strcmp(k, "concat")) {
        /* channel concat (or sequence concat on axis -5 of rank 5) */
        /* a rank-1 blob is [C] (NeuralNetwork.proto RANK5_ARRAY_MAPPING: rank 1 maps to C) */
        int ax = attr_int(op, "sequenceConcat", 0) ? 0 : s.rank == 1 ? 0 : tail(&s, -3);
        if (ax < 0) return;
        for (size_t i = 1; i < op->inputs[0]->n_values; i++) {
            if (get_in(op, i, &t) != 0 || t.rank != s.rank) return;
            s.d[ax] = dadd(s.d[ax], t.d[ax]);
        }
        set_out(lm, op, &s);
    } else if (!strcmp(k, "flatten")) {
        if (s.rank < 3) return;
        int64_t c = s.d[tail(&s, -3)], h = s.d[tail(&s, -2)], w = s.d[tail(&s, -1)];
        s.d[tail(&s, -3)] = dmul(dmul(c, h), w);
        s.d[tail(&s, -2)] = s.d[tail(&s, -1)] = 1;
        set_out(lm, op, &s);
    } else if (!strcmp(k, "flattenTo2D")) {
        int64_t ax = attr_int(op, "axis", 1);
        if (ax < 0) ax += s.rank;
        if (ax < 0 || ax > s.rank) return;
        int64_t a = 1, b = 1;
        for (int j = 0; j < s.rank; j++) {
            int64_t *p = j < ax ? &a : &b;
            *p = dmul(*p, s.d[j]);
        }
        shp o = {.rank = 2, .d = {a, b}};
        set_out(lm, op, &o);
    } else if (!strcmp(k, "reshape") || !strcmp(k, "reshapeStatic")) {
        const cml_attr *ts = ir_op_attr(op, "targetShape");
        if (!ts || ts->kind != CML_ATTR_INTS || ts->n > MAXR) return;
        shp o = {.rank = (int)ts->n};
        int64_t known = 1, total = 1, neg = -1;
        for (int j = 0; j < s.rank; j++) total = dmul(total, s.d[j]);
        for (int j = 0; j < o.rank; j++) {
            o.d[j] = ts->ints[j];
            if (o.d[j] == -1) neg = j;
            else if (o.d[j] == 0 && j < s.rank) o.d[j] = s.d[j];
            if (o.d[j] >= 0 && j != neg) known = dmul(known, o.d[j]);
        }
        if (neg >= 0) o.d[neg] = (total >= 0 && known > 0) ? total / known : CML_DIM_UNKNOWN;
        if (!strcmp(k, "reshape")) {
            /* SOURCE: NeuralNetwork.proto ReshapeLayerParams: a [C, H, W]
             * target keeps the leading (sequence/batch) dims; [Seq, C, H, W]
             * sets the sequence: [Seq, 1, C, H, W] on a rank-5 blob (as
             * exec_nn.c k_reshape) */
            if (o.rank == 3 && s.rank > 3) {
                shp p = {.rank = s.rank};
                int off = s.rank - 3;
                for (int j = 0; j < off; j++) p.d[j] = s.d[j];
                for (int j = 0; j < 3; j++) p.d[off + j] = o.d[j];
                o = p;
            } else if (o.rank == 4 && s.rank == 5) {
                shp p = {.rank = 5, .d = {o.d[0], 1, o.d[1], o.d[2], o.d[3]}};
                o = p;
            } else if (o.rank != 3 && o.rank != 4) {
                return;
            }
        }
        set_out(lm, op, &o);
    } else if (!strcmp(k, "reduce")) {
        if (s.rank < 1) return;
        /* SOURCE: NeuralNetwork.proto ReduceLayerParams.ReduceAxis CHW=0 HW=1
         * C=2 H=3 W=4 over the trailing dims; the channel axis of a rank-1
         * or rank-2 blob is its last (as exec_nn.c k_reduce) */
        const char *ax = attr_str(op, "axis");
        int r = s.rank;
        unsigned mask;
        if (!ax || !strcmp(ax, "CHW")) mask = 7u << (r >= 3 ? r - 3 : 0);
        else if (!strcmp(ax, "HW")) mask = 3u << (r >= 2 ? r - 2 : 0);
        else if (!strcmp(ax, "C")) mask = 1u << (r >= 3 ? r - 3 : r - 1);
        else if (!strcmp(ax, "H")) mask = 1u << (r >= 2 ? r - 2 : 0);
        else mask = 1u << (r - 1);
        for (int j = 0; j < r; j++)
            if (mask & (1u << j)) s.d[j] = 1;
        set_out(lm, op, &s);
    } else if (!strncmp(k, "reduce", 6)) {
        /* reduceSum/Mean/...: axes, keepDims, reduceAll */
        const cml_attr *axes = ir_op_attr(op, "axes");
        int keep = (int)attr_int(op, "keepDims", 0), all = (int)attr_int(op, "reduceAll", 0);
        int mark[MAXR] = {0};
        if (all || !axes || axes->kind != CML_ATTR_INTS) {
            for (int j = 0; j < s.rank; j++) mark[j] = 1;
        } else {
            for (size_t j = 0; j < axes->n; j++) {
                int64_t a = axes->ints[j] < 0 ? axes->ints[j] + s.rank : axes->ints[j];
                if (a < 0 || a >= s.rank) return;
                mark[a] = 1;
            }
        }
        shp o = {.rank = 0};
        for (int j = 0; j < s.rank; j++) {
            if (!mark[j]) o.d[o.rank++] = s.d[j];
            else if (keep) o.d[o.rank++] = 1;
        }
        if (o.rank == 0) o.d[o.rank++] = 1;   /* a full reduction is one value, [1] */
        set_out(lm, op, &o);
    } else if (!strcmp(k, "padding")) {
        if (s.rank < 2) return;
        int h = tail(&s, -2), w = tail(&s, -1);
        int64_t ph = pad_sum(op, "paddingAmounts.borderAmounts[0].startEdgeSize",
                             "paddingAmounts.borderAmounts[0].endEdgeSize");
        int64_t pw = pad_sum(op, "paddingAmounts.borderAmounts[1].startEdgeSize",
                             "paddingAmounts.borderAmounts[1].endEdgeSize");
        s.d[h] = dadd(s.d[h], ph);
        s.d[w] = dadd(s.d[w], pw);
        set_out(lm, op, &s);
    } else if (!strcmp(k, "transpose")) {
        const cml_attr *ax = ir_op_attr(op, "axes");
        if (!ax || ax->kind != CML_ATTR_INTS || (int)ax->n != s.rank) return;
        shp o = {.rank = s.rank};
        for (int j = 0; j < s.rank; j++) {
            if (ax->ints[j] < 0 || ax->ints[j] >= s.rank) return;
            o.d[j] = s.d[ax->ints[j]];
        }
        set_out(lm, op, &o);
    }
}

static void walk(lmodel *lm, const cml_block *b, int depth) {
    if (!b || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        infer(lm, b->ops[i]);
        for (size_t j = 0; j < b->ops[i]->n_blocks; j++) walk(lm, b->ops[i]->blocks[j], depth + 1);
    }
}

void ir_pass_nn_shapes(lmodel *lm, cml_model *m) {
    if (!m) return;
    if (m->nn_array_shape_mapping >= 0 && m->n_functions == 1) {
        const cml_function *fn = m->functions[0];
        /* seed the graph inputs from the description */
        for (size_t i = 0; i < fn->n_inputs && i < m->n_inputs; i++) {
            cml_value *v = (cml_value *)fn->inputs[i];
            const cml_feature *f = m->inputs[i];
            if (f->kind == CML_FEAT_MULTIARRAY) {
                v->type.shape = f->shape;
            } else if (f->kind == CML_FEAT_IMAGE) {
                int64_t c = (f->color == CML_COLOR_GRAYSCALE || f->color == CML_COLOR_GRAYSCALE_FLOAT16) ? 1 : 3;
                /* SOURCE: NeuralNetwork.proto NeuralNetworkImageShapeMapping:
                 * RANK4_IMAGE_MAPPING (1) gives [B, C, H, W], RANK5 gives
                 * [S, B, C, H, W] with S = B = 1. Legacy layers act on the
                 * trailing [C, H, W] and keep whatever leads, so one image is
                 * [1, C, H, W] under both mappings: the blob the reference
                 * executor builds (exec_make_inputs), which
                 * tests/unit/probe/test_exec_nnshape.c compares with. */
                int64_t *d = arena_calloc(lm->a, 4, sizeof *d);
                if (!d) continue;
                d[0] = 1;
                d[1] = c;
                d[2] = f->height > 0 ? f->height : CML_DIM_UNKNOWN;
                d[3] = f->width > 0 ? f->width : CML_DIM_UNKNOWN;
                v->type.shape.rank = 4;
                v->type.shape.dims = d;
            }
        }
        walk(lm, fn->block, 0);
    }
    for (size_t i = 0; i < m->n_sub_models; i++) ir_pass_nn_shapes(lm, (cml_model *)m->sub_models[i]);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* nn.c — NeuralNetwork layer kernels of the reference executor: the table
 * (every family file's, nn_internal.h) and the convolution, pooling,
 * dense, elementwise-over-inputs, legacy shape, softmax, reduction,
 * padding and activation layers.
 *
 * One kernel per supported layer kind (the Core ML layer name the IR uses as
 * op kind), reading the layer's parameters from the attributes the IR
 * flattened from its protobuf params message ("kernelSize", "stride",
 * "valid.paddingAmounts.borderAmounts[0].startEdgeSize", "ReLU",
 * "leakyReLU.alpha", VALUE attributes "weights", "bias", ...). Legacy layers
 * work on the trailing [C, H, W] dims with every leading dim a batch dim,
 * which covers both the rank-5 and the exact-rank shape mappings (under
 * RANK5_ARRAY_MAPPING / RANK5_IMAGE_MAPPING exec.c hands the layers
 * [Seq, B, C, H, W] blobs, as Core ML does); the channel axis of a rank-1
 * or rank-2 blob is its last. Semantics (formulas, defaults, padding rules)
 * come from the comments in apple/coremltools
 * mlmodel/format/NeuralNetwork.proto, cited per kernel as SOURCE.
 *
 * Coverage of NeuralNetworkLayer (proto/NeuralNetwork.proto, 158 layer
 * types; field number, layer, file, status). "before": ran before issue
 * #13 (48 types); "new": added for it (109); custom layers are refused by
 * name (they run the app's own class). Every kernel is checked in
 * tests/unit/probe/test_exec_nn*.c (and test_exec_ops.c for the older ones).
 *
 *   100   convolution              nn.c            before
 *   120   pooling                  nn.c            before
 *   130   activation               nn.c            before
 *   140   innerProduct             nn.c            extended (int8DynamicQuantize)
 *   150   embedding                nn_misc.c       new
 *   160   batchnorm                nn.c            before
 *   165   mvn                      nn_norm.c       new
 *   170   l2normalize              nn_norm.c       new
 *   175   softmax                  nn.c            before
 *   180   lrn                      nn_norm.c       new
 *   190   crop                     nn_shape.c      new
 *   200   padding                  nn.c            before
 *   210   upsample                 nn_resample.c   extended (bilinear, fractional factors, every LinearUpsampleMode; was nearest x integer)
 *   211   resizeBilinear           nn_resample.c   new
 *   212   cropResize               nn_resample.c   new
 *   220   unary                    nn.c            before
 *   230   add                      nn.c            before
 *   231   multiply                 nn.c            before
 *   240   average                  nn.c            before
 *   245   scale                    nn.c            before
 *   250   bias                     nn.c            before
 *   260   max                      nn.c            before
 *   261   min                      nn.c            before
 *   270   dot                      nn_misc.c       new
 *   280   reduce                   nn.c            before
 *   290   loadConstant             nn_shape.c      new
 *   300   reshape                  nn.c            extended (a -1 in targetShape)
 *   301   flatten                  nn.c            before
 *   310   permute                  nn_shape.c      new
 *   320   concat                   nn.c            before
 *   330   split                    nn_shape.c      new
 *   340   sequenceRepeat           nn_shape.c      new
 *   345   reorganizeData           nn_shape.c      new
 *   350   slice                    nn_shape.c      new
 *   400   simpleRecurrent          nn_rnn.c        new
 *   410   gru                      nn_rnn.c        new
 *   420   uniDirectionalLSTM       nn_rnn.c        new
 *   430   biDirectionalLSTM        nn_rnn.c        new
 *   500   custom                   nn_misc.c       refused: needs the app's class
 *   600   copy                     nn.c            before
 *   605   branch                   nn_misc.c       new
 *   615   loop                     nn_misc.c       new
 *   620   loopBreak                nn_misc.c       new
 *   625   loopContinue             nn_misc.c       new
 *   635   rangeStatic              nn_shape.c      new
 *   640   rangeDynamic             nn_shape.c      new
 *   660   clip                     nn.c            before
 *   665   ceil                     nn_elem.c       new
 *   670   floor                    nn_elem.c       new
 *   680   sign                     nn_elem.c       new
 *   685   round                    nn_elem.c       new
 *   700   exp2                     nn_elem.c       new
 *   710   sin                      nn_elem.c       new
 *   715   cos                      nn_elem.c       new
 *   720   tan                      nn_elem.c       new
 *   730   asin                     nn_elem.c       new
 *   735   acos                     nn_elem.c       new
 *   740   atan                     nn_elem.c       new
 *   750   sinh                     nn_elem.c       new
 *   755   cosh                     nn_elem.c       new
 *   760   tanh                     nn_elem.c       new
 *   770   asinh                    nn_elem.c       new
 *   775   acosh                    nn_elem.c       new
 *   780   atanh                    nn_elem.c       new
 *   790   erf                      nn_elem.c       new
 *   795   gelu                     nn.c            before
 *   815   equal                    nn_elem.c       new
 *   820   notEqual                 nn_elem.c       new
 *   825   lessThan                 nn_elem.c       new
 *   827   lessEqual                nn_elem.c       new
 *   830   greaterThan              nn_elem.c       new
 *   832   greaterEqual             nn_elem.c       new
 *   840   logicalOr                nn_elem.c       new
 *   845   logicalXor               nn_elem.c       new
 *   850   logicalNot               nn_elem.c       new
 *   855   logicalAnd               nn_elem.c       new
 *   865   modBroadcastable         nn_elem.c       new
 *   870   minBroadcastable         nn.c            before
 *   875   maxBroadcastable         nn.c            before
 *   880   addBroadcastable         nn.c            before
 *   885   powBroadcastable         nn.c            before
 *   890   divideBroadcastable      nn.c            before
 *   895   floorDivBroadcastable    nn_elem.c       new
 *   900   multiplyBroadcastable    nn.c            before
 *   905   subtractBroadcastable    nn.c            before
 *   920   tile                     nn_shape.c      new
 *   925   stack                    nn_shape.c      new
 *   930   gather                   nn_shape.c      new
 *   935   scatter                  nn_shape.c      new
 *   940   gatherND                 nn_shape.c      new
 *   945   scatterND                nn_shape.c      new
 *   950   softmaxND                nn.c            before
 *   952   gatherAlongAxis          nn_shape.c      new
 *   954   scatterAlongAxis         nn_shape.c      new
 *   960   reverse                  nn_shape.c      new
 *   965   reverseSeq               nn_shape.c      new
 *   975   splitND                  nn_shape.c      new
 *   980   concatND                 nn.c            before
 *   985   transpose                nn.c            before
 *   995   sliceStatic              nn_shape.c      new
 *   1000  sliceDynamic             nn_shape.c      new
 *   1005  slidingWindows           nn_shape.c      new
 *   1015  topK                     nn_misc.c       new
 *   1020  argMin                   nn_misc.c       new
 *   1025  argMax                   nn_misc.c       new
 *   1040  embeddingND              nn_misc.c       new
 *   1045  batchedMatmul            nn_misc.c       extended (two inputs with broadcasting and transposes, int8DynamicQuantize)
 *   1065  getShape                 nn_shape.c      new
 *   1070  loadConstantND           nn_shape.c      new
 *   1080  fillLike                 nn_shape.c      new
 *   1085  fillStatic               nn_shape.c      new
 *   1090  fillDynamic              nn_shape.c      new
 *   1100  broadcastToLike          nn_shape.c      new
 *   1105  broadcastToStatic        nn_shape.c      new
 *   1110  broadcastToDynamic       nn_shape.c      new
 *   1120  squeeze                  nn.c            before
 *   1125  expandDims               nn.c            before
 *   1130  flattenTo2D              nn.c            before
 *   1135  reshapeLike              nn_shape.c      new
 *   1140  reshapeStatic            nn.c            before
 *   1145  reshapeDynamic           nn_shape.c      new
 *   1150  rankPreservingReshape    nn_shape.c      new
 *   1155  constantPad              nn_shape.c      new
 *   1170  randomNormalLike         nn_misc.c       new
 *   1175  randomNormalStatic       nn_misc.c       new
 *   1180  randomNormalDynamic      nn_misc.c       new
 *   1190  randomUniformLike        nn_misc.c       new
 *   1195  randomUniformStatic      nn_misc.c       new
 *   1200  randomUniformDynamic     nn_misc.c       new
 *   1210  randomBernoulliLike      nn_misc.c       new
 *   1215  randomBernoulliStatic    nn_misc.c       new
 *   1220  randomBernoulliDynamic   nn_misc.c       new
 *   1230  categoricalDistribution  nn_misc.c       new
 *   1250  reduceL1                 nn.c            before
 *   1255  reduceL2                 nn.c            before
 *   1260  reduceMax                nn.c            before
 *   1265  reduceMin                nn.c            before
 *   1270  reduceSum                nn.c            before
 *   1275  reduceProd               nn.c            before
 *   1280  reduceMean               nn.c            before
 *   1285  reduceLogSum             nn.c            before
 *   1290  reduceSumSquare          nn.c            before
 *   1295  reduceLogSumExp          nn.c            before
 *   1313  whereNonZero             nn_shape.c      new
 *   1315  matrixBandPart           nn_shape.c      new
 *   1320  lowerTriangular          nn_shape.c      new
 *   1325  upperTriangular          nn_shape.c      new
 *   1330  whereBroadcastable       nn_elem.c       new
 *   1350  layerNormalization       nn_norm.c       new
 *   1400  NonMaximumSuppression    nn_misc.c       new
 *   1450  oneHot                   nn_shape.c      new
 *   1455  cumSum                   nn_shape.c      new
 *   1460  clampedReLU              nn_elem.c       new
 *   1461  argSort                  nn_misc.c       new
 *   1465  pooling3d                nn_misc.c       new
 *   1466  globalPooling3d          nn_misc.c       new
 *   1470  sliceBySize              nn_shape.c      new
 *   1471  convolution3d            nn_misc.c       new
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

static int chan_axis(int rank) { return nn_chan_axis(rank); }
static int64_t list_at(xctx *c, const char *name, int i, int64_t def) { return nn_list_at(c, name, i, def); }
static int copy_as(xctx *c, const xt *x, int r, const int64_t *dim);

static int64_t border(xctx *c, const char *prefix, int dim, bool end) {
    char name[160];
    snprintf(name, sizeof name, "%s%spaddingAmounts.borderAmounts[%d].%s", prefix, *prefix ? "." : "", dim,
             end ? "endEdgeSize" : "startEdgeSize");
    return exec_ai(c, name, 0);
}

/* Kernel sizes, strides, dilations and padding amounts are uint64 in the
 * proto: past 2^31 none describes a tensor that fits in memory, and sums
 * and products of such values wrap (an audit found (k - 1) * dilation and
 * in + 2 * padding overflowing). 0, or -1 after exec_fail. */
static int geom_ok(xctx *c, const int64_t *v, int n) {
    for (int i = 0; i < n; i++)
        if (v[i] < 0 || v[i] > EXEC_GEOM_MAX)
            return exec_fail(c, "kernel size, stride, dilation or padding %lld is out of range", (long long)v[i]);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1185-1242 SamePadding: out = ceil(in / stride),
 * total = max(0, (out-1)*stride + K - in); BOTTOM_RIGHT_HEAVY puts
 * floor(total/2) on top/left, TOP_LEFT_HEAVY on bottom/right. */
static void same_pad(xctx *c, int64_t in, int64_t ek, int64_t s, int64_t *lo, int64_t *hi) {
    int64_t o = (in + s - 1) / s, tot = (o - 1) * s + ek - in;
    if (tot < 0) tot = 0;
    const char *m = exec_as(c, "same.asymmetryMode");
    bool tlh = m && !strcmp(m, "TOP_LEFT_HEAVY");
    *lo = tlh ? tot - tot / 2 : tot / 2;
    *hi = tot - *lo;
}

/* ---- convolution ---------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1416-1536,1139-1183 ConvolutionLayerParams: weights
 * [outputChannels, kernelChannels, kH, kW] (deconvolution: [kernelChannels,
 * outputChannels/nGroups, kH, kW]); kernelSize default [3,3], stride and
 * dilationFactor default [1,1]; ValidPadding border amounts; out =
 * floor((in + pads - K_eff)/stride) + 1; deconvolution out = outputShape or
 * (in-1)*stride + K_eff - pads (valid) / in*stride (same). */
static int k_convolution(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    if (x->rank < 3) return exec_fail(c, "input rank must be at least 3");
    const xt *w = exec_aval_w(c, "weights");
    if ((!w || (!w->d && !w->lz)) && exec_nn_n_in(c) >= 2) w = exec_nn_in(c, 1);
    NEED(w, "weights");
    const xt *b = exec_ab(c, "hasBias") ? exec_aval(c, "bias") : NULL;
    bool deconv = exec_ab(c, "isDeconvolution");
    int64_t cout = exec_ai(c, "outputChannels", 0), groups = exec_ai(c, "nGroups", 1);
    if (groups < 1) groups = 1;
    int64_t kh = list_at(c, "kernelSize", 0, 3), kw = list_at(c, "kernelSize", 1, 3);
    int64_t s[2] = {list_at(c, "stride", 0, 1), list_at(c, "stride", 1, 1)};
    int64_t d[2] = {list_at(c, "dilationFactor", 0, 1), list_at(c, "dilationFactor", 1, 1)};
    if (s[0] < 1 || s[1] < 1 || d[0] < 1 || d[1] < 1 || kh < 1 || kw < 1) return exec_fail(c, "bad kernel/stride/dilation");
    if (geom_ok(c, (const int64_t[]){kh, kw, s[0], s[1], d[0], d[1]}, 6) != 0) return -1;
    int r = x->rank;
    int64_t cin = x->dim[r - 3], H = x->dim[r - 2], W = x->dim[r - 1];
    int64_t ek[2] = {(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1};
    int64_t pad[4] = {0, 0, 0, 0};
    bool same = exec_ab(c, "same");
    if (!same) {
        pad[0] = border(c, "valid", 0, false); pad[1] = border(c, "valid", 0, true);
        pad[2] = border(c, "valid", 1, false); pad[3] = border(c, "valid", 1, true);
        if (geom_ok(c, pad, 4) != 0) return -1;
    }
    if (cout <= 0 || cin % groups || cout % groups) return exec_fail(c, "channels do not match nGroups");
    /* the product of hostile sizes (kernelSize is uint64) may wrap to a
     * small count that the weights pass; the loops then run kh x kw taps */
    int64_t wantw;
    if (__builtin_mul_overflow(deconv ? cin : cout, deconv ? cout / groups : cin / groups, &wantw) ||
        __builtin_mul_overflow(wantw, kh, &wantw) || __builtin_mul_overflow(wantw, kw, &wantw))
        return exec_fail(c, "weight count overflows (kernelSize %lld x %lld, %lld -> %lld channels)", (long long)kh,
                         (long long)kw, (long long)cin, (long long)cout);
    if (w->n < (uint64_t)wantw) return exec_fail(c, "weights hold %zu values, %lld needed", w->n, (long long)wantw);
    if (b && b->d && (int64_t)b->n < cout) return exec_fail(c, "bias shorter than outputChannels");
    int64_t ho, wo;
    if (!deconv) {
        if (same) {
            same_pad(c, H, ek[0], s[0], &pad[0], &pad[1]);
            same_pad(c, W, ek[1], s[1], &pad[2], &pad[3]);
        }
        ho = (H + pad[0] + pad[1] - ek[0]) / s[0] + 1;
        wo = (W + pad[2] + pad[3] - ek[1]) / s[1] + 1;
    } else {
        int64_t fh = (H - 1) * s[0] + ek[0], fw = (W - 1) * s[1] + ek[1];
        if (same) { ho = H * s[0]; wo = W * s[1]; }
        else { ho = fh - pad[0] - pad[1]; wo = fw - pad[2] - pad[3]; }
        int64_t os[2];
        if (exec_aints(c, "outputShape", os, 2) == 2) { ho = os[0]; wo = os[1]; }
        if (same || exec_aints(c, "outputShape", os, 2) == 2) {
            int64_t th = fh - ho, tw = fw - wo;
            if (th < 0) th = 0;
            if (tw < 0) tw = 0;
            if (same || (pad[0] + pad[1] == 0 && pad[2] + pad[3] == 0)) {
                pad[0] = th / 2; pad[1] = th - pad[0]; pad[2] = tw / 2; pad[3] = tw - pad[2];
            }
        }
    }
    if (ho < 1 || wo < 1) return exec_fail(c, "empty output");
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[r - 3] = cout;
    dim[r - 2] = ho;
    dim[r - 1] = wo;
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    if (deconv)
        return exec_dense(c, w) ? exec_deconv2d(c, x, exec_dense(c, w), b && b->d ? b->d : NULL, cout, groups, kh, kw,
                                                s, d, pad, y)
                                : exec_fail(c, "out of memory (weights)");
    return exec_conv2d_w(c, x, w, b && b->d ? b->d : NULL, cout, groups, kh, kw, s, d, pad, y);
}

/* ---- batchnorm ------------------------------------------------------------------------ */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1843-1892
 * BatchnormLayerParams: y = gamma*(x-mean)/sqrt(var+eps)+beta
 * over the channel axis -3; epsilon defaults to 1e-5 when 0; computeMeanVar
 * takes mean/variance from the input (per instance when instanceNormalization). */
static int k_batchnorm(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int ca = chan_axis(x->rank);
    int64_t C = x->dim[ca], inner = 1, outer = 1;
    for (int i = ca + 1; i < x->rank; i++) inner *= x->dim[i];
    for (int i = 0; i < ca; i++) outer *= x->dim[i];
    double eps = exec_af(c, "epsilon", 0);
    if (eps == 0) eps = 1e-5;
    const xt *g = exec_aval(c, "gamma"), *be = exec_aval(c, "beta"), *mu = exec_aval(c, "mean"),
             *va = exec_aval(c, "variance");
    bool compute = exec_ab(c, "computeMeanVar"), inst = exec_ab(c, "instanceNormalization");
    if (!compute && (!mu || !va || (int64_t)mu->n < C || (int64_t)va->n < C)) return exec_fail(c, "mean/variance missing");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    size_t groups = compute && inst ? (size_t)outer : 1;
    for (size_t gi = 0; gi < groups; gi++)
        for (int64_t ch = 0; ch < C; ch++) {
            double m, v;
            int64_t o0 = compute && inst ? (int64_t)gi : 0, o1 = compute && inst ? (int64_t)gi + 1 : outer;
            if (compute) {
                double s = 0, s2 = 0;
                int64_t cnt = 0;
                for (int64_t o = o0; o < o1; o++)
                    for (int64_t i = 0; i < inner; i++) { double t = x->d[(o * C + ch) * inner + i]; s += t; cnt++; }
                m = cnt ? s / (double)cnt : 0;
                for (int64_t o = o0; o < o1; o++)
                    for (int64_t i = 0; i < inner; i++) { double t = x->d[(o * C + ch) * inner + i] - m; s2 += t * t; }
                v = cnt ? s2 / (double)cnt : 0;
            } else {
                m = mu->d[ch];
                v = va->d[ch];
            }
            double sc = (g && g->d && (int64_t)g->n >= C ? g->d[ch] : 1.0) / sqrt(v + eps);
            double sh = (be && be->d && (int64_t)be->n >= C ? be->d[ch] : 0.0) - m * sc;
            for (int64_t o = o0; o < o1; o++) {
                const float *xp = x->d + (o * C + ch) * inner;
                float *yp = y->d + (o * C + ch) * inner;
                for (int64_t i = 0; i < inner; i++) yp[i] = (float)(xp[i] * sc + sh);
            }
        }
    return 0;
}

/* ---- activation ------------------------------------------------------------------------ */

static int act_kind(const cml_op *op) {
    static const char *const kinds[] = {"ReLU", "leakyReLU", "thresholdedReLU", "PReLU", "tanh", "scaledTanh",
                                        "sigmoid", "sigmoidHard", "linear", "ELU", "softsign", "softplus",
                                        "parametricSoftplus"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        const cml_attr *a = cml_op_attr(op, kinds[i]);
        if (a && a->kind == CML_ATTR_BOOL && a->b) return (int)i;
    }
    return -1;
}

static int chk_activation(const exec_io *io, const cml_op *op, char *why, size_t n) {
    if (act_kind(op) < 0) { snprintf(why, n, "no supported nonlinearity"); return -1; }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:129-144
 * Activation* messages: leakyReLU x>=0 ? x : a*x;
 * thresholdedReLU x>=a ? x : 0; PReLU per channel; scaledTanh a*tanh(b*x);
 * sigmoidHard min(max(a*x+b,0),1); linear a*x+b; ELU x>=0 ? x : a*(e^x-1);
 * softsign x/(1+|x|); softplus log(1+e^x); parametricSoftplus
 * a[c]*log(1+e^(b[c]*x)). */
static int k_activation(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int k = act_kind(c->op);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    const char *pre[] = {"ReLU", "leakyReLU", "thresholdedReLU", "PReLU", "tanh", "scaledTanh", "sigmoid",
                         "sigmoidHard", "linear", "ELU", "softsign", "softplus", "parametricSoftplus"};
    char an[64], bn[64];
    snprintf(an, sizeof an, "%s.alpha", k >= 0 ? pre[k] : "");
    snprintf(bn, sizeof bn, "%s.beta", k >= 0 ? pre[k] : "");
    float a = (float)exec_af(c, an, 0), b = (float)exec_af(c, bn, 0);
    const float *xd = x->d;
    float *yd = y->d;
    size_t n = x->n;
    switch (k) {
    case 0: for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = v > 0 || v != v ? v : 0.0f; } break;
    case 1: for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = v >= 0 ? v : a * v; } break;
    case 2: for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = v >= a ? v : 0.0f; } break;
    case 3: case 12: {
        const xt *al = exec_aval(c, k == 3 ? "PReLU.alpha" : "parametricSoftplus.alpha");
        const xt *bl = k == 12 ? exec_aval(c, "parametricSoftplus.beta") : NULL;
        NEED(al, "alpha");
        int ca = chan_axis(x->rank);
        int64_t C = x->dim[ca], inner = 1;
        for (int i = ca + 1; i < x->rank; i++) inner *= x->dim[i];
        for (size_t i = 0; i < n; i++) {
            size_t ch = (size_t)((int64_t)i / inner % C);
            float av = al->d[al->n == 1 ? 0 : ch < al->n ? ch : 0], v = xd[i];
            if (k == 3) yd[i] = v >= 0 ? v : av * v;
            else {
                float bv = bl && bl->d ? bl->d[bl->n == 1 ? 0 : ch < bl->n ? ch : 0] : 1.0f;
                yd[i] = av * log1pf(expf(bv * v));
            }
        }
        break;
    }
    case 4: for (size_t i = 0; i < n; i++) yd[i] = tanhf(xd[i]); break;
    case 5: for (size_t i = 0; i < n; i++) yd[i] = a * tanhf(b * xd[i]); break;
    case 6: for (size_t i = 0; i < n; i++) yd[i] = 1.0f / (1.0f + expf(-xd[i])); break;
    case 7: for (size_t i = 0; i < n; i++) { float v = a * xd[i] + b; yd[i] = v < 0 ? 0 : v > 1 ? 1 : v; } break;
    case 8: for (size_t i = 0; i < n; i++) yd[i] = a * xd[i] + b; break;
    case 9: for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = v >= 0 ? v : a * expm1f(v); } break;
    case 10: for (size_t i = 0; i < n; i++) yd[i] = xd[i] / (1.0f + fabsf(xd[i])); break;
    case 11: for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = log1pf(expf(-fabsf(v))) + (v > 0 ? v : 0); } break;
    default: return exec_fail(c, "no supported nonlinearity");
    }
    return 0;
}

/* ---- pooling ------------------------------------------------------------------------------ */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1894-1979,1951-1959
 * PoolingLayerParams: kernelSize default [3,3],
 * stride [1,1]; valid / same / includeLastPixel (ValidCompletePadding:
 * out = ceil((in + 2p - k)/s) + 1, minus one if either axis's p > 0 and
 * (out-1)*s >= in + p);
 * globalPooling uses the whole plane; avgPoolExcludePadding. */
static int k_pooling(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    if (x->rank < 2) return exec_fail(c, "input rank must be at least 2");
    const char *ty = exec_as(c, "type");
    int type = !ty || !strcmp(ty, "MAX") ? POOL_MAX : !strcmp(ty, "AVERAGE") ? POOL_AVG : POOL_L2;
    int r = x->rank;
    int64_t H = x->dim[r - 2], W = x->dim[r - 1];
    int64_t kh = list_at(c, "kernelSize", 0, 3), kw = list_at(c, "kernelSize", 1, 3);
    int64_t s[2] = {list_at(c, "stride", 0, 1), list_at(c, "stride", 1, 1)};
    int64_t pad[4] = {0, 0, 0, 0}, ho, wo;
    if (!exec_ab(c, "globalPooling") && (kh < 1 || kw < 1)) return exec_fail(c, "empty kernel");
    if (!exec_ab(c, "globalPooling") && geom_ok(c, (const int64_t[]){kh, kw, s[0], s[1]}, 4) != 0) return -1;
    if (exec_ab(c, "globalPooling")) {
        kh = H; kw = W; s[0] = s[1] = 1;
        ho = wo = 1;
    } else if (exec_ab(c, "includeLastPixel")) {
        int64_t p[2] = {list_at(c, "includeLastPixel.paddingAmounts", 0, 0),
                        list_at(c, "includeLastPixel.paddingAmounts", 1, 0)};
        if (geom_ok(c, p, 2) != 0) return -1;
        int64_t in[2] = {H, W}, k2[2] = {kh, kw}, o[2];
        for (int i = 0; i < 2; i++) {
            if (s[i] < 1) return exec_fail(c, "bad stride");
            int64_t span = in[i] + 2 * p[i] - k2[i];
            o[i] = (span >= 0 ? (span + s[i] - 1) / s[i] : 0) + 1;
            /* either axis's padding turns the correction on for both
             * ("if (paddingAmounts[0] > 0 or paddingAmounts[1] > 0)"): a
             * last window starting at or past in + p would be empty */
            if ((p[0] > 0 || p[1] > 0) && (o[i] - 1) * s[i] >= in[i] + p[i]) o[i]--;
            /* symmetric padding; a last window reaching past it is clipped
             * (the average divides by its extent within the padded input) */
            pad[2 * i] = pad[2 * i + 1] = p[i];
        }
        ho = o[0];
        wo = o[1];
    } else if (exec_ab(c, "same")) {
        if (s[0] < 1 || s[1] < 1) return exec_fail(c, "bad stride");
        same_pad(c, H, kh, s[0], &pad[0], &pad[1]);
        same_pad(c, W, kw, s[1], &pad[2], &pad[3]);
        ho = (H + s[0] - 1) / s[0];
        wo = (W + s[1] - 1) / s[1];
    } else {
        if (s[0] < 1 || s[1] < 1) return exec_fail(c, "bad stride");
        pad[0] = border(c, "valid", 0, false); pad[1] = border(c, "valid", 0, true);
        pad[2] = border(c, "valid", 1, false); pad[3] = border(c, "valid", 1, true);
        if (geom_ok(c, pad, 4) != 0) return -1;
        ho = (H + pad[0] + pad[1] - kh) / s[0] + 1;
        wo = (W + pad[2] + pad[3] - kw) / s[1] + 1;
    }
    if (ho < 1 || wo < 1) return exec_fail(c, "empty output");
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[r - 2] = ho;
    dim[r - 1] = wo;
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    exec_pool2d(c->p, x, y, type, kh, kw, s, pad, exec_ab(c, "avgPoolExcludePadding"));
    return 0;
}

/* ---- innerProduct / batchedMatmul ------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1719-1770
 * InnerProductLayerParams: rank 1..3 act on the
 * last dim; rank 4 [x1, C_in, 1, 1] -> [x1, C_out, 1, 1]; rank 5
 * [x1, x2, C_in, 1, 1] -> [x1, x2, C_out, 1, 1]; weights [C_out, C_in]
 * row-major. A rank-4/5 input whose [C, H, W] holds C_in values in all is
 * read flattened (as a converter's flatten would give it); any other is
 * refused: one row of C_in values per leading index, no more. */
static int k_innerProduct(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    const xt *w = exec_aval_w(c, "weights");
    NEED(w, "weights");
    const xt *b = exec_ab(c, "hasBias") ? exec_aval(c, "bias") : NULL;
    int64_t cin = exec_ai(c, "inputChannels", 0), cout = exec_ai(c, "outputChannels", 0);
    int64_t wantw;
    /* inputChannels and outputChannels are uint64: their product may wrap */
    if (cin <= 0 || cout <= 0 || __builtin_mul_overflow(cin, cout, &wantw))
        return exec_fail(c, "inputChannels %lld x outputChannels %lld: out of range (the weight count overflows)",
                         (long long)cin, (long long)cout);
    if (w->n < (uint64_t)wantw) return exec_fail(c, "weights do not match the channels");
    /* a bias of fewer than outputChannels values was read past its end
     * (heap bytes in the outputs, an adversarial pass found) */
    if (b && b->d && b->n < (uint64_t)cout)
        return exec_fail(c, "bias holds %zu values for %lld outputChannels", b->n, (long long)cout);
    int r = x->rank;
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    size_t m;
    if (r <= 3) {
        if (x->dim[r - 1] != cin) return exec_fail(c, "input has %lld features, expected %lld", (long long)x->dim[r - 1], (long long)cin);
        dim[r - 1] = cout;
        m = x->n / (size_t)cin;
    } else {
        int lead = r == 4 ? 1 : 2;
        size_t rows = 1, per = 1;
        for (int i = 0; i < r; i++) {
            if (i < lead) rows *= (size_t)x->dim[i];
            else per *= (size_t)x->dim[i];
        }
        if (per != (size_t)cin)
            return exec_fail(c, "input [C, H, W] holds %zu values per row, inputChannels is %lld", per, (long long)cin);
        dim[lead] = cout;
        for (int i = lead + 1; i < r; i++) dim[i] = 1;
        m = rows;
    }
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    /* int8DynamicQuantize: the input is quantized to int8 first (nn_dyn_quant) */
    float *q = exec_ab(c, "int8DynamicQuantize") ? nn_dyn_quant(x) : NULL;
    if (exec_ab(c, "int8DynamicQuantize") && !q) return exec_fail(c, "out of memory");
    int rc = exec_linear_w(c, q ? q : x->d, m, cin, w, b && b->d ? b->d : NULL, cout, y->d);
    free(q);
    return rc;
}

/* ---- elementwise over inputs ---------------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2356-2387,2389-2420,3279-3298
 * AddLayerParams / MultiplyLayerParams (one input:
 * x + alpha / alpha * x), AverageLayerParams, MaxLayerParams, MinLayerParams;
 * broadcasting as in NumPy (a superset of the shapes the proto lists). */
static int fold(xctx *c, int op, bool average) {
    size_t n = exec_nn_n_in(c);
    const xt *x0 = exec_nn_in(c, 0);
    NEED(x0, "input");
    if (n == 1) {
        xt *y = exec_out_like(c, 0, x0);
        if (!y) return exec_fail(c, "out of memory");
        float a = (float)exec_af(c, "alpha", op == BIN_MUL ? 1.0 : 0.0);
        for (size_t i = 0; i < x0->n; i++) y->d[i] = op == BIN_MUL ? x0->d[i] * a : op == BIN_ADD ? x0->d[i] + a : x0->d[i];
        return 0;
    }
    int r = x0->rank;
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x0->dim, sizeof dim);
    for (size_t i = 1; i < n; i++) {
        const xt *xi = exec_nn_in(c, i);
        NEED(xi, "input");
        xt acc = {.rank = r};
        memcpy(acc.dim, dim, sizeof dim);
        if (exec_broadcast_shape(&acc, xi, &r, dim) != 0) return exec_fail(c, "inputs do not broadcast");
    }
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    xt one = {.rank = 0, .n = 1};
    float zero = 0.0f;
    one.d = &zero;
    exec_binary_par(c->p, BIN_ADD, x0, &one, y);
    for (size_t i = 1; i < n; i++) exec_binary_par(c->p, op, y, exec_nn_in(c, i), y);
    if (average)
        for (size_t i = 0; i < y->n; i++) y->d[i] /= (float)n;
    return 0;
}
static int k_add(xctx *c) { return fold(c, BIN_ADD, false); }
static int k_multiply(xctx *c) { return fold(c, BIN_MUL, false); }
static int k_average(xctx *c) { return fold(c, BIN_ADD, true); }
static int k_max(xctx *c) { return fold(c, BIN_MAX, false); }
static int k_min(xctx *c) { return fold(c, BIN_MIN, false); }

static int bcast2(xctx *c, int op) {
    const xt *a = exec_nn_in(c, 0), *b = exec_nn_in(c, 1);
    NEED(a, "input 0");
    NEED(b, "input 1");
    int r;
    int64_t dim[EXEC_MAX_RANK];
    if (exec_broadcast_shape(a, b, &r, dim) != 0) return exec_fail(c, "inputs do not broadcast");
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    exec_binary_par(c->p, op, a, b, y);
    return 0;
}
static int k_addBroadcastable(xctx *c) { return bcast2(c, BIN_ADD); }
static int k_subtractBroadcastable(xctx *c) { return bcast2(c, BIN_SUB); }
static int k_multiplyBroadcastable(xctx *c) { return bcast2(c, BIN_MUL); }
static int k_divideBroadcastable(xctx *c) { return bcast2(c, BIN_DIV); }
static int k_maxBroadcastable(xctx *c) { return bcast2(c, BIN_MAX); }
static int k_minBroadcastable(xctx *c) { return bcast2(c, BIN_MIN); }
static int k_powBroadcastable(xctx *c) { return bcast2(c, BIN_POW); }

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2730-2778,2696-2728
 * ScaleLayerParams / BiasLayerParams: scale and
 * bias of shape [1], [C], [1,H,W] or [C,H,W] broadcast over the trailing
 * [C, H, W] dims. */
static int trailing_param(const xt *x, const xt *p, const int64_t *shape, int ns, xt *view) {
    memset(view, 0, sizeof *view);
    int r = x->rank;
    view->rank = r;
    for (int i = 0; i < r; i++) view->dim[i] = 1;
    if (ns == 1) { view->dim[r >= 3 ? r - 3 : r - 1] = shape[0]; }
    else if (ns == 3) { for (int i = 0; i < 3 && r - 3 + i >= 0; i++) view->dim[r - 3 + i] = shape[i]; }
    else return -1;
    view->n = exec_count(r, view->dim);
    if (view->n > p->n) return -1;
    view->d = p->d;
    return 0;
}

/* p broadcasts onto x without changing x's shape */
static bool fits(const xt *x, const xt *p) {
    int r;
    int64_t dim[EXEC_MAX_RANK];
    if (exec_broadcast_shape(x, p, &r, dim) != 0 || r != x->rank) return false;
    for (int i = 0; i < r; i++)
        if (dim[i] != x->dim[i]) return false;
    return true;
}

static int k_scale(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *s = exec_aval(c, "scale");
    NEED(x, "input");
    NEED(s, "scale");
    int64_t sh[4];
    int ns = exec_aints(c, "shapeScale", sh, 4);
    if (ns < 0) { sh[0] = (int64_t)s->n; ns = 1; }
    xt v;
    if (trailing_param(x, s, sh, ns, &v) != 0 || !fits(x, &v)) return exec_fail(c, "bad shapeScale");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    exec_binary(BIN_MUL, x, &v, y);
    if (exec_ab(c, "hasBias")) {
        const xt *b = exec_aval(c, "bias");
        NEED(b, "bias");
        ns = exec_aints(c, "shapeBias", sh, 4);
        if (ns < 0) { sh[0] = (int64_t)b->n; ns = 1; }
        if (trailing_param(x, b, sh, ns, &v) != 0 || !fits(x, &v)) return exec_fail(c, "bad shapeBias");
        exec_binary(BIN_ADD, y, &v, y);
    }
    return 0;
}

static int k_bias(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *b = exec_aval(c, "bias");
    NEED(x, "input");
    NEED(b, "bias");
    int64_t sh[4];
    int ns = exec_aints(c, "shape", sh, 4);
    if (ns < 0) { sh[0] = (int64_t)b->n; ns = 1; }
    xt v;
    if (trailing_param(x, b, sh, ns, &v) != 0 || !fits(x, &v)) return exec_fail(c, "bad bias shape");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    exec_binary(BIN_ADD, x, &v, y);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2422-2509
 * UnaryFunctionLayerParams: x' = scale*x + shift
 * (scale defaults to 1 when 0); SQRT, RSQRT 1/sqrt(x'+eps), INVERSE 1/(x'+eps),
 * POWER x'^alpha, EXP, LOG, ABS, THRESHOLD max(alpha, x'); eps default 1e-6. */
static int k_unary(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    const char *t = exec_as(c, "type");
    if (!t) t = "SQRT";
    float al = (float)exec_af(c, "alpha", 0), eps = (float)exec_af(c, "epsilon", 0),
          sh = (float)exec_af(c, "shift", 0), sc = (float)exec_af(c, "scale", 0);
    if (eps == 0) eps = 1e-6f;
    if (sc == 0) sc = 1;
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    int op = !strcmp(t, "SQRT") ? 0 : !strcmp(t, "RSQRT") ? 1 : !strcmp(t, "INVERSE") ? 2 : !strcmp(t, "POWER") ? 3
           : !strcmp(t, "EXP") ? 4 : !strcmp(t, "LOG") ? 5 : !strcmp(t, "ABS") ? 6 : !strcmp(t, "THRESHOLD") ? 7 : -1;
    if (op < 0) return exec_fail(c, "unknown unary type '%s'", t);
    for (size_t i = 0; i < x->n; i++) {
        float v = sc * x->d[i] + sh, r;
        switch (op) {
        case 0: r = sqrtf(v); break;
        case 1: r = 1.0f / sqrtf(v + eps); break;
        case 2: r = 1.0f / (v + eps); break;
        case 3: r = powf(v, al); break;
        case 4: r = expf(v); break;
        case 5: r = logf(v); break;
        case 6: r = fabsf(v); break;
        default: r = v < al ? al : v; break;
        }
        y->d[i] = r;
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5830-5848
 * ClipLayerParams: min(max(x, minval), maxval) */
static int k_clip(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    float lo = (float)exec_af(c, "minVal", 0), hi = (float)exec_af(c, "maxVal", 0);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) { float v = x->d[i]; y->d[i] = v < lo ? lo : v > hi ? hi : v; }
    return 0;
}

/* ---- shape layers ------------------------------------------------------------------------------------ */

int nn_copy_as(xctx *c, const xt *x, int r, const int64_t *dim) {
    if (exec_count(r, dim) != x->n) return exec_fail(c, "element count changes (%zu -> %zu)", x->n, exec_count(r, dim));
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    exec_copy(y, x);
    return 0;
}
static int copy_as(xctx *c, const xt *x, int r, const int64_t *dim) { return nn_copy_as(c, x, r, dim); }

int nn_ints(const xt *x, int64_t *out, size_t n) {
    if (!x || !x->d || x->n < n) return -1;
    for (size_t i = 0; i < n; i++) out[i] = exec_f2i(x->d[i]);
    return 0;
}

/* Concatenation on `axis` of an output of rank `rank`. With `align` (only
 * concatND: see k_concatND) an input of a lower rank is read with leading
 * unit dimensions up to `rank`; without it every input has rank `rank`. */
static int concat_axis(xctx *c, int axis, int rank, bool align) {
    size_t n = exec_nn_n_in(c);
    const xt *f = exec_nn_in(c, 0);
    NEED(f, "input");
    int64_t dim[EXEC_MAX_RANK], vd[EXEC_MAX_RANK];
    bool have = false;
    for (size_t i = 0; i < n; i++) {
        const xt *v = exec_nn_in(c, i);
        NEED(v, "input");
        if (v->rank > rank || (!align && v->rank != rank)) return exec_fail(c, "ranks differ");
        int pad = rank - v->rank;
        for (int k = 0; k < rank; k++) vd[k] = k < pad ? 1 : v->dim[k - pad];
        if (!have) {
            memcpy(dim, vd, sizeof dim);
            dim[axis] = 0;
            have = true;
        }
        for (int k = 0; k < rank; k++)
            if (k != axis && vd[k] != dim[k]) return exec_fail(c, "shapes differ off the axis");
        dim[axis] += vd[axis];
    }
    xt *y = exec_out(c, 0, rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t inner = 1, outer = 1, off = 0;
    for (int k = axis + 1; k < rank; k++) inner *= dim[k];
    for (int k = 0; k < axis; k++) outer *= dim[k];
    for (size_t i = 0; i < n; i++) {
        const xt *v = exec_nn_in(c, i);
        /* the input's extent on the axis: 1 on a leading dimension it lacks */
        int64_t along = axis < rank - v->rank ? 1 : v->dim[axis - (rank - v->rank)];
        int64_t ch = along * inner;
        for (int64_t o = 0; o < outer; o++)
            memcpy(y->d + o * dim[axis] * inner + off, v->d + o * ch, (size_t)ch * sizeof(float));
        off += ch;
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2244-2270
 * ConcatLayerParams: axis -3, or -5 with sequenceConcat. */
static int k_concat(xctx *c) {
    const xt *f = exec_nn_in(c, 0);
    NEED(f, "input");
    int axis = exec_ab(c, "sequenceConcat") ? f->rank - 5 : chan_axis(f->rank);
    if (axis < 0) return exec_fail(c, "rank too small for sequenceConcat");
    return concat_axis(c, axis, f->rank, false);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3991-4040 (commit e0e2f42b)
 * ConcatNDLayerParams: "The rank of the input tensors must match"; axis may
 * be negative, and is 0 when unset (proto3).
 *
 * Inputs of different ranks: Create ML (11.3 to 15.0) writes action
 * classifiers whose decoder is
 *   getShape(conv) -> gather(loadConstantND [1] = {0}) -> expandDims(axes [0])
 *     -> concatND(that, loadConstantND [1] = {-1}) -> reshapeDynamic(conv, that)
 * and Core ML runs them. The ranks going into the concat are 2 and 1 by the
 * spec's own rules, so no earlier layer of ours is off: GatherLayerParams
 * (proto:4687-4725) "output.rank = (data.rank - 1) + indices.rank" = 1;
 * ExpandDimsLayerParams (proto:5520-5549) adds one per axis = 2;
 * coremltools models/neural_network/builder.py add_gather (:6521) and
 * add_expand_dims (:7473) record the same ranks; and the models' own
 * inputTensor / outputTensor annotations on the expandDims say rank 1 in,
 * rank 2 out. So concatND has to take unequal ranks. Nothing public says
 * how Core ML lines them up; we align them from the end, as the ND layers
 * do elsewhere (the proto's header maps the legacy axes to axes counted from
 * the end; the broadcastable layers, e.g. PowBroadcastableLayerParams
 * (proto:4442-4463): "conventional numpy-like broadcasting", which prepends
 * unit dims): a lower-rank input gets leading 1s up to the highest rank, and
 * `axis` counts in that rank. Inputs that still differ off the axis are
 * refused. For the decoder the alignment does not matter: on axis 0 with
 * every other dim 1 the output holds the inputs' values one after the
 * other, {1, -1}, here as [2, 1]; reshapeDynamic reads its values as the
 * target [1, -1] (k_reshapeDynamic), so the conv's [1, C, 1, 1] scores
 * become [1, C] for the softmax: the class scores in order, as Core ML
 * must compute for the classifier's C labels to line up. */
static int k_concatND(xctx *c) {
    size_t n = exec_nn_n_in(c);
    int rank = 0;
    for (size_t i = 0; i < n; i++) {
        const xt *v = exec_nn_in(c, i);
        NEED(v, "input");
        if (v->rank > rank) rank = v->rank;
    }
    int axis = exec_axis((int)exec_ai(c, "axis", 0), rank);
    if (axis < 0) return exec_fail(c, "axis out of range");
    return concat_axis(c, axis, rank, true);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2843-2875
 * FlattenLayerParams: [.., C, H, W] -> [.., C*H*W, 1, 1];
 * CHANNEL_LAST orders the values H, W, C. */
static int k_flatten(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    if (r < 3) return copy_as(c, x, r, x->dim);
    int64_t C = x->dim[r - 3], H = x->dim[r - 2], W = x->dim[r - 1], dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[r - 3] = C * H * W;
    dim[r - 2] = dim[r - 1] = 1;
    const char *m = exec_as(c, "mode");
    if (!m || strcmp(m, "CHANNEL_LAST") != 0 || (H == 1 && W == 1)) return copy_as(c, x, r, dim);
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t outer = x->n / exec_nz(C * H * W);
    for (size_t o = 0; o < outer; o++)
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t i = 0; i < H * W; i++) y->d[o * (size_t)(C * H * W) + (size_t)(i * C + ch)] = x->d[o * (size_t)(C * H * W) + (size_t)(ch * H * W + i)];
    return 0;
}

static int k_reshapeStatic(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t t[EXEC_MAX_RANK];
    int n = exec_aints(c, "targetShape", t, EXEC_MAX_RANK);
    if (n < 1) return exec_fail(c, "targetShape missing");
    int infer = -1;
    size_t known = 1;
    for (int i = 0; i < n; i++) {
        if (t[i] == 0 && i < x->rank) t[i] = x->dim[i];
        if (t[i] == -1) { infer = i; t[i] = 1; continue; }
        known *= (size_t)(t[i] > 0 ? t[i] : 0);
    }
    if (infer >= 0) t[infer] = known ? (int64_t)(x->n / known) : 0;
    return copy_as(c, x, n, t);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2877-2925
 * ReshapeLayerParams: targetShape [C,H,W] keeps
 * the leading (sequence/batch) dims, [Seq,C,H,W] sets the sequence; CHANNEL_LAST
 * flattens H,W,C and permutes the result back to C,H,W. */
static int k_reshape(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t t[4];
    int n = exec_aints(c, "targetShape", t, 4);
    if (n != 3 && n != 4) return exec_fail(c, "targetShape must have 3 or 4 values");
    /* one -1 takes what the others leave (converters write it, e.g. onnx-coreml's [-1, C, H, W]) */
    int infer = -1;
    size_t known = 1;
    for (int i = 0; i < n; i++) {
        if (t[i] == -1 && infer < 0) { infer = i; continue; }
        if (t[i] < 0) return exec_fail(c, "negative targetShape value %lld", (long long)t[i]);
        known *= (size_t)t[i];
    }
    if (infer >= 0) {
        size_t lead = 1;
        if (n == 3)
            for (int i = 0; i < x->rank - 3; i++) lead *= (size_t)x->dim[i];
        t[infer] = known && lead ? (int64_t)(x->n / (known * lead)) : 0;
    }
    int64_t dim[EXEC_MAX_RANK];
    int r;
    if (n == 3) {
        int lead = x->rank >= 3 ? x->rank - 3 : 0;
        for (int i = 0; i < lead; i++) dim[i] = x->dim[i];
        for (int i = 0; i < 3; i++) dim[lead + i] = t[i];
        r = lead + 3;
    } else if (x->rank == 5) {
        dim[0] = t[0]; dim[1] = 1; dim[2] = t[1]; dim[3] = t[2]; dim[4] = t[3];
        r = 5;
    } else {
        for (int i = 0; i < 4; i++) dim[i] = t[i];
        r = 4;
    }
    const char *m = exec_as(c, "mode");
    if (!m || strcmp(m, "CHANNEL_LAST") != 0) return copy_as(c, x, r, dim);
    if (exec_count(r, dim) != x->n || x->rank < 3) return exec_fail(c, "element count changes");
    /* flatten each sample as H,W,C; read it as [H',W',C']; permute to C',H',W' */
    int xr = x->rank;
    int64_t C = x->dim[xr - 3], HW = x->dim[xr - 2] * x->dim[xr - 1];
    int64_t C2 = dim[r - 3], HW2 = dim[r - 2] * dim[r - 1];
    size_t per = (size_t)(C * HW), outer = per ? x->n / per : 0;
    /* each sample is reordered in place of itself: a 4-value target that
     * moves values between the sequence and [C, H, W] keeps the count but
     * not the sample (its reordering would run past both buffers) */
    if (C2 * HW2 != C * HW)
        return exec_fail(c, "CHANNEL_LAST reshape to [C, H, W] = [%lld, %lld, %lld] changes the values per sample (%lld -> %lld)",
                         (long long)C2, (long long)dim[r - 2], (long long)dim[r - 1], (long long)(C * HW),
                         (long long)(C2 * HW2));
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    float *tmp = malloc((per ? per : 1) * sizeof(float));
    if (!tmp) return exec_fail(c, "out of memory");
    for (size_t o = 0; o < outer; o++) {
        const float *xs = x->d + o * per;
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t i = 0; i < HW; i++) tmp[i * C + ch] = xs[ch * HW + i];
        float *ys = y->d + o * per;
        for (int64_t ch = 0; ch < C2; ch++)
            for (int64_t i = 0; i < HW2; i++) ys[ch * HW2 + i] = tmp[i * C2 + ch];
    }
    free(tmp);
    return 0;
}

static int k_flattenTo2D(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t a = exec_ai(c, "axis", 1);
    if (a < 0) a += x->rank;
    if (a < 0 || a > x->rank) return exec_fail(c, "axis out of range");
    int64_t d0 = 1;
    for (int i = 0; i < a; i++) d0 *= x->dim[i];
    int64_t dim[2] = {d0, d0 ? (int64_t)(x->n / (size_t)d0) : 0};
    return copy_as(c, x, 2, dim);
}

static int k_squeeze(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t ax[EXEC_MAX_RANK], dim[EXEC_MAX_RANK];
    int na = exec_aints(c, "axes", ax, EXEC_MAX_RANK);
    bool all = exec_ab(c, "squeezeAll") || na <= 0;
    unsigned mask = 0;
    for (int i = 0; i < na; i++) {
        int a = exec_axis((int)ax[i], x->rank);
        if (a < 0) return exec_fail(c, "axis out of range");
        mask |= 1u << a;
    }
    int r = 0;
    for (int i = 0; i < x->rank; i++)
        if (!(x->dim[i] == 1 && (all || (mask & (1u << i))))) dim[r++] = x->dim[i];
    return copy_as(c, x, r, dim);
}

static int k_expandDims(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t ax[EXEC_MAX_RANK], dim[EXEC_MAX_RANK];
    int na = exec_aints(c, "axes", ax, EXEC_MAX_RANK);
    if (na < 1 || x->rank + na > EXEC_MAX_RANK) return exec_fail(c, "bad axes");
    int R = x->rank + na;
    unsigned mask = 0;
    for (int i = 0; i < na; i++) {
        int a = exec_axis((int)ax[i], R);
        if (a < 0) return exec_fail(c, "axis out of range");
        mask |= 1u << a;
    }
    for (int i = 0, j = 0; i < R; i++) dim[i] = (mask & (1u << i)) ? 1 : x->dim[j++];
    return copy_as(c, x, R, dim);
}

static int k_transpose(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t ax[EXEC_MAX_RANK];
    if (exec_aints(c, "axes", ax, EXEC_MAX_RANK) != x->rank) return exec_fail(c, "axes must have rank values");
    int perm[EXEC_MAX_RANK];
    int64_t dim[EXEC_MAX_RANK];
    /* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto TransposeLayerParams: axes is a
     * permutation of the input's axes. A repeated axis would give an output of other dims than x's,
     * read with one stride twice: past x's end. */
    unsigned seen = 0;
    for (int i = 0; i < x->rank; i++) {
        perm[i] = exec_axis((int)ax[i], x->rank);
        if (perm[i] < 0 || (seen & (1u << perm[i])))
            return exec_fail(c, "axes are not a permutation of 0..%d (axis %lld at %d)", x->rank - 1,
                             (long long)ax[i], i);
        seen |= 1u << perm[i];
        dim[i] = x->dim[perm[i]];
    }
    xt *y = exec_out(c, 0, x->rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    exec_permute(x, perm, y);
    return 0;
}

/* ---- softmax and reductions ---------------------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2305-2331,4043-4061
 * SoftmaxLayerParams (axis -3) and SoftmaxNDLayerParams (axis). */
static int k_softmax(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    if (x->n) exec_softmax_axis(x->d, y->d, x->rank, x->dim, chan_axis(x->rank));
    return 0;
}

static int k_softmaxND(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int axis = exec_axis((int)exec_ai(c, "axis", -1), x->rank);
    if (axis < 0) return exec_fail(c, "axis out of range");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    if (x->n) exec_softmax_axis(x->d, y->d, x->rank, x->dim, axis);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3102-3218
 * ReduceLayerParams: axis CHW/HW/C/H/W = [-3,-2,-1],
 * [-2,-1], [-3], [-2], [-1]; output keeps the rank; LOGSUM is sum(ln(x+eps))
 * (eps default 1e-6); ARGMAX returns the index. */
static int k_reduce(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    const char *ax = exec_as(c, "axis"), *mode = exec_as(c, "mode");
    if (!ax) ax = "CHW";
    if (!mode) mode = "SUM";
    int r = x->rank;
    unsigned mask = 0;
    if (!strcmp(ax, "CHW")) mask = 7u << (r >= 3 ? r - 3 : 0);
    else if (!strcmp(ax, "HW")) mask = 3u << (r >= 2 ? r - 2 : 0);
    else if (!strcmp(ax, "C")) mask = 1u << chan_axis(r);
    else if (!strcmp(ax, "H")) mask = 1u << (r >= 2 ? r - 2 : 0);
    else mask = 1u << (r - 1);
    mask &= (1u << r) - 1u;
    int op = !strcmp(mode, "SUM") ? RED_SUM : !strcmp(mode, "AVG") ? RED_MEAN : !strcmp(mode, "PROD") ? RED_PROD
           : !strcmp(mode, "LOGSUM") ? RED_SUM : !strcmp(mode, "SUMSQUARE") ? RED_SUMSQ : !strcmp(mode, "L1") ? RED_L1
           : !strcmp(mode, "L2") ? RED_L2 : !strcmp(mode, "MAX") ? RED_MAX : !strcmp(mode, "MIN") ? RED_MIN
           : !strcmp(mode, "ARGMAX") ? RED_ARGMAX : -1;
    if (op < 0) return exec_fail(c, "unknown reduce mode '%s'", mode);
    int64_t dim[EXEC_MAX_RANK];
    for (int i = 0; i < r; i++) dim[i] = (mask & (1u << i)) ? 1 : x->dim[i];
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    if (!strcmp(mode, "LOGSUM")) {
        double eps = exec_af(c, "epsilon", 0);
        if (eps == 0) eps = 1e-6;
        xt t = *x;
        t.d = malloc((x->n ? x->n : 1) * sizeof(float));
        if (!t.d) return exec_fail(c, "out of memory");
        for (size_t i = 0; i < x->n; i++) t.d[i] = (float)log((double)x->d[i] + eps);
        exec_reduce(RED_SUM, &t, mask, y->d);
        free(t.d);
        return 0;
    }
    exec_reduce(op, x, mask, y->d);
    return 0;
}

/* spec-4 ND reductions: axes, keepDims, reduceAll */
static int reduce_nd(xctx *c, int op) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t ax[EXEC_MAX_RANK];
    int na = exec_aints(c, "axes", ax, EXEC_MAX_RANK);
    unsigned mask = 0;
    if (exec_ab(c, "reduceAll") || na <= 0) mask = x->rank ? (1u << x->rank) - 1u : 0;
    for (int i = 0; i < na; i++) {
        int a = exec_axis((int)ax[i], x->rank);
        if (a < 0) return exec_fail(c, "axis out of range");
        mask |= 1u << a;
    }
    bool keep = exec_ab(c, "keepDims");
    int64_t dim[EXEC_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (mask & (1u << i)) { if (keep) dim[r++] = 1; }
        else dim[r++] = x->dim[i];
    }
    if (r == 0) { dim[0] = 1; r = 1; }
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    exec_reduce(op, x, mask, y->d);
    return 0;
}
static int k_reduceSum(xctx *c) { return reduce_nd(c, RED_SUM); }
static int k_reduceMean(xctx *c) { return reduce_nd(c, RED_MEAN); }
static int k_reduceMax(xctx *c) { return reduce_nd(c, RED_MAX); }
static int k_reduceMin(xctx *c) { return reduce_nd(c, RED_MIN); }
static int k_reduceProd(xctx *c) { return reduce_nd(c, RED_PROD); }
static int k_reduceL1(xctx *c) { return reduce_nd(c, RED_L1); }
static int k_reduceL2(xctx *c) { return reduce_nd(c, RED_L2); }
static int k_reduceLogSum(xctx *c) { return reduce_nd(c, RED_LOGSUM); }
static int k_reduceSumSquare(xctx *c) { return reduce_nd(c, RED_SUMSQ); }
static int k_reduceLogSumExp(xctx *c) { return reduce_nd(c, RED_LOGSUMEXP); }

/* ---- padding ------------------------------------------------------------------------------------------ */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2137-2242
 * PaddingLayerParams: border amounts for H and W;
 * constant (value), reflection, replication. */
static int k_padding(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    if (r < 2) return exec_fail(c, "rank must be at least 2");
    int64_t t = border(c, "", 0, false), b = border(c, "", 0, true), l = border(c, "", 1, false),
            rr = border(c, "", 1, true);
    int mode = exec_ab(c, "reflection") ? 1 : exec_ab(c, "replication") ? 2 : 0;
    float cv = (float)exec_af(c, "constant.value", 0);
    int64_t H = x->dim[r - 2], W = x->dim[r - 1];
    if (mode == 1 && (t >= H || b >= H || l >= W || rr >= W)) return exec_fail(c, "reflection padding must be < dim");
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[r - 2] = H + t + b;
    dim[r - 1] = W + l + rr;
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t Ho = dim[r - 2], Wo = dim[r - 1];
    size_t planes = x->n / exec_nz(H * W);
    for (size_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < Ho; oh++)
            for (int64_t ow = 0; ow < Wo; ow++) {
                int64_t ih = oh - t, iw = ow - l;
                float v;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) v = x->d[(p * (size_t)H + (size_t)ih) * (size_t)W + (size_t)iw];
                else if (mode == 0) v = cv;
                else {
                    if (mode == 1) {
                        ih = ih < 0 ? -ih : ih >= H ? 2 * (H - 1) - ih : ih;
                        iw = iw < 0 ? -iw : iw >= W ? 2 * (W - 1) - iw : iw;
                    } else {
                        ih = ih < 0 ? 0 : ih >= H ? H - 1 : ih;
                        iw = iw < 0 ? 0 : iw >= W ? W - 1 : iw;
                    }
                    v = x->d[(p * (size_t)H + (size_t)ih) * (size_t)W + (size_t)iw];
                }
                y->d[(p * (size_t)Ho + (size_t)oh) * (size_t)Wo + (size_t)ow] = v;
            }
    return 0;
}

static int k_copy(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    return copy_as(c, x, x->rank, x->dim);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6002-6034 GeluLayerParams (EXACT, TANH_APPROXIMATION,
 * SIGMOID_APPROXIMATION) */
static int k_gelu(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    const char *m = exec_as(c, "mode");
    int mode = !m || !strcmp(m, "EXACT") ? 0 : !strcmp(m, "TANH_APPROXIMATION") ? 1 : 2;
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) {
        double v = x->d[i];
        y->d[i] = (float)(mode == 0 ? 0.5 * v * (1.0 + erf(v / sqrt(2.0)))
                          : mode == 1 ? 0.5 * v * (1.0 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
                                      : v / (1.0 + exp(-1.702 * v)));
    }
    return 0;
}

/* ---- table ------------------------------------------------------------------------------------------- */

#define K(name) NN_K(name)
#define KC(name, chk) NN_KC(name, chk)
static const exec_kdef NN_KERNELS[] = {
    KC(activation, chk_activation), K(add), K(addBroadcastable), K(average), K(batchnorm),
    K(bias), K(clip), K(concat), K(concatND), K(convolution), K(copy), K(divideBroadcastable), K(expandDims),
    K(flatten), K(flattenTo2D), K(gelu), K(innerProduct), K(max), K(maxBroadcastable), K(min),
    K(minBroadcastable), K(multiply), K(multiplyBroadcastable), K(padding), K(pooling), K(powBroadcastable),
    K(reduce), K(reduceL1), K(reduceL2), K(reduceLogSum), K(reduceLogSumExp), K(reduceMax), K(reduceMean),
    K(reduceMin), K(reduceProd), K(reduceSum), K(reduceSumSquare), K(reshape), K(reshapeStatic), K(scale),
    K(softmax), K(softmaxND), K(squeeze), K(subtractBroadcastable), K(transpose), K(unary),
};
static NN_TABLE(NN_CORE_TABLE, NN_KERNELS);

const exec_kdef *exec_find_nn(const char *kind) {
    const nn_table *tables[] = {&NN_CORE_TABLE, &NN_ELEM_TABLE, &NN_SHAPE_TABLE, &NN_NORM_TABLE, &NN_RESAMPLE_TABLE,
                                &NN_RNN_TABLE,  &NN_MISC_TABLE};
    for (size_t t = 0; kind && t < sizeof tables / sizeof *tables; t++)
        for (size_t i = 0; i < tables[t]->n; i++)
            if (!strcmp(tables[t]->k[i].kind, kind)) return &tables[t]->k[i];
    return NULL;
}

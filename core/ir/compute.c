/* SPDX-License-Identifier: Apache-2.0 */
/* ir_compute.c — the compute-unit pass: where each op will likely run.
 *
 * Apple keeps no static list of Neural Engine ops ("it changes based on
 * device generation, OS version, tensor sizes", aseemw, apple/coremltools#1780),
 * so this is an estimate, filled into op->estimate for every op of every
 * function (nested blocks included) and every pipeline sub-model. Const and
 * constexpr ops do no compute (CML_UNIT_NONE). Everything else is looked up
 * by kind in two sorted tables (NeuralNetwork layer kinds, ML Program op
 * kinds); an entry is either an unconditional fact or a predicate for the
 * cases that hang on a number (dilation, pooling kernel/stride, upsample
 * scale, kernel width, argmax axis, a computed shape). On top of the tables
 * come two dtype rules for ML Programs: an op whose float outputs are fp32 is
 * barred from the NE (tier A, typed-execution.md), except the model's I/O
 * conversion (input/output casts, coremltools' fp32 image scale/bias ops in
 * front of the input cast, the fp32 cast it puts before `classify`: NE, tier
 * 0, as rule 5.6 does not count them as islands), and an op that outputs a non-shape-like int32 tensor is a
 * tier-B note (be conservative: small rank-0/1 shape vectors are not flagged).
 * Tier 'A' means Apple or an Apple engineer says so, 'B' that the community
 * observed it (rules-knowledge §0 tags); anything without a known problem is
 * CML_UNIT_NE, tier 0, reason NULL. Where a fact only says "not on the NE",
 * the GPU/CPU choice is ours [Derived]: GPU for dense float layers the GPU
 * implements (dilated conv, pooling, upsample, broadcastable layers, fp32),
 * CPU for index, control-flow, shape and custom work. `classify` (string label
 * and probability dictionary) is estimated CPU with tier 0: off the NE but no
 * documented problem and it ends the graph, so no rule should warn on it.
 * Classic models
 * (GLM, trees, SVM, scaler, ...) have no ops; ir_ane_op_coverage_pct counts
 * each as one CPU op [Derived], so a pipeline of an NN and a tree ensemble
 * shows the tree's share and a bare sklearn model reads 0 %. Every fact
 * carries a SOURCE comment naming its rules-knowledge row (§4.1 P*, §4.2 O*,
 * §5.4–5.6). Cost: one walk per function (plus an early-exit scan for fp16
 * ops), a binary search per op, and an arena string only for reasons that
 * print a number. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/compute.h"
#include "ir/weights.h"
#include "ir/model.h"

/* ---- sources ---------------------------------------------------------------- */

/* SOURCE: rules-knowledge 4.2 O1 [A-eng]: custom layers "only CPU or GPU
 * implementations can be provided" — aseemw, apple/coremltools#1278; also
 * hollance/neural-engine docs/unsupported-layers.md [C]. */
#define SRC_CUSTOM "apple/coremltools#1278 (aseemw)"
/* SOURCE: rules-knowledge 4.2 O2 [A-eng]: RNN/LSTM (and GRU) "are not
 * supported on the neural engine" — aseemw, apple/coremltools#1780. */
#define SRC_RNN "apple/coremltools#1780 (aseemw)"
/* SOURCE: rules-knowledge 4.2 O3 [A-doc]: dynamic layers "such as converting a
 * static reshape to a fully dynamic reshape" are not supported on the NE —
 * coremltools docs-guides faqs.md:167; rule list 5.4. */
#define SRC_DYNAMIC "docs-guides faqs.md (dynamic layers)"
/* SOURCE: rules-knowledge 4.1 P2 [A-doc]: "Only the NE is barred as a compute
 * unit when a model is typed with float 32 precision" — typed-execution.md:93;
 * mixed precision P4 / rule 5.6. */
#define SRC_FP32 "docs-guides typed-execution.md"
/* SOURCE: rules-knowledge 4.2 O4 [A-doc] (embedding lookups ran on the CPU in
 * Apple's ANE distilbert, apple/ml-ane-transformers README.md) and O6 [C]
 * (gather observed CPU-only, apple/coremltools#1103; hollance lists gather). */
#define SRC_GATHER "apple/coremltools#1103; hollance/neural-engine docs/unsupported-layers.md"
/* SOURCE: rules-knowledge 4.2 O7 [C]: topk and the ops consuming its indices
 * leave the ANE (MLComputePlan) — roboflow/rf-detr#1495. */
#define SRC_TOPK "roboflow/rf-detr#1495"
/* SOURCE: rules-knowledge 4.2 O8 [C]: not on the ANE — dilated convolutions,
 * broadcastable and ND layers, pooling kernel > 13 or stride > 2, upsampling
 * factor > 2 — hollance/neural-engine docs/unsupported-layers.md. */
#define SRC_HOLLANCE "hollance/neural-engine docs/unsupported-layers.md"
/* SOURCE: rules-knowledge 4.2 O9 [C-RE]: convolution kernel width <= 13,
 * argmin/argmax axis <= 2048 — ane-guide.readthedocs.io ch. 17. */
#define SRC_ANE_GUIDE "ane-guide.readthedocs.io ch. 17"
/* SOURCE: rules-knowledge 4.2 O10 [C-RE] (control-flow/list/state ops have no
 * feed-forward ANE form, aneforge op-catalog) and 5.4 [Derived]
 * (data-dependent output shapes). */
#define SRC_CONTROL "aneforge.readthedocs.io op-catalog"
/* SOURCE: rules-knowledge 4.1 P12 [C-RE]: the ANE datapath rejects int32
 * tensors ("The M1 rejects a cast to int32") — aneforge capabilities,
 * ane-guide ch. 17. */
#define SRC_INT32 "aneforge.readthedocs.io capabilities; ane-guide.readthedocs.io ch. 17"
/* SOURCE: [Derived] classify's outputs are a string and a dictionary, which
 * no NE/GPU kernel produces; coremltools adds it (with an fp32 cast in front)
 * for ClassifierConfig — converters/mil/backend/mil/load.py _add_classify_op,
 * rules-knowledge 5.6. */
#define SRC_CLASSIFY "Derived: string/dictionary outputs (coremltools load.py _add_classify_op)"
/* SOURCE: [Derived] no rules-knowledge fact; the corpus NOTES build these with
 * sklearn converters and Core ML has no NE/GPU path documented for them. */
#define SRC_CLASSIC "Derived: classic (non-neural) model types run on the CPU"

/* ---- kind tables -------------------------------------------------------------- */

typedef struct kind_fact kind_fact;
/* A predicate for an attribute-dependent case: fills *e and returns true when
 * the op leaves the NE. */
typedef bool (*kind_check)(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e);

struct kind_fact {
    const char *kind;
    cml_unit unit;
    char tier;
    const char *reason;
    const char *source;
    kind_check check;   /* NULL: the fact holds unconditionally */
    const char *args;   /* chk_dynamic: the shape-defining inputs, space-separated */
};

static bool chk_dynamic(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e);
static bool chk_conv(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e);
static bool chk_pool(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e);
static bool chk_upsample(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e);
static bool chk_argmax(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e);

#define GPU CML_UNIT_GPU
#define CPU CML_UNIT_CPU

/* NeuralNetwork layer kinds (the NeuralNetworkLayer oneof field names),
 * sorted by strcmp. */
static const kind_fact nn_facts[] = {
    /* SOURCE: 4.2 O8 (hollance): "broadcastable" layers */
    {"addBroadcastable", GPU, 'B', "broadcastable layer (addBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    /* SOURCE: 4.2 O9 (ane-guide): argmax axis <= 2048 */
    {"argMax", GPU, 'B', NULL, SRC_ANE_GUIDE, chk_argmax, NULL},
    {"argMin", GPU, 'B', NULL, SRC_ANE_GUIDE, chk_argmax, NULL},
    /* SOURCE: 4.2 O7 (rf-detr#1495): topk/argsort */
    {"argSort", CPU, 'B', "argsort", SRC_TOPK, NULL, NULL},
    /* SOURCE: 4.2 O2 (aseemw, #1780) */
    {"biDirectionalLSTM", CPU, 'A', "bidirectional LSTM", SRC_RNN, NULL, NULL},
    /* SOURCE: 4.2 O10 + 5.4 Derived: control flow */
    {"branch", CPU, 'B', "control flow (branch)", SRC_CONTROL, NULL, NULL},
    /* SOURCE: 4.2 O3 (faqs.md): dynamic layers */
    {"broadcastToDynamic", CPU, 'A', "broadcast to a computed shape (broadcastToDynamic)", SRC_DYNAMIC, NULL, NULL},
    /* SOURCE: 4.2 O8 (hollance): "ND" layers */
    {"concatND", GPU, 'B', "ND layer (concatND)", SRC_HOLLANCE, NULL, NULL},
    /* SOURCE: 4.2 O8 (dilation, hollance) and O9 (kernel width, ane-guide) */
    {"convolution", GPU, 'B', NULL, SRC_HOLLANCE, chk_conv, NULL},
    /* SOURCE: 4.2 O1 (aseemw, #1278) */
    {"custom", CPU, 'A', "custom layer", SRC_CUSTOM, NULL, NULL},
    {"divideBroadcastable", GPU, 'B', "broadcastable layer (divideBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    /* SOURCE: 4.2 O4 (ml-ane-transformers) / O6 (#1103): embedding lookups */
    {"embedding", CPU, 'B', "embedding lookup", SRC_GATHER, NULL, NULL},
    {"embeddingND", CPU, 'B', "embedding lookup (embeddingND)", SRC_GATHER, NULL, NULL},
    {"fillDynamic", CPU, 'A', "fill with a computed shape (fillDynamic)", SRC_DYNAMIC, NULL, NULL},
    {"floorDivBroadcastable", GPU, 'B', "broadcastable layer (floorDivBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    /* SOURCE: 4.2 O6 (#1103, hollance): gather */
    {"gather", CPU, 'B', "gather", SRC_GATHER, NULL, NULL},
    {"gatherAlongAxis", CPU, 'B', "gather (gatherAlongAxis)", SRC_GATHER, NULL, NULL},
    {"gatherND", CPU, 'B', "gather (gatherND)", SRC_GATHER, NULL, NULL},
    /* SOURCE: 5.4 tier A list, O3: getShape feeds dynamic layers */
    {"getShape", CPU, 'A', "shape computed at run time (getShape)", SRC_DYNAMIC, NULL, NULL},
    {"gru", CPU, 'A', "GRU", SRC_RNN, NULL, NULL},
    {"loadConstantND", GPU, 'B', "ND layer (loadConstantND)", SRC_HOLLANCE, NULL, NULL},
    {"loop", CPU, 'B', "control flow (loop)", SRC_CONTROL, NULL, NULL},
    {"loopBreak", CPU, 'B', "control flow (loopBreak)", SRC_CONTROL, NULL, NULL},
    {"loopContinue", CPU, 'B', "control flow (loopContinue)", SRC_CONTROL, NULL, NULL},
    {"maxBroadcastable", GPU, 'B', "broadcastable layer (maxBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    {"minBroadcastable", GPU, 'B', "broadcastable layer (minBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    {"modBroadcastable", GPU, 'B', "broadcastable layer (modBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    {"multiplyBroadcastable", GPU, 'B', "broadcastable layer (multiplyBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    /* SOURCE: 4.2 O8 (hollance): pooling kernel > 13 or stride > 2 */
    {"pooling", GPU, 'B', NULL, SRC_HOLLANCE, chk_pool, NULL},
    {"powBroadcastable", GPU, 'B', "broadcastable layer (powBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    {"randomBernoulliDynamic", CPU, 'A', "random values of a computed shape (randomBernoulliDynamic)", SRC_DYNAMIC, NULL, NULL},
    {"randomNormalDynamic", CPU, 'A', "random values of a computed shape (randomNormalDynamic)", SRC_DYNAMIC, NULL, NULL},
    {"randomUniformDynamic", CPU, 'A', "random values of a computed shape (randomUniformDynamic)", SRC_DYNAMIC, NULL, NULL},
    {"rangeDynamic", CPU, 'A', "range with computed bounds (rangeDynamic)", SRC_DYNAMIC, NULL, NULL},
    {"reshapeDynamic", CPU, 'A', "reshape with a computed shape (reshapeDynamic)", SRC_DYNAMIC, NULL, NULL},
    {"scatter", CPU, 'B', "scatter", SRC_GATHER, NULL, NULL},
    {"scatterAlongAxis", CPU, 'B', "scatter (scatterAlongAxis)", SRC_GATHER, NULL, NULL},
    {"scatterND", CPU, 'B', "scatter (scatterND)", SRC_GATHER, NULL, NULL},
    {"simpleRecurrent", CPU, 'A', "simple RNN", SRC_RNN, NULL, NULL},
    {"sliceDynamic", CPU, 'A', "slice with computed bounds (sliceDynamic)", SRC_DYNAMIC, NULL, NULL},
    {"softmaxND", GPU, 'B', "ND layer (softmaxND)", SRC_HOLLANCE, NULL, NULL},
    {"splitND", GPU, 'B', "ND layer (splitND)", SRC_HOLLANCE, NULL, NULL},
    {"subtractBroadcastable", GPU, 'B', "broadcastable layer (subtractBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    {"topK", CPU, 'B', "topk", SRC_TOPK, NULL, NULL},
    {"uniDirectionalLSTM", CPU, 'A', "LSTM", SRC_RNN, NULL, NULL},
    /* SOURCE: 4.2 O8 (hollance): upsampling factor > 2 */
    {"upsample", GPU, 'B', NULL, SRC_HOLLANCE, chk_upsample, NULL},
    {"whereBroadcastable", GPU, 'B', "broadcastable layer (whereBroadcastable)", SRC_HOLLANCE, NULL, NULL},
    /* SOURCE: 5.4 (O10, Derived): data-dependent output shape */
    {"whereNonZero", CPU, 'B', "data-dependent output shape (whereNonZero)", SRC_CONTROL, NULL, NULL},
};

/* ML Program op kinds (MIL op types), sorted by strcmp. Dynamic-shape entries
 * name the inputs that define the output shape; they fire only when one of
 * them is not a constant. */
static const kind_fact mil_facts[] = {
    /* SOURCE: 4.2 O7 (rf-detr#1495) */
    {"argsort", CPU, 'B', "argsort", SRC_TOPK, NULL, NULL},
    {"avg_pool", GPU, 'B', NULL, SRC_HOLLANCE, chk_pool, NULL},
    /* SOURCE: Derived (see SRC_CLASSIFY): off the NE, tier 0 */
    {"classify", CPU, 0, "classifier output (string label, probability dictionary)", SRC_CLASSIFY, NULL, NULL},
    /* SOURCE: 4.2 O10 + 5.4 Derived */
    {"cond", CPU, 'B', "control flow (cond)", SRC_CONTROL, NULL, NULL},
    /* SOURCE: 4.2 O8 (dilations) and O9 (kernel width) */
    {"conv", GPU, 'B', NULL, SRC_HOLLANCE, chk_conv, NULL},
    {"conv_transpose", GPU, 'B', NULL, SRC_HOLLANCE, chk_conv, NULL},
    /* SOURCE: 4.2 O1 (aseemw, #1278) */
    {"custom_layer", CPU, 'A', "custom layer", SRC_CUSTOM, NULL, NULL},
    /* SOURCE: 4.2 O3 (faqs.md): computed shapes */
    {"fill", CPU, 'A', "fill with a computed shape", SRC_DYNAMIC, chk_dynamic, "shape"},
    /* SOURCE: 4.2 O4 / O6 (#1103); O7 for gather_along_axis */
    {"gather", CPU, 'B', "gather", SRC_GATHER, NULL, NULL},
    {"gather_along_axis", CPU, 'B', "gather (gather_along_axis)", SRC_GATHER, NULL, NULL},
    {"gather_nd", CPU, 'B', "gather (gather_nd)", SRC_GATHER, NULL, NULL},
    /* SOURCE: 4.2 O2 (aseemw, #1780) */
    {"gru", CPU, 'A', "GRU", SRC_RNN, NULL, NULL},
    {"l2_pool", GPU, 'B', NULL, SRC_HOLLANCE, chk_pool, NULL},
    /* SOURCE: 4.2 O10: list ops have no feed-forward ANE form */
    {"list_gather", CPU, 'B', "list op (list_gather)", SRC_CONTROL, NULL, NULL},
    {"list_length", CPU, 'B', "list op (list_length)", SRC_CONTROL, NULL, NULL},
    {"list_read", CPU, 'B', "list op (list_read)", SRC_CONTROL, NULL, NULL},
    {"list_scatter", CPU, 'B', "list op (list_scatter)", SRC_CONTROL, NULL, NULL},
    {"list_write", CPU, 'B', "list op (list_write)", SRC_CONTROL, NULL, NULL},
    {"lstm", CPU, 'A', "LSTM", SRC_RNN, NULL, NULL},
    {"make_list", CPU, 'B', "list op (make_list)", SRC_CONTROL, NULL, NULL},
    {"max_pool", GPU, 'B', NULL, SRC_HOLLANCE, chk_pool, NULL},
    /* SOURCE: 5.4 (O10, Derived): data-dependent output shape */
    {"non_zero", CPU, 'B', "data-dependent output shape (non_zero)", SRC_CONTROL, NULL, NULL},
    {"pad", CPU, 'A', "pad with computed amounts", SRC_DYNAMIC, chk_dynamic, "pad"},
    {"random_bernoulli", CPU, 'A', "random values of a computed shape", SRC_DYNAMIC, chk_dynamic, "shape"},
    {"random_normal", CPU, 'A', "random values of a computed shape", SRC_DYNAMIC, chk_dynamic, "shape"},
    {"random_uniform", CPU, 'A', "random values of a computed shape", SRC_DYNAMIC, chk_dynamic, "shape"},
    {"range_1d", CPU, 'A', "range with computed bounds", SRC_DYNAMIC, chk_dynamic, "start end step"},
    /* SOURCE: 4.2 O9 (ane-guide): argmax axis <= 2048 */
    {"reduce_argmax", GPU, 'B', NULL, SRC_ANE_GUIDE, chk_argmax, NULL},
    {"reduce_argmin", GPU, 'B', NULL, SRC_ANE_GUIDE, chk_argmax, NULL},
    {"reshape", CPU, 'A', "reshape with a computed shape", SRC_DYNAMIC, chk_dynamic, "shape"},
    {"resize", CPU, 'A', "resize to a computed shape", SRC_DYNAMIC, chk_dynamic, "shape"},
    {"rnn", CPU, 'A', "simple RNN", SRC_RNN, NULL, NULL},
    {"scatter", CPU, 'B', "scatter", SRC_GATHER, NULL, NULL},
    {"scatter_along_axis", CPU, 'B', "scatter (scatter_along_axis)", SRC_GATHER, NULL, NULL},
    {"scatter_nd", CPU, 'B', "scatter (scatter_nd)", SRC_GATHER, NULL, NULL},
    /* SOURCE: 5.4 tier A list (getShape, O3); MIL `shape` is its ML Program form */
    {"shape", CPU, 'A', "shape computed at run time", SRC_DYNAMIC, NULL, NULL},
    {"slice_by_index", CPU, 'A', "slice with computed bounds", SRC_DYNAMIC, chk_dynamic, "begin end stride"},
    {"slice_by_size", CPU, 'A', "slice with computed bounds", SRC_DYNAMIC, chk_dynamic, "begin size"},
    {"slice_update", CPU, 'A', "slice update with computed bounds", SRC_DYNAMIC, chk_dynamic, "begin end stride"},
    {"tile", CPU, 'A', "tile with computed repetitions", SRC_DYNAMIC, chk_dynamic, "reps"},
    {"topk", CPU, 'B', "topk", SRC_TOPK, NULL, NULL},
    {"upsample_bilinear", GPU, 'B', NULL, SRC_HOLLANCE, chk_upsample, NULL},
    {"upsample_nearest_neighbor", GPU, 'B', NULL, SRC_HOLLANCE, chk_upsample, NULL},
    {"while_loop", CPU, 'B', "control flow (while_loop)", SRC_CONTROL, NULL, NULL},
};

#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

static int fact_cmp(const void *key, const void *elem) {
    return strcmp((const char *)key, ((const kind_fact *)elem)->kind);
}

static const kind_fact *lookup(const cml_op *op) {
    if (!op->kind) return NULL;
    if (op->is_nn_layer) return bsearch(op->kind, nn_facts, N_OF(nn_facts), sizeof nn_facts[0], fact_cmp);
    return bsearch(op->kind, mil_facts, N_OF(mil_facts), sizeof mil_facts[0], fact_cmp);
}

/* ---- parameter access ------------------------------------------------------------ */

#define MAXN 8

static size_t value_nums(const cml_value *v, double *out, size_t max) {
    if (!v || !v->weight) return 0;
    uint64_t n = ir_weight_count(v->weight);
    size_t k = 0;
    /* a parameter is a handful of numbers: stop at the first that cannot
     * be read (fp8 values, which walked all 2 million elements of a hostile
     * constant once per op, an audit found) */
    for (uint64_t i = 0; i < n && k < max; i++) {
        if (ir_weight_f64(v->weight, i, &out[k]) != 0) break;
        k++;
    }
    return k;
}

/* Up to max numbers of a parameter: an ML Program input (a const or literal)
 * or an attribute (NeuralNetwork fields are INT/INTS/FLOAT/FLOATS/BOOL). */
static size_t param_nums(const cml_op *op, const char *name, double *out, size_t max) {
    if (!op->is_nn_layer) {
        const cml_arg *ar = ir_op_input(op, name);
        if (ar && ar->n_values) return value_nums(ar->values[0], out, max);
    }
    const cml_attr *at = ir_op_attr(op, name);
    if (!at) return 0;
    size_t k = 0;
    switch (at->kind) {
    case CML_ATTR_INT: out[k++] = (double)at->i; break;
    case CML_ATTR_FLOAT: out[k++] = at->f; break;
    case CML_ATTR_BOOL: out[k++] = at->b; break;
    case CML_ATTR_INTS: for (; k < at->n && k < max; k++) out[k] = (double)at->ints[k]; break;
    case CML_ATTR_FLOATS: for (; k < at->n && k < max; k++) out[k] = at->floats[k]; break;
    case CML_ATTR_VALUE: return value_nums(at->value, out, max);
    default: break;
    }
    return k;
}

static double max_of(const double *v, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > m) m = v[i];
    return m;
}

/* The data input of an op (NN: first input; MIL: the named one). */
static const cml_value *data_input(const cml_op *op, const char *mil_name) {
    if (op->is_nn_layer) return op->n_inputs && op->inputs[0]->n_values ? op->inputs[0]->values[0] : NULL;
    const cml_arg *ar = ir_op_input(op, mil_name);
    return ar && ar->n_values ? ar->values[0] : NULL;
}

/* A reason with a number in it; without an arena, the fixed text. */
static const char *why(arena *a, const char *fixed, const char *fmt, double x, double limit) {
    if (!a) return fixed;
    char *s = arena_printf(a, fmt, x, limit);
    return s ? s : fixed;
}

static bool set(cml_estimate *e, cml_unit unit, char tier, const char *reason, const char *source) {
    e->unit = unit;
    e->tier = tier;
    e->reason = reason;
    e->source = source;
    return true;
}

/* ---- predicates ------------------------------------------------------------------- */

/* A value known before the model runs: a const/constexpr output or a literal.
 * Function and block inputs (producer NULL, no data) are not. */
static bool value_is_const(const cml_value *v) {
    if (v->producer) return v->producer->is_const;
    if (v->is_function_input || v->is_state) return false;
    return v->weight != NULL;
}

/* SOURCE: rules-knowledge 4.2 O3 / 5.4 tier A: the shape-defining input is
 * computed (its producer is not const). */
static bool chk_dynamic(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e) {
    (void)a;
    const char *p = f->args;
    while (p && *p) {
        size_t len = strcspn(p, " ");
        char name[32];
        if (len && len < sizeof name) {
            memcpy(name, p, len);
            name[len] = '\0';
            const cml_arg *ar = ir_op_input(op, name);
            for (size_t i = 0; ar && i < ar->n_values; i++)
                if (!value_is_const(ar->values[i])) return set(e, f->unit, f->tier, f->reason, f->source);
        }
        p += len;
        while (*p == ' ') p++;
    }
    return false;
}

/* SOURCE: rules-knowledge 4.2 O8 (dilated convolutions, hollance) and O9
 * (kernel width <= 13, ane-guide ch. 17). NN: dilationFactor [H, W] and
 * kernelSize [H, W] (default [3, 3], NeuralNetwork.proto
 * ConvolutionLayerParams); MIL: `dilations` and the weight's last dim
 * ([C_out, C_in/groups, *K], coremltools iOS15 conv). */
static bool chk_conv(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e) {
    double v[MAXN];
    size_t n = param_nums(op, op->is_nn_layer ? "dilationFactor" : "dilations", v, MAXN);
    double d = max_of(v, n);
    if (d > 1)
        return set(e, f->unit, 'B', why(a, "dilated convolution", "dilated convolution (dilation %g)", d, 1),
                   SRC_HOLLANCE);
    double kw = 0;
    if (op->is_nn_layer) {
        n = param_nums(op, "kernelSize", v, MAXN);
        kw = n ? v[n - 1] : 3;
    } else {
        const cml_value *w = data_input(op, "weight");
        if (w && w->type.shape.rank >= 3 && w->type.shape.dims) kw = (double)w->type.shape.dims[w->type.shape.rank - 1];
    }
    if (kw > 13)
        return set(e, f->unit, 'B',
                   why(a, "convolution kernel width > 13", "convolution kernel width %g > %g", kw, 13),
                   SRC_ANE_GUIDE);
    return false;
}

/* SOURCE: rules-knowledge 4.2 O8 (hollance): pooling kernel > 13 or stride > 2.
 * NN: kernelSize/stride, global pooling exempt (it is a reduction over the
 * whole plane); MIL: kernel_sizes/strides. */
static bool chk_pool(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e) {
    double v[MAXN];
    if (op->is_nn_layer) {
        const cml_attr *g = ir_op_attr(op, "globalPooling");
        if (g && g->kind == CML_ATTR_BOOL && g->b) return false;
    }
    size_t n = param_nums(op, op->is_nn_layer ? "kernelSize" : "kernel_sizes", v, MAXN);
    double k = max_of(v, n);
    if (k > 13)
        return set(e, f->unit, 'B', why(a, "pooling kernel > 13", "pooling kernel %g > %g", k, 13), f->source);
    n = param_nums(op, op->is_nn_layer ? "stride" : "strides", v, MAXN);
    double s = max_of(v, n);
    if (s > 2)
        return set(e, f->unit, 'B', why(a, "pooling stride > 2", "pooling stride %g > %g", s, 2), f->source);
    return false;
}

/* SOURCE: rules-knowledge 4.2 O8 (hollance): upsampling factor > 2.
 * NN: scalingFactor / fractionalScalingFactor; MIL: scale_factor_height /
 * scale_factor_width. */
static bool chk_upsample(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e) {
    static const char *const nn_names[] = {"scalingFactor", "fractionalScalingFactor"};
    static const char *const mil_names[] = {"scale_factor_height", "scale_factor_width"};
    const char *const *names = op->is_nn_layer ? nn_names : mil_names;
    double s = 0, v[MAXN];
    for (int i = 0; i < 2; i++) {
        size_t n = param_nums(op, names[i], v, MAXN);
        double m = max_of(v, n);
        if (m > s) s = m;
    }
    if (s > 2)
        return set(e, f->unit, 'B', why(a, "upsample scale > 2", "upsample scale %g > %g", s, 2), f->source);
    return false;
}

/* SOURCE: rules-knowledge 4.2 O9 (ane-guide ch. 17): argmin/argmax axis <= 2048.
 * NN argMax/argMin `axis` (input shape from the NN shape pass); MIL
 * reduce_argmax/argmin `axis` (default -1) over x. Unknown sizes: no finding. */
static bool chk_argmax(const cml_op *op, const kind_fact *f, arena *a, cml_estimate *e) {
    const cml_value *x = data_input(op, "x");
    if (!x || x->type.shape.rank <= 0 || !x->type.shape.dims) return false;
    double v[1];
    /* a double as it came (1e30, or INT64_MAX rounded up to 2^63): in range
     * before the conversion, or no finding */
    bool given = param_nums(op, "axis", v, 1) != 0;
    if (given && !(v[0] > -65536 && v[0] < 65536)) return false;
    int64_t axis = given ? (int64_t)v[0] : -1;
    int64_t r = x->type.shape.rank;
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r) return false;
    int64_t d = x->type.shape.dims[axis];
    if (d > 2048)
        return set(e, f->unit, 'B', why(a, "argmax/argmin over an axis > 2048", "argmax/argmin over an axis of %g > %g",
                                        (double)d, 2048),
                   f->source);
    return false;
}

static bool kind_is(const cml_op *op, const char *kind) { return op->kind && !strcmp(op->kind, kind); }

/* coremltools' image preprocessing: `<input>__scaled__` (mul) and
 * `<input>__biased__` (add) between an image input and the input cast, in the
 * input's fp32 (rules-knowledge 2.5, 5.14). Recognised by structure: an
 * elementwise mul/add/sub/real_div of the top block whose non-const inputs are
 * function inputs or such ops, and whose outputs feed only casts or such ops. */
static bool is_input_preprocess(const cml_op *op, int depth) {
    if (depth > 4 || op->is_nn_layer || !op->function || op->parent != op->function->block) return false;
    if (!kind_is(op, "mul") && !kind_is(op, "add") && !kind_is(op, "sub") && !kind_is(op, "real_div")) return false;
    /* a binary op has two operands: more, or an operand bound to several
     * values, is no preprocessing step, and the walk below stays at 2^5
     * calls (without this bound, ops that each read the previous one K
     * times made it K^5: a 2 KB model.mil took 75 s) */
    size_t operands = 0;
    for (size_t i = 0; i < op->n_inputs; i++)
        for (size_t j = 0; j < op->inputs[i]->n_values; j++)
            if (!value_is_const(op->inputs[i]->values[j]) && ++operands > 2) return false;
    bool from_input = false;
    for (size_t i = 0; i < op->n_inputs; i++)
        for (size_t j = 0; j < op->inputs[i]->n_values; j++) {
            const cml_value *v = op->inputs[i]->values[j];
            if (value_is_const(v)) continue;
            if (v->is_function_input) { from_input = true; continue; }
            if (!v->producer || !is_input_preprocess(v->producer, depth + 1)) return false;
            from_input = true;
        }
    if (!from_input) return false;
    for (size_t i = 0; i < op->n_outputs; i++) {
        const cml_value *o = op->outputs[i];
        if (!o->n_consumers) return false;
        for (size_t k = 0; k < o->n_consumers; k++) {
            const cml_op *c = o->consumers[k];
            if (!kind_is(c, "cast") && !kind_is(c, "mul") && !kind_is(c, "add") && !kind_is(c, "sub") &&
                !kind_is(c, "real_div"))
                return false;
        }
    }
    return true;
}

bool ir_compute_is_boundary_op(const cml_op *op) {
    if (op->is_nn_layer || !op->kind) return false;
    if (!kind_is(op, "cast")) return is_input_preprocess(op, 0);
    const cml_value *x = data_input(op, "x");
    if (x && (x->is_function_input || (x->producer && is_input_preprocess(x->producer, 0)))) return true;
    const cml_block *top = op->function ? op->function->block : NULL;
    for (size_t i = 0; i < op->n_outputs; i++) {
        const cml_value *o = op->outputs[i];
        if (top && op->parent == top)
            for (size_t j = 0; j < top->n_outputs; j++)
                if (top->outputs[j] == o) return true;
        /* SOURCE: rules-knowledge 5.6: the fp32 cast before `classify`
         * (coremltools load.py _add_classify_op) is not an fp32 island. */
        size_t k = 0;
        while (k < o->n_consumers && kind_is(o->consumers[k], "classify")) k++;
        if (o->n_consumers && k == o->n_consumers) return true;
    }
    return false;
}

/* SOURCE: rules-knowledge 4.1 P12 / 5.4 (ops computing in int32), kept
 * conservative: an int32 output that is not a shape vector (rank >= 2, or
 * rank 1 longer than 16); no float outputs. */
static const cml_value *int32_output(const cml_op *op) {
    const cml_value *hit = NULL;
    for (size_t i = 0; i < op->n_outputs; i++) {
        const cml_type *t = &op->outputs[i]->type;
        if (t->kind != CML_TYPE_TENSOR) continue;
        if (cml_dtype_is_float(t->dtype)) return NULL;
        if (t->dtype != CML_DT_INT32 || !t->shape.dims) continue;
        if (t->shape.rank >= 2 || (t->shape.rank == 1 && t->shape.dims[0] > 16)) hit = op->outputs[i];
    }
    return hit;
}

static const char *shape_str(arena *a, const cml_shape *s) {
    char buf[96];
    size_t k = 0;
    k += (size_t)snprintf(buf + k, sizeof buf - k, "[");
    for (int32_t i = 0; i < s->rank && k < sizeof buf - 24; i++) {
        if (s->dims[i] < 0) k += (size_t)snprintf(buf + k, sizeof buf - k, "%s?", i ? ", " : "");
        else k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%" PRId64, i ? ", " : "", s->dims[i]);
    }
    snprintf(buf + k, sizeof buf - k, "]");
    return arena_printf(a, "computes in int32 (int32 output %s)", buf);
}

/* ---- the estimate ------------------------------------------------------------------ */

cml_estimate ir_compute_estimate(const cml_op *op, bool fp16_program, arena *a) {
    cml_estimate e = {CML_UNIT_NE, 0, NULL, NULL};
    if (op->is_const) {
        e.unit = CML_UNIT_NONE;
        return e;
    }
    /* 1. the kind table: unconditional facts and attribute predicates */
    cml_estimate t = e;
    const kind_fact *f = lookup(op);
    bool have = false;
    if (f) have = f->check ? f->check(op, f, a, &t) : set(&t, f->unit, f->tier, f->reason, f->source);
    if (have && t.tier == 'A') return t;
    if (op->is_nn_layer) return have ? t : e;
    /* 2. ML Program dtypes: fp32 compute leaves the NE (tier A) */
    if (cml_op_float_dtype(op) == CML_DT_FP32 && !ir_compute_is_boundary_op(op)) {
        /* SOURCE: rules-knowledge 4.1 P2 (typed-execution.md:93), 5.5 / 5.6 */
        set(&e, GPU, 'A',
            fp16_program ? "computes in fp32 inside an fp16 program (mixed precision)"
                         : "computes in fp32 (fp32-typed ML Program)",
            SRC_FP32);
        return e;
    }
    if (have) return t;
    /* 3. int32 compute (tier B, conservative). reduce_argmax/argmin produce
     * int32 indices by definition and have their own limit (O9). */
    const cml_value *iv = int32_output(op);
    if (iv && strncmp(op->kind, "reduce_arg", 10) != 0) {
        const char *r = a ? shape_str(a, &iv->type.shape) : NULL;
        set(&e, CPU, 'B', r ? r : "computes in int32", SRC_INT32);
    }
    return e;
}

/* ---- the pass ------------------------------------------------------------------------ */

/* Does the block (or a nested one) hold an fp16 compute op? */
static bool has_fp16_compute(const cml_block *b, int depth) {
    if (!b || depth > IR_MAX_DEPTH) return false;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        if (!op->is_const && !op->is_nn_layer && cml_op_float_dtype(op) == CML_DT_FP16 && !ir_compute_is_boundary_op(op))
            return true;
        for (size_t j = 0; j < op->n_blocks; j++)
            if (has_fp16_compute(op->blocks[j], depth + 1)) return true;
    }
    return false;
}

static void estimate_block(const cml_block *b, bool fp16_program, arena *a, int depth) {
    if (!b || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        cml_op *op = (cml_op *)b->ops[i];   /* the pass owns the IR it fills */
        op->estimate = ir_compute_estimate(op, fp16_program, a);
        for (size_t j = 0; j < op->n_blocks; j++) estimate_block(op->blocks[j], fp16_program, a, depth + 1);
    }
}

static void compute_model(lmodel *lm, const cml_model *m, int depth) {
    if (!m || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < m->n_functions; i++) {
        const cml_function *fn = m->functions[i];
        if (!fn || !fn->block) continue;
        bool fp16 = has_fp16_compute(fn->block, 0);
        estimate_block(fn->block, fp16, lm ? lm->a : NULL, 0);
    }
    for (size_t i = 0; i < m->n_sub_models; i++) compute_model(lm, m->sub_models[i], depth + 1);
}

void ir_pass_compute(lmodel *lm, cml_model *m) { compute_model(lm, m, 0); }

/* ---- coverage -------------------------------------------------------------------------- */

/* SOURCE: [Derived] (SRC_CLASSIC): Model.proto oneof Type — the classic ML
 * and feature-engineering model kinds. Sorted by strcmp. Create ML / Apple
 * feature-print types, linked, serialized and custom models are left out:
 * where they run is not known. */
static const char *const classic_types[] = {
    "arrayFeatureExtractor", "bayesianProbitRegressor", "categoricalMapping", "classConfidenceThresholding",
    "dictVectorizer", "featureVectorizer", "glmClassifier", "glmRegressor", "identity", "imputer",
    "itemSimilarityRecommender", "kNearestNeighborsClassifier", "nonMaximumSuppression", "normalizer",
    "oneHotEncoder", "scaler", "supportVectorClassifier", "supportVectorRegressor", "treeEnsembleClassifier",
    "treeEnsembleRegressor",
};

static int str_cmp(const void *key, const void *elem) {
    return strcmp((const char *)key, *(const char *const *)elem);
}

bool ir_compute_is_classic_type(const char *type) {
    return type && bsearch(type, classic_types, N_OF(classic_types), sizeof classic_types[0], str_cmp) != NULL;
}

int ir_compute_tables_check(void) {
    size_t base = 0;
    for (size_t i = 1; i < N_OF(nn_facts); i++)
        if (strcmp(nn_facts[i - 1].kind, nn_facts[i].kind) >= 0) return (int)(base + i) + 1;
    base += N_OF(nn_facts);
    for (size_t i = 1; i < N_OF(mil_facts); i++)
        if (strcmp(mil_facts[i - 1].kind, mil_facts[i].kind) >= 0) return (int)(base + i) + 1;
    base += N_OF(mil_facts);
    for (size_t i = 1; i < N_OF(classic_types); i++)
        if (strcmp(classic_types[i - 1], classic_types[i]) >= 0) return (int)(base + i) + 1;
    return 0;
}

static void count_block(const cml_block *b, size_t *ne, size_t *all, int depth) {
    if (!b || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        if (!op->is_const && op->estimate.unit != CML_UNIT_NONE) {
            (*all)++;
            if (op->estimate.unit == CML_UNIT_NE) (*ne)++;
        }
        for (size_t j = 0; j < op->n_blocks; j++) count_block(op->blocks[j], ne, all, depth + 1);
    }
}

static void count_model(const cml_model *m, size_t *ne, size_t *all, int depth) {
    if (!m || depth > IR_MAX_DEPTH) return;
    if (ir_compute_is_classic_type(m->type)) (*all)++;   /* one CPU "op" (SRC_CLASSIC) */
    for (size_t i = 0; i < m->n_functions; i++)
        if (m->functions[i]) count_block(m->functions[i]->block, ne, all, 0);
    for (size_t i = 0; i < m->n_sub_models; i++) count_model(m->sub_models[i], ne, all, depth + 1);
}

/* SOURCE: Model.proto oneof Type — Apple's own models (Create ML feature
 * extractors and text models, the CoreMLModels protos), custom, linked and
 * serialized models: what they run and where is not in the file. */
static const char *opaque_compute(const cml_model *m, int depth) {
    static const char *const types[] = {"audioFeaturePrint", "customModel", "gazetteer", "linkedModel",
                                        "serializedModel", "soundAnalysisPreprocessing", "textClassifier",
                                        "visionFeaturePrint", "wordEmbedding", "wordTagger"};
    if (!m || depth > IR_MAX_DEPTH) return NULL;
    for (size_t i = 0; m->type && i < N_OF(types); i++)
        if (!strcmp(m->type, types[i])) return m->type;
    if (m->unknown & CML_UNKNOWN_GRAPH) return "compiled";
    for (size_t i = 0; i < m->n_sub_models; i++) {
        const char *t = opaque_compute(m->sub_models[i], depth + 1);
        if (t) return t;
    }
    return NULL;
}

double ir_ane_op_coverage(const cml_model *m, const char **why) {
    size_t ne = 0, all = 0;
    if (why) *why = NULL;
    const char *opaque = opaque_compute(m, 0);
    if (opaque) {
        if (why)
            *why = !strcmp(opaque, "compiled")
                       ? "compiled model whose layers coreml-lint cannot read"
                   : !strcmp(opaque, "customModel") || !strcmp(opaque, "linkedModel") ||
                           !strcmp(opaque, "serializedModel")
                       ? "part of the model is implemented outside the file (custom, linked or serialized model)"
                       : "part of the model is one of Apple's built-in models (feature extractor or text model) "
                         "whose network and compute units are not in the file";
        return -1.0;
    }
    count_model(m, &ne, &all, 0);
    if (!all && why) *why = "no compute ops";
    return all ? 100.0 * (double)ne / (double)all : -1.0;
}

double ir_ane_op_coverage_pct(const cml_model *m) { return ir_ane_op_coverage(m, NULL); }

/* SPDX-License-Identifier: Apache-2.0 */
/* compat.c — bundled plugin "compat": whether a model can load on the OS
 * releases an app supports. Rule compat/deployment-target computes the
 * specification version a model needs — the maximum over every feature it
 * uses (IO types, states, multiple functions, empty inputs, model and
 * layer types, ML Program opsets, op types and compression schemes, over
 * every function and pipeline sub-model) — and compares it, and the version
 * the file declares, with the newest version the configured deployment
 * target loads; it names the features that force the version, at the op or
 * feature that forces it. Rule compat/spec-feature-mismatch reports files
 * whose declared version is lower than a feature Apple's validator checks
 * requires (an invalid model), with Apple's own message text. Version facts
 * come from the public table coreml-lint/coreml_facts.h; feature minimums
 * carry their sources below (rules-knowledge §1.3, §5.1, §5.2). Built like
 * any third-party plugin: only the SDK headers, the host reached through
 * cml_host. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "coreml-lint/coreml_facts.h"
#include "coreml-lint/plugin.h"
#include "coreml-lint/walk.h"

#define COMPAT_MAX_NEEDS 64   /* distinct feature labels kept per model */
#define COMPAT_MAX_LISTED 8   /* labels named in one message */

/* ======================================================================== */
/* what a model needs                                                       */
/* ======================================================================== */

/* One feature that needs a specification version: a label ("int4 per-block
 * quantization"), the first place it occurs and how often. Weak needs are
 * consequences of other features (the opset a converter picked, the state
 * ops of a declared state); messages name them only when nothing stronger
 * explains the version. */
typedef struct need {
    int spec;
    bool weak;
    char label[160];
    const cml_loc *at;
    size_t count;
} need;

typedef struct needs {
    need items[COMPAT_MAX_NEEDS];
    size_t n;
    size_t dropped[CML_SPEC_NEWEST + 2]; /* per version: needs beyond COMPAT_MAX_NEEDS */
    int max_spec;              /* over every need, kept or not */
    bool all_mlprogram;        /* every model of the tree is an ML Program */
} needs;

static void need_add(needs *ns, int spec, bool weak, const cml_loc *at, const char *fmt, ...)
    CML_PRINTF_(5, 6);
static void need_add(needs *ns, int spec, bool weak, const cml_loc *at, const char *fmt, ...) {
    char label[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(label, sizeof label, fmt, ap);
    va_end(ap);
    if (spec > ns->max_spec) ns->max_spec = spec;
    for (size_t i = 0; i < ns->n; i++) {
        need *d = &ns->items[i];
        if (strcmp(d->label, label) != 0) continue;
        d->count++;
        if (spec > d->spec) d->spec = spec;
        if (!d->at && at) d->at = at;
        return;
    }
    if (ns->n == COMPAT_MAX_NEEDS) {
        ns->dropped[spec >= 0 && spec <= CML_SPEC_NEWEST ? spec : CML_SPEC_NEWEST + 1]++;
        return;
    }
    need *d = &ns->items[ns->n++];
    d->spec = spec;
    d->weak = weak;
    memcpy(d->label, label, sizeof label);
    d->at = at;
    d->count = 1;
}

static bool streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }
static bool is_mlprogram(const cml_model *m) { return streq(m->type, "mlProgram"); }

/* ---- interface ------------------------------------------------------------ */

static bool in_list(const char *s, const char *const *list, size_t n) {
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(s, list[i])) return true;
    return false;
}

/* SOURCE: Model.cpp:32-45 modelTypeAllowsEmptyInput. */
static bool allows_empty_input(const cml_model *m) {
    static const char *const types[] = {"neuralNetwork", "neuralNetworkRegressor", "neuralNetworkClassifier",
                                        "pipeline",      "pipelineRegressor",      "pipelineClassifier",
                                        "mlProgram"};
    return in_list(m->type, types, sizeof types / sizeof types[0]);
}

/* SOURCE (every minimum below): rules-knowledge §1.3 — apple/coremltools
 * mlmodel/src/Validation/InterfaceValidators.cpp:184-200 (FLOAT16 multiarray
 * >= 7, INT8 >= 10), :363-370 (GRAYSCALE_FLOAT16 >= 7), :380-383 (sequence
 * >= 3), :410-415 (state >= 9); mlmodel/src/Utils.cpp hasFlexibleShapes
 * (flexible shapes: iOS 12 = 3). */
static void feature_needs(needs *ns, const cml_feature *const *fs, size_t n) {
    for (size_t i = 0; fs && i < n; i++) {
        const cml_feature *f = fs[i];
        if (!f) continue;
        if (f->kind == CML_FEAT_MULTIARRAY && f->array_dtype == CML_ARR_FLOAT16)
            need_add(ns, 7, false, &f->loc, "fp16 multiarray I/O");
        if (f->kind == CML_FEAT_MULTIARRAY && f->array_dtype == CML_ARR_INT8)
            need_add(ns, 10, false, &f->loc, "int8 multiarray I/O");
        if (f->kind == CML_FEAT_IMAGE && f->color == CML_COLOR_GRAYSCALE_FLOAT16)
            need_add(ns, 7, false, &f->loc, "GRAYSCALE_FLOAT16 image I/O");
        if (f->kind == CML_FEAT_SEQUENCE) need_add(ns, 3, false, &f->loc, "sequence feature");
        if (f->kind == CML_FEAT_STATE) need_add(ns, 9, false, &f->loc, "state");
        if (f->flex != CML_FLEX_NONE && f->kind != CML_FEAT_STATE)
            need_add(ns, 3, false, &f->loc, "flexible input shape");
    }
}

static size_t count_enumerated(const cml_feature *const *fs, size_t n) {
    size_t k = 0;
    for (size_t i = 0; fs && i < n; i++)
        if (fs[i] && fs[i]->flex == CML_FLEX_ENUMERATED) k++;
    return k;
}

static void interface_needs(needs *ns, const cml_model *m) {
    feature_needs(ns, m->inputs, m->n_inputs);
    feature_needs(ns, m->outputs, m->n_outputs);
    feature_needs(ns, m->states, m->n_states);
    feature_needs(ns, m->training_inputs, m->n_training_inputs);
    /* SOURCE: docs-guides/source/flexible-inputs.md:95-101 and
     * coremltools load.py:638 (supports_multiple_enumerated_shapes: more
     * than one input with EnumeratedShapes needs iOS 18 = 9). */
    if (count_enumerated(m->inputs, m->n_inputs) > 1)
        need_add(ns, 9, false, &m->loc, "multiple inputs with enumerated shapes");
    bool empty_fn = false;
    for (size_t i = 0; i < m->n_function_descs; i++) {
        const cml_function_desc *fd = m->function_descs[i];
        if (!fd) continue;
        feature_needs(ns, fd->inputs, fd->n_inputs);
        feature_needs(ns, fd->outputs, fd->n_outputs);
        feature_needs(ns, fd->states, fd->n_states);
        if (count_enumerated(fd->inputs, fd->n_inputs) > 1)
            need_add(ns, 9, false, &m->loc, "multiple inputs with enumerated shapes");
        if (fd->n_inputs == 0) empty_fn = true;
    }
    /* SOURCE: InterfaceValidators.cpp:505-509 (multi-function syntax >= 9);
     * Utils.cpp hasMultiFunctions (functions non-empty or a default
     * function name). */
    if (m->n_function_descs || (m->default_function_name && *m->default_function_name))
        need_add(ns, 9, false, &m->loc, "multifunction description");
    /* SOURCE: Validators.hpp:110-121 (empty input >= 9), Utils.cpp
     * hasEmptyInput (top-level inputs, or each function's). A compiled
     * model's description comes from metadata.json: not judged there. */
    if (m->format != CML_FMT_MLMODELC && allows_empty_input(m) &&
        ((m->n_function_descs == 0 && m->n_inputs == 0) || (m->n_function_descs && empty_fn)))
        need_add(ns, 9, false, &m->loc, "model without inputs");
    /* SOURCE: Model.cpp:92-95 (updatable >= 4). */
    if (m->is_updatable) need_add(ns, 4, false, &m->loc, "updatable model");
}

/* ---- model types ------------------------------------------------------------ */

/* SOURCE: mlmodel/src/Utils.cpp hasIOS12Features (customModel, textClassifier,
 * wordTagger, visionFeaturePrint scene, nonMaximumSuppression,
 * bayesianProbitRegressor: 3), hasIOS13Features (kNearestNeighborsClassifier,
 * linkedModel, itemSimilarityRecommender, soundAnalysisPreprocessing: 4),
 * hasIOS14Features (serializedModel: 5), hasIOS15Features (mlProgram,
 * audioFeaturePrint sound: 6), hasIOS17Features (classConfidenceThresholding:
 * 8); Model.proto oneof field names. Revision-dependent versions (text
 * classifier revisions 2-5 ...) are not visible in the IR. */
static const struct { const char *type; int spec; } MODEL_TYPES[] = {
    {"customModel", 3},
    {"textClassifier", 3},
    {"wordTagger", 3},
    {"visionFeaturePrint", 3},
    {"nonMaximumSuppression", 3},
    {"bayesianProbitRegressor", 3},
    {"kNearestNeighborsClassifier", 4},
    {"linkedModel", 4},
    {"itemSimilarityRecommender", 4},
    {"soundAnalysisPreprocessing", 4},
    {"serializedModel", 5},
    {"mlProgram", 6},
    {"audioFeaturePrint", 6},
    {"classConfidenceThresholding", 8},
};

static void type_needs(needs *ns, const cml_model *m) {
    for (size_t i = 0; i < sizeof MODEL_TYPES / sizeof MODEL_TYPES[0]; i++)
        if (streq(m->type, MODEL_TYPES[i].type)) {
            if (!strcmp(MODEL_TYPES[i].type, "mlProgram")) need_add(ns, 6, false, &m->loc, "ML Program");
            else need_add(ns, MODEL_TYPES[i].spec, false, &m->loc, "model type %s", m->type);
        }
}

/* ---- NeuralNetwork layers ------------------------------------------------------ */

/* The layer kinds of the iOS 12 set (spec <= 3); everything else needs 4.
 * SOURCE: mlmodel/src/Utils.cpp isIOS12NeuralNetworkLayer (convolution with
 * one input, innerProduct without int8DynamicQuantize, upsample in the
 * default mode, reorganizeData other than PIXEL_SHUFFLE are checked apart);
 * hasIOS12NewNeuralNetworkLayers (resizeBilinear, cropResize: 3). */
static const char *const IOS12_LAYERS[] = {
    "activation", "add",     "average",   "batchnorm",    "bias",         "biDirectionalLSTM",
    "concat",     "convolution", "crop",  "cropResize",   "custom",       "dot",
    "embedding",  "flatten", "gru",       "innerProduct", "l2normalize",  "loadConstant",
    "lrn",        "max",     "min",       "multiply",     "mvn",          "padding",
    "permute",    "pooling", "reduce",    "reorganizeData", "reshape",    "resizeBilinear",
    "scale",      "sequenceRepeat", "simpleRecurrent", "slice", "softmax", "split",
    "unary",      "uniDirectionalLSTM", "upsample",
};

/* SOURCE: mlmodel/src/Utils.cpp hasIOS14NeuralNetworkFeatures (layers new in
 * iOS 14 = spec 5). */
static const char *const IOS14_LAYERS[] = {"cumSum",    "oneHot",          "clampedReLU",  "argSort",
                                           "pooling3d", "globalPooling3d", "sliceBySize", "convolution3d"};

static const cml_attr *op_attr(const cml_op *op, const char *name) {
    for (size_t i = 0; i < op->n_attrs; i++)
        if (op->attrs[i] && streq(op->attrs[i]->name, name)) return op->attrs[i];
    return NULL;
}

static int64_t attr_int(const cml_op *op, const char *name) {
    const cml_attr *a = op_attr(op, name);
    if (!a) return 0;
    if (a->kind == CML_ATTR_BOOL) return a->b;
    return (a->kind == CML_ATTR_INT || a->kind == CML_ATTR_STRING) ? a->i : 0; /* enums: i */
}

static size_t attr_count(const cml_op *op, const char *name) {
    const cml_attr *a = op_attr(op, name);
    return a && (a->kind == CML_ATTR_INTS || a->kind == CML_ATTR_FLOATS || a->kind == CML_ATTR_STRINGS) ? a->n : 0;
}

static size_t layer_inputs(const cml_op *op) {
    for (size_t i = 0; i < op->n_inputs; i++)
        if (op->inputs[i] && streq(op->inputs[i]->name, "input")) return op->inputs[i]->n_values;
    return 0;
}

static void layer_needs(needs *ns, const cml_op *op) {
    const char *k = op->kind ? op->kind : "";
    const cml_loc *at = &op->loc;
    /* SOURCE: Utils.cpp hasIOS11_2Features: custom layers and fp16
     * weights (2); hasIOS12Features: unsigned quantized weights (3). */
    if (!strcmp(k, "custom")) need_add(ns, 2, false, at, "custom layer");
    for (size_t i = 0; i < op->n_attrs; i++) {
        const cml_attr *a = op->attrs[i];
        const cml_weight *w = a && a->kind == CML_ATTR_VALUE && a->value ? a->value->weight : NULL;
        if (!w) continue;
        if (w->quant_bits) need_add(ns, 3, false, at, "quantized layer weights");
        else if (w->dtype == CML_DT_FP16) need_add(ns, 2, false, at, "fp16 layer weights");
    }
    if (!strcmp(k, "resizeBilinear") || !strcmp(k, "cropResize")) need_add(ns, 3, false, at, "layer %s", k);
    /* SOURCE: Utils.cpp hasIOS14NeuralNetworkFeatures (5): new layer kinds
     * and new modes of older layers. */
    const char *ios14 = NULL;
    if (in_list(k, IOS14_LAYERS, sizeof IOS14_LAYERS / sizeof IOS14_LAYERS[0])) ios14 = "layer";
    else if (!strcmp(k, "upsample") &&
             (attr_int(op, "linearUpsampleMode") != 0 || attr_count(op, "fractionalScalingFactor")))
        ios14 = "upsample with align-corners mode or fractional scale";
    else if (!strcmp(k, "reorganizeData") && attr_int(op, "mode") == 2) /* PIXEL_SHUFFLE */
        ios14 = "reorganizeData PIXEL_SHUFFLE";
    else if ((!strcmp(k, "innerProduct") || !strcmp(k, "batchedMatmul")) && attr_int(op, "int8DynamicQuantize"))
        ios14 = "int8 dynamic quantization";
    else if (!strcmp(k, "concatND") && attr_int(op, "interleave"))
        ios14 = "interleaved concatND";
    else if (!strcmp(k, "sliceDynamic") && (layer_inputs(op) == 7 || attr_count(op, "squeezeMasks")))
        ios14 = "sliceDynamic with 7 inputs or squeeze masks";
    if (ios14 && !strcmp(ios14, "layer")) need_add(ns, 5, false, at, "layer %s", k);
    else if (ios14) need_add(ns, 5, false, at, "%s", ios14);
    /* SOURCE: Utils.cpp hasIOS13NeuralNetworkFeatures: any layer outside
     * the iOS 12 set needs 4. */
    bool ios12 = in_list(k, IOS12_LAYERS, sizeof IOS12_LAYERS / sizeof IOS12_LAYERS[0]) && !ios14;
    if (ios12 && !strcmp(k, "convolution") && layer_inputs(op) != 1) {
        need_add(ns, 4, false, at, "convolution with weights as an input");
    } else if (!ios12 && !ios14) {
        need_add(ns, 4, false, at, "layer %s", k);
    }
}

/* ---- ML Program ops ----------------------------------------------------------- */

static bool is_constexpr(const cml_op *op) { return op->kind && !strncmp(op->kind, "constexpr_", 10); }

/* The compression label of a weight that needs iOS 18 (spec 9), or false.
 * SOURCE: rules-knowledge §1.3 CoreML8 row — coremltools
 * optimize/coreml/_quantization_passes.py:1381-1388 (per-block and 4-bit
 * quantization need iOS18), :1029-1034 (per-grouped-channel and vector
 * palettization), :1137-1141 (per-channel scale), :102 (joint
 * compression); optimize/_utils.py:691-718 (before iOS18 a LUT is one
 * per-tensor table of 1/2/4/6/8 bits, no vectors); docs-guides
 * opt-whats-new.md (iOS18: grouped LUTs, 3-bit, int8 LUTs, per-channel
 * scale, 4-bit weights, per-block, sparse + palettized/quantized). */
static bool compression_label(const cml_compression *c, char *out, size_t n) {
    char pal[96] = "", q[48] = "";
    bool need9 = false;
    if (c->palettized) {
        const char *g = c->lut_granularity == CML_GRAN_PER_GROUPED_CHANNEL ? " grouped-channel"
                        : c->lut_granularity == CML_GRAN_PER_CHANNEL       ? " per-channel"
                        : c->lut_granularity == CML_GRAN_BLOCKWISE_LUT     ? " blockwise"
                                                                           : "";
        bool int8_lut = c->lut_dtype == CML_DT_INT8 || c->lut_dtype == CML_DT_UINT8;
        bool vec = c->lut_vector_size > 1;
        bool odd_bits = c->lut_bits == 3 || c->lut_bits == 5 || c->lut_bits > 8;
        if (*g || int8_lut || vec || odd_bits || c->per_channel_scale) need9 = true;
        snprintf(pal, sizeof pal, "%u-bit%s%s palettization%s%s", c->lut_bits, g, vec ? " vector" : "",
                 int8_lut ? " with int8 LUT" : "", c->per_channel_scale ? " with per-channel scale" : "");
    }
    if (c->quantized) {
        const char *g = c->quant_granularity == CML_GRAN_PER_BLOCK     ? "per-block"
                        : c->quant_granularity == CML_GRAN_PER_CHANNEL ? "per-channel"
                                                                       : "per-tensor";
        if (c->quant_granularity == CML_GRAN_PER_BLOCK || (c->quant_bits && c->quant_bits < 8)) need9 = true;
        snprintf(q, sizeof q, "%s %s quantization", cml_dtype_name(c->quant_dtype), g);
    }
    if (c->sparse && (c->palettized || c->quantized)) {
        need9 = true;
        snprintf(out, n, "joint sparsity + %s", c->palettized ? pal : q);
        return true;
    }
    if (c->palettized && c->quantized && !(c->lut_dtype == CML_DT_INT8 || c->lut_dtype == CML_DT_UINT8)) {
        snprintf(out, n, "joint %s + %s", pal, q);
        return true;
    }
    if (!need9) return false;
    snprintf(out, n, "%s", c->palettized ? pal : q);
    return true;
}

/* The last op of a constexpr chain: no constexpr consumes its output. */
static bool chain_end(const cml_op *op) {
    for (size_t i = 0; i < op->n_outputs; i++) {
        const cml_value *v = op->outputs[i];
        for (size_t j = 0; v && j < v->n_consumers; j++)
            if (v->consumers[j] && is_constexpr(v->consumers[j])) return false;
    }
    return true;
}

static void op_needs(needs *ns, const cml_op *op) {
    const char *k = op->kind ? op->kind : "";
    bool explained = false;
    if (is_constexpr(op) && chain_end(op)) {
        for (size_t i = 0; i < op->n_outputs && !explained; i++) {
            const cml_value *v = op->outputs[i];
            char label[160];
            if (v && v->compression && compression_label(v->compression, label, sizeof label)) {
                need_add(ns, 9, false, &op->loc, "%s", label);
                explained = true;
            }
        }
    }
    /* SOURCE: op -> first opset from coreml_facts.h (coremltools ops/defs/
     * iOS15..iOS18); opset CoreML<k> arrived with specification k + 1. */
    const cml_op_fact *f = cml_op_lookup(k);
    if (!f || f->since <= CML_OPSET_OLDEST) return;
    bool state_op = !strcmp(k, "read_state") || !strcmp(k, "write_state");
    if (is_constexpr(op)) {
        /* a constexpr inside a chain is explained by the chain's end */
        if (explained || !chain_end(op)) {
            if (!explained) need_add(ns, f->since + 1, true, &op->loc, "op %s", k);
            return;
        }
    }
    need_add(ns, f->since + 1, state_op || explained, &op->loc, "op %s", k);
}

static void function_needs(needs *ns, const cml_function *fn) {
    cml_op_iter it;
    for (const cml_op *op = cml_ops_first(&it, NULL, fn); op; op = cml_ops_next(&it)) {
        if (op->is_nn_layer) layer_needs(ns, op);
        else op_needs(ns, op);
    }
}

/* ---- one model and its sub-models ------------------------------------------- */

static void model_needs(needs *ns, const cml_model *m) {
    if (!is_mlprogram(m)) ns->all_mlprogram = false;
    if (ns->max_spec < 1) ns->max_spec = 1;
    type_needs(ns, m);
    interface_needs(ns, m);
    /* SOURCE: Utils.cpp hasIOS13NeuralNetworkFeatures — array/image input
     * shape mappings other than RANK5 need 4. */
    if (m->nn_array_shape_mapping > 0) need_add(ns, 4, false, &m->loc, "exact-rank array input mapping");
    if (m->nn_image_shape_mapping > 0) need_add(ns, 4, false, &m->loc, "rank-4 image input mapping");
    for (size_t i = 0; i < m->n_functions; i++) {
        const cml_function *fn = m->functions[i];
        if (!fn) continue;
        /* SOURCE: Utils.cpp hasCoreML6/7/8Opsets (CoreML<k> needs k + 1;
         * Apple looks only at "main", every function counts here). */
        int os = cml_opset_spec(fn->opset);
        if (os > 0) need_add(ns, os, true, &fn->loc, "opset %s", fn->opset);
        function_needs(ns, fn);
    }
    /* SOURCE: coremltools converters/mil/backend/mil/load.py:59-73
     * should_use_weight_file — only fp16/fp32/uint8/int8 went to weight.bin
     * before iOS 18 (16- and 32-bit integer blobs need 9). */
    for (size_t i = 0; i < m->n_weights; i++) {
        const cml_weight *w = m->weights[i];
        if (!w || w->storage != CML_STORE_BLOB) continue;
        if (w->dtype == CML_DT_INT16 || w->dtype == CML_DT_UINT16 || w->dtype == CML_DT_INT32 ||
            w->dtype == CML_DT_UINT32)
            need_add(ns, 9, false, &w->loc, "%s weights in weight.bin", cml_dtype_name(w->dtype));
    }
}

static int declared_max(const cml_model *root) {
    int s = root ? root->spec_version : 0;
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, root); m; m = cml_models_next(&mi))
        if (m->spec_version > s) s = m->spec_version;
    return s;
}

/* ======================================================================== */
/* compat/deployment-target                                                  */
/* ======================================================================== */

/* "iOS 18.0" for spec on platform p ("iOS ?" when unknown). */
static void spec_os(int spec, cml_platform p, char *buf, size_t n) {
    char v[24] = "?";
    uint32_t ver = cml_spec_min_os(spec, p);
    if (ver) cml_osver_format(ver, v, sizeof v);
    snprintf(buf, n, "%s %s", cml_platform_name(p), v);
}

/* The coremltools target for a specification version on platform p
 * ("ct.target.iOS16", "ct.target.macOS10_15"); visionOS has none, so its
 * iOS twin is named. Empty below spec 4 (the converters' lowest).
 * SOURCE: coremltools/converters/mil/_deployment_compatibility.py:19-57. */
static void ct_target(int spec, cml_platform p, char *buf, size_t n) {
    if (spec < 4 || spec > CML_SPEC_NEWEST) {
        buf[0] = 0;
        return;
    }
    if (p == CML_PLATFORM_VISIONOS) p = CML_PLATFORM_IOS;
    uint32_t v = cml_spec_min_os(spec, p);
    unsigned major = v / 1000000u, minor = v / 1000u % 1000u;
    if (minor) snprintf(buf, n, "ct.target.%s%u_%u", cml_platform_name(p), major, minor);
    else snprintf(buf, n, "ct.target.%s%u", cml_platform_name(p), major);
}

/* Pick the needs above `allowed` to name (strong ones; the weak ones only
 * when nothing strong is above), highest version first, in order of
 * appearance within a version. */
static size_t pick(const needs *ns, int allowed, const need **out, size_t max, size_t *more) {
    size_t k = 0;
    bool strong = false;
    *more = 0;
    for (size_t i = 0; i < ns->n; i++)
        if (ns->items[i].spec > allowed && !ns->items[i].weak) strong = true;
    for (int s = ns->max_spec; s > allowed; s--) {
        for (size_t i = 0; i < ns->n; i++) {
            const need *d = &ns->items[i];
            if (d->spec != s || d->weak == strong) continue;
            if (k < max) out[k++] = d;
            else (*more)++;
        }
    }
    return k;
}

static void append(char *buf, size_t n, size_t *len, const char *fmt, ...) CML_PRINTF_(4, 5);
static void append(char *buf, size_t n, size_t *len, const char *fmt, ...) {
    if (*len >= n) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w > 0) *len = (size_t)w >= n - *len ? n - 1 : *len + (size_t)w;
}

/* "int4 per-block quantization (main/x and 12 more)" */
static void list_needs(char *buf, size_t n, size_t *len, const need *const *ds, size_t k, size_t more) {
    for (size_t i = 0; i < k; i++) {
        const need *d = ds[i];
        const char *where = d->at ? (d->at->logical ? d->at->logical : NULL) : NULL;
        append(buf, n, len, "%s%s", i ? ", " : "", d->label);
        if (where && d->count > 1) append(buf, n, len, " (%s and %zu more)", where, d->count - 1);
        else if (where) append(buf, n, len, " (%s)", where);
        else if (d->count > 1) append(buf, n, len, " (%zu places)", d->count);
    }
    if (more) append(buf, n, len, " and %zu more", more);
}

static int dt_check(const cml_model *model, cml_ctx *ctx) {
    const char *target = cml_target(ctx);
    if (!target || !*target) return CML_OK;
    cml_platform p;
    uint32_t tv;
    if (!cml_target_parse(target, &p, &tv)) {
        cml_log(ctx, CML_WARNING, "deployment target '%s' is not <platform><version>; not checked", target);
        return CML_OK;
    }
    /* a model that could not be read at all: the load/ rules say why */
    if (model->spec_version <= 0 && (!model->type || !strcmp(model->type, "unknown"))) return CML_OK;
    int allowed = cml_max_spec_for(p, tv);
    needs ns;
    memset(&ns, 0, sizeof ns);
    ns.all_mlprogram = true;
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, model); m; m = cml_models_next(&mi)) model_needs(&ns, m);
    int required = ns.max_spec;
    int declared = declared_max(model);
    char need_os[48], allow_txt[96], tgt_os[48];
    spec_os(required, p, need_os, sizeof need_os);
    if (allowed > 0) {
        char a_os[48];
        spec_os(allowed, p, a_os, sizeof a_os);
        snprintf(allow_txt, sizeof allow_txt, "supports at most specification %d (%s)", allowed, a_os);
    } else {
        spec_os(CML_SPEC_OLDEST, p, tgt_os, sizeof tgt_os);
        snprintf(allow_txt, sizeof allow_txt, "predates Core ML (%s)", tgt_os);
    }

    /* 1. features need more than the target loads: the OS refuses the model.
     * SOURCE: rules-knowledge §5.1; coremltools _deployment_compatibility.py:
     * 146-180 check_deployment_compatibility (names the blocking ops). */
    if (required > allowed) {
        const need *ds[COMPAT_MAX_LISTED];
        size_t more, k = pick(&ns, allowed, ds, COMPAT_MAX_LISTED, &more);
        for (int s = allowed + 1; s <= CML_SPEC_NEWEST + 1; s++) more += s >= 0 ? ns.dropped[s] : 0;
        char msg[1024], fix[512], ct[40];
        size_t len = 0;
        append(msg, sizeof msg, &len, "the model needs Core ML specification %d (%s) but the deployment target %s %s",
               required, need_os, target, allow_txt);
        if (k) {
            append(msg, sizeof msg, &len, "; needed by: ");
            list_needs(msg, sizeof msg, &len, ds, k, more);
        }
        ct_target(allowed, p, ct, sizeof ct);
        char req_v[24] = "?";
        cml_osver_format(cml_spec_min_os(required, p), req_v, sizeof req_v);
        if (*ct)
            snprintf(fix, sizeof fix,
                     "raise the deployment target to %s %s or load the model only under "
                     "`if #available(%s %s, *)`; or re-convert with minimum_deployment_target=%s without the "
                     "listed features (int4/per-block -> per-channel int8, grouped LUT -> per-tensor LUT, "
                     "multifunction -> separate models, fp16 I/O -> fp32 I/O)",
                     cml_platform_name(p), req_v, cml_platform_name(p), req_v, ct);
        else
            snprintf(fix, sizeof fix, "raise the deployment target to %s %s, or load the model only under "
                                      "`if #available(%s %s, *)`",
                     cml_platform_name(p), req_v, cml_platform_name(p), req_v);
        cml_related rel[COMPAT_MAX_LISTED];
        char rtxt[COMPAT_MAX_LISTED][256];
        for (size_t i = 0; i < k; i++) {
            char os[48];
            spec_os(ds[i]->spec, p, os, sizeof os);
            snprintf(rtxt[i], sizeof rtxt[i], "%s needs specification %d (%s)", ds[i]->label, ds[i]->spec, os);
            rel[i].at = ds[i]->at;
            rel[i].message = rtxt[i];
        }
        cml_report(ctx, .message = msg, .fix = fix, .at = k ? ds[0]->at : NULL, .related = k ? rel : NULL,
                   .n_related = k);
        return CML_OK;
    }

    /* 2. the file declares a version the target cannot load, although
     * nothing in it needs that version. libmlmodel lowers such versions when
     * it reads a model (Model.cpp:16-20, Utils.cpp:200-256
     * downgradeSpecificationVersion), so Xcode's compiler may produce a
     * loadable model; a compiled .mlmodelc carries its final version. */
    if (declared > allowed) {
        char msg[768], decl_os[48];
        spec_os(declared, p, decl_os, sizeof decl_os);
        if (model->format == CML_FMT_MLMODELC) {
            snprintf(msg, sizeof msg,
                     "the compiled model has specification %d (%s) but the deployment target %s %s",
                     declared, decl_os, target, allow_txt);
            cml_report(ctx, .message = msg,
                       .fix = "compile the source model with the Xcode (coremlc) of the oldest OS you support, "
                              "or raise the deployment target");
        } else {
            char fix[256];
            snprintf(msg, sizeof msg,
                     "the model declares specification %d (%s) but the deployment target %s %s; coreml-lint "
                     "found nothing in it that needs more than specification %d, so only the declared version "
                     "is too new (Core ML's compiler may lower it, but do not rely on that)",
                     declared, decl_os, target, allow_txt, required);
            snprintf(fix, sizeof fix,
                     "re-save the model with specificationVersion %d (set spec.specificationVersion and save "
                     "it with coremltools), or raise the deployment target",
                     required > allowed ? allowed : required);
            cml_report(ctx, .level = CML_WARNING, .message = msg, .fix = fix);
        }
        return CML_OK;
    }

    const char *av = cml_min_os_on(&model->min_os, p);
    /* 3. no release of the target's platform runs the model: coremlc's
     * metadata.json says "unavailable", or a stage is a model type the
     * platform lacks (cml_model_type_unavailable: Apple's Vision feature
     * print on watchOS) */
    if (av && !strcmp(av, CML_OS_UNAVAILABLE)) {
        char msg[512];
        snprintf(msg, sizeof msg, "the model does not run on %s at any release (the deployment target is %s): %s",
                 cml_platform_name(p), target,
                 model->format == CML_FMT_MLMODELC ? "the compiled model's metadata.json availability says "
                                                     "\"unavailable\""
                                                   : "it uses Apple's Vision feature print, which that platform "
                                                     "does not have");
        cml_report(ctx, .message = msg,
                   .fix = "leave this model out of that platform's target, or train one without the feature print "
                          "(e.g. a Create ML classifier on another feature extractor)");
        return CML_OK;
    }

    /* 4. a compiled model's metadata.json availability is newer than the
     * target (coremlc writes it; the loader puts it in min_os).
     * SOURCE: rules-knowledge §1.1, §2.8, §5.1. */
    if (model->format == CML_FMT_MLMODELC) {
        uint32_t av_v;
        if (av && cml_osver_parse(av, &av_v) && av_v > tv) {
            char msg[512];
            snprintf(msg, sizeof msg,
                     "the compiled model's metadata.json availability requires %s %s, newer than the deployment "
                     "target %s",
                     cml_platform_name(p), av, target);
            cml_report(ctx, .message = msg,
                       .fix = "compile the source model with the Xcode (coremlc) of the oldest OS you support, "
                              "or raise the deployment target");
            return CML_OK;
        }
    }

    /* 5. note: the declared version is higher than the features need, so the
     * model would also load on older releases. Only for ML Programs, whose
     * needs the IR shows completely (NeuralNetwork and classic models have
     * revision-dependent features the IR does not carry). */
    if (ns.all_mlprogram && declared > required && required >= CML_SPEC_OLDEST) {
        char msg[512], decl_os[48], fix[256];
        spec_os(declared, p, decl_os, sizeof decl_os);
        snprintf(msg, sizeof msg,
                 "the model declares specification %d (%s) but its features need only specification %d (%s); "
                 "saved with the lower version it would also load on %s",
                 declared, decl_os, required, need_os, need_os);
        snprintf(fix, sizeof fix,
                 "if older releases matter, re-save with specificationVersion %d (coremltools lowers it "
                 "automatically when the version is left to it)",
                 required);
        cml_report(ctx, .level = CML_NOTE, .message = msg, .fix = fix);
    }
    return CML_OK;
}

/* ======================================================================== */
/* compat/spec-feature-mismatch                                              */
/* ======================================================================== */

/* Apple's validator messages, verbatim (including "verison").
 * SOURCE: mlmodel/src/Validation/InterfaceValidators.cpp:184-200 (FLOAT16,
 * INT8 multiarray), :363-370 (GRAYSCALE_FLOAT16), :380-383 (sequence),
 * :410-415 (state), :505-509 (multi-function); Validators.hpp:110-121
 * (empty input); Model.cpp:92-95 (updatable). */
static void mismatch_features(cml_ctx *ctx, const cml_model *m, const cml_feature *const *fs, size_t n) {
    int v = m->spec_version;
    for (size_t i = 0; fs && i < n; i++) {
        const cml_feature *f = fs[i];
        if (!f) continue;
        const char *name = f->name ? f->name : "";
        if (f->kind == CML_FEAT_MULTIARRAY && f->array_dtype == CML_ARR_FLOAT16 && v < 7)
            cml_reportf(ctx, &f->loc,
                        "Description of multiarray feature '%s' has FLOAT16 dataType, which is only valid in "
                        "specification version >= 7. This model has version %d",
                        name, v);
        if (f->kind == CML_FEAT_MULTIARRAY && f->array_dtype == CML_ARR_INT8 && v < 10)
            cml_reportf(ctx, &f->loc,
                        "Description of multiarray feature '%s' has INT8 dataType, which is only valid in "
                        "specification version >= 10. This model has version %d",
                        name, v);
        if (f->kind == CML_FEAT_IMAGE && f->color == CML_COLOR_GRAYSCALE_FLOAT16 && v < 7)
            cml_reportf(ctx, &f->loc,
                        "Description of image feature '%s' has GRAYSCALE_FLOAT16 colorspace, which is only "
                        "valid in specification version >= 7. This model has version %d",
                        name, v);
        if (f->kind == CML_FEAT_SEQUENCE && v < 3)
            cml_reportf(ctx, &f->loc,
                        "Sequence types are only valid in specification verison >= 3. This model has version %d "
                        "(feature '%s')",
                        v, name);
        if (f->kind == CML_FEAT_STATE && v < 9)
            cml_reportf(ctx, &f->loc,
                        "State types are only valid in specification verison >= 9. This model has version %d "
                        "(feature '%s')",
                        v, name);
    }
}

static void mismatch_model(cml_ctx *ctx, const cml_model *m) {
    int v = m->spec_version;
    if (v <= 0) return; /* missing or corrupt: load/spec-version says so */
    mismatch_features(ctx, m, m->inputs, m->n_inputs);
    mismatch_features(ctx, m, m->outputs, m->n_outputs);
    mismatch_features(ctx, m, m->states, m->n_states);
    mismatch_features(ctx, m, m->training_inputs, m->n_training_inputs);
    bool multi = m->n_function_descs || (m->default_function_name && *m->default_function_name);
    if (multi && is_mlprogram(m) && v < 9)
        cml_reportf(ctx, &m->loc,
                    "Multi-function syntax is only valid in specification verison >= 9. This model has version %d",
                    v);
    for (size_t i = 0; i < m->n_function_descs; i++) {
        const cml_function_desc *fd = m->function_descs[i];
        if (!fd) continue;
        mismatch_features(ctx, m, fd->inputs, fd->n_inputs);
        mismatch_features(ctx, m, fd->outputs, fd->n_outputs);
        mismatch_features(ctx, m, fd->states, fd->n_states);
        if (fd->n_inputs == 0 && allows_empty_input(m) && v < 9 && m->format != CML_FMT_MLMODELC)
            cml_reportf(ctx, &m->loc,
                        "Empty input is only valid in specification verison >= 9. This model has version %d "
                        "(function '%s')",
                        v, fd->name ? fd->name : "?");
    }
    /* a single-function model without inputs is compat/empty-input's
     * (one pattern, one id); per-function empty inputs stay here */
    if (m->is_updatable && v < 4)
        cml_reportf(ctx, &m->loc, "Model specification version for an updatable model must be '4' or above.");
    /* An ML Program function's opset CoreML<k> arrived with specification
     * k + 1. SOURCE: coremltools/__init__.py:109-117 (_OPSET); Utils.cpp
     * hasCoreML6/7/8Opsets. */
    if (is_mlprogram(m)) {
        for (size_t i = 0; i < m->n_functions; i++) {
            const cml_function *fn = m->functions[i];
            int req = fn ? cml_opset_spec(fn->opset) : 0;
            if (req > v)
                cml_reportf(ctx, &fn->loc,
                            "function '%s' uses opset %s, which is only valid in specification version >= %d. "
                            "This model has version %d",
                            fn->name ? fn->name : "?", fn->opset, req, v);
        }
    }
}

static int sfm_check(const cml_model *model, cml_ctx *ctx) {
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, model); m; m = cml_models_next(&mi)) mismatch_model(ctx, m);
    return CML_OK;
}

/* ======================================================================== */
/* descriptors                                                               */
/* ======================================================================== */

static const char *const dt_tags[] = {"compat", "version", "deployment", NULL};
static const char *const sfm_tags[] = {"compat", "version", "validity", NULL};

static const cml_rule dt_rule = {
    .size = sizeof(cml_rule),
    .id = "compat/deployment-target",
    .name = "DeploymentTarget",
    .summary = "The model needs a newer OS than the app's deployment target.",
    .description = "Compares the Core ML specification version a model needs (the maximum over every feature "
                   "it uses: IO types, states, multiple functions, opsets, op types, compression schemes, in "
                   "every function and pipeline sub-model) and the version it declares with the newest "
                   "version the deployment target loads, and names the features that force the version.",
    .help_md =
        "## Why\n\n"
        "Every Core ML model declares a *specification version*; each OS release loads versions up to a "
        "limit (iOS 16 / macOS 13 load 7, iOS 17 / macOS 14 load 8, iOS 18 / macOS 15 load 9, iOS 26 loads "
        "10). A model that needs a newer version than the oldest OS the app supports fails to load there "
        "(Xcode warns: *This model is not supported on specified deployment target*). Converters raise the "
        "version silently when a feature needs it: int4 or per-block quantization, grouped-channel or 3-bit "
        "palettization, joint sparse + palettized weights, states, several functions and the CoreML8 opset "
        "all need iOS 18; fp16 multiarray inputs and outputs need iOS 16.\n\n"
        "The rule runs only with a deployment target (`--target iOS16` or `\"target\"` in the "
        "configuration). It computes the version the model needs as the maximum over the features it uses "
        "(over every function and pipeline sub-model, not only `main`) and reports:\n\n"
        "- **error** — the features need a newer version than the target loads; the message lists them with "
        "the first op or feature that uses each, and the finding points at the first one;\n"
        "- **error** — a compiled `.mlmodelc` whose version or `metadata.json` availability is newer than the "
        "target;\n"
        "- **error** — no release of the target's platform runs the model: a compiled model's `metadata.json` "
        "availability says `\"unavailable\"` for it, or a stage is Apple's Vision feature print on watchOS "
        "(the Vision framework has no watchOS release; coremlc marks such models unavailable there);\n"
        "- **warning** — the file declares a newer version than the target loads although nothing coreml-lint "
        "sees in it needs that version (Apple's model library lowers such versions when it reads a model, "
        "`downgradeSpecificationVersion`, so the compiled model may still load; re-save it at the lower "
        "version rather than rely on that);\n"
        "- **note** — an ML Program declares a higher version than its features need (it could load on "
        "older releases).\n\n"
        "## Example\n\n"
        "```\n"
        "Adapter.mlpackage: error: the model needs Core ML specification 9 (iOS 18.0) but the deployment "
        "target iOS16 supports at most specification 7 (iOS 16.0); needed by: int4 per-block quantization "
        "(main/fc_weight_to_fp16_quantized), multifunction description\n"
        "```\n\n"
        "## Fix\n\n"
        "Raise the deployment target, or load the model only where it is supported:\n\n"
        "```swift\n"
        "if #available(iOS 18.0, *) { model = try Adapter(configuration: config) }\n"
        "```\n\n"
        "Or re-convert for the older target and drop the listed features:\n\n"
        "```python\n"
        "mlmodel = ct.convert(traced, minimum_deployment_target=ct.target.iOS16)\n"
        "# int4 / per-block -> 8-bit per-channel; grouped LUT -> per-tensor LUT;\n"
        "# multifunction -> separate models; fp16 I/O -> fp32 I/O\n"
        "```\n\n"
        "## Sources\n\n"
        "- apple/coremltools `mlmodel/format/Model.proto` (specification versions and OS releases), "
        "`mlmodel/src/Utils.cpp` (`hasIOSxxFeatures`, `downgradeSpecificationVersion`), "
        "`mlmodel/src/Validation/InterfaceValidators.cpp`\n"
        "- `coremltools/converters/mil/_deployment_compatibility.py`, "
        "`coremltools/optimize/coreml/_quantization_passes.py` (iOS 18 compression requirements)\n"
        "- apple/coremltools#1277 (coremlc deployment-target warning); rules-knowledge §1.1-§1.4, §5.1\n",
    .help_uri = "https://apple.github.io/coremltools/docs-guides/source/opt-whats-new.html",
    .default_level = CML_ERROR,
    .tags = dt_tags,
    .check = dt_check,
};

static const cml_rule sfm_rule = {
    .size = sizeof(cml_rule),
    .id = "compat/spec-feature-mismatch",
    .name = "SpecFeatureMismatch",
    .summary = "The model declares a specification version lower than a feature it uses requires.",
    .description = "Reports features that Core ML's validator rejects below a specification version (fp16, "
                   "int8 and GRAYSCALE_FLOAT16 IO, sequences, states, multiple functions, empty inputs, "
                   "updatable models) and ML Program opsets newer than the declared version, with Apple's "
                   "own message text.",
    .help_md =
        "## Why\n\n"
        "Core ML validates a model's interface against the specification version the model declares. A "
        "file that uses a feature of a newer version than it declares is invalid on every OS: it fails to "
        "compile and to load, with the validator's message. Such files come from hand-edited specs, tools "
        "that set `specificationVersion` themselves, or merged models.\n\n"
        "Checked (every pipeline sub-model with its own version):\n\n"
        "| feature | needs |\n|---|---|\n"
        "| sequence feature type | 3 |\n| updatable model | 4 |\n"
        "| FLOAT16 multiarray, GRAYSCALE_FLOAT16 image | 7 |\n"
        "| state, multi-function description, empty input | 9 |\n| INT8 multiarray | 10 |\n"
        "| ML Program function with opset `CoreML<k>` | k + 1 |\n\n"
        "Op types that the function's opset does not define are reported by `load/unknown-op`.\n\n"
        "## Example\n\n"
        "```\n"
        "Denoiser.mlpackage: error: Description of multiarray feature 'x' has FLOAT16 dataType, which is "
        "only valid in specification version >= 7. This model has version 6\n"
        "```\n\n"
        "## Fix\n\n"
        "Re-save the model with coremltools so it sets the version itself (`ct.models.MLModel(spec)` then "
        "`save`), or set `spec.specificationVersion` to the version the message names; or remove the "
        "feature (fp32 IO instead of fp16).\n\n"
        "## Sources\n\n"
        "- apple/coremltools `mlmodel/src/Validation/InterfaceValidators.cpp:184-200, 363-370, 380-383, "
        "409-415, 505-509`, `Validators.hpp:110-121`, `mlmodel/src/Model.cpp:92-95` (messages quoted "
        "verbatim, including Apple's spelling \"verison\")\n"
        "- `coremltools/__init__.py` `_OPSET`; rules-knowledge §1.2-§1.3, §5.2\n",
    .default_level = CML_ERROR,
    .tags = sfm_tags,
    .check = sfm_check,
};

static const cml_rule *const compat_rules[] = {&dt_rule, &sfm_rule, NULL};

static const cml_plugin compat_plugin = {
    .size = sizeof(cml_plugin),
    .abi = CML_ABI_VERSION,
    .name = "compat",
    .version = CML_VERSION_STRING,
    .spdx_license = "Apache-2.0",
    .rules = compat_rules,
};

CML_PLUGIN_DEFINE(compat_plugin)

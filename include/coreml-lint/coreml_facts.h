/* SPDX-License-Identifier: Apache-2.0 */
/* coreml-lint/coreml_facts.h — a public, header-only table of Core ML
 * version facts for plugins and the host alike: which OS release first runs
 * each specification version (per platform), the MIL opset name of each
 * specification version, and for every ML Program op type the first opset
 * that defines it (plus the opsets that re-version it). Helpers parse a
 * deployment target ("iOS17.4", "macOS13", "visionOS2"), compute the newest
 * specification a target can load (cml_max_spec_for), map opsets to
 * specification versions and look ops up by binary search over the sorted
 * table. Everything is static data inside static inline functions, so a
 * file that includes this header and uses none of it costs nothing and
 * warns about nothing. Versions are packed as CML_OSVER(major, minor,
 * patch) so that they compare as integers. Every fact names its source;
 * the research notes are shared/research/rules-knowledge.md §1.1-§1.4. */
#ifndef COREML_LINT_COREML_FACTS_H
#define COREML_LINT_COREML_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coreml-lint/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- platforms and OS versions --------------------------------------------- */

typedef enum cml_platform {
    CML_PLATFORM_UNKNOWN = -1,
    CML_PLATFORM_IOS = 0,      /* iOS and iPadOS */
    CML_PLATFORM_MACOS,
    CML_PLATFORM_TVOS,
    CML_PLATFORM_WATCHOS,
    CML_PLATFORM_VISIONOS,
    CML_PLATFORM_COUNT_
} cml_platform;

/* An OS version packed so that versions compare as integers (each part 0..999). */
#define CML_OSVER(major, minor, patch)                                                   \
    ((uint32_t)(major) * 1000000u + (uint32_t)(minor) * 1000u + (uint32_t)(patch))

/* Specification versions this table knows: 1 (iOS 11) .. 10 (iOS 26).
 * SOURCE: apple/coremltools mlmodel/src/Globals.hpp:69-71
 * (MLMODEL_SPECIFICATION_VERSION_NEWEST = IOS26 = 10). */
#define CML_SPEC_OLDEST 1
#define CML_SPEC_NEWEST 10
/* ML Program opsets: CoreML5 (spec 6) .. CoreML9 (spec 10).
 * SOURCE: coremltools/__init__.py:109-117 (_OPSET). */
#define CML_OPSET_OLDEST 5
#define CML_OPSET_NEWEST 9

/* "iOS", "macOS", "tvOS", "watchOS", "visionOS"; "?" for anything else. */
static inline const char *cml_platform_name(cml_platform p) {
    static const char *const names[CML_PLATFORM_COUNT_] = {"iOS", "macOS", "tvOS", "watchOS",
                                                           "visionOS"};
    return (p >= 0 && p < CML_PLATFORM_COUNT_) ? names[p] : "?";
}

/* "ios", "macos", "tvos", "watchos", "visionos": the key of platform p in
 * the IR's min_os, the Lua API's tables and targets; NULL for anything else. */
static inline const char *cml_platform_key(cml_platform p) {
    static const char *const keys[CML_PLATFORM_COUNT_] = {"ios", "macos", "tvos", "watchos", "visionos"};
    return (p >= 0 && p < CML_PLATFORM_COUNT_) ? keys[p] : NULL;
}

/* The entry of platform p in a model's min_os ("16.0", CML_OS_UNAVAILABLE
 * or NULL: see cml_os_versions); NULL for an unknown platform. */
static inline const char *cml_min_os_on(const cml_os_versions *o, cml_platform p) {
    switch (p) {
    case CML_PLATFORM_IOS: return o->ios;
    case CML_PLATFORM_MACOS: return o->macos;
    case CML_PLATFORM_TVOS: return o->tvos;
    case CML_PLATFORM_WATCHOS: return o->watchos;
    case CML_PLATFORM_VISIONOS: return o->visionos;
    default: return NULL;
    }
}

/* The first OS release of platform p that loads a model of specification
 * version spec (CML_OSVER), or 0 when spec or p is unknown.
 * SOURCE: apple/coremltools mlmodel/format/Model.proto:260-335 (the
 * specification version comment block: iOS, macOS, tvOS, watchOS per
 * version); coremltools/converters/mil/_deployment_compatibility.py:19-57
 * (AvailableTarget: iOS13..iOS26, macOS10_15..macOS26, watchOS6..26,
 * tvOS13..26). visionOS: coremlc's metadata.json "availability" — "1.0" for
 * spec 7 (coremltools/modelrunner/ModelRunner/add_model.mlmodelc), "1.0" for
 * 8 and "2.0" for 9 (community .mlmodelc writer mimicking coremlc 3520.x),
 * "26" for 10 (iOS 26 generation, Model.proto). Specs 1-6 predate visionOS;
 * its first release, 1.0, runs them [Derived]. */
static inline uint32_t cml_spec_min_os(int spec, cml_platform p) {
#define CMLV_ CML_OSVER
    static const uint32_t t[CML_SPEC_NEWEST + 1][CML_PLATFORM_COUNT_] = {
        /*      iOS                 macOS               tvOS                watchOS             visionOS */
        /* 0 */ {0, 0, 0, 0, 0},
        /* 1 */ {CMLV_(11, 0, 0), CMLV_(10, 13, 0), CMLV_(11, 0, 0), CMLV_(4, 0, 0), CMLV_(1, 0, 0)},
        /* 2 */ {CMLV_(11, 2, 0), CMLV_(10, 13, 2), CMLV_(11, 2, 0), CMLV_(4, 2, 0), CMLV_(1, 0, 0)},
        /* 3 */ {CMLV_(12, 0, 0), CMLV_(10, 14, 0), CMLV_(12, 0, 0), CMLV_(5, 0, 0), CMLV_(1, 0, 0)},
        /* 4 */ {CMLV_(13, 0, 0), CMLV_(10, 15, 0), CMLV_(13, 0, 0), CMLV_(6, 0, 0), CMLV_(1, 0, 0)},
        /* 5 */ {CMLV_(14, 0, 0), CMLV_(11, 0, 0), CMLV_(14, 0, 0), CMLV_(7, 0, 0), CMLV_(1, 0, 0)},
        /* 6 */ {CMLV_(15, 0, 0), CMLV_(12, 0, 0), CMLV_(15, 0, 0), CMLV_(8, 0, 0), CMLV_(1, 0, 0)},
        /* 7 */ {CMLV_(16, 0, 0), CMLV_(13, 0, 0), CMLV_(16, 0, 0), CMLV_(9, 0, 0), CMLV_(1, 0, 0)},
        /* 8 */ {CMLV_(17, 0, 0), CMLV_(14, 0, 0), CMLV_(17, 0, 0), CMLV_(10, 0, 0), CMLV_(1, 0, 0)},
        /* 9 */ {CMLV_(18, 0, 0), CMLV_(15, 0, 0), CMLV_(18, 0, 0), CMLV_(11, 0, 0), CMLV_(2, 0, 0)},
        /* 10 */ {CMLV_(26, 0, 0), CMLV_(26, 0, 0), CMLV_(26, 0, 0), CMLV_(26, 0, 0), CMLV_(26, 0, 0)},
    };
#undef CMLV_
    if (spec < CML_SPEC_OLDEST || spec > CML_SPEC_NEWEST || p < 0 || p >= CML_PLATFORM_COUNT_) return 0;
    return t[spec][p];
}

/* True when a model of this type cannot run on platform p at any release,
 * whatever its specification version: Apple's Vision feature print
 * (visionFeaturePrint) on watchOS, where the Vision framework does not
 * exist.
 * SOURCE: developer.apple.com/documentation/vision (availability: iOS,
 * iPadOS, Mac Catalyst, macOS, tvOS, visionOS; no watchOS); coremlc writes
 * "watchOS": "unavailable" into the metadata.json of a compiled Create ML
 * image classifier (a visionFeaturePrint + GLM pipeline, truth pass 3). */
#define CML_OS_UNAVAILABLE "unavailable"   /* a min_os entry (and coremlc's metadata.json word) */
static inline bool cml_model_type_unavailable(const char *type, cml_platform p) {
    return type && p == CML_PLATFORM_WATCHOS && !strcmp(type, "visionFeaturePrint");
}

/* The newest specification version an OS release can load: the largest spec
 * whose first release on p is <= version. 0 when the release predates Core
 * ML (iOS 10), -1 for an unknown platform. E.g. iOS 16.0 -> 7, iOS 17.3 -> 8,
 * macOS 14 -> 8, watchOS 11 -> 9, visionOS 1.x -> 8, visionOS 2 -> 9
 * (rules-knowledge §5 max_spec_for). */
static inline int cml_max_spec_for(cml_platform p, uint32_t version) {
    if (p < 0 || p >= CML_PLATFORM_COUNT_) return -1;
    int best = 0;
    for (int s = CML_SPEC_OLDEST; s <= CML_SPEC_NEWEST; s++)
        if (cml_spec_min_os(s, p) <= version) best = s;
    return best;
}

/* Parse "<platform><version>" ("iOS16", "iOS17.4", "macOS10.15.4",
 * "visionOS2"); the platform name is matched case-insensitively and the
 * version has one to three parts of at most three digits, separated by '.'
 * (or '_', as in coremltools' macOS10_15). Returns false when it is not
 * such a target. */
static inline bool cml_target_parse(const char *target, cml_platform *platform, uint32_t *version) {
    if (!target) return false;
    /* lower-case names; none is a prefix of another */
    static const struct { const char *name; cml_platform p; } plats[] = {
        {"visionos", CML_PLATFORM_VISIONOS}, {"watchos", CML_PLATFORM_WATCHOS},
        {"macos", CML_PLATFORM_MACOS},       {"tvos", CML_PLATFORM_TVOS},
        {"ios", CML_PLATFORM_IOS}};
    for (size_t i = 0; i < sizeof plats / sizeof plats[0]; i++) {
        const char *n = plats[i].name, *s = target;
        while (*n) {
            char c = *s;
            if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
            if (c != *n) break;
            n++;
            s++;
        }
        if (*n) continue;
        uint32_t part[3] = {0, 0, 0};
        int np = 0;
        for (;;) {
            if (*s < '0' || *s > '9' || np == 3) return false;
            uint32_t v = 0;
            int digits = 0;
            while (*s >= '0' && *s <= '9') {
                if (++digits > 3) return false;
                v = v * 10u + (uint32_t)(*s++ - '0');
            }
            part[np++] = v;
            if (!*s) break;
            if (*s != '.' && *s != '_') return false;
            s++;
        }
        if (platform) *platform = plats[i].p;
        if (version) *version = CML_OSVER(part[0], part[1], part[2]);
        return true;
    }
    return false;
}

/* cml_max_spec_for of a target string; -1 when it cannot be parsed. */
static inline int cml_max_spec_for_target(const char *target) {
    cml_platform p;
    uint32_t v;
    if (!cml_target_parse(target, &p, &v)) return -1;
    return cml_max_spec_for(p, v);
}

/* Parse an OS version as metadata.json writes it ("16.0", "10.13.2") into
 * CML_OSVER form; false if it is not one. */
static inline bool cml_osver_parse(const char *s, uint32_t *version) {
    uint32_t part[3] = {0, 0, 0};
    int np = 0;
    if (!s) return false;
    for (;;) {
        if (*s < '0' || *s > '9' || np == 3) return false;
        uint32_t v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (++digits > 3) return false;
            v = v * 10u + (uint32_t)(*s++ - '0');
        }
        part[np++] = v;
        if (!*s) break;
        if (*s != '.') return false;
        s++;
    }
    if (version) *version = CML_OSVER(part[0], part[1], part[2]);
    return true;
}

/* Write a packed version as "16.0", "17.4" or "10.13.2" (the patch only
 * when non-zero). Returns snprintf's result. */
static inline int cml_osver_format(uint32_t v, char *buf, size_t n) {
    unsigned major = v / 1000000u, minor = v / 1000u % 1000u, patch = v % 1000u;
    if (patch) return snprintf(buf, n, "%u.%u.%u", major, minor, patch);
    return snprintf(buf, n, "%u.%u", major, minor);
}

/* ---- opsets ------------------------------------------------------------------- */

/* k of an opset named "CoreML<k>" (as MILSpec.Function.opset spells it), or
 * 0 when opset is NULL or not of that form. */
static inline int cml_opset_number(const char *opset) {
    if (!opset || strncmp(opset, "CoreML", 6) != 0) return 0;
    const char *s = opset + 6;
    int k = 0, digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (++digits > 3) return 0;
        k = k * 10 + (*s++ - '0');
    }
    return (*s || !digits) ? 0 : k;
}

/* The specification version that introduced opset "CoreML<k>": k + 1
 * (CoreML3 -> 4 ... CoreML9 -> 10; CoreML3/4 are internal to the
 * NeuralNetwork backend). 0 for a name that is not "CoreML<k>".
 * SOURCE: coremltools/__init__.py:109-117 (_OPSET = {IOS13: "CoreML3",
 * IOS14: "CoreML4", IOS15: "CoreML5", IOS16: "CoreML6", IOS17: "CoreML7",
 * IOS18: "CoreML8", IOS26: "CoreML9"}). */
static inline int cml_opset_spec(const char *opset) {
    int k = cml_opset_number(opset);
    return k > 0 ? k + 1 : 0;
}

/* The opset name written for a specification version ("CoreML6" for 7), or
 * NULL for versions without one (< 4 or unknown). Same source. */
static inline const char *cml_spec_opset(int spec) {
    static const char *const names[] = {"CoreML3", "CoreML4", "CoreML5", "CoreML6",
                                        "CoreML7", "CoreML8", "CoreML9"};
    return (spec >= 4 && spec <= CML_SPEC_NEWEST) ? names[spec - 4] : NULL;
}

/* ---- ML Program ops ------------------------------------------------------------- */

/* flags of an op fact */
enum {
    CML_OPF_SERIALIZED = 1u << 0, /* a serialized form, not a registered op (custom_layer, write_state) */
    CML_OPF_REV6 = 1u << 1,       /* re-versioned (new signature) in CoreML6 */
    CML_OPF_REV7 = 1u << 2,       /* ... in CoreML7 */
    CML_OPF_REV8 = 1u << 3        /* ... in CoreML8 */
};

typedef struct cml_op_fact {
    const char *name;    /* Operation.type */
    uint8_t since;       /* k of the first opset CoreML<k> that defines it (5..8) */
    uint8_t flags;       /* CML_OPF_* */
} cml_op_fact;

/* Every ML Program op type, sorted by strcmp. *n gets the count.
 * SOURCE: apple/coremltools @ e0e2f42b, coremltools/converters/mil/mil/ops/
 * defs/iOS{15,16,17,18}/ — every class under @register_op(opset_version=
 * iOS1x) (older definitions stay valid in later opsets, ops/registry.py:
 * 78-160); `since` is the first of those folders naming the op (iOS15 =
 * CoreML5 ... iOS18 = CoreML8), CMLF_6/7/8 the later folders that redefine
 * it. CoreML9 (iOS26) adds no op definitions at that commit. Serialized
 * forms (converters/mil/backend/mil/load.py): custom_layer — every custom op
 * (load.py:389-406, CoreML5); write_state — coreml_update_state is written
 * as write_state + read_state (load.py:299-348, CoreML8 like read_state). */
static inline const cml_op_fact *cml_op_facts(size_t *n) {
#define CMLF_S CML_OPF_SERIALIZED
#define CMLF_6 CML_OPF_REV6
#define CMLF_7 CML_OPF_REV7
#define CMLF_8 CML_OPF_REV8
    static const cml_op_fact t[] = {
        {"abs", 5, 0}, {"acos", 5, 0}, {"add", 5, 0}, {"affine", 5, 0}, {"argsort", 5, 0},
        {"asin", 5, 0}, {"atan", 5, 0}, {"atanh", 5, 0}, {"avg_pool", 5, 0}, {"band_part", 5, 0},
        {"batch_norm", 5, CMLF_7}, {"batch_to_space", 5, 0}, {"cast", 5, CMLF_7}, {"ceil", 5, 0},
        {"clamped_relu", 5, CMLF_7}, {"classify", 5, 0}, {"clip", 5, CMLF_7}, {"concat", 5, 0},
        {"cond", 5, 0}, {"const", 5, 0}, {"constexpr_affine_dequantize", 6, 0},
        {"constexpr_blockwise_shift_scale", 8, 0}, {"constexpr_cast", 6, CMLF_8},
        {"constexpr_lut_to_dense", 6, CMLF_8}, {"constexpr_lut_to_sparse", 8, 0},
        {"constexpr_sparse_blockwise_shift_scale", 8, 0}, {"constexpr_sparse_to_dense", 6, CMLF_8},
        {"conv", 5, CMLF_7}, {"conv_quantized", 5, 0}, {"conv_transpose", 5, CMLF_7}, {"cos", 5, 0},
        {"cosh", 5, 0}, {"crop", 5, 0}, {"crop_resize", 5, CMLF_6 | CMLF_7}, {"cumsum", 5, 0},
        {"custom_layer", 5, CMLF_S}, {"depth_to_space", 5, 0}, {"dequantize", 7, 0},
        {"einsum", 5, 0}, {"elu", 5, CMLF_7}, {"equal", 5, 0}, {"erf", 5, 0}, {"exp", 5, 0},
        {"exp2", 5, 0}, {"expand_dims", 5, CMLF_7}, {"fill", 5, 0}, {"fill_like", 6, 0},
        {"flatten2d", 5, 0}, {"floor", 5, 0}, {"floor_div", 5, 0}, {"gather", 5, CMLF_6 | CMLF_7},
        {"gather_along_axis", 5, CMLF_6 | CMLF_7}, {"gather_nd", 5, CMLF_6 | CMLF_7},
        {"gelu", 5, 0}, {"greater", 5, 0}, {"greater_equal", 5, 0}, {"gru", 5, CMLF_7 | CMLF_8},
        {"identity", 5, 0}, {"instance_norm", 5, CMLF_7}, {"inverse", 5, CMLF_7},
        {"l2_norm", 5, CMLF_7}, {"l2_pool", 5, 0}, {"layer_norm", 5, CMLF_7},
        {"leaky_relu", 5, CMLF_7}, {"less", 5, 0}, {"less_equal", 5, 0}, {"linear", 5, CMLF_7},
        {"linear_activation", 5, CMLF_7}, {"list_gather", 5, 0}, {"list_length", 5, 0},
        {"list_read", 5, 0}, {"list_scatter", 5, 0}, {"list_write", 5, 0},
        {"local_response_norm", 5, CMLF_7}, {"log", 5, CMLF_7}, {"logical_and", 5, 0},
        {"logical_not", 5, 0}, {"logical_or", 5, 0}, {"logical_xor", 5, 0}, {"lstm", 5, CMLF_7},
        {"make_list", 5, 0}, {"matmul", 5, CMLF_7}, {"max_pool", 5, 0}, {"maximum", 5, 0},
        {"minimum", 5, 0}, {"mod", 5, 0}, {"mul", 5, 0}, {"non_maximum_suppression", 5, CMLF_7},
        {"non_zero", 5, 0}, {"not_equal", 5, 0}, {"one_hot", 5, 0}, {"pad", 5, 0},
        {"pixel_shuffle", 5, 0}, {"pixel_unshuffle", 6, 0}, {"pow", 5, 0}, {"prelu", 5, CMLF_7},
        {"quantize", 7, 0}, {"random_bernoulli", 5, 0}, {"random_categorical", 5, 0},
        {"random_normal", 5, 0}, {"random_uniform", 5, 0}, {"range_1d", 5, 0}, {"read_state", 8, 0},
        {"real_div", 5, 0}, {"reduce_argmax", 5, CMLF_7}, {"reduce_argmin", 5, CMLF_7},
        {"reduce_l1_norm", 5, 0}, {"reduce_l2_norm", 5, 0}, {"reduce_log_sum", 5, 0},
        {"reduce_log_sum_exp", 5, 0}, {"reduce_max", 5, 0}, {"reduce_mean", 5, 0},
        {"reduce_min", 5, 0}, {"reduce_prod", 5, 0}, {"reduce_sum", 5, 0},
        {"reduce_sum_square", 5, 0}, {"relu", 5, 0}, {"relu6", 5, 0},
        {"resample", 5, CMLF_6 | CMLF_7}, {"reshape", 5, CMLF_7}, {"reshape_like", 6, CMLF_7},
        {"resize", 7, 0}, {"resize_bilinear", 5, 0}, {"resize_nearest_neighbor", 5, 0},
        {"reverse", 5, CMLF_7}, {"reverse_sequence", 5, CMLF_7}, {"rnn", 5, CMLF_7},
        {"round", 5, 0}, {"rsqrt", 5, CMLF_7}, {"scaled_dot_product_attention", 8, 0},
        {"scaled_tanh", 5, CMLF_7}, {"scatter", 5, CMLF_7}, {"scatter_along_axis", 5, CMLF_7},
        {"scatter_nd", 5, CMLF_7}, {"select", 5, 0}, {"shape", 5, 0}, {"sigmoid", 5, 0},
        {"sigmoid_hard", 5, CMLF_7}, {"sign", 5, 0}, {"silu", 5, 0}, {"sin", 5, 0}, {"sinh", 5, 0},
        {"slice_by_index", 5, CMLF_7}, {"slice_by_size", 5, CMLF_7}, {"slice_update", 8, 0},
        {"sliding_windows", 5, CMLF_7}, {"softmax", 5, 0}, {"softplus", 5, 0},
        {"softplus_parametric", 5, CMLF_7}, {"softsign", 5, 0}, {"space_to_batch", 5, 0},
        {"space_to_depth", 5, 0}, {"split", 5, 0}, {"sqrt", 5, 0}, {"square", 5, 0},
        {"squeeze", 5, CMLF_7}, {"stack", 5, 0}, {"sub", 5, 0}, {"tan", 5, 0}, {"tanh", 5, 0},
        {"threshold", 5, 0}, {"thresholded_relu", 5, CMLF_7}, {"tile", 5, 0},
        {"topk", 5, CMLF_6 | CMLF_7}, {"transpose", 5, CMLF_7}, {"upsample_bilinear", 5, CMLF_6},
        {"upsample_nearest_neighbor", 5, 0}, {"while_loop", 5, 0}, {"write_state", 8, CMLF_S}
    };
#undef CMLF_S
#undef CMLF_6
#undef CMLF_7
#undef CMLF_8
    if (n) *n = sizeof t / sizeof t[0];
    return t;
}

/* The fact of an op type (binary search), or NULL when no opset defines it. */
static inline const cml_op_fact *cml_op_lookup(const char *type) {
    size_t n, lo = 0, hi;
    const cml_op_fact *t = cml_op_facts(&n);
    if (!type) return NULL;
    hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(type, t[mid].name);
        if (c == 0) return &t[mid];
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

/* k of the first opset CoreML<k> that defines the op type; 0 if none does. */
static inline int cml_op_first_opset(const char *type) {
    const cml_op_fact *f = cml_op_lookup(type);
    return f ? f->since : 0;
}

/* Whether opset CoreML<k> defines the op type (opsets newer than the table
 * define everything older ones do). */
static inline bool cml_op_in_opset(const char *type, int k) {
    const cml_op_fact *f = cml_op_lookup(type);
    return f && k >= f->since;
}

/* k of the first opset CoreML<k> whose definition of the op type accepts
 * fp16 tensors, for the ops whose earlier definitions take fp32 only; 0 for
 * every other op type (no such limit). coremltools' FP16ComputePrecision
 * pass leaves an op in fp32 when its parameters' type domain lacks fp16
 * (should_cast_parameter), so in an earlier opset these ops stay fp32 inside
 * an fp16 program, between casts.
 * SOURCE: apple/coremltools 8.3, coremltools/converters/mil/mil/ops/defs/
 * iOS15/recurrent.py (gru, lstm, rnn: type_domains "T": (types.fp32,), the
 * only fp32-only type domains of defs/iOS15..iOS18) and defs/iOS17/
 * recurrent.py (redefined with "T": (types.fp16, types.fp32));
 * mil/passes/defs/quantization.py should_cast_parameter. */
static inline int cml_op_fp16_since(const char *type) {
    static const char *const fp32_only[] = {"gru", "lstm", "rnn"};
    if (!type) return 0;
    for (size_t i = 0; i < sizeof fp32_only / sizeof fp32_only[0]; i++)
        if (strcmp(type, fp32_only[i]) == 0) return 7;
    return 0;
}

#ifdef __cplusplus
}
#endif
#endif /* COREML_LINT_COREML_FACTS_H */

/* SPDX-License-Identifier: Apache-2.0 */
/* coreml-lint/ir.h — the typed, read-only model IR that every rule sees.
 *
 * The loader reads an .mlmodel file, an .mlpackage folder or a compiled
 * .mlmodelc folder into one cml_model. NeuralNetwork layers and ML Program
 * operations share one vocabulary (cml_op); a NeuralNetwork becomes one
 * function named "main" whose ops are its layers, with the Core ML layer kind
 * ("convolution", "innerProduct") as op kind and its parameters as attributes.
 *
 * Rules: everything here is const for plugins (policy PLG-1: a plugin must not
 * write to the IR — result of non-compliance: undefined behaviour; enforced:
 * no). Collections are arrays of pointers, so structs can grow at the end
 * without changing a stride; each struct that may grow documents the ABI
 * version that added its members. Strings are UTF-8, NUL-terminated and live
 * as long as the model. A dimension of CML_DIM_UNKNOWN is unknown: never
 * guessed.
 */
#ifndef COREML_LINT_IR_H
#define COREML_LINT_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CML_DIM_UNKNOWN (-1)

/* ---- locations ---------------------------------------------------------- */

/* Where a thing is. artifact is the file that holds it, relative to the
 * model path given by the user ("" for an .mlmodel file itself,
 * "Data/com.apple.CoreML/model.mlmodel", "weights/weight.bin", "model.mil").
 * logical is the op/layer/feature path ("main/conv_12",
 * "pipeline[1]/layer[7]:conv1", "input:image"); NULL at model level. */
typedef struct cml_loc {
    const char *artifact;
    const char *logical;
    uint64_t byte_offset; /* valid when has_bytes */
    uint64_t byte_length;
    uint32_t line, column; /* 1-based; 0 = not a text artifact */
    bool has_bytes;
} cml_loc;

/* ---- element types ------------------------------------------------------ */

typedef enum cml_dtype {
    CML_DT_UNKNOWN = 0,
    CML_DT_BOOL,
    CML_DT_STRING,
    CML_DT_FP8E4M3FN,
    CML_DT_FP8E5M2,
    CML_DT_FP16,
    CML_DT_BF16,
    CML_DT_FP32,
    CML_DT_FP64,
    CML_DT_INT4,
    CML_DT_INT8,
    CML_DT_INT16,
    CML_DT_INT32,
    CML_DT_INT64,
    CML_DT_UINT1,
    CML_DT_UINT2,
    CML_DT_UINT3,
    CML_DT_UINT4,
    CML_DT_UINT6,
    CML_DT_UINT8,
    CML_DT_UINT16,
    CML_DT_UINT32,
    CML_DT_UINT64,
    CML_DT_COUNT_
} cml_dtype;

/* "fp16", "fp32", "int8", "uint4", ... (MIL spelling); "unknown". */
static inline const char *cml_dtype_name(cml_dtype dt) {
    static const char *const names[CML_DT_COUNT_] = {
        "unknown", "bool",  "string", "fp8e4m3fn", "fp8e5m2", "fp16",  "bf16",  "fp32",
        "fp64",    "int4",  "int8",   "int16",     "int32",   "int64", "uint1", "uint2",
        "uint3",   "uint4", "uint6",  "uint8",     "uint16",  "uint32", "uint64"};
    return ((unsigned)dt < CML_DT_COUNT_) ? names[dt] : "unknown";
}

/* Bits per element (1..64); 0 for string/unknown. */
static inline unsigned cml_dtype_bits(cml_dtype dt) {
    static const unsigned char bits[CML_DT_COUNT_] = {0, 8,  0,  8, 8, 16, 16, 32, 64, 4, 8, 16,
                                                      32, 64, 1, 2, 3, 4,  6,  8,  16, 32, 64};
    return ((unsigned)dt < CML_DT_COUNT_) ? bits[dt] : 0;
}

static inline bool cml_dtype_is_float(cml_dtype dt) {
    return dt == CML_DT_FP8E4M3FN || dt == CML_DT_FP8E5M2 || dt == CML_DT_FP16 ||
           dt == CML_DT_BF16 || dt == CML_DT_FP32 || dt == CML_DT_FP64;
}

static inline bool cml_dtype_is_signed(cml_dtype dt) {
    return cml_dtype_is_float(dt) || (dt >= CML_DT_INT4 && dt <= CML_DT_INT64);
}

/* ---- shapes and value types --------------------------------------------- */

typedef struct cml_shape {
    int32_t rank;         /* -1: rank unknown (variadic) */
    const int64_t *dims;  /* rank entries; CML_DIM_UNKNOWN for unknown dims */
} cml_shape;

/* The element count of a fully known shape (1 for rank 0); 0 when the
 * rank or a dimension is unknown, or the product overflows 64 bits. */
static inline uint64_t cml_shape_elems(const cml_shape *s) {
    if (!s || s->rank < 0 || (s->rank > 0 && !s->dims)) return 0;
    uint64_t n = 1;
    for (int32_t i = 0; i < s->rank; i++) {
        if (s->dims[i] < 0) return 0;
        if (s->dims[i] && n > UINT64_MAX / (uint64_t)s->dims[i]) return 0;
        n *= (uint64_t)s->dims[i];
    }
    return n;
}

typedef enum cml_type_kind {
    CML_TYPE_UNKNOWN = 0,
    CML_TYPE_TENSOR,
    CML_TYPE_LIST,
    CML_TYPE_TUPLE,
    CML_TYPE_DICT,
    CML_TYPE_STATE
} cml_type_kind;

typedef struct cml_type {
    cml_type_kind kind;
    cml_dtype dtype;      /* tensor element type (for state: the wrapped tensor's) */
    cml_shape shape;      /* tensor (or wrapped tensor) shape */
} cml_type;

/* ---- weights / constants ------------------------------------------------ */

typedef enum cml_storage {
    CML_STORE_NONE = 0,
    CML_STORE_INLINE,     /* bytes inside the protobuf / model.mil text */
    CML_STORE_BLOB,       /* a record in a MIL blob file (weight.bin) */
} cml_storage;

typedef struct cml_weight_file cml_weight_file;

typedef struct cml_weight {
    cml_dtype dtype;          /* element type as stored */
    cml_shape shape;          /* logical shape when known (rank 0 = scalar) */
    uint64_t n_elements;      /* element count (0 if unknown) */
    uint64_t nbytes;          /* stored bytes */
    cml_storage storage;
    const cml_weight_file *file; /* CML_STORE_BLOB */
    uint64_t blob_offset;     /* offset of the blob metadata record in file */
    uint64_t data_offset;     /* absolute offset of the data in file */
    /* NN WeightParams: how the stored values map to real ones */
    unsigned quant_bits;      /* 0: not quantized */
    bool quant_linear, quant_lut;
    cml_loc loc;
    /* NN quantization parameters (quant_linear: w = q * scale + bias, one
     * value or one per output channel; quant_lut: 2^bits table entries).
     * SOURCE: NeuralNetwork.proto LinearQuantizationParams,
     * LookUpTableQuantizationParams. */
    size_t n_quant_scale, n_quant_bias, n_lut;
    const float *quant_scale, *quant_bias, *lut;
} cml_weight;

/* Counts over the stored values of a float weight (fp16, bf16, fp32), as
 * the host's cml_host.weight_stats gives them: computed once per weight,
 * in one pass, whichever rules ask. Zeros follow coremltools' sparsity
 * test |w| <= 1e-12 (SOURCE: coremltools
 * _post_training_quantization.py, sparsity = fraction with |w| <= 1e-12);
 * for fp16 that is exactly +-0. */
typedef struct cml_weight_stats {
    uint64_t n;               /* values counted (n_elements) */
    uint64_t zeros;           /* |v| <= 1e-12 */
    uint64_t nan, pinf, ninf;
    uint64_t fp16_max;        /* finite |v| == 65504, the largest fp16 */
    uint64_t over_fp16;       /* finite |v| > 65504 (fp32, bf16) */
    double maxabs;            /* largest finite |v| (0 when none) */
} cml_weight_stats;

/* The bytes of a weight are read through the host's bounded reader
 * (cml_host.weight_read in plugin.h); the host itself uses
 * ir_weight_read. */

/* One weight file of a program (weights/weight.bin), counted once even when
 * several functions share it. */
struct cml_weight_file {
    const char *path;         /* relative artifact path */
    uint64_t size_bytes;
    uint32_t storage_version; /* 2 */
    uint32_t blob_count;      /* from the header */
    uint32_t blobs_parsed;    /* records walked and validated */
    uint64_t payload_bytes;   /* sum of blob data sizes */
    uint32_t dtype_counts[CML_DT_COUNT_]; /* blobs per stored dtype */
    uint32_t blobs_referenced;/* distinct blobs the program points at */
};

/* ---- compression facts -------------------------------------------------- */

typedef enum cml_granularity {
    CML_GRAN_NONE = 0,
    CML_GRAN_PER_TENSOR,
    CML_GRAN_PER_CHANNEL,
    CML_GRAN_PER_GROUPED_CHANNEL,
    CML_GRAN_PER_BLOCK,
    CML_GRAN_BLOCKWISE_LUT    /* LUT groups along more than one axis */
} cml_granularity;

/* Derived from a constexpr chain (ML Program) or WeightParams (NN) for one
 * weight as its compute op sees it. */
typedef struct cml_compression {
    /* palettization */
    bool palettized;
    unsigned lut_bits;        /* log2(number of palette entries) */
    cml_granularity lut_granularity;
    int32_t lut_axis;         /* grouped/per-channel axis, -1 if none */
    uint64_t lut_group_size;  /* channels per LUT along lut_axis */
    uint64_t lut_count;       /* number of LUTs */
    uint64_t lut_vector_size; /* >1: vector palettization */
    cml_dtype lut_dtype;      /* int8/uint8 LUT = quantized LUT */
    /* linear quantization */
    bool quantized;
    unsigned quant_bits;
    cml_dtype quant_dtype;
    cml_granularity quant_granularity;
    int32_t quant_axis;       /* per-channel axis or the blocked axis */
    uint64_t quant_block_size;/* per-block: elements per block on quant_axis */
    bool quant_symmetric;     /* offset/zero point absent or neutral */
    bool per_channel_scale;   /* LUT followed by a scale (joint) */
    /* sparsity */
    bool sparse;
    double sparsity;          /* fraction of zeros, 0..1 (real, from the mask count) */
    uint64_t nonzero_count;
    /* fp16 storage for an fp32 op (constexpr_cast) or NN fp16 weights */
    bool fp16_storage;
    /* the dense weight as the compute op sees it */
    cml_dtype dense_dtype;
    cml_shape dense_shape;
    uint64_t dense_elements;
    uint64_t stored_bytes;    /* bytes of every leaf of the chain */
    const char *chain;        /* "constexpr_lut_to_sparse>constexpr_sparse_to_dense" */
} cml_compression;

/* ---- graph -------------------------------------------------------------- */

typedef struct cml_op cml_op;
typedef struct cml_value cml_value;
typedef struct cml_block cml_block;
typedef struct cml_function cml_function;
typedef struct cml_model cml_model;

/* Estimated compute unit of an op (filled by the compute-unit pass). */
typedef enum cml_unit {
    CML_UNIT_UNKNOWN = 0,
    CML_UNIT_NE,      /* likely Neural Engine */
    CML_UNIT_GPU,     /* likely GPU (off the NE) */
    CML_UNIT_CPU,     /* CPU only */
    CML_UNIT_NONE     /* no compute (const, constexpr) */
} cml_unit;

typedef struct cml_estimate {
    cml_unit unit;
    char tier;           /* 'A' documented/Apple, 'B' community; 0 none */
    const char *reason;  /* why, or NULL */
    const char *source;  /* where the fact comes from */
} cml_estimate;

/* An SSA value: function input, op output, or a literal argument. */
struct cml_value {
    const char *name;
    cml_type type;
    const cml_op *producer;        /* NULL for function inputs and literals */
    size_t n_consumers;
    const cml_op *const *consumers;
    /* constant data: const op outputs, literals, constexpr leaves */
    const cml_weight *weight;      /* NULL unless the value holds data */
    /* set on the output of the last constexpr op of a compressed weight */
    const cml_compression *compression;
    bool is_function_input, is_state;
    cml_loc loc;
};

/* An argument of an op: MIL binds a name to one value or to a list
 * (variadic: concat's values); NN layers use "input"/"output" lists. */
typedef struct cml_arg {
    const char *name;
    size_t n_values;
    const cml_value *const *values;
} cml_arg;

typedef enum cml_attr_kind {
    CML_ATTR_INT,
    CML_ATTR_FLOAT,
    CML_ATTR_BOOL,
    CML_ATTR_STRING,
    CML_ATTR_INTS,
    CML_ATTR_FLOATS,
    CML_ATTR_STRINGS,
    CML_ATTR_VALUE    /* a typed constant (MIL attribute or NN weights) */
} cml_attr_kind;

typedef struct cml_attr {
    const char *name;
    cml_attr_kind kind;
    int64_t i;
    double f;
    bool b;
    const char *s;
    size_t n;                  /* INTS/FLOATS/STRINGS */
    const int64_t *ints;
    const double *floats;
    const char *const *strings;
    const cml_value *value;    /* VALUE */
} cml_attr;

struct cml_op {
    const char *kind;          /* MIL op type or NN layer kind */
    const char *name;          /* op name attribute / layer name */
    size_t n_inputs;
    const cml_arg *const *inputs;
    size_t n_outputs;
    const cml_value *const *outputs;
    size_t n_attrs;
    const cml_attr *const *attrs;
    size_t n_blocks;
    const cml_block *const *blocks;
    const cml_block *parent;
    const cml_function *function;
    size_t index;              /* position in its block */
    bool is_nn_layer;
    bool is_const;             /* const or constexpr_* */
    bool is_updatable;         /* NN layer marked updatable */
    cml_estimate estimate;
    cml_loc loc;
};

struct cml_block {
    size_t n_inputs;
    const cml_value *const *inputs;
    size_t n_ops;
    const cml_op *const *ops;      /* program order */
    size_t n_outputs;
    const cml_value *const *outputs;
    const cml_op *parent;          /* NULL for a function's top block */
};

struct cml_function {
    const char *name;              /* "main" for NeuralNetwork graphs */
    const char *opset;             /* "CoreML6"; NULL for NeuralNetwork */
    size_t n_inputs;
    const cml_value *const *inputs;
    const cml_block *block;
    size_t n_ops_total;            /* including nested blocks */
    const cml_model *model;
    cml_loc loc;
};

/* ---- model description --------------------------------------------------- */

typedef enum cml_format {
    CML_FMT_UNKNOWN = 0,
    CML_FMT_MLMODEL,
    CML_FMT_MLPACKAGE,
    CML_FMT_MLMODELC
} cml_format;

typedef enum cml_feature_kind {
    CML_FEAT_INVALID = 0,
    CML_FEAT_INT64,
    CML_FEAT_DOUBLE,
    CML_FEAT_STRING,
    CML_FEAT_IMAGE,
    CML_FEAT_MULTIARRAY,
    CML_FEAT_DICTIONARY,
    CML_FEAT_SEQUENCE,
    CML_FEAT_STATE
} cml_feature_kind;

typedef enum cml_flex {
    CML_FLEX_NONE = 0,
    CML_FLEX_ENUMERATED,
    CML_FLEX_RANGE
} cml_flex;

typedef struct cml_range {
    int64_t lower;
    int64_t upper;   /* -1: unbounded */
} cml_range;

/* Core ML's ArrayFeatureType.ArrayDataType, kept as Core ML names it. */
typedef enum cml_array_dtype {
    CML_ARR_INVALID = 0,
    CML_ARR_FLOAT32 = 65568,
    CML_ARR_DOUBLE = 65600,
    CML_ARR_INT32 = 131104,
    CML_ARR_INT8 = 131080,
    CML_ARR_FLOAT16 = 65552
} cml_array_dtype;

typedef enum cml_color {
    CML_COLOR_INVALID = 0,
    CML_COLOR_GRAYSCALE = 10,
    CML_COLOR_RGB = 20,
    CML_COLOR_BGR = 30,
    CML_COLOR_GRAYSCALE_FLOAT16 = 40
} cml_color;

typedef struct cml_feature {
    const char *name;
    const char *description;
    cml_feature_kind kind;
    bool optional;
    /* multiArray and state (wrapped array) */
    cml_array_dtype array_dtype;
    cml_shape shape;                /* default shape */
    cml_flex flex;
    size_t n_enumerated;            /* enumerated shapes / image sizes */
    const cml_shape *enumerated;    /* for images: {rank 2, {height, width}} */
    size_t n_ranges;
    const cml_range *ranges;        /* per dim; images: [0]=height, [1]=width */
    /* image */
    int64_t width, height;
    cml_color color;
    /* dictionary key / sequence element kind */
    cml_feature_kind key_kind;
    cml_feature_kind element_kind;
    cml_loc loc;
} cml_feature;

typedef struct cml_kv {
    const char *key;
    const char *value;
} cml_kv;

typedef struct cml_metadata {
    bool present;          /* a Metadata message exists */
    const char *author, *license, *short_description, *version;
    size_t n_user;
    const cml_kv *user;    /* sorted by key */
} cml_metadata;

typedef struct cml_function_desc {
    const char *name;
    size_t n_inputs, n_outputs, n_states;
    const cml_feature *const *inputs;
    const cml_feature *const *outputs;
    const cml_feature *const *states;
    const char *predicted_feature_name;
    const char *predicted_probabilities_name;
} cml_function_desc;

typedef struct cml_preprocess {
    const char *feature;           /* input name ("" = the only image input) */
    bool is_scaler, is_mean_image;
    double scale;                  /* channelScale (default 1 when unset) */
    double red_bias, green_bias, blue_bias, gray_bias;
    size_t n_mean;                 /* meanImage values */
} cml_preprocess;

typedef struct cml_os_versions {
    /* "16.0" etc.; NULL = not available on that platform; CML_OS_UNAVAILABLE
     * ("unavailable", coremlc's word) = no release of it runs the model */
    const char *ios, *macos, *tvos, *watchos, *visionos;
} cml_os_versions;

/* A load problem found while reading (becomes a load/... finding). */
typedef struct cml_diag {
    const char *rule_id;           /* "load/weight-blob" */
    int level;                     /* 1 note, 2 warning, 3 error */
    const char *message;
    cml_loc loc;
} cml_diag;

struct cml_model {
    const char *path;              /* as given (for sub-models: the parent's) */
    cml_format format;
    int32_t spec_version;
    cml_os_versions min_os;        /* implied by spec_version */
    const char *type;              /* "mlProgram", "neuralNetworkClassifier", ...; "unknown" */
    /* description */
    size_t n_inputs, n_outputs, n_states, n_training_inputs;
    const cml_feature *const *inputs;
    const cml_feature *const *outputs;
    const cml_feature *const *states;
    const cml_feature *const *training_inputs;
    size_t n_function_descs;
    const cml_function_desc *const *function_descs;
    const char *default_function_name;
    const char *predicted_feature_name;
    const char *predicted_probabilities_name;
    cml_metadata metadata;
    bool is_updatable;
    /* classifier labels */
    const char *class_label_kind;  /* "stringClassLabels"/"int64ClassLabels"/NULL: an NN, GLM, SVM or
                                      tree-ensemble classifier's classes, or an ML Program's classify's */
    size_t n_class_labels;
    const char *const *string_labels;
    const int64_t *int64_labels;
    /* NeuralNetwork */
    size_t n_preprocess;
    const cml_preprocess *const *preprocess;
    int32_t nn_array_shape_mapping;   /* -1 if not a NeuralNetwork */
    int32_t nn_image_shape_mapping;
    /* program: one function per MIL function, or one ("main") for an NN */
    int64_t program_version;          /* MIL Program.version; 0 for NN */
    size_t n_functions;
    const cml_function *const *functions;   /* sorted by name */
    /* weights */
    size_t n_weight_files;
    const cml_weight_file *const *weight_files;
    size_t n_weights;
    const cml_weight *const *weights;       /* every constant with data */
    /* pipelines */
    size_t n_sub_models;
    const cml_model *const *sub_models;
    const char *const *sub_model_names;
    const cml_model *parent;
    /* sizes */
    uint64_t size_bytes;              /* on disk, all files */
    uint64_t spec_bytes;              /* the protobuf (or model.mil) */
    /* stored weight bytes of this model and its sub-models: every weight
     * file's blob payload once (shared files are not counted twice) plus
     * inline constants (not strings); a sub-model, whose weight file is its
     * root's, counts the blobs its tree's weights point into, each once */
    uint64_t weight_bytes;
    /* load problems (also for sub-models) */
    size_t n_diags;
    const cml_diag *const *diags;
    /* compiled models: what metadata.json / buildInfo say */
    const char *compiler_version;     /* coremlc-version, or NULL */
    cml_loc loc;
    /* Classic models (GLM, tree ensembles, SVM, scaler, feature vectorizer,
     * ...) and pipelines: what they compute, as a function "main" whose ops
     * are the models themselves: op kind = the model type ("glmClassifier"),
     * inputs = one "input" argument with the features it reads, outputs =
     * the features it defines, attributes = its parameter message reflected
     * (repeated messages as columns: "treeEnsemble.nodes.treeId" lists one
     * entry per node, "weights.value" all rows' entries with
     * "weights.value#count" per row). A pipeline's function chains its
     * stages by feature name (nested pipelines flattened; a NeuralNetwork or
     * ML Program stage is one op of that model type without attributes).
     * NULL for NeuralNetwork and ML Program models. Not in functions[]: rules
     * written for neural graphs do not meet classic parameters as ops. */
    const cml_function *classic;
    /* ---- appended (ABI 1, read only by hosts and plugins that know it) ---- */
    /* Facts of this model the loader could not read, CML_UNKNOWN_* bits (a
     * compiled NeuralNetwork's layers, for one). A rule must not report an
     * unknown fact as missing, empty or wrong. */
    uint32_t unknown;
    /* A package's Xcode metadata overlay: Data/com.apple.CoreML/Metadata.json,
     * the manifest's item named "Metadata.json" (its description "External
     * Metadata Overlay"), which Xcode's model editor writes instead of the
     * spec. Its author, license, short_description and version ("" when
     * unset, blank or Xcode's placeholder "--"; no user keys); NULL when
     * the package lists none or it cannot be read (a load/package-manifest
     * warning). The root model only. */
    const cml_metadata *metadata_overlay;
};

/* cml_model.unknown bits */
#define CML_UNKNOWN_GRAPH          (1u << 0)  /* layers/ops and their parameters (functions[] empty or partial) */
#define CML_UNKNOWN_PREPROCESSING  (1u << 1)  /* NeuralNetwork image preprocessing */
#define CML_UNKNOWN_INTERFACE      (1u << 2)  /* inputs, outputs, states */
#define CML_UNKNOWN_METADATA       (1u << 3)  /* author, license, description, version, user keys */
#define CML_UNKNOWN_SPEC_VERSION   (1u << 4)  /* specification version (and so the minimum OS) */
#define CML_UNKNOWN_CLASS_LABELS   (1u << 5)  /* a classifier's labels */
#define CML_UNKNOWN_WEIGHTS        (1u << 6)  /* weight values and storage */
#define CML_UNKNOWN_COUNT_         7

/* "graph", "preprocessing", ... for bit i of cml_model.unknown; NULL past the end. */
static inline const char *cml_unknown_name(unsigned i) {
    static const char *const names[CML_UNKNOWN_COUNT_] = {"graph", "preprocessing", "interface", "metadata",
                                                          "spec_version", "class_labels", "weights"};
    return i < CML_UNKNOWN_COUNT_ ? names[i] : NULL;
}

/* ---- lookups (header-only: the host and plugins share them) ------------ */

/* The attribute `name` of op, or NULL. op->attrs is sorted by name (the IR
 * builder sorts it), so this is a binary search. */
static inline const cml_attr *cml_op_attr(const cml_op *op, const char *name) {
    size_t lo = 0, hi = op->n_attrs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(op->attrs[mid]->name, name);
        if (!c) return op->attrs[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* A classic model's parameter that names an input feature by a string
 * ("iouThresholdInputFeatureName", "itemInputFeatureName"): the length of
 * the attribute's name without "InputFeatureName" (the parameter the input
 * overrides, when the model has one: "iouThreshold"), or 0 when a is not
 * such a parameter with a non-empty value. SOURCE: apple/coremltools
 * mlmodel/format/NonMaximumSuppression.proto, ItemSimilarityRecommender.proto,
 * BayesianProbitRegressor.proto (the ...InputFeatureName fields). */
static inline size_t cml_attr_input_name_prefix(const cml_attr *a) {
    static const char suffix[] = "InputFeatureName";
    const size_t ls = sizeof suffix - 1;
    size_t ln = a->name ? strlen(a->name) : 0;
    if (a->kind != CML_ATTR_STRING || !a->s || !*a->s || ln <= ls || strcmp(a->name + ln - ls, suffix)) return 0;
    return ln - ls;
}

/* The input argument `name` of op (MIL binding or NN "input"/"output"), or NULL. */
static inline const cml_arg *cml_op_input(const cml_op *op, const char *name) {
    for (size_t i = 0; i < op->n_inputs; i++)
        if (!strcmp(op->inputs[i]->name, name)) return op->inputs[i];
    return NULL;
}

/* A parameter by name: the first value bound to input `name`, else the
 * value of a VALUE attribute `name` (MIL writes some parameters as
 * attributes, CoreML8+ as inputs); NULL when neither exists. */
static inline const cml_value *cml_op_param(const cml_op *op, const char *name) {
    const cml_arg *a = cml_op_input(op, name);
    if (a && a->n_values) return a->values[0];
    const cml_attr *at = cml_op_attr(op, name);
    if (at && at->value) return at->value;
    return NULL;
}

/* The float precision an op computes in, from its float outputs:
 * CML_DT_FP32 when every one is fp32/fp64, CML_DT_FP16 when any is
 * fp16/bf16/fp8, CML_DT_UNKNOWN when it has none. */
static inline cml_dtype cml_op_float_dtype(const cml_op *op) {
    bool wide = false;
    for (size_t i = 0; i < op->n_outputs; i++) {
        const cml_type *t = &op->outputs[i]->type;
        if (t->kind != CML_TYPE_TENSOR && t->kind != CML_TYPE_STATE) continue;
        if (!cml_dtype_is_float(t->dtype)) continue;
        if (t->dtype == CML_DT_FP32 || t->dtype == CML_DT_FP64) wide = true;
        else return CML_DT_FP16;
    }
    return wide ? CML_DT_FP32 : CML_DT_UNKNOWN;
}

/* The function `name` of m (NULL or "": the default one — the described
 * default function, else "main", else the first; a classic model's or
 * pipeline's only function, m->classic), or NULL. */
static inline const cml_function *cml_model_function(const cml_model *m, const char *name) {
    bool dflt = !name || !*name;
    if (!m->n_functions) return m->classic && (dflt || !strcmp(name, m->classic->name)) ? m->classic : NULL;
    if (!dflt) {
        for (size_t i = 0; i < m->n_functions; i++)
            if (!strcmp(m->functions[i]->name, name)) return m->functions[i];
        return NULL;
    }
    const char *def = m->default_function_name && *m->default_function_name ? m->default_function_name : "main";
    for (size_t i = 0; i < m->n_functions; i++)
        if (!strcmp(m->functions[i]->name, def)) return m->functions[i];
    return m->functions[0];
}


/* ---- fp16 (IEEE 754 binary16: 1 sign, 5 exponent bits with bias 15, 10
 * fraction bits), bit-exact, header-only ---------------------------------- */

/* The binary16 h as a float (exact: every binary16 value is a float). */
static inline float cml_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (uint32_t)(h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    if (e == 0 && m == 0) bits = sign;
    else if (e == 0) {                      /* subnormal: m * 2^-24, normalised */
        uint32_t s = 0;
        while (!(m & 0x400u)) m <<= 1, s++;
        bits = sign | ((113u - s) << 23) | ((m & 0x3ffu) << 13);
    } else if (e == 31) bits = sign | 0x7f800000u | (m << 13);   /* Inf, NaN (payload kept) */
    else bits = sign | ((e + 112u) << 23) | (m << 13);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* f rounded to the nearest binary16, ties to even (IEEE 754's default, what
 * a float -> half conversion on the GPU and the Neural Engine does):
 * overflow to Inf, underflow through the subnormals to zero, NaN stays NaN. */
static inline uint16_t cml_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);    /* >= 65520: rounds to Inf */
    if (ax < 0x38800000u) {                                      /* below 2^-14: subnormal or 0 */
        if (ax < 0x33000000u) return (uint16_t)sign;             /* < 2^-25: rounds to 0 */
        uint32_t e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - e;                               /* 14..24 */
        uint32_t half = m >> shift, rem = m & ((1u << shift) - 1u), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1u))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = ((ax >> 13) - (112u << 10)), rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;    /* carries into the exponent when needed */
    return (uint16_t)(sign | h);
}

/* ---- enum names (header-only: the host, inspect, Lua and plugins share them) */

static inline const char *cml_format_name(cml_format f) {
    switch (f) {
    case CML_FMT_MLMODEL: return "mlmodel";
    case CML_FMT_MLPACKAGE: return "mlpackage";
    case CML_FMT_MLMODELC: return "mlmodelc";
    default: return "unknown";
    }
}

static inline const char *cml_feature_kind_name(cml_feature_kind k) {
    switch (k) {
    case CML_FEAT_INT64: return "int64";
    case CML_FEAT_DOUBLE: return "double";
    case CML_FEAT_STRING: return "string";
    case CML_FEAT_IMAGE: return "image";
    case CML_FEAT_MULTIARRAY: return "multiArray";
    case CML_FEAT_DICTIONARY: return "dictionary";
    case CML_FEAT_SEQUENCE: return "sequence";
    case CML_FEAT_STATE: return "state";
    default: return "invalid";
    }
}

/* SOURCE: FeatureTypes.proto ArrayFeatureType.ArrayDataType names. */
static inline const char *cml_array_dtype_name(cml_array_dtype d) {
    switch (d) {
    case CML_ARR_FLOAT32: return "FLOAT32";
    case CML_ARR_DOUBLE: return "DOUBLE";
    case CML_ARR_INT32: return "INT32";
    case CML_ARR_INT8: return "INT8";
    case CML_ARR_FLOAT16: return "FLOAT16";
    default: return "INVALID";
    }
}

static inline const char *cml_color_name(cml_color c) {
    switch (c) {
    case CML_COLOR_GRAYSCALE: return "GRAYSCALE";
    case CML_COLOR_RGB: return "RGB";
    case CML_COLOR_BGR: return "BGR";
    case CML_COLOR_GRAYSCALE_FLOAT16: return "GRAYSCALE_FLOAT16";
    default: return "INVALID";
    }
}

static inline const char *cml_granularity_name(cml_granularity g) {
    switch (g) {
    case CML_GRAN_PER_TENSOR: return "per_tensor";
    case CML_GRAN_PER_CHANNEL: return "per_channel";
    case CML_GRAN_PER_GROUPED_CHANNEL: return "per_grouped_channel";
    case CML_GRAN_PER_BLOCK: return "per_block";
    case CML_GRAN_BLOCKWISE_LUT: return "blockwise_lut";
    default: return "none";
    }
}

static inline const char *cml_compression_mode(const cml_compression *c) {
    if (c->sparse && c->palettized) return "prune+palettize";
    if (c->sparse && c->quantized) return "prune+linear_quantize";
    if (c->palettized && c->quantized) return "palettize+linear_quantize";
    if (c->sparse) return "prune";
    if (c->palettized) return "palettize";
    if (c->quantized) return "linear_quantize";
    if (c->fp16_storage) return "float16_weights";
    return "none";
}

#ifdef __cplusplus
}
#endif
#endif /* COREML_LINT_IR_H */

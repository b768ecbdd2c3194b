/* SPDX-License-Identifier: Apache-2.0 */
/* exec.h — the runtime probe's reference CPU executor (library cmlexec).
 *
 * Runs one function of a loaded model (an ML Program function, or the
 * layers of a NeuralNetwork) on the CPU, in plain float32 or in fp16
 * emulation (every value rounded to IEEE binary16 after every op, with fp32
 * accumulation inside ops, as the GPU and Neural Engine store tensors).
 * exec_prepare validates every op against the kernel table (listing every
 * unsupported kind by name), decodes the small constants once into float32
 * buffers and evaluates the constexpr decompression chains (palettization,
 * quantization, sparsity, casts) at that time; large constants stay in their
 * stored form (fp16, fp32, int8/int4 with scales, palette indices, sparse
 * masks: in place in the host's mapping where io.bytes gives it), which the
 * matrix kernels (convolution, linear) decode per tile and every other
 * kernel gets decoded for the run of its op (exec_const.c). exec_run then
 * executes the plan as often as wanted. Every ML Program op of iOS15..iOS18 has a kernel
 * (docs/mil-ops.md): cond and while_loop run their nested blocks as steps
 * of the plan (a run's loops stop after EXEC_LOOP_LIMIT iterations in all, with a message), lists
 * are values, states persist across runs, shapes may follow the values
 * (non_zero, topk with k from the graph, range_1d), and random_* ops draw
 * from a seeded generator (exec_output_random). All tensors cross the API as float32 buffers with
 * a shape and a dtype tag; integer and boolean tensors hold exact integral
 * floats, a classifier's label is its class index. Per-op statistics (max
 * |x| before rounding, fp16 overflow, NaN/Inf, time) and an optional per-op
 * hook expose what the probe reports. Classic models (GLM regressors and
 * classifiers, tree ensembles, support vector regressors and classifiers,
 * scaler, feature vectorizer, normalizer, array feature extractor, numeric
 * imputer, and pipelines of them, neural
 * stages included) run from the IR's classic function (cml_model.classic,
 * exec_classic.c) in double precision in every mode, as Core ML runs them
 * on the CPU; a classifier's probabilities are a vector in label order.
 * Convolutions, matrix products, pooling and elementwise work are split
 * across the plan's own threads (exec_opts.threads). Constants are read only
 * through exec_opts.io (the SDK's weight_read / weight_stored_as in the
 * plugin), so the executor sees nothing but include/coreml-lint. */
#ifndef CML_EXEC_H
#define CML_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coreml-lint/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXEC_MAX_RANK 8

typedef enum exec_mode {
    EXEC_FP32 = 0,      /* every value float32 */
    EXEC_FP16_EMU = 1,  /* every float value rounded to binary16 after every op */
    EXEC_TYPED = 2      /* the model's own precision: outputs of fp16-typed ops (and fp16
                           states) rounded to binary16, fp32-typed ones kept float32; the
                           same as EXEC_FP32 for NeuralNetwork models (untyped) */
} exec_mode;

typedef enum exec_dtype {
    EXEC_DT_FP32 = 0,
    EXEC_DT_FP16,       /* declared fp16; data holds the float32 values */
    EXEC_DT_INT32,      /* integral floats */
    EXEC_DT_BOOL,       /* 0 or 1 */
    EXEC_DT_LABEL,      /* classifier label: data[0] = class index, label = name */
    EXEC_DT_STRING,     /* strings: `strings` holds product(shape) of them (classic models'
                           string features; ML Program string constants) */
    EXEC_DT_DICT        /* a dictionary of shape[0] entries: data[i] the value of key i,
                           the keys in `strings` (string keys) or `int_keys` (int64 keys) */
} exec_dtype;

typedef struct exec_tensor {
    const char *name;   /* feature / value name (owned by the tensor array or the model) */
    exec_dtype dtype;
    int rank;
    int64_t shape[EXEC_MAX_RANK];
    float *data;        /* product(shape) elements, C order (EXEC_DT_STRING: may be NULL) */
    const char *label;  /* EXEC_DT_LABEL: the class name when the model has string labels */
    const char *const *strings; /* EXEC_DT_STRING values, EXEC_DT_DICT string keys; in an
                                   EXEC_DT_FP32 output of exec_run (a classifier's probabilities,
                                   a dictionary in Core ML): the class labels, in order, or NULL */
    const int64_t *int_keys;    /* EXEC_DT_DICT int64 keys; EXEC_DT_FP32 output: int64 class labels;
                                   EXEC_DT_INT32 input (an int64 sequence): the exact values, or NULL */
    void *owned_;       /* storage of strings / int_keys in tensors exec_run and
                           exec_make_inputs return (exec_tensors_free frees it) */
    const double *data64; /* an input of a classic model declared double (a Double
                             feature, a DOUBLE multi-array): its exact values, which
                             the model computes with instead of `data` (may be NULL
                             then); NULL otherwise. Ignored for other inputs. In an
                             output of exec_run: the exact values of an output the
                             model computed as doubles (a classic model's output
                             declared double), `data` holding them rounded to
                             float32; else NULL. exec_tensors_free frees it (a
                             caller that gives it to exec_tensors_free gives it a
                             malloc'd one) */
} exec_tensor;

/* An input exec_make_inputs left out (an optional number, sequence or
 * recommender item list): an empty rank-1 tensor, which kernels read as not
 * given (so an empty one given for such an input counts as not given). */
static inline bool exec_input_omitted(const exec_tensor *t) { return t->rank == 1 && t->shape[0] == 0; }

/* What one executed op did in the last run. */
typedef struct exec_op_stat {
    const cml_op *op;   /* the ML Program op or NeuralNetwork layer */
    double max_abs;     /* largest finite |x| of its float outputs, before fp16 rounding */
    uint64_t n_nan;     /* NaN outputs (after rounding) */
    uint64_t n_inf;     /* infinite outputs (after rounding) */
    uint64_t n_overflow;/* FP16_EMU: finite outputs with |x| > 65504 before rounding */
    uint64_t n_values;  /* output elements */
    double ms;          /* wall time of the kernel (and rounding) */
} exec_op_stat;

typedef struct exec_stats {
    size_t n_ops;
    const exec_op_stat *ops;  /* runtime ops in execution order; owned by the plan,
                                 valid until the next exec_run or exec_plan_free */
    long first_nonfinite;     /* index into ops of the first op with a NaN/Inf output, -1 */
    long first_overflow;      /* index of the first op with fp16 overflow, -1 */
    double total_ms;
} exec_stats;

/* Called after every runtime op with its statistics and output tensors
 * (views valid only during the call). */
typedef void (*exec_hook)(void *user, size_t index, const exec_op_stat *st,
                          const exec_tensor *outputs, size_t n_outputs);

/* How the executor reaches constant bytes. It never touches the host's
 * private weight storage: in the plugin these forward to cml_host's
 * weight_read, weight_stored_as and weight_bytes (plugin.h); host-side tests
 * forward to ir_weight_read / ir_weight_stored_as / ir_weight_data. */
typedef struct exec_io {
    /* copy up to n stored bytes of w from offset into buf; the count */
    size_t (*read)(void *user, const cml_weight *w, uint64_t offset, void *buf, size_t n);
    /* the element type of the stored bytes (w->dtype for raw little-endian
     * bytes; FP32/INT32/INT64/FP64 for protobuf repeated scalars; STRING with
     * *strings set for repeated strings) */
    cml_dtype (*stored_as)(void *user, const cml_weight *w, const char *const **strings);
    void *user;
    /* optional: resolves the linkedModel op `op` (LinkedModel.proto: a file
     * found along a search path) to a loaded model, or NULL with a reason in
     * why (with link_user). Without it a linkedModel is refused at prepare;
     * an unresolved one is refused with the reason, as is one whose model
     * has ops the executor refuses. */
    const cml_model *(*link)(void *link_user, const cml_op *op, char *why, size_t n);
    void *link_user;
    /* optional: the stored bytes of w in place (exactly what read would
     * copy; *nbytes their count), valid for the plan's life, or NULL (not in
     * memory as one range). With it a large constant is kept as a pointer
     * into the host's mapping of weight.bin instead of a copy. */
    const void *(*bytes)(void *user, const cml_weight *w, uint64_t *nbytes);
} exec_io;

/* Called before every runtime op (with hook_user): which op is about to
 * run, e.g. to name it if the process dies there. */
typedef void (*exec_op_start)(void *user, size_t index, const cml_op *op);

typedef struct exec_opts {
    int threads;        /* the executor's threads (exec_par.c; the BLAS then runs single-threaded
                           inside each of them); 0 = the CPUs the process may use */
    exec_hook hook;     /* optional */
    void *hook_user;
    exec_op_start on_op_start; /* optional */
    exec_io io;         /* required: exec_prepare fails without io.read and io.stored_as */
    uint64_t loop_limit; /* iterations the loops of one run (ML Program while_loop, NeuralNetwork
                            loop) may take together, nested ones included, before the run fails
                            with a message naming the loop (a while loop whose condition never
                            turns false, or loops nested so deep that their product is
                            astronomical); 0 = EXEC_LOOP_LIMIT */
    /* Run what can run: a pipeline stage the executor refuses (one that needs
     * Apple's implementation, say) is replaced by generated values of its
     * outputs' declared types, so the stages before and after it still run
     * (exec_plan_substituted lists the stages replaced). A pipeline whose
     * every stage is refused is still refused. */
    bool partial;
} exec_opts;
#define EXEC_LOOP_LIMIT 1000000

typedef struct exec_plan exec_plan;

/* The ops of a function that exec_prepare would refuse (an op kind with no
 * kernel, a NeuralNetwork control-flow layer, a kernel's refusal of its
 * parameters; ops inside an ML Program's cond / while_loop blocks count), in
 * program order: fills up to max entries of ops[] and why[] (each reason
 * "kind" or "kind (why)"), returns how many there are in all; 0 when every
 * op is executable. Model-level refusals (classic models) are not listed:
 * exec_prepare's message says those. */
size_t exec_unsupported(const cml_model *m, const char *function, const exec_io *io, const cml_op **ops,
                        char (*why)[192], size_t max);

/* Prepare a function (NULL: the default function, "main", or the only one).
 * Returns NULL with a message in err when the model or an op is not
 * executable; the message names every unsupported op kind. */
exec_plan *exec_prepare(const cml_model *m, const char *function, const exec_opts *o, char *err,
                        size_t errlen);

/* Run once. inputs are matched by name to the function's inputs (missing
 * ones are an error; an ML Program input must match its declared dims where
 * they are known; fp16 inputs are rounded to fp16, int32 ones truncated;
 * NeuralNetwork image inputs are raw pixel values and get the model's
 * scaler preprocessing). EXEC_FP32 runs every op in float32, including
 * fp16-typed ones (a cast to fp16 is then an identity); EXEC_FP16_EMU
 * rounds inputs, float constants and every float op output to binary16.
 * On success *outputs is a new array of *n_out tensors in the function's
 * output order (free with exec_tensors_free) and 0 is returned; on failure
 * -1, with the reason in exec_last_error(). stats may be NULL. A plan is
 * not thread-safe (one run at a time); the BLAS runs single-threaded inside
 * the plan's own threads. */
int exec_run(exec_plan *p, exec_mode mode, const exec_tensor *inputs, size_t n_in,
             exec_tensor **outputs, size_t *n_out, exec_stats *stats);

/* 1 when output i of the plan depends on a random_* op (random_normal,
 * random_uniform, random_bernoulli, random_categorical): those draw from a
 * generator with a fixed seed, the same values on every run of the plan,
 * but Core ML draws afresh (seed -1) and an fp16 run may pick other
 * categories, so such outputs are not a measure of precision. 0 otherwise.
 * Control flow counts as a whole: every output of a cond or while_loop
 * whose blocks draw is marked. */
int exec_output_random(const exec_plan *p, size_t i);

/* States (read_state/write_state) persist across runs; this zeroes them. */
void exec_reset_states(exec_plan *p);

const char *exec_last_error(const exec_plan *p);
/* The pipeline stages a partial plan replaces by generated values: up to
 * max into ops, the count in all (0 for a plan that runs every op). */
size_t exec_plan_substituted(const exec_plan *p, const cml_op **ops, size_t max);
int exec_threads(const exec_plan *p);            /* threads the plan runs on */
const cml_function *exec_plan_function(const exec_plan *p);
size_t exec_plan_n_ops(const exec_plan *p);      /* runtime ops */
size_t exec_plan_const_bytes(const exec_plan *p); /* bytes the plan holds for constants: decoded
                                                     ones, and stored forms it had to copy */
void exec_plan_free(exec_plan *p);

/* The decoded constant (weight, literal or constexpr result) the plan holds
 * for an IR value: a view (data owned by the plan). -1 if the plan has no
 * constant for it. */
int exec_plan_const(const exec_plan *p, const cml_value *v, exec_tensor *view);

/* Deterministic inputs for a function from its declared types and default
 * shapes (flexible dimensions at their default): images as integer pixel
 * values 0..255 ([1, C, H, W]); float arrays uniform in [-1, 1) rounded to
 * fp16 (so fp16 models see them exactly); int32 arrays in 0..9; a
 * NeuralNetwork input an embedding layer reads, indices in [0, inputDim);
 * an input a classic stage reads as a parameter's override, that
 * parameter's value; a sequence, values the model knows (strings as
 * EXEC_DT_STRING, int64 values as EXEC_DT_INT32 with int_keys); an
 * optional number, an optional sequence and an optional recommender
 * restriction or exclusion list, left out (exec_input_omitted). */
int exec_make_inputs(const cml_model *m, const char *function, uint64_t seed, exec_tensor **inputs,
                     size_t *n_inputs, char *err, size_t errlen);

/* Free an array of tensors returned by exec_run or exec_make_inputs. */
void exec_tensors_free(exec_tensor *t, size_t n);

/* product of the shape */
size_t exec_tensor_count(const exec_tensor *t);

/* float -> binary16 (round to nearest even) -> float. */
float exec_round_fp16(float f);

#ifdef __cplusplus
}
#endif
#endif

/* fp16_conversion.c — rule io/fp16-conversion: data converted at the model
 * boundary on every prediction. For each function of each ML Program
 * (pipeline sub-models included) it matches the described multiArray inputs
 * and outputs with the program: a Float32 input consumed by a cast to fp16,
 * or a Float32 output produced by a cast from fp16, means the program
 * computes in Float16 and the caller's data is converted both ways; that is
 * a note when Float16 I/O is available (deployment target iOS 16 / macOS 13
 * and later, else the model's own specification 7+), and nothing before
 * (Float16 I/O does not exist there). A Double multiArray input or output of
 * an ML Program is always a note (the program never computes in double).
 * With the option `grayscale_hint`, an 8-bit Grayscale image input cast to
 * fp16 gets a hint about GRAYSCALE_FLOAT16, off by default because 8-bit
 * camera frames are the normal case. NeuralNetwork models are untyped (their
 * precision follows the unit) and are not checked. */
#include <stdio.h>
#include <string.h>

#include "ane.h"

typedef struct fc_run {
    cml_ctx *ctx;
    bool grayscale_hint;
} fc_run;

/* The described features of a function: its FunctionDescription in a
 * multifunction model, else the model's description. */
static void fc_features(const cml_model *m, const cml_function *fn, const cml_feature *const **ins, size_t *ni,
                        const cml_feature *const **outs, size_t *no) {
    *ins = *outs = NULL;
    *ni = *no = 0;
    if (m->n_function_descs) {
        for (size_t i = 0; i < m->n_function_descs; i++) {
            const cml_function_desc *d = m->function_descs[i];
            if (d && d->name && fn->name && strcmp(d->name, fn->name) == 0) {
                *ins = d->inputs;
                *ni = d->n_inputs;
                *outs = d->outputs;
                *no = d->n_outputs;
                return;
            }
        }
        return;
    }
    *ins = m->inputs;
    *ni = m->n_inputs;
    *outs = m->outputs;
    *no = m->n_outputs;
}

static const cml_value *fn_input(const cml_function *fn, const char *name) {
    for (size_t i = 0; name && i < fn->n_inputs; i++)
        if (fn->inputs[i] && fn->inputs[i]->name && strcmp(fn->inputs[i]->name, name) == 0) return fn->inputs[i];
    return NULL;
}

static const cml_value *fn_output(const cml_function *fn, const char *name) {
    const cml_block *b = fn->block;
    for (size_t i = 0; name && b && i < b->n_outputs; i++)
        if (b->outputs[i] && b->outputs[i]->name && strcmp(b->outputs[i]->name, name) == 0) return b->outputs[i];
    return NULL;
}

static bool is_cast_to(const cml_op *op, cml_dtype dt) {
    return op && ane_kind_is(op, "cast") && op->n_outputs && op->outputs[0]->type.dtype == dt;
}

/* The first cast to fp16 reading v (coremltools' input cast), or NULL. */
static const cml_op *cast_to_fp16(const cml_value *v) {
    for (size_t i = 0; v && i < v->n_consumers; i++) {
        const cml_op *c = v->consumers[i];
        if (is_cast_to(c, CML_DT_FP16)) return c;
        /* image inputs: the fp32 scale/bias ops in front of the cast
         * (coremltools `<input>__scaled__` / `__biased__`, rules-knowledge 5.14) */
        if (c && (ane_kind_is(c, "mul") || ane_kind_is(c, "add")) && c->n_outputs && c->estimate.tier == 0 &&
            c->outputs[0]->type.dtype == CML_DT_FP32) {
            const cml_op *deeper = cast_to_fp16(c->outputs[0]);
            if (deeper) return deeper;
        }
    }
    return NULL;
}

/* The cast from fp16 producing v (coremltools' output cast), or NULL. */
static const cml_op *cast_from_fp16(const cml_value *v) {
    const cml_op *p = v ? v->producer : NULL;
    if (!is_cast_to(p, CML_DT_FP32)) return NULL;
    const cml_value *x = ane_input(p, "x");
    return x && x->type.dtype == CML_DT_FP16 ? p : NULL;
}

/* SOURCE: rules-knowledge 5.16 [A-doc]: "Float16 model IO (iOS16+) can reduce
 * the overhead of input and output type conversions for float16 typed
 * models" — coremltools docs-guides model-input-and-output-types.md:39 (4.1
 * P13); fix from the same page and mlmodel-utilities.md
 * (change_input_output_tensor_type). */
#define FIX_FP16_IO                                                                                               \
    "declare it Float16: ct.TensorType(name=..., shape=..., dtype=np.float16) with "                             \
    "minimum_deployment_target=ct.target.iOS16 (or ct.utils.change_input_output_tensor_type on the saved model)"
/* SOURCE: rules-knowledge 5.16 (d): coremltools' convert_double_to_float_multiarray_type
 * — ML Programs compute in fp32 or fp16, never in double. */
#define FIX_DOUBLE_IO                                                                                             \
    "declare it Float32, or Float16 on iOS 16 / macOS 13 and later: ct.TensorType(name=..., shape=..., "         \
    "dtype=np.float32 or np.float16)"

static void fc_report(cml_ctx *ctx, const cml_model *m, const cml_feature *f, const cml_op *cast, const char *msg,
                      const char *fix) {
    cml_related rel[1];
    size_t nr = 0;
    if (cast) rel[nr++] = (cml_related){&cast->loc, "the conversion"};
    cml_report(ctx, .message = msg, .fix = fix, .at = f->loc.logical ? &f->loc : &m->loc,
               .related = nr ? rel : NULL, .n_related = nr);
}

static void fc_function(const cml_model *m, const cml_function *fn, void *arg) {
    fc_run *run = arg;
    if (!ane_is_mlprogram(m)) return;
    const cml_feature *const *ins, *const *outs;
    size_t ni, no;
    fc_features(m, fn, &ins, &ni, &outs, &no);
    /* SOURCE: rules-knowledge 5.16 (b): before iOS 16 Float16 I/O does not exist
     * (FLOAT16 multiArray needs specification 7, 1.3). */
    bool avail = ane_fp16_io_available(run->ctx, m);
    char msg[768];
    for (size_t i = 0; ins && i < ni; i++) {
        const cml_feature *f = ins[i];
        if (!f) continue;
        const cml_value *v = fn_input(fn, f->name);
        const cml_op *cast = cast_to_fp16(v);
        if (f->kind == CML_FEAT_MULTIARRAY && f->array_dtype == CML_ARR_DOUBLE) {
            snprintf(msg, sizeof msg, "Input '%s' is Double but the program computes in %s; every prediction "
                     "converts it.", ane_s(f->name), cast ? "Float16" : "Float32 or Float16");
            fc_report(run->ctx, m, f, cast, msg, FIX_DOUBLE_IO);
        } else if (f->kind == CML_FEAT_MULTIARRAY && f->array_dtype == CML_ARR_FLOAT32 && cast && avail) {
            snprintf(msg, sizeof msg, "Input '%s' is Float32 but the program computes in Float16; every prediction "
                     "converts it (cast '%s').", ane_s(f->name), ane_s(cast->name));
            fc_report(run->ctx, m, f, cast, msg, FIX_FP16_IO);
        } else if (f->kind == CML_FEAT_IMAGE && f->color == CML_COLOR_GRAYSCALE && cast && avail &&
                   run->grayscale_hint) {
            /* SOURCE: rules-knowledge 5.16 (c): GRAYSCALE_FLOAT16 images (iOS 16,
             * docs-guides image-inputs.md:257). */
            snprintf(msg, sizeof msg, "Image input '%s' is 8-bit Grayscale and the program computes in Float16; if "
                     "the app has Float16 pixel data, a GRAYSCALE_FLOAT16 input avoids converting it.",
                     ane_s(f->name));
            fc_report(run->ctx, m, f, cast, msg,
                      "ct.ImageType(name=..., color_layout=ct.colorlayout.GRAYSCALE_FLOAT16) with "
                      "minimum_deployment_target=ct.target.iOS16");
        }
    }
    for (size_t i = 0; outs && i < no; i++) {
        const cml_feature *f = outs[i];
        if (!f || f->kind != CML_FEAT_MULTIARRAY) continue;
        const cml_op *cast = cast_from_fp16(fn_output(fn, f->name));
        if (f->array_dtype == CML_ARR_DOUBLE) {
            snprintf(msg, sizeof msg, "Output '%s' is Double but the program computes in %s; every prediction "
                     "converts it.", ane_s(f->name), cast ? "Float16" : "Float32 or Float16");
            fc_report(run->ctx, m, f, cast, msg, FIX_DOUBLE_IO);
        } else if (f->array_dtype == CML_ARR_FLOAT32 && cast && avail) {
            snprintf(msg, sizeof msg, "Output '%s' is Float32 but the program computes in Float16; every "
                     "prediction converts it (cast '%s').", ane_s(f->name), ane_s(cast->name));
            fc_report(run->ctx, m, f, cast, msg, FIX_FP16_IO);
        }
    }
}

static int fc_check(const cml_model *model, cml_ctx *ctx) {
    fc_run run = {ctx, cml_option_bool(ctx, "grayscale_hint", false)};
    ane_each_function(model, fc_function, &run, 0);
    return CML_OK;
}

static const cml_option fc_opt_gray = {
    .size = sizeof(cml_option),
    .type = CML_OPT_BOOL,
    .name = "grayscale_hint",
    .doc = "Also suggest GRAYSCALE_FLOAT16 for 8-bit Grayscale image inputs of fp16 programs (for apps that "
           "have Float16 pixel data).",
    .default_bool = false,
};
static const cml_option *const fc_options[] = {&fc_opt_gray, NULL};
static const char *const fc_tags[] = {"io", "precision", "performance", NULL};

const cml_rule ane_rule_fp16_conversion = {
    .size = sizeof(cml_rule),
    .id = "io/fp16-conversion",
    .name = "Fp16IoConversion",
    .summary = "Float32 or Double inputs and outputs of a Float16 ML Program are converted on every prediction.",
    .description = "Reports multiArray inputs and outputs of an ML Program that are Float32 while the program "
                   "casts them to or from Float16 (when Float16 I/O is available to the deployment target), and "
                   "Double inputs and outputs, which an ML Program always converts.",
    .help_md =
        "## Why\n\n"
        "An ML Program converted with the default `compute_precision=ct.precision.FLOAT16` but with Float32 "
        "inputs and outputs starts with a `cast` to fp16 after every input and ends with a `cast` back to fp32 "
        "before every output: each prediction converts the caller's data twice. Since iOS 16 / macOS 13 "
        "(specification 7) inputs and outputs can be Float16 multiArrays, which \"can reduce the overhead of "
        "input and output type conversions for float16 typed models\" (coremltools, *Model Input and Output "
        "Types*). Before iOS 16 there is no Float16 I/O and the rule stays silent (set `target` so it knows). "
        "A Double multiArray is never what an ML Program computes in, so Core ML converts it on every "
        "prediction too.\n\n"
        "coremltools 8 and later already give fp16 programs targeting iOS 16+ Float16 I/O unless a dtype is "
        "passed; the finding usually means an explicit `dtype=np.float32` or an older converter.\n\n"
        "Note: Float16 I/O does not remove every copy — the Neural Engine writes only into IOSurface-backed "
        "buffers (Apple lounge answer; developer forums thread 745778).\n\n"
        "## Example\n\n"
        "```\n"
        "Input 'x' is Float32 but the program computes in Float16; every prediction converts it (cast "
        "'cast_0').\n"
        "```\n\n"
        "## Fix\n\n"
        "```python\n"
        "mlmodel = ct.convert(traced,\n"
        "    inputs=[ct.TensorType(name=\"x\", shape=(1, 3, 64, 64), dtype=np.float16)],\n"
        "    outputs=[ct.TensorType(name=\"y\", dtype=np.float16)],\n"
        "    minimum_deployment_target=ct.target.iOS16)\n"
        "```\n\n"
        "or, on a saved model, `ct.utils.change_input_output_tensor_type(ml_model, from_type=..., "
        "to_type=...)`. With the option `grayscale_hint` the rule also points 8-bit Grayscale image inputs "
        "at `GRAYSCALE_FLOAT16` (useful only when the app has Float16 pixel data).\n\n"
        "## Sources\n\n"
        "- apple/coremltools `docs-guides/source/model-input-and-output-types.md`, `image-inputs.md`, "
        "`mlmodel-utilities.md`\n"
        "- apple/coremltools `mlmodel/src/Validation/InterfaceValidators.cpp` (FLOAT16 needs specification 7)\n",
    .help_uri = "https://apple.github.io/coremltools/docs-guides/source/model-input-and-output-types.html",
    .default_level = CML_NOTE,
    .tags = fc_tags,
    .options = fc_options,
    .check = fc_check,
};

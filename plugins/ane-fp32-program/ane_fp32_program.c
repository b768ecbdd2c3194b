/* SPDX-License-Identifier: Apache-2.0 */
/* ane_fp32_program.c — bundled plugin with rule ane/fp32-program: an ML
 * Program whose compute ops are typed float32 cannot run on the Neural
 * Engine at all. For every function of every ML Program (pipeline sub-models
 * included) it counts the float compute ops — ops other than const,
 * constexpr_* and cast, classified by the element type of their first float
 * tensor output (rules-knowledge §5 compute_dtype) — and reports once per
 * function when at least `min_fraction` of them (default 0.9, a house
 * default) are fp32, naming the count and the first fp32 op. The cast ops
 * are left out because an fp16 program converted with fp32 inputs and
 * outputs starts and ends with fp32<->fp16 casts. Built like any third-party
 * plugin: only the SDK headers, the host reached through cml_host. */
#include <stdio.h>
#include <string.h>

#include "coreml-lint/ir.h"
#include "coreml-lint/plugin.h"
#include "coreml-lint/walk.h"


typedef struct fp32_count {
    size_t n_float;         /* float compute ops */
    size_t n_fp32;          /* of which typed fp32 */
    const cml_op *first;    /* first fp32 op in program order */
} fp32_count;

/* The dtype an op computes in: its first float tensor output. CML_DT_UNKNOWN
 * when it has none (integer/bool ops, lists, tuples). */
static cml_dtype fp32_compute_dtype(const cml_op *op) {
    for (size_t i = 0; i < op->n_outputs; i++) {
        const cml_value *v = op->outputs[i];
        if (v && v->type.kind == CML_TYPE_TENSOR && cml_dtype_is_float(v->type.dtype))
            return v->type.dtype;
    }
    return CML_DT_UNKNOWN;
}

static void fp32_count_function(const cml_function *fn, fp32_count *c) {
    cml_op_iter it;
    for (const cml_op *op = cml_ops_first(&it, NULL, fn); op; op = cml_ops_next(&it)) {
        /* const and constexpr_* ops hold data, they compute nothing; cast is
         * the fp32 I/O boundary of an fp16 program. */
        if (op->is_const || (op->kind && strcmp(op->kind, "cast") == 0)) continue;
        cml_dtype dt = fp32_compute_dtype(op);
        if (dt == CML_DT_UNKNOWN) continue;
        c->n_float++;
        if (dt == CML_DT_FP32) {
            if (!c->first) c->first = op;
            c->n_fp32++;
        }
    }
}

static int fp32_check_model(const cml_model *m, cml_ctx *ctx, double min_fraction) {
    /* Only ML Programs carry types; a NeuralNetwork's precision follows the
     * compute unit it runs on.
     * SOURCE: apple/coremltools docs-guides/source/typed-execution.md ("The
     * GPU and NE use float 16 precision, and the CPU uses float 32") */
    if (!m->type || strcmp(m->type, "mlProgram") != 0) return CML_OK;
    for (size_t f = 0; f < m->n_functions; f++) {
        const cml_function *fn = m->functions[f];
        if (!fn) continue;
        fp32_count c = {0, 0, NULL};
        fp32_count_function(fn, &c);
        if (!c.n_fp32 || (double)c.n_fp32 < min_fraction * (double)c.n_float) continue;
        /* SOURCE: apple/coremltools docs-guides/source/typed-execution.md:93 —
         * an ML Program typed float32 "will only ever run with float 32
         * precision"; "Only the NE is barred as a compute unit when a model
         * is typed with float 32 precision." (rules-knowledge §4.1 P2) */
        const cml_op *ex = c.first;
        char msg[768], rel[384];
        snprintf(msg, sizeof msg,
                 "function '%s': %zu of %zu float compute ops are typed fp32 (e.g. %s '%s'); "
                 "ML Program computes in float32 and Core ML never runs float32-typed programs "
                 "on the Neural Engine",
                 fn->name ? fn->name : "?", c.n_fp32, c.n_float, ex->kind ? ex->kind : "op",
                 ex->name ? ex->name : "?");
        snprintf(rel, sizeof rel, "first fp32 compute op: %s '%s'", ex->kind ? ex->kind : "op",
                 ex->name ? ex->name : "?");
        cml_related related[1] = {{&ex->loc, rel}};
        /* SOURCE: typed-execution.md (compute_precision, FP16ComputePrecision
         * op_selector for mixed precision); rules-knowledge §5.5 Fix. */
        cml_report(ctx, .message = msg, .at = fn->loc.artifact ? &fn->loc : &ex->loc,
                   .fix = "re-convert with the default compute_precision=ct.precision.FLOAT16; "
                          "if some ops need fp32 for accuracy, keep only those in fp32 with "
                          "ct.transform.FP16ComputePrecision(op_selector=...)",
                   .related = related, .n_related = 1);
    }
    return CML_OK;
}

static int fp32_check(const cml_model *model, cml_ctx *ctx) {
    double min_fraction = cml_option_number(ctx, "min_fraction", 0.9);
    if (!(min_fraction >= 0.0)) min_fraction = 0.0; /* also NaN */
    if (min_fraction > 1.0) min_fraction = 1.0;
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, model); m; m = cml_models_next(&mi))
        fp32_check_model(m, ctx, min_fraction);
    return CML_OK;
}

static const cml_option fp32_opt_min_fraction = {
    .size = sizeof(cml_option),
    .type = CML_OPT_NUMBER,
    .name = "min_fraction",
    .doc = "Smallest fraction (0..1) of a function's float compute ops that must be typed fp32 "
           "for the rule to fire.",
    .default_number = 0.9,
};
static const cml_option *const fp32_options[] = {&fp32_opt_min_fraction, NULL};
static const char *const fp32_tags[] = {"ane", "precision", "performance", NULL};

static const cml_rule fp32_rule = {
    .size = sizeof(cml_rule),
    .id = "ane/fp32-program",
    .name = "Fp32Program",
    .summary = "A float32-typed ML Program cannot run on the Neural Engine.",
    .description = "Reports each ML Program function whose float compute ops are (almost) all "
                   "typed float32: Core ML runs such a program on the CPU and GPU only, never "
                   "on the Neural Engine.",
    .help_md =
        "## Why\n\n"
        "An ML Program carries explicit tensor types. A program typed float32 \"will only ever "
        "run with float 32 precision\"; it may run on the CPU and GPU, but \"only the NE is "
        "barred as a compute unit when a model is typed with float 32 precision\" "
        "(coremltools, *Typed Execution*). On iPhone and iPad the Neural Engine is usually the "
        "fastest and most power-efficient unit, so an fp32 program gives it up entirely.\n\n"
        "The rule counts, per function, the ops that compute on floats (not `const`, "
        "`constexpr_*` or the I/O `cast` ops) by the type of their float output, and fires when "
        "at least `min_fraction` (default 0.9) of them are fp32.\n\n"
        "## Fix\n\n"
        "Convert with the default `compute_precision=ct.precision.FLOAT16` "
        "(coremltools >= 6 default for ML Programs). If some ops need fp32 for accuracy, keep "
        "only those in fp32 with `ct.transform.FP16ComputePrecision(op_selector=...)` (mixed "
        "precision); the fp16 part can then use the Neural Engine.\n\n"
        "```python\n"
        "mlmodel = ct.convert(traced, convert_to=\"mlprogram\",\n"
        "                     compute_precision=ct.precision.FLOAT16)\n"
        "```\n\n"
        "If the model is meant for the CPU/GPU only, set this rule's level to `note` or disable "
        "it.\n\n"
        "## Sources\n\n"
        "- apple/coremltools `docs-guides/source/typed-execution.md`\n",
    .help_uri = "https://apple.github.io/coremltools/docs-guides/source/typed-execution.html",
    .default_level = CML_WARNING,
    .tags = fp32_tags,
    .options = fp32_options,
    .check = fp32_check,
};

static const cml_rule *const fp32_rules[] = {&fp32_rule, NULL};

static const cml_plugin fp32_plugin = {
    .size = sizeof(cml_plugin),
    .abi = CML_ABI_VERSION,
    .name = "ane-fp32-program",
    .version = CML_VERSION_STRING,
    .spdx_license = "Apache-2.0",
    .rules = fp32_rules,
};

CML_PLUGIN_DEFINE(fp32_plugin)

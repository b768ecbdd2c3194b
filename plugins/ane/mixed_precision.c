/* SPDX-License-Identifier: Apache-2.0 */
/* mixed_precision.c — rule ane/mixed-precision: fp32 "islands" inside an
 * fp16 ML Program. For every function that computes mostly in fp16, the ops
 * typed fp32 that the compute-unit pass did not take for the model's I/O
 * conversion (input/output casts, image scale/bias, the cast before
 * `classify`: the pass gives those tier 0) are joined into islands along
 * the dataflow (an op and the fp32 ops that consume it). Each island is one
 * finding at its first op: its size, its kinds, a likely reason — a constant
 * input beyond the fp16 range, an op coremltools never converts to fp16, an
 * fp32 input used without a cast, or else an op_selector choice — and the
 * fp16 work around it. It is a note, or a warning when fp16 regions of at
 * least `sandwich_min_ops` ops run both before and after it (two unit
 * switches) or when it holds `warn_island_ops` ops or more. Functions that
 * are (almost) all fp32 are left to ane/fp32-program. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ane.h"
#include "coreml-lint/coreml_facts.h"

/* Share of fp32 compute ops from which ane/fp32-program's default
 * (min_fraction 0.9) reports the whole function instead [house default]. */
#define MP_FP32_PROGRAM_SHARE 0.9

typedef struct mp_pos {
    const cml_op *op;
    size_t pos;
} mp_pos;

static int mp_pos_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const mp_pos *)a)->op, y = (uintptr_t)((const mp_pos *)b)->op;
    return x < y ? -1 : x > y;
}

static size_t uf_find(size_t *parent, size_t i) {
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* SOURCE: rules-knowledge 4.1 P5 [A-src]: coremltools' fp16 pass never casts
 * `cast, while_loop, cond, make_list, list_*, read_state,
 * coreml_update_state` (mil/passes/defs/quantization.py
 * _UNSUPPORTED_FP16_OPS). `cast` is left out here: a cast into fp32 is how
 * every island starts, whatever kept it. */
static bool never_fp16_kind(const cml_op *op) {
    static const char *const kinds[] = {"while_loop", "cond", "make_list", "read_state", "coreml_update_state",
                                        NULL};
    if (!op->kind) return false;
    if (strncmp(op->kind, "list_", 5) == 0) return true;
    for (const char *const *k = kinds; *k; k++)
        if (strcmp(op->kind, *k) == 0) return true;
    return false;
}

/* The largest finite |value| of an fp32 constant, when it exceeds the fp16
 * maximum (else 0), from the host's counts over the weight
 * (cml_weight_stats_of: one pass per weight, shared with
 * numerics/fp16-overflow). SOURCE: rules-knowledge 4.1 P5 [A-src]:
 * coremltools keeps an op in fp32 when an fp32 const input has a finite abs
 * value > 65504 (quantization.py fp16_overflow). */
static double overflow_value(cml_ctx *ctx, const cml_value *v) {
    const cml_weight *w = v->weight;
    if (!w || w->dtype != CML_DT_FP32 || w->quant_bits) return 0;
    if (v->producer && !v->producer->is_const) return 0;
    cml_weight_stats st;
    if (cml_weight_stats_of(ctx, w, &st) != 0 || !st.over_fp16) return 0;
    return st.maxabs;   /* the largest finite value, beyond 65504 since one is */
}

typedef struct mp_run {
    cml_ctx *ctx;
    const char *opset;   /* the function's, "CoreML5"... */
    int64_t sandwich_min;
    int64_t warn_island;
} mp_run;

static void mp_report_island(mp_run *run, const ane_ops *isl, size_t before, size_t after) {
    cml_ctx *ctx = run->ctx;
    size_t n_cast = 0;
    char kinds[256];
    ane_buf kb = {kinds, sizeof kinds, 0};
    size_t n_kinds = 0;
    const char *printed[6];   /* the distinct kinds listed so far */
    const cml_op *ovf_op = NULL, *never_op = NULL, *raw_in_op = NULL, *typed_op = NULL;
    int k_opset = cml_opset_number(run->opset);
    const cml_value *ovf_val = NULL, *raw_in = NULL;
    double ovf = 0;
    for (size_t i = 0; i < isl->n; i++) {
        const cml_op *op = isl->v[i];
        bool is_cast = ane_kind_is(op, "cast");
        if (is_cast) n_cast++;
        /* distinct kinds other than cast, in order of appearance: compared
         * with the (at most six) listed, and not at all once the list ends
         * in "..." (comparing with every earlier op was quadratic: an island
         * of 80,000 kinds took 15 s) */
        bool seen = is_cast || n_kinds > 6;
        for (size_t j = 0; j < n_kinds && !seen; j++)
            seen = printed[j] && op->kind && strcmp(printed[j], op->kind) == 0;
        if (!seen && n_kinds < 6) {
            ane_bprintf(&kb, "%s%s", n_kinds ? ", " : "", ane_s(op->kind));
            printed[n_kinds++] = op->kind;
        } else if (!seen && n_kinds == 6) {
            ane_bprintf(&kb, ", ...");
            n_kinds++;
        }
        if (!never_op && never_fp16_kind(op)) never_op = op;
        /* an op whose definition in this opset takes fp32 only (gru, lstm,
         * rnn before CoreML7): coremltools cannot cast it to fp16 */
        if (!typed_op && k_opset > 0 && cml_op_fp16_since(op->kind) > k_opset) typed_op = op;
        for (size_t a = 0; a < op->n_inputs; a++)
            for (size_t k = 0; k < op->inputs[a]->n_values; k++) {
                const cml_value *v = op->inputs[a]->values[k];
                if (!v) continue;
                if (!raw_in && v->is_function_input && v->type.dtype == CML_DT_FP32) {
                    raw_in = v;
                    raw_in_op = op;
                }
                if (!ovf_op && v->weight) {
                    double x = overflow_value(ctx, v);
                    if (x > 0) {
                        ovf = x;
                        ovf_op = op;
                        ovf_val = v;
                    }
                }
            }
    }
    size_t n_compute = isl->n - n_cast;
    char reasons[512];
    ane_buf rb = {reasons, sizeof reasons, 0};
    if (ovf_op)
        ane_bprintf(&rb, "constant '%s' of %s '%s' holds %g, beyond the fp16 maximum 65504, so the converter keeps "
                    "it in fp32", ane_s(ovf_val->name), ane_s(ovf_op->kind), ane_s(ovf_op->name), ovf);
    if (never_op)
        ane_bprintf(&rb, "%s%s '%s' is never converted to fp16 by coremltools", rb.n ? "; " : "",
                    ane_s(never_op->kind), ane_s(never_op->name));
    if (typed_op)
        ane_bprintf(&rb, "%s%s '%s' takes only fp32 in opset %s (fp16 from CoreML%d, iOS 17), so coremltools keeps it "
                    "in fp32", rb.n ? "; " : "", ane_s(typed_op->kind), ane_s(typed_op->name), ane_s(run->opset),
                    cml_op_fp16_since(typed_op->kind));
    if (raw_in)
        ane_bprintf(&rb, "%s%s '%s' reads the fp32 input '%s' without a cast", rb.n ? "; " : "",
                    ane_s(raw_in_op->kind), ane_s(raw_in_op->name), ane_s(raw_in->name));
    if (!rb.n)
        ane_bprintf(&rb, "no fp16-overflow constant or fp32-only op found: likely kept in fp32 on purpose "
                    "(FP16ComputePrecision op_selector) or by the source model");
    bool sandwiched = run->sandwich_min > 0 && before >= (size_t)run->sandwich_min &&
                      after >= (size_t)run->sandwich_min;
    bool big = run->warn_island > 0 && n_compute >= (size_t)run->warn_island;
    char msg[1024];
    ane_buf b = {msg, sizeof msg, 0};
    /* SOURCE: rules-knowledge 5.6 message; 4.1 P2 (fp32 ops cannot use the
     * NE) and 4.2 O12 (each unit switch costs a copy). */
    if (n_compute)
        ane_bprintf(&b, "%zu op%s compute%s in float32 inside a float16 program (%s%s): %s.", n_compute,
                    n_compute == 1 ? "" : "s", n_compute == 1 ? "s" : "", kinds,
                    n_cast ? ", between casts" : "", reasons);
    else
        ane_bprintf(&b, "%zu cast%s to float32 inside a float16 program: %s.", n_cast, n_cast == 1 ? "" : "s",
                    reasons);
    ane_bprintf(&b, " These cannot run on the Neural Engine and split the graph (%zu fp16 op%s before, %zu after)"
                ". Estimate: verify with Xcode's performance report or MLComputePlan.",
                before, before == 1 ? "" : "s", after);
    /* at the first fp32 op that is not a cast (the cast only opens the island) */
    size_t at = 0;
    while (at < isl->n && ane_kind_is(isl->v[at], "cast")) at++;
    if (at == isl->n) at = 0;
    cml_related rel[ANE_MAX_RELATED];
    size_t nr = 0;
    if (ovf_op && ovf_val) rel[nr++] = (cml_related){&ovf_val->loc, "constant beyond the fp16 range"};
    for (size_t i = 0; i < isl->n && nr < ANE_MAX_RELATED; i++)
        if (i != at) rel[nr++] = (cml_related){&isl->v[i]->loc, "also in this fp32 island"};
    cml_report(ctx, .level = (sandwiched || big) ? CML_WARNING : CML_NOTE, .message = msg,
               .fix = ovf_op ? "rescale the weights (or fold the constant) so every constant fits fp16 (|v| <= 65504); "
                               "otherwise keep fp32 only where needed and move that work to the model's end"
                      : typed_op && !never_op && !raw_in
                          ? "convert with minimum_deployment_target=ct.target.iOS17 or later, whose opset lets "
                            "coremltools compute this op in fp16 (a recurrent op may still run outside the Neural "
                            "Engine: see ane/unsupported-op), or move it to the model's start or end so the fp16 "
                            "part stays in one Neural Engine segment"
                             : "keep fp32 only where accuracy needs it (ct.transform.FP16ComputePrecision(op_selector="
                               "...)), and move fp32 work to the model's start or end so the fp16 part stays in one "
                               "Neural Engine segment",
               .at = &isl->v[at]->loc, .related = nr ? rel : NULL, .n_related = nr);
}

static void mp_function(const cml_model *m, const cml_function *fn, void *arg) {
    mp_run *run = arg;
    if (!ane_is_mlprogram(m)) return;
    run->opset = fn->opset;
    ane_ops all = {0};
    ane_collect(fn, &all);
    size_t n = all.n, n_fp16 = 0, n_fp32 = 0, n_members = 0;
    size_t *pre16 = calloc(n + 1, sizeof *pre16);   /* fp16 compute ops before position i */
    size_t *member = calloc(n ? n : 1, sizeof *member);   /* member id + 1, 0 = none */
    for (size_t i = 0; pre16 && member && i < n; i++) {
        const cml_op *op = all.v[i];
        pre16[i + 1] = pre16[i];
        if (op->is_nn_layer || !ane_is_compute(op)) continue;
        if (ane_is_fp32_island_op(op)) {
            member[i] = ++n_members;
            if (!ane_kind_is(op, "cast")) n_fp32++;
        } else if (cml_op_float_dtype(op) == CML_DT_FP16 && !ane_kind_is(op, "cast")) {
            pre16[i + 1]++;
            n_fp16++;
        }
    }
    /* SOURCE: rules-knowledge 5.6: both fp16 and fp32 compute present. */
    if (!pre16 || !member || !n_fp16 || !n_members ||
        (double)n_fp32 >= MP_FP32_PROGRAM_SHARE * (double)(n_fp32 + n_fp16)) {
        if (all.oom || !pre16 || !member) cml_log(run->ctx, CML_WARNING, "out of memory");
        free(pre16);
        free(member);
        ane_ops_free(&all);
        return;
    }
    mp_pos *pos = malloc(n * sizeof *pos);
    size_t *parent = malloc(n_members * sizeof *parent);
    size_t *mpos = malloc(n_members * sizeof *mpos);   /* member id -> position */
    size_t *island = malloc(n_members * sizeof *island);
    if (!pos || !parent || !mpos || !island) {
        cml_log(run->ctx, CML_WARNING, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) pos[i] = (mp_pos){all.v[i], i};
    qsort(pos, n, sizeof *pos, mp_pos_cmp);
    for (size_t i = 0; i < n; i++)
        if (member[i]) {
            parent[member[i] - 1] = member[i] - 1;
            mpos[member[i] - 1] = i;
        }
    /* islands: fp32 ops joined along the dataflow; a value a nested block
     * returns flows to the op that owns the block (a cond's or while_loop's
     * branch ending in a cast to fp32: coremltools keeps those ops in fp32
     * and casts what their blocks return, so the casts belong to the cond's
     * island, not to islands of their own) */
    for (size_t i = 0; i < n; i++) {
        if (!member[i]) continue;
        const cml_op *op = all.v[i];
        const cml_block *blk = op->parent;
        for (size_t o = 0; o < op->n_outputs; o++) {
            const cml_value *v = op->outputs[o];
            size_t nc = v ? v->n_consumers : 0;
            bool returned = false;
            for (size_t b = 0; v && blk && blk->parent && !returned && b < blk->n_outputs; b++)
                returned = blk->outputs[b] == v;
            for (size_t c = 0; c < nc + returned; c++) {
                mp_pos key = {c < nc ? v->consumers[c] : blk->parent, 0};
                const mp_pos *hit = bsearch(&key, pos, n, sizeof *pos, mp_pos_cmp);
                if (!hit || !member[hit->pos]) continue;
                size_t a = uf_find(parent, member[i] - 1), b = uf_find(parent, member[hit->pos] - 1);
                if (a != b) parent[a < b ? b : a] = a < b ? a : b;
            }
        }
    }
    /* report islands in program order of their first op; each island's
     * members as a list threaded through next[] (scanning every member
     * per island was quadratic: 100,000 one-cast islands took 3.2 s) */
    for (size_t k = 0; k < n_members; k++) island[k] = uf_find(parent, k);
    size_t *head = malloc(n_members * sizeof *head), *next = malloc(n_members * sizeof *next);
    if (!head || !next) {
        free(head);
        free(next);
        goto done;
    }
    for (size_t k = 0; k < n_members; k++) head[k] = SIZE_MAX;
    for (size_t k = n_members; k-- > 0;) {
        next[k] = head[island[k]];
        head[island[k]] = k;
    }
    for (size_t k = 0; k < n_members; k++) {
        if (island[k] != k) continue;   /* k is the island's smallest id = its first op */
        ane_ops isl = {0};
        size_t lo = SIZE_MAX, hi = 0;
        for (size_t j = head[k]; j != SIZE_MAX; j = next[j]) {
            ane_ops_push(&isl, all.v[mpos[j]]);
            if (mpos[j] < lo) lo = mpos[j];
            if (mpos[j] > hi) hi = mpos[j];
        }
        if (isl.n) mp_report_island(run, &isl, pre16[lo], n_fp16 - pre16[hi + 1]);
        ane_ops_free(&isl);
    }
    free(head);
    free(next);
done:
    free(pos);
    free(parent);
    free(mpos);
    free(island);
    free(pre16);
    free(member);
    ane_ops_free(&all);
}

static int mp_check(const cml_model *model, cml_ctx *ctx) {
    mp_run run = {ctx, NULL, cml_option_int(ctx, "sandwich_min_ops", 4), cml_option_int(ctx, "warn_island_ops", 16)};
    ane_each_function(model, mp_function, &run);
    return CML_OK;
}

static const cml_option mp_opt_sandwich = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "sandwich_min_ops",
    .doc = "An island is a warning when at least this many fp16 compute ops run both before and after it "
           "(0 turns this off).",
    .default_int = 4,
};
static const cml_option mp_opt_big = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "warn_island_ops",
    .doc = "An island of at least this many fp32 compute ops is a warning wherever it sits (0 turns this off).",
    .default_int = 16,
};
static const cml_option *const mp_options[] = {&mp_opt_sandwich, &mp_opt_big, NULL};
static const char *const mp_tags[] = {"ane", "precision", "performance", NULL};

const cml_rule ane_rule_mixed_precision = {
    .size = sizeof(cml_rule),
    .id = "ane/mixed-precision",
    .name = "AneMixedPrecision",
    .summary = "fp32 islands inside an fp16 ML Program leave the Neural Engine and split the graph.",
    .description = "Reports each group of float32-typed ops inside a float16 ML Program (the model's own "
                   "input/output conversions excepted) with its size, the fp16 work around it and a likely "
                   "reason it stayed fp32.",
    .help_md =
        "## Why\n\n"
        "An ML Program carries explicit types, and mixed precision is allowed: \"only the NE is barred as a "
        "compute unit when a model is typed with float 32 precision\" applies op by op (coremltools, *Typed "
        "Execution*). Each fp32 op in an fp16 program therefore runs on the GPU or CPU, and every island of "
        "them in the middle of the graph costs two switches between compute units, with copies.\n\n"
        "The rule joins the fp32 ops along the dataflow into islands and leaves out the conversions coremltools "
        "adds at the model's boundary: the cast after an fp32 input, the cast before an fp32 output, the image "
        "scale/bias ops in front of the input cast and the fp32 cast before `classify`. For each island it "
        "names a likely reason:\n\n"
        "- a **constant beyond the fp16 range** (|v| > 65504): coremltools keeps such ops in fp32 "
        "(`quantization.py`, `fp16_overflow`);\n"
        "- an op coremltools **never converts** to fp16 (`while_loop`, `cond`, list ops, `read_state`, "
        "`coreml_update_state`);\n"
        "- an op whose definition in the function's opset takes **fp32 only**: `gru`, `lstm` and `rnn` before "
        "the iOS 17 opset (CoreML7), which coremltools cannot cast to fp16 (`should_cast_parameter`);\n"
        "- an **fp32 input used without a cast**;\n"
        "- otherwise a deliberate choice (`ct.transform.FP16ComputePrecision(op_selector=...)`) or an explicit "
        "`.float()` in the source model.\n\n"
        "A note by default; a warning when at least `sandwich_min_ops` fp16 ops run both before and after the "
        "island, or when it holds `warn_island_ops` ops or more. Functions that are (almost) all fp32 are "
        "reported by `ane/fp32-program` instead.\n\n"
        "## Example\n\n"
        "```\n"
        "2 ops compute in float32 inside a float16 program (layer_norm, mul, between casts): constant 'scale' of mul "
        "'mul_0' holds 100000, beyond the fp16 maximum 65504 ... (6 fp16 ops before, 5 after).\n"
        "```\n\n"
        "## Fix\n\n"
        "- keep fp32 only where accuracy needs it: `ct.transform.FP16ComputePrecision(op_selector=...)`;\n"
        "- rescale weights or fold constants so every constant fits fp16;\n"
        "- for `gru`, `lstm` or `rnn` kept fp32 by an older opset: convert with "
        "`minimum_deployment_target=ct.target.iOS17` or later (fp16 then; the op may still run outside the "
        "Neural Engine);\n"
        "- move fp32 work to the model's start or end so the fp16 part stays in one Neural Engine segment.\n\n"
        "## Sources\n\n"
        "- apple/coremltools `docs-guides/source/typed-execution.md` (typed execution, mixed precision)\n"
        "- apple/coremltools `coremltools/converters/mil/mil/passes/defs/quantization.py` "
        "(`_UNSUPPORTED_FP16_OPS`, `fp16_overflow`, `should_cast_parameter`), "
        "`converters/mil/mil/ops/defs/iOS15/recurrent.py` and `iOS17/recurrent.py` (type domains) and "
        "`converters/mil/backend/mil/load.py` "
        "(`_add_classify_op`)\n",
    .help_uri = "https://apple.github.io/coremltools/docs-guides/source/typed-execution.html",
    .default_level = CML_NOTE,
    .tags = mp_tags,
    .options = mp_options,
    .check = mp_check,
};

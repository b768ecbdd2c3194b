/* SPDX-License-Identifier: Apache-2.0 */
/* ane_layout.c — rule perf/ane-layout (opt-in, CML_RULE_OPT_IN): tensor
 * layouts that cost the Neural Engine memory or speed in an fp16 ML Program.
 * Only ops the compute-unit estimate leaves on the NE are looked at, and
 * only functions that compute in fp16 (an fp32 program cannot use the NE at
 * all). Three facts, one finding per function and fact, at the first op with
 * the others as related locations: (1) ops producing tensors of rank > 4 —
 * the NE works on 4-D channels-first tensors and rank-5+ intermediates are
 * reported to be rejected or to fall back; (2) large fp16 activations whose
 * last axis holds at most `max_last_dim` elements — Apple's ANE transformer
 * article says the last axis of an NE buffer is padded to 64 bytes, so a
 * singleton last axis costs 32x the memory; reported when the padded size
 * reaches `min_padded_bytes`; (3) `linear` ops over channels-last token
 * tensors ((B, S, C), (S, B, C), (S, C) with more than one token) —
 * Apple's reference ANE transformer uses (B, C, 1, S) with 1x1 convolutions
 * instead. Notes only: these are performance advice, which is why the rule
 * is off until the configuration enables it. */
#include <stdio.h>
#include <string.h>

#include "ane.h"

/* SOURCE: rules-knowledge 4.3 S9 [A-doc, machinelearning.apple.com/research/
 * neural-engine-transformers]: the last axis of an ANE buffer is contiguous
 * and padded to 64 bytes (a singleton last axis costs up to 32x at fp16). */
#define ANE_ROW_BYTES 64u

typedef struct lay_run {
    cml_ctx *ctx;
    int64_t max_last_dim;
    int64_t min_padded_bytes;
} lay_run;

/* The first tensor output of an op, or NULL. */
static const cml_value *tensor_out(const cml_op *op) {
    for (size_t i = 0; i < op->n_outputs; i++)
        if (op->outputs[i] && op->outputs[i]->type.kind == CML_TYPE_TENSOR) return op->outputs[i];
    return NULL;
}

static bool shape_known(const cml_shape *s) {
    if (s->rank <= 0 || !s->dims) return false;
    for (int32_t i = 0; i < s->rank; i++)
        if (s->dims[i] <= 0) return false;
    return true;
}

static void lay_report(cml_ctx *ctx, const ane_ops *ops, const char *msg, const char *rel_msg, const char *fix) {
    cml_related rel[ANE_MAX_RELATED];
    size_t nr = 0;
    for (size_t i = 1; i < ops->n && nr < ANE_MAX_RELATED; i++) rel[nr++] = (cml_related){&ops->v[i]->loc, rel_msg};
    cml_report(ctx, .message = msg, .fix = fix, .at = &ops->v[0]->loc, .related = nr ? rel : NULL, .n_related = nr);
}

static void lay_function(const cml_model *m, const cml_function *fn, void *arg) {
    lay_run *run = arg;
    if (!ane_is_mlprogram(m)) return;
    ane_ops all = {0};
    ane_collect(fn, &all);
    ane_ops rank5 = {0}, padded = {0}, bsc = {0};
    bool fp16 = false;
    double worst_padded = 0, worst_raw = 0;
    for (size_t i = 0; i < all.n; i++) {
        const cml_op *op = all.v[i];
        if (ane_is_compute(op) && !ane_kind_is(op, "cast") && cml_op_float_dtype(op) == CML_DT_FP16) fp16 = true;
    }
    for (size_t i = 0; fp16 && i < all.n; i++) {
        const cml_op *op = all.v[i];
        if (!ane_is_compute(op) || op->estimate.unit != CML_UNIT_NE || op->estimate.tier != 0) continue;
        const cml_value *out = tensor_out(op);
        if (!out) continue;
        const cml_shape *s = &out->type.shape;
        /* SOURCE: rules-knowledge 4.3 S13 [C / C-RE]: rank > 4 intermediates
         * reported rejected or falling back (ane laws, community rules). */
        if (s->rank > 4) ane_ops_push(&rank5, op);
        /* SOURCE: 4.3 S9 (64-byte rows of the last axis). */
        if (out->type.dtype == CML_DT_FP16 && s->rank >= 2 && shape_known(s) &&
            s->dims[s->rank - 1] <= run->max_last_dim) {
            double rows = 1;
            for (int32_t d = 0; d < s->rank - 1; d++) rows *= (double)s->dims[d];
            double last = (double)s->dims[s->rank - 1] * 2.0;
            double row = (double)ANE_ROW_BYTES * (double)(((uint64_t)last + ANE_ROW_BYTES - 1) / ANE_ROW_BYTES);
            if (rows * row >= (double)run->min_padded_bytes) {
                ane_ops_push(&padded, op);
                if (rows * row > worst_padded) {
                    worst_padded = rows * row;
                    worst_raw = rows * last;
                }
            }
        }
        /* SOURCE: 4.3 S9 [A-doc]: the ANE-friendly transformer layout is 4-D
         * channels-first (B, C, 1, S) with nn.Linear -> nn.Conv2d. */
        if (ane_kind_is(op, "linear")) {
            const cml_value *x = ane_input(op, "x");
            const cml_shape *xs = x ? &x->type.shape : NULL;
            /* rank 2 or 3 with channels last and more than one token in
             * front ((1, S, C), (S, 1, C), (S, C); unknown counts as many) */
            if (xs && xs->dims && (xs->rank == 2 || xs->rank == 3)) {
                bool many = false;
                for (int32_t d = 0; d < xs->rank - 1; d++)
                    if (xs->dims[d] != 1) many = true;
                if (many) ane_ops_push(&bsc, op);
            }
        }
    }
    char msg[1024], shape[128];
    if (rank5.n) {
        const cml_value *o = tensor_out(rank5.v[0]);
        ane_buf sb = {shape, sizeof shape, 0};
        ane_bshape(&sb, &o->type.shape);
        snprintf(msg, sizeof msg,
                 "%zu op%s produce%s tensors of rank > 4 (first: %s '%s' -> %s); the Neural Engine works on 4-D "
                 "channels-first tensors and rank-5+ intermediates are reported to be rejected or to fall back. "
                 "Estimate: verify with Xcode's performance report or MLComputePlan.",
                 rank5.n, rank5.n == 1 ? "" : "s", rank5.n == 1 ? "s" : "", ane_s(rank5.v[0]->kind),
                 ane_s(rank5.v[0]->name), shape);
        lay_report(run->ctx, &rank5, msg, "also produces a rank > 4 tensor",
                   "fold singleton or batch-like axes so every intermediate is 4-D (B, C, H, W), e.g. split heads "
                   "into (B, C, 1, S) chunks instead of a (B, heads, S, 1, d) tensor");
    }
    if (padded.n) {
        const cml_value *o = tensor_out(padded.v[0]);
        ane_buf sb = {shape, sizeof shape, 0};
        ane_bshape(&sb, &o->type.shape);
        snprintf(msg, sizeof msg,
                 "%zu fp16 activation%s ha%s a last axis of at most %lld element%s (first: %s '%s' -> %s); the "
                 "Neural Engine pads the last axis to 64 bytes, so the largest takes about %.1f MiB instead of "
                 "%.1f MiB.",
                 padded.n, padded.n == 1 ? "" : "s", padded.n == 1 ? "s" : "ve", (long long)run->max_last_dim,
                 run->max_last_dim == 1 ? "" : "s", ane_s(padded.v[0]->kind), ane_s(padded.v[0]->name), shape,
                 worst_padded / 1048576.0, worst_raw / 1048576.0);
        lay_report(run->ctx, &padded, msg, "also has a tiny last axis",
                   "put a long axis (the sequence or the width) last: (B, C, 1, S) rather than (B, C, S, 1)");
    }
    if (bsc.n) {
        const cml_value *x = ane_input(bsc.v[0], "x");
        ane_buf sb = {shape, sizeof shape, 0};
        ane_bshape(&sb, &x->type.shape);
        snprintf(msg, sizeof msg,
                 "%zu linear op%s work%s on channels-last token tensors such as (B, S, C) (first: '%s' on %s); "
                 "Apple's reference Neural Engine "
                 "transformer uses the 4-D channels-first layout (B, C, 1, S) with 1x1 convolutions instead of "
                 "linear layers.",
                 bsc.n, bsc.n == 1 ? "" : "s", bsc.n == 1 ? "s" : "", ane_s(bsc.v[0]->name), shape);
        lay_report(run->ctx, &bsc, msg, "also a linear op on channels-last tokens",
                   "author the model in (B, C, 1, S) layout with nn.Conv2d(kernel_size=1) in place of nn.Linear "
                   "(apple/ml-ane-transformers)");
    }
    if (all.oom || rank5.oom || padded.oom || bsc.oom)
        cml_log(run->ctx, CML_WARNING, "function '%s': out of memory; findings may be incomplete", ane_s(fn->name));
    ane_ops_free(&rank5);
    ane_ops_free(&padded);
    ane_ops_free(&bsc);
    ane_ops_free(&all);
}

static int lay_check(const cml_model *model, cml_ctx *ctx) {
    lay_run run = {ctx, cml_option_int(ctx, "max_last_dim", 1), cml_option_int(ctx, "min_padded_bytes", 1048576)};
    if (run.max_last_dim < 1) run.max_last_dim = 1;
    if (run.max_last_dim > 32) run.max_last_dim = 32;   /* 32 fp16 = one 64-byte row: nothing is padded */
    ane_each_function(model, lay_function, &run);
    return CML_OK;
}

static const cml_option lay_opt_last = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "max_last_dim",
    .doc = "A last axis of at most this many fp16 elements counts as padded (1..32; 1 = singleton axes only).",
    .default_int = 1,
};
static const cml_option lay_opt_bytes = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "min_padded_bytes",
    .doc = "Report a tiny last axis only when the padded tensor takes at least this many bytes.",
    .default_int = 1048576,
};
static const cml_option *const lay_options[] = {&lay_opt_last, &lay_opt_bytes, NULL};
static const char *const lay_tags[] = {"ane", "performance", "layout", "opt-in", "estimate", NULL};

const cml_rule ane_rule_layout = {
    .size = sizeof(cml_rule),
    .id = "perf/ane-layout",
    .name = "AneLayout",
    .summary = "Tensor layouts that waste Neural Engine memory or speed (opt-in).",
    .description = "Reports, in fp16 ML Programs, ops on the Neural Engine that produce tensors of rank > 4, "
                   "large activations with a tiny last axis (padded to 64 bytes on the Neural Engine), and linear "
                   "layers over (B, S, C) tensors where Apple's reference uses (B, C, 1, S). Off by default.",
    .help_md =
        "## Why\n\n"
        "The Neural Engine works on 4-D channels-first tensors. Apple's article *Deploying Transformers on the "
        "Apple Neural Engine* (and its reference code, apple/ml-ane-transformers) recommends the (B, C, 1, S) "
        "layout, `nn.Conv2d` with 1x1 kernels in place of `nn.Linear`, and explains that the last axis of a "
        "Neural Engine buffer is padded to 64 bytes: a singleton last axis costs up to 32 times the memory at "
        "fp16. Community guides also report rank > 4 intermediates being rejected or falling back.\n\n"
        "The rule looks at fp16 ML Programs, at the ops the compute-unit estimate leaves on the Neural Engine, "
        "and reports once per function:\n\n"
        "- ops producing tensors of **rank > 4**;\n"
        "- **fp16 activations whose last axis** has at most `max_last_dim` elements (default 1) and that take at "
        "least `min_padded_bytes` (default 1 MiB) once padded;\n"
        "- **`linear` ops on channels-last token tensors** — (B, S, C), (S, B, C) or (S, C) with more than one "
        "token — the layout PyTorch transformers convert to.\n\n"
        "This is performance advice, not a defect, and the 64-byte figure comes from one Apple article; the rule "
        "is therefore **off by default**. Enable it with `\"enable\": [\"perf/ane-layout\"]` in the configuration "
        "or `--enable perf/ane-layout`.\n\n"
        "## Example\n\n"
        "```\n"
        "1 fp16 activation has a last axis of at most 1 element (first: conv 'conv_0' -> [1, 512, 1024, 1]); the "
        "Neural Engine pads the last axis to 64 bytes, so the largest takes about 32.0 MiB instead of 1.0 MiB.\n"
        "```\n\n"
        "## Fix\n\n"
        "Author the model for the Neural Engine: (B, C, 1, S) tensors, `nn.Conv2d(kernel_size=1)` instead of "
        "`nn.Linear`, attention split per head into 4-D chunks (apple/ml-ane-transformers, "
        "`ane_transformers/reference`), a long axis last. Check the result with Xcode's performance report.\n\n"
        "## Sources\n\n"
        "- machinelearning.apple.com/research/neural-engine-transformers (Apple)\n"
        "- apple/ml-ane-transformers\n"
        "- community Neural Engine guides on tensor rank (e.g. alvaro-videla.com/ane-book) — unverified\n",
    .help_uri = "https://machinelearning.apple.com/research/neural-engine-transformers",
    .default_level = CML_NOTE,
    .tags = lay_tags,
    .options = lay_options,
    .check = lay_check,
    .flags = CML_RULE_OPT_IN,
};

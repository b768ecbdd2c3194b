/* SPDX-License-Identifier: Apache-2.0 */
/* unsupported_op.c — rule ane/unsupported-op: ops the compute-unit estimate
 * places outside the Neural Engine. It does not decide placement itself: it
 * reads op->estimate (unit, tier, reason, source) that the host's pass
 * filled for every op, walks each function of each (sub-)model in program
 * order, and groups the off-NE ops by (kind, reason): one finding per group
 * at its first op with the other ops as related locations — a warning when
 * Apple says the op cannot use the NE (tier A), a note when it is only
 * community-observed (tier B), never an error. It also counts the Neural
 * Engine <-> CPU/GPU segments along the top-level program order (each switch
 * costs a copy); with one group the count is in that finding, with several
 * a summary finding per function gives the totals. fp32-typed ops of ML
 * Programs split the graph too and are counted, but reported by
 * ane/fp32-program and ane/mixed-precision, not here. Ops the pass marks
 * tier 0 (the `classify` at the end of a classifier) are not findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ane.h"

typedef struct uo_group {
    const char *kind, *reason, *source;
    char tier;
    ane_ops ops;
    size_t first;                    /* its first op's place among the ops grouped (off the NE, not for fp32) */
    size_t total;                    /* in the summary: the ops of every group that prints as this one */
    bool shown;                      /* ... false for such a group after the first */
} uo_group;

typedef struct uo_run {
    cml_ctx *ctx;
} uo_run;

/* SOURCE: core/ir/compute.c — the reason the pass gives an op that is off
 * the NE only because it is typed fp32 (rules-knowledge 4.1 P2, 5.5, 5.6):
 * "computes in fp32 inside an fp16 program (mixed precision)" / "computes in
 * fp32 (fp32-typed ML Program)". Kind-table facts keep their own reasons. */
static bool off_only_for_fp32(const cml_op *op) {
    return ane_is_fp32_island_op(op) && op->estimate.reason &&
           strncmp(op->estimate.reason, "computes in fp32", 16) == 0;
}

static bool is_off_ne(const cml_op *op) {
    return (op->estimate.unit == CML_UNIT_GPU || op->estimate.unit == CML_UNIT_CPU) && op->estimate.tier != 0;
}

/* strcmp with NULL first */
static int str_cmp(const char *a, const char *b) { return !a || !b ? (a != NULL) - (b != NULL) : strcmp(a, b); }

/* the ops off the NE, in program order (at), sorted by (kind, reason, at) to
 * group them in O(n log n): a hostile program has as many distinct reasons
 * (they name shapes) as ops */
typedef struct uo_key {
    const cml_op *op;
    size_t at;
} uo_key;
static int uo_key_cmp(const void *pa, const void *pb) {
    const uo_key *a = pa, *b = pb;
    int c = str_cmp(a->op->kind, b->op->kind);
    if (!c) c = str_cmp(a->op->estimate.reason, b->op->estimate.reason);
    return c ? c : (a->at > b->at) - (a->at < b->at);
}
/* groups in the order of their first op */
static int uo_group_cmp(const void *pa, const void *pb) {
    const uo_group *a = pa, *b = pb;
    return (a->first > b->first) - (a->first < b->first);
}
/* the summary's labels (a group's reason, else its kind), sorted to add up
 * the groups that print alike (one reason under several kinds) */
typedef struct uo_label {
    const char *text;
    size_t g;
} uo_label;
static int uo_label_cmp(const void *pa, const void *pb) {
    const uo_label *a = pa, *b = pb;
    int c = strcmp(a->text, b->text);
    return c ? c : (a->g > b->g) - (a->g < b->g);
}

static bool kind_in(const char *kind, const char *const *list) {
    for (; kind && *list; list++)
        if (strcmp(kind, *list) == 0) return true;
    return false;
}

/* Every op of the group reads only the function's inputs and constants,
 * and some input: it is already at the model's start. */
static bool uo_at_start(const uo_group *g) {
    bool reads_input = false;
    for (size_t k = 0; k < g->ops.n; k++) {
        const cml_op *op = g->ops.v[k];
        for (size_t i = 0; i < op->n_inputs; i++)
            for (size_t j = 0; j < op->inputs[i]->n_values; j++) {
                const cml_value *v = op->inputs[i]->values[j];
                if (!v) continue;
                if (v->is_function_input) reads_input = true;
                else if (v->producer && !v->producer->is_const) return false;
            }
    }
    return reads_input;
}

/* A one-line remedy by the family of the op (rules-knowledge 5.4 Fix). */
static const char *uo_fix(const uo_group *g) {
    static const char *const custom[] = {"custom", "custom_layer", NULL};
    static const char *const rnn[] = {"uniDirectionalLSTM", "biDirectionalLSTM", "gru", "simpleRecurrent",
                                      "lstm", "rnn", NULL};
    static const char *const lookup[] = {"gather", "gatherAlongAxis", "gatherND", "gather_along_axis", "gather_nd",
                                         "embedding", "embeddingND", "scatter", "scatterAlongAxis", "scatterND",
                                         "scatter_along_axis", "scatter_nd", NULL};
    if (kind_in(g->kind, custom))
        /* SOURCE: rules-knowledge 4.2 O1 — custom layers get only CPU/GPU
         * implementations; the rest of the model can still use the NE. */
        return "rebuild the custom layer from built-in layers/ops, or keep it at the model's start or end (or in "
               "its own pipeline stage) so the rest stays in one Neural Engine segment";
    if (kind_in(g->kind, rnn))
        /* SOURCE: rules-knowledge 4.2 O2 (aseemw, apple/coremltools#1780). */
        return "replace the recurrence with Neural Engine friendly ops (convolution or attention blocks), or "
               "split the model so only the recurrent part runs on the CPU";
    if (g->reason && (strstr(g->reason, "computed") || strstr(g->reason, "run time")))
        /* SOURCE: rules-knowledge 4.2 O3 (faqs.md: a static reshape turned
         * into a dynamic one leaves the NE). */
        return "make the shape static: convert with fixed or enumerated input shapes so shape, slice and fill "
               "parameters become constants";
    if (kind_in(g->kind, lookup))
        /* SOURCE: rules-knowledge 4.2 O4 (Apple's ANE distilbert keeps its
         * embedding lookups on the CPU) and O6. */
        return uo_at_start(g) ? "the lookups already read the model's inputs, at its start: do them in the app "
                                "(precomputed indices or embeddings), or accept this one CPU segment"
                              : "move lookups to the start of the model or into the app (precomputed indices or "
                                "embeddings), or accept one CPU segment for them";
    return "replace the op with a Neural Engine friendly equivalent (see hollance/neural-engine "
           "docs/model-surgery.md), move it to the model's start or end, or accept CPU/GPU for it";
}

static const char *tier_text(char tier) { return tier == 'A' ? "Apple" : "community-observed"; }

#define UO_ESTIMATE "Estimate: verify with Xcode's performance report or MLComputePlan."

/* The segment count in words. One segment with an op off the Neural Engine
 * is the whole graph off it: nothing is split. */
static const char *uo_segments(char *buf, size_t cap, long segments, bool capital) {
    if (segments == 1)
        snprintf(buf, cap, "%s whole graph is one CPU/GPU segment", capital ? "The" : "the");
    else
        snprintf(buf, cap, "%s graph splits into %ld Neural Engine / CPU-GPU segments", capital ? "The" : "the",
                 segments);
    return buf;
}

/* One finding for a group (segments >= 0: also name the function's segment
 * count, used when the group is the function's only one). */
static void uo_report_group(cml_ctx *ctx, const uo_group *g, long segments) {
    const cml_op *first = g->ops.v[0];
    char msg[1024], seg[96];
    ane_buf b = {msg, sizeof msg, 0};
    if (g->ops.n == 1)
        ane_bprintf(&b, "%s '%s' likely runs outside the Neural Engine: %s [%s: %s].", ane_s(g->kind),
                    ane_s(first->name), ane_s(g->reason), tier_text(g->tier), ane_s(g->source));
    else
        ane_bprintf(&b, "%zu %s ops likely run outside the Neural Engine: %s [%s: %s]; first '%s'.", g->ops.n,
                    ane_s(g->kind), ane_s(g->reason), tier_text(g->tier), ane_s(g->source), ane_s(first->name));
    if (segments >= 0) ane_bprintf(&b, " %s.", uo_segments(seg, sizeof seg, segments, true));
    ane_bprintf(&b, " " UO_ESTIMATE);
    cml_related rel[ANE_MAX_RELATED];
    size_t nr = 0;
    for (size_t i = 1; i < g->ops.n && nr < ANE_MAX_RELATED; i++)
        rel[nr++] = (cml_related){&g->ops.v[i]->loc, "also estimated off the Neural Engine"};
    cml_report(ctx, .level = g->tier == 'A' ? CML_WARNING : CML_NOTE, .message = msg, .fix = uo_fix(g),
               .at = &first->loc, .related = nr ? rel : NULL, .n_related = nr);
}

static void uo_function(const cml_model *m, const cml_function *fn, void *arg) {
    uo_run *run = arg;
    ane_ops all = {0};
    ane_collect(fn, &all);
    uo_group *groups = NULL;
    uo_key *keys = NULL;
    size_t n_groups = 0, n_keys = 0, cap = 0;
    size_t n_compute = 0, n_off = 0, n_fp32 = 0;
    long segments = 0;
    int prev = -1;
    bool oom = all.oom;
    for (size_t i = 0; i < all.n; i++) {
        const cml_op *op = all.v[i];
        if (!ane_is_compute(op)) continue;
        n_compute++;
        bool off = is_off_ne(op);
        /* SOURCE: rules-knowledge 5.4 "partitions" (O12, P14): every switch
         * between the NE and the CPU/GPU along the program costs a copy. Ops
         * of nested blocks run inside their (control-flow) parent. */
        if (op->parent == fn->block && (int)off != prev) {
            segments++;
            prev = off;
        }
        if (!off) continue;
        n_off++;
        if (off_only_for_fp32(op)) {
            n_fp32++;
            continue;
        }
        if (n_keys == cap) {
            size_t nc = cap ? cap * 2 : 16;
            uo_key *nk = realloc(keys, nc * sizeof *nk);
            if (!nk) {
                oom = true;
                break;
            }
            keys = nk;
            cap = nc;
        }
        keys[n_keys] = (uo_key){op, n_keys};
        n_keys++;
    }
    if (n_keys) qsort(keys, n_keys, sizeof *keys, uo_key_cmp);
    groups = n_keys ? calloc(n_keys, sizeof *groups) : NULL;
    if (n_keys && !groups) oom = true;
    for (size_t i = 0; groups && i < n_keys; i++) {
        const cml_op *op = keys[i].op;
        if (!n_groups || str_cmp(groups[n_groups - 1].kind, op->kind) ||
            str_cmp(groups[n_groups - 1].reason, op->estimate.reason))
            groups[n_groups++] = (uo_group){op->kind, op->estimate.reason, op->estimate.source, op->estimate.tier,
                                            {0}, keys[i].at, 0, true};
        uo_group *g = &groups[n_groups - 1];
        /* a group is as severe as its most severe op */
        if (op->estimate.tier == 'A') g->tier = 'A';
        ane_ops_push(&g->ops, op);
        if (g->ops.oom) oom = true;
    }
    free(keys);
    if (n_groups) qsort(groups, n_groups, sizeof *groups, uo_group_cmp);
    if (oom) cml_log(run->ctx, CML_WARNING, "function '%s': out of memory; findings may be incomplete",
                     ane_s(fn->name));
    for (size_t g = 0; g < n_groups; g++)
        if (groups[g].ops.n) uo_report_group(run->ctx, &groups[g], n_groups == 1 ? segments : -1);
    if (n_groups > 1) {
        char msg[1024];
        ane_buf b = {msg, sizeof msg, 0};
        bool warn = false;
        /* a NeuralNetwork has layers and one graph, not functions: the
         * finding is the model's */
        bool nn = m && m->type && strcmp(m->type, "mlProgram");
        if (nn)
            ane_bprintf(&b, "%zu of the network's %zu compute layers likely run outside the Neural Engine (", n_off,
                        n_compute);
        else
            ane_bprintf(&b, "function '%s': %zu of %zu compute ops likely run outside the Neural Engine (",
                        ane_s(fn->name), n_off, n_compute);
        cml_related rel[ANE_MAX_RELATED];
        size_t nr = 0;
        uo_label *lab = malloc(n_groups * sizeof *lab);
        for (size_t g = 0; g < n_groups; g++) {
            groups[g].total = groups[g].ops.n;
            if (lab) lab[g] = (uo_label){groups[g].reason ? groups[g].reason : ane_s(groups[g].kind), g};
        }
        if (lab) {
            /* one entry per printed label, at its first group, with the ops of all */
            qsort(lab, n_groups, sizeof *lab, uo_label_cmp);
            for (size_t i = 1, head = 0; i < n_groups; i++) {
                if (strcmp(lab[i].text, lab[head].text)) {
                    head = i;
                    continue;
                }
                groups[lab[head].g].total += groups[lab[i].g].ops.n;
                groups[lab[i].g].shown = false;
            }
            free(lab);
        }
        for (size_t g = 0, shown = 0; g < n_groups; g++) {
            if (groups[g].tier == 'A') warn = true;
            if (!groups[g].shown) continue;
            ane_bprintf(&b, "%s%s x%zu", shown++ ? ", " : "",
                        groups[g].reason ? groups[g].reason : ane_s(groups[g].kind), groups[g].total);
            if (nr < ANE_MAX_RELATED && groups[g].ops.n)
                rel[nr++] = (cml_related){&groups[g].ops.v[0]->loc, ane_s(groups[g].reason)};
        }
        if (n_fp32) ane_bprintf(&b, ", %zu fp32-typed op%s", n_fp32, n_fp32 == 1 ? "" : "s");
        char seg[96];
        ane_bprintf(&b, "); %s. " UO_ESTIMATE, uo_segments(seg, sizeof seg, segments, false));
        cml_report(run->ctx, .level = warn ? CML_WARNING : CML_NOTE, .message = msg,
                   .fix = "keep the ops that leave the Neural Engine together, at the model's start or end, so the "
                          "graph switches units as rarely as possible; see the per-op findings",
                   .at = nn ? &m->loc : fn->loc.artifact ? &fn->loc : &groups[0].ops.v[0]->loc, .related = rel,
                   .n_related = nr);
    }
    for (size_t g = 0; g < n_groups; g++) ane_ops_free(&groups[g].ops);
    free(groups);
    ane_ops_free(&all);
}

static int uo_check(const cml_model *model, cml_ctx *ctx) {
    uo_run run = {ctx};
    ane_each_function(model, uo_function, &run);
    return CML_OK;
}

static const char *const uo_tags[] = {"ane", "performance", "estimate", NULL};

const cml_rule ane_rule_unsupported_op = {
    .size = sizeof(cml_rule),
    .id = "ane/unsupported-op",
    .name = "AneUnsupportedOp",
    .summary = "Ops that likely run outside the Neural Engine, and how often the graph switches units.",
    .description = "Reports the ops that the compute-unit estimate places on the CPU or GPU instead of the "
                   "Neural Engine, grouped by kind and reason (a warning when Apple says the op cannot use the "
                   "Neural Engine, a note when it is community-observed), and the number of Neural Engine / "
                   "CPU-GPU segments the graph splits into. An estimate: placement is decided on the device.",
    .help_md =
        "## Why\n\n"
        "Core ML \"dynamically partitions the network graph into sections for the Neural Engine (NE), GPU, and "
        "CPU\" (coremltools, *Typed Execution*). An op the Neural Engine cannot run sends its part of the graph "
        "to the CPU or GPU, and every switch between units copies the tensors in between — a model with a few "
        "such ops in the middle can end up slower than the same model on the GPU alone.\n\n"
        "Apple keeps no list of Neural Engine ops (\"it changes based on device generation, OS version, tensor "
        "sizes\", apple/coremltools#1780), so this rule reports the estimate of coreml-lint's compute-unit "
        "pass:\n\n"
        "- **warning** (stated by Apple or an Apple engineer): custom layers (apple/coremltools#1278), RNN / LSTM "
        "/ GRU layers (#1780), layers whose shape is computed at run time (`reshapeDynamic`, `reshape` fed by "
        "`shape`, ...; coremltools FAQ);\n"
        "- **note** (community-observed, possibly device-dependent): gather / scatter / embedding lookups, "
        "`topk` / `argsort`, broadcastable and ND NeuralNetwork layers, dilated convolutions, pooling kernels "
        "> 13 or strides > 2, upsampling > 2x, kernel widths > 13, argmax over > 2048 elements, control flow, "
        "int32 compute (hollance/neural-engine, rf-detr#1495, ane-guide).\n\n"
        "One finding per function and (kind, reason), at the first op, with the others as related locations; "
        "the message gives the number of Neural Engine / CPU-GPU segments along the program. With several "
        "groups a summary finding per function gives the totals. fp32-typed ops of an ML Program also leave "
        "the Neural Engine; they are counted in the segments but reported by `ane/fp32-program` and "
        "`ane/mixed-precision`.\n\n"
        "## Example\n\n"
        "```\n"
        "uniDirectionalLSTM 'lstm1' likely runs outside the Neural Engine: LSTM [Apple: apple/coremltools#1780 "
        "(aseemw)]. The graph splits into 3 Neural Engine / CPU-GPU segments.\n"
        "```\n\n"
        "## Fix\n\n"
        "- replace the op with a Neural Engine friendly equivalent: a static reshape instead of a dynamic one "
        "(convert with fixed or enumerated shapes), convolutions or attention instead of RNNs, precomputed "
        "indices instead of in-model lookups;\n"
        "- or move the ops to the model's start or end, or into a separate pipeline stage, so the graph switches "
        "units once instead of several times;\n"
        "- or accept the CPU/GPU for them. Confirm with Xcode's performance report or `MLComputePlan` "
        "(iOS 17.4 / macOS 14.4), which report the real unit of every op.\n\n"
        "If the model is not meant for the Neural Engine, disable this rule.\n\n"
        "## Sources\n\n"
        "- apple/coremltools `docs-guides/source/typed-execution.md`; issues #1278, #1761, #1780 (Apple "
        "engineers); `docs-guides/source/faqs.md` (dynamic layers)\n"
        "- hollance/neural-engine `docs/unsupported-layers.md`, `docs/model-surgery.md` (community)\n"
        "- developer.apple.com/documentation/coreml/mlcomputeplan-1w21n\n",
    .help_uri = "https://github.com/hollance/neural-engine/blob/master/docs/unsupported-layers.md",
    .default_level = CML_WARNING,
    .tags = uo_tags,
    .check = uo_check,
};

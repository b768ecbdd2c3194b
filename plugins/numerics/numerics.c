/* SPDX-License-Identifier: Apache-2.0 */
/* numerics.c — bundled plugin "numerics" with rule numerics/fp16-overflow:
 * weight values that break float16 compute. It reads the host's counts over
 * every fp16, bf16 and fp32 constant of the model tree (cml_weight_stats_of:
 * one pass per weight, shared with other rules): NaN, +-inf, fp16 values
 * saturated at +-65504, and fp32 values beyond the fp16 range. It reports, per weight: NaN (error); infinities (warning)
 * unless the constant only feeds masking patterns (select, band_part, or an
 * add/sub whose result goes into softmax), where -inf is intentional; fp32
 * values with |v| > 65504 when the constant feeds fp16 compute — an ML
 * Program op typed fp16 (directly, through constexpr ops or a cast to fp16)
 * or any NeuralNetwork layer, which runs in fp16 on the GPU and Neural Engine
 * (warning); fp16 values exactly +-65504, the trace of coremltools
 * saturating an overflowing fp32 constant (note). fp32 constants feeding
 * fp32 ops in an fp16 program are ane/mixed-precision's business. Knowledge:
 * rules-knowledge §4.1 P1, P5-P7 and §5.17. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml-lint/hash.h"
#include "coreml-lint/ir.h"
#include "coreml-lint/plugin.h"
#include "coreml-lint/walk.h"

#define NM_MAX_DEPTH 32
/* SOURCE: IEEE 754 binary16 largest finite value; coremltools
 * mil/passes/defs/quantization.py:395-452 (fp16_overflow uses 65504). */
#define NM_FP16_MAX 65504.0

typedef struct nm_stats {
    uint64_t n, nan, pinf, ninf, sat, over;
    double maxabs;              /* largest finite |v| */
} nm_stats;

/* ---- the counts ----------------------------------------------------------------- */

/* 0, or -1 when the stored bytes do not match the type (a broken blob the
 * load/... rules report) or cannot be read: the weight is skipped. The
 * host counts every value once per weight (cml_host.weight_stats), in one
 * pass that compress/pruning-sparsity's zero count shares. */
static int nm_scan(cml_ctx *ctx, const cml_weight *w, nm_stats *s) {
    memset(s, 0, sizeof *s);
    unsigned es = cml_dtype_bits(w->dtype) / 8;
    uint64_t n = w->n_elements;
    if (!es || !n) return 0;
    if (w->nbytes != n * es) return -1;
    cml_weight_stats st;
    if (cml_weight_stats_of(ctx, w, &st) != 0) return -1;
    s->n = st.n;
    s->nan = st.nan;
    s->pinf = st.pinf;
    s->ninf = st.ninf;
    s->sat = w->dtype == CML_DT_FP16 ? st.fp16_max : 0;   /* +-65504: coremltools' saturation */
    s->over = w->dtype == CML_DT_FP16 ? 0 : st.over_fp16;
    s->maxabs = st.maxabs;
    return 0;
}

/* ---- where a weight is used ---------------------------------------------------- */

typedef struct nm_owner {
    const cml_op *op;          /* const / constexpr op, NN layer, or the op a literal is bound to */
    const cml_value *v;        /* the value holding the data */
    bool literal;              /* bound directly as an op input / attribute */
} nm_owner;

/* Where each weight of a model is used, built once per model on its first
 * report: the first op in program order that holds it (as an output, a
 * literal input or an attribute). Walking every op for each reported
 * weight was quadratic: 40,000 NaN constants took 15 s. */
typedef struct nm_own_ent {
    const cml_weight *w;
    size_t seq;                /* the walk's order: the first one wins */
    nm_owner o;
} nm_own_ent;

typedef struct nm_owners {
    nm_own_ent *v;
    size_t n, cap;
    bool built;
} nm_owners;

static int nm_own_cmp(const void *a, const void *b) {
    const nm_own_ent *x = a, *y = b;
    uintptr_t p = (uintptr_t)x->w, q = (uintptr_t)y->w;
    if (p != q) return (p > q) - (p < q);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void nm_own_add(nm_owners *t, const cml_weight *w, nm_owner o) {
    if (!w || t->n == SIZE_MAX) return;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        nm_own_ent *nv = realloc(t->v, nc * sizeof *nv);
        if (!nv) {
            t->n = SIZE_MAX;   /* out of memory: no owners known */
            return;
        }
        t->v = nv;
        t->cap = nc;
    }
    t->v[t->n] = (nm_own_ent){w, t->n, o};
    t->n++;
}

static void nm_owners_build(nm_owners *t, const cml_model *m) {
    t->built = true;
    cml_op_iter it;
    for (const cml_op *op = cml_ops_first(&it, m, NULL); op; op = cml_ops_next(&it)) {
        for (size_t j = 0; j < op->n_outputs; j++)
            if (op->outputs[j] && op->outputs[j]->weight)
                nm_own_add(t, op->outputs[j]->weight, (nm_owner){op, op->outputs[j], false});
        for (size_t j = 0; j < op->n_inputs; j++) {
            const cml_arg *a = op->inputs[j];
            for (size_t k = 0; a && k < a->n_values; k++)
                if (a->values[k] && a->values[k]->weight && !a->values[k]->producer)
                    nm_own_add(t, a->values[k]->weight, (nm_owner){op, a->values[k], true});
        }
        for (size_t j = 0; j < op->n_attrs; j++) {
            const cml_attr *a = op->attrs[j];
            if (a && a->kind == CML_ATTR_VALUE && a->value && a->value->weight)
                nm_own_add(t, a->value->weight, (nm_owner){op, a->value, true});
        }
    }
    if (t->n == SIZE_MAX) {
        free(t->v);
        t->v = NULL;
        t->n = 0;
    }
    if (t->n) qsort(t->v, t->n, sizeof *t->v, nm_own_cmp);
}

static bool nm_find_owner(nm_owners *t, const cml_model *m, const cml_weight *w, nm_owner *o) {
    if (!t->built) nm_owners_build(t, m);
    size_t lo = 0, hi = t->n;   /* the first entry of w: lowest seq */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)t->v[mid].w < (uintptr_t)w) lo = mid + 1;
        else hi = mid;
    }
    if (lo >= t->n || t->v[lo].w != w) return false;
    *o = t->v[lo].o;
    return true;
}

/* The dtype an op computes in: its first float tensor output. */
static cml_dtype nm_compute_dtype(const cml_op *op) {
    for (size_t i = 0; i < op->n_outputs; i++) {
        const cml_value *v = op->outputs[i];
        if (v && v->type.kind == CML_TYPE_TENSOR && cml_dtype_is_float(v->type.dtype)) return v->type.dtype;
    }
    return CML_DT_UNKNOWN;
}

static bool nm_is_kind(const cml_op *op, const char *k) { return op && op->kind && !strcmp(op->kind, k); }

/* The ops a walk below has entered. A value lists an op once per input
 * that binds it, and constexpr ops can bind one value many times: a walk
 * that did not remember took K^depth steps (16 layers of constexpr ops
 * binding the previous value 4 times: 75 s, an adversarial pass). Each op
 * is now entered once per walk. Without memory the walk stops, answering
 * "not reached" (no fp16 finding is made up) and "not only masks" (an
 * infinity is then reported as outside a mask). An op first entered near
 * NM_MAX_DEPTH is not entered again by a shorter path: only a hostile graph
 * that deep can miss a finding so. */
typedef struct nm_walk {
    const cml_op **v;
    size_t cap, n;
    bool oom;
} nm_walk;

/* true when op is entered now for the first time */
static bool nm_walk_enter(nm_walk *w, const cml_op *op) {
    if (w->oom) return false;
    if (2 * (w->n + 1) > w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        const cml_op **v = calloc(cap, sizeof *v);
        if (!v) {
            w->oom = true;
            return false;
        }
        for (size_t i = 0; i < w->cap; i++)
            if (w->v[i]) {
                size_t k = (size_t)(((uintptr_t)w->v[i] >> 4) * 0x9E3779B97F4A7C15ull) & (cap - 1);
                while (v[k]) k = (k + 1) & (cap - 1);
                v[k] = w->v[i];
            }
        free(w->v);
        w->v = v;
        w->cap = cap;
    }
    size_t k = (size_t)(((uintptr_t)op >> 4) * 0x9E3779B97F4A7C15ull) & (w->cap - 1);
    for (; w->v[k]; k = (k + 1) & (w->cap - 1))
        if (w->v[k] == op) return false;
    w->v[k] = op;
    w->n++;
    return true;
}

/* Does data reaching op end up in fp16 compute? Through constexpr ops
 * (decompression) the data flows on to their consumers. The first fp16
 * compute op is stored in *at. An op entered before answered false (a
 * true ends the walk). */
static bool nm_op_fp16(nm_walk *w, const cml_op *op, const cml_op **at, int depth);

static bool nm_value_fp16(nm_walk *w, const cml_value *v, const cml_op **at, int depth) {
    if (!v || depth > NM_MAX_DEPTH) return false;
    for (size_t i = 0; i < v->n_consumers; i++)
        if (nm_op_fp16(w, v->consumers[i], at, depth + 1)) return true;
    return false;
}

static bool nm_op_fp16(nm_walk *w, const cml_op *op, const cml_op **at, int depth) {
    if (!op || depth > NM_MAX_DEPTH || !nm_walk_enter(w, op)) return false;
    if (op->is_const) { /* constexpr: follow the decompressed value */
        for (size_t j = 0; j < op->n_outputs; j++)
            if (nm_value_fp16(w, op->outputs[j], at, depth + 1)) return true;
        return false;
    }
    /* a cast to fp16, or an op typed fp16: the value is used in fp16.
     * SOURCE: coremltools typed-execution.md (ML Program types are the
     * minimum precision; fp16-typed ops compute in fp16 on GPU/NE). */
    if (nm_compute_dtype(op) == CML_DT_FP16) {
        *at = op;
        return true;
    }
    return false;
}

/* Only masking patterns consume it: select, band_part, or an add/sub whose
 * result feeds softmax (attention masks use -inf / fp16 min on purpose).
 * An op entered before answered true (a false ends the walk), unless the
 * walk ran out of memory.
 * SOURCE: coremltools mil/passes/defs/quantization.py docstring on attention
 * masks (rules-knowledge §5.17). */
static bool nm_op_mask(nm_walk *w, const cml_op *op, int depth);

static bool nm_value_mask(nm_walk *w, const cml_value *v, int depth) {
    if (!v || !v->n_consumers || depth > NM_MAX_DEPTH) return false;
    for (size_t i = 0; i < v->n_consumers; i++)
        if (!nm_op_mask(w, v->consumers[i], depth + 1)) return false;
    return true;
}

static bool nm_op_mask(nm_walk *w, const cml_op *op, int depth) {
    if (!op || depth > NM_MAX_DEPTH) return false;
    if (!nm_walk_enter(w, op)) return !w->oom;
    if (op->is_const) {
        for (size_t j = 0; j < op->n_outputs; j++)
            if (!nm_value_mask(w, op->outputs[j], depth + 1)) return false;
        return op->n_outputs > 0;
    }
    if (nm_is_kind(op, "select") || nm_is_kind(op, "band_part")) return true;
    if (nm_is_kind(op, "add") || nm_is_kind(op, "sub")) {
        if (!op->n_outputs || !op->outputs[0] || !op->outputs[0]->n_consumers) return false;
        const cml_value *o = op->outputs[0];
        for (size_t i = 0; i < o->n_consumers; i++)
            if (!nm_is_kind(o->consumers[i], "softmax")) return false;
        return true;
    }
    return false;
}

static bool nm_owner_mask(const nm_owner *o) {
    nm_walk w = {0};
    bool r = o->literal ? nm_op_mask(&w, o->op, 0) : nm_value_mask(&w, o->v, 0);
    free(w.v);
    return r && !w.oom;
}

static bool nm_owner_fp16(const nm_owner *o, const cml_op **at) {
    if (o->op->is_nn_layer) {
        *at = o->op;
        return true;
    }
    nm_walk w = {0};
    bool r = o->literal ? nm_op_fp16(&w, o->op, at, 0) : nm_value_fp16(&w, o->v, at, 0);
    free(w.v);
    return r;
}

/* ---- dedupe of blobs shared by several functions ------------------------------- */

typedef struct nm_seen {
    const void **file;
    uint64_t *off;
    size_t cap;
} nm_seen;

/* true when (file, off) was already seen; false (and remembered) otherwise */
static bool nm_seen_test(nm_seen *s, const void *file, uint64_t off) {
    if (!s->cap) return false;
    /* offsets are the model's: keyed, so none can be chosen to share a slot */
    size_t h = (size_t)cml_hash_u64x2((uint64_t)(uintptr_t)file, off);
    for (size_t i = 0; i < s->cap; i++) {
        size_t k = (h + i) & (s->cap - 1);
        if (!s->file[k]) {
            s->file[k] = file;
            s->off[k] = off;
            return false;
        }
        if (s->file[k] == file && s->off[k] == off) return true;
    }
    return false;
}

/* ---- the rule ------------------------------------------------------------------- */

static void nm_report(cml_ctx *ctx, const cml_model *m, nm_owners *owners, const cml_weight *w, const nm_stats *s) {
    nm_owner o = {NULL, NULL, false};
    bool found = nm_find_owner(owners, m, w, &o);
    bool nn = found && o.op->is_nn_layer;
    bool mask = found && !nn && nm_owner_mask(&o);
    const cml_op *fp16_at = NULL;
    bool fp16 = found && nm_owner_fp16(&o, &fp16_at);
    uint64_t inf = s->pinf + s->ninf;

    bool r_nan = s->nan > 0;
    bool r_inf = inf > 0 && !mask;
    bool r_over = w->dtype != CML_DT_FP16 && s->over > 0 && fp16;
    bool r_sat = w->dtype == CML_DT_FP16 && s->sat > 0 && !mask;
    if (!r_nan && !r_inf && !r_over && !r_sat) return;

    cml_level lv = r_nan ? CML_ERROR : (r_inf || r_over) ? CML_WARNING : CML_NOTE;
    /* A NeuralNetwork batchnorm's running statistics are no tensor the
     * layer computes on: what it applies is gamma / sqrt(variance + eps)
     * (NeuralNetwork.proto BatchnormLayerParams), and whether Core ML keeps
     * the statistics themselves in fp16 on the GPU or Neural Engine is not
     * documented. Only an fp16 copy of the weights (coremltools'
     * quantize_weights to 16 bits) certainly turns them to inf: a note that
     * says so, not a warning about the running model. */
    const char *wl = w->loc.logical ? w->loc.logical : "";
    size_t wn = strlen(wl);
    bool bn_stat = nn && o.op->kind && !strcmp(o.op->kind, "batchnorm") && !r_nan && !r_inf &&
                   ((wn > 9 && !strcmp(wl + wn - 9, ":variance")) || (wn > 5 && !strcmp(wl + wn - 5, ":mean")));
    if (bn_stat) lv = CML_NOTE;
    char use[320] = "", parts[900] = "", msg[1400], sh[96];
    const char *name = w->loc.logical ? w->loc.logical : found && o.op->name ? o.op->name : "?";
    {
        size_t k = (size_t)snprintf(sh, sizeof sh, "[");
        for (int32_t i = 0; w->shape.dims && i < w->shape.rank && k < sizeof sh; i++)
            k += (size_t)snprintf(sh + k, sizeof sh - k, "%s%lld", i ? ", " : "", (long long)w->shape.dims[i]);
        if (k < sizeof sh) snprintf(sh + k, sizeof sh - k, "]");
    }
    if (nn) snprintf(use, sizeof use, " of %s layer '%s'", o.op->kind ? o.op->kind : "?", o.op->name ? o.op->name : "?");
    else if (fp16_at)
        snprintf(use, sizeof use, " feeding fp16 %s '%s'", fp16_at->kind ? fp16_at->kind : "op",
                 fp16_at->name ? fp16_at->name : "?");
    size_t k = 0;
    if (r_nan)
        k += (size_t)snprintf(parts + k, sizeof parts - k,
                              "%llu NaN value%s: every output it reaches becomes NaN",
                              (unsigned long long)s->nan, s->nan == 1 ? "" : "s");
    if (r_inf && k < sizeof parts)
        k += (size_t)snprintf(parts + k, sizeof parts - k,
                              "%s%llu infinite value%s (+inf %llu, -inf %llu) outside any masking pattern: "
                              "results overflow to inf and NaN",
                              k ? "; " : "", (unsigned long long)inf, inf == 1 ? "" : "s",
                              (unsigned long long)s->pinf, (unsigned long long)s->ninf);
    /* SOURCE: coremltools typed-execution.md ("The GPU and NE use float 16
     * precision"); aseemw in apple/coremltools#257 (values above 2^16 give NaN
     * on the GPU, fp16); quantization.py:395-452 keeps such ops in fp32
     * (rules-knowledge §4.1 P1, P5, P7). */
    if (r_over && k < sizeof parts)
        k += (size_t)snprintf(parts + k, sizeof parts - k,
                              "%s%llu value%s beyond the fp16 range (max |w| = %.6g > 65504) %s: they become "
                              "inf in fp16",
                              k ? "; " : "", (unsigned long long)s->over, s->over == 1 ? "" : "s", s->maxabs,
                              bn_stat ? "in a batchnorm statistic: the layer applies gamma / sqrt(variance + "
                                        "eps), not the statistic itself, but an fp16 copy of the weights (coremltools "
                                        "quantize_weights to 16 bits) stores inf; whether Core ML keeps the "
                                        "statistics in fp16 on the GPU or Neural Engine is not documented"
                              : nn ? "and NeuralNetwork layers compute in fp16 on the GPU and Neural Engine "
                                     "(coremltools typed-execution.md)"
                                   : "and the constant feeds fp16 compute");
    /* SOURCE: coremltools mil/passes/defs/quantization.py:478-525
     * (_check_overflow_to_inf: finite fp32 values that overflow fp16 are
     * saturated to +-65504), rules-knowledge §4.1 P6. */
    if (r_sat && k < sizeof parts)
        snprintf(parts + k, sizeof parts - k,
                 "%s%llu value%s exactly +-65504, the fp16 maximum: coremltools saturates fp32 constants that "
                 "overflow fp16 to +-65504, so the original values were probably larger",
                 k ? "; " : "", (unsigned long long)s->sat, s->sat == 1 ? "" : "s");
    snprintf(msg, sizeof msg, "%s weight '%s' %s%s: %s (of %llu values)", cml_dtype_name(w->dtype), name, sh, use,
             parts, (unsigned long long)s->n);
    const char *fix = bn_stat ? "do not convert this model's weights to fp16 as they are; fold the batchnorm into the "
                                "preceding convolution before converting"
                      : r_nan ? "re-export from a checkpoint without NaN weights (check training and conversion)"
                      : r_inf || r_over
                          ? "keep the consuming op in fp32 with ct.transform.FP16ComputePrecision(op_selector=...), "
                            "rescale the weights, or replace infinities by large finite values (-1e4 for masks)"
                          : "check that the saturated weights do not change the result; keep the op in fp32 with "
                            "ct.transform.FP16ComputePrecision(op_selector=...) if they do";
    char rel_msg[320];
    cml_related rel[1];
    size_t n_rel = 0;
    const cml_op *rel_op = fp16_at ? fp16_at : found ? o.op : NULL;
    if (rel_op) {
        snprintf(rel_msg, sizeof rel_msg, "%s %s '%s'", fp16_at ? "fp16 compute op" : "used by",
                 rel_op->kind ? rel_op->kind : "op", rel_op->name ? rel_op->name : "?");
        rel[0].at = &rel_op->loc;
        rel[0].message = rel_msg;
        n_rel = 1;
    }
    cml_report(ctx, .level = lv, .message = msg, .fix = fix, .at = &w->loc, .related = n_rel ? rel : NULL,
               .n_related = n_rel);
}

static void nm_model(const cml_model *m, cml_ctx *ctx) {
    nm_seen seen = {NULL, NULL, 0};
    nm_owners owners = {NULL, 0, 0, false};
    size_t cap = 16;
    while (cap < 2 * m->n_weights) cap *= 2;
    seen.file = calloc(cap, sizeof *seen.file);
    seen.off = calloc(cap, sizeof *seen.off);
    if (seen.file && seen.off) seen.cap = cap;
    for (size_t i = 0; i < m->n_weights; i++) {
        const cml_weight *w = m->weights[i];
        if (!w || (w->dtype != CML_DT_FP16 && w->dtype != CML_DT_FP32 && w->dtype != CML_DT_BF16)) continue;
        if (w->quant_bits) continue; /* NN quantized codes, not floats */
        if (w->storage == CML_STORE_BLOB && nm_seen_test(&seen, w->file, w->blob_offset)) continue;
        nm_stats s;
        if (nm_scan(ctx, w, &s) != 0) continue; /* unreadable: load/weight-blob's finding */
        if (s.nan || s.pinf || s.ninf || s.sat || s.over) nm_report(ctx, m, &owners, w, &s);
    }
    free(owners.v);
    free(seen.file);
    free(seen.off);
}

static int nm_check(const cml_model *model, cml_ctx *ctx) {
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, model); m; m = cml_models_next(&mi)) nm_model(m, ctx);
    return CML_OK;
}

static const char *const nm_tags[] = {"numerics", "precision", "fp16", NULL};

static const cml_rule nm_rule = {
    .size = sizeof(cml_rule),
    .id = "numerics/fp16-overflow",
    .name = "Fp16Overflow",
    .summary = "Weights that overflow or poison float16 compute: NaN, infinities, fp32 values beyond "
               "65504 feeding fp16 ops, fp16 values saturated at 65504.",
    .description = "Streams every float constant of the model and reports NaN (error), infinities outside "
                   "masking patterns (warning), fp32 values with |v| > 65504 that feed fp16 compute — an "
                   "fp16-typed ML Program op or any NeuralNetwork layer (warning) — and fp16 values exactly "
                   "+-65504, left by coremltools' saturation of overflowing constants (note).",
    .help_md =
        "## Why\n\n"
        "float16 holds finite values up to 65504. \"The GPU and NE use float 16 precision\" (coremltools "
        "*Typed Execution*): a NeuralNetwork layer runs in fp16 there, and an fp16-typed ML Program op "
        "computes in fp16. A weight beyond 65504 becomes inf, and inf turns into NaN downstream "
        "(aseemw in apple/coremltools#257). coremltools itself keeps an op in fp32 when one of its fp32 "
        "constants exceeds 65504, and when it casts constants to fp16 it saturates overflowing values to "
        "+-65504 — so a weight that is exactly +-65504 was probably larger in the source model "
        "(`mil/passes/defs/quantization.py`).\n\n"
        "| finding | level |\n|---|---|\n"
        "| NaN in any float weight | error |\n"
        "| +-inf, unless the constant only feeds `select`, `band_part` or an `add`/`sub` into `softmax` "
        "(attention masks) | warning |\n"
        "| fp32 constant with |v| > 65504 that feeds an fp16-typed op (directly, through constexpr "
        "decompression or a cast to fp16) or a NeuralNetwork layer | warning |\n"
        "| fp16 values exactly +-65504 outside masking patterns | note |\n\n"
        "fp32 constants that feed fp32 ops inside an fp16 program are left to `ane/mixed-precision`. "
        "Weights are read in 256 KiB chunks through the host's bounded reader.\n\n"
        "## Fix\n\n"
        "Keep the affected op in fp32:\n\n"
        "```python\n"
        "ct.convert(..., compute_precision=ct.transform.FP16ComputePrecision(\n"
        "    op_selector=lambda op: op.name not in {\"the_op\"}))\n"
        "```\n\n"
        "or rescale the weights (fold a scale into the next op); use large finite mask values "
        "(-1e4) instead of -inf where the mask is not a masking pattern; re-export weights that hold NaN.\n\n"
        "## Sources\n\n"
        "- apple/coremltools `docs-guides/source/typed-execution.md`; "
        "`coremltools/converters/mil/mil/passes/defs/quantization.py` (fp16_overflow, "
        "_check_overflow_to_inf)\n"
        "- apple/coremltools#257 (NaN on GPU from fp16 range)\n",
    .help_uri = "https://apple.github.io/coremltools/docs-guides/source/typed-execution.html",
    .default_level = CML_WARNING,
    .tags = nm_tags,
    .check = nm_check,
};

static const cml_rule *const nm_rules[] = {&nm_rule, NULL};

static const cml_plugin nm_plugin = {
    .size = sizeof(cml_plugin),
    .abi = CML_ABI_VERSION,
    .name = "numerics",
    .version = CML_VERSION_STRING,
    .spdx_license = "Apache-2.0",
    .rules = nm_rules,
};

CML_PLUGIN_DEFINE(nm_plugin)

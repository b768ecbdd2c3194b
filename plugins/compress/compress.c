/* SPDX-License-Identifier: Apache-2.0 */
/* compress.c — bundled plugin "compress" with four rules about how a model's
 * weights are compressed: compress/palettization (LUT bits, one LUT for a big
 * tensor, tiny LUT groups), compress/quantization-granularity (int4 with one
 * scale, 8-bit per-tensor, per-block scales on the Neural Engine, W8A8 on
 * older chips), compress/pruning-sparsity (sparsity against the project's
 * configurable bands, sparse storage that saves little, dense weights full of
 * zeros) and compress/uncompressed-weights (a large model with no compression,
 * or large tensors left dense next to compressed ones). Every rule reads the
 * compression facts the loader derives from constexpr_* chains and NN
 * WeightParams (ir.h cml_compression on the value a compute op consumes),
 * groups weights that share one problem and reports once per group at the
 * first weight, listing the others as related locations, with the numbers
 * (bits, group/block size, sparsity, bytes) in the message. Only the dense
 * zero count looks at weight values, through the host's per-weight counts
 * (cml_weight_stats_of).
 * Thresholds that are house policy are options. Knowledge: rules-knowledge
 * §3.1-3.4 and §5.9-5.12. Built like a third-party plugin: SDK headers only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml-lint/ir.h"
#include "coreml-lint/coreml_facts.h"
#include "coreml-lint/plugin.h"
#include "coreml-lint/walk.h"

#define CW_MAX_RELATED 64        /* the host keeps at most 64 */
#define CW_EPS 0.0005            /* sparsity bands compared at 0.05 % resolution */

/* SOURCE: coremltools optimize/coreml/_config.py:227 (weight_threshold = 2048):
 * coremltools compresses only weights with MORE than this many elements, so
 * smaller dense constants next to compressed ones are normal (§3). */
#define CW_WEIGHT_THRESHOLD 2048

/* ======================================================================== */
/* items: one compressed (or dense) weight as a compute op sees it           */
/* ======================================================================== */

typedef struct cw_item {
    const cml_op *op;           /* constexpr op (ML Program), const op, or NN layer */
    const cml_value *v;         /* the value with the facts / the data */
    const cml_compression *c;   /* NULL for dense items */
    const cml_weight *w;        /* dense items: the stored data */
    const cml_op *consumer;     /* first compute op using it (ML Program) */
    const cml_loc *at;
} cw_item;

typedef struct cw_vec {
    cw_item *v;
    size_t n, cap;
    bool oom;
} cw_vec;

static void cw_push(cw_vec *vec, const cw_item *it) {
    if (vec->oom) return;
    if (vec->n == vec->cap) {
        size_t nc = vec->cap ? vec->cap * 2 : 64;
        cw_item *p = realloc(vec->v, nc * sizeof *p);
        if (!p) {
            vec->oom = true;
            return;
        }
        vec->v = p;
        vec->cap = nc;
    }
    vec->v[vec->n++] = *it;
}

static const cml_op *cw_first_compute_consumer(const cml_value *v) {
    for (size_t i = 0; i < v->n_consumers; i++)
        if (v->consumers[i] && !v->consumers[i]->is_const) return v->consumers[i];
    return NULL;
}

/* The last value of a constexpr chain: consumed by a compute op (or by
 * nothing), not only by another constexpr op. */
static bool cw_is_chain_end(const cml_value *v) {
    if (!v || !v->compression) return false;
    return v->n_consumers == 0 || cw_first_compute_consumer(v) != NULL;
}

static bool cw_is_compressed(const cml_compression *c) {
    return c && (c->palettized || c->quantized || c->sparse);
}

static void cw_collect(const cml_model *m, cw_vec *out) {
    cml_op_iter iter;
    for (const cml_op *op = cml_ops_first(&iter, m, NULL); op; op = cml_ops_next(&iter)) {
        if (op->is_const && op->kind && !strncmp(op->kind, "constexpr_", 10)) {
            for (size_t j = 0; j < op->n_outputs; j++) {
                const cml_value *v = op->outputs[j];
                if (!cw_is_chain_end(v)) continue;
                cw_item it = {op, v, v->compression, NULL, cw_first_compute_consumer(v), &op->loc};
                cw_push(out, &it);
                break; /* one summary per constexpr op */
            }
        }
        if (op->is_nn_layer) {
            for (size_t j = 0; j < op->n_attrs; j++) {
                const cml_attr *a = op->attrs[j];
                if (!a || a->kind != CML_ATTR_VALUE || !a->value || !a->value->compression) continue;
                const cml_value *v = a->value;
                cw_item it = {op, v, v->compression, v->weight, NULL, v->weight ? &v->weight->loc : &op->loc};
                cw_push(out, &it);
            }
        }
    }
}

static bool cw_float_dtype(cml_dtype dt) {
    return dt == CML_DT_FP16 || dt == CML_DT_FP32 || dt == CML_DT_BF16;
}

/* Dense float weights with more than `threshold` elements that a compute op
 * uses: ML Program const outputs, NN WeightParams that are neither quantized
 * nor palettized (fp16 storage counts as dense). */
static void cw_collect_dense_ops(const cml_model *m, int64_t threshold, cw_vec *out) {
    cml_op_iter iter;
    for (const cml_op *op = cml_ops_first(&iter, m, NULL); op; op = cml_ops_next(&iter)) {
        if (op->kind && !strcmp(op->kind, "const") && op->n_outputs && op->outputs[0]) {
            const cml_value *v = op->outputs[0];
            const cml_weight *w = v->weight;
            const cml_op *cons = cw_first_compute_consumer(v);
            if (w && cons && cw_float_dtype(w->dtype) && (int64_t)w->n_elements > threshold) {
                cw_item it = {op, v, NULL, w, cons, &op->loc};
                cw_push(out, &it);
            }
        }
        if (op->is_nn_layer) {
            for (size_t j = 0; j < op->n_attrs; j++) {
                const cml_attr *a = op->attrs[j];
                if (!a || a->kind != CML_ATTR_VALUE || !a->value || !a->value->weight) continue;
                const cml_value *v = a->value;
                const cml_weight *w = v->weight;
                if (cw_is_compressed(v->compression) || w->quant_bits > 0) continue;
                if (!cw_float_dtype(w->dtype) || (int64_t)w->n_elements <= threshold) continue;
                cw_item it = {op, v, NULL, w, NULL, &w->loc};
                cw_push(out, &it);
            }
        }
    }
}

static void cw_collect_dense(const cml_model *m, int64_t threshold, cw_vec *out) {
    cw_collect_dense_ops(m, threshold, out);
    if (m->n_functions < 2 || out->oom) return;
    /* functions of a multifunction model share blobs: count each once */
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++) {
        const cml_weight *w = out->v[i].w;
        bool dup = false;
        for (size_t j = 0; j < k && w->storage == CML_STORE_BLOB; j++) {
            const cml_weight *o = out->v[j].w;
            if (o == w || (o->storage == CML_STORE_BLOB && o->file == w->file && o->blob_offset == w->blob_offset))
                dup = true;
        }
        if (!dup) out->v[k++] = out->v[i];
    }
    out->n = k;
}

/* ---- names and numbers ---------------------------------------------------- */

static const char *cw_name(const cw_item *it) {
    if (it->at && it->at->logical && *it->at->logical) return it->at->logical;
    if (it->op && it->op->name) return it->op->name;
    return it->v && it->v->name ? it->v->name : "?";
}

static void cw_fmt_shape(char *buf, size_t n, const cml_shape *s) {
    if (!s || s->rank < 0 || (s->rank > 0 && !s->dims)) {
        snprintf(buf, n, "[?]");
        return;
    }
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int32_t i = 0; i < s->rank && k < n; i++) {
        if (s->dims[i] < 0) k += (size_t)snprintf(buf + k, n - k, "%s?", i ? ", " : "");
        else k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)s->dims[i]);
    }
    if (k < n) snprintf(buf + k, n - k, "]");
}

static void cw_fmt_bytes(char *buf, size_t n, uint64_t b) {
    if (b < 1000) snprintf(buf, n, "%llu B", (unsigned long long)b);
    else if (b < 1000000) snprintf(buf, n, "%.1f kB", (double)b / 1e3);
    else if (b < 1000000000) snprintf(buf, n, "%.1f MB", (double)b / 1e6);
    else snprintf(buf, n, "%.2f GB", (double)b / 1e9);
}

static const char *cw_gran_name(cml_granularity g) {
    switch (g) {
    case CML_GRAN_PER_TENSOR: return "per-tensor";
    case CML_GRAN_PER_CHANNEL: return "per-channel";
    case CML_GRAN_PER_GROUPED_CHANNEL: return "per-grouped-channel";
    case CML_GRAN_PER_BLOCK: return "per-block";
    case CML_GRAN_BLOCKWISE_LUT: return "blockwise-LUT";
    default: return "unknown granularity";
    }
}

static const cml_shape *cw_shape(const cw_item *it) {
    if (it->c) return &it->c->dense_shape;
    if (it->w) return &it->w->shape;
    return NULL;
}

static uint64_t cw_elems(const cw_item *it) {
    if (it->c && it->c->dense_elements) return it->c->dense_elements;
    if (it->w) return it->w->n_elements;
    return 0;
}

/* "'main/const_0' [16, 3, 7, 7] of conv 'input.3'" */
static void cw_describe(const cw_item *it, char *buf, size_t n) {
    char sh[96];
    cw_fmt_shape(sh, sizeof sh, cw_shape(it));
    if (it->consumer)
        snprintf(buf, n, "'%s' %s of %s '%s'", cw_name(it), sh, it->consumer->kind ? it->consumer->kind : "op",
                 it->consumer->name ? it->consumer->name : "?");
    else if (it->op && it->op->is_nn_layer)
        snprintf(buf, n, "'%s' (%llu values, %s layer)", cw_name(it), (unsigned long long)cw_elems(it),
                 it->op->kind ? it->op->kind : "?");
    else
        snprintf(buf, n, "'%s' %s", cw_name(it), sh);
}

/* One line per weight for the related locations. */
static void cw_item_note(const cw_item *it, char *buf, size_t n) {
    char d[320], sb[32];
    cw_describe(it, d, sizeof d);
    const cml_compression *c = it->c;
    size_t k = (size_t)snprintf(buf, n, "%s:", d);
    if (k >= n) return;
    if (!c) {
        cw_fmt_bytes(sb, sizeof sb, it->w ? it->w->nbytes : 0);
        snprintf(buf + k, n - k, " dense %s, %llu weights, %s", it->w ? cml_dtype_name(it->w->dtype) : "?",
                 (unsigned long long)cw_elems(it), sb);
        return;
    }
    if (c->palettized && k < n) {
        k += (size_t)snprintf(buf + k, n - k, " %u-bit LUT %s", c->lut_bits, cw_gran_name(c->lut_granularity));
        if (c->lut_group_size && k < n)
            k += (size_t)snprintf(buf + k, n - k, " (group size %llu)", (unsigned long long)c->lut_group_size);
    }
    if (c->quantized && !c->palettized && k < n) {
        k += (size_t)snprintf(buf + k, n - k, " %u-bit %s %s", c->quant_bits, cml_dtype_name(c->quant_dtype),
                              cw_gran_name(c->quant_granularity));
        if (c->quant_block_size && k < n)
            k += (size_t)snprintf(buf + k, n - k, " (block size %llu)", (unsigned long long)c->quant_block_size);
    }
    if (c->sparse && k < n) k += (size_t)snprintf(buf + k, n - k, " sparsity %.1f%%", c->sparsity * 100.0);
    cw_fmt_bytes(sb, sizeof sb, c->stored_bytes);
    if (k < n) snprintf(buf + k, n - k, ", %llu weights in %s", (unsigned long long)cw_elems(it), sb);
}

/* Output channels of the weight (the axis LUT groups / per-channel scales
 * run along): axis 0 for conv/linear, 1 for conv_transpose, the last axis
 * of a matmul's y. SOURCE: coremltools optimize/_utils.py:536-614 (§3.1 E).
 * NN layers: the layer's outputChannels. -1 when unknown. */
static int64_t cw_out_channels(const cw_item *it) {
    if (it->op && it->op->is_nn_layer) {
        for (size_t j = 0; j < it->op->n_attrs; j++) {
            const cml_attr *a = it->op->attrs[j];
            if (a && a->kind == CML_ATTR_INT && a->name && !strcmp(a->name, "outputChannels")) return a->i;
        }
        return -1;
    }
    const cml_shape *s = cw_shape(it);
    if (!s || s->rank < 1 || !s->dims) return -1;
    int32_t axis = 0;
    const char *k = it->consumer && it->consumer->kind ? it->consumer->kind : "";
    if (!strcmp(k, "conv_transpose")) axis = 1;
    else if (!strcmp(k, "matmul")) axis = s->rank - 1;
    if (axis >= s->rank) return -1;
    return s->dims[axis];
}

/* ======================================================================== */
/* groups: weights that share one finding                                    */
/* ======================================================================== */

typedef struct cw_group {
    int cond;
    cml_level level;
    unsigned bits;
    uint64_t param;
    int flags;
    const cw_item **items;
    size_t n, cap;
    /* stats */
    size_t n_gran[CML_GRAN_BLOCKWISE_LUT + 1];
    uint64_t group_size, block_size;
    int32_t block_axis, quant_axis;
    uint64_t luts, elems, stored, dense_bytes;
    double smin, smax, ssum;
    size_t n_sym, n_sparse, n_qlut, n_pcs, n_vector, n_nn;
    cml_dtype qdtype;
    bool mixed_qdtype;
    const cw_item *example;     /* the largest weight */
} cw_group;

typedef struct cw_groups {
    cw_group *g;
    size_t n, cap;
    bool oom;
} cw_groups;

static cw_group *cw_group_get(cw_groups *gs, int cond, unsigned bits, uint64_t param, int flags) {
    for (size_t i = 0; i < gs->n; i++) {
        cw_group *g = &gs->g[i];
        if (g->cond == cond && g->bits == bits && g->param == param && g->flags == flags) return g;
    }
    if (gs->oom) return NULL;
    if (gs->n == gs->cap) {
        size_t nc = gs->cap ? gs->cap * 2 : 8;
        cw_group *p = realloc(gs->g, nc * sizeof *p);
        if (!p) {
            gs->oom = true;
            return NULL;
        }
        gs->g = p;
        gs->cap = nc;
    }
    cw_group *g = &gs->g[gs->n++];
    memset(g, 0, sizeof *g);
    g->cond = cond;
    g->bits = bits;
    g->param = param;
    g->flags = flags;
    g->smin = 2.0;
    g->smax = -1.0;
    g->block_axis = -1;
    g->quant_axis = -1;
    return g;
}

static void cw_group_add(cw_groups *gs, cw_group *g, const cw_item *it, cml_level level) {
    if (!g) return;
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        const cw_item **p = realloc(g->items, nc * sizeof *p);
        if (!p) {
            gs->oom = true;
            return;
        }
        g->items = p;
        g->cap = nc;
    }
    g->items[g->n++] = it;
    if (level > g->level) g->level = level;
    uint64_t e = cw_elems(it);
    g->elems += e;
    if (!g->example || e > cw_elems(g->example)) g->example = it;
    if (it->op && it->op->is_nn_layer) g->n_nn++;
    const cml_compression *c = it->c;
    if (!c) {
        if (it->w) {
            g->stored += it->w->nbytes;
            g->dense_bytes += it->w->nbytes;
        }
        return;
    }
    g->stored += c->stored_bytes;
    g->dense_bytes += c->dense_elements * (cml_dtype_bits(c->dense_dtype) ? cml_dtype_bits(c->dense_dtype) : 16) / 8;
    cml_granularity gr = c->palettized ? c->lut_granularity : c->quantized ? c->quant_granularity : CML_GRAN_NONE;
    if ((unsigned)gr <= CML_GRAN_BLOCKWISE_LUT) g->n_gran[gr]++;
    if (c->palettized) {
        g->luts += c->lut_count;
        if (c->lut_group_size && !g->group_size && c->lut_granularity == CML_GRAN_PER_GROUPED_CHANNEL)
            g->group_size = c->lut_group_size;
        if (c->lut_vector_size > 1) g->n_vector++;
        if (c->lut_dtype == CML_DT_INT8 || c->lut_dtype == CML_DT_UINT8) g->n_qlut++;
        if (c->per_channel_scale) g->n_pcs++;
    }
    if (c->quantized && !c->palettized) {
        if (c->quant_granularity == CML_GRAN_PER_BLOCK && c->quant_block_size && !g->block_size) {
            g->block_size = c->quant_block_size;
            g->block_axis = c->quant_axis;
        }
        if (c->quant_granularity == CML_GRAN_PER_CHANNEL && g->quant_axis < 0) g->quant_axis = c->quant_axis;
        if (c->quant_symmetric) g->n_sym++;
        if (g->n == 1) g->qdtype = c->quant_dtype;
        else if (g->qdtype != c->quant_dtype) g->mixed_qdtype = true;
    }
    if (c->sparse) {
        g->n_sparse++;
        if (c->sparsity < g->smin) g->smin = c->sparsity;
        if (c->sparsity > g->smax) g->smax = c->sparsity;
        g->ssum += c->sparsity;
    }
}

static void cw_groups_free(cw_groups *gs) {
    for (size_t i = 0; i < gs->n; i++) free(gs->g[i].items);
    free(gs->g);
    memset(gs, 0, sizeof *gs);
}

/* Report one group at its largest weight; every weight of the group becomes
 * a related location with its own numbers. */
static void cw_report_group(cml_ctx *ctx, const cw_group *g, const char *msg, const char *fix) {
    if (!g->n) return;
    size_t nrel = g->n > CW_MAX_RELATED ? CW_MAX_RELATED : g->n;
    char (*notes)[400] = malloc(nrel * sizeof *notes);
    cml_related *rel = malloc(nrel * sizeof *rel);
    if (!notes || !rel) nrel = 0;
    for (size_t i = 0; i < nrel; i++) {
        cw_item_note(g->items[i], notes[i], sizeof notes[i]);
        rel[i].at = g->items[i]->at;
        rel[i].message = notes[i];
    }
    /* at the example (largest) weight, which the message names */
    const cml_loc *at = g->example ? g->example->at : g->items[0]->at;
    cml_report(ctx, .level = g->level, .message = msg, .fix = fix, .at = at,
               .related = nrel ? rel : NULL, .n_related = nrel);
    free(notes);
    free(rel);
}

static const char *cw_s(size_t n) { return n == 1 ? "" : "s"; }
static const char *cw_is_are(size_t n) { return n == 1 ? "is" : "are"; }

/* Walk the model tree (pipelines) and run one rule on each model. */
typedef int (*cw_model_fn)(const cml_model *m, cml_ctx *ctx);

static int cw_each_model(const cml_model *root, cml_ctx *ctx, cw_model_fn fn) {
    int rc = CML_OK;
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, root); m; m = cml_models_next(&mi)) {
        int r = fn(m, ctx);
        if (r != CML_OK && rc == CML_OK) rc = r;
    }
    return rc;
}

static int64_t cw_opt_threshold(cml_ctx *ctx) {
    int64_t t = cml_option_int(ctx, "weight_threshold", CW_WEIGHT_THRESHOLD);
    return t < 0 ? 0 : t;
}

static const cml_option cw_opt_weight_threshold = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "weight_threshold",
    .doc = "Weights with at most this many elements are exempt from the size-dependent checks "
           "(coremltools' default weight_threshold: it compresses only larger weights).",
    .default_int = CW_WEIGHT_THRESHOLD,
};

static const cml_option cw_opt_fine_tuned = {
    .size = sizeof(cml_option),
    .type = CML_OPT_BOOL,
    .name = "fine_tuned",
    .doc = "Set when the model was compressed during training (coremltools.optimize.torch): "
           "accuracy findings become notes.",
    .default_bool = false,
};

static const cml_option cw_opt_report_summary = {
    .size = sizeof(cml_option),
    .type = CML_OPT_BOOL,
    .name = "report_summary",
    .doc = "When the rule finds no problem in a compressed model, report one note summarising "
           "its compression (bits, granularity, group or block size). Off by default: such a note has "
           "nothing to fix; `coreml-lint inspect` shows the same facts.",
    .default_bool = false,
};

static const cml_option cw_opt_targets_ane = {
    .size = sizeof(cml_option),
    .type = CML_OPT_BOOL,
    .name = "targets_ane",
    .doc = "The app lets Core ML use the Neural Engine (compute units .all or "
           ".cpuAndNeuralEngine).",
    .default_bool = true,
};

/* ======================================================================== */
/* compress/palettization                                                    */
/* ======================================================================== */

enum { PAL_LOWBITS = 1, PAL_PER_TENSOR, PAL_SMALL_GROUP, PAL_INFO };

/* "5 with one per-tensor LUT, 13 per-grouped-channel (group size 16)" */
static void pal_gran_text(const cw_group *g, char *buf, size_t n) {
    size_t k = 0;
    buf[0] = '\0';
    static const cml_granularity order[] = {CML_GRAN_PER_TENSOR, CML_GRAN_PER_GROUPED_CHANNEL,
                                            CML_GRAN_PER_CHANNEL, CML_GRAN_BLOCKWISE_LUT};
    size_t kinds = 0;
    for (size_t i = 0; i < 4; i++) kinds += g->n_gran[order[i]] ? 1 : 0;
    for (size_t i = 0; i < 4 && k < n; i++) {
        size_t c = g->n_gran[order[i]];
        if (!c) continue;
        const char *sep = k ? ", " : "";
        char cnt[32] = "";
        if (kinds > 1) snprintf(cnt, sizeof cnt, "%zu with ", c);
        switch (order[i]) {
        case CML_GRAN_PER_TENSOR:
            k += (size_t)snprintf(buf + k, n - k, "%s%sone per-tensor LUT", sep, cnt);
            break;
        case CML_GRAN_PER_GROUPED_CHANNEL:
            k += (size_t)snprintf(buf + k, n - k, "%s%sper-grouped-channel LUTs (group size %llu)", sep, cnt,
                                  (unsigned long long)g->group_size);
            break;
        case CML_GRAN_PER_CHANNEL:
            k += (size_t)snprintf(buf + k, n - k, "%s%sone LUT per channel", sep, cnt);
            break;
        default:
            k += (size_t)snprintf(buf + k, n - k, "%s%sblockwise LUTs", sep, cnt);
            break;
        }
    }
    if (k < n && g->n_sparse) k += (size_t)snprintf(buf + k, n - k, ", jointly pruned");
    if (k < n && g->n_qlut) k += (size_t)snprintf(buf + k, n - k, ", int8-quantized LUT entries");
    if (k < n && g->n_pcs) k += (size_t)snprintf(buf + k, n - k, ", per-channel scales");
    if (k < n && g->n_vector) snprintf(buf + k, n - k, ", vector palettization");
}

static int pal_check_model(const cml_model *m, cml_ctx *ctx) {
    int64_t threshold = cw_opt_threshold(ctx);
    int64_t low_bits = cml_option_int(ctx, "low_bits", 3);
    int64_t max_ch = cml_option_int(ctx, "max_channels_per_lut", 32);
    int64_t min_group = cml_option_int(ctx, "min_group_size", 8);
    bool fine_tuned = cml_option_bool(ctx, "fine_tuned", false);
    bool summary = cml_option_bool(ctx, "report_summary", false);
    cml_level acc_level = fine_tuned ? CML_NOTE : CML_WARNING;

    cw_vec items = {0};
    cw_collect(m, &items);
    cw_groups gs = {0};
    for (size_t i = 0; i < items.n; i++) {
        const cw_item *it = &items.v[i];
        const cml_compression *c = it->c;
        if (!c || !c->palettized) continue;
        int64_t ch = cw_out_channels(it);
        cw_group *g;
        cml_level lv;
        if ((int64_t)c->lut_bits <= low_bits) {
            /* SOURCE: coremltools docs-guides opt-palettization-algos.md:11 (k-means:
             * "significant loss in accuracy for lower bits"); opt-workflow.md:74
             * ("Palettization to 4 bits with a single lookup table (LUT) or to lower
             * than 4 bits" -> fine-tuning workflow). rules-knowledge §3.4, §5.9. */
            g = cw_group_get(&gs, PAL_LOWBITS, c->lut_bits, 0, 0);
            lv = acc_level;
        } else if (c->lut_bits <= 4 && c->lut_count <= 1 && (int64_t)cw_elems(it) > threshold &&
                   (ch < 0 || ch > max_ch)) {
            /* SOURCE: opt-workflow.md:37 ("4-bit palettization with grouped channel
             * mode (typical group sizes to try: 32, 16, 8)") and :74 (a single LUT
             * at 4 bits -> fine-tuning). A single LUT over <= 32 channels is the
             * same as a grouped LUT of that size, so it is not flagged. */
            g = cw_group_get(&gs, PAL_PER_TENSOR, c->lut_bits, 0, 0);
            lv = acc_level;
        } else if (c->lut_granularity == CML_GRAN_PER_GROUPED_CHANNEL && c->lut_group_size &&
                   (int64_t)c->lut_group_size < min_group) {
            /* SOURCE: opt-palettization-perf.md:10 ("drop in runtime performance as
             * the number of LUTs ... increases. Typically, a group size of 8 or 16
             * gives good accuracy while still increasing speed"). */
            g = cw_group_get(&gs, PAL_SMALL_GROUP, c->lut_bits, c->lut_group_size, 0);
            lv = CML_NOTE;
        } else {
            if (!summary) continue;
            g = cw_group_get(&gs, PAL_INFO, c->lut_bits, 0, 0);
            lv = CML_NOTE;
        }
        cw_group_add(&gs, g, it, lv);
    }
    int rc = (items.oom || gs.oom) ? CML_ENOMEM : CML_OK;
    /* per_grouped_channel LUTs need iOS18 / macOS15 (spec 9). SOURCE:
     * rules-knowledge §1.3, §3.4 ("pre-iOS18 a LUT must be a single per-tensor LUT"). */
    bool grouped_ok = m->spec_version >= 9 || cml_max_spec_for_target(cml_target(ctx)) >= 9;
    /* the summary note only when no problem was found in this model */
    bool problems = false;
    for (size_t i = 0; i < gs.n; i++) problems |= gs.g[i].cond != PAL_INFO;
    for (size_t i = 0; rc == CML_OK && i < gs.n; i++) {
        const cw_group *g = &gs.g[i];
        if (g->cond == PAL_INFO && problems) continue;
        char msg[1400], ex[400], gran[256];
        cw_describe(g->example, ex, sizeof ex);
        pal_gran_text(g, gran, sizeof gran);
        const char *fix = NULL;
        switch (g->cond) {
        case PAL_LOWBITS:
            snprintf(msg, sizeof msg,
                     "%zu weight%s %s palettized to %u bits (%s), e.g. %s: data-free k-means palettization "
                     "shows \"significant loss in accuracy for lower bits\" and Apple puts palettization below "
                     "4 bits in the training-time (fine-tuning) workflow",
                     g->n, cw_s(g->n), cw_is_are(g->n), g->bits, gran, ex);
            fix = "for data-free compression use 6 or 8 bits (OpPalettizerConfig(nbits=6)) or 4 bits with "
                  "granularity=\"per_grouped_channel\", group_size=16 (iOS18+); for 3 bits or fewer, "
                  "palettize during training with coremltools.optimize.torch (DKMPalettizer / SKM) and re-export";
            break;
        case PAL_PER_TENSOR:
            snprintf(msg, sizeof msg,
                     "%zu weight%s %s palettized to %u bits with a single per-tensor LUT spanning more than "
                     "%lld output channels, e.g. %s (%lld channels, %llu weights): one LUT for a whole "
                     "tensor usually costs accuracy; Apple's data-free %u-bit recipe uses per-grouped-channel "
                     "LUTs (group size 32, 16 or 8)%s",
                     g->n, cw_s(g->n), cw_is_are(g->n), g->bits, (long long)max_ch, ex,
                     (long long)cw_out_channels(g->example), (unsigned long long)cw_elems(g->example), g->bits,
                     grouped_ok ? "" : "; grouped LUTs need iOS18/macOS15, so for older targets use 6 or 8 bits");
            fix = grouped_ok ? "palettize with OpPalettizerConfig(nbits=4, granularity=\"per_grouped_channel\", "
                               "group_size=16), or use nbits=6/8, or fine-tune with coremltools.optimize.torch"
                             : "palettize with OpPalettizerConfig(nbits=6) or nbits=8 for iOS17 and older; "
                               "per_grouped_channel LUTs (group_size=16) need minimum_deployment_target iOS18";
            break;
        case PAL_SMALL_GROUP: {
            uint64_t ex_luts = g->example->c ? g->example->c->lut_count : 0;
            snprintf(msg, sizeof msg,
                     "%zu weight%s use%s per-grouped-channel %u-bit LUTs with group size %llu (%llu LUTs in "
                     "all), e.g. %s with %llu LUTs: runtime performance drops as the number of LUTs grows; "
                     "Apple: group size 8 or 16 is a good trade-off",
                     g->n, cw_s(g->n), g->n == 1 ? "s" : "", g->bits, (unsigned long long)g->param,
                     (unsigned long long)g->luts, ex, (unsigned long long)ex_luts);
            fix = "re-palettize with OpPalettizerConfig(granularity=\"per_grouped_channel\", group_size=16) or 8";
            break;
        }
        default: {
            const char *advice = g->bits >= 6 ? "Apple: 6- or 8-bit palettization usually loses little accuracy"
                                 : g->n_gran[CML_GRAN_PER_GROUPED_CHANNEL] || g->n_gran[CML_GRAN_PER_CHANNEL]
                                     ? "grouped 4-bit LUTs are Apple's data-free 4-bit recipe"
                                     : "no accuracy pattern to flag";
            snprintf(msg, sizeof msg,
                     "%zu weight%s %s palettized to %u bits (%s; %llu LUT%s in all), e.g. %s: %s; "
                     "verify accuracy on real data",
                     g->n, cw_s(g->n), cw_is_are(g->n), g->bits, gran, (unsigned long long)g->luts,
                     cw_s((size_t)g->luts), ex, advice);
            fix = "none needed; compare the compressed model's outputs with the original model's";
            break;
        }
        }
        cw_report_group(ctx, g, msg, fix);
    }
    cw_groups_free(&gs);
    free(items.v);
    return rc;
}

static int pal_check(const cml_model *model, cml_ctx *ctx) {
    return cw_each_model(model, ctx, pal_check_model);
}

static const cml_option pal_opt_low_bits = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "low_bits",
    .doc = "Palettization to this many bits or fewer is flagged as needing training-time "
           "palettization (Apple: below 4 bits).",
    .default_int = 3,
};
static const cml_option pal_opt_max_channels = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "max_channels_per_lut",
    .doc = "A single 3- or 4-bit LUT over at most this many output channels counts as a "
           "grouped LUT (Apple suggests group sizes 32, 16, 8) and is not flagged.",
    .default_int = 32,
};
static const cml_option pal_opt_min_group = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "min_group_size",
    .doc = "Grouped LUTs with fewer channels per group than this are flagged for runtime cost "
           "(Apple: 8 or 16 is a good trade-off).",
    .default_int = 8,
};
static const cml_option *const pal_options[] = {&cw_opt_weight_threshold, &pal_opt_low_bits,
                                                &pal_opt_max_channels,    &pal_opt_min_group,
                                                &cw_opt_fine_tuned,       &cw_opt_report_summary,
                                                NULL};
static const char *const pal_tags[] = {"compression", "accuracy", "performance", "heuristic", NULL};

static const cml_rule pal_rule = {
    .size = sizeof(cml_rule),
    .id = "compress/palettization",
    .name = "Palettization",
    .summary = "Palettized (LUT) weights whose bit width or LUT granularity is likely to cost accuracy "
               "or speed.",
    .description = "Reads the palettization of every weight (ML Program constexpr_lut_to_dense / "
                   "constexpr_lut_to_sparse chains and NeuralNetwork lookup-table WeightParams): "
                   "warns about data-free palettization below 4 bits and about a single 3- or 4-bit "
                   "LUT for a large tensor, notes grouped LUTs with very small groups, and summarises "
                   "the palettization of a model in which it found no problem.",
    .help_md =
        "## Why\n\n"
        "Palettization replaces each weight by an index into a look-up table (LUT) of 2^n values. "
        "Apple's guidance (coremltools *Optimization* guide):\n\n"
        "- k-means palettization shows \"significant loss in accuracy for lower bits\"; "
        "\"Palettization to 4 bits with a single lookup table (LUT) or to lower than 4 bits\" belongs "
        "to the fine-tuning (training-time) workflow (`opt-palettization-algos.md`, `opt-workflow.md`).\n"
        "- the data-free 4-bit recipe is \"4-bit palettization with grouped channel mode (typical group "
        "sizes to try: 32, 16, 8)\" (`opt-workflow.md`); grouped LUTs need iOS 18 / macOS 15.\n"
        "- there is a \"drop in runtime performance as the number of LUTs ... increases. Typically, a "
        "group size of 8 or 16 gives good accuracy while still increasing speed\" "
        "(`opt-palettization-perf.md`).\n"
        "- 6- or 8-bit palettization usually loses little accuracy (`opt-overview.md`).\n\n"
        "The rule reports, per model and per problem, how many weights are affected, their bit width, "
        "granularity, group size and LUT count, at the first weight (the others are related "
        "locations):\n\n"
        "| finding | level |\n|---|---|\n"
        "| `low_bits` (3) bits or fewer | warning (note with `fine_tuned`) |\n"
        "| 3-4 bits, one LUT over more than `max_channels_per_lut` (32) output channels, "
        "more than `weight_threshold` (2048) elements | warning (note with `fine_tuned`) |\n"
        "| grouped LUTs with group size below `min_group_size` (8) | note |\n"
        "| no problem in the model: one summary, only with `report_summary` (off by default: nothing to fix) | note |\n\n"
        "The rule cannot tell data-free from training-time palettization; set `fine_tuned` when the "
        "model was palettized during training.\n\n"
        "## Fix\n\n"
        "```python\n"
        "import coremltools.optimize as cto\n"
        "cfg = cto.coreml.OptimizationConfig(global_config=cto.coreml.OpPalettizerConfig(\n"
        "    nbits=4, granularity=\"per_grouped_channel\", group_size=16))  # iOS18+\n"
        "mlmodel = cto.coreml.palettize_weights(mlmodel, cfg)\n"
        "```\n\n"
        "Use `nbits=6` or `8` for older deployment targets; for 3 bits or fewer, palettize during "
        "training with `coremltools.optimize.torch` (DKM) and re-export.\n\n"
        "## Sources\n\n"
        "- apple/coremltools `docs-guides/source/opt-palettization-algos.md`, `opt-workflow.md`, "
        "`opt-palettization-perf.md`, `opt-overview.md`\n"
        "- coremltools `optimize/coreml/_config.py` (`weight_threshold` 2048)\n",
    .help_uri = "https://apple.github.io/coremltools/docs-guides/source/opt-palettization-overview.html",
    .default_level = CML_WARNING,
    .tags = pal_tags,
    .options = pal_options,
    .check = pal_check,
};

/* ======================================================================== */
/* compress/quantization-granularity                                         */
/* ======================================================================== */

enum { QG_LOW_PER_TENSOR = 1, QG_NN_LOW_PER_TENSOR, QG_8BIT_PER_TENSOR, QG_PER_BLOCK_ANE, QG_INFO };

static void qg_gran_text(const cw_group *g, char *buf, size_t n) {
    size_t k = 0;
    buf[0] = '\0';
    size_t kinds = 0;
    for (int i = 0; i <= CML_GRAN_BLOCKWISE_LUT; i++) kinds += g->n_gran[i] ? 1 : 0;
    for (int i = CML_GRAN_PER_TENSOR; i <= CML_GRAN_BLOCKWISE_LUT && k < n; i++) {
        size_t c = g->n_gran[i];
        if (!c) continue;
        const char *sep = k ? ", " : "";
        char cnt[32] = "";
        if (kinds > 1) snprintf(cnt, sizeof cnt, "%zu ", c);
        if (i == CML_GRAN_PER_CHANNEL && g->quant_axis >= 0)
            k += (size_t)snprintf(buf + k, n - k, "%s%sper-channel on axis %d", sep, cnt, (int)g->quant_axis);
        else if (i == CML_GRAN_PER_BLOCK && g->block_size)
            k += (size_t)snprintf(buf + k, n - k, "%s%sper-block with block size %llu on axis %d", sep, cnt,
                                  (unsigned long long)g->block_size, (int)g->block_axis);
        else
            k += (size_t)snprintf(buf + k, n - k, "%s%s%s", sep, cnt, cw_gran_name((cml_granularity)i));
    }
    if (k < n) {
        if (g->n_sym == g->n) k += (size_t)snprintf(buf + k, n - k, ", symmetric");
        else if (!g->n_sym) k += (size_t)snprintf(buf + k, n - k, ", with zero points");
    }
    if (k < n && g->n_sparse) snprintf(buf + k, n - k, ", jointly pruned");
}

static size_t qg_count_quantize_ops(const cml_function *fn, const cml_op **first) {
    size_t n = 0;
    cml_op_iter iter;
    for (const cml_op *op = cml_ops_first(&iter, NULL, fn); op; op = cml_ops_next(&iter)) {
        /* runtime activation quantization (CoreML7+): not constexpr.
         * SOURCE: coremltools ops/defs/iOS17/quantization_ops.py (§3.1 J) */
        if (!op->is_nn_layer && op->kind && !strcmp(op->kind, "quantize")) {
            if (!*first) *first = op;
            n++;
        }
    }
    return n;
}

static int qg_check_model(const cml_model *m, cml_ctx *ctx) {
    int64_t threshold = cw_opt_threshold(ctx);
    bool targets_ane = cml_option_bool(ctx, "targets_ane", true);
    bool int8_chips = cml_option_bool(ctx, "int8_compute_devices_only", false);
    bool summary = cml_option_bool(ctx, "report_summary", false);

    cw_vec items = {0};
    cw_collect(m, &items);
    cw_groups gs = {0};
    for (size_t i = 0; i < items.n; i++) {
        const cw_item *it = &items.v[i];
        const cml_compression *c = it->c;
        /* int8 LUT entries (palettization + quantization) are palettization's */
        if (!c || !c->quantized || c->palettized) continue;
        bool nn = it->op && it->op->is_nn_layer;
        bool big = (int64_t)cw_elems(it) > threshold;
        cw_group *g = NULL;
        cml_level lv = CML_NOTE;
        if (c->quant_granularity == CML_GRAN_PER_TENSOR && big && !nn && c->quant_bits <= 4) {
            /* SOURCE: opt-workflow.md:38 ("4-bit weight-only quantization with per
             * block mode (typical block sizes to try: 64, 32, 16)"); rules-knowledge
             * §5.10 [A-doc + Derived]: one scale for 16 levels over a whole tensor. */
            g = cw_group_get(&gs, QG_LOW_PER_TENSOR, c->quant_bits, 0, 0);
            lv = CML_WARNING;
        } else if (c->quant_granularity == CML_GRAN_PER_TENSOR && big && nn && c->quant_bits < 8) {
            /* SOURCE: NeuralNetwork.proto:1331-1411 (len(scale) 1 = per-tensor);
             * rules-knowledge §5.10 (NN nbits < 8 with one scale -> note). */
            g = cw_group_get(&gs, QG_NN_LOW_PER_TENSOR, c->quant_bits, 0, 0);
        } else if (c->quant_granularity == CML_GRAN_PER_TENSOR && big && c->quant_bits == 8) {
            /* SOURCE: coremltools optimize/coreml/_config.py OpLinearQuantizerConfig
             * (granularity default PER_CHANNEL). */
            g = cw_group_get(&gs, QG_8BIT_PER_TENSOR, 8, 0, 0);
        } else if (c->quant_granularity == CML_GRAN_PER_BLOCK && targets_ane) {
            /* SOURCE: opt-quantization-perf.md:21 ("per-block ... great runtime
             * memory gains ... when it is running on the GPU. ... if the model is
             * running on the NE, it is recommended to use the per-channel scales
             * option"); community: apple/coremltools#2114, apple/coreai-models#279 (O14). */
            g = cw_group_get(&gs, QG_PER_BLOCK_ANE, c->quant_bits, c->quant_block_size, c->quant_axis);
        } else {
            if (!summary) continue;
            g = cw_group_get(&gs, QG_INFO, c->quant_bits, 0, 0);
        }
        cw_group_add(&gs, g, it, lv);
    }
    int rc = (items.oom || gs.oom) ? CML_ENOMEM : CML_OK;
    /* the summary note only when no problem was found in this model */
    bool problems = false;
    for (size_t i = 0; i < gs.n; i++) problems |= gs.g[i].cond != QG_INFO;
    for (size_t i = 0; rc == CML_OK && i < gs.n; i++) {
        const cw_group *g = &gs.g[i];
        if (g->cond == QG_INFO && problems) continue;
        char msg[1400], ex[400], gran[256], dt[48];
        cw_describe(g->example, ex, sizeof ex);
        qg_gran_text(g, gran, sizeof gran);
        snprintf(dt, sizeof dt, "%s", g->mixed_qdtype ? "mixed types" : cml_dtype_name(g->qdtype));
        const char *fix = NULL;
        switch (g->cond) {
        case QG_LOW_PER_TENSOR:
            snprintf(msg, sizeof msg,
                     "%zu weight%s %s %u-bit (%s) linearly quantized with one per-tensor scale, e.g. %s "
                     "(%llu weights): %u levels for a whole tensor usually loses accuracy; Apple's data-free "
                     "4-bit recipe uses per-block scales (block size 64, 32 or 16)",
                     g->n, cw_s(g->n), cw_is_are(g->n), g->bits, dt, ex,
                     (unsigned long long)cw_elems(g->example), 1u << (g->bits > 16 ? 16 : g->bits));
            fix = "quantize with OpLinearQuantizerConfig(mode=\"linear_symmetric\", dtype=\"int4\", "
                  "granularity=\"per_block\", block_size=32) for GPU/Mac, or int8 granularity=\"per_channel\" "
                  "for the Neural Engine";
            break;
        case QG_NN_LOW_PER_TENSOR:
            snprintf(msg, sizeof msg,
                     "%zu NeuralNetwork weight%s %s %u-bit linearly quantized with one scale for the whole "
                     "tensor, e.g. %s: per-channel scales keep more accuracy at this bit width",
                     g->n, cw_s(g->n), cw_is_are(g->n), g->bits, ex);
            fix = "re-quantize per channel (quantization_utils.quantize_weights(..., nbits=8, "
                  "quantization_mode=\"linear\")), or convert to an ML Program and use "
                  "coremltools.optimize.coreml (iOS16+)";
            break;
        case QG_8BIT_PER_TENSOR:
            snprintf(msg, sizeof msg,
                     "%zu weight%s %s 8-bit (%s) linearly quantized with one per-tensor scale, e.g. %s "
                     "(%llu weights): coremltools' default is per-channel scales, which keep more accuracy "
                     "at the same size",
                     g->n, cw_s(g->n), cw_is_are(g->n), dt, ex, (unsigned long long)cw_elems(g->example));
            fix = "quantize with OpLinearQuantizerConfig(mode=\"linear_symmetric\", granularity=\"per_channel\")";
            break;
        case QG_PER_BLOCK_ANE:
            snprintf(msg, sizeof msg,
                     "%zu weight%s %s %u-bit (%s) linearly quantized per-block with block size %llu on axis "
                     "%d, e.g. %s: per-block scales give great memory gains on the GPU, but if the model runs "
                     "on the Neural Engine Apple recommends per-channel scales (or palettization)",
                     g->n, cw_s(g->n), cw_is_are(g->n), g->bits, dt, (unsigned long long)g->param, g->flags, ex);
            fix = "for Neural Engine deployment quantize with OpLinearQuantizerConfig(dtype=\"int8\", "
                  "granularity=\"per_channel\") or palettize (OpPalettizerConfig(nbits=4, "
                  "granularity=\"per_grouped_channel\", group_size=16)); keep per-block int4 for GPU/Mac builds "
                  "(set targets_ane to false for those)";
            break;
        default: {
            const char *advice = g->bits >= 8 ? "Apple: 8-bit weight-only quantization usually loses little accuracy"
                                              : "verify accuracy on real data";
            snprintf(msg, sizeof msg,
                     "%zu weight%s %s linearly quantized to %u bits (%s; %s), e.g. %s: no granularity problem "
                     "found; %s",
                     g->n, cw_s(g->n), cw_is_are(g->n), g->bits, dt, gran, ex, advice);
            fix = "none needed; compare the compressed model's outputs with the original model's";
            break;
        }
        }
        cw_report_group(ctx, g, msg, fix);
    }
    /* W8A8: activation quantization. SOURCE: opt-quantization-perf.md and
     * opt-overview.md:100-104 (int8-int8 compute on the NE only on A17 Pro / M4
     * and newer; elsewhere weights are decompressed and activation quantization
     * slows the model down) — rules-knowledge §4.1 P11, §5.10. */
    if (rc == CML_OK && (!targets_ane || !int8_chips)) {
        const cml_op *first = NULL;
        size_t nq = 0;
        for (size_t f = 0; f < m->n_functions; f++)
            if (m->functions[f]) nq += qg_count_quantize_ops(m->functions[f], &first);
        if (nq && first) {
            char msg[800];
            snprintf(msg, sizeof msg,
                     "%zu activation quantize op%s (W8A8), e.g. '%s': the Neural Engine computes int8 x int8 "
                     "only on A17 Pro / M4 and newer; on older chips and on the CPU/GPU the weights are "
                     "decompressed at runtime and activation quantization slows the model down",
                     nq, cw_s(nq), first->loc.logical ? first->loc.logical : first->name ? first->name : "?");
            cml_report(ctx, .level = CML_NOTE, .message = msg, .at = &first->loc,
                       .fix = "ship weight-only quantization (linear_quantize_weights) for devices older than "
                              "A17 Pro / M4, or set int8_compute_devices_only when the app requires them");
        }
    }
    cw_groups_free(&gs);
    free(items.v);
    return rc;
}

static int qg_check(const cml_model *model, cml_ctx *ctx) {
    return cw_each_model(model, ctx, qg_check_model);
}

static const cml_option qg_opt_int8_chips = {
    .size = sizeof(cml_option),
    .type = CML_OPT_BOOL,
    .name = "int8_compute_devices_only",
    .doc = "The app runs only on A17 Pro / M4 or newer, whose Neural Engine computes int8 x int8 "
           "(silences the W8A8 note).",
    .default_bool = false,
};
static const cml_option *const qg_options[] = {&cw_opt_weight_threshold, &cw_opt_targets_ane, &qg_opt_int8_chips,
                                               &cw_opt_report_summary, NULL};
static const char *const qg_tags[] = {"compression", "accuracy", "ane", "heuristic", NULL};

static const cml_rule qg_rule = {
    .size = sizeof(cml_rule),
    .id = "compress/quantization-granularity",
    .name = "QuantizationGranularity",
    .summary = "Linearly quantized weights whose scale granularity does not suit their bit width or the "
               "compute unit.",
    .description = "Reads the linear quantization of every weight (constexpr_affine_dequantize, "
                   "constexpr_blockwise_shift_scale, NeuralNetwork linear WeightParams): warns about 4-bit "
                   "weights with one per-tensor scale, notes 8-bit per-tensor scales, per-block scales in a "
                   "model meant for the Neural Engine, and activation quantization (W8A8) for chips older "
                   "than A17 Pro / M4, and summarises the quantization of a model in which it found no "
                   "problem.",
    .help_md =
        "## Why\n\n"
        "Linear quantization stores `w = scale * (q - offset)`. The granularity of `scale` decides "
        "accuracy and where the model runs well (coremltools *Optimization* guide):\n\n"
        "- \"4-bit weight-only quantization with per block mode (typical block sizes to try: 64, 32, "
        "16)\" is the data-free 4-bit recipe (`opt-workflow.md`); one scale for 16 levels over a whole "
        "tensor loses accuracy.\n"
        "- coremltools' default granularity is per-channel (`OpLinearQuantizerConfig`).\n"
        "- per-block gives \"great runtime memory gains ... when it is running on the GPU. ... if the model "
        "is running on the NE, it is recommended to use the per-channel scales option\" "
        "(`opt-quantization-perf.md`).\n"
        "- activation quantization (W8A8) uses the int8-int8 path of the Neural Engine only on A17 Pro / "
        "M4 and newer; elsewhere it slows the model down (`opt-quantization-perf.md`, `opt-overview.md`).\n\n"
        "| finding | level |\n|---|---|\n"
        "| ML Program 4-bit (or fewer) with one per-tensor scale, more than `weight_threshold` elements | "
        "warning |\n"
        "| NeuralNetwork linear quantization below 8 bits with one scale | note |\n"
        "| 8-bit with one per-tensor scale | note |\n"
        "| per-block scales and `targets_ane` | note |\n"
        "| `quantize` ops (W8A8) unless `int8_compute_devices_only` | note |\n"
        "| no problem in the model: one summary, only with `report_summary` (off by default: nothing to fix) | note |\n\n"
        "## Fix\n\n"
        "```python\n"
        "import coremltools.optimize as cto\n"
        "# Neural Engine\n"
        "cfg = cto.coreml.OptimizationConfig(global_config=cto.coreml.OpLinearQuantizerConfig(\n"
        "    mode=\"linear_symmetric\", dtype=\"int8\", granularity=\"per_channel\"))\n"
        "# GPU / Mac\n"
        "cfg = cto.coreml.OptimizationConfig(global_config=cto.coreml.OpLinearQuantizerConfig(\n"
        "    mode=\"linear_symmetric\", dtype=\"int4\", granularity=\"per_block\", block_size=32))\n"
        "mlmodel = cto.coreml.linear_quantize_weights(mlmodel, cfg)\n"
        "```\n\n"
        "## Sources\n\n"
        "- apple/coremltools `docs-guides/source/opt-workflow.md`, `opt-quantization-perf.md`, "
        "`opt-overview.md`; `optimize/coreml/_config.py`\n"
        "- community: apple/coremltools#2114 (quantized weights wrong on GPU/ANE)\n",
    .help_uri = "https://apple.github.io/coremltools/docs-guides/source/opt-quantization-overview.html",
    .default_level = CML_WARNING,
    .tags = qg_tags,
    .options = qg_options,
    .check = qg_check,
};

/* ======================================================================== */
/* compress/pruning-sparsity                                                 */
/* ======================================================================== */

enum { PS_SPARSE = 1, PS_DENSE_ZEROS };
enum { PS_BAND_SAFE = 0, PS_BAND_CALIBRATE = 1, PS_BAND_TRAINING = 2 };
enum { PS_STORE_OK = 0, PS_STORE_LOW = 1, PS_STORE_WORSE = 2 };

/* flags packing for a sparse group */
#define PS_FLAGS(band, store, high, joint) ((band) | ((store) << 2) | ((high) << 4) | ((joint) << 5))

/* Fraction of zeros (|w| <= 1e-12, coremltools' pruning threshold) of a dense float weight, from the
 * host's counts (cml_weight_stats_of: one pass per weight, shared with
 * numerics/fp16-overflow). Returns -1 when they are not available (bytes
 * that do not match the type: a broken blob the load/... rules report).
 * SOURCE: coremltools _post_training_quantization.py:739-742 (sparsity =
 * fraction with |w| <= 1e-12). */
static int ps_zero_fraction(cml_ctx *ctx, const cml_weight *w, double *frac) {
    unsigned es = cml_dtype_bits(w->dtype) / 8;
    uint64_t n = w->n_elements;
    *frac = 0.0;
    if (!es || !n || w->nbytes != n * es) return -1;
    cml_weight_stats st;
    if (cml_weight_stats_of(ctx, w, &st) != 0 || st.n != n) return -1;
    *frac = (double)st.zeros / (double)n;
    return 0;
}

static int ps_check_model(const cml_model *m, cml_ctx *ctx) {
    double cal = cml_option_number(ctx, "calibrate_from", 0.30);
    double train = cml_option_number(ctx, "training_from", 0.50);
    double min_store = cml_option_number(ctx, "min_storage_sparsity", 0.50);
    double high = cml_option_number(ctx, "fine_tune_from", 0.75);
    double dense_zero = cml_option_number(ctx, "dense_zero_fraction", 0.50);
    bool scan = cml_option_bool(ctx, "scan_dense", true);
    bool fine_tuned = cml_option_bool(ctx, "fine_tuned", false);
    int64_t threshold = cw_opt_threshold(ctx);

    cw_vec items = {0}, dense = {0};
    cw_collect(m, &items);
    cw_groups gs = {0};
    for (size_t i = 0; i < items.n; i++) {
        const cw_item *it = &items.v[i];
        const cml_compression *c = it->c;
        if (!c || !c->sparse) continue;
        double s = c->sparsity;
        /* House bands (project policy, NOT an Apple rule: rules-knowledge §3.4
         * found no Apple source for 0-30 / 30-50 / 50+). */
        int band = s >= train - CW_EPS ? PS_BAND_TRAINING : s >= cal - CW_EPS ? PS_BAND_CALIBRATE : PS_BAND_SAFE;
        int store = PS_STORE_OK;
        if (!c->palettized && !c->quantized) {
            /* SOURCE: iOS16 constexpr_sparse_to_dense: mask ceil(N/8) bytes +
             * nonzero data; coremltools OpThresholdPrunerConfig.minimum_sparsity_percentile
             * default 0.5 (below it coremltools keeps the weight dense). §5.11. */
            unsigned db = cml_dtype_bits(c->dense_dtype) ? cml_dtype_bits(c->dense_dtype) : 16;
            uint64_t dense_b = c->dense_elements * db / 8;
            if (dense_b && c->stored_bytes >= dense_b) store = PS_STORE_WORSE;
            else if (s < min_store - CW_EPS) store = PS_STORE_LOW;
        }
        /* SOURCE: opt-workflow.md:77 (fine-tuning "is often required to achieve
         * higher levels of sparsity (75% or more)"); opt-pruning-perf.md:8 (NE
         * skips compute at "75% or higher" unstructured sparsity). */
        int hi = s >= high - CW_EPS ? 1 : 0;
        int joint = c->palettized ? 1 : c->quantized ? 2 : 0;
        cml_level lv = CML_LEVEL_CONFIGURED;
        if (band == PS_BAND_CALIBRATE) lv = CML_NOTE;
        if (band == PS_BAND_TRAINING) lv = fine_tuned ? CML_NOTE : CML_WARNING;
        if (store == PS_STORE_LOW && lv < CML_NOTE) lv = CML_NOTE;
        if (store == PS_STORE_WORSE) lv = CML_WARNING;
        if (hi && lv < CML_NOTE) lv = CML_NOTE;
        if (lv == CML_LEVEL_CONFIGURED) continue; /* safe band, storage fine */
        unsigned bits = c->palettized ? c->lut_bits : c->quantized ? c->quant_bits : 0;
        cw_group *g = cw_group_get(&gs, PS_SPARSE, bits, 0, PS_FLAGS(band, store, hi, joint));
        cw_group_add(&gs, g, it, lv);
    }
    int rc = items.oom || gs.oom ? CML_ENOMEM : CML_OK;
    for (size_t i = 0; rc == CML_OK && i < gs.n; i++) {
        const cw_group *g = &gs.g[i];
        int band = g->flags & 3, store = (g->flags >> 2) & 3, hi = (g->flags >> 4) & 1, joint = g->flags >> 5;
        double mean = g->ssum / (double)(g->n ? g->n : 1);
        char msg[1600], ex[400], range[64] = "", jt[64] = "", parts[1000] = "";
        cw_describe(g->example, ex, sizeof ex);
        if (g->smax - g->smin >= 0.0005)
            snprintf(range, sizeof range, " (%.1f-%.1f%%)", g->smin * 100.0, g->smax * 100.0);
        if (joint == 1) snprintf(jt, sizeof jt, ", jointly with %u-bit palettization", g->bits);
        if (joint == 2) snprintf(jt, sizeof jt, ", jointly with %u-bit linear quantization", g->bits);
        size_t k = 0;
        if (band == PS_BAND_CALIBRATE)
            k += (size_t)snprintf(parts + k, sizeof parts - k,
                                  "%sin the project's %.0f-%.0f%% band (house policy, not an Apple rule): "
                                  "check accuracy on calibration data before shipping data-free pruning",
                                  k ? "; " : "", cal * 100.0, train * 100.0);
        if (band == PS_BAND_TRAINING && k < sizeof parts)
            k += (size_t)snprintf(parts + k, sizeof parts - k,
                                  "%sin the project's %.0f%%+ band (house policy, not an Apple rule): expect to "
                                  "need training-time pruning; Apple: data-free pruning \"is typically going to "
                                  "lead to a large accuracy loss for any meaningful level of sparsity\"",
                                  k ? "; " : "", train * 100.0);
        if (hi && k < sizeof parts)
            k += (size_t)snprintf(parts + k, sizeof parts - k,
                                  "%sApple: fine-tuning is often required for 75%% or more, and the Neural "
                                  "Engine can skip compute at such sparsity",
                                  k ? "; " : "");
        if (store != PS_STORE_OK && k < sizeof parts) {
            char sb[32], db[32];
            cw_fmt_bytes(sb, sizeof sb, g->stored);
            cw_fmt_bytes(db, sizeof db, g->dense_bytes);
            if (store == PS_STORE_WORSE)
                snprintf(parts + k, sizeof parts - k, "%ssparse storage (%s) is not smaller than dense (%s)",
                         k ? "; " : "", sb, db);
            else
                snprintf(parts + k, sizeof parts - k,
                         "%sbelow coremltools' %.0f%% sparse-storage default: sparse storage (%s) saves only "
                         "%.0f%% over dense (%s)",
                         k ? "; " : "", min_store * 100.0, sb,
                         g->dense_bytes ? 100.0 * (1.0 - (double)g->stored / (double)g->dense_bytes) : 0.0, db);
        }
        snprintf(msg, sizeof msg, "%zu weight%s %s pruned to sparsity %.1f%%%s%s, e.g. %s: %s", g->n, cw_s(g->n),
                 cw_is_are(g->n), mean * 100.0, range, jt, ex, parts);
        const char *fix =
            store == PS_STORE_WORSE
                ? "keep these weights dense (prune_weights only stores sparse from 50% zeros), or prune further"
            : band == PS_BAND_SAFE && store == PS_STORE_LOW
                ? "store sparse only at 50% zeros or more (OpThresholdPrunerConfig(minimum_sparsity_percentile=0.5)), "
                  "or prune further with fine-tuning"
                : "prune during training (coremltools.optimize.torch MagnitudePruner) or with SparseGPT "
                  "(coremltools.optimize.torch.layerwise_compression); keep data-free OpMagnitudePrunerConfig "
                  "for experiments";
        cw_report_group(ctx, g, msg, fix);
    }
    /* dense weights full of zeros. SOURCE: rules-knowledge §5.11; coremltools
     * OpThresholdPrunerConfig stores such a weight sparse. */
    if (rc == CML_OK && scan) {
        cw_collect_dense(m, threshold, &dense);
        cw_groups zs = {0};
        cw_group *g = NULL;
        double fmax = 0.0;
        bool w16 = false, w32 = false;   /* the members' element sizes: 2 bytes (fp16, bf16), 4 (fp32) */
        for (size_t i = 0; i < dense.n; i++) {
            const cw_item *it = &dense.v[i];
            double frac = 0.0;
            if (ps_zero_fraction(ctx, it->w, &frac) != 0) continue;
            if (frac < dense_zero - CW_EPS) continue;
            if (!g) g = cw_group_get(&zs, PS_DENSE_ZEROS, 0, 0, 0);
            cw_group_add(&zs, g, it, CML_NOTE);
            if (frac > fmax) fmax = frac;
            if (cml_dtype_bits(it->w->dtype) >= 32) w32 = true;
            else w16 = true;
        }
        if (zs.oom || dense.oom) rc = CML_ENOMEM;
        if (g && g->n && rc == CML_OK) {
            char msg[1200], ex[400], sb[32];
            cw_describe(g->example, ex, sizeof ex);
            cw_fmt_bytes(sb, sizeof sb, g->stored);
            /* SOURCE: NeuralNetwork.proto WeightParams (float, fp16, raw,
             * int8 and linear / lookup-table quantization: no sparse form);
             * coremltools optimize/coreml/_post_training_quantization.py
             * prune_weights ("This MLModel should be of type mlprogram") */
            bool program = m->type && !strcmp(m->type, "mlProgram");
            /* what a zero costs dense: its element. Sparse storage keeps the
             * non-zeros in the weight's dtype plus a 1-bit mask.
             * SOURCE: coremltools mil/ops/defs/iOS16/constexpr_ops.py
             * constexpr_sparse_to_dense (nonzero_data of the output's dtype T,
             * a mask of one bit per element); a NeuralNetwork's source
             * converted to an ML Program with the default compute_precision
             * gets fp16 weights (converters/_converters_entry.py convert:
             * FLOAT16 for mlprogram) */
            const char *saving = !program ? "sparse storage in an ML Program (fp16 weights by default) would save "
                                            "about 2 bytes per zero"
                               : w16 && w32 ? "sparse storage would save about 2 (fp16) to 4 (fp32) bytes per zero"
                               : w32        ? "sparse storage would save about 4 bytes per zero (fp32)"
                                            : "sparse storage would save about 2 bytes per zero (fp16)";
            snprintf(msg, sizeof msg,
                     "%zu dense weight%s (%s) hold%s %.0f%% or more zeros, |w| <= 1e-12 (up to %.1f%%) but %s stored "
                     "dense, e.g. %s: %s",
                     g->n, cw_s(g->n), sb, g->n == 1 ? "s" : "", dense_zero * 100.0, fmax * 100.0,
                     g->n == 1 ? "is" : "are", ex, saving);
            cw_report_group(ctx, g, msg,
                            program ? "store them sparse: cto.coreml.prune_weights(mlmodel, OptimizationConfig("
                                      "OpThresholdPrunerConfig(threshold=1e-12)))"
                                    : "a NeuralNetwork has no sparse storage: convert the source model to an ML "
                                      "Program (convert_to=\"mlprogram\", iOS 15 / macOS 12 or later), then "
                                      "cto.coreml.prune_weights(mlmodel, OptimizationConfig("
                                      "OpThresholdPrunerConfig(threshold=1e-12))), which stores sparse from iOS 16");
        }
        cw_groups_free(&zs);
    }
    cw_groups_free(&gs);
    free(items.v);
    free(dense.v);
    return rc;
}

static int ps_check(const cml_model *model, cml_ctx *ctx) {
    return cw_each_model(model, ctx, ps_check_model);
}

static const cml_option ps_opt_cal = {
    .size = sizeof(cml_option),
    .type = CML_OPT_NUMBER,
    .name = "calibrate_from",
    .doc = "House policy, not Apple's: sparsity (0..1) from which pruning is in the 'check on "
           "calibration data' band (note).",
    .default_number = 0.30,
};
static const cml_option ps_opt_train = {
    .size = sizeof(cml_option),
    .type = CML_OPT_NUMBER,
    .name = "training_from",
    .doc = "House policy, not Apple's: sparsity (0..1) from which pruning is in the 'needs "
           "training-time pruning' band (warning, note with fine_tuned).",
    .default_number = 0.50,
};
static const cml_option ps_opt_min_store = {
    .size = sizeof(cml_option),
    .type = CML_OPT_NUMBER,
    .name = "min_storage_sparsity",
    .doc = "Sparse storage below this sparsity is noted (coremltools' "
           "minimum_sparsity_percentile default is 0.5).",
    .default_number = 0.50,
};
static const cml_option ps_opt_high = {
    .size = sizeof(cml_option),
    .type = CML_OPT_NUMBER,
    .name = "fine_tune_from",
    .doc = "Sparsity from which Apple notes fine-tuning is often required (0.75).",
    .default_number = 0.75,
};
static const cml_option ps_opt_dense_zero = {
    .size = sizeof(cml_option),
    .type = CML_OPT_NUMBER,
    .name = "dense_zero_fraction",
    .doc = "Dense weights with at least this fraction of zeros (|w| <= 1e-12) are noted as candidates for "
           "sparse storage.",
    .default_number = 0.50,
};
static const cml_option ps_opt_scan = {
    .size = sizeof(cml_option),
    .type = CML_OPT_BOOL,
    .name = "scan_dense",
    .doc = "Read dense weights (in bounded chunks) to count their zeros (|w| <= 1e-12).",
    .default_bool = true,
};
static const cml_option *const ps_options[] = {&ps_opt_cal,  &ps_opt_train,      &ps_opt_min_store,
                                               &ps_opt_high, &ps_opt_dense_zero, &ps_opt_scan,
                                               &cw_opt_weight_threshold,         &cw_opt_fine_tuned,
                                               NULL};
static const char *const ps_tags[] = {"compression", "accuracy", "size", "heuristic", NULL};

static const cml_rule ps_rule = {
    .size = sizeof(cml_rule),
    .id = "compress/pruning-sparsity",
    .name = "PruningSparsity",
    .summary = "Pruned (sparse) weights whose sparsity is likely to cost accuracy or save little, and "
               "dense weights that are mostly zeros.",
    .description = "Reads the sparsity of every pruned weight (constexpr_sparse_to_dense chains, joint "
                   "prune + palettize / quantize) and places it in the project's configurable sparsity "
                   "bands, checks that sparse storage pays off, and scans dense weights for zeros (|w| <= 1e-12, what coremltools' pruner drops).",
    .help_md =
        "## Why\n\n"
        "Pruning sets weights to zero and stores a bit mask plus the non-zero values. Apple's guidance "
        "(coremltools *Optimization* guide):\n\n"
        "- \"Unless the weights ... are known to have a lot of zeros, using data-free pruning is typically "
        "going to lead to a large accuracy loss for any meaningful level of sparsity\" "
        "(`opt-pruning-algos.md`).\n"
        "- fine-tuning \"is often required to achieve higher levels of sparsity (75% or more)\" "
        "(`opt-workflow.md`); the Neural Engine can skip compute at \"75% or higher\" unstructured "
        "sparsity (`opt-pruning-perf.md`).\n"
        "- below 50 % zeros coremltools keeps a weight dense by default "
        "(`OpThresholdPrunerConfig.minimum_sparsity_percentile = 0.5`): the mask costs one bit per "
        "weight, so sparse storage saves little or nothing.\n\n"
        "**Sparsity bands are project policy, not Apple facts.** The defaults — below 30 % no band "
        "finding, 30-50 % 'check on calibration data' (note), 50 % and more 'needs training-time "
        "pruning' (warning) — come from this project; no Apple document states them. Tune them with "
        "`calibrate_from` and `training_from`.\n\n"
        "| finding | level |\n|---|---|\n"
        "| sparsity in [`calibrate_from`, `training_from`) | note |\n"
        "| sparsity >= `training_from` | warning (note with `fine_tuned`) |\n"
        "| sparsity >= `fine_tune_from` (0.75) | adds Apple's fine-tuning note |\n"
        "| sparse storage below `min_storage_sparsity` | note |\n"
        "| sparse storage not smaller than dense | warning |\n"
        "| dense weight with >= `dense_zero_fraction` zeros (\\|w\\| <= 1e-12) (`scan_dense`) | note |\n\n"
        "Weights sharing a band are reported together, with the mean and range of their sparsity.\n\n"
        "## Fix\n\n"
        "Prune during training (`coremltools.optimize.torch` `MagnitudePruner`) or with SparseGPT "
        "(`coremltools.optimize.torch.layerwise_compression`); use data-free `OpMagnitudePrunerConfig` "
        "for experiments. Store mostly-zero dense weights sparse:\n\n"
        "```python\n"
        "cfg = cto.coreml.OptimizationConfig(global_config=cto.coreml.OpThresholdPrunerConfig(threshold=1e-12))\n"
        "mlmodel = cto.coreml.prune_weights(mlmodel, cfg)\n"
        "```\n\n"
        "## Sources\n\n"
        "- apple/coremltools `docs-guides/source/opt-pruning-algos.md`, `opt-workflow.md`, "
        "`opt-pruning-perf.md`; `optimize/coreml/_config.py` (OpThresholdPrunerConfig)\n",
    .help_uri = "https://apple.github.io/coremltools/docs-guides/source/opt-pruning-overview.html",
    .default_level = CML_WARNING,
    .tags = ps_tags,
    .options = ps_options,
    .check = ps_check,
};

/* ======================================================================== */
/* compress/uncompressed-weights                                             */
/* ======================================================================== */

static size_t uw_count_compressed(const cw_vec *items) {
    size_t n = 0;
    for (size_t i = 0; i < items->n; i++) n += cw_is_compressed(items->v[i].c) ? 1 : 0;
    return n;
}

/* Bytes of all weights of a model: weight files once each, plus inline data. */
static uint64_t uw_weight_bytes(const cml_model *m) {
    uint64_t b = 0;
    for (size_t i = 0; i < m->n_weight_files; i++)
        if (m->weight_files[i]) b += m->weight_files[i]->payload_bytes;
    for (size_t i = 0; i < m->n_weights; i++) {
        const cml_weight *w = m->weights[i];
        /* inline tensors; string immediates (op names, modes) are not weights */
        if (w && w->storage == CML_STORE_INLINE && w->dtype != CML_DT_STRING && w->dtype != CML_DT_UNKNOWN)
            b += w->nbytes;
    }
    return b;
}

/* Why coremltools may have left a dense weight alone: its channel axis is not
 * a multiple of the group size / block size used for the others. */
static void uw_hint(const cw_vec *items, const cw_item *d, char *buf, size_t n) {
    buf[0] = '\0';
    const cml_shape *s = cw_shape(d);
    if (!s || s->rank < 1 || !s->dims) return;
    for (size_t i = 0; i < items->n; i++) {
        const cml_compression *c = items->v[i].c;
        if (!c) continue;
        if (c->palettized && c->lut_granularity == CML_GRAN_PER_GROUPED_CHANNEL && c->lut_group_size &&
            c->lut_axis >= 0 && c->lut_axis < s->rank && s->dims[c->lut_axis] > 0 &&
            (uint64_t)s->dims[c->lut_axis] % c->lut_group_size) {
            snprintf(buf, n, "; its %lld channels on axis %d are not a multiple of the group size %llu used "
                             "for the others",
                     (long long)s->dims[c->lut_axis], (int)c->lut_axis, (unsigned long long)c->lut_group_size);
            return;
        }
        if (c->quantized && c->quant_granularity == CML_GRAN_PER_BLOCK && c->quant_block_size > 1 &&
            c->quant_axis >= 0 && c->quant_axis < s->rank && s->dims[c->quant_axis] > 0 &&
            (uint64_t)s->dims[c->quant_axis] % c->quant_block_size) {
            snprintf(buf, n, "; its %lld channels on axis %d are not a multiple of the block size %llu used "
                             "for the others",
                     (long long)s->dims[c->quant_axis], (int)c->quant_axis, (unsigned long long)c->quant_block_size);
            return;
        }
    }
}

static int uw_check_model(const cml_model *m, cml_ctx *ctx) {
    int64_t threshold = cw_opt_threshold(ctx);
    int64_t min_dense = cml_option_int(ctx, "min_dense_bytes", 10000000);
    double min_frac = cml_option_number(ctx, "min_dense_fraction", 0.10);
    /* Compression ops exist from iOS16 / spec 7 (CoreML6); for older NN
     * models the advice applies once the app targets iOS16+.
     * SOURCE: opt-whats-new.md ("Optimizations for iOS15 / macOS12 and lower"),
     * rules-knowledge §5.12 ("spec/target >= iOS16"). */
    if (m->spec_version < 7 && cml_max_spec_for_target(cml_target(ctx)) < 7) return CML_OK;
    cw_vec items = {0}, dense = {0};
    cw_collect(m, &items);
    cw_collect_dense(m, threshold, &dense);
    int rc = items.oom || dense.oom ? CML_ENOMEM : CML_OK;
    size_t n_comp = uw_count_compressed(&items);
    uint64_t dense_b = 0, total = uw_weight_bytes(m);
    const cw_item *big = NULL;
    size_t n_fp32 = 0;
    for (size_t i = 0; i < dense.n; i++) {
        dense_b += dense.v[i].w->nbytes;
        if (dense.v[i].w->dtype == CML_DT_FP32) n_fp32++;
        if (!big || dense.v[i].w->nbytes > big->w->nbytes) big = &dense.v[i];
    }
    if (rc == CML_OK && big) {
        cw_groups gs = {0};
        cw_group *g = cw_group_get(&gs, 1, 0, 0, 0);
        /* largest first, so the finding sits on the biggest weight */
        cw_group_add(&gs, g, big, CML_NOTE);
        for (size_t i = 0; g && i < dense.n; i++)
            if (&dense.v[i] != big) cw_group_add(&gs, g, &dense.v[i], CML_NOTE);
        char msg[1400], ex[400], db[32], tb[32], bb[32], hint[200];
        cw_describe(big, ex, sizeof ex);
        cw_fmt_bytes(db, sizeof db, dense_b);
        cw_fmt_bytes(tb, sizeof tb, total);
        cw_fmt_bytes(bb, sizeof bb, big->w->nbytes);
        const char *dt = n_fp32 == dense.n ? "fp32" : n_fp32 ? "fp16/fp32" : "fp16";
        bool fire = false;
        if (!n_comp && (int64_t)dense_b > min_dense) {
            /* SOURCE: coremltools docs-guides opt-overview.md:110-114 ("6 or 8 bits of
             * palettization or 8 bits of weight-only quantization ... is one minimum
             * amount of compression that you should consider for all your models that
             * are currently shipping in float16 precision"). */
            snprintf(msg, sizeof msg,
                     "%zu %s weight%s with more than %lld elements hold%s %s (of %s of weights) and none is "
                     "compressed, e.g. %s (%s): Apple suggests at least 6- or 8-bit palettization or 8-bit "
                     "weight-only quantization for models shipping in float16",
                     dense.n, dt, cw_s(dense.n), (long long)threshold, dense.n == 1 ? "s" : "", db, tb, ex, bb);
            fire = true;
        } else if (n_comp && total && (double)dense_b >= min_frac * (double)total) {
            uw_hint(&items, big, hint, sizeof hint);
            snprintf(msg, sizeof msg,
                     "%zu %s weight%s with more than %lld elements %s left dense (%s, %.0f%% of the model's %s of "
                     "weights) while %zu other%s compressed, e.g. %s (%s)%s",
                     dense.n, dt, cw_s(dense.n), (long long)threshold, dense.n == 1 ? "is" : "are", db,
                     100.0 * (double)dense_b / (double)total, tb, n_comp, n_comp == 1 ? " is" : "s are", ex, bb,
                     hint);
            fire = true;
        }
        if (gs.oom) rc = CML_ENOMEM;
        else if (fire)
            cw_report_group(ctx, g, msg,
                            n_comp ? "compress these weights too (op_name_configs / op_type_configs in "
                                     "OptimizationConfig, a group or block size that divides their channels), "
                                     "or ignore when they are meant to stay dense"
                                   : "cto.coreml.palettize_weights(mlmodel, OptimizationConfig(OpPalettizerConfig("
                                     "nbits=6))) or cto.coreml.linear_quantize_weights(...) (8-bit), then check "
                                     "accuracy");
        cw_groups_free(&gs);
    }
    free(items.v);
    free(dense.v);
    return rc;
}

static int uw_check(const cml_model *model, cml_ctx *ctx) {
    return cw_each_model(model, ctx, uw_check_model);
}

static const cml_option uw_opt_min_dense = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "min_dense_bytes",
    .doc = "A model with no compressed weight is noted when its dense weights above "
           "weight_threshold hold more than this many bytes (house default 10 MB).",
    .default_int = 10000000,
};
static const cml_option uw_opt_min_frac = {
    .size = sizeof(cml_option),
    .type = CML_OPT_NUMBER,
    .name = "min_dense_fraction",
    .doc = "In a model with compressed weights, dense weights above weight_threshold are noted "
           "when they hold at least this fraction (0..1) of all weight bytes.",
    .default_number = 0.10,
};
static const cml_option *const uw_options[] = {&cw_opt_weight_threshold, &uw_opt_min_dense, &uw_opt_min_frac,
                                               NULL};
static const char *const uw_tags[] = {"compression", "size", NULL};

static const cml_rule uw_rule = {
    .size = sizeof(cml_rule),
    .id = "compress/uncompressed-weights",
    .name = "UncompressedWeights",
    .summary = "Large float weights stored without compression.",
    .description = "Notes a model (iOS16+ format or target) whose dense float weights above "
                   "weight_threshold are large and none is compressed, and a compressed model in which "
                   "large weights were left dense.",
    .help_md =
        "## Why\n\n"
        "Apple: \"6 or 8 bits of palettization or 8 bits of weight-only quantization ... is one minimum "
        "amount of compression that you should consider for all your models that are currently "
        "shipping in float16 precision\" (coremltools `opt-overview.md`). Compressed weights shrink the "
        "app download, the memory footprint and often load time.\n\n"
        "coremltools compresses only weights with more than `weight_threshold` (2048) elements, and "
        "skips weights whose channel count does not divide by the chosen group or block size — so in a "
        "compressed model a large layer (often the classifier) can silently stay dense.\n\n"
        "| finding | level |\n|---|---|\n"
        "| no compressed weight and dense weights > `min_dense_bytes` (10 MB) | note |\n"
        "| compressed model whose dense weights hold >= `min_dense_fraction` (10 %) of all weight "
        "bytes | note |\n\n"
        "Only models whose format or deployment target is iOS 16 / macOS 13 or newer are checked "
        "(compression ops need spec 7).\n\n"
        "## Fix\n\n"
        "```python\n"
        "import coremltools.optimize as cto\n"
        "cfg = cto.coreml.OptimizationConfig(global_config=cto.coreml.OpPalettizerConfig(nbits=6))\n"
        "mlmodel = cto.coreml.palettize_weights(mlmodel, cfg)\n"
        "```\n\n"
        "or `linear_quantize_weights` (8-bit); then compare outputs with the original model.\n\n"
        "## Sources\n\n"
        "- apple/coremltools `docs-guides/source/opt-overview.md`; `optimize/coreml/_config.py` "
        "(`weight_threshold`)\n",
    .help_uri = "https://apple.github.io/coremltools/docs-guides/source/opt-overview.html",
    .default_level = CML_NOTE,
    .tags = uw_tags,
    .options = uw_options,
    .check = uw_check,
};

/* ======================================================================== */

static const cml_rule *const cw_rules[] = {&pal_rule, &qg_rule, &ps_rule, &uw_rule, NULL};

static const cml_plugin cw_plugin = {
    .size = sizeof(cml_plugin),
    .abi = CML_ABI_VERSION,
    .name = "compress",
    .version = CML_VERSION_STRING,
    .spdx_license = "Apache-2.0",
    .rules = cw_rules,
};

CML_PLUGIN_DEFINE(cw_plugin)

/* SPDX-License-Identifier: Apache-2.0 */
/* inspect.c — `coreml-lint inspect`: the facts of a model, for people
 * (text) and scripts (JSON).
 *
 * Reads only the IR. JSON keys and spellings follow the corpus manifest
 * (../shared/corpus/manifest.json) wherever it records the same fact, so
 * tests compare them directly; `minimum_os` and `compression` are ours. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/inspect.h"
#include "format/sanitize.h"
#include "ir/model.h"

static char *feature_dtype(const cml_feature *f, char *buf, size_t n) {
    switch (f->kind) {
    case CML_FEAT_MULTIARRAY: case CML_FEAT_STATE: snprintf(buf, n, "%s", cml_array_dtype_name(f->array_dtype)); break;
    case CML_FEAT_IMAGE:
        snprintf(buf, n, "%s", f->color == CML_COLOR_GRAYSCALE_FLOAT16 ? "GRAYSCALE_FLOAT16 (OneComponent16Half)"
                                                                       : "uint8 pixels");
        break;
    case CML_FEAT_DICTIONARY:
        snprintf(buf, n, "dict<%s,double>", f->key_kind == CML_FEAT_INT64 ? "int64" : "string");
        break;
    case CML_FEAT_SEQUENCE:
        snprintf(buf, n, "sequence<%s>", f->element_kind == CML_FEAT_INT64 ? "int64" : "string");
        break;
    default: snprintf(buf, n, "%s", cml_feature_kind_name(f->kind)); break;
    }
    return buf;
}

/* ---- JSON ------------------------------------------------------------------ */

static cJSON *shape_json(const cml_shape *s) {
    cJSON *a = cJSON_CreateArray();
    for (int32_t i = 0; s->rank > 0 && i < s->rank; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)s->dims[i]));
    return a;
}

static cJSON *feature_json(const cml_feature *f) {
    char buf[64];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", f->name);
    cJSON_AddStringToObject(o, "type", cml_feature_kind_name(f->kind));
    cJSON_AddStringToObject(o, "dtype", feature_dtype(f, buf, sizeof buf));
    if (f->kind == CML_FEAT_MULTIARRAY || f->kind == CML_FEAT_STATE) {
        cJSON_AddItemToObject(o, "shape", shape_json(&f->shape));
    } else if (f->kind == CML_FEAT_IMAGE) {
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)f->height));
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)f->width));
        cJSON_AddItemToObject(o, "shape", a);
        cJSON_AddNumberToObject(o, "width", (double)f->width);
        cJSON_AddNumberToObject(o, "height", (double)f->height);
        cJSON_AddStringToObject(o, "color_layout", cml_color_name(f->color));
    } else if (f->kind == CML_FEAT_DICTIONARY) {
        cJSON_AddNullToObject(o, "shape");
    } else {
        cJSON_AddItemToObject(o, "shape", cJSON_CreateArray());
    }
    if (f->optional) cJSON_AddTrueToObject(o, "optional");
    if (f->description && *f->description) cJSON_AddStringToObject(o, "short_description", f->description);
    if (f->flex == CML_FLEX_RANGE) {
        if (f->kind == CML_FEAT_IMAGE && f->n_ranges == 2) {
            cJSON *sr = cJSON_CreateObject();
            const char *nm[2] = {"height", "width"};
            for (int k = 1; k >= 0; k--) {
                cJSON *p = cJSON_CreateArray();
                cJSON_AddItemToArray(p, cJSON_CreateNumber((double)f->ranges[k].lower));
                cJSON_AddItemToArray(p, cJSON_CreateNumber((double)f->ranges[k].upper));
                cJSON_AddItemToObject(sr, nm[k], p);
            }
            cJSON_AddItemToObject(o, "size_range", sr);
        } else {
            cJSON *sr = cJSON_CreateArray();
            for (size_t i = 0; i < f->n_ranges; i++) {
                cJSON *p = cJSON_CreateArray();
                cJSON_AddItemToArray(p, cJSON_CreateNumber((double)f->ranges[i].lower));
                cJSON_AddItemToArray(p, cJSON_CreateNumber((double)f->ranges[i].upper));
                cJSON_AddItemToArray(sr, p);
            }
            cJSON_AddItemToObject(o, "shape_range", sr);
        }
        cJSON_AddStringToObject(o, "flexible", "range");
    } else if (f->flex == CML_FLEX_ENUMERATED) {
        cJSON *es = cJSON_CreateArray();
        for (size_t i = 0; i < f->n_enumerated; i++) cJSON_AddItemToArray(es, shape_json(&f->enumerated[i]));
        cJSON_AddItemToObject(o, f->kind == CML_FEAT_IMAGE ? "enumerated_sizes" : "enumerated_shapes", es);
        cJSON_AddStringToObject(o, "flexible", "enumerated");
    }
    return o;
}

static cJSON *features_json(const cml_feature *const *fs, size_t n) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, feature_json(fs[i]));
    return a;
}

/* op kind histogram of a function (nested blocks included), sorted: the
 * kinds are gathered, sorted and counted in runs (a list searched per op
 * made 80,000 distinct kinds take 13 s, and 160,000 take 112 s in the html report) */
typedef struct hist {
    const char *kind;
    size_t n;
} hist;

typedef struct histo {
    hist *h;                 /* by kind, after histo_finish */
    size_t n;
    const char **all;        /* every op's kind, gathered */
    size_t total, cap;
} histo;

static void histo_add(histo *hs, const char *kind) {
    if (hs->total == hs->cap) {
        size_t nc = hs->cap ? hs->cap * 2 : 64;
        const char **na = realloc(hs->all, nc * sizeof *na);
        if (!na) return;
        hs->all = na;
        hs->cap = nc;
    }
    hs->all[hs->total++] = kind ? kind : "";
}

static void histo_block(histo *hs, const cml_block *b, int depth) {
    if (!b || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        histo_add(hs, b->ops[i]->kind);
        for (size_t j = 0; j < b->ops[i]->n_blocks; j++) histo_block(hs, b->ops[i]->blocks[j], depth + 1);
    }
}

static int kind_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* a function's histogram, sorted by kind; free(hs->h) after */
static void histo_of(histo *hs, const cml_function *fn) {
    memset(hs, 0, sizeof *hs);
    histo_block(hs, fn->block, 0);
    if (hs->total) {
        qsort(hs->all, hs->total, sizeof *hs->all, kind_cmp);
        hs->h = malloc(hs->total * sizeof *hs->h);
        for (size_t i = 0; hs->h && i < hs->total; i++) {
            if (hs->n && !strcmp(hs->h[hs->n - 1].kind, hs->all[i])) hs->h[hs->n - 1].n++;
            else hs->h[hs->n++] = (hist){hs->all[i], 1};
        }
    }
    free(hs->all);
    hs->all = NULL;
}

static cJSON *histo_json(const cml_function *fn, size_t *total) {
    histo hs;
    histo_of(&hs, fn);
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < hs.n; i++) cJSON_AddNumberToObject(o, hs.h[i].kind, (double)hs.h[i].n);
    *total = hs.total;
    free(hs.h);
    return o;
}

static cJSON *metadata_json(const cml_metadata *md) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "author", md->author ? md->author : "");
    cJSON_AddStringToObject(o, "license", md->license ? md->license : "");
    cJSON_AddStringToObject(o, "short_description", md->short_description ? md->short_description : "");
    cJSON_AddStringToObject(o, "version", md->version ? md->version : "");
    cJSON *u = cJSON_CreateObject();
    for (size_t i = 0; i < md->n_user; i++) cJSON_AddStringToObject(u, md->user[i].key, md->user[i].value);
    cJSON_AddItemToObject(o, "user_defined", u);
    cJSON_AddBoolToObject(o, "present", md->present);
    return o;
}

static cJSON *min_os_json(const cml_os_versions *os) {
    cJSON *o = cJSON_CreateObject();
    if (os->ios) cJSON_AddStringToObject(o, "iOS", os->ios);
    if (os->macos) cJSON_AddStringToObject(o, "macOS", os->macos);
    if (os->tvos) cJSON_AddStringToObject(o, "tvOS", os->tvos);
    if (os->watchos) cJSON_AddStringToObject(o, "watchOS", os->watchos);
    if (os->visionos) cJSON_AddStringToObject(o, "visionOS", os->visionos);
    return o;
}

/* Compressed weights: values carrying compression consumed by a compute op
 * (not by another constexpr), or NN weights. */
typedef void (*comp_visit)(const cml_op *consumer_or_owner, const cml_value *v, void *ud);

static int is_chain_end(const cml_value *v) {
    if (!v->compression) return 0;
    if (!v->producer || !v->producer->is_const) return 1; /* NN weight */
    for (size_t i = 0; i < v->n_consumers; i++)
        if (!v->consumers[i]->is_const) return 1;
    return v->n_consumers == 0;
}

static void visit_block(const cml_block *b, comp_visit fn, void *ud, int depth) {
    if (!b || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        if (op->is_const) {
            for (size_t j = 0; j < op->n_outputs; j++)
                if (is_chain_end(op->outputs[j])) {
                    fn(op, op->outputs[j], ud);
                    break; /* one summary per constexpr op */
                }
        }
        if (op->is_nn_layer)
            for (size_t j = 0; j < op->n_attrs; j++)
                if (op->attrs[j]->kind == CML_ATTR_VALUE && op->attrs[j]->value && op->attrs[j]->value->compression)
                    fn(op, op->attrs[j]->value, ud);
        for (size_t j = 0; j < op->n_blocks; j++) visit_block(op->blocks[j], fn, ud, depth + 1);
    }
}

/* m's functions, then its pipeline stages' (a YOLO export's palettized
 * detector is the first stage of a pipeline) */
static void visit_model(const cml_model *m, comp_visit fn, void *ud, int depth) {
    if (!m || depth > IR_MAX_DEPTH) return;
    for (size_t f = 0; f < m->n_functions; f++) visit_block(m->functions[f]->block, fn, ud, 0);
    for (size_t i = 0; i < m->n_sub_models; i++) visit_model(m->sub_models[i], fn, ud, depth + 1);
}

void inspect_visit_compressed(const cml_model *m, void (*fn)(const cml_op *, const cml_value *, void *), void *ud) {
    visit_model(m, fn, ud, 0);
}

static cJSON *comp_weight_json(const cml_op *op, const cml_value *v) {
    const cml_compression *c = v->compression;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", op->loc.logical ? op->loc.logical : op->name);
    if (op->is_nn_layer) cJSON_AddStringToObject(o, "weight", v->name);
    cJSON_AddStringToObject(o, "mode", cml_compression_mode(c));
    cJSON_AddStringToObject(o, "chain", c->chain ? c->chain : "");
    if (c->palettized) {
        cJSON_AddNumberToObject(o, "nbits", c->lut_bits);
        cJSON_AddStringToObject(o, "granularity", cml_granularity_name(c->lut_granularity));
        if (c->lut_group_size) cJSON_AddNumberToObject(o, "group_size", (double)c->lut_group_size);
        if (c->lut_axis >= 0) cJSON_AddNumberToObject(o, "channel_axis", c->lut_axis);
        cJSON_AddNumberToObject(o, "lut_count", (double)c->lut_count);
        if (c->lut_vector_size > 1) cJSON_AddNumberToObject(o, "vector_size", (double)c->lut_vector_size);
        cJSON_AddStringToObject(o, "lut_dtype", cml_dtype_name(c->lut_dtype));
    }
    if (c->quantized) {
        cJSON_AddNumberToObject(o, c->palettized ? "quant_nbits" : "nbits", c->quant_bits);
        cJSON_AddStringToObject(o, "dtype", cml_dtype_name(c->quant_dtype));
        cJSON_AddStringToObject(o, c->palettized ? "quant_granularity" : "granularity",
                                cml_granularity_name(c->quant_granularity));
        if (c->quant_block_size) cJSON_AddNumberToObject(o, "block_size", (double)c->quant_block_size);
        if (c->quant_axis >= 0) cJSON_AddNumberToObject(o, "axis", c->quant_axis);
        cJSON_AddBoolToObject(o, "symmetric", c->quant_symmetric);
    }
    if (c->per_channel_scale) cJSON_AddTrueToObject(o, "per_channel_scale");
    if (c->sparse) {
        cJSON_AddNumberToObject(o, "sparsity", c->sparsity);
        cJSON_AddNumberToObject(o, "nonzero", (double)c->nonzero_count);
    }
    if (c->fp16_storage) cJSON_AddTrueToObject(o, "fp16_storage");
    cJSON_AddItemToObject(o, "dense_shape", shape_json(&c->dense_shape));
    cJSON_AddNumberToObject(o, "dense_elements", (double)c->dense_elements);
    cJSON_AddNumberToObject(o, "stored_bytes", (double)c->stored_bytes);
    return o;
}

typedef struct comp_acc {
    cJSON *arr;
    const cml_compression *first;
    size_t n;
    int mixed_bits, mixed_mode;
    size_t gran_count[CML_GRAN_BLOCKWISE_LUT + 1];
    double sparsity_sum;
    size_t n_sparse;
    uint64_t group_size, block_size;
} comp_acc;

static void comp_collect(const cml_op *op, const cml_value *v, void *ud) {
    comp_acc *acc = ud;
    const cml_compression *c = v->compression;
    cJSON_AddItemToArray(acc->arr, comp_weight_json(op, v));
    if (!acc->first) acc->first = c;
    else {
        const cml_compression *f = acc->first;
        if (strcmp(cml_compression_mode(f), cml_compression_mode(c))) acc->mixed_mode = 1;
        if ((c->palettized ? c->lut_bits : c->quant_bits) != (f->palettized ? f->lut_bits : f->quant_bits))
            acc->mixed_bits = 1;
    }
    cml_granularity g = c->palettized ? c->lut_granularity : c->quantized ? c->quant_granularity
                                                                         : CML_GRAN_PER_TENSOR;
    if ((unsigned)g <= CML_GRAN_BLOCKWISE_LUT) acc->gran_count[g]++;
    if (c->sparse) { acc->sparsity_sum += c->sparsity; acc->n_sparse++; }
    if (c->lut_group_size && !acc->group_size) acc->group_size = c->lut_group_size;
    if (c->quant_block_size && !acc->block_size) acc->block_size = c->quant_block_size;
    acc->n++;
}

static cJSON *compression_json(const cml_model *m) {
    comp_acc acc = {.arr = cJSON_CreateArray()};
    inspect_visit_compressed(m, comp_collect, &acc);
    if (!acc.n) {
        cJSON_Delete(acc.arr);
        return cJSON_CreateNull();
    }
    const cml_compression *f = acc.first;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", acc.mixed_mode ? "mixed" : cml_compression_mode(f));
    if (f->palettized || f->quantized || f->fp16_storage) {
        unsigned bits = f->palettized ? f->lut_bits : f->quantized ? f->quant_bits : 16;
        if (!acc.mixed_bits) cJSON_AddNumberToObject(o, "nbits", bits);
        /* the most specific granularity seen names the scheme: a grouped
         * or blocked config degenerates to per-tensor/per-channel on
         * weights whose axis holds a single group or block */
        static const cml_granularity order[] = {CML_GRAN_BLOCKWISE_LUT, CML_GRAN_PER_BLOCK,
                                                CML_GRAN_PER_GROUPED_CHANNEL, CML_GRAN_PER_CHANNEL,
                                                CML_GRAN_PER_TENSOR};
        for (size_t i = 0; i < sizeof order / sizeof *order; i++)
            if (acc.gran_count[order[i]]) {
                cJSON_AddStringToObject(o, "granularity", cml_granularity_name(order[i]));
                break;
            }
        cJSON *gc = cJSON_CreateObject();
        for (int i = CML_GRAN_PER_TENSOR; i <= CML_GRAN_BLOCKWISE_LUT; i++)
            if (acc.gran_count[i]) cJSON_AddNumberToObject(gc, cml_granularity_name((cml_granularity)i), (double)acc.gran_count[i]);
        cJSON_AddItemToObject(o, "granularities", gc);
    }
    if (f->quantized && !f->palettized) cJSON_AddStringToObject(o, "dtype", cml_dtype_name(f->quant_dtype));
    if (acc.group_size) cJSON_AddNumberToObject(o, "group_size", (double)acc.group_size);
    if (acc.block_size) cJSON_AddNumberToObject(o, "block_size", (double)acc.block_size);
    if (acc.n_sparse) cJSON_AddNumberToObject(o, "sparsity", acc.sparsity_sum / (double)acc.n_sparse);
    cJSON_AddNumberToObject(o, "compressed_weights", (double)acc.n);
    cJSON_AddItemToObject(o, "weights", acc.arr);
    return o;
}

static cJSON *diags_json(const cml_model *m) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < m->n_diags; i++) {
        const cml_diag *d = m->diags[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "rule", d->rule_id);
        cJSON_AddStringToObject(o, "level", d->level >= 3 ? "error" : d->level == 2 ? "warning" : "note");
        cJSON_AddStringToObject(o, "message", d->message);
        cJSON_AddStringToObject(o, "artifact", d->loc.artifact ? d->loc.artifact : "");
        if (d->loc.has_bytes) cJSON_AddNumberToObject(o, "byte_offset", (double)d->loc.byte_offset);
        if (d->loc.line) cJSON_AddNumberToObject(o, "line", d->loc.line);
        if (d->loc.line) cJSON_AddNumberToObject(o, "column", d->loc.column);
        if (d->loc.logical) cJSON_AddStringToObject(o, "logical", d->loc.logical);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *model_json(const cml_model *m, int top) {
    cJSON *o = cJSON_CreateObject();
    if (top) {
        cJSON_AddStringToObject(o, "path", m->path ? m->path : "");
        cJSON_AddStringToObject(o, "format", cml_format_name(m->format));
    }
    cJSON_AddStringToObject(o, "model_type", m->type);
    cJSON_AddNumberToObject(o, "specification_version", m->spec_version);
    cJSON_AddItemToObject(o, "minimum_os", min_os_json(&m->min_os));
    if (!top) return o;
    cJSON_AddItemToObject(o, "inputs", features_json(m->inputs, m->n_inputs));
    cJSON_AddItemToObject(o, "outputs", features_json(m->outputs, m->n_outputs));
    if (m->n_states) cJSON_AddItemToObject(o, "states", features_json(m->states, m->n_states));
    if (m->n_training_inputs)
        cJSON_AddItemToObject(o, "training_inputs", features_json(m->training_inputs, m->n_training_inputs));
    if (m->n_function_descs) {
        cJSON *fa = cJSON_CreateArray();
        for (size_t i = 0; i < m->n_function_descs; i++) {
            const cml_function_desc *fd = m->function_descs[i];
            cJSON *fo = cJSON_CreateObject();
            cJSON_AddStringToObject(fo, "name", fd->name);
            cJSON_AddItemToObject(fo, "inputs", features_json(fd->inputs, fd->n_inputs));
            cJSON_AddItemToObject(fo, "outputs", features_json(fd->outputs, fd->n_outputs));
            cJSON_AddItemToObject(fo, "states", features_json(fd->states, fd->n_states));
            cJSON_AddItemToArray(fa, fo);
        }
        cJSON_AddItemToObject(o, "functions", fa);
    }
    if (m->default_function_name) cJSON_AddStringToObject(o, "default_function_name", m->default_function_name);
    if (m->predicted_feature_name) cJSON_AddStringToObject(o, "predicted_feature_name", m->predicted_feature_name);
    if (m->predicted_probabilities_name)
        cJSON_AddStringToObject(o, "predicted_probabilities_name", m->predicted_probabilities_name);
    cJSON_AddItemToObject(o, "metadata", metadata_json(&m->metadata));
    if (m->metadata_overlay) cJSON_AddItemToObject(o, "metadata_overlay", metadata_json(m->metadata_overlay));
    cJSON_AddBoolToObject(o, "is_updatable", m->is_updatable);
    if (m->class_label_kind) {
        cJSON *cl = cJSON_CreateObject();
        cJSON_AddStringToObject(cl, "kind", m->class_label_kind);
        cJSON_AddNumberToObject(cl, "count", (double)m->n_class_labels);
        cJSON_AddItemToObject(o, "class_labels", cl);
    }
    if (m->program_version || (m->n_functions && m->functions[0]->opset && *m->functions[0]->opset)) {
        cJSON *mil = cJSON_CreateObject();
        cJSON_AddNumberToObject(mil, "program_version", (double)m->program_version);
        cJSON *fo = cJSON_CreateObject();
        for (size_t i = 0; i < m->n_functions; i++) {
            const cml_function *fn = m->functions[i];
            cJSON *f = cJSON_CreateObject();
            size_t total = 0;
            cJSON *h = histo_json(fn, &total);
            cJSON_AddStringToObject(f, "opset", fn->opset ? fn->opset : "");
            cJSON_AddNumberToObject(f, "num_ops", (double)total);
            cJSON_AddItemToObject(f, "op_types", h);
            cJSON_AddItemToObject(fo, fn->name, f);
        }
        cJSON_AddItemToObject(mil, "functions", fo);
        cJSON_AddItemToObject(o, "mil", mil);
    } else if (m->nn_array_shape_mapping >= 0 && m->n_functions == 1) {
        cJSON *nn = cJSON_CreateObject();
        size_t total = 0;
        cJSON *h = histo_json(m->functions[0], &total);
        cJSON_AddNumberToObject(nn, "num_layers", (double)total);
        cJSON_AddItemToObject(nn, "layer_types", h);
        cJSON_AddNumberToObject(nn, "arrayInputShapeMapping", m->nn_array_shape_mapping);
        cJSON_AddNumberToObject(nn, "imageInputShapeMapping", m->nn_image_shape_mapping);
        cJSON_AddNumberToObject(nn, "num_preprocessing", (double)m->n_preprocess);
        cJSON_AddItemToObject(o, "neural_network", nn);
    }
    if (m->n_sub_models) {
        cJSON *sa = cJSON_CreateArray();
        for (size_t i = 0; i < m->n_sub_models; i++) {
            cJSON *so = model_json(m->sub_models[i], 0);
            cJSON_AddStringToObject(so, "name", m->sub_model_names[i]);
            cJSON_AddItemToArray(sa, so);
        }
        cJSON_AddItemToObject(o, "sub_models", sa);
    }
    if (m->n_weight_files) {
        cJSON *pk = cJSON_CreateObject();
        cJSON *wa = cJSON_CreateArray();
        for (size_t i = 0; i < m->n_weight_files; i++) {
            const cml_weight_file *wf = m->weight_files[i];
            cJSON *w = cJSON_CreateObject();
            cJSON_AddStringToObject(w, "file", wf->path);
            cJSON_AddNumberToObject(w, "size_bytes", (double)wf->size_bytes);
            cJSON_AddNumberToObject(w, "storage_version", wf->storage_version);
            cJSON_AddNumberToObject(w, "blob_count", wf->blob_count);
            cJSON_AddNumberToObject(w, "blobs_parsed", wf->blobs_parsed);
            cJSON_AddNumberToObject(w, "blobs_referenced", wf->blobs_referenced);
            cJSON *dt = cJSON_CreateObject();
            static const char *const blob_names[CML_DT_COUNT_] = {
                [CML_DT_FP16] = "float16", [CML_DT_FP32] = "float32", [CML_DT_UINT8] = "uint8",
                [CML_DT_INT8] = "int8", [CML_DT_BF16] = "bfloat16", [CML_DT_INT16] = "int16",
                [CML_DT_UINT16] = "uint16", [CML_DT_INT4] = "int4", [CML_DT_UINT1] = "uint1",
                [CML_DT_UINT2] = "uint2", [CML_DT_UINT4] = "uint4", [CML_DT_UINT3] = "uint3",
                [CML_DT_UINT6] = "uint6", [CML_DT_INT32] = "int32", [CML_DT_UINT32] = "uint32",
                [CML_DT_FP8E4M3FN] = "float8e4m3fn", [CML_DT_FP8E5M2] = "float8e5m2"};
            for (int d = 0; d < CML_DT_COUNT_; d++)
                if (wf->dtype_counts[d] && blob_names[d]) cJSON_AddNumberToObject(dt, blob_names[d], wf->dtype_counts[d]);
            cJSON_AddItemToObject(w, "blob_dtypes", dt);
            cJSON_AddNumberToObject(w, "blob_payload_bytes", (double)wf->payload_bytes);
            cJSON_AddItemToArray(wa, w);
        }
        cJSON_AddItemToObject(pk, "weights", wa);
        cJSON_AddItemToObject(o, "package", pk);
    }
    cJSON_AddItemToObject(o, "compression", compression_json(m));
    const char *why = NULL;
    double cov = ir_ane_op_coverage(m, &why);
    if (cov >= 0) {
        cJSON_AddNumberToObject(o, "ane_op_coverage_pct", round(cov * 10.0) / 10.0);
    } else {
        /* unknown, not 0: say why (Apple's built-in stages, compiled graphs) */
        cJSON_AddNullToObject(o, "ane_op_coverage_pct");
        if (why) cJSON_AddStringToObject(o, "ane_op_coverage_unknown", why);
    }
    if (m->unknown) {
        cJSON *u = cJSON_CreateArray();
        for (unsigned i = 0; i < CML_UNKNOWN_COUNT_; i++)
            if (m->unknown & (1u << i)) cJSON_AddItemToArray(u, cJSON_CreateString(cml_unknown_name(i)));
        cJSON_AddItemToObject(o, "unknown", u);
    }
    cJSON_AddNumberToObject(o, "size_bytes", (double)m->size_bytes);
    cJSON_AddNumberToObject(o, "spec_bytes", (double)m->spec_bytes);
    cJSON_AddNumberToObject(o, "weight_bytes", (double)m->weight_bytes);
    if (m->compiler_version) cJSON_AddStringToObject(o, "compiler_version", m->compiler_version);
    cJSON_AddItemToObject(o, "load_problems", diags_json(m));
    return o;
}

cJSON *inspect_json(const cml_model *m) { return model_json(m, 1); }

/* ---- text ------------------------------------------------------------------ */

/* Model text for one printf: the sanitizer's one-line form (no control
 * characters, escapes, workflow commands or invalid UTF-8), cut at 4 KiB,
 * from a ring of buffers so that one call may take several. */
static const char *S(const char *s) {
    static char ring[12][4096];
    static unsigned k;
    return san_buf(ring[k++ % 12], sizeof ring[0], s, SAN_LINE);
}

static void fmt_shape(char *buf, size_t n, const cml_shape *s) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int32_t i = 0; i < s->rank && k < n; i++) {
        if (s->dims[i] < 0) k += (size_t)snprintf(buf + k, n - k, "%s?", i ? ", " : "");
        else k += (size_t)snprintf(buf + k, n - k, "%s%" PRId64, i ? ", " : "", s->dims[i]);
    }
    if (k < n) snprintf(buf + k, n - k, "]");
}

static void fmt_bytes(char *buf, size_t n, uint64_t b) {
    if (b >= 10u << 20) snprintf(buf, n, "%.1f MB", (double)b / 1e6);
    else if (b >= 10u << 10) snprintf(buf, n, "%.1f kB", (double)b / 1e3);
    else snprintf(buf, n, "%" PRIu64 " B", b);
}

static void text_features(FILE *out, const char *title, const cml_feature *const *fs, size_t n) {
    if (!n) return;
    fprintf(out, "  %s:\n", title);
    for (size_t i = 0; i < n; i++) {
        const cml_feature *f = fs[i];
        char dt[64], sh[256] = "";
        feature_dtype(f, dt, sizeof dt);
        if (f->kind == CML_FEAT_MULTIARRAY || f->kind == CML_FEAT_STATE) fmt_shape(sh, sizeof sh, &f->shape);
        else if (f->kind == CML_FEAT_IMAGE)
            snprintf(sh, sizeof sh, "%s %" PRId64 "x%" PRId64, cml_color_name(f->color), f->width, f->height);
        fprintf(out, "    %-24s %-11s %-10s %s", S(f->name), cml_feature_kind_name(f->kind), dt, sh);
        if (f->flex == CML_FLEX_RANGE) {
            fprintf(out, "  flexible: ");
            for (size_t r = 0; r < f->n_ranges; r++) {
                const char *dim = f->kind == CML_FEAT_IMAGE ? (r == 0 ? "height " : "width ") : "";
                if (f->ranges[r].upper < 0)
                    fprintf(out, "%s%s%" PRId64 "..unbounded", r ? ", " : "", dim, f->ranges[r].lower);
                else if (f->ranges[r].upper == f->ranges[r].lower)
                    fprintf(out, "%s%s%" PRId64, r ? ", " : "", dim, f->ranges[r].lower);
                else
                    fprintf(out, "%s%s%" PRId64 "..%" PRId64, r ? ", " : "", dim, f->ranges[r].lower, f->ranges[r].upper);
            }
        } else if (f->flex == CML_FLEX_ENUMERATED) {
            fprintf(out, "  flexible: %zu enumerated shapes", f->n_enumerated);
        }
        if (f->optional) fprintf(out, "  (optional)");
        fputc('\n', out);
    }
}

static void text_model(FILE *out, const cml_model *m, int indent);

static void text_comp_line(const cml_op *op, const cml_value *v, void *ud) {
    FILE *out = ud;
    const cml_compression *c = v->compression;
    fprintf(out, "    %-40s %-22s", S(op->loc.logical ? op->loc.logical : op->name), cml_compression_mode(c));
    if (c->palettized) {
        fprintf(out, " %u-bit LUT %s", c->lut_bits, cml_granularity_name(c->lut_granularity));
        if (c->lut_group_size) fprintf(out, " (group %" PRIu64 ")", c->lut_group_size);
    }
    if (c->quantized) {
        fprintf(out, " %s %s", cml_dtype_name(c->quant_dtype), cml_granularity_name(c->quant_granularity));
        if (c->quant_block_size) fprintf(out, " (block %" PRIu64 ")", c->quant_block_size);
    }
    if (c->sparse) fprintf(out, " sparsity %.1f%%", c->sparsity * 100.0);
    char sb[32];
    fmt_bytes(sb, sizeof sb, c->stored_bytes);
    fprintf(out, " [%s for %" PRIu64 " weights]\n", sb, c->dense_elements);
}

static void count_one(const cml_op *op, const cml_value *v, void *ud) {
    (void)op;
    (void)v;
    (*(size_t *)ud)++;
}

static int i64_cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* One line on a classic model's parameters (its op in m->classic). */
static void text_classic(FILE *out, const cml_model *m, int indent) {
    if (!m->classic || !m->classic->block || m->classic->block->n_ops != 1 || m->n_sub_models) return;
    const cml_op *op = m->classic->block->ops[0];
    const cml_attr *a;
    fprintf(out, "%*sparameters:    ", indent, "");
    if ((a = cml_op_attr(op, "treeEnsemble.nodes.treeId")) && a->kind == CML_ATTR_INTS) {
        size_t trees = 0, leaves = 0;
        int64_t *ids = malloc((a->n ? a->n : 1) * sizeof *ids);
        if (ids) {
            memcpy(ids, a->ints, a->n * sizeof *ids);
            qsort(ids, a->n, sizeof *ids, i64_cmp);
            for (size_t i = 0; i < a->n; i++) trees += !i || ids[i] != ids[i - 1];
            free(ids);
        }
        const cml_attr *b = cml_op_attr(op, "treeEnsemble.nodes.nodeBehavior");
        /* SOURCE: TreeEnsemble.proto TreeNodeBehavior LeafNode = 6 */
        for (size_t i = 0; b && b->kind == CML_ATTR_INTS && i < b->n; i++) leaves += b->ints[i] == 6;
        const cml_attr *d = cml_op_attr(op, "treeEnsemble.numPredictionDimensions");
        fprintf(out, "%zu trees, %zu nodes (%zu leaves), %lld prediction dimension(s)", trees, a->n, leaves,
                d ? (long long)d->i : 0LL);
    } else if ((a = cml_op_attr(op, "weights.value#count")) && a->kind == CML_ATTR_INTS) {
        const cml_attr *e = cml_op_attr(op, "classEncoding");
        fprintf(out, "%zu weight row(s) x %lld features%s%s", a->n, a->n ? (long long)a->ints[0] : 0LL, e ? ", " : "",
                S(e && e->kind == CML_ATTR_STRING ? e->s : ""));
    } else if (!strcmp(op->kind, "scaler")) {
        const cml_attr *sh = cml_op_attr(op, "shiftValue"), *sc = cml_op_attr(op, "scaleValue");
        fprintf(out, "%zu shift and %zu scale value(s)", sh ? sh->n : 0, sc ? sc->n : 0);
    } else if ((a = cml_op_attr(op, "inputList.inputColumn")) && a->kind == CML_ATTR_STRINGS) {
        fprintf(out, "%zu input column(s)", a->n);
    } else if (!strcmp(op->kind, "dictVectorizer") || !strcmp(op->kind, "oneHotEncoder")) {
        /* SOURCE: DictVectorizer.proto (stringToIndex / int64ToIndex) and
         * OneHotEncoder.proto (stringCategories / int64Categories), each a
         * StringVector / Int64Vector whose `vector` holds the keys */
        bool dv = !strcmp(op->kind, "dictVectorizer");
        const cml_attr *k = cml_op_attr(op, dv ? "stringToIndex.vector" : "stringCategories.vector");
        bool str = k != NULL;
        if (!k) k = cml_op_attr(op, dv ? "int64ToIndex.vector" : "int64Categories.vector");
        if (k) fprintf(out, "%zu %s %s", k->n, str ? "string" : "int64", dv ? "key(s)" : "categories");
        else fprintf(out, "no %s", dv ? "keys" : "categories");
    } else {
        fprintf(out, "%zu attribute(s)", op->n_attrs);
    }
    const cml_attr *t = cml_op_attr(op, "postEvaluationTransform");
    if (t && t->kind == CML_ATTR_STRING) fprintf(out, ", %s", S(t->s));
    fputc('\n', out);
}

/* The newest specification version of m and everything nested in it, and
 * the first (depth-first) model that declares it. */
static int newest_spec(const cml_model *m, const cml_model **who, int depth) {
    int best = m->spec_version;
    *who = m;
    for (size_t i = 0; i < m->n_sub_models && depth < 32; i++) {
        const cml_model *w;
        int s = newest_spec(m->sub_models[i], &w, depth + 1);
        if (s > best) best = s, *who = w;
    }
    return best;
}

static const char *sub_name(const cml_model *m, const cml_model *who) {
    for (size_t i = 0; i < m->n_sub_models; i++)
        if (m->sub_models[i] == who) return m->sub_model_names[i];
    for (size_t i = 0; i < m->n_sub_models; i++) {
        const char *n = sub_name(m->sub_models[i], who);
        if (n) return n;
    }
    return NULL;
}

static void text_model(FILE *out, const cml_model *m, int indent) {
    char sb[32];
    const cml_os_versions *os = &m->min_os;
    fprintf(out, "%*sformat:        %s\n", indent, "", cml_format_name(m->format));
    fprintf(out, "%*stype:          %s\n", indent, "", S(m->type));
    if (m->unknown & CML_UNKNOWN_SPEC_VERSION) fprintf(out, "%*sspec version:  unknown\n", indent, "");
    else fprintf(out, "%*sspec version:  %d\n", indent, "", m->spec_version);
    /* the minimum OS covers every nested model: say which one sets it */
    if (os->ios) {
        const cml_model *who;
        int ns = newest_spec(m, &who, 0);
        const char *name = who != m ? sub_name(m, who) : NULL;
        fprintf(out, "%*sminimum OS:    iOS %s, macOS %s, tvOS %s, watchOS %s%s%s", indent, "", S(os->ios),
                S(os->macos ? os->macos : "-"), S(os->tvos ? os->tvos : "-"), S(os->watchos ? os->watchos : "-"),
                os->visionos ? ", visionOS " : "", S(os->visionos ? os->visionos : ""));
        if (name && ns > m->spec_version) fprintf(out, " (sub-model %s is specification %d)", S(name), ns);
        fputc('\n', out);
    }
    text_classic(out, m, indent);
    if (indent) return;
    fmt_bytes(sb, sizeof sb, m->size_bytes);
    fprintf(out, "size:          %s\n", sb);
    if (m->is_updatable) fprintf(out, "updatable:     yes\n");
    fprintf(out, "interface:\n");
    text_features(out, "inputs", m->inputs, m->n_inputs);
    text_features(out, "outputs", m->outputs, m->n_outputs);
    text_features(out, "states", m->states, m->n_states);
    for (size_t i = 0; i < m->n_function_descs; i++) {
        const cml_function_desc *fd = m->function_descs[i];
        fprintf(out, "  function %s%s:\n", S(fd->name),
                m->default_function_name && !strcmp(m->default_function_name, fd->name) ? " (default)" : "");
        text_features(out, "inputs", fd->inputs, fd->n_inputs);
        text_features(out, "outputs", fd->outputs, fd->n_outputs);
        text_features(out, "states", fd->states, fd->n_states);
    }
    if (m->predicted_feature_name) fprintf(out, "  predicts:    %s\n", S(m->predicted_feature_name));
    if (m->class_label_kind) fprintf(out, "  class labels: %zu (%s)\n", m->n_class_labels, S(m->class_label_kind));
    for (size_t i = 0; i < m->n_preprocess; i++) {
        const cml_preprocess *p = m->preprocess[i];
        if (p->is_scaler)
            fprintf(out, "  preprocess %s: scale %g, bias r %g g %g b %g gray %g\n", S(*p->feature ? p->feature : "(image)"),
                    p->scale, p->red_bias, p->green_bias, p->blue_bias, p->gray_bias);
        else if (p->is_mean_image)
            fprintf(out, "  preprocess %s: mean image (%zu values)\n", S(*p->feature ? p->feature : "(image)"), p->n_mean);
    }
    const cml_metadata *md = &m->metadata;
    fprintf(out, "metadata:%s\n", md->present ? "" : " (none)");
    if (md->present) {
        if (*md->author) fprintf(out, "  author:      %s\n", S(md->author));
        if (*md->license) fprintf(out, "  license:     %s\n", S(md->license));
        if (*md->short_description) fprintf(out, "  description: %s\n", S(md->short_description));
        if (*md->version) fprintf(out, "  version:     %s\n", S(md->version));
        for (size_t i = 0; i < md->n_user; i++) {
            /* sanitized as one line: a key ":" and the ": " after it made
             * "  :: " at the start of a line, which neither part is alone */
            char line[4096];
            snprintf(line, sizeof line, "  %s: %s", md->user[i].key ? md->user[i].key : "",
                     md->user[i].value ? md->user[i].value : "");
            fprintf(out, "%s\n", S(line));
        }
    }
    if (m->metadata_overlay) {
        const cml_metadata *ov = m->metadata_overlay;
        fprintf(out, "metadata overlay (Xcode's Metadata.json):\n");
        if (*ov->author) fprintf(out, "  author:      %s\n", S(ov->author));
        if (*ov->license) fprintf(out, "  license:     %s\n", S(ov->license));
        if (*ov->short_description) fprintf(out, "  description: %s\n", S(ov->short_description));
        if (*ov->version) fprintf(out, "  version:     %s\n", S(ov->version));
    }
    for (size_t i = 0; i < m->n_functions; i++) {
        const cml_function *fn = m->functions[i];
        histo hs;
        histo_of(&hs, fn);
        if (fn->opset && *fn->opset) fprintf(out, "function %s (%s): %zu ops\n", S(fn->name), S(fn->opset), hs.total);
        else if (m->unknown & CML_UNKNOWN_GRAPH) fprintf(out, "neural network: layers unknown (compiled; not read)\n");
        else fprintf(out, "neural network: %zu layers\n", hs.total);
        for (size_t j = 0; j < hs.n; j++) fprintf(out, "  %6zu  %s\n", hs.h[j].n, S(hs.h[j].kind));
        free(hs.h);
    }
    for (size_t i = 0; i < m->n_sub_models; i++) {
        fprintf(out, "sub-model %zu (%s):\n", i, S(m->sub_model_names[i]));
        text_model(out, m->sub_models[i], 2);
    }
    for (size_t i = 0; i < m->n_weight_files; i++) {
        const cml_weight_file *wf = m->weight_files[i];
        fmt_bytes(sb, sizeof sb, wf->size_bytes);
        fprintf(out, "weights %s: %s, storage v%u, %u blobs (%u referenced):", S(wf->path), sb, wf->storage_version,
                wf->blob_count, wf->blobs_referenced);
        for (int d = 0; d < CML_DT_COUNT_; d++)
            if (wf->dtype_counts[d]) fprintf(out, " %s %u", cml_dtype_name((cml_dtype)d), wf->dtype_counts[d]);
        fputc('\n', out);
    }
    uint64_t inline_bytes = 0;
    size_t n_inline = 0;
    /* numbers only: every ML Program op carries its name as an inline
     * string value, and mode keywords ("valid", "fp16") are strings too,
     * which made "inline constants: 3" of a program with no const op */
    for (size_t i = 0; i < m->n_weights; i++)
        if (m->weights[i]->storage == CML_STORE_INLINE && m->weights[i]->dtype != CML_DT_STRING) {
            inline_bytes += m->weights[i]->nbytes;
            n_inline++;
        }
    if (n_inline) {
        fmt_bytes(sb, sizeof sb, inline_bytes);
        fprintf(out, "inline constants: %zu (%s)\n", n_inline, sb);
    }
    size_t n_comp = 0;
    inspect_visit_compressed(m, count_one, &n_comp);
    if (n_comp) {
        fprintf(out, "compression: %zu weights\n", n_comp);
        inspect_visit_compressed(m, text_comp_line, out);
    } else {
        fprintf(out, "compression: none\n");
    }
    if (m->n_diags) {
        fprintf(out, "load problems:\n");
        for (size_t i = 0; i < m->n_diags; i++)
            fprintf(out, "  %s: %s [%s]\n", m->diags[i]->level >= 3 ? "error" : m->diags[i]->level == 2 ? "warning" : "note",
                    S(m->diags[i]->message), S(m->diags[i]->rule_id));
    }
}

void inspect_text(FILE *out, const cml_model *m) {
    fprintf(out, "%s\n", S(m->path ? m->path : ""));
    text_model(out, m, 0);
}

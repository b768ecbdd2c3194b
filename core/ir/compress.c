/* SPDX-License-Identifier: Apache-2.0 */
/* ir_compress.c — the compression pass: derive what compression did to
 * each weight.
 *
 * Runs after the IR is built. For ML Programs it walks every constexpr_*
 * op in program order and attaches a cml_compression to its outputs,
 * merging the facts of upstream constexpr ops so a joint chain
 * (lut_to_sparse -> sparse_to_dense, LUT -> per-channel scale, ...) ends in
 * one summary on the value the compute op consumes. For NeuralNetwork
 * models it reads WeightParams quantization (linear / LUT) and fp16 storage.
 *
 * Where parameters live: opsets CoreML6/7 put constexpr parameters in op
 * attributes, CoreML8+ in op inputs; ir_op_param looks in both.
 * SOURCE: coremltools converters/mil/backend/mil/load.py:215-251;
 * op semantics from coremltools converters/mil/mil/ops/defs/iOS16/
 * constexpr_ops.py and iOS18/compression.py (rules-knowledge 3.1-3.3).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ir/weights.h"
#include "ir/model.h"

static unsigned log2u(uint64_t x) {
    unsigned r = 0;
    while (x > 1) { x >>= 1; r++; }
    return r;
}

/* Stored bytes of a value's data, plus everything upstream in the chain. */
static uint64_t leaf_bytes(const cml_value *v) {
    if (!v) return 0;
    if (v->weight) return v->weight->nbytes;
    if (v->compression) return v->compression->stored_bytes;
    return 0;
}

static cml_compression *new_comp(lmodel *lm, const cml_value *upstream_a, const cml_value *upstream_b) {
    cml_compression *c = arena_alloc(lm->a, sizeof *c);
    if (!c) return NULL;
    c->lut_axis = -1;
    c->quant_axis = -1;
    /* inherit facts of an upstream constexpr (joint compression) */
    const cml_compression *ups[2] = {upstream_a ? upstream_a->compression : NULL,
                                     upstream_b ? upstream_b->compression : NULL};
    for (int k = 0; k < 2; k++) {
        const cml_compression *u = ups[k];
        if (!u) continue;
        if (u->palettized) {
            c->palettized = true;
            c->lut_bits = u->lut_bits;
            c->lut_granularity = u->lut_granularity;
            c->lut_axis = u->lut_axis;
            c->lut_group_size = u->lut_group_size;
            c->lut_count = u->lut_count;
            c->lut_vector_size = u->lut_vector_size;
            c->lut_dtype = u->lut_dtype;
        }
        if (u->quantized) {
            c->quantized = true;
            c->quant_bits = u->quant_bits;
            c->quant_dtype = u->quant_dtype;
            c->quant_granularity = u->quant_granularity;
            c->quant_axis = u->quant_axis;
            c->quant_block_size = u->quant_block_size;
            c->quant_symmetric = u->quant_symmetric;
        }
        if (u->sparse) {
            c->sparse = true;
            c->sparsity = u->sparsity;
            c->nonzero_count = u->nonzero_count;
        }
        c->per_channel_scale |= u->per_channel_scale;
        c->fp16_storage |= u->fp16_storage;
    }
    return c;
}

static void set_dense(cml_compression *c, const cml_op *op, size_t out_idx) {
    if (op->n_outputs > out_idx) {
        const cml_value *o = op->outputs[out_idx];
        c->dense_dtype = o->type.dtype;
        c->dense_shape = o->type.shape;
        c->dense_elements = cml_shape_elems(&o->type.shape);
    }
}

static const char *chain_of(lmodel *lm, const cml_op *op, const cml_value *a, const cml_value *b) {
    const char *up = NULL;
    if (a && a->compression && a->compression->chain) up = a->compression->chain;
    else if (b && b->compression && b->compression->chain) up = b->compression->chain;
    if (!up) return op->kind;
    /* real chains are two or three ops long; a longer one stops growing
     * and ends in "...", shared by the ops after it (8,000 chained
     * constexpr_cast ops each copied the whole chain: 288 MB) */
    size_t n = strlen(up);
    if (n > 256) return n >= 4 && !strcmp(up + n - 4, ">...") ? up : arena_printf(lm->a, "%s>...", up);
    return arena_printf(lm->a, "%s>%s", up, op->kind);
}

static void attach(const cml_op *op, cml_compression *c) {
    for (size_t i = 0; i < op->n_outputs; i++) ((cml_value *)op->outputs[i])->compression = c;
}

/* Values of a small int tensor parameter (shape / axis). */
static int param_ints(const cml_value *v, int64_t *out, size_t max, size_t *n) {
    *n = 0;
    if (!v || !v->weight) return -1;
    uint64_t cnt = ir_weight_count(v->weight);
    for (uint64_t i = 0; i < cnt && *n < max; i++)
        if (ir_weight_i64(v->weight, i, &out[(*n)++]) != 0) return -1;
    return 0;
}

/* LUT facts for the iOS18 form: lut [g_0..g_{K-1}, P, V] against an
 * indices (or mask) shape of rank K. SOURCE: iOS18/compression.py:168-386. */
static void lut_facts_ios18(cml_compression *c, const cml_value *lut, const cml_shape *ishape, unsigned nbits) {
    const cml_shape *ls = &lut->type.shape;
    c->palettized = true;
    c->lut_dtype = lut->type.dtype;
    c->lut_bits = nbits;
    c->lut_granularity = CML_GRAN_PER_TENSOR;
    c->lut_count = 1;
    if (ls->rank < 2) return;
    int64_t P = ls->dims[ls->rank - 2];
    if (!nbits && P > 0) c->lut_bits = log2u((uint64_t)P);
    c->lut_vector_size = ls->dims[ls->rank - 1] > 0 ? (uint64_t)ls->dims[ls->rank - 1] : 1;
    int K = ls->rank - 2, grouped = 0, axis = -1;
    for (int d = 0; d < K; d++) {
        if (ls->dims[d] > 1) {
            grouped++;
            axis = d;
            /* a hostile shape's product wraps: then no count (0) */
            if (c->lut_count && __builtin_mul_overflow(c->lut_count, (uint64_t)ls->dims[d], &c->lut_count))
                c->lut_count = 0;
        }
    }
    if (grouped == 1) {
        c->lut_axis = axis;
        if (ishape && ishape->rank == K && ishape->dims[axis] > 0 && ls->dims[axis] > 0)
            c->lut_group_size = (uint64_t)(ishape->dims[axis] / ls->dims[axis]);
        c->lut_granularity = c->lut_group_size == 1 ? CML_GRAN_PER_CHANNEL : CML_GRAN_PER_GROUPED_CHANNEL;
    } else if (grouped > 1) {
        c->lut_granularity = CML_GRAN_BLOCKWISE_LUT;
    }
}

/* Quantization facts from data/scale shapes. SOURCE: iOS18/compression.py
 * constexpr_blockwise_shift_scale; coremltools optimize/_utils.py:459-533
 * infer_block_sizes (granularity naming). */
static void quant_facts(cml_compression *c, const cml_shape *ds, const cml_shape *ss, cml_dtype data_dtype) {
    c->quantized = true;
    c->quant_dtype = data_dtype;
    c->quant_bits = cml_dtype_bits(data_dtype);
    c->quant_granularity = CML_GRAN_PER_TENSOR;
    if (!ds || !ss || ds->rank < 0 || ss->rank != ds->rank) {
        if (ss && cml_shape_elems(ss) > 1) c->quant_granularity = CML_GRAN_PER_CHANNEL;
        return;
    }
    int full = 0, blocked = -1, full_axis = -1;
    for (int d = 0; d < ds->rank; d++) {
        int64_t D = ds->dims[d], Sd = ss->dims[d];
        if (D <= 0 || Sd <= 0) continue;
        if (Sd == 1) continue;
        if (Sd == D) { full++; full_axis = d; continue; }
        if (D % Sd == 0) { blocked = d; c->quant_block_size = (uint64_t)(D / Sd); }
    }
    if (blocked >= 0) {
        c->quant_granularity = CML_GRAN_PER_BLOCK;
        c->quant_axis = blocked;
    } else if (full == 1) {
        c->quant_granularity = CML_GRAN_PER_CHANNEL;
        c->quant_axis = full_axis;
    } else if (full > 1) {
        c->quant_granularity = CML_GRAN_PER_BLOCK;
        c->quant_axis = full_axis;
        c->quant_block_size = 1;
    }
}

static int all_values_equal(const cml_value *v, double target) {
    if (!v || !v->weight) return 1;
    uint64_t n = ir_weight_count(v->weight);
    if (n > 1u << 20) n = 1u << 20;
    for (uint64_t i = 0; i < n; i++) {
        double x;
        if (ir_weight_f64(v->weight, i, &x) != 0 || x != target) return 0;
    }
    return 1;
}

static void sparsity_from_mask(cml_compression *c, const cml_value *mask, uint64_t total, uint64_t d_hint) {
    c->sparse = true;
    uint64_t nz = d_hint;
    if (mask && mask->weight && total) {
        uint64_t pc = ir_weight_popcount(mask->weight, total);
        if (pc) nz = pc;
    }
    c->nonzero_count = nz;
    if (total) c->sparsity = 1.0 - (double)nz / (double)total;
}

static void compress_op(lmodel *lm, const cml_op *op) {
    const char *k = op->kind;
    if (strncmp(k, "constexpr_", 10) != 0) return;
    if (!strcmp(k, "constexpr_lut_to_dense")) {
        const cml_value *idx = ir_op_param(op, "indices"), *lut = ir_op_param(op, "lut");
        if (!lut) return;
        cml_compression *c = new_comp(lm, lut, idx);
        if (!c) return;
        if (lut->type.shape.rank == 1) {
            /* iOS16 form: one per-tensor LUT of 2^nbits entries;
             * SOURCE: iOS16/constexpr_ops.py:176-275 */
            c->palettized = true;
            c->lut_dtype = lut->type.dtype;
            c->lut_bits = log2u((uint64_t)(lut->type.shape.dims[0] > 0 ? lut->type.shape.dims[0] : 1));
            c->lut_granularity = CML_GRAN_PER_TENSOR;
            c->lut_count = 1;
            c->lut_vector_size = 1;
        } else {
            lut_facts_ios18(c, lut, idx ? &idx->type.shape : NULL, idx ? cml_dtype_bits(idx->type.dtype) : 0);
        }
        if (lut->compression && lut->compression->quantized) c->lut_dtype = lut->compression->quant_dtype;
        set_dense(c, op, 0);
        c->stored_bytes = leaf_bytes(idx) + leaf_bytes(lut);
        c->chain = chain_of(lm, op, lut, idx);
        attach(op, c);
    } else if (!strcmp(k, "constexpr_affine_dequantize")) {
        /* SOURCE: iOS16/constexpr_ops.py:17-126 */
        const cml_value *q = ir_op_param(op, "quantized_data"), *zp = ir_op_param(op, "zero_point"),
                        *sc = ir_op_param(op, "scale");
        const cml_attr *ax = ir_op_attr(op, "axis");
        cml_compression *c = new_comp(lm, NULL, NULL);
        if (!c || !q) return;
        c->quantized = true;
        c->quant_dtype = q->type.dtype;
        c->quant_bits = 8;
        uint64_t ns = sc ? cml_shape_elems(&sc->type.shape) : 1;
        c->quant_granularity = ns > 1 ? CML_GRAN_PER_CHANNEL : CML_GRAN_PER_TENSOR;
        if (ns > 1 && ax && ax->kind == CML_ATTR_INT) c->quant_axis = (int32_t)ax->i;
        /* symmetric: zero point 0 (int8) or the uint8 mid-point 127/128
         * SOURCE: coremltools optimize/_utils.py:45-62 */
        c->quant_symmetric = q->type.dtype == CML_DT_UINT8 ? (all_values_equal(zp, 127) || all_values_equal(zp, 128))
                                                           : all_values_equal(zp, 0);
        set_dense(c, op, 0);
        c->stored_bytes = leaf_bytes(q) + leaf_bytes(zp) + leaf_bytes(sc);
        c->chain = op->kind;
        attach(op, c);
    } else if (!strcmp(k, "constexpr_blockwise_shift_scale")) {
        const cml_value *data = ir_op_param(op, "data"), *sc = ir_op_param(op, "scale"),
                        *off = ir_op_param(op, "offset");
        if (!data) return;
        cml_compression *c = new_comp(lm, data, NULL);
        if (!c) return;
        if (data->compression && data->compression->palettized && cml_dtype_is_float(data->type.dtype)) {
            /* LUT output scaled per channel. SOURCE: optimize/coreml/
             * _quantization_passes.py:1136-1150 (enable_per_channel_scale) */
            c->per_channel_scale = true;
        } else {
            quant_facts(c, &data->type.shape, sc ? &sc->type.shape : NULL, data->type.dtype);
            c->quant_symmetric = off == NULL || all_values_equal(off, 0);
        }
        set_dense(c, op, 0);
        c->stored_bytes = leaf_bytes(data) + leaf_bytes(sc) + leaf_bytes(off);
        c->chain = chain_of(lm, op, data, NULL);
        attach(op, c);
    } else if (!strcmp(k, "constexpr_sparse_to_dense")) {
        /* SOURCE: iOS16/constexpr_ops.py:277-362, iOS18/compression.py:389-458 */
        const cml_value *nz = ir_op_param(op, "nonzero_data"), *mask = ir_op_param(op, "mask"),
                        *shp = ir_op_param(op, "shape");
        cml_compression *c = new_comp(lm, nz, mask);
        if (!c) return;
        uint64_t total = 0;
        if (shp) {
            int64_t dims[16];
            size_t nd = 0;
            if (param_ints(shp, dims, 16, &nd) == 0 && nd) {
                total = 1;
                for (size_t i = 0; i < nd; i++)
                    if (__builtin_mul_overflow(total, dims[i] > 0 ? (uint64_t)dims[i] : 0, &total)) total = 0;
            }
        }
        if (!total && mask && mask->type.dtype == CML_DT_UINT1) total = cml_shape_elems(&mask->type.shape);
        if (!total && op->n_outputs) total = cml_shape_elems(&op->outputs[0]->type.shape);
        uint64_t d = nz ? cml_shape_elems(&nz->type.shape) : 0;
        sparsity_from_mask(c, mask, total, d);
        set_dense(c, op, 0);
        c->stored_bytes = leaf_bytes(nz) + leaf_bytes(mask) + leaf_bytes(shp);
        if (nz && nz->compression && mask && mask->compression == nz->compression)
            c->stored_bytes = leaf_bytes(nz); /* both outputs of one upstream op */
        c->chain = chain_of(lm, op, nz, mask);
        attach(op, c);
    } else if (!strcmp(k, "constexpr_lut_to_sparse")) {
        /* SOURCE: iOS18/compression.py:461-634 */
        const cml_value *im = ir_op_param(op, "indices_mask"), *inz = ir_op_param(op, "indices_nonzero_data"),
                        *lut = ir_op_param(op, "lut");
        cml_compression *c = new_comp(lm, lut, NULL);
        if (!c || !lut) return;
        lut_facts_ios18(c, lut, im ? &im->type.shape : NULL, inz ? cml_dtype_bits(inz->type.dtype) : 0);
        uint64_t total = im ? cml_shape_elems(&im->type.shape) : 0;
        sparsity_from_mask(c, im, total, inz ? cml_shape_elems(&inz->type.shape) : 0);
        if (op->n_outputs) {
            c->dense_dtype = lut->type.dtype;
            c->dense_shape = im ? im->type.shape : (cml_shape){-1, NULL};
            c->dense_elements = total;
        }
        c->stored_bytes = leaf_bytes(im) + leaf_bytes(inz) + leaf_bytes(lut);
        c->chain = chain_of(lm, op, lut, NULL);
        attach(op, c);
    } else if (!strcmp(k, "constexpr_sparse_blockwise_shift_scale")) {
        /* SOURCE: iOS18/compression.py:637-746 */
        const cml_value *dm = ir_op_param(op, "data_mask"), *nz = ir_op_param(op, "nonzero_data"),
                        *sc = ir_op_param(op, "scale"), *off = ir_op_param(op, "offset");
        cml_compression *c = new_comp(lm, NULL, NULL);
        if (!c || !nz) return;
        quant_facts(c, dm ? &dm->type.shape : NULL, sc ? &sc->type.shape : NULL, nz->type.dtype);
        c->quant_symmetric = off == NULL || all_values_equal(off, 0);
        uint64_t total = dm ? cml_shape_elems(&dm->type.shape) : 0;
        sparsity_from_mask(c, dm, total, cml_shape_elems(&nz->type.shape));
        c->dense_shape = dm ? dm->type.shape : (cml_shape){-1, NULL};
        c->dense_elements = total;
        c->dense_dtype = sc ? sc->type.dtype : CML_DT_UNKNOWN;
        c->stored_bytes = leaf_bytes(dm) + leaf_bytes(nz) + leaf_bytes(sc) + leaf_bytes(off);
        c->chain = op->kind;
        attach(op, c);
    } else if (!strcmp(k, "constexpr_cast")) {
        /* SOURCE: iOS16/constexpr_ops.py:133-173 — fp16 storage, fp32 op */
        const cml_value *src = ir_op_param(op, "source_val");
        cml_compression *c = new_comp(lm, src, NULL);
        if (!c) return;
        c->fp16_storage = true;
        set_dense(c, op, 0);
        c->stored_bytes = leaf_bytes(src);
        c->chain = chain_of(lm, op, src, NULL);
        attach(op, c);
    }
}

static void walk_block(lmodel *lm, const cml_block *b, int depth) {
    if (!b || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        compress_op(lm, op);
        for (size_t j = 0; j < op->n_blocks; j++) walk_block(lm, op->blocks[j], depth + 1);
    }
}

/* NN WeightParams. SOURCE: mlmodel/format/NeuralNetwork.proto:1331-1411
 * (QuantizationParams: numberOfBits, linearQuantization {scale, bias},
 * lookupTableQuantization {floatValue}); rules-knowledge 3.3. */
static void nn_weights(lmodel *lm, const cml_block *b, int depth) {
    if (!b || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        for (size_t j = 0; j < op->n_attrs; j++) {
            const cml_attr *at = op->attrs[j];
            if (at->kind != CML_ATTR_VALUE || !at->value || !at->value->weight) continue;
            const cml_weight *w = at->value->weight;
            if (!w->quant_bits && w->dtype != CML_DT_FP16) continue;
            cml_compression *c = new_comp(lm, NULL, NULL);
            if (!c) return;
            c->dense_dtype = CML_DT_FP32;
            c->dense_shape = w->shape;
            c->dense_elements = w->n_elements;
            c->stored_bytes = w->nbytes;
            if (w->quant_lut) {
                c->palettized = true;
                c->lut_bits = w->quant_bits;
                c->lut_granularity = CML_GRAN_PER_TENSOR;
                c->lut_count = 1;
                c->lut_vector_size = 1;
                c->lut_dtype = CML_DT_FP32;
                c->chain = "WeightParams.lookupTableQuantization";
            } else if (w->quant_linear) {
                c->quantized = true;
                c->quant_bits = w->quant_bits;
                c->quant_dtype = w->quant_bits == 8 ? CML_DT_UINT8 : w->dtype;
                c->quant_granularity = w->n_quant_scale > 1 ? CML_GRAN_PER_CHANNEL : CML_GRAN_PER_TENSOR;
                c->quant_axis = w->n_quant_scale > 1 ? 0 : -1;
                c->chain = "WeightParams.linearQuantization";
            } else {
                c->fp16_storage = true;
                c->chain = "WeightParams.float16Value";
            }
            ((cml_value *)at->value)->compression = c;
        }
        for (size_t j = 0; j < op->n_blocks; j++) nn_weights(lm, op->blocks[j], depth + 1);
    }
}

void ir_pass_compression(lmodel *lm, cml_model *m) {
    if (!m) return;
    for (size_t f = 0; f < m->n_functions; f++) {
        const cml_function *fn = m->functions[f];
        if (m->program_version || (fn->opset && *fn->opset)) walk_block(lm, fn->block, 0);
        else nn_weights(lm, fn->block, 0);
    }
    for (size_t i = 0; i < m->n_sub_models; i++) ir_pass_compression(lm, (cml_model *)m->sub_models[i]);
}

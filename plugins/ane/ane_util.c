/* SPDX-License-Identifier: Apache-2.0 */
/* ane_util.c — the shared helpers of the "ane" plugin declared in ane.h: op
 * lists, the program-order walk (an op, then the ops of its nested blocks),
 * the visit of every function of a model and its pipeline sub-models, input
 * look-ups by name, the float dtype of an op (the same classification as the
 * host's compute-unit pass, core/ir/compute.c), the test for fp32 ops that
 * the pass did not take for I/O conversion, and bounded message builders.
 * Pure C11 over the read-only IR; allocation failures only shorten a list. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ane.h"

void ane_ops_push(ane_ops *a, const cml_op *op) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        const cml_op **nv = realloc((void *)a->v, nc * sizeof *nv);
        if (!nv) {
            a->oom = true;
            return;
        }
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = op;
}

void ane_ops_free(ane_ops *a) {
    free((void *)a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

void ane_collect(const cml_function *f, ane_ops *out) {
    cml_op_iter it;
    for (const cml_op *op = cml_ops_first(&it, NULL, f); op; op = cml_ops_next(&it)) ane_ops_push(out, op);
}

void ane_each_function(const cml_model *root, ane_fn_visit fn, void *arg) {
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, root); m; m = cml_models_next(&mi))
        for (size_t i = 0; i < m->n_functions; i++)
            if (m->functions[i] && m->functions[i]->block) fn(m, m->functions[i], arg);
}

bool ane_is_mlprogram(const cml_model *m) { return m && m->type && strcmp(m->type, "mlProgram") == 0; }

bool ane_kind_is(const cml_op *op, const char *kind) { return op->kind && strcmp(op->kind, kind) == 0; }

const cml_value *ane_input(const cml_op *op, const char *name) {
    const cml_arg *a = cml_op_input(op, name);
    return a && a->n_values ? a->values[0] : NULL;
}

bool ane_is_compute(const cml_op *op) {
    return !op->is_const && op->estimate.unit != CML_UNIT_NONE && op->estimate.unit != CML_UNIT_UNKNOWN;
}

/* SOURCE: core/ir/compute.c (the host's compute-unit pass): an fp32-typed ML
 * Program op is barred from the NE with tier 'A' (rules-knowledge 4.1 P2),
 * except the model's I/O conversion — input/output casts, coremltools' image
 * scale/bias ops, the fp32 cast before `classify` (rules-knowledge 5.6) —
 * which it estimates NE with tier 0. */
bool ane_is_fp32_island_op(const cml_op *op) {
    return !op->is_nn_layer && ane_is_compute(op) && op->estimate.tier != 0 &&
           cml_op_float_dtype(op) == CML_DT_FP32;
}

/* ---- strings ---------------------------------------------------------------- */

const char *ane_s(const char *s) { return s && *s ? s : "?"; }

void ane_bprintf(ane_buf *b, const char *fmt, ...) {
    if (!b->p || b->n + 1 >= b->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    b->n += (size_t)k;
    if (b->n >= b->cap) b->n = b->cap - 1;
}

void ane_bshape(ane_buf *b, const cml_shape *s) {
    ane_bprintf(b, "[");
    for (int32_t i = 0; s->dims && i < s->rank; i++) {
        if (s->dims[i] < 0) ane_bprintf(b, "%s?", i ? ", " : "");
        else ane_bprintf(b, "%s%lld", i ? ", " : "", (long long)s->dims[i]);
    }
    ane_bprintf(b, "]");
}

/* SPDX-License-Identifier: Apache-2.0 */
/* build_classic.c — the classic models of the IR build (see build.c): a
 * function whose ops are the models themselves (GLM, trees, SVM, scalers,
 * ...), their parameters reflected as columns; pipelines chain their stages
 * by feature name. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coreml-lint/coreml_facts.h"
#include "ir/build_int.h"

/* ---- classic models ------------------------------------------------------------ */

/* A value standing for a description feature of a classic model. */
static cml_value *feature_value(builder *b, const cml_feature *f) {
    cml_value *v = irb_new_value(b, f->name, NULL);
    if (!v) return NULL;
    v->type.kind = CML_TYPE_TENSOR;
    switch (f->kind) {
    case CML_FEAT_MULTIARRAY:
        v->type.dtype = f->array_dtype == CML_ARR_FLOAT16 ? CML_DT_FP16
                      : f->array_dtype == CML_ARR_DOUBLE ? CML_DT_FP64
                      : f->array_dtype == CML_ARR_INT32 ? CML_DT_INT32
                      : f->array_dtype == CML_ARR_INT8 ? CML_DT_INT8 : CML_DT_FP32;
        v->type.shape = f->shape;
        break;
    case CML_FEAT_DOUBLE: v->type.dtype = CML_DT_FP64; v->type.shape.rank = 0; break;
    case CML_FEAT_INT64: v->type.dtype = CML_DT_INT64; v->type.shape.rank = 0; break;
    case CML_FEAT_STRING: v->type.dtype = CML_DT_STRING; v->type.shape.rank = 0; break;
    case CML_FEAT_IMAGE: v->type.dtype = CML_DT_FP32; break;
    default: break; /* dictionaries, sequences: no tensor type */
    }
    v->loc = f->loc;
    return v;
}

static cml_function *classic_fn_new(builder *b, fctx *fc) {
    cml_function *fn = arena_alloc(b->a, sizeof *fn);
    cml_block *blk = arena_alloc(b->a, sizeof *blk);
    if (!fn || !blk) return NULL;
    fc->b = b;
    fc->fn = fn;
    fn->name = "main";
    fn->model = b->m;
    fn->block = blk;
    irb_set_loc(b, &fn->loc, irb_logical(b, "main"), NULL);
    const cml_model *m = b->m;
    const cml_value **ins = m->n_inputs ? arena_calloc(b->a, m->n_inputs, sizeof *ins) : NULL;
    size_t k = 0;
    for (size_t i = 0; ins && i < m->n_inputs; i++) {
        cml_value *v = feature_value(b, m->inputs[i]);
        if (!v) break;
        v->is_function_input = true;
        irb_scope_put(b->a, &fc->sc, v->name, v);
        ins[k++] = v;
    }
    fn->inputs = ins;
    fn->n_inputs = ins ? k : 0;
    return fn;
}

/* A classic stage op reading `in` and defining `out` (names) in fc's scope;
 * outs_of, when given, is the model whose outputs `out` names, in order. */
static cml_op *classic_op(builder *b, fctx *fc, const char *kind, const char *logical,
                          const char *const *in, size_t n_in, const char *const *out, size_t n_out,
                          const cml_model *outs_of) {
    cml_op *op = arena_alloc(b->a, sizeof *op);
    cml_arg *arg = arena_alloc(b->a, sizeof *arg);
    const cml_arg **args = arena_calloc(b->a, 1, sizeof *args);
    const cml_value **iv = n_in ? arena_calloc(b->a, n_in, sizeof *iv) : NULL;
    const cml_value **ov = n_out ? arena_calloc(b->a, n_out, sizeof *ov) : NULL;
    if (!op || !arg || !args || (n_in && !iv) || (n_out && !ov)) return NULL;
    op->kind = kind;
    op->name = kind;
    op->function = fc->fn;
    op->parent = fc->fn->block;
    irb_set_loc(b, &op->loc, logical, NULL);
    for (size_t i = 0; i < n_in; i++) {
        cml_value *v = irb_scope_get(&fc->sc, in[i]);
        if (!v && (v = irb_new_value(b, in[i], NULL))) irb_scope_put(b->a, &fc->sc, v->name, v); /* never defined */
        if (!v) return NULL;
        iv[i] = v;
    }
    arg->name = "input";
    arg->values = iv;
    arg->n_values = n_in;
    args[0] = arg;
    op->inputs = args;
    op->n_inputs = 1;
    for (size_t i = 0; i < n_out; i++) {
        /* out names outs_of's outputs in order (feature_names): the i-th is
         * the feature (looking each name up was quadratic: 80,000 outputs
         * took 32 s) */
        const cml_feature *f = outs_of && i < outs_of->n_outputs ? outs_of->outputs[i] : NULL;
        cml_value *v = f ? feature_value(b, f) : irb_new_value(b, out[i], NULL);
        if (!v) return NULL;
        v->producer = op;
        v->loc = op->loc;
        irb_scope_put(b->a, &fc->sc, v->name, v);
        ov[i] = v;
    }
    op->outputs = ov;
    op->n_outputs = n_out;
    irb_vec_push(b->a, &b->all_ops, op);
    fc->n_ops++;
    return op;
}

static const char **feature_names(builder *b, const cml_feature *const *fs, size_t n) {
    const char **names = arena_calloc(b->a, n ? n : 1, sizeof *names);
    for (size_t i = 0; names && i < n; i++) names[i] = fs[i]->name;
    return names;
}

static void classic_finish(builder *b, fctx *fc, const cml_op **ops, size_t n_ops) {
    cml_block *blk = (cml_block *)fc->fn->block;
    blk->ops = ops;
    blk->n_ops = n_ops;
    fc->fn->n_ops_total = fc->n_ops;
    b->m->classic = fc->fn;
}

/* A classic classifier's labels, as the model's class labels (what an NN
 * classifier has in its own message). SOURCE: GLMClassifier.proto,
 * SVM.proto SupportVectorClassifier, TreeEnsemble.proto
 * TreeEnsembleClassifier: oneof ClassLabels { StringVector stringClassLabels
 * = 100; Int64Vector int64ClassLabels = 101; }, one label per class. A k-NN
 * classifier's labels are one per example, not per class, and
 * NonMaximumSuppression's name boxes: neither is a class list. */
static void classic_class_labels(cml_model *m, const cml_op *op) {
    static const char *const classifiers[] = {"glmClassifier", "supportVectorClassifier", "treeEnsembleClassifier",
                                              NULL};
    bool is = false;
    for (size_t i = 0; classifiers[i] && m->type; i++) is = is || !strcmp(m->type, classifiers[i]);
    if (!is) return;
    const cml_attr *sl = cml_op_attr(op, "stringClassLabels.vector"), *il = cml_op_attr(op, "int64ClassLabels.vector");
    if (sl && sl->kind == CML_ATTR_STRINGS) irb_class_labels(m, sl->strings, NULL, sl->n);
    else if (il && il->kind == CML_ATTR_INTS) irb_class_labels(m, NULL, il->ints, il->n);
}

/* A classic model (GLM, tree ensemble, SVM, scaler, feature vectorizer ...):
 * a function "main" with one op whose kind is the model type, reading the
 * description's inputs and defining its outputs, with the type's parameter
 * message reflected into attributes (repeated messages as columns, see
 * irb_reflect_columns). SOURCE: mlmodel/format/Model.proto, Model oneof Type:
 * the classic types are the fields other than pipelines (200-202),
 * neuralNetwork* (303, 403, 500) and mlProgram (502). */
void irb_build_classic(builder *b, const Cmlpb__Model *pb) {
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(&cmlpb__model__descriptor, (unsigned)pb->type_case);
    if (!fd || fd->type != PROTOBUF_C_TYPE_MESSAGE) return;
    const ProtobufCMessage *params;
    memcpy(&params, (const char *)pb + fd->offset, sizeof params);
    fctx fc = {0};
    cml_function *fn = classic_fn_new(b, &fc);
    const cml_model *m = b->m;
    const cml_op **ops = arena_calloc(b->a, 1, sizeof *ops);
    const char **in = feature_names(b, m->inputs, m->n_inputs), **out = feature_names(b, m->outputs, m->n_outputs);
    if (!fn || !ops || !in || !out) return;
    cml_op *op = classic_op(b, &fc, fd->name, irb_logical(b, fd->name), in, m->n_inputs, out, m->n_outputs, m);
    if (!op) return;
    attr_acc acc = {.columnar = true};
    if (params) irb_reflect_params(b, op, params, NULL, &acc, 0);
    if (acc.n) qsort(acc.items, acc.n, sizeof *acc.items, irb_attr_cmp);
    op->attrs = acc.items;
    op->n_attrs = acc.n;
    ops[0] = op;
    classic_finish(b, &fc, ops, 1);
    classic_class_labels(b->m, op);
}

/* The optional inputs a classic stage names in its parameters (an
 * "...InputFeatureName" string: NonMaximumSuppression's iouThreshold and
 * confidenceThreshold overrides, the item-similarity recommender's
 * restriction, exclusion and count, the Bayesian probit regressor's
 * optimism and sampling scale) that the pipeline defines although the
 * stage's own description does not declare them: the stage reads them from
 * the pipeline's features by name. SOURCE: Ultralytics' Core ML export and
 * hollance's coreml-survival-guide SSDLite recipe declare the NMS
 * thresholds only as pipeline inputs (so does the public model
 * popCain/TFtoCoreML MobileNetV3_SSDLite_small.mlmodel), and Xcode's
 * preview of such a pipeline offers them as the thresholds' overrides;
 * apple/coremltools#359 (msiracusa: the names "need to match up with added
 * input features"). in is grown in the arena; returns the new count. */
static size_t optional_feature_inputs(builder *b, fctx *fc, const cml_op *so, const char ***in, size_t ni) {
    size_t extra = 0;
    for (size_t j = 0; j < so->n_attrs; j++) {
        const cml_attr *a = so->attrs[j];
        if (!cml_attr_input_name_prefix(a)) continue;
        bool have = false;
        for (size_t q = 0; q < ni + extra && !have; q++) have = !strcmp((*in)[q], a->s);
        if (have || !irb_scope_get(&fc->sc, a->s)) continue;
        const char **grown = arena_calloc(b->a, ni + extra + 1, sizeof *grown);
        if (!grown) break;
        memcpy(grown, *in, (ni + extra) * sizeof *grown);
        grown[ni + extra++] = a->s;
        *in = grown;
    }
    return ni + extra;
}

/* A pipeline: its stages' ops in order in one function, each reading the
 * features it names from the pipeline's inputs or an earlier stage's
 * outputs. A classic stage contributes its op(s) (nested pipelines
 * flattened); a neural stage (NeuralNetwork, ML Program) one op of its
 * model type without parameters (its graph is the sub-model's own). */
void irb_build_pipeline_fn(builder *b) {
    const cml_model *m = b->m;
    fctx fc = {0};
    cml_function *fn = classic_fn_new(b, &fc);
    if (!fn) return;
    size_t n = 0;
    for (size_t i = 0; i < m->n_sub_models; i++) {
        const cml_model *sm = m->sub_models[i];
        n += sm->classic && sm->classic->block ? sm->classic->block->n_ops : 1;
    }
    const cml_op **ops = arena_calloc(b->a, n ? n : 1, sizeof *ops);
    if (!ops) return;
    size_t k = 0;
    for (size_t i = 0; i < m->n_sub_models && k < n; i++) {
        const cml_model *sm = m->sub_models[i];
        if (sm->classic && sm->classic->block) {
            const cml_block *sb = sm->classic->block;
            for (size_t j = 0; j < sb->n_ops && k < n; j++) {
                const cml_op *so = sb->ops[j];
                const cml_arg *sa = so->n_inputs ? so->inputs[0] : NULL;
                size_t ni = sa ? sa->n_values : 0;
                const char **in = arena_calloc(b->a, ni ? ni : 1, sizeof *in);
                const char **out = arena_calloc(b->a, so->n_outputs ? so->n_outputs : 1, sizeof *out);
                if (!in || !out) return;
                for (size_t q = 0; q < ni; q++) in[q] = sa->values[q]->name;
                ni = optional_feature_inputs(b, &fc, so, &in, ni);
                for (size_t q = 0; q < so->n_outputs; q++) out[q] = so->outputs[q]->name;
                cml_op *op = classic_op(b, &fc, so->kind, so->loc.logical, in, ni, out, so->n_outputs, NULL);
                if (!op) return;
                for (size_t q = 0; q < so->n_outputs; q++) /* keep the stage's feature types */
                    ((cml_value *)op->outputs[q])->type = so->outputs[q]->type;
                op->attrs = so->attrs;
                op->n_attrs = so->n_attrs;
                op->index = k;
                ops[k++] = op;
            }
        } else {
            cml_op *op = classic_op(b, &fc, sm->type, sm->loc.logical, feature_names(b, sm->inputs, sm->n_inputs),
                                    sm->n_inputs, feature_names(b, sm->outputs, sm->n_outputs), sm->n_outputs, sm);
            if (!op) return;
            op->index = k;
            ops[k++] = op;
        }
    }
    classic_finish(b, &fc, ops, k);
}

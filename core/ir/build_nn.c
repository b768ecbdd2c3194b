/* SPDX-License-Identifier: Apache-2.0 */
/* build_nn.c — the NeuralNetwork part of the IR build (see build.c): each
 * layer becomes an op whose attributes are its parameter message,
 * reflected; weights become inline cml_weights; branch and loop layers
 * carry their nested networks as blocks. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coreml-lint/coreml_facts.h"
#include "ir/build_int.h"

/* ---- NeuralNetwork ---------------------------------------------------------- */


static const cml_arg *name_arg(builder *b, fctx *fc, char **names, size_t n, const char *argname,
                               cml_op *op, int is_output) {
    cml_arg *ar = arena_alloc(b->a, sizeof *ar);
    if (!ar) return NULL;
    ar->name = argname;
    const cml_value **vals = n ? arena_calloc(b->a, n, sizeof *vals) : NULL;
    size_t k = 0;
    for (size_t i = 0; vals && i < n; i++) {
        if (!names[i]) continue;
        cml_value *v;
        if (is_output) {
            v = irb_new_value(b, names[i], NULL);
            if (!v) break;
            v->type.kind = CML_TYPE_TENSOR;
            v->producer = op;
            v->loc = op->loc;
            irb_scope_put(b->a, &fc->sc, v->name, v);
        } else {
            v = irb_scope_get(&fc->sc, names[i]);
            if (!v) {
                /* NN graphs may read blobs made later in loops, or inputs
                 * the description does not list: keep a placeholder */
                v = irb_new_value(b, names[i], NULL);
                if (!v) break;
                irb_scope_put(b->a, &fc->sc, v->name, v);
            }
        }
        vals[k++] = v;
    }
    ar->values = vals;
    ar->n_values = k;
    return ar;
}

static void build_nn_layers(builder *b, fctx *fc, cml_block *blk, Cmlpb__NeuralNetworkLayer **layers,
                            size_t n, const char *path_prefix, int depth) {
    const cml_op **ops = n ? arena_calloc(b->a, n, sizeof *ops) : NULL;
    size_t k = 0;
    for (size_t i = 0; ops && i < n; i++) {
        const Cmlpb__NeuralNetworkLayer *L = layers[i];
        if (!L) continue;
        cml_op *op = arena_alloc(b->a, sizeof *op);
        if (!op) break;
        op->is_nn_layer = true;
        op->parent = blk;
        op->function = fc->fn;
        op->index = k;
        op->is_updatable = L->isupdatable;
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field(&cmlpb__neural_network_layer__descriptor, (unsigned)L->layer_case);
        op->kind = fd ? fd->name : "unknown";
        op->name = irb_str(b, L->name);
        char *logical = arena_printf(b->a, "%s%s%slayer[%zu]:%s", b->logical ? b->logical : "",
                                     b->logical ? "/" : "", path_prefix, i, op->name);
        irb_set_loc(b, &op->loc, logical, NULL);
        if (!fd)
            DIAG(b, "load/unknown-op", DIAG_ERROR, logical,
                 "layer '%s' has no known layer type (oneof field %d)", op->name, (int)L->layer_case);
        irb_vec_push(b->a, &b->all_ops, op);
        fc->n_ops++;
        const cml_arg **ins = arena_calloc(b->a, 1, sizeof *ins);
        if (ins) {
            ins[0] = name_arg(b, fc, L->input, L->n_input, "input", op, 0);
            op->inputs = ins;
            op->n_inputs = ins[0] ? 1 : 0;
        }
        attr_acc acc = {0};
        if (fd) {
            const ProtobufCMessage *params;
            memcpy(&params, (const char *)L + fd->offset, sizeof params);
            irb_reflect_params(b, op, params, NULL, &acc, 0);
            /* control flow: branch/loop carry nested networks */
            if (params && depth < IR_MAX_DEPTH) {
                const ProtobufCMessageDescriptor *pd = params->descriptor;
                for (unsigned j = 0; j < pd->n_fields; j++) {
                    const ProtobufCFieldDescriptor *sf = &pd->fields[j];
                    if (sf->type != PROTOBUF_C_TYPE_MESSAGE || sf->label == PROTOBUF_C_LABEL_REPEATED ||
                        sf->descriptor != &cmlpb__neural_network__descriptor)
                        continue;
                    const Cmlpb__NeuralNetwork *sub;
                    memcpy(&sub, (const char *)params + sf->offset, sizeof sub);
                    if (!sub) continue;
                    cml_block *nb = arena_alloc(b->a, sizeof *nb);
                    if (!nb) continue;
                    nb->parent = op;
                    build_nn_layers(b, fc, nb, sub->layers, sub->n_layers,
                                    arena_printf(b->a, "%slayer[%zu].%s/", path_prefix, i, sf->name), depth + 1);
                    const cml_block **bl = arena_realloc(b->a, (void *)op->blocks, op->n_blocks * sizeof *bl,
                                                         (op->n_blocks + 1) * sizeof *bl);
                    if (bl) { bl[op->n_blocks++] = nb; op->blocks = bl; }
                }
            }
        }
        if (acc.n) qsort(acc.items, acc.n, sizeof *acc.items, irb_attr_cmp);
        op->attrs = acc.items;
        op->n_attrs = acc.n;
        const cml_arg *oa = name_arg(b, fc, L->output, L->n_output, "output", op, 1);
        if (oa) {
            op->outputs = oa->values;
            op->n_outputs = oa->n_values;
        }
        ops[k++] = op;
    }
    blk->ops = ops;
    blk->n_ops = ops ? k : 0;
}

/* Fields shared by NeuralNetwork, NeuralNetworkClassifier and
 * NeuralNetworkRegressor (layers=1, preprocessing=2,
 * arrayInputShapeMapping=5, imageInputShapeMapping=6). */
void irb_build_nn(builder *b, Cmlpb__NeuralNetworkLayer **layers, size_t n_layers,
                     Cmlpb__NeuralNetworkPreprocessing **pre, size_t n_pre, int array_map, int image_map) {
    cml_model *m = b->m;
    m->nn_array_shape_mapping = array_map;
    m->nn_image_shape_mapping = image_map;
    if (n_pre) {
        const cml_preprocess **pp = arena_calloc(b->a, n_pre, sizeof *pp);
        size_t k = 0;
        for (size_t i = 0; pp && i < n_pre; i++) {
            const Cmlpb__NeuralNetworkPreprocessing *p = pre[i];
            cml_preprocess *c = p ? arena_alloc(b->a, sizeof *c) : NULL;
            if (!c) continue;
            c->feature = irb_str(b, p->featurename);
            c->scale = 1.0;
            /* SOURCE: NeuralNetwork.proto NeuralNetworkPreprocessing oneof
             * preprocessor: scaler = 10, meanImage = 11 */
            if (p->preprocessor_case == 10 && p->scaler) {
                c->is_scaler = true;
                /* proto3: an unset channelScale reads 0 and means 1 */
                c->scale = p->scaler->channelscale != 0.0f ? p->scaler->channelscale : 1.0;
                c->red_bias = p->scaler->redbias;
                c->green_bias = p->scaler->greenbias;
                c->blue_bias = p->scaler->bluebias;
                c->gray_bias = p->scaler->graybias;
            } else if (p->preprocessor_case == 11 && p->meanimage) {
                c->is_mean_image = true;
                c->n_mean = p->meanimage->n_meanimage;
            }
            pp[k++] = c;
        }
        m->preprocess = pp;
        m->n_preprocess = pp ? k : 0;
    }
    cml_function *fn = arena_alloc(b->a, sizeof *fn);
    cml_block *blk = arena_alloc(b->a, sizeof *blk);
    const cml_function **fns = arena_calloc(b->a, 1, sizeof *fns);
    if (!fn || !blk || !fns) return;
    fctx fc = {.b = b, .fn = fn};
    fn->name = "main";
    fn->model = m;
    fn->block = blk;
    irb_set_loc(b, &fn->loc, irb_logical(b, "main"), NULL);
    /* the description's inputs are the graph's inputs */
    if (m->n_inputs) {
        const cml_value **ins = arena_calloc(b->a, m->n_inputs, sizeof *ins);
        size_t k = 0;
        for (size_t i = 0; ins && i < m->n_inputs; i++) {
            const cml_feature *f = m->inputs[i];
            cml_value *v = irb_new_value(b, f->name, NULL);
            if (!v) break;
            v->is_function_input = true;
            v->type.kind = CML_TYPE_TENSOR;
            v->type.dtype = f->kind == CML_FEAT_IMAGE ? CML_DT_FP32
                            : f->array_dtype == CML_ARR_FLOAT16 ? CML_DT_FP16
                            : f->array_dtype == CML_ARR_DOUBLE ? CML_DT_FP64
                            : f->array_dtype == CML_ARR_INT32 ? CML_DT_INT32
                            : CML_DT_FP32;
            v->loc = f->loc;
            irb_scope_put(b->a, &fc.sc, v->name, v);
            ins[k++] = v;
        }
        fn->inputs = ins;
        fn->n_inputs = ins ? k : 0;
    }
    build_nn_layers(b, &fc, blk, layers, n_layers, "", 0);
    fn->n_ops_total = fc.n_ops;
    fns[0] = fn;
    m->functions = fns;
    m->n_functions = 1;
}

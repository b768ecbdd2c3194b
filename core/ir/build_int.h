/* SPDX-License-Identifier: Apache-2.0 */
/* build_int.h — what the IR builder's files share (internal to core/ir).
 *
 * The build of one decoded Model protobuf into the IR is split by model
 * kind: build.c holds the builder's state, the description (features,
 * metadata), the reflection of parameter messages into attributes and the
 * entry point; build_mil.c the ML Program (types, values, constants, blob
 * references, ops and nested blocks); build_nn.c the NeuralNetwork layers;
 * build_classic.c the classic models and pipelines. Every function here is
 * prefixed irb_. */
#ifndef CML_IR_BUILD_INT_H
#define CML_IR_BUILD_INT_H

#include "ir/model.h"

/* ---- builder state -------------------------------------------------------- */


typedef struct scope_ent {
    const char *name;
    cml_value *v;
} scope_ent;

/* Open-addressing name -> value map for one function (SSA names are unique
 * within a function; nested blocks add theirs to the same map). */
typedef struct scope {
    scope_ent *ents;
    size_t cap, n;
} scope;

typedef struct vec {
    void **items;
    size_t n, cap;
} vec;

typedef struct builder {
    lmodel *lm;
    arena *a;
    cml_model *m;
    const char *artifact;   /* spec file, relative */
    const char *desc_artifact; /* where the model and its features are (the
                                  file its description came from) */
    const char *model_dir;  /* @model_path */
    const char *logical;    /* prefix for sub-models, or NULL */
    vec weights;            /* every cml_weight of this model */
    vec all_values;         /* for consumer fill-in */
    vec all_ops;
    int is_mil_text;        /* positions from model.mil */
    bool shape_unread_said; /* build_type's warning, once per model */
} builder;

#define DIAG(b, id, lvl, logical, ...)                                                   \
    diag_add(&(b)->lm->diags, id, lvl, (b)->artifact, -1, 0, 0, logical, __VA_ARGS__)


typedef struct fctx {
    builder *b;
    scope sc;
    cml_function *fn;
    size_t n_ops;
} fctx;

typedef struct attr_acc {
    const cml_attr **items;
    size_t n, cap;
    bool columnar;  /* repeated messages as columns (classic models, reflect_columns) */
} attr_acc;

/* A classifier's classes as the model's class labels: n string labels, or
 * (strings NULL) n int64 ones. */
static inline void irb_class_labels(cml_model *m, const char *const *strings, const int64_t *ints, size_t n) {
    m->class_label_kind = strings ? "stringClassLabels" : "int64ClassLabels";
    m->string_labels = strings;
    m->int64_labels = strings ? NULL : ints;
    m->n_class_labels = n;
}

/* build.c: the builder's helpers */
int irb_vec_push(arena *a, vec *v, void *p);
int irb_scope_put(arena *a, scope *sc, const char *name, cml_value *v);
cml_value *irb_scope_get(const scope *sc, const char *name);
const char *irb_str(builder *b, const char *s);
char *irb_logical(builder *b, const char *tail);
void irb_set_loc(builder *b, cml_loc *loc, const char *logical, const void *key);
cml_value *irb_new_value(builder *b, const char *name, const cml_type *t);
int irb_attr_cmp(const void *x, const void *y);
void irb_reflect_params(builder *b, cml_op *op, const ProtobufCMessage *msg, const char *prefix, attr_acc *acc, int depth);
void irb_reflect_columns(builder *b, const ProtobufCMessage *const *ms, size_t n, const char *prefix, attr_acc *acc, int depth);
void irb_acc_push(builder *b, attr_acc *acc, cml_attr *at);

/* build_mil.c */
void irb_build_program(builder *b, const Cmlpb__Mil__Program *pp);
/* build_nn.c */
void irb_build_nn(builder *b, Cmlpb__NeuralNetworkLayer **layers, size_t n_layers, Cmlpb__NeuralNetworkPreprocessing **pre, size_t n_pre, int array_map, int image_map);
/* build_classic.c */
void irb_build_classic(builder *b, const Cmlpb__Model *pb);
void irb_build_pipeline_fn(builder *b);

#endif

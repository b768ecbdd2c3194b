/* SPDX-License-Identifier: Apache-2.0 */
/* test_compute.c — the compute-unit pass (core/ir/compute.c).
 *
 * Real models first: the corpus (CML_CORPUS_DIR; those checks skip with a
 * message when it is absent) and the project's fixtures
 * (CML_BUILD_DIR/examples): a custom layer is tier A off the NE, an fp32
 * program is off the NE, fp16 programs and a plain NN are fully on it, the
 * classifier's boundary casts and image preprocessing are not islands and
 * `classify` is CPU with tier 0. Then the attribute-dependent predicates on
 * hand-built ops (no fixture has a dilated convolution or a 15x15 pooling):
 * NN attributes, MIL const inputs, computed shapes, fp32 and int32 outputs. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ir/compute.h"
#include "ir/model.h"

static const char *corpus_dir;
static const char *build_dir;

/* ---- helpers -------------------------------------------------------------------- */

static lmodel *load_in(const char *dir, const char *rel) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    lmodel *lm = loader_load(p, NULL);
    CHECK(lm && lm->model);
    if (lm && lm->model && lm->model->n_diags)
        fprintf(stderr, "  %s: %zu load problems\n", rel, lm->model->n_diags);
    return lm && lm->model ? lm : (loader_free(lm), NULL);
}

typedef void (*op_visit)(const cml_op *op, void *ctx);

static void walk_block(const cml_block *b, op_visit fn, void *ctx) {
    if (!b) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        fn(b->ops[i], ctx);
        for (size_t j = 0; j < b->ops[i]->n_blocks; j++) walk_block(b->ops[i]->blocks[j], fn, ctx);
    }
}

static void walk_model(const cml_model *m, op_visit fn, void *ctx) {
    for (size_t i = 0; i < m->n_functions; i++) walk_block(m->functions[i]->block, fn, ctx);
    for (size_t i = 0; i < m->n_sub_models; i++) walk_model(m->sub_models[i], fn, ctx);
}

static const cml_op *find_kind(const cml_model *m, const char *kind) {
    for (size_t f = 0; f < m->n_functions; f++) {
        const cml_block *b = m->functions[f]->block;
        for (size_t i = 0; b && i < b->n_ops; i++)
            if (!strcmp(b->ops[i]->kind, kind)) return b->ops[i];
    }
    return NULL;
}

/* Every op has an estimate; const ops none; a tier always comes with a reason
 * and a source. Counts per unit. */
typedef struct tally {
    size_t n, ne, off, tier_a, tier_b, consts, bad;
} tally;

static void tally_op(const cml_op *op, void *ctx) {
    tally *t = ctx;
    const cml_estimate *e = &op->estimate;
    t->n++;
    if (op->is_const) {
        t->consts++;
        if (e->unit != CML_UNIT_NONE) t->bad++;
        return;
    }
    if (e->unit == CML_UNIT_NE) t->ne++;
    else if (e->unit == CML_UNIT_GPU || e->unit == CML_UNIT_CPU) t->off++;
    else t->bad++;
    if (e->tier == 'A') t->tier_a++;
    if (e->tier == 'B') t->tier_b++;
    if (e->tier && (!e->reason || !e->source)) t->bad++;
    if (e->unit == CML_UNIT_NE && (e->tier || e->reason)) t->bad++;
    if (e->tier && e->tier != 'A' && e->tier != 'B') t->bad++;
}

static tally tally_model(const cml_model *m) {
    tally t = {0};
    walk_model(m, tally_op, &t);
    return t;
}

static int has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

#define NEED_CORPUS()                                                                    \
    do {                                                                                 \
        if (!corpus_dir) {                                                               \
            fprintf(stderr, "  skipped: CML_CORPUS_DIR not set or missing\n");           \
            return;                                                                      \
        }                                                                                \
    } while (0)

/* ---- corpus ------------------------------------------------------------------------ */

static void test_custom_layer(void) {
    NEED_CORPUS();
    lmodel *lm = load_in(corpus_dir, "nn_builder_custom_layer.mlmodel");
    if (!lm) return;
    const cml_op *c = find_kind(lm->model, "custom");
    CHECK(c != NULL);
    if (c) {
        CHECK(c->is_nn_layer);
        CHECK(c->estimate.unit == CML_UNIT_CPU || c->estimate.unit == CML_UNIT_GPU);
        CHECK_INT(c->estimate.tier, 'A');
        CHECK_STR(c->estimate.reason, "custom layer");
        CHECK(c->estimate.source && strstr(c->estimate.source, "#1278"));
    }
    const cml_op *conv = find_kind(lm->model, "convolution");
    CHECK(conv && conv->estimate.unit == CML_UNIT_NE && conv->estimate.tier == 0);
    tally t = tally_model(lm->model);
    CHECK_INT(t.bad, 0);
    CHECK_INT(t.tier_a, 1);
    double cov = ir_ane_op_coverage_pct(lm->model);
    CHECK(cov > 66.6 && cov < 66.7);   /* conv, activation on the NE; custom off */
    loader_free(lm);
}

static void test_fp32_program(void) {
    NEED_CORPUS();
    lmodel *lm = load_in(corpus_dir, "resnet18w25_mlprogram_fp32_ios16.mlpackage");
    if (!lm) return;
    tally t = tally_model(lm->model);
    CHECK_INT(t.bad, 0);
    CHECK(t.n > t.consts);
    CHECK_INT(t.ne, 0);                  /* every compute op is off the NE */
    CHECK_INT(t.tier_a, t.n - t.consts);
    const cml_op *conv = find_kind(lm->model, "conv");
    CHECK(conv != NULL);
    if (conv) {
        CHECK_INT(conv->estimate.unit, CML_UNIT_GPU);
        CHECK_STR(conv->estimate.reason, "computes in fp32 (fp32-typed ML Program)");
        CHECK(conv->estimate.source && strstr(conv->estimate.source, "typed-execution"));
    }
    CHECK(ir_ane_op_coverage_pct(lm->model) == 0.0);
    loader_free(lm);
}

static void test_fp16_programs(void) {
    NEED_CORPUS();
    static const char *const full[] = {"resnet18w25_mlprogram_fp16_ios16.mlpackage",
                                       "convnet_fp32_io_fp16_compute_ios16.mlpackage",
                                       "resnet18w25_joint_prune50_palettize4_ios18.mlpackage",
                                       "multifunction_two_adapters_ios18.mlpackage"};
    for (size_t i = 0; i < sizeof full / sizeof *full; i++) {
        lmodel *lm = load_in(corpus_dir, full[i]);
        if (!lm) continue;
        tally t = tally_model(lm->model);
        CHECK_INT(t.bad, 0);
        CHECK_INT(t.off, 0);
        double cov = ir_ane_op_coverage_pct(lm->model);
        if (cov != 100.0) fprintf(stderr, "  %s: coverage %.1f\n", full[i], cov);
        CHECK(cov == 100.0);
        loader_free(lm);
    }
    /* fp32 IO around fp16 compute: both boundary casts stay NE, tier 0 */
    lmodel *lm = load_in(corpus_dir, "convnet_fp32_io_fp16_compute_ios16.mlpackage");
    if (lm) {
        size_t casts = 0;
        const cml_block *b = lm->model->functions[0]->block;
        for (size_t i = 0; i < b->n_ops; i++) {
            if (strcmp(b->ops[i]->kind, "cast") != 0) continue;
            casts++;
            CHECK(ir_compute_is_boundary_op(b->ops[i]));
            CHECK_INT(b->ops[i]->estimate.unit, CML_UNIT_NE);
        }
        CHECK_INT(casts, 2);
        loader_free(lm);
    }
}

static void test_transformer(void) {
    NEED_CORPUS();
    static const char *const names[] = {"transformer_encoder_fp16_ios16.mlpackage",
                                        "transformer_encoder_fp16_enumerated_ios16.mlpackage",
                                        "transformer_encoder_fp16_rangedim_ios16.mlpackage"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        lmodel *lm = load_in(corpus_dir, names[i]);
        if (!lm) continue;
        tally t = tally_model(lm->model);
        CHECK_INT(t.bad, 0);
        double cov = ir_ane_op_coverage_pct(lm->model);
        fprintf(stderr, "  %s: ane_op_coverage_pct %.1f (%zu compute ops, %zu off the NE)\n", names[i], cov,
                t.n - t.consts, t.off);
        CHECK(cov >= 0.0 && cov <= 100.0);
        /* its reshapes take constant shapes: not the dynamic case */
        const cml_op *r = find_kind(lm->model, "reshape");
        CHECK(r && r->estimate.unit == CML_UNIT_NE);
        loader_free(lm);
    }
}

static void test_classifier(void) {
    NEED_CORPUS();
    lmodel *lm = load_in(corpus_dir, "mobilenetv2_classifier_image_fp16_ios15.mlpackage");
    if (!lm) return;
    const cml_model *m = lm->model;
    /* classify: string label + probability dictionary → CPU, tier 0 (no
     * warning: it ends the graph and no source says it is a problem) */
    const cml_op *cl = find_kind(m, "classify");
    CHECK(cl != NULL);
    if (cl) {
        CHECK_INT(cl->estimate.unit, CML_UNIT_CPU);
        CHECK_INT(cl->estimate.tier, 0);
        CHECK(cl->estimate.reason && strstr(cl->estimate.reason, "classifier"));
        CHECK(cl->estimate.source && strstr(cl->estimate.source, "Derived"));
        /* the fp32 cast in front of it: boundary, NE, tier 0 */
        const cml_value *in = cl->n_inputs && cl->inputs[0]->n_values ? cl->inputs[0]->values[0] : NULL;
        const cml_op *cast = in ? in->producer : NULL;
        for (size_t i = 0; !cast && i < cl->n_inputs; i++)
            if (cl->inputs[i]->n_values && cl->inputs[i]->values[0]->producer &&
                !strcmp(cl->inputs[i]->values[0]->producer->kind, "cast"))
                cast = cl->inputs[i]->values[0]->producer;
        CHECK(cast && !strcmp(cast->kind, "cast"));
        if (cast) {
            CHECK_INT(cast->outputs[0]->type.dtype, CML_DT_FP32);
            CHECK(ir_compute_is_boundary_op(cast));
            CHECK_INT(cast->estimate.unit, CML_UNIT_NE);
            CHECK_INT(cast->estimate.tier, 0);
        }
    }
    /* image preprocessing (image__scaled__ mul, image__biased__ add) runs in
     * the input's fp32 before the input cast: I/O conversion, not an island */
    size_t pre = 0;
    const cml_block *b = m->functions[0]->block;
    for (size_t i = 0; i < b->n_ops; i++)
        if (!b->ops[i]->is_const &&
            (strstr(b->ops[i]->name, "__scaled__") || strstr(b->ops[i]->name, "__biased__"))) {
            pre++;
            CHECK(ir_compute_is_boundary_op(b->ops[i]));
            CHECK_INT(b->ops[i]->estimate.unit, CML_UNIT_NE);
        }
    CHECK_INT(pre, 2);
    tally t = tally_model(m);
    CHECK_INT(t.bad, 0);
    CHECK_INT(t.off, 1);
    CHECK_INT(t.tier_a + t.tier_b, 0);
    double cov = ir_ane_op_coverage_pct(m);
    double want = 100.0 * (double)(t.n - t.consts - 1) / (double)(t.n - t.consts);
    CHECK(cov > want - 1e-9 && cov < want + 1e-9);
    fprintf(stderr, "  mobilenetv2 classifier: ane_op_coverage_pct %.1f\n", cov);
    loader_free(lm);
}

static void test_nn_squeezenet(void) {
    NEED_CORPUS();
    lmodel *lm = load_in(corpus_dir, "squeezenet1_1_nn_fp32_ios14.mlmodel");
    if (!lm) return;
    size_t pools = 0, convs = 0;
    const cml_block *b = lm->model->functions[0]->block;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        if (!strcmp(op->kind, "pooling")) pools++;
        else if (!strcmp(op->kind, "convolution")) convs++;
        else continue;
        CHECK_INT(op->estimate.unit, CML_UNIT_NE);
    }
    CHECK(pools > 0 && convs > 0);
    CHECK(ir_ane_op_coverage_pct(lm->model) == 100.0);
    loader_free(lm);
}

static void test_classic(void) {
    NEED_CORPUS();
    static const char *const names[] = {"sklearn_linear_regression.mlmodel", "sklearn_pipeline_scaler_logreg.mlmodel",
                                        "sklearn_random_forest_scalar_inputs.mlmodel"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        lmodel *lm = load_in(corpus_dir, names[i]);
        if (!lm) continue;
        CHECK(ir_ane_op_coverage_pct(lm->model) == 0.0);
        loader_free(lm);
    }
    CHECK(ir_compute_is_classic_type("glmRegressor"));
    CHECK(ir_compute_is_classic_type("treeEnsembleClassifier"));
    CHECK(ir_compute_is_classic_type("arrayFeatureExtractor"));
    CHECK(!ir_compute_is_classic_type("neuralNetwork"));
    CHECK(!ir_compute_is_classic_type("mlProgram"));
    CHECK(!ir_compute_is_classic_type("pipelineClassifier"));
    CHECK(!ir_compute_is_classic_type("visionFeaturePrint"));
}

/* Every corpus model: the invariants, and the coverage table. */
static void test_corpus_sweep(void) {
    NEED_CORPUS();
    DIR *d = opendir(corpus_dir);
    CHECK(d != NULL);
    if (!d) return;
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256)
        if (has_suffix(de->d_name, ".mlmodel") || has_suffix(de->d_name, ".mlpackage")) names[n++] = strdup(de->d_name);
    closedir(d);
    for (size_t i = 1; i < n; i++)   /* sorted output */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *x = names[j]; names[j] = names[j - 1]; names[j - 1] = x;
        }
    CHECK(n >= 40);
    for (size_t i = 0; i < n; i++) {
        lmodel *lm = load_in(corpus_dir, names[i]);
        if (lm) {
            tally t = tally_model(lm->model);
            if (t.bad) fprintf(stderr, "  %s: %zu ops break the estimate invariants\n", names[i], t.bad);
            CHECK_INT(t.bad, 0);
            double cov = ir_ane_op_coverage_pct(lm->model);
            fprintf(stderr, "  %-58s %6.1f  (A %zu, B %zu)\n", names[i], cov, t.tier_a, t.tier_b);
            loader_free(lm);
        }
        free(names[i]);
    }
}

/* ---- fixtures ------------------------------------------------------------------------ */

static void test_fixtures(void) {
    if (!build_dir) {
        fprintf(stderr, "  skipped: CML_BUILD_DIR not set\n");
        return;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/examples", build_dir);
    static const struct { const char *name; double cov; } want[] = {
        {"tiny_convnet_nn.mlmodel", 100.0}, {"tiny_classifier_nn.mlmodel", 100.0},
        {"tiny_image_nn.mlmodel", 100.0},   {"tiny_mlprogram.mlpackage", 100.0},
        {"tiny_multifunction.mlpackage", 100.0}, {"tiny_stateful.mlpackage", 100.0},
        {"tiny_pipeline.mlmodel", 0.0},     /* Scaler -> GLMClassifier: two CPU models */
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        lmodel *lm = load_in(dir, want[i].name);
        if (!lm) continue;
        tally t = tally_model(lm->model);
        CHECK_INT(t.bad, 0);
        double cov = ir_ane_op_coverage_pct(lm->model);
        if (cov != want[i].cov) fprintf(stderr, "  %s: coverage %.1f, want %.1f\n", want[i].name, cov, want[i].cov);
        CHECK(cov == want[i].cov);
        loader_free(lm);
    }
    /* tiny_compressed pools 8x8 with stride 8: O8's "stride > 2" */
    lmodel *lm = load_in(dir, "tiny_compressed.mlpackage");
    if (lm) {
        const cml_op *p = find_kind(lm->model, "avg_pool");
        CHECK(p != NULL);
        if (p) {
            CHECK_INT(p->estimate.unit, CML_UNIT_GPU);
            CHECK_INT(p->estimate.tier, 'B');
            CHECK_STR(p->estimate.reason, "pooling stride 8 > 2");
            CHECK(p->estimate.source && strstr(p->estimate.source, "hollance"));
        }
        loader_free(lm);
    }
}

/* ---- hand-built ops -------------------------------------------------------------------- */

/* A NeuralNetwork layer with up to 3 INTS/BOOL attributes (sorted by name). */
typedef struct nnop {
    cml_op op;
    cml_attr at[3];
    const cml_attr *atp[3];
} nnop;

static void nn_init(nnop *o, const char *kind) {
    memset(o, 0, sizeof *o);
    o->op.kind = kind;
    o->op.name = "layer";
    o->op.is_nn_layer = true;
    o->op.attrs = o->atp;
}

static void nn_ints(nnop *o, const char *name, const int64_t *v, size_t n) {
    cml_attr *a = &o->at[o->op.n_attrs];
    a->name = name;
    a->kind = CML_ATTR_INTS;
    a->ints = v;
    a->n = n;
    o->atp[o->op.n_attrs++] = a;
}

static void nn_bool(nnop *o, const char *name, bool b) {
    cml_attr *a = &o->at[o->op.n_attrs];
    a->name = name;
    a->kind = CML_ATTR_BOOL;
    a->b = b;
    o->atp[o->op.n_attrs++] = a;
}

static void test_nn_predicates(void) {
    arena *a = arena_new(0);
    nnop o;
    cml_estimate e;
    static const int64_t two[] = {2, 2}, one[] = {1, 1}, k3[] = {3, 3}, k3x15[] = {3, 15}, k15[] = {15, 15},
                         s3[] = {3, 3}, up4[] = {4, 4};

    nn_init(&o, "convolution");
    nn_ints(&o, "dilationFactor", two, 2);
    nn_ints(&o, "kernelSize", k3, 2);
    e = ir_compute_estimate(&o.op, false, a);
    CHECK_INT(e.unit, CML_UNIT_GPU);
    CHECK_INT(e.tier, 'B');
    CHECK_STR(e.reason, "dilated convolution (dilation 2)");
    CHECK(e.source && strstr(e.source, "hollance"));
    e = ir_compute_estimate(&o.op, false, NULL);     /* no arena: fixed text */
    CHECK_STR(e.reason, "dilated convolution");

    nn_init(&o, "convolution");
    nn_ints(&o, "dilationFactor", one, 2);
    nn_ints(&o, "kernelSize", k3x15, 2);
    e = ir_compute_estimate(&o.op, false, a);
    CHECK_INT(e.tier, 'B');
    CHECK_STR(e.reason, "convolution kernel width 15 > 13");
    CHECK(e.source && strstr(e.source, "ane-guide"));

    nn_init(&o, "convolution");          /* defaults: 3x3, no dilation */
    e = ir_compute_estimate(&o.op, false, a);
    CHECK_INT(e.unit, CML_UNIT_NE);
    CHECK_INT(e.tier, 0);
    CHECK(e.reason == NULL);

    nn_init(&o, "pooling");
    nn_ints(&o, "kernelSize", k15, 2);
    nn_ints(&o, "stride", one, 2);
    e = ir_compute_estimate(&o.op, false, a);
    CHECK_STR(e.reason, "pooling kernel 15 > 13");
    nn_init(&o, "pooling");
    nn_ints(&o, "kernelSize", k3, 2);
    nn_ints(&o, "stride", s3, 2);
    e = ir_compute_estimate(&o.op, false, a);
    CHECK_STR(e.reason, "pooling stride 3 > 2");
    nn_init(&o, "pooling");              /* global pooling: whole plane, exempt */
    nn_bool(&o, "globalPooling", true);
    nn_ints(&o, "kernelSize", k15, 2);
    e = ir_compute_estimate(&o.op, false, a);
    CHECK_INT(e.unit, CML_UNIT_NE);

    nn_init(&o, "upsample");
    nn_ints(&o, "scalingFactor", up4, 2);
    e = ir_compute_estimate(&o.op, false, a);
    CHECK_STR(e.reason, "upsample scale 4 > 2");
    nn_init(&o, "upsample");
    nn_ints(&o, "scalingFactor", two, 2);
    e = ir_compute_estimate(&o.op, false, a);
    CHECK_INT(e.unit, CML_UNIT_NE);

    /* unconditional table facts */
    static const struct { const char *kind; char tier; } facts[] = {
        {"uniDirectionalLSTM", 'A'}, {"gru", 'A'}, {"reshapeDynamic", 'A'}, {"getShape", 'A'},
        {"custom", 'A'}, {"gather", 'B'}, {"embeddingND", 'B'}, {"addBroadcastable", 'B'},
        {"concatND", 'B'}, {"topK", 'B'}, {"loop", 'B'}, {"whereNonZero", 'B'},
        {"innerProduct", 0}, {"reshapeStatic", 0}, {"activation", 0},
    };
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++) {
        nn_init(&o, facts[i].kind);
        e = ir_compute_estimate(&o.op, false, a);
        if (e.tier != facts[i].tier) fprintf(stderr, "  %s: tier %d\n", facts[i].kind, e.tier);
        CHECK_INT(e.tier, facts[i].tier);
        CHECK(facts[i].tier ? e.unit != CML_UNIT_NE : e.unit == CML_UNIT_NE);
    }
    nn_init(&o, "uniDirectionalLSTM");
    CHECK_STR(ir_compute_estimate(&o.op, false, a).reason, "LSTM");
    arena_free(a);
}

/* ML Program pieces: a literal int32 tensor and ops with named inputs. */
typedef struct lit {
    iweight w;
    cml_value v;
} lit;

static void lit_i32(lit *l, const int32_t *vals, size_t n) {
    memset(l, 0, sizeof *l);
    l->w.pub.dtype = CML_DT_INT32;
    l->w.pub.storage = CML_STORE_INLINE;
    l->w.pub.nbytes = n * sizeof(int32_t);
    l->w.pub.n_elements = n;
    l->w.inline_data = (const unsigned char *)vals;
    l->w.stored_as = ISTORE_I32;
    l->v.name = "lit";
    l->v.type.kind = CML_TYPE_TENSOR;
    l->v.type.dtype = CML_DT_INT32;
    l->v.weight = &l->w.pub;
}

typedef struct milop {
    cml_op op;
    cml_arg arg[3];
    const cml_arg *argp[3];
    const cml_value *vals[3];
    cml_value out;
    const cml_value *outp[1];
} milop;

static void mil_init(milop *o, const char *kind, cml_dtype out_dt, int32_t rank, const int64_t *dims) {
    memset(o, 0, sizeof *o);
    o->op.kind = kind;
    o->op.name = kind;
    o->op.inputs = o->argp;
    o->out.name = "out";
    o->out.type.kind = CML_TYPE_TENSOR;
    o->out.type.dtype = out_dt;
    o->out.type.shape.rank = rank;
    o->out.type.shape.dims = dims;
    o->out.producer = &o->op;
    o->outp[0] = &o->out;
    o->op.outputs = o->outp;
    o->op.n_outputs = 1;
}

static void mil_in(milop *o, const char *name, const cml_value *v) {
    size_t i = o->op.n_inputs++;
    o->vals[i] = v;
    o->arg[i].name = name;
    o->arg[i].n_values = 1;
    o->arg[i].values = &o->vals[i];
    o->argp[i] = &o->arg[i];
}

static void test_mil_predicates(void) {
    arena *a = arena_new(0);
    cml_estimate e;
    static const int64_t d4[] = {1, 8, 16, 16}, wk[] = {8, 3, 1, 17}, w3[] = {8, 3, 3, 3}, x4096[] = {1, 4096},
                         x1000[] = {1, 1000}, one1[] = {1}, i2[] = {1, 128}, i3[] = {3};
    static const int32_t dil2[] = {2, 2}, dil1[] = {1, 1}, axis_last[] = {-1};

    /* conv: dilations as a literal input */
    lit dil, wt;
    cml_value weight = {.name = "w", .type = {CML_TYPE_TENSOR, CML_DT_FP16, {4, w3}}};
    milop conv;
    lit_i32(&dil, dil2, 2);
    mil_init(&conv, "conv", CML_DT_FP16, 4, d4);
    mil_in(&conv, "dilations", &dil.v);
    mil_in(&conv, "weight", &weight);
    e = ir_compute_estimate(&conv.op, true, a);
    CHECK_INT(e.unit, CML_UNIT_GPU);
    CHECK_INT(e.tier, 'B');
    CHECK_STR(e.reason, "dilated convolution (dilation 2)");
    /* no dilation, 1x17 kernel: width 17 > 13 */
    cml_value wide = {.name = "w", .type = {CML_TYPE_TENSOR, CML_DT_FP16, {4, wk}}};
    lit_i32(&wt, dil1, 2);
    mil_init(&conv, "conv", CML_DT_FP16, 4, d4);
    mil_in(&conv, "dilations", &wt.v);
    mil_in(&conv, "weight", &wide);
    e = ir_compute_estimate(&conv.op, true, a);
    CHECK_STR(e.reason, "convolution kernel width 17 > 13");
    mil_init(&conv, "conv", CML_DT_FP16, 4, d4);
    mil_in(&conv, "dilations", &wt.v);
    mil_in(&conv, "weight", &weight);
    e = ir_compute_estimate(&conv.op, true, a);
    CHECK_INT(e.unit, CML_UNIT_NE);
    CHECK(e.reason == NULL);

    /* reshape: constant shape (const producer) vs computed shape */
    cml_op konst = {.kind = "const", .is_const = true}, shape_op = {.kind = "shape"};
    cml_value sv = {.name = "s", .type = {CML_TYPE_TENSOR, CML_DT_INT32, {1, i3}}};
    milop rs;
    sv.producer = &konst;
    mil_init(&rs, "reshape", CML_DT_FP16, 4, d4);
    mil_in(&rs, "shape", &sv);
    e = ir_compute_estimate(&rs.op, true, a);
    CHECK_INT(e.unit, CML_UNIT_NE);
    sv.producer = &shape_op;
    e = ir_compute_estimate(&rs.op, true, a);
    CHECK_INT(e.unit, CML_UNIT_CPU);
    CHECK_INT(e.tier, 'A');
    CHECK_STR(e.reason, "reshape with a computed shape");
    CHECK(e.source && strstr(e.source, "faqs.md"));
    sv.producer = NULL;                  /* a function input */
    sv.is_function_input = true;
    e = ir_compute_estimate(&rs.op, true, a);
    CHECK_INT(e.tier, 'A');

    /* fp32 outputs: fp32 program vs island in an fp16 program */
    milop relu;
    mil_init(&relu, "relu", CML_DT_FP32, 4, d4);
    e = ir_compute_estimate(&relu.op, false, a);
    CHECK_INT(e.unit, CML_UNIT_GPU);
    CHECK_INT(e.tier, 'A');
    CHECK_STR(e.reason, "computes in fp32 (fp32-typed ML Program)");
    e = ir_compute_estimate(&relu.op, true, a);
    CHECK_STR(e.reason, "computes in fp32 inside an fp16 program (mixed precision)");
    mil_init(&relu, "relu", CML_DT_FP16, 4, d4);
    CHECK_INT(ir_compute_estimate(&relu.op, true, a).unit, CML_UNIT_NE);
    /* tier A wins over tier B: an fp32 gather is reported for its fp32 */
    mil_init(&relu, "gather", CML_DT_FP32, 4, d4);
    CHECK_INT(ir_compute_estimate(&relu.op, false, a).tier, 'A');
    mil_init(&relu, "gather", CML_DT_FP16, 4, d4);
    e = ir_compute_estimate(&relu.op, true, a);
    CHECK_INT(e.tier, 'B');
    CHECK_STR(e.reason, "gather");
    /* const/constexpr: no compute */
    mil_init(&relu, "constexpr_lut_to_dense", CML_DT_FP16, 4, d4);
    relu.op.is_const = true;
    CHECK_INT(ir_compute_estimate(&relu.op, true, a).unit, CML_UNIT_NONE);

    /* reduce_argmax over 4096 > 2048 vs 1000 */
    lit ax;
    lit_i32(&ax, axis_last, 1);
    cml_value x = {.name = "x", .type = {CML_TYPE_TENSOR, CML_DT_FP16, {2, x4096}}};
    milop am;
    mil_init(&am, "reduce_argmax", CML_DT_INT32, 1, one1);
    mil_in(&am, "x", &x);
    mil_in(&am, "axis", &ax.v);
    e = ir_compute_estimate(&am.op, true, a);
    CHECK_INT(e.tier, 'B');
    CHECK_STR(e.reason, "argmax/argmin over an axis of 4096 > 2048");
    x.type.shape.dims = x1000;
    CHECK_INT(ir_compute_estimate(&am.op, true, a).unit, CML_UNIT_NE);

    /* int32 compute: a [1, 128] int32 tensor is flagged, a shape vector not */
    milop ia;
    mil_init(&ia, "add", CML_DT_INT32, 2, i2);
    e = ir_compute_estimate(&ia.op, true, a);
    CHECK_INT(e.unit, CML_UNIT_CPU);
    CHECK_INT(e.tier, 'B');
    CHECK_STR(e.reason, "computes in int32 (int32 output [1, 128])");
    mil_init(&ia, "concat", CML_DT_INT32, 1, i3);
    CHECK_INT(ir_compute_estimate(&ia.op, true, a).unit, CML_UNIT_NE);

    /* unconditional MIL facts */
    static const struct { const char *kind; char tier; } facts[] = {
        {"custom_layer", 'A'}, {"lstm", 'A'}, {"rnn", 'A'}, {"shape", 'A'}, {"topk", 'B'},
        {"gather_nd", 'B'}, {"scatter_along_axis", 'B'}, {"while_loop", 'B'}, {"list_read", 'B'},
        {"non_zero", 'B'}, {"softmax", 0}, {"matmul", 0}, {"layer_norm", 0},
    };
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++) {
        mil_init(&relu, facts[i].kind, CML_DT_FP16, 4, d4);
        e = ir_compute_estimate(&relu.op, true, a);
        if (e.tier != facts[i].tier) fprintf(stderr, "  %s: tier %d\n", facts[i].kind, e.tier);
        CHECK_INT(e.tier, facts[i].tier);
    }
    arena_free(a);
}

static void test_tables(void) {
    CHECK_INT(ir_compute_tables_check(), 0);
}

int main(void) {
    corpus_dir = getenv("CML_CORPUS_DIR");
    build_dir = getenv("CML_BUILD_DIR");
    if (corpus_dir) {
        DIR *d = opendir(corpus_dir);
        if (d) closedir(d);
        else corpus_dir = NULL;
    }
    RUN(test_tables);
    RUN(test_nn_predicates);
    RUN(test_mil_predicates);
    RUN(test_fixtures);
    RUN(test_custom_layer);
    RUN(test_fp32_program);
    RUN(test_fp16_programs);
    RUN(test_transformer);
    RUN(test_classifier);
    RUN(test_nn_squeezenet);
    RUN(test_classic);
    RUN(test_corpus_sweep);
    return CHECK_DONE();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_classic.c — the reference executor on classic models.
 *
 * Each test builds a GLM, tree ensemble, SVM, scaler, feature vectorizer or
 * pipeline as protobuf-c messages, writes it as a temporary .mlmodel, loads
 * it with loader_load (so the IR's classic function and its reflected
 * parameter columns are exercised too) and compares the executor's outputs
 * with values computed by hand: every GLM link and class encoding, every
 * tree branch behaviour, missing values, tree roots that are not node 0,
 * nodes listed out of order, every post-evaluation transform, the binary
 * one-dimension forms, every SVM kernel on dense and sparse support
 * vectors, one-vs-one votes (ties, a zero decision value, the coefficient
 * layout and rho's sign each decide some case), Platt probabilities and
 * their multi-class coupling (against the exact fixed point and a plain
 * rewrite of the iteration), pipelines chaining stages by feature name.
 * Broken trees (a cycle, a dangling child, two roots, a leaf writing past
 * the prediction dimensions, a feature past the input), broken SVMs (counts
 * that disagree, 0-based or out-of-range sparse indices, no kernel) and
 * mismatched parameters must fail with a message, never crash. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmptree.h"
#ifdef CML_NO_EXEC
CHECK_MAIN_NO_EXEC()
#else
#include "cli/inspect.h"
#include "nn_model.h"

/* ---- message pool: nn_model.h ---------------------------------------------------- */

static double *pdbl(size_t n, const double *v) { return pdup(v, n * sizeof *v); }
#define DBL(...) pdbl(sizeof((double[]){__VA_ARGS__}) / sizeof(double), (double[]){__VA_ARGS__})
#define NDBL(...) (sizeof((double[]){__VA_ARGS__}) / sizeof(double))

/* ---- features ----------------------------------------------------------------- */

static Cmlpb__FeatureDescription *f_array(const char *name, int64_t n) {
    Cmlpb__FeatureDescription *f = PNEW(Cmlpb__FeatureDescription, CMLPB__FEATURE_DESCRIPTION__INIT);
    f->name = pstr(name);
    Cmlpb__FeatureType *t = PNEW(Cmlpb__FeatureType, CMLPB__FEATURE_TYPE__INIT);
    Cmlpb__ArrayFeatureType *a = PNEW(Cmlpb__ArrayFeatureType, CMLPB__ARRAY_FEATURE_TYPE__INIT);
    a->datatype = CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__DOUBLE;
    a->n_shape = 1;
    a->shape = pdup(&n, sizeof n);
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_MULTI_ARRAY_TYPE;
    t->multiarraytype = a;
    f->type = t;
    return f;
}

#define F_DOUBLE(n) feat_scalar(n, CMLPB__FEATURE_TYPE__TYPE_DOUBLE_TYPE)
#define F_INT64(n) feat_scalar(n, CMLPB__FEATURE_TYPE__TYPE_INT64_TYPE)
#define F_STRING(n) feat_scalar(n, CMLPB__FEATURE_TYPE__TYPE_STRING_TYPE)

/* a model whose first n_in features are inputs and the rest outputs */
static Cmlpb__Model *model_n(size_t n_in, size_t n_all, Cmlpb__FeatureDescription *const *fs) {
    Cmlpb__Model *m = PNEW(Cmlpb__Model, CMLPB__MODEL__INIT);
    m->specificationversion = 1;
    Cmlpb__ModelDescription *d = PNEW(Cmlpb__ModelDescription, CMLPB__MODEL_DESCRIPTION__INIT);
    d->n_input = n_in;
    d->n_output = n_all - n_in;
    d->input = pdup(fs, n_in * sizeof *fs);
    d->output = pdup(fs + n_in, (n_all - n_in) * sizeof *fs);
    m->description = d;
    return m;
}
#define MODEL(NIN, ...)                                                                              \
    model_n((NIN), sizeof((Cmlpb__FeatureDescription *[]){__VA_ARGS__}) / sizeof(void *),          \
            (Cmlpb__FeatureDescription *[]){__VA_ARGS__})

/* ---- running -------------------------------------------------------------------- */

/* load m (a temporary .mlmodel) and prepare it */
static bool load(res *r, const Cmlpb__Model *m) { return model_prepare(r, m, NULL); }
static bool run_x(res *r, const char *name, const float *x, int64_t n) {
    exec_tensor t = {.name = name, .rank = 1, .shape = {n}, .data = (float *)x};
    return res_again(r, EXEC_FP32, &t, 1);
}
#define RUNX(r, ...) run_x((r), "x", (const float[]){__VA_ARGS__}, (int64_t)NDBL(__VA_ARGS__))

static void expect(const res *r, size_t i, const double *want, size_t n, double tol, int line) {
    if (r->rc || i >= r->n || exec_tensor_count(&r->o[i]) != n) {
        fprintf(stderr, "line %d: output %zu missing or of the wrong size (%s)\n", line, i, r->rc ? r->err : "");
        check_failures_++;
        return;
    }
    for (size_t k = 0; k < n; k++)
        if (!(fabs(r->o[i].data[k] - want[k]) <= tol)) {
            fprintf(stderr, "line %d: output %zu[%zu] = %.9g, expected %.9g\n", line, i, k, r->o[i].data[k], want[k]);
            check_failures_++;
            return;
        }
}
#define EXPECT(r, i, ...) expect((r), (i), (const double[]){__VA_ARGS__}, NDBL(__VA_ARGS__), 1e-5, __LINE__)

static void expect_label(const res *r, size_t i, int index, const char *label, int line) {
    bool ok = !r->rc && i < r->n && r->o[i].dtype == EXEC_DT_LABEL && r->o[i].data && (int)r->o[i].data[0] == index &&
              (!label || (r->o[i].label && !strcmp(r->o[i].label, label)));
    if (!ok) {
        fprintf(stderr, "line %d: label output %zu is not class %d%s%s (%s)\n", line, i, index, label ? " " : "",
                label ? label : "", r->rc ? r->err : "");
        check_failures_++;
    }
}
#define LABEL(r, i, idx, lab) expect_label((r), (i), (idx), (lab), __LINE__)

/* the run (or prepare) fails and the message says `what` */
static void expect_fail(res *r, bool ok, const char *what, int line) {
    const char *msg = r->p ? exec_last_error(r->p) : r->err;
    if (ok || !strstr(msg, what)) {
        fprintf(stderr, "line %d: expected a failure mentioning '%s', got %s: %s\n", line, what, ok ? "success" : "failure",
                msg);
        check_failures_++;
    }
}
#define FAILS(r, ok, what) expect_fail((r), (ok), (what), __LINE__)

/* ---- GLM ------------------------------------------------------------------------ */

static Cmlpb__GLMRegressor__DoubleArray **glm_rows_r(size_t rows, size_t cols, const double *w) {
    Cmlpb__GLMRegressor__DoubleArray **a = pz(rows * sizeof *a);
    for (size_t r = 0; r < rows; r++) {
        a[r] = PNEW(Cmlpb__GLMRegressor__DoubleArray, CMLPB__GLMREGRESSOR__DOUBLE_ARRAY__INIT);
        a[r]->n_value = cols;
        a[r]->value = pdbl(cols, w + r * cols);
    }
    return a;
}

static Cmlpb__Model *glm_regressor(size_t rows, size_t cols, const double *w, size_t n_off, const double *off,
                                   Cmlpb__GLMRegressor__PostEvaluationTransform tr) {
    Cmlpb__Model *m = MODEL(1, f_array("x", (int64_t)cols), rows == 1 ? F_DOUBLE("y") : f_array("y", (int64_t)rows));
    Cmlpb__GLMRegressor *g = PNEW(Cmlpb__GLMRegressor, CMLPB__GLMREGRESSOR__INIT);
    g->n_weights = rows;
    g->weights = glm_rows_r(rows, cols, w);
    g->n_offset = n_off;
    g->offset = n_off ? pdbl(n_off, off) : NULL;
    g->postevaluationtransform = tr;
    m->type_case = CMLPB__MODEL__TYPE_GLM_REGRESSOR;
    m->glmregressor = g;
    return m;
}

static void test_glm_regressor(void) {
    res r;
    /* SOURCE: GLMRegressor.proto: y = w . x + offset, then the transform */
    CHECK(load(&r, glm_regressor(1, 3, (double[]){1, 2, 3}, 1, (double[]){0.5}, CMLPB__GLMREGRESSOR__POST_EVALUATION_TRANSFORM__NoTransform)));
    CHECK(RUNX(&r, 1, 1, 1));
    EXPECT(&r, 0, 6.5);
    CHECK(RUNX(&r, 2, -1, 0.5));
    EXPECT(&r, 0, 0.5 + 2 - 2 + 1.5);
    /* an input of the wrong length is refused with the counts */
    FAILS(&r, RUNX(&r, 1, 1), "weight row 0 has 3 entries but the input has 2");
    res_free(&r);

    CHECK(load(&r, glm_regressor(1, 2, (double[]){1, -1}, 0, NULL, CMLPB__GLMREGRESSOR__POST_EVALUATION_TRANSFORM__Logit)));
    CHECK(RUNX(&r, 3, 3));
    EXPECT(&r, 0, 0.5);
    CHECK(RUNX(&r, 1, 0));
    EXPECT(&r, 0, 1.0 / (1.0 + exp(-1.0)));
    res_free(&r);

    /* probit: the standard normal CDF, Phi(1) = 0.8413447460685429 */
    CHECK(load(&r, glm_regressor(2, 1, (double[]){1, -1}, 2, (double[]){0, 0}, CMLPB__GLMREGRESSOR__POST_EVALUATION_TRANSFORM__Probit)));
    CHECK(RUNX(&r, 1));
    EXPECT(&r, 0, 0.8413447460685429, 1 - 0.8413447460685429);
    res_free(&r);
    pool_free();
}

static Cmlpb__Model *glm_classifier(size_t rows, size_t cols, const double *w, const double *off, size_t n_labels,
                                    const char *const *labels, const int64_t *int_labels,
                                    Cmlpb__GLMClassifier__ClassEncoding enc, Cmlpb__GLMClassifier__PostEvaluationTransform tr) {
    Cmlpb__Model *m = MODEL(1, f_array("x", (int64_t)cols), labels ? F_STRING("label") : F_INT64("label"),
                            feat_dict("probs", labels != NULL));
    Cmlpb__GLMClassifier *g = PNEW(Cmlpb__GLMClassifier, CMLPB__GLMCLASSIFIER__INIT);
    g->n_weights = rows;
    g->weights = pz(rows * sizeof *g->weights);
    for (size_t r = 0; r < rows; r++) {
        g->weights[r] = PNEW(Cmlpb__GLMClassifier__DoubleArray, CMLPB__GLMCLASSIFIER__DOUBLE_ARRAY__INIT);
        g->weights[r]->n_value = cols;
        g->weights[r]->value = pdbl(cols, w + r * cols);
    }
    g->n_offset = rows;
    g->offset = pdbl(rows, off);
    g->classencoding = enc;
    g->postevaluationtransform = tr;
    if (labels) {
        Cmlpb__StringVector *sv = PNEW(Cmlpb__StringVector, CMLPB__STRING_VECTOR__INIT);
        sv->n_vector = n_labels;
        sv->vector = pz(n_labels * sizeof(char *));
        for (size_t i = 0; i < n_labels; i++) sv->vector[i] = pstr(labels[i]);
        g->class_labels_case = CMLPB__GLMCLASSIFIER__CLASS_LABELS_STRING_CLASS_LABELS;
        g->stringclasslabels = sv;
    } else {
        Cmlpb__Int64Vector *iv = PNEW(Cmlpb__Int64Vector, CMLPB__INT64_VECTOR__INIT);
        iv->n_vector = n_labels;
        iv->vector = pdup(int_labels, n_labels * sizeof *int_labels);
        g->class_labels_case = CMLPB__GLMCLASSIFIER__CLASS_LABELS_INT64_CLASS_LABELS;
        g->int64classlabels = iv;
    }
    m->type_case = CMLPB__MODEL__TYPE_GLM_CLASSIFIER;
    m->glmclassifier = g;
    return m;
}

static double sig(double y) { return 1.0 / (1.0 + exp(-y)); }

static void test_glm_classifier(void) {
    res r;
    const char *yn[] = {"no", "yes"};
    /* binary, one row: p(yes) = logit(2x - 1) */
    CHECK(load(&r, glm_classifier(1, 1, (double[]){2}, (double[]){-1}, 2, yn, NULL, CMLPB__GLMCLASSIFIER__CLASS_ENCODING__ReferenceClass,
                                  CMLPB__GLMCLASSIFIER__POST_EVALUATION_TRANSFORM__Logit)));
    CHECK(RUNX(&r, 1));
    LABEL(&r, 0, 1, "yes");
    EXPECT(&r, 1, 1 - sig(1), sig(1));
    CHECK(RUNX(&r, 0));
    LABEL(&r, 0, 0, "no");
    EXPECT(&r, 1, 1 - sig(-1), sig(-1));
    res_free(&r);

    /* one-vs-rest, three int64 classes: scores [2, 0, -2] normalised */
    int64_t ids[] = {10, 20, 30};
    CHECK(load(&r, glm_classifier(3, 2, (double[]){1, 0, 0, 1, -1, -1}, (double[]){0, 0, 0}, 3, NULL, ids,
                                  CMLPB__GLMCLASSIFIER__CLASS_ENCODING__OneVsRest, CMLPB__GLMCLASSIFIER__POST_EVALUATION_TRANSFORM__Logit)));
    CHECK(RUNX(&r, 2, 0));
    double s = sig(2) + sig(0) + sig(-2);
    LABEL(&r, 0, 0, NULL);
    EXPECT(&r, 1, sig(2) / s, sig(0) / s, sig(-2) / s);
    CHECK(RUNX(&r, -3, 1));
    s = sig(-3) + sig(1) + sig(2);
    LABEL(&r, 0, 2, NULL);
    EXPECT(&r, 1, sig(-3) / s, sig(1) / s, sig(2) / s);
    res_free(&r);

    /* reference class: class 0 scores 0, the others their rows; softmax */
    const char *abc[] = {"a", "b", "c"};
    CHECK(load(&r, glm_classifier(2, 2, (double[]){1, 0, 0, 1}, (double[]){0, 0}, 3, abc, NULL,
                                  CMLPB__GLMCLASSIFIER__CLASS_ENCODING__ReferenceClass, CMLPB__GLMCLASSIFIER__POST_EVALUATION_TRANSFORM__Logit)));
    CHECK(RUNX(&r, 1, 2));
    double z = 1 + exp(1) + exp(2);
    LABEL(&r, 0, 2, "c");
    EXPECT(&r, 1, 1 / z, exp(1) / z, exp(2) / z);
    res_free(&r);

    /* probit with three classes is refused (binary only) */
    CHECK(load(&r, glm_classifier(3, 1, (double[]){1, 2, 3}, (double[]){0, 0, 0}, 3, abc, NULL,
                                  CMLPB__GLMCLASSIFIER__CLASS_ENCODING__OneVsRest, CMLPB__GLMCLASSIFIER__POST_EVALUATION_TRANSFORM__Probit)));
    FAILS(&r, RUNX(&r, 1), "probit supports binary classification only");
    res_free(&r);
    /* rows that fit no encoding */
    CHECK(load(&r, glm_classifier(2, 1, (double[]){1, 2}, (double[]){0, 0}, 3, abc, NULL,
                                  CMLPB__GLMCLASSIFIER__CLASS_ENCODING__OneVsRest, CMLPB__GLMCLASSIFIER__POST_EVALUATION_TRANSFORM__Logit)));
    FAILS(&r, RUNX(&r, 1), "2 weight rows do not fit 3 classes");
    res_free(&r);
    pool_free();
}

/* ---- tree ensembles --------------------------------------------------------------- */

typedef Cmlpb__TreeEnsembleParameters__TreeNode tnode;
enum { LE = 0, LT, GE, GT, EQ, NE, LEAF };

static tnode *branch(uint64_t tree, uint64_t id, int beh, uint64_t feat, double v, uint64_t t, uint64_t f, bool miss_true) {
    tnode *n = PNEW(tnode, CMLPB__TREE_ENSEMBLE_PARAMETERS__TREE_NODE__INIT);
    n->treeid = tree;
    n->nodeid = id;
    n->nodebehavior = (Cmlpb__TreeEnsembleParameters__TreeNode__TreeNodeBehavior)beh;
    n->branchfeatureindex = feat;
    n->branchfeaturevalue = v;
    n->truechildnodeid = t;
    n->falsechildnodeid = f;
    n->missingvaluetrackstruechild = miss_true;
    return n;
}

/* a leaf adding values[k] at dimension k (n entries; NaN entries skipped) */
static tnode *leaf(uint64_t tree, uint64_t id, size_t n, const double *values) {
    tnode *l = branch(tree, id, LEAF, 0, 0, 0, 0, false);
    l->evaluationinfo = pz(n * sizeof *l->evaluationinfo);
    for (size_t k = 0; k < n; k++) {
        if (values[k] != values[k]) continue;
        Cmlpb__TreeEnsembleParameters__TreeNode__EvaluationInfo *e =
            PNEW(Cmlpb__TreeEnsembleParameters__TreeNode__EvaluationInfo,
                 CMLPB__TREE_ENSEMBLE_PARAMETERS__TREE_NODE__EVALUATION_INFO__INIT);
        e->evaluationindex = k;
        e->evaluationvalue = values[k];
        l->evaluationinfo[l->n_evaluationinfo++] = e;
    }
    return l;
}
#define LEAF1(tree, id, v) leaf((tree), (id), 1, (double[]){v})
#define LEAFN(tree, id, ...) leaf((tree), (id), NDBL(__VA_ARGS__), (double[]){__VA_ARGS__})

static Cmlpb__TreeEnsembleParameters *ensemble(tnode *const *nodes, uint64_t dims, size_t n_base, const double *base) {
    Cmlpb__TreeEnsembleParameters *p = PNEW(Cmlpb__TreeEnsembleParameters, CMLPB__TREE_ENSEMBLE_PARAMETERS__INIT);
    while (nodes[p->n_nodes]) p->n_nodes++;
    p->nodes = pdup(nodes, p->n_nodes * sizeof *nodes);
    p->numpredictiondimensions = dims;
    p->n_basepredictionvalue = n_base;
    p->basepredictionvalue = n_base ? pdbl(n_base, base) : NULL;
    return p;
}

static Cmlpb__Model *tree_regressor(Cmlpb__TreeEnsembleParameters *e, int64_t n_in, Cmlpb__TreeEnsemblePostEvaluationTransform tr) {
    Cmlpb__Model *m = MODEL(1, f_array("x", n_in), F_DOUBLE("y"));
    Cmlpb__TreeEnsembleRegressor *t = PNEW(Cmlpb__TreeEnsembleRegressor, CMLPB__TREE_ENSEMBLE_REGRESSOR__INIT);
    t->treeensemble = e;
    t->postevaluationtransform = tr;
    m->type_case = CMLPB__MODEL__TYPE_TREE_ENSEMBLE_REGRESSOR;
    m->treeensembleregressor = t;
    return m;
}

static Cmlpb__Model *tree_classifier(Cmlpb__TreeEnsembleParameters *e, int64_t n_in, size_t n_classes,
                                     Cmlpb__TreeEnsemblePostEvaluationTransform tr) {
    Cmlpb__Model *m = MODEL(1, f_array("x", n_in), F_INT64("class"), feat_dict("scores", false));
    Cmlpb__TreeEnsembleClassifier *t = PNEW(Cmlpb__TreeEnsembleClassifier, CMLPB__TREE_ENSEMBLE_CLASSIFIER__INIT);
    t->treeensemble = e;
    t->postevaluationtransform = tr;
    Cmlpb__Int64Vector *iv = PNEW(Cmlpb__Int64Vector, CMLPB__INT64_VECTOR__INIT);
    iv->n_vector = n_classes;
    iv->vector = pz(n_classes * sizeof(int64_t));
    for (size_t i = 0; i < n_classes; i++) iv->vector[i] = (int64_t)i;
    t->class_labels_case = CMLPB__TREE_ENSEMBLE_CLASSIFIER__CLASS_LABELS_INT64_CLASS_LABELS;
    t->int64classlabels = iv;
    m->type_case = CMLPB__MODEL__TYPE_TREE_ENSEMBLE_CLASSIFIER;
    m->treeensembleclassifier = t;
    return m;
}

/* Two trees, nodes listed out of order; tree 1's root is node 5:
 *   tree 0: n0: x0 <= 0.5 ? leaf n1 (+1) : leaf n2 (+2)
 *   tree 1: n5: x1 > 0 (missing -> true) ? leaf n7 (+10) : n6
 *           n6: x0 == 3 ? leaf n8 (+100) : leaf n9 (+1000)
 * base 0.25 */
static Cmlpb__TreeEnsembleParameters *two_trees(void) {
    return ensemble((tnode *[]){LEAF1(1, 9, 1000), branch(1, 6, EQ, 0, 3, 8, 9, false), LEAF1(0, 2, 2), LEAF1(1, 7, 10),
                                branch(0, 0, LE, 0, 0.5, 1, 2, false), LEAF1(1, 8, 100), branch(1, 5, GT, 1, 0, 7, 6, true),
                                LEAF1(0, 1, 1), NULL},
                    1, 1, (double[]){0.25});
}

static void test_tree_regressor(void) {
    res r;
    CHECK(load(&r, tree_regressor(two_trees(), 2, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform)));
    CHECK(RUNX(&r, 0, 1));
    EXPECT(&r, 0, 0.25 + 1 + 10);
    CHECK(RUNX(&r, 3, -1));
    EXPECT(&r, 0, 0.25 + 2 + 100);
    CHECK(RUNX(&r, 2, 0)); /* x1 > 0 is false at 0, x0 == 3 false */
    EXPECT(&r, 0, 0.25 + 2 + 1000);
    CHECK(RUNX(&r, 4, NAN)); /* a missing x1 follows the true child */
    EXPECT(&r, 0, 0.25 + 2 + 10);
    CHECK(RUNX(&r, 0.5, 1)); /* <= is inclusive */
    EXPECT(&r, 0, 0.25 + 1 + 10);
    FAILS(&r, RUNX(&r, 1), "reads feature 1 but the input has 1 values");
    res_free(&r);

    CHECK(load(&r, tree_regressor(two_trees(), 2, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__Regression_Logistic)));
    CHECK(RUNX(&r, 0.6, 1));
    EXPECT(&r, 0, sig(0.25 + 2 + 10));
    res_free(&r);

    /* the other comparisons: <, >=, != */
    for (int beh = LT; beh <= NE; beh++) {
        if (beh == GT || beh == EQ) continue;
        Cmlpb__TreeEnsembleParameters *e = ensemble(
            (tnode *[]){branch(0, 0, beh, 0, 1, 1, 2, false), LEAF1(0, 1, 1), LEAF1(0, 2, 2), NULL}, 1, 0, NULL);
        CHECK(load(&r, tree_regressor(e, 1, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform)));
        const float xs[3] = {0, 1, 2};
        const double want[3][3] = {/* LT */ {1, 2, 2}, /* GE */ {2, 1, 1}, /* NE */ {1, 2, 1}};
        int row = beh == LT ? 0 : beh == GE ? 1 : 2;
        for (int k = 0; k < 3; k++) {
            CHECK(run_x(&r, "x", &xs[k], 1));
            EXPECT(&r, 0, want[row][k]);
        }
        res_free(&r);
    }
    pool_free();
}

static void test_tree_classifier(void) {
    res r;
    /* three classes, one tree: x0 < 1 ? [0.7, 0.2, 0.1] : [0, 0, 1] */
    Cmlpb__TreeEnsembleParameters *e = ensemble(
        (tnode *[]){branch(0, 0, LT, 0, 1, 1, 2, false), LEAFN(0, 1, 0.7, 0.2, 0.1), LEAFN(0, 2, NAN, NAN, 1.0), NULL}, 3, 0,
        NULL);
    CHECK(load(&r, tree_classifier(e, 1, 3, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform)));
    CHECK(RUNX(&r, 0));
    LABEL(&r, 0, 0, NULL);
    EXPECT(&r, 1, 0.7, 0.2, 0.1);
    CHECK(RUNX(&r, 5));
    LABEL(&r, 0, 2, NULL);
    EXPECT(&r, 1, 0, 0, 1);
    res_free(&r);

    CHECK(load(&r, tree_classifier(e, 1, 3, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__Classification_SoftMax)));
    CHECK(RUNX(&r, 0));
    double z = exp(0.7) + exp(0.2) + exp(0.1);
    LABEL(&r, 0, 0, NULL);
    EXPECT(&r, 1, exp(0.7) / z, exp(0.2) / z, exp(0.1) / z);
    res_free(&r);

    /* two scores for three classes: a softmax with class 0 fixed at 0 */
    Cmlpb__TreeEnsembleParameters *e2 =
        ensemble((tnode *[]){LEAFN(0, 0, 1.0, 2.0), NULL}, 2, 0, NULL);
    CHECK(load(&r, tree_classifier(e2, 1, 3, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__Classification_SoftMaxWithZeroClassReference)));
    CHECK(RUNX(&r, 0));
    z = 1 + exp(1) + exp(2);
    LABEL(&r, 0, 2, NULL);
    EXPECT(&r, 1, 1 / z, exp(1) / z, exp(2) / z);
    res_free(&r);

    /* binary with one dimension: p1 = score; class 1 from 0.5 on */
    Cmlpb__TreeEnsembleParameters *e3 = ensemble(
        (tnode *[]){branch(0, 0, LE, 0, 0, 1, 2, false), LEAF1(0, 1, 0.3), LEAF1(0, 2, 0.5), NULL}, 1, 1, (double[]){0});
    CHECK(load(&r, tree_classifier(e3, 1, 2, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform)));
    CHECK(RUNX(&r, -1));
    LABEL(&r, 0, 0, NULL);
    EXPECT(&r, 1, 0.7, 0.3);
    CHECK(RUNX(&r, 1));
    LABEL(&r, 0, 1, NULL);
    EXPECT(&r, 1, 0.5, 0.5);
    res_free(&r);
    pool_free();
}

/* Broken trees fail with a message (at the first run, where the kernel
 * compiles the trees), never crash or loop. */
static void test_tree_broken(void) {
    res r;
    struct {
        tnode *nodes[6];
        uint64_t dims;
        const char *why;
    } cases[] = {
        /* n1 loops to itself: the walk from the root never ends */
        {{branch(0, 0, LE, 0, 0, 1, 2, false), branch(0, 1, LE, 0, 0, 1, 2, false), LEAF1(0, 2, 1), NULL}, 1, "cycle"},
        {{branch(0, 0, LE, 0, 0, 1, 7, false), LEAF1(0, 1, 1), NULL}, 1, "points at a node that does not exist"},
        {{LEAF1(0, 0, 1), LEAF1(0, 1, 2), NULL}, 1, "tree 0 has 2 root nodes"},
        {{branch(0, 0, LE, 0, 0, 1, 0, false), LEAF1(0, 1, 1), NULL}, 1, "tree 0 has 0 root nodes"},
        {{LEAFN(0, 0, NAN, NAN, 1), NULL}, 2, "writes prediction dimension 2 of 2"},
        {{branch(0, 0, LE, 0, 0, 1, 2, false), LEAF1(0, 1, 1), LEAF1(0, 2, 1), LEAF1(0, 2, 3), NULL}, 1, "two nodes with id 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Cmlpb__TreeEnsembleParameters *e = ensemble(cases[i].nodes, cases[i].dims, 0, NULL);
        CHECK(load(&r, tree_regressor(e, 1, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform)));
        FAILS(&r, RUNX(&r, -1), cases[i].why);
        FAILS(&r, RUNX(&r, -1), cases[i].why); /* and again: the failed build is not cached as a success */
        res_free(&r);
    }
    pool_free();
}

/* ---- scaler, feature vectorizer, pipelines --------------------------------------- */

static Cmlpb__Model *scaler(const char *in, const char *out, int64_t n, size_t n_shift, const double *shift, size_t n_scale,
                            const double *scale) {
    Cmlpb__Model *m = MODEL(1, f_array(in, n), f_array(out, n));
    Cmlpb__Scaler *s = PNEW(Cmlpb__Scaler, CMLPB__SCALER__INIT);
    s->n_shiftvalue = n_shift;
    s->shiftvalue = n_shift ? pdbl(n_shift, shift) : NULL;
    s->n_scalevalue = n_scale;
    s->scalevalue = n_scale ? pdbl(n_scale, scale) : NULL;
    m->type_case = CMLPB__MODEL__TYPE_SCALER;
    m->scaler = s;
    return m;
}

static Cmlpb__Model *vectorizer(const char *out, int64_t n_out) {
    Cmlpb__Model *m = MODEL(2, F_DOUBLE("a"), f_array("b", 2), f_array(out, n_out));
    Cmlpb__FeatureVectorizer *v = PNEW(Cmlpb__FeatureVectorizer, CMLPB__FEATURE_VECTORIZER__INIT);
    v->n_inputlist = 2;
    v->inputlist = pz(2 * sizeof *v->inputlist);
    const char *names[2] = {"b", "a"};
    uint64_t dims[2] = {2, 1};
    for (int i = 0; i < 2; i++) {
        v->inputlist[i] = PNEW(Cmlpb__FeatureVectorizer__InputColumn, CMLPB__FEATURE_VECTORIZER__INPUT_COLUMN__INIT);
        v->inputlist[i]->inputcolumn = pstr(names[i]);
        v->inputlist[i]->inputdimensions = dims[i];
    }
    m->type_case = CMLPB__MODEL__TYPE_FEATURE_VECTORIZER;
    m->featurevectorizer = v;
    return m;
}

static void test_scaler_vectorizer(void) {
    res r;
    /* SOURCE: Scaler.proto: f(x) = scaleValue * (x + shiftValue), single values broadcast */
    CHECK(load(&r, scaler("x", "y", 2, 1, (double[]){1}, 2, (double[]){2, 3})));
    CHECK(RUNX(&r, 1, 2));
    EXPECT(&r, 0, 4, 9);
    res_free(&r);
    CHECK(load(&r, scaler("x", "y", 3, 2, (double[]){1, 2}, 0, NULL)));
    FAILS(&r, RUNX(&r, 1, 2, 3), "2 shift and 0 scale values for an input of 3 values");
    res_free(&r);

    /* the listed columns in their order: b (2 values) then a */
    CHECK(load(&r, vectorizer("v", 3)));
    exec_tensor in[2] = {{.name = "a", .rank = 1, .shape = {1}, .data = (float[]){7}},
                         {.name = "b", .rank = 1, .shape = {2}, .data = (float[]){1, 2}}};
    CHECK(res_again(&r, EXEC_FP32, in, 2));
    EXPECT(&r, 0, 1, 2, 7);
    in[1].shape[0] = 1;
    FAILS(&r, res_again(&r, EXEC_FP32, in, 2), "'b' has 1 values, the input list says 2");
    res_free(&r);
    pool_free();
}

static Cmlpb__Model *normalizer(Cmlpb__Normalizer__NormType t, int64_t n) {
    Cmlpb__Model *m = MODEL(1, f_array("x", n), f_array("y", n));
    Cmlpb__Normalizer *z = PNEW(Cmlpb__Normalizer, CMLPB__NORMALIZER__INIT);
    z->normtype = t;
    m->type_case = CMLPB__MODEL__TYPE_NORMALIZER;
    m->normalizer = z;
    return m;
}

static void test_normalizer_extractor_imputer(void) {
    res r;
    CHECK(load(&r, normalizer(CMLPB__NORMALIZER__NORM_TYPE__L1, 3)));
    CHECK(RUNX(&r, 1, -2, 1));
    EXPECT(&r, 0, 0.25, -0.5, 0.25);
    CHECK(RUNX(&r, 0, 0, 0)); /* an all-zero input stays zero */
    EXPECT(&r, 0, 0, 0, 0);
    res_free(&r);
    CHECK(load(&r, normalizer(CMLPB__NORMALIZER__NORM_TYPE__L2, 2)));
    CHECK(RUNX(&r, 3, -4));
    EXPECT(&r, 0, 0.6, -0.8);
    res_free(&r);
    CHECK(load(&r, normalizer(CMLPB__NORMALIZER__NORM_TYPE__LMax, 2)));
    CHECK(RUNX(&r, 2, -8));
    EXPECT(&r, 0, 0.25, -1);
    res_free(&r);

    /* SOURCE: ArrayFeatureExtractor.proto: zero-based indices, in order */
    Cmlpb__Model *m = MODEL(1, f_array("x", 3), f_array("y", 2));
    Cmlpb__ArrayFeatureExtractor *a = PNEW(Cmlpb__ArrayFeatureExtractor, CMLPB__ARRAY_FEATURE_EXTRACTOR__INIT);
    a->n_extractindex = 2;
    a->extractindex = pdup((uint64_t[]){2, 0}, 2 * sizeof(uint64_t));
    m->type_case = CMLPB__MODEL__TYPE_ARRAY_FEATURE_EXTRACTOR;
    m->arrayfeatureextractor = a;
    CHECK(load(&r, m));
    CHECK(RUNX(&r, 10, 20, 30));
    EXPECT(&r, 0, 30, 10);
    FAILS(&r, RUNX(&r, 10, 20), "index 2 is outside the input's 2 values");
    res_free(&r);

    /* imputer: NaN (the default missing value) -> the array's element */
    m = MODEL(1, f_array("x", 3), f_array("y", 3));
    Cmlpb__Imputer *im = PNEW(Cmlpb__Imputer, CMLPB__IMPUTER__INIT);
    Cmlpb__DoubleVector *dv = PNEW(Cmlpb__DoubleVector, CMLPB__DOUBLE_VECTOR__INIT);
    dv->n_vector = 3;
    dv->vector = DBL(7, 8, 9);
    im->imputed_value_case = CMLPB__IMPUTER__IMPUTED_VALUE_IMPUTED_DOUBLE_ARRAY;
    im->imputeddoublearray = dv;
    m->type_case = CMLPB__MODEL__TYPE_IMPUTER;
    m->imputer = im;
    CHECK(load(&r, m));
    CHECK(RUNX(&r, NAN, 2, NAN));
    EXPECT(&r, 0, 7, 2, 9);
    res_free(&r);
    /* -1 marks a missing value, replaced by 5 */
    im->imputed_value_case = CMLPB__IMPUTER__IMPUTED_VALUE_IMPUTED_DOUBLE_VALUE;
    im->imputeddoublevalue = 5;
    im->replace_value_case = CMLPB__IMPUTER__REPLACE_VALUE_REPLACE_DOUBLE_VALUE;
    im->replacedoublevalue = -1;
    CHECK(load(&r, m));
    CHECK(RUNX(&r, -1, 2, NAN)); /* NaN is not the missing marker here: it stays */
    CHECK(!r.rc && r.n == 1 && r.o[0].data[0] == 5 && r.o[0].data[1] == 2 && isnan(r.o[0].data[2]));
    res_free(&r);
    /* string and dictionary imputation: test_exec_classic_more.c */
    pool_free();
}

static Cmlpb__Model *pipeline(Cmlpb__Model *outer, Cmlpb__Model *const *stages, size_t n) {
    Cmlpb__Pipeline *p = PNEW(Cmlpb__Pipeline, CMLPB__PIPELINE__INIT);
    p->n_models = n;
    p->models = pdup(stages, n * sizeof *stages);
    Cmlpb__PipelineRegressor *pr = PNEW(Cmlpb__PipelineRegressor, CMLPB__PIPELINE_REGRESSOR__INIT);
    pr->pipeline = p;
    outer->type_case = CMLPB__MODEL__TYPE_PIPELINE_REGRESSOR;
    outer->pipelineregressor = pr;
    return outer;
}

static void test_pipeline(void) {
    res r;
    /* [a, b] -> vectorizer "v" = [b0, b1, a] -> scaler "s" = 2 (v + 1)
     * -> a nested pipeline holding the GLM: y = s . [1, 10, 100] */
    Cmlpb__Model *glm = glm_regressor(1, 3, (double[]){1, 10, 100}, 0, NULL, CMLPB__GLMREGRESSOR__POST_EVALUATION_TRANSFORM__NoTransform);
    glm->description->input[0] = f_array("s", 3);
    Cmlpb__Model *inner = pipeline(MODEL(1, f_array("s", 3), F_DOUBLE("y")), (Cmlpb__Model *[]){glm}, 1);
    Cmlpb__Model *m = pipeline(MODEL(2, F_DOUBLE("a"), f_array("b", 2), F_DOUBLE("y")),
                               (Cmlpb__Model *[]){vectorizer("v", 3), scaler("v", "s", 3, 1, (double[]){1}, 1, (double[]){2}), inner}, 3);
    CHECK(load(&r, m));
    const cml_function *fn = r.lm && r.lm->model ? r.lm->model->classic : NULL;
    CHECK(fn && fn->block->n_ops == 3); /* the nested pipeline flattened */
    CHECK(fn && fn->block->n_ops == 3 && !strcmp(fn->block->ops[2]->kind, "glmRegressor"));
    exec_tensor in[2] = {{.name = "a", .rank = 1, .shape = {1}, .data = (float[]){3}},
                         {.name = "b", .rank = 1, .shape = {2}, .data = (float[]){1, 2}}};
    CHECK(res_again(&r, EXEC_FP32, in, 2));
    EXPECT(&r, 0, 2 * (1 + 1) * 1 + 2 * (2 + 1) * 10 + 2 * (3 + 1) * 100);
    /* fp16 emulation does not apply to classic models: the same values */
    CHECK(res_again(&r, EXEC_FP16_EMU, in, 2));
    EXPECT(&r, 0, 864);
    res_free(&r);

    /* a stage reading a feature nothing defines */
    Cmlpb__Model *bad = pipeline(MODEL(1, f_array("x", 2), f_array("y", 2)),
                                 (Cmlpb__Model *[]){scaler("nope", "y", 2, 0, NULL, 1, (double[]){2})}, 1);
    if (load(&r, bad)) FAILS(&r, RUNX(&r, 1, 2), "no value");
    else CHECK(strstr(r.err, "nope") != NULL);
    res_free(&r);
    pool_free();
}

/* ---- double precision ------------------------------------------------------------- */

/* Classic models compute with the doubles Core ML hands them: an input
 * declared double (a DOUBLE multi-array, a Double feature) given as
 * doubles (exec_tensor.data64), and a stage's double output read by the
 * next stage, are not rounded to float32 on the way. Each expected value
 * is the model's arithmetic done here in C doubles; the float32 path gives
 * another answer in every case (checked too, so that the case keeps
 * testing something). SOURCE: FeatureTypes.proto DoubleFeatureType,
 * ArrayFeatureType DOUBLE; TreeEnsemble.proto branchFeatureValue,
 * Scaler.proto shiftValue / scaleValue and GLMRegressor.proto weights are
 * doubles. */
static bool run_x64(res *r, const char *name, const double *x, int64_t n) {
    float f[8];
    for (int64_t i = 0; i < n && i < 8; i++) f[i] = (float)x[i];
    exec_tensor t = {.name = name, .rank = 1, .shape = {n}, .data = f, .data64 = x};
    return res_again(r, EXEC_FP32, &t, 1);
}

static void test_double_inputs(void) {
    res r;
    /* a tree's threshold of 0.1 (not a float32 value) meets an input of 0.1:
     * x <= 0.1 holds in doubles, not for 0.1f = 0.100000001490116 */
    const double thr = 0.1, x01 = 0.1;
    CHECK((double)(float)x01 > thr); /* the float32 path takes the other branch */
    Cmlpb__TreeEnsembleParameters *e =
        ensemble((tnode *[]){branch(0, 0, LE, 0, thr, 1, 2, false), LEAF1(0, 1, 1), LEAF1(0, 2, 2), NULL}, 1, 0, NULL);
    CHECK(load(&r, tree_regressor(e, 1, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform)));
    CHECK(run_x64(&r, "x", &x01, 1));
    EXPECT(&r, 0, x01 <= thr ? 1 : 2);
    CHECK(RUNX(&r, 0.1f)); /* given as float32 only: the float's value */
    EXPECT(&r, 0, (double)0.1f <= thr ? 1 : 2);
    res_free(&r);

    /* a GLM: y = 2^30 x - 2^30 at x = 1 + 2^-30, which float32 rounds to 1 */
    const double big = 1073741824.0, x1 = 1.0 + 1.0 / big;
    CHECK((float)x1 == 1.0f);
    CHECK(load(&r, glm_regressor(1, 1, (double[]){big}, 1, (double[]){-big},
                                 CMLPB__GLMREGRESSOR__POST_EVALUATION_TRANSFORM__NoTransform)));
    CHECK(run_x64(&r, "x", &x1, 1));
    EXPECT(&r, 0, big * x1 - big);
    res_free(&r);

    /* a pipeline: x -> scaler s = x - 0.9 (a DOUBLE array) -> tree s <= 0.1.
     * 1 - 0.9 is 0.09999999999999998 in doubles (<= 0.1: leaf 1), 0.1f
     * once rounded to float32 (> 0.1: leaf 2) */
    const double s = (1.0 + -0.9) * 1.0;
    CHECK(s <= thr && (double)(float)s > thr);
    Cmlpb__TreeEnsembleParameters *e2 =
        ensemble((tnode *[]){branch(0, 0, LE, 0, thr, 1, 2, false), LEAF1(0, 1, 1), LEAF1(0, 2, 2), NULL}, 1, 0, NULL);
    Cmlpb__Model *tree = tree_regressor(e2, 1, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform);
    tree->description->input[0] = f_array("s", 1);
    Cmlpb__Model *m = pipeline(MODEL(1, f_array("x", 1), F_DOUBLE("y")),
                               (Cmlpb__Model *[]){scaler("x", "s", 1, 1, (double[]){-0.9}, 1, (double[]){1}), tree}, 2);
    CHECK(load(&r, m));
    CHECK(RUNX(&r, 1));
    EXPECT(&r, 0, s <= thr ? 1 : 2);
    res_free(&r);

    /* through a feature vectorizer: [a (Double), b] -> v = [b0, b1, a] ->
     * tree v[2] <= 0.1, a given as the double 0.1 */
    Cmlpb__TreeEnsembleParameters *e3 =
        ensemble((tnode *[]){branch(0, 0, LE, 2, thr, 1, 2, false), LEAF1(0, 1, 1), LEAF1(0, 2, 2), NULL}, 1, 0, NULL);
    Cmlpb__Model *tree3 = tree_regressor(e3, 3, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform);
    tree3->description->input[0] = f_array("v", 3);
    Cmlpb__Model *m3 = pipeline(MODEL(2, F_DOUBLE("a"), f_array("b", 2), F_DOUBLE("y")),
                                (Cmlpb__Model *[]){vectorizer("v", 3), tree3}, 2);
    CHECK(load(&r, m3));
    exec_tensor in[2] = {{.name = "a", .rank = 1, .shape = {1}, .data = (float[]){0.1f}, .data64 = &x01},
                         {.name = "b", .rank = 1, .shape = {2}, .data = (float[]){5, 6}}};
    CHECK(res_again(&r, EXEC_FP32, in, 2));
    EXPECT(&r, 0, x01 <= thr ? 1 : 2);
    res_free(&r);
    pool_free();
}

/* a NeuralNetwork stage inside a pipeline: x -> scaler s = 2 (x + 1) ->
 * NeuralNetwork relu -> y, run in the pipeline's mode (fp16 emulation
 * rounds inside the neural stage only) */
static void test_pipeline_neural_stage(void) {
    res r;
    Cmlpb__Model *nn = MODEL(1, f_array("s", 3), f_array("y", 3));
    nn->specificationversion = 4;
    Cmlpb__NeuralNetwork *net = PNEW(Cmlpb__NeuralNetwork, CMLPB__NEURAL_NETWORK__INIT);
    Cmlpb__NeuralNetworkLayer *l = PNEW(Cmlpb__NeuralNetworkLayer, CMLPB__NEURAL_NETWORK_LAYER__INIT);
    l->name = pstr("relu");
    l->n_input = l->n_output = 1;
    l->input = pdup((char *[]){pstr("s")}, sizeof(char *));
    l->output = pdup((char *[]){pstr("y")}, sizeof(char *));
    Cmlpb__ActivationParams *a = PNEW(Cmlpb__ActivationParams, CMLPB__ACTIVATION_PARAMS__INIT);
    a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_RE_LU;
    a->relu = PNEW(Cmlpb__ActivationReLU, CMLPB__ACTIVATION_RE_LU__INIT);
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_ACTIVATION;
    l->activation = a;
    net->n_layers = 1;
    net->layers = pdup((Cmlpb__NeuralNetworkLayer *[]){l}, sizeof l);
    net->arrayinputshapemapping = CMLPB__NEURAL_NETWORK_MULTI_ARRAY_SHAPE_MAPPING__EXACT_ARRAY_MAPPING;
    nn->type_case = CMLPB__MODEL__TYPE_NEURAL_NETWORK;
    nn->neuralnetwork = net;
    Cmlpb__Model *m = pipeline(MODEL(1, f_array("x", 3), f_array("y", 3)),
                               (Cmlpb__Model *[]){scaler("x", "s", 3, 1, (double[]){1}, 1, (double[]){2}), nn}, 2);
    m->specificationversion = 4;
    CHECK(load(&r, m));
    CHECK(RUNX(&r, -3, 0.1, 1));
    EXPECT(&r, 0, 0, 2.2, 4);
    exec_tensor t = {.name = "x", .rank = 1, .shape = {3}, .data = (float[]){-3, 0.1f, 1}};
    CHECK(res_again(&r, EXEC_FP16_EMU, &t, 1));
    EXPECT(&r, 0, 0, 2.19921875, 4); /* 2.2 rounded to binary16 by the NeuralNetwork stage */
    res_free(&r);

    /* a stage layer the executor lacks is named, from inside the stage */
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_CUSTOM;
    l->custom = PNEW(Cmlpb__CustomLayerParams, CMLPB__CUSTOM_LAYER_PARAMS__INIT);
    l->custom->classname = pstr("MyLayer");
    CHECK(!load(&r, m) && strstr(r.err, "custom"));
    const cml_op *bad[4];
    char why[4][192];
    CHECK(r.lm && r.lm->model && exec_unsupported(r.lm->model, NULL, &nn_host_opts.io, bad, why, 4) == 1 &&
          !strcmp(bad[0]->name, "relu") &&
          !strcmp(why[0], "custom (custom layer 'MyLayer': needs the app's own implementation)"));
    res_free(&r);
    pool_free();
}

/* ---- support vector machines ------------------------------------------------------ */

enum { SVK_LINEAR = 1, SVK_RBF, SVK_POLY, SVK_SIGMOID }; /* SVM.proto Kernel oneof field numbers */

static Cmlpb__Kernel *svm_kernel(int which, double gamma, double c0, int32_t degree) {
    Cmlpb__Kernel *k = PNEW(Cmlpb__Kernel, CMLPB__KERNEL__INIT);
    k->kernel_case = (Cmlpb__Kernel__KernelCase)which;
    if (which == SVK_LINEAR) {
        k->linearkernel = PNEW(Cmlpb__LinearKernel, CMLPB__LINEAR_KERNEL__INIT);
    } else if (which == SVK_RBF) {
        k->rbfkernel = PNEW(Cmlpb__RBFKernel, CMLPB__RBFKERNEL__INIT);
        k->rbfkernel->gamma = gamma;
    } else if (which == SVK_POLY) {
        k->polykernel = PNEW(Cmlpb__PolyKernel, CMLPB__POLY_KERNEL__INIT);
        k->polykernel->gamma = gamma;
        k->polykernel->c = c0;
        k->polykernel->degree = degree;
    } else {
        k->sigmoidkernel = PNEW(Cmlpb__SigmoidKernel, CMLPB__SIGMOID_KERNEL__INIT);
        k->sigmoidkernel->gamma = gamma;
        k->sigmoidkernel->c = c0;
    }
    return k;
}
#define K_LINEAR svm_kernel(SVK_LINEAR, 0, 0, 0)

/* n dense support vectors of dim values each, row after row */
static Cmlpb__DenseSupportVectors *dense_svs(size_t n, size_t dim, const double *v) {
    Cmlpb__DenseSupportVectors *d = PNEW(Cmlpb__DenseSupportVectors, CMLPB__DENSE_SUPPORT_VECTORS__INIT);
    d->n_vectors = n;
    d->vectors = pz(n * sizeof *d->vectors);
    for (size_t i = 0; i < n; i++) {
        d->vectors[i] = PNEW(Cmlpb__DenseVector, CMLPB__DENSE_VECTOR__INIT);
        d->vectors[i]->n_values = dim;
        d->vectors[i]->values = pdbl(dim, v + i * dim);
    }
    return d;
}

/* n sparse support vectors; vector i has counts[i] (index, value) nodes */
static Cmlpb__SparseSupportVectors *sparse_svs(size_t n, const size_t *counts, const int32_t *idx, const double *val) {
    Cmlpb__SparseSupportVectors *s = PNEW(Cmlpb__SparseSupportVectors, CMLPB__SPARSE_SUPPORT_VECTORS__INIT);
    s->n_vectors = n;
    s->vectors = pz(n * sizeof *s->vectors);
    for (size_t i = 0, at = 0; i < n; i++) {
        Cmlpb__SparseVector *v = PNEW(Cmlpb__SparseVector, CMLPB__SPARSE_VECTOR__INIT);
        v->n_nodes = counts[i];
        v->nodes = pz(counts[i] * sizeof *v->nodes);
        for (size_t k = 0; k < counts[i]; k++, at++) {
            v->nodes[k] = PNEW(Cmlpb__SparseNode, CMLPB__SPARSE_NODE__INIT);
            v->nodes[k]->index = idx[at];
            v->nodes[k]->value = val[at];
        }
        s->vectors[i] = v;
    }
    return s;
}

static Cmlpb__Coefficients *coefs(size_t n, const double *a) {
    Cmlpb__Coefficients *c = PNEW(Cmlpb__Coefficients, CMLPB__COEFFICIENTS__INIT);
    c->n_alpha = n;
    c->alpha = n ? pdbl(n, a) : NULL;
    return c;
}

static Cmlpb__Model *svr(Cmlpb__Kernel *k, Cmlpb__DenseSupportVectors *d, Cmlpb__SparseSupportVectors *sp, size_t n_alpha,
                         const double *alpha, double rho, int64_t n_in) {
    Cmlpb__Model *m = MODEL(1, f_array("x", n_in), F_DOUBLE("y"));
    Cmlpb__SupportVectorRegressor *s = PNEW(Cmlpb__SupportVectorRegressor, CMLPB__SUPPORT_VECTOR_REGRESSOR__INIT);
    s->kernel = k;
    if (d) {
        s->support_vectors_case = CMLPB__SUPPORT_VECTOR_REGRESSOR__SUPPORT_VECTORS_DENSE_SUPPORT_VECTORS;
        s->densesupportvectors = d;
    } else if (sp) {
        s->support_vectors_case = CMLPB__SUPPORT_VECTOR_REGRESSOR__SUPPORT_VECTORS_SPARSE_SUPPORT_VECTORS;
        s->sparsesupportvectors = sp;
    }
    s->coefficients = coefs(n_alpha, alpha);
    s->rho = rho;
    m->type_case = CMLPB__MODEL__TYPE_SUPPORT_VECTOR_REGRESSOR;
    m->supportvectorregressor = s;
    return m;
}

/* A classifier over string labels "a", "b", ...: nsv[k] support vectors per
 * class, n_classes - 1 coefficient rows of sum(nsv) entries, one rho per
 * class pair, probA/probB (one per pair) when pa is given. */
static Cmlpb__Model *svc(Cmlpb__Kernel *k, Cmlpb__DenseSupportVectors *d, Cmlpb__SparseSupportVectors *sp, size_t n_classes,
                         const int32_t *nsv, const double *coef, const double *rho, const double *pa, const double *pb,
                         int64_t n_in) {
    Cmlpb__Model *m = MODEL(1, f_array("x", n_in), F_STRING("label"), feat_dict("probs", true));
    Cmlpb__SupportVectorClassifier *s = PNEW(Cmlpb__SupportVectorClassifier, CMLPB__SUPPORT_VECTOR_CLASSIFIER__INIT);
    s->kernel = k;
    if (d) {
        s->support_vectors_case = CMLPB__SUPPORT_VECTOR_CLASSIFIER__SUPPORT_VECTORS_DENSE_SUPPORT_VECTORS;
        s->densesupportvectors = d;
    } else {
        s->support_vectors_case = CMLPB__SUPPORT_VECTOR_CLASSIFIER__SUPPORT_VECTORS_SPARSE_SUPPORT_VECTORS;
        s->sparsesupportvectors = sp;
    }
    size_t n_sv = 0, pairs = n_classes * (n_classes - 1) / 2;
    for (size_t i = 0; i < n_classes; i++) n_sv += (size_t)nsv[i];
    s->n_numberofsupportvectorsperclass = n_classes;
    s->numberofsupportvectorsperclass = pdup(nsv, n_classes * sizeof *nsv);
    s->n_coefficients = n_classes - 1;
    s->coefficients = pz((n_classes - 1) * sizeof *s->coefficients);
    for (size_t r = 0; r + 1 < n_classes; r++) s->coefficients[r] = coefs(n_sv, coef + r * n_sv);
    s->n_rho = pairs;
    s->rho = pdbl(pairs, rho);
    if (pa) {
        s->n_proba = s->n_probb = pairs;
        s->proba = pdbl(pairs, pa);
        s->probb = pdbl(pairs, pb);
    }
    Cmlpb__StringVector *sv = PNEW(Cmlpb__StringVector, CMLPB__STRING_VECTOR__INIT);
    sv->n_vector = n_classes;
    sv->vector = pz(n_classes * sizeof(char *));
    for (size_t i = 0; i < n_classes; i++) sv->vector[i] = pstr((char[]){(char)('a' + i), 0});
    s->class_labels_case = CMLPB__SUPPORT_VECTOR_CLASSIFIER__CLASS_LABELS_STRING_CLASS_LABELS;
    s->stringclasslabels = sv;
    m->type_case = CMLPB__MODEL__TYPE_SUPPORT_VECTOR_CLASSIFIER;
    m->supportvectorclassifier = s;
    return m;
}

/* Two dense support vectors s0 = [1, 2], s1 = [-1, 0.5], alpha = [0.5, -2],
 * rho = 0.25: y = 0.5 K(x, s0) - 2 K(x, s1) - 0.25. */
static Cmlpb__Model *svr_two(Cmlpb__Kernel *k) {
    return svr(k, dense_svs(2, 2, (double[]){1, 2, -1, 0.5}), NULL, 2, (double[]){0.5, -2}, 0.25, 2);
}

static void test_svm_regressor(void) {
    res r;
    /* SOURCE: SVM.proto kernel formulas; y = sum alpha K - rho (_SVR.py:
     * rho = -intercept_). At x = [2, -1]: x.s0 = 0, x.s1 = -2.5,
     * |x - s0|^2 = 1 + 9 = 10, |x - s1|^2 = 9 + 2.25 = 11.25. */
    CHECK(load(&r, svr_two(K_LINEAR)));
    CHECK(RUNX(&r, 2, -1));
    EXPECT(&r, 0, 0.5 * 0 - 2 * -2.5 - 0.25); /* 4.75; +rho would give 5.25 */
    CHECK(RUNX(&r, 0, 0));
    EXPECT(&r, 0, -0.25);
    FAILS(&r, RUNX(&r, 1, 2, 3), "the support vectors have 2 values but the input has 3");
    res_free(&r);

    CHECK(load(&r, svr_two(svm_kernel(SVK_RBF, 0.5, 0, 0))));
    CHECK(RUNX(&r, 2, -1));
    EXPECT(&r, 0, 0.5 * exp(-0.5 * 10) - 2 * exp(-0.5 * 11.25) - 0.25);
    CHECK(RUNX(&r, 1, 2)); /* x = s0: K(x, s0) = 1, |x - s1|^2 = 4 + 2.25 */
    EXPECT(&r, 0, 0.5 - 2 * exp(-0.5 * 6.25) - 0.25);
    res_free(&r);

    /* (gamma x.s + c)^degree: (0.5 * 0 + 1)^3 = 1, (0.5 * -2.5 + 1)^3 = -0.015625 */
    CHECK(load(&r, svr_two(svm_kernel(SVK_POLY, 0.5, 1, 3))));
    CHECK(RUNX(&r, 2, -1));
    EXPECT(&r, 0, 0.5 * 1 - 2 * -0.015625 - 0.25);
    res_free(&r);
    CHECK(load(&r, svr_two(svm_kernel(SVK_POLY, 0.5, 1, 0)))); /* degree 0: every K is 1 */
    CHECK(RUNX(&r, 2, -1));
    EXPECT(&r, 0, 0.5 - 2 - 0.25);
    res_free(&r);

    /* tanh(gamma x.s + c) with gamma 0.5, c -1 */
    CHECK(load(&r, svr_two(svm_kernel(SVK_SIGMOID, 0.5, -1, 0))));
    CHECK(RUNX(&r, 2, -1));
    EXPECT(&r, 0, 0.5 * tanh(-1) - 2 * tanh(0.5 * -2.5 - 1) - 0.25);
    res_free(&r);

    /* Sparse, 1-based indices, over an input of 3 values: s0 = {2: 2, 1: 1}
     * (nodes out of order) = [1, 2, 0], s1 = {2: 0.5} = [0, 0.5, 0]. At
     * x = [2, -1, 3]: x.s0 = 0, x.s1 = -0.5; the features a vector leaves
     * out are 0 in the distance: |x - s0|^2 = 1 + 9 + 9 = 19,
     * |x - s1|^2 = 4 + 2.25 + 9 = 15.25. */
    Cmlpb__SparseSupportVectors *sp = sparse_svs(2, (size_t[]){2, 1}, (int32_t[]){2, 1, 2}, (double[]){2, 1, 0.5});
    CHECK(load(&r, svr(K_LINEAR, NULL, sp, 2, (double[]){0.5, -2}, 0.25, 3)));
    CHECK(RUNX(&r, 2, -1, 3));
    EXPECT(&r, 0, 0.5 * 0 - 2 * -0.5 - 0.25);
    /* an input shorter than the largest index is refused */
    FAILS(&r, RUNX(&r, 2), "reads feature 2 (1-based) but the input has 1 values");
    res_free(&r);
    CHECK(load(&r, svr(svm_kernel(SVK_RBF, 0.5, 0, 0), NULL, sp, 2, (double[]){0.5, -2}, 0.25, 3)));
    CHECK(RUNX(&r, 2, -1, 3));
    EXPECT(&r, 0, 0.5 * exp(-0.5 * 19) - 2 * exp(-0.5 * 15.25) - 0.25);
    res_free(&r);
    pool_free();
}

/* Three classes a, b, c, linear kernel, four support vectors in class
 * order: a: s0 = [1, 0]; b: s1 = [0, 1], s2 = [1, 1]; c: s3 = [-1, -1]
 * (nSV = [1, 2, 1]). coef[0] = [1, -1, 0.5, -1], coef[1] = [2, 1.5, -0.5,
 * -1], rho = [0.5, 0.25, 1]. K = [x0, x1, x0 + x1, -x0 - x1]. Pair (a, b)
 * takes coef[0] for a's and b's vectors, pair (a, c) coef[1] for a's and
 * coef[0] for c's, pair (b, c) coef[1] for both:
 *   d_ab = x0 - x1 + 0.5 (x0 + x1) - 0.5   = 1.5 x0 - 0.5 x1 - 0.5
 *   d_ac = 2 x0 + (x0 + x1) - 0.25         = 3 x0 + x1 - 0.25
 *   d_bc = 1.5 x1 - 0.5 (x0 + x1) + (x0 + x1) - 1 = 0.5 x0 + 2 x1 - 1 */
static const double SVC3_COEF[] = {1, -1, 0.5, -1, 2, 1.5, -0.5, -1};
static const double SVC3_RHO[] = {0.5, 0.25, 1};
static void svc3_dec(double x0, double x1, double d[3]) {
    d[0] = 1.5 * x0 - 0.5 * x1 - 0.5;
    d[1] = 3 * x0 + x1 - 0.25;
    d[2] = 0.5 * x0 + 2 * x1 - 1;
}

static Cmlpb__Model *svc3(bool sparse, const double *pa, const double *pb) {
    Cmlpb__DenseSupportVectors *d = sparse ? NULL : dense_svs(4, 2, (double[]){1, 0, 0, 1, 1, 1, -1, -1});
    Cmlpb__SparseSupportVectors *sp =
        sparse ? sparse_svs(4, (size_t[]){1, 1, 2, 2}, (int32_t[]){1, 2, 1, 2, 1, 2}, (double[]){1, 1, 1, 1, -1, -1}) : NULL;
    return svc(K_LINEAR, d, sp, 3, (int32_t[]){1, 2, 1}, SVC3_COEF, SVC3_RHO, pa, pb, 2);
}

/* Binary: a has [1] and [2], b has [-1]; coef [0.5, 0.25, -0.75], rho
 * 0.875: d = 0.5 x + 0.5 x + 0.75 x - 0.875 = 1.75 x - 0.875. */
static Cmlpb__Model *svc2(const double *pa, const double *pb) {
    return svc(K_LINEAR, dense_svs(3, 1, (double[]){1, 2, -1}), NULL, 2, (int32_t[]){2, 1}, (double[]){0.5, 0.25, -0.75},
               (double[]){0.875}, pa, pb, 1);
}

static void test_svm_classifier(void) {
    res r;
    /* binary: d > 0 votes a. Without probA/probB the probability output
     * holds the votes over the one pair. */
    CHECK(load(&r, svc2(NULL, NULL)));
    CHECK(RUNX(&r, 1)); /* d = 0.875 */
    LABEL(&r, 0, 0, "a");
    EXPECT(&r, 1, 1, 0);
    CHECK(RUNX(&r, 0)); /* d = -0.875: b (with rho added instead, a) */
    LABEL(&r, 0, 1, "b");
    EXPECT(&r, 1, 0, 1);
    CHECK(RUNX(&r, 0.5)); /* d = 0 exactly: not positive, b */
    LABEL(&r, 0, 1, "b");
    res_free(&r);

    /* three classes, one-vs-one votes (the same model dense and sparse) */
    for (int sparse = 0; sparse < 2; sparse++) {
        CHECK(load(&r, svc3(sparse, NULL, NULL)));
        /* [1, 2]: d = [0, 4.75, 3.5] -> b (0 is not positive), a, b */
        CHECK(RUNX(&r, 1, 2));
        LABEL(&r, 0, 1, "b");
        EXPECT(&r, 1, 1.0 / 3, 2.0 / 3, 0);
        /* [0, 0]: d = -rho = [-0.5, -0.25, -1] -> b, c, c (+rho: a, a, b) */
        CHECK(RUNX(&r, 0, 0));
        LABEL(&r, 0, 2, "c");
        EXPECT(&r, 1, 0, 1.0 / 3, 2.0 / 3);
        /* [0.25, 0]: d = [-0.125, 0.5, -0.875] -> b, a, c: a three-way tie
         * goes to the first class */
        CHECK(RUNX(&r, 0.25, 0));
        LABEL(&r, 0, 0, "a");
        EXPECT(&r, 1, 1.0 / 3, 1.0 / 3, 1.0 / 3);
        /* [-1, 2.5]: d = [-3.25, -0.75, 3.5] -> b, c, b; with the pair
         * (a, c)'s coefficient rows swapped d_ac would be 2 x0 + x1 - 0.25
         * = 0.25 and vote a */
        CHECK(RUNX(&r, -1, 2.5));
        LABEL(&r, 0, 1, "b");
        EXPECT(&r, 1, 0, 2.0 / 3, 1.0 / 3);
        res_free(&r);
    }
    pool_free();
}

/* Platt's sigmoid as libsvm applies it: P(i | i or j) = 1 / (1 + exp(A d
 * + B)), within [1e-7, 1 - 1e-7] */
static double platt(double d, double a, double b) {
    double p = 1.0 / (1.0 + exp(a * d + b));
    return p < 1e-7 ? 1e-7 : p > 1 - 1e-7 ? 1 - 1e-7 : p;
}

/* The coupling's Q (Wu, Lin and Weng 2004): Q_tt = sum_{j != t} r_jt^2,
 * Q_tj = -r_jt r_tj, r[i][j] = P(i | i or j) */
static void coupling_q(const double r[3][3], double q[3][3]) {
    for (int t = 0; t < 3; t++) {
        q[t][t] = 0;
        for (int j = 0; j < 3; j++)
            if (j != t) {
                q[t][t] += r[j][t] * r[j][t];
                q[t][j] = -r[j][t] * r[t][j];
            }
    }
}

/* The minimiser of p'Qp with sum p = 1 exactly: Qp = b 1, sum p = 1, a
 * 4 x 4 linear system solved by Gaussian elimination. */
static void coupling_exact(const double r[3][3], double p[3]) {
    double q[3][3], m[4][5] = {{0}};
    coupling_q(r, q);
    for (int t = 0; t < 3; t++) {
        for (int j = 0; j < 3; j++) m[t][j] = q[t][j];
        m[t][3] = -1; /* - b */
        m[3][t] = 1;
    }
    m[3][4] = 1;
    for (int col = 0; col < 4; col++) {
        int piv = col;
        for (int i = col + 1; i < 4; i++)
            if (fabs(m[i][col]) > fabs(m[piv][col])) piv = i;
        for (int j = 0; j < 5; j++) {
            double tmp = m[col][j];
            m[col][j] = m[piv][j];
            m[piv][j] = tmp;
        }
        for (int i = 0; i < 4; i++) {
            if (i == col) continue;
            double f = m[i][col] / m[col][col];
            for (int j = col; j < 5; j++) m[i][j] -= f * m[col][j];
        }
    }
    for (int t = 0; t < 3; t++) p[t] = m[t][4] / m[t][t];
}

/* The paper's iteration written plainly: from p = 1/3, each sweep sets
 * p_t = (p'Qp - sum_{j != t} Q_tj p_j) / Q_tt with Qp and p'Qp recomputed,
 * then renormalises; it stops (before a sweep) when max_t |(Qp)_t - p'Qp|
 * < 0.005 / 3, at most 100 sweeps (libsvm's rule). */
static void coupling_iterate(const double r[3][3], double p[3]) {
    double q[3][3];
    coupling_q(r, q);
    p[0] = p[1] = p[2] = 1.0 / 3;
    for (int it = 0; it < 100; it++) {
        double qp[3], pqp = 0, worst = 0;
        for (int t = 0; t < 3; t++) {
            qp[t] = q[t][0] * p[0] + q[t][1] * p[1] + q[t][2] * p[2];
            pqp += p[t] * qp[t];
        }
        for (int t = 0; t < 3; t++) worst = fabs(qp[t] - pqp) > worst ? fabs(qp[t] - pqp) : worst;
        if (worst < 0.005 / 3) break;
        for (int t = 0; t < 3; t++) {
            double v[3], vqv = 0, off = 0;
            for (int i = 0; i < 3; i++) {
                v[i] = 0;
                for (int j = 0; j < 3; j++) v[i] += q[i][j] * p[j];
                vqv += p[i] * v[i];
            }
            for (int j = 0; j < 3; j++)
                if (j != t) off += q[t][j] * p[j];
            p[t] = (vqv - off) / q[t][t];
            double sum = p[0] + p[1] + p[2];
            for (int j = 0; j < 3; j++) p[j] /= sum;
        }
    }
}

static void test_svm_probabilities(void) {
    res r;
    /* binary, A = -2, B = 0.5: p(a) = 1 / (1 + exp(-2 d + 0.5)), taken as
     * it is (no coupling for two classes) */
    CHECK(load(&r, svc2((double[]){-2}, (double[]){0.5})));
    CHECK(RUNX(&r, 1)); /* d = 0.875: exp(-1.25) */
    LABEL(&r, 0, 0, "a");
    EXPECT(&r, 1, 1 / (1 + exp(-1.25)), 1 - 1 / (1 + exp(-1.25)));
    CHECK(RUNX(&r, 0)); /* d = -0.875: exp(2.25) */
    LABEL(&r, 0, 1, "b");
    EXPECT(&r, 1, 1 / (1 + exp(2.25)), 1 - 1 / (1 + exp(2.25)));
    /* far out the pairwise probability is clamped to [1e-7, 1 - 1e-7] */
    CHECK(RUNX(&r, 20)); /* d = 34.125, exp(-67.75) */
    LABEL(&r, 0, 0, "a");
    CHECK(!r.rc && r.n == 2 && fabs(r.o[1].data[1] - 1e-7) < 1e-12);
    CHECK(RUNX(&r, -20)); /* d = -35.875, exp(72.25) */
    LABEL(&r, 0, 1, "b");
    CHECK(!r.rc && r.n == 2 && fabs(r.o[1].data[0] - 1e-7) < 1e-12);
    res_free(&r);

    /* three classes, probA = [-1, -1.5, -0.5], probB = [0.1, -0.2, 0.3]:
     * the pairwise probabilities from the hand-derived decision values,
     * coupled; checked against the exact fixed point (the iteration stops
     * at 0.005 / k, within a few 1e-3 of it) and against the iteration
     * written plainly */
    const double pa[3] = {-1, -1.5, -0.5}, pb[3] = {0.1, -0.2, 0.3};
    const double xs[][2] = {{1, 2}, {0, 0}, {0.25, 0}, {-1, 1}, {0.5, -0.5}, {0, 0.5}, {3, -2}};
    for (int sparse = 0; sparse < 2; sparse++) {
        CHECK(load(&r, svc3(sparse, pa, pb)));
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double d[3], rr[3][3] = {{0}}, exact[3], plain[3];
            svc3_dec(xs[i][0], xs[i][1], d);
            int pair = 0;
            for (int a = 0; a < 3; a++)
                for (int b = a + 1; b < 3; b++, pair++) {
                    rr[a][b] = platt(d[pair], pa[pair], pb[pair]);
                    rr[b][a] = 1 - rr[a][b];
                }
            coupling_exact(rr, exact);
            coupling_iterate(rr, plain);
            CHECK(run_x(&r, "x", (const float[]){(float)xs[i][0], (float)xs[i][1]}, 2));
            expect(&r, 1, exact, 3, 5e-3, __LINE__);
            expect(&r, 1, plain, 3, 1e-6, __LINE__);
            int best = plain[1] > plain[0] ? 1 : 0;
            best = plain[2] > plain[best] ? 2 : best;
            LABEL(&r, 0, best, NULL);
        }
        /* [-1, 1]: d = [-2.5, -0.75... ] votes b, c, b -> b, but the most
         * probable class is c: with probabilities the label follows them */
        CHECK(RUNX(&r, -1, 1));
        LABEL(&r, 0, 2, "c");
        CHECK(!r.rc && r.n == 2 && r.o[1].data[2] > r.o[1].data[1] && r.o[1].data[1] > r.o[1].data[0]);
        res_free(&r);
    }
    pool_free();
}

/* Broken SVMs fail with a message at the first run, and again at the next
 * (the failed build is not kept). */
static void test_svm_broken(void) {
    res r;
    struct {
        Cmlpb__Model *m;
        const char *why;
    } cases[16];
    size_t n = 0;
    Cmlpb__Model *m;
#define BROKEN(WHY) (cases[n].m = m, cases[n++].why = (WHY))

    m = svr_two(K_LINEAR);
    m->supportvectorregressor->kernel = NULL;
    BROKEN("has no kernel");
    m = svr_two(K_LINEAR);
    m->supportvectorregressor->support_vectors_case = CMLPB__SUPPORT_VECTOR_REGRESSOR__SUPPORT_VECTORS__NOT_SET;
    BROKEN("has no support vectors");
    m = svr_two(K_LINEAR);
    m->supportvectorregressor->coefficients->n_alpha = 1;
    BROKEN("1 coefficients for 2 support vectors");
    m = svr_two(svm_kernel(SVK_RBF, -1, 0, 0));
    BROKEN("gamma -1 is negative");
    m = svr_two(svm_kernel(SVK_POLY, 1, 0, -2));
    BROKEN("degree -2 is negative");
    m = svr(K_LINEAR, dense_svs(2, 2, (double[]){1, 2, 3, 4}), NULL, 2, (double[]){1, 1}, 0, 2);
    m->supportvectorregressor->densesupportvectors->vectors[1]->n_values = 1;
    BROKEN("dense support vector 1 has 1 values, support vector 0 has 2");
    m = svr(K_LINEAR, NULL, sparse_svs(2, (size_t[]){1, 1}, (int32_t[]){1, 0}, (double[]){1, 1}), 2, (double[]){1, 1}, 0, 2);
    BROKEN("sparse support vector 1 has feature index 0 (the indices are 1-based)");
    m = svr(K_LINEAR, NULL, sparse_svs(1, (size_t[]){1}, (int32_t[]){-5}, (double[]){1}), 1, (double[]){1}, 0, 2);
    BROKEN("has feature index -5");
    m = svr(K_LINEAR, NULL, sparse_svs(1, (size_t[]){2}, (int32_t[]){1, 3}, (double[]){1, 1}), 1, (double[]){1}, 0, 2);
    BROKEN("reads feature 3 (1-based) but the input has 2 values");

    m = svc3(false, NULL, NULL);
    m->supportvectorclassifier->n_coefficients = 1;
    BROKEN("1 coefficient rows for 3 classes");
    m = svc3(false, NULL, NULL);
    m->supportvectorclassifier->coefficients[1]->n_alpha = 3;
    BROKEN("coefficient row 1 has 3 entries for 4 support vectors");
    m = svc3(false, NULL, NULL);
    m->supportvectorclassifier->numberofsupportvectorsperclass[2] = 2;
    BROKEN("numberOfSupportVectorsPerClass does not sum to the 4 support vectors");
    m = svc3(false, NULL, NULL);
    m->supportvectorclassifier->numberofsupportvectorsperclass[0] = 0;
    BROKEN("numberOfSupportVectorsPerClass sums to 3, there are 4 support vectors");
    m = svc3(false, NULL, NULL);
    m->supportvectorclassifier->n_rho = 2;
    BROKEN("2 rho values for 3 classes (K(K-1)/2 = 3 class pairs)");
    m = svc3(false, (double[]){1, 1, 1}, (double[]){1, 1, 1});
    m->supportvectorclassifier->n_probb = 2;
    BROKEN("probA has 3 and probB 2 entries, 3 class pairs need one each");
    m = svc3(false, (double[]){1, 1, 1}, (double[]){1, 1, 1});
    m->supportvectorclassifier->n_probb = 0;
    m->supportvectorclassifier->n_proba = 2;
    BROKEN("probA has 2 and probB 0 entries");

    for (size_t i = 0; i < n; i++) {
        if (!load(&r, cases[i].m)) {
            fprintf(stderr, "broken SVM case %zu did not load: %s\n", i, r.err);
            check_failures_++;
            res_free(&r);
            continue;
        }
        FAILS(&r, RUNX(&r, 1, 2), cases[i].why);
        FAILS(&r, RUNX(&r, 1, 2), cases[i].why);
        res_free(&r);
    }
#undef BROKEN

    /* a classifier without class labels, and the numberOfSupportVectorsPerClass count */
    m = svc3(false, NULL, NULL);
    m->supportvectorclassifier->class_labels_case = CMLPB__SUPPORT_VECTOR_CLASSIFIER__CLASS_LABELS__NOT_SET;
    if (load(&r, m)) FAILS(&r, RUNX(&r, 1, 2), "needs at least 2 class labels, has 0");
    else CHECK(r.err[0] != 0);
    res_free(&r);
    m = svc3(false, NULL, NULL);
    m->supportvectorclassifier->n_numberofsupportvectorsperclass = 2;
    CHECK(load(&r, m));
    FAILS(&r, RUNX(&r, 1, 2), "numberOfSupportVectorsPerClass has 2 entries for 3 classes");
    res_free(&r);
    pool_free();
}

/* what the IR exposes of a classic model: columns of the tree nodes */
static void test_ir_columns(void) {
    res r;
    CHECK(load(&r, tree_regressor(two_trees(), 2, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform)));
    const cml_model *m = r.lm ? r.lm->model : NULL;
    CHECK(m && m->classic && m->n_functions == 0 && m->classic->block->n_ops == 1);
    if (m && m->classic && m->classic->block->n_ops == 1) {
        const cml_op *op = m->classic->block->ops[0];
        CHECK(!strcmp(op->kind, "treeEnsembleRegressor"));
        const cml_attr *ids = cml_op_attr(op, "treeEnsemble.nodes.nodeId");
        CHECK(ids && ids->kind == CML_ATTR_INTS && ids->n == 8 && ids->ints[0] == 9 && ids->ints[6] == 5);
        const cml_attr *cnt = cml_op_attr(op, "treeEnsemble.nodes.evaluationInfo#count");
        CHECK(cnt && cnt->n == 8 && cnt->ints[0] == 1 && cnt->ints[1] == 0);
        const cml_attr *ev = cml_op_attr(op, "treeEnsemble.nodes.evaluationInfo.evaluationValue");
        CHECK(ev && ev->kind == CML_ATTR_FLOATS && ev->n == 5 && ev->floats[0] == 1000);
        CHECK(op->n_inputs == 1 && op->inputs[0]->n_values == 1 && !strcmp(op->inputs[0]->values[0]->name, "x"));
        CHECK(op->n_outputs == 1 && !strcmp(op->outputs[0]->name, "y"));
        /* inspect's one-line summary of the parameters */
        char *text = NULL;
        size_t tlen = 0;
        FILE *mf = open_memstream(&text, &tlen);
        if (mf) {
            inspect_text(mf, m);
            fclose(mf);
        }
        CHECK(text && strstr(text, "parameters:    2 trees, 8 nodes (5 leaves), 1 prediction dimension(s), NoTransform\n"));
        free(text);
    }
    res_free(&r);
    pool_free();
}

/* Hostile classic models: bytes of valid ones flipped at random (seeded),
 * each mutant loaded, prepared and run on generated inputs. Whatever the
 * loader still accepts must either run or fail with a message; the
 * sanitizer build turns any out-of-bounds read or leak into a failure. */
static void test_mutants(void) {
    Cmlpb__Model *seeds[7];
    seeds[0] = tree_regressor(two_trees(), 2, CMLPB__TREE_ENSEMBLE_POST_EVALUATION_TRANSFORM__NoTransform);
    seeds[1] = glm_classifier(3, 2, (double[]){1, 0, 0, 1, -1, -1}, (double[]){0, 0, 0}, 3, (const char *[]){"a", "b", "c"},
                              NULL, CMLPB__GLMCLASSIFIER__CLASS_ENCODING__OneVsRest,
                              CMLPB__GLMCLASSIFIER__POST_EVALUATION_TRANSFORM__Logit);
    seeds[2] = vectorizer("v", 3);
    Cmlpb__Model *glm = glm_regressor(1, 3, (double[]){1, 10, 100}, 0, NULL, CMLPB__GLMREGRESSOR__POST_EVALUATION_TRANSFORM__NoTransform);
    glm->description->input[0] = f_array("v", 3);
    seeds[3] = pipeline(MODEL(2, F_DOUBLE("a"), f_array("b", 2), F_DOUBLE("y")), (Cmlpb__Model *[]){vectorizer("v", 3), glm}, 2);
    seeds[4] = svr(svm_kernel(SVK_RBF, 0.5, 0, 0), NULL,
                   sparse_svs(2, (size_t[]){2, 1}, (int32_t[]){2, 1, 2}, (double[]){2, 1, 0.5}), 2, (double[]){0.5, -2}, 0.25, 3);
    seeds[5] = svc3(false, (double[]){-1, -1.5, -0.5}, (double[]){0.1, -0.2, 0.3});
    seeds[6] = svc3(true, NULL, NULL);
    seeds[6]->supportvectorclassifier->kernel = svm_kernel(SVK_POLY, 0.5, 1, 3);
    const int n_seeds = (int)(sizeof seeds / sizeof seeds[0]);
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    size_t ran = 0, refused = 0;
    for (int s = 0; s < n_seeds; s++) {
        size_t len = cmlpb__model__get_packed_size(seeds[s]);
        uint8_t *orig = malloc(len), *buf = malloc(len);
        cmlpb__model__pack(seeds[s], orig);
        for (int k = 0; k < 400; k++) {
            memcpy(buf, orig, len);
            int flips = 1 + (int)(rng % 4);
            for (int f = 0; f < flips; f++) {
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                buf[(rng >> 33) % len] ^= (uint8_t)(1u << ((rng >> 20) % 8));
            }
            char path[600];
            snprintf(path, sizeof path, "%s/mut%d_%d.mlmodel", g_root, s, k);
            FILE *fp = fopen(path, "wb");
            if (!fp) continue;
            fwrite(buf, 1, len, fp);
            fclose(fp);
            lmodel *lm = loader_load(path, NULL);
            if (lm && lm->model && lm->model->classic) {
                char err[512];
                exec_plan *p = exec_prepare(lm->model, NULL, &nn_host_opts, err, sizeof err);
                exec_tensor *in = NULL, *out = NULL;
                size_t n_in = 0, n_out = 0;
                if (p && exec_make_inputs(lm->model, NULL, 1, &in, &n_in, err, sizeof err) == 0) {
                    if (exec_run(p, EXEC_FP32, in, n_in, &out, &n_out, NULL) == 0) {
                        ran++;
                    } else {
                        CHECK(exec_last_error(p)[0] != 0);
                        refused++;
                    }
                } else if (!p) {
                    CHECK(err[0] != 0);
                    refused++;
                }
                exec_tensors_free(out, n_out);
                exec_tensors_free(in, n_in);
                exec_plan_free(p);
            }
            loader_free(lm);
            unlink(path);
        }
        free(orig);
        free(buf);
    }
    fprintf(stderr, "  %d mutants: %zu ran, %zu refused with a message\n", n_seeds * 400, ran, refused);
    CHECK(ran > 0);
    pool_free();
}

int main(void) {
    if (!tmp_make_dir(g_root, sizeof g_root, "cml_classic_")) return 1;
    RUN(test_glm_regressor);
    RUN(test_glm_classifier);
    RUN(test_tree_regressor);
    RUN(test_tree_classifier);
    RUN(test_tree_broken);
    RUN(test_scaler_vectorizer);
    RUN(test_normalizer_extractor_imputer);
    RUN(test_pipeline);
    RUN(test_pipeline_neural_stage);
    RUN(test_double_inputs);
    RUN(test_svm_regressor);
    RUN(test_svm_classifier);
    RUN(test_svm_probabilities);
    RUN(test_svm_broken);
    RUN(test_ir_columns);
    RUN(test_mutants);
    tmp_remove_tree(g_root);
    return CHECK_DONE();
}
#endif

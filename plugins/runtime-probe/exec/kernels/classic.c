/* SPDX-License-Identifier: Apache-2.0 */
/* exec_classic.c — kernels for the classic (non-neural) models: GLM
 * regressors and classifiers, tree ensembles, support vector machines
 * (regressor and one-vs-one classifier, with libsvm's probability
 * estimates), the scaler, the feature vectorizer, the normalizer, the array
 * feature extractor and the numeric imputer, each one op of the IR's
 * classic function (cml_model.classic; a pipeline chains them by feature
 * name).
 *
 * Core ML evaluates these models on the CPU in double precision whatever
 * compute units are asked for, so the kernels compute in double in every
 * mode and exec.c never rounds their values to fp16. Parameters come from
 * the op's attributes as the IR reflects the parameter message (repeated
 * messages as columns: "treeEnsemble.nodes.treeId" has one entry per node,
 * "weights.value" every row's entries with "weights.value#count"). A
 * classifier's label output is EXEC_DT_LABEL (data[0] = class index, the
 * string labels in xt.strs); its probability dictionary is a vector in
 * class-label order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classic_internal.h"

/* ---- operands ---------------------------------------------------------------- */

static const cml_attr *list_of(xctx *c, const char *name, cml_attr_kind kind) {
    const cml_attr *a = exec_attr(c, name);
    return a && a->kind == kind ? a : NULL;
}

static size_t list_n(const cml_attr *a) { return a ? a->n : 0; }

/* every input of the op, flattened in order, as doubles (x has room for n) */
int classic_inputs(xctx *c, double **x, size_t *n) {
    size_t total = 0, k = 0, ni = exec_nn_n_in(c);
    for (size_t i = 0; i < ni; i++) {
        const xt *t = exec_nn_in(c, i);
        if (!t || !t->d) return exec_fail(c, "input %zu ('%s') has no value", i, c->op->inputs[0]->values[i]->name);
        if (t->dt == EXEC_DT_STRING || t->dt == EXEC_DT_DICT) return exec_fail(c, "input %zu is not numeric", i);
        total += t->n;
    }
    double *v = malloc((total ? total : 1) * sizeof *v);
    if (!v) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < ni; i++) {
        const xt *t = exec_nn_in(c, i);
        for (size_t j = 0; j < t->n; j++) v[k++] = exec_wv(t, j);
    }
    *x = v;
    *n = total;
    return 0;
}

int classic_widen(xctx *c, size_t i, xt *t) {
    if (i >= c->op->n_outputs || c->op->outputs[i]->type.dtype != CML_DT_FP64 || t->wide) return 0;
    t->wide = malloc((t->n ? t->n : 1) * sizeof *t->wide);
    if (!t->wide) return exec_fail(c, "out of memory");
    for (size_t k = 0; k < t->n; k++) t->wide[k] = t->d ? t->d[k] : 0.0;
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/GLMRegressor.proto:19-23 / GLMClassifier.proto PostEvaluationTransform
 * Logit and Probit: the logistic function and the standard normal CDF. */
static double logit(double y) { return 1.0 / (1.0 + exp(-y)); }
static double probit(double y) { return 0.5 * erfc(-y / sqrt(2.0)); }

/* The classifier's outputs: the label (the first output typed string or
 * int64) and the probability vector (the first other output, a dictionary
 * keyed by class label). */
static size_t argmax(const double *p, size_t n) {
    size_t best = 0;
    for (size_t k = 1; k < n; k++)
        if (p[k] > p[best]) best = k;
    return best;
}

static int classifier_outputs(xctx *c, const double *prob, size_t n_classes, size_t best) {
    const cml_attr *sl = list_of(c, "stringClassLabels.vector", CML_ATTR_STRINGS),
                   *il = list_of(c, "int64ClassLabels.vector", CML_ATTR_INTS);
    bool have_label = false, have_prob = false;
    for (size_t i = 0; i < exec_n_outputs(c); i++) {
        cml_dtype dt = c->op->outputs[i]->type.dtype;
        if (!have_label && (dt == CML_DT_STRING || dt == CML_DT_INT64)) {
            int64_t one = 1;
            xt *t = exec_out(c, i, 1, &one);
            if (!t) return exec_fail(c, "out of memory");
            t->dt = EXEC_DT_LABEL;
            t->d[0] = (float)best;
            if (sl) { t->strs = sl->strings; t->nstr = sl->n; }
            else if (il) { t->ikeys = il->ints; t->nstr = il->n; }
            have_label = true;
        } else if (!have_prob) {
            int64_t n = (int64_t)n_classes;
            xt *t = exec_out(c, i, 1, &n);
            if (!t) return exec_fail(c, "out of memory");
            t->dt = EXEC_DT_FP32;
            if (classic_widen(c, i, t) != 0) return -1;
            for (size_t k = 0; k < n_classes; k++) classic_put(t, k, prob[k]);
            /* the class labels go with the vector (a dictionary in Core ML) */
            if (sl && sl->n == n_classes) { t->strs = sl->strings; t->nstr = sl->n; }
            else if (il && il->n == n_classes) t->ikeys = il->ints;
            have_prob = true;
        } else {
            return exec_fail(c, "output '%s': a classifier has a label and a probability output only",
                             c->op->outputs[i]->name);
        }
    }
    return 0;
}

static size_t n_class_labels(xctx *c) {
    return list_n(list_of(c, "stringClassLabels.vector", CML_ATTR_STRINGS)) +
           list_n(list_of(c, "int64ClassLabels.vector", CML_ATTR_INTS));
}

/* ---- GLM ----------------------------------------------------------------------- */

static int glm_rows(xctx *c, const double *x, size_t nx, double **y, size_t *ny) {
    const cml_attr *w = list_of(c, "weights.value", CML_ATTR_FLOATS);
    const cml_attr *cnt = list_of(c, "weights.value#count", CML_ATTR_INTS);
    const cml_attr *off = list_of(c, "offset", CML_ATTR_FLOATS);
    size_t rows = list_n(cnt);
    if (!rows || !w) return exec_fail(c, "%s has no weights", c->op->kind);
    if (off && off->n != rows && off->n != 1)
        return exec_fail(c, "%s: %zu offsets for %zu weight rows", c->op->kind, off->n, rows);
    double *out = malloc(rows * sizeof *out);
    if (!out) return exec_fail(c, "out of memory");
    size_t at = 0;
    for (size_t r = 0; r < rows; r++) {
        if ((size_t)cnt->ints[r] != nx) {
            free(out);
            return exec_fail(c, "%s: weight row %zu has %lld entries but the input has %zu values", c->op->kind, r,
                             (long long)cnt->ints[r], nx);
        }
        double acc = off ? off->floats[off->n == 1 ? 0 : r] : 0.0;
        for (size_t i = 0; i < nx; i++) acc += w->floats[at + i] * x[i];
        at += nx;
        out[r] = acc;
    }
    *y = out;
    *ny = rows;
    return 0;
}

/* y[r] = weights[r] . x + offset[r] for every weight row, x = the inputs. */
static int glm_linear(xctx *c, double **y, size_t *ny) {
    double *x = NULL;
    size_t nx = 0;
    if (classic_inputs(c, &x, &nx) != 0) return -1;
    int rc = glm_rows(c, x, nx, y, ny);
    free(x);
    return rc;
}

static int k_glm_regressor(xctx *c) {
    double *y = NULL;
    size_t ny = 0;
    if (glm_linear(c, &y, &ny) != 0) return -1;
    const cml_attr *tr = exec_attr(c, "postEvaluationTransform");
    /* SOURCE: apple/coremltools mlmodel/format/GLMRegressor.proto:19-23 PostEvaluationTransform: NoTransform = 0,
     * Logit = 1, Probit = 2 */
    int64_t mode = tr ? tr->i : 0;
    int64_t n = (int64_t)ny;
    xt *t = exec_out(c, 0, 1, &n);
    if (!t) { free(y); return exec_fail(c, "out of memory"); }
    t->dt = EXEC_DT_FP32;
    if (classic_widen(c, 0, t) != 0) { free(y); return -1; }
    for (size_t r = 0; r < ny; r++) classic_put(t, r, mode == 1 ? logit(y[r]) : mode == 2 ? probit(y[r]) : y[r]);
    free(y);
    return 0;
}

/* Class probabilities of a GLM classifier. SOURCE: apple/coremltools mlmodel/format/GLMClassifier.proto:21-24,26-29:
 * PostEvaluationTransform Logit = 0, Probit = 1 ("Only binary
 * classification is supported for probit"); ClassEncoding ReferenceClass
 * = 0 ("First class is the reference class"), OneVsRest = 1. The binary
 * form with one weight row gives the second class f(y), the first 1 - f(y)
 * (coremltools converters/sklearn/_logistic_regression.py writes sklearn's
 * single coefficient row, whose sigmoid is the probability of classes_[1]).
 * One-vs-rest normalises the per-class f(y) to sum 1 and the reference-class
 * encoding is the multinomial logit with class 0's score fixed at 0
 * [derived from the encodings' definitions]. */
static int k_glm_classifier(xctx *c) {
    size_t nc = n_class_labels(c);
    if (nc < 2) return exec_fail(c, "glmClassifier needs at least 2 class labels, has %zu", nc);
    double *y = NULL;
    size_t ny = 0;
    if (glm_linear(c, &y, &ny) != 0) return -1;
    int rc;
    const cml_attr *tr = exec_attr(c, "postEvaluationTransform");
    const cml_attr *enc = exec_attr(c, "classEncoding");
    bool is_probit = tr && tr->i == 1, ovr = enc && enc->i == 1;
    double *p = calloc(nc, sizeof *p);
    if (!p) { free(y); return exec_fail(c, "out of memory"); }
    rc = 0;
    if (ny == 1 && nc == 2) {
        double f = is_probit ? probit(y[0]) : logit(y[0]);
        p[0] = 1.0 - f;
        p[1] = f;
    } else if (is_probit) {
        rc = exec_fail(c, "glmClassifier: probit supports binary classification only (%zu classes)", nc);
    } else if (ovr && ny == nc) {
        double sum = 0;
        for (size_t k = 0; k < nc; k++) sum += (p[k] = logit(y[k]));
        for (size_t k = 0; k < nc && sum > 0; k++) p[k] /= sum;
    } else if (!ovr && ny == nc - 1) {
        double mx = 0;
        for (size_t k = 0; k < ny; k++) mx = y[k] > mx ? y[k] : mx;
        double sum = exp(-mx);
        for (size_t k = 0; k < ny; k++) sum += exp(y[k] - mx);
        p[0] = exp(-mx) / sum;
        for (size_t k = 0; k < ny; k++) p[k + 1] = exp(y[k] - mx) / sum;
    } else {
        rc = exec_fail(c, "glmClassifier: %zu weight rows do not fit %zu classes with %s encoding", ny, nc,
                       ovr ? "one-vs-rest" : "reference-class");
    }
    free(y);
    if (rc == 0) rc = classifier_outputs(c, p, nc, argmax(p, nc));
    free(p);
    return rc;
}

/* ---- tree ensembles ------------------------------------------------------------ */

/* SOURCE: apple/coremltools mlmodel/format/TreeEnsemble.proto:50-58 TreeNodeBehavior: BranchOnValueLessThanEqual
 * = 0, LessThan = 1, GreaterThanEqual = 2, GreaterThan = 3, Equal = 4,
 * NotEqual = 5, LeafNode = 6. */
enum { TB_LE, TB_LT, TB_GE, TB_GT, TB_EQ, TB_NE, TB_LEAF };

typedef struct tnode {
    int behavior;
    uint32_t feature;
    double value;
    uint32_t t_child, f_child;     /* node indices */
    bool missing_true;
    uint32_t ev_begin, ev_n;       /* into the evaluation arrays */
} tnode;

typedef struct tforest {
    tnode *nodes;
    size_t n_nodes;
    uint32_t *roots;
    size_t n_trees;
    uint32_t *ev_index;
    double *ev_value;
    size_t dims;
    double *base;
    uint64_t max_feature;          /* 1 + the largest feature index a branch reads */
    size_t max_depth;              /* nodes in the largest tree: a walk longer than that is a cycle */
} tforest;

static void forest_free(void *arg) {
    tforest *f = arg;
    if (!f) return;
    free(f->nodes);
    free(f->roots);
    free(f->ev_index);
    free(f->ev_value);
    free(f->base);
    free(f);
}

typedef struct tkey {
    int64_t tree, node;
    uint32_t index;
} tkey;

static int tkey_cmp(const void *x, const void *y) {
    const tkey *a = x, *b = y;
    if (a->tree != b->tree) return a->tree < b->tree ? -1 : 1;
    if (a->node != b->node) return a->node < b->node ? -1 : 1;
    return 0;
}

static long tkey_find(const tkey *keys, size_t n, int64_t tree, int64_t node) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        tkey k = {tree, node, 0};
        int cmp = tkey_cmp(&keys[mid], &k);
        if (!cmp) return (long)keys[mid].index;
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

#define TE "treeEnsemble."
#define TN "treeEnsemble.nodes."

/* Compile the node columns into index-linked trees, checking every link:
 * duplicate (tree, node) ids, children that do not exist, a tree without
 * exactly one root, leaves writing past numPredictionDimensions. */
static tforest *forest_build(xctx *c) {
    const cml_attr *tree = list_of(c, TN "treeId", CML_ATTR_INTS), *node = list_of(c, TN "nodeId", CML_ATTR_INTS),
                   *beh = list_of(c, TN "nodeBehavior", CML_ATTR_INTS),
                   *feat = list_of(c, TN "branchFeatureIndex", CML_ATTR_INTS),
                   *val = list_of(c, TN "branchFeatureValue", CML_ATTR_FLOATS),
                   *tc = list_of(c, TN "trueChildNodeId", CML_ATTR_INTS),
                   *fc = list_of(c, TN "falseChildNodeId", CML_ATTR_INTS),
                   *miss = list_of(c, TN "missingValueTracksTrueChild", CML_ATTR_INTS),
                   *evn = list_of(c, TN "evaluationInfo#count", CML_ATTR_INTS),
                   *evi = list_of(c, TN "evaluationInfo.evaluationIndex", CML_ATTR_INTS),
                   *evv = list_of(c, TN "evaluationInfo.evaluationValue", CML_ATTR_FLOATS),
                   *dims = exec_attr(c, TE "numPredictionDimensions"),
                   *base = list_of(c, TE "basePredictionValue", CML_ATTR_FLOATS);
    size_t n = list_n(tree);
    if (!n) { exec_fail(c, "%s has no tree nodes", c->op->kind); return NULL; }
    if (n > UINT32_MAX / 2 || list_n(node) != n || list_n(beh) != n || list_n(feat) != n || list_n(val) != n ||
        list_n(tc) != n || list_n(fc) != n || list_n(miss) != n || list_n(evn) != n) {
        exec_fail(c, "%s: the tree node fields do not have one entry per node", c->op->kind);
        return NULL;
    }
    size_t n_ev = list_n(evi);
    if (list_n(evv) != n_ev) { exec_fail(c, "%s: evaluation indices and values differ in count", c->op->kind); return NULL; }
    tforest *f = calloc(1, sizeof *f);
    tkey *keys = calloc(n, sizeof *keys);
    if (!f || !keys) goto oom;
    f->nodes = calloc(n, sizeof *f->nodes);
    f->ev_index = calloc(n_ev ? n_ev : 1, sizeof *f->ev_index);
    f->ev_value = calloc(n_ev ? n_ev : 1, sizeof *f->ev_value);
    bool *is_child = calloc(n, sizeof *is_child);
    if (!f->nodes || !f->ev_index || !f->ev_value || !is_child) { free(is_child); goto oom; }
    f->n_nodes = n;
    f->dims = dims && dims->kind == CML_ATTR_INT && dims->i > 0 ? (size_t)dims->i : 1;
    if (f->dims > (1u << 24)) { free(is_child); exec_fail(c, "%s: %zu prediction dimensions", c->op->kind, f->dims); goto fail; }
    f->base = calloc(f->dims, sizeof *f->base);
    if (!f->base) { free(is_child); goto oom; }
    if (base && base->n) {
        if (base->n != f->dims) {
            free(is_child);
            exec_fail(c, "%s: %zu base prediction values for %zu dimensions", c->op->kind, base->n, f->dims);
            goto fail;
        }
        memcpy(f->base, base->floats, f->dims * sizeof *f->base);
    }
    for (size_t i = 0; i < n; i++) keys[i] = (tkey){tree->ints[i], node->ints[i], (uint32_t)i};
    qsort(keys, n, sizeof *keys, tkey_cmp);
    for (size_t i = 1; i < n; i++)
        if (!tkey_cmp(&keys[i - 1], &keys[i])) {
            free(is_child);
            exec_fail(c, "%s: tree %lld has two nodes with id %lld", c->op->kind, (long long)keys[i].tree,
                      (long long)keys[i].node);
            goto fail;
        }
    size_t ev_at = 0;
    for (size_t i = 0; i < n; i++) {
        tnode *t = &f->nodes[i];
        t->behavior = beh->ints[i] >= TB_LE && beh->ints[i] <= TB_LEAF ? (int)beh->ints[i] : -1;
        if (t->behavior < 0 || evn->ints[i] < 0 || (uint64_t)evn->ints[i] > n_ev - ev_at) {
            free(is_child);
            exec_fail(c, "%s: node %lld of tree %lld is malformed", c->op->kind, (long long)node->ints[i],
                      (long long)tree->ints[i]);
            goto fail;
        }
        t->ev_begin = (uint32_t)ev_at;
        t->ev_n = (uint32_t)evn->ints[i];
        for (size_t k = 0; k < t->ev_n; k++, ev_at++) {
            if (evi->ints[ev_at] < 0 || (uint64_t)evi->ints[ev_at] >= f->dims) {
                free(is_child);
                exec_fail(c, "%s: a leaf of tree %lld writes prediction dimension %lld of %zu", c->op->kind,
                          (long long)tree->ints[i], (long long)evi->ints[ev_at], f->dims);
                goto fail;
            }
            f->ev_index[ev_at] = (uint32_t)evi->ints[ev_at];
            f->ev_value[ev_at] = evv->floats[ev_at];
        }
        if (t->behavior == TB_LEAF) continue;
        long ti = tkey_find(keys, n, tree->ints[i], tc->ints[i]), fi = tkey_find(keys, n, tree->ints[i], fc->ints[i]);
        if (ti < 0 || fi < 0 || feat->ints[i] < 0 || feat->ints[i] > (int64_t)UINT32_MAX - 1) {
            free(is_child);
            exec_fail(c, "%s: branch node %lld of tree %lld points at a node that does not exist", c->op->kind,
                      (long long)node->ints[i], (long long)tree->ints[i]);
            goto fail;
        }
        t->t_child = (uint32_t)ti;
        t->f_child = (uint32_t)fi;
        t->feature = (uint32_t)feat->ints[i];
        t->value = val->floats[i];
        t->missing_true = miss->ints[i] != 0;
        is_child[ti] = is_child[fi] = true;
        if ((uint64_t)t->feature + 1 > f->max_feature) f->max_feature = (uint64_t)t->feature + 1;
    }
    /* one root per tree: the node no branch points at */
    f->roots = calloc(n, sizeof *f->roots);
    if (!f->roots) { free(is_child); goto oom; }
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        bool first_of_tree = i == 0 || keys[i].tree != keys[i - 1].tree;
        if (first_of_tree) run = 0;
        run++;
        if (run > f->max_depth) f->max_depth = run;
        bool last_of_tree = i + 1 == n || keys[i + 1].tree != keys[i].tree;
        if (!last_of_tree) continue;
        long root = -1;
        int n_roots = 0;
        for (size_t j = i + 1 - run; j <= i; j++)
            if (!is_child[keys[j].index]) { root = keys[j].index; n_roots++; }
        if (n_roots != 1) {
            free(is_child);
            exec_fail(c, "%s: tree %lld has %d root nodes (a tree has exactly one)", c->op->kind,
                      (long long)keys[i].tree, n_roots);
            goto fail;
        }
        f->roots[f->n_trees++] = (uint32_t)root;
    }
    free(is_child);
    free(keys);
    return f;
oom:
    exec_fail(c, "out of memory");
fail:
    free(keys);
    forest_free(f);
    return NULL;
}

/* Sum the leaves every tree reaches onto the base prediction. SOURCE:
 * TreeEnsemble.proto: a branch evaluates its behaviour on
 * x[branchFeatureIndex] against branchFeatureValue and continues at
 * trueChildNodeId or falseChildNodeId; a missing value (NaN) follows
 * missingValueTracksTrueChild; a leaf adds each evaluationValue to the
 * base prediction at evaluationIndex. */
static int forest_eval(xctx *c, const tforest *f, const double *x, size_t nx, double *acc) {
    if (f->max_feature > nx)
        return exec_fail(c, "%s reads feature %llu but the input has %zu values", c->op->kind,
                         (unsigned long long)(f->max_feature - 1), nx);
    memcpy(acc, f->base, f->dims * sizeof *acc);
    for (size_t t = 0; t < f->n_trees; t++) {
        const tnode *nd = &f->nodes[f->roots[t]];
        size_t steps = 0;
        while (nd->behavior != TB_LEAF) {
            if (++steps > f->max_depth) return exec_fail(c, "%s: a tree has a cycle", c->op->kind);
            double v = x[nd->feature];
            bool go;
            if (v != v) go = nd->missing_true;
            else switch (nd->behavior) {
                case TB_LE: go = v <= nd->value; break;
                case TB_LT: go = v < nd->value; break;
                case TB_GE: go = v >= nd->value; break;
                case TB_GT: go = v > nd->value; break;
                case TB_EQ: go = v == nd->value; break;
                default: go = v != nd->value; break;
                }
            nd = &f->nodes[go ? nd->t_child : nd->f_child];
        }
        for (uint32_t k = 0; k < nd->ev_n; k++) acc[f->ev_index[nd->ev_begin + k]] += f->ev_value[nd->ev_begin + k];
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/TreeEnsemble.proto:32-40 TreeEnsemblePostEvaluationTransform:
 * NoTransform = 0, Classification_SoftMax = 1, Regression_Logistic = 2,
 * Classification_SoftMaxWithZeroClassReference = 3 (a softmax over the
 * scores with a class-0 score of 0 put in front). out has dims (+1 for
 * the zero-reference softmax) entries. */
static size_t post_transform(int64_t mode, const double *acc, size_t dims, double *out) {
    if (mode == 1 || mode == 3) {
        size_t n = mode == 3 ? dims + 1 : dims, off = mode == 3;
        if (mode == 3) out[0] = 0;
        for (size_t k = 0; k < dims; k++) out[k + off] = acc[k];
        double mx = out[0], sum = 0;
        for (size_t k = 1; k < n; k++) mx = out[k] > mx ? out[k] : mx;
        for (size_t k = 0; k < n; k++) sum += (out[k] = exp(out[k] - mx));
        for (size_t k = 0; k < n; k++) out[k] /= sum;
        return n;
    }
    for (size_t k = 0; k < dims; k++) out[k] = mode == 2 ? logit(acc[k]) : acc[k];
    return dims;
}

static tforest *forest_of(xctx *c) {
    xstep *st = (xstep *)c->st;
    if (!st->kstate) {
        st->kstate = forest_build(c);
        if (st->kstate) st->kstate_free = forest_free;
    }
    return st->kstate;
}

static int forest_scores(xctx *c, const tforest **fp, double **out, size_t *n_out) {
    const tforest *f = forest_of(c);
    if (!f) return -1;
    double *x = NULL;
    size_t nx = 0;
    if (classic_inputs(c, &x, &nx) != 0) return -1;
    double *acc = malloc(f->dims * sizeof *acc), *o = malloc((f->dims + 1) * sizeof *o);
    if (!acc || !o) { free(x); free(acc); free(o); return exec_fail(c, "out of memory"); }
    int rc = forest_eval(c, f, x, nx, acc);
    free(x);
    if (rc == 0) {
        const cml_attr *tr = exec_attr(c, "postEvaluationTransform");
        *n_out = post_transform(tr ? tr->i : 0, acc, f->dims, o);
    }
    free(acc);
    if (rc != 0) { free(o); return -1; }
    *fp = f;
    *out = o;
    return 0;
}

static int k_tree_regressor(xctx *c) {
    const tforest *f;
    double *o;
    size_t n;
    if (forest_scores(c, &f, &o, &n) != 0) return -1;
    int64_t dn = (int64_t)n;
    xt *t = exec_out(c, 0, 1, &dn);
    if (!t) { free(o); return exec_fail(c, "out of memory"); }
    t->dt = EXEC_DT_FP32;
    if (classic_widen(c, 0, t) != 0) { free(o); return -1; }
    for (size_t k = 0; k < n; k++) classic_put(t, k, o[k]);
    free(o);
    return 0;
}

/* Binary classifiers with one prediction dimension score the second class:
 * p1 = score, p0 = 1 - p1, and the label is class 1 from p1 >= 0.5 on.
 * SOURCE: coremltools converters/sklearn/_tree_ensemble.py writes one
 * dimension holding classes_[1]'s probability for binary forests and nudges
 * a leaf value of exactly 0.5 down by 1e-7 so that Core ML, which picks
 * class 1 at 0.5, agrees with scikit-learn's tie to class 0. */
static int k_tree_classifier(xctx *c) {
    size_t nc = n_class_labels(c);
    if (nc < 1) return exec_fail(c, "treeEnsembleClassifier has no class labels");
    const tforest *f;
    double *o;
    size_t n;
    if (forest_scores(c, &f, &o, &n) != 0) return -1;
    double *p = calloc(nc > n ? nc : n, sizeof *p);
    if (!p) { free(o); return exec_fail(c, "out of memory"); }
    int rc = 0;
    size_t best = 0;
    if (n == 1 && nc == 2) {
        p[1] = o[0];
        p[0] = 1.0 - o[0];
        best = o[0] >= 0.5;
    } else if (n == nc) {
        memcpy(p, o, n * sizeof *p);
        best = argmax(p, nc);
    } else {
        rc = exec_fail(c, "treeEnsembleClassifier: %zu scores for %zu class labels", n, nc);
    }
    free(o);
    if (rc == 0) rc = classifier_outputs(c, p, nc, best);
    free(p);
    return rc;
}

/* ---- support vector machines ------------------------------------------------------ */

/* SOURCE: apple/coremltools mlmodel/format/SVM.proto:70-80 Kernel oneof: linearKernel = 1 (K = x'y), rbfKernel = 2
 * (exp(-gamma |x - y|^2)), polyKernel = 3 ((gamma x'y + c)^degree),
 * sigmoidKernel = 4 (tanh(gamma x'y + c)). */
enum { SK_LINEAR, SK_RBF, SK_POLY, SK_SIGMOID };

/* An SVM's parameters, checked once (the arrays are the op's attributes,
 * which live as long as the model). */
typedef struct tsvm {
    int kernel;
    double gamma, coef0;
    int64_t degree;
    size_t n_sv;
    bool sparse;
    size_t dim;                    /* dense: the length of every support vector */
    const double *val;             /* dense: n_sv rows of dim; sparse: every node's value */
    const int64_t *idx;            /* sparse: every node's 1-based feature index */
    size_t *row;                   /* sparse: support vector s has nodes [row[s], row[s + 1]) */
    uint64_t max_feature;          /* sparse: the largest feature index */
    const double *coef;            /* n_coef_rows rows of n_sv */
    size_t n_coef_rows;
    double rho1;                   /* regressor */
    const double *rho;             /* classifier: one per class pair */
    size_t n_classes, n_pairs;     /* classifier */
    size_t *start;                 /* classifier: class k's support vectors begin at start[k] ... */
    const int64_t *count;          /* ... and count[k] of them follow */
    const double *prob_a, *prob_b; /* classifier: NULL without probability information */
} tsvm;

static void svm_free(void *arg) {
    tsvm *s = arg;
    if (!s) return;
    free(s->row);
    free(s->start);
    free(s);
}

#define SVM_FAIL(...) do { exec_fail(c, __VA_ARGS__); svm_free(s); return NULL; } while (0)

/* Check the parameters once. SOURCE: apple/coremltools mlmodel/format/SVM.proto:129-145,122-127,147-195: SupportVectorRegressor
 * kernel = 1, oneof sparseSupportVectors = 2 / denseSupportVectors = 3,
 * coefficients = 4 (Coefficients.alpha = 1), rho = 5 (double);
 * SupportVectorClassifier kernel = 1, numberOfSupportVectorsPerClass = 2
 * (int32), oneof sparseSupportVectors = 3 / denseSupportVectors = 4,
 * coefficients = 5 (repeated Coefficients), rho = 6, probA = 7, probB = 8
 * (repeated double), oneof stringClassLabels = 100 / int64ClassLabels =
 * 101; SparseVector.nodes = 1 of SparseNode {int32 index = 1 ("1-based
 * indexes, like libsvm"), double value = 2}, DenseVector.values = 1. The
 * checks are coremltools mlmodel/src/Validation/SVMValidator.cpp's:
 * validateKernel ("You must specify a supported kernel type"; gamma and
 * the poly degree must be >= 0), "Must specify sparse or dense support
 * vectors", and the counts below. */
static tsvm *svm_build(xctx *c, bool classifier) {
    const char *kind = c->op->kind;
    tsvm *s = calloc(1, sizeof *s);
    if (!s) { exec_fail(c, "out of memory"); return NULL; }
    if (exec_attr(c, "kernel.linearKernel")) {
        s->kernel = SK_LINEAR;
    } else if (exec_attr(c, "kernel.rbfKernel")) {
        s->kernel = SK_RBF;
        s->gamma = exec_af(c, "kernel.rbfKernel.gamma", 0);
    } else if (exec_attr(c, "kernel.polyKernel")) {
        s->kernel = SK_POLY;
        s->gamma = exec_af(c, "kernel.polyKernel.gamma", 0);
        s->coef0 = exec_af(c, "kernel.polyKernel.c", 0);
        s->degree = exec_ai(c, "kernel.polyKernel.degree", 0);
    } else if (exec_attr(c, "kernel.sigmoidKernel")) {
        s->kernel = SK_SIGMOID;
        s->gamma = exec_af(c, "kernel.sigmoidKernel.gamma", 0);
        s->coef0 = exec_af(c, "kernel.sigmoidKernel.c", 0);
    } else {
        SVM_FAIL("%s has no kernel (linear, RBF, polynomial or sigmoid)", kind);
    }
    if (!(s->gamma >= 0)) SVM_FAIL("%s: kernel gamma %g is negative (Core ML requires gamma >= 0)", kind, s->gamma);
    if (s->degree < 0)
        SVM_FAIL("%s: polynomial kernel degree %lld is negative (Core ML requires degree >= 0)", kind, (long long)s->degree);

    if (exec_attr(c, "denseSupportVectors")) {
        const cml_attr *cnt = list_of(c, "denseSupportVectors.vectors.values#count", CML_ATTR_INTS),
                       *v = list_of(c, "denseSupportVectors.vectors.values", CML_ATTR_FLOATS);
        s->n_sv = list_n(cnt);
        if (s->n_sv) {
            if (cnt->ints[0] < 0) SVM_FAIL("%s: malformed dense support vectors", kind);
            s->dim = (size_t)cnt->ints[0];
            for (size_t i = 1; i < s->n_sv; i++)
                if (cnt->ints[i] != cnt->ints[0])
                    SVM_FAIL("%s: dense support vector %zu has %lld values, support vector 0 has %zu", kind, i,
                             (long long)cnt->ints[i], s->dim);
            if (s->dim && (!v || v->n / s->dim != s->n_sv || v->n % s->dim))
                SVM_FAIL("%s: malformed dense support vectors", kind);
            s->val = v ? v->floats : NULL;
        }
    } else if (exec_attr(c, "sparseSupportVectors")) {
        const cml_attr *cnt = list_of(c, "sparseSupportVectors.vectors.nodes#count", CML_ATTR_INTS),
                       *ix = list_of(c, "sparseSupportVectors.vectors.nodes.index", CML_ATTR_INTS),
                       *v = list_of(c, "sparseSupportVectors.vectors.nodes.value", CML_ATTR_FLOATS);
        s->sparse = true;
        s->n_sv = list_n(cnt);
        s->row = calloc(s->n_sv + 1, sizeof *s->row);
        if (!s->row) SVM_FAIL("out of memory");
        size_t total = 0;
        for (size_t i = 0; i < s->n_sv; i++) {
            if (cnt->ints[i] < 0 || (uint64_t)cnt->ints[i] > list_n(ix) - total)
                SVM_FAIL("%s: malformed sparse support vectors", kind);
            total += (size_t)cnt->ints[i];
            s->row[i + 1] = total;
        }
        if (total != list_n(ix) || total != list_n(v)) SVM_FAIL("%s: malformed sparse support vectors", kind);
        for (size_t s_i = 0, k = 0; s_i < s->n_sv; s_i++)
            for (; k < s->row[s_i + 1]; k++) {
                if (ix->ints[k] < 1)
                    SVM_FAIL("%s: sparse support vector %zu has feature index %lld (the indices are 1-based)", kind,
                             s_i, (long long)ix->ints[k]);
                if ((uint64_t)ix->ints[k] > s->max_feature) s->max_feature = (uint64_t)ix->ints[k];
            }
        s->idx = total ? ix->ints : NULL;
        s->val = total ? v->floats : NULL;
    } else {
        SVM_FAIL("%s has no support vectors (sparse or dense)", kind);
    }

    if (!classifier) {
        /* SOURCE: apple/coremltools mlmodel/format/SVM.proto:129-145,122-127 SupportVectorRegressor: "Coefficients, one for
         * each support vector", and rho */
        const cml_attr *a = list_of(c, "coefficients.alpha", CML_ATTR_FLOATS);
        if (list_n(a) != s->n_sv)
            SVM_FAIL("%s: %zu coefficients for %zu support vectors", kind, list_n(a), s->n_sv);
        s->coef = a ? a->floats : NULL;
        s->n_coef_rows = 1;
        s->rho1 = exec_af(c, "rho", 0);
        return s;
    }

    /* SOURCE: apple/coremltools mlmodel/format/SVM.proto:147-195 SupportVectorClassifier: numberOfSupportVectorsPerClass;
     * coefficients "(numberOfClasses-1) by (total number of support
     * vectors)"; rho "with K*(K-1) / 2 elements"; probA and probB, optional,
     * "Total of K*(K-1)/2 elements". SVMValidator.cpp requires class labels,
     * K - 1 coefficient rows of one entry per support vector, K per-class
     * counts summing to the number of support vectors, and probA and probB
     * of the same size, K(K-1)/2; it does not check rho's count, which the
     * decision needs all of. Fewer than 2 classes leave no pair to decide
     * and are refused here. */
    size_t k = n_class_labels(c);
    if (k < 2) SVM_FAIL("%s needs at least 2 class labels, has %zu", kind, k);
    if (k > ((size_t)1 << 24)) SVM_FAIL("%s: %zu classes", kind, k);
    s->n_classes = k;
    s->n_pairs = k * (k - 1) / 2;
    const cml_attr *rows = list_of(c, "coefficients.alpha#count", CML_ATTR_INTS),
                   *a = list_of(c, "coefficients.alpha", CML_ATTR_FLOATS);
    if (list_n(rows) != k - 1)
        SVM_FAIL("%s: %zu coefficient rows for %zu classes (numberOfClasses - 1 = %zu)", kind, list_n(rows), k, k - 1);
    for (size_t r = 0; r < k - 1; r++)
        if (rows->ints[r] < 0 || (uint64_t)rows->ints[r] != s->n_sv)
            SVM_FAIL("%s: coefficient row %zu has %lld entries for %zu support vectors", kind, r,
                     (long long)rows->ints[r], s->n_sv);
    if (s->n_sv && (!a || a->n / s->n_sv != k - 1 || a->n % s->n_sv))
        SVM_FAIL("%s: malformed coefficients", kind);
    s->coef = s->n_sv ? a->floats : NULL;
    s->n_coef_rows = k - 1;
    const cml_attr *per = list_of(c, "numberOfSupportVectorsPerClass", CML_ATTR_INTS);
    if (list_n(per) != k)
        SVM_FAIL("%s: numberOfSupportVectorsPerClass has %zu entries for %zu classes", kind, list_n(per), k);
    s->count = per->ints;
    s->start = calloc(k, sizeof *s->start);
    if (!s->start) SVM_FAIL("out of memory");
    uint64_t sum = 0;
    for (size_t i = 0; i < k; i++) {
        if (per->ints[i] < 0 || (uint64_t)per->ints[i] > s->n_sv - sum)
            SVM_FAIL("%s: numberOfSupportVectorsPerClass does not sum to the %zu support vectors", kind, s->n_sv);
        s->start[i] = (size_t)sum;
        sum += (uint64_t)per->ints[i];
    }
    if (sum != s->n_sv)
        SVM_FAIL("%s: numberOfSupportVectorsPerClass sums to %llu, there are %zu support vectors", kind,
                 (unsigned long long)sum, s->n_sv);
    const cml_attr *rho = list_of(c, "rho", CML_ATTR_FLOATS);
    if (list_n(rho) != s->n_pairs)
        SVM_FAIL("%s: %zu rho values for %zu classes (K(K-1)/2 = %zu class pairs)", kind, list_n(rho), k, s->n_pairs);
    s->rho = rho->floats;
    const cml_attr *pa = list_of(c, "probA", CML_ATTR_FLOATS), *pb = list_of(c, "probB", CML_ATTR_FLOATS);
    if (pa || pb) {
        if (list_n(pa) != s->n_pairs || list_n(pb) != s->n_pairs)
            SVM_FAIL("%s: probA has %zu and probB %zu entries, %zu class pairs need one each", kind, list_n(pa),
                     list_n(pb), s->n_pairs);
        s->prob_a = pa->floats;
        s->prob_b = pb->floats;
    }
    return s;
}
#undef SVM_FAIL

static tsvm *svm_of(xctx *c, bool classifier) {
    xstep *st = (xstep *)c->st;
    if (!st->kstate) {
        st->kstate = svm_build(c, classifier);
        if (st->kstate) st->kstate_free = svm_free;
    }
    return st->kstate;
}

/* base^n for an integer n >= 0 by repeated squaring (libsvm's polynomial
 * kernel takes an integer power too) */
static double ipow(double base, int64_t n) {
    double r = 1.0;
    for (; n > 0; n >>= 1) {
        if (n & 1) r *= base;
        base *= base;
    }
    return r;
}

/* The kernel of x with every support vector, into kv. A sparse vector's
 * missing features are 0 (libsvm's sparse format). x must have every
 * feature a support vector names: coremltools' libsvm converter refuses an
 * input shorter than the largest support vector index, and a dense support
 * vector must be as long as the input. */
static int svm_kernels(xctx *c, const tsvm *s, const double *x, size_t nx, double *kv) {
    if (s->sparse && s->max_feature > nx)
        return exec_fail(c, "%s: a support vector reads feature %llu (1-based) but the input has %zu values",
                         c->op->kind, (unsigned long long)s->max_feature, nx);
    if (!s->sparse && s->n_sv && s->dim != nx)
        return exec_fail(c, "%s: the support vectors have %zu values but the input has %zu", c->op->kind, s->dim, nx);
    double *dense = NULL;
    if (s->sparse && s->kernel == SK_RBF && !(dense = calloc(nx ? nx : 1, sizeof *dense)))
        return exec_fail(c, "out of memory");
    for (size_t v = 0; v < s->n_sv; v++) {
        double acc = 0;
        if (s->kernel == SK_RBF) {
            /* |x - sv|^2 over every feature of x */
            if (s->sparse) {
                for (size_t k = s->row[v]; k < s->row[v + 1]; k++) dense[s->idx[k] - 1] += s->val[k];
                for (size_t i = 0; i < nx; i++) {
                    double d = x[i] - dense[i];
                    acc += d * d;
                }
                for (size_t k = s->row[v]; k < s->row[v + 1]; k++) dense[s->idx[k] - 1] = 0;
            } else {
                for (size_t i = 0; i < nx; i++) {
                    double d = x[i] - s->val[v * s->dim + i];
                    acc += d * d;
                }
            }
            kv[v] = exp(-s->gamma * acc);
            continue;
        }
        if (s->sparse) {
            for (size_t k = s->row[v]; k < s->row[v + 1]; k++) acc += s->val[k] * x[s->idx[k] - 1];
        } else {
            for (size_t i = 0; i < nx; i++) acc += x[i] * s->val[v * s->dim + i];
        }
        kv[v] = s->kernel == SK_LINEAR ? acc
              : s->kernel == SK_POLY   ? ipow(s->gamma * acc + s->coef0, s->degree)
                                       : tanh(s->gamma * acc + s->coef0);
    }
    free(dense);
    return 0;
}

/* The inputs (flattened, SVMValidator: "inputs are vectorizable") and the
 * kernel values; *kv has room for one per support vector. */
static int svm_eval(xctx *c, const tsvm *s, double **kv) {
    double *x = NULL;
    size_t nx = 0;
    if (classic_inputs(c, &x, &nx) != 0) return -1;
    *kv = malloc((s->n_sv ? s->n_sv : 1) * sizeof **kv);
    if (!*kv) { free(x); return exec_fail(c, "out of memory"); }
    int rc = svm_kernels(c, s, x, nx, *kv);
    free(x);
    if (rc != 0) { free(*kv); *kv = NULL; }
    return rc;
}

/* y = sum_s alpha_s K(x, sv_s) - rho. SOURCE: coremltools
 * converters/sklearn/_SVR.py writes rho = -intercept_ and scikit-learn's
 * dual_coef_ as the coefficients (scikit-learn predicts
 * dual_coef_ . K + intercept_); converters/libsvm/_libsvm_converter.py
 * writes libsvm's rho[0] and sv_coef[0] as they are (libsvm predicts
 * sv_coef . K - rho). */
static int k_svm_regressor(xctx *c) {
    const tsvm *s = svm_of(c, false);
    if (!s) return -1;
    double *kv;
    if (svm_eval(c, s, &kv) != 0) return -1;
    double y = -s->rho1;
    for (size_t v = 0; v < s->n_sv; v++) y += s->coef[v] * kv[v];
    free(kv);
    int64_t one = 1;
    xt *t = exec_out(c, 0, 1, &one);
    if (!t) return exec_fail(c, "out of memory");
    t->dt = EXEC_DT_FP32;
    if (classic_widen(c, 0, t) != 0) return -1;
    classic_put(t, 0, y);
    return 0;
}

/* Class probabilities from the pairwise ones, r[i*k + j] = P(class i | i
 * or j), by the pairwise coupling of Wu, Lin and Weng, "Probability
 * Estimates for Multi-class Classification by Pairwise Coupling" (JMLR 5,
 * 2004), as libsvm implements it (LIBSVM paper, Chang and Lin 2011,
 * section 8, "Probability Estimates"):
 * p minimises sum_i sum_{j != i} (r_ji p_i - r_ij p_j)^2 subject to
 * sum p = 1, i.e. p'Qp with Q_tt = sum_{j != t} r_jt^2 and Q_tj = -r_jt r_tj.
 * Starting from the uniform p, each sweep sets in turn every
 * p_t = (p'Qp - sum_{j != t} Q_tj p_j) / Q_tt and renormalises p; it stops
 * once max_t |(Qp)_t - p'Qp| < 0.005 / k or after max(100, k) sweeps
 * (libsvm's stopping rule and limit). [derived: Core ML does not document
 * its coupling; coremltools' test_SVC.py finds its multi-class
 * probabilities within 1e-5 of scikit-learn's libsvm, which this method
 * and stopping rule reproduce.] */
static int svm_couple(xctx *c, size_t k, const double *r, double *p) {
    if (k > SIZE_MAX / sizeof(double) / k) return exec_fail(c, "out of memory");
    double *q = malloc(k * k * sizeof *q), *qp = malloc(k * sizeof *qp);
    if (!q || !qp) { free(q); free(qp); return exec_fail(c, "out of memory"); }
    for (size_t t = 0; t < k; t++) {
        q[t * k + t] = 0;
        for (size_t j = 0; j < k; j++) {
            if (j == t) continue;
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = -r[j * k + t] * r[t * k + j];
        }
        p[t] = 1.0 / (double)k;
    }
    size_t sweeps = k > 100 ? k : 100;
    double eps = 0.005 / (double)k;
    for (size_t it = 0; it < sweeps; it++) {
        /* Qp and p'Qp afresh for the stopping test */
        double pqp = 0, worst = 0;
        for (size_t t = 0; t < k; t++) {
            double acc = 0;
            for (size_t j = 0; j < k; j++) acc += q[t * k + j] * p[j];
            qp[t] = acc;
            pqp += p[t] * acc;
        }
        for (size_t t = 0; t < k; t++) worst = fmax(worst, fabs(qp[t] - pqp));
        if (worst < eps) break;
        for (size_t t = 0; t < k; t++) {
            /* p_t += d makes (Qp)_t equal p'Qp; then Qp and p'Qp follow the
             * change (Q is symmetric) and everything is divided by the new
             * sum 1 + d */
            double qtt = q[t * k + t], d = (pqp - qp[t]) / qtt, z = 1.0 + d;
            pqp = (pqp + d * (2.0 * qp[t] + d * qtt)) / (z * z);
            p[t] += d;
            for (size_t j = 0; j < k; j++) {
                qp[j] = (qp[j] + d * q[t * k + j]) / z;
                p[j] /= z;
            }
        }
    }
    free(q);
    free(qp);
    return 0;
}

/* One-vs-one: the decision value of the pair (i, j), i < j, in the order
 * (0,1), (0,2) ... (1,2) ..., is
 *   sum over class i's support vectors v of coef[j-1][v] K(x, v)
 *   + sum over class j's support vectors v of coef[i][v] K(x, v) - rho[pair]
 * and a positive value votes for i, any other for j; the label is the
 * class with the most votes, the first of them on a tie. SOURCE: the
 * coefficient layout is libsvm's sv_coef (coremltools
 * converters/libsvm/_libsvm_converter.py copies sv_coef[j][i] to
 * coefficients[j].alpha[i], libsvm's rho and nSV likewise; _SVC.py writes
 * scikit-learn's _dual_coef_, which is libsvm's sv_coef, and rho = libsvm's
 * rho: -intercept_ for several classes, intercept_ for two, where
 * scikit-learn has negated it); the decision and the vote are libsvm's
 * svm_predict_values / svm_predict (LIBSVM paper section 7, one-against-
 * one with voting, a tie to the class listed first), which coremltools'
 * test_SVC.py matches label for label.
 *
 * With probA and probB, the pair's probability of i is Platt's sigmoid
 * 1 / (1 + exp(A dec + B)) kept within [1e-7, 1 - 1e-7] (LIBSVM paper
 * section 8, libsvm's svm_predict_probability), two classes take it as it
 * is and more are coupled (svm_couple); the label is then the most probable
 * class, the first on a tie. [derived: the label rule is libsvm's
 * svm_predict_probability; for two classes, coremltools' _SVC.py warns that
 * scikit-learn "normalize[s] pairwise probabilities even for binary
 * classification", causing differences "usually less than 0.5%" from
 * Core ML, whose binary probabilities test_SVC.py compares with libsvm's at
 * 1e-5: Core ML is taken to use the sigmoid as it is, which is also the
 * coupling's exact fixed point for two classes.]
 *
 * Without probA and probB Core ML's converters declare no probability
 * output; if the model has one anyway it gets each class's votes divided
 * by the number of pairs (so they sum to 1). [derived: not documented.] */
static int k_svm_classifier(xctx *c) {
    const tsvm *s = svm_of(c, true);
    if (!s) return -1;
    double *kv;
    if (svm_eval(c, s, &kv) != 0) return -1;
    size_t k = s->n_classes;
    bool probs = s->prob_a != NULL;
    double *dec = malloc(s->n_pairs * sizeof *dec), *p = calloc(k, sizeof *p),
           *r = probs && k > 2 ? malloc(k * k * sizeof *r) : NULL;
    if (!dec || !p || (probs && k > 2 && !r)) {
        free(kv); free(dec); free(p); free(r);
        return exec_fail(c, "out of memory");
    }
    size_t pair = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++, pair++) {
            size_t ri = (j - 1) * s->n_sv, rj = i * s->n_sv; /* the coefficient rows */
            double acc = -s->rho[pair];
            for (size_t v = s->start[i]; v < s->start[i] + (size_t)s->count[i]; v++) acc += s->coef[ri + v] * kv[v];
            for (size_t v = s->start[j]; v < s->start[j] + (size_t)s->count[j]; v++) acc += s->coef[rj + v] * kv[v];
            dec[pair] = acc;
        }
    free(kv);
    int rc = 0;
    if (!probs) {
        pair = 0;
        for (size_t i = 0; i < k; i++)
            for (size_t j = i + 1; j < k; j++, pair++) p[dec[pair] > 0 ? i : j] += 1.0;
        for (size_t i = 0; i < k; i++) p[i] /= (double)s->n_pairs;
    } else {
        pair = 0;
        for (size_t i = 0; i < k; i++)
            for (size_t j = i + 1; j < k; j++, pair++) {
                double f = s->prob_a[pair] * dec[pair] + s->prob_b[pair];
                /* 1 / (1 + e^f) without overflow for either sign of f */
                double rij = f >= 0 ? exp(-f) / (1.0 + exp(-f)) : 1.0 / (1.0 + exp(f));
                rij = fmin(fmax(rij, 1e-7), 1.0 - 1e-7);
                if (k == 2) {
                    p[0] = rij;
                    p[1] = 1.0 - rij;
                } else {
                    r[i * k + j] = rij;
                    r[j * k + i] = 1.0 - rij;
                }
            }
        if (k > 2) rc = svm_couple(c, k, r, p);
    }
    free(dec);
    free(r);
    if (rc == 0) rc = classifier_outputs(c, p, k, argmax(p, k));
    free(p);
    return rc;
}

/* ---- scaler, feature vectorizer -------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/Scaler.proto:11-34: f(x) = scaleValue * (x + shiftValue); scale
 * defaults to 1 and shift to 0; a single value applies to every element. */
static int k_scaler(xctx *c) {
    if (exec_nn_n_in(c) != 1) return exec_fail(c, "scaler takes one input, has %zu", exec_nn_n_in(c));
    const xt *x = exec_nn_in(c, 0);
    if (!x || !x->d) return exec_fail(c, "scaler: the input has no value");
    const cml_attr *sh = list_of(c, "shiftValue", CML_ATTR_FLOATS), *sc = list_of(c, "scaleValue", CML_ATTR_FLOATS);
    if ((sh && sh->n != 1 && sh->n != x->n) || (sc && sc->n != 1 && sc->n != x->n))
        return exec_fail(c, "scaler: %zu shift and %zu scale values for an input of %zu values", list_n(sh),
                         list_n(sc), x->n);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = EXEC_DT_FP32;
    if (classic_widen(c, 0, y) != 0) return -1;
    for (size_t i = 0; i < x->n; i++) {
        double s = sh ? sh->floats[sh->n == 1 ? 0 : i] : 0.0, k = sc ? sc->floats[sc->n == 1 ? 0 : i] : 1.0;
        classic_put(y, i, k * (exec_wv(x, i) + s));
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/FeatureVectorizer.proto:11-26: the output is the concatenation of the
 * listed input columns in order, inputDimensions values from each. */
static int k_feature_vectorizer(xctx *c) {
    const cml_attr *col = list_of(c, "inputList.inputColumn", CML_ATTR_STRINGS),
                   *dim = list_of(c, "inputList.inputDimensions", CML_ATTR_INTS);
    size_t n = list_n(col);
    if (!n || list_n(dim) != n) return exec_fail(c, "featureVectorizer has no input list");
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (dim->ints[i] < 0 || dim->ints[i] > (INT64_C(1) << 40) - total)
            return exec_fail(c, "featureVectorizer: bad dimension for '%s'", col->strings[i]);
        total += dim->ints[i];
    }
    const xt **src = malloc(n * sizeof *src);
    const cml_arg *a = c->op->inputs[0];
    /* the inputs by name (a column names the last input of its name) */
    const char **names = malloc((a->n_values ? a->n_values : 1) * sizeof *names);
    classic_keys by_name = {0};
    if (!src || !names) {
        free(src);
        free(names);
        return exec_fail(c, "out of memory");
    }
    for (size_t k = 0; k < a->n_values; k++) names[k] = a->values[k]->name;
    if (classic_keys_build(c, &by_name, names, NULL, a->n_values) != 0) {
        free(src);
        free(names);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        long at = classic_keys_find(&by_name, col->strings[i] ? col->strings[i] : "", 0, true);
        src[i] = at >= 0 ? exec_nn_in(c, (size_t)at) : NULL;
        if (!src[i] || !src[i]->d) rc = exec_fail(c, "featureVectorizer: input column '%s' is not an input", col->strings[i]);
        else if (classic_is_dict(src[i])) {
            if (!src[i]->ikeys && src[i]->n)
                rc = exec_fail(c, "featureVectorizer: '%s' is a dictionary without integer keys", col->strings[i]);
            for (size_t k = 0; rc == 0 && k < src[i]->n; k++)
                if (src[i]->ikeys[k] < 0 || src[i]->ikeys[k] >= dim->ints[i])
                    rc = exec_fail(c, "featureVectorizer: key %lld of '%s' is past its %lld dimensions",
                                   (long long)src[i]->ikeys[k], col->strings[i], (long long)dim->ints[i]);
        } else if (src[i]->n != (size_t)dim->ints[i]) {
            rc = exec_fail(c, "featureVectorizer: '%s' has %zu values, the input list says %lld", col->strings[i],
                           src[i]->n, (long long)dim->ints[i]);
        }
    }
    xt *y = rc == 0 ? exec_out(c, 0, 1, &total) : NULL;
    if (rc == 0 && !y) rc = exec_fail(c, "out of memory");
    if (rc == 0) rc = classic_widen(c, 0, y);
    if (rc == 0) {
        y->dt = EXEC_DT_FP32;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            /* a dictionary with int64 keys (a sparse one-hot encoder's
             * output) puts its values at their keys' positions */
            if (classic_is_dict(src[i])) {
                for (int64_t k = 0; k < dim->ints[i]; k++) classic_put(y, at + (size_t)k, 0.0);
                for (size_t k = 0; k < src[i]->n; k++) classic_put(y, at + (size_t)src[i]->ikeys[k], exec_wv(src[i], k));
            } else {
                for (size_t k = 0; k < src[i]->n; k++) classic_put(y, at + k, exec_wv(src[i], k));
            }
            at += (size_t)dim->ints[i];
        }
    }
    free(by_name.e);
    free(names);
    free(src);
    return rc;
}

/* ---- normalizer, array feature extractor, imputer ------------------------------------ */

/* SOURCE: apple/coremltools mlmodel/format/Normalizer.proto:15-35,11-38 NormType LMax = 0, L1 = 1, L2 = 2: x / z with z
 * the max, L1 or L2 norm. The max norm is max |x_i| and an all-zero input
 * stays zero [derived: coremltools' sklearn converter maps
 * sklearn.preprocessing.Normalizer, which divides by max |x_i| and leaves
 * zero rows alone, onto this model]. */
static int k_normalizer(xctx *c) {
    if (exec_nn_n_in(c) != 1) return exec_fail(c, "normalizer takes one input, has %zu", exec_nn_n_in(c));
    const xt *x = exec_nn_in(c, 0);
    if (!x || !x->d) return exec_fail(c, "normalizer: the input has no value");
    const cml_attr *nt = exec_attr(c, "normType");
    int64_t mode = nt ? nt->i : 0;
    double z = 0;
    for (size_t i = 0; i < x->n; i++) {
        double v = exec_wv(x, i);
        if (mode == 1) z += fabs(v);
        else if (mode == 2) z += v * v;
        else z = fabs(v) > z ? fabs(v) : z;
    }
    if (mode == 2) z = sqrt(z);
    if (z == 0) z = 1;
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = EXEC_DT_FP32;
    if (classic_widen(c, 0, y) != 0) return -1;
    for (size_t i = 0; i < x->n; i++) classic_put(y, i, exec_wv(x, i) / z);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/ArrayFeatureExtractor.proto:11-19: the values at the zero-based
 * extractIndex positions of the array input, in that order. */
static int k_array_feature_extractor(xctx *c) {
    const cml_attr *ix = list_of(c, "extractIndex", CML_ATTR_INTS);
    if (!ix || !ix->n) return exec_fail(c, "arrayFeatureExtractor has no extractIndex");
    if (exec_nn_n_in(c) != 1) return exec_fail(c, "arrayFeatureExtractor takes one input, has %zu", exec_nn_n_in(c));
    const xt *x = exec_nn_in(c, 0);
    if (!x || !x->d) return exec_fail(c, "arrayFeatureExtractor: the input has no value");
    for (size_t i = 0; i < ix->n; i++)
        if (ix->ints[i] < 0 || (uint64_t)ix->ints[i] >= x->n)
            return exec_fail(c, "arrayFeatureExtractor: index %lld is outside the input's %zu values",
                             (long long)ix->ints[i], x->n);
    int64_t n = (int64_t)ix->n;
    xt *y = exec_out(c, 0, 1, &n);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = x->dt == EXEC_DT_INT32 ? EXEC_DT_INT32 : EXEC_DT_FP32;
    if (classic_widen(c, 0, y) != 0) return -1;
    for (size_t i = 0; i < ix->n; i++) classic_put(y, i, exec_wv(x, (size_t)ix->ints[i]));
    return 0;
}

/* ---- neural pipeline stages and linked models ---------------------------------------- */

static void stage_free(void *plan) { exec_plan_free(plan); }

/* Deep copies of output strings / int64 keys (the sub-run's outputs are
 * freed right after) into one aux block of t. */
static int keep_strings(xctx *c, xt *t, const exec_tensor *o) {
    size_t n = exec_tensor_count(o);
    if (o->int_keys) {
        int64_t *k = malloc((n ? n : 1) * sizeof *k);
        if (!k) return exec_fail(c, "out of memory");
        memcpy(k, o->int_keys, n * sizeof *k);
        t->ikeys = k;
        t->aux = k;
        return 0;
    }
    if (!o->strings) return 0;
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += strlen(o->strings[i]) + 1;
    char **v = malloc(n * sizeof *v + chars + 1);
    if (!v) return exec_fail(c, "out of memory");
    char *at = (char *)(v + n);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(o->strings[i]);
        memcpy(at, o->strings[i], l + 1);
        v[i] = at;
        at += l + 1;
    }
    t->strs = (const char *const *)v;
    t->nstr = n;
    t->aux = v;
    return 0;
}

/* Run sub-model sm for the current op: a plan of its own (prepared at the
 * first run, without the probe's per-op hooks), fed the op's inputs by
 * name and run in the same mode; its outputs become the op's by name. */
int classic_run_model(xctx *c, const cml_model *sm, const char *what) {
    xstep *st = (xstep *)c->st;
    if (!st->kstate) {
        exec_opts o = c->p->opts;
        o.hook = NULL;
        o.on_op_start = NULL;
        char err[400];
        exec_plan *np = exec_prepare(sm, NULL, &o, err, sizeof err);
        if (!np) return exec_fail(c, "%s: %s", what, err);
        st->kstate = np;
        st->kstate_free = stage_free;
    }
    exec_plan *np = st->kstate;
    size_t n_in = exec_nn_n_in(c);
    exec_tensor *in = calloc(n_in ? n_in : 1, sizeof *in);
    if (!in) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < n_in; i++) {
        const xt *t = exec_nn_in(c, i);
        if (!t || (!t->d && !t->strs)) {
            free(in);
            return exec_fail(c, "input '%s' has no value", c->op->inputs[0]->values[i]->name);
        }
        in[i].name = c->op->inputs[0]->values[i]->name;
        in[i].dtype = t->dt;
        in[i].rank = t->rank;
        for (int k = 0; k < t->rank; k++) in[i].shape[k] = t->dim[k];
        in[i].data = t->d;
        in[i].data64 = t->wide; /* a classic stage's doubles stay doubles (exec.c's binding) */
        if (t->dt == EXEC_DT_STRING || t->dt == EXEC_DT_DICT) {
            in[i].strings = t->strs;
            in[i].int_keys = t->ikeys;
        }
    }
    exec_tensor *out = NULL;
    size_t n_out = 0;
    int rc = exec_run(np, c->mode, in, n_in, &out, &n_out, NULL);
    free(in);
    if (rc != 0) return exec_fail(c, "%s: %s", what, exec_last_error(np));
    /* the run's outputs by name (the last of a name) */
    const char **names = malloc((n_out ? n_out : 1) * sizeof *names);
    classic_keys by_name = {0};
    if (!names) rc = exec_fail(c, "out of memory");
    for (size_t k = 0; rc == 0 && k < n_out; k++) names[k] = out[k].name ? out[k].name : "";
    if (rc == 0) rc = classic_keys_build(c, &by_name, names, NULL, n_out);
    for (size_t i = 0; i < exec_n_outputs(c) && rc == 0; i++) {
        long k = classic_keys_find(&by_name, c->op->outputs[i]->name ? c->op->outputs[i]->name : "", 0, true);
        const exec_tensor *o = k >= 0 && out[k].name ? &out[k] : NULL;
        if (!o) { rc = exec_fail(c, "%s does not produce '%s'", what, c->op->outputs[i]->name); break; }
        xt *t = exec_out(c, i, o->rank, o->shape);
        if (!t) { rc = exec_fail(c, "out of memory"); break; }
        if (o->data) memcpy(t->d, o->data, t->n * sizeof(float));
        if (o->data64 && !t->wide) {   /* the doubles the sub-model computed */
            t->wide = malloc((t->n ? t->n : 1) * sizeof *t->wide);
            if (!t->wide) { rc = exec_fail(c, "out of memory"); break; }
            memcpy(t->wide, o->data64, t->n * sizeof *t->wide);
        }
        t->dt = o->dtype;
        if (o->dtype == EXEC_DT_LABEL) {
            /* the sub-model's classes by index, else the name its run gave */
            int64_t li = o->data ? exec_f2i(o->data[0]) : -1;
            if ((sm->string_labels || sm->int64_labels) && li >= 0 && (uint64_t)li < sm->n_class_labels) {
                t->strs = sm->string_labels;
                t->ikeys = sm->string_labels ? NULL : sm->int64_labels;
                t->nstr = sm->n_class_labels;
            } else if (o->label) {
                size_t l = strlen(o->label);
                const char **blk = malloc(sizeof(char *) + l + 1);
                if (!blk) { rc = exec_fail(c, "out of memory"); break; }
                memcpy(blk + 1, o->label, l + 1);
                blk[0] = (const char *)(blk + 1);
                t->d[0] = -1;
                t->strs = blk;
                t->nstr = 1;
                t->aux = blk;
            }
        } else if ((o->dtype == EXEC_DT_STRING || o->dtype == EXEC_DT_DICT || o->strings || o->int_keys) &&
                   keep_strings(c, t, o) != 0) {
            rc = -1;
        }
    }
    free(by_name.e);
    free(names);
    exec_tensors_free(out, n_out);
    return rc;
}

/* A partial plan's stand-in for a stage the executor refuses: each output
 * of the stage's declared type gets deterministic values (a multiarray of
 * its declared shape, 1 for unknown dims, uniform in [0, 1) from a stream
 * seeded by the output's name; a double, an int64 0, a string, an empty
 * dictionary), so that the stages after it can run. */
int exec_classic_substitute(xctx *c) {
    const cml_model *sm = exec_stage_model(c->p->m, c->op);
    for (size_t i = 0; i < exec_n_outputs(c); i++) {
        const cml_value *v = c->op->outputs[i];
        const cml_feature *f = NULL;
        for (size_t k = 0; sm && k < sm->n_outputs; k++)
            if (sm->outputs[k]->name && !strcmp(sm->outputs[k]->name, v->name)) f = sm->outputs[k];
        cml_feature_kind kind = f ? f->kind : CML_FEAT_MULTIARRAY;
        int64_t dim[EXEC_MAX_RANK];
        int r = 0;
        if (kind == CML_FEAT_MULTIARRAY && f && f->shape.rank > 0 && f->shape.rank <= EXEC_MAX_RANK) {
            r = f->shape.rank;
            for (int k = 0; k < r; k++) dim[k] = f->shape.dims[k] > 0 ? f->shape.dims[k] : 1;
        } else if (kind == CML_FEAT_MULTIARRAY && v->type.shape.rank > 0 && v->type.shape.rank <= EXEC_MAX_RANK) {
            r = v->type.shape.rank;
            for (int k = 0; k < r; k++) dim[k] = v->type.shape.dims[k] > 0 ? v->type.shape.dims[k] : 1;
        } else if (kind == CML_FEAT_IMAGE && f) {
            r = 4;
            dim[0] = 1;
            dim[1] = f->color == CML_COLOR_GRAYSCALE || f->color == CML_COLOR_GRAYSCALE_FLOAT16 ? 1 : 3;
            dim[2] = f->height > 0 ? f->height : 1;
            dim[3] = f->width > 0 ? f->width : 1;
        } else if (kind == CML_FEAT_DICTIONARY || kind == CML_FEAT_SEQUENCE) {
            r = 1;
            dim[0] = 0;
        }
        xt *y = exec_out(c, i, r, dim);
        if (!y) return exec_fail(c, "out of memory");
        uint64_t s = 0x51b5717u;
        for (const char *q = v->name; q && *q; q++) s = (s ^ (unsigned char)*q) * 0x100000001b3ull;
        for (size_t k = 0; k < y->n; k++) {
            uint64_t z = (s += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            y->d[k] = kind == CML_FEAT_INT64 || kind == CML_FEAT_STRING ? 0.0f : (float)((double)((z ^ (z >> 31)) >> 11) * 0x1p-53);
        }
        if (kind == CML_FEAT_STRING) {
            static const char *const blank[1] = {""};
            y->dt = EXEC_DT_STRING;
            y->strs = blank;
            y->nstr = 1;
        } else if (kind == CML_FEAT_DICTIONARY) {
            y->dt = EXEC_DT_DICT;
        } else {
            y->dt = kind == CML_FEAT_INT64 ? EXEC_DT_INT32 : EXEC_DT_FP32;
        }
    }
    return 0;
}

/* A NeuralNetwork or ML Program stage of a pipeline (so its fp16
 * emulation is the sub-model's own). */
static int k_neural_stage(xctx *c) {
    const cml_model *sm = ((xstep *)c->st)->kstate ? exec_plan_function(((xstep *)c->st)->kstate)->model
                                                     : exec_stage_model(c->p->m, c->op);
    if (!sm) return exec_fail(c, "pipeline stage '%s' has no sub-model", c->op->kind);
    char what[96];
    snprintf(what, sizeof what, "%s stage", c->op->kind);
    return classic_run_model(c, sm, what);
}

/* ---- table -------------------------------------------------------------------------- */

static const exec_kdef CLASSIC_KERNELS[] = {
    {"arrayFeatureExtractor", k_array_feature_extractor, NULL},
    {"featureVectorizer", k_feature_vectorizer, NULL},
    {"glmClassifier", k_glm_classifier, NULL},
    {"glmRegressor", k_glm_regressor, NULL},
    {"mlProgram", k_neural_stage, NULL},
    {"neuralNetwork", k_neural_stage, NULL},
    {"neuralNetworkClassifier", k_neural_stage, NULL},
    {"neuralNetworkRegressor", k_neural_stage, NULL},
    {"normalizer", k_normalizer, NULL},
    {"scaler", k_scaler, NULL},
    {"supportVectorClassifier", k_svm_classifier, NULL},
    {"supportVectorRegressor", k_svm_regressor, NULL},
    {"treeEnsembleClassifier", k_tree_classifier, NULL},
    {"treeEnsembleRegressor", k_tree_regressor, NULL},
};

static const classic_table CLASSIC_TABLE = {CLASSIC_KERNELS, sizeof CLASSIC_KERNELS / sizeof CLASSIC_KERNELS[0]};

const exec_kdef *exec_find_classic(const char *kind) {
    const classic_table *tables[] = {&CLASSIC_TABLE, &CLASSIC_ENCODE_TABLE, &CLASSIC_MORE_TABLE};
    for (size_t t = 0; kind && t < sizeof tables / sizeof *tables; t++)
        for (size_t i = 0; i < tables[t]->n; i++)
            if (!strcmp(tables[t]->k[i].kind, kind)) return &tables[t]->k[i];
    return NULL;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* classic_more.c — classic models beyond the regressors, classifiers and
 * transformers of classic.c / classic_encode.c: the k-nearest-neighbours
 * classifier, non-maximum suppression, the item-similarity recommender,
 * the Bayesian probit regressor, linked models (run through the resolver
 * exec_io.link gives), and the model types that need Apple's own
 * implementation (refused by name at prepare time). Double precision
 * throughout, as for every classic model. SOURCE: the comments of each
 * model's message in apple/coremltools mlmodel/format/<Model>.proto, cited per
 * kernel. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classic_internal.h"

/* the op input (or output) whose value is named `name` (the models name
 * their features in parameters); -1 */
static long in_named(xctx *c, const char *name) {
    for (size_t i = 0; name && *name && i < exec_nn_n_in(c); i++)
        if (!strcmp(c->op->inputs[0]->values[i]->name, name)) return (long)i;
    return -1;
}
static long out_named(xctx *c, const char *name) {
    for (size_t i = 0; name && *name && i < exec_n_outputs(c); i++)
        if (!strcmp(c->op->outputs[i]->name, name)) return (long)i;
    return -1;
}

/* ---- k nearest neighbours ---------------------------------------------------------------- */

typedef struct knn_hit {
    double d;
    size_t i;
} knn_hit;

static int knn_cmp(const void *a, const void *b) {
    const knn_hit *x = a, *y = b;
    if (x->d != y->d) return x->d < y->d ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* SOURCE: apple/coremltools mlmodel/format/NearestNeighbors.proto:14-54,127-131
 * KNearestNeighborsClassifier: samples floatSamples (numberOfDimensions
 * each) with one class label per sample (stringClassLabels /
 * int64ClassLabels); the numberOfNeighbors (Int64Parameter defaultValue)
 * nearest by SquaredEuclideanDistance vote, each with weight 1
 * (uniformWeighting) or 1 / distance (inverseDistanceWeighting: "A nearest
 * neighbor with highest sum of (1 / distance) is picked"); an empty model
 * predicts defaultStringLabel / defaultInt64Label. The label output holds
 * the winner; the probability output is a dictionary over the labels of
 * the neighbours, their vote shares. [derived: a neighbour at distance 0
 * outweighs every other under inverse-distance weighting; equal votes go
 * to the label of the nearest neighbour among them.] */
static int k_knn(xctx *c) {
    const cml_attr *dims = exec_attr(c, "nearestNeighborsIndex.numberOfDimensions");
    const cml_attr *sv = classic_list(c, "nearestNeighborsIndex.floatSamples.vector", CML_ATTR_FLOATS),
                   *cnt = classic_list(c, "nearestNeighborsIndex.floatSamples.vector#count", CML_ATTR_INTS);
    const cml_attr *sl = classic_list(c, "stringClassLabels.vector", CML_ATTR_STRINGS),
                   *il = classic_list(c, "int64ClassLabels.vector", CML_ATTR_INTS);
    int64_t D = dims ? dims->i : 0, k = exec_ai(c, "numberOfNeighbors.defaultValue", 1);
    size_t ns = cnt ? cnt->n : 0;
    if (ns && (!sv || sv->n != ns * (size_t)(D > 0 ? D : 0)))
        return exec_fail(c, "kNearestNeighborsClassifier: %zu samples do not hold %lld values each", ns, (long long)D);
    for (size_t i = 0; i < ns; i++)
        if (cnt->ints[i] != D) return exec_fail(c, "kNearestNeighborsClassifier: sample %zu has %lld values, not %lld", i, (long long)cnt->ints[i], (long long)D);
    size_t nlab = sl ? sl->n : il ? il->n : 0;
    if (ns && nlab != ns) return exec_fail(c, "kNearestNeighborsClassifier: %zu labels for %zu samples", nlab, ns);
    double *x = NULL;
    size_t nx = 0;
    if (classic_inputs(c, &x, &nx) != 0) return -1;
    if (ns && (int64_t)nx != D) {
        free(x);
        return exec_fail(c, "kNearestNeighborsClassifier: the input has %zu values, the samples %lld", nx, (long long)D);
    }
    if (k < 1) k = 1;
    if ((size_t)k > ns) k = (int64_t)ns;
    knn_hit *h = malloc((ns ? ns : 1) * sizeof *h);
    /* the distinct labels of the neighbours, their votes, their best rank;
     * a sample's label is known by the first sample with the same label
     * (found by bisection: k and the samples are as many as the model says) */
    size_t *lab = malloc(((size_t)k + 1) * sizeof *lab);
    double *vote = calloc((size_t)k + 1, sizeof *vote);
    long *slot = malloc((ns ? ns : 1) * sizeof *slot);
    const classic_keys *labels = NULL;
    if (!h || !lab || !vote || !slot ||
        !(labels = classic_keys_of_op(c, sl ? sl->strings : NULL, sl ? NULL : il ? il->ints : NULL, ns))) {
        free(x); free(h); free(lab); free(vote); free(slot);
        return !h || !lab || !vote || !slot ? exec_fail(c, "out of memory") : -1; /* else the index said */
    }
    for (size_t i = 0; i < ns; i++) slot[i] = -1;
    for (size_t i = 0; i < ns; i++) {
        double d = 0;
        for (int64_t j = 0; j < D; j++) {
            double t = x[j] - sv->floats[i * (size_t)D + (size_t)j];
            d += t * t;
        }
        h[i] = (knn_hit){d, i};
    }
    free(x);
    qsort(h, ns, sizeof *h, knn_cmp);
    bool inverse = exec_ab(c, "inverseDistanceWeighting");
    bool exact = inverse && k > 0 && h[0].d == 0;
    size_t nl = 0;
    for (int64_t r = 0; r < k; r++) {
        size_t s = h[r].i;
        long first = classic_keys_find(labels, sl ? sl->strings[s] : NULL, sl ? 0 : il->ints[s], false);
        size_t f = first >= 0 ? (size_t)first : s;
        if (slot[f] < 0) {
            slot[f] = (long)nl;
            lab[nl++] = s;
        }
        double w = !inverse ? 1.0 : exact ? (h[r].d == 0 ? 1.0 : 0.0) : 1.0 / h[r].d;
        vote[slot[f]] += w;
    }
    free(slot);
    free(h);
    size_t best = 0;
    double total = 0;
    for (size_t q = 0; q < nl; q++) {
        total += vote[q];
        if (vote[q] > vote[best]) best = q; /* the first (nearest) on a tie */
    }
    /* outputs: the label (first string / int64 output), the probabilities */
    int rc = 0;
    bool have_label = false;
    for (size_t o = 0; o < exec_n_outputs(c) && rc == 0; o++) {
        cml_dtype dt = c->op->outputs[o]->type.dtype;
        if (!have_label && (dt == CML_DT_STRING || dt == CML_DT_INT64)) {
            have_label = true;
            int64_t one = 1;
            xt *t = exec_out(c, o, 1, &one);
            if (!t) { rc = exec_fail(c, "out of memory"); break; }
            t->dt = EXEC_DT_LABEL;
            if (nl) {
                /* the nearest class's index into the examples' labels */
                t->d[0] = (float)lab[best];
                if (sl) t->strs = sl->strings;
                else t->ikeys = il->ints;
                t->nstr = sl ? sl->n : il->n;
            } else {
                /* no example: the default label, a name of the kernel's own */
                const cml_attr *ds = exec_attr(c, "defaultStringLabel"), *di = exec_attr(c, "defaultInt64Label");
                union { const char *s; int64_t i; } *blk = malloc(sizeof *blk);
                if (!blk) { rc = exec_fail(c, "out of memory"); break; }
                if (ds && ds->kind == CML_ATTR_STRING) {
                    blk->s = ds->s;
                    t->strs = &blk->s;
                } else {
                    blk->i = di ? di->i : 0;
                    t->ikeys = &blk->i;
                }
                t->d[0] = -1;
                t->nstr = 1;
                t->aux = blk;
            }
        } else {
            int64_t dn = (int64_t)nl;
            xt *t = exec_out(c, o, 1, &dn);
            void *keys = malloc((nl ? nl : 1) * (sl ? sizeof(char *) : sizeof(int64_t)));
            if (!t || !keys) { free(keys); rc = exec_fail(c, "out of memory"); break; }
            for (size_t q = 0; q < nl; q++) {
                t->d[q] = (float)(total > 0 ? vote[q] / total : 0);
                if (sl) ((const char **)keys)[q] = sl->strings[lab[q]];
                else ((int64_t *)keys)[q] = il->ints[lab[q]];
            }
            t->dt = EXEC_DT_DICT;
            t->aux = keys;
            if (sl) { t->strs = keys; t->nstr = nl; }
            else t->ikeys = keys;
        }
    }
    free(lab);
    free(vote);
    return rc;
}

/* ---- non-maximum suppression --------------------------------------------------------------- */

typedef struct nms_box {
    double score;
    size_t i, cls;
} nms_box;

static int nms_cmp(const void *a, const void *b) {
    const nms_box *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static double iou(const float *a, const float *b) {
    double ax0 = a[0] - a[2] / 2, ax1 = a[0] + a[2] / 2, ay0 = a[1] - a[3] / 2, ay1 = a[1] + a[3] / 2;
    double bx0 = b[0] - b[2] / 2, bx1 = b[0] + b[2] / 2, by0 = b[1] - b[3] / 2, by1 = b[1] + b[3] / 2;
    double w = fmin(ax1, bx1) - fmax(ax0, bx0), hh = fmin(ay1, by1) - fmax(ay0, by0);
    if (w <= 0 || hh <= 0) return 0;
    double inter = w * hh, uni = (double)a[2] * a[3] + (double)b[2] * b[3] - inter;
    return uni > 0 ? inter / uni : 0;
}

/* rows an output of the model may hold: the fixed first dim of its
 * declared shape, or the range of a flexible one */
static void rows_allowed(const cml_value *v, const cml_model *m, int64_t *lo, int64_t *hi) {
    *lo = 0;
    *hi = INT64_MAX;
    const cml_feature *f = NULL;
    for (size_t i = 0; m && i < m->n_outputs; i++)
        if (m->outputs[i]->name && !strcmp(m->outputs[i]->name, v->name)) f = m->outputs[i];
    if (!f || f->kind != CML_FEAT_MULTIARRAY || f->shape.rank < 1) return;
    if (f->flex == CML_FLEX_RANGE && f->n_ranges >= 1) {
        *lo = f->ranges[0].lower > 0 ? f->ranges[0].lower : 0;
        *hi = f->ranges[0].upper > 0 ? f->ranges[0].upper : INT64_MAX;
    } else if (f->flex == CML_FLEX_NONE && f->shape.dims[0] > 0) {
        *lo = *hi = f->shape.dims[0];
    }
}

/* SOURCE: apple/coremltools mlmodel/format/NonMaximumSuppression.proto:50-60:
 * confidence [N, C] and coordinates [N, 4] (x, y centre, width, height)
 * inputs by name; iouThreshold / confidenceThreshold, each overridable by
 * an input; boxes whose highest confidence is below the threshold are
 * dropped, then PickTop: in descending confidence a box is kept and the
 * others it overlaps by an IoU above iouThreshold (only those of its class,
 * the argmax, with perClass) are suppressed ("Setting it to 1.0 means
 * there will be no suppression"). The outputs hold the kept rows of both
 * inputs, zero-padded (or cut) to the rows the output's declared shape
 * fixes or its range allows. */
static int k_nms(xctx *c) {
    long ci = in_named(c, exec_as(c, "confidenceInputFeatureName")),
         bi = in_named(c, exec_as(c, "coordinatesInputFeatureName"));
    if (ci < 0) ci = 0;
    if (bi < 0) bi = 1;
    const xt *cf = exec_nn_in(c, (size_t)ci), *bx = exec_nn_in(c, (size_t)bi);
    if (!cf || !cf->d || !bx || !bx->d) return exec_fail(c, "nonMaximumSuppression: confidence and coordinates needed");
    if (bx->n % 4) return exec_fail(c, "nonMaximumSuppression: coordinates do not come in fours");
    size_t N = bx->n / 4, C = N ? cf->n / N : 0;
    if (N && cf->n != N * C) return exec_fail(c, "nonMaximumSuppression: %zu confidences for %zu boxes", cf->n, N);
    double iou_t = exec_af(c, "iouThreshold", 0), conf_t = exec_af(c, "confidenceThreshold", 0);
    long ii = in_named(c, exec_as(c, "iouThresholdInputFeatureName")),
         ti = in_named(c, exec_as(c, "confidenceThresholdInputFeatureName"));
    const xt *t;
    if (ii >= 0 && (t = exec_nn_in(c, (size_t)ii)) && t->d && t->n) iou_t = t->d[0];
    if (ti >= 0 && (t = exec_nn_in(c, (size_t)ti)) && t->d && t->n) conf_t = t->d[0];
    bool per_class = exec_ab(c, "pickTop.perClass");
    nms_box *cand = malloc((N ? N : 1) * sizeof *cand);
    size_t *keep = malloc((N ? N : 1) * sizeof *keep);
    if (!cand || !keep) { free(cand); free(keep); return exec_fail(c, "out of memory"); }
    size_t nc = 0, nk = 0;
    for (size_t i = 0; i < N; i++) {
        size_t cls = 0;
        for (size_t k = 1; k < C; k++)
            if (cf->d[i * C + k] > cf->d[i * C + cls]) cls = k;
        double sc = C ? cf->d[i * C + cls] : 0;
        if (sc >= conf_t) cand[nc++] = (nms_box){sc, i, cls};
    }
    qsort(cand, nc, sizeof *cand, nms_cmp);
    size_t *kcls = malloc((N ? N : 1) * sizeof *kcls);
    if (!kcls) { free(cand); free(keep); return exec_fail(c, "out of memory"); }
    for (size_t i = 0; i < nc; i++) {
        bool ok = true;
        for (size_t j = 0; j < nk && ok; j++) {
            if (per_class && kcls[j] != cand[i].cls) continue;
            if (iou(bx->d + cand[i].i * 4, bx->d + keep[j] * 4) > iou_t) ok = false;
        }
        if (ok) {
            kcls[nk] = cand[i].cls;
            keep[nk++] = cand[i].i;
        }
    }
    free(cand);
    free(kcls);
    long co = out_named(c, exec_as(c, "confidenceOutputFeatureName")),
         bo = out_named(c, exec_as(c, "coordinatesOutputFeatureName"));
    if (co < 0 && exec_n_outputs(c) > 0) co = 0;
    if (bo < 0 && exec_n_outputs(c) > 1) bo = co == 0 ? 1 : 0;
    int rc = 0;
    for (int which = 0; which < 2 && rc == 0; which++) {
        long o = which ? bo : co;
        if (o < 0) continue;
        size_t width = which ? 4 : C;
        int64_t lo, hi;
        rows_allowed(c->op->outputs[o], c->p->m, &lo, &hi);
        int64_t rows = (int64_t)nk < lo ? lo : (int64_t)nk > hi ? hi : (int64_t)nk;
        int64_t dim[2] = {rows, (int64_t)width};
        xt *y = exec_out(c, (size_t)o, 2, dim);
        if (!y) { rc = exec_fail(c, "out of memory"); break; }
        y->dt = EXEC_DT_FP32;
        memset(y->d, 0, y->n * sizeof(float));
        for (int64_t r = 0; r < rows && (size_t)r < nk; r++)
            memcpy(y->d + (size_t)r * width, (which ? bx->d : cf->d) + keep[r] * width, width * sizeof(float));
    }
    free(keep);
    return rc;
}

/* ---- item similarity recommender -------------------------------------------------------------- */

typedef struct rec_item {
    double score;
    size_t i;
} rec_item;

static int rec_cmp(const void *a, const void *b) {
    const rec_item *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* the item index of a key (string or int64) among the model's items (the
 * first with that id; ids: their index, NULL for numbered items), -1 */
static long item_index(const classic_keys *ids, bool by_str, size_t n_items, const char *s, int64_t k) {
    if (ids && by_str) return s ? classic_keys_find(ids, s, 0, false) : -1;
    if (ids) return classic_keys_find(ids, NULL, k, false);
    return k >= 0 && (uint64_t)k < n_items ? (long)k : -1;
}

/* SOURCE: apple/coremltools mlmodel/format/ItemSimilarityRecommender.proto:43-52:
 * the score of item k is sum over observed items i of sim(k, i) * (score_i
 * - shift_k), where SimilarItems(itemId = i).similarItemList gives sim(k, i)
 * for its entries k and shift_k is SimilarItems(itemId = k)
 * .itemScoreAdjustment; items are named by itemStringIds / itemInt64Ids or
 * numbered 0..n-1. Inputs by name: the observed items (a dictionary item
 * -> score), the number of recommendations (default all), a restriction
 * (only these items) and an exclusion (default: the observed items).
 * Outputs: the recommended items in descending score (ties by item
 * position) and their scores (a dictionary). */
static int k_item_similarity(xctx *c) {
    const cml_attr *ids = classic_list(c, "itemItemSimilarities.itemId", CML_ATTR_INTS),
                   *adj = classic_list(c, "itemItemSimilarities.itemScoreAdjustment", CML_ATTR_FLOATS),
                   *cnt = classic_list(c, "itemItemSimilarities.similarItemList#count", CML_ATTR_INTS),
                   *sid = classic_list(c, "itemItemSimilarities.similarItemList.itemId", CML_ATTR_INTS),
                   *ssc = classic_list(c, "itemItemSimilarities.similarItemList.similarityScore", CML_ATTR_FLOATS);
    const cml_attr *sids = classic_list(c, "itemStringIds.vector", CML_ATTR_STRINGS),
                   *iids = classic_list(c, "itemInt64Ids.vector", CML_ATTR_INTS);
    size_t n_entries = ids ? ids->n : 0, n_items = sids ? sids->n : iids ? iids->n : 0;
    if (!sids && !iids) {
        /* numbered items: as many as the ids mentioned */
        for (size_t i = 0; i < n_entries; i++)
            if ((uint64_t)ids->ints[i] + 1 > n_items) n_items = (size_t)ids->ints[i] + 1;
        for (size_t i = 0; sid && i < sid->n; i++)
            if ((uint64_t)sid->ints[i] + 1 > n_items) n_items = (size_t)sid->ints[i] + 1;
    }
    /* numbered items come from uint64 ids: one near 2^64 asked for tables of
     * as many doubles (an audit); no model holds 2^30 items */
    if (n_items > ((size_t)1 << 30)) return exec_fail(c, "itemSimilarityRecommender: item ids out of range");
    size_t total_sim = 0;
    bool wrapped = false;
    for (size_t i = 0; cnt && i < cnt->n; i++)
        wrapped |= __builtin_add_overflow(total_sim, (size_t)(cnt->ints[i] > 0 ? cnt->ints[i] : 0), &total_sim);
    if ((n_entries && !cnt) || (cnt && cnt->n != n_entries) || wrapped ||
        (total_sim && (!sid || !ssc || sid->n != total_sim || ssc->n != total_sim)))
        return exec_fail(c, "itemSimilarityRecommender: the similarity lists do not add up");
    long in_items = in_named(c, exec_as(c, "itemInputFeatureName"));
    if (in_items < 0) in_items = 0;
    const xt *obs = exec_nn_in(c, (size_t)in_items);
    if (!classic_is_dict(obs)) return exec_fail(c, "itemSimilarityRecommender: the items input is not a dictionary");
    double *score = calloc(n_items ? n_items : 1, sizeof *score), *shift = calloc(n_items ? n_items : 1, sizeof *shift);
    double *obs_score = malloc((n_items ? n_items : 1) * sizeof *obs_score);
    bool *observed = calloc(n_items ? n_items : 1, sizeof *observed), *allowed = malloc((n_items ? n_items : 1) * sizeof *allowed);
    rec_item *rank = malloc((n_items ? n_items : 1) * sizeof *rank);
    const classic_keys *named = NULL;
    int rc = 0;
    if (!score || !shift || !obs_score || !observed || !allowed || !rank) { rc = exec_fail(c, "out of memory"); goto out; }
    if ((sids || iids) && !(named = classic_keys_of_op(c, sids ? sids->strings : NULL, sids ? NULL : iids->ints, n_items))) {
        rc = -1;
        goto out;
    }
    for (size_t e = 0; e < n_entries; e++) {
        long k = item_index(NULL, false, n_items, NULL, ids->ints[e]);
        if (k >= 0 && adj && e < adj->n) shift[k] = adj->floats[e];
    }
    for (size_t j = 0; j < obs->n; j++) {
        long i = item_index(named, sids != NULL, n_items, obs->strs ? obs->strs[j] : NULL, obs->ikeys ? obs->ikeys[j] : (int64_t)-1);
        if (i < 0) continue; /* an item the model does not know has no similarities */
        observed[i] = true;
        obs_score[i] = obs->d[j];
    }
    /* sum over observed i of sim(k, i) (score_i - shift_k) */
    for (size_t e = 0, at = 0; e < n_entries; e++) {
        size_t n_sim = (size_t)(cnt->ints[e] > 0 ? cnt->ints[e] : 0);
        long i = item_index(NULL, false, n_items, NULL, ids->ints[e]);
        for (size_t q = 0; q < n_sim; q++, at++) {
            long k = item_index(NULL, false, n_items, NULL, sid->ints[at]);
            if (i >= 0 && k >= 0 && observed[i]) score[k] += ssc->floats[at] * (obs_score[i] - shift[k]);
        }
    }
    /* restriction, exclusion (default: the observed items) */
    long ri = in_named(c, exec_as(c, "itemRestrictionInputFeatureName")),
         ei = in_named(c, exec_as(c, "itemExclusionInputFeatureName"));
    const xt *rt = ri >= 0 ? exec_nn_in(c, (size_t)ri) : NULL, *et = ei >= 0 ? exec_nn_in(c, (size_t)ei) : NULL;
    /* an empty list is one not given (exec_input_omitted: how the probe
     * leaves an optional input out) */
    if (rt && rt->n == 0) rt = NULL;
    if (et && et->n == 0) et = NULL;
    for (size_t k = 0; k < n_items; k++) allowed[k] = rt == NULL && !(et == NULL && observed[k]);
    /* items by string, or by int64 id (exact from ikeys: an int64 sequence) */
    for (size_t j = 0; rt && j < rt->n; j++) {
        long k = item_index(named, sids != NULL, n_items, classic_str(rt, j),
                            rt->ikeys ? rt->ikeys[j] : rt->d ? exec_f2i(rt->d[j]) : -1);
        if (k >= 0) allowed[k] = true;
    }
    for (size_t j = 0; et && j < et->n; j++) {
        long k = item_index(named, sids != NULL, n_items, classic_str(et, j),
                            et->ikeys ? et->ikeys[j] : et->d ? exec_f2i(et->d[j]) : -1);
        if (k >= 0) allowed[k] = false;
    }
    size_t nr = 0;
    for (size_t k = 0; k < n_items; k++)
        if (allowed[k]) rank[nr++] = (rec_item){score[k], k};
    qsort(rank, nr, sizeof *rank, rec_cmp);
    long ni = in_named(c, exec_as(c, "numRecommendationsInputFeatureName"));
    const xt *nt = ni >= 0 ? exec_nn_in(c, (size_t)ni) : NULL;
    int64_t want = nt && nt->d && nt->n ? exec_f2i(nt->d[0]) : -1;
    if (want >= 0 && (uint64_t)want < nr) nr = (size_t)want;
    long lo = out_named(c, exec_as(c, "recommendedItemListOutputFeatureName")),
         so = out_named(c, exec_as(c, "recommendedItemScoreOutputFeatureName"));
    if (lo < 0 && so < 0 && exec_n_outputs(c)) lo = 0;
    /* the item names as strings for string ids, int64 values otherwise */
    for (int which = 0; which < 2; which++) {
        long o = which ? so : lo;
        if (o < 0) continue;
        int64_t dn = (int64_t)nr;
        xt *y = exec_out(c, (size_t)o, 1, &dn);
        void *keys = malloc((nr ? nr : 1) * (sids ? sizeof(char *) : sizeof(int64_t)));
        if (!y || !keys) { free(keys); rc = exec_fail(c, "out of memory"); goto out; }
        for (size_t r = 0; r < nr; r++) {
            size_t k = rank[r].i;
            int64_t id = iids ? iids->ints[k] : (int64_t)k;
            if (sids) ((const char **)keys)[r] = sids->strings[k];
            else ((int64_t *)keys)[r] = id;
            y->d[r] = which ? (float)rank[r].score : sids ? 0.0f : (float)id;
        }
        if (which) {
            y->dt = EXEC_DT_DICT;
            y->aux = keys;
            if (sids) { y->strs = keys; y->nstr = nr; }
            else y->ikeys = keys;
        } else if (sids) {
            y->dt = EXEC_DT_STRING;
            y->strs = keys;
            y->nstr = nr;
            y->aux = keys;
        } else {
            y->dt = EXEC_DT_INT32;
            free(keys);
        }
    }
out:
    free(score);
    free(shift);
    free(obs_score);
    free(observed);
    free(allowed);
    free(rank);
    return rc;
}

/* ---- Bayesian probit regressor ------------------------------------------------------------------ */

static double phi(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

/* SOURCE: apple/coremltools mlmodel/format/BayesianProbitRegressor.proto:58-64:
 * each feature i takes a discrete value x[i] (the input a vector indexed by
 * feature id, or rows (id, value)); its weight for that value is a
 * Gaussian (mean, precision = 1 / variance); the regression mean is
 * bias.mean + the sum of the weights' means, its variance 1 /
 * bias.precision + the sum of their variances; P(y = +1) = Phi(mean /
 * sqrt(beta^2 + variance)) with beta = 1 [derived: the proto's
 * P(y=+1|x,w) = Phi(<w,x>/beta) with Gaussian weights, integrated as in
 * Graepel et al. 2010 (AdPredictor); beta is no parameter of the message].
 * Outputs by name: mean, variance, the pessimistic probability (the mean
 * shifted by optimism * stdev, optimism an input, default 0) and a sampled
 * probability (the mean plus samplingScale * stdev * z, z a standard
 * normal draw truncated at +-samplingTruncation, from a fixed seed, so the
 * value is reproducible); the other output is the probability. A value
 * with no weight for its feature adds nothing. */
static int k_bayesian_probit(xctx *c) {
    const cml_attr *fid = classic_list(c, "features.featureId", CML_ATTR_INTS),
                   *wc = classic_list(c, "features.weights#count", CML_ATTR_INTS),
                   *wv = classic_list(c, "features.weights.featureValue", CML_ATTR_INTS),
                   *wm = classic_list(c, "features.weights.featureWeight.mean", CML_ATTR_FLOATS),
                   *wp = classic_list(c, "features.weights.featureWeight.precision", CML_ATTR_FLOATS);
    size_t nf = fid ? fid->n : 0, nw = 0;
    for (size_t i = 0; wc && i < wc->n; i++) nw += (size_t)(wc->ints[i] > 0 ? wc->ints[i] : 0);
    if (nf && (!wc || wc->n != nf || (nw && (!wv || !wm || !wp || wv->n != nw || wm->n != nw || wp->n != nw))))
        return exec_fail(c, "bayesianProbitRegressor: the feature weights do not add up");
    long xi = in_named(c, exec_as(c, "regressionInputFeatureName"));
    if (xi < 0) xi = 0;
    const xt *x = exec_nn_in(c, (size_t)xi);
    if (!x || !x->d) return exec_fail(c, "bayesianProbitRegressor: no regression input");
    bool pairs = x->rank == 2 && x->dim[1] == 2;
    size_t nv = pairs ? (size_t)x->dim[0] : x->n;
    double bp = exec_af(c, "bias.precision", 0);
    double mean = exec_af(c, "bias.mean", 0), var = bp > 0 ? 1.0 / bp : 0;
    for (size_t j = 0; j < nv; j++) {
        int64_t id = pairs ? exec_f2i(x->d[2 * j]) : (int64_t)j, val = exec_f2i(pairs ? x->d[2 * j + 1] : x->d[j]);
        for (size_t f = 0, at = 0; f < nf; f++) {
            size_t n = (size_t)(wc->ints[f] > 0 ? wc->ints[f] : 0);
            if (fid->ints[f] == id)
                for (size_t q = 0; q < n; q++)
                    if (wv->ints[at + q] == val) {
                        mean += wm->floats[at + q];
                        var += wp->floats[at + q] > 0 ? 1.0 / wp->floats[at + q] : 0;
                    }
            at += n;
        }
    }
    double sd = sqrt(var), den = sqrt(1.0 + var);
    const xt *t;
    long oi = in_named(c, exec_as(c, "optimismInputFeatureName")), si = in_named(c, exec_as(c, "samplingScaleInputFeatureName")),
         ti = in_named(c, exec_as(c, "samplingTruncationInputFeatureName"));
    double opt = oi >= 0 && (t = exec_nn_in(c, (size_t)oi)) && t->d && t->n ? t->d[0] : 0;
    double scale = si >= 0 && (t = exec_nn_in(c, (size_t)si)) && t->d && t->n ? t->d[0] : 1;
    double trunc = ti >= 0 && (t = exec_nn_in(c, (size_t)ti)) && t->d && t->n ? t->d[0] : 0;
    /* a reproducible standard normal draw (Box-Muller from a fixed stream) */
    uint64_t s = 0x5eed0fc0de11a7e5ull;
    double z = 0;
    for (int tries = 0; tries < 64; tries++) {
        uint64_t a = (s += 0x9e3779b97f4a7c15ull), b = (s += 0x9e3779b97f4a7c15ull);
        a = (a ^ (a >> 31)) * 0xbf58476d1ce4e5b9ull;
        b = (b ^ (b >> 31)) * 0x94d049bb133111ebull;
        double u1 = (double)(a >> 11) * 0x1p-53, u2 = (double)(b >> 11) * 0x1p-53;
        z = sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
        if (!(trunc > 0) || fabs(z) <= trunc) break;
    }
    if (trunc > 0 && fabs(z) > trunc) z = z > 0 ? trunc : -trunc;
    for (size_t o = 0; o < exec_n_outputs(c); o++) {
        const char *name = c->op->outputs[o]->name;
        double v;
        if (!strcmp(name, exec_as(c, "meanOutputFeatureName") ? exec_as(c, "meanOutputFeatureName") : "")) v = mean;
        else if (!strcmp(name, exec_as(c, "varianceOutputFeatureName") ? exec_as(c, "varianceOutputFeatureName") : "")) v = var;
        else if (!strcmp(name, exec_as(c, "pessimisticProbabilityOutputFeatureName") ? exec_as(c, "pessimisticProbabilityOutputFeatureName") : ""))
            v = phi((mean + opt * sd) / den);
        else if (!strcmp(name, exec_as(c, "sampledProbabilityOutputFeatureName") ? exec_as(c, "sampledProbabilityOutputFeatureName") : ""))
            v = phi(mean + scale * sd * z);
        else v = phi(mean / den);
        int64_t one = 1;
        xt *y = exec_out(c, o, 1, &one);
        if (!y) return exec_fail(c, "out of memory");
        y->dt = EXEC_DT_FP32;
        if (classic_widen(c, o, y) != 0) return -1;
        classic_put(y, 0, v);
    }
    return 0;
}

/* ---- linked models --------------------------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/LinkedModel.proto:12-21: "A model which
 * wraps another (compiled) model external to this one", found by
 * linkedModelFileName along linkedModelSearchPath (":"-separated, relative
 * to this model; empty means "."). The executor asks exec_io.link for it
 * (the probe loads it through the host) and runs it like a pipeline stage.
 * Refused at prepare when there is no resolver, the file is not found, or
 * the linked model has ops the executor refuses (named); a chain of links
 * deeper than LINK_DEPTH (a model linking itself) is refused too. */
#define LINK_DEPTH 16
static const cml_model *link_stack[LINK_DEPTH];
static int link_depth;
static int chk_linked(const exec_io *io, const cml_op *op, char *why, size_t n) {
    if (!io->link) {
        snprintf(why, n, "no resolver for linked models was given");
        return -1;
    }
    char r[400] = "not found";
    const cml_model *lm = io->link(io->link_user, op, r, sizeof r);
    if (!lm) {
        snprintf(why, n, "%s", r);
        return -1;
    }
    for (int i = 0; i < link_depth; i++)
        if (link_stack[i] == lm) {
            snprintf(why, n, "the linked model %s links back to itself", lm->path ? lm->path : "");
            return -1;
        }
    if (link_depth >= LINK_DEPTH) {
        snprintf(why, n, "linked models nest more than %d deep", LINK_DEPTH);
        return -1;
    }
    link_stack[link_depth++] = lm;
    const cml_op *bad[1];
    char bw[1][192];
    size_t nb = exec_unsupported(lm, NULL, io, bad, bw, 1);
    link_depth--;
    if (nb && !strncmp(bw[0], "linkedModel (", 13)) {
        /* a refusal deeper down the chain: that one says what is wrong */
        size_t len = strlen(bw[0]) - 13;
        snprintf(why, n, "%.*s", (int)(len && bw[0][12 + len] == ')' ? len - 1 : len), bw[0] + 13);
        return -1;
    }
    if (nb) {
        snprintf(why, n, "the linked model %s cannot run: %s%s", lm->path ? lm->path : "", bw[0], nb > 1 ? " and more" : "");
        return -1;
    }
    return 0;
}
static int k_linked(xctx *c) {
    xstep *st = (xstep *)c->st;
    const cml_model *lm = NULL;
    if (st->kstate) {
        lm = exec_plan_function(st->kstate)->model;
    } else {
        char why[400] = "no resolver for linked models was given";
        const exec_io *io = &c->p->opts.io;
        if (io->link) lm = io->link(io->link_user, c->op, why, sizeof why);
        if (!lm) return exec_fail(c, "linked model: %s", why);
    }
    return classic_run_model(c, lm, "linked model");
}

/* ---- models that need Apple's implementation --------------------------------------------------------- */

/* Vision and sound feature prints, text and word models use Apple's own
 * trained networks and code inside the OS frameworks, which the model file
 * does not carry; a custom model runs the app's class; a serialized model
 * is opaque. */
static int chk_apple(const exec_io *io, const cml_op *op, char *why, size_t n) {
    (void)io;
    if (!strcmp(op->kind, "customModel")) {
        const cml_attr *cn = cml_op_attr(op, "className");
        snprintf(why, n, "custom model%s%s%s: needs the app's own implementation", cn && cn->s && *cn->s ? " '" : "",
                 cn && cn->s ? cn->s : "", cn && cn->s && *cn->s ? "'" : "");
    } else if (!strcmp(op->kind, "serializedModel")) {
        snprintf(why, n, "an opaque serialized model: needs the implementation its identifier names");
    } else {
        snprintf(why, n, "needs Apple's implementation");
    }
    return -1;
}
static int k_apple(xctx *c) { return exec_fail(c, "%s needs Apple's implementation", c->op->kind); }

static const exec_kdef MORE[] = {
    {"audioFeaturePrint", k_apple, chk_apple},
    {"bayesianProbitRegressor", k_bayesian_probit, NULL},
    {"customModel", k_apple, chk_apple},
    {"gazetteer", k_apple, chk_apple},
    {"itemSimilarityRecommender", k_item_similarity, NULL},
    {"kNearestNeighborsClassifier", k_knn, NULL},
    {"linkedModel", k_linked, chk_linked},
    {"nonMaximumSuppression", k_nms, NULL},
    {"serializedModel", k_apple, chk_apple},
    {"soundAnalysisPreprocessing", k_apple, chk_apple},
    {"textClassifier", k_apple, chk_apple},
    {"visionFeaturePrint", k_apple, chk_apple},
    {"wordEmbedding", k_apple, chk_apple},
    {"wordTagger", k_apple, chk_apple},
};
const classic_table CLASSIC_MORE_TABLE = {MORE, sizeof MORE / sizeof *MORE};

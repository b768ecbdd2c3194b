/* SPDX-License-Identifier: Apache-2.0 */
/* classic_encode.c — classic models that translate between categories,
 * dictionaries and arrays: one-hot encoder, dictionary vectorizer,
 * categorical mapping, imputer (numbers, strings, arrays, dictionaries),
 * identity and class-confidence thresholding.
 *
 * Strings and dictionaries cross the executor as EXEC_DT_STRING tensors
 * (xt.strs, one per element) and EXEC_DT_DICT tensors (shape [n]: value i
 * in d[i], its key in strs[i] or ikeys[i]); int64 values are integral
 * floats (exact to 2^24; larger ids are compared as the float the input
 * holds). A kernel that builds strings or keys keeps the arrays in the
 * output's aux block, which the executor frees with the buffer. SOURCE:
 * the comments of each model's message in apple/coremltools
 * mlmodel/format/<Model>.proto, cited per kernel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classic_internal.h"

/* ---- keys found by bisection (classic_internal.h) ------------------------------------------ */

static int ck_cmp_key(const classic_key *a, const char *s, int64_t i) {
    if (a->s || s) return strcmp(a->s ? a->s : "", s ? s : "");
    return (a->i > i) - (a->i < i);
}

static int ck_cmp(const void *pa, const void *pb) {
    const classic_key *a = pa, *b = pb;
    int c = ck_cmp_key(a, b->s, b->i);
    return c ? c : (a->at > b->at) - (a->at < b->at);
}

int classic_keys_build(xctx *c, classic_keys *x, const char *const *s, const int64_t *iv, size_t n) {
    x->n = n;
    x->e = malloc((n ? n : 1) * sizeof *x->e);
    if (!x->e) return exec_fail(c, "out of memory");
    for (size_t k = 0; k < n; k++) x->e[k] = (classic_key){s ? (s[k] ? s[k] : "") : NULL, iv ? iv[k] : 0, k};
    qsort(x->e, n, sizeof *x->e, ck_cmp);
    return 0;
}

static void keys_free(void *k) {
    classic_keys *x = k;
    if (x) free(x->e);
    free(x);
}

const classic_keys *classic_keys_of_op(xctx *c, const char *const *s, const int64_t *iv, size_t n) {
    xstep *st = (xstep *)c->st;
    const void *from = s ? (const void *)s : (const void *)iv;
    classic_keys *x = st->kstate;
    if (x && st->kstate_free == keys_free && x->from == from && x->n == n) return x;
    if (st->kstate && st->kstate_free) st->kstate_free(st->kstate);
    st->kstate = NULL;
    st->kstate_free = NULL;
    x = calloc(1, sizeof *x);
    if (!x) {
        exec_fail(c, "out of memory");
        return NULL;
    }
    if (classic_keys_build(c, x, s, iv, n) != 0) {
        free(x);
        return NULL;
    }
    x->from = from;
    st->kstate = x;
    st->kstate_free = keys_free;
    return x;
}

long classic_keys_find(const classic_keys *x, const char *s, int64_t i, bool last) {
    size_t lo = 0, hi = x->n;
    while (lo < hi) { /* the first entry not below the key (last: above it) */
        size_t mid = lo + (hi - lo) / 2;
        int c = ck_cmp_key(&x->e[mid], s, i);
        if (c < 0 || (last && c == 0)) lo = mid + 1;
        else hi = mid;
    }
    if (last) return lo > 0 && ck_cmp_key(&x->e[lo - 1], s, i) == 0 ? (long)x->e[lo - 1].at : -1;
    return lo < x->n && ck_cmp_key(&x->e[lo], s, i) == 0 ? (long)x->e[lo].at : -1;
}

/* an integer input held as a float: its int64 key, false when it is not
 * an integer any int64 key could equal */
static bool ck_int_of(double v, int64_t *out) {
    if (!(v == v) || v != floor(v) || v < -9223372036854775808.0 || v >= 9223372036854775808.0) return false;
    *out = (int64_t)v;
    return true;
}

long classic_keys_find_num(const classic_keys *x, double v) {
    int64_t k;
    return ck_int_of(v, &k) ? classic_keys_find(x, NULL, k, false) : -1;
}

/* ---- one-hot encoder ------------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/OneHotEncoder.proto:13-41: a string or
 * int64 category becomes an array of zeros with a one at the category's
 * position in stringCategories / int64Categories; outputSparse gives a
 * one-entry dictionary {position: 1} instead; handleUnknown ErrorOnUnknown
 * fails on an unknown category, IgnoreUnknown gives all zeros (an empty
 * dictionary). An array input encodes each element (the outputs
 * concatenated). */
static int k_one_hot_encoder(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    if (!x) return exec_fail(c, "oneHotEncoder: no input");
    const cml_attr *sc = classic_list(c, "stringCategories.vector", CML_ATTR_STRINGS),
                   *ic = classic_list(c, "int64Categories.vector", CML_ATTR_INTS);
    size_t ncat = sc ? sc->n : ic ? ic->n : 0;
    if (!ncat) return exec_fail(c, "oneHotEncoder has no categories");
    const char *hu = exec_as(c, "handleUnknown");
    bool ignore = hu && !strcmp(hu, "IgnoreUnknown");
    bool sparse = exec_ab(c, "outputSparse");
    size_t n = x->n;
    int64_t *pos = malloc((n ? n : 1) * sizeof *pos);
    if (!pos) return exec_fail(c, "out of memory");
    size_t hits = 0;
    const classic_keys *cats = classic_keys_of_op(c, sc ? sc->strings : NULL, sc ? NULL : ic->ints, ncat);
    if (!cats) {
        free(pos);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        pos[i] = -1;
        if (sc) {
            const char *v = classic_str(x, i);
            if (!v) { free(pos); return exec_fail(c, "oneHotEncoder: the input is not a string"); }
            pos[i] = classic_keys_find(cats, v, 0, false);
            if (pos[i] < 0 && !ignore) {
                free(pos);
                return exec_fail(c, "oneHotEncoder: unknown category '%s' (handleUnknown is ErrorOnUnknown)", v);
            }
        } else {
            if (!x->d || x->dt == EXEC_DT_STRING) { free(pos); return exec_fail(c, "oneHotEncoder: the input is not an integer"); }
            double v = x->d[i];
            pos[i] = classic_keys_find_num(cats, v);
            if (pos[i] < 0 && !ignore) {
                free(pos);
                return exec_fail(c, "oneHotEncoder: unknown category %.17g (handleUnknown is ErrorOnUnknown)", v);
            }
        }
        hits += pos[i] >= 0;
    }
    if (sparse) {
        int64_t dn = (int64_t)hits;
        xt *y = exec_out(c, 0, 1, &dn);
        int64_t *keys = malloc((hits ? hits : 1) * sizeof *keys);
        if (!y || !keys) { free(pos); free(keys); return exec_fail(c, "out of memory"); }
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (pos[i] >= 0) {
                keys[k] = (int64_t)i * (int64_t)ncat + pos[i];
                y->d[k++] = 1.0f;
            }
        y->dt = EXEC_DT_DICT;
        y->ikeys = keys;
        y->aux = keys;
        free(pos);
        return 0;
    }
    int64_t dn = (int64_t)(n * ncat);
    xt *y = exec_out(c, 0, 1, &dn);
    if (!y) { free(pos); return exec_fail(c, "out of memory"); }
    y->dt = EXEC_DT_FP32;
    memset(y->d, 0, y->n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        if (pos[i] >= 0) y->d[i * ncat + (size_t)pos[i]] = 1.0f;
    free(pos);
    return 0;
}

/* ---- dictionary vectorizer ----------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/DictVectorizer.proto:13-36: the output
 * has one element per entry of stringToIndex / int64ToIndex; each input
 * entry's value goes to its key's position, other positions are 0 ("an
 * input of {"a": 4, "c": 8} will produce [4, 8, 0, 0]" for ["a", "c",
 * "b", "z"]); "All keys in the input dictionary must be present in the
 * index mapping": an unknown key fails. */
static int k_dict_vectorizer(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    if (!classic_is_dict(x)) return exec_fail(c, "dictVectorizer: the input is not a dictionary");
    const cml_attr *sk = classic_list(c, "stringToIndex.vector", CML_ATTR_STRINGS),
                   *ik = classic_list(c, "int64ToIndex.vector", CML_ATTR_INTS);
    bool by_str = sk && (x->strs || !ik); /* the mapping the input's keys can meet */
    size_t nk = by_str ? sk->n : ik ? ik->n : 0;
    if (!nk) return exec_fail(c, "dictVectorizer has no index mapping");
    if (x->n && !(by_str ? x->strs != NULL : x->ikeys != NULL))
        return exec_fail(c, "dictVectorizer: the dictionary's keys are not of the mapping's type");
    int64_t dn = (int64_t)nk;
    xt *y = exec_out(c, 0, 1, &dn);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = EXEC_DT_FP32;
    memset(y->d, 0, nk * sizeof(float));
    /* the dictionary's values are doubles (FeatureTypes.proto
     * DictionaryFeatureType): the stage after this one gets them so */
    if (x->wide) {
        y->wide = calloc(nk, sizeof *y->wide);
        if (!y->wide) return exec_fail(c, "out of memory");
    }
    const classic_keys *idx = classic_keys_of_op(c, by_str ? sk->strings : NULL, by_str ? NULL : ik->ints, nk);
    if (!idx) return -1;
    for (size_t i = 0; i < x->n; i++) {
        long at = by_str ? classic_keys_find(idx, x->strs[i] ? x->strs[i] : "", 0, false) : classic_keys_find(idx, NULL, x->ikeys[i], false);
        if (at < 0) {
            if (by_str) return exec_fail(c, "dictVectorizer: key '%s' is not in the index mapping", x->strs[i]);
            return exec_fail(c, "dictVectorizer: key %lld is not in the index mapping", (long long)x->ikeys[i]);
        }
        classic_put(y, (size_t)at, exec_wv(x, i));
    }
    return 0;
}

/* ---- categorical mapping ----------------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/CategoricalMapping.proto:13-38:
 * stringToInt64Map turns strings into integers, int64ToStringMap integers
 * into strings; an input not in the map gets int64Value / strValue, or is
 * an error when neither is set. Each element of an array or sequence
 * input is mapped. */
static int k_categorical_mapping(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    if (!x) return exec_fail(c, "categoricalMapping: no input");
    const cml_attr *sk = classic_list(c, "stringToInt64Map.map.key", CML_ATTR_STRINGS),
                   *sv = classic_list(c, "stringToInt64Map.map.value", CML_ATTR_INTS),
                   *ik = classic_list(c, "int64ToStringMap.map.key", CML_ATTR_INTS),
                   *iv = classic_list(c, "int64ToStringMap.map.value", CML_ATTR_STRINGS);
    const cml_attr *dflt_i = exec_attr(c, "int64Value"), *dflt_s = exec_attr(c, "strValue");
    bool to_int = exec_ab(c, "stringToInt64Map") || sk;
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    if (to_int) {
        size_t nm = sk && sv && sk->n == sv->n ? sk->n : 0;
        y->dt = EXEC_DT_INT32;
        const classic_keys *idx = classic_keys_of_op(c, nm ? sk->strings : NULL, NULL, nm);
        if (!idx) return -1;
        for (size_t i = 0; i < x->n; i++) {
            const char *v = classic_str(x, i);
            if (!v) return exec_fail(c, "categoricalMapping: the input is not a string");
            long at = nm ? classic_keys_find(idx, v, 0, false) : -1;
            if (at >= 0) y->d[i] = (float)sv->ints[at];
            else if (dflt_i && dflt_i->kind == CML_ATTR_INT) y->d[i] = (float)dflt_i->i;
            else return exec_fail(c, "categoricalMapping: '%s' is not in the map and there is no int64Value", v);
        }
        return 0;
    }
    size_t nm = ik && iv && ik->n == iv->n ? ik->n : 0;
    const char **out = malloc((x->n ? x->n : 1) * sizeof *out);
    if (!out) return exec_fail(c, "out of memory");
    const classic_keys *idx = classic_keys_of_op(c, NULL, nm ? ik->ints : NULL, nm);
    if (!idx) {
        free(out);
        return -1;
    }
    for (size_t i = 0; i < x->n; i++) {
        if (!x->d || x->dt == EXEC_DT_STRING) { free(out); return exec_fail(c, "categoricalMapping: the input is not an integer"); }
        double v = x->d[i];
        long at = classic_keys_find_num(idx, v);
        if (at >= 0) out[i] = iv->strings[at];
        else if (dflt_s && dflt_s->kind == CML_ATTR_STRING) out[i] = dflt_s->s;
        else {
            free(out);
            return exec_fail(c, "categoricalMapping: %.17g is not in the map and there is no strValue", v);
        }
        y->d[i] = 0;
    }
    y->dt = EXEC_DT_STRING;
    y->strs = out;
    y->nstr = x->n;
    y->aux = out;
    return 0;
}

/* ---- imputer ---------------------------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/Imputer.proto:13-43: values equal to
 * the ReplaceValue (NaN when none is set: the comment's example) are
 * replaced by the ImputedValue: imputedDoubleValue / imputedInt64Value /
 * imputedStringValue for every missing element, imputedDoubleArray /
 * imputedInt64Array element by element. The dictionary forms
 * (imputedStringDictionary, imputedInt64Dictionary) apply to a dictionary
 * input: an entry whose value is missing takes the imputed dictionary's
 * value for its key, and keys the input lacks are added [derived: the
 * proto gives no example for dictionaries]. */
static int k_imputer(xctx *c) {
    if (exec_nn_n_in(c) != 1) return exec_fail(c, "imputer takes one input, has %zu", exec_nn_n_in(c));
    const xt *x = exec_nn_in(c, 0);
    if (!x) return exec_fail(c, "imputer: the input has no value");
    const cml_attr *rd = exec_attr(c, "replaceDoubleValue"), *ri = exec_attr(c, "replaceInt64Value"),
                   *rs = exec_attr(c, "replaceStringValue");
    const cml_attr *vs = exec_attr(c, "imputedStringValue");
    if (vs || rs || x->dt == EXEC_DT_STRING) {
        if (!vs || vs->kind != CML_ATTR_STRING) return exec_fail(c, "imputer: a string input needs imputedStringValue");
        const char *missing = rs && rs->kind == CML_ATTR_STRING ? rs->s : "";
        xt *y = exec_out_like(c, 0, x);
        const char **out = malloc((x->n ? x->n : 1) * sizeof *out);
        if (!y || !out) { free(out); return exec_fail(c, "out of memory"); }
        for (size_t i = 0; i < x->n; i++) {
            const char *v = classic_str(x, i);
            if (!v) { free(out); return exec_fail(c, "imputer: the input is not a string"); }
            out[i] = !strcmp(v, missing) ? vs->s : v;
            y->d[i] = 0;
        }
        y->dt = EXEC_DT_STRING;
        y->strs = out;
        y->nstr = x->n;
        y->aux = out;
        return 0;
    }
    double rep = rd ? rd->f : ri ? (double)ri->i : NAN;
    const cml_attr *dsk = classic_list(c, "imputedStringDictionary.map.key", CML_ATTR_STRINGS),
                   *dsv = classic_list(c, "imputedStringDictionary.map.value", CML_ATTR_FLOATS),
                   *dik = classic_list(c, "imputedInt64Dictionary.map.key", CML_ATTR_INTS),
                   *div = classic_list(c, "imputedInt64Dictionary.map.value", CML_ATTR_FLOATS);
    if (dsk || dik || classic_is_dict(x)) {
        bool skeys = dsk != NULL;
        const cml_attr *vals = skeys ? dsv : div;
        size_t nd = skeys ? (dsk && dsv && dsk->n == dsv->n ? dsk->n : 0) : (dik && div && dik->n == div->n ? dik->n : 0);
        if (!classic_is_dict(x)) return exec_fail(c, "imputer: a dictionary imputation needs a dictionary input");
        if ((skeys && !x->strs && x->n) || (!skeys && !x->ikeys && x->n))
            return exec_fail(c, "imputer: the dictionary's keys are not of the imputed dictionary's type");
        /* the input's entries, then the imputed keys it lacks; a missing
         * value takes the imputed dictionary's last entry for its key */
        classic_keys xin, imp;
        if (classic_keys_build(c, &xin, skeys ? x->strs : NULL, skeys ? NULL : x->ikeys, x->n) != 0) return -1;
        if (classic_keys_build(c, &imp, nd && skeys ? dsk->strings : NULL, nd && !skeys ? dik->ints : NULL, nd) != 0) {
            free(xin.e);
            return -1;
        }
        size_t extra = 0;
        for (size_t k = 0; k < nd; k++)
            extra += classic_keys_find(&xin, skeys ? dsk->strings[k] : NULL, skeys ? 0 : dik->ints[k], false) < 0;
        int64_t dn = (int64_t)(x->n + extra);
        xt *y = exec_out(c, 0, 1, &dn);
        void *keys = malloc((size_t)(dn ? dn : 1) * (skeys ? sizeof(char *) : sizeof(int64_t)));
        if (y && keys && x->wide) y->wide = malloc((size_t)(dn ? dn : 1) * sizeof *y->wide);
        if (!y || !keys || (x->wide && !y->wide)) {
            free(keys);
            free(xin.e);
            free(imp.e);
            return exec_fail(c, "out of memory");
        }
        const char **ks = keys;
        int64_t *ki = keys;
        for (size_t i = 0; i < x->n; i++) {
            double v = exec_wv(x, i);
            bool miss = rep != rep ? v != v : v == rep;
            if (skeys) ks[i] = x->strs[i];
            else ki[i] = x->ikeys[i];
            long k = miss ? classic_keys_find(&imp, skeys ? x->strs[i] : NULL, skeys ? 0 : x->ikeys[i], true) : -1;
            if (k >= 0) v = vals->floats[k];
            classic_put(y, i, v);
        }
        size_t at = x->n;
        for (size_t k = 0; k < nd; k++) {
            if (classic_keys_find(&xin, skeys ? dsk->strings[k] : NULL, skeys ? 0 : dik->ints[k], false) >= 0) continue;
            if (skeys) ks[at] = dsk->strings[k];
            else ki[at] = dik->ints[k];
            classic_put(y, at++, vals->floats[k]);
        }
        free(xin.e);
        free(imp.e);
        y->dt = EXEC_DT_DICT;
        y->aux = keys;
        if (skeys) { y->strs = ks; y->nstr = (size_t)dn; }
        else y->ikeys = ki;
        return 0;
    }
    if (!x->d) return exec_fail(c, "imputer: the input has no value");
    const cml_attr *vd = exec_attr(c, "imputedDoubleValue"), *vi = exec_attr(c, "imputedInt64Value");
    const cml_attr *ad = classic_list(c, "imputedDoubleArray.vector", CML_ATTR_FLOATS);
    const cml_attr *ai = classic_list(c, "imputedInt64Array.vector", CML_ATTR_INTS);
    size_t na = ad ? ad->n : ai ? ai->n : 0;
    if (!vd && !vi && !na) return exec_fail(c, "imputer has no imputed value");
    if (na && na != x->n) return exec_fail(c, "imputer: %zu imputed values for an input of %zu values", na, x->n);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = x->dt == EXEC_DT_INT32 ? EXEC_DT_INT32 : EXEC_DT_FP32;
    if (classic_widen(c, 0, y) != 0) return -1;
    for (size_t i = 0; i < x->n; i++) {
        double v = exec_wv(x, i);
        bool missing = rep != rep ? v != v : v == rep;
        if (missing) v = ad ? ad->floats[i] : ai ? (double)ai->ints[i] : vd ? vd->f : (double)vi->i;
        classic_put(y, i, v);
    }
    return 0;
}

/* ---- identity, class-confidence thresholding ---------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/Identity.proto:11-18: "This model
 * returns given inputs as outputs, unchanged" (output i is input i). */
static int k_identity(xctx *c) {
    size_t n = exec_n_outputs(c);
    if (n > exec_nn_n_in(c)) return exec_fail(c, "identity has %zu outputs for %zu inputs", n, exec_nn_n_in(c));
    for (size_t i = 0; i < n; i++) {
        const xt *x = exec_nn_in(c, i);
        if (!x) return exec_fail(c, "identity: input %zu has no value", i);
        if (classic_copy(c, i, x) != 0) return -1;
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/ClassConfidenceThresholding.proto:31-40:
 * input [C] confidences, output [2, C]: row 0 the confidences, row 1 all
 * ones ("Currently, the model simply takes all the classes"). */
static int k_class_confidence_thresholding(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    if (!x || !x->d) return exec_fail(c, "classConfidenceThresholding: no input");
    int64_t dim[2] = {2, (int64_t)x->n};
    xt *y = exec_out(c, 0, 2, dim);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = EXEC_DT_FP32;
    for (size_t i = 0; i < x->n; i++) {
        y->d[i] = x->d[i];
        y->d[x->n + i] = 1.0f;
    }
    return 0;
}

static const exec_kdef ENCODE[] = {
    {"categoricalMapping", k_categorical_mapping, NULL},
    {"classConfidenceThresholding", k_class_confidence_thresholding, NULL},
    {"dictVectorizer", k_dict_vectorizer, NULL},
    {"identity", k_identity, NULL},
    {"imputer", k_imputer, NULL},
    {"oneHotEncoder", k_one_hot_encoder, NULL},
};
const classic_table CLASSIC_ENCODE_TABLE = {ENCODE, sizeof ENCODE / sizeof *ENCODE};

int classic_copy(xctx *c, size_t i, const xt *x) {
    xt *y = exec_out_like(c, i, x);
    if (!y) return exec_fail(c, "out of memory");
    if (x->d) memcpy(y->d, x->d, x->n * sizeof(float));
    else memset(y->d, 0, y->n * sizeof(float));
    y->dt = x->dt;
    if (x->wide && x->d) {
        y->wide = malloc((x->n ? x->n : 1) * sizeof *y->wide);
        if (!y->wide) return exec_fail(c, "out of memory");
        memcpy(y->wide, x->wide, x->n * sizeof *y->wide);
    }
    if (x->strs || x->ikeys) {
        size_t n = x->strs ? x->nstr : x->n;
        void *keys = malloc((n ? n : 1) * (x->strs ? sizeof(char *) : sizeof(int64_t)));
        if (!keys) return exec_fail(c, "out of memory");
        memcpy(keys, x->strs ? (const void *)x->strs : (const void *)x->ikeys, n * (x->strs ? sizeof(char *) : sizeof(int64_t)));
        y->aux = keys;
        if (x->strs) { y->strs = keys; y->nstr = n; }
        else y->ikeys = keys;
    }
    return 0;
}

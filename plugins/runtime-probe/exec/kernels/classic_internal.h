/* SPDX-License-Identifier: Apache-2.0 */
/* classic_internal.h — what the classic-model kernel files share (not
 * installed): classic.c (GLM, trees, SVM, scaler, vectorizer, normalizer,
 * array feature extractor, neural stages, the table), classic_encode.c
 * (one-hot, dictionary vectorizer, categorical mapping, imputer, identity,
 * class-confidence thresholding), classic_more.c (k-nearest neighbours,
 * non-maximum suppression, item similarity, Bayesian probit, linked
 * models, the models that need Apple's implementation). */
#ifndef CML_CLASSIC_INTERNAL_H
#define CML_CLASSIC_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../exec_internal.h"

/* an attribute of the given list kind, or NULL */
static inline const cml_attr *classic_list(xctx *c, const char *name, cml_attr_kind kind) {
    const cml_attr *a = exec_attr(c, name);
    return a && a->kind == kind ? a : NULL;
}

/* element i of a string tensor, NULL when x holds no strings */
static inline const char *classic_str(const xt *x, size_t i) {
    return x && x->dt == EXEC_DT_STRING && x->strs && i < x->nstr ? x->strs[i] : NULL;
}

/* x is a dictionary: a dictionary tensor, or a classifier's probabilities
 * (a vector its class labels name, which Core ML hands on as a dictionary) */
static inline bool classic_is_dict(const xt *x) {
    return x && (x->dt == EXEC_DT_DICT || (x->dt == EXEC_DT_FP32 && ((x->strs && x->nstr == x->n) || x->ikeys)));
}

/* every input of the op, numeric, flattened in order, as doubles
 * (malloc'd *x of *n): 0, or -1 after exec_fail */
int classic_inputs(xctx *c, double **x, size_t *n);

/* output t (output i, just made): when the model declares that output
 * double (a Double feature, a DOUBLE multi-array), storage for its exact
 * values beside the float ones, which classic_put then fills, so that the
 * stage after it computes with the doubles Core ML hands on. 0, or -1
 * after exec_fail */
int classic_widen(xctx *c, size_t i, xt *t);

/* element k of t: v, and its float32 rounding */
static inline void classic_put(xt *t, size_t k, double v) {
    t->d[k] = (float)v;
    if (t->wide) t->wide[k] = v;
}

/* output i = a copy of x (values, strings, keys, dtype) */
int classic_copy(xctx *c, size_t i, const xt *x);

/* run sub-model sm for the current op (its inputs and outputs by name);
 * `what` names it in messages */
int classic_run_model(xctx *c, const cml_model *sm, const char *what);

/* Keys found by bisection. A model's categories, maps, item ids and
 * labels, and an input dictionary, are as long as the model or the input
 * makes them; each element looked up by a scan made kernels quadratic
 * (100,000 categories against an input of 100,000 elements: 10^10 string
 * comparisons). A key list is sorted once, by key and then by position,
 * and each lookup bisects it (classic_encode.c). */
typedef struct classic_key {
    const char *s; /* string key, or NULL for an int64 key */
    int64_t i;
    size_t at;     /* its position in the list */
} classic_key;

typedef struct classic_keys {
    const void *from;  /* the list it was built from (classic_keys_of_op) */
    classic_key *e;
    size_t n;
} classic_keys;

/* the index of n keys, strings s or int64s iv (NULL s[k]: ""); 0, or -1
 * after exec_fail. free(x->e) when done. */
int classic_keys_build(xctx *c, classic_keys *x, const char *const *s, const int64_t *iv, size_t n);

/* The index of the op's own key list (a list of the model's, the same
 * every run), built on the op's first run and kept with the plan, so that
 * a run sorts nothing (a text classifier's 8,000-word vectorizer: 1.8 ms
 * a run when sorted each time). NULL after exec_fail. */
const classic_keys *classic_keys_of_op(xctx *c, const char *const *s, const int64_t *iv, size_t n);

/* the first (last) position in the list of key s (a string list) or i
 * (an int64 list), or -1 */
long classic_keys_find(const classic_keys *x, const char *s, int64_t i, bool last);

/* the first position of the int64 key equal to v (an integer held as a
 * float or double), or -1 when none is or v is no integer */
long classic_keys_find_num(const classic_keys *x, double v);

typedef struct classic_table {
    const exec_kdef *k;
    size_t n;
} classic_table;

extern const classic_table CLASSIC_ENCODE_TABLE, CLASSIC_MORE_TABLE;

#endif

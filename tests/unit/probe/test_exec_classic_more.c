/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_classic_more.c — the executor's classic models beyond GLM,
 * trees and SVMs: one-hot encoder (dense, sparse, unknown categories),
 * dictionary vectorizer (the proto's example), categorical mapping both
 * ways with and without defaults, imputer on strings and dictionaries,
 * identity, class-confidence thresholding, k-nearest neighbours (uniform
 * and inverse-distance votes against distances computed here, an empty
 * model's default label, int64 labels), non-maximum suppression (a fixed
 * output shape pads), the item-similarity recommender (scores computed
 * here from the proto's formula), the Bayesian probit regressor (from the
 * proto's formula), linked models through exec_io.link, the model types
 * that need Apple's implementation (refused by name), a pipeline of
 * one-hot -> vectorizer -> GLM fed by exec_make_inputs (values from the
 * model's vocabulary), a partial pipeline (an Apple-only stage replaced
 * by a stand-in, the rest run), string and dictionary inputs and outputs crossing
 * the API. Models are protobuf-c messages written to temporary files and
 * loaded with the host's loader. */
#define _DEFAULT_SOURCE
#include "tmptree.h"
#ifdef CML_NO_EXEC
#include "check.h"
CHECK_MAIN_NO_EXEC()
#else
#include "nn_model.h"

#define CHECK_NEAR_(a, b)                                                                                    \
    do {                                                                                                     \
        double a_ = (a), b_ = (b);                                                                           \
        if (!(fabs(a_ - b_) <= 1e-6 * (fabs(b_) > 1 ? fabs(b_) : 1))) {                                      \
            fprintf(stderr, "line %d: %s = %.9g, expected %.9g\n", __LINE__, #a, a_, b_);                   \
            check_failures_++;                                                                               \
        }                                                                                                    \
    } while (0)

/* ---- features and models --------------------------------------------------------------- */

#define F_STR(n) feat_scalar(n, CMLPB__FEATURE_TYPE__TYPE_STRING_TYPE)
#define F_I64(n) feat_scalar(n, CMLPB__FEATURE_TYPE__TYPE_INT64_TYPE)
#define F_DBL(n) feat_scalar(n, CMLPB__FEATURE_TYPE__TYPE_DOUBLE_TYPE)

static Cmlpb__FeatureDescription *f_arr(const char *name, size_t rank, const int64_t *dims) {
    Cmlpb__FeatureDescription *f = nn_feat(name, rank, dims);
    f->type->multiarraytype->datatype = CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__DOUBLE;
    return f;
}

static Cmlpb__FeatureDescription *f_seq(const char *name, bool strings) {
    Cmlpb__FeatureDescription *f = P(FeatureDescription, FEATURE_DESCRIPTION);
    f->name = pstr(name);
    Cmlpb__FeatureType *t = P(FeatureType, FEATURE_TYPE);
    Cmlpb__SequenceFeatureType *s = P(SequenceFeatureType, SEQUENCE_FEATURE_TYPE);
    if (strings) {
        s->type_case = CMLPB__SEQUENCE_FEATURE_TYPE__TYPE_STRING_TYPE;
        s->stringtype = P(StringFeatureType, STRING_FEATURE_TYPE);
    } else {
        s->type_case = CMLPB__SEQUENCE_FEATURE_TYPE__TYPE_INT64_TYPE;
        s->int64type = P(Int64FeatureType, INT64_FEATURE_TYPE);
    }
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_SEQUENCE_TYPE;
    t->sequencetype = s;
    f->type = t;
    return f;
}

/* a model whose first n_in features are inputs and the rest outputs */
static Cmlpb__Model *model_n(int spec, size_t n_in, size_t n_all, Cmlpb__FeatureDescription *const *fs) {
    Cmlpb__Model *m = P(Model, MODEL);
    m->specificationversion = spec;
    Cmlpb__ModelDescription *d = P(ModelDescription, MODEL_DESCRIPTION);
    d->n_input = n_in;
    d->n_output = n_all - n_in;
    d->input = pdup(fs, n_in * sizeof *fs);
    d->output = pdup(fs + n_in, (n_all - n_in) * sizeof *fs);
    m->description = d;
    return m;
}
#define MODEL(SPEC, NIN, ...)                                                                               \
    model_n((SPEC), (NIN), sizeof((Cmlpb__FeatureDescription *[]){__VA_ARGS__}) / sizeof(void *),        \
            (Cmlpb__FeatureDescription *[]){__VA_ARGS__})

static Cmlpb__StringVector *svec(size_t n, const char *const *v) {
    Cmlpb__StringVector *s = P(StringVector, STRING_VECTOR);
    s->n_vector = n;
    s->vector = pz(n * sizeof *s->vector);
    for (size_t i = 0; i < n; i++) s->vector[i] = pstr(v[i]);
    return s;
}
#define SVEC(...) svec(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *), (const char *const[]){__VA_ARGS__})

static Cmlpb__Int64Vector *ivec(size_t n, const int64_t *v) {
    Cmlpb__Int64Vector *s = P(Int64Vector, INT64_VECTOR);
    s->n_vector = n;
    s->vector = pi64v(n, v);
    return s;
}
#define IVEC(...) ivec(NV(__VA_ARGS__))

/* write m to a temporary file (name `file`, or a fresh one), load, prepare */
static bool load_as(res *r, const Cmlpb__Model *m, const char *file, const exec_opts *o) {
    memset(r, 0, sizeof *r);
    size_t len = cmlpb__model__get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    cmlpb__model__pack(m, buf);
    char path[600];
    if (file) snprintf(path, sizeof path, "%s/%s", g_root, file);
    else snprintf(path, sizeof path, "%s/c%d.mlmodel", g_root, g_seq++);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, len, f);
        fclose(f);
    }
    free(buf);
    r->lm = loader_load(path, NULL);
    if (!r->lm || !r->lm->model) return false;
    r->p = exec_prepare(r->lm->model, NULL, o ? o : &nn_host_opts, r->err, sizeof r->err);
    return r->p != NULL;
}
static bool load(res *r, const Cmlpb__Model *m) { return load_as(r, m, NULL, NULL); }

static exec_tensor t_str(const char *name, const char *const *v, int64_t n) {
    static float zeros[64];
    return (exec_tensor){.name = name, .dtype = EXEC_DT_STRING, .rank = n == 1 ? 0 : 1, .shape = {n}, .data = zeros,
                         .strings = v};
}
static exec_tensor t_num(const char *name, const float *v, int64_t n) {
    return (exec_tensor){.name = name, .rank = 1, .shape = {n}, .data = (float *)v};
}
static exec_tensor t_sdict(const char *name, const char *const *k, const float *v, int64_t n) {
    return (exec_tensor){.name = name, .dtype = EXEC_DT_DICT, .rank = 1, .shape = {n}, .data = (float *)v, .strings = k};
}
static exec_tensor t_idict(const char *name, const int64_t *k, const float *v, int64_t n) {
    return (exec_tensor){.name = name, .dtype = EXEC_DT_DICT, .rank = 1, .shape = {n}, .data = (float *)v, .int_keys = k};
}

static void expect_values(const exec_tensor *t, const double *want, size_t n, double tol, int line) {
    if (!t || exec_tensor_count(t) != n || !t->data) {
        fprintf(stderr, "line %d: output missing or of %zu values (expected %zu)\n", line, t ? exec_tensor_count(t) : 0, n);
        check_failures_++;
        return;
    }
    for (size_t k = 0; k < n; k++)
        if (!(fabs(t->data[k] - want[k]) <= tol)) {
            fprintf(stderr, "line %d: [%zu] = %.9g, expected %.9g\n", line, k, t->data[k], want[k]);
            check_failures_++;
            return;
        }
}
#define VALUES(t, tol, ...)                                                                                  \
    expect_values((t), (const double[]){__VA_ARGS__}, sizeof((double[]){__VA_ARGS__}) / sizeof(double), (tol), __LINE__)

/* the run failed and said `what` */
#define FAILS_WITH(r, ok, what)                                                                              \
    do {                                                                                                     \
        bool ok_ = (ok);                                                                                     \
        if (ok_ || !strstr((r)->err, (what))) {                                                              \
            fprintf(stderr, "line %d: expected a failure with '%s', got %s: %s\n", __LINE__, (what),         \
                    ok_ ? "success" : "failure", (r)->err);                                                  \
            check_failures_++;                                                                               \
        }                                                                                                    \
    } while (0)

/* ---- one-hot, dictionary vectorizer, categorical mapping, imputer --------------------------------- */

static void test_one_hot(void) {
    Cmlpb__Model *m = MODEL(1, 1, F_STR("s"), f_arr("y", NV(3)));
    Cmlpb__OneHotEncoder *oh = P(OneHotEncoder, ONE_HOT_ENCODER);
    oh->category_type_case = CMLPB__ONE_HOT_ENCODER__CATEGORY_TYPE_STRING_CATEGORIES;
    oh->stringcategories = SVEC("a", "b", "c");
    m->type_case = CMLPB__MODEL__TYPE_ONE_HOT_ENCODER;
    m->onehotencoder = oh;
    res r;
    CHECK(load(&r, m));
    const char *b[1] = {"b"}, *z[1] = {"z"};
    exec_tensor in = t_str("s", b, 1);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) VALUES(&r.o[0], 0, 0, 1, 0);
    in = t_str("s", z, 1);
    if (r.p) FAILS_WITH(&r, res_again(&r, EXEC_FP32, &in, 1), "unknown category 'z' (handleUnknown is ErrorOnUnknown)");
    res_free(&r);
    oh->handleunknown = CMLPB__ONE_HOT_ENCODER__HANDLE_UNKNOWN__IgnoreUnknown;
    CHECK(load(&r, m));
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) VALUES(&r.o[0], 0, 0, 0, 0);
    res_free(&r);
    /* sparse: {position: 1} */
    oh->outputsparse = 1;
    m->description->output[0] = feat_dict("y", false);
    CHECK(load(&r, m));
    in = t_str("s", (const char *const[]){"c"}, 1);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        CHECK(r.o[0].dtype == EXEC_DT_DICT && exec_tensor_count(&r.o[0]) == 1 && r.o[0].int_keys && r.o[0].int_keys[0] == 2);
        VALUES(&r.o[0], 0, 1);
    }
    res_free(&r);
    /* int64 categories */
    m = MODEL(1, 1, F_I64("k"), f_arr("y", NV(3)));
    oh = P(OneHotEncoder, ONE_HOT_ENCODER);
    oh->category_type_case = CMLPB__ONE_HOT_ENCODER__CATEGORY_TYPE_INT64_CATEGORIES;
    oh->int64categories = IVEC(10, 20, 30);
    m->type_case = CMLPB__MODEL__TYPE_ONE_HOT_ENCODER;
    m->onehotencoder = oh;
    CHECK(load(&r, m));
    float k = 30;
    exec_tensor ik = {.name = "k", .dtype = EXEC_DT_INT32, .rank = 0, .data = &k};
    if (r.p && res_again(&r, EXEC_FP32, &ik, 1)) VALUES(&r.o[0], 0, 0, 0, 1);
    res_free(&r);
    pool_free();
}

static void test_dict_vectorizer(void) {
    /* the proto's example: ["a", "c", "b", "z"], {"a": 4, "c": 8} -> [4, 8, 0, 0] */
    Cmlpb__Model *m = MODEL(1, 1, feat_dict("d", true), f_arr("y", NV(4)));
    Cmlpb__DictVectorizer *dv = P(DictVectorizer, DICT_VECTORIZER);
    dv->map_case = CMLPB__DICT_VECTORIZER__MAP_STRING_TO_INDEX;
    dv->stringtoindex = SVEC("a", "c", "b", "z");
    m->type_case = CMLPB__MODEL__TYPE_DICT_VECTORIZER;
    m->dictvectorizer = dv;
    res r;
    CHECK(load(&r, m));
    const char *keys[2] = {"a", "c"}, *bad[1] = {"q"};
    float vals[2] = {4, 8};
    exec_tensor in = t_sdict("d", keys, vals, 2);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) VALUES(&r.o[0], 0, 4, 8, 0, 0);
    in = t_sdict("d", bad, vals, 1);
    if (r.p) FAILS_WITH(&r, res_again(&r, EXEC_FP32, &in, 1), "key 'q' is not in the index mapping");
    res_free(&r);
    dv->map_case = CMLPB__DICT_VECTORIZER__MAP_INT64_TO_INDEX;
    dv->int64toindex = IVEC(7, 3);
    m->description->input[0] = feat_dict("d", false);
    CHECK(load(&r, m));
    int64_t ik[1] = {3};
    in = t_idict("d", ik, vals, 1);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) VALUES(&r.o[0], 0, 0, 4);
    res_free(&r);
    pool_free();
}

/* Long key lists: 100,000 categories, map entries and dictionary keys, an
 * input of as many. Each element was looked up by a scan (10^10 string
 * comparisons here); lookups now bisect a sorted copy, and the results
 * must be those of the scan: the first entry of a repeated key in a
 * mapping, the last value for a key an input repeats, the imputed
 * dictionary's last entry for a key it repeats. */
#define LONG_N 100000
static void test_long_key_lists(void) {
    char (*names)[8] = malloc(LONG_N * sizeof *names);
    char **sv = malloc(LONG_N * sizeof *sv);
    const char **rev = malloc(LONG_N * sizeof *rev);
    float *vals = malloc(LONG_N * sizeof *vals);
    int64_t *iv = malloc(LONG_N * sizeof *iv), *irev = malloc(LONG_N * sizeof *irev);
    Cmlpb__StringToDoubleMap__MapEntry *ents = calloc(LONG_N, sizeof *ents);
    Cmlpb__StringToDoubleMap__MapEntry **entp = malloc(LONG_N * sizeof *entp);
    if (!names || !sv || !rev || !vals || !iv || !irev || !ents || !entp) abort();
    for (size_t i = 0; i < LONG_N; i++) {
        snprintf(names[i], sizeof names[i], "k%05zu", (i * 7919) % LONG_N); /* not in sorted order */
        sv[i] = names[i];
        iv[i] = (int64_t)((i * 7919) % LONG_N) * 1000003 - 50000000000LL;
    }
    /* a mapping whose last key repeats its first: the first position wins */
    sv[LONG_N - 1] = sv[0];
    for (size_t i = 0; i < LONG_N; i++) {
        rev[i] = sv[LONG_N - 2 - (i % (LONG_N - 1))]; /* every key but the repeat, reversed; then sv[LONG_N - 2] again */
        irev[i] = iv[LONG_N - 1 - i];
        vals[i] = (float)i;
    }

    /* dictionary vectorizer, string keys: input entry i has key rev[i] */
    Cmlpb__Model *m = MODEL(1, 1, feat_dict("d", true), f_arr("y", NV(LONG_N)));
    Cmlpb__DictVectorizer *dv = P(DictVectorizer, DICT_VECTORIZER);
    dv->map_case = CMLPB__DICT_VECTORIZER__MAP_STRING_TO_INDEX;
    dv->stringtoindex = P(StringVector, STRING_VECTOR);
    dv->stringtoindex->n_vector = LONG_N;
    dv->stringtoindex->vector = sv;
    m->type_case = CMLPB__MODEL__TYPE_DICT_VECTORIZER;
    m->dictvectorizer = dv;
    res r;
    CHECK(load(&r, m));
    exec_tensor in = t_sdict("d", rev, vals, LONG_N);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        const exec_tensor *y = &r.o[0];
        CHECK(exec_tensor_count(y) == LONG_N);
        /* rev[i] = sv[LONG_N - 2 - i] for i < LONG_N - 1; rev[LONG_N - 1] = sv[LONG_N - 2] again (the later value) */
        bool ok = exec_tensor_count(y) == LONG_N;
        for (size_t k = 0; ok && k + 1 < LONG_N; k++) {
            float want = k == LONG_N - 2 ? (float)(LONG_N - 1) : (float)(LONG_N - 2 - k);
            if (y->data[k] != want) {
                fprintf(stderr, "  dictVectorizer y[%zu] = %g, expected %g\n", k, y->data[k], want);
                ok = false;
            }
        }
        CHECK(ok && y->data[LONG_N - 1] == 0); /* the repeated key's second position gets nothing */
    }
    res_free(&r);

    /* int64 keys */
    m = MODEL(1, 1, feat_dict("d", false), f_arr("y", NV(LONG_N)));
    dv = P(DictVectorizer, DICT_VECTORIZER);
    dv->map_case = CMLPB__DICT_VECTORIZER__MAP_INT64_TO_INDEX;
    dv->int64toindex = P(Int64Vector, INT64_VECTOR);
    dv->int64toindex->n_vector = LONG_N;
    dv->int64toindex->vector = iv;
    m->type_case = CMLPB__MODEL__TYPE_DICT_VECTORIZER;
    m->dictvectorizer = dv;
    CHECK(load(&r, m));
    in = t_idict("d", irev, vals, LONG_N);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        bool ok = exec_tensor_count(&r.o[0]) == LONG_N;
        for (size_t k = 0; ok && k < LONG_N; k++) ok = r.o[0].data[k] == (float)(LONG_N - 1 - k);
        CHECK(ok);
    }
    res_free(&r);

    /* one-hot encoder, sparse: a category's first position */
    m = MODEL(1, 1, F_STR("s"), feat_dict("y", false));
    Cmlpb__OneHotEncoder *oh = P(OneHotEncoder, ONE_HOT_ENCODER);
    oh->category_type_case = CMLPB__ONE_HOT_ENCODER__CATEGORY_TYPE_STRING_CATEGORIES;
    oh->stringcategories = P(StringVector, STRING_VECTOR);
    oh->stringcategories->n_vector = LONG_N;
    oh->stringcategories->vector = sv;
    oh->outputsparse = 1;
    m->type_case = CMLPB__MODEL__TYPE_ONE_HOT_ENCODER;
    m->onehotencoder = oh;
    CHECK(load(&r, m));
    static const size_t probes[3] = {LONG_N - 1, 12345, LONG_N - 2}; /* sv[LONG_N - 1] is sv[0]: position 0 */
    static const int64_t want_pos[3] = {0, 12345, LONG_N - 2};
    for (int i = 0; i < 3; i++) {
        in = t_str("s", (const char *const *)&sv[probes[i]], 1);
        if (r.p && res_again(&r, EXEC_FP32, &in, 1))
            CHECK(r.o[0].dtype == EXEC_DT_DICT && exec_tensor_count(&r.o[0]) == 1 && r.o[0].int_keys &&
                  r.o[0].int_keys[0] == want_pos[i]);
    }
    res_free(&r);

    /* imputer: NaN values take the imputed dictionary's (its last entry for a
     * repeated key), its keys the input lacks are added after the input's */
    for (size_t i = 0; i < LONG_N; i++) {
        ents[i] = (Cmlpb__StringToDoubleMap__MapEntry)CMLPB__STRING_TO_DOUBLE_MAP__MAP_ENTRY__INIT;
        ents[i].key = sv[i];
        ents[i].value = 0.5 + (double)i;
        entp[i] = &ents[i];
    }
    m = MODEL(1, 1, feat_dict("d", true), feat_dict("y", true));
    Cmlpb__Imputer *im = P(Imputer, IMPUTER);
    im->imputed_value_case = CMLPB__IMPUTER__IMPUTED_VALUE_IMPUTED_STRING_DICTIONARY;
    im->imputedstringdictionary = P(StringToDoubleMap, STRING_TO_DOUBLE_MAP);
    im->imputedstringdictionary->n_map = LONG_N;
    im->imputedstringdictionary->map = entp;
    m->type_case = CMLPB__MODEL__TYPE_IMPUTER;
    m->imputer = im;
    CHECK(load(&r, m));
    /* the input: sv[k] for k = LONG_N - 2 down to 50,000, then sv[0] (the
     * imputed dictionary's first and last key), every value NaN */
    const size_t half = LONG_N / 2;
    float *nan_v = malloc(half * sizeof *nan_v);
    const char **ik = malloc(half * sizeof *ik);
    if (!nan_v || !ik) abort();
    for (size_t i = 0; i < half; i++) {
        nan_v[i] = NAN;
        ik[i] = i + 1 < half ? sv[LONG_N - 2 - i] : sv[0];
    }
    in = t_sdict("d", ik, nan_v, (int64_t)half);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        const exec_tensor *y = &r.o[0];
        /* the input's entries, then the imputed keys it lacks, sv[1] .. sv[49999], in the dictionary's order */
        size_t n = exec_tensor_count(y);
        bool ok = y->dtype == EXEC_DT_DICT && y->strings && n == LONG_N - 1;
        for (size_t i = 0; ok && i + 1 < half; i++)
            ok = !strcmp(y->strings[i], sv[LONG_N - 2 - i]) && y->data[i] == (float)(0.5 + (double)(LONG_N - 2 - i));
        /* sv[0]: the value of the key's last entry */
        ok = ok && !strcmp(y->strings[half - 1], sv[0]) && y->data[half - 1] == (float)(0.5 + (double)(LONG_N - 1));
        for (size_t j = 0; ok && half + j < n; j++)
            ok = !strcmp(y->strings[half + j], sv[1 + j]) && y->data[half + j] == (float)(1.5 + (double)j);
        CHECK(ok);
    }
    res_free(&r);
    free(ik);
    free(nan_v);
    free(entp);
    free(ents);
    free(irev);
    free(iv);
    free(vals);
    free(rev);
    free(sv);
    free(names);
    pool_free();
}

static void test_categorical_mapping(void) {
    Cmlpb__Model *m = MODEL(1, 1, F_STR("s"), F_I64("k"));
    Cmlpb__CategoricalMapping *cm = P(CategoricalMapping, CATEGORICAL_MAPPING);
    cm->mapping_type_case = CMLPB__CATEGORICAL_MAPPING__MAPPING_TYPE_STRING_TO_INT64_MAP;
    cm->stringtoint64map = P(StringToInt64Map, STRING_TO_INT64_MAP);
    cm->stringtoint64map->n_map = 2;
    cm->stringtoint64map->map = pz(2 * sizeof(void *));
    const char *ks[2] = {"cat", "dog"};
    for (int i = 0; i < 2; i++) {
        cm->stringtoint64map->map[i] = P(StringToInt64Map__MapEntry, STRING_TO_INT64_MAP__MAP_ENTRY);
        cm->stringtoint64map->map[i]->key = pstr(ks[i]);
        cm->stringtoint64map->map[i]->value = 100 + i;
    }
    m->type_case = CMLPB__MODEL__TYPE_CATEGORICAL_MAPPING;
    m->categoricalmapping = cm;
    res r;
    CHECK(load(&r, m));
    exec_tensor in = t_str("s", (const char *const[]){"dog"}, 1);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) VALUES(&r.o[0], 0, 101);
    in = t_str("s", (const char *const[]){"cow"}, 1);
    if (r.p) FAILS_WITH(&r, res_again(&r, EXEC_FP32, &in, 1), "'cow' is not in the map and there is no int64Value");
    res_free(&r);
    cm->value_on_unknown_case = CMLPB__CATEGORICAL_MAPPING__VALUE_ON_UNKNOWN_INT64_VALUE;
    cm->int64value = -1;
    CHECK(load(&r, m));
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) VALUES(&r.o[0], 0, -1);
    res_free(&r);
    /* int64 -> string, with a default */
    m = MODEL(1, 1, F_I64("k"), F_STR("s"));
    cm = P(CategoricalMapping, CATEGORICAL_MAPPING);
    cm->mapping_type_case = CMLPB__CATEGORICAL_MAPPING__MAPPING_TYPE_INT64_TO_STRING_MAP;
    cm->int64tostringmap = P(Int64ToStringMap, INT64_TO_STRING_MAP);
    cm->int64tostringmap->n_map = 1;
    cm->int64tostringmap->map = pz(sizeof(void *));
    cm->int64tostringmap->map[0] = P(Int64ToStringMap__MapEntry, INT64_TO_STRING_MAP__MAP_ENTRY);
    cm->int64tostringmap->map[0]->key = 5;
    cm->int64tostringmap->map[0]->value = pstr("five");
    cm->value_on_unknown_case = CMLPB__CATEGORICAL_MAPPING__VALUE_ON_UNKNOWN_STR_VALUE;
    cm->strvalue = pstr("other");
    m->type_case = CMLPB__MODEL__TYPE_CATEGORICAL_MAPPING;
    m->categoricalmapping = cm;
    CHECK(load(&r, m));
    float five = 5, six = 6;
    exec_tensor ik = {.name = "k", .dtype = EXEC_DT_INT32, .rank = 0, .data = &five};
    if (r.p && res_again(&r, EXEC_FP32, &ik, 1))
        CHECK(r.o[0].dtype == EXEC_DT_STRING && r.o[0].strings && !strcmp(r.o[0].strings[0], "five"));
    ik.data = &six;
    if (r.p && res_again(&r, EXEC_FP32, &ik, 1)) CHECK(r.o[0].strings && !strcmp(r.o[0].strings[0], "other"));
    res_free(&r);
    pool_free();
}

static void test_imputer_strings_dicts(void) {
    /* strings: "?" is the missing marker */
    Cmlpb__Model *m = MODEL(1, 1, F_STR("s"), F_STR("y"));
    Cmlpb__Imputer *im = P(Imputer, IMPUTER);
    im->imputed_value_case = CMLPB__IMPUTER__IMPUTED_VALUE_IMPUTED_STRING_VALUE;
    im->imputedstringvalue = pstr("unknown");
    im->replace_value_case = CMLPB__IMPUTER__REPLACE_VALUE_REPLACE_STRING_VALUE;
    im->replacestringvalue = pstr("?");
    m->type_case = CMLPB__MODEL__TYPE_IMPUTER;
    m->imputer = im;
    res r;
    CHECK(load(&r, m));
    exec_tensor in = t_str("s", (const char *const[]){"?"}, 1);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) CHECK(r.o[0].strings && !strcmp(r.o[0].strings[0], "unknown"));
    in = t_str("s", (const char *const[]){"red"}, 1);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) CHECK(r.o[0].strings && !strcmp(r.o[0].strings[0], "red"));
    res_free(&r);
    /* a dictionary: NaN values take the imputed dictionary's, its missing keys are added */
    m = MODEL(1, 1, feat_dict("d", true), feat_dict("y", true));
    im = P(Imputer, IMPUTER);
    im->imputed_value_case = CMLPB__IMPUTER__IMPUTED_VALUE_IMPUTED_STRING_DICTIONARY;
    im->imputedstringdictionary = P(StringToDoubleMap, STRING_TO_DOUBLE_MAP);
    im->imputedstringdictionary->n_map = 2;
    im->imputedstringdictionary->map = pz(2 * sizeof(void *));
    const char *ks[2] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        im->imputedstringdictionary->map[i] = P(StringToDoubleMap__MapEntry, STRING_TO_DOUBLE_MAP__MAP_ENTRY);
        im->imputedstringdictionary->map[i]->key = pstr(ks[i]);
        im->imputedstringdictionary->map[i]->value = 10 + i;
    }
    m->type_case = CMLPB__MODEL__TYPE_IMPUTER;
    m->imputer = im;
    CHECK(load(&r, m));
    const char *dk[2] = {"a", "c"};
    float dv[2] = {NAN, 3};
    in = t_sdict("d", dk, dv, 2);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        CHECK(r.o[0].dtype == EXEC_DT_DICT && exec_tensor_count(&r.o[0]) == 3 && r.o[0].strings &&
              !strcmp(r.o[0].strings[0], "a") && !strcmp(r.o[0].strings[1], "c") && !strcmp(r.o[0].strings[2], "b"));
        VALUES(&r.o[0], 0, 10, 3, 11);
    }
    res_free(&r);
    pool_free();
}

static void test_identity_cct(void) {
    Cmlpb__Model *m = MODEL(5, 2, F_STR("s"), f_arr("x", NV(2)), F_STR("s2"), f_arr("x2", NV(2)));
    m->type_case = CMLPB__MODEL__TYPE_IDENTITY;
    m->identity = P(Identity, IDENTITY);
    res r;
    CHECK(load(&r, m));
    float x[2] = {1.5f, -2};
    exec_tensor in[2] = {t_str("s", (const char *const[]){"hello"}, 1), t_num("x", x, 2)};
    if (r.p && res_again(&r, EXEC_FP32, in, 2)) {
        CHECK(r.o[0].strings && !strcmp(r.o[0].strings[0], "hello"));
        VALUES(&r.o[1], 0, 1.5, -2);
    }
    res_free(&r);
    m = MODEL(8, 1, f_arr("c", NV(3)), f_arr("y", NV(2, 3)));
    m->type_case = CMLPB__MODEL__TYPE_CLASS_CONFIDENCE_THRESHOLDING;
    m->classconfidencethresholding = P(ClassConfidenceThresholding, CLASS_CONFIDENCE_THRESHOLDING);
    CHECK(load(&r, m));
    float cv[3] = {0.2f, 0.5f, 0.3f};
    exec_tensor ci = t_num("c", cv, 3);
    if (r.p && res_again(&r, EXEC_FP32, &ci, 1)) {
        CHECK(r.o[0].rank == 2 && r.o[0].shape[0] == 2 && r.o[0].shape[1] == 3);
        VALUES(&r.o[0], 1e-7, 0.2, 0.5, 0.3, 1, 1, 1);
    }
    res_free(&r);
    pool_free();
}

/* ---- k nearest neighbours ---------------------------------------------------------------------- */

static const float KNN_S[5][2] = {{0, 0}, {1, 0}, {5, 5}, {6, 5}, {5.5f, 6}};

static Cmlpb__Model *knn_model(bool inverse, int64_t k, bool int_labels, size_t n_samples) {
    Cmlpb__Model *m = MODEL(4, 1, f_arr("x", NV(2)), int_labels ? F_I64("label") : F_STR("label"),
                            feat_dict("probs", !int_labels));
    Cmlpb__KNearestNeighborsClassifier *kn = P(KNearestNeighborsClassifier, KNEAREST_NEIGHBORS_CLASSIFIER);
    kn->nearestneighborsindex = P(NearestNeighborsIndex, NEAREST_NEIGHBORS_INDEX);
    kn->nearestneighborsindex->numberofdimensions = 2;
    kn->nearestneighborsindex->n_floatsamples = n_samples;
    kn->nearestneighborsindex->floatsamples = pz((n_samples ? n_samples : 1) * sizeof(void *));
    for (size_t i = 0; i < n_samples; i++) {
        Cmlpb__FloatVector *fv = P(FloatVector, FLOAT_VECTOR);
        fv->n_vector = 2;
        fv->vector = pdup(KNN_S[i], 2 * sizeof(float));
        kn->nearestneighborsindex->floatsamples[i] = fv;
    }
    kn->numberofneighbors = P(Int64Parameter, INT64_PARAMETER);
    kn->numberofneighbors->defaultvalue = k;
    if (int_labels) {
        kn->class_labels_case = CMLPB__KNEAREST_NEIGHBORS_CLASSIFIER__CLASS_LABELS_INT64_CLASS_LABELS;
        kn->int64classlabels = ivec(n_samples, (const int64_t[]){7, 7, 9, 9, 9});
        kn->default_class_label_case = CMLPB__KNEAREST_NEIGHBORS_CLASSIFIER__DEFAULT_CLASS_LABEL_DEFAULT_INT64_LABEL;
        kn->defaultint64label = -4;
    } else {
        kn->class_labels_case = CMLPB__KNEAREST_NEIGHBORS_CLASSIFIER__CLASS_LABELS_STRING_CLASS_LABELS;
        kn->stringclasslabels = svec(n_samples, (const char *const[]){"a", "a", "b", "b", "b"});
        kn->default_class_label_case = CMLPB__KNEAREST_NEIGHBORS_CLASSIFIER__DEFAULT_CLASS_LABEL_DEFAULT_STRING_LABEL;
        kn->defaultstringlabel = pstr("nobody");
    }
    if (inverse) {
        kn->weighting_scheme_case = CMLPB__KNEAREST_NEIGHBORS_CLASSIFIER__WEIGHTING_SCHEME_INVERSE_DISTANCE_WEIGHTING;
        kn->inversedistanceweighting = P(InverseDistanceWeighting, INVERSE_DISTANCE_WEIGHTING);
    } else {
        kn->weighting_scheme_case = CMLPB__KNEAREST_NEIGHBORS_CLASSIFIER__WEIGHTING_SCHEME_UNIFORM_WEIGHTING;
        kn->uniformweighting = P(UniformWeighting, UNIFORM_WEIGHTING);
    }
    m->type_case = CMLPB__MODEL__TYPE_K_NEAREST_NEIGHBORS_CLASSIFIER;
    m->knearestneighborsclassifier = kn;
    return m;
}

static void test_knn(void) {
    res r;
    /* uniform, k = 3 at (0.2, 0.1): neighbours 0, 1 (a) and 2 (b): a with 2/3 */
    CHECK(load(&r, knn_model(false, 3, false, 5)));
    float x[2] = {0.2f, 0.1f};
    exec_tensor in = t_num("x", x, 2);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        CHECK(r.o[0].dtype == EXEC_DT_LABEL && r.o[0].label && !strcmp(r.o[0].label, "a"));
        CHECK(r.o[1].dtype == EXEC_DT_DICT && exec_tensor_count(&r.o[1]) == 2 && !strcmp(r.o[1].strings[0], "a"));
        VALUES(&r.o[1], 1e-6, 2.0 / 3, 1.0 / 3);
    }
    res_free(&r);
    /* inverse distance, k = 5 at (3, 2.5): the votes are sums of 1 / squared distance */
    CHECK(load(&r, knn_model(true, 5, false, 5)));
    float y[2] = {3, 2.5f};
    in = t_num("x", y, 2);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        double wa = 0, wb = 0;
        for (int i = 0; i < 5; i++) {
            double d = pow(3 - KNN_S[i][0], 2) + pow(2.5 - KNN_S[i][1], 2);
            if (i < 2) wa += 1 / d;
            else wb += 1 / d;
        }
        /* uniform would pick b (3 of 5); the inverse distances decide */
        CHECK(r.o[0].label && !strcmp(r.o[0].label, wa > wb ? "a" : "b"));
        const exec_tensor *p = &r.o[1];
        CHECK(exec_tensor_count(p) == 2);
        if (exec_tensor_count(p) == 2) {
            bool a_first = !strcmp(p->strings[0], "a");
            CHECK_NEAR_(p->data[a_first ? 0 : 1], wa / (wa + wb));
        }
    }
    res_free(&r);
    /* int64 labels; an empty model predicts the default label */
    CHECK(load(&r, knn_model(false, 1, true, 5)));
    in = t_num("x", (float[]){5.9f, 5}, 2);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        CHECK(r.o[0].label && !strcmp(r.o[0].label, "9"));
        CHECK(r.o[1].int_keys && r.o[1].int_keys[0] == 9);
    }
    res_free(&r);
    CHECK(load(&r, knn_model(false, 3, false, 0)));
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        CHECK(r.o[0].label && !strcmp(r.o[0].label, "nobody"));
        CHECK(exec_tensor_count(&r.o[1]) == 0);
    }
    res_free(&r);
    pool_free();
}

/* 50,000 samples with distinct labels but three, all of them neighbours:
 * each neighbour's label was looked for among the labels seen so far by a
 * scan (10^9 string comparisons); the votes must be those of the scan. */
#define KNN_N 50000
static void test_knn_many_labels(void) {
    char (*names)[8] = malloc(KNN_N * sizeof *names);
    char **labels = malloc(KNN_N * sizeof *labels);
    float *coords = malloc(KNN_N * 2 * sizeof *coords);
    Cmlpb__FloatVector *fvs = calloc(KNN_N, sizeof *fvs);
    Cmlpb__FloatVector **fvp = malloc(KNN_N * sizeof *fvp);
    if (!names || !labels || !coords || !fvs || !fvp) abort();
    for (size_t i = 0; i < KNN_N; i++) {
        snprintf(names[i], sizeof names[i], "L%05zu", (i * 7919) % KNN_N);
        labels[i] = names[i];
        coords[2 * i] = (float)i;
        coords[2 * i + 1] = 0;
        fvs[i] = (Cmlpb__FloatVector)CMLPB__FLOAT_VECTOR__INIT;
        fvs[i].n_vector = 2;
        fvs[i].vector = &coords[2 * i];
        fvp[i] = &fvs[i];
    }
    labels[30000] = labels[0]; /* sample 0's label three times */
    labels[40000] = labels[0];
    Cmlpb__Model *m = knn_model(false, KNN_N, false, 0);
    Cmlpb__KNearestNeighborsClassifier *kn = m->knearestneighborsclassifier;
    kn->nearestneighborsindex->n_floatsamples = KNN_N;
    kn->nearestneighborsindex->floatsamples = fvp;
    kn->stringclasslabels = P(StringVector, STRING_VECTOR);
    kn->stringclasslabels->n_vector = KNN_N;
    kn->stringclasslabels->vector = labels;
    res r;
    CHECK(load(&r, m));
    exec_tensor in = t_num("x", (float[]){0, 0}, 2);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        CHECK(r.o[0].label && !strcmp(r.o[0].label, labels[0])); /* 3 votes against 1 */
        const exec_tensor *p = &r.o[1];
        /* one entry per distinct label, in the order of the nearest neighbour with it */
        CHECK(exec_tensor_count(p) == KNN_N - 2 && p->strings);
        if (exec_tensor_count(p) == KNN_N - 2 && p->strings) {
            CHECK(!strcmp(p->strings[0], labels[0]) && !strcmp(p->strings[1], labels[1]));
            CHECK(!strcmp(p->strings[KNN_N - 3], labels[KNN_N - 1]));
            CHECK_NEAR_(p->data[0], 3.0 / KNN_N);
            CHECK_NEAR_(p->data[1], 1.0 / KNN_N);
        }
    }
    res_free(&r);
    free(fvp);
    free(fvs);
    free(coords);
    free(labels);
    free(names);
    pool_free();
}

/* ---- non-maximum suppression ---------------------------------------------------------------------- */

/* NMS over conf [4, 2] and coords [4, 4] into c_out [3, 2] and b_out
 * [3, 4]; IoU 0.5, confidence 0.1; the overrides' names, when given, are
 * the stage's parameters only (its description does not declare them) */
static Cmlpb__Model *nms_model(const char *conf_override, const char *iou_override) {
    Cmlpb__Model *m = MODEL(3, 2, f_arr("conf", NV(4, 2)), f_arr("coords", NV(4, 4)), f_arr("c_out", NV(3, 2)),
                            f_arr("b_out", NV(3, 4)));
    Cmlpb__NonMaximumSuppression *n = P(NonMaximumSuppression, NON_MAXIMUM_SUPPRESSION);
    n->suppression_method_case = CMLPB__NON_MAXIMUM_SUPPRESSION__SUPPRESSION_METHOD_PICK_TOP;
    n->picktop = P(NonMaximumSuppression__PickTop, NON_MAXIMUM_SUPPRESSION__PICK_TOP);
    n->iouthreshold = 0.5;
    n->confidencethreshold = 0.1;
    n->confidenceinputfeaturename = pstr("conf");
    n->coordinatesinputfeaturename = pstr("coords");
    n->confidenceoutputfeaturename = pstr("c_out");
    n->coordinatesoutputfeaturename = pstr("b_out");
    if (conf_override) n->confidencethresholdinputfeaturename = pstr(conf_override);
    if (iou_override) n->iouthresholdinputfeaturename = pstr(iou_override);
    m->type_case = CMLPB__MODEL__TYPE_NON_MAXIMUM_SUPPRESSION;
    m->nonmaximumsuppression = n;
    return m;
}

static void test_nms_model(void) {
    Cmlpb__Model *m = nms_model(NULL, NULL);
    res r;
    CHECK(load(&r, m));
    float conf[8] = {0.9f, 0.1f, 0.2f, 0.8f, 0.7f, 0.3f, 0.05f, 0.01f};
    float boxes[16] = {0, 0, 2, 2, 0.25f, 0, 2, 2, 5, 5, 2, 2, 9, 9, 1, 1};
    exec_tensor in[2] = {TS("conf", conf, 4, 2), TS("coords", boxes, 4, 4)};
    if (r.p && res_again(&r, EXEC_FP32, in, 2)) {
        /* boxes 0 and 2 survive; the declared 3 rows pad with zeros */
        const exec_tensor *co = out_named(&r, "c_out"), *bo = out_named(&r, "b_out");
        CHECK(co && co->rank == 2 && co->shape[0] == 3);
        VALUES(co, 1e-7, 0.9, 0.1, 0.7, 0.3, 0, 0);
        VALUES(bo, 1e-7, 0, 0, 2, 2, 5, 5, 2, 2, 0, 0, 0, 0);
    }
    res_free(&r);
    pool_free();
}

/* The detector-export layout (Ultralytics, hollance's SSDLite recipe): the
 * NMS stage names its threshold overrides, but only the pipeline declares
 * them as inputs. The stage reads them from the pipeline all the same; a
 * generated run gives each the stage's own default threshold, and an
 * optional one is left out (the default applies). */
static void test_nms_pipeline_overrides(void) {
    Cmlpb__Model *nm = nms_model("confidenceThreshold", "iouThreshold");
    Cmlpb__FeatureDescription *iou = F_DBL("iouThreshold");
    iou->type->isoptional = 1;
    Cmlpb__Model *m = MODEL(3, 4, f_arr("conf", NV(4, 2)), f_arr("coords", NV(4, 4)), F_DBL("confidenceThreshold"),
                            iou, f_arr("c_out", NV(3, 2)), f_arr("b_out", NV(3, 4)));
    Cmlpb__Pipeline *p = P(Pipeline, PIPELINE);
    p->n_models = 1;
    p->models = pz(sizeof(void *));
    p->models[0] = nm;
    m->type_case = CMLPB__MODEL__TYPE_PIPELINE;
    m->pipeline = p;
    res r;
    CHECK(load(&r, m));
    exec_tensor *gen = NULL;
    size_t ngen = 0;
    char err[256];
    CHECK(r.lm && exec_make_inputs(r.lm->model, NULL, 5, &gen, &ngen, err, sizeof err) == 0 && ngen == 4);
    float conf[8] = {0.9f, 0.1f, 0.2f, 0.8f, 0.7f, 0.3f, 0.05f, 0.01f};
    float boxes[16] = {0, 0, 2, 2, 0.25f, 0, 2, 2, 5, 5, 2, 2, 9, 9, 1, 1};
    for (size_t i = 0; i < ngen; i++) {
        if (!strcmp(gen[i].name, "confidenceThreshold")) {
            CHECK(exec_tensor_count(&gen[i]) == 1 && gen[i].data[0] == 0.1f);
        } else if (!strcmp(gen[i].name, "iouThreshold")) {
            CHECK(exec_tensor_count(&gen[i]) == 0);
        } else {
            bool c = !strcmp(gen[i].name, "conf");
            CHECK(exec_tensor_count(&gen[i]) == (c ? 8u : 16u));
            memcpy(gen[i].data, c ? conf : boxes, (c ? 8 : 16) * sizeof(float));
        }
    }
    /* generated: the defaults (boxes 0 and 2 survive, as in test_nms_model) */
    if (r.p && ngen == 4 && res_again(&r, EXEC_FP32, gen, ngen)) {
        const exec_tensor *co = out_named(&r, "c_out");
        VALUES(co, 1e-7, 0.9, 0.1, 0.7, 0.3, 0, 0);
    }
    /* the app's thresholds: confidence 0.75 keeps boxes 0 and 1 only, and
     * an IoU threshold of 1 keeps box 1, which box 0 overlaps by 0.875 (the
     * default 0.5 would suppress it) */
    float ct = 0.75f, it = 1.0f;
    exec_tensor in[4] = {TS("conf", conf, 4, 2), TS("coords", boxes, 4, 4), t_num("confidenceThreshold", &ct, 1),
                         t_num("iouThreshold", &it, 1)};
    if (r.p && res_again(&r, EXEC_FP32, in, 4)) {
        const exec_tensor *co = out_named(&r, "c_out");
        VALUES(co, 1e-7, 0.9, 0.1, 0.2, 0.8, 0, 0);
    }
    exec_tensors_free(gen, ngen);
    res_free(&r);
    pool_free();
}

/* ---- item similarity ------------------------------------------------------------------------------ */

/* the recommender's feature names (items in, n; rec and scores out) and
 * its place in m */
static void isr_wire(Cmlpb__Model *m, Cmlpb__ItemSimilarityRecommender *isr) {
    isr->iteminputfeaturename = pstr("items");
    isr->numrecommendationsinputfeaturename = pstr("n");
    isr->recommendeditemlistoutputfeaturename = pstr("rec");
    isr->recommendeditemscoreoutputfeaturename = pstr("scores");
    m->type_case = CMLPB__MODEL__TYPE_ITEM_SIMILARITY_RECOMMENDER;
    m->itemsimilarityrecommender = isr;
}

static void test_item_similarity(void) {
    /* items A, B, C, D; sim(B, A) = 0.5, sim(C, A) = 0.2, sim(C, B) = 0.4, sim(D, B) = 1; shift(C) = 0.1 */
    Cmlpb__Model *m = MODEL(4, 2, feat_dict("items", true), F_I64("n"), f_seq("rec", true), feat_dict("scores", true));
    Cmlpb__ItemSimilarityRecommender *isr = P(ItemSimilarityRecommender, ITEM_SIMILARITY_RECOMMENDER);
    static const struct {
        int id;
        int n;
        int to[2];
        double sim[2];
        double adj;
    } rows[4] = {{0, 2, {1, 2}, {0.5, 0.2}, 0}, {1, 2, {2, 3}, {0.4, 1.0}, 0}, {2, 0, {0, 0}, {0, 0}, 0.1}, {3, 0, {0, 0}, {0, 0}, 0}};
    isr->n_itemitemsimilarities = 4;
    isr->itemitemsimilarities = pz(4 * sizeof(void *));
    for (int i = 0; i < 4; i++) {
        Cmlpb__ItemSimilarityRecommender__SimilarItems *si = P(ItemSimilarityRecommender__SimilarItems, ITEM_SIMILARITY_RECOMMENDER__SIMILAR_ITEMS);
        si->itemid = (uint64_t)rows[i].id;
        si->itemscoreadjustment = rows[i].adj;
        si->n_similaritemlist = (size_t)rows[i].n;
        si->similaritemlist = pz(2 * sizeof(void *));
        for (int k = 0; k < rows[i].n; k++) {
            Cmlpb__ItemSimilarityRecommender__ConnectedItem *ci = P(ItemSimilarityRecommender__ConnectedItem, ITEM_SIMILARITY_RECOMMENDER__CONNECTED_ITEM);
            ci->itemid = (uint64_t)rows[i].to[k];
            ci->similarityscore = rows[i].sim[k];
            si->similaritemlist[k] = ci;
        }
        isr->itemitemsimilarities[i] = si;
    }
    isr->itemstringids = SVEC("A", "B", "C", "D");
    isr_wire(m, isr);
    res r;
    CHECK(load(&r, m));
    /* observed A = 2, B = 1: C = 0.2 (2 - 0.1) + 0.4 (1 - 0.1) = 0.74, D = 1 (1 - 0) = 1; A and B excluded */
    const char *k[2] = {"A", "B"};
    float v[2] = {2, 1}, two = 2, one = 1;
    exec_tensor in[2] = {t_sdict("items", k, v, 2), {.name = "n", .dtype = EXEC_DT_INT32, .rank = 0, .data = &two}};
    if (r.p && res_again(&r, EXEC_FP32, in, 2)) {
        const exec_tensor *rec = out_named(&r, "rec"), *sc = out_named(&r, "scores");
        CHECK(rec && exec_tensor_count(rec) == 2 && rec->strings && !strcmp(rec->strings[0], "D") && !strcmp(rec->strings[1], "C"));
        VALUES(sc, 1e-6, 1.0, 0.74);
    }
    in[1].data = &one;
    if (r.p && res_again(&r, EXEC_FP32, in, 2)) CHECK(exec_tensor_count(out_named(&r, "rec")) == 1);
    res_free(&r);
    pool_free();
}

/* The recommender's optional restriction and exclusion lists (Create ML's
 * layout: string sequences "restrict" / "exclude", isOptional). A generated
 * run once drew a random number for each, so the restriction named no item
 * and every recommendation list came out empty with status ok. Now
 * exec_make_inputs leaves them out (an empty list typed as strings), an
 * empty list counts as not given, and a given list still restricts /
 * excludes; int64 item ids in an int64 sequence match exactly (2^40 + 1
 * is 2^40 in float32). */
static Cmlpb__FeatureDescription *f_optional(Cmlpb__FeatureDescription *f) {
    f->type->isoptional = 1;
    return f;
}

static Cmlpb__ItemSimilarityRecommender *isr_abcd(void) {
    /* A, B, C, D; sim(B, A) = 0.5, sim(C, A) = 0.2, sim(C, B) = 0.4, sim(D, B) = 1; shift(C) = 0.1 (test_item_similarity) */
    Cmlpb__ItemSimilarityRecommender *isr = P(ItemSimilarityRecommender, ITEM_SIMILARITY_RECOMMENDER);
    static const struct {
        int id, n, to[2];
        double sim[2], adj;
    } rows[4] = {{0, 2, {1, 2}, {0.5, 0.2}, 0}, {1, 2, {2, 3}, {0.4, 1.0}, 0}, {2, 0, {0, 0}, {0, 0}, 0.1}, {3, 0, {0, 0}, {0, 0}, 0}};
    isr->n_itemitemsimilarities = 4;
    isr->itemitemsimilarities = pz(4 * sizeof(void *));
    for (int i = 0; i < 4; i++) {
        Cmlpb__ItemSimilarityRecommender__SimilarItems *si = P(ItemSimilarityRecommender__SimilarItems, ITEM_SIMILARITY_RECOMMENDER__SIMILAR_ITEMS);
        si->itemid = (uint64_t)rows[i].id;
        si->itemscoreadjustment = rows[i].adj;
        si->n_similaritemlist = (size_t)rows[i].n;
        si->similaritemlist = pz(2 * sizeof(void *));
        for (int k = 0; k < rows[i].n; k++) {
            Cmlpb__ItemSimilarityRecommender__ConnectedItem *ci = P(ItemSimilarityRecommender__ConnectedItem, ITEM_SIMILARITY_RECOMMENDER__CONNECTED_ITEM);
            ci->itemid = (uint64_t)rows[i].to[k];
            ci->similarityscore = rows[i].sim[k];
            si->similaritemlist[k] = ci;
        }
        isr->itemitemsimilarities[i] = si;
    }
    return isr;
}

static void test_item_similarity_optional_lists(void) {
    Cmlpb__Model *m = MODEL(4, 4, feat_dict("items", true), F_I64("n"), f_optional(f_seq("restrict", true)),
                            f_optional(f_seq("exclude", true)), f_seq("rec", true), feat_dict("scores", true));
    Cmlpb__ItemSimilarityRecommender *isr = isr_abcd();
    isr->itemstringids = SVEC("A", "B", "C", "D");
    isr->itemrestrictioninputfeaturename = pstr("restrict");
    isr->itemexclusioninputfeaturename = pstr("exclude");
    isr_wire(m, isr);
    res r;
    CHECK(load(&r, m));
    exec_tensor *gen = NULL;
    size_t ngen = 0;
    char err[256];
    CHECK(r.p && exec_make_inputs(r.lm->model, NULL, 0, &gen, &ngen, err, sizeof err) == 0 && ngen == 4);
    for (size_t i = 0; i < ngen; i++)
        if (!strcmp(gen[i].name, "restrict") || !strcmp(gen[i].name, "exclude"))
            CHECK(exec_input_omitted(&gen[i]) && gen[i].dtype == EXEC_DT_STRING);
    /* generated: whatever items were drawn, some item is left to recommend
     * unless all four were observed, and the ones recommended are not observed */
    if (r.p && ngen == 4 && res_again(&r, EXEC_FP32, gen, ngen)) {
        const exec_tensor *items = NULL, *rec = out_named(&r, "rec");
        for (size_t i = 0; i < ngen; i++)
            if (!strcmp(gen[i].name, "items")) items = &gen[i];
        CHECK(items && rec);
        if (items && rec) {
            size_t want = 4 - exec_tensor_count(items);
            int64_t n = (int64_t)gen[1].data[0];
            if (!strcmp(gen[1].name, "n") && n >= 0 && (size_t)n < want) want = (size_t)n;
            CHECK_INT(exec_tensor_count(rec), want);
            for (size_t j = 0; j < exec_tensor_count(rec); j++)
                for (size_t q = 0; q < exec_tensor_count(items); q++) CHECK(strcmp(rec->strings[j], items->strings[q]));
        }
    }
    exec_tensors_free(gen, ngen);
    /* observed A = 2, B = 1: C 0.74, D 1 (test_item_similarity) */
    const char *k[2] = {"A", "B"}, *none[1] = {NULL}, *only_c[1] = {"C"}, *ex_d[1] = {"D"};
    float v[2] = {2, 1}, four = 4, zero[1] = {0};
    exec_tensor in[4] = {t_sdict("items", k, v, 2), {.name = "n", .dtype = EXEC_DT_INT32, .rank = 0, .data = &four},
                         {.name = "restrict", .dtype = EXEC_DT_STRING, .rank = 1, .shape = {0}, .data = zero, .strings = none},
                         {.name = "exclude", .dtype = EXEC_DT_STRING, .rank = 1, .shape = {0}, .data = zero, .strings = none}};
    /* both empty: not given; A and B (observed) excluded by default */
    if (r.p && res_again(&r, EXEC_FP32, in, 4)) {
        const exec_tensor *rec = out_named(&r, "rec");
        CHECK(rec && exec_tensor_count(rec) == 2 && !strcmp(rec->strings[0], "D") && !strcmp(rec->strings[1], "C"));
        VALUES(out_named(&r, "scores"), 1e-6, 1.0, 0.74);
    }
    /* restricted to C */
    in[2].shape[0] = 1;
    in[2].strings = only_c;
    if (r.p && res_again(&r, EXEC_FP32, in, 4)) {
        const exec_tensor *rec = out_named(&r, "rec");
        CHECK(rec && exec_tensor_count(rec) == 1 && !strcmp(rec->strings[0], "C"));
    }
    /* no restriction, D excluded: the observed A and B come back (B 0.5 (2 - 0) = 1, C 0.74, A 0) */
    in[2].shape[0] = 0;
    in[2].strings = none;
    in[3].shape[0] = 1;
    in[3].strings = ex_d;
    if (r.p && res_again(&r, EXEC_FP32, in, 4)) {
        const exec_tensor *rec = out_named(&r, "rec");
        CHECK(rec && exec_tensor_count(rec) == 3 && !strcmp(rec->strings[0], "B") && !strcmp(rec->strings[1], "C") &&
              !strcmp(rec->strings[2], "A"));
    }
    res_free(&r);
    pool_free();

    /* int64 item ids, an int64 restriction sequence: 2^40 + 1 only */
    const int64_t big = ((int64_t)1 << 40);
    m = MODEL(4, 3, feat_dict("items", false), F_I64("n"), f_optional(f_seq("restrict", false)), f_seq("rec", false),
              feat_dict("scores", false));
    isr = isr_abcd();
    isr->itemint64ids = IVEC(7, big, big + 1, 9);
    isr->itemrestrictioninputfeaturename = pstr("restrict");
    isr_wire(m, isr);
    CHECK(load(&r, m));
    gen = NULL;
    ngen = 0;
    CHECK(r.p && exec_make_inputs(r.lm->model, NULL, 0, &gen, &ngen, err, sizeof err) == 0 && ngen == 3);
    for (size_t i = 0; i < ngen; i++)
        if (!strcmp(gen[i].name, "restrict")) CHECK(exec_input_omitted(&gen[i]) && gen[i].dtype == EXEC_DT_INT32);
    exec_tensors_free(gen, ngen);
    int64_t ik[1] = {7}, rk[1] = {big + 1};
    float iv[1] = {2}, rv[1] = {(float)(big + 1)};
    exec_tensor in2[3] = {t_idict("items", ik, iv, 1), {.name = "n", .dtype = EXEC_DT_INT32, .rank = 0, .data = &four},
                          {.name = "restrict", .dtype = EXEC_DT_INT32, .rank = 1, .shape = {1}, .data = rv, .int_keys = rk}};
    /* observed 7 (A) = 2: B (2^40) 1.0, C (2^40 + 1) 0.2 (2 - 0.1) = 0.38; restricted to C */
    if (r.p && res_again(&r, EXEC_FP32, in2, 3)) {
        const exec_tensor *sc = out_named(&r, "scores");
        CHECK(sc && exec_tensor_count(sc) == 1 && sc->int_keys && sc->int_keys[0] == big + 1);
        VALUES(sc, 1e-6, 0.38);
    }
    res_free(&r);
    pool_free();
}

/* numbered items (no id vectors) whose largest id is near 2^63: the tables
 * were sized by it (an audit: allocations of 2^63 doubles), and a list
 * count without its lists was dereferenced; both refused by name now */
static void test_item_similarity_hostile(void) {
    for (int kind = 0; kind < 2; kind++) {
        Cmlpb__Model *m = MODEL(4, 2, feat_dict("items", false), F_I64("n"), f_seq("rec", false), feat_dict("scores", false));
        Cmlpb__ItemSimilarityRecommender *isr = P(ItemSimilarityRecommender, ITEM_SIMILARITY_RECOMMENDER);
        Cmlpb__ItemSimilarityRecommender__SimilarItems *si =
            P(ItemSimilarityRecommender__SimilarItems, ITEM_SIMILARITY_RECOMMENDER__SIMILAR_ITEMS);
        si->itemid = kind == 0 ? (uint64_t)1 << 62 : 1;
        Cmlpb__ItemSimilarityRecommender__ConnectedItem *ci =
            P(ItemSimilarityRecommender__ConnectedItem, ITEM_SIMILARITY_RECOMMENDER__CONNECTED_ITEM);
        ci->itemid = 0;
        ci->similarityscore = 1;
        si->n_similaritemlist = 1;
        si->similaritemlist = pz(sizeof(void *));
        si->similaritemlist[0] = ci;
        isr->n_itemitemsimilarities = 1;
        isr->itemitemsimilarities = pz(sizeof(void *));
        isr->itemitemsimilarities[0] = si;
        isr_wire(m, isr);
        res r;
        CHECK(load(&r, m));
        int64_t k[1] = {0};
        float v[1] = {1}, one = 1;
        exec_tensor in[2] = {t_idict("items", k, v, 1), {.name = "n", .dtype = EXEC_DT_INT32, .rank = 0, .data = &one}};
        if (!r.p) {
        } else if (kind == 0) {
            CHECK(!res_again(&r, EXEC_FP32, in, 2));
            CHECK(strstr(r.err, "item ids out of range") != NULL);
        } else {
            CHECK(res_again(&r, EXEC_FP32, in, 2));   /* a sane one still runs */
        }
        res_free(&r);
        pool_free();
    }
}

/* ---- Bayesian probit --------------------------------------------------------------------------------- */

static double phi_ref(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

static void test_bayesian_probit(void) {
    Cmlpb__Model *m = MODEL(3, 2, f_arr("x", NV(2)), F_DBL("optimism"), F_DBL("p"), F_DBL("mean"), F_DBL("var"),
                            F_DBL("pess"));
    Cmlpb__BayesianProbitRegressor *b = P(BayesianProbitRegressor, BAYESIAN_PROBIT_REGRESSOR);
    b->numberoffeatures = 2;
    b->bias = P(BayesianProbitRegressor__Gaussian, BAYESIAN_PROBIT_REGRESSOR__GAUSSIAN);
    b->bias->mean = 0.1;
    b->bias->precision = 4;
    b->n_features = 2;
    b->features = pz(2 * sizeof(void *));
    /* feature 0: value 1 -> N(0.5, 1/2), value 2 -> N(-1, 1); feature 1: value 3 -> N(0.25, 1/8) */
    static const struct {
        int fid, n;
        int val[2];
        double mean[2], prec[2];
    } fw[2] = {{0, 2, {1, 2}, {0.5, -1}, {2, 1}}, {1, 1, {3, 0}, {0.25, 0}, {8, 0}}};
    for (int f = 0; f < 2; f++) {
        Cmlpb__BayesianProbitRegressor__FeatureWeight *w = P(BayesianProbitRegressor__FeatureWeight, BAYESIAN_PROBIT_REGRESSOR__FEATURE_WEIGHT);
        w->featureid = (uint32_t)fw[f].fid;
        w->n_weights = (size_t)fw[f].n;
        w->weights = pz(2 * sizeof(void *));
        for (int k = 0; k < fw[f].n; k++) {
            Cmlpb__BayesianProbitRegressor__FeatureValueWeight *v = P(BayesianProbitRegressor__FeatureValueWeight, BAYESIAN_PROBIT_REGRESSOR__FEATURE_VALUE_WEIGHT);
            v->featurevalue = (uint32_t)fw[f].val[k];
            v->featureweight = P(BayesianProbitRegressor__Gaussian, BAYESIAN_PROBIT_REGRESSOR__GAUSSIAN);
            v->featureweight->mean = fw[f].mean[k];
            v->featureweight->precision = fw[f].prec[k];
            w->weights[k] = v;
        }
        b->features[f] = w;
    }
    b->regressioninputfeaturename = pstr("x");
    b->optimisminputfeaturename = pstr("optimism");
    b->meanoutputfeaturename = pstr("mean");
    b->varianceoutputfeaturename = pstr("var");
    b->pessimisticprobabilityoutputfeaturename = pstr("pess");
    m->type_case = CMLPB__MODEL__TYPE_BAYESIAN_PROBIT_REGRESSOR;
    m->bayesianprobitregressor = b;
    res r;
    CHECK(load(&r, m));
    float x[2] = {1, 3}, opt = -0.5f;
    exec_tensor in[2] = {t_num("x", x, 2), {.name = "optimism", .rank = 0, .data = &opt}};
    if (r.p && res_again(&r, EXEC_FP32, in, 2)) {
        double mean = 0.1 + 0.5 + 0.25, var = 0.25 + 0.5 + 0.125, sd = sqrt(var);
        VALUES(out_named(&r, "mean"), 1e-6, mean);
        VALUES(out_named(&r, "var"), 1e-6, var);
        VALUES(out_named(&r, "p"), 1e-6, phi_ref(mean / sqrt(1 + var)));
        VALUES(out_named(&r, "pess"), 1e-6, phi_ref((mean - 0.5 * sd) / sqrt(1 + var)));
    }
    /* the same model fed rows (id, value): feature 0 takes value 2 */
    res_free(&r);
    m->description->input[0] = f_arr("x", NV(1, 2));
    CHECK(load(&r, m));
    float rowsv[2] = {0, 2};
    in[0] = TS("x", rowsv, 1, 2);
    if (r.p && res_again(&r, EXEC_FP32, in, 2)) VALUES(out_named(&r, "mean"), 1e-6, 0.1 - 1);
    res_free(&r);
    pool_free();
}

/* ---- linked models, Apple-only models, pipelines -------------------------------------------------------- */

static const cml_model *g_linked;
static const cml_model *test_link(void *user, const cml_op *op, char *why, size_t n) {
    (void)user;
    const cml_attr *f = cml_op_attr(op, "linkedModelFile.linkedModelFileName.defaultValue");
    if (!f || f->kind != CML_ATTR_STRING || strcmp(f->s, "target.mlmodel")) {
        snprintf(why, n, "not the test's file");
        return NULL;
    }
    return g_linked;
}

static void test_linked_model(void) {
    /* the target: y = 2x + 1 (a GLM regressor) */
    Cmlpb__Model *t = MODEL(1, 1, f_arr("x", NV(1)), F_DBL("y"));
    Cmlpb__GLMRegressor *g = P(GLMRegressor, GLMREGRESSOR);
    g->n_weights = 1;
    g->weights = pz(sizeof(void *));
    g->weights[0] = P(GLMRegressor__DoubleArray, GLMREGRESSOR__DOUBLE_ARRAY);
    g->weights[0]->n_value = 1;
    g->weights[0]->value = pdup((const double[]){2}, sizeof(double));
    g->n_offset = 1;
    g->offset = pdup((const double[]){1}, sizeof(double));
    t->type_case = CMLPB__MODEL__TYPE_GLM_REGRESSOR;
    t->glmregressor = g;
    res target;
    CHECK(load_as(&target, t, "target.mlmodel", NULL));
    g_linked = target.lm ? target.lm->model : NULL;
    Cmlpb__Model *m = MODEL(4, 1, f_arr("x", NV(1)), F_DBL("y"));
    Cmlpb__LinkedModel *lk = P(LinkedModel, LINKED_MODEL);
    lk->link_type_case = CMLPB__LINKED_MODEL__LINK_TYPE_LINKED_MODEL_FILE;
    lk->linkedmodelfile = P(LinkedModelFile, LINKED_MODEL_FILE);
    lk->linkedmodelfile->linkedmodelfilename = P(StringParameter, STRING_PARAMETER);
    lk->linkedmodelfile->linkedmodelfilename->defaultvalue = pstr("target.mlmodel");
    m->type_case = CMLPB__MODEL__TYPE_LINKED_MODEL;
    m->linkedmodel = lk;
    exec_opts o = nn_host_opts;
    o.io.link = test_link;
    res r;
    CHECK(load_as(&r, m, NULL, &o));
    float x = 3;
    exec_tensor in = t_num("x", &x, 1);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) VALUES(&r.o[0], 1e-6, 7);
    res_free(&r);
    /* without a resolver, or with a file the resolver does not find:
     * refused at prepare with the reason */
    CHECK(!load(&r, m) && strstr(r.err, "linkedModel (no resolver for linked models was given)"));
    res_free(&r);
    lk->linkedmodelfile->linkedmodelfilename->defaultvalue = pstr("other.mlmodel");
    CHECK(!load_as(&r, m, NULL, &o) && strstr(r.err, "linkedModel (not the test's file)"));
    res_free(&r);
    lk->linkedmodelfile->linkedmodelfilename->defaultvalue = pstr("target.mlmodel");
    /* a linked model the executor cannot run: its op is named */
    Cmlpb__Model *tc = MODEL(1, 1, F_STR("text"), F_STR("label"));
    tc->type_case = CMLPB__MODEL__TYPE_TEXT_CLASSIFIER;
    tc->textclassifier = P(TextClassifier, TEXT_CLASSIFIER);
    res apple;
    CHECK(!load_as(&apple, tc, "apple.mlmodel", NULL) && apple.lm && apple.lm->model);
    g_linked = apple.lm ? apple.lm->model : NULL;
    CHECK(!load_as(&r, m, NULL, &o) && strstr(r.err, "cannot run: textClassifier (needs Apple's implementation)"));
    res_free(&r);
    /* a model that links itself: the chain stops with a message */
    res self;
    CHECK(load_as(&self, m, "self.mlmodel", NULL) || self.lm);
    g_linked = self.lm ? self.lm->model : NULL;
    CHECK(!load_as(&r, m, NULL, &o) && strstr(r.err, "self.mlmodel links back to itself"));
    res_free(&r);
    res_free(&self);
    res_free(&apple);
    res_free(&target);
    pool_free();
}

static void test_apple_only(void) {
    static const struct {
        Cmlpb__Model__TypeCase tc;
        const char *kind;
    } kinds[] = {{CMLPB__MODEL__TYPE_VISION_FEATURE_PRINT, "visionFeaturePrint"},
                 {CMLPB__MODEL__TYPE_TEXT_CLASSIFIER, "textClassifier"},
                 {CMLPB__MODEL__TYPE_WORD_TAGGER, "wordTagger"},
                 {CMLPB__MODEL__TYPE_GAZETTEER, "gazetteer"},
                 {CMLPB__MODEL__TYPE_WORD_EMBEDDING, "wordEmbedding"},
                 {CMLPB__MODEL__TYPE_SOUND_ANALYSIS_PREPROCESSING, "soundAnalysisPreprocessing"},
                 {CMLPB__MODEL__TYPE_AUDIO_FEATURE_PRINT, "audioFeaturePrint"}};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        Cmlpb__Model *m = MODEL(6, 1, F_STR("in"), F_STR("out"));
        m->type_case = kinds[i].tc;
        /* every one of these oneof members is a message pointer: an empty one of any type serves */
        m->visionfeatureprint = (Cmlpb__VisionFeaturePrint *)P(Identity, IDENTITY);
        res r;
        CHECK(!load(&r, m));
        char want[128];
        snprintf(want, sizeof want, "%s (needs Apple's implementation)", kinds[i].kind);
        if (!strstr(r.err, want)) {
            fprintf(stderr, "  %s: %s\n", kinds[i].kind, r.err);
            check_failures_++;
        }
        res_free(&r);
    }
    Cmlpb__Model *m = MODEL(3, 1, F_STR("in"), F_STR("out"));
    m->type_case = CMLPB__MODEL__TYPE_CUSTOM_MODEL;
    m->custommodel = P(CustomModel, CUSTOM_MODEL);
    m->custommodel->classname = pstr("MyModel");
    res r;
    CHECK(!load(&r, m) && strstr(r.err, "customModel (custom model 'MyModel': needs the app's own implementation)"));
    res_free(&r);
    pool_free();
}

/* Create ML's tabular classifier layout: a sparse one-hot encoder of a
 * string feature, a feature vectorizer joining it with a number, a GLM
 * classifier; inputs generated by exec_make_inputs (the string one from the
 * encoder's categories) */
/* A GLM classifier stage x [1] -> label (string or int64), probabilities
 * (a dictionary keyed by the labels): p(second) = sigmoid(x), the second
 * class from x > 0. */
static Cmlpb__Model *glm2_stage(bool strings) {
    Cmlpb__Model *m = MODEL(1, 1, f_arr("x", NV(1)), strings ? F_STR("label") : F_I64("label"),
                            feat_dict("probs", strings));
    Cmlpb__GLMClassifier *gc = P(GLMClassifier, GLMCLASSIFIER);
    gc->n_weights = 1;
    gc->weights = pz(sizeof(void *));
    gc->weights[0] = P(GLMClassifier__DoubleArray, GLMCLASSIFIER__DOUBLE_ARRAY);
    gc->weights[0]->n_value = 1;
    gc->weights[0]->value = pdup((const double[]){1}, sizeof(double));
    gc->n_offset = 1;
    gc->offset = pdup((const double[]){0}, sizeof(double));
    if (strings) {
        gc->class_labels_case = CMLPB__GLMCLASSIFIER__CLASS_LABELS_STRING_CLASS_LABELS;
        gc->stringclasslabels = SVEC("cat", "dog");
    } else {
        gc->class_labels_case = CMLPB__GLMCLASSIFIER__CLASS_LABELS_INT64_CLASS_LABELS;
        gc->int64classlabels = IVEC(10, 20);
    }
    m->type_case = CMLPB__MODEL__TYPE_GLM_CLASSIFIER;
    m->glmclassifier = gc;
    return m;
}

static Cmlpb__Model *pipe2(Cmlpb__Model *outer, Cmlpb__Model *a, Cmlpb__Model *b) {
    Cmlpb__Pipeline *p = P(Pipeline, PIPELINE);
    p->n_models = 2;
    p->models = pz(2 * sizeof(void *));
    p->models[0] = a;
    p->models[1] = b;
    outer->type_case = CMLPB__MODEL__TYPE_PIPELINE;
    outer->pipeline = p;
    return outer;
}

/* What a classifier stage hands the next stage is its label's value and its
 * probabilities as a dictionary (a differential pass against scikit-learn
 * found each refused or wrong): an int64 label is the class, not its index;
 * a string label is a string; the probabilities feed a dictionary
 * vectorizer. And a lone int64 classifier's label is named by its class. */
static void test_classifier_stage_outputs(void) {
    res r;
    float x = 3;
    exec_tensor in = {.name = "x", .rank = 1, .shape = {1}, .data = &x};
    /* alone: the label is 20 (index 1) */
    CHECK(load(&r, glm2_stage(false)));
    CHECK(r.p && res_again(&r, EXEC_FP32, &in, 1));
    if (r.p && !r.rc) {
        const exec_tensor *lab = out_named(&r, "label");
        CHECK(lab && lab->data[0] == 1 && lab->label && !strcmp(lab->label, "20"));
    }
    res_free(&r);
    /* int64 label -> categoricalMapping int64ToString {1: one, 20: twenty} */
    Cmlpb__Model *cmm = MODEL(1, 1, F_I64("label"), F_STR("name"));
    Cmlpb__CategoricalMapping *cm = P(CategoricalMapping, CATEGORICAL_MAPPING);
    cm->mapping_type_case = CMLPB__CATEGORICAL_MAPPING__MAPPING_TYPE_INT64_TO_STRING_MAP;
    cm->int64tostringmap = P(Int64ToStringMap, INT64_TO_STRING_MAP);
    cm->int64tostringmap->n_map = 2;
    cm->int64tostringmap->map = pz(2 * sizeof(void *));
    const int64_t ks[2] = {1, 20};
    const char *vs[2] = {"one", "twenty"};
    for (int i = 0; i < 2; i++) {
        cm->int64tostringmap->map[i] = P(Int64ToStringMap__MapEntry, INT64_TO_STRING_MAP__MAP_ENTRY);
        cm->int64tostringmap->map[i]->key = ks[i];
        cm->int64tostringmap->map[i]->value = pstr(vs[i]);
    }
    cmm->type_case = CMLPB__MODEL__TYPE_CATEGORICAL_MAPPING;
    cmm->categoricalmapping = cm;
    CHECK(load(&r, pipe2(MODEL(1, 1, f_arr("x", NV(1)), F_STR("name")), glm2_stage(false), cmm)));
    CHECK(r.p && res_again(&r, EXEC_FP32, &in, 1));
    if (r.p && !r.rc) {
        const exec_tensor *nm = out_named(&r, "name");
        CHECK(nm && nm->strings && !strcmp(nm->strings[0], "twenty"));
    }
    res_free(&r);
    /* string label -> one-hot encoder over ["cat", "dog"] */
    Cmlpb__Model *ohm = MODEL(1, 1, F_STR("label"), f_arr("oh", NV(2)));
    Cmlpb__OneHotEncoder *oh = P(OneHotEncoder, ONE_HOT_ENCODER);
    oh->category_type_case = CMLPB__ONE_HOT_ENCODER__CATEGORY_TYPE_STRING_CATEGORIES;
    oh->stringcategories = SVEC("cat", "dog");
    ohm->type_case = CMLPB__MODEL__TYPE_ONE_HOT_ENCODER;
    ohm->onehotencoder = oh;
    CHECK(load(&r, pipe2(MODEL(1, 1, f_arr("x", NV(1)), f_arr("oh", NV(2))), glm2_stage(true), ohm)));
    CHECK(r.p && res_again(&r, EXEC_FP32, &in, 1));
    if (r.p && !r.rc) VALUES(out_named(&r, "oh"), 0, 0, 1);
    res_free(&r);
    /* probabilities -> dictVectorizer ["dog", "cat"] */
    Cmlpb__Model *dvm = MODEL(1, 1, feat_dict("probs", true), f_arr("v", NV(2)));
    Cmlpb__DictVectorizer *dv = P(DictVectorizer, DICT_VECTORIZER);
    dv->map_case = CMLPB__DICT_VECTORIZER__MAP_STRING_TO_INDEX;
    dv->stringtoindex = SVEC("dog", "cat");
    dvm->type_case = CMLPB__MODEL__TYPE_DICT_VECTORIZER;
    dvm->dictvectorizer = dv;
    CHECK(load(&r, pipe2(MODEL(1, 1, f_arr("x", NV(1)), f_arr("v", NV(2))), glm2_stage(true), dvm)));
    double pd = 1 / (1 + exp(-3.0));
    CHECK(r.p && res_again(&r, EXEC_FP32, &in, 1));
    if (r.p && !r.rc) VALUES(out_named(&r, "v"), 1e-6, pd, 1 - pd);
    res_free(&r);
    pool_free();
}

static void test_pipeline_generated(void) {
    Cmlpb__Model *oh_m = MODEL(1, 1, F_STR("station"), feat_dict("station_oh", false));
    Cmlpb__OneHotEncoder *oh = P(OneHotEncoder, ONE_HOT_ENCODER);
    oh->category_type_case = CMLPB__ONE_HOT_ENCODER__CATEGORY_TYPE_STRING_CATEGORIES;
    oh->stringcategories = SVEC("north", "south", "east");
    oh->outputsparse = 1;
    oh->handleunknown = CMLPB__ONE_HOT_ENCODER__HANDLE_UNKNOWN__IgnoreUnknown;
    oh_m->type_case = CMLPB__MODEL__TYPE_ONE_HOT_ENCODER;
    oh_m->onehotencoder = oh;
    Cmlpb__Model *fv_m = MODEL(1, 2, F_DBL("hour"), feat_dict("station_oh", false), f_arr("features", NV(4)));
    Cmlpb__FeatureVectorizer *fv = P(FeatureVectorizer, FEATURE_VECTORIZER);
    fv->n_inputlist = 2;
    fv->inputlist = pz(2 * sizeof(void *));
    const char *cols[2] = {"hour", "station_oh"};
    uint64_t dims[2] = {1, 3};
    for (int i = 0; i < 2; i++) {
        fv->inputlist[i] = P(FeatureVectorizer__InputColumn, FEATURE_VECTORIZER__INPUT_COLUMN);
        fv->inputlist[i]->inputcolumn = pstr(cols[i]);
        fv->inputlist[i]->inputdimensions = dims[i];
    }
    fv_m->type_case = CMLPB__MODEL__TYPE_FEATURE_VECTORIZER;
    fv_m->featurevectorizer = fv;
    Cmlpb__Model *glm_m = MODEL(1, 1, f_arr("features", NV(4)), F_I64("cls"), feat_dict("probs", false));
    Cmlpb__GLMClassifier *gc = P(GLMClassifier, GLMCLASSIFIER);
    gc->n_weights = 1;
    gc->weights = pz(sizeof(void *));
    gc->weights[0] = P(GLMClassifier__DoubleArray, GLMCLASSIFIER__DOUBLE_ARRAY);
    gc->weights[0]->n_value = 4;
    gc->weights[0]->value = pdup((const double[]){0.1, 1, -1, 2}, 4 * sizeof(double));
    gc->n_offset = 1;
    gc->offset = pdup((const double[]){-0.5}, sizeof(double));
    gc->class_labels_case = CMLPB__GLMCLASSIFIER__CLASS_LABELS_INT64_CLASS_LABELS;
    gc->int64classlabels = IVEC(0, 1);
    glm_m->type_case = CMLPB__MODEL__TYPE_GLM_CLASSIFIER;
    glm_m->glmclassifier = gc;
    Cmlpb__Model *m = MODEL(1, 2, F_DBL("hour"), F_STR("station"), F_I64("cls"), feat_dict("probs", false));
    Cmlpb__Pipeline *p = P(Pipeline, PIPELINE);
    p->n_models = 3;
    p->models = pz(3 * sizeof(void *));
    p->models[0] = oh_m;
    p->models[1] = fv_m;
    p->models[2] = glm_m;
    Cmlpb__PipelineClassifier *pc = P(PipelineClassifier, PIPELINE_CLASSIFIER);
    pc->pipeline = p;
    m->type_case = CMLPB__MODEL__TYPE_PIPELINE_CLASSIFIER;
    m->pipelineclassifier = pc;
    res r;
    CHECK(load(&r, m));
    exec_tensor *gen = NULL;
    size_t ngen = 0;
    char err[256];
    CHECK(r.lm && exec_make_inputs(r.lm->model, NULL, 3, &gen, &ngen, err, sizeof err) == 0 && ngen == 2);
    const exec_tensor *st = NULL, *hr = NULL;
    for (size_t i = 0; i < ngen; i++) {
        if (!strcmp(gen[i].name, "station")) st = &gen[i];
        if (!strcmp(gen[i].name, "hour")) hr = &gen[i];
    }
    CHECK(st && st->dtype == EXEC_DT_STRING && st->strings &&
          (!strcmp(st->strings[0], "north") || !strcmp(st->strings[0], "south") || !strcmp(st->strings[0], "east")));
    if (r.p && st && hr && res_again(&r, EXEC_FP32, gen, ngen)) {
        int pos = !strcmp(st->strings[0], "north") ? 0 : !strcmp(st->strings[0], "south") ? 1 : 2;
        double z = 0.1 * hr->data[0] + (pos == 0 ? 1 : pos == 1 ? -1 : 2) - 0.5, p1 = 1 / (1 + exp(-z));
        const exec_tensor *probs = out_named(&r, "probs");
        CHECK(probs && exec_tensor_count(probs) == 2);
        if (probs && exec_tensor_count(probs) == 2) CHECK_NEAR_(probs->data[1], p1);
    }
    exec_tensors_free(gen, ngen);
    res_free(&r);
    pool_free();
}

/* a pipeline whose first stage needs Apple's implementation: refused as a
 * whole, and with exec_opts.partial the stage becomes a stand-in (values in
 * [0,1) of the stage's declared output shape) and the GLM after it runs on
 * those values; a pipeline of Apple-only stages alone stays refused */
static void test_partial_pipeline(void) {
    Cmlpb__Model *vfp = MODEL(1, 1, F_STR("text"), f_arr("emb", NV(3)));
    vfp->type_case = CMLPB__MODEL__TYPE_WORD_EMBEDDING;
    vfp->wordembedding = P(WordEmbedding, WORD_EMBEDDING);
    Cmlpb__Model *glm = MODEL(1, 1, f_arr("emb", NV(3)), F_DBL("y"));
    Cmlpb__GLMRegressor *g = P(GLMRegressor, GLMREGRESSOR);
    g->n_weights = 1;
    g->weights = pz(sizeof(void *));
    g->weights[0] = P(GLMRegressor__DoubleArray, GLMREGRESSOR__DOUBLE_ARRAY);
    g->weights[0]->n_value = 3;
    g->weights[0]->value = pdup((const double[]){1, -2, 4}, 3 * sizeof(double));
    g->n_offset = 1;
    g->offset = pdup((const double[]){0.5}, sizeof(double));
    glm->type_case = CMLPB__MODEL__TYPE_GLM_REGRESSOR;
    glm->glmregressor = g;
    Cmlpb__Model *m = MODEL(4, 1, F_STR("text"), F_DBL("y"));
    Cmlpb__Pipeline *p = P(Pipeline, PIPELINE);
    p->n_models = 2;
    p->models = pz(2 * sizeof(void *));
    p->models[0] = vfp;
    p->models[1] = glm;
    Cmlpb__PipelineRegressor *pr = P(PipelineRegressor, PIPELINE_REGRESSOR);
    pr->pipeline = p;
    m->type_case = CMLPB__MODEL__TYPE_PIPELINE_REGRESSOR;
    m->pipelineregressor = pr;
    res r;
    CHECK(!load(&r, m) && strstr(r.err, "wordEmbedding (needs Apple's implementation)"));
    res_free(&r);
    exec_opts o = nn_host_opts;
    o.partial = true;
    CHECK(load_as(&r, m, NULL, &o));
    const cml_op *subst[4];
    CHECK(r.p && exec_plan_substituted(r.p, subst, 4) == 1 && !strcmp(subst[0]->kind, "wordEmbedding"));
    const char *words[1] = {"hello"};
    exec_tensor in = t_str("text", words, 1);
    if (r.p && res_again(&r, EXEC_FP32, &in, 1)) {
        const exec_tensor *y = out_named(&r, "y");
        /* the stand-in's values are in [0,1): y lies in 0.5 + [-2, 5] */
        CHECK(y && exec_tensor_count(y) == 1 && y->data[0] >= -1.5 && y->data[0] <= 5.5);
        /* deterministic: the same stand-in each run */
        float first = y ? y->data[0] : 0;
        if (res_again(&r, EXEC_FP32, &in, 1)) CHECK_NEAR_(out_named(&r, "y")->data[0], first);
    }
    res_free(&r);
    /* nothing left to run: refused even when partial */
    p->models[1] = MODEL(1, 1, f_arr("emb", NV(3)), F_DBL("y"));
    p->models[1]->type_case = CMLPB__MODEL__TYPE_AUDIO_FEATURE_PRINT;
    p->models[1]->audiofeatureprint = P(AudioFeaturePrint, AUDIO_FEATURE_PRINT);
    CHECK(!load_as(&r, m, NULL, &o) && strstr(r.err, "needs Apple's implementation"));
    res_free(&r);
    pool_free();
}

int main(void) {
    if (!tmp_make_dir(g_root, sizeof g_root, "cml_exec_cls_")) return 1;
    RUN(test_one_hot);
    RUN(test_dict_vectorizer);
    RUN(test_long_key_lists);
    RUN(test_knn_many_labels);
    RUN(test_categorical_mapping);
    RUN(test_imputer_strings_dicts);
    RUN(test_identity_cct);
    RUN(test_knn);
    RUN(test_nms_model);
    RUN(test_nms_pipeline_overrides);
    RUN(test_item_similarity);
    RUN(test_item_similarity_hostile);
    RUN(test_item_similarity_optional_lists);
    RUN(test_bayesian_probit);
    RUN(test_linked_model);
    RUN(test_apple_only);
    RUN(test_classifier_stage_outputs);
    RUN(test_pipeline_generated);
    RUN(test_partial_pipeline);
    tmp_remove_tree(g_root);
    return CHECK_DONE();
}
#endif

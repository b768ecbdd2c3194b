/* SPDX-License-Identifier: Apache-2.0 */
/* nn_model.h — NeuralNetwork test models for the executor's layer tests
 * (test_exec_nn.c and its siblings): protobuf-c messages from a pool,
 * packed into a temporary .mlmodel, loaded with loader_load and run; the
 * references of tests/refs/nn_refs.txt (written by tests/refs/
 * gen_nn_refs.py with NumPy / PyTorch) read by name; comparisons within
 * a relative tolerance. Needs CML_SOURCE_DIR (ctest sets it) for the
 * references. */
#ifndef CML_TEST_NN_MODEL_H
#define CML_TEST_NN_MODEL_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "exec_host_io.h"
#include "exec_internal.h"

static const exec_opts nn_host_opts = {.io = {.read = host_io_read, .stored_as = host_io_stored}};
static char g_root[256];
static int g_seq;

/* ---- message pool ----------------------------------------------------------------------- */

static void *g_pool[16384];
static size_t g_npool;

static inline void *pz(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p || g_npool == sizeof g_pool / sizeof *g_pool) abort();
    g_pool[g_npool++] = p;
    return p;
}
static inline void pool_free(void) {
    for (size_t i = 0; i < g_npool; i++) free(g_pool[i]);
    g_npool = 0;
}
static inline void *pdup(const void *src, size_t n) { return memcpy(pz(n), src, n); }
#define PNEW(T, INIT) ((T *)pdup(&(T)INIT, sizeof(T)))
static inline char *pstr(const char *s) { return strcpy(pz(strlen(s) + 1), s); }
static inline uint64_t *pu64v(size_t n, const int64_t *v) {
    uint64_t *o = pz(n * sizeof *o);
    for (size_t i = 0; i < n; i++) o[i] = (uint64_t)v[i];
    return o;
}
static inline int64_t *pi64v(size_t n, const int64_t *v) { return pdup(v, n * sizeof *v); }
static inline protobuf_c_boolean *pboolv(size_t n, const int64_t *v) {
    protobuf_c_boolean *o = pz(n * sizeof *o);
    for (size_t i = 0; i < n; i++) o[i] = v[i] != 0;
    return o;
}
#define NV(...) (sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), ((const int64_t[]){__VA_ARGS__})
#define NV_COUNT(...) (sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
/* repeated fields from a list: SET_LIST(p->stride, p->n_stride, U64, 1, 2) */
#define SET_LIST(field, nfield, kind, ...) ((field) = p##kind(NV(__VA_ARGS__)), (nfield) = NV_COUNT(__VA_ARGS__))
#define pU64 pu64v
#define pI64 pi64v
#define pBOOL pboolv

static inline Cmlpb__WeightParams *wp(size_t n, const float *v) {
    Cmlpb__WeightParams *w = PNEW(Cmlpb__WeightParams, CMLPB__WEIGHT_PARAMS__INIT);
    w->n_floatvalue = n;
    w->floatvalue = pdup(v, n * sizeof(float));
    return w;
}
#define WP(...) wp(sizeof((float[]){__VA_ARGS__}) / sizeof(float), (const float[]){__VA_ARGS__})

/* ---- models ------------------------------------------------------------------------------- */

typedef struct nnm {
    Cmlpb__Model *m;
    Cmlpb__ModelDescription *d;
    Cmlpb__NeuralNetwork *nn;
} nnm;

/* spec 4 with EXACT_ARRAY_MAPPING / RANK4_IMAGE_MAPPING (exact), or spec 1
 * with the rank-5 mappings */
static inline nnm nnm_new(bool exact) {
    nnm b;
    b.m = PNEW(Cmlpb__Model, CMLPB__MODEL__INIT);
    b.m->specificationversion = exact ? 5 : 1;
    b.d = PNEW(Cmlpb__ModelDescription, CMLPB__MODEL_DESCRIPTION__INIT);
    b.m->description = b.d;
    b.nn = PNEW(Cmlpb__NeuralNetwork, CMLPB__NEURAL_NETWORK__INIT);
    if (exact) {
        b.nn->arrayinputshapemapping = CMLPB__NEURAL_NETWORK_MULTI_ARRAY_SHAPE_MAPPING__EXACT_ARRAY_MAPPING;
        b.nn->imageinputshapemapping = CMLPB__NEURAL_NETWORK_IMAGE_SHAPE_MAPPING__RANK4_IMAGE_MAPPING;
    }
    b.m->type_case = CMLPB__MODEL__TYPE_NEURAL_NETWORK;
    b.m->neuralnetwork = b.nn;
    return b;
}

static inline Cmlpb__FeatureDescription *nn_feat(const char *name, size_t rank, const int64_t *dims) {
    Cmlpb__FeatureDescription *f = PNEW(Cmlpb__FeatureDescription, CMLPB__FEATURE_DESCRIPTION__INIT);
    f->name = pstr(name);
    Cmlpb__FeatureType *t = PNEW(Cmlpb__FeatureType, CMLPB__FEATURE_TYPE__INIT);
    Cmlpb__ArrayFeatureType *a = PNEW(Cmlpb__ArrayFeatureType, CMLPB__ARRAY_FEATURE_TYPE__INIT);
    a->datatype = CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__FLOAT32;
    a->n_shape = rank;
    a->shape = rank ? pi64v(rank, dims) : NULL;
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_MULTI_ARRAY_TYPE;
    t->multiarraytype = a;
    f->type = t;
    return f;
}

static inline void feat_push(Cmlpb__FeatureDescription ***arr, size_t *n, Cmlpb__FeatureDescription *f) {
    Cmlpb__FeatureDescription **na = pz((*n + 1) * sizeof *na);
    if (*n) memcpy(na, *arr, *n * sizeof *na);
    na[(*n)++] = f;
    *arr = na;
}
static inline void nnm_input(nnm *b, const char *name, size_t rank, const int64_t *dims) {
    feat_push(&b->d->input, &b->d->n_input, nn_feat(name, rank, dims));
}
static inline void nnm_output(nnm *b, const char *name) { feat_push(&b->d->output, &b->d->n_output, nn_feat(name, 0, NULL)); }

/* a scalar feature: double, int64 or string (kind) */
static inline Cmlpb__FeatureDescription *feat_scalar(const char *name, Cmlpb__FeatureType__TypeCase kind) {
    Cmlpb__FeatureDescription *f = PNEW(Cmlpb__FeatureDescription, CMLPB__FEATURE_DESCRIPTION__INIT);
    f->name = pstr(name);
    Cmlpb__FeatureType *t = PNEW(Cmlpb__FeatureType, CMLPB__FEATURE_TYPE__INIT);
    t->type_case = kind;
    if (kind == CMLPB__FEATURE_TYPE__TYPE_DOUBLE_TYPE) t->doubletype = PNEW(Cmlpb__DoubleFeatureType, CMLPB__DOUBLE_FEATURE_TYPE__INIT);
    else if (kind == CMLPB__FEATURE_TYPE__TYPE_INT64_TYPE) t->int64type = PNEW(Cmlpb__Int64FeatureType, CMLPB__INT64_FEATURE_TYPE__INIT);
    else t->stringtype = PNEW(Cmlpb__StringFeatureType, CMLPB__STRING_FEATURE_TYPE__INIT);
    f->type = t;
    return f;
}

/* a dictionary feature with string or int64 keys */
static inline Cmlpb__FeatureDescription *feat_dict(const char *name, bool string_keys) {
    Cmlpb__FeatureDescription *f = PNEW(Cmlpb__FeatureDescription, CMLPB__FEATURE_DESCRIPTION__INIT);
    f->name = pstr(name);
    Cmlpb__FeatureType *t = PNEW(Cmlpb__FeatureType, CMLPB__FEATURE_TYPE__INIT);
    Cmlpb__DictionaryFeatureType *d = PNEW(Cmlpb__DictionaryFeatureType, CMLPB__DICTIONARY_FEATURE_TYPE__INIT);
    if (string_keys) {
        d->key_type_case = CMLPB__DICTIONARY_FEATURE_TYPE__KEY_TYPE_STRING_KEY_TYPE;
        d->stringkeytype = PNEW(Cmlpb__StringFeatureType, CMLPB__STRING_FEATURE_TYPE__INIT);
    } else {
        d->key_type_case = CMLPB__DICTIONARY_FEATURE_TYPE__KEY_TYPE_INT64_KEY_TYPE;
        d->int64keytype = PNEW(Cmlpb__Int64FeatureType, CMLPB__INT64_FEATURE_TYPE__INIT);
    }
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_DICTIONARY_TYPE;
    t->dictionarytype = d;
    f->type = t;
    return f;
}

static inline char **name_list(const char *csv, size_t *n) {
    char **v = pz(16 * sizeof *v);
    *n = 0;
    if (!csv || !*csv) return v;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", csv);
    for (char *tok = strtok(buf, ","); tok && *n < 16; tok = strtok(NULL, ",")) v[(*n)++] = pstr(tok);
    return v;
}

/* a layer appended to `net` (the model's network or a nested one) with the
 * parameters message `params` of the oneof field `lc` (every member of
 * the layer's union is a message pointer) */
static inline Cmlpb__NeuralNetworkLayer *nn_add(Cmlpb__NeuralNetwork *net, const char *name, const char *ins, const char *outs,
                                         Cmlpb__NeuralNetworkLayer__LayerCase lc, void *params) {
    Cmlpb__NeuralNetworkLayer *l = PNEW(Cmlpb__NeuralNetworkLayer, CMLPB__NEURAL_NETWORK_LAYER__INIT);
    l->name = pstr(name);
    l->input = name_list(ins, &l->n_input);
    l->output = name_list(outs, &l->n_output);
    l->layer_case = lc;
    l->convolution = (Cmlpb__ConvolutionLayerParams *)params;
    Cmlpb__NeuralNetworkLayer **nl = pz((net->n_layers + 1) * sizeof *nl);
    if (net->n_layers) memcpy(nl, net->layers, net->n_layers * sizeof *nl);
    nl[net->n_layers++] = l;
    net->layers = nl;
    return l;
}
#define P(T, U) PNEW(Cmlpb__##T, CMLPB__##U##__INIT)
#define LC(name) CMLPB__NEURAL_NETWORK_LAYER__LAYER_##name

/* ---- running ------------------------------------------------------------------------------ */

typedef struct res {
    lmodel *lm;
    exec_plan *p;
    exec_tensor *o;
    size_t n;
    exec_stats st;
    int rc;
    char err[1024];
} res;

static inline void res_free(res *r) {
    exec_tensors_free(r->o, r->n);
    exec_plan_free(r->p);
    loader_free(r->lm);
    memset(r, 0, sizeof *r);
}

static inline bool res_again(res *r, exec_mode mode, const exec_tensor *in, size_t n_in) {
    exec_tensors_free(r->o, r->n);
    r->o = NULL;
    r->n = 0;
    r->rc = exec_run(r->p, mode, in, n_in, &r->o, &r->n, &r->st);
    if (r->rc) snprintf(r->err, sizeof r->err, "%s", exec_last_error(r->p));
    return r->rc == 0;
}

/* load b (written to a temporary .mlmodel); prepare with opts (NULL:
 * defaults); false with r->err on failure */
static inline bool model_prepare(res *r, const Cmlpb__Model *m, const exec_opts *opts) {
    memset(r, 0, sizeof *r);
    size_t len = cmlpb__model__get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return false;
    cmlpb__model__pack(m, buf);
    char path[600];
    snprintf(path, sizeof path, "%s/m%d.mlmodel", g_root, g_seq++);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, len, f);
        fclose(f);
    }
    free(buf);
    r->lm = loader_load(path, NULL);
    if (!r->lm || !r->lm->model) {
        snprintf(r->err, sizeof r->err, "load failed");
        return false;
    }
    r->p = exec_prepare(r->lm->model, NULL, opts ? opts : &nn_host_opts, r->err, sizeof r->err);
    return r->p != NULL;
}
static inline bool nnm_prepare(res *r, nnm *b, const exec_opts *opts) { return model_prepare(r, b->m, opts); }

static inline bool nnm_run(res *r, nnm *b, const exec_tensor *in, size_t n_in, exec_mode mode) {
    if (!nnm_prepare(r, b, NULL)) {
        fprintf(stderr, "prepare failed: %s\n", r->err);
        return false;
    }
    if (!res_again(r, mode, in, n_in)) {
        fprintf(stderr, "run failed: %s\n", r->err);
        return false;
    }
    return true;
}

#define TS(nm, dat, ...)                                                                                     \
    ((exec_tensor){.name = nm, .rank = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),       \
                   .shape = {__VA_ARGS__}, .data = (float *)(dat)})

/* the output named `name` */
static inline const exec_tensor *out_named(const res *r, const char *name) {
    for (size_t i = 0; i < r->n; i++)
        if (r->o[i].name && !strcmp(r->o[i].name, name)) return &r->o[i];
    return NULL;
}

/* |got - want| <= tol * max(1, |want|) for every value; shape when rank >= 0 */
static inline void expect_tensor(const exec_tensor *t, int rank, const int64_t *dims, const float *want, size_t n, double tol,
                          const char *what, int line) {
    if (!t) {
        fprintf(stderr, "line %d (%s): output missing\n", line, what);
        check_failures_++;
        return;
    }
    if (rank >= 0) {
        bool ok = t->rank == rank;
        for (int k = 0; ok && k < rank; k++) ok = t->shape[k] == dims[k];
        if (!ok) {
            fprintf(stderr, "line %d (%s): shape [", line, what);
            for (int k = 0; k < t->rank; k++) fprintf(stderr, "%s%lld", k ? "," : "", (long long)t->shape[k]);
            fprintf(stderr, "], expected [");
            for (int k = 0; k < rank; k++) fprintf(stderr, "%s%lld", k ? "," : "", (long long)dims[k]);
            fprintf(stderr, "]\n");
            check_failures_++;
            return;
        }
    }
    size_t got = exec_tensor_count(t);
    if (got != n) {
        fprintf(stderr, "line %d (%s): %zu values, expected %zu\n", line, what, got, n);
        check_failures_++;
        return;
    }
    for (size_t k = 0; k < n; k++) {
        double a = t->data[k], b = want[k];
        double lim = tol * (fabs(b) > 1 ? fabs(b) : 1);
        if (!(fabs(a - b) <= lim) && !(a == b) && !(a != a && b != b)) {
            fprintf(stderr, "line %d (%s): [%zu] = %.9g, expected %.9g (tol %.3g)\n", line, what, k, a, b, lim);
            check_failures_++;
            return;
        }
    }
}
#define EXPECT_OUT(r, name, tol, ...)                                                                        \
    do {                                                                                                     \
        const float w_[] = {__VA_ARGS__};                                                                    \
        expect_tensor(out_named((r), (name)), -1, NULL, w_, sizeof w_ / sizeof *w_, (tol), (name), __LINE__); \
    } while (0)
#define EXPECT_SHAPE(r, name, ...)                                                                           \
    do {                                                                                                     \
        const exec_tensor *t_ = out_named((r), (name));                                                      \
        const int64_t d_[] = {__VA_ARGS__};                                                                  \
        int rk_ = (int)(sizeof d_ / sizeof *d_);                                                             \
        bool ok_ = t_ && t_->rank == rk_;                                                                    \
        for (int k_ = 0; ok_ && k_ < rk_; k_++) ok_ = t_->shape[k_] == d_[k_];                               \
        if (!ok_) {                                                                                          \
            fprintf(stderr, "line %d: output %s has the wrong shape\n", __LINE__, (name));                   \
            check_failures_++;                                                                               \
        }                                                                                                    \
    } while (0)

/* ---- references (tests/refs/nn_refs.txt) ------------------------------------------------------ */

typedef struct reft {
    char name[64];
    int rank;
    int64_t dim[8];
    size_t n;
    float *v;
} reft;

static reft *g_refs;
static size_t g_nrefs;

/* Lines "NAME RANK D0 .. D(RANK-1) V0 V1 ..." ('#' comments). */
static inline bool refs_load(void) {
    const char *src = getenv("CML_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/refs/nn_refs.txt", src ? src : ".");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return false;
    }
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        if (line[0] == '#' || line[0] == '\n') continue;
        if (g_nrefs == cap) {
            cap = cap ? cap * 2 : 64;
            g_refs = realloc(g_refs, cap * sizeof *g_refs);
        }
        reft *r = &g_refs[g_nrefs];
        memset(r, 0, sizeof *r);
        char *p = line, *e;
        int k = 0;
        while (*p && *p != ' ' && k < 63) r->name[k++] = *p++;
        r->rank = (int)strtol(p, &e, 10);
        p = e;
        size_t n = 1;
        for (int i = 0; i < r->rank && i < 8; i++) {
            r->dim[i] = strtoll(p, &e, 10);
            p = e;
            n *= (size_t)r->dim[i];
        }
        r->n = n;
        r->v = malloc((n ? n : 1) * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            r->v[i] = strtof(p, &e);
            p = e;
        }
        g_nrefs++;
    }
    free(line);
    fclose(f);
    return g_nrefs > 0;
}

static inline void refs_free(void) {
    for (size_t i = 0; i < g_nrefs; i++) free(g_refs[i].v);
    free(g_refs);
    g_refs = NULL;
    g_nrefs = 0;
}

static inline const reft *ref(const char *name) {
    for (size_t i = 0; i < g_nrefs; i++)
        if (!strcmp(g_refs[i].name, name)) return &g_refs[i];
    fprintf(stderr, "reference '%s' missing from nn_refs.txt\n", name);
    check_failures_++;
    static reft empty;
    return &empty;
}

/* an input tensor viewing a reference */
static inline exec_tensor ref_in(const char *tensor_name, const char *ref_name) {
    const reft *r = ref(ref_name);
    exec_tensor t = {.name = tensor_name, .rank = r->rank, .data = r->v};
    for (int i = 0; i < r->rank; i++) t.shape[i] = r->dim[i];
    return t;
}

/* a WeightParams holding a reference's values */
static inline Cmlpb__WeightParams *ref_wp(const char *name) {
    const reft *r = ref(name);
    return wp(r->n, r->v);
}

/* output `out` against reference `name` (values and shape) */
static inline void expect_ref_line(const res *r, const char *out, const char *name, double tol, int line) {
    const reft *w = ref(name);
    expect_tensor(out_named(r, out), w->rank, w->dim, w->v, w->n, tol, name, line);
}
#define EXPECT_REF(r, out, name, tol) expect_ref_line((r), (out), (name), (tol), __LINE__)

#endif

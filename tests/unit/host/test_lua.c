/* SPDX-License-Identifier: Apache-2.0 */
/* test_lua.c — the Lua rule engine end to end: sandbox surface, hostile
 * rules, the rule API, the bundled Lua rules and the house-rule examples.
 *
 * Models are written by this file (protobuf-c, our schema) into a temporary
 * folder, so every rule has a fixture that must fire it and one that must
 * not without depending on other targets; the fixture writer's examples
 * (CML_BUILD_DIR/examples) and the corpus (CML_CORPUS_DIR) are used when
 * present and skipped otherwise. Rules are loaded through the public
 * host.h entry points (luarule_load_file / luarule_load_dir) into a
 * registry and run by run_check, exactly as the CLI does. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "Model.pb-c.h"
#include "NeuralNetwork.pb-c.h"
#include "CustomModel.pb-c.h"
#include "check.h"
#include "tmptree.h"
#include "cli/sources.h"
#include "host/ctx.h"
#include "host/lua/engine.h"
#include "host/run.h"
#include "host/so/engine.h"
#include "host/util.h"
#include "host/lua/sandbox.h"

static char g_src[1024];      /* CML_SOURCE_DIR */
static char g_tmp[256];       /* our fixture folder */

/* ---- a tiny allocation pool for protobuf-c messages ---------------------- */

static void **pool_v;
static size_t pool_n, pool_cap;

static void *A(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p) abort();
    if (pool_n == pool_cap) {
        pool_cap = pool_cap ? pool_cap * 2 : 256;
        pool_v = realloc(pool_v, pool_cap * sizeof *pool_v);
        if (!pool_v) abort();
    }
    pool_v[pool_n++] = p;
    return p;
}

static void pool_free(void) {
    for (size_t i = 0; i < pool_n; i++) free(pool_v[i]);
    free(pool_v);
    pool_v = NULL;
    pool_n = pool_cap = 0;
}

#define NEW(T, INIT) ((T *)memcpy(A(sizeof(T)), &(T)INIT, sizeof(T)))

static char *S(const char *s) { return strcpy(A(strlen(s) + 1), s); }

static char **strs(size_t n, ...) {
    char **v = A(n * sizeof *v);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) v[i] = S(va_arg(ap, const char *));
    va_end(ap);
    return v;
}

/* ---- model builders ------------------------------------------------------ */

static Cmlpb__FeatureDescription *fd_array(const char *name, int64_t n) {
    Cmlpb__ArrayFeatureType *a = NEW(Cmlpb__ArrayFeatureType, CMLPB__ARRAY_FEATURE_TYPE__INIT);
    a->datatype = CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__DOUBLE;
    a->n_shape = 1;
    a->shape = A(sizeof *a->shape);
    a->shape[0] = n;
    Cmlpb__FeatureType *t = NEW(Cmlpb__FeatureType, CMLPB__FEATURE_TYPE__INIT);
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_MULTI_ARRAY_TYPE;
    t->multiarraytype = a;
    Cmlpb__FeatureDescription *f = NEW(Cmlpb__FeatureDescription, CMLPB__FEATURE_DESCRIPTION__INIT);
    f->name = S(name);
    f->type = t;
    return f;
}

static Cmlpb__FeatureDescription *fd_image(const char *name, int64_t w, int64_t h,
                                           Cmlpb__ImageFeatureType__ColorSpace cs) {
    Cmlpb__ImageFeatureType *im = NEW(Cmlpb__ImageFeatureType, CMLPB__IMAGE_FEATURE_TYPE__INIT);
    im->width = w;
    im->height = h;
    im->colorspace = cs;
    Cmlpb__FeatureType *t = NEW(Cmlpb__FeatureType, CMLPB__FEATURE_TYPE__INIT);
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_IMAGE_TYPE;
    t->imagetype = im;
    Cmlpb__FeatureDescription *f = NEW(Cmlpb__FeatureDescription, CMLPB__FEATURE_DESCRIPTION__INIT);
    f->name = S(name);
    f->type = t;
    return f;
}

static Cmlpb__FeatureDescription *fd_dict(const char *name) {
    Cmlpb__DictionaryFeatureType *d = NEW(Cmlpb__DictionaryFeatureType, CMLPB__DICTIONARY_FEATURE_TYPE__INIT);
    d->key_type_case = CMLPB__DICTIONARY_FEATURE_TYPE__KEY_TYPE_STRING_KEY_TYPE;
    d->stringkeytype = NEW(Cmlpb__StringFeatureType, CMLPB__STRING_FEATURE_TYPE__INIT);
    Cmlpb__FeatureType *t = NEW(Cmlpb__FeatureType, CMLPB__FEATURE_TYPE__INIT);
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_DICTIONARY_TYPE;
    t->dictionarytype = d;
    Cmlpb__FeatureDescription *f = NEW(Cmlpb__FeatureDescription, CMLPB__FEATURE_DESCRIPTION__INIT);
    f->name = S(name);
    f->type = t;
    return f;
}

static Cmlpb__FeatureDescription *fd_string(const char *name) {
    Cmlpb__FeatureType *t = NEW(Cmlpb__FeatureType, CMLPB__FEATURE_TYPE__INIT);
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_STRING_TYPE;
    t->stringtype = NEW(Cmlpb__StringFeatureType, CMLPB__STRING_FEATURE_TYPE__INIT);
    Cmlpb__FeatureDescription *f = NEW(Cmlpb__FeatureDescription, CMLPB__FEATURE_DESCRIPTION__INIT);
    f->name = S(name);
    f->type = t;
    return f;
}

static Cmlpb__Metadata *metadata(const char *author, const char *license, const char *desc) {
    Cmlpb__Metadata *m = NEW(Cmlpb__Metadata, CMLPB__METADATA__INIT);
    m->author = S(author);
    m->license = S(license);
    m->shortdescription = S(desc);
    m->versionstring = S("1.0");
    Cmlpb__Metadata__UserDefinedEntry *e =
        NEW(Cmlpb__Metadata__UserDefinedEntry, CMLPB__METADATA__USER_DEFINED_ENTRY__INIT);
    e->key = S("team");
    e->value = S("vision");
    m->n_userdefined = 1;
    m->userdefined = A(sizeof *m->userdefined);
    m->userdefined[0] = e;
    return m;
}

static Cmlpb__ModelDescription *desc(size_t n_in, Cmlpb__FeatureDescription **in, size_t n_out,
                                     Cmlpb__FeatureDescription **out, Cmlpb__Metadata *md) {
    Cmlpb__ModelDescription *d = NEW(Cmlpb__ModelDescription, CMLPB__MODEL_DESCRIPTION__INIT);
    d->n_input = n_in;
    d->input = in;
    d->n_output = n_out;
    d->output = out;
    d->metadata = md;
    return d;
}

static Cmlpb__FeatureDescription **fds(size_t n, ...) {
    Cmlpb__FeatureDescription **v = A(n * sizeof *v);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) v[i] = va_arg(ap, Cmlpb__FeatureDescription *);
    va_end(ap);
    return v;
}

static Cmlpb__NeuralNetworkLayer *layer(const char *name, const char *in, const char *out) {
    Cmlpb__NeuralNetworkLayer *l = NEW(Cmlpb__NeuralNetworkLayer, CMLPB__NEURAL_NETWORK_LAYER__INIT);
    l->name = S(name);
    l->n_input = 1;
    l->input = strs(1, in);
    l->n_output = 1;
    l->output = strs(1, out);
    return l;
}

static Cmlpb__WeightParams *floats(size_t n, float first) {
    Cmlpb__WeightParams *w = NEW(Cmlpb__WeightParams, CMLPB__WEIGHT_PARAMS__INIT);
    w->n_floatvalue = n;
    w->floatvalue = A(n * sizeof *w->floatvalue);
    for (size_t i = 0; i < n; i++) w->floatvalue[i] = i == 0 ? first : i == 1 ? -1.0f : 0.25f * (float)i;
    return w;
}

static Cmlpb__NeuralNetworkLayer *l_inner(const char *name, const char *in, const char *out, uint64_t ic,
                                          uint64_t oc) {
    Cmlpb__NeuralNetworkLayer *l = layer(name, in, out);
    Cmlpb__InnerProductLayerParams *p = NEW(Cmlpb__InnerProductLayerParams, CMLPB__INNER_PRODUCT_LAYER_PARAMS__INIT);
    p->inputchannels = ic;
    p->outputchannels = oc;
    p->hasbias = 1;
    p->weights = floats(ic * oc, 0.5f);
    p->bias = floats(oc, 0.0f);
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_INNER_PRODUCT;
    l->innerproduct = p;
    return l;
}

static Cmlpb__NeuralNetworkLayer *l_relu(const char *name, const char *in, const char *out) {
    Cmlpb__NeuralNetworkLayer *l = layer(name, in, out);
    Cmlpb__ActivationParams *p = NEW(Cmlpb__ActivationParams, CMLPB__ACTIVATION_PARAMS__INIT);
    p->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_RE_LU;
    p->relu = NEW(Cmlpb__ActivationReLU, CMLPB__ACTIVATION_RE_LU__INIT);
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_ACTIVATION;
    l->activation = p;
    return l;
}

static Cmlpb__NeuralNetworkLayer *l_softmax(const char *name, const char *in, const char *out) {
    Cmlpb__NeuralNetworkLayer *l = layer(name, in, out);
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_SOFTMAX;
    l->softmax = NEW(Cmlpb__SoftmaxLayerParams, CMLPB__SOFTMAX_LAYER_PARAMS__INIT);
    return l;
}

static Cmlpb__NeuralNetworkLayer *l_custom(const char *name, const char *in, const char *out, const char *cls) {
    Cmlpb__NeuralNetworkLayer *l = layer(name, in, out);
    Cmlpb__CustomLayerParams *p = NEW(Cmlpb__CustomLayerParams, CMLPB__CUSTOM_LAYER_PARAMS__INIT);
    p->classname = S(cls);
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_CUSTOM;
    l->custom = p;
    return l;
}

static Cmlpb__NeuralNetworkLayer *l_random(const char *name, const char *in, const char *out, int64_t seed) {
    Cmlpb__NeuralNetworkLayer *l = layer(name, in, out);
    Cmlpb__RandomNormalLikeLayerParams *p =
        NEW(Cmlpb__RandomNormalLikeLayerParams, CMLPB__RANDOM_NORMAL_LIKE_LAYER_PARAMS__INIT);
    p->seed = seed;
    p->stddev = 1.0f;
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_RANDOM_NORMAL_LIKE;
    l->randomnormallike = p;
    return l;
}

static Cmlpb__NeuralNetworkLayer **layers(size_t n, ...) {
    Cmlpb__NeuralNetworkLayer **v = A(n * sizeof *v);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) v[i] = va_arg(ap, Cmlpb__NeuralNetworkLayer *);
    va_end(ap);
    return v;
}

static Cmlpb__Model *nn_model(int spec, Cmlpb__ModelDescription *d, size_t n, Cmlpb__NeuralNetworkLayer **ls) {
    Cmlpb__NeuralNetwork *nn = NEW(Cmlpb__NeuralNetwork, CMLPB__NEURAL_NETWORK__INIT);
    nn->n_layers = n;
    nn->layers = ls;
    Cmlpb__Model *m = NEW(Cmlpb__Model, CMLPB__MODEL__INIT);
    m->specificationversion = spec;
    m->description = d;
    m->type_case = CMLPB__MODEL__TYPE_NEURAL_NETWORK;
    m->neuralnetwork = nn;
    return m;
}

/* x[4] -> fc1 (4->3) -> relu -> y[3], full metadata */
static Cmlpb__Model *plain_model(Cmlpb__Metadata *md) {
    return nn_model(4, desc(1, fds(1, fd_array("x", 4)), 1, fds(1, fd_array("y", 3)), md), 2,
                    layers(2, l_inner("fc1", "x", "h", 4, 3), l_relu("relu", "h", "y")));
}

static Cmlpb__Model *classifier_model(size_t n_labels, const char *const *labels, uint64_t classes) {
    Cmlpb__NeuralNetworkClassifier *c = NEW(Cmlpb__NeuralNetworkClassifier, CMLPB__NEURAL_NETWORK_CLASSIFIER__INIT);
    c->n_layers = 2;
    c->layers = layers(2, l_inner("fc", "x", "logits", 4, classes), l_softmax("softmax", "logits", "probs"));
    Cmlpb__StringVector *sv = NEW(Cmlpb__StringVector, CMLPB__STRING_VECTOR__INIT);
    sv->n_vector = n_labels;
    sv->vector = A((n_labels ? n_labels : 1) * sizeof *sv->vector);
    for (size_t i = 0; i < n_labels; i++) sv->vector[i] = S(labels[i]);
    c->class_labels_case = CMLPB__NEURAL_NETWORK_CLASSIFIER__CLASS_LABELS_STRING_CLASS_LABELS;
    c->stringclasslabels = sv;
    Cmlpb__ModelDescription *d = desc(1, fds(1, fd_array("x", 4)), 2, fds(2, fd_dict("probs"), fd_string("label")),
                                      metadata("Ann", "MIT", "classifier"));
    d->predictedfeaturename = S("label");
    d->predictedprobabilitiesname = S("probs");
    Cmlpb__Model *m = NEW(Cmlpb__Model, CMLPB__MODEL__INIT);
    m->specificationversion = 4;
    m->description = d;
    m->type_case = CMLPB__MODEL__TYPE_NEURAL_NETWORK_CLASSIFIER;
    m->neuralnetworkclassifier = c;
    return m;
}

/* image input -> relu; scaler when scale != 0 */
static Cmlpb__Model *image_model(Cmlpb__ImageFeatureType__ColorSpace cs, float scale, float r, float g, float b) {
    Cmlpb__Model *m = nn_model(4, desc(1, fds(1, fd_image("image", 32, 32, cs)), 1, fds(1, fd_array("y", 3)),
                                       metadata("Ann", "MIT", "image")),
                               1, layers(1, l_relu("relu", "image", "y")));
    if (scale != 0) {
        Cmlpb__NeuralNetworkImageScaler *sc = NEW(Cmlpb__NeuralNetworkImageScaler, CMLPB__NEURAL_NETWORK_IMAGE_SCALER__INIT);
        sc->channelscale = scale;
        sc->redbias = r;
        sc->greenbias = g;
        sc->bluebias = b;
        Cmlpb__NeuralNetworkPreprocessing *p =
            NEW(Cmlpb__NeuralNetworkPreprocessing, CMLPB__NEURAL_NETWORK_PREPROCESSING__INIT);
        p->featurename = S("image");
        p->preprocessor_case = CMLPB__NEURAL_NETWORK_PREPROCESSING__PREPROCESSOR_SCALER;
        p->scaler = sc;
        m->neuralnetwork->n_preprocessing = 1;
        m->neuralnetwork->preprocessing = A(sizeof *m->neuralnetwork->preprocessing);
        m->neuralnetwork->preprocessing[0] = p;
    }
    return m;
}

static Cmlpb__Model *custom_model(void) {
    Cmlpb__CustomModel *c = NEW(Cmlpb__CustomModel, CMLPB__CUSTOM_MODEL__INIT);
    c->classname = S("MyCustomModel");
    Cmlpb__Model *m = NEW(Cmlpb__Model, CMLPB__MODEL__INIT);
    m->specificationversion = 3;
    m->description = desc(1, fds(1, fd_array("x", 4)), 1, fds(1, fd_array("y", 3)), metadata("Ann", "MIT", "custom"));
    m->type_case = CMLPB__MODEL__TYPE_CUSTOM_MODEL;
    m->custommodel = c;
    return m;
}

/* Write m as g_tmp/name; returns the path (static buffer rotation). */
static const char *write_model(const char *name, const Cmlpb__Model *m) {
    static char paths[64][512];
    static int next;
    char *path = paths[next++ % 64];
    snprintf(path, 512, "%s/%s", g_tmp, name);
    size_t n = cmlpb__model__get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    cmlpb__model__pack(m, buf);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n) {
        fprintf(stderr, "cannot write %s\n", path);
        abort();
    }
    fclose(f);
    free(buf);
    return path;
}

/* ---- running rules ------------------------------------------------------- */

typedef struct outcome {
    registry *reg;
    run_result *res;
} outcome;

static void outcome_free(outcome *o) {
    run_result_free(o->res);
    registry_free(o->reg);
    o->res = NULL;
    o->reg = NULL;
}

static void print_outcome(const outcome *o) {
    for (size_t i = 0; o->res && i < o->res->n_notes; i++) {
        const notification *n = o->res->notes[i];
        fprintf(stderr, "    note: %s [%s] x%zu %s: %s\n", n->kind, n->rule_id ? n->rule_id : "-", n->count,
                n->model_path ? n->model_path : "-", n->message);
    }
    for (size_t i = 0; o->res && i < o->res->n_findings && i < 40; i++) {
        const finding *f = o->res->findings[i];
        fprintf(stderr, "    finding: %s %s %s: %s\n", f->rule_id, level_name(f->level), f->model_path, f->message);
    }
}

/* Load the given rule files (absolute paths), run them over the models. */
static outcome run_files(size_t n_rules, const char *const *rules, size_t n_models, const char *const *models) {
    outcome o = {registry_new(), NULL};
    for (size_t i = 0; i < n_rules; i++) luarule_load_file(o.reg, rules[i], NULL, NULL);
    char err[256] = "";
    o.res = run_check(o.reg, NULL, models, n_models, NULL, err, sizeof err);
    if (!o.res) fprintf(stderr, "run_check: %s\n", err);
    return o;
}

static size_t count_findings(const outcome *o, const char *rule, const char *model_suffix, int level,
                             const char *needle) {
    size_t n = 0;
    for (size_t i = 0; o->res && i < o->res->n_findings; i++) {
        const finding *f = o->res->findings[i];
        if (strcmp(f->rule_id, rule) != 0) continue;
        if (model_suffix) {
            size_t a = strlen(f->model_path), b = strlen(model_suffix);
            if (a < b || strcmp(f->model_path + a - b, model_suffix) != 0) continue;
        }
        if (level && f->level != level) continue;
        if (needle && !strstr(f->message, needle)) continue;
        n++;
    }
    return n;
}

static const notification *find_note(const outcome *o, const char *rule, const char *kind, const char *model_suffix,
                                     size_t *n_matching) {
    const notification *hit = NULL;
    size_t n = 0;
    for (size_t i = 0; o->res && i < o->res->n_notes; i++) {
        const notification *x = o->res->notes[i];
        if (rule && (!x->rule_id || strcmp(x->rule_id, rule))) continue;
        if (kind && strcmp(x->kind, kind)) continue;
        if (model_suffix) {
            if (!x->model_path) continue;
            size_t a = strlen(x->model_path), b = strlen(model_suffix);
            if (a < b || strcmp(x->model_path + a - b, model_suffix)) continue;
        }
        hit = x;
        n++;
    }
    if (n_matching) *n_matching = n;
    return hit;
}

static size_t count_notes_for(const outcome *o, const char *rule) {
    size_t n = 0;
    find_note(o, rule, NULL, NULL, &n);
    return n;
}

static const char *src_path(const char *rel) {
    static char bufs[16][2048];
    static int next;
    char *b = bufs[next++ % 16];
    int k = snprintf(b, 2048, "%s/%s", g_src, rel);
    if (k < 0 || k >= 2048) abort();
    return b;
}

/* ---- 1. the sandbox surface: tests/lua/globals.txt both ways -------------- */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b) b[n] = 0;
    fclose(f);
    return b;
}

static bool has_line(const char *text, const char *line, size_t len) {
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == len && !memcmp(p, line, len)) return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* Lines of a that b lacks, printed with prefix; returns how many. */
static int diff_lines(const char *a, const char *b, const char *prefix) {
    int n = 0;
    for (const char *p = a; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && p[0] != '#' && !has_line(b, p, len)) {
            fprintf(stderr, "  %s %.*s\n", prefix, (int)len, p);
            n++;
        }
        p = e ? e + 1 : NULL;
    }
    return n;
}

static void test_globals_snapshot(void) {
    sandbox_limits lim = sandbox_limits_default();
    sandbox *sb = sandbox_new(&lim, "test/globals", NULL);
    CHECK(sb != NULL);
    if (!sb) return;
    char *live = sandbox_surface(sb);
    char *want = slurp(src_path("tests/lua/globals.txt"));
    CHECK(live != NULL);
    CHECK(want != NULL);
    if (live && want) {
        int extra = diff_lines(live, want, "+ (visible to rules, not in globals.txt)");
        int missing = diff_lines(want, live, "- (in globals.txt, not visible to rules)");
        CHECK_INT(extra, 0);
        CHECK_INT(missing, 0);
        if (getenv("CML_PRINT_SURFACE")) fputs(live, stdout);
    }
    free(live);
    free(want);
    sandbox_free(sb);
}

/* rules/.luacheckrc's std "coremllint" lists exactly the callable surface:
 * the lines of globals.txt that are not "(blocked)". */
static void test_luacheckrc_matches_surface(void) {
    lua_State *S = luaL_newstate();
    luaL_openlibs(S);
    lua_newtable(S);
    lua_setglobal(S, "stds");
    CHECK_INT(luaL_dofile(S, src_path("rules/.luacheckrc")), LUA_OK);
    char *std = calloc(1, 65536);
    size_t len = 0;
    lua_getglobal(S, "stds");
    lua_getfield(S, -1, "coremllint");
    lua_getfield(S, -1, "read_globals");
    CHECK(lua_istable(S, -1));
    lua_pushnil(S);
    while (std && lua_next(S, -2)) {
        if (lua_type(S, -2) == LUA_TNUMBER && lua_type(S, -1) == LUA_TSTRING) {
            len += (size_t)snprintf(std + len, 65536 - len, "%s\n", lua_tostring(S, -1));
        } else if (lua_type(S, -2) == LUA_TSTRING && lua_istable(S, -1)) {
            const char *lib = lua_tostring(S, -2);
            len += (size_t)snprintf(std + len, 65536 - len, "%s\n", lib);
            lua_getfield(S, -1, "fields");
            for (lua_Integer i = 1; lua_rawgeti(S, -1, i) == LUA_TSTRING; i++) {
                len += (size_t)snprintf(std + len, 65536 - len, "%s.%s\n", lib, lua_tostring(S, -1));
                lua_pop(S, 1);
            }
            lua_pop(S, 2);
        }
        lua_pop(S, 1);
    }
    lua_close(S);
    /* the callable lines of globals.txt, plus every library table that has any */
    char *want = slurp(src_path("tests/lua/globals.txt"));
    char *callable = calloc(1, 65536);
    size_t cl = 0;
    for (const char *p = want; p && *p && callable;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        bool blocked = n > 10 && !memcmp(p + n - 10, " (blocked)", 10);
        if (n && p[0] != '#' && !blocked) {
            bool lib_with_stubs_only = false;
            if (!memchr(p, '.', n)) {
                /* a library whose every field is blocked (io, os …) is not callable */
                char pref[64];
                snprintf(pref, sizeof pref, "\n%.*s.", (int)n, p);
                lib_with_stubs_only = true;
                for (const char *q = strstr(want, pref); q; q = strstr(q + 1, pref)) {
                    const char *qe = strchr(q + 1, '\n');
                    size_t qn = qe ? (size_t)(qe - q - 1) : strlen(q + 1);
                    if (!(qn > 10 && !memcmp(q + 1 + qn - 10, " (blocked)", 10))) lib_with_stubs_only = false;
                }
                if (!strstr(want, pref)) lib_with_stubs_only = false;
            }
            if (!lib_with_stubs_only) cl += (size_t)snprintf(callable + cl, 65536 - cl, "%.*s\n", (int)n, p);
        }
        p = e ? e + 1 : NULL;
    }
    if (std && callable) {
        CHECK_INT(diff_lines(std, callable, "+ (in .luacheckrc, not callable in the sandbox)"), 0);
        CHECK_INT(diff_lines(callable, std, "- (callable in the sandbox, not in .luacheckrc)"), 0);
    }
    free(std);
    free(want);
    free(callable);
}

/* ---- 2. sandbox primitives --------------------------------------------------- */

static int run_snippet(sandbox *sb, const char *code, char *msg, size_t cap) {
    sandbox_arm(sb, sb->lim.check_budget);
    int st = sandbox_load(sb, code, strlen(code), "@rules/test/snippet.lua");
    if (st == LUA_OK) st = sandbox_pcall(sb, 0, 1);
    if (msg) snprintf(msg, cap, "%s", lua_tostring(sb->L, -1) ? lua_tostring(sb->L, -1) : "");
    lua_settop(sb->L, 0);
    return st;
}

static void test_sandbox_primitives(void) {
    sandbox_limits d = sandbox_limits_default();
    CHECK_INT(d.check_budget, 50000000);
    CHECK_INT(d.mem_cap, 64 << 20);
    sandbox_limits lim = d;
    lim.check_budget = 200000;
    lim.mem_cap = 8 << 20;
    sandbox *sb = sandbox_new(&lim, "test/prims", NULL);
    CHECK(sb != NULL);
    if (!sb) return;
    char msg[512];
    /* a budget the hook enforces and re-arms: nothing after it runs */
    CHECK(run_snippet(sb, "while true do end", msg, sizeof msg) != LUA_OK);
    CHECK_INT(sandbox_classify(sb, LUA_ERRRUN, msg), SANDBOX_BUDGET);
    CHECK(strstr(msg, "rules/test/snippet.lua:1:") != NULL);
    /* the next phase gets a fresh budget */
    CHECK_INT(run_snippet(sb, "local n = 0 for i = 1, 1000 do n = n + i end return n", msg, sizeof msg), LUA_OK);
    CHECK_STR(msg, "500500");
    /* memory cap (with a budget large enough to reach it) */
    sb->lim.check_budget = 50000000;
    int st = run_snippet(sb, "local t = {} for i = 1, 1e8 do t[i] = i end", msg, sizeof msg);
    CHECK_INT(sandbox_classify(sb, st, msg), SANDBOX_MEMORY);
    CHECK(sb->mem_used <= lim.mem_cap);
    st = run_snippet(sb, "return #string.rep('x', 1 << 30)", msg, sizeof msg);
    CHECK_INT(sandbox_classify(sb, st, msg), SANDBOX_MEMORY);
    /* blocked stubs name themselves */
    st = run_snippet(sb, "return os.time()", msg, sizeof msg);
    CHECK_INT(sandbox_classify(sb, st, msg), SANDBOX_BLOCKED);
    CHECK_STR(sb->blocked, "os.time");
    CHECK(strstr(msg, "blocked call: os.time") != NULL);
    /* binary chunks are refused (mode "t") */
    CHECK_INT(sandbox_load(sb, "\x1bLuaT\x00", 6, "@rules/test/bin.lua"), LUA_ERRSYNTAX);
    CHECK(strstr(lua_tostring(sb->L, -1), "binary chunk") != NULL);
    lua_settop(sb->L, 0);
    /* protected string metatable, __gc refused, deterministic random */
    CHECK_INT(run_snippet(sb, "return tostring(getmetatable(''))", msg, sizeof msg), LUA_OK);
    CHECK_STR(msg, "false");
    CHECK(run_snippet(sb, "setmetatable({}, {__gc = print})", msg, sizeof msg) != LUA_OK);
    CHECK(strstr(msg, "__gc") != NULL);
    char r1[64], r2[64];
    run_snippet(sb, "return tostring(math.random(1, 1e9))", r1, sizeof r1);
    sandbox *sb2 = sandbox_new(&lim, "test/prims2", NULL);
    run_snippet(sb2, "return tostring(math.random(1, 1e9))", r2, sizeof r2);
    CHECK_STR(r1, r2);
    sandbox_free(sb2);
    /* print never reaches stdout */
    CHECK_INT(run_snippet(sb, "print('to the host log') return 'ok'", msg, sizeof msg), LUA_OK);
    sandbox_free(sb);
}

/* ---- 3. hostile rules -------------------------------------------------------- */

static char **list_lua(const char *dir, size_t *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".lua")) continue;
        v = realloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 0; i + 1 < *n; i++)
        for (size_t j = i + 1; j < *n; j++)
            if (strcmp(v[i], v[j]) > 0) {
                char *t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
    return v;
}

static void run_hostile(const char *path, const char *name, const char *m1, const char *m2) {
    char *text = slurp(path);
    char expect[64] = "", want_text[160] = "";
    unsigned want_line = 0;
    bool second_only = false;
    if (text && sscanf(text, "-- expect: %63s", expect) != 1) {
        if (sscanf(text, "-- expect-second: %63s", expect) == 1) second_only = true;
    }
    /* optional headers: the rule line the notification names (its region in
     * SARIF, GitHub's line=) and a piece of its message */
    const char *h = text ? strstr(text, "\n-- expect-line: ") : NULL;
    if (h) sscanf(h, "\n-- expect-line: %u", &want_line);
    h = text ? strstr(text, "\n-- expect-text: ") : NULL;
    if (h) sscanf(h, "\n-- expect-text: %159[^\n]", want_text);
    free(text);
    CHECK(expect[0] != 0);
    char id[128];
    snprintf(id, sizeof id, "hostile/%.*s", (int)(strlen(name) - 4), name);
    const char *rules[] = {src_path("tests/lua/good/well-behaved.lua"), path};
    const char *models[] = {m1, m2};
    outcome o = run_files(2, rules, 2, models);
    int before = check_failures_;
    CHECK(o.res != NULL);
    /* the well-behaved rule ran on both models */
    CHECK_INT(count_findings(&o, "good/well-behaved", NULL, 0, "well-behaved rule saw"), 2);
    CHECK_INT(count_notes_for(&o, "good/well-behaved"), 0);
    size_t n_kind = 0, n_all = count_notes_for(&o, id);
    if (!strcmp(expect, "rule/load-error")) {
        const notification *x = find_note(&o, id, expect, NULL, &n_kind);
        CHECK_INT(n_kind, 1);
        CHECK_INT(n_all, 1);
        CHECK(x && x->count == 1);
        CHECK(registry_find(o.reg, id) == NULL);
    } else {
        const char *suffixes[] = {"/hostile-a.mlmodel", "/hostile-b.mlmodel"};
        for (int k = 0; k < 2; k++) {
            size_t n;
            const notification *x = find_note(&o, id, expect, suffixes[k], &n);
            if (second_only && k == 0) {
                CHECK_INT(n, 0);
                continue;
            }
            CHECK_INT(n, 1);
            CHECK(x && x->count == 1);
            if (want_line) CHECK(x && x->line == want_line);
            if (want_text[0]) CHECK(x && strstr(x->message, want_text));
            n_kind += n;
        }
        /* nothing but the expected kind */
        CHECK_INT(n_all, n_kind);
        /* findings reported before the failure are kept */
        if (strcmp(expect, "rule/too-many-findings") != 0)
            CHECK_INT(count_findings(&o, id, NULL, 0, "before the failure"), 2);
        else {
            /* the cap's worth of notes, and the error after them */
            CHECK_INT(count_findings(&o, id, NULL, 0, NULL), 2 * (CTX_MAX_FINDINGS_PER_RULE + 1));
            CHECK_INT(count_findings(&o, id, NULL, LEVEL_ERROR, "after the flood"), 2);
        }
        /* a runtime error names the real file (tests/lua/hostile/<name>.lua)
         * and the line, beside the message, which does not repeat them */
        if (!strcmp(expect, "rule/error") && !second_only) {
            const notification *x = find_note(&o, id, expect, NULL, NULL);
            char where[160];
            snprintf(where, sizeof where, "lua/%s.lua", id);
            CHECK(x && x->file && strstr(x->file, where));
            CHECK(x && ((x->line > 0 && !strstr(x->message, where)) || strstr(x->message, "stack overflow")));
        }
    }
    fprintf(stderr, "  %-28s %-26s %s\n", name, expect, check_failures_ == before ? "ok" : "FAILED");
    if (check_failures_ != before) print_outcome(&o);
    outcome_free(&o);
}

static void test_hostile_rules(void) {
    const char *m1 = write_model("hostile-a.mlmodel", plain_model(metadata("Ann", "MIT", "a")));
    const char *m2 = write_model("hostile-b.mlmodel", plain_model(metadata("Ann", "MIT", "b")));
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/tests/lua/hostile", g_src);
    size_t n = 0;
    char **files = list_lua(dir, &n);
    CHECK(n >= 20);
    for (size_t i = 0; i < n; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        run_hostile(path, files[i], m1, m2);
        free(files[i]);
    }
    free(files);
    /* a real binary chunk (lua_dump of a valid function) is refused */
    char bin_dir[400], bin[500];
    snprintf(bin_dir, sizeof bin_dir, "%s/hostile", g_tmp);
    mkdir(bin_dir, 0755);
    snprintf(bin, sizeof bin, "%s/binary-chunk.lua", bin_dir);
    /* string.dump of a valid chunk, in a plain (unsandboxed) state */
    lua_State *S = luaL_newstate();
    luaL_openlibs(S);
    lua_pushstring(S, bin);
    lua_setglobal(S, "BIN");
    CHECK_INT(luaL_dostring(S, "local f = io.open(BIN, 'wb') f:write(string.dump(load('return {}'))) f:close()"),
              LUA_OK);
    lua_close(S);
    const char *rules[] = {src_path("tests/lua/good/well-behaved.lua"), bin};
    const char *models[] = {m1};
    outcome o = run_files(2, rules, 1, models);
    size_t nk;
    const notification *x = find_note(&o, "hostile/binary-chunk", "rule/load-error", NULL, &nk);
    CHECK_INT(nk, 1);
    CHECK(x && strstr(x->message, "binary chunk"));
    CHECK_INT(count_findings(&o, "good/well-behaved", NULL, 0, NULL), 1);
    fprintf(stderr, "  %-28s %-26s %s\n", "binary-chunk (generated)", "rule/load-error", nk == 1 ? "ok" : "FAILED");
    outcome_free(&o);
}

/* ---- 4. the rule API --------------------------------------------------------- */

static void test_rule_api(void) {
    int before = check_failures_;
    const char *m1 = write_model("api-1.mlmodel", plain_model(metadata("Ann", "MIT", "plain")));
    const char *m2 = write_model("api-2.mlmodel", plain_model(metadata("Ann", "MIT", "plain")));
    const char *rules[] = {src_path("tests/lua/api/ir-api.lua")};
    const char *models[] = {m1, m2};
    outcome o = run_files(1, rules, 2, models);
    CHECK_INT(count_notes_for(&o, "api/ir-api"), 0);
    CHECK_INT(count_findings(&o, "api/ir-api", NULL, LEVEL_WARNING, "api ok"), 2);
    for (size_t i = 0; o.res && i < o.res->n_findings; i++) {
        const finding *f = o.res->findings[i];
        if (strcmp(f->rule_id, "api/ir-api")) continue;
        CHECK_STR(f->fix, "nothing to fix");
        CHECK_STR(f->loc.logical, "layer[0]:fc1");
        CHECK_INT(f->n_related, 1);
        if (f->n_related) CHECK_STR(f->related[0].message, "the output");
        char *props = f->props ? cJSON_PrintUnformatted(f->props) : NULL;
        CHECK_STR(props, "{\"a\":1,\"b\":[1,2],\"c\":{\"d\":\"e\"},\"f\":true}");
        free(props);
    }
    /* the rule is registered with its metadata and options */
    const host_rule *r = registry_find(o.reg, "api/ir-api");
    CHECK(r != NULL);
    if (r) {
        CHECK_STR(r->kind, "lua");
        CHECK_INT(r->n_options, 5);
        CHECK_INT(r->n_tags, 1);
        CHECK_INT(r->default_level, LEVEL_NOTE);
        CHECK(strstr(r->origin, "tests/lua/api/ir-api.lua") != NULL);
    }
    if (check_failures_ != before) print_outcome(&o);
    outcome_free(&o);
}

/* ctx.target_platform and ctx:target_before answer from the host's one
 * target parser: with a target, by its platform and release; without one,
 * nil; a version that is no release is the rule's error. */
static void test_ctx_target(void) {
    const char *m = write_model("target.mlmodel", plain_model(metadata("Ann", "MIT", "plain")));
    const char *rules[] = {src_path("tests/lua/api/target.lua"), src_path("tests/lua/api/target-bad.lua")};
    static const struct { const char *target, *want; size_t bad_errors; } cases[] = {
        {"iOS17.3", "ios,true,false,true,false,nil,nil", 1},
        {"macOS13", "macos,nil,nil,nil,nil,true,nil", 0},
        {NULL, "nil,nil,nil,nil,nil,nil,nil", 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        outcome o = {registry_new(), NULL};
        for (size_t i = 0; i < 2; i++) luarule_load_file(o.reg, rules[i], NULL, NULL);
        run_opts ro = {.target = cases[k].target};
        char err[256] = "";
        o.res = run_check(o.reg, &ro, &m, 1, NULL, err, sizeof err);
        CHECK(o.res != NULL);
        CHECK_INT(count_findings(&o, "api/target", NULL, 0, NULL), 1);
        for (size_t i = 0; o.res && i < o.res->n_findings; i++)
            if (!strcmp(o.res->findings[i]->rule_id, "api/target")) CHECK_STR(o.res->findings[i]->message, cases[k].want);
        /* the bad version is an error only where the target's platform asks for it */
        size_t n = 0;
        const notification *x = find_note(&o, "api/target-bad", "rule/error", NULL, &n);
        CHECK_INT(n, cases[k].bad_errors);
        if (x) CHECK(strstr(x->message, "the ios version must be a release such as 17 or \"17.4\"") != NULL);
        CHECK_INT(count_findings(&o, "api/target-bad", NULL, 0, NULL), 0);
        if (check_failures_) print_outcome(&o);
        outcome_free(&o);
    }
}

/* touch-all over every model we can find: no failure, no sanitizer report */
static void touch_all_over(const char *dir, bool recurse_models) {
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d) return;
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        size_t len = strlen(nm);
        bool model = (len > 8 && !strcmp(nm + len - 8, ".mlmodel")) || (len > 10 && !strcmp(nm + len - 10, ".mlpackage")) ||
                     (len > 9 && !strcmp(nm + len - 9, ".mlmodelc"));
        if (!model) continue;
        v = realloc(v, (n + 1) * sizeof *v);
        char *p = malloc(strlen(dir) + len + 2);
        sprintf(p, "%s/%s", dir, nm);
        v[n++] = p;
    }
    closedir(d);
    (void)recurse_models;
    if (!n) return;
    const char *rules[] = {src_path("tests/lua/api/touch-all.lua")};
    outcome o = run_files(1, rules, n, (const char *const *)v);
    size_t n_notes = count_notes_for(&o, "api/touch-all");
    CHECK_INT(n_notes, 0);
    CHECK_INT(count_findings(&o, "api/touch-all", NULL, 0, "touched"), n);
    fprintf(stderr, "  touch-all: %zu models in %s, %zu notifications\n", n, dir, n_notes);
    if (n_notes) print_outcome(&o);
    outcome_free(&o);
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void test_touch_all(void) {
    const char *b = getenv("CML_BUILD_DIR");
    char dir[1100];
    if (b) {
        snprintf(dir, sizeof dir, "%s/examples", b);
        touch_all_over(dir, true);
        snprintf(dir, sizeof dir, "%s/examples/broken", b);
        touch_all_over(dir, true);
    }
    const char *c = getenv("CML_CORPUS_DIR");
    if (c) touch_all_over(c, true);
    touch_all_over(g_tmp, true);
}

/* ---- 5. bundled rules: one fixture that fires, one that must not ---------- */

typedef struct rule_case {
    const char *rule;          /* id; file rules/<id>.lua */
    const char *model;         /* path */
    size_t want;               /* findings expected */
    int level;                 /* of each, 0 any */
    const char *needle;        /* in each message, or NULL */
} rule_case;

static void run_case(const rule_case *c, const char *rule_file) {
    const char *rules[] = {rule_file};
    const char *models[] = {c->model};
    outcome o = run_files(1, rules, 1, models);
    int before = check_failures_;
    CHECK(registry_find(o.reg, c->rule) != NULL);
    CHECK_INT(count_notes_for(&o, c->rule), 0);
    CHECK_INT(count_findings(&o, c->rule, NULL, 0, NULL), c->want);
    if (c->want) CHECK_INT(count_findings(&o, c->rule, NULL, c->level, c->needle), c->want);
    const char *base = strrchr(c->model, '/');
    fprintf(stderr, "  %-32s %-40s %zu finding(s) %s\n", c->rule, base ? base + 1 : c->model, c->want,
            check_failures_ == before ? "ok" : "FAILED");
    if (check_failures_ != before) print_outcome(&o);
    outcome_free(&o);
}

static void bundled(const char *rule, const char *model, size_t want, int level, const char *needle) {
    char rel[256];
    snprintf(rel, sizeof rel, "rules/%s.lua", rule);
    rule_case c = {rule, model, want, level, needle};
    run_case(&c, src_path(rel));
}

static void test_bundled_rules(void) {
    Cmlpb__Model *m;
    const char *full = write_model("full-metadata.mlmodel", plain_model(metadata("Ann", "MIT", "plain")));
    const char *none = write_model("no-metadata.mlmodel", plain_model(NULL));
    const char *empty = write_model("empty-license.mlmodel", plain_model(metadata("Ann", "", "plain")));
    /* meta/missing-metadata */
    bundled("meta/missing-metadata", full, 0, 0, NULL);
    bundled("meta/missing-metadata", none, 1, LEVEL_NOTE, "the model has no metadata (author, license and short_description)");
    bundled("meta/missing-metadata", empty, 1, LEVEL_NOTE, "metadata field license is empty");
    /* meta/updatable-model */
    m = plain_model(metadata("Ann", "MIT", "u"));
    m->isupdatable = 1;
    m->neuralnetwork->layers[0]->isupdatable = 1;
    const char *upd = write_model("updatable.mlmodel", m);
    m = plain_model(metadata("Ann", "MIT", "u"));
    m->isupdatable = 1;
    m->neuralnetwork->layers[1]->isupdatable = 1;   /* a ReLU cannot be updated */
    const char *upd_bad = write_model("updatable-relu.mlmodel", m);
    bundled("meta/updatable-model", full, 0, 0, NULL);
    m = plain_model(metadata("Ann", "MIT", "u"));
    m->isupdatable = 1;
    m->neuralnetwork->layers[0]->isupdatable = 1;
    m->description->n_traininginput = 1;
    m->description->traininginput = fds(1, fd_array("x", 4));
    const char *upd_ok = write_model("updatable-training.mlmodel", m);
    bundled("meta/updatable-model", upd, 1, LEVEL_WARNING, "no training inputs");
    bundled("meta/updatable-model", upd_ok, 0, 0, NULL);   /* well-formed: nothing to fix */
    bundled("meta/updatable-model", upd_bad, 2, 0, NULL);   /* the error, no training inputs */
    {
        const char *rules[] = {src_path("rules/meta/updatable-model.lua")};
        const char *models[] = {upd_bad};
        outcome o = run_files(1, rules, 1, models);
        CHECK_INT(count_findings(&o, "meta/updatable-model", NULL, LEVEL_ERROR, "only convolution and innerProduct"), 1);
        CHECK_INT(count_findings(&o, "meta/updatable-model", NULL, LEVEL_WARNING, "no training inputs"), 1);
        outcome_free(&o);
    }
    /* custom/custom-layer */
    m = nn_model(4, desc(1, fds(1, fd_array("x", 4)), 1, fds(1, fd_array("y", 4)), metadata("A", "B", "C")), 2,
                 layers(2, l_custom("soft", "x", "h", "MySoftThreshold"), l_relu("relu", "h", "y")));
    const char *custom = write_model("custom-layer.mlmodel", m);
    bundled("custom/custom-layer", full, 0, 0, NULL);
    bundled("custom/custom-layer", custom, 1, LEVEL_WARNING, "'MySoftThreshold'");
    /* custom/custom-model */
    const char *cmodel = write_model("custom-model.mlmodel", custom_model());
    bundled("custom/custom-model", full, 0, 0, NULL);
    bundled("custom/custom-model", custom, 0, 0, NULL);
    bundled("custom/custom-model", cmodel, 1, LEVEL_WARNING, "custom model");
    /* determinism/random-ops */
    m = nn_model(4, desc(1, fds(1, fd_array("x", 4)), 1, fds(1, fd_array("y", 4)), metadata("A", "B", "C")), 2,
                 layers(2, l_random("noise", "x", "h", -1), l_relu("relu", "h", "y")));
    const char *rnd = write_model("random-unseeded.mlmodel", m);
    m = nn_model(4, desc(1, fds(1, fd_array("x", 4)), 1, fds(1, fd_array("y", 4)), metadata("A", "B", "C")), 2,
                 layers(2, l_random("noise", "x", "h", 42), l_relu("relu", "h", "y")));
    const char *rnd_seeded = write_model("random-seeded.mlmodel", m);
    bundled("determinism/random-ops", full, 0, 0, NULL);
    bundled("determinism/random-ops", rnd, 1, LEVEL_WARNING, "without a seed");
    bundled("determinism/random-ops", rnd_seeded, 1, LEVEL_NOTE, "seed 42");
    /* io/classifier-labels */
    const char *ok3[] = {"cat", "dog", "bird"};
    const char *dup3[] = {"cat", "dog", "cat"};
    const char *two[] = {"cat", "dog"};
    const char *cls_ok = write_model("classifier-ok.mlmodel", classifier_model(3, ok3, 3));
    const char *cls_dup = write_model("classifier-dup.mlmodel", classifier_model(3, dup3, 3));
    const char *cls_count = write_model("classifier-count.mlmodel", classifier_model(2, two, 3));
    bundled("io/classifier-labels", cls_ok, 0, 0, NULL);
    bundled("io/classifier-labels", full, 0, 0, NULL);
    bundled("io/classifier-labels", cls_dup, 1, LEVEL_ERROR, "duplicated class labels (cat)");
    bundled("io/classifier-labels", cls_count, 1, LEVEL_ERROR, "has 2 class labels but");
    /* preprocess/image-normalization */
    const char *raw = write_model("image-raw.mlmodel", image_model(CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__RGB, 0, 0, 0, 0));
    const char *unit = write_model("image-unit.mlmodel",
                                   image_model(CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__RGB, 1.0f / 255.0f, 0, 0, 0));
    const char *odd = write_model("image-odd.mlmodel", image_model(CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__RGB, 0.5f, 3, 3, 3));
    const char *swapped = write_model("image-swapped.mlmodel",
                                      image_model(CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__BGR, 1.0f, -103.94f, -116.78f, -123.68f));
    const char *torch = write_model("image-torch.mlmodel",
                                    image_model(CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__RGB, 1.0f / (0.226f * 255.0f),
                                                -0.485f / 0.229f, -0.456f / 0.224f, -0.406f / 0.225f));
    bundled("preprocess/image-normalization", full, 0, 0, NULL);
    bundled("preprocess/image-normalization", unit, 0, 0, NULL);
    bundled("preprocess/image-normalization", torch, 0, 0, NULL);
    bundled("preprocess/image-normalization", raw, 1, LEVEL_NOTE, "raw 0-255");
    bundled("preprocess/image-normalization", odd, 1, LEVEL_NOTE, "unrecognised");
    bundled("preprocess/image-normalization", swapped, 1, LEVEL_WARNING, "red and blue swapped");
}

/* ---- 6. the bundled folder, the template and the house rules --------------- */

static void test_rules_folder(void) {
    /* every bundled rule loads through the folder loader, _template.lua is skipped */
    registry *reg = registry_new();
    int added = luarule_load_dir(reg, src_path("rules"), NULL);
    /* every rules/<category>/<name>.lua file but the template */
    CHECK_INT(added, 19);
    CHECK_INT(registry_n_notes(reg), 0);
    for (size_t i = 0; i < registry_n_notes(reg); i++)
        fprintf(stderr, "    %s: %s\n", registry_note(reg, i)->kind, registry_note(reg, i)->message);
    const char *ids[] = {"custom/custom-layer", "custom/custom-model", "determinism/random-ops",
                         "io/classifier-labels", "io/classifier-logits", "io/degenerate-output", "meta/missing-metadata",
                         "meta/updatable-model",
                         "preprocess/image-normalization", "shapes/flexible-input", "shapes/state",
                         "numerics/small-epsilon", "compat/empty-input", "compat/encrypted",
                         "io/fp16-conversion", "size/ane-iphone-1gb", "size/first-load",
                         "size/protobuf-limit", "size/single-weight"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        const host_rule *r = registry_find(reg, ids[i]);
        CHECK(r != NULL);
        /* every rule names its sources: "**Sources.**", or "## Sources" in the
         * rules ported from C, whose help text is kept unchanged */
        if (r) CHECK(r->help_md && (strstr(r->help_md, "**Sources.**") || strstr(r->help_md, "## Sources")));
    }
    registry_free(reg);
    /* an invalid id says which half to rename: the folder, the file or both */
    static const struct { const char *cat, *name, *fix; } bad_ids[] = {
        {"my_rules", "weight-budget", "; rename its folder (the category)"},
        {"house", "Bad_Name", "; rename the file"},
        {"My", "X", "; rename its folder (the category) and the file"},
    };
    for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++) {
        char dir[400], path[500];
        snprintf(dir, sizeof dir, "%s/%s", g_tmp, bad_ids[i].cat);
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/%s.lua", dir, bad_ids[i].name);
        FILE *f = fopen(path, "wb");
        if (f) {
            fputs("return {}\n", f);
            fclose(f);
        }
        registry *br = registry_new();
        CHECK_INT(luarule_load_file(br, path, NULL, NULL), 0);
        const notification *no = registry_n_notes(br) == 1 ? registry_note(br, 0) : NULL;
        CHECK(no && strstr(no->message, "is not a valid rule id"));
        CHECK(no && strlen(no->message) >= strlen(bad_ids[i].fix) &&
              !strcmp(no->message + strlen(no->message) - strlen(bad_ids[i].fix), bad_ids[i].fix));
        registry_free(br);
    }
    /* a file as `lua FILE` reads it: a UTF-8 byte order mark (some editors
     * write one) and a first '#' line are skipped, and a runtime error still
     * names the file's own line (here 4, the line of x.y) */
    {
        char dir[400], path[500];
        snprintf(dir, sizeof dir, "%s/bom", g_tmp);
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/bom.lua", dir);
        FILE *f = fopen(path, "wb");
        if (f) {
            fputs("\xEF\xBB\xBF#!/usr/bin/env lua\n"
                  "return { id = \"bom/bom\", name = \"Bom\", summary = \"s\", help = \"h\", level = \"note\",\n"
                  "  check = function(model, ctx) local x = nil\n"
                  "    return x.y end }\n", f);
            fclose(f);
        }
        const char *rules[] = {path};
        const char *m = write_model("bom.mlmodel", plain_model(metadata("Ann", "MIT", "b")));
        outcome o = run_files(1, rules, 1, &m);
        CHECK(registry_find(o.reg, "bom/bom") != NULL);
        size_t n = 0;
        const notification *x = find_note(&o, "bom/bom", "rule/error", NULL, &n);
        CHECK_INT(n, 1);
        CHECK(x && x->line == 4);
        if (check_failures_) print_outcome(&o);
        outcome_free(&o);
    }
    /* the template itself is a valid rule once given a real id */
    char *t = slurp(src_path("rules/_template.lua"));
    CHECK(t != NULL);
    if (t) {
        char dir[400], path[500];
        snprintf(dir, sizeof dir, "%s/category", g_tmp);
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/rule-name.lua", dir);
        FILE *f = fopen(path, "wb");
        fputs(t, f);
        fclose(f);
        free(t);
        const char *rules[] = {path};
        const char *full = write_model("template.mlmodel", plain_model(metadata("Ann", "MIT", "t")));
        const char *models[] = {full};
        outcome o = run_files(1, rules, 1, models);
        CHECK(registry_find(o.reg, "category/rule-name") != NULL);
        CHECK_INT(count_notes_for(&o, "category/rule-name"), 0);
        CHECK_INT(count_findings(&o, "category/rule-name", NULL, 0, NULL), 0);   /* 2 ops < 1000 */
        outcome_free(&o);
    }
    /* house rules, loaded as --rules-dir examples/house-rules does */
    reg = registry_new();
    CHECK_INT(luarule_load_dir(reg, src_path("examples/house-rules"), NULL), 3);
    CHECK(registry_find(reg, "house-rules/required-metadata") != NULL);
    CHECK(registry_find(reg, "house-rules/model-size-budget") != NULL);
    CHECK(registry_find(reg, "house-rules/feature-names") != NULL);
    const char *full = write_model("house-full.mlmodel", plain_model(metadata("Ann", "MIT", "h")));
    const char *none = write_model("house-none.mlmodel", plain_model(NULL));
    const char *models[] = {full, none};
    char err[256];
    run_result *res = run_check(reg, NULL, models, 2, NULL, err, sizeof err);
    outcome o = {reg, res};
    CHECK_INT(count_notes_for(&o, "house-rules/required-metadata"), 0);
    CHECK_INT(count_findings(&o, "house-rules/required-metadata", "/house-full.mlmodel", 0, NULL), 0);
    CHECK_INT(count_findings(&o, "house-rules/required-metadata", "/house-none.mlmodel", 0, NULL), 3);
    CHECK_INT(count_findings(&o, "house-rules/model-size-budget", NULL, 0, NULL), 0);
    CHECK_INT(count_findings(&o, "house-rules/feature-names", NULL, 0, NULL), 0);   /* x and y */
    outcome_free(&o);
    /* feature-names: a finding at the feature, and for a multifunction model
     * at each function's own feature (fn_a/input:x, fn_b/input:x) */
    const char *bd = getenv("CML_BUILD_DIR");
    if (bd) {
        char cls[1100], mf[1100];
        snprintf(cls, sizeof cls, "%s/examples/tiny_classifier_nn.mlmodel", bd);
        snprintf(mf, sizeof mf, "%s/examples/tiny_multifunction.mlpackage", bd);
        reg = registry_new();
        luarule_load_dir(reg, src_path("examples/house-rules"), NULL);
        config fc;
        memset(&fc, 0, sizeof fc);
        const char *fj = "{\"rules\": {\"house-rules/feature-names\": {\"options\": {\"pattern\": \"^[a-wyz][a-z_]*$\"}}}}";
        CHECK_INT(config_parse(&fc, fj, strlen(fj), "test.json", g_tmp, err, sizeof err), 0);
        CHECK_INT(config_apply(&fc, reg, NULL, err, sizeof err), 0);
        const char *fm[] = {cls, mf};
        res = run_check(reg, NULL, fm, 2, NULL, err, sizeof err);
        o = (outcome){reg, res};
        CHECK_INT(count_notes_for(&o, "house-rules/feature-names"), 0);
        CHECK_INT(count_findings(&o, "house-rules/feature-names", "tiny_classifier_nn.mlmodel", LEVEL_WARNING,
                                 "output 'labelProbs' does not match"), 1);
        CHECK_INT(count_findings(&o, "house-rules/feature-names", "tiny_classifier_nn.mlmodel", 0, NULL), 1);
        CHECK_INT(count_findings(&o, "house-rules/feature-names", "tiny_multifunction.mlpackage", 0, "input 'x'"), 2);
        size_t fa = 0, fb = 0;
        for (size_t i = 0; o.res && i < o.res->n_findings; i++) {
            const finding *f = o.res->findings[i];
            if (strcmp(f->rule_id, "house-rules/feature-names") || !f->loc.logical) continue;
            fa += !strcmp(f->loc.logical, "fn_a/input:x");
            fb += !strcmp(f->loc.logical, "fn_b/input:x");
        }
        CHECK_INT(fa, 1);
        CHECK_INT(fb, 1);
        if (check_failures_) print_outcome(&o);
        outcome_free(&o);
        config_free(&fc);
    }
    /* options from a config: a tiny budget fires, a custom key list */
    reg = registry_new();
    luarule_load_dir(reg, src_path("examples/house-rules"), NULL);
    config cfg;
    memset(&cfg, 0, sizeof cfg);
    const char *json =
        "{\"rules\": {\"house-rules/model-size-budget\": {\"options\": {\"max_bytes\": 10}},"
        " \"house-rules/required-metadata\": {\"options\": {\"keys\": [\"team\", \"owner\"]}}}}";
    CHECK_INT(config_parse(&cfg, json, strlen(json), "test.json", g_tmp, err, sizeof err), 0);
    CHECK_INT(config_apply(&cfg, reg, NULL, err, sizeof err), 0);
    res = run_check(reg, NULL, models, 1, NULL, err, sizeof err);
    o = (outcome){reg, res};
    CHECK_INT(count_findings(&o, "house-rules/model-size-budget", NULL, LEVEL_WARNING, "over the budget of 10 bytes"), 1);
    CHECK_INT(count_findings(&o, "house-rules/required-metadata", NULL, 0, "'owner' is missing"), 1);
    CHECK_INT(count_findings(&o, "house-rules/required-metadata", NULL, 0, NULL), 1);   /* team=vision is set */
    outcome_free(&o);
    config_free(&cfg);
}

/* ---- 7. corpus (skipped without CML_CORPUS_DIR) ----------------------------- */

static bool exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static void test_corpus(void) {
    const char *c = getenv("CML_CORPUS_DIR");
    char p[4][1200];
    if (!c || !exists(c)) {
        fprintf(stderr, "  SKIP corpus rule tests: CML_CORPUS_DIR is not set or absent\n");
        return;
    }
    snprintf(p[0], sizeof p[0], "%s/nn_builder_custom_layer.mlmodel", c);
    snprintf(p[1], sizeof p[1], "%s/mlp_metadata_empty_ios17.mlpackage", c);
    snprintf(p[2], sizeof p[2], "%s/nn_builder_updatable_classifier.mlmodel", c);
    snprintf(p[3], sizeof p[3], "%s/mlp_metadata_full_ios17.mlpackage", c);
    for (int i = 0; i < 4; i++)
        if (!exists(p[i])) {
            fprintf(stderr, "  SKIP corpus rule tests: %s is absent\n", p[i]);
            return;
        }
    bundled("custom/custom-layer", p[0], 1, LEVEL_WARNING, "'CLSoftThreshold'");
    bundled("custom/custom-layer", p[3], 0, 0, NULL);
    /* one note listing every empty field */
    bundled("meta/missing-metadata", p[1], 1, LEVEL_NOTE, "fields author, license and short_description are empty");
    bundled("meta/missing-metadata", p[3], 0, 0, NULL);
    /* a well-formed updatable classifier: nothing to fix */
    bundled("meta/updatable-model", p[2], 0, 0, NULL);
    bundled("meta/updatable-model", p[3], 0, 0, NULL);
    bundled("io/classifier-labels", p[2], 0, 0, NULL);
}

/* ---- main ------------------------------------------------------------------- */

int main(void) {
    const char *src = getenv("CML_SOURCE_DIR");
    snprintf(g_src, sizeof g_src, "%s", src ? src : CML_SOURCE_DIR);
    if (!tmp_make_dir(g_tmp, sizeof g_tmp, "cml-test-lua-")) return 1;
    RUN(test_globals_snapshot);
    RUN(test_luacheckrc_matches_surface);
    RUN(test_sandbox_primitives);
    RUN(test_hostile_rules);
    RUN(test_rule_api);
    RUN(test_ctx_target);
    RUN(test_bundled_rules);
    RUN(test_rules_folder);
    RUN(test_corpus);
    RUN(test_touch_all);
    pool_free();
    tmp_remove_tree(g_tmp);
    return CHECK_DONE();
}

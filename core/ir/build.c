/* ir_build.c — turn one decoded Core ML Model protobuf into the typed IR.
 *
 * Data flow position: loader (container, mmap, protobuf-c decode) -> here ->
 * passes (compression, NN shapes, compute units) -> rules. This file maps the
 * model description (features, metadata, class labels, preprocessing), the
 * ML Program (functions, blocks, ops, values, constants, blob references)
 * and NeuralNetwork layers (as ops whose attributes come from the layer's
 * parameter message by reflection) into cml_* nodes allocated in the
 * model's arena. Every count and reference read from the file is checked;
 * problems become load/... diags and the build goes on with what is usable.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml-lint/coreml_facts.h"
#include "ir/model.h"

/* SOURCE: apple/coremltools mlmodel/format/MIL.proto, enum DataType. */
static cml_dtype dtype_from_mil(int v) {
    switch (v) {
    case 1: return CML_DT_BOOL;
    case 2: return CML_DT_STRING;
    case 10: return CML_DT_FP16;
    case 11: return CML_DT_FP32;
    case 12: return CML_DT_FP64;
    case 13: return CML_DT_BF16;
    case 21: return CML_DT_INT8;
    case 22: return CML_DT_INT16;
    case 23: return CML_DT_INT32;
    case 24: return CML_DT_INT64;
    case 25: return CML_DT_INT4;
    case 31: return CML_DT_UINT8;
    case 32: return CML_DT_UINT16;
    case 33: return CML_DT_UINT32;
    case 34: return CML_DT_UINT64;
    case 35: return CML_DT_UINT4;
    case 36: return CML_DT_UINT2;
    case 37: return CML_DT_UINT1;
    case 38: return CML_DT_UINT6;
    case 39: return CML_DT_UINT3;
    case 40: return CML_DT_FP8E4M3FN;
    case 41: return CML_DT_FP8E5M2;
    default: return CML_DT_UNKNOWN;
    }
}

/* ---- builder state -------------------------------------------------------- */

#define SCOPE_MIN 64u

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
    const char *model_dir;  /* @model_path */
    const char *logical;    /* prefix for sub-models, or NULL */
    vec weights;            /* every cml_weight of this model */
    vec all_values;         /* for consumer fill-in */
    vec all_ops;
    int is_mil_text;        /* positions from model.mil */
} builder;

static int vec_push(arena *a, vec *v, void *p) {
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 16;
        void **ni = arena_realloc(a, v->items, v->cap * sizeof *ni, nc * sizeof *ni);
        if (!ni) return -1;
        v->items = ni;
        v->cap = nc;
    }
    v->items[v->n++] = p;
    return 0;
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int scope_put(arena *a, scope *sc, const char *name, cml_value *v) {
    if (!name) return 0;
    if ((sc->n + 1) * 2 > sc->cap) {
        size_t nc = sc->cap ? sc->cap * 2 : SCOPE_MIN;
        scope_ent *ne = arena_calloc(a, nc, sizeof *ne);
        if (!ne) return -1;
        for (size_t i = 0; i < sc->cap; i++) {
            if (!sc->ents[i].name) continue;
            size_t j = hash_str(sc->ents[i].name) & (nc - 1);
            while (ne[j].name) j = (j + 1) & (nc - 1);
            ne[j] = sc->ents[i];
        }
        sc->ents = ne;
        sc->cap = nc;
    }
    size_t j = hash_str(name) & (sc->cap - 1);
    while (sc->ents[j].name) {
        if (!strcmp(sc->ents[j].name, name)) {
            sc->ents[j].v = v; /* shadowing: latest definition wins */
            return 0;
        }
        j = (j + 1) & (sc->cap - 1);
    }
    sc->ents[j].name = name;
    sc->ents[j].v = v;
    sc->n++;
    return 0;
}

static cml_value *scope_get(const scope *sc, const char *name) {
    if (!sc->cap || !name) return NULL;
    size_t j = hash_str(name) & (sc->cap - 1);
    while (sc->ents[j].name) {
        if (!strcmp(sc->ents[j].name, name)) return sc->ents[j].v;
        j = (j + 1) & (sc->cap - 1);
    }
    return NULL;
}

static const char *S(builder *b, const char *s) { return arena_strdup(b->a, s ? s : ""); }

/* The first OS releases that load a model of specification version spec,
 * as strings ("16.0"); NULL where none (spec unknown). The facts come from
 * the one table of coreml_facts.h. */
static cml_os_versions min_os_of(builder *b, int32_t spec) {
    cml_os_versions v = {0};
    const char **slot[CML_PLATFORM_COUNT_] = {&v.ios, &v.macos, &v.tvos, &v.watchos, &v.visionos};
    for (int p = 0; p < CML_PLATFORM_COUNT_; p++) {
        uint32_t os = cml_spec_min_os(spec, (cml_platform)p);
        char buf[32];
        if (os && cml_osver_format(os, buf, sizeof buf) > 0) *slot[p] = arena_strdup(b->a, buf);
    }
    return v;
}

static char *logical_join(builder *b, const char *tail) {
    if (b->logical && *b->logical)
        return arena_printf(b->a, "%s/%s", b->logical, tail ? tail : "");
    return arena_strdup(b->a, tail ? tail : "");
}

static void set_loc(builder *b, cml_loc *loc, const char *logical, const void *key) {
    loc->artifact = b->artifact;
    loc->logical = logical;
    if (b->is_mil_text && key) {
        mil_pos p = miltext_pos(&b->lm->pos, key);
        loc->line = p.line;
        loc->column = p.col;
    }
}

#define DIAG(b, id, lvl, logical, ...)                                                   \
    diag_add(&(b)->lm->diags, id, lvl, (b)->artifact, -1, 0, 0, logical, __VA_ARGS__)

/* ---- features -------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/FeatureTypes.proto, FeatureType
 * oneof Type field numbers (int64Type=1 ... stateType=8). */
static cml_feature_kind feature_kind(int type_case) {
    switch (type_case) {
    case 1: return CML_FEAT_INT64;
    case 2: return CML_FEAT_DOUBLE;
    case 3: return CML_FEAT_STRING;
    case 4: return CML_FEAT_IMAGE;
    case 5: return CML_FEAT_MULTIARRAY;
    case 6: return CML_FEAT_DICTIONARY;
    case 7: return CML_FEAT_SEQUENCE;
    case 8: return CML_FEAT_STATE;
    default: return CML_FEAT_INVALID;
    }
}

static int64_t *copy_i64(builder *b, const int64_t *src, size_t n) {
    if (!n) return NULL;
    int64_t *d = arena_calloc(b->a, n, sizeof *d);
    if (d) memcpy(d, src, n * sizeof *d);
    return d;
}

static void fill_array(builder *b, cml_feature *f, const Cmlpb__ArrayFeatureType *at) {
    if (!at) return;
    f->array_dtype = (cml_array_dtype)at->datatype;
    f->shape.rank = (int32_t)at->n_shape;
    f->shape.dims = copy_i64(b, at->shape, at->n_shape);
    /* SOURCE: FeatureTypes.proto ArrayFeatureType oneof ShapeFlexibility:
     * enumeratedShapes = 21, shapeRange = 31. */
    if (at->shape_flexibility_case == 21 && at->enumeratedshapes) {
        const Cmlpb__ArrayFeatureType__EnumeratedShapes *es = at->enumeratedshapes;
        f->flex = CML_FLEX_ENUMERATED;
        cml_shape *sh = arena_calloc(b->a, es->n_shapes ? es->n_shapes : 1, sizeof *sh);
        if (sh) {
            for (size_t i = 0; i < es->n_shapes; i++) {
                if (!es->shapes[i]) continue;
                sh[i].rank = (int32_t)es->shapes[i]->n_shape;
                sh[i].dims = copy_i64(b, es->shapes[i]->shape, es->shapes[i]->n_shape);
            }
            f->n_enumerated = es->n_shapes;
            f->enumerated = sh;
        }
    } else if (at->shape_flexibility_case == 31 && at->shaperange) {
        const Cmlpb__ArrayFeatureType__ShapeRange *sr = at->shaperange;
        f->flex = CML_FLEX_RANGE;
        cml_range *r = arena_calloc(b->a, sr->n_sizeranges ? sr->n_sizeranges : 1, sizeof *r);
        if (r) {
            for (size_t i = 0; i < sr->n_sizeranges; i++) {
                if (!sr->sizeranges[i]) continue;
                r[i].lower = (int64_t)sr->sizeranges[i]->lowerbound;
                r[i].upper = sr->sizeranges[i]->upperbound;
            }
            f->n_ranges = sr->n_sizeranges;
            f->ranges = r;
        }
    }
}

static cml_feature *build_feature(builder *b, const Cmlpb__FeatureDescription *fd,
                                  const char *role) {
    cml_feature *f = arena_alloc(b->a, sizeof *f);
    if (!f) return NULL;
    f->name = S(b, fd->name);
    f->description = S(b, fd->shortdescription);
    set_loc(b, &f->loc, logical_join(b, arena_printf(b->a, "%s:%s", role, f->name)), NULL);
    const Cmlpb__FeatureType *t = fd->type;
    if (!t) {
        DIAG(b, "load/interface-invalid", DIAG_ERROR, f->loc.logical,
             "%s '%s' has no feature type", role, f->name);
        return f;
    }
    f->optional = t->isoptional;
    f->kind = feature_kind(t->type_case);
    switch (f->kind) {
    case CML_FEAT_MULTIARRAY: fill_array(b, f, t->multiarraytype); break;
    case CML_FEAT_STATE:
        if (t->statetype && t->statetype->type_case == 1) fill_array(b, f, t->statetype->arraytype);
        break;
    case CML_FEAT_IMAGE: {
        const Cmlpb__ImageFeatureType *it = t->imagetype;
        if (!it) break;
        f->width = it->width;
        f->height = it->height;
        f->color = (cml_color)it->colorspace;
        /* SOURCE: FeatureTypes.proto ImageFeatureType oneof SizeFlexibility:
         * enumeratedSizes = 21, imageSizeRange = 31. */
        if (it->size_flexibility_case == 21 && it->enumeratedsizes) {
            const Cmlpb__ImageFeatureType__EnumeratedImageSizes *es = it->enumeratedsizes;
            f->flex = CML_FLEX_ENUMERATED;
            cml_shape *sh = arena_calloc(b->a, es->n_sizes ? es->n_sizes : 1, sizeof *sh);
            if (sh) {
                for (size_t i = 0; i < es->n_sizes; i++) {
                    int64_t *d = arena_calloc(b->a, 2, sizeof *d);
                    if (!d || !es->sizes[i]) continue;
                    d[0] = (int64_t)es->sizes[i]->height;
                    d[1] = (int64_t)es->sizes[i]->width;
                    sh[i].rank = 2;
                    sh[i].dims = d;
                }
                f->n_enumerated = es->n_sizes;
                f->enumerated = sh;
            }
        } else if (it->size_flexibility_case == 31 && it->imagesizerange) {
            cml_range *r = arena_calloc(b->a, 2, sizeof *r);
            f->flex = CML_FLEX_RANGE;
            if (r) {
                const Cmlpb__SizeRange *h = it->imagesizerange->heightrange;
                const Cmlpb__SizeRange *w = it->imagesizerange->widthrange;
                if (h) { r[0].lower = (int64_t)h->lowerbound; r[0].upper = h->upperbound; }
                if (w) { r[1].lower = (int64_t)w->lowerbound; r[1].upper = w->upperbound; }
                f->n_ranges = 2;
                f->ranges = r;
            }
        }
        break;
    }
    case CML_FEAT_DICTIONARY:
        /* SOURCE: FeatureTypes.proto DictionaryFeatureType oneof KeyType:
         * int64KeyType = 1, stringKeyType = 2. */
        if (t->dictionarytype)
            f->key_kind = t->dictionarytype->key_type_case == 1 ? CML_FEAT_INT64
                          : t->dictionarytype->key_type_case == 2 ? CML_FEAT_STRING
                                                                  : CML_FEAT_INVALID;
        break;
    case CML_FEAT_SEQUENCE:
        if (t->sequencetype)
            f->element_kind = t->sequencetype->type_case == 1 ? CML_FEAT_INT64
                              : t->sequencetype->type_case == 3 ? CML_FEAT_STRING
                                                                 : CML_FEAT_INVALID;
        break;
    default: break;
    }
    if (f->kind == CML_FEAT_INVALID)
        DIAG(b, "load/interface-invalid", DIAG_ERROR, f->loc.logical,
             "%s '%s' has a missing or unknown feature type (field %d)", role, f->name,
             (int)t->type_case);
    if (!*f->name)
        DIAG(b, "load/interface-invalid", DIAG_ERROR, f->loc.logical,
             "a %s feature has an empty name", role);
    return f;
}

static const cml_feature *const *build_features(builder *b, Cmlpb__FeatureDescription **fds,
                                                size_t n, const char *role, size_t *out_n) {
    *out_n = 0;
    if (!n) return NULL;
    const cml_feature **arr = arena_calloc(b->a, n, sizeof *arr);
    if (!arr) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!fds[i]) continue;
        const cml_feature *f = build_feature(b, fds[i], role);
        if (f) arr[k++] = f;
    }
    *out_n = k;
    return arr;
}

static int kv_cmp(const void *x, const void *y) {
    return strcmp(((const cml_kv *)x)->key, ((const cml_kv *)y)->key);
}

static void build_description(builder *b, const Cmlpb__ModelDescription *d) {
    cml_model *m = b->m;
    if (!d) {
        DIAG(b, "load/interface-invalid", DIAG_ERROR, b->logical,
             "the model has no description (inputs and outputs)");
        return;
    }
    m->inputs = build_features(b, d->input, d->n_input, "input", &m->n_inputs);
    m->outputs = build_features(b, d->output, d->n_output, "output", &m->n_outputs);
    m->states = build_features(b, d->state, d->n_state, "state", &m->n_states);
    m->training_inputs =
        build_features(b, d->traininginput, d->n_traininginput, "trainingInput", &m->n_training_inputs);
    m->predicted_feature_name = d->predictedfeaturename && *d->predictedfeaturename
                                    ? S(b, d->predictedfeaturename) : NULL;
    m->predicted_probabilities_name = d->predictedprobabilitiesname && *d->predictedprobabilitiesname
                                          ? S(b, d->predictedprobabilitiesname) : NULL;
    m->default_function_name = d->defaultfunctionname && *d->defaultfunctionname
                                   ? S(b, d->defaultfunctionname) : NULL;
    if (d->n_functions) {
        const cml_function_desc **fa = arena_calloc(b->a, d->n_functions, sizeof *fa);
        size_t k = 0;
        for (size_t i = 0; fa && i < d->n_functions; i++) {
            const Cmlpb__FunctionDescription *fd = d->functions[i];
            cml_function_desc *f = fd ? arena_alloc(b->a, sizeof *f) : NULL;
            if (!f) continue;
            f->name = S(b, fd->name);
            f->inputs = build_features(b, fd->input, fd->n_input, "input", &f->n_inputs);
            f->outputs = build_features(b, fd->output, fd->n_output, "output", &f->n_outputs);
            f->states = build_features(b, fd->state, fd->n_state, "state", &f->n_states);
            f->predicted_feature_name = S(b, fd->predictedfeaturename);
            f->predicted_probabilities_name = S(b, fd->predictedprobabilitiesname);
            fa[k++] = f;
        }
        m->function_descs = fa;
        m->n_function_descs = k;
    }
    const Cmlpb__Metadata *md = d->metadata;
    cml_metadata *meta = &m->metadata;
    meta->present = md != NULL;
    meta->author = S(b, md ? md->author : NULL);
    meta->license = S(b, md ? md->license : NULL);
    meta->short_description = S(b, md ? md->shortdescription : NULL);
    meta->version = S(b, md ? md->versionstring : NULL);
    if (md && md->n_userdefined) {
        cml_kv *kv = arena_calloc(b->a, md->n_userdefined, sizeof *kv);
        size_t k = 0;
        for (size_t i = 0; kv && i < md->n_userdefined; i++) {
            if (!md->userdefined[i]) continue;
            kv[k].key = S(b, md->userdefined[i]->key);
            kv[k].value = S(b, md->userdefined[i]->value);
            k++;
        }
        if (kv) qsort(kv, k, sizeof *kv, kv_cmp);
        meta->user = kv;
        meta->n_user = kv ? k : 0;
    }
}

/* ---- values and constants ------------------------------------------------- */

static void build_type(builder *b, const Cmlpb__Mil__ValueType *vt, cml_type *t, int depth) {
    memset(t, 0, sizeof *t);
    t->shape.rank = -1;
    if (!vt || depth > IR_MAX_DEPTH) return;
    /* SOURCE: MIL.proto ValueType oneof: tensorType=1, listType=2,
     * tupleType=3, dictionaryType=4, stateType=5. */
    switch (vt->type_case) {
    case 1: {
        const Cmlpb__Mil__TensorType *tt = vt->tensortype;
        t->kind = CML_TYPE_TENSOR;
        if (!tt) return;
        t->dtype = dtype_from_mil(tt->datatype);
        if (tt->rank < 0 || tt->rank > 64) { t->shape.rank = -1; return; }
        t->shape.rank = (int32_t)tt->rank;
        /* dims beyond those listed (rank without dimensions) stay unknown */
        int64_t *d = arena_calloc(b->a, (size_t)tt->rank ? (size_t)tt->rank : 1, sizeof *d);
        if (!d) return;
        for (int64_t i = 0; i < tt->rank; i++) {
            d[i] = CML_DIM_UNKNOWN;
            if ((size_t)i < tt->n_dimensions && tt->dimensions[i] &&
                tt->dimensions[i]->dimension_case == 1 && tt->dimensions[i]->constant &&
                tt->dimensions[i]->constant->size <= (uint64_t)INT64_MAX)
                d[i] = (int64_t)tt->dimensions[i]->constant->size;
        }
        t->shape.dims = d;
        return;
    }
    case 2: t->kind = CML_TYPE_LIST; return;
    case 3: t->kind = CML_TYPE_TUPLE; return;
    case 4: t->kind = CML_TYPE_DICT; return;
    case 5:
        t->kind = CML_TYPE_STATE;
        if (vt->statetype && vt->statetype->wrappedtype) {
            cml_type inner;
            build_type(b, vt->statetype->wrappedtype, &inner, depth + 1);
            t->dtype = inner.dtype;
            t->shape = inner.shape;
        }
        return;
    default: return;
    }
}

static uint64_t shape_elems(const cml_shape *s) {
    if (s->rank < 0) return 0;
    uint64_t n = 1;
    for (int32_t i = 0; i < s->rank; i++) {
        if (s->dims[i] < 0) return 0;
        if (s->dims[i] && n > UINT64_MAX / (uint64_t)s->dims[i]) return 0;
        n *= (uint64_t)s->dims[i];
    }
    return n;
}

static wfile *open_weight_file(builder *b, const char *file_name, const char *logical) {
    lmodel *lm = b->lm;
    /* SOURCE: coremltools converters/mil/backend/mil/load.py — blob paths are
     * "@model_path/weights/<file>", @model_path being the folder that holds
     * the spec (Data/com.apple.CoreML in a package, the .mlmodelc itself). */
    const char *rel = file_name;
    /* a bare .mlmodel has no folder for weights: the loader reports
     * load/mlprogram-without-weights once instead of one miss per blob */
    if (!b->model_dir) return NULL;
    if (!strncmp(rel, "@model_path/", 12)) rel += 12;
    if (strstr(rel, "..") || rel[0] == '/' || !*rel) {
        DIAG(b, "load/missing-weight-file", DIAG_ERROR, logical,
             "weight file name '%s' does not stay inside the model folder", file_name);
        return NULL;
    }
    char *abs = fs_join(b->a, b->model_dir ? b->model_dir : ".", rel);
    if (!abs) return NULL;
    for (size_t i = 0; i < lm->n_wfiles; i++)
        if (!strcmp(lm->wfiles[i]->abs_path, abs)) return lm->wfiles[i]->mapped ? lm->wfiles[i] : NULL;
    if (lm->n_wfiles >= IR_MAX_WEIGHT_FILES) return NULL;
    wfile *wf = arena_alloc(b->a, sizeof *wf);
    if (!wf) return NULL;
    wf->abs_path = abs;
    size_t rl = strlen(lm->root);
    wf->pub.path = (!strncmp(abs, lm->root, rl) && abs[rl] == '/') ? abs + rl + 1 : abs;
    lm->wfiles[lm->n_wfiles++] = wf;
    if (!fs_is_file(abs)) {
        diag_add(&lm->diags, "load/missing-weight-file", DIAG_ERROR, wf->pub.path, -1, 0, 0, logical,
                 "weight file '%s' referenced by the program does not exist", wf->pub.path);
        return NULL;
    }
    blob_open(&wf->bf, abs, b->a);
    wf->mapped = wf->bf.map != NULL || wf->bf.size == 0;
    wf->pub.size_bytes = wf->bf.size;
    wf->pub.storage_version = wf->bf.version;
    wf->pub.blob_count = wf->bf.count;
    wf->pub.blobs_parsed = (uint32_t)wf->bf.n_blobs;
    for (size_t i = 0; i < wf->bf.n_blobs; i++) {
        wf->pub.payload_bytes += wf->bf.blobs[i].size;
        cml_dtype dt = wf->bf.blobs[i].dtype;
        if ((unsigned)dt < CML_DT_COUNT_) wf->pub.dtype_counts[dt]++;
    }
    for (size_t i = 0; i < wf->bf.n_problems; i++)
        diag_add(&lm->diags, "load/weight-blob", DIAG_ERROR, wf->pub.path,
                 (int64_t)wf->bf.problems[i].offset, 0, 0, NULL, "%s", wf->bf.problems[i].message);
    if (wf->bf.fatal) { wf->mapped = 0; return NULL; }
    return wf;
}

/* A constant from a MIL Value (immediate or blob). */
static iweight *weight_from_value(builder *b, const Cmlpb__Mil__Value *v, const cml_type *t,
                                  const char *logical) {
    iweight *w = arena_alloc(b->a, sizeof *w);
    if (!w) return NULL;
    w->pub.dtype = t->dtype;
    w->pub.shape = t->shape.rank >= 0 ? t->shape : (cml_shape){0, NULL};
    w->pub.n_elements = shape_elems(&w->pub.shape);
    set_loc(b, &w->pub.loc, logical, NULL);
    /* SOURCE: MIL.proto Value oneof value: immediateValue = 3, blobFileValue = 5. */
    if (v->value_case == 5 && v->blobfilevalue) {
        const Cmlpb__Mil__Value__BlobFileValue *bv = v->blobfilevalue;
        w->pub.storage = CML_STORE_BLOB;
        w->pub.blob_offset = bv->offset;
        wfile *wf = open_weight_file(b, bv->filename ? bv->filename : "", logical);
        if (!wf) return w;
        w->pub.file = &wf->pub;
        w->pub.loc.artifact = wf->pub.path;
        blob_meta *bm = blob_find(&wf->bf, bv->offset);
        if (!bm) {
            diag_add(&b->lm->diags, "load/weight-blob", DIAG_ERROR, wf->pub.path, (int64_t)bv->offset, 0,
                     0, logical,
                     "'%s' points at offset %" PRIu64 " of %s, where no blob record starts",
                     logical ? logical : "?", bv->offset, wf->pub.path);
            return w;
        }
        w->meta = bm;
        bm->refs++;
        w->pub.data_offset = bm->data_offset;
        w->pub.nbytes = bm->size;
        w->pub.loc.has_bytes = true;
        w->pub.loc.byte_offset = bm->meta_offset;
        w->pub.loc.byte_length = bm->data_offset - bm->meta_offset + bm->size;
        /* SOURCE: rules-knowledge 2.6 "Derived consistency checks": the blob
         * dtype must match the value type and hold prod(shape) elements. */
        if (bm->dtype != CML_DT_UNKNOWN && t->dtype != CML_DT_UNKNOWN && bm->dtype != t->dtype)
            diag_add(&b->lm->diags, "load/weight-blob", DIAG_ERROR, wf->pub.path, (int64_t)bm->meta_offset,
                     0, 0, logical, "'%s' is typed %s but its blob at offset %" PRIu64 " holds %s",
                     logical ? logical : "?", cml_dtype_name(t->dtype), bm->meta_offset,
                     cml_dtype_name(bm->dtype));
        else if (w->pub.n_elements && bm->n_elements && bm->n_elements != w->pub.n_elements)
            diag_add(&b->lm->diags, "load/weight-blob", DIAG_ERROR, wf->pub.path, (int64_t)bm->meta_offset,
                     0, 0, logical,
                     "'%s' has %" PRIu64 " elements but its blob at offset %" PRIu64 " holds %" PRIu64,
                     logical ? logical : "?", w->pub.n_elements, bm->meta_offset, bm->n_elements);
        return w;
    }
    if (v->value_case == 3 && v->immediatevalue) {
        const Cmlpb__Mil__Value__ImmediateValue *iv = v->immediatevalue;
        w->pub.storage = CML_STORE_INLINE;
        /* SOURCE: MIL.proto ImmediateValue oneof: tensor = 1; TensorValue
         * oneof: floats=1 ints=2 bools=3 strings=4 longInts=5 doubles=6 bytes=7. */
        if (iv->value_case != 1 || !iv->tensor) return w;
        const Cmlpb__Mil__TensorValue *tv = iv->tensor;
        switch (tv->value_case) {
        case 1:
            if (tv->floats) {
                w->inline_data = (const unsigned char *)tv->floats->values;
                w->pub.nbytes = tv->floats->n_values * sizeof(float);
                w->stored_as = ISTORE_F32;
            }
            break;
        case 2:
            if (tv->ints) {
                w->inline_data = (const unsigned char *)tv->ints->values;
                w->pub.nbytes = tv->ints->n_values * sizeof(int32_t);
                w->stored_as = ISTORE_I32;
            }
            break;
        case 3:
            if (tv->bools) {
                w->inline_data = (const unsigned char *)tv->bools->values;
                w->pub.nbytes = tv->bools->n_values * sizeof(protobuf_c_boolean);
                w->stored_as = ISTORE_BOOL;
            }
            break;
        case 4:
            if (tv->strings) {
                w->strings = (const char *const *)tv->strings->values;
                w->pub.nbytes = tv->strings->n_values;
                w->stored_as = ISTORE_STR;
            }
            break;
        case 5:
            if (tv->longints) {
                w->inline_data = (const unsigned char *)tv->longints->values;
                w->pub.nbytes = tv->longints->n_values * sizeof(int64_t);
                w->stored_as = ISTORE_I64;
            }
            break;
        case 6:
            if (tv->doubles) {
                w->inline_data = (const unsigned char *)tv->doubles->values;
                w->pub.nbytes = tv->doubles->n_values * sizeof(double);
                w->stored_as = ISTORE_F64;
            }
            break;
        case 7:
            if (tv->bytes) {
                w->inline_data = tv->bytes->values.data;
                w->pub.nbytes = tv->bytes->values.len;
                w->stored_as = ISTORE_RAW;
            }
            break;
        default: break;
        }
    }
    return w;
}

static cml_value *new_value(builder *b, const char *name, const cml_type *t) {
    cml_value *v = arena_alloc(b->a, sizeof *v);
    if (!v) return NULL;
    v->name = S(b, name);
    if (t) v->type = *t;
    else v->type.shape.rank = -1;
    vec_push(b->a, &b->all_values, v);
    return v;
}

/* A literal (immediate or blob) bound to an argument or attribute. */
static cml_value *literal_value(builder *b, const Cmlpb__Mil__Value *pv, const char *logical,
                                const char *name) {
    cml_type t;
    build_type(b, pv->type, &t, 0);
    cml_value *v = new_value(b, name, &t);
    if (!v) return NULL;
    iweight *w = weight_from_value(b, pv, &t, logical);
    if (w) {
        v->weight = &w->pub;
        vec_push(b->a, &b->weights, w);
    }
    v->loc = w ? w->pub.loc : (cml_loc){0};
    return v;
}

/* Scalar attribute from an immediate value (name, val for small consts...). */
static void attr_from_value(builder *b, cml_attr *at, const Cmlpb__Mil__Value *pv,
                            const char *logical) {
    at->kind = CML_ATTR_VALUE;
    at->value = literal_value(b, pv, logical, at->name);
    if (!at->value || !at->value->weight) return;
    const iweight *w = (const iweight *)at->value->weight;
    const cml_type *t = &at->value->type;
    if (w->pub.storage != CML_STORE_INLINE || t->kind != CML_TYPE_TENSOR || t->shape.rank != 0)
        return;
    /* rank-0 immediates: expose the scalar directly too */
    switch (w->stored_as) {
    case ISTORE_STR:
        if (w->pub.nbytes >= 1 && w->strings) { at->kind = CML_ATTR_STRING; at->s = w->strings[0]; }
        break;
    case ISTORE_F32:
        if (w->pub.nbytes >= 4) { float f; memcpy(&f, w->inline_data, 4); at->kind = CML_ATTR_FLOAT; at->f = f; }
        break;
    case ISTORE_F64:
        if (w->pub.nbytes >= 8) { memcpy(&at->f, w->inline_data, 8); at->kind = CML_ATTR_FLOAT; }
        break;
    case ISTORE_I32:
        if (w->pub.nbytes >= 4) { int32_t i; memcpy(&i, w->inline_data, 4); at->kind = CML_ATTR_INT; at->i = i; }
        break;
    case ISTORE_I64:
        if (w->pub.nbytes >= 8) { memcpy(&at->i, w->inline_data, 8); at->kind = CML_ATTR_INT; }
        break;
    case ISTORE_BOOL:
        if (w->pub.nbytes >= sizeof(protobuf_c_boolean)) {
            protobuf_c_boolean x; memcpy(&x, w->inline_data, sizeof x);
            at->kind = CML_ATTR_BOOL; at->b = x != 0;
        }
        break;
    default: break;
    }
}

/* ---- ML Program ------------------------------------------------------------ */

typedef struct fctx {
    builder *b;
    scope sc;
    cml_function *fn;
    size_t n_ops;
} fctx;

static cml_block *build_block(fctx *fc, const Cmlpb__Mil__Block *pb, const cml_op *parent,
                              int depth);

static int attr_cmp(const void *x, const void *y) {
    const cml_attr *a = *(const cml_attr *const *)x, *c = *(const cml_attr *const *)y;
    return strcmp(a->name, c->name);
}

static cml_op *build_mil_op(fctx *fc, const Cmlpb__Mil__Operation *po, const cml_block *blk,
                            size_t index, int depth) {
    builder *b = fc->b;
    cml_op *op = arena_alloc(b->a, sizeof *op);
    if (!op) return NULL;
    op->kind = S(b, po->type);
    op->parent = blk;
    op->function = fc->fn;
    op->index = index;
    op->is_const = !strcmp(op->kind, "const") || !strncmp(op->kind, "constexpr_", 10);
    /* the op's name: attributes["name"] (coremltools always writes it),
     * else its first output. SOURCE: coremltools backend/mil/load.py. */
    const char *name = NULL;
    for (size_t i = 0; i < po->n_attributes; i++) {
        const Cmlpb__Mil__Operation__AttributesEntry *e = po->attributes[i];
        if (e && e->key && !strcmp(e->key, "name") && e->value && e->value->value_case == 3 &&
            e->value->immediatevalue && e->value->immediatevalue->value_case == 1 &&
            e->value->immediatevalue->tensor && e->value->immediatevalue->tensor->value_case == 4 &&
            e->value->immediatevalue->tensor->strings &&
            e->value->immediatevalue->tensor->strings->n_values > 0)
            name = e->value->immediatevalue->tensor->strings->values[0];
    }
    if (!name && po->n_outputs && po->outputs[0]) name = po->outputs[0]->name;
    op->name = S(b, name ? name : "");
    char *logical = arena_printf(b->a, "%s%s%s/%s", b->logical ? b->logical : "",
                                 b->logical ? "/" : "", fc->fn->name, op->name);
    set_loc(b, &op->loc, logical, po);
    vec_push(b->a, &b->all_ops, op);
    fc->n_ops++;

    /* inputs */
    if (po->n_inputs) {
        const cml_arg **args = arena_calloc(b->a, po->n_inputs, sizeof *args);
        size_t k = 0;
        for (size_t i = 0; args && i < po->n_inputs; i++) {
            const Cmlpb__Mil__Operation__InputsEntry *e = po->inputs[i];
            if (!e || !e->value) continue;
            cml_arg *ar = arena_alloc(b->a, sizeof *ar);
            if (!ar) break;
            ar->name = S(b, e->key);
            const Cmlpb__Mil__Argument *pa = e->value;
            const cml_value **vals = pa->n_arguments ? arena_calloc(b->a, pa->n_arguments, sizeof *vals) : NULL;
            size_t nv = 0;
            for (size_t j = 0; vals && j < pa->n_arguments; j++) {
                const Cmlpb__Mil__Argument__Binding *bd = pa->arguments[j];
                if (!bd) continue;
                /* SOURCE: MIL.proto Argument.Binding oneof: name = 1, value = 2 */
                if (bd->binding_case == 1) {
                    cml_value *v = scope_get(&fc->sc, bd->name);
                    if (!v) {
                        diag_add(&b->lm->diags, "load/mil-structure", DIAG_ERROR, b->artifact, -1,
                                 op->loc.line, op->loc.column, logical,
                                 "op '%s' (%s): input '%s' refers to '%s', which is not defined before it",
                                 op->name, op->kind, ar->name, bd->name ? bd->name : "");
                        continue;
                    }
                    vals[nv++] = v;
                } else if (bd->binding_case == 2 && bd->value) {
                    cml_value *v = literal_value(b, bd->value,
                                                 arena_printf(b->a, "%s:%s", logical, ar->name), ar->name);
                    if (v) vals[nv++] = v;
                }
            }
            ar->values = vals;
            ar->n_values = nv;
            args[k++] = ar;
        }
        op->inputs = args;
        op->n_inputs = args ? k : 0;
    }

    /* attributes */
    if (po->n_attributes) {
        const cml_attr **attrs = arena_calloc(b->a, po->n_attributes, sizeof *attrs);
        size_t k = 0;
        for (size_t i = 0; attrs && i < po->n_attributes; i++) {
            const Cmlpb__Mil__Operation__AttributesEntry *e = po->attributes[i];
            if (!e || !e->value) continue;
            cml_attr *at = arena_alloc(b->a, sizeof *at);
            if (!at) break;
            at->name = S(b, e->key);
            attr_from_value(b, at, e->value, arena_printf(b->a, "%s:%s", logical, at->name));
            attrs[k++] = at;
        }
        if (attrs) qsort(attrs, k, sizeof *attrs, attr_cmp);
        op->attrs = attrs;
        op->n_attrs = attrs ? k : 0;
    }

    /* nested blocks (cond, while_loop): their inputs are visible inside */
    if (po->n_blocks) {
        if (depth >= IR_MAX_DEPTH) {
            diag_add(&b->lm->diags, "load/mil-structure", DIAG_ERROR, b->artifact, -1, op->loc.line,
                     op->loc.column, logical, "op '%s' nests blocks deeper than %d levels", op->name,
                     IR_MAX_DEPTH);
        } else {
            const cml_block **blocks = arena_calloc(b->a, po->n_blocks, sizeof *blocks);
            size_t k = 0;
            for (size_t i = 0; blocks && i < po->n_blocks; i++) {
                if (!po->blocks[i]) continue;
                const cml_block *nb = build_block(fc, po->blocks[i], op, depth + 1);
                if (nb) blocks[k++] = nb;
            }
            op->blocks = blocks;
            op->n_blocks = blocks ? k : 0;
        }
    }

    /* outputs */
    if (po->n_outputs) {
        const cml_value **outs = arena_calloc(b->a, po->n_outputs, sizeof *outs);
        size_t k = 0;
        for (size_t i = 0; outs && i < po->n_outputs; i++) {
            const Cmlpb__Mil__NamedValueType *nt = po->outputs[i];
            if (!nt) continue;
            cml_type t;
            build_type(b, nt->type, &t, 0);
            cml_value *v = new_value(b, nt->name, &t);
            if (!v) break;
            v->producer = op;
            v->loc = op->loc;
            scope_put(b->a, &fc->sc, v->name, v);
            outs[k++] = v;
        }
        op->outputs = outs;
        op->n_outputs = outs ? k : 0;
    }
    /* a const op's output holds its data */
    if (!strcmp(op->kind, "const") && op->n_outputs) {
        const cml_attr *val = ir_op_attr(op, "val");
        if (val && val->value && val->value->weight) {
            cml_value *out = (cml_value *)op->outputs[0];
            iweight *w = (iweight *)val->value->weight;
            /* the output's declared type is authoritative for the data */
            if (out->type.kind == CML_TYPE_TENSOR && w->pub.dtype == CML_DT_UNKNOWN)
                w->pub.dtype = out->type.dtype;
            w->pub.loc.logical = op->loc.logical;
            out->weight = &w->pub;
        }
    }
    return op;
}

static cml_block *build_block(fctx *fc, const Cmlpb__Mil__Block *pb, const cml_op *parent,
                              int depth) {
    builder *b = fc->b;
    cml_block *blk = arena_alloc(b->a, sizeof *blk);
    if (!blk) return NULL;
    blk->parent = parent;
    if (pb->n_inputs) {
        const cml_value **ins = arena_calloc(b->a, pb->n_inputs, sizeof *ins);
        size_t k = 0;
        for (size_t i = 0; ins && i < pb->n_inputs; i++) {
            if (!pb->inputs[i]) continue;
            cml_type t;
            build_type(b, pb->inputs[i]->type, &t, 0);
            cml_value *v = new_value(b, pb->inputs[i]->name, &t);
            if (!v) break;
            scope_put(b->a, &fc->sc, v->name, v);
            ins[k++] = v;
        }
        blk->inputs = ins;
        blk->n_inputs = ins ? k : 0;
    }
    if (pb->n_operations) {
        const cml_op **ops = arena_calloc(b->a, pb->n_operations, sizeof *ops);
        size_t k = 0;
        for (size_t i = 0; ops && i < pb->n_operations; i++) {
            if (!pb->operations[i]) continue;
            cml_op *op = build_mil_op(fc, pb->operations[i], blk, k, depth);
            if (op) ops[k++] = op;
        }
        blk->ops = ops;
        blk->n_ops = ops ? k : 0;
    }
    if (pb->n_outputs) {
        const cml_value **outs = arena_calloc(b->a, pb->n_outputs, sizeof *outs);
        size_t k = 0;
        for (size_t i = 0; outs && i < pb->n_outputs; i++) {
            cml_value *v = scope_get(&fc->sc, pb->outputs[i]);
            if (!v) {
                diag_add(&b->lm->diags, "load/mil-structure", DIAG_ERROR, b->artifact, -1, 0, 0,
                         fc->fn->loc.logical, "function '%s': block output '%s' is never defined",
                         fc->fn->name, pb->outputs[i] ? pb->outputs[i] : "");
                continue;
            }
            outs[k++] = v;
        }
        blk->outputs = outs;
        blk->n_outputs = outs ? k : 0;
    }
    return blk;
}

static int fn_cmp(const void *x, const void *y) {
    const cml_function *a = *(const cml_function *const *)x, *c = *(const cml_function *const *)y;
    return strcmp(a->name, c->name);
}

static void build_program(builder *b, const Cmlpb__Mil__Program *pp) {
    cml_model *m = b->m;
    m->program_version = pp->version;
    if (!pp->n_functions) {
        DIAG(b, "load/mil-structure", DIAG_ERROR, b->logical, "the ML Program has no functions");
        return;
    }
    const cml_function **fns = arena_calloc(b->a, pp->n_functions, sizeof *fns);
    size_t k = 0;
    for (size_t i = 0; fns && i < pp->n_functions; i++) {
        const Cmlpb__Mil__Program__FunctionsEntry *e = pp->functions[i];
        if (!e || !e->value) continue;
        const Cmlpb__Mil__Function *pf = e->value;
        cml_function *fn = arena_alloc(b->a, sizeof *fn);
        if (!fn) break;
        fctx fc = {.b = b, .fn = fn};
        fn->name = S(b, e->key);
        fn->opset = S(b, pf->opset);
        fn->model = m;
        set_loc(b, &fn->loc, logical_join(b, fn->name), pf);
        if (pf->n_inputs) {
            const cml_value **ins = arena_calloc(b->a, pf->n_inputs, sizeof *ins);
            size_t ki = 0;
            for (size_t j = 0; ins && j < pf->n_inputs; j++) {
                const Cmlpb__Mil__NamedValueType *nt = pf->inputs[j];
                if (!nt) continue;
                cml_type t;
                build_type(b, nt->type, &t, 0);
                cml_value *v = new_value(b, nt->name, &t);
                if (!v) break;
                v->is_function_input = true;
                v->is_state = t.kind == CML_TYPE_STATE;
                set_loc(b, &v->loc, arena_printf(b->a, "%s/%s", fn->loc.logical, v->name), nt);
                scope_put(b->a, &fc.sc, v->name, v);
                ins[ki++] = v;
            }
            fn->inputs = ins;
            fn->n_inputs = ins ? ki : 0;
        }
        /* the active block is block_specializations[opset]; SOURCE: MIL.proto
         * Function comment and coremltools backend/mil/load.py convert_function */
        const Cmlpb__Mil__Block *blk = NULL;
        for (size_t j = 0; j < pf->n_block_specializations; j++) {
            const Cmlpb__Mil__Function__BlockSpecializationsEntry *be = pf->block_specializations[j];
            if (be && be->value && be->key && pf->opset && !strcmp(be->key, pf->opset)) blk = be->value;
        }
        if (!blk && pf->n_block_specializations && pf->block_specializations[0]) {
            blk = pf->block_specializations[0]->value;
            if (blk)
                diag_add(&b->lm->diags, "load/mil-structure", DIAG_WARNING, b->artifact, -1,
                         fn->loc.line, fn->loc.column, fn->loc.logical,
                         "function '%s': no block for its opset '%s'; using the block for '%s'", fn->name,
                         fn->opset, pf->block_specializations[0]->key ? pf->block_specializations[0]->key : "");
        }
        if (!blk) {
            diag_add(&b->lm->diags, "load/mil-structure", DIAG_ERROR, b->artifact, -1, fn->loc.line,
                     fn->loc.column, fn->loc.logical, "function '%s' has no block", fn->name);
            static const cml_block empty;
            fn->block = &empty;
        } else {
            fn->block = build_block(&fc, blk, NULL, 0);
        }
        fn->n_ops_total = fc.n_ops;
        fns[k++] = fn;
    }
    if (fns) qsort(fns, k, sizeof *fns, fn_cmp);
    m->functions = fns;
    m->n_functions = fns ? k : 0;
}

/* ---- NeuralNetwork ---------------------------------------------------------- */

typedef struct attr_acc {
    const cml_attr **items;
    size_t n, cap;
    bool columnar;  /* repeated messages as columns (classic models, reflect_columns) */
} attr_acc;

static void acc_push(builder *b, attr_acc *acc, cml_attr *at) {
    if (acc->n == acc->cap) {
        size_t nc = acc->cap ? acc->cap * 2 : 16;
        const cml_attr **ni = arena_realloc(b->a, (void *)acc->items, acc->cap * sizeof *ni, nc * sizeof *ni);
        if (!ni) return;
        acc->items = ni;
        acc->cap = nc;
    }
    acc->items[acc->n++] = at;
}

/* NN WeightParams: SOURCE: mlmodel/format/NeuralNetwork.proto WeightParams
 * (floatValue=1, float16Value=2, rawValue=30, int8RawValue=31,
 * quantization=40, isUpdatable=50). */
static iweight *nn_weight(builder *b, const Cmlpb__WeightParams *wp, const char *logical) {
    iweight *w = arena_alloc(b->a, sizeof *w);
    if (!w) return NULL;
    w->pub.storage = CML_STORE_INLINE;
    set_loc(b, &w->pub.loc, logical, NULL);
    if (wp->n_floatvalue) {
        w->pub.dtype = CML_DT_FP32;
        w->inline_data = (const unsigned char *)wp->floatvalue;
        w->pub.nbytes = wp->n_floatvalue * sizeof(float);
        w->pub.n_elements = wp->n_floatvalue;
        w->stored_as = ISTORE_F32;
    } else if (wp->float16value.len) {
        w->pub.dtype = CML_DT_FP16;
        w->inline_data = wp->float16value.data;
        w->pub.nbytes = wp->float16value.len;
        w->pub.n_elements = wp->float16value.len / 2;
    } else if (wp->int8rawvalue.len) {
        w->pub.dtype = CML_DT_INT8;
        w->inline_data = wp->int8rawvalue.data;
        w->pub.nbytes = wp->int8rawvalue.len;
        w->pub.n_elements = wp->int8rawvalue.len;
    } else if (wp->rawvalue.len) {
        w->pub.dtype = CML_DT_UINT8;
        w->inline_data = wp->rawvalue.data;
        w->pub.nbytes = wp->rawvalue.len;
    }
    if (wp->quantization) {
        const Cmlpb__QuantizationParams *q = wp->quantization;
        w->pub.quant_bits = q->numberofbits <= 64 ? (unsigned)q->numberofbits : 0;
        /* SOURCE: NeuralNetwork.proto QuantizationParams oneof:
         * linearQuantization = 101, lookupTableQuantization = 102 */
        w->pub.quant_linear = q->quantization_type_case == 101;
        w->pub.quant_lut = q->quantization_type_case == 102;
        if (w->pub.quant_linear && q->linearquantization) {
            w->pub.n_quant_scale = q->linearquantization->n_scale;
            w->pub.quant_scale = q->linearquantization->scale;
            w->pub.n_quant_bias = q->linearquantization->n_bias;
            w->pub.quant_bias = q->linearquantization->bias;
        }
        if (w->pub.quant_lut && q->lookuptablequantization) {
            w->pub.n_lut = q->lookuptablequantization->n_floatvalue;
            w->pub.lut = q->lookuptablequantization->floatvalue;
        }
        if (w->pub.quant_bits >= 1 && w->pub.quant_bits <= 8 && w->pub.nbytes)
            w->pub.n_elements = w->pub.nbytes * 8 / w->pub.quant_bits;
        if (w->pub.dtype == CML_DT_UINT8 && w->pub.quant_bits && w->pub.quant_bits < 8)
            w->pub.dtype = w->pub.quant_bits == 1 ? CML_DT_UINT1 : w->pub.quant_bits == 2 ? CML_DT_UINT2
                         : w->pub.quant_bits == 4 ? CML_DT_UINT4 : CML_DT_UINT8;
    }
    w->pub.shape.rank = 1;
    int64_t *d = arena_alloc(b->a, sizeof *d);
    if (d) { *d = (int64_t)w->pub.n_elements; w->pub.shape.dims = d; }
    return w;
}

/* One scalar field of a protobuf-c message (or element of a repeated
 * field) at p: as an integer (ints, enums, bools) or a double (floats). */
static void field_scalar(const ProtobufCFieldDescriptor *fd, const void *p, int64_t *iv, double *dv) {
    *iv = 0;
    *dv = 0;
    switch (fd->type) {
    case PROTOBUF_C_TYPE_FLOAT: { float f; memcpy(&f, p, sizeof f); *dv = f; return; }
    case PROTOBUF_C_TYPE_DOUBLE: memcpy(dv, p, sizeof *dv); return;
    case PROTOBUF_C_TYPE_BOOL: { protobuf_c_boolean x; memcpy(&x, p, sizeof x); *iv = x != 0; return; }
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: memcpy(iv, p, sizeof *iv); return;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: { uint32_t x; memcpy(&x, p, sizeof x); *iv = x; return; }
    default: { int32_t x; memcpy(&x, p, sizeof x); *iv = x; return; }
    }
}

static size_t field_size(const ProtobufCFieldDescriptor *fd) {
    switch (fd->type) {
    case PROTOBUF_C_TYPE_DOUBLE: case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: return 8;
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    default: return 4;
    }
}

static cml_attr *list_attr(builder *b, const char *name, bool is_float, size_t n) {
    cml_attr *at = arena_alloc(b->a, sizeof *at);
    if (!at) return NULL;
    at->name = name;
    at->n = n;
    at->kind = is_float ? CML_ATTR_FLOATS : CML_ATTR_INTS;
    if (is_float) at->floats = arena_calloc(b->a, n ? n : 1, sizeof(double));
    else at->ints = arena_calloc(b->a, n ? n : 1, sizeof(int64_t));
    return (is_float ? (const void *)at->floats : (const void *)at->ints) ? at : NULL;
}

/* A repeated message field as columns, so that a 10,000-node tree ensemble
 * is a dozen attributes rather than 100,000: every scalar field F of the n
 * elements becomes one list "prefix.F" of n entries (enums by number, bools
 * 0/1, strings as STRINGS); a repeated field R of the elements becomes one
 * list "prefix.R" of all their entries in order plus "prefix.R#count" (INTS,
 * n entries: how many each element has), recursively for repeated messages
 * ("treeEnsemble.nodes.evaluationInfo.evaluationValue"). Singular message
 * fields inside elements and bytes are not reflected. */
static void reflect_columns(builder *b, const ProtobufCMessage *const *ms, size_t n, const char *prefix,
                            attr_acc *acc, int depth) {
    if (!n || !ms || !ms[0] || !ms[0]->descriptor || depth > 6) return;
    const ProtobufCMessageDescriptor *d = ms[0]->descriptor;
    for (size_t j = 0; j < n; j++)
        if (!ms[j] || ms[j]->descriptor != d) return;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        if (fd->type == PROTOBUF_C_TYPE_BYTES || (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) continue;
        char *name = arena_printf(b->a, "%s.%s", prefix, fd->name);
        if (!name) return;
        if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
            if (fd->type == PROTOBUF_C_TYPE_MESSAGE) continue;
            cml_attr *at;
            if (fd->type == PROTOBUF_C_TYPE_STRING) {
                const char **sv = arena_calloc(b->a, n, sizeof *sv);
                at = sv ? arena_alloc(b->a, sizeof *at) : NULL;
                if (!at) return;
                for (size_t j = 0; j < n; j++) {
                    const char *s;
                    memcpy(&s, (const char *)ms[j] + fd->offset, sizeof s);
                    sv[j] = s ? s : "";
                }
                *at = (cml_attr){.name = name, .kind = CML_ATTR_STRINGS, .n = n, .strings = sv};
            } else {
                bool fl = fd->type == PROTOBUF_C_TYPE_FLOAT || fd->type == PROTOBUF_C_TYPE_DOUBLE;
                if (!(at = list_attr(b, name, fl, n))) return;
                for (size_t j = 0; j < n; j++) {
                    int64_t iv; double dv;
                    field_scalar(fd, (const char *)ms[j] + fd->offset, &iv, &dv);
                    if (fl) ((double *)at->floats)[j] = dv;
                    else ((int64_t *)at->ints)[j] = iv;
                }
            }
            acc_push(b, acc, at);
            continue;
        }
        /* repeated: per-element counts, then the entries of all elements */
        cml_attr *cnt = list_attr(b, arena_printf(b->a, "%s#count", name), false, n);
        if (!cnt || !cnt->name) return;
        size_t total = 0;
        for (size_t j = 0; j < n; j++) {
            size_t k;
            memcpy(&k, (const char *)ms[j] + fd->quantifier_offset, sizeof k);
            if (k > SIZE_MAX / 2 - total) return;
            ((int64_t *)cnt->ints)[j] = (int64_t)k;
            total += k;
        }
        acc_push(b, acc, cnt);
        size_t es = field_size(fd), at_k = 0;
        if (fd->type == PROTOBUF_C_TYPE_MESSAGE || fd->type == PROTOBUF_C_TYPE_STRING) {
            const void **all = arena_calloc(b->a, total ? total : 1, sizeof *all);
            if (!all) return;
            for (size_t j = 0; j < n; j++) {
                const void *const *arr;
                memcpy(&arr, (const char *)ms[j] + fd->offset, sizeof arr);
                for (int64_t k = 0; k < cnt->ints[j]; k++) all[at_k++] = arr[k];
            }
            if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
                reflect_columns(b, (const ProtobufCMessage *const *)all, total, name, acc, depth + 1);
            } else {
                cml_attr *at = arena_alloc(b->a, sizeof *at);
                if (!at) return;
                *at = (cml_attr){.name = name, .kind = CML_ATTR_STRINGS, .n = total, .strings = (const char *const *)all};
                acc_push(b, acc, at);
            }
            continue;
        }
        bool fl = fd->type == PROTOBUF_C_TYPE_FLOAT || fd->type == PROTOBUF_C_TYPE_DOUBLE;
        cml_attr *at = list_attr(b, name, fl, total);
        if (!at) return;
        for (size_t j = 0; j < n; j++) {
            const char *arr;
            memcpy(&arr, (const char *)ms[j] + fd->offset, sizeof arr);
            for (int64_t k = 0; k < cnt->ints[j]; k++, at_k++) {
                int64_t iv; double dv;
                field_scalar(fd, arr + (size_t)k * es, &iv, &dv);
                if (fl) ((double *)at->floats)[at_k] = dv;
                else ((int64_t *)at->ints)[at_k] = iv;
            }
        }
        acc_push(b, acc, at);
    }
}

/* Flatten a parameter message into attributes by reflection: scalars and
 * enums by field name, repeated scalars as lists, nested messages with a
 * dotted prefix ("valid.paddingAmounts"), WeightParams as VALUE attributes. */
static void reflect_params(builder *b, cml_op *op, const ProtobufCMessage *msg, const char *prefix,
                           attr_acc *acc, int depth) {
    if (!msg || !msg->descriptor || depth > 6) return;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        const char *base = (const char *)msg;
        if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t c;
            memcpy(&c, base + fd->quantifier_offset, sizeof c);
            if (c != fd->id) continue;
        }
        char *name = prefix ? arena_printf(b->a, "%s.%s", prefix, fd->name) : arena_strdup(b->a, fd->name);
        if (!name) return;
        const void *fp = base + fd->offset;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n;
            memcpy(&n, base + fd->quantifier_offset, sizeof n);
            if (!n) continue;
            void *arr;
            memcpy(&arr, fp, sizeof arr);
            if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
                const ProtobufCMessage *const *ms = arr;
                if (acc->columnar) {
                    reflect_columns(b, ms, n, name, acc, depth + 1);
                    continue;
                }
                for (size_t j = 0; j < n && j < 64; j++)
                    reflect_params(b, op, ms[j], arena_printf(b->a, "%s[%zu]", name, j), acc, depth + 1);
                continue;
            }
            if (fd->type == PROTOBUF_C_TYPE_BYTES) continue;
            cml_attr *at;
            if (fd->type == PROTOBUF_C_TYPE_STRING) {
                if (!(at = arena_alloc(b->a, sizeof *at))) return;
                *at = (cml_attr){.name = name, .kind = CML_ATTR_STRINGS, .n = n, .strings = (const char *const *)arr};
            } else {
                bool fl = fd->type == PROTOBUF_C_TYPE_FLOAT || fd->type == PROTOBUF_C_TYPE_DOUBLE;
                if (!(at = list_attr(b, name, fl, n))) return;
                size_t es = field_size(fd);
                for (size_t j = 0; j < n; j++) {
                    int64_t iv;
                    double dv;
                    field_scalar(fd, (const char *)arr + j * es, &iv, &dv);
                    if (fl) ((double *)at->floats)[j] = dv;
                    else ((int64_t *)at->ints)[j] = iv;
                }
            }
            acc_push(b, acc, at);
            continue;
        }
        cml_attr *at = NULL;
        switch (fd->type) {
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *sub;
            memcpy(&sub, fp, sizeof sub);
            if (!sub) break;
            if (sub->descriptor == &cmlpb__weight_params__descriptor) {
                iweight *w = nn_weight(b, (const Cmlpb__WeightParams *)sub,
                                       arena_printf(b->a, "%s:%s", op->loc.logical, name));
                if (!w) break;
                vec_push(b->a, &b->weights, w);
                cml_value *v = new_value(b, name, NULL);
                if (!v) break;
                v->type.kind = CML_TYPE_TENSOR;
                v->type.dtype = w->pub.dtype;
                v->type.shape = w->pub.shape;
                v->weight = &w->pub;
                v->loc = op->loc;
                at = arena_alloc(b->a, sizeof *at);
                if (!at) break;
                at->name = name;
                at->kind = CML_ATTR_VALUE;
                at->value = v;
            } else {
                /* presence of an empty sub-message is itself a fact
                 * (e.g. activation "ReLU", padding "same") */
                at = arena_alloc(b->a, sizeof *at);
                if (at) { at->name = name; at->kind = CML_ATTR_BOOL; at->b = true; acc_push(b, acc, at); }
                at = NULL;
                reflect_params(b, op, sub, name, acc, depth + 1);
            }
            break;
        }
        case PROTOBUF_C_TYPE_STRING: {
            const char *s;
            memcpy(&s, fp, sizeof s);
            at = arena_alloc(b->a, sizeof *at);
            if (at) { at->kind = CML_ATTR_STRING; at->s = s ? s : ""; }
            break;
        }
        case PROTOBUF_C_TYPE_BYTES: break;
        case PROTOBUF_C_TYPE_FLOAT: {
            float f; memcpy(&f, fp, sizeof f);
            at = arena_alloc(b->a, sizeof *at);
            if (at) { at->kind = CML_ATTR_FLOAT; at->f = f; }
            break;
        }
        case PROTOBUF_C_TYPE_DOUBLE: {
            double f; memcpy(&f, fp, sizeof f);
            at = arena_alloc(b->a, sizeof *at);
            if (at) { at->kind = CML_ATTR_FLOAT; at->f = f; }
            break;
        }
        case PROTOBUF_C_TYPE_BOOL: {
            protobuf_c_boolean x; memcpy(&x, fp, sizeof x);
            at = arena_alloc(b->a, sizeof *at);
            if (at) { at->kind = CML_ATTR_BOOL; at->b = x != 0; }
            break;
        }
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: {
            int64_t x; memcpy(&x, fp, sizeof x);
            at = arena_alloc(b->a, sizeof *at);
            if (at) { at->kind = CML_ATTR_INT; at->i = x; }
            break;
        }
        case PROTOBUF_C_TYPE_ENUM: {
            int32_t x; memcpy(&x, fp, sizeof x);
            at = arena_alloc(b->a, sizeof *at);
            if (!at) break;
            const ProtobufCEnumDescriptor *ed = fd->descriptor;
            const ProtobufCEnumValue *ev = ed ? protobuf_c_enum_descriptor_get_value(ed, x) : NULL;
            if (ev) { at->kind = CML_ATTR_STRING; at->s = ev->name; at->i = x; }
            else { at->kind = CML_ATTR_INT; at->i = x; }
            break;
        }
        default: {
            int32_t x; memcpy(&x, fp, sizeof x);
            at = arena_alloc(b->a, sizeof *at);
            if (at) { at->kind = CML_ATTR_INT; at->i = fd->type == PROTOBUF_C_TYPE_UINT32 ? (int64_t)(uint32_t)x : x; }
            break;
        }
        }
        if (at) {
            at->name = name;
            acc_push(b, acc, at);
        }
    }
}

static const cml_arg *name_arg(builder *b, fctx *fc, char **names, size_t n, const char *argname,
                               cml_op *op, int is_output) {
    cml_arg *ar = arena_alloc(b->a, sizeof *ar);
    if (!ar) return NULL;
    ar->name = argname;
    const cml_value **vals = n ? arena_calloc(b->a, n, sizeof *vals) : NULL;
    size_t k = 0;
    for (size_t i = 0; vals && i < n; i++) {
        if (!names[i]) continue;
        cml_value *v;
        if (is_output) {
            v = new_value(b, names[i], NULL);
            if (!v) break;
            v->type.kind = CML_TYPE_TENSOR;
            v->producer = op;
            v->loc = op->loc;
            scope_put(b->a, &fc->sc, v->name, v);
        } else {
            v = scope_get(&fc->sc, names[i]);
            if (!v) {
                /* NN graphs may read blobs made later in loops, or inputs
                 * the description does not list: keep a placeholder */
                v = new_value(b, names[i], NULL);
                if (!v) break;
                scope_put(b->a, &fc->sc, v->name, v);
            }
        }
        vals[k++] = v;
    }
    ar->values = vals;
    ar->n_values = k;
    return ar;
}

static void build_nn_layers(builder *b, fctx *fc, cml_block *blk, Cmlpb__NeuralNetworkLayer **layers,
                            size_t n, const char *path_prefix, int depth) {
    const cml_op **ops = n ? arena_calloc(b->a, n, sizeof *ops) : NULL;
    size_t k = 0;
    for (size_t i = 0; ops && i < n; i++) {
        const Cmlpb__NeuralNetworkLayer *L = layers[i];
        if (!L) continue;
        cml_op *op = arena_alloc(b->a, sizeof *op);
        if (!op) break;
        op->is_nn_layer = true;
        op->parent = blk;
        op->function = fc->fn;
        op->index = k;
        op->is_updatable = L->isupdatable;
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field(&cmlpb__neural_network_layer__descriptor, (unsigned)L->layer_case);
        op->kind = fd ? fd->name : "unknown";
        op->name = S(b, L->name);
        char *logical = arena_printf(b->a, "%s%s%slayer[%zu]:%s", b->logical ? b->logical : "",
                                     b->logical ? "/" : "", path_prefix, i, op->name);
        set_loc(b, &op->loc, logical, NULL);
        if (!fd)
            DIAG(b, "load/unknown-op", DIAG_ERROR, logical,
                 "layer '%s' has no known layer type (oneof field %d)", op->name, (int)L->layer_case);
        vec_push(b->a, &b->all_ops, op);
        fc->n_ops++;
        const cml_arg **ins = arena_calloc(b->a, 1, sizeof *ins);
        if (ins) {
            ins[0] = name_arg(b, fc, L->input, L->n_input, "input", op, 0);
            op->inputs = ins;
            op->n_inputs = ins[0] ? 1 : 0;
        }
        attr_acc acc = {0};
        if (fd) {
            const ProtobufCMessage *params;
            memcpy(&params, (const char *)L + fd->offset, sizeof params);
            reflect_params(b, op, params, NULL, &acc, 0);
            /* control flow: branch/loop carry nested networks */
            if (params && depth < IR_MAX_DEPTH) {
                const ProtobufCMessageDescriptor *pd = params->descriptor;
                for (unsigned j = 0; j < pd->n_fields; j++) {
                    const ProtobufCFieldDescriptor *sf = &pd->fields[j];
                    if (sf->type != PROTOBUF_C_TYPE_MESSAGE || sf->label == PROTOBUF_C_LABEL_REPEATED ||
                        sf->descriptor != &cmlpb__neural_network__descriptor)
                        continue;
                    const Cmlpb__NeuralNetwork *sub;
                    memcpy(&sub, (const char *)params + sf->offset, sizeof sub);
                    if (!sub) continue;
                    cml_block *nb = arena_alloc(b->a, sizeof *nb);
                    if (!nb) continue;
                    nb->parent = op;
                    build_nn_layers(b, fc, nb, sub->layers, sub->n_layers,
                                    arena_printf(b->a, "%slayer[%zu].%s/", path_prefix, i, sf->name), depth + 1);
                    const cml_block **bl = arena_realloc(b->a, (void *)op->blocks, op->n_blocks * sizeof *bl,
                                                         (op->n_blocks + 1) * sizeof *bl);
                    if (bl) { bl[op->n_blocks++] = nb; op->blocks = bl; }
                }
            }
        }
        if (acc.n) qsort(acc.items, acc.n, sizeof *acc.items, attr_cmp);
        op->attrs = acc.items;
        op->n_attrs = acc.n;
        const cml_arg *oa = name_arg(b, fc, L->output, L->n_output, "output", op, 1);
        if (oa) {
            op->outputs = oa->values;
            op->n_outputs = oa->n_values;
        }
        ops[k++] = op;
    }
    blk->ops = ops;
    blk->n_ops = ops ? k : 0;
}

/* Fields shared by NeuralNetwork, NeuralNetworkClassifier and
 * NeuralNetworkRegressor (layers=1, preprocessing=2,
 * arrayInputShapeMapping=5, imageInputShapeMapping=6). */
static void build_nn(builder *b, Cmlpb__NeuralNetworkLayer **layers, size_t n_layers,
                     Cmlpb__NeuralNetworkPreprocessing **pre, size_t n_pre, int array_map, int image_map) {
    cml_model *m = b->m;
    m->nn_array_shape_mapping = array_map;
    m->nn_image_shape_mapping = image_map;
    if (n_pre) {
        const cml_preprocess **pp = arena_calloc(b->a, n_pre, sizeof *pp);
        size_t k = 0;
        for (size_t i = 0; pp && i < n_pre; i++) {
            const Cmlpb__NeuralNetworkPreprocessing *p = pre[i];
            cml_preprocess *c = p ? arena_alloc(b->a, sizeof *c) : NULL;
            if (!c) continue;
            c->feature = S(b, p->featurename);
            c->scale = 1.0;
            /* SOURCE: NeuralNetwork.proto NeuralNetworkPreprocessing oneof
             * preprocessor: scaler = 10, meanImage = 11 */
            if (p->preprocessor_case == 10 && p->scaler) {
                c->is_scaler = true;
                /* proto3: an unset channelScale reads 0 and means 1 */
                c->scale = p->scaler->channelscale != 0.0f ? p->scaler->channelscale : 1.0;
                c->red_bias = p->scaler->redbias;
                c->green_bias = p->scaler->greenbias;
                c->blue_bias = p->scaler->bluebias;
                c->gray_bias = p->scaler->graybias;
            } else if (p->preprocessor_case == 11 && p->meanimage) {
                c->is_mean_image = true;
                c->n_mean = p->meanimage->n_meanimage;
            }
            pp[k++] = c;
        }
        m->preprocess = pp;
        m->n_preprocess = pp ? k : 0;
    }
    cml_function *fn = arena_alloc(b->a, sizeof *fn);
    cml_block *blk = arena_alloc(b->a, sizeof *blk);
    const cml_function **fns = arena_calloc(b->a, 1, sizeof *fns);
    if (!fn || !blk || !fns) return;
    fctx fc = {.b = b, .fn = fn};
    fn->name = "main";
    fn->model = m;
    fn->block = blk;
    set_loc(b, &fn->loc, logical_join(b, "main"), NULL);
    /* the description's inputs are the graph's inputs */
    if (m->n_inputs) {
        const cml_value **ins = arena_calloc(b->a, m->n_inputs, sizeof *ins);
        size_t k = 0;
        for (size_t i = 0; ins && i < m->n_inputs; i++) {
            const cml_feature *f = m->inputs[i];
            cml_value *v = new_value(b, f->name, NULL);
            if (!v) break;
            v->is_function_input = true;
            v->type.kind = CML_TYPE_TENSOR;
            v->type.dtype = f->kind == CML_FEAT_IMAGE ? CML_DT_FP32
                            : f->array_dtype == CML_ARR_FLOAT16 ? CML_DT_FP16
                            : f->array_dtype == CML_ARR_DOUBLE ? CML_DT_FP64
                            : f->array_dtype == CML_ARR_INT32 ? CML_DT_INT32
                            : CML_DT_FP32;
            v->loc = f->loc;
            scope_put(b->a, &fc.sc, v->name, v);
            ins[k++] = v;
        }
        fn->inputs = ins;
        fn->n_inputs = ins ? k : 0;
    }
    build_nn_layers(b, &fc, blk, layers, n_layers, "", 0);
    fn->n_ops_total = fc.n_ops;
    fns[0] = fn;
    m->functions = fns;
    m->n_functions = 1;
}

/* ---- classic models ------------------------------------------------------------ */

/* A value standing for a description feature of a classic model. */
static cml_value *feature_value(builder *b, const cml_feature *f) {
    cml_value *v = new_value(b, f->name, NULL);
    if (!v) return NULL;
    v->type.kind = CML_TYPE_TENSOR;
    switch (f->kind) {
    case CML_FEAT_MULTIARRAY:
        v->type.dtype = f->array_dtype == CML_ARR_FLOAT16 ? CML_DT_FP16
                      : f->array_dtype == CML_ARR_DOUBLE ? CML_DT_FP64
                      : f->array_dtype == CML_ARR_INT32 ? CML_DT_INT32
                      : f->array_dtype == CML_ARR_INT8 ? CML_DT_INT8 : CML_DT_FP32;
        v->type.shape = f->shape;
        break;
    case CML_FEAT_DOUBLE: v->type.dtype = CML_DT_FP64; v->type.shape.rank = 0; break;
    case CML_FEAT_INT64: v->type.dtype = CML_DT_INT64; v->type.shape.rank = 0; break;
    case CML_FEAT_STRING: v->type.dtype = CML_DT_STRING; v->type.shape.rank = 0; break;
    case CML_FEAT_IMAGE: v->type.dtype = CML_DT_FP32; break;
    default: break; /* dictionaries, sequences: no tensor type */
    }
    v->loc = f->loc;
    return v;
}

static cml_function *classic_fn_new(builder *b, fctx *fc) {
    cml_function *fn = arena_alloc(b->a, sizeof *fn);
    cml_block *blk = arena_alloc(b->a, sizeof *blk);
    if (!fn || !blk) return NULL;
    fc->b = b;
    fc->fn = fn;
    fn->name = "main";
    fn->model = b->m;
    fn->block = blk;
    set_loc(b, &fn->loc, logical_join(b, "main"), NULL);
    const cml_model *m = b->m;
    const cml_value **ins = m->n_inputs ? arena_calloc(b->a, m->n_inputs, sizeof *ins) : NULL;
    size_t k = 0;
    for (size_t i = 0; ins && i < m->n_inputs; i++) {
        cml_value *v = feature_value(b, m->inputs[i]);
        if (!v) break;
        v->is_function_input = true;
        scope_put(b->a, &fc->sc, v->name, v);
        ins[k++] = v;
    }
    fn->inputs = ins;
    fn->n_inputs = ins ? k : 0;
    return fn;
}

/* A classic stage op reading `in` and defining `out` (names) in fc's scope. */
static cml_op *classic_op(builder *b, fctx *fc, const char *kind, const char *logical,
                          const char *const *in, size_t n_in, const char *const *out, size_t n_out,
                          const cml_model *outs_of) {
    cml_op *op = arena_alloc(b->a, sizeof *op);
    cml_arg *arg = arena_alloc(b->a, sizeof *arg);
    const cml_arg **args = arena_calloc(b->a, 1, sizeof *args);
    const cml_value **iv = n_in ? arena_calloc(b->a, n_in, sizeof *iv) : NULL;
    const cml_value **ov = n_out ? arena_calloc(b->a, n_out, sizeof *ov) : NULL;
    if (!op || !arg || !args || (n_in && !iv) || (n_out && !ov)) return NULL;
    op->kind = kind;
    op->name = kind;
    op->function = fc->fn;
    op->parent = fc->fn->block;
    set_loc(b, &op->loc, logical, NULL);
    for (size_t i = 0; i < n_in; i++) {
        cml_value *v = scope_get(&fc->sc, in[i]);
        if (!v && (v = new_value(b, in[i], NULL))) scope_put(b->a, &fc->sc, v->name, v); /* never defined */
        if (!v) return NULL;
        iv[i] = v;
    }
    arg->name = "input";
    arg->values = iv;
    arg->n_values = n_in;
    args[0] = arg;
    op->inputs = args;
    op->n_inputs = 1;
    for (size_t i = 0; i < n_out; i++) {
        const cml_feature *f = NULL;
        for (size_t j = 0; outs_of && j < outs_of->n_outputs; j++)
            if (!strcmp(outs_of->outputs[j]->name, out[i])) f = outs_of->outputs[j];
        cml_value *v = f ? feature_value(b, f) : new_value(b, out[i], NULL);
        if (!v) return NULL;
        v->producer = op;
        v->loc = op->loc;
        scope_put(b->a, &fc->sc, v->name, v);
        ov[i] = v;
    }
    op->outputs = ov;
    op->n_outputs = n_out;
    vec_push(b->a, &b->all_ops, op);
    fc->n_ops++;
    return op;
}

static const char **feature_names(builder *b, const cml_feature *const *fs, size_t n) {
    const char **names = arena_calloc(b->a, n ? n : 1, sizeof *names);
    for (size_t i = 0; names && i < n; i++) names[i] = fs[i]->name;
    return names;
}

static void classic_finish(builder *b, fctx *fc, const cml_op **ops, size_t n_ops) {
    cml_block *blk = (cml_block *)fc->fn->block;
    blk->ops = ops;
    blk->n_ops = n_ops;
    fc->fn->n_ops_total = fc->n_ops;
    b->m->classic = fc->fn;
}

/* A classic model (GLM, tree ensemble, SVM, scaler, feature vectorizer ...):
 * a function "main" with one op whose kind is the model type, reading the
 * description's inputs and defining its outputs, with the type's parameter
 * message reflected into attributes (repeated messages as columns, see
 * reflect_columns). SOURCE: mlmodel/format/Model.proto, Model oneof Type:
 * the classic types are the fields other than pipelines (200-202),
 * neuralNetwork* (303, 403, 500) and mlProgram (502). */
static void build_classic(builder *b, const Cmlpb__Model *pb) {
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(&cmlpb__model__descriptor, (unsigned)pb->type_case);
    if (!fd || fd->type != PROTOBUF_C_TYPE_MESSAGE) return;
    const ProtobufCMessage *params;
    memcpy(&params, (const char *)pb + fd->offset, sizeof params);
    fctx fc = {0};
    cml_function *fn = classic_fn_new(b, &fc);
    const cml_model *m = b->m;
    const cml_op **ops = arena_calloc(b->a, 1, sizeof *ops);
    const char **in = feature_names(b, m->inputs, m->n_inputs), **out = feature_names(b, m->outputs, m->n_outputs);
    if (!fn || !ops || !in || !out) return;
    cml_op *op = classic_op(b, &fc, fd->name, logical_join(b, fd->name), in, m->n_inputs, out, m->n_outputs, m);
    if (!op) return;
    attr_acc acc = {.columnar = true};
    if (params) reflect_params(b, op, params, NULL, &acc, 0);
    if (acc.n) qsort(acc.items, acc.n, sizeof *acc.items, attr_cmp);
    op->attrs = acc.items;
    op->n_attrs = acc.n;
    ops[0] = op;
    classic_finish(b, &fc, ops, 1);
}

/* A pipeline: its stages' ops in order in one function, each reading the
 * features it names from the pipeline's inputs or an earlier stage's
 * outputs. A classic stage contributes its op(s) (nested pipelines
 * flattened); a neural stage (NeuralNetwork, ML Program) one op of its
 * model type without parameters (its graph is the sub-model's own). */
static void build_pipeline_fn(builder *b) {
    const cml_model *m = b->m;
    fctx fc = {0};
    cml_function *fn = classic_fn_new(b, &fc);
    if (!fn) return;
    size_t n = 0;
    for (size_t i = 0; i < m->n_sub_models; i++) {
        const cml_model *sm = m->sub_models[i];
        n += sm->classic && sm->classic->block ? sm->classic->block->n_ops : 1;
    }
    const cml_op **ops = arena_calloc(b->a, n ? n : 1, sizeof *ops);
    if (!ops) return;
    size_t k = 0;
    for (size_t i = 0; i < m->n_sub_models && k < n; i++) {
        const cml_model *sm = m->sub_models[i];
        if (sm->classic && sm->classic->block) {
            const cml_block *sb = sm->classic->block;
            for (size_t j = 0; j < sb->n_ops && k < n; j++) {
                const cml_op *so = sb->ops[j];
                const cml_arg *sa = so->n_inputs ? so->inputs[0] : NULL;
                size_t ni = sa ? sa->n_values : 0;
                const char **in = arena_calloc(b->a, ni ? ni : 1, sizeof *in);
                const char **out = arena_calloc(b->a, so->n_outputs ? so->n_outputs : 1, sizeof *out);
                if (!in || !out) return;
                for (size_t q = 0; q < ni; q++) in[q] = sa->values[q]->name;
                for (size_t q = 0; q < so->n_outputs; q++) out[q] = so->outputs[q]->name;
                cml_op *op = classic_op(b, &fc, so->kind, so->loc.logical, in, ni, out, so->n_outputs, NULL);
                if (!op) return;
                for (size_t q = 0; q < so->n_outputs; q++) /* keep the stage's feature types */
                    ((cml_value *)op->outputs[q])->type = so->outputs[q]->type;
                op->attrs = so->attrs;
                op->n_attrs = so->n_attrs;
                op->index = k;
                ops[k++] = op;
            }
        } else {
            cml_op *op = classic_op(b, &fc, sm->type, sm->loc.logical, feature_names(b, sm->inputs, sm->n_inputs),
                                    sm->n_inputs, feature_names(b, sm->outputs, sm->n_outputs), sm->n_outputs, sm);
            if (!op) return;
            op->index = k;
            ops[k++] = op;
        }
    }
    classic_finish(b, &fc, ops, k);
}

/* ---- model ------------------------------------------------------------------ */

static void fill_consumers(builder *b) {
    size_t nv = b->all_values.n;
    /* two passes over ops: count, then fill */
    for (size_t i = 0; i < nv; i++) ((cml_value *)b->all_values.items[i])->n_consumers = 0;
    for (size_t i = 0; i < b->all_ops.n; i++) {
        const cml_op *op = b->all_ops.items[i];
        for (size_t j = 0; j < op->n_inputs; j++)
            for (size_t k = 0; k < op->inputs[j]->n_values; k++)
                ((cml_value *)op->inputs[j]->values[k])->n_consumers++;
    }
    for (size_t i = 0; i < nv; i++) {
        cml_value *v = b->all_values.items[i];
        if (v->n_consumers) {
            v->consumers = arena_calloc(b->a, v->n_consumers, sizeof(cml_op *));
            if (!v->consumers) v->n_consumers = 0;
        }
        v->n_consumers = 0;
    }
    for (size_t i = 0; i < b->all_ops.n; i++) {
        const cml_op *op = b->all_ops.items[i];
        for (size_t j = 0; j < op->n_inputs; j++)
            for (size_t k = 0; k < op->inputs[j]->n_values; k++) {
                cml_value *v = (cml_value *)op->inputs[j]->values[k];
                if (v->consumers) ((const cml_op **)v->consumers)[v->n_consumers++] = op;
            }
    }
}

static const char *model_type_name(const Cmlpb__Model *pb) {
    if (pb->type_case == 0) return "unknown";
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(&cmlpb__model__descriptor, (unsigned)pb->type_case);
    return fd ? fd->name : "unknown";
}

cml_model *ir_build(lmodel *lm, const Cmlpb__Model *pb, const char *artifact, const char *model_dir,
                    const char *logical, int depth, const cml_model *parent) {
    cml_model *m = arena_alloc(lm->a, sizeof *m);
    if (!m) return NULL;
    builder b = {.lm = lm, .a = lm->a, .m = m, .artifact = artifact ? artifact : "",
                 .model_dir = model_dir, .logical = logical,
                 .is_mil_text = lm->cinfo.is_mlprogram && lm->pos.n > 0};
    m->path = lm->root;
    m->parent = parent;
    m->spec_version = pb->specificationversion;
    m->min_os = min_os_of(&b, pb->specificationversion);
    m->type = model_type_name(pb);
    m->is_updatable = pb->isupdatable;
    m->nn_array_shape_mapping = -1;
    m->nn_image_shape_mapping = -1;
    set_loc(&b, &m->loc, logical, NULL);
    build_description(&b, pb->description);

    switch (pb->type_case) {
    /* SOURCE: mlmodel/format/Model.proto, Model oneof Type field numbers. */
    case 502: /* mlProgram */
        if (pb->mlprogram) build_program(&b, pb->mlprogram);
        break;
    case 500: /* neuralNetwork */
        if (pb->neuralnetwork)
            build_nn(&b, pb->neuralnetwork->layers, pb->neuralnetwork->n_layers, pb->neuralnetwork->preprocessing,
                     pb->neuralnetwork->n_preprocessing, pb->neuralnetwork->arrayinputshapemapping,
                     pb->neuralnetwork->imageinputshapemapping);
        break;
    case 403: { /* neuralNetworkClassifier */
        const Cmlpb__NeuralNetworkClassifier *c = pb->neuralnetworkclassifier;
        if (!c) break;
        build_nn(&b, c->layers, c->n_layers, c->preprocessing, c->n_preprocessing, c->arrayinputshapemapping,
                 c->imageinputshapemapping);
        /* SOURCE: NeuralNetwork.proto NeuralNetworkClassifier oneof
         * ClassLabels: stringClassLabels = 100, int64ClassLabels = 101 */
        if (c->class_labels_case == 100 && c->stringclasslabels) {
            m->class_label_kind = "stringClassLabels";
            m->n_class_labels = c->stringclasslabels->n_vector;
            m->string_labels = (const char *const *)c->stringclasslabels->vector;
        } else if (c->class_labels_case == 101 && c->int64classlabels) {
            m->class_label_kind = "int64ClassLabels";
            m->n_class_labels = c->int64classlabels->n_vector;
            m->int64_labels = c->int64classlabels->vector;
        }
        break;
    }
    case 303: { /* neuralNetworkRegressor */
        const Cmlpb__NeuralNetworkRegressor *r = pb->neuralnetworkregressor;
        if (r)
            build_nn(&b, r->layers, r->n_layers, r->preprocessing, r->n_preprocessing, r->arrayinputshapemapping,
                     r->imageinputshapemapping);
        break;
    }
    case 200: case 201: case 202: { /* pipelineClassifier, pipelineRegressor, pipeline */
        const Cmlpb__Pipeline *p = pb->type_case == 202 ? pb->pipeline
                                 : pb->type_case == 200 ? (pb->pipelineclassifier ? pb->pipelineclassifier->pipeline : NULL)
                                 : (pb->pipelineregressor ? pb->pipelineregressor->pipeline : NULL);
        if (!p) break;
        if (depth >= IR_MAX_DEPTH) {
            DIAG(&b, "load/protobuf-corrupt", DIAG_ERROR, logical, "pipelines nest deeper than %d levels", IR_MAX_DEPTH);
            break;
        }
        const cml_model **subs = p->n_models ? arena_calloc(lm->a, p->n_models, sizeof *subs) : NULL;
        const char **names = p->n_models ? arena_calloc(lm->a, p->n_models, sizeof *names) : NULL;
        size_t k = 0;
        for (size_t i = 0; subs && names && i < p->n_models; i++) {
            if (!p->models[i]) continue;
            char *sub_logical = arena_printf(lm->a, "%s%spipeline[%zu]", logical ? logical : "", logical ? "/" : "", i);
            cml_model *sm = ir_build(lm, p->models[i], artifact, model_dir, sub_logical, depth + 1, m);
            if (!sm) continue;
            /* SOURCE: Model.proto Pipeline.names — default "model0".."modelN-1" */
            names[k] = i < p->n_names && p->names[i] && *p->names[i] ? S(&b, p->names[i])
                                                                     : arena_printf(lm->a, "model%zu", i);
            subs[k++] = sm;
        }
        m->sub_models = subs;
        m->sub_model_names = names;
        m->n_sub_models = subs ? k : 0;
        build_pipeline_fn(&b);
        break;
    }
    case 0: break;
    default:
        build_classic(&b, pb);
        break;
    }
    fill_consumers(&b);
    if (b.weights.n) {
        m->weights = (const cml_weight *const *)b.weights.items;
        m->n_weights = b.weights.n;
    }
    return m;
}

/* The chained function of a compiled pipeline, once the loader has attached
 * the stages it read from their own folders. */
void ir_build_pipeline_fn(lmodel *lm, cml_model *m, const char *artifact, const char *logical) {
    builder b = {.lm = lm, .a = lm->a, .m = m, .artifact = artifact ? artifact : "", .logical = logical};
    build_pipeline_fn(&b);
    fill_consumers(&b);
}

/* ---- lookups ------------------------------------------------------------------ */

/* Thin wrappers over the SDK's header-only lookups (coreml-lint/ir.h), kept
 * for the host's passes and rules. */
const cml_attr *ir_op_attr(const cml_op *op, const char *name) { return cml_op_attr(op, name); }
const cml_arg *ir_op_input(const cml_op *op, const char *name) { return cml_op_input(op, name); }
const cml_value *ir_op_param(const cml_op *op, const char *name) { return cml_op_param(op, name); }

/* ---- weights ------------------------------------------------------------------ */

const void *ir_weight_data(const cml_weight *w) {
    const iweight *iw = (const iweight *)w;
    if (!w) return NULL;
    if (w->storage == CML_STORE_INLINE) return iw->inline_data;
    if (w->storage == CML_STORE_BLOB && iw->meta && w->file)
        return blob_data(&((const wfile *)w->file)->bf, iw->meta);
    return NULL;
}

size_t ir_weight_read(const cml_weight *w, uint64_t off, void *buf, size_t n) {
    const iweight *iw = (const iweight *)w;
    if (!w || !buf) return 0;
    if (w->storage == CML_STORE_BLOB) {
        if (!iw->meta || !w->file) return 0;
        return blob_read(&((const wfile *)w->file)->bf, iw->meta, off, buf, n);
    }
    if (w->storage == CML_STORE_INLINE && iw->inline_data) {
        if (off >= w->nbytes) return 0;
        uint64_t avail = w->nbytes - off;
        size_t k = avail < n ? (size_t)avail : n;
        memcpy(buf, iw->inline_data + off, k);
        return k;
    }
    return 0;
}

/* ---- versions ------------------------------------------------------------------ */

/* SOURCE: apple/coremltools mlmodel/format/Model.proto comment block on
 * specification versions; visionOS from coremlc's metadata.json availability
 * (rules-knowledge 1.1). */

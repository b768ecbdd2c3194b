/* SPDX-License-Identifier: Apache-2.0 */
/* build.c — turn one decoded Core ML Model protobuf into the typed IR.
 *
 * Data flow position: loader (container, mmap, protobuf-c decode) -> here ->
 * passes (compression, NN shapes, compute units) -> rules. This file holds
 * the builder's state, maps the model description (features, metadata,
 * class labels, preprocessing), reflects parameter messages into attributes
 * and dispatches by model kind: the ML Program to build_mil.c, NeuralNetwork
 * layers to build_nn.c, classic models and pipelines to build_classic.c
 * (build_int.h is what they share). Every count and reference read from the
 * file is checked; problems become load/... diags and the build goes on with
 * what is usable; every node is allocated in the model's arena.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coreml-lint/hash.h"
#include "coreml-lint/coreml_facts.h"
#include "ir/build_int.h"

/* ---- builder state -------------------------------------------------------- */

#define SCOPE_MIN 64u

int irb_vec_push(arena *a, vec *v, void *p) {
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

/* value names are the model's: a keyed hash, so no model can choose names
 * that share a slot (coreml-lint/hash.h) */
static uint64_t hash_str(const char *s) { return cml_hash_str(s); }

int irb_scope_put(arena *a, scope *sc, const char *name, cml_value *v) {
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

cml_value *irb_scope_get(const scope *sc, const char *name) {
    if (!sc->cap || !name) return NULL;
    size_t j = hash_str(name) & (sc->cap - 1);
    while (sc->ents[j].name) {
        if (!strcmp(sc->ents[j].name, name)) return sc->ents[j].v;
        j = (j + 1) & (sc->cap - 1);
    }
    return NULL;
}

/* Never NULL: once the arena is spent, "" (the load reports the cap, and a
 * NULL name would crash every strcmp that follows) */
const char *irb_str(builder *b, const char *s) {
    const char *r = arena_strdup(b->a, s ? s : "");
    return r ? r : "";
}

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

char *irb_logical(builder *b, const char *tail) {
    if (b->logical && *b->logical)
        return arena_printf(b->a, "%s/%s", b->logical, tail ? tail : "");
    return arena_strdup(b->a, tail ? tail : "");
}

void irb_set_loc(builder *b, cml_loc *loc, const char *logical, const void *key) {
    loc->artifact = b->artifact;
    loc->logical = logical;
    if (b->is_mil_text && key) {
        mil_pos p = miltext_pos(&b->lm->pos, key);
        loc->line = p.line;
        loc->column = p.col;
    }
}

/* The model and its features: where its description was read. */
static void irb_set_desc_loc(builder *b, cml_loc *loc, const char *logical) {
    loc->artifact = b->desc_artifact ? b->desc_artifact : b->artifact;
    loc->logical = logical;
}


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
    f->shape.dims = copy_i64(b, at->shape, at->n_shape);
    f->shape.rank = f->shape.dims || !at->n_shape ? (int32_t)at->n_shape : -1;   /* no dims, no rank */
    /* SOURCE: FeatureTypes.proto ArrayFeatureType oneof ShapeFlexibility:
     * enumeratedShapes = 21, shapeRange = 31. */
    if (at->shape_flexibility_case == 21 && at->enumeratedshapes) {
        const Cmlpb__ArrayFeatureType__EnumeratedShapes *es = at->enumeratedshapes;
        f->flex = CML_FLEX_ENUMERATED;
        cml_shape *sh = arena_calloc(b->a, es->n_shapes ? es->n_shapes : 1, sizeof *sh);
        if (sh) {
            for (size_t i = 0; i < es->n_shapes; i++) {
                if (!es->shapes[i]) continue;
                sh[i].dims = copy_i64(b, es->shapes[i]->shape, es->shapes[i]->n_shape);
                sh[i].rank = sh[i].dims || !es->shapes[i]->n_shape ? (int32_t)es->shapes[i]->n_shape : -1;
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

/* fn: the function a multifunction model's FunctionDescription describes, or
 * NULL: its features are "fn/input:x", so that a finding, a suppression's op
 * and a fingerprint tell fn_a's input x from fn_b's */
static cml_feature *build_feature(builder *b, const Cmlpb__FeatureDescription *fd,
                                  const char *role, const char *fn) {
    cml_feature *f = arena_alloc(b->a, sizeof *f);
    if (!f) return NULL;
    f->name = irb_str(b, fd->name);
    f->description = irb_str(b, fd->shortdescription);
    irb_set_desc_loc(b, &f->loc, irb_logical(b, fn ? arena_printf(b->a, "%s/%s:%s", fn, role, f->name)
                                                   : arena_printf(b->a, "%s:%s", role, f->name)));
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
                                                size_t n, const char *role, const char *fn, size_t *out_n) {
    *out_n = 0;
    if (!n) return NULL;
    const cml_feature **arr = arena_calloc(b->a, n, sizeof *arr);
    if (!arr) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!fds[i]) continue;
        const cml_feature *f = build_feature(b, fds[i], role, fn);
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
    m->inputs = build_features(b, d->input, d->n_input, "input", NULL, &m->n_inputs);
    m->outputs = build_features(b, d->output, d->n_output, "output", NULL, &m->n_outputs);
    m->states = build_features(b, d->state, d->n_state, "state", NULL, &m->n_states);
    m->training_inputs =
        build_features(b, d->traininginput, d->n_traininginput, "trainingInput", NULL, &m->n_training_inputs);
    m->predicted_feature_name = d->predictedfeaturename && *d->predictedfeaturename
                                    ? irb_str(b, d->predictedfeaturename) : NULL;
    m->predicted_probabilities_name = d->predictedprobabilitiesname && *d->predictedprobabilitiesname
                                          ? irb_str(b, d->predictedprobabilitiesname) : NULL;
    m->default_function_name = d->defaultfunctionname && *d->defaultfunctionname
                                   ? irb_str(b, d->defaultfunctionname) : NULL;
    if (d->n_functions) {
        const cml_function_desc **fa = arena_calloc(b->a, d->n_functions, sizeof *fa);
        size_t k = 0;
        for (size_t i = 0; fa && i < d->n_functions; i++) {
            const Cmlpb__FunctionDescription *fd = d->functions[i];
            cml_function_desc *f = fd ? arena_alloc(b->a, sizeof *f) : NULL;
            if (!f) continue;
            f->name = irb_str(b, fd->name);
            f->inputs = build_features(b, fd->input, fd->n_input, "input", f->name, &f->n_inputs);
            f->outputs = build_features(b, fd->output, fd->n_output, "output", f->name, &f->n_outputs);
            f->states = build_features(b, fd->state, fd->n_state, "state", f->name, &f->n_states);
            f->predicted_feature_name = irb_str(b, fd->predictedfeaturename);
            f->predicted_probabilities_name = irb_str(b, fd->predictedprobabilitiesname);
            fa[k++] = f;
        }
        m->function_descs = fa;
        m->n_function_descs = k;
    }
    const Cmlpb__Metadata *md = d->metadata;
    cml_metadata *meta = &m->metadata;
    meta->present = md != NULL;
    meta->author = irb_str(b, md ? md->author : NULL);
    meta->license = irb_str(b, md ? md->license : NULL);
    meta->short_description = irb_str(b, md ? md->shortdescription : NULL);
    meta->version = irb_str(b, md ? md->versionstring : NULL);
    if (md && md->n_userdefined) {
        cml_kv *kv = arena_calloc(b->a, md->n_userdefined, sizeof *kv);
        size_t k = 0;
        for (size_t i = 0; kv && i < md->n_userdefined; i++) {
            if (!md->userdefined[i]) continue;
            kv[k].key = irb_str(b, md->userdefined[i]->key);
            kv[k].value = irb_str(b, md->userdefined[i]->value);
            k++;
        }
        if (kv) qsort(kv, k, sizeof *kv, kv_cmp);
        meta->user = kv;
        meta->n_user = kv ? k : 0;
    }
}


cml_value *irb_new_value(builder *b, const char *name, const cml_type *t) {
    cml_value *v = arena_alloc(b->a, sizeof *v);
    if (!v) return NULL;
    v->name = irb_str(b, name);
    if (t) v->type = *t;
    else v->type.shape.rank = -1;
    irb_vec_push(b->a, &b->all_values, v);
    return v;
}
int irb_attr_cmp(const void *x, const void *y) {
    const cml_attr *a = *(const cml_attr *const *)x, *c = *(const cml_attr *const *)y;
    return strcmp(a->name, c->name);
}

/* ---- reflection of parameter messages (NeuralNetwork layers, classic models) ---- */


void irb_acc_push(builder *b, attr_acc *acc, cml_attr *at) {
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
    irb_set_loc(b, &w->pub.loc, logical, NULL);
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
    int64_t *d = arena_alloc(b->a, sizeof *d);
    if (d) { *d = (int64_t)w->pub.n_elements; w->pub.shape.dims = d; w->pub.shape.rank = 1; }
    else w->pub.shape.rank = -1;
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
 * ("treeEnsemble.nodes.evaluationInfo.evaluationValue"); a singular message
 * field of the elements likewise ("features.weights.featureWeight.mean").
 * Bytes are not reflected. */
void irb_reflect_columns(builder *b, const ProtobufCMessage *const *ms, size_t n, const char *prefix,
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
            if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
                /* a singular message in every element (BayesianProbitRegressor's
                 * featureWeight): its fields as columns "prefix.F.G", an
                 * element without it read as the message's defaults */
                const ProtobufCMessageDescriptor *sd = fd->descriptor;
                const ProtobufCMessage **subs = sd ? arena_calloc(b->a, n, sizeof *subs) : NULL;
                ProtobufCMessage *dflt = NULL;
                bool all = subs != NULL;
                for (size_t j = 0; all && j < n; j++) {
                    const ProtobufCMessage *sub;
                    memcpy(&sub, (const char *)ms[j] + fd->offset, sizeof sub);
                    if (!sub) {
                        if (!dflt && (dflt = arena_calloc(b->a, 1, sd->sizeof_message)) && sd->message_init)
                            sd->message_init(dflt);
                        sub = dflt;
                    }
                    subs[j] = sub;
                    all = sub != NULL;
                }
                if (all) irb_reflect_columns(b, subs, n, name, acc, depth + 1);
                continue;
            }
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
            irb_acc_push(b, acc, at);
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
        irb_acc_push(b, acc, cnt);
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
                irb_reflect_columns(b, (const ProtobufCMessage *const *)all, total, name, acc, depth + 1);
            } else {
                cml_attr *at = arena_alloc(b->a, sizeof *at);
                if (!at) return;
                *at = (cml_attr){.name = name, .kind = CML_ATTR_STRINGS, .n = total, .strings = (const char *const *)all};
                irb_acc_push(b, acc, at);
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
        irb_acc_push(b, acc, at);
    }
}

/* Flatten a parameter message into attributes by reflection: scalars and
 * enums by field name, repeated scalars as lists, nested messages with a
 * dotted prefix ("valid.paddingAmounts"), WeightParams as VALUE attributes. */
void irb_reflect_params(builder *b, cml_op *op, const ProtobufCMessage *msg, const char *prefix,
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
                    irb_reflect_columns(b, ms, n, name, acc, depth + 1);
                    continue;
                }
                for (size_t j = 0; j < n && j < 64; j++)
                    irb_reflect_params(b, op, ms[j], arena_printf(b->a, "%s[%zu]", name, j), acc, depth + 1);
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
            irb_acc_push(b, acc, at);
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
                irb_vec_push(b->a, &b->weights, w);
                cml_value *v = irb_new_value(b, name, NULL);
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
                if (at) { at->name = name; at->kind = CML_ATTR_BOOL; at->b = true; irb_acc_push(b, acc, at); }
                at = NULL;
                /* a nested network (branch / loop) becomes a block of
                 * its own (build_nn_layers): only its presence is an
                 * attribute, its layers' weights are theirs */
                if (sub->descriptor == &cmlpb__neural_network__descriptor) break;
                irb_reflect_params(b, op, sub, name, acc, depth + 1);
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
            irb_acc_push(b, acc, at);
        }
    }
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

/* An ML Program classifier's labels: the classes of the `classify` op of its
 * default function (a list literal of strings or int64, kept by the MIL
 * build). SOURCE: coremltools converters/mil/backend/mil/load.py
 * _add_classify_op: `classes` is a const list of the ClassifierConfig's
 * labels, the op is added at the end of the main block. */
static void program_class_labels(cml_model *m) {
    const cml_function *fn = cml_model_function(m, NULL);
    if (!fn || !fn->block) return;
    for (size_t i = 0; i < fn->block->n_ops; i++) {
        const cml_op *op = fn->block->ops[i];
        if (strcmp(op->kind, "classify")) continue;
        const cml_value *v = cml_op_param(op, "classes");
        const iweight *w = v && v->weight ? (const iweight *)v->weight : NULL;
        if (!w) return;
        if (w->stored_as == ISTORE_STR && w->strings) irb_class_labels(m, w->strings, NULL, (size_t)w->pub.nbytes);
        else if (w->stored_as == ISTORE_I64 && w->inline_data)
            irb_class_labels(m, NULL, (const int64_t *)(const void *)w->inline_data,
                             (size_t)(w->pub.nbytes / sizeof(int64_t)));
        return;
    }
}

cml_model *ir_build(lmodel *lm, const Cmlpb__Model *pb, const char *artifact, const char *desc_artifact,
                    const char *model_dir, const char *logical, int depth, const cml_model *parent) {
    cml_model *m = arena_alloc(lm->a, sizeof *m);
    if (!m) return NULL;
    builder b = {.lm = lm, .a = lm->a, .m = m, .artifact = artifact ? artifact : "",
                 .desc_artifact = desc_artifact, .model_dir = model_dir, .logical = logical,
                 .is_mil_text = lm->cinfo.is_mlprogram && lm->pos.n > 0};
    m->path = lm->root;
    m->parent = parent;
    m->spec_version = pb->specificationversion;
    m->min_os = min_os_of(&b, pb->specificationversion);
    m->type = model_type_name(pb);
    m->is_updatable = pb->isupdatable;
    m->nn_array_shape_mapping = -1;
    m->nn_image_shape_mapping = -1;
    irb_set_desc_loc(&b, &m->loc, logical);
    build_description(&b, pb->description);

    switch (pb->type_case) {
    /* SOURCE: mlmodel/format/Model.proto, Model oneof Type field numbers. */
    case 502: /* mlProgram */
        if (pb->mlprogram) irb_build_program(&b, pb->mlprogram);
        program_class_labels(m);
        break;
    case 500: /* neuralNetwork */
        if (pb->neuralnetwork)
            irb_build_nn(&b, pb->neuralnetwork->layers, pb->neuralnetwork->n_layers, pb->neuralnetwork->preprocessing,
                     pb->neuralnetwork->n_preprocessing, pb->neuralnetwork->arrayinputshapemapping,
                     pb->neuralnetwork->imageinputshapemapping);
        break;
    case 403: { /* neuralNetworkClassifier */
        const Cmlpb__NeuralNetworkClassifier *c = pb->neuralnetworkclassifier;
        if (!c) break;
        irb_build_nn(&b, c->layers, c->n_layers, c->preprocessing, c->n_preprocessing, c->arrayinputshapemapping,
                 c->imageinputshapemapping);
        /* SOURCE: NeuralNetwork.proto NeuralNetworkClassifier oneof
         * ClassLabels: stringClassLabels = 100, int64ClassLabels = 101 */
        if (c->class_labels_case == 100 && c->stringclasslabels)
            irb_class_labels(m, (const char *const *)c->stringclasslabels->vector, NULL,
                             c->stringclasslabels->n_vector);
        else if (c->class_labels_case == 101 && c->int64classlabels)
            irb_class_labels(m, NULL, c->int64classlabels->vector, c->int64classlabels->n_vector);
        break;
    }
    case 303: { /* neuralNetworkRegressor */
        const Cmlpb__NeuralNetworkRegressor *r = pb->neuralnetworkregressor;
        if (r)
            irb_build_nn(&b, r->layers, r->n_layers, r->preprocessing, r->n_preprocessing, r->arrayinputshapemapping,
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
            cml_model *sm = ir_build(lm, p->models[i], artifact, NULL, model_dir, sub_logical, depth + 1, m);
            if (!sm) continue;
            /* SOURCE: Model.proto Pipeline.names — default "model0".."modelN-1" */
            names[k] = i < p->n_names && p->names[i] && *p->names[i] ? irb_str(&b, p->names[i])
                                                                     : arena_printf(lm->a, "model%zu", i);
            subs[k++] = sm;
        }
        m->sub_models = subs;
        m->sub_model_names = names;
        m->n_sub_models = subs ? k : 0;
        irb_build_pipeline_fn(&b);
        break;
    }
    case 0: break;
    default:
        irb_build_classic(&b, pb);
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
    irb_build_pipeline_fn(&b);
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

/* reads of at least this many bytes go through pread (blob_pread) */
#define IR_PREAD_MIN ((size_t)64 * 1024)

size_t ir_weight_read(const cml_weight *w, uint64_t off, void *buf, size_t n) {
    const iweight *iw = (const iweight *)w;
    if (!w || !buf) return 0;
    if (w->storage == CML_STORE_BLOB) {
        if (!iw->meta || !w->file) return 0;
        const blob_file *bf = &((const wfile *)w->file)->bf;
        /* a large read from the file (pread: the kernel's copy, no page
         * fault per page of the mapping); a few bytes from the mapping */
        return n >= IR_PREAD_MIN ? blob_pread(bf, iw->meta, off, buf, n) : blob_read(bf, iw->meta, off, buf, n);
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

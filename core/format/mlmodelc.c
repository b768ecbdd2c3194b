/* SPDX-License-Identifier: Apache-2.0 */
/* mlmodelc.c — reads a compiled model folder (.mlmodelc) into a cmlpb Model.
 * A compiled ML Program keeps its interface in metadata.json (a JSON array
 * holding one object) and its program as model.mil text; this module turns
 * the first into the Model's description (inputs, outputs, states, metadata,
 * functions) and hands the second to miltext_parse, so the result looks like
 * a decoded .mlmodel whose type is mlProgram. coremldata.bin is opaque and
 * only noted. A NeuralNetwork compiled for espresso (model.espresso.net/
 * .shape/.weights) cannot be turned back into layers: its JSON is read for
 * layer names and types, the model becomes an empty neuralNetwork and a
 * load/compiled-limited note says so. Nested compiled models (pipelines) are
 * listed for the caller. Every file read is size-capped; JSON is parsed with
 * cJSON (its temporary tree is freed before returning), everything kept lives
 * in the arena. Problems become load/... diags with paths relative to the
 * folder; a missing or broken metadata.json is a warning and reading goes on
 * with model.mil. */
#define _DEFAULT_SOURCE
#include "format/mlmodelc.h"
#include "format/sanitize.h"
#include "format/nesting.h"
#include "format/pbwire.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/fsutil.h"

#define JSON_MAX ((size_t)256 << 20)     /* metadata.json, model.espresso.net */
#define MIL_MAX ((size_t)512 << 20)      /* model.mil */
#define MAX_SUB_MODELS 1024u
#define MAX_ENTRIES_SCANNED 65536u      /* folder entries looked at for sub-models */
#define MAX_DIMS 64u
#define TYPES_LISTED 8u

#define R_INTERFACE "load/interface-invalid"
#define R_SPEC "load/spec-version"
#define R_LIMITED "load/compiled-limited"
#define R_STRUCTURE "load/mil-structure"
#define R_MISSING_WEIGHTS "load/missing-weight-file"

/* SOURCE (folder layout): coremltools/modelrunner/ModelRunner/add_model.mlmodelc/
 * (coremldata.bin, metadata.json, model.mil, analytics/coremldata.bin). */
#define F_COREMLDATA "coremldata.bin"
#define F_METADATA "metadata.json"
#define F_MIL "model.mil"
#define F_ESPRESSO "model.espresso.net"

typedef struct rd {
    const char *dir;
    const char *dir_real;   /* every file read stays inside it (fs_inside) */
    const char *rel;      /* dir relative to the top folder, "" or "model0/" */
    arena *a;
    diag_list *dl;
    mlmodelc_info *info;
    int oom;
} rd;

/* name as an artifact path relative to the top folder ("model0/metadata.json"). */
static const char *ART(rd *r, const char *name) {
    if (!r->rel || !*r->rel) return name;
    const char *p = arena_printf(r->a, "%s%s", r->rel, name);
    return p ? p : name;
}

static void *ralloc(rd *r, size_t n) {
    void *p = arena_alloc(r->a, n);
    if (!p) r->oom = 1;
    return p;
}

#define NEWMSG(r, var, initfn)                                                  \
    do {                                                                        \
        (var) = ralloc((r), sizeof *(var));                                     \
        if (var) initfn(var);                                                   \
    } while (0)

static char *rdup(rd *r, const char *s) {
    char *p = arena_strdup(r->a, s ? s : "");
    if (!p) r->oom = 1;
    return p;
}

/* ---- JSON helpers ------------------------------------------------------- */

/* Read and parse a JSON file of the folder; NULL (with a diag of rule/level
 * naming the file and the error position) when missing, too big or invalid. */
static cJSON *json_load(rd *r, const char *name, const char *rule, int level) {
    char *path = fs_join(r->a, r->dir, name);
    size_t len = 0;
    if (!path) { r->oom = 1; return NULL; }
    char *text = fs_inside(r->dir_real, path) == 0 ? fs_read_file(r->a, path, JSON_MAX, &len) : NULL;
    if (!text) {
        if (errno == EFBIG)
            diag_add(r->dl, rule, level, ART(r, name), -1, 0, 0, NULL,
                     "%s is larger than the %zu MiB limit for JSON files; not read", name,
                     JSON_MAX >> 20);
        else
            diag_add(r->dl, rule, level, ART(r, name), -1, 0, 0, NULL, "%s cannot be read: %s", name,
                     fs_strerror(errno));
        return NULL;
    }
    size_t deep_at = 0, nv = 0;
    if (json_scan(text, len, CML_MAX_NESTING, &deep_at, &nv)) {
        uint32_t line, col;
        san_line_col(text, deep_at, &line, &col);
        diag_add(r->dl, rule, level, ART(r, name), (int64_t)deep_at, line, col, NULL,
                 "%s nests arrays and objects deeper than %d levels (line %u, column %u); not read", name,
                 CML_MAX_NESTING, (unsigned)line, (unsigned)col);
        return NULL;
    }
    if (nv > CML_JSON_MAX_VALUES) {
        diag_add(r->dl, rule, level, ART(r, name), -1, 0, 0, NULL,
                 "%s holds about %zu values, more than the %zu this tool reads from one JSON file; not read", name,
                 nv, CML_JSON_MAX_VALUES);
        return NULL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        uint32_t line, col;
        san_line_col(text, off, &line, &col);
        diag_add(r->dl, rule, level, ART(r, name), (int64_t)off, line, col, NULL,
                 "%s is not valid JSON (parse error at line %u, column %u, byte %zu)", name,
                 (unsigned)line, (unsigned)col, off);
    }
    return j;
}

static const char *jstr(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* metadata.json writes flags as "0"/"1" strings; accept booleans and numbers too. */
static int jflag(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v)) return strcmp(v->valuestring, "1") == 0 || strcmp(v->valuestring, "true") == 0;
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v)) return v->valuedouble != 0;
    return 0;
}

/* A non-negative integer from a number or a numeric string; -1 if neither. */
static int64_t jint(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9e15) return (int64_t)v->valuedouble;
    if (cJSON_IsString(v)) {
        char *e;
        errno = 0;
        long long x = strtoll(v->valuestring, &e, 10);
        if (e != v->valuestring && !*e && !errno && x >= 0) return x;
    }
    return -1;
}

/* ---- feature descriptions ------------------------------------------------ */

/* "[1, 10]" (metadata.json writes shapes as strings) → dims; -1 if malformed.
 * SOURCE: "shape" : "[1, 10]" in add_model.mlmodelc/metadata.json. */
static int parse_shape(rd *r, const char *s, int64_t **dims, size_t *n) {
    int64_t tmp[MAX_DIMS];
    size_t k = 0;
    while (*s == ' ') s++;
    if (*s++ != '[') return -1;
    for (;;) {
        while (*s == ' ') s++;
        if (*s == ']' && k == 0) { s++; break; }
        if (*s < '0' || *s > '9' || k == MAX_DIMS) return -1;
        int64_t v = 0;
        while (*s >= '0' && *s <= '9') {
            if (v > (INT64_MAX - 9) / 10) return -1;
            v = v * 10 + (*s++ - '0');
        }
        tmp[k++] = v;
        while (*s == ' ') s++;
        if (*s == ',') { s++; continue; }
        if (*s == ']') { s++; break; }
        return -1;
    }
    while (*s == ' ') s++;
    if (*s) return -1;
    *n = k;
    *dims = k ? ralloc(r, k * sizeof **dims) : NULL;
    if (k && !*dims) return -1;
    if (k) memcpy(*dims, tmp, k * sizeof tmp[0]);
    return 0;
}

/* SOURCE: "dataType" : "Float16" in add_model.mlmodelc/metadata.json; enum
 * values from mlmodel/format/FeatureTypes.proto (ArrayFeatureType.ArrayDataType). */
static const struct { const char *name; Cmlpb__ArrayFeatureType__ArrayDataType dt; } ARRAY_DTYPES[] = {
    {"Float32", CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__FLOAT32},
    {"Double", CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__DOUBLE},
    {"Float64", CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__DOUBLE},
    {"Int32", CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__INT32},
    {"Int8", CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__INT8},
    {"Float16", CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__FLOAT16},
};

static Cmlpb__ArrayFeatureType *array_type(rd *r, const cJSON *e, const char *fname) {
    Cmlpb__ArrayFeatureType *at;
    NEWMSG(r, at, cmlpb__array_feature_type__init);
    if (!at) return NULL;
    const char *dt = jstr(e, "dataType"), *shape = jstr(e, "shape");
    if (dt) {
        size_t i;
        for (i = 0; i < sizeof ARRAY_DTYPES / sizeof ARRAY_DTYPES[0]; i++)
            if (strcmp(dt, ARRAY_DTYPES[i].name) == 0) break;
        if (i < sizeof ARRAY_DTYPES / sizeof ARRAY_DTYPES[0]) at->datatype = ARRAY_DTYPES[i].dt;
        else diag_add(r->dl, R_INTERFACE, DIAG_WARNING, ART(r, F_METADATA), -1, 0, 0, NULL,
                      "feature '%s' has unknown dataType \"%.40s\"", fname, dt);
    }
    if (shape && parse_shape(r, shape, &at->shape, &at->n_shape) != 0)
        diag_add(r->dl, R_INTERFACE, DIAG_WARNING, ART(r, F_METADATA), -1, 0, 0, NULL,
                 "feature '%s' has a malformed shape \"%.60s\"", fname, shape);
    return at;
}

/* Image size and colour. The keys width/height/colorspace are assumed (not
 * seen in an Apple sample); the size also comes from formattedType
 * ("Image (Color 224 × 224)"), the coremlc summary string. */
static Cmlpb__ImageFeatureType *image_type(rd *r, const cJSON *e) {
    Cmlpb__ImageFeatureType *it;
    NEWMSG(r, it, cmlpb__image_feature_type__init);
    if (!it) return NULL;
    int64_t w = jint(e, "width"), h = jint(e, "height");
    const char *ft = jstr(e, "formattedType"), *cs = jstr(e, "colorspace");
    if ((w < 0 || h < 0) && ft) {
        long long a, b;
        const char *p = strpbrk(ft, "0123456789");
        if (p && sscanf(p, "%lld \xC3\x97 %lld", &a, &b) == 2 && a >= 0 && b >= 0) w = a, h = b;
    }
    it->width = w > 0 ? w : 0, it->height = h > 0 ? h : 0;
    const char *c = cs ? cs : ft ? ft : "";
    if (strstr(c, "GrayscaleFloat16") || strstr(c, "Grayscale16Half"))
        it->colorspace = CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__GRAYSCALE_FLOAT16;
    else if (strstr(c, "Gray"))
        it->colorspace = CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__GRAYSCALE;
    else if (strstr(c, "BGR"))
        it->colorspace = CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__BGR;
    else if (strstr(c, "RGB") || strstr(c, "Color"))
        it->colorspace = CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__RGB;
    return it;
}

/* One schema entry {name, type, dataType, shape, isOptional, shortDescription, ...}.
 * SOURCE: inputSchema/outputSchema entries of add_model.mlmodelc/metadata.json;
 * type names (MultiArray, Image, Int64, Double, String, Dictionary, State)
 * follow MLFeatureType's names. */
static Cmlpb__FeatureDescription *feature(rd *r, const cJSON *e, const char *schema) {
    Cmlpb__FeatureDescription *fd;
    Cmlpb__FeatureType *ft;
    if (!cJSON_IsObject(e)) {
        diag_add(r->dl, R_INTERFACE, DIAG_WARNING, ART(r, F_METADATA), -1, 0, 0, NULL,
                 "an entry of %s is not an object", schema);
        return NULL;
    }
    NEWMSG(r, fd, cmlpb__feature_description__init);
    NEWMSG(r, ft, cmlpb__feature_type__init);
    if (!fd || !ft) return NULL;
    const char *name = jstr(e, "name"), *type = jstr(e, "type"), *sd = jstr(e, "shortDescription");
    if (!name) {
        diag_add(r->dl, R_INTERFACE, DIAG_WARNING, ART(r, F_METADATA), -1, 0, 0, NULL,
                 "an entry of %s has no name", schema);
        name = "";
    }
    fd->name = rdup(r, name);
    if (sd) fd->shortdescription = rdup(r, sd);
    fd->type = ft;
    ft->isoptional = jflag(e, "isOptional");
    type = type ? type : "";
    if (strcmp(type, "MultiArray") == 0) {
        ft->type_case = CMLPB__FEATURE_TYPE__TYPE_MULTI_ARRAY_TYPE;
        ft->multiarraytype = array_type(r, e, name);
    } else if (strcmp(type, "Image") == 0) {
        ft->type_case = CMLPB__FEATURE_TYPE__TYPE_IMAGE_TYPE;
        ft->imagetype = image_type(r, e);
    } else if (strcmp(type, "Int64") == 0) {
        ft->type_case = CMLPB__FEATURE_TYPE__TYPE_INT64_TYPE;
        NEWMSG(r, ft->int64type, cmlpb__int64_feature_type__init);
    } else if (strcmp(type, "Double") == 0) {
        ft->type_case = CMLPB__FEATURE_TYPE__TYPE_DOUBLE_TYPE;
        NEWMSG(r, ft->doubletype, cmlpb__double_feature_type__init);
    } else if (strcmp(type, "String") == 0) {
        ft->type_case = CMLPB__FEATURE_TYPE__TYPE_STRING_TYPE;
        NEWMSG(r, ft->stringtype, cmlpb__string_feature_type__init);
    } else if (strcmp(type, "Dictionary") == 0) {
        /* key type from formattedType, e.g. "Dictionary (String → Double)" */
        Cmlpb__DictionaryFeatureType *dt;
        const char *f = jstr(e, "formattedType");
        NEWMSG(r, dt, cmlpb__dictionary_feature_type__init);
        if (dt && f && strstr(f, "(String")) {
            dt->key_type_case = CMLPB__DICTIONARY_FEATURE_TYPE__KEY_TYPE_STRING_KEY_TYPE;
            NEWMSG(r, dt->stringkeytype, cmlpb__string_feature_type__init);
        } else if (dt) {
            dt->key_type_case = CMLPB__DICTIONARY_FEATURE_TYPE__KEY_TYPE_INT64_KEY_TYPE;
            NEWMSG(r, dt->int64keytype, cmlpb__int64_feature_type__init);
        }
        ft->type_case = CMLPB__FEATURE_TYPE__TYPE_DICTIONARY_TYPE;
        ft->dictionarytype = dt;
    } else if (strcmp(type, "State") == 0) {
        Cmlpb__StateFeatureType *st;
        NEWMSG(r, st, cmlpb__state_feature_type__init);
        if (st) {
            st->type_case = CMLPB__STATE_FEATURE_TYPE__TYPE_ARRAY_TYPE;
            st->arraytype = array_type(r, e, name);
        }
        ft->type_case = CMLPB__FEATURE_TYPE__TYPE_STATE_TYPE;
        ft->statetype = st;
    } else {
        diag_add(r->dl, R_INTERFACE, DIAG_WARNING, ART(r, F_METADATA), -1, 0, 0, NULL,
                 "feature '%s' in %s has unsupported type \"%.40s\"", name, schema, type);
        fd->type = NULL;
    }
    return fd;
}

static void schema(rd *r, const cJSON *o, const char *key, Cmlpb__FeatureDescription ***out, size_t *n) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, key), *e;
    *n = 0, *out = NULL;
    if (!arr) return;
    if (!cJSON_IsArray(arr)) {
        diag_add(r->dl, R_INTERFACE, DIAG_WARNING, ART(r, F_METADATA), -1, 0, 0, NULL, "%s is not an array", key);
        return;
    }
    size_t cnt = (size_t)cJSON_GetArraySize(arr);
    if (!cnt) return;
    *out = ralloc(r, cnt * sizeof **out);
    if (!*out) return;
    cJSON_ArrayForEach(e, arr) {
        Cmlpb__FeatureDescription *fd = feature(r, e, key);
        if (fd) (*out)[(*n)++] = fd;
    }
}

/* ---- metadata.json ------------------------------------------------------ */

/* SOURCE: keys of add_model.mlmodelc/metadata.json: specificationVersion,
 * inputSchema, outputSchema, stateSchema, userDefinedMetadata, isUpdatable,
 * availability, modelType; author/license/shortDescription/version,
 * functions and defaultFunctionName mirror Model.proto's Metadata and
 * FunctionDescription (mlmodel/format/Model.proto). */
static void read_metadata(rd *r, Cmlpb__Model *m, const cJSON *root) {
    const cJSON *o = root;
    if (cJSON_IsArray(root)) o = cJSON_GetArrayItem(root, 0);
    if (!cJSON_IsObject(o)) {
        diag_add(r->dl, R_INTERFACE, DIAG_WARNING, ART(r, F_METADATA), -1, 0, 0, NULL,
                 "metadata.json should be an array holding one object; the interface is unknown");
        return;
    }
    r->info->metadata_json = F_METADATA;
    Cmlpb__ModelDescription *d = m->description;

    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(o, "specificationVersion");
    if (cJSON_IsNumber(sv) && sv->valuedouble >= 1 && sv->valuedouble <= INT32_MAX)
        m->specificationversion = (int32_t)sv->valuedouble;
    else
        diag_add(r->dl, R_SPEC, DIAG_WARNING, ART(r, F_METADATA), -1, 0, 0, NULL,
                 "metadata.json has no usable specificationVersion; the model's minimum OS is unknown");

    schema(r, o, "inputSchema", &d->input, &d->n_input);
    schema(r, o, "outputSchema", &d->output, &d->n_output);
    schema(r, o, "stateSchema", &d->state, &d->n_state);
    m->isupdatable = jflag(o, "isUpdatable");

    Cmlpb__Metadata *md;
    NEWMSG(r, md, cmlpb__metadata__init);
    if (!md) return;
    d->metadata = md;
    const char *s;
    if ((s = jstr(o, "author"))) md->author = rdup(r, s);
    if ((s = jstr(o, "license"))) md->license = rdup(r, s);
    if ((s = jstr(o, "shortDescription"))) md->shortdescription = rdup(r, s);
    if ((s = jstr(o, "version"))) md->versionstring = rdup(r, s);
    const cJSON *ud = cJSON_GetObjectItemCaseSensitive(o, "userDefinedMetadata"), *e;
    if (cJSON_IsObject(ud) && cJSON_GetArraySize(ud) > 0) {
        md->userdefined = ralloc(r, (size_t)cJSON_GetArraySize(ud) * sizeof *md->userdefined);
        cJSON_ArrayForEach(e, ud) {
            Cmlpb__Metadata__UserDefinedEntry *kv;
            if (!md->userdefined || !cJSON_IsString(e) || !e->string) continue;
            NEWMSG(r, kv, cmlpb__metadata__user_defined_entry__init);
            if (!kv) break;
            kv->key = rdup(r, e->string), kv->value = rdup(r, e->valuestring);
            md->userdefined[md->n_userdefined++] = kv;
        }
    }

    const cJSON *av = cJSON_GetObjectItemCaseSensitive(o, "availability");
    if (cJSON_IsObject(av)) {
        mlmodelc_info *in = r->info;
        if ((s = jstr(av, "iOS"))) in->avail_ios = rdup(r, s);
        if ((s = jstr(av, "macOS"))) in->avail_macos = rdup(r, s);
        if ((s = jstr(av, "tvOS"))) in->avail_tvos = rdup(r, s);
        if ((s = jstr(av, "watchOS"))) in->avail_watchos = rdup(r, s);
        if ((s = jstr(av, "visionOS"))) in->avail_visionos = rdup(r, s);
    }

    const cJSON *fns = cJSON_GetObjectItemCaseSensitive(o, "functions");
    if (cJSON_IsArray(fns) && cJSON_GetArraySize(fns) > 0) {
        d->functions = ralloc(r, (size_t)cJSON_GetArraySize(fns) * sizeof *d->functions);
        cJSON_ArrayForEach(e, fns) {
            Cmlpb__FunctionDescription *fd;
            if (!d->functions || !cJSON_IsObject(e)) continue;
            NEWMSG(r, fd, cmlpb__function_description__init);
            if (!fd) break;
            fd->name = rdup(r, jstr(e, "name"));
            schema(r, e, "inputSchema", &fd->input, &fd->n_input);
            schema(r, e, "outputSchema", &fd->output, &fd->n_output);
            schema(r, e, "stateSchema", &fd->state, &fd->n_state);
            d->functions[d->n_functions++] = fd;
        }
    }
    if ((s = jstr(o, "defaultFunctionName"))) d->defaultfunctionname = rdup(r, s);
}

/* ---- model.mil ---------------------------------------------------------- */

/* buildInfo["coremlc-version"] of the program attributes.
 * SOURCE: the buildInfo line of add_model.mlmodelc/model.mil. */
static const char *coremlc_version(const Cmlpb__Mil__Program *prog) {
    for (size_t i = 0; i < prog->n_attributes; i++) {
        const Cmlpb__Mil__Value *v = prog->attributes[i]->value;
        if (strcmp(prog->attributes[i]->key, "buildInfo") != 0 || !v ||
            v->value_case != CMLPB__MIL__VALUE__VALUE_IMMEDIATE_VALUE ||
            v->immediatevalue->value_case != CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_DICTIONARY)
            continue;
        const Cmlpb__Mil__DictionaryValue *dv = v->immediatevalue->dictionary;
        for (size_t j = 0; j < dv->n_values; j++) {
            const Cmlpb__Mil__Value *k = dv->values[j]->key, *val = dv->values[j]->value;
            const Cmlpb__Mil__TensorValue *kt, *vt;
            if (!k || !val || k->value_case != CMLPB__MIL__VALUE__VALUE_IMMEDIATE_VALUE ||
                val->value_case != CMLPB__MIL__VALUE__VALUE_IMMEDIATE_VALUE ||
                k->immediatevalue->value_case != CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_TENSOR ||
                val->immediatevalue->value_case != CMLPB__MIL__VALUE__IMMEDIATE_VALUE__VALUE_TENSOR)
                continue;
            kt = k->immediatevalue->tensor, vt = val->immediatevalue->tensor;
            if (kt->value_case == CMLPB__MIL__TENSOR_VALUE__VALUE_STRINGS && kt->strings->n_values == 1 &&
                vt->value_case == CMLPB__MIL__TENSOR_VALUE__VALUE_STRINGS && vt->strings->n_values == 1 &&
                strcmp(kt->strings->values[0], "coremlc-version") == 0)
                return vt->strings->values[0];
        }
    }
    return NULL;
}

static Cmlpb__Mil__Program *read_mil(rd *r, mil_postab *pos) {
    char *path = fs_join(r->a, r->dir, F_MIL);
    size_t len = 0;
    if (!path) { r->oom = 1; return NULL; }
    char *text = fs_inside(r->dir_real, path) == 0 ? fs_read_file(r->a, path, MIL_MAX, &len) : NULL;
    if (!text) {
        if (errno == EFBIG)
            diag_add(r->dl, R_STRUCTURE, DIAG_ERROR, ART(r, F_MIL), -1, 0, 0, NULL,
                     "model.mil is larger than the %zu MiB limit; not read", MIL_MAX >> 20);
        else
            diag_add(r->dl, R_STRUCTURE, DIAG_ERROR, ART(r, F_MIL), -1, 0, 0, NULL,
                     "model.mil cannot be read: %s", fs_strerror(errno));
        return NULL;
    }
    return miltext_parse(text, len, ART(r, F_MIL), r->a, pos, r->dl);
}

/* ---- espresso ----------------------------------------------------------- */

/* SOURCE (file names and the "layers"[{type, name, top, bottom}] JSON):
 * the NeuralNetwork output of coremlc as described in the brief for this
 * module; no Apple sample is in the coremltools tree. */
static int has_file(rd *r, const char *dir, const char *name);

/* The layers' weights live in the file the net's "storage" names
 * ("model.espresso.weights", beside it); a layer reads them by blob index
 * (blob_weights, blob_biases > 0). A folder without that file cannot load,
 * as an ML Program package without weight.bin cannot. Only a plain file
 * name is looked up, in this folder. */
static void check_espresso_storage(rd *r, const cJSON *j, const cJSON *layers) {
    const char *st = jstr(j, "storage");
    if (!st || !*st || strchr(st, '/') || strchr(st, '\\') || !strcmp(st, "..") || !strcmp(st, ".")) return;
    size_t users = 0;
    const char *first = NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, layers) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(e, "blob_weights");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "blob_biases");
        if ((cJSON_IsNumber(w) && w->valuedouble > 0) || (cJSON_IsNumber(b) && b->valuedouble > 0)) {
            if (!users++) first = jstr(e, "name");
        }
    }
    if (!users || has_file(r, r->dir, st)) return;
    diag_add(r->dl, R_MISSING_WEIGHTS, DIAG_ERROR, ART(r, st), -1, 0, 0, NULL,
             "weight file '%s' named by model.espresso.net (storage) does not exist; %zu layer%s read weights from "
             "it (the first '%s')",
             st, users, users == 1 ? "" : "s", first && *first ? first : "?");
}

static void read_espresso(rd *r) {
    mlmodelc_info *in = r->info;
    cJSON *j = json_load(r, F_ESPRESSO, R_LIMITED, DIAG_WARNING);
    if (!j) return;
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(j, "layers"), *e;
    size_t n = cJSON_IsArray(layers) ? (size_t)cJSON_GetArraySize(layers) : 0;
    if (!cJSON_IsArray(layers))
        diag_add(r->dl, R_LIMITED, DIAG_WARNING, ART(r, F_ESPRESSO), -1, 0, 0, NULL,
                 "model.espresso.net has no \"layers\" array");
    if (n) {
        in->espresso_layer_types = ralloc(r, n * sizeof *in->espresso_layer_types);
        in->espresso_layer_names = ralloc(r, n * sizeof *in->espresso_layer_names);
    }
    if (in->espresso_layer_types && in->espresso_layer_names) {
        cJSON_ArrayForEach(e, layers) {
            const char *t = jstr(e, "type"), *nm = jstr(e, "name");
            const char *tc = rdup(r, t ? t : "?"), *nc = rdup(r, nm ? nm : "");
            if (!tc || !nc) break;   /* the arena cap (rdup set r->oom): no layer without its strings */
            in->espresso_layer_types[in->n_espresso_layers] = tc;
            in->espresso_layer_names[in->n_espresso_layers] = nc;
            in->n_espresso_layers++;
        }
    }
    if (cJSON_IsArray(layers)) check_espresso_storage(r, j, layers);
    cJSON_Delete(j);
}

typedef struct type_at {
    const char *t;
    size_t i;   /* the layer's index */
} type_at;

static int type_at_cmp(const void *a, const void *b) {
    const type_at *x = a, *y = b;
    int d = strcmp(x->t, y->t);
    return d ? d : (x->i > y->i) - (x->i < y->i);
}

/* "convolution x12, activation x11, ..." — the distinct layer types in the
 * order of their first layer, at most TYPES_LISTED of them, then how many
 * more. Comparing every layer's type with every earlier one was quadratic:
 * 2M layers of 4,200 types took over 20 s even when cut off after the first
 * 4,097 layers. Sorting (type, index) pairs once is n log n and needs no cut
 * off: equal types end up together, their first layer first. */
static void layer_summary(const mlmodelc_info *in, char *buf, size_t cap) {
    size_t n = in->n_espresso_layers;
    const char *types[TYPES_LISTED];
    size_t counts[TYPES_LISTED], firsts[TYPES_LISTED], nt = 0, other = 0;
    size_t used = 0;
    buf[0] = 0;
    type_at *v = n ? malloc(n * sizeof *v) : NULL;
    if (!v) return;   /* no layers, or no memory for a summary: none */
    for (size_t i = 0; i < n; i++) v[i] = (type_at){in->espresso_layer_types[i], i};
    qsort(v, n, sizeof *v, type_at_cmp);
    for (size_t g = 0; g < n;) {
        size_t e = g + 1;
        while (e < n && !strcmp(v[e].t, v[g].t)) e++;
        /* keep the TYPES_LISTED types met first, by v[g].i, in order */
        size_t at = nt;
        while (at > 0 && firsts[at - 1] > v[g].i) at--;
        if (at < TYPES_LISTED) {
            if (nt == TYPES_LISTED) other++;   /* the last one listed drops out */
            else nt++;
            memmove(types + at + 1, types + at, (nt - 1 - at) * sizeof *types);
            memmove(counts + at + 1, counts + at, (nt - 1 - at) * sizeof *counts);
            memmove(firsts + at + 1, firsts + at, (nt - 1 - at) * sizeof *firsts);
            types[at] = v[g].t, counts[at] = e - g, firsts[at] = v[g].i;
        } else {
            other++;
        }
        g = e;
    }
    free(v);
    for (size_t i = 0; i < nt && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%.40s x%zu", i ? ", " : "", types[i], counts[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (other && used < cap) snprintf(buf + used, cap - used, ", and %zu more types", other);
}

/* ---- coremldata.bin ------------------------------------------------------ */

/* coremldata.bin is coremlc's own container and Apple does not document it.
 * Its layout as seen in every compiled model we have (coremlc output from
 * 2017 to 2024: NeuralNetwork, NeuralNetworkClassifier, pipelines, k-NN,
 * Vision feature print and GLM stages, ML Program; the ML Program sample is
 * Apple's own coremltools/modelrunner/ModelRunner/add_model.mlmodelc,
 * rules-knowledge §2.8) [C-RE, ours]:
 *   u32 @0     the Model.Type field number (500 neuralNetwork, 403
 *              neuralNetworkClassifier, 200 pipelineClassifier, 404 kNN, 502
 *              mlProgram, ...; SOURCE: Model.proto oneof Type)
 *   u64 @0x1C  L, the length of a compiler descriptor string at 0x24:
 *              "generic", "spec", "notreesyet", or for a pipeline its own
 *              kind followed by ".<sub-model folder>v<version><kind>" per stage
 *              ("generic.model0v1.2.1generic.model1v1.0.0notreesyet")
 *   u64        the specification version
 *   24 bytes   not understood (zero in every sample)
 *   "spec":    a whole Model protobuf up to the end of the file
 *   otherwise: u64 N, a ModelDescription protobuf of N bytes, then data of
 *              the model kind that is not decoded here.
 * Anything that does not fit (short file, absurd lengths, a protobuf that
 * does not decode) leaves the file opaque: nothing is claimed from it. */
#define CDB_MAX ((size_t)512 << 20)
#define CDB_KIND_MAX 4096u
#define CDB_HEAD 0x24u

static uint64_t le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void cdb_read(rd *r, const char *dir) {
    mlmodelc_info *in = r->info;
    char *path = fs_join(r->a, dir, F_COREMLDATA);
    size_t len = 0;
    if (!path) { r->oom = 1; return; }
    const unsigned char *d =
        fs_inside(r->dir_real, path) == 0 ? (const unsigned char *)fs_read_file(r->a, path, CDB_MAX, &len) : NULL;
    if (!d || len < CDB_HEAD + 8 + 24) return;
    uint64_t kl = le64(d + 0x1C);
    if (kl < 1 || kl > CDB_KIND_MAX || kl > len - CDB_HEAD - 8 - 24) return;
    for (uint64_t i = 0; i < kl; i++)
        if (d[CDB_HEAD + i] < 0x21 || d[CDB_HEAD + i] > 0x7E) return;
    size_t o = CDB_HEAD + (size_t)kl;
    uint64_t spec = le64(d + o);
    if (spec < 1 || spec > 1000) return;
    o += 8 + 24;
    const char *kind = arena_strndup(r->a, (const char *)d + CDB_HEAD, (size_t)kl);
    if (!kind) { r->oom = 1; return; }
    ProtobufCAllocator al = arena_pb_allocator(r->a);
    pbwire_error we;
    if (strcmp(kind, "spec") == 0) {
        /* protobuf-c recurses once per nested message: bounded first */
        if (pbwire_depth_check(&cmlpb__model__descriptor, d + o, len - o, CML_MAX_NESTING, &we) != 0) {
            diag_add(r->dl, "load/protobuf-corrupt", DIAG_ERROR, ART(r, F_COREMLDATA), (int64_t)(o + we.offset), 0, 0,
                     NULL, "not decoded: %s, at byte %llu (in %s)", we.message,
                     (unsigned long long)(o + we.offset), we.path);
            return;
        }
        Cmlpb__Model *m = cmlpb__model__unpack(&al, len - o, d + o);
        if (!m || m->specificationversion != (int32_t)spec) return;
        in->cdb_model = m;
    } else {
        if (len - o < 8) return;
        uint64_t n = le64(d + o);
        o += 8;
        if (n > len - o) return;
        if (pbwire_depth_check(&cmlpb__model_description__descriptor, d + o, (size_t)n, CML_MAX_NESTING, &we) != 0) {
            diag_add(r->dl, "load/protobuf-corrupt", DIAG_ERROR, ART(r, F_COREMLDATA), (int64_t)(o + we.offset), 0, 0,
                     NULL, "not decoded: %s, at byte %llu (in %s)", we.message,
                     (unsigned long long)(o + we.offset), we.path);
            return;
        }
        Cmlpb__ModelDescription *desc = cmlpb__model_description__unpack(&al, (size_t)n, d + o);
        if (!desc) return;
        in->cdb_description = desc;
    }
    uint32_t type = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
    in->cdb_decoded = 1;
    in->cdb_type = type;
    in->cdb_spec = (int32_t)spec;
    in->cdb_kind = kind;
}

/* SOURCE: Model.proto oneof Type — 200 pipelineClassifier, 201
 * pipelineRegressor, 202 pipeline. */
static int is_pipeline_type(uint32_t t) { return t >= 200 && t <= 202; }

/* ---- nested compiled models ---------------------------------------------- */

/* Folders a compiled model keeps beside its own files that are parts of it,
 * not nested models: NeuralNetwork layer data and optionals, analytics, the
 * update and k-NN parameters of updatable models, ML Program weights
 * [observed in coremlc output, see cdb_read]. */
int mlmodelc_is_part_folder(const char *name) {
    static const char *const parts[] = {"analytics", "model", "modelParameters", "neural_network_optionals",
                                        "updateParameters", "weights"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strcmp(name, parts[i]) == 0) return 1;
    return 0;
}

static int has_file(rd *r, const char *dir, const char *name) {
    char *p = fs_join(r->a, dir, name);
    if (!p) r->oom = 1;   /* not "absent": the arena cap is reported */
    return p && fs_is_file(p);
}

typedef struct sub_ent {
    const char *path;   /* absolute */
    const char *name;   /* folder name */
    size_t rank;        /* position in the pipeline descriptor, or SIZE_MAX */
} sub_ent;

/* "model2" before "model10": compare runs of digits by value. */
static int natural_cmp(const char *a, const char *b) {
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            const char *x = a, *y = b;
            while (*x == '0') x++;
            while (*y == '0') y++;
            size_t lx = 0, ly = 0;
            while (x[lx] >= '0' && x[lx] <= '9') lx++;
            while (y[ly] >= '0' && y[ly] <= '9') ly++;
            if (lx != ly) return lx < ly ? -1 : 1;
            int c = strncmp(x, y, lx);
            if (c) return c;
            a = x + lx, b = y + ly;
            continue;
        }
        if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++, b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int cmp_sub(const void *pa, const void *pb) {
    const sub_ent *a = pa, *b = pb;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    return natural_cmp(a->name, b->name);
}

/* Where ".<name>v" stands in a pipeline descriptor; SIZE_MAX if absent. */
static size_t desc_rank(const char *kind, const char *name) {
    size_t nl = strlen(name);
    for (const char *p = kind ? strchr(kind, '.') : NULL; p; p = strchr(p + 1, '.'))
        if (strncmp(p + 1, name, nl) == 0 && p[1 + nl] == 'v') return (size_t)(p - kind);
    return SIZE_MAX;
}

/* The nested compiled models of a pipeline: sub-folders holding a compiled
 * model (coremldata.bin, model.mil or model.espresso.net, or named
 * *.mlmodelc), in the order the pipeline's descriptor names them (when
 * coremldata.bin was decoded, only those it names), else by name. */
static void list_sub_models(rd *r, const char *kind) {
    DIR *d = opendir(r->dir);
    struct dirent *e;
    sub_ent *v = NULL;
    size_t n = 0, cap = 0, scanned = 0;
    if (!d) return;
    while ((e = readdir(d)) != NULL && n < MAX_SUB_MODELS && scanned++ < MAX_ENTRIES_SCANNED) {
        if (e->d_name[0] == '.' || mlmodelc_is_part_folder(e->d_name)) continue;
        char *p = fs_join(r->a, r->dir, e->d_name);
        if (!p) { r->oom = 1; break; }
        if (!fs_is_dir(p)) continue;
        if (fs_inside(r->dir_real, p) != 0) {
            diag_add(r->dl, R_LIMITED, DIAG_WARNING, e->d_name, -1, 0, 0, NULL, "sub-folder '%s' is not read: %s",
                     e->d_name, fs_strerror(errno));
            continue;
        }
        if (!fs_has_suffix(e->d_name, ".mlmodelc") && !has_file(r, p, F_COREMLDATA) &&
            !has_file(r, p, F_MIL) && !has_file(r, p, F_ESPRESSO)) {
            if (r->oom) break;
            continue;
        }
        size_t rank = desc_rank(kind, e->d_name);
        if (kind && rank == SIZE_MAX) continue;
        char *abs = fs_realpath(p);
        const char *keep = rdup(r, abs ? abs : p);
        free(abs);
        const char *name = rdup(r, e->d_name);
        if (!keep || !name) break;   /* arena cap reached: rdup set r->oom */
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            sub_ent *nv = arena_realloc(r->a, v, cap * sizeof *v, nc * sizeof *v);
            if (!nv) { r->oom = 1; break; }
            v = nv, cap = nc;
        }
        v[n].path = keep;
        v[n].name = name;
        v[n].rank = rank;
        n++;
    }
    closedir(d);
    /* out of arena: an entry may lack its strings, so nothing listed is
     * kept; the caller reports the cap like every other allocation */
    if (!n || r->oom) return;
    qsort(v, n, sizeof *v, cmp_sub);
    const char **dirs = ralloc(r, n * sizeof *dirs), **names = ralloc(r, n * sizeof *names);
    if (!dirs || !names) return;
    for (size_t i = 0; i < n; i++) dirs[i] = v[i].path, names[i] = v[i].name;
    r->info->sub_model_dirs = dirs;
    r->info->sub_model_names = names;
    r->info->n_sub_models = n;
}

/* ---- entry -------------------------------------------------------------- */

/* SOURCE: metadata.json "modelType" : {"name" : "MLModelType_mlProgram"}
 * (add_model.mlmodelc); the pipeline spellings follow the same pattern. */
static uint32_t mtype_number(const char *mtype) {
    static const struct { const char *name; uint32_t t; } map[] = {
        {"MLModelType_pipelineClassifier", 200}, {"MLModelType_pipelineRegressor", 201},
        {"MLModelType_pipeline", 202},           {"MLModelType_neuralNetworkRegressor", 303},
        {"MLModelType_neuralNetworkClassifier", 403}, {"MLModelType_neuralNetwork", 500},
        {"MLModelType_mlProgram", 502}};
    for (size_t i = 0; mtype && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(mtype, map[i].name) == 0) return map[i].t;
    return 0;
}

static void set_pipeline_type(rd *r, Cmlpb__Model *m, uint32_t t) {
    if (t == 200) {
        NEWMSG(r, m->pipelineclassifier, cmlpb__pipeline_classifier__init);
        if (m->pipelineclassifier) m->type_case = CMLPB__MODEL__TYPE_PIPELINE_CLASSIFIER;
    } else if (t == 201) {
        NEWMSG(r, m->pipelineregressor, cmlpb__pipeline_regressor__init);
        if (m->pipelineregressor) m->type_case = CMLPB__MODEL__TYPE_PIPELINE_REGRESSOR;
    } else {
        NEWMSG(r, m->pipeline, cmlpb__pipeline__init);
        if (m->pipeline) m->type_case = CMLPB__MODEL__TYPE_PIPELINE;
    }
}

/* A NeuralNetwork of kind t (303, 403, else 500) without layers: espresso
 * keeps them in its own files. */
static void set_nn_type(rd *r, Cmlpb__Model *m, uint32_t t) {
    if (t == 403) {
        NEWMSG(r, m->neuralnetworkclassifier, cmlpb__neural_network_classifier__init);
        if (m->neuralnetworkclassifier) m->type_case = CMLPB__MODEL__TYPE_NEURAL_NETWORK_CLASSIFIER;
    } else if (t == 303) {
        NEWMSG(r, m->neuralnetworkregressor, cmlpb__neural_network_regressor__init);
        if (m->neuralnetworkregressor) m->type_case = CMLPB__MODEL__TYPE_NEURAL_NETWORK_REGRESSOR;
    } else {
        NEWMSG(r, m->neuralnetwork, cmlpb__neural_network__init);
        if (m->neuralnetwork) m->type_case = CMLPB__MODEL__TYPE_NEURAL_NETWORK;
    }
}

static int is_nn_type(uint32_t t) { return t == 303 || t == 403 || t == 500; }

int mlmodelc_read_at(const char *dir, const char *rel, arena *a, Cmlpb__Model **out, mil_postab *pos,
                     mlmodelc_info *info, diag_list *dl) {
    mlmodelc_info local;
    rd R = {dir, NULL, rel ? rel : "", a, dl, info ? info : &local, 0}, *r = &R;
    memset(r->info, 0, sizeof *r->info);
    if (out) *out = NULL;
    if (!dir || !fs_is_dir(dir)) {
        diag_add(dl, R_LIMITED, DIAG_ERROR, R.rel, -1, 0, 0, NULL, "%s is not a folder", dir ? dir : "(null)");
        return -1;
    }
    char *real = fs_realpath(dir);
    r->dir_real = real ? rdup(r, real) : NULL;
    free(real);
    if (!r->dir_real) {
        /* fail closed: without its real path nothing read could be kept inside it */
        diag_add(dl, R_LIMITED, DIAG_ERROR, R.rel, -1, 0, 0, NULL, "folder '%s' is not read: %s", R.rel,
                 errno == ENAMETOOLONG ? "its real path is 4096 bytes or longer" : fs_strerror(errno));
        return -1;
    }
    int has_mil = has_file(r, dir, F_MIL), has_esp = has_file(r, dir, F_ESPRESSO);
    int has_data = has_file(r, dir, F_COREMLDATA), has_meta = has_file(r, dir, F_METADATA);
    char *upd = fs_join(a, dir, "updateParameters");
    if (!upd) r->oom = 1;
    int has_update = upd && fs_is_dir(upd);
    r->info->is_mlprogram = has_mil;
    r->info->is_espresso = has_esp;
    if (has_data) cdb_read(r, dir);
    mlmodelc_info *in = r->info;

    /* the whole Model protobuf: nothing else to read */
    if (in->cdb_model && !has_mil) {
        if (r->oom) goto oom;
        in->spec_source = F_COREMLDATA;
        if (out) *out = in->cdb_model;
        return 0;
    }

    cJSON *meta = has_meta ? json_load(r, F_METADATA, R_INTERFACE, DIAG_WARNING) : NULL;
    uint32_t mt = 0;
    if (meta) {
        const cJSON *o = cJSON_IsArray(meta) ? cJSON_GetArrayItem(meta, 0) : meta;
        mt = mtype_number(jstr(cJSON_GetObjectItemCaseSensitive(o, "modelType"), "name"));
    }
    uint32_t type = in->cdb_decoded && in->cdb_type ? in->cdb_type : mt;
    if (is_pipeline_type(type) || (!type && !has_mil && !has_esp))
        list_sub_models(r, in->cdb_decoded && strchr(in->cdb_kind, '.') ? in->cdb_kind : NULL);
    if (r->oom) { cJSON_Delete(meta); goto oom; }
    if (!has_mil && !has_esp && !in->n_sub_models && !in->cdb_decoded) {
        cJSON_Delete(meta);
        diag_add(dl, R_LIMITED, DIAG_ERROR, R.rel, -1, 0, 0, NULL,
                 has_data ? "compiled model holds coremldata.bin but neither model.mil nor "
                            "model.espresso.net: its program cannot be read"
                          : "not a compiled Core ML model: none of coremldata.bin, model.mil, "
                            "model.espresso.net found");
        return -1;
    }

    Cmlpb__Model *m, *jm;
    NEWMSG(r, m, cmlpb__model__init);
    NEWMSG(r, jm, cmlpb__model__init);
    if (m) NEWMSG(r, m->description, cmlpb__model_description__init);
    if (jm) NEWMSG(r, jm->description, cmlpb__model_description__init);
    if (!m || !m->description || !jm || !jm->description) { cJSON_Delete(meta); goto oom; }
    if (meta) {
        read_metadata(r, jm, meta);
        cJSON_Delete(meta);
    }
    /* coremldata.bin holds the ModelDescription protobuf itself: exact
     * types, flexibility and metadata, so it wins over metadata.json's
     * rendering of them; metadata.json adds the availability and the
     * compiler's facts (read_metadata put them in info). */
    if (in->cdb_description) {
        m->description = in->cdb_description;
        m->specificationversion = in->cdb_spec;
        in->spec_source = F_COREMLDATA;
    } else if (in->metadata_json) {
        m->description = jm->description;
        m->specificationversion = jm->specificationversion;
        in->spec_source = F_METADATA;
    } else {
        in->unknown |= CML_UNKNOWN_INTERFACE | CML_UNKNOWN_METADATA | CML_UNKNOWN_SPEC_VERSION;
        diag_add(dl, R_LIMITED, DIAG_NOTE, ART(r, has_data ? F_COREMLDATA : F_METADATA), -1, 0, 0, NULL,
                 "%s: the model's inputs, outputs, metadata and specification version are unknown",
                 has_data ? "coremldata.bin is not in a layout coreml-lint reads and there is no metadata.json"
                          : "there is neither metadata.json nor coremldata.bin");
    }
    /* SOURCE: updatable compiled models keep their update parameters in
     * updateParameters/ (observed: s4tf_model_retrained.mlmodelc,
     * UpdatableDrawingClassifier.mlmodelc); metadata.json says isUpdatable. */
    m->isupdatable = jm->isupdatable || has_update;

    if (has_esp) read_espresso(r);
    if (has_mil) {
        Cmlpb__Mil__Program *prog = read_mil(r, pos);
        if (prog) {
            m->type_case = CMLPB__MODEL__TYPE_ML_PROGRAM, m->mlprogram = prog;
            r->info->compiler_version = coremlc_version(prog);
        } else if (!in->metadata_json && !in->cdb_description) {
            if (r->oom) goto oom;
            return -1;   /* nothing usable: the parse diag says why */
        }   /* else: the description alone, type left unset */
    } else if (has_esp || is_nn_type(type)) {
        set_nn_type(r, m, type);
        in->unknown |= CML_UNKNOWN_GRAPH | CML_UNKNOWN_PREPROCESSING | CML_UNKNOWN_WEIGHTS;
        if (type == 403) in->unknown |= CML_UNKNOWN_CLASS_LABELS;
        if (has_esp) {
            char sum[512];
            layer_summary(r->info, sum, sizeof sum);
            diag_add(dl, R_LIMITED, DIAG_NOTE, ART(r, F_ESPRESSO), -1, 0, 0, NULL,
                     "NeuralNetwork compiled for espresso: its layers, their parameters and the image "
                     "preprocessing are not read, so rules about them do not run; %zu layer%s listed%s%s. "
                     "Lint the source .mlmodel for those checks",
                     r->info->n_espresso_layers, r->info->n_espresso_layers == 1 ? "" : "s", sum[0] ? ": " : "",
                     sum);
        } else {
            diag_add(dl, R_LIMITED, DIAG_NOTE, ART(r, F_COREMLDATA), -1, 0, 0, NULL,
                     "compiled NeuralNetwork without model.espresso.net: its layers are unknown");
        }
    } else if (is_pipeline_type(type) || (!type && in->n_sub_models)) {
        set_pipeline_type(r, m, type);
    } else if (type) {
        /* another model kind: its parameters live in coremlc's own data */
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field(&cmlpb__model__descriptor, type);
        if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE && (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            m->type_case = (Cmlpb__Model__TypeCase)type;
        in->unknown |= CML_UNKNOWN_GRAPH | CML_UNKNOWN_CLASS_LABELS | CML_UNKNOWN_WEIGHTS;
        diag_add(dl, R_LIMITED, DIAG_NOTE, ART(r, F_COREMLDATA), -1, 0, 0, NULL,
                 "compiled %s model: its parameters are in coremlc's own format and are not read",
                 fd ? fd->name : "Core ML");
    }
    if (r->oom) goto oom;
    if (out) *out = m;
    return 0;
oom:
    diag_add(dl, R_LIMITED, DIAG_ERROR, R.rel, -1, 0, 0, NULL,
             "out of memory while reading the compiled model (arena cap reached)");
    return -1;
}

int mlmodelc_read(const char *dir, arena *a, Cmlpb__Model **out, mil_postab *pos, mlmodelc_info *info,
                  diag_list *dl) {
    return mlmodelc_read_at(dir, "", a, out, pos, info, dl);
}

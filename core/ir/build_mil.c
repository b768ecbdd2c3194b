/* SPDX-License-Identifier: Apache-2.0 */
/* build_mil.c — the ML Program part of the IR build (see build.c): value
 * types, constants (inline, and blob references into weight files), ops
 * with their arguments and attributes, nested blocks, functions. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coreml-lint/coreml_facts.h"
#include "ir/build_int.h"

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
        /* rank -1 is an unknown rank ("tensor<fp16, *>"), which is no fault */
        bool bad_rank = tt->rank < -1 || tt->rank > 64, unread = bad_rank;
        uint64_t big = 0;
        for (size_t i = 0; !unread && i < tt->n_dimensions && (int64_t)i < tt->rank; i++)
            if (tt->dimensions[i] && tt->dimensions[i]->dimension_case == 1 && tt->dimensions[i]->constant &&
                tt->dimensions[i]->constant->size > (uint64_t)INT64_MAX)
                unread = true, big = tt->dimensions[i]->constant->size;
        if (unread && !b->shape_unread_said) {
            /* said, so that what such a type covers (an inline value's
             * count, a blob's size) is known to go unchecked (an
             * adversarial pass: a rank of 65 or a dimension of 2^64 - 1
             * hid a value of the wrong size) */
            if (bad_rank)
                DIAG(b, "load/mil-structure", DIAG_WARNING, NULL,
                     "a tensor type has rank %lld, outside the 0 to 64 this tool reads; such shapes are read as "
                     "unknown, so the values they type are not checked against them",
                     (long long)tt->rank);
            else
                DIAG(b, "load/mil-structure", DIAG_WARNING, NULL,
                     "a tensor type has a dimension of %llu, over 2^63 - 1 (no tensor holds that many values); such "
                     "shapes are read as unknown, so the values they type are not checked against them",
                     (unsigned long long)big);
            b->shape_unread_said = true;
        }
        if (tt->rank < 0 || tt->rank > 64) { t->shape.rank = -1; return; }
        /* dims beyond those listed (rank without dimensions) stay unknown;
         * the rank is set with its dims (an exhausted arena once left rank
         * 64 over NULL dims, which cml_shape_elems read) */
        int64_t *d = arena_calloc(b->a, (size_t)tt->rank ? (size_t)tt->rank : 1, sizeof *d);
        if (!d) return;
        t->shape.rank = (int32_t)tt->rank;
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

/* abs as a path inside the model: below the path the user gave, or below
 * its real path, which a compiled pipeline's stage folders are listed by
 * (a stage's missing weight file once showed as
 * "x.mlmodelc//abs/path/x.mlmodelc/model0/weights/weight.bin") */
static const char *path_in_model(const lmodel *lm, const char *abs) {
    const char *roots[2] = {lm->root, lm->root_real};
    for (int i = 0; i < 2; i++) {
        size_t rl = roots[i] ? strlen(roots[i]) : 0;
        if (rl && !strncmp(abs, roots[i], rl) && abs[rl] == '/') return abs + rl + 1;
    }
    return abs;
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
    /* one spelling per file: "weights/./w.bin" and "weights//w.bin" are
     * "weights/w.bin" (64 spellings of one file used up the table below,
     * which then held 64).
     * A name that ends in '/' or "/." names a folder (the file system
     * refuses it, and so does this), and one too long to spell is refused. */
    size_t rn = strlen(rel);
    if (rel[rn - 1] == '/' || (rn >= 2 && rel[rn - 1] == '.' && rel[rn - 2] == '/') || (rn == 1 && rel[0] == '.')) {
        DIAG(b, "load/missing-weight-file", DIAG_ERROR, logical, "weight file name '%s' names a folder, not a file",
             file_name);
        return NULL;
    }
    char canon[1024];
    if (rn >= sizeof canon) {
        DIAG(b, "load/missing-weight-file", DIAG_ERROR, logical, "weight file name '%.200s...' is longer than %zu bytes",
             file_name, sizeof canon - 1);
        return NULL;
    }
    size_t k = 0;
    for (const char *s = rel; *s && k + 1 < sizeof canon;) {
        if (*s == '/') { s++; continue; }
        if (s[0] == '.' && (s[1] == '/' || !s[1])) { s++; continue; }
        if (k) canon[k++] = '/';
        while (*s && *s != '/' && k + 1 < sizeof canon) canon[k++] = *s++;
    }
    canon[k] = 0;
    char *abs = fs_join(b->a, b->model_dir ? b->model_dir : ".", canon);
    if (!abs) return NULL;
    for (size_t i = 0; i < lm->n_wfiles; i++)
        if (!strcmp(lm->wfiles[i]->abs_path, abs)) return lm->wfiles[i]->mapped ? lm->wfiles[i] : NULL;
    if (lm->n_wfiles >= IR_MAX_WEIGHT_FILES) {
        /* said, not dropped in silence: a missing file or a bad blob in
         * the files past the table was not reported (an adversarial pass).
         * A file past it that is not there is still an error. */
        const char *shown = path_in_model(lm, abs);
        struct stat st;
        if (fs_inside(lm->root_real, abs) == 0 && stat(abs, &st) != 0) {
            diag_add(&lm->diags, "load/missing-weight-file", DIAG_ERROR, shown, -1, 0, 0, logical,
                     "weight file '%s' referenced by the program does not exist", shown);
            return NULL;
        }
        /* an error: no converter writes that many, and a bad blob in the
         * files not read must not pass as clean (exit 0) */
        if (!lm->wfiles_full_said)
            DIAG(b, "load/weight-blob", DIAG_ERROR, logical,
                 "the program references more than %d weight files; '%s' and the files after it were not read, so "
                 "their blobs were not checked",
                 IR_MAX_WEIGHT_FILES, canon);
        lm->wfiles_full_said = true;
        return NULL;
    }
    wfile *wf = arena_alloc(b->a, sizeof *wf);
    if (!wf) return NULL;
    wf->abs_path = abs;
    wf->pub.path = path_in_model(lm, abs);
    lm->wfiles[lm->n_wfiles++] = wf;
    /* inside the folder first: whether a link's target exists must not
     * show in the report */
    struct stat st;
    bool inside = fs_inside(lm->root_real, abs) == 0;
    if (inside && stat(abs, &st) != 0) {
        diag_add(&lm->diags, "load/missing-weight-file", DIAG_ERROR, wf->pub.path, -1, 0, 0, logical,
                 "weight file '%s' referenced by the program does not exist", wf->pub.path);
        return NULL;
    }
    if (inside && !S_ISREG(st.st_mode)) errno = S_ISDIR(st.st_mode) ? EISDIR : FS_ENOTREG;
    if (!inside || !S_ISREG(st.st_mode)) {
        diag_add(&lm->diags, "load/missing-weight-file", DIAG_ERROR, wf->pub.path, -1, 0, 0, logical,
                 "weight file '%s' is not read: %s", wf->pub.path, fs_strerror(errno));
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

/* A fully known shape whose element count does not fit 64 bits: no blob
 * can hold it (cml_shape_elems gives 0 for it, as for an unknown shape). */
static bool shape_overflows(const cml_shape *s) {
    uint64_t n = 1;
    bool over = false;
    if (s->rank <= 0) return false;
    for (int32_t i = 0; i < s->rank; i++) {
        if (s->dims[i] < 0) return false;   /* unknown: nothing to check */
        if (s->dims[i] == 0) return false;  /* zero elements, whatever the rest */
        if (!over && __builtin_mul_overflow(n, (uint64_t)s->dims[i], &n)) over = true;
    }
    return over;
}

/* An inline tensor (an immediate value) whose stored values are not its
 * declared shape's element count: a load/weight-blob error, as for a blob of
 * the wrong size, so that no rule takes the shape and the values for a
 * match. SOURCE: apple/coremltools converters/mil/frontend/milproto/load.py
 * _load_value: an immediate is reshaped to its declared shape
 * (np.frombuffer(values).reshape(shape) for the types stored as bytes,
 * np.array(values).reshape(shape) for the others), which fails unless the
 * counts agree; sub-byte types are packed LSB first into ceil(n * bits / 8)
 * bytes (coremltools/optimize/_utils.py pack_elements_into_bits). An
 * unknown dimension or storage leaves nothing to check. */
static void check_inline_count(builder *b, const iweight *w, const cml_type *t, const char *logical,
                               const cml_loc *at) {
    if (t->kind != CML_TYPE_TENSOR || t->shape.rank < 0 || (t->shape.rank && !t->shape.dims)) return;
    uint64_t n = 1;
    bool over = false, zero = false;
    for (int32_t i = 0; i < t->shape.rank; i++) {
        if (t->shape.dims[i] < 0) return;
        if (t->shape.dims[i] == 0) zero = true;
        else if (!over && __builtin_mul_overflow(n, (uint64_t)t->shape.dims[i], &n)) over = true;
    }
    if (zero) n = 0, over = false;   /* zero elements, whatever the rest */
    uint64_t have, unit = 0;   /* whole values stored; bytes per value (0: strings, sub-byte) */
    unsigned bits = 0;
    switch (w->stored_as) {
    case ISTORE_F32: case ISTORE_I32: unit = 4; break;
    case ISTORE_I64: case ISTORE_F64: unit = 8; break;
    case ISTORE_BOOL: unit = sizeof(protobuf_c_boolean); break;
    case ISTORE_STR: break;
    case ISTORE_RAW:
        bits = cml_dtype_bits(w->pub.dtype);
        if (!bits || (bits > 8 && bits % 8)) return;
        if (bits >= 8) unit = bits / 8;
        break;
    }
    bool ok;
    if (w->stored_as == ISTORE_STR) {
        have = w->pub.nbytes;
        ok = !over && have == n;
    } else if (unit) {
        have = w->pub.nbytes / unit;
        ok = !over && w->pub.nbytes % unit == 0 && have == n;
    } else {
        uint64_t nbits;
        have = w->pub.nbytes * 8 / bits;   /* nbytes < 2^61: an arena allocation */
        ok = !over && !__builtin_mul_overflow(n, (uint64_t)bits, &nbits) &&
             w->pub.nbytes == nbits / 8 + (nbits % 8 != 0);
    }
    if (ok) return;
    const char *what = w->stored_as == ISTORE_STR ? (have == 1 ? "string" : "strings")
                                                  : (have == 1 ? "value" : "values");
    if (over)
        diag_add(&b->lm->diags, "load/weight-blob", DIAG_ERROR, b->artifact, -1, at->line, at->column, logical,
                 "'%s' has a shape whose element count does not fit 64 bits, but the program stores %" PRIu64
                 " %s inline",
                 logical ? logical : "?", have, what);
    else
        diag_add(&b->lm->diags, "load/weight-blob", DIAG_ERROR, b->artifact, -1, at->line, at->column, logical,
                 "'%s' has %" PRIu64 " elements but the program stores %" PRIu64 " %s inline",
                 logical ? logical : "?", n, have, what);
}

/* A list literal of scalars, as coremltools writes `classify`'s classes:
 * strings become the weight's strings, int64 its values; any other list
 * (mixed, nested, other element types) keeps no stored values.
 * SOURCE: coremltools converters/mil/backend/mil/helper.py
 * create_list_scalarvalue (one immediate rank-0 tensor per element) and
 * load.py _add_classify_op (`classes` a list of strings or np.int64). */
static void list_literal(builder *b, iweight *w, const Cmlpb__Mil__ListValue *lv) {
    size_t n = lv->n_values, n_str = 0, n_int = 0;
    for (size_t i = 0; i < n; i++) {
        const Cmlpb__Mil__Value *e = lv->values[i];
        const Cmlpb__Mil__TensorValue *tv = e && e->value_case == 3 && e->immediatevalue &&
                                                    e->immediatevalue->value_case == 1
                                                ? e->immediatevalue->tensor
                                                : NULL;
        if (!tv) return;
        if (tv->value_case == 4 && tv->strings && tv->strings->n_values == 1) n_str++;
        else if (tv->value_case == 5 && tv->longints && tv->longints->n_values == 1) n_int++;
        else return;
    }
    if (!n || (n_str != n && n_int != n)) return;
    if (n_str == n) {
        const char **sv = arena_alloc(b->a, n * sizeof *sv);
        if (!sv) return;
        for (size_t i = 0; i < n; i++) sv[i] = lv->values[i]->immediatevalue->tensor->strings->values[0];
        w->strings = sv;
        w->pub.nbytes = n;
        w->stored_as = ISTORE_STR;
    } else {
        int64_t *iv = arena_alloc(b->a, n * sizeof *iv);
        if (!iv) return;
        for (size_t i = 0; i < n; i++) iv[i] = lv->values[i]->immediatevalue->tensor->longints->values[0];
        w->inline_data = (const unsigned char *)iv;
        w->pub.nbytes = n * sizeof *iv;
        w->stored_as = ISTORE_I64;
    }
}

/* A constant from a MIL Value (immediate or blob); at: where the value is
 * written (its op), for the problems of an inline one. */
static iweight *weight_from_value(builder *b, const Cmlpb__Mil__Value *v, const cml_type *t,
                                  const char *logical, const cml_loc *at) {
    iweight *w = arena_alloc(b->a, sizeof *w);
    if (!w) return NULL;
    w->pub.dtype = t->dtype;
    w->pub.shape = t->shape.rank >= 0 ? t->shape : (cml_shape){0, NULL};
    w->pub.n_elements = cml_shape_elems(&w->pub.shape);
    irb_set_loc(b, &w->pub.loc, logical, NULL);
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
        else if (shape_overflows(&w->pub.shape))
            diag_add(&b->lm->diags, "load/weight-blob", DIAG_ERROR, wf->pub.path, (int64_t)bm->meta_offset,
                     0, 0, logical,
                     "'%s' has a shape whose element count does not fit 64 bits, but its blob at offset %" PRIu64
                     " holds %" PRIu64 " elements",
                     logical ? logical : "?", bm->meta_offset, bm->n_elements);
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
        if (iv->value_case == 3 && iv->list) {
            list_literal(b, w, iv->list);
            return w;
        }
        if (iv->value_case != 1 || !iv->tensor) return w;
        const Cmlpb__Mil__TensorValue *tv = iv->tensor;
        bool stored = true;
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
        default: stored = false; break;
        }
        if (stored) check_inline_count(b, w, t, logical, at);
    }
    return w;
}

/* A literal (immediate or blob) bound to an argument or attribute. */
static cml_value *literal_value(builder *b, const Cmlpb__Mil__Value *pv, const char *logical,
                                const char *name, const cml_loc *at) {
    cml_type t;
    build_type(b, pv->type, &t, 0);
    cml_value *v = irb_new_value(b, name, &t);
    if (!v) return NULL;
    iweight *w = weight_from_value(b, pv, &t, logical, at);
    if (w) {
        v->weight = &w->pub;
        irb_vec_push(b->a, &b->weights, w);
    }
    v->loc = w ? w->pub.loc : (cml_loc){0};
    return v;
}

/* Scalar attribute from an immediate value (name, val for small consts...). */
static void attr_from_value(builder *b, cml_attr *at, const Cmlpb__Mil__Value *pv,
                            const char *logical, const cml_loc *where) {
    at->kind = CML_ATTR_VALUE;
    at->value = literal_value(b, pv, logical, at->name, where);
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

static cml_block *build_block(fctx *fc, const Cmlpb__Mil__Block *pb, const cml_op *parent,
                              int depth);


static cml_op *build_mil_op(fctx *fc, const Cmlpb__Mil__Operation *po, const cml_block *blk,
                            size_t index, int depth) {
    builder *b = fc->b;
    cml_op *op = arena_alloc(b->a, sizeof *op);
    if (!op) return NULL;
    op->kind = irb_str(b, po->type);
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
    op->name = irb_str(b, name ? name : "");
    char *logical = arena_printf(b->a, "%s%s%s/%s", b->logical ? b->logical : "",
                                 b->logical ? "/" : "", fc->fn->name, op->name);
    irb_set_loc(b, &op->loc, logical, po);
    irb_vec_push(b->a, &b->all_ops, op);
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
            ar->name = irb_str(b, e->key);
            const Cmlpb__Mil__Argument *pa = e->value;
            const cml_value **vals = pa->n_arguments ? arena_calloc(b->a, pa->n_arguments, sizeof *vals) : NULL;
            size_t nv = 0;
            for (size_t j = 0; vals && j < pa->n_arguments; j++) {
                const Cmlpb__Mil__Argument__Binding *bd = pa->arguments[j];
                if (!bd) continue;
                /* SOURCE: MIL.proto Argument.Binding oneof: name = 1, value = 2 */
                if (bd->binding_case == 1) {
                    cml_value *v = irb_scope_get(&fc->sc, bd->name);
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
                                                 arena_printf(b->a, "%s:%s", logical, ar->name), ar->name, &op->loc);
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
            at->name = irb_str(b, e->key);
            attr_from_value(b, at, e->value, arena_printf(b->a, "%s:%s", logical, at->name), &op->loc);
            attrs[k++] = at;
        }
        if (attrs) qsort(attrs, k, sizeof *attrs, irb_attr_cmp);
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
            cml_value *v = irb_new_value(b, nt->name, &t);
            if (!v) break;
            v->producer = op;
            v->loc = op->loc;
            irb_scope_put(b->a, &fc->sc, v->name, v);
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
            cml_value *v = irb_new_value(b, pb->inputs[i]->name, &t);
            if (!v) break;
            /* named in its function as a function input is ("main/x_1"):
             * a finding on a loop-carried value had no place at all */
            irb_set_loc(b, &v->loc, arena_printf(b->a, "%s/%s", fc->fn->loc.logical, v->name), pb->inputs[i]);
            irb_scope_put(b->a, &fc->sc, v->name, v);
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
            cml_value *v = irb_scope_get(&fc->sc, pb->outputs[i]);
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

void irb_build_program(builder *b, const Cmlpb__Mil__Program *pp) {
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
        fn->name = irb_str(b, e->key);
        fn->opset = irb_str(b, pf->opset);
        fn->model = m;
        irb_set_loc(b, &fn->loc, irb_logical(b, fn->name), pf);
        if (pf->n_inputs) {
            const cml_value **ins = arena_calloc(b->a, pf->n_inputs, sizeof *ins);
            size_t ki = 0;
            for (size_t j = 0; ins && j < pf->n_inputs; j++) {
                const Cmlpb__Mil__NamedValueType *nt = pf->inputs[j];
                if (!nt) continue;
                cml_type t;
                build_type(b, nt->type, &t, 0);
                cml_value *v = irb_new_value(b, nt->name, &t);
                if (!v) break;
                v->is_function_input = true;
                v->is_state = t.kind == CML_TYPE_STATE;
                irb_set_loc(b, &v->loc, arena_printf(b->a, "%s/%s", fn->loc.logical, v->name), nt);
                irb_scope_put(b->a, &fc.sc, v->name, v);
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

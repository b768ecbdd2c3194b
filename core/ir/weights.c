/* SPDX-License-Identifier: Apache-2.0 */
/* ir_weights.c — element access to constants, whatever their storage.
 *
 * Constants live as raw little-endian bytes (weight.bin blobs, protobuf
 * `bytes` fields: fp16, int8, sub-byte packed) or as protobuf repeated
 * scalars (float, int32, int64, double, bool). Passes and rules that need a
 * few values (a LUT size, a zero point, a shape tensor, a mask popcount)
 * read them here, element by element, through bounded reads: nothing is
 * copied to build the IR. */
#include <math.h>
#include <string.h>

#include "ir/weights.h"
#include "ir/model.h"

/* Bytes per element of the stored representation, 0 for sub-byte. */
static unsigned stored_elem_size(const iweight *w) {
    switch (w->stored_as) {
    case ISTORE_F32: case ISTORE_I32: return 4;
    case ISTORE_I64: case ISTORE_F64: return 8;
    case ISTORE_BOOL: return sizeof(protobuf_c_boolean);
    case ISTORE_STR: return 0;
    case ISTORE_RAW: {
        unsigned bits = cml_dtype_bits(w->pub.dtype);
        return bits >= 8 ? bits / 8 : 0;
    }
    }
    return 0;
}

cml_dtype ir_weight_stored_as(const cml_weight *w, const char *const **strings) {
    const iweight *iw = (const iweight *)w;
    if (strings) *strings = NULL;
    if (!w) return CML_DT_UNKNOWN;
    switch (iw->stored_as) {
    case ISTORE_RAW: return w->dtype;
    case ISTORE_F32: return CML_DT_FP32;
    case ISTORE_I32: return CML_DT_INT32;
    case ISTORE_I64: return CML_DT_INT64;
    case ISTORE_F64: return CML_DT_FP64;
    case ISTORE_BOOL:
        /* protobuf-c stores repeated bool as protobuf_c_boolean (an int) */
        return sizeof(protobuf_c_boolean) == 4 ? CML_DT_INT32 : CML_DT_UNKNOWN;
    case ISTORE_STR:
        if (strings) *strings = iw->strings;
        return CML_DT_STRING;
    }
    return CML_DT_UNKNOWN;
}

uint64_t ir_weight_count(const cml_weight *w) {
    const iweight *iw = (const iweight *)w;
    if (!w) return 0;
    if (iw->stored_as == ISTORE_STR) return w->nbytes;
    unsigned es = stored_elem_size(iw);
    if (es) return w->nbytes / es;
    unsigned bits = cml_dtype_bits(w->dtype);
    if (!bits) return 0;
    if (iw->meta) return iw->meta->n_elements;
    uint64_t n = w->nbytes * 8 / bits;
    if (w->n_elements && w->n_elements < n) n = w->n_elements;
    return n;
}

int ir_weight_f64(const cml_weight *w, uint64_t i, double *out) {
    const iweight *iw = (const iweight *)w;
    if (!w || i >= ir_weight_count(w)) return -1;
    unsigned char buf[8];
    unsigned es = stored_elem_size(iw);
    if (iw->stored_as == ISTORE_STR) return -1;
    if (!es) {
        /* sub-byte: read the one or two bytes that hold element i */
        unsigned bits = cml_dtype_bits(w->dtype);
        uint64_t bit = i * bits;
        unsigned char two[2] = {0, 0};
        size_t got = ir_weight_read(w, bit / 8, two, 2);
        if (!got) return -1;
        /* LSB-first packing: element i starts at bit i*bits and may
         * straddle into the next byte (3- and 6-bit types).
         * SOURCE: coremltools mlmodel/src/MILBlob/SubByteTypes.cpp */
        uint32_t word = (uint32_t)two[0] | ((uint32_t)(got > 1 ? two[1] : 0) << 8);
        int32_t v = (int32_t)((word >> (bit % 8)) & ((1u << bits) - 1u));
        if (w->dtype == CML_DT_INT4 && v >= 8) v -= 16;
        *out = v;
        return 0;
    }
    if (ir_weight_read(w, i * es, buf, es) != es) return -1;
    switch (iw->stored_as) {
    case ISTORE_F32: { float f; memcpy(&f, buf, 4); *out = f; return 0; }
    case ISTORE_F64: memcpy(out, buf, 8); return 0;
    case ISTORE_I32: { int32_t x; memcpy(&x, buf, 4); *out = x; return 0; }
    case ISTORE_I64: { int64_t x; memcpy(&x, buf, 8); *out = (double)x; return 0; }
    case ISTORE_BOOL: { protobuf_c_boolean x; memcpy(&x, buf, sizeof x); *out = x != 0; return 0; }
    default: break;
    }
    switch (w->dtype) {
    case CML_DT_FP16: *out = cml_half_to_float((uint16_t)(buf[0] | buf[1] << 8)); return 0;
    case CML_DT_BF16: {
        uint32_t u = (uint32_t)(buf[0] | buf[1] << 8) << 16;
        float f; memcpy(&f, &u, 4); *out = f; return 0;
    }
    case CML_DT_FP32: { float f; memcpy(&f, buf, 4); *out = f; return 0; }
    case CML_DT_FP64: memcpy(out, buf, 8); return 0;
    case CML_DT_INT8: *out = (int8_t)buf[0]; return 0;
    case CML_DT_UINT8: case CML_DT_BOOL: *out = buf[0]; return 0;
    case CML_DT_FP8E4M3FN: case CML_DT_FP8E5M2: *out = NAN; return -1;
    case CML_DT_INT16: { int16_t x; memcpy(&x, buf, 2); *out = x; return 0; }
    case CML_DT_UINT16: { uint16_t x; memcpy(&x, buf, 2); *out = x; return 0; }
    case CML_DT_INT32: { int32_t x; memcpy(&x, buf, 4); *out = x; return 0; }
    case CML_DT_UINT32: { uint32_t x; memcpy(&x, buf, 4); *out = x; return 0; }
    case CML_DT_INT64: { int64_t x; memcpy(&x, buf, 8); *out = (double)x; return 0; }
    case CML_DT_UINT64: { uint64_t x; memcpy(&x, buf, 8); *out = (double)x; return 0; }
    default: return -1;
    }
}

int ir_weight_i64(const cml_weight *w, uint64_t i, int64_t *out) {
    double d;
    if (ir_weight_f64(w, i, &d) != 0 || d != d) return -1;
    *out = (int64_t)d;
    return 0;
}

uint64_t ir_weight_popcount(const cml_weight *w, uint64_t max_bits) {
    unsigned char buf[4096];
    uint64_t total = 0, off = 0, bits_left = max_bits;
    while (bits_left) {
        size_t want = sizeof buf;
        uint64_t bytes_left = (bits_left + 7) / 8;
        if (want > bytes_left) want = (size_t)bytes_left;
        size_t got = ir_weight_read(w, off, buf, want);
        if (!got) break;
        for (size_t k = 0; k < got && bits_left; k++) {
            unsigned char byte = buf[k];
            if (bits_left < 8) byte &= (unsigned char)((1u << bits_left) - 1u);
            total += (uint64_t)__builtin_popcount(byte);
            bits_left = bits_left >= 8 ? bits_left - 8 : 0;
        }
        off += got;
    }
    return total;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* pbwire.c — protobuf wire-format walker for error locations (see pbwire.h).
 * SOURCE: protobuf encoding spec (developers.google.com/protocol-buffers/docs/encoding):
 * tag = field << 3 | wire type; wire types 0 varint, 1 i64, 2 len, 5 i32;
 * 3/4 (groups) are not used by proto3 and are errors here. */
#include "format/pbwire.h"

#include <stdio.h>
#include <string.h>

#include "format/nesting.h"

#define PBWIRE_MAX_DEPTH CML_MAX_NESTING

typedef struct walker {
    const uint8_t *base;
    pbwire_error *err;
} walker;

static int fail(walker *w, const uint8_t *at, const char *path, const char *msg) {
    w->err->offset = (uint64_t)(at - w->base);
    snprintf(w->err->message, sizeof w->err->message, "%s", msg);
    snprintf(w->err->path, sizeof w->err->path, "%s", path && *path ? path : "Model");
    return -1;
}

static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end) return -1;
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *out = v; return 0; }
    }
    return -1;
}

static int walk(walker *w, const ProtobufCMessageDescriptor *d, const uint8_t *p, const uint8_t *end,
                const char *path, int depth) {
    if (depth > PBWIRE_MAX_DEPTH) return fail(w, p, path, "messages nested too deeply");
    while (p < end) {
        const uint8_t *start = p;
        uint64_t tag;
        if (read_varint(&p, end, &tag) != 0) return fail(w, start, path, "truncated or overlong field tag");
        uint32_t field = (uint32_t)(tag >> 3);
        unsigned wt = (unsigned)(tag & 7);
        if (field == 0 || (tag >> 3) > 0x1fffffff) return fail(w, start, path, "invalid field number 0");
        const ProtobufCFieldDescriptor *fd = d ? protobuf_c_message_descriptor_get_field(d, field) : NULL;
        char sub[256];
        if (fd) snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", fd->name);
        else snprintf(sub, sizeof sub, "%s%sfield %u", path, *path ? "." : "", field);
        uint64_t v;
        switch (wt) {
        case 0:
            if (read_varint(&p, end, &v) != 0) return fail(w, start, sub, "truncated varint");
            break;
        case 1:
            if (end - p < 8) return fail(w, start, sub, "truncated 64-bit value");
            p += 8;
            break;
        case 5:
            if (end - p < 4) return fail(w, start, sub, "truncated 32-bit value");
            p += 4;
            break;
        case 2: {
            if (read_varint(&p, end, &v) != 0) return fail(w, start, sub, "truncated length");
            if (v > (uint64_t)(end - p)) {
                char m[160];
                snprintf(m, sizeof m, "length %llu runs past the end of its enclosing data (%lld bytes left)",
                         (unsigned long long)v, (long long)(end - p));
                return fail(w, start, sub, m);
            }
            if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->descriptor) {
                if (walk(w, fd->descriptor, p, p + v, sub, depth + 1) != 0) return -1;
            }
            p += v;
            break;
        }
        default: {
            char m[64];
            snprintf(m, sizeof m, "invalid wire type %u", wt);
            return fail(w, start, sub, m);
        }
        }
        if (fd) {
            /* wire type must fit the declared type (packed repeated scalars use 2) */
            int ok = 1;
            switch (fd->type) {
            case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_BYTES: case PROTOBUF_C_TYPE_MESSAGE:
                ok = wt == 2; break;
            case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_SFIXED32:
                ok = wt == 5 || (wt == 2 && fd->label == PROTOBUF_C_LABEL_REPEATED); break;
            case PROTOBUF_C_TYPE_DOUBLE: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64:
                ok = wt == 1 || (wt == 2 && fd->label == PROTOBUF_C_LABEL_REPEATED); break;
            default:
                ok = wt == 0 || (wt == 2 && fd->label == PROTOBUF_C_LABEL_REPEATED); break;
            }
            if (!ok) {
                char m[96];
                snprintf(m, sizeof m, "field %u has wire type %u, which does not fit its declared type", field, wt);
                return fail(w, start, sub, m);
            }
            if (fd->type == PROTOBUF_C_TYPE_STRING && wt == 2) {
                /* proto3 strings must be UTF-8; protobuf-c checks this */
                const uint8_t *s = p - v;
                for (uint64_t i = 0; i < v; i++)
                    if (s[i] == 0) break; /* embedded NULs are tolerated */
            }
        }
    }
    return 0;
}

int pbwire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len, pbwire_error *err) {
    walker w = {data, err};
    memset(err, 0, sizeof *err);
    return walk(&w, desc, data, data + len, "", 0);
}

/* ---- the nesting bound (pbwire_depth_check) --------------------------------- */

typedef struct dwalk {
    const uint8_t *base;
    unsigned max;
    pbwire_error *err;
    /* the field names from the root down to the message being walked: the
     * error's path is written from them only when the bound is crossed (a
     * path built per nested message cost more than the walk itself) */
    const char *names[CML_MAX_NESTING + 1];
} dwalk;

static void depth_fail(dwalk *w, const uint8_t *at, unsigned depth) {
    w->err->offset = (uint64_t)(at - w->base);
    snprintf(w->err->message, sizeof w->err->message, "messages nest deeper than %u levels (protobuf's own limit)",
             w->max);
    size_t n = 0, cap = sizeof w->err->path;
    for (unsigned i = 0; i <= depth && n + 1 < cap; i++) {
        int k = snprintf(w->err->path + n, cap - n, "%s%s", i ? "." : "", w->names[i]);
        if (k < 0) break;
        n += (size_t)k;
    }
    if (n >= cap) n = cap - 1;
    w->err->path[n] = 0;
}

/* 1: within the bound (or not parseable: protobuf-c refuses it), -1: too deep.
 * depth: the messages entered so far (names[0 .. depth - 1] name them). */
static int depth_walk(dwalk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p, const uint8_t *end,
                      unsigned depth) {
    while (p < end) {
        const uint8_t *start = p;
        uint64_t tag, v;
        if (read_varint(&p, end, &tag) != 0) return 1;
        /* field number 0 is no field: protobuf-c refuses the data there, so
         * walking on (a sparse file of zeros, gigabytes of them) is waste */
        if ((tag >> 3) == 0) return 1;
        unsigned wt = (unsigned)(tag & 7);
        switch (wt) {
        case 0:
            if (read_varint(&p, end, &v) != 0) return 1;
            break;
        case 1:
            if (end - p < 8) return 1;
            p += 8;
            break;
        case 5:
            if (end - p < 4) return 1;
            p += 4;
            break;
        case 2: {
            if (read_varint(&p, end, &v) != 0 || v > (uint64_t)(end - p)) return 1;
            uint32_t field = (uint32_t)(tag >> 3);
            const ProtobufCFieldDescriptor *fd =
                d && field ? protobuf_c_message_descriptor_get_field(d, field) : NULL;
            if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->descriptor) {
                w->names[depth] = fd->name;
                if (depth + 1 > w->max) {
                    depth_fail(w, start, depth);
                    return -1;
                }
                if (depth_walk(w, fd->descriptor, p, p + v, depth + 1) < 0) return -1;
            }
            p += v;
            break;
        }
        default: return 1;   /* groups and bad wire types: protobuf-c refuses them */
        }
    }
    return 1;
}

int pbwire_depth_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                       unsigned max_depth, pbwire_error *err) {
    dwalk w;
    w.base = data;
    w.max = max_depth < CML_MAX_NESTING ? max_depth : CML_MAX_NESTING;   /* names[] holds that many */
    w.err = err;
    memset(err, 0, sizeof *err);
    return depth_walk(&w, desc, data, data + len, 0) < 0 ? -1 : 0;
}

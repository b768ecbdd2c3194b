/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pb_unknown_check -- completeness check for the schema in proto/
 *
 * Usage: pb_unknown_check FILE...
 *
 * Each FILE is a serialized Core ML `Model` protobuf (a .mlmodel file, or the
 * Data/com.apple.CoreML/model.mlmodel inside an .mlpackage).  The file is
 * decoded with cmlpb__model__unpack() and every sub-message reachable from
 * the root is visited through protobuf-c's reflection descriptors:
 *
 *   - singular message fields are followed when the pointer is non-NULL;
 *   - oneof members are followed only when the oneof's case value (found at
 *     the field's quantifier_offset) equals the member's field number;
 *   - repeated message fields (including map<> fields, which protobuf-c
 *     represents as repeated *Entry messages) are followed element by element.
 *
 * Any message whose n_unknown_fields is non-zero means the wire data holds a
 * field number that our schema does not describe.  For each such message the
 * tool prints the path from the root, the message's full type name and the
 * field numbers (with wire types) of the unknown fields.
 *
 * Exit status: 0 every file decoded and no unknown fields anywhere;
 *              1 at least one unknown field was found;
 *              2 usage error, unreadable file, or a file failed to decode.
 *
 * Build (outside the main build), from the repository root, with GEN an
 * empty scratch directory:
 *   protoc-c --proto_path=proto --c_out=GEN proto/[A-Z]*.proto
 *   cc -std=c11 -Wall -Wextra -IGEN tests/proto_check/pb_unknown_check.c \
 *      GEN/[A-Z]*.pb-c.c $(pkg-config --cflags --libs libprotobuf-c)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "Model.pb-c.h"

#define PATH_MAX_LEN 4096

struct walk_state {
    const char *file;
    char path[PATH_MAX_LEN];
    size_t messages;       /* messages visited */
    size_t bad_messages;   /* messages carrying unknown fields */
    size_t unknown_fields; /* total unknown fields */
};

static const char *wire_type_name(ProtobufCWireType wt)
{
    switch (wt) {
    case PROTOBUF_C_WIRE_TYPE_VARINT:           return "varint";
    case PROTOBUF_C_WIRE_TYPE_64BIT:            return "64bit";
    case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:  return "len";
    case PROTOBUF_C_WIRE_TYPE_32BIT:            return "32bit";
    default:                                    return "?";
    }
}

/* Append ".name" or ".name[idx]" to the path; returns the previous length so
 * the caller can truncate back to it. */
static size_t path_push(struct walk_state *st, const char *name, long idx)
{
    size_t old = strlen(st->path);
    size_t room = sizeof st->path - old;
    int n;

    if (idx >= 0)
        n = snprintf(st->path + old, room, ".%s[%ld]", name, idx);
    else
        n = snprintf(st->path + old, room, ".%s", name);
    if (n < 0 || (size_t)n >= room)
        st->path[sizeof st->path - 1] = '\0'; /* truncated; keep walking */
    return old;
}

static void path_pop(struct walk_state *st, size_t old)
{
    st->path[old] = '\0';
}

static void walk(struct walk_state *st, const ProtobufCMessage *msg);

static void walk_field(struct walk_state *st, const ProtobufCMessage *msg,
                       const ProtobufCFieldDescriptor *fd)
{
    const char *base = (const char *)msg;

    if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
        return;

    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t count = *(const size_t *)(const void *)(base + fd->quantifier_offset);
        ProtobufCMessage *const *items =
            *(ProtobufCMessage *const *const *)(const void *)(base + fd->offset);
        for (size_t i = 0; i < count; i++) {
            if (items == NULL || items[i] == NULL)
                continue;
            size_t old = path_push(st, fd->name, (long)i);
            walk(st, items[i]);
            path_pop(st, old);
        }
        return;
    }

    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which = *(const uint32_t *)(const void *)(base + fd->quantifier_offset);
        if (which != fd->id)
            return; /* another member of the oneof (or none) is set */
    }

    const ProtobufCMessage *sub =
        *(const ProtobufCMessage *const *)(const void *)(base + fd->offset);
    if (sub == NULL)
        return;
    size_t old = path_push(st, fd->name, -1);
    walk(st, sub);
    path_pop(st, old);
}

static void walk(struct walk_state *st, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;

    st->messages++;
    if (msg->n_unknown_fields > 0) {
        st->bad_messages++;
        st->unknown_fields += msg->n_unknown_fields;
        printf("%s: %s (%s): %u unknown field(s):", st->file, st->path,
               desc->name, msg->n_unknown_fields);
        for (unsigned i = 0; i < msg->n_unknown_fields; i++) {
            const ProtobufCMessageUnknownField *uf = &msg->unknown_fields[i];
            printf(" #%u/%s", uf->tag, wire_type_name(uf->wire_type));
        }
        putchar('\n');
    }

    for (unsigned i = 0; i < desc->n_fields; i++)
        walk_field(st, msg, &desc->fields[i]);
}

/* Read a whole file; returns NULL on error (errno describes it). */
static uint8_t *read_file(const char *name, size_t *len_out)
{
    FILE *f = fopen(name, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nbuf = realloc(buf, ncap);
            if (nbuf == NULL) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                fclose(f);
                errno = e ? e : EIO;
                return NULL;
            }
            break;
        }
    }
    fclose(f);
    *len_out = len;
    return buf;
}

int main(int argc, char **argv)
{
    int status = 0;
    size_t clean = 0, dirty = 0, failed = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argc > 0 ? argv[0] : "pb_unknown_check");
        return 2;
    }

    for (int a = 1; a < argc; a++) {
        size_t len = 0;
        uint8_t *buf = read_file(argv[a], &len);
        if (buf == NULL) {
            fprintf(stderr, "%s: cannot read: %s\n", argv[a], strerror(errno));
            failed++;
            status = 2;
            continue;
        }

        Cmlpb__Model *model = cmlpb__model__unpack(NULL, len, buf);
        if (model == NULL) {
            fprintf(stderr, "%s: cmlpb__model__unpack failed (%zu bytes)\n", argv[a], len);
            free(buf);
            failed++;
            status = 2;
            continue;
        }

        struct walk_state st;
        memset(&st, 0, sizeof st);
        st.file = argv[a];
        snprintf(st.path, sizeof st.path, "Model");
        walk(&st, &model->base);

        if (st.unknown_fields > 0) {
            printf("%s: FAIL spec=%d messages=%zu unknown_fields=%zu in %zu message(s)\n",
                   argv[a], (int)model->specificationversion, st.messages,
                   st.unknown_fields, st.bad_messages);
            dirty++;
            if (status == 0)
                status = 1;
        } else {
            printf("%s: OK spec=%d messages=%zu\n", argv[a],
                   (int)model->specificationversion, st.messages);
            clean++;
        }

        cmlpb__model__free_unpacked(model, NULL);
        free(buf);
    }

    printf("summary: %zu file(s), %zu clean, %zu with unknown fields, %zu failed\n",
           clean + dirty + failed, clean, dirty, failed);
    return status;
}

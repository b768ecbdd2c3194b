/* SPDX-License-Identifier: Apache-2.0 */
/* pbwire.h — find where a protobuf encoding goes wrong.
 *
 * protobuf-c says only "could not unpack". When a model does not decode,
 * this walks the bytes against our schema's descriptors (descending into
 * every known message field) and reports the first byte offset where the
 * encoding breaks, with the field path that was being read, so a corrupt
 * model gets a finding that points somewhere. Depth is bounded. Internal. */
#ifndef CML_PBWIRE_H
#define CML_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

typedef struct pbwire_error {
    uint64_t offset;
    char message[160];
    char path[256];
} pbwire_error;

/* 0 when the bytes are a well-formed encoding of desc; -1 with *err filled. */
int pbwire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                 pbwire_error *err);

/* Before protobuf-c decodes (it recurses once per message level, without a
 * limit): 0 when no message field the schema knows nests deeper than
 * max_depth levels below the top message; -1 with *err (the offset of the
 * field that goes deeper, the field path, a message naming the depth)
 * otherwise. Only what protobuf-c would descend into is followed (known
 * message fields, wire type 2); bytes that do not parse end the walk with
 * 0, since protobuf-c refuses them before it descends past them. No
 * recursion deeper than max_depth, linear in len. */
int pbwire_depth_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                       unsigned max_depth, pbwire_error *err);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* nesting.h — one bound on how deep any input may nest, checked before a
 * recursive parser sees it: protobuf messages (pbwire_depth_check, before
 * protobuf-c, whose decoder recurses once per level and has no limit),
 * model.mil blocks, types and brackets (miltext.c), and JSON (configuration,
 * Manifest.json, metadata.json, baselines, properties: json_nesting below,
 * before cJSON). A model or file that nests deeper is reported, never
 * decoded: 10,000 nested pipelines fit in 106 KB and overflowed the stack.
 * Internal to core/. */
#ifndef CML_NESTING_H
#define CML_NESTING_H

#include <stddef.h>

/* SOURCE: protocolbuffers/protobuf src/google/protobuf/io/coded_stream.cc
 * (CodedInputStream::default_recursion_limit_ = 100): the limit of
 * protobuf's own parsers, so a model Core ML can read is never refused. */
#define CML_MAX_NESTING 100

/* One pass over JSON text (strings skipped, escapes honoured; the text
 * need not be valid JSON). Returns 0 when it nests arrays and objects at
 * most max levels deep; otherwise max + 1, with *at (when non-NULL) the
 * byte offset of the bracket that went deeper. *values (when non-NULL)
 * gets an upper bound on the values cJSON would allocate a node for: one,
 * plus one per '[', '{', ',' and ':' outside strings. cJSON's tree takes
 * about 100 bytes a node outside any arena: 255 MiB of "0," once took
 * 10 GB as a baseline, and 32 MiB as a model.espresso.net 2 GB. */
unsigned json_scan(const char *text, size_t len, unsigned max, size_t *at, size_t *values);

static inline unsigned json_nesting(const char *text, size_t len, unsigned max, size_t *at) {
    return json_scan(text, len, max, at, NULL);
}

/* The loader's JSON files (Manifest.json, metadata.json,
 * model.espresso.net) are refused past CML_JSON_MAX_VALUES: a compiled
 * network of 10,000 layers of 30 fields is 600,000 by that bound. */
#define CML_JSON_MAX_VALUES ((size_t)2000000)

#endif

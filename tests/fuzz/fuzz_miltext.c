/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_miltext.c — libFuzzer target for core/format/miltext.c.
 *
 * Feeds the input to miltext_parse as model.mil text (not NUL-terminated, in
 * a bounded arena). A failed parse must leave exactly one load/mil-structure
 * diag and no positions. A successful one must have a position for every op,
 * and must survive the printer: milprint_program (tests/fixtures/milprint.c)
 * writes it as text, which must parse again into the same structure
 * (functions compared by name, everything else by its protobuf encoding).
 * Any violation aborts; ASan/UBSan catch memory errors. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milprint.h"
#include "format/mlmodelc.h"

static int same_msg(const ProtobufCMessage *a, const ProtobufCMessage *b) {
    size_t na = protobuf_c_message_get_packed_size(a), nb = protobuf_c_message_get_packed_size(b);
    if (na != nb) return 0;
    unsigned char *pa = malloc(na + 1), *pb = malloc(nb + 1);
    if (!pa || !pb) abort();
    protobuf_c_message_pack(a, pa);
    protobuf_c_message_pack(b, pb);
    int eq = memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return eq;
}

static void check_positions(const mil_postab *pos, const Cmlpb__Mil__Block *b) {
    for (size_t i = 0; i < b->n_operations; i++) {
        if (miltext_pos(pos, b->operations[i]).line == 0) abort();
        for (size_t j = 0; j < b->operations[i]->n_blocks; j++) check_positions(pos, b->operations[i]->blocks[j]);
    }
}

static void check_roundtrip(const Cmlpb__Mil__Program *p) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) abort();
    int rc = milprint_program(f, p, NULL);
    fclose(f);
    if (rc != 0) abort();
    arena *a = arena_new(256u << 20);
    diag_list dl;
    memset(&dl, 0, sizeof dl);
    dl.a = a;
    Cmlpb__Mil__Program *q = miltext_parse(buf, n, "model.mil", a, NULL, &dl);
    if (!q) {
        fprintf(stderr, "re-parse failed: %s\n%s\n", dl.n ? dl.items[0]->message : "?", buf);
        abort();
    }
    if (p->version != q->version || p->n_functions != q->n_functions || p->n_attributes != q->n_attributes)
        abort();
    for (size_t i = 0; i < p->n_attributes; i++)
        if (!same_msg(&p->attributes[i]->base, &q->attributes[i]->base)) abort();
    for (size_t i = 0; i < p->n_functions; i++) {
        const Cmlpb__Mil__Function *g = NULL;
        for (size_t j = 0; j < q->n_functions; j++)
            if (strcmp(q->functions[j]->key, p->functions[i]->key) == 0) g = q->functions[j]->value;
        if (!g || !same_msg(&p->functions[i]->value->base, &g->base)) {
            fprintf(stderr, "function %s differs after print/parse:\n%s\n", p->functions[i]->key, buf);
            abort();
        }
    }
    arena_free(a);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    arena *a = arena_new(64u << 20);
    if (!a) return 0;
    diag_list dl;
    mil_postab pos;
    memset(&dl, 0, sizeof dl);
    memset(&pos, 0, sizeof pos);
    dl.a = a;
    Cmlpb__Mil__Program *p = miltext_parse((const char *)data, size, "model.mil", a, &pos, &dl);
    if (!p) {
        if (dl.n > 1 || pos.n != 0) abort();
        if (dl.n == 1 && (strcmp(dl.items[0]->rule_id, "load/mil-structure") != 0 || dl.items[0]->level != 3))
            abort();
        if (dl.n == 0 && !arena_exhausted(a)) abort();
    } else {
        if (dl.n != 0) abort();
        for (size_t i = 0; i < p->n_functions; i++) {
            const Cmlpb__Mil__Function *fn = p->functions[i]->value;
            if (miltext_pos(&pos, fn).line == 0) abort();
            for (size_t j = 0; j < fn->n_block_specializations; j++)
                check_positions(&pos, fn->block_specializations[j]->value);
        }
        check_roundtrip(p);
    }
    arena_free(a);
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* diag.c — load problem list (see diag.h). */
#include "format/diag.h"

#include <stdio.h>

/* The problem into the next slot (the caller has checked there is one). */
static cml_diag *put(diag_list *dl, const char *rule_id, int level, const char *artifact, int64_t byte_offset,
                     uint32_t line, uint32_t col, const char *logical, const char *buf) {
    cml_diag *d = arena_alloc(dl->a, sizeof *d);
    if (!d) return NULL;
    d->rule_id = arena_strdup(dl->a, rule_id);
    d->level = level;
    d->message = arena_strdup(dl->a, buf);
    d->loc.artifact = arena_strdup(dl->a, artifact ? artifact : "");
    d->loc.logical = logical ? arena_strdup(dl->a, logical) : NULL;
    if (byte_offset >= 0) {
        d->loc.has_bytes = true;
        d->loc.byte_offset = (uint64_t)byte_offset;
    }
    d->loc.line = line;
    d->loc.column = col;
    if (!d->rule_id || !d->message || !d->loc.artifact) return NULL;
    dl->items[dl->n++] = d;
    return d;
}

cml_diag *diag_add(diag_list *dl, const char *rule_id, int level, const char *artifact,
                   int64_t byte_offset, uint32_t line, uint32_t col, const char *logical,
                   const char *fmt, ...) {
    if (!dl) return NULL;
    if (diag_full(dl)) {
        /* the last kept problem of the least severe level, when below this one */
        size_t low = dl->n;
        for (size_t i = dl->n; i-- > 0;)
            if (dl->items[i] != &dl->reserved && dl->items[i]->level < level &&
                (low == dl->n || dl->items[i]->level < dl->items[low]->level))
                low = i;
        const char *gone_rule = rule_id;
        int gone_level = level;
        if (low < dl->n) {   /* it is counted instead, and this one takes its slot */
            gone_rule = dl->items[low]->rule_id;
            gone_level = dl->items[low]->level;
        }
        dl->dropped++;
        if (gone_level >= DIAG_NOTE && gone_level <= DIAG_ERROR) dl->dropped_at[gone_level]++;
        if (!dl->dropped_rule || gone_level > dl->dropped_level) {
            dl->dropped_rule = gone_rule;
            dl->dropped_level = gone_level;
        }
        if (low == dl->n) return NULL;
        size_t keep = dl->n;
        dl->n = low;   /* put() fills slot `low`, then the count is restored */
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        cml_diag *d = put(dl, rule_id, level, artifact, byte_offset, line, col, logical, buf);
        dl->n = keep;   /* without memory the old problem stays (the spent arena is reported anyway) */
        return d;
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return put(dl, rule_id, level, artifact, byte_offset, line, col, logical, buf);
}

cml_diag *diag_finish(diag_list *dl, const char *artifact) {
    if (!dl || !dl->dropped || dl->n >= DIAG_MAX) return NULL;
    char buf[192];
    snprintf(buf, sizeof buf, "%zu further load problems were not listed (errors: %zu, warnings: %zu, notes: %zu)",
             dl->dropped, dl->dropped_at[DIAG_ERROR], dl->dropped_at[DIAG_WARNING], dl->dropped_at[DIAG_NOTE]);
    return put(dl, dl->dropped_rule ? dl->dropped_rule : "load/protobuf-corrupt",
               dl->dropped_level >= DIAG_NOTE ? dl->dropped_level : DIAG_NOTE, artifact, -1, 0, 0, NULL, buf);
}

void diag_add_reserved(diag_list *dl, const char *rule_id, int level, const char *fmt, ...) {
    if (!dl) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dl->reserved_msg, sizeof dl->reserved_msg, fmt, ap);
    va_end(ap);
    dl->reserved = (cml_diag){.rule_id = rule_id, .level = level, .message = dl->reserved_msg};
    dl->reserved.loc.artifact = "";
    if (dl->n < DIAG_MAX) dl->items[dl->n++] = &dl->reserved;
    else dl->items[DIAG_MAX - 1] = &dl->reserved;
}

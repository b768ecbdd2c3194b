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
        dl->dropped++;
        return NULL;
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return put(dl, rule_id, level, artifact, byte_offset, line, col, logical, buf);
}

cml_diag *diag_finish(diag_list *dl, const char *rule_id, int level, const char *artifact) {
    if (!dl || !dl->dropped || dl->n >= DIAG_MAX) return NULL;
    char buf[96];
    snprintf(buf, sizeof buf, "%zu further load problems were not listed", dl->dropped);
    return put(dl, rule_id, level, artifact, -1, 0, 0, NULL, buf);
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

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

/* A problem that finds the list full: counted as dropped, or, when it is
 * more severe than the least severe kept one (the last of that level), it
 * takes that one's slot and the other is counted. Returns the slot to fill,
 * or dl->n when it is dropped. The least severe level kept is cached, so a
 * flood of drops costs no scan each. */
static size_t full_slot(diag_list *dl, const char *rule_id, int level) {
    if (!dl->kept_min) {
        dl->kept_min = DIAG_ERROR + 1;
        for (size_t i = 0; i < dl->n; i++)
            if (dl->items[i] != &dl->reserved && dl->items[i]->level < dl->kept_min) dl->kept_min = dl->items[i]->level;
    }
    size_t low = dl->n;
    if (level > dl->kept_min)
        for (size_t i = dl->n; i-- > 0 && low == dl->n;)
            if (dl->items[i] != &dl->reserved && dl->items[i]->level == dl->kept_min) low = i;
    const char *gone_rule = low < dl->n ? dl->items[low]->rule_id : rule_id;
    int gone_level = low < dl->n ? dl->items[low]->level : level;
    dl->dropped++;
    if (gone_level >= DIAG_NOTE && gone_level <= DIAG_ERROR) dl->dropped_at[gone_level]++;
    if (!dl->dropped_rule || gone_level > dl->dropped_level) {
        dl->dropped_rule = gone_rule;
        dl->dropped_level = gone_level;
    }
    if (low < dl->n) dl->kept_min = 0;   /* a slot rises: found again on the next drop */
    return low;
}

cml_diag *diag_add(diag_list *dl, const char *rule_id, int level, const char *artifact,
                   int64_t byte_offset, uint32_t line, uint32_t col, const char *logical,
                   const char *fmt, ...) {
    if (!dl) return NULL;
    size_t keep = dl->n;
    if (diag_full(dl)) {
        size_t slot = full_slot(dl, rule_id, level);
        if (slot == dl->n) return NULL;
        dl->n = slot;   /* put() fills the slot, then the count is restored */
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cml_diag *d = put(dl, rule_id, level, artifact, byte_offset, line, col, logical, buf);
    if (dl->n <= keep) dl->n = keep;   /* a replaced slot (without memory the old problem stays) */
    return d;
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

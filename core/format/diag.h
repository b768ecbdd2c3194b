/* SPDX-License-Identifier: Apache-2.0 */
/* diag.h — how the loader records load problems (load/... findings).
 *
 * Loader modules never print: they append a cml_diag (rule id, level,
 * message, location) to a diag_list owned by the model being loaded. The
 * rule host turns these into findings. Internal to core/. */
#ifndef CML_DIAG_H
#define CML_DIAG_H

#include <stdarg.h>
#include <stdint.h>

#include "format/arena.h"
#include "coreml-lint/ir.h"

/* per model; further problems are counted, not kept, and the last slot is
 * kept for the entry that says how many (diag_finish). A full list keeps
 * the most severe: a problem above the least severe kept one takes its
 * slot, so that a flood of warnings cannot push an error out of the list
 * (and the run's exit status down to 0). */
#define DIAG_MAX 256u

typedef struct diag_list {
    arena *a;
    size_t n;
    const cml_diag *items[DIAG_MAX];
    size_t dropped;
    size_t dropped_at[4];        /* by level (DIAG_NOTE..DIAG_ERROR) */
    const char *dropped_rule;    /* a rule id of the most severe dropped problem */
    int dropped_level;
    int kept_min;                /* the least severe level kept once full (0: not known) */
    cml_diag reserved;           /* diag_add_reserved's: needs no arena */
    char reserved_msg[256];
} diag_list;

enum { DIAG_NOTE = 1, DIAG_WARNING = 2, DIAG_ERROR = 3 };

/* Append a problem. artifact/logical may be NULL. byte_offset < 0 = none;
 * line 0 = none. Strings are copied into the arena. Returns the diag (NULL
 * when the list is full or the arena is exhausted). */
cml_diag *diag_add(diag_list *dl, const char *rule_id, int level, const char *artifact,
                   int64_t byte_offset, uint32_t line, uint32_t col, const char *logical,
                   const char *fmt, ...) __attribute__((format(printf, 9, 10)));

/* Whether diag_add only counts now: every slot but the note's is taken. */
static inline int diag_full(const diag_list *dl) { return dl->n >= DIAG_MAX - 1; }

/* Close the list: when problems were counted, not kept, the entry that
 * says how many goes into the slot kept for it, at the level and under a
 * rule of the most severe of them (a dropped error stays an error).
 * Returns it, or NULL (nothing dropped, or the arena is exhausted). */
cml_diag *diag_finish(diag_list *dl, const char *artifact);

/* The one problem that must be listed even when the arena is spent (the
 * arena's cap itself): held in the list, not the arena, and listed last,
 * in the note's slot when the list is full. rule_id must be a literal. */
void diag_add_reserved(diag_list *dl, const char *rule_id, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

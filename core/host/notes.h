/* SPDX-License-Identifier: Apache-2.0 */
/* notes.h — notifications: problems of the tool, a rule or a plugin (never
 * of the model, which are findings). Posted by engines and the host, kept
 * in posting order, deduplicated (same kind, rule, model and file ->
 * count++). Three outcomes are never mixed: a problem in the model is a
 * finding; a problem in a rule or plugin is a notification and the run goes
 * on; a usage error or unusable configuration is a tool error (exit 2). */
#ifndef CML_HOST_NOTES_H
#define CML_HOST_NOTES_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Kinds every part of the tool may post (engines add their own rule/...,
 * plugin/..., config/... kinds): */
#define NOTE_PLUGIN_LOG "plugin/log" /* a plugin's log line (cml_log) */
#define NOTE_USAGE "usage/error"  /* the user's input to a rule is unusable (a
                                     probe --input file, an unwritable folder):
                                     the run ends with exit 2, like a bad flag */

typedef struct notification {
    char *rule_id;            /* rule the notification is about, or NULL */
    char *kind;               /* "rule/error", "rule/load-error", "rule/budget-exceeded",
                                 "rule/memory-exceeded", "rule/blocked-call",
                                 "plugin/unusable", "config/...", NOTE_USAGE, ... */
    int level;                /* LEVEL_* */
    char *message;
    char *model_path;         /* model being checked, or NULL */
    char *file;               /* rule/plugin/config file, or NULL */
    uint32_t line;
    size_t count;             /* how many times it happened (same kind+rule+model) */
} notification;

typedef struct notes notes;

notes *notes_new(void);
void notes_free(notes *ns);
size_t notes_count(const notes *ns);
const notification *notes_get(const notes *ns, size_t i);   /* posting order */
void notes_vpost(notes *ns, const char *rule_id, const char *kind, int level, const char *model_path,
                 const char *file, uint32_t line, const char *fmt, va_list ap) __attribute__((format(printf, 8, 0)));
/* Lower to a note every rule/load-error whose rule `decided` says is
 * disabled (returns 0): a file the user turned off would not have run, so
 * its failure must not fail the run, yet it stays visible. Returns how
 * many were lowered. */
size_t notes_lower_load_errors(notes *ns, int (*decided)(const char *rule_id, void *arg), void *arg);
/* Does any notification of this kind exist (at or above level)? */
int notes_has(const notes *ns, const char *kind, int min_level);
/* The failures that leave a report incomplete: error-level rule/... and
 * plugin/... notifications (plugin/log lines apart). Returns their count;
 * of them, *load_errors rule files that did not load and *unusable
 * plugins that could not be used (either pointer may be NULL). */
size_t notes_failures(const notes *ns, size_t *load_errors, size_t *unusable);
/* The model a notification names beside it in text ("[rule on MODEL]",
 * or "[on MODEL]" without a rule: the same failure on two models must read
 * as two lines), or NULL when it has no model, or its file is the model. */
static inline const char *note_model_shown(const notification *n) {
    if (!n->model_path || !*n->model_path) return NULL;
    return n->file && !strcmp(n->file, n->model_path) ? NULL : n->model_path;
}
/* Order for reports: rule, kind, model, file, line, message. */
int notes_cmp(const notification *a, const notification *b);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* notes.c — the run's notifications: posted in order, deduplicated (same
 * kind, rule, model and file; without a rule, also the same message) with
 * a count. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/notes.h"
#include "host/util.h"

struct notes {
    notification **v;
    size_t n, cap;
};

notes *notes_new(void) { return calloc(1, sizeof(notes)); }

static void note_free(notification *n) {
    if (!n) return;
    free(n->rule_id);
    free(n->kind);
    free(n->message);
    free(n->model_path);
    free(n->file);
    free(n);
}

void notes_free(notes *ns) {
    if (!ns) return;
    for (size_t i = 0; i < ns->n; i++) note_free(ns->v[i]);
    free(ns->v);
    free(ns);
}

size_t notes_count(const notes *ns) { return ns ? ns->n : 0; }

const notification *notes_get(const notes *ns, size_t i) { return ns && i < ns->n ? ns->v[i] : NULL; }

static bool same(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

void notes_vpost(notes *ns, const char *rule_id, const char *kind, int level, const char *model_path,
                 const char *file, uint32_t line, const char *fmt, va_list ap) {
    if (!ns || !kind) return;
    char msg[2048] = "";
    if (fmt) vsnprintf(msg, sizeof msg, fmt, ap);
    for (size_t i = 0; i < ns->n; i++) {
        notification *n = ns->v[i];
        if (!strcmp(n->kind, kind) && same(n->rule_id, rule_id) && same(n->model_path, model_path) &&
            same(n->file, file) && (rule_id || !strcmp(n->message, msg))) {
            n->count++;
            return;
        }
    }
    if (ns->n == ns->cap) {
        size_t nc = ns->cap ? ns->cap * 2 : 16;
        notification **nv = realloc(ns->v, nc * sizeof *nv);
        if (!nv) return;
        ns->v = nv;
        ns->cap = nc;
    }
    notification *n = calloc(1, sizeof *n);
    if (!n) return;
    n->rule_id = host_strdup(rule_id);
    n->kind = host_strdup(kind);
    n->level = level;
    n->message = host_strdup(msg);
    n->model_path = host_strdup(model_path);
    n->file = host_strdup(file);
    n->line = line;
    n->count = 1;
    if (!n->kind || !n->message) {
        note_free(n);
        return;
    }
    ns->v[ns->n++] = n;
}

int notes_has(const notes *ns, const char *kind, int min_level) {
    for (size_t i = 0; ns && i < ns->n; i++)
        if (!strcmp(ns->v[i]->kind, kind) && ns->v[i]->level >= min_level) return 1;
    return 0;
}

static int scmp(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

int notes_cmp(const notification *a, const notification *b) {
    int c;
    if ((c = scmp(a->rule_id, b->rule_id))) return c;
    if ((c = scmp(a->kind, b->kind))) return c;
    if ((c = scmp(a->model_path, b->model_path))) return c;
    if ((c = scmp(a->file, b->file))) return c;
    if ((c = (a->line > b->line) - (a->line < b->line))) return c;
    return scmp(a->message, b->message);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* notes.c — the run's notifications: posted in order, deduplicated (same
 * kind, rule, model and file; without a rule, and for a plugin's log
 * lines, also the same message) with a count. A plugin rule's different
 * log lines on one model are kept up to NOTES_PER_RULE; further ones are
 * counted in one notification saying so, so a rule that logs in a loop
 * cannot flood the report. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml-lint/hash.h"
#include "host/notes.h"
#include "host/rule.h"
#include "host/util.h"

/* v in posting order; ht an open-addressing index over v by the dedupe key
 * (slot: index + 1, 0 empty; at most half full), so posting stays linear in
 * the notifications a run posts (a config with 20,000 unused suppressions
 * posts 20,000) */
struct notes {
    notification **v;
    size_t n, cap;
    size_t *ht, ht_cap;
    /* rule groups (kind, rule, model, file): slot = index + 1 of the
     * group's first notification, whose `distinct` counts the group's
     * messages; at most half full */
    size_t *gt, gt_cap, n_groups;
    size_t *distinct;   /* parallel to v (cap entries) */
};

#define NOTES_PER_RULE 32

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
    free(ns->ht);
    free(ns->gt);
    free(ns->distinct);
    free(ns);
}

size_t notes_count(const notes *ns) { return ns ? ns->n : 0; }

const notification *notes_get(const notes *ns, size_t i) { return ns && i < ns->n ? ns->v[i] : NULL; }

size_t notes_lower_load_errors(notes *ns, int (*decided)(const char *rule_id, void *arg), void *arg) {
    size_t n = 0;
    for (size_t i = 0; ns && i < ns->n; i++) {
        notification *nt = ns->v[i];
        if (nt->level >= LEVEL_ERROR && nt->rule_id && !strcmp(nt->kind, "rule/load-error") &&
            decided(nt->rule_id, arg) == 0) {
            nt->level = LEVEL_NOTE;
            n++;
        }
    }
    return n;
}

static bool same(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

/* A keyed hash of the dedupe key: kind, rule, model, file and the message
 * (NULL: a rule's key, where messages do not count). Files and messages
 * come from models and configurations: keyed (coreml-lint/hash.h). */
static uint64_t key_hash(const char *kind, const char *rule_id, const char *model_path, const char *file,
                         const char *msg) {
    const char *parts[5] = {kind, rule_id, model_path, file, msg};
    uint64_t h = 0;
    for (int k = 0; k < 5; k++)   /* NULL and "" differ, as same() says */
        h = (h * 0x9E3779B97F4A7C15ull) ^ (parts[k] ? cml_hash_str(parts[k]) : 0x5bd1e995ull);
    return h;
}

static uint64_t note_hash(const notification *n) {
    bool by_message = !n->rule_id || !strcmp(n->kind, NOTE_PLUGIN_LOG);
    return key_hash(n->kind, n->rule_id, n->model_path, n->file, by_message ? n->message : NULL);
}

/* the slot of the rule group of (kind, rule, model, file) in gt: the
 * group's, or the empty slot it would take */
static size_t group_slot(const notes *ns, const char *kind, const char *rule_id, const char *model_path,
                         const char *file) {
    size_t mask = ns->gt_cap - 1, h = (size_t)key_hash(kind, rule_id, model_path, file, NULL) & mask;
    for (; ns->gt[h]; h = (h + 1) & mask) {
        const notification *n = ns->v[ns->gt[h] - 1];
        if (!strcmp(n->kind, kind) && same(n->rule_id, rule_id) && same(n->model_path, model_path) &&
            same(n->file, file))
            break;
    }
    return h;
}

/* room in gt for one more group: 0, or -1 (out of memory) */
static int gt_room(notes *ns) {
    if (ns->gt && 2 * (ns->n_groups + 1) <= ns->gt_cap) return 0;
    size_t nc = ns->gt_cap ? 2 * ns->gt_cap : 64;
    size_t *old = ns->gt, oc = ns->gt_cap;
    size_t *ng = calloc(nc, sizeof *ng);
    if (!ng) return -1;
    ns->gt = ng;
    ns->gt_cap = nc;
    for (size_t i = 0; i < oc; i++)
        if (old[i]) {
            const notification *n = ns->v[old[i] - 1];
            ng[group_slot(ns, n->kind, n->rule_id, n->model_path, n->file)] = old[i];
        }
    free(old);
    return 0;
}

/* v[i] into the index (room checked by the caller) */
static void ht_put(notes *ns, size_t i) {
    size_t mask = ns->ht_cap - 1, h = (size_t)note_hash(ns->v[i]) & mask;
    while (ns->ht[h]) h = (h + 1) & mask;
    ns->ht[h] = i + 1;
}

/* an index for n + 1 notifications: 0, or -1 (out of memory: no index) */
static int ht_room(notes *ns) {
    if (ns->ht && 2 * (ns->n + 1) <= ns->ht_cap) return 0;
    size_t nc = ns->ht_cap ? 2 * ns->ht_cap : 64;
    size_t *nh = calloc(nc, sizeof *nh);
    if (!nh) return -1;
    free(ns->ht);
    ns->ht = nh;
    ns->ht_cap = nc;
    for (size_t i = 0; i < ns->n; i++) ht_put(ns, i);
    return 0;
}

void notes_vpost(notes *ns, const char *rule_id, const char *kind, int level, const char *model_path,
                 const char *file, uint32_t line, const char *fmt, va_list ap) {
    if (!ns || !kind) return;
    char msg[2048] = "";
    if (fmt) vsnprintf(msg, sizeof msg, fmt, ap);
    /* a rule's notifications of one kind are one (a failing rule says so
     * once per model), but its log lines are what it has to say */
    bool by_message = !rule_id || !strcmp(kind, NOTE_PLUGIN_LOG);
    for (int pass = 0; pass < 2; pass++) {
        if (ht_room(ns) != 0) return;
        size_t mask = ns->ht_cap - 1,
               h = (size_t)key_hash(kind, rule_id, model_path, file, by_message ? msg : NULL) & mask;
        for (; ns->ht[h]; h = (h + 1) & mask) {
            notification *n = ns->v[ns->ht[h] - 1];
            if (!strcmp(n->kind, kind) && same(n->rule_id, rule_id) && same(n->model_path, model_path) &&
                same(n->file, file) && (!by_message || !strcmp(n->message, msg))) {
                n->count++;
                return;
            }
        }
        if (!rule_id || !by_message || pass) break;
        /* a new message of a rule: within its group's allowance, or
         * counted in the group's one overflow notification (pass 2) */
        if (gt_room(ns) != 0) return;
        size_t g = group_slot(ns, kind, rule_id, model_path, file);
        if (!ns->gt[g]) break;   /* a new group: taken below */
        if (ns->distinct[ns->gt[g] - 1] < NOTES_PER_RULE) {
            ns->distinct[ns->gt[g] - 1]++;
            break;
        }
        snprintf(msg, sizeof msg, "more than %d different messages of this kind from this rule here; the others "
                                  "are counted in this one", NOTES_PER_RULE);
    }
    if (ns->n == ns->cap) {
        size_t nc = ns->cap ? ns->cap * 2 : 16;
        notification **nv = realloc(ns->v, nc * sizeof *nv);
        size_t *nd = nv ? realloc(ns->distinct, nc * sizeof *nd) : NULL;
        if (nv) ns->v = nv;
        if (!nv || !nd) return;
        ns->distinct = nd;
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
    if (!n->kind || !n->message || (rule_id && !n->rule_id) || (model_path && !n->model_path) ||
        (file && !n->file)) {
        note_free(n);
        return;
    }
    /* the slot again: the message may have become the overflow one */
    size_t mask = ns->ht_cap - 1,
           h = (size_t)key_hash(kind, rule_id, model_path, file, by_message ? n->message : NULL) & mask;
    while (ns->ht[h]) h = (h + 1) & mask;
    ns->v[ns->n] = n;
    ns->distinct[ns->n] = 1;
    ns->ht[h] = ++ns->n;
    if (rule_id && by_message) {
        size_t g = group_slot(ns, kind, rule_id, model_path, file);
        if (!ns->gt[g]) {
            ns->gt[g] = ns->n;
            ns->n_groups++;
        }
    }
}

int notes_has(const notes *ns, const char *kind, int min_level) {
    for (size_t i = 0; ns && i < ns->n; i++)
        if (!strcmp(ns->v[i]->kind, kind) && ns->v[i]->level >= min_level) return 1;
    return 0;
}

size_t notes_failures(const notes *ns, size_t *load_errors, size_t *unusable) {
    size_t n = 0, le = 0, un = 0;
    for (size_t i = 0; ns && i < ns->n; i++) {
        const notification *nt = ns->v[i];
        if (nt->level < LEVEL_ERROR || !strcmp(nt->kind, NOTE_PLUGIN_LOG)) continue;
        if (!strncmp(nt->kind, "rule/", 5) || !strncmp(nt->kind, "plugin/", 7)) n++;
        if (!strcmp(nt->kind, "rule/load-error")) le++;
        if (!strcmp(nt->kind, "plugin/unusable")) un++;
    }
    if (load_errors) *load_errors = le;
    if (unusable) *unusable = un;
    return n;
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

/* SPDX-License-Identifier: Apache-2.0 */
/* xcode.c — diagnostics for an Xcode Run Script build phase: one
 * `ABSOLUTE/PATH:LINE:COLUMN: warning: message [rule-id]` line per
 * unsuppressed finding, the form Xcode turns into an issue in the Issue
 * Navigator that opens the file (research/sarif-integration.md §3.1: clang's
 * format, what SwiftLint's xcode reporter prints; prefixes lowercase, one
 * line each). The path is always the model as the project holds it (the
 * .mlpackage, .mlmodelc or .mlmodel), never a file inside the package, which
 * Xcode's project does not contain; the file inside and its line, when
 * there is one, go into the message. Binary models have no lines: 1:1.
 * Paths are absolute (Xcode opens nothing relative), made from the run's
 * working folder. A fix is a `note:` line at the same place; a rule or
 * plugin problem is an issue on the rule's file (a broken house rule opens
 * in Xcode) or a plain `warning:`/`error:` line. No summary line: Xcode
 * counts the issues itself. Control characters in messages become spaces. */
#include <stdlib.h>
#include <string.h>

#include "sarif/wcommon.h"
#include "sarif/writers.h"

/* Xcode knows error, warning and note: a level of none reads as a note */
static const char *xlevel(int level) { return level_name(level > LEVEL_NONE ? level : LEVEL_NOTE); }

/* path made absolute against the run's working folder, one line, malloc'd */
static char *abs_path(const run_result *r, const char *path) {
    char *p = path[0] == '/' || !r->working_dir ? sarif_strdup(path) : sarif_join_path(r->working_dir, path);
    if (!p) return NULL;
    char *c = sarif_diag_path(p);
    free(p);
    return c;
}

static int write_finding(FILE *out, const run_result *r, const finding *f) {
    int rc = -1;
    char *where = abs_path(r, f->model_path ? f->model_path : ""), *msg = sarif_display_message(f), *cmsg = NULL,
         *inside = NULL, *fix = NULL;
    const char *rid = sarif_rule_id(f);
    char *crid = sarif_clean(rid, true);
    if (!where || !msg || !crid || !(cmsg = sarif_diag_text(msg))) goto out;
    if (f->loc.artifact && *f->loc.artifact) {
        char *a = sarif_clean(f->loc.artifact, true);
        if (!a) goto out;
        inside = sarif_has_text_pos(f) ? sarif_printf(" (%s:%u)", a, (unsigned)f->loc.line) : sarif_printf(" (%s)", a);
        free(a);
        if (!inside) goto out;
    }
    fprintf(out, "%s:1:1: %s: %s%s [%s]\n", where, xlevel(f->level), cmsg, inside ? inside : "", crid);
    if (f->fix && *f->fix) {
        if (!(fix = sarif_clean(f->fix, true))) goto out;
        fprintf(out, "%s:1:1: note: fix: %s\n", where, fix);
    }
    rc = 0;
out:
    free(where);
    free(msg);
    free(cmsg);
    free(inside);
    free(fix);
    free(crid);
    return rc;
}

static int write_note(FILE *out, const run_result *r, const notification *n) {
    const char *m = n->message && *n->message ? n->message : n->kind ? n->kind : "tool notification";
    char *cm = sarif_diag_text(m), *kind = sarif_clean(n->kind ? n->kind : "", true),
         *rule = sarif_clean(n->rule_id ? n->rule_id : "", true), *file = NULL;
    /* the same failure on two models is two issues: each names its model */
    const char *mod = note_model_shown(n);
    char *mpath = mod ? abs_path(r, mod) : NULL, *on = NULL;
    if (mpath && rule && (on = sarif_printf("%s%son %s", rule, *rule ? " " : "", mpath))) {
        free(rule);
        rule = on;
    }
    free(mpath);
    int rc = -1;
    if (!cm || !kind || !rule || (mod && !on)) goto out;
    int level = n->level == LEVEL_NONE ? LEVEL_NOTE : n->level;
    if (n->file && *n->file) {
        if (!(file = abs_path(r, n->file))) goto out;
        fprintf(out, "%s:%u:1: %s: coreml-lint: %s [%s%s%s]\n", file, n->line ? (unsigned)n->line : 1u, xlevel(level),
                cm, kind, *rule ? " " : "", rule);
    } else {
        fprintf(out, "%s: coreml-lint: %s [%s%s%s]\n", xlevel(level), cm, kind, *rule ? " " : "", rule);
    }
    rc = 0;
out:
    free(cm);
    free(kind);
    free(rule);
    free(file);
    return rc;
}

static int write_xcode(FILE *out, const run_result *r, const writer_opts *wo) {
    (void)wo;
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (!f || f->suppressed) continue;
        if (write_finding(out, r, f) < 0) return -1;
    }
    for (size_t i = 0; i < r->n_notes; i++)
        if (r->notes[i] && write_note(out, r, r->notes[i]) < 0) return -1;
    return sarif_finish(out);
}

const report_writer cml_format_xcode = {"xcode", "path:1:1: warning: message lines on the model, for an Xcode Run Script build phase", write_xcode, false};

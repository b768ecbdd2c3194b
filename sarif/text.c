/* text.c — the human writer, in the clang/Xcode diagnostic style that Xcode's
 * Run Script phase and editors' problem matchers parse
 * (research/sarif-integration.md §3.1): `path:line:col: warning: message
 * [rule-id]` where a real line exists (text artifacts such as model.mil),
 * `path: warning: message [rule-id]` for binary models, path being the model
 * path joined with the artifact; a fix follows on a `note:` line at the same
 * place; rule and plugin problems are `coreml-lint: level: message [rule-id]`
 * lines; a summary line ends the report. One diagnostic per line: control
 * characters in messages become spaces (a hostile model cannot inject lines
 * or terminal escapes). ANSI colour only when asked (the caller decides,
 * e.g. on a terminal): bold location, red error, magenta warning, cyan note.
 * Suppressed findings are skipped and counted in the summary. */
#include <stdlib.h>
#include <string.h>

#include "wcommon.h"
#include "writers.h"

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_RED "\033[1;31m"
#define C_MAGENTA "\033[1;35m"
#define C_CYAN "\033[1;36m"

static const char *text_level(int level) {
    return level == LEVEL_ERROR ? "error" : level == LEVEL_WARNING ? "warning" : "note";
}

static const char *level_color(int level) {
    return level == LEVEL_ERROR ? C_RED : level == LEVEL_WARNING ? C_MAGENTA : C_CYAN;
}

/* "path[:line[:col]]:" then " level: " */
static void put_head(FILE *out, bool color, const char *where, int level) {
    fprintf(out, "%s%s:%s %s%s:%s ", color ? C_BOLD : "", where, color ? C_RESET : "", color ? level_color(level) : "",
            text_level(level), color ? C_RESET : "");
}

static int write_finding(FILE *out, const finding *f, bool color) {
    int rc = -1;
    char *path = sarif_finding_path(f), *cpath = NULL, *where = NULL, *msg = NULL, *cmsg = NULL, *fix = NULL;
    const char *rid = f->rule_id ? f->rule_id : f->rule && f->rule->id ? f->rule->id : "unknown/unknown";
    char *crid = sarif_clean(rid, true);
    if (!path || !crid) goto out;
    cpath = sarif_clean(path, true);
    if (!cpath) goto out;
    if (sarif_has_text_pos(f))
        where = f->loc.column > 0 ? sarif_printf("%s:%u:%u", cpath, (unsigned)f->loc.line, (unsigned)f->loc.column)
                                  : sarif_printf("%s:%u", cpath, (unsigned)f->loc.line);
    else
        where = sarif_strdup(cpath);
    msg = sarif_display_message(f);
    if (!where || !msg) goto out;
    cmsg = sarif_clean(msg, true);
    if (!cmsg) goto out;
    put_head(out, color, where, f->level);
    fprintf(out, "%s [%s]\n", cmsg, crid);
    if (f->fix && *f->fix) {
        fix = sarif_clean(f->fix, true);
        if (!fix) goto out;
        put_head(out, color, where, LEVEL_NOTE);
        fprintf(out, "fix: %s\n", fix);
    }
    rc = 0;
out:
    free(path);
    free(cpath);
    free(where);
    free(msg);
    free(cmsg);
    free(fix);
    free(crid);
    return rc;
}

static int write_note(FILE *out, const notification *n, bool color) {
    const char *m = n->message && *n->message ? n->message : n->kind ? n->kind : "tool notification";
    char *cm = sarif_clean(m, true), *where = NULL, *times = NULL, *rule = NULL;
    if (!cm) return -1;
    int rc = -1;
    if (n->file && *n->file) {
        char *cf = sarif_clean(n->file, true);
        if (!cf) goto out;
        where = n->line ? sarif_printf(" (%s:%u)", cf, (unsigned)n->line) : sarif_printf(" (%s)", cf);
        free(cf);
        if (!where) goto out;
    }
    if (n->count > 1 && !(times = sarif_printf(" (%zu times)", n->count))) goto out;
    if (n->rule_id && *n->rule_id) {
        char *cr = sarif_clean(n->rule_id, true);
        if (!cr) goto out;
        rule = sarif_printf(" [%s]", cr);
        free(cr);
        if (!rule) goto out;
    }
    put_head(out, color, "coreml-lint", n->level == LEVEL_NONE ? LEVEL_NOTE : n->level);
    fprintf(out, "%s%s%s%s\n", cm, where ? where : "", times ? times : "", rule ? rule : "");
    rc = 0;
out:
    free(cm);
    free(where);
    free(times);
    free(rule);
    return rc;
}

static const char *plural(size_t n) {
    return n == 1 ? "" : "s";
}

int write_text(FILE *out, const run_result *r, bool color) {
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (!f || f->suppressed) continue;
        if (write_finding(out, f, color) < 0) return -1;
    }
    for (size_t i = 0; i < r->n_notes; i++)
        if (r->notes[i] && write_note(out, r->notes[i], color) < 0) return -1;
    sarif_counts c;
    sarif_count(r, &c);
    fprintf(out, "%zu error%s, %zu warning%s, %zu note%s in %zu model%s", c.errors, plural(c.errors), c.warnings,
            plural(c.warnings), c.notes, plural(c.notes), r->n_models, plural(r->n_models));
    if (c.suppressed) fprintf(out, " (%zu suppressed)", c.suppressed);
    fputc('\n', out);
    return sarif_finish(out);
}

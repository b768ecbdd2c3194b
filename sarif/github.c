/* SPDX-License-Identifier: Apache-2.0 */
/* github.c — GitHub Actions workflow-command annotations
 * (research/sarif-integration.md §3.2): one `::error|warning|notice
 * file=PATH,line=N[,col=N],title=TITLE::MESSAGE` line per unsuppressed
 * finding (note level becomes notice; a binary model, which has no real
 * line, is annotated at line 1 as in SARIF), the fix on a second message
 * line, then one line per notification (with file/line when the problem is
 * in a rule or config file). Escaping follows actions/toolkit command.ts:
 * message `%` `\r` `\n` -> `%25` `%0D` `%0A`; property values also `:` and
 * `,` -> `%3A` `%2C`. GitHub shows at most 10 annotations of each level per
 * step, so when more are written a first `::notice` says how many there are
 * and where the full list is. */
#include <stdlib.h>
#include <string.h>

#include "format/sanitize.h"
#include "sarif/wcommon.h"
#include "sarif/writers.h"

#define GH_ANNOTATION_LIMIT 10u

static const char *gh_cmd(int level) {
    return level == LEVEL_ERROR ? "error" : level == LEVEL_WARNING ? "warning" : "notice";
}

/* Writes s escaped; prop adds the property-value escapes. The sanitizer's
 * SAN_LINES form first (format/sanitize.h): invalid UTF-8 becomes U+FFFD,
 * ESC and every other control but CR and LF (escaped here) a space, "##["
 * "## [". */
static int write_finding(FILE *out, const run_result *r, const finding *f) {
    const char *rid = sarif_rule_id(f);
    /* GitHub places an annotation by its path from the repository root */
    char *fpath = sarif_finding_path(f), *path = fpath ? sarif_root_path(r, fpath) : NULL, *msg = sarif_display_message(f), *title = sarif_printf("coreml-lint: %s", rid);
    char *body = NULL;
    int rc = -1;
    if (!path || !msg || !title) goto out;
    body = f->fix && *f->fix ? sarif_printf("%s\nFix: %s", msg, f->fix) : sarif_strdup(msg);
    if (!body) goto out;
    fprintf(out, "::%s file=", gh_cmd(f->level));
    if (sarif_gh_escape(out, path, true) < 0) goto out;
    if (sarif_has_text_pos(f)) {
        fprintf(out, ",line=%u", (unsigned)f->loc.line);
        if (f->loc.column > 0) fprintf(out, ",col=%u", (unsigned)f->loc.column);
    } else {
        fputs(",line=1", out);
    }
    fputs(",title=", out);
    if (sarif_gh_escape(out, title, true) < 0) goto out;
    fputs("::", out);
    if (sarif_gh_escape(out, body, false) < 0) goto out;
    fputc('\n', out);
    rc = 0;
out:
    free(fpath);
    free(path);
    free(msg);
    free(title);
    free(body);
    return rc;
}

static int write_note(FILE *out, const run_result *r, const notification *n) {
    const char *m = n->message && *n->message ? n->message : n->kind ? n->kind : "tool notification";
    char *title = n->rule_id && *n->rule_id ? sarif_printf("coreml-lint: %s", n->rule_id) : sarif_strdup("coreml-lint");
    /* the same failure on two models is two annotations: each names its model */
    const char *mod = note_model_shown(n);
    char *mpath = mod ? sarif_root_path(r, mod) : NULL;
    char *body = sarif_printf("%s%s%s%s", m, mpath ? " (on " : "", mpath ? mpath : "", mpath ? ")" : "");
    if (body && n->count > 1) {
        char *b2 = sarif_printf("%s (%zu times)", body, n->count);
        free(body);
        body = b2;
    }
    free(mpath);
    int rc = -1;
    if (!title || !body || (mod && !mpath)) goto out;
    fprintf(out, "::%s ", gh_cmd(n->level));
    if (n->file && *n->file) {
        fputs("file=", out);
        char *path = sarif_root_path(r, n->file);
        int w = path ? sarif_gh_escape(out, path, true) : -1;
        free(path);
        if (w < 0) goto out;
        if (n->line) fprintf(out, ",line=%u", (unsigned)n->line);
        fputc(',', out);
    }
    fputs("title=", out);
    if (sarif_gh_escape(out, title, true) < 0) goto out;
    fputs("::", out);
    if (sarif_gh_escape(out, body, false) < 0) goto out;
    fputc('\n', out);
    rc = 0;
out:
    free(title);
    free(body);
    return rc;
}

static int write_github(FILE *out, const run_result *r, const writer_opts *wo) {
    (void)wo;
    size_t per[3] = {0, 0, 0};   /* error, warning, notice annotations */
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (f && !f->suppressed) per[f->level == LEVEL_ERROR ? 0 : f->level == LEVEL_WARNING ? 1 : 2]++;
    }
    for (size_t i = 0; i < r->n_notes; i++) {
        const notification *n = r->notes[i];
        if (n) per[n->level == LEVEL_ERROR ? 0 : n->level == LEVEL_WARNING ? 1 : 2]++;
    }
    /* the overflow message is an annotation too: a notice, unless the
     * notices fill their 10 exactly, where it would hide the tenth; then a
     * warning if those have room */
    if (per[0] > GH_ANNOTATION_LIMIT || per[1] > GH_ANNOTATION_LIMIT || per[2] > GH_ANNOTATION_LIMIT)
        fprintf(out,
                "::%s title=coreml-lint::coreml-lint wrote %zu error, %zu warning and %zu notice annotations; "
                "GitHub shows at most %u of each level per step. The job log and the SARIF report list them all.\n",
                per[2] == GH_ANNOTATION_LIMIT && per[1] < GH_ANNOTATION_LIMIT ? "warning" : "notice", per[0], per[1],
                per[2], GH_ANNOTATION_LIMIT);
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (!f || f->suppressed) continue;
        if (write_finding(out, r, f) < 0) return -1;
    }
    for (size_t i = 0; i < r->n_notes; i++)
        if (r->notes[i] && write_note(out, r, r->notes[i]) < 0) return -1;
    return sarif_finish(out);
}

const report_writer cml_format_github = {"github", "GitHub Actions workflow-command annotations", write_github, false};

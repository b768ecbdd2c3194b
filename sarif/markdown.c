/* SPDX-License-Identifier: Apache-2.0 */
/* markdown.c — the compact report for a GitHub job summary
 * ($GITHUB_STEP_SUMMARY) or a pull-request comment: a heading with the
 * totals, one table row per model (findings by level, size, minimum iOS,
 * the estimated Neural Engine share of the ops when the report facts are
 * there), the runtime probe's headline figures after `probe`/`compare`
 * (median latency per mode, the op with the largest fp16 divergence, the
 * baseline comparison), then the findings in a collapsed table (the first
 * MD_MAX_FINDINGS, most severe first; the SARIF report has them all) and the
 * tool notifications. Comments are limited to 65,536 characters, so the
 * lists are capped. Untrusted strings are made one line of valid UTF-8 and
 * escaped: Markdown punctuation gets a backslash, HTML's < > & become
 * entities, '@' and '#' are followed by a zero-width space so a model
 * cannot mention people or link issues in a pull request, and so are the
 * ':' of "://" and the "www" of "www." so that GitHub's autolinks do not
 * turn a name into a clickable link. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sarif/wcommon.h"
#include "sarif/writers.h"

#ifndef CML_VERSION
#define CML_VERSION "0.0.0"
#endif

#define MD_MAX_FINDINGS 100u
#define MD_MAX_NOTES 20u
#define MD_MAX_CELL 300u

static void md(FILE *out, const char *s) {
    char *c = sarif_clean(s ? s : "", true);
    if (!c) return;
    sarif_truncate_utf8(c, MD_MAX_CELL);
    for (const char *p = c; *p; p++) {
        switch (*p) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '@': fputs("@&#8203;", out); break;
        case '#': fputs("#&#8203;", out); break;
        case ':':
            fputs(p[1] == '/' && p[2] == '/' ? ":&#8203;" : ":", out);
            break;
        case 'w': case 'W':
            /* "www." autolinks (GitHub Flavored Markdown): "www" ZWSP "." */
            if ((p[1] == 'w' || p[1] == 'W') && (p[2] == 'w' || p[2] == 'W') && p[3] == '.') {
                fputc(p[0], out);
                fputc(p[1], out);
                fputc(p[2], out);
                fputs("&#8203;", out);
                p += 2;
            } else {
                fputc(*p, out);
            }
            break;
        case '\\': case '`': case '*': case '_': case '[': case ']': case '(': case ')': case '|': case '~':
        case '!':
            fputc('\\', out);
            fputc(*p, out);
            break;
        default: fputc(*p, out);
        }
    }
    free(c);
}



static void models_table(FILE *out, const run_result *r, const sarif_view *v) {
    bool facts = v->any_facts;
    fputs(facts ? "| Model | Errors | Warnings | Notes | Size | Min. iOS | Neural Engine (est.) |\n"
                  "|---|--:|--:|--:|--:|---|--:|\n"
                : "| Model | Errors | Warnings | Notes |\n|---|--:|--:|--:|\n",
          out);
    for (size_t i = 0; i < r->n_models; i++) {
        const run_model *m = r->models[i];
        sarif_counts c = v->models[i].counts;
        fputs("| ", out);
        md(out, m->path);
        fprintf(out, " | %zu | %zu | %zu |", c.errors, c.warnings, c.notes);
        if (facts) {
            const cJSON *f = v->models[i].facts;
            char size[64] = "";
            if (f) cml_format_bytes(size, sizeof size, sarif_jnum(f, "size_bytes"));
            fprintf(out, " %s | ", size);
            md(out, sarif_jstr(cJSON_GetObjectItemCaseSensitive(f, "minimum_os"), "iOS"));
            double cov = sarif_jnum(f, "ane_op_coverage_pct");
            if (!isnan(cov)) fprintf(out, " | %.0f %% |", cov);
            else fputs(" | |", out);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
}

static void probe_lines(FILE *out, const run_result *r, const sarif_view *v) {
    bool any = false;
    for (size_t i = 0; i < r->n_models; i++) {
        const cJSON *p = v->models[i].probe;
        if (!p) continue;
        if (!any) fputs("**Runtime probe** (reference CPU executor)\n\n", out);
        any = true;
        fputs("- ", out);
        md(out, r->models[i]->path);
        fputs(": ", out);
        md(out, sarif_jstr(p, "status"));
        const cJSON *lat = cJSON_GetObjectItemCaseSensitive(p, "latency_ms");
        static const char *const modes[][2] = {
            {"fp32", "fp32"}, {"fp16_emulation", "fp16 emulation"}, {"typed", "typed precision"}};
        for (size_t k = 0; k < 3; k++) {
            double med = sarif_jnum(cJSON_GetObjectItemCaseSensitive(lat, modes[k][0]), "median");
            if (!isnan(med)) fprintf(out, "; %s median %.3g ms", modes[k][1], med);
        }
        const cJSON *ops = cJSON_GetObjectItemCaseSensitive(p, "fp16_divergence_ops"), *it, *worst = NULL;
        cJSON_ArrayForEach(it, ops) if (!worst || sarif_jnum(it, "rel_err") > sarif_jnum(worst, "rel_err")) worst = it;
        if (worst && !isnan(sarif_jnum(worst, "rel_err"))) {
            fputs("; largest fp16 divergence ", out);
            md(out, sarif_jstr(worst, "op"));
            fprintf(out, " (relative error %.2g)", sarif_jnum(worst, "rel_err"));
        }
        const cJSON *cmp = cJSON_GetObjectItemCaseSensitive(p, "compare");
        if (cJSON_IsObject(cmp)) {
            double linf = 0;
            cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cmp, "outputs")) if (sarif_jnum(it, "linf") > linf) linf =
                sarif_jnum(it, "linf");
            fputs("; against its baseline ", out);
            if (sarif_jstr(cmp, "error")) md(out, sarif_jstr(cmp, "error"));
            else fprintf(out, "L-inf %.3g", linf);
        }
        fputc('\n', out);
    }
    if (any) fputc('\n', out);
}

static int level_rank(const finding *f) {
    return f->level == LEVEL_ERROR ? 0 : f->level == LEVEL_WARNING ? 1 : 2;
}

static void findings_table(FILE *out, const run_result *r, const sarif_counts *c) {
    size_t total = c->errors + c->warnings + c->notes;
    if (!total) return;
    fprintf(out, "<details%s><summary>%zu finding%s</summary>\n\n", total <= 10 ? " open" : "", total,
            sarif_plural(total));
    fputs("| Level | Rule | Model | Message |\n|---|---|---|---|\n", out);
    size_t shown = 0;
    for (int rank = 0; rank < 3; rank++)
        for (size_t i = 0; i < r->n_findings && shown < MD_MAX_FINDINGS; i++) {
            const finding *f = r->findings[i];
            if (!f || f->suppressed || level_rank(f) != rank) continue;
            shown++;
            fprintf(out, "| %s | ", rank == 0 ? "error" : rank == 1 ? "warning" : "note");
            const char *rid = sarif_rule_id(f);
            char *uri = f->rule ? rule_help_uri(f->rule) : NULL;
            /* a --rules-dir rule's URL: a '|' in it split the table's row */
            if (sarif_safe_url(uri) && !strpbrk(uri, "|`()<> ")) {
                fputs("[", out);
                md(out, rid);
                fprintf(out, "](%s)", uri);
            } else {
                md(out, rid);
            }
            free(uri);
            fputs(" | ", out);
            md(out, f->model_path);
            fputs(" | ", out);
            char *msg = sarif_display_message(f);
            md(out, msg ? msg : f->message);
            free(msg);
            fputs(" |\n", out);
        }
    if (total > shown)
        fprintf(out, "\n%zu more finding%s are in the SARIF report (code scanning).\n", total - shown,
                sarif_plural(total - shown));
    fputs("\n</details>\n\n", out);
}

static void notes_list(FILE *out, const run_result *r) {
    if (!r->n_notes) return;
    fprintf(out, "**%zu tool notification%s** (rules, plugins, configuration)\n\n", r->n_notes, sarif_plural(r->n_notes));
    for (size_t i = 0; i < r->n_notes && i < MD_MAX_NOTES; i++) {
        const notification *n = r->notes[i];
        if (!n) continue;
        fprintf(out, "- %s: ", level_name(n->level == LEVEL_NONE ? LEVEL_NOTE : n->level));
        md(out, n->message);
        fputs(" (", out);
        md(out, n->kind);
        fputs(")\n", out);
    }
    if (r->n_notes > MD_MAX_NOTES) fprintf(out, "- and %zu more\n", r->n_notes - MD_MAX_NOTES);
    fputc('\n', out);
}

static int write_markdown(FILE *out, const run_result *r, const writer_opts *wo) {
    (void)wo;
    sarif_counts c;
    sarif_count(r, &c);
    fputs("### coreml-lint: ", out);
    if (!c.errors && !c.warnings && !c.notes) fputs("no findings", out);
    else
        fprintf(out, "%zu error%s, %zu warning%s, %zu note%s", c.errors, sarif_plural(c.errors), c.warnings,
                sarif_plural(c.warnings), c.notes, sarif_plural(c.notes));
    fprintf(out, " in %zu model%s\n\n", r->n_models, sarif_plural(r->n_models));
    sarif_view v;
    if (sarif_view_init(&v, r) != 0) return -1;
    if (r->n_models) models_table(out, r, &v);
    probe_lines(out, r, &v);
    sarif_view_free(&v);
    findings_table(out, r, &c);
    notes_list(out, r);
    fputs("<sub>coreml-lint ", out);
    md(out, r->tool_version ? r->tool_version : CML_VERSION);
    if (c.suppressed) fprintf(out, " · %zu suppressed", c.suppressed);
    fputs("</sub>\n", out);
    return sarif_finish(out);
}

const report_writer cml_format_markdown = {"markdown", "compact Markdown for job summaries and pull-request comments", write_markdown, true};

/* SPDX-License-Identifier: Apache-2.0 */
/* text.c — the human writer, in the clang/Xcode diagnostic style that Xcode's
 * Run Script phase and editors' problem matchers parse
 * (research/sarif-integration.md §3.1): `path:line:col: warning: message
 * [rule-id]` where a real line exists (text artifacts such as model.mil),
 * `path: warning: message [rule-id]` for binary models, path being the model
 * path joined with the artifact; a fix follows indented under its finding
 * (`    fix: …`, not a diagnostic line), and so does another rule's finding
 * folded into it (`    confirmed by RULE: …`); rule and plugin problems are `coreml-lint: level: message [rule-id]`
 * lines; a summary line ends the report. One diagnostic per line: control
 * characters in messages become spaces (a hostile model cannot inject lines
 * or terminal escapes). ANSI colour only when asked (the caller decides,
 * e.g. on a terminal): bold location, red error, magenta warning, cyan note.
 * Suppressed findings are skipped and counted in the summary. Run
 * properties (such as the runtime probe's figures) are printed, whatever
 * their rule, as an indented block per key and model before the summary:
 * lines that do not look like `path: level:` diagnostics, so problem
 * matchers skip them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sarif/wcommon.h"
#include "sarif/writers.h"

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
    const char *rid = sarif_rule_id(f);
    char *crid = sarif_clean(rid, true);
    if (!path || !crid) goto out;
    cpath = sarif_diag_path(path);
    if (!cpath) goto out;
    if (sarif_has_text_pos(f))
        where = f->loc.column > 0 ? sarif_printf("%s:%u:%u", cpath, (unsigned)f->loc.line, (unsigned)f->loc.column)
                                  : sarif_printf("%s:%u", cpath, (unsigned)f->loc.line);
    else
        where = sarif_strdup(cpath);
    msg = sarif_display_message(f);
    if (!where || !msg) goto out;
    cmsg = sarif_diag_text(msg);
    if (!cmsg) goto out;
    put_head(out, color, where, f->level);
    fprintf(out, "%s [%s]\n", cmsg, crid);
    /* the fix belongs to its finding: indented under it, a line that is no
     * `path: level:` diagnostic (Xcode and problem matchers would count a
     * `note:` line as one more issue) */
    if (f->fix && *f->fix) {
        fix = sarif_clean(f->fix, true);
        if (!fix) goto out;
        fprintf(out, "    fix: %s\n", fix);
    }
    /* another rule's finding folded into this one: its words, indented */
    for (size_t i = 0; i < f->n_related; i++) {
        if (!f->related[i].confirmation || !f->related[i].message) continue;
        char *c = sarif_clean(f->related[i].message, true);
        if (!c) goto out;
        fprintf(out, "    %s\n", c);
        free(c);
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
    char *cm = sarif_diag_text(m), *where = NULL, *times = NULL, *rule = NULL;
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
    const char *mod = note_model_shown(n), *rid = n->rule_id && *n->rule_id ? n->rule_id : NULL;
    if (rid || mod) {
        /* [RULE on MODEL], [RULE], or [on MODEL] for a model's trouble that
         * is no rule's (a usage error: a probe --input that does not fit it) */
        char *cr = rid ? sarif_clean(rid, true) : NULL;
        char *cmod = mod ? sarif_clean(mod, true) : NULL;
        if ((rid && !cr) || (mod && !cmod)) {
            free(cr);
            free(cmod);
            goto out;
        }
        rule = sarif_printf(" [%s%s%s]", cr ? cr : "", cr && cmod ? " on " : cmod ? "on " : "", cmod ? cmod : "");
        free(cr);
        free(cmod);
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


/* ---- run properties ------------------------------------------------------------
 * Facts rules attached to a model (cml_add_property: properties[key][model
 * path], e.g. the runtime probe's figures under "probe"), rendered from
 * their JSON alone, whatever the rule: one block per key and model,
 * "KEY for PATH:", then the members in the order the rule wrote them —
 * scalars of an object together on one line, nested objects and lists of
 * objects indented below their key, lists of scalars joined ("shape"
 * lists with x). Keys are shown with spaces for underscores and their unit
 * suffix spelled out (_ms, _mb). Every string is cleaned to one line. */

static void put_clean(FILE *out, const char *s) {
    char *c = sarif_clean(s ? s : "?", true);
    fputs(c ? c : "?", out);
    free(c);
}

static void put_key(FILE *out, const char *k) {
    size_t n = strlen(k);
    const char *unit = NULL;
    if (n > 3 && !strcmp(k + n - 3, "_ms")) unit = " (ms)", n -= 3;
    else if (n > 3 && !strcmp(k + n - 3, "_mb")) unit = " (MB)", n -= 3;
    char *c = sarif_clean(k, true);
    for (size_t i = 0; c && i < n && c[i]; i++) fputc(c[i] == '_' ? ' ' : c[i], out);
    free(c);
    if (unit) fputs(unit, out);
}

static bool is_scalar(const cJSON *v) { return !cJSON_IsObject(v) && !cJSON_IsArray(v); }

static bool all_scalars(const cJSON *v) {
    const cJSON *e;
    cJSON_ArrayForEach(e, v) if (!is_scalar(e)) return false;
    return true;
}

static void put_scalar(FILE *out, const cJSON *v) {
    if (cJSON_IsString(v)) put_clean(out, v->valuestring);
    else if (cJSON_IsNumber(v)) {
        /* counts and sizes whole (a shape of 15600, not 1.56e+04); measured
         * figures to four significant digits */
        double d = v->valuedouble;
        if (d > -1e15 && d < 1e15 && d == (double)(long long)d) fprintf(out, "%lld", (long long)d);
        else fprintf(out, "%.4g", d);
    }
    else if (cJSON_IsBool(v)) fputs(cJSON_IsTrue(v) ? "yes" : "no", out);
    else fputs("n/a", out);     /* null: not measured, or not finite */
}

static void put_list(FILE *out, const cJSON *arr, const char *key) {
    const char *sep = key && !strcmp(key, "shape") ? "x" : ", ";
    const cJSON *e;
    int k = 0;
    cJSON_ArrayForEach(e, arr) {
        if (k++) fputs(sep, out);
        put_scalar(out, e);
    }
    if (!k) fputs("none", out);
}

/* The scalar members of o (and lists of scalars) as "k v, k v"; returns
 * how many were written. */
static int put_scalars(FILE *out, const cJSON *o) {
    const cJSON *m;
    int k = 0;
    cJSON_ArrayForEach(m, o) {
        if (!is_scalar(m) && !(cJSON_IsArray(m) && all_scalars(m))) continue;
        fputs(k++ ? ", " : "", out);
        put_key(out, m->string ? m->string : "?");
        fputs(" ", out);
        if (cJSON_IsArray(m)) put_list(out, m, m->string);
        else put_scalar(out, m);
    }
    return k;
}

#define PROP_MAX_DEPTH 8

static void put_object(FILE *out, const cJSON *o, int indent, int depth);

/* The nested members of o, each under its key. */
static void put_nested(FILE *out, const cJSON *o, int indent, int depth) {
    const cJSON *m;
    cJSON_ArrayForEach(m, o) {
        if (is_scalar(m) || (cJSON_IsArray(m) && all_scalars(m))) continue;
        fprintf(out, "%*s", indent, "");
        put_key(out, m->string ? m->string : "?");
        fputc(':', out);
        if (cJSON_IsObject(m) && all_scalars(m)) {
            fputc(' ', out);
            if (!put_scalars(out, m)) fputs("none", out);
            fputc('\n', out);
            continue;
        }
        fputc('\n', out);
        if (depth >= PROP_MAX_DEPTH) {
            fprintf(out, "%*s...\n", indent + 2, "");
            continue;
        }
        if (cJSON_IsObject(m)) put_object(out, m, indent + 2, depth + 1);
        else {
            const cJSON *e;
            cJSON_ArrayForEach(e, m) {
                fprintf(out, "%*s- ", indent + 2, "");
                if (cJSON_IsObject(e)) {
                    if (!put_scalars(out, e)) fputs("{}", out);
                    fputc('\n', out);
                    put_nested(out, e, indent + 4, depth + 1);
                } else {
                    put_scalar(out, e);
                    fputc('\n', out);
                }
            }
        }
    }
}

/* The top level of a block: a line per scalar member ("status: ok"); below
 * it, the scalars of an object share one line. */
static void put_object(FILE *out, const cJSON *o, int indent, int depth) {
    const cJSON *m;
    if (depth == 0) {
        cJSON_ArrayForEach(m, o) {
            if (!is_scalar(m) && !(cJSON_IsArray(m) && all_scalars(m))) continue;
            fprintf(out, "%*s", indent, "");
            put_key(out, m->string ? m->string : "?");
            fputs(": ", out);
            if (cJSON_IsArray(m)) put_list(out, m, m->string);
            else put_scalar(out, m);
            fputc('\n', out);
        }
    } else {
        bool any = false;
        cJSON_ArrayForEach(m, o) any |= is_scalar(m) || (cJSON_IsArray(m) && all_scalars(m));
        if (any) {
            fprintf(out, "%*s", indent, "");
            put_scalars(out, o);
            fputc('\n', out);
        }
    }
    put_nested(out, o, indent, depth);
}

static void write_properties(FILE *out, const run_result *r) {
    const cJSON *key, *model;
    cJSON_ArrayForEach(key, r->run_properties) {
        cJSON_ArrayForEach(model, key) {
            put_clean(out, key->string);
            fputs(" for ", out);
            put_clean(out, model->string);
            fputs(":\n", out);
            if (cJSON_IsObject(model)) put_object(out, model, 2, 0);
            else if (cJSON_IsArray(model)) {
                fputs("  ", out);
                put_list(out, model, NULL);
                fputc('\n', out);
            } else {
                fputs("  ", out);
                put_scalar(out, model);
                fputc('\n', out);
            }
        }
    }
}

static int write_text(FILE *out, const run_result *r, const writer_opts *wo) {
    bool color = wo && wo->color;
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (!f || f->suppressed) continue;
        if (write_finding(out, f, color) < 0) return -1;
    }
    for (size_t i = 0; i < r->n_notes; i++)
        if (r->notes[i] && write_note(out, r->notes[i], color) < 0) return -1;
    write_properties(out, r);
    sarif_counts c;
    sarif_count(r, &c);
    fprintf(out, "%zu error%s, %zu warning%s, %zu note%s in %zu model%s", c.errors, sarif_plural(c.errors), c.warnings,
            sarif_plural(c.warnings), c.notes, sarif_plural(c.notes), r->n_models, sarif_plural(r->n_models));
    if (c.suppressed && r->n_baselined)
        fprintf(out, " (%zu suppressed, %zu in the baseline)", c.suppressed, r->n_baselined);
    else if (c.suppressed)
        fprintf(out, " (%zu suppressed)", c.suppressed);
    else if (r->n_baselined)
        fprintf(out, " (%zu in the baseline)", r->n_baselined);
    fputc('\n', out);
    return sarif_finish(out);
}

const report_writer cml_format_text = {"text", "path: level: message [rule] lines, for people, Xcode and editors", write_text, false};

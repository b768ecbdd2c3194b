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
 * Suppressed findings are skipped and counted in the summary. The runtime
 * probe's figures (run properties under "probe", one object per model) are
 * printed as an indented block per model before the summary: lines that do
 * not look like `path: level:` diagnostics, so problem matchers skip them. */
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

/* ---- runtime probe figures ------------------------------------------------------ */

static double jn(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *js(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* a cleaned single-line string printed, or "?" */
static void put_clean(FILE *out, const char *s) {
    char *c = sarif_clean(s ? s : "?", true);
    fputs(c ? c : "?", out);
    free(c);
}

static void put_lat(FILE *out, const char *label, const cJSON *l) {
    if (!cJSON_IsObject(l)) return;
    fprintf(out, "  latency %s: first %.3g ms, median %.3g ms, p90 %.3g ms (%g runs)\n", label, jn(l, "first"),
            jn(l, "median"), jn(l, "p90"), jn(l, "runs"));
}

static void write_probe_model(FILE *out, const char *path, const cJSON *p) {
    fputs("probe figures for ", out);
    put_clean(out, path);
    fputs(":\n  status: ", out);
    put_clean(out, js(p, "status"));
    const char *msg = js(p, "message");
    if (msg) {
        fputs(" (", out);
        put_clean(out, msg);
        fputc(')', out);
    }
    fputc('\n', out);
    if (js(p, "executor")) {
        fputs("  executor: ", out);
        put_clean(out, js(p, "executor"));
        fputs(", ", out);
        put_clean(out, js(p, "blas"));
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(p, "threads");
        if (cJSON_IsNumber(th)) fprintf(out, ", %d threads", th->valueint);
        else fputs(", threads unknown", out);
        fputs("; function ", out);
        put_clean(out, js(p, "function"));
        fputs("; typed precision ", out);
        put_clean(out, js(p, "typed_precision"));
        fputc('\n', out);
        fprintf(out, "  load (executor prepare, weights decoded): %.3g ms; constants %.3g MB\n", jn(p, "load_ms"),
                jn(p, "constants_mb"));
        const cJSON *in;
        int k = 0;
        cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(p, "inputs")) {
            fputs(k++ ? ", " : "  inputs: ", out);
            put_clean(out, js(in, "name"));
            const cJSON *d;
            int j = 0;
            cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(in, "shape")) fprintf(out, "%s%g", j++ ? "x" : " [",
                                                                                      d->valuedouble);
            fputs(j ? "] " : " ", out);
            put_clean(out, js(in, "source"));
        }
        if (k) fprintf(out, " (seed %g)\n", jn(p, "seed"));
    }
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(p, "latency_ms");
    put_lat(out, "fp32", cJSON_GetObjectItemCaseSensitive(lat, "fp32"));
    put_lat(out, "fp16 emulation", cJSON_GetObjectItemCaseSensitive(lat, "fp16_emulation"));
    put_lat(out, "typed precision (mixed program)", cJSON_GetObjectItemCaseSensitive(lat, "typed"));
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(p, "slowest_ops"), *it;
    if (cJSON_GetArraySize(ops) > 0) {
        fputs("  slowest ops (fp32, per run):", out);
        int k = 0;
        cJSON_ArrayForEach(it, ops) {
            fputs(k++ ? ", " : " ", out);
            put_clean(out, js(it, "op"));
            fputs(" (", out);
            put_clean(out, js(it, "kind"));
            fprintf(out, ") %.3g ms %.0f%%", jn(it, "ms"), 100.0 * jn(it, "share"));
        }
        fputc('\n', out);
    }
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(p, "memory");
    double peak = jn(p, "peak_rss_mb");
    if (!isnan(peak) || mem) {
        fprintf(out, "  memory: peak RSS %.4g MB", peak);
        const cJSON *runs = cJSON_GetObjectItemCaseSensitive(mem, "rss_after_run_mb");
        int n = cJSON_GetArraySize(runs);
        if (n > 0)
            fprintf(out, "; RSS after run 1 %.4g MB, after run %d %.4g MB (growth %.3g MB over repeated predictions after the first)",
                    cJSON_GetArrayItem(runs, 0)->valuedouble, n, cJSON_GetArrayItem(runs, n - 1)->valuedouble,
                    jn(mem, "growth_mb"));
        fputc('\n', out);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, "outputs")) {
        fputs("  output ", out);
        put_clean(out, js(it, "name"));
        if (isnan(jn(it, "values"))) {
            if (!isnan(jn(it, "class_fp32"))) {
                /* a classifier's label: the predicted class in both modes */
                fputs(": predicted class ", out);
                if (js(it, "label_fp32")) { fputc('\'', out); put_clean(out, js(it, "label_fp32")); fputs("' ", out); }
                fprintf(out, "(index %.0f); fp16 emulation: ", jn(it, "class_fp32"));
                if (jn(it, "class_fp16") == jn(it, "class_fp32")) fputs("the same class\n", out);
                else {
                    if (js(it, "label_fp16")) { fputc('\'', out); put_clean(out, js(it, "label_fp16")); fputs("' ", out); }
                    fprintf(out, "(index %.0f), a different class\n", jn(it, "class_fp16"));
                }
                continue;
            }
            fputs(": not a float tensor (not compared)\n", out);
            continue;
        }
        fprintf(out, ": max |y| %.4g; fp16 emulation vs fp32: ", jn(it, "max_abs"));
        if (isnan(jn(it, "fp16_linf"))) fputs("not comparable (non-finite values)", out);
        else
            fprintf(out, "L-inf %.3g, RMSE %.3g, max rel %.3g", jn(it, "fp16_linf"), jn(it, "fp16_rmse"),
                    jn(it, "fp16_max_rel"));
        if (!isnan(jn(it, "typed_linf")))
            fprintf(out, "; typed precision vs fp32: L-inf %.3g, RMSE %.3g", jn(it, "typed_linf"), jn(it, "typed_rmse"));
        double nf = jn(it, "nan_fp32") + jn(it, "inf_fp32"), nh = jn(it, "nan_fp16") + jn(it, "inf_fp16");
        if (nf > 0 || nh > 0) fprintf(out, "; non-finite values: %g in fp32, %g in fp16", nf, nh);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "random")))
            fputs("; depends on random_* ops (not judged for fp16)", out);
        fputc('\n', out);
    }
    const cJSON *cmp = cJSON_GetObjectItemCaseSensitive(p, "compare");
    if (cJSON_IsObject(cmp)) {
        fputs("  compare with baseline ", out);
        put_clean(out, js(cmp, "baseline"));
        if (js(cmp, "error")) {
            fputs(": ", out);
            put_clean(out, js(cmp, "error"));
            fputc('\n', out);
        } else {
            fputs(" (both in fp32; thresholds for ", out);
            put_clean(out, js(cmp, "precision"));
            fprintf(out, "; %g ops share a name)\n", jn(cmp, "shared_ops"));
            cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cmp, "outputs")) {
                fputs("    ", out);
                put_clean(out, js(it, "name"));
                fputs(" vs ", out);
                put_clean(out, js(it, "baseline_output"));
                fprintf(out, ": L-inf %.3g, RMSE %.3g, max rel %.3g (max |y| %.4g)\n", jn(it, "linf"), jn(it, "rmse"),
                        jn(it, "max_rel"), jn(it, "max_abs"));
            }
        }
    }
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(p, "coreml");
    if (cJSON_IsObject(cm)) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cm, "available"))) {
            fputs("  Core ML (", out);
            put_clean(out, js(cm, "os"));
            fprintf(out, "): compile %.3g ms\n", jn(cm, "compile_ms"));
            cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cm, "units")) {
                fputs("    ", out);
                put_clean(out, js(it, "compute_units"));
                if (js(it, "error")) {
                    fputs(": not measured: ", out);
                    put_clean(out, js(it, "error"));
                    fputc('\n', out);
                    continue;
                }
                const cJSON *l = cJSON_GetObjectItemCaseSensitive(it, "latency_ms");
                fprintf(out, ": load cold %.3g ms, warm %.3g ms; latency first %.3g ms, median %.3g ms, p90 %.3g ms",
                        jn(it, "cold_load_ms"), jn(it, "warm_load_ms"), jn(l, "first"), jn(l, "median"), jn(l, "p90"));
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "vs_reference_fp32");
                if (v) fprintf(out, "; vs reference fp32 L-inf %.3g, RMSE %.3g", jn(v, "linf"), jn(v, "rmse"));
                const cJSON *plan = cJSON_GetObjectItemCaseSensitive(it, "compute_plan");
                if (cJSON_IsObject(plan))
                    fprintf(out, "; compute plan: %g ops CPU, %g GPU, %g Neural Engine", jn(plan, "cpu"), jn(plan, "gpu"),
                            jn(plan, "neural_engine"));
                fputc('\n', out);
            }
        } else {
            fputs("  Core ML: not measured: ", out);
            put_clean(out, js(cm, "note"));
            fputc('\n', out);
        }
    }
    if (js(p, "host")) {
        fputs("  host: ", out);
        put_clean(out, js(p, "host"));
        fputc('\n', out);
    }
}

static void write_probe(FILE *out, const run_result *r) {
    const cJSON *probe = r->run_properties ? cJSON_GetObjectItemCaseSensitive(r->run_properties, "probe") : NULL;
    const cJSON *m;
    cJSON_ArrayForEach(m, probe) {
        if (cJSON_IsObject(m) && m->string) write_probe_model(out, m->string, m);
    }
}

int write_text(FILE *out, const run_result *r, bool color) {
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (!f || f->suppressed) continue;
        if (write_finding(out, f, color) < 0) return -1;
    }
    for (size_t i = 0; i < r->n_notes; i++)
        if (r->notes[i] && write_note(out, r->notes[i], color) < 0) return -1;
    write_probe(out, r);
    sarif_counts c;
    sarif_count(r, &c);
    fprintf(out, "%zu error%s, %zu warning%s, %zu note%s in %zu model%s", c.errors, plural(c.errors), c.warnings,
            plural(c.warnings), c.notes, plural(c.notes), r->n_models, plural(r->n_models));
    if (c.suppressed) fprintf(out, " (%zu suppressed)", c.suppressed);
    fputc('\n', out);
    return sarif_finish(out);
}

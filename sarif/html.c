/* SPDX-License-Identifier: Apache-2.0 */
/* html.c — the report people look at: one self-contained HTML file per run
 * (inline CSS and SVG; no script, no external resource — a Content Security
 * Policy of default-src 'none' makes sure nothing is fetched). At the top
 * the run's totals and a table of the models; then one section per model:
 * findings by level, format and type, size, minimum OS, compression, the
 * interface, the estimated compute-unit split (a bar per unit) and the op
 * histogram (from the report facts, run_properties["model"], see
 * core/cli/facts.c); after `probe`/`compare`, the latency per mode, the
 * slowest ops and the per-op fp16 divergence as bar charts and the outputs'
 * and the baseline comparison's figures (run_properties["probe"]); then the
 * model's findings (rule linked to its page, location, message, fix). Tool
 * notifications close the page. Every string from a model, a rule or a
 * property is untrusted: made valid UTF-8 and HTML-escaped, links only
 * http(s). Deterministic: the same run_result gives the same bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "format/sanitize.h"
#include "sarif/wcommon.h"
#include "sarif/writers.h"

#ifndef CML_VERSION
#define CML_VERSION "0.0.0"
#endif

#define HTML_MAX_FINDINGS_PER_MODEL 5000u
#define HTML_MAX_BARS 15

/* ---- escaping ------------------------------------------------------------------ */

/* Model text in the page: first the sanitizer's multi-line form (no
 * control characters, escapes or workflow-command lines: the page may be
 * printed or cat'ed into a CI log), then HTML's own escapes. */
static void esc(FILE *out, const char *s) {
    char *c = san_str(s ? s : "", SAN_TEXT);
    if (!c) return;
    for (const char *p = c; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*p, out);
        }
    }
    free(c);
}


/* A short number: 3 significant digits, no exponent for ordinary sizes. */
static void num(FILE *out, double v) {
    if (isnan(v)) fputs("?", out);
    else if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e7)) fprintf(out, "%.2e", v);
    else fprintf(out, "%.3g", v);
}


/* ---- charts: horizontal bars in inline SVG --------------------------------------------- */

typedef struct bar {
    const char *label;   /* untrusted */
    double value;
    const char *note;    /* text after the value, untrusted, may be NULL */
    const char *cls;     /* CSS class of the bar */
} bar;

/* A bar chart: one row per bar, the longest bar the largest value (log
 * scale when asked, for values that span decades). unit after each value. */
static void bars(FILE *out, const char *title, const bar *b, size_t n, const char *unit, bool log_scale) {
    if (!n) return;
    enum { W = 900, LABEL = 230, BAR = 360, ROW = 24 };
    double max = 0, min_pos = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (b[i].value > max) max = b[i].value;
        if (b[i].value > 0 && b[i].value < min_pos) min_pos = b[i].value;
    }
    double lo = log_scale && isfinite(min_pos) ? log10(min_pos) - 1 : 0;
    fprintf(out, "<figure><figcaption>");
    esc(out, title);
    fprintf(out, "</figcaption><svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %zu\" width=\"%d\" height=\"%zu\">"
                 "<title>",
            W, n * ROW + 4, W, n * ROW + 4);
    esc(out, title);
    fputs("</title>", out);
    for (size_t i = 0; i < n; i++) {
        double frac = 0;
        if (max > 0 && b[i].value > 0) {
            if (log_scale) {
                double hi = log10(max);
                frac = hi > lo ? (log10(b[i].value) - lo) / (hi - lo) : 1;
            } else {
                frac = b[i].value / max;
            }
        }
        if (frac < 0) frac = 0;
        if (frac > 1) frac = 1;
        double w = frac * BAR;
        if (b[i].value > 0 && w < 2) w = 2;
        size_t y = i * ROW + 2;
        fprintf(out, "<text x=\"%d\" y=\"%zu\" class=\"lbl\" text-anchor=\"end\">", LABEL - 8, y + 16);
        char *c = sarif_clean(b[i].label ? b[i].label : "?", true);
        if (c) {
            sarif_truncate_utf8(c, 40);
            esc(out, c);
            free(c);
        }
        fprintf(out, "</text><rect x=\"%d\" y=\"%zu\" width=\"%.1f\" height=\"%d\" rx=\"3\" class=\"%s\"/>", LABEL,
                y + 3, w, ROW - 8, b[i].cls ? b[i].cls : "b-main");
        fprintf(out, "<text x=\"%.1f\" y=\"%zu\" class=\"val\">", LABEL + w + 6, y + 16);
        num(out, b[i].value);
        if (unit && *unit) fprintf(out, " %s", unit);
        if (b[i].note) {
            fputs(" ", out);
            esc(out, b[i].note);
        }
        fputs("</text>", out);
    }
    fputs("</svg></figure>\n", out);
}

/* ---- page parts ---------------------------------------------------------------------- */

static const char CSS[] =
    ":root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0;--err:#cf222e;--warn:#9a6700;"
    "--note:#0969da;--ok:#1a7f37;--ne:#8250df;--gpu:#0969da;--cpu:#bc4c00;--unk:#818b98}"
    "@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;"
    "--line:#3d444d;--err:#ff7b72;--warn:#d29922;--note:#4493f8;--ok:#3fb950;--ne:#ab7df8;--gpu:#4493f8;"
    "--cpu:#f0883e;--unk:#9198a1}}"
    "*{box-sizing:border-box}body{margin:0;font:14px/1.5 -apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,"
    "Arial,sans-serif;color:var(--fg);background:var(--bg)}main{max-width:1100px;margin:0 auto;padding:24px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;padding-top:16px;border-top:1px solid "
    "var(--line);word-break:break-all}h3{font-size:15px;margin:20px 0 6px}.muted{color:var(--muted)}"
    "table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:5px 8px;border-bottom:"
    "1px solid var(--line);vertical-align:top}th{font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:"
    "tabular-nums}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}"
    ".pill{display:inline-block;padding:1px 9px;border-radius:10px;font-weight:600;font-size:12px;color:#fff}"
    ".l-error{background:var(--err)}.l-warning{background:var(--warn)}.l-note{background:var(--note)}"
    ".l-ok{background:var(--ok)}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}.card{background:"
    "var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:140px}.card b{display:"
    "block;font-size:17px}.card>span{color:var(--muted);font-size:12px}td.rule code{white-space:nowrap;word-break:normal}.pills{margin-top:4px}figure{margin:8px 0}figcaption{color:"
    "var(--muted);font-size:12px}svg.chart{max-width:100%;height:auto}svg text{font:12px -apple-system,"
    "BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;fill:var(--fg)}.b-main{fill:var(--note)}"
    ".b-ne{fill:var(--ne)}.b-gpu{fill:var(--gpu)}.b-cpu{fill:var(--cpu)}.b-unk{fill:var(--unk)}.b-warn{fill:"
    "var(--warn)}.b-err{fill:var(--err)}.fix{color:var(--muted)}a{color:var(--note)}";

static void head(FILE *out, const run_result *r) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
          "<meta name=\"generator\" content=\"coreml-lint ",
          out);
    esc(out, r->tool_version ? r->tool_version : CML_VERSION);
    fprintf(out, "\"><title>coreml-lint report</title><style>%s</style></head><body><main>\n", CSS);
}

static void pill(FILE *out, const char *cls, size_t n, const char *what) {
    fprintf(out, "<span class=\"pill %s\">%zu %s%s</span> ", cls, n, what, sarif_plural(n));
}

static void counts_pills(FILE *out, const sarif_counts *c) {
    if (!c->errors && !c->warnings && !c->notes) fputs("<span class=\"pill l-ok\">no findings</span> ", out);
    if (c->errors) pill(out, "l-error", c->errors, "error");
    if (c->warnings) pill(out, "l-warning", c->warnings, "warning");
    if (c->notes) pill(out, "l-note", c->notes, "note");
    if (c->suppressed) fprintf(out, "<span class=\"muted\">%zu suppressed</span>", c->suppressed);
}

/* "iOS 16.0, macOS 13.0, ..." from minimum_os */
static void min_os(FILE *out, const cJSON *mo) {
    static const char *const order[] = {"iOS", "macOS", "tvOS", "watchOS", "visionOS"};
    int k = 0;
    for (size_t i = 0; i < 5; i++) {
        const char *v = sarif_jstr(mo, order[i]);
        if (!v) continue;
        fprintf(out, "%s%s ", k++ ? ", " : "", order[i]);
        esc(out, v);
    }
    if (!k) fputs("?", out);
}

static void card_str(FILE *out, const char *label, const char *value) {
    fputs("<div class=\"card\"><span>", out);
    esc(out, label);
    fputs("</span><b>", out);
    esc(out, value && *value ? value : "?");
    fputs("</b></div>", out);
}

static void shape(FILE *out, const cJSON *f) {
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(f, "shape"), *d;
    if (!cJSON_IsArray(sh)) return;
    fputs(" [", out);
    int k = 0;
    cJSON_ArrayForEach(d, sh) {
        if (k++) fputs(", ", out);
        if (cJSON_IsNumber(d) && d->valuedouble >= 0) fprintf(out, "%.0f", d->valuedouble);
        else fputs("?", out);
        if (k >= 16) break;
    }
    fputs("]", out);
}

static void interface_rows(FILE *out, const char *dir, const cJSON *arr) {
    const cJSON *f;
    size_t k = 0;
    cJSON_ArrayForEach(f, arr) {
        if (++k > 200) break;
        fprintf(out, "<tr><td>%s</td><td><code>", dir);
        esc(out, sarif_jstr(f, "name"));
        fputs("</code></td><td>", out);
        esc(out, sarif_jstr(f, "type"));
        if (sarif_jstr(f, "dtype")) {
            fputs(" ", out);
            esc(out, sarif_jstr(f, "dtype"));
        }
        shape(out, f);
        fputs("</td></tr>\n", out);
    }
}

static void facts_section(FILE *out, const cJSON *facts, const sarif_counts *c) {
    char buf[64];
    fputs("<div class=\"cards\">", out);
    fputs("<div class=\"card\"><span>findings</span><div class=\"pills\">", out);
    counts_pills(out, c);
    fputs("</div></div>", out);
    if (!facts) {
        fputs("</div>\n", out);
        return;
    }
    card_str(out, "format", sarif_jstr(facts, "format"));
    card_str(out, "type", sarif_jstr(facts, "model_type"));
    cml_format_bytes(buf, sizeof buf, sarif_jnum(facts, "size_bytes"));
    card_str(out, "size on disk", buf);
    cml_format_bytes(buf, sizeof buf, sarif_jnum(facts, "weight_bytes"));
    card_str(out, "weights", buf);
    fputs("<div class=\"card\"><span>minimum OS (spec ", out);
    num(out, sarif_jnum(facts, "specification_version"));
    fputs(")</span><b>", out);
    min_os(out, cJSON_GetObjectItemCaseSensitive(facts, "minimum_os"));
    fputs("</b></div>", out);
    const cJSON *comp = cJSON_GetObjectItemCaseSensitive(facts, "compression");
    fputs("<div class=\"card\"><span>compression</span><b>", out);
    if (cJSON_IsObject(comp)) {
        esc(out, sarif_jstr(comp, "mode"));
        if (!isnan(sarif_jnum(comp, "nbits"))) fprintf(out, " %.0f-bit", sarif_jnum(comp, "nbits"));
        if (sarif_jstr(comp, "granularity")) {
            fputs(", ", out);
            esc(out, sarif_jstr(comp, "granularity"));
        }
        if (!isnan(sarif_jnum(comp, "compressed_weights"))) fprintf(out, " (%.0f weights)", sarif_jnum(comp, "compressed_weights"));
    } else {
        fputs("none", out);
    }
    fputs("</b></div></div>\n", out);

    const cJSON *in = cJSON_GetObjectItemCaseSensitive(facts, "inputs"),
                *outs = cJSON_GetObjectItemCaseSensitive(facts, "outputs"),
                *st = cJSON_GetObjectItemCaseSensitive(facts, "states");
    if (cJSON_GetArraySize(in) + cJSON_GetArraySize(outs) + cJSON_GetArraySize(st) > 0) {
        fputs("<h3>Interface</h3><table><tr><th></th><th>name</th><th>type</th></tr>\n", out);
        interface_rows(out, "input", in);
        interface_rows(out, "output", outs);
        interface_rows(out, "state", st);
        fputs("</table>\n", out);
    }

    const cJSON *cu = cJSON_GetObjectItemCaseSensitive(facts, "compute_units");
    double ne = sarif_jnum(cu, "neural_engine"), gpu = sarif_jnum(cu, "gpu"), cpu = sarif_jnum(cu, "cpu"), unk = sarif_jnum(cu, "unknown");
    double all = (ne > 0 ? ne : 0) + (gpu > 0 ? gpu : 0) + (cpu > 0 ? cpu : 0) + (unk > 0 ? unk : 0);
    if (all > 0) {
        char vnotes[4][32];
        double v[4] = {ne, gpu, cpu, unk};
        for (int i = 0; i < 4; i++)
            snprintf(vnotes[i], sizeof vnotes[i], "op%s (%.0f%%)", v[i] == 1 ? "" : "s", 100.0 * (v[i] > 0 ? v[i] : 0) / all);
        bar b[4] = {{"Neural Engine", ne, vnotes[0], "b-ne"},
                    {"GPU", gpu, vnotes[1], "b-gpu"},
                    {"CPU", cpu, vnotes[2], "b-cpu"},
                    {"unknown", unk, vnotes[3], "b-unk"}};
        fputs("<h3>Compute units (estimate)</h3>", out);
        bars(out, "Ops by the compute unit they are likely to run on (static estimate; the probe on a Mac measures it)",
             b, unk > 0 ? 4 : 3, NULL, false);
    }

    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(facts, "op_histogram");
    size_t nk = (size_t)cJSON_GetArraySize(hist);
    if (nk) {
        const cJSON **items = calloc(nk, sizeof *items);
        if (!items) return;
        size_t n = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, hist) if (cJSON_IsNumber(it) && n < nk) items[n++] = it;
        /* by count, then name: a stable order */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0; j--) {
                const cJSON *a = items[j - 1], *b2 = items[j];
                bool swap = b2->valuedouble > a->valuedouble ||
                            (b2->valuedouble == a->valuedouble && strcmp(b2->string, a->string) < 0);
                if (!swap) break;
                items[j - 1] = b2;
                items[j] = a;
            }
        size_t shown = n < HTML_MAX_BARS ? n : HTML_MAX_BARS;
        bar b[HTML_MAX_BARS];
        double total = 0;
        for (size_t i = 0; i < n; i++) total += items[i]->valuedouble;
        for (size_t i = 0; i < shown; i++) b[i] = (bar){items[i]->string, items[i]->valuedouble, NULL, "b-main"};
        char title[160];
        snprintf(title, sizeof title, "%.0f ops of %zu kinds%s", total, n,
                 n > shown ? " (the most frequent shown)" : "");
        fputs("<h3>Ops</h3>", out);
        bars(out, title, b, shown, NULL, false);
        free(items);
    }
}

static void latency_chart(FILE *out, const cJSON *p) {
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(p, "latency_ms");
    static const char *const modes[][2] = {
        {"fp32", "reference fp32"}, {"fp16_emulation", "fp16 emulation"}, {"typed", "typed precision"}};
    bar b[3 + 8];
    char vnotes[3 + 8][96];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(lat, modes[i][0]);
        if (!cJSON_IsObject(l) || isnan(sarif_jnum(l, "median"))) continue;
        snprintf(vnotes[n], sizeof vnotes[n], "median (p90 %.3g, first %.3g, %.0f runs)", sarif_jnum(l, "p90"), sarif_jnum(l, "first"),
                 sarif_jnum(l, "runs"));
        b[n] = (bar){modes[i][1], sarif_jnum(l, "median"), vnotes[n], "b-main"};
        n++;
    }
    /* Core ML itself, per compute-unit setting (Apple platforms only) */
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(p, "coreml"), *u;
    cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(cm, "units")) {
        if (n >= 3 + 8) break;
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(u, "latency_ms");
        if (sarif_jstr(u, "error") || isnan(sarif_jnum(l, "median"))) continue;
        snprintf(vnotes[n], sizeof vnotes[n], "median (p90 %.3g)", sarif_jnum(l, "p90"));
        b[n] = (bar){sarif_jstr(u, "compute_units"), sarif_jnum(l, "median"), vnotes[n], "b-ne"};
        n++;
    }
    bars(out, "Latency per prediction, per mode", b, n, "ms", false);
}

static void ops_chart(FILE *out, const cJSON *arr, const char *title, const char *value_key, const char *unit,
                      const char *cls, bool log_scale, const char *note_key) {
    bar b[HTML_MAX_BARS];
    char vnotes[HTML_MAX_BARS][64];
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (n >= HTML_MAX_BARS) break;
        if (isnan(sarif_jnum(it, value_key))) continue;
        vnotes[n][0] = 0;
        if (note_key && !strcmp(note_key, "share") && !isnan(sarif_jnum(it, "share")))
            snprintf(vnotes[n], sizeof vnotes[n], "(%.0f%% of the run)", 100.0 * sarif_jnum(it, "share"));
        else if (note_key && !strcmp(note_key, "growth") && !isnan(sarif_jnum(it, "growth")))
            snprintf(vnotes[n], sizeof vnotes[n], "(grows %.2g here)", sarif_jnum(it, "growth"));
        b[n] = (bar){sarif_jstr(it, "op"), sarif_jnum(it, value_key), vnotes[n][0] ? vnotes[n] : NULL, cls};
        n++;
    }
    bars(out, title, b, n, unit, log_scale);
}

static void probe_section(FILE *out, const cJSON *p) {
    fputs("<h3>Runtime probe</h3><p>", out);
    fputs("status <b>", out);
    esc(out, sarif_jstr(p, "status"));
    fputs("</b>", out);
    if (sarif_jstr(p, "message")) {
        fputs(": ", out);
        esc(out, sarif_jstr(p, "message"));
    }
    if (sarif_jstr(p, "executor")) {
        fputs(" · ", out);
        esc(out, sarif_jstr(p, "executor"));
        fputs(", ", out);
        esc(out, sarif_jstr(p, "blas"));
        fputs(" · typed precision ", out);
        esc(out, sarif_jstr(p, "typed_precision"));
        fputs(" · load ", out);
        num(out, sarif_jnum(p, "load_ms"));
        fputs(" ms · peak RSS ", out);
        num(out, sarif_jnum(p, "peak_rss_mb"));
        fputs(" MB", out);
    }
    fputs("</p>\n", out);
    latency_chart(out, p);
    ops_chart(out, cJSON_GetObjectItemCaseSensitive(p, "slowest_ops"), "Slowest ops (fp32, per prediction)", "ms",
              "ms", "b-warn", false, "share");
    ops_chart(out, cJSON_GetObjectItemCaseSensitive(p, "fp16_divergence_ops"),
              "fp16 divergence per op: relative error of the op's output in fp16 emulation against fp32 (log scale)",
              "rel_err", NULL, "b-err", true, "growth");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(p, "outputs"), *it;
    if (cJSON_GetArraySize(outs) > 0) {
        fputs("<table><tr><th>output</th><th class=\"n\">max |y|</th><th class=\"n\">fp16 L-inf</th>"
              "<th class=\"n\">fp16 RMSE</th><th class=\"n\">fp16 max rel</th><th class=\"n\">NaN/Inf fp32</th>"
              "<th class=\"n\">NaN/Inf fp16</th></tr>\n",
              out);
        size_t k = 0;
        cJSON_ArrayForEach(it, outs) {
            if (++k > 100) break;
            fputs("<tr><td><code>", out);
            esc(out, sarif_jstr(it, "name"));
            fputs("</code></td>", out);
            static const char *const keys[] = {"max_abs", "fp16_linf", "fp16_rmse", "fp16_max_rel"};
            for (size_t i = 0; i < 4; i++) {
                fputs("<td class=\"n\">", out);
                num(out, sarif_jnum(it, keys[i]));
                fputs("</td>", out);
            }
            fputs("<td class=\"n\">", out);
            num(out, sarif_jnum(it, "nan_fp32") + sarif_jnum(it, "inf_fp32"));
            fputs("</td><td class=\"n\">", out);
            num(out, sarif_jnum(it, "nan_fp16") + sarif_jnum(it, "inf_fp16"));
            fputs("</td></tr>\n", out);
        }
        fputs("</table>\n", out);
    }
    const cJSON *cmp = cJSON_GetObjectItemCaseSensitive(p, "compare");
    if (cJSON_IsObject(cmp)) {
        fputs("<h3>Compared with its baseline</h3><p><code>", out);
        esc(out, sarif_jstr(cmp, "baseline"));
        fputs("</code>", out);
        if (sarif_jstr(cmp, "error")) {
            fputs(": ", out);
            esc(out, sarif_jstr(cmp, "error"));
            fputs("</p>\n", out);
        } else {
            fputs(" (both in fp32; thresholds for ", out);
            esc(out, sarif_jstr(cmp, "precision"));
            fputs(")</p><table><tr><th>output</th><th>baseline output</th><th class=\"n\">L-inf</th>"
                  "<th class=\"n\">RMSE</th><th class=\"n\">max rel</th></tr>\n",
                  out);
            size_t k = 0;
            cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cmp, "outputs")) {
                if (++k > 100) break;
                fputs("<tr><td><code>", out);
                esc(out, sarif_jstr(it, "name"));
                fputs("</code></td><td><code>", out);
                esc(out, sarif_jstr(it, "baseline_output"));
                fputs("</code></td>", out);
                static const char *const keys[] = {"linf", "rmse", "max_rel"};
                for (size_t i = 0; i < 3; i++) {
                    fputs("<td class=\"n\">", out);
                    num(out, sarif_jnum(it, keys[i]));
                    fputs("</td>", out);
                }
                fputs("</tr>\n", out);
            }
            fputs("</table>\n", out);
        }
    }
    if (sarif_jstr(p, "host")) {
        fputs("<p class=\"muted\">", out);
        esc(out, sarif_jstr(p, "host"));
        fputs("</p>\n", out);
    }
}

static void finding_row(FILE *out, const finding *f) {
    const char *lvl = level_name(f->level == LEVEL_NONE ? LEVEL_NOTE : f->level);
    fprintf(out, "<tr><td><span class=\"pill l-%s\">%s</span></td><td class=\"rule\">", lvl, lvl);
    const char *rid = sarif_rule_id(f);
    char *uri = f->rule ? rule_help_uri(f->rule) : NULL;
    if (sarif_safe_url(uri)) {
        fputs("<a href=\"", out);
        esc(out, uri);
        fputs("\"><code>", out);
        esc(out, rid);
        fputs("</code></a>", out);
    } else {
        fputs("<code>", out);
        esc(out, rid);
        fputs("</code>", out);
    }
    free(uri);
    fputs("</td><td>", out);
    char *msg = sarif_display_message(f);
    esc(out, msg ? msg : f->message);
    free(msg);
    if (f->fix && *f->fix) {
        fputs("<div class=\"fix\">fix: ", out);
        esc(out, f->fix);
        fputs("</div>", out);
    }
    fputs("</td><td><code>", out);
    if (f->loc.artifact && *f->loc.artifact) esc(out, f->loc.artifact);
    if (f->loc.line) fprintf(out, ":%u", (unsigned)f->loc.line);
    if (f->loc.logical && *f->loc.logical) {
        if (f->loc.artifact && *f->loc.artifact) fputs(" ", out);
        esc(out, f->loc.logical);
    }
    fputs("</code></td></tr>\n", out);
}

static void model_section(FILE *out, const run_result *r, const sarif_view *v, size_t idx) {
    const run_model *m = r->models[idx];
    const sarif_model_view *mv = &v->models[idx];
    fprintf(out, "<section id=\"m%zu\"><h2>", idx + 1);
    esc(out, m->path);
    fputs("</h2>\n", out);
    facts_section(out, mv->facts, &mv->counts);
    if (mv->probe) probe_section(out, mv->probe);
    size_t n = 0;
    for (size_t i = mv->lo; i < mv->hi; i++) {
        const finding *f = v->findings[i];
        if (f->suppressed) continue;
        if (!n) fputs("<h3>Findings</h3><table><tr><th>level</th><th>rule</th><th>message</th><th>where</th></tr>\n",
                      out);
        if (++n > HTML_MAX_FINDINGS_PER_MODEL) continue;
        finding_row(out, f);
    }
    if (n) fputs("</table>\n", out);
    if (n > HTML_MAX_FINDINGS_PER_MODEL)
        fprintf(out, "<p class=\"muted\">%zu more findings are in the SARIF and JSON reports.</p>\n",
                n - HTML_MAX_FINDINGS_PER_MODEL);
    fputs("</section>\n", out);
}

static void overview(FILE *out, const run_result *r, const sarif_view *v) {
    fputs("<table><tr><th>model</th><th>format</th><th class=\"n\">errors</th><th class=\"n\">warnings</th>"
          "<th class=\"n\">notes</th><th class=\"n\">size</th><th>minimum iOS</th>"
          "<th class=\"n\">Neural Engine (est.)</th></tr>\n",
          out);
    for (size_t i = 0; i < r->n_models; i++) {
        const run_model *m = r->models[i];
        const cJSON *facts = v->models[i].facts;
        sarif_counts c = v->models[i].counts;
        char size[64] = "";
        if (facts) cml_format_bytes(size, sizeof size, sarif_jnum(facts, "size_bytes"));
        fprintf(out, "<tr><td><a href=\"#m%zu\"><code>", i + 1);
        esc(out, m->path);
        fputs("</code></a></td><td>", out);
        esc(out, m->format);
        fprintf(out, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%s"
                     "</td><td>",
                c.errors, c.warnings, c.notes, size);
        esc(out, sarif_jstr(cJSON_GetObjectItemCaseSensitive(facts, "minimum_os"), "iOS"));
        fputs("</td><td class=\"n\">", out);
        double cov = sarif_jnum(facts, "ane_op_coverage_pct");
        if (!isnan(cov)) fprintf(out, "%.0f%%", cov);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void notes_section(FILE *out, const run_result *r) {
    if (!r->n_notes) return;
    fputs("<h2>Tool notifications</h2><p class=\"muted\">Problems in rules, plugins or the configuration, not in "
          "the models.</p><table><tr><th>level</th><th>kind</th><th>message</th></tr>\n",
          out);
    for (size_t i = 0; i < r->n_notes; i++) {
        const notification *n = r->notes[i];
        if (!n) continue;
        const char *lvl = level_name(n->level == LEVEL_NONE ? LEVEL_NOTE : n->level);
        fprintf(out, "<tr><td><span class=\"pill l-%s\">%s</span></td><td><code>", lvl, lvl);
        esc(out, n->kind);
        if (n->rule_id) {
            fputs(" ", out);
            esc(out, n->rule_id);
        }
        fputs("</code></td><td>", out);
        esc(out, n->message);
        if (n->file) {
            fputs(" <span class=\"muted\">(", out);
            esc(out, n->file);
            if (n->line) fprintf(out, ":%u", (unsigned)n->line);
            fputs(")</span>", out);
        }
        if (n->count > 1) fprintf(out, " <span class=\"muted\">(%zu times)</span>", n->count);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static int write_html(FILE *out, const run_result *r, const writer_opts *wo) {
    (void)wo;
    head(out, r);
    sarif_counts c;
    sarif_count(r, &c);
    fputs("<header><h1>coreml-lint report</h1><p>", out);
    counts_pills(out, &c);
    fprintf(out, " in %zu model%s · %zu rule%s enabled · coreml-lint ", r->n_models, sarif_plural(r->n_models), r->n_rules,
            sarif_plural(r->n_rules));
    esc(out, r->tool_version ? r->tool_version : CML_VERSION);
    fputs("</p></header>\n", out);
    sarif_view v;
    if (sarif_view_init(&v, r) != 0) return -1;
    if (r->n_models) overview(out, r, &v);
    else fputs("<p>No models were checked.</p>\n", out);
    for (size_t i = 0; i < r->n_models; i++) model_section(out, r, &v, i);
    sarif_view_free(&v);
    notes_section(out, r);
    fputs("<footer><p class=\"muted\">Compute-unit figures are static estimates; latency and divergence come from "
          "the runtime probe's reference CPU executor (fp32 and fp16 emulation). The SARIF report carries the same "
          "findings for code scanning.</p></footer>\n</main></body></html>\n",
          out);
    return sarif_finish(out);
}

const report_writer cml_format_html = {"html", "one self-contained HTML page: per-model summary, charts, findings", write_html, true};

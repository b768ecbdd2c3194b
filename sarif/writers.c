/* SPDX-License-Identifier: Apache-2.0 */
/* writers.c — the table of report formats (writers.h). */
#include <string.h>

#include "sarif/writers.h"

static int w_text(FILE *out, const run_result *r, const writer_opts *wo) { return write_text(out, r, wo && wo->color); }
static int w_sarif(FILE *out, const run_result *r, const writer_opts *wo) { return (void)wo, write_sarif(out, r); }
static int w_json(FILE *out, const run_result *r, const writer_opts *wo) { return (void)wo, write_json(out, r); }
static int w_github(FILE *out, const run_result *r, const writer_opts *wo) { return (void)wo, write_github(out, r); }
static int w_html(FILE *out, const run_result *r, const writer_opts *wo) { return (void)wo, write_html(out, r); }
static int w_xcode(FILE *out, const run_result *r, const writer_opts *wo) { return (void)wo, write_xcode(out, r); }
static int w_markdown(FILE *out, const run_result *r, const writer_opts *wo) {
    return (void)wo, write_markdown(out, r);
}

static const report_writer WRITERS[] = {
    {"text", "path: level: message [rule] lines, for people, Xcode and editors", w_text, false},
    {"sarif", "SARIF 2.1.0, for GitHub code scanning and SARIF viewers", w_sarif, false},
    {"json", "findings and facts as JSON, for scripts", w_json, false},
    {"github", "GitHub Actions workflow-command annotations", w_github, false},
    {"xcode", "path:1:1: warning: message lines on the model, for an Xcode Run Script build phase", w_xcode, false},
    {"html", "one self-contained HTML page: per-model summary, charts, findings", w_html, true},
    {"markdown", "compact Markdown for job summaries and pull-request comments", w_markdown, true},
};

const report_writer *report_writers(size_t *n) {
    if (n) *n = sizeof WRITERS / sizeof WRITERS[0];
    return WRITERS;
}

const report_writer *report_writer_find(const char *name) {
    for (size_t i = 0; name && i < sizeof WRITERS / sizeof WRITERS[0]; i++)
        if (!strcmp(WRITERS[i].name, name)) return &WRITERS[i];
    return NULL;
}

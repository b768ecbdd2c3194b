/* SPDX-License-Identifier: Apache-2.0 */
/* writers.h — the output writers of coreml-lint: SARIF 2.1.0 for code
 * scanning (sarif.c), clang/Xcode-style text lines (text.c), JSON for scripts
 * (json.c), GitHub Actions workflow-command annotations (github.c), an HTML
 * page (html.c), Markdown for job summaries (markdown.c) and Xcode issue
 * lines (xcode.c). Each
 * reads only a finished run_result (core/host/run.h), never the IR, writes one
 * complete document to `out`, skips suppressed findings (except json, which
 * lists them flagged) and returns 0, or -1 when writing failed (ferror) or
 * memory ran out. Output is deterministic: the same run_result gives the same
 * bytes. The command line finds them by name in one table (writers.c):
 * a new format is one file and one row there. */
#ifndef CML_WRITERS_H
#define CML_WRITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "host/run.h"
#include "host/util.h"

int write_sarif(FILE *out, const run_result *r);
int write_text(FILE *out, const run_result *r, bool color);
int write_json(FILE *out, const run_result *r);
int write_github(FILE *out, const run_result *r);
/* One self-contained HTML page (html.c) and the compact Markdown of job
 * summaries and PR comments (markdown.c); both show the per-model facts of
 * run_properties["model"] (run_opts.model_facts) when the run has them. */
int write_html(FILE *out, const run_result *r);
int write_markdown(FILE *out, const run_result *r);
/* `/abs/Model.mlpackage:1:1: warning: message [rule]` lines for an Xcode Run
 * Script phase, on the model the project holds (xcode.c). */
int write_xcode(FILE *out, const run_result *r);

typedef struct writer_opts {
    bool color;               /* ANSI colours (text on a terminal) */
} writer_opts;

typedef struct report_writer {
    const char *name;         /* the --format value */
    const char *summary;
    int (*write)(FILE *out, const run_result *r, const writer_opts *wo);
    bool facts;               /* shows the per-model facts: the run collects them
                                 (run_opts.model_facts) */
} report_writer;

/* Every report format, and one by name (NULL if none). */
const report_writer *report_writers(size_t *n);
const report_writer *report_writer_find(const char *name);

#endif

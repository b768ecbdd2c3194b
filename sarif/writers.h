/* writers.h — the output writers of coreml-lint: SARIF 2.1.0 for code
 * scanning (sarif.c), clang/Xcode-style text lines (text.c), JSON for scripts
 * (json.c), GitHub Actions workflow-command annotations (github.c), an HTML
 * page (html.c) and Markdown for job summaries (markdown.c). Each
 * reads only a finished run_result (core/host/host.h), never the IR, writes one
 * complete document to `out`, skips suppressed findings (except json, which
 * lists them flagged) and returns 0, or -1 when writing failed (ferror) or
 * memory ran out. Output is deterministic: the same run_result gives the same
 * bytes. core/host/host.h declares the same prototypes. */
#ifndef CML_WRITERS_H
#define CML_WRITERS_H

#include <stdbool.h>
#include <stdio.h>

#include "host/host.h"

int write_sarif(FILE *out, const run_result *r);
int write_text(FILE *out, const run_result *r, bool color);
int write_json(FILE *out, const run_result *r);
int write_github(FILE *out, const run_result *r);
/* One self-contained HTML page (html.c) and the compact Markdown of job
 * summaries and PR comments (markdown.c); both show the per-model facts of
 * run_properties["model"] (run_opts.model_facts) when the run has them. */
int write_html(FILE *out, const run_result *r);
int write_markdown(FILE *out, const run_result *r);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* writers.h — the output writers of coreml-lint: SARIF 2.1.0 for code
 * scanning (sarif.c), clang/Xcode-style text lines (text.c), JSON for scripts
 * (json.c), GitHub Actions workflow-command annotations (github.c), an HTML
 * page (html.c), Markdown for job summaries (markdown.c) and Xcode issue
 * lines (xcode.c). Each reads only a finished run_result (core/host/run.h),
 * never the IR, writes one complete document to `out`, skips suppressed
 * findings (except json, which lists them flagged) and returns 0, or -1 when
 * writing failed (ferror) or memory ran out. Output is deterministic: the
 * same run_result gives the same bytes.
 *
 * A writer is one file, sarif/NAME.c, that ends with its record
 *     const report_writer cml_format_NAME = {"NAME", "summary", write_NAME, facts};
 * and one line in sarif/formats.def; the command line, the man page and the
 * completions find it by name in the table made from that list. */
#ifndef CML_WRITERS_H
#define CML_WRITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "host/run.h"
#include "host/util.h"

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

/* Every report format, in formats.def's order, and one by name (NULL if
 * none). */
const report_writer *const *report_writers(size_t *n);
const report_writer *report_writer_find(const char *name);

#endif

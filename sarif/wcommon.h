/* SPDX-License-Identifier: Apache-2.0 */
/* wcommon.h — helpers shared by the writers in sarif/: level names, the
 * path a finding points at (model path joined with its artifact), RFC 3986
 * percent-encoding of paths for SARIF URIs, text-artifact detection, the
 * display message (which names the op), UTF-8 cleaning for JSON strings and
 * terminal-safe text, summary counts. Internal to sarif/; every function
 * returns freshly malloc'd memory the caller frees, or NULL when out of
 * memory. */
#ifndef CML_WCOMMON_H
#define CML_WCOMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "coreml-lint/text.h" /* cml_format_bytes: sizes for people */
#include "host/run.h"
#include "host/util.h"

/* o[k] as a number (NAN when absent or not one) / as a string (NULL). */
double sarif_jnum(const cJSON *o, const char *k);
const char *sarif_jstr(const cJSON *o, const char *k);
/* The finding's rule id: its own, else its rule's, else "unknown/unknown"
 * (never NULL or empty, so every format names some rule). */
const char *sarif_rule_id(const finding *f);
/* "" for 1, "s" otherwise. */
const char *sarif_plural(size_t n);

/* malloc'd copy of s (NULL -> ""). */
char *sarif_strdup(const char *s);
/* malloc'd printf. */
char *sarif_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* model + "/" + artifact, or model alone when artifact is NULL or "". */
char *sarif_join_path(const char *model, const char *artifact);
/* The file a finding points at (sarif_join_path of model_path and loc.artifact). */
char *sarif_finding_path(const finding *f);

/* Percent-encode path for use in a URI: keeps RFC 3986 unreserved characters
 * (ALPHA DIGIT - . _ ~) and '/', encodes every other byte as %XX. */
char *sarif_uri_encode(const char *path);
/* The SARIF URI of a path (relative to working_dir when not absolute),
 * relative to base, the run's source root (NULL: working_dir), since
 * GitHub places results by their path from the repository root and
 * rejects a log with an absolute file URI outside the checkout (multitool
 * GH1006): normalised ("./", "a/.." and "//" removed; "../" where the path
 * lies outside base), then percent-encoded (*relative = true). Only an
 * absolute path with neither directory known becomes a file:// URI
 * (*relative = false). */
char *sarif_path_uri(const char *path, const char *working_dir, const char *base, bool *relative);
/* A path of the run (relative to its working directory, or absolute) as a
 * path from its source root, for annotations GitHub places in the
 * repository; malloc'd. */
char *sarif_root_path(const run_result *r, const char *path);
/* file:// URI of an absolute directory, ending in '/'. */
char *sarif_dir_uri(const char *dir);

/* s (sanitized) as a GitHub workflow command's message, or as one of its
 * properties (prop: ':' and ',' escaped too); 0, or -1 out of memory. */
int sarif_gh_escape(FILE *out, const char *s, bool prop);
/* True for artifacts stored as text (.mil, .json, .txt, .yaml/.yml). */
bool sarif_is_text_artifact(const char *path);
/* True when the finding carries a real line in a text artifact. */
bool sarif_has_text_pos(const finding *f);
bool sarif_loc_has_text_pos(const cml_loc *loc);

/* The short name of a logical location (a suffix of it): the last '/'
 * segment ("main/conv_12" -> "conv_12", "main/w:val" -> "w:val"), or the
 * layer name after an index ("pipeline[1]/layers[3]:conv1" -> "conv1"). */
const char *sarif_logical_name(const char *logical);

/* The finding's message, with " (in <logical>)" appended when the message
 * does not already name the op (its sarif_logical_name, or the op part of
 * an "op:argument" segment). */
char *sarif_display_message(const finding *f);

/* The sanitizer's (format/sanitize.h) copy of s: SAN_LINE with one_line
 * (terminals and line-oriented formats), else SAN_UTF8 (for cJSON). */
char *sarif_clean(const char *s, bool one_line);
/* A path for the head of a `path:line:col: level:` diagnostic: cleaned as
 * one line, and every ':' written as U+FF1A FULLWIDTH COLON, so that a file
 * named "App.swift:42:7: error: x.mlmodel" cannot forge another file's
 * line and level for Xcode or an editor's problem matcher. malloc'd. */
char *sarif_diag_path(const char *s);

/* A message for a `path:line:col: level: message` line: cleaned as one
 * line, and the ':' before "LINE: level: " or "LINE:COL: level: " (level
 * error, warning or note) written as U+FF1A, so that a layer named
 * "bn:99: error: fine" cannot make an editor's problem matcher, or Xcode,
 * read a line number and a level out of the message. malloc'd. */
char *sarif_diag_text(const char *s);

/* Truncate a valid UTF-8 string in place to at most max bytes, ending in
 * "..." when cut, never splitting a code point. */
void sarif_truncate_utf8(char *s, size_t max);

typedef struct sarif_counts {
    size_t errors, warnings, notes, suppressed;
} sarif_counts;
/* Unsuppressed findings by level (LEVEL_NONE counts as a note), and the
 * number of suppressed ones. */
void sarif_count(const run_result *r, sarif_counts *c);

/* Print root as formatted JSON and a newline through the sanitizer's
 * san_json (valid UTF-8, nothing a log or terminal would act on): 0, or -1
 * when out of memory. */
int sarif_put_json(FILE *out, const cJSON *root);
/* The report by model, for the writers that show one section per model
 * (html, markdown), built in one pass: asking per model for its findings,
 * counts and facts was models x findings (16,000 models: 38 s of HTML). */
typedef struct sarif_model_view {
    size_t lo, hi;              /* its findings: view.findings[lo..hi), in report order */
    sarif_counts counts;        /* as sarif_count, for this model */
    const cJSON *facts, *probe; /* run_properties["model"|"probe"][its path] when objects, else NULL */
} sarif_model_view;

typedef struct sarif_view {
    const finding **findings;   /* the run's findings grouped by model, report order within one */
    size_t n_findings;
    sarif_model_view *models;   /* parallel to run_result.models */
    size_t n_models;
    bool any_facts;             /* some model has facts */
} sarif_view;

/* 0, or -1 out of memory. */
int sarif_view_init(sarif_view *v, const run_result *r);
void sarif_view_free(sarif_view *v);

/* A rule's help URI that a Markdown or HTML report may turn into a link:
 * http(s), and no space, control, non-ASCII, quote, angle bracket,
 * parenthesis or square bracket (Markdown link syntax; "##[" is a
 * workflow command). */
bool sarif_safe_url(const char *u);

/* fflush + ferror: 0, or -1 when anything failed to write. */
int sarif_finish(FILE *out);

#endif

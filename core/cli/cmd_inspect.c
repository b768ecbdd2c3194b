/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_inspect.c — `inspect`: paths are expanded (folders searched for
 * models), each model is loaded on its own (a bad one never stops the
 * next) and its facts are written as text or JSON (an array with one
 * object per model). */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/discover.h"
#include "cli/inspect.h"
#include "cli/session.h"
#include "format/sanitize.h"
#include "ir/model.h"

int cmd_inspect(const cli_command *c, cli_opts *o) {
    (void)c;
    const char *format = o->format ? o->format : "text";
    if (strcmp(format, "text") && strcmp(format, "json")) {
        fprintf(stderr, "coreml-lint inspect: --format must be text or json, not '%s'\n", format);
        return 2;
    }
    path_list paths = {0};
    for (size_t i = 0; i < o->args.n; i++) {
        discover_status ds = discover_path(o->args.v[i], &paths);
        if (ds != DISCOVER_OK) {
            discover_complain("inspect", o->args.v[i], ds);
            path_list_free(&paths);
            return 2;
        }
    }
    for (size_t i = 0; i < paths.n_skipped; i++) cli_errorf("coreml-lint: warning: %s", paths.skipped[i]);
    if (!paths.n) {
        fprintf(stderr, "coreml-lint inspect: no model paths given\n");
        path_list_free(&paths);
        return 2;
    }
    report_file rf;
    if (session_output_open(&rf, o->output) != 0) {
        path_list_free(&paths);
        return 2;
    }
    FILE *out = rf.f;
    cJSON *arr = !strcmp(format, "json") ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < paths.n; i++) {
        lmodel *lm = loader_load(paths.items[i], NULL);
        if (!lm || !lm->model) {
            cli_errorf("coreml-lint: out of memory loading '%s'", paths.items[i]);
            loader_free(lm);
            continue;
        }
        if (arr) cJSON_AddItemToArray(arr, inspect_json(lm->model));
        else {
            if (i) fputc('\n', out);
            inspect_text(out, lm->model);
        }
        loader_free(lm);
    }
    if (arr) {
        /* model strings go out through the sanitizer (format/sanitize.h) */
        char *s = cJSON_Print(arr);
        char *safe = s ? san_json(s) : NULL;
        if (safe) {
            fputs(safe, out);
            fputc('\n', out);
        }
        free(s);
        free(safe);
        cJSON_Delete(arr);
    }
    int rc = session_output_commit(&rf) ? 2 : 0;
    path_list_free(&paths);
    return rc;
}

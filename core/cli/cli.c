/* cli.c — command dispatch and the `inspect` command.
 *
 * Last stage of the data flow for `inspect`: paths are expanded
 * (directories searched for models), each model is loaded on its own (a bad
 * one never stops the next) and its facts are written to stdout as text or
 * JSON (an array with one object per model). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/discover.h"
#include "cli/inspect.h"
#include "ir/model.h"

static void usage(FILE *out) {
    fputs("usage: coreml-lint [check] [options] PATH...\n"
          "       coreml-lint inspect [--format text|json] [-o FILE] PATH...\n"
          "       coreml-lint rules [ID]\n"
          "       coreml-lint --version\n"
          "\n"
          "PATH is an .mlmodel file, an .mlpackage or .mlmodelc folder, or a folder to search.\n",
          out);
}

static int cmd_inspect(int argc, char **argv) {
    const char *format = "text", *outpath = NULL;
    path_list paths = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--format") && i + 1 < argc) format = argv[++i];
        else if (!strncmp(a, "--format=", 9)) format = a + 9;
        else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) outpath = argv[++i];
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); path_list_free(&paths); return 0; }
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "coreml-lint inspect: unknown option '%s'\n", a);
            path_list_free(&paths);
            return 2;
        } else discover_models(a, &paths);
    }
    if (strcmp(format, "text") && strcmp(format, "json")) {
        fprintf(stderr, "coreml-lint inspect: --format must be text or json, not '%s'\n", format);
        path_list_free(&paths);
        return 2;
    }
    if (!paths.n) {
        fprintf(stderr, "coreml-lint inspect: no model paths given\n");
        path_list_free(&paths);
        return 2;
    }
    FILE *out = stdout;
    if (outpath && !(out = fopen(outpath, "w"))) {
        fprintf(stderr, "coreml-lint inspect: cannot write '%s': %s\n", outpath, strerror(errno));
        path_list_free(&paths);
        return 2;
    }
    cJSON *arr = !strcmp(format, "json") ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < paths.n; i++) {
        lmodel *lm = loader_load(paths.items[i], NULL);
        if (!lm || !lm->model) {
            fprintf(stderr, "coreml-lint: out of memory loading '%s'\n", paths.items[i]);
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
        char *s = cJSON_Print(arr);
        if (s) {
            fputs(s, out);
            fputc('\n', out);
            free(s);
        }
        cJSON_Delete(arr);
    }
    int rc = 0;
    if (out != stdout && fclose(out) != 0) rc = 2;
    else if (out == stdout && fflush(stdout) != 0) rc = 2;
    path_list_free(&paths);
    return rc;
}

int cli_main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("coreml-lint %s\n", CML_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "inspect")) return cmd_inspect(argc - 2, argv + 2);
    return cli_check_main(argc, argv);
}

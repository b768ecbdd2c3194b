/* SPDX-License-Identifier: Apache-2.0 */
/* discover.h — expand command-line paths into model paths.
 * A file or a model folder (.mlpackage, .mlmodelc, or a folder with
 * Manifest.json / model.mil) is a model; any other folder is searched
 * (depth-limited, sorted, symlinks not followed) for models. A path inside
 * a model folder (what pre-commit and `git diff --name-only` pass:
 * Foo.mlpackage/Manifest.json, Foo.mlpackage/Data/com.apple.CoreML/model.mlmodel)
 * stands for that model folder, and each model is listed once however many
 * of its files are given. */
#ifndef CML_DISCOVER_H
#define CML_DISCOVER_H

#include <stddef.h>

#include "host/util.h"

typedef struct path_list {
    char **items;
    size_t n, cap;
    /* what the search did not look at, one sentence each (a folder deeper
     * than the limit, a folder that cannot be read): the caller reports
     * them, the search itself never prints */
    char **skipped;
    size_t n_skipped, cap_skipped;
    host_strset seen;   /* items[0..indexed), for add_once: 80,000 models made a scan of
                           every item per item quadratic (68 s) */
    size_t indexed;
} path_list;

typedef enum discover_status {
    DISCOVER_OK = 0,      /* one model or more added (or already listed) */
    DISCOVER_MISSING,     /* the path does not exist (nor the model folder it names) */
    DISCOVER_NO_MODEL,    /* a folder that holds no model */
    DISCOVER_NO_MEMORY
} discover_status;

/* How deep below a command-line folder the search goes; deeper folders are
 * listed in path_list.skipped. */
#define DISCOVER_MAX_DEPTH 12

/* Appends the models path stands for to out, skipping ones already there. */
discover_status discover_path(const char *path, path_list *out);
/* The usage error for a status other than DISCOVER_OK, printed to stderr as
 * "coreml-lint CMD: 'PATH' ..." (cmd may be NULL). */
void discover_complain(const char *cmd, const char *path, discover_status st);
void path_list_free(path_list *l);

#endif

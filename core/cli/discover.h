/* discover.h — expand command-line paths into model paths.
 * A file or a model folder (.mlpackage, .mlmodelc, or a folder with
 * Manifest.json / model.mil) is a model; any other folder is searched
 * (depth-limited, sorted, symlinks not followed) for models. */
#ifndef CML_DISCOVER_H
#define CML_DISCOVER_H

#include <stddef.h>

typedef struct path_list {
    char **items;
    size_t n, cap;
    /* what the search did not look at, one sentence each (a folder deeper
     * than the limit, a folder that cannot be read): the caller reports
     * them, the search itself never prints */
    char **skipped;
    size_t n_skipped, cap_skipped;
} path_list;

/* How deep below a command-line folder the search goes. */
#define DISCOVER_MAX_DEPTH 12

/* Appends the models found under path. Returns the number added. A path
 * that does not exist is appended as is (the loader reports it). */
size_t discover_models(const char *path, path_list *out);
void path_list_free(path_list *l);

#endif

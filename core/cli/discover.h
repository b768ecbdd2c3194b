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
} path_list;

/* Appends the models found under path. Returns the number added. A path
 * that does not exist is appended as is (the loader reports it). */
size_t discover_models(const char *path, path_list *out);
void path_list_free(path_list *l);

#endif

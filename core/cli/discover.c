/* discover.c — model discovery for directory arguments (see discover.h). */
#define _DEFAULT_SOURCE
#include "cli/discover.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format/fsutil.h"

#define DISCOVER_MAX_DEPTH 12

static int push(path_list *l, const char *p) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        char **ni = realloc(l->items, nc * sizeof *ni);
        if (!ni) return -1;
        l->items = ni;
        l->cap = nc;
    }
    size_t n = strlen(p);
    char *s = malloc(n + 1);
    if (!s) return -1;
    memcpy(s, p, n + 1);
    l->items[l->n++] = s;
    return 0;
}

static int is_model_dir(const char *p) {
    if (fs_has_suffix(p, ".mlpackage") || fs_has_suffix(p, ".mlmodelc")) return 1;
    char buf[4096];
    static const char *const marks[] = {"Manifest.json", "model.mil", "coremldata.bin", "model.espresso.net"};
    for (size_t i = 0; i < 4; i++) {
        int n = snprintf(buf, sizeof buf, "%s/%s", p, marks[i]);
        if (n > 0 && (size_t)n < sizeof buf && fs_is_file(buf)) return 1;
    }
    return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static size_t walk(const char *dir, path_list *out, int depth) {
    if (depth > DISCOVER_MAX_DEPTH) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    path_list names = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        push(&names, e->d_name);
    }
    closedir(d);
    if (names.n) qsort(names.items, names.n, sizeof *names.items, cmp);
    size_t added = 0;
    char buf[4096];
    for (size_t i = 0; i < names.n; i++) {
        int n = snprintf(buf, sizeof buf, "%s/%s", dir, names.items[i]);
        if (n < 0 || (size_t)n >= sizeof buf) continue;
        struct stat st;
        if (lstat(buf, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (is_model_dir(buf)) added += push(out, buf) == 0;
            else added += walk(buf, out, depth + 1);
        } else if (S_ISREG(st.st_mode) && fs_has_suffix(buf, ".mlmodel")) {
            added += push(out, buf) == 0;
        }
    }
    path_list_free(&names);
    return added;
}

size_t discover_models(const char *path, path_list *out) {
    if (fs_is_dir(path) && !is_model_dir(path)) {
        char buf[4096];
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/') n--;
        if (n >= sizeof buf) return 0;
        memcpy(buf, path, n);
        buf[n] = 0;
        return walk(buf, out, 0);
    }
    return push(out, path) == 0;
}

void path_list_free(path_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

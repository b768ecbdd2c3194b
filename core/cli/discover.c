/* discover.c — model discovery for command-line paths (see discover.h). */
#define _DEFAULT_SOURCE
#include "cli/discover.h"

#include <dirent.h>
#include <stdbool.h>
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

/* The path without trailing slashes ("/" stays), malloc'd. */
static char *trimmed(const char *path) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, path, n);
        s[n] = 0;
    }
    return s;
}

/* The outermost model folder among the ancestors of path (its own leading
 * components), malloc'd, or NULL when it lies in none. */
static char *enclosing_model(const char *path) {
    char *p = trimmed(path);
    if (!p) return NULL;
    char *found = NULL;
    size_t depth = 0;
    for (char *slash = strchr(p + 1, '/'); slash && depth < 256; slash = strchr(slash + 1, '/'), depth++) {
        *slash = 0;
        bool model = fs_has_suffix(p, ".mlpackage") || fs_has_suffix(p, ".mlmodelc") ||
                     (fs_is_dir(p) && is_model_dir(p));
        if (model && fs_is_dir(p)) {
            found = trimmed(p);
            *slash = '/';
            break;
        }
        *slash = '/';
    }
    free(p);
    return found;
}

static bool listed(const path_list *l, const char *p) {
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i], p)) return true;
    return false;
}

static discover_status add_once(path_list *out, const char *p) {
    if (listed(out, p)) return DISCOVER_OK;
    return push(out, p) == 0 ? DISCOVER_OK : DISCOVER_NO_MEMORY;
}

discover_status discover_path(const char *path, path_list *out) {
    char *p = trimmed(path);
    if (!p) return DISCOVER_NO_MEMORY;
    discover_status st;
    char *pkg = enclosing_model(p);
    if (pkg) {
        /* a file inside a package (it may have been deleted since) */
        st = add_once(out, pkg);
    } else if (fs_is_dir(p) && !is_model_dir(p)) {
        path_list found = {0};
        walk(p, &found, 0);
        st = found.n ? DISCOVER_OK : DISCOVER_NO_MODEL;
        for (size_t i = 0; i < found.n && st == DISCOVER_OK; i++) st = add_once(out, found.items[i]);
        path_list_free(&found);
    } else if (stat(p, &(struct stat){0}) == 0) {
        st = add_once(out, p);
    } else {
        st = DISCOVER_MISSING;
    }
    free(pkg);
    free(p);
    return st;
}

void discover_complain(const char *cmd, const char *path, discover_status st) {
    const char *sp = cmd ? " " : "", *c = cmd ? cmd : "";
    switch (st) {
    case DISCOVER_MISSING:
        fprintf(stderr, "coreml-lint%s%s: '%s' does not exist\n", sp, c, path);
        break;
    case DISCOVER_NO_MODEL:
        fprintf(stderr,
                "coreml-lint%s%s: '%s' holds no Core ML model (no .mlmodel file, .mlpackage or .mlmodelc folder "
                "in it)\n",
                sp, c, path);
        break;
    case DISCOVER_NO_MEMORY: fprintf(stderr, "coreml-lint%s%s: out of memory\n", sp, c); break;
    case DISCOVER_OK: break;
    }
}

void path_list_free(path_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

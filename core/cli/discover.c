/* discover.c — model discovery for directory arguments (see discover.h). */
#define _DEFAULT_SOURCE
#include "cli/discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format/fsutil.h"

#define STR_(x) #x
#define STR(x) STR_(x)

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

static void skipped(path_list *l, const char *fmt, const char *path, const char *why) {
    if (l->n_skipped == l->cap_skipped) {
        size_t nc = l->cap_skipped ? l->cap_skipped * 2 : 8;
        char **ns = realloc(l->skipped, nc * sizeof *ns);
        if (!ns) return;
        l->skipped = ns;
        l->cap_skipped = nc;
    }
    char buf[4200];
    snprintf(buf, sizeof buf, fmt, path, why);
    size_t n = strlen(buf) + 1;
    char *s = malloc(n);
    if (!s) return;
    memcpy(s, buf, n);
    l->skipped[l->n_skipped++] = s;
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
    DIR *d = opendir(dir);
    if (!d) {
        skipped(out, "folder '%s' cannot be read (%s); models in it were not checked", dir, strerror(errno));
        return 0;
    }
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
            else if (depth + 1 > DISCOVER_MAX_DEPTH)
                skipped(out, "folder '%s' is deeper than %s levels below the path given; it was not searched "
                             "(name it on the command line to check it)", buf, STR(DISCOVER_MAX_DEPTH));
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
    for (size_t i = 0; i < l->n_skipped; i++) free(l->skipped[i]);
    free(l->skipped);
    memset(l, 0, sizeof *l);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* discover.c — model discovery for command-line paths (see discover.h). */
#define _DEFAULT_SOURCE
#include "cli/discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "format/fsutil.h"
#include "format/mlmodelc.h"

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

static bool has_model_suffix(const char *p) { return fs_has_suffix(p, ".mlpackage") || fs_has_suffix(p, ".mlmodelc"); }

/* A folder that a model's own files mark as one: Manifest.json (a
 * package), model.mil, coremldata.bin, model.espresso.net (compiled) */
static int has_model_marks(const char *p) {
    char buf[4096];
    static const char *const marks[] = {"Manifest.json", "model.mil", "coremldata.bin", "model.espresso.net"};
    for (size_t i = 0; i < 4; i++) {
        int n = snprintf(buf, sizeof buf, "%s/%s", p, marks[i]);
        if (n > 0 && (size_t)n < sizeof buf && fs_is_file(buf)) return 1;
    }
    return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Models below dir. A folder named X.mlpackage or X.mlmodelc is one model,
 * not searched further. A folder that only its files mark as a model is
 * one too, and is then searched for models that cannot be part of it
 * (suffix_only: .mlmodel files, .mlpackage and .mlmodelc folders, and
 * marked subfolders, which may be its stages: the run does not check again
 * a stage its pipeline read; a package's Data folder holds its own spec):
 * a pull request that dropped a compiled model's four files into Models/
 * hid every model below from `check Models`, and one that dropped them
 * above a compiled model that is no pipeline's stage, or a Data folder,
 * hid that model. */
static size_t walk(const char *dir, path_list *out, int depth, bool suffix_only) {
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
    char mb[4200];   /* only a package (Manifest.json) has its spec in Data/ */
    bool package = suffix_only && snprintf(mb, sizeof mb, "%s/Manifest.json", dir) < (int)sizeof mb && fs_is_file(mb);
    for (size_t i = 0; i < names.n; i++) {
        int n = snprintf(buf, sizeof buf, "%s/%s", dir, names.items[i]);
        if (n < 0 || (size_t)n >= sizeof buf) continue;
        struct stat st;
        if (lstat(buf, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (has_model_suffix(buf)) {
                added += push(out, buf) == 0;
            } else if (package && !strcmp(names.items[i], "Data")) {
                continue;   /* the marked model's own spec and weights */
            } else if (depth + 1 > DISCOVER_MAX_DEPTH) {
                /* before the part folders too: a chain of 680 model/ folders
                 * recursed 680 deep (SIGSEGV on a 4 MiB stack) */
                skipped(out, "folder '%s' is deeper than %s levels below the path given; it was not searched "
                             "(name it on the command line to check it)", buf, STR(DISCOVER_MAX_DEPTH));
            } else if (suffix_only && mlmodelc_is_part_folder(names.items[i])) {
                /* a compiled model's own part (model/, analytics/: their
                 * coremldata.bin is no model), searched for others */
                added += walk(buf, out, depth + 1, true);
            } else if (has_model_marks(buf)) {
                added += push(out, buf) == 0;
                added += walk(buf, out, depth + 1, true);
            } else {
                added += walk(buf, out, depth + 1, suffix_only);
            }
        } else if (S_ISREG(st.st_mode) && fs_has_suffix(buf, ".mlmodel")) {
            added += push(out, buf) == 0;
        } else if (S_ISLNK(st.st_mode) && (fs_has_suffix(buf, ".mlmodel") || has_model_suffix(buf))) {
            /* a search stays in the tree it was given (a link may lead out
             * of the checkout); a linked model is named, not dropped */
            skipped(out, "'%s' is a symbolic link, which a folder search does not follow; it was not checked (%s)",
                    buf, "name it, or what it points to, on the command line");
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

/* The model folder among the ancestors of path (its own leading
 * components) that path belongs to, malloc'd, or NULL when it lies in none.
 * The outermost folder named .mlpackage or .mlmodelc counts first. Else the
 * innermost folder that only its files mark as a model (not a compiled
 * model's part folder, model/ or analytics/) counts for a piece of it (its
 * model.mil), not for a path that is a model itself (a .mlmodel file, a
 * named or marked folder) below it: the folder search checks a marked
 * folder inside another as a model of its own, and so does naming it. */
/* whether the folder at path is named as a compiled model's part */
static bool part_named(const char *path) {
    const char *b = strrchr(path, '/');
    return mlmodelc_is_part_folder(b ? b + 1 : path);
}

static char *enclosing_model(const char *path) {
    char *p = trimmed(path);
    if (!p) return NULL;
    char *found = NULL, *marked = NULL;
    size_t depth = 0;
    for (char *slash = strchr(p + 1, '/'); slash && depth < 256; slash = strchr(slash + 1, '/'), depth++) {
        *slash = 0;
        if (has_model_suffix(p) && fs_is_dir(p)) {
            found = trimmed(p);
            *slash = '/';
            break;
        }
        if (fs_is_dir(p) && has_model_marks(p) && !(marked && part_named(p))) {
            free(marked);
            marked = trimmed(p);
        }
        *slash = '/';
    }
    bool self_marked = fs_is_dir(p) && has_model_marks(p) && !part_named(p);
    if (!found && marked && !fs_has_suffix(p, ".mlmodel") && !has_model_suffix(p) && !self_marked) {
        found = marked;
        marked = NULL;
    }
    free(marked);
    free(p);
    return found;
}

static discover_status add_once(path_list *out, const char *p) {
    /* the set holds the items' own strings; index those pushed since */
    for (; out->indexed < out->n; out->indexed++)
        if (host_strset_add(&out->seen, out->items[out->indexed]) < 0) return DISCOVER_NO_MEMORY;
    if (host_strset_has(&out->seen, p)) return DISCOVER_OK;
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
    } else if (fs_is_dir(p) && !has_model_suffix(p)) {
        /* a folder its files mark as a model is one, and may hold others */
        bool marked = has_model_marks(p);
        path_list found = {0};
        if (marked) push(&found, p);
        walk(p, &found, 0, marked);
        /* a folder whose search skipped something may hold models: the
         * skips are reported (warnings), not a usage error */
        st = found.n || found.n_skipped ? DISCOVER_OK : DISCOVER_NO_MODEL;
        for (size_t i = 0; i < found.n && st == DISCOVER_OK; i++) st = add_once(out, found.items[i]);
        /* what the search did not look at goes to the caller's list */
        for (size_t i = 0; i < found.n_skipped; i++) skipped(out, "%s%s", found.skipped[i], "");
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
        cli_errorf("coreml-lint%s%s: '%s' does not exist", sp, c, path);
        break;
    case DISCOVER_NO_MODEL:
        cli_errorf("coreml-lint%s%s: '%s' holds no Core ML model (no .mlmodel file, .mlpackage or .mlmodelc folder "
                   "in it)",
                   sp, c, path);
        break;
    case DISCOVER_NO_MEMORY: fprintf(stderr, "coreml-lint%s%s: out of memory\n", sp, c); break;
    case DISCOVER_OK: break;
    }
}

void path_list_free(path_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    for (size_t i = 0; i < l->n_skipped; i++) free(l->skipped[i]);
    free(l->skipped);
    host_strset_free(&l->seen);
    memset(l, 0, sizeof *l);
}

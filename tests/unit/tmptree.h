/* SPDX-License-Identifier: Apache-2.0 */
/* tmptree.h — a test's scratch folder: made fresh under /tmp
 * (tmp_make_dir), and removed with everything in it, without following
 * symbolic links (tmp_remove_tree). Needs _DEFAULT_SOURCE or
 * _POSIX_C_SOURCE >= 200809L. */
#ifndef CML_TMPTREE_H
#define CML_TMPTREE_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A new, empty folder /tmp/<prefix>XXXXXX (mkdtemp: the X's made unique,
 * mode 0700), its path written into buf (size bytes). Returns buf, or NULL
 * with the reason on stderr; each caller decides what a failure means. */
static inline char *tmp_make_dir(char *buf, size_t size, const char *prefix) {
    int n = snprintf(buf, size, "/tmp/%sXXXXXX", prefix);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "tmp_make_dir: /tmp/%sXXXXXX does not fit in %zu bytes\n", prefix, size);
        return NULL;
    }
    if (!mkdtemp(buf)) {
        fprintf(stderr, "mkdtemp %s: %s\n", buf, strerror(errno));
        return NULL;
    }
    return buf;
}

static inline void tmp_remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char p[4096];
            int n = snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            if (n > 0 && (size_t)n < sizeof p) tmp_remove_tree(p);
        }
        closedir(d);
    }
    rmdir(path);
}

#endif

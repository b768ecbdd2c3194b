/* SPDX-License-Identifier: Apache-2.0 */
/* tmptree.h — remove a test's scratch folder (or file) and everything in
 * it, without following symbolic links. Needs _DEFAULT_SOURCE or
 * _POSIX_C_SOURCE >= 200809L. */
#ifndef CML_TMPTREE_H
#define CML_TMPTREE_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

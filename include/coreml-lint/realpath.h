/* SPDX-License-Identifier: Apache-2.0 */
/* coreml-lint/realpath.h — a file's real path in one walk (header-only).
 *
 * glibc's realpath(3) reads each prefix's link with a walk of its own, so
 * under a chain of 500 folders a call cost 75 ms, and a real path of 4096
 * bytes or more, which links inside a checked model can make, 0.4 s. On
 * Linux the kernel resolves the path once when it is opened (O_PATH: no
 * read permission needed, no device opened) and /proc/self/fd names where
 * it led. cml_realpath returns that (malloc'd); a result of 4096 bytes or
 * more is refused (NULL, errno ENAMETOOLONG), and so is a name that is not
 * a path here (another mount namespace: ENOENT). Without /proc, realpath.
 * The host (core/format/fsutil.c) and the runtime probe's linked-model
 * search share it and cml_path_within, so that both refuse the same paths.
 *
 * Header-only: nothing here is part of the plugin ABI. Needs readlink and
 * realpath declared: _XOPEN_SOURCE 700 or _DEFAULT_SOURCE (glibc). */
#ifndef COREML_LINT_REALPATH_H
#define COREML_LINT_REALPATH_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__) && !defined(O_PATH) && defined(__O_PATH)
#define CML_O_PATH_ __O_PATH   /* glibc names it so without _GNU_SOURCE */
#elif defined(__linux__) && defined(O_PATH)
#define CML_O_PATH_ O_PATH
#endif

static inline char *cml_realpath(const char *path) {
#ifdef CML_O_PATH_
    int fd = open(path, CML_O_PATH_ | O_CLOEXEC);
    if (fd < 0) return NULL;   /* errno as realpath's */
    char link[64], buf[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf);
    int e = errno;
    close(fd);
    if (n > 0 && (size_t)n < sizeof buf && buf[0] == '/') {
        buf[n] = 0;
        size_t len = (size_t)n + 1;
        char *r = (char *)malloc(len);
        if (r) memcpy(r, buf, len);
        return r;
    }
    if (n >= (ssize_t)sizeof buf || (n < 0 && e == ENAMETOOLONG)) {
        errno = ENAMETOOLONG;   /* refused, not handed to realpath */
        return NULL;
    }
    if (n >= 0) {
        errno = ENOENT;
        return NULL;
    }
    /* /proc is not mounted, or not ours to read */
#endif
    return realpath(path, NULL);
}

/* real (a resolved path) is root (a resolved folder) or below it */
static inline int cml_path_within(const char *root, const char *real) {
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') n--;
    if (n == 1 && root[0] == '/') return 1;
    return !strncmp(real, root, n) && (real[n] == '/' || real[n] == 0);
}

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* fsutil.c — file-system helpers (see fsutil.h). */
#define _DEFAULT_SOURCE
#include "format/fsutil.h"
#include "format/arena.h"
#include "coreml-lint/realpath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_open_regular(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (S_ISDIR(st.st_mode)) { errno = EISDIR; return -1; }
    if (!S_ISREG(st.st_mode)) { errno = FS_ENOTREG; return -1; }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : FS_ENOTREG;
        close(fd);
        errno = e;
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

const char *fs_strerror(int err) {
    if (err == FS_ENOTREG) return "not a regular file (a FIFO, socket or device is never opened)";
    if (err == FS_EOUTSIDE) return "a symbolic link leads out of the model's folder, or to nothing (not followed)";
    return strerror(err);
}

char *fs_realpath(const char *path) { return cml_realpath(path); }

int fs_inside(const char *root_real, const char *path) {
    if (!root_real || !path) return 0;
    char *real = fs_realpath(path);
    if (real) {
        bool ok = cml_path_within(root_real, real);
        free(real);
        if (ok) return 0;
        errno = FS_EOUTSIDE;
        return -1;
    }
    /* It does not resolve. Find its longest prefix that does: one outside
     * the folder, or a name just after it that exists (a symbolic link to
     * nothing, or through a link that leads out to a missing name), is
     * "leads out", told the same way whether the target exists or not, so
     * a model cannot learn what exists on the machine from the report; a
     * name that is simply absent inside the folder is the caller's "does
     * not exist". */
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    size_t *cuts = malloc((n + 1) * sizeof *cuts), k = 0;   /* where each '/' is */
    if (!p || !cuts) {
        free(p);
        free(cuts);
        return 0;
    }
    memcpy(p, path, n + 1);
    for (size_t i = 0; i < n; i++)
        if (p[i] == '/') cuts[k++] = i;
    /* The prefixes that resolve are the shorter ones (a name resolves only
     * through the folders before it): find the longest by bisection, a
     * realpath per halving. Walking up one name at a time cost a realpath
     * and a scan per name: 2,000 Manifest items of 4,090 names took 28 s. */
    size_t lo = 0, hi = k;   /* prefixes cuts[0..lo) resolve (lo = 0: none known), cuts[hi..k) do not */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;    /* try the prefix before cuts[mid] */
        p[cuts[mid]] = 0;
        char *r = fs_realpath(cuts[mid] ? p : "/");
        p[cuts[mid]] = '/';
        if (r) lo = mid + 1;
        else hi = mid;
        free(r);
    }
    int rc = 0;
    if (lo > 0) {
        char *slash = p + cuts[lo - 1];
        char *next = slash + 1;
        *slash = 0;
        char *r = fs_realpath(*p ? p : "/");
        if (r && !cml_path_within(root_real, r)) {
            /* Outside the folder. Above it, with the rest of the path going
             * down to it, is no link's doing (the folder's own path is
             * missing, or was given through a link); anything else is a
             * link that leads out, an ancestor included: a link to /tmp
             * once told "does not exist" from "leads out" for names there */
            bool down_to_root = false;
            if (cml_path_within(r, root_real)) {
                const char *tail = root_real + strlen(r);
                if (*tail == '/') tail++;
                size_t tl = strlen(tail);
                down_to_root = !strncmp(next, tail, tl) && (next[tl] == '/' || next[tl] == 0);
            }
            if (!down_to_root) rc = -1;
        } else if (r) {
            *slash = '/';
            char *end = strchr(next, '/');
            if (end) *end = 0;
            struct stat st;
            if (lstat(p, &st) == 0) rc = -1;   /* exists, yet does not resolve */
        }
        free(r);
    }
    free(cuts);
    free(p);
    if (rc) errno = FS_EOUTSIDE;
    return rc;
}

/* From this size a file is read into huge pages of our own instead of
 * mapped, up to FS_COPY_MAX: a decoder reads all of it, and on the VM of
 * bench/README.md the first touch of each 4 KiB page of a file mapping
 * costs ~2 us even without a fault (bench/read_paths.c) against ~0.1 us a
 * 4 KiB page for pread into a huge page. Past the cap the mapping's pages,
 * which the kernel can reclaim, are worth their cost. */
#define FS_COPY_MIN ((uint64_t)1 << 20)
#define FS_COPY_MAX ((uint64_t)256 << 20)
#define FS_HUGE ((uint64_t)2 << 20)

size_t fs_pread_full(int fd, void *dst, size_t n, uint64_t off) {
    size_t got = 0;
    while (got < n) {
        uint64_t at = off + got;
        if (at > (uint64_t)INT64_MAX) break;
        ssize_t r = pread(fd, (unsigned char *)dst + got, n - got, (off_t)at);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    return got;
}

/* 1: read into huge pages; 0: not this way (size, or no huge pages: map
 * it); -1 with errno: the file came short of its size (it shrank while
 * read, or a read error), where a mapping would raise SIGBUS at the first
 * byte past the new end */
static int read_copy(int fd, fs_map *m) {
    if (m->size < FS_COPY_MIN || m->size > FS_COPY_MAX) return 0;
    size_t len = (size_t)((m->size + FS_HUGE - 1) / FS_HUGE * FS_HUGE);
    unsigned char *p = arena_huge_map(len);
    if (!p) return 0;
    if (fs_pread_full(fd, p, (size_t)m->size, 0) != m->size) {
        arena_huge_unmap(p, len);
        errno = EIO;
        return -1;
    }
    (void)mprotect(p, len, PROT_READ);   /* as read-only as the mapping was */
    m->base_ = p;
    m->data = p;
    m->copy_ = len;
    return 1;
}

int fs_map_file(const char *path, fs_map *m) {
    memset(m, 0, sizeof *m);
    int fd = fs_open_regular(path);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); errno = e; return -1; }
    m->size = (uint64_t)st.st_size;
    int copied = st.st_size > 0 ? read_copy(fd, m) : 0;
    if (copied < 0) {
        close(fd);
        m->size = 0;
        errno = EIO;
        return -1;
    }
    if (st.st_size > 0 && !copied) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) { int e = errno; close(fd); errno = e; return -1; }
        m->base_ = p;
        m->data = p;
    }
    close(fd);
    return 0;
}

void fs_unmap(fs_map *m) {
    if (m && m->base_ && m->copy_) arena_huge_unmap(m->base_, m->copy_);
    else if (m && m->base_) munmap(m->base_, (size_t)m->size);
    if (m) memset(m, 0, sizeof *m);
}

char *fs_read_file(arena *a, const char *path, size_t max, size_t *len) {
    int fd = fs_open_regular(path);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) { int e = errno; close(fd); errno = e; return NULL; }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;
        fclose(f);
        errno = e;
        return NULL;
    }
    if ((uint64_t)st.st_size > max) { fclose(f); errno = EFBIG; return NULL; }
    size_t n = (size_t)st.st_size;
    char *buf = arena_alloc(a, n + 1);
    if (!buf) { fclose(f); errno = ENOMEM; return NULL; }
    size_t got = n ? fread(buf, 1, n, f) : 0;
    fclose(f);
    if (got != n) { errno = EIO; return NULL; }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

int fs_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static uint64_t tree_size(const char *path, int depth) {
    struct stat st;
    if (lstat(path, &st) != 0) return 0;
    if (S_ISREG(st.st_mode)) return (uint64_t)st.st_size;
    if (!S_ISDIR(st.st_mode) || depth > 16) return 0;
    DIR *d = opendir(path);
    if (!d) return 0;
    uint64_t total = 0;
    struct dirent *e;
    char buf[4096];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int n = snprintf(buf, sizeof buf, "%s/%s", path, e->d_name);
        if (n < 0 || (size_t)n >= sizeof buf) continue;
        total += tree_size(buf, depth + 1);
    }
    closedir(d);
    return total;
}

uint64_t fs_tree_size(const char *path) { return tree_size(path, 0); }

typedef struct flist {
    char **v;
    size_t n, cap, max;
} flist;

static void list_into(flist *l, const char *root, const char *rel, int depth) {
    char dir[4096];
    int dn = rel ? snprintf(dir, sizeof dir, "%s/%s", root, rel) : snprintf(dir, sizeof dir, "%s", root);
    if (dn < 0 || (size_t)dn >= sizeof dir || depth > 16) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while (l->n < l->max && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[4096], full[8192];
        int n = rel ? snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name) : snprintf(sub, sizeof sub, "%s", e->d_name);
        if (n < 0 || (size_t)n >= sizeof sub) continue;
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            list_into(l, root, sub, depth + 1);
            continue;
        }
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 16;
            char **v = realloc(l->v, cap * sizeof *v);
            if (!v) break;
            l->v = v;
            l->cap = cap;
        }
        char *c = strdup(sub);
        if (!c) break;
        l->v[l->n++] = c;
    }
    closedir(d);
}

size_t fs_list_files(const char *dir, size_t max, char ***out) {
    flist l = {.max = max};
    list_into(&l, dir, NULL, 0);
    *out = l.v;
    return l.n;
}

void fs_free_list(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

char *fs_join(arena *a, const char *dir, const char *name) {
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    return arena_printf(a, "%.*s/%s", (int)dl, dir, name);
}

int fs_has_suffix(const char *name, const char *suffix) {
    size_t n = strlen(name), s = strlen(suffix);
    while (n > 1 && name[n - 1] == '/') n--;
    return n >= s && strncasecmp(name + n - s, suffix, s) == 0;
}

/* SOURCE: git-lfs docs/spec.md — a pointer is UTF-8 text of at most 1024
 * bytes whose first line is "version https://git-lfs.github.com/spec/v1",
 * followed by "oid sha256:<hex>" and "size <bytes>" lines. */
int fs_lfs_pointer(const unsigned char *p, size_t n, uint64_t *size) {
    static const char head[] = "version https://git-lfs.github.com/spec/v1\n";
    if (size) *size = 0;
    if (!p || n < sizeof head - 1 || n > 1024 || memcmp(p, head, sizeof head - 1)) return 0;
    for (size_t i = sizeof head - 1; size && i + 5 < n; i++) {
        if (p[i - 1] != '\n' || memcmp(p + i, "size ", 5)) continue;
        uint64_t v = 0;
        for (size_t k = i + 5; k < n && p[k] >= '0' && p[k] <= '9' && v < UINT64_MAX / 10 - 9; k++)
            v = v * 10 + (uint64_t)(p[k] - '0');
        *size = v;
        break;
    }
    return 1;
}

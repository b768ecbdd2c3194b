/* SPDX-License-Identifier: Apache-2.0 */
/* fsutil.h — small file-system helpers shared by the loaders: bounded
 * whole-file reads, read-only mappings, path joins and kinds. Internal. */
#ifndef CML_FSUTIL_H
#define CML_FSUTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "format/arena.h"

typedef struct fs_map {
    const unsigned char *data;  /* NULL for an empty file */
    uint64_t size;
    void *base_;                /* what fs_unmap gives back */
    size_t copy_;               /* > 0: base_ is a copy in huge pages of this length */
} fs_map;

/* errno of fs_open_regular (and everything built on it) for a path that is
 * neither a regular file nor a folder: a FIFO, a socket or a device. */
#define FS_ENOTREG ENODEV

/* Open path read-only, only when it is a regular file: a FIFO, socket or
 * device is refused by its type (stat) before it is opened, the open cannot
 * block or take a terminal (O_NONBLOCK, O_NOCTTY; a FIFO swapped in between
 * opens without a writer and is refused by fstat), and the type is checked
 * again on the descriptor. Returns the descriptor (blocking mode restored),
 * or -1 with errno: EISDIR for a folder, FS_ENOTREG for anything else that
 * is not a regular file. */
int fs_open_regular(const char *path);
/* errno of fs_inside for a path whose symbolic links lead out of the
 * model's folder. */
#define FS_EOUTSIDE EXDEV

/* 0 when path, every symbolic link resolved, lies inside root_real (a
 * folder as realpath gives it), when root_real is NULL (a bare .mlmodel has
 * no folder) or when a name inside the folder is absent (the open then says
 * so); -1 with errno FS_EOUTSIDE when it leads out, or through a link that
 * leads to nothing: a file in a package must never make the tool read
 * /etc/passwd or a token beside the checkout, nor tell whether one exists.
 * Call it before any stat or open of the path. */
int fs_inside(const char *root_real, const char *path);
/* strerror, with a plain sentence for FS_ENOTREG and FS_EOUTSIDE. */
const char *fs_strerror(int err);

/* The bytes of path, read-only: from 1 MiB up to 256 MiB read into huge
 * pages of our own (see fsutil.c), otherwise mapped. Returns 0 or -1 with
 * errno set (EISDIR for folders, FS_ENOTREG for FIFOs, sockets, devices,
 * EIO when the file came short of its size while read). */
int fs_map_file(const char *path, fs_map *m);
void fs_unmap(fs_map *m);
/* n bytes at file offset off into dst with pread, retried on EINTR and on
 * short reads; the bytes read (fewer: an error, or the file shrank) */
size_t fs_pread_full(int fd, void *dst, size_t n, uint64_t off);

/* Read a whole file into the arena (NUL-terminated) if it is at most max
 * bytes. Returns NULL with errno set (EFBIG when larger than max). */
char *fs_read_file(arena *a, const char *path, size_t max, size_t *len);

/* realpath(path, NULL) in one walk of the path: cml_realpath
 * (coreml-lint/realpath.h), which says why and what it refuses. malloc'd. */
char *fs_realpath(const char *path);

int fs_is_dir(const char *path);
int fs_is_file(const char *path);
/* Total size in bytes of a file or of every regular file below a folder
 * (depth-limited, symlinks not followed). */
uint64_t fs_tree_size(const char *path);
/* The files under dir (not folders; symbolic links not followed), as paths
 * relative to it ("Data/com.apple.CoreML/model.mlmodel"), at most max of
 * them and 16 folders deep: a malloc'd array of malloc'd strings into
 * *out, its length back (0 and *out NULL when dir is no folder). Free with
 * fs_free_list. */
size_t fs_list_files(const char *dir, size_t max, char ***out);
void fs_free_list(char **v, size_t n);
/* a + "/" + b in the arena. */
char *fs_join(arena *a, const char *dir, const char *name);
/* True if name ends with suffix (ASCII case-insensitive). */
int fs_has_suffix(const char *name, const char *suffix);
/* True if the n bytes at p are a Git LFS pointer file (the text git stores
 * in place of a file it tracks with LFS, when the object was never
 * fetched); *size (may be NULL) gets the object's size, 0 if not given. */
int fs_lfs_pointer(const unsigned char *p, size_t n, uint64_t *size);

#endif

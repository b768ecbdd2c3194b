/* fsutil.h — small file-system helpers shared by the loaders: bounded
 * whole-file reads, read-only mappings, path joins and kinds. Internal. */
#ifndef CML_FSUTIL_H
#define CML_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "format/arena.h"

typedef struct fs_map {
    const unsigned char *data;  /* NULL for an empty file */
    uint64_t size;
    void *base_;                /* what munmap needs */
} fs_map;

/* Map path read-only. Returns 0 or -1 with errno set (EISDIR for folders). */
int fs_map_file(const char *path, fs_map *m);
void fs_unmap(fs_map *m);

/* Read a whole file into the arena (NUL-terminated) if it is at most max
 * bytes. Returns NULL with errno set (EFBIG when larger than max). */
char *fs_read_file(arena *a, const char *path, size_t max, size_t *len);

int fs_is_dir(const char *path);
int fs_is_file(const char *path);
/* Total size in bytes of a file or of every regular file below a folder
 * (depth-limited, symlinks not followed). */
uint64_t fs_tree_size(const char *path);
/* a + "/" + b in the arena. */
char *fs_join(arena *a, const char *dir, const char *name);
/* True if name ends with suffix (ASCII case-insensitive). */
int fs_has_suffix(const char *name, const char *suffix);

#endif

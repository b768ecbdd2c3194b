/* SPDX-License-Identifier: Apache-2.0 */
/* arena.h — bounded bump allocator that owns everything a loaded model needs.
 *
 * Every allocation made while decoding a model (protobuf-c messages, IR nodes,
 * strings) comes from one arena with a hard cap, so a hostile file can never
 * make the loader allocate without bound: past the cap every allocation fails
 * and the loader turns that into a load/... finding. The arena is freed at once
 * when the model is released. Internal to core/. */
#ifndef CML_ARENA_H
#define CML_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

typedef struct arena arena;

/* cap: maximum bytes the arena may hand out in total (0 = default 1 GiB). */
arena *arena_new(size_t cap);
void arena_free(arena *a);
/* Zeroed, 16-byte aligned memory; NULL when the cap would be exceeded. */
void *arena_alloc(arena *a, size_t n);
/* n elements of size sz, overflow-checked; NULL on overflow or cap. */
void *arena_calloc(arena *a, size_t n, size_t sz);
/* Grow an array allocated from the arena (old contents copied; old block kept). */
void *arena_realloc(arena *a, void *old, size_t old_n, size_t new_n);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t arena_used(const arena *a);
/* True once an allocation failed because of the cap. */
int arena_exhausted(const arena *a);
/* len bytes (a multiple of 2 MiB) of fresh zeroed memory, 2 MiB aligned and
 * marked for transparent huge pages, or NULL (not Linux, under
 * AddressSanitizer, or out of memory: the caller falls back to malloc).
 * arena_huge_unmap gives it back. Shared with the Lua states' heap
 * (host/lua/sbheap.c). */
void *arena_huge_map(size_t len);
void arena_huge_unmap(void *p, size_t len);
/* A protobuf-c allocator drawing from the arena (free is a no-op). */
ProtobufCAllocator arena_pb_allocator(arena *a);

#endif

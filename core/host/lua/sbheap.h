/* SPDX-License-Identifier: Apache-2.0 */
/* sbheap.h — the memory of one rule's Lua state.
 *
 * A Lua state is thousands of small blocks (strings, tables, closures):
 * 40–60 KiB per rule once its environment is built. From malloc, each new
 * 4 KiB page of the heap is a page fault, and on a virtual machine a page
 * fault costs 12–22 µs (bench/page_faults.c): loading the 18 bundled rules
 * took ~220 of them, about a third of a `check`'s time before any rule
 * ran. Here a state's blocks come from 64 KiB slabs cut out of 2 MiB
 * regions that the kernel may back with one huge page each, so the whole
 * rule set usually lives in one.
 *
 * Blocks up to SBHEAP_MAX_POOLED bytes are served by size class: free
 * lists per class, else carved from the state's current slab; larger
 * blocks go to malloc. The class follows from the size, which Lua always
 * passes back (the allocator contract of lua_Alloc), and whether a block
 * is a slab's from its address (the regions are few and 2 MiB aligned), so
 * no header is stored. A block that changes class on realloc moves,
 * shrinking included: a block never lands in a smaller class than it
 * occupies.
 *
 * Free blocks stay in their class, so slabs could hold more than a state's
 * live blocks add up to (fill the cap with 16-byte blocks, free them, fill
 * it again with 32-byte ones, ...). So a heap takes at most
 * SBHEAP_MAX_SLABS slabs (2 MiB); past them, and when no region can be
 * had, its blocks come from malloc, which coalesces, and the sandbox's cap
 * goes on counting what the state holds. A state's slabs go back to a
 * process-wide list when it is freed and serve the next state; regions are
 * never unmapped.
 *
 * One heap is used by one thread at a time (a Lua state is); taking and
 * returning slabs is locked. Under AddressSanitizer free space and the
 * tail of each block past its requested size are poisoned, so the
 * sanitizer suite checks this allocator and the states on top of it. */
#ifndef CML_HOST_LUA_SBHEAP_H
#define CML_HOST_LUA_SBHEAP_H

#include <stddef.h>

#define SBHEAP_MAX_POOLED 4096u
#define SBHEAP_MAX_SLABS 32u      /* of 64 KiB: 2 MiB of slabs per heap at most */

typedef struct sbheap sbheap;

/* A new empty heap (takes no slab yet), or NULL when out of memory. */
sbheap *sbheap_new(void);
/* Gives the heap's slabs back to the process-wide list. Blocks still
 * allocated from its slabs become invalid; blocks from malloc are the
 * caller's to free first (lua_close frees every block). */
void sbheap_free(sbheap *h);
/* lua_Alloc semantics without the cap: ptr NULL allocates nsize bytes
 * (osize is ignored); nsize 0 frees ptr of osize bytes and returns NULL;
 * otherwise resizes ptr from osize to nsize bytes, keeping the first
 * min(osize, nsize). Returns NULL when memory runs out; ptr then stays
 * valid at osize. */
void *sbheap_realloc(sbheap *h, void *ptr, size_t osize, size_t nsize);
/* Bytes of slab space the heap holds (its slabs times the slab size). */
size_t sbheap_slab_bytes(const sbheap *h);
/* Bytes of regions the process has taken for all heaps so far. */
size_t sbheap_region_bytes(void);

#endif

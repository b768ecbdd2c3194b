/* SPDX-License-Identifier: Apache-2.0 */
/* page_faults.c — what a page fault on fresh anonymous memory costs: maps
 * MiB of memory and writes one byte per 4 KiB page, three ways: plain 4 KiB
 * pages (a fault per page), a 2 MiB-aligned region marked MADV_HUGEPAGE
 * (one fault per huge page where the kernel gives them: THP "madvise"
 * mode), and MAP_POPULATE (the kernel fills the pages in the mmap call,
 * no fault). The figures behind the rule heap (core/host/lua/sbheap.c) and
 * the probe's packing chunks (exec_plan_bump); see bench/README.md. A
 * benchmark, not a test. Linux only.
 *
 *   cc -O2 -o /tmp/page_faults bench/page_faults.c
 *   taskset -c 0 /tmp/page_faults [MiB]      # default 2 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define HUGE_PAGE ((size_t)2 << 20)

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* a fresh region of n bytes in mode 0 (4 KiB pages), 1 (huge pages asked
 * for) or 2 (populated by mmap), each page written once; the ms it took */
static double touch(size_t n, int mode) {
    double t0 = now_ms();
    unsigned char *p = NULL, *raw = NULL;
    size_t len = n;
    if (mode == 1) {
        len = n + HUGE_PAGE;
        raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) return -1;
        p = (unsigned char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
        madvise(p, n, MADV_HUGEPAGE);
    } else {
        raw = p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | (mode == 2 ? MAP_POPULATE : 0), -1, 0);
        if (raw == MAP_FAILED) return -1;
    }
    for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    double ms = now_ms() - t0;
    munmap(raw, len);
    return ms;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 2;
    if (mib == 0 || mib > 4096) mib = 2;
    size_t n = mib << 20, pages = n / 4096;
    static const char *const NAME[3] = {"4 KiB pages", "MADV_HUGEPAGE", "MAP_POPULATE"};
    for (int rep = 0; rep < 3; rep++)
        for (int mode = 0; mode < 3; mode++) {
            double ms = touch(n, mode);
            if (ms < 0) {
                perror("mmap");
                return 1;
            }
            printf("%-14s %zu MiB: %8.3f ms, %6.2f us per 4 KiB page\n", NAME[mode], mib, ms, ms * 1e3 / (double)pages);
        }
    return 0;
}

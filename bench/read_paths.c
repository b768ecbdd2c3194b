/* SPDX-License-Identifier: Apache-2.0 */
/* read_paths.c — how fast one pass over a file's bytes is, read three ways:
 * through a fresh read-only mapping (what a rule reading weights "in place"
 * does); through a fresh mapping populated by mmap (MAP_POPULATE: no page
 * fault left), then a second pass over the same mapping; and with pread(2)
 * into a 128 KiB buffer that stays in cache (what the host's per-weight
 * counts and the probe's conv packing do, core/ir/weights.c,
 * plugins/runtime-probe/exec/kernels/conv.c). Each pass takes the largest
 * 16-bit magnitude, as the fp16 scan does, so each reads every byte.
 *
 *   cc -O3 -march=native -o /tmp/read_paths bench/read_paths.c
 *   taskset -c 0 /tmp/read_paths FILE [REPEAT]
 *
 * Prints one line per repeat: milliseconds (and GB/s) of each way. A benchmark
 * (bench/README.md), not a test. */
#define _DEFAULT_SOURCE 1 /* MAP_POPULATE */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static unsigned top16(const unsigned char *b, size_t n) {
    uint16_t top = 0;
    for (size_t i = 0; i + 2 <= n; i += 2) {
        uint16_t h;
        memcpy(&h, b + i, 2);
        h &= 0x7fffu;
        top = h > top ? h : top;
    }
    return top;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: read_paths FILE [REPEAT]\n");
        return 2;
    }
    int rep = argc > 2 ? atoi(argv[2]) : 3;
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
        perror(argv[1]);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    static unsigned char buf[128 * 1024];
    for (int r = 0; r < rep; r++) {
        double t0 = now_s();
        unsigned char *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        unsigned a = top16(p, size);
        munmap(p, size);
        double t1 = now_s();
#ifdef MAP_POPULATE
        unsigned char *q = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (q == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        double tp0 = now_s();
        unsigned c = top16(q, size);
        double tp1 = now_s();
        unsigned c2 = top16(q, size);
        double tp2 = now_s();
        munmap(q, size);
        printf("populated mapping: map %.2f ms, first pass %.2f ms, second pass %.2f ms%s | ", (tp0 - t1) * 1e3,
               (tp1 - tp0) * 1e3, (tp2 - tp1) * 1e3, c == a && c2 == a ? "" : " DIFFERENT");
        t1 = now_s();
#endif
        unsigned b = 0;
        for (size_t off = 0; off < size;) {
            ssize_t k = pread(fd, buf, sizeof buf, (off_t)off);
            if (k <= 0) break;
            unsigned t = top16(buf, (size_t)k);
            b = t > b ? t : b;
            off += (size_t)k;
        }
        double t2 = now_s();
        printf("mapping %.2f ms %.2f GB/s | pread %.2f ms %.2f GB/s | %s\n", (t1 - t0) * 1e3,
               (double)size / (t1 - t0) / 1e9, (t2 - t1) * 1e3, (double)size / (t2 - t1) / 1e9,
               a == b ? "same bytes" : "DIFFERENT");
    }
    close(fd);
    return 0;
}

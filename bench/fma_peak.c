/* SPDX-License-Identifier: Apache-2.0 */
/* fma_peak.c — one core's fp32 FMA peak with AVX-512: 12 independent chains
 * of 512-bit fused multiply-adds (enough to cover the FMA latency on the
 * cores we measure on), 400 million FMAs in all, timed with the monotonic
 * clock. The ceiling the convolution figures of bench/README.md are read
 * against. A benchmark, not a test.
 *
 *   cc -O2 -mavx512f -mfma -o /tmp/fma_peak bench/fma_peak.c
 *   taskset -c 0 /tmp/fma_peak */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* named accumulators: an array of vectors would live in memory */
#define DECL(i) __m512 a##i = _mm512_set1_ps((float)(i));
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, b, c);
#define ALL(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11)

int main(void) {
    const __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    ALL(DECL)
    const long n = 400000000L / 12;
    double t0 = now_s();
    for (long k = 0; k < n; k++) { ALL(STEP) }
    double dt = now_s() - t0;
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    /* 16 lanes x 2 flops per FMA */
    printf("%.1f GFLOP/s (checksum %g)\n", (double)n * 12.0 * 32.0 / dt / 1e9, (double)_mm512_reduce_add_ps(s));
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* exec_conv.c — the reference executor's own convolution GEMM (x86-64 CPUs
 * with AVX-512), with the bias, the per-op statistics, the fp16 rounding
 * and the plan's conv -> add -> relu fusion in its epilogue.
 *
 * exec_math.c's convolution is im2col + OpenBLAS sgemm, then a pass for the
 * bias, and exec_run scans every output once more for the statistics; a
 * ResNet's relu and residual add are ops of their own, each more passes.
 * OpenBLAS packs both operands on every call (the im2col matrix once more
 * after im2col wrote it; the weights, 100 MB of fp32 for ResNet-50, per run).
 * Here:
 *   - the weights are packed once per plan (conv_pack): per block of 12
 *     output channels, K rows of 12, kept as binary16 when every value is
 *     one (all fp16-stored models), so a run reads half the bytes, in one
 *     sequential stream the kernels prefetch a block ahead;
 *   - per range (one per thread: ranges of output pixels, or of output
 *     channels when the image is small) and chunk of pixels, the im2col of
 *     a block of K rows is written directly as the GEMM's panel: tiles of
 *     32 pixels, each kc rows of 32 floats, <= 512 KiB so that it stays in
 *     L2 while every block of channels uses it; a 1x1 stride-1 convolution
 *     reads its input in place (rows of stride H*W, prefetched ahead);
 *   - a 3x3 convolution with a stride of 1 reads a zero-padded copy of its
 *     input directly (the direct mode, kerd: no panel), and one with a
 *     stride of 2 and a kernel wider than 1x1 reads the padded input's four
 *     phase planes (even or odd rows x even or odd columns, kerq), where
 *     each tap of 16 outputs is 16 consecutive floats; both sum the whole
 *     of K in one call (up to 1024 input channels);
 *   - a 3x3 stride-1 convolution with even output sizes, one group and
 *     transformed weights up to 6 MiB runs as Winograd F(2x2, 3x3)
 *     instead, reading its input in place (conv_items_wino: 2.25x fewer
 *     multiplies), unless a weight is not finite or very large; a chunk of
 *     tiles whose inputs hold such a value is summed directly, as the
 *     transforms would not give the direct sum's Inf and NaN;
 *   - a register tile of 32 pixels x 12 channels (24 zmm accumulators, two
 *     vector loads and 12 broadcasts per k) sums a block of K; partial sums
 *     of earlier blocks wait in the output. Small images whose pixels would
 *     leave many lanes empty (7x7: 49 of 64) run it transposed instead:
 *     32 channels x 12 pixels, the pixels read from the padded copy, the
 *     phase planes or a 1x1's input in place (conv_items_trd, its fp16
 *     weights widened in the kernel), else from an im2col panel
 *     (conv_items_tr);
 *   - the epilogue adds the bias, takes the statistics exec_run would scan
 *     for (largest finite |x| before rounding, fp16 overflow, NaN and Inf
 *     after it), rounds to binary16 when the output is rounded (c->scanned:
 *     exec_run does not scan again), and stores; in fp32, with K in one
 *     block, the kernels do it from their registers (epi: the register
 *     tile, the direct and phase modes, the Winograd output transform) and
 *     check once per tile that every value was finite;
 *   - when the next steps are an add of the conv's output and a tensor of
 *     the same shape and / or a relu (conv_fusion, decided at the first
 *     run), a pass over each chunk's fresh output (in L2) computes, counts,
 *     rounds and stores their outputs too, and marks those steps done for
 *     this run: exec_run skips them and their time is part of the conv's.
 *     Every op's output is still written in full, so hooks and later
 *     readers see what the separate ops would give.
 * The sums run in another order than OpenBLAS's (fp32 rounding differences
 * only). Elsewhere (no AVX-512, other compilers or CPUs, depthwise
 * convolution, or CML_EXEC_BLAS_CONV set in the environment when the plan was prepared, which the tests
 * use to compare both paths) exec_math.c does the work. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../exec_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CONV_FAST 1
#include <cpuid.h>
#include <immintrin.h>
#define CONV_TARGET __attribute__((target("avx512f,fma,popcnt,prfchw")))
#endif

#ifdef CONV_FAST

enum { S_CONV, S_ADD, S_RELU };
#define CONV_MR 32       /* pixels per register tile */
#define CONV_NR 12       /* output channels per register tile */
#define TR_MC 32         /* the transposed mode's tile: channels */
#define TR_NP CONV_NR    /* ... and pixels */
#define CONV_MAX_ITEMS 64
#define PFA_ROWS 24      /* prefetch distance (rows of k) in a strided panel */
#define IM2COL_KMAX 16   /* kernel sizes (each way) of the planned im2col; larger ones take the plain loop */
#define WINO_MAX_BYTES ((size_t)6 << 20) /* the Winograd mode's largest transformed weights */
/* ... and all of a plan's together: they are 3.6x the bytes of the fp16
 * 3x3 weights they replace, held besides those (a run whose inputs rule
 * the mode out takes the direct sum), so a model with many such layers
 * gives the later ones the direct mode instead (resnet50 holds 37 MB) */
#define WINO_PLAN_BYTES ((size_t)64 << 20)
/* Winograd only where every weight, and for each chunk of tiles every
 * input it reads, is below this (else wino_plain): the transforms
 * add and subtract values that the direct sum keeps apart, so an Inf or a
 * NaN would spread to other outputs (Inf - Inf: NaN where the direct sum
 * gives Inf), and large values could overflow where it does not. Below
 * 2^40 a product is below 2^80, and sums of 1024 channels of transformed
 * values (inputs up to 4x, weights up to 2.25x, outputs 9 of them) stay
 * below 2^100, far from FLT_MAX (2^128) */
#define WINO_MAX_ABS 0x1p40f

/* Where a register tile's lanes go: piece i stores the lanes m of vector v
 * at output pixels off + lane (lanes outside m are not outputs). A vector
 * is one piece, or two when it runs across the end of an output row (the
 * flattened direct tiles). */
typedef struct tsg {
    int np;
    struct {
        int v;
        __mmask16 m;
        int64_t off;
    } pc[4];
} tsg;

/* a direct-mode tile: its output pixels, the offsets of its vectors' tap 0
 * in a padded plane, and where its lanes go */
typedef struct dtile {
    int64_t px;                      /* its first output pixel */
    size_t a0, a1;
    __mmask16 m0, m1;                /* the lanes each vector computes */
    int npx;                         /* output pixels covered, px .. px + npx */
    tsg sg;                          /* where its lanes go (offsets: output pixels) */
} dtile;

typedef struct cstat {
    uint32_t mx;         /* largest finite |x| (bits) */
    uint64_t nan, inf, ovf;
} cstat;

/* one item's statistics, on cache lines of their own: items run on
 * different threads and update these from every tile's epilogue */
typedef struct cstats {
    _Alignas(64) cstat s[3];
} cstats;

typedef struct cjob {
    const float *x, *bias, *res;
    float *out[3];                   /* stream s: the conv (+ bias), then the fused add / relu */
    int kind[3];
    bool rnd[3];                     /* round stream s to binary16 (not when its input already is) */
    int n_out;
    bool chain;                      /* only the last stream is stored: the epilogue computes the
                                        fused ops in registers (out[0] holds only partial sums) */
    bool direct;                     /* 3x3 stride 1 read from the padded input (conv_items_direct) */
    bool phase;                      /* ... or stride 2, read from the padded input's phase planes */
    bool wino;                       /* ... or 3x3 stride 1 as Winograd F(2x2, 3x3) (conv_items_wino) */
    const float *wu;                 /* wino: the transformed weights, [16][o-block][Cin][12] */
    int64_t wt;                      /* ... and tiles per chunk (<= 32) */
    int khw;                         /* taps per input channel (kh * kw) */
    int32_t taps[IM2COL_KMAX * IM2COL_KMAX]; /* phase mode: tap (ki, kj)'s offset from a vector's first */
    size_t cs;                       /* elements per input channel of the padded copy */
    const float *xpad;               /* ... [N][Cin][Hp][Wp], zero borders */
    int64_t Hp, Wp;
    dtile *tiles;                    /* ... the image's tiles in pixel order */
    int64_t ntiles;
    int64_t N, Cin, H, W, Wo, P, K, cout, groups, Cg, Og, kh, kw;
    int64_t s[2], d[2], pad[4];
    bool pointwise;
    bool tr;                         /* transposed mode (conv_items_tr) */
    bool trd;                        /* ... reading xpad with taps, no im2col (conv_items_trd) */
    bool widen;                      /* ... its binary16 weights widened into scratch once per chunk
                                        of TRD_WIDEN_TILES tiles or more (trd_widen_pays) */
    int rp, ro;                      /* items: rp pixel ranges x ro channel ranges */
    int64_t nc;                      /* pixels per chunk (a multiple of the tile's pixels) */
    int64_t kc;                      /* rows of K per block */
    const void *wpk;                 /* the weights packed by conv_pack: [g][o-block][k][12] */
    bool wpk_half;                   /* ... as binary16 */
    float *scr;                      /* per range: a block's fp32 weights, then the chunk's tiles */
    size_t scr_per;
    cstats st[CONV_MAX_ITEMS];
} cjob;

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---- the register tile ---------------------------------------------------------------- */

/* The epilogue in registers, for the common case: one block of K, no
 * rounding (fp32), a tile of consecutive pixels. Each stage (the conv with
 * its bias, then the fused add and / or relu of a chain) keeps only the
 * largest |x| bits of its lanes, Inf and NaN included: those compare above
 * every finite value, so one test per tile tells that every value was
 * finite, and then that maximum and zero NaN / Inf counts are what
 * epilogue() would have counted. Otherwise the kernel leaves its sums in
 * the tile and the caller runs epilogue() on them, which stores the same
 * values again and counts them one by one (when the stored stream is the
 * residual the add reads, the register tile stores nothing until the tile
 * is known good; the other modes leave such a chain to epilogue()). */
typedef struct epi {
    const float *bias;               /* bias of the tile's first channel, or NULL */
    float *out;                      /* the stored stream at the tile's first channel and pixel */
    const float *res;                /* the fused add's other operand, there too, or NULL */
    size_t ld;                       /* elements from one channel to the next */
    bool relu;                       /* a fused relu (after the add, if any) */
    uint32_t mx[3];                  /* out: each stage's largest |x| bits in this tile */
    /* the direct modes' tiles: where vector v's lanes go, as one or two
     * pieces (pm[v][i] lanes at output pixels po[v][i] + lane, from out's
     * pixel 0; pm[v][1] 0 when one) */
    __mmask16 pm[2][2];
    int64_t po[2][2];
} epi;

/* one vector of the register epilogue, whose lanes go to one or two
 * pieces (ma at oa + lane, mb at ob + lane: mb 0 for one; two for a vector
 * of a flattened direct tile that runs across the end of an output row).
 * The operands are the caller's locals (read once per tile, not through ep
 * after every store), and each stage's maximum a named vector (mxc: the
 * conv, mxa: the add, mxr: the relu), so that they stay in registers.
 * Without store, only y is computed (the add in place, stored later). */
CONV_TARGET static inline __attribute__((always_inline)) __m512 epi_vec2(const float *bias, float *out,
                                                                        const float *res, size_t ld, bool relu,
                                                                        int q, __m512 y, __mmask16 ma, int64_t oa,
                                                                        __mmask16 mb, int64_t ob, __m512i *mxc,
                                                                        __m512i *mxa, __m512i *mxr, bool store) {
    const __m512i absm = _mm512_set1_epi32(0x7fffffff);
    const __mmask16 m = ma | mb;
    const size_t r = (size_t)q * ld;
    if (bias) y = _mm512_add_ps(y, _mm512_set1_ps(bias[q]));
    *mxc = _mm512_max_epu32(*mxc, _mm512_maskz_and_epi32(m, _mm512_castps_si512(y), absm));
    if (res) {
        __m512 rv = _mm512_maskz_loadu_ps(ma, res + r + oa);
        if (mb) rv = _mm512_mask_loadu_ps(rv, mb, res + r + ob);
        y = _mm512_add_ps(y, rv);
        *mxa = _mm512_max_epu32(*mxa, _mm512_maskz_and_epi32(m, _mm512_castps_si512(y), absm));
    }
    if (relu) {
        /* exec_ops.c relu: x > 0 or NaN keeps x, else +0. max(y, +0) is
         * that for every y but NaN (-0 too: vmaxps returns its second
         * operand for two zeros), and a NaN here was counted by the stage
         * before (mxc or mxa), so the tile goes to epilogue() and this
         * value is never the one kept. The result is never negative, so
         * its bits are its |x| bits: one masked max for the statistics */
        y = _mm512_max_ps(y, _mm512_setzero_ps());
        *mxr = _mm512_mask_max_epu32(*mxr, m, *mxr, _mm512_castps_si512(y));
    }
    if (store) {
        _mm512_mask_storeu_ps(out + r + oa, ma, y);
        if (mb) _mm512_mask_storeu_ps(out + r + ob, mb, y);
    }
    return y;
}

/* ... vector v of a tile of consecutive pixels: one piece, at 16 v */
CONV_TARGET static inline __attribute__((always_inline)) __m512 epi_vec(const float *bias, float *out,
                                                                       const float *res, size_t ld, bool relu, int q,
                                                                       int v, __m512 y, __mmask16 m, __m512i *mxc,
                                                                       __m512i *mxa, __m512i *mxr, bool store) {
    return epi_vec2(bias, out, res, ld, relu, q, y, m, 16 * (int64_t)v, 0, 0, mxc, mxa, mxr, store);
}

/* the end of a register epilogue: false when a value was not finite (the
 * caller then counts the tile one by one); else each stage's largest |x|
 * bits into mx, stage by stage as the chain's streams are numbered (the
 * conv, the add when res, the relu when relu) */
CONV_TARGET static inline __attribute__((always_inline)) bool epi_maxima(__m512i mxc, __m512i mxa, __m512i mxr,
                                                                        bool res, bool relu, uint32_t mx[3]) {
    __m512i any = _mm512_max_epu32(mxc, _mm512_max_epu32(mxa, mxr));
    if (_mm512_cmpge_epu32_mask(any, _mm512_set1_epi32(0x7f800000))) return false;
    int s = 0;
    mx[s++] = _mm512_reduce_max_epu32(mxc);
    if (res) mx[s++] = _mm512_reduce_max_epu32(mxa);
    if (relu) mx[s++] = _mm512_reduce_max_epu32(mxr);
    return true;
}

/* tile[q * 32 + i] = sum_k a[k * lda + i] * b[k * ldb + q] for i < 32 (lanes
 * masked by m0, m1; NV vectors) and q < NR: pixels i and channels q (b the
 * packed weights), or, in the transposed mode, channels i and pixels q (a
 * the weights). Named accumulators, not arrays: GCC keeps an array of
 * vectors in memory across the loop. */
#define ACC_DECL(q) __m512 c0_##q = _mm512_setzero_ps(), c1_##q = _mm512_setzero_ps();
#define ACC_STEP(q)                                                   \
    if (NR > q) {                                                     \
        __m512 bq = _mm512_set1_ps(b[q]);                             \
        c0_##q = _mm512_fmadd_ps(a0, bq, c0_##q);                     \
        if (NV > 1) c1_##q = _mm512_fmadd_ps(a1, bq, c1_##q);         \
    }
#define ACC_STORE(q)                                                          \
    if (NR > q) {                                                             \
        _mm512_store_ps(tile + q * CONV_MR, c0_##q);                          \
        if (NV > 1) _mm512_store_ps(tile + q * CONV_MR + 16, c1_##q);         \
    }
#define ACC_EPI(q)                                                                     \
    if (NR > q) {                                                                      \
        epi_vec(e_bias, e_out, e_res, e_ld, e_relu, q, 0, c0_##q, m0, &mxc, &mxa, &mxr, true); \
        if (NV > 1) epi_vec(e_bias, e_out, e_res, e_ld, e_relu, q, 1, c1_##q, m1, &mxc, &mxa, &mxr, true); \
    }
/* in place: the outputs into the accumulators, stored by ACC_PUT once the
 * tile is known good (the fallback reads the residual they overwrite) */
#define ACC_EPI_Y(q)                                                                                      \
    if (NR > q) {                                                                                         \
        c0_##q = epi_vec(e_bias, e_out, e_res, e_ld, e_relu, q, 0, c0_##q, m0, &mxc, &mxa, &mxr, false);  \
        if (NV > 1)                                                                                       \
            c1_##q = epi_vec(e_bias, e_out, e_res, e_ld, e_relu, q, 1, c1_##q, m1, &mxc, &mxa, &mxr, false); \
    }
#define ACC_PUT(q)                                                                         \
    if (NR > q) {                                                                          \
        _mm512_mask_storeu_ps(e_out + (size_t)q * e_ld, m0, c0_##q);                       \
        if (NV > 1) _mm512_mask_storeu_ps(e_out + (size_t)q * e_ld + 16, m1, c1_##q);      \
    }
#define ACC_ALL(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11)
/* With ep, the epilogue in registers (KER_DONE); else, or with a value the
 * register epilogue does not count, the sums into the tile (KER_SUMS), but
 * when the add is in place and such a value came: nothing (KER_AGAIN, the
 * caller runs the kernel again without ep, the residual intact) */
enum { KER_SUMS, KER_DONE, KER_AGAIN };
CONV_TARGET static inline __attribute__((always_inline)) int ker(const int NV, const int NR, const bool FULL, int64_t K,
                                                                 const float *a, size_t lda, const float *b,
                                                                 size_t ldb, __mmask16 m0, __mmask16 m1, float *tile,
                                                                 const char *pf, int64_t npf, const float *pa,
                                                                 const float *pn, size_t pas, const char *const *pl,
                                                                 int64_t npl, epi *ep) {
    ACC_ALL(ACC_DECL)
    for (int64_t k = 0; k < K; k++) {
        /* one line per k of what the next tiles need (the next weights) into L2 */
        if (k < npf) _mm_prefetch(pf + 64 * k, _MM_HINT_T1);
        /* and of the lines the next tile's epilogue reads and writes (pl) */
        if (k < npl) __builtin_prefetch(pl[k], 1, 3);
        /* a strided operand (a 1x1 convolution's input read in place): its
         * rows some way ahead (pa, stepping pas) */
        if (pas) {
            /* past this tile's last row, the next tile's first (pn) */
            if (k == K - PFA_ROWS) pa = pn;
            _mm_prefetch((const char *)pa, _MM_HINT_T0);
            _mm_prefetch((const char *)(pa + 16), _MM_HINT_T0);
            pa += pas;
        }
        /* a full tile's loads need no mask */
        __m512 a0 = FULL ? _mm512_loadu_ps(a) : _mm512_maskz_loadu_ps(m0, a);
        __m512 a1 = NV < 2 ? _mm512_setzero_ps() : FULL ? _mm512_loadu_ps(a + 16) : _mm512_maskz_loadu_ps(m1, a + 16);
        ACC_ALL(ACC_STEP)
        a += lda;
        b += ldb;
    }
    if (ep) {
        const float *e_bias = ep->bias, *e_res = ep->res;
        float *e_out = ep->out;
        const size_t e_ld = ep->ld;
        const bool e_relu = ep->relu;
        const bool inplace = e_res && e_res == e_out;
        __m512i mxc = _mm512_setzero_si512(), mxa = _mm512_setzero_si512(), mxr = _mm512_setzero_si512();
        if (inplace) {
            ACC_ALL(ACC_EPI_Y)
        } else {
            ACC_ALL(ACC_EPI)
        }
        if (epi_maxima(mxc, mxa, mxr, e_res != NULL, e_relu, ep->mx)) {
            if (inplace) {
                ACC_ALL(ACC_PUT)
            }
            return KER_DONE;
        }
        if (inplace) return KER_AGAIN;
    }
    ACC_ALL(ACC_STORE)
    return KER_SUMS;
}

typedef int (*ker_fn)(int64_t K, const float *a, size_t lda, const float *b, size_t ldb, __mmask16 m0,
                       __mmask16 m1, float *tile, const char *pf, int64_t npf, const float *pa, const float *pn,
                       size_t pas, const char *const *pl, int64_t npl, epi *ep);
#define KV(NV, NR)                                                                                        \
    CONV_TARGET static int ker_##NV##_##NR(int64_t K, const float *a, size_t lda, const float *b,         \
                                            size_t ldb, __mmask16 m0, __mmask16 m1, float *tile,          \
                                            const char *pf, int64_t npf, const float *pa, const float *pn, \
                                            size_t pas, const char *const *pl, int64_t npl, epi *ep) {    \
        if (m0 == 0xffff && (NV < 2 || m1 == 0xffff))                                                      \
            return ker(NV, NR, true, K, a, lda, b, ldb, 0xffff, 0xffff, tile, pf, npf, pa, pn, pas, pl, npl, ep); \
        return ker(NV, NR, false, K, a, lda, b, ldb, m0, m1, tile, pf, npf, pa, pn, pas, pl, npl, ep);        \
    }
/* each kernel comes in every shape of the register tile, (vectors, channels)
 * = (1..2, 1..12): EACH_TILE(M) instantiates M for all 24, and
 * TILE_TABLE(name) is the table name[NV - 1][NR - 1] of their functions */
#define EACH_TILE(M)                                                                                              \
    M(1, 1) M(1, 2) M(1, 3) M(1, 4) M(1, 5) M(1, 6) M(1, 7) M(1, 8) M(1, 9) M(1, 10) M(1, 11) M(1, 12) M(2, 1) \
    M(2, 2) M(2, 3) M(2, 4) M(2, 5) M(2, 6) M(2, 7) M(2, 8) M(2, 9) M(2, 10) M(2, 11) M(2, 12)
#define TILE_ROW(f, nv)                                                                                           \
    {f##_##nv##_1, f##_##nv##_2, f##_##nv##_3, f##_##nv##_4, f##_##nv##_5,  f##_##nv##_6,                      \
     f##_##nv##_7, f##_##nv##_8, f##_##nv##_9, f##_##nv##_10, f##_##nv##_11, f##_##nv##_12}
#define TILE_TABLE(f) {TILE_ROW(f, 1), TILE_ROW(f, 2)}
EACH_TILE(KV)
static ker_fn const KER[2][CONV_NR] = TILE_TABLE(ker);

/* The end of the direct kernels: with ep, the epilogue in registers over
 * the tile's pieces (true), else the sums into the tile (false), as ker's */
#define ACC_EPI2(q)                                                                                           \
    if (NR > q) {                                                                                             \
        epi_vec2(e_bias, e_out, e_res, e_ld, e_relu, q, c0_##q, ep->pm[0][0], ep->po[0][0], ep->pm[0][1],     \
                 ep->po[0][1], &mxc, &mxa, &mxr, true);                                                             \
        if (NV > 1)                                                                                           \
            epi_vec2(e_bias, e_out, e_res, e_ld, e_relu, q, c1_##q, ep->pm[1][0], ep->po[1][0], ep->pm[1][1], \
                     ep->po[1][1], &mxc, &mxa, &mxr, true);                                                         \
    }
#define KERD_END                                                                                   \
    if (ep) {                                                                                      \
        const float *e_bias = ep->bias, *e_res = ep->res;                                          \
        float *e_out = ep->out;                                                                    \
        const size_t e_ld = ep->ld;                                                                \
        const bool e_relu = ep->relu;                                                              \
        __m512i mxc = _mm512_setzero_si512(), mxa = _mm512_setzero_si512(), mxr = _mm512_setzero_si512(); \
        ACC_ALL(ACC_EPI2)                                                                          \
        if (epi_maxima(mxc, mxa, mxr, e_res != NULL, e_relu, ep->mx)) return true;                 \
    }                                                                                              \
    ACC_ALL(ACC_STORE)                                                                             \
    return false;

/* Direct 3x3 stride-1 convolution: the same register tile, A read straight
 * from the zero-padded input instead of an im2col panel. For input channel
 * c and tap (ki, kj), vector v's pixels start at pv + c * plane + ki * wpr
 * + kj (pv: its first pixel's tap (0, 0); a vector never leaves its output
 * row, so its pixels are consecutive in the padded row). K runs over whole
 * channels: nci of them, 9 rows of the packed weights each. */
CONV_TARGET static inline __attribute__((always_inline)) bool kerd(const int NV, const int NR, const bool FULL, int64_t nci,
                                                                  const float *p0, const float *p1, size_t plane,
                                                                  size_t wpr, const float *b, __mmask16 m0,
                                                                  __mmask16 m1, float *tile, const char *pf,
                                                                  int64_t npf, epi *ep) {
    ACC_ALL(ACC_DECL)
    int64_t k = 0;
    for (int64_t c = 0; c < nci; c++) {
        /* the next channel's three rows */
        for (int ki = 0; ki < 3; ki++) {
            _mm_prefetch((const char *)(p0 + plane + (size_t)ki * wpr), _MM_HINT_T0);
            if (NV > 1) _mm_prefetch((const char *)(p1 + plane + (size_t)ki * wpr), _MM_HINT_T0);
        }
        for (int ki = 0; ki < 3; ki++) {
            const float *r0 = p0 + (size_t)ki * wpr, *r1 = p1 + (size_t)ki * wpr;
            for (int kj = 0; kj < 3; kj++) {
                if (k < npf) _mm_prefetch(pf + 64 * k, _MM_HINT_T1);
                k++;
                __m512 a0 = FULL ? _mm512_loadu_ps(r0 + kj) : _mm512_maskz_loadu_ps(m0, r0 + kj);
                __m512 a1 = NV < 2   ? _mm512_setzero_ps()
                            : FULL ? _mm512_loadu_ps(r1 + kj)
                                   : _mm512_maskz_loadu_ps(m1, r1 + kj);
                ACC_ALL(ACC_STEP)
                b += CONV_NR;
            }
        }
        p0 += plane;
        p1 += plane;
    }
    KERD_END
}

/* The direct mode for strides of 2: the padded input of each channel is
 * kept as its four phase planes (even or odd rows x even or odd columns,
 * Hq x Wq each, cs floats apart per channel), so tap (ki, kj) of 16
 * consecutive outputs of a row is 16 consecutive floats of plane (ki & 1,
 * kj & 1) at row (ki >> 1) and column (kj >> 1) from the outputs' own:
 * taps[t], the same for every vector. */
CONV_TARGET static inline __attribute__((always_inline)) bool kerq(const int NV, const int NR, const bool FULL, int64_t nci,
                                                                  const float *p0, const float *p1, size_t cs,
                                                                  const int32_t *taps, int nt, const float *b,
                                                                  __mmask16 m0, __mmask16 m1, float *tile,
                                                                  const char *pf, int64_t npf, epi *ep) {
    ACC_ALL(ACC_DECL)
    int64_t k = 0;
    for (int64_t c = 0; c < nci; c++) {
        const bool more = c + 1 < nci;
        for (int t = 0; t < nt; t++) {
            if (k < npf) _mm_prefetch(pf + 64 * k, _MM_HINT_T1);
            k++;
            /* the next channel's lines of this tap: the first and the last
             * of the 32 floats both vectors read */
            if (more) {
                _mm_prefetch((const char *)(p0 + cs + taps[t]), _MM_HINT_T0);
                if (NV > 1) _mm_prefetch((const char *)(p1 + cs + taps[t] + 15), _MM_HINT_T0);
            }
            __m512 a0 = FULL ? _mm512_loadu_ps(p0 + taps[t]) : _mm512_maskz_loadu_ps(m0, p0 + taps[t]);
            __m512 a1 = NV < 2   ? _mm512_setzero_ps()
                        : FULL ? _mm512_loadu_ps(p1 + taps[t])
                               : _mm512_maskz_loadu_ps(m1, p1 + taps[t]);
            ACC_ALL(ACC_STEP)
            b += CONV_NR;
        }
        p0 += cs;
        p1 += cs;
    }
    KERD_END
}

typedef bool (*kerq_fn)(int64_t nci, const float *p0, const float *p1, size_t cs, const int32_t *taps, int nt,
                        const float *b, __mmask16 m0, __mmask16 m1, float *tile, const char *pf, int64_t npf,
                        epi *ep);
#define KVQ(NV, NR)                                                                                               \
    CONV_TARGET static bool kerq_##NV##_##NR(int64_t nci, const float *p0, const float *p1, size_t cs,           \
                                             const int32_t *taps, int nt, const float *b, __mmask16 m0,           \
                                             __mmask16 m1, float *tile, const char *pf, int64_t npf, epi *ep) {  \
        if (m0 == 0xffff && (NV < 2 || m1 == 0xffff))                                                             \
            return kerq(NV, NR, true, nci, p0, p1, cs, taps, nt, b, 0xffff, 0xffff, tile, pf, npf, ep);           \
        return kerq(NV, NR, false, nci, p0, p1, cs, taps, nt, b, m0, m1, tile, pf, npf, ep);                      \
    }
EACH_TILE(KVQ)
static kerq_fn const KERQ[2][CONV_NR] = TILE_TABLE(kerq);

typedef bool (*kerd_fn)(int64_t nci, const float *p0, const float *p1, size_t plane, size_t wpr, const float *b,
                        __mmask16 m0, __mmask16 m1, float *tile, const char *pf, int64_t npf, epi *ep);
#define KVD(NV, NR)                                                                                               \
    CONV_TARGET static bool kerd_##NV##_##NR(int64_t nci, const float *p0, const float *p1, size_t plane,          \
                                             size_t wpr, const float *b, __mmask16 m0, __mmask16 m1, float *tile, \
                                             const char *pf, int64_t npf, epi *ep) {                              \
        if (m0 == 0xffff && (NV < 2 || m1 == 0xffff))                                                             \
            return kerd(NV, NR, true, nci, p0, p1, plane, wpr, b, 0xffff, 0xffff, tile, pf, npf, ep);             \
        return kerd(NV, NR, false, nci, p0, p1, plane, wpr, b, m0, m1, tile, pf, npf, ep);                        \
    }
EACH_TILE(KVD)
static kerd_fn const KERD[2][CONV_NR] = TILE_TABLE(kerd);

/* The transposed mode's direct kernel: the register tile with the roles
 * of ker's transposed call (vectors of output channels from the packed
 * weights w, 32 per row of K, zero past the last channel; pixels
 * broadcast), the pixels read straight from the padded copy or the phase
 * planes: for input channel c and tap t, pixel q's value is p[c * cs +
 * taps[t] + q] (q: consecutive positions of the output laid out at the
 * padded row width, conv_items_trd). Binary16 weights (H) are widened as
 * they are loaded, not into a scratch copy first (which took a tenth of
 * resnet's 7x7 layers). */
CONV_TARGET static inline __attribute__((always_inline)) void kert(const int NV, const int NR, const bool H,
                                                                  int64_t nci, const void *wv, const float *p,
                                                                  size_t cs, const int32_t *taps, int nt,
                                                                  float *tile, const char *pf, int64_t npf) {
    ACC_ALL(ACC_DECL)
    const float *w = wv;
    const uint16_t *wh = wv;
    int64_t k = 0;
    for (int64_t c = 0; c < nci; c++, p += cs) {
        for (int t = 0; t < nt; t++) {
            if (k < npf) _mm_prefetch(pf + 64 * k, _MM_HINT_T1);
            k++;
            const float *b = p + taps[t];
            __m512 a0, a1 = _mm512_setzero_ps();
            if (H) {
                a0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)wh));
                if (NV > 1) a1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(wh + 16)));
                wh += TR_MC;
            } else {
                a0 = _mm512_loadu_ps(w);
                if (NV > 1) a1 = _mm512_loadu_ps(w + 16);
                w += TR_MC;
            }
            ACC_ALL(ACC_STEP)
        }
    }
    ACC_ALL(ACC_STORE)
}

typedef void (*kert_fn)(int64_t nci, const void *w, const float *p, size_t cs, const int32_t *taps, int nt,
                        float *tile, const char *pf, int64_t npf);
#define KVT(NV, NR)                                                                                               \
    CONV_TARGET static void kert_##NV##_##NR(int64_t nci, const void *w, const float *p, size_t cs,              \
                                             const int32_t *taps, int nt, float *tile, const char *pf,            \
                                             int64_t npf) {                                                       \
        kert(NV, NR, false, nci, w, p, cs, taps, nt, tile, pf, npf);                                              \
    }                                                                                                             \
    CONV_TARGET static void kerth_##NV##_##NR(int64_t nci, const void *w, const float *p, size_t cs,             \
                                              const int32_t *taps, int nt, float *tile, const char *pf,           \
                                              int64_t npf) {                                                      \
        kert(NV, NR, true, nci, w, p, cs, taps, nt, tile, pf, npf);                                               \
    }
EACH_TILE(KVT)
static kert_fn const KERT[2][2][CONV_NR] = {TILE_TABLE(kert), TILE_TABLE(kerth)};



/* ---- packing ---------------------------------------------------------------------------- */

/* lanes [a, b) of 16 (0 <= a <= b <= 16) */
static inline __mmask16 lanes(int a, int b) { return (__mmask16)(((1u << b) - 1) & ~((1u << a) - 1)); }

/* the even elements of the 32 floats lo, hi: a stride of 2 across */
CONV_TARGET static inline __attribute__((always_inline)) __m512 evens(__m512 lo, __m512 hi) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_ps(lo, even, hi);
}

/* ... and the odd ones */
CONV_TARGET static inline __attribute__((always_inline)) __m512 odds(__m512 lo, __m512 hi) {
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    return _mm512_permutex2var_ps(lo, odd, hi);
}

/* the 16x16 transpose of r in place: r[c] becomes column c */
CONV_TARGET static inline __attribute__((always_inline)) void tr16(__m512 r[16]) {
    __m512 t[16];
    for (int q = 0; q < 16; q += 2) {
        t[q] = _mm512_unpacklo_ps(r[q], r[q + 1]);
        t[q + 1] = _mm512_unpackhi_ps(r[q], r[q + 1]);
    }
    for (int q = 0; q < 16; q += 4) {
        r[q] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[q]), _mm512_castps_pd(t[q + 2])));
        r[q + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[q]), _mm512_castps_pd(t[q + 2])));
        r[q + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[q + 1]), _mm512_castps_pd(t[q + 3])));
        r[q + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[q + 1]), _mm512_castps_pd(t[q + 3])));
    }
    /* r[4g + i] holds, per 128-bit lane L, column 4L + i of rows 4g..4g+3 */
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);      /* lanes 0,2 of r[i], r[4+i] */
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);  /* lanes 1,3 */
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        /* column 4L + i: rows 0..7 from t[i] / t[4 + i], rows 8..15 from t[8 + i] / t[12 + i] */
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
    }
}

/* wp[k * ldw + q] = w[q * K + k] for q < nr (<= 16): 16 k at a time
 * through a register transpose */
CONV_TARGET __attribute__((noinline)) static void pack_w(const float *w, int64_t K, int nr, float *wp, int ldw) {
    int64_t k = 0;
    __mmask16 m = lanes(0, nr);
    for (; k + 16 <= K; k += 16) {
        __m512 r[16];
        for (int q = 0; q < 16; q++) r[q] = q < nr ? _mm512_loadu_ps(w + q * K + k) : _mm512_setzero_ps();
        tr16(r);
        for (int i = 0; i < 16; i++) _mm512_mask_storeu_ps(wp + (k + i) * ldw, m, r[i]);
    }
    for (int q = 0; q < nr; q++)
        for (int64_t kk = k; kk < K; kk++) wp[kk * ldw + q] = w[q * K + kk];
}


/* dst[i] for i < len (<= 32): src[i * sw] for i in [va, vz), else 0; only
 * those source elements (and, for stride 2, the ones between them) are
 * read */
CONV_TARGET static inline __attribute__((always_inline)) void seg_copy(float *dst, const float *src, int len, int va,
                                                                      int vz, int64_t sw) {
    for (int i = 0; i < len; i += 16) {
        int cnt = len - i < 16 ? len - i : 16;
        int lo = va - i > 0 ? va - i : 0, hi = vz - i < cnt ? vz - i : cnt;
        __m512 v = _mm512_setzero_ps();
        if (hi > lo) {
            __mmask16 mv = lanes(lo, hi);
            if (sw == 1) {
                v = _mm512_maskz_loadu_ps(mv, src + i);
            } else if (sw == 2) {
                /* lane l is element 2l of the 32 from src + 2i: read [2lo, 2hi - 1) */
                const float *b = src + 2 * i;
                int e0 = 2 * lo, e1 = 2 * hi - 1;
                __mmask16 ml = e0 < 16 ? lanes(e0, e1 < 16 ? e1 : 16) : 0;
                __mmask16 mh = e1 > 16 ? lanes(e0 > 16 ? e0 - 16 : 0, e1 - 16) : 0;
                v = _mm512_maskz_mov_ps(mv, evens(_mm512_maskz_loadu_ps(ml, b), _mm512_maskz_loadu_ps(mh, b + 16)));
            } else {
                float t[16];
                for (int l = lo; l < hi; l++) t[l] = src[(i + l) * sw];
                v = _mm512_maskz_loadu_ps(mv, t);
            }
        }
        _mm512_mask_storeu_ps(dst + i, lanes(0, cnt), v);
    }
}

/* im2col of the pixels [p0, p0 + n) (n <= rs <= 32) of one group's input xg
 * into tile[(k - k0) * rs + i] for the rows k = (c, ki, kj) in [k0, k1) */
CONV_TARGET __attribute__((noinline)) static void im2col_tile(const cjob *j, const float *xg, int64_t p0, int n,
                                                              int64_t k0, int64_t k1, float *tile, int rs) {
    /* the stretches of output rows the tile covers: the same for every k */
    struct { int64_t oh, ow0, ow1; int at; } seg[CONV_MR];
    int ns = 0;
    for (int i = 0; i < n;) {
        int64_t p = p0 + i, oh = p / j->Wo, ow0 = p % j->Wo;
        int64_t ow1 = ow0 + (n - i) < j->Wo ? ow0 + (n - i) : j->Wo;
        seg[ns].oh = oh;
        seg[ns].ow0 = ow0;
        seg[ns].ow1 = ow1;
        seg[ns].at = i;
        ns++;
        i += (int)(ow1 - ow0);
    }
    const int64_t H = j->H, W = j->W, sw = j->s[1], kh = j->kh, kw = j->kw, khw = kh * kw;
    float *row = tile;
    if (kh <= IM2COL_KMAX && kw <= IM2COL_KMAX && sw <= 2) {
        /* what depends only on the segment and ki (the source row, or none)
         * or kj (the column offset and the lanes to read), worked out once;
         * the rows then cost a masked load and store per 16 values */
        int64_t rowo[CONV_MR][IM2COL_KMAX], colo[CONV_MR][IM2COL_KMAX];
        __mmask16 mv[CONV_MR][IM2COL_KMAX][2], ml[CONV_MR][IM2COL_KMAX][2], mh[CONV_MR][IM2COL_KMAX][2];
        __mmask16 ms[CONV_MR][2];
        for (int g = 0; g < ns; g++) {
            int len = (int)(seg[g].ow1 - seg[g].ow0);
            ms[g][0] = lanes(0, len < 16 ? len : 16);
            ms[g][1] = len > 16 ? lanes(0, len - 16) : 0;
            for (int64_t ki = 0; ki < kh; ki++) {
                int64_t ih = seg[g].oh * j->s[0] - j->pad[0] + ki * j->d[0];
                rowo[g][ki] = ih < 0 || ih >= H ? -1 : ih * W;
            }
            for (int64_t kj = 0; kj < kw; kj++) {
                int64_t off = kj * j->d[1] - j->pad[2], ow0 = seg[g].ow0, ow1 = seg[g].ow1;
                int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
                int64_t hi = (W - 1 - off) >= 0 ? (W - 1 - off) / sw + 1 : 0;
                int64_t a = lo < ow0 ? ow0 : lo > ow1 ? ow1 : lo;
                int64_t z = hi < a ? a : hi > ow1 ? ow1 : hi;
                int va = (int)(a - ow0), vz = (int)(z - ow0);
                colo[g][kj] = ow0 * sw + off;
                for (int v = 0; v < 2; v++) {
                    int i = 16 * v, cnt = len - i < 16 ? len - i : 16;
                    int l0 = va - i > 0 ? va - i : 0, l1 = vz - i < cnt ? vz - i : cnt;
                    mv[g][kj][v] = ml[g][kj][v] = mh[g][kj][v] = 0;
                    if (cnt <= 0 || l1 <= l0) continue;
                    mv[g][kj][v] = lanes(l0, l1);
                    /* stride 2: lane l is element 2l of the 32 from 2i: read [2 l0, 2 l1 - 1) */
                    int e0 = 2 * l0, e1 = 2 * l1 - 1;
                    ml[g][kj][v] = e0 < 16 ? lanes(e0, e1 < 16 ? e1 : 16) : 0;
                    mh[g][kj][v] = e1 > 16 ? lanes(e0 > 16 ? e0 - 16 : 0, e1 - 16) : 0;
                }
            }
        }
        for (int64_t c = k0 / khw; c < j->Cg && c * khw < k1; c++) {
            const float *xc = xg + c * H * W;
            for (int64_t ki = 0; ki < kh; ki++)
                for (int64_t kj = 0; kj < kw; kj++) {
                    int64_t k = (c * kh + ki) * kw + kj;
                    if (k < k0 || k >= k1) continue;
                    for (int g = 0; g < ns; g++) {
                        float *d = row + seg[g].at;
                        int64_t ro = rowo[g][ki];
                        for (int v = 0; v < 2 && ms[g][v]; v++) {
                            __m512 x = _mm512_setzero_ps();
                            if (ro >= 0 && mv[g][kj][v]) {
                                const float *src = xc + ro + colo[g][kj] + 16 * v * sw;
                                if (sw == 1) {
                                    x = _mm512_maskz_loadu_ps(mv[g][kj][v], src);
                                } else {
                                    x = evens(_mm512_maskz_loadu_ps(ml[g][kj][v], src),
                                              _mm512_maskz_loadu_ps(mh[g][kj][v], src + 16));
                                    x = _mm512_maskz_mov_ps(mv[g][kj][v], x);
                                }
                            }
                            _mm512_mask_storeu_ps(d + 16 * v, ms[g][v], x);
                        }
                    }
                    row += rs;
                }
        }
        return;
    }
    for (int64_t c = k0 / khw; c < j->Cg && c * khw < k1; c++) {
        const float *xc = xg + c * H * W;
        for (int64_t ki = 0; ki < kh; ki++)
            for (int64_t kj = 0; kj < kw; kj++) {
                int64_t k = (c * kh + ki) * kw + kj;
                if (k < k0 || k >= k1) continue;
                /* valid ow: 0 <= ow * sw - pad_left + kj * dw < W */
                int64_t off = kj * j->d[1] - j->pad[2];
                int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
                int64_t hi = (W - 1 - off) >= 0 ? (W - 1 - off) / sw + 1 : 0;
                for (int g = 0; g < ns; g++) {
                    int64_t ow0 = seg[g].ow0, ow1 = seg[g].ow1;
                    int64_t ih = seg[g].oh * j->s[0] - j->pad[0] + ki * j->d[0];
                    int len = (int)(ow1 - ow0);
                    if (ih < 0 || ih >= H) {
                        seg_copy(row + seg[g].at, NULL, len, 0, 0, sw);
                        continue;
                    }
                    int64_t a = lo < ow0 ? ow0 : lo > ow1 ? ow1 : lo;
                    int64_t z = hi < a ? a : hi > ow1 ? ow1 : hi;
                    /* xr[ow * sw] = x[ih][ow * sw + off] for ow in [a, z) */
                    const float *xr = xc + ih * W + off;
                    seg_copy(row + seg[g].at, z > a ? xr + ow0 * sw : NULL, len, (int)(a - ow0), (int)(z - ow0), sw);
                }
                row += rs;
            }
    }
}

/* ---- the epilogue ------------------------------------------------------------------------ */

/* binary16 round trip of 16 floats: exec_r16 (overflow to inf, NaN kept,
 * subnormal spacing 2^-24, round to nearest even). The conversions round
 * to nearest even as exec_r16 does, and give Inf from 65520 up, as it
 * does; a NaN keeps its own bits (the conversion would keep 10 of its 23
 * payload bits), as with exec_r16 */
CONV_TARGET static inline __attribute__((always_inline)) __m512 r16v(__m512 y) {
    __m512 r = _mm512_cvtph_ps(_mm512_cvtps_ph(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), y);
}

/* the statistics of the lanes m of y (exec.c scan_output's), rounded first
 * when rnd */
CONV_TARGET static inline __attribute__((always_inline)) __m512 stat16(__m512 y, __mmask16 m, bool rnd, __m512i *mx,
                                                                      cstat *st) {
    const __m512i absm = _mm512_set1_epi32(0x7fffffff), infb = _mm512_set1_epi32(0x7f800000);
    __m512i ab = _mm512_and_si512(_mm512_castps_si512(y), absm);
    __mmask16 fin = _mm512_mask_cmplt_epu32_mask(m, ab, infb);
    *mx = _mm512_mask_max_epu32(*mx, fin, *mx, ab);
    if (rnd) {
        /* finite values above 65504 before rounding (exec.c: 0x477fe000) */
        st->ovf += (uint64_t)__builtin_popcount(_mm512_mask_cmpgt_epu32_mask(fin, ab, _mm512_set1_epi32(0x477fe000)));
        y = r16v(y);
        ab = _mm512_and_si512(_mm512_castps_si512(y), absm);
        fin = _mm512_mask_cmplt_epu32_mask(m, ab, infb);
    }
    __mmask16 nf = (__mmask16)(m & ~fin);
    if (nf) {
        unsigned nan = (unsigned)__builtin_popcount(_mm512_mask_cmpgt_epu32_mask(nf, ab, infb));
        st->nan += nan;
        st->inf += (unsigned)__builtin_popcount(nf) - nan;
    }
    return y;
}

/* Where a chunk's conv sums go: y(ch, px) at base[(ch - ch0) * ld + px - px0]
 * (the conv's output) */
typedef struct ydst {
    float *base;
    size_t ld;
    int64_t ch0, px0;
} ydst;

static inline float *yat(const ydst *yd, int64_t ch, int64_t px) {
    return yd->base + (size_t)(ch - yd->ch0) * yd->ld + (size_t)(px - yd->px0);
}

/* npx consecutive pixels from the tile's px: vector 0 the first 16, vector 1 the rest */
static inline tsg tsg_n(int npx) {
    tsg g;
    g.np = npx > 16 ? 2 : 1;
    g.pc[0].v = 0;
    g.pc[0].m = npx >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << npx) - 1);
    g.pc[0].off = 0;
    g.pc[1].v = 1;
    g.pc[1].m = npx >= 32 ? (__mmask16)0xffff : npx > 16 ? (__mmask16)((1u << (npx - 16)) - 1) : 0;
    g.pc[1].off = 16;
    return g;
}

/* bias, statistics, rounding and stores of one register tile: channels
 * [ch0, ch0 + nr), the pixels sg says from px, of the conv's output,
 * channel q's at tile + q * tld */
CONV_TARGET __attribute__((noinline)) static void epilogue(const cjob *j, cstat *st, const float *tile, int tld,
                                                           int nr, const tsg *sg, int64_t ch0, int64_t px,
                                                           const ydst *yd) {
    __m512i mx = _mm512_setzero_si512();
    const bool rnd = j->rnd[0];
    if (j->chain) {
        /* conv -> [add] -> relu in registers, each stage counted (and rounded)
         * as its op would be; only the last is stored */
        __m512i mx1 = _mm512_setzero_si512(), mx2 = _mm512_setzero_si512();
        const int n_out = j->n_out;
        float *last = j->out[n_out - 1];
        for (int q = 0; q < nr; q++) {
            int64_t ch = ch0 + q;
            size_t off = (size_t)(yat(yd, ch, px) - j->out[0]);
            __m512 bv = _mm512_set1_ps(j->bias ? j->bias[ch] : 0.0f);
            for (int i = 0; i < sg->np; i++) {
                const __mmask16 m = sg->pc[i].m;
                const int64_t po = sg->pc[i].off;
                __m512 y = _mm512_load_ps(tile + q * tld + 16 * sg->pc[i].v);
                if (j->bias) y = _mm512_add_ps(y, bv);
                y = stat16(y, m, rnd, &mx, st);
                for (int s = 1; s < n_out; s++) {
                    if (j->kind[s] == S_ADD)
                        y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, j->res + off + po));
                    else /* exec_ops.c relu: x > 0 or NaN keeps x, else +0 */
                        y = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_NLE_UQ), y);
                    y = stat16(y, m, j->rnd[s], s == 1 ? &mx1 : &mx2, &st[s]);
                }
                _mm512_mask_storeu_ps(last + off + po, m, y);
            }
        }
        uint32_t v1 = _mm512_reduce_max_epu32(mx1), v2 = _mm512_reduce_max_epu32(mx2);
        if (v1 > st[1].mx) st[1].mx = v1;
        if (n_out > 2 && v2 > st[2].mx) st[2].mx = v2;
    } else {
        for (int q = 0; q < nr; q++) {
            int64_t ch = ch0 + q;
            float *yo = yat(yd, ch, px);
            __m512 bv = _mm512_set1_ps(j->bias ? j->bias[ch] : 0.0f);
            for (int i = 0; i < sg->np; i++) {
                const __mmask16 m = sg->pc[i].m;
                __m512 y = _mm512_load_ps(tile + q * tld + 16 * sg->pc[i].v);
                /* no bias: the sums as they are (-0 stays -0, as after sgemm) */
                if (j->bias) y = _mm512_add_ps(y, bv);
                y = stat16(y, m, rnd, &mx, st);
                _mm512_mask_storeu_ps(yo + sg->pc[i].off, m, y);
            }
        }
    }
    uint32_t v = _mm512_reduce_max_epu32(mx);
    if (v > st->mx) st->mx = v;
}

/* The fused ops of channels [c0, c1) of image n, pixels [p0, p0 + np): the
 * conv's values just written (in L2) are read back, and the add and / or
 * relu computed, counted, rounded and stored. (Writing the conv's tiles to
 * an L2 buffer instead and copying them out here, with streaming stores for
 * the outputs only the fused op reads, measured slower.) */
CONV_TARGET __attribute__((noinline)) static void fused_pass(const cjob *j, cstat *st, int64_t n, int64_t c0,
                                                             int64_t c1, int64_t p0, int64_t np) {
    __m512i mx1 = _mm512_setzero_si512(), mx2 = _mm512_setzero_si512();
    const int n_out = j->n_out;
    for (int64_t ch = c0; ch < c1; ch++) {
        size_t off = (size_t)((n * j->cout + ch) * j->P + p0);
        const float *y0 = j->out[0] + off;
        for (int64_t i = 0; i < np; i += 16) {
            __mmask16 m = np - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (np - i)) - 1);
            /* 512 bytes ahead: the residual (in L3) and the fresh output lines */
            if (j->res) __builtin_prefetch(j->res + off + i + 128, 0, 3);
            for (int s = 1; s < n_out; s++) __builtin_prefetch(j->out[s] + off + i + 128, 1, 3);
            __m512 y = _mm512_maskz_loadu_ps(m, y0 + i);
            for (int s = 1; s < n_out; s++) {
                if (j->kind[s] == S_ADD) {
                    y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, j->res + off + i));
                } else {
                    /* exec_ops.c relu: x > 0 or NaN keeps x, else +0 */
                    y = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_NLE_UQ), y);
                }
                y = stat16(y, m, j->rnd[s], s == 1 ? &mx1 : &mx2, &st[s]);
                _mm512_mask_storeu_ps(j->out[s] + off + i, m, y);
            }
        }
    }
    uint32_t v = _mm512_reduce_max_epu32(mx1);
    if (v > st[1].mx) st[1].mx = v;
    v = _mm512_reduce_max_epu32(mx2);
    if (n_out > 2 && v > st[2].mx) st[2].mx = v;
}

/* ---- the packed weights ------------------------------------------------------------------ */

CONV_TARGET static void half_to_f32(const uint16_t *h, size_t n, float *f) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(f + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(h + i))));
    for (; i < n; i++) f[i] = exec_half_to_float(h[i]);
}

/* A conv step's weights, packed once per weight buffer it runs with (the
 * fp32 constants, and the fp16 emulation copies when they differ): for each
 * group and block of 12 output channels (32 in the transposed mode), K rows
 * of 12 (32; zero past the last channel), so the kernels read one
 * sequential stream that the next
 * block's prefetch covers, and nothing is transposed per run. Weights that
 * are all binary16 values (every fp16-stored model) are kept as binary16,
 * half the memory and half the bytes read per run; a block is widened into
 * the range's scratch right before use. */
typedef struct cwpack {
    const float *src;                /* the fp32 buffer packed, or NULL: */
    const xlz *lz;                   /* a stored-form constant, decoded with r16 */
    bool r16;
    int64_t cout, K, groups;
    int width;
    bool half;
    bool bumped;                     /* data is the plan's (exec_plan_bump), not freed here */
    size_t bytes;                    /* of data */
    void *data;
    float *wino;                     /* the Winograd transform of data (wino_pack), or NULL */
    bool wino_no;                    /* ... which a weight too large or not finite rules out */
} cwpack;
typedef struct cwcache {
    cwpack e[2];
} cwcache;

/* the bytes of a packing's Winograd weights (wino_pack: 16 x blocks x Cin x 12 floats, Cin = K / 9) */
static size_t wino_bytes(const cwpack *e) {
    size_t nb = (size_t)((e->cout / e->groups + e->width - 1) / e->width);
    return (size_t)16 * nb * (size_t)(e->K / 9) * CONV_NR * sizeof(float);
}

/* tmp[0, n) into binary16 at h; false when a value is not exactly one */
CONV_TARGET static bool f32_to_half_exact(const float *f, size_t n, uint16_t *h) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(f + i);
        __m256i hv = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        if (_mm512_cmpneq_epi32_mask(_mm512_castps_si512(v), _mm512_castps_si512(_mm512_cvtph_ps(hv)))) return false;
        _mm256_storeu_si256((__m256i *)(h + i), hv);
    }
    for (; i < n; i++) {
        if (exec_r16(f[i]) != f[i]) return false;
        uint16_t t[16];
        _mm256_storeu_si256((__m256i *)t, _mm512_cvtps_ph(_mm512_set1_ps(f[i]), _MM_FROUND_TO_NEAREST_INT));
        h[i] = t[0];
    }
    return true;
}

typedef struct pack_job {
    const float *w;                  /* fp32 weights, or NULL: */
    const xlz *lz;                   /* a stored-form constant's rows, decoded per block */
    bool r16;
    int64_t K, Og, nb;
    int width;                       /* output channels per block: 12, or 32 (transposed mode) */
    bool half;
    void *data;
    float *tmp;                      /* per thread: one block in fp32, then (lz) its rows decoded */
    atomic_bool inexact;             /* a value is not a binary16: pack as fp32 instead */
    size_t blk0;                     /* the region's first block */
    const unsigned char *stage;      /* lz's stored bytes from element stage_e0, read by the host */
    size_t stage_e0, stage_es;
} pack_job;

/* block blk's first row (output channel) and its row count */
static int64_t blk_rows(const pack_job *j, size_t blk, int *nr) {
    int64_t g = (int64_t)blk / j->nb, bi = (int64_t)blk % j->nb;
    *nr = (int)min64(j->width, j->Og - bi * j->width);
    return g * j->Og + bi * j->width;
}

CONV_TARGET static void pack_blocks(void *arg, size_t b, size_t e, int range) {
    pack_job *j = arg;
    const int wd = j->width;
    size_t bn = (size_t)j->K * (size_t)wd;
    float *tmp = j->tmp + (size_t)range * 2 * bn, *rows = tmp + bn;
    b += j->blk0;
    e += j->blk0;
    for (size_t blk = b; blk < e && !atomic_load_explicit(&j->inexact, memory_order_relaxed); blk++) {
        int nr;
        int64_t r0 = blk_rows(j, blk, &nr);
        float *dst = j->half ? tmp : (float *)j->data + blk * bn;
        if (nr < wd) memset(dst, 0, bn * sizeof(float));
        const float *wb = j->w + r0 * j->K;
        if (j->stage) {
            exec_lz_decode_stored(j->lz, j->stage + ((size_t)(r0 * j->K) - j->stage_e0) * j->stage_es,
                                  (size_t)(nr * j->K), rows, j->r16);
            wb = rows;
        } else if (!j->w) {
            exec_lz_decode(j->lz, (size_t)(r0 * j->K), (size_t)((r0 + nr) * j->K), rows, j->r16);
            wb = rows;
        }
        for (int h = 0; h < nr; h += 16) pack_w(wb + h * j->K, j->K, nr - h < 16 ? nr - h : 16, dst + h, wd);
        if (j->half && !f32_to_half_exact(tmp, bn, (uint16_t *)j->data + blk * bn))
            atomic_store(&j->inexact, true);
    }
}

/* w is a constant's buffer (fp32 or its fp16 emulation copy): it keeps
 * its contents for the plan's life, so its packing can be kept. A weight
 * computed at run time sits in a recycled runtime buffer whose address
 * repeats with other contents. */
static const cwpack CONV_NOT_CONST;

static bool const_buffer(const exec_plan *p, const float *w) {
    for (size_t i = 0; i < p->n_slots; i++)
        if (p->slots[i].kind == SLOT_CONST && (p->slots[i].t.d == w || p->slots[i].t16.d == w)) return true;
    return false;
}

/* n bytes for a packing: cut from the plan's chunks (*bumped) unless it
 * replaces another in a step's cache (own), else a buffer of its own */
static void *pack_mem(exec_plan *p, size_t n, bool own, bool *bumped) {
    void *m = own ? NULL : exec_plan_bump(p, n);
    *bumped = m != NULL;
    return m ? m : exec_huge_alloc(n, NULL);
}

/* gives pack_mem's n bytes back: a bumped packing only when it is the
 * plan's latest (exec_plan_unbump), the rest with the plan */
static void pack_mem_release(exec_plan *p, void *m, size_t n, bool bumped) {
    if (bumped) exec_plan_unbump(p, m, n);
    else free(m);
}

/* The packing pass's scratch, kept from one packing to the next
 * (exec_grow_bytes), is given back after a packing when it passed a huge
 * page: a larger one (K in the thousands, many threads) would stay in the
 * resident set of every later run */
static void keep_trim(void **buf, size_t *have) {
    if (*have <= EXEC_HUGE_PAGE) return;
    free(*buf);
    *buf = NULL;
    *have = 0;
}

/* A packing reads a weight the host has mapped through the host's reader
 * instead, in chunks of whole blocks of at least this many bytes (and two
 * blocks per thread), at most EXEC_HUGE_PAGE unless one block is larger:
 * on the VM of bench/README.md (set 9) the first touch of each 4 KiB page
 * of a file mapping costs 2 us even when no fault is taken, 25 ms for
 * resnet50's 51 MB of fp16 weights, against 5-6 ms for pread's copy of
 * them. The reader takes one thread at a time: the chunk is read, then its
 * blocks are packed in parallel. */
#define PACK_STAGE ((size_t)512 * 1024)

/* the packing failed because the weight file came short (it shrank or
 * could not be read while the packing read it) */
static const cwpack CONV_READ_SHORT;

/* every block of the packing: through the host's reader in chunks when
 * stage (cap bytes) is set, else straight from the constant. false when a
 * read came short: the mapping would raise SIGBUS past a shrunk file's end,
 * so the packing fails instead */
static bool pack_all(exec_plan *p, pack_job *j, size_t nblk, unsigned char *stage, size_t cap) {
    j->blk0 = 0;
    j->stage = NULL;
    if (!stage) {
        exec_par_for(p, nblk, 1, pack_blocks, j);
        return true;
    }
    size_t es = exec_lz_readable(p, j->lz), per = (size_t)j->width * (size_t)j->K * es;
    size_t bc = cap / per ? cap / per : 1;
    for (size_t b0 = 0; b0 < nblk && !atomic_load(&j->inexact); b0 += bc) {
        size_t b1 = b0 + bc < nblk ? b0 + bc : nblk;
        int nr0, nr1;
        size_t e0 = (size_t)(blk_rows(j, b0, &nr0) * j->K);
        size_t e1 = (size_t)((blk_rows(j, b1 - 1, &nr1) + nr1) * j->K);
        j->blk0 = b0;
        j->stage_e0 = e0;
        j->stage_es = es;
        j->stage = stage;
        if (!exec_lz_read(p, j->lz, e0, e1 - e0, stage)) {
            j->stage = NULL;
            return false;
        }
        exec_par_for(p, b1 - b0, 1, pack_blocks, j);
    }
    j->blk0 = 0;
    j->stage = NULL;
    return true;
}

/* the chunk's size for a packing whose blocks take per bytes each:
 * PACK_STAGE, or two blocks per thread, within a huge page (one block at
 * least); CML_EXEC_PACK_STAGE makes it smaller, for the tests of chunking */
static size_t stage_bytes(int ranges, size_t per) {
    size_t cap = PACK_STAGE;
    if (per <= EXEC_HUGE_PAGE / 2 / (size_t)ranges && 2 * (size_t)ranges * per > cap) cap = 2 * (size_t)ranges * per;
    if (cap > EXEC_HUGE_PAGE) cap = EXEC_HUGE_PAGE;
    const char *ov = getenv("CML_EXEC_PACK_STAGE");
    if (ov && *ov) {
        unsigned long long want = strtoull(ov, NULL, 10);
        if (want < cap) cap = (size_t)want;
    }
    return cap > per ? cap : per;
}

static const cwpack *conv_pack(exec_plan *p, xstep *st, const xt *wt, bool r16, int64_t cout, int64_t groups,
                               int64_t K, int width) {
    const float *w = wt->d;
    const xlz *lz = w ? NULL : wt->lz;
    /* values that are binary16 already round to themselves: one packing for both modes */
    if (lz && exec_lz_exact16(lz)) r16 = false;
    cwcache *cc = st->conv_w;
    if (!cc) {
        cc = calloc(1, sizeof *cc);
        if (!cc) return NULL;
        st->conv_w = cc;
    }
    int slot = -1;
    for (int i = 0; i < 2; i++) {
        cwpack *e = &cc->e[i];
        /* a packing made without rounding whose values all proved binary16
         * serves both modes; one made rounded (fp16 emulation) only that mode */
        bool same_values = !lz || e->r16 == r16 || (e->half && !e->r16);
        if (e->data && e->src == w && e->lz == lz && same_values && e->cout == cout && e->K == K &&
            e->groups == groups && e->width == width)
            return e;
        if (slot < 0 && !e->data) slot = i;
    }
    if (!lz && !const_buffer(p, w)) return &CONV_NOT_CONST;
    /* both taken by other buffers: replace the second. A replacement is
     * not cut from the plan's chunks: a step that cycles through three
     * packings would otherwise leave a dead one there at every turn */
    bool replacing = slot < 0;
    if (slot < 0) {
        pack_mem_release(p, cc->e[1].data, cc->e[1].bytes, cc->e[1].bumped);
        if (cc->e[1].wino) p->wino_bytes -= wino_bytes(&cc->e[1]);
        free(cc->e[1].wino);
        memset(&cc->e[1], 0, sizeof cc->e[1]);
        slot = 1;
    }
    int64_t Og = cout / groups, nb = (Og + width - 1) / width;
    size_t bn = (size_t)K * (size_t)width, nblk = (size_t)(groups * nb);
    /* binary16 first; fp32 when a value is not exactly one */
    pack_job j = {.w = w, .lz = lz, .r16 = r16, .K = K, .Og = Og, .nb = nb, .width = width, .half = true};
    atomic_init(&j.inexact, false);
    int ranges = exec_par_ranges(p, nblk, 1);
    /* the packing in huge pages: from 1 MiB a buffer of its own, below that
     * cut from the plan's chunks. One page fault per 2 MiB instead of per
     * 4 KiB is most of a first run on this kind of VM: resnet50's 300 ->
     * 183 ms for the big ones, and its 36 packings under 1 MiB (9 MB) and
     * their scratch (8 MB, now kept from one packing to the next) were 4,200
     * of the 6,000 page faults left */
    if (!exec_grow_bytes(&p->pk_tmp, &p->pk_tmp_bytes, (size_t)ranges * 2 * bn * sizeof(float))) return NULL;
    j.tmp = p->pk_tmp;
    /* the chunk of stored bytes a weight the host has mapped is read into */
    size_t es = exec_lz_readable(p, lz), stage_cap = es ? stage_bytes(ranges, (size_t)width * (size_t)K * es) : 0;
    if (!exec_grow_bytes(&p->pk_stage, &p->pk_stage_bytes, stage_cap)) return NULL;
    unsigned char *stage = stage_cap ? p->pk_stage : NULL;
    bool bumped;
    size_t nbytes = nblk * bn * 2;
    if (!(j.data = pack_mem(p, nbytes, replacing, &bumped))) return NULL;
    bool read_ok = pack_all(p, &j, nblk, stage, stage_cap);
    if (read_ok && atomic_load(&j.inexact)) {
        pack_mem_release(p, j.data, nbytes, bumped);
        j.half = false;
        atomic_store(&j.inexact, false);
        nbytes = nblk * bn * sizeof(float);
        if (!(j.data = pack_mem(p, nbytes, replacing, &bumped))) return NULL;
        read_ok = pack_all(p, &j, nblk, stage, stage_cap);
    }
    keep_trim(&p->pk_tmp, &p->pk_tmp_bytes);
    keep_trim(&p->pk_stage, &p->pk_stage_bytes);
    if (!read_ok) {
        pack_mem_release(p, j.data, nbytes, bumped);
        return &CONV_READ_SHORT;
    }
    /* the stored weights are in the packing now: the host's pages under them
     * leave the resident set (a later repacking reads them again) */
    if (lz) exec_lz_drop_source(lz);
    cwpack *e = &cc->e[slot];
    e->src = w;
    e->lz = lz;
    e->r16 = r16;
    e->cout = cout;
    e->K = K;
    e->groups = groups;
    e->width = width;
    e->half = j.half;
    e->bumped = bumped;
    e->bytes = nbytes;
    e->data = j.data;
    return e;
}

void exec_conv_free(xstep *st) {
    cwcache *cc = st->conv_w;
    if (!cc) return;
    for (int i = 0; i < 2; i++) {
        if (!cc->e[i].bumped) free(cc->e[i].data);
        free(cc->e[i].wino);
    }
    free(cc);
    st->conv_w = NULL;
}

/* ---- Winograd F(2x2, 3x3) ----------------------------------------------------------------
 * SOURCE: A. Lavin, S. Gray, "Fast Algorithms for Convolutional Neural
 * Networks", CVPR 2016 (arXiv:1509.09308), section 4.1: a 2x2 block of
 * outputs of a 3x3 filter g over a 4x4 input tile d is
 *   Y = A^T [ (G g G^T) * (B^T d B) ] A       (* elementwise)
 * with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
 *      G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 *      A^T = [1 1 1 0; 0 1 -1 -1].
 * Summed over the input channels, the 16 products are 16 matrix products
 * (output channels x input channels x tiles): 16 multiplies per channel
 * pair and tile where the direct sum takes 36, 2.25x fewer. The transforms
 * are additions (and the weights' halvings, done once, in double). The
 * sums run in another order than the direct ones, and every input of a
 * tile's 4x4 patch enters the transformed sums of all four of its outputs
 * (cancelling in the output transform), so the rounding error scales with
 * the patch's largest |x| times the filter's sum of |w|, where the direct
 * sum's scales with the output's own 3x3 window: a few units in the last
 * place of that, far below fp16's rounding unless one input is some 10^4
 * times its neighbours (tests/unit/probe/test_exec_conv_crosscheck.c
 * bounds both against a double reference). */

/* The transformed weights of a packing (width 12, one group, K = 9 Cin):
 * U[xi][blk][c][q] = (G g G^T)[xi] for output channel blk * 12 + q and
 * input channel c, xi = 4 * row + column; the kernels read a block's Cin
 * rows of 12, as they read a packing's K rows. NULL when out of memory or
 * when a weight is not below WINO_MAX_ABS. */
typedef struct wino_job {
    const cwpack *e;
    int64_t Cin, nb;
    float *u;
} wino_job;

static void wino_blocks(void *arg, size_t b, size_t e_, int range) {
    const wino_job *j = arg;
    const cwpack *e = j->e;
    const int64_t Cin = j->Cin, nb = j->nb;
    const size_t bn = (size_t)e->K * CONV_NR;
    (void)range;
    for (size_t blk = b; blk < e_; blk++)
        for (int64_t c = 0; c < Cin; c++)
            for (int q = 0; q < CONV_NR; q++) {
                double g[3][3], t[4][3];
                for (int k = 0; k < 9; k++) {
                    size_t at = blk * bn + (size_t)(c * 9 + k) * CONV_NR + (size_t)q;
                    g[k / 3][k % 3] = e->half ? exec_half_to_float(((const uint16_t *)e->data)[at])
                                              : ((const float *)e->data)[at];
                }
                for (int jj = 0; jj < 3; jj++) { /* t = G g */
                    t[0][jj] = g[0][jj];
                    t[1][jj] = 0.5 * (g[0][jj] + g[1][jj] + g[2][jj]);
                    t[2][jj] = 0.5 * (g[0][jj] - g[1][jj] + g[2][jj]);
                    t[3][jj] = g[2][jj];
                }
                for (int i = 0; i < 4; i++) { /* U = t G^T */
                    double r[4] = {t[i][0], 0.5 * (t[i][0] + t[i][1] + t[i][2]), 0.5 * (t[i][0] - t[i][1] + t[i][2]),
                                   t[i][2]};
                    for (int jj = 0; jj < 4; jj++)
                        j->u[(((size_t)(4 * i + jj) * (size_t)nb + blk) * (size_t)Cin + (size_t)c) * CONV_NR +
                             (size_t)q] = (float)r[jj];
                }
            }
}

static float *wino_pack(exec_plan *p, const cwpack *e, int64_t Cin, int64_t nb) {
    for (size_t i = 0; i < (size_t)nb * (size_t)e->K * CONV_NR; i++) {
        float v = e->half ? exec_half_to_float(((const uint16_t *)e->data)[i]) : ((const float *)e->data)[i];
        if (!(fabsf(v) < WINO_MAX_ABS)) return NULL;
    }
    float *u = exec_huge_alloc(wino_bytes(e), NULL);
    if (!u) return NULL;
    wino_job wj = {e, Cin, nb, u};
    exec_par_for(p, (size_t)nb, 1, wino_blocks, &wj);
    return u;
}

/* ---- the work of one range ---------------------------------------------------------------- */

/* the raw sums of a tile into / onto the conv's output (K in blocks):
 * mode 0 store, 1 add the tile to the stored sums, 2 add the stored sums to
 * the tile (the last block, before the epilogue) */
CONV_TARGET __attribute__((noinline)) static void partial(float *tile, int tld, int nr, const tsg *sg, int64_t ch0,
                                                          int64_t px, const ydst *yd, int mode) {
    for (int q = 0; q < nr; q++) {
        float *yo = yat(yd, ch0 + q, px);
        if (mode == 2) {
            /* the earlier blocks' sums into the tile: a vector's pieces merged */
            for (int v = 0; v < 2; v++) {
                __m512 acc = _mm512_setzero_ps();
                bool any = false;
                for (int i = 0; i < sg->np; i++)
                    if (sg->pc[i].v == v) {
                        acc = _mm512_mask_loadu_ps(acc, sg->pc[i].m, yo + sg->pc[i].off);
                        any = true;
                    }
                if (!any) continue;
                float *tv = tile + q * tld + 16 * v;
                _mm512_store_ps(tv, _mm512_add_ps(acc, _mm512_load_ps(tv)));
            }
            continue;
        }
        for (int i = 0; i < sg->np; i++) {
            const __mmask16 m = sg->pc[i].m;
            float *d = yo + sg->pc[i].off;
            __m512 t = _mm512_load_ps(tile + q * tld + 16 * sg->pc[i].v);
            if (mode == 1) t = _mm512_add_ps(_mm512_maskz_loadu_ps(m, d), t);
            _mm512_mask_storeu_ps(d, m, t);
        }
    }
}

/* whether the register epilogue applies (epi): no stage rounds to binary16
 * (fp16 emulation takes epilogue(); rounding in registers made every
 * kernel's code several times larger and the fp32 convolutions 3-7%
 * slower). The register tile takes it so; it stores an add in place only
 * once the tile is known good. */
static bool epi_fp32(const cjob *j) {
    int n = j->chain ? j->n_out : 1;
    for (int s = 0; s < n; s++)
        if (j->rnd[s]) return false;
    return true;
}

/* ... and the other modes, which store as they go: also not when the
 * stored stream is the residual the add reads */
static bool epi_ok(const cjob *j) { return epi_fp32(j) && !(j->chain && j->res && j->res == j->out[j->n_out - 1]); }

/* the register epilogue's streams for a tile at channel ch0, off elements
 * into them: the bias, the stored stream (the chain's last, else the
 * conv's), the fused add's residual and relu of a chain */
static void epi_at(const cjob *j, epi *ep, int64_t ch0, size_t off, size_t ld) {
    ep->bias = j->bias ? j->bias + ch0 : NULL;
    ep->out = j->out[j->chain ? j->n_out - 1 : 0] + off;
    ep->res = j->chain && j->res ? j->res + off : NULL;
    ep->ld = ld;
    ep->relu = j->chain && j->kind[j->n_out - 1] == S_RELU;
}

/* a tile's maxima (epi_maxima's) into its item's statistics */
static void epi_merge(const cjob *j, cstat *st, const uint32_t mx[3]) {
    for (int s = 0; s < (j->chain ? j->n_out : 1); s++)
        if (mx[s] > st[s].mx) st[s].mx = mx[s];
}

/* Item it's share of a convolution's work (rp pixel ranges x ro channel
 * ranges): units [ub, ue) of `units` (vectors of pixels, tiles or chunks)
 * and the output channels [ob, oe) of a group, in whole blocks of blk */
typedef struct share {
    int64_t ub, ue, ob, oe;
} share;

static share item_share(const cjob *j, size_t it, int64_t units, int64_t blk) {
    int pr = (int)it / j->ro, orr = (int)it % j->ro;
    int64_t nb = (j->Og + blk - 1) / blk;
    return (share){units * pr / j->rp, units * (pr + 1) / j->rp, nb * orr / j->ro * blk,
                   min64(j->Og, nb * (orr + 1) / j->ro * blk)};
}

CONV_TARGET static void conv_items(void *arg, size_t b, size_t e, int range) {
    cjob *j = arg;
    const int64_t K = j->K, P = j->P, KC = j->kc, nb = (j->Og + CONV_NR - 1) / CONV_NR;
    const size_t es = j->wpk_half ? 2 : 4, bsz = (size_t)K * CONV_NR * es;
    float *wp = j->scr + (size_t)range * j->scr_per;
    float *panel = wp + ((size_t)KC * CONV_NR + 15) / 16 * 16;
    float tile[CONV_NR * CONV_MR] __attribute__((aligned(64)));
    const bool fast = epi_fp32(j);
    for (size_t it = b; it < e; it++) {
        const share sh = item_share(j, it, (P + 15) / 16, CONV_NR);
        const int64_t pb = sh.ub * 16, pe = min64(P, sh.ue * 16), ob = sh.ob, oe = sh.oe;
        cstat *st = j->st[it].s;
        for (int64_t n = 0; n < j->N; n++)
            for (int64_t g = 0; g < j->groups; g++) {
                const float *xg = j->x + (n * j->Cin + g * j->Cg) * j->H * j->W;
                for (int64_t pc = pb; pc < pe; pc += j->nc) {
                    int64_t pw = min64(j->nc, pe - pc);
                    ydst yd = {j->out[0] + (size_t)(n * j->cout * P), (size_t)P, 0, 0};
                    for (int64_t k0 = 0; k0 < K; k0 += KC) {
                        int64_t kc = min64(KC, K - k0);
                        bool first = k0 == 0, last = k0 + kc == K;
                        const float *A;
                        size_t lda, tstride;
                        if (j->pointwise) {
                            A = xg + k0 * P + pc;
                            lda = (size_t)P;
                            tstride = CONV_MR;
                        } else {
                            for (int64_t t = 0; t * CONV_MR < pw; t++)
                                im2col_tile(j, xg, pc + t * CONV_MR, (int)min64(CONV_MR, pw - t * CONV_MR), k0,
                                            k0 + kc, panel + (size_t)t * (size_t)kc * CONV_MR, CONV_MR);
                            A = panel;
                            lda = CONV_MR;
                            tstride = (size_t)kc * CONV_MR;
                        }
                        for (int64_t o0 = ob; o0 < oe; o0 += CONV_NR) {
                            int nr = (int)min64(CONV_NR, oe - o0);
                            int64_t ch0 = g * j->Og + o0;
                            const char *src = (const char *)j->wpk + (size_t)(g * nb + o0 / CONV_NR) * bsz +
                                              (size_t)k0 * CONV_NR * es;
                            const float *bw = (const float *)src;
                            if (j->wpk_half) {
                                half_to_f32((const uint16_t *)src, (size_t)kc * CONV_NR, wp);
                                bw = wp;
                            }
                            /* the next block's packed weights (these rows) are
                             * prefetched into L2 by the kernels of this one */
                            const char *pf = src + bsz;
                            int64_t pf_left = o0 + CONV_NR < oe ? (int64_t)((size_t)kc * CONV_NR * es + 63) / 64 : 0;
                            for (int64_t t = 0; t * CONV_MR < pw; t++) {
                                int npx = (int)min64(CONV_MR, pw - t * CONV_MR);
                                int64_t px = pc + t * CONV_MR;
                                __mmask16 m0 = npx >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << npx) - 1);
                                __mmask16 m1 = npx >= 32 ? (__mmask16)0xffff
                                             : npx > 16 ? (__mmask16)((1u << (npx - 16)) - 1) : 0;
                                int64_t npf = min64(pf_left, kc);
                                const char *pl[4 * CONV_NR];
                                int64_t npl = 0;
                                if (j->chain && last) {
                                    /* the chain's stored stream and the residual: this tile's
                                     * now when it is the block's first, the next tile's a line
                                     * per k while the kernel runs (24 rows' lines at once
                                     * overran the misses in flight: resnet50's 56x56 fused
                                     * convs spent a third of their time waiting on them) */
                                    float *lo = j->out[j->n_out - 1];
                                    for (int pass = t == 0 ? 0 : 1; pass < 2; pass++) {
                                        int64_t qx = px + pass * CONV_MR;
                                        int qn = (int)min64(CONV_MR, pw - (qx - pc));
                                        if (qn <= 0) break;
                                        for (int q = 0; q < nr; q++) {
                                            size_t off = (size_t)(yat(&yd, ch0 + q, qx) - j->out[0]);
                                            const char *a4[4] = {(const char *)(lo + off), (const char *)(lo + off + 16),
                                                                 (const char *)(j->res + off),
                                                                 (const char *)(j->res + off + 16)};
                                            for (int u = 0; u < 4; u++) {
                                                if ((u & 1) && qn <= 16) continue;
                                                if (u >= 2 && !j->res) continue;
                                                if (pass == 0) __builtin_prefetch(a4[u], 1, 3);
                                                else pl[npl++] = a4[u];
                                            }
                                        }
                                    }
                                } else if (first || last) {
                                    /* the output lines, while the kernel runs */
                                    for (int q = 0; q < nr; q++) {
                                        float *yo = yat(&yd, ch0 + q, px);
                                        __builtin_prefetch(yo, 1, 3);
                                        if (npx > 16) __builtin_prefetch(yo + 16, 1, 3);
                                    }
                                }
                                const float *At = A + (size_t)t * tstride;
                                /* the strided operand's rows PFA_ROWS ahead run on into the
                                 * next tile's (the first tile's again after the last) */
                                const float *An = (t + 1) * CONV_MR < pw ? At + tstride : A;
                                const float *pa = kc > PFA_ROWS ? At + PFA_ROWS * lda : An + (PFA_ROWS - kc) * lda;
                                epi ep, *epp = NULL;
                                if (fast && first && last) {
                                    epi_at(j, &ep, ch0, (size_t)(yat(&yd, ch0, px) - j->out[0]), yd.ld);
                                    epp = &ep;
                                }
                                ker_fn kf = KER[npx > 16][nr - 1];
                                int rc = kf(kc, At, lda, bw, CONV_NR, m0, m1, tile, pf, npf, pa, An,
                                            j->pointwise ? lda : 0, pl, npl, epp);
                                /* the add in place met a value to count one by one: the sums again */
                                if (rc == KER_AGAIN)
                                    rc = kf(kc, At, lda, bw, CONV_NR, m0, m1, tile, pf, 0, pa, An,
                                            j->pointwise ? lda : 0, pl, 0, NULL);
                                pf += 64 * npf;
                                pf_left -= npf;
                                if (rc == KER_DONE) {
                                    epi_merge(j, st, ep.mx);
                                    continue;
                                }
                                tsg sg = tsg_n(npx);
                                if (!last) {
                                    partial(tile, CONV_MR, nr, &sg, ch0, px, &yd, first ? 0 : 1);
                                    continue;
                                }
                                if (!first) partial(tile, CONV_MR, nr, &sg, ch0, px, &yd, 2);
                                epilogue(j, st, tile, CONV_MR, nr, &sg, ch0, px, &yd);
                            }
                        }
                    }
                    if (j->n_out > 1 && !j->chain) fused_pass(j, st, n, g * j->Og + ob, g * j->Og + oe, pc, pw);
                }
            }
    }
}

/* The direct mode (3x3, stride 1): tiles of whole output-row segments
 * (dtile), A straight from the padded input (kerd), K in blocks of whole
 * channels; otherwise as conv_items. */
/* a direct tile's pieces, one or two per vector, into ep (false when a
 * vector has more: not with the flattened tiles of rows >= 14 wide) */
static bool epi_pieces(const tsg *sg, epi *ep) {
    memset(ep->pm, 0, sizeof ep->pm);
    memset(ep->po, 0, sizeof ep->po);
    memset(ep->mx, 0, sizeof ep->mx);
    for (int i = 0; i < sg->np; i++) {
        int v = sg->pc[i].v, k = ep->pm[v][0] ? 1 : 0;
        if (ep->pm[v][k]) return false;
        ep->pm[v][k] = sg->pc[i].m;
        ep->po[v][k] = sg->pc[i].off;
    }
    return true;
}

CONV_TARGET static void conv_items_direct(void *arg, size_t b, size_t e, int range) {
    cjob *j = arg;
    const bool fast = epi_ok(j);
    const int64_t K = j->K, KC = j->kc, nb = (j->Og + CONV_NR - 1) / CONV_NR, T = j->ntiles;
    const int64_t nct = j->nc / CONV_MR > 0 ? j->nc / CONV_MR : 1;
    const size_t es = j->wpk_half ? 2 : 4, bsz = (size_t)K * CONV_NR * es;
    const size_t plane = j->cs;
    float *wp = j->scr + (size_t)range * j->scr_per;
    float tile[CONV_NR * CONV_MR] __attribute__((aligned(64)));
    for (size_t it = b; it < e; it++) {
        const share sh = item_share(j, it, T, CONV_NR);
        const int64_t tb = sh.ub, te = sh.ue, ob = sh.ob, oe = sh.oe;
        cstat *st = j->st[it].s;
        for (int64_t n = 0; n < j->N; n++)
            for (int64_t g = 0; g < j->groups; g++) {
                const float *xg = j->xpad + (size_t)(n * j->Cin + g * j->Cg) * plane;
                for (int64_t tc = tb; tc < te; tc += nct) {
                    int64_t tce = min64(te, tc + nct);
                    ydst yd = {j->out[0] + (size_t)(n * j->cout * j->P), (size_t)j->P, 0, 0};
                    for (int64_t k0 = 0; k0 < K; k0 += KC) {
                        int64_t kc = min64(KC, K - k0);
                        bool first = k0 == 0, last = k0 + kc == K;
                        const size_t cofs = (size_t)(k0 / j->khw) * plane;
                        for (int64_t o0 = ob; o0 < oe; o0 += CONV_NR) {
                            int nr = (int)min64(CONV_NR, oe - o0);
                            int64_t ch0 = g * j->Og + o0;
                            const char *src = (const char *)j->wpk + (size_t)(g * nb + o0 / CONV_NR) * bsz +
                                              (size_t)k0 * CONV_NR * es;
                            const float *bw = (const float *)src;
                            if (j->wpk_half) {
                                half_to_f32((const uint16_t *)src, (size_t)kc * CONV_NR, wp);
                                bw = wp;
                            }
                            const char *pf = src + bsz;
                            int64_t pf_left = o0 + CONV_NR < oe ? (int64_t)((size_t)kc * CONV_NR * es + 63) / 64 : 0;
                            for (int64_t t = tc; t < tce; t++) {
                                const dtile *dt = &j->tiles[t];
                                const tsg *sg = &dt->sg; /* offsets from pixel 0 */
                                const int64_t px = 0;
                                int64_t npf = min64(pf_left, kc);
                                if (j->chain && last) {
                                    float *lo = j->out[j->n_out - 1];
                                    for (int q = 0; q < nr; q++) {
                                        size_t off = (size_t)(yat(&yd, ch0 + q, px) - j->out[0]);
                                        for (int i = 0; i < sg->np; i++) {
                                            __builtin_prefetch(lo + off + sg->pc[i].off, 1, 3);
                                            if (j->res) __builtin_prefetch(j->res + off + sg->pc[i].off, 0, 3);
                                        }
                                    }
                                } else if (first || last) {
                                    for (int q = 0; q < nr; q++) {
                                        float *yo = yat(&yd, ch0 + q, px);
                                        for (int i = 0; i < sg->np; i++) __builtin_prefetch(yo + sg->pc[i].off, 1, 3);
                                    }
                                }
                                epi ep, *epp = NULL;
                                if (fast && first && last && epi_pieces(sg, &ep)) {
                                    epi_at(j, &ep, ch0, (size_t)(yat(&yd, ch0, 0) - j->out[0]), yd.ld);
                                    epp = &ep;
                                }
                                bool done =
                                    j->phase ? KERQ[dt->m1 != 0][nr - 1](kc / j->khw, xg + cofs + dt->a0,
                                                                         xg + cofs + dt->a1, plane, j->taps, j->khw,
                                                                         bw, dt->m0, dt->m1, tile, pf, npf, epp)
                                             : KERD[dt->m1 != 0][nr - 1](kc / 9, xg + cofs + dt->a0,
                                                                         xg + cofs + dt->a1, plane, (size_t)j->Wp,
                                                                         bw, dt->m0, dt->m1, tile, pf, npf, epp);
                                pf += 64 * npf;
                                pf_left -= npf;
                                if (done) {
                                    epi_merge(j, st, ep.mx);
                                    continue;
                                }
                                if (!last) {
                                    partial(tile, CONV_MR, nr, sg, ch0, px, &yd, first ? 0 : 1);
                                    continue;
                                }
                                if (!first) partial(tile, CONV_MR, nr, sg, ch0, px, &yd, 2);
                                epilogue(j, st, tile, CONV_MR, nr, sg, ch0, px, &yd);
                            }
                        }
                    }
                    if (j->n_out > 1 && !j->chain) {
                        int64_t p0 = j->tiles[tc].px, p1 = j->tiles[tce - 1].px + j->tiles[tce - 1].npx;
                        fused_pass(j, st, n, g * j->Og + ob, g * j->Og + oe, p0, p1 - p0);
                    }
                }
            }
    }
}

/* The copies of a convolution's input that the direct modes and the
 * strided 1x1 read: per input plane, nra x nca phases of Ho x Wo each (cs
 * floats per plane); row i of phase (a, cc) holds the input's row
 * sr * i + a - pt at the columns sc * q + cc - pl, 0 outside the input.
 *   - the zero-padded copy of the direct 3x3 mode: strides 1, one phase;
 *   - the phase planes of the stride-2 mode: strides 2, four phases;
 *   - the subsample of a strided 1x1: its strides, one phase, no padding.
 * Split by output rows [b, e) of every plane, not by planes: the
 * convolution splits its work by output rows too (tiles in row order), so
 * each thread writes the rows it then reads, and they are in its own cache
 * (split by planes, half of every thread's input came from the other
 * core's: with two threads on resnet18's 56x56 layers each half took
 * 0.75-0.93 ms instead of 0.66-0.75). */
typedef struct regrid_job {
    const float *x;
    float *y;
    int64_t H, W, Ho, Wo, sr, sc, pt, pl;
    int nra, nca;                    /* source rows, column phases per stored row: 1 or 2 */
    size_t nplanes, cs;
} regrid_job;

/* lanes i of 16 whose source index s + i lies in a row of W floats */
static inline __mmask16 in_row(int64_t s, int64_t W) {
    int64_t a = s < 0 ? -s : 0, e = W - s;
    if (a > 16) a = 16;
    if (e > 16) e = 16;
    return e > a ? lanes((int)a, (int)e) : 0;
}

/* &xr[i], computed without pointer arithmetic (i may be negative or past
 * the row: only lanes in_row reads are ever loaded) */
static inline const float *row_at(const float *xr, int64_t i) {
    return (const float *)((uintptr_t)xr + (uintptr_t)(i * (int64_t)sizeof(float)));
}

/* the masks of a row's vectors (strides 1 and 2), the same for every row
 * that is not padding: computed once per job for rows up to RG_VMAX
 * vectors, and per segment of that many for wider rows */
#define RG_VMAX 64
typedef struct rgmask {
    __mmask16 mo, m0, m1;            /* the stored lanes; the lanes loaded from s and s + 16 */
} rgmask;

static void rg_masks(rgmask *m, int64_t n, int64_t W, int64_t sc, int64_t off) {
    for (int64_t q = 0, v = 0; q < n; q += 16, v++) {
        m[v].mo = n - q >= 16 ? (__mmask16)0xffff : lanes(0, (int)(n - q));
        int64_t s = sc * q + off;
        m[v].m0 = in_row(s, W) & (sc == 1 ? m[v].mo : (__mmask16)0xffff);
        m[v].m1 = sc == 1 ? 0 : in_row(s + 16, W);
    }
}

/* r0[q] for q < n: xr[sc * q + off] where 0 <= sc * q + off < W, else 0
 * (sc 1 or 2, the masks m from rg_masks); with sc == 2 and r1, also r1[q]
 * = xr[2 q + off + 1] (the odd phase of the same source row: both from
 * the same two loads). xr NULL: a row of padding, all 0. The loads take
 * only the lanes inside the row, so no source float outside it is read. */
CONV_TARGET static inline __attribute__((always_inline)) void regrid_row(float *r0, float *r1, int64_t n,
                                                                        const float *xr, int64_t sc, int64_t off,
                                                                        const rgmask *m) {
    for (int64_t q = 0, v = 0; q < n; q += 16, v++) {
        __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
        if (xr && sc == 1) {
            v0 = _mm512_maskz_loadu_ps(m[v].m0, row_at(xr, q + off));
        } else if (xr) {
            int64_t s = 2 * q + off;
            __m512 lo = _mm512_maskz_loadu_ps(m[v].m0, row_at(xr, s));
            __m512 hi = _mm512_maskz_loadu_ps(m[v].m1, row_at(xr, s + 16));
            v0 = evens(lo, hi);
            v1 = odds(lo, hi);
        }
        _mm512_mask_storeu_ps(r0 + q, m[v].mo, v0);
        if (r1) _mm512_mask_storeu_ps(r1 + q, m[v].mo, v1);
    }
}

CONV_TARGET static void regrid_rows(void *arg, size_t b, size_t e, int range) {
    const regrid_job *j = arg;
    (void)range;
    const size_t pq = (size_t)(j->Ho * j->Wo);
    const int64_t sc = j->sc, seg = RG_VMAX * 16;
    /* the two column phases of a stride of 2 from one pass over the row */
    const bool pair = sc == 2 && j->nca == 2;
    const int ncall = pair ? 1 : j->nca;
    rgmask mk[2][RG_VMAX];
    const bool pre = sc <= 2 && j->Wo <= seg;
    if (pre)
        for (int cc = 0; cc < ncall; cc++) rg_masks(mk[cc], j->Wo, j->W, sc, cc - j->pl);
    for (size_t c = 0; c < j->nplanes; c++) {
        const float *x = j->x + c * (size_t)(j->H * j->W);
        for (size_t i = b; i < e; i++)
            for (int a = 0; a < j->nra; a++) {
                int64_t h = j->sr * (int64_t)i + a - j->pt;
                const float *xr = h < 0 || h >= j->H ? NULL : x + h * j->W;
                float *r = j->y + c * j->cs + (size_t)(a * j->nca) * pq + i * (size_t)j->Wo;
                if (sc > 2) { /* larger strides: the plain loop */
                    for (int cc = 0; cc < j->nca; cc++)
                        for (int64_t q = 0; q < j->Wo; q++) {
                            int64_t s = sc * q + cc - j->pl;
                            r[(size_t)cc * pq + (size_t)q] = xr && s >= 0 && s < j->W ? xr[s] : 0.0f;
                        }
                    continue;
                }
                for (int cc = 0; cc < ncall; cc++)
                    for (int64_t q0 = 0; q0 < j->Wo; q0 += seg) {
                        const int64_t n = min64(seg, j->Wo - q0), off = sc * q0 + cc - j->pl;
                        if (!pre) rg_masks(mk[cc], n, j->W, sc, off);
                        float *r0 = r + (size_t)cc * pq + (size_t)q0;
                        regrid_row(r0, pair ? r0 + pq : NULL, n, xr, sc, off, mk[cc]);
                    }
            }
    }
}

/* The transposed mode, for small images (a 7x7 output: 49 pixels would
 * fill 64 lanes of 32-pixel tiles): vectors of 32 output channels, 12 pixels
 * broadcast (the same register tile with the roles swapped; the weights
 * packed in blocks of 32 channels), each tile transposed back to channel
 * rows for the epilogue. */

/* a transposed tile's sums (tile[q * 32 + c]: pixel q < npx, channel c <
 * nr) back to channel rows, then out as sg says from px: partial sums
 * while blocks of K are to come, else the epilogue */
CONV_TARGET static void tr_put(const cjob *j, cstat *st, const float *tile, int nr, int npx, const tsg *sg,
                               int64_t ch0, int64_t px, const ydst *yd, bool first, bool last) {
    float trow[TR_MC * 16] __attribute__((aligned(64)));
    for (int v = 0; v * 16 < nr; v++) {
        __m512 r[16];
        for (int q = 0; q < 16; q++)
            r[q] = q < npx && q < TR_NP ? _mm512_load_ps(tile + q * TR_MC + 16 * v) : _mm512_setzero_ps();
        tr16(r);
        for (int c = 0; c < 16 && 16 * v + c < nr; c++) _mm512_store_ps(trow + (16 * v + c) * 16, r[c]);
    }
    if (!last) {
        partial(trow, 16, nr, sg, ch0, px, yd, first ? 0 : 1);
        return;
    }
    if (!first) partial(trow, 16, nr, sg, ch0, px, yd, 2);
    epilogue(j, st, trow, 16, nr, sg, ch0, px, yd);
}
CONV_TARGET static void conv_items_tr(void *arg, size_t b, size_t e, int range) {
    cjob *j = arg;
    const int64_t K = j->K, P = j->P, KC = j->kc, nb = (j->Og + TR_MC - 1) / TR_MC;
    const size_t es = j->wpk_half ? 2 : 4, bsz = (size_t)K * TR_MC * es;
    float *wp = j->scr + (size_t)range * j->scr_per;
    float *panel = wp + ((size_t)KC * TR_MC + 15) / 16 * 16;
    float tile[TR_NP * TR_MC] __attribute__((aligned(64)));
    for (size_t it = b; it < e; it++) {
        const share sh = item_share(j, it, (P + TR_NP - 1) / TR_NP, TR_MC);
        const int64_t pb = sh.ub * TR_NP, pe = min64(P, sh.ue * TR_NP), ob = sh.ob, oe = sh.oe;
        cstat *st = j->st[it].s;
        for (int64_t n = 0; n < j->N; n++)
            for (int64_t g = 0; g < j->groups; g++) {
                const float *xg = j->x + (n * j->Cin + g * j->Cg) * j->H * j->W;
                for (int64_t pc = pb; pc < pe; pc += j->nc) {
                    int64_t pw = min64(j->nc, pe - pc);
                    ydst yd = {j->out[0] + (size_t)(n * j->cout * P), (size_t)P, 0, 0};
                    for (int64_t k0 = 0; k0 < K; k0 += KC) {
                        int64_t kc = min64(KC, K - k0);
                        bool first = k0 == 0, last = k0 + kc == K;
                        /* (a 1x1 convolution, read in place, takes conv_items_trd) */
                        for (int64_t t = 0; t * TR_NP < pw; t++)
                            im2col_tile(j, xg, pc + t * TR_NP, (int)min64(TR_NP, pw - t * TR_NP), k0, k0 + kc,
                                        panel + (size_t)t * (size_t)kc * TR_NP, TR_NP);
                        const float *B = panel;
                        const size_t ldb = TR_NP, tstride = (size_t)kc * TR_NP;
                        for (int64_t o0 = ob; o0 < oe; o0 += TR_MC) {
                            int nr = (int)min64(TR_MC, oe - o0);
                            int64_t ch0 = g * j->Og + o0;
                            const char *src = (const char *)j->wpk + (size_t)(g * nb + o0 / TR_MC) * bsz +
                                              (size_t)k0 * TR_MC * es;
                            const float *bw = (const float *)src;
                            if (j->wpk_half) {
                                half_to_f32((const uint16_t *)src, (size_t)kc * TR_MC, wp);
                                bw = wp;
                            }
                            const char *pf = src + bsz;
                            int64_t pf_left = o0 + TR_MC < oe ? (int64_t)((size_t)kc * TR_MC * es + 63) / 64 : 0;
                            __mmask16 m0 = lanes(0, nr < 16 ? nr : 16), m1 = nr > 16 ? lanes(0, nr - 16) : 0;
                            for (int64_t t = 0; t * TR_NP < pw; t++) {
                                int npx = (int)min64(TR_NP, pw - t * TR_NP);
                                int64_t px = pc + t * TR_NP, npf = min64(pf_left, kc);
                                const float *Bt = B + (size_t)t * tstride;
                                const float *Bn = (t + 1) * TR_NP < pw ? Bt + tstride : B;
                                const float *pfb = kc > PFA_ROWS ? Bt + PFA_ROWS * ldb : Bn + (PFA_ROWS - kc) * ldb;
                                KER[nr > 16][npx - 1](kc, bw, TR_MC, Bt, ldb, m0, m1, tile, pf, npf, pfb, Bn, 0, NULL,
                                                      0, NULL);
                                pf += 64 * npf;
                                pf_left -= npf;
                                tsg sg = tsg_n(npx);
                                tr_put(j, st, tile, nr, npx, &sg, ch0, px, &yd, first, last);
                            }
                        }
                    }
                    if (j->n_out > 1 && !j->chain) fused_pass(j, st, n, g * j->Og + ob, g * j->Og + oe, pc, pw);
                }
            }
    }
}

/* The transposed mode from the padded copy (3x3 stride 1), the phase
 * planes (stride 2) or a 1x1's input in place, instead of an im2col panel:
 * tiles of 12 consecutive positions (trd_f0) of the output laid out at the
 * padded row width Wp (position f = oh * Wp + ow, as the direct mode's
 * flattened tiles), so that a tap of a tile's pixels is 12 consecutive
 * floats of its channel's plane (kert); the Wp - Wo positions between two
 * rows are computed and never stored. Every channel range reads the one
 * shared copy, which the copy's split by rows wrote: no range builds a
 * panel every other range builds too. */

/* the output pixels before position f: whole rows, then the row's columns */
static inline int64_t pos_px(int64_t f, int64_t Wp, int64_t Wo) { return f / Wp * Wo + min64(f % Wp, Wo); }

/* one past the last output's position */
static int64_t trd_end(const cjob *j) { return (j->P / j->Wo - 1) * j->Wp + j->Wo; }

/* the first position of tile t of U (t == U: fend): TR_NP each, but when
 * the last would have fewer than 4, the last two share their positions
 * evenly (49: ..., 7, 6, not 12, 1: a tile of 1 to 3 pixels has too few
 * accumulators to cover the FMA latency, and took 8% of a 1x1 layer's
 * time for 2% of its pixels) */
static int64_t trd_f0(int64_t t, int64_t U, int64_t fend) {
    if (t >= U) return fend;
    int64_t r = fend - (U - 1) * TR_NP; /* the last tile's positions */
    if (r >= 4 || U < 2 || t < U - 1) return t * TR_NP;
    return (U - 2) * TR_NP + (TR_NP + r + 1) / 2;
}

/* The transposed direct mode widens binary16 weights as it loads them
 * (vcvtph2ps), which is free where the conversions run beside the FMAs,
 * or, when trd_widen_pays, a block of them into the range's scratch once
 * per chunk of tiles, when the chunk has at least this many to share it */
#define TRD_WIDEN_TILES 4
/* ... and when a block of widened weights fits this (L2 on the cores
 * measured; resnet50's largest, 3x3 x 512 channels, is 576 KiB) */
#define TRD_WIDEN_MAX_BYTES ((size_t)1 << 20)

/* binary16 to float32, n a multiple of 16 */
CONV_TARGET static void widen_h(const uint16_t *h, size_t n, float *f) {
    for (size_t i = 0; i < n; i += 16) _mm512_store_ps(f + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(h + i))));
}

CONV_TARGET static void conv_items_trd(void *arg, size_t b, size_t e, int range) {
    cjob *j = arg;
    const int64_t K = j->K, KC = j->kc, nb = (j->Og + TR_MC - 1) / TR_MC, Wp = j->Wp, Wo = j->Wo;
    const int64_t fend = trd_end(j), U = (fend + TR_NP - 1) / TR_NP;
    const int64_t nct = j->nc / TR_NP > 0 ? j->nc / TR_NP : 1;
    const size_t es = j->wpk_half ? 2 : 4, bsz = (size_t)K * TR_MC * es;
    float tile[TR_NP * TR_MC] __attribute__((aligned(64)));
    float *wsc = j->widen ? j->scr + (size_t)range * j->scr_per : NULL;
    for (size_t it = b; it < e; it++) {
        const share sh = item_share(j, it, U, TR_MC);
        const int64_t tb = sh.ub, te = sh.ue, ob = sh.ob, oe = sh.oe;
        cstat *st = j->st[it].s;
        for (int64_t n = 0; n < j->N; n++)
            for (int64_t g = 0; g < j->groups; g++) {
                const float *xg = j->xpad + (size_t)(n * j->Cin + g * j->Cg) * j->cs;
                for (int64_t tc = tb; tc < te; tc += nct) {
                    int64_t tce = min64(te, tc + nct);
                    ydst yd = {j->out[0] + (size_t)(n * j->cout * j->P), (size_t)j->P, 0, 0};
                    for (int64_t k0 = 0; k0 < K; k0 += KC) {
                        int64_t kc = min64(KC, K - k0);
                        bool first = k0 == 0, last = k0 + kc == K;
                        const float *xk = xg + (size_t)(k0 / j->khw) * j->cs;
                        for (int64_t o0 = ob; o0 < oe; o0 += TR_MC) {
                            int nr = (int)min64(TR_MC, oe - o0);
                            int64_t ch0 = g * j->Og + o0;
                            const char *src = (const char *)j->wpk + (size_t)(g * nb + o0 / TR_MC) * bsz +
                                              (size_t)k0 * TR_MC * es;
                            const char *pf = src + bsz;
                            int64_t pf_left = o0 + TR_MC < oe ? (int64_t)((size_t)kc * TR_MC * es + 63) / 64 : 0;
                            const void *wsrc = src;
                            int half = j->wpk_half;
                            if (half && wsc && tce - tc >= TRD_WIDEN_TILES) {
                                widen_h((const uint16_t *)(const void *)src, (size_t)kc * TR_MC, wsc);
                                wsrc = wsc;
                                half = 0;
                            }
                            for (int64_t t = tc; t < tce; t++) {
                                int64_t f0 = trd_f0(t, U, fend), npf = min64(pf_left, kc);
                                int npx = (int)(trd_f0(t + 1, U, fend) - f0);
                                KERT[half][nr > 16][npx - 1](kc / j->khw, wsrc, xk + f0, j->cs, j->taps, j->khw,
                                                             tile, pf, npf);
                                pf += 64 * npf;
                                pf_left -= npf;
                                /* the rows of positions between output rows out: the
                                 * rest are consecutive pixels from the first's */
                                int nv = 0;
                                for (int64_t q = 0, ow = f0 % Wp; q < npx; q++, ow = ow + 1 == Wp ? 0 : ow + 1) {
                                    if (ow >= Wo) continue;
                                    if (nv != q) {
                                        _mm512_store_ps(tile + nv * TR_MC, _mm512_load_ps(tile + q * TR_MC));
                                        _mm512_store_ps(tile + nv * TR_MC + 16, _mm512_load_ps(tile + q * TR_MC + 16));
                                    }
                                    nv++;
                                }
                                if (!nv) continue;
                                tsg sg = tsg_n(nv);
                                tr_put(j, st, tile, nr, nv, &sg, ch0, pos_px(f0, Wp, Wo), &yd, first, last);
                            }
                        }
                    }
                    if (j->n_out > 1 && !j->chain) {
                        int64_t p0 = pos_px(trd_f0(tc, U, fend), Wp, Wo), p1 = pos_px(trd_f0(tce, U, fend), Wp, Wo);
                        fused_pass(j, st, n, g * j->Og + ob, g * j->Og + oe, p0, p1 - p0);
                    }
                }
            }
    }
}

/* The Winograd mode (3x3, stride 1, even output sizes, one group): the
 * tiles (2x2 outputs) of an image in row order, in chunks of 32, the
 * register tile's lanes. Per chunk, the input transform of every input
 * channel (V[c][xi][32], from the input in place), then per block of 12
 * output channels the 16 products V[.][xi] x U[xi] (the kernel of the 1x1
 * mode, K = Cin, rows 16 x 32 floats apart) into M[xi][12][32], and the
 * output transform straight
 * into the epilogue's tiles: rows of up to 32 outputs of one output row. */
#define WN_T CONV_MR /* tiles per chunk */

/* chunks of T tiles over `ranges` pixel ranges: as few as keep each <= WN_T
 * tiles, a multiple of the ranges so that every range gets as many */
static int64_t wino_chunks(int64_t T, int64_t ranges) {
    int64_t nch = (T + WN_T - 1) / WN_T;
    return (nch + ranges - 1) / ranges * ranges;
}

/* the run of a chunk's tiles from tile t (of tiles [.., t0 + nt)) that
 * stays in one tile row, at most `most` long: its row tr, first column tc */
static inline int wino_run(int64_t t, int64_t end, int64_t Tw, int most, int64_t *tr, int64_t *tc) {
    *tr = t / Tw;
    *tc = t % Tw;
    return (int)min64(min64(most, end - t), Tw - *tc);
}

/* the input transform of tiles [t0, t0 + nt) of every input channel (the
 * input's planes from xn, read in place) into V: row (xi, c) at V + (c *
 * 16 + xi) * 32, lane t - t0. One tile row's run of tiles (up to 16, one
 * vector) at a time, every channel for each. A channel's 16 rows are
 * adjacent, so its stores have constant offsets (with V[xi][c], 16 rows
 * Cin * 32 floats apart, GCC spilled their addresses and the transform
 * took 20% of a 56x56 layer's time, not 15%). Padded row 2 tr + a is input
 * row 2 tr + a - top (zeros outside the image) and padded column 2 tc + b
 * input column 2 tc + b - left, the loads taking only the lanes inside
 * the row: no padded copy is made (with two threads, copying resnet50's
 * inputs of the Winograd layers took ~1 ms of its ~25, more than copying
 * them on one). Returns false when a value read is not below
 * WINO_MAX_ABS: the chunk is then summed directly (wino_plain). */
CONV_TARGET static bool wino_in(const cjob *j, const float *xn, int64_t t0, int nt, int64_t Tw, float *V) {
    const int64_t H = j->H, W = j->W, C = j->Cin;
    const size_t plane = (size_t)(H * W);
    const size_t xs = WN_T; /* from one xi's row to the next's (V[c][xi][WN_T]) */
    const __m512i absm = _mm512_set1_epi32(0x7fffffff);
    __m512i big = _mm512_setzero_si512(); /* the largest |x| bits read (Inf, NaN above every finite) */
    for (int l = 0; l < nt;) {
        int64_t tr, tc;
        int k = wino_run(t0 + l, t0 + nt, Tw, 16, &tr, &tc); /* tiles of one tile row, one vector */
        /* tile i's column b is padded column 2 (tc + i) + b: the first 2k floats from 2 tc, and from 2 tc + 2 */
        const __mmask16 ml = lanes(0, 2 * k < 16 ? 2 * k : 16), mh = 2 * k > 16 ? lanes(0, 2 * k - 16) : 0;
        const __mmask16 mk = lanes(0, k);
        const int64_t s = 2 * tc - j->pad[2]; /* the input column of padded column 2 tc */
        const __mmask16 m0 = in_row(s, W) & ml, m1 = in_row(s + 16, W) & mh;
        const __mmask16 m2 = in_row(s + 2, W) & ml, m3 = in_row(s + 18, W) & mh;
        const float *rows[4]; /* channel 0's input rows, NULL for a row of padding */
        for (int a = 0; a < 4; a++) {
            int64_t h = 2 * tr + a - j->pad[0];
            rows[a] = h >= 0 && h < H ? xn + h * W : NULL;
        }
        float *v = V + (size_t)l;
        for (int64_t c = 0; c < C; c++, v += 16 * WN_T) {
            const size_t co = (size_t)c * plane;
            __m512 d[4][4];
            for (int a = 0; a < 4; a++) {
                if (!rows[a]) {
                    for (int b = 0; b < 4; b++) d[a][b] = _mm512_setzero_ps();
                    continue;
                }
                const float *r = rows[a] + co;
                __m512 lo = _mm512_maskz_loadu_ps(m0, row_at(r, s)), hi = _mm512_maskz_loadu_ps(m1, row_at(r, s + 16));
                __m512 lo2 = _mm512_maskz_loadu_ps(m2, row_at(r, s + 2));
                __m512 hi2 = _mm512_maskz_loadu_ps(m3, row_at(r, s + 18));
                /* lo, lo2 and hi2 hold every column read (hi's are in lo2 and hi2) */
                big = _mm512_max_epu32(big, _mm512_and_si512(_mm512_castps_si512(lo), absm));
                big = _mm512_max_epu32(big, _mm512_and_si512(_mm512_castps_si512(lo2), absm));
                big = _mm512_max_epu32(big, _mm512_and_si512(_mm512_castps_si512(hi2), absm));
                __m512 x0 = evens(lo, hi), x1 = odds(lo, hi), x2 = evens(lo2, hi2), x3 = odds(lo2, hi2);
                /* d B: the columns */
                d[a][0] = _mm512_sub_ps(x0, x2);
                d[a][1] = _mm512_add_ps(x1, x2);
                d[a][2] = _mm512_sub_ps(x2, x1);
                d[a][3] = _mm512_sub_ps(x1, x3);
            }
            for (int b = 0; b < 4; b++) { /* B^T (d B): the rows */
                _mm512_mask_storeu_ps(v + (size_t)(0 * 4 + b) * xs, mk, _mm512_sub_ps(d[0][b], d[2][b]));
                _mm512_mask_storeu_ps(v + (size_t)(1 * 4 + b) * xs, mk, _mm512_add_ps(d[1][b], d[2][b]));
                _mm512_mask_storeu_ps(v + (size_t)(2 * 4 + b) * xs, mk, _mm512_sub_ps(d[2][b], d[1][b]));
                _mm512_mask_storeu_ps(v + (size_t)(3 * 4 + b) * xs, mk, _mm512_sub_ps(d[1][b], d[3][b]));
            }
        }
        l += k;
    }
    const float lim = WINO_MAX_ABS;
    uint32_t limb;
    memcpy(&limb, &lim, 4);
    return _mm512_reduce_max_epu32(big) < limb;
}

/* tiles [t0, t0 + nt) of output channels [ob, oe), summed directly from
 * the input (the packed weights: channel q of block o0 / 12 at row c * 9 +
 * ki * 3 + kj) and put out by the epilogue: the chunks whose inputs
 * wino_in found too large for the transforms (an Inf or a NaN there would
 * spread to other outputs as NaN), rare enough for plain loops */
CONV_TARGET static void wino_plain(const cjob *j, cstat *st, const float *xn, int64_t ob, int64_t oe, int64_t t0,
                                   int nt, int64_t Tw, const ydst *yd) {
    float et[CONV_NR * CONV_MR] __attribute__((aligned(64)));
    const int64_t C = j->Cin, H = j->H, W = j->W, Wo = j->Wo;
    const size_t plane = (size_t)(H * W), bsz = (size_t)j->K * CONV_NR;
    for (int l = 0; l < nt;) {
        int64_t tr, tc;
        int k = wino_run(t0 + l, t0 + nt, Tw, 16, &tr, &tc);
        for (int64_t o0 = ob; o0 < oe; o0 += CONV_NR) {
            int nr = (int)min64(CONV_NR, oe - o0);
            const size_t wb = (size_t)(o0 / CONV_NR) * bsz; /* the block's first weight, in elements */
            for (int i = 0; i < 2; i++) {
                const int64_t oh = 2 * tr + i;
                for (int q = 0; q < nr; q++)
                    for (int x = 0; x < 2 * k; x++) {
                        const int64_t ow = 2 * tc + x;
                        float acc = 0.0f;
                        for (int64_t c = 0; c < C; c++)
                            for (int ki = 0; ki < 3; ki++) {
                                int64_t h = oh + ki - j->pad[0];
                                if (h < 0 || h >= H) continue;
                                for (int kj = 0; kj < 3; kj++) {
                                    int64_t w = ow + kj - j->pad[2];
                                    if (w < 0 || w >= W) continue;
                                    size_t wi = wb + (size_t)(c * 9 + ki * 3 + kj) * CONV_NR + (size_t)q;
                                    float wv = j->wpk_half ? exec_half_to_float(((const uint16_t *)j->wpk)[wi])
                                                           : ((const float *)j->wpk)[wi];
                                    acc = fmaf(wv, xn[(size_t)c * plane + (size_t)(h * W + w)], acc);
                                }
                            }
                        et[q * CONV_MR + x] = acc;
                    }
                tsg sg = tsg_n(2 * k);
                epilogue(j, st, et, CONV_MR, nr, &sg, o0, oh * Wo + 2 * tc, yd);
            }
        }
        l += k;
    }
}

/* the output transform of M (channels [ch0, ch0 + nr) of tiles [t0, t0 +
 * nt)) and the epilogue of its outputs, one tile row's run of tiles at a
 * time (up to 16: two output rows of up to 32 outputs each) */
CONV_TARGET static void wino_out(const cjob *j, cstat *st, const float *M, int nr, int64_t ch0, int64_t t0, int nt,
                                 int64_t Tw, const ydst *yd, bool fast) {
    float et[2][CONV_NR * CONV_MR] __attribute__((aligned(64)));
    const __m512i lo_i = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi_i = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    const size_t xs = (size_t)CONV_NR * CONV_MR; /* from one xi's tile to the next's */
    /* the register epilogue's streams, from their pixel 0 */
    epi e;
    epi_at(j, &e, ch0, 0, yd->ld);
    float *e_out = e.out;
    const float *e_res = e.res;
    const bool e_relu = e.relu;
    for (int l = 0; l < nt;) {
        int64_t tr, tc;
        int k = wino_run(t0 + l, t0 + nt, Tw, 16, &tr, &tc);
        __mmask16 mk = lanes(0, k);
        /* an output row's 2k pixels: the first 16 in one vector, the rest in the other */
        const __mmask16 mo0 = lanes(0, 2 * k < 16 ? 2 * k : 16), mo1 = 2 * k > 16 ? lanes(0, 2 * k - 16) : 0;
        __m512i mxc = _mm512_setzero_si512(), mxa = _mm512_setzero_si512(), mxr = _mm512_setzero_si512();
        bool reg = fast;
    redo:
        for (int q = 0; q < nr; q++) {
            const float *m = M + (size_t)q * CONV_MR + (size_t)l;
            __m512 s0[4], s1[4];
            for (int b = 0; b < 4; b++) { /* A^T m: the rows */
                __m512 m0 = _mm512_maskz_loadu_ps(mk, m + (size_t)(0 * 4 + b) * xs);
                __m512 m1 = _mm512_maskz_loadu_ps(mk, m + (size_t)(1 * 4 + b) * xs);
                __m512 m2 = _mm512_maskz_loadu_ps(mk, m + (size_t)(2 * 4 + b) * xs);
                __m512 m3 = _mm512_maskz_loadu_ps(mk, m + (size_t)(3 * 4 + b) * xs);
                s0[b] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
                s1[b] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
            }
            for (int i = 0; i < 2; i++) { /* (A^T m) A: the columns, interleaved into an output row */
                const __m512 *sv = i ? s1 : s0;
                __m512 y0 = _mm512_add_ps(_mm512_add_ps(sv[0], sv[1]), sv[2]);
                __m512 y1 = _mm512_sub_ps(_mm512_sub_ps(sv[1], sv[2]), sv[3]);
                __m512 ylo = _mm512_permutex2var_ps(y0, lo_i, y1), yhi = _mm512_permutex2var_ps(y0, hi_i, y1);
                if (reg) {
                    /* bias, statistics, the chain and the stores in registers */
                    size_t off = (size_t)(yat(yd, ch0, (2 * tr + i) * j->Wo + 2 * tc) - j->out[0]);
                    epi_vec(e.bias, e_out + off, e_res ? e_res + off : NULL, yd->ld, e_relu, q, 0, ylo, mo0, &mxc,
                            &mxa, &mxr, true);
                    if (mo1)
                        epi_vec(e.bias, e_out + off, e_res ? e_res + off : NULL, yd->ld, e_relu, q, 1, yhi, mo1,
                                &mxc, &mxa, &mxr, true);
                } else {
                    _mm512_store_ps(et[i] + q * CONV_MR, ylo);
                    _mm512_store_ps(et[i] + q * CONV_MR + 16, yhi);
                }
            }
        }
        if (reg) {
            uint32_t mx[3];
            if (!epi_maxima(mxc, mxa, mxr, e_res != NULL, e_relu, mx)) {
                /* a value that is not finite: counted one by one, below */
                reg = false;
                goto redo;
            }
            epi_merge(j, st, mx);
        } else {
            tsg sg = tsg_n(2 * k);
            for (int i = 0; i < 2; i++)
                epilogue(j, st, et[i], CONV_MR, nr, &sg, ch0, (2 * tr + i) * j->Wo + 2 * tc, yd);
        }
        l += k;
    }
}

CONV_TARGET static void conv_items_wino(void *arg, size_t b, size_t e, int range) {
    cjob *j = arg;
    const int64_t C = j->Cin, nb = (j->Og + CONV_NR - 1) / CONV_NR;
    const int64_t Tw = j->Wo / 2, T = Tw * (j->P / j->Wo / 2), nch = (T + j->wt - 1) / j->wt;
    const size_t plane = (size_t)(j->H * j->W), ublk = (size_t)C * CONV_NR; /* floats of one U[xi][blk] */
    float *V = j->scr + (size_t)range * j->scr_per, *M = V + (size_t)16 * (size_t)C * WN_T;
    const bool fast = epi_ok(j);
    for (size_t it = b; it < e; it++) {
        const share sh = item_share(j, it, nch, CONV_NR);
        const int64_t cb = sh.ub, ce = sh.ue, ob = sh.ob, oe = sh.oe;
        cstat *st = j->st[it].s;
        for (int64_t n = 0; n < j->N; n++) {
            const float *xn = j->x + (size_t)(n * C) * plane;
            ydst yd = {j->out[0] + (size_t)(n * j->cout * j->P), (size_t)j->P, 0, 0};
            for (int64_t ch = cb; ch < ce; ch++) {
                int64_t t0 = ch * j->wt;
                int nt = (int)min64(j->wt, T - t0);
                if (!wino_in(j, xn, t0, nt, Tw, V)) {
                    wino_plain(j, st, xn, ob, oe, t0, nt, Tw, &yd);
                    goto fused;
                }
                __mmask16 m0 = lanes(0, nt < 16 ? nt : 16), m1 = nt > 16 ? lanes(0, nt - 16) : 0;
                for (int64_t o0 = ob; o0 < oe; o0 += CONV_NR) {
                    int nr = (int)min64(CONV_NR, oe - o0);
                    const int64_t blk = o0 / CONV_NR;
                    for (int xi = 0; xi < 16; xi++) {
                        const float *u = j->wu + ((size_t)xi * (size_t)nb + (size_t)blk) * ublk;
                        /* the next product's weights into L2 while this one runs */
                        const float *nx = xi < 15 ? u + (size_t)nb * ublk
                                        : o0 + CONV_NR < oe ? j->wu + (size_t)(blk + 1) * ublk : NULL;
                        int64_t npf = nx ? (int64_t)((ublk * sizeof(float) + 63) / 64) : 0;
                        if (npf > C) npf = C;
                        KER[nt > 16][nr - 1](C, V + (size_t)xi * WN_T, 16 * WN_T, u, CONV_NR, m0, m1,
                                             M + (size_t)xi * CONV_NR * CONV_MR, (const char *)nx, npf, NULL, NULL, 0,
                                             NULL, 0, NULL);
                    }
                    wino_out(j, st, M, nr, o0, t0, nt, Tw, &yd, fast);
                }
            fused:
                if (j->n_out > 1 && !j->chain)
                    for (int l = 0; l < nt;) {
                        int64_t tr, tc;
                        int k = wino_run(t0 + l, t0 + nt, Tw, WN_T, &tr, &tc);
                        for (int i = 0; i < 2; i++) fused_pass(j, st, n, ob, oe, (2 * tr + i) * j->Wo + 2 * tc, 2 * k);
                        l += k;
                    }
            }
        }
    }
}

/* Whether a block of binary16 weights is better widened once into scratch
 * than in the kernel. On AMD family 19h (Zen 4, whose AVX-512 runs on
 * 256-bit units) the kernel's two vcvtph2ps per 24 FMAs cost the FMAs
 * time: one thread, resnet50's 1x1 layers at 14x14 took 1.01-1.05 ms
 * widening in the kernel and 0.96-0.98 from scratch, at 7x7 1.03-1.09 and
 * 0.99-1.04, no layer slower, the convolutions 71.1 and 70.0 ms
 * (bench/README.md, set 17). On family 1Ah (Zen 5) the in-kernel widening
 * came free and a scratch copy per block of channels cost ~9% of the 7x7
 * layers (commit adb7ced). Other CPUs, not measured, keep the in-kernel
 * widening. CML_EXEC_TRD_WIDEN=1 or 0 when the plan is prepared decides it
 * instead (the tests run both). SOURCE: AMD CPUID Fn0000_0001_EAX (family:
 * base family, plus extended family when the base is Fh). */
static bool trd_widen_pays(void) {
    static atomic_int pays = -1;
    int v = atomic_load_explicit(&pays, memory_order_relaxed);
    if (v < 0) {
        unsigned a, b, c, d;
        v = 0;
        if (__get_cpuid(0, &a, &b, &c, &d) && b == 0x68747541u && d == 0x69746e65u && c == 0x444d4163u && /* AuthenticAMD */
            __get_cpuid(1, &a, &b, &c, &d)) {
            unsigned fam = (a >> 8) & 0xfu;
            if (fam == 0xfu) fam += (a >> 20) & 0xffu;
            v = fam == 0x19u;
        }
        atomic_store_explicit(&pays, v, memory_order_relaxed);
    }
    return v;
}

static bool cpu_ok(void) {
    static atomic_int ok = -1;
    int v = atomic_load_explicit(&ok, memory_order_relaxed);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt");
        atomic_store_explicit(&ok, v, memory_order_relaxed);
    }
    return v;
}

/* ---- fusion ------------------------------------------------------------------------------ */

static const cml_value *arg0(const cml_op *op, const char *name) {
    const cml_arg *a = cml_op_input(op, name);
    return a && a->n_values == 1 ? a->values[0] : NULL;
}

/* Is step r the only reader of slot s, and s no output of the function or
 * of a nested block? */
static bool only_reader(const exec_plan *p, int s, size_t r) {
    if (p->slots[s].is_output || p->slots[s].pinned) return false;
    for (size_t k = 0; k < p->n_steps; k++) {
        const xstep *st = &p->steps[k];
        bool reads = false;
        for (size_t a = 0; a < st->op->n_inputs && !reads; a++)
            for (size_t v = 0; v < st->op->inputs[a]->n_values && !reads; v++) reads = st->in_slots[a][v] == s;
        for (size_t a = 0; a < st->op->n_attrs && !reads; a++) reads = st->attr_slots[a] == s;
        if (reads && k != r) return false;
    }
    return true;
}

/* Which of the steps after conv step i its kernel computes too (ML Program
 * only): an add of the conv's output and another value (the residual),
 * then a relu of that; or a relu of the conv's output. Decided once. */
static int conv_fusion(exec_plan *p, size_t i) {
    xstep *st = &p->steps[i];
    if (st->fuse) return st->fuse;
    int f = 0;
    if (!p->is_nn && st->op->n_outputs == 1) {
        const cml_value *y = st->op->outputs[0];
        size_t k = i + 1;
        if (k < p->n_steps && !strcmp(p->steps[k].op->kind, "add") && p->steps[k].op->n_outputs == 1) {
            const cml_value *a = arg0(p->steps[k].op, "x"), *b = arg0(p->steps[k].op, "y");
            if (a && b && (a == y) != (b == y)) {
                f |= EXEC_FUSE_ADD;
                y = p->steps[k].op->outputs[0];
                k++;
            }
        }
        if (k < p->n_steps && !strcmp(p->steps[k].op->kind, "relu") && p->steps[k].op->n_outputs == 1 &&
            arg0(p->steps[k].op, "x") == y)
            f |= EXEC_FUSE_RELU;
    }
    /* the chain in registers: when the conv's output (and an add's before
     * a relu) is read by its fused successor alone and is no output */
    if (f) {
        int n = __builtin_popcount((unsigned)f);
        bool ok = true;
        for (int s = 0; s < n && ok; s++) {
            int slot = p->steps[i + (size_t)s].out_slots[0];
            ok = only_reader(p, slot, i + (size_t)s + 1);
        }
        if (ok) f |= EXEC_FUSE_CHAIN;
    }
    st->fuse = f ? (signed char)f : -1;
    return st->fuse;
}

static bool rounds(const xctx *c, int slot) {
    /* exec_run's rule for an op output */
    return c->mode == EXEC_FP16_EMU || (c->mode == EXEC_TYPED && c->p->slots[slot].decl == EXEC_DT_FP16);
}

static bool same_shape(const xt *a, const xt *b) {
    if (a->rank != b->rank || a->n != b->n) return false;
    for (int k = 0; k < a->rank; k++)
        if (a->dim[k] != b->dim[k]) return false;
    return true;
}

/* The direct mode's tiles. Either whole output rows, cut in tiles of 32
 * pixels (one row a tile, or two rows of <= 16), or (flattened) runs of 32
 * consecutive positions of the output laid out at the padded input's row
 * width Wp: position f = oh * Wp + ow reads its tap (ki, kj) at f + ki * Wp
 * + kj of the padded plane, so a vector runs on across a row's end, and the
 * Wp - Wo positions between two rows are computed and never stored (a
 * vector's lanes go out in one piece per output row). Rows of 56 pixels
 * (ResNet's 56x56 layers) fill 56 of every 64 lanes cut by rows, 56 of 57
 * flattened (Wp = W + 1 with one column of padding each side); the tiling
 * with more lanes in use is taken. */
static int direct_tiles(cjob *j, int64_t Ho, int64_t Wo) {
    const int64_t Wp = j->Wp;
    double e_rows = Wo > 16 ? (double)Wo / (double)(32 * ((Wo + 31) / 32)) : (double)(2 * Wo) / 32.0;
    /* flattened only where an output row fits in a padded one: with both
     * side paddings 3 or more, Wo = W + left + right - 2 exceeds Wp = W +
     * max(left, right) and a row's tiles would run into the next row's */
    double e_flat = Wo >= 14 && Wo <= Wp ? (double)Wo / (double)Wp : 0.0;
    if (e_flat > e_rows + 0.02) {
        int64_t fend = (Ho - 1) * Wp + Wo; /* one past the last output's position */
        j->ntiles = (fend + CONV_MR - 1) / CONV_MR;
        j->tiles = malloc((size_t)j->ntiles * sizeof *j->tiles);
        if (!j->tiles) return -1;
        for (int64_t t = 0; t < j->ntiles; t++) {
            dtile *d = &j->tiles[t];
            int64_t f0 = t * CONV_MR;
            d->a0 = (size_t)f0;
            d->a1 = (size_t)f0 + 16;
            d->m0 = lanes(0, (int)min64(16, fend - f0));
            d->m1 = fend - f0 > 16 ? lanes(0, (int)min64(16, fend - f0 - 16)) : 0;
            d->sg.np = 0;
            d->px = -1;
            d->npx = 0;
            for (int v = 0; v < 2; v++) {
                int cnt = (int)min64(16, fend - f0 - 16 * v);
                for (int l = 0; l < cnt;) {
                    int64_t f = f0 + 16 * v + l, oh = f / Wp, ow = f % Wp;
                    if (ow >= Wo) { l += (int)(Wp - ow); continue; } /* between rows */
                    int run = (int)min64(cnt - l, Wo - ow);
                    int64_t off = oh * Wo + ow - l;
                    if (off < 0 || d->sg.np == 4) { free(j->tiles); j->tiles = NULL; goto rows; }
                    d->sg.pc[d->sg.np].v = v;
                    d->sg.pc[d->sg.np].m = lanes(l, l + run);
                    d->sg.pc[d->sg.np].off = off;
                    d->sg.np++;
                    if (d->px < 0) d->px = oh * Wo + ow;
                    d->npx += run;
                    l += run;
                }
            }
        }
        return 0;
    }
rows:;
    int64_t rpt = Wo > 16 ? 1 : 2; /* output rows per tile */
    int64_t tpr = Wo > 16 ? (Wo + 31) / 32 : 1;
    j->ntiles = Wo > 16 ? Ho * tpr : (Ho + 1) / 2;
    j->tiles = malloc((size_t)j->ntiles * sizeof *j->tiles);
    if (!j->tiles) return -1;
    int64_t t = 0;
    for (int64_t oh = 0; oh < Ho; oh += rpt)
        for (int64_t ow = 0; ow < Wo; ow += 32) {
            dtile *d = &j->tiles[t++];
            int64_t voff;
            d->px = oh * Wo + ow;
            d->a0 = (size_t)(oh * Wp + ow);
            if (Wo > 16) {
                int len = (int)min64(32, Wo - ow);
                d->m0 = lanes(0, len < 16 ? len : 16);
                d->m1 = len > 16 ? lanes(0, len - 16) : 0;
                d->a1 = d->a0 + 16;
                voff = 16;
                d->npx = len;
            } else {
                d->m0 = lanes(0, (int)Wo);
                d->m1 = oh + 1 < Ho ? lanes(0, (int)Wo) : 0;
                d->a1 = d->a0 + (size_t)Wp;
                voff = Wo;
                d->npx = (int)(oh + 1 < Ho ? 2 * Wo : Wo);
            }
            d->sg.np = d->m1 ? 2 : 1;
            d->sg.pc[0].v = 0;
            d->sg.pc[0].m = d->m0;
            d->sg.pc[0].off = d->px;
            d->sg.pc[1].v = 1;
            d->sg.pc[1].m = d->m1;
            d->sg.pc[1].off = d->px + voff;
            if (Wo <= 16) break;
        }
    return 0;
}

#else
void exec_conv_free(xstep *st) { (void)st; }
#endif /* CONV_FAST */

int exec_conv2d_fast(xctx *c, const xt *x, const xt *w, const float *bias, int64_t cout, int64_t groups,
                     int64_t kh, int64_t kw, const int64_t stride[2], const int64_t dil[2], const int64_t pad[4],
                     xt *y, bool fuse) {
#ifdef CONV_FAST
    exec_plan *p = c->p;
    int r = x->rank;
    int64_t Cin = x->dim[r - 3], H = x->dim[r - 2], W = x->dim[r - 1];
    int64_t Ho = y->dim[r - 2], Wo = y->dim[r - 1];
    int64_t Cg = Cin / groups, Og = cout / groups, K = Cg * kh * kw, P = Ho * Wo;
    if (Cg == 1 && Og == 1) return 1; /* depthwise: exec_math.c */
    if (K < 1 || P < 1 || Og < 1 || !cpu_ok() || p->conv_blas_only) return 1;
    if (K > (1 << 24) || P > ((int64_t)1 << 40)) return 1;
    size_t idx = (size_t)(c->st - p->steps);
    int oslot = c->st->out_slots[0];
    xt *yt = &p->slots[oslot].t; /* the real output (y may be a rank-4 view of it) */
    bool own_out = c->op->n_outputs == 1 && yt->d == y->d && yt->n == y->n;

    /* the transposed mode when its lanes are clearly fuller: pixels in
     * tiles of 32 (vectors of 16) against output channels in vectors of 16 */
    double fill_px = (double)P / (double)(16 * (P / 32 * 2 + (P % 32 + 15) / 16));
    double fill_ch = (double)Og / (double)(16 * ((Og + 15) / 16));
    /* ... and for a 1x1 convolution (strided or not) or a stride-2 one
     * (the phase planes) whose pixels fill a few lanes fewer (14x14: 196 of
     * 208) once K is long enough to carry its transposes: alone, one
     * thread, 1x1 1024 -> 256 channels at 14x14 0.53 -> 0.46 ms, 1024 ->
     * 512 1.03-1.06 -> 0.94, 512 -> 1024 about even (two threads 0.57 ->
     * 0.54; strided from 28x28 0.87-0.92 -> 0.68); 3x3 stride 2 from 28x28
     * x 256 1.33-1.56 -> 1.19-1.35. At K = 256 even, at 28x28 (every lane
     * full) slower, and resnet's stem (K = 147) 1.30 -> 1.44 */
    /* (one: a 1x1 without padding, strided or not; s2: the phase planes'
     * geometry. Both also choose those modes below) */
    const bool one = kh == 1 && kw == 1 && pad[0] == 0 && pad[1] == 0 && pad[2] == 0 && pad[3] == 0 &&
                     stride[0] >= 1 && stride[1] >= 1 && Ho == (H - 1) / stride[0] + 1 && Wo == (W - 1) / stride[1] + 1;
    const bool s2 = stride[0] == 2 && stride[1] == 2 && kh * kw > 1 && kh <= IM2COL_KMAX && kw <= IM2COL_KMAX &&
              dil[0] == 1 && dil[1] == 1 && pad[0] >= 0 && pad[1] >= 0 && pad[2] >= 0 && pad[3] >= 0;
    bool tr = fill_ch > fill_px + 0.1 || ((one || s2) && K >= 512 && fill_ch > fill_px + 0.02);
    /* a stored-form weight is decoded as the other kernels would see it:
     * rounded to binary16 in fp16 emulation */
    bool r16 = c->mode == EXEC_FP16_EMU && !p->is_classic;
    const cwpack *wpk = conv_pack(p, &p->steps[idx], w, r16, cout, groups, K, tr ? TR_MC : CONV_NR);
    if (wpk == &CONV_NOT_CONST) return 1; /* a run-time weight: the BLAS path packs it per call */
    if (wpk == &CONV_READ_SHORT)
        return exec_fail(c, "the weight file came short while the weights were read (changed during the run?)");
    if (!wpk) return exec_fail(c, "out of memory (packed weights)");
    cjob *j = aligned_alloc(64, (sizeof *j + 63) / 64 * 64); /* cstats: whole cache lines */
    if (!j) return exec_fail(c, "out of memory");
    memset(j, 0, sizeof *j);
    j->wpk = wpk->data;
    j->wpk_half = wpk->half;
    j->tr = tr;
    j->x = x->d;
    j->bias = bias;
    j->N = (int64_t)(x->n / exec_nz(Cin * H * W));
    j->Cin = Cin; j->H = H; j->W = W; j->Wo = Wo; j->P = P; j->K = K; j->cout = cout; j->groups = groups;
    j->Cg = Cg; j->Og = Og; j->kh = kh; j->kw = kw;
    memcpy(j->s, stride, sizeof j->s);
    memcpy(j->d, dil, sizeof j->d);
    memcpy(j->pad, pad, sizeof j->pad);
    j->pointwise = kh == 1 && kw == 1 && stride[0] == 1 && stride[1] == 1 && pad[0] == 0 && pad[1] == 0 &&
                   pad[2] == 0 && pad[3] == 0 && Ho == H && Wo == W;
    /* A 1x1 convolution with strides and no padding is the pointwise one of
     * its input's every s-th row and column: that copy, made once (split by
     * rows, as the pointwise split by pixels then reads it), is read in
     * place instead of gathered into an im2col panel per chunk (which took
     * 16-30% of resnet's downsampling layers) */
    if (!j->pointwise && one && !getenv("CML_EXEC_CONV_IM2COL")) {
        size_t planes = (size_t)(j->N * Cin), need = planes * (size_t)P + 16;
        float *xp = exec_grow(&p->cpad, &p->cpad_bytes, need);
        if (!xp) { free(j); return exec_fail(c, "out of memory (subsampled input)"); }
        regrid_job sj = {x->d, xp, H, W, Ho, Wo, stride[0], stride[1], 0, 0, 1, 1, planes, (size_t)P};
        exec_par_for(p, (size_t)Ho, 4, regrid_rows, &sj);
        j->x = xp;
        j->H = Ho;
        j->W = Wo;
        j->s[0] = j->s[1] = 1;
        j->pointwise = true;
    }
    /* 3x3 stride 1: read from a padded copy of the input, no im2col (the
     * transposed mode too, conv_items_trd: its tiles of positions need
     * rows of 4 or more) */
    const int64_t wo_min = tr ? 4 : 8;
    j->direct = !j->pointwise && kh == 3 && kw == 3 && stride[0] == 1 && stride[1] == 1 && dil[0] == 1 &&
                dil[1] == 1 && Wo >= wo_min && !getenv("CML_EXEC_CONV_IM2COL");
    if (j->direct) {
        /* Rows of the padded copy are W + max(left, right) apart, not W +
         * left + right: a row's right padding is the next row's left
         * padding (both zeros), so the flattened tiles waste one lane in
         * W + 1 where each row has one column of padding on either side
         * (14 of 15 for 14x14 images, 56 of 57 for 56x56). A tap past a
         * row's end reads the next row's first columns, which are zeros;
         * past the last plane, the 32 zeros kept after it. */
        j->Hp = H + pad[0] + pad[1];
        j->Wp = W + (pad[2] > pad[3] ? pad[2] : pad[3]);
        if (j->Hp - 2 != Ho || W + pad[2] + pad[3] - 2 != Wo || pad[0] < 0 || pad[1] < 0 || pad[2] < 0 ||
            pad[3] < 0)
            j->direct = false;
    }
    j->khw = 9;
    j->cs = (size_t)(j->Hp * j->Wp);
    /* Winograd where it pays: its weights (16/9 as many as the direct
     * mode's, in fp32: 3.6x the bytes of an fp16 packing) are read once per
     * chunk of 32 tiles, so only while they stay in the caches: up to 6
     * MiB, all of resnet's 3x3 stride-1 layers at 56x56, 28x28 and 14x14
     * (256 channels: 4.3 MB), measured in bench/README.md (set 10). It
     * reads the input in place (wino_in). CML_EXEC_CONV_WINO=0 turns it
     * off, =1 takes it wherever it applies (the tests). */
    if (j->direct && !tr && groups == 1 && Ho % 2 == 0 && Wo % 2 == 0 && Cin <= 1024) {
        const char *wv = getenv("CML_EXEC_CONV_WINO");
        size_t ubytes = (size_t)16 * (size_t)Cin * (size_t)((Og + CONV_NR - 1) / CONV_NR * CONV_NR) * sizeof(float);
        j->wino = wv && *wv ? wv[0] != '0' : ubytes <= WINO_MAX_BYTES;
    }
    if (j->wino) {
        cwpack *e = (cwpack *)wpk;
        if (!e->wino && !e->wino_no) {
            /* out of memory, or the plan's budget spent: the direct mode needs nothing more */
            if (p->wino_bytes + wino_bytes(e) > WINO_PLAN_BYTES ||
                !(e->wino = wino_pack(p, e, Cin, (Og + CONV_NR - 1) / CONV_NR)))
                e->wino_no = true;
            else
                p->wino_bytes += wino_bytes(e);
        }
        j->wino = e->wino != NULL;
        j->wu = e->wino;
    }
    /* stride 2 with a kernel wider than 1x1: the phase planes (kerq). The
     * taps' offsets are int32: four planes of (Ho + kh) x (Wo + kw) at most */
    if (!j->direct && !j->pointwise && s2 && Wo >= wo_min && 4.0 * (double)(Ho + kh) * (double)(Wo + kw) < 2147483647.0 &&
        !getenv("CML_EXEC_CONV_IM2COL")) {
        j->direct = j->phase = true;
        j->Hp = Ho + (kh - 1) / 2;
        j->Wp = Wo + (kw - 1) / 2;
        j->khw = (int)(kh * kw);
        j->cs = 4 * (size_t)(j->Hp * j->Wp);
        for (int64_t ki = 0; ki < kh; ki++)
            for (int64_t kj = 0; kj < kw; kj++)
                j->taps[ki * kw + kj] = (int32_t)((size_t)((ki & 1) * 2 + (kj & 1)) * (size_t)(j->Hp * j->Wp) +
                                                  (size_t)((ki >> 1) * j->Wp + (kj >> 1)));
    }
    if (j->direct && tr) {
        /* the taps of the padded copy, as the phase mode's (int32: the plane
         * of 3 rows and 3 columns more than the output's at most) */
        if (!j->phase)
            for (int ki = 0; ki < 3; ki++)
                for (int kj = 0; kj < 3; kj++) j->taps[ki * 3 + kj] = (int32_t)(ki * j->Wp + kj);
        if (Wo > j->Wp || (double)j->cs >= 2147483647.0) j->direct = j->phase = false;
    }
    /* ... and a 1x1 convolution's input in place: one tap, rows of Wo */
    j->trd = tr && (j->direct || j->pointwise);
    j->widen = j->trd && j->wpk_half && (p->trd_widen ? p->trd_widen > 0 : trd_widen_pays());
    if (tr && j->pointwise) {
        j->xpad = j->x;
        j->cs = (size_t)P;
        j->Wp = Wo;
        j->khw = 1;
        j->taps[0] = 0;
    }
    if (j->direct && !j->wino) {
        size_t planes = (size_t)(j->N * Cin) * j->cs, need = planes + 32;
        float *xp = exec_grow(&p->cpad, &p->cpad_bytes, need);
        if (!xp) { free(j); return exec_fail(c, "out of memory (padded input)"); }
        memset(xp + planes, 0, 32 * sizeof(float));
        j->xpad = xp;
        if (!tr && direct_tiles(j, Ho, Wo) != 0) {
            free(j);
            return exec_fail(c, "out of memory (convolution tiles)");
        }
        const int64_t sp = j->phase ? 2 : 1; /* the phase planes, or the zero-padded copy */
        regrid_job pj = {x->d, xp, H, W, j->Hp, j->Wp, sp, sp, pad[0], pad[2], (int)sp, (int)sp,
                         (size_t)(j->N * Cin), j->cs};
        exec_par_for(p, (size_t)j->Hp, 4, regrid_rows, &pj);
    }
    j->out[0] = y->d;
    j->kind[0] = S_CONV;
    j->rnd[0] = own_out && rounds(c, oslot);
    j->n_out = 1;

    /* the fused steps, when the plan has them and this run's shapes allow */
    xt *fy[2] = {NULL, NULL};
    size_t fidx[2];
    const xt *res_t = NULL; /* the fused add's other operand, read at step res_at */
    long res_at = -1;
    int nf = 0;
    int f = fuse && own_out ? conv_fusion(p, idx) : -1;
    /* no hook to see the intermediate outputs: the chain in registers */
    j->chain = f > 0 && (f & EXEC_FUSE_CHAIN) && !p->opts.hook;
    int nstages = f > 0 ? __builtin_popcount((unsigned)(f & (EXEC_FUSE_ADD | EXEC_FUSE_RELU))) : 0;
    if (f > 0) {
        size_t k = idx + 1;
        const xt *prev = yt;
        for (int s = 0; s < 2; s++) {
            int bit = s == 0 ? EXEC_FUSE_ADD : EXEC_FUSE_RELU;
            if (!(f & bit)) continue;
            xstep *ks = &p->steps[k];
            xctx kc = {.p = p, .st = ks, .op = ks->op, .mode = c->mode};
            int ko = ks->out_slots[0];
            exec_dtype kd = p->slots[ko].decl;
            if (kd != EXEC_DT_FP32 && kd != EXEC_DT_FP16) break;
            if (bit == EXEC_FUSE_ADD) {
                const xt *a = exec_in(&kc, "x"), *b = exec_in(&kc, "y");
                const xt *res = a && a->d == prev->d ? b : a;
                if (!a || !b || !res || !res->d || res->d == prev->d || !same_shape(res, prev) ||
                    (res->dt != EXEC_DT_FP32 && res->dt != EXEC_DT_FP16))
                    break;
                j->res = res->d;
                res_t = res;
                res_at = (long)k;
            }
            /* in the chain, an intermediate output is never written; its last
             * stage writes over the residual when nothing reads that later */
            xt *o = NULL;
            if (!(j->chain && nf + 1 < nstages)) {
                /* (not when the convolution itself reads that tensor) */
                if (j->chain && nf + 1 == nstages && res_t && res_at >= 0 && res_t->d != x->d &&
                    res_t->d != w->d && res_t->d != bias)
                    o = exec_out_over(&kc, 0, yt->rank, yt->dim, res_t, (size_t)res_at);
                if (!o) o = exec_out(&kc, 0, yt->rank, yt->dim);
            }
            if (!o && !(j->chain && nf + 1 < nstages)) { free(j); return exec_fail(c, "out of memory"); }
            j->out[j->n_out] = o ? o->d : NULL;
            j->kind[j->n_out] = bit == EXEC_FUSE_ADD ? S_ADD : S_RELU;
            /* a relu of binary16 values gives binary16 values */
            j->rnd[j->n_out] = rounds(&kc, ko) && !(bit == EXEC_FUSE_RELU && j->rnd[j->n_out - 1]);
            j->n_out++;
            fy[nf] = o;
            fidx[nf++] = k;
            if (o) prev = o;
            k++;
        }
        if (j->chain && nf < nstages) {
            /* a stage did not qualify this run: no chain, every output written */
            j->chain = false;
            for (int s = 0; s < nf; s++) {
                if (fy[s]) continue;
                xstep *ks = &p->steps[fidx[s]];
                xctx kc = {.p = p, .st = ks, .op = ks->op, .mode = c->mode};
                fy[s] = exec_out(&kc, 0, yt->rank, yt->dim);
                if (!fy[s]) { free(j); return exec_fail(c, "out of memory"); }
                j->out[s + 1] = fy[s]->d;
            }
        }
    }

    /* split: pixel ranges when the image is wide enough, else channel ranges */
    int threads = exec_par_threads(p);
    double flop = 2.0 * (double)j->N * (double)groups * (double)Og * (double)K * (double)P;
    int items = threads;
    if (items > CONV_MAX_ITEMS) items = CONV_MAX_ITEMS;
    if (flop / 2e6 < items) items = flop / 2e6 >= 2 ? (int)(flop / 2e6) : 1;
    int mc = tr ? TR_MC : CONV_NR, mp = tr ? TR_NP : CONV_MR; /* tile channels, pixels */
    bool by_px = tr ? Og < (int64_t)items * 2 * TR_MC : P >= (int64_t)items * 64 || Og < 2 * CONV_NR;
    if (tr && j->trd && items > 1 && Og >= 2 * TR_MC) {
        /* the transposed mode without a panel: the split with the smaller
         * share of bytes read, as the 1x1 mode's below (resnet50's 14x14
         * 1024 -> 256 layers, whose input the layer before wrote split by
         * pixels: by channels each thread read all of it, half from the
         * other CPU), the weights counted at a quarter: no CPU writes
         * them, so both read them from the shared cache without taking
         * lines from the other (the 3x3 stride-2 layer to 14x14 x 256,
         * two threads: 0.94-0.96 ms by channels, 0.80 by pixels) */
        int64_t units = (trd_end(j) + TR_NP - 1) / TR_NP, nbk = (Og + TR_MC - 1) / TR_MC;
        double bal_px = (double)((units + items - 1) / items) * items / (double)units;
        double bal_ch = (double)((nbk + items - 1) / items) * items / (double)nbk;
        double xb = (double)j->N * (double)Cin * (double)j->cs * sizeof(float);
        double wb = (double)cout * (double)K * (wpk->half ? 2.0 : 4.0);
        by_px = (xb / items + wb / 4) * bal_px <= (xb + wb / items / 4) * bal_ch;
    }
    if (!tr && by_px && Og >= 2 * CONV_NR && items > 1 && (j->direct || j->pointwise)) {
        /* pixels split in units of 16 (direct mode: in its tiles), channels in
         * blocks of CONV_NR: take channels when pixels would leave one thread
         * clearly more (a 14x14 image is 7 direct tiles: 4 against 3). Not
         * with an im2col panel, which every channel range would build again.
         * The Winograd mode makes its chunks equal over the pixel ranges
         * (below), so its pixels balance while each range's chunks keep a
         * vector of tiles; split by channels, every range would transform
         * the input of every tile, half of it from rows the other threads
         * copied (resnet50's 28x28 layers, two threads: 0.57 against 0.47 ms) */
        int64_t T = (Ho / 2) * (Wo / 2); /* Winograd tiles (even sizes, Wo >= 8: T >= 4) */
        bool wino_px = false;
        if (j->wino) {
            wino_px = T / wino_chunks(T, items) >= 16;
        }
        if (!wino_px) {
            int64_t units = j->wino ? (T + WN_T - 1) / WN_T : j->direct ? j->ntiles : (P + 15) / 16,
                    nbk = (Og + CONV_NR - 1) / CONV_NR;
            double bal_px = (double)((units + items - 1) / items) * items / (double)units;
            double bal_ch = (double)((nbk + items - 1) / items) * items / (double)nbk;
            if (j->pointwise) {
                /* a 1x1 convolution reads all of its input over channel
                 * ranges and all of its weights over pixel ranges: the
                 * split whose share of bytes (times its imbalance) is the
                 * smaller, as each thread's reads of the other threads'
                 * outputs set its pace (resnet50 at 14x14, two threads:
                 * 1024 -> 256 channels 0.38 -> 0.34 ms by pixels, 256 ->
                 * 1024 0.34 by channels against 0.39) */
                double xb = (double)j->N * (double)Cin * (double)P * sizeof(float);
                double wb = (double)cout * (double)K * (wpk->half ? 2.0 : 4.0);
                by_px = (xb / items + wb) * bal_px <= (xb + wb / items) * bal_ch;
            } else if (bal_ch + 0.05 < bal_px) {
                by_px = false;
            }
        }
    }
    if (by_px) {
        j->rp = items;
        j->ro = 1;
    } else {
        j->rp = 1;
        j->ro = items;
    }
    int64_t per = (P + j->rp - 1) / j->rp, per_pad = (per + mp - 1) / mp * mp;
    /* blocking: a chunk of nc pixels and a block of kc rows of K make a
     * panel of <= 128 Ki floats (512 KiB, in L2) that every block of output
     * channels reuses; the chunk is as wide as that allows with kc up to
     * 512 (the weights are read again for every chunk, the partial sums
     * for every block of K). With fused ops the chunk's conv output stays
     * <= 1 MiB as well, for the fused pass to read back from L2. */
    const int64_t budget = 131072;
    int64_t nc = budget / (K < 512 ? K : 512) / mp * mp;
    if (j->n_out > 1 && !j->chain && nc > 262144 / Og) nc = 262144 / Og / mp * mp;
    if (nc > per_pad) nc = per_pad;
    if (nc < mp) nc = mp;
    int64_t kc = budget / nc;
    if (kc >= K) {
        kc = K;
    } else {
        kc = kc < 16 ? 16 : kc / 16 * 16;
        int64_t nkb = (K + kc - 1) / kc;
        kc = ((K + nkb - 1) / nkb + 15) / 16 * 16;
    }
    if (j->direct) {
        /* The direct mode has no panel to keep in L2: its block of K is
         * the whole of K, so no partial sums go out to the output and back
         * (up to 1024 input channels; then blocks of whole channels). On
         * resnet18's 3x3 layers the cycles outside the kernel fell from 15%
         * to 8% of the convolutions' (rdtsc around the kernel calls). */
        kc = K <= (int64_t)j->khw * 1024 ? K : (int64_t)j->khw * 1024;
    }
    if (j->trd && j->pointwise) kc = K <= 4096 ? K : 4096; /* no panel either */
    if (j->wino) {
        /* chunks of up to 32 tiles, as many as make every pixel range's
         * equal (resnet50's 14x14 layers: 25 + 24 tiles on two threads, not
         * 32 + 17) */
        int64_t T = (Ho / 2) * (Wo / 2), nch = wino_chunks(T, j->rp);
        j->wt = (T + nch - 1) / nch;
    }
    j->nc = nc;
    j->kc = kc;
    int ranges = exec_par_ranges(p, (size_t)items, 1);
    size_t wpn = ((size_t)kc * (size_t)mc + 15) / 16 * 16;
    j->scr_per = wpn + (j->pointwise || j->direct ? 0 : (size_t)kc * (size_t)nc);
    if (j->wino) j->scr_per = (size_t)16 * (size_t)Cin * WN_T + (size_t)16 * CONV_NR * CONV_MR; /* V, M */
    if (j->widen && (size_t)kc * TR_MC * sizeof(float) > TRD_WIDEN_MAX_BYTES) j->widen = false;
    if (j->trd) j->scr_per = j->widen ? (size_t)kc * TR_MC : 0; /* a block of widened weights, or nothing */
    j->scr_per = (j->scr_per + 15) / 16 * 16;
    /* each range's scratch at the same place in every layer: the thread
     * that takes range r writes lines its own cache last held, not lines
     * another layer's other range left in the other CPU's (bench/README.md,
     * set 12) */
    if (j->scr_per < p->conv_scr_per)
        j->scr_per = p->conv_scr_per;
    else
        p->conv_scr_per = j->scr_per;
    float *scr = exec_scratch(c, j->scr_per * (size_t)ranges + 16);
    if (!scr) { free(j); return exec_fail(c, "out of memory (convolution panels)"); }
    j->scr = (float *)(((uintptr_t)scr + 63) & ~(uintptr_t)63);
    exec_par_for(p, (size_t)items, 1,
                 tr ? (j->trd ? conv_items_trd : conv_items_tr)
                    : j->wino ? conv_items_wino : j->direct ? conv_items_direct : conv_items, j);
    free(j->tiles);

    /* the statistics: the conv's own (exec_run skips its scan), and the
     * fused steps' whole records (exec_run skips those steps) */
    exec_op_stat *sts[3] = {own_out ? &p->stats[idx] : NULL, NULL, NULL};
    for (int s = 0; s < nf; s++) {
        exec_op_stat *os = &p->stats[fidx[s]];
        memset(os, 0, sizeof *os);
        os->op = p->steps[fidx[s]].op;
        os->n_values = yt->n;
        sts[s + 1] = os;
    }
    for (int s = 0; s < j->n_out; s++) {
        if (!sts[s]) continue;
        uint32_t mx = 0;
        uint64_t nan = 0, inf = 0, ovf = 0;
        for (int it = 0; it < items; it++) {
            mx = j->st[it].s[s].mx > mx ? j->st[it].s[s].mx : mx;
            nan += j->st[it].s[s].nan;
            inf += j->st[it].s[s].inf;
            ovf += j->st[it].s[s].ovf;
        }
        float fm;
        memcpy(&fm, &mx, 4);
        if (fm > sts[s]->max_abs) sts[s]->max_abs = fm;
        sts[s]->n_nan += nan;
        sts[s]->n_inf += inf;
        if (j->rnd[s] || (s > 0 && j->kind[s] == S_RELU && j->rnd[s - 1])) sts[s]->n_overflow += ovf;
    }
    if (own_out) c->scanned = true;
    for (int s = 0; s < nf; s++) p->steps[fidx[s]].done = true;
    free(j);
    return 0;
#else
    (void)c; (void)x; (void)w; (void)bias; (void)cout; (void)groups; (void)kh; (void)kw; (void)stride; (void)dil;
    (void)pad; (void)y; (void)fuse;
    return 1;
#endif
}

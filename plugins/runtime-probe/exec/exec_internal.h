/* SPDX-License-Identifier: Apache-2.0 */
/* exec_internal.h — what the executor's source files share (not installed).
 *
 * A plan maps every IR value it touches to a slot holding an xt (a float32
 * tensor with shape and dtype tag). Constant slots are filled once at
 * prepare time (weights decoded, constexpr chains evaluated); input, state
 * and runtime slots are filled by exec_run. A step is one runtime op with
 * its kernel and the slots of its inputs, attributes and outputs. Kernels
 * (exec_ops.c for ML Program ops, exec_nn.c for NeuralNetwork layers) get an
 * xctx and read their operands through the accessors below, which follow the
 * IR's conventions (a parameter is an op input or a VALUE attribute). */
#ifndef CML_EXEC_INTERNAL_H
#define CML_EXEC_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"

/* A constant in its stored form (exec_const.c): element i of the flat
 * tensor is computed on demand, by exec_lz_decode over a range. */
typedef struct xlz xlz;
struct xlist;

/* A classifier's label (EXEC_DT_LABEL) is one element: d[0] is the class's
 * index into the classes at strs (string labels) or ikeys (int64 labels),
 * nstr of them, which the model or kernel owns; or d[0] is -1 and the one
 * entry at strs or ikeys (nstr 1, in aux) is a class the kernel named
 * itself (a k-NN's default label). exec_nn_in hands a classic kernel the
 * label's value instead: a one-element string or number. */
typedef struct xt {
    float *d;                  /* NULL for a constant kept in stored form (lz) */
    const xlz *lz;             /* that stored form (constant slots only), else NULL */
    int rank;
    int64_t dim[EXEC_MAX_RANK];
    size_t n;                  /* product of dim */
    exec_dtype dt;
    const char *const *strs;   /* EXEC_DT_STRING values, EXEC_DT_DICT string keys, LABEL names */
    size_t nstr;               /* entries at strs; a LABEL's at strs or ikeys */
    const int64_t *ikeys;      /* EXEC_DT_DICT int64 keys, LABEL int64 classes */
    void *aux;                 /* malloc'd storage behind strs / ikeys, freed with the buffer */
    bool owned;                /* d was malloc'd for this slot */
    size_t cap;                /* elements allocated at d (runtime buffers) */
    struct xlist *lst;         /* a list value (make_list, list_write ...): owned when
                                  `owned`; d is NULL then */
    double *wide;              /* classic models: the exact values of a value declared
                                  double (d holds them rounded to float32), else NULL;
                                  malloc'd, freed with the buffer as aux is */
} xt;

/* element i of t at the precision it holds: a classic model's double
 * (wide) when it has one, else the float */
static inline double exec_wv(const xt *t, size_t i) { return t->wide ? t->wide[i] : (double)t->d[i]; }

/* A MIL list (SOURCE: apple/coremltools ops/defs/iOS15/control_flow.py
 * make_list .. list_scatter): a growable array of tensors of one dtype and,
 * once known, one shape. Lists are values: list_write makes a new list. */
typedef struct xlist {
    size_t n, cap;             /* length, allocated items */
    xt *items;                 /* items[i].d NULL: never written (reads as zeros) */
    exec_dtype dt;             /* element dtype */
    int erank;                 /* element shape, when eshape */
    int64_t edim[EXEC_MAX_RANK];
    bool eshape;
    bool dynamic;              /* dynamic_length: writes past the end grow it */
} xlist;

/* recycled runtime buffers (avoids page faults on every op) */
#define XPOOL_MAX 32
typedef struct xpool {
    float *d[XPOOL_MAX];
    size_t cap[XPOOL_MAX];
    size_t n;
} xpool;

enum { SLOT_CONST = 1, SLOT_INPUT, SLOT_STATE, SLOT_RUNTIME };

typedef struct xslot {
    xt t;                      /* a stored-form constant: t.d NULL, t.lz set (owned when lz_owned) */
    bool lz_owned;
    float *dec;                /* exec_plan_const's decoded copy of a stored-form constant */
    xt t16;                    /* FP16_EMU copy of a float constant (d NULL: same as t) */
    bool t16_done;
    const cml_value *v;
    int kind;
    long last_use;             /* last step reading it; -1 none */
    bool is_output;
    exec_dtype decl;           /* declared dtype */
    const cml_block *blk;      /* the block that defines a runtime value (its producer's, or
                                  the block whose input it is) */
    bool pinned;               /* a nested block's output: released by its control-flow step */
    xt label_view;             /* exec_nn_in's view of a label as its value */
    float label_num;           /* the value of an int64 label's view */
} xslot;

/* a stored-form constant decoded for one step */
typedef struct xtmp {
    struct xtmp *next;
    const xlz *lz;
    bool r16;
    xt t;
} xtmp;

struct xctx;
typedef int (*exec_kfn)(struct xctx *c);

typedef struct exec_kdef {
    const char *kind;
    exec_kfn fn;
    /* optional prepare-time check of the op's static parameters:
     * 0 = executable, else a reason in why */
    int (*check)(const exec_io *io, const cml_op *op, char *why, size_t n);
} exec_kdef;

typedef struct xstep {
    const cml_op *op;
    exec_kfn fn;
    int **in_slots;            /* [op->n_inputs][values] */
    int *attr_slots;           /* [op->n_attrs]: VALUE attribute slot or -1 */
    int *out_slots;            /* [op->n_outputs] */
    int *release;              /* runtime slots dead after this step */
    size_t n_release;
    void *kstate;              /* a kernel's own prepared state (built on its first run) */
    void (*kstate_free)(void *);
    /* conv fusion (exec_conv.c): which following steps this conv's kernel
     * computes too, decided at its first run (0 not yet, -1 none, else
     * EXEC_FUSE_* bits); done: in this run, an earlier step's kernel wrote
     * this step's output and statistics, so exec_run skips it */
    signed char fuse;
    bool done;
    void *conv_w;              /* the conv's packed weights (exec_conv.c), built on first use */
    /* control flow (ML Program cond, while_loop; NeuralNetwork branch,
     * loop): a nested block's steps follow their op's step, block after
     * block; next is the index after them all */
    long parent;               /* the control-flow step this one is nested in, -1 none */
    size_t next;
    size_t n_subs;
    struct xsub *subs;
    /* per output: a private slot the kernel writes instead when the output
     * names a blob the layer also reads (NN "x -> x"), moved into
     * out_slots[i] after the step; NULL or -1: none */
    int *shadow;
} xstep;

/* a nested block of a control-flow step */
typedef struct xsub {
    const cml_block *b;
    size_t begin, end;         /* its steps */
    int *in_slots;             /* [b->n_inputs] */
    int *out_slots;            /* [b->n_outputs] */
} xsub;
enum { EXEC_FUSE_ADD = 1, EXEC_FUSE_RELU = 2, EXEC_FUSE_CHAIN = 4 /* the intermediates have no other reader */ };
/* what a step tells the block running it (NN loop control) */
enum { EXEC_FLOW_NEXT = 0, EXEC_FLOW_BREAK = 1, EXEC_FLOW_CONTINUE = 2 };

/* an open-addressing map from a key to a slot: keys compared as pointers
 * (cml_value*, cml_weight*), or as strings when str is set (NN blob names) */
typedef struct xmap {
    const void **keys;
    int *vals;
    size_t cap, n;
    bool str;
} xmap;

/* the plan's thread pool (exec_par.c) */
typedef struct exec_pool exec_pool;
/* one range [begin, end) of a parallel region; range = its index (0..) */
typedef void (*exec_par_fn)(void *arg, size_t begin, size_t end, int range);

typedef struct xio {
    const char *name;
    int slot;
    const cml_feature *feature;  /* the description's feature, if any */
    int derived_label;           /* NN classifier label output: index of probs output, else -1 */
} xio;

struct exec_plan {
    const cml_model *m;
    const cml_function *fn;
    bool is_nn;                /* NeuralNetwork layers, or classic models (inputs and outputs by feature) */
    bool is_classic;           /* classic models: double math on the CPU whatever the mode */
    bool conv_blas_only;       /* CML_EXEC_BLAS_CONV set when prepared: no exec_conv.c GEMM */
    bool pool_scalar;          /* CML_EXEC_POOL_SCALAR set when prepared: max pooling by the scalar-rule loop */
    bool nn_graph;             /* NeuralNetwork layers (not classic): blobs are slots by name */
    bool nn_rank5_arrays;      /* NN RANK5_ARRAY_MAPPING: multiarray inputs become [Seq, B, C, H, W] */
    bool nn_rank5_images;      /* NN RANK5_IMAGE_MAPPING: images become [1, 1, C, H, W] */
    xmap names;                /* NN: blob name -> slot (one namespace, loops and branches included) */
    uint64_t loop_limit;       /* iterations all loops of one run may take together (exec_opts.loop_limit) */
    const cml_op **substituted; /* partial plans: the stages replaced by generated values */
    size_t n_substituted;
    exec_opts opts;
    xslot *slots;
    size_t n_slots, cap_slots;
    xmap vmap;                 /* cml_value* / cml_weight* -> slot */
    xstep *steps;
    size_t n_steps, cap_steps;
    xio *ins, *outs;
    size_t n_ins, n_outs;
    int *state_slots;
    size_t n_states;
    exec_op_stat *stats;
    float *scratch;            /* exec_scratch's, scratch_bytes long */
    size_t scratch_bytes;
    size_t conv_scr_per;       /* the largest per-range scratch of a convolution so far: range r's
                                  starts at r times it, the same memory in every layer */
    xpool pool;
    size_t const_bytes;
    bool decode_all;           /* CML_EXEC_DECODE_CONSTS set when prepared: every constant decoded
                                  to float32 at prepare time (the tests compare both ways) */
    signed char trd_widen;     /* conv's transposed direct mode: 1 widen binary16 weights into
                                  scratch, -1 in the kernel, 0 as the CPU suits (CML_EXEC_TRD_WIDEN=1
                                  or 0 when prepared sets it; the tests run both) */
    signed char adopt;         /* exec_lz_adopt: 1 copy large matrix constants into memory of the
                                  plan's own, -1 read them where the host mapped them, 0 not yet
                                  decided (CML_EXEC_ADOPT=1 or 0 when prepared sets it) */
    /* stored-form constants decoded for the current step (exec_in of a kernel
     * that reads floats): freed when the step ends */
    struct xtmp *tmp;
    float *cpad;               /* the convolution's input copies (kernels/conv.c), cpad_bytes long */
    size_t cpad_bytes;
    /* the convolution packings (kernels/conv.c): the packing pass's scratch,
     * kept from one packing to the next, and the 2 MiB huge-page chunks the
     * packings under 1 MiB are cut from (exec_plan_bump) */
    void *pk_tmp;                  /* pk_tmp_bytes: one fp32 block and its decoded rows per thread */
    size_t pk_tmp_bytes;
    void *pk_stage;                /* pk_stage_bytes: a chunk of stored bytes read through the host */
    size_t pk_stage_bytes;
    size_t wino_bytes;             /* the Winograd-transformed conv weights held (kernels/conv.c) */
    unsigned char **pk_chunk;
    size_t n_pk_chunks;
    unsigned char *pk_cur, *pk_end;
    exec_pool *par;            /* created at the first parallel region */
    long first_nf, first_ovf;  /* the current run's first non-finite / overflowing step */
    uint64_t rng_seed;         /* random_* ops: the seed of this plan's generator */
    uint64_t rng_calls;        /* random_* kernel calls in this run (reset by exec_run) */
    uint64_t loop_iters;       /* iterations of every loop in this run, nested ones included (reset by exec_run) */
    bool *random_out;          /* [n_outs]: the output depends on a random_* op */
    bool has_random;           /* some runtime op is random_* */
    char err[512];
};

typedef struct xctx {
    exec_plan *p;
    const xstep *st;
    const cml_op *op;
    exec_mode mode;
    int flow;                  /* EXEC_FLOW_*: set by loopBreak / loopContinue / branch */
    bool scanned;              /* set by a kernel that took its outputs' statistics (and did
                                  their fp16 rounding) itself: exec_run does not scan them */
} xctx;

/* ---- accessors (exec.c) ---- */
int exec_fail(xctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One more iteration of the loop op c runs (ML Program while_loop, NN loop):
 * 0, or -1 after exec_fail once this run's loops, nested ones counted
 * together, have taken the plan's loop_limit iterations. `why` ends the
 * message ("its condition never turned false"). */
int exec_loop_tick(xctx *c, const char *why);
/* a message into err[n] (prepare-time errors) */
void exec_seterr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const xt *exec_in(xctx *c, const char *name);            /* parameter, or NULL */
const xt *exec_in_at(xctx *c, const char *name, size_t i);
size_t exec_in_count(xctx *c, const char *name);
const xt *exec_nn_in(xctx *c, size_t i);                 /* NN layer input i */
size_t exec_nn_n_in(xctx *c);
/* scalar / list parameters: from a tensor parameter or a scalar attribute */
double exec_pf(xctx *c, const char *name, double def);
int64_t exec_pi(xctx *c, const char *name, int64_t def);
bool exec_pb(xctx *c, const char *name, bool def);
const char *exec_ps(xctx *c, const char *name);         /* string parameter or NULL */
int exec_pints(xctx *c, const char *name, int64_t *out, size_t max); /* count, -1 absent */
/* A weight operand of a matrix kernel (conv, linear, inner product): the
 * slot's tensor as it is, which may be a stored-form constant (t->lz set,
 * t->d NULL): read it with exec_lz_decode / exec_dense, or pass it on to
 * exec_linear / exec_conv2d_fast, which decode per tile. */
const xt *exec_in_w(xctx *c, const char *name);
const xt *exec_aval_w(xctx *c, const char *name);
/* t's float32 values for this step: t->d, or a stored-form constant
 * decoded (rounded to binary16 in fp16 emulation) into a buffer freed when
 * the step ends; NULL when out of memory */
const float *exec_dense(xctx *c, const xt *t);
/* NN attributes */
const cml_attr *exec_attr(xctx *c, const char *name);
int64_t exec_ai(xctx *c, const char *name, int64_t def);
double exec_af(xctx *c, const char *name, double def);
bool exec_ab(xctx *c, const char *name);                 /* present and true */
const char *exec_as(xctx *c, const char *name);
int exec_aints(xctx *c, const char *name, int64_t *out, size_t max);
/* the value of a VALUE attribute (NN weights), decoded */
const xt *exec_aval(xctx *c, const char *name);
/* output i with the given shape (uninitialised data) */
xt *exec_out(xctx *c, size_t i, int rank, const int64_t *dim);
xt *exec_out_like(xctx *c, size_t i, const xt *like);
/* exec_out with the buffer of the runtime tensor `from` (which keeps its
 * data) when no step after step `until` reads it; NULL when it cannot */
xt *exec_out_over(xctx *c, size_t i, int rank, const int64_t *dim, const xt *from, size_t until);
float *exec_scratch(xctx *c, size_t n);
/* *buf (*have bytes) grown to at least want bytes, its contents not kept
 * (huge pages from 256 KiB); false when out of memory (*buf NULL, *have 0) */
bool exec_grow_bytes(void **buf, size_t *have, size_t want);
/* ... to at least n floats: *buf, or NULL when out of memory */
float *exec_grow(float **buf, size_t *have, size_t n);
#define EXEC_HUGE_PAGE ((size_t)2 << 20)   /* x86-64 / arm64 transparent huge page */
/* bytes (at least; *len, when len is not NULL, says how many) for long-lived data, from 1 MiB on
 * 2 MiB-aligned and asked to live in huge pages; free() releases them */
void *exec_huge_alloc(size_t bytes, size_t *len);
/* n bytes (64-byte aligned) that live as long as the plan, cut from 2 MiB
 * chunks in huge pages: many small buffers touched for the first time cost
 * a page fault per 4 KiB otherwise. NULL for n of 1 MiB or more, or once
 * the plan holds EXEC_BUMP_CHUNKS chunks: the caller allocates then.
 * exec_plan_unbump(p, m, n) takes back the latest such buffer (m, n as
 * returned and asked); anything else is freed with the plan. */
#define EXEC_BUMP_CHUNKS 32
void *exec_plan_bump(exec_plan *p, size_t n);
void exec_plan_unbump(exec_plan *p, void *m, size_t n);
size_t exec_n_outputs(xctx *c);

/* ---- control flow, lists, copies (exec.c) ---- */
/* nested blocks of the current (control-flow) step */
size_t exec_block_count(xctx *c);
size_t exec_block_n_inputs(xctx *c, size_t k);
size_t exec_block_n_outputs(xctx *c, size_t k);
/* set input i of block k to a copy of src (tensor or list) */
int exec_block_set_input(xctx *c, size_t k, size_t i, const xt *src);
/* run block k's steps (with statistics and hooks, as exec_run does); -1 with
 * the error in the plan */
int exec_block_run(xctx *c, size_t k);
/* output i of block k after exec_block_run, or NULL */
const xt *exec_block_output(xctx *c, size_t k, size_t i);
/* output i of the current op: a deep copy of src (tensor or list) */
int exec_set_out(xctx *c, size_t i, const xt *src);
/* deep copies into / frees of a free-standing xt (kernel-held values) */
int exec_xt_dup(xt *dst, const xt *src);
void exec_xt_free(xt *t);
/* lists */
xlist *exec_list_new(exec_dtype dt);
xlist *exec_list_clone(const xlist *l);
void exec_list_free(xlist *l);
/* grow to at least n items; -1 out of memory */
int exec_list_reserve(xlist *l, size_t n);
/* output i of the current op becomes the list l (taken over, also on failure) */
int exec_out_list(xctx *c, size_t i, xlist *l);
/* random_* ops: a generator seeded from the plan's seed, the op and the
 * op's seed parameter (same sequence on every run of a plan) */
uint64_t exec_rng_seed(xctx *c, int64_t op_seed);

/* Hot elementwise loops are built for AVX-512 and AVX2 as well as the
 * baseline and picked at load time (GCC target_clones, an ELF ifunc), so a
 * portable build still streams activations at the width the CPU has. Not
 * under sanitizers, not with other compilers or platforms. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define EXEC_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EXEC_HOT
#endif

/* Run nested block `which` of the current op's step (NN branch / loop
 * bodies): -1 on failure (p->err set), else the EXEC_FLOW_* code a
 * loopBreak / loopContinue inside it raised (EXEC_FLOW_NEXT: ran to the end). */
int exec_run_block(xctx *c, size_t which);
/* NN: the current value of the blob named `name` (NULL if no layer wrote
 * it and no input has the name) */
const xt *exec_blob(xctx *c, const char *name);

/* ---- threads (exec_par.c) ---- */
/* Run fn over [0, n) in at most one contiguous range per thread, each at
 * least grain long (serial when the plan has one thread or n < 2 grain). */
void exec_par_for(exec_plan *p, size_t n, size_t grain, exec_par_fn fn, void *arg);
/* How many ranges exec_par_for(p, n, grain) may use (for per-range scratch). */
int exec_par_ranges(exec_plan *p, size_t n, size_t grain);
int exec_par_threads(const exec_plan *p);        /* opts.threads, 0 = CPUs online */
void exec_par_free(exec_plan *p);
/* C[M, N] = op(A) op(B) (row-major, beta 0), split over N across the
 * plan's threads, each range a single-threaded sgemm */
void exec_gemm(exec_plan *p, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
               const float *B, int64_t ldb, float *C, int64_t ldc);

/* ---- shared helpers ---- */
/* The most elements a tensor may have (4 TiB of floats). A shape is the
 * model's, or the caller's: its product may wrap size_t (a declared input
 * [3, 6148914691236517206] "held" 2 values and the kernels read past
 * them), so exec_count returns EXEC_MAX_ELEMS + 1 for any larger product,
 * a count no tensor has: every place that makes a tensor from a declared
 * shape refuses it, and a wrapped product can no longer match a real count.
 * An empty shape's other dims count too ([0, 2^41] is refused, not 0). */
#define EXEC_MAX_ELEMS ((size_t)1 << 40)
size_t exec_count(int rank, const int64_t *dim);
/* a divisor that is never 0 */
static inline size_t exec_nz(int64_t v) { return v > 0 ? (size_t)v : 1; }

/* A tensor value used as an index, a count or an id: truncated toward
 * zero; NaN and magnitudes of 2^62 or more become -2^62 or 2^62, outside
 * every range a dim can have (converting them as they are is undefined
 * behaviour: fuzz_probe, a gather index of Inf) */
static inline int64_t exec_f2i(double v) {
    if (!(v > -0x1p62 && v < 0x1p62)) return v > 0 ? (int64_t)1 << 62 : -((int64_t)1 << 62);
    return (int64_t)v;
}

/* Label t's position among its n_classes classes (the xt convention
 * above: d[0], or the one kernel-named entry when d[0] is -1); SIZE_MAX
 * when it names none. */
static inline size_t exec_label_at(const xt *t, size_t n_classes) {
    int64_t li = t->d && t->n ? exec_f2i(t->d[0]) : -2;
    if (li == -1 && n_classes == 1 && t->aux) return 0;
    return li >= 0 && (uint64_t)li < n_classes ? (size_t)li : SIZE_MAX;
}

/* Kernel sizes, strides, dilations and padding amounts past this describe
 * no tensor that fits in memory, and sums and products of such values wrap
 * int64 (the NN and MIL conv and pool kernels refuse them) */
#define EXEC_GEOM_MAX ((int64_t)1 << 31)

/* ... as an int (an axis, a rank): beyond +-2^30, +-2^30, out of every
 * axis's range as well */
static inline int exec_f2int(double v) {
    int64_t i = exec_f2i(v);
    return i > (1 << 30) ? 1 << 30 : i < -(1 << 30) ? -(1 << 30) : (int)i;
}

/* ... as an index along a dim of size n: negative counts from the end; -1
 * when out of range */
static inline int64_t exec_wrap_index(double v, int64_t n) {
    int64_t i = exec_f2i(v);
    if (i < 0) i += n;
    return i >= 0 && i < n ? i : -1;
}
int exec_axis(int axis, int rank);                       /* normalise, -1 if out of range */
float exec_half_to_float(uint16_t h);
/* Every binary16 value as a float, indexed by its bits; filled once,
 * safely from any thread. */
const float *exec_half_table(void);
static inline float exec_r16(float f);
/* exec_r16 over a buffer, in place (exec_const.c; vectorised) */
void exec_r16_buf(float *d, size_t n);

/* ---- kernel tables ---- */
const exec_kdef *exec_find_mil(const char *kind);
const exec_kdef *exec_find_nn(const char *kind);
const exec_kdef *exec_find_classic(const char *kind);
/* a partial plan's stand-in for a refused pipeline stage: its outputs
 * generated from their declared types (classic.c) */
int exec_classic_substitute(struct xctx *c);
/* classic functions: the sub-model a pipeline stage op stands for, or NULL */
const cml_model *exec_stage_model(const cml_model *m, const cml_op *op);
bool exec_is_neural_type(const char *type);     /* mlProgram, neuralNetwork* */
bool exec_is_constexpr_supported(const char *kind);

/* ---- constants (exec_const.c) ---- */
/* Constants of at least this many float32 bytes stay in their stored form
 * (unless decode_all); smaller ones are decoded at prepare time. */
#define EXEC_LZ_MIN_BYTES (64 * 1024)
/* elements [i0, i1) of a stored-form constant into out, as float32; r16:
 * rounded to binary16 (fp16 emulation; a constant typed fp16 always is) */
void exec_lz_decode(const xlz *z, size_t i0, size_t i1, float *out, bool r16);
/* every value of z is a binary16 value, rounded or not (raw fp16, or typed fp16) */
bool exec_lz_exact16(const xlz *z);
/* the stored bytes of a plain fp16 / fp32 constant (little-endian, any
 * alignment) with *st their type, or NULL for every other form */
const void *exec_lz_raw(const xlz *z, cml_dtype *st);
/* bytes of heap the node holds (stored bytes it had to copy, side tables) */
size_t exec_lz_heap_bytes(const xlz *z);
void exec_lz_free(xlz *z);
/* a constant read in full every run (linear): its stored bytes, if they are
 * the host's mapping, copied into plan memory (huge pages) and the host's
 * pages dropped; no-op otherwise */
void exec_lz_adopt(exec_plan *p, const xlz *z);
/* the host's pages under z's stored bytes leave the resident set (after
 * the convolution GEMM packed them) */
void exec_lz_drop_source(const xlz *z);
/* A raw fp16 / fp32 constant whose stored bytes are the host's mapping of
 * a weight.bin blob: the bytes per element (2 or 4), else 0. Such a
 * constant is better read with exec_lz_read (the host's reader: pread, the
 * kernel's copy out of the page cache, for reads of 64 KiB and more) than
 * through the mapping, whose every 4 KiB page costs a fault or a first
 * touch (bench/README.md, set 9). */
size_t exec_lz_readable(const exec_plan *p, const xlz *z);
/* elements [e0, e0 + n) of such a constant's stored bytes into buf through
 * the host's reader (one thread at a time); false when it came short */
bool exec_lz_read(const exec_plan *p, const xlz *z, size_t e0, size_t n, void *buf);
/* n elements of such a constant decoded from its stored bytes (read by
 * exec_lz_read) into out, as exec_lz_decode would over the same range */
void exec_lz_decode_stored(const xlz *z, const void *bytes, size_t n, float *out, bool r16);
/* a stored-form constant for weight w (value v gives the shape), or NULL
 * when w is small, not a float constant, or the plan decodes everything */
xlz *exec_lz_weight(exec_plan *p, const cml_weight *w, const cml_value *v);
/* decode a weight into a new float array; *strs for string constants */
int exec_decode_weight(const exec_io *io, const cml_weight *w, const cml_value *v, xt *out, char *err,
                       size_t errlen);
/* element i of a stored constant as a double (host reads); 0 or -1 */
int exec_weight_f64(const exec_io *io, const cml_weight *w, uint64_t i, double *out);
/* evaluate a constexpr op into its output slots */
int exec_eval_constexpr(exec_plan *p, const cml_op *op, char *err, size_t errlen);
/* NN WeightParams with quantization: dequantise using the layer's params */
int exec_nn_dequant(exec_plan *p, const cml_op *op, const cml_attr *at, xt *t, char *err, size_t errlen);
/* a string parameter straight from the IR (prepare-time checks) */
const char *exec_ir_str(const exec_io *io, const cml_op *op, const char *name);
int exec_slot_for(exec_plan *p, const cml_value *v, char *err, size_t errlen);
/* a new constant slot for v taking ownership of t (t->owned) */
int exec_new_const(exec_plan *p, const cml_value *v, xt *t);
/* the slot of a value if the plan has one (decodes nothing), else -1 */
int exec_slot_find(exec_plan *p, const cml_value *v);
/* a stored-form constant's element count and shape */
size_t exec_lz_count(const xlz *z, int *rank, int64_t *dim);

/* ---- shared math (exec_ops.c) ---- */
int exec_conv2d(xctx *c, const xt *x, const float *w, const float *bias, int64_t cout, int64_t groups,
                int64_t kh, int64_t kw, const int64_t stride[2], const int64_t dil[2],
                const int64_t pad[4], xt *y);
/* the same with the weight as a tensor, which may be a stored-form constant
 * (the GEMM packs it; the BLAS path decodes it for the step) */
int exec_conv2d_w(xctx *c, const xt *x, const xt *w, const float *bias, int64_t cout, int64_t groups,
                int64_t kh, int64_t kw, const int64_t stride[2], const int64_t dil[2],
                const int64_t pad[4], xt *y);
/* the same with the executor's own GEMM and a fused epilogue (exec_conv.c; fuse: the
 * plan's conv -> add -> relu fusion may apply): 1 when it does not apply here (the
 * caller runs exec_conv2d's BLAS path), 0 done, -1 failed */
int exec_conv2d_fast(xctx *c, const xt *x, const xt *w, const float *bias, int64_t cout, int64_t groups,
                     int64_t kh, int64_t kw, const int64_t stride[2], const int64_t dil[2], const int64_t pad[4],
                     xt *y, bool fuse);
void exec_conv_free(xstep *st);                          /* a step's exec_conv.c state */
int exec_deconv2d(xctx *c, const xt *x, const float *w, const float *bias, int64_t cout,
                  int64_t groups, int64_t kh, int64_t kw, const int64_t stride[2],
                  const int64_t dil[2], const int64_t pad[4], xt *y);
void exec_pool2d(exec_plan *p, const xt *x, xt *y, int type, int64_t kh, int64_t kw, const int64_t stride[2],
                 const int64_t pad[4], bool exclude_pad);
/* reduce over the axes set in `mask` (bit per dim); y has x's rank with 1s there */
enum { RED_SUM, RED_MEAN, RED_MAX, RED_MIN, RED_PROD, RED_L1, RED_L2, RED_LOGSUM, RED_LOGSUMEXP,
       RED_SUMSQ, RED_ARGMAX, RED_ARGMIN };
void exec_reduce(int op, const xt *x, unsigned mask, float *y);
void exec_permute(const xt *x, const int *perm, xt *y);
/* y[m, n] = x[m, k] w[n, k]^T + bias */
int exec_linear(xctx *c, const float *x, size_t m, int64_t k, const float *w, const float *bias, int64_t n, float *y);
/* the same with the weight as a tensor, which may be a stored-form constant
 * (exec_in_w: decoded per block of rows, never held decoded) */
int exec_linear_w(xctx *c, const float *x, size_t m, int64_t k, const xt *w, const float *bias, int64_t n, float *y);
int exec_state_slot(xctx *c, const char *arg);
int exec_broadcast_shape(const xt *a, const xt *b, int *rank, int64_t *dim);
/* step the row-major index idx[0 .. r) within dim to the next element
 * (after the last one it wraps to all zeros) */
static inline void exec_idx_next(int64_t *idx, int r, const int64_t *dim) {
    for (int d = r - 1; d >= 0; d--) {
        if (++idx[d] < dim[d]) break;
        idx[d] = 0;
    }
}
/* y = x with element [.., m, n] kept where dlo <= n - m <= dhi, else 0
 * (x's rank >= 2): MIL band_part and the NN matrixBandPart (through
 * exec_band), lowerTriangular and upperTriangular layers */
void exec_diagonals(const xt *x, int64_t dlo, int64_t dhi, float *y);
/* the diagonals of a band with lo below and hi above the main one (< 0:
 * all of them) */
static inline void exec_band_bounds(int64_t lo, int64_t hi, int64_t *dlo, int64_t *dhi) {
    *dlo = lo < 0 ? INT64_MIN : -lo;
    *dhi = hi < 0 ? INT64_MAX : hi;
}
/* exec_diagonals of such a band: kept where (lo < 0 || m - n <= lo) &&
 * (hi < 0 || n - m <= hi) */
void exec_band(const xt *x, int64_t lo, int64_t hi, float *y);
void exec_binary(int op, const xt *a, const xt *b, xt *y);
/* exec_binary split across the plan's threads (large outputs) */
void exec_binary_par(exec_plan *p, int op, const xt *a, const xt *b, xt *y);
void exec_softmax_axis(const float *x, float *y, int rank, const int64_t *dim, int axis);
void exec_copy(xt *dst, const xt *src);

enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_MAX, BIN_MIN, BIN_POW, BIN_FLOORDIV, BIN_MOD,
       BIN_EQ, BIN_NE, BIN_GT, BIN_GE, BIN_LT, BIN_LE, BIN_AND, BIN_OR, BIN_XOR };
enum { POOL_MAX, POOL_AVG, POOL_L2 };

/* IEEE binary16 round trip, round to nearest even. SOURCE: IEEE 754-2008
 * binary16 (1 sign, 5 exponent bits, bias 15, 10 fraction bits): largest
 * finite 65504; values at or above 65520 (the midpoint to 2^16) round to
 * infinity; below 2^-14 the spacing is 2^-24 (subnormals). */
static inline float exec_r16(float f) {
    union { float f; uint32_t u; } v = {f};
    uint32_t sign = v.u & 0x80000000u, ax = v.u & 0x7fffffffu;
    if (ax >= 0x7f800000u) return f;               /* inf, nan */
    if (ax >= 0x477ff000u) { v.u = sign | 0x7f800000u; return v.f; }
    if (ax < 0x38800000u) {                        /* < 2^-14: subnormal spacing 2^-24 */
        union { float f; uint32_t u; } a = {.u = ax};
        float r = (a.f + 0.5f) - 0.5f;             /* 0.5 has ulp 2^-24: RNE to that grid */
        union { float f; uint32_t u; } o = {r};
        o.u |= sign;
        return o.f;
    }
    ax += 0xfffu + ((ax >> 13) & 1u);
    ax &= ~0x1fffu;
    v.u = sign | ax;
    return v.f;
}

#endif

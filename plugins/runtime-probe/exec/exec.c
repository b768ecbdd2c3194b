/* SPDX-License-Identifier: Apache-2.0 */
/* exec.c — plan building and the run loop of the reference executor.
 *
 * exec_prepare picks the function, checks every op against the kernel
 * tables (ML Program ops and NeuralNetwork layers are separate vocabularies),
 * maps each IR value it touches to a slot, decodes the constants that are
 * used and evaluates constexpr ops in program order (exec_const.c), then
 * records for each runtime op the slots it reads and writes and which
 * runtime slots die after it. exec_run copies the inputs in (fp16 inputs
 * rounded, NeuralNetwork image preprocessing applied), runs the steps, and
 * after each one scans its float outputs once: max |x|, NaN/Inf counts and,
 * in fp16 emulation, the overflow count and the binary16 rounding. States
 * are persistent slots owned by the plan. The parameter accessors kernels
 * use live here too; exec_make_inputs builds deterministic inputs. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1 /* madvise */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "coreml-lint/hash.h"
#include "exec_blas.h"
#include "exec_internal.h"

/* exec_plan_bump's chunks are poisoned where nothing was handed out, so a
 * sanitizer build still sees a packing overrun into its neighbour: with
 * AddressSanitizer's own functions when it is linked in (weak references,
 * null otherwise) */
#if defined(__ELF__) && defined(__GNUC__)   /* an undefined weak reference resolves to null */
void __asan_poison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));
void __asan_unpoison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));
static void bump_mark(void *m, size_t n, bool usable) {
    if (usable && __asan_unpoison_memory_region) __asan_unpoison_memory_region(m, n);
    else if (!usable && __asan_poison_memory_region) __asan_poison_memory_region(m, n);
}
#else   /* Mach-O links refuse an undefined weak reference: no poisoning there */
static void bump_mark(void *m, size_t n, bool usable) {
    (void)m;
    (void)n;
    (void)usable;
}
#endif

/* ---- small utilities ------------------------------------------------------ */

size_t exec_count(int rank, const int64_t *dim) {
    /* the other dims of an empty shape count against the limit too: an
     * empty [1, 0, 2^32, 2^32] holds nothing, but kernels multiply its
     * dims (H * W of a resize, the volume of a 3-D conv) and overflowed */
    size_t n = 1;
    bool empty = false;
    for (int i = 0; i < rank; i++) {
        if (dim[i] <= 0) {
            empty = true;
            continue;
        }
        if (__builtin_mul_overflow(n, (size_t)dim[i], &n) || n > EXEC_MAX_ELEMS) return EXEC_MAX_ELEMS + 1;
    }
    return empty ? 0 : n;
}

size_t exec_tensor_count(const exec_tensor *t) { return t ? exec_count(t->rank, t->shape) : 0; }

int exec_axis(int axis, int rank) {
    if (axis < 0) axis += rank;
    return (axis < 0 || axis >= rank) ? -1 : axis;
}

float exec_round_fp16(float f) { return exec_r16(f); }

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void exec_seterr(char *err, size_t n, const char *fmt, ...) {
    if (!err || !n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static void to_tensor(exec_tensor *o, const char *name, const xt *t);
static void lz_view(xt *t, const xlz *z, exec_dtype decl);
static void release_slot(exec_plan *p, xslot *sl);

/* ---- key -> slot maps (xmap) ------------------------------------------------ */

static size_t ptr_hash(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x;
}

/* value names are the model's: keyed (coreml-lint/hash.h) */
static size_t str_hash(const char *k) { return (size_t)cml_hash_str(k); }

static size_t key_hash(const xmap *m, const void *k) { return m->str ? str_hash(k) : ptr_hash(k); }
static bool key_eq(const xmap *m, const void *a, const void *b) { return m->str ? !strcmp(a, b) : a == b; }

static int xmap_get(const xmap *m, const void *k) {
    if (!m->cap || !k) return -1;
    size_t i = key_hash(m, k) & (m->cap - 1);
    while (m->keys[i]) {
        if (key_eq(m, m->keys[i], k)) return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

static int xmap_put(xmap *m, const void *k, int v) {
    if (!k) return -1;
    if ((m->n + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 256;
        const void **nk = calloc(nc, sizeof *nk);
        int *nv = calloc(nc, sizeof *nv);
        if (!nk || !nv) { free(nk); free(nv); return -1; }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            size_t j = key_hash(m, m->keys[i]) & (nc - 1);
            while (nk[j]) j = (j + 1) & (nc - 1);
            nk[j] = m->keys[i];
            nv[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = nk;
        m->vals = nv;
        m->cap = nc;
    }
    size_t i = key_hash(m, k) & (m->cap - 1);
    while (m->keys[i] && !key_eq(m, m->keys[i], k)) i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) m->n++;
    m->keys[i] = k;
    m->vals[i] = v;
    return 0;
}

/* ---- slots -------------------------------------------------------------------- */

static exec_dtype decl_dtype(const cml_value *v) {
    if (!v) return EXEC_DT_FP32;
    switch (v->type.dtype) {
    case CML_DT_FP16: return EXEC_DT_FP16;
    case CML_DT_BOOL: return EXEC_DT_BOOL;
    case CML_DT_STRING: return EXEC_DT_STRING;
    case CML_DT_INT8: case CML_DT_INT16: case CML_DT_INT32: case CML_DT_INT64:
    case CML_DT_UINT8: case CML_DT_UINT16: case CML_DT_UINT32: case CML_DT_UINT64:
    case CML_DT_INT4: case CML_DT_UINT1: case CML_DT_UINT2: case CML_DT_UINT3:
    case CML_DT_UINT4: case CML_DT_UINT6:
        return EXEC_DT_INT32;
    default: return EXEC_DT_FP32;
    }
}

/* Slots never move: exec_prepare reserves an upper bound up front, since
 * constexpr evaluation holds pointers to slots while it adds new ones. */
static int new_slot(exec_plan *p, const cml_value *v, int kind) {
    if (p->n_slots == p->cap_slots) return -1;
    int s = (int)p->n_slots++;
    memset(&p->slots[s], 0, sizeof p->slots[s]);
    p->slots[s].v = v;
    p->slots[s].kind = kind;
    p->slots[s].last_use = -1;
    p->slots[s].decl = decl_dtype(v);
    if (v && xmap_put(&p->vmap, v, s) != 0) return -1;
    return s;
}

static bool dt_is_float(exec_dtype d) { return d == EXEC_DT_FP32 || d == EXEC_DT_FP16; }

/* The op (nested blocks included) whose VALUE attribute is v. */
static const cml_op *attr_owner(const cml_block *b, const cml_value *v, const cml_attr **at, int depth) {
    for (size_t i = 0; b && i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        for (size_t j = 0; j < op->n_attrs; j++)
            if (op->attrs[j]->value == v) {
                *at = op->attrs[j];
                return op;
            }
        for (size_t j = 0; depth < 64 && j < op->n_blocks; j++) {
            const cml_op *o = attr_owner(op->blocks[j], v, at, depth + 1);
            if (o) return o;
        }
    }
    return NULL;
}

/* The slot of a value, decoding constants on first use. */
int exec_slot_for(exec_plan *p, const cml_value *v, char *err, size_t errlen) {
    int s = xmap_get(&p->vmap, v);
    if (s >= 0) return s;
    if (v->weight) {
        /* one decode per weight even when several values share it */
        int ws = xmap_get(&p->vmap, v->weight);
        if (ws >= 0) {
            s = new_slot(p, v, SLOT_CONST);
            if (s < 0) return -1;
            p->slots[s].t = p->slots[ws].t;
            p->slots[s].t.owned = false;
            p->slots[s].t.aux = NULL; /* the first slot frees it */
            p->slots[s].t.wide = NULL;
            p->slots[s].decl = p->slots[ws].decl;
            return s;
        }
        s = new_slot(p, v, SLOT_CONST);
        if (s < 0) { exec_seterr(err, errlen, "out of memory"); return -1; }
        xlz *z = exec_lz_weight(p, v->weight, v);
        if (z) {
            /* a large constant: kept in its stored form (exec_const.c) */
            xslot *sl = &p->slots[s];
            if (sl->decl == EXEC_DT_STRING) sl->decl = EXEC_DT_FP32;
            if (v->weight->dtype == CML_DT_FP16 && !p->is_nn) sl->decl = EXEC_DT_FP16;
            lz_view(&sl->t, z, sl->decl);
            sl->lz_owned = true;
            sl->t16_done = true;
            p->const_bytes += exec_lz_heap_bytes(z);
            xmap_put(&p->vmap, v->weight, s);
            return s;
        }
        xt t;
        if (exec_decode_weight(&p->opts.io, v->weight, v, &t, err, errlen) != 0) return -1;
        /* NN WeightParams quantization needs the layer's parameters */
        if (v->weight->quant_bits && (v->weight->quant_linear || v->weight->quant_lut)) {
            const cml_attr *at = NULL;
            const cml_op *owner = attr_owner(p->fn->block, v, &at, 0);
            if (!owner) { free(t.d); exec_seterr(err, errlen, "quantized weight '%s' without a layer", v->name); return -1; }
            if (exec_nn_dequant(p, owner, at, &t, err, errlen) != 0) { free(t.d); return -1; }
        }
        p->slots[s].t = t;
        if (t.dt == EXEC_DT_STRING) p->slots[s].decl = EXEC_DT_STRING;
        else if (p->slots[s].decl == EXEC_DT_STRING) p->slots[s].decl = t.dt;
        if (v->weight->dtype == CML_DT_FP16 && !p->is_nn) p->slots[s].decl = EXEC_DT_FP16;
        p->slots[s].t.dt = p->slots[s].decl == EXEC_DT_STRING ? EXEC_DT_STRING : p->slots[s].decl;
        p->const_bytes += t.n * sizeof(float);
        xmap_put(&p->vmap, v->weight, s);
        return s;
    }
    /* a NeuralNetwork blob: one slot per name (a loop's condition reads
     * what its body writes, a layer after a branch what either branch wrote) */
    if (p->nn_graph && v->name && (s = xmap_get(&p->names, v->name)) >= 0) {
        if (xmap_put(&p->vmap, v, s) != 0) { exec_seterr(err, errlen, "out of memory"); return -1; }
        return s;
    }
    exec_seterr(err, errlen, "value '%s' is used before it is defined (op '%s')", v->name,
           v->producer ? v->producer->name : "?");
    return -1;
}

/* The slot of NN blob v by name, made when the name is new. */
static int nn_named_slot(exec_plan *p, const cml_value *v) {
    int s = xmap_get(&p->vmap, v);
    if (s >= 0) return s;
    s = xmap_get(&p->names, v->name);
    if (s >= 0) return xmap_put(&p->vmap, v, s) == 0 ? s : -1;
    s = new_slot(p, v, SLOT_RUNTIME);
    if (s < 0 || xmap_put(&p->names, v->name, s) != 0) return -1;
    /* one namespace: a blob belongs to the function's block */
    p->slots[s].blk = p->fn ? p->fn->block : NULL;
    return s;
}

int exec_new_const(exec_plan *p, const cml_value *v, xt *t) {
    int s = new_slot(p, v, SLOT_CONST);
    if (s < 0) return -1;
    p->slots[s].t = *t;
    p->slots[s].t.dt = p->slots[s].decl == EXEC_DT_STRING ? t->dt : p->slots[s].decl;
    if (t->lz) {
        /* a stored-form constexpr output (exec_const.c), owned by the slot */
        p->slots[s].lz_owned = true;
        p->slots[s].t16_done = true;
        p->const_bytes += exec_lz_heap_bytes(t->lz);
    } else {
        p->const_bytes += t->n * sizeof(float);
    }
    return s;
}

int exec_slot_find(exec_plan *p, const cml_value *v) { return xmap_get(&p->vmap, v); }

/* ---- accessors -------------------------------------------------------------------- */

int exec_fail(xctx *c, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->p->err, sizeof c->p->err, "op '%s' (%s): %s", c->op->name, c->op->kind, msg);
    return -1;
}

int exec_loop_tick(xctx *c, const char *why) {
    exec_plan *p = c->p;
    if (p->loop_iters < p->loop_limit) {
        p->loop_iters++;
        return 0;
    }
    /* one budget for the whole run: loops nested k deep, each under a
     * per-loop cap, would otherwise multiply to cap^k iterations */
    return exec_fail(c, "stopped after %llu loop iterations in this prediction (the executor's limit for all "
                        "loops together, nested ones included; %s)",
                     (unsigned long long)p->loop_iters, why);
}

/* a stored-form constant decoded for the current step (freed when it ends;
 * one decode per constant and rounding per step) */
static const xt *lz_step(xctx *c, const xt *t) {
    exec_plan *p = c->p;
    bool r16 = c->mode == EXEC_FP16_EMU && dt_is_float(t->dt) && !p->is_classic;
    for (xtmp *q = p->tmp; q; q = q->next)
        if (q->lz == t->lz && q->r16 == r16) return &q->t;
    xtmp *q = malloc(sizeof *q);
    float *d = q ? malloc((t->n ? t->n : 1) * sizeof(float)) : NULL;
    if (!d) { free(q); return NULL; }
    exec_lz_decode(t->lz, 0, t->n, d, r16);
    q->lz = t->lz;
    q->r16 = r16;
    q->t = *t;
    q->t.d = d;
    q->t.lz = NULL;
    q->t.owned = false;
    q->next = p->tmp;
    p->tmp = q;
    return &q->t;
}

/* those decoded since mark (a nested block's steps free theirs, not the
 * enclosing control-flow step's) */
static void lz_step_free_to(exec_plan *p, xtmp *mark) {
    while (p->tmp && p->tmp != mark) {
        xtmp *q = p->tmp;
        p->tmp = q->next;
        free(q->t.d);
        free(q);
    }
}

static void lz_step_free(exec_plan *p) {
    while (p->tmp) {
        xtmp *q = p->tmp;
        p->tmp = q->next;
        free(q->t.d);
        free(q);
    }
}

/* the tensor view of a stored-form constant */
static void lz_view(xt *t, const xlz *z, exec_dtype decl) {
    memset(t, 0, sizeof *t);
    t->lz = z;
    t->n = exec_lz_count(z, &t->rank, t->dim);
    t->dt = decl == EXEC_DT_STRING ? EXEC_DT_FP32 : decl;
}

static const xt *slot_raw(xctx *c, int s) {
    xslot *sl = &c->p->slots[s];
    if (c->mode == EXEC_FP16_EMU && sl->kind == SLOT_CONST && sl->t16.d) return &sl->t16;
    return &sl->t;
}

static const xt *slot_view(xctx *c, int s) {
    const xt *t = slot_raw(c, s);
    if (!t->d && t->lz) {
        const xt *d = lz_step(c, t);
        if (!d) exec_fail(c, "out of memory decoding a constant");
        return d;
    }
    return t;
}

const float *exec_dense(xctx *c, const xt *t) {
    if (!t || t->d || !t->lz) return t ? t->d : NULL;
    const xt *d = lz_step(c, t);
    return d ? d->d : NULL;
}

static int arg_index(const cml_op *op, const char *name) {
    for (size_t i = 0; i < op->n_inputs; i++)
        if (!strcmp(op->inputs[i]->name, name)) return (int)i;
    return -1;
}

const xt *exec_in_at(xctx *c, const char *name, size_t k) {
    int i = arg_index(c->op, name);
    if (i >= 0) {
        if (k < c->op->inputs[i]->n_values) return slot_view(c, c->st->in_slots[i][k]);
        return NULL;
    }
    if (k) return NULL;
    return exec_aval(c, name);
}

const xt *exec_in(xctx *c, const char *name) { return exec_in_at(c, name, 0); }

const xt *exec_in_w(xctx *c, const char *name) {
    int i = arg_index(c->op, name);
    if (i >= 0) return c->op->inputs[i]->n_values ? slot_raw(c, c->st->in_slots[i][0]) : NULL;
    return exec_aval_w(c, name);
}

const xt *exec_aval_w(xctx *c, const char *name) {
    for (size_t j = 0; j < c->op->n_attrs; j++)
        if (!strcmp(c->op->attrs[j]->name, name))
            return c->st->attr_slots[j] >= 0 ? slot_raw(c, c->st->attr_slots[j]) : NULL;
    return NULL;
}

size_t exec_in_count(xctx *c, const char *name) {
    int i = arg_index(c->op, name);
    return i >= 0 ? c->op->inputs[i]->n_values : (exec_in(c, name) ? 1 : 0);
}

/* The picked class of label t as a one-element value (a string, or an int64
 * as a number), kept in the slot that holds t; t itself when it names no
 * class. */
static const xt *label_value(xslot *sl, const xt *t) {
    size_t at = exec_label_at(t, t->nstr);
    if (at == SIZE_MAX || (!t->strs && !t->ikeys)) return t;
    xt *v = &sl->label_view;
    memset(v, 0, sizeof *v);
    v->rank = 1;
    v->dim[0] = 1;
    v->n = 1;
    v->d = &sl->label_num;
    if (t->strs) {
        sl->label_num = 0;
        v->dt = EXEC_DT_STRING;
        v->strs = t->strs + at;
        v->nstr = 1;
    } else {
        sl->label_num = (float)t->ikeys[at];
        v->dt = EXEC_DT_INT32;
    }
    return v;
}

const xt *exec_nn_in(xctx *c, size_t i) {
    const xt *t = exec_in_at(c, "input", i);
    int a = t && t->dt == EXEC_DT_LABEL ? arg_index(c->op, "input") : -1;
    return a >= 0 ? label_value(&c->p->slots[c->st->in_slots[a][i]], t) : t;
}
size_t exec_nn_n_in(xctx *c) { return exec_in_count(c, "input"); }

const cml_attr *exec_attr(xctx *c, const char *name) { return cml_op_attr(c->op, name); }

const xt *exec_aval(xctx *c, const char *name) {
    for (size_t j = 0; j < c->op->n_attrs; j++)
        if (!strcmp(c->op->attrs[j]->name, name))
            return c->st->attr_slots[j] >= 0 ? slot_view(c, c->st->attr_slots[j]) : NULL;
    return NULL;
}

double exec_pf(xctx *c, const char *name, double def) {
    const xt *t = exec_in(c, name);
    if (t && t->d && t->n >= 1) return t->d[0];
    const cml_attr *a = exec_attr(c, name);
    if (a && a->kind == CML_ATTR_FLOAT) return a->f;
    if (a && a->kind == CML_ATTR_INT) return (double)a->i;
    if (a && a->kind == CML_ATTR_BOOL) return a->b;
    return def;
}

int64_t exec_pi(xctx *c, const char *name, int64_t def) {
    const xt *t = exec_in(c, name);
    if (t && t->d && t->n >= 1) return exec_f2i(t->d[0]);
    const cml_attr *a = exec_attr(c, name);
    if (a && a->kind == CML_ATTR_INT) return a->i;
    if (a && a->kind == CML_ATTR_BOOL) return a->b;
    if (a && a->kind == CML_ATTR_FLOAT) return exec_f2i(a->f);
    return def;
}

bool exec_pb(xctx *c, const char *name, bool def) {
    const xt *t = exec_in(c, name);
    if (t && t->d && t->n >= 1) return t->d[0] != 0;
    const cml_attr *a = exec_attr(c, name);
    if (a && a->kind == CML_ATTR_BOOL) return a->b;
    if (a && a->kind == CML_ATTR_INT) return a->i != 0;
    return def;
}

const char *exec_ps(xctx *c, const char *name) {
    const xt *t = exec_in(c, name);
    if (t && t->dt == EXEC_DT_STRING && t->strs && t->nstr) return t->strs[0];
    const cml_attr *a = exec_attr(c, name);
    if (a && a->kind == CML_ATTR_STRING) return a->s;
    return NULL;
}

int exec_pints(xctx *c, const char *name, int64_t *out, size_t max) {
    const xt *t = exec_in(c, name);
    if (t && t->d) {
        size_t n = t->n < max ? t->n : max;
        for (size_t i = 0; i < n; i++) out[i] = exec_f2i(t->d[i]);
        return (int)n;
    }
    return exec_aints(c, name, out, max);
}

int64_t exec_ai(xctx *c, const char *name, int64_t def) {
    const cml_attr *a = exec_attr(c, name);
    if (!a) return def;
    if (a->kind == CML_ATTR_INT) return a->i;
    if (a->kind == CML_ATTR_BOOL) return a->b;
    if (a->kind == CML_ATTR_FLOAT) return exec_f2i(a->f);
    if (a->kind == CML_ATTR_STRING) return a->i;
    return def;
}

double exec_af(xctx *c, const char *name, double def) {
    const cml_attr *a = exec_attr(c, name);
    if (!a) return def;
    if (a->kind == CML_ATTR_FLOAT) return a->f;
    if (a->kind == CML_ATTR_INT) return (double)a->i;
    return def;
}

bool exec_ab(xctx *c, const char *name) {
    const cml_attr *a = exec_attr(c, name);
    return a && ((a->kind == CML_ATTR_BOOL && a->b) || (a->kind == CML_ATTR_INT && a->i));
}

const char *exec_as(xctx *c, const char *name) {
    const cml_attr *a = exec_attr(c, name);
    return a && a->kind == CML_ATTR_STRING ? a->s : NULL;
}

int exec_aints(xctx *c, const char *name, int64_t *out, size_t max) {
    const cml_attr *a = exec_attr(c, name);
    if (!a) return -1;
    if (a->kind == CML_ATTR_INTS) {
        size_t n = a->n < max ? a->n : max;
        for (size_t i = 0; i < n; i++) out[i] = a->ints[i];
        return (int)n;
    }
    if (a->kind == CML_ATTR_INT && max) { out[0] = a->i; return 1; }
    return -1;
}

size_t exec_n_outputs(xctx *c) { return c->op->n_outputs; }

/* An activation buffer. One of 1 MiB or more is 2 MiB-aligned and asked to
 * live in transparent huge pages (this kernel gives them on request only:
 * "madvise" mode): a convolution writes 12 or more output rows a plane
 * apart at once and reads its input the same way, and with 4 KiB pages
 * every one of those rows is a TLB miss. resnet50, paired processes: the
 * fastest of 20 runs 0.90x, the median 0.96x (bench/README.md). The length
 * rounds up to whole huge pages and *cap says how many floats that holds. */
static float *big_alloc(size_t n, size_t *cap) {
    size_t len;
    float *m = exec_huge_alloc(n * sizeof(float), &len);
    *cap = m ? len / sizeof(float) : 0;
    return m;
}

void *exec_huge_alloc(size_t bytes, size_t *len) {
    const size_t huge = EXEC_HUGE_PAGE;
    size_t n = bytes;
    void *m = NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= huge / 2) {
        n = (bytes + huge - 1) / huge * huge;
        m = aligned_alloc(huge, n);
        if (m) madvise(m, n, MADV_HUGEPAGE);
    } else
#endif
        m = malloc(bytes ? bytes : 1);
    if (len) *len = n;
    return m;
}

#define BUMP_CHUNK EXEC_HUGE_PAGE

void *exec_plan_bump(exec_plan *p, size_t want) {
    size_t n = (want + 63) & ~(size_t)63;
    if (n == 0 || n >= BUMP_CHUNK / 2) return NULL;
    if ((size_t)(p->pk_end - p->pk_cur) < n) {
        if (p->n_pk_chunks == EXEC_BUMP_CHUNKS) return NULL;
        if (!p->pk_chunk && !(p->pk_chunk = calloc(EXEC_BUMP_CHUNKS, sizeof *p->pk_chunk))) return NULL;
        unsigned char *c = exec_huge_alloc(BUMP_CHUNK, NULL);
        if (!c) return NULL;
        bump_mark(c, BUMP_CHUNK, false);
        p->pk_chunk[p->n_pk_chunks++] = c;
        p->pk_cur = c;
        p->pk_end = c + BUMP_CHUNK;
    }
    void *m = p->pk_cur;
    p->pk_cur += n;
    bump_mark(m, want, true);
    return m;
}

void exec_plan_unbump(exec_plan *p, void *m, size_t want) {
    size_t n = (want + 63) & ~(size_t)63;
    if (m && (unsigned char *)m + n == p->pk_cur) {
        p->pk_cur = m;
        bump_mark(m, n, false);
    }
}

/* a buffer of at least n floats: a recycled one that is not much larger, or new */
static float *pool_get(exec_plan *p, size_t n, size_t *cap) {
    if (!n) n = 1;
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < p->pool.n; i++)
        if (p->pool.cap[i] >= n && p->pool.cap[i] <= 2 * n + 1024 &&
            (best == SIZE_MAX || p->pool.cap[i] < p->pool.cap[best]))
            best = i;
    if (best != SIZE_MAX) {
        float *d = p->pool.d[best];
        *cap = p->pool.cap[best];
        p->pool.n--;
        p->pool.d[best] = p->pool.d[p->pool.n];
        p->pool.cap[best] = p->pool.cap[p->pool.n];
        return d;
    }
    return big_alloc(n, cap);
}

static void pool_put(exec_plan *p, float *d, size_t cap) {
    if (!d) return;
    if (p->pool.n == XPOOL_MAX) {
        /* full: drop the smallest */
        size_t lo = 0;
        for (size_t i = 1; i < p->pool.n; i++)
            if (p->pool.cap[i] < p->pool.cap[lo]) lo = i;
        if (p->pool.cap[lo] >= cap) { free(d); return; }
        free(p->pool.d[lo]);
        p->pool.d[lo] = d;
        p->pool.cap[lo] = cap;
        return;
    }
    p->pool.d[p->pool.n] = d;
    p->pool.cap[p->pool.n++] = cap;
}

/* the slot step st writes output i into (its shadow when the output aliases an input) */
static int out_slot(const xstep *st, size_t i) {
    return st->shadow && st->shadow[i] >= 0 ? st->shadow[i] : st->out_slots[i];
}

/* output i emptied (its buffer back to the pool) and given the shape, no data yet */
static xt *out_shaped(xctx *c, size_t i, int rank, const int64_t *dim) {
    if (i >= c->op->n_outputs || rank < 0 || rank > EXEC_MAX_RANK) return NULL;
    xslot *sl = &c->p->slots[out_slot(c->st, i)];
    xt *t = &sl->t;
    free(t->aux);
    free(t->wide);
    if (t->lst && t->owned) exec_list_free(t->lst);
    if (t->owned) {
        if (t->cap) pool_put(c->p, t->d, t->cap);
        else free(t->d);
    }
    memset(t, 0, sizeof *t);
    t->rank = rank;
    /* shapes computed from values (a hostile model's parameters) must not
     * wrap size_t: refuse more than 2^40 elements (the caller reports it) */
    double total = 1;
    for (int k = 0; k < rank; k++) {
        t->dim[k] = dim[k] < 0 ? 0 : dim[k];
        total *= (double)t->dim[k];
    }
    if (total > 1099511627776.0) return NULL;
    t->n = exec_count(rank, t->dim);
    if (t->n > EXEC_MAX_ELEMS) return NULL; /* an empty shape whose other dims are past the limit */
    t->dt = sl->decl == EXEC_DT_STRING ? EXEC_DT_FP32 : sl->decl;
    return t;
}

xt *exec_out(xctx *c, size_t i, int rank, const int64_t *dim) {
    xt *t = out_shaped(c, i, rank, dim);
    if (!t) return NULL;
    t->d = pool_get(c->p, t->n, &t->cap);
    if (!t->d) return NULL;
    t->owned = true;
    return t;
}

xt *exec_out_like(xctx *c, size_t i, const xt *like) { return exec_out(c, i, like->rank, like->dim); }

/* The fused add of a convolution (exec_conv.c) writes its sum over the
 * operand it adds, as an in-place add would, when that operand dies there:
 * each element is read before the same thread writes it, and the output's
 * lines are already in cache instead of a cold buffer's. */
xt *exec_out_over(xctx *c, size_t i, int rank, const int64_t *dim, const xt *from, size_t until) {
    exec_plan *p = c->p;
    if (i >= c->op->n_outputs || rank < 0 || rank > EXEC_MAX_RANK) return NULL;
    xslot *fs = NULL, *sl = &p->slots[out_slot(c->st, i)];
    /* from's slot, when from is a slot's own tensor (not a decoded copy) */
    uintptr_t a = (uintptr_t)from, a0 = (uintptr_t)&p->slots[0].t;
    size_t s = a >= a0 ? (a - a0) / sizeof *p->slots : p->n_slots;
    if (p->n_slots && s < p->n_slots && &p->slots[s].t == from) fs = &p->slots[s];
    if (!fs || fs == sl || fs->kind != SLOT_RUNTIME || fs->is_output || fs->pinned || fs->last_use != (long)until ||
        !fs->t.owned || !fs->t.cap || !fs->t.d || fs->t.lst || fs->t.aux || fs->t.wide || fs->t.rank != rank ||
        memcmp(fs->t.dim, dim, (size_t)rank * sizeof *dim) != 0)
        return NULL;
    xt *t = out_shaped(c, i, rank, dim);
    if (!t || t->n != fs->t.n) return NULL;
    t->d = fs->t.d;
    t->cap = fs->t.cap;
    t->owned = true;
    fs->t.owned = false; /* its data stay readable until step `until`, which then frees nothing */
    fs->t.cap = 0;
    return t;
}

/* The buffers a kernel fills and reads back (the scratch, the convolution's
 * input copies, the packing pass's scratch): grown, their contents not
 * kept, the old one freed first, and from 256 KiB up in huge pages, as the
 * activations are. On this kernel (page table isolation without PCID)
 * every entry into the kernel, a timer tick included, empties the TLB; a
 * buffer of 4 KiB pages then takes a page walk per page on its next pass.
 * With a write(2) before every convolution (a throw-away timing build),
 * resnet50's input copies took 2.6 ms a run from 4 KiB pages and 0.7 ms
 * from huge pages (bench/README.md, set 15). */
bool exec_grow_bytes(void **buf, size_t *have, size_t want) {
    if (want <= *have) return true;
    free(*buf);
    if (want >= EXEC_HUGE_PAGE / 8 && want < EXEC_HUGE_PAGE / 2) want = EXEC_HUGE_PAGE / 2;
    size_t len = 0;
    *buf = exec_huge_alloc(want, &len);
    *have = *buf ? len : 0;
    return *buf != NULL;
}

float *exec_grow(float **buf, size_t *have, size_t n) {
    void *m = *buf;
    bool ok = n <= SIZE_MAX / sizeof(float) && exec_grow_bytes(&m, have, n * sizeof(float));
    *buf = m;
    return ok ? *buf : NULL;
}

float *exec_scratch(xctx *c, size_t n) { return exec_grow(&c->p->scratch, &c->p->scratch_bytes, n); }

/* ---- lists, copies, nested blocks ------------------------------------------------------ */

void exec_xt_free(xt *t) {
    if (!t) return;
    if (t->owned) {
        if (t->lst) exec_list_free(t->lst);
        free(t->d);
    }
    free(t->wide);
    memset(t, 0, sizeof *t);
}

int exec_xt_dup(xt *dst, const xt *src) {
    memset(dst, 0, sizeof *dst);
    dst->rank = src->rank;
    memcpy(dst->dim, src->dim, sizeof dst->dim);
    dst->n = src->n;
    dst->dt = src->dt;
    dst->strs = src->strs;
    dst->nstr = src->nstr;
    dst->owned = true;
    if (src->lst) {
        dst->lst = exec_list_clone(src->lst);
        return dst->lst ? 0 : -1;
    }
    if (!src->d) return 0;
    dst->d = malloc((src->n ? src->n : 1) * sizeof(float));
    if (!dst->d) return -1;
    memcpy(dst->d, src->d, src->n * sizeof(float));
    return 0;
}

xlist *exec_list_new(exec_dtype dt) {
    xlist *l = calloc(1, sizeof *l);
    if (l) {
        l->dt = dt;
        l->dynamic = true;
    }
    return l;
}

void exec_list_free(xlist *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) exec_xt_free(&l->items[i]);
    free(l->items);
    free(l);
}

int exec_list_reserve(xlist *l, size_t n) {
    if (n <= l->cap) return 0;
    size_t nc = l->cap ? l->cap : 4;
    while (nc < n) nc *= 2;
    xt *ni = realloc(l->items, nc * sizeof *ni);
    if (!ni) return -1;
    memset(ni + l->cap, 0, (nc - l->cap) * sizeof *ni);
    l->items = ni;
    l->cap = nc;
    return 0;
}

xlist *exec_list_clone(const xlist *l) {
    xlist *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    *c = *l;
    c->items = NULL;
    c->cap = 0;
    c->n = 0;
    if (exec_list_reserve(c, l->n) != 0) { free(c); return NULL; }
    for (size_t i = 0; i < l->n; i++) {
        if (exec_xt_dup(&c->items[i], &l->items[i]) != 0) {
            c->n = i + 1;
            exec_list_free(c);
            return NULL;
        }
    }
    c->n = l->n;
    return c;
}

/* slot s holds a deep copy of src */
static int slot_assign(exec_plan *p, int s, const xt *src) {
    xslot *sl = &p->slots[s];
    release_slot(p, sl);
    xt *t = &sl->t;
    memset(t, 0, sizeof *t);
    t->rank = src->rank;
    memcpy(t->dim, src->dim, sizeof t->dim);
    t->n = src->n;
    t->dt = src->dt;
    t->owned = true;
    if (src->lst) {
        t->lst = exec_list_clone(src->lst);
        return t->lst ? 0 : -1;
    }
    if (!src->d) return 0;
    t->d = pool_get(p, t->n, &t->cap);
    if (!t->d) return -1;
    memcpy(t->d, src->d, t->n * sizeof(float));
    return 0;
}

int exec_out_list(xctx *c, size_t i, xlist *l) {
    if (i >= c->op->n_outputs) { exec_list_free(l); return exec_fail(c, "no output %zu", i); }
    xslot *sl = &c->p->slots[c->st->out_slots[i]];
    release_slot(c->p, sl);
    memset(&sl->t, 0, sizeof sl->t);
    sl->t.lst = l;
    sl->t.owned = true;
    sl->t.dt = l->dt;
    return 0;
}

int exec_set_out(xctx *c, size_t i, const xt *src) {
    if (i >= c->op->n_outputs) return exec_fail(c, "no output %zu", i);
    if (slot_assign(c->p, c->st->out_slots[i], src) != 0) return exec_fail(c, "out of memory");
    return 0;
}

size_t exec_block_count(xctx *c) { return c->st->n_subs; }

size_t exec_block_n_inputs(xctx *c, size_t k) { return k < c->st->n_subs ? c->st->subs[k].b->n_inputs : 0; }

size_t exec_block_n_outputs(xctx *c, size_t k) { return k < c->st->n_subs ? c->st->subs[k].b->n_outputs : 0; }

int exec_block_set_input(xctx *c, size_t k, size_t i, const xt *src) {
    if (k >= c->st->n_subs || i >= c->st->subs[k].b->n_inputs) return exec_fail(c, "block %zu has no input %zu", k, i);
    if (slot_assign(c->p, c->st->subs[k].in_slots[i], src) != 0) return exec_fail(c, "out of memory");
    return 0;
}

static int run_steps(exec_plan *p, exec_mode mode, size_t b, size_t e);

int exec_block_run(xctx *c, size_t k) {
    if (k >= c->st->n_subs) return exec_fail(c, "no block %zu", k);
    return run_steps(c->p, c->mode, c->st->subs[k].begin, c->st->subs[k].end);
}

const xt *exec_block_output(xctx *c, size_t k, size_t i) {
    if (k >= c->st->n_subs || i >= c->st->subs[k].b->n_outputs) return NULL;
    return slot_view(c, c->st->subs[k].out_slots[i]);
}

uint64_t exec_rng_seed(xctx *c, int64_t op_seed) {
    /* splitmix-style mixing of the plan seed, the op's seed and the number of
     * random draws before this one in the run (an op in a loop draws anew
     * each time; every run of the plan repeats the same sequence, so the fp32
     * and fp16 runs see the same draws) */
    uint64_t z = c->p->rng_seed ^ (++c->p->rng_calls * 0x9e3779b97f4a7c15ull) ^
                 ((uint64_t)op_seed * 0xbf58476d1ce4e5b9ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- prepare -------------------------------------------------------------------------- */

static const cml_function_desc *find_fdesc(const cml_model *m, const char *fname) {
    for (size_t i = 0; i < m->n_function_descs; i++)
        if (m->function_descs[i]->name && !strcmp(m->function_descs[i]->name, fname))
            return m->function_descs[i];
    return NULL;
}

/* A model's features by name, for find_feature: the inputs and outputs of
 * one function's description and the model's own, each list sorted by name
 * once (per prepare, per exec_make_inputs) and searched by bisection. A scan
 * of the list for every value made preparing a model quadratic in its
 * inputs (30,000 inputs: seconds). One pointer per feature. */
typedef struct feat_list {
    const cml_feature *const **by; /* places in the list, by name, then by place */
    size_t n;
} feat_list;

typedef struct feat_index {
    feat_list fd_in, fd_out; /* the function description's (none without one) */
    feat_list in, out;       /* the model's */
} feat_index;

static int feat_cmp(const void *a, const void *b) {
    const cml_feature *const *x = *(const cml_feature *const *const *)a;
    const cml_feature *const *y = *(const cml_feature *const *const *)b;
    int c = strcmp((*x)->name, (*y)->name);
    return c ? c : (x < y ? -1 : x > y);
}

static int feat_list_build(feat_list *l, const cml_feature *const *fs, size_t n) {
    l->n = 0;
    l->by = n ? malloc(n * sizeof *l->by) : NULL;
    if (n && !l->by) return -1;
    for (size_t i = 0; i < n; i++)
        if (fs[i]->name) l->by[l->n++] = &fs[i];
    if (l->n > 1) qsort(l->by, l->n, sizeof *l->by, feat_cmp);
    return 0;
}

/* the first feature of the list named `name` (a scan's first match) */
static const cml_feature *feat_list_find(const feat_list *l, const char *name) {
    size_t lo = 0, hi = l->n; /* the first place whose name is not before name */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp((*l->by[mid])->name, name) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < l->n && !strcmp((*l->by[lo])->name, name) ? *l->by[lo] : NULL;
}

static void feat_index_free(feat_index *ix) {
    free(ix->fd_in.by);
    free(ix->fd_out.by);
    free(ix->in.by);
    free(ix->out.by);
    memset(ix, 0, sizeof *ix);
}

/* the index of model m and of the description of its function fname (NULL: none) */
static int feat_index_build(feat_index *ix, const cml_model *m, const char *fname) {
    memset(ix, 0, sizeof *ix);
    const cml_function_desc *fd = fname ? find_fdesc(m, fname) : NULL;
    if ((fd && (feat_list_build(&ix->fd_in, fd->inputs, fd->n_inputs) != 0 ||
                feat_list_build(&ix->fd_out, fd->outputs, fd->n_outputs) != 0)) ||
        feat_list_build(&ix->in, m->inputs, m->n_inputs) != 0 ||
        feat_list_build(&ix->out, m->outputs, m->n_outputs) != 0) {
        feat_index_free(ix);
        return -1;
    }
    return 0;
}

/* The input or output feature named `name`: the function description's
 * first (fdesc), else the model's. */
static const cml_feature *find_feature(const feat_index *ix, bool fdesc, const char *name, bool output) {
    const cml_feature *f = fdesc ? feat_list_find(output ? &ix->fd_out : &ix->fd_in, name) : NULL;
    return f ? f : feat_list_find(output ? &ix->out : &ix->in, name);
}

/* Which kernel table runs a model: ML Program ops, NeuralNetwork layers,
 * or classic models (m->classic: GLM, trees, scaler ...; pipelines); -1
 * when the IR holds nothing to run. */
enum { FAM_MIL, FAM_NN, FAM_CLASSIC };
static bool is_nn_type(const char *t);
static int model_family(const cml_model *m) {
    if (is_nn_type(m->type)) return FAM_NN;
    if (m->type && !strcmp(m->type, "mlProgram")) return FAM_MIL;
    return m->classic ? FAM_CLASSIC : -1;
}

/* The sub-model a stage op of pipeline m's classic function stands for
 * (nested pipelines included): the IR gives the op its sub-model's logical
 * location. */
const cml_model *exec_stage_model(const cml_model *m, const cml_op *op) {
    for (size_t i = 0; m && op && op->loc.logical && i < m->n_sub_models; i++) {
        const cml_model *sm = m->sub_models[i];
        if (sm->loc.logical && !strcmp(sm->loc.logical, op->loc.logical) && sm->type && !strcmp(sm->type, op->kind))
            return sm;
        const cml_model *deeper = exec_stage_model(sm, op);
        if (deeper) return deeper;
    }
    return NULL;
}

bool exec_is_neural_type(const char *t) {
    return t && (!strcmp(t, "mlProgram") || !strncmp(t, "neuralNetwork", 13));
}

static bool is_nn_type(const char *t) {
    return t && (!strcmp(t, "neuralNetwork") || !strcmp(t, "neuralNetworkClassifier") ||
                 !strcmp(t, "neuralNetworkRegressor"));
}

/* append "kind" to a comma list if not there */
static void add_kind(char *list, size_t cap, const char *kind) {
    size_t kl = strlen(kind), ll = strlen(list);
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == kl && !strncmp(s, kind, kl)) return;
        s = e ? e + 2 : s + len;
    }
    if (ll + kl + 3 >= cap) return;
    if (ll) { list[ll++] = ','; list[ll++] = ' '; }
    memcpy(list + ll, kind, kl + 1);
}

/* The ops of fn the executor refuses: their kinds into list (comma list,
 * each once), the first max of them into ops/why; returns the count of
 * refused ops. *n_runtime: the executable runtime ops. */
static size_t check_block(const exec_io *io, const cml_function *fn, const cml_block *b, int fam, char *list,
                          size_t cap, const cml_op **ops, char (*why)[192], size_t max, size_t *n_runtime);

/* A NeuralNetwork compiled for espresso: the loader reads its files for the
 * layer list only, so the IR has no layers and no parameters to run. */
static bool is_espresso_nn(const cml_model *m, const cml_function *fn) {
    return m && fn && fn->block && model_family(m) == FAM_NN && m->format == CML_FMT_MLMODELC && !fn->block->n_ops &&
           m->n_outputs;
}

static size_t check_ops(const exec_io *io, const cml_function *fn, int fam, char *list, size_t cap, const cml_op **ops,
                        char (*why)[192], size_t max, size_t *n_runtime) {
    return check_block(io, fn, fn->block, fam, list, cap, ops, why, max, n_runtime);
}

/* an op's type as a refusal names it: never empty, since an empty item
 * reads as "supported" to check_block (an op serialized without a type
 * reached prep_block with no kernel) */
static const char *kind_name(const cml_op *op) { return op->kind && *op->kind ? op->kind : "(an op without a type)"; }

/* the ML Program ops that run nested blocks (SOURCE: apple/coremltools
 * ops/defs/iOS15/control_flow.py cond, while_loop) */
static bool is_control_flow(const char *kind) { return !strcmp(kind, "cond") || !strcmp(kind, "while_loop"); }

static size_t check_block(const exec_io *io, const cml_function *fn, const cml_block *b, int fam, char *list,
                          size_t cap, const cml_op **ops, char (*why)[192], size_t max, size_t *n_runtime) {
    bool nn = fam != FAM_MIL;
    size_t n_bad = 0, n_rt = 0;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        char item[192] = "";
        if (op->n_blocks && ((fam == FAM_NN && exec_find_nn(op->kind)) || (!nn && is_control_flow(op->kind)))) {
            /* a control-flow op (ML Program cond / while_loop, NeuralNetwork
             * branch / loop): the op itself (its own checks), then every op
             * of its blocks */
            const exec_kdef *kd = fam == FAM_NN ? exec_find_nn(op->kind) : exec_find_mil(op->kind);
            char r[160] = "";
            if (kd && kd->check && kd->check(io, op, r, sizeof r) != 0) {
                snprintf(item, sizeof item, "%s (%s)", kind_name(op), r);
            } else {
                n_rt++;
                for (size_t k = 0; k < op->n_blocks; k++) {
                    size_t at = n_bad < max ? n_bad : max, sub_rt = 0;
                    n_bad += check_block(io, fn, op->blocks[k], fam, list, cap, ops ? ops + at : NULL,
                                         why ? why + at : NULL, max - at, &sub_rt);
                    n_rt += sub_rt;
                }
                continue;
            }
        } else if (op->n_blocks) {
            snprintf(item, sizeof item, "%s", kind_name(op));
        } else if (nn) {
            const exec_kdef *kd = fam == FAM_CLASSIC ? exec_find_classic(op->kind) : exec_find_nn(op->kind);
            char r[160] = "";
            const cml_model *sm = fam == FAM_CLASSIC && exec_is_neural_type(op->kind) ? exec_stage_model(fn->model, op) : NULL;
            const cml_function *sf = sm ? cml_model_function(sm, NULL) : NULL;
            if (is_espresso_nn(sm, sf)) {
                /* refused at prepare, by name, like a whole espresso model */
                snprintf(item, sizeof item, "%s (compiled for espresso: its layers and weights are not read)",
                         kind_name(op));
            } else if (sf && sf->block) {
                /* a neural pipeline stage: its own ops decide */
                size_t at = n_bad < max ? n_bad : max;
                size_t nb = check_ops(io, sf, model_family(sm), list, cap, ops ? ops + at : NULL, why ? why + at : NULL,
                                      max - at, NULL);
                n_bad += nb;
                if (!nb) n_rt++;
                continue;
            }
            if (*item) {
                /* refused above */
            } else if (!kd) snprintf(item, sizeof item, "%s", kind_name(op));
            else if (kd->check && kd->check(io, op, r, sizeof r) != 0) snprintf(item, sizeof item, "%s (%s)", kind_name(op), r);
            else n_rt++;
        } else if (!strcmp(op->kind, "const")) {
            continue;
        } else if (!strncmp(op->kind, "constexpr_", 10)) {
            if (!exec_is_constexpr_supported(op->kind)) snprintf(item, sizeof item, "%s", kind_name(op));
        } else {
            const exec_kdef *kd = exec_find_mil(op->kind);
            char r[160] = "";
            if (!kd) snprintf(item, sizeof item, "%s", kind_name(op));
            else if (kd->check && kd->check(io, op, r, sizeof r) != 0) snprintf(item, sizeof item, "%s (%s)", kind_name(op), r);
            else n_rt++;
        }
        if (!*item) continue;
        if (list) add_kind(list, cap, item);
        if (ops && n_bad < max) {
            ops[n_bad] = op;
            if (why) snprintf(why[n_bad], sizeof why[n_bad], "%s", item);
        }
        n_bad++;
    }
    if (n_runtime) *n_runtime = n_rt;
    return n_bad;
}

size_t exec_unsupported(const cml_model *m, const char *function, const exec_io *io, const cml_op **ops,
                        char (*why)[192], size_t max) {
    if (!m) return 0;
    int fam = model_family(m);
    if (fam < 0) return 0;
    const cml_function *fn = cml_model_function(m, function);
    if (!fn || !fn->block) return 0;
    return check_ops(io, fn, fam, NULL, 0, ops, why, max, NULL);
}

void exec_plan_free(exec_plan *p) {
    if (!p) return;
    exec_par_free(p);
    lz_step_free(p);
    for (size_t i = 0; i < p->n_slots; i++) {
        if (p->slots[i].t.owned && p->slots[i].t.lst) exec_list_free(p->slots[i].t.lst);
        if (p->slots[i].t.owned) free(p->slots[i].t.d);
        free(p->slots[i].t.aux);
        free(p->slots[i].t.wide);
        if (p->slots[i].t16.owned) free(p->slots[i].t16.d);
        if (p->slots[i].lz_owned) exec_lz_free((xlz *)p->slots[i].t.lz);
        free(p->slots[i].dec);
    }
    free(p->slots);
    free(p->vmap.keys);
    free(p->vmap.vals);
    free(p->names.keys);
    free(p->names.vals);
    free(p->substituted);
    for (size_t i = 0; i < p->n_steps; i++) {
        xstep *s = &p->steps[i];
        if (s->in_slots)
            for (size_t j = 0; j < s->op->n_inputs; j++) free(s->in_slots[j]);
        free(s->in_slots);
        free(s->attr_slots);
        free(s->out_slots);
        free(s->release);
        free(s->shadow);
        if (s->kstate_free) s->kstate_free(s->kstate);
        exec_conv_free(s);
        for (size_t k = 0; k < s->n_subs; k++) {
            free(s->subs[k].in_slots);
            free(s->subs[k].out_slots);
        }
        free(s->subs);
    }
    free(p->steps);
    free(p->ins);
    free(p->outs);
    free(p->state_slots);
    free(p->stats);
    free(p->random_out);
    free(p->scratch);
    free(p->cpad);
    free(p->pk_tmp);
    free(p->pk_stage);
    for (size_t i = 0; i < p->n_pk_chunks; i++) {
        bump_mark(p->pk_chunk[i], BUMP_CHUNK, true);
        free(p->pk_chunk[i]);
    }
    free(p->pk_chunk);
    for (size_t i = 0; i < p->pool.n; i++) free(p->pool.d[i]);
    free(p);
}

/* Room for one more item in array a of n items, of an array that only
 * grows one item at a time (add_io, a step's release list): its capacity is
 * the power of two at or above n, doubled when n reaches it, so appending n
 * items copies O(n) of them (a realloc per item copied them all each time
 * realloc could not grow in place: every time under AddressSanitizer, where
 * preparing a model of 30,000 inputs took over a minute). Returns a, the
 * array grown, or NULL when out of memory (a is kept). */
static void *grow_pow2(void *a, size_t n, size_t size) {
    if (n & (n - 1)) return a; /* not a power of two (nor 0): there is room */
    return realloc(a, (n ? 2 * n : 1) * size);
}

static int add_io(xio **arr, size_t *n, const char *name, int slot, const cml_feature *f) {
    xio *na = grow_pow2(*arr, *n, sizeof *na);
    if (!na) return -1;
    *arr = na;
    na[*n] = (xio){.name = name, .slot = slot, .feature = f, .derived_label = -1};
    (*n)++;
    return 0;
}

/* The last value named `name` produced in a NeuralNetwork block. */
static const cml_value *nn_value_named(const cml_function *fn, const char *name) {
    const cml_block *b = fn->block;
    for (size_t i = b->n_ops; i-- > 0;)
        for (size_t j = 0; j < b->ops[i]->n_outputs; j++)
            if (!strcmp(b->ops[i]->outputs[j]->name, name)) return b->ops[i]->outputs[j];
    for (size_t i = 0; i < fn->n_inputs; i++)
        if (!strcmp(fn->inputs[i]->name, name)) return fn->inputs[i];
    return NULL;
}

/* whether the executor runs pipeline stage op of classic function fn */
static bool classic_stage_ok(const exec_io *io, const cml_function *fn, const cml_op *op) {
    const cml_op *one[1] = {op};
    cml_block blk = {.n_ops = 1, .ops = one};
    cml_function sub = *fn;
    sub.block = &blk;
    return check_ops(io, &sub, FAM_CLASSIC, NULL, 0, NULL, NULL, 0, NULL) == 0;
}

/* slots a block may need: outputs (and their NN shadows), attributes,
 * arguments, nested blocks' inputs */
static size_t block_slots(const cml_block *b, int depth) {
    size_t n = b->n_inputs;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        n += 2 * op->n_outputs + op->n_attrs;
        for (size_t j = 0; j < op->n_inputs; j++) n += op->inputs[j]->n_values;
        /* depth: the IR caps nesting (IR_MAX_DEPTH); this guards the recursion too */
        for (size_t k = 0; k < op->n_blocks && depth < 256; k++) n += block_slots(op->blocks[k], depth + 1);
    }
    return n;
}

/* NN: a slot for every blob name a layer of b (or of its nested blocks) writes */
static int nn_name_outputs(exec_plan *p, const cml_block *b, int depth) {
    for (size_t i = 0; b && i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        for (size_t j = 0; j < op->n_outputs; j++)
            if (nn_named_slot(p, op->outputs[j]) < 0) return -1;
        for (size_t j = 0; depth < 256 && j < op->n_blocks; j++)
            if (nn_name_outputs(p, op->blocks[j], depth + 1) != 0) return -1;
    }
    return 0;
}

/* A read of slot s by step r: the slot lives until the step of its own block
 * that contains r (r itself, or the control-flow step r is nested in). A
 * NeuralNetwork blob belongs to the function's block (one namespace), so a
 * read inside a branch or loop keeps it until that top-level step. */
static void note_read(exec_plan *p, int s, long r) {
    xslot *sl = &p->slots[s];
    if (sl->kind != SLOT_RUNTIME && sl->kind != SLOT_INPUT) return;
    long a = r;
    while (a >= 0 && p->steps[a].op->parent != sl->blk && p->steps[a].parent >= 0) a = p->steps[a].parent;
    if (a > sl->last_use || sl->last_use < 0) sl->last_use = a;
}

/* The steps of block b (nested in step `parent`, -1 the function's block):
 * constexpr ops evaluated, runtime ops with their slots; a control-flow op's
 * blocks (ML Program cond / while_loop, NeuralNetwork branch / loop) follow
 * its step. 0, -1 failed (message in err), -2 out of memory. */
static int prep_block(exec_plan *p, const cml_block *b, long parent, int fam, char *err, size_t errlen) {
    bool nn = fam != FAM_MIL;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        if (!nn && !strcmp(op->kind, "const")) continue; /* decoded when used */
        if (!nn && !strncmp(op->kind, "constexpr_", 10)) {
            if (exec_eval_constexpr(p, op, err, errlen) != 0) return -1;
            continue;
        }
        if (p->n_steps >= p->cap_steps) { exec_seterr(err, errlen, "internal: step count"); return -1; }
        size_t si = p->n_steps;
        xstep *st = &p->steps[si];
        st->op = op;
        st->parent = parent;
        const exec_kdef *kd = fam == FAM_CLASSIC ? exec_find_classic(op->kind)
                            : nn ? exec_find_nn(op->kind) : exec_find_mil(op->kind);
        if (fam == FAM_CLASSIC && p->opts.partial && !classic_stage_ok(&p->opts.io, p->fn, op)) {
            /* a refused pipeline stage: generated values of its outputs */
            const cml_op **ns = realloc(p->substituted, (p->n_substituted + 1) * sizeof *ns);
            if (!ns) return -2;
            p->substituted = ns;
            p->substituted[p->n_substituted++] = op;
            st->fn = exec_classic_substitute;
        } else if (kd) {
            st->fn = kd->fn;
        } else { /* check_ops refuses every op without a kernel: not reached */
            exec_seterr(err, errlen, "internal: no kernel for op '%s'", kind_name(op));
            return -1;
        }
        st->in_slots = calloc(op->n_inputs ? op->n_inputs : 1, sizeof *st->in_slots);
        st->attr_slots = calloc(op->n_attrs ? op->n_attrs : 1, sizeof *st->attr_slots);
        st->out_slots = calloc(op->n_outputs ? op->n_outputs : 1, sizeof *st->out_slots);
        if (!st->in_slots || !st->attr_slots || !st->out_slots) return -2;
        p->n_steps++;
        for (size_t j = 0; j < op->n_inputs; j++) {
            const cml_arg *a = op->inputs[j];
            st->in_slots[j] = calloc(a->n_values ? a->n_values : 1, sizeof(int));
            if (!st->in_slots[j]) return -2;
            for (size_t k = 0; k < a->n_values; k++) {
                int s = exec_slot_for(p, a->values[k], err, errlen);
                if (s < 0) return -1;
                st->in_slots[j][k] = s;
                note_read(p, s, (long)si);
            }
        }
        for (size_t j = 0; j < op->n_attrs; j++) {
            const cml_attr *at = op->attrs[j];
            st->attr_slots[j] = -1;
            if (at->kind == CML_ATTR_VALUE && at->value && at->value->weight) {
                int s = exec_slot_for(p, at->value, err, errlen);
                if (s < 0) return -1;
                st->attr_slots[j] = s;
            }
        }
        if (op->n_blocks) {
            st->subs = calloc(op->n_blocks, sizeof *st->subs);
            if (!st->subs) return -2;
            st->n_subs = op->n_blocks;
            for (size_t k = 0; k < op->n_blocks; k++) {
                const cml_block *nb = op->blocks[k];
                xsub *sb = &p->steps[si].subs[k];
                sb->b = nb;
                sb->in_slots = calloc(nb->n_inputs ? nb->n_inputs : 1, sizeof(int));
                sb->out_slots = calloc(nb->n_outputs ? nb->n_outputs : 1, sizeof(int));
                if (!sb->in_slots || !sb->out_slots) return -2;
                for (size_t j = 0; j < nb->n_inputs; j++) {
                    int s = new_slot(p, nb->inputs[j], SLOT_RUNTIME);
                    if (s < 0) return -2;
                    p->slots[s].blk = nb;
                    sb->in_slots[j] = s;
                }
                sb->begin = p->n_steps;
                int rc = prep_block(p, nb, (long)si, fam, err, errlen);
                if (rc != 0) return rc;
                sb = &p->steps[si].subs[k];
                sb->end = p->n_steps;
                for (size_t j = 0; j < nb->n_outputs; j++) {
                    int s = exec_slot_for(p, nb->outputs[j], err, errlen);
                    if (s < 0) return -1;
                    sb->out_slots[j] = s;
                    xslot *sl = &p->slots[s];
                    /* a value of this block (or nested deeper) lives until the
                     * control-flow step has read it; an outer value is read by it */
                    bool inner = false;
                    for (const cml_block *q = sl->blk; q && !inner; q = q->parent ? q->parent->parent : NULL)
                        if (q == nb) inner = true;
                    if (inner) sl->pinned = true;
                    else note_read(p, s, (long)si);
                }
            }
        }
        st = &p->steps[si];
        for (size_t j = 0; j < op->n_outputs; j++) {
            int s = p->nn_graph ? nn_named_slot(p, op->outputs[j]) : new_slot(p, op->outputs[j], SLOT_RUNTIME);
            if (s < 0) return -2;
            if (!p->nn_graph) p->slots[s].blk = b;
            st->out_slots[j] = s;
            /* NN: an output that names a blob this layer reads (or another of
             * its outputs): the kernel writes a private slot, moved in after
             * it ran */
            bool alias = false;
            for (size_t a = 0; p->nn_graph && a < op->n_inputs && !alias; a++)
                for (size_t k = 0; k < op->inputs[a]->n_values; k++)
                    if (st->in_slots[a][k] == s) alias = true;
            for (size_t k = 0; p->nn_graph && k < j && !alias; k++)
                if (st->out_slots[k] == s) alias = true;
            if (!alias) continue;
            if (!st->shadow) {
                st->shadow = malloc((op->n_outputs ? op->n_outputs : 1) * sizeof *st->shadow);
                if (!st->shadow) return -2;
                for (size_t k = 0; k < op->n_outputs; k++) st->shadow[k] = -1;
            }
            int sh = new_slot(p, NULL, SLOT_RUNTIME);
            if (sh < 0) return -2;
            p->slots[sh].decl = p->slots[s].decl;
            p->slots[sh].blk = p->fn->block;
            st->shadow[j] = sh;
        }
        st->next = p->n_steps;
    }
    return 0;
}

/* Which outputs depend on a random_* op (ML Program): a step is random when
 * its kind is random_*, it reads a random value, or a step of its blocks is
 * random; its outputs (and a loop's block inputs, a written state) are then
 * random too. Repeated until nothing changes (a loop can carry a value back
 * to an earlier step of its body). */
static int mark_random(exec_plan *p) {
    bool *ts = calloc(p->n_slots ? p->n_slots : 1, 1), *tp = calloc(p->n_steps ? p->n_steps : 1, 1);
    p->random_out = calloc(p->n_outs ? p->n_outs : 1, sizeof *p->random_out);
    if (!ts || !tp || !p->random_out) { free(ts); free(tp); return -1; }
    bool changed = true;
    for (int pass = 0; changed && pass < 1000; pass++) {
        changed = false;
        for (size_t i = 0; i < p->n_steps; i++) {
            const xstep *st = &p->steps[i];
            bool t = tp[i] || !strncmp(st->op->kind, "random_", 7);
            for (size_t j = 0; !t && j < st->op->n_inputs; j++)
                for (size_t k = 0; k < st->op->inputs[j]->n_values; k++) t |= ts[st->in_slots[j][k]];
            for (size_t k = 0; !t && k < st->n_subs; k++)
                for (size_t q = st->subs[k].begin; q < st->subs[k].end; q++) t |= tp[q];
            if (!t) continue;
            if (!tp[i]) { tp[i] = true; changed = true; }
            for (size_t j = 0; j < st->op->n_outputs; j++)
                if (!ts[st->out_slots[j]]) { ts[st->out_slots[j]] = true; changed = true; }
            for (size_t k = 0; k < st->n_subs; k++)
                for (size_t j = 0; j < st->subs[k].b->n_inputs; j++)
                    if (!ts[st->subs[k].in_slots[j]]) { ts[st->subs[k].in_slots[j]] = true; changed = true; }
            /* a state written with a random value stays random */
            for (size_t j = 0; j < st->op->n_inputs; j++)
                for (size_t k = 0; k < st->op->inputs[j]->n_values; k++) {
                    int sl = st->in_slots[j][k];
                    if (p->slots[sl].kind == SLOT_STATE && !ts[sl]) { ts[sl] = true; changed = true; }
                }
        }
    }
    for (size_t i = 0; i < p->n_steps; i++) p->has_random |= !strncmp(p->steps[i].op->kind, "random_", 7);
    for (size_t i = 0; i < p->n_outs; i++) p->random_out[i] = p->outs[i].slot >= 0 && ts[p->outs[i].slot];
    free(ts);
    free(tp);
    return 0;
}

exec_plan *exec_prepare(const cml_model *m, const char *function, const exec_opts *o, char *err,
                        size_t errlen) {
    exec_seterr(err, errlen, "ok");
    if (!m) { exec_seterr(err, errlen, "no model"); return NULL; }
    int fam = model_family(m);
    bool nn = fam == FAM_NN || fam == FAM_CLASSIC;
    if (fam < 0) {
        exec_seterr(err, errlen, "model type '%s' is not executable by the reference executor (no graph or parameters in the IR)",
               m->type ? m->type : "unknown");
        return NULL;
    }
    const cml_function *fn = cml_model_function(m, function);
    if (!fn || !fn->block) {
        exec_seterr(err, errlen, "function '%s' not found", function ? function : "(default)");
        return NULL;
    }
    if (is_espresso_nn(m, fn)) {
        /* the loader reads a compiled NeuralNetwork's espresso files for
         * their layer list only: no layers, no parameters in the IR */
        exec_seterr(err, errlen, "a NeuralNetwork compiled for espresso is not executable by the reference executor "
                    "(its layers and weights are not read from model.espresso.net / .weights): probe the .mlmodel "
                    "or .mlpackage it was compiled from");
        return NULL;
    }
    for (size_t i = 0; i < m->n_preprocess; i++)
        if (m->preprocess[i]->is_mean_image) {
            exec_seterr(err, errlen, "NeuralNetwork meanImage preprocessing is not supported (values not in the IR)");
            return NULL;
        }

    /* 1. every op supported? */
    const cml_block *b = fn->block;
    size_t n_runtime = 0;
    char bad[1024] = "";
    if (!o || !o->io.read || !o->io.stored_as) {
        exec_seterr(err, errlen, "no weight reader (exec_opts.io)");
        return NULL;
    }
    size_t n_bad = check_ops(&o->io, fn, fam, bad, sizeof bad, NULL, NULL, 0, &n_runtime);
    size_t n_subst = 0;
    if (n_bad && o->partial && fam == FAM_CLASSIC) {
        /* the refused stages become stand-ins, unless nothing would run */
        for (size_t i = 0; i < b->n_ops; i++) n_subst += !classic_stage_ok(&o->io, fn, b->ops[i]);
        if (n_subst < b->n_ops) n_runtime += n_subst;
        else n_subst = 0;
    }
    if (n_bad && !n_subst) {
        exec_seterr(err, errlen, "unsupported op%s: %s", strchr(bad, ',') ? "s" : "", bad);
        return NULL;
    }

    exec_plan *p = calloc(1, sizeof *p);
    if (!p) { exec_seterr(err, errlen, "out of memory"); return NULL; }
    feat_index fx = {0};
    p->m = m;
    p->fn = fn;
    p->is_nn = nn;
    p->names.str = true;
    p->is_classic = fam == FAM_CLASSIC;
    p->conv_blas_only = getenv("CML_EXEC_BLAS_CONV") != NULL;
    p->pool_scalar = getenv("CML_EXEC_POOL_SCALAR") != NULL;
    p->decode_all = getenv("CML_EXEC_DECODE_CONSTS") != NULL;
    const char *widen = getenv("CML_EXEC_TRD_WIDEN");
    p->trd_widen = !widen || !*widen ? 0 : strcmp(widen, "0") ? 1 : -1;
    const char *adopt = getenv("CML_EXEC_ADOPT");
    p->adopt = !adopt || !*adopt ? 0 : strcmp(adopt, "0") ? 1 : -1;
    if (o) p->opts = *o;
    p->loop_limit = p->opts.loop_limit ? p->opts.loop_limit : EXEC_LOOP_LIMIT;
    p->nn_graph = fam == FAM_NN;
    /* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:88-126
     * NeuralNetworkMultiArrayShapeMapping (RANK5_ARRAY_MAPPING = 0: rank 1
     * shapes map to [1,1,C,1,1], rank 3 to [1,1,C,H,W]) and
     * NeuralNetworkImageShapeMapping (RANK5_IMAGE_MAPPING = 0: [1,1,C,H,W];
     * RANK4_IMAGE_MAPPING: [1,C,H,W]) */
    p->nn_rank5_arrays = p->nn_graph && m->nn_array_shape_mapping <= 0;
    p->nn_rank5_images = p->nn_graph && m->nn_image_shape_mapping <= 0;
    /* the executor splits matrix products across its own threads
     * (exec_par.c); inside each range the BLAS runs single-threaded */
    exec_blas_set_threads(1);
    /* every output may need a shadow as well (NN "x -> x") */
    size_t bound = fn->n_inputs + 16 + block_slots(b, 0);
    p->slots = calloc(bound, sizeof *p->slots);
    if (!p->slots) goto oom;
    p->cap_slots = bound;
    if (feat_index_build(&fx, m, fn->name) != 0) goto oom;

    /* 2. function inputs and states */
    for (size_t i = 0; i < fn->n_inputs; i++) {
        const cml_value *v = fn->inputs[i];
        bool st = v->is_state || v->type.kind == CML_TYPE_STATE;
        int s = new_slot(p, v, st ? SLOT_STATE : SLOT_INPUT);
        if (s < 0) goto oom;
        p->slots[s].blk = b;
        if (p->nn_graph && xmap_put(&p->names, v->name, s) != 0) goto oom;
        if (nn) {
            const cml_feature *f = find_feature(&fx, false, v->name, false);
            p->slots[s].decl = f && f->array_dtype == CML_ARR_INT32 ? EXEC_DT_INT32
                             : f && f->array_dtype == CML_ARR_FLOAT16 ? EXEC_DT_FP16 : EXEC_DT_FP32;
        }
        if (st) {
            int *ns = realloc(p->state_slots, (p->n_states + 1) * sizeof *ns);
            if (!ns) goto oom;
            p->state_slots = ns;
            p->state_slots[p->n_states++] = s;
            /* a zero-filled state of the declared shape */
            xt *t = &p->slots[s].t;
            t->rank = v->type.shape.rank > 0 ? v->type.shape.rank : 0;
            if (t->rank > EXEC_MAX_RANK) { exec_seterr(err, errlen, "state '%s' rank too large", v->name); goto fail; }
            for (int k = 0; k < t->rank; k++) {
                if (v->type.shape.dims[k] < 0) { exec_seterr(err, errlen, "state '%s' has an unknown dimension", v->name); goto fail; }
                t->dim[k] = v->type.shape.dims[k];
            }
            t->n = exec_count(t->rank, t->dim);
            if (t->n > EXEC_MAX_ELEMS) { exec_seterr(err, errlen, "state '%s' has more than 2^40 elements", v->name); goto fail; }
            t->d = calloc(t->n ? t->n : 1, sizeof(float));
            if (!t->d) goto oom;
            t->owned = true;
            t->dt = p->slots[s].decl;
        } else {
            const cml_feature *f = find_feature(&fx, true, v->name, false);
            if (add_io(&p->ins, &p->n_ins, v->name, s, f) != 0) goto oom;
        }
    }

    /* 3. constants, constexpr chains, runtime steps (nested blocks' steps
     * after their control-flow op's; NN blob names made slots first) */
    p->steps = calloc(n_runtime ? n_runtime : 1, sizeof *p->steps);
    if (!p->steps) goto oom;
    p->cap_steps = n_runtime;
    if (p->nn_graph && nn_name_outputs(p, b, 0) != 0) goto oom;
    {
        int rc = prep_block(p, b, -1, fam, err, errlen);
        if (rc == -2) goto oom;
        if (rc != 0) goto fail;
    }

    /* 4. outputs */
    if (nn) {
        size_t nf = m->n_outputs;
        for (size_t i = 0; i < nf; i++) {
            const cml_feature *f = m->outputs[i];
            const cml_value *v = p->nn_graph ? NULL : nn_value_named(fn, f->name);
            int ns = p->nn_graph ? xmap_get(&p->names, f->name) : -1;
            if (ns >= 0) {
                if (add_io(&p->outs, &p->n_outs, f->name, ns, f) != 0) goto oom;
            } else if (v) {
                int s = xmap_get(&p->vmap, v);
                if (s < 0) { exec_seterr(err, errlen, "output '%s' is never computed", f->name); goto fail; }
                if (add_io(&p->outs, &p->n_outs, f->name, s, f) != 0) goto oom;
            } else if (m->predicted_feature_name && !strcmp(f->name, m->predicted_feature_name)) {
                if (add_io(&p->outs, &p->n_outs, f->name, -1, f) != 0) goto oom;
            } else {
                exec_seterr(err, errlen, "output '%s' is not produced by any layer", f->name);
                goto fail;
            }
        }
        /* a classifier's label comes from its probabilities */
        for (size_t i = 0; i < p->n_outs; i++) {
            if (p->outs[i].slot >= 0) continue;
            for (size_t j = 0; j < p->n_outs; j++)
                if (p->outs[j].slot >= 0 &&
                    (!m->predicted_probabilities_name || !strcmp(p->outs[j].name, m->predicted_probabilities_name) ||
                     p->n_outs == 2))
                    p->outs[i].derived_label = (int)j;
            if (p->outs[i].derived_label < 0) { exec_seterr(err, errlen, "classifier label output without probabilities"); goto fail; }
        }
    } else {
        for (size_t i = 0; i < b->n_outputs; i++) {
            const cml_value *v = b->outputs[i];
            int s = exec_slot_for(p, v, err, errlen);
            if (s < 0) goto fail;
            if (add_io(&p->outs, &p->n_outs, v->name, s, find_feature(&fx, true, v->name, true)) != 0) goto oom;
        }
    }
    for (size_t i = 0; i < p->n_outs; i++)
        if (p->outs[i].slot >= 0) p->slots[p->outs[i].slot].is_output = true;

    /* 5. liveness: release each runtime slot after its last reader (a
     * nested block's output: after its control-flow step) */
    for (size_t s = 0; s < p->n_slots; s++) {
        xslot *sl = &p->slots[s];
        if ((sl->kind != SLOT_RUNTIME && sl->kind != SLOT_INPUT) || sl->is_output) continue;
        long at = sl->last_use;
        if (sl->pinned) {
            at = -1;
            for (size_t k = 0; k < p->n_steps && at < 0; k++)
                for (size_t j = 0; j < p->steps[k].n_subs && at < 0; j++) {
                    const xsub *sb = &p->steps[k].subs[j];
                    for (size_t q = 0; q < sb->b->n_outputs; q++)
                        if (sb->out_slots[q] == (int)s) { at = (long)k; break; }
                }
            if (at < 0) continue;
        } else if (at < 0) {
            /* produced and never read: free right after its producer (NN:
             * after the top-level step it runs in, a loop layer reads its
             * condition blob by name) */
            if (sl->kind != SLOT_RUNTIME) continue;
            for (size_t k = 0; k < p->n_steps && at < 0; k++)
                for (size_t j = 0; j < p->steps[k].op->n_outputs; j++)
                    if (p->steps[k].out_slots[j] == (int)s) {
                        at = (long)k;
                        while (p->nn_graph && p->steps[at].parent >= 0) at = p->steps[at].parent;
                        break;
                    }
            if (at < 0) continue;
        }
        xstep *st = &p->steps[at];
        int *nr = grow_pow2(st->release, st->n_release, sizeof *nr);
        if (!nr) goto oom;
        st->release = nr;
        st->release[st->n_release++] = (int)s;
    }
    p->stats = calloc(p->n_steps ? p->n_steps : 1, sizeof *p->stats);
    if (!p->stats) goto oom;
    for (size_t i = 0; i < p->n_steps; i++) p->stats[i].op = p->steps[i].op;
    if (mark_random(p) != 0) goto oom;
    /* random_* ops: a fixed seed, so every run of the plan draws alike */
    p->rng_seed = 0x5eed5eed5eed5eedull;
    feat_index_free(&fx);
    return p;
oom:
    exec_seterr(err, errlen, "out of memory");
fail:
    feat_index_free(&fx);
    exec_plan_free(p);
    return NULL;
}

const char *exec_last_error(const exec_plan *p) { return p ? p->err : "no plan"; }

size_t exec_plan_substituted(const exec_plan *p, const cml_op **ops, size_t max) {
    if (!p) return 0;
    for (size_t i = 0; ops && i < p->n_substituted && i < max; i++) ops[i] = p->substituted[i];
    return p->n_substituted;
}

int exec_output_random(const exec_plan *p, size_t i) {
    return p && p->random_out && i < p->n_outs ? p->random_out[i] : 0;
}
const cml_function *exec_plan_function(const exec_plan *p) { return p ? p->fn : NULL; }
size_t exec_plan_n_ops(const exec_plan *p) { return p ? p->n_steps : 0; }
size_t exec_plan_const_bytes(const exec_plan *p) { return p ? p->const_bytes : 0; }

int exec_plan_const(const exec_plan *p, const cml_value *v, exec_tensor *view) {
    if (!p || !v || !view) return -1;
    int s = xmap_get(&p->vmap, v);
    if (s < 0 || p->slots[s].kind != SLOT_CONST) return -1;
    xslot *sl = &((exec_plan *)p)->slots[s];
    if (!sl->t.d && sl->t.lz && !sl->dec) {
        /* a stored-form constant: decoded once for the caller, kept apart
         * from the slot so that the kernels still see the stored form */
        sl->dec = malloc((sl->t.n ? sl->t.n : 1) * sizeof(float));
        if (!sl->dec) return -1;
        exec_lz_decode(sl->t.lz, 0, sl->t.n, sl->dec, false);
    }
    if (!sl->t.d && !sl->dec) return -1;
    to_tensor(view, v->name, &sl->t);
    if (!sl->t.d) view->data = sl->dec;
    return 0;
}

void exec_reset_states(exec_plan *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_states; i++) {
        xt *t = &p->slots[p->state_slots[i]].t;
        if (t->d) memset(t->d, 0, t->n * sizeof(float));
    }
}

void exec_tensors_free(exec_tensor *t, size_t n) {
    if (!t) return;
    for (size_t i = 0; i < n; i++) {
        free(t[i].data);
        free(t[i].owned_);
        free((void *)(uintptr_t)t[i].data64); /* const for the callers' own inputs */
    }
    free(t);
}

/* ---- run ------------------------------------------------------------------------------ */

/* fp16 copies of float constants for FP16_EMU (made once, shared when exact) */
static int make_const16(exec_plan *p) {
    for (size_t s = 0; s < p->n_slots; s++) {
        xslot *sl = &p->slots[s];
        if (sl->kind != SLOT_CONST || sl->t16_done) continue;
        sl->t16_done = true;
        if (!dt_is_float(sl->t.dt) || !sl->t.d) continue;
        bool exact = true;
        for (size_t i = 0; i < sl->t.n && exact; i++)
            if (exec_r16(sl->t.d[i]) != sl->t.d[i] && sl->t.d[i] == sl->t.d[i]) exact = false;
        if (exact) continue;
        /* shared weights: reuse the copy of the first slot with the same data */
        for (size_t q = 0; q < s; q++)
            if (p->slots[q].kind == SLOT_CONST && p->slots[q].t.d == sl->t.d && p->slots[q].t16.d) {
                sl->t16 = p->slots[q].t16;
                sl->t16.owned = false;
                break;
            }
        if (sl->t16.d) continue;
        sl->t16 = sl->t;
        sl->t16.d = malloc((sl->t.n ? sl->t.n : 1) * sizeof(float));
        if (!sl->t16.d) return -1;
        sl->t16.owned = true;
        for (size_t i = 0; i < sl->t.n; i++) sl->t16.d[i] = exec_r16(sl->t.d[i]);
    }
    return 0;
}

static void release_slot(exec_plan *p, xslot *sl) {
    free(sl->t.aux);
    sl->t.aux = NULL;
    free(sl->t.wide);
    sl->t.wide = NULL;
    sl->t.strs = NULL;
    sl->t.ikeys = NULL;
    sl->t.nstr = 0;
    if (sl->t.lst) {
        if (sl->t.owned) exec_list_free(sl->t.lst);
        sl->t.lst = NULL;
    }
    if (sl->t.owned) {
        if (sl->kind == SLOT_RUNTIME && sl->t.cap) pool_put(p, sl->t.d, sl->t.cap);
        else free(sl->t.d);
    }
    sl->t.d = NULL;
    sl->t.owned = false;
}

static void count_nonfinite(const float *d, size_t n, uint64_t *nan, uint64_t *inf) {
    for (size_t i = 0; i < n; i++) {
        if (d[i] != d[i]) (*nan)++;
        else if (isinf(d[i])) (*inf)++;
    }
}

/* per-range partial statistics of one output (at most 64 ranges) */
typedef struct scan_job {
    float *d;
    bool fp16;
    uint32_t mx[64];
    uint64_t nf[64], ovf[64];
} scan_job;

EXEC_HOT static void scan_range(void *arg, size_t b, size_t e, int range) {
    scan_job *j = arg;
    const float *d = j->d;
    /* on |x| bit patterns: integer order is float order, so the loop is
     * integer-only and vectorises */
    uint32_t mx = 0, nf = 0, ovf = 0;
    for (size_t i = b; i < e; i++) {
        uint32_t u;
        memcpy(&u, &d[i], 4);
        uint32_t ab = u & 0x7fffffffu;
        uint32_t fin = ab < 0x7f800000u;
        uint32_t v = ab & (0u - fin);
        mx = v > mx ? v : mx;
        nf += 1u - fin;
        ovf += fin & (ab > 0x477fe000u); /* 65504 */
    }
    j->mx[range] = mx;
    j->nf[range] = nf;
    j->ovf[range] = ovf;
    if (j->fp16) exec_r16_buf(j->d + b, e - b);
}

/* the stats of an op's float output (max |x| before rounding, overflow,
 * NaN/Inf after rounding), then the fp16 rounding in emulation mode */
static void scan_output(exec_plan *p, xt *t, bool fp16, exec_op_stat *st) {
    size_t n = t->n;
    scan_job j;
    memset(j.mx, 0, sizeof j.mx);
    memset(j.nf, 0, sizeof j.nf);
    memset(j.ovf, 0, sizeof j.ovf);
    j.d = t->d;
    j.fp16 = fp16;
    /* the grain keeps at most 64 ranges: the partial arrays' size */
    size_t grain = n / 64 + 1 > (1u << 15) ? n / 64 + 1 : (1u << 15);
    exec_par_for(p, n, grain, scan_range, &j);
    uint32_t mx = 0;
    uint64_t nf = 0, ovf = 0;
    for (int r = 0; r < 64; r++) {
        mx = j.mx[r] > mx ? j.mx[r] : mx;
        nf += j.nf[r];
        ovf += j.ovf[r];
    }
    float fmx;
    memcpy(&fmx, &mx, 4);
    if (fmx > st->max_abs) st->max_abs = fmx;
    if (fp16) {
        st->n_overflow += ovf;
        if (nf || ovf) count_nonfinite(t->d, n, &st->n_nan, &st->n_inf);
    } else if (nf) {
        count_nonfinite(t->d, n, &st->n_nan, &st->n_inf);
    }
}

static void to_tensor(exec_tensor *o, const char *name, const xt *t) {
    memset(o, 0, sizeof *o);
    o->name = name;
    o->dtype = t->dt;
    o->rank = t->rank;
    for (int k = 0; k < t->rank; k++) o->shape[k] = t->dim[k];
    o->data = t->d;
    if (t->dt == EXEC_DT_STRING || t->dt == EXEC_DT_DICT) {
        o->strings = t->strs;
        o->int_keys = t->ikeys;
    }
}

/* A label output's class name: the string s, or int64 v written out when s
 * is NULL, in storage the output owns (what the kernel named dies with the
 * run): 0, or -1 out of memory. */
static int label_name(exec_tensor *o, const char *s, int64_t v) {
    char digits[24];
    if (!s) {
        snprintf(digits, sizeof digits, "%lld", (long long)v);
        s = digits;
    }
    char *d = malloc(strlen(s) + 1);
    if (!d) return -1;
    strcpy(d, s);
    o->label = d;
    o->owned_ = d;
    return 0;
}

/* Copies of an output's strings / int64 keys in one block of its own
 * (they may point into the run's inputs): 0, or -1 out of memory. */
static int own_strings(exec_tensor *o, const xt *t) {
    size_t n = exec_tensor_count(o);
    bool names = o->dtype == EXEC_DT_FP32 && (t->strs ? t->nstr == n : t->ikeys != NULL);
    if ((o->dtype == EXEC_DT_DICT || names) && t->ikeys) {
        int64_t *k = malloc((n ? n : 1) * sizeof *k);
        if (!k) return -1;
        memcpy(k, t->ikeys, n * sizeof *k);
        o->int_keys = k;
        o->owned_ = k;
        return 0;
    }
    if (!(o->dtype == EXEC_DT_STRING || o->dtype == EXEC_DT_DICT || names) || !t->strs) {
        o->strings = NULL;
        o->int_keys = NULL;
        return 0;
    }
    if (t->nstr < n) n = t->nstr;
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += strlen(t->strs[i] ? t->strs[i] : "") + 1;
    char **v = malloc(n * sizeof *v + chars + 1);
    if (!v) return -1;
    char *at = (char *)(v + n);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(t->strs[i] ? t->strs[i] : "");
        memcpy(at, t->strs[i] ? t->strs[i] : "", l + 1);
        v[i] = at;
        at += l + 1;
    }
    o->strings = (const char *const *)v;
    o->owned_ = v;
    return 0;
}

/* t's own copy of the caller's exact integer keys (a dictionary's, or an
 * int64 sequence's) */
static int own_int_keys(exec_plan *p, xt *t, const exec_tensor *in) {
    int64_t *kv = malloc((t->n ? t->n : 1) * sizeof *kv);
    if (!kv) {
        snprintf(p->err, sizeof p->err, "out of memory");
        return -1;
    }
    memcpy(kv, in->int_keys, t->n * sizeof *kv);
    t->aux = kv;
    t->ikeys = kv;
    return 0;
}

static int load_input(exec_plan *p, const xio *io, const exec_tensor *in, exec_mode mode) {
    xslot *sl = &p->slots[io->slot];
    xt *t = &sl->t;
    if (in->rank < 0 || in->rank > EXEC_MAX_RANK) {
        snprintf(p->err, sizeof p->err, "input '%s': bad rank %d", io->name, in->rank);
        return -1;
    }
    const cml_value *v = sl->v;
    if (!p->is_nn && v->type.shape.rank >= 0) {
        bool ok = v->type.shape.rank == in->rank;
        for (int k = 0; ok && k < in->rank; k++)
            if (v->type.shape.dims[k] >= 0 && v->type.shape.dims[k] != in->shape[k]) ok = false;
        if (!ok) {
            snprintf(p->err, sizeof p->err, "input '%s': shape does not match the declared type", io->name);
            return -1;
        }
    }
    if (t->owned) free(t->d);
    free(t->aux);
    free(t->wide);
    memset(t, 0, sizeof *t);
    t->rank = in->rank;
    for (int k = 0; k < in->rank; k++) t->dim[k] = in->shape[k];
    t->n = exec_count(t->rank, t->dim);
    if (t->n > EXEC_MAX_ELEMS) { snprintf(p->err, sizeof p->err, "an input has more than 2^40 elements"); return -1; }
    t->d = malloc((t->n ? t->n : 1) * sizeof(float));
    if (!t->d) { snprintf(p->err, sizeof p->err, "out of memory"); return -1; }
    t->owned = true;
    t->dt = sl->decl;
    if (in->data) memcpy(t->d, in->data, t->n * sizeof(float));
    else memset(t->d, 0, t->n * sizeof(float));
    /* a classic model's double input keeps its exact values: Core ML hands
     * a Double feature or DOUBLE multi-array to these models as doubles
     * (SOURCE: apple/coremltools mlmodel/format/FeatureTypes.proto
     * DoubleFeatureType, ArrayFeatureType DOUBLE; the models' parameters are
     * doubles in their protos), and a tree's threshold of 0.1 must meet 0.1,
     * not 0.1f; so does a dictionary, whose values are doubles
     * (FeatureTypes.proto DictionaryFeatureType) */
    if (in->data64 && p->is_classic &&
        ((v->type.dtype == CML_DT_FP64 && in->dtype == EXEC_DT_FP32) || in->dtype == EXEC_DT_DICT)) {
        t->wide = malloc((t->n ? t->n : 1) * sizeof *t->wide);
        if (!t->wide) { snprintf(p->err, sizeof p->err, "out of memory"); return -1; }
        memcpy(t->wide, in->data64, t->n * sizeof *t->wide);
        for (size_t i = 0; i < t->n; i++) t->d[i] = (float)t->wide[i];
    }
    /* strings and dictionaries (classic models): the caller's strings and
     * keys, valid for the run, behind pointer arrays of the slot's own */
    if (in->dtype == EXEC_DT_STRING || in->dtype == EXEC_DT_DICT) {
        t->dt = in->dtype;
        if (in->dtype == EXEC_DT_STRING && !in->strings) {
            snprintf(p->err, sizeof p->err, "input '%s': strings missing", io->name);
            return -1;
        }
        if (in->strings) {
            const char **sv = malloc((t->n ? t->n : 1) * sizeof *sv);
            if (!sv) { snprintf(p->err, sizeof p->err, "out of memory"); return -1; }
            for (size_t i = 0; i < t->n; i++) sv[i] = in->strings[i] ? in->strings[i] : "";
            t->aux = sv;
            t->strs = sv;
            t->nstr = t->n;
        } else if (in->int_keys && own_int_keys(p, t, in) != 0) {
            return -1;
        }
        return 0;
    }
    /* an int64 sequence: its exact values too (ids past 2^24 do not
     * survive float32) */
    if (in->dtype == EXEC_DT_INT32 && in->int_keys && own_int_keys(p, t, in) != 0) return -1;
    if (t->dt == EXEC_DT_INT32 || t->dt == EXEC_DT_BOOL) {
        for (size_t i = 0; i < t->n; i++) t->d[i] = truncf(t->d[i]);
    } else if (!p->is_classic && (t->dt == EXEC_DT_FP16 || mode == EXEC_FP16_EMU)) {
        for (size_t i = 0; i < t->n; i++) t->d[i] = exec_r16(t->d[i]);
    }
    /* NeuralNetwork image preprocessing: y = channelScale * x + bias[c].
     * SOURCE: NeuralNetwork.proto NeuralNetworkImageScaler comment; the
     * bias order follows the image's colour layout (RGB or BGR). */
    if (p->is_nn && io->feature && io->feature->kind == CML_FEAT_IMAGE) {
        const cml_preprocess *pp = NULL;
        for (size_t i = 0; i < p->m->n_preprocess; i++) {
            const cml_preprocess *q = p->m->preprocess[i];
            if (q->is_scaler && (!q->feature || !*q->feature || !strcmp(q->feature, io->name))) pp = q;
        }
        if (pp && t->rank >= 3) {
            int64_t C = t->dim[t->rank - 3], HW = t->dim[t->rank - 2] * t->dim[t->rank - 1];
            size_t outer = t->n / exec_nz(C * HW);
            for (size_t ob = 0; ob < outer; ob++)
                for (int64_t ch = 0; ch < C; ch++) {
                    double bias;
                    if (C == 1) bias = pp->gray_bias;
                    else if (io->feature->color == CML_COLOR_BGR)
                        bias = ch == 0 ? pp->blue_bias : ch == 1 ? pp->green_bias : pp->red_bias;
                    else bias = ch == 0 ? pp->red_bias : ch == 1 ? pp->green_bias : pp->blue_bias;
                    float *x = t->d + (ob * (size_t)C + (size_t)ch) * (size_t)HW;
                    for (int64_t i = 0; i < HW; i++) x[i] = (float)(pp->scale * x[i] + bias);
                }
            if (mode == EXEC_FP16_EMU)
                for (size_t i = 0; i < t->n; i++) t->d[i] = exec_r16(t->d[i]);
        }
    }
    /* the rank the layers see: [Seq, B, C, H, W] under the rank-5 mappings
     * (rank 1 [C] and rank 3 [C, H, W] as the proto says; rank 2 is read
     * as [Seq, C], rank 4 as [B, C, H, W]) */
    bool image = io->feature && io->feature->kind == CML_FEAT_IMAGE;
    if (p->nn_graph && t->rank < 5 && (image ? p->nn_rank5_images : p->nn_rank5_arrays)) {
        int64_t d5[5] = {1, 1, 1, 1, 1};
        switch (t->rank) {
        case 1: d5[2] = t->dim[0]; break;
        case 2: d5[0] = t->dim[0]; d5[2] = t->dim[1]; break;
        case 3: d5[2] = t->dim[0]; d5[3] = t->dim[1]; d5[4] = t->dim[2]; break;
        case 4: for (int k = 0; k < 4; k++) d5[k + 1] = t->dim[k]; break;
        default: break;
        }
        t->rank = 5;
        memcpy(t->dim, d5, sizeof d5);
    }
    return 0;
}

/* An NN output as the description declares it: under the rank-5 mapping a
 * [1, 1, C, 1, 1] blob is the [C] the model promises (same values, the
 * declared shape when the counts agree; an image as [1, C, H, W]). */
static void nn_output_shape(const exec_plan *p, const xio *io, exec_tensor *o) {
    if (!p->nn_graph || !io->feature || o->rank != 5) return;
    const cml_feature *f = io->feature;
    size_t n = exec_tensor_count(o);
    if (f->kind == CML_FEAT_IMAGE) {
        if (o->shape[0] != 1) return;
        for (int k = 0; k < 4; k++) o->shape[k] = o->shape[k + 1];
        o->rank = 4;
        return;
    }
    if (f->kind != CML_FEAT_MULTIARRAY || f->shape.rank <= 0 || f->shape.rank > EXEC_MAX_RANK) return;
    int64_t want = 1;
    for (int k = 0; k < f->shape.rank; k++) {
        if (f->shape.dims[k] <= 0) return;
        want *= f->shape.dims[k];
    }
    if ((size_t)want != n) return;
    o->rank = f->shape.rank;
    for (int k = 0; k < f->shape.rank; k++) o->shape[k] = f->shape.dims[k];
}

/* Run the steps [b, e) of one block: each control-flow step runs its own
 * nested steps (its kernel calls exec_block_run / exec_run_block), so they
 * are skipped here. Statistics add up over the executions of a step within
 * a run. A NeuralNetwork output that aliases an input (a shadow) moves into
 * place after its step. -1 on failure, else the EXEC_FLOW_* code a
 * loopBreak / loopContinue raised (EXEC_FLOW_NEXT: ran to the end). */
static int run_steps(exec_plan *p, exec_mode mode, size_t b, size_t e) {
    for (size_t i = b; i < e; i = p->steps[i].next > i ? p->steps[i].next : i + 1) {
        const xstep *st = &p->steps[i];
        exec_op_stat *os = &p->stats[i];
        /* done: an earlier step's fused kernel (exec_conv.c) wrote this
         * step's output and statistics; its time is in that step's */
        bool pre = st->done;
        p->steps[i].done = false;
        xctx c = {.p = p, .st = st, .op = st->op, .mode = mode};
        if (p->opts.on_op_start) p->opts.on_op_start(p->opts.hook_user, i, st->op);
        double t0 = now_ms();
        xtmp *mark = p->tmp; /* stored-form constants this step decodes are freed after it */
        if (!pre && st->fn(&c) != 0) {
            if (!p->err[0]) exec_fail(&c, "failed");
            return -1;
        }
        for (size_t j = 0; !pre && j < st->op->n_outputs; j++) {
            xslot *sl = &p->slots[out_slot(st, j)];
            if (!sl->t.d) continue;
            os->n_values += sl->t.n;
            if (dt_is_float(sl->t.dt) && !c.scanned)
                scan_output(p, &sl->t,
                            !p->is_classic &&
                                (mode == EXEC_FP16_EMU || (mode == EXEC_TYPED && sl->decl == EXEC_DT_FP16)),
                            os);
        }
        /* a control-flow step's time includes its blocks' */
        os->ms += now_ms() - t0;
        if (p->first_nf < 0 && (os->n_nan || os->n_inf)) p->first_nf = (long)i;
        if (p->first_ovf < 0 && os->n_overflow) p->first_ovf = (long)i;
        if (p->opts.hook) {
            exec_tensor tv[16];
            size_t nt = 0;
            for (size_t j = 0; j < st->op->n_outputs && nt < 16; j++) {
                xslot *sl = &p->slots[out_slot(st, j)];
                if (sl->t.d) to_tensor(&tv[nt++], st->op->outputs[j]->name, &sl->t);
            }
            p->opts.hook(p->opts.hook_user, i, os, tv, nt);
        }
        for (size_t j = 0; st->shadow && j < st->op->n_outputs; j++) {
            if (st->shadow[j] < 0) continue;
            xslot *sh = &p->slots[st->shadow[j]], *dst = &p->slots[st->out_slots[j]];
            if (!sh->t.d) continue;
            release_slot(p, dst);
            dst->t = sh->t;
            memset(&sh->t, 0, sizeof sh->t);
        }
        for (size_t k = 0; k < st->n_release; k++) release_slot(p, &p->slots[st->release[k]]);
        lz_step_free_to(p, mark);
        if (c.flow != EXEC_FLOW_NEXT) return c.flow;
    }
    return EXEC_FLOW_NEXT;
}

const xt *exec_blob(xctx *c, const char *name) {
    int s = c->p->nn_graph ? xmap_get(&c->p->names, name) : -1;
    return s >= 0 ? slot_view(c, s) : NULL;
}

int exec_run_block(xctx *c, size_t which) {
    const xstep *st = c->st;
    if (which >= st->n_subs) return EXEC_FLOW_NEXT;
    return run_steps(c->p, c->mode, st->subs[which].begin, st->subs[which].end);
}

/* by name, then by position: the last of a run of equal names is the
 * one a scan from the first to the last given input would have kept */
static int input_cmp(const void *a, const void *b) {
    const exec_tensor *x = *(const exec_tensor *const *)a, *y = *(const exec_tensor *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x < y ? -1 : x > y);
}

static const exec_tensor *find_input(const exec_tensor **by, size_t n, const char *name) {
    size_t lo = 0, hi = n; /* the first index whose name is after name */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(by[mid]->name, name) <= 0) lo = mid + 1;
        else hi = mid;
    }
    return lo && !strcmp(by[lo - 1]->name, name) ? by[lo - 1] : NULL;
}

int exec_run(exec_plan *p, exec_mode mode, const exec_tensor *inputs, size_t n_in,
             exec_tensor **outputs, size_t *n_out, exec_stats *stats) {
    if (!p) return -1;
    p->err[0] = 0;
    if (outputs) *outputs = NULL;
    if (n_out) *n_out = 0;
    double t_start = now_ms();
    if (mode == EXEC_FP16_EMU && make_const16(p) != 0) {
        snprintf(p->err, sizeof p->err, "out of memory");
        return -1;
    }
    int rc = -1;
    /* the given inputs by name (the last of equal names wins), sorted once:
     * a scan per input took the run quadratic in a model's inputs (30,000
     * of them: past 20 s a run) */
    const exec_tensor **by = n_in ? malloc(n_in * sizeof *by) : NULL;
    size_t nb = 0;
    if (n_in && !by) {
        snprintf(p->err, sizeof p->err, "out of memory");
        return -1;
    }
    for (size_t j = 0; j < n_in; j++)
        if (inputs[j].name) by[nb++] = &inputs[j];
    if (nb > 1) qsort(by, nb, sizeof *by, input_cmp);
    for (size_t i = 0; i < p->n_ins; i++) {
        const exec_tensor *in = find_input(by, nb, p->ins[i].name);
        if (!in) {
            snprintf(p->err, sizeof p->err, "input '%s' not given", p->ins[i].name);
            goto done;
        }
        if (load_input(p, &p->ins[i], in, mode) != 0) goto done;
    }
    p->first_nf = p->first_ovf = -1;
    p->rng_calls = 0;
    p->loop_iters = 0;
    memset(p->stats, 0, (p->n_steps ? p->n_steps : 1) * sizeof *p->stats);
    for (size_t i = 0; i < p->n_steps; i++) p->stats[i].op = p->steps[i].op;
    {
        int flow = run_steps(p, mode, 0, p->n_steps);
        if (flow < 0) goto done;
        if (flow != EXEC_FLOW_NEXT) {
            snprintf(p->err, sizeof p->err, "a %s layer ran outside any loop",
                     flow == EXEC_FLOW_BREAK ? "loopBreak" : "loopContinue");
            goto done;
        }
    }
    long first_nf = p->first_nf, first_ovf = p->first_ovf;
    /* outputs */
    exec_tensor *outs = calloc(p->n_outs ? p->n_outs : 1, sizeof *outs);
    if (!outs) { snprintf(p->err, sizeof p->err, "out of memory"); goto done; }
    for (size_t i = 0; i < p->n_outs; i++) {
        const xio *io = &p->outs[i];
        if (io->slot < 0) continue;
        const xt *t = &p->slots[io->slot].t;
        to_tensor(&outs[i], io->name, t);
        nn_output_shape(p, io, &outs[i]);
        outs[i].data = malloc((t->n ? t->n : 1) * sizeof(float));
        if (!outs[i].data || own_strings(&outs[i], t) != 0) {
            exec_tensors_free(outs, p->n_outs);
            snprintf(p->err, sizeof p->err, "out of memory");
            goto done;
        }
        /* the doubles a classic model computed for an output it declares
         * double, beside their float32 rounding (--save-outputs writes them
         * as float64) */
        if (t->wide && t->d) {
            double *w = malloc((t->n ? t->n : 1) * sizeof *w);
            if (!w) {
                exec_tensors_free(outs, p->n_outs);
                snprintf(p->err, sizeof p->err, "out of memory");
                goto done;
            }
            memcpy(w, t->wide, t->n * sizeof *w);
            outs[i].data64 = w;
        }
        if (t->d) memcpy(outs[i].data, t->d, t->n * sizeof(float));
        else if (t->lz) exec_lz_decode(t->lz, 0, t->n, outs[i].data,
                                       mode == EXEC_FP16_EMU && dt_is_float(t->dt) && !p->is_classic);
        /* a label names its class from the classes its kernel gave it (a
         * classic classifier's, classify's), else the model's (an NN
         * classifier's); a pipeline's labels are its last stage's */
        if (t->dt == EXEC_DT_LABEL) {
            const char *const *ls = t->strs;
            const int64_t *lk = t->ikeys;
            size_t nl = t->nstr;
            if (!ls && !lk) {
                ls = p->m->string_labels;
                lk = p->m->int64_labels;
                nl = p->m->n_class_labels;
            }
            size_t at = exec_label_at(t, nl);
            if (at != SIZE_MAX && (ls || lk) && label_name(&outs[i], ls ? ls[at] : NULL, lk ? lk[at] : 0) != 0) {
                exec_tensors_free(outs, p->n_outs);
                snprintf(p->err, sizeof p->err, "out of memory");
                goto done;
            }
        }
    }
    for (size_t i = 0; i < p->n_outs; i++) {
        const xio *io = &p->outs[i];
        if (io->slot >= 0) continue;
        const exec_tensor *pr = &outs[io->derived_label];
        size_t n = exec_tensor_count(pr), best = 0;
        for (size_t k = 1; k < n; k++)
            if (pr->data[k] > pr->data[best]) best = k;
        outs[i].name = io->name;
        outs[i].dtype = EXEC_DT_LABEL;
        outs[i].rank = 1;
        outs[i].shape[0] = 1;
        outs[i].data = malloc(sizeof(float));
        if (!outs[i].data) { exec_tensors_free(outs, p->n_outs); snprintf(p->err, sizeof p->err, "out of memory"); goto done; }
        outs[i].data[0] = (float)best;
        const cml_model *m = p->m;
        if ((m->string_labels || m->int64_labels) && best < m->n_class_labels &&
            label_name(&outs[i], m->string_labels ? m->string_labels[best] : NULL,
                       m->int64_labels ? m->int64_labels[best] : 0) != 0) {
            exec_tensors_free(outs, p->n_outs);
            snprintf(p->err, sizeof p->err, "out of memory");
            goto done;
        }
    }
    /* an NN classifier's probabilities, declared a dictionary: the model's
     * class labels go with the vector */
    for (size_t i = 0; i < p->n_outs; i++) {
        const xio *io = &p->outs[i];
        exec_tensor *o = &outs[i];
        if (o->dtype != EXEC_DT_FP32 || o->strings || o->int_keys || !io->feature ||
            io->feature->kind != CML_FEAT_DICTIONARY || exec_tensor_count(o) != p->m->n_class_labels)
            continue;
        if (p->m->string_labels) o->strings = p->m->string_labels;
        else o->int_keys = p->m->int64_labels;
    }
    if (outputs) *outputs = outs;
    else exec_tensors_free(outs, p->n_outs);
    if (n_out) *n_out = p->n_outs;
    if (stats) {
        stats->n_ops = p->n_steps;
        stats->ops = p->stats;
        stats->first_nonfinite = first_nf;
        stats->first_overflow = first_ovf;
        stats->total_ms = now_ms() - t_start;
    }
    rc = 0;
done:
    free(by);
    lz_step_free(p);
    for (size_t s = 0; s < p->n_slots; s++)
        if (p->slots[s].kind == SLOT_RUNTIME || p->slots[s].kind == SLOT_INPUT) release_slot(p, &p->slots[s]);
    /* a run that stopped early leaves no fused step marked for the next */
    for (size_t i = 0; i < p->n_steps; i++) p->steps[i].done = false;
    return rc;
}

/* ---- inputs ---------------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The strings a classic model's ops reading v know (one-hot categories,
 * mapping keys, vectorizer keys, a string imputer's missing value ...):
 * up to max of them into out, the count in all. */
static size_t vocab_strings(const cml_value *v, const char **out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < v->n_consumers; i++) {
        const cml_op *op = v->consumers[i];
        for (size_t j = 0; op && j < op->n_attrs; j++) {
            const cml_attr *a = op->attrs[j];
            if (a->kind == CML_ATTR_STRINGS && !strstr(a->name, "ClassLabels") && !strstr(a->name, "FeatureName")) {
                for (size_t k = 0; k < a->n; k++, n++)
                    if (n < max) out[n] = a->strings[k];
            } else if (a->kind == CML_ATTR_STRING && !strcmp(a->name, "replaceStringValue")) {
                if (n < max) out[n] = a->s;
                n++;
            }
        }
    }
    return n;
}

/* The same for int64 values (int64 categories, mapping keys, item ids). */
static size_t vocab_ints(const cml_value *v, int64_t *out, size_t max) {
    static const char *const names[] = {"int64Categories.vector", "int64ToStringMap.map.key", "int64ToIndex.vector",
                                        "itemInt64Ids.vector", "imputedInt64Dictionary.map.key"};
    size_t n = 0;
    for (size_t i = 0; i < v->n_consumers; i++) {
        const cml_op *op = v->consumers[i];
        for (size_t j = 0; op && j < op->n_attrs; j++) {
            const cml_attr *a = op->attrs[j];
            if (a->kind != CML_ATTR_INTS) continue;
            bool known = false;
            for (size_t k = 0; k < sizeof names / sizeof *names; k++) known = known || !strcmp(a->name, names[k]);
            /* an item-similarity model without ids numbers its items */
            if (!known && !(!strcmp(a->name, "itemItemSimilarities.itemId") && !cml_op_attr(op, "itemStringIds.vector") &&
                            !cml_op_attr(op, "itemInt64Ids.vector")))
                continue;
            for (size_t k = 0; k < a->n; k++, n++)
                if (n < max) out[n] = a->ints[k];
        }
    }
    return n;
}

/* A generated string, int64 or dictionary input of a classic model:
 * values the model knows (vocab_*), a dictionary holding each known key
 * with probability 1/2 (at least one) and values in [0, 1). */
static int gen_categorical(const cml_value *v, const cml_feature *f, uint64_t *s, exec_tensor *o) {
    bool dict = f->kind == CML_FEAT_DICTIONARY, skeys = f->kind == CML_FEAT_STRING ||
                                                       (dict && f->key_kind == CML_FEAT_STRING);
    size_t nv = skeys ? vocab_strings(v, NULL, 0) : vocab_ints(v, NULL, 0);
    size_t nk = nv ? nv : 1;
    const char **sv = NULL;
    int64_t *iv = NULL;
    if (skeys) {
        sv = malloc(nk * sizeof *sv);
        if (!sv) return -1;
        if (nv) vocab_strings(v, sv, nv);
        else sv[0] = "a";
    } else {
        iv = malloc(nk * sizeof *iv);
        if (!iv) return -1;
        if (nv) vocab_ints(v, iv, nv);
        else iv[0] = 0;
    }
    if (!dict) {
        /* one value (a scalar feature) picked from the vocabulary */
        size_t pick = (size_t)(splitmix(s) % nk);
        o->rank = 0;
        o->data = malloc(sizeof(float));
        if (!o->data) { free(sv); free(iv); return -1; }
        if (skeys) {
            sv[0] = sv[pick];
            o->dtype = EXEC_DT_STRING;
            o->strings = sv;
            o->owned_ = sv;
            o->data[0] = 0;
        } else {
            o->dtype = EXEC_DT_INT32;
            o->data[0] = (float)iv[pick];
            free(iv);
        }
        return 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < nk; i++) {
        if (!(splitmix(s) & 1) && !(i + 1 == nk && k == 0)) continue;
        if (skeys) sv[k++] = sv[i];
        else iv[k++] = iv[i];
    }
    o->dtype = EXEC_DT_DICT;
    o->rank = 1;
    o->shape[0] = (int64_t)k;
    o->data = malloc((k ? k : 1) * sizeof(float));
    if (!o->data) { free(sv); free(iv); return -1; }
    for (size_t i = 0; i < k; i++) o->data[i] = (float)((double)(splitmix(s) >> 11) * 0x1p-53);
    if (skeys) { o->strings = sv; o->owned_ = sv; }
    else { o->int_keys = iv; o->owned_ = iv; }
    return 0;
}

/* An NN input read as indices by an embedding layer: its values must be
 * in [0, inputDim) (SOURCE: apple/coremltools mlmodel/format/
 * NeuralNetwork.proto EmbeddingLayerParams / EmbeddingNDLayerParams:
 * "Input values must be in the range [0, inputDim - 1]"); the smallest
 * such range, else 0. */
static int64_t nn_index_range(const cml_value *v) {
    int64_t best = 0;
    for (size_t i = 0; i < v->n_consumers; i++) {
        const cml_op *op = v->consumers[i];
        if (!op || !op->is_nn_layer || !op->n_inputs || !op->inputs[0]->n_values || op->inputs[0]->values[0] != v) continue;
        const cml_attr *a = !strcmp(op->kind, "embedding") ? cml_op_attr(op, "inputDim")
                          : !strcmp(op->kind, "embeddingND") ? cml_op_attr(op, "vocabSize") : NULL;
        if (a && a->kind == CML_ATTR_INT && a->i > 0 && (!best || a->i < best)) best = a->i;
    }
    return best;
}

/* An input a classic stage reads as the override of one of its parameters
 * (NonMaximumSuppression's iouThresholdInputFeatureName names the input
 * that overrides iouThreshold): the parameter's own value, so that a
 * generated run uses the model's defaults, not a random threshold; false
 * when no consumer reads it so. SOURCE: mlmodel/format/
 * NonMaximumSuppression.proto (iouThreshold, confidenceThreshold and their
 * ...InputFeatureName overrides). */
static bool override_default(const cml_value *v, double *out) {
    for (size_t i = 0; i < v->n_consumers; i++) {
        const cml_op *op = v->consumers[i];
        for (size_t j = 0; op && j < op->n_attrs; j++) {
            const cml_attr *a = op->attrs[j];
            size_t lp = cml_attr_input_name_prefix(a);
            if (!lp || lp >= 128 || strcmp(a->s, v->name)) continue;
            char param[128];
            memcpy(param, a->name, lp);
            param[lp] = 0;
            const cml_attr *p = cml_op_attr(op, param);
            if (p && p->kind == CML_ATTR_FLOAT) { *out = p->f; return true; }
            if (p && p->kind == CML_ATTR_INT) { *out = (double)p->i; return true; }
        }
    }
    return false;
}

/* Whether an item-similarity recommender reads v as its restriction or
 * exclusion list (itemRestrictionInputFeatureName /
 * itemExclusionInputFeatureName name it). SOURCE: apple/coremltools
 * mlmodel/format/ItemSimilarityRecommender.proto:62-66 (both "Optional";
 * the exclusion "defaults to input item list if not given"). */
static bool item_list_input(const cml_value *v) {
    for (size_t i = 0; i < v->n_consumers; i++) {
        const cml_op *op = v->consumers[i];
        for (size_t j = 0; op && j < op->n_attrs; j++) {
            const cml_attr *a = op->attrs[j];
            if (a->kind == CML_ATTR_STRING && a->s && !strcmp(a->s, v->name) &&
                (!strcmp(a->name, "itemRestrictionInputFeatureName") || !strcmp(a->name, "itemExclusionInputFeatureName")))
                return true;
        }
    }
    return false;
}

/* A generated sequence input (FeatureTypes.proto SequenceFeatureType: of
 * int64 or of strings): each value the model knows (vocab_*) with
 * probability 1/2, at least one ("a" or 0 when it knows none); a string
 * sequence as EXEC_DT_STRING, an int64 one as EXEC_DT_INT32 with the exact
 * values in int_keys. */
static int gen_sequence(const cml_value *v, const cml_feature *f, uint64_t *s, exec_tensor *o) {
    bool strs = f->element_kind == CML_FEAT_STRING;
    size_t nv = strs ? vocab_strings(v, NULL, 0) : vocab_ints(v, NULL, 0), nk = nv ? nv : 1;
    const char **sv = strs ? malloc(nk * sizeof *sv) : NULL;
    int64_t *iv = strs ? NULL : malloc(nk * sizeof *iv);
    o->data = malloc(nk * sizeof(float));
    if ((strs && !sv) || (!strs && !iv) || !o->data) {
        free(sv);
        free(iv);
        return -1;
    }
    if (strs) {
        if (nv) vocab_strings(v, sv, nv);
        else sv[0] = "a";
    } else {
        if (nv) vocab_ints(v, iv, nv);
        else iv[0] = 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < nk; i++) {
        if (!(splitmix(s) & 1) && !(i + 1 == nk && k == 0)) continue;
        if (strs) sv[k] = sv[i];
        else iv[k] = iv[i];
        o->data[k] = strs ? 0.0f : (float)iv[k];
        k++;
    }
    o->rank = 1;
    o->shape[0] = (int64_t)k;
    o->dtype = strs ? EXEC_DT_STRING : EXEC_DT_INT32;
    if (strs) { o->strings = sv; o->owned_ = sv; }
    else { o->int_keys = iv; o->owned_ = iv; }
    return 0;
}

int exec_make_inputs(const cml_model *m, const char *function, uint64_t seed, exec_tensor **inputs,
                     size_t *n_inputs, char *err, size_t errlen) {
    *inputs = NULL;
    *n_inputs = 0;
    const cml_function *fn = m ? cml_model_function(m, function) : NULL;
    if (!fn) { exec_seterr(err, errlen, "function not found"); return -1; }
    exec_tensor *t = calloc(fn->n_inputs ? fn->n_inputs : 1, sizeof *t);
    feat_index fx;
    if (!t || feat_index_build(&fx, m, fn->name) != 0) {
        free(t);
        exec_seterr(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 0;
    uint64_t s = seed;
    for (size_t i = 0; i < fn->n_inputs; i++) {
        const cml_value *v = fn->inputs[i];
        if (v->is_state || v->type.kind == CML_TYPE_STATE) continue;
        const cml_feature *f = find_feature(&fx, true, v->name, false);
        exec_tensor *o = &t[n];
        o->name = v->name;
        bool image = f && f->kind == CML_FEAT_IMAGE;
        if (image) {
            int64_t C = (f->color == CML_COLOR_GRAYSCALE || f->color == CML_COLOR_GRAYSCALE_FLOAT16) ? 1 : 3;
            int64_t H = f->height > 0 ? f->height : 1, W = f->width > 0 ? f->width : 1;
            if (v->type.shape.rank == 4 && v->type.shape.dims[2] > 0 && v->type.shape.dims[3] > 0 &&
                v->type.shape.dims[1] > 0) {
                C = v->type.shape.dims[1]; H = v->type.shape.dims[2]; W = v->type.shape.dims[3];
            }
            o->rank = 4;
            o->shape[0] = 1; o->shape[1] = C; o->shape[2] = H; o->shape[3] = W;
        } else if (f && f->kind == CML_FEAT_MULTIARRAY && f->shape.rank > 0 && f->shape.rank <= EXEC_MAX_RANK) {
            o->rank = f->shape.rank;
            for (int k = 0; k < o->rank; k++) o->shape[k] = f->shape.dims[k] > 0 ? f->shape.dims[k] : 1;
        } else if (v->type.shape.rank >= 0 && v->type.shape.rank <= EXEC_MAX_RANK) {
            o->rank = v->type.shape.rank;
            for (int k = 0; k < o->rank; k++) o->shape[k] = v->type.shape.dims[k] > 0 ? v->type.shape.dims[k] : 1;
        } else {
            o->rank = 1;
            o->shape[0] = 1;
        }
        bool seq = f && f->kind == CML_FEAT_SEQUENCE;
        if (f && f->optional && (f->kind == CML_FEAT_DOUBLE || f->kind == CML_FEAT_INT64 || seq || item_list_input(v))) {
            /* An optional input the probe cannot draw a meaningful value
             * for is left out, as an app that does not set it leaves it:
             * a number (a threshold or count override: the model's own
             * default applies, not a random value), a sequence, and a
             * recommender's restriction or exclusion list (random item ids
             * would restrict the recommendations to items that need not
             * exist, or exclude some by chance). An empty tensor stands for
             * it, typed as the input is (a string sequence as strings, so
             * that --input can replace it from a .txt file). SOURCE:
             * apple/coremltools mlmodel/format/FeatureTypes.proto
             * isOptional; NonMaximumSuppression.proto
             * (iouThresholdInputFeatureName: the input "overrides"
             * iouThreshold when given); ItemSimilarityRecommender.proto
             * (restriction and exclusion "Optional"). */
            bool strs = seq && f->element_kind == CML_FEAT_STRING;
            o->dtype = strs ? EXEC_DT_STRING
                     : f->kind == CML_FEAT_INT64 || seq || (f->kind == CML_FEAT_MULTIARRAY && f->array_dtype == CML_ARR_INT32)
                         ? EXEC_DT_INT32
                         : EXEC_DT_FP32;
            o->rank = 1;
            o->shape[0] = 0;
            o->data = malloc(sizeof(float));
            if (!o->data) goto oom;
            if (strs) {
                const char **none = calloc(1, sizeof *none);
                if (!none) goto oom_one;
                o->strings = none;
                o->owned_ = none;
            }
            n++;
            continue;
        }
        if (seq && (f->element_kind == CML_FEAT_STRING || f->element_kind == CML_FEAT_INT64)) {
            if (gen_sequence(v, f, &s, o) != 0) goto oom_one;
            n++;
            continue;
        }
        if (f && (f->kind == CML_FEAT_STRING || f->kind == CML_FEAT_DICTIONARY ||
                  (f->kind == CML_FEAT_INT64 && vocab_ints(v, NULL, 0)))) {
            if (gen_categorical(v, f, &s, o) != 0) goto oom;
            n++;
            continue;
        }
        bool is_int = (f && f->array_dtype == CML_ARR_INT32) || v->type.dtype == CML_DT_INT32 ||
                      (f && f->kind == CML_FEAT_INT64);
        o->dtype = image ? EXEC_DT_FP32 : is_int ? EXEC_DT_INT32
                 : (v->type.dtype == CML_DT_FP16 || (f && f->array_dtype == CML_ARR_FLOAT16)) ? EXEC_DT_FP16
                 : EXEC_DT_FP32;
        size_t cnt = exec_tensor_count(o);
        if (cnt > EXEC_MAX_ELEMS) {
            feat_index_free(&fx);
            exec_tensors_free(t, n);
            exec_seterr(err, errlen, "input '%s' has more than 2^40 elements", v->name);
            return -1;
        }
        o->data = malloc((cnt ? cnt : 1) * sizeof(float));
        if (!o->data) goto oom;
        int64_t index_range = nn_index_range(v);
        double dflt = 0;
        bool overrides = override_default(v, &dflt);
        for (size_t k = 0; k < cnt; k++) {
            uint64_t r = splitmix(&s);
            if (overrides) o->data[k] = (float)dflt;
            else if (image) o->data[k] = (float)(r % 256);
            else if (index_range > 0) o->data[k] = (float)(r % (uint64_t)index_range);
            else if (is_int) o->data[k] = (float)(r % 10);
            else o->data[k] = exec_r16((float)((double)(r >> 11) * 0x1p-53 * 2.0 - 1.0));
        }
        n++;
    }
    feat_index_free(&fx);
    *inputs = t;
    *n_inputs = n;
    return 0;
oom_one:
    /* the tensor being made is not counted in n yet */
    free(t[n].data);
    t[n].data = NULL;
oom:
    feat_index_free(&fx);
    exec_tensors_free(t, n);
    exec_seterr(err, errlen, "out of memory");
    return -1;
}

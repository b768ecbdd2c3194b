/* SPDX-License-Identifier: Apache-2.0 */
/* mil_control.c — ML Program control flow, lists and random ops.
 *
 * cond runs one of its two blocks; while_loop runs its condition block and
 * its body block on loop variables the kernel holds (copies, so a body may
 * return its inputs or outer values), within the run's budget of loop
 * iterations (exec_loop_tick: every loop of a run, nested ones included,
 * counts against one limit): a model whose loop never ends fails with a
 * message instead of hanging the probe. The nested blocks' steps run through exec_block_run (exec.c), with
 * the statistics, hooks and releases of any other step. Lists are values
 * (xlist): list_write and list_scatter return a new list. random_* ops draw
 * from a seeded generator (xoshiro256**) whose sequence every run of a plan
 * repeats; the plan marks the outputs that depend on them (exec.c) so the
 * probe does not report fp16 divergence there.
 * SOURCE: apple/coremltools coremltools/converters/mil/mil/ops/defs/iOS15/
 * control_flow.py (cond, while_loop, make_list, list_length, list_write,
 * list_read, list_gather, list_scatter) and random.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mil.h"

/* list lengths beyond this are refused (an index is untrusted input) */
#define EXEC_LIST_MAX_LEN (1u << 20)

/* ---- cond ------------------------------------------------------------------------ */

/* SOURCE: control_flow.py cond: pred is a bool scalar; block 0 runs when it
 * is true, block 1 otherwise; the outputs are the chosen block's. */
static int k_cond(xctx *c) {
    const xt *pr = exec_in(c, "pred");
    NEED(pr, "pred");
    if (pr->n != 1) return exec_fail(c, "pred must hold one value (has %zu)", pr->n);
    size_t k = pr->d[0] != 0 ? 0 : 1;
    if (exec_block_count(c) != 2) return exec_fail(c, "cond needs two blocks");
    if (exec_block_run(c, k) != 0) return -1;
    for (size_t i = 0; i < exec_n_outputs(c); i++) {
        const xt *o = exec_block_output(c, k, i);
        if (!o || (!o->d && !o->lst)) return exec_fail(c, "block %zu output %zu has no value", k, i);
        if (exec_set_out(c, i, o) != 0) return -1;
    }
    return 0;
}

static int chk_cond(const exec_io *io, const cml_op *op, char *why, size_t n) {
    (void)io;
    if (op->n_blocks != 2) { snprintf(why, n, "%zu blocks, not 2", op->n_blocks); return -1; }
    for (size_t k = 0; k < 2; k++) {
        if (op->blocks[k]->n_outputs != op->n_outputs) {
            snprintf(why, n, "block %zu returns %zu values for %zu outputs", k, op->blocks[k]->n_outputs,
                     op->n_outputs);
            return -1;
        }
        if (op->blocks[k]->n_inputs) { snprintf(why, n, "block %zu takes inputs", k); return -1; }
    }
    return 0;
}

/* ---- while_loop ---------------------------------------------------------------------- */

/* SOURCE: control_flow.py while_loop: blocks [cond, body], each taking the
 * loop variables as its inputs; cond returns one bool; body returns the
 * next values of the loop variables; the outputs are their last values. */
static int k_while_loop(xctx *c) {
    size_t nv = exec_in_count(c, "loop_vars");
    if (exec_block_count(c) != 2 || exec_block_n_inputs(c, 0) != nv || exec_block_n_inputs(c, 1) != nv ||
        exec_block_n_outputs(c, 1) != nv || exec_block_n_outputs(c, 0) != 1 || exec_n_outputs(c) != nv)
        return exec_fail(c, "malformed while_loop");
    xt *cur = calloc(nv ? nv : 1, sizeof *cur);
    if (!cur) return exec_fail(c, "out of memory");
    int rc = -1;
    for (size_t i = 0; i < nv; i++) {
        const xt *v = exec_in_at(c, "loop_vars", i);
        if (!v || (!v->d && !v->lst)) { exec_fail(c, "loop variable %zu has no value", i); goto out; }
        if (exec_xt_dup(&cur[i], v) != 0) { exec_fail(c, "out of memory"); goto out; }
    }
    for (;;) {
        for (size_t i = 0; i < nv; i++)
            if (exec_block_set_input(c, 0, i, &cur[i]) != 0) goto out;
        if (exec_block_run(c, 0) != 0) goto out;
        const xt *pr = exec_block_output(c, 0, 0);
        if (!pr || !pr->d || pr->n != 1) { exec_fail(c, "the condition block did not return one bool"); goto out; }
        if (pr->d[0] == 0) break;
        if (exec_loop_tick(c, "its condition is still true") != 0) goto out;
        for (size_t i = 0; i < nv; i++)
            if (exec_block_set_input(c, 1, i, &cur[i]) != 0) goto out;
        if (exec_block_run(c, 1) != 0) goto out;
        for (size_t i = 0; i < nv; i++) {
            const xt *o = exec_block_output(c, 1, i);
            if (!o || (!o->d && !o->lst)) { exec_fail(c, "body output %zu has no value", i); goto out; }
            xt nx;
            if (exec_xt_dup(&nx, o) != 0) { exec_fail(c, "out of memory"); goto out; }
            exec_xt_free(&cur[i]);
            cur[i] = nx;
        }
    }
    for (size_t i = 0; i < nv; i++)
        if (exec_set_out(c, i, &cur[i]) != 0) goto out;
    rc = 0;
out:
    for (size_t i = 0; i < nv; i++) exec_xt_free(&cur[i]);
    free(cur);
    return rc;
}

static int chk_while(const exec_io *io, const cml_op *op, char *why, size_t n) {
    (void)io;
    const cml_arg *lv = cml_op_input(op, "loop_vars");
    size_t nv = lv ? lv->n_values : 0;
    if (op->n_blocks != 2) { snprintf(why, n, "%zu blocks, not 2", op->n_blocks); return -1; }
    if (op->blocks[0]->n_inputs != nv || op->blocks[1]->n_inputs != nv || op->blocks[1]->n_outputs != nv ||
        op->blocks[0]->n_outputs != 1 || op->n_outputs != nv) {
        snprintf(why, n, "blocks do not match the %zu loop variables", nv);
        return -1;
    }
    return 0;
}

/* ---- lists ------------------------------------------------------------------------------ */

static const xlist *in_list(xctx *c, const char *name) {
    const xt *t = exec_in(c, name);
    return t ? t->lst : NULL;
}

static bool same_shape_as(const xlist *l, const xt *v) {
    if (!l->eshape) return true;
    if (l->erank != v->rank) return false;
    for (int k = 0; k < v->rank; k++)
        if (l->edim[k] != v->dim[k]) return false;
    return true;
}

/* item i = copy of v (grows a dynamic list) */
static int list_put(xctx *c, xlist *l, int64_t i, const float *src, int rank, const int64_t *dim) {
    if (i < 0) return exec_fail(c, "list index %lld is negative", (long long)i);
    if ((uint64_t)i >= l->n) {
        if (!l->dynamic) return exec_fail(c, "index %lld past the fixed length %zu", (long long)i, l->n);
        if ((uint64_t)i >= EXEC_LIST_MAX_LEN) return exec_fail(c, "list index %lld over the executor's cap", (long long)i);
        if (exec_list_reserve(l, (size_t)i + 1) != 0) return exec_fail(c, "out of memory");
        l->n = (size_t)i + 1;
    }
    xt v = {.rank = rank};
    memcpy(v.dim, dim, (size_t)rank * sizeof *dim);
    v.n = exec_count(rank, dim);
    if (!same_shape_as(l, &v)) return exec_fail(c, "element shape differs from the list's");
    if (!l->eshape) {
        l->erank = rank;
        memcpy(l->edim, dim, (size_t)rank * sizeof *dim);
        l->eshape = true;
    }
    xt *it = &l->items[i];
    exec_xt_free(it);
    *it = v;
    it->dt = l->dt;
    it->owned = true;
    it->d = malloc((v.n ? v.n : 1) * sizeof(float));
    if (!it->d) return exec_fail(c, "out of memory");
    memcpy(it->d, src, v.n * sizeof(float));
    return 0;
}

/* SOURCE: control_flow.py make_list: init_length (default 1), dynamic_length
 * (default true), elem_shape (a tuple of ints, or strings for symbolic
 * dims), dtype (default fp32). */
static int k_make_list(xctx *c) {
    const char *dt = exec_ps(c, "dtype");
    int d = mil_dtype(dt ? dt : "fp32");
    if (d < 0) return exec_fail(c, "unsupported list dtype '%s'", dt);
    int64_t len = exec_pi(c, "init_length", 1);
    if (len < 0 || len > (int64_t)EXEC_LIST_MAX_LEN) return exec_fail(c, "init_length %lld out of range", (long long)len);
    xlist *l = exec_list_new((exec_dtype)d);
    if (!l) return exec_fail(c, "out of memory");
    l->dynamic = exec_pb(c, "dynamic_length", true);
    size_t ns = exec_in_count(c, "elem_shape");
    bool known = ns <= EXEC_MAX_RANK;
    for (size_t i = 0; known && i < ns; i++) {
        const xt *e = exec_in_at(c, "elem_shape", i);
        if (!e || !e->d || e->dt == EXEC_DT_STRING) { known = false; break; }
        /* elem_shape as one int tensor, or one scalar per dim */
        if (ns == 1 && e->rank == 1) {
            if (e->n > EXEC_MAX_RANK) { known = false; break; }
            l->erank = (int)e->n;
            for (size_t k = 0; k < e->n; k++) l->edim[k] = exec_f2i(e->d[k]);
            break;
        }
        /* else one int per entry: an empty entry has no value 0 */
        if (e->n < 1) {
            exec_list_free(l);
            return exec_fail(c, "elem_shape entry %zu holds no value", i);
        }
        l->edim[l->erank++] = exec_f2i(e->d[0]);
    }
    for (int k = 0; known && k < l->erank; k++)
        if (l->edim[k] < 0) known = false;
    l->eshape = known;
    if (!known) l->erank = 0;
    if (exec_list_reserve(l, (size_t)len) != 0) { exec_list_free(l); return exec_fail(c, "out of memory"); }
    l->n = (size_t)len;
    return exec_out_list(c, 0, l);
}

/* SOURCE: control_flow.py list_length: an int32 scalar. */
static int k_list_length(xctx *c) {
    const xlist *l = in_list(c, "ls");
    if (!l) return exec_fail(c, "ls is not a list");
    xt *y = exec_out(c, 0, 0, NULL);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = EXEC_DT_INT32;
    y->d[0] = (float)l->n;
    return 0;
}

/* SOURCE: control_flow.py list_write: a new list with value at index. */
static int k_list_write(xctx *c) {
    const xlist *l = in_list(c, "ls");
    const xt *v = exec_in(c, "value");
    if (!l) return exec_fail(c, "ls is not a list");
    NEED(v, "value");
    xlist *nl = exec_list_clone(l);
    if (!nl) return exec_fail(c, "out of memory");
    if (list_put(c, nl, exec_pi(c, "index", 0), v->d, v->rank, v->dim) != 0) { exec_list_free(nl); return -1; }
    return exec_out_list(c, 0, nl);
}

/* element i of l, zeros when never written (shape known) */
static int list_get(xctx *c, const xlist *l, int64_t i, const xt **it) {
    if (i < 0 || (uint64_t)i >= l->n) return exec_fail(c, "list index %lld out of range (length %zu)", (long long)i, l->n);
    *it = &l->items[i];
    if (!(*it)->d && !l->eshape) return exec_fail(c, "list element %lld was never written", (long long)i);
    return 0;
}

/* SOURCE: control_flow.py list_read: the element at index. */
static int k_list_read(xctx *c) {
    const xlist *l = in_list(c, "ls");
    if (!l) return exec_fail(c, "ls is not a list");
    const xt *it = NULL;
    if (list_get(c, l, exec_pi(c, "index", 0), &it) != 0) return -1;
    const int64_t *dim = it->d ? it->dim : l->edim;
    int rank = it->d ? it->rank : l->erank;
    xt *y = exec_out(c, 0, rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    if (it->d) memcpy(y->d, it->d, y->n * sizeof(float));
    else memset(y->d, 0, y->n * sizeof(float));
    return 0;
}

/* SOURCE: control_flow.py list_gather: the elements at indices, stacked on a
 * new leading axis. */
static int k_list_gather(xctx *c) {
    const xlist *l = in_list(c, "ls");
    const xt *ix = exec_in(c, "indices");
    if (!l) return exec_fail(c, "ls is not a list");
    NEED(ix, "indices");
    int rank = -1;
    int64_t dim[EXEC_MAX_RANK];
    for (size_t k = 0; k < ix->n; k++) {
        const xt *it = NULL;
        if (list_get(c, l, exec_f2i(ix->d[k]), &it) != 0) return -1;
        if (rank < 0) {
            rank = it->d ? it->rank : l->erank;
            /* the element's dims go to dim[1..]: one rank up, checked before the copy */
            if (rank + 1 > EXEC_MAX_RANK)
                return exec_fail(c, "rank too large: elements of rank %d stack to rank %d", rank, rank + 1);
            memcpy(dim + 1, it->d ? it->dim : l->edim, (size_t)rank * sizeof *dim);
        }
    }
    if (rank < 0) {
        if (!l->eshape) return exec_fail(c, "empty gather from a list of unknown element shape");
        rank = l->erank;
        if (rank + 1 > EXEC_MAX_RANK)
            return exec_fail(c, "rank too large: elements of rank %d stack to rank %d", rank, rank + 1);
        memcpy(dim + 1, l->edim, (size_t)rank * sizeof *dim);
    }
    dim[0] = (int64_t)ix->n;
    xt *y = exec_out(c, 0, rank + 1, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t each = exec_count(rank, dim + 1);
    for (size_t k = 0; k < ix->n; k++) {
        const xt *it = &l->items[(size_t)exec_f2i(ix->d[k])];   /* checked by list_get above */
        if (it->d && it->n != each) return exec_fail(c, "list elements differ in shape");
        if (it->d) memcpy(y->d + k * each, it->d, each * sizeof(float));
        else memset(y->d + k * each, 0, each * sizeof(float));
    }
    return 0;
}

/* SOURCE: control_flow.py list_scatter: value[k] written at indices[k]; a
 * dynamic list grows to hold them. */
static int k_list_scatter(xctx *c) {
    const xlist *l = in_list(c, "ls");
    const xt *ix = exec_in(c, "indices"), *v = exec_in(c, "value");
    if (!l) return exec_fail(c, "ls is not a list");
    NEED(ix, "indices");
    NEED(v, "value");
    if (v->rank < 1 || (size_t)v->dim[0] != ix->n) return exec_fail(c, "%zu indices for value of leading dim %lld", ix->n,
                                                               v->rank ? (long long)v->dim[0] : 0LL);
    xlist *nl = exec_list_clone(l);
    if (!nl) return exec_fail(c, "out of memory");
    size_t each = v->n / exec_nz(v->dim[0]);
    for (size_t k = 0; k < ix->n; k++)
        if (list_put(c, nl, exec_f2i(ix->d[k]), v->d + k * each, v->rank - 1, v->dim + 1) != 0) {
            exec_list_free(nl);
            return -1;
        }
    return exec_out_list(c, 0, nl);
}

/* ---- random ------------------------------------------------------------------------------- */

/* xoshiro256** (Blackman and Vigna, public domain algorithm description),
 * state filled by splitmix64 from the seed */
void mil_rng_init(mil_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        r->s[i] = z ^ (z >> 31);
    }
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t mil_rng_next(mil_rng *r) {
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

double mil_rng_unit(mil_rng *r) { return (double)(mil_rng_next(r) >> 11) * 0x1p-53; }

/* the output of shape `shape` (an int tensor) */
static xt *rand_out(xctx *c) {
    const xt *sh = exec_in(c, "shape");
    if (!sh || !sh->d) { exec_fail(c, "missing input 'shape'"); return NULL; }
    if (sh->n > EXEC_MAX_RANK) { exec_fail(c, "rank too large"); return NULL; }
    int64_t dim[EXEC_MAX_RANK];
    for (size_t i = 0; i < sh->n; i++) {
        dim[i] = exec_f2i(sh->d[i]);
        if (dim[i] < 0) { exec_fail(c, "negative dimension in shape"); return NULL; }
    }
    if (exec_count((int)sh->n, dim) > ((size_t)1 << 32)) { exec_fail(c, "shape too large"); return NULL; }
    xt *y = exec_out(c, 0, (int)sh->n, dim);
    if (!y) exec_fail(c, "out of memory");
    return y;
}

/* SOURCE: random.py random_uniform: [low, high), defaults 0 and 1. */
static int k_random_uniform(xctx *c) {
    xt *y = rand_out(c);
    if (!y) return -1;
    double lo = exec_pf(c, "low", 0.0), hi = exec_pf(c, "high", 1.0);
    mil_rng r;
    mil_rng_init(&r, exec_rng_seed(c, exec_pi(c, "seed", -1)));
    for (size_t i = 0; i < y->n; i++) y->d[i] = (float)(lo + (hi - lo) * mil_rng_unit(&r));
    return 0;
}

/* SOURCE: random.py random_normal: mean (0) and stddev (1); Box-Muller. */
static int k_random_normal(xctx *c) {
    xt *y = rand_out(c);
    if (!y) return -1;
    double mean = exec_pf(c, "mean", 0.0), sd = exec_pf(c, "stddev", 1.0);
    mil_rng r;
    mil_rng_init(&r, exec_rng_seed(c, exec_pi(c, "seed", -1)));
    for (size_t i = 0; i < y->n; i += 2) {
        double u1 = 1.0 - mil_rng_unit(&r), u2 = mil_rng_unit(&r);
        double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2; /* 2 pi */
        y->d[i] = (float)(mean + sd * rad * cos(th));
        if (i + 1 < y->n) y->d[i + 1] = (float)(mean + sd * rad * sin(th));
    }
    return 0;
}

/* SOURCE: random.py random_bernoulli: 1 with probability prob (0.5). */
static int k_random_bernoulli(xctx *c) {
    xt *y = rand_out(c);
    if (!y) return -1;
    double pr = exec_pf(c, "prob", 0.5);
    mil_rng r;
    mil_rng_init(&r, exec_rng_seed(c, exec_pi(c, "seed", -1)));
    for (size_t i = 0; i < y->n; i++) y->d[i] = mil_rng_unit(&r) < pr ? 1.0f : 0.0f;
    return 0;
}

/* SOURCE: random.py random_categorical: x holds logits (mode "logits") or
 * probabilities ("probs") on its last axis; `size` draws with replacement
 * per distribution; the output is x.shape[:-1] + [size] of class indices. */
static int k_random_categorical(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank < 1) return exec_fail(c, "x must have rank >= 1");
    const char *mode = exec_ps(c, "mode");
    bool probs = mode && !strcmp(mode, "probs");
    if (mode && !probs && strcmp(mode, "logits")) return exec_fail(c, "unknown mode '%s'", mode);
    int64_t size = exec_pi(c, "size", 1);
    if (size < 0 || size > (1 << 24)) return exec_fail(c, "size %lld out of range", (long long)size);
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    int64_t K = x->dim[x->rank - 1];
    dim[x->rank - 1] = size;
    xt *y = exec_out(c, 0, x->rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t nd = x->n / exec_nz(K);
    double *w = malloc((size_t)exec_nz(K) * sizeof *w);
    if (!w) return exec_fail(c, "out of memory");
    mil_rng r;
    mil_rng_init(&r, exec_rng_seed(c, exec_pi(c, "seed", -1)));
    for (size_t d = 0; d < nd; d++) {
        const float *xd = x->d + d * (size_t)K;
        /* weights exp(logit - max), or the probabilities (= exp(log p)) */
        double mx = -INFINITY, tot = 0;
        if (!probs)
            for (int64_t k = 0; k < K; k++) mx = xd[k] > mx ? xd[k] : mx;
        for (int64_t k = 0; k < K; k++) {
            w[k] = probs ? (xd[k] > 0 ? xd[k] : 0) : exp(xd[k] - mx);
            if (!(w[k] >= 0) || isinf(w[k])) w[k] = 0;
            tot += w[k];
        }
        for (int64_t s = 0; s < size; s++) {
            double u = mil_rng_unit(&r) * tot, acc = 0;
            int64_t pick = K - 1;
            for (int64_t k = 0; k < K; k++) {
                acc += w[k];
                if (u < acc) { pick = k; break; }
            }
            y->d[d * (size_t)size + (size_t)s] = (float)pick;
        }
    }
    free(w);
    return 0;
}

/* ---- table -------------------------------------------------------------------------------- */

#define K(name) {#name, k_##name, NULL}
#define KC(name, chk) {#name, k_##name, chk}
static const exec_kdef KERNELS[] = {
    KC(cond, chk_cond), KC(while_loop, chk_while), K(make_list), K(list_length), K(list_write), K(list_read),
    K(list_gather), K(list_scatter), K(random_uniform), K(random_normal), K(random_bernoulli),
    K(random_categorical),
};
const mil_table EXEC_MIL_CONTROL = {KERNELS, sizeof KERNELS / sizeof *KERNELS};

/* SPDX-License-Identifier: Apache-2.0 */
/* mil_harness.h — running ML Program text through the executor, for the
 * executor's ML Program tests (test_exec_control.c, test_exec_mil_ops.c,
 * test_exec_ops.c).
 *
 * A function written as model.mil text goes into a temporary .mlmodelc
 * folder under a per-process scratch root, is loaded with the host's loader
 * and prepared; runs keep the plan, so a stateful program can run several
 * times. Expectations compare outputs with tolerances relative to
 * 1 + |expected|. */
#ifndef CML_MIL_HARNESS_H
#define CML_MIL_HARNESS_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "exec_host_io.h"
#include "exec_internal.h"
#include "tmptree.h"

static const exec_opts host_opts = {.io = {.read = host_io_read, .stored_as = host_io_stored}};

static char g_root[256];
static int g_seq;

typedef struct res {
    lmodel *lm;
    exec_plan *p;
    exec_tensor *o;
    size_t n;
    exec_stats st;
    int rc;
    char err[1024];
} res;

__attribute__((unused)) static void res_free(res *r) {
    exec_tensors_free(r->o, r->n);
    exec_plan_free(r->p);
    loader_free(r->lm);
    memset(r, 0, sizeof *r);
}

/* a MIL tensor literal of n floats, exact (hex floats); the caller frees it */
__attribute__((unused)) static char *lit(const char *dtype, const char *shape, const float *v, size_t n) {
    size_t cap = 64 + n * 24;
    char *s = malloc(cap);
    size_t k = (size_t)snprintf(s, cap, "tensor<%s, [%s]>([", dtype, shape);
    for (size_t i = 0; i < n; i++) k += (size_t)snprintf(s + k, cap - k, "%s%a", i ? ", " : "", (double)v[i]);
    snprintf(s + k, cap - k, "])");
    return s;
}

/* An exec_opts.hook that keeps the first output of each of the first 8
 * ops as floats (the conv tests compare two paths op by op). */
typedef struct hook_rec {
    float *v[8];
    size_t n[8];
} hook_rec;

__attribute__((unused)) static void rec_hook(void *user, size_t i, const exec_op_stat *st, const exec_tensor *o,
                                             size_t no) {
    hook_rec *h = user;
    (void)st;
    if (i >= 8 || !no) return;
    size_t n = exec_tensor_count(&o[0]);
    free(h->v[i]);
    h->v[i] = malloc((n ? n : 1) * sizeof(float));
    if (h->v[i]) memcpy(h->v[i], o[0].data, n * sizeof(float));
    h->n[i] = h->v[i] ? n : 0;
}

/* The options of one of the conv tests' three passes: 0 the fast path with
 * the hook into h, 1 the BLAS path with it (CML_EXEC_BLAS_CONV is set: the
 * caller unsets it once the plan is prepared), 2 the fast path without a
 * hook (fused chains stay in registers). */
__attribute__((unused)) static exec_opts pass_opts(int pass, int threads, hook_rec *h) {
    if (pass == 1) setenv("CML_EXEC_BLAS_CONV", "1", 1);
    exec_opts o = host_opts;
    o.threads = threads;
    o.hook = pass == 2 ? NULL : rec_hook;
    o.hook_user = h;
    return o;
}

__attribute__((unused)) static void hook_free(hook_rec *h) {
    for (int i = 0; i < 8; i++) free(h->v[i]);
    memset(h, 0, sizeof *h);
}

static void harness_init(void) {
    if (!tmp_make_dir(g_root, sizeof g_root, "cml_mil_")) exit(1);
}

static void harness_done(void) { tmp_remove_tree(g_root); }

static char *new_dir(const char *suffix) {
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/m%d%s", g_root, g_seq++, suffix);
    mkdir(dir, 0700);
    return dir;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, len, f);
    fclose(f);
}

/* a program of one or more functions (text between `program(1.0) {` and `}`) */
static lmodel *load_mil(const char *func) {
    char *dir = new_dir(".mlmodelc");
    size_t n = strlen(func) + 64;
    char *txt = malloc(n);
    snprintf(txt, n, "program(1.0)\n{\n%s}\n", func);
    write_file(dir, "model.mil", txt, strlen(txt));
    free(txt);
    return loader_load(dir, NULL);
}

/* prepare; a failure is a failed check (prep_quiet: the caller expects it may fail) */
__attribute__((unused)) static bool prep_quiet(res *r, const char *func) {
    memset(r, 0, sizeof *r);
    r->lm = load_mil(func);
    if (!r->lm || !r->lm->model) {
        snprintf(r->err, sizeof r->err, "load failed");
        fprintf(stderr, "load failed\n");
        return false;
    }
    r->p = exec_prepare(r->lm->model, NULL, &host_opts, r->err, sizeof r->err);
    return r->p != NULL;
}

__attribute__((unused)) static bool prep(res *r, const char *func) {
    if (prep_quiet(r, func)) return true;
    fprintf(stderr, "prepare failed: %s\n", r->err);
    check_failures_++;
    return false;
}

__attribute__((unused)) static bool again(res *r, exec_mode mode, const exec_tensor *in, size_t n_in) {
    exec_tensors_free(r->o, r->n);
    r->o = NULL;
    r->n = 0;
    r->rc = exec_run(r->p, mode, in, n_in, &r->o, &r->n, &r->st);
    if (r->rc) {
        fprintf(stderr, "run failed: %s\n", exec_last_error(r->p));
        check_failures_++;
    }
    return r->rc == 0;
}

/* one more run whose outcome the caller checks (the earlier outputs are freed) */
__attribute__((unused)) static int run_rc(res *r, exec_mode mode, const exec_tensor *in, size_t n_in) {
    exec_tensors_free(r->o, r->n);
    r->o = NULL;
    r->n = 0;
    return exec_run(r->p, mode, in, n_in, &r->o, &r->n, &r->st);
}

__attribute__((unused)) static bool run(res *r, const char *func, exec_mode mode, const exec_tensor *in, size_t n_in) {
    if (!prep(r, func)) return false;
    return again(r, mode, in, n_in);
}

#define TS(nm, dat, ...)                                                                              \
    ((exec_tensor){.name = nm, .rank = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),     \
                   .shape = {__VA_ARGS__}, .data = (float *)(dat)})
#define TS0(nm, dat) ((exec_tensor){.name = nm, .rank = 0, .data = (float *)(dat)})

__attribute__((unused)) static void expect_vals(const res *r, size_t i, const float *want, size_t n, double tol, int line) {
    if (i >= r->n) {
        fprintf(stderr, "line %d: output %zu missing\n", line, i);
        check_failures_++;
        return;
    }
    size_t got = exec_tensor_count(&r->o[i]);
    if (got != n) {
        fprintf(stderr, "line %d: output %zu has %zu values, expected %zu\n", line, i, got, n);
        check_failures_++;
        return;
    }
    for (size_t k = 0; k < n; k++) {
        double a = r->o[i].data[k], b = want[k];
        if (!(fabs(a - b) <= tol * (1 + fabs(b))) && !(a == b) && !(a != a && b != b)) {
            fprintf(stderr, "line %d: output %zu[%zu] = %.9g, expected %.9g\n", line, i, k, a, b);
            check_failures_++;
            return;
        }
    }
}
#define EXPECT(r, i, tol, ...)                                                                  \
    do {                                                                                        \
        const float w_[] = {__VA_ARGS__};                                                       \
        expect_vals((r), (i), w_, sizeof w_ / sizeof *w_, (tol), __LINE__);                     \
    } while (0)

__attribute__((unused)) static void expect_shape(const res *r, size_t i, int rank, const int64_t *dims, int line) {
    if (i >= r->n) {
        fprintf(stderr, "line %d: output %zu missing\n", line, i);
        check_failures_++;
        return;
    }
    bool ok = r->o[i].rank == rank;
    for (int k = 0; ok && k < rank; k++) ok = r->o[i].shape[k] == dims[k];
    if (!ok) {
        fprintf(stderr, "line %d: output %zu shape rank %d [", line, i, r->o[i].rank);
        for (int k = 0; k < r->o[i].rank; k++) fprintf(stderr, "%s%lld", k ? "," : "", (long long)r->o[i].shape[k]);
        fprintf(stderr, "] differs\n");
        check_failures_++;
    }
}
#define SHAPE(r, i, ...)                                                                        \
    expect_shape((r), (i), (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),           \
                 (const int64_t[]){__VA_ARGS__}, __LINE__)
#define SHAPE0(r, i) expect_shape((r), (i), 0, NULL, __LINE__)

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2), unused));
static char *fmt(const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    size_t n = (size_t)vsnprintf(NULL, 0, f, ap) + 1;
    va_end(ap);
    char *s = malloc(n);
    va_start(ap, f);
    vsnprintf(s, n, f, ap);
    va_end(ap);
    return s;
}

#endif

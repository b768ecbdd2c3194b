/* SPDX-License-Identifier: Apache-2.0 */
/* probe_child.c — the runtime probe's isolated run. probe_run maps a shared
 * anonymous page range for a probe_result, forks, and waits for the child
 * under a wall-clock limit; the child (prb_child_main) caps its address
 * space (RLIMIT_AS: the memory limit on top of what the process already
 * maps; skipped under AddressSanitizer, whose shadow memory reserves
 * terabytes of address space, and on Apple platforms, where the kernel does
 * not enforce it — there the limit is checked against the constants the
 * executor decodes and the child's peak resident memory instead), builds
 * the inputs (generated from the declared types, or the user's .f32/.npy
 * files), prepares the reference executor and predicts `runs` times in
 * fp32 and in fp16 emulation. The first run of each mode samples every
 * op's output (PROBE_SAMPLES evenly spaced values) through the executor's
 * hook, so the fp16 run can say at which ops the divergence from fp32
 * grows most; a baseline model (compare) runs in fp32 on the same inputs
 * and is compared output by output and op by op where op names match.
 * Latencies, per-op times, resident memory after each run and the Core ML
 * measurements (coreml_backend.h) go into a figures JSON text. A crash, a
 * time-out or an allocation failure becomes the result's status; the stage
 * and op the child had reached say where. Test hook: the option test_hook
 * "crash" makes the child raise SIGSEGV at its first op and "hang" makes it
 * sleep forever (the tool's own tests of probe/crash and probe/timeout).
 * Progress goes to stderr, only on a terminal and only once the probe has
 * taken a second (prb_show). */
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE 1
#else
#define _DEFAULT_SOURCE 1
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef __APPLE__
#include <mach/mach.h>
#endif

#include "coreml-lint/hash.h"
#include "coreml-lint/child.h"
#include "exec/exec_api.h"
#include "exec/exec_blas.h"
#include "probe.h"

/* The executor lives in runtime-probe-exec.so, opened in the child only
 * (exec_api.h): the exec_* calls below go through its table. */
static const exec_api *EX;
#define exec_unsupported (EX->unsupported)
#define exec_prepare (EX->prepare)
#define exec_run (EX->run)
#define exec_reset_states (EX->reset_states)
#define exec_last_error (EX->last_error)
#define exec_threads (EX->threads)
#define exec_plan_function (EX->plan_function)
#define exec_plan_n_ops (EX->plan_n_ops)
#define exec_plan_const_bytes (EX->plan_const_bytes)
#define exec_plan_free (EX->plan_free)
#define exec_plan_const (EX->plan_const)
#define exec_make_inputs (EX->make_inputs)
#define exec_tensors_free (EX->tensors_free)
#define exec_tensor_count (EX->tensor_count)
#define exec_round_fp16 (EX->round_fp16)
#define exec_plan_substituted (EX->plan_substituted)
#define exec_output_random (EX->output_random)

/* AddressSanitizer builds: RLIMIT_AS would make the sanitizer's own
 * reservations fail (GCC defines __SANITIZE_ADDRESS__, clang has
 * __has_feature(address_sanitizer)). */
#if defined(__SANITIZE_ADDRESS__)
#define PRB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRB_ASAN 1
#endif
#endif
#ifndef PRB_ASAN
#define PRB_ASAN 0
#endif

static double prb_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- memory figures ----------------------------------------------------------- */

/* Resident and virtual size of this process in bytes (0 when unknown). */
static void prb_mem(uint64_t *rss, uint64_t *vsize) {
    *rss = 0;
    *vsize = 0;
#if defined(__linux__)
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return;
    unsigned long long size = 0, res = 0;
    if (fscanf(f, "%llu %llu", &size, &res) == 2) {
        long pg = sysconf(_SC_PAGESIZE);
        *rss = res * (uint64_t)(pg > 0 ? pg : 4096);
        *vsize = size * (uint64_t)(pg > 0 ? pg : 4096);
    }
    fclose(f);
#elif defined(__APPLE__)
    mach_task_basic_info_data_t info;
    mach_msg_type_number_t count = MACH_TASK_BASIC_INFO_COUNT;
    if (task_info(mach_task_self(), MACH_TASK_BASIC_INFO, (task_info_t)&info, &count) == KERN_SUCCESS) {
        *rss = info.resident_size;
        *vsize = info.virtual_size;
    }
#endif
}

static double prb_rss_mb(void) {
    uint64_t rss, vs;
    prb_mem(&rss, &vs);
    return (double)rss / (1024.0 * 1024.0);
}

/* peak resident set of this process, MB (ru_maxrss: KiB on Linux, bytes on Apple) */
static double prb_peak_self_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
#ifdef __APPLE__
    return (double)ru.ru_maxrss / (1024.0 * 1024.0);
#else
    return (double)ru.ru_maxrss / 1024.0;
#endif
}

/* ---- figures JSON ------------------------------------------------------------------ */

typedef struct prb_json {
    char *p;
    size_t n, cap;
    bool full;
} prb_json;

static void jb(prb_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* appends to a buffer that grows (full: out of memory, the rest dropped) */
static void jb(prb_json *j, const char *fmt, ...) {
    if (j->full) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = j->p ? vsnprintf(j->p + j->n, j->cap - j->n, fmt, ap) : -2;
        va_end(ap);
        if (k == -1) {
            j->full = true;
            return;
        }
        if (k >= 0 && (size_t)k < j->cap - j->n) {
            j->n += (size_t)k;
            return;
        }
        size_t cap = 2 * j->cap + (k > 0 ? (size_t)k : 0) + 4096;
        char *np = realloc(j->p, cap);
        if (!np) {
            j->full = true;
            return;
        }
        j->p = np;
        j->cap = cap;
    }
}

static void jstr(prb_json *j, const char *s) {
    jb(j, "\"");
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c && !j->full; c++) {
        if (*c == '"' || *c == '\\') jb(j, "\\%c", *c);
        else if (*c < 0x20) jb(j, "\\u%04x", *c);
        else jb(j, "%c", *c);
    }
    jb(j, "\"");
}

/* a number, or null when not finite (JSON has no inf/nan) */
static void jnum(prb_json *j, double v) {
    if (isfinite(v)) jb(j, "%.6g", v);
    else jb(j, "null");
}

/* ---- the child's state ----------------------------------------------------------- */

enum { HOOK_OFF = 0, HOOK_RECORD, HOOK_COMPARE16, HOOK_BASELINE };

typedef struct prb_child {
    probe_result *res;
    int out_fd;                 /* the pipe to the parent: the figures JSON */
    const cml_model *m, *base;
    const probe_opts *o;
    const exec_io *io;
    const char *path;
    int hook_mode;
    /* the probed model's runtime ops */
    size_t n_ops;
    const cml_op **ops;
    float *samp;                /* n_ops * PROBE_SAMPLES, first fp32 run */
    uint32_t *samp_k;           /* values sampled per op (0: not a float output) */
    uint64_t *samp_n;           /* element count of the op's first output */
    double *rel16;              /* per op: fp16 vs fp32 relative error */
    double *max32;              /* per op: max |x| in the first fp32 run */
    double *ms32;               /* per op: summed fp32 time */
    /* the baseline's */
    size_t n_ops_a;
    const cml_op **ops_a;
    float *samp_a;
    uint32_t *samp_k_a;
    uint64_t *samp_n_a;
    /* progress on a terminal */
    bool progress;
    double t0, progress_after_ms, last_shown;
    bool progress_shown;
    char phase[64];
    int phase_k, phase_n;
    size_t run_ops;             /* ops of the run in progress (for "op i of n") */
    int runs_asked;             /* runs before the time limit cut them (0: not cut) */
    double first_run_ms;        /* the first fp32 run, which the cut is reckoned from */
} prb_child;

/* The repeated runs (their only use is the latency figures: numerics come
 * from the first run of each mode) may take this share of the probe's time
 * limit; a model whose runs would take longer gets fewer, rather than a
 * probe/timeout after minutes (a 2000 x 2000 super-resolution net takes
 * 20 s a run on two cores: 10 runs in each of two modes are 400 s). */
#define PRB_RUNS_SHARE 0.5

static size_t prb_sample(const exec_tensor *t, float *dst, uint64_t *count) {
    size_t n = exec_tensor_count(t);
    *count = n;
    if (!n || !t->data || (t->dtype != EXEC_DT_FP32 && t->dtype != EXEC_DT_FP16)) return 0;
    size_t k = n < PROBE_SAMPLES ? n : PROBE_SAMPLES;
    for (size_t j = 0; j < k; j++) dst[j] = t->data[(size_t)((uint64_t)j * n / k)];
    return k;
}

/* max |a - b| / max |a| over k samples; inf when a finite value became
 * non-finite */
static double prb_rel(const float *a, const float *b, size_t k) {
    double err = 0, scale = 0;
    for (size_t j = 0; j < k; j++) {
        if (!isfinite(a[j])) continue;
        if (!isfinite(b[j])) return INFINITY;
        double e = fabs((double)a[j] - (double)b[j]);
        if (e > err) err = e;
        if (fabs(a[j]) > scale) scale = fabs(a[j]);
    }
    if (scale > 0) return err / scale;
    return err > 0 ? INFINITY : 0;
}

static void prb_hook(void *user, size_t i, const exec_op_stat *st, const exec_tensor *outs, size_t n_outs) {
    prb_child *c = user;
    if (c->hook_mode == HOOK_OFF || !n_outs) return;
    float tmp[PROBE_SAMPLES];
    uint64_t cnt = 0;
    if (c->hook_mode == HOOK_RECORD && i < c->n_ops) {
        c->ops[i] = st->op;
        c->samp_k[i] = (uint32_t)prb_sample(&outs[0], c->samp + i * PROBE_SAMPLES, &c->samp_n[i]);
    } else if (c->hook_mode == HOOK_COMPARE16 && i < c->n_ops) {
        size_t k = prb_sample(&outs[0], tmp, &cnt);
        c->rel16[i] = (k && k == c->samp_k[i] && cnt == c->samp_n[i]) ? prb_rel(c->samp + i * PROBE_SAMPLES, tmp, k)
                                                                       : NAN;
    } else if (c->hook_mode == HOOK_BASELINE && i < c->n_ops_a) {
        c->ops_a[i] = st->op;
        c->samp_k_a[i] = (uint32_t)prb_sample(&outs[0], c->samp_a + i * PROBE_SAMPLES, &c->samp_n_a[i]);
    }
}

static void prb_show(prb_child *c, size_t op, size_t n_ops);

static void prb_op_start(void *user, size_t i, const cml_op *op) {
    prb_child *c = user;
    c->res->current_op = op;
    if (c->progress && c->run_ops) prb_show(c, i + 1, c->run_ops);
    if (!strcmp(c->o->test_hook, "slow") && i == 0 &&
        (c->res->stage == STAGE_RUN_FP32 || c->res->stage == STAGE_RUN_FP16)) {
        /* test hook: a model whose every run takes 0.2 s */
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!strcmp(c->o->test_hook, "crash") && c->res->stage == STAGE_RUN_FP32) {
        /* test hook: die the way a buggy kernel would */
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
}

/* Progress on a terminal: once the probe has taken longer than a second
 * (CML_PROBE_PROGRESS_AFTER_MS overrides it, for the tests), one stderr
 * line rewritten in place says the phase (model loaded, which mode, run i
 * of n) and, within a run, the op; at most four times a second. Nothing
 * when stderr is not a terminal; never part of the report. */
static void prb_show(prb_child *c, size_t op, size_t n_ops) {
    double now = prb_now_ms();
    /* at most four lines a second (every op with a zero threshold, for the tests) */
    double gap = c->progress_after_ms < 250 ? c->progress_after_ms : 250;
    if (now - c->t0 < c->progress_after_ms || now - c->last_shown < gap)
        return;
    c->last_shown = now;
    const char *base = strrchr(c->path, '/');
    /* the model's file name is the pull request's: only printable ASCII of
     * it reaches the terminal (no control, escape, invisible or bidi
     * character, no broken UTF-8, no "##[": each becomes '?'); the escapes
     * here are the progress line's own. A plugin cannot link the host's
     * sanitizer, and a progress line needs no more than this. */
    char name[256];
    size_t o = 0;
    const unsigned char *q = (const unsigned char *)(base ? base + 1 : c->path);
    for (; *q && o + 1 < sizeof name; q++) {
        bool cmd = *q == '[' && o >= 2 && name[o - 1] == '#' && name[o - 2] == '#';
        name[o++] = *q >= 0x20 && *q < 0x7f && !cmd ? (char)*q : '?';
    }
    name[o] = 0;
    char runs[32] = "", ops[48] = "";
    if (c->phase_n) snprintf(runs, sizeof runs, " %d of %d", c->phase_k, c->phase_n);
    if (n_ops) snprintf(ops, sizeof ops, ", op %zu of %zu", op, n_ops);
    fprintf(stderr, "\rcoreml-lint: probe %s: %s%s%s\033[K", name, c->phase, runs, ops);
    fflush(stderr);
    c->progress_shown = true;
}

static void prb_progress(prb_child *c, const char *what, int k, int n) {
    if (!c->progress) return;
    snprintf(c->phase, sizeof c->phase, "%s", what);
    c->phase_k = k;
    c->phase_n = n;
    c->last_shown = 0;
    prb_show(c, 0, 0);
}

static void prb_progress_end(prb_child *c) {
    if (c->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

static bool prb_oom_msg(const char *m) { return m && strstr(m, "out of memory") != NULL; }

static void prb_fail(probe_result *r, probe_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void prb_fail(probe_result *r, probe_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->status = st;
}

/* ---- inputs --------------------------------------------------------------------- */

static const cml_feature *prb_feature(const cml_model *m, const char *name) {
    for (size_t i = 0; i < m->n_inputs; i++)
        if (m->inputs[i]->name && !strcmp(m->inputs[i]->name, name)) return m->inputs[i];
    for (size_t f = 0; f < m->n_function_descs; f++)
        for (size_t i = 0; i < m->function_descs[f]->n_inputs; i++)
            if (m->function_descs[f]->inputs[i]->name && !strcmp(m->function_descs[f]->inputs[i]->name, name))
                return m->function_descs[f]->inputs[i];
    return NULL;
}

static bool prb_is_nn(const cml_model *m);

/* whether the dictionary input `name` has string keys */
static bool prb_string_keys(const cml_model *m, const char *name) {
    for (size_t i = 0; i < m->n_inputs; i++)
        if (m->inputs[i]->name && !strcmp(m->inputs[i]->name, name))
            return m->inputs[i]->kind == CML_FEAT_DICTIONARY && m->inputs[i]->key_kind == CML_FEAT_STRING;
    return false;
}

/* Values read for an integer input (wide: the file's values as doubles):
 * each an integer of magnitude at most lim, else the input is refused
 * naming the first that is not (a 2.5, or an id float32 would round,
 * would otherwise reach the model changed). 0, or -1 with res set. */
static int prb_check_ints(prb_child *c, const char *name, const char *path, const double *wide, size_t n, double lim,
                          const char *why) {
    for (size_t i = 0; wide && i < n; i++) {
        if (wide[i] == trunc(wide[i]) && fabs(wide[i]) <= lim) continue;
        if (wide[i] != trunc(wide[i]))
            prb_fail(c->res, PROBE_INPUT_ERROR, "--input %s: %s: value %.17g at index %zu is not an integer", name, path,
                     wide[i], i);
        else
            prb_fail(c->res, PROBE_INPUT_ERROR, "--input %s: %s: value %.17g at index %zu is too large: %s", name, path,
                     wide[i], i, why);
        return -1;
    }
    return 0;
}

/* lines[i] of a .txt or .tsv input as an int64 (what: "key" or "value"),
 * or res set naming the file and line: an empty line (an empty string in a
 * string sequence, no int64), text, or a number past int64, which strtoll
 * would clamp. 0, or -1. */
static int prb_int64_line(prb_child *c, const exec_tensor *t, const char *path, char *const *lines, size_t i,
                          const char *what, int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long k = strtoll(lines[i], &end, 10);
    if (end != lines[i] && !*end && !errno) {
        *out = (int64_t)k;
        return 0;
    }
    if (!*lines[i])
        prb_fail(c->res, PROBE_INPUT_ERROR, "--input %s: %s: line %zu is empty, not an int64 %s", t->name, path, i + 1,
                 what);
    else
        prb_fail(c->res, PROBE_INPUT_ERROR, "--input %s: %s: line %zu: '%.60s' is not an int64 %s", t->name, path,
                 i + 1, lines[i], what);
    return -1;
}

/* A string input from a .txt file (one value per line) or a dictionary
 * from a .tsv file (KEY<TAB>VALUE per line; integer keys for an int64-keyed
 * dictionary). 0, or -1 with res set. */
static int prb_text_input(prb_child *c, exec_tensor *t, const char *path) {
    bool dict = t->dtype == EXEC_DT_DICT;
    size_t len = strlen(path);
    const char *want = dict ? ".tsv" : ".txt";
    if (len < 4 || strcmp(path + len - 4, want)) {
        prb_fail(c->res, PROBE_INPUT_ERROR, "--input %s: %s: a %s input is read from a %s file (%s)", t->name, path,
                 dict ? "dictionary" : "string", want, dict ? "KEY<TAB>VALUE per line" : "one value per line");
        return -1;
    }
    size_t n = 0;
    double *vals = NULL;
    char err[PROBE_MSG - 64];
    char **lines = probe_read_lines(path, &n, dict ? &vals : NULL, err, sizeof err);
    if (!lines) {
        prb_fail(c->res, prb_oom_msg(err) ? PROBE_OOM : PROBE_INPUT_ERROR, "--input %s: %s", t->name, err);
        return -1;
    }
    if (!dict && n != exec_tensor_count(t) && t->rank == 0) {
        prb_fail(c->res, PROBE_INPUT_ERROR, "--input %s: %s holds %zu lines, the input is one string", t->name, path, n);
        free(lines);
        return -1;
    }
    float *data = calloc(n ? n : 1, sizeof *data);
    if (!data) {
        free(lines);
        free(vals);
        prb_fail(c->res, PROBE_OOM, "--input %s: out of memory", t->name);
        return -1;
    }
    for (size_t i = 0; vals && i < n; i++) data[i] = (float)vals[i];
    free(t->data);
    free(t->owned_);
    free((void *)(uintptr_t)t->data64); /* exec_tensors_free frees the new one */
    t->data = data;
    t->data64 = vals; /* a dictionary's exact values, else NULL */
    t->owned_ = NULL;
    t->strings = NULL;
    t->int_keys = NULL;
    if (!dict && t->rank == 0) {
        t->owned_ = lines;
        t->strings = (const char *const *)lines;
        return 0;
    }
    t->rank = 1;
    t->shape[0] = (int64_t)n;
    if (dict && t->int_keys == NULL && !prb_string_keys(c->m, t->name)) {
        int64_t *keys = malloc((n ? n : 1) * sizeof *keys);
        if (!keys) {
            free(lines);
            prb_fail(c->res, PROBE_OOM, "--input %s: out of memory", t->name);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (prb_int64_line(c, t, path, lines, i, "key", &keys[i]) != 0) {
                free(keys);
                free(lines);
                return -1;
            }
        free(lines);
        t->int_keys = keys;
        t->owned_ = keys;
        return 0;
    }
    t->strings = (const char *const *)lines;
    t->owned_ = lines;
    return 0;
}

/* An int64 sequence (FeatureTypes.proto SequenceFeatureType int64Type:
 * item ids, say) from a .txt file, one integer per line, kept exact in
 * int_keys; or from a .f32 / .npy array of any length. 0, or -1 with res
 * set. */
static int prb_int_seq_input(prb_child *c, exec_tensor *t, const char *path) {
    size_t n = 0, len = strlen(path);
    char err[PROBE_MSG - 64];
    float *data = NULL;
    int64_t *keys = NULL;
    if (len >= 4 && !strcmp(path + len - 4, ".txt")) {
        char **lines = probe_read_lines(path, &n, NULL, err, sizeof err);
        if (!lines) {
            prb_fail(c->res, prb_oom_msg(err) ? PROBE_OOM : PROBE_INPUT_ERROR, "--input %s: %s", t->name, err);
            return -1;
        }
        data = malloc((n ? n : 1) * sizeof *data);
        keys = malloc((n ? n : 1) * sizeof *keys);
        if (!data || !keys) {
            free(lines);
            free(data);
            free(keys);
            prb_fail(c->res, PROBE_OOM, "--input %s: out of memory", t->name);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            if (prb_int64_line(c, t, path, lines, i, "value", &keys[i]) != 0) {
                free(lines);
                free(data);
                free(keys);
                return -1;
            }
            data[i] = (float)keys[i];
        }
        free(lines);
    } else {
        int rank = -1;
        int64_t dims[EXEC_MAX_RANK];
        double *wide = NULL;
        data = probe_read_array(path, &n, &rank, dims, &wide, err, sizeof err);
        if (!data) {
            prb_fail(c->res, prb_oom_msg(err) ? PROBE_OOM : PROBE_INPUT_ERROR,
                     "--input %s: %s (or .txt, one int64 value per line)", t->name, err);
            return -1;
        }
        /* the ids exactly, as from a .txt file (an '<i8' id past 2^24 is
         * not a float32; past 2^53 probe_read_array refused it) */
        keys = malloc((n ? n : 1) * sizeof *keys);
        if (!keys) {
            free(data);
            free(wide);
            prb_fail(c->res, PROBE_OOM, "--input %s: out of memory", t->name);
            return -1;
        }
        if (prb_check_ints(c, t->name, path, wide, n, 0x1p53, "past 2^53") != 0) {
            free(data);
            free(wide);
            free(keys);
            return -1;
        }
        for (size_t i = 0; i < n; i++) keys[i] = (int64_t)wide[i];
        free(wide);
    }
    free(t->data);
    free(t->owned_);
    t->data = data;
    t->int_keys = keys;
    t->owned_ = keys;
    t->strings = NULL;
    t->rank = 1;
    t->shape[0] = (int64_t)n;
    return 0;
}

/* whether shapes a and b are the same once their dimensions of 1 are left
 * out (a file's (1, 8) for an input of [8]; a 0-d array for one value) */
static bool prb_same_but_ones(const int64_t *a, int na, const int64_t *b, int nb) {
    int i = 0, j = 0;
    for (;;) {
        while (i < na && a[i] == 1) i++;
        while (j < nb && b[j] == 1) j++;
        if (i == na || j == nb) return i == na && j == nb;
        if (a[i++] != b[j++]) return false;
    }
}

static void prb_shape_text(const int64_t *d, int rank, char *out, size_t cap) {
    size_t k = 0;
    out[0] = 0;
    if (rank == 0) snprintf(out, cap, "a 0-d array (one value)");
    for (int i = 0; i < rank && k < cap - 1; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%lld", i ? "x" : "", (long long)d[i]);
}

/* Replace generated inputs with the user's files. 0, or -1 with res set. */
static int prb_user_inputs(prb_child *c, exec_tensor *ins, size_t n_in, bool *from_file) {
    for (size_t s = 0; s < c->o->n_inputs; s++) {
        const char *spec = c->o->inputs[s];
        const char *eq = strchr(spec, '=');
        if (!eq || eq == spec || !eq[1]) {
            prb_fail(c->res, PROBE_INPUT_ERROR, "--input '%s': expected NAME=FILE", spec);
            return -1;
        }
        size_t nl = (size_t)(eq - spec);
        size_t which = n_in;
        for (size_t i = 0; i < n_in; i++)
            if (ins[i].name && strlen(ins[i].name) == nl && !strncmp(ins[i].name, spec, nl)) which = i;
        if (which == n_in) {
            char names[512] = "";
            size_t k = 0;
            for (size_t i = 0; i < n_in && k < sizeof names - 1; i++)
                k += (size_t)snprintf(names + k, sizeof names - k, "%s'%s'", i ? ", " : "", ins[i].name);
            prb_fail(c->res, PROBE_INPUT_ERROR, "--input '%.*s': the model has no such input (its inputs: %s)", (int)nl,
                     spec, n_in ? names : "none");
            return -1;
        }
        size_t n = 0;
        int rank = -1;
        int64_t dims[EXEC_MAX_RANK];
        char err[PROBE_MSG - 64];
        if (ins[which].dtype == EXEC_DT_STRING || ins[which].dtype == EXEC_DT_DICT) {
            if (prb_text_input(c, &ins[which], eq + 1) != 0) return -1;
            from_file[which] = true;
            continue;
        }
        const cml_feature *sf = prb_feature(c->m, ins[which].name);
        if (sf && sf->kind == CML_FEAT_SEQUENCE) {
            if (prb_int_seq_input(c, &ins[which], eq + 1) != 0) return -1;
            from_file[which] = true;
            continue;
        }
        exec_tensor *t = &ins[which];
        const cml_feature *f = prb_feature(c->m, t->name);
        /* the file's values as doubles where the input keeps them exact: a
         * classic model's Double feature or DOUBLE multi-array (Core ML
         * hands it over as doubles: FeatureTypes.proto DoubleFeatureType,
         * ArrayFeatureType DOUBLE; a '<f8' value of 0.1 must reach a tree
         * threshold of 0.1 as 0.1, not 0.1f), and an integer input, whose
         * values are checked to be integers float32 holds */
        bool dbl = c->m->classic && t->dtype == EXEC_DT_FP32 && f &&
                   (f->kind == CML_FEAT_DOUBLE || (f->kind == CML_FEAT_MULTIARRAY && f->array_dtype == CML_ARR_DOUBLE));
        bool intg = t->dtype == EXEC_DT_INT32;
        double *wide = NULL;
        float *data = probe_read_array(eq + 1, &n, &rank, dims, dbl || intg ? &wide : NULL, err, sizeof err);
        if (!data) {
            prb_fail(c->res, prb_oom_msg(err) ? PROBE_OOM : PROBE_INPUT_ERROR, "--input %.*s: %s", (int)nl, spec, err);
            return -1;
        }
        if (intg && prb_check_ints(c, t->name, eq + 1, wide, n, (double)(1 << 24),
                                   "the probe's executor holds an integer input as float32, exact to 2^24") != 0) {
            free(data);
            free(wide);
            return -1;
        }
        if (!dbl) {
            free(wide);
            wide = NULL;
        }
        size_t want = exec_tensor_count(t);
        bool flexible = f && f->flex != CML_FLEX_NONE;
        bool seq = prb_is_nn(c->m) && c->m->nn_array_shape_mapping <= 0 && f && f->kind == CML_FEAT_MULTIARRAY &&
                   (f->shape.rank == 1 || f->shape.rank == 3) && want && n > want && n % want == 0;
        if (n == want && (rank < 0 || prb_same_but_ones(dims, rank, t->shape, t->rank))) {
            /* the declared (default) shape; the file's own shape may differ in 1s */
        } else if (flexible && rank > 0) {
            t->rank = rank;
            for (int k = 0; k < rank; k++) t->shape[k] = dims[k];
        } else if (seq) {
            /* a rank-5 NeuralNetwork input given as a sequence of n / want
             * steps ([Seq, C] or [Seq, 1, C, H, W]; SOURCE: apple/coremltools
             * mlmodel/format/NeuralNetwork.proto RANK5_ARRAY_MAPPING: "At
             * runtime, the first two dimensions (Seq or Batch) can be
             * presented as well, with non-1 values") */
            int64_t steps = (int64_t)(n / want);
            if (f->shape.rank == 1) {
                t->rank = 2;
                t->shape[0] = steps;
                t->shape[1] = (int64_t)want;
            } else {
                t->rank = 5;
                t->shape[0] = steps;
                t->shape[1] = 1;
                for (int k = 0; k < 3; k++) t->shape[k + 2] = f->shape.dims[k];
            }
        } else if (n == want) {
            /* as many values in another layout ((H, W, C) for a [1, C, H, W]
             * image, a transposed matrix): read in C order they would land
             * in the wrong places */
            char shp[160], fshp[160];
            prb_shape_text(t->shape, t->rank, shp, sizeof shp);
            prb_shape_text(dims, rank, fshp, sizeof fshp);
            prb_fail(c->res, PROBE_INPUT_ERROR,
                     "--input %s: %s is shaped %s, input '%s' is shaped %s: as many values, another layout (only "
                     "dimensions of 1 may differ)", t->name, eq + 1, fshp, t->name, shp);
            free(data);
            free(wide);
            return -1;
        } else {
            char shp[160] = "";
            size_t k = 0;
            for (int d = 0; d < t->rank && k < sizeof shp - 1; d++)
                k += (size_t)snprintf(shp + k, sizeof shp - k, "%s%lld", d ? "x" : "", (long long)t->shape[d]);
            prb_fail(c->res, PROBE_INPUT_ERROR,
                     "--input %s: %s holds %zu values, input '%s' is shaped %s (%zu values)", t->name, eq + 1, n,
                     t->name, shp, want);
            free(data);
            free(wide);
            return -1;
        }
        free(t->data);
        t->data = data;
        free((void *)(uintptr_t)t->data64); /* exec_tensors_free frees the new one */
        t->data64 = wide;
        if (t->dtype == EXEC_DT_FP16)
            for (size_t k = 0; k < n; k++) t->data[k] = exec_round_fp16(t->data[k]);
        from_file[which] = true;
    }
    return 0;
}

/* ---- sequence length of generated inputs ------------------------------------------ */

/* A rank-5 NeuralNetwork input (declared [C] or [C, H, W]) the probe
 * generated: its sequence axis is free (RANK5_ARRAY_MAPPING: "At runtime,
 * the first two dimensions (Seq or Batch) can be presented as well, with
 * non-1 values"). */
static bool prb_seq_input(const prb_child *c, const exec_tensor *t, bool from_file) {
    const cml_feature *f = prb_feature(c->m, t->name);
    return !from_file && prb_is_nn(c->m) && c->m->nn_array_shape_mapping <= 0 && f &&
           f->kind == CML_FEAT_MULTIARRAY && f->flex == CML_FLEX_NONE && (f->shape.rank == 1 || f->shape.rank == 3) &&
           (t->dtype == EXEC_DT_FP32 || t->dtype == EXEC_DT_FP16);
}

/* Make every generated sequence input `steps` steps long: step s is the
 * input exec_make_inputs draws with seed + s (so embedding indices stay in
 * range). 0, or -1 (out of memory / no inputs; ins unchanged). */
static int prb_seq_steps(prb_child *c, const char *fn, exec_tensor *ins, size_t n_in, const bool *from_file,
                         int64_t steps) {
    for (size_t i = 0; i < n_in; i++) {
        if (!prb_seq_input(c, &ins[i], from_file[i])) continue;
        const cml_feature *f = prb_feature(c->m, ins[i].name);
        size_t per = 1;
        for (int k = 0; k < f->shape.rank; k++) per *= (size_t)(f->shape.dims[k] > 0 ? f->shape.dims[k] : 1);
        float *d = malloc(per * (size_t)steps * sizeof *d);
        if (!d) return -1;
        for (int64_t st = 0; st < steps; st++) {
            exec_tensor *g = NULL;
            size_t ng = 0;
            char err[256];
            if (exec_make_inputs(c->m, fn, c->o->seed + (uint64_t)st, &g, &ng, err, sizeof err) != 0) {
                free(d);
                return -1;
            }
            const exec_tensor *src = NULL;
            for (size_t k = 0; k < ng; k++)
                if (g[k].name && !strcmp(g[k].name, ins[i].name)) src = &g[k];
            if (!src || exec_tensor_count(src) != per || !src->data) {
                exec_tensors_free(g, ng);
                free(d);
                return -1;
            }
            memcpy(d + (size_t)st * per, src->data, per * sizeof *d);
            exec_tensors_free(g, ng);
        }
        free(ins[i].data);
        ins[i].data = d;
        if (f->shape.rank == 1) {
            ins[i].rank = 2;
            ins[i].shape[0] = steps;
            ins[i].shape[1] = (int64_t)per;
        } else {
            ins[i].rank = 5;
            ins[i].shape[0] = steps;
            ins[i].shape[1] = 1;
            for (int k = 0; k < 3; k++) ins[i].shape[k + 2] = f->shape.dims[k];
        }
    }
    return 0;
}

/* The first fp32 run failed on generated inputs of a sequence model (a
 * Keras embedding + flatten + dense model takes exactly input_length
 * steps, its declared shape says 1): find the shortest sequence length
 * from 2 to 64 it runs with, within a tenth of the time limit (at most a
 * minute). true: ins are that long and r->message says so. */
static bool prb_seq_search(prb_child *c, exec_plan *plan, const char *fn, exec_tensor *ins, size_t n_in,
                           const bool *from_file, const char *first_error) {
    bool any = false;
    for (size_t i = 0; i < n_in; i++) any |= prb_seq_input(c, &ins[i], from_file[i]);
    if (!any || prb_oom_msg(first_error)) return false;
    char why[PROBE_MSG / 2];
    snprintf(why, sizeof why, "%s", first_error);
    double budget = c->o->timeout_s > 0 ? c->o->timeout_s * 100.0 : 60000.0, t0 = prb_now_ms();
    if (budget > 60000.0) budget = 60000.0;
    for (int64_t steps = 2; steps <= 64 && prb_now_ms() - t0 < budget; steps++) {
        prb_progress(c, "trying a longer input sequence", (int)steps, 64);
        if (prb_seq_steps(c, fn, ins, n_in, from_file, steps) != 0) return false;
        exec_reset_states(plan);
        exec_tensor *outs = NULL;
        size_t n_outs = 0;
        int rc = exec_run(plan, EXEC_FP32, ins, n_in, &outs, &n_outs, NULL);
        exec_tensors_free(outs, n_outs);
        if (rc == 0) {
            snprintf(c->res->message, sizeof c->res->message,
                     "the generated inputs are sequences of %lld steps: with the declared length 1 the run failed "
                     "(%.400s); give --input NAME=FILE for other lengths",
                     (long long)steps, why);
            return true;
        }
    }
    /* none ran: back to the declared length (the same values as before) */
    prb_seq_steps(c, fn, ins, n_in, from_file, 1);
    return false;
}

/* ---- comparisons ------------------------------------------------------------------ */

typedef struct prb_cmp {
    uint64_t n;
    double max_ref, linf, rmse, max_rel;
} prb_cmp;

static prb_cmp prb_compare(const float *a, const float *b, size_t n) {
    prb_cmp r = {n, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++)
        if (isfinite(a[i]) && fabs(a[i]) > r.max_ref) r.max_ref = fabs(a[i]);
    double se = 0;
    size_t cnt = 0;
    double floor_ = 1e-3 * r.max_ref > 1e-30 ? 1e-3 * r.max_ref : 1e-30;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i])) continue;
        if (!isfinite(b[i])) {
            r.linf = r.max_rel = INFINITY;
            continue;
        }
        double e = fabs((double)a[i] - (double)b[i]);
        if (e > r.linf) r.linf = e;
        double den = fabs(a[i]) > floor_ ? fabs(a[i]) : floor_;
        if (e / den > r.max_rel) r.max_rel = e / den;
        se += e * e;
        cnt++;
    }
    r.rmse = cnt ? sqrt(se / (double)cnt) : 0;
    if (isinf(r.linf)) r.rmse = INFINITY;
    return r;
}

static void prb_count_nonfinite(const exec_tensor *t, uint64_t *nan, uint64_t *inf) {
    size_t n = exec_tensor_count(t);
    for (size_t i = 0; i < n; i++) {
        if (isnan(t->data[i])) (*nan)++;
        else if (isinf(t->data[i])) (*inf)++;
    }
}

static bool prb_is_float(const exec_tensor *t) { return t->dtype == EXEC_DT_FP32 || t->dtype == EXEC_DT_FP16; }

/* runtime index of an op by pointer (sorted copy for bsearch) */
typedef struct prb_idx {
    const cml_op *op;
    size_t i;
} prb_idx;

static int prb_idx_cmp(const void *x, const void *y) {
    const prb_idx *a = x, *b = y;
    return a->op < b->op ? -1 : a->op > b->op;
}

static int prb_name_cmp(const void *x, const void *y) {
    const prb_idx *a = x, *b = y;
    int c = strcmp(a->op->name, b->op->name);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

typedef struct prb_oname {
    const char *name;
    size_t i;
} prb_oname;

static int prb_oname_cmp(const void *x, const void *y) {
    const prb_oname *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

static long prb_find(const prb_idx *ix, size_t n, const cml_op *op) {
    prb_idx key = {op, 0};
    const prb_idx *f = n ? bsearch(&key, ix, n, sizeof *ix, prb_idx_cmp) : NULL;
    return f ? (long)f->i : -1;
}

/* The ops where rel[] grows most over the worst of their inputs' producers:
 * into list (a = rel, b = growth), sorted by growth. Returns how many ops
 * had a value. */
static size_t prb_growth(const cml_op *const *ops, const double *rel, size_t n, probe_op_ref *list, size_t *n_list) {
    prb_idx *ix = malloc((n ? n : 1) * sizeof *ix);
    *n_list = 0;
    if (!ix) return 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (ops[i]) ix[m++] = (prb_idx){ops[i], i};
    qsort(ix, m, sizeof *ix, prb_idx_cmp);
    size_t with = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ops[i] || isnan(rel[i])) continue;
        with++;
        double in = 0;
        const cml_op *op = ops[i];
        for (size_t a = 0; a < op->n_inputs; a++)
            for (size_t v = 0; v < op->inputs[a]->n_values; v++) {
                const cml_value *val = op->inputs[a]->values[v];
                long j = val && val->producer ? prb_find(ix, m, val->producer) : -1;
                if (j >= 0 && !isnan(rel[j]) && rel[j] > in) in = rel[j];
            }
        double g = isinf(rel[i]) ? (isinf(in) ? 0 : INFINITY) : rel[i] - in;
        if (!(g > 1e-9)) continue;
        /* insert into the top list (descending growth) */
        size_t pos = *n_list;
        while (pos > 0 && g > list[pos - 1].b) pos--;
        if (pos >= PROBE_MAX_LIST) continue;
        size_t last = *n_list < PROBE_MAX_LIST ? *n_list : PROBE_MAX_LIST - 1;
        memmove(&list[pos + 1], &list[pos], (last - pos) * sizeof *list);
        list[pos] = (probe_op_ref){op, rel[i], g, 0};
        if (*n_list < PROBE_MAX_LIST) (*n_list)++;
    }
    free(ix);
    return with;
}

/* B's precision class for compare thresholds: compressed weights (a
 * constexpr decompression other than a cast, or NeuralNetwork quantized /
 * LUT weights), else an fp16 program, else fp32. */
static const char *prb_precision(const cml_model *m, const cml_function *fn) {
    for (size_t i = 0; i < m->n_weights; i++)
        if (m->weights[i]->quant_bits || m->weights[i]->quant_lut) return "compressed";
    bool f16 = false;
    for (size_t i = 0; fn && i < fn->block->n_ops; i++) {
        const cml_op *op = fn->block->ops[i];
        if (!strncmp(op->kind, "constexpr_", 10) && strcmp(op->kind, "constexpr_cast")) return "compressed";
        if (op->is_const) continue;
        for (size_t k = 0; k < op->n_outputs; k++)
            if (op->outputs[k]->type.dtype == CML_DT_FP16) f16 = true;
    }
    return f16 ? "fp16" : "fp32";
}

static bool prb_is_nn(const cml_model *m) { return m->type && !strncmp(m->type, "neuralNetwork", 13); }

/* What Core ML computes a model's function in (probe_prec), as bits: 1 some
 * compute in fp16 (a NeuralNetwork, untyped: fp16 on the GPU and Neural
 * Engine; an op typed fp16), 2 some compute typed fp32; a pipeline's stages
 * together (nesting bounded as the loader bounds it); 0: classic models only. */
static unsigned prb_prec_bits(const cml_model *m, const cml_function *fn, int depth) {
    if (!m || depth > 64) return 0;
    if (prb_is_nn(m)) return 1;
    if (!m->n_functions) {
        unsigned b = 0;
        for (size_t i = 0; i < m->n_sub_models; i++) b |= prb_prec_bits(m->sub_models[i], NULL, depth + 1);
        return b;
    }
    if (!fn) fn = cml_model_function(m, NULL);
    unsigned b = 0;
    for (size_t i = 0; fn && i < fn->block->n_ops; i++) {
        const cml_op *op = fn->block->ops[i];
        if (op->is_const) continue;
        for (size_t k = 0; k < op->n_outputs; k++) {
            if (op->outputs[k]->type.dtype == CML_DT_FP16) b |= 1;
            else if (op->outputs[k]->type.dtype == CML_DT_FP32) b |= 2;
        }
    }
    return b;
}

static probe_prec prb_prec(const cml_model *m, const cml_function *fn) {
    unsigned b = prb_prec_bits(m, fn, 0);
    return b == 3 ? PROBE_PREC_MIXED : b == 2 ? PROBE_PREC_FP32 : b == 1 ? PROBE_PREC_FP16 : PROBE_PREC_FP64;
}

/* One model's typed precision in words: out gets it (a pipeline: each
 * stage's; a stage the executor refuses, e.g. Apple's feature print, says
 * it was not run). */
static void prb_typed(const prb_child *c, const cml_model *m, const cml_function *fn, char *out, size_t cap) {
    if (prb_is_nn(m)) {
        snprintf(out, cap, "fp32 (NeuralNetwork: untyped; Core ML computes in fp16 on the GPU and Neural Engine)");
        return;
    }
    if (!m->n_functions && !m->n_sub_models) {
        snprintf(out, cap, "fp64 (classic model: Core ML computes it in double on the CPU whatever the compute "
                           "units, so the fp16 emulation does not apply and repeats the fp32 run)");
        return;
    }
    if (m->n_functions) {
        probe_prec p = prb_prec(m, fn);
        snprintf(out, cap, "%s", p == PROBE_PREC_MIXED ? "mixed" : p == PROBE_PREC_FP16 ? "fp16" : "fp32");
        return;
    }
    /* a pipeline: by stage */
    size_t k = (size_t)snprintf(out, cap, "by stage:");
    for (size_t i = 0; i < m->n_sub_models && k < cap; i++) {
        const cml_model *s = m->sub_models[i];
        probe_prec p = prb_prec(s, NULL);
        const cml_op *bad[1];
        char why[1][192];
        bool refused = !s->n_functions && !s->n_sub_models && s->classic &&
                       exec_unsupported(s, s->classic->name, c->io, bad, why, 1) > 0;
        const char *what = refused                    ? "not run here (stand-in values)"
                           : prb_is_nn(s)             ? "NeuralNetwork (fp16 on the GPU and Neural Engine)"
                           : p == PROBE_PREC_FP64     ? "fp64 (classic: double on the CPU)"
                           : p == PROBE_PREC_MIXED    ? "mixed"
                           : p == PROBE_PREC_FP16     ? "fp16"
                                                      : "fp32";
        k += (size_t)snprintf(out + k, cap - k, "%s %s %s", i ? "," : "",
                              m->sub_model_names && m->sub_model_names[i] ? m->sub_model_names[i] : "?", what);
    }
}

static int prb_dcmp(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* first, median and p90 of lat[0..n) (median/p90 over the runs after the
 * first when there are more than one) */
static void prb_lat(prb_json *j, const char *key, const double *lat, int n) {
    if (n <= 0) return;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) return;
    int from = n > 1 ? 1 : 0, m = n - from;
    memcpy(s, lat + from, (size_t)m * sizeof *s);
    qsort(s, (size_t)m, sizeof *s, prb_dcmp);
    double med = m % 2 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
    double p90 = s[(size_t)ceil(0.9 * m) - 1 < (size_t)m ? (size_t)ceil(0.9 * m) - 1 : (size_t)m - 1];
    jb(j, "\"%s\":{\"first\":", key);
    jnum(j, lat[0]);
    jb(j, ",\"median\":");
    jnum(j, med);
    jb(j, ",\"p90\":");
    jnum(j, p90);
    jb(j, ",\"runs\":%d}", n);
    free(s);
}

static void prb_json_op(prb_json *j, const cml_op *op) {
    jb(j, "\"op\":");
    jstr(j, op && op->loc.logical ? op->loc.logical : op && op->name ? op->name : "?");
    jb(j, ",\"kind\":");
    jstr(j, op ? op->kind : "?");
}

/* ---- the child ------------------------------------------------------------------ */

static void prb_limit_memory(prb_child *c) {
    int64_t mb = c->o->memory_limit_mb;
    if (mb <= 0) return;
    c->res->oom_hint = true;
#if !PRB_ASAN && !defined(__APPLE__)
    uint64_t rss, vs;
    prb_mem(&rss, &vs);
    struct rlimit rl;
    if (vs && getrlimit(RLIMIT_AS, &rl) == 0) {
        rlim_t want = (rlim_t)(vs + (uint64_t)mb * 1024u * 1024u);
        if (rl.rlim_max == RLIM_INFINITY || want < rl.rlim_max) rl.rlim_cur = want;
        setrlimit(RLIMIT_AS, &rl);
    }
#endif
}

static int prb_alloc_arrays(prb_child *c, size_t n) {
    c->n_ops = n;
    size_t m = n ? n : 1;
    c->ops = calloc(m, sizeof *c->ops);
    c->samp = malloc(m * PROBE_SAMPLES * sizeof *c->samp);
    c->samp_k = calloc(m, sizeof *c->samp_k);
    c->samp_n = calloc(m, sizeof *c->samp_n);
    c->rel16 = malloc(m * sizeof *c->rel16);
    c->max32 = calloc(m, sizeof *c->max32);
    c->ms32 = calloc(m, sizeof *c->ms32);
    if (!c->ops || !c->samp || !c->samp_k || !c->samp_n || !c->rel16 || !c->max32 || !c->ms32) return -1;
    for (size_t i = 0; i < m; i++) c->rel16[i] = NAN;
    return 0;
}

/* The outputs' file stems: each one's safe name, or that name with _2,
 * _3, ... when a file of an earlier output would have the same name
 * (outputs 'a/b' and 'a_b'; 'x' and 'x.fp16', whose NAME.fp16.npy is x's
 * fp16 copy; names that differ only in case, one file on a case-insensitive
 * disk). Two stems clash when they are equal once lowercased and stripped
 * of trailing ".fp16"s; a hash set of those keys keeps a model with 100,000
 * outputs linear. 0, or -1 out of memory. */
static void prb_stem_key(const char *stem, char *key, size_t cap) {
    size_t n = 0;
    for (const char *p = stem; *p && n + 1 < cap; p++) key[n++] = (char)tolower((unsigned char)*p);
    key[n] = 0;
    while (n >= 5 && !strcmp(key + n - 5, ".fp16")) key[n -= 5] = 0;
}

static uint64_t prb_hash(const char *s) { return cml_hash_str(s); }   /* keyed: output names are the model's */

/* The slot of key in the set (its own, or the empty one where it goes). */
static size_t prb_stem_slot(const size_t *slot, size_t cap, char (*keys)[256], const char *key) {
    size_t h = (size_t)prb_hash(key) & (cap - 1);
    while (slot[h] && strcmp(keys[slot[h] - 1], key)) h = (h + 1) & (cap - 1);
    return h;
}

static int prb_save_stems(const exec_tensor *o32, size_t n, char (*stems)[256]) {
    size_t cap = 16;
    while (cap < 2 * n + 2) cap *= 2;
    char (*keys)[256] = calloc(n ? n : 1, sizeof *keys);
    size_t *slot = calloc(cap, sizeof *slot);      /* index into keys + 1; 0 empty */
    unsigned *next = calloc(n ? n : 1, sizeof *next); /* the suffix to try next after output i's safe name */
    if (!keys || !slot || !next) {
        free(keys);
        free(slot);
        free(next);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char safe[256];
        probe_safe_name(o32[i].name, safe, sizeof safe);
        snprintf(stems[i], sizeof stems[i], "%s", safe);
        prb_stem_key(stems[i], keys[i], sizeof keys[i]);
        size_t h = prb_stem_slot(slot, cap, keys, keys[i]);
        if (slot[h]) {
            /* taken: the suffixes from where the owner of that name left
             * off (from 2 every time was quadratic in equal names) */
            size_t owner = slot[h] - 1;
            unsigned k = next[owner] ? next[owner] : 2;
            for (;; k++) {
                snprintf(stems[i], sizeof stems[i], "%.200s_%u", safe, k);
                prb_stem_key(stems[i], keys[i], sizeof keys[i]);
                h = prb_stem_slot(slot, cap, keys, keys[i]);
                if (!slot[h]) break;
            }
            next[owner] = k + 1;
        }
        slot[h] = i + 1;
    }
    free(keys);
    free(slot);
    free(next);
    return 0;
}

static void prb_save(prb_child *c, const exec_tensor *o32, const exec_tensor *o16, size_t n_out) {
    const char *dir = c->o->save_outputs;
    char err[512];
    int dfd = probe_save_dir_open(dir, err, sizeof err);
    if (dfd < 0) {
        snprintf(c->res->save_error, sizeof c->res->save_error, "--save-outputs %.900s", err);
        return;
    }
    char (*stems)[256] = calloc(n_out ? n_out : 1, sizeof *stems);
    if (!stems || prb_save_stems(o32, n_out, stems) != 0) {
        snprintf(c->res->save_error, sizeof c->res->save_error, "--save-outputs: out of memory");
        free(stems);
        close(dfd);
        return;
    }
    for (size_t i = 0; i < n_out && !c->res->save_error[0]; i++) {
        for (int pass = 0; pass < 2; pass++) {
            const exec_tensor *t = pass ? &o16[i] : &o32[i];
            if (pass && !prb_is_float(t)) continue;
            char path[4096 + 300];
            const char *safe = stems[i];
            /* strings as NAME.txt, dictionaries as NAME.tsv (KEY<TAB>VALUE;
             * a classifier's probabilities with their class labels too,
             * besides the .npy) */
            bool dict = t->dtype == EXEC_DT_DICT || (!pass && prb_is_float(t) && (t->strings || t->int_keys));
            if (t->dtype == EXEC_DT_STRING || dict || t->dtype == EXEC_DT_LABEL) {
                size_t n = t->dtype == EXEC_DT_LABEL ? 1 : exec_tensor_count(t);
                const char **keys = calloc(n ? n : 1, sizeof *keys);
                char (*num)[32] = calloc(n ? n : 1, sizeof *num);
                if (!keys || !num) {
                    free(keys);
                    free(num);
                    snprintf(c->res->save_error, sizeof c->res->save_error, "--save-outputs: out of memory");
                    break;
                }
                for (size_t k = 0; k < n; k++) {
                    if (t->dtype == EXEC_DT_LABEL && t->label) keys[k] = t->label;
                    else if (t->strings) keys[k] = t->strings[k];
                    else if (t->int_keys) { snprintf(num[k], sizeof num[k], "%lld", (long long)t->int_keys[k]); keys[k] = num[k]; }
                    else { snprintf(num[k], sizeof num[k], "%lld", (long long)(t->data ? t->data[k] : 0)); keys[k] = num[k]; }
                }
                snprintf(path, sizeof path, "%s.%s", safe, dict ? "tsv" : "txt");
                int rc = probe_write_lines(dfd, path, keys, dict ? t->data : NULL, dict ? t->data64 : NULL, n, err,
                                           sizeof err);
                free(keys);
                free(num);
                if (rc != 0) {
                    snprintf(c->res->save_error, sizeof c->res->save_error, "--save-outputs %.800s/%.200s", dir, err);
                    break;
                }
                if (t->dtype != EXEC_DT_FP32) continue;
            }
            snprintf(path, sizeof path, "%s%s.npy", safe, pass ? ".fp16" : "");
            /* float64 where the run computed doubles (a classic model's
             * output declared double), float32 otherwise */
            if (probe_write_npy(dfd, path, t->data, t->data64, t->rank, t->shape, err, sizeof err) != 0) {
                snprintf(c->res->save_error, sizeof c->res->save_error, "--save-outputs %.800s/%.200s", dir, err);
                break;
            }
        }
    }
    free(stems);
    close(dfd);
}

/* The baseline in fp32 on the same inputs; fills res compare fields. */
static void prb_baseline(prb_child *c, const exec_tensor *ins, size_t n_in, const exec_tensor *o32, size_t n_out,
                         exec_opts eo) {
    probe_result *r = c->res;
    r->stage = STAGE_BASELINE;
    char err[PROBE_MSG];
    /* the baseline's function of the name --function gave (the default
     * one ran instead: a multifunction model compared with itself on
     * --function fn_b diverged, fn_b against fn_a); a baseline without it
     * runs its only function, and one of several functions is refused */
    const char *bfn = NULL;
    if (c->o->function[0]) {
        if (cml_model_function(c->base, c->o->function)) {
            bfn = c->o->function;
        } else if (c->base->n_functions > 1) {
            snprintf(r->cmp_error, sizeof r->cmp_error, "the baseline %.400s has no function '%.200s' (--function)",
                     c->o->compare_to, c->o->function);
            return;
        }
    }
    exec_plan *pa = exec_prepare(c->base, bfn, &eo, err, sizeof err);
    if (!pa) {
        snprintf(r->cmp_error, sizeof r->cmp_error, "the baseline %.400s cannot be run: %.500s", c->o->compare_to, err);
        return;
    }
    size_t na = exec_plan_n_ops(pa);
    c->n_ops_a = na;
    c->ops_a = calloc(na ? na : 1, sizeof *c->ops_a);
    c->samp_a = malloc((na ? na : 1) * PROBE_SAMPLES * sizeof *c->samp_a);
    c->samp_k_a = calloc(na ? na : 1, sizeof *c->samp_k_a);
    c->samp_n_a = calloc(na ? na : 1, sizeof *c->samp_n_a);
    if (!c->ops_a || !c->samp_a || !c->samp_k_a || !c->samp_n_a) {
        snprintf(r->cmp_error, sizeof r->cmp_error, "out of memory running the baseline");
        exec_plan_free(pa);
        return;
    }
    c->hook_mode = HOOK_BASELINE;
    exec_tensor *oa = NULL;
    size_t noa = 0;
    int rc = exec_run(pa, EXEC_FP32, ins, n_in, &oa, &noa, NULL);
    c->hook_mode = HOOK_OFF;
    if (rc != 0) {
        snprintf(r->cmp_error, sizeof r->cmp_error, "the baseline %.400s failed on the probe's inputs: %.500s",
                 c->o->compare_to, exec_last_error(pa));
        exec_plan_free(pa);
        return;
    }
    r->compared = true;
    snprintf(r->cmp_precision, sizeof r->cmp_precision, "%s",
             prb_precision(c->m, cml_model_function(c->m, c->o->function)));
    /* outputs: by name (the last float output of that name), else position
     * when both have one float output; the baseline's float outputs sorted
     * by name, each output finding its namesake by bisection (a scan per
     * output was quadratic: two models of 80,000 outputs) */
    size_t nf_b = 0, nf_a = 0;
    for (size_t i = 0; i < n_out; i++) nf_b += prb_is_float(&o32[i]);
    for (size_t i = 0; i < noa; i++) nf_a += prb_is_float(&oa[i]);
    prb_oname *onames = malloc((noa ? noa : 1) * sizeof *onames);
    size_t non = 0;
    for (size_t k = 0; onames && k < noa; k++)
        if (oa[k].name && prb_is_float(&oa[k])) onames[non++] = (prb_oname){oa[k].name, k};
    if (non > 1) qsort(onames, non, sizeof *onames, prb_oname_cmp);
    for (size_t i = 0; i < n_out && i < r->cap_outputs; i++) {
        probe_output *po = &r->outputs[i];
        if (!prb_is_float(&o32[i])) continue;
        const exec_tensor *ta = NULL;
        if (o32[i].name && non) {
            size_t lo = 0, hi = non;   /* past the last of the name */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(onames[mid].name, o32[i].name) <= 0) lo = mid + 1;
                else hi = mid;
            }
            if (lo > 0 && !strcmp(onames[lo - 1].name, o32[i].name)) ta = &oa[onames[lo - 1].i];
        }
        if (!ta && nf_a == 1 && nf_b == 1)
            for (size_t k = 0; k < noa; k++)
                if (prb_is_float(&oa[k])) ta = &oa[k];
        if (!ta || exec_tensor_count(ta) != exec_tensor_count(&o32[i])) continue;
        prb_cmp cm = prb_compare(ta->data, o32[i].data, exec_tensor_count(ta));
        po->cmp_matched = true;
        snprintf(po->cmp_name, sizeof po->cmp_name, "%s", ta->name ? ta->name : "?");
        po->cmp_max_ref = cm.max_ref;
        po->cmp_linf = cm.linf;
        po->cmp_rmse = cm.rmse;
        po->cmp_max_rel = cm.max_rel;
    }
    free(onames);
    /* ops sharing names */
    prb_idx *byname = malloc((na ? na : 1) * sizeof *byname);
    double *relc = malloc((c->n_ops ? c->n_ops : 1) * sizeof *relc);
    if (byname && relc) {
        for (size_t i = 0; i < c->n_ops; i++) relc[i] = NAN;
        /* the baseline's ops sorted by name (then position): each op finds
         * its first namesake by bisection, where a scan per op made two
         * 40,000-op programs take 103 s */
        size_t nb = 0;
        for (size_t j = 0; j < na; j++)
            if (c->ops_a[j] && c->ops_a[j]->name) byname[nb++] = (prb_idx){c->ops_a[j], j};
        if (nb) qsort(byname, nb, sizeof *byname, prb_name_cmp);
        size_t shared = 0;
        for (size_t i = 0; i < c->n_ops; i++) {
            const cml_op *op = c->ops[i];
            if (!op || !op->name || !c->samp_k[i]) continue;
            size_t lo = 0, hi = nb;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(byname[mid].op->name, op->name) < 0) lo = mid + 1;
                else hi = mid;
            }
            if (lo == nb || strcmp(byname[lo].op->name, op->name)) continue;
            size_t j = byname[lo].i;
            if (c->samp_k_a[j] == c->samp_k[i] && c->samp_n_a[j] == c->samp_n[i]) {
                relc[i] = prb_rel(c->samp_a + j * PROBE_SAMPLES, c->samp + i * PROBE_SAMPLES, c->samp_k[i]);
                shared++;
            }
        }
        r->n_cmp_shared_ops = shared;
        prb_growth(c->ops, relc, c->n_ops, r->cmp_ops, &r->n_cmp_ops);
    }
    free(byname);
    free(relc);
    exec_tensors_free(oa, noa);
    exec_plan_free(pa);
}

static void prb_figures(prb_child *c, const exec_plan *plan, const exec_tensor *ins, size_t n_in, const bool *from_file,
                        double prepare_ms, double *const lat[3], int runs, const double *rss_runs,
                        const coreml_result *cm) {
    probe_result *r = c->res;
    prb_json j = {NULL, 0, 0, false};
    const cml_function *fn = exec_plan_function(plan);
    jb(&j, "\"executor\":\"reference CPU executor (fp32 and fp16 emulation)\",\"blas\":\"%s\",", EXEC_BLAS_NAME);
    jb(&j, "\"function\":");
    jstr(&j, fn && fn->name ? fn->name : "main");
    jb(&j, ",\"threads\":%d", exec_threads(plan));
    jb(&j, ",\"runs\":%d", runs);
    if (c->runs_asked > runs)
        jb(&j, ",\"runs_asked\":%d,\"runs_cut\":\"the first run took %.3g s: %d runs in each mode keep within half of "
               "the %.3g s time limit (timeout)\"",
           c->runs_asked, c->first_run_ms / 1000.0, runs, c->o->timeout_s);
    jb(&j, ",\"seed\":%llu,\"inputs\":[", (unsigned long long)c->o->seed);
    for (size_t i = 0; i < n_in; i++) {
        jb(&j, "%s{\"name\":", i ? "," : "");
        jstr(&j, ins[i].name);
        jb(&j, ",\"shape\":[");
        for (int d = 0; d < ins[i].rank; d++) jb(&j, "%s%lld", d ? "," : "", (long long)ins[i].shape[d]);
        jb(&j, "],\"source\":\"%s\"}", from_file[i]                    ? "file"
                                        : exec_input_omitted(&ins[i]) ? "omitted (optional)"
                                                                      : "generated");
    }
    jb(&j, "],\"typed_precision\":");
    char typed[512];
    prb_typed(c, c->m, fn, typed, sizeof typed);
    jstr(&j, typed);
    jb(&j, ",\"load_ms\":");
    jnum(&j, prepare_ms);
    jb(&j, ",\"constants_mb\":");
    jnum(&j, (double)exec_plan_const_bytes(plan) / (1024.0 * 1024.0));
    jb(&j, ",\"latency_ms\":{");
    prb_lat(&j, "fp32", lat[0], runs);
    jb(&j, ",");
    prb_lat(&j, "fp16_emulation", lat[1], runs);
    if (lat[2]) {
        jb(&j, ",");
        prb_lat(&j, "typed", lat[2], runs);
    }
    jb(&j, "},\"slowest_ops\":[");
    /* top 5 by fp32 time */
    double total = 0;
    for (size_t i = 0; i < c->n_ops; i++) total += c->ms32[i];
    size_t top[5], n_top = 0;
    for (size_t i = 0; i < c->n_ops; i++) {
        if (!(c->ms32[i] > 0) || !c->ops[i]) continue;
        size_t pos = n_top;
        while (pos > 0 && c->ms32[i] > c->ms32[top[pos - 1]]) pos--;
        if (pos >= 5) continue;
        size_t last = n_top < 5 ? n_top : 4;
        memmove(&top[pos + 1], &top[pos], (last - pos) * sizeof *top);
        top[pos] = i;
        if (n_top < 5) n_top++;
    }
    for (size_t t = 0; t < n_top; t++) {
        size_t i = top[t];
        jb(&j, "%s{", t ? "," : "");
        prb_json_op(&j, c->ops[i]);
        jb(&j, ",\"ms\":");
        jnum(&j, c->ms32[i] / (runs > 0 ? runs : 1));
        jb(&j, ",\"share\":");
        jnum(&j, total > 0 ? c->ms32[i] / total : 0);
        jb(&j, "}");
    }
    jb(&j, "],\"memory\":{\"rss_start_mb\":");
    jnum(&j, r->rss_start_mb);
    jb(&j, ",\"rss_after_run_mb\":[");
    for (int k = 0; k < runs; k++) {
        jb(&j, "%s", k ? "," : "");
        jnum(&j, rss_runs[k]);
    }
    jb(&j, "],\"growth_mb\":");
    jnum(&j, r->mem_growth_mb);
    jb(&j, "},\"outputs\":[");
    for (size_t i = 0; i < r->n_outputs; i++) {
        const probe_output *po = &r->outputs[i];
        jb(&j, "%s{\"name\":", i ? "," : "");
        jstr(&j, po->name);
        if (po->random) jb(&j, ",\"random\":true");
        if (po->is_float) {
            jb(&j, ",\"values\":%llu,\"max_abs\":", (unsigned long long)po->n);
            jnum(&j, po->max_ref);
            jb(&j, ",\"fp16_linf\":");
            jnum(&j, po->linf);
            jb(&j, ",\"fp16_rmse\":");
            jnum(&j, po->rmse);
            jb(&j, ",\"fp16_max_rel\":");
            jnum(&j, po->max_rel);
            if (po->typed) {
                jb(&j, ",\"typed_linf\":");
                jnum(&j, po->typed_linf);
                jb(&j, ",\"typed_rmse\":");
                jnum(&j, po->typed_rmse);
            }
            jb(&j, ",\"nan_fp32\":%llu,\"inf_fp32\":%llu,\"nan_fp16\":%llu,\"inf_fp16\":%llu",
               (unsigned long long)po->nan32, (unsigned long long)po->inf32, (unsigned long long)po->nan16,
               (unsigned long long)po->inf16);
        } else {
            jb(&j, ",\"compared\":false");
        }
        if (po->is_label) {
            jb(&j, ",\"class_fp32\":%lld,\"class_fp16\":%lld", (long long)po->class32, (long long)po->class16);
            if (po->label32[0]) {
                jb(&j, ",\"label_fp32\":");
                jstr(&j, po->label32);
                jb(&j, ",\"label_fp16\":");
                jstr(&j, po->label16);
            }
        }
        jb(&j, "}");
    }
    jb(&j, "],\"fp16_divergence_ops\":[");
    for (size_t i = 0; i < r->n_div_ops; i++) {
        jb(&j, "%s{", i ? "," : "");
        prb_json_op(&j, r->div_ops[i].op);
        jb(&j, ",\"rel_err\":");
        jnum(&j, r->div_ops[i].a);
        jb(&j, ",\"growth\":");
        jnum(&j, r->div_ops[i].b);
        jb(&j, "}");
    }
    jb(&j, "]");
    if (c->o->compare_to[0]) {
        jb(&j, ",\"compare\":{\"baseline\":");
        jstr(&j, c->o->compare_to);
        if (r->cmp_error[0]) {
            jb(&j, ",\"error\":");
            jstr(&j, r->cmp_error);
        } else {
            jb(&j, ",\"precision\":");
            jstr(&j, r->cmp_precision);
            jb(&j, ",\"mode\":\"fp32\",\"outputs\":[");
            size_t k = 0;
            for (size_t i = 0; i < r->n_outputs; i++) {
                const probe_output *po = &r->outputs[i];
                if (!po->cmp_matched) continue;
                jb(&j, "%s{\"name\":", k++ ? "," : "");
                jstr(&j, po->name);
                jb(&j, ",\"baseline_output\":");
                jstr(&j, po->cmp_name);
                jb(&j, ",\"max_abs\":");
                jnum(&j, po->cmp_max_ref);
                jb(&j, ",\"linf\":");
                jnum(&j, po->cmp_linf);
                jb(&j, ",\"rmse\":");
                jnum(&j, po->cmp_rmse);
                jb(&j, ",\"max_rel\":");
                jnum(&j, po->cmp_max_rel);
                jb(&j, "}");
            }
            jb(&j, "],\"shared_ops\":%zu,\"divergence_ops\":[", r->n_cmp_shared_ops);
            for (size_t i = 0; i < r->n_cmp_ops; i++) {
                jb(&j, "%s{", i ? "," : "");
                prb_json_op(&j, r->cmp_ops[i].op);
                jb(&j, ",\"rel_err\":");
                jnum(&j, r->cmp_ops[i].a);
                jb(&j, ",\"growth\":");
                jnum(&j, r->cmp_ops[i].b);
                jb(&j, "}");
            }
            jb(&j, "]");
        }
        jb(&j, "}");
    }
    jb(&j, ",\"coreml\":{\"available\":%s", cm->available ? "true" : "false");
    if (!cm->available) {
        jb(&j, ",\"note\":");
        jstr(&j, cm->reason);
    } else {
        jb(&j, ",\"os\":");
        jstr(&j, cm->os);
        jb(&j, ",\"compile_ms\":");
        jnum(&j, cm->compile_ms);
        jb(&j, ",\"units\":[");
        for (size_t u = 0; u < cm->n_units; u++) {
            const coreml_unit_result *cu = &cm->units[u];
            jb(&j, "%s{\"compute_units\":", u ? "," : "");
            jstr(&j, cu->unit);
            if (!cu->measured) {
                jb(&j, ",\"error\":");
                jstr(&j, cu->error);
            } else {
                jb(&j, ",\"cold_load_ms\":");
                jnum(&j, cu->cold_load_ms);
                jb(&j, ",\"warm_load_ms\":");
                jnum(&j, cu->warm_load_ms);
                jb(&j, ",\"latency_ms\":{\"first\":");
                jnum(&j, cu->first_ms);
                jb(&j, ",\"median\":");
                jnum(&j, cu->median_ms);
                jb(&j, ",\"p90\":");
                jnum(&j, cu->p90_ms);
                jb(&j, ",\"runs\":%d}", cu->runs);
                if (cu->compared) {
                    jb(&j, ",\"vs_reference_fp32\":{\"linf\":");
                    jnum(&j, cu->max_abs_err);
                    jb(&j, ",\"rmse\":");
                    jnum(&j, cu->rmse);
                    jb(&j, ",\"max_abs\":");
                    jnum(&j, cu->max_ref);
                    jb(&j, "}");
                }
                if (cu->plan_available)
                    jb(&j, ",\"compute_plan\":{\"cpu\":%ld,\"gpu\":%ld,\"neural_engine\":%ld,\"other\":%ld}",
                       cu->plan_cpu, cu->plan_gpu, cu->plan_ne, cu->plan_other);
                else
                    jb(&j, ",\"compute_plan\":null");
            }
            jb(&j, "}");
        }
        jb(&j, "]");
    }
    jb(&j, "}");
    if (c->o->save_outputs[0] && !r->save_error[0]) {
        jb(&j, ",\"saved_outputs\":");
        jstr(&j, c->o->save_outputs);
    }
    /* to the parent through the pipe (any length) */
    const char *text = j.full || !j.p ? "\"note\":\"figures dropped: out of memory\"" : j.p;
    for (size_t len = strlen(text), done = 0; done < len;) {
        ssize_t w = write(c->out_fd, text + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
    }
    free(j.p);
}


/* A tree ensemble is constant between its thresholds: generated inputs
 * that miss them all say nothing. */
static bool prb_piecewise_constant(const cml_model *m) {
    const cml_function *f = m->classic;
    for (size_t i = 0; f && f->block && i < f->block->n_ops; i++)
        if (!strncmp(f->block->ops[i]->kind, "treeEnsemble", 12)) return true;
    return false;
}

/* probe/constant-output: run fp32 again on inputs generated from another
 * seed and on all-zero inputs (inputs read from files stay as given) and
 * mark every float output that came out bitwise the same each time: three
 * different inputs that leave an output unchanged mean it carries nothing
 * about them. The zero input keeps a network that saturates on noise (a raw
 * 0-255 image classifier) from looking constant. */
#define PRB_OTHER_SEEDS 2
static void prb_constant_outputs(prb_child *c, exec_plan *plan, const char *fn, const exec_tensor *ins,
                                 size_t n_in, const bool *from_file, const exec_tensor *out32, size_t n_out32) {
    probe_result *r = c->res;
    bool generated = false;
    int done = 0;
    for (size_t i = 0; i < n_in; i++) generated = generated || !from_file[i];
    if (!generated || prb_piecewise_constant(c->m)) return;
    bool *varied = calloc(n_out32 ? n_out32 : 1, sizeof *varied);
    if (!varied) return;
    for (uint64_t k = 1; k <= PRB_OTHER_SEEDS; k++) {
        exec_tensor *alt = NULL, *o = NULL;
        size_t n_alt = 0, n_o = 0;
        char err[256];
        if (exec_make_inputs(c->m, fn, c->o->seed + k * 0x9e3779b9ull, &alt, &n_alt, err, sizeof err) != 0) break;
        for (size_t i = 0; i < n_alt && i < n_in; i++) {
            size_t n = exec_tensor_count(&alt[i]);
            bool num = alt[i].data && (alt[i].dtype == EXEC_DT_FP32 || alt[i].dtype == EXEC_DT_FP16 ||
                                       alt[i].dtype == EXEC_DT_INT32);
            if (from_file[i] && num && ins[i].data && n == exec_tensor_count(&ins[i])) {
                memcpy(alt[i].data, ins[i].data, n * sizeof(float));
                /* and its exact doubles (a classic model's Double input),
                 * or this run would see other values than the first */
                if (ins[i].data64 && !alt[i].data64) {
                    double *w = malloc((n ? n : 1) * sizeof *w);
                    if (!w) {
                        exec_tensors_free(alt, n_alt);
                        alt = NULL;
                        break;
                    }
                    memcpy(w, ins[i].data64, n * sizeof *w);
                    alt[i].data64 = w;
                }
            } else if (k == PRB_OTHER_SEEDS && num) {
                memset(alt[i].data, 0, n * sizeof(float));
                free((void *)(uintptr_t)alt[i].data64);
                alt[i].data64 = NULL;
            }
        }
        if (!alt) break; /* out of memory */
        exec_reset_states(plan);
        int rc = exec_run(plan, EXEC_FP32, alt, n_alt, &o, &n_o, NULL);
        exec_tensors_free(alt, n_alt);
        if (rc != 0) {
            exec_tensors_free(o, n_o);
            break;
        }
        done++;
        for (size_t i = 0; i < r->n_outputs && i < n_out32; i++) {
            size_t n = exec_tensor_count(&out32[i]);
            if (i >= n_o || n != exec_tensor_count(&o[i]) ||
                (n && memcmp(out32[i].data, o[i].data, n * sizeof(float)) != 0))
                varied[i] = true;
        }
        exec_tensors_free(o, n_o);
    }
    for (size_t i = 0; i < r->n_outputs && i < n_out32; i++) {
        probe_output *po = &r->outputs[i];
        size_t n = exec_tensor_count(&out32[i]);
        po->other_seeds = done;
        po->constant = done == PRB_OTHER_SEEDS && po->is_float && n && !varied[i];
        if (!po->constant) continue;
        po->first_value = out32[i].data[0];
        po->uniform = true;
        for (size_t k = 1; k < n && po->uniform; k++) po->uniform = out32[i].data[k] == out32[i].data[0];
    }
    free(varied);
}
/* probe/non-finite on generated inputs: generated floats are uniform in
 * [-1, 1], and a model whose inputs are magnitudes, probabilities or
 * counts takes the log or sqrt of negative values it is never given (a
 * public echo-cancelling model: log(magnitude + ...)). When an fp32 output
 * held NaN or Inf, run fp32 once more on the same inputs with every
 * generated float made non-negative (|x|; inputs read from files as given):
 * if every output is then finite, what the probe saw came from the sign of
 * its own inputs, and the finding says so instead of blaming the model. */
static void prb_nonfinite_sign(prb_child *c, exec_plan *plan, const exec_tensor *ins, size_t n_in,
                               const bool *from_file) {
    probe_result *r = c->res;
    bool bad = false, flipped = false;
    for (size_t i = 0; i < r->n_outputs; i++)
        if (r->outputs[i].is_float && r->outputs[i].nan32 + r->outputs[i].inf32) bad = true;
    exec_tensor *alt = bad && n_in ? malloc(n_in * sizeof *alt) : NULL;
    if (!alt) return;
    memcpy(alt, ins, n_in * sizeof *alt); /* each entry owns nothing until its data is replaced */
    for (size_t i = 0; i < n_in; i++) {
        bool flt = ins[i].dtype == EXEC_DT_FP32 || ins[i].dtype == EXEC_DT_FP16;
        if (from_file[i] || !flt || !ins[i].data) continue;
        size_t n = exec_tensor_count(&ins[i]);
        float *d = malloc((n ? n : 1) * sizeof *d);
        if (!d) goto out;
        bool neg = false;
        for (size_t k = 0; k < n; k++) {
            neg = neg || signbit(ins[i].data[k]);
            d[k] = fabsf(ins[i].data[k]);
        }
        alt[i].data = d;
        flipped = flipped || neg;
    }
    if (flipped) {
        exec_tensor *o = NULL;
        size_t n_o = 0;
        exec_reset_states(plan);
        if (exec_run(plan, EXEC_FP32, alt, n_in, &o, &n_o, NULL) == 0) {
            bool finite = true;
            for (size_t i = 0; i < n_o && finite; i++) {
                if (!prb_is_float(&o[i])) continue;
                uint64_t nan = 0, inf = 0;
                prb_count_nonfinite(&o[i], &nan, &inf);
                finite = nan + inf == 0;
            }
            r->nonfinite_sign = finite;
        }
        exec_tensors_free(o, n_o);
    }
out:
    for (size_t i = 0; i < n_in; i++)
        if (alt[i].data != ins[i].data) free(alt[i].data);
    free(alt);
}

static void prb_child_main(prb_child *c) {
    probe_result *r = c->res;
    const probe_opts *o = c->o;
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    cml_child_default_crash_signals();
    c->progress = isatty(2) != 0;
    c->t0 = prb_now_ms();
    const char *after = getenv("CML_PROBE_PROGRESS_AFTER_MS");
    c->progress_after_ms = after && *after ? strtod(after, NULL) : 1000.0;
    char lerr[PROBE_MSG - 64];
    if (!(EX = exec_api_load(lerr, sizeof lerr))) {
        prb_fail(r, PROBE_RUN_ERROR, "%s", lerr);
        return;
    }
    r->rss_start_mb = prb_rss_mb();
    prb_limit_memory(c);
    if (!strcmp(o->test_hook, "hang"))
        for (;;) pause(); /* test hook: a run that never ends */

    /* inputs */
    r->stage = STAGE_INPUTS;
    const cml_function *fn = cml_model_function(c->m, o->function);
    if (!fn) {
        prb_fail(r, PROBE_INPUT_ERROR, "the model has no function '%s'", o->function);
        return;
    }
    r->precision = prb_prec(c->m, fn);
    exec_tensor *ins = NULL;
    size_t n_in = 0;
    char err[PROBE_MSG - 64];
    if (exec_make_inputs(c->m, fn->name, o->seed, &ins, &n_in, err, sizeof err) != 0) {
        prb_fail(r, prb_oom_msg(err) ? PROBE_OOM : PROBE_RUN_ERROR, "inputs: %s", err);
        return;
    }
    bool *from_file = calloc(n_in ? n_in : 1, sizeof *from_file);
    if (!from_file) {
        prb_fail(r, PROBE_OOM, "out of memory for the inputs");
        exec_tensors_free(ins, n_in);
        return;
    }
    if (prb_user_inputs(c, ins, n_in, from_file) != 0) {
        exec_tensors_free(ins, n_in);
        free(from_file);
        return;
    }
    prb_progress(c, "loading the model (decoding its weights)", 0, 0);

    /* prepare */
    r->stage = STAGE_PREPARE;
    exec_opts eo = {.threads = o->threads, .hook = prb_hook, .hook_user = c, .on_op_start = prb_op_start, .io = *c->io};
    double t0 = prb_now_ms();
    exec_plan *plan = exec_prepare(c->m, fn->name, &eo, err, sizeof err);
    if (!plan && c->m->classic && c->m->n_sub_models) {
        /* a pipeline with a stage the executor refuses: run the others on
         * generated values of that stage's outputs, and say so */
        exec_opts po = eo;
        po.partial = true;
        char perr[PROBE_MSG - 64];
        plan = exec_prepare(c->m, fn->name, &po, perr, sizeof perr);
        if (plan) {
            const cml_op *bad[PROBE_MAX_UNSUPPORTED];
            char why[PROBE_MAX_UNSUPPORTED][192];
            size_t nb = exec_unsupported(c->m, fn->name, c->io, bad, why, PROBE_MAX_UNSUPPORTED);
            r->partial = true;
            r->n_unsupported = nb;
            for (size_t i = 0; i < nb && i < PROBE_MAX_UNSUPPORTED; i++) {
                r->unsupported[i].op = bad[i];
                memcpy(r->unsupported_why[i], why[i], sizeof r->unsupported_why[i]);
                r->unsupported_why[i][sizeof r->unsupported_why[i] - 1] = 0;
            }
            snprintf(r->message, sizeof r->message, "%s; the other stages ran on generated values for its outputs", err);
        }
    }
    double prepare_ms = prb_now_ms() - t0;
    if (!plan) {
        const cml_op *bad[PROBE_MAX_UNSUPPORTED];
        char why[PROBE_MAX_UNSUPPORTED][192];
        size_t nb = exec_unsupported(c->m, fn->name, c->io, bad, why, PROBE_MAX_UNSUPPORTED);
        if (nb) {
            r->n_unsupported = nb;
            for (size_t i = 0; i < nb && i < PROBE_MAX_UNSUPPORTED; i++) {
                r->unsupported[i].op = bad[i];
                memcpy(r->unsupported_why[i], why[i], sizeof r->unsupported_why[i]);
                r->unsupported_why[i][sizeof r->unsupported_why[i] - 1] = 0;
            }
            prb_fail(r, PROBE_UNSUPPORTED, "%s", err);
        } else if (prb_oom_msg(err)) {
            prb_fail(r, PROBE_OOM, "preparing the model: %s", err);
        } else if (strstr(err, "not executable") || strstr(err, "not supported")) {
            prb_fail(r, PROBE_UNSUPPORTED, "%s", err);
        } else {
            prb_fail(r, PROBE_RUN_ERROR, "preparing the model: %s", err);
        }
        exec_tensors_free(ins, n_in);
        free(from_file);
        return;
    }
    double const_mb = (double)exec_plan_const_bytes(plan) / (1024.0 * 1024.0);
    if (o->memory_limit_mb > 0 && const_mb > (double)o->memory_limit_mb) {
        /* (where no address-space limit is set, e.g. sanitizer builds, the
         * decode above succeeded: the same stage reported) */
        prb_fail(r, PROBE_OOM,
                 "preparing the model: its constants take %.1f MB decoded to float32, over the memory limit of %lld MB",
                 const_mb, (long long)o->memory_limit_mb);
        exec_plan_free(plan);
        exec_tensors_free(ins, n_in);
        free(from_file);
        return;
    }
    size_t n_ops = exec_plan_n_ops(plan);
    c->run_ops = n_ops;
    prb_progress(c, "model loaded", 0, 0);
    int runs = o->runs < 1 ? 1 : o->runs;
    double *lat32 = calloc((size_t)runs, sizeof(double)), *lat16 = calloc((size_t)runs, sizeof(double));
    double *latT = NULL;
    double *rss_runs = calloc((size_t)runs, sizeof(double));
    if (prb_alloc_arrays(c, n_ops) != 0 || !lat32 || !lat16 || !rss_runs) {
        prb_fail(r, PROBE_OOM, "out of memory for the probe's own bookkeeping");
        goto out;
    }

    /* fp32, then fp16 emulation */
    exec_tensor *out32 = NULL, *out16 = NULL;
    size_t n_out32 = 0, n_out16 = 0;
    bool seq_tried = false;
    for (int mode = 0; mode < 2; mode++) {
        exec_mode em = mode ? EXEC_FP16_EMU : EXEC_FP32;
        r->stage = mode ? STAGE_RUN_FP16 : STAGE_RUN_FP32;
        for (int k = 0; k < runs; k++) {
            prb_progress(c, mode ? "fp16 emulation run" : "fp32 run", k + 1, runs);
            c->hook_mode = k ? HOOK_OFF : mode ? HOOK_COMPARE16 : HOOK_RECORD;
            exec_reset_states(plan);
            exec_tensor *outs = NULL;
            size_t n_outs = 0;
            exec_stats st;
            double t1 = prb_now_ms();
            int rc = exec_run(plan, em, ins, n_in, &outs, &n_outs, &st);
            double dt = prb_now_ms() - t1;
            c->hook_mode = HOOK_OFF;
            if (rc != 0 && !mode && !k && !seq_tried) {
                /* a sequence model that needs more than one step: find how many */
                seq_tried = true;
                char e1[PROBE_MSG / 2];
                snprintf(e1, sizeof e1, "%s", exec_last_error(plan));
                if (prb_seq_search(c, plan, fn->name, ins, n_in, from_file, e1)) {
                    k = -1; /* again from the first run, with the longer inputs */
                    continue;
                }
                exec_run(plan, em, ins, n_in, NULL, NULL, NULL); /* the declared length's error again */
            }
            if (rc != 0) {
                const char *e = exec_last_error(plan);
                prb_fail(r, prb_oom_msg(e) ? PROBE_OOM : PROBE_RUN_ERROR, "%s run %d: %s",
                         mode ? "fp16 emulation" : "fp32", k + 1, e);
                exec_tensors_free(out32, n_out32);
                exec_tensors_free(out16, n_out16);
                goto out;
            }
            (mode ? lat16 : lat32)[k] = dt;
            if (!mode && !k && runs > 1 && o->timeout_s > 0) {
                int modes = r->precision == PROBE_PREC_MIXED && c->m->n_functions ? 3 : 2;
                double budget = o->timeout_s * 1000.0 * PRB_RUNS_SHARE;
                if (dt * runs * modes > budget) {
                    int fit = (int)(budget / (dt * modes));
                    c->runs_asked = runs;
                    c->first_run_ms = dt;
                    runs = fit < 1 ? 1 : fit;
                }
            }
            for (size_t i = 0; i < st.n_ops && i < n_ops; i++) {
                if (!mode) c->ms32[i] += st.ops[i].ms;
                if (k) continue;
                if (!mode) c->max32[i] = st.ops[i].max_abs;
                if (mode && st.ops[i].n_overflow) {
                    if (r->n_overflow_ops < PROBE_MAX_LIST) {
                        double mx = st.ops[i].max_abs > c->max32[i] ? st.ops[i].max_abs : c->max32[i];
                        r->overflow[r->n_overflow_ops] = (probe_op_ref){st.ops[i].op, mx, 0, st.ops[i].n_overflow};
                    }
                    r->n_overflow_ops++;
                }
            }
            if (!k && st.first_nonfinite >= 0 && (size_t)st.first_nonfinite < st.n_ops) {
                const exec_op_stat *os = &st.ops[st.first_nonfinite];
                probe_op_ref ref = {os->op, (double)os->n_nan, (double)os->n_inf, os->n_values};
                if (mode) r->first_nonfinite16 = ref;
                else r->first_nonfinite32 = ref;
            }
            if (!mode) rss_runs[k] = prb_rss_mb();
            if (!k) {
                if (mode) { out16 = outs; n_out16 = n_outs; }
                else { out32 = outs; n_out32 = n_outs; }
            } else {
                exec_tensors_free(outs, n_outs);
            }
        }
    }
    /* growth over repeated predictions, from the second run (the first
     * fills the executor's buffer pool and the allocator's arenas) */
    r->mem_growth_mb = runs > 2 ? rss_runs[runs - 1] - rss_runs[1] : runs > 1 ? rss_runs[runs - 1] - rss_runs[0] : 0;

    /* outputs: fp16 emulation vs fp32 */
    r->n_outputs = n_out32 < r->cap_outputs ? n_out32 : r->cap_outputs;
    for (size_t i = 0; i < r->n_outputs; i++) {
        probe_output *po = &r->outputs[i];
        snprintf(po->name, sizeof po->name, "%s", out32[i].name ? out32[i].name : "?");
        po->is_float = prb_is_float(&out32[i]) && i < n_out16 && exec_tensor_count(&out16[i]) == exec_tensor_count(&out32[i]);
        po->random = exec_output_random(plan, i) != 0;
        if (out32[i].dtype == EXEC_DT_LABEL && out32[i].data && i < n_out16 && out16[i].data) {
            po->is_label = true;
            po->class32 = (int64_t)out32[i].data[0];
            po->class16 = (int64_t)out16[i].data[0];
            snprintf(po->label32, sizeof po->label32, "%s", out32[i].label ? out32[i].label : "");
            snprintf(po->label16, sizeof po->label16, "%s", out16[i].label ? out16[i].label : "");
        }
        if (!po->is_float) continue;
        prb_count_nonfinite(&out32[i], &po->nan32, &po->inf32);
        prb_count_nonfinite(&out16[i], &po->nan16, &po->inf16);
        prb_cmp cm = prb_compare(out32[i].data, out16[i].data, exec_tensor_count(&out32[i]));
        po->n = cm.n;
        po->max_ref = cm.max_ref;
        po->linf = cm.linf;
        po->rmse = cm.rmse;
        po->max_rel = cm.max_rel;
    }
    prb_growth(c->ops, c->rel16, c->n_ops, r->div_ops, &r->n_div_ops);
    /* a partial pipeline's stand-in values do not follow the inputs: its
     * outputs are not judged constant */
    if (!r->partial) prb_constant_outputs(c, plan, fn->name, ins, n_in, from_file, out32, n_out32);
    if (!r->partial) prb_nonfinite_sign(c, plan, ins, n_in, from_file);

    /* a mixed-precision program also runs in its own typed precision
     * (fp16-typed ops rounded, fp32-typed ones not); for pure fp16 / fp32
     * programs that is the fp16 emulation / fp32 mode already measured */
    bool mixed = r->precision == PROBE_PREC_MIXED && c->m->n_functions;
    if (mixed && (latT = calloc((size_t)runs, sizeof(double)))) {
        r->stage = STAGE_RUN_TYPED;
        for (int k = 0; k < runs; k++) {
            prb_progress(c, "typed-precision run", k + 1, runs);
            exec_reset_states(plan);
            exec_tensor *outs = NULL;
            size_t n_outs = 0;
            double t1 = prb_now_ms();
            int rc = exec_run(plan, EXEC_TYPED, ins, n_in, &outs, &n_outs, NULL);
            latT[k] = prb_now_ms() - t1;
            if (rc != 0) {
                const char *e = exec_last_error(plan);
                prb_fail(r, prb_oom_msg(e) ? PROBE_OOM : PROBE_RUN_ERROR, "typed-precision run %d: %s", k + 1, e);
                exec_tensors_free(out32, n_out32);
                exec_tensors_free(out16, n_out16);
                goto out;
            }
            for (size_t i = 0; !k && i < r->n_outputs && i < n_outs; i++) {
                probe_output *po = &r->outputs[i];
                if (!po->is_float || exec_tensor_count(&outs[i]) != po->n) continue;
                prb_cmp cm = prb_compare(out32[i].data, outs[i].data, (size_t)po->n);
                po->typed = true;
                po->typed_linf = cm.linf;
                po->typed_rmse = cm.rmse;
            }
            exec_tensors_free(outs, n_outs);
        }
    }

    if (o->save_outputs[0]) prb_save(c, out32, out16, n_out32 < n_out16 ? n_out32 : n_out16);
    c->run_ops = 0;
    if (c->base) {
        prb_progress(c, "running the baseline", 0, 0);
        prb_baseline(c, ins, n_in, out32, n_out32, eo);
    }

    /* Core ML itself (Apple platforms; elsewhere the stub says why not) */
    r->stage = STAGE_COREML;
    if (o->coreml) prb_progress(c, "running Core ML", 0, 0);
    coreml_result *cmr = calloc(1, sizeof *cmr);
    if (!cmr) {
        prb_fail(r, PROBE_OOM, "out of memory");
        exec_tensors_free(out32, n_out32);
        exec_tensors_free(out16, n_out16);
        goto out;
    }
    coreml_tensor *cin = o->coreml ? calloc(n_in ? n_in : 1, sizeof *cin) : NULL;
    if (o->coreml && cin) {
        coreml_tensor *cref = calloc(n_out32 ? n_out32 : 1, sizeof *cref);
        size_t nci = 0, ncr = 0;
        for (size_t i = 0; i < n_in; i++) {
            /* an optional input the probe left out is not given to Core ML
             * either (an optional feature may be absent: FeatureTypes.proto
             * isOptional) */
            if (exec_input_omitted(&ins[i])) continue;
            const cml_feature *f = prb_feature(c->m, ins[i].name);
            coreml_tensor *t = &cin[nci++];
            memset(t, 0, sizeof *t);
            t->name = ins[i].name;
            t->rank = ins[i].rank;
            for (int d = 0; d < ins[i].rank && d < 8; d++) t->shape[d] = ins[i].shape[d];
            t->data = ins[i].data;
            t->is_image = f && f->kind == CML_FEAT_IMAGE;
            t->image_bgr = f && f->color == CML_COLOR_BGR;
        }
        for (size_t i = 0; cref && i < n_out32; i++) {
            if (!prb_is_float(&out32[i])) continue;
            coreml_tensor *t = &cref[ncr++];
            memset(t, 0, sizeof *t);
            t->name = out32[i].name;
            t->rank = out32[i].rank;
            for (int d = 0; d < out32[i].rank && d < 8; d++) t->shape[d] = out32[i].shape[d];
            t->data = out32[i].data;
        }
        coreml_probe(c->path, cin, nci, cref, ncr, runs, cmr);
        free(cref);
    } else {
        snprintf(cmr->reason, sizeof cmr->reason, o->coreml ? "Core ML was not run (out of memory)"
                                                            : "Core ML was not run (option coreml is false)");
    }
    free(cin);
    prb_figures(c, plan, ins, n_in, from_file, prepare_ms, (double *const[3]){lat32, lat16, latT}, runs, rss_runs,
                cmr);
    free(cmr);
    exec_tensors_free(out32, n_out32);
    exec_tensors_free(out16, n_out16);

    /* the memory limit against what was resident at its peak (the check
     * that also holds where RLIMIT_AS is not applied) */
    if (o->memory_limit_mb > 0) {
        double used = prb_peak_self_mb() - r->rss_start_mb;
        if (used > (double)o->memory_limit_mb) {
            prb_fail(r, PROBE_OOM, "the run grew the resident memory by %.1f MB, over the memory limit of %lld MB",
                     used, (long long)o->memory_limit_mb);
            goto out;
        }
    }
    r->status = PROBE_OK;
out:
    prb_progress_end(c);
    r->stage = STAGE_DONE;
    exec_plan_free(plan);
    exec_tensors_free(ins, n_in);
    free(from_file);
    free(lat32);
    free(lat16);
    free(latT);
    free(rss_runs);
}

/* ---- the parent ------------------------------------------------------------------ */

static const char *prb_stage_name(int s) {
    switch (s) {
    case STAGE_START: return "while starting";
    case STAGE_INPUTS: return "while building the inputs";
    case STAGE_PREPARE: return "while preparing the model (decoding weights)";
    case STAGE_RUN_FP32: return "in the fp32 run";
    case STAGE_RUN_FP16: return "in the fp16 emulation run";
    case STAGE_RUN_TYPED: return "in the typed-precision run";
    case STAGE_BASELINE: return "while running the baseline";
    case STAGE_COREML: return "while running Core ML";
    default: return "after finishing";
    }
}

void probe_result_clear(probe_result *r) {
    free(r->outputs);
    free(r->figures);
    memset(r, 0, sizeof *r);
}

void probe_run(const cml_model *m, const cml_model *baseline, const probe_opts *opts, const exec_io *io,
               const char *model_path, probe_result *res) {
    memset(res, 0, sizeof *res);
    /* shared with the child: the result, then room for every output the
     * model declares (of any of its functions) */
    size_t cap_out = m->n_outputs;
    for (size_t f = 0; f < m->n_function_descs; f++)
        if (m->function_descs[f]->n_outputs > cap_out) cap_out = m->function_descs[f]->n_outputs;
    for (size_t f = 0; f < m->n_functions; f++)
        if (m->functions[f]->block && m->functions[f]->block->n_outputs > cap_out)
            cap_out = m->functions[f]->block->n_outputs;
    size_t map_len = sizeof(probe_result) + (cap_out + 1) * sizeof(probe_output);
    probe_result *sh = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANON, -1, 0);
    if (sh == MAP_FAILED) {
        prb_fail(res, PROBE_RUN_ERROR, "cannot map memory to share with the probe's process: %s", strerror(errno));
        return;
    }
    memset(sh, 0, map_len);
    sh->outputs = (probe_output *)(void *)(sh + 1);
    sh->cap_outputs = cap_out + 1;
    int fds[2];
    if (pipe(fds) != 0) {
        prb_fail(res, PROBE_RUN_ERROR, "cannot isolate the probe: pipe: %s", strerror(errno));
        munmap(sh, map_len);
        return;
    }
    fflush(stdout);
    fflush(stderr);
    double t_start = prb_now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        prb_fail(res, PROBE_RUN_ERROR, "cannot isolate the probe: fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        munmap(sh, map_len);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        prb_child c;
        memset(&c, 0, sizeof c);
        c.res = sh;
        c.out_fd = fds[1];
        c.m = m;
        c.base = baseline;
        c.o = opts;
        c.io = io;
        c.path = model_path;
        prb_child_main(&c);
        sh->complete = 1;
        _exit(0);
    }
    close(fds[1]);
    /* the child holds the pipe's write end: EOF = it is gone */
    char *fig = NULL;
    size_t fig_n = 0, fig_cap = 0;
    bool fig_lost = false;
    double limit_ms = opts->timeout_s > 0 ? opts->timeout_s * 1000.0 : 1e12;
    bool timed_out = false;
    for (;;) {
        double left = t_start + limit_ms - prb_now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int k = poll(&p, 1, left > 1e9 ? 1000000000 : (int)ceil(left));
        if (k < 0 && errno == EINTR) continue;
        if (k == 0) continue; /* re-check the clock */
        /* the figures JSON, of any length */
        if (fig_n + 4096 + 1 > fig_cap) {
            size_t cap = 2 * fig_cap + 4096 + 1;
            char *nf = realloc(fig, cap);
            if (!nf) {
                /* read on (the child must not block), drop the figures */
                char sink[4096];
                ssize_t got = read(fds[0], sink, sizeof sink);
                fig_lost = true;
                if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
                if (got <= 0) break;
                continue;
            }
            fig = nf;
            fig_cap = cap;
        }
        ssize_t got = read(fds[0], fig + fig_n, 4096);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) break;
        fig_n += (size_t)got;
    }
    close(fds[0]);
    if (timed_out) kill(pid, SIGKILL);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
    double elapsed = prb_now_ms() - t_start;
    memcpy(res, sh, sizeof *res);
    res->outputs = NULL;
    res->cap_outputs = 0;
    if (sh->n_outputs) {
        size_t n = sh->n_outputs < sh->cap_outputs ? sh->n_outputs : sh->cap_outputs;
        res->outputs = malloc(n * sizeof *res->outputs);
        if (res->outputs) memcpy(res->outputs, sh->outputs, n * sizeof *res->outputs);
        res->n_outputs = res->outputs ? n : 0;
        res->cap_outputs = res->n_outputs;
    }
    munmap(sh, map_len);
    if (fig && !fig_lost && fig_n) {
        fig[fig_n] = 0;
        res->figures = fig;
    } else {
        free(fig);
    }
#ifdef __APPLE__
    res->rss_peak_mb = (double)ru.ru_maxrss / (1024.0 * 1024.0);
#else
    res->rss_peak_mb = (double)ru.ru_maxrss / 1024.0;
#endif
    const char *op = res->current_op && res->current_op->name ? res->current_op->name : NULL;
    char where[PROBE_NAME + 96] = "";
    if (op && (res->stage == STAGE_RUN_FP32 || res->stage == STAGE_RUN_FP16 || res->stage == STAGE_RUN_TYPED ||
               res->stage == STAGE_BASELINE))
        snprintf(where, sizeof where, " at op '%s' (%s)", op, res->current_op->kind);
    if (timed_out) {
        prb_fail(res, PROBE_TIMEOUT, "did not finish within %.3g s (wall clock) and was stopped %s%s", opts->timeout_s,
                 prb_stage_name(res->stage), where);
        return;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGKILL)
            prb_fail(res, PROBE_OOM, "was killed (SIGKILL) %s%s after %.0f ms, most likely by the system's out-of-memory "
                     "killer", prb_stage_name(res->stage), where, elapsed);
        else
            prb_fail(res, PROBE_CRASH, "crashed with signal %d (%s) %s%s%s", sig, cml_signal_name(sig),
                     prb_stage_name(res->stage), where,
                     res->oom_hint && res->rss_peak_mb - res->rss_start_mb > 0.8 * (double)opts->memory_limit_mb
                         ? " near its memory limit (an allocation failure may be the cause)"
                         : "");
        return;
    }
    if (!res->complete) {
        prb_fail(res, PROBE_CRASH, "exited with status %d %s%s before finishing", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                 prb_stage_name(res->stage), where);
        return;
    }
}

/* SPDX-License-Identifier: Apache-2.0 */
/* exec_bench.c — cml-exec-bench: the runtime probe's executor alone, timed
 * in process (a benchmark, not a test; see "Runtime probe" in bench/README.md).
 *
 *   cml-exec-bench [--threads T] [--runs N] [--mode fp32|fp16|both]
 *                  [--input NAME=FILE.f32] [--ops] MODEL
 *
 * Loads MODEL with the host's loader, prepares the executor (timed), runs
 * each asked mode N times after one warm-up run and prints per mode the
 * min / median / max wall time of the runs and the median CPU time of the
 * process per run (user + system of every thread: on a loaded machine the
 * CPU time moves less than the wall time), then the plan's constant bytes
 * and the process's peak RSS. Inputs come from FILE (raw little-endian
 * float32) or from exec_make_inputs. Weights are read as the probe reads
 * them: in place where the host has them mapped. --ops adds, for the last
 * mode run, each op kind's share (the fastest of the runs for each op, so
 * that a loaded machine's stalls drop out) and, for conv ops, GFLOP/s by
 * kernel shape and stride. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "exec.h"
#include "exec_host_io.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double sys_ms(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double peak_rss_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)ru.ru_maxrss / 1024.0;
}

static float *read_f32(const char *path, size_t want) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    float *d = malloc((want ? want : 1) * sizeof(float));
    size_t got = d ? fread(d, sizeof(float), want, f) : 0;
    fclose(f);
    if (got != want) { free(d); return NULL; }
    return d;
}

/* per op: the fastest of the runs */
typedef struct opagg {
    char key[64];
    double ms, gflop;
    int n;
} opagg;

static double conv_gflop(const cml_op *op) {
    const cml_value *w = cml_op_param(op, "weight");
    if (!w || op->n_outputs < 1) return 0;
    const cml_shape *ws = &w->type.shape, *ys = &op->outputs[0]->type.shape;
    if (ws->rank < 3 || ys->rank < 3) return 0;
    double f = 2.0;
    for (int i = 0; i < ws->rank; i++) f *= (double)ws->dims[i];
    for (int i = 2; i < ys->rank; i++) f *= (double)ys->dims[i];
    return f * (double)ys->dims[0] / 1e9;
}

static void print_ops(const exec_stats *st, const double *best) {
    opagg agg[64];
    int na = 0;
    double total = 0;
    for (size_t i = 0; i < st->n_ops; i++) total += best[i];
    for (size_t i = 0; i < st->n_ops; i++) {
        const cml_op *op = st->ops[i].op;
        char key[64];
        double gf = 0;
        if (!strcmp(op->kind, "conv")) {
            const cml_value *w = cml_op_param(op, "weight");
            const cml_value *x = cml_op_param(op, "x");
            const cml_shape *ws = w ? &w->type.shape : NULL;
            /* strided: the output narrower than the input (by name: the
             * operands' order is the file's) */
            snprintf(key, sizeof key, "conv %lldx%lld%s", ws && ws->rank == 4 ? (long long)ws->dims[2] : 0LL,
                     ws && ws->rank == 4 ? (long long)ws->dims[3] : 0LL,
                     op->n_outputs && op->outputs[0]->type.shape.rank == 4 && x && x->type.shape.rank == 4 &&
                             x->type.shape.dims[3] > op->outputs[0]->type.shape.dims[3]
                         ? " strided"
                         : "");
            gf = conv_gflop(op);
        } else {
            snprintf(key, sizeof key, "%s", op->kind);
        }
        int k = 0;
        while (k < na && strcmp(agg[k].key, key)) k++;
        if (k == na) {
            if (na == 64) continue;
            memset(&agg[na], 0, sizeof agg[na]);
            snprintf(agg[na].key, sizeof agg[na].key, "%s", key);
            na++;
        }
        agg[k].ms += best[i];
        agg[k].gflop += gf;
        agg[k].n++;
    }
    printf("ops: sum of each op's fastest run %.2f ms\n", total);
    if (getenv("CML_BENCH_EACH"))
        for (size_t i = 0; i < st->n_ops; i++) {
            const cml_op *op = st->ops[i].op;
            double gf = strcmp(op->kind, "conv") ? 0 : conv_gflop(op);
            const cml_value *w = cml_op_param(op, "weight");
            const cml_shape *ys = op->n_outputs ? &op->outputs[0]->type.shape : NULL;
            if (gf <= 0 || !w || !ys || ys->rank != 4) continue;
            const cml_shape *ws = &w->type.shape;
            printf("    %-28s K %5lld Cout %4lld P %5lld (%lldx%lld) %7.3f ms %6.1f GFLOP/s\n", op->name,
                   (long long)(ws->dims[1] * ws->dims[2] * ws->dims[3]), (long long)ws->dims[0],
                   (long long)(ys->dims[2] * ys->dims[3]), (long long)ws->dims[2], (long long)ws->dims[3], best[i],
                   gf / (best[i] / 1e3));
        }
    for (int k = 0; k < na; k++) {
        printf("  %-22s %4d ops %8.2f ms %5.1f%%", agg[k].key, agg[k].n, agg[k].ms, total > 0 ? 100 * agg[k].ms / total : 0);
        if (agg[k].gflop > 0) printf(" %7.1f GFLOP/s (%.2f GFLOP)", agg[k].gflop / (agg[k].ms / 1e3), agg[k].gflop);
        printf("\n");
    }
}

static int usage(void) {
    fprintf(stderr, "usage: cml-exec-bench [--threads T] [--runs N] [--mode fp32|fp16|both] [--input NAME=FILE] MODEL\n");
    return 2;
}

int main(int argc, char **argv) {
    int threads = 1, runs = 10;
    bool ops = false;
    const char *mode = "both", *model = NULL, *input = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mode") && i + 1 < argc) mode = argv[++i];
        else if (!strcmp(argv[i], "--input") && i + 1 < argc) input = argv[++i];
        else if (!strcmp(argv[i], "--ops")) ops = true;
        else if (argv[i][0] == '-') return usage();
        else model = argv[i];
    }
    if (!model || runs < 1 || runs > 10000) return usage();
    double t0 = now_ms();
    lmodel *lm = loader_load(model, NULL);
    if (!lm || !lm->model) { fprintf(stderr, "cml-exec-bench: cannot load %s\n", model); loader_free(lm); return 1; }
    double load_ms = now_ms() - t0;
    exec_opts opts = {.threads = threads, .io = {.read = host_io_read, .stored_as = host_io_stored, .bytes = host_io_bytes}};
    char err[1024];
    t0 = now_ms();
    exec_plan *p = exec_prepare(lm->model, NULL, &opts, err, sizeof err);
    double prep_ms = now_ms() - t0;
    if (!p) { fprintf(stderr, "cml-exec-bench: %s\n", err); loader_free(lm); return 1; }
    exec_tensor *in = NULL;
    size_t n_in = 0;
    if (exec_make_inputs(lm->model, NULL, 7, &in, &n_in, err, sizeof err) != 0) {
        fprintf(stderr, "cml-exec-bench: %s\n", err);
        return 1;
    }
    if (input) {
        const char *eq = strchr(input, '=');
        for (size_t i = 0; eq && i < n_in; i++) {
            if (strncmp(in[i].name, input, (size_t)(eq - input)) || in[i].name[eq - input]) continue;
            float *d = read_f32(eq + 1, exec_tensor_count(&in[i]));
            if (!d) { fprintf(stderr, "cml-exec-bench: cannot read %s\n", eq + 1); return 1; }
            free(in[i].data);
            in[i].data = d;
        }
    }
    printf("model %s threads %d runs %d load_ms %.1f prepare_ms %.1f\n", model, exec_threads(p), runs, load_ms, prep_ms);
    double *wall = malloc((size_t)runs * sizeof(double)), *cpu = malloc((size_t)runs * sizeof(double));
    for (int m = 0; m < 2 && wall && cpu; m++) {
        if ((m == 0 && !strcmp(mode, "fp16")) || (m == 1 && !strcmp(mode, "fp32"))) continue;
        exec_mode em = m ? EXEC_FP16_EMU : EXEC_FP32;
        double first = 0, sum = 0, sys0 = 0;
        exec_stats st;
        size_t n_ops = exec_plan_n_ops(p);
        double *best = calloc(n_ops ? n_ops : 1, sizeof *best);
        if (!best) return 1;
        for (size_t i = 0; i < n_ops; i++) best[i] = 1e30;
        for (int k = -1; k < runs; k++) {
            exec_tensor *o = NULL;
            size_t n_o = 0;
            double w0 = now_ms(), c0 = cpu_ms();
            if (exec_run(p, em, in, n_in, &o, &n_o, &st) != 0) {
                fprintf(stderr, "cml-exec-bench: run failed: %s\n", exec_last_error(p));
                return 1;
            }
            for (size_t i = 0; i < st.n_ops && k >= 0; i++)
                if (st.ops[i].ms < best[i]) best[i] = st.ops[i].ms;
            double w = now_ms() - w0, c = cpu_ms() - c0;
            for (size_t i = 0; i < n_o && k == runs - 1; i++)
                for (size_t e = 0; e < exec_tensor_count(&o[i]); e++) sum += o[i].data[e];
            exec_tensors_free(o, n_o);
            if (k < 0) { first = w; sys0 = sys_ms(); continue; }
            wall[k] = w;
            cpu[k] = c;
        }
        qsort(wall, (size_t)runs, sizeof *wall, cmpd);
        qsort(cpu, (size_t)runs, sizeof *cpu, cmpd);
        double sys_run = (sys_ms() - sys0) / runs;
        printf("%-5s first_ms %.2f min_ms %.2f median_ms %.2f max_ms %.2f cpu_median_ms %.2f (sys %.2f) out_sum %.6g\n",
               m ? "fp16" : "fp32", first, wall[0], wall[runs / 2], wall[runs - 1], cpu[runs / 2], sys_run, sum);
        if (ops) print_ops(&st, best);
        free(best);
    }
    printf("const_mb %.1f peak_rss_mb %.1f\n", (double)exec_plan_const_bytes(p) / 1048576.0, peak_rss_mb());
    free(wall);
    free(cpu);
    exec_tensors_free(in, n_in);
    exec_plan_free(p);
    loader_free(lm);
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_corpus.c — the reference executor against the corpus references.
 *
 * For every model in $CML_CORPUS_DIR/manifest.json with a `reference`
 * (PyTorch fp32 outputs for fixed inputs, raw little-endian float32 files),
 * load it with loader_load, run the executor and compare: fp32 programs and
 * fp32 NeuralNetwork models in fp32 mode must agree to 1e-3 of max|y|; fp16
 * programs in fp16 emulation (and in fp32 mode) must stay within the
 * manifest's atol_hint; compressed models (atol_hint null) must run with
 * finite outputs and a sane divergence, which is printed. Multifunction
 * models run every function; the stateful model's first call starts from a
 * zero state. Models without a reference are smoke-run on generated inputs
 * (custom-layer models must be refused with a reason); the scikit-learn
 * models are checked against facts of their data sets (check_sklearn). Prints a table (model, mode, max abs err, rmse, time). Skips (77)
 * when the corpus is absent. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "check.h"
#ifdef CML_NO_EXEC
/* built without OpenBLAS: no executor to test */
CHECK_MAIN_NO_EXEC()
#else
#include "exec_host_io.h"

static const char *g_dir;

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    if (b) { b[n] = 0; if (len) *len = (size_t)n; }
    return b;
}

static float *read_f32(const char *file, size_t want) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", g_dir, file);
    size_t len = 0;
    char *b = read_file(path, &len);
    if (!b) return NULL;
    if (len != want * 4) {
        fprintf(stderr, "%s: %zu bytes, expected %zu\n", file, len, want * 4);
        free(b);
        return NULL;
    }
    return (float *)(void *)b;
}

static size_t shape_of(const cJSON *sh, int64_t *dims, int *rank) {
    size_t n = 1;
    *rank = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, sh) {
        dims[(*rank)++] = (int64_t)d->valuedouble;
        n *= (size_t)d->valuedouble;
    }
    return n;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct cmp {
    double max_err, rmse, max_ref;
    bool finite;
} cmp;

static cmp compare(const float *got, const float *ref, size_t n) {
    cmp r = {0, 0, 0, true};
    double se = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i])) r.finite = false;
        double e = fabs((double)got[i] - ref[i]);
        if (e > r.max_err || e != e) r.max_err = e;
        se += e * e;
        if (fabs(ref[i]) > r.max_ref) r.max_ref = fabs(ref[i]);
    }
    r.rmse = n ? sqrt(se / (double)n) : 0;
    return r;
}

enum { KIND_FP32, KIND_FP16, KIND_COMPRESSED };

static int g_rows;

static void row(const char *model, const char *fn, const char *mode, const cmp *c, double tol, double ms,
                const char *verdict) {
    char name[96];
    snprintf(name, sizeof name, "%s%s%s", model, fn ? ":" : "", fn ? fn : "");
    if (!g_rows++)
        printf("%-58s %-9s %11s %11s %9s %10s %9s  %s\n", "model", "mode", "max_abs_err", "rmse", "max|y|",
               "tolerance", "time_ms", "verdict");
    if (tol >= 0)
        printf("%-58s %-9s %11.3g %11.3g %9.3g %10.3g %9.1f  %s\n", name, mode, c->max_err, c->rmse, c->max_ref,
               tol, ms, verdict);
    else
        printf("%-58s %-9s %11.3g %11.3g %9.3g %10s %9.1f  %s\n", name, mode, c->max_err, c->rmse, c->max_ref, "-",
               ms, verdict);
    fflush(stdout);
}

/* run one function in one mode; compare every referenced output */
static void run_case(const cml_model *m, const char *model, const char *fn, exec_plan *p, exec_mode mode,
                     const exec_tensor *ins, size_t n_in, const cJSON *outs, int kind, double atol) {
    exec_tensor *o = NULL;
    size_t n_o = 0;
    exec_stats st;
    exec_reset_states(p);
    double t0 = now_ms();
    int rc = exec_run(p, mode, ins, n_in, &o, &n_o, &st);
    double ms = now_ms() - t0;
    const char *mname = mode == EXEC_FP32 ? "fp32" : "fp16-emu";
    if (rc != 0) {
        fprintf(stderr, "%s %s: run failed: %s\n", model, mname, exec_last_error(p));
        CHECK(rc == 0);
        return;
    }
    const cJSON *ro;
    cJSON_ArrayForEach(ro, outs) {
        const char *name = cJSON_GetObjectItem(ro, "name")->valuestring;
        int64_t dims[8];
        int rank;
        size_t n = shape_of(cJSON_GetObjectItem(ro, "shape"), dims, &rank);
        float *ref = read_f32(cJSON_GetObjectItem(ro, "file")->valuestring, n);
        CHECK(ref != NULL);
        if (!ref) continue;
        const exec_tensor *got = NULL;
        for (size_t i = 0; i < n_o; i++)
            if (!strcmp(o[i].name, name)) got = &o[i];
        if (!got) {
            fprintf(stderr, "%s: output '%s' not produced\n", model, name);
            CHECK(got != NULL);
            free(ref);
            continue;
        }
        if (exec_tensor_count(got) != n) {
            fprintf(stderr, "%s: output '%s' has %zu values, reference %zu\n", model, name, exec_tensor_count(got), n);
            CHECK(exec_tensor_count(got) == n);
            free(ref);
            continue;
        }
        cmp c = compare(got->data, ref, n);
        double tol;
        const char *verdict = "ok";
        bool ok;
        if (kind == KIND_FP32) {
            tol = 1e-3 * (c.max_ref > 0 ? c.max_ref : 1);
            /* an fp32 model in fp16 emulation: the corpus' fp16 tolerance,
             * max(1e-2, 5e-2 * max|y|) (NOTES.md, atol_hint) */
            if (mode == EXEC_FP16_EMU) tol = fmax(1e-2, 5e-2 * c.max_ref);
            ok = c.finite && c.max_err <= tol;
        } else if (kind == KIND_FP16) {
            tol = atol;
            ok = c.finite && c.max_err <= tol;
        } else {
            /* compressed: the reference is the uncompressed model, so only
             * sanity here; weight_check verifies the decompression itself */
            tol = -1;
            ok = c.finite && c.rmse <= c.max_ref;
            verdict = ok ? "runs (divergence from uncompressed)" : "DIVERGES";
        }
        if (!ok && kind != KIND_COMPRESSED) verdict = "MISMATCH";
        row(model, fn, mname, &c, tol, ms, verdict);
        if (!ok) fprintf(stderr, "%s (%s, %s): max err %g over tolerance %g (finite %d)\n", model, name, mname,
                         c.max_err, tol, c.finite);
        CHECK(ok);
        if (st.first_nonfinite >= 0 && kind != KIND_COMPRESSED)
            fprintf(stderr, "  note: first non-finite op %s\n", st.ops[st.first_nonfinite].op->name);
        free(ref);
    }
    (void)m;
    exec_tensors_free(o, n_o);
    /* speed of the large models: median of 3 warm runs */
    if (strstr(model, "resnet50") || strstr(model, "resnet18_")) {
        double t[3];
        for (int r = 0; r < 3; r++) {
            double a = now_ms();
            CHECK(exec_run(p, mode, ins, n_in, &o, &n_o, NULL) == 0);
            t[r] = now_ms() - a;
            exec_tensors_free(o, n_o);
        }
        double lo = fmin(t[0], fmin(t[1], t[2])), hi = fmax(t[0], fmax(t[1], t[2]));
        printf("%-58s %-9s speed: median of 3 warm runs %.1f ms\n", model, mname, t[0] + t[1] + t[2] - lo - hi);
    }
}

/* The stored-form path against the decoded path: the model prepared as the
 * probe prepares it (large constants kept in their stored form, in place in
 * the mapped weight.bin, decoded per tile by the matrix kernels and per step
 * elsewhere) and with every constant decoded to float32 up front
 * (CML_EXEC_DECODE_CONSTS), run on the same inputs in both modes. The
 * decoded values are the same bit for bit (exec_const.c computes them with
 * the eager decoders' arithmetic), so the convolutions' packed weights are
 * identical; what may differ is the summation order of a linear layer (our
 * own dot products against the BLAS's) and, in fp16 emulation, a value that
 * this moves across a binary16 rounding boundary. Bounds: fp32 1e-5 of
 * max|y|, fp16 emulation 2^-9 of max|y| (two ulps of binary16 near max|y|). */
static void stored_vs_decoded(const char *name, const cml_model *m, const char *fn, const exec_opts *opts,
                              const exec_tensor *ins, size_t n_in) {
    char err[512];
    exec_plan *ps = exec_prepare(m, fn, opts, err, sizeof err);
    setenv("CML_EXEC_DECODE_CONSTS", "1", 1);
    exec_plan *pd = exec_prepare(m, fn, opts, err, sizeof err);
    unsetenv("CML_EXEC_DECODE_CONSTS");
    CHECK(ps && pd);
    if (!ps || !pd) { exec_plan_free(ps); exec_plan_free(pd); return; }
    double worst[2] = {0, 0};
    for (int mode = EXEC_FP32; mode <= EXEC_FP16_EMU; mode++) {
        exec_tensor *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        exec_reset_states(ps);
        exec_reset_states(pd);
        /* twice: the second run uses the packed weights the first made */
        for (int k = 0; k < 2; k++) {
            exec_tensors_free(a, na);
            a = NULL;
            CHECK(exec_run(ps, (exec_mode)mode, ins, n_in, &a, &na, NULL) == 0);
        }
        exec_reset_states(ps);
        exec_tensors_free(a, na);
        a = NULL;
        CHECK(exec_run(ps, (exec_mode)mode, ins, n_in, &a, &na, NULL) == 0);
        CHECK(exec_run(pd, (exec_mode)mode, ins, n_in, &b, &nb, NULL) == 0);
        CHECK(na == nb);
        for (size_t i = 0; i < na && i < nb; i++) {
            size_t n = exec_tensor_count(&a[i]);
            CHECK(n == exec_tensor_count(&b[i]));
            if (n != exec_tensor_count(&b[i])) continue;
            cmp c = compare(a[i].data, b[i].data, n);
            double lim = (mode == EXEC_FP32 ? 1e-5 : 0x1p-9) * (c.max_ref > 0 ? c.max_ref : 1);
            double rel = c.max_err / (c.max_ref > 0 ? c.max_ref : 1);
            if (rel > worst[mode]) worst[mode] = rel;
            if (!(c.max_err <= lim))
                fprintf(stderr, "%s: output '%s' (%s): stored form vs decoded differ by %g (bound %g)\n", name,
                        a[i].name, mode == EXEC_FP32 ? "fp32" : "fp16-emu", c.max_err, lim);
            CHECK(c.max_err <= lim);
        }
        exec_tensors_free(a, na);
        exec_tensors_free(b, nb);
    }
    printf("%-58s stored form: constants %.2f MB held (decoded: %.2f MB), max rel diff fp32 %.2g fp16-emu %.2g\n",
           name, (double)exec_plan_const_bytes(ps) / 1048576.0, (double)exec_plan_const_bytes(pd) / 1048576.0,
           worst[0], worst[1]);
    exec_plan_free(ps);
    exec_plan_free(pd);
}

/* Decompressed weights against the uncompressed model's: every conv/linear
 * weight of a compressed resnet18w25 is compared with the same op's weight
 * in the base model. A bit-order or layout mistake in decompression gives a
 * relative error near 1 or more; pruning must keep the other values exactly. */
static void weight_check(const char *name, const cml_model *m, exec_plan *p, const exec_opts *opts) {
    bool nn = strstr(name, "_nn_") != NULL;
    const char *base = nn ? "resnet18w25_nn_fp32_ios13.mlmodel" : "resnet18w25_mlprogram_fp16_ios16.mlpackage";
    /* limits a little above what the compression itself costs on these
     * random Gaussian-like weights (Lloyd-Max: 2 bits ~0.34, 4 bits ~0.10;
     * 8 bits < 0.01; magnitude pruning removes the smallest values) */
    double lim = strstr(name, "2bit") ? 0.4 : strstr(name, "int8") || strstr(name, "lut8") || strstr(name, "linear8") ? 0.01
               : strstr(name, "75pct") ? 0.6 : strstr(name, "joint") ? 0.35 : strstr(name, "30pct") ? 0.15 : 0.13;
    bool prune_only = strstr(name, "prune_magnitude") != NULL;
    char full[4096], err[512];
    snprintf(full, sizeof full, "%s/%s", g_dir, base);
    lmodel *lb = loader_load(full, NULL);
    exec_plan *pb = lb && lb->model ? exec_prepare(lb->model, NULL, opts, err, sizeof err) : NULL;
    CHECK(pb != NULL);
    if (!pb) { loader_free(lb); return; }
    const cml_block *b = exec_plan_function(p)->block, *bb = exec_plan_function(pb)->block;
    double se = 0, so = 0;
    size_t layers = 0, viol = 0, zeros = 0, total = 0;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        bool is_w = !strcmp(op->kind, "conv") || !strcmp(op->kind, "linear") || !strcmp(op->kind, "convolution") ||
                    !strcmp(op->kind, "innerProduct");
        if (!is_w) continue;
        const cml_op *ob = NULL;
        for (size_t j = 0; j < bb->n_ops && !ob; j++)
            if (!strcmp(bb->ops[j]->name, op->name) && !strcmp(bb->ops[j]->kind, op->kind)) ob = bb->ops[j];
        CHECK(ob != NULL);
        if (!ob) continue;
        const cml_value *wv = nn ? ir_op_attr(op, "weights")->value : ir_op_param(op, "weight");
        const cml_value *wb = nn ? ir_op_attr(ob, "weights")->value : ir_op_param(ob, "weight");
        exec_tensor t, tb;
        if (exec_plan_const(p, wv, &t) != 0 || exec_plan_const(pb, wb, &tb) != 0) { CHECK(0); continue; }
        size_t n = exec_tensor_count(&tb);
        CHECK(exec_tensor_count(&t) >= n);
        for (size_t k = 0; k < n && k < exec_tensor_count(&t); k++) {
            double d = (double)t.data[k] - tb.data[k];
            se += d * d;
            so += (double)tb.data[k] * tb.data[k];
            if (t.data[k] == 0) zeros++;
            if (t.data[k] != 0 && t.data[k] != tb.data[k]) viol++;
        }
        total += n;
        layers++;
    }
    double rel = so > 0 ? sqrt(se / so) : 0;
    printf("%-58s weights   rel_err %.4f over %zu layers (limit %.2f), zeros %.1f%%%s\n", name, rel, layers, lim,
           total ? 100.0 * (double)zeros / (double)total : 0.0, prune_only ? (viol ? ", KEPT VALUES CHANGED" : ", kept values exact") : "");
    CHECK(layers >= 20);
    CHECK(rel < lim);
    if (prune_only) CHECK(viol == 0);
    (void)m;
    exec_plan_free(pb);
    loader_free(lb);
}

/* ---- the scikit-learn models (classic, no PyTorch reference) ------------------
 * What they must compute is known from their data sets and estimators
 * (manifest.json "how"): scikit-learn's LinearRegression on the diabetes
 * set has intercept 152.133 and coefficients bmi (feature 2) 519.84 and s1
 * (feature 4) -792.18 (the figures scikit-learn's examples publish; they
 * move in the second decimal between releases, so the checks allow 0.05 on
 * a coefficient); the iris estimators
 * put the first sample of each species (iris rows 0, 50, 100) in its class;
 * a random forest's Core ML class scores are the per-tree class
 * frequencies summed, not averaged (apple/coremltools#1541), so they sum
 * to the number of trees (10); the pipeline with four scalar inputs holds
 * the same forest as the bare classifier. */
static const float IRIS[3][4] = {{5.1f, 3.5f, 1.4f, 0.2f}, {7.0f, 3.2f, 4.7f, 1.4f}, {6.3f, 3.3f, 6.0f, 2.5f}};
static const char *const IRIS_NAMES[3] = {"setosa", "versicolor", "virginica"};

/* run p on x (n features, as one "features" array or as the four named
 * scalar iris inputs) */
static exec_tensor *sk_run(exec_plan *p, const cml_model *m, const float *x, size_t n, size_t *n_out) {
    exec_tensor in[4];
    size_t n_in = 0;
    memset(in, 0, sizeof in);
    static const char *const scalar_names[4] = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
    if (m->n_inputs == 4) {
        for (size_t i = 0; i < 4; i++)
            in[n_in++] = (exec_tensor){.name = scalar_names[i], .rank = 1, .shape = {1}, .data = (float *)&x[i]};
    } else {
        in[n_in++] = (exec_tensor){.name = "features", .rank = 1, .shape = {(int64_t)n}, .data = (float *)x};
    }
    exec_tensor *o = NULL;
    *n_out = 0;
    if (exec_run(p, EXEC_FP32, in, n_in, &o, n_out, NULL) != 0) {
        fprintf(stderr, "run failed: %s\n", exec_last_error(p));
        return NULL;
    }
    return o;
}

static double sum_of(const exec_tensor *t) {
    double s = 0;
    for (size_t k = 0; k < exec_tensor_count(t); k++) s += t->data[k];
    return s;
}

/* forest scores of the bare classifier, to compare with the pipeline */
static float g_forest[3][3];
static bool g_have_forest;

static void check_sklearn(const char *name, const cml_model *m, exec_plan *p) {
    size_t n = 0;
    if (!strcmp(name, "sklearn_linear_regression")) {
        float x[10] = {0};
        exec_tensor *o = sk_run(p, m, x, 10, &n);
        CHECK(o && n == 1 && fabs(o[0].data[0] - 152.133) < 1e-3);
        exec_tensors_free(o, n);
        x[2] = 1;
        o = sk_run(p, m, x, 10, &n);
        CHECK(o && n == 1 && fabs(o[0].data[0] - (152.133 + 519.84)) < 0.05);
        exec_tensors_free(o, n);
        x[2] = 0;
        x[4] = 1;
        o = sk_run(p, m, x, 10, &n);
        CHECK(o && n == 1 && fabs(o[0].data[0] - (152.133 - 792.18)) < 0.05);
        if (o) printf("%-58s diabetes: x=e_s1 -> %.4f (expected -640.05 +- 0.05)\n", name, o[0].data[0]);
        exec_tensors_free(o, n);
        return;
    }
    if (!strcmp(name, "sklearn_random_forest_regressor")) {
        float x[10] = {0};
        exec_tensor *o = sk_run(p, m, x, 10, &n);
        /* SOURCE: the diabetes target ranges over 25..346; a forest's mean of leaf means stays inside */
        CHECK(o && n == 1 && o[0].data[0] >= 25 && o[0].data[0] <= 346);
        if (o) printf("%-58s diabetes: x=0 -> %.4f (inside the target range 25..346)\n", name, o[0].data[0]);
        exec_tensors_free(o, n);
        return;
    }
    bool forest = strstr(name, "random_forest") != NULL;
    if (!strcmp(name, "sklearn_random_forest_scalar_inputs")) CHECK(g_have_forest); /* the manifest lists the bare forest first */
    for (int s = 0; s < 3; s++) {
        exec_tensor *o = sk_run(p, m, IRIS[s], 4, &n);
        CHECK(o && n == 2);
        if (!o || n != 2) { exec_tensors_free(o, n); continue; }
        CHECK(o[0].dtype == EXEC_DT_LABEL && (int)o[0].data[0] == s);
        if (!forest) CHECK(o[0].label && !strcmp(o[0].label, IRIS_NAMES[s]));
        CHECK(exec_tensor_count(&o[1]) == 3);
        double sum = sum_of(&o[1]);
        CHECK(fabs(sum - (forest ? 10.0 : 1.0)) < 1e-4);
        if (forest && exec_tensor_count(&o[1]) == 3) {
            if (!g_have_forest) memcpy(g_forest[s], o[1].data, sizeof g_forest[s]);
            else CHECK(!memcmp(g_forest[s], o[1].data, sizeof g_forest[s]));
        }
        printf("%-58s iris row %d -> class %d%s%s, scores sum %.4f\n", name, s * 50, (int)o[0].data[0],
               o[0].label ? " " : "", o[0].label ? o[0].label : "", sum);
        exec_tensors_free(o, n);
    }
    if (forest) g_have_forest = true;
}

static void test_model(const cJSON *e) {
    const char *name = cJSON_GetObjectItem(e, "name")->valuestring;
    const char *path = cJSON_GetObjectItem(e, "path")->valuestring;
    const cJSON *ref = cJSON_GetObjectItem(e, "reference");
    const char *prec = cJSON_GetStringValue(cJSON_GetObjectItem(e, "compute_precision"));
    const cJSON *comp = cJSON_GetObjectItem(e, "compression");
    const char *mtype = cJSON_GetStringValue(cJSON_GetObjectItem(e, "model_type"));
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", g_dir, path);
    lmodel *lm = loader_load(full, NULL);
    CHECK(lm && lm->model);
    if (!lm || !lm->model) { loader_free(lm); return; }
    const cml_model *m = lm->model;
    char err[1024];
    exec_opts opts = {.io = {.read = host_io_read, .stored_as = host_io_stored, .bytes = host_io_bytes}};
    const char *env = getenv("CML_EXEC_THREADS");
    opts.threads = env ? atoi(env) : 0;

    if (!ref || cJSON_IsNull(ref)) {
        /* no reference: executable models are smoke-run, others refused */
        exec_plan *p = exec_prepare(m, NULL, &opts, err, sizeof err);
        bool classic = mtype && strncmp(mtype, "neuralNetwork", 13) != 0 && strcmp(mtype, "mlProgram") != 0;
        if (!p) {
            printf("%-58s refused: %s\n", name, err);
            CHECK(strstr(err, "custom") != NULL);
        } else {
            if (classic) check_sklearn(name, m, p);
            exec_tensor *in = NULL;
            size_t n_in = 0;
            CHECK(exec_make_inputs(m, NULL, 7, &in, &n_in, err, sizeof err) == 0);
            exec_tensor *o = NULL;
            size_t n_o = 0;
            int rc = exec_run(p, EXEC_FP32, in, n_in, &o, &n_o, NULL);
            if (rc) fprintf(stderr, "%s: smoke run failed: %s\n", name, exec_last_error(p));
            CHECK(rc == 0);
            bool finite = true;
            for (size_t i = 0; i < n_o; i++)
                for (size_t k = 0; k < exec_tensor_count(&o[i]); k++) finite = finite && isfinite(o[i].data[k]);
            CHECK(finite);
            printf("%-58s smoke run on generated inputs: %s (%zu outputs%s%s)\n", name, rc == 0 && finite ? "ok" : "FAILED",
                   n_o, n_o && o[n_o - 1].label ? ", label " : "", n_o && o[n_o - 1].label ? o[n_o - 1].label : "");
            exec_tensors_free(o, n_o);
            exec_tensors_free(in, n_in);
            exec_plan_free(p);
        }
        loader_free(lm);
        return;
    }
    const cJSON *atj = cJSON_GetObjectItem(ref, "atol_hint");
    double atol = cJSON_IsNumber(atj) ? atj->valuedouble : -1;
    bool compressed = comp && !cJSON_IsNull(comp) && atol < 0;
    int kind = compressed ? KIND_COMPRESSED : (prec && strstr(prec, "FLOAT16") && !strstr(prec, "FLOAT16 weights")) ? KIND_FP16
             : (prec && strstr(prec, "FLOAT32") && !(comp && !cJSON_IsNull(comp))) ? KIND_FP32 : KIND_FP16;
    if (kind == KIND_FP16 && atol < 0) atol = 1e-2;

    /* inputs */
    const cJSON *ri = cJSON_GetObjectItem(ref, "inputs"), *it;
    size_t n_in = (size_t)cJSON_GetArraySize(ri);
    exec_tensor *ins = calloc(n_in ? n_in : 1, sizeof *ins);
    size_t k = 0;
    cJSON_ArrayForEach(it, ri) {
        exec_tensor *t = &ins[k++];
        t->name = cJSON_GetObjectItem(it, "name")->valuestring;
        size_t n = shape_of(cJSON_GetObjectItem(it, "shape"), t->shape, &t->rank);
        t->data = read_f32(cJSON_GetObjectItem(it, "file")->valuestring, n);
        CHECK(t->data != NULL);
    }
    /* functions: the default one, or every one listed in function_outputs */
    const cJSON *fo = cJSON_GetObjectItem(ref, "function_outputs");
    if (fo && cJSON_IsObject(fo)) {
        const cJSON *f;
        cJSON_ArrayForEach(f, fo) {
            exec_plan *p = exec_prepare(m, f->string, &opts, err, sizeof err);
            if (!p) fprintf(stderr, "%s:%s: %s\n", name, f->string, err);
            CHECK(p != NULL);
            if (!p) continue;
            run_case(m, name, f->string, p, EXEC_FP32, ins, n_in, f, kind, atol);
            if (kind != KIND_COMPRESSED) run_case(m, name, f->string, p, EXEC_FP16_EMU, ins, n_in, f, kind, atol);
            exec_plan_free(p);
            stored_vs_decoded(name, m, f->string, &opts, ins, n_in);
        }
    } else {
        exec_plan *p = exec_prepare(m, NULL, &opts, err, sizeof err);
        if (!p) fprintf(stderr, "%s: %s\n", name, err);
        CHECK(p != NULL);
        if (p) {
            const cJSON *outs = cJSON_GetObjectItem(ref, "outputs");
            run_case(m, name, NULL, p, EXEC_FP32, ins, n_in, outs, kind, atol);
            if (kind != KIND_COMPRESSED) run_case(m, name, NULL, p, EXEC_FP16_EMU, ins, n_in, outs, kind, atol);
            if (kind == KIND_COMPRESSED && strstr(name, "resnet18w25")) weight_check(name, m, p, &opts);
            exec_plan_free(p);
            if (mtype && (!strcmp(mtype, "mlProgram") || !strncmp(mtype, "neuralNetwork", 13)))
                stored_vs_decoded(name, m, NULL, &opts, ins, n_in);
        }
    }
    for (size_t i = 0; i < n_in; i++) free(ins[i].data);
    free(ins);
    loader_free(lm);
}

int main(void) {
    g_dir = getenv("CML_CORPUS_DIR");
    if (!g_dir) SKIP_ALL("CML_CORPUS_DIR not set");
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", g_dir);
    char *txt = read_file(mpath, NULL);
    if (!txt) SKIP_ALL("corpus manifest.json not found");
    cJSON *man = cJSON_Parse(txt);
    free(txt);
    if (!man) SKIP_ALL("manifest.json does not parse");
    const char *only = getenv("CML_EXEC_ONLY");
    double t0 = now_ms();
    const cJSON *e;
    cJSON_ArrayForEach(e, man) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));
        if (!name || (only && !strstr(name, only))) continue;
        test_model(e);
    }
    cJSON_Delete(man);
    printf("total %.1f s\n", (now_ms() - t0) / 1e3);
    return CHECK_DONE();
}
#endif

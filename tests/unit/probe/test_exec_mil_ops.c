/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_mil_ops.c — the executor's ML Program kernels and real models
 * against independent references.
 *
 * Every .ref file in tests/refs holds cases written by a generator script
 * next to it (gen_mil_*.py, NumPy / PyTorch): a model.mil function, its
 * inputs and the outputs the reference computed (format in
 * tests/refs/milref.py). tests/models/models.ref names model packages
 * converted by Apple's coremltools from PyTorch (tests/models/gen_models.py)
 * with PyTorch's outputs, one or more predictions per case (`next`: states
 * carry over). Each case is loaded (a .mlmodelc for the text, the package
 * as it is), run in fp32, fp16 emulation or the model's own precision, and
 * its outputs compared in shape and value with the case's tolerance; `err`
 * cases must fail with the given text. A model case prints its largest
 * relative error. A case file with no case, a case that names no output or
 * error, or an unreadable file is a failure. The test does not need Python:
 * the references and models are committed. */
#define _DEFAULT_SOURCE
#include <dirent.h>

#include "mil_harness.h"

#ifdef CML_NO_EXEC
CHECK_MAIN_NO_EXEC()
#else

#define MAX_IO 8

typedef struct arr {
    char name[128];
    int index;
    int rank;
    int64_t dim[EXEC_MAX_RANK];
    float *v;
    size_t n;
} arr;

#define MAX_STEPS 8

/* one prediction: its inputs and expected outputs */
typedef struct rstep {
    arr in[MAX_IO], out[MAX_IO];
    int n_in, n_out;
} rstep;

typedef struct rcase {
    char name[128];
    exec_mode mode;
    double tol;
    char *mil;          /* the function text, or */
    char model[600];    /* a model package next to the .ref file */
    rstep step[MAX_STEPS];
    int n_steps;        /* predictions on one plan (states carry over) */
    char err[256];
} rcase;

static void case_free(rcase *k) {
    free(k->mil);
    for (int s = 0; s < k->n_steps; s++) {
        for (int i = 0; i < k->step[s].n_in; i++) free(k->step[s].in[i].v);
        for (int i = 0; i < k->step[s].n_out; i++) free(k->step[s].out[i].v);
    }
    memset(k, 0, sizeof *k);
}

/* "NAME DIMS : v v v" or "INDEX DIMS : v v v" */
static bool parse_arr(char *line, arr *a, bool named) {
    char *colon = strchr(line, ':');
    if (!colon) return false;
    *colon = 0;
    char head[128], dims[128];
    if (sscanf(line, "%127s %127s", head, dims) != 2) return false;
    if (named) snprintf(a->name, sizeof a->name, "%s", head);
    else a->index = atoi(head);
    a->rank = 0;
    if (strcmp(dims, "-") != 0)
        for (char *t = strtok(dims, ","); t && a->rank < EXEC_MAX_RANK; t = strtok(NULL, ",")) a->dim[a->rank++] = atoll(t);
    a->n = exec_count(a->rank, a->dim);
    a->v = calloc(a->n ? a->n : 1, sizeof(float));
    char *p = colon + 1;
    for (size_t i = 0; i < a->n; i++) {
        char *e;
        a->v[i] = strtof(p, &e);
        if (e == p) return false;
        p = e;
    }
    return true;
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static int g_cases, g_case_fail;

/* compare the outputs of one prediction; the worst relative error into *worst_all */
static void check_outputs(const rcase *k, const rstep *st, const res *r, const char *file, int stepno, double *worst_all) {
    for (int j = 0; j < st->n_out; j++) {
        const arr *o = &st->out[j];
        if ((size_t)o->index >= r->n) {
            fprintf(stderr, "%s: case %s step %d: output %d missing\n", file, k->name, stepno, o->index);
            check_failures_++;
            continue;
        }
        const exec_tensor *t = &r->o[o->index];
        bool shape_ok = t->rank == o->rank;
        for (int d = 0; shape_ok && d < o->rank; d++) shape_ok = t->shape[d] == o->dim[d];
        if (!shape_ok) {
            fprintf(stderr, "%s: case %s step %d: output %d has rank %d [", file, k->name, stepno, o->index, t->rank);
            for (int d = 0; d < t->rank; d++) fprintf(stderr, "%s%lld", d ? "," : "", (long long)t->shape[d]);
            fprintf(stderr, "], expected rank %d [", o->rank);
            for (int d = 0; d < o->rank; d++) fprintf(stderr, "%s%lld", d ? "," : "", (long long)o->dim[d]);
            fprintf(stderr, "]\n");
            check_failures_++;
            continue;
        }
        double worst = 0;
        size_t at = 0;
        for (size_t i = 0; i < o->n; i++) {
            double a = t->data[i], want = o->v[i];
            double e = (a == want || (a != a && want != want)) ? 0 : fabs(a - want) / (fabs(want) > 1 ? fabs(want) : 1);
            if (!(e <= worst)) { worst = e; at = i; }
        }
        if (!(worst <= *worst_all)) *worst_all = worst;
        if (!(worst <= k->tol)) {
            fprintf(stderr, "%s: case %s step %d: output %d[%zu] = %.9g, expected %.9g (relative error %.3g > %.3g)\n",
                    file, k->name, stepno, o->index, at, (double)t->data[at], (double)o->v[at], worst, k->tol);
            check_failures_++;
        }
    }
}

static void to_inputs(const rstep *st, exec_tensor *in) {
    for (int i = 0; i < st->n_in; i++) {
        memset(&in[i], 0, sizeof in[i]);
        in[i].name = st->in[i].name;
        in[i].rank = st->in[i].rank;
        memcpy(in[i].shape, st->in[i].dim, sizeof in[i].shape);
        in[i].data = st->in[i].v;
    }
}

static void run_case(const rcase *k, const char *file, const char *dir) {
    int before = check_failures_;
    g_cases++;
    res r;
    memset(&r, 0, sizeof r);
    exec_tensor in[MAX_IO];
    const rstep *st0 = &k->step[0];
    to_inputs(st0, in);
    if (k->err[0]) {
        bool ok = prep_quiet(&r, k->mil);
        const char *msg = r.err;
        if (ok) {
            ok = run_rc(&r, k->mode, in, (size_t)st0->n_in) == 0;
            msg = exec_last_error(r.p);
        }
        if (ok || !strstr(msg, k->err)) {
            fprintf(stderr, "%s: case %s: expected a failure with '%s', got %s\n", file, k->name, k->err,
                    ok ? "success" : msg);
            check_failures_++;
        }
        res_free(&r);
        if (check_failures_ != before) g_case_fail++;
        return;
    }
    bool ok;
    if (k->model[0]) {
        char path[1300];
        snprintf(path, sizeof path, "%s/%s", dir, k->model);
        r.lm = loader_load(path, NULL);
        r.p = r.lm && r.lm->model ? exec_prepare(r.lm->model, NULL, &host_opts, r.err, sizeof r.err) : NULL;
        ok = r.p != NULL;
        if (!ok) {
            fprintf(stderr, "%s: case %s: %s: %s\n", file, k->name, path, r.lm ? r.err : "load failed");
            check_failures_++;
        }
    } else {
        ok = prep(&r, k->mil);
    }
    double worst = 0;
    for (int s = 0; ok && s < k->n_steps; s++) {
        to_inputs(&k->step[s], in);
        if (!again(&r, k->mode, in, (size_t)k->step[s].n_in)) {
            fprintf(stderr, "%s: case %s step %d failed to run\n", file, k->name, s);
            break;
        }
        check_outputs(k, &k->step[s], &r, file, s, &worst);
    }
    if (k->model[0] && ok) fprintf(stderr, "%s: model case %s: largest relative error %.3g over %d prediction%s\n", file,
                                   k->name, worst, k->n_steps, k->n_steps > 1 ? "s" : "");
    res_free(&r);
    if (check_failures_ != before) g_case_fail++;
}

static void run_file(const char *dir, const char *path) {
    char *txt = read_all(path);
    if (!txt) {
        fprintf(stderr, "cannot read %s\n", path);
        check_failures_++;
        return;
    }
    const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    rcase k;
    memset(&k, 0, sizeof k);
    int n_cases = 0;
    bool in_mil = false;
    size_t mil_len = 0;
    char *save = NULL;
    for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (in_mil) {
            if (!strcmp(line, "endmil")) { in_mil = false; continue; }
            size_t l = strlen(line);
            char *nm = realloc(k.mil, mil_len + l + 2);
            if (!nm) break;
            k.mil = nm;
            memcpy(k.mil + mil_len, line, l);
            mil_len += l;
            k.mil[mil_len++] = '\n';
            k.mil[mil_len] = 0;
            continue;
        }
        if (line[0] == '#' || !line[0]) continue;
        rstep *st = &k.step[k.n_steps ? k.n_steps - 1 : 0];
        if (!strncmp(line, "case ", 5)) {
            case_free(&k);
            snprintf(k.name, sizeof k.name, "%s", line + 5);
            k.tol = 1e-5;
            k.n_steps = 1;
            mil_len = 0;
        } else if (!strncmp(line, "mode ", 5)) {
            k.mode = !strcmp(line + 5, "fp16") ? EXEC_FP16_EMU : !strcmp(line + 5, "typed") ? EXEC_TYPED : EXEC_FP32;
        } else if (!strncmp(line, "model ", 6)) {
            snprintf(k.model, sizeof k.model, "%s", line + 6);
        } else if (!strcmp(line, "next")) {
            if (k.n_steps < MAX_STEPS) k.n_steps++;
            else { fprintf(stderr, "%s: too many predictions in %s\n", file, k.name); check_failures_++; }
        } else if (!strncmp(line, "tol ", 4)) {
            k.tol = atof(line + 4);
        } else if (!strcmp(line, "mil")) {
            in_mil = true;
        } else if (!strncmp(line, "in ", 3) && st->n_in < MAX_IO) {
            if (!parse_arr(line + 3, &st->in[st->n_in++], true)) { fprintf(stderr, "%s: bad input line in %s\n", file, k.name); check_failures_++; }
        } else if (!strncmp(line, "out ", 4) && st->n_out < MAX_IO) {
            if (!parse_arr(line + 4, &st->out[st->n_out++], false)) { fprintf(stderr, "%s: bad output line in %s\n", file, k.name); check_failures_++; }
        } else if (!strncmp(line, "err ", 4)) {
            snprintf(k.err, sizeof k.err, "%s", line + 4);
        } else if (!strcmp(line, "end")) {
            if ((!k.mil && !k.model[0]) || (!k.step[0].n_out && !k.err[0])) {
                fprintf(stderr, "%s: case %s has no program or nothing to check\n", file, k.name);
                check_failures_++;
            } else {
                run_case(&k, file, dir);
            }
            n_cases++;
            case_free(&k);
        } else {
            fprintf(stderr, "%s: unknown line '%.40s'\n", file, line);
            check_failures_++;
        }
    }
    case_free(&k);
    free(txt);
    if (!n_cases) {
        fprintf(stderr, "%s holds no case\n", file);
        check_failures_++;
    }
    fprintf(stderr, "%s: %d cases\n", file, n_cases);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* every .ref file of a folder of the source tree; the count of files */
static int run_folder(const char *sub) {
    const char *src = getenv("CML_SOURCE_DIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", src ? src : ".", sub);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", dir);
        check_failures_++;
        return 0;
    }
    char *names[256];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 256;) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".ref")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) {
        char path[800];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        run_file(dir, path);
        free(names[i]);
    }
    return n;
}

/* op-level cases: tests/refs (gen_mil_*.py) */
static void test_reference_cases(void) {
    CHECK(run_folder("tests/refs") > 0);
    fprintf(stderr, "%d reference cases, %d failed\n", g_cases, g_case_fail);
}

/* real models converted by coremltools, against PyTorch: tests/models (gen_models.py) */
static void test_models(void) {
    g_cases = g_case_fail = 0;
    CHECK(run_folder("tests/models") > 0);
    fprintf(stderr, "%d model cases, %d failed\n", g_cases, g_case_fail);
}

/* Every op the coremltools definitions register for iOS15..iOS18 has a
 * kernel (or is a constant the plan decodes when it is prepared): the list
 * of docs/mil-ops.md. SOURCE: apple/coremltools
 * coremltools/converters/mil/mil/ops/defs/iOS15..iOS18 and
 * coreml_dialect/ops.py, the @register_op classes (less _const_symbolic,
 * which coremltools never serializes). */
static void test_op_coverage(void) {
    static const char *const OPS[] = {
    "abs", "acos", "add", "affine", "argsort", "asin", "atan", "atanh", 
    "avg_pool", "band_part", "batch_norm", "batch_to_space", "cast", "ceil", "clamped_relu", "classify", 
    "clip", "concat", "cond", "const", "constexpr_affine_dequantize", "constexpr_blockwise_shift_scale", "constexpr_cast", "constexpr_lut_to_dense", 
    "constexpr_lut_to_sparse", "constexpr_sparse_blockwise_shift_scale", "constexpr_sparse_to_dense", "conv", "conv_quantized", "conv_transpose", "coreml_update_state", "cos", 
    "cosh", "crop", "crop_resize", "cumsum", "depth_to_space", "dequantize", "einsum", "elu", 
    "equal", "erf", "exp", "exp2", "expand_dims", "fill", "fill_like", "flatten2d", 
    "floor", "floor_div", "gather", "gather_along_axis", "gather_nd", "gelu", "greater", "greater_equal", 
    "gru", "identity", "instance_norm", "inverse", "l2_norm", "l2_pool", "layer_norm", "leaky_relu", 
    "less", "less_equal", "linear", "linear_activation", "list_gather", "list_length", "list_read", "list_scatter", 
    "list_write", "local_response_norm", "log", "logical_and", "logical_not", "logical_or", "logical_xor", "lstm", 
    "make_list", "matmul", "max_pool", "maximum", "minimum", "mod", "mul", "non_maximum_suppression", 
    "non_zero", "not_equal", "one_hot", "pad", "pixel_shuffle", "pixel_unshuffle", "pow", "prelu", 
    "quantize", "random_bernoulli", "random_categorical", "random_normal", "random_uniform", "range_1d", "read_state", "real_div", 
    "reduce_argmax", "reduce_argmin", "reduce_l1_norm", "reduce_l2_norm", "reduce_log_sum", "reduce_log_sum_exp", "reduce_max", "reduce_mean", 
    "reduce_min", "reduce_prod", "reduce_sum", "reduce_sum_square", "relu", "relu6", "resample", "reshape", 
    "reshape_like", "resize", "resize_bilinear", "resize_nearest_neighbor", "reverse", "reverse_sequence", "rnn", "round", 
    "rsqrt", "scaled_dot_product_attention", "scaled_tanh", "scatter", "scatter_along_axis", "scatter_nd", "select", "shape", 
    "sigmoid", "sigmoid_hard", "sign", "silu", "sin", "sinh", "slice_by_index", "slice_by_size", 
    "slice_update", "sliding_windows", "softmax", "softplus", "softplus_parametric", "softsign", "space_to_batch", "space_to_depth", 
    "split", "sqrt", "square", "squeeze", "stack", "sub", "tan", "tanh", 
    "threshold", "thresholded_relu", "tile", "topk", "transpose", "upsample_bilinear", "upsample_nearest_neighbor", "while_loop"
    };
    size_t n = sizeof OPS / sizeof *OPS;
    CHECK_INT(n, 168);
    for (size_t i = 0; i < n; i++) {
        bool ok = !strcmp(OPS[i], "const") || exec_is_constexpr_supported(OPS[i]) || exec_find_mil(OPS[i]) != NULL;
        if (!ok) fprintf(stderr, "no kernel for '%s'\n", OPS[i]);
        CHECK(ok);
    }
    CHECK(exec_find_mil("no_such_op") == NULL);
}

int main(void) {
    harness_init();
    RUN(test_op_coverage);
    RUN(test_reference_cases);
    RUN(test_models);
    harness_done();
    return CHECK_DONE();
}
#endif

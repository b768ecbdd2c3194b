/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_nnshape.c — static NeuralNetwork shape inference (core/ir/nnshape.c)
 * against what the reference executor computes.
 *
 * Rules read NeuralNetwork blob shapes from the IR (the classifier-labels rule
 * counts classes on the probability blob, the ANE rules look at extents), and
 * those shapes come from static inference: the model stores none. The
 * executor computes every blob for real. For every NeuralNetwork model of the
 * fixture writer's output (examples/, rule-fixtures/), of the corpus
 * (../shared/corpus, skipped when absent) and, when CML_REALWORLD_DIR is set,
 * of that folder, this test runs the model on generated inputs with a hook on
 * every layer and compares each output blob's shape with the IR's: where the
 * IR claims a rank it must be the executor's, and every dimension the IR
 * claims must be the executor's (under the legacy rank-5 mapping the
 * executor's blobs are [Seq, B, C, H, W]: the dimensions other than 1 must
 * agree). Unknown shapes are allowed but counted, and
 * the layer kinds the inference handles must come out known whenever their
 * input is. Pipelines are searched for NeuralNetwork stages. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#ifdef CML_NO_EXEC
CHECK_MAIN_NO_EXEC()
#else
#include "exec_host_io.h"

typedef struct tally {
    const char *model;
    size_t blobs, agree, unknown, partial, mismatch;
    bool rank5;                  /* legacy rank-5 mapping: blobs are [Seq, B, C, H, W] in the executor */
} tally;

/* layer kinds whose output shape static inference must know when its input's is known */
static bool handled(const char *k) {
    static const char *const kinds[] = {
        "activation", "add", "average", "batchnorm", "bias", "clip", "concat", "convolution", "copy", "flatten",
        "flattenTo2D", "gelu", "innerProduct", "l2normalize", "lrn", "max", "min", "multiply", "mvn", "padding",
        "pooling", "reduce", "scale", "softmax", "softmaxND", "transpose", "unary", "upsample"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(k, kinds[i])) return true;
    return false;
}

/* every input's shape is known (a layer with an unknown second input, say
 * a loadConstant static inference does not handle, may stay unknown) */
static bool input_known(const cml_op *op) {
    if (!op->n_inputs || !op->inputs[0]->n_values) return false;
    for (size_t v = 0; v < op->inputs[0]->n_values; v++) {
        const cml_shape *s = &op->inputs[0]->values[v]->type.shape;
        if (s->rank < 0) return false;
        for (int i = 0; i < s->rank; i++)
            if (s->dims[i] < 0) return false;
    }
    return true;
}

static void fmt(char *b, size_t n, int rank, const int64_t *d) {
    size_t k = (size_t)snprintf(b, n, "[");
    for (int i = 0; i < rank && k < n; i++) k += (size_t)snprintf(b + k, n - k, "%s%lld", i ? ", " : "", (long long)d[i]);
    if (k < n) snprintf(b + k, n - k, "]");
}

static void hook(void *user, size_t index, const exec_op_stat *st, const exec_tensor *outs, size_t n_outs) {
    tally *t = user;
    const cml_op *op = st->op;
    (void)index;
    if (!op || !op->is_nn_layer) return;
    for (size_t i = 0; i < n_outs && i < op->n_outputs; i++) {
        const cml_shape *s = &op->outputs[i]->type.shape;
        const exec_tensor *o = &outs[i];
        t->blobs++;
        if (s->rank < 0) {
            t->unknown++;
            if (getenv("CML_NNSHAPE_VERBOSE"))
                fprintf(stderr, "%s: %s '%s': static shape unknown (executor %d-d)\n", t->model, op->kind, op->name,
                        o->rank);
            if (handled(op->kind) && input_known(op)) {
                fprintf(stderr, "%s: %s '%s': static shape unknown, executor %d-d\n", t->model, op->kind, op->name,
                        o->rank);
                t->mismatch++;
            }
            continue;
        }
        bool ok = s->rank == o->rank, part = false;
        for (int k = 0; ok && k < s->rank; k++) {
            if (s->dims[k] < 0) part = true;
            else if (s->dims[k] != o->shape[k]) ok = false;
        }
        if (!ok && t->rank5 && o->rank == 5) {
            /* the legacy rank-5 mapping: the executor keeps every blob as
             * [Seq, B, C, H, W] where static inference keeps the declared
             * rank ([C], [C, H, W]); the same blob when the dimensions other
             * than 1 agree, in order */
            int64_t a[16], b[16];
            int na = 0, nb = 0;
            part = false;
            for (int k = 0; k < s->rank && na < 16; k++)
                if (s->dims[k] != 1) a[na++] = s->dims[k];
            for (int k = 0; k < o->rank && nb < 16; k++)
                if (o->shape[k] != 1) b[nb++] = o->shape[k];
            ok = true;
            for (int k = 0; k < na; k++) part |= a[k] < 0;
            if (part) ok = na >= nb - 2 && na <= nb + 2; /* unknown dims may be 1s */
            else ok = na == nb && !memcmp(a, b, (size_t)na * sizeof *a);
        }
        if (!ok) {
            char a[160], b[160];
            fmt(a, sizeof a, s->rank, s->dims);
            fmt(b, sizeof b, o->rank, o->shape);
            fprintf(stderr, "%s: %s '%s' output %zu: static %s, executor %s\n", t->model, op->kind, op->name, i, a, b);
            t->mismatch++;
        } else if (part) {
            t->partial++;
        } else {
            t->agree++;
        }
    }
}

static bool is_nn(const cml_model *m) {
    return m->type && (!strcmp(m->type, "neuralNetwork") || !strcmp(m->type, "neuralNetworkClassifier") ||
                       !strcmp(m->type, "neuralNetworkRegressor"));
}

static size_t g_models, g_blobs, g_agree, g_unknown, g_partial;

static void run_nn(const char *name, const cml_model *m) {
    if (m->unknown & CML_UNKNOWN_GRAPH) return;
    exec_opts opts = {.threads = 1, .hook = hook, .io = {.read = host_io_read, .stored_as = host_io_stored}};
    tally t = {.model = name, .rank5 = m->nn_array_shape_mapping <= 0 || m->nn_image_shape_mapping <= 0};
    opts.hook_user = &t;
    char err[1024];
    exec_plan *p = exec_prepare(m, NULL, &opts, err, sizeof err);
    if (!p) {
        printf("%-60s not executable: %.120s\n", name, err);
        return;
    }
    exec_tensor *in = NULL, *out = NULL;
    size_t n_in = 0, n_out = 0;
    if (exec_make_inputs(m, NULL, 3, &in, &n_in, err, sizeof err) == 0 &&
        exec_run(p, EXEC_FP32, in, n_in, &out, &n_out, NULL) == 0) {
        CHECK_INT(t.mismatch, 0);
        printf("%-60s %4zu blobs: %4zu agree, %3zu partly known, %3zu unknown, %zu wrong\n", name, t.blobs, t.agree,
               t.partial, t.unknown, t.mismatch);
        g_models++;
        g_blobs += t.blobs, g_agree += t.agree, g_unknown += t.unknown, g_partial += t.partial;
    } else {
        printf("%-60s run failed: %.120s\n", name, exec_last_error(p));
    }
    exec_tensors_free(out, n_out);
    exec_tensors_free(in, n_in);
    exec_plan_free(p);
}

static void walk_model(const char *name, const cml_model *m, int depth) {
    if (!m || depth > 8) return;
    if (is_nn(m)) run_nn(name, m);
    for (size_t i = 0; i < m->n_sub_models; i++) {
        char sub[4200];
        /* names deeper than the buffer are cut: they only label the report lines */
        snprintf(sub, sizeof sub, "%.2048s/%.2048s", name, m->sub_model_names && m->sub_model_names[i] ? m->sub_model_names[i] : "?");
        walk_model(sub, m->sub_models[i], depth + 1);
    }
}

static void visit(const char *path, const char *label) {
    lmodel *lm = loader_load(path, NULL);
    if (lm && lm->model && !lm->unreadable) walk_model(label, lm->model, 0);
    loader_free(lm);
}

static bool has_suffix(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* every .mlmodel / .mlpackage / .mlmodelc below dir (depth-limited) */
static void walk_dir(const char *dir, const char *label, int depth) {
    DIR *d = opendir(dir);
    if (!d || depth > 4) {
        if (d) closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4096], lab[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(lab, sizeof lab, "%s/%s", label, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        bool model = has_suffix(e->d_name, ".mlmodel") || has_suffix(e->d_name, ".mlpackage") ||
                     has_suffix(e->d_name, ".mlmodelc");
        if (model) visit(path, lab);
        else if (S_ISDIR(st.st_mode)) walk_dir(path, lab, depth + 1);
    }
    closedir(d);
}

int main(void) {
    const char *build = getenv("CML_BUILD_DIR"), *corpus = getenv("CML_CORPUS_DIR"), *rw = getenv("CML_REALWORLD_DIR");
    (void)check_tests_;
    if (!build) SKIP_ALL("CML_BUILD_DIR not set");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/examples", build);
    walk_dir(dir, "examples", 0);
    snprintf(dir, sizeof dir, "%s/rule-fixtures", build);
    walk_dir(dir, "rule-fixtures", 0);
    size_t fixture_models = g_models;
    CHECK(fixture_models >= 5);   /* the writer's NeuralNetwork fixtures ran */
    struct stat st;
    if (corpus && stat(corpus, &st) == 0) walk_dir(corpus, "corpus", 0);
    else printf("corpus not found (%s): fixtures only\n", corpus ? corpus : "CML_CORPUS_DIR unset");
    if (rw && stat(rw, &st) == 0) walk_dir(rw, "realworld", 0);
    printf("%zu NeuralNetwork models (%zu fixtures), %zu blobs: %zu agree, %zu partly known, %zu unknown\n", g_models,
           fixture_models, g_blobs, g_agree, g_partial, g_unknown);
    CHECK(g_blobs > 0);
    return check_failures_ ? 1 : 0;
}
#endif

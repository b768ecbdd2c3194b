/* SPDX-License-Identifier: Apache-2.0 */
/* test_mutate.c — mutation smoke test of the loader.
 *
 * Thousands of randomly truncated and bit-flipped copies of real models
 * (small corpus models and the fixture writer's examples) go through the
 * whole loading path — container detection, Manifest.json, protobuf decode,
 * weight.bin, model.mil, IR build, passes, inspect JSON — and each must
 * either load cleanly or yield only load/... problems: never a crash, a
 * hang, a leak (run under ASan+UBSan in the test command) or a finding of
 * another kind. Deterministic (fixed seed); CML_MUTATIONS sets the count. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "tmptree.h"
#include "cli/inspect.h"
#include "ir/model.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

typedef struct seed_file {
    char rel[256];          /* path inside the model ("" for a plain file) */
    unsigned char *data;
    size_t len;
} seed_file;

typedef struct seed {
    char name[256];
    int is_dir;
    seed_file files[4];
    size_t n_files;
} seed;

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || n > (64l << 20)) { fclose(f); return NULL; }
    unsigned char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int spit(const char *path, const unsigned char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    fclose(f);
    return w == len ? 0 : -1;
}

static int add_seed(seed *s, const char *path) {
    memset(s, 0, sizeof *s);
    const char *base = strrchr(path, '/');
    snprintf(s->name, sizeof s->name, "%s", base ? base + 1 : path);
    static const char *const pkg_files[] = {"Manifest.json", "Data/com.apple.CoreML/model.mlmodel",
                                            "Data/com.apple.CoreML/weights/weight.bin"};
    static const char *const c_files[] = {"metadata.json", "model.mil", "weights/weight.bin", "coremldata.bin"};
    if (fs_is_dir(path)) {
        s->is_dir = 1;
        const char *const *list = fs_has_suffix(path, ".mlmodelc") ? c_files : pkg_files;
        size_t nl = fs_has_suffix(path, ".mlmodelc") ? 4 : 3;
        for (size_t i = 0; i < nl; i++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", path, list[i]);
            seed_file *f = &s->files[s->n_files];
            f->data = slurp(p, &f->len);
            if (!f->data) continue;
            snprintf(f->rel, sizeof f->rel, "%s", list[i]);
            s->n_files++;
        }
    } else {
        s->files[0].data = slurp(path, &s->files[0].len);
        if (s->files[0].data) s->n_files = 1;
    }
    return s->n_files ? 0 : -1;
}

static void mkdirs_for(const char *path) {
    char buf[4096 + 300];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') { *p = 0; mkdir(buf, 0700); *p = '/'; }
}

/* write the seed to dst with file k mutated */
static void write_mutant(const seed *s, const char *dst, size_t k) {
    for (size_t i = 0; i < s->n_files; i++) {
        char p[4096 + 300];
        if (s->is_dir) snprintf(p, sizeof p, "%s/%s", dst, s->files[i].rel);
        else snprintf(p, sizeof p, "%s", dst);
        mkdirs_for(p);
        const seed_file *f = &s->files[i];
        if (i != k) { spit(p, f->data, f->len); continue; }
        unsigned char *m = malloc(f->len + 1);
        memcpy(m, f->data, f->len);
        size_t len = f->len;
        switch (next() % 4) {
        case 0: len = f->len ? (size_t)(next() % f->len) : 0; break;           /* truncate */
        case 1:                                                                 /* flip bits */
            for (int j = 0, n = 1 + (int)(next() % 8); j < n && len; j++) m[next() % len] ^= (unsigned char)(1u << (next() % 8));
            break;
        case 2:                                                                 /* random bytes */
            for (int j = 0, n = 1 + (int)(next() % 4); j < n && len; j++) m[next() % len] = (unsigned char)next();
            break;
        default:                                                                /* both, near the start */
            if (len > 16) len = 16 + (size_t)(next() % (len - 16));
            for (int j = 0; j < 3 && len; j++) m[next() % (len < 256 ? len : 256)] ^= 0xff;
            break;
        }
        spit(p, m, len);
        free(m);
    }
}

int main(void) {
    const char *corpus = getenv("CML_CORPUS_DIR");
    const char *build = getenv("CML_BUILD_DIR");
    long total = getenv("CML_MUTATIONS") ? atol(getenv("CML_MUTATIONS")) : 3000;
    static const char *const corpus_models[] = {
        "nn_builder_custom_layer.mlmodel", "nn_builder_flexible_ndrange.mlmodel",
        "nn_builder_image_sizerange.mlmodel", "nn_builder_spec1_classifier.mlmodel",
        "nn_builder_updatable_classifier.mlmodel", "sklearn_pipeline_scaler_logreg.mlmodel",
        "sklearn_random_forest_scalar_inputs.mlmodel", "convnet_fp16_multiarray_io_ios16.mlpackage",
        "stateful_accumulator_ios18.mlpackage", "mlp_metadata_full_ios17.mlpackage",
        "multifunction_two_adapters_ios18.mlpackage", "resnet18w25_joint_prune50_palettize4_ios18.mlpackage",
        "resnet18w25_linear_quantize_int8_per_channel_ios16.mlpackage", "transformer_encoder_fp16_enumerated_ios16.mlpackage"};
    static const char *const examples[] = {"tiny_convnet_nn.mlmodel", "tiny_classifier_nn.mlmodel",
                                           "tiny_image_nn.mlmodel", "tiny_mlprogram.mlpackage",
                                           "tiny_pipeline.mlmodel", "tiny_compressed.mlpackage",
                                           "tiny_multifunction.mlpackage", "tiny_stateful.mlpackage",
                                           "tiny_mlprogram.mlmodelc"};
    seed seeds[32];
    size_t n = 0;
    char p[4096];
    for (size_t i = 0; corpus && i < sizeof corpus_models / sizeof *corpus_models; i++) {
        snprintf(p, sizeof p, "%s/%s", corpus, corpus_models[i]);
        if (add_seed(&seeds[n], p) == 0) n++;
    }
    for (size_t i = 0; build && i < sizeof examples / sizeof *examples; i++) {
        snprintf(p, sizeof p, "%s/examples/%s", build, examples[i]);
        if (add_seed(&seeds[n], p) == 0) n++;
    }
    if (!n) SKIP_ALL("no seed models (neither ../shared/corpus nor build/examples found)");
    fprintf(stderr, "%zu seed models, %ld mutants\n", n, total);

    char tmpl[64];
    char *dir = tmp_make_dir(tmpl, sizeof tmpl, "cml-mutate-");
    CHECK(dir != NULL);
    if (!dir) return CHECK_DONE();
    long loaded_clean = 0, with_load_diag = 0;
    for (long it = 0; it < total; it++) {
        const seed *s = &seeds[it % (long)n];
        char dst[4096];
        /* a fresh name per mutant so stale files never leak between runs */
        snprintf(dst, sizeof dst, "%s/m%ld-%s", dir, it, s->name);
        write_mutant(s, dst, (size_t)(next() % s->n_files));
        lmodel *lm = loader_load(dst, NULL);
        CHECK(lm && lm->model);
        if (lm && lm->model) {
            cJSON *j = inspect_json(lm->model);
            CHECK(j != NULL);
            cJSON_Delete(j);
            for (size_t d = 0; d < lm->model->n_diags; d++)
                if (strncmp(lm->model->diags[d]->rule_id, "load/", 5) != 0) {
                    fprintf(stderr, "mutant %ld of %s: non-load problem %s\n", it, s->name, lm->model->diags[d]->rule_id);
                    check_failures_++;
                }
            if (lm->model->n_diags) with_load_diag++;
            else loaded_clean++;
        }
        loader_free(lm);
        tmp_remove_tree(dst);
    }
    rmdir(dir);
    check_tests_++;
    fprintf(stderr, "%ld mutants: %ld loaded without problems, %ld reported load/* problems\n", total, loaded_clean,
            with_load_diag);
    CHECK(with_load_diag > total / 4); /* mutations must actually reach the checks */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < seeds[i].n_files; k++) free(seeds[i].files[k].data);
    return CHECK_DONE();
}

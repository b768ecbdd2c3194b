/* SPDX-License-Identifier: Apache-2.0 */
/* test_fixtures_load.c — the fixture writer's models through the loader.
 *
 * Every good example (build/examples) loads with no problem and the facts
 * the fixture writer put in are read back; every broken model
 * (build/examples/broken) yields exactly the load/... finding it was made
 * for, with a location (artifact, and byte offset or line where the
 * problem has one). A Manifest.json with a great many broken items is read
 * in time linear in its size. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "cli/inspect.h"
#include "ir/model.h"
#include "ir/weights.h"
#include "tmptree.h"

static const char *build_dir;

static lmodel *load(const char *rel) {
    char p[4096];
    snprintf(p, sizeof p, "%s/examples/%s", build_dir, rel);
    lmodel *lm = loader_load(p, NULL);
    CHECK(lm && lm->model);
    return lm;
}

static const cml_diag *find_diag(const cml_model *m, const char *rule) {
    for (size_t i = 0; i < m->n_diags; i++)
        if (!strcmp(m->diags[i]->rule_id, rule)) return m->diags[i];
    return NULL;
}

static void test_good_examples(void) {
    static const char *const good[] = {"tiny_convnet_nn.mlmodel", "tiny_classifier_nn.mlmodel",
                                       "tiny_image_nn.mlmodel", "tiny_mlprogram.mlpackage",
                                       "tiny_pipeline.mlmodel", "tiny_compressed.mlpackage",
                                       "tiny_multifunction.mlpackage", "tiny_stateful.mlpackage"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        lmodel *lm = load(good[i]);
        if (!lm) continue;
        for (size_t d = 0; d < lm->model->n_diags; d++)
            fprintf(stderr, "  %s: %s [%s]\n", good[i], lm->model->diags[d]->message, lm->model->diags[d]->rule_id);
        CHECK_INT(lm->model->n_diags, 0);
        loader_free(lm);
    }
}

static void test_good_facts(void) {
    lmodel *lm = load("tiny_convnet_nn.mlmodel");
    if (lm) {
        const cml_model *m = lm->model;
        CHECK_STR(m->type, "neuralNetwork");
        CHECK_INT(m->n_functions, 1);
        CHECK(m->metadata.present && *m->metadata.author);
        /* shape inference: flatten keeps NN's [.., C*H*W, 1, 1] form, so
         * innerProduct and softmax give [1, 10, 1, 1] */
        const cml_block *b = m->functions[0]->block;
        const cml_op *last = b->ops[b->n_ops - 1];
        CHECK_STR(last->kind, "softmax");
        CHECK(last->n_outputs == 1 && last->outputs[0]->type.shape.rank == 4);
        if (last->n_outputs && last->outputs[0]->type.shape.rank == 4) {
            CHECK_INT(last->outputs[0]->type.shape.dims[1], 10);
            CHECK_INT(last->outputs[0]->type.shape.dims[2], 1);
        }
        const cml_op *pool = b->ops[3];
        CHECK_STR(pool->kind, "pooling");
        if (pool->outputs[0]->type.shape.rank == 4) CHECK_INT(pool->outputs[0]->type.shape.dims[3], 16);
        /* the conv keeps 32x32 with same padding and 8 channels */
        const cml_op *conv = b->ops[0];
        CHECK_STR(conv->kind, "convolution");
        const cml_shape *cs = &conv->outputs[0]->type.shape;
        CHECK_INT(cs->rank, 4);
        if (cs->rank == 4) {
            CHECK_INT(cs->dims[1], 8);
            CHECK_INT(cs->dims[2], 32);
            CHECK_INT(cs->dims[3], 32);
        }
        loader_free(lm);
    }
    lm = load("tiny_compressed.mlpackage");
    if (lm) {
        size_t pal = 0, quant = 0, sparse = 0;
        for (size_t i = 0; i < lm->model->n_functions; i++) {
            const cml_block *b = lm->model->functions[i]->block;
            for (size_t k = 0; k < b->n_ops; k++) {
                const cml_op *op = b->ops[k];
                if (!op->n_outputs || !op->outputs[0]->compression) continue;
                const cml_compression *c = op->outputs[0]->compression;
                if (c->palettized) {
                    pal++;
                    CHECK_INT(c->lut_bits, 4);
                    CHECK_INT(c->lut_granularity, CML_GRAN_PER_GROUPED_CHANNEL);
                    CHECK_INT(c->lut_group_size, 8);
                }
                if (c->quantized) {
                    quant++;
                    CHECK_INT(c->quant_bits, 4);
                    CHECK_INT(c->quant_granularity, CML_GRAN_PER_BLOCK);
                    CHECK_INT(c->quant_block_size, 32);
                    CHECK_INT(c->quant_axis, 1);
                }
                if (c->sparse) {
                    sparse++;
                    CHECK(c->sparsity > 0.74 && c->sparsity < 0.76);
                }
            }
        }
        CHECK_INT(pal, 1);
        CHECK_INT(quant, 1);
        CHECK_INT(sparse, 1);
        loader_free(lm);
    }
    lm = load("tiny_multifunction.mlpackage");
    if (lm) {
        CHECK_INT(lm->model->n_functions, 2);
        CHECK_INT(lm->model->n_weight_files, 1);
        if (lm->model->n_weight_files) {
            /* shared blob counted once */
            CHECK_INT(lm->model->weight_files[0]->blobs_referenced, lm->model->weight_files[0]->blobs_parsed);
        }
        CHECK_STR(lm->model->default_function_name, "fn_a");
        /* each function's features name their function: fn_a's input x and
         * fn_b's input x are two places for a finding and a suppression */
        CHECK_INT(lm->model->n_function_descs, 2);
        if (lm->model->n_function_descs == 2 && lm->model->function_descs[1]->n_inputs &&
            lm->model->function_descs[1]->n_outputs) {
            CHECK_STR(lm->model->function_descs[0]->inputs[0]->loc.logical, "fn_a/input:x");
            CHECK_STR(lm->model->function_descs[1]->inputs[0]->loc.logical, "fn_b/input:x");
            CHECK_STR(lm->model->function_descs[1]->outputs[0]->loc.logical, "fn_b/output:y");
        }
        loader_free(lm);
    }
}

typedef struct expect {
    const char *fixture, *rule, *artifact, *substring;
    int want_bytes, want_line;
} expect;

static void test_broken(void) {
    static const expect ex[] = {
        {"broken/truncated.mlmodel", "load/protobuf-corrupt", "", "runs past the end", 1, 0},
        {"broken/wrong_magic.mlmodel", "load/protobuf-corrupt", "", "not a valid Core ML model", 1, 0},
        {"broken/empty.mlmodel", "load/protobuf-corrupt", "", "empty", 1, 0},
        /* a clone without Git LFS: say so, not "invalid wire type" / "version 544108393" */
        {"broken/lfs_pointer.mlmodel", "load/protobuf-corrupt", "",
         "is a Git LFS pointer, not the model: the 4554856-byte object was not fetched (run `git lfs pull`)", 1, 0},
        {"broken/lfs_weights.mlpackage", "load/weight-blob", "Data/com.apple.CoreML/weights/weight.bin",
         "is a Git LFS pointer, not the weights: the 4554856-byte object was not fetched", 1, 0},
        {"broken/spec_zero.mlmodel", "load/spec-version", "", "missing or corrupt", 0, 0},
        {"broken/blob_offset_out_of_range.mlpackage", "load/weight-blob",
         "Data/com.apple.CoreML/weights/weight.bin", "no blob record", 1, 0},
        {"broken/blob_bad_sentinel.mlpackage", "load/weight-blob", "Data/com.apple.CoreML/weights/weight.bin",
         "sentinel is 0xCAFEBABE", 1, 0},
        {"broken/bad_manifest.mlpackage", "load/package-manifest", "Manifest.json", "not valid JSON", 0, 1},
        {"broken/manifest_no_root.mlpackage", "load/package-manifest", "Manifest.json", "rootModelIdentifier", 0, 0},
        {"broken/missing_weights.mlpackage", "load/missing-weight-file", "Data/com.apple.CoreML/weights/weight.bin",
         "does not exist", 0, 0},
        {"broken/dtype_mismatch.mlpackage", "load/weight-blob", "Data/com.apple.CoreML/weights/weight.bin",
         "typed fp16 but its blob", 1, 0},
        {"broken/undefined_input.mlpackage", "load/mil-structure", "Data/com.apple.CoreML/model.mlmodel",
         "not defined", 0, 0},
        {"broken/mlprogram_in_mlmodel.mlmodel", "load/mlprogram-without-weights", "", "plain .mlmodel", 0, 0},
        {"broken/not_a_package.mlpackage", "load/package-manifest", "Manifest.json", "Manifest.json", 0, 0},
        {"broken/unreferenced_blob.mlpackage", "load/weight-blob-unreferenced",
         "Data/com.apple.CoreML/weights/weight.bin", "never referenced", 1, 0},
    };
    for (size_t i = 0; i < sizeof ex / sizeof *ex; i++) {
        lmodel *lm = load(ex[i].fixture);
        if (!lm) continue;
        const cml_diag *d = find_diag(lm->model, ex[i].rule);
        if (!d) {
            fprintf(stderr, "  %s: expected %s, got:\n", ex[i].fixture, ex[i].rule);
            for (size_t k = 0; k < lm->model->n_diags; k++)
                fprintf(stderr, "    %s [%s]\n", lm->model->diags[k]->message, lm->model->diags[k]->rule_id);
            check_failures_++;
        } else {
            CHECK_STR(d->loc.artifact, ex[i].artifact);
            if (!strstr(d->message, ex[i].substring)) {
                fprintf(stderr, "  %s: message '%s' lacks '%s'\n", ex[i].fixture, d->message, ex[i].substring);
                check_failures_++;
            }
            if (ex[i].want_bytes) CHECK(d->loc.has_bytes);
            if (ex[i].want_line) CHECK(d->loc.line > 0);
        }
        /* only load problems, and the wrong-magic file yields exactly one */
        for (size_t k = 0; k < lm->model->n_diags; k++) CHECK(!strncmp(lm->model->diags[k]->rule_id, "load/", 5));
        loader_free(lm);
    }
}

/* 60,000 empty items, 4 problems each: the first DIAG_MAX - 1 are kept
 * with their line and column, the rest counted, and the last slot, kept for
 * it, holds the note that says how many were not listed (it was itself
 * dropped once the list was full). Each problem once looked its line up in
 * the whole text, kept or not (> 20 s). */
static void test_manifest_many_items(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_manifest_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[256], path[512];
    snprintf(dir, sizeof dir, "%s/many.mlpackage", root);
    CHECK(mkdir(dir, 0700) == 0);
    enum { N = 60000 };
    snprintf(path, sizeof path, "%s/Manifest.json", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) {
        tmp_remove_tree(root);
        return;
    }
    /* item i on line 2 + i */
    fprintf(f, "{\"fileFormatVersion\": \"1.0.0\", \"itemInfoEntries\": {\n");
    for (int i = 0; i < N; i++) fprintf(f, "\"i%d\": {}%s\n", i, i + 1 < N ? "," : "");
    fprintf(f, "}, \"rootModelIdentifier\": \"i0\"}\n");
    fclose(f);
    lmodel *lm = loader_load(dir, NULL);
    CHECK(lm != NULL);
    if (lm) {
        CHECK_INT(lm->diags.n, DIAG_MAX);
        CHECK(lm->diags.dropped >= (size_t)N * 4 - (DIAG_MAX - 1));
        CHECK_INT(lm->model->n_diags, DIAG_MAX);
        if (lm->diags.n == DIAG_MAX) {
            const cml_diag *d = lm->diags.items[0];
            CHECK_STR(d->rule_id, "load/package-manifest");
            CHECK_STR(d->message, "item 'i0' has no string 'path'");
            CHECK_INT(d->loc.line, 2);
            CHECK_INT(d->loc.column, 2);
            d = lm->diags.items[DIAG_MAX - 2];   /* item 63's third */
            CHECK_STR(d->message, "item 'i63' has no string 'author'");
            CHECK_INT(d->loc.line, 2 + 63);
            CHECK_INT(d->loc.column, 2);
            d = lm->diags.items[DIAG_MAX - 1];
            char want[160];
            /* what was not listed is errors: so is the entry that counts them */
            snprintf(want, sizeof want, "%zu further load problems were not listed (errors: %zu, warnings: 0, notes: 0)",
                     lm->diags.dropped, lm->diags.dropped);
            CHECK_STR(d->rule_id, "load/package-manifest");
            CHECK_INT(d->level, DIAG_ERROR);
            CHECK_STR(d->message, want);
        }
        loader_free(lm);
    }
    tmp_remove_tree(root);
}

/* A package whose root item's file is missing (a manifest committed
 * without its model, as found in a public repository) or whose root path
 * leaves Data/: one error, at the item's line of Manifest.json, not a second
 * one for the spec that then cannot be read. */
static void test_manifest_root_missing(void) {
    static const char *const paths[] = {"com.apple.CoreML/model.mlmodel", "../outside.mlmodel"};
    static const char *const says[] = {"does not exist", "leaves the package's Data folder"};
    for (size_t t = 0; t < 2; t++) {
        char tmpl[64];
        char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_manifest_");
        CHECK(root != NULL);
        if (!root) return;
        char dir[256], path[512];
        snprintf(dir, sizeof dir, "%s/only.mlpackage", root);
        CHECK(mkdir(dir, 0700) == 0);
        snprintf(path, sizeof path, "%s/Manifest.json", dir);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f) {
            tmp_remove_tree(root);
            return;
        }
        /* the root item's path on line 4 */
        fprintf(f, "{\"fileFormatVersion\": \"1.0.0\",\n \"itemInfoEntries\": {\n  \"R\": {\"author\": \"a\", "
                   "\"description\": \"d\", \"name\": \"model.mlmodel\",\n   \"path\": \"%s\"}\n },\n"
                   " \"rootModelIdentifier\": \"R\"}\n", paths[t]);
        fclose(f);
        lmodel *lm = loader_load(dir, NULL);
        CHECK(lm && lm->model);
        if (lm && lm->model) {
            CHECK_INT(lm->model->n_diags, 1);
            if (lm->model->n_diags >= 1) {
                const cml_diag *d = lm->model->diags[0];
                CHECK_STR(d->rule_id, "load/package-manifest");
                CHECK_INT(d->level, DIAG_ERROR);
                CHECK_STR(d->loc.artifact, "Manifest.json");
                CHECK_INT(d->loc.line, 4);
                CHECK(strstr(d->message, says[t]) != NULL);
            }
        }
        loader_free(lm);
        tmp_remove_tree(root);
    }
}

/* Xcode's metadata overlay: read into metadata_overlay ("--" is unset);
 * one that is not a JSON object is a warning and no overlay. */
static void test_metadata_overlay(void) {
    char p[4096];
    snprintf(p, sizeof p, "%s/rule-fixtures/lua/fire_missing_metadata_overlay.mlpackage", build_dir);
    if (!fs_is_dir(p)) return;   /* the rule fixtures are another target's */
    lmodel *lm = loader_load(p, NULL);
    CHECK(lm && lm->model && lm->model->metadata_overlay);
    if (lm && lm->model && lm->model->metadata_overlay) {
        const cml_metadata *ov = lm->model->metadata_overlay;
        CHECK_STR(ov->author, "coreml-lint fixtures");
        CHECK_STR(ov->short_description, "Scores four features");
        CHECK_STR(ov->license, "");
        CHECK_STR(ov->version, "");
        CHECK(!lm->model->metadata.present);
        CHECK_INT(lm->model->n_diags, 0);
    }
    loader_free(lm);
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_overlay_");
    CHECK(root != NULL);
    if (!root) return;
    char cmd[8400], ov[4200];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/bad.mlpackage'", p, root);
    CHECK(system(cmd) == 0);
    snprintf(ov, sizeof ov, "%s/bad.mlpackage/Data/com.apple.CoreML/Metadata.json", root);
    FILE *f = fopen(ov, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("[\"MLModelAuthorKey\"]\n", f);
        fclose(f);
    }
    snprintf(p, sizeof p, "%s/bad.mlpackage", root);
    lm = loader_load(p, NULL);
    CHECK(lm && lm->model);
    if (lm && lm->model) {
        CHECK(lm->model->metadata_overlay == NULL);
        CHECK_INT(lm->model->n_diags, 1);
        if (lm->model->n_diags == 1) {
            CHECK_STR(lm->model->diags[0]->rule_id, "load/package-manifest");
            CHECK_INT(lm->model->diags[0]->level, DIAG_WARNING);
            CHECK(strstr(lm->model->diags[0]->message, "not a JSON object") != NULL);
        }
    }
    loader_free(lm);
    tmp_remove_tree(root);
}

/* ir_weight_stats (cml_host.weight_stats) against a naive double-precision
 * count over ir_weight_f64's elements, for every float weight of a model */
static void stats_naive(const cml_weight *w, cml_weight_stats *s) {
    memset(s, 0, sizeof *s);
    s->n = ir_weight_count(w);
    for (uint64_t i = 0; i < s->n; i++) {
        double v;
        CHECK(ir_weight_f64(w, i, &v) == 0);
        if (isnan(v)) { s->nan++; continue; }
        if (isinf(v)) { if (v > 0) s->pinf++; else s->ninf++; continue; }
        double a = fabs(v);
        if (a <= (double)1e-12f) s->zeros++;
        if (a == 65504.0) s->fp16_max++;
        if (a > 65504.0) s->over_fp16++;
        if (a > s->maxabs) s->maxabs = a;
    }
}

static size_t stats_check_model(const cml_model *m) {
    size_t n = 0;
    for (size_t i = 0; i < m->n_weights; i++) {
        const cml_weight *w = m->weights[i];
        cml_dtype st = ir_weight_stored_as(w, NULL);
        cml_weight_stats got, want, again;
        int rc = ir_weight_stats(w, &got);
        if (st != CML_DT_FP16 && st != CML_DT_FP32 && st != CML_DT_BF16) {
            CHECK(rc == -1);
            continue;
        }
        CHECK(rc == 0);
        stats_naive(w, &want);
        CHECK(got.n == want.n && got.zeros == want.zeros && got.nan == want.nan && got.pinf == want.pinf &&
              got.ninf == want.ninf && got.over_fp16 == want.over_fp16 && got.maxabs == want.maxabs);
        /* fp16: only +-65504 itself is counted there; fp32 the same test */
        CHECK(got.fp16_max == want.fp16_max);
        CHECK(ir_weight_stats(w, &again) == 0 && !memcmp(&again, &got, sizeof got));   /* kept */
        n++;
    }
    for (size_t i = 0; i < m->n_sub_models; i++) n += stats_check_model(m->sub_models[i]);
    return n;
}

/* float weights of m and its sub-models without counts (0 or 3, queued) */
static size_t uncounted(const cml_model *m) {
    size_t n = 0;
    for (size_t i = 0; i < m->n_weights; i++) {
        const iweight *iw = (const iweight *)m->weights[i];
        cml_dtype st = ir_weight_stored_as(m->weights[i], NULL);
        bool has = st == CML_DT_FP16 || st == CML_DT_BF16 || st == CML_DT_FP32;
        if (has ? iw->stats_state != 1 && iw->stats_state != 2 : iw->stats_state != 0) n++;
    }
    for (size_t i = 0; i < m->n_sub_models; i++) n += uncounted(m->sub_models[i]);
    return n;
}

static const cml_weight *weight_named(const cml_model *m, const char *suffix) {
    for (size_t i = 0; i < m->n_weights; i++) {
        const char *nm = m->weights[i]->loc.logical;
        if (nm && m->weights[i]->storage == CML_STORE_BLOB && !strcmp(nm, suffix)) return m->weights[i];
    }
    return NULL;
}

static void test_weight_stats(void) {
    char p[4096];
    /* blobs in a weight.bin (read with pread): NaN, +-inf, +-65504, fp32 1e5 */
    snprintf(p, sizeof p, "%s/rule-fixtures/numerics/fire_fp16_weights.mlpackage", build_dir);
    if (!fs_is_dir(p)) {
        printf("  skipped: %s not written (the rule fixtures target builds it)\n", p);
        return;
    }
    lmodel *lm = loader_load(p, NULL);
    CHECK(lm && lm->model);
    if (!lm || !lm->model) return;
    CHECK(stats_check_model(lm->model) >= 4);
    cml_weight_stats s;
    const cml_weight *w = weight_named(lm->model, "main/linear_0_weight_to_fp16");
    CHECK(w && ir_weight_stats(w, &s) == 0 && s.n == 4096 && s.nan == 1 && s.pinf == 0);
    w = weight_named(lm->model, "main/linear_1_weight_to_fp16");
    CHECK(w && ir_weight_stats(w, &s) == 0 && s.pinf == 1 && s.ninf == 1 && s.nan == 0);
    w = weight_named(lm->model, "main/linear_2_weight_to_fp16");
    CHECK(w && ir_weight_stats(w, &s) == 0 && s.fp16_max == 3 && s.maxabs == 65504.0);
    w = weight_named(lm->model, "main/offset_fp32");
    CHECK(w && ir_weight_stats(w, &s) == 0 && s.over_fp16 == 1 && s.maxabs == 1.0e5);
    loader_free(lm);
    /* inline NeuralNetwork weights (protobuf repeated floats), and a model
     * with sparse (zero-heavy) weights */
    /* (nn_pipeline_flexible: weights in the sub-models only) */
    static const char *const more[] = {"numerics/fire_nn_fp32.mlmodel", "compress/fire_prune.mlpackage",
                                       "numerics/pass_mask.mlpackage", "numerics/fire_fp16_weights.mlpackage",
                                       "truth/nn_pipeline_flexible.mlmodel"};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
        snprintf(p, sizeof p, "%s/rule-fixtures/%s", build_dir, more[i]);
        lm = loader_load(p, NULL);
        CHECK(lm && lm->model);
        if (lm && lm->model) CHECK(stats_check_model(lm->model) >= 1);
        loader_free(lm);
        /* the same counts when every weight's are made at once on 3 threads
         * first (the size floor of 0: these are small) */
        lm = loader_load(p, NULL);
        CHECK(lm && lm->model);
        if (lm && lm->model) {
            ir_weight_stats_all(lm->model, 3, 0);
            CHECK_INT(uncounted(lm->model), 0);   /* all done, none left queued */
            CHECK(stats_check_model(lm->model) >= 1);
        }
        loader_free(lm);
    }
}

/* NeuralNetwork shape inference on sizes that do not fit int64 (fuzzing:
 * UBSan signed overflow in conv_out and flatten): the dims that overflow
 * come out unknown, never wrapped. Models: tests/fuzz/regress/fuzz_model/
 * (replayed under ASan+UBSan by fuzz_replay_fuzz_model too). */
/* The output shape of the only op of regress model NAME: its rank and up to
 * 8 dims (false when the model does not load as one function of one op) */
static bool only_op_shape(const char *src, const char *name, int32_t *rank, int64_t dims[8]) {
    char p[4096];
    snprintf(p, sizeof p, "%s/tests/fuzz/regress/fuzz_model/%s", src, name);
    lmodel *lm = loader_load(p, NULL);
    bool ok = lm && lm->model && lm->model->n_functions == 1 && lm->model->functions[0]->block->n_ops == 1 &&
              lm->model->functions[0]->block->ops[0]->n_outputs == 1;
    CHECK(ok);
    if (ok) {
        const cml_shape *s = &lm->model->functions[0]->block->ops[0]->outputs[0]->type.shape;
        *rank = s->rank;
        for (int32_t i = 0; i < s->rank && i < 8; i++) dims[i] = s->dims[i];
    }
    loader_free(lm);
    return ok;
}

/* A pipeline stage's weight_bytes counts the weight-file blobs its weights
 * point into (a package keeps one weight file, at the root), not only its
 * inline constants: the ML Program stage of pipeline_compressed holds every
 * weight of the pipeline, 108 inline bytes and 1212 in weight.bin. */
static void test_submodel_weight_bytes(void) {
    char p[4096];
    snprintf(p, sizeof p, "%s/rule-fixtures/truth/pipeline_compressed.mlpackage", build_dir);
    lmodel *lm = loader_load(p, NULL);
    CHECK(lm && lm->model);
    if (!lm || !lm->model) return;
    const cml_model *m = lm->model;
    CHECK_INT(m->n_sub_models, 2);
    CHECK_INT(m->weight_bytes, 1320);
    if (m->n_sub_models == 2) {
        CHECK_INT(m->sub_models[0]->weight_bytes, m->weight_bytes);
        CHECK_INT(m->sub_models[1]->weight_bytes, 0);
    }
    loader_free(lm);
}

/* A block's inputs (a while_loop's loop-carried values) have a place, as a
 * function's inputs do: a finding on one named no location at all (the
 * artifact was even the .mlmodel's "" in a package). */
static void test_block_input_location(void) {
    const char *src = getenv("CML_SOURCE_DIR");
    char p[4096];
    snprintf(p, sizeof p, "%s/tests/models/script_loop_branch.mlpackage", src ? src : ".");
    lmodel *lm = loader_load(p, NULL);
    if (!lm || !lm->model || !lm->model->n_functions) {
        fprintf(stderr, "SKIP test_block_input_location: %s does not load\n", p);
        loader_free(lm);
        return;
    }
    size_t n = 0;
    const cml_function *fn = lm->model->functions[0];
    for (size_t i = 0; fn->block && i < fn->block->n_ops; i++) {
        const cml_op *op = fn->block->ops[i];
        for (size_t j = 0; j < op->n_blocks; j++)
            for (size_t k = 0; k < op->blocks[j]->n_inputs; k++) {
                const cml_value *v = op->blocks[j]->inputs[k];
                char want[512];
                snprintf(want, sizeof want, "main/%s", v->name);
                CHECK_STR(v->loc.logical, want);
                CHECK_STR(v->loc.artifact, "Data/com.apple.CoreML/model.mlmodel");
                n++;
            }
    }
    CHECK(n > 0);
    loader_free(lm);
}

static void test_nnshape_overflow(void) {
    const char *src = getenv("CML_SOURCE_DIR");
    if (!src) return;
    int32_t rank;
    int64_t d[8];
    /* x [1, 3, 8, 8] -> convolution: kernel 4294967295 x 1, dilation 4294967295 */
    if (only_op_shape(src, "nnshape-conv-overflow.mlmodel", &rank, d)) {
        CHECK_INT(rank, 4);
        if (rank == 4) {
            CHECK_INT(d[2], CML_DIM_UNKNOWN);
            for (int i = 0; i < 4; i++) CHECK(d[i] >= CML_DIM_UNKNOWN);
        }
    }
    /* x [4294967295, 4294967295, 4294967295] -> flatten: C*H*W overflows */
    if (only_op_shape(src, "nnshape-flatten-overflow.mlmodel", &rank, d)) {
        CHECK_INT(rank, 3);
        if (rank == 3) {
            CHECK_INT(d[0], CML_DIM_UNKNOWN);
            CHECK_INT(d[1], 1);
            CHECK_INT(d[2], 1);
        }
    }
}

int main(void) {
    build_dir = getenv("CML_BUILD_DIR");
    char p[4096];
    snprintf(p, sizeof p, "%s/examples/tiny_mlprogram.mlpackage", build_dir ? build_dir : ".");
    if (!build_dir || !fs_is_dir(p)) SKIP_ALL("build/examples not written (the `examples` target builds them)");
    RUN(test_good_examples);
    RUN(test_good_facts);
    RUN(test_broken);
    RUN(test_manifest_many_items);
    RUN(test_manifest_root_missing);
    RUN(test_metadata_overlay);
    RUN(test_weight_stats);
    RUN(test_nnshape_overflow);
    RUN(test_submodel_weight_bytes);
    RUN(test_block_input_location);
    return CHECK_DONE();
}

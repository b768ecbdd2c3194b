/* SPDX-License-Identifier: Apache-2.0 */
/* test_compiled.c — compiled models (.mlmodelc) and pipelines read as they
 * are (issue #11): coremldata.bin decoded where its layout is known, a
 * compiled NeuralNetwork's unread layers flagged unknown (never reported
 * missing), a compiled pipeline's stages in the order its descriptor names
 * them, the minimum OS of a model the newest of everything nested in it, and
 * the Neural Engine coverage unknown where the tool cannot know it. Models:
 * the fixture writer's reproductions (rule-fixtures/truth/, see
 * tests/fixtures/fixtures_truth.c) and one public compiled model committed
 * as test data (tests/data/realworld/, MIT). */
#define _DEFAULT_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "coreml-lint/coreml_facts.h"
#include "ir/model.h"
#include "tmptree.h"

static char g_build[2048], g_src[2048];

static lmodel *load(const char *base, const char *rel) {
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", base, rel);
    lmodel *lm = loader_load(p, NULL);
    CHECK(lm && lm->model && !lm->unreadable);
    return lm;
}

/* no load problem at warning or error level */
static int serious_diags(const cml_model *m) {
    int n = 0;
    for (size_t i = 0; i < m->n_diags; i++)
        if (m->diags[i]->level >= 2) {
            fprintf(stderr, "  diag %s (%d): %s\n", m->diags[i]->rule_id, m->diags[i]->level, m->diags[i]->message);
            n++;
        }
    return n;
}

static const cml_feature *feature(const cml_feature *const *v, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i]->name, name)) return v[i];
    return NULL;
}

/* the committed public model: an updatable NN retrained on device */
static void test_s4tf_retrained(void) {
    lmodel *lm = load(g_src, "tests/data/realworld/s4tf_model_retrained.mlmodelc");
    if (!lm || !lm->model) { loader_free(lm); return; }
    const cml_model *m = lm->model;
    CHECK_INT(serious_diags(m), 0);
    CHECK_INT(m->format, CML_FMT_MLMODELC);
    CHECK_STR(m->type, "neuralNetwork");
    CHECK_INT(m->spec_version, 4);
    CHECK_STR(m->min_os.ios, "13.0");
    CHECK(m->is_updatable);
    CHECK_INT(m->n_sub_models, 0);
    CHECK_INT(m->n_inputs, 1);
    CHECK(feature(m->inputs, m->n_inputs, "dense_input") != NULL);
    CHECK_INT(m->n_outputs, 1);
    CHECK_INT(m->n_training_inputs, 2);
    CHECK(feature(m->training_inputs, m->n_training_inputs, "output_true") != NULL);
    CHECK_STR(m->metadata.author, "Jacopo Mangiavacchi");
    CHECK_STR(m->metadata.license, "MIT");
    CHECK(m->unknown & CML_UNKNOWN_GRAPH);
    CHECK(m->unknown & CML_UNKNOWN_PREPROCESSING);
    CHECK(!(m->unknown & (CML_UNKNOWN_INTERFACE | CML_UNKNOWN_METADATA | CML_UNKNOWN_SPEC_VERSION)));
    const char *why = NULL;
    CHECK(ir_ane_op_coverage(m, &why) < 0 && why && strstr(why, "compiled"));
    loader_free(lm);
}

static void test_retrained_fixture(void) {
    lmodel *lm = load(g_build, "rule-fixtures/truth/retrained_updatable.mlmodelc");
    if (!lm || !lm->model) { loader_free(lm); return; }
    const cml_model *m = lm->model;
    CHECK_INT(serious_diags(m), 0);
    CHECK_STR(m->type, "neuralNetwork");
    CHECK_INT(m->spec_version, 4);
    CHECK(m->is_updatable);
    CHECK_INT(m->n_sub_models, 0);
    CHECK_INT(m->n_training_inputs, 2);
    CHECK_STR(m->metadata.author, "coreml-lint fixtures");
    loader_free(lm);
}

static void test_compiled_classifier(void) {
    lmodel *lm = load(g_build, "rule-fixtures/truth/compiled_classifier.mlmodelc");
    if (!lm || !lm->model) { loader_free(lm); return; }
    const cml_model *m = lm->model;
    CHECK_INT(serious_diags(m), 0);
    CHECK_STR(m->type, "neuralNetworkClassifier");
    CHECK_INT(m->spec_version, 1);
    CHECK(m->unknown & CML_UNKNOWN_CLASS_LABELS);
    CHECK(m->unknown & CML_UNKNOWN_PREPROCESSING);
    CHECK_INT(m->n_inputs, 1);
    CHECK(m->n_inputs == 1 && m->inputs[0]->kind == CML_FEAT_IMAGE && m->inputs[0]->width == 28);
    CHECK_STR(m->predicted_probabilities_name, "labelProbabilities");
    loader_free(lm);
}

static void test_compiled_pipeline(void) {
    lmodel *lm = load(g_build, "rule-fixtures/truth/compiled_pipeline.mlmodelc");
    if (!lm || !lm->model) { loader_free(lm); return; }
    const cml_model *m = lm->model;
    CHECK_INT(serious_diags(m), 0);
    CHECK_STR(m->type, "pipelineClassifier");
    CHECK_INT(m->spec_version, 3);
    CHECK_INT(m->n_sub_models, 2);
    if (m->n_sub_models == 2) {
        CHECK_STR(m->sub_model_names[0], "model0");
        CHECK_STR(m->sub_models[0]->type, "visionFeaturePrint");
        CHECK_INT(m->sub_models[0]->spec_version, 3);
        CHECK_STR(m->sub_models[1]->type, "glmClassifier");
        /* stored whole: its parameters are read, nothing is unknown */
        const cml_function *g = m->sub_models[1]->classic;
        CHECK(g && g->block && g->block->n_ops == 1 && g->block->ops[0]->n_attrs > 0);
        CHECK_INT(m->sub_models[1]->unknown, 0);
    }
    /* the chained function runs through both stages */
    CHECK(m->classic && m->classic->block && m->classic->block->n_ops == 2);
    CHECK_STR(m->min_os.ios, "12.0");
    const char *why = NULL;
    CHECK(ir_ane_op_coverage(m, &why) < 0 && why && strstr(why, "Apple's built-in"));
    loader_free(lm);
}

/* a spec-1 pipeline over a spec-3 stage runs from iOS 12, as compat says */
static void test_pipeline_min_os(void) {
    lmodel *lm = load(g_build, "rule-fixtures/truth/vfp_image_classifier.mlmodel");
    if (!lm || !lm->model) { loader_free(lm); return; }
    const cml_model *m = lm->model;
    CHECK_INT(m->spec_version, 1);
    CHECK_STR(m->min_os.ios, "12.0");
    CHECK_STR(m->min_os.macos, "10.14");
    /* its Vision feature print stage has no watchOS at any release */
    CHECK_STR(m->min_os.watchos, CML_OS_UNAVAILABLE);
    CHECK(m->n_sub_models == 2 && !strcmp(m->sub_models[1]->min_os.ios, "11.0"));
    CHECK_STR(m->sub_models[0]->min_os.watchos, CML_OS_UNAVAILABLE);
    CHECK_STR(m->sub_models[1]->min_os.watchos, "4.0");
    const char *why = NULL;
    CHECK(ir_ane_op_coverage(m, &why) < 0 && why != NULL);
    loader_free(lm);
    /* the NN pipeline: spec 1 over a spec-3 stage as well */
    lm = load(g_build, "rule-fixtures/truth/nn_pipeline_flexible.mlmodel");
    if (lm && lm->model) CHECK_STR(lm->model->min_os.ios, "12.0");
    loader_free(lm);
}

/* the class axis of a Keras MNIST classifier's probabilities: [1, 10, 1, 1] */
static void test_keras_mnist_shapes(void) {
    lmodel *lm = load(g_build, "rule-fixtures/truth/keras_mnist_classifier.mlmodel");
    if (!lm || !lm->model) { loader_free(lm); return; }
    const cml_function *fn = lm->model->n_functions ? lm->model->functions[0] : NULL;
    CHECK(fn && fn->block && fn->block->n_ops == 6);
    if (fn && fn->block && fn->block->n_ops == 6) {
        const cml_shape *s = &fn->block->ops[5]->outputs[0]->type.shape;
        CHECK_INT(s->rank, 4);
        if (s->rank == 4) {
            CHECK_INT(s->dims[0], 1);
            CHECK_INT(s->dims[1], 10);
            CHECK_INT(s->dims[2], 1);
            CHECK_INT(s->dims[3], 1);
        }
    }
    loader_free(lm);
}

/* coremldata.bin is untrusted: byte flips, truncations and absurd lengths
 * in the header of a real one (the committed public model) load without a
 * crash or a hang (under the sanitizers in the ASan build). */
static void copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[4096];
    size_t n;
    while (a && b && (n = fread(buf, 1, sizeof buf, a)) > 0) fwrite(buf, 1, n, b);
    if (a) fclose(a);
    if (b) fclose(b);
}

static size_t slurp(const char *p, unsigned char *buf, size_t cap) {
    FILE *f = fopen(p, "rb");
    size_t n = f ? fread(buf, 1, cap, f) : 0;
    if (f) fclose(f);
    return n;
}

static void spit(const char *p, const unsigned char *buf, size_t n) {
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(buf, 1, n, f);
        fclose(f);
    }
}

/* A copy of the real-world compiled NeuralNetwork (tests/data/realworld),
 * as root/m.mlmodelc in a new temporary folder root (tmpl, 64 bytes) with
 * its folder in dir (256 bytes); NULL when the folder cannot be made. */
static char *s4tf_copy(char *tmpl, const char *prefix, char *dir) {
    char *root = tmp_make_dir(tmpl, 64, prefix);
    if (!root) return NULL;
    char src[4400], dst[512];
    snprintf(dir, 256, "%s/m.mlmodelc", root);
    mkdir(dir, 0700);
    static const char *const files[] = {"coremldata.bin", "model.espresso.net", "model.espresso.shape",
                                        "model.espresso.weights"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(src, sizeof src, "%s/tests/data/realworld/s4tf_model_retrained.mlmodelc/%s", g_src, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        copy_file(src, dst);
    }
    return root;
}

static void test_mutated_coremldata(void) {
    char tmpl[64], dir[256], dst[512];
    char *root = s4tf_copy(tmpl, "cml_cdb_", dir);
    CHECK(root != NULL);
    if (!root) return;
    snprintf(dst, sizeof dst, "%s/coremldata.bin", dir);
    unsigned char orig[4096], buf[4096];
    size_t n = slurp(dst, orig, sizeof orig);
    CHECK(n > 0x60);
    uint64_t s = 0x9e3779b97f4a7c15ull;
    size_t loaded = 0, with_inputs = 0;
    for (int k = 0; k < 600 && n > 0x60; k++) {
        memcpy(buf, orig, n);
        size_t len = n;
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(s >> 33);
        if (k % 10 == 9) len = r % n;                              /* truncated */
        else if (k % 10 == 8) buf[0x1C + r % 8] = 0xff;            /* descriptor length */
        else if (k % 10 == 7) buf[0x4B + r % 8] = (unsigned char)r; /* description length */
        else buf[r % n] ^= (unsigned char)(1u << (r >> 20) % 8);    /* any bit */
        spit(dst, buf, len);
        lmodel *lm = loader_load(dir, NULL);
        CHECK(lm && lm->model);
        if (lm && lm->model && !lm->unreadable) {
            loaded++;
            if (lm->model->n_inputs) with_inputs++;
        }
        loader_free(lm);
    }
    fprintf(stderr, "  600 mutations of coremldata.bin: %zu loaded, %zu with an interface\n", loaded, with_inputs);
    CHECK(loaded > 0);
    tmp_remove_tree(root);
}

/* ---- symbolic-link loops and fan-out in compiled pipelines ---------------- */

static void put(const char *dir, const char *name, const char *text) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    spit(p, (const unsigned char *)text, strlen(text));
}

static void link_to(const char *dir, const char *name, const char *target) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    CHECK(symlink(target, p) == 0);
}

/* load/compiled-limited warnings about a loop; the one at artifact `at` if given */
static size_t loop_diags(const cml_model *m, const char *at) {
    size_t n = 0;
    for (size_t i = 0; i < m->n_diags; i++) {
        const cml_diag *d = m->diags[i];
        if (!strcmp(d->rule_id, "load/compiled-limited") && d->level == DIAG_WARNING &&
            strstr(d->message, "symbolic-link loop") && (!at || !strcmp(d->loc.artifact, at)))
            n++;
    }
    return n;
}

static size_t count_stages(const cml_model *m, int depth) {
    size_t n = 0;
    for (size_t i = 0; m && i < m->n_sub_models && depth < 64; i++)
        n += 1 + count_stages(m->sub_models[i], depth + 1);
    return n;
}

/* Fuzzing: stage folders that are links to their own folder made the
 * loader read the same folder again up to 64 times per level, 32 levels
 * deep, until the arena ran out (8 links: 12 s and 320 MB; 64 links: a
 * crash). A stage folder that is the model's own folder, or one it is
 * nested in, is refused with a warning naming the link. */
static void test_symlink_loops(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_loop_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[256], sub[300];
    /* 8 links to the folder itself */
    snprintf(dir, sizeof dir, "%s/self.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    put(dir, "coremldata.bin", "x");
    for (int i = 0; i < 8; i++) {
        char name[8];
        snprintf(name, sizeof name, "m%d", i);
        link_to(dir, name, ".");
    }
    lmodel *lm = loader_load(dir, NULL);
    CHECK(lm && lm->model);
    if (lm && lm->model) {
        CHECK_INT(lm->model->n_sub_models, 0);
        CHECK_INT(loop_diags(lm->model, NULL), 8);
        CHECK_INT(loop_diags(lm->model, "m0/"), 1);
        CHECK_INT(loop_diags(lm->model, "m7/"), 1);
    }
    loader_free(lm);

    /* a real stage whose own stages link back to it and to the top folder */
    snprintf(dir, sizeof dir, "%s/back.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    put(dir, "coremldata.bin", "x");
    snprintf(sub, sizeof sub, "%s/stage", dir);
    CHECK(mkdir(sub, 0700) == 0);
    put(sub, "coremldata.bin", "x");
    link_to(sub, "up", "..");
    link_to(sub, "here", ".");
    lm = loader_load(dir, NULL);
    CHECK(lm && lm->model);
    if (lm && lm->model) {
        CHECK_INT(lm->model->n_sub_models, 1);
        if (lm->model->n_sub_models == 1) CHECK_INT(lm->model->sub_models[0]->n_sub_models, 0);
        /* "up" leaves the stage's folder: refused before the loop check */
        CHECK_INT(loop_diags(lm->model, NULL), 1);
        CHECK_INT(loop_diags(lm->model, "stage/here/"), 1);
        size_t up = 0;
        for (size_t i = 0; i < lm->model->n_diags; i++)
            if (!strcmp(lm->model->diags[i]->rule_id, "load/compiled-limited") &&
                strstr(lm->model->diags[i]->message, "sub-folder 'up' is not read"))
                up++;
        CHECK_INT(up, 1);
    }
    loader_free(lm);
    tmp_remove_tree(root);
}

/* No loop, but every level links 8 times to the next one (and holds it):
 * 9 + 81 + 729 + 6561 stage reads for four levels, once bounded only by the
 * budget (128 stages). A folder already read is now read once: each level
 * reads "d" once, through the first of its 9 names, and says so of the other 8. */
static void test_stage_fan_out(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_fan_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/fan.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    char level[600];
    snprintf(level, sizeof level, "%s", dir);
    for (int d = 0; d < 5; d++) {
        if (d == 4) {   /* the last level: an ML Program (one note each, so the warning finds room) */
            put(level, "model.mil", "program(1.0)\n{\n    func main<ios15>(tensor<fp32, [1]> x) {\n    } -> (x);\n}\n");
            break;
        }
        put(level, "coremldata.bin", "x");
        for (int i = 0; i < 8; i++) {
            char name[8];
            snprintf(name, sizeof name, "s%d", i);
            link_to(level, name, "d");
        }
        strcat(level, "/d");   /* 5 levels of "/d" fit: dir is under 512 */
        CHECK(mkdir(level, 0700) == 0);
    }
    lmodel *lm = loader_load(dir, NULL);
    CHECK(lm && lm->model);
    if (lm && lm->model) {
        size_t stages = count_stages(lm->model, 0), said = 0, again = 0;
        CHECK_INT(stages, 4);
        for (size_t i = 0; i < lm->model->n_diags; i++) {
            if (strcmp(lm->model->diags[i]->rule_id, "load/compiled-limited")) continue;
            if (strstr(lm->model->diags[i]->message, "more than 128 stages")) said++;
            if (strstr(lm->model->diags[i]->message, "leads to a stage folder already read")) again++;
        }
        CHECK_INT(said, 0);
        CHECK_INT(again, 4 * 8);   /* of the 9 names per level (8 links and d) */
        CHECK_INT(loop_diags(lm->model, NULL), 0);
    }
    loader_free(lm);
    /* 130 distinct stage folders: the budget still holds, with one warning */
    char wide[600];
    snprintf(wide, sizeof wide, "%s/wide.mlmodelc", root);
    CHECK(mkdir(wide, 0700) == 0);
    put(wide, "coremldata.bin", "x");
    for (int i = 0; i < 130; i++) {
        char sub[700];
        snprintf(sub, sizeof sub, "%s/s%03d", wide, i);
        CHECK(mkdir(sub, 0700) == 0);
        put(sub, "model.mil", "program(1.0)\n{\n    func main<ios15>(tensor<fp32, [1]> x) {\n    } -> (x);\n}\n");
    }
    lm = loader_load(wide, NULL);
    CHECK(lm && lm->model);
    if (lm && lm->model) {
        size_t said = 0;
        CHECK_INT(count_stages(lm->model, 0), 128);
        for (size_t i = 0; i < lm->model->n_diags; i++)
            if (!strcmp(lm->model->diags[i]->rule_id, "load/compiled-limited") &&
                strstr(lm->model->diags[i]->message, "more than 128 stages"))
                said++;
        CHECK_INT(said, 1);
    }
    loader_free(lm);
    tmp_remove_tree(root);
}

/* root/m.mlmodelc (into dir) holding the named files of the fixture
 * writer's tiny_mlprogram.mlmodelc */
static void tiny_copy(const char *root, char *dir, size_t cap, const char *const *files, size_t n) {
    char wdir[300], src[4400], dst[512];
    snprintf(dir, cap, "%s/m.mlmodelc", root);
    snprintf(wdir, sizeof wdir, "%s/weights", dir);
    CHECK(mkdir(dir, 0700) == 0 && mkdir(wdir, 0700) == 0);
    for (size_t i = 0; i < n; i++) {
        snprintf(src, sizeof src, "%s/examples/tiny_mlprogram.mlmodelc/%s", g_build, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        copy_file(src, dst);
    }
}

/* A compiled pipeline's stage (listed by its real path) whose weight file
 * is missing: the error names the file inside the model, "model0/weights/
 * weight.bin", not the model's path followed by the absolute one (a public
 * YOLOv8 pipeline, weights too large for its repository). */
static void test_stage_weight_path(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_stagew_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[512], stage[600], src[4400], dst[700];
    snprintf(dir, sizeof dir, "%s/p.mlmodelc", root);
    snprintf(stage, sizeof stage, "%s/model0", dir);
    CHECK(mkdir(dir, 0700) == 0 && mkdir(stage, 0700) == 0);
    put(dir, "coremldata.bin", "x");
    snprintf(src, sizeof src, "%s/examples/tiny_mlprogram.mlmodelc/model.mil", g_build);
    snprintf(dst, sizeof dst, "%s/model.mil", stage);
    copy_file(src, dst);
    /* named through a relative path, as a CI job names it */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(root) == 0);
    lmodel *lm = loader_load("p.mlmodelc", NULL);
    CHECK(chdir(cwd) == 0);
    CHECK(lm && lm->model);
    size_t found = 0;
    for (size_t i = 0; lm && lm->model && i < lm->model->n_diags; i++) {
        const cml_diag *d = lm->model->diags[i];
        if (strcmp(d->rule_id, "load/missing-weight-file")) continue;
        found++;
        CHECK_STR(d->loc.artifact, "model0/weights/weight.bin");
    }
    CHECK_INT(found, 1);
    loader_free(lm);
    tmp_remove_tree(root);
}

/* A MIL const whose shape's element count does not fit 64 bits
 * ([2^32, 2^32, 2^32, 3]) made cml_shape_elems give 0, and the blob size
 * check was skipped without a word: it is a load/weight-blob error now,
 * like a shape that does not match its blob. Model: the fixture writer's
 * tiny_mlprogram.mlmodelc with the first weight's shape replaced. */
static void test_const_shape_overflow(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_shape_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[256], src[4400], dst[512];
    static const char *const files[] = {"coremldata.bin", "metadata.json", "weights/weight.bin"};
    tiny_copy(root, dir, sizeof dir, files, sizeof files / sizeof *files);
    static unsigned char mil[65536];
    snprintf(src, sizeof src, "%s/examples/tiny_mlprogram.mlmodelc/model.mil", g_build);
    size_t n = slurp(src, mil, sizeof mil - 1);
    mil[n] = 0;
    static const char from[] = "[8, 3, 3, 3]", to[] = "[4294967296, 4294967296, 4294967296, 3]";
    char *out = malloc(2 * n + 1024), *o = out;
    size_t hits = 0;
    for (const char *p = (const char *)mil; out && *p;) {
        if (!strncmp(p, from, sizeof from - 1)) {
            memcpy(o, to, sizeof to - 1), o += sizeof to - 1, p += sizeof from - 1, hits++;
        } else {
            *o++ = *p++;
        }
    }
    CHECK_INT(hits, 2);   /* the const's type and its value's */
    snprintf(dst, sizeof dst, "%s/model.mil", dir);
    if (out) spit(dst, (const unsigned char *)out, (size_t)(o - out));
    free(out);
    lmodel *lm = loader_load(dir, NULL);
    CHECK(lm && lm->model && !lm->unreadable);
    if (lm && lm->model) {
        size_t said = 0;
        for (size_t i = 0; i < lm->model->n_diags; i++) {
            const cml_diag *d = lm->model->diags[i];
            if (!strcmp(d->rule_id, "load/weight-blob") && d->level == DIAG_ERROR &&
                strstr(d->message, "conv_0_weight_to_fp16") && strstr(d->message, "does not fit 64 bits"))
                said++;
        }
        CHECK_INT(said, 1);
    }
    loader_free(lm);
    tmp_remove_tree(root);
}

/* A compiled ML Program's description (interface, metadata, specification
 * version) comes from coremldata.bin or metadata.json: the model and its
 * features are located there, its functions and ops in model.mil (a
 * missing-metadata finding used to point at model.mil, which holds no
 * metadata). The fixture writer's coremldata.bin holds no description, so the
 * description is metadata.json's; without metadata.json it is unknown and
 * the model stays at model.mil, the one file read. */
static void test_program_description_loc(void) {
    lmodel *lm = load(g_build, "examples/tiny_mlprogram.mlmodelc");
    if (!lm || !lm->model) { loader_free(lm); return; }
    const cml_model *m = lm->model;
    CHECK_STR(m->loc.artifact, "metadata.json");
    CHECK(m->n_inputs > 0 && !strcmp(m->inputs[0]->loc.artifact, "metadata.json"));
    CHECK(m->n_outputs > 0 && !strcmp(m->outputs[0]->loc.artifact, "metadata.json"));
    CHECK(m->n_functions == 1 && !strcmp(m->functions[0]->loc.artifact, "model.mil"));
    const cml_block *blk = m->n_functions ? m->functions[0]->block : NULL;
    CHECK(blk && blk->n_ops && !strcmp(blk->ops[0]->loc.artifact, "model.mil") && blk->ops[0]->loc.line > 0);
    loader_free(lm);
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_desc_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[256];
    static const char *const files[] = {"coremldata.bin", "model.mil", "weights/weight.bin"};
    tiny_copy(root, dir, sizeof dir, files, sizeof files / sizeof *files);
    lm = loader_load(dir, NULL);
    CHECK(lm && lm->model);
    if (lm && lm->model) {
        m = lm->model;
        CHECK(m->unknown & CML_UNKNOWN_METADATA);
        CHECK_STR(m->loc.artifact, "model.mil");
    }
    loader_free(lm);
    tmp_remove_tree(root);
}

/* Inline MIL constants (values stored in the program, not in weight.bin)
 * whose stored values are not their shape's element count: each is a
 * load/weight-blob error at its op's line of model.mil, like a blob of the
 * wrong size; the old loader said nothing, and rules read the shape and
 * the stored values as if they agreed. Model: the fuzz_probe regress file
 * inline-count.mil (its first byte picks the container there), with one
 * short constant of each storage (floats, fp16 / int8 / uint4 bytes,
 * ints, longs, bools, strings, an op-input literal), one with too many
 * values and one whose shape overflows 64 bits; the ok_* constants (exact,
 * sub-byte padding, empty, scalar) and every op's name stay quiet. */
static void test_inline_const_count(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_inline_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[256], src[4400], dst[512];
    snprintf(dir, sizeof dir, "%s/m.mlmodelc", root);
    CHECK(mkdir(dir, 0700) == 0);
    static unsigned char mil[16384];
    snprintf(src, sizeof src, "%s/tests/fuzz/regress/fuzz_probe/inline-count.mil", g_src);
    size_t n = slurp(src, mil, sizeof mil);
    CHECK(n > 1 && n < sizeof mil);
    snprintf(dst, sizeof dst, "%s/model.mil", dir);
    if (n > 1) spit(dst, mil + 1, n - 1);
    static const char *const bad[] = {"bad_f32", "bad_f16", "bad_i8",   "bad_i32",  "bad_i64", "bad_bool",
                                      "bad_str", "bad_u4",  "bad_many", "bad_wrap", "bad_lut"};
    enum { NB = sizeof bad / sizeof *bad };
    lmodel *lm = loader_load(dir, NULL);
    CHECK(lm && lm->model && !lm->unreadable);
    if (lm && lm->model) {
        size_t said[NB] = {0}, other = 0;
        for (size_t i = 0; i < lm->model->n_diags; i++) {
            const cml_diag *d = lm->model->diags[i];
            if (strcmp(d->rule_id, "load/weight-blob")) continue;
            size_t k = 0;
            while (k < NB && !(strstr(d->message, bad[k]) && d->loc.logical && strstr(d->loc.logical, bad[k]))) k++;
            if (k == NB || d->level != DIAG_ERROR || strcmp(d->loc.artifact, "model.mil") || d->loc.line < 4) {
                fprintf(stderr, "  unexpected: %s (line %u)\n", d->message, d->loc.line);
                other++;
                continue;
            }
            said[k]++;
        }
        for (size_t k = 0; k < NB; k++)
            if (said[k] != 1) {
                fprintf(stderr, "  '%s': %zu load/weight-blob errors, expected 1\n", bad[k], said[k]);
                check_failures_++;
            }
        CHECK_INT(other, 0);
    }
    loader_free(lm);
    tmp_remove_tree(root);
}

static bool has_diag(const cml_model *m, int level, const char *text) {
    for (size_t i = 0; m && i < m->n_diags; i++)
        if (m->diags[i]->level == level && strstr(m->diags[i]->message, text)) return true;
    return false;
}

/* The espresso network of a compiled NeuralNetwork, hostile: under arena
 * caps that fall on each allocation in turn, the layer list keeps no
 * layer without its strings (a NULL type once reached the summary's sort:
 * strcmp(NULL)); and a model.espresso.net of 2.1 million values, which
 * cJSON would have built in ~200 MB outside the arena (a 32 MiB one took
 * 2 GB), is refused with a warning before parsing. */
static void test_espresso_bounds(void) {
    char tmpl[64], dir[256], dst[512];
    char *root = s4tf_copy(tmpl, "cml_esp_", dir);
    CHECK(root != NULL);
    if (!root) return;
    size_t cut = 0;
    for (size_t cap = 1024; cap < ((size_t)4 << 20); cap += cap / 256 + 16) {
        load_opts o = {.arena_cap = cap};
        lmodel *lm = loader_load(dir, &o);
        CHECK(lm && lm->model);
        bool spent = lm && arena_exhausted(lm->a);
        if (spent) {
            cut++;
            CHECK(has_diag(lm->model, DIAG_ERROR, "cap"));
        }
        loader_free(lm);
        if (!spent) break;
    }
    CHECK(cut > 0);
    /* {"layers":[0,0,...]}: 2.1 million values */
    snprintf(dst, sizeof dst, "%s/model.espresso.net", dir);
    FILE *f = fopen(dst, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs("{\"layers\":[", f);
        for (size_t i = 0; i < 2100000; i++) fputs("0,", f);
        fputs("0]}", f);
        fclose(f);
    }
    lmodel *lm = loader_load(dir, NULL);
    CHECK(lm && lm->model);
    if (lm && lm->model)
        CHECK(has_diag(lm->model, DIAG_WARNING, "more than the 2000000 this tool reads from one JSON file"));
    loader_free(lm);
    tmp_remove_tree(root);
}

/* A chain of 200 constexpr ops: the chain's name stops growing (each op
 * once copied the whole chain before it: 8,000 ops took 288 MB) and says
 * it was cut; a real chain of two reads in full. */
static void test_long_constexpr_chain(void) {
    char tmpl[64];
    char *root = tmp_make_dir(tmpl, sizeof tmpl, "cml_chain_");
    CHECK(root != NULL);
    if (!root) return;
    char dir[256], mil[320];
    snprintf(dir, sizeof dir, "%s/m.mlmodelc", root);
    mkdir(dir, 0700);
    snprintf(mil, sizeof mil, "%s/model.mil", dir);
    FILE *f = fopen(mil, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("program(1.0)\n{\n  func main<ios16>() {\n"
          "    tensor<fp16, [1]> c0 = const()[name = string(\"c0\"), val = tensor<fp16, [1]>([1])];\n", f);
    for (int i = 1; i <= 200; i++)
        fprintf(f, "    tensor<fp16, [1]> c%d = constexpr_cast(source_val = c%d, output_dtype = "
                   "string(\"fp16\"))[name = string(\"c%d\")];\n", i, i - 1, i);
    fputs("  } -> (c200);\n}\n", f);
    fclose(f);
    lmodel *lm = loader_load(dir, NULL);
    CHECK(lm && lm->model && lm->model->n_functions == 1);
    if (lm && lm->model && lm->model->n_functions == 1) {
        const cml_function *fn = lm->model->functions[0];
        const cml_op *last = fn->block->n_ops ? fn->block->ops[fn->block->n_ops - 1] : NULL;
        const cml_op *second = fn->block->n_ops > 2 ? fn->block->ops[2] : NULL;
        const cml_compression *c = last && last->n_outputs ? last->outputs[0]->compression : NULL;
        CHECK(c && c->chain);
        if (c && c->chain) {
            size_t n = strlen(c->chain);
            CHECK(n < 300 && n > 4 && !strcmp(c->chain + n - 4, ">..."));
        }
        c = second && second->n_outputs ? second->outputs[0]->compression : NULL;
        CHECK(c && c->chain && !strcmp(c->chain, "constexpr_cast>constexpr_cast"));
    }
    loader_free(lm);
    tmp_remove_tree(root);
}

int main(void) {
    const char *b = getenv("CML_BUILD_DIR"), *s = getenv("CML_SOURCE_DIR");
    if (!b || !s) SKIP_ALL("CML_BUILD_DIR / CML_SOURCE_DIR not set (run through ctest)");
    snprintf(g_build, sizeof g_build, "%s", b);
    snprintf(g_src, sizeof g_src, "%s", s);
    RUN(test_s4tf_retrained);
    RUN(test_retrained_fixture);
    RUN(test_compiled_classifier);
    RUN(test_compiled_pipeline);
    RUN(test_pipeline_min_os);
    RUN(test_keras_mnist_shapes);
    RUN(test_mutated_coremldata);
    RUN(test_symlink_loops);
    RUN(test_stage_fan_out);
    RUN(test_const_shape_overflow);
    RUN(test_program_description_loc);
    RUN(test_inline_const_count);
    RUN(test_espresso_bounds);
    RUN(test_long_constexpr_chain);
    RUN(test_stage_weight_path);
    fprintf(stderr, "%d tests, %d failed checks\n", check_tests_, check_failures_);
    return check_failures_ ? 1 : 0;
}

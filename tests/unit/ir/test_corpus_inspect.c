/* SPDX-License-Identifier: Apache-2.0 */
/* test_corpus_inspect.c — every model of ../shared/corpus loads with no
 * load/... problem, and every fact manifest.json records about it equals
 * what `inspect --format json` says.
 *
 * The manifest was written by coremltools reading the models back, so it is
 * the ground truth. Comparison is by subset: every key the manifest has (for
 * the facts listed below) must be in our JSON with an equal value; arrays
 * must match element by element. Compression is compared on its summary
 * (mode, nbits, granularity, group/block size, sparsity within 2 points of
 * the target). Skips (exit 77) when the corpus is absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "cli/inspect.h"
#include "ir/model.h"

static const char *corpus_dir(void) {
    const char *d = getenv("CML_CORPUS_DIR");
    static const char *const fallback[] = {"../shared/corpus", "../../shared/corpus", "/work/shared/corpus"};
    char buf[4096];
    if (d) {
        snprintf(buf, sizeof buf, "%s/manifest.json", d);
        if (fs_is_file(buf)) return d;
    }
    for (size_t i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "%s/manifest.json", fallback[i]);
        if (fs_is_file(buf)) return fallback[i];
    }
    return NULL;
}

static int failures_for_model;

static void mismatch(const char *model, const char *path, const cJSON *want, const cJSON *got) {
    char *w = want ? cJSON_PrintUnformatted(want) : NULL, *g = got ? cJSON_PrintUnformatted(got) : NULL;
    fprintf(stderr, "  %s: %s: manifest %s, inspect %s\n", model, path, w ? w : "(absent)", g ? g : "(absent)");
    free(w);
    free(g);
    check_failures_++;
    failures_for_model++;
}

/* every key of want must be in got with an equal value */
static void subset(const char *model, const char *path, const cJSON *want, const cJSON *got) {
    if (!got) { mismatch(model, path, want, got); return; }
    if (cJSON_IsObject(want)) {
        if (!cJSON_IsObject(got)) { mismatch(model, path, want, got); return; }
        const cJSON *c;
        cJSON_ArrayForEach(c, want) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s.%s", path, c->string);
            subset(model, sub, c, cJSON_GetObjectItemCaseSensitive(got, c->string));
        }
        return;
    }
    if (cJSON_IsArray(want)) {
        if (!cJSON_IsArray(got) || cJSON_GetArraySize(want) != cJSON_GetArraySize(got)) {
            mismatch(model, path, want, got);
            return;
        }
        for (int i = 0; i < cJSON_GetArraySize(want); i++) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            subset(model, sub, cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(got, i));
        }
        return;
    }
    if (cJSON_IsNumber(want)) {
        if (!cJSON_IsNumber(got) || want->valuedouble != got->valuedouble) mismatch(model, path, want, got);
        return;
    }
    if (!cJSON_Compare(want, got, 1)) mismatch(model, path, want, got);
}

/* the manifest's feature entries carry a few facts we name the same but
 * that are documentation (short_description); compare them too */
static const char *const top_keys[] = {
    "format", "model_type", "specification_version", "inputs", "outputs", "states", "metadata",
    "is_updatable", "predicted_feature_name", "predicted_probabilities_name", "functions",
    "default_function_name", "mil", "neural_network", "class_labels", "training_inputs", "sub_models",
    "size_bytes"};

static void compare_compression(const char *model, const cJSON *want, const cJSON *got) {
    if (!want || cJSON_IsNull(want)) {
        /* uncompressed models: nothing palettized/quantized/sparse */
        const cJSON *mode = got ? cJSON_GetObjectItemCaseSensitive(got, "mode") : NULL;
        if (cJSON_IsString(mode) && strcmp(mode->valuestring, "float16_weights") != 0)
            mismatch(model, "compression", want, got);
        return;
    }
    if (!cJSON_IsObject(got)) { mismatch(model, "compression", want, got); return; }
    const cJSON *wm = cJSON_GetObjectItemCaseSensitive(want, "mode");
    const cJSON *gm = cJSON_GetObjectItemCaseSensitive(got, "mode");
    if (!cJSON_IsString(wm) || !cJSON_IsString(gm) || strcmp(wm->valuestring, gm->valuestring))
        mismatch(model, "compression.mode", wm, gm);
    static const char *const keys[] = {"nbits", "granularity", "group_size", "block_size"};
    for (size_t i = 0; i < 4; i++) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(want, keys[i]);
        if (!w) continue;
        /* float16_weights: the manifest's "per_tensor" is trivially true */
        char p[64];
        snprintf(p, sizeof p, "compression.%s", keys[i]);
        subset(model, p, w, cJSON_GetObjectItemCaseSensitive(got, keys[i]));
    }
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(want, "target_sparsity");
    if (cJSON_IsNumber(ts)) {
        const cJSON *gs = cJSON_GetObjectItemCaseSensitive(got, "sparsity");
        if (!cJSON_IsNumber(gs) || fabs(gs->valuedouble - ts->valuedouble) > 0.02)
            mismatch(model, "compression.sparsity (vs target_sparsity)", ts, gs);
    }
}

int main(void) {
    const char *dir = corpus_dir();
    if (!dir) SKIP_ALL("../shared/corpus not found (set CML_CORPUS_DIR); corpus facts not checked");
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", dir);
    arena *a = arena_new(0);
    size_t len = 0;
    char *text = fs_read_file(a, mpath, 64u << 20, &len);
    cJSON *man = text ? cJSON_ParseWithLength(text, len) : NULL;
    CHECK(man != NULL);
    if (!man) return CHECK_DONE();
    int n_models = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, man) {
        const char *name = cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring;
        const char *rel = cJSON_GetObjectItemCaseSensitive(e, "path")->valuestring;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        failures_for_model = 0;
        check_tests_++;
        lmodel *lm = loader_load(path, NULL);
        CHECK(lm && lm->model);
        if (!lm || !lm->model) continue;
        for (size_t i = 0; i < lm->model->n_diags; i++) {
            fprintf(stderr, "  %s: unexpected load problem: %s [%s]\n", name, lm->model->diags[i]->message,
                    lm->model->diags[i]->rule_id);
            check_failures_++;
            failures_for_model++;
        }
        cJSON *got = inspect_json(lm->model);
        for (size_t k = 0; k < sizeof top_keys / sizeof *top_keys; k++) {
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(e, top_keys[k]);
            if (!w) continue;
            subset(name, top_keys[k], w, cJSON_GetObjectItemCaseSensitive(got, top_keys[k]));
        }
        const cJSON *pkg = cJSON_GetObjectItemCaseSensitive(e, "package");
        if (pkg) {
            const cJSON *gp = cJSON_GetObjectItemCaseSensitive(got, "package");
            subset(name, "package.weights", cJSON_GetObjectItemCaseSensitive(pkg, "weights"),
                   gp ? cJSON_GetObjectItemCaseSensitive(gp, "weights") : NULL);
        }
        compare_compression(name, cJSON_GetObjectItemCaseSensitive(e, "compression"),
                            cJSON_GetObjectItemCaseSensitive(got, "compression"));
        fprintf(stderr, "%s %s\n", failures_for_model ? "FAIL" : "ok  ", name);
        cJSON_Delete(got);
        loader_free(lm);
        n_models++;
    }
    CHECK(n_models == 41);
    cJSON_Delete(man);
    arena_free(a);
    return CHECK_DONE();
}

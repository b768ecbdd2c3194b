/* SPDX-License-Identifier: Apache-2.0 */
/* test_writers.c — the four output writers (sarif/) on a hand-built
 * run_result: four rules; a warning in a binary .mlmodel whose path has a
 * space, with a byte range, an op and a fix; a note in model.mil with line,
 * column and a related byte range in weight.bin; a model-level error; a
 * suppressed finding; a notification with a rule and one without. Checks:
 * golden outputs in tests/golden/ (CML_UPDATE_GOLDEN=1 rewrites them),
 * SARIF structure read back with cJSON (ruleIndex, regions, fingerprints,
 * suppressed left out, percent-encoding), edge cases (paths that climb or
 * are absolute, unknown rules, hostile bytes in messages, the 25,000-result
 * cap), the helpers, write failures and determinism. The model files are
 * written with fixed bytes into a scratch folder that becomes the working
 * directory, so artifact hashes are stable; r->working_dir is a fixed fake
 * path so nothing machine-specific reaches the goldens. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sarif/wcommon.h"
#include "sarif/writers.h"
#include "tmptree.h"

/* ---- fixture --------------------------------------------------------------- */

static char *tags_perf[] = {"performance", "size"};
static char *tags_corr[] = {"correctness"};
static char *tags_house[] = {"house"};

static host_rule rule_dead = {
    .id = "graph/dead-op",
    .name = "DeadOp",
    .summary = "An op's outputs are never used.",
    .description = "An op whose outputs no other op and no model output consume still costs load time and memory.",
    .help_md = NULL,
    .default_level = LEVEL_NOTE,
    .tags = tags_corr,
    .n_tags = 1,
    .enabled = true,
    .level = LEVEL_NOTE,
};
static host_rule rule_house = {
    .id = "house/metadata-keys",
    .name = "MetadataKeys",
    .summary = "Required metadata keys are missing.",
    .help_md = "Add the keys listed in the rule's `required` option to the model's metadata.",
    .default_level = LEVEL_WARNING,
    .tags = tags_house,
    .n_tags = 1,
    .enabled = true,
    .level = LEVEL_WARNING,
};
static host_rule rule_spec = {
    .id = "load/spec-version",
    .name = "SpecVersion",
    .summary = "The specification version does not fit the deployment target.",
    .description = "The model's specification version needs a newer OS than the deployment target, or is so old "
                   "that current tools no longer write it.",
    .help_md = "# Specification version\n\nRe-export the model with **coremltools** for the target:\n\n```python\n"
               "ct.convert(model, minimum_deployment_target=ct.target.iOS16)\n```\n\nSee [the guide]"
               "(https://apple.github.io/coremltools/docs-guides/).",
    .help_uri = "https://example.com/coreml-lint/rules/load/spec-version",
    .default_level = LEVEL_ERROR,
    .tags = tags_corr,
    .n_tags = 1,
    .enabled = true,
    .level = LEVEL_ERROR,
};
static host_rule rule_fp32 = {
    .id = "weights/fp32-storage",
    .name = "Fp32WeightStorage",
    .summary = "Weights are stored as float32.",
    .description = "Large weight tensors stored as float32 double the model size; fp16 storage is usually lossless "
                   "enough for inference on the GPU and Neural Engine.",
    .help_md = "Convert the weights to fp16: `ct.convert(..., compute_precision=ct.precision.FLOAT16)`.",
    .help_uri = "https://example.com/coreml-lint/rules/weights/fp32-storage",
    .default_level = LEVEL_WARNING,
    .tags = tags_perf,
    .n_tags = 2,
    .enabled = true,
    .level = LEVEL_WARNING,
};
static host_rule *rules[] = {&rule_dead, &rule_house, &rule_spec, &rule_fp32};

static related_loc rel_mil[] = {{
    .message = "weights of conv_12",
    .loc = {.artifact = "weights/weight.bin", .logical = "main/conv_12", .byte_offset = 64, .byte_length = 128,
            .has_bytes = true},
}};

static finding f_mil = {
    .rule = &rule_dead,
    .rule_id = "graph/dead-op",
    .level = LEVEL_NOTE,
    .message = "Op conv_12 (conv) has no consumers: its output is never used.",
    .fix = "Remove the op, or make its output a model output.",
    .model_path = "Models/Detector.mlmodelc",
    .loc = {.artifact = "model.mil", .logical = "main/conv_12", .line = 12, .column = 5},
    .logical_kind = "member",
    .related = rel_mil,
    .n_related = 1,
    .fingerprint = "0123456789abcdef0123456789abcdef",
};
static finding f_bin = {
    .rule = &rule_fp32,
    .rule_id = "weights/fp32-storage",
    .level = LEVEL_WARNING,
    .message = "Layer 'conv1' stores 4.5 MiB of weights as float32.",
    .fix = "Store the weights as fp16.",
    .model_path = "Models/My Model.mlmodel",
    .loc = {.artifact = "", .logical = "Classifier/neuralNetwork/layers[3]:conv1", .byte_offset = 4096,
            .byte_length = 4718592, .has_bytes = true},
    .logical_kind = "member",
    .fingerprint = "5c1f0e7a2b9d4c38a03b77e10c2d6f91",
};
static finding f_sup = {
    .rule = &rule_fp32,
    .rule_id = "weights/fp32-storage",
    .level = LEVEL_WARNING,
    .message = "Layer 'conv2' stores 1.0 MiB of weights as float32.",
    .model_path = "Models/My Model.mlmodel",
    .loc = {.artifact = "", .logical = "Classifier/neuralNetwork/layers[4]:conv2", .byte_offset = 9000000,
            .byte_length = 1048576, .has_bytes = true},
    .logical_kind = "member",
    .fingerprint = "ffffffffffffffff0000000000000000",
    .suppressed = true,
    .suppress_reason = "accepted: legacy layer, see #42",
};
static finding f_model = {
    .rule = &rule_spec,
    .rule_id = "load/spec-version",
    .level = LEVEL_ERROR,
    .message = "Specification version 1 (iOS 11, macOS 10.13) is older than 100% of the supported targets: "
               "re-export it.",
    .fix = "Re-export with coremltools 7:\nct.convert(...)",
    .model_path = "Models/Old.mlmodel",
    .loc = {.artifact = ""},
    .logical_kind = "module",
    .fingerprint = "a03b77e10c2d6f915c1f0e7a2b9d4c38",
};
static finding *findings[] = {&f_mil, &f_bin, &f_sup, &f_model};

static notification n_rule = {
    .rule_id = "house/metadata-keys",
    .kind = "rule/budget-exceeded",
    .level = LEVEL_WARNING,
    .message = "Rule house/metadata-keys exceeded its instruction budget on Models/Old.mlmodel and was skipped.",
    .model_path = "Models/Old.mlmodel",
    .file = "rules/house/metadata-keys.lua",
    .line = 14,
    .count = 2,
};
static notification n_plain = {
    .kind = "config/unknown-key",
    .level = LEVEL_NOTE,
    .message = "Unknown key 'colour' in .coreml-lint.json ignored.",
    .count = 1,
};
static notification *all_notes[] = {&n_rule, &n_plain};

static char *arts_det[] = {"model.mil", "weights/weight.bin"};
static char *arts_old[] = {""};
static char *arts_none[] = {NULL};
static run_model m_det = {.path = "Models/Detector.mlmodelc", .format = "mlmodelc", .artifacts = arts_det,
                          .n_artifacts = 2};
static run_model m_my = {.path = "Models/My Model.mlmodel", .format = "mlmodel", .artifacts = arts_none,
                         .n_artifacts = 0};
static run_model m_old = {.path = "Models/Old.mlmodel", .format = "mlmodel", .artifacts = arts_old,
                          .n_artifacts = 1};
static run_model m_clean = {.path = "Models/Clean.mlpackage", .format = "mlpackage", .artifacts = arts_none,
                            .n_artifacts = 0};
static run_model *models[] = {&m_det, &m_my, &m_old, &m_clean};

static run_result make_result(void) {
    run_result r = {
        .tool_version = "0.1.0",
        .rules = rules,
        .n_rules = 4,
        .findings = findings,
        .n_findings = 4,
        .notes = all_notes,
        .n_notes = 2,
        .models = models,
        .n_models = 4,
        .working_dir = "/src/app",
        .execution_successful = true,
        .fail_on = LEVEL_WARNING,
    };
    return r;
}

static int write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

/* Scratch folder with the model files (fixed bytes), made the cwd. */
static int setup_files(void) {
    /* under the build folder when ctest runs it, else a fresh temporary
     * folder: never in the source tree */
    const char *base = getenv("CML_BUILD_DIR");
    char dir[4096], tmp[64];
    if (!(base && *base) && !(base = tmp_make_dir(tmp, sizeof tmp, "cml-writers-"))) return -1;
    snprintf(dir, sizeof dir, "%s/writers-scratch", base);
    const char *dirs[] = {"", "/Models", "/Models/Detector.mlmodelc", "/Models/Detector.mlmodelc/weights"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", dir, dirs[i]);
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
    }
    if (chdir(dir) != 0) return -1;
    static const char mil[] = "program(1.0)\n[buildInfo = dict<tensor<string, []>, tensor<string, []>>({})]\n{\n"
                              "    func main<ios16>(tensor<fp32, [1, 3, 8, 8]> x) {\n    } -> (x);\n}\n";
    unsigned char bin[256], spec[64];
    for (size_t i = 0; i < sizeof bin; i++) bin[i] = (unsigned char)(i * 7 + 1);
    for (size_t i = 0; i < sizeof spec; i++) spec[i] = (unsigned char)(i ^ 0x5a);
    spec[0] = 0x08;
    spec[1] = 0x01;
    if (write_file("Models/Detector.mlmodelc/model.mil", mil, sizeof mil - 1) ||
        write_file("Models/Detector.mlmodelc/weights/weight.bin", bin, sizeof bin) ||
        write_file("Models/My Model.mlmodel", spec, sizeof spec) || write_file("Models/Old.mlmodel", spec, 16))
        return -1;
    return 0;
}

/* ---- capture ---------------------------------------------------------------- */

/* A format of the writer table by name: the test reaches every writer the
 * way the command line does. */
static const report_writer *writer(const char *name) {
    const report_writer *w = report_writer_find(name);
    if (!w) fprintf(stderr, "  no format '%s' in the writer table\n", name);
    CHECK(w != NULL);
    return w;
}

static int run_writer(const report_writer *w, bool color, FILE *f, const run_result *r) {
    writer_opts wo = {.color = color};
    return w ? w->write(f, r, &wo) : -1;
}

/* Output of a writer as a malloc'd string (NULL on failure). */
static char *capture_w(const report_writer *w, bool color, const run_result *r, int *rc) {
    FILE *f = tmpfile();
    if (!f) return NULL;
    *rc = run_writer(w, color, f, r);
    long n = ftell(f);
    char *s = NULL;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1))) {
        if (fread(s, 1, (size_t)n, f) != (size_t)n) {
            free(s);
            s = NULL;
        } else {
            s[n] = 0;
        }
    }
    fclose(f);
    return s;
}

/* The report of format `name`, uncoloured. */
static char *capture(const char *name, const run_result *r, int *rc) {
    return capture_w(writer(name), false, r, rc);
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    size_t got;
    while (s && (got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *t = realloc(s, cap * 2);
            if (!t) {
                free(s);
                s = NULL;
                break;
            }
            s = t;
            cap *= 2;
        }
    }
    fclose(f);
    if (s) s[n] = 0;
    if (len) *len = n;
    return s;
}

/* Compare out with tests/golden/name, or rewrite it when CML_UPDATE_GOLDEN=1. */
static void golden(const char *name, const char *out) {
    const char *src = getenv("CML_SOURCE_DIR");
    if (!src || !*src) src = CML_SOURCE_DIR;
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/golden/%s", src, name);
    const char *upd = getenv("CML_UPDATE_GOLDEN");
    if (upd && strcmp(upd, "1") == 0) {
        CHECK(write_file(path, out, strlen(out)) == 0);
        fprintf(stderr, "updated %s\n", path);
        return;
    }
    char *want = read_all(path, NULL);
    if (!want) {
        fprintf(stderr, "%s: missing golden file (run with CML_UPDATE_GOLDEN=1)\n", path);
        CHECK(want != NULL);
        return;
    }
    if (strcmp(want, out) != 0) {
        size_t i = 0;
        while (want[i] && want[i] == out[i]) i++;
        fprintf(stderr, "%s differs at byte %zu:\n--- golden: %.120s\n--- output: %.120s\n", path, i, want + i,
                out + i);
        CHECK(strcmp(want, out) == 0);
    }
    free(want);
}

/* ---- SARIF structure ---------------------------------------------------------- */

static const cJSON *jget(const cJSON *o, const char *k) {
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstrv(const cJSON *o, const char *k) {
    const cJSON *v = jget(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* No region anywhere below o mixes a text position with a byte range. */
static int count_mixed_regions(const cJSON *o) {
    int n = 0;
    if (!o) return 0;
    if (cJSON_IsObject(o)) {
        const cJSON *rg = jget(o, "region");
        if (cJSON_IsObject(rg) && jget(rg, "startLine") && (jget(rg, "byteOffset") || jget(rg, "byteLength"))) n++;
    }
    for (const cJSON *c = o->child; c; c = c->next) n += count_mixed_regions(c);
    return n;
}

static cJSON *sarif_of(const run_result *r) {
    int rc = -1;
    char *out = capture("sarif", r, &rc);
    CHECK_INT(rc, 0);
    cJSON *doc = out ? cJSON_Parse(out) : NULL;
    CHECK(doc != NULL);
    free(out);
    return doc;
}

static void test_sarif_structure(void) {
    run_result r = make_result();
    cJSON *doc = sarif_of(&r);
    if (!doc) return;
    CHECK_STR(jstrv(doc, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
    CHECK_STR(jstrv(doc, "version"), "2.1.0");
    const cJSON *runs = jget(doc, "runs");
    CHECK_INT(cJSON_GetArraySize(runs), 1);
    const cJSON *run = cJSON_GetArrayItem(runs, 0);
    const cJSON *driver = jget(jget(run, "tool"), "driver");
    CHECK_STR(jstrv(driver, "name"), "coreml-lint");
    CHECK_STR(jstrv(driver, "semanticVersion"), "0.1.0");
    const cJSON *rl = jget(driver, "rules");
    CHECK_INT(cJSON_GetArraySize(rl), 4);
    for (int i = 0; i < cJSON_GetArraySize(rl) && i < 4; i++) {
        const cJSON *ru = cJSON_GetArrayItem(rl, i);
        CHECK_STR(jstrv(ru, "id"), rules[i]->id);
        CHECK(jstrv(jget(ru, "shortDescription"), "text") && *jstrv(jget(ru, "shortDescription"), "text"));
        CHECK(jstrv(jget(ru, "fullDescription"), "text") && *jstrv(jget(ru, "fullDescription"), "text"));
        CHECK(jstrv(jget(ru, "help"), "text") && *jstrv(jget(ru, "help"), "text"));
        CHECK(jstrv(jget(ru, "defaultConfiguration"), "level") != NULL);
        CHECK(cJSON_IsArray(jget(jget(ru, "properties"), "tags")));
        CHECK(jstrv(jget(ru, "properties"), "precision") != NULL);
    }
    /* help.text is plain: no Markdown marks left */
    const cJSON *spec = cJSON_GetArrayItem(rl, 2);
    const char *ht = jstrv(jget(spec, "help"), "text");
    CHECK(ht && !strstr(ht, "**") && !strstr(ht, "```") && !strstr(ht, "# ") && !strstr(ht, "]("));
    CHECK(ht && strstr(ht, "the guide (https://apple.github.io/coremltools/docs-guides/)"));
    CHECK_STR(jstrv(jget(spec, "properties"), "problem.severity"), "error");
    CHECK_STR(jstrv(jget(cJSON_GetArrayItem(rl, 0), "properties"), "problem.severity"), "recommendation");
    CHECK(jget(cJSON_GetArrayItem(rl, 0), "helpUri") == NULL);

    const cJSON *res = jget(run, "results");
    CHECK_INT(cJSON_GetArraySize(res), 3);   /* the suppressed one is left out */
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, res) {
        const char *rid = jstrv(it, "ruleId");
        const cJSON *ri = jget(it, "ruleIndex");
        CHECK(rid && cJSON_IsNumber(ri));
        if (rid && cJSON_IsNumber(ri)) CHECK_STR(jstrv(cJSON_GetArrayItem(rl, ri->valueint), "id"), rid);
        CHECK(jstrv(it, "level") != NULL);
        const char *msg = jstrv(jget(it, "message"), "text");
        CHECK(msg && *msg && !strstr(msg, "conv2"));
        const char *fp = jstrv(jget(it, "partialFingerprints"), "primaryLocationLineHash");
        CHECK(fp && strlen(fp) == 32);
        const cJSON *phys = jget(cJSON_GetArrayItem(jget(it, "locations"), 0), "physicalLocation");
        CHECK(cJSON_IsNumber(jget(jget(phys, "region"), "startLine")));
        CHECK_STR(jstrv(jget(phys, "artifactLocation"), "uriBaseId"), "%SRCROOT%");
        i++;
    }
    CHECK_INT(count_mixed_regions(doc), 0);

    /* the .mil finding: real line/column; its related byte range in weight.bin */
    const cJSON *mil = cJSON_GetArrayItem(res, 0);
    const cJSON *l0 = cJSON_GetArrayItem(jget(mil, "locations"), 0);
    CHECK_STR(jstrv(jget(jget(l0, "physicalLocation"), "artifactLocation"), "uri"), "Models/Detector.mlmodelc/model.mil");
    CHECK_INT(jget(jget(jget(l0, "physicalLocation"), "region"), "startLine")->valueint, 12);
    CHECK_INT(jget(jget(jget(l0, "physicalLocation"), "region"), "startColumn")->valueint, 5);
    const cJSON *lg = cJSON_GetArrayItem(jget(l0, "logicalLocations"), 0);
    CHECK_STR(jstrv(lg, "fullyQualifiedName"), "main/conv_12");
    CHECK_STR(jstrv(lg, "kind"), "member");
    const cJSON *relm = cJSON_GetArrayItem(jget(mil, "relatedLocations"), 0);
    CHECK_STR(jstrv(jget(jget(relm, "physicalLocation"), "artifactLocation"), "uri"),
              "Models/Detector.mlmodelc/weights/weight.bin");
    CHECK_INT(jget(jget(jget(relm, "physicalLocation"), "region"), "byteOffset")->valueint, 64);

    /* the binary finding: startLine 1, percent-encoded uri, byte range in relatedLocations + properties */
    const cJSON *bin = cJSON_GetArrayItem(res, 1);
    l0 = cJSON_GetArrayItem(jget(bin, "locations"), 0);
    CHECK_STR(jstrv(jget(jget(l0, "physicalLocation"), "artifactLocation"), "uri"), "Models/My%20Model.mlmodel");
    const cJSON *rg = jget(jget(l0, "physicalLocation"), "region");
    CHECK_INT(cJSON_GetArraySize(rg), 1);
    CHECK_INT(jget(rg, "startLine")->valueint, 1);
    CHECK_STR(jstrv(cJSON_GetArrayItem(jget(l0, "logicalLocations"), 0), "name"), "conv1");
    const cJSON *relb = cJSON_GetArrayItem(jget(bin, "relatedLocations"), 0);
    CHECK_INT(jget(relb, "id")->valueint, 1);
    rg = jget(jget(relb, "physicalLocation"), "region");
    CHECK_INT(jget(rg, "byteOffset")->valueint, 4096);
    CHECK_INT(jget(rg, "byteLength")->valueint, 4718592);
    CHECK(jget(rg, "startLine") == NULL);
    CHECK_INT(jget(jget(bin, "properties"), "coreml/byteOffset")->valueint, 4096);

    /* the model-level finding: no logical location; the message is kept as written */
    const cJSON *mod = cJSON_GetArrayItem(res, 2);
    CHECK(jget(cJSON_GetArrayItem(jget(mod, "locations"), 0), "logicalLocations") == NULL);
    CHECK_STR(jstrv(mod, "level"), "error");

    /* invocation, notifications, artifacts */
    const cJSON *inv = cJSON_GetArrayItem(jget(run, "invocations"), 0);
    CHECK(cJSON_IsTrue(jget(inv, "executionSuccessful")));
    CHECK(jget(inv, "startTimeUtc") == NULL);
    CHECK_STR(jstrv(jget(inv, "workingDirectory"), "uri"), "file:///src/app/");
    const cJSON *tn = jget(inv, "toolExecutionNotifications");
    CHECK_INT(cJSON_GetArraySize(tn), 2);
    const cJSON *ar = jget(cJSON_GetArrayItem(tn, 0), "associatedRule");
    CHECK_STR(jstrv(ar, "id"), "house/metadata-keys");
    CHECK_INT(jget(ar, "index")->valueint, 1);
    CHECK(jget(cJSON_GetArrayItem(tn, 1), "associatedRule") == NULL);
    CHECK(jget(cJSON_GetArrayItem(tn, 1), "locations") == NULL);
    CHECK_STR(jstrv(jget(jget(run, "originalUriBaseIds"), "%SRCROOT%"), "uri"), "file:///src/app/");
    const cJSON *arts = jget(run, "artifacts");
    CHECK_INT(cJSON_GetArraySize(arts), 4);
    cJSON_ArrayForEach(it, arts) {
        CHECK(cJSON_IsNumber(jget(it, "length")));
        const char *h = jstrv(jget(it, "hashes"), "sha-256");
        CHECK(h && strlen(h) == 64);
    }
    /* sha-256 of the 16-byte Old.mlmodel, computed independently (Python hashlib) */
    const cJSON *old = cJSON_GetArrayItem(arts, 2);
    CHECK_STR(jstrv(jget(old, "location"), "uri"), "Models/Old.mlmodel");
    CHECK_INT(jget(old, "length")->valueint, 16);
    CHECK_STR(jstrv(jget(old, "hashes"), "sha-256"), "2b7549878487a4621408a7b20c6b9f3a07392ee98b1f7f36c4820b0fb16c01d4");
    cJSON_Delete(doc);
}

/* Unusual inputs: absolute and climbing paths, an unknown rule, hostile bytes,
 * timestamps, run properties, a failed run. Also written to
 * tests/golden/writers-edge.sarif so the validator sees it. */
static finding e_abs = {
    .rule_id = "custom/not-enabled",
    .level = LEVEL_WARNING,
    .message = "Tab\there, newline\nthere, escape \033[31mred\033[0m, bad UTF-8 \xff\xfe end, 50% done, a:b, c.",
    .model_path = "/opt/models/Abs Model.mlpackage/",
    .loc = {.artifact = "Data/com.apple.CoreML/model.mlmodel", .logical = "pipeline[1]/layer[7]:relu"},
    .fingerprint = "00000000000000000000000000000001",
};
static finding e_up = {
    .rule = &rule_spec,
    .rule_id = "load/spec-version",
    .level = LEVEL_NOTE,
    .message = "Manifest lists an unknown item.",
    .model_path = "../other repo/./x/../Up#1.mlpackage",
    .loc = {.artifact = "Manifest.json", .line = 3, .column = 0, .logical = "Up#1"},
    .logical_kind = "module",
    .fingerprint = "00000000000000000000000000000002",
};
static finding e_rel = {
    .rule = &rule_fp32,
    .rule_id = "weights/fp32-storage",
    .level = LEVEL_ERROR,
    .message = "",
    .model_path = "./a/b/../ünïcode,model:1.mlmodel",
    .loc = {.artifact = "", .has_bytes = true, .byte_offset = 10, .byte_length = 0},
    .fingerprint = "00000000000000000000000000000003",
};
static finding *edge_findings[] = {&e_abs, &e_up, &e_rel};
static notification e_note = {
    .rule_id = "weights/fp32-storage",
    .kind = "rule/error",
    .level = LEVEL_ERROR,
    .message = "rule failed: attempt to index a nil value",
    .file = "/usr/share/coreml-lint/rules/weights/fp32.lua",
    .line = 0,
    .count = 1,
};
static notification *edge_notes[] = {&e_note};

static run_result make_edge(cJSON *props) {
    run_result r = make_result();
    r.findings = edge_findings;
    r.n_findings = 3;
    r.notes = edge_notes;
    r.n_notes = 1;
    r.models = NULL;
    r.n_models = 0;
    r.execution_successful = false;
    r.run_properties = props;
    r.working_dir = "/home/ci/work space/repo";
    return r;
}

static void test_sarif_edge(void) {
    cJSON *props = cJSON_CreateObject();
    cJSON *probe = cJSON_AddObjectToObject(props, "coreml/probe");
    cJSON_AddNumberToObject(probe, "latencyMs", 3.25);
    cJSON_AddStringToObject(probe, "device", "cpu");
    run_result r = make_edge(props);
    int rc = -1;
    char *out = capture("sarif", &r, &rc);
    CHECK_INT(rc, 0);
    if (out) golden("writers-edge.sarif", out);
    cJSON *doc = out ? cJSON_Parse(out) : NULL;
    CHECK(doc != NULL);
    CHECK(out && strstr(out, "\xEF\xBF\xBD") && !strstr(out, "\xff"));
    free(out);
    if (!doc) {
        cJSON_Delete(props);
        return;
    }
    const cJSON *run = cJSON_GetArrayItem(jget(doc, "runs"), 0);
    const cJSON *rl = jget(jget(jget(run, "tool"), "driver"), "rules");
    CHECK_INT(cJSON_GetArraySize(rl), 5);   /* the unknown rule gets a minimal descriptor */
    CHECK_STR(jstrv(cJSON_GetArrayItem(rl, 4), "id"), "custom/not-enabled");
    const cJSON *res = jget(run, "results");
    const char *u0 = jstrv(jget(jget(cJSON_GetArrayItem(jget(cJSON_GetArrayItem(res, 0), "locations"), 0),
                                     "physicalLocation"),
                                "artifactLocation"),
                           "uri");
    CHECK_STR(u0, "../../../../opt/models/Abs%20Model.mlpackage/Data/com.apple.CoreML/model.mlmodel");
    const cJSON *al1 =
        jget(jget(cJSON_GetArrayItem(jget(cJSON_GetArrayItem(res, 1), "locations"), 0), "physicalLocation"),
             "artifactLocation");
    CHECK_STR(jstrv(al1, "uri"), "../other%20repo/Up%231.mlpackage/Manifest.json");
    CHECK_STR(jstrv(al1, "uriBaseId"), "%SRCROOT%");
    const cJSON *r2 = cJSON_GetArrayItem(res, 2);
    CHECK_STR(jstrv(jget(jget(cJSON_GetArrayItem(jget(r2, "locations"), 0), "physicalLocation"), "artifactLocation"),
                    "uri"),
              "a/%C3%BCn%C3%AFcode%2Cmodel%3A1.mlmodel");
    CHECK_STR(jstrv(jget(r2, "message"), "text"), "Weights are stored as float32.");   /* empty -> summary */
    const cJSON *inv = cJSON_GetArrayItem(jget(run, "invocations"), 0);
    CHECK(cJSON_IsFalse(jget(inv, "executionSuccessful")));
    CHECK_STR(jstrv(jget(inv, "workingDirectory"), "uri"), "file:///home/ci/work%20space/repo/");
    CHECK(jget(jget(run, "properties"), "coreml/probe") != NULL);
    CHECK_INT(count_mixed_regions(doc), 0);
    cJSON_Delete(doc);

    /* timestamps only on request */
    r.timestamps = true;
    doc = sarif_of(&r);
    inv = cJSON_GetArrayItem(jget(cJSON_GetArrayItem(jget(doc, "runs"), 0), "invocations"), 0);
    const char *st = jstrv(inv, "startTimeUtc"), *et = jstrv(inv, "endTimeUtc");
    CHECK(st && strlen(st) == 24 && st[23] == 'Z');
    CHECK(et && strlen(et) == 24 && strcmp(st, et) <= 0);
    cJSON_Delete(doc);
    cJSON_Delete(props);
    r.run_properties = NULL; /* freed: the text writer reads run properties too */

    /* text and github escaping of the same findings */
    r.timestamps = false;
    char *txt = capture("text", &r, &rc);
    CHECK_INT(rc, 0);
    CHECK(txt && !strchr(txt, '\033') && !strchr(txt, '\t'));
    /* 3 findings + 1 notification + summary = 5 lines: nothing injected */
    int lines = 0;
    for (const char *p = txt; p && *p; p++) lines += *p == '\n';
    CHECK_INT(lines, 5);
    CHECK(txt && strstr(txt, "../other repo/./x/../Up#1.mlpackage/Manifest.json:3: note: "));
    CHECK(txt && strstr(txt, "/opt/models/Abs Model.mlpackage/Data/com.apple.CoreML/model.mlmodel: warning: "));
    free(txt);
    char *gh = capture("github", &r, &rc);
    CHECK_INT(rc, 0);
    CHECK(gh && strstr(gh, "::warning file=/opt/models/Abs Model.mlpackage/Data/com.apple.CoreML/model.mlmodel,"
                           "line=1,title=coreml-lint%3A custom/not-enabled::Tab\there, newline%0Athere"));
    CHECK(gh && strstr(gh, "50%25 done, a:b, c."));
    /* from the root, as in SARIF: normalised */
    CHECK(gh && strstr(gh, "file=a/ünïcode%2Cmodel%3A1.mlmodel,line=1,"));
    CHECK(gh && strstr(gh, "::error file=/usr/share/coreml-lint/rules/weights/fp32.lua,title=coreml-lint%3A "
                           "weights/fp32-storage::rule failed"));
    free(gh);
}

static void test_text_details(void) {
    run_result r = make_result();
    int rc = -1;
    char *plain = capture("text", &r, &rc);
    CHECK_INT(rc, 0);
    char *color = capture_w(writer("text"), true, &r, &rc);
    CHECK_INT(rc, 0);
    CHECK(plain && !strchr(plain, '\033'));
    CHECK(plain && strstr(plain, "Models/Detector.mlmodelc/model.mil:12:5: note: Op conv_12 (conv) has no consumers"));
    CHECK(plain && strstr(plain, "Models/My Model.mlmodel: warning: Layer 'conv1' stores 4.5 MiB of weights as "
                                 "float32. [weights/fp32-storage]\n"));
    /* the fix is indented under its finding, not a diagnostic line of its own */
    CHECK(plain && strstr(plain, "float32. [weights/fp32-storage]\n    fix: Store the weights as fp16.\n"));
    CHECK(plain && !strstr(plain, "note: fix:"));
    CHECK(plain && !strstr(plain, "conv2"));
    CHECK(plain && strstr(plain, "coreml-lint: warning: Rule house/metadata-keys exceeded"));
    CHECK(plain && strstr(plain, "\n1 error, 1 warning, 1 note in 4 models (1 suppressed)\n"));
    CHECK(color && strstr(color, "\033[1mModels/Old.mlmodel:\033[0m \033[1;31merror:\033[0m "));
    CHECK(color && strstr(color, "\033[1;35mwarning:\033[0m"));
    CHECK(color && strstr(color, "\033[1;36mnote:\033[0m"));
    free(plain);
    free(color);
}

/* Run properties in text: rendered from their JSON whatever the rule,
 * every string on one line (no ESC, no line a matcher or the runner takes
 * for a diagnostic or a workflow command). */
static void test_text_properties(void) {
    run_result r = make_result();
    r.run_properties = cJSON_Parse(
        "{\"custom\": {\"Models/m.mlmodel\": {\"status\": \"ok\", \"load_ms\": 1.5, \"size_mb\": null, "
        "\"note\": \"x\\n::error file=a::pwned\\u001b[31m\", \"shape\": [1, 3, 224], \"samples\": [15600], \"bytes\": 123456789, \"big_ms\": 123456.7, \"flags\": [true, false], "
        "\"latency_ms\": {\"fp32\": {\"first\": 2, \"median\": 1.25}}, "
        "\"ops\": [{\"op\": \"main/conv\", \"ms\": 0.5, \"sub\": {\"k\": 1}}, {\"op\": \"main/relu\", \"ms\": 0.25}]}}}");
    CHECK(r.run_properties != NULL);
    int rc = -1;
    char *t = capture("text", &r, &rc);
    CHECK_INT(rc, 0);
    CHECK(t && strstr(t, "\ncustom for Models/m.mlmodel:\n  status: ok\n  load (ms): 1.5\n  size (MB): n/a\n"));
    /* whole numbers whole (a rank-1 shape of 15600 once read "1.56e+04"), measured ones to 4 digits */
    CHECK(t && strstr(t, "\n  shape: 1x3x224\n  samples: 15600\n  bytes: 123456789\n  big (ms): 1.235e+05\n"
                         "  flags: yes, no\n"));
    CHECK(t && strstr(t, "\n  latency (ms):\n    fp32: first 2, median 1.25\n"));
    CHECK(t && strstr(t, "\n  ops:\n    - op main/conv, ms 0.5\n      sub: k 1\n    - op main/relu, ms 0.25\n"));
    CHECK(t && !strchr(t, '\033') && !strstr(t, "\n::"));
    free(t);
    cJSON_Delete(r.run_properties);
}

static void test_json_details(void) {
    run_result r = make_result();
    int rc = -1;
    char *out = capture("json", &r, &rc);
    CHECK_INT(rc, 0);
    cJSON *doc = out ? cJSON_Parse(out) : NULL;
    free(out);
    CHECK(doc != NULL);
    if (!doc) return;
    const cJSON *fs = jget(doc, "findings");
    CHECK_INT(cJSON_GetArraySize(fs), 4);   /* suppressed ones included, flagged */
    const cJSON *sup = cJSON_GetArrayItem(fs, 2);
    CHECK(cJSON_IsTrue(jget(sup, "suppressed")));
    CHECK_STR(jstrv(sup, "suppress_reason"), "accepted: legacy layer, see #42");
    CHECK(cJSON_IsNull(jget(cJSON_GetArrayItem(fs, 1), "line")));
    CHECK_INT(jget(cJSON_GetArrayItem(fs, 0), "line")->valueint, 12);
    const cJSON *sum = jget(doc, "summary");
    CHECK_INT(jget(sum, "errors")->valueint, 1);
    CHECK_INT(jget(sum, "warnings")->valueint, 1);
    CHECK_INT(jget(sum, "notes")->valueint, 1);
    CHECK_INT(jget(sum, "suppressed")->valueint, 1);
    CHECK_INT(cJSON_GetArraySize(jget(doc, "notifications")), 2);
    cJSON_Delete(doc);
}

static void test_github_details(void) {
    run_result r = make_result();
    int rc = -1;
    char *out = capture("github", &r, &rc);
    CHECK_INT(rc, 0);
    CHECK(out && strstr(out, "::notice file=Models/Detector.mlmodelc/model.mil,line=12,col=5,title=coreml-lint%3A "
                             "graph/dead-op::Op conv_12"));
    CHECK(out && strstr(out, "::error file=Models/Old.mlmodel,line=1,title=coreml-lint%3A load/spec-version::"
                             "Specification version 1 (iOS 11, macOS 10.13) is older than 100%25 of the supported "
                             "targets: re-export it.%0AFix: Re-export with coremltools 7:%0Act.convert(...)\n"));
    CHECK(out && !strstr(out, "conv2"));
    CHECK(out && strstr(out, "::notice title=coreml-lint::Unknown key"));
    CHECK(out && !strstr(out, "GitHub shows at most"));   /* under the per-step limit */
    free(out);
}

/* 25,000 results at most, the most severe kept, a notification saying so. */
static void test_sarif_cap(void) {
    enum { N = 25003 };
    finding *fs = calloc(N, sizeof *fs);
    finding **fp = calloc(N, sizeof *fp);
    CHECK(fs && fp);
    if (!fs || !fp) {
        free(fs);
        free(fp);
        return;
    }
    enum { NART = 5000 };   /* many distinct artifacts: the artifact index must stay fast */
    char *names = malloc((size_t)NART * 16);
    CHECK(names != NULL);
    if (!names) {
        free(fs);
        free(fp);
        return;
    }
    for (size_t i = 0; i < N; i++) {
        char *nm = names + (i % NART) * 16;
        snprintf(nm, 16, "part%05zu.bin", i % NART);
        fs[i] = (finding){.rule = &rule_dead, .rule_id = "graph/dead-op", .level = LEVEL_NOTE, .message = "m",
                          .model_path = "Models/Big.mlpackage", .loc = {.artifact = nm}};
        fp[i] = &fs[i];
    }
    fs[N - 1].level = LEVEL_ERROR;
    fs[N - 2].level = LEVEL_ERROR;
    fs[0].suppressed = true;   /* not counted */
    run_result r = make_result();
    r.findings = fp;
    r.n_findings = N;
    r.notes = NULL;
    r.n_notes = 0;
    cJSON *doc = sarif_of(&r);
    const cJSON *run = cJSON_GetArrayItem(jget(doc, "runs"), 0);
    const cJSON *res = jget(run, "results");
    CHECK_INT(cJSON_GetArraySize(res), 25000);
    CHECK_STR(jstrv(cJSON_GetArrayItem(res, 24999), "level"), "error");
    CHECK_STR(jstrv(cJSON_GetArrayItem(res, 24998), "level"), "error");
    const cJSON *tn = jget(cJSON_GetArrayItem(jget(run, "invocations"), 0), "toolExecutionNotifications");
    CHECK_INT(cJSON_GetArraySize(tn), 1);
    const char *t = jstrv(jget(cJSON_GetArrayItem(tn, 0), "message"), "text");
    CHECK(t && strstr(t, "Only 25000 of 25002 results"));
    CHECK_INT(cJSON_GetArraySize(jget(run, "artifacts")), NART + 3);   /* + the three files of make_result's models */
    const cJSON *last = cJSON_GetArrayItem(res, 24999);
    const cJSON *al = jget(jget(cJSON_GetArrayItem(jget(last, "locations"), 0), "physicalLocation"), "artifactLocation");
    const cJSON *art = cJSON_GetArrayItem(jget(run, "artifacts"), jget(al, "index")->valueint);
    CHECK_STR(jstrv(jget(art, "location"), "uri"), jstrv(al, "uri"));
    cJSON_Delete(doc);

    /* github: over the per-step annotation limit, a first notice says so */
    int rc = -1;
    r.n_findings = 12;
    char *gh = capture("github", &r, &rc);
    CHECK_INT(rc, 0);
    static const char head[] = "::notice title=coreml-lint::coreml-lint wrote 0 error, 0 warning and 11 notice";
    CHECK(gh && strncmp(gh, head, sizeof head - 1) == 0);
    free(gh);
    /* 11 errors and exactly 10 notices: a notice would hide the tenth, so
     * the message is a warning */
    for (size_t i = 0; i < 21; i++) fs[i].level = i < 11 ? LEVEL_ERROR : LEVEL_NOTE;
    fs[0].suppressed = false;
    r.n_findings = 21;
    gh = capture("github", &r, &rc);
    CHECK_INT(rc, 0);
    static const char head2[] = "::warning title=coreml-lint::coreml-lint wrote 11 error, 0 warning and 10 notice";
    CHECK(gh && strncmp(gh, head2, sizeof head2 - 1) == 0);
    free(gh);
    free(fs);
    free(fp);
    free(names);
}

/* helpUri: a bundled rule links to its page in docs/rules/, a third-party
 * one to its own help_uri; precision is the rule's: declared, "medium" for
 * an estimate, else "high". */
static void test_rule_links_precision(void) {
    static char *est_tags[] = {"ane", "estimate"};
    host_rule bundled = rule_spec, est = rule_fp32, declared = rule_house;
    bundled.bundled = true;
    bundled.precision = "very-high";   /* as the builtin load/... rules declare */
    est.tags = est_tags;
    est.n_tags = 2;
    declared.precision = "low";
    host_rule *rs[] = {&rule_dead, &declared, &bundled, &est};
    run_result r = make_result();
    r.rules = rs;
    r.n_rules = 4;
    cJSON *doc = sarif_of(&r);
    const cJSON *rl = jget(jget(jget(cJSON_GetArrayItem(jget(doc, "runs"), 0), "tool"), "driver"), "rules");
    for (int i = 0; i < cJSON_GetArraySize(rl); i++) {
        const cJSON *o = cJSON_GetArrayItem(rl, i);
        const char *id = jstrv(o, "id"), *prec = jstrv(jget(o, "properties"), "precision");
        if (!strcmp(id, "load/spec-version")) {
            CHECK_STR(jstrv(o, "helpUri"), CML_DOCS_URL "/rules/load/spec-version.md");
            CHECK_STR(prec, "very-high");
        } else if (!strcmp(id, "weights/fp32-storage")) {
            CHECK_STR(jstrv(o, "helpUri"), "https://example.com/coreml-lint/rules/weights/fp32-storage");
            CHECK_STR(prec, "medium");
        } else if (!strcmp(id, "house/metadata-keys")) {
            CHECK_STR(prec, "low");
        } else {
            CHECK_STR(prec, "high");
        }
    }
    CHECK_INT(cJSON_GetArraySize(rl), 4);
    cJSON_Delete(doc);
}

/* ---- html and markdown ------------------------------------------------------------ */

/* The report facts and probe figures the html and markdown writers show,
 * with strings a hostile model could carry. */
static const char rich_props[] =
    "{\"model\":{\"Models/Detector.mlmodelc\":{\"format\":\"mlmodelc\",\"model_type\":\"mlProgram\","
    "\"specification_version\":7,\"minimum_os\":{\"iOS\":\"16.0\",\"macOS\":\"13.0\"},"
    "\"inputs\":[{\"name\":\"<img src=x onerror=alert(1)>\",\"type\":\"multiArray\",\"dtype\":\"FLOAT16\","
    "\"shape\":[1,3,224,224]}],\"outputs\":[{\"name\":\"logits\",\"type\":\"multiArray\",\"dtype\":\"FLOAT16\","
    "\"shape\":[1,1000]}],\"compression\":{\"mode\":\"palettized\",\"nbits\":4,\"granularity\":\"per_tensor\","
    "\"compressed_weights\":12},\"ane_op_coverage_pct\":75,\"size_bytes\":14200000,\"weight_bytes\":14100000,"
    "\"compute_units\":{\"neural_engine\":30,\"gpu\":6,\"cpu\":4,\"unknown\":0},"
    "\"op_histogram\":{\"conv\":20,\"relu\":17,\"add\":2,\"</svg><script>x()</script>\":1}}},"
    "\"probe\":{\"Models/Detector.mlmodelc\":{\"status\":\"ok\",\"executor\":\"reference CPU executor\","
    "\"blas\":\"OpenBLAS\",\"typed_precision\":\"fp16\",\"load_ms\":12.5,\"peak_rss_mb\":80,"
    "\"latency_ms\":{\"fp32\":{\"first\":9,\"median\":4.25,\"p90\":4.5,\"runs\":10},"
    "\"fp16_emulation\":{\"first\":12,\"median\":6.5,\"p90\":7,\"runs\":10}},"
    "\"slowest_ops\":[{\"op\":\"main/conv_0\",\"kind\":\"conv\",\"ms\":1.5,\"share\":0.35}],"
    "\"fp16_divergence_ops\":[{\"op\":\"main/conv_0\",\"kind\":\"conv\",\"rel_err\":0.0004,\"growth\":0.0004},"
    "{\"op\":\"@octocat #12\",\"kind\":\"add\",\"rel_err\":0.02,\"growth\":0.01}],"
    "\"outputs\":[{\"name\":\"logits\",\"values\":1000,\"max_abs\":12.5,\"fp16_linf\":0.01,"
    "\"fp16_rmse\":0.002,\"fp16_max_rel\":0.001,\"nan_fp32\":0,\"inf_fp32\":0,\"nan_fp16\":0,\"inf_fp16\":0}],"
    "\"compare\":{\"baseline\":\"Models/Base.mlmodelc\",\"precision\":\"fp16\",\"shared_ops\":40,"
    "\"outputs\":[{\"name\":\"logits\",\"baseline_output\":\"logits\",\"linf\":0.05,\"rmse\":0.01,"
    "\"max_rel\":0.02,\"max_abs\":12.5}]}}}}";

static finding f_hostile = {
    .rule = &rule_house,
    .rule_id = "house/metadata-keys",
    .level = LEVEL_WARNING,
    .message = "key '<script>alert(1)</script>' | @octocat see #12 [x](javascript:alert(1)) `code`",
    .model_path = "Models/Detector.mlmodelc",
    .loc = {.artifact = "model.mil", .line = 3, .column = 1},
    .logical_kind = "module",
    .fingerprint = "1111111111111111aaaaaaaaaaaaaaaa",
};

static finding *rich_findings[] = {&f_mil, &f_hostile, &f_bin, &f_sup, &f_model};

/* The report with its facts and probe figures, and a hostile finding. */
static run_result make_rich_result(void) {
    run_result r = make_result();
    r.findings = rich_findings;
    r.n_findings = sizeof rich_findings / sizeof *rich_findings;
    r.run_properties = cJSON_Parse(rich_props);
    CHECK(r.run_properties != NULL);
    return r;
}

/* ---- golden tests --------------------------------------------------------------- */

/* Every format of the writer table (sarif/formats.def) against its golden,
 * tests/golden/formats/NAME: the plain report, or for a writer that shows
 * the report facts the rich one. A new format makes its golden with
 * CML_UPDATE_GOLDEN=1, to be read before it is committed. */
static void test_golden_formats(void) {
    size_t n;
    const report_writer *const *w = report_writers(&n);
    CHECK(n >= 7);
    for (size_t i = 0; i < n; i++) {
        run_result r = w[i]->facts ? make_rich_result() : make_result();
        int rc = -1;
        char *out = capture_w(w[i], false, &r, &rc), name[128];
        CHECK_INT(rc, 0);
        CHECK(out != NULL);
        snprintf(name, sizeof name, "formats/%s", w[i]->name);
        if (out) golden(name, out);
        free(out);
        cJSON_Delete(r.run_properties);
    }
}

static void test_html_markdown(void) {
    run_result r = make_rich_result();
    int rc = -1;
    char *html = capture("html", &r, &rc);
    CHECK_INT(rc, 0);
    CHECK(html != NULL);
    if (html) {
        /* self-contained, nothing to fetch, nothing to run */
        CHECK(strstr(html, "<script") == NULL && strstr(html, "<img") == NULL && strstr(html, "src=\"") == NULL &&
              strstr(html, "<link") == NULL && strstr(html, "url(") == NULL);
        CHECK(strstr(html, "default-src 'none'") != NULL);
        CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
        CHECK(strstr(html, "&lt;img src=x onerror=alert(1)&gt;") != NULL);
        /* the summary of the model and the probe's charts */
        static const char *const wants[] = {"Compute units (estimate)", "30 ops (75%)", "Latency per prediction",
                                            "Slowest ops", "fp16 divergence per op", "Compared with its baseline",
                                            "iOS 16.0, macOS 13.0", "palettized 4-bit", "14.2 MB", "<svg", NULL};
        for (const char *const *w = wants; *w; w++)
            if (!strstr(html, *w)) {
                fprintf(stderr, "  html lacks '%s'\n", *w);
                CHECK(0);
            }
        /* suppressed findings are left out; the rule links to its page */
        CHECK(strstr(html, "conv2") == NULL);
    }
    char *mdn = capture("markdown", &r, &rc);
    CHECK_INT(rc, 0);
    CHECK(mdn != NULL);
    if (mdn) {
        CHECK(strstr(mdn, "### coreml-lint: 1 error, 2 warnings, 1 note in 4 models\n") == mdn);
        CHECK(strstr(mdn, "<script") == NULL && strstr(mdn, "@octocat") == NULL && strstr(mdn, "#12") == NULL);
        CHECK(strstr(mdn, "@&#8203;octocat") != NULL);
        CHECK(strstr(mdn, "](javascript") == NULL);
        CHECK(strstr(mdn, "| Models/Detector.mlmodelc | 0 | 1 | 1 | 14.2 MB | 16.0 | 75 % |") != NULL);
        CHECK(strstr(mdn, "fp32 median 4.25 ms; fp16 emulation median 6.5 ms") != NULL);
        /* a hostile '|' cannot add a column: every table row has the
         * models table's 8 or the findings table's 5 unescaped pipes */
        for (const char *l = mdn; *l;) {
            const char *e = strchr(l, '\n');
            size_t len = e ? (size_t)(e - l) : strlen(l), pipes = 0;
            for (size_t i = 0; i < len; i++) pipes += l[i] == '|' && (i == 0 || l[i - 1] != '\\');
            if (len && l[0] == '|' && pipes != 5 && pipes != 8) {
                fprintf(stderr, "  markdown row with %zu columns: %.*s\n", pipes - 1, (int)len, l);
                CHECK(0);
            }
            l += len + (e != NULL);
        }
    }
    /* without facts the markdown table is the short one */
    cJSON_Delete(r.run_properties);
    r.run_properties = NULL;
    char *plain = capture("markdown", &r, &rc);
    CHECK(plain && strstr(plain, "| Model | Errors | Warnings | Notes |\n") != NULL);
    free(plain);
    free(html);
    free(mdn);
}

/* Xcode: every issue on the model the project holds, by absolute path, at
 * 1:1 (a file inside the package and its line go into the message), a fix
 * as a note, a rule problem on the rule's file. */
static void test_xcode(void) {
    run_result r = make_result();
    int rc = -1;
    char *x = capture("xcode", &r, &rc);
    CHECK_INT(rc, 0);
    CHECK(x != NULL);
    if (!x) return;
    CHECK(strstr(x, "/src/app/Models/Detector.mlmodelc:1:1: note: Op conv_12 (conv) has no consumers: its output is "
                    "never used. (model.mil:12) [graph/dead-op]\n") != NULL);
    CHECK(strstr(x, "/src/app/Models/Detector.mlmodelc:1:1: note: fix: Remove the op") != NULL);
    CHECK(strstr(x, "/src/app/Models/My Model.mlmodel:1:1: warning: ") != NULL);
    CHECK(strstr(x, "conv2") == NULL);   /* suppressed */
    CHECK(strstr(x, "/src/app/rules/house/metadata-keys.lua:14:1: warning: coreml-lint: ") != NULL);
    CHECK(strstr(x, "\nnote: coreml-lint: Unknown key 'colour'") != NULL);
    /* one issue per line, each `path:line:col: level: ` or `level: ` */
    for (const char *l = x; *l;) {
        const char *e = strchr(l, '\n');
        CHECK(e != NULL);
        if (!e) break;
        CHECK(l[0] == '/' || !strncmp(l, "note: ", 6) || !strncmp(l, "warning: ", 9) || !strncmp(l, "error: ", 7));
        CHECK(strstr(l, ":1:1: ") < e || l[0] != '/' || strstr(l, ".lua:14:1: ") < e);
        l = e + 1;
    }
    free(x);
}

static void test_helpers(void) {
    char *s;
    bool rel;
    CHECK_STR(s = sarif_uri_encode("Models/My Model (v2)~_-.mlmodel"), "Models/My%20Model%20%28v2%29~_-.mlmodel");
    free(s);
    CHECK_STR(s = sarif_path_uri("./a//b/./c/../d e", "/w", NULL, &rel), "a/b/d%20e");
    CHECK(rel);
    free(s);
    CHECK_STR(s = sarif_path_uri("../x/./../y.mlmodel", "/w/r", NULL, &rel), "../y.mlmodel");
    CHECK(rel);
    free(s);
    CHECK_STR(s = sarif_path_uri("/w/r/Models/a b.mlmodel", "/w/r/", NULL, &rel), "Models/a%20b.mlmodel");
    CHECK(rel);
    free(s);
    CHECK_STR(s = sarif_path_uri("/w/rx/m.mlmodel", "/w/r", NULL, &rel), "../rx/m.mlmodel");
    free(s);
    CHECK_STR(s = sarif_path_uri("/m.mlmodel", "/", NULL, &rel), "m.mlmodel");
    free(s);
    CHECK_STR(s = sarif_path_uri("/w/r", "/w/r", NULL, &rel), ".");
    free(s);
    CHECK_STR(s = sarif_path_uri("/../a/./b/", NULL, NULL, &rel), "file:///a/b");
    CHECK(!rel);
    free(s);
    CHECK_STR(s = sarif_path_uri("a/..", NULL, NULL, &rel), ".");
    free(s);
    /* from a subfolder of the repository: paths from its root, which is
     * where GitHub places results */
    CHECK_STR(s = sarif_path_uri("Models/m.mlmodel", "/w/r/app", "/w/r", &rel), "app/Models/m.mlmodel");
    CHECK(rel);
    free(s);
    CHECK_STR(s = sarif_path_uri("../Vendor/m.mlmodel", "/w/r/app", "/w/r", &rel), "Vendor/m.mlmodel");
    free(s);
    CHECK_STR(s = sarif_path_uri("/w/r/app/../Vendor/m.mlmodel", "/w/r/app", "/w/r", &rel), "Vendor/m.mlmodel");
    free(s);
    CHECK_STR(s = sarif_path_uri("m.mlmodel", "/w/r", "/w/r", &rel), "m.mlmodel");
    free(s);
    CHECK_STR(s = sarif_dir_uri("/"), "file:///");
    free(s);
    CHECK_STR(s = sarif_dir_uri("/src/app/"), "file:///src/app/");
    free(s);
    CHECK_STR(s = sarif_join_path("Foo.mlpackage/", "Data/x"), "Foo.mlpackage/Data/x");
    free(s);
    CHECK_STR(s = sarif_join_path("Foo.mlmodel", ""), "Foo.mlmodel");
    free(s);
    CHECK_STR(s = sarif_clean("a\xC0\x80" "b\xED\xA0\x80" "c\xF4\x90\x80\x80" "d\xE2\x82\xAC", false),
              "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
              "\xEF\xBF\xBD" "d\xE2\x82\xAC");
    free(s);
    CHECK_STR(s = sarif_clean("x\r\ny\xC2\x9B", true), "x  y ");
    free(s);
    char t[] = "abc\xE2\x82\xAC\xE2\x82\xAC";
    sarif_truncate_utf8(t, 8);
    CHECK_STR(t, "abc...");
    CHECK(sarif_is_text_artifact("model.mil") && sarif_is_text_artifact("Manifest.JSON"));
    CHECK(!sarif_is_text_artifact("model.mlmodel") && !sarif_is_text_artifact("weights/weight.bin"));
    finding f = {.message = "Op conv_12 is slow", .loc = {.logical = "main/conv_12"}};
    CHECK_STR(s = sarif_display_message(&f), "Op conv_12 is slow");
    free(s);
    f.message = "An op is slow";
    CHECK_STR(s = sarif_display_message(&f), "An op is slow (in main/conv_12)");
    free(s);
    f.loc.logical = "main/conv_1_weight:val";   /* op:argument: naming the op is enough */
    f.message = "'conv_1_weight' points nowhere";
    CHECK_STR(s = sarif_display_message(&f), "'conv_1_weight' points nowhere");
    free(s);
    f.message = "a value points nowhere";      /* "val" alone does not name it */
    CHECK_STR(s = sarif_display_message(&f), "a value points nowhere (in main/conv_1_weight:val)");
    free(s);
    /* a feature's location: its name is enough (the suffix came and went
     * by whether "output" happened to be in the message) */
    f.loc.logical = "output:last_hidden_state";
    f.message = "Output 'last_hidden_state' is Float32";
    CHECK_STR(s = sarif_display_message(&f), "Output 'last_hidden_state' is Float32");
    free(s);
    f.message = "An output is Float32";
    CHECK_STR(s = sarif_display_message(&f), "An output is Float32 (in output:last_hidden_state)");
    free(s);
    f.loc.logical = "input:x";                 /* a word of its own, not inside "maximum" */
    f.message = "the maximum of this feature is unbounded";
    CHECK_STR(s = sarif_display_message(&f), "the maximum of this feature is unbounded (in input:x)");
    free(s);
    f.message = "input 'x' is unbounded";
    CHECK_STR(s = sarif_display_message(&f), "input 'x' is unbounded");
    free(s);
    /* a message cannot read as another diagnostic's line and level */
    CHECK_STR(s = sarif_diag_text("layer 'bn:99: error: fine' and x:3:4: note: y"),
              "layer 'bn\xef\xbc\x9a" "99: error: fine' and x\xef\xbc\x9a" "3\xef\xbc\x9a" "4: note: y");
    free(s);
    CHECK_STR(s = sarif_diag_text("ratio 3:2: fine, at 10:30: warning"), "ratio 3:2: fine, at 10:30: warning");
    free(s);
    CHECK_STR(sarif_logical_name("pipeline[1]/layers[3]:conv1"), "conv1");
    CHECK_STR(sarif_logical_name("main/conv_1_weight:val"), "conv_1_weight:val");
    CHECK_STR(sarif_logical_name("Classifier"), "Classifier");
}

/* Same input, same bytes; and a stream that cannot be written gives -1. */
static void test_determinism_and_errors(void) {
    run_result r = make_result();
    size_t n;
    const report_writer *const *w = report_writers(&n);
    for (size_t k = 0; k < 2 * n; k++) {
        const report_writer *wk = w[k / 2];
        bool color = k % 2;   /* each with and without colour */
        int rc1 = -1, rc2 = -1;
        char *a = capture_w(wk, color, &r, &rc1), *b = capture_w(wk, color, &r, &rc2);
        CHECK(a && b && strcmp(a, b) == 0);
        CHECK_INT(rc1, 0);
        CHECK_INT(rc2, 0);
        free(a);
        free(b);
        FILE *ro = fopen("Models/Old.mlmodel", "rb");   /* read-only: every write fails */
        CHECK(ro != NULL);
        if (ro) {
            CHECK_INT(run_writer(wk, color, ro, &r), -1);
            fclose(ro);
        }
    }
}

int main(void) {
    if (setup_files() != 0) SKIP_ALL("cannot create the scratch folder for model files");
    RUN(test_helpers);
    RUN(test_golden_formats);
    RUN(test_sarif_structure);
    RUN(test_sarif_edge);
    RUN(test_text_details);
    RUN(test_text_properties);
    RUN(test_json_details);
    RUN(test_github_details);
    RUN(test_sarif_cap);
    RUN(test_rule_links_precision);
    RUN(test_html_markdown);
    RUN(test_xcode);
    RUN(test_determinism_and_errors);
    return CHECK_DONE();
}

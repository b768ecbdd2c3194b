/* SPDX-License-Identifier: Apache-2.0 */
/* test_check_cli.c — the `check` and `rules` commands end to end: the
 * built binary ($CML_BUILD_DIR/coreml-lint) is run with fork/exec in a
 * temporary folder holding broken models of our own (an empty file,
 * garbage bytes, a package without a manifest) and, when the fixture
 * writer has run, the build's examples/broken models. Checked: exit codes
 * 0/1/2, --fail-on and the config's fail_on, --baseline dropping known
 * findings and keeping new ones, --disable load/..., a suppression, -o,
 * unknown flags, bad configs, stdout carrying only the report, identical
 * bytes on a second run, folders searched, and that docs/rules.md and
 * docs/rules/ are the current output of `coreml-lint rules --docs`. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "cli_run.h"
#include "tmptree.h"

static char bin[PATH_MAX];
static char work[PATH_MAX];
static char examples[PATH_MAX];   /* build/examples/broken, or "" */

typedef cli_res res;

/* Run the binary with argv (NULL-terminated, without argv[0]) in dir. */
static res run_in(const char *dir, const char *const *args) { return cli_run(bin, work, dir, args); }

#define RUNW(...) run_in(work, (const char *const[]){__VA_ARGS__, NULL})

static void write_file(const char *name, const void *data, size_t n) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", work, name);
    FILE *f = fopen(p, "wb");
    if (!f) return;
    if (n) fwrite(data, 1, n, f);
    fclose(f);
}

static void write_str(const char *name, const char *s) { write_file(name, s, strlen(s)); }

/* CML_BUILD_DIR/examples/NAME into buf; false (the test skips, saying so)
 * when the fixture writer has not written it */
static bool example(char *buf, size_t cap, const char *name, const char *test) {
    const char *bd = getenv("CML_BUILD_DIR");
    snprintf(buf, cap, "%s/examples/%s", bd ? bd : "", name);
    if (bd && access(buf, R_OK) == 0) return true;
    fprintf(stderr, "SKIP %s: the fixture writer's examples are missing\n", test);
    return false;
}

/* mkdir -p of rel under the work folder */
static void work_dirs(const char *rel) {
    char p[PATH_MAX + 64];
    int n = snprintf(p, sizeof p, "%s/%s", work, rel);
    for (int i = (int)strlen(work) + 1; n > 0 && i <= n && i < (int)sizeof p; i++)
        if (p[i] == '/' || p[i] == 0) {
            char c = p[i];
            p[i] = 0;
            mkdir(p, 0700);
            p[i] = c;
        }
}

#define EXPECT_CODE(r, want)                                                                         \
    do {                                                                                             \
        if ((r).code != (want)) {                                                                    \
            fprintf(stderr, "  exit %d, wanted %d\n  stdout: %.2000s\n  stderr: %.2000s\n", (r).code, \
                    (want), (r).out, (r).err);                                                       \
        }                                                                                            \
        CHECK_INT((r).code, (want));                                                                 \
    } while (0)

static void setup(void) {
    if (!tmp_make_dir(work, sizeof work, "cml-cli-")) exit(1);
    write_str("empty.mlmodel", "");
    unsigned char junk[512];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(i * 131 + 7);
    write_file("garbage.mlmodel", junk, sizeof junk);
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/nomanifest.mlpackage", work);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/models", work);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/clean", work);
    mkdir(p, 0700);
    write_str("models/a.mlmodel", "");
    write_file("models/b.mlmodel", junk, 64);
}

static void test_usage_errors(void) {
    res r = RUNW("--version");
    EXPECT_CODE(r, 0);
    CHECK(!strncmp(r.out, "coreml-lint ", 12));
    cli_res_free(&r);
    r = RUNW("check", "--bogus-flag", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK_STR(r.out, "");
    CHECK(strstr(r.err, "--bogus-flag") != NULL);
    cli_res_free(&r);
    r = RUNW("check", "--no-config");
    EXPECT_CODE(r, 2);
    CHECK_STR(r.out, "");
    cli_res_free(&r);
    r = RUNW("--format", "xml", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    cli_res_free(&r);
    r = RUNW("--target", "ios16", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    cli_res_free(&r);
    r = RUNW("--fail-on", "fatal", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "--fail-on must be \"note\", \"warning\" or \"error\", not 'fatal'") != NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--enable", "load/no-such-rule", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "load/no-such-rule") != NULL);
    cli_res_free(&r);
    r = RUNW("--rules-dir", "no-such-dir", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    cli_res_free(&r);
    r = RUNW("-o", "/nonexistent-dir/report.txt", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "/nonexistent-dir/report.txt") != NULL);
    cli_res_free(&r);
    r = RUNW("--baseline", "missing.sarif", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    cli_res_free(&r);
    r = RUNW("--format");
    EXPECT_CODE(r, 2);
    cli_res_free(&r);
}

static void test_exit_codes(void) {
    /* a model that fails to load: its load/ findings, exit 1 (not 2) */
    res r = RUNW("--no-bundled", "--no-config", "empty.mlmodel", "garbage.mlmodel", "nomanifest.mlpackage/");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "empty.mlmodel") && strstr(r.out, "[load/protobuf-corrupt]"));
    CHECK(strstr(r.out, "garbage.mlmodel") != NULL);
    CHECK(strstr(r.out, "nomanifest.mlpackage") && strstr(r.out, "[load/package-manifest]"));
    CHECK(strstr(r.out, "nomanifest.mlpackage/:") == NULL);   /* the path was normalised */
    cli_res_free(&r);
    /* nothing enabled that fires: exit 0 */
    r = RUNW("--no-bundled", "--no-config", "--disable", "load/*", "--enable", "load/spec-version", "empty.mlmodel",
             "garbage.mlmodel");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "[load/") == NULL);
    cli_res_free(&r);
    /* nothing enabled at all checks nothing: a usage error, not a quiet
     * pass, which names the pattern that matched nothing */
    r = RUNW("--no-bundled", "--no-config", "--disable", "load/*", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "no rule is enabled, so nothing would be checked") != NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "--disable", "*", "--enable", "hosue/*", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "'hosue/*' matches no rule") && strstr(r.err, "no rule is enabled"));
    cli_res_free(&r);
    /* a folder is searched for models */
    r = RUNW("--no-bundled", "--no-config", "--format", "json", "models");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "models/a.mlmodel") && strstr(r.out, "models/b.mlmodel"));
    cli_res_free(&r);
    /* a folder without models, a path that does not exist: usage errors
     * (exit 2) that say which, not load findings; nothing runs */
    r = RUNW("--no-bundled", "--no-config", "clean");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "'clean' holds no Core ML model") != NULL);
    CHECK_STR(r.out, "");
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "empty.mlmodel", "missing.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "'missing.mlmodel' does not exist") != NULL);
    CHECK(strstr(r.out, "load/protobuf-corrupt") == NULL);
    cli_res_free(&r);
    r = RUNW("inspect", "missing.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "'missing.mlmodel' does not exist") != NULL);
    cli_res_free(&r);
    /* a usage error says "error:" as compilers do, which an Xcode build
     * phase shows as an issue */
    r = RUNW("--format", "xcode", "missing.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "coreml-lint check: error: 'missing.mlmodel' does not exist\n") == r.err);
    cli_res_free(&r);
    r = RUNW("--format", "nope", "missing.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "coreml-lint: error: --format: unknown format 'nope'") == r.err);
    cli_res_free(&r);
}

/* pre-commit and `git diff --name-only` pass the files of a package, not the
 * package: the three files of one give that package's findings, once, as
 * checking the package does (not three load errors). */
static void test_files_of_a_package(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    char pkg[PATH_MAX], f1[PATH_MAX + 64], f2[PATH_MAX + 64], f3[PATH_MAX + 64];
    snprintf(pkg, sizeof pkg, "%s/examples/tiny_mlprogram.mlpackage", bd);
    snprintf(f1, sizeof f1, "%s/Manifest.json", pkg);
    snprintf(f2, sizeof f2, "%s/Data/com.apple.CoreML/model.mlmodel", pkg);
    snprintf(f3, sizeof f3, "%s/Data/com.apple.CoreML/weights/weight.bin", pkg);
    if (access(f1, R_OK) || access(f2, R_OK) || access(f3, R_OK)) {
        fprintf(stderr, "SKIP test_files_of_a_package: the fixture writer's examples are missing\n");
        return;
    }
    res whole = RUNW("--no-config", "--format", "json", pkg);
    res files = RUNW("--no-config", "--format", "json", f1, f2, f3);
    EXPECT_CODE(whole, 0);
    EXPECT_CODE(files, whole.code);
    CHECK_STR(files.out, whole.out);
    cJSON *j = cJSON_Parse(files.out);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "models")), 1);
    const cJSON *f;
    size_t n = 0;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "findings")) {
        n++;
        const cJSON *rule = cJSON_GetObjectItem(f, "rule");
        CHECK(cJSON_IsString(rule) && strncmp(rule->valuestring, "load/", 5) != 0);
    }
    CHECK(n > 0); /* the package's own findings (its metadata is empty) */
    cJSON_Delete(j);
    cli_res_free(&whole);
    cli_res_free(&files);
}

/* A folder that a compiled model's files mark as a model is one, and
 * still holds the models below it: a pull request that copied
 * tiny_mlprogram.mlmodelc's files into Models/ hid a broken model in
 * Models/sub from `check Models` (exit 0 instead of 1); and a model file
 * named below such a folder is checked itself. */
static void test_marked_folder_hides_nothing(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    char dir[PATH_MAX + 64], cmd[6 * PATH_MAX + 512];
    snprintf(dir, sizeof dir, "%s/marked", work);
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s/Models/sub' && cp -R '%s/examples/tiny_mlprogram.mlmodelc/.' '%s/Models/' && "
             "cp '%s/examples/broken/empty.mlmodel' '%s/Models/sub/Broken.mlmodel'",
             dir, dir, bd, dir, bd, dir);
    CHECK(system(cmd) == 0);
    res r = run_in(dir, (const char *const[]){"check", "--no-config", "--format", "json", "Models", NULL});
    EXPECT_CODE(r, 1);
    cJSON *j = cJSON_Parse(r.out);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "models")), 2);
    CHECK(strstr(r.out, "Models/sub/Broken.mlmodel") != NULL);
    cJSON_Delete(j);
    cli_res_free(&r);
    r = run_in(dir, (const char *const[]){"check", "--no-config", "--format", "json", "Models/sub/Broken.mlmodel", NULL});
    EXPECT_CODE(r, 1);
    j = cJSON_Parse(r.out);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "models")), 1);
    CHECK(strstr(r.out, "Models/sub/Broken.mlmodel") != NULL);
    cJSON_Delete(j);
    cli_res_free(&r);
}

static void test_fail_on(void) {
    /* the config makes the load problem a note */
    write_str("note.json", "{\"rules\": {\"load/protobuf-corrupt\": {\"level\": \"note\"}}}");
    res r = RUNW("--no-bundled", "--config", "note.json", "empty.mlmodel");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "note:") != NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--config", "note.json", "--fail-on", "note", "empty.mlmodel");
    EXPECT_CODE(r, 1);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--config", "note.json", "--fail-on=warning", "empty.mlmodel");
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    write_str("failnote.json", "{\"fail_on\": \"note\", \"rules\": {\"load/*\": {\"level\": \"note\"}}}");
    r = RUNW("--no-bundled", "--config", "failnote.json", "empty.mlmodel");
    EXPECT_CODE(r, 1);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--config", "failnote.json", "--fail-on", "error", "empty.mlmodel");
    EXPECT_CODE(r, 0);      /* the flag overrides the file */
    cli_res_free(&r);
}

/* --rule-set: the set to start from, over the file's "extends"; the file's
 * own settings still decide. The example classifier has no metadata: a note
 * in recommended, a warning (and exit 1: strict fails on warnings) in strict. */
static void test_rule_set(void) {
    char m[PATH_MAX];
    if (!example(m, sizeof m, "tiny_classifier_nn.mlmodel", "test_rule_set")) return;
    res r = RUNW("--no-config", m);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "note: the model has no metadata") != NULL);
    cli_res_free(&r);
    r = RUNW("--no-config", "--rule-set", "strict", m);
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "warning: the model has no metadata") != NULL);
    cli_res_free(&r);
    write_str("strict.json", "{\"extends\": \"strict\"}");
    r = RUNW("--config", "strict.json", m);
    EXPECT_CODE(r, 1);
    cli_res_free(&r);
    r = RUNW("--config", "strict.json", "--rule-set", "recommended", m);   /* the flag replaces the file's set */
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "note: the model has no metadata") != NULL);
    cli_res_free(&r);
    write_str("strict-err.json", "{\"fail_on\": \"error\"}");
    r = RUNW("--config", "strict-err.json", "--rule-set", "strict", m);   /* the file's fail_on still decides */
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "warning: the model has no metadata") != NULL);
    cli_res_free(&r);
    r = RUNW("--no-config", "--rule-set", "pedantic", m);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "recommended, strict") != NULL);
    cli_res_free(&r);
}

/* The report's op histogram names at most 512 kinds: a model.mil of 600
 * made-up op kinds gets a "(other kinds)" bucket, not quadratic work. */
static void test_histogram_bound(void) {
    char mil[64 * 1024], *p = mil;
    p += sprintf(p, "program(1.0)\n[buildInfo = dict<tensor<string, []>, tensor<string, []>>({{\"coremlc-version\", "
                    "\"1436.100.10\"}})]\n{\n    func main<ios15>(tensor<fp32, [1]> x) {\n");
    for (int i = 0; i < 600; i++)
        p += sprintf(p, "        tensor<fp32, [1]> y%d = zop%d(x = %s%d)[name = tensor<string, []>(\"y%d\")];\n", i, i,
                     i ? "y" : "x", i ? i - 1 : 0, i);
    sprintf(p, "    } -> (y599);\n}\n");
    /* the first op reads x: "x0" above is the input's name plus a digit */
    char *x0 = strstr(mil, "(x = x0)");
    if (x0) memmove(x0 + 6, x0 + 7, strlen(x0 + 7) + 1);
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/kinds.mlmodelc", work);
    mkdir(dir, 0700);
    write_str("kinds.mlmodelc/model.mil", mil);
    res r = RUNW("--no-config", "--format", "html", "-o", "kinds.html", "kinds.mlmodelc");
    CHECK(r.code == 0 || r.code == 1);
    cli_res_free(&r);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/kinds.html", work);
    size_t n = 0;
    char *html = cli_slurp(path, &n);
    CHECK(html && strstr(html, "(other kinds)") != NULL);
    free(html);
}

static void test_baseline(void) {
    res r = RUNW("--no-bundled", "--no-config", "--format", "sarif", "-o", "base.sarif", "empty.mlmodel",
                 "garbage.mlmodel");
    EXPECT_CODE(r, 1);
    CHECK_STR(r.out, "");
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "--baseline", "base.sarif", "empty.mlmodel", "garbage.mlmodel");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "[load/") == NULL);
    /* the report says what the baseline took, not just "0 errors" */
    CHECK(strstr(r.out, "0 errors, 0 warnings, 0 notes in 2 models (2 in the baseline)") != NULL);
    cli_res_free(&r);
    /* a new problem is still reported */
    r = RUNW("--no-bundled", "--no-config", "--baseline", "base.sarif", "empty.mlmodel", "garbage.mlmodel",
             "models/b.mlmodel");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "models/b.mlmodel") != NULL);
    CHECK(strstr(r.out, "empty.mlmodel:") == NULL && strstr(r.out, "garbage.mlmodel:") == NULL);
    cli_res_free(&r);
    write_str("notsarif.json", "{\"a\": 1}");
    r = RUNW("--no-bundled", "--no-config", "--baseline", "notsarif.json", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    cli_res_free(&r);
}

/* The first result's uri and fingerprint, and SRCROOT's uri, of a SARIF file
 * in work (malloc'd strings into out[0..2]; NULL where absent). */
static void sarif_facts(const char *name, char *out[3]) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", work, name);
    char *text = cli_slurp(p, NULL);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0);
    const cJSON *result = cJSON_GetArrayItem(cJSON_GetObjectItem(run, "results"), 0);
    const cJSON *loc = cJSON_GetArrayItem(cJSON_GetObjectItem(result, "locations"), 0);
    const cJSON *al = cJSON_GetObjectItem(cJSON_GetObjectItem(loc, "physicalLocation"), "artifactLocation");
    const cJSON *fp = cJSON_GetObjectItem(cJSON_GetObjectItem(result, "partialFingerprints"), "primaryLocationLineHash");
    const cJSON *root = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "originalUriBaseIds"),
                                                                "%SRCROOT%"), "uri");
    const cJSON *v[3] = {cJSON_GetObjectItem(al, "uri"), fp, root};
    for (int i = 0; i < 3; i++) out[i] = cJSON_IsString(v[i]) ? strdup(v[i]->valuestring) : NULL;
    cJSON_Delete(j);
}

/* Run from a subfolder of a repository (a monorepo's working-directory, an
 * Xcode $SRCROOT below the git root), SARIF and GitHub paths are still
 * from the repository root, where GitHub places results; the fingerprints
 * are the same as from the root, so one baseline serves both; the text
 * report keeps the paths as typed. */
static void test_source_root(void) {
    char model[PATH_MAX];
    if (!example(model, sizeof model, "tiny_image_nn.mlmodel", "test_source_root")) return;
    work_dirs("repo/.git");
    work_dirs("repo/app/Models");
    size_t n = 0;
    char *bytes = cli_slurp(model, &n);
    if (!bytes) return;
    write_file("repo/app/Models/m.mlmodel", bytes, n);
    free(bytes);
    char repo[PATH_MAX + 16], app[PATH_MAX + 32];
    snprintf(repo, sizeof repo, "%s/repo", work);
    snprintf(app, sizeof app, "%s/repo/app", work);
    res r = run_in(repo, (const char *const[]){"--no-config", "--format", "sarif", "-o", "root.sarif",
                                               "app/Models/m.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    r = run_in(app, (const char *const[]){"--no-config", "--format", "sarif", "-o", "../sub.sarif",
                                          "Models/m.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    r = run_in(app, (const char *const[]){"--no-config", "--format", "sarif", "-o", "../dotted.sarif",
                                          "../app/./Models/../Models/m.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    char *a[3], *b[3], *c[3];
    sarif_facts("repo/root.sarif", a);
    sarif_facts("repo/sub.sarif", b);
    sarif_facts("repo/dotted.sarif", c);
    CHECK_STR(a[0], "app/Models/m.mlmodel");
    CHECK_STR(b[0], "app/Models/m.mlmodel");
    CHECK_STR(c[0], "app/Models/m.mlmodel");
    CHECK(a[1] && b[1] && c[1] && !strcmp(a[1], b[1]) && !strcmp(a[1], c[1]));
    CHECK(b[2] && strlen(b[2]) > 6 && !strcmp(b[2] + strlen(b[2]) - 6, "/repo/"));
    for (int i = 0; i < 3; i++) free(a[i]), free(b[i]), free(c[i]);
    /* the baseline written at the root holds the findings of a run below it */
    r = run_in(app, (const char *const[]){"--no-config", "--fail-on", "warning", "--baseline", "../root.sarif",
                                          "Models/m.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "in the baseline") || strstr(r.err, "in the baseline"));
    cli_res_free(&r);
    r = run_in(app, (const char *const[]){"--no-config", "--format", "github", "Models/m.mlmodel", NULL});
    CHECK(strstr(r.out, "file=app/Models/m.mlmodel,") != NULL);
    cli_res_free(&r);
    r = run_in(app, (const char *const[]){"--no-config", "--no-color", "Models/m.mlmodel", NULL});
    CHECK(strstr(r.out, "\nModels/m.mlmodel: ") || !strncmp(r.out, "Models/m.mlmodel: ", 18));
    cli_res_free(&r);
    /* a notification's file in an annotation is from the root too when the
     * run is at the root (the action's default): the configuration found
     * upward has an absolute path, which GitHub does not place */
    write_str("repo/.coreml-lint.json",
              "{\n  \"suppressions\": [\n    {\"rule\": \"compat/deployment-target\", \"path\": \"app/Models/m.mlmodel\","
              " \"reason\": \"r\"}\n  ]\n}\n");
    char absmodel[PATH_MAX + 64];
    snprintf(absmodel, sizeof absmodel, "%s/app/Models/m.mlmodel", repo);
    r = run_in(repo, (const char *const[]){"--format", "github", absmodel, NULL});
    CHECK(strstr(r.out, "file=.coreml-lint.json,line=3,") != NULL);
    CHECK(strstr(r.out, "file=app/Models/m.mlmodel,") != NULL);
    CHECK(strstr(r.out, work) == NULL);
    if (strstr(r.out, work)) fprintf(stderr, "  %s\n", r.out);
    cli_res_free(&r);
    r = run_in(repo, (const char *const[]){"--config", "./.coreml-lint.json", "--format", "github", "app/Models/m.mlmodel",
                                           NULL});
    CHECK(strstr(r.out, "file=.coreml-lint.json,line=3,") != NULL);
    cli_res_free(&r);
    r = run_in(app, (const char *const[]){"--format", "github", "Models/m.mlmodel", NULL});
    CHECK(strstr(r.out, "file=.coreml-lint.json,line=3,") != NULL);
    cli_res_free(&r);
    char cfg[PATH_MAX + 64];
    snprintf(cfg, sizeof cfg, "%s/.coreml-lint.json", repo);
    unlink(cfg);

    /* a model reached through a symbolic link inside the repository (a
     * linked Models folder): GitHub shows no result whose path goes
     * through a link, so the SARIF path is the real one; the fingerprint
     * stays the path's as given, as the baseline knows it */
    char link[PATH_MAX + 64];
    snprintf(link, sizeof link, "%s/Linked", repo);
    CHECK(symlink("app/Models", link) == 0);
    r = run_in(repo, (const char *const[]){"--no-config", "--format", "sarif", "-o", "linked.sarif",
                                           "Linked/m.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    sarif_facts("repo/linked.sarif", a);
    CHECK_STR(a[0], "app/Models/m.mlmodel");
    for (int i = 0; i < 3; i++) free(a[i]);
    /* the same file by both paths is one artifact (SARIF's artifacts are
     * unique items) */
    r = run_in(repo, (const char *const[]){"--no-config", "--format", "sarif", "app/Models/m.mlmodel",
                                           "Linked/m.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    {
        cJSON *j = cJSON_Parse(r.out);
        const cJSON *arts = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0), "artifacts");
        CHECK_INT(cJSON_GetArraySize(arts), 1);
        cJSON_Delete(j);
    }
    cli_res_free(&r);
    /* a link that leads out of the repository keeps the path as given */
    snprintf(link, sizeof link, "%s/Out", repo);
    CHECK(symlink("../outside", link) == 0);
    work_dirs("outside");
    bytes = cli_slurp(model, &n);
    if (bytes) write_file("outside/o.mlmodel", bytes, n);
    free(bytes);
    r = run_in(repo, (const char *const[]){"--no-config", "--format", "sarif", "-o", "out.sarif", "Out/o.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    sarif_facts("repo/out.sarif", a);
    CHECK_STR(a[0], "Out/o.mlmodel");
    for (int i = 0; i < 3; i++) free(a[i]);
}

/* Any object in j with "suppressed": true? */
static bool has_suppressed(const cJSON *j) {
    if (!j) return false;
    if (cJSON_IsObject(j) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "suppressed"))) return true;
    for (const cJSON *c = j->child; c; c = c->next)
        if (has_suppressed(c)) return true;
    return false;
}

/* A rule that fails (a Lua error) makes the exit 2, whatever the findings,
 * unless --keep-going; the other rules' findings are still reported. */
static void test_broken_rule(void) {
    work_dirs("house/house");
    write_str("house/house/typo.lua",
              "return { id = \"house/typo\", name = \"Typo\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx) local n = model.metadta.author end }\n");
    res r = RUNW("--no-bundled", "--no-config", "--disable", "load/*", "--rules-dir", "house", "empty.mlmodel",
                 "garbage.mlmodel");
    /* nothing to run on unreadable models: no failure yet */
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    char model[PATH_MAX];
    if (!example(model, sizeof model, "tiny_convnet_nn.mlmodel", "test_broken_rule")) return;
    r = RUNW("--no-bundled", "--no-config", "--rules-dir", "house", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "1 rule failure") && strstr(r.err, "--keep-going"));
    /* the rule, and the model it failed on */
    CHECK(strstr(r.out, "[house/typo on ") && strstr(r.out, "tiny_convnet_nn.mlmodel]"));
    /* the real file and the line, once (Lua's "file:2:" prefix is not
     * repeated in the message) */
    CHECK(strstr(r.out, "(house/house/typo.lua:2)") && !strstr(r.out, "typo.lua:2:"));
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "--keep-going", "--rules-dir", "house", model);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.err, "rule failure") == NULL);
    cli_res_free(&r);
    /* SARIF says the analysis did not succeed, --keep-going or not: a tool
     * that reads the log rather than the exit must not take it for clean */
    r = RUNW("--no-bundled", "--no-config", "--keep-going", "--format", "sarif", "--rules-dir", "house", model);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "\"executionSuccessful\":\tfalse") != NULL);
    /* stderr's line for a non-text report names the file and line too */
    CHECK(strstr(r.err, "(house/house/typo.lua:2) [rule/error house/typo on ") != NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "--format", "sarif", model);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "\"executionSuccessful\":\ttrue") != NULL);
    cli_res_free(&r);

    /* a rule file that does not load fails the run, and the hint names the
     * way out: the id its path gives, which --disable then turns off (the
     * failure stays visible, as a note) */
    work_dirs("broken/house");
    write_str("broken/house/syntax.lua", "return { id = \"house/syntax\",\n  check = function(model, ctx)\n");
    r = RUNW("--no-bundled", "--no-config", "--rules-dir", "broken", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.out, "error: ") && strstr(r.out, "(broken/house/syntax.lua:3)"));
    CHECK(!strstr(r.out, "syntax.lua:3:"));   /* the file and line once, beside the message */
    CHECK(strstr(r.err, "--disable the id its path gives") != NULL);
    cli_res_free(&r);
    /* in an Xcode build phase stdout and stderr are one log: the failure is
     * one issue, on the rule's file, not a second "coreml-lint: error:"
     * line (which Xcode reads as an issue too, like "clang: error:") */
    r = RUNW("--no-bundled", "--no-config", "--format", "xcode", "--rules-dir", "broken", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.out, "/broken/house/syntax.lua:3:1: error: coreml-lint: ") != NULL);
    CHECK(strstr(r.err, "error:") == NULL);
    CHECK(strstr(r.err, "--disable the id its path gives") != NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "--format", "xcode", "-o", "x.txt", "--rules-dir", "broken", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "coreml-lint: error: ") != NULL);   /* the report is in a file: stderr says it */
    cli_res_free(&r);
    const char *off[][2] = {{"--disable", "house/syntax"}, {"--disable", "house/*"}};
    for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
        r = RUNW("--no-bundled", "--no-config", off[i][0], off[i][1], "--rules-dir", "broken", model);
        EXPECT_CODE(r, 0);
        CHECK(strstr(r.out, "note: ") && strstr(r.out, "(broken/house/syntax.lua:3)"));
        CHECK(strstr(r.err, "rule failure") == NULL);
        cli_res_free(&r);
    }
    /* the same from a configuration file, and the command line over it */
    write_str("broken.json", "{\"rules\": {\"house/syntax\": {\"level\": \"none\"}}}");
    r = RUNW("--no-bundled", "--config", "broken.json", "--rules-dir", "broken", model);
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--config", "broken.json", "--enable", "house/syntax", "--rules-dir", "broken", model);
    EXPECT_CODE(r, 2);
    cli_res_free(&r);

    /* a plugin that cannot be used fails the run the same way: it has no id
     * to --disable, so the hint says to fix or remove it, and --keep-going
     * exits by the findings alone (it used to exit 2 regardless) */
    write_str("broken/junk.so", "not an ELF file\n");
    r = RUNW("--no-bundled", "--no-config", "--plugin", "broken/junk.so", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.out, "junk.so: cannot be loaded") != NULL);
    CHECK(strstr(r.err, "1 rule failure") && strstr(r.err, "fix or remove the plugin") &&
          !strstr(r.err, "path gives"));
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "--keep-going", "--plugin", "broken/junk.so", model);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "junk.so: cannot be loaded") && !strstr(r.err, "rule failure"));
    cli_res_free(&r);
    /* a broken rule file and a broken plugin: both ways out are named */
    r = RUNW("--no-bundled", "--no-config", "--rules-dir", "broken", "--plugin", "broken/junk.so", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "2 rule failures") && strstr(r.err, "path gives") && strstr(r.err, "remove the plugin") &&
          !strstr(r.err, "failing rule"));
    cli_res_free(&r);
}

/* One rules folder named twice, in the trusted config and on the command
 * line, spelt differently: each rule loads once (it used to be refused as
 * a duplicate of itself, and the run exit 2) */
static void test_rules_dir_twice(void) {
    char model[PATH_MAX];
    if (!example(model, sizeof model, "tiny_convnet_nn.mlmodel", "test_rules_dir_twice")) return;
    work_dirs("twice/house");
    write_str("twice/house/hello.lua",
              "return { id = \"house/hello\", name = \"Hello\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx) ctx:report(model, \"hello once\") end }\n");
    write_str(".coreml-lint.json", "{\"rules_dirs\": [\"twice\"]}");
    res r = RUNW("--no-bundled", "--trust-config", "--rules-dir", "twice", "--rules-dir", "./twice/", model);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "duplicates") == NULL);
    const char *h = strstr(r.out, "hello once");
    CHECK(h && !strstr(h + 1, "hello once"));
    cli_res_free(&r);
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/.coreml-lint.json", work);
    unlink(p);
}

/* ctx.options answers only the names the rule declares: a typo is a rule
 * failure naming the declared ones (it read nil, and `or DEFAULT` replaced
 * the configured value quietly); declared ones read their values */
static void test_options_typo(void) {
    char model[PATH_MAX];
    if (!example(model, sizeof model, "tiny_convnet_nn.mlmodel", "test_options_typo")) return;
    work_dirs("opts/house");
    write_str("opts/house/typo.lua",
              "return { id = \"house/typo\", name = \"T\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  options = { max_convs = { type = \"int\", default = 1, doc = \"d\" } },\n"
              "  check = function(model, ctx) local n = ctx.options.max_conv or 1000 end }\n");
    write_str("opts/house/ok.lua",
              "return { id = \"house/ok\", name = \"O\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  options = { max_convs = { type = \"int\", default = 3, doc = \"d\" },\n"
              "              label = { type = \"string\", doc = \"no default\" } },\n"
              "  check = function(model, ctx)\n"
              "    ctx:report(model, \"max %d label %s\", ctx.options.max_convs, tostring(ctx.options.label)) end }\n");
    res r = RUNW("--no-bundled", "--no-config", "--rules-dir", "opts", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.out, "ctx.options has no option 'max_conv' (the rule declares: max_convs) (opts/house/typo.lua:3)"));
    CHECK(strstr(r.out, "max 3 label  [house/ok]") != NULL);
    cli_res_free(&r);
    /* findings returned instead of reported would be lost quietly: a table
     * returned is a failure; `return ctx:report(...)` (a boolean) is fine */
    work_dirs("rets/house");
    write_str("rets/house/ret.lua",
              "return { id = \"house/ret\", name = \"R\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx) return { { message = \"x\" } } end }\n");
    write_str("rets/house/retbool.lua",
              "return { id = \"house/retbool\", name = \"R\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx) return ctx:report(model, \"reported\") end }\n");
    r = RUNW("--no-bundled", "--no-config", "--rules-dir", "rets", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.out, "check returned a table, which is ignored: findings are reported with ctx:report") &&
          strstr(r.out, "reported [house/retbool]") && strstr(r.err, "1 rule failure"));
    cli_res_free(&r);
}

/* A rule that reports a million findings is capped, not failed: the
 * reports past the cap are dropped before they are built or charged, so
 * the loop ends within the budget, the run exits by its findings and SARIF
 * says the analysis succeeded (the flood's text was once charged to the
 * rule's memory and budget, and the run failed with a false "hold more
 * text than the memory cap") */
static void test_report_flood(void) {
    char model[PATH_MAX];
    if (!example(model, sizeof model, "tiny_convnet_nn.mlmodel", "test_report_flood")) return;
    work_dirs("flood/house");
    write_str("flood/house/flood.lua",
              "return { id = \"house/flood\", name = \"F\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx)\n"
              "    local pad = string.rep(\"x\", 400)\n"
              "    for i = 1, 1000000 do ctx:report(model, \"finding %d %s\", i, pad) end end }\n");
    res r = RUNW("--no-bundled", "--no-config", "--rules-dir", "flood", "--format", "sarif", model);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "more than 10000 note findings on one model; the rest at that level were dropped") &&
          strstr(r.out, "\"executionSuccessful\":\ttrue") && !strstr(r.out, "budget-exceeded") &&
          !strstr(r.out, "memory-exceeded"));
    cli_res_free(&r);
}

/* `rules` validates rule files (a broken one exits 2, as check does), and
 * `rules --docs DIR GLOB` writes the pages of the rules the glob matches
 * only, without links to configuration.md, which a house folder lacks */
static void test_rules_validate_and_docs(void) {
    work_dirs("hdocs/house");
    write_str("hdocs/house/hello.lua",
              "return { id = \"house/hello\", name = \"Hello\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx) end }\n");
    res r = RUNW("rules", "--no-config", "--rules-dir", "hdocs", "house/*");
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    char d[PATH_MAX + 32], p[PATH_MAX + 64];
    snprintf(d, sizeof d, "%s/hdocs-out", work);
    r = RUNW("rules", "--no-config", "--rules-dir", "hdocs", "--docs", d, "house/*");
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    snprintf(p, sizeof p, "%s/rules.md", d);
    char *idx = cli_slurp(p, NULL);
    CHECK(idx && strstr(idx, "1 rule, one page each") && strstr(idx, "(see coreml-lint's docs/configuration.md)") &&
          !strstr(idx, "load/spec-version"));
    free(idx);
    snprintf(p, sizeof p, "%s/rules/house/hello.md", d);
    char *page = cli_slurp(p, NULL);
    CHECK(page && strstr(page, "In `.coreml-lint.json` (coreml-lint's docs/configuration.md):") &&
          !strstr(page, "](../../configuration.md)"));
    free(page);
    snprintf(p, sizeof p, "%s/rules/load", d);
    CHECK(access(p, F_OK) != 0);
    /* the folder above the rules folder named: nothing loads, and the glob
     * matches no rule: that CI check must fail */
    work_dirs("hdocs-up/my-rules/house");
    write_str("hdocs-up/my-rules/house/hello.lua",
              "return { id = \"house/hello\", name = \"Hello\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx) end }\n");
    r = RUNW("rules", "--no-config", "--rules-dir", "hdocs-up", "house/*");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "no rule matches 'house/*'") != NULL);
    cli_res_free(&r);
    write_str("hdocs/house/broken.lua", "return { id = \"house/broken\",\n");
    r = RUNW("rules", "--no-config", "--rules-dir", "hdocs", "house/*");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "1 rule file did not load (see above): exit 2") != NULL);
    /* the CI check says where: the file and the line (it gave the message alone) */
    CHECK(strstr(r.err, "(hdocs/house/broken.lua:2) [rule/load-error house/broken]") != NULL);
    cli_res_free(&r);
}

/* Rule files below the category folders (rules kept in subfolders, or the
 * rules folder's parent named) have no id and do not load: a warning says
 * so instead of a run that silently lacks them */
static void test_rules_dir_nested(void) {
    char model[PATH_MAX];
    if (!example(model, sizeof model, "tiny_convnet_nn.mlmodel", "test_rules_dir_nested")) return;
    work_dirs("nested/house/sub/deeper");
    write_str("nested/house/ok.lua",
              "return { id = \"house/ok\", name = \"Ok\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx) ctx:report(model, \"ok ran\") end }\n");
    write_str("nested/house/sub/deeper/lost.lua", "return {}\n");
    write_str("nested/house/sub/lost2.lua", "return {}\n");
    res r = RUNW("--no-bundled", "--no-config", "--rules-dir", "nested", model);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "ok ran") != NULL);
    CHECK(strstr(r.out, "warning: 2 .lua files below the category folders were not loaded, e.g. "
                        "'nested/house/sub/deeper/lost.lua'") &&
          strstr(r.out, "category folders (nested)\n"));
    cli_res_free(&r);
    /* the right folder named: no warning, and both files are loaded as
     * rules (sub/lost2, deeper/lost), which refuse to load: not rule tables */
    r = RUNW("--no-bundled", "--no-config", "--rules-dir", "nested/house/sub", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.out, "not loaded") == NULL);
    CHECK(strstr(r.out, "nested/house/sub/lost2.lua") && strstr(r.out, "nested/house/sub/deeper/lost.lua"));
    cli_res_free(&r);
}

/* The reference covers the rules a trusted configuration's rules_dirs
 * load, in every form (it said "no rule" for --markdown and --docs), and
 * documents their defaults, not the levels the file sets. */
static void test_rules_doc_config(void) {
    work_dirs("docrules/house");
    write_str("docrules/house/hello.lua",
              "return { id = \"house/hello\", name = \"Hello\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx) end }\n");
    write_str(".coreml-lint.json",
              "{\"rules_dirs\": [\"docrules\"], \"rules\": {\"house/hello\": {\"level\": \"error\"}}}");
    res r = RUNW("rules", "--trust-config", "--markdown", "house/hello");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "# house/hello\n") == r.out && strstr(r.out, "| Default level | note |"));
    cli_res_free(&r);
    r = RUNW("rules", "--trust-config", "house/hello");
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    char d[PATH_MAX + 32], page[PATH_MAX + 64];
    snprintf(d, sizeof d, "%s/docrules-out", work);
    r = RUNW("rules", "--trust-config", "--docs", d);
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    snprintf(page, sizeof page, "%s/rules/house/hello.md", d);
    CHECK(access(page, R_OK) == 0);
    tmp_remove_tree(d);
    /* untrusted, the folder is not loaded, and the reference says so */
    r = RUNW("rules", "--markdown", "house/hello");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.out, "config/untrusted-code") || strstr(r.err, "config/untrusted-code"));
    cli_res_free(&r);
    snprintf(d, sizeof d, "%s/.coreml-lint.json", work);
    unlink(d);
}

/* --profile: where the time went, on stderr, for each rule that ran (a Lua
 * rule's VM instructions beside it), slowest first; the report is the same
 * bytes with or without it, and only the commands that run rules take it. */
static void test_profile(void) {
    char model[PATH_MAX];
    if (!example(model, sizeof model, "tiny_convnet_nn.mlmodel", "test_profile")) return;
    work_dirs("prof/house");
    /* ~20k VM instructions (two a turn), then one finding per layer */
    write_str("prof/house/busy.lua",
              "return { id = \"house/busy\", name = \"Busy\", summary = \"s\", help = \"h\", level = \"note\",\n"
              "  check = function(model, ctx)\n"
              "    local s = 0\n"
              "    for i = 1, 10000 do s = s + i end\n"
              "    for op in model:ops() do ctx:report{ at = op, message = \"layer \" .. op.name } end\n"
              "  end }\n");
    const char *base[] = {"--no-bundled", "--no-config", "--rules-dir", "prof", "--format", "json", model};
    res plain = run_in(work, (const char *const[]){base[0], base[1], base[2], base[3], base[4], base[5], base[6],
                                                   NULL});
    res r = run_in(work, (const char *const[]){base[0], base[1], base[2], base[3], base[4], base[5], "--profile",
                                               base[6], NULL});
    EXPECT_CODE(plain, 0);
    EXPECT_CODE(r, 0);
    CHECK_STR(r.out, plain.out);
    CHECK(strstr(plain.err, "profile") == NULL);
    CHECK(strstr(r.err, "coreml-lint: profile (wall-clock ms)") != NULL);
    CHECK(strstr(r.err, "loading 1 model\n") != NULL);
    /* the rule's row: its findings (one per layer of the model) and a count
     * in thousands; a builtin rule's row has no instruction count */
    int layers = 0;
    for (const char *q = plain.out; (q = strstr(q, "\"rule\":\t\"house/busy\"")) != NULL; q++) layers++;
    char row[64];
    snprintf(row, sizeof row, " %8d  house/busy\n", layers);
    const char *hb = strstr(r.err, row);
    CHECK(layers > 0 && hb != NULL);
    if (hb) {
        const char *ls = hb;
        while (ls > r.err && ls[-1] != '\n') ls--;
        double ms = -1, pct = -1, kinstr = -1;
        CHECK_INT(sscanf(ls, " %lf %lf %lfk", &ms, &pct, &kinstr), 3);
        CHECK(ms >= 0 && pct >= 0 && pct <= 100 && kinstr >= 15 && kinstr < 1000);
    }
    CHECK(strstr(r.err, "-        0  load/protobuf-corrupt\n") != NULL);
    cli_res_free(&plain);
    cli_res_free(&r);
    /* asked for, it prints even with --quiet, which only drops the summary */
    r = RUNW("--no-bundled", "--no-config", "--quiet", "--profile", model);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.err, "coreml-lint: profile") != NULL && strstr(r.err, "checked:") == NULL);
    CHECK(strstr(r.err, "counting every weight") == NULL);   /* no rule asked */
    cli_res_free(&r);
    /* the bundled weight rules share one pass over the weights: it has a
     * line of its own (its time is not in the row of the rule that asked first) */
    r = RUNW("--no-config", "--quiet", "--profile", "--enable", "compress/pruning-sparsity", "--enable",
             "numerics/fp16-overflow", model);
    CHECK(r.code == 0 || r.code == 1);
    CHECK(strstr(r.err, "  counting every weight's values once, for the rules that ask\n") != NULL);
    CHECK(strstr(r.err, "  compress/pruning-sparsity\n") && strstr(r.err, "  numerics/fp16-overflow\n"));
    cli_res_free(&r);
    r = RUNW("inspect", "--profile", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "--profile") != NULL);
    cli_res_free(&r);
}

/* What Xcode hands a Run Script phase: --target "$IPHONEOS_DEPLOYMENT_TARGET"
 * is "16.0", with PLATFORM_NAME naming the platform; with no --target at all
 * the build settings in the environment are the target. The multifunction
 * example needs iOS 18, so compat/deployment-target fires under iOS 16. */
static void test_xcode_target(void) {
    char model[PATH_MAX];
    if (!example(model, sizeof model, "tiny_multifunction.mlpackage", "test_xcode_target")) return;
    unsetenv("PLATFORM_NAME");
    unsetenv("IPHONEOS_DEPLOYMENT_TARGET");
    res r = RUNW("--no-config", "--target", "16.0", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "PLATFORM_NAME") && strstr(r.err, "iOS16.0"));
    cli_res_free(&r);
    r = RUNW("--no-config", "--format", "xcode", model);   /* no target: the model's own minimum OS */
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "compat/deployment-target") == NULL);
    cli_res_free(&r);
    setenv("PLATFORM_NAME", "iphoneos", 1);
    r = RUNW("--no-config", "--format", "xcode", "--target", "16.0", model);
    EXPECT_CODE(r, 1);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s:1:1: error: ", model);
    CHECK(strstr(r.out, want) != NULL);
    CHECK(strstr(r.out, "deployment target iOS16.0") && strstr(r.out, "[compat/deployment-target]"));
    CHECK(strstr(r.out, "Data/com.apple.CoreML/model.mlmodel:") == NULL);   /* on the package, not inside */
    cli_res_free(&r);
    setenv("IPHONEOS_DEPLOYMENT_TARGET", "16.0", 1);
    r = RUNW("--no-config", "--format", "xcode", model);
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "deployment target iOS16.0") != NULL);
    CHECK(strstr(r.err, "iOS16.0 from Xcode's build settings (PLATFORM_NAME=iphoneos, IPHONEOS_DEPLOYMENT_TARGET=16.0)"));
    cli_res_free(&r);
    /* a simulator SDK is the same platform; --target beats the environment */
    setenv("PLATFORM_NAME", "iphonesimulator", 1);
    r = RUNW("--no-config", "--target", "iOS18", model);
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    unsetenv("PLATFORM_NAME");
    unsetenv("IPHONEOS_DEPLOYMENT_TARGET");
}

static void copy_in(const char *from, const char *to) {
    size_t n = 0;
    char *d = cli_slurp(from, &n);
    CHECK(d != NULL);
    if (d) write_file(to, d, n);
    free(d);
}

/* test-rule: a house rule against models that must and must not fire,
 * with options from --config, messages from .expect files; a case model
 * that does not load fails its case; a rule that does not load is exit 2
 * naming its file and line. */
static void test_test_rule(void) {
    const char *bd = getenv("CML_BUILD_DIR"), *src = getenv("CML_SOURCE_DIR");
    char big[PATH_MAX], small[PATH_MAX], rule[PATH_MAX];
    snprintf(big, sizeof big, "%s/examples/tiny_convnet_nn.mlmodel", bd);
    snprintf(small, sizeof small, "%s/examples/tiny_classifier_nn.mlmodel", bd);
    snprintf(rule, sizeof rule, "%s/examples/house-rules/model-size-budget.lua", src ? src : CML_SOURCE_DIR);
    if (access(big, R_OK) || access(small, R_OK)) {
        fprintf(stderr, "SKIP test_test_rule: the fixture writer's examples are missing\n");
        return;
    }
    work_dirs("cases/fire");
    work_dirs("cases/pass");
    copy_in(big, "cases/fire/big.mlmodel");
    copy_in(small, "cases/pass/small.mlmodel");
    /* the project's config: other rules (not loaded by test-rule) are named too */
    write_str("budget.json", "{\"rules\": {\"house-rules/model-size-budget\": {\"options\": {\"max_bytes\": 5000}},"
                             " \"house/other-rule\": {\"options\": {\"limit\": 3}},"
                             " \"meta/missing-metadata\": {\"level\": \"none\"}}, \"disable\": [\"house/third\"]}");
    write_str("cases/fire/big.mlmodel.expect", "# what the finding must say\nover the budget of 5000 bytes\n");
    res r = RUNW("test-rule", "--config", "budget.json", rule, "cases");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "ok   fire/big.mlmodel: 1 finding") && strstr(r.out, "ok   pass/small.mlmodel: no finding"));
    CHECK(strstr(r.out, "2 of 2 cases pass") != NULL);
    cli_res_free(&r);
    /* the default budget (100 MB): the fire case fails */
    r = RUNW("test-rule", rule, "cases");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "FAIL fire/big.mlmodel: no finding of house-rules/model-size-budget") != NULL);
    cli_res_free(&r);
    /* an expectation no message meets */
    write_str("cases/fire/big.mlmodel.expect", "over the budget of 6000 bytes\n");
    r = RUNW("test-rule", "--config", "budget.json", rule, "cases");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "FAIL fire/big.mlmodel: no finding says \"over the budget of 6000 bytes\"") != NULL);
    cli_res_free(&r);
    /* directives: the number of findings, their level, the case's target */
    write_str("cases/fire/big.mlmodel.expect", "count=1\nlevel=warning\ntarget=iOS17\nover the budget of 5000 bytes\n");
    r = RUNW("test-rule", "--config", "budget.json", rule, "cases");
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    write_str("cases/fire/big.mlmodel.expect", "count=2\n");
    r = RUNW("test-rule", "--config", "budget.json", rule, "cases");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "FAIL fire/big.mlmodel: 1 finding, wanted 2 (fire/big.mlmodel.expect)") != NULL);
    cli_res_free(&r);
    write_str("cases/fire/big.mlmodel.expect", "level=error\n");
    r = RUNW("test-rule", "--config", "budget.json", rule, "cases");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "FAIL fire/big.mlmodel: a finding at level warning, wanted error") != NULL);
    cli_res_free(&r);
    write_str("cases/fire/big.mlmodel.expect", "level=fatal\n");
    r = RUNW("test-rule", "--config", "budget.json", rule, "cases");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "'level=fatal' is not count=N (N >= 1), level=note|warning|error or target=") != NULL);
    cli_res_free(&r);
    /* a must-not-fire case takes target= only */
    write_str("cases/fire/big.mlmodel.expect", "over the budget of 5000 bytes\n");
    write_str("cases/pass/small.mlmodel.expect", "count=0\n");
    r = RUNW("test-rule", "--config", "budget.json", rule, "cases");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "FAIL pass/small.mlmodel: pass/small.mlmodel.expect: 'count=0' is not target=") != NULL);
    cli_res_free(&r);
    write_str("cases/pass/small.mlmodel.expect", "target=macOS14\n");
    r = RUNW("test-rule", "--config", "budget.json", rule, "cases");
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    char sp[PATH_MAX + 64];
    snprintf(sp, sizeof sp, "%s/cases/pass/small.mlmodel.expect", work);
    unlink(sp);
    /* target= decides: shapes/flexible-input's range note from iOS 17.4 on,
     * a warning before (a must-fire case per target) */
    char flex[PATH_MAX], flexrule[PATH_MAX];
    snprintf(flex, sizeof flex, "%s/rule-fixtures/lua/fire_flexible_two_unbounded.mlmodel", bd);
    snprintf(flexrule, sizeof flexrule, "%s/rules/shapes/flexible-input.lua", src ? src : CML_SOURCE_DIR);
    work_dirs("tcases/fire");
    work_dirs("tcases/pass");
    copy_in(flex, "tcases/fire/old.mlmodel");
    copy_in(flex, "tcases/fire/new.mlmodel");
    write_str("tcases/fire/old.mlmodel.expect", "target=iOS16\ncount=2\nlevel=warning\n");
    write_str("tcases/fire/new.mlmodel.expect", "target=iOS18\ncount=2\nreshapeFrequency = .infrequent\n");
    r = RUNW("test-rule", flexrule, "tcases");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "2 of 2 cases pass") != NULL);
    cli_res_free(&r);
    write_str("tcases/fire/new.mlmodel.expect", "target=iOS16\nreshapeFrequency = .infrequent\nlevel=note\n");
    r = RUNW("test-rule", flexrule, "tcases");
    EXPECT_CODE(r, 1);
    cli_res_free(&r);
    /* a pass case that does not load passes nothing */
    write_str("cases/pass/broken.mlmodel", "");
    r = RUNW("test-rule", rule, "cases");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "FAIL pass/broken.mlmodel: the case model does not load") != NULL);
    cli_res_free(&r);
    /* a case the folder search does not take (a link) and an .expect whose
     * model is not there fail: a suite that runs nothing must not pass */
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/cases/pass/broken.mlmodel", work);
    unlink(p);
    snprintf(p, sizeof p, "%s/cases/fire/linked.mlmodel", work);
    CHECK_INT(symlink(big, p), 0);
    write_str("cases/fire/big.mlmodel.expect", "over the budget of 5000 bytes\n");
    write_str("cases/fire/typo.mlmodel.expect", "over the budget\n");
    r = RUNW("test-rule", "--config", "budget.json", rule, "cases");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "linked.mlmodel' is a symbolic link, which a folder search does not follow") != NULL);
    CHECK(strstr(r.out, "FAIL cases/fire/typo.mlmodel.expect: there is no case model of that name beside it") != NULL);
    CHECK(strstr(r.out, "2 of 4 cases pass") != NULL);
    cli_res_free(&r);
    unlink(p);
    snprintf(p, sizeof p, "%s/cases/fire/typo.mlmodel.expect", work);
    unlink(p);
    /* check: the linked model is named, not dropped */
    snprintf(p, sizeof p, "%s/cases/fire/linked.mlmodel", work);
    CHECK_INT(symlink(big, p), 0);
    r = RUNW("--no-config", "--no-bundled", "cases");
    CHECK(strstr(r.out, "discover/skipped") != NULL || strstr(r.out, "is a symbolic link") != NULL);
    CHECK(strstr(r.out, "in 2 models") != NULL);
    cli_res_free(&r);
    unlink(p);
    write_str("cases/pass/broken.mlmodel", "");
    /* an option the loaded rule does not declare is still an error */
    write_str("typo.json", "{\"rules\": {\"house-rules/model-size-budget\": {\"options\": {\"max_byte\": 5000}}}}");
    r = RUNW("test-rule", "--config", "typo.json", rule, "cases");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "unknown option 'max_byte'") != NULL);
    cli_res_free(&r);
    /* a rule that does not load: exit 2, its real file and line */
    work_dirs("house2");
    write_str("house2/bad.lua", "return {\n  id = \"house2/bad\",\n  name = = 1,\n}\n");
    r = RUNW("test-rule", "house2/bad.lua", "cases");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "unexpected symbol near '=' (house2/bad.lua:3)") != NULL);
    cli_res_free(&r);
    r = RUNW("test-rule", rule, "house2");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "no fire/ or pass/ folder") != NULL);
    cli_res_free(&r);
    /* a rule that fails on a case: the case's line names the rule file and
     * the line, as check's notification does (it said only the message) */
    write_str("house2/oops.lua", "return { id = \"house2/oops\", name = \"Oops\", summary = \"s\", help = \"h\",\n"
                                 "  level = \"note\", check = function(model, ctx)\n"
                                 "    local n = model.metadta.author\n  end }\n");
    r = RUNW("test-rule", "house2/oops.lua", "cases");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "FAIL fire/big.mlmodel: the rule failed: model has no field 'metadta' (house2/oops.lua:3) "
                        "[rule/error]") != NULL);
    cli_res_free(&r);
}

static void test_suppression(void) {
    const char *cfg = "{\"suppressions\": [{\"rule\": \"load/protobuf-corrupt\", \"path\": \"empty.mlmodel\","
                      " \"reason\": \"an empty file on purpose\"}]}";
    write_str(".coreml-lint.json", cfg);   /* found in the working folder */
    res r = RUNW("--no-bundled", "empty.mlmodel");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "empty.mlmodel:") == NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "empty.mlmodel", "garbage.mlmodel");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "garbage.mlmodel") && !strstr(r.out, "empty.mlmodel:"));
    cli_res_free(&r);
    /* JSON keeps it, marked */
    r = RUNW("--no-bundled", "--format", "json", "empty.mlmodel");
    EXPECT_CODE(r, 0);
    cJSON *j = cJSON_Parse(r.out);
    CHECK(j != NULL);
    CHECK(has_suppressed(j));
    CHECK(strstr(r.out, "an empty file on purpose") != NULL);
    cJSON_Delete(j);
    cli_res_free(&r);
    /* a suppression that matched nothing is a note naming it and its line,
     * when its model was checked; one of a model not checked is not */
    write_str(".coreml-lint.json", "{\"suppressions\": [\n"
                                   "  {\"rule\": \"load/protobuf-corrupt\", \"path\": \"empty.mlmodel\", \"reason\": \"r1\"},\n"
                                   "  {\"rule\": \"load/spec-version\", \"path\": \"empty.mlmodel\", \"reason\": \"r2\"},\n"
                                   "  {\"rule\": \"load/*\", \"path\": \"models/*.mlmodel\", \"reason\": \"r3\"},\n"
                                   "  {\"rule\": \"nope/*\", \"reason\": \"r4\"}\n]}");
    r = RUNW("--no-bundled", "empty.mlmodel");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "suppression 2 (rule 'load/spec-version', path 'empty.mlmodel') matched no finding") != NULL);
    CHECK(strstr(r.out, ".coreml-lint.json:3)") != NULL);
    CHECK(strstr(r.out, "suppression 1 ") == NULL);  /* used */
    CHECK(strstr(r.out, "suppression 3 ") == NULL);  /* its models were not checked */
    CHECK(strstr(r.out, "suppression 4 ") == NULL);  /* no such rule is enabled */
    CHECK(strstr(r.out, "note:") != NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--format", "sarif", "empty.mlmodel", "models");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "config/unused-suppression") != NULL);
    CHECK(strstr(r.out, "suppression 3 ") == NULL);  /* models/a and b had load findings */
    cli_res_free(&r);
    /* "**" names no model by itself: a suppression of another model is not
     * called unused in a pre-commit run that checks only this one (every
     * suppression whose path began with "**" then a slash was); one naming a file inside a checked package
     * is, when it matched nothing */
    work_dirs("pkg.mlpackage/Data/com.apple.CoreML/weights");
    write_str("pkg.mlpackage/Data/com.apple.CoreML/weights/weight.bin", "");
    write_str(".coreml-lint.json", "{\"suppressions\": [\n"
                                   "  {\"rule\": \"load/*\", \"path\": \"**/other_*\", \"reason\": \"r1\"},\n"
                                   "  {\"rule\": \"load/*\", \"path\": \"**/weight.bin\", \"reason\": \"r2\"},\n"
                                   "  {\"rule\": \"load/*\", \"path\": \"**/empty.*\", \"reason\": \"r3\"}\n]}");
    r = RUNW("--no-bundled", "--keep-going", "garbage.mlmodel");
    CHECK(strstr(r.out, "suppression 1 ") == NULL);
    CHECK(strstr(r.out, "suppression 2 ") == NULL);
    CHECK(strstr(r.out, "suppression 3 ") == NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--keep-going", "pkg.mlpackage", "garbage.mlmodel");
    CHECK(strstr(r.out, "suppression 1 ") == NULL);
    CHECK(strstr(r.out, "suppression 2 (rule 'load/*', path '**/weight.bin') matched no finding") != NULL);
    CHECK(strstr(r.out, "suppression 3 ") == NULL);
    cli_res_free(&r);
    char pkgdir[PATH_MAX + 32];
    snprintf(pkgdir, sizeof pkgdir, "%s/pkg.mlpackage", work);
    tmp_remove_tree(pkgdir);
    /* a misspelt rule id in a suppression is a tool error, as under
     * "disable" (it suppressed nothing, silently); a glob of ids that names
     * no rule is a warning, wherever it is written */
    write_str(".coreml-lint.json", "{\"suppressions\": [\n"
                                   "  {\"rule\": \"load/protobuf-corupt\", \"reason\": \"r1\"}\n]}");
    r = RUNW("--no-bundled", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, ".coreml-lint.json:2: 'suppressions': unknown rule 'load/protobuf-corupt'") != NULL);
    cli_res_free(&r);
    write_str(".coreml-lint.json", "{\"disable\": [\"lod/*\"], \"suppressions\": [\n"
                                   "  {\"rule\": \"lad/*\", \"reason\": \"r1\"}\n]}");
    r = RUNW("--no-bundled", "--enable", "laod/*", "--format", "json", "empty.mlmodel");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "'disable': 'lod/*' matches no rule") && strstr(r.out, "'suppressions': 'lad/*' matches no rule") &&
          strstr(r.out, "--enable: 'laod/*' matches no rule") && strstr(r.out, "config/unmatched-pattern"));
    cli_res_free(&r);
    /* ... shown as an issue where an IDE or a CI log reads the report:
     * Xcode's FILE:LINE: error:, a GitHub annotation */
    write_str(".coreml-lint.json", "{\"suppressions\": [\n"
                                   "  {\"rule\": \"load/protobuf-corupt\", \"reason\": \"r1\"}\n]}");
    r = RUNW("--no-bundled", "--format", "xcode", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "/.coreml-lint.json:2: error: 'suppressions': unknown rule") != NULL);
    {   /* one issue: no second "coreml-lint: error:" line for the same mistake */
        const char *e1 = strstr(r.err, "error:");
        CHECK(e1 && !strstr(e1 + 1, "error:"));
    }
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--format", "github", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, ".coreml-lint.json,line=2,title=coreml-lint configuration::'suppressions': unknown rule") !=
          NULL);
    cli_res_free(&r);
    /* a warning notification on stderr is a warning, not an error */
    write_str(".coreml-lint.json", "{\"rules_dirs\": [\"house\"]}");
    r = RUNW("--no-bundled", "--format", "json", "-o", "warn.json", "empty.mlmodel");
    CHECK(strstr(r.err, "coreml-lint: warning: ") != NULL);
    CHECK(strstr(r.err, "error: warning") == NULL);
    cli_res_free(&r);
    /* a suppression without a reason is a tool error naming the key */
    write_str(".coreml-lint.json", "{\"suppressions\": [{\"rule\": \"load/*\"}]}");
    r = RUNW("--no-bundled", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "reason") && strstr(r.err, ".coreml-lint.json"));
    CHECK_STR(r.out, "");
    cli_res_free(&r);
    write_str(".coreml-lint.json", "{\n  \"taget\": \"iOS16\"\n}");
    r = RUNW("--no-bundled", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "taget") && strstr(r.err, ".coreml-lint.json:2:"));
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "empty.mlmodel");   /* --no-config ignores it */
    EXPECT_CODE(r, 1);
    cli_res_free(&r);
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/.coreml-lint.json", work);
    unlink(p);
}

/* Telling which suppressions went unused matches every one against every
 * model checked: with long path globs against a long path, that pass stops
 * at the same budget as matching the findings, and says which it did not
 * check (an older code matched them all, seconds of CPU per thousand, and
 * a config could ask for more) */
static void test_unused_suppressions_bounded(void) {
    char rel[PATH_MAX] = "deep", name[251];
    memset(name, 'a', 250);
    name[250] = 0;
    for (int i = 0; i < 10; i++) {
        size_t l = strlen(rel);
        snprintf(rel + l, sizeof rel - l, "/%s", name);
    }
    work_dirs(rel);
    size_t l = strlen(rel);
    snprintf(rel + l, sizeof rel - l, "/m.mlmodel");
    write_str(rel, "");
    enum { N = 2000 };   /* about twice what the budget checks */
    size_t cap = (size_t)N * 1900 + 64, k = 0;   /* 1,800 bytes a pattern */
    char *cfg = malloc(cap);
    CHECK(cfg != NULL);
    if (!cfg) return;
    k += (size_t)snprintf(cfg + k, cap - k, "{\"suppressions\": [");
    for (int i = 0; i < N; i++) {
        k += (size_t)snprintf(cfg + k, cap - k, "%s{\"rule\": \"load/spec-version\", \"reason\": \"r\", \"path\": \"**/",
                              i ? ", " : "");
        /* a long pattern that names the model (so each is called unused) */
        for (int j = 0; j < 100; j++) cfg[k++] = '*', cfg[k++] = 'a';
        for (int j = 0; j < 1600; j++) cfg[k++] = '*';
        k += (size_t)snprintf(cfg + k, cap - k, "/m.mlmodel\"}");
    }
    snprintf(cfg + k, cap - k, "]}");
    write_str(".coreml-lint.json", cfg);
    free(cfg);
    res r = RUNW("--no-bundled", rel);
    EXPECT_CODE(r, 1);
    size_t unused = 0;
    for (const char *q = r.out; (q = strstr(q, "matched no finding")) != NULL; q++) unused++;
    CHECK(unused > 0 && unused < N);
    char want[160];
    snprintf(want, sizeof want, "suppressions %zu to %d were not checked for use", unused + 1, N);
    CHECK(strstr(r.out, want) != NULL);
    cli_res_free(&r);
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/.coreml-lint.json", work);
    unlink(p);
}

static void test_output(void) {
    res r = RUNW("--no-bundled", "--no-config", "-o", "report.txt", "empty.mlmodel");
    EXPECT_CODE(r, 1);
    CHECK_STR(r.out, "");                                   /* the report went to the file */
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/report.txt", work);
    char *txt = cli_slurp(p, NULL);
    CHECK(txt && strstr(txt, "[load/protobuf-corrupt]"));
    free(txt);
    CHECK(strstr(r.err, "1 model") != NULL);                /* the summary on stderr */
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "-q", "-o", "report.txt", "empty.mlmodel");
    EXPECT_CODE(r, 1);
    CHECK_STR(r.err, "");
    cli_res_free(&r);
    /* stdout carries only the report: SARIF on stdout parses */
    r = RUNW("--no-bundled", "--no-config", "--format", "sarif", "empty.mlmodel", "garbage.mlmodel");
    EXPECT_CODE(r, 1);
    cJSON *j = cJSON_Parse(r.out);
    CHECK(j != NULL);
    CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "runs")));
    cJSON_Delete(j);
    /* same inputs, same bytes */
    res r2 = RUNW("--no-bundled", "--no-config", "--format", "sarif", "empty.mlmodel", "garbage.mlmodel");
    CHECK_STR(r2.out, r.out);
    cli_res_free(&r2);
    cli_res_free(&r);
    /* colour only when asked (stdout here is a file) */
    r = RUNW("--no-bundled", "--no-config", "empty.mlmodel");
    CHECK(strchr(r.out, '\033') == NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "--color", "empty.mlmodel");
    CHECK(strchr(r.out, '\033') != NULL);
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "--format", "github", "empty.mlmodel");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "::error") != NULL);
    cli_res_free(&r);
}

static void test_fixtures(void) {
    if (!*examples) {
        fprintf(stderr, "  (build/examples/broken not written yet: fixture checks skipped)\n");
        return;
    }
    res r = run_in(examples, (const char *const[]){"--no-bundled", "--no-config", "truncated.mlmodel",
                                                   "wrong_magic.mlmodel", NULL});
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "truncated.mlmodel") && strstr(r.out, "wrong_magic.mlmodel"));
    cli_res_free(&r);
    r = run_in(examples, (const char *const[]){"--no-bundled", "--no-config", "--format", "sarif",
                                               "blob_offset_out_of_range.mlpackage", "bad_manifest.mlpackage", NULL});
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "load/weight-blob") && strstr(r.out, "load/package-manifest"));
    cli_res_free(&r);
    r = run_in(examples, (const char *const[]){"--no-bundled", "--no-config", "--disable", "load/*", "--enable",
                                               "load/compiled-by-newer-coremlc", ".", NULL});
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    /* the unreferenced blob is a note: exit 0 unless --fail-on note */
    r = run_in(examples, (const char *const[]){"--no-bundled", "--no-config", "unreferenced_blob.mlpackage", NULL});
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "load/weight-blob-unreferenced") != NULL);
    cli_res_free(&r);
    r = run_in(examples, (const char *const[]){"--no-bundled", "--no-config", "--fail-on", "note",
                                               "unreferenced_blob.mlpackage", NULL});
    EXPECT_CODE(r, 1);
    cli_res_free(&r);
}

/* inspect states facts, unknowns as unknown (issue #11): a spec-1 Create ML
 * pipeline runs from iOS 12 because of its spec-3 stage, and says so; the
 * Neural Engine coverage of Apple's feature print is unknown, not 0; a
 * compiled NeuralNetwork is updatable and its layers are unknown, not 0. */
static void test_inspect_facts(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    char truth[PATH_MAX];
    snprintf(truth, sizeof truth, "%s/rule-fixtures/truth", bd ? bd : ".");
    res r = run_in(truth, (const char *const[]){"inspect", "vfp_image_classifier.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "spec version:  1\n"));
    CHECK(strstr(r.out, "minimum OS:    iOS 12.0, macOS 10.14") && strstr(r.out, "(sub-model model0 is specification 3)"));
    /* Apple's Vision feature print does not exist on watchOS (coremlc writes "unavailable" there) */
    CHECK(strstr(r.out, "tvOS 12.0, watchOS unavailable, visionOS 1.0"));
    cli_res_free(&r);
    r = run_in(truth, (const char *const[]){"inspect", "--format", "json", "vfp_image_classifier.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    cJSON *j = cJSON_Parse(r.out);
    const cJSON *m = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(m, "ane_op_coverage_pct")));
    CHECK(cJSON_IsString(cJSON_GetObjectItem(m, "ane_op_coverage_unknown")));
    const cJSON *os = cJSON_GetObjectItem(m, "minimum_os");
    CHECK(os && cJSON_IsString(cJSON_GetObjectItem(os, "iOS")) &&
          !strcmp(cJSON_GetObjectItem(os, "iOS")->valuestring, "12.0"));
    cJSON_Delete(j);
    cli_res_free(&r);
    r = run_in(truth, (const char *const[]){"inspect", "retrained_updatable.mlmodelc", NULL});
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "updatable:     yes") && strstr(r.out, "layers unknown"));
    CHECK(!strstr(r.out, "0 layers"));
    cli_res_free(&r);
    /* a one-hot encoder and a dict vectorizer by their keys, not by the
     * IR's attribute count (a public Turi Create text classifier's 2886
     * words read "2 attribute(s)") */
    char probe_dir[PATH_MAX];
    snprintf(probe_dir, sizeof probe_dir, "%s/rule-fixtures/probe", bd ? bd : ".");
    r = run_in(probe_dir, (const char *const[]){"inspect", "classic_strings.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "type:          oneHotEncoder\n") && strstr(r.out, "parameters:    3 string categories\n"));
    CHECK(strstr(r.out, "type:          dictVectorizer\n") && strstr(r.out, "parameters:    2 string key(s)\n"));
    CHECK(!strstr(r.out, "attribute(s)"));
    cli_res_free(&r);
    /* inline constants are the numbers a program holds in itself: the 19
     * const ops of tiny_mlprogram less the 4 in its weight file and the 2
     * strings ("custom" padding), not every op's name (which read 40, and 4
     * for a stateful program with no const op at all) */
    char ex[PATH_MAX];
    snprintf(ex, sizeof ex, "%s/examples", bd ? bd : ".");
    r = run_in(ex, (const char *const[]){"inspect", "tiny_mlprogram.mlpackage", NULL});
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "\ninline constants: 13 (120 B)\n") != NULL);
    cli_res_free(&r);
    r = run_in(ex, (const char *const[]){"inspect", "tiny_stateful.mlpackage", NULL});
    EXPECT_CODE(r, 0);
    CHECK(!strstr(r.out, "inline constants"));
    cli_res_free(&r);
    /* a pipeline's compressed weights are its stages' (a YOLO export with a
     * palettized detector stage read "compression: none") */
    r = run_in(truth, (const char *const[]){"inspect", "pipeline_compressed.mlpackage", NULL});
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "\ncompression: 3 weights\n") && strstr(r.out, "pipeline[0]/main/conv_0_weight_to_fp16_palettized"));
    cli_res_free(&r);
    /* and check reports nothing but the analysis limit on it */
    r = run_in(truth, (const char *const[]){"--no-config", "--fail-on", "warning", "retrained_updatable.mlmodelc", NULL});
    EXPECT_CODE(r, 0);
    CHECK(!strstr(r.out, "error:") && !strstr(r.out, "warning:"));
    cli_res_free(&r);
}

/* A custom layer is one warning: custom/custom-layer says it never runs
 * on the Neural Engine, so ane/unsupported-op's finding about the same
 * layers is folded into it (confirmed_by), and stands alone only with
 * custom/custom-layer off. Its count of segments says "one segment" when
 * every op is custom, not "splits into 1". */
static void test_custom_layer_once(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    char lua[PATH_MAX];
    snprintf(lua, sizeof lua, "%s/rule-fixtures/lua", bd ? bd : ".");
    if (access(lua, R_OK) != 0) {
        fprintf(stderr, "  (rule-fixtures not written yet: skipped)\n");
        return;
    }
    res r = run_in(lua, (const char *const[]){"--no-config", "--no-color", "fire_custom_layers_one_class.mlmodel",
                                              NULL});
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "[custom/custom-layer]\n") != NULL);
    CHECK(strstr(r.out, "[ane/unsupported-op]") == NULL);
    CHECK(strstr(r.out, "\n    confirmed by ane/unsupported-op: 2 custom ops likely run outside the Neural "
                        "Engine") != NULL);
    CHECK(strstr(r.out, "The whole graph is one CPU/GPU segment.") != NULL);
    CHECK(strstr(r.out, "0 errors, 1 warning, 0 notes in 1 model") != NULL);
    cli_res_free(&r);
    r = run_in(lua, (const char *const[]){"--no-config", "--no-color", "--disable", "custom/custom-layer",
                                          "fire_custom_layers_one_class.mlmodel", NULL});
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "2 custom ops likely run outside the Neural Engine") != NULL);
    CHECK(strstr(r.out, "[ane/unsupported-op]\n") != NULL);
    cli_res_free(&r);
}

static void test_rules_command(void) {
    res r = RUNW("rules", "--no-bundled");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "load/protobuf-corrupt") && strstr(r.out, "builtin") && strstr(r.out, "error"));
    /* sorted */
    const char *a = strstr(r.out, "load/compiled-by-newer-coremlc"), *b = strstr(r.out, "load/weight-blob-unreferenced");
    CHECK(a && b && a < b);
    cli_res_free(&r);
    r = RUNW("rules", "--no-bundled", "load/spec-version");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "SpecVersion") && strstr(r.out, "**Fix.**") && strstr(r.out, "tags:"));
    cli_res_free(&r);
    r = RUNW("rules", "--no-bundled", "--no-config", "--disable", "load/compiled-limited", "load/*");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "load/compiled-limited") && strstr(r.out, "off"));
    cli_res_free(&r);
    r = RUNW("rules", "--no-bundled", "nope/nothing");
    EXPECT_CODE(r, 2);
    cli_res_free(&r);
}

/* One flag table: the top-level help lists every command and every flag;
 * a command's help lists its own flags only; unknown flags get a
 * suggestion; another command's flag says whose it is. */
static void test_help(void) {
    res top = RUNW("--help");
    EXPECT_CODE(top, 0);
    static const char *const cmds[] = {"check", "inspect", "rules", "probe", "compare", "test-rule"};
    static const char *const flags[] = {"--format", "--output", "--fail-on", "--baseline", "--config", "--no-config",
                                        "--target", "--limit", "--enable", "--disable", "--rules-dir", "--plugin",
                                        "--no-bundled", "--threads", "--runs", "--input", "--save-outputs",
                                        "--timeout", "--memory-limit", "--seed", "--function", "--no-coreml",
                                        "--quiet", "--version", "--markdown", "--timestamps", "--color", "--profile"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) CHECK(strstr(top.out, cmds[i]) != NULL);
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) CHECK(strstr(top.out, flags[i]) != NULL);
    cli_res_free(&top);
    res r = RUNW("inspect", "--help");
    EXPECT_CODE(r, 0);
    CHECK(!strncmp(r.out, "usage: coreml-lint inspect", 26));
    CHECK(strstr(r.out, "--format") && !strstr(r.out, "--threads") && !strstr(r.out, "--enable"));
    cli_res_free(&r);
    r = RUNW("probe", "--help");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "--threads") && strstr(r.out, "--enable") && !strstr(r.out, "--markdown"));
    cli_res_free(&r);
    /* every command's help is its own (manpage once printed completion's) */
    static const char *const all[] = {"check", "inspect", "rules", "probe", "compare", "test-rule", "completion",
                                      "manpage"};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        char want[64];
        snprintf(want, sizeof want, "usage: coreml-lint %s", all[i]);
        r = RUNW(all[i], "--help");
        EXPECT_CODE(r, 0);
        CHECK(!strncmp(r.out, want, strlen(want)));
        cli_res_free(&r);
    }
    /* a mistyped command is read as a path to check: say which it looks like */
    r = RUNW("chek", "Models");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "'chek' does not exist; did you mean the command 'check'?") != NULL);
    cli_res_free(&r);
    r = RUNW("check", "chek");   /* a command given: the word is a path */
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "'chek' does not exist") && !strstr(r.err, "did you mean"));
    cli_res_free(&r);
    r = RUNW("help", "compare");
    EXPECT_CODE(r, 0);
    CHECK(!strncmp(r.out, "usage: coreml-lint compare", 26));
    cli_res_free(&r);
    r = RUNW("check", "--formt", "sarif", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "did you mean --format?") != NULL);
    cli_res_free(&r);
    r = RUNW("check", "--threads", "2", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "--threads is an option of probe and compare, not of check") != NULL);
    cli_res_free(&r);
    r = RUNW("inspect", "--format", "sarif", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    cli_res_free(&r);
    r = RUNW("check", "--limit", "lua_memory_mb=0", "empty.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "lua_memory_mb") != NULL);
    cli_res_free(&r);
    r = RUNW("--version");
    CHECK(strstr(r.out, "plugin ABI 1") != NULL);
    /* version, commit, ABI; then where the bundled rules and plugins are */
    CHECK(strstr(r.out, "coreml-lint " CML_VERSION " (commit ") == r.out);
    CHECK(strstr(r.out, "\nrules:   /") != NULL && strstr(r.out, "\nplugins: /") != NULL);
    cli_res_free(&r);
    /* rules as JSON: every rule once, with its level and options */
    r = RUNW("rules", "--no-bundled", "--format", "json");
    EXPECT_CODE(r, 0);
    cJSON *j = cJSON_Parse(r.out);
    CHECK(cJSON_IsArray(j) && cJSON_GetArraySize(j) >= 10);
    const cJSON *first = cJSON_GetArrayItem(j, 0);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(first, "id")) && cJSON_IsString(cJSON_GetObjectItem(first, "level")) &&
          cJSON_IsArray(cJSON_GetObjectItem(first, "options")));
    cJSON_Delete(j);
    cli_res_free(&r);
}

/* Files under rel (a folder) of tree a that are missing from, or differ in,
 * tree b; with both_ways, also files of b missing from a. Counts and names
 * them on stderr. */
static size_t tree_diff(const char *a, const char *b, const char *rel, bool both_ways) {
    char pa[PATH_MAX * 2 + 8], pb[PATH_MAX * 2 + 8];
    snprintf(pa, sizeof pa, "%s/%s", a, rel);
    DIR *d = opendir(pa);
    if (!d) return 0;
    size_t bad = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char r[PATH_MAX];
        snprintf(r, sizeof r, "%s/%s", rel, e->d_name);
        snprintf(pa, sizeof pa, "%s/%s", a, r);
        snprintf(pb, sizeof pb, "%s/%s", b, r);
        struct stat st;
        if (stat(pa, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            bad += tree_diff(a, b, r, both_ways);
            continue;
        }
        char *x = cli_slurp(pa, NULL), *y = cli_slurp(pb, NULL);
        if (!y) fprintf(stderr, "  %s: %s has it, %s does not\n", r, a, b);
        else if (both_ways && (!x || strcmp(x, y))) fprintf(stderr, "  %s differs\n", r);
        bad += !y || (both_ways && (!x || strcmp(x, y)));
        free(x);
        free(y);
    }
    closedir(d);
    return bad;
}

/* docs/rules.md and docs/rules/<category>/<name>.md are generated from the
 * rules' declarations: they must equal what `rules --docs` writes now (no
 * page missing, stale or left over from a removed rule), and `rules
 * --markdown [ID]` prints the same index and pages. */
static void test_rules_doc_current(void) {
    const char *src = getenv("CML_SOURCE_DIR");
    char docs[PATH_MAX], gen[PATH_MAX + 16], p[PATH_MAX + 64];
    snprintf(docs, sizeof docs, "%s/docs", src ? src : CML_SOURCE_DIR);
    snprintf(gen, sizeof gen, "%s/gendocs", work);
    res r = RUNW("rules", "--docs", gen);
    EXPECT_CODE(r, 0);
    cli_res_free(&r);
    snprintf(p, sizeof p, "%s/rules.md", gen);
    char *idx = cli_slurp(p, NULL);
    snprintf(p, sizeof p, "%s/rules.md", docs);
    char *doc = cli_slurp(p, NULL);
    size_t bad = tree_diff(gen, docs, "rules", true) + tree_diff(docs, gen, "rules", false);
    if (!idx || !doc || strcmp(idx, doc)) {
        fprintf(stderr, "  rules.md differs\n");
        bad++;
    }
    if (bad)
        fprintf(stderr, "  docs/ is not the output of `coreml-lint rules --docs docs` (%zu files).\n"
                        "  Regenerate: rm -r docs/rules && build/coreml-lint rules --docs docs\n", bad);
    CHECK_INT(bad, 0);
    /* 50 pages: one per rule */
    r = RUNW("rules", "--no-config");
    size_t n_rules = 0;
    for (const char *l = r.out; *l; l++) n_rules += *l == '\n';
    cli_res_free(&r);
    CHECK(n_rules >= 50);
    r = RUNW("rules", "--markdown");
    EXPECT_CODE(r, 0);
    CHECK(idx && !strcmp(r.out, idx));
    CHECK(strstr(r.out, "| [`load/spec-version`](rules/load/spec-version.md) | error | very-high | builtin |") != NULL);
    cli_res_free(&r);
    r = RUNW("rules", "--markdown", "ane/unsupported-op");
    EXPECT_CODE(r, 0);
    snprintf(p, sizeof p, "%s/rules/ane/unsupported-op.md", docs);
    char *page = cli_slurp(p, NULL);
    CHECK(page && !strcmp(r.out, page));
    CHECK(strstr(r.out, "# ane/unsupported-op\n") == r.out);
    CHECK(strstr(r.out, "| Precision | medium |") != NULL); /* tagged estimate */
    free(page);
    cli_res_free(&r);
    free(idx);
    free(doc);
    tmp_remove_tree(gen);
}

int main(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    if (!bd) SKIP_ALL("CML_BUILD_DIR is not set (run through ctest)");
    snprintf(bin, sizeof bin, "%s/coreml-lint", bd);
    if (access(bin, X_OK) != 0) SKIP_ALL("the coreml-lint binary is not built");
    snprintf(examples, sizeof examples, "%s/examples/broken", bd);
    struct stat st;
    if (stat(examples, &st) != 0 || !S_ISDIR(st.st_mode)) examples[0] = 0;
    setup();
    RUN(test_usage_errors);
    RUN(test_exit_codes);
    RUN(test_files_of_a_package);
    RUN(test_marked_folder_hides_nothing);
    RUN(test_broken_rule);
    RUN(test_rules_dir_twice);
    RUN(test_rules_dir_nested);
    RUN(test_options_typo);
    RUN(test_rules_validate_and_docs);
    RUN(test_report_flood);
    RUN(test_rules_doc_config);
    RUN(test_profile);
    RUN(test_xcode_target);
    RUN(test_test_rule);
    RUN(test_fail_on);
    RUN(test_rule_set);
    RUN(test_histogram_bound);
    RUN(test_baseline);
    RUN(test_source_root);
    RUN(test_suppression);
    RUN(test_unused_suppressions_bounded);
    RUN(test_output);
    RUN(test_fixtures);
    RUN(test_rules_command);
    RUN(test_inspect_facts);
    RUN(test_custom_layer_once);
    RUN(test_help);
    RUN(test_rules_doc_current);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", work);
    return CHECK_DONE();
}

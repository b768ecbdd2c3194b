/* test_check_cli.c — the `check` and `rules` commands end to end: the
 * built binary ($CML_BUILD_DIR/coreml-lint) is run with fork/exec in a
 * temporary folder holding broken models of our own (an empty file,
 * garbage bytes, a package without a manifest) and, when the fixture
 * writer has run, the build's examples/broken models. Checked: exit codes
 * 0/1/2, --fail-on and the config's fail_on, --baseline dropping known
 * findings and keeping new ones, --disable load/..., a suppression, -o,
 * unknown flags, bad configs, stdout carrying only the report, identical
 * bytes on a second run, folders searched, and that docs/rules.md is the
 * current output of `coreml-lint rules --markdown`. */
#define _DEFAULT_SOURCE
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

#define EXPECT_CODE(r, want)                                                                         \
    do {                                                                                             \
        if ((r).code != (want)) {                                                                    \
            fprintf(stderr, "  exit %d, wanted %d\n  stdout: %.2000s\n  stderr: %.2000s\n", (r).code, \
                    (want), (r).out, (r).err);                                                       \
        }                                                                                            \
        CHECK_INT((r).code, (want));                                                                 \
    } while (0)

static void setup(void) {
    strcpy(work, "/tmp/cml-cli-XXXXXX");
    if (!mkdtemp(work)) {
        perror("mkdtemp");
        exit(1);
    }
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
    r = RUNW("--no-bundled", "--no-config", "--disable", "load/*", "empty.mlmodel", "garbage.mlmodel");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "[load/") == NULL);
    cli_res_free(&r);
    /* a folder is searched for models */
    r = RUNW("--no-bundled", "--no-config", "--format", "json", "models");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "models/a.mlmodel") && strstr(r.out, "models/b.mlmodel"));
    cli_res_free(&r);
    /* a folder without models: nothing to report */
    r = RUNW("--no-bundled", "--no-config", "clean");
    EXPECT_CODE(r, 0);
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

static void test_baseline(void) {
    res r = RUNW("--no-bundled", "--no-config", "--format", "sarif", "-o", "base.sarif", "empty.mlmodel",
                 "garbage.mlmodel");
    EXPECT_CODE(r, 1);
    CHECK_STR(r.out, "");
    cli_res_free(&r);
    r = RUNW("--no-bundled", "--no-config", "--baseline", "base.sarif", "empty.mlmodel", "garbage.mlmodel");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "[load/") == NULL);
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

/* Any object in j with "suppressed": true? */
static bool has_suppressed(const cJSON *j) {
    if (!j) return false;
    if (cJSON_IsObject(j) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "suppressed"))) return true;
    for (const cJSON *c = j->child; c; c = c->next)
        if (has_suppressed(c)) return true;
    return false;
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
    r = run_in(examples, (const char *const[]){"--no-bundled", "--no-config", "--disable", "load/*", ".", NULL});
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
    /* and check reports nothing but the analysis limit on it */
    r = run_in(truth, (const char *const[]){"--no-config", "--fail-on", "warning", "retrained_updatable.mlmodelc", NULL});
    EXPECT_CODE(r, 0);
    CHECK(!strstr(r.out, "error:") && !strstr(r.out, "warning:"));
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
    static const char *const cmds[] = {"check", "inspect", "rules", "probe", "compare"};
    static const char *const flags[] = {"--format", "--output", "--fail-on", "--baseline", "--config", "--no-config",
                                        "--target", "--limit", "--enable", "--disable", "--rules-dir", "--plugin",
                                        "--no-bundled", "--threads", "--runs", "--input", "--save-outputs",
                                        "--timeout", "--memory-limit", "--seed", "--function", "--no-coreml",
                                        "--quiet", "--version", "--markdown", "--timestamps", "--color"};
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

/* docs/rules.md is generated: it must equal the current output. */
static void test_rules_doc_current(void) {
    const char *src = getenv("CML_SOURCE_DIR");
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/docs/rules.md", src ? src : CML_SOURCE_DIR);
    char *doc = cli_slurp(p, NULL);
    res r = RUNW("rules", "--markdown");
    EXPECT_CODE(r, 0);
    if (!doc || strcmp(doc, r.out) != 0) {
        fprintf(stderr, "  docs/rules.md is %s the output of `coreml-lint rules --markdown`.\n"
                        "  Regenerate it: build/coreml-lint rules --markdown > docs/rules.md\n",
                doc ? "not" : "missing; it must be");
        CHECK(0);
    }
    free(doc);
    cli_res_free(&r);
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
    RUN(test_fail_on);
    RUN(test_baseline);
    RUN(test_suppression);
    RUN(test_output);
    RUN(test_fixtures);
    RUN(test_rules_command);
    RUN(test_inspect_facts);
    RUN(test_help);
    RUN(test_rules_doc_current);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", work);
    return CHECK_DONE();
}

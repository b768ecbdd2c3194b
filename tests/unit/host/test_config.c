/* SPDX-License-Identifier: Apache-2.0 */
/* test_config.c — `.coreml-lint.json` (config.c): found upward from a
 * temporary working directory; strict parsing (unknown keys anywhere name
 * the key, the file and the line; suppressions need a reason; targets are
 * validated); application to a registry (glob and exact levels, the most
 * specific pattern winning, level none, enable/disable and the command
 * line on top, option names and types checked against each rule's
 * declared options, defaults kept); path globs for exclude and
 * suppressions; and the JSON Schema: it lists every key the parser
 * accepts and validates the example configuration (a small validator for
 * the subset of draft 2020-12 the schema uses). */
#define _DEFAULT_SOURCE
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli/sources.h"
#include "host/ctx.h"
#include "host/lua/engine.h"
#include "host/run.h"
#include "host/so/engine.h"
#include "host/util.h"
#include "tmptree.h"

static int parse_text(config *c, const char *json, char *err, size_t errlen) {
    return config_parse(c, json, strlen(json), "test.json", "/cfgdir", err, errlen);
}

/* The parse fails and the message contains every needle. */
static void expect_error(const char *json, const char *const *needles, size_t n) {
    config c;
    char err[1024] = "";
    int rc = parse_text(&c, json, err, sizeof err);
    CHECK_INT(rc, -1);
    for (size_t i = 0; i < n; i++)
        if (!strstr(err, needles[i])) {
            fprintf(stderr, "  error message '%s' lacks '%s' (config %s)\n", err, needles[i], json);
            CHECK(0);
        }
    config_free(&c);
}

#define EXPECT_ERROR(json, ...)                                                                    \
    do {                                                                                           \
        const char *const needles_[] = {__VA_ARGS__};                                              \
        expect_error(json, needles_, sizeof needles_ / sizeof *needles_);                          \
    } while (0)

static void test_find_upward(void) {
    char root[64];
    CHECK(tmp_make_dir(root, sizeof root, "cml-cfg-") != NULL);
    char deep[PATH_MAX], cfgpath[PATH_MAX], old[PATH_MAX];
    snprintf(deep, sizeof deep, "%s/a/b/c", root);
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/a", root);
    mkdir(tmp, 0700);
    snprintf(tmp, sizeof tmp, "%s/a/b", root);
    mkdir(tmp, 0700);
    mkdir(deep, 0700);
    snprintf(cfgpath, sizeof cfgpath, "%s/a/.coreml-lint.json", root);
    FILE *f = fopen(cfgpath, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("{\n  \"target\": \"iOS17\",\n  \"rules_dirs\": [\"house\"]\n}\n", f);
    fclose(f);
    CHECK(getcwd(old, sizeof old) != NULL);
    CHECK_INT(chdir(deep), 0);
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char *found = config_find(cwd);
    char real[PATH_MAX];
    CHECK(realpath(cfgpath, real) != NULL);
    CHECK_STR(found, real);
    config c;
    char err[1024];
    CHECK_INT(config_load(&c, found, err, sizeof err), 0);
    CHECK_STR(c.target, "iOS17");
    /* relative rule folders resolve against the file's folder */
    char want[PATH_MAX + 16];
    char rdir[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/a", root);
    CHECK(realpath(tmp, rdir) != NULL);
    snprintf(want, sizeof want, "%s/house", rdir);
    CHECK_INT(c.n_rules_dirs, 1);
    if (c.n_rules_dirs) CHECK_STR(c.rules_dirs[0], want);
    config_free(&c);
    free(found);
    /* the file closest to the working directory wins */
    char near[PATH_MAX + 32];
    snprintf(near, sizeof near, "%s/.coreml-lint.json", deep);
    f = fopen(near, "w");
    if (f) {
        fputs("{}", f);
        fclose(f);
    }
    found = config_find(cwd);
    CHECK(found && strstr(found, "/a/b/c/.coreml-lint.json"));
    free(found);
    unlink(near);
    /* without one above root's a/, nothing is found from root itself
     * (unless some parent of /tmp has one, which the test cannot control) */
    CHECK_INT(chdir(old), 0);
    unlink(cfgpath);
    rmdir(deep);
    snprintf(tmp, sizeof tmp, "%s/a/b", root);
    rmdir(tmp);
    snprintf(tmp, sizeof tmp, "%s/a", root);
    rmdir(tmp);
    found = config_find(root);
    CHECK(!found || !strstr(found, root));
    free(found);
    rmdir(root);
}

static void test_parse_ok(void) {
    const char *json = "{\n"
                       "  \"$schema\": \"x\",\n"
                       "  \"enable\": [\"ane/*\", \"load/weight-blob\"],\n"
                       "  \"disable\": [\"load/compiled-limited\"],\n"
                       "  \"rules\": {\"ane/*\": {\"level\": \"note\"}, \"t/a\": {\"options\": {\"limit\": 3}}},\n"
                       "  \"target\": \"macOS14\",\n"
                       "  \"rules_dirs\": [\"r\", \"/abs/r\"],\n"
                       "  \"plugins\": [\"p.so\"],\n"
                       "  \"exclude\": [\"./vendor/\", \"**/Pods/**\"],\n"
                       "  \"suppressions\": [{\"rule\": \"ane/*\", \"path\": \"./models/*.mlpackage\", \"op\": \"main/*\","
                       " \"reason\": \"measured\"}],\n"
                       "  \"fail_on\": \"warning\"\n"
                       "}\n";
    config c;
    char err[1024] = "";
    CHECK_INT(parse_text(&c, json, err, sizeof err), 0);
    if (*err) fprintf(stderr, "  %s\n", err);
    CHECK_INT(c.n_enable, 2);
    CHECK_INT(c.n_disable, 1);
    CHECK_INT(c.n_rules, 2);
    CHECK_STR(c.rules[0].pattern, "ane/*");
    CHECK_INT(c.rules[0].level, LEVEL_NOTE);
    CHECK_INT(c.rules[0].line, 5);
    CHECK_INT(c.rules[1].level, -1);
    CHECK(cJSON_IsObject(c.rules[1].options));
    CHECK_STR(c.target, "macOS14");
    CHECK_STR(c.rules_dirs[0], "/cfgdir/r");
    CHECK_STR(c.rules_dirs[1], "/abs/r");
    CHECK_STR(c.plugins[0], "/cfgdir/p.so");
    CHECK_STR(c.exclude[0], "vendor");
    CHECK_INT(c.n_supps, 1);
    CHECK_STR(c.supps[0].path, "models/*.mlpackage");
    CHECK_STR(c.supps[0].reason, "measured");
    CHECK_INT(c.fail_on, LEVEL_WARNING);
    config_free(&c);
}

/* A flag that sets a configuration key (config_set): over the file's value,
 * checked as the file's is, its messages naming the flag, not a line. */
static void test_config_set(void) {
    config c;
    char err[512] = "";
    const char *text = "{\"fail_on\": \"note\", \"target\": \"iOS16\"}";
    CHECK_INT(config_parse(&c, text, strlen(text), "test.json", "/tmp", err, sizeof err), 0);
    CHECK_INT(c.fail_on, LEVEL_NOTE);
    cJSON *v = cJSON_CreateString("error");
    CHECK_INT(config_set(&c, "fail_on", v, "--fail-on", err, sizeof err), 0);
    CHECK_INT(c.fail_on, LEVEL_ERROR);
    cJSON_SetValuestring(v, "fatal");
    CHECK_INT(config_set(&c, "fail_on", v, "--fail-on", err, sizeof err), -1);
    CHECK_STR(err, "--fail-on must be \"note\", \"warning\" or \"error\", not 'fatal'");
    CHECK_INT(c.fail_on, LEVEL_ERROR);
    cJSON_SetValuestring(v, "macOS13");
    CHECK_INT(config_set(&c, "target", v, "--some-target", err, sizeof err), 0);
    CHECK_STR(c.target, "macOS13");
    CHECK_INT(config_set(&c, "fail_onn", v, "--x", err, sizeof err), -1);
    CHECK(strstr(err, "fail_onn") != NULL);
    /* a list or an object is the file's alone: a flag would leak or drop it */
    CHECK_INT(config_set(&c, "exclude", v, "--x", err, sizeof err), -1);
    CHECK_STR(err, "--x: no configuration key 'exclude' that a flag can set");
    CHECK_INT(config_set(&c, "extends", v, "--x", err, sizeof err), -1);
    cJSON_Delete(v);
    /* after a flag, the file's messages still name the file and line */
    config_free(&c);
    EXPECT_ERROR("{\n\"fail_on\": \"fatal\"}", "test.json:2:", "'fail_on' must be");
    /* the unknown key's list is the parser's table */
    EXPECT_ERROR("{\"x\": 1}", "allowed: extends, enable, disable, rules, target, rules_dirs, plugins, exclude, "
                                "suppressions, fail_on, limits)");
}

static void test_parse_errors(void) {
    /* unknown keys name the key, the file and the line */
    EXPECT_ERROR("{\n  \"target\": \"iOS16\",\n  \"enabel\": []\n}", "enabel", "test.json:3:");
    EXPECT_ERROR("{\"rules\": {\"ane/x\": {\n\"lvl\": \"note\"}}}", "'lvl'", "rules.ane/x", "test.json:2:");
    EXPECT_ERROR("{\"suppressions\": [{\"rule\": \"a/b\", \"reason\": \"r\", \"why\": \"?\"}]}", "'why'", "test.json:1:");
    /* suppressions need a rule and a non-blank reason */
    EXPECT_ERROR("{\"suppressions\": [{\"rule\": \"a/b\"}]}", "reason");
    EXPECT_ERROR("{\"suppressions\": [{\"rule\": \"a/b\", \"reason\": \"  \"}]}", "reason");
    /* each at its line: the suppression's own, or its blank reason's */
    EXPECT_ERROR("{\"suppressions\": [\n  {\"rule\": \"a/b\", \"reason\": \"r\"},\n  {\"rule\": \"a/c\"}]}",
                 "test.json:3:", "suppression 2 (rule 'a/c') needs a 'reason'");
    EXPECT_ERROR("{\"suppressions\": [{\n  \"rule\": \"a/b\",\n  \"reason\": \"\"}]}", "test.json:3:", "needs a 'reason'");
    EXPECT_ERROR("{\"suppressions\": [{\"reason\": \"because\"}]}", "'rule'");
    EXPECT_ERROR("{\"suppressions\": [{\"rule\": \"Not An Id\", \"reason\": \"r\"}]}", "Not An Id");
    /* targets */
    EXPECT_ERROR("{\"target\": \"ios16\"}", "target", "ios16");
    EXPECT_ERROR("{\"target\": 16}", "target");
    /* types and values */
    EXPECT_ERROR("{\"enable\": \"ane/*\"}", "'enable'", "array");
    EXPECT_ERROR("{\"disable\": [\"ANE/x\"]}", "ANE/x");
    EXPECT_ERROR("{\"rules\": {\"ane/x\": {\"level\": \"fatal\"}}}", "level");
    EXPECT_ERROR("{\"rules\": {\"ane/x\": {\"options\": 3}}}", "options");
    EXPECT_ERROR("{\"rules\": {\"bad id\": {}}}", "bad id");
    EXPECT_ERROR("{\"fail_on\": \"none\"}", "fail_on");
    EXPECT_ERROR("{\"exclude\": [3]}", "exclude");
    EXPECT_ERROR("[]", "object");
    EXPECT_ERROR("{\"target\": \"iOS16\", \"target\": \"iOS17\"}", "twice");
    EXPECT_ERROR("{\n\n  \"target\": \"iOS16\",,\n}", "test.json:3:", "JSON");
    /* a syntax error says the line, the column and the usual mistake */
    EXPECT_ERROR("{\"fail_on\": \"warning\",\n}", "test.json:2:1: not valid JSON: a comma before '}' (JSON allows no "
                 "trailing comma)");
    EXPECT_ERROR("{'fail_on': 1}", "test.json:1:", "a single quote (JSON strings take double quotes)");
    EXPECT_ERROR("// house config\n{}", "test.json:1:1: not valid JSON: a comment (JSON has none)");
    EXPECT_ERROR("{\"rules\": {", "the text ends before the value does");
    EXPECT_ERROR("{\"a\": x, \"b\": {", "test.json:1:7: not valid JSON: unexpected 'x'");
    EXPECT_ERROR("{\"fail_on\": \"warning\" \"target\": \"iOS17\"}", "test.json:1:", "unexpected '\"'");
    EXPECT_ERROR("{\"fail_on\": \"warning\"}}\n", "test.json:1:23: not valid JSON: text after the end of the value");
}

/* Large configurations parse in time linear-ish in their size: each rule
 * and suppression once looked its line up, and each rule its duplicates,
 * among all keys (100k rules: seconds of strcmp). The results, the line
 * numbers and the duplicate message stay what they were. */
static void test_parse_many(void) {
    enum { N = 100000 };
    size_t cap = (size_t)N * 48 + 256, o = 0;
    char *json = malloc(cap);
    CHECK(json != NULL);
    if (!json) return;
    /* line 1 "{", line 2 "\"rules\": {", rule i on line 3 + i */
    o += (size_t)snprintf(json + o, cap - o, "{\n\"rules\": {\n");
    for (int i = 0; i < N; i++)
        o += (size_t)snprintf(json + o, cap - o, "\"x/a%d\": {\"level\": \"note\"}%s\n", i, i + 1 < N ? "," : "");
    o += (size_t)snprintf(json + o, cap - o, "}}\n");
    config c;
    char err[1024] = "";
    CHECK_INT(parse_text(&c, json, err, sizeof err), 0);
    if (*err) fprintf(stderr, "  %s\n", err);
    CHECK_INT(c.n_rules, N);
    if (c.n_rules == N) {
        CHECK_STR(c.rules[0].pattern, "x/a0");
        CHECK_INT(c.rules[0].line, 3);
        CHECK_STR(c.rules[N - 1].pattern, "x/a99999");
        CHECK_INT(c.rules[N - 1].line, 3 + N - 1);
        CHECK_INT(c.rules[54321].line, 3 + 54321);
    }
    config_free(&c);

    /* a duplicate at the very end: the message gives the key's first line */
    o = 0;
    o += (size_t)snprintf(json + o, cap - o, "{\n\"rules\": {\n");
    for (int i = 0; i < N; i++) o += (size_t)snprintf(json + o, cap - o, "\"x/a%d\": {},\n", i);
    o += (size_t)snprintf(json + o, cap - o, "\"x/a77\": {}\n}}\n");
    CHECK_INT(parse_text(&c, json, err, sizeof err), -1);
    CHECK_STR(err, "test.json:80: rule 'x/a77' appears twice in 'rules'");
    config_free(&c);

    /* suppressions: each one's line is the line of its 'rule' key */
    o = 0;
    o += (size_t)snprintf(json + o, cap - o, "{\"suppressions\": [\n");
    for (int i = 0; i < N; i++)
        o += (size_t)snprintf(json + o, cap - o, "{\"rule\": \"x/a%d\", \"reason\": \"r\"}%s\n", i,
                              i + 1 < N ? "," : "");
    o += (size_t)snprintf(json + o, cap - o, "]}\n");
    CHECK_INT(parse_text(&c, json, err, sizeof err), 0);
    if (*err) fprintf(stderr, "  %s\n", err);
    CHECK_INT(c.n_supps, N);
    if (c.n_supps == N) {
        CHECK_INT(c.supps[0].line, 2);
        CHECK_INT(c.supps[N - 1].line, 2 + N - 1);
        CHECK_STR(c.supps[N - 1].rule, "x/a99999");
    }
    config_free(&c);
    free(json);
}

/* "limits": explicit settings with their own validation; defaults where unset */
static void test_limits(void) {
    config c;
    char err[512] = "";
    CHECK_INT(parse_text(&c, "{}", err, sizeof err), 0);
    CHECK_INT(c.limits.lua_memory, 64u << 20);
    CHECK_INT(c.limits.lua_check_instructions, 50000000);
    CHECK_INT(c.limits.plugin_timeout_ms, 10000);
    CHECK_INT(c.limits.isolation, ISOLATE_AUTO);
    config_free(&c);
    CHECK_INT(parse_text(&c,
                         "{\"limits\": {\"lua_memory_mb\": 8, \"lua_instructions\": 200000, "
                         "\"plugin_timeout_seconds\": 0.5, \"plugin_isolation\": \"always\"}}",
                         err, sizeof err),
              0);
    CHECK_INT(c.limits.lua_memory, 8u << 20);
    CHECK_INT(c.limits.lua_check_instructions, 200000);
    CHECK_INT(c.limits.lua_load_instructions, 1000000);
    CHECK_INT(c.limits.plugin_timeout_ms, 500);
    CHECK_INT(c.limits.isolation, ISOLATE_ALWAYS);
    config_free(&c);
    EXPECT_ERROR("{\"limits\": {\"lua_memory_mb\": 0}}", "lua_memory_mb", "MiB");
    EXPECT_ERROR("{\"limits\": {\"lua_instructions\": 1.5}}", "lua_instructions", "whole number");
    EXPECT_ERROR("{\"limits\": {\"plugin_isolation\": \"sometimes\"}}", "plugin_isolation");
    EXPECT_ERROR("{\"limits\": {\n\"lua_mem\": 8}}", "lua_mem", "test.json:2:");
    EXPECT_ERROR("{\"limits\": 3}", "limits", "object");
}

static void test_targets(void) {
    const char *good[] = {"iOS16", "iOS17.4", "iOS17.4.1", "macOS13", "macOS10.15", "tvOS17", "watchOS10", "visionOS2"};
    const char *bad[] = {"", "iOS", "ios16", "IOS16", "iOS16.", "iOS.16", "iOS16.1.2.3", "android14", "macOS 13",
                         "iOS1234", "iPadOS17", "iOS-16"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!config_target_valid(good[i])) {
            fprintf(stderr, "  should be valid: %s\n", good[i]);
            CHECK(0);
        }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (config_target_valid(bad[i])) {
            fprintf(stderr, "  should be invalid: %s\n", bad[i]);
            CHECK(0);
        }
    CHECK(!config_target_valid(NULL));
}

/* ---- applying ---------------------------------------------------------- */

static int noop_check(host_rule *r, const cml_model *m, rule_ctx *ctx) {
    (void)r;
    (void)m;
    (void)ctx;
    return 0;
}
static const engine noop_engine = {"test", noop_check, NULL, false};

static void add_rule(registry *reg, const char *id, int level, bool with_options) {
    host_rule *r = rule_new();
    r->id = host_strdup(id);
    r->name = host_strdup("R");
    r->summary = host_strdup("s");
    r->help_md = host_strdup("h");
    r->default_level = level;
    r->eng = &noop_engine;
    if (with_options) {
        r->n_options = 3;
        r->options = calloc(3, sizeof *r->options);
        r->options[0].name = host_strdup("limit");
        r->options[0].type = OPT_INT;
        r->options[0].default_value = cJSON_CreateNumber(10);
        r->options[1].name = host_strdup("keys");
        r->options[1].type = OPT_STRINGS;
        r->options[1].default_value = cJSON_CreateStringArray((const char *[]){"author"}, 1);
        r->options[2].name = host_strdup("strict");
        r->options[2].type = OPT_BOOL;
        r->options[2].default_value = cJSON_CreateFalse();
    }
    CHECK_INT(registry_add(reg, r), 0);
}

static bool add_rule_extra;

static registry *test_registry_new(void) {
    registry *reg = registry_new();
    if (add_rule_extra) {
        add_rule(reg, "perf/ane-layout", LEVEL_WARNING, false);
        registry_find(reg, "perf/ane-layout")->enabled = false;   /* opt-in */
    }
    add_rule(reg, "ane/fp32-program", LEVEL_WARNING, false);
    add_rule(reg, "ane/unsupported-op", LEVEL_WARNING, false);
    add_rule(reg, "ane/mixed-precision", LEVEL_NOTE, false);
    add_rule(reg, "meta/missing-metadata", LEVEL_NOTE, true);
    add_rule(reg, "size/too-large", LEVEL_ERROR, true);
    return reg;
}

/* Apply json (and CLI lists) to a fresh test registry; returns it, or NULL
 * on an error (err filled). */
static registry *apply(const char *json, const char *const *en, size_t ne, const char *const *dis, size_t nd,
                       char *err, size_t errlen) {
    config c;
    if (parse_text(&c, json, err, errlen) != 0) {
        fprintf(stderr, "  parse: %s\n", err);
        CHECK(0);
        return NULL;
    }
    registry *reg = test_registry_new();
    config_overlay ov = {.enable = en, .n_enable = ne, .disable = dis, .n_disable = nd};
    int rc = config_apply(&c, reg, &ov, err, errlen);
    config_free(&c);
    if (rc) {
        registry_free(reg);
        return NULL;
    }
    return reg;
}

static int level_of(registry *reg, const char *id) { return registry_find(reg, id)->level; }
static bool on(registry *reg, const char *id) { return registry_find(reg, id)->enabled; }

static void test_apply_levels(void) {
    char err[1024];
    registry *reg = apply("{\"rules\": {\"ane/*\": {\"level\": \"error\"}, \"ane/mixed-precision\": {\"level\": \"note\"},"
                          " \"*\": {\"level\": \"warning\"}}}",
                          NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg != NULL);
    if (!reg) return;
    CHECK_INT(level_of(reg, "ane/fp32-program"), LEVEL_ERROR);       /* glob */
    CHECK_INT(level_of(reg, "ane/unsupported-op"), LEVEL_ERROR);
    CHECK_INT(level_of(reg, "ane/mixed-precision"), LEVEL_NOTE);     /* exact beats glob */
    CHECK_INT(level_of(reg, "size/too-large"), LEVEL_WARNING);       /* "*" */
    CHECK(registry_level_configured(reg, registry_find(reg, "ane/fp32-program")));
    registry_free(reg);

    /* level none disables; a more specific enable turns it back on */
    reg = apply("{\"rules\": {\"ane/*\": {\"level\": \"none\"}}, \"enable\": [\"ane/fp32-program\"]}", NULL, 0, NULL,
                0, err, sizeof err);
    CHECK(reg != NULL);
    if (!reg) return;
    CHECK(!on(reg, "ane/unsupported-op"));
    CHECK(on(reg, "ane/fp32-program"));
    CHECK_INT(level_of(reg, "ane/fp32-program"), LEVEL_WARNING);     /* default again */
    CHECK(on(reg, "size/too-large"));
    CHECK(!registry_level_configured(reg, registry_find(reg, "size/too-large")));
    registry_free(reg);
}

static void test_apply_enable_disable(void) {
    char err[1024];
    /* most specific wins; tie goes to disable */
    registry *reg = apply("{\"disable\": [\"ane/*\"], \"enable\": [\"ane/fp32-program\", \"*\"]}", NULL, 0, NULL, 0, err,
                          sizeof err);
    CHECK(reg != NULL);
    if (!reg) return;
    CHECK(on(reg, "ane/fp32-program"));
    CHECK(!on(reg, "ane/unsupported-op"));
    CHECK(on(reg, "meta/missing-metadata"));
    registry_free(reg);
    reg = apply("{\"disable\": [\"ane/*\"], \"enable\": [\"ane/*\"]}", NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg && !on(reg, "ane/fp32-program"));
    registry_free(reg);
    /* the command line overrides the file */
    const char *en[] = {"ane/unsupported-op"};
    const char *dis[] = {"meta/*"};
    reg = apply("{\"disable\": [\"ane/*\"]}", en, 1, dis, 1, err, sizeof err);
    CHECK(reg != NULL);
    if (!reg) return;
    CHECK(on(reg, "ane/unsupported-op"));
    CHECK(!on(reg, "ane/fp32-program"));
    CHECK(!on(reg, "meta/missing-metadata"));
    registry_free(reg);
    /* unknown exact ids are errors (typos), globs that match nothing are not */
    reg = apply("{\"enable\": [\"ane/fp32-progam\"]}", NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg == NULL);
    CHECK(strstr(err, "ane/fp32-progam") != NULL);
    const char *bad[] = {"nope/nothing"};
    reg = apply("{}", NULL, 0, bad, 1, err, sizeof err);
    CHECK(reg == NULL);
    CHECK(strstr(err, "--disable") && strstr(err, "nope/nothing"));
    const char *badsyntax[] = {"ANE"};
    reg = apply("{}", badsyntax, 1, NULL, 0, err, sizeof err);
    CHECK(reg == NULL);
    reg = apply("{\"disable\": [\"zzz/*\"]}", NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg != NULL);
    registry_free(reg);
}

static void test_apply_options(void) {
    char err[1024] = "";
    registry *reg = apply("{\"rules\": {\"meta/missing-metadata\": {\"options\": {\"keys\": [\"author\", \"license\"]}},"
                          " \"*\": {\"options\": {\"limit\": 5}}}}",
                          NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg != NULL);
    if (!reg) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    const cJSON *o = registry_find(reg, "meta/missing-metadata")->options_config;
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "keys")), 2);
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(o, "limit")->valuedouble, 5);     /* from the glob */
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "strict")));         /* default kept */
    o = registry_find(reg, "size/too-large")->options_config;
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(o, "limit")->valuedouble, 5);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "keys")), 1);
    CHECK_INT(cJSON_GetArraySize(registry_find(reg, "ane/fp32-program")->options_config), 0);
    registry_free(reg);

    /* unknown option: names the option and the rule */
    reg = apply("{\"rules\": {\"meta/missing-metadata\": {\"options\": {\n\"limt\": 3}}}}", NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg == NULL);
    CHECK(strstr(err, "'limt'") && strstr(err, "meta/missing-metadata") && strstr(err, "test.json:2:"));
    /* wrong types */
    reg = apply("{\"rules\": {\"meta/missing-metadata\": {\"options\": {\"limit\": \"ten\"}}}}", NULL, 0, NULL, 0, err,
                sizeof err);
    CHECK(reg == NULL);
    CHECK(strstr(err, "limit") && strstr(err, "int"));
    reg = apply("{\"rules\": {\"meta/missing-metadata\": {\"options\": {\"limit\": 2.5}}}}", NULL, 0, NULL, 0, err,
                sizeof err);
    CHECK(reg == NULL);
    reg = apply("{\"rules\": {\"meta/missing-metadata\": {\"options\": {\"keys\": [\"a\", 1]}}}}", NULL, 0, NULL, 0, err,
                sizeof err);
    CHECK(reg == NULL);
    CHECK(strstr(err, "strings") != NULL);
    reg = apply("{\"rules\": {\"meta/missing-metadata\": {\"options\": {\"strict\": 1}}}}", NULL, 0, NULL, 0, err,
                sizeof err);
    CHECK(reg == NULL);
    CHECK(strstr(err, "bool") != NULL);
    /* a glob whose rules do not declare the option */
    reg = apply("{\"rules\": {\"ane/*\": {\"options\": {\"limit\": 1}}}}", NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg == NULL);
    CHECK(strstr(err, "limit") && strstr(err, "ane/*"));
    /* options for a rule that does not exist */
    reg = apply("{\"rules\": {\"meta/nothing\": {\"options\": {\"limit\": 1}}}}", NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg == NULL);
    CHECK(strstr(err, "meta/nothing") != NULL);
}

/* The command line's overlay: enable patterns and rule options from flags,
 * applied over the file and validated like it. */
static void test_apply_overlay(void) {
    char err[1024] = "";
    config c;
    CHECK_INT(parse_text(&c, "{\"rules\": {\"meta/missing-metadata\": {\"options\": {\"limit\": 2}}}}", err,
                         sizeof err),
              0);
    registry *reg = test_registry_new();
    cJSON *opts = cJSON_Parse("{\"limit\": 7}");
    const char *en[] = {"ane/*"};
    config_overlay ov = {.enable = en, .n_enable = 1, .options_rules = "*", .options = opts};
    CHECK_INT(config_apply(&c, reg, &ov, err, sizeof err), 0);
    /* the overlay wins over the file, and reaches only rules that declare the option */
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(registry_find(reg, "meta/missing-metadata")->options_config, "limit")
                  ->valuedouble,
              7);
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(registry_find(reg, "size/too-large")->options_config, "limit")->valuedouble,
              7);
    CHECK(!cJSON_HasObjectItem(registry_find(reg, "ane/fp32-program")->options_config, "limit"));
    CHECK(on(reg, "ane/fp32-program"));
    registry_free(reg);
    cJSON_Delete(opts);
    /* an option no matching rule declares, or of the wrong type, is refused */
    reg = test_registry_new();
    opts = cJSON_Parse("{\"threads\": 2}");
    ov = (config_overlay){.options_rules = "ane/*", .options = opts};
    CHECK_INT(config_apply(&c, reg, &ov, err, sizeof err), -1);
    CHECK(strstr(err, "threads") && strstr(err, "ane/*"));
    cJSON_Delete(opts);
    opts = cJSON_Parse("{\"limit\": \"big\"}");
    ov = (config_overlay){.options_rules = "size/too-large", .options = opts};
    CHECK_INT(config_apply(&c, reg, &ov, err, sizeof err), -1);
    CHECK(strstr(err, "limit") && strstr(err, "int"));
    cJSON_Delete(opts);
    registry_free(reg);
    config_free(&c);
}

/* ---- paths ----------------------------------------------------------------- */

/* "extends": the shipped rule sets. recommended = the defaults; strict =
 * policy notes raised to warnings, opt-in static rules on, fail_on warning
 * unless the file sets it; the file's own entries win. */
static void test_rule_sets(void) {
    char err[1024];
    registry *reg = apply("{\"extends\": \"recommended\"}", NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg != NULL);
    if (reg) {
        CHECK_INT(level_of(reg, "meta/missing-metadata"), LEVEL_NOTE);
        registry_free(reg);
    }
    add_rule_extra = true;   /* the test registry gets perf/ane-layout, opt-in */
    reg = apply("{\"extends\": \"strict\"}", NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg != NULL);
    if (reg) {
        CHECK_INT(level_of(reg, "meta/missing-metadata"), LEVEL_WARNING);
        CHECK(on(reg, "perf/ane-layout"));
        CHECK_INT(level_of(reg, "ane/fp32-program"), LEVEL_WARNING);
        registry_free(reg);
    }
    /* the file's own entries override the set's */
    reg = apply("{\"extends\": \"strict\", \"rules\": {\"meta/missing-metadata\": {\"level\": \"note\"}},"
                " \"disable\": [\"perf/*\"]}",
                NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg != NULL);
    if (reg) {
        CHECK_INT(level_of(reg, "meta/missing-metadata"), LEVEL_NOTE);
        CHECK(!on(reg, "perf/ane-layout"));
        registry_free(reg);
    }
    add_rule_extra = false;
    /* strict names rules that may not be loaded (--no-bundled): not an error */
    reg = apply("{\"extends\": \"strict\"}", NULL, 0, NULL, 0, err, sizeof err);
    CHECK(reg != NULL);
    registry_free(reg);
    /* fail_on: warning under strict, unless the file sets it */
    config c;
    CHECK_INT(parse_text(&c, "{\"extends\": \"strict\"}", err, sizeof err), 0);
    CHECK_INT(c.fail_on, LEVEL_WARNING);
    config_free(&c);
    CHECK_INT(parse_text(&c, "{\"fail_on\": \"error\", \"extends\": \"strict\"}", err, sizeof err), 0);
    CHECK_INT(c.fail_on, LEVEL_ERROR);
    config_free(&c);
    CHECK_INT(parse_text(&c, "{}", err, sizeof err), 0);
    CHECK_INT(c.fail_on, -1);
    config_free(&c);
    /* an unknown set is a tool error naming the choices */
    CHECK_INT(parse_text(&c, "{\n  \"extends\": \"eslint:all\"\n}", err, sizeof err), -1);
    CHECK(strstr(err, ":2:") && strstr(err, "\"recommended\" or \"strict\""));
    config_free(&c);
}

static void test_path_globs(void) {
    CHECK(config_path_match("models/*.mlmodel", "models/a.mlmodel"));
    CHECK(!config_path_match("models/*.mlmodel", "other/models/a.mlmodel"));
    CHECK(config_path_match("**/models/*.mlmodel", "other/models/a.mlmodel"));
    CHECK(config_path_match("vendor", "vendor/x/y.mlpackage"));          /* leading folder */
    CHECK(config_path_match("*.mlmodelc", "build/App.app/M.mlmodelc"));   /* bare name: any component */
    CHECK(config_path_match("Pods", "ios/Pods/x.mlmodel"));
    CHECK(!config_path_match("vendor", "myvendor/x.mlmodel"));
    CHECK(config_path_match("**/Pods/**", "ios/Pods/Lib/x.mlmodel"));
    CHECK(!config_path_match("a/*.mlmodel", "a/b/c.mlmodel"));

    config c;
    char err[512];
    const char *json = "{\"exclude\": [\"third_party\", \"**/*.mlmodelc\"],"
                       " \"suppressions\": [{\"rule\": \"ane/*\", \"path\": \"models/**\", \"op\": \"main/conv_*\", \"reason\": \"ok\"},"
                       " {\"rule\": \"load/weight-blob\", \"path\": \"models/b.mlpackage/**/weight.bin\", \"reason\": \"known\"}]}";
    CHECK_INT(config_parse(&c, json, strlen(json), "/proj/.coreml-lint.json", "/proj", err, sizeof err), 0);
    uint64_t eb = FINDINGS_SUPP_BUDGET;
    CHECK_INT(config_excluded(&c, "third_party/x.mlmodel", "/proj", &eb), 1);
    CHECK_INT(config_excluded(&c, "app/M.mlmodelc", "/proj", &eb), 1);
    CHECK_INT(config_excluded(&c, "models/a.mlmodel", "/proj", &eb), 0);
    /* relative to the config's folder when run from below it */
    CHECK_INT(config_excluded(&c, "x.mlmodel", "/proj/third_party", &eb), 1);
    CHECK_INT(config_excluded(&c, "/proj/third_party/x.mlmodel", "/elsewhere", &eb), 1);
    CHECK(eb < FINDINGS_SUPP_BUDGET);   /* charged */
    /* past the budget: -1, not a guess either way */
    uint64_t small = 10;
    CHECK_INT(config_excluded(&c, "models/a/very/deep/path/to/a.mlmodel", "/proj", &small), -1);
    CHECK(small == 0);

    finding f = {0};
    uint64_t budget = FINDINGS_SUPP_BUDGET;
    f.rule_id = "ane/fp32-program";
    f.model_path = "models/a.mlpackage";
    f.loc.artifact = "Data/com.apple.CoreML/model.mlmodel";
    f.loc.logical = "main/conv_3";
    const config_supp *s = config_suppression_for(&c, &f, "/proj", &budget);
    CHECK(s && !strcmp(s->reason, "ok"));
    f.loc.logical = "main/relu_3";
    CHECK(config_suppression_for(&c, &f, "/proj", &budget) == NULL);
    f.loc.logical = NULL;
    CHECK(config_suppression_for(&c, &f, "/proj", &budget) == NULL);
    f.loc.logical = "main/conv_3";
    f.rule_id = "load/weight-blob";
    CHECK(config_suppression_for(&c, &f, "/proj", &budget) == NULL);
    f.model_path = "models/b.mlpackage";
    f.loc.artifact = "Data/com.apple.CoreML/weights/weight.bin";
    s = config_suppression_for(&c, &f, "/proj", &budget);                        /* matched with the artifact */
    CHECK(s && !strcmp(s->reason, "known"));
    CHECK(budget > 0 && budget < FINDINGS_SUPP_BUDGET);
    /* a spent budget: no match, and the budget says why */
    budget = 10;
    CHECK(config_suppression_for(&c, &f, "/proj", &budget) == NULL);
    CHECK(budget == 0);
    config_free(&c);
}

/* ---- the schema ------------------------------------------------------------------ */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

/* A validator for the keywords the schema uses: type, enum, pattern,
 * minLength, properties, additionalProperties (bool or schema),
 * propertyNames, required, items, $ref (local #/$defs/...). Unknown
 * keywords other than annotations fail, so the schema cannot outgrow it. */
static const cJSON *schema_root;

static bool re_match(const char *pattern, const char *s) {
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "  cannot compile pattern %s\n", pattern);
        return false;
    }
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static bool validate(const cJSON *schema, const cJSON *v, const char *where);

static bool type_ok(const char *t, const cJSON *v) {
    if (!strcmp(t, "object")) return cJSON_IsObject(v);
    if (!strcmp(t, "array")) return cJSON_IsArray(v);
    if (!strcmp(t, "string")) return cJSON_IsString(v);
    if (!strcmp(t, "boolean")) return cJSON_IsBool(v);
    if (!strcmp(t, "number")) return cJSON_IsNumber(v);
    if (!strcmp(t, "integer")) return cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble;
    return false;
}

static bool validate(const cJSON *schema, const cJSON *v, const char *where) {
    if (cJSON_IsTrue(schema)) return true;
    if (!cJSON_IsObject(schema)) return false;
    bool ok = true;
    const cJSON *k;
    cJSON_ArrayForEach(k, schema) {
        const char *kw = k->string;
        if (!strcmp(kw, "$ref")) {
            const char *ref = k->valuestring;
            if (strncmp(ref, "#/$defs/", 8) != 0) return false;
            const cJSON *target = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema_root, "$defs"), ref + 8);
            ok &= target && validate(target, v, where);
        } else if (!strcmp(kw, "type")) {
            ok &= type_ok(k->valuestring, v);
        } else if (!strcmp(kw, "enum")) {
            bool any = false;
            const cJSON *e;
            cJSON_ArrayForEach(e, k) any |= cJSON_Compare(e, v, 1);
            ok &= any;
        } else if (!strcmp(kw, "pattern")) {
            if (cJSON_IsString(v)) ok &= re_match(k->valuestring, v->valuestring);
        } else if (!strcmp(kw, "minLength")) {
            if (cJSON_IsString(v)) ok &= strlen(v->valuestring) >= (size_t)k->valuedouble;
        } else if (!strcmp(kw, "required")) {
            const cJSON *e;
            if (cJSON_IsObject(v)) cJSON_ArrayForEach(e, k) ok &= cJSON_HasObjectItem(v, e->valuestring);
        } else if (!strcmp(kw, "items")) {
            const cJSON *e;
            if (cJSON_IsArray(v)) cJSON_ArrayForEach(e, v) ok &= validate(k, e, where);
        } else if (!strcmp(kw, "propertyNames")) {
            const cJSON *e;
            if (cJSON_IsObject(v))
                cJSON_ArrayForEach(e, v) {
                    cJSON *name = cJSON_CreateString(e->string);
                    ok &= validate(k, name, e->string);
                    cJSON_Delete(name);
                }
        } else if (!strcmp(kw, "properties") || !strcmp(kw, "additionalProperties")) {
            if (!cJSON_IsObject(v) || !strcmp(kw, "additionalProperties")) continue;
            const cJSON *props = k, *addl = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
            const cJSON *e;
            cJSON_ArrayForEach(e, v) {
                const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, e->string);
                if (ps) ok &= validate(ps, e, e->string);
                else if (cJSON_IsFalse(addl)) {
                    fprintf(stderr, "  schema: '%s' not allowed in %s\n", e->string, where);
                    ok = false;
                } else if (addl) ok &= validate(addl, e, e->string);
            }
        } else if (!strcmp(kw, "$schema") || !strcmp(kw, "title") || !strcmp(kw, "description") ||
                   !strcmp(kw, "examples") || !strcmp(kw, "$defs") || !strcmp(kw, "$id")) {
            /* annotations */
        } else {
            fprintf(stderr, "  schema keyword '%s' is not understood by this test\n", kw);
            ok = false;
        }
    }
    /* additionalProperties without properties */
    const cJSON *addl = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
    if (addl && !cJSON_HasObjectItem(schema, "properties") && cJSON_IsObject(v)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v) ok &= cJSON_IsFalse(addl) ? false : validate(addl, e, e->string);
    }
    if (!ok) fprintf(stderr, "  schema: %s does not validate\n", where);
    return ok;
}

static size_t dup_keys(const cJSON *o) {
    size_t n = 0;
    for (const cJSON *a = o ? o->child : NULL; a; a = a->next) {
        if (cJSON_IsObject(o) && a->string)
            for (const cJSON *b = a->next; b; b = b->next)
                if (b->string && !strcmp(a->string, b->string)) {
                    fprintf(stderr, "  the schema repeats the key '%s'\n", a->string);
                    n++;
                }
        n += dup_keys(a);
    }
    return n;
}

static void test_schema(void) {
    const char *src = getenv("CML_SOURCE_DIR");
    if (!src) src = CML_SOURCE_DIR;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/schema/coreml-lint.schema.json", src);
    char *text = slurp(path);
    CHECK(text != NULL);
    if (!text) return;
    cJSON *schema = cJSON_Parse(text);
    free(text);
    CHECK(schema != NULL);
    if (!schema) return;
    schema_root = schema;
    /* no object repeats a key: strict JSON tools refuse it, and cJSON
     * would read the first (a limit's "type" once stood twice) */
    CHECK_INT(dup_keys(schema), 0);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    CHECK(cJSON_IsObject(props));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties")));
    /* every key the parser accepts is in the schema, and nothing else */
    size_t n = 0;
    for (const char *key, *about; (key = config_key(n, &about)); n++) {
        if (!cJSON_HasObjectItem(props, key)) {
            fprintf(stderr, "  config key '%s' is missing from the schema's properties\n", key);
            CHECK(0);
        }
        CHECK((about != NULL) == (key[0] != '$'));   /* the man page describes every key but $schema */
    }
    CHECK_INT(cJSON_GetArraySize(props), n);
    /* so are the keys of "limits" */
    const cJSON *lprops = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(props, "limits"),
                                                           "properties");
    /* with the limits table's bounds, and its default in the description */
    char dflt[32], want[64];
    for (n = 0; host_limit_key(n, NULL, dflt, sizeof dflt); n++) {
        const char *key = host_limit_key(n, NULL, NULL, 0);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(lprops, key);
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(p, "description");
        CHECK(cJSON_IsString(desc));
        if (!cJSON_IsString(desc)) continue;
        snprintf(want, sizeof want, "(default %s)", dflt);
        if (!strstr(desc->valuestring, want)) {
            fprintf(stderr, "  schema limits.%s: description lacks '%s'\n", key, want);
            CHECK(0);
        }
        double lo, hi;
        host_limit_bounds(n, &lo, &hi);
        const cJSON *mn = cJSON_GetObjectItemCaseSensitive(p, "minimum");
        const cJSON *xmn = cJSON_GetObjectItemCaseSensitive(p, "exclusiveMinimum");
        const cJSON *mx = cJSON_GetObjectItemCaseSensitive(p, "maximum");
        if (!strcmp(key, "plugin_isolation")) {
            /* the names the setter takes, the default first */
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(p, "enum");
            static const char *const names[] = {"auto", "always", "never"};
            CHECK_INT(cJSON_GetArraySize(e), 3);
            for (int k = 0; k < 3 && k < cJSON_GetArraySize(e); k++) {
                host_limits l = host_limits_default();
                char why[256];
                CHECK_STR(cJSON_GetArrayItem(e, k)->valuestring, names[k]);
                CHECK_INT(host_limit_set(&l, key, cJSON_GetArrayItem(e, k), why, sizeof why), 0);
            }
            CHECK_STR(dflt, names[0]);
            continue;
        }
        /* seconds must be above 0; counts at least their minimum */
        bool seconds = strstr(key, "seconds") != NULL;
        CHECK(seconds ? (xmn && !mn && xmn->valuedouble == lo) : (mn && !xmn && mn->valuedouble == lo));
        CHECK(mx && mx->valuedouble == hi);
    }
    CHECK_INT(n, 6);
    CHECK_INT(cJSON_GetArraySize(lprops), n);
    /* and the defaults are what host_limits_default holds */
    host_limits d = host_limits_default();
    CHECK(d.lua_memory == (size_t)64 << 20 && d.lua_check_instructions == 50000000 &&
          d.lua_load_instructions == 1000000 && d.lua_timeout_ms == 10000 && d.plugin_timeout_ms == 10000 &&
          d.isolation == ISOLATE_AUTO);
    /* the example configuration validates and parses */
    snprintf(path, sizeof path, "%s/examples/.coreml-lint.json", src);
    text = slurp(path);
    CHECK(text != NULL);
    if (text) {
        cJSON *ex = cJSON_Parse(text);
        CHECK(ex != NULL);
        CHECK(validate(schema, ex, "examples/.coreml-lint.json"));
        cJSON_Delete(ex);
        free(text);
        config c;
        char err[1024] = "";
        CHECK_INT(config_load(&c, path, err, sizeof err), 0);
        if (*err) fprintf(stderr, "  %s\n", err);
        config_free(&c);
    }
    /* and the validator does reject what the parser rejects */
    const char *bad[] = {"{\"enabel\": []}", "{\"target\": \"ios16\"}", "{\"suppressions\": [{\"rule\": \"a/b\"}]}",
                         "{\"rules\": {\"a/b\": {\"lvl\": \"note\"}}}", "{\"fail_on\": \"fatal\"}",
                         "{\"suppressions\": [{\"rule\": \"a/b\", \"reason\": \" \"}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        fprintf(stderr, "  (expected rejection of %s follows)\n", bad[i]);
        CHECK(!validate(schema, j, bad[i]));
        cJSON_Delete(j);
    }
    cJSON_Delete(schema);
}

int main(void) {
    RUN(test_find_upward);
    RUN(test_parse_ok);
    RUN(test_parse_errors);
    RUN(test_config_set);
    RUN(test_parse_many);
    RUN(test_limits);
    RUN(test_targets);
    RUN(test_apply_levels);
    RUN(test_apply_enable_disable);
    RUN(test_apply_options);
    RUN(test_apply_overlay);
    RUN(test_rule_sets);
    RUN(test_path_globs);
    RUN(test_schema);
    return CHECK_DONE();
}

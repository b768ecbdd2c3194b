/* SPDX-License-Identifier: Apache-2.0 */
/* test_registry.c — the rule host's core pieces: SHA-256 (NIST vectors),
 * levels, rule id syntax, globs and path normalisation (host_util.c); the
 * registry's gate (duplicate ids, bad ids, incomplete metadata, bad options
 * refused with a notification naming file and field; the bundled rule set
 * registers with no notification at all); and the run (run.c): ctx_report
 * copies and locates findings, levels from the rule or the config, the
 * flood cap, notifications deduplicated with a count, failed rules,
 * fingerprints, deduplication, ordering, suppressions and the baseline. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli/sources.h"
#include "host/ctx.h"
#include "host/ctx_priv.h"
#include "host/engines.h"
#include "host/findings.h"
#include "host/lua/engine.h"
#include "host/run.h"
#include "host/so/engine.h"
#include "host/util.h"
#include "format/sha256.h"
#include "tmptree.h"

/* ---- sha256 ---------------------------------------------------------------- */

static void test_sha256(void) {
    char hex[65];
    sha256_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(m, strlen(m), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a' through the streaming API, in odd-sized pieces */
    sha256_ctx c;
    unsigned char d[32], buf[997];
    memset(buf, 'a', sizeof buf);
    sha256_init(&c);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof buf ? left : sizeof buf;
        sha256_update(&c, buf, n);
        left -= n;
    }
    sha256_final(&c, d);
    sha256_to_hex(d, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* ---- host_util ------------------------------------------------------------------ */

static void test_levels(void) {
    CHECK_STR(level_name(LEVEL_NOTE), "note");
    CHECK_STR(level_name(LEVEL_WARNING), "warning");
    CHECK_STR(level_name(LEVEL_ERROR), "error");
    CHECK_STR(level_name(LEVEL_NONE), "none");
    CHECK_INT(level_parse("note"), LEVEL_NOTE);
    CHECK_INT(level_parse("warning"), LEVEL_WARNING);
    CHECK_INT(level_parse("error"), LEVEL_ERROR);
    CHECK_INT(level_parse("none"), LEVEL_NONE);
    CHECK_INT(level_parse("Error"), -1);
    CHECK_INT(level_parse("fatal"), -1);
    CHECK_INT(level_parse(NULL), -1);
}

static void test_rule_id_syntax(void) {
    const char *good[] = {"load/weight-blob", "ane/fp32-program", "a/b", "x1/y2-z3", "meta/missing-metadata"};
    const char *bad[] = {"",          "load",        "/x",         "x/",       "Load/x",      "load/X",
                         "load/a_b",  "load/-a",     "load/a-",    "load/a--b", "a/b/c",      "load/a b",
                         "load /a",   "lo ad/a",     "load/é",     "-a/b",      "a-/b"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!rule_id_valid(good[i])) {
            fprintf(stderr, "  should be valid: '%s'\n", good[i]);
            CHECK(0);
        }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (rule_id_valid(bad[i])) {
            fprintf(stderr, "  should be invalid: '%s'\n", bad[i]);
            CHECK(0);
        }
    CHECK(!rule_id_valid(NULL));
    CHECK(host_rule_pattern_valid("ane/*"));
    CHECK(host_rule_pattern_valid("*"));
    CHECK(host_rule_pattern_valid("load/weight-?lob"));
    CHECK(!host_rule_pattern_valid("ane/X*"));
    CHECK(!host_rule_pattern_valid("ane"));
    CHECK(!host_rule_pattern_valid(""));
}

static void test_globs(void) {
    /* rule ids: '*' crosses '/' */
    CHECK(host_glob_match("ane/*", "ane/fp32-program", false));
    CHECK(host_glob_match("*", "ane/fp32-program", false));
    CHECK(!host_glob_match("ane/*", "load/weight-blob", false));
    CHECK(host_glob_match("*/weight-*", "load/weight-blob", false));
    CHECK(host_glob_match("load/weight-blo?", "load/weight-blob", false));
    CHECK(!host_glob_match("load/weight-blo?", "load/weight-blob-unreferenced", false));
    CHECK(host_glob_match("load/weight-blob", "load/weight-blob", false));
    /* logical locations: brackets are literal */
    CHECK(host_glob_match("pipeline[1]/layer[7]:*", "pipeline[1]/layer[7]:conv1", false));
    CHECK(host_glob_match("main/conv_*", "main/conv_12", false));
    CHECK(!host_glob_match("main/conv_*", "main/relu_1", false));
    CHECK(host_glob_match("a\\*b", "a*b", false));
    CHECK(!host_glob_match("a\\*b", "axb", false));
    /* paths: '*' stays inside a folder, '**' crosses */
    CHECK(host_glob_match("models/*.mlmodel", "models/a.mlmodel", true));
    CHECK(!host_glob_match("models/*.mlmodel", "models/sub/a.mlmodel", true));
    CHECK(host_glob_match("models/**/*.mlmodel", "models/sub/deeper/a.mlmodel", true));
    CHECK(host_glob_match("models/**/*.mlmodel", "models/a.mlmodel", true));
    CHECK(host_glob_match("**/Pods/**", "app/Pods/x/y.mlmodel", true));
    CHECK(host_glob_match("**", "a/b/c", true));
    CHECK(!host_glob_match("?", "/", true));
    CHECK(host_glob_match("**/", "", true));
    CHECK(host_glob_match("**/", "a/b/", true));
    CHECK(!host_glob_match("**/", "a/b", true));
    CHECK(host_glob_match("a/**/b", "a/b", true));
    CHECK(!host_glob_match("a/**/b", "ab", true));
    /* "*a*a...*b" took a backtracking matcher exponential time, and its step
     * budget answered "no match" where the pattern does match: the bitset
     * NFA answers both in |string| x |pattern| / 64 steps */
    char aaa[4002];
    memset(aaa, 'a', 4000);
    aaa[4000] = 0;
    CHECK(!host_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", aaa, false));
    aaa[4000] = 'b';
    aaa[4001] = 0;
    CHECK(host_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", aaa, false));
    /* past 64 pattern positions (several words) and 128 pattern bytes (heap) */
    char longp[400];
    for (int i = 0; i < 199; i++) longp[2 * i] = '*', longp[2 * i + 1] = 'a';
    longp[398] = 'b';
    longp[399] = 0;
    CHECK(host_glob_match(longp, aaa, false));
    aaa[4000] = 0;
    CHECK(!host_glob_match(longp, aaa, false));
    /* the budget: charged per byte, and spent is told apart */
    uint64_t budget = 100;
    CHECK(!host_glob_match_n("*b", aaa, false, &budget));
    CHECK(budget == 0);
    budget = 100000;
    CHECK(host_glob_match_n("a*", aaa, false, &budget));
    CHECK(budget == 100000 - 4000);
}

static void test_paths(void) {
    struct {
        const char *in, *cwd, *want;
    } cases[] = {
        {"./a/b/", NULL, "a/b"},          {"a//b/./c", NULL, "a/b/c"},      {"./", NULL, "."},
        {".", NULL, "."},                 {"/x/y/", NULL, "/x/y"},          {"/work/p/m.mlmodel", "/work/p", "m.mlmodel"},
        {"/work/p", "/work/p/", "."},     {"/work/pq/m", "/work/p", "/work/pq/m"},
        {"/a/b", "/", "a/b"},             {"../m.mlmodel", "/w", "../m.mlmodel"},
        {"x.mlpackage/", "/w", "x.mlpackage"},
        /* ".." drops the name before it: one spelling, one path (exclude
         * globs, suppressions and fingerprints all read this form) */
        {"Models/../Models/m.mlmodel", NULL, "Models/m.mlmodel"},
        {"a/b/../../c", NULL, "c"},       {"a/..", NULL, "."},              {"../../x", NULL, "../../x"},
        {"a/../../x", NULL, "../x"},      {"/..", NULL, "/"},               {"/../a/./b/..", NULL, "/a"},
        {"/work/app/../Vendor/m.mlmodel", "/work/app", "/work/Vendor/m.mlmodel"},
        {"/work/app/../app/m.mlmodel", "/work/app", "m.mlmodel"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = host_path_normalize(cases[i].in, cases[i].cwd);
        CHECK_STR(got, cases[i].want);
        free(got);
    }
    /* but not through a symbolic link: "link/.." is the parent of its
     * target, which may be anywhere */
    char dir[64];
    char *d = tmp_make_dir(dir, sizeof dir, "cml-paths-");
    CHECK(d != NULL);
    if (!d) return;
    char sub[PATH_MAX], link[PATH_MAX], in[PATH_MAX * 2], want[PATH_MAX * 2];
    snprintf(sub, sizeof sub, "%s/deep", d);
    snprintf(link, sizeof link, "%s/link", d);
    CHECK(mkdir(sub, 0700) == 0 && symlink("/usr/lib", link) == 0);
    snprintf(in, sizeof in, "%s/link/../m", d);
    char *got = host_path_normalize(in, NULL);
    CHECK_STR(got, in);
    free(got);
    snprintf(in, sizeof in, "%s/deep/../m", d);
    snprintf(want, sizeof want, "%s/m", d);
    got = host_path_normalize(in, NULL);
    CHECK_STR(got, want);
    free(got);
    tmp_remove_tree(d);
}

/* ---- registry ------------------------------------------------------------------- */

static int t_check_calls;

static int t_check(host_rule *r, const cml_model *m, rule_ctx *ctx) {
    (void)r;
    (void)m;
    (void)ctx;
    t_check_calls++;
    return 0;
}

static const engine t_engine = {"test", t_check, NULL, false};

static host_rule *mk_rule(const char *id, const char *origin) {
    host_rule *r = rule_new();
    r->id = id ? host_strdup(id) : NULL;
    r->name = host_strdup("TestRule");
    r->summary = host_strdup("A rule for the tests.");
    r->help_md = host_strdup("Help text.");
    r->default_level = LEVEL_WARNING;
    r->origin = host_strdup(origin);
    r->eng = &t_engine;
    return r;
}

/* The last notification, for inspection. */
static const notification *last_note(const registry *reg) {
    size_t n = registry_n_notes(reg);
    return n ? registry_note(reg, n - 1) : NULL;
}

static void expect_refused(registry *reg, host_rule *r, const char *field, const char *file) {
    size_t before = registry_n_notes(reg), rules_before = registry_count(reg);
    CHECK_INT(registry_add(reg, r), -1);
    CHECK_INT(registry_count(reg), rules_before);
    CHECK_INT(registry_n_notes(reg), before + 1);
    const notification *n = last_note(reg);
    if (!n) return;
    CHECK_STR(n->kind, "rule/load-error");
    CHECK_INT(n->level, LEVEL_ERROR);
    char want[128];
    snprintf(want, sizeof want, "field '%s'", field);
    if (!strstr(n->message, want) || !strstr(n->message, file)) {
        fprintf(stderr, "  message lacks %s or %s: %s\n", want, file, n->message);
        CHECK(0);
    }
    CHECK_STR(n->file, file);
}

static void test_registry_gate(void) {
    registry *reg = registry_new();
    CHECK(reg != NULL);
    CHECK_INT(registry_add(reg, mk_rule("house/b-rule", "/r/house/b-rule.lua")), 0);
    CHECK_INT(registry_add(reg, mk_rule("house/a-rule", "/r/house/a-rule.lua")), 0);
    CHECK_INT(registry_count(reg), 2);
    CHECK_INT(registry_n_notes(reg), 0);
    /* sorted by id; defaults filled in */
    CHECK_STR(registry_rule(reg, 0)->id, "house/a-rule");
    CHECK_STR(registry_rule(reg, 1)->id, "house/b-rule");
    const host_rule *a = registry_find(reg, "house/a-rule");
    CHECK(a != NULL);
    if (a) {
        CHECK_STR(a->kind, "test");
        CHECK_STR(a->description, a->summary);
        CHECK_INT(a->level, LEVEL_WARNING);
        CHECK(a->enabled);
        CHECK(cJSON_IsObject(a->options_config));
    }
    CHECK(registry_find(reg, "house/c-rule") == NULL);

    /* duplicate id: refused, names both files */
    expect_refused(reg, mk_rule("house/a-rule", "/other/a.lua"), "id", "/other/a.lua");
    const notification *n = last_note(reg);
    CHECK(n && strstr(n->message, "/r/house/a-rule.lua"));
    CHECK(registry_was_refused(reg, "house/a-rule"));
    CHECK_STR(registry_find(reg, "house/a-rule")->origin, "/r/house/a-rule.lua");

    /* bad id syntax, missing metadata */
    expect_refused(reg, mk_rule("House/Bad_Id", "/r/bad.lua"), "id", "/r/bad.lua");
    expect_refused(reg, mk_rule(NULL, "/r/noid.lua"), "id", "/r/noid.lua");
    host_rule *r = mk_rule("house/no-summary", "/r/s.lua");
    free(r->summary);
    r->summary = host_strdup("");
    expect_refused(reg, r, "summary", "/r/s.lua");
    r = mk_rule("house/no-name", "/r/n.lua");
    free(r->name);
    r->name = NULL;
    expect_refused(reg, r, "name", "/r/n.lua");
    r = mk_rule("house/no-help", "/r/h.lua");
    free(r->help_md);
    r->help_md = NULL;
    expect_refused(reg, r, "help", "/r/h.lua");
    r = mk_rule("house/bad-level", "/r/l.lua");
    r->default_level = 7;
    expect_refused(reg, r, "level", "/r/l.lua");
    r = mk_rule("house/no-check", "/r/c.lua");
    r->eng = NULL;
    expect_refused(reg, r, "check", "/r/c.lua");

    /* options: a default of the wrong type, a bad name */
    r = mk_rule("house/bad-option", "/r/o.lua");
    r->options = calloc(1, sizeof *r->options);
    r->n_options = 1;
    r->options[0].name = host_strdup("limit");
    r->options[0].type = OPT_INT;
    r->options[0].default_value = cJSON_CreateString("ten");
    expect_refused(reg, r, "options.limit", "/r/o.lua");
    r = mk_rule("house/bad-option-name", "/r/o2.lua");
    r->options = calloc(1, sizeof *r->options);
    r->n_options = 1;
    r->options[0].name = host_strdup("Bad Name");
    r->options[0].type = OPT_BOOL;
    expect_refused(reg, r, "options[1].name", "/r/o2.lua");
    /* confirmed by itself: a finding would restate another of its own */
    r = mk_rule("house/self", "/r/self.lua");
    r->confirmed_by = calloc(2, sizeof *r->confirmed_by);
    r->confirmed_by[0] = host_strdup("probe/x");
    r->confirmed_by[1] = host_strdup("house/self");
    r->n_confirmed_by = 2;
    expect_refused(reg, r, "confirmed_by[2]", "/r/self.lua");

    /* a good rule with options gets its defaults as effective options */
    r = mk_rule("house/with-options", "/r/w.lua");
    r->options = calloc(2, sizeof *r->options);
    r->n_options = 2;
    r->options[0].name = host_strdup("limit");
    r->options[0].type = OPT_INT;
    r->options[0].default_value = cJSON_CreateNumber(10);
    r->options[1].name = host_strdup("keys");
    r->options[1].type = OPT_STRINGS;
    CHECK_INT(registry_add(reg, r), 0);
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(registry_find(reg, "house/with-options")->options_config, "limit");
    CHECK(cJSON_IsNumber(lim) && lim->valuedouble == 10);

    /* the rest still works */
    CHECK_INT(registry_count(reg), 3);
    CHECK_INT(registry_add(reg, NULL), -1);
    registry_free(reg);
}

static void test_notes_dedupe(void) {
    registry *reg = registry_new();
    registry_notify(reg, "x/y", "rule/error", LEVEL_WARNING, "f.lua", 3, "boom %d", 1);
    registry_notify(reg, "x/y", "rule/error", LEVEL_WARNING, "f.lua", 3, "boom %d", 2);
    registry_notify(reg, "x/y", "rule/budget-exceeded", LEVEL_WARNING, "f.lua", 0, "slow");
    registry_notify(reg, NULL, "plugin/unusable", LEVEL_ERROR, "a.so", 0, "bad a");
    registry_notify(reg, NULL, "plugin/unusable", LEVEL_ERROR, "b.so", 0, "bad b");
    CHECK_INT(registry_n_notes(reg), 4);
    CHECK_INT(registry_note(reg, 0)->count, 2);
    CHECK_STR(registry_note(reg, 0)->message, "boom 1");
    CHECK_INT(registry_note(reg, 0)->line, 3);
    registry_free(reg);
    /* a plugin's log lines: each different line is kept (the second used
     * to be folded into the first, a warning into a note), the same line
     * counted; a plugin logging in a loop keeps 32 lines per model, the
     * rest counted in one notification that says so; another rule, or a
     * rule's error, has an allowance of its own */
    reg = registry_new();
    registry_notify(reg, "x/loop", NOTE_PLUGIN_LOG, LEVEL_NOTE, "p.so", 0, "first line");
    registry_notify(reg, "x/loop", NOTE_PLUGIN_LOG, LEVEL_WARNING, "p.so", 0, "second line");
    CHECK_INT(registry_n_notes(reg), 2);
    CHECK(registry_n_notes(reg) == 2 && registry_note(reg, 1)->level == LEVEL_WARNING);
    for (int i = 0; i < 40; i++) registry_notify(reg, "x/loop", NOTE_PLUGIN_LOG, LEVEL_NOTE, "p.so", 0, "line %d", i);
    for (int i = 0; i < 3; i++) registry_notify(reg, "x/loop", NOTE_PLUGIN_LOG, LEVEL_NOTE, "p.so", 0, "line %d", i);
    registry_notify(reg, "x/other", NOTE_PLUGIN_LOG, LEVEL_NOTE, "p.so", 0, "line 0");
    registry_notify(reg, "x/loop", "rule/error", LEVEL_ERROR, "p.so", 0, "boom");
    CHECK_INT(registry_n_notes(reg), 35);
    if (registry_n_notes(reg) == 35) {
        CHECK_STR(registry_note(reg, 31)->message, "line 29");
        CHECK(strstr(registry_note(reg, 32)->message, "more than 32 different messages") != NULL);
        CHECK_INT(registry_note(reg, 32)->count, 10);
        CHECK_INT(registry_note(reg, 2)->count, 2);
        CHECK_STR(registry_note(reg, 33)->rule_id, "x/other");
        CHECK_STR(registry_note(reg, 34)->kind, "rule/error");
    }
    registry_free(reg);
}

/* The bundled rule set (builtin load/..., bundled Lua rules, bundled
 * plugins of the build tree) registers without a single notification. */
static void test_bundled_set_valid(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    char plugdir[4096];
    if (bd && !getenv("CML_PLUGIN_DIR")) {
        snprintf(plugdir, sizeof plugdir, "%s/plugins", bd);
        setenv("CML_PLUGIN_DIR", plugdir, 1);
    }
    registry *reg = registry_new();
    sources src = {0};
    size_t n = sources_load(reg, &src);
    for (size_t i = 0; i < registry_n_notes(reg); i++) {
        const notification *nn = registry_note(reg, i);
        fprintf(stderr, "  bundled notification: [%s] %s: %s\n", nn->kind, nn->file ? nn->file : "-", nn->message);
    }
    CHECK_INT(registry_n_notes(reg), 0);
    static const char *const load_ids[] = {
        "load/protobuf-corrupt",   "load/spec-version",          "load/package-manifest",
        "load/mlprogram-without-weights", "load/missing-weight-file", "load/weight-blob",
        "load/weight-blob-unreferenced",  "load/interface-invalid",   "load/mil-structure",
        "load/unknown-op",         "load/compiled-by-newer-coremlc", "load/compiled-limited"};
    CHECK(n >= sizeof load_ids / sizeof *load_ids);
    for (size_t i = 0; i < sizeof load_ids / sizeof *load_ids; i++) {
        const host_rule *r = registry_find(reg, load_ids[i]);
        if (!r) {
            fprintf(stderr, "  missing builtin rule %s\n", load_ids[i]);
            CHECK(0);
            continue;
        }
        CHECK_STR(r->kind, "builtin");
        CHECK(r->n_tags > 0);
        CHECK(strstr(r->help_md, "**Fix.**") != NULL);
        CHECK(strstr(r->help_md, "**Sources.**") != NULL);
    }
    for (size_t i = 0; i < registry_count(reg); i++) {
        const host_rule *r = registry_rule(reg, i);
        CHECK(rule_id_valid(r->id));
        CHECK(r->name && *r->name && r->summary && *r->summary && r->help_md && *r->help_md);
        CHECK(r->description && *r->description);
        CHECK(r->default_level >= LEVEL_NOTE && r->default_level <= LEVEL_ERROR);
        if (i) CHECK(strcmp(registry_rule(reg, i - 1)->id, r->id) < 0);
    }
    registry_free(reg);
}

/* ---- the run ---------------------------------------------------------------------- */

typedef enum { B_LOCATED, B_FLOOD, B_BAD_REPORTS, B_FAIL_SILENT, B_FAIL_NOTIFY, B_DUPS } behaviour;

static int b_check(host_rule *r, const cml_model *m, rule_ctx *ctx) {
    behaviour b = (behaviour)(intptr_t)r->engine_data;
    CHECK(ctx_rule(ctx) == r);
    CHECK(ctx_model(ctx) == m);
    CHECK(cJSON_IsObject(ctx_options(ctx)));
    switch (b) {
    case B_LOCATED: {
        char msg[64] = "conv 'conv_1' computes in fp32";
        cml_loc op = {.artifact = "model.mil", .logical = "main/conv_1", .line = 7, .column = 3};
        cml_loc layer = {.artifact = "", .logical = "layer[3]:dense"};
        cml_loc feat = {.artifact = "", .logical = "input:image"};
        related_loc rel = {.message = "produced here", .loc = {.artifact = "weights/weight.bin", .has_bytes = true,
                                                                 .byte_offset = 64, .byte_length = 128}};
        report_args a = {.message = msg, .at = &op, .fix = "cast to fp16", .related = &rel, .n_related = 1,
                         .props = cJSON_CreateObject()};
        CHECK_INT(ctx_report(ctx, &a), 0);
        strcpy(msg, "overwritten");         /* the host copied the message */
        CHECK_INT(ctx_report(ctx, &(report_args){.message = "layer finding", .at = &layer, .level = LEVEL_ERROR}), 0);
        CHECK_INT(ctx_report(ctx, &(report_args){.message = "feature finding", .at = &feat}), 0);
        CHECK_INT(ctx_report(ctx, &(report_args){.message = "model finding one"}), 0);
        CHECK_INT(ctx_report(ctx, &(report_args){.message = "model finding two", .level = LEVEL_NOTE}), 0);
        CHECK_STR(ctx_target(ctx), "iOS16");
        break;
    }
    case B_FLOOD:
        for (unsigned i = 0; i < CTX_MAX_FINDINGS_PER_RULE + 5; i++) {
            char msg[32];
            snprintf(msg, sizeof msg, "finding %u", i);
            int rc = ctx_report(ctx, &(report_args){.message = msg});
            if (i < CTX_MAX_FINDINGS_PER_RULE) CHECK_INT(rc, 0);
            else CHECK_INT(rc, CTX_CAPPED);
        }
        /* the cap is per level: an error after a flood of warnings is kept */
        CHECK_INT(ctx_report(ctx, &(report_args){.message = "error after the flood", .level = LEVEL_ERROR}), 0);
        break;
    case B_BAD_REPORTS:
        CHECK_INT(ctx_report(ctx, &(report_args){.message = NULL, .props = cJSON_CreateObject()}), -1);
        CHECK_INT(ctx_report(ctx, &(report_args){.message = ""}), -1);
        CHECK_INT(ctx_report(ctx, &(report_args){.message = "x", .level = 9}), -1);
        CHECK_INT(ctx_report(ctx, NULL), -1);
        break;
    case B_FAIL_SILENT:
        return -3;
    case B_FAIL_NOTIFY:
        ctx_notify(ctx, "rule/budget-exceeded", LEVEL_WARNING, "budget of %d exhausted", 1000);
        return -1;
    case B_DUPS: {
        cml_loc op = {.artifact = "", .logical = "main/x"};
        for (int i = 0; i < 3; i++) ctx_report(ctx, &(report_args){.message = "same", .at = &op});
        ctx_report(ctx, &(report_args){.message = "different", .at = &op});
        break;
    }
    }
    return 0;
}

static const engine b_engine = {"test", b_check, NULL, false};

static void add_b(registry *reg, const char *id, behaviour b) {
    host_rule *r = mk_rule(id, "/t/rules.lua");
    /* the run tests check an unreadable (empty) model: these rules look at
     * it anyway, as a rule may declare */
    char **tags = calloc(1, sizeof *tags);
    if (tags) {
        tags[0] = host_strdup("unreadable-models");
        free(r->tags);
        r->tags = tags;
        r->n_tags = 1;
    }
    r->eng = &b_engine;
    r->engine_data = (void *)(intptr_t)b;
    CHECK_INT(registry_add(reg, r), 0);
}

static const finding *find(const run_result *res, const char *rule, const char *msg) {
    for (size_t i = 0; i < res->n_findings; i++)
        if (!strcmp(res->findings[i]->rule_id, rule) && (!msg || !strcmp(res->findings[i]->message, msg)))
            return res->findings[i];
    return NULL;
}

static size_t count_rule(const run_result *res, const char *rule) {
    size_t n = 0;
    for (size_t i = 0; i < res->n_findings; i++) n += !strcmp(res->findings[i]->rule_id, rule);
    return n;
}

static const notification *find_note(const run_result *res, const char *kind, const char *rule) {
    for (size_t i = 0; i < res->n_notes; i++)
        if (!strcmp(res->notes[i]->kind, kind) && res->notes[i]->rule_id && !strcmp(res->notes[i]->rule_id, rule))
            return res->notes[i];
    return NULL;
}

static void test_run(void) {
    char dir[64];
    CHECK(tmp_make_dir(dir, sizeof dir, "cml-run-") != NULL);
    char model[4200];
    snprintf(model, sizeof model, "%s/empty.mlmodel", dir);
    FILE *f = fopen(model, "w");
    CHECK(f != NULL);
    if (f) fclose(f);

    registry *reg = registry_new();
    load_rules_register(reg);
    add_b(reg, "t/located", B_LOCATED);
    add_b(reg, "t/flood", B_FLOOD);
    add_b(reg, "t/bad-reports", B_BAD_REPORTS);
    add_b(reg, "t/fail-silent", B_FAIL_SILENT);
    add_b(reg, "t/fail-notify", B_FAIL_NOTIFY);
    add_b(reg, "t/dups", B_DUPS);
    char err[512] = "";
    CHECK_INT(config_apply(NULL, reg, NULL, err, sizeof err), 0);
    const char *paths[] = {model};
    run_opts o = {.target = "iOS16"};
    run_stats st;
    run_result *res = run_check(reg, &o, paths, 1, &st, err, sizeof err);
    CHECK(res != NULL);
    if (!res) {
        fprintf(stderr, "  run_check: %s\n", err);
        registry_free(reg);
        return;
    }
    CHECK_INT(st.models, 1);
    CHECK_INT(res->n_models, 1);
    CHECK_INT(res->fail_on, LEVEL_ERROR);
    /* t/fail-silent and t/fail-notify failed: the report is incomplete
     * (SARIF's executionSuccessful), whatever the exit code */
    CHECK(!res->execution_successful);
    CHECK(res->tool_version && *res->tool_version);
    /* the loader's problem is a load/ finding with the diag's level */
    const finding *ld = find(res, "load/protobuf-corrupt", NULL);
    CHECK(ld != NULL);
    if (ld) {
        CHECK_INT(ld->level, LEVEL_ERROR);
        CHECK_STR(ld->model_path, model);
        CHECK_STR(ld->loc.artifact, "");
        CHECK(ld->rule == registry_find(reg, "load/protobuf-corrupt"));
    }
    CHECK_INT(run_exit_code(res), 1);

    /* located findings: copied strings, derived logical kinds, levels */
    const finding *op = find(res, "t/located", "conv 'conv_1' computes in fp32");
    CHECK(op != NULL);
    if (op) {
        CHECK_STR(op->loc.artifact, "model.mil");
        CHECK_STR(op->loc.logical, "main/conv_1");
        CHECK_INT(op->loc.line, 7);
        CHECK_STR(op->logical_kind, "member");
        CHECK_INT(op->level, LEVEL_WARNING);          /* the rule's level */
        CHECK_STR(op->fix, "cast to fp16");
        CHECK_INT(op->n_related, 1);
        if (op->n_related) {
            CHECK_STR(op->related[0].message, "produced here");
            CHECK_STR(op->related[0].loc.artifact, "weights/weight.bin");
            CHECK_INT(op->related[0].loc.byte_offset, 64);
        }
        CHECK(cJSON_IsObject(op->props));
        CHECK_INT(strlen(op->fingerprint), 32);
    }
    const finding *ly = find(res, "t/located", "layer finding");
    CHECK(ly && !strcmp(ly->logical_kind, "member") && ly->level == LEVEL_ERROR);
    const finding *ft = find(res, "t/located", "feature finding");
    CHECK(ft && !strcmp(ft->logical_kind, "module"));
    const finding *m1 = find(res, "t/located", "model finding one");
    const finding *m2 = find(res, "t/located", "model finding two");
    CHECK(m1 && m2);
    if (m1 && m2) {
        CHECK(m1->loc.logical == NULL);
        CHECK_STR(m1->logical_kind, "module");
        CHECK_INT(m2->level, LEVEL_NOTE);
        CHECK(strcmp(m1->fingerprint, m2->fingerprint) != 0);   /* distinct by message */
    }
    /* the model's files that findings point at */
    CHECK(res->models[0]->n_artifacts >= 2);

    /* flood cap: exactly the cap kept, one notification */
    CHECK_INT(count_rule(res, "t/flood"), CTX_MAX_FINDINGS_PER_RULE + 1);
    const finding *after = find(res, "t/flood", "error after the flood");
    CHECK(after && after->level == LEVEL_ERROR);
    const notification *fl = find_note(res, "rule/too-many-findings", "t/flood");
    CHECK(fl && fl->count == 1 && !strcmp(fl->model_path, model));
    /* bad reports: refused, one notification counted four times */
    CHECK_INT(count_rule(res, "t/bad-reports"), 0);
    const notification *br = find_note(res, "rule/error", "t/bad-reports");
    CHECK(br && br->count == 4);
    /* a failing rule: a notification of its own, or the host's */
    CHECK(find_note(res, "rule/error", "t/fail-silent") != NULL);
    const notification *fn = find_note(res, "rule/budget-exceeded", "t/fail-notify");
    CHECK(fn && fn->count == 1 && !strcmp(fn->file, "/t/rules.lua"));
    CHECK(find_note(res, "rule/error", "t/fail-notify") == NULL);
    /* duplicates dropped: same fingerprint and message */
    CHECK_INT(count_rule(res, "t/dups"), 2);
    CHECK_INT(st.duplicates, 2);
    /* sorted */
    for (size_t i = 1; i < res->n_findings; i++) {
        const finding *a = res->findings[i - 1], *b = res->findings[i];
        int c = strcmp(a->loc.artifact, b->loc.artifact);
        CHECK(c < 0 || (c == 0 && a->loc.line <= b->loc.line));
    }

    /* baseline: a SARIF holding the fingerprint of two findings drops them */
    char sarif[4300];
    snprintf(sarif, sizeof sarif, "%s/base.sarif", dir);
    f = fopen(sarif, "w");
    if (f && op && ld) {
        fprintf(f, "{\"version\":\"2.1.0\",\"runs\":[{\"results\":[{\"partialFingerprints\":{\"primaryLocationLineHash\":"
                   "\"%s:1\"}},{\"partialFingerprints\":{\"primaryLocationLineHash\":\"%s\"}}]}]}",
                op->fingerprint, ld->fingerprint);
        fclose(f);
    }
    size_t before = res->n_findings;
    run_result_free(res);
    o.baseline = sarif;
    res = run_check(reg, &o, paths, 1, &st, err, sizeof err);
    CHECK(res != NULL);
    if (res) {
        CHECK_INT(res->n_findings, before - 2);
        CHECK_INT(st.baselined, 2);
        CHECK(find(res, "load/protobuf-corrupt", NULL) == NULL);
        CHECK(find(res, "t/located", "layer finding") != NULL);
        run_result_free(res);
    }
    /* an unreadable baseline is a tool error */
    o.baseline = "/nonexistent/base.sarif";
    res = run_check(reg, &o, paths, 1, &st, err, sizeof err);
    CHECK(res == NULL);
    CHECK(strstr(err, "/nonexistent/base.sarif") != NULL);
    registry_free(reg);
    unlink(sarif);
    unlink(model);
    rmdir(dir);
}

/* Config levels override every finding's level; suppressions mark. */
static void test_run_config(void) {
    char dir[64];
    CHECK(tmp_make_dir(dir, sizeof dir, "cml-runcfg-") != NULL);
    char model[4200];
    snprintf(model, sizeof model, "%s/empty.mlmodel", dir);
    FILE *f = fopen(model, "w");
    if (f) fclose(f);
    registry *reg = registry_new();
    load_rules_register(reg);
    add_b(reg, "t/located", B_LOCATED);
    config cfg;
    char err[1024];
    const char *json = "{\"rules\": {\"t/located\": {\"level\": \"note\"}, \"load/*\": {\"level\": \"warning\"}},"
                       " \"suppressions\": [{\"rule\": \"t/*\", \"op\": \"main/conv_*\", \"reason\": \"accepted\"},"
                       "                    {\"rule\": \"t/located\", \"path\": \"nowhere/**\", \"reason\": \"other path\"}]}";
    CHECK_INT(config_parse(&cfg, json, strlen(json), "cfg.json", dir, err, sizeof err), 0);
    CHECK_INT(config_apply(&cfg, reg, NULL, err, sizeof err), 0);
    const char *paths[] = {model};
    run_opts o = {.cfg = &cfg, .fail_on = LEVEL_WARNING, .target = "iOS16"};
    run_stats st;
    run_result *res = run_check(reg, &o, paths, 1, &st, err, sizeof err);
    CHECK(res != NULL);
    if (res) {
        const finding *ly = find(res, "t/located", "layer finding");
        CHECK(ly && ly->level == LEVEL_NOTE);   /* asked for error, config says note */
        const finding *ld = find(res, "load/protobuf-corrupt", NULL);
        CHECK(ld && ld->level == LEVEL_WARNING);
        const finding *op = find(res, "t/located", "conv 'conv_1' computes in fp32");
        CHECK(op && op->suppressed && !strcmp(op->suppress_reason, "accepted"));
        CHECK(ly && !ly->suppressed);
        CHECK_INT(st.suppressed, 1);
        CHECK_INT(run_exit_code(res), 1);       /* the load warning, fail_on warning */
        CHECK(res->execution_successful);       /* findings, but no rule failed */
        run_result_free(res);
    }
    /* excluded models are not checked */
    config_free(&cfg);
    const char *json2 = "{\"exclude\": [\"*.mlmodel\"]}";
    CHECK_INT(config_parse(&cfg, json2, strlen(json2), "cfg.json", dir, err, sizeof err), 0);
    res = run_check(reg, &o, paths, 1, &st, err, sizeof err);
    CHECK(res && res->n_models == 0 && res->n_findings == 0 && st.excluded == 1);
    run_result_free(res);
    config_free(&cfg);
    registry_free(reg);
    unlink(model);
    rmdir(dir);
}

/* Fingerprints (partialFingerprints.primaryLocationLineHash): two different
 * findings of one rule on one input stay apart (GitHub would merge them into
 * one alert), the same finding keeps its fingerprint when only its figures
 * or example names change, and two findings that differ only in a figure
 * are told apart by findings_finish. */
static finding *mk_finding(const char *rule, const char *logical, const char *msg) {
    finding *f = calloc(1, sizeof *f);
    f->rule_id = host_strdup(rule);
    f->message = host_strdup(msg);
    f->model_path = host_strdup("Models/Flower.mlmodel");
    f->loc.artifact = host_strdup("");
    f->loc.logical = logical ? host_strdup(logical) : NULL;
    f->level = LEVEL_WARNING;
    return f;
}

static void test_fingerprints(void) {
    finding *a = mk_finding("shapes/flexible-input", "input:image",
                            "input 'image' has an unbounded range for height (299..unbounded)");
    finding *b = mk_finding("shapes/flexible-input", "input:image",
                            "input 'image' uses a shape range (height: 299..unbounded, width: 299..unbounded)");
    findings_fingerprint(a);
    findings_fingerprint(b);
    CHECK(strcmp(a->fingerprint, b->fingerprint) != 0);
    /* the same finding, run again: the same fingerprint */
    finding *a2 = mk_finding("shapes/flexible-input", "input:image",
                             "input 'image' has an unbounded range for height (299..unbounded)");
    findings_fingerprint(a2);
    CHECK_STR(a->fingerprint, a2->fingerprint);
    /* figures and example names change with unrelated edits: kept */
    finding *c1 = mk_finding("ane/unsupported-op", "main",
                             "function 'main': 2 of 13 compute ops likely run outside the Neural Engine (e.g. 'lstm')");
    finding *c2 = mk_finding("ane/unsupported-op", "main",
                             "function 'main': 2 of 14 compute ops likely run outside the Neural Engine (e.g. 'lstm_2')");
    findings_fingerprint(c1);
    findings_fingerprint(c2);
    CHECK_STR(c1->fingerprint, c2->fingerprint);
    /* another rule or another place: another fingerprint */
    finding *d = mk_finding("preprocess/image-normalization", "input:image",
                            "input 'image' has an unbounded range for height (299..unbounded)");
    finding *e = mk_finding("shapes/flexible-input", "input:mask",
                            "input 'image' has an unbounded range for height (299..unbounded)");
    findings_fingerprint(d);
    findings_fingerprint(e);
    CHECK(strcmp(a->fingerprint, d->fingerprint) != 0);
    CHECK(strcmp(a->fingerprint, e->fingerprint) != 0);
    /* two findings in one run that differ only in a figure: kept apart */
    fvec v = {0};
    fvec_push(&v, mk_finding("size/x", NULL, "weight 'w' holds 10 values"));
    fvec_push(&v, mk_finding("size/x", NULL, "weight 'w' holds 20 values"));
    findings_stats st;
    CHECK_INT(findings_finish(&v, NULL, 0, NULL, "/", NULL, &st), 0);
    CHECK_INT(v.n, 2);
    if (v.n == 2) CHECK(strcmp(v.v[0]->fingerprint, v.v[1]->fingerprint) != 0);
    for (size_t i = 0; i < v.n; i++) finding_free(v.v[i]);
    free(v.v);
    finding *all[] = {a, b, a2, c1, c2, d, e};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) finding_free(all[i]);
}

static int cmp_cstr(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* The baseline across a collision: two findings of one shape take their
 * whole messages into their fingerprints, and the baseline holds those.
 * Once one is fixed, the other's fingerprint is its shape again: it is
 * still in the baseline (it came back as new). A new finding that collides
 * with a baselined one is not hidden by the shape the baseline holds. */
static void test_baseline_across_collision(void) {
    fvec v = {0};
    fvec_push(&v, mk_finding("house/meta", "model", "metadata 'author' is empty"));
    fvec_push(&v, mk_finding("house/meta", "model", "metadata 'license' is empty"));
    findings_stats st;
    CHECK_INT(findings_finish(&v, NULL, 0, NULL, "/", NULL, &st), 0);
    CHECK_INT(v.n, 2);
    char *fps[2] = {NULL, NULL};
    for (size_t i = 0; i < v.n && i < 2; i++) {
        CHECK(v.v[i]->fingerprint_raw);
        fps[i] = host_strdup(v.v[i]->fingerprint);
        finding_free(v.v[i]);
    }
    qsort(fps, 2, sizeof *fps, cmp_cstr);
    /* the author is fixed: the license finding stands alone, baselined */
    v.n = 0;
    fvec_push(&v, mk_finding("house/meta", "model", "metadata 'license' is empty"));
    CHECK_INT(findings_finish(&v, fps, 2, NULL, "/", NULL, &st), 0);
    CHECK_INT(v.n, 0);
    CHECK_INT(st.baselined, 1);
    /* a baseline of one finding, by its shape; then a second of that
     * shape appears: both take their whole message, neither matches the
     * shape, both are shown (a baseline never hides a new finding) */
    v.n = 0;
    fvec_push(&v, mk_finding("house/meta", "model", "metadata 'license' is empty"));
    CHECK_INT(findings_finish(&v, NULL, 0, NULL, "/", NULL, &st), 0);
    CHECK(v.n == 1 && !v.v[0]->fingerprint_raw);
    char *one[1] = {v.n ? host_strdup(v.v[0]->fingerprint) : NULL};
    for (size_t i = 0; i < v.n; i++) finding_free(v.v[i]);
    v.n = 0;
    fvec_push(&v, mk_finding("house/meta", "model", "metadata 'license' is empty"));
    fvec_push(&v, mk_finding("house/meta", "model", "metadata 'author' is empty"));
    CHECK_INT(findings_finish(&v, one, 1, NULL, "/", NULL, &st), 0);
    CHECK_INT(v.n, 2);
    for (size_t i = 0; i < v.n; i++) finding_free(v.v[i]);
    free(v.v);
    free(fps[0]);
    free(fps[1]);
    free(one[0]);
}

/* A rule's confirmed_by: the named rule's finding about the same place (the
 * finding's own logical location or one of its related ones), on the same
 * model, is folded into it as a related location marked as a confirmation;
 * one on another place or model, a more severe one, and one of a rule not
 * named stay findings of their own. A baseline that holds the static
 * finding drops the folded one with it. */
static void add_related(finding *f, const char *logical, const char *msg) {
    f->related = realloc(f->related, (f->n_related + 1) * sizeof *f->related);
    f->related[f->n_related] = (related_loc){.message = host_strdup(msg)};
    f->related[f->n_related].loc.artifact = host_strdup("");
    f->related[f->n_related].loc.logical = host_strdup(logical);
    f->n_related++;
}

/* the static rule io/static, confirmed by probe/seen */
static host_rule *static_rule(void) {
    host_rule *r = rule_new();
    r->id = host_strdup("io/static");
    r->confirmed_by = calloc(2, sizeof *r->confirmed_by);
    r->confirmed_by[0] = host_strdup("probe/seen");
    r->n_confirmed_by = 1;
    return r;
}

static void test_confirmed_by(void) {
    host_rule *st_rule = static_rule();
    fvec v = {0};
    finding *s1 = mk_finding("io/static", "layer[1]:prob", "softmax 'prob' is constant");
    s1->rule = st_rule;
    add_related(s1, "output:y", "output 'y'");
    finding *s2 = mk_finding("io/static", "output:z", "output 'z' depends on no input");
    s2->rule = st_rule;
    fvec_push(&v, s1);
    fvec_push(&v, s2);
    fvec_push(&v, mk_finding("probe/seen", "output:y", "output 'y' came out the same"));   /* folds into s1 */
    fvec_push(&v, mk_finding("probe/seen", "output:z", "output 'z' came out the same"));   /* into s2 */
    fvec_push(&v, mk_finding("probe/seen", "output:w", "output 'w' came out the same"));   /* no static one */
    finding *other_model = mk_finding("probe/seen", "output:y", "output 'y' came out the same");
    free(other_model->model_path);
    other_model->model_path = host_strdup("Models/Other.mlmodel");
    fvec_push(&v, other_model);
    fvec_push(&v, mk_finding("probe/other", "output:y", "output 'y' is something else"));  /* not named */
    /* run on s2's place again, as an error: more severe than s2, kept */
    finding *severe = mk_finding("probe/seen", "output:z", "output 'z' overflowed");
    severe->level = LEVEL_ERROR;
    fvec_push(&v, severe);
    findings_stats st;
    CHECK_INT(findings_finish(&v, NULL, 0, NULL, "/", NULL, &st), 0);
    CHECK_INT(st.confirmed, 2);
    CHECK_INT(v.n, 6);
    size_t seen = 0;
    for (size_t i = 0; i < v.n; i++) {
        const finding *f = v.v[i];
        if (!strcmp(f->rule_id, "probe/seen")) {
            seen++;
            CHECK(!strcmp(f->loc.logical, "output:w") || !strcmp(f->model_path, "Models/Other.mlmodel") ||
                  f->level == LEVEL_ERROR);
        }
        if (f == s1) {
            CHECK_INT(f->n_related, 2);
            if (f->n_related == 2) {
                CHECK(!f->related[0].confirmation && f->related[1].confirmation);
                CHECK_STR(f->related[1].message, "confirmed by probe/seen: output 'y' came out the same");
                CHECK_STR(f->related[1].loc.logical, "output:y");
            }
            const cJSON *ids = cJSON_GetObjectItemCaseSensitive(f->props, "confirmed_by");
            CHECK(cJSON_GetArraySize(ids) == 1 && !strcmp(cJSON_GetArrayItem(ids, 0)->valuestring, "probe/seen"));
        }
        if (f == s2) CHECK(f->n_related == 1 && f->related[0].confirmation);
    }
    CHECK_INT(seen, 3);
    for (size_t i = 0; i < v.n; i++) finding_free(v.v[i]);
    free(v.v);
    /* the baseline written from such a run holds s1's fingerprint only:
     * the probe's finding must not come back once s1 is dropped */
    fvec b = {0};
    s1 = mk_finding("io/static", "layer[1]:prob", "softmax 'prob' is constant");
    s1->rule = st_rule;
    add_related(s1, "output:y", "output 'y'");
    findings_fingerprint(s1);
    char *fps[1] = {host_strdup(s1->fingerprint)};
    fvec_push(&b, s1);
    fvec_push(&b, mk_finding("probe/seen", "output:y", "output 'y' came out the same"));
    CHECK_INT(findings_finish(&b, fps, 1, NULL, "/", NULL, &st), 0);
    CHECK_INT(b.n, 0);
    CHECK_INT(st.baselined, 1);
    CHECK_INT(st.confirmed, 1);
    for (size_t i = 0; i < b.n; i++) finding_free(b.v[i]);
    free(b.v);
    free(fps[0]);
    rule_free(st_rule);
}

/* Many restating findings at one place: each static finding takes the
 * least severe one not yet taken that is no more severe than itself (the
 * search once stepped over every taken or more severe one: quadratic). */
static void test_confirmed_by_many(void) {
    host_rule *st_rule = static_rule();
    fvec v = {0};
    enum { N = 3000 };
    for (int i = 0; i < N; i++) {
        finding *sf = mk_finding("io/static", "output:y", "output 'y' is constant");
        sf->rule = st_rule;
        sf->level = LEVEL_WARNING;
        fvec_push(&v, sf);
        finding *e = mk_finding("probe/seen", "output:y", "output 'y' overflowed");
        e->level = LEVEL_ERROR;   /* more severe: never folded */
        fvec_push(&v, e);
    }
    for (int i = 0; i < N / 2; i++) {
        finding *nf = mk_finding("probe/seen", "output:y", "output 'y' came out the same");
        nf->level = LEVEL_NOTE;
        fvec_push(&v, nf);
    }
    findings_stats st;
    CHECK_INT(findings_finish(&v, NULL, 0, NULL, "/", NULL, &st), 0);
    /* N/2 notes folded into as many static findings, the errors kept */
    CHECK_INT(st.confirmed, N / 2);
    size_t errors = 0, n_notes = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (!strcmp(v.v[i]->rule_id, "probe/seen") && v.v[i]->level == LEVEL_ERROR) errors++;
        if (!strcmp(v.v[i]->rule_id, "probe/seen") && v.v[i]->level == LEVEL_NOTE) n_notes++;
    }
    CHECK(errors >= 1);   /* kept (identical copies deduplicated) */
    CHECK_INT(n_notes, 0);
    for (size_t i = 0; i < v.n; i++) finding_free(v.v[i]);
    free(v.v);
    rule_free(st_rule);
}

/* A rule may attach facts under its own keys, not under "model": the host
 * adds the model's facts there after the rules, and the HTML and Markdown
 * reports show them (a plugin once made them read its format and size). */
static void test_property_keys(void) {
    cJSON *props = NULL;
    model_scope sc = {.props = &props};
    rule_ctx c = {.scope = &sc, .model_path = "Models/M.mlmodel"};
    CHECK_INT(ctx_add_property(&c, "model", "{\"format\": \"FAKE\"}"), -1);
    CHECK_INT(ctx_add_property(&c, "Model", "{}"), -1);
    CHECK_INT(ctx_add_property(&c, "house_facts", "{\"n\": 1}"), 0);
    CHECK(props && !cJSON_GetObjectItemCaseSensitive(props, "model"));
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(props, "house_facts");
    CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(h, "Models/M.mlmodel")));
    /* a second call for the model replaces its entry; another model's is added */
    CHECK_INT(ctx_add_property(&c, "house_facts", "{\"n\": 2}"), 0);
    c.model_path = "Models/N.mlmodel";
    CHECK_INT(ctx_add_property(&c, "house_facts", "{\"n\": 3}"), 0);
    CHECK_INT(cJSON_GetArraySize(h), 2);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(h, "Models/M.mlmodel");
    CHECK(cJSON_GetObjectItemCaseSensitive(m, "n") && cJSON_GetObjectItemCaseSensitive(m, "n")->valuedouble == 2);
    cJSON_Delete(props);
}

/* A config whose suppressions are costly to match against a model's long
 * names: the matching stops at FINDINGS_SUPP_BUDGET glob steps and the
 * findings not reached stay unsuppressed (a config can make a run show
 * more, never hide a finding by its cost); one cheap suppression still
 * works before the budget is spent. */
static void test_suppression_budget(void) {
    enum { NSUPP = 1100, LONG = 1 << 20 };
    size_t cap = 64 + NSUPP * 64;
    char *json = malloc(cap), *p = json;
    p += sprintf(p, "{\"suppressions\": [{\"rule\": \"io/first\", \"reason\": \"cheap\"}");
    for (int i = 0; i < NSUPP; i++) p += sprintf(p, ", {\"rule\": \"*\", \"op\": \"*b%d\", \"reason\": \"r\"}", i);
    sprintf(p, "]}");
    config cfg;
    char err[512];
    CHECK_INT(config_parse(&cfg, json, strlen(json), "/p/.coreml-lint.json", "/p", err, sizeof err), 0);
    free(json);
    char *name = malloc(LONG + 1);
    memset(name, 'a', LONG);
    name[LONG] = 0;
    fvec v = {0};
    fvec_push(&v, mk_finding("io/first", "x", "a cheap one"));
    for (int i = 0; i < 2; i++) fvec_push(&v, mk_finding("io/long", name, i ? "second" : "first"));
    free(name);
    findings_stats st;
    CHECK_INT(findings_finish(&v, NULL, 0, &cfg, "/p", NULL, &st), 0);
    CHECK(st.supp_budget_spent);
    size_t suppressed = 0;
    for (size_t i = 0; i < v.n; i++) {
        suppressed += v.v[i]->suppressed;
        if (v.v[i]->suppressed) CHECK_STR(v.v[i]->rule_id, "io/first");
    }
    CHECK_INT(suppressed, 1);
    CHECK_INT(v.n, 3);
    for (size_t i = 0; i < v.n; i++) finding_free(v.v[i]);
    free(v.v);
    config_free(&cfg);
}

/* A baseline whose values would make cJSON hold gigabytes: 255 MiB of
 * "0," compress to 260 kB in a repository and took 10 GB; refused by its
 * count of values before parsing. A real one still reads. */
static void test_baseline_values_cap(void) {
    char path[] = "/tmp/cml-test-baseline-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) return;
    fputs("{\"runs\": [", f);
    for (int i = 0; i < 9 << 20; i++) fputs("0,", f);
    fputs("0]}", f);
    fclose(f);
    char **fps = NULL, err[256] = "";
    size_t n = 0;
    CHECK_INT(findings_baseline_read(path, &fps, &n, err, sizeof err), -1);
    CHECK(strstr(err, "JSON values") != NULL);
    f = fopen(path, "w");
    if (f) {
        fputs("{\"runs\": [{\"results\": [{\"partialFingerprints\": {\"primaryLocationLineHash\": \"abc:1\"}}]}]}", f);
        fclose(f);
    }
    CHECK_INT(findings_baseline_read(path, &fps, &n, err, sizeof err), 0);
    CHECK(n == 1 && fps && !strcmp(fps[0], "abc"));
    for (size_t i = 0; i < n; i++) free(fps[i]);
    free(fps);
    unlink(path);
}

/* the string set that keeps discovery and the run linear in the models */
static void test_strset(void) {
    host_strset s = {0};
    static char keys[3000][16];
    for (int i = 0; i < 3000; i++) {
        snprintf(keys[i], sizeof keys[i], "m%d.mlmodel", i);
        CHECK_INT(host_strset_add(&s, keys[i]), 1);
    }
    CHECK_INT(s.n, 3000);
    char probe[16];
    for (int i = 0; i < 3000; i += 7) {
        snprintf(probe, sizeof probe, "m%d.mlmodel", i);
        CHECK(host_strset_has(&s, probe));
        CHECK_INT(host_strset_add(&s, probe), 0);   /* equal text: already there */
    }
    CHECK(!host_strset_has(&s, "m3000.mlmodel"));
    CHECK_INT(s.n, 3000);
    host_strset_free(&s);
    CHECK(!host_strset_has(&s, "m1.mlmodel"));
}

int main(void) {
    RUN(test_sha256);
    RUN(test_levels);
    RUN(test_rule_id_syntax);
    RUN(test_globs);
    RUN(test_strset);
    RUN(test_paths);
    RUN(test_registry_gate);
    RUN(test_notes_dedupe);
    RUN(test_bundled_set_valid);
    RUN(test_run);
    RUN(test_run_config);
    RUN(test_fingerprints);
    RUN(test_baseline_across_collision);
    RUN(test_confirmed_by_many);
    RUN(test_property_keys);
    RUN(test_confirmed_by);
    RUN(test_suppression_budget);
    RUN(test_baseline_values_cap);
    return CHECK_DONE();
}

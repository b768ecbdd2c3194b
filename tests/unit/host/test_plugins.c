/* SPDX-License-Identifier: Apache-2.0 */
/* test_plugins.c — the shared-object plugin engine (core/host/so/engine.c)
 * against the test plugins of tests/plugins/, the bundled
 * plugins/ane-fp32-program and the template. Each broken plugin must be
 * refused with exactly one plugin/unusable notification whose message names
 * the file, the field and the versions, while good plugins next to it still
 * load; a crashing and a hanging third-party check must become plugin/crash
 * and plugin/timeout while the other rules of the same run still report;
 * what an isolated check sends through its pipe must equal what the same
 * check reports in-process; the bundled rule must fire on the fp32 corpus
 * program and not on the fp16 one (corpus tests skip without
 * CML_CORPUS_DIR; the run tests then use the fixture writer's fp32 program,
 * so a clone without ../shared checks the same things); and plugins must
 * not import host symbols. Rules run
 * through run_check (core/host/run.c), models through the real loader. */
#define _DEFAULT_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmptree.h"
#include "coreml-lint/plugin.h"
#include "cli/sources.h"
#include "host/ctx.h"
#include "host/lua/engine.h"
#include "host/run.h"
#include "host/so/engine.h"
#include "host/util.h"
#include "ir/model.h"


static const char *build_dir;
static const char *corpus_dir;
/* The model the run tests check when the corpus is absent: the fixture
 * writer's fp32 ML Program with constant weights (so the weight services
 * have something to read), written at build time into the build folder. */
static char fixture_model[1024];

static const char *tp(const char *name) {
    static char buf[8][1024];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, sizeof buf[0], "%s/tests/plugins/%s.so", build_dir, name);
    return p;
}

static const char *bundled_dir(void) {
    static char p[1024];
    snprintf(p, sizeof p, "%s/plugins", build_dir);
    return p;
}

static const char *bundled_fp32(void) {
    static char p[1024];
    snprintf(p, sizeof p, "%s/plugins/ane-fp32-program.so", build_dir);
    return p;
}

static const char *corpus(const char *name) {
    static char buf[4][1024];
    static int k;
    if (!corpus_dir) return NULL;
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", corpus_dir, name);
    struct stat st;
    return stat(p, &st) == 0 ? p : NULL;
}

/* The notifications of `kind` (any when NULL) for rule_id (any when NULL). */
static size_t count_notes(const registry *reg, const char *kind, const char *rule_id) {
    size_t n = 0;
    for (size_t i = 0; i < registry_n_notes(reg); i++) {
        const notification *no = registry_note(reg, i);
        if (kind && strcmp(no->kind, kind)) continue;
        if (rule_id && (!no->rule_id || strcmp(no->rule_id, rule_id))) continue;
        n++;
    }
    return n;
}

static const notification *find_note(const registry *reg, const char *kind, const char *rule_id,
                                     const char *needle) {
    for (size_t i = 0; i < registry_n_notes(reg); i++) {
        const notification *no = registry_note(reg, i);
        if (strcmp(no->kind, kind)) continue;
        if (rule_id && (!no->rule_id || strcmp(no->rule_id, rule_id))) continue;
        if (needle && !strstr(no->message, needle)) continue;
        return no;
    }
    return NULL;
}

static void dump_notes(const registry *reg) {
    for (size_t i = 0; i < registry_n_notes(reg); i++) {
        const notification *no = registry_note(reg, i);
        fprintf(stderr, "  note %s [%s] x%zu: %s\n", no->kind, no->rule_id ? no->rule_id : "-", no->count,
                no->message);
    }
}

static const finding *find_finding(const run_result *r, const char *rule_id, size_t nth) {
    for (size_t i = 0; r && i < r->n_findings; i++)
        if (!strcmp(r->findings[i]->rule_id, rule_id) && nth-- == 0) return r->findings[i];
    return NULL;
}

static size_t count_findings(const run_result *r, const char *rule_id) {
    size_t n = 0;
    for (size_t i = 0; r && i < r->n_findings; i++) n += !strcmp(r->findings[i]->rule_id, rule_id);
    return n;
}

static run_result *run_lim(registry *reg, const char *model, const char *target, const host_limits *lim) {
    run_opts o = {0};
    o.target = target;
    o.limits = lim;
    char err[256] = "";
    const char *paths[1] = {model};
    run_result *r = run_check(reg, &o, paths, 1, NULL, err, sizeof err);
    if (!r) fprintf(stderr, "run_check: %s\n", err);
    return r;
}

static run_result *run_one(registry *reg, const char *model, const char *target) {
    return run_lim(reg, model, target, NULL);
}

/* Load one broken plugin into a fresh registry and expect exactly one
 * plugin/unusable notification with this message, about this file. */
static void expect_unusable(const char *name, const char *message) {
    registry *reg = registry_new();
    const char *path = tp(name);
    CHECK_INT(so_load_plugin(reg, path, false, NULL), 0);
    CHECK_INT(registry_count(reg), 0);
    CHECK_INT(registry_n_notes(reg), 1);
    const notification *no = registry_note(reg, 0);
    if (no) {
        CHECK_STR(no->kind, "plugin/unusable");
        CHECK_INT(no->level, LEVEL_ERROR);
        CHECK_STR(no->message, message);
        CHECK_STR(no->file, path);
        CHECK(no->rule_id == NULL);
    }
    registry_free(reg);
}

/* ---- loading ------------------------------------------------------------------- */

static void test_bundled_loads(void) {
    registry *reg = registry_new();
    /* every bundled plugin loads cleanly (there are several rule areas) */
    CHECK(so_load_dir(reg, bundled_dir(), true, NULL) >= 1);
    CHECK_INT(registry_n_notes(reg), 0);
    dump_notes(reg);
    host_rule *r = registry_find(reg, "ane/fp32-program");
    CHECK(r != NULL);
    if (r) {
        CHECK_STR(r->kind, "so");
        CHECK_STR(r->name, "Fp32Program");
        CHECK_STR(r->origin, bundled_fp32());
        CHECK_INT(r->default_level, LEVEL_WARNING);
        CHECK_INT(r->n_tags, 3);
        CHECK_INT(r->n_options, 1);
        if (r->n_options == 1) {
            CHECK_STR(r->options[0].name, "min_fraction");
            CHECK_INT(r->options[0].type, OPT_NUMBER);
            CHECK(cJSON_IsNumber(r->options[0].default_value) && r->options[0].default_value->valuedouble == 0.9);
        }
        CHECK(strstr(r->help_md, "typed-execution") != NULL);
    }
    registry_free(reg);
}

static void test_abi_newer(void) {
    expect_unusable("abi-newer", "abi-newer.so: ABI 7 is newer than this host (newest 1)");
}

static void test_abi_too_old(void) {
    expect_unusable("abi-too-old", "abi-too-old.so: ABI 0 is older than this host supports (oldest 1)");
}

static void test_reserved_nonzero(void) {
    expect_unusable("reserved-nonzero", "reserved-nonzero.so: field 'reserved[1]' of cml_plugin is not zero "
                                        "(reserved in ABI 1; the plugin may need a newer host)");
}

static void test_bad_id(void) {
    expect_unusable("bad-id", "bad-id.so: rules[1]: rule 'Test/Bad_Id': field 'id' is not of the form "
                              "category/kebab-name ([a-z0-9-]+/[a-z0-9-]+)");
}

static void test_missing_metadata(void) {
    expect_unusable("missing-metadata",
                    "missing-metadata.so: rules[0]: rule 'test/missing-metadata': field 'help_md' is missing or "
                    "empty (required: id, name, summary, help_md, default_level, check)");
}

static void test_no_entry_symbol(void) {
    expect_unusable("no-entry-symbol", "no-entry-symbol.so: has no symbol 'cml_plugin_entry' (not a coreml-lint "
                                       "plugin, or built without CML_PLUGIN_DEFINE)");
}

static void test_returns_null(void) {
    expect_unusable("returns-null",
                    "returns-null.so: declined to load (cml_plugin_entry returned NULL for host ABI 1)");
}

static void test_not_a_file(void) {
    registry *reg = registry_new();
    CHECK_INT(so_load_plugin(reg, "/nonexistent/dir/nothing.so", false, NULL), 0);
    const notification *no = find_note(reg, "plugin/unusable", NULL, "nothing.so: cannot be loaded: ");
    CHECK(no != NULL);
    CHECK_INT(so_load_dir(reg, "/nonexistent/dir", false, NULL), 0);
    CHECK(find_note(reg, "plugin/unusable", NULL, "cannot read plugin folder /nonexistent/dir") != NULL);
    registry_free(reg);
}

static void test_duplicate_id(void) {
    registry *reg = registry_new();
    CHECK_INT(so_load_plugin(reg, bundled_fp32(), true, NULL), 1);
    const char *path = tp("duplicate-id");
    CHECK_INT(so_load_plugin(reg, path, false, NULL), 0);
    CHECK_INT(registry_count(reg), 1);
    CHECK_INT(registry_n_notes(reg), 1);
    char want[2048];
    snprintf(want, sizeof want,
             "duplicate-id.so: rules[0]: rule 'ane/fp32-program': field 'id' duplicates the rule loaded from %s",
             bundled_fp32());
    const notification *no = registry_note(reg, 0);
    if (no) {
        CHECK_STR(no->kind, "plugin/unusable");
        CHECK_STR(no->message, want);
        CHECK_STR(no->file, path);
    }
    host_rule *r = registry_find(reg, "ane/fp32-program");
    CHECK(r && !strcmp(r->origin, bundled_fp32())); /* the first one stays */
    registry_free(reg);
}

/* The same plugin file named twice, once through a link (the config's
 * "plugins" and --plugin): loaded once, without a duplicate-id error. */
static void test_same_plugin_twice(void) {
    registry *reg = registry_new();
    char link[PATH_MAX];
    if (!tmp_make_dir(link, sizeof link - 16, "cml-twice-")) {
        CHECK(0);
        registry_free(reg);
        return;
    }
    strcat(link, "/again.so");
    CHECK_INT(symlink(bundled_fp32(), link), 0);
    CHECK_INT(so_load_plugin(reg, bundled_fp32(), true, NULL), 1);
    CHECK_INT(so_load_plugin(reg, link, false, NULL), 0);
    CHECK_INT(so_load_plugin(reg, bundled_fp32(), true, NULL), 0);
    CHECK_INT(registry_count(reg), 1);
    dump_notes(reg);
    CHECK_INT(registry_n_notes(reg), 0);
    unlink(link);
    *strrchr(link, '/') = 0;
    rmdir(link);
    registry_free(reg);
}

/* An older plugin's shorter structs (junk after them) load, zero-extended. */
static void test_size_smaller(void) {
    registry *reg = registry_new();
    CHECK_INT(so_load_plugin(reg, tp("size-smaller"), false, NULL), 1);
    CHECK_INT(registry_n_notes(reg), 0);
    dump_notes(reg);
    host_rule *r = registry_find(reg, "test/size-smaller");
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(r->default_level, LEVEL_NOTE);
        CHECK_STR(r->description, "A test rule."); /* defaulted from summary */
        CHECK(r->help_uri == NULL);
        CHECK_INT(r->n_tags, 0);
        CHECK_INT(r->n_options, 0);
    }
    /* a readable model: this rule's short struct has no tags, so it does
     * not ask to run on unreadable ones (an unreadable model would run only load/... rules) */
    char readable[4096];
    const char *bd = getenv("CML_BUILD_DIR");
    snprintf(readable, sizeof readable, "%s/examples/tiny_convnet_nn.mlmodel", bd ? bd : ".");
    run_result *res = run_one(reg, readable, NULL);
    const finding *f = find_finding(res, "test/size-smaller", 0);
    CHECK(f && !strcmp(f->message, "test/size-smaller ran"));
    CHECK_INT(count_notes(reg, NULL, "test/size-smaller"), 0);
    run_result_free(res);
    registry_free(reg);
}

/* The good plugin's cml_plugin is longer than the host's: it loads. */
static void test_good_loads(void) {
    registry *reg = registry_new();
    CHECK_INT(so_load_plugin(reg, tp("good"), false, NULL), 2);
    CHECK_INT(registry_n_notes(reg), 0);
    dump_notes(reg);
    host_rule *r = registry_find(reg, "test/good");
    CHECK(r != NULL);
    if (r) {
        CHECK_STR(r->description, "Reports what the host services returned.");
        CHECK_STR(r->help_uri, "https://example.invalid/good");
        CHECK_INT(r->n_tags, 2);
        CHECK_INT(r->n_options, 5);
        if (r->n_options == 5) {
            char *s = cJSON_PrintUnformatted(r->options_config);
            CHECK_STR(s, "{\"flag\":true,\"count\":3,\"ratio\":0.5,\"label\":\"abc\",\"names\":[\"x\",\"y\"]}");
            free(s);
            CHECK_INT(r->options[4].type, OPT_STRINGS);
            CHECK_STR(r->options[4].doc, "Strings.");
        }
    }
    registry_free(reg);
}

/* ---- running ---------------------------------------------------------------------- */

/* Everything at once: bad plugins refused, good ones kept; the crashing and
 * the hanging checks become notifications and every other rule reports. */
static void test_good_next_to_bad(void) {
    static const char *const all[] = {"abi-newer",        "abi-too-old",     "size-smaller",    "reserved-nonzero",
                                      "bad-id",           "duplicate-id",    "missing-metadata", "no-entry-symbol",
                                      "crash-in-check",   "hang-in-check",   "returns-null",    "good"};
    registry *reg = registry_new();
    int bundled = so_load_dir(reg, bundled_dir(), true, NULL), added = 0;
    CHECK(bundled >= 1);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) added += so_load_plugin(reg, tp(all[i]), false, NULL);
    CHECK_INT(added, 5); /* size-smaller, crash, hang, good, good-fails */
    CHECK_INT(count_notes(reg, "plugin/unusable", NULL), 8);
    CHECK_INT(registry_n_notes(reg), 8);
    for (const char *const *id = (const char *const[]){"ane/fp32-program", "test/size-smaller", "test/crash-in-check",
                                                        "test/hang-in-check", "test/good", "test/good-fails", NULL};
         *id; id++)
        CHECK(registry_find(reg, *id) != NULL);
    CHECK(registry_find(reg, "test/bad-id-sibling") == NULL); /* all or nothing */

    const char *model = corpus("resnet18w25_mlprogram_fp32_ios16.mlpackage");
    if (!model) model = fixture_model;
    host_limits lim = host_limits_default();
    CHECK_INT(lim.plugin_timeout_ms, 10000);
    lim.plugin_timeout_ms = 700;
    run_result *res = run_lim(reg, model, "iOS16", &lim);
    CHECK(res != NULL);

    const notification *crash = find_note(reg, "plugin/crash", "test/crash-in-check", NULL);
    CHECK(crash != NULL);
    if (crash) {
        CHECK_STR(crash->message, "rule 'test/crash-in-check' (plugin crash-in-check.so) crashed with signal 11 "
                                  "(SIGSEGV)");
        CHECK_INT(crash->level, LEVEL_ERROR);
        CHECK_STR(crash->file, tp("crash-in-check"));
        /* the model as the run names it: normalised ("a/../b" is "b") */
        char cwd[PATH_MAX];
        char *norm = host_path_normalize(model, getcwd(cwd, sizeof cwd) ? cwd : NULL);
        CHECK(crash->model_path && norm && strstr(norm, crash->model_path) != NULL);
        free(norm);
    }
    const notification *hang = find_note(reg, "plugin/timeout", "test/hang-in-check", NULL);
    CHECK(hang != NULL);
    if (hang)
        CHECK_STR(hang->message, "rule 'test/hang-in-check' (plugin hang-in-check.so) did not finish within 0.7 s "
                                 "(wall clock); its process was killed");
    /* good-fails: a refused report, then CML_EINVAL (one rule/error, counted twice) */
    const notification *fails = find_note(reg, "rule/error", "test/good-fails", NULL);
    CHECK(fails != NULL);
    if (fails) {
        CHECK_STR(fails->message, "rule 'test/good-fails': report refused: field 'message' is missing or empty");
        CHECK_INT(fails->count, 2);
    }
    CHECK(find_note(reg, "plugin/log", "test/good", "good: checked ") != NULL);
    CHECK_INT(count_notes(reg, NULL, NULL), 8 + 4);
    if (count_notes(reg, NULL, NULL) != 12) dump_notes(reg);

    /* ...and the well-behaved rules of the same run reported. */
    CHECK_INT(count_findings(res, "test/good"), 1);
    CHECK_INT(count_findings(res, "test/size-smaller"), 1);
    CHECK_INT(count_findings(res, "test/crash-in-check"), 0);
    CHECK_INT(count_findings(res, "test/hang-in-check"), 0);
    CHECK_INT(count_findings(res, "ane/fp32-program"), 1);
    const finding *g = find_finding(res, "test/good", 0);
    if (g) {
        CHECK(strstr(g->message, "good: flag=1 count=3 ratio=0.50 label=abc names=x,y undeclared=7 target=iOS16 "
                                 "state=42 ") == g->message);
        CHECK(strstr(g->message, " fake=0 abi=1") != NULL);
        CHECK_INT(g->level, LEVEL_NOTE);
        CHECK_STR(g->fix, "nothing to fix");
        CHECK_INT(g->n_related, 2);
    }
    run_result_free(res);
    registry_free(reg);
}

/* A process's state letter from /proc/PID/stat, or 0 when there is none. */
static char proc_state(long pid) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char st = 0;
    if (fgets(line, sizeof line, f)) {
        const char *p = strrchr(line, ')');
        if (p && p[1] == ' ') st = p[2];
    }
    fclose(f);
    return st;
}

/* An isolated check that forks a helper which never exits: the host takes
 * the check's report at its end frame (not at the pipe's EOF, which the
 * helper would hold off until the time-out) and kills the helper with the
 * check's process group. */
static void test_forked_helper(void) {
    registry *reg = registry_new();
    CHECK_INT(so_load_plugin(reg, tp("fork-in-check"), false, NULL), 1);
    host_limits lim = host_limits_default();
    lim.plugin_timeout_ms = 5000;
    run_result *res = run_lim(reg, fixture_model, "iOS16", &lim);
    CHECK(res != NULL);
    CHECK(find_note(reg, "plugin/timeout", "test/fork-in-check", NULL) == NULL);
    CHECK_INT(count_notes(reg, NULL, NULL), 0);
    if (count_notes(reg, NULL, NULL)) dump_notes(reg);
    const finding *f = find_finding(res, "test/fork-in-check", 0);
    CHECK(f != NULL);
    long pid = 0;
    if (f) CHECK_INT(sscanf(f->message, "helper pid %ld", &pid), 1);
    if (pid > 0) {
        /* Killed, it is gone or a zombie its new parent has yet to reap. */
        char st = proc_state(pid);
        for (int i = 0; i < 200 && st && st != 'Z'; i++) {
            usleep(10000);
            st = proc_state(pid);
        }
        CHECK(st == 0 || st == 'Z');
        if (st && st != 'Z') kill((pid_t)pid, SIGKILL);
    }
    run_result_free(res);
    registry_free(reg);
}

static bool same_loc(const cml_loc *a, const cml_loc *b) {
    return !strcmp(a->artifact ? a->artifact : "", b->artifact ? b->artifact : "") &&
           !strcmp(a->logical ? a->logical : "", b->logical ? b->logical : "") && a->line == b->line &&
           a->column == b->column && a->has_bytes == b->has_bytes && a->byte_offset == b->byte_offset &&
           a->byte_length == b->byte_length;
}

/* The pipe from an isolated child carries exactly what in-process gives,
 * with options from the configuration. */
static void test_isolated_equals_inprocess(void) {
    const char *model = corpus("resnet18w25_mlprogram_fp32_ios16.mlpackage");
    if (!model) model = fixture_model;
    run_result *res[2];
    registry *regs[2];
    for (int k = 0; k < 2; k++) {
        regs[k] = registry_new();
        CHECK_INT(so_load_plugin(regs[k], tp("good"), k == 1, NULL), 2); /* bundled: in-process */
        CHECK_INT(so_load_plugin(regs[k], bundled_fp32(), k == 1, NULL), 1);
        host_rule *r = registry_find(regs[k], "test/good");
        if (r) {
            cJSON_ReplaceItemInObjectCaseSensitive(r->options_config, "count", cJSON_CreateNumber(9));
            cJSON *names = cJSON_CreateArray();
            cJSON_AddItemToArray(names, cJSON_CreateString("only"));
            cJSON_ReplaceItemInObjectCaseSensitive(r->options_config, "names", names);
            cJSON_ReplaceItemInObjectCaseSensitive(r->options_config, "flag", cJSON_CreateFalse());
        }
        res[k] = run_one(regs[k], model, NULL);
    }
    CHECK(res[0] && res[1]);
    if (res[0] && res[1]) {
        CHECK_INT(res[0]->n_findings, res[1]->n_findings);
        for (size_t i = 0; i < res[0]->n_findings && i < res[1]->n_findings; i++) {
            const finding *a = res[0]->findings[i], *b = res[1]->findings[i];
            CHECK_STR(a->rule_id, b->rule_id);
            CHECK_STR(a->message, b->message);
            CHECK(!a->fix == !b->fix && (!a->fix || !strcmp(a->fix, b->fix)));
            CHECK_INT(a->level, b->level);
            CHECK(same_loc(&a->loc, &b->loc));
            CHECK_INT(a->n_related, b->n_related);
            for (size_t j = 0; j < a->n_related && j < b->n_related; j++) {
                CHECK_STR(a->related[j].message, b->related[j].message);
                CHECK(same_loc(&a->related[j].loc, &b->related[j].loc));
            }
        }
        const finding *g = find_finding(res[0], "test/good", 0);
        CHECK(g && strstr(g->message, "good: flag=0 count=9 ratio=0.50 label=abc names=only undeclared=7 "
                                      "target=none state=42 ") == g->message);
        if (g) {
            /* weight_read reads what the host's own reader reads */
            size_t w = 0, rd = 0, want = 0;
            const char *p = strstr(g->message, "weights=");
            CHECK(p && sscanf(p, "weights=%zu readable=%zu", &w, &rd) == 2);
            lmodel *lm = loader_load(model, NULL);
            CHECK(lm && lm->model);
            if (lm && lm->model) {
                CHECK_INT(w, lm->model->n_weights);
                unsigned char b4[4];
                for (size_t i = 0; i < lm->model->n_weights; i++)
                    want += ir_weight_read(lm->model->weights[i], 0, b4, sizeof b4) > 0;
            }
            loader_free(lm);
            CHECK(w > 0 && rd > 0);
            CHECK_INT(rd, want);
        }
    }
    for (int k = 0; k < 2; k++) {
        CHECK_INT(count_notes(regs[k], "plugin/log", "test/good"), 1);
        CHECK_INT(count_notes(regs[k], "rule/error", "test/good-fails"), 1);
        run_result_free(res[k]);
        registry_free(regs[k]);
    }
}

/* ---- the bundled rule on the corpus --------------------------------------------------- */

static void test_fp32_program_rule(void) {
    const char *fp32 = corpus("resnet18w25_mlprogram_fp32_ios16.mlpackage");
    const char *fp16 = corpus("resnet18w25_mlprogram_fp16_ios16.mlpackage");
    const char *nn = corpus("resnet18w25_nn_fp32_ios13.mlmodel");
    if (!fp32 || !fp16) {
        fprintf(stderr, "SKIP test_fp32_program_rule: corpus not found (CML_CORPUS_DIR=%s)\n",
                corpus_dir ? corpus_dir : "(unset)");
        return;
    }
    registry *reg = registry_new();
    CHECK(so_load_dir(reg, bundled_dir(), true, NULL) >= 1);
    run_result *r = run_one(reg, fp32, NULL);
    CHECK_INT(count_findings(r, "ane/fp32-program"), 1);
    const finding *f = find_finding(r, "ane/fp32-program", 0);
    if (f) {
        fprintf(stderr, "  fp32: %s\n", f->message);
        CHECK(strstr(f->message, "function 'main': ") == f->message);
        CHECK(strstr(f->message, " float compute ops are typed fp32 (e.g. ") != NULL);
        CHECK(strstr(f->message, "Core ML never runs float32-typed programs on the Neural Engine") != NULL);
        size_t n32 = 0, nf = 0;
        CHECK(sscanf(f->message, "function 'main': %zu of %zu", &n32, &nf) == 2);
        CHECK(n32 > 0 && n32 == nf); /* resnet18: 20 conv, 17 relu, 8 add, ... all fp32 */
        CHECK_INT(f->level, LEVEL_WARNING);
        CHECK(f->fix && strstr(f->fix, "compute_precision=ct.precision.FLOAT16"));
        CHECK_STR(f->loc.logical, "main");
        CHECK_INT(f->n_related, 1);
        if (f->n_related) CHECK(strstr(f->related[0].message, "first fp32 compute op: ") != NULL);
    }
    CHECK_INT(registry_n_notes(reg), 0);
    run_result_free(r);

    r = run_one(reg, fp16, NULL);
    CHECK_INT(count_findings(r, "ane/fp32-program"), 0);
    run_result_free(r);
    if (nn) { /* a NeuralNetwork is untyped: never this rule */
        r = run_one(reg, nn, NULL);
        CHECK_INT(count_findings(r, "ane/fp32-program"), 0);
        run_result_free(r);
    }
    /* min_fraction above what the model has: silent */
    host_rule *rule = registry_find(reg, "ane/fp32-program");
    if (rule) {
        cJSON_ReplaceItemInObjectCaseSensitive(rule->options_config, "min_fraction", cJSON_CreateNumber(1.0));
        r = run_one(reg, fp32, NULL);
        CHECK_INT(count_findings(r, "ane/fp32-program"), 1); /* all fp32: 100 % >= 1.0 */
        run_result_free(r);
    }
    CHECK_INT(registry_n_notes(reg), 0);
    dump_notes(reg);
    registry_free(reg);
}

/* The template compiles in-tree and loads as a third-party plugin. */
static void test_template_plugin(void) {
    registry *reg = registry_new();
    CHECK_INT(so_load_plugin(reg, tp("template-plugin"), false, NULL), 1);
    host_rule *r = registry_find(reg, "example/zero-weight");
    CHECK(r != NULL);
    if (r && r->n_options == 1) {
        CHECK_STR(r->options[0].name, "min_bytes");
        CHECK_INT(r->options[0].type, OPT_INT);
    }
    const char *model = corpus("resnet18w25_mlprogram_fp32_ios16.mlpackage");
    run_result *res = run_one(reg, model ? model : fixture_model, NULL);
    CHECK_INT(count_findings(res, "example/zero-weight"), 0);
    CHECK_INT(registry_n_notes(reg), 0);
    dump_notes(reg);
    run_result_free(res);
    registry_free(reg);
}

/* ---- no host symbols ---------------------------------------------------------------------- */

/* Every undefined dynamic symbol of the plugin resolves in libc or libm
 * (sanitizer runtime symbols allowed in sanitizer builds), and the only
 * exported one is cml_plugin_entry. */
static void check_symbols(const char *so) {
    void *libs[2] = {dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), dlopen("libm.so.6", RTLD_NOW | RTLD_NOLOAD)};
    if (!libs[1]) libs[1] = dlopen("libm.so.6", RTLD_NOW);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "nm -D --undefined-only '%s' 2>/dev/null", so);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    char line[512];
    size_t n_undef = 0;
    while (p && fgets(line, sizeof line, p)) {
        char type[8], name[400];
        if (sscanf(line, " %7s %399s", type, name) != 2) continue;
        if (strcmp(type, "U")) continue; /* weak references (w) are optional */
        char *at = strchr(name, '@');
        if (at) *at = 0;
        n_undef++;
        if (!strncmp(name, "__asan", 6) || !strncmp(name, "__ubsan", 7) || !strncmp(name, "__sanitizer", 11))
            continue;
        bool ok = false;
        for (int i = 0; i < 2 && !ok; i++) ok = libs[i] && dlsym(libs[i], name);
        if (!ok) fprintf(stderr, "%s: undefined symbol %s is not from libc/libm\n", so, name);
        CHECK(ok);
    }
    if (p) CHECK_INT(pclose(p), 0);
    CHECK(n_undef > 0); /* nm ran and listed something */
    snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s' 2>/dev/null", so);
    p = popen(cmd, "r");
    size_t n_def = 0;
    while (p && fgets(line, sizeof line, p)) {
        char addr[64], type[8], name[400];
        if (sscanf(line, "%63s %7s %399s", addr, type, name) != 3) continue;
        if (strchr("TDBRV", type[0]) == NULL) continue;
        if (!strncmp(name, "__", 2) || !strcmp(name, "_init") || !strcmp(name, "_fini")) continue;
        n_def++;
        if (strcmp(name, "cml_plugin_entry")) fprintf(stderr, "%s exports %s\n", so, name);
        CHECK_STR(name, "cml_plugin_entry");
    }
    if (p) pclose(p);
    CHECK_INT(n_def, 1);
    for (int i = 0; i < 2; i++)
        if (libs[i]) dlclose(libs[i]);
}

static void test_no_host_symbols(void) {
    if (system("nm --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIP test_no_host_symbols: nm not found\n");
        return;
    }
    check_symbols(bundled_fp32());
    check_symbols(tp("template-plugin"));
    check_symbols(tp("good"));
}

int main(void) {
    build_dir = getenv("CML_BUILD_DIR");
    if (!build_dir) SKIP_ALL("CML_BUILD_DIR not set (run through ctest)");
    corpus_dir = getenv("CML_CORPUS_DIR");
    struct stat st;
    if (corpus_dir && (stat(corpus_dir, &st) != 0 || !S_ISDIR(st.st_mode))) corpus_dir = NULL;
    if (!corpus_dir) fprintf(stderr, "note: corpus not found; corpus checks are skipped\n");

    snprintf(fixture_model, sizeof fixture_model, "%s/rule-fixtures/probe/fire_cancel.mlpackage", build_dir);
    if (stat(fixture_model, &st) != 0) SKIP_ALL("the fixture writer's models are missing (build the fixtures target)");

    RUN(test_bundled_loads);
    RUN(test_abi_newer);
    RUN(test_abi_too_old);
    RUN(test_reserved_nonzero);
    RUN(test_bad_id);
    RUN(test_missing_metadata);
    RUN(test_no_entry_symbol);
    RUN(test_returns_null);
    RUN(test_not_a_file);
    RUN(test_duplicate_id);
    RUN(test_same_plugin_twice);
    RUN(test_size_smaller);
    RUN(test_good_loads);
    RUN(test_good_next_to_bad);
    RUN(test_forked_helper);
    RUN(test_isolated_equals_inprocess);
    RUN(test_fp32_program_rule);
    RUN(test_template_plugin);
    RUN(test_no_host_symbols);

    return CHECK_DONE();
}

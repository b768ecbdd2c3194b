/* SPDX-License-Identifier: Apache-2.0 */
/* test_security.c — coreml-lint on an untrusted pull request (issue #10):
 * the scanned tree is the attacker's (models, .coreml-lint.json, rule
 * folders, file names), the runner reads stdout and stderr for workflow
 * commands, and the job holds a token. Each test is one attack, run against
 * the built binary ($CML_BUILD_DIR/coreml-lint) with a time limit, so a
 * hang is a failure and not a stuck suite:
 *
 *  - trust: a .coreml-lint.json in the scanned tree that names a plugin
 *    (whose constructor copies GITHUB_TOKEN) and a rule folder loads
 *    neither unless --trust-config or COREML_LINT_TRUST_CONFIG=1; what the
 *    command line names is trusted; the file may tighten limits, not
 *    loosen them.
 *  - injection: hostile models (build/security-fixtures, written by
 *    cml-fixture --set security) through every command and format, to
 *    stdout and to -o: no line starts with "::" unless it is one of the
 *    tool's own annotations, no "##[", no ESC, BEL, CR or other control,
 *    valid UTF-8 everywhere, every JSON and SARIF document parses.
 *  - nesting bombs: 10,000 nested pipelines (106 KB), MIL blocks 150 deep,
 *    model.mil with 10,000 brackets, Manifest.json and .coreml-lint.json
 *    nesting 10,000 deep: a load/... finding or a configuration error that
 *    names the depth (100), a complete report, no crash.
 *  - loops over input end: the configuration scanner on every byte value
 *    (NUL hung it); FIFOs as models, manifests, model.mil, weight.bin,
 *    configurations, rule files and baselines are refused by type; folder
 *    search reports what its depth limit skipped; a missing path is exit 2;
 *    symbolic links that lead out of a package are not followed and leak
 *    nothing of their target.
 *  - reports: -o never writes through a planted symbolic link, a run
 *    killed before it finishes leaves the previous report, two runs at
 *    once leave one complete report, output lost to a full disk is exit 2.
 *  - the probe: linked models are loaded once each and only from the
 *    model's own folder; 80,000 outputs cost no scan per output.
 *  - Lua rules: a backtracking string.find (all inside one C call) and a
 *    VM loop end as rule/timeout under lua_seconds when the budget is huge,
 *    as rule/budget-exceeded under the default budget; other rules run. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "host/config.h"
#include "cli_run.h"
#include "tmptree.h"

static char bin[PATH_MAX];
static char work[PATH_MAX];
static char hostile[PATH_MAX];      /* build/security-fixtures/hostile */
static char plugin_dir[PATH_MAX];
static bool have_probe;

/* ---- running the binary with a time limit ------------------------------------ */

typedef struct res {
    int code;            /* exit status; -1 killed by a signal; -2 timed out */
    int sig;
    char *out, *err;     /* never NULL */
    size_t out_len, err_len;
} res;

static void res_free(res *r) {
    free(r->out);
    free(r->err);
}

/* Run bin with args in dir (NULL: work); env: "K=V" strings to set, or
 * "-K" to unset, NULL-terminated or NULL. Killed after limit seconds. */
static res run_env(const char *dir, int limit, const char *const *env, const char *const *args) {
    res r = {-1, 0, NULL, NULL, 0, 0};
    char outp[PATH_MAX + 16], errp[PATH_MAX + 16];
    snprintf(outp, sizeof outp, "%s/.stdout", work);
    snprintf(errp, sizeof errp, "%s/.stderr", work);
    const char *argv[96];
    size_t n = 0;
    argv[n++] = bin;
    for (; args[n - 1] && n < 95; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0 || chdir(dir ? dir : work) != 0) _exit(127);
        dup2(fo, 1);
        dup2(fe, 2);
        setpgid(0, 0);
        unsetenv("NO_COLOR");
        unsetenv("COREML_LINT_TRUST_CONFIG");
        for (size_t i = 0; env && env[i]; i++) {
            if (env[i][0] == '-') unsetenv(env[i] + 1);
            else putenv((char *)env[i]);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            if (WIFEXITED(st)) r.code = WEXITSTATUS(st);
            else if (WIFSIGNALED(st)) r.sig = WTERMSIG(st);
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= limit) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            r.code = -2;
            break;
        }
        struct timespec d = {0, 20 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
    r.out = cli_slurp(outp, &r.out_len);
    r.err = cli_slurp(errp, &r.err_len);
    if (!r.out) r.out = calloc(1, 1), r.out_len = 0;
    if (!r.err) r.err = calloc(1, 1), r.err_len = 0;
    return r;
}

#define RUN_IN(dir, limit, ...) run_env(dir, limit, NULL, (const char *const[]){__VA_ARGS__, NULL})
#define RUNW(...) RUN_IN(NULL, 120, __VA_ARGS__)

#define EXPECT_CODE(r, want)                                                                          \
    do {                                                                                              \
        if ((r).code != (want))                                                                       \
            fprintf(stderr, "  exit %d (signal %d), wanted %d\n  stdout: %.1500s\n  stderr: %.1500s\n", \
                    (r).code, (r).sig, (want), (r).out, (r).err);                                     \
        CHECK_INT((r).code, (want));                                                                  \
    } while (0)

static void path_in(char *buf, size_t cap, const char *dir, const char *name) {
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "path too long: %s/%s\n", dir, name);
        exit(1);
    }
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    if (n) fwrite(data, 1, n, f);
    fclose(f);
}

static void write_str(const char *path, const char *s) { write_file(path, s, strlen(s)); }

/* system() of a printf'd shell command; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd) return -1;
    return system(cmd);
}

/* ---- what no output may contain --------------------------------------------------- */

/* Independent of the code under test: RFC 3629 well-formedness. */
static bool utf8_ok(const unsigned char *s, size_t n, size_t *bad) {
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!k || i + k > n) {
            *bad = i;
            return false;
        }
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80) {
                *bad = i;
                return false;
            }
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) || (c == 0xF0 && s[i + 1] < 0x90) ||
            (c == 0xF4 && s[i + 1] > 0x8F)) {
            *bad = i;
            return false;
        }
        i += k;
    }
    return true;
}

/* Leading whitespace as the runner's TrimStart sees it, and the invisible
 * characters its culture-sensitive StartsWith ignores. */
static size_t skip_lead(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\v' || s[i] == '\f') i++;
        else if (i + 1 < n && s[i] == 0xC2 && (s[i + 1] == 0xA0 || s[i + 1] == 0xAD || s[i + 1] == 0x85)) i += 2;
        else if (i + 2 < n && s[i] == 0xE2 && s[i + 1] == 0x80 && s[i + 2] >= 0x80 && s[i + 2] <= 0xAF) i += 3;
        else if (i + 2 < n && s[i] == 0xEF && s[i + 1] == 0xBB && s[i + 2] == 0xBF) i += 3;
        else break;
    }
    return i;
}

/* One of the github writer's own annotations: "::LEVEL [file=F,line=N[,col=N],]title=coreml-lint...::"
 * with property values that carry no ':' or ','. */
static bool own_annotation(const char *line, size_t n) {
    static const char *const lv[] = {"::error ", "::warning ", "::notice "};
    size_t i = 0;
    for (int k = 0; k < 3 && !i; k++)
        if (n >= strlen(lv[k]) && !strncmp(line, lv[k], strlen(lv[k]))) i = strlen(lv[k]);
    if (!i) return false;
    const char *end = memchr(line + i, ':', n - i);
    if (!end || end + 1 >= line + n || end[1] != ':') return false;
    size_t props = (size_t)(end - (line + i));
    char buf[4096];
    if (props >= sizeof buf) return false;
    memcpy(buf, line + i, props);
    buf[props] = 0;
    const char *t = strstr(buf, "title=coreml-lint");
    if (!t || (t != buf && t[-1] != ',')) return false;
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ","))
        if (strncmp(p, "file=", 5) && strncmp(p, "line=", 5) && strncmp(p, "col=", 4) && strncmp(p, "title=", 6))
            return false;
    return true;
}

static int n_violations;

static void bad(const char *what, const char *why, const unsigned char *s, size_t n, size_t at) {
    size_t from = at > 40 ? at - 40 : 0, to = at + 80 < n ? at + 80 : n;
    fprintf(stderr, "  %s: %s at byte %zu: \"", what, why, at);
    for (size_t i = from; i < to; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7F) fputc(s[i], stderr);
        else fprintf(stderr, "\\x%02x", s[i]);
    }
    fputs("\"\n", stderr);
    n_violations++;
}

/* Everything a log, a terminal or a JSON parser must not see. github: the
 * github writer's own "::" lines are expected. */
static void check_safe(const char *what, const char *data, size_t n, bool github) {
    const unsigned char *s = (const unsigned char *)data;
    size_t at;
    if (!utf8_ok(s, n, &at)) bad(what, "invalid UTF-8", s, n, at);
    for (size_t i = 0; i < n; i++) {
        if ((s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') || s[i] == 0x7F) {
            bad(what, s[i] == 0x1B ? "ESC" : "a control character", s, n, i);
            break;
        }
        if (i + 1 < n && s[i] == 0xC2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F) {
            bad(what, "a C1 control", s, n, i);
            break;
        }
        if (i + 2 < n && s[i] == '#' && s[i + 1] == '#' && s[i + 2] == '[') {
            bad(what, "the legacy command prefix ##[", s, n, i);
            break;
        }
    }
    for (size_t ls = 0; ls < n;) {
        const unsigned char *nl = memchr(s + ls, '\n', n - ls);
        size_t le = nl ? (size_t)(nl - s) : n;
        size_t j = ls + skip_lead(s + ls, le - ls);
        if (j + 1 < le && s[j] == ':' && s[j + 1] == ':' &&
            !(github && j == ls && own_annotation((const char *)s + ls, le - ls)))
            bad(what, "a line that starts with ::", s, n, ls);
        ls = le + 1;
    }
}

static void check_json(const char *what, const char *data) {
    cJSON *j = cJSON_Parse(data);
    if (!j) {
        fprintf(stderr, "  %s: not valid JSON\n", what);
        n_violations++;
    }
    cJSON_Delete(j);
}

/* ---- set-up ------------------------------------------------------------------------ */

static void setup(void) {
    if (!tmp_make_dir(work, sizeof work, "cml-sec-")) exit(1);
}

/* ---- 1. no code from the scanned tree --------------------------------------------------- */

static const char HOUSE_RULE[] =
    "local rule = { id = \"house/ran\", name = \"Ran\", summary = \"proves that it ran\",\n"
    "  help = \"Test rule.\", level = \"warning\" }\n"
    "function rule.check(model, ctx) ctx:report(model, 'HOUSE RULE RAN') end\n"
    "return rule\n";

static bool exists_path(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* A repository that commits tools/helper.so and tools/house/ran.lua and
 * names them in its .coreml-lint.json. */
static void test_trust_model(void) {
    if (!plugin_dir[0]) {
        fprintf(stderr, "  (CML_PLUGIN_DIR unset: no test plugin)\n");
        return;
    }
    char repo[PATH_MAX + 64], tools[PATH_MAX + 128], house[PATH_MAX + 192], f[PATH_MAX + 256], so[PATH_MAX + 64];
    char stolen[PATH_MAX + 64], stolen_env[PATH_MAX + 96], model[PATH_MAX + 64];
    path_in(repo, sizeof repo, work, "repo");
    mkdir(repo, 0700);
    path_in(tools, sizeof tools, repo, "tools");
    mkdir(tools, 0700);
    path_in(house, sizeof house, tools, "house");
    mkdir(house, 0700);
    path_in(f, sizeof f, house, "ran.lua");
    write_str(f, HOUSE_RULE);
    /* the attacker's plugin: the test plugin steal-token */
    snprintf(so, sizeof so, "%s/../tests/plugins/steal-token.so", plugin_dir);
    if (!exists_path(so)) {
        fprintf(stderr, "  no %s\n", so);
        CHECK(0);
        return;
    }
    CHECK(sh("cp '%s' '%s/helper.so'", so, tools) == 0);
    path_in(f, sizeof f, repo, ".coreml-lint.json");
    write_str(f, "{\"plugins\": [\"tools/helper.so\"], \"rules_dirs\": [\"tools/house\"],\n"
                 " \"enable\": [\"house/ran\"], \"rules\": {\"test/steal-token\": {\"level\": \"error\"}}}\n");
    path_in(stolen, sizeof stolen, work, "stolen.txt");
    snprintf(stolen_env, sizeof stolen_env, "CML_TEST_STOLEN=%s", stolen);
    path_in(model, sizeof model, hostile, "strings_nn.mlmodel");
    const char *env_plain[] = {stolen_env, "GITHUB_TOKEN=ghs_secret_runner_token", NULL};
    /* default: nothing the file names is loaded; a notification says so;
     * the rule ids the file names do not make it a configuration error */
    unlink(stolen);
    res r = run_env(repo, 60, env_plain, (const char *const[]){"check", "--format", "sarif", model, NULL});
    CHECK(r.code == 0 || r.code == 1);
    CHECK(!exists_path(stolen));
    CHECK(!strstr(r.out, "HOUSE RULE RAN"));
    CHECK(strstr(r.out, "config/untrusted-code") != NULL);
    CHECK(strstr(r.err, "--trust-config") != NULL);
    if (exists_path(stolen) || !strstr(r.out, "config/untrusted-code"))
        fprintf(stderr, "  untrusted config ran code: exit %d\n  %.1200s\n", r.code, r.err);
    res_free(&r);
    r = run_env(repo, 60, env_plain, (const char *const[]){"rules", NULL});
    CHECK(!exists_path(stolen));
    CHECK(!strstr(r.out, "house/ran"));
    res_free(&r);
    /* the user opts in: --trust-config, or the environment */
    r = run_env(repo, 60, env_plain, (const char *const[]){"check", "--trust-config", model, NULL});
    CHECK(exists_path(stolen));
    CHECK(strstr(r.out, "HOUSE RULE RAN") != NULL);
    CHECK(!strstr(r.out, "untrusted"));
    res_free(&r);
    unlink(stolen);
    const char *env_trust[] = {stolen_env, "GITHUB_TOKEN=ghs_secret_runner_token", "COREML_LINT_TRUST_CONFIG=1", NULL};
    r = run_env(repo, 60, env_trust, (const char *const[]){"check", model, NULL});
    CHECK(exists_path(stolen));
    CHECK(strstr(r.out, "HOUSE RULE RAN") != NULL);
    res_free(&r);
    unlink(stolen);
    /* what the command line names is trusted */
    r = run_env(repo, 60, env_plain,
                (const char *const[]){"check", "--no-config", "--rules-dir", "tools/house", "--plugin",
                                      "tools/helper.so", model, NULL});
    CHECK(exists_path(stolen));
    CHECK(strstr(r.out, "HOUSE RULE RAN") != NULL);
    res_free(&r);
    unlink(stolen);
    /* limits: the file may tighten them, not loosen them */
    write_str(f, "{\"limits\": {\"lua_instructions\": 1000000000000, \"plugin_isolation\": \"never\",\n"
                 " \"plugin_timeout_seconds\": 86400, \"lua_memory_mb\": 8}}\n");
    r = run_env(repo, 60, env_plain, (const char *const[]){"check", "--format", "json", model, NULL});
    CHECK(r.code == 0 || r.code == 1);
    CHECK(strstr(r.out, "config/untrusted-limits") != NULL);
    CHECK(strstr(r.out, "lua_instructions") && strstr(r.out, "plugin_isolation") &&
          strstr(r.out, "plugin_timeout_seconds"));
    CHECK(!strstr(r.out, "lua_memory_mb"));   /* 8 MiB is tighter than the default: kept */
    res_free(&r);
    r = run_env(repo, 60, env_plain, (const char *const[]){"check", "--trust-config", "--format", "json", model, NULL});
    CHECK(!strstr(r.out, "config/untrusted-limits"));
    res_free(&r);
    /* files a rule writes or reads: the file may enable the probe, not
     * choose where it saves outputs (a pull request's config had it write
     * .txt files named after the model's outputs anywhere) */
    char outside[1024];
    path_in(outside, sizeof outside, work, "saved-outside");
    FILE *cf = fopen(f, "w");
    CHECK(cf != NULL);
    if (cf) {
        fprintf(cf, "{\"enable\": [\"probe/*\"], \"rules\": {\"probe/*\": {\"options\": {\"save_outputs\": \"%s\", "
                    "\"runs\": 1, \"coreml\": false}}}}\n", outside);
        fclose(cf);
    }
    r = run_env(repo, 120, env_plain, (const char *const[]){"check", "--format", "json", model, NULL});
    CHECK(r.code == 0 || r.code == 1);
    CHECK(!exists_path(outside));
    CHECK(strstr(r.out, "config/untrusted-paths") != NULL && strstr(r.out, "save_outputs") != NULL);
    res_free(&r);
    r = run_env(repo, 120, env_plain, (const char *const[]){"check", "--trust-config", "--format", "json", model, NULL});
    CHECK(exists_path(outside));
    CHECK(!strstr(r.out, "config/untrusted-paths"));
    if (!exists_path(outside)) fprintf(stderr, "  trusted save_outputs: exit %d\n  %.1200s\n", r.code, r.err);
    res_free(&r);
    sh("rm -rf '%s'", outside);
    /* the probe's own limits: the file may tighten them (runs 1: kept), not
     * lift them (a pull request's config set timeout 1e9 and memory_limit 0,
     * no limit, and the probe ran for as long as its model wished) */
    write_str(f, "{\"enable\": [\"probe/*\"], \"rules\": {\"probe/*\": {\"options\": {\"runs\": 1, "
                 "\"timeout\": 1e9, \"memory_limit\": 0, \"coreml\": false}}}}\n");
    r = run_env(repo, 120, env_plain, (const char *const[]){"check", "--format", "json", model, NULL});
    CHECK(r.code == 0 || r.code == 1);
    CHECK(strstr(r.out, "config/untrusted-limits") && strstr(r.out, "timeout, memory_limit would loosen"));
    CHECK(strstr(r.out, "\"runs\":\t1,") != NULL);   /* the probe's figures: 1 run per mode */
    res_free(&r);
    write_str(f, "{\"enable\": [\"probe/*\"], \"rules\": {\"probe/*\": {\"options\": {\"runs\": 50, "
                 "\"coreml\": false}}}}\n");
    r = run_env(repo, 120, env_plain, (const char *const[]){"check", "--format", "json", model, NULL});
    CHECK(strstr(r.out, "config/untrusted-limits") && strstr(r.out, "option runs would loosen"));
    res_free(&r);
    r = run_env(repo, 120, env_plain, (const char *const[]){"check", "--trust-config", "--format", "json", model, NULL});
    CHECK(!strstr(r.out, "config/untrusted-limits"));
    res_free(&r);
    /* a committed file named like an option (pre-commit and xargs append
     * the commit's file names): refused, never read as --plugin */
    CHECK(sh("mkdir -p '%s/--plugin=x.mlpackage' '%s/x.mlpackage' && cp '%s' '%s/--plugin=x.mlpackage/evil.so' && "
             "cp '%s' '%s/x.mlpackage/evil.so'", repo, repo, so, repo, so, repo) == 0);
    unlink(stolen);
    r = run_env(repo, 60, env_plain,
                (const char *const[]){"check", "--no-config", model, "--plugin=x.mlpackage/evil.so", NULL});
    EXPECT_CODE(r, 2);
    CHECK(!exists_path(stolen));
    CHECK(strstr(r.err, "after '--'") != NULL);
    res_free(&r);
    /* after "--" it is a path like any other */
    r = run_env(repo, 60, env_plain,
                (const char *const[]){"check", "--no-config", "--", "--plugin=x.mlpackage/evil.so", NULL});
    CHECK(!exists_path(stolen));
    CHECK(!strstr(r.err, "after '--'"));
    res_free(&r);
    sh("rm -rf '%s/--plugin=x.mlpackage' '%s/x.mlpackage'", repo, repo);
}

/* ---- 2. no injected output ----------------------------------------------------------- */

/* A Lua rule that echoes the model's strings into findings, related
 * locations, fixes, properties and its error message. */
static const char ECHO_RULE[] =
    "local rule = { id = \"house/echo\", name = \"Echo\\27[31m\", summary = \"echoes model strings\\n::error::summary\",\n"
    "  help = \"Test rule.\\r\\n::add-mask::help ##[error]help\", level = \"warning\",\n"
    "  help_uri = \"https://x.example/a##[warning]b\" }\n"
    "function rule.check(model, ctx)\n"
    "  local md = model.metadata or {}\n"
    "  local a = tostring(md.author) .. ' \\27]0;title\\7 ##[error]rule'\n"
    "  ctx:report{ message = a, fix = tostring(md.license),\n"
    "    props = { author = md.author, text = '\\27[2J' } }\n"
    "  for _, f in ipairs(model.inputs or {}) do ctx:report(f, 'input %s', f.name) end\n"
    "  error(tostring(md.short_description) .. '\\n::error::from error()')\n"
    "end\n"
    "return rule\n";

static void sweep(const char *label, const char *const *args, bool github, bool json_out, const char *ofile) {
    res r = run_env(NULL, 120, NULL, args);
    char what[512];
    if (r.code < 0) {
        fprintf(stderr, "  %s: did not exit (code %d, signal %d)\n", label, r.code, r.sig);
        n_violations++;
    }
    snprintf(what, sizeof what, "%s stdout", label);
    check_safe(what, r.out, r.out_len, github);
    if (json_out && !ofile) check_json(what, r.out);
    snprintf(what, sizeof what, "%s stderr", label);
    check_safe(what, r.err, r.err_len, false);
    if (ofile) {
        size_t n = 0;
        char *f = cli_slurp(ofile, &n);
        snprintf(what, sizeof what, "%s -o file", label);
        if (!f) {
            fprintf(stderr, "  %s: no output file\n", what);
            n_violations++;
        } else {
            check_safe(what, f, n, github);
            if (json_out) check_json(what, f);
        }
        free(f);
        unlink(ofile);
    }
    res_free(&r);
}

/* The Markdown report goes into pull-request comments and job summaries,
 * where GitHub turns bare "https://..." and "www...." into links: a
 * model's names carry them (the payload has both), the report must not
 * (its own links to the rule pages are Markdown links to github.com). */
static void test_markdown_autolinks(void) {
    char m[PATH_MAX + 64];
    path_in(m, sizeof m, hostile, "strings_custom.mlmodel");   /* its custom layers' names are in findings */
    res r = RUN_IN(work, 60, "check", "--no-config", "--format", "markdown", m);
    CHECK(r.code == 0 || r.code == 1);
    CHECK(strstr(r.out, "evil.example") != NULL);   /* the names are there */
    CHECK(!strstr(r.out, "://evil") && !strstr(r.out, "www.evil"));
    res_free(&r);
}

/* A model's file name holding "path:line:col: level:" cannot forge a
 * diagnostic on another file for Xcode or an editor's problem matcher (the
 * first colon of a line ends the path for them): the text and xcode heads
 * write the path's colons as U+FF1A. */
static void test_path_forgery(void) {
    char d[PATH_MAX + 64];
    path_in(d, sizeof d, work, "forge");
    mkdir(d, 0700);
    CHECK(sh("cp '%s/examples/tiny_classifier_nn.mlmodel' '%s/App.swift:42:7: error: forged.mlmodel'",
             getenv("CML_BUILD_DIR"), d) == 0);
    for (int k = 0; k < 2; k++) {
        res r = k ? RUN_IN(d, 60, "check", "--no-config", "--no-color", "--format", "xcode", ".")
                  : RUN_IN(d, 60, "check", "--no-config", "--no-color", ".");
        CHECK(r.code == 0 || r.code == 1);
        CHECK(strstr(r.out, "forged.mlmodel") != NULL);   /* the finding is there */
        CHECK(!strstr(r.out, ":42:7: error:"));
        res_free(&r);
    }
}

static void test_no_injection(void) {
    static const char *const models[] = {"strings_nn.mlmodel", "strings_custom.mlmodel", "strings_pipeline.mlmodel",
                                         "strings_mlprogram.mlpackage"};
    static const char *const formats[] = {"text", "sarif", "json", "github", "xcode", "html", "markdown"};
    char rules[PATH_MAX], rule[PATH_MAX + 32], ofile[PATH_MAX + 16], m[4][PATH_MAX + 64];
    path_in(rules, sizeof rules, work, "house");
    mkdir(rules, 0700);
    path_in(rule, sizeof rule, rules, "echo.lua");
    write_str(rule, ECHO_RULE);
    path_in(ofile, sizeof ofile, work, "report.out");
    for (int i = 0; i < 4; i++) path_in(m[i], sizeof m[i], hostile, models[i]);
    n_violations = 0;
    int runs = 0;
    for (int i = 0; i < 4; i++) {
        for (size_t f = 0; f < sizeof formats / sizeof *formats; f++) {
            bool gh = !strcmp(formats[f], "github"), js = !strcmp(formats[f], "sarif") || !strcmp(formats[f], "json");
            char label[256];
            snprintf(label, sizeof label, "check --format %s %s", formats[f], models[i]);
            sweep(label, (const char *const[]){"check", "--no-config", "--rules-dir", rules, "--format", formats[f],
                                               m[i], NULL},
                  gh, js, NULL);
            sweep(label, (const char *const[]){"check", "--no-config", "--rules-dir", rules, "--format", formats[f],
                                               "-o", ofile, m[i], NULL},
                  gh, js, ofile);
            runs += 2;
            if (have_probe && i < 3) {
                snprintf(label, sizeof label, "probe --format %s %s", formats[f], models[i]);
                sweep(label, (const char *const[]){"probe", "--no-config", "--runs", "1", "--format", formats[f],
                                                   m[i], NULL},
                      gh, js, NULL);
                snprintf(label, sizeof label, "compare --format %s %s", formats[f], models[i]);
                sweep(label, (const char *const[]){"compare", "--no-config", "--runs", "1", "--format", formats[f],
                                                   m[0], m[i], NULL},
                      gh, js, NULL);
                runs += 2;
            }
        }
        for (int f = 0; f < 2; f++) {
            char label[256];
            snprintf(label, sizeof label, "inspect --format %s %s", f ? "json" : "text", models[i]);
            sweep(label, (const char *const[]){"inspect", "--format", f ? "json" : "text", m[i], NULL}, false, f == 1,
                  NULL);
            sweep(label, (const char *const[]){"inspect", "--format", f ? "json" : "text", "-o", ofile, m[i], NULL},
                  false, f == 1, ofile);
            runs += 2;
        }
    }
    /* the rule's own words, listed and documented */
    sweep("rules", (const char *const[]){"rules", "--no-config", "--rules-dir", rules, NULL}, false, false, NULL);
    sweep("rules json", (const char *const[]){"rules", "--no-config", "--rules-dir", rules, "--format", "json", NULL},
          false, true, NULL);
    sweep("rules markdown", (const char *const[]){"rules", "--no-config", "--rules-dir", rules, "--markdown", NULL},
          false, false, NULL);
    /* the rule's pages, written by rules --docs */
    char docs[PATH_MAX + 16], page[PATH_MAX + 64];
    path_in(docs, sizeof docs, work, "docs-out");
    sweep("rules --docs", (const char *const[]){"rules", "--no-config", "--rules-dir", rules, "--docs", docs, NULL},
          false, false, NULL);
    snprintf(page, sizeof page, "%s/rules/house/echo.md", docs);
    size_t plen = 0;
    char *ptext = cli_slurp(page, &plen);
    CHECK(ptext != NULL);
    if (ptext) check_safe("rules --docs page", ptext, plen, false);
    free(ptext);
    /* test-rule: case models named and written by the pull request, the
     * rule echoing their strings */
    char cases[PATH_MAX + 16];
    path_in(cases, sizeof cases, work, "cases");
    CHECK(sh("mkdir -p '%s/fire' '%s/pass' && cp '%s' '%s/fire/' && cp '%s' \"%s/pass/a$(printf '\\n::error::pwn\\033[31m').mlmodel\"",
             cases, cases, m[0], cases, m[0], cases) == 0);
    sweep("test-rule", (const char *const[]){"test-rule", rule, cases, NULL}, false, false, NULL);
    runs += 2;
    fprintf(stderr, "  %d runs over %d hostile models, %d violations\n", runs + 3, 4, n_violations);
    CHECK_INT(n_violations, 0);
    /* and the payload did reach the output (sanitized): the test sees it */
    res r = RUNW("inspect", m[0]);
    CHECK(strstr(r.out, "lead injected") != NULL);
    CHECK(strstr(r.out, "s3cr3t") != NULL);
    res_free(&r);
}

/* ---- 3. bounded recursion: nesting bombs --------------------------------------------- */

static char *nested_json(const char *head, size_t depth, const char *tail) {
    size_t n = strlen(head) + 2 * depth + strlen(tail) + 1;
    char *s = malloc(n), *o = s;
    if (!s) exit(1);
    o += sprintf(o, "%s", head);
    for (size_t i = 0; i < depth; i++) *o++ = '[';
    for (size_t i = 0; i < depth; i++) *o++ = ']';
    sprintf(o, "%s", tail);
    return s;
}

static void expect_report(const char *file, const char *rule, const char *needle) {
    size_t n = 0;
    char *t = cli_slurp(file, &n);
    CHECK(t && n > 0);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    CHECK(j != NULL);
    if (t && (!strstr(t, rule) || !strstr(t, needle)))
        fprintf(stderr, "  %s lacks %s / \"%s\": %.600s\n", file, rule, needle, t);
    CHECK(t && strstr(t, rule) && strstr(t, needle));
    cJSON_Delete(j);
    free(t);
}

static void test_nesting_bombs(void) {
    char model[PATH_MAX + 64], out[PATH_MAX + 16];
    path_in(out, sizeof out, work, "nest.json");
    /* 10,000 nested pipelines in 106 KB: today's main dies with SIGSEGV
     * inside protobuf-c and leaves -o empty */
    path_in(model, sizeof model, hostile, "deep_pipeline.mlmodel");
    res r = RUNW("check", "--no-config", "--format", "json", "-o", out, model);
    EXPECT_CODE(r, 1);
    res_free(&r);
    expect_report(out, "load/protobuf-corrupt", "deeper than 100 levels");
    r = RUNW("inspect", model);
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "deeper than 100 levels") != NULL);
    res_free(&r);
    /* MIL blocks nested 150 deep (300 message levels) */
    path_in(model, sizeof model, hostile, "deep_mil.mlpackage");
    r = RUNW("check", "--no-config", "--format", "json", "-o", out, model);
    EXPECT_CODE(r, 1);
    res_free(&r);
    expect_report(out, "load/protobuf-corrupt", "deeper than 100 levels");
    /* model.mil with 10,000 brackets */
    path_in(model, sizeof model, hostile, "deep_mil.mlmodelc");
    r = RUNW("check", "--no-config", "--format", "json", "-o", out, model);
    EXPECT_CODE(r, 1);
    res_free(&r);
    expect_report(out, "load/mil-structure", "deeper than 100 levels");
    /* a compiled model whose coremldata.bin carries the same bomb as its
     * whole Model protobuf (kind "spec"; layout in core/format/mlmodelc.c) */
    size_t nb = 0;
    path_in(model, sizeof model, hostile, "deep_pipeline.mlmodel");
    char *bomb = cli_slurp(model, &nb);
    CHECK(bomb && nb > 100000);
    char cdir[PATH_MAX + 64], cfile[PATH_MAX + 128];
    path_in(cdir, sizeof cdir, work, "cdb.mlmodelc");
    mkdir(cdir, 0700);
    path_in(cfile, sizeof cfile, cdir, "coremldata.bin");
    FILE *cf = fopen(cfile, "wb");
    if (cf && bomb) {
        unsigned char head[0x24 + 4 + 8 + 24];
        memset(head, 0, sizeof head);
        head[0] = 202;                              /* Model.pipeline */
        head[0x1C] = 4;                             /* the kind's length */
        memcpy(head + 0x24, "spec", 4);
        head[0x24 + 4] = 1;                         /* specification version 1 */
        fwrite(head, 1, sizeof head, cf);
        fwrite(bomb, 1, nb, cf);
    }
    if (cf) fclose(cf);
    free(bomb);
    r = RUNW("check", "--no-config", "--format", "json", "-o", out, cdir);
    CHECK(r.code == 1);
    CHECK(r.sig == 0);
    res_free(&r);
    expect_report(out, "load/protobuf-corrupt", "deeper than 100 levels");
    /* a package whose Manifest.json nests 10,000 deep */
    char pkg[PATH_MAX + 64], f[PATH_MAX + 128];
    path_in(pkg, sizeof pkg, work, "deep.mlpackage");
    mkdir(pkg, 0700);
    path_in(f, sizeof f, pkg, "Manifest.json");
    char *txt = nested_json("{\"fileFormatVersion\": \"1.0.0\", \"x\": ", 10000, "}");
    write_str(f, txt);
    free(txt);
    r = RUNW("check", "--no-config", "--format", "json", "-o", out, pkg);
    EXPECT_CODE(r, 1);
    res_free(&r);
    expect_report(out, "load/package-manifest", "deeper than 100 levels");
    /* and a configuration (a tool error naming the depth) */
    char cfgdir[PATH_MAX + 64];
    path_in(cfgdir, sizeof cfgdir, work, "deepcfg");
    mkdir(cfgdir, 0700);
    path_in(f, sizeof f, cfgdir, ".coreml-lint.json");
    txt = nested_json("{\"exclude\": ", 10000, "}");
    write_str(f, txt);
    free(txt);
    path_in(model, sizeof model, hostile, "strings_nn.mlmodel");
    r = RUN_IN(cfgdir, 60, "check", model);
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "deeper than 100 levels") != NULL);
    res_free(&r);
}

/* ---- 4. every input loop terminates ------------------------------------------------------ */

static volatile sig_atomic_t hung;
static void on_alarm(int sig) {
    (void)sig;
    hung = 1;
    static const char m[] = "test_security: config_parse hangs (every-byte test)\n";
    (void)!write(2, m, sizeof m - 1);
    _exit(1);
}

/* The configuration scanner on every byte value, where a value, a key or
 * whitespace may stand: today's main loops forever on a NUL (and on any
 * byte below ' ' that cJSON skips as whitespace). */
static void test_config_every_byte(void) {
    static const char *const shapes[] = {"{\"exclude\":[%c]}", "{\"exclude\":[%c\"x\"]}", "{%c\"exclude\":[]}",
                                         "{\"exclude\":%c[]}", "{\"rules\":{%c}}", "{\"exclude\":[\"x\"%c]}"};
    signal(SIGALRM, on_alarm);
    alarm(60);
    size_t parsed = 0;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int b = 0; b < 256; b++) {
            char text[64];
            int n = snprintf(text, sizeof text, shapes[k], b ? b : 'X');
            char *at = strchr(text, b ? (char)b : 'X');
            if (!b && at) *at = 0;    /* the NUL itself, inside the text */
            config c;
            char err[512];
            if (config_parse(&c, text, (size_t)n, "fuzz.json", "/tmp", err, sizeof err) == 0) parsed++;
            config_free(&c);
        }
    alarm(0);
    CHECK(!hung);
    CHECK(parsed > 0);
    /* end to end: a committed .coreml-lint.json with a NUL in an array */
    char dir[PATH_MAX + 64], f[PATH_MAX + 128], model[PATH_MAX + 64];
    path_in(dir, sizeof dir, work, "nulcfg");
    mkdir(dir, 0700);
    path_in(f, sizeof f, dir, ".coreml-lint.json");
    write_file(f, "{\"exclude\":[\0]}", 16);
    path_in(model, sizeof model, hostile, "strings_nn.mlmodel");
    res r = RUN_IN(dir, 30, "check", "-q", model);
    CHECK(r.code == 0 || r.code == 1);
    if (r.code == -2) fprintf(stderr, "  check hung on a NUL in .coreml-lint.json\n");
    res_free(&r);
}

/* FIFOs where models, manifests, weights, configurations, rules and
 * baselines are expected: refused by type, never opened for reading. */
static void test_special_files(void) {
    char d[PATH_MAX + 64], f[PATH_MAX + 128], g[PATH_MAX + 160];
    path_in(d, sizeof d, work, "fifos");
    mkdir(d, 0700);
    /* a FIFO named like a model */
    path_in(f, sizeof f, d, "fifo.mlmodel");
    CHECK(mkfifo(f, 0600) == 0);
    res r = RUN_IN(d, 30, "check", "--no-config", "--format", "json", "fifo.mlmodel");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "not a regular file") != NULL);
    res_free(&r);
    r = RUN_IN(d, 30, "inspect", "fifo.mlmodel");
    EXPECT_CODE(r, 0);
    res_free(&r);
    /* a package whose Manifest.json is a FIFO (today: blocks forever) */
    path_in(f, sizeof f, d, "p.mlpackage");
    mkdir(f, 0700);
    path_in(g, sizeof g, f, "Manifest.json");
    CHECK(mkfifo(g, 0600) == 0);
    r = RUN_IN(d, 30, "check", "--no-config", "p.mlpackage");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "not a regular file") != NULL);
    res_free(&r);
    /* a compiled model whose model.mil and metadata.json are FIFOs */
    path_in(f, sizeof f, d, "c.mlmodelc");
    mkdir(f, 0700);
    path_in(g, sizeof g, f, "model.mil");
    CHECK(mkfifo(g, 0600) == 0);
    path_in(g, sizeof g, f, "metadata.json");
    CHECK(mkfifo(g, 0600) == 0);
    r = RUN_IN(d, 30, "check", "--no-config", "c.mlmodelc");
    EXPECT_CODE(r, 1);
    res_free(&r);
    /* a weight.bin that is a FIFO */
    char src[PATH_MAX + 64];
    const char *bd = getenv("CML_BUILD_DIR");
    snprintf(src, sizeof src, "%s/examples/tiny_mlprogram.mlmodelc", bd);
    path_in(f, sizeof f, d, "w.mlmodelc");
    mkdir(f, 0700);
    CHECK(sh("cp -R '%s/.' '%s/' && rm -f '%s/weights/weight.bin' && mkfifo '%s/weights/weight.bin'", src, f, f,
             f) == 0);
    r = RUN_IN(d, 30, "check", "--no-config", "w.mlmodelc");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "not a regular file") != NULL);
    res_free(&r);
    /* a configuration, a rule file and a baseline */
    path_in(f, sizeof f, d, ".coreml-lint.json");
    CHECK(mkfifo(f, 0600) == 0);
    r = RUN_IN(d, 30, "check", "fifo.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.err, "not a regular file") != NULL);
    res_free(&r);
    unlink(f);
    path_in(f, sizeof f, d, "rules");
    mkdir(f, 0700);
    path_in(g, sizeof g, f, "x.lua");
    CHECK(mkfifo(g, 0600) == 0);
    /* the rule folder's FIFO is a broken rule: exit 2, or by the findings
     * with --keep-going; either way the report says why */
    r = RUN_IN(d, 30, "check", "--no-config", "--rules-dir", "rules", "fifo.mlmodel");
    EXPECT_CODE(r, 2);
    CHECK(strstr(r.out, "not a regular file") != NULL);
    res_free(&r);
    r = RUN_IN(d, 30, "check", "--no-config", "--keep-going", "--rules-dir", "rules", "fifo.mlmodel");
    CHECK(r.code == 1 || r.code == 0);
    CHECK(strstr(r.out, "not a regular file") != NULL);   /* the text report carries notifications */
    res_free(&r);
    path_in(f, sizeof f, d, "base.sarif");
    CHECK(mkfifo(f, 0600) == 0);
    r = RUN_IN(d, 30, "check", "--no-config", "--baseline", "base.sarif", "fifo.mlmodel");
    EXPECT_CODE(r, 2);
    res_free(&r);
    /* test-rule: a case's MODEL.expect that is a FIFO is not read (it would
     * block); the run ends with the case judged on its findings */
    char nn[PATH_MAX + 64];
    snprintf(nn, sizeof nn, "%s/strings_nn.mlmodel", hostile);
    CHECK(sh("mkdir -p '%s/tr/fire' '%s/tr/pass' && cp '%s' '%s/tr/fire/m.mlmodel'", d, d, nn, d) == 0);
    path_in(f, sizeof f, d, "tr/fire/m.mlmodel.expect");
    CHECK(mkfifo(f, 0600) == 0);
    CHECK(sh("mkdir -p '%s/tr/house'", d) == 0);
    path_in(g, sizeof g, d, "tr/house/echo.lua");
    write_str(g, "local rule = { id = \"house/echo\", name = \"Echo\", summary = \"s\", help = \"h\",\n"
                 "  level = \"warning\" }\n"
                 "function rule.check(model, ctx) ctx:report{ message = 'seen' } end\n"
                 "return rule\n");
    r = RUN_IN(d, 30, "test-rule", "tr/house/echo.lua", "tr");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "1 of 1 cases pass") != NULL);
    res_free(&r);
}

/* Folder search: a model below the depth limit and an unreadable folder
 * are reported, not skipped in silence; a path that does not exist is a
 * usage error (exit 2). */
static void test_discovery(void) {
    char d[PATH_MAX + 64], p[PATH_MAX + 256], src[PATH_MAX + 64];
    path_in(d, sizeof d, work, "tree");
    mkdir(d, 0700);
    size_t o = (size_t)snprintf(p, sizeof p, "%s", d);
    for (int i = 0; i < 14; i++) {
        o += (size_t)snprintf(p + o, sizeof p - o, "/d%d", i);
        mkdir(p, 0700);
    }
    snprintf(src, sizeof src, "%s/strings_nn.mlmodel", hostile);
    CHECK(sh("cp '%s' '%s/deep.mlmodel'", src, p) == 0);
    res r = RUN_IN(d, 60, "check", "--no-config", "--format", "sarif", ".");
    CHECK(strstr(r.err, "deeper than 12 levels") != NULL);
    CHECK(strstr(r.out, "deeper than 12 levels") != NULL);   /* a toolExecutionNotification */
    CHECK(strstr(r.out, "discover/skipped") != NULL);
    res_free(&r);
    r = RUN_IN(d, 60, "inspect", ".");
    CHECK(strstr(r.err, "deeper than 12 levels") != NULL);
    res_free(&r);
    if (geteuid() != 0) {
        char u[PATH_MAX + 64];
        path_in(u, sizeof u, d, "locked");
        mkdir(u, 0700);
        chmod(u, 0);
        r = RUN_IN(d, 60, "check", "--no-config", ".");
        CHECK(strstr(r.err, "cannot be read") != NULL);
        res_free(&r);
        chmod(u, 0700);
    } else {
        fprintf(stderr, "  (as root every folder is readable: the unreadable-folder case is not run)\n");
    }
    for (int i = 0; i < 4; i++) {
        if (i >= 2 && !have_probe) continue;
        r = i == 0   ? RUN_IN(d, 30, "check", "--no-config", "/no/such/model.mlmodel")
            : i == 1 ? RUN_IN(d, 30, "inspect", "/no/such/model.mlmodel")
            : i == 2 ? RUN_IN(d, 30, "probe", "--no-config", "/no/such/model.mlmodel")
                     : RUN_IN(d, 30, "compare", "--no-config", src, "/no/such/model.mlmodel");
        EXPECT_CODE(r, 2);
        CHECK(strstr(r.err, "does not exist") != NULL);
        res_free(&r);
    }
}

/* A compiled model's files dropped at the top of a tree hide nothing: its
 * Data/ folder (a package's place, not a compiled model's) and a marked
 * subfolder that is no stage of it (it is no pipeline) are searched, and a
 * broken model in either fails the run, as it does alone. A marked
 * pipeline folder still reads its stages once. And a compiled pipeline
 * with more than 64 stages reads them all (its 65th was dropped). */
static void test_marked_folders_hide_nothing(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    char d[PATH_MAX + 64];
    path_in(d, sizeof d, work, "marked");
    CHECK(sh("mkdir -p '%s/Data/Models' && cp '%s/examples/broken/truncated.mlmodel' '%s/Data/Models/Broken.mlmodel' && "
             "cp -R '%s/examples/tiny_mlprogram.mlmodelc/.' '%s/' && "
             "cp -R '%s/examples/broken/bad_mil.mlmodelc' '%s/Sub'",
             d, bd, d, bd, d, bd, d) == 0);
    res r = RUN_IN(work, 60, "check", "--no-config", "marked");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "Broken.mlmodel") && strstr(r.out, "[load/protobuf-corrupt]"));
    CHECK(strstr(r.out, "Sub/model.mil") && strstr(r.out, "[load/mil-structure]"));
    res_free(&r);
    /* named, the marked subfolder (or its model.mil, as an editor names
     * it) is that model, not its parent */
    for (int i = 0; i < 2; i++) {
        r = RUN_IN(work, 60, "check", "--no-config", i ? "marked/Sub/model.mil" : "marked/Sub");
        EXPECT_CODE(r, 1);
        CHECK(strstr(r.out, "Sub/model.mil") && strstr(r.out, "[load/mil-structure]"));
        res_free(&r);
    }
    /* a compiled model's part folders (model/ holds a coremldata.bin) are
     * not models: its files in a plain folder check as the model does */
    char cc[PATH_MAX + 64];
    path_in(cc, sizeof cc, work, "ccplain");
    CHECK(sh("mkdir -p '%s/Models' && cp -R '%s/rule-fixtures/truth/compiled_classifier.mlmodelc/.' '%s/Models/'", cc, bd,
             cc) == 0);
    r = RUN_IN(work, 60, "check", "--no-config", "ccplain");
    EXPECT_CODE(r, 0);
    CHECK(strstr(r.out, "0 errors, 0 warnings, 1 note in 1 model") != NULL);
    res_free(&r);
    /* a pipeline folder without a suffix: its stages are listed by the
     * search, read by the pipeline, and checked once */
    char p[PATH_MAX + 64];
    path_in(p, sizeof p, work, "plainpipe");
    CHECK(sh("mkdir -p '%s' && cp -R '%s/rule-fixtures/truth/compiled_pipeline.mlmodelc' '%s/pipe'", p, bd, p) == 0);
    r = RUN_IN(work, 60, "check", "--no-config", "--target", "iOS11", "plainpipe");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "1 error, 0 warnings, 0 notes in 1 model") != NULL);
    res_free(&r);
    /* 65 stages (a pipeline's coremldata.bin lists none here: every marked
     * subfolder is a stage), the last one broken */
    char q[PATH_MAX + 64];
    path_in(q, sizeof q, work, "stages65.mlmodelc");
    CHECK(sh("mkdir -p '%s' && printf '%%s' '[{\"specificationVersion\": 4, \"modelType\": {\"name\": "
             "\"MLModelType_pipeline\"}}]' > '%s/metadata.json' && "
             "for i in $(seq 0 63); do cp -R '%s/examples/tiny_mlprogram.mlmodelc' '%s/model'$i; done && "
             "cp -R '%s/examples/broken/bad_mil.mlmodelc' '%s/model64'",
             q, q, bd, q, bd, q) == 0);
    r = RUN_IN(work, 60, "check", "--no-config", "stages65.mlmodelc");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "model64/model.mil") && strstr(r.out, "[load/mil-structure]"));
    res_free(&r);
}

/* 256 weight files fill the loader's table (IR_MAX_WEIGHT_FILES; it held
 * 64). A file past it that does not exist was dropped without a word (exit
 * 0), and so was a bad offset into a file already open under another
 * spelling ("weights/./w0.bin"); a file past it that exists is an error
 * (its blobs are not read), and a name that ends in '/' names no file. */
#define WT_FILES 256
static void test_weight_file_table(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    char d[PATH_MAX + 64], f[PATH_MAX + 128];
    path_in(d, sizeof d, work, "wtable.mlmodelc");
    CHECK(sh("mkdir -p '%s/weights' && cp '%s/examples/tiny_mlprogram.mlmodelc/metadata.json' '%s/' && "
             "for i in $(seq 0 256); do cp '%s/examples/tiny_mlprogram.mlmodelc/weights/weight.bin' '%s/weights/w'$i.bin; "
             "done",
             d, bd, d, bd, d) == 0);
    static char mil[262144];
    size_t k = (size_t)snprintf(mil, sizeof mil, "program(1.0)\n{\n    func main<ios16>(tensor<fp16, [1, 3, 16, 16]> x) {\n");
    for (int i = 0; i < WT_FILES + 4; i++) {
        char file[64];
        if (i < WT_FILES) snprintf(file, sizeof file, "weights/w%d.bin", i);
        else
            snprintf(file, sizeof file, "%s",
                     i == WT_FILES       ? "weights/./w0.bin"
                     : i == WT_FILES + 1 ? "weights/does_not_exist.bin"
                     : i == WT_FILES + 2 ? "weights/w256.bin"
                                         : "weights/w1.bin/");
        k += (size_t)snprintf(mil + k, sizeof mil - k,
                              "        tensor<fp16, [8, 3, 3, 3]> c%d = const()[name = string(\"c%d\"), val = "
                              "tensor<fp16, [8, 3, 3, 3]>(BLOBFILE(path = string(\"@model_path/%s\"), offset = "
                              "uint64(%d)))];\n",
                              i, i, file, i == WT_FILES ? 999936 : 64);
    }
    snprintf(mil + k, sizeof mil - k,
             "        tensor<fp16, [1, 3, 16, 16]> y = relu(x = x)[name = string(\"y\")];\n    } -> (y);\n}\n");
    path_in(f, sizeof f, d, "model.mil");
    write_str(f, mil);
    res r = RUN_IN(work, 60, "check", "--no-config", "wtable.mlmodelc");
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "weights/does_not_exist.bin' referenced by the program does not exist") != NULL);
    CHECK(strstr(r.out, "points at offset 999936 of weights/w0.bin") != NULL);
    CHECK(strstr(r.out, "error: the program references more than 256 weight files; 'weights/w256.bin'") != NULL);
    CHECK(strstr(r.out, "weight file name '@model_path/weights/w1.bin/' names a folder, not a file") != NULL);
    res_free(&r);
}

/* A shape the IR cannot hold (a dimension over 2^63 - 1, rank 65) was read
 * as unknown in silence, and the count of an inline value against it went
 * unchecked (exit 0); it is said now. */
static void test_unreadable_shapes(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    static const char *const types[] = {"[18446744073709551615]", "[9223372036854775808]",
                                        "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
                                        "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
                                        "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
                                        "*"};
    static const char *const want[] = {"over 2^63 - 1 (no tensor holds that many values)",
                                       "over 2^63 - 1 (no tensor holds that many values)", "has rank 65", NULL};
    for (size_t i = 0; i < 4; i++) {
        char d[PATH_MAX + 64], f[PATH_MAX + 128], mil[2048];
        snprintf(f, sizeof f, "bigdim%zu.mlmodelc", i);
        path_in(d, sizeof d, work, f);
        CHECK(sh("mkdir -p '%s' && cp '%s/examples/tiny_mlprogram.mlmodelc/metadata.json' '%s/'", d, bd, d) == 0);
        snprintf(mil, sizeof mil,
                 "program(1.0)\n{\n    func main<ios16>(tensor<fp16, [1, 3, 16, 16]> x) {\n"
                 "        tensor<fp32, %s> c = const()[name = string(\"c\"), val = tensor<fp32, %s>([1, 2, 3, 4])];\n"
                 "        tensor<fp16, [1, 3, 16, 16]> y = relu(x = x)[name = string(\"y\")];\n    } -> (y);\n}\n",
                 types[i], i == 3 ? "[4]" : types[i]);
        path_in(f, sizeof f, d, "model.mil");
        write_str(f, mil);
        res r = RUN_IN(work, 60, "check", "--no-config", d);
        /* an unknown rank (tensor<fp32, *>) is no fault: nothing said */
        CHECK(want[i] ? strstr(r.out, want[i]) != NULL : strstr(r.out, "outside the 0 to 64") == NULL);
        res_free(&r);
    }
}

/* A package's files are read only inside the package: a symbolic link
 * that leads out (to a token beside the checkout) is not followed, and
 * nothing of the target reaches the output. */
static void test_symlinks_out(void) {
    char d[PATH_MAX + 64], secret[PATH_MAX + 64];
    path_in(d, sizeof d, work, "links");
    mkdir(d, 0700);
    path_in(secret, sizeof secret, work, "token.txt");
    write_str(secret, "ghs_SECRETTOKEN1234 {\"a\": [1, 2]} program(1.0) tensor\n");
    const char *bd = getenv("CML_BUILD_DIR");
    /* Manifest.json -> the token */
    CHECK(sh("cp -R '%s/examples/tiny_mlprogram.mlpackage' '%s/m.mlpackage' && "
             "ln -sf '%s' '%s/m.mlpackage/Manifest.json'", bd, d, secret, d) == 0);
    /* model.mil and metadata.json -> the token */
    CHECK(sh("cp -R '%s/examples/tiny_mlprogram.mlmodelc' '%s/c.mlmodelc' && "
             "ln -sf '%s' '%s/c.mlmodelc/model.mil' && ln -sf '%s' '%s/c.mlmodelc/metadata.json'",
             bd, d, secret, d, secret, d) == 0);
    /* weights/weight.bin -> the token */
    CHECK(sh("cp -R '%s/examples/tiny_mlprogram.mlpackage' '%s/w.mlpackage' && "
             "ln -sf '%s' '%s/w.mlpackage/Data/com.apple.CoreML/weights/weight.bin'", bd, d, secret, d) == 0);
    static const char *const models[] = {"m.mlpackage", "c.mlmodelc", "w.mlpackage"};
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 2; k++) {
            res r = k ? RUN_IN(d, 60, "inspect", "--format", "json", models[i])
                      : RUN_IN(d, 60, "check", "--no-config", "--format", "json", models[i]);
            if (strstr(r.out, "SECRETTOKEN") || strstr(r.err, "SECRETTOKEN") || strstr(r.out, "ghs_") ||
                strstr(r.out, "program(1.0) tensor"))
                fprintf(stderr, "  %s leaked the link's target: %.800s\n", models[i], r.out);
            CHECK(!strstr(r.out, "SECRETTOKEN") && !strstr(r.err, "SECRETTOKEN") && !strstr(r.out, "ghs_"));
            CHECK(strstr(r.out, "leads out of the model") != NULL);
            res_free(&r);
        }
    }
    /* nor its SHA-256 and length, in the SARIF artifacts (which are uploaded) */
    char cmd[PATH_MAX + 256], hex[80] = "";
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", secret);
    FILE *ph = popen(cmd, "r");
    if (ph) {
        if (!fgets(hex, sizeof hex, ph)) hex[0] = 0;
        pclose(ph);
    }
    char *sp = strchr(hex, ' ');
    if (sp) *sp = 0;
    CHECK(strlen(hex) == 64);
    for (int i = 0; i < 3; i++) {
        res r = RUN_IN(d, 60, "check", "--no-config", "--format", "sarif", models[i]);
        if (hex[0] && strstr(r.out, hex)) fprintf(stderr, "  %s: the SARIF log carries the token's SHA-256\n", models[i]);
        CHECK(hex[0] && !strstr(r.out, hex));
        res_free(&r);
    }
}

/* Nor whether the target of such a link exists: a weight file, a weights
 * folder and a Manifest.json item linked out to a name that exists and to
 * one that does not read the same in the report (a pull request could
 * otherwise probe the runner's files: "not read: leads out" against "does
 * not exist"). */
static void test_symlink_oracle(void) {
    char d[PATH_MAX + 64], secret[PATH_MAX + 64], outdir[PATH_MAX + 64];
    path_in(d, sizeof d, work, "oracle");
    mkdir(d, 0700);
    path_in(secret, sizeof secret, work, "there.txt");
    write_str(secret, "x\n");
    path_in(outdir, sizeof outdir, work, "outdir");
    mkdir(outdir, 0700);
    CHECK(sh("cp '%s/examples/tiny_mlprogram.mlpackage/Data/com.apple.CoreML/weights/weight.bin' '%s/'",
             getenv("CML_BUILD_DIR"), outdir) == 0);
    const char *bd = getenv("CML_BUILD_DIR");
    /* [0] leads to a file that exists, [1] to one that does not */
    const char *file_targets[2] = {secret, "/no/such/file/anywhere"};
    const char *dir_targets[2] = {outdir, "/no/such/folder"};
    char *outs[3][2];
    for (int k = 0; k < 2; k++) {
        CHECK(sh("rm -rf '%s/w%d.mlpackage' '%s/f%d.mlpackage' '%s/i%d.mlpackage' && "
                 "cp -R '%s/examples/tiny_mlprogram.mlpackage' '%s/w%d.mlpackage' && "
                 "ln -sf '%s' '%s/w%d.mlpackage/Data/com.apple.CoreML/weights/weight.bin' && "
                 "cp -R '%s/examples/tiny_mlprogram.mlpackage' '%s/f%d.mlpackage' && "
                 "rm -r '%s/f%d.mlpackage/Data/com.apple.CoreML/weights' && "
                 "ln -s '%s' '%s/f%d.mlpackage/Data/com.apple.CoreML/weights' && "
                 "cp -R '%s/examples/tiny_mlprogram.mlpackage' '%s/i%d.mlpackage' && "
                 "mv '%s/i%d.mlpackage/Data/com.apple.CoreML/weights' '%s/i%d.mlpackage/Data/com.apple.CoreML/w2' && "
                 "ln -s '%s' '%s/i%d.mlpackage/Data/com.apple.CoreML/weights'",
                 d, k, d, k, d, k, bd, d, k, file_targets[k], d, k, bd, d, k, d, k, dir_targets[k], d, k, bd, d, k, d,
                 k, d, k, dir_targets[k], d, k) == 0);
        static const char *const pre[3] = {"w", "f", "i"};
        for (int m = 0; m < 3; m++) {
            char model[32];
            snprintf(model, sizeof model, "%s%d.mlpackage", pre[m], k);
            res r = RUN_IN(d, 60, "check", "--no-config", "--no-color", model);
            /* the model's name apart, the reports must be the same */
            char *o = r.out ? strdup(r.out) : strdup("");
            for (char *q = o; (q = strstr(q, model)); q += strlen(model)) q[strlen(pre[m])] = 'K';
            outs[m][k] = o;
            CHECK(strstr(r.out, "leads out of the model") != NULL);
            CHECK(!strstr(r.out, "does not exist"));
            res_free(&r);
        }
    }
    for (int m = 0; m < 3; m++) {
        if (strcmp(outs[m][0], outs[m][1]))
            fprintf(stderr, "  the reports tell the link targets apart:\n%s\n--\n%s\n", outs[m][0], outs[m][1]);
        CHECK_STR(outs[m][0], outs[m][1]);
        free(outs[m][0]);
        free(outs[m][1]);
    }
}

/* ---- 5. reports written atomically ------------------------------------------------------ */

/* -o onto a FIFO (or /dev/null) writes into it: the write-then-rename
 * replaced it with a regular file (as root, /dev/null itself, an
 * adversarial pass found). A block device is refused. */
static void test_report_to_fifo(void) {
    char d[PATH_MAX + 64], fifo[PATH_MAX + 128], got[PATH_MAX + 128], model[PATH_MAX + 64];
    path_in(d, sizeof d, work, "fifo");
    mkdir(d, 0700);
    path_in(fifo, sizeof fifo, d, "report.pipe");
    path_in(got, sizeof got, d, "read.json");
    path_in(model, sizeof model, hostile, "strings_nn.mlmodel");
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(sh("(cat '%s' > '%s' &)", fifo, got) == 0);
    res r = RUN_IN(d, 60, "check", "--no-config", "--format", "json", "-o", "report.pipe", model);
    CHECK(r.code == 0 || r.code == 1);
    res_free(&r);
    struct stat st;
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    char *t = NULL;
    for (int i = 0; i < 50 && !(t && *t); i++) {   /* the reader may still be copying */
        free(t);
        usleep(20000);
        t = cli_slurp(got, NULL);
    }
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    CHECK(j != NULL);
    cJSON_Delete(j);
    free(t);
}

/* `rules --docs DIR` writes only into DIR: a checkout's docs/rules (or
 * docs/rules/ane) planted as a link to a folder elsewhere is refused, and
 * nothing lands there (54 pages did, an adversarial pass found). */
static void test_docs_symlink(void) {
    char d[PATH_MAX + 64];
    path_in(d, sizeof d, work, "docslink");
    for (int k = 0; k < 2; k++) {
        CHECK(sh("rm -rf '%s' && mkdir -p '%s/docs/rules' '%s/outside'", d, d, d) == 0);
        if (k) CHECK(sh("ln -s ../../outside '%s/docs/rules/ane'", d) == 0);
        else CHECK(sh("rmdir '%s/docs/rules' && ln -s ../outside '%s/docs/rules'", d, d) == 0);
        res r = RUN_IN(d, 60, "rules", "--docs", "docs");
        EXPECT_CODE(r, 2);
        CHECK(strstr(r.err, "not followed") != NULL);
        res_free(&r);
        CHECK(sh("test -z \"$(ls -A '%s/outside')\"", d) == 0);
    }
}

static void test_atomic_report(void) {
    char d[PATH_MAX + 64], rep[PATH_MAX + 128], victim[PATH_MAX + 128], model[PATH_MAX + 64];
    path_in(d, sizeof d, work, "atomic");
    mkdir(d, 0700);
    path_in(rep, sizeof rep, d, "report.sarif");
    path_in(victim, sizeof victim, d, "victim.txt");
    path_in(model, sizeof model, hostile, "strings_nn.mlmodel");
    /* a symbolic link planted at the -o path is replaced, not written through */
    write_str(victim, "ORIGINAL\n");
    CHECK(symlink("victim.txt", rep) == 0);
    res r = RUN_IN(d, 60, "check", "--no-config", "--format", "sarif", "-o", "report.sarif", model);
    CHECK(r.code == 0 || r.code == 1);
    res_free(&r);
    char *v = cli_slurp(victim, NULL);
    CHECK(v && !strcmp(v, "ORIGINAL\n"));
    free(v);
    struct stat st;
    CHECK(lstat(rep, &st) == 0 && S_ISREG(st.st_mode));
    char *t = cli_slurp(rep, NULL);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    CHECK(j != NULL);
    cJSON_Delete(j);
    free(t);
    /* a run killed before it finishes leaves the previous report whole */
    char hang[PATH_MAX + 64];
    snprintf(hang, sizeof hang, "%s/../tests/plugins/hang-in-check.so", plugin_dir);
    if (plugin_dir[0] && access(hang, R_OK) == 0) {
        write_str(rep, "PREVIOUS REPORT\n");
        r = RUN_IN(d, 3, "check", "--no-config", "--plugin", hang, "--limit", "plugin_isolation=never", "--format",
                   "sarif", "-o", "report.sarif", model);
        CHECK_INT(r.code, -2);   /* killed by the test: it hangs in process */
        res_free(&r);
        t = cli_slurp(rep, NULL);
        CHECK(t && !strcmp(t, "PREVIOUS REPORT\n"));
        if (t && strcmp(t, "PREVIOUS REPORT\n")) fprintf(stderr, "  -o after a killed run: \"%.200s\"\n", t);
        free(t);
    } else {
        fprintf(stderr, "  (no hang-in-check test plugin: the killed-run case is not run)\n");
        CHECK(0);
    }
    /* a third-party plugin that prints in check: the report on stdout is
     * still one JSON document, without the plugin's line */
    char prints[PATH_MAX + 64];
    snprintf(prints, sizeof prints, "%s/../tests/plugins/prints-in-check.so", plugin_dir);
    if (plugin_dir[0] && access(prints, R_OK) == 0) {
        r = RUN_IN(d, 60, "check", "--no-config", "--plugin", prints, "--format", "json", model);
        CHECK(r.code == 0 || r.code == 1);
        j = cJSON_Parse(r.out);
        CHECK(j != NULL && !strstr(r.out, "printed by a plugin") && !strstr(r.err, "printed by a plugin"));
        cJSON_Delete(j);
        res_free(&r);
    } else {
        fprintf(stderr, "  (no prints-in-check test plugin: the printing-plugin case is not run)\n");
        CHECK(0);
    }
    /* two runs at once: the file is one complete report or the other */
    pid_t a = fork();
    if (a == 0) {
        res ra = RUN_IN(d, 60, "check", "--no-config", "--format", "json", "-o", "both.out", model);
        _exit(ra.code == 0 || ra.code == 1 ? 0 : 1);
    }
    res rb = RUN_IN(d, 60, "check", "--no-config", "--format", "sarif", "-o", "both.out", model);
    int sa = 0;
    waitpid(a, &sa, 0);
    CHECK(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
    CHECK(rb.code == 0 || rb.code == 1);
    res_free(&rb);
    path_in(rep, sizeof rep, d, "both.out");
    t = cli_slurp(rep, NULL);
    j = t ? cJSON_Parse(t) : NULL;
    CHECK(j != NULL);
    cJSON_Delete(j);
    free(t);
    /* -o at a folder is refused, nothing is created */
    r = RUN_IN(d, 30, "check", "--no-config", "-o", ".", model);
    EXPECT_CODE(r, 2);
    res_free(&r);
}

/* ---- 6. a wall clock for rules ------------------------------------------------------------ */

static const char BOMB_RULE[] =
    "local rule = { id = \"house/bomb\", name = \"Bomb\", summary = \"backtracks\", help = \"Test rule.\",\n"
    "  level = \"note\" }\n"
    "function rule.check(model, ctx)\n"
    "  ctx:report(model, 'before the bomb')\n"
    "  local s = string.rep('a', 40)\n"
    "  return s:find(string.rep('a*', 30) .. 'b')\n"
    "end\n"
    "return rule\n";

static const char SPIN_RULE[] =
    "local rule = { id = \"house/spin\", name = \"Spin\", summary = \"loops\", help = \"Test rule.\",\n"
    "  level = \"note\" }\n"
    "function rule.check(model, ctx) while true do end end\n"
    "return rule\n";

/* The probe's save_outputs (an option a configuration file may set) never
 * writes through a link planted where an output file goes: the classifier
 * example's string output becomes label.txt, its scores labelProbs.tsv. */
static void test_probe_outputs_no_follow(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    char m[PATH_MAX], d[PATH_MAX + 64], out[PATH_MAX + 96], victim[PATH_MAX + 96], cfg[PATH_MAX + 96];
    snprintf(m, sizeof m, "%s/examples/tiny_classifier_nn.mlmodel", bd ? bd : "");
    if (!have_probe || !bd || access(m, R_OK)) {
        fprintf(stderr, "SKIP test_probe_outputs_no_follow: no probe or no examples\n");
        return;
    }
    path_in(d, sizeof d, work, "saveout");
    mkdir(d, 0700);
    path_in(out, sizeof out, d, "out");
    mkdir(out, 0700);
    path_in(victim, sizeof victim, d, "victim");
    write_str(victim, "keep");
    CHECK(sh("ln -s '%s' '%s/label.txt' && ln -s '%s' '%s/labelProbs.tsv'", victim, out, victim, out) == 0);
    path_in(cfg, sizeof cfg, d, "c.json");
    char json[2 * PATH_MAX + 256];
    snprintf(json, sizeof json, "{\"rules\": {\"probe/*\": {\"options\": {\"save_outputs\": \"%s\"}}}}", out);
    write_str(cfg, json);
    /* (a file names the folder only when trusted: test_trust_model) */
    res r = RUN_IN(d, 120, "probe", "--config", "c.json", "--trust-config", "--runs", "1", m);
    EXPECT_CODE(r, 2);   /* the user's own folder cannot be used: a usage error */
    CHECK(strstr(r.err, "cannot write") != NULL || strstr(r.out, "cannot write") != NULL);
    res_free(&r);
    size_t n = 0;
    char *v = cli_slurp(victim, &n);
    CHECK(v && n == 4 && !memcmp(v, "keep", 4));
    free(v);
}

/* Declared shapes whose element count wraps 2^64: an input of 3 x
 * 6148914691236517206 (3 * that = 2 mod 2^64) and a constant of that shape
 * holding 2 values. The executor allocated 2 elements and its kernels
 * read and wrote the declared shape's; now each is refused by name: the
 * input by the executor, the constant already by the loader (a
 * load/weight-blob error, so the probe does not run the model; the
 * executor's own refusal is test_exec_ops test_unsupported's). */
static void test_probe_wrapping_shapes(void) {
    if (!have_probe) {
        fprintf(stderr, "SKIP test_probe_wrapping_shapes: no probe\n");
        return;
    }
    static const char *const mil[2] = {
        "program(1.0)\n{\n    func main<ios16>(tensor<fp32, [3, 6148914691236517206]> x) {\n"
        "            tensor<int32, [1]> ax = const()[name = string(\"ax\"), val = tensor<int32, [1]>([1])];\n"
        "            bool kd = const()[name = string(\"kd\"), val = bool(false)];\n"
        "            tensor<fp32, [3]> y = reduce_sum(x = x, axes = ax, keep_dims = kd)[name = string(\"y\")];\n"
        "        } -> (y);\n}\n",
        "program(1.0)\n{\n    func main<ios16>(tensor<fp32, [3]> x) {\n"
        "            tensor<fp32, [3, 6148914691236517206]> w = const()[name = string(\"w\"), "
        "val = tensor<fp32, [3, 6148914691236517206]>([1.0, 2.0])];\n"
        "            tensor<int32, [1]> ax = const()[name = string(\"ax\"), val = tensor<int32, [1]>([1])];\n"
        "            bool kd = const()[name = string(\"kd\"), val = bool(false)];\n"
        "            tensor<fp32, [3]> r = reduce_sum(x = w, axes = ax, keep_dims = kd)[name = string(\"r\")];\n"
        "            tensor<fp32, [3]> y = add(x = x, y = r)[name = string(\"y\")];\n"
        "        } -> (y);\n}\n"};
    static const char *const want[2] = {"input 'x' has more than 2^40 elements",
                                        "shape whose element count does not fit 64 bits"};
    for (int i = 0; i < 2; i++) {
        char d[PATH_MAX + 64], f[PATH_MAX + 128];
        snprintf(d, sizeof d, "%s/wrap%d.mlmodelc", work, i);
        mkdir(d, 0700);
        path_in(f, sizeof f, d, "model.mil");
        write_str(f, mil[i]);
        res r = RUNW("probe", "--no-config", "--runs", "1", "--format", "json", d);
        CHECK(r.code == 0 || r.code == 1);
        CHECK(strstr(r.out, want[i]) != NULL);
        CHECK(!strstr(r.out, "probe/crash"));
        if (!strstr(r.out, want[i])) fprintf(stderr, "  wrapping shape %d: exit %d\n  %.1500s\n", i, r.code, r.out);
        res_free(&r);
    }
}

static void test_lua_wall_clock(void) {
    char d[PATH_MAX + 64], f[PATH_MAX + 128], model[PATH_MAX + 64];
    path_in(d, sizeof d, work, "clock");
    mkdir(d, 0700);
    path_in(f, sizeof f, d, "house");
    mkdir(f, 0700);
    char g[PATH_MAX + 192];
    path_in(g, sizeof g, f, "bomb.lua");
    write_str(g, BOMB_RULE);
    path_in(g, sizeof g, f, "spin.lua");
    write_str(g, SPIN_RULE);
    path_in(g, sizeof g, f, "echo.lua");
    write_str(g, ECHO_RULE);
    path_in(model, sizeof model, hostile, "strings_nn.mlmodel");
    /* a budget too large to matter: the wall clock stops both, in the
     * string library and in the VM; every other rule still runs */
    res r = RUN_IN(d, 60, "check", "--no-config", "--keep-going", "--rules-dir", "house", "--limit",
                   "lua_instructions=1000000000000000", "--limit", "lua_seconds=1", "--format", "json", model);
    CHECK(r.code == 0 || r.code == 1);
    cJSON *j = cJSON_Parse(r.out);
    CHECK(j != NULL);
    int timeouts = 0, echo_findings = 0, bomb_before = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "notifications")) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, "kind"), *rid = cJSON_GetObjectItemCaseSensitive(it, "rule");
        if (cJSON_IsString(k) && !strcmp(k->valuestring, "rule/timeout") && cJSON_IsString(rid) &&
            (!strcmp(rid->valuestring, "house/bomb") || !strcmp(rid->valuestring, "house/spin")))
            timeouts++;
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "findings")) {
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(it, "rule");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(it, "message");
        if (cJSON_IsString(rid) && !strcmp(rid->valuestring, "house/echo")) echo_findings++;
        if (cJSON_IsString(msg) && !strcmp(msg->valuestring, "before the bomb")) bomb_before++;
    }
    CHECK_INT(timeouts, 2);
    CHECK(echo_findings > 0);
    CHECK_INT(bomb_before, 1);
    if (timeouts != 2) fprintf(stderr, "  exit %d: %.2000s\n%.500s\n", r.code, r.out, r.err);
    cJSON_Delete(j);
    res_free(&r);
    /* the default budget stops the bomb by itself, the same on every machine */
    r = RUN_IN(d, 60, "check", "--no-config", "--rules-dir", "house", "--disable", "house/spin", "--format", "json",
               model);
    CHECK(strstr(r.out, "rule/budget-exceeded") != NULL);
    res_free(&r);
    /* lua_seconds is a limit like the others: validated, and in the schema */
    r = RUN_IN(d, 30, "check", "--no-config", "--limit", "lua_seconds=0", model);
    EXPECT_CODE(r, 2);
    res_free(&r);
}

/* Walks over the op graph are linear in it. A value lists an op once per
 * input that binds it: 16 levels of constexpr ops binding the previous
 * value 6 times each made numerics/fp16-overflow's walk take 6^16 steps
 * (hours; 75 s at 4 bindings), as no path reaches an fp16 op. The run
 * must end within the time limit. */
static void test_fanout_walks(void) {
    char d[PATH_MAX + 64], f[PATH_MAX + 128];
    path_in(d, sizeof d, work, "fanout.mlmodelc");
    mkdir(d, 0700);
    path_in(f, sizeof f, d, "metadata.json");
    write_str(f, "[{\"specificationVersion\": 7, \"modelType\": {\"name\": \"MLModelType_mlProgram\"},\n"
                 " \"inputSchema\": [{\"name\": \"x\", \"type\": \"MultiArray\", \"dataType\": \"Float32\", "
                 "\"shape\": \"[4]\"}],\n"
                 " \"outputSchema\": [{\"name\": \"y\", \"type\": \"MultiArray\", \"dataType\": \"Float32\", "
                 "\"shape\": \"[4]\"}]}]\n");
    char mil[8192];
    size_t k = (size_t)snprintf(mil, sizeof mil,
                                "program(1.0)\n{\n    func main<ios16>(tensor<fp32, [4]> x) {\n"
                                "        tensor<fp32, [4]> a0 = const()[name = string(\"a0\"), "
                                "val = tensor<fp32, [4]>([1000000, 1, 1, 1])];\n");
    for (int l = 1; l <= 16; l++) {
        k += (size_t)snprintf(mil + k, sizeof mil - k, "        tensor<fp32, [4]> a%d = constexpr_fanout(", l);
        for (int b = 0; b < 6; b++) k += (size_t)snprintf(mil + k, sizeof mil - k, "%sp%d = a%d", b ? ", " : "", b, l - 1);
        k += (size_t)snprintf(mil + k, sizeof mil - k, ")[name = string(\"a%d\")];\n", l);
    }
    snprintf(mil + k, sizeof mil - k,
             "        tensor<fp32, [4]> y = add(x = x, y = a16)[name = string(\"y\")];\n"
             "    } -> (y);\n}\n");
    path_in(f, sizeof f, d, "model.mil");
    write_str(f, mil);
    res r = RUN_IN(work, 60, "check", "--no-config", "--format", "json", d);
    CHECK(r.sig == 0 && (r.code == 0 || r.code == 1));
    CHECK(strstr(r.out, "load/unknown-op") != NULL);   /* the made-up op, as it is: the run ended whole */
    if (r.sig) fprintf(stderr, "  the run was killed (signal %d): a walk did not end\n", r.sig);
    res_free(&r);
}

/* Tables keyed by a model's names use a keyed hash: 120,000 value names
 * that share the low 18 bits of their FNV-1a hash (found backwards from one
 * target, as an attacker would) made the IR builder's scope table probe one
 * cluster per name: about 100 s, against 1 s for ordinary names. */
static void test_hash_flood(void) {
    enum { N = 120000, K = 18 };
    const uint64_t M = (1u << K) - 1, P = 1099511628211ull & M, BASIS = 1469598103934665603ull & M, T = 12345 & M;
    uint64_t pinv = 1;   /* P^-1 mod 2^K by Newton's iteration (P is odd) */
    for (int i = 0; i < 6; i++) pinv = (pinv * (2 - P * pinv)) & M;
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    const size_t na = sizeof alpha - 1;
    /* back[s]: three characters that take state s to T */
    uint32_t *back = calloc((size_t)M + 1, sizeof *back);
    CHECK(back != NULL);
    if (!back) return;
    for (size_t a = 0; a < na; a++) {
        uint64_t s3 = ((T * pinv) & M) ^ (unsigned char)alpha[a];
        for (size_t b = 0; b < na; b++) {
            uint64_t s2 = ((s3 * pinv) & M) ^ (unsigned char)alpha[b];
            for (size_t c = 0; c < na; c++) {
                uint64_t s1 = ((s2 * pinv) & M) ^ (unsigned char)alpha[c];
                if (!back[s1]) back[s1] = 1u + (uint32_t)(c << 16 | b << 8 | a);
            }
        }
    }
    char d[PATH_MAX + 64], f[PATH_MAX + 128];
    path_in(d, sizeof d, work, "flood.mlmodelc");
    mkdir(d, 0700);
    path_in(f, sizeof f, d, "metadata.json");
    write_str(f, "[{\"specificationVersion\": 7, \"modelType\": {\"name\": \"MLModelType_mlProgram\"}}]\n");
    path_in(f, sizeof f, d, "model.mil");
    FILE *o = fopen(f, "w");
    CHECK(o != NULL);
    if (!o) {
        free(back);
        return;
    }
    fprintf(o, "program(1.0)\n{\n    func main<ios16>(tensor<fp16, [1]> x) {\n");
    uint64_t rng = 1;
    char prev[16] = "x", nm[16];
    size_t made = 0;
    while (made < N) {
        char pre[7] = "v";
        for (int i = 1; i < 6; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            pre[i] = alpha[(rng >> 33) % na];
        }
        uint64_t h = BASIS;
        for (int i = 0; i < 6; i++) h = ((h ^ (unsigned char)pre[i]) * P) & M;
        if (!back[h]) continue;
        uint32_t t = back[h] - 1;
        snprintf(nm, sizeof nm, "%s%c%c%c", pre, alpha[t & 0xff], alpha[(t >> 8) & 0xff], alpha[t >> 16]);
        /* a repeated name (rare) is a redefinition, a load error: the run must end all the same */
        fprintf(o, "        tensor<fp16, [1]> %s = relu(x = %s)[name = string(\"%s\")];\n", nm, prev, nm);
        memcpy(prev, nm, sizeof nm);
        made++;
    }
    fprintf(o, "    } -> (%s);\n}\n", prev);
    fclose(o);
    free(back);
    res r = RUN_IN(work, 45, "check", "--no-config", "--no-bundled", "-q", d);
    CHECK(r.sig == 0);
    if (r.sig) fprintf(stderr, "  the run was killed (signal %d): a table was flooded\n", r.sig);
    res_free(&r);
}

/* Paths below a chain of 500 folders: each containment check once cost a
 * realpath quadratic in the depth, and each manifest line a strstr of a
 * 1,000-byte needle (300 items: 23 s). */
static void test_deep_paths(void) {
    char d[PATH_MAX + 64];
    path_in(d, sizeof d, work, "deep.mlpackage");
    char chain[1100] = "";
    for (int i = 0; i < 500; i++) strcat(chain, i ? "/a" : "a");
    CHECK(sh("mkdir -p '%s/Data/%s' && touch '%s/Data/%s/keep'", d, chain, d, chain) == 0);
    char mf[PATH_MAX + 128];
    path_in(mf, sizeof mf, d, "Manifest.json");
    FILE *o = fopen(mf, "w");
    CHECK(o != NULL);
    if (!o) return;
    fprintf(o, "{\"fileFormatVersion\": \"1.0.0\", \"itemInfoEntries\": {\n");
    for (int k = 0; k < 300; k++)
        fprintf(o, "\"i%d\": {\"path\": \"%s/m%d\", \"name\": \"n\", \"author\": \"a\", \"description\": \"d\"},\n",
                k, chain, k);
    fprintf(o, "\"root\": {\"path\": \"com.apple.CoreML/model.mlmodel\", \"name\": \"model.mlmodel\", \"author\": "
               "\"a\", \"description\": \"d\"}}, \"rootModelIdentifier\": \"root\"}\n");
    fclose(o);
    res r = RUN_IN(work, 10, "check", "--no-config", "--no-bundled", "-q", "deep.mlpackage");
    CHECK(r.sig == 0);
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "item 'i0' path") && strstr(r.out, "[load/package-manifest]"));
    if (r.sig) fprintf(stderr, "  the run was killed (signal %d): each deep path cost seconds\n", r.sig);
    res_free(&r);
}

/* A compiled pipeline whose stage folders are 40 links to one sibling
 * folder reads it once: the others are said, not listed again (each
 * listing of a 60,000-entry folder cost 0.1 s, 128 times). A chain of
 * part folders (model/model/...) stops at the search's depth limit, like
 * any folder: it once recursed 680 deep. */
static void test_stage_links_and_part_chains(void) {
    char d[PATH_MAX + 64];
    path_in(d, sizeof d, work, "fan.mlmodelc");
    const char *meta = "[{\\\"specificationVersion\\\": 4, \\\"modelType\\\": {\\\"name\\\": \\\"MLModelType_pipeline\\\"}}]";
    CHECK(sh("mkdir -p '%s/zz_shared/sub.mlmodelc' && cd '%s' && echo \"%s\" > metadata.json && "
             "cp metadata.json zz_shared/ && cp metadata.json zz_shared/sub.mlmodelc/ && "
             "for i in $(seq 0 39); do ln -s zz_shared model$i.mlmodelc; done",
             d, d, meta) == 0);
    res r = RUN_IN(work, 60, "check", "--no-config", "--no-bundled", "fan.mlmodelc");
    CHECK(r.sig == 0);
    size_t again = 0;
    for (const char *p = r.out; (p = strstr(p, "leads to a stage folder already read")) != NULL; p++) again++;
    CHECK(again == 39);
    res_free(&r);
    char pc[PATH_MAX + 64];
    path_in(pc, sizeof pc, work, "partchain");
    char chain[700] = "";
    for (int i = 0; i < 40; i++) strcat(chain, "/model");
    CHECK(sh("mkdir -p '%s/Models/M%s' && cp '%s/examples/tiny_mlprogram.mlmodelc/model.mil' '%s/Models/M/'", pc,
             chain, getenv("CML_BUILD_DIR"), pc) == 0);
    r = RUN_IN(work, 60, "check", "--no-config", "partchain");
    CHECK(r.sig == 0);
    CHECK(strstr(r.out, "deeper than 12 levels") != NULL);   /* the text report holds the notifications */
    res_free(&r);
}

/* Short links inside a package (Data/s, then t) that reach a chain of
 * 2,100 folders: real paths past 4096 bytes, which the one-walk resolver
 * cannot name. It once fell back to glibc's realpath, quadratic in the
 * depth: 60 manifest items took 26 s. Such paths are refused now. */
static void test_long_real_paths(void) {
    enum { DEPTH = 2100, HALF = DEPTH / 2, ITEMS = 60 };
    char d[PATH_MAX + 64], data[PATH_MAX + 128];
    path_in(d, sizeof d, work, "longreal.mlpackage");
    path_in(data, sizeof data, d, "Data");
    CHECK(sh("mkdir -p '%s'", data) == 0);
    int fd = open(data, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    if (fd < 0) return;
    static char target[2 * HALF + 2];
    for (int i = 0; i < DEPTH; i++) {
        if (i == HALF) {
            target[0] = 0;
            for (int k = 0; k < DEPTH - HALF; k++) strcat(target, k ? "/a" : "a");
            CHECK(symlinkat(target, fd, "t") == 0);
        }
        CHECK(mkdirat(fd, "a", 0700) == 0);
        int nfd = openat(fd, "a", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = nfd;
        if (fd < 0) break;
    }
    if (fd >= 0) close(fd);
    target[0] = 0;
    for (int k = 0; k < HALF; k++) strcat(target, k ? "/a" : "a");
    char s_link[PATH_MAX + 160];
    path_in(s_link, sizeof s_link, data, "s");
    CHECK(symlink(target, s_link) == 0);
    char mf[PATH_MAX + 128];
    path_in(mf, sizeof mf, d, "Manifest.json");
    FILE *o = fopen(mf, "w");
    CHECK(o != NULL);
    if (!o) return;
    fprintf(o, "{\"fileFormatVersion\": \"1.0.0\", \"itemInfoEntries\": {\n");
    for (int k = 0; k < ITEMS; k++)
        fprintf(o, "\"i%d\": {\"path\": \"s/t/m%d\", \"name\": \"n\", \"author\": \"a\", \"description\": \"d\"},\n", k, k);
    fprintf(o, "\"root\": {\"path\": \"com.apple.CoreML/model.mlmodel\", \"name\": \"model.mlmodel\", \"author\": "
               "\"a\", \"description\": \"d\"}}, \"rootModelIdentifier\": \"root\"}\n");
    fclose(o);
    res r = RUN_IN(work, 10, "check", "--no-config", "--no-bundled", "-q", "longreal.mlpackage");
    CHECK(r.sig == 0);
    EXPECT_CODE(r, 1);
    CHECK(strstr(r.out, "item 'i0' path 'Data/s/t/m0'") != NULL);
    if (r.sig) fprintf(stderr, "  the run was killed (signal %d): each long real path cost a quadratic walk\n", r.sig);
    res_free(&r);
    /* rm walks a tree past PATH_MAX (openat); the test's own remover does not */
    CHECK(sh("rm -rf '%s'", d) == 0);
}

/* A committed configuration's exclude patterns are matched under a budget,
 * as its suppressions are: 20,000 patterns of 30 stars against 200 models
 * under 2,000-byte folder names took 108 s. Past the budget the rest are
 * checked, with an error that says so. */
static void test_costly_excludes(void) {
    char d[PATH_MAX + 64];
    path_in(d, sizeof d, work, "exclq");
    char q[201];
    memset(q, 'q', 200);
    q[200] = 0;
    CHECK(sh("mkdir -p '%s/%s/%s/%s/%s/%s' && cd '%s/%s/%s/%s/%s/%s' && for i in $(seq 1 200); do "
             "cp '%s/examples/tiny_classifier_nn.mlmodel' m$i.mlmodel; done",
             d, q, q, q, q, q, d, q, q, q, q, q, getenv("CML_BUILD_DIR")) == 0);
    char cfg[PATH_MAX + 128];
    path_in(cfg, sizeof cfg, d, "costly.json");
    FILE *o = fopen(cfg, "w");
    CHECK(o != NULL);
    if (!o) return;
    fputs("{\"exclude\": [", o);
    for (int i = 0; i < 20000; i++) {
        fputs(i ? ",\"" : "\"", o);
        for (int k = 0; k < 30; k++) fputs("*q", o);
        fprintf(o, "*X%d\"", i);
    }
    fputs("]}\n", o);
    fclose(o);
    res r = RUN_IN(d, 30, "check", "--config", "costly.json", q);
    CHECK(r.sig == 0);
    EXPECT_CODE(r, 0);   /* the findings decide, as with costly suppressions */
    CHECK(strstr(r.out, "exclude patterns against the model paths took more than") ||
          strstr(r.err, "exclude patterns against the model paths took more than"));
    CHECK(strstr(r.out, "in 200 models") != NULL);   /* every model checked all the same */
    if (r.sig) fprintf(stderr, "  the run was killed (signal %d): the exclude patterns cost minutes\n", r.sig);
    res_free(&r);
}

/* inspect, and the html and markdown reports that show its facts, count
 * op kinds by sorting them: a list searched per op made 80,000 distinct
 * (made-up) kinds take 13.5 s, and 160,000 took 112 s in html. */
static void test_many_op_kinds(void) {
    char d[PATH_MAX + 64], f[PATH_MAX + 128];
    path_in(d, sizeof d, work, "kinds.mlmodelc");
    mkdir(d, 0700);
    path_in(f, sizeof f, d, "model.mil");
    FILE *o = fopen(f, "w");
    CHECK(o != NULL);
    if (!o) return;
    fputs("program(1.0)\n{\n    func main<ios16>(tensor<fp16, [1]> x) {\n", o);
    for (int i = 0; i < 80000; i++)
        fprintf(o, "        tensor<fp16, [1]> v%d = k%d(x = %s%d)[name = string(\"v%d\")];\n", i, i, i ? "v" : "x",
                i ? i - 1 : 0, i);
    fputs("    } -> (v79999);\n}\n", o);
    fclose(o);
    res r = RUN_IN(work, 8, "inspect", "--format", "json", d);
    CHECK(r.sig == 0);
    CHECK(strstr(r.out, "\"k79999\"") != NULL);
    if (r.sig) fprintf(stderr, "  inspect was killed (signal %d): counting op kinds is quadratic\n", r.sig);
    res_free(&r);
}

/* compare matches ops by name by bisection: two 40,000-op programs whose
 * names share a 200-byte prefix once cost a strcmp of every pair (103 s
 * for the adversarial pass's pair; the probe's time limit ended larger
 * ones). */
static void write_chain(const char *dir, char tag) {
    mkdir(dir, 0700);
    char f[PATH_MAX + 128];
    path_in(f, sizeof f, dir, "model.mil");
    FILE *o = fopen(f, "w");
    CHECK(o != NULL);
    if (!o) return;
    char pre[201];
    memset(pre, 'a', 200);
    pre[200] = 0;
    fputs("program(1.0)\n{\n    func main<ios16>(tensor<fp32, [1]> x) {\n", o);
    for (int i = 0; i < 40000; i++) {
        if (i) fprintf(o, "        tensor<fp32, [1]> %s%c%d = relu(x = %s%c%d)[name = string(\"%s%c%d\")];\n", pre, tag,
                       i, pre, tag, i - 1, pre, tag, i);
        else fprintf(o, "        tensor<fp32, [1]> %s%c0 = relu(x = x)[name = string(\"%s%c0\")];\n", pre, tag, pre, tag);
    }
    fprintf(o, "    } -> (%s%c39999);\n}\n", pre, tag);
    fclose(o);
}

static void test_compare_many_ops(void) {
    if (!have_probe) return;
    char a[PATH_MAX + 64], b[PATH_MAX + 64];
    path_in(a, sizeof a, work, "cmpa.mlmodelc");
    path_in(b, sizeof b, work, "cmpb.mlmodelc");
    write_chain(a, 'x');
    write_chain(b, 'y');
    res r = RUN_IN(work, 60, "compare", "--no-config", "-q", "--runs", "1", a, b);
    CHECK(r.sig == 0);
    CHECK(r.code == 0 || r.code == 1);
    CHECK(strstr(r.out, "probe/timeout") == NULL);
    if (r.sig) fprintf(stderr, "  compare was killed (signal %d): matching ops by name is quadratic\n", r.sig);
    res_free(&r);
}

/* Linked models (LinkedModel.proto) name their file and search path, so a
 * stranger chooses them. links/self.mlmodel, 8 pipeline stages that each
 * link the file itself, made the probe load 8^16 copies of it in the host
 * process (two stages: 5.7 GB in 30 s, outside the probe's own limits):
 * each file is now loaded once, and the self-link refused. in/out.mlmodel
 * links secret.mlmodel through "..:/": a runnable model outside its folder
 * was loaded and run (and a name's existence anywhere showed in the
 * report); now only the folder holding the model is searched. */
static void test_linked_models(void) {
    if (!have_probe) return;
    char self[PATH_MAX + 64], out[PATH_MAX + 64];
    path_in(self, sizeof self, hostile, "links/self.mlmodel");
    path_in(out, sizeof out, hostile, "links/in/out.mlmodel");
    res r = RUN_IN(work, 60, "probe", "--no-config", "-q", "--runs", "1", "--format", "json", self);
    CHECK(r.sig == 0 && r.code == 0);
    CHECK(strstr(r.out, "links back to itself") != NULL);
    if (r.code) fprintf(stderr, "  probe of a self-linking pipeline: exit %d, signal %d\n", r.code, r.sig);
    res_free(&r);
    r = RUN_IN(work, 60, "probe", "--no-config", "-q", "--runs", "1", "--format", "json", out);
    CHECK(r.code == 0);
    CHECK(strstr(r.out, "'secret.mlmodel' was not found in the folder holding the model") != NULL);
    CHECK(strstr(r.out, "\"status\":\t\"unsupported\"") != NULL);   /* secret.mlmodel did not run */
    res_free(&r);
}

/* probe/constant-output (and the divergence rules) found each reported
 * output's description by a scan: the 10,000 reports of a model with 80,000
 * constant outputs (4 MB) took 100 s in the host process, after the probe's
 * own time limit had ended. */
static void test_wide_constant_outputs(void) {
    if (!have_probe) return;
    char model[PATH_MAX + 64];
    path_in(model, sizeof model, hostile, "wide_constant.mlmodel");
    res r = RUN_IN(work, 60, "probe", "--no-config", "-q", "--runs", "1", "--enable", "probe/constant-output", model);
    CHECK(r.sig == 0);
    CHECK(r.code == 1 || r.code == 0);
    CHECK(strstr(r.out, "output 'o79999' came out bitwise the same") != NULL ||
          strstr(r.out, "probe/constant-output") != NULL);
    if (r.sig) fprintf(stderr, "  probe was killed (signal %d): finding an output's description is quadratic\n", r.sig);
    res_free(&r);
}

/* compare matched each output to the baseline's by a scan of the
 * baseline's outputs: two models of 80,000 outputs made 6.4 billion string
 * comparisons in the probe's process; now a bisection. */
static void test_compare_many_outputs(void) {
    if (!have_probe) return;
    char model[PATH_MAX + 64];
    path_in(model, sizeof model, hostile, "wide_constant.mlmodel");
    res r = RUN_IN(work, 60, "compare", "--no-config", "-q", "--runs", "1", "--disable", "probe/constant-output",
                   "--format", "json", model, model);
    CHECK(r.sig == 0);
    CHECK(r.code == 0);
    CHECK(strstr(r.out, "\"baseline_output\":\t\"o79999\"") != NULL);
    CHECK(strstr(r.out, "probe/timeout") == NULL);
    if (r.sig) fprintf(stderr, "  compare was killed (signal %d): matching outputs by name is quadratic\n", r.sig);
    res_free(&r);
}

/* A report that could not be written is exit 2, however long it is: the
 * rule list (larger than stdio's buffer) to a full disk exited 0, since
 * the write failed while the buffer filled and left the final fflush
 * nothing to fail on. */
static void test_report_write_errors(void) {
    if (access("/dev/full", W_OK) != 0) return;
    static const char *const cmds[] = {"rules", "rules --format json", "rules --format markdown", "manpage",
                                       "completion bash"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        int st = sh("cd '%s' && '%s' %s > /dev/full 2>/dev/null", work, bin, cmds[i]);
        bool two = st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2;
        if (!two) fprintf(stderr, "  `%s > /dev/full`: status %d, wanted exit 2\n", cmds[i], st);
        CHECK(two);
    }
}

/* A --rules-dir rule's tags and help URL stay inside their table cells:
 * a tag holding a newline started a heading of its own in `rules --docs`,
 * and a '|' in the URL split the Markdown report's row. */
static void test_rule_metadata_cells(void) {
    char d[PATH_MAX + 64], f[PATH_MAX + 128], out[PATH_MAX + 64];
    path_in(d, sizeof d, work, "mdrules");
    CHECK(sh("mkdir -p '%s/evil'", d) == 0);
    path_in(f, sizeof f, d, "evil/x.lua");
    write_str(f, "local rule = { id = \"evil/x\", name = \"Evil\", summary = \"S\", help = \"H\",\n"
                 "  help_uri = \"https://e.example/a|b\", level = \"warning\",\n"
                 "  tags = { \"t`\\n# injected heading\", \"t2\" } }\n"
                 "function rule.check(model, ctx) ctx:report{ at = model, message = \"m\" } end\n"
                 "return rule\n");
    path_in(out, sizeof out, work, "mddocs");
    res r = RUN_IN(work, 30, "rules", "--no-config", "--rules-dir", d, "--docs", out, "evil/*");
    EXPECT_CODE(r, 0);
    res_free(&r);
    char page[PATH_MAX + 128];
    path_in(page, sizeof page, out, "rules/evil/x.md");
    FILE *pf = fopen(page, "r");
    CHECK(pf != NULL);
    if (pf) {
        char line[4096];
        bool heading = false, tags = false;
        while (fgets(line, sizeof line, pf)) {
            heading |= !strncmp(line, "# injected", 10);
            tags |= !strncmp(line, "| Tags |", 8) && strstr(line, "injected heading") != NULL;
        }
        fclose(pf);
        CHECK(!heading);
        CHECK(tags);
    }
    char model[PATH_MAX + 64];
    snprintf(model, sizeof model, "%s/examples/tiny_mlprogram.mlpackage", getenv("CML_BUILD_DIR"));
    r = RUN_IN(work, 30, "check", "--no-config", "--rules-dir", d, "--enable", "evil/*", "--format", "markdown", model);
    CHECK(strstr(r.out, "| evil/x |") != NULL);
    CHECK(strstr(r.out, "a|b") == NULL);
    res_free(&r);
}

int main(void) {
    const char *bd = getenv("CML_BUILD_DIR");
    if (!bd) SKIP_ALL("CML_BUILD_DIR is not set");
    snprintf(bin, sizeof bin, "%s/coreml-lint", bd);
    snprintf(hostile, sizeof hostile, "%s/security-fixtures/hostile", bd);
    const char *pd = getenv("CML_PLUGIN_DIR");
    snprintf(plugin_dir, sizeof plugin_dir, "%s", pd ? pd : "");
    if (access(bin, X_OK) != 0) SKIP_ALL("coreml-lint is not built");
    if (access(hostile, R_OK) != 0) SKIP_ALL("the security fixtures are not written (cml-fixture --set security)");
    setup();
    res r = RUNW("rules", "--no-config", "probe/*");
    have_probe = r.code == 0 && strstr(r.out, "probe/") != NULL;
    res_free(&r);
    if (!have_probe) fprintf(stderr, "note: no runtime probe in this build; probe and compare are not swept\n");
    RUN(test_trust_model);
    RUN(test_no_injection);
    RUN(test_markdown_autolinks);
    RUN(test_path_forgery);
    RUN(test_nesting_bombs);
    RUN(test_config_every_byte);
    RUN(test_special_files);
    RUN(test_discovery);
    RUN(test_marked_folders_hide_nothing);
    RUN(test_weight_file_table);
    RUN(test_unreadable_shapes);
    RUN(test_symlinks_out);
    RUN(test_symlink_oracle);
    RUN(test_atomic_report);
    RUN(test_report_to_fifo);
    RUN(test_report_write_errors);
    RUN(test_docs_symlink);
    RUN(test_lua_wall_clock);
    RUN(test_fanout_walks);
    RUN(test_hash_flood);
    RUN(test_deep_paths);
    RUN(test_stage_links_and_part_chains);
    RUN(test_long_real_paths);
    RUN(test_costly_excludes);
    RUN(test_many_op_kinds);
    RUN(test_compare_many_ops);
    RUN(test_linked_models);
    RUN(test_wide_constant_outputs);
    RUN(test_compare_many_outputs);
    RUN(test_rule_metadata_cells);
    RUN(test_probe_outputs_no_follow);
    RUN(test_probe_wrapping_shapes);
    tmp_remove_tree(work);
    return CHECK_DONE();
}

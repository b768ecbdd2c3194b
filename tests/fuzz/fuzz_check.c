/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_check.c — libFuzzer target over the whole check path, where the
 * attacks of issue #10 live: the input becomes an .mlpackage folder, the
 * folder goes through discovery, the loader, every builtin, bundled Lua and
 * bundled plugin rule (in process), the findings pipeline and all four
 * writers. Checked besides memory safety (ASan/UBSan) and termination: every
 * report is valid UTF-8 and carries no control byte (but newline and tab),
 * no "##[", and no line that starts with "::" unless it is one of the github
 * writer's own annotations; SARIF and JSON parse.
 *
 * Input: up to three parts separated by the 8 bytes "\n=CML=\n\0":
 * Manifest.json, Data/com.apple.CoreML/model.mlmodel and
 * Data/com.apple.CoreML/weights/weight.bin (a missing part: no file).
 * tests/fuzz/campaign.sh builds seeds in this shape from the examples. */
#define _DEFAULT_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/discover.h"
#include "cli/sources.h"
#include "host/config.h"
#include "host/run.h"
#include "sarif/writers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SEP[8] = "\n=CML=\n";   /* with its NUL: 8 bytes */

static registry *reg;
static config cfg;
static char dir[256], pkg[320];

static void cleanup(void) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0]) (void)!system(cmd);
}

static void setup(void) {
    if (reg) return;
    static bool once;
    if (!once) {
        once = true;
        atexit(cleanup);
        /* the bundled plugins come from CML_PLUGIN_DIR (ctest sets it);
         * never from "plugins/ next to the executable", which for a test
         * binary would be the test plugins */
        if (!getenv("CML_PLUGIN_DIR")) {
            fprintf(stderr, "fuzz_check: CML_PLUGIN_DIR is not set: no bundled plugins\n");
            setenv("CML_PLUGIN_DIR", "", 1);
        }
    }
    snprintf(dir, sizeof dir, "/tmp/cml-fuzz-check-%d", (int)getpid());
    snprintf(pkg, sizeof pkg, "%s/m.mlpackage", dir);
    mkdir(dir, 0700);
    reg = registry_new();
    if (!reg) abort();
    sources src = {0};
    if (sources_load(reg, &src) < 10) abort();   /* the builtin and bundled rules, at least */
    config_init(&cfg);
    char err[1024];
    if (config_apply(&cfg, reg, NULL, err, sizeof err) != 0) abort();
    /* every rule on, at its default level, as a user's "enable: *" would */
    for (size_t i = 0; i < registry_count(reg); i++) {
        host_rule *r = registry_rule(reg, i);
        if (!strncmp(r->id, "probe/", 6)) continue;   /* the probe has its own target */
        r->enabled = true;
        if (r->level == LEVEL_NONE) r->level = r->default_level;
    }
}

static void put(const char *rel, const uint8_t *d, size_t n, bool present) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", pkg, rel);
    if (!present) {
        unlink(p);
        return;
    }
    FILE *f = fopen(p, "wb");
    if (!f) abort();
    if (n && fwrite(d, 1, n, f) != n) abort();
    fclose(f);
}

static bool utf8_ok(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!k || i + k > n) return false;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80) return false;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) || (c == 0xF0 && s[i + 1] < 0x90) ||
            (c == 0xF4 && s[i + 1] > 0x8F))
            return false;
        i += k;
    }
    return true;
}

/* The properties every report must have; abort() (a finding for
 * libFuzzer) when one does not. */
static void check_report(const char *fmt, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    if (!utf8_ok(u, n)) abort();
    for (size_t i = 0; i < n; i++) {
        if ((u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') || u[i] == 0x7F) abort();
        if (i + 1 < n && u[i] == 0xC2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F) abort();
        if (i + 2 < n && u[i] == '#' && u[i + 1] == '#' && u[i + 2] == '[') abort();
    }
    bool gh = !strcmp(fmt, "github");
    for (size_t ls = 0; ls < n;) {
        const char *nl = memchr(s + ls, '\n', n - ls);
        size_t le = nl ? (size_t)(nl - s) : n, j = ls;
        while (j < le && (s[j] == ' ' || s[j] == '\t')) j++;
        if (j + 1 < le && s[j] == ':' && s[j + 1] == ':') {
            if (!gh || j != ls) abort();
            if (strncmp(s + j, "::error ", 8) && strncmp(s + j, "::warning ", 10) && strncmp(s + j, "::notice ", 9))
                abort();
        }
        ls = le + 1;
    }
    if (!strcmp(fmt, "sarif") || !strcmp(fmt, "json")) {
        cJSON *j = cJSON_ParseWithLength(s, n);
        if (!j) abort();
        cJSON_Delete(j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* the registry keeps notifications: start afresh now and then */
    if (reg && registry_n_notes(reg) > 500) {
        registry_free(reg);
        config_free(&cfg);
        reg = NULL;
    }
    setup();
    /* the parts */
    const uint8_t *part[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    size_t k = 0, start = 0;
    for (size_t i = 0; k < 3 && i <= size; i++) {
        bool sep = i + sizeof SEP <= size && !memcmp(data + i, SEP, sizeof SEP);
        if (sep || i == size) {
            part[k] = data + start;
            len[k] = i - start;
            k++;
            if (!sep) break;
            start = i + sizeof SEP;
            i = start - 1;
        }
    }
    char p[512];
    snprintf(p, sizeof p, "%s/Data/com.apple.CoreML/weights", pkg);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s/Data", pkg);
    mkdir(pkg, 0700);
    mkdir(cmd, 0700);
    snprintf(cmd, sizeof cmd, "%s/Data/com.apple.CoreML", pkg);
    mkdir(cmd, 0700);
    mkdir(p, 0700);
    put("Manifest.json", part[0], len[0], part[0] != NULL);
    put("Data/com.apple.CoreML/model.mlmodel", part[1], len[1], part[1] != NULL);
    put("Data/com.apple.CoreML/weights/weight.bin", part[2], len[2], part[2] != NULL);

    path_list paths = {0};
    discover_path(dir, &paths);
    run_opts ro = {.cfg = &cfg, .target = "iOS16", .fail_on = LEVEL_ERROR};
    run_stats st;
    char err[1024];
    run_result *res = run_check(reg, &ro, (const char *const *)paths.items, paths.n, &st, err, sizeof err);
    if (!res) abort();
    size_t nw = 0;
    const report_writer *const *w = report_writers(&nw);
    for (size_t i = 0; i < nw; i++) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f) abort();
        writer_opts wo = {.color = false};
        if (w[i]->write(f, res, &wo) != 0) abort();
        fclose(f);
        check_report(w[i]->name, buf, n);
        free(buf);
    }
    run_result_free(res);
    path_list_free(&paths);
    return 0;
}

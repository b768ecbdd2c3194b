/* engine_stubs.c — weak stand-ins for the parts other files provide (the
 * Lua engine in host_lua.c, the .so engine in host_plugin.c, the writers in
 * sarif/), so the host builds and links before they exist. A weak
 * definition in a static library wins over a strong one in a later member
 * (the linker extracts the first member that defines a symbol), so each
 * stand-in is compiled only while the real file is absent
 * (__has_include). After the real file lands, rebuild this object
 * (touch it, or build clean) — or delete this file. The stand-ins never
 * fail silently: a rule folder with .lua files or a plugin folder with .so
 * files yields a notification, and the writers print a minimal report. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "host.h"

#if !__has_include("host_lua.c") || !__has_include("host_plugin.c")
/* Does dir (or a sub-folder one level down) hold a file ending in ext? */
static bool stub_has_files(const char *dir, const char *ext, int depth) {
    DIR *d = opendir(dir);
    if (!d) return false;
    bool found = false;
    struct dirent *e;
    size_t el = strlen(ext);
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
        size_t n = strlen(e->d_name);
        if (n > el && !strcmp(e->d_name + n - el, ext)) found = true;
        else if (depth > 0) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
            found = stub_has_files(sub, ext, depth - 1);
        }
    }
    closedir(d);
    return found;
}
#endif

#if !__has_include("host_lua.c")
__attribute__((weak)) int lua_load_rules_dir(registry *reg, const char *dir) {
    if (stub_has_files(dir, ".lua", 1))
        registry_notify(reg, NULL, "rule/load-error", LEVEL_WARNING, dir, 0,
                        "this build has no Lua engine; the rules in %s were not loaded", dir);
    return 0;
}

__attribute__((weak)) int lua_load_rule_file(registry *reg, const char *path, const char *expected_id) {
    (void)expected_id;
    registry_notify(reg, NULL, "rule/load-error", LEVEL_WARNING, path, 0,
                    "this build has no Lua engine; %s was not loaded", path);
    return 0;
}
#endif

#if !__has_include("host_plugin.c")
__attribute__((weak)) int so_load_plugin(registry *reg, const char *path, bool bundled) {
    (void)bundled;
    registry_notify(reg, NULL, "plugin/unusable", LEVEL_WARNING, path, 0,
                    "this build has no plugin engine; %s was not loaded", path);
    return 0;
}

__attribute__((weak)) int so_load_dir(registry *reg, const char *dir, bool bundled) {
    (void)bundled;
    if (stub_has_files(dir, ".so", 0))
        registry_notify(reg, NULL, "plugin/unusable", LEVEL_WARNING, dir, 0,
                        "this build has no plugin engine; the plugins in %s were not loaded", dir);
    return 0;
}
#endif

#if !__has_include("../sarif/writers.h")
static void stub_uri(const finding *f, char *buf, size_t cap) {
    snprintf(buf, cap, "%s%s%s", f->model_path, *f->loc.artifact ? "/" : "", f->loc.artifact);
}

__attribute__((weak)) int write_text(FILE *out, const run_result *r, bool color) {
    (void)color;
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (f->suppressed) continue;
        char uri[4096];
        stub_uri(f, uri, sizeof uri);
        fprintf(out, "%s: %s: %s [%s]\n", uri, level_name(f->level), f->message, f->rule_id);
    }
    return ferror(out) ? -1 : 0;
}

static cJSON *stub_results(const run_result *r, bool with_suppressed) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (f->suppressed && !with_suppressed) continue;
        char uri[4096];
        stub_uri(f, uri, sizeof uri);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "ruleId", f->rule_id);
        cJSON_AddStringToObject(o, "level", level_name(f->level));
        cJSON *msg = cJSON_AddObjectToObject(o, "message");
        cJSON_AddStringToObject(msg, "text", f->message);
        cJSON *loc = cJSON_CreateObject();
        cJSON *pl = cJSON_AddObjectToObject(loc, "physicalLocation");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(pl, "artifactLocation"), "uri", uri);
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(pl, "region"), "startLine", f->loc.line ? f->loc.line : 1);
        cJSON *locs = cJSON_AddArrayToObject(o, "locations");
        cJSON_AddItemToArray(locs, loc);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "partialFingerprints"), "primaryLocationLineHash",
                                f->fingerprint);
        if (with_suppressed) cJSON_AddBoolToObject(o, "suppressed", f->suppressed);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static int stub_print(FILE *out, cJSON *doc) {
    char *s = doc ? cJSON_Print(doc) : NULL;
    if (s) fprintf(out, "%s\n", s);
    cJSON_free(s);
    cJSON_Delete(doc);
    return s && !ferror(out) ? 0 : -1;
}

__attribute__((weak)) int write_sarif(FILE *out, const run_result *r) {
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    cJSON_AddStringToObject(doc, "version", "2.1.0");
    cJSON *run = cJSON_CreateObject();
    cJSON *drv = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
    cJSON_AddStringToObject(drv, "name", "coreml-lint");
    cJSON_AddStringToObject(drv, "semanticVersion", r->tool_version);
    cJSON_AddItemToObject(run, "results", stub_results(r, false));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "runs"), run);
    return stub_print(out, doc);
}

__attribute__((weak)) int write_json(FILE *out, const run_result *r) {
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "findings", stub_results(r, true));
    return stub_print(out, doc);
}

__attribute__((weak)) int write_github(FILE *out, const run_result *r) {
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (f->suppressed) continue;
        char uri[4096];
        stub_uri(f, uri, sizeof uri);
        fprintf(out, "::%s file=%s,title=%s::%s\n", f->level == LEVEL_ERROR ? "error" : f->level == LEVEL_WARNING ? "warning" : "notice",
                uri, f->rule_id, f->message);
    }
    return ferror(out) ? -1 : 0;
}
#endif

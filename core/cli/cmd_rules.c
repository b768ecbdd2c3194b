/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_rules.c — `rules`: list every rule (id, level as configured, kind,
 * summary), document one, list them as JSON, or print the Markdown
 * reference (ruledoc.c: the index docs/rules.md, one rule's page, or with
 * --docs DIR all of docs/rules.md and docs/rules/). */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/ruledoc.h"
#include "cli/session.h"
#include "cli/sources.h"
#include "format/sanitize.h"
#include "host/util.h"



static const char *effective_level(const host_rule *r) {
    return !r->enabled || r->level == LEVEL_NONE ? "off" : level_name(r->level);
}

static void rule_doc(FILE *out, const registry *reg, const host_rule *r) {
    char origin[1024];
    ruledoc_origin(r, origin, sizeof origin);
    fprintf(out, "%s (%s)\n  %s\n\n", r->id, r->name, r->summary);
    fprintf(out, "level:    %s", effective_level(r));
    if (!r->enabled || r->level != r->default_level || registry_level_configured(reg, r))
        fprintf(out, " (default %s)", level_name(r->default_level));
    fprintf(out, "\nkind:     %s\norigin:   %s\n", r->kind, origin);
    if (r->n_tags) {
        fputs("tags:     ", out);
        for (size_t i = 0; i < r->n_tags; i++) fprintf(out, "%s%s", i ? ", " : "", r->tags[i]);
        fputc('\n', out);
    }
    fprintf(out, "precision: %s\n", rule_precision(r));
    char *uri = rule_help_uri(r);
    if (uri) fprintf(out, "help:     %s\n", uri);
    if (r->bundled && r->help_uri && *r->help_uri) fprintf(out, "see also: %s\n", r->help_uri);
    free(uri);
    if (r->n_options) {
        fputs("options:\n", out);
        for (size_t i = 0; i < r->n_options; i++) {
            const rule_option *o = &r->options[i];
            char *d = o->default_value ? cJSON_PrintUnformatted(o->default_value) : NULL;
            const cJSON *cur = cJSON_GetObjectItemCaseSensitive(r->options_config, o->name);
            char *c = cur ? cJSON_PrintUnformatted(cur) : NULL;
            fprintf(out, "  %s (%s, default %s", o->name, host_opt_type_name(o->type), d ? d : "none");
            if (c && (!d || strcmp(c, d))) fprintf(out, ", configured %s", c);
            fprintf(out, ")%s%s\n", o->doc && *o->doc ? ": " : "", o->doc ? o->doc : "");
            cJSON_free(d);
            cJSON_free(c);
        }
    } else {
        fputs("options:  none\n", out);
    }
    fputc('\n', out);
    fputs(r->help_md, out);
    if (r->help_md[strlen(r->help_md) - 1] != '\n') fputc('\n', out);
}

static void rules_list(FILE *out, const registry *reg, const char *pattern) {
    size_t w = 4;
    for (size_t i = 0; i < registry_count(reg); i++) {
        const host_rule *r = registry_rule(reg, i);
        if (pattern && !host_glob_match(pattern, r->id, false)) continue;
        if (strlen(r->id) > w) w = strlen(r->id);
    }
    for (size_t i = 0; i < registry_count(reg); i++) {
        const host_rule *r = registry_rule(reg, i);
        if (pattern && !host_glob_match(pattern, r->id, false)) continue;
        /* one line per rule, whatever the summary holds (completions cut
         * the first word of each line) */
        char summary[512];
        san_buf(summary, sizeof summary, r->summary, SAN_LINE);
        fprintf(out, "%-*s  %-7s  %-7s  %s\n", (int)w, r->id, effective_level(r), r->kind, summary);
    }
}

static cJSON *rule_json(const host_rule *r) {
    cJSON *o = cJSON_CreateObject();
    char origin[1024];
    ruledoc_origin(r, origin, sizeof origin);
    cJSON_AddStringToObject(o, "id", r->id);
    cJSON_AddStringToObject(o, "name", r->name);
    cJSON_AddStringToObject(o, "summary", r->summary);
    cJSON_AddStringToObject(o, "level", effective_level(r));
    cJSON_AddStringToObject(o, "default_level", level_name(r->default_level));
    cJSON_AddStringToObject(o, "kind", r->kind);
    cJSON_AddStringToObject(o, "origin", origin);
    cJSON *tags = cJSON_AddArrayToObject(o, "tags");
    for (size_t i = 0; i < r->n_tags; i++) cJSON_AddItemToArray(tags, cJSON_CreateString(r->tags[i]));
    cJSON *opts = cJSON_AddArrayToObject(o, "options");
    for (size_t i = 0; i < r->n_options; i++) {
        const rule_option *op = &r->options[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", op->name);
        cJSON_AddStringToObject(x, "type", host_opt_type_name(op->type));
        if (op->default_value) cJSON_AddItemToObject(x, "default", cJSON_Duplicate(op->default_value, 1));
        const cJSON *cur = cJSON_GetObjectItemCaseSensitive(r->options_config, op->name);
        if (cur) cJSON_AddItemToObject(x, "value", cJSON_Duplicate(cur, 1));
        cJSON_AddStringToObject(x, "doc", op->doc ? op->doc : "");
        cJSON_AddItemToArray(opts, x);
    }
    cJSON_AddStringToObject(o, "precision", rule_precision(r));
    char *uri = rule_help_uri(r);
    if (uri) cJSON_AddStringToObject(o, "help_uri", uri);
    free(uri);
    cJSON_AddStringToObject(o, "help", r->help_md);
    return o;
}

static void rules_json(FILE *out, const registry *reg, const char *pattern) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < registry_count(reg); i++) {
        const host_rule *r = registry_rule(reg, i);
        if (pattern && !host_glob_match(pattern, r->id, false)) continue;
        cJSON_AddItemToArray(arr, rule_json(r));
    }
    char *s = arr ? cJSON_Print(arr) : NULL;
    if (s) fprintf(out, "%s\n", s);
    cJSON_free(s);
    cJSON_Delete(arr);
}

static bool glob_matches_any(const registry *reg, const char *pattern) {
    for (size_t i = 0; i < registry_count(reg); i++)
        if (host_glob_match(pattern, registry_rule(reg, i)->id, false)) return true;
    return false;
}

int cmd_rules(const cli_command *c, cli_opts *o) {
    (void)c;
    const char *fmt = o->markdown ? "markdown" : o->format ? o->format : "text";
    if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "markdown")) {
        fprintf(stderr, "coreml-lint rules: --format must be text, json or markdown, not '%s'\n", fmt);
        return 2;
    }
    if (o->args.n > 1) {
        fprintf(stderr, "coreml-lint rules: give at most one rule id or glob\n");
        return 2;
    }
    bool markdown = !strcmp(fmt, "markdown") || o->docs_dir;
    session s;
    /* the configuration too: a trusted one names rule folders and plugins
     * whose rules the reference must cover (the Markdown pages print each
     * rule's defaults, whatever levels and options the file sets) */
    int rc = session_open(&s, o, true, NULL);
    const char *want = o->args.n ? o->args.v[0] : NULL;
    if (!rc && want && !host_is_glob(want) && !registry_find(s.reg, want)) {
        cli_errorf("coreml-lint rules: no rule '%s' (coreml-lint rules lists them)", want);
        rc = 2;
    } else if (!rc && want && !glob_matches_any(s.reg, want)) {
        /* `rules --rules-dir DIR GLOB` is the CI check of house rules:
         * a folder named one level off loads nothing, and an empty list
         * must not pass that check */
        cli_errorf("coreml-lint rules: no rule matches '%s' (coreml-lint rules lists them)", want);
        rc = 2;
    }
    report_file rf = {0};
    if (!rc && o->docs_dir && o->output) {
        /* --docs writes files of its own; -o would only be emptied */
        fprintf(stderr, "coreml-lint rules: --docs DIR writes its pages into DIR; -o does not go with it\n");
        rc = 2;
    }
    if (!rc && o->docs_dir) {
        if (ruledoc_write_dir(o->docs_dir, s.reg, want) != 0) rc = 2;
    } else if (!rc && session_output_open(&rf, o->output) != 0) {
        rc = 2;
    } else if (!rc) {
        /* a rule's words (a third-party rule's too) reach the output only
         * through the sanitizer (format/sanitize.h) */
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        bool json = !strcmp(fmt, "json");
        if (mem) {
            if (markdown && want && !host_is_glob(want)) ruledoc_page(mem, registry_find(s.reg, want));
            else if (markdown) ruledoc_index(mem, s.reg, want);
            else if (json) rules_json(mem, s.reg, want);
            else if (want && !host_is_glob(want)) rule_doc(mem, s.reg, registry_find(s.reg, want));
            else rules_list(mem, s.reg, want);
        }
        char *safe = mem && fclose(mem) == 0 ? (json ? san_json(buf) : san_str(buf, SAN_TEXT)) : NULL;
        if (safe) fputs(safe, rf.f);
        else fprintf(stderr, "coreml-lint rules: out of memory\n");
        free(safe);
        free(buf);
        if (!safe) session_output_abort(&rf), rc = 2;
        else if (session_output_commit(&rf)) rc = 2;
    }
    if (!o->quiet && s.reg) session_print_notes(&s);
    /* a rule file or plugin that did not load is not in the list: the list
     * is incomplete, and `rules` is how a CI step validates house rules */
    size_t unloaded = 0, unusable = 0;
    if (!rc && s.reg && notes_failures(registry_notes(s.reg), &unloaded, &unusable) && (unloaded || unusable)) {
        char what[128] = "";
        if (unloaded)
            snprintf(what, sizeof what, "%zu rule file%s%s", unloaded, unloaded == 1 ? "" : "s", unusable ? " and " : "");
        if (unusable)
            snprintf(what + strlen(what), sizeof what - strlen(what), "%zu plugin%s", unusable, unusable == 1 ? "" : "s");
        fprintf(stderr, "coreml-lint rules: %s did not load (see above): exit 2\n", what);
        rc = 2;
    }
    session_close(&s);
    return rc;
}

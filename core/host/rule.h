/* SPDX-License-Identifier: Apache-2.0 */
/* rule.h — a rule as the host knows it, whatever engine it comes from
 * (builtin load/... rules, shared-object plugins, Lua files): its metadata,
 * options, the engine that runs it and its configured state. The host's
 * registry, config and scheduler read only this; they never ask which
 * engine a rule comes from (Redis' engine vtable). */
#ifndef CML_HOST_RULE_H
#define CML_HOST_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "coreml-lint/ir.h"

/* Levels: same numbering as cml_level in plugin.h and cml_diag.level. */
enum { LEVEL_NONE = 0, LEVEL_NOTE = 1, LEVEL_WARNING = 2, LEVEL_ERROR = 3 };
const char *level_name(int level);          /* "note" "warning" "error" "none" */
int level_parse(const char *s);             /* -1 if not a level name */

typedef enum opt_type {
    OPT_BOOL = 1,
    OPT_INT,
    OPT_NUMBER,
    OPT_STRING,
    OPT_STRINGS
} opt_type;

typedef struct rule_option {
    char *name;
    opt_type type;
    cJSON *default_value;   /* owned */
    char *doc;
    bool names_file;        /* CML_OPT_NAMES_FILE: not from an untrusted configuration */
    bool limit;             /* CML_OPT_LIMIT: an untrusted configuration only tightens it */
} rule_option;

typedef struct host_rule host_rule;
typedef struct rule_ctx rule_ctx;

/* One engine per kind of rule (builtin, so, lua). */
typedef struct engine {
    const char *name;                        /* "builtin", "so", "lua" */
    /* Check one model. Return 0, or <0 when the rule failed (the engine
     * has already posted a notification through ctx). */
    int (*check)(host_rule *r, const cml_model *m, rule_ctx *ctx);
    void (*free_rule)(host_rule *r);         /* engine_data */
    /* The engine's rules look at models that could not be read at all (an
     * empty stand-in carrying the load problems): the load/... rules do;
     * other rules only when they declare the tag "unreadable-models". */
    bool sees_unreadable;
} engine;

struct host_rule {
    char *id;                 /* "category/kebab-name" */
    char *name;               /* PascalCase SARIF name */
    char *summary;            /* one sentence (shortDescription) */
    char *description;        /* fullDescription (defaults to summary) */
    char *help_md;            /* Markdown help: why, example, fix, sources */
    char *help_uri;
    char *precision;          /* declared SARIF precision ("very-high" "high" "medium" "low"),
                                 NULL: derived (rule_precision) */
    bool bundled;             /* ships with coreml-lint (builtin, bundled rules and plugins):
                                 it has a page in docs/rules/ */
    int default_level;        /* LEVEL_* */
    char **tags;
    size_t n_tags;
    /* Rules that may restate one of this rule's findings: a finding of one
     * of them on the same model whose logical location is this finding's
     * own or one of its related locations is folded into it
     * (findings_finish): a static rule names the runtime rule that observes
     * the same defect, and the user reads one finding, confirmed. */
    char **confirmed_by;
    size_t n_confirmed_by;
    rule_option *options;
    size_t n_options;
    const char *kind;         /* engine name, for `rules` listings */
    char *origin;             /* file the rule came from ("" builtin) */
    const engine *eng;
    void *engine_data;
    /* configuration (filled by config_apply) */
    bool enabled;
    int level;                /* configured level (default_level unless set) */
    cJSON *options_config;    /* effective options: object, defaults applied (owned) */
};

host_rule *rule_new(void);                  /* zeroed; enabled = true */
void rule_free(host_rule *r);               /* calls eng->free_rule, frees strings */
/* "category/kebab-name": ^[a-z0-9]+(-[a-z0-9]+)*\/[a-z0-9]+(-[a-z0-9]+)*$ */
bool rule_id_valid(const char *id);
/* One half of an id, [s, e): [a-z0-9]+(-[a-z0-9]+)* */
bool rule_id_part_valid(const char *s, const char *e);
bool rule_has_tag(const host_rule *r, const char *tag);
/* SARIF precision of a rule (how often a finding of it is a true
 * positive): the declared one (Lua key `precision`; the builtin load/...
 * rules declare "very-high": the loader's own facts), else "medium" for a rule
 * tagged "estimate" or "heuristic" (how plugins, whose ABI has no such
 * field, declare it), else "high". */
const char *rule_precision(const host_rule *r);
/* True for the four SARIF precision names. */
bool rule_precision_valid(const char *s);
/* The page documenting a rule: for a bundled rule,
 * CML_DOCS_URL "/rules/<category>/<name>.md" (written by `coreml-lint rules
 * --docs`), else the rule's own help_uri (NULL when it has none). malloc'd. */
char *rule_help_uri(const host_rule *r);

/* "bool" "int" "number" "string" "strings" */
const char *host_opt_type_name(opt_type t);
/* Does v have option type t ("int": a whole number; "strings": an array
 * of strings)? */
bool host_option_type_ok(const cJSON *v, opt_type t);

#endif

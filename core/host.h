/* host.h — the rule host's internal contract: rules, engines, findings,
 * notifications and the run that ties them together.
 *
 * Data flow: registry (rules from every engine: builtin load/... rules,
 * shared-object plugins, Lua files) -> config (enable/disable, levels,
 * options, suppressions) -> for each model: every enabled rule's engine
 * `check` runs with a rule_ctx through which it reports -> findings (levels
 * applied, suppressions, baseline, fingerprints, sorted, deduplicated) ->
 * writers (sarif/ text/ json/ github). The scheduler, config and writers
 * never ask which engine a rule comes from (Redis' engine vtable).
 *
 * Three outcomes, never mixed: a problem in the model is a finding; a
 * problem in a rule or plugin is a notification and the run goes on; a
 * usage error or unusable configuration is a tool error (exit 2).
 * Internal to core/ and sarif/. */
#ifndef CML_HOST_H
#define CML_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "coreml-lint/ir.h"

/* Levels: same numbering as cml_level in plugin.h and cml_diag.level. */
enum { LEVEL_NONE = 0, LEVEL_NOTE = 1, LEVEL_WARNING = 2, LEVEL_ERROR = 3 };
const char *level_name(int level);          /* "note" "warning" "error" "none" */
int level_parse(const char *s);             /* -1 if not a level name */

/* ---- rules -------------------------------------------------------------- */

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
} engine;

struct host_rule {
    char *id;                 /* "category/kebab-name" */
    char *name;               /* PascalCase SARIF name */
    char *summary;            /* one sentence (shortDescription) */
    char *description;        /* fullDescription (defaults to summary) */
    char *help_md;            /* Markdown help: why, example, fix, sources */
    char *help_uri;
    int default_level;        /* LEVEL_* */
    char **tags;
    size_t n_tags;
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

/* ---- findings ----------------------------------------------------------- */

typedef struct related_loc {
    char *message;
    cml_loc loc;              /* strings owned by the finding (copied) */
} related_loc;

typedef struct finding {
    const host_rule *rule;    /* NULL for a finding whose rule is unknown */
    char *rule_id;
    int level;
    char *message;
    char *fix;                /* optional one-line remedy */
    char *model_path;         /* the model as the user named it */
    cml_loc loc;              /* artifact relative to model_path; strings owned */
    const char *logical_kind; /* SARIF logicalLocation kind: "function" "member" "module" */
    related_loc *related;
    size_t n_related;
    cJSON *props;             /* extra facts (bits, bytes...), owned, may be NULL */
    char fingerprint[33];     /* hex; rule id + artifact path + logical location */
    bool suppressed;
    char *suppress_reason;
} finding;

typedef struct notification {
    char *rule_id;            /* rule the notification is about, or NULL */
    char *kind;               /* "rule/error", "rule/load-error", "rule/budget-exceeded",
                                 "rule/memory-exceeded", "rule/blocked-call",
                                 "plugin/unusable", "config/...", ... */
    int level;                /* LEVEL_* */
    char *message;
    char *model_path;         /* model being checked, or NULL */
    char *file;               /* rule/plugin/config file, or NULL */
    uint32_t line;
    size_t count;             /* how many times it happened (same kind+rule+model) */
} notification;

/* ---- reporting: what engines call --------------------------------------- */

typedef struct report_args {
    int level;                /* LEVEL_NONE = the rule's configured level */
    const char *message;      /* plain text, required */
    const char *fix;          /* optional */
    const cml_loc *at;        /* location; NULL = the model */
    const char *logical_kind; /* NULL: derived ("member" for ops, "module" for models) */
    const related_loc *related;
    size_t n_related;
    cJSON *props;             /* ownership passes to the host; may be NULL */
} report_args;

/* Report a finding for ctx's rule on ctx's model. Returns 0, or -1 when the
 * report was refused (bad args, flood cap reached: a notification is
 * posted once). */
int ctx_report(rule_ctx *ctx, const report_args *args);
/* Post a notification for ctx's rule (kind as in notification). */
void ctx_notify(rule_ctx *ctx, const char *kind, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Effective options of the rule (object; never NULL). */
const cJSON *ctx_options(const rule_ctx *ctx);
/* Deployment target from config/CLI ("iOS16", NULL if none). */
const char *ctx_target(const rule_ctx *ctx);
const host_rule *ctx_rule(const rule_ctx *ctx);
const cml_model *ctx_model(const rule_ctx *ctx);

#define CTX_MAX_FINDINGS_PER_RULE 10000u  /* per rule and model: flood cap */

/* ---- registry: what engine loaders call --------------------------------- */

typedef struct registry registry;

host_rule *rule_new(void);                  /* zeroed; enabled = true */
void rule_free(host_rule *r);               /* calls eng->free_rule, frees strings */
/* "category/kebab-name": ^[a-z0-9]+(-[a-z0-9]+)*\/[a-z0-9]+(-[a-z0-9]+)*$ */
bool rule_id_valid(const char *id);
/* Add a rule; the registry owns it from here. Refused (returns -1, frees
 * the rule, posts a notification naming file and field) on a bad id,
 * a duplicate id (across everything loaded) or incomplete metadata. */
int registry_add(registry *reg, host_rule *r);
void registry_notify(registry *reg, const char *rule_id, const char *kind, int level, const char *file,
                     uint32_t line, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Engine loaders (host_lua.c, host_plugin.c). Each returns the number of
 * rules added; problems are notifications, never fatal. */
int lua_load_rules_dir(registry *reg, const char *dir);          /* dir/<category>/<name>.lua */
int lua_load_rule_file(registry *reg, const char *path, const char *expected_id);
int so_load_plugin(registry *reg, const char *path, bool bundled);
int so_load_dir(registry *reg, const char *dir, bool bundled);   /* every *.so in dir */

/* ---- a whole run: what writers read -------------------------------------- */

typedef struct run_model {
    char *path;               /* as the user named it (relative to cwd if possible) */
    const char *format;       /* "mlmodel" "mlpackage" "mlmodelc" "unknown" */
    char **artifacts;         /* files of the model that findings point at, relative */
    size_t n_artifacts;
} run_model;

typedef struct run_result {
    const char *tool_version;
    host_rule **rules;        /* every enabled rule, sorted by id (SARIF ruleIndex) */
    size_t n_rules;
    finding **findings;       /* sorted (path, artifact, line, logical, rule, message) */
    size_t n_findings;        /* including suppressed ones (writers skip those) */
    notification **notes;     /* sorted */
    size_t n_notes;
    run_model **models;
    size_t n_models;
    const char *working_dir;  /* absolute cwd, for SARIF invocation */
    bool execution_successful;/* false when a tool error happened */
    bool timestamps;          /* write start/end times (off by default: determinism) */
    int fail_on;              /* LEVEL_* threshold for the exit code */
    cJSON *run_properties;    /* extra run-level facts (probe figures), may be NULL */
} run_result;

#endif

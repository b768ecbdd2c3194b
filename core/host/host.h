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
    char *precision;          /* declared SARIF precision ("very-high" "high" "medium" "low"),
                                 NULL: derived (rule_precision) */
    bool bundled;             /* ships with coreml-lint (builtin, bundled rules and plugins):
                                 it has a page in docs/rules/ */
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
/* Run properties (cml_host.add_property): run_properties[key][model path]
 * = the parsed json. 0, or -1 (key not [a-z0-9_]+, json invalid, no memory). */
int ctx_add_property(rule_ctx *ctx, const char *key, const char *json);
/* Another model for the rule (cml_host.load_model), owned by the host until
 * the current model's checks end; NULL only when out of memory. */
const cml_model *ctx_load_model(rule_ctx *ctx, const char *path);
/* The models loaded through ctx_load_model for the current model (i < n);
 * NULL past the end. */
const cml_model *ctx_loaded_model(const rule_ctx *ctx, size_t i);

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


/* ======================================================================
 * Additions by the rule host core (host_util.c, registry.c, config.c,
 * run.c, check.c). Everything above is the original contract.
 * ====================================================================== */

#include <stdarg.h>
#include <stdio.h>

/* ---- writers (sarif/) ---------------------------------------------------
 * Each writes the whole report for r to out and returns 0, or -1 on a write
 * error. Suppressed findings (f->suppressed) are left out of every format
 * but json. */
int write_sarif(FILE *out, const run_result *r);
int write_text(FILE *out, const run_result *r, bool color);
int write_json(FILE *out, const run_result *r);
int write_github(FILE *out, const run_result *r);

/* ---- small helpers (host_util.c) ---------------------------------------- */

char *host_strdup(const char *s);           /* NULL for NULL; aborts never */
/* Glob match. '*' any run of characters ('/' excluded in path_mode), '**'
 * any run including '/' ("**" + "/" also matches no folder at all), '?' one
 * character ('/' excluded in path_mode), '\' escapes the next character.
 * No [...] classes: logical locations contain brackets ("layer[3]"). */
bool host_glob_match(const char *pattern, const char *s, bool path_mode);
bool host_is_glob(const char *s);           /* contains * or ? */
/* A path as the user gave it, normalised: no "./" components, no "//", no
 * trailing '/'; an absolute path under cwd (absolute, may be NULL) becomes
 * relative. malloc'd; NULL only when out of memory. */
char *host_path_normalize(const char *path, const char *cwd);
/* The rule id or glob syntax accepted in configs and on the command line:
 * a valid id, or [a-z0-9*?/-]+ with at least one * or ?. */
bool host_rule_pattern_valid(const char *pattern);
/* SARIF precision of a rule (how often a finding of it is a true
 * positive): the declared one (Lua key `precision`), else "very-high" for
 * the builtin load/... rules (the loader's own facts), "medium" for a rule
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

/* ---- registry (registry.c) ---------------------------------------------- */

registry *registry_new(void);
void registry_free(registry *reg);          /* frees every rule and notification */
size_t registry_count(const registry *reg);
host_rule *registry_rule(const registry *reg, size_t i);     /* sorted by id */
host_rule *registry_find(const registry *reg, const char *id);
/* True when a rule with this id was offered and refused (so a config that
 * names it is not a typo: the refusal notification already says why). */
bool registry_was_refused(const registry *reg, const char *id);
/* The configured level overrides every finding's own level (set by
 * config_apply when the config or CLI gives the rule a level). */
void registry_set_level_configured(registry *reg, const host_rule *r, bool on);
bool registry_level_configured(const registry *reg, const host_rule *r);
/* Notifications in posting order (deduplicated: same kind, rule, model and
 * file -> count++). Owned by the registry. */
size_t registry_n_notes(const registry *reg);
const notification *registry_note(const registry *reg, size_t i);
void registry_vnotify(registry *reg, const char *rule_id, const char *kind, int level,
                      const char *model_path, const char *file, uint32_t line, const char *fmt,
                      va_list ap) __attribute__((format(printf, 8, 0)));

/* Where the bundled Lua rules and plugins live (malloc'd, NULL if none):
 * rules: $CML_RULES_DIR, else CML_SOURCE_DIR/rules, else CML_DATADIR/rules;
 * plugins: $CML_PLUGIN_DIR, else <folder of the executable>/plugins, else
 * CML_LIBDIR. A set but empty variable means "none". */
char *registry_bundled_rules_dir(void);
char *registry_bundled_plugin_dir(void);

typedef struct registry_sources {
    bool no_bundled;                  /* skip bundled Lua rules and plugins */
    const char *const *rules_dirs;    /* extra Lua rule folders (third-party) */
    size_t n_rules_dirs;
    const char *const *plugins;       /* extra .so files or folders of them */
    size_t n_plugins;
} registry_sources;
/* Register the builtin load/... rules, then bundled and extra rules and
 * plugins. Problems are notifications. Returns the number of rules. */
size_t registry_load_all(registry *reg, const registry_sources *src);

/* The builtin engine: load/... rules (rules_load.c). Returns rules added. */
int rules_load_register(registry *reg);

/* ---- configuration (config.c) ------------------------------------------- */

typedef struct config_supp {
    char *rule;               /* id or glob (required) */
    char *path;               /* model path glob, or NULL = any */
    char *op;                 /* logical location glob, or NULL = any */
    char *reason;             /* required, non-empty */
} config_supp;

typedef struct config_rule {
    char *pattern;            /* id or glob */
    int level;                /* LEVEL_*, -1 = not set */
    cJSON *options;           /* object or NULL; owned */
    uint32_t line;            /* in the config file, 0 unknown */
} config_rule;

typedef struct config_lines config_lines;

typedef struct config {
    char *file;               /* NULL when no file was read */
    char *dir;                /* absolute folder of the file (relative paths resolve here) */
    char **enable, **disable;
    size_t n_enable, n_disable;
    config_rule *rules;
    size_t n_rules;
    char *target;             /* "iOS16"..., NULL */
    char **rules_dirs, **plugins, **exclude;   /* rules_dirs/plugins resolved against dir */
    size_t n_rules_dirs, n_plugins, n_exclude;
    config_supp *supps;
    size_t n_supps;
    int fail_on;              /* LEVEL_*, -1 = not set */
    config_lines *lines;      /* key -> line, for messages */
} config;

/* Top-level keys the parser accepts (the schema must list each). */
const char *const *config_keys(size_t *n);
/* "iOS16", "iOS17.4", "macOS13", "tvOS17", "watchOS10", "visionOS2". */
bool config_target_valid(const char *target);
/* .coreml-lint.json in start_dir or the nearest parent (malloc'd), or NULL. */
char *config_find(const char *start_dir);
/* Parse a config file / text. Returns 0, or -1 with err = "FILE:LINE: ...". */
int config_load(config *c, const char *path, char *err, size_t errlen);
int config_parse(config *c, const char *text, size_t len, const char *name, const char *dir, char *err,
                 size_t errlen);
void config_free(config *c);
/* Apply enable/disable, levels and options (file, then the command line's
 * --enable/--disable) to every registered rule, validating option names
 * and types against each rule's declared options. c may be NULL.
 * Returns 0, or -1 with err (a tool error). */
int config_apply(const config *c, registry *reg, const char *const *cli_enable, size_t n_cli_enable,
                 const char *const *cli_disable, size_t n_cli_disable, char *err, size_t errlen);
/* True when the model path matches an `exclude` glob. */
bool config_excluded(const config *c, const char *model_path, const char *cwd);
/* The first suppression that covers the finding, or NULL. */
const config_supp *config_suppression_for(const config *c, const finding *f, const char *cwd);
/* Path glob as configs use it: '*' within a folder, '**' across; a pattern
 * without '/' may match any single component; a match of a leading part
 * of the path covers everything below it. */
bool config_path_match(const char *pattern, const char *path);

/* ---- running (run.c) ------------------------------------------------------ */

typedef struct run_opts {
    const config *cfg;        /* suppressions and excludes; may be NULL */
    const char *target;       /* deployment target (CLI over config), may be NULL */
    int fail_on;              /* LEVEL_*; 0 = error */
    const char *baseline;     /* SARIF file of known findings, or NULL */
    bool timestamps;
    /* Facts about each loaded model for the report writers that show them
     * (html, markdown): when set, called once per model after its rules ran;
     * the object it returns (owned by the run from then on; NULL = none) is
     * stored as run_properties["model"][model path]. */
    cJSON *(*model_facts)(const cml_model *m);
} run_opts;

typedef struct run_stats {
    size_t models, excluded, suppressed, baselined, duplicates;
} run_stats;

/* Check every model path with every enabled rule (sorted by id) and
 * post-process the findings. Returns the result, or NULL with err for a
 * tool error (baseline unreadable, out of memory). The result points into
 * reg (rules, notifications): free it before the registry. */
run_result *run_check(registry *reg, const run_opts *o, const char *const *paths, size_t n_paths,
                      run_stats *stats, char *err, size_t errlen);
void run_result_free(run_result *r);
/* 1 when an unsuppressed finding is at or above r->fail_on, else 0. */
int run_exit_code(const run_result *r);
/* f->fingerprint from rule id, artifact path, logical location (and the
 * message when there is no logical location). */
void run_fingerprint(finding *f);
/* The partialFingerprints.primaryLocationLineHash values of a SARIF file
 * (":N" suffixes dropped). Returns 0, or -1 with err. */
int run_baseline_read(const char *path, char ***fps, size_t *n, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* config.h — `.coreml-lint.json`: found upward from the working directory,
 * parsed strictly (an unknown key anywhere is a tool error naming the key,
 * the file and the line) and applied to the registry; plus the two path
 * questions the run asks (excluded? suppressed?). Config problems are tool
 * errors (exit 2), never notifications. */
#ifndef CML_HOST_CONFIG_H
#define CML_HOST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "host/findings.h"
#include "host/limits.h"
#include "host/registry.h"

typedef struct config_supp {
    char *rule;               /* id or glob (required) */
    char *path;               /* model path glob, or NULL = any */
    char *op;                 /* logical location glob, or NULL = any */
    char *reason;             /* required, non-empty */
    uint32_t line;            /* in the config file, 0 unknown */
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
    char *extends;            /* "recommended", "strict" or NULL (= recommended) */
    char *dir;                /* absolute folder of the file (relative paths resolve here) */
    char **enable, **disable;
    size_t n_enable, n_disable;
    config_rule *rules;
    size_t n_rules;
    char **set_enable;        /* the rule set's own entries ("extends"), below the file's */
    config_rule *set_rules;
    size_t n_set_enable, n_set_rules;
    char *target;             /* "iOS16"..., NULL */
    char **rules_dirs, **plugins, **exclude;   /* rules_dirs/plugins resolved against dir */
    size_t n_rules_dirs, n_plugins, n_exclude;
    config_supp *supps;
    size_t n_supps;
    int fail_on;              /* LEVEL_*, -1 = not set */
    bool fail_on_from_set;    /* fail_on came from the rule set, not the file */
    host_limits limits;       /* "limits": defaults where not set */
    config_lines *lines;      /* key -> line, for messages */
    bool from_flag;           /* config_set is parsing a flag's value: messages name no file or line */
} config;

/* An empty configuration: nothing set, default limits. */
void config_init(config *c);
/* The rule sets "extends" accepts: "recommended" (the defaults) and
 * "strict" (opt-in static rules on, policy notes raised to warnings,
 * fail_on warning unless the file sets it). */
const char *const *config_rule_sets(size_t *n);
/* Use the rule set NAME instead of the file's "extends" (the --rule-set
 * flag): what the file itself says still decides first. 0, or -1 with err
 * when NAME is not a rule set. */
int config_use_rule_set(config *c, const char *name, char *err, size_t errlen);
/* The i-th top-level key the parser accepts (the schema must list each),
 * with what it sets in *about (NULL for "$schema"); NULL past the last. */
const char *config_key(size_t i, const char **about);
/* Set one top-level key from the command line, over what the file said:
 * the value is checked as the file's would be, and a message names `flag`
 * ("--fail-on") instead of a file and line. Only the keys of one value that
 * a flag may replace (target, fail_on: KEYS' `scalar`); the lists and
 * objects, and "extends" (--rule-set: config_use_rule_set), are refused.
 * 0, or -1 with err. */
int config_set(config *c, const char *key, const cJSON *value, const char *flag, char *err, size_t errlen);
/* "iOS16", "iOS17.4", "macOS13", "tvOS17", "watchOS10", "visionOS2". */
bool config_target_valid(const char *target);
/* .coreml-lint.json in start_dir or the nearest parent (malloc'd), or NULL. */
char *config_find(const char *start_dir);
/* Parse a config file / text. Returns 0, or -1 with err = "FILE:LINE: ...". */
int config_load(config *c, const char *path, char *err, size_t errlen);
int config_parse(config *c, const char *text, size_t len, const char *name, const char *dir, char *err,
                 size_t errlen);
void config_free(config *c);
/* What the command line adds on top of the file, applied after it: its
 * --enable/--disable patterns and the rule options its flags set (the
 * probe's --threads, --runs...: `options` for every rule matching
 * `options_rules` that declares them). */
typedef struct config_overlay {
    const char *const *enable;
    size_t n_enable;
    const char *const *disable;
    size_t n_disable;
    const char *options_rules;  /* id or glob, or NULL */
    const cJSON *options;       /* object: option name -> value, or NULL */
    bool some_rules_only;       /* only some rules are loaded (test-rule): the file may name others, and
                                   options of a rule it names are checked only when that rule is loaded */
} config_overlay;

/* Apply enable/disable, levels and options (the file, then the overlay)
 * to every registered rule, validating option names and types against
 * each rule's declared options. c and ov may be NULL. Returns 0, or -1
 * with err (a tool error). */
int config_apply(const config *c, registry *reg, const config_overlay *ov, char *err, size_t errlen);
/* Whether the file and the overlay enable (1) or disable (0) a rule id,
 * the most specific pattern winning and the command line over the file;
 * -1 when neither says (the rule's own default holds). By id alone, so it
 * also answers for a rule file that did not load. */
int config_decision(const config *c, const config_overlay *ov, const char *id);
/* Remove from the file's rule entries every option that a loaded rule the
 * entry matches declares as naming files (CML_OPT_NAMES_FILE): for a file
 * the user does not trust, which may be the pull request's. Returns how
 * many were removed; names gets their names, as far as cap allows. */
size_t config_drop_file_options(config *c, const registry *reg, char *names, size_t cap);
/* The same for rule options that are limits (CML_OPT_LIMIT) set looser than
 * their default (larger, or 0 and below: none): an untrusted configuration
 * may only tighten them. */
size_t config_drop_loose_limits(config *c, const registry *reg, char *names, size_t cap);
/* 1 when a configured exclude pattern matches the model's path (as given or
 * relative to the configuration's folder), 0 when none does, -1 when
 * matching them would cost more than *budget (glob steps, charged): a
 * committed configuration of 20,000 patterns once took 108 s over 200
 * models. */
int config_excluded(const config *c, const char *model_path, const char *cwd, uint64_t *budget);
/* The first suppression that covers the finding, or NULL. The matching is
 * charged to *budget (glob steps, host_glob_match_n); when it runs out,
 * *budget is 0 and the answer NULL (the caller tells that apart). */
const config_supp *config_suppression_for(const config *c, const finding *f, const char *cwd, uint64_t *budget);
/* Could suppression s cover a finding of this model at all: it has no path,
 * or its path names the model or one of its files (files: the files inside
 * a model folder, relative to it, n_files of them; a .mlmodel has none)?
 * (A suppression whose models were not checked cannot be called unused; a
 * "**" is no exception: "**" then "/Other*" does not name Models/A.mlmodel.)
 * Charged to *budget as config_suppression_for is: when it runs out,
 * *budget is 0 and the answer false. */
bool config_suppression_reaches(const config *c, const config_supp *s, const char *model_path,
                                char *const *files, size_t n_files, const char *cwd, uint64_t *budget);
/* Path glob as configs use it: '*' within a folder, '**' across; a pattern
 * without '/' may match any single component; a match of a leading part
 * of the path covers everything below it. */
bool config_path_match(const char *pattern, const char *path);

#endif

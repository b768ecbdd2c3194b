/* SPDX-License-Identifier: Apache-2.0 */
/* run.h — the scheduler: for each model path (normalised, excluded ones
 * skipped) load it, run every enabled rule in id order through its engine
 * with a rule_ctx, free the model; then the findings pipeline (findings.h).
 * The result is what the writers in sarif/ read. */
#ifndef CML_HOST_RUN_H
#define CML_HOST_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "host/config.h"
#include "host/findings.h"
#include "host/limits.h"
#include "host/notes.h"
#include "host/registry.h"

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
    size_t n_baselined;       /* findings dropped because --baseline holds them */
    notification **notes;     /* sorted */
    size_t n_notes;
    run_model **models;
    size_t n_models;
    const char *working_dir;  /* absolute cwd, for SARIF invocation */
    const char *source_root;  /* absolute: the repository root above the cwd (host_repo_root), else the
                                 cwd; what SARIF and GitHub paths and fingerprints are relative to, so
                                 that a run from a subfolder still places its results in the repository */
    bool execution_successful;/* false when a tool error happened */
    bool timestamps;          /* write start/end times (off by default: determinism) */
    int fail_on;              /* LEVEL_* threshold for the exit code */
    cJSON *run_properties;    /* extra run-level facts (probe figures), may be NULL */
} run_result;

typedef struct run_opts {
    const config *cfg;        /* suppressions and excludes; may be NULL */
    const char *target;       /* deployment target (CLI over config), may be NULL */
    int fail_on;              /* LEVEL_*; 0 = error */
    const char *baseline;     /* SARIF file of known findings, or NULL */
    bool timestamps;
    const host_limits *limits;/* NULL: host_limits_default() */
    /* Facts about each loaded model for the report writers that show them
     * (html, markdown): when set, called once per model after its rules ran;
     * the object it returns (owned by the run from then on; NULL = none) is
     * stored as run_properties["model"][model path]. */
    cJSON *(*model_facts)(const cml_model *m);
    struct run_profile *profile; /* NULL, or filled with where the time went */
    /* the result's notifications start at the registry's notes_from-th
     * (test-rule runs a check per case on one registry: copying and
     * sorting every earlier case's took 25 s over 16,000 cases); 0: all */
    size_t notes_from;
} run_opts;

/* `check --profile`: wall-clock time of each phase of run_check and of each
 * rule's checks over all models, for the command to print on stderr (never
 * in the report, which stays the same bytes). */
typedef struct run_rule_time {
    const host_rule *rule;
    double check_s;           /* its engine's check calls, all models */
    uint64_t vm_instructions; /* VM instructions, as the budget counts them ... */
    bool counted;             /* ... when the engine counts them (Lua) */
    size_t findings;          /* reported (before suppressions, baseline and dedup) */
} run_rule_time;

typedef struct run_profile {
    double load_s;            /* loading the models */
    double rules_s;           /* every rule's checks, shared_s apart */
    double shared_s;          /* host work the rules share (the per-weight counts) */
    double finish_s;          /* the findings pipeline, artifacts, notifications */
    size_t n_models;          /* models loaded */
    run_rule_time *rules;     /* the enabled rules that ran, in id order */
    size_t n_rules;
} run_profile;

void run_profile_free(run_profile *pr);

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

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* ctx.h — what an engine reports to while one of its rules checks one
 * model: findings (ctx_report), notifications (ctx_notify), the rule's
 * options, the deployment target, run properties and further models. */
#ifndef CML_HOST_CTX_H
#define CML_HOST_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "coreml-lint/ir.h"
#include "host/findings.h"
#include "host/registry.h"

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

/* Report a finding for ctx's rule on ctx's model. Returns 0, -1 when the
 * report was refused (bad args), or CTX_CAPPED when the flood cap of its
 * level was reached (a notification is posted once per level). */
#define CTX_CAPPED (-2)
int ctx_report(rule_ctx *ctx, const report_args *args);
/* Would a report at `level` (0: the rule's) be past the flood cap? Then
 * CTX_CAPPED (the cap's notification posted once), else 0: an engine asks
 * before it builds and charges a report the host would drop. */
int ctx_cap_check(rule_ctx *ctx, int level);
/* Has any report of this check been dropped at the cap? */
bool ctx_capped(const rule_ctx *ctx);
/* Post a notification for ctx's rule (kind as in notification). */
void ctx_notify(rule_ctx *ctx, const char *kind, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same, at line `line` (1-based; 0 none) of the rule's file. */
void ctx_notify_line(rule_ctx *ctx, const char *kind, int level, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
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
/* The run's limits (Lua budgets, plugin time-out and isolation). */
const struct host_limits *ctx_limits(const rule_ctx *ctx);
/* The work the engine counted for this check, for `check --profile`: a Lua
 * rule's VM instructions as its budget counts them (limits.lua_instructions). */
void ctx_account(rule_ctx *ctx, uint64_t vm_instructions);
/* The per-weight counts (cml_host.weight_stats) of every weight of the
 * checked model, made at once the first time a rule asks for one of its
 * weights (w; a weight of a model the rule loaded itself does not count), on the
 * CPUs the process may use (up to 4): the pass is pread's copy and a
 * vectorized count, bound by memory rather than by one core. Later calls
 * do nothing. */
void ctx_count_weights(rule_ctx *ctx, const cml_weight *w);
/* Seconds of this check spent in host work that every rule shares (the
 * per-weight counts, computed once for the first rule that asks): --profile
 * shows it apart instead of charging it to that rule. */
void ctx_account_shared(rule_ctx *ctx, double seconds);

#define CTX_MAX_FINDINGS_PER_RULE 10000u  /* per rule, model and level: flood cap (per level,
                                               so that a flood of notes or warnings cannot push a
                                               later error out, and with it the exit status) */

#endif

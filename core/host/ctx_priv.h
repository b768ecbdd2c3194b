/* SPDX-License-Identifier: Apache-2.0 */
/* ctx_priv.h — the rule_ctx behind ctx.h, shared by ctx.c (what engines
 * call) and run.c (the scheduler that fills it). Internal to core/host/. */
#ifndef CML_HOST_CTX_PRIV_H
#define CML_HOST_CTX_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "host/ctx.h"
#include "host/limits.h"

struct lmodel;

/* What lives as long as one model's checks: models rules loaded
 * (ctx_load_model), freed after the last rule. */
typedef struct model_scope {
    struct lmodel **loaded;
    size_t n_loaded, cap_loaded;
    cJSON **props;             /* the run's properties object (created on demand) */
    bool weights_counted;      /* ir_weight_stats_all ran for the model */
} model_scope;

struct rule_ctx {
    registry *reg;
    model_scope *scope;        /* NULL outside the scheduler */
    host_rule *rule;
    const cml_model *model;
    const char *model_path;
    const char *target;
    const host_limits *limits; /* NULL: the defaults */
    bool level_set;
    size_t n_reported;
    size_t n_at_level[LEVEL_ERROR + 1];   /* kept findings by level (the flood cap's count) */
    bool capped_at[LEVEL_ERROR + 1];      /* the cap's notification posted for that level */
    bool notified;
    fvec *out;
    uint64_t vm_instructions;  /* ctx_account: the engine's count of this check */
    bool counted;              /* ctx_account was called */
    double shared_s;           /* ctx_account_shared */
};

#endif

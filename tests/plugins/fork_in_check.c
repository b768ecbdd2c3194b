/* SPDX-License-Identifier: Apache-2.0 */
/* fork_in_check.c — test plugin: its check starts a helper process that never
 * exits (and so holds the check's end of the host's pipe), reports the
 * helper's pid and returns. Loaded as a third-party plugin, the host must take
 * the report without waiting for the time-out, and the helper must not
 * outlive the check. */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>

#include "tp.h"

static int tp_fork(const cml_model *m, cml_ctx *ctx) {
    (void)m;
    pid_t pid = fork();
    if (pid < 0) return CML_EFAIL;
    if (pid == 0)
        for (;;) pause();
    cml_reportf(ctx, NULL, "helper pid %ld", (long)pid);
    return CML_OK;
}

TP_RULE(tp_rule, "test/fork-in-check", tp_fork);
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};
TP_PLUGIN(tp_plugin, "fork-in-check", tp_rules);

CML_PLUGIN_DEFINE(tp_plugin)

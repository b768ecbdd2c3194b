/* SPDX-License-Identifier: Apache-2.0 */
/* crash_in_check.c — test plugin: its check dies of SIGSEGV. Loaded as a
 * third-party plugin, the check runs in a child: the host must post
 * plugin/crash for test/crash-in-check and go on with the other rules. */
#include <signal.h>

#include "tp.h"

static int tp_crash(const cml_model *m, cml_ctx *ctx) {
    (void)m;
    (void)ctx;
    raise(SIGSEGV); /* a real signal, whatever sanitizers do with NULL stores */
    return CML_OK;
}

TP_RULE(tp_rule, "test/crash-in-check", tp_crash);
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};
TP_PLUGIN(tp_plugin, "crash-in-check", tp_rules);

CML_PLUGIN_DEFINE(tp_plugin)

/* SPDX-License-Identifier: Apache-2.0 */
/* hang_in_check.c — test plugin: its check never returns. Loaded as a
 * third-party plugin, the host must kill the child at the wall-clock limit
 * and post plugin/timeout for test/hang-in-check. */
#include "tp.h"

static int tp_hang(const cml_model *m, cml_ctx *ctx) {
    (void)m;
    (void)ctx;
    volatile unsigned long spin = 0;
    for (;;) spin++;
    return CML_OK;
}

TP_RULE(tp_rule, "test/hang-in-check", tp_hang);
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};
TP_PLUGIN(tp_plugin, "hang-in-check", tp_rules);

CML_PLUGIN_DEFINE(tp_plugin)

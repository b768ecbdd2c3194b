/* SPDX-License-Identifier: Apache-2.0 */
/* prints_in_check.c — test plugin: its check writes to stdout, against
 * PLG-7, a line shaped as a GitHub workflow command. Loaded as a
 * third-party plugin, the check runs in a child whose stdout goes nowhere:
 * the report on stdout must stay one whole document, without that line. */
#include <stdio.h>

#include "tp.h"

static int tp_print(const cml_model *m, cml_ctx *ctx) {
    (void)m;
    (void)ctx;
    printf("::error file=x::printed by a plugin\n");
    fflush(stdout);
    return CML_OK;
}

TP_RULE(tp_rule, "test/prints-in-check", tp_print);
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};
TP_PLUGIN(tp_plugin, "prints-in-check", tp_rules);

CML_PLUGIN_DEFINE(tp_plugin)

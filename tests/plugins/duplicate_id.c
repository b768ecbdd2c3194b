/* SPDX-License-Identifier: Apache-2.0 */
/* duplicate_id.c — test plugin: declares ane/fp32-program, the id of a
 * bundled rule. Whichever loads second is refused, naming the first. */
#include "tp.h"

TP_RULE(tp_rule, "ane/fp32-program", tp_check_report);
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};
TP_PLUGIN(tp_plugin, "duplicate-id", tp_rules);

CML_PLUGIN_DEFINE(tp_plugin)

/* SPDX-License-Identifier: Apache-2.0 */
/* bad_id.c — test plugin: a rule id that is not category/kebab-name. The
 * whole plugin is refused (its valid rule too: all or nothing). */
#include "tp.h"

TP_RULE(tp_ok, "test/bad-id-sibling", tp_check_report);
TP_RULE(tp_bad, "Test/Bad_Id", tp_check_report);
static const cml_rule *const tp_rules[] = {&tp_ok, &tp_bad, NULL};
TP_PLUGIN(tp_plugin, "bad-id", tp_rules);

CML_PLUGIN_DEFINE(tp_plugin)

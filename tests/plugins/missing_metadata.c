/* SPDX-License-Identifier: Apache-2.0 */
/* missing_metadata.c — test plugin: a rule without help_md. The host must
 * refuse the plugin naming the rule and the field. */
#include "tp.h"

static const cml_rule tp_rule = {
    .size = sizeof(cml_rule),
    .id = "test/missing-metadata",
    .name = "MissingMetadata",
    .summary = "A test rule.",
    .default_level = CML_WARNING,
    .check = tp_check_report,
};
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};
TP_PLUGIN(tp_plugin, "missing-metadata", tp_rules);

CML_PLUGIN_DEFINE(tp_plugin)

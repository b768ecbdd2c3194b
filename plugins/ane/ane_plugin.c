/* SPDX-License-Identifier: Apache-2.0 */
/* ane_plugin.c — the descriptor of the bundled "ane" plugin: the rules
 * ane/unsupported-op (ops estimated off the Neural Engine and the graph's
 * Neural Engine / CPU-GPU segments), ane/mixed-precision (fp32 islands in
 * fp16 ML Programs) and perf/ane-layout (layout advice, opt-in); the former
 * io/fp16-conversion is the Lua rule rules/io/fp16-conversion.lua. Each rule
 * lives in its own file; shared helpers are in ane_util.c. Built
 * like a third-party plugin: SDK headers only, the host reached through
 * cml_host. */
#include "ane.h"

static const cml_rule *const ane_rules[] = {
    &ane_rule_unsupported_op,
    &ane_rule_mixed_precision,
    &ane_rule_layout,
    NULL,
};

static const cml_plugin ane_plugin = {
    .size = sizeof(cml_plugin),
    .abi = CML_ABI_VERSION,
    .name = "ane",
    .version = CML_VERSION_STRING,
    .spdx_license = "Apache-2.0",
    .rules = ane_rules,
};

CML_PLUGIN_DEFINE(ane_plugin)

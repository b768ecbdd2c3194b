/* SPDX-License-Identifier: Apache-2.0 */
/* abi_too_old.c — test plugin: speaks ABI 0, older than CML_ABI_MIN. The host
 * must refuse it naming both versions. */
#include "tp.h"

TP_RULE(tp_rule, "test/abi-too-old", tp_check_report);
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};
TP_PLUGIN(tp_plugin, "abi-too-old", tp_rules);

CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi, const cml_host *host);
CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi, const cml_host *host) {
    (void)host;
    *abi = 0;
    return &tp_plugin;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* abi_newer.c — test plugin: claims an ABI newer than any host (7). The host
 * must refuse it: "abi-newer.so: ABI 7 is newer than this host (newest 1)". */
#include "tp.h"

TP_RULE(tp_rule, "test/abi-newer", tp_check_report);
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};
TP_PLUGIN(tp_plugin, "abi-newer", tp_rules);

/* A hand-written entry that ignores the host's offer. */
CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi, const cml_host *host);
CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi, const cml_host *host) {
    (void)host;
    *abi = 7;
    return &tp_plugin;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* returns_null.c — test plugin: its entry declines (returns NULL), as a
 * plugin does when the host's ABI is too old for it. */
#include "tp.h"

CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi, const cml_host *host);
CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi, const cml_host *host) {
    (void)abi;
    (void)host;
    return NULL;
}

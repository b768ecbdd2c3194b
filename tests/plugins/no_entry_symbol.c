/* SPDX-License-Identifier: Apache-2.0 */
/* no_entry_symbol.c — test plugin: a shared object that exports something,
 * but not cml_plugin_entry (a plain library given as --plugin by mistake). */
#include "tp.h"

CML_PLUGIN_EXPORT int not_a_plugin_entry(void);
CML_PLUGIN_EXPORT int not_a_plugin_entry(void) { return 42; }

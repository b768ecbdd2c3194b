/* SPDX-License-Identifier: Apache-2.0 */
/* load_rules.h — the "builtin" engine: the load/... rules, which turn the
 * loader's problems (cml_model.diags) into findings. */
#ifndef CML_HOST_BUILTIN_LOAD_RULES_H
#define CML_HOST_BUILTIN_LOAD_RULES_H

#include "host/registry.h"

/* Registers every load/... rule; returns the number added. */
int rules_load_register(registry *reg);

#endif

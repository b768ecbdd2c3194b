/* SPDX-License-Identifier: Apache-2.0 */
/* engines.h — the register function of every engine of compiled-in rules
 * (engines.def): int FILE_register(registry *reg). Included by each such
 * engine and by cli/sources.c, which calls them; nothing else in host/. */
#ifndef CML_HOST_ENGINES_H
#define CML_HOST_ENGINES_H

#include "host/registry.h"

#define CML_ENGINE(folder, file) int file##_register(registry *reg);
#include "host/engines.def"
#undef CML_ENGINE

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* engine.h — the "so" engine: shared-object plugins speaking the ABI of
 * include/coreml-lint/plugin.h (negotiated, size-checked), their rules run
 * in process (bundled plugins) or in a forked child with a wall-clock limit
 * (third-party plugins; limits.h). Problems are notifications. */
#ifndef CML_HOST_SO_ENGINE_H
#define CML_HOST_SO_ENGINE_H

#include <stdbool.h>

#include "host/limits.h"
#include "host/registry.h"

/* Each returns the number of rules added; lim: isolation (NULL: auto). */
int so_load_plugin(registry *reg, const char *path, bool bundled, const host_limits *lim);
int so_load_dir(registry *reg, const char *dir, bool bundled, const host_limits *lim);   /* every *.so in dir */

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* reserved_nonzero.c — test plugin: a reserved field of cml_plugin is not
 * zero (as if a newer ABI had put something there). The host must refuse it
 * naming the field and the ABI. */
#include "tp.h"

TP_RULE(tp_rule, "test/reserved-nonzero", tp_check_report);
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};

static int tp_marker;
static const cml_plugin tp_plugin = {
    .size = sizeof(cml_plugin),
    .abi = CML_ABI_VERSION,
    .name = "reserved-nonzero",
    .version = "1.0.0",
    .rules = tp_rules,
    .reserved = {NULL, &tp_marker, NULL, NULL},
};

CML_PLUGIN_DEFINE(tp_plugin)

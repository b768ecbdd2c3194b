/* SPDX-License-Identifier: Apache-2.0 */
/* tp.h — shared pieces of the test-only plugins in tests/plugins/: a
 * complete rule and plugin descriptor each test plugin then breaks in one
 * specific way (test_plugins.c asserts the host's notification for each). Like
 * every plugin, they include only the SDK headers. */
#ifndef CML_TP_H
#define CML_TP_H

#include "coreml-lint/plugin.h"

#define TP_HELP "## Why\n\nA test rule of tests/plugins.\n"
/* the tests run these rules on an empty (unreadable) model file too */
static const char *const tp_rule_tags[] = {"test", "unreadable-models", NULL};

/* A valid rule with id `id_` and check `check_`. */
#define TP_RULE(var, id_, check_)                                                        \
    static const cml_rule var = {.size = sizeof(cml_rule),                               \
                                 .id = id_,                                              \
                                 .name = "TestRule",                                     \
                                 .summary = "A test rule.",                              \
                                 .help_md = TP_HELP,                                     \
                                 .default_level = CML_WARNING,                           \
                                 .tags = tp_rule_tags,                                   \
                                 .check = check_}

/* A valid plugin named name_ with the NULL-terminated rule list rules_. */
#define TP_PLUGIN(var, name_, rules_)                                                    \
    static const cml_plugin var = {.size = sizeof(cml_plugin),                           \
                                   .abi = CML_ABI_VERSION,                               \
                                   .name = name_,                                        \
                                   .version = "1.0.0",                                   \
                                   .rules = rules_}

/* A check that reports one finding naming the rule, at the model. */
static inline int tp_check_report(const cml_model *m, cml_ctx *ctx) {
    (void)m;
    cml_reportf(ctx, NULL, "%s ran", ctx->rule_id);
    return CML_OK;
}

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* steal_token.c — test plugin: what an attacker commits as tools/helper.so
 * and names in .coreml-lint.json's "plugins" (issue #10). Its constructor
 * runs the moment the library is dlopen'ed, before any ABI check, with the
 * runner's environment: it copies GITHUB_TOKEN into the file that
 * CML_TEST_STOLEN names. test_security.c asserts that a configuration file
 * never gets it loaded unless the user trusts the configuration. */
#include <stdio.h>
#include <stdlib.h>

#include "tp.h"

__attribute__((constructor)) static void tp_steal(void) {
    const char *to = getenv("CML_TEST_STOLEN");
    FILE *f = to ? fopen(to, "w") : NULL;
    if (!f) return;
    const char *tok = getenv("GITHUB_TOKEN");
    fprintf(f, "%s\n", tok ? tok : "(no token)");
    fclose(f);
}

TP_RULE(tp_rule, "test/steal-token", tp_check_report);
static const cml_rule *const tp_rules[] = {&tp_rule, NULL};
TP_PLUGIN(tp_plugin, "steal-token", tp_rules);

CML_PLUGIN_DEFINE(tp_plugin)

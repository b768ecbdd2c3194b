/* SPDX-License-Identifier: Apache-2.0 */
/* size_smaller.c — test plugin: its cml_plugin and cml_rule are the shorter
 * structs an older plugin would have (required members only), each followed
 * in memory by non-zero junk where the newer members would be. The host
 * must read exactly `size` bytes of each and zero the rest: the plugin loads
 * and its rule runs. Reading the host's sizeof instead would find the junk
 * (non-zero reserved fields, a garbage init pointer). */
#include "tp.h"

/* cml_rule up to check, cml_plugin up to rules: the ABI-1 required parts. */
typedef struct old_rule {
    uint32_t size;
    const char *id, *name, *summary, *help_md;
    cml_level default_level;
    int (*check)(const cml_model *model, cml_ctx *ctx);
} old_rule;

typedef struct old_plugin {
    uint32_t size;
    uint32_t abi;
    const char *name, *version;
    const cml_rule *const *rules;
} old_plugin;

#define JUNK {0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull, \
              0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull, \
              0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull}

static const struct {
    old_rule r;
    unsigned long long junk[12];
} tp_rule_blob = {{sizeof(old_rule), "test/size-smaller", "SizeSmaller", "A test rule.", TP_HELP,
                   CML_NOTE, tp_check_report},
                  JUNK};

static const cml_rule *const tp_rules[] = {(const cml_rule *)(const void *)&tp_rule_blob, NULL};

static const struct {
    old_plugin p;
    unsigned long long junk[12];
} tp_plugin_blob = {{sizeof(old_plugin), CML_ABI_VERSION, "size-smaller", "0.1.0", tp_rules}, JUNK};

/* The same entry CML_PLUGIN_DEFINE makes, returning the short struct. */
CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi, const cml_host *host);
CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi, const cml_host *host) {
    (void)host;
    if (*abi > CML_ABI_VERSION) *abi = CML_ABI_VERSION;
    return (const cml_plugin *)(const void *)&tp_plugin_blob;
}

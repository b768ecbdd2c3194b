/* SPDX-License-Identifier: Apache-2.0 */
/* good.c — test plugin: a well-behaved third-party plugin that touches every
 * host service, so test_plugins.c can compare what comes back through the
 * child's pipe with what an in-process run gives. Its cml_plugin is longer
 * than the host's (a newer plugin speaking ABI 1: the host must ignore the
 * tail). test/good reports one note per model whose message lists every
 * option value, the target, the init state and what weight_read returned;
 * it also logs one line. test/good-fails sends one malformed report (no
 * message) and then returns CML_EINVAL. */
#include <stdio.h>

#include "tp.h"

static int tp_state_value = 42;

static int tp_init(const cml_host *host, void **state) {
    if (!host || host->abi < 1) return -1;
    *state = &tp_state_value;
    return 0;
}

static void tp_fini(void *state) { (void)state; }

static int tp_good(const cml_model *m, cml_ctx *ctx) {
    const char *const *names = NULL;
    size_t n_names = cml_option_strings(ctx, "names", &names);
    char joined[128] = "";
    size_t off = 0;
    for (size_t i = 0; i < n_names && off < sizeof joined; i++)
        off += (size_t)snprintf(joined + off, sizeof joined - off, "%s%s", i ? "," : "", names[i]);
    unsigned char bytes[4];
    size_t readable = 0;
    for (size_t i = 0; i < m->n_weights; i++)
        if (cml_weight_read(ctx, m->weights[i], 0, bytes, sizeof bytes) > 0) readable++;
    cml_weight fake = {0};
    fake.nbytes = 16;
    size_t fake_read = cml_weight_read(ctx, &fake, 0, bytes, sizeof bytes);
    const char *target = cml_target(ctx);
    char msg[512];
    snprintf(msg, sizeof msg,
             "good: flag=%d count=%lld ratio=%.2f label=%s names=%s undeclared=%lld target=%s "
             "state=%d weights=%zu readable=%zu fake=%zu abi=%u",
             cml_option_bool(ctx, "flag", false), (long long)cml_option_int(ctx, "count", -1),
             cml_option_number(ctx, "ratio", -1.0), cml_option_string(ctx, "label", "none"), joined,
             (long long)cml_option_int(ctx, "undeclared", 7), target ? target : "none",
             ctx->state ? *(int *)ctx->state : -1, m->n_weights, readable, fake_read, ctx->abi);
    cml_log(ctx, CML_NOTE, "good: checked %s", m->path ? m->path : "?");
    const cml_loc *fn_loc = m->n_functions ? &m->functions[0]->loc : &m->loc;
    cml_related rel[2] = {{fn_loc, "first function"}, {&m->loc, "the model"}};
    cml_report(ctx, .level = CML_NOTE, .message = msg, .fix = "nothing to fix", .related = rel,
               .n_related = 2);
    return CML_OK;
}

static int tp_fails(const cml_model *m, cml_ctx *ctx) {
    (void)m;
    cml_report(ctx, .fix = "a report without a message");
    return CML_EINVAL;
}

static const cml_option tp_opt_flag = {.size = sizeof(cml_option), .type = CML_OPT_BOOL, .name = "flag",
                                       .doc = "A bool.", .default_bool = true};
static const cml_option tp_opt_count = {.size = sizeof(cml_option), .type = CML_OPT_INT, .name = "count",
                                        .doc = "An int.", .default_int = 3};
static const cml_option tp_opt_ratio = {.size = sizeof(cml_option), .type = CML_OPT_NUMBER, .name = "ratio",
                                        .doc = "A number.", .default_number = 0.5};
static const cml_option tp_opt_label = {.size = sizeof(cml_option), .type = CML_OPT_STRING, .name = "label",
                                        .doc = "A string.", .default_string = "abc"};
static const char *const tp_default_names[] = {"x", "y", NULL};
static const cml_option tp_opt_names = {.size = sizeof(cml_option), .type = CML_OPT_STRINGS, .name = "names",
                                        .doc = "Strings.", .default_strings = tp_default_names};
static const cml_option *const tp_options[] = {&tp_opt_flag, &tp_opt_count, &tp_opt_ratio, &tp_opt_label,
                                               &tp_opt_names, NULL};
static const char *const tp_tags[] = {"test", "unreadable-models", NULL};

static const cml_rule tp_rule_good = {
    .size = sizeof(cml_rule),
    .id = "test/good",
    .name = "Good",
    .summary = "A well-behaved test rule.",
    .help_md = TP_HELP,
    .default_level = CML_WARNING,
    .check = tp_good,
    .description = "Reports what the host services returned.",
    .help_uri = "https://example.invalid/good",
    .tags = tp_tags,
    .options = tp_options,
};
TP_RULE(tp_rule_fails, "test/good-fails", tp_fails);
static const cml_rule *const tp_rules[] = {&tp_rule_good, &tp_rule_fails, NULL};

/* A plugin built against a newer ABI's headers would have more members. */
static const struct {
    cml_plugin p;
    unsigned long long future[4];
} tp_plugin = {{.size = sizeof(cml_plugin) + 4 * sizeof(unsigned long long),
                .abi = CML_ABI_VERSION,
                .name = "good",
                .version = "1.0.0",
                .rules = tp_rules,
                .init = tp_init,
                .fini = tp_fini},
               {1, 2, 3, 4}};

CML_PLUGIN_DEFINE(tp_plugin.p)

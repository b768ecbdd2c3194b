/* SPDX-License-Identifier: Apache-2.0 */
/* my_rule.c — the template for a coreml-lint rule plugin: copy this folder,
 * rename the rule, keep the structure. It implements one complete rule,
 * `example/zero-weight`, which reports weight tensors whose stored bytes are
 * all zero (usually a broken export or a pruning step gone wrong). It shows
 * every part of the ABI a plugin needs: rule metadata, a typed option read
 * at check time, walking the read-only IR with the SDK's iterators
 * (coreml-lint/walk.h: pipeline sub-models, nested blocks), reading weight
 * bytes in place (cml_weight_foreach: no copy where the host maps them),
 * reporting with
 * a location, a related location and a fix, and plugin state from init/fini.
 * A plugin includes only the SDK headers (coreml-lint/plugin.h pulls in
 * ir.h) and never links against the host: every host service goes through
 * the cml_* inline wrappers. Build it as in README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml-lint/plugin.h"
#include "coreml-lint/walk.h"

/* ---- plugin state ---------------------------------------------------------
 * init runs once, after the host accepted the plugin and before any check;
 * what it stores in *state comes back as ctx->state in every check and is
 * handed to fini when the host unloads the plugin. Checks of one plugin never
 * run concurrently. Third-party plugins check in a forked child, so a check
 * must not rely on state changes surviving to the next check. */
typedef struct zw_state {
    unsigned char *buf;     /* read buffer for weight bytes */
    size_t cap;
} zw_state;

static int zw_init(const cml_host *host, void **state) {
    (void)host; /* host->abi, host->version: what the host speaks */
    zw_state *s = calloc(1, sizeof *s);
    if (!s) return CML_ENOMEM; /* non-zero: the plugin is reported unusable */
    s->cap = 64 * 1024;
    s->buf = malloc(s->cap);
    if (!s->buf) {
        free(s);
        return CML_ENOMEM;
    }
    *state = s;
    return CML_OK;
}

static void zw_fini(void *state) {
    zw_state *s = state;
    if (s) free(s->buf);
    free(s);
}

/* ---- the check ---------------------------------------------------------------- */

/* cml_weight_foreach calls this for each piece of a weight's bytes;
 * returning 1 stops the walk early. */
static int zw_piece(void *ud, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) {
            *(int *)ud = 0;
            return 1;
        }
    return 0;
}

/* 1 when every stored byte of w is zero, 0 when not, -1 when unreadable.
 * Weights are never copied into the IR: cml_weight_foreach hands out their
 * bytes in place where the host maps them, else it copies them through the
 * buffer in bounded pieces. */
static int zw_all_zero(cml_ctx *ctx, zw_state *s, const cml_weight *w) {
    int all_zero = 1;
    if (cml_weight_foreach(ctx, w, s->buf, s->cap, 1, zw_piece, &all_zero) != 0) return -1;
    return all_zero;
}

static void zw_check_model(const cml_model *m, cml_ctx *ctx, int64_t min_bytes) {
    zw_state *s = ctx->state;
    /* model->weights lists every constant with data, each once. */
    for (size_t i = 0; i < m->n_weights; i++) {
        const cml_weight *w = m->weights[i];
        if (!w || w->nbytes < (uint64_t)min_bytes) continue;
        int z = zw_all_zero(ctx, s, w);
        if (z < 0) {
            /* A problem of the rule, not of the model: a log line (it
             * becomes a notification, never a finding). */
            cml_log(ctx, CML_NOTE, "weight at %s could not be read",
                    w->loc.logical ? w->loc.logical : "?");
            continue;
        }
        if (!z) continue;
        char msg[512];
        snprintf(msg, sizeof msg, "weight %s (%s, %llu bytes) is all zeros",
                 w->loc.logical ? w->loc.logical : "?", cml_dtype_name(w->dtype),
                 (unsigned long long)w->nbytes);
        /* A related location points at a second place (here: the model). */
        cml_related rel[1] = {{&m->loc, "model this weight belongs to"}};
        /* Every member but size is optional except message; .level 0 (left
         * out) means "the level the user configured for this rule". */
        cml_report(ctx, .message = msg, .at = &w->loc,
                   .fix = "check the export: the source tensor was probably never initialized",
                   .related = rel, .n_related = 1);
    }
}

static int zw_check(const cml_model *model, cml_ctx *ctx) {
    /* Options are read through the host: the user's config value, else the
     * default declared below. The last argument is used only when the
     * option is not declared at all. */
    int64_t min_bytes = cml_option_int(ctx, "min_bytes", 1024);
    if (min_bytes < 1) min_bytes = 1;
    /* the model, then the sub-models of its pipelines (walk.h) */
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, model); m; m = cml_models_next(&mi))
        zw_check_model(m, ctx, min_bytes);
    return CML_OK;
}

/* ---- declarations: what the host reads before any check -------------------------
 * Every struct starts with .size = sizeof(...) so the host knows how much of
 * it this plugin has (the ABI grows structs only at the end). Leave reserved
 * fields zero: designated initializers do that. */

static const cml_option zw_opt_min_bytes = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "min_bytes",
    .doc = "Smallest stored size in bytes of a weight the rule looks at.",
    .default_int = 1024,
};
static const cml_option *const zw_options[] = {&zw_opt_min_bytes, NULL};
static const char *const zw_tags[] = {"weights", "correctness", NULL};

static const cml_rule zw_rule = {
    .size = sizeof(cml_rule),
    /* category/kebab-name: stable, it is what users put in configs and
     * suppressions. Must be unique across every loaded rule. */
    .id = "example/zero-weight",
    .name = "ZeroWeight",                       /* SARIF rule name */
    .summary = "A weight tensor is all zeros.", /* one sentence */
    .help_md = "## Why\n\n"
               "A weight whose stored bytes are all zero usually means the exporter never "
               "copied the trained values (or a pruning step removed everything).\n\n"
               "## Fix\n\nRe-export the model from a checkpoint that has the trained weights.\n",
    .default_level = CML_WARNING,
    .check = zw_check,
    /* optional members */
    .description = "Reports weight tensors of at least min_bytes stored bytes whose bytes are "
                   "all zero.",
    .tags = zw_tags,
    .options = zw_options,
};

static const cml_rule *const zw_rules[] = {&zw_rule, NULL};

static const cml_plugin zw_plugin = {
    .size = sizeof(cml_plugin),
    .abi = CML_ABI_VERSION,
    .name = "example-zero-weight",
    .version = "1.0.0",
    .rules = zw_rules,
    .spdx_license = "Apache-2.0",
    .init = zw_init,
    .fini = zw_fini,
};

/* Exports cml_plugin_entry, the one symbol the host looks up. */
CML_PLUGIN_DEFINE(zw_plugin)

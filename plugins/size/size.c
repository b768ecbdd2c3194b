/* SPDX-License-Identifier: Apache-2.0 */
/* size.c — bundled plugin "size" with two rules about a model being too
 * large for the Neural Engine or app memory: size/large-extent (activation
 * dimensions past the Neural Engine's observed extents) and
 * size/memory-budget (weights plus the largest activations against a
 * per-platform memory budget). Sizes come from the IR (weight file payloads,
 * inline constants, static tensor types); nothing reads weight bytes. The
 * whole model tree (pipeline sub-models) counts as one model. Every threshold
 * that is not an Apple fact is an option. The simpler size rules are Lua:
 * rules/size/protobuf-limit.lua, single-weight.lua, ane-iphone-1gb.lua and
 * first-load.lua. Knowledge: rules-knowledge §4.3 (S10, S11), §5.8. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml-lint/ir.h"
#include "coreml-lint/text.h"
#include "coreml-lint/plugin.h"
#include "coreml-lint/walk.h"

#define SZ_MAX_RELATED 64
#define SZ_GIB 1073741824LL

/* ---- shared helpers ------------------------------------------------------- */

static void sz_fmt_shape(char *buf, size_t n, const cml_shape *s) {
    if (!s || s->rank < 0 || (s->rank > 0 && !s->dims)) {
        snprintf(buf, n, "[?]");
        return;
    }
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int32_t i = 0; i < s->rank && k < n; i++) {
        if (s->dims[i] < 0) k += (size_t)snprintf(buf + k, n - k, "%s?", i ? ", " : "");
        else k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)s->dims[i]);
    }
    if (k < n) snprintf(buf + k, n - k, "]");
}

/* Weight bytes of a model tree: each weight file once (by path, even when
 * several functions or sub-models share it) plus inline constants. */
typedef struct sz_files {
    const char *paths[256];
    size_t n;
} sz_files;

static uint64_t sz_model_weight_bytes(const cml_model *m, sz_files *seen) {
    uint64_t b = 0;
    for (size_t i = 0; i < m->n_weight_files; i++) {
        const cml_weight_file *wf = m->weight_files[i];
        if (!wf) continue;
        bool dup = false;
        for (size_t k = 0; wf->path && k < seen->n; k++)
            if (!strcmp(seen->paths[k], wf->path)) dup = true;
        if (dup) continue;
        if (wf->path && seen->n < sizeof seen->paths / sizeof seen->paths[0]) seen->paths[seen->n++] = wf->path;
        b += wf->payload_bytes;
    }
    for (size_t i = 0; i < m->n_weights; i++) {
        const cml_weight *w = m->weights[i];
        /* inline tensors; string immediates (op names, modes) are not weights */
        if (w && w->storage == CML_STORE_INLINE && w->dtype != CML_DT_STRING && w->dtype != CML_DT_UNKNOWN)
            b += w->nbytes;
    }
    return b;
}

static uint64_t sz_weight_bytes(const cml_model *root) {
    sz_files seen;
    seen.n = 0;
    uint64_t b = 0;
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, root); m; m = cml_models_next(&mi)) b += sz_model_weight_bytes(m, &seen);
    return b;
}

/* Platform of the deployment target ("iOS17.4" -> "iOS"); NULL when unset. */
static bool sz_target_is(const char *t, const char *plat) {
    size_t n = strlen(plat);
    return t && !strncmp(t, plat, n) && (t[n] == '\0' || (t[n] >= '0' && t[n] <= '9'));
}

/* ======================================================================== */
/* size/large-extent                                                         */
/* ======================================================================== */

typedef struct le_hit {
    const cml_loc *at;
    char note[256];
} le_hit;

typedef struct le_state {
    int64_t max_hw, max_c;
    le_hit *hits;
    size_t n, cap;
    bool oom;
    char first[400];
} le_state;

/* Which extent of a rank 4/5 tensor breaks the limits: C, H, W are the last
 * three axes (channels-first, as the Neural Engine lays tensors out). */
static bool le_over(const le_state *s, const cml_shape *sh, char *why, size_t n) {
    if (!sh || sh->rank < 4 || sh->rank > 5 || !sh->dims) return false;
    int64_t C = sh->dims[sh->rank - 3], H = sh->dims[sh->rank - 2], W = sh->dims[sh->rank - 1];
    size_t k = 0;
    why[0] = '\0';
    if (W > s->max_hw) k += (size_t)snprintf(why + k, n - k, "W %lld > %lld", (long long)W, (long long)s->max_hw);
    if (H > s->max_hw && k < n)
        k += (size_t)snprintf(why + k, n - k, "%sH %lld > %lld", k ? ", " : "", (long long)H, (long long)s->max_hw);
    if (C > s->max_c && k < n)
        snprintf(why + k, n - k, "%sC %lld > %lld", k ? ", " : "", (long long)C, (long long)s->max_c);
    return why[0] != '\0';
}

static void le_add(le_state *s, const cml_loc *at, const char *what, const cml_shape *sh, const char *why) {
    char shs[128];
    sz_fmt_shape(shs, sizeof shs, sh);
    if (!s->n) snprintf(s->first, sizeof s->first, "%s %s (%s)", what, shs, why);
    if (s->oom) return;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        le_hit *p = realloc(s->hits, nc * sizeof *p);
        if (!p) {
            s->oom = true;
            return;
        }
        s->hits = p;
        s->cap = nc;
    }
    le_hit *h = &s->hits[s->n++];
    h->at = at;
    snprintf(h->note, sizeof h->note, "%s %s: %s", what, shs, why);
}

static void le_ops(le_state *s, const cml_model *m) {
    cml_op_iter it;
    for (const cml_op *op = cml_ops_first(&it, m, NULL); op; op = cml_ops_next(&it)) {
        if (!op->is_const) {
            for (size_t j = 0; j < op->n_outputs; j++) {
                const cml_value *v = op->outputs[j];
                char why[128], what[300];
                if (!v || v->type.kind != CML_TYPE_TENSOR || !le_over(s, &v->type.shape, why, sizeof why)) continue;
                snprintf(what, sizeof what, "output '%s' of %s '%s'", v->name ? v->name : "?",
                         op->kind ? op->kind : "op", op->name ? op->name : "?");
                le_add(s, &op->loc, what, &v->type.shape, why);
            }
        }
    }
}

/* Model inputs: the default shape, every enumerated shape, and the upper
 * bounds of bounded ranges. */
static void le_features(le_state *s, const cml_model *m) {
    for (size_t i = 0; i < m->n_inputs; i++) {
        const cml_feature *f = m->inputs[i];
        if (!f || (f->kind != CML_FEAT_MULTIARRAY && f->kind != CML_FEAT_IMAGE)) continue;
        char why[128], what[300];
        if (f->kind == CML_FEAT_IMAGE) {
            /* an image is [1, C, H, W] */
            int64_t dims[4] = {1, f->color == CML_COLOR_GRAYSCALE || f->color == CML_COLOR_GRAYSCALE_FLOAT16 ? 1 : 3,
                               f->height, f->width};
            /* candidates: the default size, each enumerated size, the range upper bounds */
            for (size_t e = 0; e <= f->n_enumerated + 1; e++) {
                if (e == 0) {
                    dims[2] = f->height;
                    dims[3] = f->width;
                } else if (e <= f->n_enumerated) {
                    const cml_shape *es = &f->enumerated[e - 1];
                    if (es->rank != 2 || !es->dims) continue;
                    dims[2] = es->dims[0];
                    dims[3] = es->dims[1];
                } else if (f->n_ranges >= 2 && f->ranges) {
                    dims[2] = f->ranges[0].upper;
                    dims[3] = f->ranges[1].upper;
                } else {
                    continue;
                }
                cml_shape sh = {4, dims};
                if (!le_over(s, &sh, why, sizeof why)) continue;
                snprintf(what, sizeof what, "input image '%s'", f->name ? f->name : "?");
                le_add(s, &f->loc, what, &sh, why);
                break;
            }
            continue;
        }
        if (le_over(s, &f->shape, why, sizeof why)) {
            snprintf(what, sizeof what, "input '%s' (default shape)", f->name ? f->name : "?");
            le_add(s, &f->loc, what, &f->shape, why);
            continue;
        }
        bool hit = false;
        for (size_t e = 0; !hit && e < f->n_enumerated; e++) {
            if (!le_over(s, &f->enumerated[e], why, sizeof why)) continue;
            snprintf(what, sizeof what, "input '%s' (enumerated shape %zu)", f->name ? f->name : "?", e + 1);
            le_add(s, &f->loc, what, &f->enumerated[e], why);
            hit = true;
        }
        if (!hit && f->flex == CML_FLEX_RANGE && f->n_ranges && f->ranges && f->n_ranges <= 8) {
            int64_t dims[8];
            for (size_t d = 0; d < f->n_ranges; d++) dims[d] = f->ranges[d].upper; /* -1 unbounded: skipped */
            cml_shape sh = {(int32_t)f->n_ranges, dims};
            if (le_over(s, &sh, why, sizeof why)) {
                snprintf(what, sizeof what, "input '%s' (range upper bounds)", f->name ? f->name : "?");
                le_add(s, &f->loc, what, &sh, why);
            }
        }
    }
}

static void le_model(le_state *s, const cml_model *root) {
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, root); m; m = cml_models_next(&mi)) {
        le_features(s, m);
        le_ops(s, m);
    }
}

static int le_check(const cml_model *m, cml_ctx *ctx) {
    if (!cml_option_bool(ctx, "targets_ane", true)) return CML_OK;
    le_state s;
    memset(&s, 0, sizeof s);
    s.max_hw = cml_option_int(ctx, "max_hw", 16384);
    s.max_c = cml_option_int(ctx, "max_channels", 65536);
    le_model(&s, m);
    if (s.n) {
        size_t nrel = s.n > SZ_MAX_RELATED ? SZ_MAX_RELATED : s.n;
        cml_related *rel = malloc(nrel * sizeof *rel);
        for (size_t i = 0; rel && i < nrel; i++) {
            rel[i].at = s.hits[i].at;
            rel[i].message = s.hits[i].note;
        }
        char msg[900];
        /* SOURCE: community reverse engineering, rules-knowledge §4.3 S10 (ANE
         * tensor extents W, H <= 16384 and C <= 65536 on M1; ane-guide ch. 17,
         * aneforge capabilities) and S11 (apple/coremltools#2247: very large
         * inputs fail ANE compilation) [C-RE / C]. */
        snprintf(msg, sizeof msg,
                 "%zu tensor%s exceed%s the Neural Engine's observed extents (W and H <= %lld, C <= %lld; "
                 "community-observed, an estimate), e.g. %s: such ops are expected to run on the GPU or CPU, "
                 "or fail Neural Engine compilation",
                 s.n, s.n == 1 ? "" : "s", s.n == 1 ? "s" : "", (long long)s.max_hw, (long long)s.max_c, s.first);
        cml_report(ctx, .message = msg, .at = s.hits[0].at, .related = rel, .n_related = rel ? nrel : 0,
                   .fix = "tile or downscale large spatial inputs, reshape long sequences into channels-first "
                          "[1, C, 1, S] layouts with S <= 16384, and confirm placement with MLComputePlan / the "
                          "Xcode performance report");
        free(rel);
    }
    free(s.hits);
    return s.oom ? CML_ENOMEM : CML_OK;
}

static const cml_option sz_opt_targets_ane = {
    .size = sizeof(cml_option),
    .type = CML_OPT_BOOL,
    .name = "targets_ane",
    .doc = "The app lets Core ML use the Neural Engine (compute units .all or "
           ".cpuAndNeuralEngine).",
    .default_bool = true,
};
static const cml_option le_opt_hw = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "max_hw",
    .doc = "Largest height or width (last two axes of a rank-4/5 tensor) the Neural Engine is "
           "assumed to handle (community-observed 16384).",
    .default_int = 16384,
};
static const cml_option le_opt_c = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "max_channels",
    .doc = "Largest channel extent (third axis from the end) the Neural Engine is assumed to "
           "handle (community-observed 65536).",
    .default_int = 65536,
};
static const cml_option *const le_options[] = {&le_opt_hw, &le_opt_c, &sz_opt_targets_ane, NULL};
static const char *const le_tags[] = {"size", "ane", "estimate", NULL};

static const cml_rule le_rule = {
    .size = sizeof(cml_rule),
    .id = "size/large-extent",
    .name = "LargeExtent",
    .summary = "A tensor dimension larger than the Neural Engine is observed to handle (estimate).",
    .description = "Reports rank-4/5 activations and model inputs whose width or height exceeds 16384 or "
                   "whose channel extent exceeds 65536 (community-observed Neural Engine limits).",
    .help_md =
        "## Why\n\n"
        "Community reverse engineering of the Neural Engine reports tensor extents of at most 16384 for "
        "width and height and 65536 for channels (M1; newer chips allow larger spatial sizes), and users "
        "report Neural Engine compilation failing for very large inputs (apple/coremltools#2247, "
        "`ANECCompile() FAILED`). These are estimates, not Apple documentation: Apple publishes no "
        "limits. Ops with such tensors are expected to fall back to the GPU or CPU.\n\n"
        "The rule reads static shapes of op outputs (last three axes of rank-4/5 tensors as C, H, W) "
        "and model inputs (default, enumerated and bounded range shapes). It runs when `targets_ane` "
        "is true; all matches are reported in one finding.\n\n"
        "## Fix\n\n"
        "Tile or downscale large images, lay sequences out channels-first (`[1, C, 1, S]`) with "
        "moderate `S`, and confirm placement with `MLComputePlan` or the Xcode performance report.\n\n"
        "## Sources\n\n"
        "- community: ane-guide ch. 17, aneforge capabilities (extents), apple/coremltools#2247\n",
    .default_level = CML_NOTE,
    .tags = le_tags,
    .options = le_options,
    .check = le_check,
};

/* ======================================================================== */
/* size/memory-budget                                                        */
/* ======================================================================== */

typedef struct mb_act {
    uint64_t bytes;
    const cml_op *op;
    const cml_value *v;
} mb_act;

static uint64_t mb_tensor_bytes(const cml_type *t) {
    if (t->kind != CML_TYPE_TENSOR || t->shape.rank < 0 || (t->shape.rank && !t->shape.dims)) return 0;
    unsigned bits = cml_dtype_bits(t->dtype);
    if (!bits) return 0;
    uint64_t n = 1;
    for (int32_t i = 0; i < t->shape.rank; i++) {
        int64_t d = t->shape.dims[i];
        if (d < 0) return 0;
        if (d && n > UINT64_MAX / 16 / (uint64_t)d) return UINT64_MAX / 16;
        n *= (uint64_t)d;
    }
    return n * bits / 8;
}

static void mb_function(const cml_function *fn, mb_act *best) {
    cml_op_iter it;
    for (const cml_op *op = cml_ops_first(&it, NULL, fn); op; op = cml_ops_next(&it)) {
        if (!op->is_const)
            for (size_t j = 0; j < op->n_outputs; j++) {
                const cml_value *v = op->outputs[j];
                uint64_t by = v ? mb_tensor_bytes(&v->type) : 0;
                if (by > best->bytes) {
                    best->bytes = by;
                    best->op = op;
                    best->v = v;
                }
            }
    }
}

static uint64_t mb_elems(const cml_shape *s) {
    if (!s || s->rank < 0 || (s->rank && !s->dims)) return 0;
    uint64_t n = 1;
    for (int32_t i = 0; i < s->rank; i++) {
        if (s->dims[i] <= 0) return 0;
        n *= (uint64_t)s->dims[i];
    }
    return n;
}

/* How much larger than the default the largest enumerated / bounded input
 * can be (activations were typed for the default shape). */
static double mb_flex_factor(const cml_model *m) {
    double f = 1.0;
    for (size_t i = 0; i < m->n_inputs; i++) {
        const cml_feature *ft = m->inputs[i];
        if (!ft || ft->kind != CML_FEAT_MULTIARRAY) continue;
        uint64_t def = mb_elems(&ft->shape);
        if (!def) continue;
        for (size_t e = 0; e < ft->n_enumerated; e++) {
            uint64_t n = mb_elems(&ft->enumerated[e]);
            if (n && (double)n / (double)def > f) f = (double)n / (double)def;
        }
        if (ft->flex == CML_FLEX_RANGE && ft->n_ranges && ft->ranges && ft->n_ranges <= 8) {
            int64_t dims[8];
            bool bounded = true;
            for (size_t d = 0; d < ft->n_ranges; d++) {
                dims[d] = ft->ranges[d].upper;
                if (dims[d] < 0) bounded = false;
            }
            cml_shape sh = {(int32_t)ft->n_ranges, dims};
            uint64_t n = bounded ? mb_elems(&sh) : 0;
            if (n && (double)n / (double)def > f) f = (double)n / (double)def;
        }
    }
    return f;
}

static int mb_check(const cml_model *m, cml_ctx *ctx) {
    const char *t = cml_target(ctx);
    static const struct { const char *plat, *opt; int64_t def; } budgets[] = {
        {"iOS", "budget_ios", 2 * SZ_GIB},        {"iPadOS", "budget_ios", 2 * SZ_GIB},
        {"tvOS", "budget_tvos", 2 * SZ_GIB},      {"watchOS", "budget_watchos", SZ_GIB / 4},
        {"visionOS", "budget_visionos", 4 * SZ_GIB}, {"macOS", "budget_macos", 0},
    };
    const char *plat = NULL, *opt = NULL;
    int64_t def = 0;
    for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++)
        if (t ? sz_target_is(t, budgets[i].plat) : !strcmp(budgets[i].plat, "iOS")) {
            plat = budgets[i].plat;
            opt = budgets[i].opt;
            def = budgets[i].def;
            break;
        }
    if (!plat || (!t && !m->min_os.ios)) return CML_OK;
    int64_t budget = cml_option_int(ctx, opt, def);
    if (budget <= 0) return CML_OK;
    uint64_t wb = sz_weight_bytes(m);
    mb_act act = {0, NULL, NULL};
    for (size_t f = 0; f < m->n_functions; f++)
        if (m->functions[f]) mb_function(m->functions[f], &act);
    double flex = mb_flex_factor(m);
    uint64_t act_b = (uint64_t)((double)act.bytes * flex);
    /* two live activations: the largest op's output and an input of similar size */
    uint64_t est = wb + 2 * act_b;
    if (est <= (uint64_t)budget) return CML_OK;
    char eb[32], wbs[32], ab[32], bb[32], msg[1000], what[300] = "";
    cml_format_bytes(eb, sizeof eb, (double)est);
    cml_format_bytes(wbs, sizeof wbs, (double)wb);
    cml_format_bytes(ab, sizeof ab, (double)act_b);
    cml_format_bytes(bb, sizeof bb, (double)(uint64_t)budget);
    if (act.op && act.v)
        snprintf(what, sizeof what, " ('%s' of %s '%s'%s)", act.v->name ? act.v->name : "?",
                 act.op->kind ? act.op->kind : "op", act.op->name ? act.op->name : "?",
                 flex > 1.0 ? ", scaled to the largest flexible input shape" : "");
    /* SOURCE: house option. Per-app memory limits depend on device RAM; the
     * Increased Memory Limit entitlement raises them (madebyollin/maple-diffusion
     * README: the entitlement is needed "to unlock 4GB of RAM") [C]; §5.8. */
    snprintf(msg, sizeof msg,
             "estimated memory %s (weights %s + 2 x largest activation %s%s) exceeds the %s budget of %s "
             "(%lld bytes, house default, option %s): the app may be terminated for memory on smaller devices",
             eb, wbs, ab, what, plat, bb, (long long)budget, opt);
    cml_report(ctx, .message = msg, .at = act.op ? &act.op->loc : &m->loc,
               .fix = "compress the weights (palettization, int8/int4 quantization), split the model, reduce "
                      "input sizes, or request the Increased Memory Limit entitlement; then set the budget "
                      "option to your smallest supported device");
    return CML_OK;
}

static const cml_option mb_opt_ios = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "budget_ios",
    .doc = "Memory budget in bytes for iOS/iPadOS targets (also used when no target is set); "
           "house default 2 GiB.",
    .default_int = 2 * SZ_GIB,
};
static const cml_option mb_opt_tvos = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "budget_tvos",
    .doc = "Memory budget in bytes for tvOS targets; house default 2 GiB.",
    .default_int = 2 * SZ_GIB,
};
static const cml_option mb_opt_watchos = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "budget_watchos",
    .doc = "Memory budget in bytes for watchOS targets; house default 256 MiB.",
    .default_int = SZ_GIB / 4,
};
static const cml_option mb_opt_visionos = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "budget_visionos",
    .doc = "Memory budget in bytes for visionOS targets; house default 4 GiB.",
    .default_int = 4 * SZ_GIB,
};
static const cml_option mb_opt_macos = {
    .size = sizeof(cml_option),
    .type = CML_OPT_INT,
    .name = "budget_macos",
    .doc = "Memory budget in bytes for macOS targets; 0 (default) turns the check off.",
    .default_int = 0,
};
static const cml_option *const mb_options[] = {&mb_opt_ios, &mb_opt_tvos, &mb_opt_watchos, &mb_opt_visionos,
                                               &mb_opt_macos, NULL};
static const char *const mb_tags[] = {"size", "memory", "estimate", NULL};

static const cml_rule mb_rule = {
    .size = sizeof(cml_rule),
    .id = "size/memory-budget",
    .name = "MemoryBudget",
    .summary = "Weights plus the largest activations exceed the app's memory budget for the target "
               "platform (estimate).",
    .description = "Estimates the memory a prediction needs as the weight bytes plus twice the largest "
                   "static activation (scaled to the largest flexible input shape) and notes when it "
                   "exceeds the configured per-platform budget.",
    .help_md =
        "## Why\n\n"
        "iOS terminates apps that use more memory than their device allows; the limit depends on the "
        "device's RAM, and the Increased Memory Limit entitlement raises it (community: "
        "madebyollin/maple-diffusion needs the entitlement \"to unlock 4GB of RAM\"). A model whose "
        "weights and activations approach that limit crashes on smaller devices.\n\n"
        "The estimate is rough: weights as stored (compressed weights may be decompressed at load on "
        "CPU/GPU, which needs more) plus two copies of the largest statically typed activation, scaled "
        "up to the largest enumerated or bounded input shape. The platform is the deployment target's "
        "(iOS when none is set). **The budgets are house defaults, not Apple numbers**: iOS/iPadOS and "
        "tvOS 2 GiB, watchOS 256 MiB, visionOS 4 GiB, macOS off. Set them to your smallest supported "
        "device.\n\n"
        "## Fix\n\n"
        "Compress the weights, split the model, reduce input sizes, or request the "
        "`com.apple.developer.kernel.increased-memory-limit` entitlement.\n\n"
        "## Sources\n\n"
        "- community: madebyollin/maple-diffusion README (Increased Memory Limit)\n",
    .default_level = CML_NOTE,
    .tags = mb_tags,
    .options = mb_options,
    .check = mb_check,
};

/* ======================================================================== */

static const cml_rule *const sz_rules[] = {&le_rule, &mb_rule, NULL};

static const cml_plugin sz_plugin = {
    .size = sizeof(cml_plugin),
    .abi = CML_ABI_VERSION,
    .name = "size",
    .version = CML_VERSION_STRING,
    .spdx_license = "Apache-2.0",
    .rules = sz_rules,
};

CML_PLUGIN_DEFINE(sz_plugin)

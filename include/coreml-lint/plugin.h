/* SPDX-License-Identifier: Apache-2.0 */
/* coreml-lint/plugin.h — the versioned ABI between coreml-lint and its
 * shared-object rule plugins. A plugin is a .so that includes only the SDK
 * headers (this file, ir.h, version.h), defines its rules as static
 * cml_rule structs, and exports exactly one symbol, cml_plugin_entry, made by
 * CML_PLUGIN_DEFINE(desc). The host calls the entry with *abi set to the
 * newest ABI it speaks and its function table; the plugin writes back the
 * ABI it will speak (<= the host's) and returns its descriptor, or NULL to
 * decline (Vulkan's loader/driver negotiation). Every struct that may grow
 * starts with its own size; the host copies min(size, sizeof) and zeroes the
 * rest, so an older plugin's shorter struct still loads and a newer plugin's
 * longer one is read only as far as the host understands it. Reserved
 * fields must be zero. The plugin never links against host symbols: it
 * reports, logs, reads options and weight bytes through cml_host, an
 * append-only table whose first member is its size (SQLite's
 * sqlite3_api_routines, Redis' module API), using the inline wrappers at the
 * end of this file. The model is the read-only IR of ir.h.
 *
 * ABI history (append a line for every change; never edit an old one):
 *   1  first version: cml_plugin, cml_rule, cml_option, cml_report,
 *      cml_related, cml_ctx, cml_host {report, log, option_bool,
 *      option_int, option_number, option_string, option_strings, target,
 *      weight_read}.
 *   1  cml_rule.flags appended (CML_RULE_OPT_IN: the rule is off until the
 *      config's `enable` or --enable names it). No ABI bump: the host reads
 *      cml_rule by its size, so a plugin built before the field (shorter
 *      struct) reads as flags = 0, and a host built before it ignores it
 *      (the rule is then on by default).
 *   1  cml_host.weight_stored_as, add_property and load_model appended (for
 *      the runtime probe: string and protobuf-scalar constants, per-model
 *      figures in the report, a baseline model for `compare`). No ABI bump:
 *      the host table is read by its size, so a plugin tests
 *      CML_HOST_HAS(host, member) before calling one (as PLG-8 asks for
 *      later entries) and an older host's shorter table simply lacks them.
 *   1  cml_host.weight_bytes appended: the bytes weight_read would copy,
 *      in place (the model's mapping), so rules that scan every weight
 *      read them once and copy nothing. No ABI bump (CML_HOST_HAS).
 *   1  cml_host.usage_error appended: the user's own input to a rule (a
 *      file or folder an option names) is unusable; the run ends with
 *      exit 2, as for a bad flag, instead of the host guessing it from a
 *      log line. No ABI bump (read by size, CML_HOST_HAS).
 *   1  cml_host.weight_stats appended: counts over a float weight's values
 *      (zeros, NaN, infinities, values at or beyond the fp16 range, largest
 *      magnitude), computed by the host once per weight in one pass,
 *      however many rules ask. No ABI bump (CML_HOST_HAS; the struct is
 *      filled as far as the plugin's size of it says).
 *   1  cml_option.flags appended (CML_OPT_NAMES_FILE: an untrusted
 *      configuration file may not set the option: a pull request's config
 *      must not choose where a rule writes or what it reads). No ABI bump:
 *      the host reads the struct by its size, and an older plugin's options
 *      have no flags.
 *   1  CML_OPT_LIMIT (a cml_option.flags bit): an untrusted configuration
 *      may only tighten the option. No ABI bump: an older host ignores the
 *      bit, as it ignores every bit it does not know.
 *
 * The contract (policy, result of non-compliance, enforced by the host?):
 *   PLG-1  A plugin must not write to the IR or keep pointers into it after
 *          check returns. — undefined behaviour; no.
 *   PLG-2  Every struct handed to the host has size = sizeof as the plugin
 *          was built, and zero reserved fields. — plugin unusable; yes.
 *   PLG-3  Rule ids are "category/kebab-name", unique across everything
 *          loaded, and stable across releases. — plugin unusable; yes.
 *   PLG-4  Metadata is complete: id, name, summary, help_md, default_level,
 *          check; every option has name, type and doc. — unusable; yes.
 *   PLG-5  Strings and arrays in descriptors live as long as the plugin is
 *          loaded; strings passed to host functions only for the call.
 *          — undefined behaviour; no.
 *   PLG-6  check must not crash, hang, call exit() or touch global state
 *          another rule depends on. — third-party plugins run check in a
 *          forked child: a crash or time-out becomes a plugin/crash or
 *          plugin/timeout notification for that rule; bundled ones are
 *          trusted (in-process).
 *   PLG-7  check must not print to stdout (it carries the report); log
 *          through cml_log. — a bundled plugin's print corrupts the
 *          report; an isolated one's stdout goes to /dev/null; no.
 *   PLG-8  A plugin calls a host entry added after ABI 1 only when
 *          CML_HOST_HAS(host, entry) says the host has it. — crash; no.
 */
#ifndef COREML_LINT_PLUGIN_H
#define COREML_LINT_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coreml-lint/ir.h"
#include "coreml-lint/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CML_ABI_VERSION 1u  /* newest ABI these headers describe */
#define CML_ABI_MIN     1u  /* oldest ABI the host still loads */

#if defined(__GNUC__) || defined(__clang__)
#define CML_PLUGIN_EXPORT __attribute__((visibility("default")))
#define CML_PRINTF_(f, a) __attribute__((format(printf, f, a)))
#else
#define CML_PLUGIN_EXPORT
#define CML_PRINTF_(f, a)
#endif
#ifdef __cplusplus
#define CML_EXTERN_C extern "C"
#else
#define CML_EXTERN_C
#endif

/* Levels: 0 in a report means "the rule's configured level". */
typedef enum cml_level {
    CML_LEVEL_CONFIGURED = 0,
    CML_NOTE = 1,
    CML_WARNING = 2,
    CML_ERROR = 3
} cml_level;

/* What check returns: 0, or one of these (the host posts a rule/error
 * notification naming the code; the run goes on). */
enum {
    CML_OK = 0,
    CML_EFAIL = -1,        /* generic failure */
    CML_ENOMEM = -2,       /* out of memory */
    CML_EINVAL = -3,       /* the model is not what the rule can handle */
    CML_EIO = -4,          /* a weight could not be read */
    CML_EUNSUPPORTED = -5  /* the host lacks something the rule needs */
};

typedef struct cml_host cml_host;
typedef struct cml_ctx cml_ctx;

/* ---- options ------------------------------------------------------------- */

typedef enum cml_option_type {
    CML_OPT_BOOL = 1,
    CML_OPT_INT,
    CML_OPT_NUMBER,
    CML_OPT_STRING,
    CML_OPT_STRINGS
} cml_option_type;

/* One typed option of a rule; users set it in the config
 * ("rules": {"ane/fp32-program": {"min_fraction": 0.5}}). The member of
 * the default that matches type is used. It drives the config schema and the
 * rule's documentation. */
typedef struct cml_option {
    uint32_t size;                    /* sizeof(cml_option) the plugin was built with */
    cml_option_type type;
    const char *name;                 /* [a-z0-9_]+ */
    const char *doc;                  /* one sentence */
    bool default_bool;
    int64_t default_int;
    double default_number;
    const char *default_string;       /* may be NULL */
    const char *const *default_strings; /* NULL-terminated; may be NULL (= empty) */
    void *reserved[2];                /* must be zero */
    uint32_t flags;                   /* CML_OPT_NAMES_FILE... (appended in ABI 1; 0 when older) */
} cml_option;

/* cml_option.flags bits. A host ignores bits it does not know. */
#define CML_OPT_NAMES_FILE 1u /* the value names files or folders the rule reads or writes: a
                               * configuration the user does not trust (docs/security.md) may
                               * not set it; the command line and a trusted one may */
#define CML_OPT_LIMIT 2u      /* an int or number option that bounds what the rule spends (seconds,
                               * megabytes, runs): a configuration the user does not trust may only
                               * tighten it, to a value above 0 and at most the default; the
                               * command line and a trusted one may set any */

/* ---- rules and plugins ------------------------------------------------------ */

/* cml_rule.flags bits (appended in ABI 1, see the history above). A host
 * ignores bits it does not know, so a new flag must be safe to ignore. */
#define CML_RULE_OPT_IN 1u  /* disabled by default; the config's `enable` / --enable turns it on */

/* One rule = one diagnostic pattern = one id. Members before `description`
 * are required; the rest may be left zero. */
typedef struct cml_rule {
    uint32_t size;                    /* sizeof(cml_rule) the plugin was built with */
    const char *id;                   /* "ane/fp32-program": stable, category/kebab-name */
    const char *name;                 /* SARIF name, PascalCase: "Fp32Program" */
    const char *summary;              /* one sentence (SARIF shortDescription) */
    const char *help_md;              /* why it matters and how to fix it, Markdown */
    cml_level default_level;          /* CML_NOTE, CML_WARNING or CML_ERROR */
    /* Check one model (the root; walk sub_models yourself). Return CML_OK or a
     * negative CML_E* code. Findings go through cml_report(). */
    int (*check)(const cml_model *model, cml_ctx *ctx);
    /* optional */
    const char *description;          /* SARIF fullDescription; defaults to summary */
    const char *help_uri;
    const char *const *tags;          /* NULL-terminated */
    const cml_option *const *options; /* NULL-terminated array of pointers */
    void *reserved[4];                /* must be zero */
    /* ---- appended in ABI 1 (read by size: older plugins read as 0) ---- */
    uint32_t flags;                   /* CML_RULE_* bits; 0 = on by default */
} cml_rule;

/* What cml_plugin_entry returns. Members before `spdx_license` are
 * required. */
typedef struct cml_plugin {
    uint32_t size;                    /* sizeof(cml_plugin) the plugin was built with */
    uint32_t abi;                     /* CML_ABI_VERSION of the headers it was built with */
    const char *name;                 /* "ane-fp32-program" */
    const char *version;              /* the plugin's own version, "1.0.0" */
    const cml_rule *const *rules;     /* NULL-terminated array of pointers, >= 1 rule */
    /* optional */
    const char *spdx_license;         /* "Apache-2.0": the SPDX id of the plugin's licence */
    const char *home_url;
    /* Called once after the host accepted the plugin, before any check; a
     * non-zero return makes the plugin unusable. *state is handed to every
     * check as ctx->state and to fini. */
    int (*init)(const cml_host *host, void **state);
    void (*fini)(void *state);        /* called once when the host unloads it */
    void *reserved[4];                /* must be zero */
} cml_plugin;

/* The entry: *abi in = the host's newest ABI, out = the ABI the plugin will
 * speak (<= in). Returns the descriptor, or NULL to decline. */
typedef const cml_plugin *cml_plugin_entry_fn(uint32_t *abi, const cml_host *host);
#define CML_PLUGIN_ENTRY_SYMBOL "cml_plugin_entry"

/* Define the entry for a static const cml_plugin object `desc`. Speaks the
 * headers' ABI, or the host's when the host is older (the structs only grow
 * at the end, and the host reads them by size). Write your own entry instead
 * when the plugin needs to refuse old hosts. */
#define CML_PLUGIN_DEFINE(desc)                                                          \
    CML_EXTERN_C CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi,    \
                                                                      const cml_host *host); \
    CML_EXTERN_C CML_PLUGIN_EXPORT const cml_plugin *cml_plugin_entry(uint32_t *abi,    \
                                                                      const cml_host *host) { \
        (void)host;                                                                      \
        if (!abi) return NULL;                                                           \
        if (*abi > CML_ABI_VERSION) *abi = CML_ABI_VERSION;                              \
        return &(desc);                                                                  \
    }

/* ---- reporting --------------------------------------------------------------- */

/* A secondary location ("the first fp32 op"). Frozen: never grows. */
typedef struct cml_related {
    const cml_loc *at;
    const char *message;
} cml_related;

/* One finding. Members before `fix` are required. */
typedef struct cml_report {
    uint32_t size;                    /* sizeof(cml_report) the plugin was built with */
    cml_level level;                  /* CML_LEVEL_CONFIGURED (0) = the configured level */
    const char *message;              /* plain text; name the op, GitHub shows only this */
    /* optional */
    const char *fix;                  /* one-line remedy */
    const cml_loc *at;                /* the loc of any IR object; NULL = the model */
    const cml_related *related;       /* n_related entries (at most 64 are kept) */
    size_t n_related;
    void *reserved[2];                /* must be zero */
} cml_report;

/* ---- what a check sees -------------------------------------------------------- */

/* One rule checking one model. The host owns it; the plugin reads it. The
 * host's own state follows these members. */
struct cml_ctx {
    uint32_t size;                    /* of the public part the host filled */
    uint32_t abi;                     /* the ABI negotiated with this plugin */
    const cml_host *host;
    void *state;                      /* what init stored (NULL without init) */
    const char *rule_id;
};

/* Host services. Append-only: new entries go at the end, under a comment
 * naming the ABI that added them; a plugin checks CML_HOST_HAS first. */
struct cml_host {
    uint32_t size;                    /* sizeof(cml_host) of the host */
    uint32_t abi;                     /* newest ABI the host speaks */
    const char *version;              /* the tool's version, "0.1.0" */
    /* ---- ABI 1 ---- */
    /* Report a finding; 0, or -1 when refused (bad arguments, flood cap).
     * A rule run in a child process (a third-party plugin, isolated) gets
     * 0 for every well-formed report: the host applies the flood cap when
     * the findings come back, and keeps the first 16 KiB of each string. */
    int (*report)(cml_ctx *ctx, const cml_report *r);
    /* A log line (a plugin/log notification for ctx's rule); ctx may be
     * NULL during init (then it goes to stderr). The same line again is
     * counted; up to 32 different lines per model are kept, the rest
     * counted in one notification that says so. */
    void (*log)(cml_ctx *ctx, cml_level level, const char *message);
    /* Effective option values (config, else the declared default); fallback
     * when the option is not declared or has another type. */
    bool (*option_bool)(cml_ctx *ctx, const char *name, bool fallback);
    int64_t (*option_int)(cml_ctx *ctx, const char *name, int64_t fallback);
    double (*option_number)(cml_ctx *ctx, const char *name, double fallback);
    const char *(*option_string)(cml_ctx *ctx, const char *name, const char *fallback);
    /* Sets *out to an array valid until check returns; returns its length. */
    size_t (*option_strings)(cml_ctx *ctx, const char *name, const char *const **out);
    /* The app's deployment target ("iOS16"), or NULL. */
    const char *(*target)(cml_ctx *ctx);
    /* Copy up to n stored bytes of w, from offset, into buf; returns the
     * count (0 past the end, on error, or when w is not part of the model). */
    size_t (*weight_read)(cml_ctx *ctx, const cml_weight *w, uint64_t offset, void *buf,
                          size_t n);
    /* ---- appended in ABI 1 (see the history): test CML_HOST_HAS first ---- */
    /* The element type of the bytes weight_read returns for w: w->dtype for
     * raw little-endian bytes (weight.bin blobs, `bytes` fields, sub-byte
     * types packed LSB-first); CML_DT_FP32, CML_DT_INT32 (ints, and bools as
     * 4-byte protobuf booleans), CML_DT_INT64 or CML_DT_FP64 when the format
     * stored a protobuf repeated field; CML_DT_STRING for string constants,
     * with *strings (if strings is not NULL) set to w->nbytes strings that
     * live as long as the model. CML_DT_UNKNOWN when w is not a weight of a
     * model this check was given. */
    cml_dtype (*weight_stored_as)(cml_ctx *ctx, const cml_weight *w, const char *const **strings);
    /* Attach a JSON fact about the checked model to the report: the run's
     * properties[key][model path] become the parsed `json` (replaced by a
     * later call with the same key). key is [a-z0-9_]+, and not "model"
     * (the host's own facts of the model). Writers print it: SARIF
     * run.properties, json "properties", text a block for "probe".
     * Returns 0, or -1 (bad or reserved key, not valid JSON). */
    int (*add_property)(cml_ctx *ctx, const char *key, const char *json);
    /* Load another model (e.g. a baseline to compare with). The host owns it
     * until the checks of the current model end; its weights are readable
     * through weight_read / weight_stored_as with the same ctx. A model that
     * could not be read is still returned, with its problems in diags (as
     * the load/... rules see them); NULL only when out of memory or path is
     * NULL. */
    const cml_model *(*load_model)(cml_ctx *ctx, const char *path);
    /* The user's own input to the rule is unusable (an --input file that
     * cannot be read, an option's folder that cannot be written): the
     * message becomes an error notification and the run exits 2, as for a
     * bad flag. Findings about the model are still reported. */
    void (*usage_error)(cml_ctx *ctx, const char *message);
    /* The stored bytes of w in place — exactly what weight_read would copy,
     * in the form weight_stored_as names — with *nbytes their count; valid
     * until check returns, read-only. NULL when w is not a weight of a model
     * this check was given, or its bytes are not in memory as one range:
     * then read them with weight_read. */
    const void *(*weight_bytes)(cml_ctx *ctx, const cml_weight *w, uint64_t *nbytes);
    /* The counts of cml_weight_stats (ir.h) over w's stored values, when
     * they are fp16, bf16 or fp32: 0, with the first `size` bytes of *out
     * filled (pass sizeof *out); -1 for another type, bytes that cannot be
     * read, or a weight not of this check. The host computes them once per
     * weight, whichever rule asks first: a rule that needs every value of
     * every weight asks here instead of reading the bytes itself. */
    int (*weight_stats)(cml_ctx *ctx, const cml_weight *w, cml_weight_stats *out, size_t size);
    /* ---- ABI 2 and later: append here ---- */
};

/* Whether the host table has entry `member` (PLG-8). */
#define CML_HOST_HAS(host, member)                                                       \
    ((host) && (host)->size >= offsetof(cml_host, member) + sizeof((host)->member))

/* ---- inline wrappers: plugins call the host through these ------------------------ */

/* cml_report(ctx, .message = "...", .at = &op->loc, .fix = "..."): a
 * designated-initializer report (size filled in). In C++, fill a cml_report
 * with size = sizeof(cml_report) and call cml_report_send. */
static inline int cml_report_send(cml_ctx *ctx, const cml_report *r) {
    return ctx->host->report(ctx, r);
}
#define cml_report(ctx, ...)                                                             \
    cml_report_send((ctx), &(const cml_report){.size = (uint32_t)sizeof(cml_report), __VA_ARGS__})

/* A finding at `at` with a printf-formatted message (truncated at 1023 bytes). */
static inline int cml_reportf(cml_ctx *ctx, const cml_loc *at, const char *fmt, ...)
    CML_PRINTF_(3, 4);
static inline int cml_reportf(cml_ctx *ctx, const cml_loc *at, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cml_report r = {(uint32_t)sizeof(cml_report), CML_LEVEL_CONFIGURED, buf, NULL, at, NULL, 0,
                    {NULL, NULL}};
    return ctx->host->report(ctx, &r);
}

static inline void cml_log(cml_ctx *ctx, cml_level level, const char *fmt, ...) CML_PRINTF_(3, 4);
static inline void cml_log(cml_ctx *ctx, cml_level level, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->host->log(ctx, level, buf);
}

static inline bool cml_option_bool(cml_ctx *ctx, const char *name, bool fallback) {
    return ctx->host->option_bool(ctx, name, fallback);
}
static inline int64_t cml_option_int(cml_ctx *ctx, const char *name, int64_t fallback) {
    return ctx->host->option_int(ctx, name, fallback);
}
static inline double cml_option_number(cml_ctx *ctx, const char *name, double fallback) {
    return ctx->host->option_number(ctx, name, fallback);
}
static inline const char *cml_option_string(cml_ctx *ctx, const char *name,
                                            const char *fallback) {
    return ctx->host->option_string(ctx, name, fallback);
}
static inline size_t cml_option_strings(cml_ctx *ctx, const char *name,
                                        const char *const **out) {
    return ctx->host->option_strings(ctx, name, out);
}
static inline const char *cml_target(cml_ctx *ctx) { return ctx->host->target(ctx); }
static inline size_t cml_weight_read(cml_ctx *ctx, const cml_weight *w, uint64_t offset,
                                     void *buf, size_t n) {
    return ctx->host->weight_read(ctx, w, offset, buf, n);
}
/* Entries appended in ABI 1 (CML_HOST_HAS-checked; a host without them
 * answers CML_DT_UNKNOWN / -1 / NULL here). */
static inline cml_dtype cml_weight_stored_as(cml_ctx *ctx, const cml_weight *w,
                                             const char *const **strings) {
    if (strings) *strings = NULL;
    return CML_HOST_HAS(ctx->host, weight_stored_as) ? ctx->host->weight_stored_as(ctx, w, strings)
                                                     : CML_DT_UNKNOWN;
}
static inline int cml_add_property(cml_ctx *ctx, const char *key, const char *json) {
    return CML_HOST_HAS(ctx->host, add_property) ? ctx->host->add_property(ctx, key, json) : -1;
}
static inline const cml_model *cml_load_model(cml_ctx *ctx, const char *path) {
    return CML_HOST_HAS(ctx->host, load_model) ? ctx->host->load_model(ctx, path) : NULL;
}
/* The stored bytes of w in place, or NULL (then use cml_weight_read). */
static inline const void *cml_weight_bytes(cml_ctx *ctx, const cml_weight *w, uint64_t *nbytes) {
    *nbytes = 0;
    return CML_HOST_HAS(ctx->host, weight_bytes) ? ctx->host->weight_bytes(ctx, w, nbytes) : NULL;
}

/* The host's counts over w's float values (cml_host.weight_stats), or -1
 * (then *out is zero): another type, unreadable, or an older host. */
static inline int cml_weight_stats_of(cml_ctx *ctx, const cml_weight *w, cml_weight_stats *out) {
    *out = (cml_weight_stats){0};
    return CML_HOST_HAS(ctx->host, weight_stats) ? ctx->host->weight_stats(ctx, w, out, sizeof *out) : -1;
}

/* Call fn(ud, bytes, n) over the stored bytes of w, front to back, in
 * pieces of at most cap bytes (each a whole number of `unit`-byte
 * elements): in place when the host can give the bytes (no copy), else
 * copied through buf (cap bytes). fn returns 0 to go on, 1 to stop early.
 * Returns 0, or -1 when the bytes could not be read (a short read: the
 * load/... rules report the broken file). */
static inline int cml_weight_foreach(cml_ctx *ctx, const cml_weight *w, void *buf, size_t cap, size_t unit,
                                     int (*fn)(void *ud, const unsigned char *p, size_t n), void *ud) {
    uint64_t total = 0;
    const unsigned char *mapped = (const unsigned char *)cml_weight_bytes(ctx, w, &total);
    if (!mapped) total = w->nbytes;
    if (!unit) unit = 1;
    cap -= cap % unit;
    if (!cap) return -1;
    for (uint64_t off = 0; off < total;) {
        uint64_t left = total - off;
        size_t want = left < cap ? (size_t)left : cap;
        const unsigned char *p = mapped ? mapped + off : (const unsigned char *)buf;
        if (!mapped && cml_weight_read(ctx, w, off, buf, want) != want) return -1;
        int rc = fn(ud, p, want);
        if (rc) return rc < 0 ? -1 : 0;
        off += want;
    }
    return 0;
}

/* The user's input to the rule is unusable (exit 2); on a host without
 * the entry, an error log line. */
static inline void cml_usage_error(cml_ctx *ctx, const char *fmt, ...) CML_PRINTF_(2, 3);
static inline void cml_usage_error(cml_ctx *ctx, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (CML_HOST_HAS(ctx->host, usage_error)) ctx->host->usage_error(ctx, buf);
    else ctx->host->log(ctx, CML_ERROR, buf);
}
/* The newest ABI the host speaks (the negotiated one is ctx->abi). */
static inline uint32_t cml_host_abi(const cml_ctx *ctx) { return ctx->host->abi; }

#ifdef __cplusplus
}
#endif
#endif /* COREML_LINT_PLUGIN_H */

/* host_plugin.c — engine "so": loads shared-object rule plugins through the
 * versioned ABI of include/coreml-lint/plugin.h and runs their checks.
 * Loading (so_load_plugin) is all-or-nothing per plugin: dlopen with
 * RTLD_NOW|RTLD_LOCAL, find cml_plugin_entry, negotiate the ABI (the host
 * passes its newest, the plugin writes back the one it speaks), then read
 * every struct the plugin hands over by its own size field — copy
 * min(size, sizeof) and zero the rest, never the host's sizeof — and check
 * reserved fields, rule ids (syntax and uniqueness across everything
 * loaded), metadata and options before a single rule is registered; any
 * failure is one plugin/unusable notification naming the file, the field and
 * the versions, and the run goes on. Each cml_rule becomes a host_rule whose
 * engine_data points back at the rule (disabled when it is flagged
 * CML_RULE_OPT_IN); the plugin (dlopen handle, init
 * state) is reference-counted by its rules and fini'd and dlclose'd when the
 * last one is freed. Checks of bundled plugins run in-process; third-party
 * ones run in a forked child (the IR is already built, so the child sees it
 * copy-on-write) that streams its reports back over a pipe, under a
 * wall-clock limit: a crash or a time-out becomes plugin/crash or
 * plugin/timeout for that rule. The host services a plugin calls go through
 * one static cml_host table; in a child they serialize instead of touching
 * the parent's state (reports, logs, and run properties as 'P' frames).
 * weight_read and weight_stored_as accept only weights of the checked model
 * or of a model the check loaded through load_model (kept by run.c until
 * the model's checks end); add_property stores per-model JSON facts in the
 * run's properties (the runtime probe's figures). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "coreml-lint/plugin.h"
#include "host/ctx.h"
#include "host/so/engine.h"
#include "host/util.h"
#include "ir/weights.h"
#include "ir/model.h"

#define SO_MAX_RULES 256              /* per plugin */
#define SO_MAX_TAGS 64                /* per rule */
#define SO_MAX_OPTIONS 64             /* per rule */
#define SO_MAX_RELATED 64             /* per report */
#define SO_MAX_STRUCT 65536u          /* a larger size field is garbage, not a newer ABI */
#define SO_MAX_STR 16384u             /* one string from a child (longer ones are cut) */
/* One message from a child: a report has at most 4 + 3 * SO_MAX_RELATED
 * strings, each cut at SO_MAX_STR bytes. */
#define SO_MAX_FRAME (4u << 20)

/* The smallest struct the host accepts: up to the last required member. */
#define SO_END(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#define SO_PLUGIN_MIN SO_END(cml_plugin, rules)
#define SO_RULE_MIN SO_END(cml_rule, check)
#define SO_OPTION_MIN SO_END(cml_option, doc)
#define SO_REPORT_MIN SO_END(cml_report, message)

typedef struct so_plugin {
    void *dl;
    char *path;
    const char *base;                 /* file name inside path */
    cml_plugin desc;                  /* zero-extended copy */
    uint32_t abi;                     /* negotiated */
    bool bundled, isolate, inited;
    void *state;
    size_t refs;                      /* the loader + one per host_rule */
} so_plugin;

typedef struct so_rule {
    so_plugin *pl;
    cml_rule desc;                    /* zero-extended copy */
} so_rule;

typedef struct so_scratch {
    struct so_scratch *next;
    const char *items[];              /* option_strings arrays */
} so_scratch;

/* The cml_ctx a check sees; the public part must stay first. */
typedef struct so_ctx {
    cml_ctx pub;
    rule_ctx *rc;                     /* read-only in a child */
    so_rule *sr;
    int fd;                           /* >= 0 in an isolated child: write here */
    so_scratch *scratch;
    const cml_weight *known_weight;   /* last weight validated for weight_read */
} so_ctx;

/* ---- small helpers ------------------------------------------------------- */

static const char *so_base(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static bool so_empty(const char *s) { return !s || !*s; }

static const char *so_code_name(int rc) {
    switch (rc) {
    case CML_EFAIL: return "CML_EFAIL";
    case CML_ENOMEM: return "CML_ENOMEM";
    case CML_EINVAL: return "CML_EINVAL";
    case CML_EIO: return "CML_EIO";
    case CML_EUNSUPPORTED: return "CML_EUNSUPPORTED";
    default: return "unknown code";
    }
}

static const char *so_signal_name(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGPIPE: return "SIGPIPE";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    default: return "signal";
    }
}

/* Copy a plugin struct of `size` bytes into dst (dst_size bytes): at most
 * what both sides have, the rest zeroed. */
static void so_copy_sized(void *dst, size_t dst_size, const void *src, uint32_t size) {
    memset(dst, 0, dst_size);
    memcpy(dst, src, size < dst_size ? size : dst_size);
}

static int so_reserved_nonzero(void *const *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (r[i]) return (int)i;
    return -1;
}

static void so_unusable(registry *reg, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void so_unusable(registry *reg, const char *path, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    registry_notify(reg, NULL, "plugin/unusable", LEVEL_ERROR, path, 0, "%s: %s", so_base(path), msg);
}

static void so_plugin_unref(so_plugin *pl) {
    if (!pl || --pl->refs) return;
    if (pl->inited && pl->desc.fini) pl->desc.fini(pl->state);
    if (pl->dl) dlclose(pl->dl);
    free(pl->path);
    free(pl);
}

/* ---- the engine ------------------------------------------------------------ */

static int so_check(host_rule *r, const cml_model *m, rule_ctx *rc);

static void so_free_rule(host_rule *r) {
    so_rule *sr = r->engine_data;
    r->engine_data = NULL;
    if (!sr) return;
    so_plugin_unref(sr->pl);
    free(sr);
}

static const engine so_engine = {"so", so_check, so_free_rule, false};

/* ---- host services (the cml_host table) ------------------------------------ */

static so_ctx *so_ctx_of(cml_ctx *c) { return (so_ctx *)c; }

/* Serialization to the parent (isolated child). */
typedef struct so_buf {
    unsigned char *p;
    size_t n, cap;
    bool oom;
} so_buf;

static void so_put(so_buf *b, const void *d, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->n + n) nc *= 2;
        unsigned char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void so_put_u8(so_buf *b, uint8_t v) { so_put(b, &v, 1); }
static void so_put_u32(so_buf *b, uint32_t v) { so_put(b, &v, 4); }
static void so_put_u64(so_buf *b, uint64_t v) { so_put(b, &v, 8); }
static void so_put_str(so_buf *b, const char *s) {
    if (!s) {
        so_put_u32(b, UINT32_MAX);
        return;
    }
    size_t n = strlen(s);
    if (n > SO_MAX_STR) n = SO_MAX_STR;
    so_put_u32(b, (uint32_t)n);
    so_put(b, s, n);
}
static void so_put_loc(so_buf *b, const cml_loc *l) {
    so_put_str(b, l->artifact);
    so_put_str(b, l->logical);
    so_put_u64(b, l->byte_offset);
    so_put_u64(b, l->byte_length);
    so_put_u32(b, l->line);
    so_put_u32(b, l->column);
    so_put_u8(b, l->has_bytes ? 1 : 0);
}

/* Frame = u32 body length, then the body (u8 type first). */
static void so_send(so_ctx *c, so_buf *b) {
    if (b->oom || b->n < 4) {
        free(b->p);
        return;
    }
    uint32_t len = (uint32_t)(b->n - 4);
    memcpy(b->p, &len, 4);
    size_t off = 0;
    while (off < b->n) {
        ssize_t w = write(c->fd, b->p + off, b->n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    free(b->p);
}

enum { SO_MSG_REPORT = 'R', SO_MSG_NOTE = 'N', SO_MSG_END = 'E' };
enum { SO_NOTE_LOG = 0, SO_NOTE_ERROR = 1, SO_NOTE_USAGE = 2 };

static void so_child_note(so_ctx *c, int code, int level, const char *msg) {
    so_buf b = {0};
    so_put_u32(&b, 0);
    so_put_u8(&b, SO_MSG_NOTE);
    so_put_u8(&b, (uint8_t)code);
    so_put_u32(&b, (uint32_t)level);
    so_put_str(&b, msg);
    so_send(c, &b);
}

/* A problem of the plugin while checking: a rule/error notification. */
static void so_rule_error(so_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void so_rule_error(so_ctx *c, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->fd >= 0) so_child_note(c, SO_NOTE_ERROR, LEVEL_WARNING, msg);
    else ctx_notify(c->rc, "rule/error", LEVEL_WARNING, "%s", msg);
}

static int so_h_report(cml_ctx *pc, const cml_report *pr) {
    so_ctx *c = so_ctx_of(pc);
    const char *id = c->sr->desc.id;
    if (!pr) {
        so_rule_error(c, "rule '%s' reported NULL", id);
        return -1;
    }
    cml_report r;
    uint32_t size;
    memcpy(&size, pr, sizeof size);
    if (size < SO_REPORT_MIN || size > SO_MAX_STRUCT) {
        so_rule_error(c, "rule '%s': report refused: field 'size' of cml_report is %u (ABI %u needs %zu..%u)",
                      id, size, c->pub.abi, (size_t)SO_REPORT_MIN, SO_MAX_STRUCT);
        return -1;
    }
    so_copy_sized(&r, sizeof r, pr, size);
    int bad = so_reserved_nonzero(r.reserved, sizeof r.reserved / sizeof r.reserved[0]);
    if (bad >= 0) {
        so_rule_error(c, "rule '%s': report refused: field 'reserved[%d]' of cml_report is not zero (ABI %u)",
                      id, bad, c->pub.abi);
        return -1;
    }
    if (so_empty(r.message)) {
        so_rule_error(c, "rule '%s': report refused: field 'message' is missing or empty", id);
        return -1;
    }
    if ((int)r.level < CML_LEVEL_CONFIGURED || (int)r.level > CML_ERROR) {
        so_rule_error(c, "rule '%s': report refused: field 'level' is %d (0..3)", id, (int)r.level);
        return -1;
    }
    if (r.n_related && !r.related) {
        so_rule_error(c, "rule '%s': report refused: field 'related' is NULL with n_related %zu", id,
                      r.n_related);
        return -1;
    }
    size_t n_rel = r.n_related > SO_MAX_RELATED ? SO_MAX_RELATED : r.n_related;
    for (size_t i = 0; i < n_rel; i++)
        if (!r.related[i].at) {
            so_rule_error(c, "rule '%s': report refused: field 'related[%zu].at' is NULL", id, i);
            return -1;
        }
    if (c->fd >= 0) {
        so_buf b = {0};
        so_put_u32(&b, 0);
        so_put_u8(&b, SO_MSG_REPORT);
        so_put_u32(&b, (uint32_t)r.level);
        so_put_str(&b, r.message);
        so_put_str(&b, r.fix);
        so_put_u8(&b, r.at ? 1 : 0);
        if (r.at) so_put_loc(&b, r.at);
        so_put_u32(&b, (uint32_t)n_rel);
        for (size_t i = 0; i < n_rel; i++) {
            so_put_loc(&b, r.related[i].at);
            so_put_str(&b, r.related[i].message);
        }
        so_send(c, &b);
        return 0;
    }
    related_loc rel[SO_MAX_RELATED];
    for (size_t i = 0; i < n_rel; i++) {
        rel[i].message = (char *)(r.related[i].message ? r.related[i].message : "");
        rel[i].loc = *r.related[i].at;
    }
    report_args a = {(int)r.level, r.message, r.fix, r.at, NULL, n_rel ? rel : NULL, n_rel, NULL};
    return ctx_report(c->rc, &a);
}

static void so_h_log(cml_ctx *pc, cml_level level, const char *message) {
    int lv = (int)level < LEVEL_NOTE ? LEVEL_NOTE : (int)level > LEVEL_ERROR ? LEVEL_ERROR : (int)level;
    if (!message) message = "";
    if (!pc) {
        fprintf(stderr, "coreml-lint: plugin %s: %s\n", level_name(lv), message);
        return;
    }
    so_ctx *c = so_ctx_of(pc);
    if (c->fd >= 0) so_child_note(c, SO_NOTE_LOG, lv, message);
    else ctx_notify(c->rc, "plugin/log", lv, "%s", message);
}

/* The user's own input to the rule (a file an option names, a folder to
 * write) is unusable: a NOTE_USAGE notification, which ends the run with
 * exit 2 like a bad flag. */
static void so_h_usage_error(cml_ctx *pc, const char *message) {
    if (!message) message = "";
    if (!pc) {
        fprintf(stderr, "coreml-lint: plugin error: %s\n", message);
        return;
    }
    so_ctx *c = so_ctx_of(pc);
    if (c->fd >= 0) so_child_note(c, SO_NOTE_USAGE, LEVEL_ERROR, message);
    else ctx_notify(c->rc, NOTE_USAGE, LEVEL_ERROR, "%s", message);
}

static const cJSON *so_opt(cml_ctx *pc, const char *name) {
    if (!pc || !name) return NULL;
    return cJSON_GetObjectItemCaseSensitive(ctx_options(so_ctx_of(pc)->rc), name);
}

static bool so_h_option_bool(cml_ctx *pc, const char *name, bool fallback) {
    const cJSON *v = so_opt(pc, name);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

static int64_t so_h_option_int(cml_ctx *pc, const char *name, int64_t fallback) {
    const cJSON *v = so_opt(pc, name);
    if (!cJSON_IsNumber(v)) return fallback;
    double d = v->valuedouble;
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || floor(d) != d) return fallback;
    return (int64_t)d;
}

static double so_h_option_number(cml_ctx *pc, const char *name, double fallback) {
    const cJSON *v = so_opt(pc, name);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

static const char *so_h_option_string(cml_ctx *pc, const char *name, const char *fallback) {
    const cJSON *v = so_opt(pc, name);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : fallback;
}

static size_t so_h_option_strings(cml_ctx *pc, const char *name, const char *const **out) {
    static const char *const none[1] = {NULL};
    if (out) *out = none;
    const cJSON *v = so_opt(pc, name);
    if (!out || !cJSON_IsArray(v)) return 0;
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, v) {
        if (!cJSON_IsString(it) || !it->valuestring) return 0;
        n++;
    }
    so_ctx *c = so_ctx_of(pc);
    so_scratch *s = malloc(sizeof *s + (n + 1) * sizeof(const char *));
    if (!s) return 0;
    size_t i = 0;
    cJSON_ArrayForEach(it, v) s->items[i++] = it->valuestring;
    s->items[n] = NULL;
    s->next = c->scratch;
    c->scratch = s;
    *out = s->items;
    return n;
}

static const char *so_h_target(cml_ctx *pc) { return pc ? ctx_target(so_ctx_of(pc)->rc) : NULL; }

/* Is w one of the weights of m (or of its sub-models)? ir_weight_read trusts
 * its argument to be the host's own weight; a plugin's pointer is checked. */
static bool so_weight_known(const cml_model *m, const cml_weight *w, int depth) {
    if (!m || depth > IR_MAX_DEPTH) return false;
    for (size_t i = 0; i < m->n_weights; i++)
        if (m->weights[i] == w) return true;
    for (size_t i = 0; i < m->n_sub_models; i++)
        if (so_weight_known(m->sub_models[i], w, depth + 1)) return true;
    return false;
}

/* Is w a weight of the checked model or of one loaded for this check? */
static bool so_weight_ok(so_ctx *c, const cml_weight *w) {
    if (w == c->known_weight) return true;
    bool ok = so_weight_known(ctx_model(c->rc), w, 0);
    for (size_t i = 0; !ok; i++) {
        const cml_model *lm = ctx_loaded_model(c->rc, i);
        if (!lm) break;
        ok = so_weight_known(lm, w, 0);
    }
    if (ok) c->known_weight = w;
    return ok;
}

static size_t so_h_weight_read(cml_ctx *pc, const cml_weight *w, uint64_t offset, void *buf, size_t n) {
    if (!pc || !w || !buf || !n) return 0;
    so_ctx *c = so_ctx_of(pc);
    if (!so_weight_ok(c, w)) return 0;
    return ir_weight_read(w, offset, buf, n);
}

static cml_dtype so_h_weight_stored_as(cml_ctx *pc, const cml_weight *w, const char *const **strings) {
    if (strings) *strings = NULL;
    if (!pc || !w || !so_weight_ok(so_ctx_of(pc), w)) return CML_DT_UNKNOWN;
    return ir_weight_stored_as(w, strings);
}

enum { SO_MSG_PROPERTY = 'P' };

static int so_h_add_property(cml_ctx *pc, const char *key, const char *json) {
    if (!pc || !key || !json) return -1;
    so_ctx *c = so_ctx_of(pc);
    if (c->fd >= 0) {
        /* a child: the parent stores it (checked there too) */
        cJSON *v = cJSON_Parse(json);
        if (!v) return -1;
        cJSON_Delete(v);
        so_buf b = {0};
        so_put_u32(&b, 0);
        so_put_u8(&b, SO_MSG_PROPERTY);
        so_put_str(&b, key);
        size_t n = strlen(json);
        so_put_u32(&b, (uint32_t)n);
        so_put(&b, json, n);
        if (b.oom || b.n - 4 > SO_MAX_FRAME) {
            free(b.p);
            return -1;
        }
        so_send(c, &b);
        return 0;
    }
    return ctx_add_property(c->rc, key, json);
}

static const cml_model *so_h_load_model(cml_ctx *pc, const char *path) {
    if (!pc || !path) return NULL;
    return ctx_load_model(so_ctx_of(pc)->rc, path);
}

static const cml_host so_host = {
    .size = sizeof(cml_host),
    .abi = CML_ABI_VERSION,
    .version = CML_VERSION,
    .report = so_h_report,
    .log = so_h_log,
    .option_bool = so_h_option_bool,
    .option_int = so_h_option_int,
    .option_number = so_h_option_number,
    .option_string = so_h_option_string,
    .option_strings = so_h_option_strings,
    .target = so_h_target,
    .weight_read = so_h_weight_read,
    .weight_stored_as = so_h_weight_stored_as,
    .add_property = so_h_add_property,
    .load_model = so_h_load_model,
    .usage_error = so_h_usage_error,
};

static void so_ctx_init(so_ctx *c, so_rule *sr, rule_ctx *rc, int fd) {
    memset(c, 0, sizeof *c);
    c->pub.size = sizeof c->pub;
    c->pub.abi = sr->pl->abi;
    c->pub.host = &so_host;
    c->pub.state = sr->pl->state;
    c->pub.rule_id = sr->desc.id;
    c->rc = rc;
    c->sr = sr;
    c->fd = fd;
}

static void so_ctx_fini(so_ctx *c) {
    while (c->scratch) {
        so_scratch *n = c->scratch->next;
        free(c->scratch);
        c->scratch = n;
    }
}

/* ---- checking in a child ----------------------------------------------------- */

typedef struct so_rd {
    const unsigned char *p, *end;
    bool bad;
} so_rd;

static void so_get(so_rd *r, void *d, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        memset(d, 0, n);
        return;
    }
    memcpy(d, r->p, n);
    r->p += n;
}
static uint8_t so_get_u8(so_rd *r) { uint8_t v; so_get(r, &v, 1); return v; }
static uint32_t so_get_u32(so_rd *r) { uint32_t v; so_get(r, &v, 4); return v; }
static uint64_t so_get_u64(so_rd *r) { uint64_t v; so_get(r, &v, 8); return v; }

/* Strings are NUL-terminated in place: the frame is copied with a spare byte
 * per string (see so_parent_frame), so each string is moved one byte left
 * over its length prefix and terminated there. */
static const char *so_get_str(so_rd *r) {
    uint32_t n = so_get_u32(r);
    if (r->bad || n == UINT32_MAX) return NULL;
    if (n > SO_MAX_STR || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    char *dst = (char *)(uintptr_t)(r->p - 4);
    memmove(dst, r->p, n);
    dst[n] = 0;
    r->p += n;
    return dst;
}

static void so_get_loc(so_rd *r, cml_loc *l) {
    l->artifact = so_get_str(r);
    l->logical = so_get_str(r);
    l->byte_offset = so_get_u64(r);
    l->byte_length = so_get_u64(r);
    l->line = so_get_u32(r);
    l->column = so_get_u32(r);
    l->has_bytes = so_get_u8(r) != 0;
}

typedef struct so_run {
    bool got_end;
    int check_rc;
} so_run;

/* One frame body from the child; false when malformed. */
static bool so_parent_frame(rule_ctx *rc, unsigned char *body, size_t n, so_run *st) {
    so_rd r = {body, body + n, false};
    uint8_t type = so_get_u8(&r);
    if (type == SO_MSG_END) {
        st->check_rc = (int)so_get_u32(&r);
        st->got_end = !r.bad;
        return !r.bad && r.p == r.end;
    }
    if (type == SO_MSG_NOTE) {
        uint8_t code = so_get_u8(&r);
        int level = (int)so_get_u32(&r);
        const char *msg = so_get_str(&r);
        if (r.bad || r.p != r.end || code > SO_NOTE_ERROR || level < LEVEL_NOTE || level > LEVEL_ERROR)
            return false;
        ctx_notify(rc, code == SO_NOTE_LOG ? "plugin/log" : code == SO_NOTE_USAGE ? NOTE_USAGE : "rule/error", level,
                   "%s", msg ? msg : "");
        return true;
    }
    if (type == SO_MSG_PROPERTY) {
        const char *key = so_get_str(&r);
        uint32_t len = so_get_u32(&r);
        if (r.bad || !key || (size_t)(r.end - r.p) != len) return false;
        /* the JSON text runs to the frame's end: terminate it in a copy */
        char *json = malloc((size_t)len + 1);
        if (!json) return true;
        memcpy(json, r.p, len);
        json[len] = 0;
        ctx_add_property(rc, key, json);
        free(json);
        return true;
    }
    if (type != SO_MSG_REPORT) return false;
    report_args a;
    memset(&a, 0, sizeof a);
    cml_loc at;
    related_loc rel[SO_MAX_RELATED];
    a.level = (int)so_get_u32(&r);
    a.message = so_get_str(&r);
    a.fix = so_get_str(&r);
    if (so_get_u8(&r)) {
        so_get_loc(&r, &at);
        a.at = &at;
    }
    uint32_t nrel = so_get_u32(&r);
    if (nrel > SO_MAX_RELATED) return false;
    for (uint32_t i = 0; i < nrel && !r.bad; i++) {
        so_get_loc(&r, &rel[i].loc);
        const char *m = so_get_str(&r);
        rel[i].message = (char *)(m ? m : "");
    }
    if (r.bad || r.p != r.end || !a.message || a.level < 0 || a.level > LEVEL_ERROR) return false;
    a.related = nrel ? rel : NULL;
    a.n_related = nrel;
    ctx_report(rc, &a);
    return true;
}

static void so_child_main(so_rule *sr, const cml_model *m, rule_ctx *rc, int fd) {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    /* Let a crash kill the child with its signal, whatever handlers the
     * host (or a sanitizer runtime) installed, so the parent can name it. */
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS, SIGPIPE};
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &dfl, NULL);
    so_ctx c;
    so_ctx_init(&c, sr, rc, fd);
    int r = sr->desc.check(m, &c.pub);
    so_buf b = {0};
    so_put_u32(&b, 0);
    so_put_u8(&b, SO_MSG_END);
    so_put_u32(&b, (uint32_t)r);
    so_send(&c, &b);
    so_ctx_fini(&c);
    close(fd);
    _exit(0);
}

static long so_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int so_check_child(so_rule *sr, const cml_model *m, rule_ctx *rc) {
    const char *id = sr->desc.id;
    int fds[2];
    if (pipe(fds) != 0) {
        ctx_notify(rc, "rule/error", LEVEL_ERROR, "rule '%s' (plugin %s) could not be isolated: pipe: %s", id,
                   sr->pl->base, strerror(errno));
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        ctx_notify(rc, "rule/error", LEVEL_ERROR, "rule '%s' (plugin %s) could not be isolated: fork: %s", id,
                   sr->pl->base, strerror(e));
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        so_child_main(sr, m, rc, fds[1]);
    }
    close(fds[1]);

    unsigned limit = ctx_limits(rc)->plugin_timeout_ms;
    long deadline = so_now_ms() + (long)limit;
    so_run st = {false, 0};
    bool timed_out = false, malformed = false;
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        long left = deadline - so_now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int k = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (k < 0 && errno == EINTR) continue;
        if (k == 0) {
            timed_out = true;
            break;
        }
        if (k < 0) break;
        if (cap - n < 65536) {
            size_t nc = cap ? cap * 2 : 131072;
            unsigned char *nb = realloc(buf, nc);
            if (!nb) {
                malformed = true;
                break;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t got = read(fds[0], buf + n, cap - n);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) break; /* EOF: the child closed its end (finished or died) */
        n += (size_t)got;
        size_t off = 0;
        while (n - off >= 4) {
            uint32_t len;
            memcpy(&len, buf + off, 4);
            if (len == 0 || len > SO_MAX_FRAME) {
                malformed = true;
                break;
            }
            if (n - off - 4 < len) break;
            if (!so_parent_frame(rc, buf + off + 4, len, &st)) {
                malformed = true;
                break;
            }
            off += 4 + (size_t)len;
        }
        if (malformed) break;
        memmove(buf, buf + off, n - off);
        n -= off;
    }
    free(buf);
    close(fds[0]);
    /* The pipe is closed; give the child the rest of its time to exit. */
    int status = 0;
    if (timed_out || malformed) kill(pid, SIGKILL);
    for (;;) {
        pid_t w = waitpid(pid, &status, timed_out || malformed ? 0 : WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) break;
        if (w == 0) {
            if (so_now_ms() >= deadline) {
                timed_out = true;
                kill(pid, SIGKILL);
                continue;
            }
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (timed_out) {
        ctx_notify(rc, "plugin/timeout", LEVEL_ERROR,
                   "rule '%s' (plugin %s) did not finish within %.1f s (wall clock); its process was killed", id,
                   sr->pl->base, limit / 1000.0);
        return -1;
    }
    if (malformed) {
        ctx_notify(rc, "plugin/crash", LEVEL_ERROR,
                   "rule '%s' (plugin %s) sent a malformed message to the host; its process was killed", id,
                   sr->pl->base);
        return -1;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        ctx_notify(rc, "plugin/crash", LEVEL_ERROR, "rule '%s' (plugin %s) crashed with signal %d (%s)", id,
                   sr->pl->base, sig, so_signal_name(sig));
        return -1;
    }
    if (!st.got_end) {
        ctx_notify(rc, "plugin/crash", LEVEL_ERROR, "rule '%s' (plugin %s) exited with status %d before finishing",
                   id, sr->pl->base, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    if (st.check_rc < 0) {
        ctx_notify(rc, "rule/error", LEVEL_ERROR, "rule '%s' (plugin %s) failed: check returned %d (%s)", id,
                   sr->pl->base, st.check_rc, so_code_name(st.check_rc));
        return -1;
    }
    return 0;
}

static int so_check(host_rule *r, const cml_model *m, rule_ctx *rc) {
    so_rule *sr = r->engine_data;
    if (!sr || !sr->desc.check) return -1;
    if (sr->pl->isolate) return so_check_child(sr, m, rc);
    so_ctx c;
    so_ctx_init(&c, sr, rc, -1);
    int ret = sr->desc.check(m, &c.pub);
    so_ctx_fini(&c);
    if (ret < 0) {
        ctx_notify(rc, "rule/error", LEVEL_ERROR, "rule '%s' (plugin %s) failed: check returned %d (%s)",
                   sr->desc.id, sr->pl->base, ret, so_code_name(ret));
        return -1;
    }
    return 0;
}

/* ---- loading ------------------------------------------------------------------- */

/* Same identifier syntax registry_add accepts for option names. */
static bool so_option_name_ok(const char *s) {
    if (so_empty(s) || !((*s >= 'a' && *s <= 'z') || *s == '_')) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* Read and check one option; NULL, or why it is unusable (field named). */
static const char *so_read_option(const cml_option *po, cml_option *o, uint32_t abi, char *why, size_t wl) {
    uint32_t size;
    memcpy(&size, po, sizeof size);
    if (size < SO_OPTION_MIN || size > SO_MAX_STRUCT) {
        snprintf(why, wl, "field 'size' of cml_option is %u bytes; ABI %u needs %zu..%u", size, abi,
                 (size_t)SO_OPTION_MIN, SO_MAX_STRUCT);
        return why;
    }
    so_copy_sized(o, sizeof *o, po, size);
    int bad = so_reserved_nonzero(o->reserved, sizeof o->reserved / sizeof o->reserved[0]);
    if (bad >= 0) {
        snprintf(why, wl, "field 'reserved[%d]' of option '%s' is not zero (reserved in ABI %u)", bad,
                 o->name ? o->name : "?", abi);
        return why;
    }
    if (!so_option_name_ok(o->name)) {
        snprintf(why, wl, "field 'name' of an option is missing or not an identifier ([a-z_][A-Za-z0-9_]*)");
        return why;
    }
    if (o->type < CML_OPT_BOOL || o->type > CML_OPT_STRINGS) {
        snprintf(why, wl, "field 'type' of option '%s' is %d (CML_OPT_BOOL..CML_OPT_STRINGS)", o->name,
                 (int)o->type);
        return why;
    }
    if (so_empty(o->doc)) {
        snprintf(why, wl, "field 'doc' of option '%s' is missing or empty", o->name);
        return why;
    }
    return NULL;
}

/* Read and check one rule (not its uniqueness); NULL or why. */
static const char *so_read_rule(const cml_rule *pr, cml_rule *r, uint32_t abi, char *why, size_t wl) {
    uint32_t size;
    memcpy(&size, pr, sizeof size);
    if (size < SO_RULE_MIN || size > SO_MAX_STRUCT) {
        snprintf(why, wl, "field 'size' of cml_rule is %u bytes; ABI %u needs %zu..%u", size, abi,
                 (size_t)SO_RULE_MIN, SO_MAX_STRUCT);
        return why;
    }
    so_copy_sized(r, sizeof *r, pr, size);
    const char *id = r->id ? r->id : "?";
    int bad = so_reserved_nonzero(r->reserved, sizeof r->reserved / sizeof r->reserved[0]);
    if (bad >= 0) {
        snprintf(why, wl, "rule '%s': field 'reserved[%d]' of cml_rule is not zero (reserved in ABI %u; the "
                 "plugin may need a newer host)", id, bad, abi);
        return why;
    }
    if (so_empty(r->id)) {
        snprintf(why, wl, "a rule's field 'id' is missing or empty");
        return why;
    }
    if (!rule_id_valid(r->id)) {
        snprintf(why, wl, "rule '%s': field 'id' is not of the form category/kebab-name ([a-z0-9-]+/[a-z0-9-]+)",
                 id);
        return why;
    }
#define SO_REQUIRE(f)                                                                             \
    if (so_empty(r->f)) {                                                                         \
        snprintf(why, wl, "rule '%s': field '" #f "' is missing or empty (required: id, name, summary, " \
                 "help_md, default_level, check)", id);                                           \
        return why;                                                                               \
    }
    SO_REQUIRE(name)
    SO_REQUIRE(summary)
    SO_REQUIRE(help_md)
#undef SO_REQUIRE
    if ((int)r->default_level < CML_NOTE || (int)r->default_level > CML_ERROR) {
        snprintf(why, wl, "rule '%s': field 'default_level' is %d (CML_NOTE, CML_WARNING or CML_ERROR)", id,
                 (int)r->default_level);
        return why;
    }
    if (!r->check) {
        snprintf(why, wl, "rule '%s': field 'check' is missing", id);
        return why;
    }
    for (size_t i = 0; r->tags && r->tags[i]; i++) {
        if (i >= SO_MAX_TAGS) {
            snprintf(why, wl, "rule '%s': field 'tags' has more than %d entries (or no NULL end)", id, SO_MAX_TAGS);
            return why;
        }
        if (!*r->tags[i]) {
            snprintf(why, wl, "rule '%s': field 'tags[%zu]' is empty", id, i);
            return why;
        }
    }
    for (size_t i = 0; r->options && r->options[i]; i++) {
        if (i >= SO_MAX_OPTIONS) {
            snprintf(why, wl, "rule '%s': field 'options' has more than %d entries (or no NULL end)", id,
                     SO_MAX_OPTIONS);
            return why;
        }
        cml_option o, p;
        char sub[512];
        if (so_read_option(r->options[i], &o, abi, sub, sizeof sub)) {
            snprintf(why, wl, "rule '%s': options[%zu]: %s", id, i, sub);
            return why;
        }
        for (size_t j = 0; j < i; j++) {
            so_read_option(r->options[j], &p, abi, sub, sizeof sub);
            if (!strcmp(p.name, o.name)) {
                snprintf(why, wl, "rule '%s': field 'name' of options[%zu] duplicates option '%s'", id, i, o.name);
                return why;
            }
        }
    }
    return NULL;
}

static cJSON *so_option_default(const cml_option *o) {
    switch (o->type) {
    case CML_OPT_BOOL: return cJSON_CreateBool(o->default_bool);
    case CML_OPT_INT: return cJSON_CreateNumber((double)o->default_int);
    case CML_OPT_NUMBER: return isfinite(o->default_number) ? cJSON_CreateNumber(o->default_number) : cJSON_CreateNull();
    case CML_OPT_STRING: return o->default_string ? cJSON_CreateString(o->default_string) : cJSON_CreateNull();
    case CML_OPT_STRINGS: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; a && o->default_strings && o->default_strings[i] && i < 4096; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(o->default_strings[i]));
        return a;
    }
    }
    return NULL;
}

static char *so_dup(const char *s, bool *oom) {
    if (!s) return NULL;
    char *d = host_strdup(s);
    if (!d) *oom = true;
    return d;
}

/* The host_rule for an accepted cml_rule, or NULL when out of memory. */
static host_rule *so_make_rule(so_plugin *pl, const cml_rule *cr, const char *path) {
    host_rule *r = rule_new();
    so_rule *sr = calloc(1, sizeof *sr);
    if (!r || !sr) {
        free(sr);
        rule_free(r);
        return NULL;
    }
    bool oom = false;
    r->id = so_dup(cr->id, &oom);
    r->name = so_dup(cr->name, &oom);
    r->summary = so_dup(cr->summary, &oom);
    r->description = so_dup(so_empty(cr->description) ? cr->summary : cr->description, &oom);
    r->help_md = so_dup(cr->help_md, &oom);
    r->help_uri = so_dup(cr->help_uri, &oom);
    r->default_level = (int)cr->default_level;
    /* opt-in rules start disabled; config_apply turns them on only when
     * `enable` / --enable names them (unknown flag bits are ignored) */
    if (cr->flags & CML_RULE_OPT_IN) r->enabled = false;
    r->kind = so_engine.name;
    r->origin = so_dup(path, &oom);
    size_t nt = 0, no = 0;
    while (cr->tags && cr->tags[nt]) nt++;
    while (cr->options && cr->options[no]) no++;
    if (nt) {
        r->tags = calloc(nt, sizeof *r->tags);
        if (!r->tags) oom = true;
        for (size_t i = 0; r->tags && i < nt; i++, r->n_tags++) r->tags[i] = so_dup(cr->tags[i], &oom);
    }
    if (no) {
        r->options = calloc(no, sizeof *r->options);
        if (!r->options) oom = true;
        for (size_t i = 0; r->options && i < no; i++, r->n_options++) {
            cml_option o;
            char why[256];
            so_read_option(cr->options[i], &o, pl->abi, why, sizeof why);
            r->options[i].name = so_dup(o.name, &oom);
            r->options[i].doc = so_dup(o.doc, &oom);
            r->options[i].type = (opt_type)o.type; /* same numbering as cml_option_type */
            r->options[i].default_value = so_option_default(&o);
            if (!r->options[i].default_value) oom = true;
        }
    }
    sr->pl = pl;
    sr->desc = *cr;
    sr->desc.id = r->id; /* the host's copy: outlives nothing, but never dangles */
    pl->refs++;
    r->eng = &so_engine;
    r->engine_data = sr;
    if (oom) {
        rule_free(r);
        return NULL;
    }
    return r;
}

typedef const cml_plugin *(*so_entry_ptr)(uint32_t *abi, const cml_host *host);

int so_load_plugin(registry *reg, const char *path, bool bundled, const host_limits *lim) {
    if (!reg || !path) return 0;
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        so_unusable(reg, path, "cannot be loaded: %s", e ? e : "dlopen failed");
        return 0;
    }
    void *sym = dlsym(dl, CML_PLUGIN_ENTRY_SYMBOL);
    if (!sym) {
        so_unusable(reg, path, "has no symbol '%s' (not a coreml-lint plugin, or built without "
                    "CML_PLUGIN_DEFINE)", CML_PLUGIN_ENTRY_SYMBOL);
        dlclose(dl);
        return 0;
    }
    so_entry_ptr entry;
    memcpy(&entry, &sym, sizeof entry); /* POSIX: dlsym's object pointer is the function */

    uint32_t abi = CML_ABI_VERSION;
    const cml_plugin *pd = entry(&abi, &so_host);
    if (!pd) {
        so_unusable(reg, path, "declined to load (cml_plugin_entry returned NULL for host ABI %u)",
                    CML_ABI_VERSION);
        dlclose(dl);
        return 0;
    }
    if (abi > CML_ABI_VERSION) {
        so_unusable(reg, path, "ABI %u is newer than this host (newest %u)", abi, CML_ABI_VERSION);
        dlclose(dl);
        return 0;
    }
    if (abi < CML_ABI_MIN) {
        so_unusable(reg, path, "ABI %u is older than this host supports (oldest %u)", abi, CML_ABI_MIN);
        dlclose(dl);
        return 0;
    }
    so_plugin *pl = calloc(1, sizeof *pl);
    if (!pl || !(pl->path = host_strdup(path))) {
        free(pl);
        so_unusable(reg, path, "out of memory");
        dlclose(dl);
        return 0;
    }
    pl->dl = dl;
    pl->base = so_base(pl->path);
    pl->abi = abi;
    pl->bundled = bundled;
    plugin_isolation iso = lim ? lim->isolation : ISOLATE_AUTO;
    pl->isolate = iso == ISOLATE_ALWAYS || (iso == ISOLATE_AUTO && !bundled);
    pl->refs = 1;

    uint32_t size;
    memcpy(&size, pd, sizeof size);
    char why[1024];
    const char *bad = NULL;
    if (size < SO_PLUGIN_MIN || size > SO_MAX_STRUCT) {
        snprintf(why, sizeof why, "field 'size' of cml_plugin is %u bytes; ABI %u needs %zu..%u", size, abi,
                 (size_t)SO_PLUGIN_MIN, SO_MAX_STRUCT);
        bad = why;
    } else {
        so_copy_sized(&pl->desc, sizeof pl->desc, pd, size);
        const cml_plugin *d = &pl->desc;
        int k = so_reserved_nonzero(d->reserved, sizeof d->reserved / sizeof d->reserved[0]);
        if (k >= 0) {
            snprintf(why, sizeof why, "field 'reserved[%d]' of cml_plugin is not zero (reserved in ABI %u; the "
                     "plugin may need a newer host)", k, abi);
            bad = why;
        } else if (d->abi < abi) {
            snprintf(why, sizeof why, "field 'abi' is %u but the plugin negotiated ABI %u (built with older "
                     "headers than it claims to speak)", d->abi, abi);
            bad = why;
        } else if (so_empty(d->name)) {
            snprintf(why, sizeof why, "field 'name' of cml_plugin is missing or empty");
            bad = why;
        } else if (so_empty(d->version)) {
            snprintf(why, sizeof why, "field 'version' of cml_plugin is missing or empty");
            bad = why;
        } else if (!d->rules || !d->rules[0]) {
            snprintf(why, sizeof why, "field 'rules' lists no rule");
            bad = why;
        }
    }
    /* Every rule must be acceptable before any is registered. */
    cml_rule *rules = NULL;
    size_t n_rules = 0;
    if (!bad) {
        while (pl->desc.rules[n_rules] && n_rules <= SO_MAX_RULES) n_rules++;
        if (n_rules > SO_MAX_RULES) {
            snprintf(why, sizeof why, "field 'rules' has more than %d entries (or no NULL end)", SO_MAX_RULES);
            bad = why;
        } else if (!(rules = calloc(n_rules, sizeof *rules))) {
            snprintf(why, sizeof why, "out of memory");
            bad = why;
        }
    }
    for (size_t i = 0; !bad && i < n_rules; i++) {
        char sub[768];
        if (so_read_rule(pl->desc.rules[i], &rules[i], abi, sub, sizeof sub)) {
            snprintf(why, sizeof why, "rules[%zu]: %s", i, sub);
            bad = why;
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(rules[j].id, rules[i].id)) {
                snprintf(why, sizeof why, "rules[%zu]: rule '%s': field 'id' appears twice in this plugin", i,
                         rules[i].id);
                bad = why;
            }
        const host_rule *old = bad ? NULL : registry_find(reg, rules[i].id);
        if (old) {
            snprintf(why, sizeof why, "rules[%zu]: rule '%s': field 'id' duplicates the rule loaded from %s", i,
                     rules[i].id,
                     so_empty(old->origin) ? "(built in)" : old->origin);
            bad = why;
        }
    }
    if (!bad && pl->desc.init) {
        int rc = pl->desc.init(&so_host, &pl->state);
        if (rc != 0) {
            snprintf(why, sizeof why, "init failed (returned %d)", rc);
            bad = why;
        } else {
            pl->inited = true;
        }
    }
    if (bad) {
        so_unusable(reg, path, "%s", bad);
        free(rules);
        so_plugin_unref(pl);
        return 0;
    }
    int added = 0;
    for (size_t i = 0; i < n_rules; i++) {
        host_rule *r = so_make_rule(pl, &rules[i], path);
        if (!r) {
            so_unusable(reg, path, "rule '%s': out of memory", rules[i].id);
            continue;
        }
        if (registry_add(reg, r) == 0) added++;
    }
    free(rules);
    so_plugin_unref(pl);
    return added;
}

static int so_name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int so_load_dir(registry *reg, const char *dir, bool bundled, const host_limits *lim) {
    if (!reg || !dir) return 0;
    DIR *d = opendir(dir);
    if (!d) {
        registry_notify(reg, NULL, "plugin/unusable", LEVEL_ERROR, dir, 0, "cannot read plugin folder %s: %s", dir,
                        strerror(errno));
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || e->d_name[0] == '.' || strcmp(e->d_name + len - 3, ".so") != 0) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) break;
            names = nn;
            cap = nc;
        }
        if (!(names[n] = host_strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, so_name_cmp); /* deterministic order */
    int added = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *p = malloc(len);
        if (p) {
            snprintf(p, len, "%s/%s", dir, names[i]);
            added += so_load_plugin(reg, p, bundled, lim);
            free(p);
        }
        free(names[i]);
    }
    free(names);
    return added;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* services.c — engine "so": the host services a plugin calls, one static
 * cml_host table. In an isolated child they serialize instead of touching
 * the parent's state (reports, logs, usage errors and run properties as
 * frames). weight_read and weight_stored_as accept only weights of the
 * checked model or of a model the check loaded through load_model (kept by
 * run.c until the model's checks end); add_property stores per-model JSON
 * facts in the run's properties (the runtime probe's figures). */
#define _POSIX_C_SOURCE 200809L
#include "format/sanitize.h"
#include "host/so/so_int.h"

/* ---- host services (the cml_host table) ------------------------------------ */

so_ctx *so_ctx_of(cml_ctx *c) { return (so_ctx *)c; }

void so_put(so_buf *b, const void *d, size_t n) {
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
void so_put_u8(so_buf *b, uint8_t v) { so_put(b, &v, 1); }
void so_put_u32(so_buf *b, uint32_t v) { so_put(b, &v, 4); }
void so_put_u64(so_buf *b, uint64_t v) { so_put(b, &v, 8); }
void so_put_str(so_buf *b, const char *s) {
    if (!s) {
        so_put_u32(b, UINT32_MAX);
        return;
    }
    size_t n = strlen(s);
    if (n > SO_MAX_STR) n = SO_MAX_STR;
    so_put_u32(b, (uint32_t)n);
    so_put(b, s, n);
}
void so_put_loc(so_buf *b, const cml_loc *l) {
    so_put_str(b, l->artifact);
    so_put_str(b, l->logical);
    so_put_u64(b, l->byte_offset);
    so_put_u64(b, l->byte_length);
    so_put_u32(b, l->line);
    so_put_u32(b, l->column);
    so_put_u8(b, l->has_bytes ? 1 : 0);
}

/* Frame = u32 body length, then the body (u8 type first). */
void so_send(so_ctx *c, so_buf *b) {
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
    return ctx_report(c->rc, &a) < 0 ? -1 : 0;   /* the ABI's 0 or -1 */
}

static void so_h_log(cml_ctx *pc, cml_level level, const char *message) {
    int lv = (int)level < LEVEL_NOTE ? LEVEL_NOTE : (int)level > LEVEL_ERROR ? LEVEL_ERROR : (int)level;
    if (!message) message = "";
    if (!pc) {
        char *m = san_str(message, SAN_LINE);   /* the plugin's words, one safe line */
        fprintf(stderr, "coreml-lint: plugin %s: %s\n", level_name(lv), m ? m : "");
        free(m);
        return;
    }
    so_ctx *c = so_ctx_of(pc);
    if (c->fd >= 0) so_child_note(c, SO_NOTE_LOG, lv, message);
    else ctx_notify(c->rc, NOTE_PLUGIN_LOG, lv, "%s", message);
}

/* The user's own input to the rule (a file an option names, a folder to
 * write) is unusable: a NOTE_USAGE notification, which ends the run with
 * exit 2 like a bad flag. */
static void so_h_usage_error(cml_ctx *pc, const char *message) {
    if (!message) message = "";
    if (!pc) {
        char *m = san_str(message, SAN_LINE);
        fprintf(stderr, "coreml-lint: plugin error: %s\n", m ? m : "");
        free(m);
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

/* The weights of m and its sub-models, appended to c->weights (growing
 * *cap); -1 out of memory. */
static int so_collect_weights(so_ctx *c, const cml_model *m, int depth, size_t *cap) {
    if (!m || depth > IR_MAX_DEPTH) return 0;
    for (size_t i = 0; i < m->n_weights; i++) {
        if (c->n_weights == *cap) {
            size_t nc = *cap ? *cap * 2 : 256;
            const cml_weight **nw = realloc(c->weights, nc * sizeof *nw);
            if (!nw) return -1;
            c->weights = nw;
            *cap = nc;
        }
        c->weights[c->n_weights++] = m->weights[i];
    }
    for (size_t i = 0; i < m->n_sub_models; i++)
        if (so_collect_weights(c, m->sub_models[i], depth + 1, cap) != 0) return -1;
    return 0;
}

static int so_ptr_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)*(const cml_weight *const *)a, y = (uintptr_t)*(const cml_weight *const *)b;
    return (x > y) - (x < y);
}

/* Is w a weight of the checked model (or of its sub-models) or of one loaded
 * for this check? ir_weight_read trusts its argument to be the host's own
 * weight; a plugin's pointer is checked, against a sorted set built once
 * per check and again when the check loads another model (scanning every
 * weight per call made a plugin that reads each weight quadratic: 100,000
 * weights took 2.8 s). */
static bool so_weight_ok(so_ctx *c, const cml_weight *w) {
    if (w == c->known_weight) return true;
    size_t loaded = 0;
    while (ctx_loaded_model(c->rc, loaded)) loaded++;
    if (!c->weights || c->weights_models != loaded) {
        free(c->weights);
        c->weights = NULL;
        c->n_weights = 0;
        size_t cap = 0;
        int rc = so_collect_weights(c, ctx_model(c->rc), 0, &cap);
        for (size_t i = 0; rc == 0 && i < loaded; i++) rc = so_collect_weights(c, ctx_loaded_model(c->rc, i), 0, &cap);
        if (rc != 0) {
            free(c->weights);
            c->weights = NULL;
            c->n_weights = 0;
            return false;
        }
        if (c->n_weights) qsort(c->weights, c->n_weights, sizeof *c->weights, so_ptr_cmp);
        c->weights_models = loaded;
    }
    bool ok = c->n_weights && bsearch(&w, c->weights, c->n_weights, sizeof *c->weights, so_ptr_cmp);
    if (ok) c->known_weight = w;
    return ok;
}

static size_t so_h_weight_read(cml_ctx *pc, const cml_weight *w, uint64_t offset, void *buf, size_t n) {
    if (!pc || !w || !buf || !n) return 0;
    so_ctx *c = so_ctx_of(pc);
    if (!so_weight_ok(c, w)) return 0;
    return ir_weight_read(w, offset, buf, n);
}

static const void *so_h_weight_bytes(cml_ctx *pc, const cml_weight *w, uint64_t *nbytes) {
    if (nbytes) *nbytes = 0;
    if (!pc || !w || !nbytes || !so_weight_ok(so_ctx_of(pc), w)) return NULL;
    if (ir_weight_stored_as(w, NULL) == CML_DT_STRING) return NULL;   /* strings, not bytes */
    const void *p = ir_weight_data(w);
    if (p) *nbytes = w->nbytes;
    return p;
}

static int so_h_weight_stats(cml_ctx *pc, const cml_weight *w, cml_weight_stats *out, size_t size) {
    if (!out || !size) return -1;
    memset(out, 0, size);
    if (!pc || !w || !so_weight_ok(so_ctx_of(pc), w)) return -1;
    cml_weight_stats s;
    so_ctx *c = so_ctx_of(pc);
    double t0 = host_now_s();
    if (c->fd < 0) ctx_count_weights(c->rc, w);   /* not in an isolated child: its counts would be lost */
    int rc = ir_weight_stats(w, &s);
    if (c->fd < 0) ctx_account_shared(c->rc, host_now_s() - t0);   /* a child's time is the child's */
    if (rc != 0) return -1;
    memcpy(out, &s, size < sizeof s ? size : sizeof s);   /* an older plugin's shorter struct */
    return 0;
}

static cml_dtype so_h_weight_stored_as(cml_ctx *pc, const cml_weight *w, const char *const **strings) {
    if (strings) *strings = NULL;
    if (!pc || !w || !so_weight_ok(so_ctx_of(pc), w)) return CML_DT_UNKNOWN;
    return ir_weight_stored_as(w, strings);
}


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

const cml_host so_host = {
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
    .weight_bytes = so_h_weight_bytes,
    .weight_stats = so_h_weight_stats,
};

void so_ctx_init(so_ctx *c, so_rule *sr, rule_ctx *rc, int fd) {
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

void so_ctx_fini(so_ctx *c) {
    free(c->weights);
    c->weights = NULL;
    while (c->scratch) {
        so_scratch *n = c->scratch->next;
        free(c->scratch);
        c->scratch = n;
    }
}


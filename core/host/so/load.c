/* SPDX-License-Identifier: Apache-2.0 */
/* load.c — engine "so": loading. Loading (so_load_plugin) is all-or-nothing
 * per plugin: dlopen with RTLD_NOW|RTLD_LOCAL, find cml_plugin_entry,
 * negotiate the ABI (the host passes its newest, the plugin writes back the
 * one it speaks), then read every struct the plugin hands over by its own
 * size field — copy min(size, sizeof) and zero the rest, never the host's
 * sizeof — and check reserved fields, rule ids (syntax and uniqueness
 * across everything loaded), metadata and options before a single rule is
 * registered; any failure is one plugin/unusable notification naming the
 * file, the field and the versions, and the run goes on. Each cml_rule
 * becomes a host_rule whose engine_data points back at the rule (disabled
 * when it is flagged CML_RULE_OPT_IN); the plugin (dlopen handle, init
 * state) is reference-counted by its rules and fini'd and dlclose'd when
 * the last one is freed. */
#define _POSIX_C_SOURCE 200809L
#include "format/fsutil.h"
#include "host/so/so_int.h"

/* ---- small helpers ------------------------------------------------------- */

const char *so_base(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

bool so_empty(const char *s) { return !s || !*s; }

const char *so_code_name(int rc) {
    switch (rc) {
    case CML_EFAIL: return "CML_EFAIL";
    case CML_ENOMEM: return "CML_ENOMEM";
    case CML_EINVAL: return "CML_EINVAL";
    case CML_EIO: return "CML_EIO";
    case CML_EUNSUPPORTED: return "CML_EUNSUPPORTED";
    default: return "unknown code";
    }
}

/* Copy a plugin struct of `size` bytes into dst (dst_size bytes): at most
 * what both sides have, the rest zeroed. */
void so_copy_sized(void *dst, size_t dst_size, const void *src, uint32_t size) {
    memset(dst, 0, dst_size);
    memcpy(dst, src, size < dst_size ? size : dst_size);
}

int so_reserved_nonzero(void *const *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (r[i]) return (int)i;
    return -1;
}

void so_unusable(registry *reg, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void so_unusable(registry *reg, const char *path, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    registry_notify(reg, NULL, "plugin/unusable", LEVEL_ERROR, path, 0, "%s: %s", so_base(path), msg);
}

void so_plugin_unref(so_plugin *pl) {
    if (!pl || --pl->refs) return;
    if (pl->inited && pl->desc.fini) pl->desc.fini(pl->state);
    if (pl->dl) dlclose(pl->dl);
    free(pl->path);
    free(pl);
}

/* ---- the engine ------------------------------------------------------------ */


static void so_free_rule(host_rule *r) {
    so_rule *sr = r->engine_data;
    r->engine_data = NULL;
    if (!sr) return;
    so_plugin_unref(sr->pl);
    free(sr);
}

const engine so_engine = {"so", so_check, so_free_rule, false};

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
            r->options[i].names_file = (o.flags & CML_OPT_NAMES_FILE) != 0;
            r->options[i].limit = (o.flags & CML_OPT_LIMIT) != 0 && (o.type == CML_OPT_INT || o.type == CML_OPT_NUMBER);
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
    /* dlopen would block on a FIFO: a plugin is a regular file */
    int fd = fs_open_regular(path);
    if (fd < 0) {
        so_unusable(reg, path, "cannot be loaded: %s", fs_strerror(errno));
        return 0;
    }
    close(fd);
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
        if (old && host_same_file(old->origin, path)) {
            /* the same plugin named twice (a link, the config and the
             * command line): loaded once, without a word */
            free(rules);
            so_plugin_unref(pl);
            return 0;
        }
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


/* SPDX-License-Identifier: Apache-2.0 */
/* registry.c — the rule table every engine fills and every later stage
 * reads. registry_add is the one gate: a rule enters only with a valid
 * `category/kebab-name` id unique across everything loaded, a name, a
 * summary, help text, a level, a check function and well-formed options;
 * anything else is refused with a notification naming the file and the
 * field, and the rest of the run goes on (luacheck's startup assertion, a
 * notification instead of a crash for third-party rules). The registry
 * also holds the run's notifications (notes.c). Rules are kept sorted by
 * id, which is the order the scheduler runs them and SARIF lists them. It
 * names no engine and no folder (core/cli/sources.c does). */
#define _DEFAULT_SOURCE
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/registry.h"
#include "host/util.h"

typedef struct reg_entry {
    host_rule *r;
    bool level_set;
} reg_entry;

struct registry {
    reg_entry *rules;
    size_t n, cap;
    char **refused;
    size_t n_refused, cap_refused;
    notes *notes;
};

registry *registry_new(void) {
    registry *reg = calloc(1, sizeof(registry));
    if (reg && !(reg->notes = notes_new())) {
        free(reg);
        return NULL;
    }
    return reg;
}


void registry_free(registry *reg) {
    if (!reg) return;
    for (size_t i = 0; i < reg->n; i++) rule_free(reg->rules[i].r);
    free(reg->rules);
    for (size_t i = 0; i < reg->n_refused; i++) free(reg->refused[i]);
    free(reg->refused);
    notes_free(reg->notes);
    free(reg);
}

size_t registry_count(const registry *reg) { return reg ? reg->n : 0; }

host_rule *registry_rule(const registry *reg, size_t i) {
    return reg && i < reg->n ? reg->rules[i].r : NULL;
}

/* index of id, or -(insertion point) - 1 */
static long find_index(const registry *reg, const char *id) {
    size_t lo = 0, hi = reg->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(reg->rules[mid].r->id, id);
        if (!c) return (long)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -(long)lo - 1;
}

host_rule *registry_find(const registry *reg, const char *id) {
    if (!reg || !id) return NULL;
    long i = find_index(reg, id);
    return i >= 0 ? reg->rules[i].r : NULL;
}

bool registry_was_refused(const registry *reg, const char *id) {
    for (size_t i = 0; reg && id && i < reg->n_refused; i++)
        if (!strcmp(reg->refused[i], id)) return true;
    return false;
}

static reg_entry *entry_of(const registry *reg, const host_rule *r) {
    if (!reg || !r || !r->id) return NULL;
    long i = find_index(reg, r->id);
    return i >= 0 && reg->rules[i].r == r ? &reg->rules[i] : NULL;
}

void registry_set_level_configured(registry *reg, const host_rule *r, bool on) {
    reg_entry *e = entry_of(reg, r);
    if (e) e->level_set = on;
}

bool registry_level_configured(const registry *reg, const host_rule *r) {
    reg_entry *e = entry_of(reg, r);
    return e && e->level_set;
}

notes *registry_notes(const registry *reg) { return reg ? reg->notes : NULL; }

size_t registry_n_notes(const registry *reg) { return reg ? notes_count(reg->notes) : 0; }

const notification *registry_note(const registry *reg, size_t i) { return reg ? notes_get(reg->notes, i) : NULL; }

void registry_vnotify(registry *reg, const char *rule_id, const char *kind, int level, const char *model_path,
                      const char *file, uint32_t line, const char *fmt, va_list ap) {
    if (reg) notes_vpost(reg->notes, rule_id, kind, level, model_path, file, line, fmt, ap);
}

void registry_notify(registry *reg, const char *rule_id, const char *kind, int level, const char *file,
                     uint32_t line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    registry_vnotify(reg, rule_id, kind, level, NULL, file, line, fmt, ap);
    va_end(ap);
}

/* ---- registry_add: validation ------------------------------------------- */

static bool empty(const char *s) { return !s || !*s; }

static bool option_name_valid(const char *s) {
    if (empty(s) || !((*s >= 'a' && *s <= 'z') || *s == '_')) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* Why the rule cannot be registered (field and reason), or NULL. */
static const char *invalid_field(const host_rule *r, char *field, size_t fieldlen) {
#define BAD(f, why)                                  \
    do {                                             \
        snprintf(field, fieldlen, "%s", f);          \
        return why;                                  \
    } while (0)
    if (empty(r->id)) BAD("id", "is missing or empty");
    if (!rule_id_valid(r->id)) BAD("id", "is not of the form category/kebab-name ([a-z0-9-]+/[a-z0-9-]+)");
    if (empty(r->name)) BAD("name", "is missing or empty");
    if (empty(r->summary)) BAD("summary", "is missing or empty");
    if (empty(r->help_md)) BAD("help", "is missing or empty");
    if (r->default_level < LEVEL_NOTE || r->default_level > LEVEL_ERROR)
        BAD("level", "must be note, warning or error");
    if (!r->eng || !r->eng->check) BAD("check", "is missing");
    if (r->n_tags && !r->tags) BAD("tags", "is missing");
    for (size_t i = 0; i < r->n_tags; i++)
        if (empty(r->tags[i])) {
            snprintf(field, fieldlen, "tags[%zu]", i + 1);
            return "is empty";
        }
    for (size_t i = 0; i < r->n_confirmed_by; i++)
        if (r->confirmed_by && r->confirmed_by[i] && !strcmp(r->confirmed_by[i], r->id)) {
            /* a finding of the rule would restate another of its own */
            snprintf(field, fieldlen, "confirmed_by[%zu]", i + 1);
            return "names the rule itself";
        }
    if (r->n_options && !r->options) BAD("options", "is missing");
    for (size_t i = 0; i < r->n_options; i++) {
        const rule_option *o = &r->options[i];
        if (!option_name_valid(o->name)) {
            snprintf(field, fieldlen, "options[%zu].name", i + 1);
            return "is not an identifier ([a-z_][A-Za-z0-9_]*)";
        }
        snprintf(field, fieldlen, "options.%s", o->name);
        if (o->type < OPT_BOOL || o->type > OPT_STRINGS)
            return "has no valid type (bool, int, number, string, strings)";
        if (o->default_value && !cJSON_IsNull(o->default_value) && !host_option_type_ok(o->default_value, o->type))
            return "has a default value of the wrong type";
        for (size_t j = 0; j < i; j++)
            if (!strcmp(r->options[j].name, o->name)) return "is declared twice";
    }
    return NULL;
#undef BAD
}

static void refuse(registry *reg, host_rule *r, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse(registry *reg, host_rule *r, const char *kind, const char *fmt, ...) {
    const char *file = empty(r->origin) ? NULL : r->origin;
    va_list ap;
    va_start(ap, fmt);
    registry_vnotify(reg, NULL, kind, LEVEL_ERROR, NULL, file, 0, fmt, ap);
    va_end(ap);
    if (!empty(r->id) && reg->n_refused < 100000) {
        if (reg->n_refused == reg->cap_refused) {
            size_t nc = reg->cap_refused ? reg->cap_refused * 2 : 8;
            char **nr = realloc(reg->refused, nc * sizeof *nr);
            if (nr) {
                reg->refused = nr;
                reg->cap_refused = nc;
            }
        }
        if (reg->n_refused < reg->cap_refused) {
            char *s = host_strdup(r->id);
            if (s) reg->refused[reg->n_refused++] = s;
        }
    }
    rule_free(r);
}

static cJSON *default_options(const host_rule *r) {
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < r->n_options; i++)
        if (r->options[i].default_value)
            cJSON_AddItemToObject(o, r->options[i].name, cJSON_Duplicate(r->options[i].default_value, 1));
    return o;
}

int registry_add(registry *reg, host_rule *r) {
    if (!r) return -1;
    if (!reg) {
        rule_free(r);
        return -1;
    }
    const char *kind = (r->kind && !strcmp(r->kind, "so")) || (r->eng && r->eng->name && !strcmp(r->eng->name, "so"))
                           ? "plugin/unusable"
                           : "rule/load-error";
    const char *where = empty(r->origin) ? "(built in)" : r->origin;
    char field[64];
    const char *why = invalid_field(r, field, sizeof field);
    if (why) {
        refuse(reg, r, kind, "rule '%s' from %s is unusable: field '%s' %s", empty(r->id) ? "?" : r->id, where,
               field, why);
        return -1;
    }
    long at = find_index(reg, r->id);
    if (at >= 0 && host_same_file(reg->rules[at].r->origin, r->origin)) {
        rule_free(r);   /* one file named twice (a folder in the config and on the command line): loaded once */
        return 1;
    }
    if (at >= 0) {
        const host_rule *old = reg->rules[at].r;
        refuse(reg, r, kind, "rule '%s' from %s is unusable: field 'id' duplicates the rule loaded from %s",
               r->id, where, empty(old->origin) ? "(built in)" : old->origin);
        return -1;
    }
    if (reg->n == reg->cap) {
        size_t nc = reg->cap ? reg->cap * 2 : 32;
        reg_entry *ne = realloc(reg->rules, nc * sizeof *ne);
        if (!ne) {
            rule_free(r);
            return -1;
        }
        reg->rules = ne;
        reg->cap = nc;
    }
    if (!r->kind && r->eng) r->kind = r->eng->name;
    if (!r->kind) r->kind = "unknown";
    if (empty(r->description)) {
        free(r->description);
        r->description = host_strdup(r->summary);
    }
    if (!r->origin) r->origin = host_strdup("");
    r->level = r->default_level;
    cJSON_Delete(r->options_config);
    r->options_config = default_options(r);
    size_t pos = (size_t)(-at - 1);
    memmove(reg->rules + pos + 1, reg->rules + pos, (reg->n - pos) * sizeof *reg->rules);
    reg->rules[pos].r = r;
    reg->rules[pos].level_set = false;
    reg->n++;
    return 0;
}

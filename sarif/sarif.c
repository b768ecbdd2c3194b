/* SPDX-License-Identifier: Apache-2.0 */
/* sarif.c — the SARIF 2.1.0 writer, shaped for GitHub code scanning first
 * (research/sarif-integration.md §0) and valid for every other consumer:
 * one run; tool.driver with every enabled rule's metadata (helpUri: the
 * rule's page in docs/rules/ for a bundled rule; precision: the rule's own,
 * rule_precision) plus a minimal descriptor for any rule a finding names
 * that is not enabled, so every result has a ruleIndex; results with
 * ruleId/ruleIndex/explicit level/plain message that names the op, a
 * repo-relative percent-encoded artifact URI under %SRCROOT% and a region
 * that is either a real line/column (text
 * artifacts: model.mil, *.json) or {"startLine": 1} (binary models) — a byte
 * range never shares a region with startLine: it goes into a separate
 * relatedLocations entry and into result.properties; the op path in
 * logicalLocations; the host's fingerprint as primaryLocationLineHash.
 * Suppressed findings are left out (GitHub ignores SARIF suppressions); at
 * most 25,000 results are written (the most severe kept, a notification says
 * so). invocations[0] carries success, every notification, the working
 * directory and, only on request, timestamps; artifacts[] carries length and
 * SHA-256 of each file (streamed, capped). Keys are added in a fixed order
 * and every array follows the run_result's order: same input, same bytes. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "coreml-lint/hash.h"
#include "format/fsutil.h"
#include "format/sha256.h"
#include "sarif/wcommon.h"
#include "sarif/writers.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#ifndef CML_HOMEPAGE
#define CML_HOMEPAGE "https://github.com/coreml-lint/coreml-lint"
#endif
#ifndef CML_VERSION
#define CML_VERSION "0.0.0"
#endif
#define SARIF_MAX_RESULTS 25000u              /* GitHub: results per run */
#define SARIF_MAX_TAGS 20u                    /* GitHub: tags per rule */
#define SARIF_MAX_DESC 1024u                  /* GitHub: short/fullDescription */
#define SARIF_MAX_NAME 255u                   /* GitHub: rule name */
#define SARIF_HASH_CAP ((uint64_t)512 << 20)  /* hash files up to 512 MiB */

/* Start of the run, for startTimeUtc: taken when the program starts, since
 * run_result carries no times (they are off by default for determinism). */
static struct timespec sarif_start_time;
__attribute__((constructor)) static void sarif_note_start(void) {
    clock_gettime(CLOCK_REALTIME, &sarif_start_time);
}

typedef struct srule {
    const host_rule *rule;  /* NULL: synthesized for an unknown rule id */
    const char *id;
} srule;

typedef struct sart {
    char *path;             /* as written in text output (model path + artifact) */
    char *uri;
    bool relative;
} sart;

typedef struct sstate {
    const run_result *r;
    srule *rules;
    size_t n_rules, cap_rules;
    sart *arts;
    size_t n_arts, cap_arts;
    size_t *slots;          /* hash index of arts by URI */
    size_t n_slots;         /* power of two, or 0 */
    char *real_root;        /* the source root's real path, or NULL */
    char *last_path;        /* the path art_add was last given, or NULL */
    long last_art;          /* its artifact */
    bool oom;
} sstate;

/* ---- small cJSON helpers that note allocation failures ------------------- */

static cJSON *add_item(sstate *S, cJSON *parent, const char *key, cJSON *item) {
    if (!item || !parent) {
        S->oom = true;
        cJSON_Delete(item);
        return NULL;
    }
    bool ok = key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item);
    if (!ok) {
        S->oom = true;
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}

static cJSON *add_obj(sstate *S, cJSON *parent, const char *key) {
    return add_item(S, parent, key, cJSON_CreateObject());
}

static cJSON *add_arr(sstate *S, cJSON *parent, const char *key) {
    return add_item(S, parent, key, cJSON_CreateArray());
}

/* Adds a string (made valid UTF-8) under key, or to an array when key is NULL. */
static void add_str(sstate *S, cJSON *parent, const char *key, const char *s) {
    char *c = sarif_clean(s, false);
    if (!c) {
        S->oom = true;
        return;
    }
    add_item(S, parent, key, cJSON_CreateString(c));
    free(c);
}

static void add_num(sstate *S, cJSON *parent, const char *key, double v) {
    add_item(S, parent, key, cJSON_CreateNumber(v));
}

static void add_bool(sstate *S, cJSON *parent, const char *key, bool v) {
    add_item(S, parent, key, cJSON_CreateBool(v));
}

/* {"text": s} */
static void add_message(sstate *S, cJSON *parent, const char *key, const char *s) {
    cJSON *m = add_obj(S, parent, key);
    if (m) add_str(S, m, "text", s);
}

static bool nonempty(const char *s) {
    return s && *s;
}

/* A string trimmed to a GitHub length limit (valid UTF-8, malloc'd). */
static char *limited(sstate *S, const char *s, size_t max) {
    char *c = sarif_clean(s, false);
    if (!c) {
        S->oom = true;
        return NULL;
    }
    sarif_truncate_utf8(c, max);
    return c;
}

/* ---- rules -------------------------------------------------------------- */

static long rule_index(const sstate *S, const char *id) {
    for (size_t i = 0; i < S->n_rules; i++)
        if (strcmp(S->rules[i].id, id) == 0) return (long)i;
    return -1;
}

static int push_rule(sstate *S, const host_rule *hr, const char *id) {
    if (S->n_rules == S->cap_rules) {
        size_t cap = S->cap_rules ? S->cap_rules * 2 : 16;
        srule *v = realloc(S->rules, cap * sizeof *v);
        if (!v) return -1;
        S->rules = v;
        S->cap_rules = cap;
    }
    S->rules[S->n_rules++] = (srule){hr, id};
    return 0;
}

/* Markdown -> plain text, minimally: drop code fences and heading marks,
 * backticks and strong emphasis, turn [text](url) into "text (url)". */
static char *md_to_text(const char *md) {
    size_t n = strlen(md);
    char *out = malloc(n * 2 + 1), *o = out;   /* "[t](u)" -> "t (u)" grows by <= 1 per link */
    if (!out) return NULL;
    const char *p = md;
    bool in_fence = false;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *q = p, *end = p + len;
        while (q < end && (*q == ' ' || *q == '\t')) q++;
        if ((size_t)(end - q) >= 3 && strncmp(q, "```", 3) == 0) {
            in_fence = !in_fence;
        } else if (in_fence) {
            memcpy(o, p, len);
            o += len;
            *o++ = '\n';
        } else {
            if (*q == '#') {
                while (q < end && *q == '#') q++;
                while (q < end && *q == ' ') q++;
            } else {
                q = p;
            }
            while (q < end) {
                if (*q == '`') {
                    q++;
                } else if ((q[0] == '*' && q + 1 < end && q[1] == '*') ||
                           (q[0] == '_' && q + 1 < end && q[1] == '_')) {
                    q += 2;
                } else if (*q == '[') {
                    const char *close = memchr(q, ']', (size_t)(end - q));
                    if (close && close + 1 < end && close[1] == '(') {
                        const char *rp = memchr(close, ')', (size_t)(end - close));
                        if (rp) {
                            for (const char *t = q + 1; t < close; t++)
                                if (*t != '`' && *t != '*') *o++ = *t;
                            *o++ = ' ';
                            memcpy(o, close + 1, (size_t)(rp - close));
                            o += rp - close;
                            q = rp + 1;
                            continue;
                        }
                    }
                    *o++ = *q++;
                } else {
                    *o++ = *q++;
                }
            }
            *o++ = '\n';
        }
        p = eol ? eol + 1 : p + len;
    }
    while (o > out && (o[-1] == '\n' || o[-1] == ' ' || o[-1] == '\t' || o[-1] == '\r')) o--;
    *o = 0;
    return out;
}

static const char *problem_severity(int level) {
    switch (level) {
    case LEVEL_ERROR: return "error";
    case LEVEL_WARNING: return "warning";
    default: return "recommendation";
    }
}

static int rule_level(const host_rule *hr) {
    return hr->level >= LEVEL_NOTE && hr->level <= LEVEL_ERROR ? hr->level : hr->default_level;
}

static void write_rule(sstate *S, cJSON *rules, const srule *sr) {
    cJSON *o = add_obj(S, rules, NULL);
    if (!o) return;
    const host_rule *hr = sr->rule;
    add_str(S, o, "id", sr->id);
    if (!hr) {   /* a finding's rule that is not enabled/known: minimal metadata */
        char *t = sarif_printf("Findings of rule %s.", sr->id);
        if (!t) {
            S->oom = true;
            return;
        }
        add_message(S, o, "shortDescription", t);
        add_message(S, o, "fullDescription", t);
        add_message(S, o, "help", t);
        free(t);
        cJSON *props = add_obj(S, o, "properties");
        if (props) {
            add_arr(S, props, "tags");
            add_str(S, props, "precision", "high");
            add_str(S, props, "problem.severity", "warning");
        }
        return;
    }
    const char *summary = nonempty(hr->summary) ? hr->summary : nonempty(hr->description) ? hr->description : sr->id;
    const char *full = nonempty(hr->description) ? hr->description : summary;
    if (nonempty(hr->name)) {
        char *nm = limited(S, hr->name, SARIF_MAX_NAME);
        if (nm) add_str(S, o, "name", nm);
        free(nm);
    }
    char *sd = limited(S, summary, SARIF_MAX_DESC), *fd = limited(S, full, SARIF_MAX_DESC);
    if (sd) add_message(S, o, "shortDescription", sd);
    if (fd) add_message(S, o, "fullDescription", fd);
    free(sd);
    free(fd);
    cJSON *help = add_obj(S, o, "help");
    if (help) {
        char *txt = nonempty(hr->help_md) ? md_to_text(hr->help_md) : sarif_strdup(full);
        if (!txt) S->oom = true;
        add_str(S, help, "text", nonempty(txt) ? txt : full);
        free(txt);
        if (nonempty(hr->help_md)) add_str(S, help, "markdown", hr->help_md);
    }
    char *uri = rule_help_uri(hr);
    if (nonempty(uri)) add_str(S, o, "helpUri", uri);
    free(uri);
    int lvl = rule_level(hr);
    cJSON *dc = add_obj(S, o, "defaultConfiguration");
    if (dc) add_str(S, dc, "level", level_name(lvl));
    cJSON *props = add_obj(S, o, "properties");
    if (props) {
        cJSON *tags = add_arr(S, props, "tags");
        for (size_t i = 0; tags && i < hr->n_tags && i < SARIF_MAX_TAGS; i++)
            if (nonempty(hr->tags[i])) add_str(S, tags, NULL, hr->tags[i]);
        add_str(S, props, "precision", rule_precision(hr));
        add_str(S, props, "problem.severity", problem_severity(lvl));
    }
}

/* ---- artifacts ---------------------------------------------------------- */

/* artifacts[] is indexed by an open-addressing hash of the path (slots hold
 * index + 1; 0 = empty), so 25,000 results on as many files stay linear. */
static size_t path_hash(const char *s) { return (size_t)cml_hash_str(s); }   /* keyed: paths are the models' */

static long art_find(const sstate *S, const char *path) {
    if (!S->n_slots) return -1;
    for (size_t k = path_hash(path) & (S->n_slots - 1);; k = (k + 1) & (S->n_slots - 1)) {
        size_t v = S->slots[k];
        if (!v) return -1;
        if (strcmp(S->arts[v - 1].uri, path) == 0) return (long)(v - 1);
    }
}

static void slot_put(size_t *slots, size_t n_slots, const char *path, size_t idx) {
    size_t k = path_hash(path) & (n_slots - 1);
    while (slots[k]) k = (k + 1) & (n_slots - 1);
    slots[k] = idx + 1;
}

/* path as its real path from the source root, when a symbolic link on the
 * way (a linked Models folder) leads to a file that is inside the root:
 * GitHub shows no result whose path goes through a symbolic link. NULL
 * when the file does not exist, leads out of the root, or the real path
 * is the path itself (then the path as the run holds it is kept). */
static char *real_under_root(const sstate *S, const char *path) {
    const char *wd = S->r->working_dir;
    if (!S->real_root || !wd || wd[0] != '/') return NULL;
    char *abs = path[0] == '/' ? sarif_strdup(path) : sarif_join_path(wd, path);
    char *real = abs ? fs_realpath(abs) : NULL;
    free(abs);
    char *out = NULL;
    size_t n = strlen(S->real_root);
    if (real && n > 1 && !strncmp(real, S->real_root, n) && real[n] == '/' && real[n + 1]) {
        bool o = false;
        char *lex = sarif_path_uri(path, wd, S->r->source_root, &o);
        char *enc = sarif_uri_encode(real + n + 1);
        if (lex && enc && strcmp(lex, enc)) out = sarif_strdup(real + n + 1);
        free(lex);
        free(enc);
    }
    free(real);
    return out;
}

/* Index of path in artifacts[], adding it (takes ownership of path). */
/* the artifact of path (taken), found by its URI or added */
static long art_add_uri(sstate *S, char *path) {
    /* one entry per URI: a file reached by two paths (a linked folder and
     * the folder itself) is one artifact, as SARIF wants them unique */
    bool rel = true;
    char *real = real_under_root(S, path);
    char *uri = real ? sarif_uri_encode(real) : sarif_path_uri(path, S->r->working_dir, S->r->source_root, &rel);
    free(real);
    if (!uri) {
        free(path);
        S->oom = true;
        return -1;
    }
    long i = art_find(S, uri);
    if (i >= 0) {
        free(path);
        free(uri);
        return i;
    }
    if ((S->n_arts + 1) * 2 > S->n_slots) {
        size_t n = S->n_slots ? S->n_slots * 2 : 64;
        size_t *slots = calloc(n, sizeof *slots);
        if (!slots) {
            free(path);
            free(uri);
            S->oom = true;
            return -1;
        }
        for (size_t k = 0; k < S->n_arts; k++) slot_put(slots, n, S->arts[k].uri, k);
        free(S->slots);
        S->slots = slots;
        S->n_slots = n;
    }
    if (S->n_arts == S->cap_arts) {
        size_t cap = S->cap_arts ? S->cap_arts * 2 : 16;
        sart *v = realloc(S->arts, cap * sizeof *v);
        if (!v) {
            free(path);
            free(uri);
            S->oom = true;
            return -1;
        }
        S->arts = v;
        S->cap_arts = cap;
    }
    S->arts[S->n_arts] = (sart){path, uri, rel};
    slot_put(S->slots, S->n_slots, uri, S->n_arts);
    return (long)S->n_arts++;
}

/* the artifact of path (taken): the last one when path is the last path
 * (resolving a path costs system calls, and a model's findings come
 * together) */
static long art_add(sstate *S, char *path) {
    if (!path) {
        S->oom = true;
        return -1;
    }
    if (S->last_path && !strcmp(S->last_path, path)) {
        free(path);
        return S->last_art;
    }
    char *copy = sarif_strdup(path);
    long i = art_add_uri(S, path);
    free(S->last_path);
    S->last_path = i >= 0 ? copy : NULL;
    if (i < 0) free(copy);
    S->last_art = i;
    return i;
}

/* SHA-256 of a regular file of at most SARIF_HASH_CAP bytes, streamed. */
static int hash_file(const char *path, uint64_t size, char hex[65]) {
    int fd = fs_open_regular(path);   /* never a FIFO or a device */
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        return -1;
    }
    enum { BUF = 1 << 16 };
    unsigned char *buf = malloc(BUF);
    if (!buf) {
        fclose(f);
        return -1;
    }
    sha256_ctx c;
    sha256_init(&c);
    uint64_t total = 0;
    size_t got;
    while ((got = fread(buf, 1, BUF, f)) > 0) {
        sha256_update(&c, buf, got);
        total += got;
        if (total > size) break;
    }
    int err = ferror(f);
    fclose(f);
    free(buf);
    if (err || total != size) return -1;
    unsigned char d[32];
    sha256_final(&c, d);
    sha256_to_hex(d, hex);
    return 0;
}

static void artifact_location(sstate *S, cJSON *parent, long idx) {
    cJSON *al = add_obj(S, parent, "artifactLocation");
    if (!al || idx < 0) return;
    const sart *a = &S->arts[idx];
    add_str(S, al, "uri", a->uri);
    if (a->relative) add_str(S, al, "uriBaseId", "%SRCROOT%");
    add_num(S, al, "index", (double)idx);
}

/* A file inside a model folder is described (length, hash) only when its
 * real path stays inside that folder: the length and SHA-256 of a token a
 * symbolic link in a pull request points at must not reach a SARIF log
 * that is uploaded. The model file itself is what the user named. */
static bool artifact_inside_its_model(const run_result *r, const char *path) {
    for (size_t i = 0; i < r->n_models; i++) {
        const char *m = r->models[i]->path;
        size_t n = m ? strlen(m) : 0;
        if (!n || strncmp(path, m, n) != 0 || path[n] != '/') continue;
        char *root = realpath(m, NULL);
        bool ok = root && fs_inside(root, path) == 0;
        free(root);
        return ok;
    }
    return true;
}

static void write_artifacts(sstate *S, cJSON *run) {
    cJSON *arr = add_arr(S, run, "artifacts");
    for (size_t i = 0; arr && i < S->n_arts; i++) {
        const sart *a = &S->arts[i];
        cJSON *o = add_obj(S, arr, NULL);
        if (!o) return;
        cJSON *loc = add_obj(S, o, "location");
        if (loc) {
            add_str(S, loc, "uri", a->uri);
            if (a->relative) add_str(S, loc, "uriBaseId", "%SRCROOT%");
        }
        struct stat st;
        bool reg = stat(a->path, &st) == 0 && S_ISREG(st.st_mode) && artifact_inside_its_model(S->r, a->path);
        if (reg) add_num(S, o, "length", (double)st.st_size);
        cJSON *roles = add_arr(S, o, "roles");
        if (roles) add_str(S, roles, NULL, "analysisTarget");
        char hex[65];
        if (reg && (uint64_t)st.st_size <= SARIF_HASH_CAP && hash_file(a->path, (uint64_t)st.st_size, hex) == 0) {
            cJSON *h = add_obj(S, o, "hashes");
            if (h) add_str(S, h, "sha-256", hex);
        }
    }
}

/* ---- results ------------------------------------------------------------ */

static void add_region(sstate *S, cJSON *phys, const cml_loc *loc, bool binary_ok) {
    cJSON *rg = add_obj(S, phys, "region");
    if (!rg) return;
    if (sarif_loc_has_text_pos(loc)) {
        add_num(S, rg, "startLine", loc->line);
        if (loc->column > 0) add_num(S, rg, "startColumn", loc->column);
    } else if (binary_ok && loc->has_bytes) {
        add_num(S, rg, "byteOffset", (double)loc->byte_offset);
        add_num(S, rg, "byteLength", (double)loc->byte_length);
    } else {
        add_num(S, rg, "startLine", 1);
    }
}

static void add_logical(sstate *S, cJSON *loc, const char *logical, const char *kind) {
    if (!nonempty(logical)) return;
    cJSON *arr = add_arr(S, loc, "logicalLocations");
    cJSON *o = add_obj(S, arr, NULL);
    if (!o) return;
    const char *name = sarif_logical_name(logical);
    if (*name) add_str(S, o, "name", name);
    add_str(S, o, "fullyQualifiedName", logical);
    add_str(S, o, "kind", nonempty(kind) ? kind : "member");
}

static void write_result(sstate *S, cJSON *results, const finding *f) {
    cJSON *o = add_obj(S, results, NULL);
    if (!o) return;
    const char *rid = sarif_rule_id(f);
    long ri = rule_index(S, rid);
    add_str(S, o, "ruleId", rid);
    if (ri >= 0) add_num(S, o, "ruleIndex", (double)ri);
    add_str(S, o, "level", level_name(f->level));
    char *msg = sarif_display_message(f);
    if (!msg) {
        S->oom = true;
        return;
    }
    /* GitHub shows message.text (its first sentence as the title) and nothing
     * of a result's properties: the fix goes at the end of the message,
     * where the alert shows it under the finding */
    const char *shown = *msg ? msg : (f->rule && nonempty(f->rule->summary) ? f->rule->summary : rid);
    char *with_fix = nonempty(f->fix) ? sarif_printf("%s\nFix: %s", shown, f->fix) : NULL;
    if (nonempty(f->fix) && !with_fix) S->oom = true;
    add_message(S, o, "message", with_fix ? with_fix : shown);
    free(with_fix);
    free(msg);

    long ai = art_add(S, sarif_finding_path(f));
    cJSON *locs = add_arr(S, o, "locations");
    cJSON *l0 = add_obj(S, locs, NULL);
    if (l0) {
        cJSON *phys = add_obj(S, l0, "physicalLocation");
        if (phys) {
            artifact_location(S, phys, ai);
            add_region(S, phys, &f->loc, false);
        }
        add_logical(S, l0, f->loc.logical, f->logical_kind);
    }

    bool bytes = f->loc.has_bytes && !sarif_has_text_pos(f);
    if (bytes || f->n_related) {
        cJSON *rel = add_arr(S, o, "relatedLocations");
        int id = 1;
        if (bytes) {
            cJSON *rl = add_obj(S, rel, NULL);
            if (rl) {
                add_num(S, rl, "id", id++);
                char *t = nonempty(f->loc.logical)
                              ? sarif_printf("bytes of %s", f->loc.logical)
                          : f->loc.byte_length == 0
                              ? sarif_printf("byte offset %llu", (unsigned long long)f->loc.byte_offset)
                              : sarif_printf("%llu bytes at byte offset %llu", (unsigned long long)f->loc.byte_length,
                                             (unsigned long long)f->loc.byte_offset);
                if (!t) S->oom = true;
                else add_message(S, rl, "message", t);
                free(t);
                cJSON *phys = add_obj(S, rl, "physicalLocation");
                if (phys) {
                    artifact_location(S, phys, ai);
                    add_region(S, phys, &(cml_loc){.has_bytes = true, .byte_offset = f->loc.byte_offset,
                                                   .byte_length = f->loc.byte_length},
                               true);
                }
            }
        }
        for (size_t i = 0; i < f->n_related; i++) {
            const related_loc *rl = &f->related[i];
            cJSON *ro = add_obj(S, rel, NULL);
            if (!ro) break;
            add_num(S, ro, "id", id++);
            if (nonempty(rl->message)) add_message(S, ro, "message", rl->message);
            long rai = art_add(S, sarif_join_path(f->model_path, rl->loc.artifact));
            cJSON *phys = add_obj(S, ro, "physicalLocation");
            if (phys) {
                artifact_location(S, phys, rai);
                add_region(S, phys, &rl->loc, true);
            }
            add_logical(S, ro, rl->loc.logical, "member");
        }
    }

    if (f->fingerprint[0]) {
        cJSON *pf = add_obj(S, o, "partialFingerprints");
        if (pf) add_str(S, pf, "primaryLocationLineHash", f->fingerprint);
    }

    bool fix = nonempty(f->fix);
    bool extra = f->props && cJSON_IsObject(f->props) && f->props->child;
    if (f->loc.has_bytes || fix || extra) {
        cJSON *props = add_obj(S, o, "properties");
        if (!props) return;
        if (f->loc.has_bytes) {
            add_num(S, props, "coreml/byteOffset", (double)f->loc.byte_offset);
            add_num(S, props, "coreml/byteLength", (double)f->loc.byte_length);
        }
        if (fix) add_str(S, props, "coreml/fix", f->fix);
        if (extra) {
            for (const cJSON *it = f->props->child; it; it = it->next) {
                if (!it->string || cJSON_GetObjectItemCaseSensitive(props, it->string)) continue;
                add_item(S, props, it->string, cJSON_Duplicate(it, true));
            }
        }
    }
}

/* Which findings are written: unsuppressed, at most SARIF_MAX_RESULTS, the
 * most severe first (errors, then warnings, then the rest), each group in
 * the run's order. keep[i] set for the chosen; returns how many. */
static size_t choose_results(const run_result *r, bool *keep, size_t *total) {
    size_t count[3] = {0, 0, 0};
    *total = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (!f || f->suppressed) continue;
        count[f->level == LEVEL_ERROR ? 0 : f->level == LEVEL_WARNING ? 1 : 2]++;
        (*total)++;
    }
    size_t quota[3], left = SARIF_MAX_RESULTS;
    for (int g = 0; g < 3; g++) {
        quota[g] = count[g] < left ? count[g] : left;
        left -= quota[g];
    }
    size_t kept = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        keep[i] = false;
        if (!f || f->suppressed) continue;
        int g = f->level == LEVEL_ERROR ? 0 : f->level == LEVEL_WARNING ? 1 : 2;
        if (quota[g]) {
            quota[g]--;
            keep[i] = true;
            kept++;
        }
    }
    return kept;
}

/* ---- invocation --------------------------------------------------------- */

static void add_time(sstate *S, cJSON *o, const char *key, const struct timespec *ts) {
    struct tm tm;
    time_t t = ts->tv_sec;
    if (!gmtime_r(&t, &tm)) return;
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03ldZ", ts->tv_nsec / 1000000L);
    add_str(S, o, key, buf);
}

static void write_notification(sstate *S, cJSON *arr, const notification *n) {
    cJSON *o = add_obj(S, arr, NULL);
    if (!o) return;
    add_str(S, o, "level", level_name(n->level));
    const char *m = nonempty(n->message) ? n->message : nonempty(n->kind) ? n->kind : "tool notification";
    char *txt = n->count > 1 ? sarif_printf("%s (%zu times)", m, n->count) : sarif_strdup(m);
    if (!txt) {
        S->oom = true;
        return;
    }
    add_message(S, o, "message", txt);
    free(txt);
    if (nonempty(n->file)) {
        cJSON *locs = add_arr(S, o, "locations");
        cJSON *l = add_obj(S, locs, NULL);
        cJSON *phys = add_obj(S, l, "physicalLocation");
        cJSON *al = add_obj(S, phys, "artifactLocation");
        if (al) {
            bool rel = true;
            char *uri = sarif_path_uri(n->file, S->r->working_dir, S->r->source_root, &rel);
            if (!uri) S->oom = true;
            else add_str(S, al, "uri", uri);
            if (rel) add_str(S, al, "uriBaseId", "%SRCROOT%");
            free(uri);
        }
        if (phys && n->line > 0) {
            cJSON *rg = add_obj(S, phys, "region");
            if (rg) add_num(S, rg, "startLine", n->line);
        }
    }
    if (nonempty(n->rule_id)) {
        cJSON *ar = add_obj(S, o, "associatedRule");
        if (ar) {
            add_str(S, ar, "id", n->rule_id);
            long ri = rule_index(S, n->rule_id);
            if (ri >= 0) add_num(S, ar, "index", (double)ri);
        }
    }
    if (nonempty(n->kind) || nonempty(n->model_path) || n->count > 1) {
        cJSON *props = add_obj(S, o, "properties");
        if (props) {
            if (nonempty(n->kind)) add_str(S, props, "coreml/kind", n->kind);
            if (nonempty(n->model_path)) add_str(S, props, "coreml/model", n->model_path);
            if (n->count > 1) add_num(S, props, "coreml/count", (double)n->count);
        }
    }
}

static void write_invocation(sstate *S, cJSON *run, size_t written, size_t total) {
    cJSON *invs = add_arr(S, run, "invocations");
    cJSON *inv = add_obj(S, invs, NULL);
    if (!inv) return;
    const run_result *r = S->r;
    add_bool(S, inv, "executionSuccessful", r->execution_successful);
    if (r->timestamps) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        add_time(S, inv, "startTimeUtc", &sarif_start_time);
        add_time(S, inv, "endTimeUtc", &now);
    }
    if (r->n_notes || written < total) {
        cJSON *arr = add_arr(S, inv, "toolExecutionNotifications");
        for (size_t i = 0; arr && i < r->n_notes; i++)
            if (r->notes[i]) write_notification(S, arr, r->notes[i]);
        if (arr && written < total) {
            char *t = sarif_printf("Only %zu of %zu results were written: GitHub code scanning accepts at most %u "
                                   "results per run; the most severe were kept.",
                                   written, total, SARIF_MAX_RESULTS);
            notification n = {.kind = "output/truncated", .level = LEVEL_WARNING, .message = t};
            if (!t) S->oom = true;
            else write_notification(S, arr, &n);
            free(t);
        }
    }
    if (nonempty(r->working_dir)) {
        char *u = sarif_dir_uri(r->working_dir);
        if (!u) {
            S->oom = true;
            return;
        }
        cJSON *wd = add_obj(S, inv, "workingDirectory");
        if (wd) add_str(S, wd, "uri", u);
        free(u);
    }
}

/* ---- the log ------------------------------------------------------------ */

static int write_sarif(FILE *out, const run_result *r, const writer_opts *wo) {
    (void)wo;
    sstate S = {.r = r};
    {
        const char *root = nonempty(r->source_root) ? r->source_root : r->working_dir;
        S.real_root = root && root[0] == '/' ? fs_realpath(root) : NULL;
    }
    bool *keep = r->n_findings ? calloc(r->n_findings, sizeof *keep) : NULL;
    cJSON *root = cJSON_CreateObject();
    int rc = -1;
    if (!root || (r->n_findings && !keep)) goto out;

    /* rules: every enabled rule in the run's order, then ids only findings name */
    for (size_t i = 0; i < r->n_rules; i++)
        if (r->rules[i] && nonempty(r->rules[i]->id) && push_rule(&S, r->rules[i], r->rules[i]->id) < 0) goto out;
    size_t total = 0, written = choose_results(r, keep, &total);
    for (size_t i = 0; i < r->n_findings; i++) {
        if (!keep[i]) continue;
        const char *id = sarif_rule_id(r->findings[i]);
        if (rule_index(&S, id) < 0 && push_rule(&S, NULL, id) < 0) goto out;
    }
    /* artifacts: the files of each model first, in order */
    for (size_t i = 0; i < r->n_models; i++) {
        const run_model *m = r->models[i];
        if (!m) continue;
        for (size_t k = 0; k < m->n_artifacts; k++) art_add(&S, sarif_join_path(m->path, m->artifacts[k]));
    }

    add_str(&S, root, "$schema", SARIF_SCHEMA);
    add_str(&S, root, "version", "2.1.0");
    cJSON *runs = add_arr(&S, root, "runs");
    cJSON *run = add_obj(&S, runs, NULL);
    cJSON *tool = add_obj(&S, run, "tool");
    cJSON *driver = add_obj(&S, tool, "driver");
    if (!driver) goto out;
    const char *ver = nonempty(r->tool_version) ? r->tool_version : CML_VERSION;
    add_str(&S, driver, "name", "coreml-lint");
    add_str(&S, driver, "version", ver);
    add_str(&S, driver, "semanticVersion", ver);
    add_str(&S, driver, "informationUri", CML_HOMEPAGE);
    cJSON *rules = add_arr(&S, driver, "rules");
    for (size_t i = 0; rules && i < S.n_rules; i++) write_rule(&S, rules, &S.rules[i]);

    /* results are built first (they add artifacts), then placed last */
    cJSON *results = cJSON_CreateArray();
    if (!results) goto out;
    for (size_t i = 0; i < r->n_findings; i++)
        if (keep[i]) write_result(&S, results, r->findings[i]);

    write_invocation(&S, run, written, total);
    cJSON *bases = add_obj(&S, run, "originalUriBaseIds");
    cJSON *src = add_obj(&S, bases, "%SRCROOT%");
    if (src) {
        const char *srcroot = nonempty(r->source_root) ? r->source_root : r->working_dir;
        if (nonempty(srcroot)) {
            char *u = sarif_dir_uri(srcroot);
            if (!u) S.oom = true;
            else add_str(&S, src, "uri", u);
            free(u);
        }
        add_message(&S, src, "description",
                    "The repository root: the nearest folder above the working directory that holds .git, "
                    "else the working directory of the run.");
    }
    write_artifacts(&S, run);
    add_str(&S, run, "columnKind", "unicodeCodePoints");
    add_item(&S, run, "results", results);
    if (r->run_properties && cJSON_IsObject(r->run_properties))
        add_item(&S, run, "properties", cJSON_Duplicate(r->run_properties, true));
    if (S.oom) goto out;

    if (sarif_put_json(out, root) != 0) goto out;
    rc = sarif_finish(out);
out:
    cJSON_Delete(root);
    free(keep);
    for (size_t i = 0; i < S.n_arts; i++) {
        free(S.arts[i].path);
        free(S.arts[i].uri);
    }
    free(S.arts);
    free(S.slots);
    free(S.rules);
    free(S.real_root);
    free(S.last_path);
    return rc;
}

const report_writer cml_format_sarif = {"sarif", "SARIF 2.1.0, for GitHub code scanning and SARIF viewers", write_sarif, false};

/* SPDX-License-Identifier: Apache-2.0 */
/* loader.c — open any Core ML container and hand its spec to the IR builder.
 *
 * First stage of the data flow. Detects the container (.mlmodel file,
 * .mlpackage folder with Manifest.json, compiled .mlmodelc folder), maps
 * the spec read-only, decodes it with protobuf-c drawing from the model's
 * bounded arena, and builds the IR. Whatever cannot be read becomes a
 * load/... diag naming the file and the byte offset or line, and the caller
 * goes on with the next path: loader_load never fails for a bad model.
 */
#define _GNU_SOURCE   /* memmem */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "coreml-lint/coreml_facts.h"
#include "ir/model.h"
#include "format/sanitize.h"
#include "format/nesting.h"
#include "format/pbwire.h"

#define MANIFEST_MAX (16u << 20)
#define OVERLAY_MAX (1u << 20)   /* Xcode writes a few hundred bytes */
#define ARENA_BASE ((size_t)256 << 20)

static char *strip_slashes(const char *p) {
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') n--;
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

/* Decode a Model protobuf; on failure find where the bytes stop being
 * a valid encoding of our schema and say so. */
static Cmlpb__Model *decode_spec(lmodel *lm, const unsigned char *data, uint64_t size,
                                 const char *artifact) {
    if (size == 0) {
        diag_add(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR, artifact, 0, 0, 0, NULL,
                 "the model file is empty");
        return NULL;
    }
    uint64_t lfs_size;
    if (fs_lfs_pointer(data, (size_t)size, &lfs_size)) {
        diag_add(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR, artifact, 0, 0, 0, NULL,
                 "the model file is a Git LFS pointer, not the model: the %" PRIu64 "-byte object was not fetched "
                 "(run `git lfs pull`)", lfs_size);
        return NULL;
    }
    pbwire_error we;
    /* protobuf-c's decoder recurses once per nested message with no limit
     * of its own: a hostile nesting must never reach it */
    if (pbwire_depth_check(&cmlpb__model__descriptor, data, (size_t)size, CML_MAX_NESTING, &we) != 0) {
        diag_add(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR, artifact, (int64_t)we.offset, 0, 0, NULL,
                 "not decoded: %s, at byte %" PRIu64 " (in %s); Core ML's protobuf parser refuses it too", we.message,
                 we.offset, we.path);
        return NULL;
    }
    ProtobufCAllocator al = arena_pb_allocator(lm->a);
    Cmlpb__Model *pb = cmlpb__model__unpack(&al, (size_t)size, data);
    if (pb) return pb;
    if (arena_exhausted(lm->a)) {
        diag_add(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR, artifact, -1, 0, 0, NULL,
                 "decoding the model needs more than the memory cap (%zu MiB); the file is corrupt "
                 "or hostile", arena_used(lm->a) >> 20);
    } else if (pbwire_check(&cmlpb__model__descriptor, data, (size_t)size, &we) != 0) {
        diag_add(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR, artifact, (int64_t)we.offset, 0, 0,
                 NULL, "not a valid Core ML model protobuf: %s at byte %" PRIu64 " (in %s)", we.message,
                 we.offset, we.path);
    } else {
        diag_add(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR, artifact, -1, 0, 0, NULL,
                 "not a valid Core ML model protobuf (protobuf-c could not decode it)");
    }
    return NULL;
}

static void check_spec_version(lmodel *lm, const Cmlpb__Model *pb, const char *artifact) {
    /* SOURCE: apple/coremltools mlmodel/src/Model.cpp:64-84 (messages); the
     * newest version this tool knows is coreml_facts.h's CML_SPEC_NEWEST. */
    if (pb->specificationversion <= 0) {
        diag_add(&lm->diags, "load/spec-version", DIAG_ERROR, artifact, -1, 0, 0, NULL,
                 "specification version field is missing or corrupt (%d)", (int)pb->specificationversion);
    } else if (pb->specificationversion > CML_SPEC_NEWEST) {
        char os[16];
        cml_osver_format(cml_spec_min_os(CML_SPEC_NEWEST, CML_PLATFORM_IOS), os, sizeof os);
        diag_add(&lm->diags, "load/spec-version", DIAG_WARNING, artifact, -1, 0, 0, NULL,
                 "the model is of specification version %d, newer than the newest this tool knows "
                 "(%d, iOS %s); facts may be missing",
                 (int)pb->specificationversion, CML_SPEC_NEWEST, os);
    }
}

/* Where a needle first occurs in Manifest.json, for the messages about it.
 * Counting lines from the start for each message made a 15 MiB manifest
 * take seconds even under the DIAG_MAX cap, so the first message counts
 * them once, noting the line and the line's start every LX_BLOCK bytes;
 * each later one counts from the block its needle falls in. */
#define LX_SHIFT 16
#define LX_BLOCK ((size_t)1 << LX_SHIFT)

typedef struct lindex {
    const char *text;
    size_t len;
    uint32_t *line;    /* line[b]: the line at byte b * LX_BLOCK */
    size_t *start;     /* start[b]: where that line starts */
    bool built;
} lindex;

static void lindex_build(arena *a, lindex *ix) {
    ix->built = true;
    size_t nb = (ix->len >> LX_SHIFT) + 1;
    ix->line = arena_alloc(a, nb * sizeof *ix->line);
    ix->start = arena_alloc(a, nb * sizeof *ix->start);
    if (!ix->line || !ix->start) {
        ix->line = NULL;   /* out of the arena: count from the start */
        return;
    }
    uint32_t line = 1;
    size_t ls = 0;
    for (size_t i = 0; i < ix->len; i++) {
        if (!(i & (LX_BLOCK - 1))) ix->line[i >> LX_SHIFT] = line, ix->start[i >> LX_SHIFT] = ls;
        if (ix->text[i] == '\n') line++, ls = i + 1;
    }
    if (!(ix->len & (LX_BLOCK - 1))) ix->line[ix->len >> LX_SHIFT] = line, ix->start[ix->len >> LX_SHIFT] = ls;
}

/* 1-based line of the first occurrence of needle in the text (0 if absent). */
static uint32_t line_of(arena *a, lindex *ix, const char *needle, uint32_t *col) {
    /* memmem: glibc's is linear for any needle, where its strstr took 2 s over 300
     * items whose paths repeat "a/" 500 times (an adversarial pass) */
    const char *p = needle ? memmem(ix->text, ix->len, needle, strlen(needle)) : NULL;
    if (col) *col = 0;
    if (!p) return 0;
    if (!ix->built) lindex_build(a, ix);
    size_t off = (size_t)(p - ix->text), b = ix->line ? off >> LX_SHIFT : 0;
    uint32_t line = ix->line ? ix->line[b] : 1;
    const char *ls = ix->text + (ix->line ? ix->start[b] : 0);
    for (const char *q = ix->text + (b << LX_SHIFT); q < p; q++)
        if (*q == '\n') { line++; ls = q + 1; }
    if (col) {
        /* in code points, as SARIF's columnKind says; in bytes on a line
         * longer than a block (a minified manifest), so that each message
         * stays bounded */
        uint32_t c = 1;
        if ((size_t)(p - ls) > LX_BLOCK) c = (uint32_t)(p - ls) + 1;
        else
            for (const char *q = ls; q < p; q++)
                if (san_cp_start((unsigned char)*q)) c++;
        *col = c;
    }
    return line;
}

/* Once the list is full (diag_full) diag_add only counts, so the line is not
 * looked for: doing so anyway made a Manifest.json of 60,000 empty items (4
 * problems each, 709 KB) quadratic, > 20 s. */
#define MDIAG(lm, ix, needle, ...)                                                        \
    do {                                                                                  \
        uint32_t c_ = 0;                                                                  \
        uint32_t l_ = !diag_full(&(lm)->diags) ? line_of((lm)->a, (ix), (needle), &c_) : 0; \
        diag_add(&(lm)->diags, "load/package-manifest", DIAG_ERROR, "Manifest.json", -1, l_, \
                 l_ ? c_ : 0, NULL, __VA_ARGS__);                                         \
    } while (0)

static int safe_rel_path(const char *p) {
    if (!p || !*p || p[0] == '/') return 0;
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.') return 0;
        if (!e) break;
        s = e + 1;
    }
    return 1;
}

/* SOURCE: apple/coremltools modelpackage/src/ModelPackage.cpp:195-315,
 * 445-455 (manifest keys and the checks made when a package is opened). */
/* Returns the root model's path inside the package, or NULL. *root_told is
 * set when the root item's own path was already reported (missing, outside
 * the package, leaving Data/): the spec is then not read, so one missing file
 * gives one error, at its line of the manifest. */
static char *read_manifest(lmodel *lm, const char *root, bool *root_told) {
    char *mpath = fs_join(lm->a, root, "Manifest.json");
    if (!mpath) return NULL;
    size_t len = 0;
    char *text = fs_inside(lm->root_real, mpath) == 0 ? fs_read_file(lm->a, mpath, MANIFEST_MAX, &len) : NULL;
    if (!text) {
        diag_add(&lm->diags, "load/package-manifest", DIAG_ERROR, "Manifest.json", -1, 0, 0, NULL,
                 "the package has no readable Manifest.json (%s)", fs_strerror(errno));
        return NULL;
    }
    size_t deep_at = 0, nv = 0;
    if (json_scan(text, len, CML_MAX_NESTING, &deep_at, &nv)) {
        uint32_t line = 1;
        for (size_t q = 0; q < deep_at; q++) line += text[q] == '\n';
        diag_add(&lm->diags, "load/package-manifest", DIAG_ERROR, "Manifest.json", (int64_t)deep_at, line, 0, NULL,
                 "Manifest.json nests arrays and objects deeper than %d levels (line %u); not read", CML_MAX_NESTING,
                 line);
        return NULL;
    }
    if (nv > CML_JSON_MAX_VALUES) {
        diag_add(&lm->diags, "load/package-manifest", DIAG_ERROR, "Manifest.json", -1, 0, 0, NULL,
                 "Manifest.json holds about %zu values, more than the %zu this tool reads from one JSON file; "
                 "not read", nv, CML_JSON_MAX_VALUES);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    if (!j) {
        const char *ep = cJSON_GetErrorPtr();
        uint32_t line = 1, col = 1;
        if (ep && ep >= text && ep <= text + len) san_line_col(text, (size_t)(ep - text), &line, &col);
        diag_add(&lm->diags, "load/package-manifest", DIAG_ERROR, "Manifest.json", -1, line, col, NULL,
                 "Manifest.json is not valid JSON (error near line %u, column %u)", line, col);
        return NULL;
    }
    char *spec_rel = NULL;
    lindex ix = {text, len, NULL, NULL, false};
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "fileFormatVersion");
    if (!cJSON_IsString(ver)) {
        MDIAG(lm, &ix, "fileFormatVersion", "Manifest.json has no string 'fileFormatVersion'");
    } else {
        long a = -1, b = -1, c = -1;
        char tail = 0;
        int n = sscanf(ver->valuestring, "%ld.%ld.%ld%c", &a, &b, &c, &tail);
        if (n != 3)
            MDIAG(lm, &ix, "fileFormatVersion",
                  "fileFormatVersion '%s' is not of the form major.minor.patch", ver->valuestring);
        else if (a < 0 || b < 0 || c < 0)
            MDIAG(lm, &ix, "fileFormatVersion", "fileFormatVersion '%s' uses negative numbers",
                  ver->valuestring);
        else if (a > 1 || (a == 1 && (b > 0 || c > 0)))
            MDIAG(lm, &ix, "fileFormatVersion",
                  "fileFormatVersion '%s' is newer than 1.0.0, the newest Core ML reads",
                  ver->valuestring);
    }
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(j, "itemInfoEntries");
    const cJSON *rootid = cJSON_GetObjectItemCaseSensitive(j, "rootModelIdentifier");
    if (!cJSON_IsObject(entries)) {
        MDIAG(lm, &ix, "itemInfoEntries", "Manifest.json has no 'itemInfoEntries' object");
    } else {
        const cJSON *e;
        const char *root_key = cJSON_IsString(rootid) ? rootid->valuestring : NULL;
        cJSON_ArrayForEach(e, entries) {
            bool is_root = root_key && e->string && strcmp(e->string, root_key) == 0;
            static const char *const keys[] = {"path", "name", "author", "description"};
            for (size_t k = 0; k < 4; k++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, keys[k]);
                if (!cJSON_IsString(v))
                    MDIAG(lm, &ix, e->string, "item '%s' has no string '%s'", e->string ? e->string : "",
                          keys[k]);
            }
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "path");
            if (cJSON_IsString(p)) {
                if (!safe_rel_path(p->valuestring)) {
                    MDIAG(lm, &ix, p->valuestring, "item '%s' path '%s' leaves the package's Data folder",
                          e->string ? e->string : "", p->valuestring);
                    if (is_root) *root_told = true;
                    continue;
                }
                char *abs = arena_printf(lm->a, "%s/Data/%s", root, p->valuestring);
                if (abs && fs_inside(lm->root_real, abs) != 0) {
                    MDIAG(lm, &ix, p->valuestring, "item '%s' path 'Data/%s' is not read: %s",
                          e->string ? e->string : "", p->valuestring, fs_strerror(FS_EOUTSIDE));
                    if (is_root) *root_told = true;
                } else if (abs && !fs_is_file(abs) && !fs_is_dir(abs)) {
                    MDIAG(lm, &ix, p->valuestring, "item '%s' path 'Data/%s' does not exist",
                          e->string ? e->string : "", p->valuestring);
                    if (is_root) *root_told = true;
                } else if (abs && !is_root && fs_is_file(abs)) {
                    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
                    if (cJSON_IsString(nm) && !strcmp(nm->valuestring, "Metadata.json")) lm->overlay_path = abs;
                }
            }
        }
    }
    if (!cJSON_IsString(rootid)) {
        MDIAG(lm, &ix, "rootModelIdentifier", "Manifest.json has no 'rootModelIdentifier'");
    } else if (cJSON_IsObject(entries)) {
        const cJSON *re = cJSON_GetObjectItemCaseSensitive(entries, rootid->valuestring);
        const cJSON *p = re ? cJSON_GetObjectItemCaseSensitive(re, "path") : NULL;
        if (!re)
            MDIAG(lm, &ix, "rootModelIdentifier",
                  "rootModelIdentifier '%s' names no entry of itemInfoEntries", rootid->valuestring);
        else if (cJSON_IsString(p) && safe_rel_path(p->valuestring))
            spec_rel = arena_printf(lm->a, "Data/%s", p->valuestring);
    }
    cJSON_Delete(j);
    return spec_rel;
}

/* One field of the overlay: "" when absent, not a string, blank or "--"
 * (what Xcode writes for a field left unset). */
static const char *overlay_field(lmodel *lm, const cJSON *j, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsString(v)) return "";
    const char *s = v->valuestring;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    if (!*s || !strcmp(s, "--")) return "";
    const char *d = arena_strdup(lm->a, v->valuestring);
    return d ? d : "";
}

/* Xcode's metadata overlay of a package (cml_model.metadata_overlay).
 * SOURCE: the keys and the "--" placeholder as Xcode writes them in the
 * public packages of docs/real-world.md's tenth set (Manifest item
 * "External Metadata Overlay", author com.apple.CoreML); coremltools neither
 * reads nor writes the file. A file that cannot be read is a warning: the
 * spec's own metadata still stands. */
static void read_overlay(lmodel *lm) {
    const char *rel = lm->overlay_path + strlen(lm->root) + 1;
    size_t len = 0;
    char *text = fs_read_file(lm->a, lm->overlay_path, OVERLAY_MAX, &len);
    int e = errno;
    size_t deep_at = 0;
    bool deep = text && json_scan(text, len, CML_MAX_NESTING, &deep_at, NULL);
    cJSON *j = text && !deep ? cJSON_ParseWithLength(text, len) : NULL;
    if (!cJSON_IsObject(j)) {
        diag_add(&lm->diags, "load/package-manifest", DIAG_WARNING, rel, -1, 0, 0, NULL,
                 "the metadata overlay '%s' is not read: %s", rel,
                 !text ? (e == EFBIG ? "it is larger than 1 MiB" : fs_strerror(e))
                 : deep ? "it nests too deep" : "it is not a JSON object");
        cJSON_Delete(j);
        return;
    }
    cml_metadata *md = arena_alloc(lm->a, sizeof *md);
    if (md) {
        memset(md, 0, sizeof *md);
        md->present = true;
        md->author = overlay_field(lm, j, "MLModelAuthorKey");
        md->license = overlay_field(lm, j, "MLModelLicenseKey");
        md->short_description = overlay_field(lm, j, "MLModelDescriptionKey");
        md->version = overlay_field(lm, j, "MLModelVersionStringKey");
        lm->model->metadata_overlay = md;
    }
    cJSON_Delete(j);
}

static void load_spec_file(lmodel *lm, const char *abs, const char *artifact, const char *model_dir) {
    if (fs_inside(lm->root_real, abs) != 0 || fs_map_file(abs, &lm->spec_map) != 0) {
        diag_add(&lm->diags, errno == ENOENT ? "load/package-manifest" : "load/protobuf-corrupt", DIAG_ERROR,
                 artifact, -1, 0, 0, NULL, "cannot read the model spec '%s': %s", *artifact ? artifact : abs,
                 fs_strerror(errno));
        return;
    }
    Cmlpb__Model *pb = decode_spec(lm, lm->spec_map.data, lm->spec_map.size, artifact);
    uint64_t spec_size = lm->spec_map.size;
    /* protobuf-c copied what it kept into the arena: the file's bytes (up to
     * 256 MiB of our own memory when read into huge pages) go now */
    fs_unmap(&lm->spec_map);
    if (!pb) return;
    check_spec_version(lm, pb, artifact);
    lm->model = ir_build(lm, pb, artifact, NULL, model_dir, NULL, 0, NULL);
    if (lm->model) lm->model->spec_bytes = spec_size;
}

static size_t arena_cap_for(uint64_t sz) {
    /* decoded protobuf can be larger than its encoding (pointers, structs
     * for 2-byte messages); weights in weight.bin are never copied */
    uint64_t cap = ARENA_BASE + sz * 16;
    if (cap > ((uint64_t)8 << 30)) cap = (uint64_t)8 << 30;
    return (size_t)cap;
}

/* Stages read per compiled model in all levels together
 * (IR_MAX_COMPILED_STAGES, model.h): a wide fan-out and IR_MAX_DEPTH levels
 * (or many links to one folder) would otherwise multiply the work. Real
 * compiled pipelines hold a handful of stages. Kept well under DIAG_MAX, so
 * that the warning saying the rest is not read still finds room after a
 * note or two per stage. */
#define MAX_COMPILED_STAGES IR_MAX_COMPILED_STAGES

/* The folders being loaded from the top down to the current one (device and
 * inode, so that any path or link to one of them is recognised). */
typedef struct cfolder {
    dev_t dev;
    ino_t ino;
    const struct cfolder *up;
} cfolder;

typedef struct cwalk {
    bool budget_said;            /* (the stages read so far: lm->n_stage_dirs) */
} cwalk;

/* 1 when dir is one of the folders on the path (a link back to itself or
 * to a folder it is nested in): loading it again would never end */
static int on_path(const cfolder *path, const struct stat *st) {
    for (; path; path = path->up)
        if (path->dev == st->st_dev && path->ino == st->st_ino) return 1;
    return 0;
}

/* Build one compiled folder (the top one, or a stage of a compiled
 * pipeline at rel "model0/") and, for a pipeline, its stages. up: the
 * folders it is nested in (NULL at the top). */
static cml_model *load_compiled(lmodel *lm, const char *dir, const char *rel, const char *logical, int depth,
                                const cml_model *parent, mlmodelc_info *info, const cfolder *up, cwalk *cw) {
    Cmlpb__Model *pb = NULL;
    struct stat st;
    cfolder self = {0, 0, up};
    if (stat(dir, &st) == 0) self.dev = st.st_dev, self.ino = st.st_ino;
    /* positions of every sub-model share lm->pos (keys are addresses) */
    if (mlmodelc_read_at(dir, rel, lm->a, &pb, &lm->pos, info, &lm->diags) != 0 || !pb) return NULL;
    const char *file = info->is_mlprogram ? "model.mil" : info->spec_source ? info->spec_source : "metadata.json";
    const char *artifact = *rel ? arena_printf(lm->a, "%s%s", rel, file) : file;
    /* an ML Program's interface, metadata and specification version come
     * from coremldata.bin or metadata.json, not model.mil: findings about
     * them point there */
    const char *desc = NULL;
    if (info->is_mlprogram && info->spec_source)
        desc = *rel ? arena_printf(lm->a, "%s%s", rel, info->spec_source) : info->spec_source;
    cml_model *m = ir_build(lm, pb, artifact ? artifact : file, desc, dir, logical, depth, parent);
    if (!m) return NULL;
    m->compiler_version = info->compiler_version;
    m->unknown = info->unknown;
    /* metadata.json availability (written by coremlc) beats our table */
    cml_os_versions *os = &m->min_os;
    if (info->avail_ios) os->ios = info->avail_ios;
    if (info->avail_macos) os->macos = info->avail_macos;
    if (info->avail_tvos) os->tvos = info->avail_tvos;
    if (info->avail_watchos) os->watchos = info->avail_watchos;
    if (info->avail_visionos) os->visionos = info->avail_visionos;
    /* a compiled pipeline keeps each stage in a nested folder */
    if (info->n_sub_models && !m->n_sub_models) {
        if (depth >= IR_MAX_DEPTH) {
            diag_add(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR, rel, -1, 0, 0, logical,
                     "compiled pipelines nest deeper than %d levels", IR_MAX_DEPTH);
            return m;
        }
        /* one past the run's stage budget, so that a pipeline over it is
         * told (load/compiled-limited) and not cut short in silence */
        size_t n = info->n_sub_models <= MAX_COMPILED_STAGES ? info->n_sub_models : MAX_COMPILED_STAGES + 1u;
        const cml_model **subs = arena_calloc(lm->a, n, sizeof *subs);
        const char **names = arena_calloc(lm->a, n, sizeof *names);
        size_t k = 0;
        for (size_t i = 0; subs && names && i < n; i++) {
            const char *sdir = info->sub_model_dirs[i];
            const char *base = strrchr(sdir, '/');
            base = base ? base + 1 : sdir;
            char *srel = arena_printf(lm->a, "%s%s/", rel, base);
            char *slog = arena_printf(lm->a, "%s%spipeline[%zu]", logical ? logical : "", logical ? "/" : "", i);
            /* not read: a symbolic-link loop, or a folder read already
             * (links to one sibling: 128 of them made one 60,000-entry
             * folder be listed 128 times) */
            struct stat sst;
            const char *why = NULL;
            if (stat(sdir, &sst) == 0 && on_path(&self, &sst)) {
                why = "it is the folder of this model or of a model it is nested in (a symbolic-link loop)";
            } else {
                size_t seen = 0;
                while (seen < lm->n_stage_dirs && strcmp(lm->stage_dirs[seen], sdir)) seen++;
                if (seen < lm->n_stage_dirs) why = "it leads to a stage folder already read (a symbolic link)";
            }
            if (why) {
                const char *lname = info->sub_model_names ? info->sub_model_names[i] : base;
                const char *lrel = arena_printf(lm->a, "%s%s/", rel, lname);
                diag_add(&lm->diags, "load/compiled-limited", DIAG_WARNING, lrel ? lrel : rel, -1, 0, 0, slog,
                         "sub-folder '%s' is not read: %s", lname, why);
                continue;
            }
            if (lm->n_stage_dirs >= MAX_COMPILED_STAGES) {
                if (!cw->budget_said)
                    diag_add(&lm->diags, "load/compiled-limited", DIAG_WARNING, srel ? srel : rel, -1, 0, 0, slog,
                             "compiled pipelines hold more than %u stages in all: the rest are not read",
                             MAX_COMPILED_STAGES);
                cw->budget_said = true;
                break;
            }
            lm->stage_dirs[lm->n_stage_dirs++] = sdir;   /* a real path: list_sub_models */
            mlmodelc_info si;
            cml_model *sm =
                srel && slog ? load_compiled(lm, sdir, srel, slog, depth + 1, m, &si, &self, cw) : NULL;
            if (!sm) continue;
            names[k] = arena_strdup(lm->a, base);
            subs[k++] = sm;
        }
        m->sub_models = subs;
        m->sub_model_names = names;
        m->n_sub_models = subs ? k : 0;
        if (m->n_sub_models) ir_build_pipeline_fn(lm, m, artifact, logical);
    }
    return m;
}

static void load_mlmodelc(lmodel *lm) {
    cwalk cw = {false};
    lm->model = load_compiled(lm, lm->root, "", NULL, 0, NULL, &lm->cinfo, NULL, &cw);
}

/* ---- minimum OS ----------------------------------------------------------- */

/* A model runs only where every stage nested in it runs: its minimum OS is
 * the newest of its own specification version's, its sub-models' and (for
 * a compiled model) coremlc's metadata.json availability. Spec → OS facts
 * come from the SDK's table, the one source for the whole tool.
 * SOURCE: include/coreml-lint/coreml_facts.h cml_spec_min_os. */
static const char *newest_os(lmodel *lm, const char *have, uint32_t table) {
    uint32_t v = 0;
    char buf[24];
    if (have && !strcmp(have, CML_OS_UNAVAILABLE)) return have;   /* no release runs it */
    if (have && cml_osver_parse(have, &v) && v >= table) return have;
    if (!table) return have;
    cml_osver_format(table, buf, sizeof buf);
    return arena_strdup(lm->a, buf);
}

/* min_os's entry for platform p (cml_platform order) */
static const char **os_entry(cml_os_versions *o, int p) {
    switch (p) {
    case CML_PLATFORM_IOS: return &o->ios;
    case CML_PLATFORM_MACOS: return &o->macos;
    case CML_PLATFORM_TVOS: return &o->tvos;
    case CML_PLATFORM_WATCHOS: return &o->watchos;
    default: return &o->visionos;
    }
}

static int pass_min_os(lmodel *lm, cml_model *m, int depth) {
    int spec = m->spec_version > 0 ? m->spec_version : 0;
    for (size_t i = 0; i < m->n_sub_models && depth < IR_MAX_DEPTH; i++) {
        cml_model *sm = (cml_model *)m->sub_models[i];
        int s = pass_min_os(lm, sm, depth + 1);
        if (s > spec) spec = s;
    }
    if (spec > CML_SPEC_NEWEST) return spec;   /* newer than the table: left as it is */
    for (int p = 0; p < CML_PLATFORM_COUNT_; p++) {
        const char **mine = os_entry(&m->min_os, p);
        if (cml_model_type_unavailable(m->type, (cml_platform)p)) *mine = CML_OS_UNAVAILABLE;
        *mine = newest_os(lm, *mine, cml_spec_min_os(spec, (cml_platform)p));
        /* the sub-models' availability (compiled stages) counts as well; a
         * stage no release of the platform runs: neither does the pipeline */
        for (size_t i = 0; i < m->n_sub_models && depth < IR_MAX_DEPTH; i++) {
            const char *so = *os_entry((cml_os_versions *)&m->sub_models[i]->min_os, p);
            uint32_t v;
            if (so && !strcmp(so, CML_OS_UNAVAILABLE)) *mine = so;
            else if (so && cml_osver_parse(so, &v)) *mine = newest_os(lm, *mine, v);
        }
    }
    return spec;
}

static void report_unreferenced(lmodel *lm) {
    for (size_t i = 0; i < lm->n_wfiles; i++) {
        wfile *wf = lm->wfiles[i];
        if (!wf->mapped) continue;
        uint32_t refd = 0;
        uint64_t wasted = 0, first = 0;
        uint32_t unref = 0;
        for (size_t j = 0; j < wf->bf.n_blobs; j++) {
            if (wf->bf.blobs[j].refs) refd++;
            else {
                if (!unref) first = wf->bf.blobs[j].meta_offset;
                unref++;
                wasted += wf->bf.blobs[j].size;
            }
        }
        wf->pub.blobs_referenced = refd;
        if (unref)
            diag_add(&lm->diags, "load/weight-blob-unreferenced", DIAG_NOTE, wf->pub.path, (int64_t)first, 0, 0,
                     NULL, "%u of %zu blobs in %s are never referenced by the program (%" PRIu64
                     " bytes of dead weight; first at offset %" PRIu64 ")",
                     unref, wf->bf.n_blobs, wf->pub.path, wasted, first);
    }
}

static void set_format(cml_model *m, cml_format fmt, int depth) {
    m->format = fmt;
    for (size_t i = 0; i < m->n_sub_models && depth < IR_MAX_DEPTH; i++)
        set_format((cml_model *)m->sub_models[i], fmt, depth + 1);
}

static void publish_weight_files(lmodel *lm) {
    cml_model *m = lm->model;
    if (!m || !lm->n_wfiles) return;
    const cml_weight_file **arr = arena_calloc(lm->a, lm->n_wfiles, sizeof *arr);
    if (!arr) return;
    size_t k = 0;
    for (size_t i = 0; i < lm->n_wfiles; i++)
        if (lm->wfiles[i]->mapped) arr[k++] = &lm->wfiles[i]->pub;
    m->weight_files = arr;
    m->n_weight_files = k;
}

/* One blob of a weight file that a model tree's weights point into. */
typedef struct blob_ref {
    const cml_weight_file *file;
    uint64_t blob_offset, nbytes;
} blob_ref;

static int blob_ref_cmp(const void *x, const void *y) {
    const blob_ref *a = x, *b = y;
    if (a->file != b->file) return (uintptr_t)a->file < (uintptr_t)b->file ? -1 : 1;
    return a->blob_offset < b->blob_offset ? -1 : a->blob_offset > b->blob_offset;
}

/* The blobs a model tree's weights point into, appended to *v. -1: out of
 * memory. */
static int collect_blobs(const cml_model *m, int depth, blob_ref **v, size_t *n, size_t *cap) {
    for (size_t i = 0; i < m->n_weights; i++) {
        const cml_weight *w = m->weights[i];
        if (w->storage != CML_STORE_BLOB || !w->file) continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            blob_ref *nv = realloc(*v, nc * sizeof *nv);
            if (!nv) return -1;
            *v = nv;
            *cap = nc;
        }
        (*v)[(*n)++] = (blob_ref){w->file, w->blob_offset, w->nbytes};
    }
    for (size_t i = 0; i < m->n_sub_models && depth < IR_MAX_DEPTH; i++)
        if (collect_blobs(m->sub_models[i], depth + 1, v, n, cap) < 0) return -1;
    return 0;
}

/* Inline constant bytes of a model tree (weight-file blobs are counted per
 * file by the caller, once even when shared). A sub-model's own
 * weight_bytes also counts the weight-file blobs its tree points into, each
 * once: its weights live in the package's weight file, which belongs to the
 * root, and without them a stage's weight_bytes was its inline constants
 * alone. */
static uint64_t inline_weight_bytes(cml_model *m, int depth) {
    uint64_t b = 0;
    for (size_t i = 0; i < m->n_weights; i++) {
        const cml_weight *w = m->weights[i];
        if (w->storage == CML_STORE_INLINE && w->dtype != CML_DT_STRING && w->dtype != CML_DT_UNKNOWN) b += w->nbytes;
    }
    for (size_t i = 0; i < m->n_sub_models && depth < IR_MAX_DEPTH; i++) {
        cml_model *sm = (cml_model *)m->sub_models[i];
        uint64_t inl = inline_weight_bytes(sm, depth + 1);
        b += inl;
        blob_ref *v = NULL;
        size_t n = 0, cap = 0;
        uint64_t blobs = 0;
        if (collect_blobs(sm, depth + 1, &v, &n, &cap) == 0 && n) {
            qsort(v, n, sizeof *v, blob_ref_cmp);
            for (size_t k = 0; k < n; k++)
                if (!k || blob_ref_cmp(&v[k], &v[k - 1])) blobs += v[k].nbytes;
        }
        free(v);
        sm->weight_bytes = inl + blobs;
    }
    return b;
}

static void count_weight_bytes(lmodel *lm) {
    uint64_t b = inline_weight_bytes(lm->model, 0);
    for (size_t i = 0; i < lm->n_wfiles; i++)
        if (lm->wfiles[i]->mapped) b += lm->wfiles[i]->pub.payload_bytes;
    lm->model->weight_bytes = b;
}

static void mlprogram_weights_check(lmodel *lm) {
    cml_model *m = lm->model;
    if (!m || strcmp(m->type, "mlProgram") != 0) return;
    size_t blob_refs = 0;
    for (size_t i = 0; i < m->n_weights; i++)
        if (m->weights[i]->storage == CML_STORE_BLOB) blob_refs++;
    if (m->format == CML_FMT_MLMODEL && blob_refs)
        diag_add(&lm->diags, "load/mlprogram-without-weights", DIAG_ERROR, "", -1, 0, 0, NULL,
                 "an ML Program saved as a plain .mlmodel references %zu weight blobs that live outside "
                 "the file; Core ML cannot load it (save it as an .mlpackage)",
                 blob_refs);
}

lmodel *loader_load(const char *path, const load_opts *opts) {
    lmodel *lm = calloc(1, sizeof *lm);
    if (!lm) return NULL;
    lm->root = strip_slashes(path);
    /* one walk of the model's files: the arena cap and size_bytes */
    uint64_t tree_size = fs_tree_size(path);
    size_t cap = opts && opts->arena_cap ? opts->arena_cap : arena_cap_for(tree_size);
    lm->a = arena_new(cap);
    if (!lm->root || !lm->a) {
        loader_free(lm);
        return NULL;
    }
    lm->diags.a = lm->a;
    cml_format fmt = CML_FMT_UNKNOWN;
    if (fs_is_dir(lm->root)) {
        char *real = fs_realpath(lm->root);
        int e = errno;
        lm->root_real = real ? arena_strdup(lm->a, real) : NULL;
        free(real);
        if (!lm->root_real) {
            /* fail closed: every file read must stay inside the folder, which
             * cannot be told without its real path */
            diag_add(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR, "", -1, 0, 0, NULL, "cannot open '%s': %s",
                     lm->root, e == ENAMETOOLONG ? "its real path is 4096 bytes or longer" : fs_strerror(e));
            goto done_reading;
        }
        char *man = fs_join(lm->a, lm->root, "Manifest.json");
        char *mil = fs_join(lm->a, lm->root, "model.mil");
        char *cdb = fs_join(lm->a, lm->root, "coremldata.bin");
        char *esp = fs_join(lm->a, lm->root, "model.espresso.net");
        if (fs_has_suffix(lm->root, ".mlpackage") || (man && fs_is_file(man))) fmt = CML_FMT_MLPACKAGE;
        else if (fs_has_suffix(lm->root, ".mlmodelc") || (mil && fs_is_file(mil)) ||
                 (cdb && fs_is_file(cdb)) || (esp && fs_is_file(esp)))
            fmt = CML_FMT_MLMODELC;
        else
            diag_add(&lm->diags, "load/package-manifest", DIAG_ERROR, "", -1, 0, 0, NULL,
                     "'%s' is a folder but neither an .mlpackage (no Manifest.json) nor a compiled "
                     ".mlmodelc (no model.mil, coremldata.bin or espresso files)",
                     lm->root);
    } else if (fs_is_file(lm->root)) {
        fmt = CML_FMT_MLMODEL;
    } else {
        struct stat st;
        int e = stat(lm->root, &st) == 0 ? FS_ENOTREG : errno ? errno : ENOENT;
        diag_add(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR, "", -1, 0, 0, NULL, "cannot open '%s': %s",
                 lm->root, fs_strerror(e));
    }

    if (fmt == CML_FMT_MLMODEL) {
        load_spec_file(lm, lm->root, "", NULL);
    } else if (fmt == CML_FMT_MLPACKAGE) {
        bool root_told = false;
        char *spec_rel = read_manifest(lm, lm->root, &root_told);
        if (root_told) {
            spec_rel = NULL;   /* its one error is at the manifest's line */
        } else if (!spec_rel) {
            /* fall back to the conventional path so a bad manifest still
             * yields whatever else is wrong */
            char *conv = fs_join(lm->a, lm->root, "Data/com.apple.CoreML/model.mlmodel");
            if (conv && fs_is_file(conv)) spec_rel = "Data/com.apple.CoreML/model.mlmodel";
        }
        if (spec_rel) {
            char *abs = fs_join(lm->a, lm->root, spec_rel);
            char *dir = arena_strdup(lm->a, abs);
            char *slash = dir ? strrchr(dir, '/') : NULL;
            if (slash) *slash = 0;
            if (abs) load_spec_file(lm, abs, spec_rel, dir);
        }
        if (lm->model && lm->overlay_path) read_overlay(lm);
    } else if (fmt == CML_FMT_MLMODELC) {
        load_mlmodelc(lm);
    }

done_reading:
    if (!lm->model) {
        /* an empty model so rules and writers always have something */
        lm->unreadable = true;
        lm->model = arena_alloc(lm->a, sizeof *lm->model);
        if (!lm->model) lm->model = &lm->stand_in;   /* the arena is spent: the error below needs a model */
        if (lm->model) {
            lm->model->path = lm->root;
            lm->model->type = "unknown";
            lm->model->nn_array_shape_mapping = -1;
            lm->model->nn_image_shape_mapping = -1;
        }
    }
    if (lm->model) {
        set_format(lm->model, fmt, 0);
        lm->model->size_bytes = tree_size;
        mlprogram_weights_check(lm);
        report_unreferenced(lm);
        publish_weight_files(lm);
        count_weight_bytes(lm);
        pass_min_os(lm, lm->model, 0);
        ir_pass_compression(lm, lm->model);
        ir_pass_nn_shapes(lm, lm->model);
        ir_pass_compute(lm, lm->model);
        ir_pass_opcheck(lm, lm->model);
        diag_finish(&lm->diags, "");
        /* from the list's own slot: the spent arena cannot hold it, and a
         * model cut short must not read as clean */
        if (arena_exhausted(lm->a))
            diag_add_reserved(&lm->diags, "load/protobuf-corrupt", DIAG_ERROR,
                              "the model needs more memory than the loader's cap (%zu MiB); the IR is incomplete, "
                              "so what was not built was not checked",
                              cap >> 20);
        lm->model->diags = lm->diags.items;
        lm->model->n_diags = lm->diags.n;
    }
    return lm;
}

void loader_free(lmodel *lm) {
    if (!lm) return;
    for (size_t i = 0; i < lm->n_wfiles; i++) blob_close(&lm->wfiles[i]->bf);
    fs_unmap(&lm->spec_map);
    arena_free(lm->a);
    free(lm->root);
    free(lm);
}

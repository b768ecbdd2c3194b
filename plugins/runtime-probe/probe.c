/* SPDX-License-Identifier: Apache-2.0 */
/* probe.c — bundled plugin "runtime-probe": the probe rules (probe/...) that run the
 * model for real (all opt-in: `coreml-lint probe` and `compare` enable
 * them, or a config's `enable`). The first probe rule checked on a model
 * runs the probe (probe_child.c: the reference executor in fp32 and fp16
 * emulation, in a forked child under a time and memory limit, plus Core ML
 * itself on Apple platforms) and caches the measurements keyed by the model
 * and the options that change a run; each rule then reports its own part,
 * judged by its own options (so a config or a test can set a threshold on
 * one rule). The figures (latency, load time, memory, slowest ops,
 * divergence, Core ML) reach the report through cml_host.add_property under
 * the key "probe". The plugin sees only the SDK: weights are read through
 * cml_host.weight_read / weight_stored_as, a baseline model for `compare`
 * through cml_host.load_model. Errors are errors of the errors' kind: a
 * problem of the model is a finding (NaN, overflow, divergence, an op the
 * executor cannot run, a run that fails, a crash, a time-out, out of
 * memory); a bad --input is a usage error (cml_usage_error; the CLI exits
 * 2). Every outcome of a run has the one rule that reports it (see
 * prb_run_notes). */
#define _DEFAULT_SOURCE /* realpath: coreml-lint/realpath.h */
#include <stdint.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coreml-lint/realpath.h"
#include "probe.h"

/* ---- options (shared by every probe rule) ------------------------------------ */

static const cml_option OPT_THREADS = {
    .size = sizeof(cml_option), .type = CML_OPT_INT, .name = "threads",
    .doc = "Threads of the reference executor (0: the CPUs this process may use).", .default_int = 0};
static const cml_option OPT_RUNS = {
    .size = sizeof(cml_option), .type = CML_OPT_INT, .name = "runs",
    .doc = "Predictions per mode (fp32, fp16 emulation; Core ML compute units): first, median and p90 latency.",
    .default_int = 10, .flags = CML_OPT_LIMIT};
static const cml_option OPT_SEED = {
    .size = sizeof(cml_option), .type = CML_OPT_INT, .name = "seed",
    .doc = "Seed of the generated inputs (declared types and shapes; images as 0-255 pixels).", .default_int = 0};
static const cml_option OPT_INPUTS = {
    .size = sizeof(cml_option), .type = CML_OPT_STRINGS, .name = "inputs",
    .doc = "Inputs from files instead of generated ones, each \"NAME=FILE\" (.f32 raw little-endian float32 "
           "with the declared shape, or .npy: float16/32/64, int8..64, uint8..64 or bool, either byte order, C "
           "order, the declared shape give or take dimensions of 1 (a flexible input takes the file's shape within "
           "its range; another layout of as many values is refused); float64 values reach a classic model's Double "
           "input exactly; an integer input takes integers of magnitude at most 2^24 (2^53 for an int64 sequence); "
           ".txt, a string per line (an empty line is the empty string), for a string or a sequence of strings, "
           "or an integer per line for a sequence of int64 (item ids); .tsv, KEY<TAB>NUMBER per line, for a "
           "dictionary; text with \\n \\t \\r \\\\ \\xNN escapes (not \\x00); an empty file for an "
           "optional sequence leaves it out).",
    .flags = CML_OPT_NAMES_FILE};
static const cml_option OPT_SAVE = {
    .size = sizeof(cml_option), .type = CML_OPT_STRING, .name = "save_outputs",
    .doc = "Folder to save the outputs in (not a symbolic link): NAME.npy fp32 and NAME.fp16.npy fp16 emulation "
           "(float32; float64 for a classic model's Double output, which it computes in double), NAME.txt "
           "strings, NAME.tsv dictionaries (text escaped as for inputs); empty: not saved.",
    .default_string = "",
    .flags = CML_OPT_NAMES_FILE};
static const cml_option OPT_TIMEOUT = {
    .size = sizeof(cml_option), .type = CML_OPT_NUMBER, .name = "timeout",
    .doc = "Wall-clock limit of the probe's process in seconds (probe/timeout beyond it).", .default_number = 300,
    .flags = CML_OPT_LIMIT};
static const cml_option OPT_MEMORY = {
    .size = sizeof(cml_option), .type = CML_OPT_INT, .name = "memory_limit",
    .doc = "Memory the probe's process may add in MB (address space where the OS enforces it, and resident "
           "memory); 0: no limit (probe/out-of-memory beyond it).",
    .default_int = 16384, .flags = CML_OPT_LIMIT};
static const cml_option OPT_FUNCTION = {
    .size = sizeof(cml_option), .type = CML_OPT_STRING, .name = "function",
    .doc = "Function of a multifunction model to run; empty: the default function.", .default_string = ""};
static const cml_option OPT_COMPARE = {
    .size = sizeof(cml_option), .type = CML_OPT_STRING, .name = "compare_to",
    .doc = "Baseline model to compare with (`coreml-lint compare BASE MODEL` sets it); empty: none.",
    .default_string = "",
    .flags = CML_OPT_NAMES_FILE};
static const cml_option OPT_COREML = {
    .size = sizeof(cml_option), .type = CML_OPT_BOOL, .name = "coreml",
    .doc = "Also run Core ML itself for each compute unit setting where the host has it (Apple platforms).",
    .default_bool = true};
static const cml_option OPT_SCALE = {
    .size = sizeof(cml_option), .type = CML_OPT_BOOL, .name = "scale_errors",
    .doc = "Divide L-infinity and RMSE by max(1, max |reference output|) before comparing them with the "
           "thresholds (absolute for outputs within [-1, 1], relative to the range beyond).",
    .default_bool = true};
static const cml_option OPT_F16_LINF = {
    .size = sizeof(cml_option), .type = CML_OPT_NUMBER, .name = "fp16_max_abs",
    .doc = "fp16 threshold: largest L-infinity error allowed.", .default_number = 1e-2};
static const cml_option OPT_F16_RMSE = {
    .size = sizeof(cml_option), .type = CML_OPT_NUMBER, .name = "fp16_rmse",
    .doc = "fp16 threshold: largest RMSE allowed.", .default_number = 1e-3};
static const cml_option OPT_I8_LINF = {
    .size = sizeof(cml_option), .type = CML_OPT_NUMBER, .name = "int8_max_abs",
    .doc = "Compressed-weights (int8 and below) threshold for compare: largest L-infinity error allowed.",
    .default_number = 5e-2};
static const cml_option OPT_I8_RMSE = {
    .size = sizeof(cml_option), .type = CML_OPT_NUMBER, .name = "int8_rmse",
    .doc = "Compressed-weights (int8 and below) threshold for compare: largest RMSE allowed.",
    .default_number = 5e-3};
static const cml_option OPT_HOOK = {
    .size = sizeof(cml_option), .type = CML_OPT_STRING, .name = "test_hook",
    .doc = "Test hook of coreml-lint's own tests: \"crash\", \"hang\" or \"slow\" makes the probe's process crash, "
           "hang or take 0.2 s a run on purpose, only where the environment has CML_PROBE_TEST_HOOKS=1 (the test suite's); ignored "
           "elsewhere. Leave empty.",
    .default_string = ""};

static const cml_option *const PROBE_OPTIONS[] = {
    &OPT_THREADS, &OPT_RUNS,  &OPT_SEED,     &OPT_INPUTS,   &OPT_SAVE,     &OPT_TIMEOUT,  &OPT_MEMORY,  &OPT_FUNCTION,
    &OPT_COMPARE, &OPT_COREML, &OPT_SCALE, &OPT_F16_LINF, &OPT_F16_RMSE, &OPT_I8_LINF, &OPT_I8_RMSE, &OPT_HOOK, NULL};

static const char *const TAGS[] = {"runtime", "numerics", "probe", NULL};

/* the rule ids, for the cache's per-rule bookkeeping */
static const char *const RULE_IDS[] = {"probe/non-finite", "probe/fp16-overflow", "probe/fp16-divergence",
                                       "probe/baseline-divergence", "probe/unsupported-op", "probe/crash",
                                       "probe/timeout", "probe/out-of-memory", "probe/run-error",
                                       "probe/constant-output", NULL};

/* ---- the cached run ------------------------------------------------------------- */

typedef struct prb_cache {
    const cml_model *model;
    char path[4096];
    char *key;                   /* prb_key of the run */
    probe_result *res;
    unsigned consumed;           /* rules that reported from it (bit per rule) */
    bool logged;                 /* run-level notes already posted */
    char baseline_problem[PROBE_MSG];
} prb_cache;

typedef struct prb_state {
    prb_cache cache;
} prb_state;

static int prb_init(const cml_host *host, void **state) {
    (void)host;
    prb_state *s = calloc(1, sizeof *s);
    if (!s) return -1;
    *state = s;
    return 0;
}

static void prb_fini(void *state) {
    prb_state *s = state;
    if (!s) return;
    if (s->cache.res) probe_result_clear(s->cache.res);
    free(s->cache.res);
    free(s->cache.key);
    free(s);
}

static void prb_read_opts(cml_ctx *ctx, probe_opts *o) {
    memset(o, 0, sizeof *o);
    int64_t t = cml_option_int(ctx, "threads", 0);
    o->threads = t < 0 ? 0 : t > 256 ? 256 : (int)t;
    int64_t r = cml_option_int(ctx, "runs", 10);
    o->runs = r < 1 ? 1 : r > INT_MAX ? INT_MAX : (int)r;
    o->seed = (uint64_t)cml_option_int(ctx, "seed", 0);
    o->timeout_s = cml_option_number(ctx, "timeout", 300);
    o->memory_limit_mb = cml_option_int(ctx, "memory_limit", 16384);
    snprintf(o->function, sizeof o->function, "%s", cml_option_string(ctx, "function", ""));
    const char *const *ins = NULL;
    size_t n = cml_option_strings(ctx, "inputs", &ins);
    o->inputs = n ? calloc(n, sizeof *o->inputs) : NULL;
    for (size_t i = 0; o->inputs && i < n; i++)
        if ((o->inputs[o->n_inputs] = strdup(ins[i] ? ins[i] : ""))) o->n_inputs++;
    snprintf(o->save_outputs, sizeof o->save_outputs, "%s", cml_option_string(ctx, "save_outputs", ""));
    snprintf(o->compare_to, sizeof o->compare_to, "%s", cml_option_string(ctx, "compare_to", ""));
    /* a crash or hang on purpose, for the suite alone: a configuration from
     * a pull request could otherwise stall every probe of a CI job */
    const char *hooks = getenv("CML_PROBE_TEST_HOOKS");
    snprintf(o->test_hook, sizeof o->test_hook, "%s",
             hooks && !strcmp(hooks, "1") ? cml_option_string(ctx, "test_hook", "") : "");
    o->coreml = cml_option_bool(ctx, "coreml", true);
}

void probe_opts_clear(probe_opts *o) {
    for (size_t i = 0; i < o->n_inputs; i++) free(o->inputs[i]);
    free(o->inputs);
    o->inputs = NULL;
    o->n_inputs = 0;
}

/* what identifies a run (malloc'd; NULL out of memory) */
static char *prb_key(const probe_opts *o) {
    size_t cap = 12 * 1024;
    for (size_t i = 0; i < o->n_inputs; i++) cap += strlen(o->inputs[i]) + 2;
    char *key = malloc(cap);
    if (!key) return NULL;
    size_t k = (size_t)snprintf(key, cap, "t%d r%d s%llu to%.17g m%lld f=%s c=%s h=%s cm%d sv=%s n%zu",
                                o->threads, o->runs, (unsigned long long)o->seed, o->timeout_s,
                                (long long)o->memory_limit_mb, o->function, o->compare_to, o->test_hook,
                                o->coreml ? 1 : 0, o->save_outputs, o->n_inputs);
    for (size_t i = 0; i < o->n_inputs && k < cap; i++) k += (size_t)snprintf(key + k, cap - k, "|%s", o->inputs[i]);
    return key;
}

/* ---- weight access through the host ------------------------------------------------ */

static size_t prb_io_read(void *user, const cml_weight *w, uint64_t off, void *buf, size_t n) {
    return cml_weight_read((cml_ctx *)user, w, off, buf, n);
}

static cml_dtype prb_io_stored(void *user, const cml_weight *w, const char *const **strings) {
    return cml_weight_stored_as((cml_ctx *)user, w, strings);
}

/* the stored bytes in place (the host's mapping of weight.bin): the
 * executor keeps large constants there instead of decoding a copy */
static const void *prb_io_bytes(void *user, const cml_weight *w, uint64_t *nbytes) {
    return cml_weight_bytes((cml_ctx *)user, w, nbytes);
}

static bool prb_has_errors(const cml_model *m) {
    for (size_t i = 0; i < m->n_diags; i++)
        if (m->diags[i]->level >= 3) return true;
    return false;
}

/* ---- linked models ---------------------------------------------------------------- */


/* SOURCE: apple/coremltools mlmodel/format/LinkedModel.proto
 * LinkedModelFile: linkedModelFileName (e.g. "MyFetureExtractor.mlmodelc")
 * searched along linkedModelSearchPath, ":"-separated paths relative to
 * this model or absolute, "" meaning "."; the "$BUNDLE_MAIN" and
 * "$BUNDLE_IDENTIFIER(...)" paths name app bundles, which only the app has.
 * Relative paths are tried from the folder holding the model and, for a
 * package or compiled folder, from inside it.
 *
 * The file names and search paths are the model's, so a stranger's: only a
 * file whose real path lies in the folder holding the model is used, and
 * one outside it reads as one that does not exist (a search path of "/etc"
 * once told the report which files the runner has, and loaded them). Each
 * file is loaded once (ls->files, by real path), at most PROBE_LINK_FILES
 * of them, and at most PROBE_LINK_TRIES candidate paths are looked at: a
 * 161-byte pipeline of two stages that link its own file loaded 2^16
 * copies of itself (5.7 GB, past any time limit, in the host process). */
static const cml_model *prb_find_link(cml_ctx *ctx, prb_linkset *ls, const cml_model *m, const cml_op *op,
                                      char *why, size_t n) {
    const cml_attr *fa = cml_op_attr(op, "linkedModelFile.linkedModelFileName.defaultValue"),
                   *sa = cml_op_attr(op, "linkedModelFile.linkedModelSearchPath.defaultValue");
    const char *file = fa && fa->kind == CML_ATTR_STRING ? fa->s : NULL, *search = sa && sa->kind == CML_ATTR_STRING ? sa->s : "";
    if (!file || !*file) {
        snprintf(why, n, "the linked model has no file name");
        return NULL;
    }
    const char *path = m->path ? m->path : "";
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = 0;   /* a model in "/" */
    else if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    char *root = cml_realpath(dir);
    if (!root) {
        snprintf(why, n, "the folder holding the model cannot be resolved, so '%.200s' was not looked up", file);
        return NULL;
    }
    char tried[1024] = "";
    size_t k = 0;
    const char *sp = search && *search ? search : ".";
    struct stat ms;
    bool model_dir = *path && stat(path, &ms) == 0 && S_ISDIR(ms.st_mode);
    const cml_model *found = NULL;
    bool done = false;
    while (!done && (*sp || sp == search)) {
        const char *colon = strchr(sp, ':');
        size_t len = colon ? (size_t)(colon - sp) : strlen(sp);
        char entry[2048];
        snprintf(entry, sizeof entry, "%.*s", (int)(len < sizeof entry ? len : sizeof entry - 1), sp);
        if (!*entry) snprintf(entry, sizeof entry, ".");
        if (entry[0] == '$') {
            if (k < sizeof tried - 1) k += (size_t)snprintf(tried + k, sizeof tried - k, "%s%s (an app bundle)", k ? ", " : "", entry);
        } else {
            /* relative entries: from the model's folder, and from inside
             * the model when it is a folder (a package or compiled model) */
            const char *bases[2] = {dir, path};
            for (int b = 0; b < 2 && !done; b++) {
                char cand[8192];
                if (entry[0] == '/') {
                    if (b) break;
                    snprintf(cand, sizeof cand, "%s/%s", entry, file);
                } else if (b && !model_dir) {
                    break;
                } else if (!strcmp(entry, ".")) {
                    snprintf(cand, sizeof cand, "%s/%s", bases[b], file);
                } else {
                    snprintf(cand, sizeof cand, "%s/%s/%s", bases[b], entry, file);
                }
                if (ls->tries >= PROBE_LINK_TRIES) {
                    snprintf(why, n, "not looked up: the model's links name more than %d paths to try", PROBE_LINK_TRIES);
                    free(root);
                    return NULL;
                }
                ls->tries++;
                char *real = cml_realpath(cand);
                if (!real || !cml_path_within(root, real)) {
                    /* missing, or outside the model's folder: told alike */
                    free(real);
                    if (k < sizeof tried - 1) k += (size_t)snprintf(tried + k, sizeof tried - k, "%s%s", k ? ", " : "", cand);
                    continue;
                }
                prb_linked *f = NULL;
                for (size_t i = 0; i < ls->n_files && !f; i++)
                    if (!strcmp(ls->files[i].real, real)) f = &ls->files[i];
                if (f) {
                    free(real);
                } else {
                    if (ls->n_files >= PROBE_LINK_FILES) {
                        snprintf(why, n, "not looked up: the model links more than %d model files", PROBE_LINK_FILES);
                        free(real);
                        free(root);
                        return NULL;
                    }
                    if (ls->n_files == ls->cap_files) {
                        size_t cap = ls->cap_files ? 2 * ls->cap_files : 4;
                        prb_linked *nf = realloc(ls->files, cap * sizeof *nf);
                        if (!nf) {
                            free(real);
                            break;
                        }
                        ls->files = nf;
                        ls->cap_files = cap;
                    }
                    f = &ls->files[ls->n_files++];
                    f->real = real;
                    f->why[0] = 0;
                    f->model = cml_load_model(ctx, cand);
                    if (f->model && prb_has_errors(f->model)) {
                        snprintf(f->why, sizeof f->why, "the linked model %.440s cannot be read", cand);
                        f->model = NULL;
                    } else if (!f->model) {
                        snprintf(f->why, sizeof f->why, "the linked model %.440s could not be loaded", cand);
                    }
                }
                if (!f->model) snprintf(why, n, "%s", f->why);
                found = f->model;
                done = true;
            }
        }
        if (!colon) break;
        sp = colon + 1;
    }
    free(root);
    if (!done) snprintf(why, n, "'%.200s' was not found in the folder holding the model (tried %.230s)", file, tried);
    return found;
}

static int prb_link_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const probe_link *)a)->op, y = (uintptr_t)((const probe_link *)b)->op;
    return x < y ? -1 : x > y;
}

/* m joins the models whose links are listed, at depth (0 when it is
 * there already); false: out of memory */
static bool prb_walk_push(prb_linkset *ls, const cml_model *m, int depth) {
    for (size_t i = 0; i < ls->n_walked; i++)
        if (ls->walked[i] == m) return true;
    if (ls->n_walked == ls->cap_walked) {
        size_t cap = ls->cap_walked ? 2 * ls->cap_walked : 4;
        const cml_model **nw = realloc(ls->walked, cap * sizeof *nw);
        if (!nw) return false;
        ls->walked = nw;
        int *nd = realloc(ls->walk_depth, cap * sizeof *nd);
        if (!nd) return false;
        ls->walk_depth = nd;
        ls->cap_walked = cap;
    }
    ls->walked[ls->n_walked] = m;
    ls->walk_depth[ls->n_walked++] = depth;
    return true;
}

/* every linkedModel op of root's classic function, with its model, and
 * those of the models they link, each model's ops once (a model that links
 * itself, or one linked many times), depth < 16. Breadth first: a model is
 * listed at its shallowest depth, where a depth-first walk that met it
 * first at depth 15 by a long chain left its links unlisted when a short
 * chain reached it later. */
static void prb_links_walk(cml_ctx *ctx, const cml_model *root, prb_linkset *ls) {
    if (!root || !CML_HOST_HAS(ctx->host, load_model) || !prb_walk_push(ls, root, 0)) return;
    for (size_t q = 0; q < ls->n_walked; q++) {
        const cml_model *m = ls->walked[q];
        int depth = ls->walk_depth[q];
        const cml_function *fn = m->classic;
        for (size_t i = 0; fn && fn->block && i < fn->block->n_ops; i++) {
            const cml_op *op = fn->block->ops[i];
            if (strcmp(op->kind, "linkedModel")) continue;
            if (ls->n == ls->cap) {
                size_t cap = ls->cap ? 2 * ls->cap : 4;
                probe_link *nl = realloc(ls->l, cap * sizeof *nl);
                if (!nl) return;
                ls->l = nl;
                ls->cap = cap;
            }
            probe_link *l = &ls->l[ls->n++];
            memset(l, 0, sizeof *l);
            l->op = op;
            l->model = prb_find_link(ctx, ls, m, op, l->why, sizeof l->why);
            if (l->model && depth + 1 < 16 && !prb_walk_push(ls, l->model, depth + 1)) return;
        }
    }
}

/* the links of m, sorted by op for prb_link's bisection; m's own file is
 * the first of the files, so a link to it is m, not a second copy */
static void prb_links_add(cml_ctx *ctx, const cml_model *m, prb_linkset *ls) {
    char *real = m && m->path ? cml_realpath(m->path) : NULL;
    if (real && (ls->files = calloc(4, sizeof *ls->files)) != NULL) {
        ls->cap_files = 4;
        ls->files[0].real = real;
        ls->files[0].model = m;
        ls->n_files = 1;
    } else {
        free(real);
    }
    prb_links_walk(ctx, m, ls);
    if (ls->n > 1) qsort(ls->l, ls->n, sizeof *ls->l, prb_link_cmp);
}

static void prb_links_free(prb_linkset *ls) {
    for (size_t i = 0; i < ls->n_files; i++) free(ls->files[i].real);
    free(ls->files);
    free(ls->walked);
    free(ls->walk_depth);
    free(ls->l);
    memset(ls, 0, sizeof *ls);
}

/* exec_io.link: the model looked up for a linkedModel op before the run */
static const cml_model *prb_link(void *user, const cml_op *op, char *why, size_t n) {
    const prb_linkset *ls = user;
    size_t lo = 0, hi = ls ? ls->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)ls->l[mid].op < (uintptr_t)op) lo = mid + 1;
        else hi = mid;
    }
    if (ls && lo < ls->n && ls->l[lo].op == op) {
        if (!ls->l[lo].model) snprintf(why, n, "%s", ls->l[lo].why);
        return ls->l[lo].model;
    }
    snprintf(why, n, "the linked model was not looked up");
    return NULL;
}

/* ---- figures -------------------------------------------------------------------- */

static const char *prb_status_name(probe_status s) {
    switch (s) {
    case PROBE_OK: return "ok";
    case PROBE_UNSUPPORTED: return "unsupported";
    case PROBE_SKIPPED: return "skipped";
    case PROBE_INPUT_ERROR: return "input-error";
    case PROBE_RUN_ERROR: return "error";
    case PROBE_CRASH: return "crash";
    case PROBE_TIMEOUT: return "timeout";
    case PROBE_OOM: return "out-of-memory";
    default: return "not-run";
    }
}

static void prb_json_str(char *out, size_t cap, const char *s) {
    size_t k = 0;
    if (cap < 3) return;
    out[k++] = '"';
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c && k + 8 < cap; c++) {
        if (*c == '"' || *c == '\\') {
            out[k++] = '\\';
            out[k++] = (char)*c;
        } else if (*c < 0x20) {
            k += (size_t)snprintf(out + k, cap - k, "\\u%04x", *c);
        } else {
            out[k++] = (char)*c;
        }
    }
    out[k++] = '"';
    out[k] = 0;
}

/* the report's "probe" property for r, its message why (r->message, or a
 * reason that is no finding's) */
static void prb_add_figures_why(cml_ctx *ctx, const probe_result *r, const char *why) {
    size_t cap = (r->figures ? strlen(r->figures) : 0) + 4096;
    char *doc = malloc(cap);
    if (!doc) return;
    char msg[2 * PROBE_MSG + 8], host[512];
    prb_json_str(msg, sizeof msg, why);
#ifdef __APPLE__
    prb_json_str(host, sizeof host, "Apple platform: Core ML figures (CPU, GPU, Neural Engine) are under coreml");
#else
    prb_json_str(host, sizeof host,
                 "GPU and Neural Engine figures were not measured on this host (Core ML runs only on Apple "
                 "platforms); the fp16 emulation stands in for their fp16 arithmetic");
#endif
    int k = snprintf(doc, cap, "{\"status\":\"%s\",\"peak_rss_mb\":%.6g,\"host\":%s",
                     r->status == PROBE_OK && r->partial ? "partial" : prb_status_name(r->status), r->rss_peak_mb, host);
    if (k > 0 && why[0] && (size_t)k < cap) k += snprintf(doc + k, cap - (size_t)k, ",\"message\":%s", msg);
    if (k > 0 && r->status == PROBE_OK && r->figures && r->figures[0] && (size_t)k < cap)
        k += snprintf(doc + k, cap - (size_t)k, ",%s", r->figures);
    if (k > 0 && (size_t)k + 2 < cap) {
        doc[k++] = '}';
        doc[k] = 0;
        if (cml_add_property(ctx, "probe", doc) != 0)
            cml_log(ctx, CML_NOTE, "probe: the figures could not be attached to the report");
    }
    free(doc);
}

static void prb_add_figures(cml_ctx *ctx, const probe_result *r) { prb_add_figures_why(ctx, r, r->message); }

/* ---- running (once per model and run options) ------------------------------------ */

static const probe_result *prb_get_with(cml_ctx *ctx, const cml_model *m, bool *first, const probe_opts *op,
                                        char *key);
static const probe_result *prb_get(cml_ctx *ctx, const cml_model *m, bool *first) {
    *first = false;
    if (!ctx->state) return NULL;
    probe_opts o;
    prb_read_opts(ctx, &o);
    char *key = prb_key(&o);
    const probe_result *r = key ? prb_get_with(ctx, m, first, &o, key) : NULL;
    probe_opts_clear(&o);
    return r;
}

/* key: the run's key, owned by the cache from here */
static const probe_result *prb_get_with(cml_ctx *ctx, const cml_model *m, bool *first, const probe_opts *op,
                                        char *key) {
    prb_state *s = ctx->state;
    probe_opts o = *op;
    prb_cache *c = &s->cache;
    const char *path = m->path ? m->path : "";
    /* Each rule checks a loaded model once: a rule asking again for the
     * same model pointer means the model was freed and loaded anew (maybe
     * at the same address), so the cached op pointers are stale. */
    unsigned bit = 0;
    for (size_t i = 0; RULE_IDS[i]; i++)
        if (ctx->rule_id && !strcmp(RULE_IDS[i], ctx->rule_id)) bit = 1u << i;
    if (c->res && c->model == m && !strcmp(c->path, path) && c->key && !strcmp(c->key, key) && bit &&
        !(c->consumed & bit)) {
        c->consumed |= bit;
        free(key);
        return c->res;
    }
    c->consumed = bit;
    if (!c->res && !(c->res = calloc(1, sizeof *c->res))) {
        free(key);
        return NULL;
    }
    c->model = m;
    snprintf(c->path, sizeof c->path, "%s", path);
    free(c->key);
    c->key = key;
    c->baseline_problem[0] = 0;
    c->logged = false;
    *first = true;
    probe_result *r = c->res;
    probe_result_clear(r);
    if (!CML_HOST_HAS(ctx->host, weight_stored_as)) {
        snprintf(r->message, sizeof r->message,
                 "this coreml-lint is too old for the runtime probe (no weight_stored_as host service)");
        r->status = PROBE_SKIPPED;
        return r;
    }
    if (prb_has_errors(m)) {
        /* the load/... rules say what is wrong: no probe finding, but the
         * report's probe section says why it did not run */
        r->status = PROBE_SKIPPED;
        prb_add_figures_why(ctx, r, "not run: the model has load errors (see its load/... findings)");
        return r;
    }
    if (!m->n_functions && !m->classic) {
        snprintf(r->message, sizeof r->message,
                 "model type '%s' is not executable by the reference executor (no graph or parameters in the IR)",
                 m->type ? m->type : "unknown");
        r->status = PROBE_UNSUPPORTED;
        prb_add_figures(ctx, r);
        return r;
    }
    const cml_model *base = NULL;
    if (o.compare_to[0]) {
        base = cml_load_model(ctx, o.compare_to);
        if (!base) {
            snprintf(c->baseline_problem, sizeof c->baseline_problem, "compare: the baseline %.900s could not be loaded",
                     o.compare_to);
        } else if (prb_has_errors(base)) {
            const char *why = "";
            for (size_t i = 0; i < base->n_diags; i++)
                if (base->diags[i]->level >= 3) {
                    why = base->diags[i]->message;
                    break;
                }
            snprintf(c->baseline_problem, sizeof c->baseline_problem, "compare: the baseline %.500s cannot be read: %.400s",
                     o.compare_to, why);
            base = NULL;
        }
    }
    prb_linkset links = {0};
    prb_links_add(ctx, m, &links);
    exec_io io = {.read = prb_io_read, .stored_as = prb_io_stored, .user = ctx, .bytes = prb_io_bytes, .link = prb_link, .link_user = &links};
    probe_run(m, base, &o, &io, path, r);
    prb_links_free(&links);
    if (base == NULL && o.compare_to[0] && !c->baseline_problem[0])
        snprintf(c->baseline_problem, sizeof c->baseline_problem, "compare: the baseline %.900s was not run", o.compare_to);
    prb_add_figures(ctx, r);
    return r;
}

/* Every outcome of a run belongs to one rule, which alone reports it:
 *   ok: probe/non-finite, probe/fp16-overflow, probe/fp16-divergence,
 *       probe/baseline-divergence, probe/constant-output judge the
 *       measurements (status "partial" too: a pipeline whose refused stage
 *       ran on generated values, that stage reported by probe/unsupported-op);
 *   unsupported: probe/unsupported-op (the ops, or the model type);
 *   error (the executor failed on the model), skipped with a reason (a
 *       host too old for the probe): probe/run-error;
 *   crash, timeout, out-of-memory: probe/crash, probe/timeout,
 *       probe/out-of-memory.
 * The user's own input that cannot be used (a --input file, a
 * --save-outputs folder, a compare baseline) is a usage error, not a
 * finding: posted once per run (cml_usage_error; the CLI exits 2). A load
 * error of the model itself skips the probe silently (the load/... rules
 * say what is wrong). */
static void prb_run_notes(cml_ctx *ctx, const probe_result *r) {
    prb_state *s = ctx->state;
    if (!s || s->cache.logged) return;
    s->cache.logged = true;
    if (r->status == PROBE_INPUT_ERROR) cml_usage_error(ctx, "probe: %s", r->message);
    if (r->save_error[0]) cml_usage_error(ctx, "probe: %s", r->save_error);
    if (s->cache.baseline_problem[0]) cml_usage_error(ctx, "probe: %s", s->cache.baseline_problem);
    else if (r->cmp_error[0]) cml_usage_error(ctx, "probe: compare: %s", r->cmp_error);
}

static const char *prb_op_name(const cml_op *op) {
    return op && op->name && *op->name ? op->name : op && op->loc.logical ? op->loc.logical : "?";
}

/* The model's described outputs sorted by name (then position), built at a
 * rule's first lookup: a scan per reported output made the 10,000 reports
 * of a model with 80,000 constant outputs (4 MB) take 100 s in the host
 * process, after the probe's own time limit had ended. */
typedef struct prb_loc {
    const cml_feature *f;
    size_t i;   /* its position */
} prb_loc;
typedef struct prb_locs {
    prb_loc *v;
    size_t n;
    bool built;
} prb_locs;

static int prb_loc_cmp(const void *a, const void *b) {
    const prb_loc *x = a, *y = b;
    int c = strcmp(x->f->name, y->f->name);
    return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* the first described output of m named name (NULL: none) */
static const cml_loc *prb_output_loc(prb_locs *L, const cml_model *m, const char *name) {
    if (!L->built) {
        L->built = true;
        L->v = malloc((m->n_outputs ? m->n_outputs : 1) * sizeof *L->v);
        for (size_t i = 0; L->v && i < m->n_outputs; i++)
            if (m->outputs[i]->name) L->v[L->n++] = (prb_loc){m->outputs[i], i};
        if (L->n > 1) qsort(L->v, L->n, sizeof *L->v, prb_loc_cmp);
    }
    size_t lo = 0, hi = L->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(L->v[mid].f->name, name) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < L->n && !strcmp(L->v[lo].f->name, name) ? &L->v[lo].f->loc : NULL;
}

typedef int (*prb_report_fn)(const cml_model *m, cml_ctx *ctx, const probe_result *r);

static int prb_check(const cml_model *m, cml_ctx *ctx, prb_report_fn fn) {
    bool first = false;
    const probe_result *r = prb_get(ctx, m, &first);
    if (!r) return CML_ENOMEM;
    prb_run_notes(ctx, r);
    return fn(m, ctx, r);
}

/* ---- the rules' judgements ------------------------------------------------------------ */

/* Whether Core ML computes op in fp16 on the GPU and Neural Engine (what the
 * fp16 emulation stands for): every op of a NeuralNetwork or of a program
 * typed fp16; in a mixed program the ops typed fp16; in a program typed fp32
 * none (r->precision, probe_prec). */
static bool prb_op_fp16(const probe_result *r, const cml_op *op) {
    if (r->precision == PROBE_PREC_FP16) return true;
    if (r->precision != PROBE_PREC_MIXED || !op) return false;
    if (op->is_nn_layer) return true;
    for (size_t k = 0; k < op->n_outputs; k++)
        if (op->outputs[k]->type.dtype == CML_DT_FP16) return true;
    return false;
}

/* The ops of list[0..n) that Core ML computes in fp16, into out (same order); how many. */
static size_t prb_fp16_ops(const probe_result *r, const probe_op_ref *list, size_t n, probe_op_ref *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (prb_op_fp16(r, list[i].op)) out[k++] = list[i];
    return k;
}

/* said of an fp16 finding that no compute unit would meet as the program is typed */
#define PRB_IF_CONVERTED \
    "if the program were converted to fp16 (coremltools compute_precision=FLOAT16, which the Neural Engine needs)"
#define PRB_TYPED_FP32 "as typed, in fp32, Core ML computes it in fp32 on every compute unit"
#define PRB_AS_TYPED_FIX                                                                                      \
    "nothing to do while the program stays typed fp32; if you convert it to fp16, keep the ops named here in " \
    "fp32 (compute_precision with an op selector) or rescale their values"

static int rep_non_finite(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    (void)m;
    if (r->status != PROBE_OK) return CML_OK;
    for (int mode = 0; mode < 2; mode++) {
        char outs[768] = "";
        size_t k = 0;
        uint64_t total = 0;
        for (size_t i = 0; i < r->n_outputs; i++) {
            const probe_output *po = &r->outputs[i];
            uint64_t nan = mode ? po->nan16 : po->nan32, inf = mode ? po->inf16 : po->inf32;
            if (!po->is_float || !(nan + inf)) continue;
            total += nan + inf;
            if (k < sizeof outs - 1)
                k += (size_t)snprintf(outs + k, sizeof outs - k, "%s'%s' holds %llu NaN and %llu Inf of %llu values",
                                      k ? "; " : "", po->name, (unsigned long long)nan, (unsigned long long)inf,
                                      (unsigned long long)po->n);
        }
        if (!total) continue;
        bool fp32_clean = true;
        for (size_t i = 0; i < r->n_outputs; i++)
            if (r->outputs[i].nan32 + r->outputs[i].inf32) fp32_clean = false;
        if (mode && !fp32_clean) continue; /* already said for fp32 */
        const probe_op_ref *first = mode ? &r->first_nonfinite16 : &r->first_nonfinite32;
        char msg[1400];
        if (!mode && r->nonfinite_sign) {
            /* the probe's own generated inputs, not the model: a note */
            snprintf(msg, sizeof msg,
                     "in fp32 on the probe's generated inputs (floats in [-1, 1]): output %s; the first op to "
                     "produce a non-finite value is '%s' (%s), and with the same inputs made non-negative every "
                     "output is finite: the NaN/Inf comes from negative inputs, which the model may never be given",
                     outs, first->op ? prb_op_name(first->op) : "?", first->op ? first->op->kind : "?");
            cml_report(ctx, .level = CML_NOTE, .message = msg, .at = first->op ? &first->op->loc : NULL,
                       .fix = "run the probe on real inputs (--input NAME=FILE, .f32 or .npy); if negative values "
                              "can reach the model, guard the op's domain (clamp or add an epsilon)");
            continue;
        }
        if (mode && (first->op ? !prb_op_fp16(r, first->op) : r->precision == PROBE_PREC_FP32)) {
            /* an op typed fp32: no compute unit rounds it to fp16 */
            if (first->op)
                snprintf(msg, sizeof msg,
                         "NaN/Inf would appear " PRB_IF_CONVERTED ": in fp16 emulation, fp32 being finite, output %s; "
                         "the first op to produce a non-finite value is '%s' (%s), which is typed fp32: " PRB_TYPED_FP32,
                         outs, prb_op_name(first->op), first->op->kind);
            else
                snprintf(msg, sizeof msg,
                         "NaN/Inf would appear " PRB_IF_CONVERTED ": in fp16 emulation, fp32 being finite, output %s; "
                         PRB_TYPED_FP32, outs);
            cml_report(ctx, .level = CML_NOTE, .message = msg, .at = first->op ? &first->op->loc : NULL,
                       .fix = PRB_AS_TYPED_FIX);
            continue;
        }
        if (first->op)
            snprintf(msg, sizeof msg, "%s: output %s; the first op to produce a non-finite value is '%s' (%s)%s",
                     mode ? "in fp16 emulation (what the GPU and Neural Engine compute), fp32 being finite" : "in fp32",
                     outs, prb_op_name(first->op), first->op->kind,
                     mode ? "" : " — NaN/Inf here is the model's arithmetic, not precision");
        else
            snprintf(msg, sizeof msg, "%s: output %s", mode ? "in fp16 emulation" : "in fp32", outs);
        cml_report(ctx, .message = msg, .at = first->op ? &first->op->loc : NULL,
                   .fix = mode ? "keep the values of this op within fp16 range (scale activations down, or run it in "
                                 "fp32: compute_precision with an op selector)"
                               : "guard the op's domain (log/sqrt/division of values that can be <= 0): clamp or add "
                                 "an epsilon in the source model");
    }
    return CML_OK;
}

static int rep_overflow(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    (void)m;
    if (r->status != PROBE_OK || !r->n_overflow_ops) return CML_OK;
    /* the ops Core ML computes in fp16; when there are none (a program typed
     * fp32, or only its fp32-typed ops overflow), what a conversion to fp16
     * would meet, as a note */
    probe_op_ref dev[PROBE_MAX_LIST];
    size_t n_total = r->n_overflow_ops < PROBE_MAX_LIST ? r->n_overflow_ops : PROBE_MAX_LIST;
    size_t nd = prb_fp16_ops(r, r->overflow, n_total, dev);
    bool as_typed = nd > 0;
    const probe_op_ref *list = as_typed ? dev : r->overflow;
    size_t n = as_typed ? nd : n_total, n_all = as_typed && nd < n_total ? nd : r->n_overflow_ops;
    const probe_op_ref *o = &list[0];
    cml_related rel[PROBE_MAX_LIST];
    char rmsg[PROBE_MAX_LIST][160];
    size_t nr = 0;
    for (size_t i = 1; i < n; i++) {
        snprintf(rmsg[nr], sizeof rmsg[nr], "%s: '%s' (%s), max |x| %.4g", as_typed ? "also overflows" : "would also overflow",
                 prb_op_name(list[i].op), list[i].op->kind, list[i].a);
        rel[nr].at = &list[i].op->loc;
        rel[nr].message = rmsg[nr];
        nr++;
    }
    char msg[1024];
    if (as_typed)
        snprintf(msg, sizeof msg,
                 "op '%s' (%s) reaches |x| = %.6g before rounding to fp16, beyond the fp16 maximum 65504: %llu value%s "
                 "become%s Inf in fp16 emulation (the GPU and Neural Engine compute in fp16)",
                 prb_op_name(o->op), o->op->kind, o->a, (unsigned long long)o->count, o->count == 1 ? "" : "s",
                 o->count == 1 ? "s" : "");
    else
        snprintf(msg, sizeof msg,
                 "op '%s' (%s) reaches |x| = %.6g, beyond the fp16 maximum 65504: %llu value%s would become Inf "
                 PRB_IF_CONVERTED "; " PRB_TYPED_FP32,
                 prb_op_name(o->op), o->op->kind, o->a, (unsigned long long)o->count, o->count == 1 ? "" : "s");
    if (n_all > 1) {
        size_t l = strlen(msg);
        snprintf(msg + l, sizeof msg - l, "; %zu op%s %s in all", n_all, n_all == 1 ? "" : "s",
                 as_typed ? "overflow" : "would overflow");
    }
    if (as_typed)
        cml_report(ctx, .message = msg, .at = &o->op->loc, .related = nr ? rel : NULL, .n_related = nr,
                   .fix = "scale the values down before this op (normalise inputs, fold a scale into the weights), or "
                          "keep it in fp32 (compute_precision with an op selector, or compute_units=CPU_ONLY)");
    else
        cml_report(ctx, .level = CML_NOTE, .message = msg, .at = &o->op->loc, .related = nr ? rel : NULL,
                   .n_related = nr, .fix = PRB_AS_TYPED_FIX);
    return CML_OK;
}

/* errors scaled for the thresholds (scale_errors) */
static double prb_scale(cml_ctx *ctx, double max_ref) {
    if (!cml_option_bool(ctx, "scale_errors", true)) return 1;
    return max_ref > 1 ? max_ref : 1;
}

/* ops that probe/fp16-overflow reports: an op whose fp16 values became Inf
 * has no finite relative error, and its overflow is the divergence's cause
 * (r NULL: a comparison with a baseline, where no overflow is judged) */
static bool prb_overflowed(const probe_result *r, const cml_op *op) {
    if (!r) return false;
    size_t n = r->n_overflow_ops < PROBE_MAX_LIST ? r->n_overflow_ops : PROBE_MAX_LIST;
    for (size_t i = 0; i < n; i++)
        if (r->overflow[i].op == op) return true;
    return false;
}

static void prb_ops_text(const probe_result *r, const probe_op_ref *ops, size_t n, char *out, size_t cap) {
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && i < 3 && k < cap; i++) {
        if (prb_overflowed(r, ops[i].op))
            k += (size_t)snprintf(out + k, cap - k, "%s'%s' (%s, which overflows fp16: see probe/fp16-overflow)",
                                  i ? ", " : "", prb_op_name(ops[i].op), ops[i].op->kind);
        else
            k += (size_t)snprintf(out + k, cap - k, "%s'%s' (%s, relative error %.3g)", i ? ", " : "",
                                  prb_op_name(ops[i].op), ops[i].op->kind, ops[i].a);
    }
}

/* the first three of ops as related locations: "<what>: relative error A
 * (+B over its inputs)"; returns how many */
static size_t prb_ops_related(const probe_result *r, const probe_op_ref *ops, size_t n, const char *what,
                              cml_related rel[3], char rmsg[3][200]) {
    size_t nr = 0;
    for (size_t k = 0; k < n && k < 3; k++) {
        if (prb_overflowed(r, ops[k].op))
            snprintf(rmsg[nr], 200, "%s: it overflows fp16 (probe/fp16-overflow)", what);
        else
            snprintf(rmsg[nr], 200, "%s: relative error %.3g (+%.3g over its inputs)", what, ops[k].a, ops[k].b);
        rel[nr].at = &ops[k].op->loc;
        rel[nr].message = rmsg[nr];
        nr++;
    }
    return nr;
}


static int rep_divergence(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    if (r->status != PROBE_OK) return CML_OK;
    prb_locs L = {0};
    double tl = cml_option_number(ctx, "fp16_max_abs", 1e-2), tr = cml_option_number(ctx, "fp16_rmse", 1e-3);
    for (size_t i = 0; i < r->n_outputs; i++) {
        const probe_output *po = &r->outputs[i];
        if (!po->is_float || !po->n) continue;
        if (po->random) {
            /* a random_* op draws differently on the device (seed -1: new values each prediction) and an fp16
             * run may sample other categories: the difference says nothing about precision */
            cml_log(ctx, CML_NOTE,
                    "probe: output '%s' depends on random_* ops: its fp16 vs fp32 difference is not judged", po->name);
            continue;
        }
        if (po->nan32 + po->inf32 + po->nan16 + po->inf16) continue; /* probe/non-finite says it */
        /* what a device computes: a program typed fp32 meets no fp16 (a note
         * of what converting it would do); a mixed program is judged in its
         * own typed precision, the ops named among those typed fp16 */
        bool as_typed = r->precision != PROBE_PREC_FP32;
        bool typed = r->precision == PROBE_PREC_MIXED && po->typed;
        double sc = prb_scale(ctx, po->max_ref);
        double linf = (typed ? po->typed_linf : po->linf) / sc, rmse = (typed ? po->typed_rmse : po->rmse) / sc;
        if (!(linf >= tl || rmse >= tr)) continue;
        probe_op_ref dev[PROBE_MAX_LIST];
        const probe_op_ref *dops = r->div_ops;
        size_t nd = r->n_div_ops < PROBE_MAX_LIST ? r->n_div_ops : PROBE_MAX_LIST;
        if (typed) {
            nd = prb_fp16_ops(r, r->div_ops, nd, dev);
            dops = dev;
        }
        char ops[700];
        prb_ops_text(r, dops, nd, ops, sizeof ops);
        char msg[1600];
        snprintf(msg, sizeof msg,
                 "output '%s' %s: L-inf %.3g, RMSE %.3g%s (thresholds %.3g / %.3g; max |y| %.4g)%s%s%s",
                 po->name,
                 !as_typed ? "would diverge from fp32 " PRB_IF_CONVERTED
                 : typed   ? "diverges between the program's typed precision (its fp16-typed ops rounded to fp16, "
                             "as the GPU and Neural Engine compute them) and fp32"
                           : "diverges between fp16 emulation (what the GPU and Neural Engine compute) and fp32",
                 linf, rmse, sc != 1 ? " scaled by max |y|" : "", tl, tr, po->max_ref,
                 nd ? "; the divergence grows most at " : "", ops, as_typed ? "" : "; " PRB_TYPED_FP32);
        cml_related rel[3];
        char rmsg[3][200];
        size_t nr = prb_ops_related(r, dops, nd, "fp16 error grows here", rel, rmsg);
        if (as_typed)
            cml_report(ctx, .message = msg, .at = prb_output_loc(&L, m, po->name), .related = nr ? rel : NULL,
                       .n_related = nr,
                       .fix = "keep the ops named here in fp32 (coremltools compute_precision with an op selector), "
                              "or rescale the activations; or accept the error if the task tolerates it");
        else
            cml_report(ctx, .level = CML_NOTE, .message = msg, .at = prb_output_loc(&L, m, po->name),
                       .related = nr ? rel : NULL, .n_related = nr, .fix = PRB_AS_TYPED_FIX);
    }
    free(L.v);
    return CML_OK;
}

static int rep_baseline(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    if (r->status != PROBE_OK || !r->compared) return CML_OK;
    prb_locs L = {0};
    bool comp = !strcmp(r->cmp_precision, "compressed");
    double tl = comp ? cml_option_number(ctx, "int8_max_abs", 5e-2) : cml_option_number(ctx, "fp16_max_abs", 1e-2);
    double tr = comp ? cml_option_number(ctx, "int8_rmse", 5e-3) : cml_option_number(ctx, "fp16_rmse", 1e-3);
    for (size_t i = 0; i < r->n_outputs; i++) {
        const probe_output *po = &r->outputs[i];
        if (!po->cmp_matched || po->random) continue; /* random draws: see rep_divergence */
        double sc = prb_scale(ctx, po->cmp_max_ref);
        double linf = po->cmp_linf / sc, rmse = po->cmp_rmse / sc;
        if (!(linf >= tl || rmse >= tr)) continue;
        char ops[700];
        prb_ops_text(NULL, r->cmp_ops, r->n_cmp_ops, ops, sizeof ops);
        char msg[1800];
        snprintf(msg, sizeof msg,
                 "output '%s' diverges from the baseline's '%s' (both in fp32 on the same inputs): L-inf %.3g, "
                 "RMSE %.3g, max relative error %.3g%s, beyond the %s thresholds %.3g / %.3g (max |y| %.4g)%s%s",
                 po->name, po->cmp_name, linf, rmse, po->cmp_max_rel, sc != 1 ? " (L-inf, RMSE scaled by max |y|)" : "",
                 comp ? "compressed-weights (int8)" : "fp16", tl, tr, po->cmp_max_ref,
                 r->n_cmp_ops ? "; of the ops both models name alike, the divergence grows most at " : "", ops);
        cml_related rel[3];
        char rmsg[3][200];
        size_t nr = prb_ops_related(NULL, r->cmp_ops, r->n_cmp_ops, "diverges from the baseline here", rel, rmsg);
        cml_report(ctx, .message = msg, .at = prb_output_loc(&L, m, po->name), .related = nr ? rel : NULL,
                   .n_related = nr,
                   .fix = "compress less aggressively where the error grows (more bits, per-channel or per-block "
                          "granularity, skip sensitive layers), or calibrate");
    }
    free(L.v);
    return CML_OK;
}

static int rep_unsupported(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    (void)m;
    if (r->status != PROBE_UNSUPPORTED && !(r->partial && r->n_unsupported)) return CML_OK;
    if (!r->n_unsupported) {
        cml_reportf(ctx, NULL, "the runtime probe cannot run this model: %s", r->message);
        return CML_OK;
    }
    for (size_t i = 0; i < r->n_unsupported && i < PROBE_MAX_UNSUPPORTED; i++) {
        const cml_op *op = r->unsupported[i].op;
        cml_reportf(ctx, op ? &op->loc : NULL,
                    r->partial ? "the reference executor cannot run op '%s' (%s): the pipeline's other stages were "
                                 "probed on generated values for its outputs%s"
                               : "the reference executor cannot run op '%s' (%s), so the model was not probed%s",
                    prb_op_name(op), r->unsupported_why[i],
                    r->n_unsupported > PROBE_MAX_UNSUPPORTED && i + 1 == PROBE_MAX_UNSUPPORTED ? " (and more)" : "");
    }
    return CML_OK;
}

static int rep_status(cml_ctx *ctx, const probe_result *r, probe_status want, const char *fix) {
    if (r->status != want) return CML_OK;
    const cml_op *op = r->current_op;
    bool at_op = op && (r->stage == STAGE_RUN_FP32 || r->stage == STAGE_RUN_FP16 || r->stage == STAGE_RUN_TYPED);
    char msg[1400];
    snprintf(msg, sizeof msg, "the runtime probe's process %s; the static results are still reported", r->message);
    cml_report(ctx, .message = msg, .at = at_op ? &op->loc : NULL, .fix = fix);
    return CML_OK;
}

static int rep_crash(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    (void)m;
    return rep_status(ctx, r, PROBE_CRASH,
                      "report it with the model (coreml-lint's reference executor should never crash); the static "
                      "findings are unaffected");
}

static int rep_timeout(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    (void)m;
    return rep_status(ctx, r, PROBE_TIMEOUT, "raise --timeout (option timeout) or lower --runs for a large model");
}

static int rep_oom(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    (void)m;
    if (r->status != PROBE_OOM) return CML_OK;
    char msg[1400];
    snprintf(msg, sizeof msg, "the runtime probe ran out of memory: %s; the static results are still reported",
             r->message);
    cml_report(ctx, .message = msg, .fix = "raise --memory-limit (option memory_limit, MB), or probe on a machine with more memory");
    return CML_OK;
}

/* the executor could not run the model (or the probe could not start) */
static int rep_run_error(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    (void)m;
    if (!(r->status == PROBE_RUN_ERROR || (r->status == PROBE_SKIPPED && r->message[0]))) return CML_OK;
    const cml_op *op = r->current_op;
    bool at_op = op && r->status == PROBE_RUN_ERROR &&
                 (r->stage == STAGE_RUN_FP32 || r->stage == STAGE_RUN_FP16 || r->stage == STAGE_RUN_TYPED);
    char msg[1400];
    snprintf(msg, sizeof msg, "the runtime probe could not run the model: %s; the static results are still reported",
             r->message);
    cml_report(ctx, .message = msg, .at = at_op ? &op->loc : NULL,
               .fix = "check the message: a shape the model cannot take (give matching inputs with --input NAME=FILE; "
                      "a sequence model may need its sequence length), or report it with the model if the model runs "
                      "in Core ML");
    return CML_OK;
}

static int rep_constant(const cml_model *m, cml_ctx *ctx, const probe_result *r) {
    if (r->status != PROBE_OK) return CML_OK;
    prb_locs L = {0};
    for (size_t i = 0; i < r->n_outputs; i++) {
        const probe_output *po = &r->outputs[i];
        if (!po->constant || po->nan32 + po->inf32) continue;
        char msg[700], val[96];
        if (po->uniform) snprintf(val, sizeof val, "every element is %.9g", (double)po->first_value);
        else snprintf(val, sizeof val, "the same %llu values each time", (unsigned long long)po->n);
        snprintf(msg, sizeof msg,
                 "output '%s' came out bitwise the same for %d different generated inputs (%s): it does not depend "
                 "on the input values it was given",
                 po->name, po->other_seeds + 1, val);
        cml_report(ctx, .message = msg, .at = prb_output_loc(&L, m, po->name),
                   .fix = "check the op that produces it (a softmax or argmax over an axis of size 1, a saturated "
                          "activation, an output not connected to the inputs); see io/degenerate-output");
    }
    free(L.v);
    return CML_OK;
}

#define PRB_CHECK(name, fn) \
    static int name(const cml_model *m, cml_ctx *ctx) { return prb_check(m, ctx, fn); }
PRB_CHECK(chk_non_finite, rep_non_finite)
PRB_CHECK(chk_overflow, rep_overflow)
PRB_CHECK(chk_divergence, rep_divergence)
PRB_CHECK(chk_baseline, rep_baseline)
PRB_CHECK(chk_unsupported, rep_unsupported)
PRB_CHECK(chk_crash, rep_crash)
PRB_CHECK(chk_timeout, rep_timeout)
PRB_CHECK(chk_oom, rep_oom)
PRB_CHECK(chk_run_error, rep_run_error)
PRB_CHECK(chk_constant, rep_constant)

/* ---- rules ------------------------------------------------------------------------ */

#define PRB_TYPED_HELP                                                                                        \
    "## Typed precision\n\nAn ML Program runs each op in the precision it is typed in, on every compute unit "  \
    "(SOURCE: coremltools docs-guides/source/typed-execution.md: \"a float 32 typed model will only ever run "  \
    "with float 32 precision\"); a NeuralNetwork is untyped and computed in fp16 on the GPU and Neural Engine. " \
    "So the fp16 findings are warnings and errors for NeuralNetworks and for ops typed fp16; for a program "   \
    "typed fp32, and for the fp32-typed ops of a mixed one, they are notes of what a conversion to fp16 "      \
    "(coremltools `compute_precision=FLOAT16`, which the Neural Engine needs) would meet, and a mixed "         \
    "program's outputs are judged on its own typed-precision run."

#define PRB_HOW                                                                                               \
    "\n\n## How the probe runs\n\n"                                                                         \
    "`coreml-lint probe MODEL` (or enabling the probe/* rules) runs the model on the CPU with coreml-lint's "  \
    "reference executor, in fp32 and in fp16 emulation (every value rounded to binary16 after every op, as "   \
    "the GPU and Neural Engine store tensors), and a mixed-precision program also in its own typed "          \
    "precision, on inputs generated deterministically from the declared types "                               \
    "and shapes (images as 0-255 pixels, flexible shapes at their default, an input a classic stage reads "  \
    "as a parameter's override at that parameter's value, sequences of values the model knows, an optional "  \
    "number or sequence and a recommender's optional restriction or exclusion list left out, as an app that " \
    "does not set them leaves them) or given with `--input NAME=FILE` (.f32 or .npy arrays; .txt strings, one " \
    "per line, for a string or a sequence of strings, or int64 values for a sequence of int64; .tsv "          \
    "dictionaries). It runs in a child process under a time limit (`--timeout`) and a memory "               \
    "limit (`--memory-limit`); the static findings are reported whatever happens to it. On Apple platforms it " \
    "also runs Core ML itself for each compute-unit setting; elsewhere the report says that GPU and Neural "    \
    "Engine figures were not measured. The probe's options are shared by every probe rule (set them on "      \
    "`probe/*` in the config).\n"

static const cml_rule R_NON_FINITE = {
    .size = sizeof(cml_rule),
    .id = "probe/non-finite",
    .name = "NonFiniteOutput",
    .summary = "Running the model produces NaN or Inf in an output.",
    .help_md = "An output holds NaN or Inf when the model runs on the probe's inputs — in fp32 (the model's own "
               "arithmetic: log or sqrt of a negative value, a division by zero, an overflow of float32) or only "
               "in fp16 emulation (values beyond the fp16 range 65504, which the GPU and Neural Engine cannot "
               "hold). The finding names the first op that produced a non-finite value; everything after it "
               "inherits it. On the probe's generated inputs (floats in [-1, 1]) an fp32 NaN or Inf that "
               "goes away when the same inputs are made non-negative is only a note: it comes from negative "
               "inputs, which a model of magnitudes, probabilities or counts is never given; give real inputs "
               "with `--input`.\n\n## Fix\n\nGuard the op's domain in the source model (clamp, add an epsilon) or, "
               "for fp16-only cases, scale the activations down or keep the op in fp32.\n\n" PRB_TYPED_HELP PRB_HOW,
    .default_level = CML_ERROR,
    .check = chk_non_finite,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule R_OVERFLOW = {
    .size = sizeof(cml_rule),
    .id = "probe/fp16-overflow",
    .name = "Fp16Overflow",
    .summary = "An op's values exceed the fp16 maximum (65504) when the model runs in fp16.",
    .help_md = "In fp16 emulation an op produced a value whose magnitude, before rounding to binary16, is "
               "larger than 65504, the largest finite fp16 number: on the GPU and the Neural Engine, which "
               "store tensors in fp16, it becomes Inf and usually NaN downstream. The finding names the first "
               "such op and its largest magnitude; related locations list further ones.\n\n"
               "SOURCE: IEEE 754-2008 binary16 (largest finite value 65504; values from 65520 round to "
               "infinity).\n\n## Fix\n\nScale the values down before the op (normalise the inputs, fold a scale "
               "into the weights), or keep the op in fp32.\n\n" PRB_TYPED_HELP PRB_HOW,
    .default_level = CML_WARNING,
    .check = chk_overflow,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule R_DIVERGENCE = {
    .size = sizeof(cml_rule),
    .id = "probe/fp16-divergence",
    .name = "Fp16Divergence",
    .summary = "fp16 execution (GPU, Neural Engine) drifts from fp32 beyond the thresholds.",
    .help_md = "The outputs of the fp16 emulation differ from the fp32 outputs by more than the thresholds: "
               "L-infinity `fp16_max_abs` (default 1e-2) or RMSE `fp16_rmse` (default 1e-3), the values used in "
               "the field's fp16 parity checks; with `scale_errors` (default) the errors are divided by "
               "max(1, max |output|) first, so the thresholds are absolute for outputs within [-1, 1] and "
               "relative to the range beyond. The finding names the ops where the divergence grows most (the "
               "relative error of the op's output minus the worst of its inputs'), measured on sampled values "
               "of every op. Outputs computed from random_* ops (random_normal, random_uniform, random_bernoulli, "
               "random_categorical) are not judged: the executor draws the same values in both runs, Core ML "
               "draws afresh, and an fp16 run may sample other categories; the figures mark them \"random\" and "
               "a note says so.\n\n## Fix\n\nKeep the named ops in fp32 (coremltools `compute_precision` with an "
               "op selector), rescale the activations, or accept the error if the task tolerates it.\n\n"
               PRB_TYPED_HELP PRB_HOW,
    .default_level = CML_WARNING,
    .check = chk_divergence,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule R_BASELINE = {
    .size = sizeof(cml_rule),
    .id = "probe/baseline-divergence",
    .name = "BaselineDivergence",
    .summary = "A model diverges from its baseline (compare) beyond the thresholds for its precision.",
    .help_md = "`coreml-lint compare BASE MODEL` runs both models in fp32 on the same inputs and compares "
               "each output of MODEL with the baseline's (same name, or the only output): L-infinity, RMSE and "
               "max relative error. The thresholds follow MODEL's precision: compressed weights (palettized, "
               "quantized, sparse; int8 and below) use `int8_max_abs` / `int8_rmse` (defaults 5e-2 / 5e-3), "
               "others the fp16 ones (1e-2 / 1e-3), scaled as probe/fp16-divergence explains. Where the two "
               "graphs name ops alike, the finding names the ops where the divergence grows most.\n\n"
               "## Fix\n\nCompress less aggressively where the error grows: more bits, per-channel or per-block "
               "granularity, skip sensitive layers, or calibrate." PRB_HOW,
    .default_level = CML_ERROR,
    .check = chk_baseline,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule R_UNSUPPORTED = {
    .size = sizeof(cml_rule),
    .id = "probe/unsupported-op",
    .name = "ProbeUnsupportedOp",
    .summary = "The runtime probe cannot run an op or a pipeline stage of the model.",
    .help_md = "coreml-lint's reference executor runs every NeuralNetwork layer, every ML Program op of the iOS15 "
               "to iOS18 opsets (control flow, lists and states included; docs/mil-ops.md in the source tree lists "
               "them) and every classic model, except what needs code the model file does not carry: a custom "
               "layer or custom model (the app's class), Apple's own feature extractors and text models "
               "(visionFeaturePrint, audioFeaturePrint, soundAnalysisPreprocessing, textClassifier, wordTagger, "
               "gazetteer, wordEmbedding: 'needs Apple's implementation'), a serialized model, a linked model "
               "whose file is not found in the folder holding the model (one outside it counts as not found), or a "
               "NeuralNetwork compiled for espresso (its layers "
               "are not read). A model with such an op was not probed; a pipeline with such a stage is probed on "
               "generated values for that stage's outputs (status 'partial'), so the stages before and after it "
               "still run. The static findings stand. This says nothing about Core ML's own support (see "
               "ane/unsupported-op for the Neural Engine), and nothing is wrong with the model: the finding is a "
               "note, so that a healthy Create ML model does not fail `--fail-on warning` for a limit of the "
               "probe's." PRB_HOW,
    .default_level = CML_NOTE,
    .check = chk_unsupported,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule R_CRASH = {
    .size = sizeof(cml_rule),
    .id = "probe/crash",
    .name = "ProbeCrash",
    .summary = "The runtime probe's process crashed while running the model.",
    .help_md = "The child process that runs the model died of a signal (or exited early). The finding says in "
               "which stage and at which op; the static results are still written. A memory limit that makes "
               "an allocation fail can end in a crash too (the message says when a limit was in force)." PRB_HOW,
    .default_level = CML_ERROR,
    .check = chk_crash,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule R_TIMEOUT = {
    .size = sizeof(cml_rule),
    .id = "probe/timeout",
    .name = "ProbeTimeout",
    .summary = "The runtime probe did not finish within its time limit.",
    .help_md = "The child process that runs the model was stopped at the `timeout` (seconds, default 300). The "
               "finding says in which stage and at which op. Raise the limit or lower `runs` for large "
               "models." PRB_HOW,
    .default_level = CML_ERROR,
    .check = chk_timeout,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule R_OOM = {
    .size = sizeof(cml_rule),
    .id = "probe/out-of-memory",
    .name = "ProbeOutOfMemory",
    .summary = "The runtime probe ran out of memory (or beyond its memory limit).",
    .help_md = "An allocation failed while the model ran, its decoded constants or resident memory went beyond "
               "`memory_limit` (MB the probe's process may add; 0 = none), or the system killed the process. "
               "The limit is applied as an address-space limit (RLIMIT_AS) where the OS enforces it (not under "
               "AddressSanitizer, not on Apple platforms) and checked against the decoded constants and the "
               "peak resident memory everywhere." PRB_HOW,
    .default_level = CML_ERROR,
    .check = chk_oom,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule R_RUN_ERROR = {
    .size = sizeof(cml_rule),
    .id = "probe/run-error",
    .name = "ProbeRunError",
    .summary = "The runtime probe could not run the model.",
    .help_md = "The reference executor prepared the model but a run failed: a layer met a shape or a value it cannot "
               "take (an index out of range, element counts that do not match, a loop that ran past the executor's "
               "iteration limit), or the probe could not start. The message names the op and the reason. Often "
               "the generated inputs are the cause: a NeuralNetwork sequence model (rank-5 inputs [Seq, B, C, H, "
               "W]) that needs a sequence of a given length, or an input whose values must be indices; give "
               "matching inputs with `--input NAME=FILE` (a file with S times the declared values is a sequence of "
               "S steps for a rank-5 model). Nothing was measured; the static findings stand." PRB_HOW,
    .default_level = CML_WARNING,
    .check = chk_run_error,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule R_CONSTANT = {
    .size = sizeof(cml_rule),
    .id = "probe/constant-output",
    .name = "ConstantOutput",
    .summary = "An output does not change across different generated inputs.",
    .help_md = "After its timed runs the probe runs the model in fp32 twice more, on inputs generated from "
               "another seed and on all-zero inputs (inputs given with `--input` stay as they are), and compares "
               "every float output with the first run's, bit for bit. An output that came out the same for three "
               "different inputs "
               "does not depend on them: a softmax over an axis of size 1 (always 1.0), an argmax over an axis "
               "of size 1, an activation saturated for every input, or an output not connected to the inputs. "
               "Outputs of classifiers' labels are not compared (the same class for different inputs is "
               "normal), nor models with tree ensembles (constant between thresholds the generated inputs may "
               "all miss), nor a pipeline probed in part (its refused stage's stand-in values do not follow the "
               "inputs). io/degenerate-output finds the certain cases statically; where both run, this rule's "
               "finding about an output that one names is folded into it as a confirmation.\n\n## Fix\n\nFollow the "
               "output back to the op that makes it constant: apply the softmax on the axis that holds the "
               "classes (or use a sigmoid for one unit), connect the output to the network." PRB_HOW,
    .default_level = CML_WARNING,
    .check = chk_constant,
    .tags = TAGS,
    .options = PROBE_OPTIONS,
    .flags = CML_RULE_OPT_IN,
};

static const cml_rule *const RULES[] = {&R_NON_FINITE, &R_OVERFLOW, &R_DIVERGENCE, &R_BASELINE, &R_UNSUPPORTED,
                                        &R_CRASH,      &R_TIMEOUT,  &R_OOM,        &R_RUN_ERROR, &R_CONSTANT,
                                        NULL};

static const cml_plugin PLUGIN = {
    .size = sizeof(cml_plugin),
    .abi = CML_ABI_VERSION,
    .name = "runtime-probe",
    .version = "1.0.0",
    .rules = RULES,
    .spdx_license = "Apache-2.0",
    .init = prb_init,
    .fini = prb_fini,
};

CML_PLUGIN_DEFINE(PLUGIN)

/* SPDX-License-Identifier: Apache-2.0 */
/* test_core.c — unit tests of the small core modules: the bounded arena,
 * the protobuf wire walker that locates corruption, fp16/sub-byte element
 * access, path discovery, and the loader's handling of containers given in
 * odd ways (trailing slashes, folders that are not models, missing paths),
 * and how a model file is read (mapped, or copied into huge pages). */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli/discover.h"
#include "cli/inspect.h"
#include "ir/weights.h"
#include "ir/model.h"
#include "format/diag.h"
#include "format/fsutil.h"
#include "format/pbwire.h"
#include "tmptree.h"

/* ---- arena ------------------------------------------------------------------ */

static void test_arena_cap(void) {
    arena *a = arena_new(4096);
    CHECK(a != NULL);
    void *p = arena_alloc(a, 1000);
    CHECK(p != NULL);
    CHECK(((uintptr_t)p & 15u) == 0);
    CHECK(!arena_exhausted(a));
    /* past the cap every allocation fails and the arena says so */
    CHECK(arena_alloc(a, 4000) == NULL);
    CHECK(arena_exhausted(a));
    /* overflowing element counts never wrap around */
    CHECK(arena_calloc(a, SIZE_MAX / 2, 4) == NULL);
    CHECK(arena_alloc(a, SIZE_MAX) == NULL);
    arena_free(a);

    a = arena_new(0);
    char *s = arena_printf(a, "%s-%d", "blob", 42);
    CHECK_STR(s, "blob-42");
    CHECK_STR(arena_strndup(a, "abcdef", 3), "abc");
    int *v = arena_calloc(a, 4, sizeof *v);
    v[3] = 7;
    int *w = arena_realloc(a, v, 4 * sizeof *v, 8 * sizeof *v);
    CHECK(w && w[3] == 7 && w[7] == 0);
    /* large requests get chunks of their own and stay zeroed */
    unsigned char *big = arena_alloc(a, 1u << 20);
    CHECK(big && big[0] == 0 && big[(1u << 20) - 1] == 0);
    CHECK(arena_used(a) >= (1u << 20));
    arena_free(a);
}

/* ---- the load problem list --------------------------------------------------- */

/* A full list keeps the most severe problems: a flood of warnings (255 bad
 * input types in a compiled model's metadata.json, an adversarial pass)
 * pushed the model.mil error out, and the run exited 0. The entry for what
 * was not listed takes the level of the worst of it. */
static void test_diag_flood_keeps_errors(void) {
    arena *a = arena_new(0);
    diag_list dl = {.a = a};
    for (unsigned i = 0; i < 300; i++) diag_add(&dl, "load/interface-invalid", DIAG_WARNING, "", -1, 0, 0, NULL, "w%u", i);
    CHECK(diag_full(&dl));
    CHECK(diag_add(&dl, "load/mil-structure", DIAG_ERROR, "", -1, 3, 1, NULL, "syntax") != NULL);
    CHECK(diag_add(&dl, "load/interface-invalid", DIAG_NOTE, "", -1, 0, 0, NULL, "n") == NULL);
    const cml_diag *fin = diag_finish(&dl, "");
    CHECK(fin != NULL);
    size_t errors = 0;
    for (size_t i = 0; i < dl.n; i++) errors += dl.items[i]->level == DIAG_ERROR && !strcmp(dl.items[i]->message, "syntax");
    CHECK_INT(errors, 1);
    CHECK(fin && fin->level == DIAG_WARNING && strstr(fin->message, "47 further load problems") &&
          strstr(fin->message, "(errors: 0, warnings: 46, notes: 1)"));
    arena_free(a);
    /* errors past a list full of errors: the entry for them is an error */
    a = arena_new(0);
    dl = (diag_list){.a = a};
    for (unsigned i = 0; i < 260; i++) diag_add(&dl, "load/weight-blob", DIAG_ERROR, "", -1, 0, 0, NULL, "e%u", i);
    fin = diag_finish(&dl, "");
    CHECK(fin && fin->level == DIAG_ERROR && !strcmp(fin->rule_id, "load/weight-blob"));
    CHECK_INT(dl.n, DIAG_MAX);
    arena_free(a);
}

/* ---- pbwire ----------------------------------------------------------------- */

static void test_pbwire_locates_corruption(void) {
    pbwire_error e;
    /* Model { specificationVersion: 4, description: { } } */
    const uint8_t ok[] = {0x08, 0x04, 0x12, 0x00};
    CHECK_INT(pbwire_check(&cmlpb__model__descriptor, ok, sizeof ok, &e), 0);
    /* the description's length runs past the end */
    const uint8_t longlen[] = {0x08, 0x04, 0x12, 0x10, 0x0a};
    CHECK_INT(pbwire_check(&cmlpb__model__descriptor, longlen, sizeof longlen, &e), -1);
    CHECK_INT(e.offset, 2);
    CHECK(strstr(e.message, "runs past the end") != NULL);
    CHECK_STR(e.path, "description");
    /* nested: description.input[0] (field 1) with a truncated name */
    const uint8_t nested[] = {0x08, 0x04, 0x12, 0x04, 0x0a, 0x02, 0x0a, 0x05};
    CHECK_INT(pbwire_check(&cmlpb__model__descriptor, nested, sizeof nested, &e), -1);
    CHECK_INT(e.offset, 6);
    CHECK_STR(e.path, "description.input.name");
    /* field number 0 and a group wire type are errors */
    const uint8_t zero[] = {0x00, 0x01};
    CHECK_INT(pbwire_check(&cmlpb__model__descriptor, zero, sizeof zero, &e), -1);
    const uint8_t group[] = {0x0b};
    CHECK_INT(pbwire_check(&cmlpb__model__descriptor, group, sizeof group, &e), -1);
    CHECK(strstr(e.message, "wire type 3") != NULL);
    /* a varint where the schema wants a message */
    const uint8_t wrong[] = {0x10, 0x01};
    CHECK_INT(pbwire_check(&cmlpb__model__descriptor, wrong, sizeof wrong, &e), -1);
    CHECK(strstr(e.message, "does not fit its declared type") != NULL);
    /* depth is bounded: 200 nested pipelines never overflow the stack */
    size_t n = 200;
    uint8_t *deep = calloc(n * 2 + 2, 1);
    for (size_t i = 0; i < n; i++) {
        deep[2 * i] = 0x0a;          /* field 1, length-delimited */
        deep[2 * i + 1] = (uint8_t)0x7f;
    }
    CHECK_INT(pbwire_check(&cmlpb__pipeline__descriptor, deep, n * 2, &e), -1);
    free(deep);
}

/* prepend a length-delimited field (tag bytes given) around buf[*n] */
static uint8_t *wrap_field(uint8_t *buf, size_t *n, const uint8_t *tag, size_t ntag) {
    uint8_t len[10];
    size_t nl = 0;
    for (uint64_t v = *n; ; v >>= 7) {
        len[nl++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80) break;
    }
    uint8_t *out = malloc(ntag + nl + *n);
    if (!out) return buf;
    memcpy(out, tag, ntag);
    memcpy(out + ntag, len, nl);
    if (*n) memcpy(out + ntag + nl, buf, *n);   /* buf is NULL when empty */
    free(buf);
    *n += ntag + nl;
    return out;
}

/* The nesting walk stops at a field number 0, which protobuf-c refuses:
 * a 5 GiB sparse model.mlmodel of zeros was walked (and paged in) to its
 * end before that refusal. Zeros in front of a nesting bomb: the walk
 * stops at the zeros and never reaches the bomb. */
static void test_depth_walk_stops_at_field_zero(void) {
    size_t n = 0;
    uint8_t *bomb = NULL;
    static const uint8_t models[] = {0x0a};            /* Pipeline.models = 1 */
    static const uint8_t pipeline[] = {0xd2, 0x0c};    /* Model.pipeline = 202 */
    for (int i = 0; i < 150; i++) {
        bomb = wrap_field(bomb, &n, models, sizeof models);
        bomb = wrap_field(bomb, &n, pipeline, sizeof pipeline);
    }
    pbwire_error e;
    CHECK_INT(pbwire_depth_check(&cmlpb__model__descriptor, bomb, n, 100, &e), -1);
    size_t pad = 4096;
    uint8_t *z = calloc(pad + n, 1);
    if (z) {
        memcpy(z + pad, bomb, n);
        CHECK_INT(pbwire_depth_check(&cmlpb__model__descriptor, z, pad + n, 100, &e), 0);
        /* and protobuf-c refuses the data */
        ProtobufCMessage *m = protobuf_c_message_unpack(&cmlpb__model__descriptor, NULL, pad + n, z);
        CHECK(m == NULL);
        if (m) protobuf_c_message_free_unpacked(m, NULL);
    }
    free(z);
    free(bomb);
}

/* ---- element access --------------------------------------------------------- */

static void test_half_to_float(void) {
    CHECK(cml_half_to_float(0x3c00) == 1.0f);
    CHECK(cml_half_to_float(0xc000) == -2.0f);
    CHECK(cml_half_to_float(0x7bff) == 65504.0f);
    CHECK(cml_half_to_float(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
    CHECK(isinf(cml_half_to_float(0x7c00)));
    CHECK(isnan(cml_half_to_float(0x7e00)));
    CHECK(cml_half_to_float(0x8000) == 0.0f && signbit(cml_half_to_float(0x8000)));
}

static void test_subbyte_elements(void) {
    /* an inline uint3 weight: values 0..7 packed LSB-first straddle bytes */
    static const unsigned char packed[3] = {0x88, 0xc6, 0xfa};
    iweight w = {0};
    w.pub.dtype = CML_DT_UINT3;
    w.pub.storage = CML_STORE_INLINE;
    w.pub.nbytes = 3;
    w.pub.n_elements = 8;
    w.inline_data = packed;
    CHECK_INT(ir_weight_count(&w.pub), 8);
    for (int i = 0; i < 8; i++) {
        int64_t v = -1;
        CHECK_INT(ir_weight_i64(&w.pub, (uint64_t)i, &v), 0);
        CHECK_INT(v, i);
    }
    int64_t v;
    CHECK_INT(ir_weight_i64(&w.pub, 8, &v), -1); /* past the end */
    /* int4 is two's complement: 0xf0 holds 0 then -1 */
    static const unsigned char i4[1] = {0xf0};
    iweight q = {0};
    q.pub.dtype = CML_DT_INT4;
    q.pub.storage = CML_STORE_INLINE;
    q.pub.nbytes = 1;
    q.inline_data = i4;
    CHECK_INT(ir_weight_i64(&q.pub, 0, &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(ir_weight_i64(&q.pub, 1, &v), 0);
    CHECK_INT(v, -1);
    /* popcount honours the bit count, not whole bytes */
    static const unsigned char mask[2] = {0xff, 0x0f};
    iweight m = {0};
    m.pub.dtype = CML_DT_UINT1;
    m.pub.storage = CML_STORE_INLINE;
    m.pub.nbytes = 2;
    m.inline_data = mask;
    CHECK_INT(ir_weight_popcount(&m.pub, 10), 10);
    CHECK_INT(ir_weight_popcount(&m.pub, 16), 12);
    /* bounded reads never run past the data */
    unsigned char buf[8];
    CHECK_INT(ir_weight_read(&m.pub, 1, buf, sizeof buf), 1);
    CHECK_INT(ir_weight_read(&m.pub, 5, buf, sizeof buf), 0);
}

/* ---- discovery and odd paths ---------------------------------------------------- */

static void touch(const char *p) {
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
}

static void test_discover(void) {
    char tmpl[64];
    char *d = tmp_make_dir(tmpl, sizeof tmpl, "cml-core-");
    CHECK(d != NULL);
    if (!d) return;
    char p[4200];
    snprintf(p, sizeof p, "%s/b.mlmodel", d);
    touch(p);
    snprintf(p, sizeof p, "%s/a.mlpackage", d);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/sub", d);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/sub/c.mlmodelc", d);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/sub/notes.txt", d);
    touch(p);
    snprintf(p, sizeof p, "%s/sub/.hidden.mlmodel", d);
    touch(p);
    path_list l = {0};
    CHECK_INT(discover_path(d, &l), DISCOVER_OK);
    CHECK_INT(l.n, 3);
    if (l.n == 3) {
        /* sorted, models folders are not searched inside, hidden files skipped */
        CHECK(strstr(l.items[0], "/a.mlpackage") != NULL);
        CHECK(strstr(l.items[1], "/b.mlmodel") != NULL);
        CHECK(strstr(l.items[2], "/sub/c.mlmodelc") != NULL);
    }
    path_list_free(&l);
    /* files inside a package, as pre-commit and `git diff --name-only` give
     * them (one of them deleted since), stand for the package, once; a
     * folder inside it too */
    snprintf(p, sizeof p, "%s/a.mlpackage/Data", d);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/a.mlpackage/Manifest.json", d);
    touch(p);
    snprintf(p, sizeof p, "%s/a.mlpackage/Data/model.mlmodel", d);
    touch(p);
    static const char *const inside[] = {"a.mlpackage/Manifest.json", "a.mlpackage/Data/model.mlmodel",
                                         "a.mlpackage/Data/deleted.bin", "a.mlpackage/Data/", "a.mlpackage/"};
    for (size_t i = 0; i < sizeof inside / sizeof *inside; i++) {
        snprintf(p, sizeof p, "%s/%s", d, inside[i]);
        CHECK_INT(discover_path(p, &l), DISCOVER_OK);
    }
    CHECK_INT(l.n, 1);
    if (l.n) {
        snprintf(p, sizeof p, "%s/a.mlpackage", d);
        CHECK_STR(l.items[0], p);
    }
    /* a compiled model's program text, a model folder named by its marker */
    snprintf(p, sizeof p, "%s/sub/c.mlmodelc/model.mil", d);
    touch(p);
    CHECK_INT(discover_path(p, &l), DISCOVER_OK);
    snprintf(p, sizeof p, "%s/plain", d);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/plain/Manifest.json", d);
    touch(p);
    CHECK_INT(discover_path(p, &l), DISCOVER_OK);
    CHECK_INT(l.n, 3);
    if (l.n == 3) {
        CHECK(strstr(l.items[1], "/sub/c.mlmodelc") && !strstr(l.items[1], "model.mil"));
        CHECK(strstr(l.items[2], "/plain") && !strstr(l.items[2], "Manifest"));
    }
    path_list_free(&l);
    /* a missing path and a folder without models are usage errors */
    CHECK_INT(discover_path("/nonexistent/x.mlmodel", &l), DISCOVER_MISSING);
    CHECK_INT(discover_path("/nonexistent/x.mlpackage/Manifest.json", &l), DISCOVER_MISSING);
    snprintf(p, sizeof p, "%s/empty", d);
    mkdir(p, 0700);
    CHECK_INT(discover_path(p, &l), DISCOVER_NO_MODEL);
    CHECK_INT(l.n, 0);
    path_list_free(&l);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    CHECK(system(cmd) == 0);
}

static const cml_diag *first_diag(const cml_model *m, const char *rule) {
    for (size_t i = 0; i < m->n_diags; i++)
        if (!strcmp(m->diags[i]->rule_id, rule)) return m->diags[i];
    return NULL;
}

static void test_loader_odd_paths(void) {
    lmodel *lm = loader_load("/nonexistent/model.mlmodel", NULL);
    CHECK(lm && lm->model);
    if (lm && lm->model) {
        CHECK(first_diag(lm->model, "load/protobuf-corrupt") != NULL);
        CHECK_STR(lm->model->type, "unknown");
    }
    loader_free(lm);
    lm = loader_load("/tmp", NULL);
    CHECK(lm && lm->model && first_diag(lm->model, "load/package-manifest") != NULL);
    loader_free(lm);
    /* the example package with a trailing slash loads like without */
    const char *b = getenv("CML_BUILD_DIR");
    if (b) {
        char p[4096];
        snprintf(p, sizeof p, "%s/examples/tiny_mlprogram.mlpackage///", b);
        lm = loader_load(p, NULL);
        if (lm && lm->model && fs_is_dir(lm->root)) {
            CHECK_INT(lm->model->n_diags, 0);
            CHECK_INT(lm->model->format, CML_FMT_MLPACKAGE);
            CHECK(lm->root[strlen(lm->root) - 1] != '/');
        }
        loader_free(lm);
        /* an arena too small for the model is reported, never a crash */
        snprintf(p, sizeof p, "%s/examples/tiny_convnet_nn.mlmodel", b);
        load_opts o = {.arena_cap = 4096};
        lm = loader_load(p, &o);
        if (lm && lm->model && fs_is_file(p)) CHECK(first_diag(lm->model, "load/protobuf-corrupt") != NULL);
        loader_free(lm);
    }
}

/* Manifest.json positions count code points, as the SARIF report's
 * columnKind (unicodeCodePoints) says: an "é" before the place is one
 * column, not two bytes. */
static void manifest_column(const char *dir, const char *json, uint32_t line, uint32_t col) {
    char p[4200];
    snprintf(p, sizeof p, "%s/M.mlpackage", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/M.mlpackage/Manifest.json", dir);
    FILE *f = fopen(p, "wb");
    if (!f) {
        CHECK(0);
        return;
    }
    fputs(json, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/M.mlpackage", dir);
    lmodel *lm = loader_load(p, NULL);
    const cml_diag *d = lm && lm->model ? first_diag(lm->model, "load/package-manifest") : NULL;
    CHECK(d != NULL);
    if (d) {
        CHECK_INT(d->loc.line, line);
        CHECK_INT(d->loc.column, col);
    }
    loader_free(lm);
}

static void test_manifest_columns(void) {
    char d[4096];
    if (!tmp_make_dir(d, sizeof d, "cml-mcol-")) {
        CHECK(0);
        return;
    }
    /* not JSON: the error after "é" */
    manifest_column(d, "{\n  \"\xc3\xa9\": 1 x\n}\n", 2, 10);
    /* a key the loader names: fileFormatVersion after "é" on its line */
    manifest_column(d, "{\"\xc3\xa9\": 1, \"fileFormatVersion\": 5}\n", 1, 11);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    CHECK(system(cmd) == 0);
}

/* fs_inside on paths that do not resolve: a missing name inside the folder
 * is the caller's "does not exist" (0); a link to nothing, at any depth,
 * and a path through a link that leads out are "leads out" (-1), told the
 * same whatever lies outside; a path of 3,000 names, most of them missing,
 * answers the same as a short one (it is found by bisection now). */
static void test_fs_inside(void) {
    char root[4096];
    if (!tmp_make_dir(root, sizeof root, "cml-inside-")) {
        CHECK(0);
        return;
    }
    char real[4096], p[8192], q[8192];
    CHECK(realpath(root, real) != NULL);
    snprintf(p, sizeof p, "%s/a/b/c", root);
    CHECK_INT(mkdir(strcpy(q, root), 0700) == 0 || errno == EEXIST, 1);
    snprintf(q, sizeof q, "%s/a", root);
    mkdir(q, 0700);
    snprintf(q, sizeof q, "%s/a/b", root);
    mkdir(q, 0700);
    snprintf(q, sizeof q, "%s/a/b/dangling", root);
    CHECK_INT(symlink("/nonexistent/target", q), 0);
    snprintf(q, sizeof q, "%s/a/out", root);
    CHECK_INT(symlink("/tmp", q), 0);
    snprintf(p, sizeof p, "%s/a/b/missing", root);
    CHECK_INT(fs_inside(real, p), 0);
    snprintf(p, sizeof p, "%s/a/b/dangling", root);
    CHECK_INT(fs_inside(real, p), -1);
    snprintf(p, sizeof p, "%s/a/b/dangling/x/y", root);
    CHECK_INT(fs_inside(real, p), -1);
    snprintf(p, sizeof p, "%s/a/out/no-such-name-here/z", root);
    CHECK_INT(fs_inside(real, p), -1);
    snprintf(p, sizeof p, "%s/a/b", root);
    CHECK_INT(fs_inside(real, p), 0);
    /* the folder given through a link to its parent: still inside */
    char via[4200], *base = strrchr(real, '/');
    snprintf(via, sizeof via, "%s/via", root);
    snprintf(q, sizeof q, "%.*s", (int)(base - real), real);
    CHECK_INT(symlink(q, via), 0);
    snprintf(p, sizeof p, "%s%s/a/b/missing", via, base);
    CHECK_INT(fs_inside(real, p), 0);
    /* 3,000 names below a missing one */
    int k = snprintf(p, sizeof p, "%s/a/b/missing", root);
    for (int i = 0; i < 3000 && k + 3 < (int)sizeof p; i++) k += snprintf(p + k, sizeof p - (size_t)k, "/m");
    CHECK_INT(fs_inside(real, p), 0);
    k = snprintf(p, sizeof p, "%s/a/b/dangling", root);
    for (int i = 0; i < 3000 && k + 3 < (int)sizeof p; i++) k += snprintf(p + k, sizeof p - (size_t)k, "/m");
    CHECK_INT(fs_inside(real, p), -1);
    tmp_remove_tree(root);
}

/* Every example model loaded under arena caps from 1 KiB up to what it
 * needs, in small steps, so that the cap falls at every allocation in
 * turn: no load crashes (a type once kept rank 64 over NULL dims when its
 * dims were refused), and a load cut short says so with an error, even
 * though the spent arena cannot hold one (it once came out clean). */
static void test_loader_arena_sweep(void) {
    const char *b = getenv("CML_BUILD_DIR");
    static const char *const models[] = {"tiny_mlprogram.mlpackage", "tiny_mlprogram.mlmodelc",
                                         "tiny_convnet_nn.mlmodel",  "tiny_pipeline.mlmodel",
                                         "tiny_compressed.mlpackage", "tiny_multifunction.mlpackage",
                                         "tiny_stateful.mlpackage",  "tiny_image_nn.mlmodel"};
    if (!b) {
        fprintf(stderr, "SKIP test_loader_arena_sweep: CML_BUILD_DIR is not set\n");
        return;
    }
    for (size_t k = 0; k < sizeof models / sizeof *models; k++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/examples/%s", b, models[k]);
        struct stat st;
        if (stat(p, &st) != 0) continue;
        size_t loads = 0, cut = 0;
        for (size_t cap = 1024; cap < ((size_t)4 << 20); cap += cap / 256 + 16) {
            load_opts o = {.arena_cap = cap};
            lmodel *lm = loader_load(p, &o);
            CHECK(lm != NULL);
            if (!lm) continue;
            loads++;
            if (arena_exhausted(lm->a)) {
                cut++;
                const cml_diag *d = lm->model ? first_diag(lm->model, "load/protobuf-corrupt") : NULL;
                bool said = false;
                for (size_t i = 0; lm->model && i < lm->model->n_diags; i++)
                    said |= lm->model->diags[i]->level == DIAG_ERROR && strstr(lm->model->diags[i]->message, "loader's cap");
                if (!said) fprintf(stderr, "  %s, cap %zu: cut short, no error (%p)\n", models[k], cap, (void *)d);
                CHECK(said);
                loader_free(lm);
                continue;
            }
            loader_free(lm);
            break;   /* it fitted: larger caps change nothing */
        }
        CHECK(loads > 1 && cut > 0);
    }
}

/* fs_map_file: an empty file has no data; a small one is mapped; from
 * 1 MiB the file is read into huge pages of our own (outside the
 * sanitizers, whose builds have none), its bytes the same either way; past
 * 256 MiB it is mapped again (a sparse file: nothing is written or read). */
static void test_map_file(void) {
    char big[] = "/tmp/cml-map-XXXXXX";
    int bfd = mkstemp(big);
    CHECK(bfd >= 0);
    if (bfd >= 0) {
        CHECK(ftruncate(bfd, ((off_t)257 << 20)) == 0);
        close(bfd);
        fs_map m;
        CHECK_INT(fs_map_file(big, &m), 0);
        CHECK(m.size == (uint64_t)257 << 20 && m.data && m.copy_ == 0);
        CHECK(m.data && m.data[0] == 0 && m.data[m.size - 1] == 0);
        fs_unmap(&m);
        unlink(big);
    }
    static const size_t sizes[] = {0, 100, ((size_t)3 << 20) + 5};
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        size_t n = sizes[t];
        char path[] = "/tmp/cml-map-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        if (fd < 0) continue;
        unsigned char *want = malloc(n ? n : 1);
        for (size_t i = 0; want && i < n; i++) want[i] = (unsigned char)(i * 2654435761u >> 13);
        CHECK(want && (n == 0 || write(fd, want, n) == (ssize_t)n));
        close(fd);
        fs_map m;
        CHECK_INT(fs_map_file(path, &m), 0);
        CHECK(m.size == n);
        if (n == 0) CHECK(m.data == NULL);
        else CHECK(m.data && want && memcmp(m.data, want, n) == 0);
        if (n < ((size_t)1 << 20)) CHECK_INT(m.copy_, 0);
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
        else CHECK_INT(m.copy_, (size_t)4 << 20);
#endif
        fs_unmap(&m);
        CHECK(m.data == NULL && m.base_ == NULL);
        free(want);
        unlink(path);
    }
}

/* An ML Program whose function has no ops (found by fuzz_model: the op
 * histogram sorted a NULL array). */
static void test_empty_function(void) {
    Cmlpb__Mil__Block blk = CMLPB__MIL__BLOCK__INIT;
    Cmlpb__Mil__Function fn = CMLPB__MIL__FUNCTION__INIT;
    Cmlpb__Mil__Function__BlockSpecializationsEntry be = CMLPB__MIL__FUNCTION__BLOCK_SPECIALIZATIONS_ENTRY__INIT;
    be.key = "CoreML6";
    be.value = &blk;
    Cmlpb__Mil__Function__BlockSpecializationsEntry *bes[] = {&be};
    fn.opset = "CoreML6";
    fn.n_block_specializations = 1;
    fn.block_specializations = bes;
    Cmlpb__Mil__Program__FunctionsEntry fe = CMLPB__MIL__PROGRAM__FUNCTIONS_ENTRY__INIT;
    fe.key = "main";
    fe.value = &fn;
    Cmlpb__Mil__Program__FunctionsEntry *fes[] = {&fe};
    Cmlpb__Mil__Program prog = CMLPB__MIL__PROGRAM__INIT;
    prog.version = 1;
    prog.n_functions = 1;
    prog.functions = fes;
    Cmlpb__ModelDescription desc = CMLPB__MODEL_DESCRIPTION__INIT;
    Cmlpb__Model m = CMLPB__MODEL__INIT;
    m.specificationversion = 7;
    m.description = &desc;
    m.type_case = CMLPB__MODEL__TYPE_ML_PROGRAM;
    m.mlprogram = &prog;
    size_t n = cmlpb__model__get_packed_size(&m);
    uint8_t *buf = malloc(n);
    cmlpb__model__pack(&m, buf);
    char path[] = "/tmp/cml-empty-fn-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, buf, n) == (ssize_t)n);
        close(fd);
        lmodel *lm = loader_load(path, NULL);
        CHECK(lm && lm->model && lm->model->n_functions == 1);
        if (lm && lm->model) {
            cJSON *j = inspect_json(lm->model);
            CHECK(j != NULL);
            cJSON_Delete(j);
            FILE *devnull = fopen("/dev/null", "w");
            if (devnull) {
                inspect_text(devnull, lm->model);
                fclose(devnull);
            }
        }
        loader_free(lm);
        unlink(path);
    }
    free(buf);
}

/* The tests' scratch folders (tmptree.h): tmp_make_dir makes a new, empty,
 * private folder named after its prefix each time and refuses a buffer
 * too small for the name; tmp_remove_tree takes the folder away with what
 * is in it. */
static void test_tmp_make_dir(void) {
    char a[64], b[64], tiny[16];
    CHECK(tmp_make_dir(a, sizeof a, "cml-tmptree-") == a);
    CHECK(tmp_make_dir(b, sizeof b, "cml-tmptree-") == b);
    CHECK(strcmp(a, b) != 0);
    CHECK(!strncmp(a, "/tmp/cml-tmptree-", 17) && strlen(a) == 17 + 6);
    struct stat st;
    CHECK(stat(a, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
    DIR *dir = opendir(a);
    size_t entries = 0;
    for (struct dirent *e; dir && (e = readdir(dir)) != NULL;)
        entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (dir) closedir(dir);
    CHECK_INT(entries, 0);
    CHECK(tmp_make_dir(tiny, sizeof tiny, "cml-tmptree-") == NULL);
    char p[128];
    snprintf(p, sizeof p, "%s/sub", a);
    CHECK(mkdir(p, 0700) == 0);
    snprintf(p, sizeof p, "%s/sub/f", a);
    touch(p);
    tmp_remove_tree(a);
    tmp_remove_tree(b);
    CHECK(stat(a, &st) != 0 && stat(b, &st) != 0);
}

int main(void) {
    RUN(test_arena_cap);
    RUN(test_diag_flood_keeps_errors);
    RUN(test_pbwire_locates_corruption);
    RUN(test_depth_walk_stops_at_field_zero);
    RUN(test_half_to_float);
    RUN(test_subbyte_elements);
    RUN(test_discover);
    RUN(test_tmp_make_dir);
    RUN(test_loader_odd_paths);
    RUN(test_manifest_columns);
    RUN(test_loader_arena_sweep);
    RUN(test_fs_inside);
    RUN(test_map_file);
    RUN(test_empty_function);
    return CHECK_DONE();
}

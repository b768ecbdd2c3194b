/* SPDX-License-Identifier: Apache-2.0 */
/* test_walk.c — the IR iterators of include/coreml-lint/walk.h against a
 * plain recursive walk, on every example the fixture writer makes and every
 * corpus model: the same models in the same order (root, then sub-models
 * depth first), the same ops in program order (an op, then its nested
 * blocks) with the right nesting depth and owner; and on a hand-built IR
 * with nested blocks, empty blocks and NULL entries. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "coreml-lint/walk.h"
#include "ir/model.h"

typedef struct seen {
    const void *v[1 << 16];
    int depth[1 << 16];
    const cml_op *owner[1 << 16];
    size_t n;
} seen;

static void ref_block(const cml_block *b, int depth, const cml_op *owner, seen *s) {
    for (size_t i = 0; b && i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        if (!op) continue;
        if (s->n < 1 << 16) {
            s->v[s->n] = op;
            s->depth[s->n] = depth;
            s->owner[s->n++] = owner;
        }
        for (size_t k = 0; k < op->n_blocks; k++) ref_block(op->blocks[k], depth + 1, op, s);
    }
}

static void ref_models(const cml_model *m, seen *s) {
    if (!m) return;
    s->v[s->n++] = m;
    for (size_t i = 0; i < m->n_sub_models; i++) ref_models(m->sub_models[i], s);
}

static seen want, got;

static void compare_model(const cml_model *root, const char *name) {
    want.n = got.n = 0;
    ref_models(root, &want);
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, root); m; m = cml_models_next(&mi)) got.v[got.n++] = m;
    CHECK_INT(got.n, want.n);
    if (got.n == want.n && memcmp(got.v, want.v, got.n * sizeof *got.v)) {
        fprintf(stderr, "  %s: models in another order\n", name);
        CHECK(0);
    }
    /* ops of every model of the tree */
    for (size_t k = 0; k < want.n; k++) {
        const cml_model *m = want.v[k];
        seen *w = calloc(1, sizeof *w), *g = calloc(1, sizeof *g);
        for (size_t f = 0; f < m->n_functions; f++)
            if (m->functions[f]) ref_block(m->functions[f]->block, 0, NULL, w);
        cml_op_iter it;
        for (const cml_op *op = cml_ops_first(&it, m, NULL); op; op = cml_ops_next(&it)) {
            g->v[g->n] = op;
            g->depth[g->n] = it.depth;
            g->owner[g->n++] = it.owner;
        }
        CHECK_INT(g->n, w->n);
        if (g->n == w->n && (memcmp(g->v, w->v, g->n * sizeof *g->v) || memcmp(g->depth, w->depth, g->n * sizeof(int)) ||
                             memcmp(g->owner, w->owner, g->n * sizeof *g->owner))) {
            fprintf(stderr, "  %s: ops differ from the recursive walk\n", name);
            CHECK(0);
        }
        free(w);
        free(g);
    }
}

static size_t walk_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *x = e->d_name;
        size_t len = strlen(x);
        if (x[0] == '.') continue;
        bool model = (len > 8 && !strcmp(x + len - 8, ".mlmodel")) || (len > 10 && !strcmp(x + len - 10, ".mlpackage")) ||
                     (len > 9 && !strcmp(x + len - 9, ".mlmodelc"));
        if (!model) continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, x);
        lmodel *lm = loader_load(p, NULL);
        if (lm && lm->model) {
            compare_model(lm->model, p);
            n++;
        }
        loader_free(lm);
    }
    closedir(d);
    return n;
}

/* nested blocks, an empty block, NULL ops, a NULL sub-model */
static void test_hand_built(void) {
    cml_op inner = {.kind = "relu"}, leaf = {.kind = "add"};
    const cml_op *inner_ops[] = {&inner, NULL};
    cml_block empty = {0}, body = {.ops = inner_ops, .n_ops = 2};
    const cml_block *blocks[] = {&empty, &body};
    cml_op cond = {.kind = "cond", .blocks = blocks, .n_blocks = 2};
    const cml_op *top_ops[] = {&cond, &leaf};
    cml_block top = {.ops = top_ops, .n_ops = 2};
    cml_function fn = {.name = "main", .block = &top};
    const cml_function *fns[] = {&fn};
    cml_model sub = {.type = "mlProgram", .functions = fns, .n_functions = 1};
    const cml_model *subs[] = {NULL, &sub};
    cml_model root = {.type = "pipeline", .sub_models = subs, .n_sub_models = 2};
    compare_model(&root, "hand-built");
    cml_op_iter it;
    const cml_op *a = cml_ops_first(&it, NULL, &fn), *b = cml_ops_next(&it);
    CHECK(a == &cond && b == &inner && it.depth == 1 && it.owner == &cond);
    CHECK(cml_ops_next(&it) == &leaf && it.depth == 0 && it.owner == NULL);
    CHECK(cml_ops_next(&it) == NULL);
    CHECK(cml_block_ops_first(&it, &body) == &inner && cml_ops_next(&it) == NULL);
    CHECK(cml_block_ops_first(&it, NULL) == NULL);
    cml_model_iter mi;
    CHECK(cml_models_first(&mi, NULL) == NULL);
}

static void test_models(void) {
    const char *b = getenv("CML_BUILD_DIR");
    char dir[4096];
    size_t n = 0;
    snprintf(dir, sizeof dir, "%s/examples", b ? b : "build");
    n += walk_dir(dir);
    const char *c = getenv("CML_CORPUS_DIR");
    if (c) n += walk_dir(c);
    fprintf(stderr, "  %zu models walked\n", n);
    CHECK(n >= 5);
}

int main(void) {
    RUN(test_hand_built);
    RUN(test_models);
    return CHECK_DONE();
}

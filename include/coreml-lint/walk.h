/* SPDX-License-Identifier: Apache-2.0 */
/* coreml-lint/walk.h — iterators over the read-only IR (ir.h), header-only,
 * for the host, the Lua binding and plugins alike: every model of a
 * pipeline tree, and every op of a function's block tree in program order
 * (an op, then the ops of its nested blocks, then the next op). They keep
 * an explicit stack, so a rule never recurses itself, and they stop
 * descending at CML_WALK_MAX_DEPTH levels (the IR builder already refuses
 * deeper nesting, so on a model the host built nothing is ever skipped).
 *
 *     cml_model_iter mi;
 *     for (const cml_model *m = cml_models_first(&mi, root); m; m = cml_models_next(&mi)) ...
 *
 *     cml_op_iter it;
 *     for (const cml_op *op = cml_ops_first(&it, m, NULL); op; op = cml_ops_next(&it)) ...
 *
 * cml_ops_first(&it, m, NULL) walks every function of m (not its
 * sub-models); cml_ops_first(&it, NULL, fn) one function; it.depth is the
 * current op's nesting (0 for a function's top block) and it.owner the op
 * whose block holds it (NULL at the top). */
#ifndef COREML_LINT_WALK_H
#define COREML_LINT_WALK_H

#include <stddef.h>
#include <string.h>

#include "coreml-lint/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CML_WALK_MAX_DEPTH 64

/* ---- models: the root, then its sub-models, depth first ------------------- */

typedef struct cml_model_iter {
    const cml_model *stack[CML_WALK_MAX_DEPTH];
    size_t next[CML_WALK_MAX_DEPTH];     /* next sub-model index per level */
    int depth;                           /* levels on the stack */
    int cur_depth;                       /* depth of the model last returned (root 0) */
} cml_model_iter;

static inline const cml_model *cml_models_first(cml_model_iter *it, const cml_model *root) {
    memset(it, 0, sizeof *it);
    if (!root) return NULL;
    it->stack[0] = root;
    it->depth = 1;
    return root;
}

static inline const cml_model *cml_models_next(cml_model_iter *it) {
    while (it->depth > 0) {
        int d = it->depth - 1;
        const cml_model *m = it->stack[d];
        if (it->next[d] < m->n_sub_models && it->depth < CML_WALK_MAX_DEPTH) {
            const cml_model *s = m->sub_models[it->next[d]++];
            if (!s) continue;
            it->stack[it->depth] = s;
            it->next[it->depth] = 0;
            it->cur_depth = it->depth++;
            return s;
        }
        it->depth--;
    }
    return NULL;
}

/* ---- ops: program order through nested blocks --------------------------------- */

typedef struct cml_walk_frame {
    const cml_op *owner;                 /* NULL: the function's top block */
    const cml_block *blk;                /* owner->blocks[bi], or the top block */
    size_t bi, i;                        /* block index in owner, next op index */
} cml_walk_frame;

typedef struct cml_op_iter {
    const cml_model *m;                  /* all functions of m, or only fn */
    const cml_function *fn;
    const cml_function *cur_fn;          /* the function of the op last returned */
    size_t next_fn;
    int top;                             /* frames on the stack */
    int depth;                           /* nesting of the op last returned */
    const cml_op *owner;                 /* op whose block holds it, NULL at the top */
    cml_walk_frame st[CML_WALK_MAX_DEPTH];
} cml_op_iter;

static inline int cml_ops_push_fn_(cml_op_iter *it) {
    const cml_function *fn = NULL;
    if (it->fn) {
        if (it->next_fn++ == 0) fn = it->fn;
    } else if (it->m) {
        while (!fn && it->next_fn < it->m->n_functions) fn = it->m->functions[it->next_fn++];
    }
    if (!fn) return 0;
    it->cur_fn = fn;
    it->top = 1;
    it->st[0].owner = NULL;
    it->st[0].blk = fn->block;
    it->st[0].bi = it->st[0].i = 0;
    return 1;
}

static inline const cml_op *cml_ops_next(cml_op_iter *it) {
    for (;;) {
        if (it->top == 0 && !cml_ops_push_fn_(it)) return NULL;
        cml_walk_frame *f = &it->st[it->top - 1];
        if (!f->blk || f->i >= f->blk->n_ops) {
            if (f->owner && f->bi + 1 < f->owner->n_blocks) {
                f->bi++;
                f->blk = f->owner->blocks[f->bi];
                f->i = 0;
            } else {
                it->top--;
            }
            continue;
        }
        const cml_op *op = f->blk->ops[f->i++];
        if (!op) continue;
        it->depth = it->top - 1;
        it->owner = f->owner;
        if (op->n_blocks && it->top < CML_WALK_MAX_DEPTH) {
            cml_walk_frame *c = &it->st[it->top++];
            c->owner = op;
            c->bi = 0;
            c->blk = op->blocks[0];
            c->i = 0;
        }
        return op;
    }
}

/* m: every function of m; else fn alone. */
static inline const cml_op *cml_ops_first(cml_op_iter *it, const cml_model *m, const cml_function *fn) {
    memset(it, 0, sizeof *it);
    it->m = fn ? NULL : m;
    it->fn = fn;
    return cml_ops_next(it);
}

/* Every op of one block tree (a nested block on its own). */
static inline const cml_op *cml_block_ops_first(cml_op_iter *it, const cml_block *b) {
    memset(it, 0, sizeof *it);
    if (!b) return NULL;
    it->next_fn = 1;                     /* no function to move on to */
    it->fn = NULL;
    it->top = 1;
    it->st[0].blk = b;
    return cml_ops_next(it);
}

#ifdef __cplusplus
}
#endif
#endif /* COREML_LINT_WALK_H */

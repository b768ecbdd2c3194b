/* SPDX-License-Identifier: Apache-2.0 */
/* ane.h — internal header of the bundled "ane" plugin (rules
 * ane/unsupported-op, ane/mixed-precision and the opt-in perf/ane-layout).
 * Like every plugin it sees only the SDK headers; these are the helpers its
 * rule files share: a growable op list, the program-order walk over every
 * function of every (sub-)model, typed look-ups of op inputs, the float
 * dtype an op computes in and small string builders for messages. Nothing
 * here is exported: the plugin is built with hidden visibility and only
 * cml_plugin_entry leaves the .so. */
#ifndef CML_PLUGIN_ANE_H
#define CML_PLUGIN_ANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coreml-lint/ir.h"
#include "coreml-lint/plugin.h"
#include "coreml-lint/walk.h"

#define ANE_MAX_RELATED 64  /* the host keeps at most 64 related locations */

/* ---- op lists ------------------------------------------------------------ */

typedef struct ane_ops {
    const cml_op **v;
    size_t n, cap;
    bool oom;               /* a push failed: the list is incomplete */
} ane_ops;

void ane_ops_push(ane_ops *a, const cml_op *op);
void ane_ops_free(ane_ops *a);

/* Every op of a function in program order; an op's nested blocks follow it. */
void ane_collect(const cml_function *f, ane_ops *out);

/* Call fn for every function of m and of its pipeline sub-models. */
typedef void (*ane_fn_visit)(const cml_model *m, const cml_function *fn, void *arg);
void ane_each_function(const cml_model *m, ane_fn_visit fn, void *arg);

bool ane_is_mlprogram(const cml_model *m);

/* ---- ops ----------------------------------------------------------------- */

bool ane_kind_is(const cml_op *op, const char *kind);
/* The first value bound to the named input of an ML Program op, or NULL. */
const cml_value *ane_input(const cml_op *op, const char *name);
/* An op that computes (not const/constexpr, estimate not CML_UNIT_NONE). */
bool ane_is_compute(const cml_op *op);
/* An ML Program compute op typed fp32 that the compute-unit pass did not
 * take for the model's I/O conversion (the pass gives those tier 0). */
bool ane_is_fp32_island_op(const cml_op *op);

/* ---- strings ------------------------------------------------------------- */

const char *ane_s(const char *s);  /* s, or "?" */

/* A bounded string builder (truncates, always NUL-terminated). */
typedef struct ane_buf {
    char *p;
    size_t cap, n;
} ane_buf;
void ane_bprintf(ane_buf *b, const char *fmt, ...) CML_PRINTF_(2, 3);
/* "[1, 32, 128]" of a shape ("?" for unknown dims). */
void ane_bshape(ane_buf *b, const cml_shape *s);

/* ---- the rules (one file each) --------------------------------------------- */

extern const cml_rule ane_rule_unsupported_op;
extern const cml_rule ane_rule_mixed_precision;
extern const cml_rule ane_rule_layout;

#endif /* CML_PLUGIN_ANE_H */

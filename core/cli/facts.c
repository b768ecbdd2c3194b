/* SPDX-License-Identifier: Apache-2.0 */
/* facts.c — the per-model summary the html and markdown reports show
 * (run_opts.model_facts): what `inspect --format json` says about format,
 * type, minimum OS, interface, sizes and compression, without the long
 * parts (per-weight and per-function listings, metadata), plus two counts
 * over every op of every function and sub-model (nested blocks included,
 * constants left out): the estimated compute unit of each op (the IR's
 * compute-unit pass: an estimate, not a measurement) and how many ops of
 * each kind there are. Bounded: depth limited as the IR's own walks. */
#include "cli/facts.h"

#include "cli/inspect.h"
#include "ir/compute.h"
#include "ir/model.h"

#define FACTS_MAX_DEPTH IR_MAX_DEPTH

/* Distinct op kinds the histogram names; the rest are counted together
 * (a model.mil of 40,000 made-up op kinds must not make the report's
 * lookups and sort quadratic). Core ML's op sets have ~170 MIL ops and
 * ~160 NeuralNetwork layer types. */
#define FACTS_MAX_KINDS 512
#define FACTS_OTHER_KINDS "(other kinds)"

typedef struct tally {
    double units[5];   /* by cml_unit */
    cJSON *hist;       /* kind -> count */
    size_t n_kinds;
} tally;

static void count_op(tally *t, const cml_op *op) {
    if (op->is_const || op->estimate.unit == CML_UNIT_NONE) return;
    t->units[op->estimate.unit <= CML_UNIT_NONE ? op->estimate.unit : CML_UNIT_UNKNOWN] += 1;
    const char *k = op->kind && *op->kind ? op->kind : "?";
    cJSON *c = cJSON_GetObjectItemCaseSensitive(t->hist, k);
    if (!c && t->n_kinds >= FACTS_MAX_KINDS) c = cJSON_GetObjectItemCaseSensitive(t->hist, k = FACTS_OTHER_KINDS);
    if (c) cJSON_SetNumberValue(c, c->valuedouble + 1);
    else if (cJSON_AddNumberToObject(t->hist, k, 1)) t->n_kinds++;
}

static void walk_block(tally *t, const cml_block *b, int depth) {
    if (!b || depth > FACTS_MAX_DEPTH) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        count_op(t, b->ops[i]);
        for (size_t j = 0; j < b->ops[i]->n_blocks; j++) walk_block(t, b->ops[i]->blocks[j], depth + 1);
    }
}

static void walk_model(tally *t, const cml_model *m, int depth) {
    if (!m || depth > FACTS_MAX_DEPTH) return;
    if (ir_compute_is_classic_type(m->type)) { /* one CPU "op", as the coverage figure counts it */
        t->units[CML_UNIT_CPU] += 1;
        cJSON *c = cJSON_GetObjectItemCaseSensitive(t->hist, m->type);
        if (c) cJSON_SetNumberValue(c, c->valuedouble + 1);
        else cJSON_AddNumberToObject(t->hist, m->type, 1);
    }
    for (size_t i = 0; i < m->n_functions; i++)
        if (m->functions[i]) walk_block(t, m->functions[i]->block, 0);
    for (size_t i = 0; i < m->n_sub_models; i++) walk_model(t, m->sub_models[i], depth + 1);
}

cJSON *report_model_facts(const cml_model *m) {
    cJSON *o = inspect_json(m);
    if (!o) return NULL;
    static const char *const drop[] = {"path", "metadata", "mil", "neural_network", "sub_models", "package",
                                       "functions", "load_problems", "training_inputs"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++) cJSON_DeleteItemFromObjectCaseSensitive(o, drop[i]);
    cJSON *comp = cJSON_GetObjectItemCaseSensitive(o, "compression");
    if (cJSON_IsObject(comp)) cJSON_DeleteItemFromObjectCaseSensitive(comp, "weights");
    tally t = {.hist = cJSON_CreateObject()};
    if (!t.hist) {
        cJSON_Delete(o);
        return NULL;
    }
    walk_model(&t, m, 0);
    cJSON *u = cJSON_AddObjectToObject(o, "compute_units");
    if (u) {
        cJSON_AddNumberToObject(u, "neural_engine", t.units[CML_UNIT_NE]);
        cJSON_AddNumberToObject(u, "gpu", t.units[CML_UNIT_GPU]);
        cJSON_AddNumberToObject(u, "cpu", t.units[CML_UNIT_CPU]);
        cJSON_AddNumberToObject(u, "unknown", t.units[CML_UNIT_UNKNOWN]);
    }
    cJSON_AddItemToObject(o, "op_histogram", t.hist);
    return o;
}

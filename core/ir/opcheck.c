/* SPDX-License-Identifier: Apache-2.0 */
/* ir_opcheck.c — the op-vocabulary pass behind load/unknown-op. After the
 * IR is built it walks every ML Program function (pipeline sub-models and
 * nested blocks included) and checks each op type against the function's
 * opset with the public op table of coreml-lint/coreml_facts.h: a type that
 * no opset defines (a typo, a private or converter-internal op) and a type
 * that only a later opset defines (scaled_dot_product_attention in a
 * CoreML7 function) both become an error diag naming the op, its type and
 * the opset, with the opset that introduces the op when there is one. The
 * Core ML runtime refuses such programs ("Error parsing MIL model",
 * apple/coremltools#1704). Functions whose opset is not "CoreML<k>" or is
 * newer than the table knows are not judged (their vocabulary is unknown);
 * NeuralNetwork layers are checked where they are built (build_nn.c).
 * SOURCE: rules-knowledge §1.4, §5.3 (load/unknown-op). */
#include <stdio.h>
#include <string.h>

#include "coreml-lint/coreml_facts.h"
#include "ir/model.h"

static void opcheck_block(lmodel *lm, const cml_function *fn, int k, const cml_block *b, int depth) {
    if (!b || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < b->n_ops; i++) {
        const cml_op *op = b->ops[i];
        if (!op || op->is_nn_layer) continue;
        for (size_t j = 0; j < op->n_blocks; j++) opcheck_block(lm, fn, k, op->blocks[j], depth + 1);
        const char *type = op->kind ? op->kind : "";
        const cml_op_fact *f = cml_op_lookup(type);
        if (f && f->since <= k) continue;
        char why[160];
        if (f) {
            /* the op exists, from a later opset: say which (and its OS) */
            int spec = f->since + 1;
            char os[16] = "";
            cml_osver_format(cml_spec_min_os(spec, CML_PLATFORM_IOS), os, sizeof os);
            snprintf(why, sizeof why, "; it was introduced in opset CoreML%d (specification %d, iOS %s)",
                     (int)f->since, spec, os);
        } else {
            snprintf(why, sizeof why, "; no Core ML opset defines it (custom ops are serialized as "
                                      "custom_layer)");
        }
        diag_add(&lm->diags, "load/unknown-op", DIAG_ERROR, op->loc.artifact, -1, op->loc.line, op->loc.column,
                 op->loc.logical, "op '%s' has type '%s', which opset %s does not define%s",
                 op->name ? op->name : "?", type, fn->opset, why);
    }
}

static void opcheck_model(lmodel *lm, const cml_model *m, int depth) {
    if (!m || depth > IR_MAX_DEPTH) return;
    for (size_t i = 0; i < m->n_sub_models; i++) opcheck_model(lm, m->sub_models[i], depth + 1);
    if (!m->type || strcmp(m->type, "mlProgram") != 0) return;
    for (size_t i = 0; i < m->n_functions; i++) {
        const cml_function *fn = m->functions[i];
        if (!fn || !fn->opset) continue;
        int k = cml_opset_number(fn->opset);
        /* not "CoreML<k>", or newer than the table: vocabulary unknown */
        if (k == 0 || k > CML_OPSET_NEWEST) continue;
        if (k < CML_OPSET_OLDEST) {
            /* CoreML3/4 are the NeuralNetwork backend's internal opsets: an
             * ML Program function cannot use them (one diag, not one per op).
             * SOURCE: coremltools/__init__.py:109-117 (_OPSET). */
            if (fn->n_ops_total)
                diag_add(&lm->diags, "load/unknown-op", DIAG_ERROR, fn->loc.artifact, -1, fn->loc.line,
                         fn->loc.column, fn->loc.logical,
                         "function '%s' declares opset %s, which defines no ML Program ops (ML Programs "
                         "start at CoreML%d); none of its %zu ops can be parsed",
                         fn->name ? fn->name : "?", fn->opset, CML_OPSET_OLDEST, fn->n_ops_total);
            continue;
        }
        opcheck_block(lm, fn, k, fn->block, 0);
    }
}

void ir_pass_opcheck(lmodel *lm, cml_model *m) { opcheck_model(lm, m, 0); }

/* SPDX-License-Identifier: Apache-2.0 */
/* facts.h — a short summary of one model for the html and markdown
 * reports (run_opts.model_facts). */
#ifndef CML_FACTS_H
#define CML_FACTS_H

#include <cjson/cJSON.h>

#include "coreml-lint/ir.h"

/* {format, model_type, specification_version, minimum_os, inputs, outputs,
 *  states?, compression (without its per-weight list), ane_op_coverage_pct,
 *  size_bytes, spec_bytes, weight_bytes, compute_units {neural_engine, gpu,
 *  cpu, unknown}: estimated ops per unit, op_histogram {kind: count}}, or
 * NULL when out of memory. */
cJSON *report_model_facts(const cml_model *m);

#endif

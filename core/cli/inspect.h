/* SPDX-License-Identifier: Apache-2.0 */
/* inspect.h — model facts as text and JSON (`coreml-lint inspect`). */
#ifndef CML_INSPECT_H
#define CML_INSPECT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "coreml-lint/ir.h"

cJSON *inspect_json(const cml_model *m);
void inspect_text(FILE *out, const cml_model *m);

/* Calls fn once per compressed weight as a compute op sees it. */
void inspect_visit_compressed(const cml_model *m, void (*fn)(const cml_op *, const cml_value *, void *), void *ud);

#endif

/* inspect.h — model facts as text and JSON (`coreml-lint inspect`). */
#ifndef CML_INSPECT_H
#define CML_INSPECT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "coreml-lint/ir.h"

cJSON *inspect_json(const cml_model *m);
void inspect_text(FILE *out, const cml_model *m);

const char *inspect_format_name(cml_format f);
/* "multiArray", "image", "int64", ... ("invalid"); Core ML's spelling. */
const char *inspect_feature_kind_name(cml_feature_kind k);
/* "RGB", "BGR", "GRAYSCALE", "GRAYSCALE_FLOAT16" ("INVALID"). */
const char *inspect_color_name(cml_color c);
const char *inspect_array_dtype_name(cml_array_dtype d);
const char *inspect_granularity_name(cml_granularity g);
const char *inspect_compression_mode(const cml_compression *c);
/* Calls fn once per compressed weight as a compute op sees it. */
void inspect_visit_compressed(const cml_model *m, void (*fn)(const cml_op *, const cml_value *, void *), void *ud);

#endif

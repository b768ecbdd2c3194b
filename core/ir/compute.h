/* SPDX-License-Identifier: Apache-2.0 */
/* ir_compute.h — internals of the compute-unit pass (ir_compute.c), exposed
 * so tests can check the per-op estimate on hand-built ops (no fixture has a
 * dilated convolution or a 15x15 pooling). The pass itself is
 * ir_pass_compute / ir_ane_op_coverage_pct in model.h. */
#ifndef CML_IR_COMPUTE_H
#define CML_IR_COMPUTE_H

#include <stdbool.h>

#include "format/arena.h"
#include "coreml-lint/ir.h"

/* The estimate for one op. fp16_program: the op's function has fp16 compute
 * ops, so an fp32 op is a mixed-precision island rather than part of an
 * fp32-typed program (only the reason differs). a: arena for the reasons that
 * carry a number (NULL: a fixed reason without the number). */
cml_estimate ir_compute_estimate(const cml_op *op, bool fp16_program, arena *a);

/* An ML Program op of the model's I/O conversion, not an fp32 compute
 * island: a `cast` that reads a function input (or the image preprocessing),
 * is a function output, or only feeds `classify` (the fp32 cast coremltools
 * puts before it); and coremltools' image preprocessing (`<input>__scaled__`
 * mul, `<input>__biased__` add) between an input and its cast. */
bool ir_compute_is_boundary_op(const cml_op *op);

/* True for model types that hold no graph and run on the CPU (GLM, trees,
 * SVM, scaler, ...). */
bool ir_compute_is_classic_type(const char *type);

/* 0 when every kind table is sorted and free of duplicates (the lookup is a
 * binary search), else 1 + the index of the first entry out of order. */
int ir_compute_tables_check(void);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* ir_weights.h — element access to IR constants (see ir_weights.c). */
#ifndef CML_IR_WEIGHTS_H
#define CML_IR_WEIGHTS_H

#include <stdint.h>

#include "coreml-lint/ir.h"

/* Number of elements stored (from the storage, not the declared shape). */
uint64_t ir_weight_count(const cml_weight *w);
/* Element i as a double / integer; -1 if out of range or unreadable. */
int ir_weight_f64(const cml_weight *w, uint64_t i, double *out);
int ir_weight_i64(const cml_weight *w, uint64_t i, int64_t *out);
/* Set bits among the first max_bits bits of the stored bytes (masks). */
uint64_t ir_weight_popcount(const cml_weight *w, uint64_t max_bits);
/* The element type of w's stored bytes (what ir_weight_read returns): the
 * dtype itself for raw little-endian bytes; FP32, INT32 (also for bools,
 * stored as protobuf_c_boolean), INT64 or FP64 for protobuf repeated
 * scalars; STRING for repeated strings, with *strings (may be NULL) set to
 * the w->nbytes strings. UNKNOWN for NULL. (cml_host.weight_stored_as.) */
cml_dtype ir_weight_stored_as(const cml_weight *w, const char *const **strings);
/* The counts of cml_weight_stats over w's stored values, when they are
 * fp16, bf16 or fp32 (0), else -1 (another type, or the bytes cannot be
 * read in full). Computed on the first call, in one pass that reads a
 * weight.bin blob with pread into a buffer kept in cache, and kept with the
 * weight: every later call, whichever rule makes it, is free. Not
 * thread-safe: the host runs rules one at a time. (cml_host.weight_stats.) */
int ir_weight_stats(const cml_weight *w, cml_weight_stats *out);
/* The counts of every fp16, bf16 and fp32 weight of m and its sub-models
 * that has none yet, computed on up to `threads` threads (each takes whole
 * weights as it comes free), when those hold at least min_bytes; afterwards
 * ir_weight_stats of those weights is a lookup. Results do not depend on the
 * threads. Call it from the thread that runs the rules (the threads it
 * starts are joined before it returns). */
void ir_weight_stats_all(const cml_model *m, int threads, uint64_t min_bytes);

#endif

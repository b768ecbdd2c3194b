/* SPDX-License-Identifier: Apache-2.0 */
/* exec_api.h — the executor as the probe plugin sees it: a table of
 * function pointers in a shared library of its own
 * (runtime-probe/runtime-probe-exec.so next to the plugin), opened only in
 * the probe's child process. Every `check` loads the probe plugin, but only
 * a run that probes a model pays for the executor and its BLAS (OpenBLAS
 * starts its thread pool when it is loaded). */
#ifndef CML_EXEC_API_H
#define CML_EXEC_API_H

#include "exec.h"

typedef struct exec_api {
    size_t size; /* sizeof(exec_api) of the library */
    size_t (*unsupported)(const cml_model *m, const char *function, const exec_io *io, const cml_op **ops,
                          char (*why)[192], size_t max);
    exec_plan *(*prepare)(const cml_model *m, const char *function, const exec_opts *o, char *err, size_t errlen);
    int (*run)(exec_plan *p, exec_mode mode, const exec_tensor *inputs, size_t n_in, exec_tensor **outputs,
               size_t *n_out, exec_stats *stats);
    void (*reset_states)(exec_plan *p);
    const char *(*last_error)(const exec_plan *p);
    int (*threads)(const exec_plan *p);
    const cml_function *(*plan_function)(const exec_plan *p);
    size_t (*plan_n_ops)(const exec_plan *p);
    size_t (*plan_const_bytes)(const exec_plan *p);
    void (*plan_free)(exec_plan *p);
    int (*plan_const)(const exec_plan *p, const cml_value *v, exec_tensor *view);
    int (*make_inputs)(const cml_model *m, const char *function, uint64_t seed, exec_tensor **inputs,
                       size_t *n_inputs, char *err, size_t errlen);
    void (*tensors_free)(exec_tensor *t, size_t n);
    size_t (*tensor_count)(const exec_tensor *t);
    float (*round_fp16)(float f);
    size_t (*plan_substituted)(const exec_plan *p, const cml_op **ops, size_t max);
    int (*output_random)(const exec_plan *p, size_t i);
} exec_api;

/* The one symbol the library exports. */
#define EXEC_API_SYMBOL "cml_exec_api"
typedef const exec_api *exec_api_fn(void);

/* In the plugin: open the library (once) and return its table, or NULL
 * with the reason in err. */
const exec_api *exec_api_load(char *err, size_t errlen);

#endif

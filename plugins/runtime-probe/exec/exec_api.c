/* SPDX-License-Identifier: Apache-2.0 */
/* exec_api.c — the executor library's only export: its function table
 * (see exec_api.h). Built into runtime-probe-exec.so with the exec_*.c
 * sources, which stay hidden. */
#include "exec_api.h"

__attribute__((visibility("default"))) const exec_api *cml_exec_api(void);

const exec_api *cml_exec_api(void) {
    static const exec_api api = {
        sizeof(exec_api),      exec_unsupported,  exec_prepare,      exec_run,
        exec_reset_states,     exec_last_error,   exec_threads,      exec_plan_function,
        exec_plan_n_ops,       exec_plan_const_bytes, exec_plan_free, exec_plan_const,
        exec_make_inputs,      exec_tensors_free, exec_tensor_count, exec_round_fp16,
        exec_plan_substituted,
        exec_output_random,
    };
    return &api;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* coreml_backend_stub.c — coreml_probe on hosts without Core ML (everything
 * but Apple platforms). Core ML, and with it the GPU and Neural Engine
 * compute units, exists only on Apple's operating systems, so here the
 * answer is honest: not available, and why. The probe then reports that
 * GPU and Neural Engine figures were not measured on this host; its fp16
 * emulation (what those units compute in) still runs. */
#include <stdio.h>
#include <string.h>

#include "coreml_backend.h"

void coreml_probe(const char *model_path, const coreml_tensor *inputs, size_t n_inputs,
                  const coreml_tensor *refs, size_t n_refs, int runs, coreml_result *out) {
    (void)model_path;
    (void)inputs;
    (void)n_inputs;
    (void)refs;
    (void)n_refs;
    (void)runs;
    memset(out, 0, sizeof *out);
    out->available = false;
    snprintf(out->reason, sizeof out->reason,
             "Core ML runs only on Apple platforms (macOS, iOS); this host has no Core ML, so CPU, GPU and "
             "Neural Engine figures of Core ML itself were not measured");
}

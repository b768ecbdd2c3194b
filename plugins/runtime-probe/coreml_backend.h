/* SPDX-License-Identifier: Apache-2.0 */
/* coreml_backend.h — the runtime probe's tiny interface to Core ML itself.
 *
 * On Apple platforms coreml_backend.m (Objective-C, Foundation + CoreML)
 * implements it: compile the model (.mlmodel / .mlpackage) to .mlmodelc,
 * then for each compute-unit setting (cpuOnly, cpuAndGPU,
 * cpuAndNeuralEngine, all) load it cold and warm, predict `runs` times on
 * the probe's inputs, compare the outputs with the reference executor's
 * fp32 outputs and, where the OS has MLComputePlan (macOS 14.4 / iOS 17.4),
 * count the ops by the device Core ML prefers for them. Everywhere else
 * coreml_backend_stub.c answers "not available on this host" with the
 * reason, and the probe says so in its report: it never invents a figure.
 * Plain C structs only, so the plugin's C code never sees Objective-C. */
#ifndef CML_COREML_BACKEND_H
#define CML_COREML_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COREML_MAX_UNITS 4

/* One input or reference output: float32 values in C order. Images hold
 * 0..255 pixel values shaped [1, C, H, W] (C = 3 RGB/BGR, 1 grayscale). */
typedef struct coreml_tensor {
    const char *name;
    int rank;
    int64_t shape[8];
    const float *data;
    bool is_image;
    bool image_bgr;         /* color layout BGR (else RGB) when 3 channels */
} coreml_tensor;

typedef struct coreml_unit_result {
    char unit[24];          /* "cpuOnly", "cpuAndGPU", "cpuAndNeuralEngine", "all" */
    bool measured;          /* false: error says why */
    char error[256];
    double cold_load_ms;    /* first load of the compiled model with this setting */
    double warm_load_ms;    /* a second load (caches warm) */
    double first_ms, median_ms, p90_ms;
    int runs;
    bool compared;          /* outputs compared with the reference executor */
    double max_abs_err, rmse, max_ref;
    /* MLComputePlan: ops by preferred device; plan_available false when the
     * OS has no compute plan API */
    bool plan_available;
    long plan_cpu, plan_gpu, plan_ne, plan_other;
} coreml_unit_result;

typedef struct coreml_result {
    bool available;         /* Core ML ran here */
    char reason[256];       /* why not, when !available */
    char os[64];            /* "macOS 14.5" */
    double compile_ms;
    size_t n_units;
    coreml_unit_result units[COREML_MAX_UNITS];
} coreml_result;

/* Measure model_path with Core ML. inputs: the probe's inputs by feature
 * name; refs: the reference executor's fp32 outputs by feature name (may be
 * empty). Fills *out (never fails: problems are in reason / error). */
void coreml_probe(const char *model_path, const coreml_tensor *inputs, size_t n_inputs,
                  const coreml_tensor *refs, size_t n_refs, int runs, coreml_result *out);

#endif

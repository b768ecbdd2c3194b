/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_probe.c — libFuzzer target for the runtime probe's executor
 * (plugins/runtime-probe/exec): prepare and run a small model, which is
 * what `coreml-lint probe` does to a pull request's model. The first byte
 * picks the container: even, the rest is an .mlmodel protobuf; odd, the
 * rest is the model.mil of a compiled folder. The model is loaded,
 * prepared (every op validated, constants decoded), given the executor's
 * generated inputs and run once in fp32 and once in fp16 emulation, on one
 * thread. Models whose inputs, as described or as the function declares
 * them, pass 1 Mi elements are skipped (the probe's child has a memory
 * limit for those). Must never crash or hang;
 * ASan/UBSan catch memory errors. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "ir/model.h"
#include "ir/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t io_read(void *u, const cml_weight *w, uint64_t off, void *buf, size_t n) {
    (void)u;
    return ir_weight_read(w, off, buf, n);
}

static cml_dtype io_stored(void *u, const cml_weight *w, const char *const **strings) {
    (void)u;
    return ir_weight_stored_as(w, strings);
}

static int small_inputs(const cml_model *m) {
    for (size_t i = 0; i < m->n_inputs; i++) {
        const cml_feature *f = m->inputs[i];
        double n = 1;
        for (int32_t d = 0; d < f->shape.rank; d++) n *= f->shape.dims[d] > 0 ? (double)f->shape.dims[d] : 1;
        if (f->kind == CML_FEAT_IMAGE) n = (double)(f->width > 0 ? f->width : 1) * (f->height > 0 ? f->height : 1) * 3;
        if (n > (1 << 20)) return 0;
    }
    /* exec_make_inputs sizes an input by the function's value where the
     * description gives no shape (rank 0, another kind): those too */
    const cml_function *fn = cml_model_function(m, NULL);
    for (size_t i = 0; fn && i < fn->n_inputs; i++) {
        const cml_value *v = fn->inputs[i];
        double n = 1;
        for (int32_t d = 0; v && d < v->type.shape.rank; d++)
            n *= v->type.shape.dims[d] > 0 ? (double)v->type.shape.dims[d] : 1;
        if (n > (1 << 20)) return 0;
    }
    return 1;
}

static char file[128], dir[128], mil[160];

static void cleanup(void) {
    unlink(file);
    unlink(mil);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!file[0]) {
        atexit(cleanup);
        snprintf(file, sizeof file, "/tmp/cml-fuzz-probe-%d.mlmodel", (int)getpid());
        snprintf(dir, sizeof dir, "/tmp/cml-fuzz-probe-%d.mlmodelc", (int)getpid());
        snprintf(mil, sizeof mil, "%s/model.mil", dir);
        mkdir(dir, 0700);
    }
    if (!size) return 0;
    const char *path = data[0] & 1 ? dir : file;
    FILE *f = fopen(data[0] & 1 ? mil : file, "wb");
    if (!f) return 0;
    if (size > 1) fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    load_opts lo = {.arena_cap = 64u << 20};
    lmodel *lm = loader_load(path, &lo);
    if (!lm || !lm->model || lm->unreadable || !small_inputs(lm->model)) {
        loader_free(lm);
        return 0;
    }
    /* the loops of a run stop after 10,000 iterations here, not the
     * probe's 1,000,000: a loop of eight layers that never ends took the
     * whole budget past libFuzzer's 30 s under ASan (the probe's child has
     * its time limit for that); the bound itself is what is tested */
    exec_opts o = {.threads = 1, .io = {.read = io_read, .stored_as = io_stored}, .loop_limit = 10000};
    char err[512];
    exec_plan *p = exec_prepare(lm->model, NULL, &o, err, sizeof err);
    if (p && exec_plan_const_bytes(p) < ((size_t)256 << 20)) {
        exec_tensor *in = NULL;
        size_t n_in = 0;
        if (exec_make_inputs(lm->model, NULL, 0, &in, &n_in, err, sizeof err) == 0) {
            for (int mode = 0; mode < 2; mode++) {
                exec_tensor *out = NULL;
                size_t n_out = 0;
                exec_stats st;
                if (exec_run(p, (exec_mode)mode, in, n_in, &out, &n_out, &st) == 0) exec_tensors_free(out, n_out);
            }
            exec_tensors_free(in, n_in);
        }
    }
    exec_plan_free(p);
    loader_free(lm);
    return 0;
}

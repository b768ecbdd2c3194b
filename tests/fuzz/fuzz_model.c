/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_model.c — libFuzzer target for the whole .mlmodel path: the input
 * is written as a model file and loaded (protobuf-c decode with the bounded
 * arena, wire-walk on failure, IR build, every pass, inspect JSON). Must
 * never crash, hang or leak; only load/... problems may come out. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/inspect.h"
#include "ir/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void cleanup(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/cml-fuzz-model-%d.mlmodel", (int)getpid());
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    load_opts o = {.arena_cap = 64u << 20};
    lmodel *lm = loader_load(path, &o);
    if (lm && lm->model) {
        for (size_t i = 0; i < lm->model->n_diags; i++)
            if (strncmp(lm->model->diags[i]->rule_id, "load/", 5) != 0) abort();
        cJSON_Delete(inspect_json(lm->model));
    }
    loader_free(lm);
    return 0;
}

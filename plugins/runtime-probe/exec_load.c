/* SPDX-License-Identifier: Apache-2.0 */
/* exec_load.c — open runtime-probe-exec.so from the folder this plugin was
 * loaded from (runtime-probe/ beside runtime-probe.so), in the probe's
 * child only (see exec_api.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "exec/exec_api.h"

const exec_api *exec_api_load(char *err, size_t errlen) {
    static const exec_api *api;
    if (api) return api;
    Dl_info info;
    if (!dladdr((void *)(uintptr_t)exec_api_load, &info) || !info.dli_fname) {
        snprintf(err, errlen, "the probe plugin's own path is unknown, so its executor library was not found");
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", info.dli_fname);
    char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path + 1) : 0;
    snprintf(path + dir, sizeof path - dir, "runtime-probe/runtime-probe-exec.so");
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(err, errlen, "the executor library could not be loaded: %s", e ? e : path);
        return NULL;
    }
    void *sym = dlsym(h, EXEC_API_SYMBOL);
    exec_api_fn *fn;
    memcpy(&fn, &sym, sizeof fn); /* POSIX: dlsym's object pointer is the function */
    const exec_api *a = sym ? fn() : NULL;
    if (!a || a->size < sizeof(exec_api)) {
        snprintf(err, errlen, "%s is not this plugin's executor library", path);
        return NULL;
    }
    api = a;
    return api;
}

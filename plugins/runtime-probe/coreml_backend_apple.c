/* SPDX-License-Identifier: Apache-2.0 */
/* coreml_backend_apple.c — coreml_probe on Apple platforms: loads the
 * Objective-C backend (runtime-probe-coreml.dylib, installed next to the
 * plugin) with dlopen and calls it. The indirection keeps Foundation and
 * Core ML out of the plugin itself, so they are first initialised in the
 * probe's forked child, never in the parent before the fork (CoreFoundation
 * refuses to run in a child forked after it was initialised). A missing
 * backend is reported as such: no figure is invented. */
#define _DARWIN_C_SOURCE 1
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "coreml_backend.h"

typedef void (*cb_impl_fn)(const char *, const coreml_tensor *, size_t, const coreml_tensor *, size_t, int,
                           coreml_result *);

static const char cb_anchor = 0; /* an object of this plugin, for dladdr */

void coreml_probe(const char *model_path, const coreml_tensor *inputs, size_t n_inputs,
                  const coreml_tensor *refs, size_t n_refs, int runs, coreml_result *out) {
    memset(out, 0, sizeof *out);
    Dl_info info;
    if (!dladdr(&cb_anchor, &info) || !info.dli_fname) {
        snprintf(out->reason, sizeof out->reason, "the plugin's own path is unknown, so the Core ML backend "
                                                  "(runtime-probe-coreml.dylib) was not found");
        return;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s", info.dli_fname);
    char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path + 1) : 0;
    snprintf(path + dir, sizeof path - dir, "runtime-probe-coreml.dylib");
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(out->reason, sizeof out->reason, "the Core ML backend could not be loaded: %s", e ? e : path);
        return;
    }
    void *sym = dlsym(h, "cml_coreml_probe_impl");
    if (!sym) {
        snprintf(out->reason, sizeof out->reason, "%s has no cml_coreml_probe_impl", path);
        return;
    }
    cb_impl_fn fn;
    memcpy(&fn, &sym, sizeof fn); /* POSIX: dlsym's object pointer is the function */
    fn(model_path, inputs, n_inputs, refs, n_refs, runs, out);
}

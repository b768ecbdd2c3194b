/* SPDX-License-Identifier: Apache-2.0 */
/* exec_host_io.h — for the executor tests (test_exec_*.c): the executor
 * reads constants only through exec_opts.io (the plugin wires the host's
 * weight_read / weight_stored_as services); here the host-side loader's own
 * readers stand in (host_io_bytes: the bytes in place, as cml_weight_bytes gives them). */
#ifndef CML_EXEC_HOST_IO_H
#define CML_EXEC_HOST_IO_H

#include "exec.h"
#include "ir/weights.h"
#include "ir/model.h"

static inline size_t host_io_read(void *u, const cml_weight *w, uint64_t off, void *buf, size_t n) {
    (void)u;
    return ir_weight_read(w, off, buf, n);
}

static inline cml_dtype host_io_stored(void *u, const cml_weight *w, const char *const **strings) {
    (void)u;
    return ir_weight_stored_as(w, strings);
}

/* the stored bytes in place (NULL: not in memory as one range) */
static inline const void *host_io_bytes(void *u, const cml_weight *w, uint64_t *nbytes) {
    (void)u;
    if (ir_weight_stored_as(w, NULL) == CML_DT_STRING) return NULL;
    const void *p = ir_weight_data(w);
    *nbytes = p ? w->nbytes : 0;
    return p;
}

#endif

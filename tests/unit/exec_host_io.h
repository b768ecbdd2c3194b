/* exec_host_io.h — for the executor tests (test_exec_*.c): the executor
 * reads constants only through exec_opts.io (the plugin wires the host's
 * weight_read / weight_stored_as services); here the host-side loader's own
 * readers stand in. */
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

#endif

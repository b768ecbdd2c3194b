/* SPDX-License-Identifier: Apache-2.0 */
/* so_int.h — what the "so" engine's files share (internal to core/host/so/):
 * load.c loads plugins through the versioned ABI and turns their rules into
 * host rules; services.c is the cml_host table a check calls (in process,
 * or serialized to the parent from an isolated child); isolate.c runs a
 * check in a forked child under a wall-clock limit and reads its frames. */
#ifndef CML_HOST_SO_INT_H
#define CML_HOST_SO_INT_H

#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "coreml-lint/plugin.h"
#include "host/ctx.h"
#include "host/so/engine.h"
#include "host/util.h"
#include "ir/weights.h"
#include "ir/model.h"

#define SO_MAX_RULES 256              /* per plugin */
#define SO_MAX_TAGS 64                /* per rule */
#define SO_MAX_OPTIONS 64             /* per rule */
#define SO_MAX_RELATED 64             /* per report */
#define SO_MAX_STRUCT 65536u          /* a larger size field is garbage, not a newer ABI */
#define SO_MAX_STR 16384u             /* one string from a child (longer ones are cut) */
/* One message from a child: a report has at most 4 + 3 * SO_MAX_RELATED
 * strings, each cut at SO_MAX_STR bytes. */
#define SO_MAX_FRAME (4u << 20)

/* The smallest struct the host accepts: up to the last required member. */
#define SO_END(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#define SO_PLUGIN_MIN SO_END(cml_plugin, rules)
#define SO_RULE_MIN SO_END(cml_rule, check)
#define SO_OPTION_MIN SO_END(cml_option, doc)
#define SO_REPORT_MIN SO_END(cml_report, message)

typedef struct so_plugin {
    void *dl;
    char *path;
    const char *base;                 /* file name inside path */
    cml_plugin desc;                  /* zero-extended copy */
    uint32_t abi;                     /* negotiated */
    bool bundled, isolate, inited;
    void *state;
    size_t refs;                      /* the loader + one per host_rule */
} so_plugin;

typedef struct so_rule {
    so_plugin *pl;
    cml_rule desc;                    /* zero-extended copy */
} so_rule;

typedef struct so_scratch {
    struct so_scratch *next;
    const char *items[];              /* option_strings arrays */
} so_scratch;

/* The cml_ctx a check sees; the public part must stay first. */
typedef struct so_ctx {
    cml_ctx pub;
    rule_ctx *rc;                     /* read-only in a child */
    so_rule *sr;
    int fd;                           /* >= 0 in an isolated child: write here */
    so_scratch *scratch;
    const cml_weight *known_weight;   /* last weight validated for weight_read */
    const cml_weight **weights;       /* every weight a plugin may name, sorted (so_weight_ok) */
    size_t n_weights;
    size_t weights_models;            /* loaded models they cover, besides the checked one */
} so_ctx;


/* Serialization to the parent (isolated child). */
typedef struct so_buf {
    unsigned char *p;
    size_t n, cap;
    bool oom;
} so_buf;

enum { SO_MSG_REPORT = 'R', SO_MSG_NOTE = 'N', SO_MSG_END = 'E', SO_MSG_PROPERTY = 'P' };
enum { SO_NOTE_LOG = 0, SO_NOTE_ERROR = 1, SO_NOTE_USAGE = 2 };

/* load.c */
extern const engine so_engine;
const char *so_base(const char *path);
bool so_empty(const char *s);
const char *so_code_name(int rc);
void so_copy_sized(void *dst, size_t dst_size, const void *src, uint32_t size);
int so_reserved_nonzero(void *const *r, size_t n);
void so_unusable(registry *reg, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void so_plugin_unref(so_plugin *pl);

/* services.c */
extern const cml_host so_host;
so_ctx *so_ctx_of(cml_ctx *c);
void so_put(so_buf *b, const void *d, size_t n);
void so_put_u8(so_buf *b, uint8_t v);
void so_put_u32(so_buf *b, uint32_t v);
void so_put_u64(so_buf *b, uint64_t v);
void so_put_str(so_buf *b, const char *s);
void so_put_loc(so_buf *b, const cml_loc *l);
void so_send(so_ctx *c, so_buf *b);
/* fd >= 0: the check runs in an isolated child that writes frames there */
void so_ctx_init(so_ctx *c, so_rule *sr, rule_ctx *rc, int fd);
void so_ctx_fini(so_ctx *c);

/* isolate.c: check one model with one rule (in process or isolated) */
int so_check(host_rule *r, const cml_model *m, rule_ctx *rc);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* isolate.c — engine "so": running a check. Checks of bundled plugins run
 * in process; third-party ones (or all, or none: limits.h) run in a forked
 * child (the IR is already built, so the child sees it copy-on-write) that
 * streams its reports back over a pipe, under a wall-clock limit: a crash or
 * a time-out becomes plugin/crash or plugin/timeout for that rule, and the
 * frames it sent are read with every length bounded. The child leads its own
 * process group, and the group is killed when the check ends: a helper the
 * check forked (and that still holds the pipe) neither holds the run until
 * the time-out nor outlives it, unless it left the group itself (setsid). */
#define _POSIX_C_SOURCE 200809L
#include "coreml-lint/child.h"
#include "host/so/so_int.h"

/* ---- checking in a child ----------------------------------------------------- */

typedef struct so_rd {
    const unsigned char *p, *end;
    bool bad;
} so_rd;

static void so_get(so_rd *r, void *d, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        memset(d, 0, n);
        return;
    }
    memcpy(d, r->p, n);
    r->p += n;
}
static uint8_t so_get_u8(so_rd *r) { uint8_t v; so_get(r, &v, 1); return v; }
static uint32_t so_get_u32(so_rd *r) { uint32_t v; so_get(r, &v, 4); return v; }
static uint64_t so_get_u64(so_rd *r) { uint64_t v; so_get(r, &v, 8); return v; }

/* Strings are NUL-terminated in place: the frame is copied with a spare byte
 * per string (see so_parent_frame), so each string is moved one byte left
 * over its length prefix and terminated there. */
static const char *so_get_str(so_rd *r) {
    uint32_t n = so_get_u32(r);
    if (r->bad || n == UINT32_MAX) return NULL;
    if (n > SO_MAX_STR || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    char *dst = (char *)(uintptr_t)(r->p - 4);
    memmove(dst, r->p, n);
    dst[n] = 0;
    r->p += n;
    return dst;
}

static void so_get_loc(so_rd *r, cml_loc *l) {
    l->artifact = so_get_str(r);
    l->logical = so_get_str(r);
    l->byte_offset = so_get_u64(r);
    l->byte_length = so_get_u64(r);
    l->line = so_get_u32(r);
    l->column = so_get_u32(r);
    l->has_bytes = so_get_u8(r) != 0;
}

typedef struct so_run {
    bool got_end;
    int check_rc;
} so_run;

/* One frame body from the child; false when malformed. */
static bool so_parent_frame(rule_ctx *rc, unsigned char *body, size_t n, so_run *st) {
    so_rd r = {body, body + n, false};
    uint8_t type = so_get_u8(&r);
    if (type == SO_MSG_END) {
        st->check_rc = (int)so_get_u32(&r);
        st->got_end = !r.bad;
        return !r.bad && r.p == r.end;
    }
    if (type == SO_MSG_NOTE) {
        uint8_t code = so_get_u8(&r);
        int level = (int)so_get_u32(&r);
        const char *msg = so_get_str(&r);
        if (r.bad || r.p != r.end || code > SO_NOTE_ERROR || level < LEVEL_NOTE || level > LEVEL_ERROR)
            return false;
        ctx_notify(rc, code == SO_NOTE_LOG ? NOTE_PLUGIN_LOG : code == SO_NOTE_USAGE ? NOTE_USAGE : "rule/error", level,
                   "%s", msg ? msg : "");
        return true;
    }
    if (type == SO_MSG_PROPERTY) {
        const char *key = so_get_str(&r);
        uint32_t len = so_get_u32(&r);
        if (r.bad || !key || (size_t)(r.end - r.p) != len) return false;
        /* the JSON text runs to the frame's end: terminate it in a copy */
        char *json = malloc((size_t)len + 1);
        if (!json) return true;
        memcpy(json, r.p, len);
        json[len] = 0;
        ctx_add_property(rc, key, json);
        free(json);
        return true;
    }
    if (type != SO_MSG_REPORT) return false;
    report_args a;
    memset(&a, 0, sizeof a);
    cml_loc at;
    related_loc rel[SO_MAX_RELATED];
    a.level = (int)so_get_u32(&r);
    a.message = so_get_str(&r);
    a.fix = so_get_str(&r);
    if (so_get_u8(&r)) {
        so_get_loc(&r, &at);
        a.at = &at;
    }
    uint32_t nrel = so_get_u32(&r);
    if (nrel > SO_MAX_RELATED) return false;
    for (uint32_t i = 0; i < nrel && !r.bad; i++) {
        so_get_loc(&r, &rel[i].loc);
        const char *m = so_get_str(&r);
        rel[i].message = (char *)(m ? m : "");
    }
    if (r.bad || r.p != r.end || !a.message || a.level < 0 || a.level > LEVEL_ERROR) return false;
    a.related = nrel ? rel : NULL;
    a.n_related = nrel;
    ctx_report(rc, &a);
    return true;
}

static void so_child_main(so_rule *sr, const cml_model *m, rule_ctx *rc, int fd) {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    setpgid(0, 0); /* the parent does the same: whichever runs first */
    /* Let a crash kill the child with its signal, whatever handlers the
     * host (or a sanitizer runtime) installed, so the parent can name it. */
    cml_child_default_crash_signals();
    /* stdout carries the report: a plugin's printf (PLG-7 asks for
     * cml_log) went into it and broke a JSON or SARIF document; it goes
     * nowhere now. (stderr stays the host's: what a plugin writes there
     * itself is its own.) Not when the report pipe is fd 1 (a host started
     * with stdout closed). */
    int devnull = fd == STDOUT_FILENO ? -1 : open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        if (devnull != STDOUT_FILENO) close(devnull);
    }
    so_ctx c;
    so_ctx_init(&c, sr, rc, fd);
    int r = sr->desc.check(m, &c.pub);
    so_buf b = {0};
    so_put_u32(&b, 0);
    so_put_u8(&b, SO_MSG_END);
    so_put_u32(&b, (uint32_t)r);
    so_send(&c, &b);
    so_ctx_fini(&c);
    close(fd);
    _exit(0);
}

static long so_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int so_check_child(so_rule *sr, const cml_model *m, rule_ctx *rc) {
    const char *id = sr->desc.id;
    int fds[2];
    if (pipe(fds) != 0) {
        ctx_notify(rc, "rule/error", LEVEL_ERROR, "rule '%s' (plugin %s) could not be isolated: pipe: %s", id,
                   sr->pl->base, strerror(errno));
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        ctx_notify(rc, "rule/error", LEVEL_ERROR, "rule '%s' (plugin %s) could not be isolated: fork: %s", id,
                   sr->pl->base, strerror(e));
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        so_child_main(sr, m, rc, fds[1]);
    }
    close(fds[1]);
    setpgid(pid, pid);

    unsigned limit = ctx_limits(rc)->plugin_timeout_ms;
    long deadline = so_now_ms() + (long)limit;
    so_run st = {false, 0};
    bool timed_out = false, malformed = false;
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        long left = deadline - so_now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int k = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (k < 0 && errno == EINTR) continue;
        if (k == 0) {
            timed_out = true;
            break;
        }
        if (k < 0) break;
        if (cap - n < 65536) {
            size_t nc = cap ? cap * 2 : 131072;
            unsigned char *nb = realloc(buf, nc);
            if (!nb) {
                malformed = true;
                break;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t got = read(fds[0], buf + n, cap - n);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) break; /* EOF: the child closed its end (finished or died) */
        n += (size_t)got;
        size_t off = 0;
        while (n - off >= 4) {
            uint32_t len;
            memcpy(&len, buf + off, 4);
            if (len == 0 || len > SO_MAX_FRAME) {
                malformed = true;
                break;
            }
            if (n - off - 4 < len) break;
            if (!so_parent_frame(rc, buf + off + 4, len, &st)) {
                malformed = true;
                break;
            }
            off += 4 + (size_t)len;
        }
        if (malformed) break;
        memmove(buf, buf + off, n - off);
        n -= off;
        /* The end frame is the last thing a check sends: stop there rather
         * than at EOF, which a helper process holding the pipe would delay. */
        if (st.got_end) break;
    }
    free(buf);
    close(fds[0]);
    /* The pipe is closed; give the child the rest of its time to exit. It is
     * waited for without being reaped (WNOWAIT), so that its pid, which is its
     * group's id, stays taken while the group is killed: whatever the check
     * left behind in its group goes with it. */
    if (timed_out || malformed) kill(-pid, SIGKILL);
    for (;;) {
        siginfo_t si;
        si.si_pid = 0;
        int w = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | (timed_out || malformed ? 0 : WNOHANG));
        if (w == 0 && si.si_pid == pid) break;
        if (w < 0 && errno != EINTR) break;
        if (w == 0) {
            if (so_now_ms() >= deadline) {
                timed_out = true;
                kill(-pid, SIGKILL);
                continue;
            }
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        ctx_notify(rc, "plugin/timeout", LEVEL_ERROR,
                   "rule '%s' (plugin %s) did not finish within %.1f s (wall clock); its process was killed", id,
                   sr->pl->base, limit / 1000.0);
        return -1;
    }
    if (malformed) {
        ctx_notify(rc, "plugin/crash", LEVEL_ERROR,
                   "rule '%s' (plugin %s) sent a malformed message to the host; its process was killed", id,
                   sr->pl->base);
        return -1;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        ctx_notify(rc, "plugin/crash", LEVEL_ERROR, "rule '%s' (plugin %s) crashed with signal %d (%s)", id,
                   sr->pl->base, sig, cml_signal_name(sig));
        return -1;
    }
    if (!st.got_end) {
        ctx_notify(rc, "plugin/crash", LEVEL_ERROR, "rule '%s' (plugin %s) exited with status %d before finishing",
                   id, sr->pl->base, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    if (st.check_rc < 0) {
        ctx_notify(rc, "rule/error", LEVEL_ERROR, "rule '%s' (plugin %s) failed: check returned %d (%s)", id,
                   sr->pl->base, st.check_rc, so_code_name(st.check_rc));
        return -1;
    }
    return 0;
}

int so_check(host_rule *r, const cml_model *m, rule_ctx *rc) {
    so_rule *sr = r->engine_data;
    if (!sr || !sr->desc.check) return -1;
    if (sr->pl->isolate) return so_check_child(sr, m, rc);
    so_ctx c;
    so_ctx_init(&c, sr, rc, -1);
    int ret = sr->desc.check(m, &c.pub);
    so_ctx_fini(&c);
    if (ret < 0) {
        ctx_notify(rc, "rule/error", LEVEL_ERROR, "rule '%s' (plugin %s) failed: check returned %d (%s)",
                   sr->desc.id, sr->pl->base, ret, so_code_name(ret));
        return -1;
    }
    return 0;
}


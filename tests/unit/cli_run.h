/* SPDX-License-Identifier: Apache-2.0 */
/* cli_run.h — for the tests that run the coreml-lint binary
 * (test_check_cli.c, test_probe.c): run it with arguments in a folder,
 * capturing its exit code, stdout and stderr. Needs _DEFAULT_SOURCE. */
#ifndef CML_CLI_RUN_H
#define CML_CLI_RUN_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct cli_res {
    int code;        /* exit status, -1 when it did not exit normally */
    char *out, *err; /* never NULL */
} cli_res;

/* A whole file, NUL-terminated (*len its length when len is given), or NULL. */
static inline char *cli_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    char *s = malloc(cap);
    while (s && (got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *ns = realloc(s, cap *= 2);
            if (!ns) free(s);
            s = ns;
        }
    }
    fclose(f);
    if (s) s[n] = 0;
    if (len) *len = n;
    return s;
}

static inline void cli_res_free(cli_res *r) {
    free(r->out);
    free(r->err);
}

/* Run bin with args (NULL-terminated, without argv[0]) in dir; its output
 * goes through files in scratch. NO_COLOR is cleared in the child. */
static inline cli_res cli_run(const char *bin, const char *scratch, const char *dir, const char *const *args) {
    cli_res r = {-1, NULL, NULL};
    char outp[PATH_MAX + 16], errp[PATH_MAX + 16];
    snprintf(outp, sizeof outp, "%s/.stdout", scratch);
    snprintf(errp, sizeof errp, "%s/.stderr", scratch);
    const char *argv[256];
    size_t n = 0;
    argv[n++] = bin;
    for (; args[n - 1] && n < 255; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0 || chdir(dir) != 0) _exit(127);
        dup2(fo, 1);
        dup2(fe, 2);
        unsetenv("NO_COLOR");
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st)) r.code = WEXITSTATUS(st);
    r.out = cli_slurp(outp, NULL);
    r.err = cli_slurp(errp, NULL);
    if (!r.out) r.out = calloc(1, 1);
    if (!r.err) r.err = calloc(1, 1);
    return r;
}

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* cli.c — command dispatch: `coreml-lint [COMMAND] [options] ARGS...`.
 * Without a command (or with a path first), check. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "format/sanitize.h"

/* A usage error, "coreml-lint CMD: MESSAGE", goes out as "coreml-lint CMD:
 * error: MESSAGE", as compilers write theirs ("clang: error: ..."): an
 * Xcode build phase shows a line of that form as an issue, and without the
 * word the build log said only that the script failed. A line that names
 * its level already ("coreml-lint: warning: ...", a notification) keeps it. */
static bool has_level(const char *s) {
    return !strncmp(s, "error: ", 7) || !strncmp(s, "warning: ", 9) || !strncmp(s, "note: ", 6);
}

void cli_errorf(const char *fmt, ...) {
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *sep = strncmp(buf, "coreml-lint", 11) ? NULL : strstr(buf, ": ");
    if (sep && sep - buf < 64 && !has_level(sep + 2)) {
        char head[256];
        snprintf(head, sizeof head, "%.*s", (int)(sep + 2 - buf), buf);
        san_fputs(head, stderr);
        fputs("error: ", stderr);
        san_fputs(sep + 2, stderr);
    } else {
        san_fputs(buf, stderr);
    }
    fputc('\n', stderr);
}

int cli_main(int argc, char **argv) {
    if (argc < 2) {
        cli_usage(stderr, NULL);
        return 2;
    }
    const char *a = argv[1];
    if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help")) {
        size_t n;
        const cli_command *cmds = cli_commands(&n);
        for (size_t i = 0; argc > 2 && !strcmp(a, "help") && i < n; i++)
            if (!strcmp(argv[2], cmds[i].name)) {
                cli_usage(stdout, &cmds[i]);
                return 0;
            }
        cli_usage(stdout, NULL);
        return 0;
    }
    if (!strcmp(a, "--version") || !strcmp(a, "version")) {
        cli_print_version(stdout);
        return 0;
    }
    size_t n;
    const cli_command *cmds = cli_commands(&n);
    const cli_command *c = &cmds[0];   /* check */
    int start = 1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a, cmds[i].name)) {
            c = &cmds[i];
            start = 2;
        }
    cli_opts o = {0};
    o.command_given = start == 2;
    int rc = cli_parse(argc, argv, start, c->bit, &o);
    if (!rc) rc = c->run(c, &o);
    else rc = rc == 1 ? 0 : 2;
    cli_opts_free(&o);
    return rc;
}

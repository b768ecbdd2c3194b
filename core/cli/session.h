/* SPDX-License-Identifier: Apache-2.0 */
/* session.h — what every rule-running command sets up the same way: the
 * configuration (file, then the command line's overlay), the rules from
 * every source, the report's output, and the notifications on stderr. */
#ifndef CML_CLI_SESSION_H
#define CML_CLI_SESSION_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "host/config.h"
#include "host/registry.h"

typedef struct session {
    config cfg;
    registry *reg;
    host_limits limits;       /* the file's, then --limit */
} session;

/* Read the configuration (unless use_config is false or --no-config),
 * load every rule, apply the configuration with the overlay (--enable,
 * --disable, and rule options for rules matching options_rules). Returns
 * 0, or 2 after printing the usage or configuration error. */
int session_open(session *s, const cli_opts *o, bool use_config, const char *options_rules);
void session_close(session *s);
/* Notifications on stderr (quiet: none). */
void session_print_notes(const session *s);

/* The report's destination. With -o the report is written to a new
 * temporary file beside the target and renamed over it when complete: a
 * killed or failed run leaves the previous report (or none), never a
 * partial one, two runs never mix, and a symbolic link planted at the
 * target is replaced, never written through. */
typedef struct report_file {
    FILE *f;                  /* stdout, or the temporary file */
    const char *path;         /* the target, NULL for stdout */
    char *tmp;                /* the temporary file's path */
} report_file;

/* Open the destination (NULL or "-": stdout). 0, or -1 after printing why. */
int session_output_open(report_file *rf, const char *path);
/* Finish: flush (and fsync) and rename over the target. 0, or -1 after
 * printing why; the temporary file is gone either way. */
int session_output_commit(report_file *rf);
/* Give up: the temporary file is removed, the target is left as it was. */
void session_output_abort(report_file *rf);

#endif

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

/* The report's stream: stdout, or FILE. NULL after printing why. */
FILE *session_output(const char *path);
/* 0, or -1 after printing why. */
int session_output_close(FILE *f, const char *path);

#endif

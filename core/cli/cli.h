/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h — the command line: one table of commands, one table of flags
 * (args.c) from which the parser, the top-level usage and each command's
 * help are made, and one file per command (cmd_*.c). Adding a flag is one
 * row in FLAGS (and a member of cli_opts when it is not a rule option);
 * adding a command is one row in COMMANDS and its cmd_*.c file. */
#ifndef CML_CLI_H
#define CML_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* Commands, as bits: a flag lists the commands that accept it. */
enum {
    CMD_CHECK = 1u << 0,
    CMD_INSPECT = 1u << 1,
    CMD_RULES = 1u << 2,
    CMD_PROBE = 1u << 3,
    CMD_COMPARE = 1u << 4,
    CMD_TEST_RULE = 1u << 5,
    CMD_COMPLETION = 1u << 6,
    CMD_MANPAGE = 1u << 7,
};
#define CMD_RUNS (CMD_CHECK | CMD_PROBE | CMD_COMPARE)   /* commands that run rules over models */
#define CMD_META (CMD_COMPLETION | CMD_MANPAGE)        /* about the tool itself (each its own bit: its own help) */

typedef struct strv {
    const char **v;
    size_t n, cap;
} strv;
int strv_push(strv *s, const char *x);

/* What the flags set. Flags that are rule options (the probe's) go into
 * rule_options instead, as JSON: the command puts them in the configuration
 * overlay (config.h), where they are validated like a config file's. */
typedef struct cli_opts {
    bool command_given;     /* argv[1] named the command (else check is implied) */
    const char *format, *output, *config, *target, *baseline, *docs_dir, *rule_set;
    bool no_config, no_bundled, quiet, color, no_color, timestamps, markdown, keep_going, profile;
    bool trust_config;        /* the configuration file may load code (docs/security.md) */
    strv enable, disable, rules_dirs, plugins, limits, args;
    cJSON *rule_options;      /* {"threads": 4, "inputs": [...]}, or NULL */
    cJSON *settings;          /* configuration keys the flags set over the file's: {"fail_on": "note"}, or NULL */
} cli_opts;

typedef struct cli_command {
    const char *name;         /* "check" */
    unsigned bit;             /* CMD_* */
    const char *synopsis;     /* "[options] PATH..." */
    const char *summary;      /* one line for the top-level help */
    const char *description;  /* paragraph for `COMMAND --help` */
    int (*run)(const struct cli_command *c, cli_opts *o);
    /* rule-running commands: the rules this command turns on besides the
     * configured ones, which its rule-option flags set (NULL: none) */
    const char *enables;
    /* the first argument is not a model but this rule option's value
     * (compare's baseline), or NULL */
    const char *first_arg_option;
    const char *needs;        /* what to say when no rule matches `enables` */
} cli_command;

int cli_main(int argc, char **argv);

/* One line on stderr: the printf of fmt, passed whole through the
 * sanitizer's one-line form (format/sanitize.h), then a newline. For every
 * message that carries a path, a configuration's text or a rule's words:
 * they may come from the scanned tree. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* args.c: parse argv[start..] for command cmd (a CMD_* bit) into o.
 * Returns 0, 1 when help or the version was printed (exit 0), 2 on a usage
 * error (already printed). */
int cli_parse(int argc, char **argv, int start, unsigned cmd, cli_opts *o);
void cli_opts_free(cli_opts *o);
/* The top-level usage (every command and option), or one command's. */
void cli_usage(FILE *out, const cli_command *only);
const cli_command *cli_commands(size_t *n);
/* The command name within two edits of word (a path-less word), or NULL:
 * for "did you mean" when a mistyped command was read as a path. */
const char *cli_command_like(const char *word);
void cli_print_version(FILE *out);

/* Commands (cmd_*.c). */
int cmd_check(const cli_command *c, cli_opts *o);     /* check, probe, compare */
int cmd_rules(const cli_command *c, cli_opts *o);
int cmd_inspect(const cli_command *c, cli_opts *o);
int cmd_test_rule(const cli_command *c, cli_opts *o);
int cmd_completion(const cli_command *c, cli_opts *o);   /* cmd_meta.c */
int cmd_manpage(const cli_command *c, cli_opts *o);

/* The flag that sets configuration key `key` ("--fail-on" for "fail_on"),
 * for messages; the key itself when no flag does. */
const char *cli_setting_flag(const char *key);

/* A read-only view of one row of the flag table, for what is generated
 * from it besides the parser and the usage (cmd_meta.c: the man page and
 * the shell completions). */
typedef struct cli_flag_view {
    const char *name;         /* "--format" */
    char short_name;          /* 'o', or 0 */
    const char *arg;          /* "FILE", or NULL for a switch */
    unsigned commands;        /* CMD_* bits */
    bool repeatable;
    const char *section;      /* "report", "configuration", ... */
    const char *help;
} cli_flag_view;
/* Every flag, in table order, into out (at most cap); returns how many
 * there are. */
size_t cli_flag_views(cli_flag_view *out, size_t cap);

#endif

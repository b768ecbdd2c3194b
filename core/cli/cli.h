/* cli.h — command-line entry points. */
#ifndef CML_CLI_H
#define CML_CLI_H

int cli_main(int argc, char **argv);
/* `check` (the default command), `rules`, `probe`, `compare`: argv as given
 * to main (argv[1] may be "check" or a path). Implemented in check.c. */
int cli_check_main(int argc, char **argv);

#endif

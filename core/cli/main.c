/* SPDX-License-Identifier: Apache-2.0 */
/* main.c — the coreml-lint command line.
 *
 *   coreml-lint [check] PATH...     run the rules (default command)
 *   coreml-lint inspect PATH...     the model's facts (text or json)
 *   coreml-lint rules [ID]          list rules / show one rule's docs
 *   coreml-lint probe PATH          run the model (runtime probe)
 *   coreml-lint compare A B         compare two models' outputs
 *
 * stdout carries only the report; logs go to stderr. Exit codes: 0 clean,
 * 1 findings at or above --fail-on, 2 usage or tool error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int main(int argc, char **argv) { return cli_main(argc, argv); }

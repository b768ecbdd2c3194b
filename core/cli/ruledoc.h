/* SPDX-License-Identifier: Apache-2.0 */
/* ruledoc.h — the rule reference generated from the rules' own declarations
 * (`coreml-lint rules --markdown` / `--docs DIR`): docs/rules.md is the index
 * (one table row per rule, linking to its page), docs/rules/<category>/<name>.md
 * one page per rule (what the SARIF helpUri of a bundled rule points at). */
#ifndef CML_RULEDOC_H
#define CML_RULEDOC_H

#include <stdio.h>

#include "host/registry.h"
#include "host/rule.h"

/* Where a rule comes from, stable across machines for the bundled ones:
 * "built in", "rules/<category>/<name>.lua", "plugins/<file>.so", or the path. */
void ruledoc_origin(const host_rule *r, char *buf, size_t cap);

/* docs/rules.md: the index of every rule in reg (want: only the rules
 * that id or glob matches; NULL all). */
void ruledoc_index(FILE *out, const registry *reg, const char *want);
/* docs/rules/<category>/<name>.md: one rule's page. */
void ruledoc_page(FILE *out, const host_rule *r);
/* Writes dir/rules.md and dir/rules/<category>/<name>.md for every rule
 * want matches (folders created; pages of rules that no longer exist are not removed:
 * the test that compares docs/ with the output finds them). 0, or -1 with a
 * message on stderr. */
int ruledoc_write_dir(const char *dir, const registry *reg, const char *want);

#endif

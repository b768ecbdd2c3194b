/* SPDX-License-Identifier: Apache-2.0 */
/* registry.h — the rule table every engine fills and every later stage
 * reads, and the run's notifications (notes.h) that engines post while
 * loading and checking. The registry names no engine: engines add their
 * rules through registry_add; which engines and folders are loaded is the
 * command line's business (core/cli/sources.c). */
#ifndef CML_HOST_REGISTRY_H
#define CML_HOST_REGISTRY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/notes.h"
#include "host/rule.h"

typedef struct registry registry;

registry *registry_new(void);
void registry_free(registry *reg);          /* frees every rule and notification */
size_t registry_count(const registry *reg);
host_rule *registry_rule(const registry *reg, size_t i);     /* sorted by id */
host_rule *registry_find(const registry *reg, const char *id);
/* Add a rule; the registry owns it from here. Refused (returns -1, frees
 * the rule, posts a notification naming file and field) on a bad id,
 * a duplicate id (across everything loaded) or incomplete metadata.
 * Returns 1 (and frees the rule, silently) when the rule of that id came
 * from the same file: a rules folder named twice, in the configuration and
 * on the command line, loads once. 0: added. */
int registry_add(registry *reg, host_rule *r);
/* True when a rule with this id was offered and refused (so a config that
 * names it is not a typo: the refusal notification already says why). */
bool registry_was_refused(const registry *reg, const char *id);
/* The configured level overrides every finding's own level (set by
 * config_apply when the config or CLI gives the rule a level). */
void registry_set_level_configured(registry *reg, const host_rule *r, bool on);
bool registry_level_configured(const registry *reg, const host_rule *r);

/* The run's notifications (owned by the registry, which lives as long as
 * the run): posting and reading. */
notes *registry_notes(const registry *reg);
size_t registry_n_notes(const registry *reg);
const notification *registry_note(const registry *reg, size_t i);
void registry_notify(registry *reg, const char *rule_id, const char *kind, int level, const char *file,
                     uint32_t line, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void registry_vnotify(registry *reg, const char *rule_id, const char *kind, int level,
                      const char *model_path, const char *file, uint32_t line, const char *fmt,
                      va_list ap) __attribute__((format(printf, 8, 0)));

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* findings.h — what rules report, and the pipeline every finding goes
 * through after the checks: fingerprint (rule id + artifact path + logical
 * location), the --baseline SARIF (known fingerprints dropped), suppressions
 * from the config (kept, marked), a deterministic sort and deduplication. */
#ifndef CML_HOST_FINDINGS_H
#define CML_HOST_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "coreml-lint/ir.h"
#include "host/rule.h"

typedef struct related_loc {
    char *message;
    cml_loc loc;              /* strings owned by the finding (copied) */
    bool confirmation;        /* another rule's finding folded in (confirmed_by): writers that
                                 show no related locations show these */
} related_loc;

typedef struct finding {
    const host_rule *rule;    /* NULL for a finding whose rule is unknown */
    char *rule_id;
    int level;
    char *message;
    char *fix;                /* optional one-line remedy */
    char *model_path;         /* the model as the user named it */
    char *root_path;          /* model_path relative to the run's source root, when that is not the
                                 cwd (a run from a subfolder); the fingerprint hashes it. NULL: model_path */
    cml_loc loc;              /* artifact relative to model_path; strings owned */
    const char *logical_kind; /* SARIF logicalLocation kind: "function" "member" "module" */
    related_loc *related;
    size_t n_related;
    cJSON *props;             /* extra facts (bits, bytes...), owned, may be NULL */
    char fingerprint[33];     /* hex; rule id + artifact path + logical location + message shape */
    bool fingerprint_raw;     /* the whole message went into it: another finding shared its shape */
    bool suppressed;
    char *suppress_reason;
    const struct config_supp *supp;   /* the config's suppression that covers it (suppressed) */
} finding;

/* A growable list of findings. */
typedef struct fvec {
    finding **v;
    size_t n, cap;
} fvec;

int fvec_push(fvec *v, finding *f);
void finding_free(finding *f);

/* f->fingerprint from rule id, artifact path, logical location and the
 * message with its numbers and quoted names blanked (findings_finish uses
 * the whole message where that alone would not tell two findings apart). */
void findings_fingerprint(finding *f);
/* The partialFingerprints.primaryLocationLineHash values of a SARIF file
 * (":N" suffixes dropped), sorted. Returns 0, or -1 with err. */
int findings_baseline_read(const char *path, char ***fps, size_t *n, char *err, size_t errlen);

struct config;
typedef struct findings_stats {
    size_t suppressed, baselined, duplicates;
    size_t confirmed;         /* findings folded into the finding they restate (confirmed_by) */
    bool supp_budget_spent;   /* matching the suppressions ran out of FINDINGS_SUPP_BUDGET: the
                                 findings not reached were left unsuppressed */
    uint64_t supp_budget_left;/* what is left of it, for telling which suppressions went unused */
} findings_stats;
/* Glob steps that matching the config's suppressions against one run's
 * findings may take (a hostile config's patterns against a model's long
 * names, times thousands of suppressions): a second or two of CPU; no real
 * configuration comes near it, as a pattern that does not fit a name fails
 * at its first bytes. */
#define FINDINGS_SUPP_BUDGET ((uint64_t)1 << 30)
/* The post-processing: fingerprints; findings whose fingerprint is in fps
 * (sorted, n_fps) dropped; suppressions of cfg (may be NULL) marked, paths
 * relative to cwd (a finding that a rule's confirmed_by names, on the same
 * model and place, folded into the finding it restates before these two
 * steps); sorted; later copies of one (fingerprint, message) dropped.
 * root (absolute, may be NULL or cwd): the source root the fingerprints'
 * paths are relative to, so that one model has one fingerprint from any
 * folder of the repository. Returns 0, or -1 when out of memory. */
int findings_finish(fvec *out, char *const *fps, size_t n_fps, const struct config *cfg, const char *cwd,
                    const char *root, findings_stats *st);

#endif

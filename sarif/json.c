/* SPDX-License-Identifier: Apache-2.0 */
/* json.c — the JSON writer, for scripts: one object with the tool version,
 * the models checked (path, format, artifacts), every finding — suppressed
 * ones included and flagged, with the reason — with its location split into
 * plain fields (model, artifact, joined path, line, column, byte range,
 * logical path; null where unknown), related locations and extra properties,
 * the notifications, the run properties when there are any (the runtime
 * probe's figures, under "properties"), and a summary of unsuppressed
 * findings by level. Keys
 * come in a fixed order and arrays in the run's order, so the output is
 * deterministic; strings are made valid UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "sarif/wcommon.h"
#include "sarif/writers.h"

#ifndef CML_VERSION
#define CML_VERSION "0.0.0"
#endif

static void jadd(cJSON *parent, const char *key, cJSON *item, bool *oom) {
    if (!item || !parent) {
        *oom = true;
        cJSON_Delete(item);
        return;
    }
    if (!(key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item))) {
        *oom = true;
        cJSON_Delete(item);
    }
}

static cJSON *jcontainer(cJSON *parent, const char *key, cJSON *item, bool *oom) {
    jadd(parent, key, item, oom);
    return *oom ? NULL : item;
}

/* s as a valid UTF-8 string, or null when s is NULL. */
static void jstr(cJSON *parent, const char *key, const char *s, bool *oom) {
    if (!s) {
        jadd(parent, key, cJSON_CreateNull(), oom);
        return;
    }
    char *c = sarif_clean(s, false);
    if (!c) {
        *oom = true;
        return;
    }
    jadd(parent, key, cJSON_CreateString(c), oom);
    free(c);
}

static void jnum_or_null(cJSON *parent, const char *key, bool have, double v, bool *oom) {
    jadd(parent, key, have ? cJSON_CreateNumber(v) : cJSON_CreateNull(), oom);
}

static void jloc(cJSON *o, const cml_loc *loc, bool *oom) {
    jstr(o, "artifact", loc->artifact ? loc->artifact : "", oom);
    jnum_or_null(o, "line", loc->line > 0, loc->line, oom);
    jnum_or_null(o, "column", loc->column > 0, loc->column, oom);
    jnum_or_null(o, "byte_offset", loc->has_bytes, (double)loc->byte_offset, oom);
    jnum_or_null(o, "byte_length", loc->has_bytes, (double)loc->byte_length, oom);
}

static void jfinding(cJSON *arr, const finding *f, bool *oom) {
    cJSON *o = jcontainer(arr, NULL, cJSON_CreateObject(), oom);
    if (!o) return;
    jstr(o, "rule", sarif_rule_id(f), oom);
    jstr(o, "level", level_name(f->level), oom);
    jstr(o, "message", f->message ? f->message : "", oom);
    jstr(o, "fix", f->fix && *f->fix ? f->fix : NULL, oom);
    jstr(o, "model", f->model_path ? f->model_path : "", oom);
    char *path = sarif_finding_path(f);
    if (!path) *oom = true;
    jstr(o, "path", path ? path : "", oom);
    free(path);
    jloc(o, &f->loc, oom);
    jstr(o, "logical", f->loc.logical && *f->loc.logical ? f->loc.logical : NULL, oom);
    jstr(o, "logical_kind", f->logical_kind, oom);
    jstr(o, "fingerprint", f->fingerprint, oom);
    jadd(o, "suppressed", cJSON_CreateBool(f->suppressed), oom);
    jstr(o, "suppress_reason", f->suppressed ? f->suppress_reason : NULL, oom);
    cJSON *rel = jcontainer(o, "related", cJSON_CreateArray(), oom);
    for (size_t i = 0; rel && i < f->n_related; i++) {
        const related_loc *rl = &f->related[i];
        cJSON *ro = jcontainer(rel, NULL, cJSON_CreateObject(), oom);
        if (!ro) break;
        jstr(ro, "message", rl->message, oom);
        jloc(ro, &rl->loc, oom);
        jstr(ro, "logical", rl->loc.logical && *rl->loc.logical ? rl->loc.logical : NULL, oom);
    }
    jadd(o, "properties", f->props && cJSON_IsObject(f->props) ? cJSON_Duplicate(f->props, true) : cJSON_CreateObject(),
         oom);
}

static void jnote(cJSON *arr, const notification *n, bool *oom) {
    cJSON *o = jcontainer(arr, NULL, cJSON_CreateObject(), oom);
    if (!o) return;
    jstr(o, "rule", n->rule_id, oom);
    jstr(o, "kind", n->kind, oom);
    jstr(o, "level", level_name(n->level), oom);
    jstr(o, "message", n->message ? n->message : "", oom);
    jstr(o, "model", n->model_path, oom);
    jstr(o, "file", n->file, oom);
    jnum_or_null(o, "line", n->line > 0, n->line, oom);
    jadd(o, "count", cJSON_CreateNumber((double)(n->count ? n->count : 1)), oom);
}

static int write_json(FILE *out, const run_result *r, const writer_opts *wo) {
    (void)wo;
    bool oom = false;
    cJSON *root = cJSON_CreateObject();
    if (!root) return -1;
    jstr(root, "version", r->tool_version && *r->tool_version ? r->tool_version : CML_VERSION, &oom);

    cJSON *models = jcontainer(root, "models", cJSON_CreateArray(), &oom);
    for (size_t i = 0; models && i < r->n_models; i++) {
        const run_model *m = r->models[i];
        if (!m) continue;
        cJSON *mo = jcontainer(models, NULL, cJSON_CreateObject(), &oom);
        if (!mo) break;
        jstr(mo, "path", m->path ? m->path : "", &oom);
        jstr(mo, "format", m->format ? m->format : "unknown", &oom);
        cJSON *arts = jcontainer(mo, "artifacts", cJSON_CreateArray(), &oom);
        for (size_t k = 0; arts && k < m->n_artifacts; k++) jstr(arts, NULL, m->artifacts[k], &oom);
    }

    cJSON *fs = jcontainer(root, "findings", cJSON_CreateArray(), &oom);
    for (size_t i = 0; fs && i < r->n_findings; i++)
        if (r->findings[i]) jfinding(fs, r->findings[i], &oom);

    cJSON *ns = jcontainer(root, "notifications", cJSON_CreateArray(), &oom);
    for (size_t i = 0; ns && i < r->n_notes; i++)
        if (r->notes[i]) jnote(ns, r->notes[i], &oom);

    /* run-level facts (the runtime probe's figures), when there are any */
    if (r->run_properties && cJSON_IsObject(r->run_properties))
        jadd(root, "properties", cJSON_Duplicate(r->run_properties, true), &oom);

    sarif_counts c;
    sarif_count(r, &c);
    cJSON *sum = jcontainer(root, "summary", cJSON_CreateObject(), &oom);
    if (sum) {
        jadd(sum, "errors", cJSON_CreateNumber((double)c.errors), &oom);
        jadd(sum, "warnings", cJSON_CreateNumber((double)c.warnings), &oom);
        jadd(sum, "notes", cJSON_CreateNumber((double)c.notes), &oom);
        jadd(sum, "suppressed", cJSON_CreateNumber((double)c.suppressed), &oom);
    }

    int rc = -1;
    if (!oom && sarif_put_json(out, root) == 0) rc = sarif_finish(out);
    cJSON_Delete(root);
    return rc;
}

const report_writer cml_format_json = {"json", "findings and facts as JSON, for scripts", write_json, false};

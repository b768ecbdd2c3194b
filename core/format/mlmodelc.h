/* SPDX-License-Identifier: Apache-2.0 */
/* mlmodelc.h — reading a compiled model folder (.mlmodelc).
 *
 * A compiled ML Program has no Model protobuf: its program is model.mil text
 * and its description lives in metadata.json. This module parses both into
 * the same protobuf-c structures the .mlmodel path decodes (a cmlpb Model
 * whose mlProgram is filled from model.mil), so a single IR builder serves
 * every container. Each parsed op, function and value keeps its model.mil
 * line and column in a side table for locations. coremldata.bin is read
 * where its layout is recognised: the model kind, specification version and
 * ModelDescription (interface and metadata) of any compiled model, or the
 * whole Model of a stage compiled as "spec". An NN-compiled folder
 * (model.espresso.net/.shape/.weights, no model.mil) is recognised and its
 * layer list read; what cannot be read is flagged unknown (CML_UNKNOWN_*),
 * never reported missing. Internal to core/. */
#ifndef CML_MLMODELC_H
#define CML_MLMODELC_H

#include <stdint.h>

#include "format/arena.h"
#include "format/diag.h"
#include "Model.pb-c.h"

/* Position of a parsed MIL object in model.mil; key is the address of the
 * protobuf-c struct built for it (Cmlpb__Mil__Operation, __Function,
 * __NamedValueType). */
typedef struct mil_pos {
    const void *key;
    uint32_t line, col;
} mil_pos;

typedef struct mil_postab {
    size_t n, cap;
    mil_pos *items;   /* arena-owned, in parse order */
    /* lookup index rebuilt by each successful miltext_parse: a copy of
     * items sorted by key (used by miltext_pos while n_sorted == n) */
    mil_pos *sorted;
    size_t n_sorted;
} mil_postab;

/* Parse model.mil text (len bytes, need not be NUL-terminated) into a new
 * Program. artifact names the file in diagnostics ("model.mil"). Syntax
 * errors become load/mil-structure diags with line:col; returns NULL if
 * nothing usable could be parsed. Nesting depth and counts are bounded. */
Cmlpb__Mil__Program *miltext_parse(const char *text, size_t len, const char *artifact, arena *a,
                                   mil_postab *pos, diag_list *dl);

/* Look up the position recorded for a parsed object (0,0 if none). */
mil_pos miltext_pos(const mil_postab *pos, const void *key);

/* What a compiled folder holds. */
typedef struct mlmodelc_info {
    int is_mlprogram;            /* model.mil present */
    int is_espresso;             /* model.espresso.net present (NN compiled) */
    const char *compiler_version;/* buildInfo coremlc-version, or NULL */
    const char *metadata_json;   /* artifact name if read */
    size_t n_sub_models;         /* nested *.mlmodelc sub-folders (pipelines) */
    const char **sub_model_dirs; /* absolute paths, sorted */
    const char **sub_model_names;/* the same order: each folder's name as listed (a link's own name) */
    /* espresso: layer types read from model.espresso.net */
    size_t n_espresso_layers;
    const char **espresso_layer_types;
    const char **espresso_layer_names;
    /* metadata.json "availability" */
    const char *avail_ios, *avail_macos, *avail_tvos, *avail_watchos, *avail_visionos;
    /* coremldata.bin, when its layout was recognised (see cdb_read) */
    int cdb_decoded;
    uint32_t cdb_type;           /* Model.Type field number */
    int32_t cdb_spec;            /* specification version */
    const char *cdb_kind;        /* compiler descriptor ("generic", "spec", ...) */
    Cmlpb__ModelDescription *cdb_description; /* "generic" and similar kinds */
    Cmlpb__Model *cdb_model;     /* kind "spec": the whole model */
    const char *spec_source;     /* file the description came from, or NULL */
    uint32_t unknown;            /* CML_UNKNOWN_* facts the folder does not let us read */
} mlmodelc_info;

/* Read dir (an .mlmodelc folder) into *out (a Model built in the arena:
 * specificationVersion, description (inputs/outputs/states/metadata/
 * functions) from metadata.json, mlProgram from model.mil). Problems go to
 * dl as load/... diags with artifact paths relative to dir. Returns 0 when a
 * model (possibly partial) was produced, -1 when the folder is unusable. */
int mlmodelc_read(const char *dir, arena *a, Cmlpb__Model **out, mil_postab *pos,
                  mlmodelc_info *info, diag_list *dl);
/* The same for a folder nested in a compiled pipeline: rel ("model0/") is
 * its path below the top folder, prefixed to every diag's artifact. */
int mlmodelc_read_at(const char *dir, const char *rel, arena *a, Cmlpb__Model **out, mil_postab *pos,
                     mlmodelc_info *info, diag_list *dl);

/* Whether a compiled model's sub-folder of this name is a part of it
 * (analytics, model, weights, ...), not a nested model. */
int mlmodelc_is_part_folder(const char *name);

#endif

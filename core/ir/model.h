/* SPDX-License-Identifier: Apache-2.0 */
/* model.h — the host's private view of a loaded model.
 *
 * The public cml_model (ir.h) is what rules see; lmodel owns everything
 * behind it: the arena every node lives in, the mapped spec file, the weight
 * files (mapped once, shared by every function and sub-model that points at
 * them), the load problems and the model.mil position table. The public
 * structs that carry private data (weights, weight files) embed the public
 * part as their first member so the host can get back to its own. */
#ifndef CML_MODEL_H
#define CML_MODEL_H

#include "format/arena.h"
#include "format/blob.h"
#include "coreml-lint/ir.h"
#include "format/diag.h"
#include "format/fsutil.h"
#include "format/mlmodelc.h"
#include "Model.pb-c.h"

#define IR_MAX_DEPTH 32          /* pipelines in pipelines, nested blocks */
#define IR_MAX_WEIGHT_FILES 256
#define IR_MAX_COMPILED_STAGES 128u   /* compiled stages read per model, all levels together (load.c) */

typedef struct wfile {
    cml_weight_file pub;         /* must stay first */
    char *abs_path;
    blob_file bf;
    int mapped;
} wfile;

typedef enum istore {
    ISTORE_RAW = 0,              /* bytes as the dtype lays them out (LE) */
    ISTORE_F32,                  /* protobuf repeated float */
    ISTORE_I32,                  /* protobuf repeated int32 (int16/uint16/int32) */
    ISTORE_I64,                  /* protobuf repeated int64 */
    ISTORE_F64,                  /* protobuf repeated double */
    ISTORE_BOOL,                 /* protobuf repeated bool (protobuf_c_boolean) */
    ISTORE_STR                   /* protobuf repeated string */
} istore;

typedef struct iweight {
    cml_weight pub;              /* must stay first */
    const unsigned char *inline_data;   /* CML_STORE_INLINE */
    istore stored_as;
    const char *const *strings;  /* ISTORE_STR */
    blob_meta *meta;             /* CML_STORE_BLOB */
    unsigned char stats_state;   /* ir_weight_stats: 0 not yet, 1 stats holds them, 2 unavailable,
                                    3 queued (inside ir_weight_stats_all) */
    cml_weight_stats stats;
} iweight;

typedef struct lmodel {
    cml_model *model;            /* the root of the public IR */
    arena *a;
    diag_list diags;
    char *root;                  /* the path the user gave, without trailing '/' */
    char *root_real;             /* a folder model: its realpath, which every file read
                                    must stay inside (fs_inside); NULL for a file */
    fs_map spec_map;             /* the .mlmodel / model.mlmodel while it is decoded */
    size_t n_wfiles;
    wfile *wfiles[IR_MAX_WEIGHT_FILES];
    mil_postab pos;              /* model.mil positions (compiled models) */
    const char *stage_dirs[IR_MAX_COMPILED_STAGES];   /* the real paths of the compiled stage folders read */
    size_t n_stage_dirs;
    mlmodelc_info cinfo;
    const char *overlay_path;    /* a package's Metadata.json item (read_manifest), or NULL */
    /* nothing could be read: model is an empty stand-in that carries the
     * load problems; only the load/... rules look at it */
    bool unreadable;
    bool wfiles_full_said;       /* the IR_MAX_WEIGHT_FILES error was given */
    cml_model stand_in;          /* the empty model when even that does not fit the arena */
} lmodel;

/* Load options. */
typedef struct load_opts {
    size_t arena_cap;            /* 0 = default: 64 x spec size + 256 MiB */
} load_opts;

/* Load any container. Never returns NULL unless memory for the lmodel
 * itself cannot be had; problems are diags on the model. */
lmodel *loader_load(const char *path, const load_opts *opts);
void loader_free(lmodel *lm);

/* Build the IR of one decoded Model (recursive for pipelines).
 * artifact: the spec file relative to lm->root ("" for a plain .mlmodel);
 * desc_artifact: the file the description (interface, metadata,
 * specification version) came from, where the model and its features are
 * located, when it is not artifact (a compiled ML Program's coremldata.bin
 * or metadata.json beside its model.mil), else NULL; model_dir: the folder
 * @model_path refers to; logical: prefix for sub-models ("pipeline[1]") or
 * NULL. */
cml_model *ir_build(lmodel *lm, const Cmlpb__Model *pb, const char *artifact, const char *desc_artifact,
                    const char *model_dir, const char *logical, int depth, const cml_model *parent);

/* (Re)build a pipeline's chained function (cml_model.classic) from the
 * sub-models attached to it after ir_build (compiled pipelines). */
void ir_build_pipeline_fn(lmodel *lm, cml_model *m, const char *artifact, const char *logical);

/* Passes run after building. */
void ir_pass_compression(lmodel *lm, cml_model *m);
void ir_pass_nn_shapes(lmodel *lm, cml_model *m);
/* Per-op compute-unit estimate (op->estimate), see ir_compute.c. */
void ir_pass_compute(lmodel *lm, cml_model *m);
void ir_pass_opcheck(lmodel *lm, cml_model *m); /* op types vs opsets: load/unknown-op */
/* Percentage of compute ops (not const/constexpr) estimated on the Neural
 * Engine, over every function and sub-model; -1 when there are none. */
double ir_ane_op_coverage_pct(const cml_model *m);
/* The same, with the reason when it is not known (-1): part of the model is
 * one of Apple's built-in models or a custom/linked/serialized one, or a
 * compiled graph coreml-lint cannot read, or there are no compute ops. */
double ir_ane_op_coverage(const cml_model *m, const char **why);


/* Bounded read of a weight's stored bytes (host side). */
size_t ir_weight_read(const cml_weight *w, uint64_t off, void *buf, size_t n);
const void *ir_weight_data(const cml_weight *w);

/* Lookups used by passes and rules. */
const cml_attr *ir_op_attr(const cml_op *op, const char *name);
const cml_arg *ir_op_input(const cml_op *op, const char *name);
/* A parameter by name: MIL input binding (first value) or attribute VALUE. */
const cml_value *ir_op_param(const cml_op *op, const char *name);

#endif

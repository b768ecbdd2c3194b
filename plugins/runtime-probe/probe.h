/* SPDX-License-Identifier: Apache-2.0 */
/* probe.h — what the runtime probe's source files share (not installed).
 *
 * The probe plugin (probe.c) runs a model once per set of execution options
 * and caches the measurements; each probe rule then judges its part
 * against its own options. The run happens in a forked child
 * (probe_child.c) that writes a probe_result into a shared anonymous
 * mapping made before the fork: the child inherits the IR (copy-on-write),
 * so op pointers it stores there are valid in the parent, and whatever it
 * wrote before crashing or being killed (its stage and the op it was
 * running) is still there to explain the crash or time-out. Input files and
 * saved outputs are .f32/.npy (probe_io.c). Module prefix: probe_ (prb_ for
 * file-local helpers). */
#ifndef CML_PROBE_H
#define CML_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coreml-lint/plugin.h"
#include "coreml_backend.h"
#include "exec/exec.h"

#define PROBE_MAX_LIST 8            /* ops listed per finding (overflow, divergence, slowest) */
#define PROBE_MAX_UNSUPPORTED 32
#define PROBE_NAME 128
#define PROBE_MSG 1024
#define PROBE_SAMPLES 1024          /* values sampled per op output for per-op divergence */

/* ---- options (read from the rule's ctx) ------------------------------------ */

/* What changes a run (part of the cache key); thresholds are read per rule
 * at report time. */
typedef struct probe_opts {
    int threads;                    /* executor threads (exec_opts.threads), 0 = the CPUs online */
    int runs;                       /* timed predictions per mode */
    uint64_t seed;                  /* generated inputs */
    double timeout_s;               /* wall clock of the child */
    int64_t memory_limit_mb;        /* 0 = none */
    char function[PROBE_NAME];      /* "" = the default function */
    size_t n_inputs;
    char **inputs;                  /* n_inputs "name=file" (owned: probe_opts_clear) */
    char save_outputs[4096];        /* "" = none */
    char compare_to[4096];          /* baseline model path, "" = none */
    char test_hook[16];             /* "", "crash", "hang", "oom" (tests only) */
    bool coreml;                    /* run Core ML itself where the host has it */
} probe_opts;

/* ---- what a run measured ----------------------------------------------------- */

typedef enum probe_status {
    PROBE_NOT_RUN = 0,
    PROBE_OK,                       /* both modes ran */
    PROBE_UNSUPPORTED,              /* the executor refused the model or ops */
    PROBE_SKIPPED,                  /* nothing to run (no function, load errors) */
    PROBE_INPUT_ERROR,              /* a --input file or name was wrong (a usage error) */
    PROBE_RUN_ERROR,                /* exec_run failed (a message says why) */
    PROBE_CRASH,                    /* the child died of a signal */
    PROBE_TIMEOUT,                  /* killed at the time limit */
    PROBE_OOM                       /* allocation failed / over the memory limit */
} probe_status;

typedef enum probe_stage {
    STAGE_START = 0,
    STAGE_INPUTS,
    STAGE_PREPARE,
    STAGE_RUN_FP32,
    STAGE_RUN_FP16,
    STAGE_RUN_TYPED,
    STAGE_BASELINE,
    STAGE_COREML,
    STAGE_DONE
} probe_stage;

/* What Core ML computes the probed function in, which decides whether the
 * fp16 emulation stands for a device.
 * SOURCE: apple/coremltools docs-guides/source/typed-execution.md (an ML
 * Program runs each op in its typed precision: "a float 32 typed model will
 * only ever run with float 32 precision", whatever the compute units);
 * NeuralNetwork models are untyped and computed in fp16 on the GPU and
 * Neural Engine (rules-knowledge P2). */
typedef enum probe_prec {
    PROBE_PREC_FP16 = 0,            /* a NeuralNetwork, or a program whose compute ops are typed fp16 */
    PROBE_PREC_MIXED,               /* a program (or pipeline) with fp16- and fp32-typed compute */
    PROBE_PREC_FP32,                /* programs typed fp32 throughout: fp32 on every compute unit */
    PROBE_PREC_FP64                 /* classic models only: double on the CPU */
} probe_prec;

typedef struct probe_op_ref {
    const cml_op *op;               /* valid in the parent (same IR, forked) */
    double a, b;                    /* meaning depends on the list */
    uint64_t count;
} probe_op_ref;

typedef struct probe_output {
    char name[PROBE_NAME];
    uint64_t n;                     /* float values compared */
    bool is_float;
    bool random;                    /* depends on a random_* op: the fp16 and fp32 runs (and Core ML)
                                       need not draw alike, so no divergence is judged */
    /* a classifier's label output: the predicted class in each mode */
    bool is_label;
    int64_t class32, class16;       /* class indices */
    char label32[PROBE_NAME], label16[PROBE_NAME]; /* string labels ("" for int64 labels) */
    uint64_t nan32, inf32, nan16, inf16;
    double max_ref;                 /* max |fp32| (finite) */
    double linf, rmse, max_rel;     /* fp16 emulation vs fp32 (absolute) */
    bool typed;                     /* mixed-precision program: its own precision vs fp32 */
    double typed_linf, typed_rmse;
    /* compare: the probed model (B) vs the baseline (A) */
    bool cmp_matched;
    char cmp_name[PROBE_NAME];      /* A's output it was matched with */
    double cmp_max_ref, cmp_linf, cmp_rmse, cmp_max_rel;
    /* probe/constant-output: fp32 outputs for inputs of other seeds */
    int other_seeds;                /* runs on other generated inputs that completed */
    bool constant;                  /* float output bitwise the same in every one */
    bool uniform;                   /* ... and every element the same value */
    float first_value;              /* its first element */
} probe_output;

typedef struct probe_result {
    volatile int stage;             /* probe_stage, updated as the child goes */
    const cml_op *volatile current_op; /* the op the child is running */
    volatile int complete;          /* the child finished writing */
    probe_status status;
    int precision;                  /* probe_prec of the probed function (pipelines: of their stages) */
    char message[PROBE_MSG];        /* error / unsupported reason */
    /* unsupported ops (with status ok: the pipeline stages a partial run
     * replaced by generated values) */
    bool partial;
    size_t n_unsupported;
    probe_op_ref unsupported[PROBE_MAX_UNSUPPORTED];
    char unsupported_why[PROBE_MAX_UNSUPPORTED][192];
    /* outputs: as many as the model has (in the child, room for
     * cap_outputs in the memory shared with the parent) */
    size_t n_outputs, cap_outputs;
    probe_output *outputs;
    /* first op with a NaN/Inf output, per mode */
    probe_op_ref first_nonfinite32, first_nonfinite16;
    /* the fp32 outputs were finite when the generated float inputs were
     * made non-negative: the NaN/Inf came from their sign */
    bool nonfinite_sign;
    /* fp16 overflow: ops with |x| > 65504 before rounding (a = max |x|, count) */
    size_t n_overflow_ops;
    probe_op_ref overflow[PROBE_MAX_LIST];
    /* per-op fp16 divergence: a = relative error of the op, b = growth over its inputs */
    size_t n_div_ops;
    probe_op_ref div_ops[PROBE_MAX_LIST];
    /* compare */
    bool compared;
    char cmp_error[PROBE_MSG];      /* the baseline could not be run */
    char cmp_precision[32];         /* "compressed", "fp16", "fp32": B's thresholds */
    size_t n_cmp_shared_ops;
    size_t n_cmp_ops;
    probe_op_ref cmp_ops[PROBE_MAX_LIST];
    /* memory */
    double rss_start_mb, rss_peak_mb; /* the child's (peak from wait4 in the parent) */
    double mem_growth_mb;
    char save_error[PROBE_MSG];     /* --save-outputs failed: why */
    bool oom_hint;                  /* a memory limit was in force (a crash may be an allocation failure) */
    /* the figures JSON the child wrote (the parent adds rss_peak and status;
     * it comes through the pipe, of any length; NULL when none) */
    char *figures;
} probe_result;

/* A linkedModel op of the probed model and the model its file names, loaded
 * through the host before the run (NULL, with why, when it was not found). */
typedef struct probe_link {
    const cml_op *op;
    const cml_model *model;
    char why[512];
} probe_link;
/* The models loaded for links, each file once (by its real path), and the
 * models whose links were listed (each once); tries counts the candidate
 * files looked at, against PROBE_LINK_TRIES. */
typedef struct prb_linked {
    char *real;
    const cml_model *model;
    char why[512];
} prb_linked;
typedef struct prb_linkset {
    probe_link *l;
    size_t n, cap;
    prb_linked *files;
    size_t n_files, cap_files;
    const cml_model **walked;   /* in the order met, breadth first */
    int *walk_depth;             /* walked[i]'s depth */
    size_t n_walked, cap_walked;
    size_t tries;
} prb_linkset;
#define PROBE_LINK_FILES 64     /* linked model files loaded for one probed model */
#define PROBE_LINK_TRIES 4096   /* candidate paths looked at for one probed model */

/* ---- probe_child.c ------------------------------------------------------------- */

/* Frees what a result owns (outputs, figures) and zeroes it. */
void probe_result_clear(probe_result *r);
void probe_opts_clear(probe_opts *o);

/* Run the probe of m (function opts->function) in a forked child, filling
 * *res. baseline (may be NULL) is the model to compare with. io reads
 * weights through the host (and resolves linked models). Always returns with res->status set (a crash,
 * time-out or out-of-memory becomes that status). */
void probe_run(const cml_model *m, const cml_model *baseline, const probe_opts *opts, const exec_io *io,
               const char *model_path, probe_result *res);

/* ---- probe_io.c ------------------------------------------------------------------ */

/* A float32 array read from `path`: raw little-endian float32 (.f32) or
 * NumPy .npy (v1-v3 headers; '<f4', '<f2', '<f8', '<i1'..'<i8', '|u1',
 * '<u2'..'<u8', '|b1', each also big-endian ('>'); C order, a 0-d array as
 * one value). *rank/dims from the .npy header (rank -1 for .f32). With
 * wide, also *wide: the same values as doubles, exactly as the file holds
 * them (a '<f8' value unrounded; an int64 past 2^53 is refused), malloc'd,
 * for an input that keeps them exact. Returns a malloc'd array of *n
 * values, or NULL with a message in err naming the file and what is
 * wrong. */
float *probe_read_array(const char *path, size_t *n, int *rank, int64_t *dims, double **wide, char *err,
                        size_t errlen);

/* The folder --save-outputs names, created when missing and opened
 * (never through a symbolic link, which a checkout could plant): a
 * descriptor for the writers below, or -1 with err. */
int probe_save_dir_open(const char *dir, char *err, size_t errlen);

/* Write a .npy file (C order) named path in the folder dirfd (AT_FDCWD:
 * the working folder): float64 ('<f8') of data64 when it is not NULL,
 * else float32 ('<f4') of data. 0, or -1 with err. */
int probe_write_npy(int dirfd, const char *path, const float *data, const double *data64, int rank,
                    const int64_t *dims, char *err, size_t errlen);

/* The lines of a text file: a string input (.txt, one value per line) or,
 * with values, a dictionary (.tsv, KEY<TAB>NUMBER per line, the numbers
 * as doubles, as Core ML's dictionaries hold them): a malloc'd
 * block of *n pointers into its own copy of the text (free the block; and
 * *values). Every line is a value: an empty line is the empty string, a
 * last line without a newline counts, a '\r' before the '\n' is dropped.
 * The escapes \\ \n \t \r and \xNN in a value stand for those bytes
 * (\x00 is refused). NULL with a message in err. */
char **probe_read_lines(const char *path, size_t *n, double **values, char *err, size_t errlen);

/* Write strings (values and values64 NULL) or KEY<TAB>VALUE lines (the
 * doubles of values64 when it is not NULL, each in the shortest form that
 * reads back the same, else values), escaped as probe_read_lines reads
 * them, to path in the folder dirfd. 0, or -1 with err. */
int probe_write_lines(int dirfd, const char *path, const char *const *keys, const float *values,
                      const double *values64, size_t n, char *err, size_t errlen);

/* A file name from an output name: [A-Za-z0-9._-] kept, others '_'. */
void probe_safe_name(const char *name, char *out, size_t cap);

#endif

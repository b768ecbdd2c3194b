/* SPDX-License-Identifier: Apache-2.0 */
/* load_rules.c — the builtin engine: the load/... rules. The loader never
 * prints; whatever it cannot read becomes a cml_diag on the model carrying
 * one of these rule ids (core/format/diag.h). Each rule here owns one id, carries
 * the documentation users see in `coreml-lint rules` and SARIF, and its
 * check turns the model's diags with that id into findings: the diag's
 * level is the finding's level unless the config sets a level for the rule
 * (ctx_report applies that). A model that cannot be loaded is therefore an
 * ordinary result, reported with its location, never a tool error.
 * SOURCE for the catalogue: shared/research/rules-knowledge.md §5.3, §2.6–2.8. */
#include <stdlib.h>
#include <string.h>

#include "host/ctx.h"
#include "host/engines.h"
#include "host/util.h"

static int builtin_check(host_rule *r, const cml_model *m, rule_ctx *ctx) {
    for (size_t i = 0; m && i < m->n_diags; i++) {
        const cml_diag *d = m->diags[i];
        if (!d || !d->rule_id || strcmp(d->rule_id, r->id) != 0) continue;
        report_args a = {.level = d->level >= LEVEL_NOTE && d->level <= LEVEL_ERROR ? d->level : LEVEL_ERROR,
                         .message = d->message && *d->message ? d->message : "the model cannot be loaded",
                         .at = &d->loc};
        ctx_report(ctx, &a);
    }
    return 0;
}

static const engine builtin_engine = {"builtin", builtin_check, NULL, true};

typedef struct load_rule_def {
    const char *id, *name, *summary;
    int level;
    const char *tags;     /* comma-separated */
    const char *help;
} load_rule_def;

#define FIX_REEXPORT                                                                                \
    "Re-export the model with coremltools (`model.save(\"Model.mlpackage\")`) and ship the package " \
    "as written; never edit files inside a model by hand."

static const load_rule_def DEFS[] = {
    {"load/protobuf-corrupt", "ProtobufCorrupt",
     "The model file is not a readable Core ML protobuf (empty, truncated, wrong wire types or too deep).",
     LEVEL_ERROR, "load,format",
     "**Why it matters.** An `.mlmodel` file (and `Data/com.apple.CoreML/model.mlmodel` inside an `.mlpackage`) "
     "is a serialized `CoreML.Specification.Model` protobuf. If it cannot be decoded, Xcode cannot compile it "
     "and `MLModel` refuses to load it at run time — the app ships a model that never works.\n\n"
     "**What is checked.** The file opens and is not empty; protobuf-c decodes it against the Core ML schema; "
     "field wire types match the schema; nesting stays within the depth limit; decoding fits the memory cap. "
     "The message names the byte offset and the message path where decoding stopped.\n\n"
     "**Example.** A model copied with a text-mode transfer, truncated by a failed download, or a Git LFS "
     "pointer file checked in instead of the model:\n\n"
     "```\nModels/Classifier.mlmodel: error: not a valid Core ML model protobuf: truncated varint at byte 1843\n```\n\n"
     "**Fix.** " FIX_REEXPORT " With Git LFS, run `git lfs pull` so the real file replaces the pointer.\n\n"
     "**Sources.** apple/coremltools `mlmodel/format/Model.proto`; rules-knowledge §2.1, §5.3."},
    {"load/spec-version", "SpecVersion",
     "The specification version is missing, corrupt, or newer than the newest this tool knows.", LEVEL_ERROR,
     "load,version",
     "**Why it matters.** `specificationVersion` tells Core ML which format features the model may use. "
     "A value of 0 means the field is missing or corrupt and Core ML rejects the model "
     "(\"Model specification version field missing or corrupt.\"). A value above the newest known version "
     "(10, iOS 26 / macOS 26) means the model was written for a newer OS than this tool (and possibly than "
     "your Xcode) understands: \"The model supplied is of version N, intended for a newer version of Xcode\".\n\n"
     "**Levels.** A missing or corrupt version is an error; a version newer than known is a warning, since "
     "the analysis of newer features may be incomplete.\n\n"
     "**Fix.** Re-export with coremltools and a `minimum_deployment_target` your apps support; update "
     "coreml-lint when Apple ships a newer specification version.\n\n"
     "**Sources.** apple/coremltools `mlmodel/src/Model.cpp:64-84`, `mlmodel/src/Globals.hpp`; "
     "rules-knowledge §1.1, §5.3."},
    {"load/package-manifest", "PackageManifest",
     "The .mlpackage Manifest.json is missing or invalid, or the folder is not a model package.", LEVEL_ERROR,
     "load,mlpackage",
     "**Why it matters.** Core ML opens an `.mlpackage` through its `Manifest.json`: `fileFormatVersion` "
     "(\"1.0.0\"), `itemInfoEntries` (each with `path`, `name`, `author`, `description`) and "
     "`rootModelIdentifier`, which names the entry of the root `model.mlmodel`. A package whose manifest is "
     "missing, unparsable, of an unsupported version, or pointing at files that do not exist cannot be "
     "opened (\"A valid manifest does not exist at path\", \"Failed to look up root model\").\n\n"
     "**Example.** A package zipped without its `Manifest.json`, or a manifest edited by a merge tool:\n\n"
     "```\nModels/Detector.mlpackage/Manifest.json:4: error: rootModelIdentifier 'A1B2' names no entry of itemInfoEntries\n```\n\n"
     "A package's Xcode metadata overlay (the manifest's `Metadata.json` item) that is larger than 1 MiB, "
     "nests too deep or is not a JSON object is a warning: the spec's own metadata still stands.\n\n"
     "**Fix.** " FIX_REEXPORT " Copy `.mlpackage` folders as a whole (including `Manifest.json`).\n\n"
     "**Sources.** apple/coremltools `modelpackage/src/ModelPackage.cpp:195-315`; rules-knowledge §2.7."},
    {"load/mlprogram-without-weights", "MLProgramWithoutWeights",
     "An ML Program references weight files that are not shipped with it (e.g. saved as a plain .mlmodel).",
     LEVEL_ERROR, "load,mlprogram,weights",
     "**Why it matters.** An ML Program keeps its large weights outside the protobuf, in "
     "`weights/weight.bin` next to the spec. Saved as a single `.mlmodel` file, those weights are lost and "
     "the model cannot be loaded: coremltools says \"MLModel of type mlProgram cannot be loaded just from "
     "the model spec object\".\n\n"
     "**Fix.** Save ML Programs as model packages: `model.save(\"Model.mlpackage\")`, and add the whole "
     "package to the app.\n\n"
     "**Sources.** apple/coremltools `coremltools/models/model.py:537-541`; "
     "`docs-guides/source/convert-to-ml-program.md` (\"Save ML Programs as Model Packages\"); "
     "rules-knowledge §2.1, §5.3."},
    {"load/missing-weight-file", "MissingWeightFile",
     "A weight file the program points at (@model_path/weights/...) is absent or unreadable.", LEVEL_ERROR,
     "load,weights",
     "**Why it matters.** Every `BlobFileValue` in an ML Program names a file relative to `@model_path` "
     "(the folder of the root `model.mlmodel` in an `.mlpackage`, the `.mlmodelc` folder when compiled). "
     "If that file is missing, Core ML fails at load time with `Could not open …/weights/weight.bin`. A "
     "NeuralNetwork compiled for espresso keeps its layers' weights in the file `model.espresso.net` names "
     "as its `storage` (`model.espresso.weights`); it is reported when a layer reads blobs from it "
     "(`blob_weights`, `blob_biases`) and the file is not in the folder.\n\n"
     "**Example.** A package checked in without `Data/com.apple.CoreML/weights/` because of a `.gitignore` "
     "rule for `*.bin`.\n\n"
     "**Fix.** Keep `Data/com.apple.CoreML/weights/` with the package (check ignore rules and Git LFS), or "
     "re-export the model.\n\n"
     "**Sources.** apple/coremltools `coremltools/converters/mil/backend/mil/load.py:145-150`; "
     "apple/ml-stable-diffusion#5; rules-knowledge §2.6, §5.3."},
    {"load/weight-blob", "WeightBlob",
     "A weight blob file or a blob the program references is malformed (header, sentinel, dtype, bounds, padding).",
     LEVEL_ERROR, "load,weights",
     "**Why it matters.** `weight.bin` has a fixed layout: a 64-byte header (`count`, `version` = 2) and, per "
     "blob, a 64-byte metadata record (sentinel `0xDEADBEEF`, dtype, size, data offset, padding bits) "
     "followed by the data, everything 64-byte aligned. Core ML's reader rejects a file or blob that breaks "
     "it: \"Storage Reader expects file format version 2.\", \"Invalid sentinel in blob_metadata.\", "
     "\"Metadata data type does not match requested type.\", \"index out of bounds\", "
     "\"Invalid padding for blob\".\n\n"
     "**What is checked.** Header size and version; every referenced offset lies inside the file and is "
     "64-aligned; sentinel; known dtype that matches the value's declared dtype; non-zero size inside the "
     "file; sub-byte padding; element count against the declared shape. The finding carries the byte "
     "range of the bad record. Values stored inline in the program (in `model.mil` or the model's "
     "protobuf) must be as many as their declared shape holds too (coremltools' own loader reshapes them "
     "to it); that finding points at the op.\n\n"
     "**Fix.** Never edit `weight.bin` by hand; re-export the model with coremltools. If the file was "
     "truncated in transfer, restore it.\n\n"
     "**Sources.** apple/coremltools `mlmodel/src/MILBlob/Blob/StorageFormat.hpp`, `StorageReader.cpp`, "
     "`Util/Span.hpp`, `coremltools/converters/mil/frontend/milproto/load.py` (`_load_value`); "
     "rules-knowledge §2.6, §5.3."},
    {"load/weight-blob-unreferenced", "WeightBlobUnreferenced",
     "The weight file holds blobs the program never references (dead bytes shipped in the app).", LEVEL_NOTE,
     "load,weights,size",
     "**Why it matters.** Blobs in `weight.bin` that no op points at still ship in the app bundle and are "
     "mapped at load time, but never used — usually left over from editing a model's program without "
     "rewriting its weights. The header's `count` may also disagree with the blobs actually present.\n\n"
     "**Example.** A converted model whose graph was pruned with a spec-level edit, keeping the old "
     "`weight.bin`.\n\n"
     "**Fix.** Re-save the model with coremltools (`ct.models.MLModel(spec, weights_dir=...)` then "
     "`save`), which rewrites `weight.bin` with referenced blobs only.\n\n"
     "**Sources.** apple/coremltools `StorageReader.cpp` (`GetAllOffsets`); rules-knowledge §2.6, §5.3."},
    {"load/interface-invalid", "InterfaceInvalid",
     "The model description (inputs, outputs, states, shapes) breaks Core ML's interface validation.",
     LEVEL_ERROR, "load,interface",
     "**Why it matters.** Core ML validates the model description before loading: feature names are "
     "non-empty, every feature has a type, multiarray data types are DOUBLE/FLOAT32/FLOAT16/INT32 (INT8 "
     "from spec 10), enumerated shapes are non-empty, ranges are ordered and contain the default shape, "
     "image sizes are positive with a valid color space, states are FLOAT16/INT8 arrays with a fixed shape "
     "(spec ≥ 9), and a model has at least one output. A model failing any of these is rejected at "
     "compile or load time.\n\n"
     "**Example.**\n\n```\nerror: output 'logits' has an enumerated shape list that is empty\n```\n\n"
     "**Fix.** Correct the input/output types when converting (`ct.TensorType`, `ct.ImageType`, "
     "`ct.EnumeratedShapes`, `ct.RangeDim`) and re-export.\n\n"
     "**Sources.** apple/coremltools `mlmodel/src/Validation/InterfaceValidators.cpp`; "
     "`mlmodel/format/FeatureTypes.proto`; rules-knowledge §2.3, §5.3."},
    {"load/mil-structure", "MILStructure",
     "The ML Program's structure is invalid (opset block missing, undefined or duplicate names, bad identifiers).",
     LEVEL_ERROR, "load,mlprogram",
     "**Why it matters.** An ML Program is SSA: each function has a block specialization for its opset, every "
     "operand names a value defined earlier in scope, output names are unique, block outputs are defined, "
     "identifiers match `[A-Za-z_][A-Za-z0-9_@]*`, and the default function exists. The Core ML runtime "
     "refuses programs that break these rules (\"Error parsing MIL model\").\n\n"
     "**Example.**\n\n```\nerror: op 'conv_3' reads 'x_7', which is not defined before it in main\n```\n\n"
     "**Fix.** Re-convert with coremltools instead of editing the MIL; if a graph pass produced the "
     "program, run `ct.converters.mil` validation before saving.\n\n"
     "**Sources.** apple/coremltools `mlmodel/format/MIL.proto` (comments on Program, Function, Block); "
     "rules-knowledge §2.5, §5.3."},
    {"load/unknown-op", "UnknownOp",
     "An ML Program op type is not defined in its function's opset.", LEVEL_ERROR, "load,mlprogram,ops",
     "**Why it matters.** Each ML Program function declares an opset (`CoreML5` … `CoreML9`); an op that the "
     "opset does not define (a typo, an op from a newer opset, a private op) makes the runtime fail to parse "
     "the program (\"Error parsing MIL model\"). `custom_layer` and `write_state` are the serialized forms "
     "that are allowed besides the registered ops.\n\n"
     "**Example.** `scaled_dot_product_attention` in a function whose opset is `CoreML7` (the op exists from "
     "`CoreML8`, iOS 18).\n\n"
     "**Fix.** Convert with a `minimum_deployment_target` whose opset has the op, or replace the op with a "
     "decomposition available in your target.\n\n"
     "**Sources.** apple/coremltools `coremltools/converters/mil/mil/ops/defs/iOS{15,16,17,18}/`; "
     "apple/coremltools#1704; rules-knowledge §1.4, §5.3."},
    {"load/compiled-by-newer-coremlc", "CompiledByNewerCompiler",
     "The compiled .mlmodelc was built by a Core ML compiler newer than the deployment target's framework.",
     LEVEL_WARNING, "load,compiled,version",
     "**Why it matters.** A compiled `.mlmodelc` records the compiler that built it (`coremlc-version` in "
     "`model.mil` `buildInfo`, and `availability` in `metadata.json`). An older OS refuses a model compiled "
     "by a newer compiler even when its specification version would be fine: \"compiler major version for "
     "compiled model is 9.0.0 and is more recent than this framework major version 8.0.0\".\n\n"
     "**Fix.** Ship the `.mlpackage` and let Xcode compile it for your deployment target, or compile with the "
     "Xcode that matches the oldest OS you support.\n\n"
     "**Sources.** Desert-Ant-Labs/desert-ant-core PR #77 (runtime message); rules-knowledge §1.1, §2.8, §5.3."},
    {"load/compiled-limited", "CompiledLimited",
     "The model is a compiled .mlmodelc: analysis is limited to model.mil and metadata.json.", LEVEL_NOTE,
     "load,compiled",
     "**Why it matters.** A compiled `.mlmodelc` has no Model protobuf: its description lives in a "
     "proprietary `coremldata.bin`, an ML Program in `model.mil` text, a neural network in Espresso files. "
     "coreml-lint reads `model.mil` and `metadata.json`, so some facts (full feature descriptions, "
     "neural-network layer parameters) are unavailable and some rules cannot run.\n\n"
     "**Fix.** Lint the source `.mlpackage` (or `.mlmodel`) instead of the compiled output, or disable this "
     "note for compiled models with a suppression.\n\n"
     "**Sources.** apple/coremltools `docs-guides/source/comparing-ml-programs-and-neural-networks.md:94`; "
     "rules-knowledge §2.8, §5.3."},
};

static char **split_tags(const char *csv, size_t *n) {
    size_t cnt = 1;
    for (const char *p = csv; *p; p++) cnt += *p == ',';
    char **tags = calloc(cnt, sizeof *tags);
    if (!tags) return NULL;
    size_t k = 0;
    const char *s = csv;
    while (k < cnt) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        tags[k] = malloc(len + 1);
        if (!tags[k]) break;
        memcpy(tags[k], s, len);
        tags[k][len] = 0;
        k++;
        if (!e) break;
        s = e + 1;
    }
    *n = k;
    return tags;
}

int load_rules_register(registry *reg) {
    int added = 0;
    for (size_t i = 0; i < sizeof DEFS / sizeof DEFS[0]; i++) {
        const load_rule_def *d = &DEFS[i];
        host_rule *r = rule_new();
        if (!r) break;
        r->id = host_strdup(d->id);
        r->name = host_strdup(d->name);
        r->summary = host_strdup(d->summary);
        r->help_md = host_strdup(d->help);
        r->default_level = d->level;
        r->tags = split_tags(d->tags, &r->n_tags);
        r->precision = host_strdup("very-high");   /* the loader's own facts about the file */
        r->kind = builtin_engine.name;
        r->origin = host_strdup("");
        r->eng = &builtin_engine;
        if (registry_add(reg, r) == 0) added++;
    }
    return added;
}

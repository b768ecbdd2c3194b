#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""inspect_peer.py — the Python peer of `coreml-lint inspect --format json`
for the loader benchmark (bench/run.sh). Not part of the tool.

It does the same job, honestly, with the standard library and
google.protobuf only:
  * read the package's Manifest.json and find the root model item,
  * decode Data/<root item path> (model.mlmodel) with classes generated from
    OUR schema (proto/*.proto, compiled by `protoc --python_out` into a temp
    dir by run.sh; that dir is passed with --pb-dir),
  * read the description (inputs, outputs, states, metadata),
  * walk every function's ops (nested blocks included) into an op
    histogram, and collect the weight.bin offsets that const ops reference,
  * walk weight.bin's 64-byte storage header and every 64-byte blob record
    (struct.unpack_from over an mmap, the way the C reader maps the file),
    validating sentinel, data range, dtype code and element size,
  * print a JSON summary.

Usage: inspect_peer.py --pb-dir DIR [--backend] [--repeat N] MODEL.mlpackage|MODEL.mlmodel
--backend prints google.protobuf's api_implementation.Type() and exits.
--repeat N runs the whole job N times in this process (interpreter start and
imports excluded) and prints "median_ms min_ms N" instead of the JSON.
"""
import json
import mmap
import os
import struct
import sys


def die(msg):
    sys.stderr.write("inspect_peer: %s\n" % msg)
    sys.exit(2)


args = sys.argv[1:]
pb_dir = None
want_backend = False
repeat = 0
paths = []
while args:
    a = args.pop(0)
    if a == "--pb-dir":
        if not args:
            die("--pb-dir needs a directory")
        pb_dir = args.pop(0)
    elif a == "--repeat":
        if not args or not args[0].isdigit() or int(args[0]) < 1:
            die("--repeat needs a positive count")
        repeat = int(args.pop(0))
    elif a == "--backend":
        want_backend = True
    else:
        paths.append(a)
if pb_dir is None:
    die("--pb-dir DIR (the protoc --python_out directory) is required")
sys.path.insert(0, pb_dir)

from google.protobuf.internal import api_implementation  # noqa: E402

if want_backend:
    print(api_implementation.Type())
    sys.exit(0)
if len(paths) != 1:
    die("usage: inspect_peer.py --pb-dir DIR MODEL")

import Model_pb2  # noqa: E402  (generated from proto/Model.proto; imports the rest)
import FeatureTypes_pb2  # noqa: E402

# SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/BlobDataType.hpp — codes 1..17 and bit widths.
DTYPES = {1: ("float16", 16), 2: ("float32", 32), 3: ("uint8", 8), 4: ("int8", 8),
          5: ("bfloat16", 16), 6: ("int16", 16), 7: ("uint16", 16), 8: ("int4", 4),
          9: ("uint1", 1), 10: ("uint2", 2), 11: ("uint4", 4), 12: ("uint3", 3),
          13: ("uint6", 6), 14: ("int32", 32), 15: ("uint32", 32),
          16: ("float8e4m3fn", 8), 17: ("float8e5m2", 8)}
SENTINEL = 0xDEADBEEF
HDR = struct.Struct("<II")                # count, version (+ 7 reserved uint64)
REC = struct.Struct("<IIQQQ")             # sentinel, dtype, size, offset, padding bits (+ 4 reserved)
ARRAY_DT = FeatureTypes_pb2.ArrayFeatureType.ArrayDataType


def feature(fd):
    t = fd.type
    kind = t.WhichOneof("Type") or "invalid"
    o = {"name": fd.name, "type": kind}
    if kind == "multiArrayType":
        o["dtype"] = ARRAY_DT.Name(t.multiArrayType.dataType)
        o["shape"] = list(t.multiArrayType.shape)
    elif kind == "imageType":
        o["width"] = t.imageType.width
        o["height"] = t.imageType.height
    elif kind == "stateType":
        o["dtype"] = ARRAY_DT.Name(t.stateType.arrayType.dataType)
        o["shape"] = list(t.stateType.arrayType.shape)
    return o


def walk_block(block, histo, refs):
    for op in block.operations:
        histo[op.type] = histo.get(op.type, 0) + 1
        if op.type.startswith("const"):
            for val in op.attributes.values():
                if val.WhichOneof("value") == "blobFileValue":
                    refs.add((val.blobFileValue.fileName, val.blobFileValue.offset))
            for arg in op.inputs.values():
                for b in arg.arguments:
                    if b.WhichOneof("binding") == "value" and b.value.WhichOneof("value") == "blobFileValue":
                        refs.add((b.value.blobFileValue.fileName, b.value.blobFileValue.offset))
        for nested in op.blocks:
            walk_block(nested, histo, refs)


def weight_census(path, rel, referenced):
    size = os.path.getsize(path)
    w = {"file": rel, "size_bytes": size, "problems": []}
    if size < 64:
        w["problems"].append("shorter than the 64-byte storage header")
        return w
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        count, version = HDR.unpack_from(mm, 0)
        w["storage_version"] = version
        w["blob_count"] = count
        if version != 2:
            w["problems"].append("storage version %d, expected 2" % version)
            return w
        dtypes, parsed, payload, offsets = {}, 0, 0, set()
        off = 64
        for i in range(count):
            if off > size or size - off < 64:
                w["problems"].append("blob %d: record past end of file" % i)
                break
            sentinel, code, sz, doff, pad = REC.unpack_from(mm, off)
            if sentinel != SENTINEL:
                w["problems"].append("blob %d at %d: bad sentinel 0x%08x" % (i, off, sentinel))
                break
            if doff < off + 64 or doff > size or sz > size - doff:
                w["problems"].append("blob %d at %d: data range outside the file" % (i, off))
                break
            nxt = (doff + sz + 63) & ~63
            dt = DTYPES.get(code)
            ok = dt is not None and sz != 0
            if ok:
                name, bits = dt
                if 8 <= code <= 13:  # sub-byte: padding rules
                    ok = pad < 8 and (bits in (3, 6) or pad % bits == 0) and (sz * 8 - pad) % bits == 0
                else:
                    ok = sz % (bits // 8) == 0
            if ok:
                parsed += 1
                payload += sz
                dtypes[name] = dtypes.get(name, 0) + 1
                offsets.add(off)
            else:
                w["problems"].append("blob %d at %d: invalid record" % (i, off))
            off = nxt
        w["blobs_parsed"] = parsed
        w["blobs_referenced"] = len(offsets & referenced)
        w["blob_dtypes"] = dtypes
        w["blob_payload_bytes"] = payload
    finally:
        mm.close()
    return w


def inspect(path):
    out = {"path": path}
    spec_path, data_dir = path, None
    if os.path.isdir(path):
        out["format"] = "mlpackage"
        with open(os.path.join(path, "Manifest.json"), "rb") as f:
            manifest = json.load(f)
        root = manifest["itemInfoEntries"][manifest["rootModelIdentifier"]]
        data_dir = os.path.join(path, "Data")
        spec_path = os.path.join(data_dir, root["path"])
    else:
        out["format"] = "mlmodel"
    with open(spec_path, "rb") as f:
        raw = f.read()
    m = Model_pb2.Model()
    m.ParseFromString(raw)
    out["model_type"] = m.WhichOneof("Type")
    out["specification_version"] = m.specificationVersion
    d = m.description
    out["inputs"] = [feature(x) for x in d.input]
    out["outputs"] = [feature(x) for x in d.output]
    if len(d.state):
        out["states"] = [feature(x) for x in d.state]
    if len(d.functions):
        out["functions"] = [{"name": fd.name, "inputs": [feature(x) for x in fd.input],
                             "outputs": [feature(x) for x in fd.output],
                             "states": [feature(x) for x in fd.state]} for fd in d.functions]
        out["default_function_name"] = d.defaultFunctionName
    md = d.metadata
    out["metadata"] = {"author": md.author, "license": md.license,
                       "short_description": md.shortDescription, "version": md.versionString,
                       "user_defined": dict(md.userDefined)}
    out["is_updatable"] = m.isUpdatable
    refs = set()
    if out["model_type"] == "mlProgram":
        prog = m.mlProgram
        funcs = {}
        for fname, fn in prog.functions.items():
            histo = {}
            block = fn.block_specializations.get(fn.opset)
            if block is not None:
                walk_block(block, histo, refs)
            funcs[fname] = {"opset": fn.opset, "num_ops": sum(histo.values()),
                            "op_types": dict(sorted(histo.items()))}
        out["mil"] = {"program_version": prog.version, "functions": funcs}
    elif out["model_type"] in ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor"):
        nn = getattr(m, out["model_type"])
        histo = {}
        for layer in nn.layers:
            k = layer.WhichOneof("layer") or "invalid"
            histo[k] = histo.get(k, 0) + 1
        out["neural_network"] = {"num_layers": len(nn.layers), "layer_types": dict(sorted(histo.items()))}
    if data_dir is not None:
        weights = []
        wdir = os.path.join(os.path.dirname(spec_path), "weights")
        if os.path.isdir(wdir):
            for name in sorted(os.listdir(wdir)):
                p = os.path.join(wdir, name)
                if name.endswith(".bin") and os.path.isfile(p):
                    want = {o for (fn, o) in refs if fn.endswith("/" + name) or fn == name}
                    weights.append(weight_census(p, os.path.relpath(p, path), want))
        out["package"] = {"weights": weights}
    out["spec_bytes"] = len(raw)
    return out


if repeat:
    import statistics
    import time
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        json.dumps(inspect(paths[0]), indent=1)
        times.append((time.perf_counter_ns() - t0) / 1e6)
    print("%.2f %.2f %d" % (statistics.median(times), min(times), repeat))
else:
    json.dump(inspect(paths[0]), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")

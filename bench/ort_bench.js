#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// bench/ort_bench.js — ONNX Runtime's CPU execution provider (MLAS kernels)
// as the probe executor's peer (see "Runtime probe against ONNX Runtime" in
// bench/README.md).
//
//   node bench/ort_bench.js MODEL.onnx [--threads T] [--runs N] [--input FILE.f32] [--layers]
//
// Needs onnxruntime-node, installed outside the repository
// (npm install --ignore-scripts onnxruntime-node: its bundled CPU library);
// NODE_PATH or the current folder's node_modules must find it. Session:
// intraOpNumThreads T, interOpNumThreads 1, graph optimisation 'all',
// sequential execution. Input: 1x3x224x224 float32 from FILE (raw
// little-endian), else x[i] = ((i * 7919) % 1000) / 1000 - 0.5. One warm-up
// run, then N timed session.run calls; prints one line of key=value pairs:
// the min / median / max wall ms, the median CPU ms of the process per run
// (user + system of all its threads), the output's sum and the process's
// peak RSS. With --layers, the session profiles its runs (ORT's own profiler)
// and one more line per Conv / Gemm node follows, in the order the nodes
// first ran: `layer OP w=DIMS y=DIMS min_us N` (the weight's and the
// output's dimensions, the node's fastest run); bench/layers.sh pairs them
// with ours.
'use strict';
const fs = require('fs');
let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('bench/ort_bench.js: onnxruntime-node not found (npm install --ignore-scripts onnxruntime-node; set NODE_PATH)');
  process.exit(2);
}

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
  const args = process.argv.slice(2);
  let model = null, threads = 1, runs = 20, input = null, layers = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threads') threads = parseInt(args[++i], 10);
    else if (args[i] === '--runs') runs = parseInt(args[++i], 10);
    else if (args[i] === '--input') input = args[++i];
    else if (args[i] === '--layers') layers = true;
    else model = args[i];
  }
  if (!model || !(threads >= 1) || !(runs >= 1)) {
    console.error('usage: node bench/ort_bench.js MODEL.onnx [--threads T] [--runs N] [--input FILE.f32] [--layers]');
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    /* --layers: ORT's profiler, its file in the temporary folder (read and removed below) */
    ...(layers ? { enableProfiling: true,
      profileFilePrefix: require('path').join(require('os').tmpdir(), `ort_layers_${process.pid}`) } : {}),
  });
  const shape = [1, 3, 224, 224];
  const n = shape.reduce((a, b) => a * b, 1);
  let data;
  if (input) {
    const buf = fs.readFileSync(input);
    if (buf.length !== n * 4) throw new Error(`${input}: ${buf.length} bytes, expected ${n * 4}`);
    data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  } else {
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  let out = await session.run(feeds);
  const wall = [], cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    out = await session.run(feeds);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  }
  const o = out[session.outputNames[0]];
  let sum = 0;
  for (const v of o.data) sum += v;
  console.log(`ort ${ort.env.versions ? ort.env.versions.common : '?'} model ${model} threads ${threads} runs ${runs} ` +
    `min_ms ${Math.min(...wall).toFixed(2)} median_ms ${median(wall).toFixed(2)} max_ms ${Math.max(...wall).toFixed(2)} ` +
    `cpu_median_ms ${median(cpu).toFixed(2)} out_sum ${sum.toPrecision(6)} ` +
    `peak_rss_mb ${(process.resourceUsage().maxRSS / 1024).toFixed(1)}`);
  if (layers) {
    session.endProfiling();
    /* the profile is PREFIX_<date>.json in the temporary folder */
    const os = require('os'), path = require('path');
    const base = `ort_layers_${process.pid}`;
    const found = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(base) && f.endsWith('.json'));
    if (found.length !== 1) throw new Error(`no single ORT profile ${base}*.json in ${os.tmpdir()}`);
    const file = path.join(os.tmpdir(), found[0]);
    const events = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.unlinkSync(file);
    const best = new Map();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args) continue;
      const op = e.args.op_name;
      if (op !== 'Conv' && op !== 'FusedConv' && op !== 'Gemm') continue;
      const shp = (a) => (a && a[0] ? Object.values(a[0])[0].join('x') : '?');
      const w = e.args.input_type_shape && e.args.input_type_shape[1] ? shp([e.args.input_type_shape[1]]) : '?';
      const prev = best.get(e.name);
      if (!prev) best.set(e.name, { op, w, y: shp(e.args.output_type_shape), us: e.dur });
      else if (e.dur < prev.us) prev.us = e.dur;
    }
    for (const v of best.values()) console.log(`layer ${v.op} w=${v.w} y=${v.y} min_us ${v.us}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });

/**
 * mobilenet-ts against the other JavaScript engines, side by side in one run, on the same
 * architectures with the same random weights and the same input:
 * onnxruntime-node (native), onnxruntime-web (its WebAssembly backend, run in Node), TensorFlow.js
 * wasm and cpu backends. MobileNetV1 1.0-224 and V2 1.0-224; batch 1 and 8; 1 and 2 threads.
 * Medians and minimums of ≥ 20 timed runs after warm-up. Outputs are cross-checked.
 *
 *   npm run bench:peers [-- --iters 30 --quick]
 * Each measurement runs in its own process (idle thread pools of one engine must not slow another).
 * Writes bench/results/peers.json (atomically) and prints a markdown table.
 */
import { cpus } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { buildGraph, createSpec, InferenceSession, initWeights, permute, type Graph, type Weights } from '../src/index.js';
import { exportOnnx } from '../src/io/onnx-export.js';
import { serializeOnnxModel } from '../src/io/onnx.js';
import { foldBatchNorm } from '../src/runtime/fold.js';
import { fuseLayers } from '../src/runtime/fuse.js';
import { writeFileAtomic } from '../src/node/fs.js';
import { mulberry32 } from '../src/runtime/weights.js';
import { useNodeRuntime } from '../src/node/runtime.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ITERS = flag('--iters', 20);
const QUICK = args.includes('--quick');
const WARMUP = 10;

interface Row {
  model: string;
  engine: string;
  batch: number;
  threads: number;
  medianMs: number;
  minMs: number;
  imagesPerSecond: number;
  maxAbsDiff?: number;
}

function stats(times: number[]): { median: number; min: number } {
  const s = [...times].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]! };
}

async function time(run: () => Promise<unknown> | unknown): Promise<{ median: number; min: number }> {
  for (let i = 0; i < WARMUP; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < ITERS; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return stats(times);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Our graph as TensorFlow.js fused ops (what tfjs-models' converted graph models run). */
function tfjsModel(graph: Graph, weights: Weights): (x: tf.Tensor4D) => tf.Tensor {
  const folded = foldBatchNorm(graph, weights);
  const fused = fuseLayers(folded.graph);
  const w = (name: string) => folded.weights.get(name)!;
  const t = new Map<string, tf.Tensor>();
  const param = (name: string, shape?: number[]) => {
    if (!t.has(name)) t.set(name, tf.keep(tf.tensor(w(name).data, shape ?? [...w(name).shape]))); // kept across tidy()
    return t.get(name)!;
  };
  return (x) =>
    tf.tidy(() => {
      const values = new Map<string, tf.Tensor>([[graph.input.name, x]]);
      for (const layer of fused.layers) {
        const act = (a: string) => (a === 'linear' ? undefined : (a as 'relu' | 'relu6'));
        if (layer.kind === 'conv' || layer.kind === 'depthwise') {
          const a = layer.node.attrs;
          const input = values.get(layer.input) as tf.Tensor4D;
          const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [a.padding.top, a.padding.bottom], [a.padding.left, a.padding.right], [0, 0]];
          const common = { x: input, strides: [a.stride[0], a.stride[1]] as [number, number], dilations: [a.dilation[0], a.dilation[1]] as [number, number], bias: param(`${layer.name}.bias`), activation: act(layer.activation) };
          const out =
            layer.kind === 'conv'
              ? tf.fused.conv2d({ ...common, filter: param(`${layer.name}.weight`) as tf.Tensor4D, pad: pad as unknown as 'same' })
              : tf.fused.depthwiseConv2d({ ...common, filter: param(`${layer.name}.weight`) as tf.Tensor4D, pad: pad as unknown as 'same' });
          values.set(layer.output, out);
        } else if (layer.kind === 'pointwise') {
          const a = layer.node.attrs;
          const filter = param(`${layer.name}.weight`, [1, 1, a.inChannels, a.outChannels]) as tf.Tensor4D;
          let out: tf.Tensor = tf.fused.conv2d({ x: values.get(layer.input) as tf.Tensor4D, filter, strides: 1, pad: 'valid', bias: param(`${layer.name}.bias`), activation: act(layer.activation) });
          if (layer.residual) out = tf.add(out, values.get(layer.residual)!);
          values.set(layer.output, out);
        } else if (layer.kind === 'pool') {
          values.set(layer.output, tf.mean(values.get(layer.input)!, [1, 2]));
        } else if (layer.kind === 'dense') {
          values.set(layer.output, tf.fused.matMul({ a: values.get(layer.input) as tf.Tensor2D, b: param(`${layer.name}.weight`) as tf.Tensor2D, bias: param(`${layer.name}.bias`) }));
        } else {
          throw new Error(`tfjs bench: unsupported layer ${layer.kind} ${layer.name}`);
        }
      }
      return values.get(fused.tensorOf.get(graph.outputs.logits!)!)!;
    });
}

interface Job {
  model: string;
  label: string;
  engine: 'ours' | 'ort-node' | 'ort-web' | 'tfjs-wasm' | 'tfjs-cpu';
  batch: number;
  threads: number;
  reference: string;
}

/** One measurement, in its own process so that no engine's idle threads disturb another's timing. */
async function child(job: Job): Promise<void> {
  useNodeRuntime();
  const graph = buildGraph(createSpec(job.model));
  const weights = initWeights(graph, { seed: 1, randomBatchNorm: true });
  const random = mulberry32(job.batch);
  const x = Float32Array.from({ length: job.batch * 224 * 224 * 3 }, () => random() * 2 - 1);
  const nchw = permute(x, [job.batch, 224, 224, 3], [0, 3, 1, 2]).data;
  const bytes = readFileSync(job.reference);
  const reference = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let run: () => Promise<unknown> | unknown;
  let out: ArrayLike<number>;
  let name: string;
  let close: () => Promise<void> = async () => undefined;
  if (job.engine === 'ours') {
    const session = await InferenceSession.create(graph, weights, { threads: job.threads });
    name = `mobilenet-ts (wasm)`;
    out = session.run(x).logits!.data;
    run = () => session.run(x);
    close = () => session.release();
  } else if (job.engine === 'ort-node' || job.engine === 'ort-web') {
    const onnx = serializeOnnxModel(exportOnnx(graph, weights));
    if (job.engine === 'ort-node') {
      const s = await ortNode.InferenceSession.create(onnx, { intraOpNumThreads: job.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      const feed = { input: new ortNode.Tensor('float32', nchw, [job.batch, 3, 224, 224]) };
      name = 'onnxruntime-node (native)';
      out = Object.values(await s.run(feed))[0]!.data as Float32Array;
      run = () => s.run(feed);
      close = () => s.release();
    } else {
      ortWeb.env.wasm.numThreads = job.threads;
      const s = await ortWeb.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      const feed = { input: new ortWeb.Tensor('float32', nchw, [job.batch, 3, 224, 224]) };
      name = 'onnxruntime-web (wasm)';
      out = Object.values(await s.run(feed))[0]!.data as Float32Array;
      run = () => s.run(feed);
      close = () => s.release();
    }
  } else {
    await tf.setBackend(job.engine === 'tfjs-wasm' ? 'wasm' : 'cpu');
    await tf.ready();
    const model = tfjsModel(graph, weights);
    const input = tf.tensor4d(x, [job.batch, 224, 224, 3]);
    run = () => {
      const y = model(input);
      const d = y.dataSync();
      y.dispose();
      return d;
    };
    name = `TensorFlow.js ${job.engine === 'tfjs-wasm' ? 'wasm' : 'cpu'}`;
    out = run() as Float32Array;
  }
  const r = await time(run);
  await close();
  const row: Row = { model: job.label, engine: name, batch: job.batch, threads: job.threads, medianMs: r.median, minMs: r.min, imagesPerSecond: (1000 * job.batch) / r.median, maxAbsDiff: maxDiff(out, reference) };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

async function main(): Promise<void> {
  const childIndex = args.indexOf('--child');
  if (childIndex >= 0) return child(JSON.parse(args[childIndex + 1]!) as Job);
  useNodeRuntime();
  const here = dirname(fileURLToPath(import.meta.url));
  const rows: Row[] = [];
  const models: Array<[string, string]> = [['mobilenet_v2_1.0_224', 'MobileNetV2 1.0-224'], ['mobilenet_v1_1.0_224', 'MobileNetV1 1.0-224']];
  const batches = QUICK ? [1] : [1, 8];
  const threadCounts = QUICK ? [1] : [1, 2];
  const tmp = mkdtempSync(join(tmpdir(), 'mobilenet-peers-'));
  for (const [model, label] of models) {
    const graph = buildGraph(createSpec(model));
    const weights = initWeights(graph, { seed: 1, randomBatchNorm: true });
    for (const batch of batches) {
      const random = mulberry32(batch);
      const x = Float32Array.from({ length: batch * 224 * 224 * 3 }, () => random() * 2 - 1);
      const reference = join(tmp, `${model}-${batch}.f32`);
      writeFileSync(reference, (await InferenceSession.create(graph, weights, { backend: 'ref' })).run(x).logits!.data);
      const jobs: Job[] = [];
      for (const threads of threadCounts) {
        for (const engine of ['ours', 'ort-node', 'ort-web'] as const) jobs.push({ model, label, engine, batch, threads, reference });
      }
      jobs.push({ model, label, engine: 'tfjs-wasm', batch, threads: 1, reference });
      if (batch === 1 && !QUICK) jobs.push({ model, label, engine: 'tfjs-cpu', batch, threads: 1, reference }); // ~1 s per image: batch 1 says enough
      for (const job of jobs) {
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(job), '--iters', String(ITERS)], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${job.engine} ${model} b${batch} t${job.threads} failed: ${r.stderr}`);
        const row = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Row;
        rows.push(row);
        console.error(`${label} b${batch} ${row.engine} t${row.threads}: median ${row.medianMs.toFixed(2)} ms (max diff ${row.maxAbsDiff!.toExponential(1)})`);
      }
    }
  }
  const byKey = (r: Row) => `${r.model}|${r.batch}|${r.threads}`;
  const oursRows = new Map(rows.filter((r) => r.engine.startsWith('mobilenet-ts')).map((r) => [byKey(r), r]));
  const lines = [
    `| model | batch | threads | engine | median ms | min ms | images/s | vs mobilenet-ts |`,
    `|---|---:|---:|---|---:|---:|---:|---:|`,
    ...rows.map((r) => {
      const o = oursRows.get(byKey(r)) ?? oursRows.get(`${r.model}|${r.batch}|1`);
      const ratio = o ? (r.medianMs / o.medianMs).toFixed(2) : '';
      return `| ${r.model} | ${r.batch} | ${r.threads} | ${r.engine} | ${r.medianMs.toFixed(2)} | ${r.minMs.toFixed(2)} | ${r.imagesPerSecond.toFixed(1)} | ${ratio}× |`;
    }),
  ];
  const machine = `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
  const date = new Date().toISOString().slice(0, 10);
  console.log(`Peers benchmark, ${date}, ${machine}; each engine in its own process; ${ITERS} timed runs after ${WARMUP} warm-up; random weights; "vs mobilenet-ts" = engine time / ours (> 1: we are faster).\n`);
  console.log(lines.join('\n'));
  const dir = join(here, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'peers.json'), `${JSON.stringify({ date, machine, iterations: ITERS, warmup: WARMUP, isolation: 'one process per measurement', rows }, null, 1)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * The fast engine (WebAssembly SIMD kernels, planner, threads, memory-efficient mode) against the
 * reference engine: every registered preset end to end, and the configurations that exercise the
 * planner's edges (threads, batches, odd sizes, dilation, fallbacks, band mode).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, createSpec, InferenceSession, initWeights, listModels, type ModelOptions } from '../../src/index.js';
import { useNodeRuntime } from '../../src/node/runtime.js';
import { createNodeWorkerPool, enableWorkerThreads } from '../../src/node/worker-pool.js';
import { Op, type StepPlan } from '../../src/runtime/wasm/execute.js';
import { registerWorkerPoolFactory, type WorkerPoolFactory } from '../../src/runtime/wasm/pool.js';
import { assertRefused, seededRandom } from '../helpers.js';

useNodeRuntime();

function input(shape: readonly number[], batch: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: batch * shape[0]! * shape[1]! * shape[2]! }, () => random() * 2 - 1);
}

/** |a − b| ≤ 1e-4 · max(1, max |b|), with the worst place in the message. */
function assertClose(a: Float32Array, b: Float32Array, what: string): void {
  let scale = 1;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.equal(a.length, b.length, `${what}: lengths`);
  assert.ok(worst <= 1e-4 * scale, `${what}: max abs diff ${worst} at ${at} (wasm ${a[at]}, ref ${b[at]}, scale ${scale})`);
}

async function compare(name: string, options: ModelOptions, engine: { threads?: number; memoryEfficient?: boolean; batch?: number; taps?: boolean }, seed = 1) {
  const graph = buildGraph(createSpec(name, options));
  const weights = initWeights(graph, { seed, randomBatchNorm: true });
  const batch = engine.batch ?? 1;
  const x = input(graph.input.shape, batch, seed);
  const ref = (await InferenceSession.create(graph, weights, { backend: 'ref' })).run(x, { taps: engine.taps ?? false, embedding: Boolean(graph.outputs.embedding) });
  const session = await InferenceSession.create(graph, weights, { backend: 'wasm', threads: engine.threads ?? 1, memoryEfficient: engine.memoryEfficient ?? false });
  try {
    const out = session.run(x, { taps: engine.taps ?? false, embedding: Boolean(graph.outputs.embedding) });
    const label = `${graph.name} ${JSON.stringify(options)} ${JSON.stringify(engine)}`;
    if (ref.logits) assertClose(out.logits!.data, ref.logits.data, `${label} logits`);
    if (ref.embedding) assertClose(out.embedding!.data, ref.embedding.data, `${label} embedding`);
    for (const [r, t] of Object.entries(ref.taps ?? {})) assertClose(out.taps![Number(r)]!.data, t.data, `${label} tap /${r}`);
  } finally {
    await session.release();
  }
}

test('every registered preset: wasm logits equal the reference engine’s', async () => {
  const conventions = ['torchvision', 'keras', 'slim'] as const;
  let i = 0;
  for (const preset of listModels()) {
    await compare(preset.name, { convention: conventions[i % 3]! }, {}, i);
    i++;
  }
});

test('threads 2, batch 3 and the memory-efficient mode give the same outputs, taps included', async () => {
  for (const name of ['mobilenet_v2_0.35_96', 'mobilenet_v1_0.25_128']) {
    await compare(name, {}, { threads: 2, taps: true });
    await compare(name, {}, { threads: 2, batch: 3 });
    await compare(name, {}, { memoryEfficient: true });
    await compare(name, {}, { memoryEfficient: true, threads: 2, batch: 2 });
  }
});

test('odd and non-square sizes, dilation (output stride 8 and 16), wide and narrow α', async () => {
  await compare('mobilenet_v2', { alpha: 1.4, resolution: { height: 97, width: 75 }, convention: 'slim' }, { threads: 2 });
  await compare('mobilenet_v2', { alpha: 0.35, resolution: 65, outputStride: 8 }, { memoryEfficient: true, threads: 2, taps: true });
  await compare('mobilenet_v1', { alpha: 0.5, resolution: 113, outputStride: 16, convention: 'keras' }, { threads: 2 });
  await compare('mobilenet_v2', { alpha: 0.75, resolution: 33, blocks: [{ t: 1, c: 13, n: 1, s: 1 }, { t: 5, c: 19, n: 3, s: 2 }, { t: 3, c: 37, n: 2, s: 2 }] }, { memoryEfficient: true });
});

test('layers outside the fast kernels fall back to the reference kernels inside the plan', async () => {
  // Keras' depth multiplier 2 (a depthwise conv with 2 outputs per channel), max pooling, no top.
  await compare('mobilenet_v1', { alpha: 0.25, resolution: 64, depthMultiplier: 2, convention: 'keras' }, { threads: 2 });
  await compare('mobilenet_v2', { alpha: 0.35, resolution: 64, includeTop: false, pooling: 'max' }, {});
  // Full 3×3 convolutions throughout (V1 Table 4's "Conv MobileNet").
  await compare('mobilenet_v1', { alpha: 0.25, resolution: 64, separable: false }, { threads: 2 });
});

test('memory-efficient mode needs under a third of the plain schedule’s activation memory (V2 1.0-224)', async () => {
  const graph = buildGraph(createSpec('mobilenet_v2'));
  const weights = initWeights(graph, { seed: 0 });
  const plain = await InferenceSession.create(graph, weights, { threads: 1 });
  const banded = await InferenceSession.create(graph, weights, { threads: 1, memoryEfficient: true });
  const ratio = banded.peakActivationBytes(1) / plain.peakActivationBytes(1);
  assert.ok(ratio <= 1 / 3, `memory-efficient / plain = ${ratio.toFixed(3)}`);
  await plain.release();
  await banded.release();
});

test('a wrong input size is refused before anything runs', async () => {
  const graph = buildGraph(createSpec('mobilenet_v2_0.35_96'));
  const session = await InferenceSession.create(graph, initWeights(graph), { threads: 1 });
  assert.throws(() => session.run(new Float32Array(95 * 96 * 3)), /not a whole number of \[96, 96, 3\] examples/);
  await session.release();
  assert.throws(() => session.run(new Float32Array(96 * 96 * 3)), /released/);
});

test('a released session refuses run, profile and peakActivationBytes instead of waiting for its exited workers (threads 2)', async () => {
  const graph = buildGraph(createSpec('mobilenet_v2', { alpha: 0.35, resolution: 32 }));
  const x = input(graph.input.shape, 1, 1);
  for (const backend of ['wasm', 'ref'] as const) {
    const session = await InferenceSession.create(graph, initWeights(graph), { backend, threads: 2 });
    session.run(x);
    await session.release();
    assertRefused(() => session.run(x), 'INVALID_ARGUMENT', /this session was released/);
    assertRefused(() => session.peakActivationBytes(3), 'INVALID_ARGUMENT', /this session was released/);
    assertRefused(() => session.peakActivationBytes(), 'INVALID_ARGUMENT', /this session was released/);
    if (backend === 'wasm') assertRefused(() => session.profile(x), 'INVALID_ARGUMENT', /this session was released/);
  }
});

test('a plan that cannot be built leaves the session as it was (threads 2)', async () => {
  const graph = buildGraph(createSpec('mobilenet_v2', { alpha: 0.35, resolution: 32 }));
  const session = await InferenceSession.create(graph, initWeights(graph, { seed: 4, randomBatchNorm: true }), { threads: 2, memoryEfficient: true });
  try {
    const x = input(graph.input.shape, 2, 4);
    const expected = session.run(x).logits!.data;
    assertRefused(() => session.peakActivationBytes(1_000_000), 'INVALID_ARGUMENT', /more than WebAssembly's 4 GiB; use a smaller batch/);
    assert.deepEqual(session.run(x).logits!.data, expected);
    assert.deepEqual(session.run(x.subarray(0, x.length / 2)).logits!.data, expected.subarray(0, expected.length / 2));
  } finally {
    await session.release();
  }
});

test('results are identical bit for bit for any thread count and in memory-efficient mode', async () => {
  for (const [name, options] of [['mobilenet_v2_0.35_96', {}], ['mobilenet_v2', { alpha: 0.5, resolution: 67 }], ['mobilenet_v1_0.25_128', {}]] as const) {
    const graph = buildGraph(createSpec(name, options));
    const weights = initWeights(graph, { seed: 2, randomBatchNorm: true });
    const x = input(graph.input.shape, 3, 5);
    const outputs: Float32Array[] = [];
    for (const [threads, memoryEfficient] of [[1, false], [2, false], [1, true], [2, true]] as const) {
      const session = await InferenceSession.create(graph, weights, { threads, memoryEfficient });
      outputs.push(session.run(x).logits!.data);
      await session.release();
    }
    for (const o of outputs.slice(1)) assert.ok(o.every((v, i) => v === outputs[0]![i]), `${name}: outputs differ`);
  }
});

test('a worker that fails once: the run is refused with its message, nothing hangs, and the next run is right (threads 2)', async () => {
  const graph = buildGraph(createSpec('mobilenet_v2', { alpha: 0.35, resolution: 32 }));
  const weights = initWeights(graph, { seed: 3, randomBatchNorm: true });
  const x = input(graph.input.shape, 2, 3);
  // A pool that, when asked, gives worker 1 a first call whose descriptor lies outside the memory.
  let sabotage = false;
  const failingOnce: WorkerPoolFactory = async (options) => {
    const pool = await createNodeWorkerPool(options);
    let loaded: readonly StepPlan[] = [];
    let broken = false;
    return {
      threads: pool.threads,
      load: (steps) => {
        loaded = steps;
        pool.load(steps);
      },
      start: () => {
        if (sabotage !== broken) {
          const bad = Int32Array.of(Op.Copy, options.memory.buffer.byteLength + 64);
          pool.load(sabotage ? loaded.map((s, i) => (i === 0 ? { calls: [s.calls[0]!, bad] } : s)) : loaded);
          broken = sabotage;
        }
        pool.start();
      },
      startCalls: () => pool.startCalls(),
      takeError: () => pool.takeError(),
      close: () => pool.close(),
    };
  };
  registerWorkerPoolFactory(failingOnce, 2);
  const session = await InferenceSession.create(graph, weights, { threads: 2, memoryEfficient: true }).finally(() => enableWorkerThreads());
  try {
    const expected = session.run(x).logits!.data;
    sabotage = true;
    assertRefused(() => session.run(x), 'INTERNAL', /the fast engine failed: worker 1: /);
    sabotage = false;
    assert.deepEqual(session.run(x).logits!.data, expected);
  } finally {
    await session.release();
  }
});

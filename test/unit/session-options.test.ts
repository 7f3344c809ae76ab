/**
 * InferenceSession's arguments: weights that cannot run are refused at create, and every bad option
 * or argument is a MobileNetError naming it, on both backends, before anything is planned or run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, createSpec, InferenceSession, initWeights, type RunRequest } from '../../src/index.js';
import type { SessionOptions } from '../../src/runtime/session.js';
import { useNodeRuntime } from '../../src/node/runtime.js';
import { assertRefused, assertRejected } from '../helpers.js';

useNodeRuntime();

const graph = buildGraph(createSpec('mobilenet_v2', { alpha: 0.35, resolution: 32 }));

test('strict: false still refuses, at create, weights whose classifier is missing or of another shape', async () => {
  const headless = initWeights(graph, { seed: 1 });
  headless.delete('classifier.weight');
  headless.delete('classifier.bias');
  const otherHead = initWeights(buildGraph(createSpec('mobilenet_v2', { alpha: 0.35, resolution: 32, classes: 10 })), { seed: 1 });
  for (const backend of ['wasm', 'ref'] as const) {
    await assertRejected(
      InferenceSession.create(graph, headless, { strict: false, backend, threads: 1 }),
      'WEIGHTS_MISMATCH',
      /classifier\.weight \[1280, 1000\] missing, classifier\.bias \[1000\] missing/,
      /includeTop: false/,
    );
    await assertRejected(InferenceSession.create(graph, otherHead, { strict: false, backend, threads: 1 }), 'WEIGHTS_MISMATCH', /classifier\.weight \[1280, 1000\] found \[1280, 10\]/);
  }
  // What strict: false is for: extra tensors are ignored.
  const extra = initWeights(graph, { seed: 1 });
  extra.set('extra.tensor', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
  await assertRejected(InferenceSession.create(graph, extra, { backend: 'ref' }), 'WEIGHTS_MISMATCH', /unexpected 1: extra\.tensor/);
  const session = await InferenceSession.create(graph, extra, { strict: false, backend: 'ref' });
  session.run(new Float32Array(32 * 32 * 3));
  await session.release();
});

test('options of the wrong type or value are refused by name, whatever the backend', async () => {
  const weights = initWeights(graph, { seed: 1 });
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ memoryEfficient: 'yes' }, /memoryEfficient must be true, false or 'auto', got 'yes'/],
    [{ memoryEfficient: 1 }, /memoryEfficient must be true, false or 'auto', got 1/],
    [{ relaxedSimd: 'no' }, /relaxedSimd must be true or false, got 'no'/],
    [{ strict: 0 }, /strict must be true or false, got 0/],
    [{ foldBatchNorm: 'false', backend: 'ref' }, /foldBatchNorm must be true or false, got 'false'/],
    [{ threads: 1.5 }, /threads must be an integer from 1 to 64, got 1\.5/],
    [{ threads: '2' }, /threads must be an integer from 1 to 64, got '2'/],
    [{ backend: 'ref', threads: 0 }, /threads must be an integer from 1 to 64, got 0/],
    [{ backend: 'ref', threads: 65 }, /threads must be an integer from 1 to 64, got 65/],
    [{ backend: 'gpu' }, /backend must be one of wasm, ref, got 'gpu'/],
    [{ foldBatchNorm: false }, /foldBatchNorm: false needs backend: 'ref'/],
    [{ foldBatchNorm: false, backend: 'wasm' }, /foldBatchNorm: false needs backend: 'ref'/],
  ];
  for (const [options, message] of cases) {
    await assertRejected(InferenceSession.create(graph, weights, options as SessionOptions), 'INVALID_ARGUMENT', message);
  }
  // The valid spellings still work; ref runs unfolded BN when asked.
  for (const options of [{ foldBatchNorm: false, backend: 'ref' }, { memoryEfficient: 'auto', relaxedSimd: false, threads: 1 }] as SessionOptions[]) {
    const session = await InferenceSession.create(graph, weights, options);
    session.run(new Float32Array(32 * 32 * 3));
    await session.release();
  }
});

test('run, profile and peakActivationBytes check their arguments as one', async () => {
  const weights = initWeights(graph, { seed: 1 });
  const x = new Float32Array(32 * 32 * 3);
  for (const backend of ['wasm', 'ref'] as const) {
    const session = await InferenceSession.create(graph, weights, { backend, threads: 1 });
    try {
      const refusals: Array<() => unknown> = [() => session.run(x, null as unknown as RunRequest), () => session.run(x, 'logits' as unknown as RunRequest)];
      for (const f of refusals) assertRefused(f, 'INVALID_ARGUMENT', /request must be an object such as \{ probabilities: true \}/);
      for (const batch of [0, -1, 2.5, NaN, Infinity, '2']) {
        assertRefused(() => session.peakActivationBytes(batch as number), 'INVALID_ARGUMENT', new RegExp(`batch must be a positive integer, got ${batch === '2' ? "'2'" : String(batch).replace('.', '\\.')}$`));
      }
      assert.ok(session.peakActivationBytes(2) > session.peakActivationBytes(1));
      if (backend === 'ref') {
        assertRefused(() => session.profile(x), 'INVALID_ARGUMENT', /profiling needs the wasm backend/);
        continue;
      }
      // profile() takes what run() takes.
      assertRefused(() => session.profile(new Float32Array(5)), 'SHAPE_MISMATCH', /input has 5 values, not a whole number of \[32, 32, 3\] examples/);
      assertRefused(() => session.profile(new Float32Array(0)), 'SHAPE_MISMATCH', /input has 0 values/);
      assertRefused(() => session.profile(new Float64Array(32 * 32 * 3) as unknown as Float32Array), 'SHAPE_MISMATCH', /input must be a Float32Array/);
      assert.ok(session.profile(new Float32Array(2 * 32 * 32 * 3)).length > 0);
    } finally {
      await session.release();
    }
  }
});

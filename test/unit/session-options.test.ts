/**
 * InferenceSession's arguments: weights that cannot run are refused at create, and every bad option
 * or argument is a MobileNetError naming it, on both backends, before anything is planned or run.
 */
import { test } from 'node:test';
import { buildGraph, createSpec, InferenceSession, initWeights } from '../../src/index.js';
import { useNodeRuntime } from '../../src/node/runtime.js';
import { assertRejected } from '../helpers.js';

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

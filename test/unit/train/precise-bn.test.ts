/**
 * Precise BN (Trainer.recalibrateBatchNorm): the moving statistics become the plain mean of the
 * batches' statistics under the current weights. Checked on the first batch norm against the stem
 * convolution's output computed directly with the reference kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, createSpec, initWeights, Trainer } from '../../../src/index.js';
import * as ref from '../../../src/kernels/ref/index.js';
import { conv2dDesc } from '../../../src/runtime/descriptors.js';
import { useNodeRuntime } from '../../../src/node/runtime.js';
import type { GraphNode } from '../../../src/graph/ops.js';

useNodeRuntime();

const config = {
  epochs: 1, batchSize: 4, lr: 0.1, optimizer: { type: 'sgd' as const, momentum: 0.9, nesterov: true, weightDecay: 0 },
  schedule: { type: 'constant' as const }, labelSmoothing: 0, seed: 0, emaDecay: 0, freezeBackbone: false,
};

for (const engine of ['ref', 'wasm'] as const) {
  test(`${engine}: recalibrateBatchNorm sets the moving statistics to the mean of the batches' statistics`, async () => {
    const graph = buildGraph(createSpec('mobilenet_v1', { alpha: 0.25, resolution: 16, smallInput: true, classes: 3 }));
    const weights = initWeights(graph, { seed: 5 });
    const trainer = await Trainer.create(graph, weights, config, engine === 'wasm' ? { engine, threads: 2 } : { engine });
    try {
      const bn = graph.nodes.find((n) => n.op === 'batchNorm')!;
      const conv = graph.nodes.find((n) => n.name === bn.inputs[0]) as GraphNode & { op: 'conv2d' };
      assert.equal(conv.op, 'conv2d');
      const c = conv.attrs.outChannels;
      const [oh, ow] = conv.shape;
      let seed = 1;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const batches = [4, 4, 2].map((size, i) => ({ images: Float32Array.from({ length: size * 16 * 16 * 3 }, () => random() + 0.3 * i), labels: new Int32Array(size), size }));
      const expectedMean = new Float64Array(c);
      const expectedVar = new Float64Array(c);
      for (const b of batches) {
        const out = new Float32Array(b.size * oh! * ow! * c);
        ref.conv2d(b.images, weights.get(`${conv.name}.weight`)!.data, weights.get(`${conv.name}.bias`)?.data ?? null, out, conv2dDesc(conv, graph.input.shape, b.size));
        const n = out.length / c;
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let p = 0; p < n; p++) s += out[p * c + ch]!;
          const m = s / n;
          let v = 0;
          for (let p = 0; p < n; p++) v += (out[p * c + ch]! - m) ** 2;
          expectedMean[ch]! += m / batches.length;
          expectedVar[ch]! += v / (n - 1) / batches.length;
        }
      }
      const before = weights.get(`${conv.name}.weight`)!.data.slice();
      assert.equal(trainer.recalibrateBatchNorm(batches), 10);
      const mean = weights.get(`${bn.name}.movingMean`)!.data;
      const variance = weights.get(`${bn.name}.movingVariance`)!.data;
      for (let ch = 0; ch < c; ch++) {
        assert.ok(Math.abs(mean[ch]! - expectedMean[ch]!) <= 1e-4 * (1 + Math.abs(expectedMean[ch]!)), `channel ${ch}: mean ${mean[ch]} vs ${expectedMean[ch]}`);
        assert.ok(Math.abs(variance[ch]! - expectedVar[ch]!) <= 1e-3 * (1 + expectedVar[ch]!), `channel ${ch}: variance ${variance[ch]} vs ${expectedVar[ch]}`);
      }
      assert.deepEqual(weights.get(`${conv.name}.weight`)!.data, before, 'no weight changes');
    } finally {
      await (trainer.network as { close?: () => Promise<void> }).close?.();
    }
  });
}

test('recalibrateBatchNorm does nothing with a frozen backbone or EMA', async () => {
  const graph = buildGraph(createSpec('mobilenet_v1', { alpha: 0.25, resolution: 16, smallInput: true, classes: 3 }));
  for (const change of [{ freezeBackbone: true }, { emaDecay: 0.99 }]) {
    const weights = initWeights(graph, { seed: 5 });
    const trainer = await Trainer.create(graph, weights, { ...config, ...change }, { engine: 'ref' });
    const moving = weights.get('stem.bn.movingMean')?.data.slice();
    assert.equal(trainer.recalibrateBatchNorm([{ images: new Float32Array(4 * 16 * 16 * 3).fill(1), labels: new Int32Array(4), size: 4 }]), 0);
    if (moving) assert.deepEqual(weights.get('stem.bn.movingMean')!.data, moving);
  }
});

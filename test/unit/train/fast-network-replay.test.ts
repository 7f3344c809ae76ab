/**
 * The WASM training network reuses the last pass's kernel descriptors when the batch and mode repeat.
 * A long-lived network that switches batch sizes and modes between steps must give exactly the
 * numbers of a fresh network (which builds every descriptor) on each step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, createSpec, initWeights } from '../../../src/index.js';
import { FastTrainableNetwork } from '../../../src/train/fast-network.js';
import { useNodeRuntime } from '../../../src/node/runtime.js';

useNodeRuntime();

for (const threads of [1, 2]) {
  test(`wasm (${threads} thread(s)): steps of batch 4, 2, an eval pass of 3, then 4 twice equal fresh networks' bit for bit`, async () => {
    const graph = buildGraph(createSpec('mobilenet_v2', { alpha: 0.35, resolution: 16, smallInput: true, classes: 5, dropout: 0 }));
    const weights = initWeights(graph, { seed: 3 });
    const longLived = await FastTrainableNetwork.create(graph, weights, { threads });
    try {
      const per = 16 * 16 * 3;
      let seed = 11;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const steps = [[4, true], [2, true], [3, false], [4, true], [4, true]] as const;
      for (const [step, [batch, training]] of steps.entries()) {
        const x = Float32Array.from({ length: batch * per }, random);
        const g = Float32Array.from({ length: batch * 5 }, random);
        // The same state (BN running statistics included: the batch statistics are taken about them).
        const copy = new Map([...weights].map(([name, t]) => [name, { ...t, data: t.data.slice() }]));
        const fresh = await FastTrainableNetwork.create(graph, copy, { threads });
        try {
          for (const net of [fresh, longLived]) net.zeroGrad();
          const expected = fresh.forward(x, training);
          const actual = longLived.forward(x, training);
          assert.deepEqual(actual, expected, `step ${step} (batch ${batch}, training ${training}): logits differ`);
          if (!training) continue;
          fresh.backward(g);
          longLived.backward(g);
          for (const [name, grad] of fresh.grads) {
            assert.deepEqual(longLived.grads.get(name)!.data, grad.data, `step ${step} (batch ${batch}): gradient of ${name} differs`);
          }
        } finally {
          await fresh.close();
        }
      }
    } finally {
      await longLived.close();
    }
  });
}

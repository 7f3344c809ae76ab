/**
 * A training run must not depend on the machine's core count (a run resumed elsewhere continues
 * exactly): the WASM training network on 1, 2 and 3 threads gives the same logits, gradients and BN
 * moving statistics bit for bit. The batch-norm sums are the part at risk: they are reduced over
 * pixel ranges by different threads and added afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, createSpec, initWeights } from '../../../src/index.js';
import { FastTrainableNetwork } from '../../../src/train/fast-network.js';
import { useNodeRuntime } from '../../../src/node/runtime.js';

useNodeRuntime();

for (const arch of ['mobilenet_v1', 'mobilenet_v2'] as const) {
  test(`wasm ${arch}: two training steps on 1, 2 and 3 threads agree bit for bit`, async () => {
    const graph = buildGraph(createSpec(arch, { alpha: 0.25, resolution: 16, smallInput: true, classes: 5, dropout: 0 }));
    const initial = initWeights(graph, { seed: 7 });
    const per = 16 * 16 * 3;
    const results: Array<{ logits: Float32Array[]; grads: Map<string, Float32Array>; params: Map<string, Float32Array> }> = [];
    for (const threads of [1, 2, 3]) {
      const weights = new Map([...initial].map(([name, t]) => [name, { ...t, data: t.data.slice() }]));
      const net = await FastTrainableNetwork.create(graph, weights, { threads });
      try {
        let seed = 5;
        const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
        const logits: Float32Array[] = [];
        for (const batch of [5, 3]) {
          const x = Float32Array.from({ length: batch * per }, random);
          const g = Float32Array.from({ length: batch * 5 }, random);
          net.zeroGrad();
          logits.push(net.forward(x, true));
          net.backward(g);
        }
        results.push({
          logits,
          grads: new Map([...net.grads].map(([name, t]) => [name, t.data.slice()])),
          params: new Map([...weights].map(([name, t]) => [name, t.data.slice()])),
        });
      } finally {
        await net.close();
      }
    }
    const [one, ...others] = results;
    others.forEach((r, i) => {
      const threads = i + 2;
      r.logits.forEach((l, step) => assert.deepEqual(l, one!.logits[step], `${threads} threads, step ${step}: logits differ`));
      for (const [name, grad] of one!.grads) assert.deepEqual(r.grads.get(name), grad, `${threads} threads: gradient of ${name} differs`);
      // The BN moving statistics, updated from the batch statistics.
      for (const [name, value] of one!.params) assert.deepEqual(r.params.get(name), value, `${threads} threads: ${name} differs`);
    });
  });
}

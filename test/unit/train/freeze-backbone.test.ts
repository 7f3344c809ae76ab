/**
 * --freeze-backbone trains the classifier on the frozen backbone's embedding. The head keeps the
 * graph's dropout (torchvision's classifier = Dropout + Linear, which stays active when only it
 * trains). With one image the classifier's weight gradient is embeddingᵢ · dlogitₒ for a kept
 * feature i scaled by 1/(1 − rate), and zero for a dropped one: checked against the embedding
 * computed by an inference session on the same weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, createSpec, initWeights, InferenceSession, Trainer } from '../../../src/index.js';
import { useNodeRuntime } from '../../../src/node/runtime.js';

useNodeRuntime();

const CLASSES = 3;
const LABEL = 1;

const config = {
  epochs: 1, batchSize: 1, lr: 0.1, optimizer: { type: 'sgd' as const, momentum: 0.9, nesterov: true, weightDecay: 0 },
  schedule: { type: 'constant' as const }, labelSmoothing: 0, seed: 3, emaDecay: 0, freezeBackbone: true,
};

interface Step { grad: Float32Array; embedding: Float32Array; weight: Float32Array; bias: Float32Array }

async function classifierStep(dropout: number): Promise<Step> {
  const graph = buildGraph(createSpec('mobilenet_v1', { alpha: 0.25, resolution: 16, smallInput: true, classes: CLASSES, dropout }));
  const weights = initWeights(graph, { seed: 5 });
  const image = Float32Array.from({ length: 16 * 16 * 3 }, (_, i) => Math.sin(i * 0.37));
  const session = await InferenceSession.create(graph, weights);
  const embedding = session.run(image, { embedding: true }).embedding!.data.slice();
  await session.release();
  const weight = weights.get('classifier.weight')!.data.slice();
  const bias = weights.get('classifier.bias')!.data.slice();
  const trainer = await Trainer.create(graph, weights, config, { engine: 'ref' });
  try {
    await trainer.trainStep(image, Int32Array.of(LABEL), 1);
    return { grad: trainer.network.grads.get('classifier.weight')!.data.slice(), embedding, weight, bias };
  } finally {
    await trainer.close();
  }
}

/** d(loss)/d(logits) for features x (softmax − one-hot), in float64. */
function dlogits(x: Float32Array, weight: Float32Array, bias: Float32Array): number[] {
  const logits = Array.from(bias, (b, o) => b + x.reduce((s, v, i) => s + v * weight[i * CLASSES + o]!, 0));
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v, o) => v / sum - (o === LABEL ? 1 : 0));
}

function assertRows(step: Step, features: Float32Array, what: string): void {
  const d = dlogits(features, step.weight, step.bias);
  for (let i = 0; i < features.length; i++) {
    for (let o = 0; o < CLASSES; o++) {
      const expected = features[i]! * d[o]!;
      assert.ok(Math.abs(step.grad[i * CLASSES + o]! - expected) <= 1e-5 * (1 + Math.abs(expected)), `${what}: feature ${i}, class ${o}: ${step.grad[i * CLASSES + o]} vs ${expected}`);
    }
  }
}

test('a frozen backbone\'s head trains with the graph\'s dropout', async () => {
  const rate = 0.5;
  const step = await classifierStep(rate);
  const plain = await classifierStep(0);
  assert.deepEqual(plain.embedding, step.embedding, 'the same backbone with or without dropout');
  assertRows(plain, plain.embedding, 'no dropout');
  // The kept features are those whose gradient row is nonzero; they enter the head scaled by 1/(1 − rate).
  const features = step.embedding.map((v, i) => (step.grad.subarray(i * CLASSES, (i + 1) * CLASSES).some((g) => g !== 0) ? v / (1 - rate) : 0));
  assertRows(step, features, 'dropout 0.5');
  const nonzero = step.embedding.filter((v) => v !== 0).length;
  const dropped = step.embedding.filter((v, i) => v !== 0 && features[i] === 0).length;
  assert.ok(dropped > nonzero * 0.3 && dropped < nonzero * 0.7, `${dropped} of ${nonzero} features dropped at rate ${rate}`);
});

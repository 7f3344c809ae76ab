/** The weight average of --swa-epochs: the mean of the sets added, resumable bit for bit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WeightAverage } from '../../../src/train/swa.js';
import { serializeCheckpoint, parseCheckpoint } from '../../../src/train/checkpoint.js';
import { MobileNetError } from '../../../src/errors.js';
import type { Weights } from '../../../src/runtime/weights.js';
import { seededRandom } from '../../helpers.js';

function randomWeights(seed: number): Weights {
  const random = seededRandom(seed);
  const tensor = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 8 - 4) });
  return new Map([['conv.weight', tensor([3, 3, 2, 4])], ['bn.gamma', tensor([4])]]);
}

test('WeightAverage: the mean of the weight sets added (in float64 here, to 1e-6), and copies that later changes do not reach', () => {
  const sets = [1, 2, 3, 4, 5].map(randomWeights);
  const average = new WeightAverage();
  for (const w of sets) average.add(w);
  assert.equal(average.size, 5);
  const mean = average.weights();
  for (const [name, t] of mean) {
    for (let i = 0; i < t.data.length; i++) {
      const expected = sets.reduce((sum, w) => sum + w.get(name)!.data[i]!, 0) / sets.length;
      assert.ok(Math.abs(t.data[i]! - expected) <= 1e-6, `${name}[${i}]: ${t.data[i]} vs ${expected}`);
    }
  }
  sets[0]!.get('bn.gamma')!.data[0] = 1e9;
  mean.get('bn.gamma')!.data[1] = 1e9;
  assert.ok(Math.abs(average.weights().get('bn.gamma')!.data[0]!) < 4 && Math.abs(average.weights().get('bn.gamma')!.data[1]!) < 4);
});

test('WeightAverage: continued from its state (as a resumed run does), it ends bit for bit where the uninterrupted one does', () => {
  const sets = [7, 8, 9].map(randomWeights);
  const straight = new WeightAverage();
  for (const w of sets) straight.add(w);
  const first = new WeightAverage();
  first.add(sets[0]!);
  first.add(sets[1]!);
  const resumed = WeightAverage.fromState(first.state());
  resumed.add(sets[2]!);
  for (const [name, t] of straight.weights()) assert.deepEqual(resumed.weights().get(name)!.data, t.data, name);
  assert.throws(() => WeightAverage.fromState({ count: 2, tensors: new Map() }), (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_FORMAT');
  assert.throws(() => new WeightAverage().weights(), /no weights were added/);
});

test('checkpoint: the weight average round-trips as swa/ tensors; a count without tensors (or tensors without a count) is refused', () => {
  const params = randomWeights(11);
  const average = new WeightAverage();
  average.add(params);
  average.add(randomWeights(12));
  const checkpoint = {
    model: { model: 'mobilenet_v2', options: {}, preprocess: { crop: { height: 4, width: 4 }, interpolation: 'bilinear' as const, divisor: 255, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] }, labels: [] },
    state: {
      version: 1,
      config: { epochs: 3, batchSize: 2, lr: 0.1, optimizer: { type: 'sgd' as const, momentum: 0.9, nesterov: true, weightDecay: 0 }, schedule: { type: 'cosine' as const }, labelSmoothing: 0, seed: 0, emaDecay: 0, freezeBackbone: false, swaEpochs: 2 },
      step: 4,
      position: { epoch: 2, batch: 0 },
      optimizer: { kind: 'sgd', scalars: {} },
      swa: { count: 2 },
    },
    params,
    optimizer: { kind: 'sgd', tensors: new Map(), scalars: {} },
    swa: average.state().tensors,
  };
  const back = parseCheckpoint(serializeCheckpoint(checkpoint), 'c.safetensors');
  assert.equal(back.state.swa?.count, 2);
  for (const [name, t] of average.weights()) assert.deepEqual(back.swa!.get(name)!.data, t.data, name);
  const noTensors = serializeCheckpoint({ ...checkpoint, swa: undefined as never });
  assert.throws(() => parseCheckpoint(noTensors, 'c.safetensors'), /weight average holds 2 epochs, but the file has 0 swa\/ tensors/);
  const noCount = serializeCheckpoint({ ...checkpoint, state: { ...checkpoint.state, swa: undefined as never } });
  assert.throws(() => parseCheckpoint(noCount, 'c.safetensors'), /weight average holds 0 epochs, but the file has 2 swa\/ tensors/);
  const badCount = serializeCheckpoint({ ...checkpoint, state: { ...checkpoint.state, swa: { count: -1 } } });
  assert.throws(() => parseCheckpoint(badCount, 'c.safetensors'), /swa must be \{count: a whole number\}/);
});

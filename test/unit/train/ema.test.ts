import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobileNetError } from '../../../src/errors.js';
import { WeightEMA } from '../../../src/train/ema.js';
import type { Tensor } from '../../../src/tensor.js';

function weights(entries: Record<string, number[]>): Map<string, Tensor<'float32'>> {
  return new Map(Object.entries(entries).map(([name, v]) => [name, { dtype: 'float32', shape: [v.length], data: Float32Array.from(v) }]));
}

function set(params: Map<string, Tensor<'float32'>>, name: string, values: number[]): void {
  params.get(name)!.data.set(values);
}

test('TensorFlow\'s documented example: decay 0.99 with num_updates', () => {
  // v = 0 → shadow 0; v = 5 with num_updates 0: decay min(0.99, 1/10) = 0.1 → 4.5;
  // num_updates 10000, v = 10: decay 0.99 → 4.555, again → 4.60945
  const params = weights({ v: [0] });
  const ema = new WeightEMA(params, { decay: 0.99, numUpdates: true });
  set(params, 'v', [5]);
  ema.update(params, 0);
  assert.equal(ema.average('v')![0], Math.fround(4.5));
  set(params, 'v', [10]);
  ema.update(params, 10000);
  assert.ok(Math.abs(ema.average('v')![0]! - 4.555) < 1e-6);
  ema.update(params, 10000);
  assert.ok(Math.abs(ema.average('v')![0]! - 4.60945) < 1e-6);
});

test('with numUpdates the decay warms up as min(decay, (1 + n)/(10 + n)) over its own count', () => {
  const params = weights({ a: [1, -2], b: [3] });
  const ema = new WeightEMA(params, { decay: 0.9999, numUpdates: true });
  let expected = [1, -2];
  for (let n = 0; n < 20; n++) {
    const w = [Math.sin(n), Math.cos(n)];
    set(params, 'a', w);
    const d = Math.min(0.9999, (1 + n) / (10 + n));
    assert.equal(ema.decayAt(n), d);
    expected = expected.map((s, i) => s - (1 - d) * (s - Math.fround(w[i]!)));
    ema.update(params);
  }
  assert.equal(ema.numUpdates, 20);
  const got = Array.from(ema.average('a')!);
  got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `${v} vs ${expected[i]}`));
  assert.equal(ema.average('b')![0], 3);
  assert.equal(ema.decayAt(1e6), 0.9999);
});

test('without numUpdates the decay is constant: shadow = d·shadow + (1 − d)·w', () => {
  const params = weights({ w: [2] });
  const ema = new WeightEMA(params, { decay: 0.9 });
  set(params, 'w', [12]);
  ema.update(params);
  assert.equal(ema.average('w')![0], Math.fround(2 - 0.1 * (2 - 12)));
  ema.update(params);
  assert.ok(Math.abs(ema.average('w')![0]! - (12 - 10 * 0.81)) < 1e-6);
  assert.equal(new WeightEMA(params).decay, 0.9999);
  assert.equal(new WeightEMA(params).decayAt(0), 0.9999);
});

test('averagedWeights: averages where tracked, current tensors elsewhere; copyTo writes the averages', () => {
  const params = weights({ 'conv.weight': [1, 1], 'bn.movingMean': [0.5] });
  const ema = new WeightEMA(params, { decay: 0.5, include: (name) => name.endsWith('.weight') });
  assert.deepEqual(ema.names(), ['conv.weight']);
  set(params, 'conv.weight', [3, 5]);
  ema.update(params);
  const averaged = ema.averagedWeights(params);
  assert.deepEqual([...averaged.keys()], ['conv.weight', 'bn.movingMean']);
  assert.deepEqual(Array.from(averaged.get('conv.weight')!.data), [2, 3]);
  assert.equal(averaged.get('bn.movingMean'), params.get('bn.movingMean'));
  averaged.get('conv.weight')!.data[0] = 100; // a copy
  assert.equal(ema.average('conv.weight')![0], 2);
  ema.copyTo(params);
  assert.deepEqual(Array.from(params.get('conv.weight')!.data), [2, 3]);
});

test('by default every given tensor is averaged, moving statistics included (as slim does)', () => {
  const params = weights({ 'conv.weight': [1], 'bn.movingMean': [0.5], 'bn.movingVariance': [2] });
  assert.deepEqual(new WeightEMA(params).names(), ['conv.weight', 'bn.movingMean', 'bn.movingVariance']);
});

test('state save → load → continue equals an uninterrupted run bit for bit', () => {
  const values = (n: number) => [Math.sin(n), Math.cos(3 * n), n / 7];
  const straightParams = weights({ w: [0, 0, 0] });
  const straight = new WeightEMA(straightParams, { decay: 0.999, numUpdates: true });
  for (let n = 0; n < 12; n++) {
    set(straightParams, 'w', values(n));
    straight.update(straightParams);
  }
  const params = weights({ w: [0, 0, 0] });
  const first = new WeightEMA(params, { decay: 0.999, numUpdates: true });
  for (let n = 0; n < 5; n++) {
    set(params, 'w', values(n));
    first.update(params);
  }
  const saved = first.state();
  first.update(params); // after the save: forgotten
  const resumed = new WeightEMA(weights({ w: [9, 9, 9] }), { decay: 0.999, numUpdates: true });
  resumed.loadState(saved);
  assert.equal(resumed.numUpdates, 5);
  for (let n = 5; n < 12; n++) {
    set(params, 'w', values(n));
    resumed.update(params);
  }
  assert.deepEqual(resumed.average('w'), straight.average('w'));
  assert.deepEqual(resumed.state(), straight.state());
});

test('loadState refuses states that do not fit', () => {
  const ema = new WeightEMA(weights({ w: [1, 2] }));
  const other = new WeightEMA(weights({ v: [1, 2] }));
  assert.throws(() => ema.loadState(other.state()), (e: unknown) => e instanceof MobileNetError && e.code === 'WEIGHTS_MISMATCH' && /missing w\/ema/.test(e.message));
  assert.throws(() => ema.loadState(new WeightEMA(weights({ w: [1] })).state()), /w\/ema: 1 values/);
  assert.throws(() => ema.loadState({ ...ema.state(), kind: 'sgd' }), /expected ema/);
  assert.throws(() => new WeightEMA(weights({ w: [1] }), { decay: 1.5 }), (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => ema.update(weights({ w: [1, 2, 3] })), (e: unknown) => e instanceof MobileNetError && e.code === 'SHAPE_MISMATCH');
});

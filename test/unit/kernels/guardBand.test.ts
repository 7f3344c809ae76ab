/**
 * Kernels must touch exactly the ranges their descriptor implies: they are handed subarray views of
 * one shared arena (longer than needed, neighbours NaN-filled), and nothing but the output range may
 * change. Expected outputs come from the same kernel on tight, separate arrays.
 */
import { test } from 'node:test';
import {
  activation,
  add,
  batchNormInference,
  conv2d,
  dense,
  depthwiseConv2d,
  globalAvgPool,
  globalMaxPool,
  pointwiseConv2d,
  softmax,
  type ActivationFn,
} from '../../../src/kernels/ref/index.js';
import { randomGeometry, Random, runGuarded } from './support.js';

const TRIALS = 12;

test('conv2d writes only its output range and leaves its inputs untouched', () => {
  const rng = new Random(11);
  for (let trial = 0; trial < TRIALS; trial++) {
    const { padBottom: _b, padRight: _r, ...window } = randomGeometry(rng);
    const groups = rng.int(1, 3);
    const [inChannels, outChannels] = [groups * rng.int(1, 3), groups * rng.int(1, 3)];
    const desc = { ...window, inChannels, outChannels, groups };
    const input = rng.array(desc.batch * desc.inHeight * desc.inWidth * inChannels);
    const weight = rng.array(desc.kernelHeight * desc.kernelWidth * (inChannels / groups) * outChannels);
    const bias = rng.array(outChannels);
    const expected = new Float32Array(desc.batch * desc.outHeight * desc.outWidth * outChannels);
    conv2d(input, weight, bias, expected, desc);
    runGuarded(`conv2d trial ${trial}`, [input, weight, bias], { length: expected.length }, expected, ([i, w, b], out) =>
      conv2d(i!, w!, b!, out, desc));
  }
});

test('depthwiseConv2d writes only its output range and leaves its inputs untouched', () => {
  const rng = new Random(12);
  for (let trial = 0; trial < TRIALS; trial++) {
    const { padBottom: _b, padRight: _r, ...window } = randomGeometry(rng);
    const desc = { ...window, channels: rng.int(1, 5), multiplier: rng.int(1, 3) };
    const outChannels = desc.channels * desc.multiplier;
    const input = rng.array(desc.batch * desc.inHeight * desc.inWidth * desc.channels);
    const weight = rng.array(desc.kernelHeight * desc.kernelWidth * outChannels);
    const bias = rng.array(outChannels);
    const expected = new Float32Array(desc.batch * desc.outHeight * desc.outWidth * outChannels);
    depthwiseConv2d(input, weight, bias, expected, desc);
    runGuarded(`depthwiseConv2d trial ${trial}`, [input, weight, bias], { length: expected.length }, expected, ([i, w, b], out) =>
      depthwiseConv2d(i!, w!, b!, out, desc));
  }
});

test('pointwiseConv2d and dense write only their output range', () => {
  const rng = new Random(13);
  for (let trial = 0; trial < TRIALS; trial++) {
    const [rows, inner, cols] = [rng.int(1, 12), rng.int(1, 12), rng.int(1, 12)];
    const input = rng.array(rows * inner);
    const weight = rng.array(inner * cols);
    const bias = rng.array(cols);
    const expected = new Float32Array(rows * cols);
    pointwiseConv2d(input, weight, bias, expected, { pixels: rows, inChannels: inner, outChannels: cols });
    runGuarded(`pointwiseConv2d trial ${trial}`, [input, weight, bias], { length: expected.length }, expected, ([i, w, b], out) =>
      pointwiseConv2d(i!, w!, b!, out, { pixels: rows, inChannels: inner, outChannels: cols }));
    dense(input, weight, null, expected, { batch: rows, inFeatures: inner, outFeatures: cols });
    runGuarded(`dense trial ${trial}`, [input, weight], { length: expected.length }, expected, ([i, w], out) =>
      dense(i!, w!, null, out, { batch: rows, inFeatures: inner, outFeatures: cols }));
  }
});

test('batchNormInference writes only its output range, separately and in place', () => {
  const rng = new Random(14);
  for (let trial = 0; trial < TRIALS; trial++) {
    const desc = { count: rng.int(1, 20), channels: rng.int(1, 9) };
    const input = rng.array(desc.count * desc.channels, 3);
    const [mean, gamma, beta] = [rng.array(desc.channels), rng.array(desc.channels), rng.array(desc.channels)];
    const variance = rng.array(desc.channels).map((v) => 0.1 + Math.abs(v));
    const expected = new Float32Array(input.length);
    batchNormInference(input, expected, { mean, variance, gamma, beta, epsilon: 1e-3 }, desc);
    const run = ([x, m, v, g, b]: Float32Array[], out: Float32Array) =>
      batchNormInference(x!, out, { mean: m!, variance: v!, gamma: g!, beta: b!, epsilon: 1e-3 }, desc);
    const arrays = [input, mean, variance, gamma, beta];
    runGuarded(`batchNormInference trial ${trial}`, arrays, { length: input.length }, expected, run);
    runGuarded(`batchNormInference in place trial ${trial}`, arrays, { length: input.length, alias: 0 }, expected, run);
  }
});

test('activation writes only its output range, separately and in place', () => {
  const rng = new Random(15);
  for (const fn of ['linear', 'relu', 'relu6'] as const satisfies readonly ActivationFn[]) {
    for (let trial = 0; trial < TRIALS; trial++) {
      const input = rng.array(rng.int(1, 50), 10);
      const expected = new Float32Array(input.length);
      activation(input, expected, fn, input.length);
      const run = ([x]: Float32Array[], out: Float32Array) => activation(x!, out, fn, input.length);
      runGuarded(`activation ${fn} trial ${trial}`, [input], { length: input.length }, expected, run);
      runGuarded(`activation ${fn} in place trial ${trial}`, [input], { length: input.length, alias: 0 }, expected, run);
    }
  }
});

test('add writes only its output range, separately and in place into a or b', () => {
  const rng = new Random(16);
  for (let trial = 0; trial < TRIALS; trial++) {
    const length = rng.int(1, 50);
    const [a, b] = [rng.array(length), rng.array(length)];
    const expected = new Float32Array(length);
    add(a, b, expected, length);
    const run = ([x, y]: Float32Array[], out: Float32Array) => add(x!, y!, out, length);
    runGuarded(`add trial ${trial}`, [a, b], { length }, expected, run);
    runGuarded(`add into a trial ${trial}`, [a, b], { length, alias: 0 }, expected, run);
    runGuarded(`add into b trial ${trial}`, [a, b], { length, alias: 1 }, expected, run);
  }
});

test('globalAvgPool and globalMaxPool write only their output range', () => {
  const rng = new Random(17);
  for (let trial = 0; trial < TRIALS; trial++) {
    const desc = { batch: rng.int(1, 3), height: rng.int(1, 6), width: rng.int(1, 6), channels: rng.int(1, 7) };
    const input = rng.array(desc.batch * desc.height * desc.width * desc.channels);
    for (const [name, pool] of [['globalAvgPool', globalAvgPool], ['globalMaxPool', globalMaxPool]] as const) {
      const expected = new Float32Array(desc.batch * desc.channels);
      pool(input, expected, desc);
      runGuarded(`${name} trial ${trial}`, [input], { length: expected.length }, expected, ([x], out) => pool(x!, out, desc));
    }
  }
});

test('softmax writes only its output range, separately and in place', () => {
  const rng = new Random(18);
  for (let trial = 0; trial < TRIALS; trial++) {
    const desc = { rows: rng.int(1, 5), cols: rng.int(1, 20) };
    const input = rng.array(desc.rows * desc.cols, 50);
    const expected = new Float32Array(input.length);
    softmax(input, expected, desc);
    const run = ([x]: Float32Array[], out: Float32Array) => softmax(x!, out, desc);
    runGuarded(`softmax trial ${trial}`, [input], { length: input.length }, expected, run);
    runGuarded(`softmax in place trial ${trial}`, [input], { length: input.length, alias: 0 }, expected, run);
  }
});

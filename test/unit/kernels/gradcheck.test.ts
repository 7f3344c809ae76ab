/**
 * Gradient checks of the backward reference kernels against central finite differences of the
 * forward kernels themselves, on tiny random shapes.
 *
 * Method. For a kernel y = f(x, w, b) and a random upstream gradient g, the scalar loss is
 * L = Σ g · y, summed in float64 over the kernel's float32 output. Each entry v of each input is set
 * to v ± h (h = 1e-3 unless a case says otherwise) and the derivative is estimated as
 * (L(v⁺) − L(v⁻)) / (v⁺ − v⁻), where v⁺ and v⁻ are the float32 values actually stored: dividing by
 * the stored difference rather than by 2h removes the perturbation's own rounding error. What is
 * left is (a) the float32 rounding of the outputs that the perturbation changes, about
 * 2⁻²⁴ · |y| / h per output, and (b) the O(h²) truncation error of non-linear kernels (batch norm,
 * softmax). With these sizes both stay below ~1e-4 of the gradients' magnitude; the bound asserted
 * is 1e-3 · max(1, max |numeric|) (FD_TOLERANCE), well inside what float32 allows, and the worst
 * difference of each case is printed as a diagnostic. We chose this over a float64 copy of the
 * forward math so that the backward kernels are checked against the very forward kernels they
 * differentiate.
 *
 * Piecewise-linear kernels (relu, relu6, max pool) are checked away from their kinks and ties, where
 * they are differentiable; the kink conventions themselves are pinned by exact tests below and by
 * the torch fixtures.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  activation,
  activationBackward,
  add,
  addBackward,
  batchNormBackward,
  batchNormTraining,
  conv2d,
  conv2dBackward,
  convOutputSize,
  dense,
  denseBackward,
  depthwiseConv2d,
  depthwiseConv2dBackward,
  dropoutBackward,
  dropoutForward,
  globalAvgPool,
  globalAvgPoolBackward,
  globalMaxPool,
  globalMaxPoolBackward,
  pointwiseConv2d,
  pointwiseConv2dBackward,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  updateRunningStats,
  type ActivationFn,
  type BatchNormSaved,
  type Conv2dDesc,
  type DepthwiseConv2dDesc,
  type GlobalPoolDesc,
  type SoftmaxCrossEntropyDesc,
} from '../../../src/kernels/ref/index.js';
import { seededRandom } from '../../helpers.js';
import { assertInvalid, bits, Random, randomGeometry, runGuarded } from './support.js';

const FD_TOLERANCE = 1e-3;
const H = 1e-3;

/** Σ g · y in float64. */
function dot(g: Float32Array, y: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < g.length; i++) sum += g[i]! * y[i]!;
  return sum;
}

/** Central differences of `loss` with respect to every entry of `param` (restored afterwards). */
function numericGradient(param: Float32Array, loss: () => number, h = H): Float64Array {
  const grad = new Float64Array(param.length);
  for (let i = 0; i < param.length; i++) {
    const v = param[i]!;
    param[i] = v + h;
    const plus = param[i]!;
    const lossPlus = loss();
    param[i] = v - h;
    const minus = param[i]!;
    const lossMinus = loss();
    param[i] = v;
    grad[i] = (lossPlus - lossMinus) / (plus - minus);
  }
  return grad;
}

/** Asserts analytic ≈ numeric within FD_TOLERANCE · max(1, max |numeric|); returns the relative error. */
function assertGradient(t: TestContext, label: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>, tolerance = FD_TOLERANCE): number {
  assert.equal(analytic.length, numeric.length, `${label}: length`);
  let magnitude = 1;
  for (let i = 0; i < numeric.length; i++) magnitude = Math.max(magnitude, Math.abs(numeric[i]!));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < numeric.length; i++) {
    const d = Math.abs(analytic[i]! - numeric[i]!);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  const relative = worst / magnitude;
  t.diagnostic(`${label}: max |analytic − numeric| = ${worst.toExponential(2)} (${relative.toExponential(2)} of max(1, |grad|) = ${magnitude.toFixed(3)})`);
  if (!(relative <= tolerance)) {
    assert.fail(`${label}: |analytic − numeric| = ${worst} at ${at} (analytic ${analytic[at]}, numeric ${numeric[at]}), ` +
      `more than ${tolerance} of ${magnitude}`);
  }
  return relative;
}

const rng = new Random(0x9e3779b9);

// ---------------------------------------------------------------------------------------------------
interface ConvSpec {
  name: string;
  batch: number;
  inHeight: number;
  inWidth: number;
  kernel: [number, number];
  stride?: [number, number];
  dilation?: [number, number];
  pad: [number, number, number, number]; // top, bottom, left, right
}

function windowOf(spec: ConvSpec) {
  const [kernelHeight, kernelWidth] = spec.kernel;
  const [strideHeight, strideWidth] = spec.stride ?? [1, 1];
  const [dilationHeight, dilationWidth] = spec.dilation ?? [1, 1];
  const [top, bottom, left, right] = spec.pad;
  return {
    batch: spec.batch, inHeight: spec.inHeight, inWidth: spec.inWidth,
    outHeight: convOutputSize(spec.inHeight, kernelHeight, strideHeight, dilationHeight, top, bottom),
    outWidth: convOutputSize(spec.inWidth, kernelWidth, strideWidth, dilationWidth, left, right),
    kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop: top, padLeft: left,
  };
}

const convCases: (ConvSpec & { inChannels: number; outChannels: number; groups: number; bias: boolean })[] = [
  { name: '3x3 stride 2 SAME on even size (pads 0/1), batch 2', batch: 2, inHeight: 6, inWidth: 6, kernel: [3, 3], stride: [2, 2],
    pad: [0, 1, 0, 1], inChannels: 3, outChannels: 4, groups: 1, bias: true },
  { name: '3x3 dilation 2, asymmetric padding 2/0 rows, 0/2 columns', batch: 1, inHeight: 6, inWidth: 5, kernel: [3, 3],
    dilation: [2, 2], pad: [2, 0, 0, 2], inChannels: 2, outChannels: 3, groups: 1, bias: true },
  { name: 'groups 2, 2x3 kernel, stride (1, 2), batch 2', batch: 2, inHeight: 5, inWidth: 6, kernel: [2, 3], stride: [1, 2],
    pad: [1, 0, 1, 1], inChannels: 4, outChannels: 6, groups: 2, bias: true },
  { name: 'groups 3, stride 2 VALID that crops, no bias', batch: 1, inHeight: 6, inWidth: 6, kernel: [3, 3], stride: [2, 2],
    pad: [0, 0, 0, 0], inChannels: 3, outChannels: 3, groups: 3, bias: false },
  { name: 'mixed: stride (2, 1), dilation (1, 2), 3x2 kernel, pads 1/2/2/0', batch: 2, inHeight: 7, inWidth: 5, kernel: [3, 2],
    stride: [2, 1], dilation: [1, 2], pad: [1, 2, 2, 0], inChannels: 2, outChannels: 2, groups: 1, bias: true },
];

for (const spec of convCases) {
  test(`gradcheck conv2dBackward: ${spec.name}`, (t) => {
    const desc: Conv2dDesc = { ...windowOf(spec), inChannels: spec.inChannels, outChannels: spec.outChannels, groups: spec.groups };
    const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, kernelHeight, kernelWidth, groups } = desc;
    const input = rng.array(batch * inHeight * inWidth * inChannels);
    const weight = rng.array(kernelHeight * kernelWidth * (inChannels / groups) * outChannels);
    const bias = spec.bias ? rng.array(outChannels) : null;
    const gradOutput = rng.array(batch * outHeight * outWidth * outChannels);
    const output = new Float32Array(gradOutput.length);
    const loss = (): number => {
      conv2d(input, weight, bias, output, desc);
      return dot(gradOutput, output);
    };
    const gradInput = new Float32Array(input.length).fill(Number.NaN); // overwritten: NaN must not survive
    const gradWeight = new Float32Array(weight.length);
    const gradBias = bias === null ? null : new Float32Array(outChannels);
    conv2dBackward(input, weight, gradOutput, gradInput, gradWeight, gradBias, desc);
    assertGradient(t, 'gradInput', gradInput, numericGradient(input, loss));
    assertGradient(t, 'gradWeight', gradWeight, numericGradient(weight, loss));
    if (bias !== null) assertGradient(t, 'gradBias', gradBias!, numericGradient(bias, loss));
  });
}

const depthwiseCases: (ConvSpec & { channels: number; multiplier: number; bias: boolean })[] = [
  { name: '3x3 multiplier 2 stride 2 SAME on even size, batch 2', batch: 2, inHeight: 6, inWidth: 6, kernel: [3, 3], stride: [2, 2],
    pad: [0, 1, 0, 1], channels: 3, multiplier: 2, bias: true },
  { name: '3x3 multiplier 1 dilation 2 SAME', batch: 1, inHeight: 7, inWidth: 6, kernel: [3, 3], dilation: [2, 2],
    pad: [2, 2, 2, 2], channels: 4, multiplier: 1, bias: true },
  { name: '2x3 multiplier 3, asymmetric padding 1/0/0/2, stride (1, 2), no bias', batch: 2, inHeight: 4, inWidth: 7, kernel: [2, 3],
    stride: [1, 2], pad: [1, 0, 0, 2], channels: 2, multiplier: 3, bias: false },
];

for (const spec of depthwiseCases) {
  test(`gradcheck depthwiseConv2dBackward: ${spec.name}`, (t) => {
    const desc: DepthwiseConv2dDesc = { ...windowOf(spec), channels: spec.channels, multiplier: spec.multiplier };
    const { batch, inHeight, inWidth, channels, multiplier, outHeight, outWidth, kernelHeight, kernelWidth } = desc;
    const outChannels = channels * multiplier;
    const input = rng.array(batch * inHeight * inWidth * channels);
    const weight = rng.array(kernelHeight * kernelWidth * outChannels);
    const bias = spec.bias ? rng.array(outChannels) : null;
    const gradOutput = rng.array(batch * outHeight * outWidth * outChannels);
    const output = new Float32Array(gradOutput.length);
    const loss = (): number => {
      depthwiseConv2d(input, weight, bias, output, desc);
      return dot(gradOutput, output);
    };
    const gradInput = new Float32Array(input.length).fill(Number.NaN);
    const gradWeight = new Float32Array(weight.length);
    const gradBias = bias === null ? null : new Float32Array(outChannels);
    depthwiseConv2dBackward(input, weight, gradOutput, gradInput, gradWeight, gradBias, desc);
    assertGradient(t, 'gradInput', gradInput, numericGradient(input, loss));
    assertGradient(t, 'gradWeight', gradWeight, numericGradient(weight, loss));
    if (bias !== null) assertGradient(t, 'gradBias', gradBias!, numericGradient(bias, loss));
  });
}

test('gradcheck pointwiseConv2dBackward: 2x3x2 pixels (batch 2), 5 -> 4', (t) => {
  const desc = { pixels: 12, inChannels: 5, outChannels: 4 };
  const input = rng.array(12 * 5);
  const weight = rng.array(5 * 4);
  const bias = rng.array(4);
  const gradOutput = rng.array(12 * 4);
  const output = new Float32Array(gradOutput.length);
  const loss = (): number => {
    pointwiseConv2d(input, weight, bias, output, desc);
    return dot(gradOutput, output);
  };
  const gradInput = new Float32Array(input.length).fill(Number.NaN);
  const gradWeight = new Float32Array(weight.length);
  const gradBias = new Float32Array(4);
  pointwiseConv2dBackward(input, weight, gradOutput, gradInput, gradWeight, gradBias, desc);
  assertGradient(t, 'gradInput', gradInput, numericGradient(input, loss));
  assertGradient(t, 'gradWeight', gradWeight, numericGradient(weight, loss));
  assertGradient(t, 'gradBias', gradBias, numericGradient(bias, loss));
});

test('gradcheck denseBackward: batch 3, 7 -> 5', (t) => {
  const desc = { batch: 3, inFeatures: 7, outFeatures: 5 };
  const input = rng.array(3 * 7);
  const weight = rng.array(7 * 5);
  const bias = rng.array(5);
  const gradOutput = rng.array(3 * 5);
  const output = new Float32Array(gradOutput.length);
  const loss = (): number => {
    dense(input, weight, bias, output, desc);
    return dot(gradOutput, output);
  };
  const gradInput = new Float32Array(input.length).fill(Number.NaN);
  const gradWeight = new Float32Array(weight.length);
  const gradBias = new Float32Array(5);
  denseBackward(input, weight, gradOutput, gradInput, gradWeight, gradBias, desc);
  assertGradient(t, 'gradInput', gradInput, numericGradient(input, loss));
  assertGradient(t, 'gradWeight', gradWeight, numericGradient(weight, loss));
  assertGradient(t, 'gradBias', gradBias, numericGradient(bias, loss));
});

// ---------------------------------------------------------------------------------------------------
for (const [count, channels, epsilon] of [[2 * 3 * 2, 3, 1e-3], [5, 4, 1e-5]] as const) {
  test(`gradcheck batchNormBackward through batch statistics: (count ${count}, C ${channels}), eps ${epsilon}`, (t) => {
    const desc = { count, channels };
    const input = rng.array(count * channels, 2);
    for (let i = 0; i < input.length; i++) input[i] = input[i]! + (i % channels) - 1; // a different mean per channel
    const gamma = rng.array(channels, 1.5);
    const beta = rng.array(channels);
    const params = { gamma, beta, epsilon };
    const saved: BatchNormSaved = { mean: new Float32Array(channels), invStd: new Float32Array(channels) };
    const gradOutput = rng.array(count * channels);
    const output = new Float32Array(input.length);
    const loss = (): number => {
      batchNormTraining(input, output, params, saved, desc);
      return dot(gradOutput, output);
    };
    loss(); // fills saved for the unperturbed input
    const gradInput = new Float32Array(input.length).fill(Number.NaN);
    const gradGamma = new Float32Array(channels);
    const gradBeta = new Float32Array(channels);
    batchNormBackward(input, gradOutput, gradInput, gradGamma, gradBeta, params, saved, desc);
    assertGradient(t, 'gradInput', gradInput, numericGradient(input, loss));
    assertGradient(t, 'gradGamma', gradGamma, numericGradient(gamma, loss));
    assertGradient(t, 'gradBeta', gradBeta, numericGradient(beta, loss));
  });
}

test('batchNormTraining: statistics, normalized output, unbiased variance, in place', () => {
  const count = 6;
  const channels = 2;
  const input = Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60]); // channel 1 = 10 · channel 0
  const saved = { mean: new Float32Array(2), invStd: new Float32Array(2), unbiasedVariance: new Float32Array(2) };
  const params = { gamma: Float32Array.from([1, 2]), beta: Float32Array.from([0, -1]), epsilon: 0 };
  const output = new Float32Array(12);
  batchNormTraining(input, output, params, saved, { count, channels });
  // mean 3.5, biased variance 35/12, unbiased 3.5 (and × 100 for channel 1).
  assert.deepEqual(Array.from(saved.mean), [3.5, 35]);
  assert.deepEqual(Array.from(saved.unbiasedVariance), [3.5, 350]);
  assert.equal(saved.invStd[0], Math.fround(1 / Math.sqrt(35 / 12)));
  assert.equal(saved.invStd[1], Math.fround(1 / Math.sqrt(3500 / 12)));
  for (let row = 0; row < count; row++) {
    const xhat = (row + 1 - 3.5) / Math.sqrt(35 / 12);
    assert.ok(Math.abs(output[row * 2]! - xhat) < 1e-6);
    assert.ok(Math.abs(output[row * 2 + 1]! - (2 * xhat - 1)) < 1e-6);
  }
  const inPlace = input.slice();
  batchNormTraining(inPlace, inPlace, params, { mean: new Float32Array(2), invStd: new Float32Array(2) }, { count, channels });
  assert.deepEqual(inPlace, output);
  assertInvalid(() => batchNormTraining(input.subarray(0, 2), output.subarray(0, 2), params, saved, { count: 1, channels: 2 }),
    /desc\.count = 1/, /at least 2/);
});

test('updateRunningStats: running = decay · running + (1 − decay) · batch (PyTorch momentum 0.1 = decay 0.9)', () => {
  const runningMean = Float32Array.from([0, 1]);
  const runningVar = Float32Array.from([1, 2]);
  updateRunningStats(runningMean, runningVar, Float32Array.from([10, -1]), Float32Array.from([3, 0.5]), 0.9);
  assert.deepEqual(Array.from(runningMean), [1, 0.8].map(Math.fround));
  assert.deepEqual(Array.from(runningVar), [0.9 * 1 + 0.1 * 3, 0.9 * 2 + 0.1 * 0.5].map(Math.fround));
  assertInvalid(() => updateRunningStats(runningMean, runningVar, runningMean.slice(), runningVar.slice(), 1.5), /decay = 1\.5/);
});

// ---------------------------------------------------------------------------------------------------
/** Values in (−8, 8) at least `margin` away from the kinks 0 and 6. */
function awayFromKinks(length: number, margin: number): Float32Array {
  const x = rng.array(length, 8);
  for (let i = 0; i < x.length; i++) {
    for (const kink of [0, 6]) {
      if (Math.abs(x[i]! - kink) < margin) x[i] = kink + (x[i]! < kink ? -margin : margin);
    }
  }
  return x;
}

for (const fn of ['relu', 'relu6', 'linear'] as const satisfies readonly ActivationFn[]) {
  test(`gradcheck activationBackward '${fn}' away from the kinks, from the input and from the output`, (t) => {
    const length = 40;
    const input = awayFromKinks(length, 0.05);
    const gradOutput = rng.array(length);
    const output = new Float32Array(length);
    const loss = (): number => {
      activation(input, output, fn, length);
      return dot(gradOutput, output);
    };
    const numeric = numericGradient(input, loss);
    activation(input, output, fn, length);
    const fromInput = new Float32Array(length).fill(Number.NaN);
    activationBackward(input, gradOutput, fromInput, fn, length);
    assertGradient(t, 'gradInput (x = input)', fromInput, numeric);
    const fromOutput = new Float32Array(length).fill(Number.NaN);
    activationBackward(output, gradOutput, fromOutput, fn, length);
    assert.deepEqual(fromOutput, fromInput);
  });
}

test('activationBackward at the kinks follows PyTorch: 0 at x = 0 (relu, relu6) and x = 6 (relu6); NaN passes', () => {
  const x = Float32Array.from([-1, -0, 0, 1e-30, 3, 5.9999995, 6, 6.0000005, 7, Number.NaN]);
  const g = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const relu = new Float32Array(x.length);
  activationBackward(x, g, relu, 'relu', x.length);
  assert.deepEqual(Array.from(relu), [0, 0, 0, 4, 5, 6, 7, 8, 9, 10]);
  const relu6 = new Float32Array(x.length);
  activationBackward(x, g, relu6, 'relu6', x.length);
  assert.deepEqual(Array.from(relu6), [0, 0, 0, 4, 5, 6, 0, 0, 0, 10]);
  // The outputs give the same masks (x = output: 0 stays 0, 6 and beyond become 6).
  const y = new Float32Array(x.length);
  activation(x, y, 'relu6', x.length);
  const fromOutput = new Float32Array(x.length);
  activationBackward(y, g, fromOutput, 'relu6', x.length);
  assert.deepEqual(fromOutput, relu6);
  // In place on gradOutput.
  const inPlace = g.slice();
  activationBackward(x, inPlace, inPlace, 'relu', x.length);
  assert.deepEqual(inPlace, relu);
});

test('gradcheck addBackward (both inputs) and copies', (t) => {
  const length = 11;
  const a = rng.array(length);
  const b = rng.array(length);
  const gradOutput = rng.array(length);
  const output = new Float32Array(length);
  const loss = (): number => {
    add(a, b, output, length);
    return dot(gradOutput, output);
  };
  const gradA = new Float32Array(length).fill(Number.NaN);
  const gradB = new Float32Array(length).fill(Number.NaN);
  addBackward(gradOutput, gradA, gradB, length);
  assertGradient(t, 'gradA', gradA, numericGradient(a, loss));
  assertGradient(t, 'gradB', gradB, numericGradient(b, loss));
  addBackward(gradOutput, gradOutput, null, length); // aliasing gradOutput is a no-op
  assert.deepEqual(gradA, gradOutput);
});

// ---------------------------------------------------------------------------------------------------
const poolDesc: GlobalPoolDesc = { batch: 2, height: 3, width: 2, channels: 4 };
const poolInputLength = 2 * 3 * 2 * 4;

test('gradcheck globalAvgPoolBackward: batch 2, 3x2, 4 channels', (t) => {
  const input = rng.array(poolInputLength);
  const gradOutput = rng.array(2 * 4);
  const output = new Float32Array(2 * 4);
  const loss = (): number => {
    globalAvgPool(input, output, poolDesc);
    return dot(gradOutput, output);
  };
  const gradInput = new Float32Array(poolInputLength).fill(Number.NaN);
  globalAvgPoolBackward(gradOutput, gradInput, poolDesc);
  assertGradient(t, 'gradInput', gradInput, numericGradient(input, loss));
});

test('gradcheck globalMaxPoolBackward: batch 2, 3x2, 4 channels, distinct values', (t) => {
  // A shuffled ramp: every value at least 0.05 from the next, so ±h never changes the argmax.
  const input = new Float32Array(poolInputLength);
  const order = Array.from({ length: poolInputLength }, (_, i) => i);
  const random = seededRandom(7);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  order.forEach((rank, i) => (input[i] = rank * 0.05 - 1));
  const gradOutput = rng.array(2 * 4);
  const output = new Float32Array(2 * 4);
  const loss = (): number => {
    globalMaxPool(input, output, poolDesc);
    return dot(gradOutput, output);
  };
  const gradInput = new Float32Array(poolInputLength).fill(Number.NaN);
  globalMaxPoolBackward(input, gradOutput, gradInput, poolDesc);
  assertGradient(t, 'gradInput', gradInput, numericGradient(input, loss));
});

test('globalMaxPoolBackward: ties go to the first maximum, NaN to the last NaN (as torch adaptive_max_pool2d)', () => {
  const desc = { batch: 1, height: 2, width: 3, channels: 1 };
  const gradInput = new Float32Array(6);
  globalMaxPoolBackward(Float32Array.from([1, 3, 3, 2, 3, 0]), Float32Array.from([5]), gradInput, desc);
  assert.deepEqual(Array.from(gradInput), [0, 5, 0, 0, 0, 0]);
  globalMaxPoolBackward(Float32Array.from([1, Number.NaN, 3, Number.NaN, 9, 0]), Float32Array.from([5]), gradInput, desc);
  assert.deepEqual(Array.from(gradInput), [0, 0, 0, 5, 0, 0]);
  globalMaxPoolBackward(new Float32Array(6).fill(-Infinity), Float32Array.from([5]), gradInput, desc);
  assert.deepEqual(Array.from(gradInput), [5, 0, 0, 0, 0, 0]);
});

// ---------------------------------------------------------------------------------------------------
test('gradcheck dropoutBackward with a fixed mask (rate 0.3)', (t) => {
  const length = 50;
  const rate = 0.3;
  const input = rng.array(length);
  const gradOutput = rng.array(length);
  const output = new Float32Array(length);
  const mask = new Uint8Array(length);
  const loss = (): number => {
    dropoutForward(input, output, mask, rate, seededRandom(99), length); // same seed: same mask every call
    return dot(gradOutput, output);
  };
  loss();
  const kept = mask.reduce((n, m) => n + m, 0);
  assert.ok(kept > 0 && kept < length, `mask keeps ${kept} of ${length}`);
  const gradInput = new Float32Array(length).fill(Number.NaN);
  dropoutBackward(gradOutput, mask, gradInput, rate, length);
  assertGradient(t, 'gradInput', gradInput, numericGradient(input, loss));
});

test('dropoutForward: keeps 1 − rate of the elements, scales them by 1 / (1 − rate), rate 0 is the identity', () => {
  const length = 20000;
  const rate = 0.2;
  const input = new Float32Array(length).fill(1);
  const output = new Float32Array(length);
  const mask = new Uint8Array(length);
  let calls = 0;
  const random = seededRandom(3);
  dropoutForward(input, output, mask, rate, () => (calls++, random()), length);
  assert.equal(calls, length);
  const kept = mask.reduce((n, m) => n + m, 0);
  assert.ok(Math.abs(kept / length - (1 - rate)) < 0.01, `kept fraction ${kept / length}`);
  for (let i = 0; i < length; i++) assert.equal(output[i], mask[i] ? Math.fround(1 / 0.8) : 0);
  calls = 0;
  const copy = new Float32Array(length);
  dropoutForward(input, copy, mask, 0, () => (calls++, 0), length);
  assert.equal(calls, 0);
  assert.deepEqual(copy, input);
  assert.ok(mask.every((m) => m === 1));
  assertInvalid(() => dropoutForward(input, output, mask, 1.5, random, length), /rate = 1\.5/);
});

// ---------------------------------------------------------------------------------------------------
for (const labelSmoothing of [0, 0.1]) {
  test(`gradcheck softmaxCrossEntropyBackward (mean loss), label smoothing ${labelSmoothing}`, (t) => {
    const desc: SoftmaxCrossEntropyDesc = { rows: 4, cols: 6, labelSmoothing };
    const logits = rng.array(4 * 6, 3);
    const labels = Int32Array.from([0, 5, 2, 2]);
    const rowLoss = new Float32Array(4);
    const probabilities = new Float32Array(4 * 6);
    const loss = (): number => softmaxCrossEntropy(logits, labels, rowLoss, probabilities, desc);
    const mean = loss();
    assert.ok(Math.abs(mean - rowLoss.reduce((a, b) => a + b, 0) / 4) < 1e-6);
    const gradLogits = new Float32Array(logits.length).fill(Number.NaN);
    softmaxCrossEntropyBackward(probabilities, labels, gradLogits, desc);
    assertGradient(t, 'gradLogits', gradLogits, numericGradient(logits, loss));
  });
}

test('softmaxCrossEntropy: value of a hand-computed case, in place, bad labels', () => {
  const desc = { rows: 1, cols: 3, labelSmoothing: 0.3 };
  const logits = Float32Array.from([1, 2, 3]);
  const logZ = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  const logp = [1 - logZ, 2 - logZ, 3 - logZ];
  const expected = -(0.7 * logp[0]! + 0.1 * (logp[0]! + logp[1]! + logp[2]!));
  const rowLoss = new Float32Array(1);
  const probabilities = new Float32Array(3);
  assert.ok(Math.abs(softmaxCrossEntropy(logits, Int32Array.from([0]), rowLoss, probabilities, desc) - expected) < 1e-12);
  const inPlace = logits.slice();
  softmaxCrossEntropy(inPlace, Int32Array.from([0]), rowLoss, inPlace, desc);
  assert.deepEqual(inPlace, probabilities);
  assertInvalid(() => softmaxCrossEntropy(logits, Int32Array.from([3]), rowLoss, probabilities, desc), /labels\[0\] = 3/, /\[0, 2\]/);
});

// ---------------------------------------------------------------------------------------------------
test('parameter gradients accumulate: two half batches add up to the whole batch; null skips', () => {
  const spec = convCases[0]!;
  const desc: Conv2dDesc = { ...windowOf(spec), inChannels: spec.inChannels, outChannels: spec.outChannels, groups: 1 };
  const half: Conv2dDesc = { ...desc, batch: 1 };
  const inputLength = desc.inHeight * desc.inWidth * desc.inChannels; // one sample
  const outputLength = desc.outHeight * desc.outWidth * desc.outChannels;
  const input = rng.array(2 * inputLength);
  const weight = rng.array(3 * 3 * 3 * 4);
  const gradOutput = rng.array(2 * outputLength);
  const wholeWeight = new Float32Array(weight.length);
  const wholeBias = new Float32Array(4);
  conv2dBackward(input, weight, gradOutput, null, wholeWeight, wholeBias, desc);
  const splitWeight = new Float32Array(weight.length);
  const splitBias = new Float32Array(4);
  for (let n = 0; n < 2; n++) {
    conv2dBackward(input.subarray(n * inputLength, (n + 1) * inputLength), weight,
      gradOutput.subarray(n * outputLength, (n + 1) * outputLength), null, splitWeight, splitBias, half);
  }
  for (let i = 0; i < weight.length; i++) assert.ok(Math.abs(splitWeight[i]! - wholeWeight[i]!) < 1e-5, `gradWeight[${i}]`);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(splitBias[i]! - wholeBias[i]!) < 1e-5, `gradBias[${i}]`);
  conv2dBackward(input, weight, gradOutput, null, null, null, desc); // nothing requested: a no-op
  assertInvalid(() => conv2dBackward(input, weight, gradOutput, input, null, null, desc), /gradInput overlaps input/);
  assertInvalid(() => conv2dBackward(input, weight, gradOutput, null, wholeWeight, wholeWeight.subarray(0, 4), desc),
    /gradWeight overlaps gradBias/);
});

// ---------------------------------------------------------------------------------------------------
// Random geometries ('SAME' and random explicit padding, strides 1–3, dilations 1–2, kernels up to
// 4×4, groups, multipliers), checked two cheap ways instead of by finite differences:
// - the adjoint identity: conv is linear in x and in w, so with no bias
//   Σ g · conv(x, w) = Σ gradInput · x = Σ gradWeight · w exactly (up to rounding);
// - the guard band: run on views of one NaN-fenced arena, the backward kernels must read only their
//   ranges (an over-read poisons a result with NaN) and write only gradInput's (runGuarded).
const GEOMETRY_TRIALS = 40;

function dot64(a: Float32Array, b: Float32Array): { value: number; scale: number } {
  let value = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    value += a[i]! * b[i]!;
    scale += Math.abs(a[i]! * b[i]!);
  }
  return { value, scale };
}

function assertAdjoint(label: string, loss: { value: number; scale: number }, other: { value: number; scale: number }): void {
  const bound = 1e-6 * Math.max(1, loss.scale, other.scale);
  assert.ok(Math.abs(loss.value - other.value) <= bound, `${label}: Σ g·y = ${loss.value} but ${other.value} (bound ${bound})`);
}

test('conv2dBackward on random geometries: adjoint identity and guard band', () => {
  const random = new Random(2024);
  for (let trial = 0; trial < GEOMETRY_TRIALS; trial++) {
    const { padBottom: _b, padRight: _r, ...window } = randomGeometry(random);
    const groups = random.int(1, 3);
    const [inChannels, outChannels] = [groups * random.int(1, 3), groups * random.int(1, 3)];
    const desc: Conv2dDesc = { ...window, inChannels, outChannels, groups };
    const label = `trial ${trial} ${JSON.stringify(desc)}`;
    const input = random.array(desc.batch * desc.inHeight * desc.inWidth * inChannels);
    const weight = random.array(desc.kernelHeight * desc.kernelWidth * (inChannels / groups) * outChannels);
    const gradOutput = random.array(desc.batch * desc.outHeight * desc.outWidth * outChannels);
    const output = new Float32Array(gradOutput.length);
    conv2d(input, weight, null, output, desc);
    const gradInput = new Float32Array(input.length);
    const gradWeight = new Float32Array(weight.length);
    const gradBias = new Float32Array(outChannels);
    conv2dBackward(input, weight, gradOutput, gradInput, gradWeight, gradBias, desc);
    const loss = dot64(gradOutput, output);
    assertAdjoint(`${label} gradInput`, loss, dot64(gradInput, input));
    assertAdjoint(`${label} gradWeight`, loss, dot64(gradWeight, weight));
    runGuarded(label, [input, weight, gradOutput], { length: gradInput.length }, gradInput, ([x, w, g], out) => {
      const guardedWeight = new Float32Array(weight.length);
      const guardedBias = new Float32Array(outChannels);
      conv2dBackward(x!, w!, g!, out, guardedWeight, guardedBias, desc);
      assert.deepEqual(bits(guardedWeight), bits(gradWeight), `${label}: gradWeight on guarded views`);
      assert.deepEqual(bits(guardedBias), bits(gradBias), `${label}: gradBias on guarded views`);
    });
  }
});

test('depthwiseConv2dBackward on random geometries: adjoint identity and guard band', () => {
  const random = new Random(4048);
  for (let trial = 0; trial < GEOMETRY_TRIALS; trial++) {
    const { padBottom: _b, padRight: _r, ...window } = randomGeometry(random);
    const desc: DepthwiseConv2dDesc = { ...window, channels: random.int(1, 4), multiplier: random.int(1, 3) };
    const label = `trial ${trial} ${JSON.stringify(desc)}`;
    const outChannels = desc.channels * desc.multiplier;
    const input = random.array(desc.batch * desc.inHeight * desc.inWidth * desc.channels);
    const weight = random.array(desc.kernelHeight * desc.kernelWidth * outChannels);
    const gradOutput = random.array(desc.batch * desc.outHeight * desc.outWidth * outChannels);
    const output = new Float32Array(gradOutput.length);
    depthwiseConv2d(input, weight, null, output, desc);
    const gradInput = new Float32Array(input.length);
    const gradWeight = new Float32Array(weight.length);
    depthwiseConv2dBackward(input, weight, gradOutput, gradInput, gradWeight, null, desc);
    const loss = dot64(gradOutput, output);
    assertAdjoint(`${label} gradInput`, loss, dot64(gradInput, input));
    assertAdjoint(`${label} gradWeight`, loss, dot64(gradWeight, weight));
    runGuarded(label, [input, weight, gradOutput], { length: gradInput.length }, gradInput, ([x, w, g], out) => {
      const guardedWeight = new Float32Array(weight.length);
      depthwiseConv2dBackward(x!, w!, g!, out, guardedWeight, null, desc);
      assert.deepEqual(bits(guardedWeight), bits(gradWeight), `${label}: gradWeight on guarded views`);
    });
  }
});

test('backward kernels reject bad arguments before writing anything', () => {
  const desc: Conv2dDesc = {
    batch: 1, inHeight: 4, inWidth: 4, inChannels: 2, outHeight: 4, outWidth: 4, outChannels: 2,
    kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1,
    padTop: 1, padLeft: 1, groups: 1,
  };
  const input = new Float32Array(32);
  const weight = new Float32Array(36);
  const gradOutput = new Float32Array(32);
  const gradInput = new Float32Array(32).fill(7);
  const gradWeight = new Float32Array(36).fill(7);
  assertInvalid(() => conv2dBackward(input, weight, gradOutput, gradInput, gradWeight, null, { ...desc, strideHeight: 0 }),
    /conv2dBackward/, /desc\.strideHeight = 0/);
  assertInvalid(() => conv2dBackward(input, weight, gradOutput.subarray(1), gradInput, gradWeight, null, desc), /gradOutput has 31 elements/);
  assertInvalid(() => conv2dBackward(input, weight, gradOutput, gradInput, new Float32Array(35), null, desc), /gradWeight has 35 elements/);
  assertInvalid(() => depthwiseConv2dBackward(input, weight, gradOutput, gradInput, null, null,
    { ...desc, channels: 2, multiplier: 1, padLeft: -1 } as DepthwiseConv2dDesc), /desc\.padLeft = -1/);
  assertInvalid(() => denseBackward(input, weight, gradOutput, gradInput, null, null, { batch: 2, inFeatures: 16, outFeatures: 3 }),
    /denseBackward/, /weight has 36 elements, expected at least 48/);
  assertInvalid(() => pointwiseConv2dBackward(input, weight, gradOutput, gradOutput, null, null, { pixels: 16, inChannels: 2, outChannels: 2 }),
    /gradInput overlaps gradOutput/);
  assert.ok(gradInput.every((v) => v === 7) && gradWeight.every((v) => v === 7), 'a gradient was written before validation failed');

  const saved = { mean: new Float32Array(2), invStd: new Float32Array(2) };
  const params = { gamma: new Float32Array(2), beta: new Float32Array(2), epsilon: 1e-3 };
  assertInvalid(() => batchNormTraining(input, input, { ...params, epsilon: -1 }, saved, { count: 16, channels: 2 }), /params\.epsilon = -1/);
  assertInvalid(() => batchNormTraining(input, input, params, { mean: input.subarray(0, 2), invStd: saved.invStd }, { count: 16, channels: 2 }),
    /overlaps/);
  assertInvalid(() => batchNormBackward(input, gradOutput, gradInput, gradOutput.subarray(0, 2), null, params, saved, { count: 16, channels: 2 }),
    /gradGamma overlaps gradOutput/);
  assertInvalid(() => activationBackward(input, gradOutput, gradInput, 'gelu' as ActivationFn, 32), /fn = "gelu"/);
  assertInvalid(() => dropoutBackward(gradOutput, new Float32Array(32) as unknown as Uint8Array, gradInput, 0.5, 32), /mask is Float32Array/);
  assertInvalid(() => globalMaxPoolBackward(input, gradOutput, input, { batch: 1, height: 4, width: 4, channels: 2 }), /overlaps input/);
  assertInvalid(() => softmaxCrossEntropyBackward(input, Int32Array.from([0, 1]), gradInput, { rows: 2, cols: 16, labelSmoothing: -0.1 }),
    /labelSmoothing = -0\.1/);
  assertInvalid(() => softmaxCrossEntropy(input, new Int32Array(1), new Float32Array(2), gradInput, { rows: 2, cols: 16, labelSmoothing: 0 }),
    /labels has 1 elements/);
  assert.ok(gradInput.every((v) => v === 7), 'gradInput was written before validation failed');
});

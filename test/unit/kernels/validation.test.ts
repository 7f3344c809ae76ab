/**
 * Descriptor validation: a bad descriptor or a too-short buffer must throw
 * MobileNetError('INVALID_ARGUMENT') naming the bad value, before anything is written.
 */
import assert from 'node:assert/strict';
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
  type BatchNormParams,
  type Conv2dDesc,
  type DepthwiseConv2dDesc,
} from '../../../src/kernels/ref/index.js';
import { assertInvalid } from './support.js';

/** 1×5×5×6 input, 3×3 kernel, 'SAME' stride 1, groups 2 → 1×5×5×4. */
const convDesc: Conv2dDesc = {
  batch: 1, inHeight: 5, inWidth: 5, inChannels: 6, outHeight: 5, outWidth: 5, outChannels: 4,
  kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1,
  padTop: 1, padLeft: 1, groups: 2,
};
interface ConvBuffers {
  input: Float32Array; // (1, 5, 5, 6)
  weight: Float32Array; // (3, 3, 3, 4)
  bias: Float32Array; // (4)
  output: Float32Array; // (1, 5, 5, 4)
}
const convBuffers = (): ConvBuffers => ({
  input: new Float32Array(1 * 5 * 5 * 6),
  weight: new Float32Array(3 * 3 * 3 * 4),
  bias: new Float32Array(4),
  output: new Float32Array(1 * 5 * 5 * 4).fill(7),
});

/** Calls conv2d with one descriptor field or buffer replaced, and checks the output was not touched. */
function convWith(change: Partial<Record<keyof Conv2dDesc, unknown>>, buffers = convBuffers()): () => void {
  return () => {
    try {
      conv2d(buffers.input, buffers.weight, buffers.bias, buffers.output, { ...convDesc, ...change } as Conv2dDesc);
    } finally {
      assert.ok(buffers.output.every((v) => v === 7), 'output was written before validation failed');
    }
  };
}

test('conv2d accepts the valid baseline descriptor', () => {
  const b = convBuffers();
  conv2d(b.input, b.weight, b.bias, b.output, convDesc);
  conv2d(b.input, b.weight, null, b.output, convDesc);
});

test('conv2d rejects non-positive, fractional and missing sizes, naming the field', () => {
  assertInvalid(convWith({ batch: 0 }), /^conv2d: desc\.batch = 0, expected a positive integer$/);
  assertInvalid(convWith({ inHeight: -5 }), /desc\.inHeight = -5/);
  assertInvalid(convWith({ strideHeight: 1.5 }), /desc\.strideHeight = 1\.5/);
  assertInvalid(convWith({ dilationWidth: undefined }), /desc\.dilationWidth = undefined/);
  assertInvalid(convWith({ kernelWidth: Number.NaN }), /desc\.kernelWidth = NaN/);
  assertInvalid(convWith({ groups: '2' }), /desc\.groups = "2", expected a positive integer/);
  assertInvalid(convWith({ padTop: -1 }), /desc\.padTop = -1, expected a non-negative integer/);
  assertInvalid(convWith({ padLeft: 0.5 }), /desc\.padLeft = 0\.5/);
});

test('conv2d rejects channel counts not divisible by groups', () => {
  assertInvalid(convWith({ groups: 4 }), /desc\.inChannels = 6 is not divisible by desc\.groups = 4/);
  assertInvalid(convWith({ groups: 3 }), /desc\.outChannels = 4 is not divisible by desc\.groups = 3/);
});

test('conv2d rejects buffers shorter than the descriptor implies, naming the shape', () => {
  const short = (key: 'input' | 'weight' | 'bias' | 'output', length: number) => ({ ...convBuffers(), [key]: new Float32Array(length).fill(7) });
  assertInvalid(convWith({}, short('input', 149)), /input has 149 elements, expected at least 150 for shape \(N=1, H=5, W=5, C=6\)/);
  assertInvalid(convWith({}, short('weight', 107)), /weight has 107 elements, expected at least 108 for shape \(kh=3, kw=3, Cin\/groups=3, Cout=4\)/);
  assertInvalid(convWith({}, short('bias', 3)), /bias has 3 elements, expected at least 4/);
  assertInvalid(convWith({}, short('output', 99)), /output has 99 elements, expected at least 100/);
  // A descriptor that claims more than the buffers hold is the same error seen from the other side.
  assertInvalid(convWith({ outHeight: 6 }), /output has 100 elements, expected at least 120/);
  assertInvalid(convWith({ kernelHeight: 4 }), /weight has 108 elements, expected at least 144/);
});

test('conv2d rejects arrays that are not Float32Array', () => {
  const b = convBuffers();
  // @ts-expect-error deliberately the wrong array type, as an untyped JavaScript caller could pass
  assertInvalid(() => conv2d(new Float64Array(150), b.weight, b.bias, b.output, convDesc), /input is Float64Array, expected a Float32Array/);
  // @ts-expect-error likewise a plain array
  assertInvalid(() => conv2d(b.input, Array.from(b.weight), b.bias, b.output, convDesc), /weight is Array, expected a Float32Array/);
});

test('conv2d refuses an output that overlaps an input but accepts neighbours in one buffer', () => {
  const arena = new Float32Array(150 + 108 + 4 + 100);
  const input = arena.subarray(0, 150);
  const weight = arena.subarray(150, 258);
  const bias = arena.subarray(258, 262);
  conv2d(input, weight, bias, arena.subarray(262), convDesc); // adjacent, not overlapping: fine
  assertInvalid(() => conv2d(input, weight, bias, arena.subarray(100, 200), convDesc), /output overlaps input/);
  assertInvalid(() => conv2d(input, weight, bias, arena.subarray(257, 357), convDesc), /output overlaps weight/);
  assertInvalid(() => conv2d(input, weight, bias, arena.subarray(261, 361), convDesc), /output overlaps bias/);
});

test('depthwiseConv2d validates its descriptor and buffers', () => {
  const desc: DepthwiseConv2dDesc = {
    batch: 2, inHeight: 4, inWidth: 4, channels: 3, multiplier: 2, outHeight: 2, outWidth: 2,
    kernelHeight: 3, kernelWidth: 3, strideHeight: 2, strideWidth: 2, dilationHeight: 1, dilationWidth: 1, padTop: 0, padLeft: 0,
  };
  const input = new Float32Array(2 * 4 * 4 * 3);
  const weight = new Float32Array(3 * 3 * 3 * 2);
  const output = new Float32Array(2 * 2 * 2 * 6);
  depthwiseConv2d(input, weight, null, output, desc);
  assertInvalid(() => depthwiseConv2d(input, weight, null, output, { ...desc, multiplier: 0 }), /^depthwiseConv2d: desc\.multiplier = 0/);
  assertInvalid(() => depthwiseConv2d(input, weight.subarray(1), null, output, desc), /weight has 53 elements, expected at least 54 for shape \(kh=3, kw=3, C=3, multiplier=2\)/);
  assertInvalid(() => depthwiseConv2d(input, weight, new Float32Array(5), output, desc), /bias has 5 elements, expected at least 6/);
  assertInvalid(() => depthwiseConv2d(input, weight, null, output, { ...desc, batch: 3 }), /input has 96 elements, expected at least 144/);
  assertInvalid(() => depthwiseConv2d(input, weight, null, input, { ...desc }), /output overlaps input/);
});

test('pointwiseConv2d and dense validate their descriptors and buffers', () => {
  const input = new Float32Array(6 * 4);
  const weight = new Float32Array(4 * 5);
  const output = new Float32Array(6 * 5);
  pointwiseConv2d(input, weight, null, output, { pixels: 6, inChannels: 4, outChannels: 5 });
  dense(input, weight, null, output, { batch: 6, inFeatures: 4, outFeatures: 5 });
  assertInvalid(() => pointwiseConv2d(input, weight, null, output, { pixels: 6, inChannels: 4, outChannels: 6 }), /^pointwiseConv2d: weight has 20 elements, expected at least 24 for shape \(Cin=4, Cout=6\)/);
  assertInvalid(() => pointwiseConv2d(input, weight, null, output, { pixels: 0, inChannels: 4, outChannels: 5 }), /desc\.pixels = 0/);
  assertInvalid(() => dense(input, weight, null, output, { batch: 7, inFeatures: 4, outFeatures: 5 }), /^dense: input has 24 elements, expected at least 28 for shape \(N=7, in=4\)/);
  assertInvalid(() => dense(input, weight, new Float32Array(4), output, { batch: 6, inFeatures: 4, outFeatures: 5 }), /bias has 4 elements, expected at least 5/);
  assertInvalid(() => dense(input, weight, null, weight, { batch: 4, inFeatures: 4, outFeatures: 5 }), /output overlaps weight/);
});

test('batchNormInference validates epsilon, parameter lengths and overlap', () => {
  const params = (): BatchNormParams => ({
    mean: new Float32Array(3), variance: new Float32Array(3).fill(1), gamma: new Float32Array(3), beta: new Float32Array(3), epsilon: 1e-3,
  });
  const data = new Float32Array(12);
  batchNormInference(data, data, params(), { count: 4, channels: 3 });
  assertInvalid(() => batchNormInference(data, data, { ...params(), epsilon: -1 }, { count: 4, channels: 3 }), /params\.epsilon = -1, expected a finite number ≥ 0/);
  assertInvalid(() => batchNormInference(data, data, { ...params(), epsilon: Number.NaN }, { count: 4, channels: 3 }), /params\.epsilon = NaN/);
  assertInvalid(() => batchNormInference(data, data, { ...params(), gamma: new Float32Array(2) }, { count: 4, channels: 3 }), /params\.gamma has 2 elements, expected at least 3/);
  assertInvalid(() => batchNormInference(data, data, params(), { count: 4, channels: 4 }), /input has 12 elements, expected at least 16/);
  assertInvalid(() => batchNormInference(data, data, params(), { count: 4, channels: 0 }), /desc\.channels = 0/);
  const arena = new Float32Array(20);
  assertInvalid(() => batchNormInference(arena.subarray(0, 12), arena.subarray(3, 15), params(), { count: 4, channels: 3 }), /output partially overlaps input/);
  const p = params();
  assertInvalid(() => batchNormInference(data, p.mean, { ...p }, { count: 1, channels: 3 }), /output overlaps params\.mean/);
});

test('activation validates fn, length and overlap', () => {
  const data = new Float32Array(8);
  assertInvalid(() => activation(data, data, 'gelu' as ActivationFn, 8), /^activation: fn = "gelu", expected one of 'linear', 'relu', 'relu6'$/);
  assertInvalid(() => activation(data, data, 'relu', 0), /length = 0, expected a positive integer/);
  assertInvalid(() => activation(data, data, 'relu', 9), /input has 8 elements, expected at least 9/);
  assertInvalid(() => activation(data.subarray(0, 6), data.subarray(1, 7), 'relu', 6), /output partially overlaps input/);
});

test('add validates length and overlap with either operand', () => {
  const [a, b] = [new Float32Array(5), new Float32Array(5)];
  assertInvalid(() => add(a, b, a, 2.5), /^add: length = 2\.5/);
  assertInvalid(() => add(a, b.subarray(1), a, 5), /b has 4 elements, expected at least 5/);
  const arena = new Float32Array(10);
  assertInvalid(() => add(a, arena.subarray(0, 5), arena.subarray(2, 7), 5), /output partially overlaps b/);
});

test('global pools and softmax validate their descriptors', () => {
  const input = new Float32Array(2 * 3 * 3 * 4);
  const output = new Float32Array(8);
  for (const [name, pool] of [['globalAvgPool', globalAvgPool], ['globalMaxPool', globalMaxPool]] as const) {
    pool(input, output, { batch: 2, height: 3, width: 3, channels: 4 });
    assertInvalid(() => pool(input, output, { batch: 2, height: 3, width: 3, channels: 0 }), new RegExp(`^${name}: desc\\.channels = 0`));
    assertInvalid(() => pool(input, output, { batch: 2, height: 3, width: 4, channels: 4 }), /input has 72 elements, expected at least 96/);
    assertInvalid(() => pool(input, output.subarray(1), { batch: 2, height: 3, width: 3, channels: 4 }), /output has 7 elements, expected at least 8/);
    assertInvalid(() => pool(input, input, { batch: 2, height: 3, width: 3, channels: 4 }), /output overlaps input/);
  }
  assertInvalid(() => softmax(input, input, { rows: 1.5, cols: 4 }), /^softmax: desc\.rows = 1\.5/);
  assertInvalid(() => softmax(input, output, { rows: 3, cols: 4 }), /output has 8 elements, expected at least 12/);
  assertInvalid(() => softmax(input, input.subarray(2), { rows: 2, cols: 4 }), /output partially overlaps input/);
});

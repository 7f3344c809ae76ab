/**
 * The conv2dDirect WebAssembly kernel (plain and relaxed SIMD) against the reference conv2d (+ the
 * reference activation): randomized kernels 1…5, strides, dilations and paddings, few input channels
 * (1…5) and, in a third of the trials, many (6…64: the engine runs every groups = 1 convolution here,
 * MobileNetV1's full 3×3 layers included), output channel counts 1…37, row sub-ranges covering the
 * output, band outputs (output = band − r0·rowBytes, wrapping below 0), each clamp, NaN and ±Infinity
 * in the input, MobileNet's stem and wide full convolutions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convOutputSize, samePadding } from '../../../src/kernels/ref/index.js';
import { conv2dDirectBiasOffset, conv2dDirectPackedLength, packConv2dDirect, writeConv2dDirectDesc } from '../../../src/kernels/wasm/conv2dDirect.js';
import { runConv2dDirect, type Conv2dDirectCase } from './cases/conv2dDirect.js';
import { CLAMPS, Random, randomChunks, VARIANTS } from './support.js';

function randomAxis(rng: Random, size: number, kernel: number, stride: number, dilation: number): { pad: number; out: number } | null {
  const extent = (kernel - 1) * dilation + 1;
  if (rng.int(0, 1) === 0) {
    const same = samePadding(size, kernel, stride, dilation);
    return { pad: same.before, out: same.out };
  }
  const before = rng.int(0, extent - 1);
  const after = rng.int(0, extent - 1);
  if (size + before + after < extent) return null;
  return { pad: before, out: convOutputSize(size, kernel, stride, dilation, before, after) };
}

function randomCase(rng: Random): Conv2dDirectCase {
  for (;;) {
    const inHeight = rng.int(1, 15);
    const inWidth = rng.int(1, 15);
    const kernelH = rng.pick([1, 2, 3, 3, 5]);
    const kernelW = rng.pick([1, 2, 3, 3, 5]);
    const strideH = rng.int(1, 2);
    const strideW = rng.int(1, 2);
    const dilationH = rng.pick([1, 1, 2]);
    const dilationW = rng.pick([1, 1, 2]);
    const h = randomAxis(rng, inHeight, kernelH, strideH, dilationH);
    const w = randomAxis(rng, inWidth, kernelW, strideW, dilationW);
    if (h === null || w === null) continue;
    return {
      inHeight, inWidth, inChannels: rng.int(1, 3) === 1 ? rng.int(6, 64) : rng.int(1, 5), outChannels: rng.int(1, 37), kernelH, kernelW,
      strideH, strideW, dilationH, dilationW, padTop: h.pad, padLeft: w.pad, outHeight: h.out, outWidth: w.out, clamp: rng.pick(CLAMPS),
      bias: rng.int(1, 5) !== 1, rowChunks: randomChunks(rng, h.out, 4), bandOutput: rng.int(1, 4) === 1,
    };
  }
}

for (const variant of VARIANTS) {
  test(`conv2dDirect (${variant}) matches the reference on randomized geometries and row ranges`, () => {
    const rng = new Random(variant === 'simd' ? 31 : 32);
    let wrapped = 0;
    for (let trial = 0; trial < 120; trial++) wrapped += runConv2dDirect(variant, randomCase(rng), 6000 + trial).wrapped;
    assert.ok(wrapped > 0, 'no band output base wrapped around');
  });

  test(`conv2dDirect (${variant}) passes NaN and ±Infinity in the input through like the reference (ReLU6 and other clamps)`, () => {
    // NaN passes the clamp (f32x4.pmin/pmax are comparisons, false for NaN, in both binaries: neither
    // uses relaxed min/max), ±Infinity clamps to the bounds.
    const rng = new Random(variant === 'simd' ? 33 : 34);
    let nanOutputs = 0;
    for (let trial = 0; trial < 24; trial++) {
      const base = randomCase(rng);
      const c = { ...base, inChannels: rng.int(1, 8), clamp: trial % 3 === 2 ? base.clamp : CLAMPS[2]!, nonFinite: true };
      nanOutputs += runConv2dDirect(variant, c, 6500 + trial).nanOutputs;
    }
    assert.ok(nanOutputs > 0, 'no output was NaN');
  });

  test(`conv2dDirect (${variant}) with many input channels (MobileNetV1's full 3×3 convolutions)`, () => {
    const relu6 = CLAMPS[2]!;
    const h = samePadding(9, 3, 2, 1);
    const w = samePadding(11, 3, 2, 1);
    const same14 = samePadding(14, 3, 1, 1);
    const cases: Conv2dDirectCase[] = [
      // odd sizes, SAME stride 2 (pad 1/1 on 9 and 11), Cout 45 = 2 panels of 16 + 13
      { inHeight: 9, inWidth: 11, inChannels: 37, outChannels: 45, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1,
        padTop: h.before, padLeft: w.before, outHeight: h.out, outWidth: w.out, clamp: relu6, bias: true, rowChunks: [[0, 2], [2, h.out]] },
      // dilation 2, explicit padding 2 top / 1 bottom, 1 left / 2 right, band outputs
      { inHeight: 7, inWidth: 7, inChannels: 64, outChannels: 19, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, dilationH: 2, dilationW: 2,
        padTop: 2, padLeft: 1, outHeight: convOutputSize(7, 3, 1, 2, 2, 1), outWidth: convOutputSize(7, 3, 1, 2, 1, 2), clamp: CLAMPS[3]!, bias: true,
        rowChunks: [[0, 1], [1, 4], [4, 6]], bandOutput: true },
      // a 14×14×256 → 256 layer, as two threads' row chunks
      { inHeight: 14, inWidth: 14, inChannels: 256, outChannels: 256, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
        padTop: same14.before, padLeft: same14.before, outHeight: same14.out, outWidth: same14.out, clamp: relu6, bias: true, rowChunks: [[0, 7], [7, 14]] },
    ];
    assert.equal(cases[1]!.outHeight, 6);
    cases.forEach((c, i) => runConv2dDirect(variant, c, 8200 + i));
  });

  test(`conv2dDirect (${variant}) on MobileNet stems`, () => {
    const relu6 = CLAMPS[2]!;
    const stem = (size: number, outChannels: number, chunks: number): Conv2dDirectCase => {
      const same = samePadding(size, 3, 2, 1);
      const rowChunks: Array<[number, number]> = [];
      for (let i = 0; i < chunks; i++) rowChunks.push([Math.floor((i * same.out) / chunks), Math.floor(((i + 1) * same.out) / chunks)]);
      return {
        inHeight: size, inWidth: size, inChannels: 3, outChannels, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1,
        padTop: same.before, padLeft: same.before, outHeight: same.out, outWidth: same.out, clamp: relu6, bias: true, rowChunks,
      };
    };
    [stem(224, 32, 2), stem(96, 16, 3), stem(129, 24, 1), stem(160, 48, 2)].forEach((c, i) => runConv2dDirect(variant, c, 8000 + i));
    // torchvision's symmetric padding 1 on 224 (output 112, the bottom row's last tap reads row 224 = padding)
    runConv2dDirect(variant, {
      inHeight: 224, inWidth: 224, inChannels: 3, outChannels: 32, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1,
      padTop: 1, padLeft: 1, outHeight: 112, outWidth: 112, clamp: relu6, bias: true, rowChunks: [[0, 57], [57, 112]],
    }, 8100);
  });
}

test('packConv2dDirect pads output channels to 8 and appends the bias', () => {
  const [KH, KW, CI, CO] = [2, 1, 3, 5];
  const weight = Float32Array.from({ length: KH * KW * CI * CO }, (_, i) => i + 1);
  const bias = Float32Array.from({ length: CO }, (_, i) => -(i + 1));
  const packed = packConv2dDirect(weight, bias, KH, KW, CI, CO);
  assert.equal(packed.length, conv2dDirectPackedLength(KH, KW, CI, CO));
  assert.equal(packed.length, (KH * KW * CI + 1) * 8);
  for (let r = 0; r < KH * KW * CI; r++) {
    for (let o = 0; o < 8; o++) assert.equal(packed[r * 8 + o], o < CO ? weight[r * CO + o] : 0);
  }
  assert.deepEqual(Array.from(packed.subarray(conv2dDirectBiasOffset(KH, KW, CI, CO))), [-1, -2, -3, -4, -5, 0, 0, 0]);
});

test('writeConv2dDirectDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(256));
  const good = {
    input: 16, weights: 32, bias: 48, output: 64, inHeight: 8, inWidth: 8, inChannels: 3, outChannels: 16, kernelH: 3, kernelW: 3,
    strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, outHeight: 4, outWidth: 4, rowStart: 0, rowEnd: 4,
    clampMin: 0, clampMax: 6,
  };
  writeConv2dDirectDesc(view, 0, good);
  assert.equal(view.getInt32(76, true), 4);
  assert.throws(() => writeConv2dDirectDesc(view, 0, { ...good, rowStart: 5 }), /rowStart ≤ rowEnd/);
  assert.throws(() => writeConv2dDirectDesc(view, 0, { ...good, kernelW: 0 }), /kernelW = 0/);
  assert.throws(() => writeConv2dDirectDesc(view, 0, { ...good, clampMax: Number.NaN }), /clampMin ≤ clampMax/);
});

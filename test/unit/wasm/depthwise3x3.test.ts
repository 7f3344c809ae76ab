/**
 * The depthwise3x3 WebAssembly kernel (plain and relaxed SIMD) against the reference depthwiseConv2d
 * (+ the reference activation): randomized geometries (odd sizes, strides 1 to 4, dilation 1, 2 and 4,
 * SAME asymmetric, symmetric and explicit padding up to 2·dilation before), channel counts 1…37,
 * strided pixels, row sub-ranges covering the output, band inputs (inputRowBase), band outputs
 * (output = band − r0·rowBytes, wrapping below 0), each clamp, NaN and ±Infinity in the input,
 * interior rows that no kernel row reaches, and MobileNetV2's layers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convOutputSize, samePadding } from '../../../src/kernels/ref/index.js';
import { depthwise3x3PackedLength, packDepthwise3x3, writeDepthwise3x3Desc } from '../../../src/kernels/wasm/depthwise3x3.js';
import { runDepthwise3x3, type Depthwise3x3Case } from './cases/depthwise3x3.js';
import { CLAMPS, Random, randomChunks, VARIANTS } from './support.js';

interface AxisGeometry {
  readonly pad: number;
  readonly out: number;
}

/** One spatial axis: SAME (asymmetric when odd), symmetric (pad = dilation), or explicit random padding (0…2·dilation on each side). */
function randomAxis(rng: Random, size: number, stride: number, dilation: number): AxisGeometry | null {
  const extent = 2 * dilation + 1;
  switch (rng.int(0, 2)) {
    case 0: {
      const same = samePadding(size, 3, stride, dilation);
      return { pad: same.before, out: same.out };
    }
    case 1:
      return { pad: dilation, out: convOutputSize(size, 3, stride, dilation, dilation, dilation) };
    default: {
      const before = rng.int(0, extent - 1);
      const after = rng.int(0, extent - 1);
      if (size + before + after < extent) return null;
      return { pad: before, out: convOutputSize(size, 3, stride, dilation, before, after) };
    }
  }
}

function randomCase(rng: Random): Depthwise3x3Case {
  for (;;) {
    const inHeight = rng.int(1, 13);
    const inWidth = rng.int(1, 13);
    const strideH = rng.pick([1, 1, 2, 2, 3, 4]);
    const strideW = rng.pick([1, 1, 2, 2, 3, 4]);
    const dilationH = rng.pick([1, 1, 2, 4]);
    const dilationW = rng.pick([1, 1, 2, 4]);
    const h = randomAxis(rng, inHeight, strideH, dilationH);
    const w = randomAxis(rng, inWidth, strideW, dilationW);
    if (h === null || w === null) continue;
    const channels = rng.int(1, 37);
    return {
      inHeight, inWidth, channels,
      inStride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
      outStride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
      strideH, strideW, dilationH, dilationW, padTop: h.pad, padLeft: w.pad, outHeight: h.out, outWidth: w.out,
      clamp: rng.pick(CLAMPS), bias: rng.int(1, 5) !== 1, rowChunks: randomChunks(rng, h.out, 4), band: rng.int(0, 1) === 1,
      bandOutput: rng.int(1, 4) === 1,
    };
  }
}

for (const variant of VARIANTS) {
  test(`depthwise3x3 (${variant}) matches the reference on randomized geometries and row ranges`, () => {
    const rng = new Random(variant === 'simd' ? 11 : 22);
    let wrapped = 0;
    for (let trial = 0; trial < 150; trial++) wrapped += runDepthwise3x3(variant, randomCase(rng), 2000 + trial).wrapped;
    assert.ok(wrapped > 0, 'no band output base wrapped around');
  });

  test(`depthwise3x3 (${variant}) passes NaN and ±Infinity in the input through like the reference (ReLU6 and other clamps)`, () => {
    // NaN passes the clamp (f32x4.pmin/pmax are comparisons, false for NaN, in both binaries: neither
    // uses relaxed min/max), ±Infinity clamps to the bounds.
    const rng = new Random(variant === 'simd' ? 14 : 24);
    let nanOutputs = 0;
    for (let trial = 0; trial < 30; trial++) {
      const base = randomCase(rng);
      nanOutputs += runDepthwise3x3(variant, { ...base, clamp: trial % 3 === 2 ? base.clamp : CLAMPS[2]!, nonFinite: true }, 2700 + trial).nanOutputs;
    }
    assert.ok(nanOutputs > 0, 'no output was NaN');
  });

  test(`depthwise3x3 (${variant}) with strides 3 and 4, and interior rows that no kernel row reaches`, () => {
    const clamp = CLAMPS[3]!; // [-0.25, 0.5]
    const same = (size: number, stride: number, dilation: number) => samePadding(size, 3, stride, dilation);
    const cases: Depthwise3x3Case[] = [];
    // 13×11×7, stride 3 (SAME: pad 1 top, 0 left): the interior's generic loop (no shared columns), a full group and 3 tail lanes
    const h3 = same(13, 3, 1);
    const w3 = same(11, 3, 1);
    cases.push({
      inHeight: 13, inWidth: 11, channels: 7, inStride: 7, outStride: 9, strideH: 3, strideW: 3, dilationH: 1, dilationW: 1,
      padTop: h3.before, padLeft: w3.before, outHeight: h3.out, outWidth: w3.out, clamp, bias: true, rowChunks: [[0, 2], [2, h3.out]], band: false,
    });
    // 17×17×6, stride 4, dilation 2 (SAME: pad 2): stride = 2·dilation, the interior's shared-column loop
    const s4 = same(17, 4, 2);
    cases.push({
      inHeight: 17, inWidth: 17, channels: 6, inStride: 6, outStride: 6, strideH: 4, strideW: 4, dilationH: 2, dilationW: 2,
      padTop: s4.before, padLeft: s4.before, outHeight: s4.out, outWidth: s4.out, clamp: CLAMPS[2]!, bias: true, rowChunks: [[0, 1], [1, s4.out]], band: true,
    });
    // 3×24, dilation 4 along the height, pad 1 top / 6 bottom: output row 0's taps are rows −1, 3 and 7, all
    // outside the input, while its columns are interior; row 1 sees input row 0 only.
    for (const channels of [4, 9]) {
      cases.push({
        inHeight: 3, inWidth: 24, channels, inStride: channels, outStride: channels, strideH: 1, strideW: 1, dilationH: 4, dilationW: 1,
        padTop: 1, padLeft: 1, outHeight: convOutputSize(3, 3, 1, 4, 1, 6), outWidth: 24, clamp, bias: true, rowChunks: [[0, 2]], band: false,
      });
      cases.push({ ...cases[cases.length - 1]!, rowChunks: [[0, 1], [1, 2]], band: true, bandOutput: true });
    }
    assert.equal(cases[2]!.outHeight, 2);
    cases.forEach((c, i) => runDepthwise3x3(variant, c, 3500 + i));
  });

  test(`depthwise3x3 (${variant}) on wide rows (several interior column tiles, odd pixel counts)`, () => {
    const rng = new Random(variant === 'simd' ? 13 : 23);
    for (let trial = 0; trial < 16; trial++) {
      const base = randomCase(rng);
      const inWidth = rng.int(40, 150);
      const w = randomAxis(rng, inWidth, base.strideW, base.dilationW);
      if (w === null) continue;
      runDepthwise3x3(variant, { ...base, inWidth, padLeft: w.pad, outWidth: w.out }, 2500 + trial);
    }
  });

  test(`depthwise3x3 (${variant}) with windows that reach beyond the input on every side`, () => {
    // Tiny inputs with large dilation: some output rows see 1 or 2 kernel rows, some none at all.
    let seed = 3000;
    for (const size of [1, 2, 3, 5]) {
      for (const dilation of [1, 2, 4]) {
        for (const pad of [0, 1, dilation, 2 * dilation]) {
          if (size + 2 * pad < 2 * dilation + 1) continue; // no window fits
          const out = convOutputSize(size, 3, 1, dilation, pad, pad);
          for (const channels of [1, 3, 4, 6, 9]) {
            runDepthwise3x3(variant, {
              inHeight: size, inWidth: size, channels, inStride: channels, outStride: channels,
              strideH: 1, strideW: 1, dilationH: dilation, dilationW: dilation, padTop: pad, padLeft: pad, outHeight: out, outWidth: out,
              clamp: CLAMPS[seed % 4]!, bias: true, rowChunks: [[0, out]], band: seed % 2 === 0,
            }, seed++);
          }
        }
      }
    }
  });

  test(`depthwise3x3 (${variant}) on MobileNetV2 layers, split into row bands`, () => {
    const relu6 = CLAMPS[2]!;
    const layer = (size: number, channels: number, stride: number, dilation: number, chunks: number, band: boolean): Depthwise3x3Case => {
      const same = samePadding(size, 3, stride, dilation);
      const rowChunks: Array<[number, number]> = [];
      for (let i = 0; i < chunks; i++) rowChunks.push([Math.floor((i * same.out) / chunks), Math.floor(((i + 1) * same.out) / chunks)]);
      return {
        inHeight: size, inWidth: size, channels, inStride: channels, outStride: channels, strideH: stride, strideW: stride,
        dilationH: dilation, dilationW: dilation, padTop: same.before, padLeft: same.before, outHeight: same.out, outWidth: same.out,
        clamp: relu6, bias: true, rowChunks, band,
      };
    };
    const cases = [
      layer(112, 96, 2, 1, 2, false), // SAME asymmetric: pad 0 top/left, 1 bottom/right
      layer(56, 144, 1, 1, 3, true),
      layer(56, 144, 2, 1, 1, false),
      layer(28, 192, 1, 1, 7, true),
      layer(14, 576, 1, 1, 2, false),
      layer(7, 960, 1, 1, 2, true),
      layer(14, 576, 1, 2, 2, true), // atrous (output stride 16)
      layer(15, 36, 1, 4, 3, true),
    ];
    cases.forEach((c, i) => runDepthwise3x3(variant, c, 4000 + i));
  });
}

test('packDepthwise3x3 lays out [bias][k0]…[k8] per group of 4 channels', () => {
  const C = 5;
  const weight = Float32Array.from({ length: 9 * C }, (_, i) => i + 1); // (3, 3, C, 1)
  const bias = Float32Array.from({ length: C }, (_, i) => -(i + 1));
  const packed = packDepthwise3x3(weight, bias, C);
  assert.equal(packed.length, depthwise3x3PackedLength(C));
  assert.equal(packed.length, 80);
  for (let c = 0; c < 8; c++) {
    const block = (c >> 2) * 40 + (c & 3);
    assert.equal(packed[block], c < C ? bias[c] : 0);
    for (let k = 0; k < 9; k++) assert.equal(packed[block + 4 * (k + 1)], c < C ? weight[k * C + c] : 0);
  }
  assert.equal(packDepthwise3x3(weight, null, C)[0], 0);
});

test('writeDepthwise3x3Desc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(256));
  const good = {
    input: 16, weights: 32, output: 48, inHeight: 5, inWidth: 5, channels: 3, inStride: 3, outStride: 3, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, outHeight: 5, outWidth: 5, rowStart: 0, rowEnd: 5, inputRowBase: 0,
    clampMin: -Infinity, clampMax: Infinity,
  };
  writeDepthwise3x3Desc(view, 0, good);
  assert.equal(view.getFloat32(76, true), -Infinity);
  for (const [patch, pattern] of [
    [{ rowEnd: 6 }, /rowEnd ≤ outHeight/],
    [{ strideH: 0 }, /strideH = 0, expected an integer ≥ 1/],
    [{ outStride: 2 }, /outStride = 2, expected ≥ channels/],
    [{ padTop: -1 }, /padTop = -1/],
  ] as const) {
    assert.throws(() => writeDepthwise3x3Desc(view, 0, { ...good, ...patch }), pattern);
  }
});

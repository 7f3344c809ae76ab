/**
 * The depthwise3x3BackwardInput WebAssembly kernel (plain and relaxed SIMD) against the reference
 * depthwiseConv2dBackward (gradInput): randomized geometries (odd sizes, stride 1, 2 and 3, dilation
 * 1, 2 and 4, SAME asymmetric, symmetric and explicit padding, in a quarter of the trials up to
 * 3·dilation: at stride 1, padding beyond 2·dilation takes the gather path), channel counts 1…37, strided pixels,
 * input-row sub-ranges covering the input, wide rows (several column tiles), windows reaching past
 * every side, and MobileNetV2's layers (stride 1 runs on the forward kernel's code with the rotated
 * taps; the other strides on the phase gather). Every call must write exactly its input rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convOutputSize, samePadding } from '../../../src/kernels/ref/index.js';
import { depthwise3x3PackedLength } from '../../../src/kernels/wasm/depthwise3x3.js';
import { packDepthwise3x3Transposed, writeDepthwise3x3BackwardInputDesc } from '../../../src/kernels/wasm/depthwise3x3BackwardInput.js';
import { runDepthwise3x3BackwardInput, type Depthwise3x3BackwardInputCase } from './cases/depthwise3x3BackwardInput.js';
import { evenChunks, Random, randomChunks, randomWindowAxis, VARIANTS } from './support.js';

/** Explicit padding of 0…3·dilation on each side (beyond the 2·dilation of the forward-correlation path at stride 1). */
function widePadAxis(rng: Random, size: number, stride: number, dilation: number): { pad: number; out: number } | null {
  const before = rng.int(0, 3 * dilation);
  const after = rng.int(0, 3 * dilation);
  if (size + before + after < 2 * dilation + 1) return null;
  return { pad: before, out: convOutputSize(size, 3, stride, dilation, before, after) };
}

function randomCase(rng: Random, maxSize = 13): Depthwise3x3BackwardInputCase {
  for (;;) {
    const widePad = rng.int(1, 4) === 1; // mostly at stride 1, where it changes the path
    const inHeight = rng.int(1, maxSize);
    const inWidth = rng.int(1, maxSize);
    const strideH = rng.pick(widePad ? [1, 1, 1, 2, 3] : [1, 1, 2, 2, 3]);
    const strideW = rng.pick(widePad ? [1, 1, 1, 2, 3] : [1, 1, 2, 2, 3]);
    const dilationH = rng.pick([1, 1, 2, 4]);
    const dilationW = rng.pick([1, 1, 2, 4]);
    const h = widePad ? widePadAxis(rng, inHeight, strideH, dilationH) : randomWindowAxis(rng, inHeight, 3, strideH, dilationH);
    const w = widePad ? widePadAxis(rng, inWidth, strideW, dilationW) : randomWindowAxis(rng, inWidth, 3, strideW, dilationW);
    if (h === null || w === null) continue;
    const channels = rng.int(1, 37);
    return {
      inHeight, inWidth, channels,
      inStride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
      outStride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
      strideH, strideW, dilationH, dilationW, padTop: h.pad, padLeft: w.pad, outHeight: h.out, outWidth: w.out,
      rowChunks: randomChunks(rng, inHeight, 4),
    };
  }
}

for (const variant of VARIANTS) {
  test(`depthwise3x3BackwardInput (${variant}) matches the reference on randomized geometries and row ranges`, () => {
    const rng = new Random(variant === 'simd' ? 71 : 72);
    for (let trial = 0; trial < 200; trial++) runDepthwise3x3BackwardInput(variant, randomCase(rng), 9000 + trial);
  });

  test(`depthwise3x3BackwardInput (${variant}) on wide rows (several column tiles)`, () => {
    const rng = new Random(variant === 'simd' ? 73 : 74);
    for (let trial = 0; trial < 16; trial++) {
      const base = randomCase(rng);
      const inWidth = rng.int(40, 150);
      const w = randomWindowAxis(rng, inWidth, 3, base.strideW, base.dilationW);
      if (w === null) continue;
      const channels = rng.pick([4, 8, 13, 48, 96]);
      runDepthwise3x3BackwardInput(variant, { ...base, channels, inStride: channels, outStride: channels, inWidth, padLeft: w.pad, outWidth: w.out }, 9300 + trial);
    }
  });

  test(`depthwise3x3BackwardInput (${variant}) with windows that reach beyond the input on every side`, () => {
    let seed = 9400;
    for (const size of [1, 2, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const dilation of [1, 2, 4]) {
          for (const pad of [0, 1, dilation, 2 * dilation]) {
            if (size + 2 * pad < 2 * dilation + 1) continue;
            const out = convOutputSize(size, 3, stride, dilation, pad, pad);
            for (const channels of [1, 3, 4, 6, 9]) {
              runDepthwise3x3BackwardInput(variant, {
                inHeight: size, inWidth: size, channels, inStride: channels, outStride: channels, strideH: stride, strideW: stride,
                dilationH: dilation, dilationW: dilation, padTop: pad, padLeft: pad, outHeight: out, outWidth: out, rowChunks: [[0, size]],
              }, seed++);
            }
          }
        }
      }
    }
  });

  test(`depthwise3x3BackwardInput (${variant}) at stride 1 with padding beyond 2·dilation (the gather path)`, () => {
    // 6×7×5, pad 3 top / 1 bottom, 4 left / 0 right: dY is 8×9, its first row and first two columns see only padding.
    runDepthwise3x3BackwardInput(variant, {
      inHeight: 6, inWidth: 7, channels: 5, inStride: 5, outStride: 7, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
      padTop: 3, padLeft: 4, outHeight: convOutputSize(6, 3, 1, 1, 3, 1), outWidth: convOutputSize(7, 3, 1, 1, 4, 0), rowChunks: [[0, 2], [2, 6]],
    }, 9700);
    // Dilation 2, pad 5 on top only (the left within 2·dilation): still the gather path.
    runDepthwise3x3BackwardInput(variant, {
      inHeight: 9, inWidth: 10, channels: 8, inStride: 8, outStride: 8, strideH: 1, strideW: 1, dilationH: 2, dilationW: 2,
      padTop: 5, padLeft: 2, outHeight: convOutputSize(9, 3, 1, 2, 5, 2), outWidth: convOutputSize(10, 3, 1, 2, 2, 2), rowChunks: [[0, 9]],
    }, 9701);
  });

  test(`depthwise3x3BackwardInput (${variant}) on MobileNetV2 layers, split into row ranges`, () => {
    const layer = (size: number, channels: number, stride: number, dilation: number, threads: number): Depthwise3x3BackwardInputCase => {
      const same = samePadding(size, 3, stride, dilation);
      return {
        inHeight: size, inWidth: size, channels, inStride: channels, outStride: channels, strideH: stride, strideW: stride,
        dilationH: dilation, dilationW: dilation, padTop: same.before, padLeft: same.before, outHeight: same.out, outWidth: same.out,
        rowChunks: evenChunks(size, threads),
      };
    };
    const cases = [
      layer(28, 48, 1, 1, 2), // MobileNetV2 0.35 small input
      layer(14, 96, 2, 1, 2), // SAME asymmetric stride 2: pad 0 top/left
      layer(15, 96, 2, 1, 3), // odd size stride 2: pad 1
      layer(4, 672, 1, 1, 2),
      layer(112, 32, 1, 1, 3),
      layer(56, 144, 2, 1, 2),
      layer(14, 576, 1, 2, 2), // atrous
      layer(7, 960, 1, 1, 1),
    ];
    cases.forEach((c, i) => runDepthwise3x3BackwardInput(variant, c, 9600 + i));
  });
}

test('packDepthwise3x3Transposed rotates the taps by 180° with a zero bias', () => {
  const C = 5;
  const weight = Float32Array.from({ length: 9 * C }, (_, i) => i + 1); // (3, 3, C, 1)
  const packed = packDepthwise3x3Transposed(weight, C);
  assert.equal(packed.length, depthwise3x3PackedLength(C));
  for (let c = 0; c < C; c++) {
    const block = (c >> 2) * 40 + (c & 3);
    assert.equal(packed[block], 0);
    for (let k = 0; k < 9; k++) assert.equal(packed[block + 4 * (k + 1)], weight[(8 - k) * C + c]);
  }
});

test('writeDepthwise3x3BackwardInputDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(256));
  const good = {
    gradOutput: 16, weights: 32, gradInput: 48, inHeight: 5, inWidth: 5, channels: 3, inStride: 3, outStride: 3, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, outHeight: 5, outWidth: 5, rowStart: 0, rowEnd: 5,
  };
  writeDepthwise3x3BackwardInputDesc(view, 0, good);
  assert.equal(view.getInt32(68, true), 5);
  for (const [patch, pattern] of [
    [{ rowEnd: 6 }, /rowEnd ≤ inHeight/],
    [{ strideW: 0 }, /strideW = 0, expected an integer ≥ 1/],
    [{ inStride: 2 }, /inStride = 2, expected ≥ channels/],
    [{ padLeft: -1 }, /padLeft = -1/],
  ] as const) {
    assert.throws(() => writeDepthwise3x3BackwardInputDesc(view, 0, { ...good, ...patch }), pattern);
  }
});

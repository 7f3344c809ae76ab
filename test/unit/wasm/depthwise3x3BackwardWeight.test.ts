/**
 * The depthwise3x3BackwardWeight WebAssembly kernel (plain and relaxed SIMD) against the reference
 * depthwiseConv2dBackward (gradWeight, gradBias): randomized geometries (odd sizes, stride 1, 2 and
 * 3, dilation 1, 2 and 4, SAME asymmetric, symmetric and explicit padding), channel counts 1…37,
 * strided pixels, channel chunks covering the channels (as threads split them), batches and row
 * ranges summed with `accumulate`, old gradients added to, and MobileNetV2's layers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convOutputSize, samePadding } from '../../../src/kernels/ref/index.js';
import { writeDepthwise3x3BackwardWeightDesc } from '../../../src/kernels/wasm/depthwise3x3BackwardWeight.js';
import { runDepthwise3x3BackwardWeight, type Depthwise3x3BackwardWeightCase } from './cases/depthwise3x3BackwardWeight.js';
import { evenChunks, Random, randomChunks, randomWindowAxis, VARIANTS } from './support.js';

function randomCase(rng: Random): Depthwise3x3BackwardWeightCase {
  for (;;) {
    const inHeight = rng.int(1, 13);
    const inWidth = rng.int(1, 13);
    const strideH = rng.pick([1, 1, 2, 2, 3]);
    const strideW = rng.pick([1, 1, 2, 2, 3]);
    const dilationH = rng.pick([1, 1, 2, 4]);
    const dilationW = rng.pick([1, 1, 2, 4]);
    const h = randomWindowAxis(rng, inHeight, 3, strideH, dilationH);
    const w = randomWindowAxis(rng, inWidth, 3, strideW, dilationW);
    if (h === null || w === null) continue;
    const channels = rng.int(1, 37);
    return {
      batch: rng.int(1, 3), inHeight, inWidth, channels,
      inStride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
      outStride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
      strideH, strideW, dilationH, dilationW, padTop: h.pad, padLeft: w.pad, outHeight: h.out, outWidth: w.out,
      bias: rng.int(0, 2) === 0, accumulate: rng.int(0, 3) === 0,
      channelChunks: randomChunks(rng, channels, 3), rowChunks: randomChunks(rng, h.out, 3),
    };
  }
}

for (const variant of VARIANTS) {
  test(`depthwise3x3BackwardWeight (${variant}) matches the reference on randomized geometries, batches and sub-ranges`, () => {
    const rng = new Random(variant === 'simd' ? 81 : 82);
    for (let trial = 0; trial < 200; trial++) runDepthwise3x3BackwardWeight(variant, randomCase(rng), 10000 + trial);
  });

  test(`depthwise3x3BackwardWeight (${variant}) on wide rows (several bands, long interiors)`, () => {
    const rng = new Random(variant === 'simd' ? 83 : 84);
    for (let trial = 0; trial < 16; trial++) {
      const base = randomCase(rng);
      const inWidth = rng.int(40, 150);
      const w = randomWindowAxis(rng, inWidth, 3, base.strideW, base.dilationW);
      if (w === null) continue;
      runDepthwise3x3BackwardWeight(variant, { ...base, batch: 1, inWidth, padLeft: w.pad, outWidth: w.out }, 10300 + trial);
    }
  });

  test(`depthwise3x3BackwardWeight (${variant}) with windows that reach beyond the input on every side`, () => {
    let seed = 10400;
    for (const size of [1, 2, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const dilation of [1, 2, 4]) {
          for (const pad of [0, 1, dilation, 2 * dilation]) {
            if (size + 2 * pad < 2 * dilation + 1) continue;
            const out = convOutputSize(size, 3, stride, dilation, pad, pad);
            for (const channels of [1, 3, 4, 6, 9]) {
              runDepthwise3x3BackwardWeight(variant, {
                batch: 1, inHeight: size, inWidth: size, channels, inStride: channels, outStride: channels, strideH: stride, strideW: stride,
                dilationH: dilation, dilationW: dilation, padTop: pad, padLeft: pad, outHeight: out, outWidth: out,
                bias: seed % 2 === 0, accumulate: seed % 3 === 0, channelChunks: [[0, channels]], rowChunks: [[0, out]],
              }, seed++);
            }
          }
        }
      }
    }
  });

  test(`depthwise3x3BackwardWeight (${variant}) on MobileNetV2 layers (batches, threads' channel chunks)`, () => {
    const layer = (batch: number, size: number, channels: number, stride: number, dilation: number, threads: number): Depthwise3x3BackwardWeightCase => {
      const same = samePadding(size, 3, stride, dilation);
      return {
        batch, inHeight: size, inWidth: size, channels, inStride: channels, outStride: channels, strideH: stride, strideW: stride,
        dilationH: dilation, dilationW: dilation, padTop: same.before, padLeft: same.before, outHeight: same.out, outWidth: same.out,
        bias: false, accumulate: false, channelChunks: evenChunks(channels / 4, threads).map(([a, b]) => [4 * a, 4 * b] as const),
        rowChunks: [[0, same.out]],
      };
    };
    const cases = [
      layer(4, 28, 48, 1, 1, 2), // MobileNetV2 0.35 small input
      layer(4, 14, 96, 2, 1, 2),
      layer(16, 4, 672, 1, 1, 2),
      layer(1, 112, 32, 1, 1, 1),
      layer(1, 56, 144, 2, 1, 3),
      layer(2, 14, 576, 1, 2, 2), // atrous
    ];
    cases.forEach((c, i) => runDepthwise3x3BackwardWeight(variant, c, 10600 + i));
  });
}

test('writeDepthwise3x3BackwardWeightDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(256));
  const good = {
    input: 16, gradOutput: 32, gradWeight: 48, gradBias: 0, inHeight: 5, inWidth: 5, channels: 3, inStride: 3, outStride: 3,
    strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, outHeight: 5, outWidth: 5, rowStart: 0, rowEnd: 5,
    channelStart: 0, channelEnd: 3, accumulate: true,
  };
  writeDepthwise3x3BackwardWeightDesc(view, 0, good);
  assert.equal(view.getInt32(84, true), 1);
  for (const [patch, pattern] of [
    [{ rowEnd: 6 }, /rowEnd ≤ outHeight/],
    [{ channelEnd: 4 }, /channelEnd ≤ channels/],
    [{ dilationH: 0 }, /dilationH = 0, expected an integer ≥ 1/],
    [{ outStride: 2 }, /outStride = 2, expected ≥ channels/],
  ] as const) {
    assert.throws(() => writeDepthwise3x3BackwardWeightDesc(view, 0, { ...good, ...patch }), pattern);
  }
});

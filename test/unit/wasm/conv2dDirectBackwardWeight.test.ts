/**
 * The conv2dDirectBackwardWeight WebAssembly kernel (plain and relaxed SIMD) against the reference
 * conv2dBackward (gradWeight, gradBias): randomized kernels 1…5, strides, dilations and paddings,
 * few input channels (1…5) and, in a third of the trials, many (6…64), output channel counts 1…37,
 * inputs up to 40×40 in a quarter of the trials (outputs of several row bands, the bias summed band by
 * band), output-channel chunks covering the output (as threads split them), batches and row ranges
 * summed with `accumulate`, and MobileNet's stems.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samePadding } from '../../../src/kernels/ref/index.js';
import { writeConv2dDirectBackwardWeightDesc } from '../../../src/kernels/wasm/conv2dDirectBackwardWeight.js';
import { runConv2dDirectBackwardWeight, type Conv2dDirectBackwardWeightCase } from './cases/conv2dDirectBackwardWeight.js';
import { Random, randomChunks, randomWindowAxis, VARIANTS } from './support.js';

function randomCase(rng: Random): Conv2dDirectBackwardWeightCase {
  for (;;) {
    // Many input channels or a large input (often several bands of 256 output pixels), not both: the reference is slow.
    const shape = rng.int(0, 11);
    const large = shape < 3;
    const manyChannels = shape >= 8;
    const inHeight = large ? rng.int(20, 40) : rng.int(1, 12);
    const inWidth = large ? rng.int(20, 40) : rng.int(1, 12);
    const kernelH = rng.int(1, 5);
    const kernelW = rng.int(1, 5);
    const strideH = rng.int(1, 3);
    const strideW = rng.int(1, 3);
    const dilationH = rng.pick([1, 1, 2]);
    const dilationW = rng.pick([1, 1, 2]);
    const h = randomWindowAxis(rng, inHeight, kernelH, strideH, dilationH);
    const w = randomWindowAxis(rng, inWidth, kernelW, strideW, dilationW);
    if (h === null || w === null) continue;
    const outChannels = rng.int(1, 5) === 1 ? rng.int(38, 70) : rng.int(1, 37);
    return {
      batch: large ? 1 : rng.int(1, 3), inHeight, inWidth, inChannels: manyChannels ? rng.int(6, 64) : rng.int(1, 5), outChannels, kernelH, kernelW,
      strideH, strideW, dilationH, dilationW,
      padTop: h.pad, padLeft: w.pad, outHeight: h.out, outWidth: w.out, bias: rng.int(0, 2) === 0, accumulate: rng.int(0, 3) === 0,
      channelChunks: randomChunks(rng, outChannels, 3), rowChunks: randomChunks(rng, h.out, 3),
    };
  }
}

for (const variant of VARIANTS) {
  test(`conv2dDirectBackwardWeight (${variant}) matches the reference on randomized geometries, batches and sub-ranges`, () => {
    const rng = new Random(variant === 'simd' ? 91 : 92);
    for (let trial = 0; trial < 200; trial++) runConv2dDirectBackwardWeight(variant, randomCase(rng), 11000 + trial);
  });

  test(`conv2dDirectBackwardWeight (${variant}) on MobileNet stems`, () => {
    const stem = (
      batch: number, size: number, inChannels: number, outChannels: number, stride: number, chunks: Array<[number, number]>, bias = false,
      rowChunks?: Array<[number, number]>,
    ): Conv2dDirectBackwardWeightCase => {
      const same = samePadding(size, 3, stride, 1);
      return {
        batch, inHeight: size, inWidth: size, inChannels, outChannels, kernelH: 3, kernelW: 3, strideH: stride, strideW: stride,
        dilationH: 1, dilationW: 1, padTop: same.before, padLeft: same.before, outHeight: same.out, outWidth: same.out,
        bias, accumulate: false, channelChunks: chunks, rowChunks: rowChunks ?? [[0, same.out]],
      };
    };
    const cases = [
      stem(4, 28, 1, 16, 1, [[0, 16]]), // Fashion-MNIST small input: grayscale, stride 1
      stem(2, 28, 3, 16, 1, [[0, 8], [8, 16]]),
      // with the bias: rows [5, 28) run in bands of 256 / 28 = 9 rows ([5, 14), [14, 23), [23, 28)), the bias summed over each
      stem(2, 28, 3, 16, 1, [[0, 16]], true, [[0, 5], [5, 28]]),
      stem(1, 224, 3, 32, 2, [[0, 16], [16, 32]]), // MobileNetV2 1.0-224
      stem(1, 96, 3, 16, 2, [[0, 16]]),
      stem(1, 33, 3, 24, 2, [[0, 24]]), // odd size: symmetric SAME padding
    ];
    cases.forEach((c, i) => runConv2dDirectBackwardWeight(variant, c, 11500 + i));
  });
}

test('writeConv2dDirectBackwardWeightDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(256));
  const good = {
    input: 16, gradOutput: 32, gradWeight: 48, gradBias: 64, inHeight: 8, inWidth: 8, inChannels: 3, outChannels: 16, kernelH: 3, kernelW: 3,
    strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, outHeight: 4, outWidth: 4, rowStart: 0, rowEnd: 4,
    channelStart: 0, channelEnd: 16, accumulate: false,
  };
  writeConv2dDirectBackwardWeightDesc(view, 0, good);
  assert.equal(view.getInt32(84, true), 16);
  for (const [patch, pattern] of [
    [{ channelEnd: 17 }, /channelEnd ≤ outChannels/],
    [{ rowStart: 5 }, /rowStart ≤ rowEnd/],
    [{ kernelW: 0 }, /kernelW = 0, expected an integer ≥ 1/],
  ] as const) {
    assert.throws(() => writeConv2dDirectBackwardWeightDesc(view, 0, { ...good, ...patch }), pattern);
  }
});

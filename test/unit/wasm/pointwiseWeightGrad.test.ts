/**
 * The pointwiseWeightGrad WebAssembly kernel (plain and relaxed SIMD) against the reference
 * pointwiseConv2dBackward: randomized pixel and channel counts (not multiples of 4, 8 or 16), strided
 * rows, pixel sub-ranges not starting at 0, input-channel chunks that together cover the weight (as
 * threads split it), pixel parts summed with `accumulate`, bias gradients, gradient strides that are
 * multiples of 256 floats (the kernel then cuts its pixel blocks to 32 pixels, L1 set conflicts),
 * MobileNet shapes. The input gradient through the forward pointwise kernel and packPointwiseTransposed
 * is checked too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writePointwiseWeightGradDesc } from '../../../src/kernels/wasm/pointwiseWeightGrad.js';
import { runPointwiseInputGrad } from './cases/pointwise.js';
import { runPointwiseWeightGrad, type PointwiseWeightGradCase } from './cases/pointwiseWeightGrad.js';
import { evenChunks, Random, randomChunks, VARIANTS } from './support.js';

function randomCase(rng: Random): PointwiseWeightGradCase {
  const pixels = rng.int(1, 8) === 1 ? rng.int(1, 4) : rng.int(1, 300);
  const pixelStart = rng.int(0, 2) === 0 ? rng.int(0, pixels - 1) : 0;
  const pixelEnd = rng.int(0, 2) === 0 ? rng.int(pixelStart, pixels) : pixels;
  const inChannels = rng.int(1, 6) === 1 ? rng.int(38, 100) : rng.int(1, 37);
  const outChannels = rng.int(1, 5) === 1 ? rng.int(38, 75) : rng.int(1, 37);
  const cuts: number[] = [];
  if (pixelEnd - pixelStart > 2 && rng.int(0, 2) === 0) {
    const cut = rng.int(pixelStart + 1, pixelEnd - 1);
    cuts.push(cut);
    if (pixelEnd - cut > 2 && rng.int(0, 1) === 0) cuts.push(rng.int(cut + 1, pixelEnd - 1));
  }
  return {
    pixels, pixelStart, pixelEnd, inChannels, outChannels,
    inStride: inChannels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
    gradStride: outChannels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
    bias: rng.int(0, 2) === 0,
    accumulate: rng.int(0, 3) === 0,
    ciChunks: randomChunks(rng, inChannels, 4),
    pixelCuts: cuts,
  };
}

for (const variant of VARIANTS) {
  test(`pointwiseWeightGrad (${variant}) matches the reference on randomized shapes and sub-ranges`, () => {
    const rng = new Random(variant === 'simd' ? 61 : 62);
    for (let trial = 0; trial < 120; trial++) runPointwiseWeightGrad(variant, randomCase(rng), 8000 + trial);
  });

  test(`pointwiseWeightGrad (${variant}) with gradient strides of 256 and 512 floats (blocks cut to 32 pixels)`, () => {
    // dY rows 1 or 2 KiB apart map to 1/16 or 1/32 of the L1 sets: the kernel keeps its pixel blocks
    // within 32 pixels there (setSafePixels), so 40…200 pixels run in 2…7 blocks.
    const rng = new Random(variant === 'simd' ? 65 : 66);
    for (let trial = 0; trial < 6; trial++) {
      const base = randomCase(rng);
      const pixels = rng.int(40, 200);
      const pixelStart = rng.int(0, 2) === 0 ? rng.int(0, 8) : 0;
      const cut = rng.int(0, 1) === 0 ? [rng.int(pixelStart + 1, pixels - 1)] : [];
      runPointwiseWeightGrad(variant, {
        ...base, pixels, pixelStart, pixelEnd: pixels, outChannels: 256, gradStride: rng.pick([256, 512]), bias: true, pixelCuts: cut,
      }, 8700 + trial);
    }
  });

  test(`pointwiseWeightGrad (${variant}) covers every output-channel tail and input-channel remainder`, () => {
    let seed = 8500;
    for (const outChannels of [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 15, 16, 17, 20, 23, 24, 28, 31, 32, 33, 40, 44, 47]) {
      for (const inChannels of [1, 2, 3, 4, 5, 6, 7, 9]) {
        const pixels = 1 + (seed % 11);
        runPointwiseWeightGrad(variant, {
          pixels, pixelStart: 0, pixelEnd: pixels, inChannels, outChannels, inStride: inChannels, gradStride: outChannels + (seed % 3),
          bias: seed % 2 === 0, accumulate: seed % 3 === 0, ciChunks: [[0, inChannels]], pixelCuts: [],
        }, seed++);
      }
    }
  });

  test(`pointwiseWeightGrad (${variant}) with an empty pixel range or input-channel chunk`, () => {
    // No pixels: overwrite gives zeros, accumulate leaves the old values. An empty chunk writes nothing but its bias.
    runPointwiseWeightGrad(variant, { pixels: 5, pixelStart: 3, pixelEnd: 3, inChannels: 6, outChannels: 10, inStride: 6, gradStride: 10, bias: true, accumulate: false, ciChunks: [[0, 6]], pixelCuts: [] }, 8900);
    runPointwiseWeightGrad(variant, { pixels: 5, pixelStart: 3, pixelEnd: 3, inChannels: 6, outChannels: 10, inStride: 6, gradStride: 10, bias: true, accumulate: true, ciChunks: [[0, 6]], pixelCuts: [] }, 8901);
    runPointwiseWeightGrad(variant, { pixels: 9, pixelStart: 0, pixelEnd: 9, inChannels: 6, outChannels: 10, inStride: 6, gradStride: 10, bias: true, accumulate: false, ciChunks: [[0, 0], [0, 6]], pixelCuts: [] }, 8902);
  });

  test(`pointwiseWeightGrad (${variant}) on MobileNet shapes (threads' row chunks, large pixel counts, the dense head)`, () => {
    const layer = (pixels: number, inChannels: number, outChannels: number, threads: number, bias = false, cuts: number[] = []): PointwiseWeightGradCase => ({
      pixels, pixelStart: 0, pixelEnd: pixels, inChannels, outChannels, inStride: inChannels, gradStride: outChannels, bias, accumulate: false,
      ciChunks: evenChunks(inChannels, threads), pixelCuts: cuts,
    });
    const cases = [
      layer(4 * 28 * 28, 8, 48, 2), // MobileNetV2 0.35 small-input first expansion, 4 images
      layer(4 * 14 * 14, 96, 16, 3),
      layer(2 * 7 * 7, 192, 32, 2, false, [49]),
      layer(8 * 4 * 4, 672, 112, 2),
      layer(56 * 56, 24, 144, 1),
      layer(7 * 7, 960, 160, 4),
      layer(2 * 7 * 7, 320, 1280, 2), // MobileNetV2's last 1×1 (320 → 1280): dY rows 5 KiB apart, blocks of 32 pixels
      layer(64, 1280, 10, 2, true), // dense classifier: pixels = batch
      layer(3, 1280, 1000, 1, true),
    ];
    cases.forEach((c, i) => runPointwiseWeightGrad(variant, c, 8950 + i));
  });

  test(`pointwise (${variant}) with packPointwiseTransposed gives the input gradient dY·Wᵀ`, () => {
    const rng = new Random(variant === 'simd' ? 63 : 64);
    for (let trial = 0; trial < 20; trial++) {
      runPointwiseInputGrad(variant, { pixels: rng.int(1, 50), inChannels: rng.int(1, 40), outChannels: rng.int(1, 40) }, 6300 + trial);
    }
  });
}

test('writePointwiseWeightGradDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(128));
  const good = {
    input: 16, gradOutput: 32, gradWeight: 48, gradBias: 0, pixelStart: 0, pixelEnd: 10, inChannels: 4, outChannels: 8,
    inChannelStart: 0, inChannelEnd: 4, inStride: 4, gradStride: 8, accumulate: false,
  };
  writePointwiseWeightGradDesc(view, 0, good);
  assert.equal(view.getInt32(36, true), 4);
  for (const [patch, pattern] of [
    [{ inChannelEnd: 5 }, /inChannelEnd ≤ inChannels/],
    [{ inChannelStart: 3, inChannelEnd: 2 }, /inChannelStart ≤ inChannelEnd/],
    [{ pixelStart: 11 }, /pixelStart ≤ pixelEnd/],
    [{ gradStride: 7 }, /gradStride = 7, expected ≥ outChannels/],
    [{ inStride: 3 }, /inStride = 3, expected ≥ inChannels/],
    [{ gradWeight: 50 }, /gradWeight = 50, expected a 4-byte aligned/],
    [{ accumulate: 1 }, /accumulate = 1, expected a boolean/],
  ] as const) {
    assert.throws(() => writePointwiseWeightGradDesc(view, 0, { ...good, ...patch } as typeof good), pattern);
  }
  assert.throws(() => writePointwiseWeightGradDesc(view, 100, good), /does not fit/);
});

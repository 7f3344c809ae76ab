/**
 * Every WebAssembly kernel (plain and relaxed SIMD) with its buffers and descriptors at byte offsets
 * at and above 2 GiB (2³¹) of the 32-bit memory. Wasm32 pointers are u32: a signed comparison, an
 * arithmetic right shift, a signed conversion or a division of an address (or a wrapper reading one
 * back as signed) would go wrong only there, and the per-kernel tests place everything in the first
 * megabytes. The cases run through the per-kernel tests' own case runners (./cases/), so they are
 * checked against the same reference twins, tolerances and sentinel gaps; only the placement differs.
 *
 * Placement. `Arena` takes its start offset, so no filler is needed: `new Arena(memory, start)`
 * hands out blocks from `start` on and grows the memory just enough to cover them. The pages below
 * are never touched, and a shared wasm memory commits its pages lazily, so a 2.5 GiB memory costs
 * only the few pages the cases use. Each case runs several times with the same seed (so the same
 * data and the same relative layout):
 *   - "high": the arena starts at HIGH (2.5 GiB + an odd multiple of 16 bytes): every buffer and
 *     descriptor is above 2³¹ and every descriptor pointer passed to the export is a negative i32;
 *   - "crossing": once per buffer of the case (inputs, weights, outputs, bands, scratch, the first
 *     descriptor), the arena starts so that 2³¹ falls at a random 16-byte boundary inside that buffer
 *     (at its start when it is 16 bytes or less), so addresses cross 2³¹ within one tensor row loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convOutputSize, samePadding } from '../../../src/kernels/ref/index.js';
import type { DepthwiseGeometry, DirectConvGeometry } from '../../../src/kernels/wasm/descriptor.js';
import type { KernelVariant } from '../../../src/kernels/wasm/module.js';
import { runAddInPlace } from './cases/addInPlace.js';
import { runBnBackwardApply, type BnBackwardApplyCase } from './cases/bnBackwardApply.js';
import { runBnBackwardReduce, type BnBackwardReduceCase } from './cases/bnBackwardReduce.js';
import { runChannelStats, type ChannelStatsCase } from './cases/channelStats.js';
import { runConv2dDirect, type Conv2dDirectCase } from './cases/conv2dDirect.js';
import { runConv2dDirectBackwardWeight, type Conv2dDirectBackwardWeightCase } from './cases/conv2dDirectBackwardWeight.js';
import { runDepthwise3x3, type Depthwise3x3Case } from './cases/depthwise3x3.js';
import { runDepthwise3x3BackwardInput, type Depthwise3x3BackwardInputCase } from './cases/depthwise3x3BackwardInput.js';
import { runDepthwise3x3BackwardWeight, type Depthwise3x3BackwardWeightCase } from './cases/depthwise3x3BackwardWeight.js';
import { runGlobalAvgPool, runGlobalAvgPoolBackward, type GlobalAvgPoolCase } from './cases/globalAvgPool.js';
import { runPointwise, runPointwiseInputGrad, type PointwiseCase } from './cases/pointwise.js';
import { runPointwiseWeightGrad, type PointwiseWeightGradCase } from './cases/pointwiseWeightGrad.js';
import { runScaleShiftClamp, type ScaleShiftClampCase } from './cases/scaleShiftClamp.js';
import { CLAMPS, kernels, Placement, Random, randomChunks, VARIANTS, type Clamp } from './support.js';

const TWO_GIB = 2 ** 31;
/** Where the "high" placement starts: 2.5 GiB and an odd number of 16-byte blocks. */
const HIGH = TWO_GIB + 2 ** 29 + 16 * 1237;

const [LINEAR, RELU, RELU6, OTHER] = CLAMPS as readonly [Clamp, Clamp, Clamp, Clamp];

/**
 * Runs case `c` through its runner with everything above 2³¹, then once with 2³¹ inside each buffer
 * the first run allocated. A runner draws all its data from `seed`, so every run allocates the same
 * sizes in the same order.
 */
function everywhere<C>(variant: KernelVariant, run: (variant: KernelVariant, c: C, seed: number, m: Placement) => unknown, c: C, seed: number): void {
  const { memory } = kernels(variant);
  const high = new Placement(memory, HIGH, ' [high]');
  run(variant, c, seed, high);
  assert.ok(high.placed.length > 0 && high.placed.every((b) => b.at >= TWO_GIB), `${variant} seed ${seed}: a buffer below 2³¹ in the high placement`);
  const rng = new Random(seed ^ 0x5a5a);
  high.placed.forEach((b, j) => {
    const boundaries = Math.floor((b.bytes - 1) / 16); // 16-byte boundaries strictly inside the buffer
    const into = boundaries === 0 ? 0 : 16 * rng.int(1, boundaries);
    const start = TWO_GIB - (b.at - high.start) - into;
    const crossing = new Placement(memory, start, ` [2³¹ ${into === 0 ? 'at the start of' : `${into} of ${b.bytes} bytes into`} ${b.name}]`);
    run(variant, c, seed, crossing);
    const placed = crossing.placed[j]!;
    assert.ok(placed.name === b.name && placed.at + into === TWO_GIB, `${variant} seed ${seed}${crossing.where}: the layout changed between runs`);
  });
}

function strideOf(rng: Random, channels: number): number {
  return channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5));
}

/** A depthwise geometry: stride, dilation and padding per axis (SAME when `pad` is undefined). */
function depthwiseGeometry(
  H: number, W: number, C: number, sH: number, sW: number, dH: number, dW: number, rng: Random, pad?: readonly [number, number, number, number],
): Omit<DepthwiseGeometry, 'rowStart' | 'rowEnd'> {
  const h = pad === undefined ? samePadding(H, 3, sH, dH) : { before: pad[0], out: convOutputSize(H, 3, sH, dH, pad[0], pad[1]) };
  const w = pad === undefined ? samePadding(W, 3, sW, dW) : { before: pad[2], out: convOutputSize(W, 3, sW, dW, pad[2], pad[3]) };
  return {
    inHeight: H, inWidth: W, channels: C, inStride: strideOf(rng, C), outStride: strideOf(rng, C), strideH: sH, strideW: sW,
    dilationH: dH, dilationW: dW, padTop: h.before, padLeft: w.before, outHeight: h.out, outWidth: w.out,
  };
}

/** A direct convolution geometry with SAME padding. */
function convGeometry(
  H: number, W: number, CI: number, CO: number, kh: number, kw: number, s: number, d: number,
): Omit<DirectConvGeometry, 'rowStart' | 'rowEnd'> {
  const h = samePadding(H, kh, s, d);
  const w = samePadding(W, kw, s, d);
  return {
    inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, kernelH: kh, kernelW: kw, strideH: s, strideW: s, dilationH: d, dilationW: d,
    padTop: h.before, padLeft: w.before, outHeight: h.out, outWidth: w.out,
  };
}

// The cases: small, but each reaching the kernel's main paths (tiles, tails, strides, sub-ranges).

for (const variant of VARIANTS) {
  const base = variant === 'simd' ? 0 : 500;

  test(`pointwise (${variant}) above 2 GiB: plain, residual, accumulate, both; 16-wide and narrow panels; dX = dY·Wᵀ`, () => {
    const rng = new Random(31 + base);
    const modes = [[false, false], [true, false], [false, true], [true, true]] as const;
    modes.forEach(([residual, accumulate], i) => {
      for (const outChannels of [rng.int(17, 40), rng.int(1, 8)]) {
        const pixels = rng.int(5, 40);
        const inChannels = rng.int(1, 40);
        const c: PointwiseCase = {
          pixels, inChannels, outChannels, inStride: strideOf(rng, inChannels), outStride: strideOf(rng, outChannels),
          clamp: accumulate ? LINEAR : rng.pick([RELU6, OTHER, RELU]), bias: true, residual, accumulate,
          pixelChunks: randomChunks(rng, pixels, 3), channelChunks: randomChunks(rng, outChannels, 3, 16),
        };
        everywhere(variant, runPointwise, c, 31000 + base + 10 * i + outChannels);
      }
    });
    for (const [pixels, inChannels, outChannels] of [[rng.int(3, 30), rng.int(1, 40), rng.int(1, 40)], [7, 37, 18]] as const) {
      everywhere(variant, runPointwiseInputGrad, { pixels, inChannels, outChannels }, 31100 + base + pixels);
    }
  });

  test(`depthwise3x3 (${variant}) above 2 GiB: stride 1/2/3, dilation 2, input and output bands`, () => {
    const rng = new Random(32 + base);
    const cases: Depthwise3x3Case[] = [
      { ...depthwiseGeometry(9, 10, 13, 1, 1, 1, 1, rng), clamp: RELU6, rowChunks: [[0, 4], [4, 9]], band: true, bandOutput: false, bias: true },
      { ...depthwiseGeometry(11, 12, 8, 2, 2, 1, 1, rng), clamp: OTHER, rowChunks: [[0, 2], [2, 6]], band: false, bandOutput: true, bias: true },
      { ...depthwiseGeometry(10, 9, 6, 1, 1, 2, 2, rng), clamp: LINEAR, rowChunks: [[0, 10]], band: true, bandOutput: true, bias: true },
      { ...depthwiseGeometry(13, 11, 37, 3, 3, 1, 1, rng, [1, 1, 0, 2]), clamp: RELU, rowChunks: [[0, 1], [1, 5]], band: false, bandOutput: false, bias: true },
    ];
    cases.forEach((c, i) => everywhere(variant, runDepthwise3x3, c, 32000 + base + i));
  });

  test(`depthwise3x3BackwardInput (${variant}) above 2 GiB: stride 1 (forward code), stride 2 pairs, gather paths`, () => {
    const rng = new Random(33 + base);
    const cases: Depthwise3x3BackwardInputCase[] = [
      { ...depthwiseGeometry(9, 11, 13, 1, 1, 1, 1, rng), rowChunks: [[0, 5], [5, 9]] },
      { ...depthwiseGeometry(12, 13, 10, 2, 2, 1, 1, rng), rowChunks: [[0, 3], [3, 12]] },
      { ...depthwiseGeometry(10, 10, 7, 3, 2, 2, 2, rng), rowChunks: [[0, 10]] },
      // Stride 1 with padding beyond 2·dilation: the gather path.
      { ...depthwiseGeometry(7, 8, 5, 1, 1, 1, 1, rng, [3, 1, 3, 2]), rowChunks: [[0, 4], [4, 7]] },
    ];
    cases.forEach((c, i) => everywhere(variant, runDepthwise3x3BackwardInput, c, 33000 + base + i));
  });

  test(`depthwise3x3BackwardWeight (${variant}) above 2 GiB: stride 1 and 2 rolling, generic, tail lanes, batches, bias, accumulate`, () => {
    const rng = new Random(34 + base);
    const geometries = [
      depthwiseGeometry(9, 11, 12, 1, 1, 1, 1, rng),
      depthwiseGeometry(12, 13, 9, 2, 2, 1, 1, rng),
      depthwiseGeometry(10, 10, 7, 1, 1, 2, 2, rng),
      depthwiseGeometry(11, 9, 6, 3, 2, 1, 1, rng),
    ];
    geometries.forEach((g, i) => {
      const c: Depthwise3x3BackwardWeightCase = {
        ...g, batch: 1 + (i % 2), bias: i !== 2, accumulate: i % 2 === 1,
        channelChunks: randomChunks(rng, g.channels, 3), rowChunks: randomChunks(rng, g.outHeight, 3),
      };
      everywhere(variant, runDepthwise3x3BackwardWeight, c, 34000 + base + i);
    });
  });

  test(`conv2dDirect (${variant}) above 2 GiB: stems (16, 13, 5, 37 output channels), 5×5 dilated, output bands`, () => {
    const cases: Conv2dDirectCase[] = [
      { ...convGeometry(15, 16, 3, 16, 3, 3, 2, 1), clamp: RELU6, rowChunks: [[0, 3], [3, 8]], bandOutput: false, bias: true },
      { ...convGeometry(12, 11, 3, 13, 3, 3, 2, 1), clamp: OTHER, rowChunks: [[0, 2], [2, 6]], bandOutput: true, bias: true },
      { ...convGeometry(9, 10, 2, 5, 3, 3, 1, 1), clamp: LINEAR, rowChunks: [[0, 9]], bandOutput: false, bias: true },
      { ...convGeometry(9, 9, 3, 37, 5, 5, 1, 2), clamp: RELU, rowChunks: [[0, 4], [4, 9]], bandOutput: true, bias: true },
    ];
    cases.forEach((c, i) => everywhere(variant, runConv2dDirect, c, 35000 + base + i));
  });

  test(`conv2dDirectBackwardWeight (${variant}) above 2 GiB: stems, dilation 2, several bands, channel chunks, bias, accumulate`, () => {
    const rng = new Random(36 + base);
    const geometries = [
      convGeometry(14, 15, 3, 16, 3, 3, 2, 1),
      convGeometry(9, 10, 2, 9, 3, 3, 1, 2),
      convGeometry(24, 23, 1, 12, 3, 3, 1, 1), // 23 output columns: bands of 11 rows
      convGeometry(8, 9, 3, 21, 5, 5, 2, 1),
    ];
    geometries.forEach((g, i) => {
      const c: Conv2dDirectBackwardWeightCase = {
        ...g, batch: 1 + (i % 2), bias: i !== 1, accumulate: i >= 2,
        channelChunks: randomChunks(rng, g.outChannels, 3), rowChunks: randomChunks(rng, g.outHeight, 2),
      };
      everywhere(variant, runConv2dDirectBackwardWeight, c, 36000 + base + i);
    });
  });

  test(`pointwiseWeightGrad (${variant}) above 2 GiB: tiles 16/8/4/partial, pixel sub-ranges and parts, input-channel chunks, bias, accumulate`, () => {
    const rng = new Random(37 + base);
    const cases: PointwiseWeightGradCase[] = [
      { pixels: 40, pixelStart: 3, pixelEnd: 40, inChannels: 7, outChannels: 37, inStride: 9, gradStride: 37, bias: true, accumulate: false, ciChunks: [[0, 3], [3, 7]], pixelCuts: [20] },
      { pixels: 25, pixelStart: 0, pixelEnd: 25, inChannels: 13, outChannels: 11, inStride: 13, gradStride: 14, bias: true, accumulate: true, ciChunks: [[0, 13]], pixelCuts: [] },
      { pixels: 70, pixelStart: 0, pixelEnd: 66, inChannels: 5, outChannels: 256, inStride: 5, gradStride: 256, bias: false, accumulate: false, ciChunks: [[0, 2], [2, 5]], pixelCuts: [] },
      {
        pixels: 30, pixelStart: 1, pixelEnd: 29, inChannels: 22, outChannels: 3, inStride: strideOf(rng, 22), gradStride: strideOf(rng, 3), bias: true, accumulate: true,
        ciChunks: randomChunks(rng, 22, 3), pixelCuts: [10],
      },
    ];
    cases.forEach((c, i) => everywhere(variant, runPointwiseWeightGrad, c, 37000 + base + i));
  });

  test(`channelStats (${variant}) above 2 GiB: sums in registers and in scratch, shift, channel chunks, parts, accumulate`, () => {
    const rng = new Random(38 + base);
    const cases: ChannelStatsCase[] = [
      { pixels: 90, pixelStart: 0, pixelEnd: 90, channels: 12, stride: 12, shift: true, accumulate: false, channelChunks: [[0, 12]], pixelCuts: [], center: 0.5 },
      { pixels: 150, pixelStart: 5, pixelEnd: 147, channels: 37, stride: 40, shift: true, accumulate: true, channelChunks: [[0, 9], [9, 37]], pixelCuts: [70], center: 0.5 },
      {
        pixels: 33, pixelStart: 0, pixelEnd: 33, channels: 20, stride: strideOf(rng, 20), shift: false, accumulate: false, channelChunks: randomChunks(rng, 20, 3),
        pixelCuts: [], center: 0.5,
      },
    ];
    cases.forEach((c, i) => everywhere(variant, runChannelStats, c, 38000 + base + i));
  });

  test(`scaleShiftClamp (${variant}) above 2 GiB: chunks of 16 and tails, strided, in place`, () => {
    const rng = new Random(39 + base);
    const cases: ScaleShiftClampCase[] = [
      { pixels: 30, channels: 37, stride: 41, clamp: RELU6, pixelChunks: randomChunks(rng, 30, 3), inPlace: false },
      { pixels: 20, channels: 16, stride: 16, clamp: OTHER, pixelChunks: [[0, 20]], inPlace: true },
      { pixels: 9, channels: 5, stride: 7, clamp: LINEAR, pixelChunks: [[0, 4], [4, 9]], inPlace: false },
    ];
    cases.forEach((c, i) => everywhere(variant, runScaleShiftClamp, c, 39000 + base + i));
  });

  test(`bnBackwardReduce (${variant}) above 2 GiB: masked (ReLU6, other) and linear, channel chunks, parts, accumulate`, () => {
    const cases: BnBackwardReduceCase[] = [
      { pixels: 120, pixelStart: 0, pixelEnd: 120, channels: 37, stride: 39, clamp: RELU6, accumulate: false, channelChunks: [[0, 20], [20, 37]], pixelCuts: [64] },
      { pixels: 50, pixelStart: 2, pixelEnd: 49, channels: 8, stride: 8, clamp: LINEAR, accumulate: true, channelChunks: [[0, 8]], pixelCuts: [] },
      { pixels: 40, pixelStart: 0, pixelEnd: 40, channels: 19, stride: 22, clamp: OTHER, accumulate: false, channelChunks: [[0, 5], [5, 19]], pixelCuts: [] },
    ];
    cases.forEach((c, i) => everywhere(variant, runBnBackwardReduce, c, 40000 + base + i));
  });

  test(`bnBackwardApply (${variant}) above 2 GiB: masked and linear, in place over each input`, () => {
    const rng = new Random(41 + base);
    const cases: BnBackwardApplyCase[] = [
      { pixels: 60, channels: 37, stride: 40, clamp: RELU6, pixelChunks: randomChunks(rng, 60, 3), inPlace: 'none' },
      { pixels: 25, channels: 12, stride: 12, clamp: LINEAR, pixelChunks: [[0, 25]], inPlace: 'gradOutput' },
      { pixels: 30, channels: 21, stride: 23, clamp: RELU, pixelChunks: [[0, 11], [11, 30]], inPlace: 'input' },
      { pixels: 17, channels: 6, stride: 6, clamp: OTHER, pixelChunks: [[0, 17]], inPlace: 'activation' },
    ];
    cases.forEach((c, i) => everywhere(variant, runBnBackwardApply, c, 41000 + base + i));
  });

  test(`addInPlace (${variant}) above 2 GiB: any alignment of the range`, () => {
    const rng = new Random(42 + base);
    for (const length of [1, 37, 300, 1500]) {
      everywhere(variant, runAddInPlace, { length, chunks: randomChunks(rng, length, 4) }, 42000 + base + length);
    }
  });

  test(`globalAvgPool and globalAvgPoolBackward (${variant}) above 2 GiB: chunks of 16 and tails, strided pixels`, () => {
    const rng = new Random(43 + base);
    const forward: GlobalAvgPoolCase[] = [
      { height: 7, width: 7, channels: 70, stride: 70, chunks: [[0, 33], [33, 70]] },
      { height: 3, width: 5, channels: 37, stride: 41, chunks: randomChunks(rng, 37, 3) },
    ];
    forward.forEach((c, i) => everywhere(variant, runGlobalAvgPool, c, 43000 + base + i));
    const backward: GlobalAvgPoolCase[] = [
      { height: 7, width: 7, channels: 70, stride: 70, chunks: [[0, 25], [25, 49]] },
      { height: 4, width: 3, channels: 37, stride: 41, chunks: randomChunks(rng, 12, 3) },
    ];
    backward.forEach((c, i) => everywhere(variant, runGlobalAvgPoolBackward, c, 43100 + base + i));
  });
}

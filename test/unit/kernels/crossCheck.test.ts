/**
 * Randomized cross-checks among kernels: each identity below holds by definition, so two kernels
 * written independently must agree on any seeded random shape, including ones no fixture covers.
 */
import { test } from 'node:test';
import {
  batchNormInference,
  conv2d,
  dense,
  depthwiseConv2d,
  globalAvgPool,
  pointwiseConv2d,
  type Conv2dDesc,
} from '../../../src/kernels/ref/index.js';
import { assertClose, randomGeometry, Random, type Geometry } from './support.js';

const TRIALS = 40;
const TOLERANCE = 1e-6; // both sides accumulate in float64; only the final rounding may differ

function describe(g: object): string {
  return JSON.stringify(g);
}

function convDesc(g: Geometry, inChannels: number, outChannels: number, groups: number): Conv2dDesc {
  const { padBottom: _b, padRight: _r, ...window } = g;
  return { ...window, inChannels, outChannels, groups };
}

test('depthwiseConv2d equals conv2d with groups = C on random shapes (multiplier 1 to 3)', () => {
  const rng = new Random(101);
  for (let trial = 0; trial < TRIALS; trial++) {
    const g = randomGeometry(rng);
    const channels = rng.int(1, 6);
    const multiplier = trial < 15 ? 1 : rng.int(1, 3);
    const outChannels = channels * multiplier;
    const input = rng.array(g.batch * g.inHeight * g.inWidth * channels); // (N, H, W, C)
    // (kh, kw, C, M) and conv2d's (kh, kw, Cin/groups = 1, C·M) are the same memory layout.
    const weight = rng.array(g.kernelHeight * g.kernelWidth * outChannels);
    const bias = rng.int(0, 1) === 0 ? null : rng.array(outChannels);
    const outLength = g.batch * g.outHeight * g.outWidth * outChannels;
    const viaDepthwise = new Float32Array(outLength);
    const viaConv = new Float32Array(outLength);
    const { padBottom: _b, padRight: _r, ...window } = g;
    depthwiseConv2d(input, weight, bias, viaDepthwise, { ...window, channels, multiplier });
    conv2d(input, weight, bias, viaConv, convDesc(g, channels, outChannels, channels));
    assertClose(viaDepthwise, viaConv, `trial ${trial} ${describe({ ...g, channels, multiplier })}`, { tolerance: TOLERANCE });
  }
});

test('pointwiseConv2d equals conv2d 1x1 on random shapes', () => {
  const rng = new Random(202);
  for (let trial = 0; trial < TRIALS; trial++) {
    const [batch, height, width, inChannels, outChannels] = [rng.int(1, 3), rng.int(1, 6), rng.int(1, 6), rng.int(1, 17), rng.int(1, 17)];
    const pixels = batch * height * width;
    const input = rng.array(pixels * inChannels);
    const weight = rng.array(inChannels * outChannels); // (Cin, Cout) = (1, 1, Cin, Cout)
    const bias = rng.int(0, 1) === 0 ? null : rng.array(outChannels);
    const viaPointwise = new Float32Array(pixels * outChannels);
    const viaConv = new Float32Array(pixels * outChannels);
    pointwiseConv2d(input, weight, bias, viaPointwise, { pixels, inChannels, outChannels });
    conv2d(input, weight, bias, viaConv, {
      batch, inHeight: height, inWidth: width, inChannels, outHeight: height, outWidth: width, outChannels,
      kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1,
      padTop: 0, padLeft: 0, groups: 1,
    });
    assertClose(viaPointwise, viaConv, `trial ${trial} ${describe({ batch, height, width, inChannels, outChannels })}`, { tolerance: TOLERANCE });
  }
});

test('dense equals pointwiseConv2d with pixels = batch on random shapes', () => {
  const rng = new Random(303);
  for (let trial = 0; trial < TRIALS; trial++) {
    const [batch, inFeatures, outFeatures] = [rng.int(1, 5), rng.int(1, 40), rng.int(1, 40)];
    const input = rng.array(batch * inFeatures);
    const weight = rng.array(inFeatures * outFeatures);
    const bias = rng.int(0, 1) === 0 ? null : rng.array(outFeatures);
    const viaDense = new Float32Array(batch * outFeatures);
    const viaPointwise = new Float32Array(batch * outFeatures);
    dense(input, weight, bias, viaDense, { batch, inFeatures, outFeatures });
    pointwiseConv2d(input, weight, bias, viaPointwise, { pixels: batch, inChannels: inFeatures, outChannels: outFeatures });
    assertClose(viaDense, viaPointwise, `trial ${trial} ${describe({ batch, inFeatures, outFeatures })}`, { tolerance: TOLERANCE });
  }
});

test('grouped conv2d equals one ungrouped conv2d per group on channel slices', () => {
  const rng = new Random(404);
  for (let trial = 0; trial < TRIALS; trial++) {
    const g = randomGeometry(rng);
    const groups = rng.int(2, 4);
    const groupIn = rng.int(1, 3);
    const groupOut = rng.int(1, 3);
    const [inChannels, outChannels] = [groups * groupIn, groups * groupOut];
    const pixelsIn = g.batch * g.inHeight * g.inWidth;
    const pixelsOut = g.batch * g.outHeight * g.outWidth;
    const taps = g.kernelHeight * g.kernelWidth;
    const input = rng.array(pixelsIn * inChannels); // (N, H, W, Cin)
    const weight = rng.array(taps * groupIn * outChannels); // (kh, kw, Cin/groups, Cout)
    const bias = rng.array(outChannels);
    const grouped = new Float32Array(pixelsOut * outChannels);
    conv2d(input, weight, bias, grouped, convDesc(g, inChannels, outChannels, groups));

    const assembled = new Float32Array(pixelsOut * outChannels);
    for (let k = 0; k < groups; k++) {
      const sliceIn = new Float32Array(pixelsIn * groupIn); // (N, H, W, Cin/groups)
      for (let p = 0; p < pixelsIn; p++) {
        for (let ci = 0; ci < groupIn; ci++) sliceIn[p * groupIn + ci] = input[p * inChannels + k * groupIn + ci]!;
      }
      const sliceWeight = new Float32Array(taps * groupIn * groupOut); // (kh, kw, Cin/groups, Cout/groups)
      for (let row = 0; row < taps * groupIn; row++) {
        for (let o = 0; o < groupOut; o++) sliceWeight[row * groupOut + o] = weight[row * outChannels + k * groupOut + o]!;
      }
      const sliceOut = new Float32Array(pixelsOut * groupOut);
      conv2d(sliceIn, sliceWeight, bias.subarray(k * groupOut, (k + 1) * groupOut), sliceOut, convDesc(g, groupIn, groupOut, 1));
      for (let p = 0; p < pixelsOut; p++) {
        for (let o = 0; o < groupOut; o++) assembled[p * outChannels + k * groupOut + o] = sliceOut[p * groupOut + o]!;
      }
    }
    assertClose(grouped, assembled, `trial ${trial} ${describe({ ...g, groups, groupIn, groupOut })}`, { tolerance: TOLERANCE });
  }
});

test('conv2d padding equals convolving an explicitly zero-padded input without padding', () => {
  const rng = new Random(505);
  for (let trial = 0; trial < TRIALS; trial++) {
    const g = randomGeometry(rng);
    const [inChannels, outChannels] = [rng.int(1, 5), rng.int(1, 5)];
    const input = rng.array(g.batch * g.inHeight * g.inWidth * inChannels);
    const weight = rng.array(g.kernelHeight * g.kernelWidth * inChannels * outChannels);
    const bias = rng.array(outChannels);
    const outLength = g.batch * g.outHeight * g.outWidth * outChannels;
    const implicit = new Float32Array(outLength);
    conv2d(input, weight, bias, implicit, convDesc(g, inChannels, outChannels, 1));

    // Materialize the zeros; rows the windows never reach (negative implied padding) stay cropped away by outHeight.
    const paddedHeight = g.padTop + g.inHeight + Math.max(g.padBottom, 0);
    const paddedWidth = g.padLeft + g.inWidth + Math.max(g.padRight, 0);
    const padded = new Float32Array(g.batch * paddedHeight * paddedWidth * inChannels);
    for (let n = 0; n < g.batch; n++) {
      for (let y = 0; y < g.inHeight; y++) {
        for (let x = 0; x < g.inWidth; x++) {
          const from = ((n * g.inHeight + y) * g.inWidth + x) * inChannels;
          const to = ((n * paddedHeight + y + g.padTop) * paddedWidth + x + g.padLeft) * inChannels;
          padded.set(input.subarray(from, from + inChannels), to);
        }
      }
    }
    const explicit = new Float32Array(outLength);
    conv2d(padded, weight, bias, explicit, {
      ...convDesc(g, inChannels, outChannels, 1), inHeight: paddedHeight, inWidth: paddedWidth, padTop: 0, padLeft: 0,
    });
    assertClose(implicit, explicit, `trial ${trial} ${describe(g)}`, { tolerance: TOLERANCE });
  }
});

test('batchNormInference equals a 1x1 depthwise conv with the folded scale and shift', () => {
  const rng = new Random(606);
  for (let trial = 0; trial < TRIALS; trial++) {
    const [count, channels] = [rng.int(1, 30), rng.int(1, 12)];
    const epsilon = rng.pick([1e-3, 1e-5, 0]);
    const input = rng.array(count * channels, 3);
    const mean = rng.array(channels);
    const variance = rng.array(channels).map((v) => 0.1 + Math.abs(v));
    const gamma = rng.array(channels, 2);
    const beta = rng.array(channels);
    const viaBatchNorm = new Float32Array(count * channels);
    batchNormInference(input, viaBatchNorm, { mean, variance, gamma, beta, epsilon }, { count, channels });

    const scale = new Float32Array(channels); // (1, 1, C, 1)
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      scale[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
      shift[c] = beta[c]! - mean[c]! * scale[c]!;
    }
    const viaFolded = new Float32Array(count * channels);
    depthwiseConv2d(input, scale, shift, viaFolded, {
      batch: 1, inHeight: count, inWidth: 1, channels, multiplier: 1, outHeight: count, outWidth: 1,
      kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 0, padLeft: 0,
    });
    // Folding rounds scale and shift to float32 first, so allow a few float32 ulps of the operands.
    assertClose(viaBatchNorm, viaFolded, `trial ${trial} ${describe({ count, channels, epsilon })}`, { tolerance: 1e-5 });
  }
});

test('globalAvgPool equals a depthwise conv whose kernel covers the whole plane with weight 1/(H·W)', () => {
  const rng = new Random(707);
  for (let trial = 0; trial < TRIALS; trial++) {
    const [batch, height, width, channels] = [rng.int(1, 3), rng.int(1, 8), rng.int(1, 8), rng.int(1, 9)];
    const input = rng.array(batch * height * width * channels);
    const viaPool = new Float32Array(batch * channels);
    globalAvgPool(input, viaPool, { batch, height, width, channels });
    const weight = new Float32Array(height * width * channels).fill(1 / (height * width)); // (H, W, C, 1)
    const viaConv = new Float32Array(batch * channels);
    depthwiseConv2d(input, weight, null, viaConv, {
      batch, inHeight: height, inWidth: width, channels, multiplier: 1, outHeight: 1, outWidth: 1,
      kernelHeight: height, kernelWidth: width, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 0, padLeft: 0,
    });
    assertClose(viaPool, viaConv, `trial ${trial} ${describe({ batch, height, width, channels })}`, { tolerance: 1e-6 });
  }
});

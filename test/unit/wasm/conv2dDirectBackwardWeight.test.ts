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
import { conv2dBackward, samePadding } from '../../../src/kernels/ref/index.js';
import {
  CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES, writeConv2dDirectBackwardWeightDesc,
} from '../../../src/kernels/wasm/conv2dDirectBackwardWeight.js';
import type { DirectConvGeometry } from '../../../src/kernels/wasm/descriptor.js';
import type { KernelVariant } from '../../../src/kernels/wasm/module.js';
import { freshArena, guarded, kernels, MemoryCheck, Random, randomChunks, randomWindowAxis, VARIANTS } from './support.js';

/** A DirectConvGeometry without the row range (each case runs its own row chunks). */
interface StemCase extends Omit<DirectConvGeometry, 'rowStart' | 'rowEnd'> {
  readonly batch: number;
  readonly bias: boolean;
  readonly accumulate: boolean;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
}

function describe(c: StemCase): string {
  return `N=${c.batch} in ${c.inHeight}×${c.inWidth}×${c.inChannels} → ${c.outHeight}×${c.outWidth}×${c.outChannels} k${c.kernelH}×${c.kernelW} ` +
    `s${c.strideH}×${c.strideW} d${c.dilationH}×${c.dilationW} pad ${c.padTop}/${c.padLeft}${c.bias ? ' bias' : ''}${c.accumulate ? ' accumulate' : ''}` +
    ` channels ${JSON.stringify(c.channelChunks)} rows ${JSON.stringify(c.rowChunks)}`;
}

function runCase(variant: KernelVariant, c: StemCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const arena = freshArena(k);
  const { batch: N, inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, outHeight: OH, outWidth: OW, kernelH: KH, kernelW: KW } = c;
  const label = `${variant} ${describe(c)}`;
  const weightLength = KH * KW * CI * CO;

  const input = rng.array(N * H * W * CI);
  const gradOutput = rng.array(N * OH * OW * CO);
  const oldWeight = c.accumulate ? rng.array(weightLength, 3) : null;
  const oldBias = c.accumulate && c.bias ? rng.array(CO, 3) : null;
  const expectedWeight = oldWeight === null ? new Float32Array(weightLength) : oldWeight.slice();
  const expectedBias = oldBias === null ? new Float32Array(CO) : oldBias.slice();
  conv2dBackward(input, new Float32Array(weightLength), gradOutput, null, expectedWeight, expectedBias, {
    batch: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO, groups: 1,
    kernelHeight: KH, kernelWidth: KW, strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW,
    padTop: c.padTop, padLeft: c.padLeft,
  });

  const images = Array.from({ length: N }, (_, n) => ({
    x: guarded(arena, H * W * CI, input.subarray(n * H * W * CI, (n + 1) * H * W * CI)),
    gy: guarded(arena, OH * OW * CO, gradOutput.subarray(n * OH * OW * CO, (n + 1) * OH * OW * CO)),
  }));
  const gwPtr = guarded(arena, weightLength, oldWeight ?? undefined);
  const gbPtr = c.bias ? guarded(arena, CO, oldBias ?? undefined) : 0;
  const chunks = c.channelChunks.map(([c0, c1]) => {
    const calls: number[] = [];
    for (const image of images) {
      for (const [r0, r1] of c.rowChunks) {
        const at = arena.allocBytes(CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES);
        writeConv2dDirectBackwardWeightDesc(arena.view(), at, {
          input: image.x, gradOutput: image.gy, gradWeight: gwPtr, gradBias: gbPtr, inHeight: H, inWidth: W, inChannels: CI, outChannels: CO,
          kernelH: KH, kernelW: KW, strideH: c.strideH, strideW: c.strideW, dilationH: c.dilationH, dilationW: c.dilationW,
          padTop: c.padTop, padLeft: c.padLeft, outHeight: OH, outWidth: OW, rowStart: r0, rowEnd: r1, channelStart: c0, channelEnd: c1,
          accumulate: c.accumulate || calls.length > 0,
        });
        calls.push(at);
      }
    }
    return { c0, c1, calls };
  });
  arena.alloc(16);
  const check = new MemoryCheck(arena);
  for (const { c0, c1, calls } of chunks) {
    for (const at of calls) k.exports.conv2dDirectBackwardWeight(at);
    if (c1 === c0) continue;
    for (let row = 0; row < KH * KW * CI; row++) {
      for (let o = c0; o < c1; o++) check.expect(gwPtr + (row * CO + o) * 4, expectedWeight[row * CO + o]!);
    }
    if (c.bias) for (let o = c0; o < c1; o++) check.expect(gbPtr + o * 4, expectedBias[o]!);
    check.verify(`${label}, after output channels [${c0}, ${c1})`);
  }
}

function randomCase(rng: Random): StemCase {
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
    for (let trial = 0; trial < 200; trial++) runCase(variant, randomCase(rng), 11000 + trial);
  });

  test(`conv2dDirectBackwardWeight (${variant}) on MobileNet stems`, () => {
    const stem = (
      batch: number, size: number, inChannels: number, outChannels: number, stride: number, chunks: Array<[number, number]>, bias = false,
      rowChunks?: Array<[number, number]>,
    ): StemCase => {
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
    cases.forEach((c, i) => runCase(variant, c, 11500 + i));
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

/**
 * The conv2dDirect WebAssembly kernel (plain and relaxed SIMD) against the reference conv2d (+ the
 * reference activation): randomized kernels 1…5, strides, dilations and paddings, few input channels,
 * output channel counts 1…37, row sub-ranges covering the output, each clamp, and MobileNet's stem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conv2d, convOutputSize, samePadding } from '../../../src/kernels/ref/index.js';
import {
  CONV2D_DIRECT_DESC_BYTES, conv2dDirectBiasOffset, conv2dDirectPackedLength, packConv2dDirect, writeConv2dDirectDesc,
} from '../../../src/kernels/wasm/conv2dDirect.js';
import type { DirectConvGeometry } from '../../../src/kernels/wasm/descriptor.js';
import type { KernelVariant } from '../../../src/kernels/wasm/module.js';
import { applyClamp, CLAMPS, freshArena, guarded, kernels, MemoryCheck, Random, randomChunks, VARIANTS, type Clamp } from './support.js';

/** A DirectConvGeometry without the row range (each case runs its own row chunks). */
interface ConvCase extends Omit<DirectConvGeometry, 'rowStart' | 'rowEnd'> {
  readonly clamp: Clamp;
  readonly bias: boolean;
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
}

function describe(c: ConvCase): string {
  return `in ${c.inHeight}×${c.inWidth}×${c.inChannels} → ${c.outHeight}×${c.outWidth}×${c.outChannels} k${c.kernelH}×${c.kernelW} ` +
    `s${c.strideH}×${c.strideW} d${c.dilationH}×${c.dilationW} pad ${c.padTop}/${c.padLeft} ${c.clamp.name}${c.bias ? '' : ' no-bias'} rows ${JSON.stringify(c.rowChunks)}`;
}

function runCase(variant: KernelVariant, c: ConvCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const arena = freshArena(k);
  const { inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, outHeight: OH, outWidth: OW, kernelH: KH, kernelW: KW } = c;
  const label = `${variant} ${describe(c)}`;

  const input = rng.array(H * W * CI); // (1, H, W, Cin)
  const weight = rng.array(KH * KW * CI * CO, 1 / Math.sqrt(KH * KW * CI)); // (kh, kw, Cin, Cout)
  const bias = c.bias ? rng.array(CO) : null;
  const conv = new Float32Array(OH * OW * CO);
  conv2d(input, weight, bias, conv, {
    batch: 1, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO, groups: 1,
    kernelHeight: KH, kernelWidth: KW, strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW,
    padTop: c.padTop, padLeft: c.padLeft,
  });
  const expected = applyClamp(conv, c.clamp);

  const packed = packConv2dDirect(weight, bias, KH, KW, CI, CO);
  const wPtr = guarded(arena, packed.length, packed);
  const inPtr = guarded(arena, input.length, input);
  const outPtr = guarded(arena, OH * OW * CO);
  const calls = c.rowChunks.map(([r0, r1]) => {
    const at = arena.allocBytes(CONV2D_DIRECT_DESC_BYTES);
    writeConv2dDirectDesc(arena.view(), at, {
      input: inPtr, weights: wPtr, bias: wPtr + conv2dDirectBiasOffset(KH, KW, CI, CO) * 4, output: outPtr,
      inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, kernelH: KH, kernelW: KW, strideH: c.strideH, strideW: c.strideW,
      dilationH: c.dilationH, dilationW: c.dilationW, padTop: c.padTop, padLeft: c.padLeft, outHeight: OH, outWidth: OW,
      rowStart: r0, rowEnd: r1, clampMin: c.clamp.min, clampMax: c.clamp.max,
    });
    return { at, r0, r1 };
  });
  arena.alloc(16);
  const check = new MemoryCheck(arena);
  for (const call of calls) {
    k.exports.conv2dDirect(call.at);
    for (let i = call.r0 * OW * CO; i < call.r1 * OW * CO; i++) check.expect(outPtr + i * 4, expected[i]!);
    check.verify(`${label}, after rows [${call.r0}, ${call.r1})`);
  }
}

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

function randomCase(rng: Random): ConvCase {
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
      inHeight, inWidth, inChannels: rng.int(1, 5), outChannels: rng.int(1, 37), kernelH, kernelW, strideH, strideW, dilationH, dilationW,
      padTop: h.pad, padLeft: w.pad, outHeight: h.out, outWidth: w.out, clamp: rng.pick(CLAMPS), bias: rng.int(1, 5) !== 1,
      rowChunks: randomChunks(rng, h.out, 4),
    };
  }
}

for (const variant of VARIANTS) {
  test(`conv2dDirect (${variant}) matches the reference on randomized geometries and row ranges`, () => {
    const rng = new Random(variant === 'simd' ? 31 : 32);
    for (let trial = 0; trial < 120; trial++) runCase(variant, randomCase(rng), 6000 + trial);
  });

  test(`conv2dDirect (${variant}) on MobileNet stems`, () => {
    const relu6 = CLAMPS[2]!;
    const stem = (size: number, outChannels: number, chunks: number): ConvCase => {
      const same = samePadding(size, 3, 2, 1);
      const rowChunks: Array<[number, number]> = [];
      for (let i = 0; i < chunks; i++) rowChunks.push([Math.floor((i * same.out) / chunks), Math.floor(((i + 1) * same.out) / chunks)]);
      return {
        inHeight: size, inWidth: size, inChannels: 3, outChannels, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1,
        padTop: same.before, padLeft: same.before, outHeight: same.out, outWidth: same.out, clamp: relu6, bias: true, rowChunks,
      };
    };
    [stem(224, 32, 2), stem(96, 16, 3), stem(129, 24, 1), stem(160, 48, 2)].forEach((c, i) => runCase(variant, c, 8000 + i));
    // torchvision's symmetric padding 1 on 224 (output 112, the bottom row's last tap reads row 224 = padding)
    runCase(variant, {
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

/**
 * The pointwise WebAssembly kernel (plain and relaxed SIMD) against the reference pointwiseConv2d
 * (+ the reference activation and add for the epilogue): randomized shapes with channel counts that
 * are not multiples of 4, 8 or 16, strided rows, pixel and channel sub-ranges that together cover
 * the output, accumulate mode, residuals, each clamp, NaN and ±Infinity in the input and residual, and
 * realistic MobileNet shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pointwiseConv2d } from '../../../src/kernels/ref/index.js';
import {
  POINTWISE_DESC_BYTES, POINTWISE_PANEL_WIDTH, packPointwise, pointwiseBiasOffset, pointwisePackedChannels, pointwisePackedLength,
  writePointwiseDesc,
} from '../../../src/kernels/wasm/pointwise.js';
import { runPointwise, type PointwiseCase } from './cases/pointwise.js';
import { addResidual, CLAMPS, freshArena, guarded, kernels, MemoryCheck, Random, randomChunks, VARIANTS } from './support.js';

function randomCase(rng: Random): PointwiseCase {
  const pixels = rng.int(1, 9) === 1 ? rng.int(1, 4) : rng.int(1, 70);
  const inChannels = rng.int(1, 6) === 1 ? rng.int(38, 100) : rng.int(1, 37);
  const outChannels = rng.int(1, 5) === 1 ? rng.int(38, 75) : rng.int(1, 37);
  const accumulate = rng.int(1, 4) === 1;
  return {
    pixels, inChannels, outChannels,
    inStride: inChannels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
    outStride: outChannels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
    clamp: rng.pick(CLAMPS),
    bias: rng.int(1, 5) !== 1,
    residual: rng.int(1, 3) === 1,
    accumulate,
    pixelChunks: randomChunks(rng, pixels, 4),
    channelChunks: randomChunks(rng, outChannels, 3, POINTWISE_PANEL_WIDTH),
  };
}

for (const variant of VARIANTS) {
  test(`pointwise (${variant}) matches the reference on randomized shapes and sub-ranges`, () => {
    const rng = new Random(variant === 'simd' ? 101 : 202);
    for (let trial = 0; trial < 80; trial++) runPointwise(variant, randomCase(rng), 1000 + trial);
  });

  test(`pointwise (${variant}) passes NaN and ±Infinity in the input and residual through like the reference (ReLU6 and other clamps)`, () => {
    // NaN passes the clamp (f32x4.pmin/pmax are comparisons, false for NaN, in both binaries: neither
    // uses relaxed min/max), ±Infinity clamps to the bounds; the residual is added after the clamp.
    const rng = new Random(variant === 'simd' ? 105 : 205);
    let nanOutputs = 0;
    for (let trial = 0; trial < 30; trial++) {
      const base = randomCase(rng);
      nanOutputs += runPointwise(variant, { ...base, clamp: trial % 3 === 2 ? base.clamp : CLAMPS[2]!, nonFinite: true }, 1500 + trial);
    }
    assert.ok(nanOutputs > 0, 'no output was NaN');
  });

  test(`pointwise (${variant}) covers every pixel remainder and channel tail`, () => {
    let seed = 5000;
    for (const outChannels of [1, 3, 4, 5, 8, 9, 12, 15, 16, 17, 20, 24, 25, 31, 32, 33, 40, 47]) {
      for (const pixels of [1, 2, 3, 4, 5, 6, 7]) {
        runPointwise(variant, {
          pixels, inChannels: 1 + (seed % 7), outChannels, inStride: 1 + (seed % 7), outStride: outChannels, clamp: CLAMPS[seed % 4]!,
          bias: true, residual: seed % 3 === 0, accumulate: seed % 5 === 0,
          pixelChunks: [[0, pixels]], channelChunks: [[0, outChannels]],
        }, seed++);
      }
    }
  });

  test(`pointwise (${variant}) writes only a sub-range that ends inside a panel`, () => {
    const rng = new Random(variant === 'simd' ? 303 : 404);
    for (let trial = 0; trial < 30; trial++) {
      const outChannels = rng.int(2, 60);
      const c0 = Math.floor(rng.int(0, outChannels - 1) / 16) * 16;
      const c1 = rng.int(c0 + 1, outChannels);
      const pixels = rng.int(1, 20);
      const p0 = rng.int(0, pixels - 1);
      const inChannels = rng.int(1, 40);
      runPointwise(variant, {
        pixels, inChannels, outChannels, inStride: inChannels, outStride: outChannels + rng.int(0, 3), clamp: rng.pick(CLAMPS),
        bias: true, residual: rng.int(0, 1) === 1, accumulate: rng.int(0, 1) === 1,
        pixelChunks: [[p0, rng.int(p0 + 1, pixels)]], channelChunks: [[c0, c1]],
      }, 7000 + trial);
    }
  });

  test(`pointwise (${variant}) on MobileNet shapes (threads' sub-ranges, residual projection, dense head)`, () => {
    const relu6 = CLAMPS[2]!;
    const linear = CLAMPS[0]!;
    const cases: PointwiseCase[] = [
      // block expansion 56×56×24 → 144, ReLU6, split over pixels as two threads would
      { pixels: 56 * 56, inChannels: 24, outChannels: 144, inStride: 24, outStride: 144, clamp: relu6, bias: true, residual: false, accumulate: false,
        pixelChunks: [[0, 1568], [1568, 3136]], channelChunks: [[0, 144]] },
      // projection 56×56×144 → 24 with the residual, split over channels
      { pixels: 56 * 56, inChannels: 144, outChannels: 24, inStride: 144, outStride: 24, clamp: linear, bias: true, residual: true, accumulate: false,
        pixelChunks: [[0, 3136]], channelChunks: [[0, 16], [16, 24]] },
      { pixels: 28 * 28, inChannels: 32, outChannels: 192, inStride: 32, outStride: 192, clamp: relu6, bias: true, residual: false, accumulate: false,
        pixelChunks: [[0, 391], [391, 784]], channelChunks: [[0, 96], [96, 192]] },
      { pixels: 7 * 7, inChannels: 960, outChannels: 160, inStride: 960, outStride: 160, clamp: linear, bias: true, residual: true, accumulate: false,
        pixelChunks: [[0, 49]], channelChunks: [[0, 80], [80, 160]] },
      { pixels: 7 * 7, inChannels: 320, outChannels: 1280, inStride: 320, outStride: 1280, clamp: relu6, bias: true, residual: false, accumulate: false,
        pixelChunks: [[0, 25], [25, 49]], channelChunks: [[0, 1280]] },
      // the classifier as a pointwise over a batch of 2: 1280 → 1001
      { pixels: 2, inChannels: 1280, outChannels: 1001, inStride: 1280, outStride: 1001, clamp: linear, bias: true, residual: false, accumulate: false,
        pixelChunks: [[0, 2]], channelChunks: [[0, 496], [496, 1001]] },
    ];
    cases.forEach((c, i) => runPointwise(variant, c, 9000 + i));
  });

  test(`pointwise (${variant}) split over input channels with accumulate equals the whole projection`, () => {
    // The memory-efficient inverted residual: the projection's input channels come in t slices; the
    // first slice writes (with the bias), the others accumulate (zero bias), the last adds the residual.
    const rng = new Random(variant === 'simd' ? 505 : 606);
    for (let trial = 0; trial < 8; trial++) {
      const k = kernels(variant);
      const arena = freshArena(k);
      const P = rng.int(1, 50);
      const K = rng.int(2, 70);
      const N = rng.int(1, 40);
      const input = rng.array(P * K);
      const weight = rng.array(K * N, 1 / Math.sqrt(K));
      const bias = rng.array(N);
      const residual = rng.array(P * N);
      const conv = new Float32Array(P * N);
      pointwiseConv2d(input, weight, bias, conv, { pixels: P, inChannels: K, outChannels: N });
      const expected = addResidual(conv, residual);

      const slices = randomChunks(rng, K, 4);
      const inPtr = guarded(arena, P * K, input);
      const resPtr = guarded(arena, P * N, residual);
      const outPtr = guarded(arena, P * N);
      const descs = slices.map(([k0, k1], i) => {
        const packed = packPointwise(weight.subarray(k0 * N, k1 * N), i === 0 ? bias : null, k1 - k0, N);
        const wPtr = guarded(arena, packed.length, packed);
        const at = arena.allocBytes(POINTWISE_DESC_BYTES);
        writePointwiseDesc(arena.view(), at, {
          input: inPtr + k0 * 4, weights: wPtr, bias: wPtr + pointwiseBiasOffset(k1 - k0, N) * 4,
          residual: i === slices.length - 1 ? resPtr : 0, output: outPtr, pixelStart: 0, pixelEnd: P,
          inChannels: k1 - k0, outChannels: N, channelStart: 0, channelEnd: N, inStride: K, outStride: N,
          accumulate: i > 0, clampMin: -Infinity, clampMax: Infinity,
        });
        return at;
      });
      arena.alloc(16);
      const check = new MemoryCheck(arena);
      for (const at of descs) k.exports.pointwise(at);
      for (let i = 0; i < P * N; i++) check.expect(outPtr + i * 4, expected[i]!);
      check.verify(`${variant} split-K P=${P} K=${K} N=${N} slices ${JSON.stringify(slices)}`);
    }
  });
}

test('packPointwise lays out 16-wide panels, a narrow last panel and the padded bias', () => {
  assert.deepEqual([1, 8, 9, 16, 17, 24, 25, 32, 1001].map(pointwisePackedChannels), [8, 8, 16, 16, 24, 24, 32, 32, 1008]);
  const K = 3;
  const N = 20; // one 16-wide panel, then a narrow one with 4 live channels
  const weight = Float32Array.from({ length: K * N }, (_, i) => i + 1);
  const bias = Float32Array.from({ length: N }, (_, i) => -(i + 1));
  const packed = packPointwise(weight, bias, K, N);
  assert.equal(packed.length, pointwisePackedLength(K, N));
  assert.equal(packed.length, (K + 1) * 24);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < 16; j++) assert.equal(packed[k * 16 + j], weight[k * N + j]);
    for (let j = 0; j < 8; j++) assert.equal(packed[16 * K + k * 8 + j], j < 4 ? weight[k * N + 16 + j] : 0);
  }
  const b = pointwiseBiasOffset(K, N);
  assert.deepEqual(Array.from(packed.subarray(b)), [...Array.from(bias), 0, 0, 0, 0]);
});

test('writePointwiseDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(256));
  const good = {
    input: 64, weights: 128, bias: 192, residual: 0, output: 16, pixelStart: 0, pixelEnd: 4, inChannels: 3, outChannels: 20,
    channelStart: 0, channelEnd: 20, inStride: 3, outStride: 20, accumulate: false, clampMin: 0, clampMax: 6,
  };
  writePointwiseDesc(view, 0, good);
  assert.equal(view.getInt32(40, true), 20);
  assert.equal(view.getFloat32(60, true), 6);
  for (const [patch, pattern] of [
    [{ channelStart: 8 }, /multiple of the panel width 16/],
    [{ channelEnd: 21 }, /channelEnd ≤ outChannels/],
    [{ pixelStart: 5 }, /pixelStart ≤ pixelEnd/],
    [{ inStride: 2 }, /inStride = 2, expected ≥ inChannels/],
    [{ output: -4 }, /4-byte aligned byte offset/],
    [{ weights: 2 ** 32 }, /4-byte aligned byte offset/],
    [{ input: 6 }, /4-byte aligned/],
    [{ clampMin: 7 }, /clampMin ≤ clampMax/],
  ] as const) {
    assert.throws(() => writePointwiseDesc(view, 0, { ...good, ...patch }), pattern);
  }
});

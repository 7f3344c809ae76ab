/**
 * Every WebAssembly kernel (plain and relaxed SIMD) with its buffers and descriptors at byte offsets
 * at and above 2 GiB (2³¹) of the 32-bit memory, against the same reference twins and tolerances as
 * the per-kernel tests. Wasm32 pointers are u32: a signed comparison, an arithmetic right shift, a
 * signed conversion or a division of an address (or a wrapper reading one back as signed) would go
 * wrong only there, and the other tests place everything in the first megabytes.
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
 * Buffers sit between NaN sentinel gaps and the whole used range is checked after every call, as in
 * the per-kernel tests: expected words within tolerance, every other word bit-for-bit unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchNormBackward, conv2d, conv2dBackward, convOutputSize, depthwiseConv2d, depthwiseConv2dBackward, globalAvgPool,
  globalAvgPoolBackward, pointwiseConv2d, pointwiseConv2dBackward, samePadding,
} from '../../../src/kernels/ref/index.js';
import { ADD_IN_PLACE_DESC_BYTES, writeAddInPlaceDesc } from '../../../src/kernels/wasm/addInPlace.js';
import { Arena } from '../../../src/kernels/wasm/arena.js';
import { BN_BACKWARD_APPLY_DESC_BYTES, writeBnBackwardApplyDesc } from '../../../src/kernels/wasm/bnBackwardApply.js';
import { BN_BACKWARD_REDUCE_DESC_BYTES, writeBnBackwardReduceDesc } from '../../../src/kernels/wasm/bnBackwardReduce.js';
import { CHANNEL_STATS_DESC_BYTES, trainingScratchFloats, writeChannelStatsDesc } from '../../../src/kernels/wasm/channelStats.js';
import { CONV2D_DIRECT_DESC_BYTES, conv2dDirectBiasOffset, packConv2dDirect, writeConv2dDirectDesc } from '../../../src/kernels/wasm/conv2dDirect.js';
import { CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES, writeConv2dDirectBackwardWeightDesc } from '../../../src/kernels/wasm/conv2dDirectBackwardWeight.js';
import { DEPTHWISE3X3_DESC_BYTES, packDepthwise3x3, writeDepthwise3x3Desc } from '../../../src/kernels/wasm/depthwise3x3.js';
import {
  DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES, packDepthwise3x3Transposed, writeDepthwise3x3BackwardInputDesc,
} from '../../../src/kernels/wasm/depthwise3x3BackwardInput.js';
import { DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES, writeDepthwise3x3BackwardWeightDesc } from '../../../src/kernels/wasm/depthwise3x3BackwardWeight.js';
import type { DepthwiseGeometry, DirectConvGeometry } from '../../../src/kernels/wasm/descriptor.js';
import { GLOBAL_AVG_POOL_DESC_BYTES, writeGlobalAvgPoolDesc } from '../../../src/kernels/wasm/globalAvgPool.js';
import { GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES, writeGlobalAvgPoolBackwardDesc } from '../../../src/kernels/wasm/globalAvgPoolBackward.js';
import type { KernelVariant } from '../../../src/kernels/wasm/module.js';
import { POINTWISE_DESC_BYTES, packPointwise, pointwiseBiasOffset, writePointwiseDesc } from '../../../src/kernels/wasm/pointwise.js';
import { POINTWISE_WEIGHT_GRAD_DESC_BYTES, packPointwiseTransposed, writePointwiseWeightGradDesc } from '../../../src/kernels/wasm/pointwiseWeightGrad.js';
import { SCALE_SHIFT_CLAMP_DESC_BYTES, writeScaleShiftClampDesc } from '../../../src/kernels/wasm/scaleShiftClamp.js';
import {
  addResidual, applyClamp, assertClose, batchNormData, CLAMPS, guarded, kernels, MemoryCheck, Random, randomChunks, stridedData, VARIANTS,
  type Clamp,
} from './support.js';

const TWO_GIB = 2 ** 31;
/** Where the "high" placement starts: 2.5 GiB and an odd number of 16-byte blocks. */
const HIGH = TWO_GIB + 2 ** 29 + 16 * 1237;

const [LINEAR, RELU, RELU6, OTHER] = CLAMPS as readonly [Clamp, Clamp, Clamp, Clamp];

interface Placed {
  readonly name: string;
  readonly at: number;
  readonly bytes: number;
}

/**
 * One run's memory: guarded buffers and descriptors bump-allocated from `start`, each buffer (and the
 * first descriptor) recorded so that another run can put 2³¹ inside it.
 */
class Placement {
  readonly arena: Arena;
  readonly placed: Placed[] = [];
  private described = false;

  constructor(memory: WebAssembly.Memory, readonly start: number, readonly label: string) {
    assert.equal(start % 16, 0);
    this.arena = new Arena(memory, start);
  }

  /** `count` floats between sentinel gaps, filled from `data` (or sentinels). */
  buf(name: string, count: number, data?: ArrayLike<number>): number {
    const at = guarded(this.arena, count, data);
    this.placed.push({ name, at, bytes: Math.max(count, 1) * 4 });
    return at;
  }

  /** `count` float64 (8-byte aligned: every block is 16-byte aligned), from `data` or sentinels. */
  f64(name: string, count: number, data?: Float64Array | null): number {
    const at = this.buf(name, 2 * count);
    if (data !== undefined && data !== null) new Float64Array(this.arena.memory.buffer, at, count).set(data);
    return at;
  }

  desc(bytes: number): number {
    const at = this.arena.allocBytes(bytes);
    if (!this.described) this.placed.push({ name: 'the first descriptor', at, bytes });
    this.described = true;
    return at;
  }

  view(): DataView {
    return this.arena.view();
  }

  /** A trailing gap, then the snapshot of everything this run allocated. */
  check(): MemoryCheck {
    this.arena.alloc(16);
    return new MemoryCheck(this.arena, this.start);
  }
}

/**
 * Runs `run` with everything above 2³¹, then once with 2³¹ inside each buffer it allocated. `run`
 * must allocate the same sizes in the same order every time (all its randomness from its own seed).
 */
function everywhere(variant: KernelVariant, name: string, seed: number, run: (m: Placement) => void): void {
  const k = kernels(variant);
  const high = new Placement(k.memory, HIGH, `${variant} ${name} [high]`);
  run(high);
  assert.ok(high.placed.length > 0 && high.placed.every((b) => b.at >= TWO_GIB), `${name}: a buffer below 2³¹ in the high placement`);
  const rng = new Random(seed ^ 0x5a5a);
  high.placed.forEach((b, j) => {
    const boundaries = Math.floor((b.bytes - 1) / 16); // 16-byte boundaries strictly inside the buffer
    const into = boundaries === 0 ? 0 : 16 * rng.int(1, boundaries);
    const start = TWO_GIB - (b.at - high.start) - into;
    const crossing = new Placement(k.memory, start, `${variant} ${name} [2³¹ ${into === 0 ? 'at the start of' : `${into} of ${b.bytes} bytes into`} ${b.name}]`);
    run(crossing);
    const c = crossing.placed[j]!;
    assert.ok(c.name === b.name && c.at + into === TWO_GIB, `${crossing.label}: the layout changed between runs`);
  });
}

function strideOf(rng: Random, channels: number): number {
  return channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5));
}

// ---------------------------------------------------------------------------------------------------
// pointwise (forward: residual, accumulate; backward: dX = dY·Wᵀ through packPointwiseTransposed)

interface PointwiseCase {
  readonly pixels: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly inStride: number;
  readonly outStride: number;
  readonly clamp: Clamp;
  readonly residual: boolean;
  readonly accumulate: boolean;
  readonly pixelChunks: ReadonlyArray<readonly [number, number]>;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
}

function pointwiseRun(variant: KernelVariant, m: Placement, c: PointwiseCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, inChannels: K, outChannels: N } = c;
  const input = rng.array(P * K);
  const weight = rng.array(K * N, 1 / Math.sqrt(K));
  const bias = rng.array(N);
  const residual = c.residual ? rng.array(P * N) : null;
  const old = c.accumulate ? rng.array(P * N, 2) : null;
  const conv = new Float32Array(P * N);
  pointwiseConv2d(input, weight, bias, conv, { pixels: P, inChannels: K, outChannels: N });
  let expected = applyClamp(old === null ? conv : addResidual(conv, old), c.clamp);
  if (residual !== null) expected = addResidual(expected, residual);

  const packed = packPointwise(weight, bias, K, N);
  const inPtr = m.buf('input', P * c.inStride, stridedData(input, P, K, c.inStride));
  const wPtr = m.buf('weights', packed.length, packed);
  const resPtr = residual === null ? 0 : m.buf('residual', P * c.outStride, stridedData(residual, P, N, c.outStride));
  const outPtr = m.buf('output', P * c.outStride, old === null ? undefined : stridedData(old, P, N, c.outStride));
  const calls: Array<{ at: number; p0: number; p1: number; c0: number; c1: number }> = [];
  for (const [p0, p1] of c.pixelChunks) {
    for (const [c0, c1] of c.channelChunks) {
      const at = m.desc(POINTWISE_DESC_BYTES);
      writePointwiseDesc(m.view(), at, {
        input: inPtr, weights: wPtr, bias: wPtr + pointwiseBiasOffset(K, N) * 4, residual: resPtr, output: outPtr,
        pixelStart: p0, pixelEnd: p1, inChannels: K, outChannels: N, channelStart: c0, channelEnd: c1,
        inStride: c.inStride, outStride: c.outStride, accumulate: c.accumulate, clampMin: c.clamp.min, clampMax: c.clamp.max,
      });
      calls.push({ at, p0, p1, c0, c1 });
    }
  }
  const check = m.check();
  for (const call of calls) {
    k.exports.pointwise(call.at);
    for (let p = call.p0; p < call.p1; p++) {
      for (let o = call.c0; o < call.c1; o++) check.expect(outPtr + (p * c.outStride + o) * 4, expected[p * N + o]!);
    }
    check.verify(`${m.label}, pixels [${call.p0}, ${call.p1}) channels [${call.c0}, ${call.c1})`);
  }
}

function pointwiseGradInputRun(variant: KernelVariant, m: Placement, P: number, CI: number, CO: number, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const weight = rng.array(CI * CO);
  const gradOutput = rng.array(P * CO);
  const expected = new Float32Array(P * CI);
  pointwiseConv2dBackward(new Float32Array(P * CI), weight, gradOutput, expected, null, null, { pixels: P, inChannels: CI, outChannels: CO });
  const packed = packPointwiseTransposed(weight, CI, CO);
  const wPtr = m.buf('transposed weights', packed.length, packed);
  const gyPtr = m.buf('gradOutput', P * CO, gradOutput);
  const gxPtr = m.buf('gradInput', P * CI);
  const at = m.desc(POINTWISE_DESC_BYTES);
  writePointwiseDesc(m.view(), at, {
    input: gyPtr, weights: wPtr, bias: wPtr + pointwiseBiasOffset(CO, CI) * 4, residual: 0, output: gxPtr, pixelStart: 0, pixelEnd: P,
    inChannels: CO, outChannels: CI, channelStart: 0, channelEnd: CI, inStride: CO, outStride: CI, accumulate: false,
    clampMin: -Infinity, clampMax: Infinity,
  });
  const check = m.check();
  k.exports.pointwise(at);
  for (let i = 0; i < P * CI; i++) check.expect(gxPtr + i * 4, expected[i]!);
  check.verify(m.label);
}

// ---------------------------------------------------------------------------------------------------
// depthwise3x3 (input bands, output bands) and its backward kernels

interface DepthwiseCase extends Omit<DepthwiseGeometry, 'rowStart' | 'rowEnd'> {
  readonly clamp: Clamp;
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
  /** Each call gets only the input rows it needs (inputRowBase). */
  readonly band: boolean;
  /** Each row chunk writes its own band, passed as output = band − r0·rowBytes (>>> 0). */
  readonly bandOutput: boolean;
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

function depthwiseRun(variant: KernelVariant, m: Placement, c: DepthwiseCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = c;
  const input = rng.array(H * W * C);
  const weight = rng.array(9 * C);
  const bias = rng.array(C);
  const conv = new Float32Array(OH * OW * C);
  depthwiseConv2d(input, weight, bias, conv, {
    batch: 1, inHeight: H, inWidth: W, channels: C, multiplier: 1, outHeight: OH, outWidth: OW, kernelHeight: 3, kernelWidth: 3,
    strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
  });
  const expected = applyClamp(conv, c.clamp);

  const outRowFloats = OW * c.outStride;
  const bands = c.bandOutput ? c.rowChunks.map(([r0, r1], i) => m.buf(`output band ${i}`, (r1 - r0) * outRowFloats)) : null;
  const packed = packDepthwise3x3(weight, bias, C);
  const wPtr = m.buf('weights', packed.length, packed);
  const whole = stridedData(input, H * W, C, c.inStride);
  const wholePtr = c.band ? 0 : m.buf('input', whole.length, whole);
  const outPtr = bands === null ? m.buf('output', OH * OW * c.outStride) : 0;
  const calls = c.rowChunks.map(([r0, r1], i) => {
    const base = bands === null ? outPtr : bands[i]! - r0 * outRowFloats * 4;
    let inputPtr = wholePtr;
    let inputRowBase = 0;
    if (c.band) {
      const first = Math.max(0, r0 * c.strideH - c.padTop);
      const last = Math.min(H - 1, (r1 - 1) * c.strideH - c.padTop + 2 * c.dilationH);
      const rowFloats = W * c.inStride;
      if (first <= last) {
        inputPtr = m.buf(`input band ${i}`, (last - first + 1) * rowFloats, whole.subarray(first * rowFloats, (last + 1) * rowFloats));
        inputRowBase = first;
      } else {
        inputPtr = m.buf(`empty input band ${i}`, 4);
      }
    }
    const at = m.desc(DEPTHWISE3X3_DESC_BYTES);
    writeDepthwise3x3Desc(m.view(), at, {
      input: inputPtr, weights: wPtr, output: base >>> 0, inHeight: H, inWidth: W, channels: C, inStride: c.inStride, outStride: c.outStride,
      strideH: c.strideH, strideW: c.strideW, dilationH: c.dilationH, dilationW: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
      outHeight: OH, outWidth: OW, rowStart: r0, rowEnd: r1, inputRowBase, clampMin: c.clamp.min, clampMax: c.clamp.max,
    });
    return { at, r0, r1, base };
  });
  const check = m.check();
  for (const call of calls) {
    k.exports.depthwise3x3(call.at);
    for (let oy = call.r0; oy < call.r1; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        for (let ch = 0; ch < C; ch++) check.expect(call.base + ((oy * OW + ox) * c.outStride + ch) * 4, expected[(oy * OW + ox) * C + ch]!);
      }
    }
    check.verify(`${m.label}, rows [${call.r0}, ${call.r1})`);
  }
}

interface DepthwiseBackwardCase extends Omit<DepthwiseGeometry, 'rowStart' | 'rowEnd'> {
  /** Backward input: input-row chunks; backward weight: output-row chunks. */
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  readonly batch: number;
  readonly bias: boolean;
  readonly accumulate: boolean;
}

function depthwiseBackwardInputRun(variant: KernelVariant, m: Placement, c: DepthwiseBackwardCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = c;
  const gradOutput = rng.array(OH * OW * C);
  const weight = rng.array(9 * C);
  const expected = new Float32Array(H * W * C);
  depthwiseConv2dBackward(new Float32Array(H * W * C), weight, gradOutput, expected, null, null, {
    batch: 1, inHeight: H, inWidth: W, channels: C, multiplier: 1, outHeight: OH, outWidth: OW, kernelHeight: 3, kernelWidth: 3,
    strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
  });
  const packed = packDepthwise3x3Transposed(weight, C);
  const wPtr = m.buf('rotated weights', packed.length, packed);
  const gyPtr = m.buf('gradOutput', OH * OW * c.outStride, stridedData(gradOutput, OH * OW, C, c.outStride));
  const gxPtr = m.buf('gradInput', H * W * c.inStride);
  const calls = c.rowChunks.map(([r0, r1]) => {
    const at = m.desc(DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES);
    writeDepthwise3x3BackwardInputDesc(m.view(), at, {
      gradOutput: gyPtr, weights: wPtr, gradInput: gxPtr, inHeight: H, inWidth: W, channels: C, inStride: c.inStride, outStride: c.outStride,
      strideH: c.strideH, strideW: c.strideW, dilationH: c.dilationH, dilationW: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
      outHeight: OH, outWidth: OW, rowStart: r0, rowEnd: r1,
    });
    return { at, r0, r1 };
  });
  const check = m.check();
  for (const call of calls) {
    k.exports.depthwise3x3BackwardInput(call.at);
    for (let iy = call.r0; iy < call.r1; iy++) {
      for (let ix = 0; ix < W; ix++) {
        for (let ch = 0; ch < C; ch++) check.expect(gxPtr + ((iy * W + ix) * c.inStride + ch) * 4, expected[(iy * W + ix) * C + ch]!);
      }
    }
    if (call.r1 > call.r0) check.verify(`${m.label}, input rows [${call.r0}, ${call.r1})`);
  }
}

function depthwiseBackwardWeightRun(variant: KernelVariant, m: Placement, c: DepthwiseBackwardCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { batch: N, inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = c;
  const input = rng.array(N * H * W * C);
  const gradOutput = rng.array(N * OH * OW * C);
  const oldWeight = c.accumulate ? rng.array(9 * C, 3) : null;
  const oldBias = c.accumulate && c.bias ? rng.array(C, 3) : null;
  const expectedWeight = oldWeight === null ? new Float32Array(9 * C) : oldWeight.slice();
  const expectedBias = oldBias === null ? new Float32Array(C) : oldBias.slice();
  depthwiseConv2dBackward(input, new Float32Array(9 * C), gradOutput, null, expectedWeight, expectedBias, {
    batch: N, inHeight: H, inWidth: W, channels: C, multiplier: 1, outHeight: OH, outWidth: OW, kernelHeight: 3, kernelWidth: 3,
    strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
  });
  const images = Array.from({ length: N }, (_, n) => ({
    x: m.buf(`input ${n}`, H * W * c.inStride, stridedData(input.subarray(n * H * W * C, (n + 1) * H * W * C), H * W, C, c.inStride)),
    gy: m.buf(`gradOutput ${n}`, OH * OW * c.outStride, stridedData(gradOutput.subarray(n * OH * OW * C, (n + 1) * OH * OW * C), OH * OW, C, c.outStride)),
  }));
  const gwPtr = m.buf('gradWeight', 9 * C, oldWeight ?? undefined);
  const gbPtr = c.bias ? m.buf('gradBias', C, oldBias ?? undefined) : 0;
  const chunks = c.channelChunks.map(([c0, c1]) => {
    const calls: number[] = [];
    for (const image of images) {
      for (const [r0, r1] of c.rowChunks) {
        const at = m.desc(DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES);
        writeDepthwise3x3BackwardWeightDesc(m.view(), at, {
          input: image.x, gradOutput: image.gy, gradWeight: gwPtr, gradBias: gbPtr, inHeight: H, inWidth: W, channels: C,
          inStride: c.inStride, outStride: c.outStride, strideH: c.strideH, strideW: c.strideW, dilationH: c.dilationH, dilationW: c.dilationW,
          padTop: c.padTop, padLeft: c.padLeft, outHeight: OH, outWidth: OW, rowStart: r0, rowEnd: r1, channelStart: c0, channelEnd: c1,
          accumulate: c.accumulate || calls.length > 0,
        });
        calls.push(at);
      }
    }
    return { c0, c1, calls };
  });
  const check = m.check();
  for (const { c0, c1, calls } of chunks) {
    for (const at of calls) k.exports.depthwise3x3BackwardWeight(at);
    if (c1 === c0) continue;
    for (let ch = c0; ch < c1; ch++) {
      for (let tap = 0; tap < 9; tap++) check.expect(gwPtr + (tap * C + ch) * 4, expectedWeight[tap * C + ch]!);
      if (c.bias) check.expect(gbPtr + ch * 4, expectedBias[ch]!);
    }
    check.verify(`${m.label}, channels [${c0}, ${c1})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// conv2dDirect (output bands) and its weight gradient

interface ConvCase extends Omit<DirectConvGeometry, 'rowStart' | 'rowEnd'> {
  readonly clamp: Clamp;
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  readonly bandOutput: boolean;
  readonly batch: number;
  readonly bias: boolean;
  readonly accumulate: boolean;
}

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

function convWindow(c: ConvCase) {
  return {
    inHeight: c.inHeight, inWidth: c.inWidth, inChannels: c.inChannels, outHeight: c.outHeight, outWidth: c.outWidth, outChannels: c.outChannels,
    groups: 1, kernelHeight: c.kernelH, kernelWidth: c.kernelW, strideHeight: c.strideH, strideWidth: c.strideW,
    dilationHeight: c.dilationH, dilationWidth: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
  };
}

function conv2dDirectRun(variant: KernelVariant, m: Placement, c: ConvCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, outHeight: OH, outWidth: OW, kernelH: KH, kernelW: KW } = c;
  const input = rng.array(H * W * CI);
  const weight = rng.array(KH * KW * CI * CO, 1 / Math.sqrt(KH * KW * CI));
  const bias = rng.array(CO);
  const conv = new Float32Array(OH * OW * CO);
  conv2d(input, weight, bias, conv, { batch: 1, ...convWindow(c) });
  const expected = applyClamp(conv, c.clamp);

  const rowFloats = OW * CO;
  const bands = c.bandOutput ? c.rowChunks.map(([r0, r1], i) => m.buf(`output band ${i}`, (r1 - r0) * rowFloats)) : null;
  const packed = packConv2dDirect(weight, bias, KH, KW, CI, CO);
  const wPtr = m.buf('weights', packed.length, packed);
  const inPtr = m.buf('input', input.length, input);
  const outPtr = bands === null ? m.buf('output', OH * OW * CO) : 0;
  const calls = c.rowChunks.map(([r0, r1], i) => {
    const base = bands === null ? outPtr : bands[i]! - r0 * rowFloats * 4;
    const at = m.desc(CONV2D_DIRECT_DESC_BYTES);
    writeConv2dDirectDesc(m.view(), at, {
      input: inPtr, weights: wPtr, bias: wPtr + conv2dDirectBiasOffset(KH, KW, CI, CO) * 4, output: base >>> 0,
      inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, kernelH: KH, kernelW: KW, strideH: c.strideH, strideW: c.strideW,
      dilationH: c.dilationH, dilationW: c.dilationW, padTop: c.padTop, padLeft: c.padLeft, outHeight: OH, outWidth: OW,
      rowStart: r0, rowEnd: r1, clampMin: c.clamp.min, clampMax: c.clamp.max,
    });
    return { at, r0, r1, base };
  });
  const check = m.check();
  for (const call of calls) {
    k.exports.conv2dDirect(call.at);
    for (let i = call.r0 * rowFloats; i < call.r1 * rowFloats; i++) check.expect(call.base + i * 4, expected[i]!);
    check.verify(`${m.label}, rows [${call.r0}, ${call.r1})`);
  }
}

function conv2dDirectBackwardWeightRun(variant: KernelVariant, m: Placement, c: ConvCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { batch: N, inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, outHeight: OH, outWidth: OW, kernelH: KH, kernelW: KW } = c;
  const weightLength = KH * KW * CI * CO;
  const input = rng.array(N * H * W * CI);
  const gradOutput = rng.array(N * OH * OW * CO);
  const oldWeight = c.accumulate ? rng.array(weightLength, 3) : null;
  const oldBias = c.accumulate && c.bias ? rng.array(CO, 3) : null;
  const expectedWeight = oldWeight === null ? new Float32Array(weightLength) : oldWeight.slice();
  const expectedBias = oldBias === null ? new Float32Array(CO) : oldBias.slice();
  conv2dBackward(input, new Float32Array(weightLength), gradOutput, null, expectedWeight, expectedBias, { batch: N, ...convWindow(c) });
  const images = Array.from({ length: N }, (_, n) => ({
    x: m.buf(`input ${n}`, H * W * CI, input.subarray(n * H * W * CI, (n + 1) * H * W * CI)),
    gy: m.buf(`gradOutput ${n}`, OH * OW * CO, gradOutput.subarray(n * OH * OW * CO, (n + 1) * OH * OW * CO)),
  }));
  const gwPtr = m.buf('gradWeight', weightLength, oldWeight ?? undefined);
  const gbPtr = c.bias ? m.buf('gradBias', CO, oldBias ?? undefined) : 0;
  const chunks = c.channelChunks.map(([c0, c1]) => {
    const calls: number[] = [];
    for (const image of images) {
      for (const [r0, r1] of c.rowChunks) {
        const at = m.desc(CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES);
        writeConv2dDirectBackwardWeightDesc(m.view(), at, {
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
  const check = m.check();
  for (const { c0, c1, calls } of chunks) {
    for (const at of calls) k.exports.conv2dDirectBackwardWeight(at);
    if (c1 === c0) continue;
    for (let row = 0; row < KH * KW * CI; row++) {
      for (let o = c0; o < c1; o++) check.expect(gwPtr + (row * CO + o) * 4, expectedWeight[row * CO + o]!);
    }
    if (c.bias) for (let o = c0; o < c1; o++) check.expect(gbPtr + o * 4, expectedBias[o]!);
    check.verify(`${m.label}, output channels [${c0}, ${c1})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// pointwiseWeightGrad

interface WeightGradCase {
  readonly pixels: number;
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly inStride: number;
  readonly gradStride: number;
  readonly bias: boolean;
  readonly accumulate: boolean;
  readonly ciChunks: ReadonlyArray<readonly [number, number]>;
  readonly pixelCuts: readonly number[];
}

function pointwiseWeightGradRun(variant: KernelVariant, m: Placement, c: WeightGradCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, inChannels: CI, outChannels: CO } = c;
  const input = rng.array(P * CI);
  const gradOutput = rng.array(P * CO);
  const oldWeight = c.accumulate ? rng.array(CI * CO, 3) : null;
  const oldBias = c.accumulate && c.bias ? rng.array(CO, 3) : null;
  const expectedWeight = oldWeight === null ? new Float32Array(CI * CO) : oldWeight.slice();
  const expectedBias = oldBias === null ? new Float32Array(CO) : oldBias.slice();
  const n = c.pixelEnd - c.pixelStart;
  if (n > 0) {
    pointwiseConv2dBackward(
      input.subarray(c.pixelStart * CI, c.pixelEnd * CI), new Float32Array(CI * CO), gradOutput.subarray(c.pixelStart * CO, c.pixelEnd * CO),
      null, expectedWeight, expectedBias, { pixels: n, inChannels: CI, outChannels: CO },
    );
  }
  const xPtr = m.buf('input', P * c.inStride, stridedData(input, P, CI, c.inStride));
  const gyPtr = m.buf('gradOutput', P * c.gradStride, stridedData(gradOutput, P, CO, c.gradStride));
  const gwPtr = m.buf('gradWeight', CI * CO, oldWeight ?? undefined);
  const gbPtr = c.bias ? m.buf('gradBias', CO, oldBias ?? undefined) : 0;
  const bounds = [c.pixelStart, ...c.pixelCuts, c.pixelEnd];
  const chunks = c.ciChunks.map(([c0, c1], chunk) => {
    const calls: number[] = [];
    for (let part = 0; part + 1 < bounds.length; part++) {
      const at = m.desc(POINTWISE_WEIGHT_GRAD_DESC_BYTES);
      writePointwiseWeightGradDesc(m.view(), at, {
        input: xPtr, gradOutput: gyPtr, gradWeight: gwPtr, gradBias: chunk === 0 ? gbPtr : 0,
        pixelStart: bounds[part]!, pixelEnd: bounds[part + 1]!, inChannels: CI, outChannels: CO, inChannelStart: c0, inChannelEnd: c1,
        inStride: c.inStride, gradStride: c.gradStride, accumulate: c.accumulate || part > 0,
      });
      calls.push(at);
    }
    return { c0, c1, chunk, calls };
  });
  const check = m.check();
  for (const { c0, c1, chunk, calls } of chunks) {
    for (const at of calls) k.exports.pointwiseWeightGrad(at);
    for (let ci = c0; ci < c1; ci++) {
      for (let co = 0; co < CO; co++) check.expect(gwPtr + (ci * CO + co) * 4, expectedWeight[ci * CO + co]!);
    }
    if (chunk === 0 && c.bias) for (let co = 0; co < CO; co++) check.expect(gbPtr + co * 4, expectedBias[co]!);
    if (c1 > c0 || (chunk === 0 && c.bias)) check.verify(`${m.label}, input channels [${c0}, ${c1})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Batch norm: channelStats, scaleShiftClamp, bnBackwardReduce, bnBackwardApply

interface StatsCase {
  readonly pixels: number;
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly channels: number;
  readonly stride: number;
  readonly shift: boolean;
  readonly accumulate: boolean;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  readonly pixelCuts: readonly number[];
}

function channelStatsRun(variant: KernelVariant, m: Placement, c: StatsCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, channels: C } = c;
  const input = rng.array(P * C, 2).map((v) => v + 0.5);
  const shift = c.shift ? rng.array(C, 0.5).map((v) => v + 0.5) : null;
  const oldSum = c.accumulate ? Float64Array.from(rng.array(C, 5)) : null;
  const oldSquares = c.accumulate ? Float64Array.from(rng.array(C, 5).map(Math.abs)) : null;
  // Exact float64 sums over [pixelStart, pixelEnd) and Σ|·| as the error scale, as channelStats.test.ts.
  const sum = new Float64Array(C);
  const squares = new Float64Array(C);
  const scale = new Float64Array(C);
  for (let p = c.pixelStart; p < c.pixelEnd; p++) {
    for (let ch = 0; ch < C; ch++) {
      const v = input[p * C + ch]! - (shift === null ? 0 : shift[ch]!);
      sum[ch] += v;
      squares[ch] += v * v;
      scale[ch] += Math.abs(v) + v * v;
    }
  }
  const xPtr = m.buf('input', P * c.stride, stridedData(input, P, C, c.stride));
  const shiftPtr = shift === null ? 0 : m.buf('shift', C, shift);
  const sumPtr = m.f64('sum', C, oldSum);
  const squaresPtr = m.f64('sumSquares', C, oldSquares);
  const scratch = m.buf('scratch', trainingScratchFloats(C));
  const bounds = [c.pixelStart, ...c.pixelCuts, c.pixelEnd];
  const chunks = c.channelChunks.map(([c0, c1]) => ({
    c0, c1,
    calls: bounds.slice(1).map((end, part) => {
      const at = m.desc(CHANNEL_STATS_DESC_BYTES);
      writeChannelStatsDesc(m.view(), at, {
        input: xPtr, shift: shiftPtr, sum: sumPtr, sumSquares: squaresPtr, scratch, pixelStart: bounds[part]!, pixelEnd: end, channels: C,
        stride: c.stride, channelStart: c0, channelEnd: c1, accumulate: c.accumulate || part > 0,
      });
      return at;
    }),
  }));
  const check = m.check();
  check.ignore(scratch, trainingScratchFloats(C));
  for (const { c0, c1, calls } of chunks) {
    for (const at of calls) k.exports.channelStats(at);
    if (c1 === c0) continue;
    for (let ch = c0; ch < c1; ch++) {
      check.expectF64(sumPtr + ch * 8, (oldSum?.[ch] ?? 0) + sum[ch]!, scale[ch]!);
      check.expectF64(squaresPtr + ch * 8, (oldSquares?.[ch] ?? 0) + squares[ch]!, scale[ch]!);
    }
    check.verify(`${m.label}, channels [${c0}, ${c1})`, 1e-6);
  }
}

interface ApplyCase {
  readonly pixels: number;
  readonly channels: number;
  readonly stride: number;
  readonly clamp: Clamp;
  readonly pixelChunks: ReadonlyArray<readonly [number, number]>;
  readonly inPlace: 'none' | 'gradOutput' | 'input' | 'activation';
}

function scaleShiftClampRun(variant: KernelVariant, m: Placement, c: ApplyCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, channels: C } = c;
  const input = rng.array(P * C, 4);
  const scale = rng.array(C, 2);
  const shift = rng.array(C, 3);
  const affine = new Float32Array(P * C);
  for (let i = 0; i < P * C; i++) affine[i] = input[i]! * scale[i % C]! + shift[i % C]!;
  const expected = applyClamp(affine, c.clamp);
  const xPtr = m.buf('input', P * c.stride, stridedData(input, P, C, c.stride));
  const outPtr = c.inPlace === 'input' ? xPtr : m.buf('output', P * c.stride);
  const scalePtr = m.buf('scale', C, scale);
  const shiftPtr = m.buf('shift', C, shift);
  const calls = c.pixelChunks.map(([p0, p1]) => {
    const at = m.desc(SCALE_SHIFT_CLAMP_DESC_BYTES);
    writeScaleShiftClampDesc(m.view(), at, {
      input: xPtr, output: outPtr, scale: scalePtr, shift: shiftPtr, pixelStart: p0, pixelEnd: p1, channels: C, stride: c.stride,
      clampMin: c.clamp.min, clampMax: c.clamp.max,
    });
    return { at, p0, p1 };
  });
  const check = m.check();
  for (const { at, p0, p1 } of calls) {
    k.exports.scaleShiftClamp(at);
    for (let p = p0; p < p1; p++) {
      for (let ch = 0; ch < C; ch++) check.expect(outPtr + (p * c.stride + ch) * 4, expected[p * C + ch]!);
    }
    if (p1 > p0) check.verify(`${m.label}, pixels [${p0}, ${p1})`);
  }
}

interface ReduceCase extends Omit<StatsCase, 'shift'> {
  readonly clamp: Clamp;
}

function bnBackwardReduceRun(variant: KernelVariant, m: Placement, c: ReduceCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, channels: C } = c;
  const data = batchNormData(rng, P, C, c.clamp);
  const oldDz = c.accumulate ? Float64Array.from(rng.array(C, 5)) : null;
  const oldDzXhat = c.accumulate ? Float64Array.from(rng.array(C, 5)) : null;
  const sumDz = new Float64Array(C);
  const sumDzXhat = new Float64Array(C);
  const scale = new Float64Array(C);
  for (let p = c.pixelStart; p < c.pixelEnd; p++) {
    for (let ch = 0; ch < C; ch++) {
      const i = p * C + ch;
      const xhat = (data.x[i]! - data.mean[ch]!) * data.invStd[ch]!;
      sumDz[ch] += data.dz[i]!;
      sumDzXhat[ch] += data.dz[i]! * xhat;
      scale[ch] += Math.abs(data.dz[i]!) * (1 + Math.abs(xhat));
    }
  }
  const linear = c.clamp.name === 'linear';
  const xPtr = m.buf('input', P * c.stride, stridedData(data.x, P, C, c.stride));
  const yPtr = linear ? 0 : m.buf('activation', P * c.stride, stridedData(data.y, P, C, c.stride));
  const gyPtr = m.buf('gradOutput', P * c.stride, stridedData(data.gradOutput, P, C, c.stride));
  const meanPtr = m.buf('mean', C, data.mean);
  const invStdPtr = m.buf('invStd', C, data.invStd);
  const dzPtr = m.f64('sumDz', C, oldDz);
  const dzXhatPtr = m.f64('sumDzXhat', C, oldDzXhat);
  const scratch = m.buf('scratch', trainingScratchFloats(C));
  const bounds = [c.pixelStart, ...c.pixelCuts, c.pixelEnd];
  const chunks = c.channelChunks.map(([c0, c1]) => ({
    c0, c1,
    calls: bounds.slice(1).map((end, part) => {
      const at = m.desc(BN_BACKWARD_REDUCE_DESC_BYTES);
      writeBnBackwardReduceDesc(m.view(), at, {
        input: xPtr, activation: yPtr, gradOutput: gyPtr, mean: meanPtr, invStd: invStdPtr, sumDz: dzPtr, sumDzXhat: dzXhatPtr, scratch,
        pixelStart: bounds[part]!, pixelEnd: end, channels: C, stride: c.stride, channelStart: c0, channelEnd: c1,
        accumulate: c.accumulate || part > 0, clampMin: linear ? -Infinity : c.clamp.min, clampMax: linear ? Infinity : c.clamp.max,
      });
      return at;
    }),
  }));
  const check = m.check();
  check.ignore(scratch, trainingScratchFloats(C));
  for (const { c0, c1, calls } of chunks) {
    for (const at of calls) k.exports.bnBackwardReduce(at);
    if (c1 === c0) continue;
    for (let ch = c0; ch < c1; ch++) {
      check.expectF64(dzPtr + ch * 8, (oldDz?.[ch] ?? 0) + sumDz[ch]!, scale[ch]!);
      check.expectF64(dzXhatPtr + ch * 8, (oldDzXhat?.[ch] ?? 0) + sumDzXhat[ch]!, scale[ch]!);
    }
    check.verify(`${m.label}, channels [${c0}, ${c1})`, 1e-6);
  }
}

function bnBackwardApplyRun(variant: KernelVariant, m: Placement, c: ApplyCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, channels: C } = c;
  const data = batchNormData(rng, P, C, c.clamp);
  const sumDz = new Float64Array(C);
  const sumDzXhat = new Float64Array(C);
  for (let i = 0; i < P * C; i++) {
    const ch = i % C;
    sumDz[ch] += data.dz[i]!;
    sumDzXhat[ch] += data.dz[i]! * (data.x[i]! - data.mean[ch]!) * data.invStd[ch]!;
  }
  const reference = new Float32Array(P * C);
  batchNormBackward(data.x, data.dz, reference, null, null, { gamma: data.gamma, beta: data.beta, epsilon: 1e-3 }, { mean: data.mean, invStd: data.invStd }, { count: P, channels: C });
  const linear = c.clamp.name === 'linear';
  assert.ok(!(linear && c.inPlace === 'activation'));
  const xPtr = m.buf('input', P * c.stride, stridedData(data.x, P, C, c.stride));
  const yPtr = linear ? 0 : m.buf('activation', P * c.stride, stridedData(data.y, P, C, c.stride));
  const gyPtr = m.buf('gradOutput', P * c.stride, stridedData(data.gradOutput, P, C, c.stride));
  const gxPtr = c.inPlace === 'gradOutput' ? gyPtr : c.inPlace === 'input' ? xPtr : c.inPlace === 'activation' ? yPtr : m.buf('gradInput', P * c.stride);
  const meanPtr = m.buf('mean', C, data.mean);
  const invStdPtr = m.buf('invStd', C, data.invStd);
  const gammaPtr = m.buf('gamma', C, data.gamma);
  const sumsPtr = m.f64('sums', 2 * C, Float64Array.from([...sumDz, ...sumDzXhat]));
  const scratch = m.buf('scratch', trainingScratchFloats(C));
  const calls = c.pixelChunks.map(([p0, p1]) => {
    const at = m.desc(BN_BACKWARD_APPLY_DESC_BYTES);
    writeBnBackwardApplyDesc(m.view(), at, {
      input: xPtr, activation: yPtr, gradOutput: gyPtr, gradInput: gxPtr, mean: meanPtr, invStd: invStdPtr, gamma: gammaPtr,
      sumDz: sumsPtr, sumDzXhat: sumsPtr + 8 * C, scratch, count: P, pixelStart: p0, pixelEnd: p1, channels: C, stride: c.stride,
      clampMin: linear ? -Infinity : c.clamp.min, clampMax: linear ? Infinity : c.clamp.max,
    });
    return { at, p0, p1 };
  });
  const check = m.check();
  check.ignore(scratch, trainingScratchFloats(C));
  for (const { at, p0, p1 } of calls) {
    k.exports.bnBackwardApply(at);
    for (let p = p0; p < p1; p++) {
      for (let ch = 0; ch < C; ch++) {
        const i = p * C + ch;
        const xhat = (data.x[i]! - data.mean[ch]!) * data.invStd[ch]!;
        check.expect(gxPtr + (p * c.stride + ch) * 4, data.gamma[ch]! * data.invStd[ch]! * (data.dz[i]! - sumDz[ch]! / P - xhat * sumDzXhat[ch]! / P));
      }
    }
    if (p1 > p0) check.verify(`${m.label}, pixels [${p0}, ${p1})`);
  }
  const got = new Float32Array(P * C);
  const all = m.arena.f32(gxPtr, P * c.stride);
  for (let p = 0; p < P; p++) got.set(all.subarray(p * c.stride, p * c.stride + C), p * C);
  assertClose(`${m.label}: against the reference batchNormBackward`, got, reference, 1e-4);
}

// ---------------------------------------------------------------------------------------------------
// addInPlace, globalAvgPool and its backward

function addInPlaceRun(variant: KernelVariant, m: Placement, length: number, chunks: ReadonlyArray<readonly [number, number]>, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const a = rng.array(length, 3);
  const b = rng.array(length, 3);
  const expected = addResidual(a, b);
  const aPtr = m.buf('target', length, a);
  const bPtr = m.buf('source', length, b);
  const calls = chunks.map(([start, end]) => {
    const at = m.desc(ADD_IN_PLACE_DESC_BYTES);
    writeAddInPlaceDesc(m.view(), at, { target: aPtr, source: bPtr, start, end });
    return { at, start, end };
  });
  const check = m.check();
  for (const { at, start, end } of calls) {
    k.exports.addInPlace(at);
    for (let i = start; i < end; i++) check.expect(aPtr + i * 4, expected[i]!);
    if (end > start) check.verify(`${m.label}, [${start}, ${end})`, 0);
  }
}

interface PoolCase {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly stride: number;
  /** Forward: channel chunks; backward: pixel chunks. */
  readonly chunks: ReadonlyArray<readonly [number, number]>;
}

function globalAvgPoolRun(variant: KernelVariant, m: Placement, c: PoolCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { height, width, channels, stride } = c;
  const pixels = height * width;
  const input = rng.array(pixels * channels, 4);
  const expected = new Float32Array(channels);
  globalAvgPool(input, expected, { batch: 1, height, width, channels });
  const inPtr = m.buf('input', pixels * stride, stridedData(input, pixels, channels, stride));
  const outPtr = m.buf('output', channels);
  const calls = c.chunks.map(([c0, c1]) => {
    const at = m.desc(GLOBAL_AVG_POOL_DESC_BYTES);
    writeGlobalAvgPoolDesc(m.view(), at, { input: inPtr, output: outPtr, pixels, channels, stride, channelStart: c0, channelEnd: c1 });
    return { at, c0, c1 };
  });
  const check = m.check();
  for (const call of calls) {
    k.exports.globalAvgPool(call.at);
    for (let ch = call.c0; ch < call.c1; ch++) check.expect(outPtr + ch * 4, expected[ch]!);
    if (call.c1 > call.c0) check.verify(`${m.label}, channels [${call.c0}, ${call.c1})`, 1e-5);
  }
}

function globalAvgPoolBackwardRun(variant: KernelVariant, m: Placement, c: PoolCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { height, width, channels, stride } = c;
  const pixels = height * width;
  const gradOutput = rng.array(channels, 5);
  const expected = new Float32Array(pixels * channels);
  globalAvgPoolBackward(gradOutput, expected, { batch: 1, height, width, channels });
  const gyPtr = m.buf('gradOutput', channels, gradOutput);
  const gxPtr = m.buf('gradInput', pixels * stride);
  const calls = c.chunks.map(([p0, p1]) => {
    const at = m.desc(GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES);
    writeGlobalAvgPoolBackwardDesc(m.view(), at, { gradOutput: gyPtr, gradInput: gxPtr, pixels, channels, stride, pixelStart: p0, pixelEnd: p1 });
    return { at, p0, p1 };
  });
  const check = m.check();
  for (const { at, p0, p1 } of calls) {
    k.exports.globalAvgPoolBackward(at);
    for (let p = p0; p < p1; p++) {
      for (let ch = 0; ch < channels; ch++) check.expect(gxPtr + (p * stride + ch) * 4, expected[p * channels + ch]!);
    }
    if (p1 > p0) check.verify(`${m.label}, pixels [${p0}, ${p1})`, 1e-6);
  }
}

// ---------------------------------------------------------------------------------------------------
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
          clamp: accumulate ? LINEAR : rng.pick([RELU6, OTHER, RELU]), residual, accumulate,
          pixelChunks: randomChunks(rng, pixels, 3), channelChunks: randomChunks(rng, outChannels, 3, 16),
        };
        const seed = 31000 + base + 10 * i + outChannels;
        everywhere(variant, `pointwise P=${pixels} ${inChannels}→${outChannels}${residual ? ' residual' : ''}${accumulate ? ' accumulate' : ''}`, seed,
          (m) => pointwiseRun(variant, m, c, seed));
      }
    });
    for (const [P, CI, CO] of [[rng.int(3, 30), rng.int(1, 40), rng.int(1, 40)], [7, 37, 18]] as const) {
      const seed = 31100 + base + P;
      everywhere(variant, `pointwise dX P=${P} Cin=${CI} Cout=${CO}`, seed, (m) => pointwiseGradInputRun(variant, m, P, CI, CO, seed));
    }
  });

  test(`depthwise3x3 (${variant}) above 2 GiB: stride 1/2/3, dilation 2, input and output bands`, () => {
    const rng = new Random(32 + base);
    const cases: DepthwiseCase[] = [
      { ...depthwiseGeometry(9, 10, 13, 1, 1, 1, 1, rng), clamp: RELU6, rowChunks: [[0, 4], [4, 9]], band: true, bandOutput: false },
      { ...depthwiseGeometry(11, 12, 8, 2, 2, 1, 1, rng), clamp: OTHER, rowChunks: [[0, 2], [2, 6]], band: false, bandOutput: true },
      { ...depthwiseGeometry(10, 9, 6, 1, 1, 2, 2, rng), clamp: LINEAR, rowChunks: [[0, 10]], band: true, bandOutput: true },
      { ...depthwiseGeometry(13, 11, 37, 3, 3, 1, 1, rng, [1, 1, 0, 2]), clamp: RELU, rowChunks: [[0, 1], [1, 5]], band: false, bandOutput: false },
    ];
    cases.forEach((c, i) => {
      const seed = 32000 + base + i;
      everywhere(variant, `depthwise3x3 ${c.inHeight}×${c.inWidth}×${c.channels} s${c.strideH} d${c.dilationH}`, seed, (m) => depthwiseRun(variant, m, c, seed));
    });
  });

  test(`depthwise3x3BackwardInput (${variant}) above 2 GiB: stride 1 (forward code), stride 2 pairs, gather paths`, () => {
    const rng = new Random(33 + base);
    const one = { batch: 1, bias: false, accumulate: false, channelChunks: [] };
    const cases: DepthwiseBackwardCase[] = [
      { ...depthwiseGeometry(9, 11, 13, 1, 1, 1, 1, rng), rowChunks: [[0, 5], [5, 9]], ...one },
      { ...depthwiseGeometry(12, 13, 10, 2, 2, 1, 1, rng), rowChunks: [[0, 3], [3, 12]], ...one },
      { ...depthwiseGeometry(10, 10, 7, 3, 2, 2, 2, rng), rowChunks: [[0, 10]], ...one },
      // Stride 1 with padding beyond 2·dilation: the gather path.
      { ...depthwiseGeometry(7, 8, 5, 1, 1, 1, 1, rng, [3, 1, 3, 2]), rowChunks: [[0, 4], [4, 7]], ...one },
    ];
    cases.forEach((c, i) => {
      const seed = 33000 + base + i;
      everywhere(variant, `depthwise3x3BackwardInput ${c.inHeight}×${c.inWidth}×${c.channels} s${c.strideH}×${c.strideW} d${c.dilationH}`, seed,
        (m) => depthwiseBackwardInputRun(variant, m, c, seed));
    });
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
      const c: DepthwiseBackwardCase = {
        ...g, batch: 1 + (i % 2), bias: i !== 2, accumulate: i % 2 === 1,
        channelChunks: randomChunks(rng, g.channels, 3), rowChunks: randomChunks(rng, g.outHeight, 3),
      };
      const seed = 34000 + base + i;
      everywhere(variant, `depthwise3x3BackwardWeight N=${c.batch} ${c.inHeight}×${c.inWidth}×${c.channels} s${c.strideH}×${c.strideW} d${c.dilationH}`, seed,
        (m) => depthwiseBackwardWeightRun(variant, m, c, seed));
    });
  });

  test(`conv2dDirect (${variant}) above 2 GiB: stems (16, 13, 5, 37 output channels), 5×5 dilated, output bands`, () => {
    const rest = { batch: 1, bias: true, accumulate: false, channelChunks: [] };
    const cases: ConvCase[] = [
      { ...convGeometry(15, 16, 3, 16, 3, 3, 2, 1), clamp: RELU6, rowChunks: [[0, 3], [3, 8]], bandOutput: false, ...rest },
      { ...convGeometry(12, 11, 3, 13, 3, 3, 2, 1), clamp: OTHER, rowChunks: [[0, 2], [2, 6]], bandOutput: true, ...rest },
      { ...convGeometry(9, 10, 2, 5, 3, 3, 1, 1), clamp: LINEAR, rowChunks: [[0, 9]], bandOutput: false, ...rest },
      { ...convGeometry(9, 9, 3, 37, 5, 5, 1, 2), clamp: RELU, rowChunks: [[0, 4], [4, 9]], bandOutput: true, ...rest },
    ];
    cases.forEach((c, i) => {
      const seed = 35000 + base + i;
      everywhere(variant, `conv2dDirect ${c.inHeight}×${c.inWidth}×${c.inChannels}→${c.outChannels} k${c.kernelH} s${c.strideH} d${c.dilationH}`, seed,
        (m) => conv2dDirectRun(variant, m, c, seed));
    });
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
      const c: ConvCase = {
        ...g, clamp: LINEAR, bandOutput: false, batch: 1 + (i % 2), bias: i !== 1, accumulate: i >= 2,
        channelChunks: randomChunks(rng, g.outChannels, 3), rowChunks: randomChunks(rng, g.outHeight, 2),
      };
      const seed = 36000 + base + i;
      everywhere(variant, `conv2dDirectBackwardWeight N=${c.batch} ${c.inHeight}×${c.inWidth}×${c.inChannels}→${c.outChannels} k${c.kernelH} s${c.strideH} d${c.dilationH}`,
        seed, (m) => conv2dDirectBackwardWeightRun(variant, m, c, seed));
    });
  });

  test(`pointwiseWeightGrad (${variant}) above 2 GiB: tiles 16/8/4/partial, pixel sub-ranges and parts, input-channel chunks, bias, accumulate`, () => {
    const rng = new Random(37 + base);
    const cases: WeightGradCase[] = [
      { pixels: 40, pixelStart: 3, pixelEnd: 40, inChannels: 7, outChannels: 37, inStride: 9, gradStride: 37, bias: true, accumulate: false, ciChunks: [[0, 3], [3, 7]], pixelCuts: [20] },
      { pixels: 25, pixelStart: 0, pixelEnd: 25, inChannels: 13, outChannels: 11, inStride: 13, gradStride: 14, bias: true, accumulate: true, ciChunks: [[0, 13]], pixelCuts: [] },
      { pixels: 70, pixelStart: 0, pixelEnd: 66, inChannels: 5, outChannels: 256, inStride: 5, gradStride: 256, bias: false, accumulate: false, ciChunks: [[0, 2], [2, 5]], pixelCuts: [] },
      {
        pixels: 30, pixelStart: 1, pixelEnd: 29, inChannels: 22, outChannels: 3, inStride: strideOf(rng, 22), gradStride: strideOf(rng, 3), bias: true, accumulate: true,
        ciChunks: randomChunks(rng, 22, 3), pixelCuts: [10],
      },
    ];
    cases.forEach((c, i) => {
      const seed = 37000 + base + i;
      everywhere(variant, `pointwiseWeightGrad P=${c.pixels} ${c.inChannels}→${c.outChannels}`, seed, (m) => pointwiseWeightGradRun(variant, m, c, seed));
    });
  });

  test(`channelStats (${variant}) above 2 GiB: sums in registers and in scratch, shift, channel chunks, parts, accumulate`, () => {
    const rng = new Random(38 + base);
    const cases: StatsCase[] = [
      { pixels: 90, pixelStart: 0, pixelEnd: 90, channels: 12, stride: 12, shift: true, accumulate: false, channelChunks: [[0, 12]], pixelCuts: [] },
      { pixels: 150, pixelStart: 5, pixelEnd: 147, channels: 37, stride: 40, shift: true, accumulate: true, channelChunks: [[0, 9], [9, 37]], pixelCuts: [70] },
      { pixels: 33, pixelStart: 0, pixelEnd: 33, channels: 20, stride: strideOf(rng, 20), shift: false, accumulate: false, channelChunks: randomChunks(rng, 20, 3), pixelCuts: [] },
    ];
    cases.forEach((c, i) => {
      const seed = 38000 + base + i;
      everywhere(variant, `channelStats P=${c.pixels} C=${c.channels}${c.shift ? ' shift' : ''}`, seed, (m) => channelStatsRun(variant, m, c, seed));
    });
  });

  test(`scaleShiftClamp (${variant}) above 2 GiB: chunks of 16 and tails, strided, in place`, () => {
    const rng = new Random(39 + base);
    const cases: ApplyCase[] = [
      { pixels: 30, channels: 37, stride: 41, clamp: RELU6, pixelChunks: randomChunks(rng, 30, 3), inPlace: 'none' },
      { pixels: 20, channels: 16, stride: 16, clamp: OTHER, pixelChunks: [[0, 20]], inPlace: 'input' },
      { pixels: 9, channels: 5, stride: 7, clamp: LINEAR, pixelChunks: [[0, 4], [4, 9]], inPlace: 'none' },
    ];
    cases.forEach((c, i) => {
      const seed = 39000 + base + i;
      everywhere(variant, `scaleShiftClamp P=${c.pixels} C=${c.channels} ${c.clamp.name}${c.inPlace === 'none' ? '' : ' in place'}`, seed,
        (m) => scaleShiftClampRun(variant, m, c, seed));
    });
  });

  test(`bnBackwardReduce (${variant}) above 2 GiB: masked (ReLU6, other) and linear, channel chunks, parts, accumulate`, () => {
    const cases: ReduceCase[] = [
      { pixels: 120, pixelStart: 0, pixelEnd: 120, channels: 37, stride: 39, clamp: RELU6, accumulate: false, channelChunks: [[0, 20], [20, 37]], pixelCuts: [64] },
      { pixels: 50, pixelStart: 2, pixelEnd: 49, channels: 8, stride: 8, clamp: LINEAR, accumulate: true, channelChunks: [[0, 8]], pixelCuts: [] },
      { pixels: 40, pixelStart: 0, pixelEnd: 40, channels: 19, stride: 22, clamp: OTHER, accumulate: false, channelChunks: [[0, 5], [5, 19]], pixelCuts: [] },
    ];
    cases.forEach((c, i) => {
      const seed = 40000 + base + i;
      everywhere(variant, `bnBackwardReduce P=${c.pixels} C=${c.channels} ${c.clamp.name}`, seed, (m) => bnBackwardReduceRun(variant, m, c, seed));
    });
  });

  test(`bnBackwardApply (${variant}) above 2 GiB: masked and linear, in place over each input`, () => {
    const rng = new Random(41 + base);
    const cases: ApplyCase[] = [
      { pixels: 60, channels: 37, stride: 40, clamp: RELU6, pixelChunks: randomChunks(rng, 60, 3), inPlace: 'none' },
      { pixels: 25, channels: 12, stride: 12, clamp: LINEAR, pixelChunks: [[0, 25]], inPlace: 'gradOutput' },
      { pixels: 30, channels: 21, stride: 23, clamp: RELU, pixelChunks: [[0, 11], [11, 30]], inPlace: 'input' },
      { pixels: 17, channels: 6, stride: 6, clamp: OTHER, pixelChunks: [[0, 17]], inPlace: 'activation' },
    ];
    cases.forEach((c, i) => {
      const seed = 41000 + base + i;
      everywhere(variant, `bnBackwardApply P=${c.pixels} C=${c.channels} ${c.clamp.name}${c.inPlace === 'none' ? '' : ` in place over ${c.inPlace}`}`, seed,
        (m) => bnBackwardApplyRun(variant, m, c, seed));
    });
  });

  test(`addInPlace (${variant}) above 2 GiB: any alignment of the range`, () => {
    const rng = new Random(42 + base);
    for (const length of [1, 37, 300, 1500]) {
      const chunks = randomChunks(rng, length, 4);
      const seed = 42000 + base + length;
      everywhere(variant, `addInPlace length ${length}`, seed, (m) => addInPlaceRun(variant, m, length, chunks, seed));
    }
  });

  test(`globalAvgPool and globalAvgPoolBackward (${variant}) above 2 GiB: chunks of 16 and tails, strided pixels`, () => {
    const rng = new Random(43 + base);
    const forward: PoolCase[] = [
      { height: 7, width: 7, channels: 70, stride: 70, chunks: [[0, 33], [33, 70]] },
      { height: 3, width: 5, channels: 37, stride: 41, chunks: randomChunks(rng, 37, 3) },
    ];
    forward.forEach((c, i) => {
      const seed = 43000 + base + i;
      everywhere(variant, `globalAvgPool ${c.height}×${c.width}×${c.channels}`, seed, (m) => globalAvgPoolRun(variant, m, c, seed));
    });
    const backward: PoolCase[] = [
      { height: 7, width: 7, channels: 70, stride: 70, chunks: [[0, 25], [25, 49]] },
      { height: 4, width: 3, channels: 37, stride: 41, chunks: randomChunks(rng, 12, 3) },
    ];
    backward.forEach((c, i) => {
      const seed = 43100 + base + i;
      everywhere(variant, `globalAvgPoolBackward ${c.height}×${c.width}×${c.channels}`, seed, (m) => globalAvgPoolBackwardRun(variant, m, c, seed));
    });
  });
}

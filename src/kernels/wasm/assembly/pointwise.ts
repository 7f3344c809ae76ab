// pointwise: 1×1 convolution over NHWC pixels as a register-tiled GEMM with a fused epilogue.
// The descriptor and the packed weight layout are documented in src/kernels/wasm/README.md.
//
// Micro-kernels: 2 pixels × 16 channels (8 accumulators, 4 weight vectors and 1 broadcast input =
// 13 of the 15 SIMD registers V8 gives us on x64) for full panels, and 4 pixels × 8 channels for
// panels with at most 8 live channels (the narrow last panel, or a sub-range ending mid-panel).
// The k loop is not unrolled on purpose: V8 emits a basic block's loads before its arithmetic, so an
// unrolled body keeps twice the loaded values alive and spills; one step per iteration does not.
// The two main tiles are inlined into the pixel loop (no call per tile, invariants hoisted: worth
// ~10% on layers with few input channels); the one-pixel remainder tiles stay out of line.
import { clamp, loadN, madd, max32, min32, storeN } from './common';
import {
  PW_ACCUMULATE, PW_BIAS, PW_CHANNEL_END, PW_CHANNEL_START, PW_CLAMP_MAX, PW_CLAMP_MIN, PW_IN_CHANNELS,
  PW_IN_STRIDE, PW_INPUT, PW_NR, PW_OUT_CHANNELS, PW_OUT_STRIDE, PW_OUTPUT, PW_PIXEL_END, PW_PIXEL_START,
  PW_RESIDUAL, PW_WEIGHTS, pointwisePaddedChannels,
} from './layout';

/**
 * Pixels per block: each block sweeps all channel panels of the sub-range before the next block,
 * so that the block's input rows are reused from cache by every panel.
 */
const PIXEL_BLOCK: i32 = 64;

/**
 * The general epilogue of one vector of n (0…4) channels: v = acc + bias (+ the old output when
 * accumulating), clamped to [lo, hi], plus the residual (r ≠ 0); stores n lanes, touches nothing beyond.
 */
@inline function finishVec(o: usize, r: usize, c: v128, b: v128, n: i32, accumulate: bool, lo: v128, hi: v128): void {
  let v = f32x4.add(c, b);
  if (n >= 4) {
    if (accumulate) v = f32x4.add(v, v128.load(o));
    v = clamp(v, lo, hi);
    if (r != 0) v = f32x4.add(v, v128.load(r));
    v128.store(o, v);
  } else if (n > 0) {
    if (accumulate) v = f32x4.add(v, loadN(o, n));
    v = clamp(v, lo, hi);
    if (r != 0) v = f32x4.add(v, loadN(r, n));
    storeN(o, v, n);
  }
}

/** The common epilogue: all lanes live, no accumulate, no residual. */
@inline function finishFast(o: usize, c: v128, b: v128, lo: v128, hi: v128): void {
  v128.store(o, clamp(f32x4.add(c, b), lo, hi));
}

/** The epilogue of one pixel row of 16 channels. `fast` = all 16 live, no accumulate, no residual. */
@inline function finishRow16(
  o: usize, r: usize, c0: v128, c1: v128, c2: v128, c3: v128, bias: usize,
  cols: i32, fast: bool, accumulate: bool, lo: v128, hi: v128,
): void {
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  const b2 = v128.load(bias, 32);
  const b3 = v128.load(bias, 48);
  if (fast) {
    finishFast(o, c0, b0, lo, hi);
    finishFast(o + 16, c1, b1, lo, hi);
    finishFast(o + 32, c2, b2, lo, hi);
    finishFast(o + 48, c3, b3, lo, hi);
  } else {
    finishVec(o, r, c0, b0, min32(cols, 4), accumulate, lo, hi);
    finishVec(o + 16, r != 0 ? r + 16 : 0, c1, b1, max32(0, min32(cols - 4, 4)), accumulate, lo, hi);
    finishVec(o + 32, r != 0 ? r + 32 : 0, c2, b2, max32(0, min32(cols - 8, 4)), accumulate, lo, hi);
    finishVec(o + 48, r != 0 ? r + 48 : 0, c3, b3, max32(0, min32(cols - 12, 4)), accumulate, lo, hi);
  }
}

/** The epilogue of one pixel row of 8 channels. */
@inline function finishRow8(
  o: usize, r: usize, c0: v128, c1: v128, bias: usize, cols: i32, fast: bool, accumulate: bool, lo: v128, hi: v128,
): void {
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  if (fast) {
    finishFast(o, c0, b0, lo, hi);
    finishFast(o + 16, c1, b1, lo, hi);
  } else {
    finishVec(o, r, c0, b0, min32(cols, 4), accumulate, lo, hi);
    finishVec(o + 16, r != 0 ? r + 16 : 0, c1, b1, max32(0, min32(cols - 4, 4)), accumulate, lo, hi);
  }
}

/**
 * Two pixels (input rows at a and a + sa) times one 16-wide panel w ([K][16] floats); outputs at o
 * and o + so, residual rows at r and r + so (r = 0: none).
 */
@inline function tile2x16(
  a: usize, sa: usize, w: usize, K: i32, o: usize, so: usize, r: usize, bias: usize,
  cols: i32, fast: bool, accumulate: bool, lo: v128, hi: v128,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c02 = f32x4.splat(0);
  let c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c12 = f32x4.splat(0);
  let c13 = f32x4.splat(0);
  let a0 = a;
  let a1 = a + sa;
  let wp = w;
  for (let k = K; k > 0; k--) {
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    const w2 = v128.load(wp, 32);
    const w3 = v128.load(wp, 48);
    let x = v128.load32_splat(a0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    c02 = madd(x, w2, c02);
    c03 = madd(x, w3, c03);
    x = v128.load32_splat(a1);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    c12 = madd(x, w2, c12);
    c13 = madd(x, w3, c13);
    a0 += 4;
    a1 += 4;
    wp += 64;
  }
  finishRow16(o, r, c00, c01, c02, c03, bias, cols, fast, accumulate, lo, hi);
  finishRow16(o + so, r != 0 ? r + so : 0, c10, c11, c12, c13, bias, cols, fast, accumulate, lo, hi);
}

/** One pixel times one 16-wide panel (the odd pixel of a sub-range). */
function tile1x16(
  a: usize, w: usize, K: i32, o: usize, r: usize, bias: usize,
  cols: i32, fast: bool, accumulate: bool, lo: v128, hi: v128,
): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let a0 = a;
  let wp = w;
  for (let k = K; k > 0; k--) {
    const x = v128.load32_splat(a0);
    c0 = madd(x, v128.load(wp), c0);
    c1 = madd(x, v128.load(wp, 16), c1);
    c2 = madd(x, v128.load(wp, 32), c2);
    c3 = madd(x, v128.load(wp, 48), c3);
    a0 += 4;
    wp += 64;
  }
  finishRow16(o, r, c0, c1, c2, c3, bias, cols, fast, accumulate, lo, hi);
}

/**
 * Four pixels times the first 8 channels of a panel whose rows are ws bytes apart (32 for the narrow
 * last panel, 64 when a sub-range ends within the first half of a 16-wide panel).
 */
@inline function tile4x8(
  a: usize, sa: usize, w: usize, ws: usize, K: i32, o: usize, so: usize, r: usize, bias: usize,
  cols: i32, fast: bool, accumulate: bool, lo: v128, hi: v128,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  let a0 = a;
  let a1 = a0 + sa;
  let a2 = a1 + sa;
  let a3 = a2 + sa;
  let wp = w;
  for (let k = K; k > 0; k--) {
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    x = v128.load32_splat(a2);
    c20 = madd(x, w0, c20);
    c21 = madd(x, w1, c21);
    x = v128.load32_splat(a3);
    c30 = madd(x, w0, c30);
    c31 = madd(x, w1, c31);
    a0 += 4;
    a1 += 4;
    a2 += 4;
    a3 += 4;
    wp += ws;
  }
  finishRow8(o, r, c00, c01, bias, cols, fast, accumulate, lo, hi);
  finishRow8(o + so, r != 0 ? r + so : 0, c10, c11, bias, cols, fast, accumulate, lo, hi);
  finishRow8(o + 2 * so, r != 0 ? r + 2 * so : 0, c20, c21, bias, cols, fast, accumulate, lo, hi);
  finishRow8(o + 3 * so, r != 0 ? r + 3 * so : 0, c30, c31, bias, cols, fast, accumulate, lo, hi);
}

/** One pixel times the first 8 channels of a panel (rows ws bytes apart). */
function tile1x8(
  a: usize, w: usize, ws: usize, K: i32, o: usize, r: usize, bias: usize,
  cols: i32, fast: bool, accumulate: bool, lo: v128, hi: v128,
): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let a0 = a;
  let wp = w;
  for (let k = K; k > 0; k--) {
    const x = v128.load32_splat(a0);
    c0 = madd(x, v128.load(wp), c0);
    c1 = madd(x, v128.load(wp, 16), c1);
    a0 += 4;
    wp += ws;
  }
  finishRow8(o, r, c0, c1, bias, cols, fast, accumulate, lo, hi);
}

/**
 * out[p, c] = clamp(Σ_k in[p, k]·W[k, c] + bias[c] (+ out[p, c] when accumulate), clampMin, clampMax)
 * (+ residual[p, c] when residual ≠ 0), for p in [pixelStart, pixelEnd), c in [channelStart, channelEnd).
 * channelStart must be a multiple of PW_NR (16).
 */
export function pointwise(d: usize): void {
  const input = load<u32>(d, PW_INPUT) as usize;
  const weights = load<u32>(d, PW_WEIGHTS) as usize;
  const bias = load<u32>(d, PW_BIAS) as usize;
  const residual = load<u32>(d, PW_RESIDUAL) as usize;
  const output = load<u32>(d, PW_OUTPUT) as usize;
  const pixelStart = load<i32>(d, PW_PIXEL_START);
  const pixelEnd = load<i32>(d, PW_PIXEL_END);
  const K = load<i32>(d, PW_IN_CHANNELS);
  const padded = pointwisePaddedChannels(load<i32>(d, PW_OUT_CHANNELS));
  const channelStart = load<i32>(d, PW_CHANNEL_START);
  const channelEnd = load<i32>(d, PW_CHANNEL_END);
  const sa = (load<i32>(d, PW_IN_STRIDE) as usize) << 2;
  const so = (load<i32>(d, PW_OUT_STRIDE) as usize) << 2;
  const accumulate = load<i32>(d, PW_ACCUMULATE) != 0;
  const lo = f32x4.splat(load<f32>(d, PW_CLAMP_MIN));
  const hi = f32x4.splat(load<f32>(d, PW_CLAMP_MAX));
  const plain = !accumulate && residual == 0;
  const panelStride = (K as usize) * (PW_NR << 2); // bytes from one 16-wide panel to the next

  for (let p0 = pixelStart; p0 < pixelEnd; p0 += PIXEL_BLOCK) {
    const p1 = min32(p0 + PIXEL_BLOCK, pixelEnd);
    for (let c = channelStart; c < channelEnd; c += PW_NR) {
      const cols = min32(PW_NR, channelEnd - c);
      const w = weights + ((c / PW_NR) as usize) * panelStride;
      const b = bias + ((c as usize) << 2);
      const cOffset = (c as usize) << 2;
      let a = input + (p0 as usize) * sa;
      let o = output + (p0 as usize) * so + cOffset;
      let r: usize = residual != 0 ? residual + (p0 as usize) * so + cOffset : 0;
      let p = p0;
      if (cols > 8) {
        const fast = plain && cols == 16;
        const step = (2 as usize) * so;
        const rStep: usize = residual != 0 ? step : 0;
        for (; p + 2 <= p1; p += 2) {
          tile2x16(a, sa, w, K, o, so, r, b, cols, fast, accumulate, lo, hi);
          a += (2 as usize) * sa;
          o += step;
          r += rStep;
        }
        if (p < p1) tile1x16(a, w, K, o, r, b, cols, fast, accumulate, lo, hi);
      } else {
        // At most 8 live channels: the narrow last panel ([K][8]) or the first half of a 16-wide one.
        const ws: usize = padded - c >= 16 ? 64 : 32;
        const fast = plain && cols == 8;
        const step = (4 as usize) * so;
        const rStep: usize = residual != 0 ? step : 0;
        for (; p + 4 <= p1; p += 4) {
          tile4x8(a, sa, w, ws, K, o, so, r, b, cols, fast, accumulate, lo, hi);
          a += (4 as usize) * sa;
          o += step;
          r += rStep;
        }
        for (; p < p1; p++) {
          tile1x8(a, w, ws, K, o, r, b, cols, fast, accumulate, lo, hi);
          a += sa;
          o += so;
          if (residual != 0) r += so;
        }
      }
    }
  }
}

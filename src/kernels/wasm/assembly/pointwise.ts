// pointwise: 1×1 convolution over NHWC pixels as a register-tiled GEMM with a fused epilogue.
// See src/kernels/wasm/README.md for the descriptor and the packed weight layout.
import { clamp, loadN, madd, min32, storeN } from './common';
import {
  PW_ACCUMULATE, PW_BIAS, PW_CHANNEL_END, PW_CHANNEL_START, PW_CLAMP_MAX, PW_CLAMP_MIN, PW_IN_CHANNELS,
  PW_IN_STRIDE, PW_INPUT, PW_NR, PW_OUT_STRIDE, PW_OUTPUT, PW_PIXEL_END, PW_PIXEL_START, PW_RESIDUAL, PW_WEIGHTS,
} from './layout';

/** Pixels per micro-tile (rows of the register tile); the tile is MR × 8 output channels. */
const MR: i32 = 4;
/** Pixels per block: for each block the kernel sweeps all channel panels, so the block's input rows stay in cache. */
const PIXEL_BLOCK: i32 = 1000000;

/**
 * The epilogue of one pixel row of a tile: v = acc + bias (+ the output's old value when
 * accumulating), clamped to [lo, hi], plus the residual row when there is one; stores `cols` lanes.
 */
@inline function finishRow(
  out: usize, res: usize, c0: v128, c1: v128, b0: v128, b1: v128, cols: i32, accumulate: bool, lo: v128, hi: v128,
): void {
  let v0 = f32x4.add(c0, b0);
  let v1 = f32x4.add(c1, b1);
  if (cols >= 8) {
    if (accumulate) {
      v0 = f32x4.add(v0, v128.load(out));
      v1 = f32x4.add(v1, v128.load(out, 16));
    }
    v0 = clamp(v0, lo, hi);
    v1 = clamp(v1, lo, hi);
    if (res != 0) {
      v0 = f32x4.add(v0, v128.load(res));
      v1 = f32x4.add(v1, v128.load(res, 16));
    }
    v128.store(out, v0);
    v128.store(out, v1, 16);
  } else {
    const n0 = min32(cols, 4);
    const n1 = cols - n0;
    if (accumulate) {
      v0 = f32x4.add(v0, loadN(out, n0));
      v1 = f32x4.add(v1, loadN(out + 16, n1));
    }
    v0 = clamp(v0, lo, hi);
    v1 = clamp(v1, lo, hi);
    if (res != 0) {
      v0 = f32x4.add(v0, loadN(res, n0));
      v1 = f32x4.add(v1, loadN(res + 16, n1));
    }
    storeN(out, v0, n0);
    storeN(out + 16, v1, n1);
  }
}


/** A 1×8 tile: 1 pixel rows (input row 0 at a, rows sa bytes apart) times one packed panel w of K rows. */
function tile1(
  a: usize, sa: usize, w: usize, K: i32, out: usize, so: usize, bias: usize, res: usize,
  cols: i32, accumulate: bool, lo: v128, hi: v128,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let a0 = a;
  let wp = w;
  let k = K;
  while (k >= 2) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    w0 = v128.load(wp, 32);
    w1 = v128.load(wp, 48);
    x = v128.load32_splat(a0, 4);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    a0 += 8;
    wp += 64;
    k -= 2;
  }
  while (k > 0) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    a0 += 4;
    wp += 32;
    k--;
  }
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  finishRow(out, res, c00, c01, b0, b1, cols, accumulate, lo, hi);
}

/** A 2×8 tile: 2 pixel rows (input row 0 at a, rows sa bytes apart) times one packed panel w of K rows. */
function tile2(
  a: usize, sa: usize, w: usize, K: i32, out: usize, so: usize, bias: usize, res: usize,
  cols: i32, accumulate: bool, lo: v128, hi: v128,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let a0 = a;
  let a1 = a0 + sa;
  let wp = w;
  let k = K;
  while (k >= 2) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1, 0);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    w0 = v128.load(wp, 32);
    w1 = v128.load(wp, 48);
    x = v128.load32_splat(a0, 4);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1, 4);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    a0 += 8;
    a1 += 8;
    wp += 64;
    k -= 2;
  }
  while (k > 0) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1, 0);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    a0 += 4;
    a1 += 4;
    wp += 32;
    k--;
  }
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  finishRow(out, res, c00, c01, b0, b1, cols, accumulate, lo, hi);
  finishRow(out + so, (res != 0 ? res + so : 0), c10, c11, b0, b1, cols, accumulate, lo, hi);
}

/** A 3×8 tile: 3 pixel rows (input row 0 at a, rows sa bytes apart) times one packed panel w of K rows. */
function tile3(
  a: usize, sa: usize, w: usize, K: i32, out: usize, so: usize, bias: usize, res: usize,
  cols: i32, accumulate: bool, lo: v128, hi: v128,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let a0 = a;
  let a1 = a0 + sa;
  let a2 = a1 + sa;
  let wp = w;
  let k = K;
  while (k >= 2) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1, 0);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    x = v128.load32_splat(a2, 0);
    c20 = madd(x, w0, c20);
    c21 = madd(x, w1, c21);
    w0 = v128.load(wp, 32);
    w1 = v128.load(wp, 48);
    x = v128.load32_splat(a0, 4);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1, 4);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    x = v128.load32_splat(a2, 4);
    c20 = madd(x, w0, c20);
    c21 = madd(x, w1, c21);
    a0 += 8;
    a1 += 8;
    a2 += 8;
    wp += 64;
    k -= 2;
  }
  while (k > 0) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1, 0);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    x = v128.load32_splat(a2, 0);
    c20 = madd(x, w0, c20);
    c21 = madd(x, w1, c21);
    a0 += 4;
    a1 += 4;
    a2 += 4;
    wp += 32;
    k--;
  }
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  finishRow(out, res, c00, c01, b0, b1, cols, accumulate, lo, hi);
  finishRow(out + so, (res != 0 ? res + so : 0), c10, c11, b0, b1, cols, accumulate, lo, hi);
  finishRow(out + 2 * so, (res != 0 ? res + 2 * so : 0), c20, c21, b0, b1, cols, accumulate, lo, hi);
}

/** A 4×8 tile: 4 pixel rows (input row 0 at a, rows sa bytes apart) times one packed panel w of K rows. */
function tile4(
  a: usize, sa: usize, w: usize, K: i32, out: usize, so: usize, bias: usize, res: usize,
  cols: i32, accumulate: bool, lo: v128, hi: v128,
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
  let k = K;
  while (k >= 2) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1, 0);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    x = v128.load32_splat(a2, 0);
    c20 = madd(x, w0, c20);
    c21 = madd(x, w1, c21);
    x = v128.load32_splat(a3, 0);
    c30 = madd(x, w0, c30);
    c31 = madd(x, w1, c31);
    w0 = v128.load(wp, 32);
    w1 = v128.load(wp, 48);
    x = v128.load32_splat(a0, 4);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1, 4);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    x = v128.load32_splat(a2, 4);
    c20 = madd(x, w0, c20);
    c21 = madd(x, w1, c21);
    x = v128.load32_splat(a3, 4);
    c30 = madd(x, w0, c30);
    c31 = madd(x, w1, c31);
    a0 += 8;
    a1 += 8;
    a2 += 8;
    a3 += 8;
    wp += 64;
    k -= 2;
  }
  while (k > 0) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    x = v128.load32_splat(a1, 0);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    x = v128.load32_splat(a2, 0);
    c20 = madd(x, w0, c20);
    c21 = madd(x, w1, c21);
    x = v128.load32_splat(a3, 0);
    c30 = madd(x, w0, c30);
    c31 = madd(x, w1, c31);
    a0 += 4;
    a1 += 4;
    a2 += 4;
    a3 += 4;
    wp += 32;
    k--;
  }
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  finishRow(out, res, c00, c01, b0, b1, cols, accumulate, lo, hi);
  finishRow(out + so, (res != 0 ? res + so : 0), c10, c11, b0, b1, cols, accumulate, lo, hi);
  finishRow(out + 2 * so, (res != 0 ? res + 2 * so : 0), c20, c21, b0, b1, cols, accumulate, lo, hi);
  finishRow(out + 3 * so, (res != 0 ? res + 3 * so : 0), c30, c31, b0, b1, cols, accumulate, lo, hi);
}

/**
 * out[p, c] = clamp(Σ_k in[p, k] · W[k, c] + bias[c] (+ out[p, c] if accumulate), clampMin, clampMax)
 * (+ residual[p, c]) for p in [pixelStart, pixelEnd), c in [channelStart, channelEnd).
 */
export function pointwise(d: usize): void {
  const input = load<u32>(d, PW_INPUT) as usize;
  const weights = load<u32>(d, PW_WEIGHTS) as usize;
  const bias = load<u32>(d, PW_BIAS) as usize;
  const residual = load<u32>(d, PW_RESIDUAL) as usize;
  const output = load<u32>(d, PW_OUTPUT) as usize;
  const pixelStart = load<i32>(d, PW_PIXEL_START);
  const pixelEnd = load<i32>(d, PW_PIXEL_END);
  const inChannels = load<i32>(d, PW_IN_CHANNELS);
  const channelStart = load<i32>(d, PW_CHANNEL_START);
  const channelEnd = load<i32>(d, PW_CHANNEL_END);
  const sa = (load<i32>(d, PW_IN_STRIDE) as usize) << 2;
  const so = (load<i32>(d, PW_OUT_STRIDE) as usize) << 2;
  const accumulate = load<i32>(d, PW_ACCUMULATE) != 0;
  const lo = f32x4.splat(load<f32>(d, PW_CLAMP_MIN));
  const hi = f32x4.splat(load<f32>(d, PW_CLAMP_MAX));
  const K = inChannels;
  const panelBytes = (K as usize) * (PW_NR << 2);

  for (let p0 = pixelStart; p0 < pixelEnd; p0 += PIXEL_BLOCK) {
    const p1 = min32(p0 + PIXEL_BLOCK, pixelEnd);
    for (let c = channelStart; c < channelEnd; c += PW_NR) {
      const cols = min32(PW_NR, channelEnd - c);
      const w = weights + ((c / PW_NR) as usize) * panelBytes;
      const b = bias + ((c as usize) << 2);
      let p = p0;
      let a = input + (p as usize) * sa;
      let o = output + (p as usize) * so + ((c as usize) << 2);
      let r = residual != 0 ? residual + (p as usize) * so + ((c as usize) << 2) : 0;
      const rstep = residual != 0 ? (MR as usize) * so : 0;
      for (; p + MR <= p1; p += MR) {
        tile4(a, sa, w, K, o, so, b, r, cols, accumulate, lo, hi);
        a += (MR as usize) * sa;
        o += (MR as usize) * so;
        r += rstep;
      }
      const rest = p1 - p;
      if (rest == 1) tile1(a, sa, w, K, o, so, b, r, cols, accumulate, lo, hi);
      else if (rest == 2) tile2(a, sa, w, K, o, so, b, r, cols, accumulate, lo, hi);
      else if (rest == 3) tile3(a, sa, w, K, o, so, b, r, cols, accumulate, lo, hi);
    }
  }
}

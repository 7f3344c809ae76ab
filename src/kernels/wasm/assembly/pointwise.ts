// pointwise: 1×1 convolution over NHWC pixels as a register-tiled GEMM with a fused epilogue.
import { clamp, loadN, madd, min32, max32, storeN } from './common';
import {
  PW_ACCUMULATE, PW_BIAS, PW_CHANNEL_END, PW_CHANNEL_START, PW_CLAMP_MAX, PW_CLAMP_MIN, PW_IN_CHANNELS,
  PW_IN_STRIDE, PW_INPUT, PW_OUT_STRIDE, PW_OUTPUT, PW_PIXEL_END, PW_PIXEL_START, PW_RESIDUAL, PW_WEIGHTS,
} from './layout';
const NR: i32 = 16;
const MR: i32 = 2;
const PIXEL_BLOCK: i32 = 1000000;

@inline function finishVec(out: usize, res: usize, c: v128, b: v128, n: i32, accumulate: bool, lo: v128, hi: v128): void {
  let v = f32x4.add(c, b);
  if (n >= 4) {
    if (accumulate) v = f32x4.add(v, v128.load(out));
    v = clamp(v, lo, hi);
    if (res != 0) v = f32x4.add(v, v128.load(res));
    v128.store(out, v);
  } else if (n > 0) {
    if (accumulate) v = f32x4.add(v, loadN(out, n));
    v = clamp(v, lo, hi);
    if (res != 0) v = f32x4.add(v, loadN(res, n));
    storeN(out, v, n);
  }
}

function tile1(
  a: usize, sa: usize, w: usize, K: i32, out: usize, so: usize, bias: usize, res: usize,
  cols: i32, accumulate: bool, lo: v128, hi: v128,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c02 = f32x4.splat(0);
  let c03 = f32x4.splat(0);
  let a0 = a;
  let wp = w;
  let k = K;
  while (k > 0) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let w2 = v128.load(wp, 32);
    let w3 = v128.load(wp, 48);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    c02 = madd(x, w2, c02);
    c03 = madd(x, w3, c03);
    a0 += 4;
    wp += 64;
    k--;
  }
  const b0 = v128.load(bias, 0);
  const b1 = v128.load(bias, 16);
  const b2 = v128.load(bias, 32);
  const b3 = v128.load(bias, 48);
  const n0 = max32(0, min32(cols - 0, 4));
  const n1 = max32(0, min32(cols - 4, 4));
  const n2 = max32(0, min32(cols - 8, 4));
  const n3 = max32(0, min32(cols - 12, 4));
  { const o = out; const r = res;
    finishVec(o + 0, r != 0 ? r + 0 : 0, c00, b0, n0, accumulate, lo, hi);
    finishVec(o + 16, r != 0 ? r + 16 : 0, c01, b1, n1, accumulate, lo, hi);
    finishVec(o + 32, r != 0 ? r + 32 : 0, c02, b2, n2, accumulate, lo, hi);
    finishVec(o + 48, r != 0 ? r + 48 : 0, c03, b3, n3, accumulate, lo, hi);
  }
}
function tile2(
  a: usize, sa: usize, w: usize, K: i32, out: usize, so: usize, bias: usize, res: usize,
  cols: i32, accumulate: bool, lo: v128, hi: v128,
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
  let a1 = a0 + sa;
  let wp = w;
  let k = K;
  while (k > 0) {
    let w0 = v128.load(wp, 0);
    let w1 = v128.load(wp, 16);
    let w2 = v128.load(wp, 32);
    let w3 = v128.load(wp, 48);
    let x = v128.load32_splat(a0, 0);
    c00 = madd(x, w0, c00);
    c01 = madd(x, w1, c01);
    c02 = madd(x, w2, c02);
    c03 = madd(x, w3, c03);
    x = v128.load32_splat(a1, 0);
    c10 = madd(x, w0, c10);
    c11 = madd(x, w1, c11);
    c12 = madd(x, w2, c12);
    c13 = madd(x, w3, c13);
    a0 += 4;
    a1 += 4;
    wp += 64;
    k--;
  }
  const b0 = v128.load(bias, 0);
  const b1 = v128.load(bias, 16);
  const b2 = v128.load(bias, 32);
  const b3 = v128.load(bias, 48);
  const n0 = max32(0, min32(cols - 0, 4));
  const n1 = max32(0, min32(cols - 4, 4));
  const n2 = max32(0, min32(cols - 8, 4));
  const n3 = max32(0, min32(cols - 12, 4));
  { const o = out; const r = res;
    finishVec(o + 0, r != 0 ? r + 0 : 0, c00, b0, n0, accumulate, lo, hi);
    finishVec(o + 16, r != 0 ? r + 16 : 0, c01, b1, n1, accumulate, lo, hi);
    finishVec(o + 32, r != 0 ? r + 32 : 0, c02, b2, n2, accumulate, lo, hi);
    finishVec(o + 48, r != 0 ? r + 48 : 0, c03, b3, n3, accumulate, lo, hi);
  }
  { const o = out + 1 * so; const r = (res != 0 ? res + 1 * so : 0);
    finishVec(o + 0, r != 0 ? r + 0 : 0, c10, b0, n0, accumulate, lo, hi);
    finishVec(o + 16, r != 0 ? r + 16 : 0, c11, b1, n1, accumulate, lo, hi);
    finishVec(o + 32, r != 0 ? r + 32 : 0, c12, b2, n2, accumulate, lo, hi);
    finishVec(o + 48, r != 0 ? r + 48 : 0, c13, b3, n3, accumulate, lo, hi);
  }
}

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
  const panelBytes = (K as usize) * (NR << 2);

  for (let p0 = pixelStart; p0 < pixelEnd; p0 += PIXEL_BLOCK) {
    const p1 = min32(p0 + PIXEL_BLOCK, pixelEnd);
    for (let c = channelStart; c < channelEnd; c += NR) {
      const cols = min32(NR, channelEnd - c);
      const w = weights + ((c / NR) as usize) * panelBytes;
      const b = bias + ((c as usize) << 2);
      let p = p0;
      let a = input + (p as usize) * sa;
      let o = output + (p as usize) * so + ((c as usize) << 2);
      let r = residual != 0 ? residual + (p as usize) * so + ((c as usize) << 2) : 0;
      const rstep = residual != 0 ? (MR as usize) * so : 0;
      for (; p + MR <= p1; p += MR) {
        tile2(a, sa, w, K, o, so, b, r, cols, accumulate, lo, hi);
        a += (MR as usize) * sa;
        o += (MR as usize) * so;
        r += rstep;
      }
      const rest = p1 - p;
      if (rest == 1) tile1(a, sa, w, K, o, so, b, r, cols, accumulate, lo, hi);
    }
  }
}

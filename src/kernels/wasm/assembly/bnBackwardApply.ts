// bnBackwardApply: the second pass of the backward of training-mode batch norm + clamp activation:
//   dx = invStd·γ·(dz − sumDz/count − x̂·sumDzXhat/count),  x̂ = (x − mean)·invStd,
// with dz the masked gradient of bnBackwardReduce and the sums its totals over all `count` pixels.
// Over a sub-range of pixels, all channels; gradInput may be gradOutput, input or activation itself
// (element-wise: every element is read before it is written). The descriptor is documented in
// src/kernels/wasm/README.md.
//
// The per-channel coefficients (mean, a = γ·invStd, b = −a·mean(dz), k = −a·invStd·mean(dz·x̂), so
// that dx = a·dz + k·(x − mean) + b) are computed once per call into the caller's thread-private
// scratch; then the pixels go one by one, every channel per pixel, so the tensors stream sequentially.
import { loadN, madd, storeN } from './common';
import { maskGradient } from './bnBackwardReduce';
import {
  BBA_ACTIVATION, BBA_CHANNELS, BBA_CLAMP_MAX, BBA_CLAMP_MIN, BBA_COUNT, BBA_GAMMA, BBA_GRAD_INPUT, BBA_GRAD_OUTPUT,
  BBA_INPUT, BBA_INV_STD, BBA_MEAN, BBA_PIXEL_END, BBA_PIXEL_START, BBA_SCRATCH, BBA_STRIDE, BBA_SUM_DZ, BBA_SUM_DZ_XHAT,
} from './layout';
import { demote2, loadF64Hi, loadF64Lo } from './wide';

/** The mean (sum / count) of `lanes` float64 sums at p, as float32 lanes. */
@inline function meanOf(p: usize, lanes: i32, inverseCount: v128): v128 {
  return demote2(f64x2.mul(loadF64Lo(p, lanes), inverseCount), f64x2.mul(loadF64Hi(p, lanes), inverseCount));
}

/** dx for one vector of channels at byte offset o of the pixel's rows; coefficients at planes of `plane` bytes. */
@inline function pixelVector(
  MASK: bool, FULL: bool, x: usize, y: usize, gy: usize, gx: usize, coef: usize, plane: usize, o: usize, lanes: i32, lo: v128, hi: v128,
): void {
  let g = FULL ? v128.load(gy + o) : loadN(gy + o, lanes);
  if (MASK) g = maskGradient(g, FULL ? v128.load(y + o) : loadN(y + o, lanes), lo, hi);
  const cp = coef + o;
  const xc = f32x4.sub(FULL ? v128.load(x + o) : loadN(x + o, lanes), v128.load(cp));
  const v = madd(v128.load(cp + plane), g, madd(v128.load(cp + 3 * plane), xc, v128.load(cp + 2 * plane)));
  if (FULL) v128.store(gx + o, v);
  else storeN(gx + o, v, lanes);
}

@inline function apply(
  MASK: bool, input: usize, activation: usize, gradOutput: usize, gradInput: usize, coef: usize, plane: usize,
  pixelStart: i32, pixelEnd: i32, channels: i32, ps: usize, lo: v128, hi: v128,
): void {
  const offset = (pixelStart as usize) * ps;
  let x = input + offset;
  let y = activation + offset;
  let gy = gradOutput + offset;
  let gx = gradInput + offset;
  const full = channels & ~7;
  const tail = channels & 7;
  for (let n = pixelEnd - pixelStart; n > 0; n--) {
    let o: usize = 0;
    const end = (full as usize) << 2;
    for (; o < end; o += 32) {
      pixelVector(MASK, true, x, y, gy, gx, coef, plane, o, 4, lo, hi);
      pixelVector(MASK, true, x, y, gy, gx, coef, plane, o + 16, 4, lo, hi);
    }
    if (tail >= 4) {
      pixelVector(MASK, true, x, y, gy, gx, coef, plane, o, 4, lo, hi);
      o += 16;
    }
    if (tail & 3) pixelVector(MASK, false, x, y, gy, gx, coef, plane, o, tail & 3, lo, hi);
    x += ps;
    if (MASK) y += ps;
    gy += ps;
    gx += ps;
  }
}

export function bnBackwardApply(d: usize): void {
  const input = load<u32>(d, BBA_INPUT) as usize;
  const activation = load<u32>(d, BBA_ACTIVATION) as usize;
  const gradOutput = load<u32>(d, BBA_GRAD_OUTPUT) as usize;
  const gradInput = load<u32>(d, BBA_GRAD_INPUT) as usize;
  const mean = load<u32>(d, BBA_MEAN) as usize;
  const invStd = load<u32>(d, BBA_INV_STD) as usize;
  const gamma = load<u32>(d, BBA_GAMMA) as usize;
  const sumDz = load<u32>(d, BBA_SUM_DZ) as usize;
  const sumDzXhat = load<u32>(d, BBA_SUM_DZ_XHAT) as usize;
  const scratch = load<u32>(d, BBA_SCRATCH) as usize;
  const count = load<i32>(d, BBA_COUNT);
  const pixelStart = load<i32>(d, BBA_PIXEL_START);
  const pixelEnd = load<i32>(d, BBA_PIXEL_END);
  const channels = load<i32>(d, BBA_CHANNELS);
  const ps = (load<i32>(d, BBA_STRIDE) as usize) << 2;
  const lo = f32x4.splat(load<f32>(d, BBA_CLAMP_MIN));
  const hi = f32x4.splat(load<f32>(d, BBA_CLAMP_MAX));
  if (pixelStart >= pixelEnd) return;

  // Coefficients: four planes [mean][a][b][k] of the channel count rounded up to 4 floats.
  const plane = (((channels + 3) & ~3) as usize) << 2;
  const inverseCount = f64x2.splat(1 / <f64>count);
  for (let c = 0; c < channels; c += 4) {
    const lanes = channels - c < 4 ? channels - c : 4;
    const cb = (c as usize) << 2;
    const c8 = (c as usize) << 3;
    const m = loadN(mean + cb, lanes);
    const r = loadN(invStd + cb, lanes);
    const a = f32x4.mul(loadN(gamma + cb, lanes), r);
    v128.store(scratch + cb, m);
    v128.store(scratch + plane + cb, a);
    v128.store(scratch + 2 * plane + cb, f32x4.neg(f32x4.mul(a, meanOf(sumDz + c8, lanes, inverseCount))));
    v128.store(scratch + 3 * plane + cb, f32x4.neg(f32x4.mul(f32x4.mul(a, r), meanOf(sumDzXhat + c8, lanes, inverseCount))));
  }
  if (activation != 0) apply(true, input, activation, gradOutput, gradInput, scratch, plane, pixelStart, pixelEnd, channels, ps, lo, hi);
  else apply(false, input, activation, gradOutput, gradInput, scratch, plane, pixelStart, pixelEnd, channels, ps, lo, hi);
}

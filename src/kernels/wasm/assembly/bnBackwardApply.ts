// bnBackwardApply: the second pass of the backward of training-mode batch norm + clamp activation:
//   dx = invStd·γ·(dz − sumDz/count − x̂·sumDzXhat/count),  x̂ = (x − mean)·invStd,
// with dz the masked gradient of bnBackwardReduce and the sums its totals over all `count` pixels.
// Over a sub-range of pixels, all channels; gradInput may be gradOutput, input or activation itself
// (element-wise: every element is read before it is written). The descriptor is documented in
// src/kernels/wasm/README.md.
import { loadN, madd, min32, storeN } from './common';
import { maskGradient } from './bnBackwardReduce';
import {
  BBA_ACTIVATION, BBA_CHANNELS, BBA_CLAMP_MAX, BBA_CLAMP_MIN, BBA_COUNT, BBA_GAMMA, BBA_GRAD_INPUT, BBA_GRAD_OUTPUT,
  BBA_INPUT, BBA_INV_STD, BBA_MEAN, BBA_PIXEL_END, BBA_PIXEL_START, BBA_STRIDE, BBA_SUM_DZ, BBA_SUM_DZ_XHAT,
} from './layout';
import { demote2, loadF64Hi, loadF64Lo } from './wide';

const BLOCK: i32 = 64;

/** The mean (sum / count) of `lanes` float64 sums at p, as float32 lanes. */
@inline function meanOf(p: usize, lanes: i32, inverseCount: v128): v128 {
  return demote2(f64x2.mul(loadF64Lo(p, lanes), inverseCount), f64x2.mul(loadF64Hi(p, lanes), inverseCount));
}

@inline function apply(
  MASK: bool, FULL: bool, input: usize, activation: usize, gradOutput: usize, gradInput: usize,
  mean: usize, invStd: usize, gamma: usize, sumDz: usize, sumDzXhat: usize, inverseCount: v128,
  c: i32, lanes: i32, offset: usize, n: i32, ps: usize, lo: v128, hi: v128,
): void {
  const cb = (c as usize) << 2;
  const c8 = (c as usize) << 3;
  const m = FULL ? v128.load(mean + cb) : loadN(mean + cb, lanes);
  const r = FULL ? v128.load(invStd + cb) : loadN(invStd + cb, lanes);
  const a = f32x4.mul(FULL ? v128.load(gamma + cb) : loadN(gamma + cb, lanes), r); // γ·invStd
  const k0 = f32x4.neg(f32x4.mul(a, meanOf(sumDz + c8, lanes, inverseCount))); // −a·mean(dz)
  const k2 = f32x4.neg(f32x4.mul(f32x4.mul(a, r), meanOf(sumDzXhat + c8, lanes, inverseCount))); // −a·invStd·mean(dz·x̂)
  let px = input + offset + cb;
  let py = activation + offset + cb;
  let pg = gradOutput + offset + cb;
  let po = gradInput + offset + cb;
  for (let i = n; i > 0; i--) {
    let g = FULL ? v128.load(pg) : loadN(pg, lanes);
    if (MASK) g = maskGradient(g, FULL ? v128.load(py) : loadN(py, lanes), lo, hi);
    const xc = f32x4.sub(FULL ? v128.load(px) : loadN(px, lanes), m);
    const v = madd(a, g, madd(k2, xc, k0));
    if (FULL) v128.store(po, v);
    else storeN(po, v, lanes);
    px += ps;
    if (MASK) py += ps;
    pg += ps;
    po += ps;
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
  const count = load<i32>(d, BBA_COUNT);
  const pixelStart = load<i32>(d, BBA_PIXEL_START);
  const pixelEnd = load<i32>(d, BBA_PIXEL_END);
  const channels = load<i32>(d, BBA_CHANNELS);
  const ps = (load<i32>(d, BBA_STRIDE) as usize) << 2;
  const lo = f32x4.splat(load<f32>(d, BBA_CLAMP_MIN));
  const hi = f32x4.splat(load<f32>(d, BBA_CLAMP_MAX));
  const inverseCount = f64x2.splat(1 / <f64>count);
  const mask = activation != 0;

  for (let p0 = pixelStart; p0 < pixelEnd; p0 += BLOCK) {
    const n = min32(BLOCK, pixelEnd - p0);
    const offset = (p0 as usize) * ps;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      if (mask) apply(true, true, input, activation, gradOutput, gradInput, mean, invStd, gamma, sumDz, sumDzXhat, inverseCount, c, 4, offset, n, ps, lo, hi);
      else apply(false, true, input, activation, gradOutput, gradInput, mean, invStd, gamma, sumDz, sumDzXhat, inverseCount, c, 4, offset, n, ps, lo, hi);
    }
    if (c < channels) {
      const lanes = channels - c;
      if (mask) apply(true, false, input, activation, gradOutput, gradInput, mean, invStd, gamma, sumDz, sumDzXhat, inverseCount, c, lanes, offset, n, ps, lo, hi);
      else apply(false, false, input, activation, gradOutput, gradInput, mean, invStd, gamma, sumDz, sumDzXhat, inverseCount, c, lanes, offset, n, ps, lo, hi);
    }
  }
}

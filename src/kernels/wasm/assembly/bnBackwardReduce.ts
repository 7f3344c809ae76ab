// bnBackwardReduce: the first pass of the backward of training-mode batch norm followed by a clamp
// activation (ReLU, ReLU6 or linear). Over a sub-range of pixels and channels:
//   dz = dY where the activation passes the gradient (not y ≤ clampMin, not y ≥ clampMax; every
//        element when activation = 0), else 0
//   sumDz[c] (+)= Σ dz,   sumDzXhat[c] (+)= Σ dz·(x − mean[c])·invStd[c]
// (dβ = sumDz and dγ = sumDzXhat once the sub-ranges' sums are added up). Sums are two-level like
// channelStats': float32 within blocks of BLOCK pixels, float64 across blocks (invStd is applied to
// the block sums in float64). The descriptor is documented in src/kernels/wasm/README.md.
import { loadN, madd, min32 } from './common';
import {
  BBR_ACCUMULATE, BBR_ACTIVATION, BBR_CHANNEL_END, BBR_CHANNEL_START, BBR_CLAMP_MAX, BBR_CLAMP_MIN, BBR_GRAD_OUTPUT,
  BBR_INPUT, BBR_INV_STD, BBR_MEAN, BBR_PIXEL_END, BBR_PIXEL_START, BBR_STRIDE, BBR_SUM_DZ, BBR_SUM_DZ_XHAT,
} from './layout';
import { addF64, promoteHigh, promoteLow, zeroF64 } from './wide';

const BLOCK: i32 = 64;

/**
 * The gradient through the activation: dY where y is strictly inside (clampMin, clampMax) or NaN,
 * 0 where y ≤ clampMin or y ≥ clampMax (PyTorch's convention at the kinks: 0 at y = 0 for ReLU,
 * at y = 0 and y = 6 for ReLU6).
 */
@inline export function maskGradient(dy: v128, y: v128, lo: v128, hi: v128): v128 {
  return v128.andnot(dy, v128.or(f32x4.le(y, lo), f32x4.ge(y, hi)));
}

@inline function addSums(sumDz: usize, sumDzXhat: usize, c: i32, s: v128, t: v128, invStd: v128, lanes: i32): void {
  const at = (c as usize) << 3;
  addF64(sumDz + at, promoteLow(s), promoteHigh(s), lanes);
  addF64(sumDzXhat + at, f64x2.mul(promoteLow(t), promoteLow(invStd)), f64x2.mul(promoteHigh(t), promoteHigh(invStd)), lanes);
}

@inline function reduce(
  MASK: bool, input: usize, activation: usize, gradOutput: usize, mean: usize, invStd: usize, sumDz: usize, sumDzXhat: usize,
  pixelStart: i32, pixelEnd: i32, ps: usize, cStart: i32, cEnd: i32, lo: v128, hi: v128,
): void {
  for (let p0 = pixelStart; p0 < pixelEnd; p0 += BLOCK) {
    const n = min32(BLOCK, pixelEnd - p0);
    const offset = (p0 as usize) * ps;
    let c = cStart;
    // 8 channels at a time: four independent float32 chains.
    for (; c + 8 <= cEnd; c += 8) {
      const cb = (c as usize) << 2;
      const m0 = v128.load(mean + cb);
      const m1 = v128.load(mean + cb, 16);
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      let t0 = f32x4.splat(0);
      let t1 = f32x4.splat(0);
      let px = input + offset + cb;
      let py = activation + offset + cb;
      let pg = gradOutput + offset + cb;
      for (let i = n; i > 0; i--) {
        let g0 = v128.load(pg);
        let g1 = v128.load(pg, 16);
        if (MASK) {
          g0 = maskGradient(g0, v128.load(py), lo, hi);
          g1 = maskGradient(g1, v128.load(py, 16), lo, hi);
        }
        s0 = f32x4.add(s0, g0);
        s1 = f32x4.add(s1, g1);
        t0 = madd(g0, f32x4.sub(v128.load(px), m0), t0);
        t1 = madd(g1, f32x4.sub(v128.load(px, 16), m1), t1);
        px += ps;
        if (MASK) py += ps;
        pg += ps;
      }
      addSums(sumDz, sumDzXhat, c, s0, t0, v128.load(invStd + cb), 4);
      addSums(sumDz, sumDzXhat, c + 4, s1, t1, v128.load(invStd + cb, 16), 4);
    }
    for (; c < cEnd; c += 4) {
      const lanes = min32(4, cEnd - c);
      const cb = (c as usize) << 2;
      const m = loadN(mean + cb, lanes);
      let s = f32x4.splat(0);
      let t = f32x4.splat(0);
      let px = input + offset + cb;
      let py = activation + offset + cb;
      let pg = gradOutput + offset + cb;
      for (let i = n; i > 0; i--) {
        let g = loadN(pg, lanes);
        if (MASK) g = maskGradient(g, loadN(py, lanes), lo, hi);
        s = f32x4.add(s, g);
        t = madd(g, f32x4.sub(loadN(px, lanes), m), t);
        px += ps;
        if (MASK) py += ps;
        pg += ps;
      }
      addSums(sumDz, sumDzXhat, c, s, t, loadN(invStd + cb, lanes), lanes);
    }
  }
}

export function bnBackwardReduce(d: usize): void {
  const input = load<u32>(d, BBR_INPUT) as usize;
  const activation = load<u32>(d, BBR_ACTIVATION) as usize;
  const gradOutput = load<u32>(d, BBR_GRAD_OUTPUT) as usize;
  const mean = load<u32>(d, BBR_MEAN) as usize;
  const invStd = load<u32>(d, BBR_INV_STD) as usize;
  const sumDz = load<u32>(d, BBR_SUM_DZ) as usize;
  const sumDzXhat = load<u32>(d, BBR_SUM_DZ_XHAT) as usize;
  const pixelStart = load<i32>(d, BBR_PIXEL_START);
  const pixelEnd = load<i32>(d, BBR_PIXEL_END);
  const ps = (load<i32>(d, BBR_STRIDE) as usize) << 2;
  const cStart = load<i32>(d, BBR_CHANNEL_START);
  const cEnd = load<i32>(d, BBR_CHANNEL_END);
  const accumulate = load<i32>(d, BBR_ACCUMULATE) != 0;
  const lo = f32x4.splat(load<f32>(d, BBR_CLAMP_MIN));
  const hi = f32x4.splat(load<f32>(d, BBR_CLAMP_MAX));

  if (!accumulate) {
    zeroF64(sumDz, cStart, cEnd);
    zeroF64(sumDzXhat, cStart, cEnd);
  }
  if (activation != 0) {
    reduce(true, input, activation, gradOutput, mean, invStd, sumDz, sumDzXhat, pixelStart, pixelEnd, ps, cStart, cEnd, lo, hi);
  } else {
    reduce(false, input, activation, gradOutput, mean, invStd, sumDz, sumDzXhat, pixelStart, pixelEnd, ps, cStart, cEnd, lo, hi);
  }
}

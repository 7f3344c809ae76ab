// bnBackwardReduce: the first pass of the backward of training-mode batch norm followed by a clamp
// activation (ReLU, ReLU6 or linear). Over a sub-range of pixels and channels:
//   dz = dY where the activation passes the gradient (not y ≤ clampMin, not y ≥ clampMax; every
//        element when activation = 0), else 0
//   sumDz[c] (+)= Σ dz,   sumDzXhat[c] (+)= Σ dz·(x − mean[c])·invStd[c]
// (dβ = sumDz and dγ = sumDzXhat once the sub-ranges' sums are added up). Sums are two-level like
// channelStats': float32 within blocks of BLOCK pixels (in the caller's scratch), float64 across
// blocks (invStd is applied to the block sums in float64). Pixel by pixel, two at a time, so the
// three tensors stream sequentially (see channelStats.ts). The descriptor is documented in
// src/kernels/wasm/README.md.
import { loadN, madd, min32 } from './common';
import {
  BBR_ACCUMULATE, BBR_ACTIVATION, BBR_CHANNEL_END, BBR_CHANNEL_START, BBR_CLAMP_MAX, BBR_CLAMP_MIN, BBR_GRAD_OUTPUT,
  BBR_INPUT, BBR_INV_STD, BBR_MEAN, BBR_PIXEL_END, BBR_PIXEL_START, BBR_SCRATCH, BBR_STRIDE, BBR_SUM_DZ, BBR_SUM_DZ_XHAT,
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

/** The masked gradient of `lanes` channels at byte offset o of the rows gy / y. */
@inline function dz(MASK: bool, FULL: bool, gy: usize, y: usize, o: usize, lanes: i32, lo: v128, hi: v128): v128 {
  const g = FULL ? v128.load(gy + o) : loadN(gy + o, lanes);
  if (!MASK) return g;
  return maskGradient(g, FULL ? v128.load(y + o) : loadN(y + o, lanes), lo, hi);
}

/** One vector of channels for one or two pixels: s += dz, t += dz·(x − mean) in scratch. */
@inline function step(
  MASK: bool, FULL: bool, TWO: bool, x: usize, y: usize, gy: usize, ps: usize, m: usize, s: usize, t: usize, o: usize,
  lanes: i32, lo: v128, hi: v128,
): void {
  const mean = FULL ? v128.load(m + o) : loadN(m + o, lanes);
  const g0 = dz(MASK, FULL, gy, y, o, lanes, lo, hi);
  let ss = f32x4.add(v128.load(s + o), g0);
  let tt = madd(g0, f32x4.sub(FULL ? v128.load(x + o) : loadN(x + o, lanes), mean), v128.load(t + o));
  if (TWO) {
    const g1 = dz(MASK, FULL, gy + ps, y + ps, o, lanes, lo, hi);
    ss = f32x4.add(ss, g1);
    tt = madd(g1, f32x4.sub(FULL ? v128.load(x + ps + o) : loadN(x + ps + o, lanes), mean), tt);
  }
  v128.store(s + o, ss);
  v128.store(t + o, tt);
}

@inline function pixels(
  MASK: bool, TWO: bool, x: usize, y: usize, gy: usize, ps: usize, m: usize, s: usize, t: usize, range: i32, lo: v128, hi: v128,
): void {
  let i = 0;
  for (; i + 4 <= range; i += 4) step(MASK, true, TWO, x, y, gy, ps, m, s, t, (i as usize) << 2, 4, lo, hi);
  if (i < range) step(MASK, false, TWO, x, y, gy, ps, m, s, t, (i as usize) << 2, range - i, lo, hi);
}

@inline function reduce(
  MASK: bool, input: usize, activation: usize, gradOutput: usize, mean: usize, invStd: usize, sumDz: usize, sumDzXhat: usize,
  scratch: usize, pixelStart: i32, pixelEnd: i32, ps: usize, cStart: i32, cEnd: i32, lo: v128, hi: v128,
): void {
  const range = cEnd - cStart;
  const plane = (((range + 3) & ~3) as usize) << 2;
  const s = scratch;
  const t = scratch + plane;
  const cb = (cStart as usize) << 2;
  const m = mean + cb;
  const zero = f32x4.splat(0);
  for (let p0 = pixelStart; p0 < pixelEnd; p0 += BLOCK) {
    const p1 = min32(p0 + BLOCK, pixelEnd);
    for (let o: usize = 0; o < plane; o += 16) {
      v128.store(s + o, zero);
      v128.store(t + o, zero);
    }
    const offset = (p0 as usize) * ps + cb;
    let x = input + offset;
    let y = activation + offset;
    let gy = gradOutput + offset;
    let p = p0;
    for (; p + 2 <= p1; p += 2) {
      pixels(MASK, true, x, y, gy, ps, m, s, t, range, lo, hi);
      x += ps << 1;
      y += ps << 1;
      gy += ps << 1;
    }
    if (p < p1) pixels(MASK, false, x, y, gy, ps, m, s, t, range, lo, hi);
    for (let i = 0; i < range; i += 4) {
      const lanes = min32(4, range - i);
      const o = (i as usize) << 2;
      const at = ((cStart + i) as usize) << 3;
      const vs = v128.load(s + o);
      const vt = v128.load(t + o);
      const r = loadN(invStd + cb + o, lanes);
      addF64(sumDz + at, promoteLow(vs), promoteHigh(vs), lanes);
      addF64(sumDzXhat + at, f64x2.mul(promoteLow(vt), promoteLow(r)), f64x2.mul(promoteHigh(vt), promoteHigh(r)), lanes);
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
  const scratch = load<u32>(d, BBR_SCRATCH) as usize;
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
  if (cStart >= cEnd) return;
  if (activation != 0) {
    reduce(true, input, activation, gradOutput, mean, invStd, sumDz, sumDzXhat, scratch, pixelStart, pixelEnd, ps, cStart, cEnd, lo, hi);
  } else {
    reduce(false, input, activation, gradOutput, mean, invStd, sumDz, sumDzXhat, scratch, pixelStart, pixelEnd, ps, cStart, cEnd, lo, hi);
  }
}

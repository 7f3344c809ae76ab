// channelStats: per-channel Σ(x − shift) and Σ(x − shift)² over a sub-range of pixels and channels
// (batch-norm statistics in training). The descriptor is documented in src/kernels/wasm/README.md.
//
// Precision: float32 sums over 100k pixels would lose about log2(100k) ≈ 17 bits in the worst case,
// so the sums are two-level: each block of BLOCK pixels is summed in float32 vectors (≤ 64 terms:
// worst-case relative error 64·2⁻²⁴ ≈ 4e-6 of the block's Σ|·|, typically far less), and the block
// sums are added into the float64 outputs. The optional per-channel shift (e.g. the running mean)
// removes the cancellation of var = E[(x−k)²] − E[x−k]² when |mean| ≫ std.
import { loadN, madd, max32, min32 } from './common';
import {
  CS_ACCUMULATE, CS_CHANNEL_END, CS_CHANNEL_START, CS_INPUT, CS_PIXEL_END, CS_PIXEL_START, CS_SHIFT, CS_STRIDE,
  CS_SUM, CS_SUM_SQUARES,
} from './layout';
import { addF64, promoteHigh, promoteLow, zeroF64 } from './wide';

/** Pixels per float32 block. */
const BLOCK: i32 = 64;

@inline function addBlock(sum: usize, sumSquares: usize, c: i32, s: v128, q: v128, lanes: i32): void {
  const at = (c as usize) << 3;
  addF64(sum + at, promoteLow(s), promoteHigh(s), lanes);
  addF64(sumSquares + at, promoteLow(q), promoteHigh(q), lanes);
}

export function channelStats(d: usize): void {
  const input = load<u32>(d, CS_INPUT) as usize;
  const shift = load<u32>(d, CS_SHIFT) as usize;
  const sum = load<u32>(d, CS_SUM) as usize;
  const sumSquares = load<u32>(d, CS_SUM_SQUARES) as usize;
  const pixelStart = load<i32>(d, CS_PIXEL_START);
  const pixelEnd = load<i32>(d, CS_PIXEL_END);
  const ps = (load<i32>(d, CS_STRIDE) as usize) << 2;
  const cStart = load<i32>(d, CS_CHANNEL_START);
  const cEnd = load<i32>(d, CS_CHANNEL_END);
  const accumulate = load<i32>(d, CS_ACCUMULATE) != 0;

  if (!accumulate) {
    zeroF64(sum, cStart, cEnd);
    zeroF64(sumSquares, cStart, cEnd);
  }
  for (let p0 = pixelStart; p0 < pixelEnd; p0 += BLOCK) {
    const n = min32(BLOCK, pixelEnd - p0);
    const row = input + (p0 as usize) * ps;
    let c = cStart;
    // 8 channels at a time: four independent float32 chains hide the add latency.
    for (; c + 8 <= cEnd; c += 8) {
      const cb = (c as usize) << 2;
      const k0 = shift != 0 ? v128.load(shift + cb) : f32x4.splat(0);
      const k1 = shift != 0 ? v128.load(shift + cb, 16) : f32x4.splat(0);
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      let q0 = f32x4.splat(0);
      let q1 = f32x4.splat(0);
      let p = row + cb;
      for (let i = n; i > 0; i--) {
        const v0 = f32x4.sub(v128.load(p), k0);
        const v1 = f32x4.sub(v128.load(p, 16), k1);
        s0 = f32x4.add(s0, v0);
        s1 = f32x4.add(s1, v1);
        q0 = madd(v0, v0, q0);
        q1 = madd(v1, v1, q1);
        p += ps;
      }
      addBlock(sum, sumSquares, c, s0, q0, 4);
      addBlock(sum, sumSquares, c + 4, s1, q1, 4);
    }
    for (; c < cEnd; c += 4) {
      const lanes = min32(4, cEnd - c);
      const cb = (c as usize) << 2;
      const k = shift != 0 ? loadN(shift + cb, lanes) : f32x4.splat(0);
      let s = f32x4.splat(0);
      let q = f32x4.splat(0);
      let p = row + cb;
      if (lanes == 4) {
        for (let i = n; i > 0; i--) {
          const v = f32x4.sub(v128.load(p), k);
          s = f32x4.add(s, v);
          q = madd(v, v, q);
          p += ps;
        }
      } else {
        for (let i = n; i > 0; i--) {
          const v = f32x4.sub(loadN(p, lanes), k);
          s = f32x4.add(s, v);
          q = madd(v, v, q);
          p += ps;
        }
      }
      addBlock(sum, sumSquares, c, s, q, max32(lanes, 1));
    }
  }
}

// channelStats: per-channel Σ(x − shift) and Σ(x − shift)² over a sub-range of pixels and channels
// (batch-norm statistics in training). The descriptor is documented in src/kernels/wasm/README.md.
//
// Precision: float32 sums over 100k pixels would lose about log2(100k) ≈ 17 bits in the worst case,
// so the sums are two-level: each block of BLOCK pixels is summed in float32 (≤ 64 terms: worst-case
// relative error 64·2⁻²⁴ ≈ 4e-6 of the block's Σ|·|, typically far less), and the block sums are
// added into the float64 outputs. The optional per-channel shift (e.g. the running mean) removes the
// cancellation of var = E[(x−k)²] − E[x−k]² when |mean| ≫ std.
//
// Order: pixel by pixel, two pixels per step, every channel of the range per pixel, so each tensor is
// read as one sequential stream (a channel-group-outer order over blocks of pixels reads it with a
// stride of one pixel and streams 2–4× slower once the tensor is not in L2). The float32 block sums
// live in the caller's thread-private scratch (L1-resident), not in registers, except for ranges of
// 4, 8, 12 or 16 channels, whose sums fit in registers.
import { loadN, madd, min32 } from './common';
import {
  CS_ACCUMULATE, CS_CHANNEL_END, CS_CHANNEL_START, CS_INPUT, CS_PIXEL_END, CS_PIXEL_START, CS_SCRATCH, CS_SHIFT,
  CS_STRIDE, CS_SUM, CS_SUM_SQUARES,
} from './layout';
import { addF64, promoteHigh, promoteLow, zeroF64 } from './wide';

/** Pixels per float32 block. */
const BLOCK: i32 = 64;

/** x − shift of `lanes` channels at p (FULL: 4 lanes); SHIFT = false: no shift. */
@inline function centered(SHIFT: bool, FULL: bool, p: usize, k: usize, lanes: i32): v128 {
  const v = FULL ? v128.load(p) : loadN(p, lanes);
  if (!SHIFT) return v;
  return f32x4.sub(v, FULL ? v128.load(k) : loadN(k, lanes));
}

/** One or two pixels (rows at p and p + ps) of the channel range: s += Σ v, q += Σ v² in scratch. */
@inline function accumulate(
  SHIFT: bool, TWO: bool, p: usize, ps: usize, shift: usize, s: usize, q: usize, range: i32,
): void {
  let i = 0;
  for (; i + 4 <= range; i += 4) {
    const o = (i as usize) << 2;
    const v0 = centered(SHIFT, true, p + o, shift + o, 4);
    let ss = f32x4.add(v128.load(s + o), v0);
    let qq = madd(v0, v0, v128.load(q + o));
    if (TWO) {
      const v1 = centered(SHIFT, true, p + ps + o, shift + o, 4);
      ss = f32x4.add(ss, v1);
      qq = madd(v1, v1, qq);
    }
    v128.store(s + o, ss);
    v128.store(q + o, qq);
  }
  if (i < range) {
    const o = (i as usize) << 2;
    const lanes = range - i;
    const v0 = centered(SHIFT, false, p + o, shift + o, lanes);
    let ss = f32x4.add(v128.load(s + o), v0);
    let qq = madd(v0, v0, v128.load(q + o));
    if (TWO) {
      const v1 = centered(SHIFT, false, p + ps + o, shift + o, lanes);
      ss = f32x4.add(ss, v1);
      qq = madd(v1, v1, qq);
    }
    v128.store(s + o, ss);
    v128.store(q + o, qq);
  }
}

/**
 * NV (1…4) whole vectors of channels, all sums in registers (a range of at most 16 channels: the
 * scratch round trip would cost more than the data's own loads).
 */
@inline function statsInRegisters(
  NV: i32, SHIFT: bool, input: usize, shift: usize, sum: usize, sumSquares: usize, pixelStart: i32, pixelEnd: i32, ps: usize, cStart: i32,
): void {
  const cb = (cStart as usize) << 2;
  const zero = f32x4.splat(0);
  const k0 = SHIFT ? v128.load(shift + cb) : zero;
  const k1 = SHIFT && NV >= 2 ? v128.load(shift + cb, 16) : zero;
  const k2 = SHIFT && NV >= 3 ? v128.load(shift + cb, 32) : zero;
  const k3 = SHIFT && NV >= 4 ? v128.load(shift + cb, 48) : zero;
  for (let p0 = pixelStart; p0 < pixelEnd; p0 += BLOCK) {
    const n = min32(BLOCK, pixelEnd - p0);
    let s0 = zero;
    let s1 = zero;
    let s2 = zero;
    let s3 = zero;
    let q0 = zero;
    let q1 = zero;
    let q2 = zero;
    let q3 = zero;
    let p = input + (p0 as usize) * ps + cb;
    for (let i = n; i > 0; i--) {
      const v0 = f32x4.sub(v128.load(p), k0);
      s0 = f32x4.add(s0, v0);
      q0 = madd(v0, v0, q0);
      if (NV >= 2) {
        const v1 = f32x4.sub(v128.load(p, 16), k1);
        s1 = f32x4.add(s1, v1);
        q1 = madd(v1, v1, q1);
      }
      if (NV >= 3) {
        const v2 = f32x4.sub(v128.load(p, 32), k2);
        s2 = f32x4.add(s2, v2);
        q2 = madd(v2, v2, q2);
      }
      if (NV >= 4) {
        const v3 = f32x4.sub(v128.load(p, 48), k3);
        s3 = f32x4.add(s3, v3);
        q3 = madd(v3, v3, q3);
      }
      p += ps;
    }
    const at = (cStart as usize) << 3;
    addF64(sum + at, promoteLow(s0), promoteHigh(s0), 4);
    addF64(sumSquares + at, promoteLow(q0), promoteHigh(q0), 4);
    if (NV >= 2) {
      addF64(sum + at + 32, promoteLow(s1), promoteHigh(s1), 4);
      addF64(sumSquares + at + 32, promoteLow(q1), promoteHigh(q1), 4);
    }
    if (NV >= 3) {
      addF64(sum + at + 64, promoteLow(s2), promoteHigh(s2), 4);
      addF64(sumSquares + at + 64, promoteLow(q2), promoteHigh(q2), 4);
    }
    if (NV >= 4) {
      addF64(sum + at + 96, promoteLow(s3), promoteHigh(s3), 4);
      addF64(sumSquares + at + 96, promoteLow(q3), promoteHigh(q3), 4);
    }
  }
}

@inline function statsSmall(
  SHIFT: bool, nv: i32, input: usize, shift: usize, sum: usize, sumSquares: usize, pixelStart: i32, pixelEnd: i32, ps: usize, cStart: i32,
): void {
  if (nv == 1) statsInRegisters(1, SHIFT, input, shift, sum, sumSquares, pixelStart, pixelEnd, ps, cStart);
  else if (nv == 2) statsInRegisters(2, SHIFT, input, shift, sum, sumSquares, pixelStart, pixelEnd, ps, cStart);
  else if (nv == 3) statsInRegisters(3, SHIFT, input, shift, sum, sumSquares, pixelStart, pixelEnd, ps, cStart);
  else statsInRegisters(4, SHIFT, input, shift, sum, sumSquares, pixelStart, pixelEnd, ps, cStart);
}

@inline function stats(
  SHIFT: bool, input: usize, shift: usize, sum: usize, sumSquares: usize, scratch: usize,
  pixelStart: i32, pixelEnd: i32, ps: usize, cStart: i32, cEnd: i32,
): void {
  const range = cEnd - cStart;
  const plane = (((range + 3) & ~3) as usize) << 2; // bytes of a scratch plane
  const s = scratch;
  const q = scratch + plane;
  const cb = (cStart as usize) << 2;
  const k = shift + cb;
  const zero = f32x4.splat(0);
  for (let p0 = pixelStart; p0 < pixelEnd; p0 += BLOCK) {
    const p1 = min32(p0 + BLOCK, pixelEnd);
    for (let o: usize = 0; o < plane; o += 16) {
      v128.store(s + o, zero);
      v128.store(q + o, zero);
    }
    let row = input + (p0 as usize) * ps + cb;
    let p = p0;
    for (; p + 2 <= p1; p += 2) {
      accumulate(SHIFT, true, row, ps, k, s, q, range);
      row += ps << 1;
    }
    if (p < p1) accumulate(SHIFT, false, row, ps, k, s, q, range);
    // The block's float32 sums into the float64 totals.
    for (let i = 0; i < range; i += 4) {
      const lanes = min32(4, range - i);
      const o = (i as usize) << 2;
      const at = ((cStart + i) as usize) << 3;
      const vs = v128.load(s + o);
      const vq = v128.load(q + o);
      addF64(sum + at, promoteLow(vs), promoteHigh(vs), lanes);
      addF64(sumSquares + at, promoteLow(vq), promoteHigh(vq), lanes);
    }
  }
}

export function channelStats(d: usize): void {
  const input = load<u32>(d, CS_INPUT) as usize;
  const shift = load<u32>(d, CS_SHIFT) as usize;
  const sum = load<u32>(d, CS_SUM) as usize;
  const sumSquares = load<u32>(d, CS_SUM_SQUARES) as usize;
  const scratch = load<u32>(d, CS_SCRATCH) as usize;
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
  if (cStart >= cEnd) return;
  const range = cEnd - cStart;
  if (range <= 16 && (range & 3) == 0) {
    if (shift != 0) statsSmall(true, range >> 2, input, shift, sum, sumSquares, pixelStart, pixelEnd, ps, cStart);
    else statsSmall(false, range >> 2, input, shift, sum, sumSquares, pixelStart, pixelEnd, ps, cStart);
    return;
  }
  if (shift != 0) stats(true, input, shift, sum, sumSquares, scratch, pixelStart, pixelEnd, ps, cStart, cEnd);
  else stats(false, input, shift, sum, sumSquares, scratch, pixelStart, pixelEnd, ps, cStart, cEnd);
}

// depthwise3x3BackwardInput: the input gradient of the 3×3 depthwise convolution (multiplier 1, any
// stride and dilation), as a gather over output positions: each input pixel sums the dY pixels whose
// windows read it, so threads may split the input rows and nothing is scattered. The descriptor is
// documented in src/kernels/wasm/README.md; the weights are packDepthwise3x3's (the bias is ignored).
//
//   dX[iy, ix, c] = Σ w[ky, kx, c]·dY[oy, ox, c] over oy·sH − padTop + ky·dH = iy,
//                                                     ox·sW − padLeft + kx·dW = ix, inside dY.
//
// For an input row, the kernel rows that reach it (and their dY rows) are fixed. The input columns
// split into sW phases (ix mod sW); within a phase the same kernel columns reach every pixel, at dY
// columns that advance by one per pixel of the phase (stride 2, dilation 1: even columns get taps
// {0, 2}, odd columns tap {1}; stride 1: one phase with all three taps). Interior pixels (every tap
// inside dY) of a phase run group by group, one pass per kernel row that adds its taps into dX (the
// first pass writes), with the taps in registers and, when the taps hit neighbouring dY columns, the
// dY columns rolling through registers (one load per pixel). Border pixels and the last partial group
// use a per-pixel path over the valid taps only, reading and writing live lanes only.
import { loadN, madd, max32, min32, storeN } from './common';
import {
  DBI_CHANNELS, DBI_DILATION_H, DBI_DILATION_W, DBI_GRAD_INPUT, DBI_GRAD_OUTPUT, DBI_IN_HEIGHT, DBI_IN_STRIDE,
  DBI_IN_WIDTH, DBI_OUT_HEIGHT, DBI_OUT_STRIDE, DBI_OUT_WIDTH, DBI_PAD_LEFT, DBI_PAD_TOP, DBI_ROW_END,
  DBI_ROW_START, DBI_STRIDE_H, DBI_STRIDE_W, DBI_WEIGHTS,
} from './layout';

/** Bytes of one packed channel group: bias and 9 taps, 4 floats each. */
const GROUP_BYTES: usize = 160;
/** Interior column tiles: about this many bytes of dY and dX per tile, so that every group reuses them from L1. */
const L1_TILE_BYTES: usize = 24576;
const TILE_MIN: i32 = 16;

@inline function gcd(a: i32, b: i32): i32 {
  while (b != 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** a mod b in [0, b) for b > 0. */
@inline function mod(a: i32, b: i32): i32 {
  const r = a % b;
  return r < 0 ? r + b : r;
}

/**
 * One kernel row's pass over `count` interior pixels of a phase for one full group: NT taps, the
 * leftmost dY column of the first pixel at p (tap t' at p + t'·tq, weights k0…k2 in that order),
 * dX at o, advancing by os in dY and px in dX per pixel. FIRST writes, otherwise adds to dX. ROLL:
 * tq = os, the next pixel's taps are this one's shifted by one column.
 */
@inline function rowPass(
  NT: i32, FIRST: bool, ROLL: bool, p: usize, tq: usize, o: usize, px: usize, os: usize, count: i32,
  k0: v128, k1: v128, k2: v128,
): void {
  let q = o;
  let s = p;
  if (ROLL && NT >= 2) {
    let c0 = v128.load(s);
    let c1 = NT >= 3 ? v128.load(s + os) : c0;
    s += NT >= 3 ? os << 1 : os;
    for (let n = count; n > 0; n--) {
      let acc = FIRST ? f32x4.splat(0) : v128.load(q);
      const c = v128.load(s);
      acc = madd(c0, k0, acc);
      if (NT >= 3) {
        acc = madd(c1, k1, acc);
        acc = madd(c, k2, acc);
        c0 = c1;
        c1 = c;
      } else {
        acc = madd(c, k1, acc);
        c0 = c;
      }
      v128.store(q, acc);
      s += os;
      q += px;
    }
  } else {
    for (let n = count; n > 0; n--) {
      let acc = FIRST ? f32x4.splat(0) : v128.load(q);
      acc = madd(v128.load(s), k0, acc);
      if (NT >= 2) acc = madd(v128.load(s + tq), k1, acc);
      if (NT >= 3) acc = madd(v128.load(s + (tq << 1)), k2, acc);
      v128.store(q, acc);
      s += os;
      q += px;
    }
  }
}

/** rowPass with NT and ROLL as compile-time constants (FIRST too). */
@inline function rowPassN(
  nt: i32, first: bool, roll: bool, p: usize, tq: usize, o: usize, px: usize, os: usize, count: i32,
  k0: v128, k1: v128, k2: v128,
): void {
  if (nt == 3) {
    if (roll) {
      if (first) rowPass(3, true, true, p, tq, o, px, os, count, k0, k1, k2);
      else rowPass(3, false, true, p, tq, o, px, os, count, k0, k1, k2);
    } else {
      if (first) rowPass(3, true, false, p, tq, o, px, os, count, k0, k1, k2);
      else rowPass(3, false, false, p, tq, o, px, os, count, k0, k1, k2);
    }
  } else if (nt == 2) {
    if (roll) {
      if (first) rowPass(2, true, true, p, tq, o, px, os, count, k0, k1, k2);
      else rowPass(2, false, true, p, tq, o, px, os, count, k0, k1, k2);
    } else {
      if (first) rowPass(2, true, false, p, tq, o, px, os, count, k0, k1, k2);
      else rowPass(2, false, false, p, tq, o, px, os, count, k0, k1, k2);
    }
  } else {
    if (first) rowPass(1, true, false, p, tq, o, px, os, count, k0, k1, k2);
    else rowPass(1, false, false, p, tq, o, px, os, count, k0, k1, k2);
  }
}

/**
 * One input pixel for the groups [g0, groups) plus the partial group of tailLanes channels: the sum
 * over the nr kernel rows (dY rows y0…y2 at channel 0, tap offsets w0…w2 = 16 + ky·48 into a packed
 * group) and the phase's taps t < nt (kernel column kxFirst + t·kstep at dY column m − t·q), skipping
 * dY columns outside [0, outWidth). Reads and writes live lanes only.
 */
function gatherPixel(
  y0: usize, y1: usize, y2: usize, w0: usize, w1: usize, w2: usize, nr: i32,
  m: i32, nt: i32, q: i32, kxFirst: i32, kstep: i32, outWidth: i32, os: usize,
  weights: usize, g0: i32, groups: i32, tailLanes: i32, o: usize,
): void {
  for (let g = g0; g <= groups; g++) {
    const lanes = g < groups ? 4 : tailLanes;
    if (lanes == 0) break;
    const cb = (g << 4) as usize;
    const wg = weights + (g as usize) * GROUP_BYTES;
    let acc = f32x4.splat(0);
    for (let r = 0; r < nr; r++) {
      const yr = (r == 0 ? y0 : r == 1 ? y1 : y2) + cb;
      const wr = wg + (r == 0 ? w0 : r == 1 ? w1 : w2);
      for (let t = 0; t < nt; t++) {
        const ox = m - t * q;
        if (ox < 0 || ox >= outWidth) continue;
        const kx = kxFirst + t * kstep;
        const v = lanes == 4 ? v128.load(yr + (ox as usize) * os) : loadN(yr + (ox as usize) * os, lanes);
        acc = madd(v, v128.load(wr + ((kx << 4) as usize)), acc);
      }
    }
    storeN(o + cb, acc, lanes);
  }
}

/** Zeros `channels` floats at o. */
@inline function zeroPixel(o: usize, channels: i32): void {
  const zero = f32x4.splat(0);
  let q = o;
  let n = channels;
  for (; n >= 4; n -= 4) {
    v128.store(q, zero);
    q += 16;
  }
  storeN(q, zero, n);
}

export function depthwise3x3BackwardInput(d: usize): void {
  const gradOutput = load<u32>(d, DBI_GRAD_OUTPUT) as usize;
  const weights = load<u32>(d, DBI_WEIGHTS) as usize;
  const gradInput = load<u32>(d, DBI_GRAD_INPUT) as usize;
  const inHeight = load<i32>(d, DBI_IN_HEIGHT);
  const inWidth = load<i32>(d, DBI_IN_WIDTH);
  const channels = load<i32>(d, DBI_CHANNELS);
  const ps = (load<i32>(d, DBI_IN_STRIDE) as usize) << 2; // bytes between dX pixels
  const os = (load<i32>(d, DBI_OUT_STRIDE) as usize) << 2; // bytes between dY pixels
  const sH = load<i32>(d, DBI_STRIDE_H);
  const sW = load<i32>(d, DBI_STRIDE_W);
  const dH = load<i32>(d, DBI_DILATION_H);
  const dW = load<i32>(d, DBI_DILATION_W);
  const padTop = load<i32>(d, DBI_PAD_TOP);
  const padLeft = load<i32>(d, DBI_PAD_LEFT);
  const outHeight = load<i32>(d, DBI_OUT_HEIGHT);
  const outWidth = load<i32>(d, DBI_OUT_WIDTH);
  const rowStart = load<i32>(d, DBI_ROW_START);
  const rowEnd = load<i32>(d, DBI_ROW_END);

  const inRowBytes = (inWidth as usize) * ps;
  const outRowBytes = (outWidth as usize) * os;
  const fullGroups = channels >> 2;
  const tailLanes = channels & 3;
  const px = (sW as usize) * ps; // dX bytes between pixels of a phase
  // Taps of a phase: kernel columns kxFirst, kxFirst + kstepX, … at dY columns m, m − qX, …
  const gW = gcd(sW, dW);
  const kstepX = sW / gW;
  const qX = dW / gW;
  const tq = (qX as usize) * os;
  const roll = qX == 1;
  const gH = gcd(sH, dH);
  const kstepY = sH / gH;
  const qY = dH / gH;
  if (inHeight <= 0) return;

  for (let iy = rowStart; iy < rowEnd; iy++) {
    const outRow = gradInput + (iy as usize) * inRowBytes;
    // Kernel rows reaching this input row: ky ≡ first (steps of kstepY), dY row oy = (iy + padTop − ky·dH) / sH.
    const v = iy + padTop;
    let kyFirst = 0;
    while (kyFirst < 3 && mod(v - kyFirst * dH, sH) != 0) kyFirst++;
    let nr = 0;
    let y0: usize = 0;
    let y1: usize = 0;
    let y2: usize = 0;
    let w0: usize = 0;
    let w1: usize = 0;
    let w2: usize = 0;
    for (let ky = kyFirst; ky < 3; ky += kstepY) {
      const oy = (v - ky * dH) / sH; // exact
      if (oy < 0 || oy >= outHeight) continue;
      const yr = gradOutput + (oy as usize) * outRowBytes;
      const wr = (16 + ky * 48) as usize;
      if (nr == 0) {
        y0 = yr;
        w0 = wr;
      } else if (nr == 1) {
        y1 = yr;
        w1 = wr;
      } else {
        y2 = yr;
        w2 = wr;
      }
      nr++;
    }
    if (nr == 0) {
      for (let ix = 0; ix < inWidth; ix++) zeroPixel(outRow + (ix as usize) * ps, channels);
      continue;
    }

    for (let phase = 0; phase < min32(sW, inWidth); phase++) {
      const u0 = phase + padLeft;
      let kxFirst = 0;
      while (kxFirst < 3 && mod(u0 - kxFirst * dW, sW) != 0) kxFirst++;
      const jCount = (inWidth - phase + sW - 1) / sW;
      const oPhase = outRow + (phase as usize) * ps;
      if (kxFirst >= 3) {
        for (let j = 0; j < jCount; j++) zeroPixel(oPhase + (j as usize) * px, channels);
        continue;
      }
      const nt = 1 + (2 - kxFirst) / kstepX;
      const m0 = (u0 - kxFirst * dW) / sW; // exact: dY column of tap 0 for j = 0
      const span = (nt - 1) * qX; // tap nt − 1 is span columns left of tap 0
      const jL = min32(max32(0, span - m0), jCount);
      const jR = max32(jL, min32(jCount, outWidth - m0));

      // Interior pixels, full groups: column tiles, every group in a tile, one pass per kernel row.
      if (fullGroups > 0 && jL < jR) {
        const perPixel = (nr as usize) * os + ps;
        const tile = max32(TILE_MIN, <i32>(L1_TILE_BYTES / perPixel));
        for (let j0 = jL; j0 < jR; j0 += tile) {
          const count = min32(tile, jR - j0);
          const left = ((m0 + j0 - span) as usize) * os; // leftmost dY column of the tile's first pixel
          let o = oPhase + (j0 as usize) * px;
          let wg = weights;
          let cb: usize = 0;
          for (let g = 0; g < fullGroups; g++) {
            for (let r = 0; r < nr; r++) {
              const yr = (r == 0 ? y0 : r == 1 ? y1 : y2) + left + cb;
              const wr = wg + (r == 0 ? w0 : r == 1 ? w1 : w2);
              // Taps in order of increasing dY column: kernel column kxFirst + (nt − 1 − t')·kstepX.
              const k0 = v128.load(wr + (((kxFirst + (nt - 1) * kstepX) << 4) as usize));
              const k1 = nt >= 2 ? v128.load(wr + (((kxFirst + (nt - 2) * kstepX) << 4) as usize)) : k0;
              const k2 = nt >= 3 ? v128.load(wr + ((kxFirst << 4) as usize)) : k0;
              rowPassN(nt, r == 0, roll, yr, tq, o, px, os, count, k0, k1, k2);
            }
            wg += GROUP_BYTES;
            o += 16;
            cb += 16;
          }
        }
      }

      // Border pixels (all groups) and the partial last group of interior pixels.
      for (let j = 0; j < jCount; j++) {
        const interior = j >= jL && j < jR;
        if (interior && tailLanes == 0) {
          j = jR - 1;
          continue;
        }
        gatherPixel(y0, y1, y2, w0, w1, w2, nr, m0 + j, nt, qX, kxFirst, kstepX, outWidth, os, weights,
          interior ? fullGroups : 0, fullGroups, tailLanes, oPhase + (j as usize) * px);
      }
    }
  }
}

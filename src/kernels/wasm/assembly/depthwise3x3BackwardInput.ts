// depthwise3x3BackwardInput: the input gradient of the 3×3 depthwise convolution (multiplier 1, any
// stride and dilation), as a gather over output positions: each input pixel sums the dY pixels whose
// windows read it, so threads may split the input rows and nothing is scattered. The descriptor is
// documented in src/kernels/wasm/README.md; the weights are packed with the taps rotated by 180°
// (packDepthwise3x3Transposed: tap (ky, kx) of the kernel at packed tap 8 − 3·ky − kx, zero bias).
//
//   dX[iy, ix, c] = Σ w[ky, kx, c]·dY[oy, ox, c] over oy·sH − padTop + ky·dH = iy,
//                                                     ox·sW − padLeft + kx·dW = ix, inside dY.
//
// Stride 1 (any dilation): dX[iy, ix] = Σ w[2 − ky', 2 − kx']·dY[iy − (2·dH − padTop) + ky'·dH, …], the
// forward depthwise correlation of dY with the rotated taps and padding 2·dilation − pad, so it runs
// on the forward kernel's code (depthwise3x3Rows), interior tiles and rolling columns included.
//
// Other strides: pixel by pixel. For an input row the kernel rows that reach it (and their dY rows)
// are fixed; for an input column the kernel columns that reach it depend on ix mod sW (stride 2,
// dilation 1: taps {0, 2} on one parity, {1} on the other) and are cut to those whose dY column is
// inside dY. So each input pixel has nr × nt (row, tap) pairs, at most 2 × 2 for stride 2 (9/4 on
// average): their dY and weight addresses are computed once per pixel, and the loop over channel
// groups is specialized on (nr, nt), two loads and one multiply-add per pair, live lanes only for
// the last partial group. Pixels no tap reaches get 0.
//
// Stride 2 with dilation 1 along the width (every stride-2 layer of MobileNet) is regular enough for
// a faster path: input pixels pair up (u = ix + padLeft even: taps 0 and 2 at dY columns m and m − 1;
// the odd pixel after it: tap 1 at column m), so the interior pairs of a row run group by group with
// the row's taps in registers and dY column m − 1 kept from the previous pair: per pair and kernel
// row one dY load, three multiply-adds, two stores. The pixels around them use the per-pixel path.
import { floorDiv, loadN, madd, max32, min32, storeN } from './common';
import { depthwise3x3Rows } from './depthwise3x3';
import {
  DBI_CHANNELS, DBI_DILATION_H, DBI_DILATION_W, DBI_GRAD_INPUT, DBI_GRAD_OUTPUT, DBI_IN_HEIGHT, DBI_IN_STRIDE,
  DBI_IN_WIDTH, DBI_OUT_HEIGHT, DBI_OUT_STRIDE, DBI_OUT_WIDTH, DBI_PAD_LEFT, DBI_PAD_TOP, DBI_ROW_END,
  DBI_ROW_START, DBI_STRIDE_H, DBI_STRIDE_W, DBI_WEIGHTS,
} from './layout';

/** Bytes of one packed channel group: bias and 9 taps, 4 floats each. */
const GROUP_BYTES: usize = 160;

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

@inline function ld(FULL: bool, p: usize, lanes: i32): v128 {
  return FULL ? v128.load(p) : loadN(p, lanes);
}

/**
 * One input pixel for the groups [g0, g1): the sum over NR kernel rows × NT taps of dY·w, the dY
 * vector of pair (r, t) at a_rt + cb and its weight at wg + b_rt (wg the group's packed block, cb the
 * group's byte offset). FULL = false: one partial group of `lanes` channels (live lanes only).
 */
@inline function gatherGroups(
  NR: i32, NT: i32, FULL: bool,
  a00: usize, a01: usize, a02: usize, a10: usize, a11: usize, a12: usize, a20: usize, a21: usize, a22: usize,
  b00: usize, b01: usize, b02: usize, b10: usize, b11: usize, b12: usize, b20: usize, b21: usize, b22: usize,
  weights: usize, g0: i32, g1: i32, lanes: i32, o: usize,
): void {
  let cb = (g0 << 4) as usize;
  let wg = weights + (g0 as usize) * GROUP_BYTES;
  for (let g = g0; g < g1; g++) {
    let acc = f32x4.mul(ld(FULL, a00 + cb, lanes), v128.load(wg + b00));
    if (NT >= 2) acc = madd(ld(FULL, a01 + cb, lanes), v128.load(wg + b01), acc);
    if (NT >= 3) acc = madd(ld(FULL, a02 + cb, lanes), v128.load(wg + b02), acc);
    if (NR >= 2) {
      acc = madd(ld(FULL, a10 + cb, lanes), v128.load(wg + b10), acc);
      if (NT >= 2) acc = madd(ld(FULL, a11 + cb, lanes), v128.load(wg + b11), acc);
      if (NT >= 3) acc = madd(ld(FULL, a12 + cb, lanes), v128.load(wg + b12), acc);
    }
    if (NR >= 3) {
      acc = madd(ld(FULL, a20 + cb, lanes), v128.load(wg + b20), acc);
      if (NT >= 2) acc = madd(ld(FULL, a21 + cb, lanes), v128.load(wg + b21), acc);
      if (NT >= 3) acc = madd(ld(FULL, a22 + cb, lanes), v128.load(wg + b22), acc);
    }
    if (FULL) v128.store(o + cb, acc);
    else storeN(o + cb, acc, lanes);
    cb += 16;
    wg += GROUP_BYTES;
  }
}

/** gatherGroups for the full groups from g0 and then the partial one, with NR and NT as compile-time constants. */
@inline function gatherPixel(
  NR: i32, NT: i32,
  a00: usize, a01: usize, a02: usize, a10: usize, a11: usize, a12: usize, a20: usize, a21: usize, a22: usize,
  b00: usize, b01: usize, b02: usize, b10: usize, b11: usize, b12: usize, b20: usize, b21: usize, b22: usize,
  weights: usize, g0: i32, groups: i32, tailLanes: i32, o: usize,
): void {
  gatherGroups(NR, NT, true, a00, a01, a02, a10, a11, a12, a20, a21, a22, b00, b01, b02, b10, b11, b12, b20, b21, b22, weights, g0, groups, 4, o);
  if (tailLanes > 0) {
    gatherGroups(NR, NT, false, a00, a01, a02, a10, a11, a12, a20, a21, a22, b00, b01, b02, b10, b11, b12, b20, b21, b22, weights, groups, groups + 1, tailLanes, o);
  }
}

/**
 * Interior pixel pairs of one input row for one full group, stride 2 and dilation 1 along the width:
 * NR dY rows at y0…y2 (pointing at dY column m − 1 of the first pair, the group's channels), taps
 * (kx = 0, 1, 2) of each kernel row in w00…w22, dX of the first pair's even pixel at o.
 */
@inline function pairsStride2(
  NR: i32, y0: usize, y1: usize, y2: usize,
  w00: v128, w01: v128, w02: v128, w10: v128, w11: v128, w12: v128, w20: v128, w21: v128, w22: v128,
  o: usize, ps: usize, os: usize, count: i32,
): void {
  let p0 = v128.load(y0); // dY column m − 1
  let p1 = NR >= 2 ? v128.load(y1) : p0;
  let p2 = NR >= 3 ? v128.load(y2) : p0;
  let s0 = y0 + os;
  let s1 = y1 + os;
  let s2 = y2 + os;
  let q = o;
  const ps2 = ps << 1;
  for (let n = count; n > 0; n--) {
    const c0 = v128.load(s0); // dY column m
    let even = madd(p0, w02, f32x4.mul(c0, w00));
    let odd = f32x4.mul(c0, w01);
    p0 = c0;
    s0 += os;
    if (NR >= 2) {
      const c1 = v128.load(s1);
      even = madd(c1, w10, madd(p1, w12, even));
      odd = madd(c1, w11, odd);
      p1 = c1;
      s1 += os;
    }
    if (NR >= 3) {
      const c2 = v128.load(s2);
      even = madd(c2, w20, madd(p2, w22, even));
      odd = madd(c2, w21, odd);
      p2 = c2;
      s2 += os;
    }
    v128.store(q, even);
    v128.store(q + ps, odd);
    q += ps2;
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
  if (rowStart >= rowEnd || inHeight <= 0) return;

  if (sH == 1 && sW == 1 && padTop <= 2 * dH && padLeft <= 2 * dW) {
    depthwise3x3Rows(gradOutput, weights, gradInput, outHeight, outWidth, channels, os, ps, 1, 1, dH, dW,
      2 * dH - padTop, 2 * dW - padLeft, inWidth, rowStart, rowEnd, 0, -Infinity, Infinity);
    return;
  }

  const inRowBytes = (inWidth as usize) * ps;
  const outRowBytes = (outWidth as usize) * os;
  const groups = channels >> 2;
  const tailLanes = channels & 3;
  // The kernel columns reaching a column come in steps of kstepX, at dY columns qX apart; rows likewise.
  const gW = gcd(sW, dW);
  const kstepX = sW / gW;
  const qX = dW / gW;
  const kstepY = sH / gcd(sH, dH);

  for (let iy = rowStart; iy < rowEnd; iy++) {
    const outRow = gradInput + (iy as usize) * inRowBytes;
    // Kernel rows reaching this input row, with their dY rows oy = (iy + padTop − ky·dH) / sH inside dY.
    const v = iy + padTop;
    let kyFirst = 0;
    while (kyFirst < 3 && mod(v - kyFirst * dH, sH) != 0) kyFirst++;
    let nr = 0;
    let y0: usize = 0;
    let y1: usize = 0;
    let y2: usize = 0;
    let r0: usize = 0;
    let r1: usize = 0;
    let r2: usize = 0;
    for (let ky = kyFirst; ky < 3; ky += kstepY) {
      const oy = (v - ky * dH) / sH; // exact
      if (oy < 0 || oy >= outHeight) continue;
      const yr = gradOutput + (oy as usize) * outRowBytes;
      const wr = (16 + (2 - ky) * 48) as usize; // the rotated pack's kernel row ky
      if (nr == 0) {
        y0 = yr;
        r0 = wr;
      } else if (nr == 1) {
        y1 = yr;
        r1 = wr;
      } else {
        y2 = yr;
        r2 = wr;
      }
      nr++;
    }

    // Stride 2, dilation 1 along the width: the interior pairs (even pixel ix = ix0 + 2k with dY
    // columns m − 1 and m inside dY, m = m0 + k, and its odd neighbour) go group by group.
    let pairStart = inWidth;
    let pairEnd = inWidth;
    if (sW == 2 && dW == 1 && nr > 0 && groups > 0) {
      const ix0 = padLeft & 1; // the first pixel with u = ix + padLeft even
      const m0 = (ix0 + padLeft) >> 1;
      const kLo = max32(0, 1 - m0);
      const kHi = min32(outWidth - 1 - m0, (inWidth - 2 - ix0) >> 1); // last pair: m < outWidth, odd pixel < inWidth
      if (kLo <= kHi) {
        pairStart = ix0 + 2 * kLo;
        pairEnd = ix0 + 2 * kHi + 2;
        const count = kHi - kLo + 1;
        const col = ((m0 + kLo - 1) as usize) * os; // dY column m − 1 of the first pair
        let o = outRow + (pairStart as usize) * ps;
        let wg = weights;
        let cb: usize = 0;
        for (let g = 0; g < groups; g++) {
          const w00 = v128.load(wg + r0 + 32); // the rotated pack: kernel column kx at 16·(2 − kx)
          const w01 = v128.load(wg + r0 + 16);
          const w02 = v128.load(wg + r0);
          if (nr == 1) {
            pairsStride2(1, y0 + col + cb, 0, 0, w00, w01, w02, w00, w00, w00, w00, w00, w00, o, ps, os, count);
          } else {
            const w10 = v128.load(wg + r1 + 32);
            const w11 = v128.load(wg + r1 + 16);
            const w12 = v128.load(wg + r1);
            if (nr == 2) {
              pairsStride2(2, y0 + col + cb, y1 + col + cb, 0, w00, w01, w02, w10, w11, w12, w00, w00, w00, o, ps, os, count);
            } else {
              pairsStride2(3, y0 + col + cb, y1 + col + cb, y2 + col + cb, w00, w01, w02, w10, w11, w12,
                v128.load(wg + r2 + 32), v128.load(wg + r2 + 16), v128.load(wg + r2), o, ps, os, count);
            }
          }
          wg += GROUP_BYTES;
          cb += 16;
          o += 16;
        }
      }
    }

    for (let ix = 0; ix < inWidth; ix++) {
      if (ix == pairStart && tailLanes == 0) {
        ix = pairEnd - 1; // the pairs are done
        continue;
      }
      const g0 = ix >= pairStart && ix < pairEnd ? groups : 0; // in the pairs only the partial group is left
      const o = outRow + (ix as usize) * ps;
      // Kernel columns reaching ix: kxFirst + t·kstepX (t < ntAll) at dY columns m − t·qX.
      const u = ix + padLeft;
      let kxFirst = 0;
      while (kxFirst < 3 && mod(u - kxFirst * dW, sW) != 0) kxFirst++;
      if (nr == 0 || kxFirst >= 3) {
        zeroPixel(o, channels); // (never inside the pairs: they have taps)
        continue;
      }
      const ntAll = 1 + (2 - kxFirst) / kstepX;
      const m = (u - kxFirst * dW) / sW; // exact
      // Taps whose dY column is inside [0, outWidth): 0 ≤ m − t·qX < outWidth.
      const tLo = max32(0, floorDiv(m - outWidth + qX, qX));
      const tHi = min32(ntAll - 1, floorDiv(m, qX));
      if (tLo > tHi) {
        zeroPixel(o, channels);
        continue;
      }
      const nt = tHi - tLo + 1;
      const d0 = ((m - tLo * qX) as usize) * os;
      const d1 = ((m - (tLo + 1) * qX) as usize) * os;
      const d2 = ((m - (tLo + 2) * qX) as usize) * os;
      const k0 = ((2 - kxFirst - tLo * kstepX) << 4) as usize; // the rotated pack's kernel column
      const k1 = ((2 - kxFirst - (tLo + 1) * kstepX) << 4) as usize;
      const k2 = ((2 - kxFirst - (tLo + 2) * kstepX) << 4) as usize;
      const a00 = y0 + d0;
      const a01 = y0 + d1;
      const a02 = y0 + d2;
      const a10 = y1 + d0;
      const a11 = y1 + d1;
      const a12 = y1 + d2;
      const a20 = y2 + d0;
      const a21 = y2 + d1;
      const a22 = y2 + d2;
      if (nr == 1) {
        if (nt == 1) gatherPixel(1, 1, a00, a01, a02, a10, a11, a12, a20, a21, a22, r0 + k0, r0 + k1, r0 + k2, r1 + k0, r1 + k1, r1 + k2, r2 + k0, r2 + k1, r2 + k2, weights, g0, groups, tailLanes, o);
        else if (nt == 2) gatherPixel(1, 2, a00, a01, a02, a10, a11, a12, a20, a21, a22, r0 + k0, r0 + k1, r0 + k2, r1 + k0, r1 + k1, r1 + k2, r2 + k0, r2 + k1, r2 + k2, weights, g0, groups, tailLanes, o);
        else gatherPixel(1, 3, a00, a01, a02, a10, a11, a12, a20, a21, a22, r0 + k0, r0 + k1, r0 + k2, r1 + k0, r1 + k1, r1 + k2, r2 + k0, r2 + k1, r2 + k2, weights, g0, groups, tailLanes, o);
      } else if (nr == 2) {
        if (nt == 1) gatherPixel(2, 1, a00, a01, a02, a10, a11, a12, a20, a21, a22, r0 + k0, r0 + k1, r0 + k2, r1 + k0, r1 + k1, r1 + k2, r2 + k0, r2 + k1, r2 + k2, weights, g0, groups, tailLanes, o);
        else if (nt == 2) gatherPixel(2, 2, a00, a01, a02, a10, a11, a12, a20, a21, a22, r0 + k0, r0 + k1, r0 + k2, r1 + k0, r1 + k1, r1 + k2, r2 + k0, r2 + k1, r2 + k2, weights, g0, groups, tailLanes, o);
        else gatherPixel(2, 3, a00, a01, a02, a10, a11, a12, a20, a21, a22, r0 + k0, r0 + k1, r0 + k2, r1 + k0, r1 + k1, r1 + k2, r2 + k0, r2 + k1, r2 + k2, weights, g0, groups, tailLanes, o);
      } else {
        if (nt == 1) gatherPixel(3, 1, a00, a01, a02, a10, a11, a12, a20, a21, a22, r0 + k0, r0 + k1, r0 + k2, r1 + k0, r1 + k1, r1 + k2, r2 + k0, r2 + k1, r2 + k2, weights, g0, groups, tailLanes, o);
        else if (nt == 2) gatherPixel(3, 2, a00, a01, a02, a10, a11, a12, a20, a21, a22, r0 + k0, r0 + k1, r0 + k2, r1 + k0, r1 + k1, r1 + k2, r2 + k0, r2 + k1, r2 + k2, weights, g0, groups, tailLanes, o);
        else gatherPixel(3, 3, a00, a01, a02, a10, a11, a12, a20, a21, a22, r0 + k0, r0 + k1, r0 + k2, r1 + k0, r1 + k1, r1 + k2, r2 + k0, r2 + k1, r2 + k2, weights, g0, groups, tailLanes, o);
      }
    }
  }
}

// Register tiles of the weight gradients that are matrix products, dW[t][c] += Σ_p X[p][t]·dY[p][c]
// (pointwiseWeightGrad: t = input channel; conv2dDirectBackwardWeight: t = tap (ky, kx, ci) of a
// kernel row). A "run" is a set of `taps` consecutive floats of X per pixel (input channels, or a
// kernel row's kw·Cin taps when dilationW = 1) whose gradient rows are consecutive rows of dW.
//
// Pixels are visited as `nrows` rows of `count` pixels: pixel (r, i) has its first tap at
// x + r·xRowStep + i·sx and its gradient row at y + r·yRowStep + i·sy. The accumulators live in
// registers for the whole sweep and are added into dW once at the end (so a caller that sums over
// blocks of pixels gets a two-level sum: float32 within a block, then the block sums into dW).
//
// Tiles: 2 taps × 16 channels (8 accumulators, 4 gradient vectors, 1 broadcast tap: 13 of the 15
// SIMD registers V8 has on x64), 4 taps × 8 channels, 4 taps × 4 channels (the last 1–3 lanes of a
// range read and written with partial loads and stores), and 1-tap versions for the odd taps.
import { loadN, madd, storeN } from './common';

/** dW += v for one full vector. */
@inline function addTo(p: usize, v: v128): void {
  v128.store(p, f32x4.add(v128.load(p), v));
}

/** 16 output channels × NT (1 or 2) taps. */
@inline function tile16(
  NT: i32, x: usize, sx: usize, xRowStep: usize, y: usize, sy: usize, yRowStep: usize, nrows: i32, count: i32,
  w: usize, rowBytes: usize,
): void {
  let a00 = f32x4.splat(0);
  let a01 = f32x4.splat(0);
  let a02 = f32x4.splat(0);
  let a03 = f32x4.splat(0);
  let a10 = f32x4.splat(0);
  let a11 = f32x4.splat(0);
  let a12 = f32x4.splat(0);
  let a13 = f32x4.splat(0);
  let xr = x;
  let yr = y;
  for (let r = nrows; r > 0; r--) {
    let xp = xr;
    let yp = yr;
    for (let n = count; n > 0; n--) {
      const g0 = v128.load(yp);
      const g1 = v128.load(yp, 16);
      const g2 = v128.load(yp, 32);
      const g3 = v128.load(yp, 48);
      let s = v128.load32_splat(xp);
      a00 = madd(s, g0, a00);
      a01 = madd(s, g1, a01);
      a02 = madd(s, g2, a02);
      a03 = madd(s, g3, a03);
      if (NT >= 2) {
        s = v128.load32_splat(xp, 4);
        a10 = madd(s, g0, a10);
        a11 = madd(s, g1, a11);
        a12 = madd(s, g2, a12);
        a13 = madd(s, g3, a13);
      }
      xp += sx;
      yp += sy;
    }
    xr += xRowStep;
    yr += yRowStep;
  }
  addTo(w, a00);
  addTo(w + 16, a01);
  addTo(w + 32, a02);
  addTo(w + 48, a03);
  if (NT >= 2) {
    const w1 = w + rowBytes;
    addTo(w1, a10);
    addTo(w1 + 16, a11);
    addTo(w1 + 32, a12);
    addTo(w1 + 48, a13);
  }
}

/** 8 output channels × NT (1 or 4) taps. */
@inline function tile8(
  NT: i32, x: usize, sx: usize, xRowStep: usize, y: usize, sy: usize, yRowStep: usize, nrows: i32, count: i32,
  w: usize, rowBytes: usize,
): void {
  let a00 = f32x4.splat(0);
  let a01 = f32x4.splat(0);
  let a10 = f32x4.splat(0);
  let a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0);
  let a21 = f32x4.splat(0);
  let a30 = f32x4.splat(0);
  let a31 = f32x4.splat(0);
  let xr = x;
  let yr = y;
  for (let r = nrows; r > 0; r--) {
    let xp = xr;
    let yp = yr;
    for (let n = count; n > 0; n--) {
      const g0 = v128.load(yp);
      const g1 = v128.load(yp, 16);
      let s = v128.load32_splat(xp);
      a00 = madd(s, g0, a00);
      a01 = madd(s, g1, a01);
      if (NT >= 4) {
        s = v128.load32_splat(xp, 4);
        a10 = madd(s, g0, a10);
        a11 = madd(s, g1, a11);
        s = v128.load32_splat(xp, 8);
        a20 = madd(s, g0, a20);
        a21 = madd(s, g1, a21);
        s = v128.load32_splat(xp, 12);
        a30 = madd(s, g0, a30);
        a31 = madd(s, g1, a31);
      }
      xp += sx;
      yp += sy;
    }
    xr += xRowStep;
    yr += yRowStep;
  }
  addTo(w, a00);
  addTo(w + 16, a01);
  if (NT >= 4) {
    addTo(w + rowBytes, a10);
    addTo(w + rowBytes + 16, a11);
    addTo(w + 2 * rowBytes, a20);
    addTo(w + 2 * rowBytes + 16, a21);
    addTo(w + 3 * rowBytes, a30);
    addTo(w + 3 * rowBytes + 16, a31);
  }
}

/** `lanes` (1…4) output channels × NT (1 or 4) taps; FULL (lanes = 4) uses whole-vector loads and stores. */
@inline function tile4(
  NT: i32, FULL: bool, x: usize, sx: usize, xRowStep: usize, y: usize, sy: usize, yRowStep: usize, nrows: i32, count: i32,
  w: usize, rowBytes: usize, lanes: i32,
): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let xr = x;
  let yr = y;
  for (let r = nrows; r > 0; r--) {
    let xp = xr;
    let yp = yr;
    for (let n = count; n > 0; n--) {
      const g = FULL ? v128.load(yp) : loadN(yp, lanes);
      a0 = madd(v128.load32_splat(xp), g, a0);
      if (NT >= 4) {
        a1 = madd(v128.load32_splat(xp, 4), g, a1);
        a2 = madd(v128.load32_splat(xp, 8), g, a2);
        a3 = madd(v128.load32_splat(xp, 12), g, a3);
      }
      xp += sx;
      yp += sy;
    }
    xr += xRowStep;
    yr += yRowStep;
  }
  if (FULL) {
    addTo(w, a0);
    if (NT >= 4) {
      addTo(w + rowBytes, a1);
      addTo(w + 2 * rowBytes, a2);
      addTo(w + 3 * rowBytes, a3);
    }
  } else {
    storeN(w, f32x4.add(loadN(w, lanes), a0), lanes);
    if (NT >= 4) {
      storeN(w + rowBytes, f32x4.add(loadN(w + rowBytes, lanes), a1), lanes);
      storeN(w + 2 * rowBytes, f32x4.add(loadN(w + 2 * rowBytes, lanes), a2), lanes);
      storeN(w + 3 * rowBytes, f32x4.add(loadN(w + 3 * rowBytes, lanes), a3), lanes);
    }
  }
}

/**
 * dW[t][c] += Σ over the pixels of X[t]·dY[c] for the `taps` taps of a run (tap t at x + 4t, its
 * gradient row at w + t·rowBytes) and output channels c ∈ [cStart, cEnd) (dY and the dW rows point at
 * channel 0). Channels go in chunks of 16, then 8, then 4, then the last 1–3; each chunk sweeps the
 * pixels once per pair (or quad) of taps, so a chunk's gradient rows are reused from L1 by every tap.
 */
export function gradRun(
  x: usize, sx: usize, xRowStep: usize, y: usize, sy: usize, yRowStep: usize, nrows: i32, count: i32,
  taps: i32, w: usize, rowBytes: usize, cStart: i32, cEnd: i32,
): void {
  if (nrows <= 0 || count <= 0 || taps <= 0) return;
  let c = cStart;
  for (; c + 16 <= cEnd; c += 16) {
    const yc = y + ((c as usize) << 2);
    let xt = x;
    let wt = w + ((c as usize) << 2);
    let t = 0;
    for (; t + 2 <= taps; t += 2) {
      tile16(2, xt, sx, xRowStep, yc, sy, yRowStep, nrows, count, wt, rowBytes);
      xt += 8;
      wt += rowBytes << 1;
    }
    if (t < taps) tile16(1, xt, sx, xRowStep, yc, sy, yRowStep, nrows, count, wt, rowBytes);
  }
  if (c + 8 <= cEnd) {
    const yc = y + ((c as usize) << 2);
    let xt = x;
    let wt = w + ((c as usize) << 2);
    let t = 0;
    for (; t + 4 <= taps; t += 4) {
      tile8(4, xt, sx, xRowStep, yc, sy, yRowStep, nrows, count, wt, rowBytes);
      xt += 16;
      wt += rowBytes << 2;
    }
    for (; t < taps; t++) {
      tile8(1, xt, sx, xRowStep, yc, sy, yRowStep, nrows, count, wt, rowBytes);
      xt += 4;
      wt += rowBytes;
    }
    c += 8;
  }
  while (c < cEnd) {
    const lanes = cEnd - c;
    const yc = y + ((c as usize) << 2);
    let xt = x;
    let wt = w + ((c as usize) << 2);
    let t = 0;
    if (lanes >= 4) {
      for (; t + 4 <= taps; t += 4) {
        tile4(4, true, xt, sx, xRowStep, yc, sy, yRowStep, nrows, count, wt, rowBytes, 4);
        xt += 16;
        wt += rowBytes << 2;
      }
      for (; t < taps; t++) {
        tile4(1, true, xt, sx, xRowStep, yc, sy, yRowStep, nrows, count, wt, rowBytes, 4);
        xt += 4;
        wt += rowBytes;
      }
      c += 4;
    } else {
      for (; t + 4 <= taps; t += 4) {
        tile4(4, false, xt, sx, xRowStep, yc, sy, yRowStep, nrows, count, wt, rowBytes, lanes);
        xt += 16;
        wt += rowBytes << 2;
      }
      for (; t < taps; t++) {
        tile4(1, false, xt, sx, xRowStep, yc, sy, yRowStep, nrows, count, wt, rowBytes, lanes);
        xt += 4;
        wt += rowBytes;
      }
      c = cEnd;
    }
  }
}

/**
 * bias[c] += Σ over the pixels of dY[c] for c ∈ [cStart, cEnd), the pixels being `nrows` rows of
 * `count` (gradient rows at y + r·yRowStep + i·sy, pointing at channel 0).
 */
export function biasRun(y: usize, sy: usize, yRowStep: usize, nrows: i32, count: i32, bias: usize, cStart: i32, cEnd: i32): void {
  if (nrows <= 0 || count <= 0) return;
  let c = cStart;
  for (; c + 16 <= cEnd; c += 16) {
    const off = (c as usize) << 2;
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    let yr = y + off;
    for (let r = nrows; r > 0; r--) {
      let yp = yr;
      for (let n = count; n > 0; n--) {
        s0 = f32x4.add(s0, v128.load(yp));
        s1 = f32x4.add(s1, v128.load(yp, 16));
        s2 = f32x4.add(s2, v128.load(yp, 32));
        s3 = f32x4.add(s3, v128.load(yp, 48));
        yp += sy;
      }
      yr += yRowStep;
    }
    const b = bias + off;
    addTo(b, s0);
    addTo(b + 16, s1);
    addTo(b + 32, s2);
    addTo(b + 48, s3);
  }
  for (; c < cEnd; c += 4) {
    const lanes = cEnd - c;
    const off = (c as usize) << 2;
    let s = f32x4.splat(0);
    let yr = y + off;
    for (let r = nrows; r > 0; r--) {
      let yp = yr;
      if (lanes >= 4) {
        for (let n = count; n > 0; n--) {
          s = f32x4.add(s, v128.load(yp));
          yp += sy;
        }
      } else {
        for (let n = count; n > 0; n--) {
          s = f32x4.add(s, loadN(yp, lanes));
          yp += sy;
        }
      }
      yr += yRowStep;
    }
    const b = bias + off;
    if (lanes >= 4) addTo(b, s);
    else storeN(b, f32x4.add(loadN(b, lanes), s), lanes);
  }
}

/** Zeroes floats [cStart, cEnd) of `rows` rows rowBytes apart starting at p (only those floats). */
export function zeroRows(p: usize, rows: i32, rowBytes: usize, cStart: i32, cEnd: i32): void {
  if (cEnd <= cStart) return;
  const zero = f32x4.splat(0);
  let row = p + ((cStart as usize) << 2);
  const n = cEnd - cStart;
  for (let r = rows; r > 0; r--) {
    let q = row;
    let left = n;
    for (; left >= 4; left -= 4) {
      v128.store(q, zero);
      q += 16;
    }
    storeN(q, zero, left);
    row += rowBytes;
  }
}

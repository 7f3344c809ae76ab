// depthwise3x3: 3×3 depthwise convolution (multiplier 1), any stride and dilation, NHWC, four channels
// per SIMD vector. The descriptor and the packed weight layout are documented in
// src/kernels/wasm/README.md.
//
// Each output row is split into its interior columns (the whole 3-wide window inside the input) and
// its border columns. The interior runs channel group by channel group, two output pixels per
// iteration, specialized (through @inline with constant arguments) for 3, 2 or 1 kernel rows inside
// the input, so padding rows are never read, and for the strides whose neighbouring windows share
// input columns (stride = dilation: the common stride 1; stride = 2·dilation). Border columns and the
// last group when channels is not a multiple of 4 go through a per-pixel path that reads only the
// taps inside the input and reads and writes only the live lanes.
//
// V8 emits all of a basic block's loads before its arithmetic, so a long unrolled body keeps every
// loaded vector alive at once and spills. The interior loops therefore store their partial sums after
// each kernel row: the stores order the next row's loads after this row's multiply-adds, and the
// loaded vectors, taps and accumulators fit in the 15 SIMD registers.
import { clamp, floorDiv, loadN, madd, max32, min32, storeN } from './common';
import {
  DW_CHANNELS, DW_CLAMP_MAX, DW_CLAMP_MIN, DW_DILATION_H, DW_DILATION_W, DW_IN_HEIGHT, DW_IN_STRIDE, DW_IN_WIDTH,
  DW_INPUT, DW_INPUT_ROW_BASE, DW_OUT_STRIDE, DW_OUT_WIDTH, DW_OUTPUT, DW_PAD_LEFT, DW_PAD_TOP, DW_ROW_END,
  DW_ROW_START, DW_STRIDE_H, DW_STRIDE_W, DW_WEIGHTS,
} from './layout';

/** Bytes of one packed channel group: bias and 9 taps, 4 floats each. */
const GROUP_BYTES: usize = 160;

/**
 * Interior loop variants by how the windows of two neighbouring output pixels overlap: SHARE1 when
 * strideW = dilationW (the second pixel's first two columns are the first's last two), SHARE2 when
 * strideW = 2·dilationW (one shared column), GENERIC otherwise.
 */
const GENERIC: i32 = 0;
const SHARE1: i32 = 1;
const SHARE2: i32 = 2;

/**
 * Interior column tiles: the tile's input (3 rows × its pixels × all channels) should stay in L1
 * while every channel group sweeps it, so a tile covers about L1_TILE_BYTES of input, at least
 * X_TILE_MIN output columns.
 */
const L1_TILE_BYTES: usize = 24576;
const X_TILE_MIN: i32 = 32;

/**
 * The interior of one output row for one full channel group when stride = dilation = 1 and all three
 * kernel rows are inside the input (the common case). Two output pixels per iteration; the input
 * columns x, x + 1 of each kernel row stay in registers from the previous iteration, so each
 * iteration loads only columns x + 2, x + 3 (6 vectors) and the taps (loaded where they are used,
 * from L1, rather than pinned in registers). Partial sums are stored after each kernel row so that
 * V8, which emits a block's loads before its arithmetic, keeps each row's loads with its row.
 */
@inline function interiorRolling3(
  r0: usize, r1: usize, r2: usize, wg: usize, ps: usize, o: usize, os: usize, count: i32, lo: v128, hi: v128,
): void {
  const ps2 = ps << 1;
  const os2 = os << 1;
  // Columns x and x + 1 of the three kernel rows.
  let a0 = v128.load(r0);
  let b0 = v128.load(r0 + ps);
  let a1 = v128.load(r1);
  let b1 = v128.load(r1 + ps);
  let a2 = v128.load(r2);
  let b2 = v128.load(r2 + ps);
  let p0 = r0 + ps2; // column x + 2
  let p1 = r1 + ps2;
  let p2 = r2 + ps2;
  let q = o;
  let n = count;
  for (; n >= 2; n -= 2) {
    const q1 = q + os;
    const bias = v128.load(wg);
    let k = v128.load(wg, 16);
    let c = v128.load(p0);
    let d = v128.load(p0 + ps);
    let x = madd(a0, k, bias);
    let y = madd(b0, k, bias);
    k = v128.load(wg, 32);
    x = madd(b0, k, x);
    y = madd(c, k, y);
    k = v128.load(wg, 48);
    x = madd(c, k, x);
    y = madd(d, k, y);
    a0 = c;
    b0 = d;
    v128.store(q, x);
    v128.store(q1, y);
    k = v128.load(wg, 64);
    c = v128.load(p1);
    d = v128.load(p1 + ps);
    x = madd(a1, k, x);
    y = madd(b1, k, y);
    k = v128.load(wg, 80);
    x = madd(b1, k, x);
    y = madd(c, k, y);
    k = v128.load(wg, 96);
    x = madd(c, k, x);
    y = madd(d, k, y);
    a1 = c;
    b1 = d;
    v128.store(q, x);
    v128.store(q1, y);
    k = v128.load(wg, 112);
    c = v128.load(p2);
    d = v128.load(p2 + ps);
    x = madd(a2, k, x);
    y = madd(b2, k, y);
    k = v128.load(wg, 128);
    x = madd(b2, k, x);
    y = madd(c, k, y);
    k = v128.load(wg, 144);
    x = madd(c, k, x);
    y = madd(d, k, y);
    a2 = c;
    b2 = d;
    v128.store(q, clamp(x, lo, hi));
    v128.store(q1, clamp(y, lo, hi));
    p0 += ps2;
    p1 += ps2;
    p2 += ps2;
    q += os2;
  }
  if (n > 0) {
    // The odd last pixel: columns x, x + 1 are a*, b*; column x + 2 at p*.
    let x = madd(a0, v128.load(wg, 16), v128.load(wg));
    x = madd(b0, v128.load(wg, 32), x);
    x = madd(v128.load(p0), v128.load(wg, 48), x);
    x = madd(a1, v128.load(wg, 64), x);
    x = madd(b1, v128.load(wg, 80), x);
    x = madd(v128.load(p1), v128.load(wg, 96), x);
    x = madd(a2, v128.load(wg, 112), x);
    x = madd(b2, v128.load(wg, 128), x);
    x = madd(v128.load(p2), v128.load(wg, 144), x);
    v128.store(q, clamp(x, lo, hi));
  }
}

/**
 * The interior columns of one output row for one full channel group. NROWS (a constant after
 * inlining) kernel rows are inside the input, starting at kernel row kyLo: their input rows are at
 * r0, r1, r2 (already offset to the first interior pixel's first tap and to the group's channels).
 * wg points at the group's packed block; dx is the byte step between taps of a row (dilationW
 * pixels) and px the step between output pixels (strideW pixels). Two output pixels per iteration
 * share the taps held in registers and, for MODE SHARE1/SHARE2, the overlapping input columns.
 */
@inline function interiorGroup(
  NROWS: i32, MODE: i32, r0: usize, r1: usize, r2: usize, wg: usize, kyLo: i32, dx: usize, px: usize,
  o: usize, os: usize, count: i32, lo: v128, hi: v128,
): void {
  const bias = v128.load(wg);
  const wr = wg + 16 + ((kyLo * 48) as usize); // taps of the first live kernel row
  const k0 = v128.load(wr);
  const k1 = v128.load(wr, 16);
  const k2 = v128.load(wr, 32);
  let k3 = k0;
  let k4 = k0;
  let k5 = k0;
  let k6 = k0;
  let k7 = k0;
  let k8 = k0;
  if (NROWS >= 2) {
    k3 = v128.load(wr, 48);
    k4 = v128.load(wr, 64);
    k5 = v128.load(wr, 80);
  }
  if (NROWS >= 3) {
    k6 = v128.load(wr, 96);
    k7 = v128.load(wr, 112);
    k8 = v128.load(wr, 128);
  }
  const dx2 = dx << 1;
  let p0 = r0;
  let p1 = r1;
  let p2 = r2;
  let q = o;
  let n = count;
  const px2 = px << 1;
  const dx3 = dx2 + dx;
  const dx4 = dx2 << 1;
  const os2 = os << 1;
  for (; n >= 2; n -= 2) {
    const q1 = q + os;
    let a = bias;
    let b = bias;
    {
      const c0 = v128.load(p0);
      const c1 = v128.load(p0 + dx);
      const c2 = v128.load(p0 + dx2);
      a = madd(c2, k2, madd(c1, k1, madd(c0, k0, a)));
      if (MODE == SHARE1) {
        b = madd(v128.load(p0 + dx3), k2, madd(c2, k1, madd(c1, k0, b)));
      } else if (MODE == SHARE2) {
        b = madd(v128.load(p0 + dx4), k2, madd(v128.load(p0 + dx3), k1, madd(c2, k0, b)));
      } else {
        const pb = p0 + px;
        b = madd(v128.load(pb + dx2), k2, madd(v128.load(pb + dx), k1, madd(v128.load(pb), k0, b)));
      }
    }
    if (NROWS >= 2) {
      v128.store(q, a);
      v128.store(q1, b);
      const c0 = v128.load(p1);
      const c1 = v128.load(p1 + dx);
      const c2 = v128.load(p1 + dx2);
      a = madd(c2, k5, madd(c1, k4, madd(c0, k3, a)));
      if (MODE == SHARE1) {
        b = madd(v128.load(p1 + dx3), k5, madd(c2, k4, madd(c1, k3, b)));
      } else if (MODE == SHARE2) {
        b = madd(v128.load(p1 + dx4), k5, madd(v128.load(p1 + dx3), k4, madd(c2, k3, b)));
      } else {
        const pb = p1 + px;
        b = madd(v128.load(pb + dx2), k5, madd(v128.load(pb + dx), k4, madd(v128.load(pb), k3, b)));
      }
    }
    if (NROWS >= 3) {
      v128.store(q, a);
      v128.store(q1, b);
      const c0 = v128.load(p2);
      const c1 = v128.load(p2 + dx);
      const c2 = v128.load(p2 + dx2);
      a = madd(c2, k8, madd(c1, k7, madd(c0, k6, a)));
      if (MODE == SHARE1) {
        b = madd(v128.load(p2 + dx3), k8, madd(c2, k7, madd(c1, k6, b)));
      } else if (MODE == SHARE2) {
        b = madd(v128.load(p2 + dx4), k8, madd(v128.load(p2 + dx3), k7, madd(c2, k6, b)));
      } else {
        const pb = p2 + px;
        b = madd(v128.load(pb + dx2), k8, madd(v128.load(pb + dx), k7, madd(v128.load(pb), k6, b)));
      }
    }
    v128.store(q, clamp(a, lo, hi));
    v128.store(q1, clamp(b, lo, hi));
    p0 += px2;
    if (NROWS >= 2) p1 += px2;
    if (NROWS >= 3) p2 += px2;
    q += os2;
  }

  for (; n > 0; n--) {
    let acc = madd(v128.load(p0), k0, bias);
    acc = madd(v128.load(p0 + dx), k1, acc);
    acc = madd(v128.load(p0 + dx2), k2, acc);
    if (NROWS >= 2) {
      acc = madd(v128.load(p1), k3, acc);
      acc = madd(v128.load(p1 + dx), k4, acc);
      acc = madd(v128.load(p1 + dx2), k5, acc);
    }
    if (NROWS >= 3) {
      acc = madd(v128.load(p2), k6, acc);
      acc = madd(v128.load(p2 + dx), k7, acc);
      acc = madd(v128.load(p2 + dx2), k8, acc);
    }
    v128.store(q, clamp(acc, lo, hi));
    p0 += px;
    if (NROWS >= 2) p1 += px;
    if (NROWS >= 3) p2 += px;
    q += os;
  }
}

/**
 * One output pixel of a border column (or of the partial last group), for the groups [g0, groups)
 * plus the partial group of `tailLanes` channels. Only taps inside the input are read: kernel rows
 * kyLo…kyHi and columns kxLo…kxHi. tap points at the input of tap (kyLo, kxLo) for channel 0, rowStep
 * and dx are the byte steps between kernel rows and columns. Live lanes only are read and written
 * for the partial group.
 */
function borderPixel(
  tap: usize, rowStep: usize, dx: usize, kyLo: i32, kyHi: i32, kxLo: i32, kxHi: i32, weights: usize,
  g0: i32, groups: i32, tailLanes: i32, o: usize, lo: v128, hi: v128,
): void {
  const wFirst: usize = 16 + (((kyLo * 3 + kxLo) << 4) as usize);
  for (let g = g0; g <= groups; g++) {
    const lanes = g < groups ? 4 : tailLanes;
    if (lanes == 0) break;
    const c = (g << 4) as usize;
    const wg = weights + (g as usize) * GROUP_BYTES;
    let acc = v128.load(wg);
    let row = tap + c;
    let wrow = wg + wFirst;
    for (let ky = kyLo; ky <= kyHi; ky++) {
      let p = row;
      let w = wrow;
      for (let kx = kxLo; kx <= kxHi; kx++) {
        acc = madd(lanes == 4 ? v128.load(p) : loadN(p, lanes), v128.load(w), acc);
        p += dx;
        w += 16;
      }
      row += rowStep;
      wrow += 48;
    }
    storeN(o + c, clamp(acc, lo, hi), lanes);
  }
}

export function depthwise3x3(d: usize): void {
  depthwise3x3Rows(
    load<u32>(d, DW_INPUT) as usize,
    load<u32>(d, DW_WEIGHTS) as usize,
    load<u32>(d, DW_OUTPUT) as usize,
    load<i32>(d, DW_IN_HEIGHT),
    load<i32>(d, DW_IN_WIDTH),
    load<i32>(d, DW_CHANNELS),
    (load<i32>(d, DW_IN_STRIDE) as usize) << 2,
    (load<i32>(d, DW_OUT_STRIDE) as usize) << 2,
    load<i32>(d, DW_STRIDE_H),
    load<i32>(d, DW_STRIDE_W),
    load<i32>(d, DW_DILATION_H),
    load<i32>(d, DW_DILATION_W),
    load<i32>(d, DW_PAD_TOP),
    load<i32>(d, DW_PAD_LEFT),
    load<i32>(d, DW_OUT_WIDTH),
    load<i32>(d, DW_ROW_START),
    load<i32>(d, DW_ROW_END),
    load<i32>(d, DW_INPUT_ROW_BASE),
    load<f32>(d, DW_CLAMP_MIN),
    load<f32>(d, DW_CLAMP_MAX),
  );
}

/**
 * The kernel with its descriptor's fields as arguments (ps, os in bytes). Also the stride-1 path of
 * depthwise3x3BackwardInput, which is this correlation on dY with the 180°-rotated taps.
 */
export function depthwise3x3Rows(
  input: usize, weights: usize, output: usize, inHeight: i32, inWidth: i32, channels: i32, ps: usize, os: usize,
  sH: i32, sW: i32, dH: i32, dW: i32, padTop: i32, padLeft: i32, outWidth: i32, rowStart: i32, rowEnd: i32,
  inputRowBase: i32, clampMin: f32, clampMax: f32,
): void {
  const lo = f32x4.splat(clampMin);
  const hi = f32x4.splat(clampMax);
  const rowBytes = (inWidth as usize) * ps;
  const outRowBytes = (outWidth as usize) * os;
  const rowStep = (dH as usize) * rowBytes; // between kernel rows
  const dx = (dW as usize) * ps; // between kernel columns
  const px = (sW as usize) * ps; // between output pixels
  const fullGroups = channels >> 2;
  const tailLanes = channels & 3;

  // Interior columns: the whole window inside the input, ix0 = ox·sW − padLeft ≥ 0 and ix0 + 2·dW < inWidth.
  const xL = min32((padLeft + sW - 1) / sW, outWidth);
  const xR = min32(max32(floorDiv(inWidth - 1 - 2 * dW + padLeft, sW) + 1, xL), outWidth);
  const interior = xR - xL;
  const mode = px == dx ? SHARE1 : px == dx << 1 ? SHARE2 : GENERIC;
  // Equal, even tiles of about L1_TILE_BYTES of input each (at least X_TILE_MIN columns).
  const maxTile = max32(X_TILE_MIN, <i32>(L1_TILE_BYTES / ((3 as usize) * px)));
  const tiles = max32(1, (interior + maxTile - 1) / maxTile);
  const xTile = (((interior + tiles - 1) / tiles) + 1) & ~1;

  for (let oy = rowStart; oy < rowEnd; oy++) {
    const iy0 = oy * sH - padTop; // input row of kernel row 0
    let kyLo = 0;
    while (kyLo < 3 && iy0 + kyLo * dH < 0) kyLo++;
    let kyHi = 2;
    while (kyHi >= kyLo && iy0 + kyHi * dH >= inHeight) kyHi--;
    // Input row of kernel row kyLo, relative to the band that `input` points at. Computed only when
    // some kernel row is inside the input (otherwise it may be far outside and is never read).
    const rowTop: usize = kyLo <= kyHi ? input + ((iy0 + kyLo * dH - inputRowBase) as usize) * rowBytes : 0;
    const outRow = output + (oy as usize) * outRowBytes;
    const nrows = kyHi - kyLo + 1;

    // Interior, full groups, in column tiles so that the tile's input stays in L1 across groups.
    for (let x0 = xL; x0 < xR; x0 += xTile) {
      const count = min32(xTile, xR - x0);
      let r0 = rowTop + ((x0 * sW - padLeft) as usize) * ps; // tap (kyLo, 0) of the tile's first pixel
      let wg = weights;
      let o = outRow + (x0 as usize) * os;
      for (let g = 0; g < fullGroups; g++) {
        if (nrows == 3) {
          if (mode == SHARE1) interiorRolling3(r0, r0 + rowStep, r0 + 2 * rowStep, wg, dx, o, os, count, lo, hi);
          else if (mode == SHARE2) interiorGroup(3, SHARE2, r0, r0 + rowStep, r0 + 2 * rowStep, wg, kyLo, dx, px, o, os, count, lo, hi);
          else interiorGroup(3, GENERIC, r0, r0 + rowStep, r0 + 2 * rowStep, wg, kyLo, dx, px, o, os, count, lo, hi);
        } else if (nrows == 2) {
          if (mode == SHARE1) interiorGroup(2, SHARE1, r0, r0 + rowStep, r0, wg, kyLo, dx, px, o, os, count, lo, hi);
          else interiorGroup(2, GENERIC, r0, r0 + rowStep, r0, wg, kyLo, dx, px, o, os, count, lo, hi);
        } else if (nrows == 1) {
          interiorGroup(1, GENERIC, r0, r0, r0, wg, kyLo, dx, px, o, os, count, lo, hi);
        } else {
          // No kernel row inside the input: the output is the clamped bias.
          const v = clamp(v128.load(wg), lo, hi);
          let q = o;
          for (let n = count; n > 0; n--) {
            v128.store(q, v);
            q += os;
          }
        }
        r0 += 16;
        wg += GROUP_BYTES;
        o += 16;
      }
    }

    // Border columns (all groups) and the interior of the partial last group.
    for (let ox = 0; ox < outWidth; ox++) {
      const isInterior = ox >= xL && ox < xR;
      if (isInterior && tailLanes == 0) {
        ox = xR - 1; // skip to the right border
        continue;
      }
      if (kyLo > kyHi) {
        // No kernel row inside the input: nothing to read.
        borderPixel(0, 0, 0, 0, -1, 0, -1, weights, isInterior ? fullGroups : 0, fullGroups, tailLanes, outRow + (ox as usize) * os, lo, hi);
        continue;
      }
      const ix0 = ox * sW - padLeft;
      let kxLo = 0;
      while (kxLo < 3 && ix0 + kxLo * dW < 0) kxLo++;
      let kxHi = 2;
      while (kxHi >= kxLo && ix0 + kxHi * dW >= inWidth) kxHi--;
      // The tap (kyLo, kxLo): computed only when it is inside the input.
      const tap: usize = kxLo <= kxHi ? rowTop + ((ix0 + kxLo * dW) as usize) * ps : 0;
      borderPixel(tap, rowStep, dx, kyLo, kyHi, kxLo, kxHi, weights, isInterior ? fullGroups : 0, fullGroups, tailLanes, outRow + (ox as usize) * os, lo, hi);
    }
  }
}

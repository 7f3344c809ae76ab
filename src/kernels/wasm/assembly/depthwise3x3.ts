// depthwise3x3: 3×3 depthwise convolution (multiplier 1), any stride and dilation, NHWC, four channels
// per SIMD vector. The descriptor and the packed weight layout are documented in
// src/kernels/wasm/README.md.
//
// Each output row is split into its interior columns (the whole 3-wide window inside the input) and
// its border columns. The interior runs channel group by channel group with the group's bias and 9
// taps held in registers, one output pixel per iteration, specialized (through @inline with constant
// arguments) for 3, 2 or 1 kernel rows inside the input, so padding rows are never read. Border
// columns and the last group when channels is not a multiple of 4 go through a checked per-pixel
// path that reads and writes only the live lanes.
import { clamp, floorDiv, loadN, madd, max32, min32, storeN } from './common';
import {
  DW_CHANNELS, DW_CLAMP_MAX, DW_CLAMP_MIN, DW_DILATION_H, DW_DILATION_W, DW_IN_HEIGHT, DW_IN_STRIDE, DW_IN_WIDTH,
  DW_INPUT, DW_INPUT_ROW_BASE, DW_OUT_STRIDE, DW_OUT_WIDTH, DW_OUTPUT, DW_PAD_LEFT, DW_PAD_TOP, DW_ROW_END,
  DW_ROW_START, DW_STRIDE_H, DW_STRIDE_W, DW_WEIGHTS,
} from './layout';

/** Bytes of one packed channel group: bias and 9 taps, 4 floats each. */
const GROUP_BYTES: usize = 160;

/**
 * The interior columns of one output row for one full channel group. NROWS (a constant after
 * inlining) kernel rows are inside the input, starting at kernel row kyLo: their input rows are at
 * r0, r1, r2 (already offset to the first interior pixel's first tap and to the group's channels).
 * wg points at the group's packed block; dx is the byte step between taps of a row (dilationW
 * pixels) and px the step between output pixels (strideW pixels).
 */
@inline function interiorGroup(
  NROWS: i32, r0: usize, r1: usize, r2: usize, wg: usize, kyLo: i32, dx: usize, px: usize,
  o: usize, os: usize, count: i32, lo: v128, hi: v128,
): void {
  const bias = v128.load(wg);
  const wr = wg + 16; // taps of the first live kernel row
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
  for (let n = count; n > 0; n--) {
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
 * One output pixel for one channel group of `lanes` (1…4) live channels, with every tap checked
 * against the input's columns. rowTop is the input row of kernel row kyLo (already offset to the
 * group's channels), rowStep the bytes between kernel rows; ix0 is the input column of tap kx = 0.
 */
@inline function checkedPixel(
  rowTop: usize, rowStep: usize, kyLo: i32, kyHi: i32, ix0: i32, dW: i32, inWidth: i32, ps: usize,
  wg: usize, lanes: i32, o: usize, lo: v128, hi: v128,
): void {
  let acc = v128.load(wg);
  let row = rowTop;
  for (let ky = kyLo; ky <= kyHi; ky++) {
    const wr = wg + 16 + ((ky * 48) as usize);
    for (let kx = 0; kx < 3; kx++) {
      const ix = ix0 + kx * dW;
      if (ix >= 0 && ix < inWidth) {
        acc = madd(loadN(row + (ix as usize) * ps, lanes), v128.load(wr + ((kx << 4) as usize)), acc);
      }
    }
    row += rowStep;
  }
  storeN(o, clamp(acc, lo, hi), lanes);
}

export function depthwise3x3(d: usize): void {
  const input = load<u32>(d, DW_INPUT) as usize;
  const weights = load<u32>(d, DW_WEIGHTS) as usize;
  const output = load<u32>(d, DW_OUTPUT) as usize;
  const inHeight = load<i32>(d, DW_IN_HEIGHT);
  const inWidth = load<i32>(d, DW_IN_WIDTH);
  const channels = load<i32>(d, DW_CHANNELS);
  const ps = (load<i32>(d, DW_IN_STRIDE) as usize) << 2; // bytes between input pixels
  const os = (load<i32>(d, DW_OUT_STRIDE) as usize) << 2; // bytes between output pixels
  const sH = load<i32>(d, DW_STRIDE_H);
  const sW = load<i32>(d, DW_STRIDE_W);
  const dH = load<i32>(d, DW_DILATION_H);
  const dW = load<i32>(d, DW_DILATION_W);
  const padTop = load<i32>(d, DW_PAD_TOP);
  const padLeft = load<i32>(d, DW_PAD_LEFT);
  const outWidth = load<i32>(d, DW_OUT_WIDTH);
  const rowStart = load<i32>(d, DW_ROW_START);
  const rowEnd = load<i32>(d, DW_ROW_END);
  const inputRowBase = load<i32>(d, DW_INPUT_ROW_BASE);
  const lo = f32x4.splat(load<f32>(d, DW_CLAMP_MIN));
  const hi = f32x4.splat(load<f32>(d, DW_CLAMP_MAX));

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

    // Interior, full groups.
    if (interior > 0 && fullGroups > 0) {
      const first = rowTop + ((xL * sW - padLeft) as usize) * ps; // first interior pixel, tap (kyLo, 0)
      let r0 = first;
      let wg = weights;
      let o = outRow + (xL as usize) * os;
      for (let g = 0; g < fullGroups; g++) {
        if (nrows == 3) {
          interiorGroup(3, r0, r0 + rowStep, r0 + 2 * rowStep, wg, kyLo, dx, px, o, os, interior, lo, hi);
        } else if (nrows == 2) {
          interiorGroup(2, r0, r0 + rowStep, r0, wg, kyLo, dx, px, o, os, interior, lo, hi);
        } else if (nrows == 1) {
          interiorGroup(1, r0, r0, r0, wg, kyLo, dx, px, o, os, interior, lo, hi);
        } else {
          // No kernel row inside the input: the output is the clamped bias.
          const v = clamp(v128.load(wg), lo, hi);
          let q = o;
          for (let n = interior; n > 0; n--) {
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
      const ix0 = ox * sW - padLeft;
      const o = outRow + (ox as usize) * os;
      const g0 = isInterior ? fullGroups : 0;
      for (let g = g0; g < fullGroups; g++) {
        const c = (g << 4) as usize;
        checkedPixel(rowTop + c, rowStep, kyLo, kyHi, ix0, dW, inWidth, ps, weights + (g as usize) * GROUP_BYTES, 4, o + c, lo, hi);
      }
      if (tailLanes != 0) {
        const c = (fullGroups << 4) as usize;
        checkedPixel(rowTop + c, rowStep, kyLo, kyHi, ix0, dW, inWidth, ps, weights + (fullGroups as usize) * GROUP_BYTES, tailLanes, o + c, lo, hi);
      }
    }
  }
}

// depthwise3x3BackwardWeight: the weight (and bias) gradient of the 3×3 depthwise convolution,
// dW[ky, kx, c] (+)= Σ_{oy, ox} X[oy·sH − padTop + ky·dH, ox·sW − padLeft + kx·dW, c]·dY[oy, ox, c],
// dBias[c] (+)= Σ dY[oy, ox, c], over a sub-range of output rows of one image, for a sub-range of
// channels (threads split channels). The descriptor is documented in src/kernels/wasm/README.md.
//
// Output rows go in bands of about BAND_PIXELS pixels. In a band, each kernel row ky makes one pass
// per group of 4 channels over the band's rows where ky is inside the input, with the three taps of
// that kernel row as accumulators (two sets of 3, for even and odd pixels, so that the multiply-add
// chains overlap) that are added into dW once per band. Interior columns (all three taps inside the
// input) run without checks; with stride 1 (2) and dilation 1 the input columns the neighbouring
// windows share roll through registers (one (two) input loads per pixel instead of three). The
// groups of a pass reuse the band's cache lines from L1.
import { floorDiv, loadN, madd, max32, min32, storeN } from './common';
import { biasRun, zeroRows } from './gradTiles';
import {
  DBW_ACCUMULATE, DBW_CHANNEL_END, DBW_CHANNEL_START, DBW_CHANNELS, DBW_DILATION_H, DBW_DILATION_W, DBW_GRAD_BIAS,
  DBW_GRAD_OUTPUT, DBW_GRAD_WEIGHT, DBW_IN_HEIGHT, DBW_IN_STRIDE, DBW_IN_WIDTH, DBW_INPUT, DBW_OUT_STRIDE,
  DBW_OUT_WIDTH, DBW_PAD_LEFT, DBW_PAD_TOP, DBW_ROW_END, DBW_ROW_START, DBW_STRIDE_H, DBW_STRIDE_W,
} from './layout';

/** Output pixels per band. */
const BAND_PIXELS: i32 = 192;

@inline function ld(FULL: bool, p: usize, lanes: i32): v128 {
  return FULL ? v128.load(p) : loadN(p, lanes);
}

@inline function addInto(FULL: bool, p: usize, v: v128, lanes: i32): void {
  if (FULL) v128.store(p, f32x4.add(v128.load(p), v));
  else storeN(p, f32x4.add(loadN(p, lanes), v), lanes);
}

/** Interior loop variants: ROLL1 stride = dilation = 1, ROLL2 stride 2 and dilation 1, GENERIC otherwise. */
const GENERIC: i32 = 0;
const ROLL1: i32 = 1;
const ROLL2: i32 = 2;

/**
 * One kernel row's pass for one group of channels: dW[ky, 0…2, c…c+lanes) += Σ over output rows
 * [r0, r1) and every column. xRow0/yRow0: input row (r0, ky) and dY row r0 at the group's channels.
 * Interior columns go two pixels per iteration into two sets of accumulators (each accumulator is a
 * loop-carried chain of multiply-adds: one set would wait on their latency), sharing the input
 * columns the two windows have in common (MODE ROLL1: two of three, ROLL2: one).
 */
@inline function kernelRowPass(
  FULL: bool, MODE: i32, xRow0: usize, xRowStep: usize, yRow0: usize, yRowStep: usize, nrows: i32,
  xL: i32, xR: i32, outWidth: i32, inWidth: i32, sW: i32, dW: i32, padLeft: i32, ps: usize, os: usize,
  w: usize, cBytes: usize, lanes: i32,
): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let b0 = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  let b2 = f32x4.splat(0);
  const dx = (dW as usize) * ps;
  const px = (sW as usize) * ps;
  const os2 = os << 1;
  let xRow = xRow0;
  let yRow = yRow0;
  for (let r = nrows; r > 0; r--) {
    // Interior columns.
    if (xL < xR) {
      let xp = xRow + ((xL * sW - padLeft) as usize) * ps;
      let yp = yRow + (xL as usize) * os;
      let n = xR - xL;
      if (MODE == ROLL1) {
        // Pixel j reads columns j, j + 1, j + 2; pixel j + 1 reads j + 1, j + 2, j + 3.
        let c0 = ld(FULL, xp, lanes);
        let c1 = ld(FULL, xp + ps, lanes);
        xp += ps << 1;
        for (; n >= 2; n -= 2) {
          const g = ld(FULL, yp, lanes);
          const h = ld(FULL, yp + os, lanes);
          const c2 = ld(FULL, xp, lanes);
          const c3 = ld(FULL, xp + ps, lanes);
          a0 = madd(c0, g, a0);
          a1 = madd(c1, g, a1);
          a2 = madd(c2, g, a2);
          b0 = madd(c1, h, b0);
          b1 = madd(c2, h, b1);
          b2 = madd(c3, h, b2);
          c0 = c2;
          c1 = c3;
          xp += ps << 1;
          yp += os2;
        }
        if (n > 0) {
          const g = ld(FULL, yp, lanes);
          a0 = madd(c0, g, a0);
          a1 = madd(c1, g, a1);
          a2 = madd(ld(FULL, xp, lanes), g, a2);
        }
      } else if (MODE == ROLL2) {
        // Pixel j reads columns 2j, 2j + 1, 2j + 2; pixel j + 1 reads 2j + 2, 2j + 3, 2j + 4.
        let c0 = ld(FULL, xp, lanes);
        for (; n >= 2; n -= 2) {
          const g = ld(FULL, yp, lanes);
          const h = ld(FULL, yp + os, lanes);
          const c1 = ld(FULL, xp + ps, lanes);
          const c2 = ld(FULL, xp + (ps << 1), lanes);
          const c3 = ld(FULL, xp + 3 * ps, lanes);
          const c4 = ld(FULL, xp + (ps << 2), lanes);
          a0 = madd(c0, g, a0);
          a1 = madd(c1, g, a1);
          a2 = madd(c2, g, a2);
          b0 = madd(c2, h, b0);
          b1 = madd(c3, h, b1);
          b2 = madd(c4, h, b2);
          c0 = c4;
          xp += ps << 2;
          yp += os2;
        }
        if (n > 0) {
          const g = ld(FULL, yp, lanes);
          a0 = madd(c0, g, a0);
          a1 = madd(ld(FULL, xp + ps, lanes), g, a1);
          a2 = madd(ld(FULL, xp + (ps << 1), lanes), g, a2);
        }
      } else {
        for (; n >= 2; n -= 2) {
          const g = ld(FULL, yp, lanes);
          const h = ld(FULL, yp + os, lanes);
          const xq = xp + px;
          a0 = madd(ld(FULL, xp, lanes), g, a0);
          a1 = madd(ld(FULL, xp + dx, lanes), g, a1);
          a2 = madd(ld(FULL, xp + (dx << 1), lanes), g, a2);
          b0 = madd(ld(FULL, xq, lanes), h, b0);
          b1 = madd(ld(FULL, xq + dx, lanes), h, b1);
          b2 = madd(ld(FULL, xq + (dx << 1), lanes), h, b2);
          xp += px << 1;
          yp += os2;
        }
        if (n > 0) {
          const g = ld(FULL, yp, lanes);
          a0 = madd(ld(FULL, xp, lanes), g, a0);
          a1 = madd(ld(FULL, xp + dx, lanes), g, a1);
          a2 = madd(ld(FULL, xp + (dx << 1), lanes), g, a2);
        }
      }
    }
    // Border columns: only the taps inside the input.
    for (let ox = 0; ox < outWidth; ox++) {
      if (ox == xL && xL < xR) {
        ox = xR - 1;
        continue;
      }
      const ix = ox * sW - padLeft;
      const g = ld(FULL, yRow + (ox as usize) * os, lanes);
      if (ix >= 0 && ix < inWidth) a0 = madd(ld(FULL, xRow + (ix as usize) * ps, lanes), g, a0);
      if (ix + dW >= 0 && ix + dW < inWidth) a1 = madd(ld(FULL, xRow + ((ix + dW) as usize) * ps, lanes), g, a1);
      if (ix + 2 * dW >= 0 && ix + 2 * dW < inWidth) a2 = madd(ld(FULL, xRow + ((ix + 2 * dW) as usize) * ps, lanes), g, a2);
    }
    xRow += xRowStep;
    yRow += yRowStep;
  }
  addInto(FULL, w, f32x4.add(a0, b0), lanes);
  addInto(FULL, w + cBytes, f32x4.add(a1, b1), lanes);
  addInto(FULL, w + (cBytes << 1), f32x4.add(a2, b2), lanes);
}

export function depthwise3x3BackwardWeight(d: usize): void {
  const input = load<u32>(d, DBW_INPUT) as usize;
  const gradOutput = load<u32>(d, DBW_GRAD_OUTPUT) as usize;
  const gradWeight = load<u32>(d, DBW_GRAD_WEIGHT) as usize;
  const gradBias = load<u32>(d, DBW_GRAD_BIAS) as usize;
  const inHeight = load<i32>(d, DBW_IN_HEIGHT);
  const inWidth = load<i32>(d, DBW_IN_WIDTH);
  const channels = load<i32>(d, DBW_CHANNELS);
  const ps = (load<i32>(d, DBW_IN_STRIDE) as usize) << 2;
  const os = (load<i32>(d, DBW_OUT_STRIDE) as usize) << 2;
  const sH = load<i32>(d, DBW_STRIDE_H);
  const sW = load<i32>(d, DBW_STRIDE_W);
  const dH = load<i32>(d, DBW_DILATION_H);
  const dW = load<i32>(d, DBW_DILATION_W);
  const padTop = load<i32>(d, DBW_PAD_TOP);
  const padLeft = load<i32>(d, DBW_PAD_LEFT);
  const outWidth = load<i32>(d, DBW_OUT_WIDTH);
  const rowStart = load<i32>(d, DBW_ROW_START);
  const rowEnd = load<i32>(d, DBW_ROW_END);
  const cStart = load<i32>(d, DBW_CHANNEL_START);
  const cEnd = load<i32>(d, DBW_CHANNEL_END);
  const accumulate = load<i32>(d, DBW_ACCUMULATE) != 0;

  const cBytes = (channels as usize) << 2; // between taps of dW
  if (!accumulate) {
    zeroRows(gradWeight, 9, cBytes, cStart, cEnd);
    if (gradBias != 0) zeroRows(gradBias, 1, 0, cStart, cEnd);
  }
  if (rowStart >= rowEnd || cStart >= cEnd) return;

  const rowBytes = (inWidth as usize) * ps;
  const outRowBytes = (outWidth as usize) * os;
  const xRowStep = (sH as usize) * rowBytes;
  const xL = min32((padLeft + sW - 1) / sW, outWidth);
  const xR = min32(max32(floorDiv(inWidth - 1 - 2 * dW + padLeft, sW) + 1, xL), outWidth);
  const mode = sW == 1 && dW == 1 ? ROLL1 : sW == 2 && dW == 1 ? ROLL2 : GENERIC;
  const band = max32(1, BAND_PIXELS / outWidth);

  for (let b0 = rowStart; b0 < rowEnd; b0 += band) {
    const b1 = min32(b0 + band, rowEnd);
    for (let ky = 0; ky < 3; ky++) {
      const off = ky * dH - padTop;
      const r0 = max32(b0, floorDiv(-off + sH - 1, sH));
      const r1 = min32(b1, floorDiv(inHeight - 1 - off, sH) + 1);
      if (r0 >= r1) continue;
      const xRow = input + ((r0 * sH + off) as usize) * rowBytes;
      const yRow = gradOutput + (r0 as usize) * outRowBytes;
      const wRow = gradWeight + ((ky * 3) as usize) * cBytes;
      let c = cStart;
      for (; c + 4 <= cEnd; c += 4) {
        const cb = (c as usize) << 2;
        if (mode == ROLL1) {
          kernelRowPass(true, ROLL1, xRow + cb, xRowStep, yRow + cb, outRowBytes, r1 - r0, xL, xR, outWidth, inWidth, sW, dW, padLeft, ps, os, wRow + cb, cBytes, 4);
        } else if (mode == ROLL2) {
          kernelRowPass(true, ROLL2, xRow + cb, xRowStep, yRow + cb, outRowBytes, r1 - r0, xL, xR, outWidth, inWidth, sW, dW, padLeft, ps, os, wRow + cb, cBytes, 4);
        } else {
          kernelRowPass(true, GENERIC, xRow + cb, xRowStep, yRow + cb, outRowBytes, r1 - r0, xL, xR, outWidth, inWidth, sW, dW, padLeft, ps, os, wRow + cb, cBytes, 4);
        }
      }
      if (c < cEnd) {
        const cb = (c as usize) << 2;
        kernelRowPass(false, GENERIC, xRow + cb, xRowStep, yRow + cb, outRowBytes, r1 - r0, xL, xR, outWidth, inWidth, sW, dW, padLeft, ps, os, wRow + cb, cBytes, cEnd - c);
      }
    }
    if (gradBias != 0) {
      biasRun(gradOutput + (b0 as usize) * outRowBytes, os, 0, 1, (b1 - b0) * outWidth, gradBias, cStart, cEnd);
    }
  }
}

// conv2dDirect: a direct k×k convolution for few input channels (MobileNet's stem: 3×3, stride 2,
// Cin = 3), NHWC, vectorized over output channels. The descriptor and the packed weight layout are
// documented in src/kernels/wasm/README.md.
//
// Register tile: 4 output pixels × 8 output channels (8 accumulators, 2 weight vectors, 1 broadcast
// input). Interior pixels (window inside the input's columns) go four at a time; border pixels one at
// a time with checked taps. Kernel rows outside the input are skipped for the whole row.
import { clamp, floorDiv, madd, max32, min32, storeN } from './common';
import {
  CONV_COUT_ALIGN, CV_BIAS, CV_CLAMP_MAX, CV_CLAMP_MIN, CV_DILATION_H, CV_DILATION_W, CV_IN_CHANNELS, CV_IN_HEIGHT,
  CV_IN_WIDTH, CV_INPUT, CV_KERNEL_H, CV_KERNEL_W, CV_OUT_CHANNELS, CV_OUT_WIDTH, CV_OUTPUT, CV_PAD_LEFT, CV_PAD_TOP,
  CV_ROW_END, CV_ROW_START, CV_STRIDE_H, CV_STRIDE_W, CV_WEIGHTS,
} from './layout';

/** Stores one 8-channel pixel row: clamp(acc) into `cols` (1…8) channels at o. */
@inline function store8(o: usize, c0: v128, c1: v128, cols: i32, lo: v128, hi: v128): void {
  if (cols >= 8) {
    v128.store(o, clamp(c0, lo, hi));
    v128.store(o, clamp(c1, lo, hi), 16);
  } else {
    storeN(o, clamp(c0, lo, hi), min32(cols, 4));
    storeN(o + 16, clamp(c1, lo, hi), max32(0, cols - 4));
  }
}

/**
 * Four interior output pixels (input windows at a, a + px, a + 2px, a + 3px: tap (kyLo, 0, 0)) times
 * 8 output channels (weights w at tap row (kyLo, 0, 0) and chunk offset, bias b).
 * `taps` rows of weights per kernel row when the kernel row's taps are contiguous in the input
 * (dilationW = 1: kw·Cin consecutive floats); otherwise kw columns of Cin taps, dx bytes apart.
 */
function tile4(
  a: usize, px: usize, rowStep: usize, nrows: i32, w: usize, wRow: usize, kw: i32, cin: i32, dx: usize,
  b: usize, o: usize, os: usize, cols: i32, lo: v128, hi: v128,
): void {
  const b0 = v128.load(b);
  const b1 = v128.load(b, 16);
  let c00 = b0;
  let c01 = b1;
  let c10 = b0;
  let c11 = b1;
  let c20 = b0;
  let c21 = b1;
  let c30 = b0;
  let c31 = b1;
  let wp = w;
  let row = a;
  const contiguous = dx == ((cin as usize) << 2);
  const runs = contiguous ? 1 : kw; // runs of consecutive input floats per kernel row
  const runLength = contiguous ? kw * cin : cin;
  for (let ky = 0; ky < nrows; ky++) {
    let run = row;
    for (let rr = 0; rr < runs; rr++) {
      let a0 = run;
      let a1 = run + px;
      let a2 = a1 + px;
      let a3 = a2 + px;
      for (let t = runLength; t > 0; t--) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        let x = v128.load32_splat(a0);
        c00 = madd(x, w0, c00);
        c01 = madd(x, w1, c01);
        x = v128.load32_splat(a1);
        c10 = madd(x, w0, c10);
        c11 = madd(x, w1, c11);
        x = v128.load32_splat(a2);
        c20 = madd(x, w0, c20);
        c21 = madd(x, w1, c21);
        x = v128.load32_splat(a3);
        c30 = madd(x, w0, c30);
        c31 = madd(x, w1, c31);
        a0 += 4;
        a1 += 4;
        a2 += 4;
        a3 += 4;
        wp += wRow;
      }
      run += dx;
    }
    row += rowStep;
  }
  store8(o, c00, c01, cols, lo, hi);
  store8(o + os, c10, c11, cols, lo, hi);
  store8(o + 2 * os, c20, c21, cols, lo, hi);
  store8(o + 3 * os, c30, c31, cols, lo, hi);
}

/** Stores one 16-channel pixel row: clamp(acc) into `cols` (9…16) channels at o. */
@inline function store16(o: usize, c0: v128, c1: v128, c2: v128, c3: v128, cols: i32, lo: v128, hi: v128): void {
  v128.store(o, clamp(c0, lo, hi));
  v128.store(o, clamp(c1, lo, hi), 16);
  if (cols >= 16) {
    v128.store(o, clamp(c2, lo, hi), 32);
    v128.store(o, clamp(c3, lo, hi), 48);
  } else {
    storeN(o + 32, clamp(c2, lo, hi), min32(cols - 8, 4));
    storeN(o + 48, clamp(c3, lo, hi), max32(0, cols - 12));
  }
}

/** Like tile4, for two interior output pixels times 16 output channels (needs cols > 8). */
function tile2x16(
  a: usize, px: usize, rowStep: usize, nrows: i32, w: usize, wRow: usize, kw: i32, cin: i32, dx: usize,
  b: usize, o: usize, os: usize, cols: i32, lo: v128, hi: v128,
): void {
  let c00 = v128.load(b);
  let c01 = v128.load(b, 16);
  let c02 = v128.load(b, 32);
  let c03 = v128.load(b, 48);
  let c10 = c00;
  let c11 = c01;
  let c12 = c02;
  let c13 = c03;
  let wp = w;
  let row = a;
  const contiguous = dx == ((cin as usize) << 2);
  const runs = contiguous ? 1 : kw;
  const runLength = contiguous ? kw * cin : cin;
  for (let ky = 0; ky < nrows; ky++) {
    let run = row;
    for (let rr = 0; rr < runs; rr++) {
      let a0 = run;
      let a1 = run + px;
      for (let t = runLength; t > 0; t--) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const w2 = v128.load(wp, 32);
        const w3 = v128.load(wp, 48);
        let x = v128.load32_splat(a0);
        c00 = madd(x, w0, c00);
        c01 = madd(x, w1, c01);
        c02 = madd(x, w2, c02);
        c03 = madd(x, w3, c03);
        x = v128.load32_splat(a1);
        c10 = madd(x, w0, c10);
        c11 = madd(x, w1, c11);
        c12 = madd(x, w2, c12);
        c13 = madd(x, w3, c13);
        a0 += 4;
        a1 += 4;
        wp += wRow;
      }
      run += dx;
    }
    row += rowStep;
  }
  store16(o, c00, c01, c02, c03, cols, lo, hi);
  store16(o + os, c10, c11, c12, c13, cols, lo, hi);
}

/** One output pixel times 8 output channels with every tap's column checked. */
function pixel1(
  row0: usize, rowStep: usize, nrows: i32, ix0: i32, inWidth: i32, ip: usize, dW: i32,
  w: usize, wRow: usize, kw: i32, cin: i32, b: usize, o: usize, cols: i32, lo: v128, hi: v128,
): void {
  let c0 = v128.load(b);
  let c1 = v128.load(b, 16);
  let row = row0;
  let wk = w; // weights of tap (ky, 0, 0)
  const kxBytes = (cin as usize) * wRow;
  for (let ky = 0; ky < nrows; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const ix = ix0 + kx * dW;
      if (ix >= 0 && ix < inWidth) {
        let ap = row + (ix as usize) * ip;
        let wp = wk + (kx as usize) * kxBytes;
        for (let ci = 0; ci < cin; ci++) {
          const x = v128.load32_splat(ap);
          c0 = madd(x, v128.load(wp), c0);
          c1 = madd(x, v128.load(wp, 16), c1);
          ap += 4;
          wp += wRow;
        }
      }
    }
    row += rowStep;
    wk += (kw as usize) * kxBytes;
  }
  store8(o, c0, c1, cols, lo, hi);
}

export function conv2dDirect(d: usize): void {
  const input = load<u32>(d, CV_INPUT) as usize;
  const weights = load<u32>(d, CV_WEIGHTS) as usize;
  const bias = load<u32>(d, CV_BIAS) as usize;
  const output = load<u32>(d, CV_OUTPUT) as usize;
  const inHeight = load<i32>(d, CV_IN_HEIGHT);
  const inWidth = load<i32>(d, CV_IN_WIDTH);
  const cin = load<i32>(d, CV_IN_CHANNELS);
  const cout = load<i32>(d, CV_OUT_CHANNELS);
  const kh = load<i32>(d, CV_KERNEL_H);
  const kw = load<i32>(d, CV_KERNEL_W);
  const sH = load<i32>(d, CV_STRIDE_H);
  const sW = load<i32>(d, CV_STRIDE_W);
  const dH = load<i32>(d, CV_DILATION_H);
  const dW = load<i32>(d, CV_DILATION_W);
  const padTop = load<i32>(d, CV_PAD_TOP);
  const padLeft = load<i32>(d, CV_PAD_LEFT);
  const outWidth = load<i32>(d, CV_OUT_WIDTH);
  const rowStart = load<i32>(d, CV_ROW_START);
  const rowEnd = load<i32>(d, CV_ROW_END);
  const lo = f32x4.splat(load<f32>(d, CV_CLAMP_MIN));
  const hi = f32x4.splat(load<f32>(d, CV_CLAMP_MAX));

  const coutPadded = (cout + CONV_COUT_ALIGN - 1) & ~(CONV_COUT_ALIGN - 1);
  const wRow = (coutPadded as usize) << 2; // bytes per tap row (ky, kx, ci) of the packed weights
  const ip = (cin as usize) << 2; // bytes per input pixel
  const inRow = (inWidth as usize) * ip;
  const os = (cout as usize) << 2; // bytes per output pixel
  const rowStep = (dH as usize) * inRow;
  const px = (sW as usize) * ip;
  const dx = (dW as usize) * ip;
  const kyBytes = (kw as usize) * (cin as usize) * wRow; // weights of one kernel row

  const xL = min32((padLeft + sW - 1) / sW, outWidth);
  const xR = min32(max32(floorDiv(inWidth - 1 - (kw - 1) * dW + padLeft, sW) + 1, xL), outWidth);

  for (let oy = rowStart; oy < rowEnd; oy++) {
    const iy0 = oy * sH - padTop;
    let kyLo = 0;
    while (kyLo < kh && iy0 + kyLo * dH < 0) kyLo++;
    let kyHi = kh - 1;
    while (kyHi >= kyLo && iy0 + kyHi * dH >= inHeight) kyHi--;
    const nrows = kyHi - kyLo + 1; // may be 0: then the output is the clamped bias
    const row0: usize = nrows > 0 ? input + ((iy0 + kyLo * dH) as usize) * inRow : 0;
    const w0 = weights + (kyLo as usize) * kyBytes;
    const outRow = output + (oy as usize) * (outWidth as usize) * os;

    let ox = 0;
    while (ox < outWidth) {
      const o = outRow + (ox as usize) * os;
      if (ox >= xL && ox + 2 <= xR) {
        // Interior pixels, four (or, near the right border, two) at a time: 16 channels at a time
        // on 2 pixels, the last 8 channels (when Cout mod 16 is 1…8) on 4 pixels.
        const four = ox + 4 <= xR;
        const a = row0 + ((ox * sW - padLeft) as usize) * ip;
        let c = 0;
        for (; c + 8 < cout; c += 16) {
          const cb = (c as usize) << 2;
          tile2x16(a, px, rowStep, nrows, w0 + cb, wRow, kw, cin, dx, bias + cb, o + cb, os, min32(16, cout - c), lo, hi);
          if (four) tile2x16(a + (px << 1), px, rowStep, nrows, w0 + cb, wRow, kw, cin, dx, bias + cb, o + (os << 1) + cb, os, min32(16, cout - c), lo, hi);
        }
        if (c < cout) {
          const cb = (c as usize) << 2;
          if (four) {
            tile4(a, px, rowStep, nrows, w0 + cb, wRow, kw, cin, dx, bias + cb, o + cb, os, cout - c, lo, hi);
          } else {
            pixel1(row0, rowStep, nrows, ox * sW - padLeft, inWidth, ip, dW, w0 + cb, wRow, kw, cin, bias + cb, o + cb, cout - c, lo, hi);
            pixel1(row0, rowStep, nrows, (ox + 1) * sW - padLeft, inWidth, ip, dW, w0 + cb, wRow, kw, cin, bias + cb, o + os + cb, cout - c, lo, hi);
          }
        }
        ox += four ? 4 : 2;
      } else {
        const ix0 = ox * sW - padLeft;
        for (let c = 0; c < cout; c += 8) {
          const cb = (c as usize) << 2;
          pixel1(row0, rowStep, nrows, ix0, inWidth, ip, dW, w0 + cb, wRow, kw, cin, bias + cb, o + cb, min32(8, cout - c), lo, hi);
        }
        ox++;
      }
    }
  }
}

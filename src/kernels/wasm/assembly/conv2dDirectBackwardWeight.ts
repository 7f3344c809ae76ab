// conv2dDirectBackwardWeight: the weight (and bias) gradient of conv2dDirect (the stem),
// dW[ky, kx, ci, co] (+)= Σ_{oy, ox} X[oy·sH − padTop + ky·dH, ox·sW − padLeft + kx·dW, ci]·dY[oy, ox, co]
// over a sub-range of output rows of one image, for output channels [channelStart, channelEnd).
// The descriptor is documented in src/kernels/wasm/README.md.
//
// dW is a (kh·kw·Cin) × Cout matrix product of the image patches and dY, so it runs on the register
// tiles of ./gradTiles.ts (2 taps × 16 output channels, …). Output rows go in bands; in a band, each
// kernel row ky sweeps the band's rows where ky is inside the input: the interior columns (every kx
// inside) as one run of kw·Cin consecutive taps (dilationW = 1) or kw runs of Cin, and each border
// column (fixed set of valid kx) down the band's rows as its own run.
import { floorDiv, max32, min32 } from './common';
import { biasRun, gradRun, zeroRows } from './gradTiles';
import {
  CBW_ACCUMULATE, CBW_CHANNEL_END, CBW_CHANNEL_START, CBW_DILATION_H, CBW_DILATION_W, CBW_GRAD_BIAS, CBW_GRAD_OUTPUT,
  CBW_GRAD_WEIGHT, CBW_IN_CHANNELS, CBW_IN_HEIGHT, CBW_IN_WIDTH, CBW_INPUT, CBW_KERNEL_H, CBW_KERNEL_W,
  CBW_OUT_CHANNELS, CBW_OUT_WIDTH, CBW_PAD_LEFT, CBW_PAD_TOP, CBW_ROW_END, CBW_ROW_START, CBW_STRIDE_H,
  CBW_STRIDE_W,
} from './layout';

/** Output pixels per band: the band's dY panel (band × 64 bytes) and its input rows stay in L1. */
const BAND_PIXELS: i32 = 256;

export function conv2dDirectBackwardWeight(d: usize): void {
  const input = load<u32>(d, CBW_INPUT) as usize;
  const gradOutput = load<u32>(d, CBW_GRAD_OUTPUT) as usize;
  const gradWeight = load<u32>(d, CBW_GRAD_WEIGHT) as usize;
  const gradBias = load<u32>(d, CBW_GRAD_BIAS) as usize;
  const inHeight = load<i32>(d, CBW_IN_HEIGHT);
  const inWidth = load<i32>(d, CBW_IN_WIDTH);
  const cin = load<i32>(d, CBW_IN_CHANNELS);
  const cout = load<i32>(d, CBW_OUT_CHANNELS);
  const kh = load<i32>(d, CBW_KERNEL_H);
  const kw = load<i32>(d, CBW_KERNEL_W);
  const sH = load<i32>(d, CBW_STRIDE_H);
  const sW = load<i32>(d, CBW_STRIDE_W);
  const dH = load<i32>(d, CBW_DILATION_H);
  const dW = load<i32>(d, CBW_DILATION_W);
  const padTop = load<i32>(d, CBW_PAD_TOP);
  const padLeft = load<i32>(d, CBW_PAD_LEFT);
  const outWidth = load<i32>(d, CBW_OUT_WIDTH);
  const rowStart = load<i32>(d, CBW_ROW_START);
  const rowEnd = load<i32>(d, CBW_ROW_END);
  const cStart = load<i32>(d, CBW_CHANNEL_START);
  const cEnd = load<i32>(d, CBW_CHANNEL_END);
  const accumulate = load<i32>(d, CBW_ACCUMULATE) != 0;

  const rowBytes = (cout as usize) << 2; // between rows of dW, and between pixels of dY
  const ip = (cin as usize) << 2; // bytes per input pixel
  const inRow = (inWidth as usize) * ip;
  const outRowBytes = (outWidth as usize) * rowBytes;
  const sx = (sW as usize) * ip; // between neighbouring output pixels' windows
  const xRowStep = (sH as usize) * inRow; // between neighbouring output rows' windows
  const kxBytes = (dW as usize) * ip; // between kernel columns
  const tapsPerRow = kw * cin;

  if (!accumulate) {
    zeroRows(gradWeight, kh * tapsPerRow, rowBytes, cStart, cEnd);
    if (gradBias != 0) zeroRows(gradBias, 1, 0, cStart, cEnd);
  }
  if (rowStart >= rowEnd || cStart >= cEnd) return;

  // Interior columns: every kernel column inside the input.
  const xL = min32((padLeft + sW - 1) / sW, outWidth);
  const xR = min32(max32(floorDiv(inWidth - 1 - (kw - 1) * dW + padLeft, sW) + 1, xL), outWidth);
  const band = max32(1, BAND_PIXELS / outWidth);

  for (let b0 = rowStart; b0 < rowEnd; b0 += band) {
    const b1 = min32(b0 + band, rowEnd);
    for (let ky = 0; ky < kh; ky++) {
      // Output rows whose kernel row ky is inside the input: 0 ≤ oy·sH − padTop + ky·dH < inHeight.
      const off = ky * dH - padTop;
      const r0 = max32(b0, floorDiv(-off + sH - 1, sH));
      const r1 = min32(b1, floorDiv(inHeight - 1 - off, sH) + 1);
      if (r0 >= r1) continue;
      const nrows = r1 - r0;
      const xRow = input + ((r0 * sH + off) as usize) * inRow; // input row of (r0, ky)
      const yRow = gradOutput + (r0 as usize) * outRowBytes;
      const wRow = gradWeight + ((ky * tapsPerRow) as usize) * rowBytes; // dW row (ky, 0, 0)
      if (xL < xR) {
        const x = xRow + ((xL * sW - padLeft) as usize) * ip;
        const y = yRow + (xL as usize) * rowBytes;
        if (dW == 1) {
          gradRun(x, sx, xRowStep, y, rowBytes, outRowBytes, nrows, xR - xL, tapsPerRow, wRow, rowBytes, cStart, cEnd);
        } else {
          for (let kx = 0; kx < kw; kx++) {
            gradRun(x + (kx as usize) * kxBytes, sx, xRowStep, y, rowBytes, outRowBytes, nrows, xR - xL, cin,
              wRow + ((kx * cin) as usize) * rowBytes, rowBytes, cStart, cEnd);
          }
        }
      }
      // Border columns, each down the band's rows, over its valid kernel columns.
      for (let ox = 0; ox < outWidth; ox++) {
        if (ox == xL && xL < xR) {
          ox = xR - 1;
          continue;
        }
        const ix0 = ox * sW - padLeft;
        let kxLo = 0;
        while (kxLo < kw && ix0 + kxLo * dW < 0) kxLo++;
        let kxHi = kw - 1;
        while (kxHi >= kxLo && ix0 + kxHi * dW >= inWidth) kxHi--;
        if (kxLo > kxHi) continue;
        const y = yRow + (ox as usize) * rowBytes;
        const x = xRow + ((ix0 + kxLo * dW) as usize) * ip;
        const w = wRow + ((kxLo * cin) as usize) * rowBytes;
        if (dW == 1) {
          gradRun(x, 0, xRowStep, y, 0, outRowBytes, nrows, 1, (kxHi - kxLo + 1) * cin, w, rowBytes, cStart, cEnd);
        } else {
          for (let kx = kxLo; kx <= kxHi; kx++) {
            gradRun(x + ((kx - kxLo) as usize) * kxBytes, 0, xRowStep, y, 0, outRowBytes, nrows, 1, cin,
              w + (((kx - kxLo) * cin) as usize) * rowBytes, rowBytes, cStart, cEnd);
          }
        }
      }
    }
    if (gradBias != 0) {
      biasRun(gradOutput + (b0 as usize) * outRowBytes, rowBytes, 0, 1, (b1 - b0) * outWidth, gradBias, cStart, cEnd);
    }
  }
}

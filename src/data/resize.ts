/**
 * Image resampling in plain TypeScript (browser-safe), written to give the same 8-bit results as
 * Pillow's `Image.resize` (which torchvision's `Resize` calls for PIL images), so that a pipeline
 * without native image libraries can reproduce torchvision's preprocessing exactly.
 *
 * The method (Pillow's documented behaviour for 'bilinear'/'bicubic'; our own implementation):
 * - separable convolution, horizontal pass first, then vertical; each pass rounds to 8 bits;
 * - output pixel i samples around center = (i + 0.5)·scale, scale = inSize / outSize;
 * - when downscaling (scale > 1) the filter is stretched by `scale` (this is the antialiasing);
 *   support = filterSupport·max(scale, 1), taps from int(center − support + 0.5) to
 *   int(center + support + 0.5) clamped to the image, weights filter((j − center + 0.5) / max(scale, 1))
 *   normalized to sum 1;
 * - weights are converted to 22-bit fixed point (round half away from zero) and each sum starts
 *   at one half (2^21), then is shifted down and clamped to [0, 255];
 * - 'nearest' samples source pixel floor((i + 0.5)·scale), with the position accumulated step by step.
 * Filters: bilinear = triangle on [−1, 1]; bicubic = Keys cubic with a = −0.5 on [−2, 2].
 */
import { MobileNetError } from '../errors.js';
import type { Interpolation } from './preprocess.js';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Filter {
  support: number;
  weight(x: number): number;
}

const BILINEAR: Filter = {
  support: 1,
  weight(x) {
    const ax = Math.abs(x);
    return ax < 1 ? 1 - ax : 0;
  },
};

const BICUBIC_A = -0.5;
const BICUBIC: Filter = {
  support: 2,
  weight(x) {
    const ax = Math.abs(x);
    if (ax < 1) return ((BICUBIC_A + 2) * ax - (BICUBIC_A + 3)) * ax * ax + 1;
    if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * BICUBIC_A;
    return 0;
  },
};

/** Taps of one pass: for output i, `count[i]` weights starting at source index `first[i]`. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  /** (outSize, kernelSize) fixed-point weights. */
  weights: Int32Array;
  kernelSize: number;
}

function computeTaps(inSize: number, outSize: number, filter: Filter): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * kernelSize);
  const w = new Float64Array(kernelSize);
  const inverseScale = 1 / filterScale;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    const n = hi - lo;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      w[j] = filter.weight((j + lo - center + 0.5) * inverseScale);
      sum += w[j]!;
    }
    for (let j = 0; j < n; j++) {
      const normalized = sum !== 0 ? w[j]! / sum : w[j]!;
      weights[i * kernelSize + j] = Math.trunc(normalized < 0 ? -0.5 + normalized * ONE : 0.5 + normalized * ONE);
    }
    first[i] = lo;
    count[i] = n;
  }
  return { first, count, weights, kernelSize };
}

function clamp8(sum: number): number {
  if (sum <= 0) return 0;
  const v = Math.floor(sum / ONE);
  return v > 255 ? 255 : v;
}

/** One horizontal pass over `rows` rows of an (rows, inWidth, 3) image into (rows, outWidth, 3). */
function horizontalPass(src: Uint8Array, rows: number, inWidth: number, taps: Taps, outWidth: number, rowOffset: number): Uint8Array {
  const out = new Uint8Array(rows * outWidth * 3);
  const { first, count, weights, kernelSize } = taps;
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + rowOffset) * inWidth * 3;
    for (let x = 0; x < outWidth; x++) {
      const k = x * kernelSize;
      const n = count[x]!;
      let p = rowBase + first[x]! * 3;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let j = 0; j < n; j++, p += 3) {
        const wj = weights[k + j]!;
        r += src[p]! * wj;
        g += src[p + 1]! * wj;
        b += src[p + 2]! * wj;
      }
      const o = (y * outWidth + x) * 3;
      out[o] = clamp8(r);
      out[o + 1] = clamp8(g);
      out[o + 2] = clamp8(b);
    }
  }
  return out;
}

function verticalPass(src: Uint8Array, width: number, taps: Taps, outHeight: number, rowShift: number): Uint8Array {
  const out = new Uint8Array(outHeight * width * 3);
  const { first, count, weights, kernelSize } = taps;
  const stride = width * 3;
  for (let y = 0; y < outHeight; y++) {
    const k = y * kernelSize;
    const n = count[y]!;
    const base = (first[y]! - rowShift) * stride;
    for (let x = 0; x < stride; x++) {
      let sum = HALF;
      let p = base + x;
      for (let j = 0; j < n; j++, p += stride) sum += src[p]! * weights[k + j]!;
      out[y * stride + x] = clamp8(sum);
    }
  }
  return out;
}

/** Source index of each output pixel for nearest-neighbour sampling (position accumulated per step). */
function nearestIndex(inSize: number, outSize: number): Int32Array {
  const step = inSize / outSize;
  const index = new Int32Array(outSize);
  let position = step * 0.5;
  for (let i = 0; i < outSize; i++) {
    index[i] = Math.min(inSize - 1, Math.max(0, Math.trunc(position)));
    position += step;
  }
  return index;
}

function resizeNearest(rgb: Uint8Array, height: number, width: number, outHeight: number, outWidth: number): Uint8Array {
  const xs = nearestIndex(width, outWidth);
  const ys = nearestIndex(height, outHeight);
  const out = new Uint8Array(outHeight * outWidth * 3);
  for (let y = 0; y < outHeight; y++) {
    const row = ys[y]! * width;
    for (let x = 0; x < outWidth; x++) {
      const s = (row + xs[x]!) * 3;
      const o = (y * outWidth + x) * 3;
      out[o] = rgb[s]!;
      out[o + 1] = rgb[s + 1]!;
      out[o + 2] = rgb[s + 2]!;
    }
  }
  return out;
}

/**
 * Resize an (H, W, 3) 8-bit RGB image to (outHeight, outWidth, 3). Same size returns a copy.
 */
export function resizeImage(
  rgb: Uint8Array,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
  interpolation: Interpolation = 'bilinear',
): Uint8Array {
  for (const [value, what] of [
    [height, 'height'],
    [width, 'width'],
    [outHeight, 'output height'],
    [outWidth, 'output width'],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new MobileNetError('INVALID_ARGUMENT', `resizeImage: ${what} must be a positive integer, got ${value}`);
    }
  }
  if (rgb.length !== height * width * 3) {
    throw new MobileNetError(
      'SHAPE_MISMATCH',
      `resizeImage: the pixel buffer has ${rgb.length} bytes; expected ${height}×${width}×3 = ${height * width * 3}`,
    );
  }
  if (outHeight === height && outWidth === width) return rgb.slice();
  if (interpolation === 'nearest') return resizeNearest(rgb, height, width, outHeight, outWidth);
  let filter: Filter;
  if (interpolation === 'bilinear') filter = BILINEAR;
  else if (interpolation === 'bicubic') filter = BICUBIC;
  else throw new MobileNetError('INVALID_ARGUMENT', `resizeImage: unknown interpolation '${String(interpolation)}'`);

  const horizontal = outWidth !== width;
  const vertical = outHeight !== height;
  const vTaps = computeTaps(height, outHeight, filter);
  let current = rgb;
  let rowShift = 0;
  if (horizontal) {
    // Only the source rows the vertical pass reads need the horizontal pass.
    const firstRow = vertical ? vTaps.first[0]! : 0;
    const lastRow = vertical ? vTaps.first[outHeight - 1]! + vTaps.count[outHeight - 1]! : height;
    current = horizontalPass(rgb, lastRow - firstRow, width, computeTaps(width, outWidth, filter), outWidth, firstRow);
    rowShift = firstRow;
  }
  if (vertical) current = verticalPass(current, outWidth, vTaps, outHeight, rowShift);
  return current;
}

/**
 * Training-time augmentation and the geometry that turns dataset images into MobileNet input
 * (browser-safe). Everything works on (H, W, C) uint8 images, C = 1 or 3.
 *
 * Per image, `createTransform(...).apply` runs, in this order:
 *   1. random crop with zero padding (augmentation): pad every side with `cropPadding` zeros, cut
 *      an H × W window at a uniformly drawn offset (the CIFAR / Fashion-MNIST recipe, pad 4);
 *   2. horizontal flip with probability ½ (augmentation);
 *   3. gray → RGB (three equal channels);
 *   4. resize to the output size, when it differs (bilinear by default, Pillow-exact: resize.ts);
 *   5. normalization to float32, y = (x / 255 − mean[c]) / std[c], each operation rounded to
 *      float32 as torchvision's ToTensor + Normalize do.
 * The augmentation steps run only when `apply` is given a random source, and they draw from it in
 * a fixed order (crop row, crop column, flip), so a seeded source reproduces the same image.
 *
 * Fashion-MNIST statistics (`FASHION_MNIST_STATS`), measured with `measureMeanStd` on the 60,000
 * training images of the published data (Debian's dataset-fashion-mnist), over all 47,040,000
 * pixels of x / 255: mean 0.28604060, standard deviation 0.35302424 (population; the sample
 * standard deviation agrees to 8 digits). The commonly quoted 0.2860 / 0.3530 are these rounded to
 * four digits; we keep the rounded values, as published training recipes do. For reference, the
 * 10,000 test images give mean 0.28684928 and standard deviation 0.35244415.
 */
import { MobileNetError } from '../errors.js';
import { normalizationTable, type Interpolation, INTERPOLATIONS } from './preprocess.js';
import { resizeImage } from './resize.js';
import type { Dataset } from './dataset.js';

/** Per-channel statistics on the x / 255 scale: one value (all channels) or one per RGB channel. */
export interface NormalizationStats {
  mean: readonly number[];
  std: readonly number[];
}

/** Fashion-MNIST training-set statistics (see the module comment for the measured values). */
export const FASHION_MNIST_STATS: NormalizationStats = Object.freeze({
  mean: Object.freeze([0.286]),
  std: Object.freeze([0.353]),
});

/** The pixel arrays the geometric steps take: dataset bytes, or (flipHorizontal) normalized float32 input. */
type Pixels = Uint8Array | Float32Array;

function checkImage(pixels: Pixels, height: number, width: number, channels: number, what: string, float = false): void {
  for (const [value, name] of [
    [height, 'height'],
    [width, 'width'],
    [channels, 'channels'],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new MobileNetError('INVALID_ARGUMENT', `${what}: ${name} must be a positive integer, got ${value}`);
    }
  }
  const typed = pixels instanceof Uint8Array || (float && pixels instanceof Float32Array);
  if (!typed || pixels.length !== height * width * channels) {
    const unit = float ? 'values' : 'bytes';
    throw new MobileNetError(
      'SHAPE_MISMATCH',
      `${what}: expected ${height}×${width}×${channels} = ${height * width * channels} ${unit} (H, W, C), got ${typed ? pixels.length : float ? 'no Uint8Array or Float32Array' : 'no Uint8Array'}`,
    );
  }
}

function outputBuffer(out: Uint8Array | undefined, length: number, what: string): Uint8Array;
function outputBuffer<T extends Pixels>(out: T | undefined, length: number, what: string, like: T): T;
function outputBuffer(out: Pixels | undefined, length: number, what: string, like: Pixels = new Uint8Array(0)): Pixels {
  const kind = like instanceof Float32Array ? Float32Array : Uint8Array;
  if (out === undefined) return new kind(length);
  if (!(out instanceof kind) || out.length !== length) {
    throw new MobileNetError('SHAPE_MISMATCH', `${what}: out must be a ${kind.name} of ${length} ${kind === Uint8Array ? 'bytes' : 'values'}`);
  }
  return out;
}

/** (H, W, 1) gray → (H, W, 3) with three equal channels. */
export function grayToRgb(gray: Uint8Array, out?: Uint8Array): Uint8Array {
  const rgb = outputBuffer(out, gray.length * 3, 'grayToRgb'); // (H, W, 3)
  for (let p = 0, o = 0; p < gray.length; p++, o += 3) {
    const v = gray[p]!;
    rgb[o] = v;
    rgb[o + 1] = v;
    rgb[o + 2] = v;
  }
  return rgb;
}

/**
 * Mirror an (H, W, C) image left ↔ right; bytes or float32 (`out` of the same type, not `pixels`).
 * Rows are independent, so N stacked NHWC images flip as one (N·H, W, C) image.
 */
export function flipHorizontal<T extends Pixels>(pixels: T, height: number, width: number, channels: number, out?: T): T {
  checkImage(pixels, height, width, channels, 'flipHorizontal', true);
  const result = outputBuffer(out, pixels.length, 'flipHorizontal', pixels);
  const rowBytes = width * channels;
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    for (let x = 0; x < width; x++) {
      const s = row + x * channels;
      const o = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) result[o + c] = pixels[s + c]!;
    }
  }
  return result;
}

/**
 * The H × W window at (top, left) of the image padded with `padding` zeros on every side;
 * 0 ≤ top, left ≤ 2·padding, and (padding, padding) gives the image back. `out` must not be `pixels`.
 */
export function padAndCrop(
  pixels: Uint8Array,
  height: number,
  width: number,
  channels: number,
  padding: number,
  top: number,
  left: number,
  out?: Uint8Array,
): Uint8Array {
  checkImage(pixels, height, width, channels, 'padAndCrop');
  if (!Number.isInteger(padding) || padding < 0) {
    throw new MobileNetError('INVALID_ARGUMENT', `padAndCrop: padding must be a non-negative integer, got ${padding}`);
  }
  for (const [value, name] of [
    [top, 'top'],
    [left, 'left'],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 2 * padding) {
      throw new MobileNetError('INVALID_ARGUMENT', `padAndCrop: ${name} must be an integer from 0 to ${2 * padding}, got ${value}`);
    }
  }
  const result = outputBuffer(out, pixels.length, 'padAndCrop');
  // Output (y, x) reads source (y + dy, x + dx); outside the source it is zero.
  const dy = top - padding;
  const dx = left - padding;
  const x0 = Math.max(0, -dx);
  const x1 = Math.min(width, width - dx);
  const rowBytes = width * channels;
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    const row = y * rowBytes;
    if (sy < 0 || sy >= height || x1 <= x0) {
      result.fill(0, row, row + rowBytes);
      continue;
    }
    result.fill(0, row, row + x0 * channels);
    const src = sy * rowBytes + (x0 + dx) * channels;
    result.set(pixels.subarray(src, src + (x1 - x0) * channels), row + x0 * channels);
    result.fill(0, row + x1 * channels, row + rowBytes);
  }
  return result;
}

/** Draw a crop offset in [0, 2·padding] per axis and apply `padAndCrop`. Draws top, then left. */
export function randomCrop(
  pixels: Uint8Array,
  height: number,
  width: number,
  channels: number,
  padding: number,
  random: () => number,
  out?: Uint8Array,
): Uint8Array {
  const span = 2 * padding + 1;
  const top = Math.floor(random() * span);
  const left = Math.floor(random() * span);
  return padAndCrop(pixels, height, width, channels, padding, top, left, out);
}

/**
 * Random erasing (Zhong et al. 2017, "Random Erasing Data Augmentation"; their Fashion-MNIST runs
 * gained most from it): with probability `probability`, a rectangle of 2–40% of the image area and
 * aspect ratio 0.3–3.3 is filled with uniform random values. Up to 10 draws for a rectangle that fits;
 * none fitting leaves the image as it is. Writes `out` (a copy of `pixels` first); returns it.
 */
export function randomErase(
  pixels: Uint8Array,
  height: number,
  width: number,
  channels: number,
  probability: number,
  random: () => number,
  out?: Uint8Array,
): Uint8Array {
  checkImage(pixels, height, width, channels, 'randomErase');
  if (!(probability >= 0 && probability <= 1)) throw new MobileNetError('INVALID_ARGUMENT', `randomErase: probability must be from 0 to 1, got ${probability}`);
  const result = outputBuffer(out, pixels.length, 'randomErase');
  if (result !== pixels) result.set(pixels);
  if (random() >= probability) return result;
  const area = height * width;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (0.02 + random() * (0.4 - 0.02));
    const aspect = Math.exp(Math.log(0.3) + random() * (Math.log(1 / 0.3) - Math.log(0.3)));
    const h = Math.round(Math.sqrt(target * aspect));
    const w = Math.round(Math.sqrt(target / aspect));
    if (h < 1 || w < 1 || h > height || w > width) continue;
    const top = Math.floor(random() * (height - h + 1));
    const left = Math.floor(random() * (width - w + 1));
    for (let y = top; y < top + h; y++) {
      for (let i = (y * width + left) * channels, end = i + w * channels; i < end; i++) result[i] = Math.floor(random() * 256);
    }
    return result;
  }
  return result;
}

/** Mean and std broadcast to three channels, checked. */
function expandStats(stats: NormalizationStats, what: string): { mean: [number, number, number]; std: [number, number, number] } {
  const expand = (values: readonly number[] | undefined, name: string, positive: boolean): [number, number, number] => {
    if (!Array.isArray(values) || (values.length !== 1 && values.length !== 3)) {
      throw new MobileNetError('INVALID_ARGUMENT', `${what}: ${name} must be a list of 1 or 3 numbers, got ${JSON.stringify(values)}`);
    }
    for (const v of values) {
      if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) {
        throw new MobileNetError('INVALID_ARGUMENT', `${what}: ${name} values must be finite${positive ? ' and positive' : ''}, got ${JSON.stringify(values)}`);
      }
    }
    return values.length === 1 ? [values[0]!, values[0]!, values[0]!] : [values[0]!, values[1]!, values[2]!];
  };
  return { mean: expand(stats.mean, 'mean', false), std: expand(stats.std, 'std', true) };
}

/**
 * (H, W, C) uint8 → (H, W, C) float32, y = (x / 255 − mean[c]) / std[c] with float32 rounding after
 * each operation. `stats` holds one value or C values per field.
 */
export function normalizeToFloat32(
  pixels: Uint8Array,
  channels: 1 | 3,
  stats: NormalizationStats,
  out?: Float32Array,
): Float32Array {
  if (channels !== 1 && channels !== 3) throw new MobileNetError('INVALID_ARGUMENT', `normalizeToFloat32: channels must be 1 or 3, got ${String(channels)}`);
  if (pixels.length % channels !== 0) {
    throw new MobileNetError('SHAPE_MISMATCH', `normalizeToFloat32: ${pixels.length} bytes is not a whole number of ${channels}-channel pixels`);
  }
  if (channels === 1 && stats.mean.length !== 1) {
    throw new MobileNetError('INVALID_ARGUMENT', 'normalizeToFloat32: a 1-channel image needs one mean and one std');
  }
  const { mean, std } = expandStats(stats, 'normalizeToFloat32');
  const result = out ?? new Float32Array(pixels.length);
  if (!(result instanceof Float32Array) || result.length !== pixels.length) {
    throw new MobileNetError('SHAPE_MISMATCH', `normalizeToFloat32: out must be a Float32Array of ${pixels.length} floats`);
  }
  const table = normalizationTable({ divisor: 255, mean, std }); // (3, 256)
  if (channels === 1) {
    for (let i = 0; i < pixels.length; i++) result[i] = table[pixels[i]!]!;
  } else {
    for (let i = 0; i < pixels.length; i += 3) {
      result[i] = table[pixels[i]!]!;
      result[i + 1] = table[256 + pixels[i + 1]!]!;
      result[i + 2] = table[512 + pixels[i + 2]!]!;
    }
  }
  return result;
}

/**
 * Per-channel mean and population standard deviation of x / 255 over every pixel of a dataset
 * (exact: computed from per-channel histograms of the 8-bit values).
 */
export function measureMeanStd(dataset: Dataset): { mean: number[]; std: number[]; pixels: number } {
  const channels = dataset.channels;
  const histogram = new Float64Array(channels * 256); // (C, 256)
  for (let i = 0; i < dataset.size; i++) {
    const { pixels } = dataset.get(i);
    for (let p = 0; p < pixels.length; p += channels) {
      for (let c = 0; c < channels; c++) histogram[c * 256 + pixels[p + c]!]!++;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  let count = 0;
  for (let c = 0; c < channels; c++) {
    let n = 0;
    let sum = 0;
    for (let v = 0; v < 256; v++) {
      n += histogram[c * 256 + v]!;
      sum += histogram[c * 256 + v]! * v;
    }
    const m = n > 0 ? sum / n : NaN;
    let squares = 0;
    for (let v = 0; v < 256; v++) squares += histogram[c * 256 + v]! * (v - m) ** 2;
    mean.push(m / 255);
    std.push(Math.sqrt(squares / n) / 255);
    count = n;
  }
  return { mean, std, pixels: count };
}

// ---- the per-image pipeline ----

export interface TransformConfig extends NormalizationStats {
  /** Output size (square when a number); default: the input size. */
  size?: number | { height: number; width: number };
  /** Resampling filter for the resize step; default 'bilinear'. */
  interpolation?: Interpolation;
  /** Zero padding of the random crop, in input pixels; 0 (default) = no random crop. */
  cropPadding?: number;
  /** Random horizontal flips (probability ½). Default false. */
  horizontalFlip?: boolean;
  /** Random erasing probability (after crop and flip); 0 (default) = off. */
  randomErasing?: number;
}

export interface ImageShape {
  height: number;
  width: number;
  channels: 1 | 3;
}

export interface ImageTransform {
  readonly input: Readonly<ImageShape>;
  readonly outputHeight: number;
  readonly outputWidth: number;
  /** outputHeight · outputWidth · 3: the floats one image fills. */
  readonly outputLength: number;
  /** True when the config asks for any random augmentation. */
  readonly augments: boolean;
  /**
   * Transform one (H, W, C) image into `out` ((outputHeight, outputWidth, 3) float32; e.g. a
   * subarray of a batch). With `random`, the augmentation steps run; without, only the geometry
   * and the normalization. Returns `out`.
   */
  apply(pixels: Uint8Array, out: Float32Array, random?: () => number): Float32Array;
}

function positiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new MobileNetError('INVALID_ARGUMENT', `${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Build the per-image pipeline for inputs of `input` shape; scratch buffers are reused between calls. */
export function createTransform(config: TransformConfig, input: ImageShape): ImageTransform {
  const height = positiveInt(input.height, 'createTransform: input height');
  const width = positiveInt(input.width, 'createTransform: input width');
  const channels = input.channels;
  if (channels !== 1 && channels !== 3) throw new MobileNetError('INVALID_ARGUMENT', `createTransform: input channels must be 1 or 3, got ${String(channels)}`);
  const size = config.size ?? { height, width };
  const outputHeight = positiveInt(typeof size === 'number' ? size : size.height, 'createTransform: output height');
  const outputWidth = positiveInt(typeof size === 'number' ? size : size.width, 'createTransform: output width');
  const interpolation = config.interpolation ?? 'bilinear';
  if (!INTERPOLATIONS.includes(interpolation)) {
    throw new MobileNetError('INVALID_ARGUMENT', `createTransform: interpolation must be one of ${INTERPOLATIONS.join(', ')}, got '${String(interpolation)}'`);
  }
  const cropPadding = config.cropPadding ?? 0;
  if (!Number.isInteger(cropPadding) || cropPadding < 0) {
    throw new MobileNetError('INVALID_ARGUMENT', `createTransform: cropPadding must be a non-negative integer, got ${String(cropPadding)}`);
  }
  const horizontalFlip = config.horizontalFlip ?? false;
  const erasing = config.randomErasing ?? 0;
  if (typeof erasing !== 'number' || !(erasing >= 0 && erasing <= 1)) {
    throw new MobileNetError('INVALID_ARGUMENT', `createTransform: randomErasing must be a probability from 0 to 1, got ${String(erasing)}`);
  }
  const { mean, std } = expandStats(config, 'createTransform');
  const table = normalizationTable({ divisor: 255, mean, std }); // (3, 256)
  const inputLength = height * width * channels;
  const outputLength = outputHeight * outputWidth * 3;
  const resize = outputHeight !== height || outputWidth !== width;
  const cropped = new Uint8Array(inputLength); // (H, W, C)
  const flipped = new Uint8Array(inputLength); // (H, W, C)
  const erased = new Uint8Array(inputLength); // (H, W, C)
  const rgb = new Uint8Array(height * width * 3); // (H, W, 3)

  return {
    input: Object.freeze({ height, width, channels }),
    outputHeight,
    outputWidth,
    outputLength,
    augments: cropPadding > 0 || horizontalFlip || erasing > 0,
    apply(pixels: Uint8Array, out: Float32Array, random?: () => number): Float32Array {
      if (!(pixels instanceof Uint8Array) || pixels.length !== inputLength) {
        throw new MobileNetError('SHAPE_MISMATCH', `transform: expected a ${height}×${width}×${channels} uint8 image (${inputLength} bytes), got ${pixels instanceof Uint8Array ? pixels.length : 'no Uint8Array'}`);
      }
      if (!(out instanceof Float32Array) || out.length !== outputLength) {
        throw new MobileNetError('SHAPE_MISMATCH', `transform: out must be a Float32Array of ${outputHeight}×${outputWidth}×3 = ${outputLength} floats`);
      }
      let current = pixels;
      if (random !== undefined && cropPadding > 0) {
        current = randomCrop(current, height, width, channels, cropPadding, random, cropped);
      }
      if (random !== undefined && horizontalFlip && random() < 0.5) {
        current = flipHorizontal(current, height, width, channels, flipped);
      }
      if (random !== undefined && erasing > 0) {
        current = randomErase(current, height, width, channels, erasing, random, erased);
      }
      if (!resize) {
        // Normalize straight from C channels; gray is broadcast to R, G, B.
        if (channels === 1) {
          for (let p = 0, o = 0; p < inputLength; p++, o += 3) {
            const v = current[p]!;
            out[o] = table[v]!;
            out[o + 1] = table[256 + v]!;
            out[o + 2] = table[512 + v]!;
          }
          return out;
        }
      } else {
        if (channels === 1) current = grayToRgb(current, rgb);
        current = resizeImage(current, height, width, outputHeight, outputWidth, interpolation);
      }
      for (let i = 0; i < outputLength; i += 3) {
        out[i] = table[current[i]!]!;
        out[i + 1] = table[256 + current[i + 1]!]!;
        out[i + 2] = table[512 + current[i + 2]!]!;
      }
      return out;
    },
  };
}

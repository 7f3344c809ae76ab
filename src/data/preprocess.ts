/**
 * Image preprocessing presets and the pixel math, as plain data and pure functions (browser-safe).
 *
 * A preset describes how the published weights expect their input: the resize and crop geometry and
 * the per-channel normalization `y = (x / divisor − mean) / std` applied to 8-bit RGB values x. The
 * description is JSON-friendly (`PreprocessConfig`) so it can travel in weight-file metadata.
 *
 * | preset      | geometry                                                   | values                              |
 * | ----------- | ---------------------------------------------------------- | ----------------------------------- |
 * | torchvision | shorter side → round(S·256/224) (bilinear, antialiased like | x/255, then (x − mean)/std with     |
 * |             | PIL), center crop S×S (torchvision `ImageClassification`)   | mean (0.485, 0.456, 0.406),         |
 * |             |                                                            | std (0.229, 0.224, 0.225)           |
 * | keras       | whole image → S×S directly (aspect ratio not kept), bilinear | x/127.5 − 1, range [−1, 1]          |
 * | tfjs        | whole image → S×S directly, bilinear                        | x/255, range [0, 1] (TF Hub images) |
 *
 * Interpolation of the keras preset: Keras' own examples load images with
 * `keras.utils.load_img(path, target_size=(S, S))`, whose default is `interpolation='nearest'`
 * (PIL NEAREST). We choose 'bilinear' (PIL's antialiased triangle filter) instead: nearest-neighbour
 * downscaling of a photo aliases badly, and the Keras MobileNet weights are conversions of TF-slim
 * checkpoints, which were trained and evaluated on bilinearly resized images. Set
 * `interpolation: 'nearest'` to reproduce `load_img`'s default exactly.
 *
 * Geometry helpers follow torchvision to the pixel: `resizeShorterSize` is
 * `torchvision.transforms.functional._compute_resized_output_size` (the longer side becomes
 * int(S·long/short), truncated), and `centerCropBox` is `center_crop` (offsets
 * int(round((h − ch) / 2.0)) with Python's round-half-to-even; zero padding when the crop is larger
 * than the image).
 *
 * Values are computed in float32 one operation at a time in torchvision's order (ToTensor's
 * `x.float().div(255)`, then Normalize's `sub_(mean).div_(std)` with float32 mean/std) and Keras'
 * order (`x /= 127.5; x -= 1.`), so for the same 8-bit pixels the results are bit-identical.
 */
import { MobileNetError } from '../errors.js';

export type PreprocessPreset = 'torchvision' | 'keras' | 'tfjs';
export const PREPROCESS_PRESETS: readonly PreprocessPreset[] = ['torchvision', 'keras', 'tfjs'];

/**
 * Resampling filter, with PIL's meaning: 'bilinear' and 'bicubic' are antialiased (the filter
 * support widens with the downscale factor), 'nearest' picks one source pixel.
 */
export type Interpolation = 'nearest' | 'bilinear' | 'bicubic';
export const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'bilinear', 'bicubic'];

export type Rgb = [number, number, number];

export interface Size {
  height: number;
  width: number;
}

/** A crop window in image coordinates; top/left are negative when the crop pads the image. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export interface PreprocessConfig {
  /** The preset this configuration came from (informative; the fields below are what counts). */
  preset?: PreprocessPreset;
  /**
   * When set: resize so that the shorter side has this length (torchvision `Resize(int)`), keeping
   * the aspect ratio, then take the center crop. When absent: resize the whole image to `crop`
   * directly (aspect ratio not kept) and do not crop.
   */
  resizeShorter?: number;
  /** The output size, which is the model's input size. */
  crop: Size;
  interpolation: Interpolation;
  /**
   * The model was trained on gray images (Fashion-MNIST): colour inputs are first converted to
   * luma as PIL's convert('L') does (ITU-R 601-2), then given as R = G = B. Default false.
   */
  grayscale?: boolean;
  /** y = (x / divisor − mean) / std for 8-bit values x, per channel R, G, B. */
  divisor: number;
  mean: Rgb;
  std: Rgb;
}

export const TORCHVISION_MEAN: Rgb = [0.485, 0.456, 0.406];
export const TORCHVISION_STD: Rgb = [0.229, 0.224, 0.225];
/** torchvision's ImageClassification defaults: resize 256, crop 224. */
const TORCHVISION_RESIZE = 256;
const TORCHVISION_CROP = 224;

export interface PresetOverrides {
  /** Replace the preset's shorter-side length (torchvision's IMAGENET1K_V2 MobileNetV2 weights use 232). */
  resizeShorter?: number;
  interpolation?: Interpolation;
}

/** Python's round(): half-way cases go to the even neighbour (round(16.5) = 16, round(17.5) = 18). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

function checkPositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new MobileNetError('INVALID_ARGUMENT', `${what} must be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The preprocessing that a preset prescribes for a model whose input is inputHeight × inputWidth.
 * torchvision's sizes scale with the input: crop = the input size, shorter side =
 * round(max(H, W)·256/224) (256 for 224, 219 for 192, 183 for 160, 146 for 128, 110 for 96).
 */
export function presetConfig(
  preset: PreprocessPreset,
  inputHeight: number,
  inputWidth: number = inputHeight,
  overrides: PresetOverrides = {},
): PreprocessConfig {
  checkPositiveInt(inputHeight, 'presetConfig: input height');
  checkPositiveInt(inputWidth, 'presetConfig: input width');
  const crop = { height: inputHeight, width: inputWidth };
  let config: PreprocessConfig;
  switch (preset) {
    case 'torchvision':
      config = {
        preset,
        resizeShorter: roundHalfEven((Math.max(inputHeight, inputWidth) * TORCHVISION_RESIZE) / TORCHVISION_CROP),
        crop,
        interpolation: 'bilinear',
        divisor: 255,
        mean: [...TORCHVISION_MEAN],
        std: [...TORCHVISION_STD],
      };
      break;
    case 'keras':
      config = { preset, crop, interpolation: 'bilinear', divisor: 127.5, mean: [1, 1, 1], std: [1, 1, 1] };
      break;
    case 'tfjs':
      config = { preset, crop, interpolation: 'bilinear', divisor: 255, mean: [0, 0, 0], std: [1, 1, 1] };
      break;
    default:
      throw new MobileNetError(
        'INVALID_ARGUMENT',
        `unknown preprocessing preset ${describeValue(preset)}; expected one of ${PREPROCESS_PRESETS.join(', ')}`,
      );
  }
  if (overrides.resizeShorter !== undefined) {
    config.resizeShorter = checkPositiveInt(overrides.resizeShorter, 'presetConfig: resizeShorter');
  }
  if (overrides.interpolation !== undefined) config.interpolation = overrides.interpolation;
  return validatePreprocessConfig(config);
}

/**
 * The configuration for a model whose input is height × width when `config` was written for another
 * crop (a model run with another --resolution): the crop becomes the input size and the shorter-side
 * resize scales with it, keeping the resize/crop ratio (torchvision's 256/224 gives 183 for a 160
 * crop, as presetConfig('torchvision', 160) does).
 */
export function preprocessForInput(config: PreprocessConfig, height: number, width: number): PreprocessConfig {
  checkPositiveInt(height, 'preprocessForInput: height');
  checkPositiveInt(width, 'preprocessForInput: width');
  const out: PreprocessConfig = { ...config, crop: { height, width } };
  const { crop } = config;
  if (config.resizeShorter !== undefined && (crop.height !== height || crop.width !== width)) {
    out.resizeShorter = roundHalfEven((config.resizeShorter * Math.max(height, width)) / Math.max(crop.height, crop.width));
  }
  return out;
}

function checkRgb(value: unknown, what: string, positive: boolean): Rgb {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new MobileNetError('INVALID_ARGUMENT', `preprocess config: ${what} must be 3 finite numbers (R, G, B), got ${describeValue(value)}`);
  }
  if (positive && !value.every((v: number) => v > 0)) {
    throw new MobileNetError('INVALID_ARGUMENT', `preprocess config: ${what} must be positive, got ${describeValue(value)}`);
  }
  return [value[0], value[1], value[2]];
}

/**
 * Check a configuration (for example one parsed from weight-file metadata JSON) and return a clean
 * copy; anything malformed throws INVALID_ARGUMENT naming the field.
 */
export function validatePreprocessConfig(value: unknown): PreprocessConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MobileNetError('INVALID_ARGUMENT', `preprocess config must be an object, got ${describeValue(value)}`);
  }
  const v = value as Record<string, unknown>;
  const config: PreprocessConfig = {
    crop: { height: 0, width: 0 },
    interpolation: 'bilinear',
    divisor: 1,
    mean: [0, 0, 0],
    std: [1, 1, 1],
  };
  if (v.preset !== undefined) {
    if (!PREPROCESS_PRESETS.includes(v.preset as PreprocessPreset)) {
      throw new MobileNetError(
        'INVALID_ARGUMENT',
        `preprocess config: unknown preset ${describeValue(v.preset)}; expected one of ${PREPROCESS_PRESETS.join(', ')}`,
      );
    }
    config.preset = v.preset as PreprocessPreset;
  }
  if (v.resizeShorter !== undefined) config.resizeShorter = checkPositiveInt(v.resizeShorter, 'preprocess config: resizeShorter');
  const crop = v.crop as Record<string, unknown> | undefined;
  if (typeof crop !== 'object' || crop === null) {
    throw new MobileNetError('INVALID_ARGUMENT', `preprocess config: crop must be {height, width}, got ${describeValue(crop)}`);
  }
  config.crop = {
    height: checkPositiveInt(crop.height, 'preprocess config: crop.height'),
    width: checkPositiveInt(crop.width, 'preprocess config: crop.width'),
  };
  if (!INTERPOLATIONS.includes(v.interpolation as Interpolation)) {
    throw new MobileNetError(
      'INVALID_ARGUMENT',
      `preprocess config: interpolation must be one of ${INTERPOLATIONS.join(', ')}, got ${describeValue(v.interpolation)}`,
    );
  }
  config.interpolation = v.interpolation as Interpolation;
  if (v.grayscale !== undefined) {
    if (typeof v.grayscale !== 'boolean') {
      throw new MobileNetError('INVALID_ARGUMENT', `preprocess config: grayscale must be true or false, got ${describeValue(v.grayscale)}`);
    }
    if (v.grayscale) config.grayscale = true;
  }
  if (typeof v.divisor !== 'number' || !Number.isFinite(v.divisor) || v.divisor <= 0) {
    throw new MobileNetError('INVALID_ARGUMENT', `preprocess config: divisor must be a positive number, got ${describeValue(v.divisor)}`);
  }
  config.divisor = v.divisor;
  config.mean = checkRgb(v.mean, 'mean', false);
  config.std = checkRgb(v.std, 'std', true);
  return config;
}

function checkRgbPixels(rgb: Uint8Array, what: string): void {
  if (rgb.length % 3 !== 0) throw new MobileNetError('INVALID_ARGUMENT', `${what}: ${rgb.length} bytes is not a whole number of RGB pixels`);
}

/** PIL's convert('L'): 0.299, 0.587, 0.114 in 16-bit fixed point, rounded. */
function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/** (H, W, 3) RGB → (H, W, 1) gray, as PIL's convert('L'). */
export function rgbToGray(rgb: Uint8Array): Uint8Array {
  checkRgbPixels(rgb, 'rgbToGray');
  const gray = new Uint8Array(rgb.length / 3);
  for (let p = 0, s = 0; p < gray.length; p++, s += 3) gray[p] = luma(rgb[s]!, rgb[s + 1]!, rgb[s + 2]!);
  return gray;
}

/** RGB → gray in place: each pixel's R, G and B become its luma (PIL's convert('L')). */
export function toGrayscale(rgb: Uint8Array): void {
  checkRgbPixels(rgb, 'toGrayscale');
  for (let i = 0; i < rgb.length; i += 3) rgb[i] = rgb[i + 1] = rgb[i + 2] = luma(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!);
}

/**
 * torchvision's `Resize(shorter)` output size: the shorter side becomes `shorter`, the longer one
 * int(shorter·long/short) (truncated, as `_compute_resized_output_size` does). A square image
 * stays square. Ties (height = width) count width as the shorter side, as torchvision does.
 */
export function resizeShorterSize(height: number, width: number, shorter: number): Size {
  checkPositiveInt(height, 'resizeShorterSize: height');
  checkPositiveInt(width, 'resizeShorterSize: width');
  checkPositiveInt(shorter, 'resizeShorterSize: shorter');
  if (width <= height) {
    return { height: Math.trunc((shorter * height) / width), width: shorter };
  }
  return { height: shorter, width: Math.trunc((shorter * width) / height) };
}

/**
 * torchvision's `center_crop` window: offset int(round((size − crop) / 2.0)) per axis. When the crop
 * is larger than the image along an axis, torchvision first pads that axis with zeros
 * ((crop − size) // 2 before, the rest after); the box then starts at minus the leading padding.
 */
export function centerCropBox(height: number, width: number, cropHeight: number, cropWidth: number): CropBox {
  checkPositiveInt(height, 'centerCropBox: height');
  checkPositiveInt(width, 'centerCropBox: width');
  checkPositiveInt(cropHeight, 'centerCropBox: crop height');
  checkPositiveInt(cropWidth, 'centerCropBox: crop width');
  const offset = (size: number, crop: number): number =>
    crop > size ? -Math.floor((crop - size) / 2) : roundHalfEven((size - crop) / 2);
  return { top: offset(height, cropHeight), left: offset(width, cropWidth), height: cropHeight, width: cropWidth };
}

/** The size an image of height × width is resized to before cropping under `config`. */
export function resizedSize(height: number, width: number, config: PreprocessConfig): Size {
  if (config.resizeShorter !== undefined) return resizeShorterSize(height, width, config.resizeShorter);
  return { height: config.crop.height, width: config.crop.width };
}

function checkRgbBuffer(rgb: Uint8Array, height: number, width: number, what: string): void {
  checkPositiveInt(height, `${what}: height`);
  checkPositiveInt(width, `${what}: width`);
  if (!(rgb instanceof Uint8Array)) {
    throw new MobileNetError('INVALID_ARGUMENT', `${what}: expected the pixels as a Uint8Array (H, W, 3)`);
  }
  if (rgb.length !== height * width * 3) {
    throw new MobileNetError(
      'SHAPE_MISMATCH',
      `${what}: the pixel buffer has ${rgb.length} bytes; expected ${height}×${width}×3 = ${height * width * 3} for (H, W, 3) RGB`,
    );
  }
}

/**
 * Cut `box` out of an (H, W, 3) RGB image; pixels of the box that fall outside the image are 0
 * (torchvision pads with 0 before cropping). Returns a new (box.height, box.width, 3) buffer.
 */
export function cropImage(rgb: Uint8Array, height: number, width: number, box: CropBox): Uint8Array {
  checkRgbBuffer(rgb, height, width, 'cropImage');
  checkPositiveInt(box.height, 'cropImage: box height');
  checkPositiveInt(box.width, 'cropImage: box width');
  const out = new Uint8Array(box.height * box.width * 3); // (box.height, box.width, 3)
  const x0 = Math.max(0, box.left);
  const x1 = Math.min(width, box.left + box.width);
  if (x1 <= x0) return out;
  for (let y = 0; y < box.height; y++) {
    const sy = box.top + y;
    if (sy < 0 || sy >= height) continue;
    const src = (sy * width + x0) * 3;
    out.set(rgb.subarray(src, src + (x1 - x0) * 3), (y * box.width + (x0 - box.left)) * 3);
  }
  return out;
}

/**
 * For each channel c and 8-bit value x, the float32 result of ((x / divisor) − mean[c]) / std[c],
 * rounded to float32 after every operation as torchvision (float32 tensors) and Keras (float32
 * arrays) do. Double-precision intermediates rounded once to float32 give the correctly rounded
 * float32 result for each single operation, so the table is bit-exact.
 */
export function normalizationTable(config: Pick<PreprocessConfig, 'divisor' | 'mean' | 'std'>): Float32Array {
  const table = new Float32Array(3 * 256); // (3, 256)
  const f = Math.fround;
  const divisor = f(config.divisor);
  for (let c = 0; c < 3; c++) {
    const mean = f(config.mean[c]!);
    const std = f(config.std[c]!);
    for (let x = 0; x < 256; x++) {
      const scaled = f(x / divisor);
      table[c * 256 + x] = f(f(scaled - mean) / std);
    }
  }
  return table;
}

/**
 * Normalize an (H, W, 3) 8-bit RGB image into float32 (H, W, 3), i.e. one NHWC image:
 * y = (x / divisor − mean) / std per channel. No resizing or cropping happens here (see
 * `cropImage`, `centerCropBox`, and the Node adapter `loadImageTensor`). `out`, when given, must
 * hold exactly H·W·3 floats (pass `batch.subarray(i·n, (i + 1)·n)` to fill a batch).
 */
export function normalizeImage(
  rgb: Uint8Array,
  height: number,
  width: number,
  config: Pick<PreprocessConfig, 'divisor' | 'mean' | 'std'>,
  out?: Float32Array,
): Float32Array {
  checkRgbBuffer(rgb, height, width, 'normalizeImage');
  const n = height * width * 3;
  if (out !== undefined && (!(out instanceof Float32Array) || out.length !== n)) {
    throw new MobileNetError(
      'SHAPE_MISMATCH',
      `normalizeImage: out must be a Float32Array of ${height}×${width}×3 = ${n} floats, got ${out instanceof Float32Array ? `${out.length} floats` : describeValue(out)}`,
    );
  }
  const result = out ?? new Float32Array(n); // (H, W, 3)
  const table = normalizationTable(config);
  for (let i = 0; i < n; i += 3) {
    result[i] = table[rgb[i]!]!;
    result[i + 1] = table[256 + rgb[i + 1]!]!;
    result[i + 2] = table[512 + rgb[i + 2]!]!;
  }
  return result;
}

/** (H, W, 3) → (3, H, W): for runtimes and fixtures in PyTorch's NCHW layout. */
export function hwcToChw(hwc: Float32Array, height: number, width: number): Float32Array {
  const plane = height * width;
  if (hwc.length !== plane * 3) {
    throw new MobileNetError('SHAPE_MISMATCH', `hwcToChw: expected ${height}×${width}×3 = ${plane * 3} floats, got ${hwc.length}`);
  }
  const chw = new Float32Array(plane * 3); // (3, H, W)
  for (let p = 0; p < plane; p++) {
    chw[p] = hwc[p * 3]!;
    chw[plane + p] = hwc[p * 3 + 1]!;
    chw[2 * plane + p] = hwc[p * 3 + 2]!;
  }
  return chw;
}

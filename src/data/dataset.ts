/**
 * Datasets of 8-bit images with class labels (browser-safe).
 *
 * A `Dataset` is random access: `get(i)` returns the i-th image as (H, W, C) uint8 pixels and its
 * class index. Implementations here: `ArrayDataset` (all images in one buffer, e.g. from IDX
 * files), `subsetDataset` (chosen indices of another dataset) and `splitDataset` (a seeded
 * train/validation split). Randomness comes from mulberry32 seeded through `deriveSeed`, so every
 * shuffle is a pure function of its seed.
 */
import { MobileNetError } from '../errors.js';
import { mulberry32 } from '../runtime/weights.js';
import type { IdxImageSet } from './idx.js';

/** The Fashion-MNIST class names, by label (0–9), as the dataset's README lists them. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

export interface Sample {
  /** (H, W, C) uint8. May be a view into the dataset's storage: read it, do not modify it. */
  pixels: Uint8Array;
  /** Class index into `classes`. */
  label: number;
}

export interface Dataset {
  /** Number of samples. */
  readonly size: number;
  /** Class names, by label. */
  readonly classes: readonly string[];
  readonly height: number;
  readonly width: number;
  /** 1 (grayscale) or 3 (RGB). */
  readonly channels: 1 | 3;
  /** The sample at `index` (0 ≤ index < size). */
  get(index: number): Sample;
}

// ---- seeded randomness ----

function mix32(h: number, word: number): number {
  h = Math.imul(h ^ word, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A 32-bit seed derived from a list of non-negative integers (a base seed, an epoch, a position…):
 * equal lists give equal seeds, different lists give unrelated ones.
 */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = mix32(h, part >>> 0);
    h = mix32(h, Math.floor(part / 0x100000000) >>> 0);
  }
  return mix32(h, parts.length);
}

/** Checks that a seed is a non-negative safe integer; returns it. */
export function checkSeed(seed: unknown, what: string): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new MobileNetError('INVALID_ARGUMENT', `${what}: seed must be a non-negative integer, got ${String(seed)}`);
  }
  return seed;
}

/** A permutation of 0 … n−1 (Fisher–Yates driven by mulberry32(seed)). */
export function seededPermutation(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

// ---- implementations ----

function checkIndex(index: number, size: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new MobileNetError('INVALID_ARGUMENT', `${what}: index ${index} is out of range; expected 0 to ${size - 1}`);
  }
}

function checkPositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new MobileNetError('INVALID_ARGUMENT', `${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export interface ArrayDatasetInit {
  /** (N, H, W, C) uint8, row-major. */
  pixels: Uint8Array;
  /** (N) class indices, each < classes.length. */
  labels: ArrayLike<number>;
  height: number;
  width: number;
  channels: 1 | 3;
  classes: readonly string[];
}

/** All images in one (N, H, W, C) buffer; `get` returns views into it (no copies). */
export class ArrayDataset implements Dataset {
  readonly size: number;
  readonly classes: readonly string[];
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  /** (N, H, W, C) */
  readonly pixels: Uint8Array;
  /** (N) */
  readonly labels: Uint8Array | Int32Array;
  private readonly imageBytes: number;

  constructor(init: ArrayDatasetInit) {
    this.height = checkPositiveInt(init.height, 'ArrayDataset: height');
    this.width = checkPositiveInt(init.width, 'ArrayDataset: width');
    if (init.channels !== 1 && init.channels !== 3) {
      throw new MobileNetError('INVALID_ARGUMENT', `ArrayDataset: channels must be 1 or 3, got ${String(init.channels)}`);
    }
    this.channels = init.channels;
    if (!Array.isArray(init.classes) || init.classes.length === 0) {
      throw new MobileNetError('INVALID_ARGUMENT', 'ArrayDataset: classes must be a non-empty list of names');
    }
    this.classes = Object.freeze([...init.classes]);
    this.imageBytes = this.height * this.width * this.channels;
    const size = init.labels.length;
    if (!(init.pixels instanceof Uint8Array) || init.pixels.length !== size * this.imageBytes) {
      throw new MobileNetError(
        'SHAPE_MISMATCH',
        `ArrayDataset: ${size} labels need ${size}×${this.height}×${this.width}×${this.channels} = ${size * this.imageBytes} bytes of pixels, got ${init.pixels instanceof Uint8Array ? init.pixels.length : 'no Uint8Array'}`,
      );
    }
    const labels = init.labels instanceof Uint8Array ? init.labels : Int32Array.from(init.labels);
    for (let i = 0; i < size; i++) {
      const label = labels[i]!;
      if (!Number.isInteger(label) || label < 0 || label >= this.classes.length) {
        throw new MobileNetError(
          'INVALID_ARGUMENT',
          `ArrayDataset: label ${label} at index ${i} is out of range; expected 0 to ${this.classes.length - 1}`,
        );
      }
    }
    this.size = size;
    this.pixels = init.pixels;
    this.labels = labels;
  }

  get(index: number): Sample {
    checkIndex(index, this.size, 'ArrayDataset.get');
    const start = index * this.imageBytes;
    return { pixels: this.pixels.subarray(start, start + this.imageBytes), label: this.labels[index]! };
  }
}

/** A dataset over parsed IDX images and labels (grayscale, (N, rows, cols)). */
export function datasetFromIdx(set: IdxImageSet, classes: readonly string[] = FASHION_MNIST_CLASSES): ArrayDataset {
  return new ArrayDataset({ pixels: set.pixels, labels: set.labels, height: set.rows, width: set.cols, channels: 1, classes });
}

/** The samples of `base` at `indices`, in that order (indices may repeat). */
export function subsetDataset(base: Dataset, indices: ArrayLike<number>): Dataset {
  const own = Int32Array.from(indices);
  for (let i = 0; i < own.length; i++) {
    if (own[i] !== indices[i]) throw new MobileNetError('INVALID_ARGUMENT', `subsetDataset: index ${indices[i]} at position ${i} is not an integer`);
    checkIndex(own[i]!, base.size, 'subsetDataset');
  }
  return {
    size: own.length,
    classes: base.classes,
    height: base.height,
    width: base.width,
    channels: base.channels,
    get(index: number): Sample {
      checkIndex(index, own.length, 'subset get');
      return base.get(own[index]!);
    },
  };
}

export interface SplitOptions {
  /**
   * Split each class separately so that both parts keep the class proportions (each class gives
   * round(count · validationFraction) samples to validation). Default true.
   */
  stratify?: boolean;
}

export interface DatasetSplit {
  train: Dataset;
  validation: Dataset;
  /** Indices into the original dataset, ascending. */
  trainIndices: Int32Array;
  validationIndices: Int32Array;
}

/**
 * A seeded split into disjoint train and validation parts covering the whole dataset. The same
 * (dataset, fraction, seed, options) always gives the same split; both parts keep the original
 * order (the loader shuffles). `validationFraction` is in [0, 1).
 */
export function splitDataset(dataset: Dataset, validationFraction: number, seed: number, options: SplitOptions = {}): DatasetSplit {
  if (typeof validationFraction !== 'number' || !(validationFraction >= 0 && validationFraction < 1)) {
    throw new MobileNetError('INVALID_ARGUMENT', `splitDataset: validationFraction must be in [0, 1), got ${String(validationFraction)}`);
  }
  checkSeed(seed, 'splitDataset');
  const inValidation = new Uint8Array(dataset.size);
  if (options.stratify ?? true) {
    const byClass: number[][] = dataset.classes.map(() => []);
    for (let i = 0; i < dataset.size; i++) byClass[dataset.get(i).label]!.push(i);
    byClass.forEach((members, label) => {
      const order = seededPermutation(members.length, deriveSeed(seed, label));
      const take = Math.round(members.length * validationFraction);
      for (let k = 0; k < take; k++) inValidation[members[order[k]!]!] = 1;
    });
  } else {
    const order = seededPermutation(dataset.size, deriveSeed(seed));
    const take = Math.round(dataset.size * validationFraction);
    for (let k = 0; k < take; k++) inValidation[order[k]!] = 1;
  }
  let validationCount = 0;
  for (let i = 0; i < dataset.size; i++) validationCount += inValidation[i]!;
  const trainIndices = new Int32Array(dataset.size - validationCount);
  const validationIndices = new Int32Array(validationCount);
  let t = 0;
  let v = 0;
  for (let i = 0; i < dataset.size; i++) {
    if (inValidation[i]) validationIndices[v++] = i;
    else trainIndices[t++] = i;
  }
  return {
    train: subsetDataset(dataset, trainIndices),
    validation: subsetDataset(dataset, validationIndices),
    trainIndices,
    validationIndices,
  };
}

/** How many samples each class has: counts[label]. */
export function classCounts(dataset: Dataset): number[] {
  const counts = dataset.classes.map(() => 0);
  for (let i = 0; i < dataset.size; i++) counts[dataset.get(i).label]!++;
  return counts;
}

/**
 * Datasets from disk (Node-only): Fashion-MNIST's IDX files and folders of images.
 *
 * Fashion-MNIST is looked for in `dataDir`, default /usr/share/datasets/fashion-mnist (where
 * Debian's `dataset-fashion-mnist` package installs it); each file may be gzipped
 * (`train-images-idx3-ubyte.gz`) or not (`train-images-idx3-ubyte`). `downloadFashionMnist`
 * fetches the published files, checking their sha256.
 *
 * An image folder has one sub-folder per class (class names = sub-folder names, sorted by code
 * point as Python's sorted() does); JPEG and PNG files in them are decoded with sharp, converted
 * to RGB (or gray) and resized to one size.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MobileNetError } from '../errors.js';
import { ArrayDataset, datasetFromIdx, FASHION_MNIST_CLASSES } from '../data/dataset.js';
import { parseIdxImageSet } from '../data/idx.js';
import { resizeImage } from '../data/resize.js';
import type { Interpolation } from '../data/preprocess.js';
import { decodeImage } from './image.js';
import { errorCode, fsErrorReason } from './fs.js';
import { downloadFile, type DownloadOptions } from './download.js';

export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

export type FashionMnistSplit = 'train' | 'test';

/** File names (without .gz) of each split. */
export const FASHION_MNIST_FILES: Readonly<Record<FashionMnistSplit, { images: string; labels: string }>> = Object.freeze({
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
});

/**
 * sha256 of the published .gz files at FASHION_MNIST_BASE_URL, as two independent public
 * projects list them (the dataset's README publishes only MD5s: 8d4fb7e6…, 25c81989…, bef4ecab…,
 * bb300cfd…); not verified against a download here. Debian's package ships the same IDX data
 * re-compressed (no file name in the gzip header), so its .gz files hash differently.
 */
export const FASHION_MNIST_SHA256: Readonly<Record<string, string>> = Object.freeze({
  'train-images-idx3-ubyte.gz': '08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc',
  'train-labels-idx1-ubyte.gz': 'b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc',
  't10k-images-idx3-ubyte.gz': '78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229',
  't10k-labels-idx1-ubyte.gz': '42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf',
});

function howToGetFashionMnist(dataDir: string): string {
  const urls = Object.values(FASHION_MNIST_FILES)
    .flatMap((f) => [f.images, f.labels])
    .map((name) => `${FASHION_MNIST_BASE_URL}${name}.gz`)
    .join(', ');
  return (
    `install Debian's package (apt install dataset-fashion-mnist, which puts them in ${FASHION_MNIST_DEFAULT_DIR}), ` +
    `call downloadFashionMnist({ dataDir: '${dataDir}' }), or download ${urls} into ${dataDir}`
  );
}

/** The bytes of `<dir>/<name>.gz` or `<dir>/<name>`, and the path that was read; undefined when neither exists. */
async function readEitherFile(dir: string, name: string): Promise<{ path: string; bytes: Uint8Array } | undefined> {
  for (const path of [join(dir, `${name}.gz`), join(dir, name)]) {
    try {
      return { path, bytes: await readFile(path) };
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new MobileNetError('IO_ERROR', `cannot read ${path}: ${fsErrorReason(error)}`, { cause: error });
    }
  }
  return undefined;
}

export interface LoadFashionMnistOptions {
  /** Folder holding the IDX files. Default FASHION_MNIST_DEFAULT_DIR. */
  dataDir?: string;
  split: FashionMnistSplit;
}

/**
 * One split of Fashion-MNIST (60,000 train or 10,000 test images, 28 × 28 gray, 10 classes) as an
 * in-memory dataset. Missing files → IO_ERROR saying where it looked and how to get them; bad
 * files → INVALID_FORMAT naming the file.
 */
export async function loadFashionMnist(options: LoadFashionMnistOptions): Promise<ArrayDataset> {
  const split = options?.split;
  if (split !== 'train' && split !== 'test') {
    throw new MobileNetError('INVALID_ARGUMENT', `loadFashionMnist: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  const dataDir = options.dataDir ?? FASHION_MNIST_DEFAULT_DIR;
  const names = FASHION_MNIST_FILES[split];
  const images = await readEitherFile(dataDir, names.images);
  const labels = await readEitherFile(dataDir, names.labels);
  const missing = [images ? undefined : names.images, labels ? undefined : names.labels].filter((n): n is string => n !== undefined);
  if (missing.length > 0 || !images || !labels) {
    const looked = missing.map((n) => `${join(dataDir, n)}.gz or ${join(dataDir, n)}`).join(', and ');
    throw new MobileNetError(
      'IO_ERROR',
      `Fashion-MNIST ${split} files not found: looked for ${looked}; to get them, ${howToGetFashionMnist(dataDir)}`,
    );
  }
  const set = parseIdxImageSet({
    images: images.bytes,
    labels: labels.bytes,
    imagesName: images.path,
    labelsName: labels.path,
    numClasses: FASHION_MNIST_CLASSES.length,
  });
  return datasetFromIdx(set, FASHION_MNIST_CLASSES);
}

export interface DownloadFashionMnistOptions extends DownloadOptions {
  /** Destination folder (created if needed). */
  dataDir: string;
  /** Which splits; default both. */
  splits?: FashionMnistSplit[];
  /** Download again even when a file is present. Default false. */
  force?: boolean;
}

/**
 * Download the published Fashion-MNIST .gz files into `dataDir` (atomically, sha256-checked);
 * files already present are kept. Returns the paths of the files.
 */
export async function downloadFashionMnist(options: DownloadFashionMnistOptions): Promise<string[]> {
  const { dataDir, splits = ['train', 'test'], force = false, ...download } = options;
  if (typeof dataDir !== 'string' || dataDir === '') {
    throw new MobileNetError('INVALID_ARGUMENT', 'downloadFashionMnist: dataDir must be a folder path');
  }
  const paths: string[] = [];
  for (const split of splits) {
    const files = FASHION_MNIST_FILES[split];
    if (files === undefined) throw new MobileNetError('INVALID_ARGUMENT', `downloadFashionMnist: unknown split ${JSON.stringify(split)}; expected 'train' or 'test'`);
    for (const base of [files.images, files.labels]) {
      const name = `${base}.gz`;
      const path = join(dataDir, name);
      if (!force && (await isFile(path))) {
        paths.push(path);
        continue;
      }
      const result = await downloadFile({ url: `${FASHION_MNIST_BASE_URL}${name}`, path, sha256: FASHION_MNIST_SHA256[name]! }, download);
      paths.push(result.path);
    }
  }
  return paths;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

// ---- image folders ----

const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png']);

export interface LoadImageFolderOptions {
  /** Resize every image to this size (square when a number). Default: the images' own size, which must then be the same for all. */
  size?: number | { height: number; width: number };
  /** Resampling filter; default 'bilinear' (Pillow-exact, see src/data/resize.ts). */
  interpolation?: Interpolation;
  /** 3 (RGB, default) or 1 (gray, ITU-R 601-2 luma as PIL's convert('L')). */
  channels?: 1 | 3;
  /** Skip images that fail to decode, and list them in `skipped`, instead of failing. Default false. */
  skipBad?: boolean;
}

export interface SkippedImage {
  path: string;
  reason: string;
}

/** An image-folder dataset: the file of every sample and the files that were skipped. */
export class ImageFolderDataset extends ArrayDataset {
  /** The file of each sample, in sample order (class by class, files sorted by name). */
  readonly files: readonly string[];
  readonly skipped: readonly SkippedImage[];

  constructor(init: ConstructorParameters<typeof ArrayDataset>[0] & { files: string[]; skipped: SkippedImage[] }) {
    super(init);
    this.files = Object.freeze([...init.files]);
    this.skipped = Object.freeze([...init.skipped]);
  }
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

async function listDir(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const reason = fsErrorReason(error, { ENOENT: 'no such folder', ENOTDIR: 'not a folder' });
    throw new MobileNetError('IO_ERROR', `cannot read the image folder ${dir}: ${reason}`, { cause: error });
  }
}

/** (H, W, 3) → (H, W, 1) with PIL's fixed-point luma (R·19595 + G·38470 + B·7471 + 2^15) >> 16. */
function rgbToGray(rgb: Uint8Array): Uint8Array {
  const gray = new Uint8Array(rgb.length / 3);
  for (let p = 0, s = 0; p < gray.length; p++, s += 3) {
    gray[p] = (rgb[s]! * 19595 + rgb[s + 1]! * 38470 + rgb[s + 2]! * 7471 + 0x8000) >>> 16;
  }
  return gray;
}

/**
 * Load a folder laid out as `<dir>/<class name>/<image>.{jpg,jpeg,png}` into memory. Hidden
 * entries (starting with '.') and other files are ignored. A file that does not decode throws
 * INVALID_FORMAT naming it, or with `skipBad` is left out and listed in `skipped`.
 */
export async function loadImageFolder(dir: string, options: LoadImageFolderOptions = {}): Promise<ImageFolderDataset> {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) {
    throw new MobileNetError('INVALID_ARGUMENT', `loadImageFolder: channels must be 1 or 3, got ${String(channels)}`);
  }
  const interpolation = options.interpolation ?? 'bilinear';
  let size: { height: number; width: number } | undefined;
  if (options.size !== undefined) {
    const s = typeof options.size === 'number' ? { height: options.size, width: options.size } : options.size;
    for (const [value, what] of [
      [s?.height, 'height'],
      [s?.width, 'width'],
    ] as const) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new MobileNetError('INVALID_ARGUMENT', `loadImageFolder: size ${what} must be a positive integer, got ${String(value)}`);
      }
    }
    size = { height: s.height, width: s.width };
  }

  const entries = await listDir(dir);
  const classes = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodePoint);
  if (classes.length === 0) {
    throw new MobileNetError('INVALID_ARGUMENT', `loadImageFolder: ${dir} has no class sub-folders; expected <dir>/<class name>/<image files>`);
  }
  if (classes.length > 256) {
    // Labels are stored as one byte per sample in IDX-style datasets; 256 is also plenty here.
    throw new MobileNetError('UNSUPPORTED', `loadImageFolder: ${dir} has ${classes.length} class folders; at most 256 are supported`);
  }

  const files: string[] = [];
  const labels: number[] = [];
  for (let label = 0; label < classes.length; label++) {
    const classDir = join(dir, classes[label]!);
    const names = (await listDir(classDir))
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.') && IMAGE_EXTENSIONS.has(extensionOf(e.name)))
      .map((e) => e.name)
      .sort(byCodePoint);
    for (const name of names) {
      files.push(join(classDir, name));
      labels.push(label);
    }
  }

  const kept: { path: string; label: number; pixels: Uint8Array }[] = [];
  const skipped: SkippedImage[] = [];
  for (let i = 0; i < files.length; i++) {
    const path = files[i]!;
    let pixels: Uint8Array;
    try {
      const image = await decodeImage(path);
      if (size === undefined) size = { height: image.height, width: image.width };
      const rgb =
        image.height === size.height && image.width === size.width
          ? image.data
          : options.size !== undefined
            ? resizeImage(image.data, image.height, image.width, size.height, size.width, interpolation)
            : undefined;
      if (rgb === undefined) {
        throw new MobileNetError(
          'INVALID_ARGUMENT',
          `loadImageFolder: ${path} is ${image.width}×${image.height} but ${kept.length > 0 ? kept[0]!.path : 'the first image'} is ${size.width}×${size.height}; pass { size } to resize every image to one size`,
        );
      }
      pixels = channels === 3 ? rgb : rgbToGray(rgb);
    } catch (error) {
      if (options.skipBad && error instanceof MobileNetError && error.code === 'INVALID_FORMAT') {
        skipped.push({ path, reason: error.message });
        continue;
      }
      throw error;
    }
    kept.push({ path, label: labels[i]!, pixels });
  }

  const height = size?.height ?? 1;
  const width = size?.width ?? 1;
  const imageBytes = height * width * channels;
  const pixels = new Uint8Array(kept.length * imageBytes); // (N, H, W, C)
  kept.forEach((k, i) => pixels.set(k.pixels, i * imageBytes));
  return new ImageFolderDataset({
    pixels,
    labels: Uint8Array.from(kept, (k) => k.label),
    height,
    width,
    channels,
    classes,
    files: kept.map((k) => k.path),
    skipped,
  });
}

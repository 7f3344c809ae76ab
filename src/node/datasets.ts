/**
 * Fashion-MNIST from disk (Node-only): its IDX files (image folders: image-folder.ts).
 *
 * Fashion-MNIST is looked for in `dataDir`, default /usr/share/datasets/fashion-mnist (where
 * Debian's `dataset-fashion-mnist` package installs it); each file may be gzipped
 * (`train-images-idx3-ubyte.gz`) or not (`train-images-idx3-ubyte`). `downloadFashionMnist`
 * fetches the published files, checking their sha256.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MobileNetError } from '../errors.js';
import { ArrayDataset, datasetFromIdx, FASHION_MNIST_CLASSES } from '../data/dataset.js';
import { parseIdxImageSet } from '../data/idx.js';
import { errorCode, fsErrorReason } from './fs.js';
import { downloadFile, type DownloadOptions } from './download.js';
import { defaultCacheDir } from './cache.js';

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

/** Where `--download` (ensureFashionMnist) puts the files when not given a folder: `<cache>/fashion-mnist`. */
export function fashionMnistCacheDir(cacheDir: string = defaultCacheDir()): string {
  return join(cacheDir, 'fashion-mnist');
}

function howToGetFashionMnist(dataDir: string): string {
  const urls = Object.values(FASHION_MNIST_FILES)
    .flatMap((f) => [f.images, f.labels])
    .map((name) => `${FASHION_MNIST_BASE_URL}${name}.gz`)
    .join(', ');
  return (
    `run mobilenet train/eval with --download (the published files, sha256-checked), ` +
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
  /** Folder holding the IDX files. Default: FASHION_MNIST_DEFAULT_DIR, else fashionMnistCacheDir() if the files are there. */
  dataDir?: string;
  split: FashionMnistSplit;
}

/** Whether `dir` holds a split's two files (gzipped or not). */
async function hasSplit(dir: string, split: FashionMnistSplit): Promise<boolean> {
  const names = FASHION_MNIST_FILES[split];
  for (const name of [names.images, names.labels]) {
    if (!(await isFile(join(dir, `${name}.gz`))) && !(await isFile(join(dir, name)))) return false;
  }
  return true;
}

/** The folder to read without a dataDir: Debian's, or the download cache's when only it has the split. */
async function defaultFashionMnistDir(split: FashionMnistSplit): Promise<string> {
  if (await hasSplit(FASHION_MNIST_DEFAULT_DIR, split)) return FASHION_MNIST_DEFAULT_DIR;
  const cached = fashionMnistCacheDir();
  return (await hasSplit(cached, split)) ? cached : FASHION_MNIST_DEFAULT_DIR;
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
  const dataDir = options.dataDir ?? (await defaultFashionMnistDir(split));
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

export interface EnsureFashionMnistOptions extends DownloadOptions {
  /** The folder to use (files missing there are downloaded into it). Default: Debian's folder if it has the files, else fashionMnistCacheDir(). */
  dataDir?: string;
}

/**
 * A folder holding all of Fashion-MNIST, downloading (sha256-checked, atomically) whatever is
 * missing: what `--download` does. Files already present are used as they are.
 */
export async function ensureFashionMnist(options: EnsureFashionMnistOptions = {}): Promise<string> {
  const { dataDir, ...download } = options;
  if (dataDir === undefined && (await hasSplit(FASHION_MNIST_DEFAULT_DIR, 'train')) && (await hasSplit(FASHION_MNIST_DEFAULT_DIR, 'test'))) {
    return FASHION_MNIST_DEFAULT_DIR;
  }
  const dir = dataDir ?? fashionMnistCacheDir();
  if (!((await hasSplit(dir, 'train')) && (await hasSplit(dir, 'test')))) await downloadFashionMnist({ ...download, dataDir: dir });
  return dir;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

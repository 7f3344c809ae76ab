/**
 * Datasets: in-memory arrays, subsets, seeded splits, Fashion-MNIST from IDX files (the committed
 * sample in data/fashion-mnist-sample) and image folders (a temporary folder of PNGs made with sharp).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { assertRefused, assertRejected, repoRoot, seededRandom } from '../helpers.js';
import {
  ArrayDataset,
  classCounts,
  deriveSeed,
  FASHION_MNIST_CLASSES,
  seededPermutation,
  splitDataset,
  subsetDataset,
  type Dataset,
} from '../../src/data/dataset.js';
import { resizeImage } from '../../src/data/resize.js';
import { decodeImage } from '../../src/node/image.js';
import { downloadFashionMnist, ensureFashionMnist, FASHION_MNIST_FILES, FASHION_MNIST_SHA256, loadFashionMnist } from '../../src/node/datasets.js';
import { loadImageFolder } from '../../src/node/image-folder.js';
import type { FetchLike } from '../../src/node/download.js';

const sampleDir = join(repoRoot, 'data', 'fashion-mnist-sample');

/** n random 4×5 gray images; label i % classes. */
function randomDataset(n: number, classes = 3, seed = 1): ArrayDataset {
  const random = seededRandom(seed);
  const pixels = new Uint8Array(n * 4 * 5).map(() => Math.floor(random() * 256));
  const labels = Array.from({ length: n }, (_, i) => i % classes);
  return new ArrayDataset({ pixels, labels, height: 4, width: 5, channels: 1, classes: Array.from({ length: classes }, (_, c) => `c${c}`) });
}

function allIndices(ds: Dataset, base: ArrayDataset): number[] {
  // Recover original indices through pixel identity (views share the buffer).
  const out: number[] = [];
  for (let i = 0; i < ds.size; i++) out.push(ds.get(i).pixels.byteOffset / (base.height * base.width * base.channels));
  return out;
}

test('FASHION_MNIST_CLASSES lists the ten classes in label order', () => {
  assert.deepEqual(
    [...FASHION_MNIST_CLASSES],
    ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  );
  assert.ok(Object.isFrozen(FASHION_MNIST_CLASSES));
});

test('ArrayDataset returns views of (H, W, C) images and checks its input', () => {
  const ds = randomDataset(7);
  assert.equal(ds.size, 7);
  assert.equal(ds.channels, 1);
  const s = ds.get(3);
  assert.equal(s.label, 0);
  assert.equal(s.pixels.length, 20);
  assert.equal(s.pixels.buffer, ds.pixels.buffer);
  assert.deepEqual(s.pixels, ds.pixels.subarray(60, 80));
  for (const bad of [-1, 7, 1.5, NaN]) assertRefused(() => ds.get(bad), 'INVALID_ARGUMENT', /index/);
  const base = { height: 2, width: 2, channels: 1 as const, classes: ['a', 'b'] };
  assertRefused(() => new ArrayDataset({ ...base, pixels: new Uint8Array(7), labels: [0, 1] }), 'SHAPE_MISMATCH', /2×2×2×1 = 8 bytes/);
  assertRefused(() => new ArrayDataset({ ...base, pixels: new Uint8Array(8), labels: [0, 2] }), 'INVALID_ARGUMENT', /label 2 at index 1/);
  assertRefused(() => new ArrayDataset({ ...base, pixels: new Uint8Array(8), labels: [0, 1], classes: [] }), 'INVALID_ARGUMENT');
  assertRefused(() => new ArrayDataset({ ...base, pixels: new Uint8Array(8), labels: [0, 1], channels: 2 as 1 }), 'INVALID_ARGUMENT');
  const rgb = new ArrayDataset({ ...base, channels: 3, pixels: new Uint8Array(24), labels: [1, 0] });
  assert.equal(rgb.get(1).pixels.length, 12);
});

test('seededPermutation and deriveSeed are deterministic', () => {
  const a = seededPermutation(100, 42);
  assert.deepEqual(a, seededPermutation(100, 42));
  assert.notDeepEqual(a, seededPermutation(100, 43));
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.equal(deriveSeed(1, 2), deriveSeed(1, 2));
  const seeds = new Set([deriveSeed(1, 2), deriveSeed(2, 1), deriveSeed(1, 2, 0), deriveSeed(1), deriveSeed(1, 2 ** 32 + 2), deriveSeed(0)]);
  assert.equal(seeds.size, 6);
  assert.deepEqual(seededPermutation(0, 1), new Int32Array(0));
});

test('subsetDataset picks the given indices in order', () => {
  const ds = randomDataset(10);
  const sub = subsetDataset(ds, [9, 0, 9, 4]);
  assert.equal(sub.size, 4);
  assert.deepEqual(sub.classes, ds.classes);
  assert.deepEqual(allIndices(sub, ds), [9, 0, 9, 4]);
  assert.equal(sub.get(3).label, ds.get(4).label);
  assertRefused(() => sub.get(4), 'INVALID_ARGUMENT');
  assertRefused(() => subsetDataset(ds, [10]), 'INVALID_ARGUMENT', /index 10 is out of range/);
  assertRefused(() => subsetDataset(ds, [1.5]), 'INVALID_ARGUMENT', /not an integer/);
  assertRefused(() => subsetDataset(ds, [-1]), 'INVALID_ARGUMENT');
});

test('splitDataset: deterministic per seed, disjoint, covering, stratified by default', () => {
  const ds = randomDataset(300, 3);
  const a = splitDataset(ds, 0.2, 7);
  const b = splitDataset(ds, 0.2, 7);
  const c = splitDataset(ds, 0.2, 8);
  assert.deepEqual(a.validationIndices, b.validationIndices);
  assert.deepEqual(a.trainIndices, b.trainIndices);
  assert.notDeepEqual(a.validationIndices, c.validationIndices);
  assert.equal(a.validation.size, 60);
  assert.equal(a.train.size, 240);
  const seen = new Set<number>([...a.trainIndices, ...a.validationIndices]);
  assert.equal(seen.size, 300, 'disjoint and covering');
  assert.deepEqual(allIndices(a.validation, ds), [...a.validationIndices]);
  assert.deepEqual(allIndices(a.train, ds), [...a.trainIndices]);
  assert.ok(a.trainIndices.every((v, i) => i === 0 || v > a.trainIndices[i - 1]!), 'original order kept');
  assert.deepEqual(classCounts(a.validation), [20, 20, 20]);
  assert.deepEqual(classCounts(a.train), [80, 80, 80]);

  const flat = splitDataset(ds, 0.2, 7, { stratify: false });
  assert.equal(flat.validation.size, 60);
  assert.deepEqual(flat.validationIndices, splitDataset(ds, 0.2, 7, { stratify: false }).validationIndices);
  assert.equal(new Set([...flat.trainIndices, ...flat.validationIndices]).size, 300);

  const none = splitDataset(ds, 0, 1);
  assert.equal(none.validation.size, 0);
  assert.equal(none.train.size, 300);
  for (const bad of [1, -0.1, NaN, 2]) assertRefused(() => splitDataset(ds, bad, 1), 'INVALID_ARGUMENT', /validationFraction/);
  for (const bad of [-1, 1.5]) assertRefused(() => splitDataset(ds, 0.1, bad), 'INVALID_ARGUMENT', /seed/);
});

test('loadFashionMnist reads the committed sample (same file names and format as the real dataset)', async () => {
  const train = await loadFashionMnist({ dataDir: sampleDir, split: 'train' });
  const testSet = await loadFashionMnist({ dataDir: sampleDir, split: 'test' });
  assert.equal(train.size, 1000);
  assert.equal(testSet.size, 500);
  assert.equal(train.height, 28);
  assert.equal(train.width, 28);
  assert.equal(train.channels, 1);
  assert.deepEqual(train.classes, FASHION_MNIST_CLASSES);
  assert.deepEqual(classCounts(train), new Array(10).fill(100));
  assert.deepEqual(classCounts(testSet), new Array(10).fill(50));
  // A 10% stratified validation split of the sample: 10 per class.
  const split = splitDataset(train, 0.1, 0);
  assert.deepEqual(classCounts(split.validation), new Array(10).fill(10));
});

test('loadFashionMnist also reads uncompressed files, and explains where to get missing ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-ts-fmnist-'));
  try {
    await assertRejected(
      loadFashionMnist({ dataDir: dir, split: 'test' }),
      'IO_ERROR',
      new RegExp(`looked for ${join(dir, 't10k-images-idx3-ubyte').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.gz or`),
      /apt install dataset-fashion-mnist/,
      /http:\/\/fashion-mnist\.s3-website\.eu-central-1\.amazonaws\.com\/t10k-images-idx3-ubyte\.gz/,
      /downloadFashionMnist/,
      /--download/,
    );
    const { gunzipSync } = await import('node:zlib');
    for (const name of [FASHION_MNIST_FILES.test.images, FASHION_MNIST_FILES.test.labels]) {
      writeFileSync(join(dir, name), gunzipSync(readFileSync(join(sampleDir, `${name}.gz`))));
    }
    const ds = await loadFashionMnist({ dataDir: dir, split: 'test' });
    assert.equal(ds.size, 500);
    // Only the labels missing: the message names just that file.
    rmSync(join(dir, FASHION_MNIST_FILES.test.labels));
    await assertRejected(loadFashionMnist({ dataDir: dir, split: 'test' }), 'IO_ERROR', /t10k-labels-idx1-ubyte/);
    // A corrupt file: INVALID_FORMAT naming it.
    writeFileSync(join(dir, `${FASHION_MNIST_FILES.test.labels}.gz`), Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    await assertRejected(loadFashionMnist({ dataDir: dir, split: 'test' }), 'INVALID_FORMAT', /t10k-labels-idx1-ubyte\.gz: bad gzip data/);
    await assertRejected(loadFashionMnist({ dataDir: dir, split: 'valid' as 'test' }), 'INVALID_ARGUMENT', /split/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the example PNGs are 28×28 gray test images of the class in their name', async () => {
  const testSet = await loadFashionMnist({ dataDir: sampleDir, split: 'test' });
  const seen = new Array<number>(10).fill(0);
  const firstTwo = new Map<string, number>();
  for (let i = 0; i < testSet.size; i++) {
    const { label } = testSet.get(i);
    if (seen[label]! < 2) firstTwo.set(`${String(label + 10 * seen[label]!++).padStart(2, '0')}`, i);
  }
  for (let n = 0; n < 20; n++) {
    const label = n % 10;
    const slug = FASHION_MNIST_CLASSES[label]!.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const file = join(repoRoot, 'examples', `${String(n).padStart(2, '0')}-${slug}.png`);
    const meta = await sharp(file).metadata();
    assert.equal(meta.channels, 1, file);
    const decoded = await decodeImage(file);
    assert.equal(decoded.width, 28);
    assert.equal(decoded.height, 28);
    const sample = testSet.get(firstTwo.get(String(n).padStart(2, '0'))!);
    assert.equal(sample.label, label);
    const gray = decoded.data.filter((_, i) => i % 3 === 0);
    assert.deepEqual(gray, sample.pixels, file);
  }
  assert.equal(readFileSync(join(repoRoot, 'examples', '03-dress.png')).subarray(1, 4).toString(), 'PNG');
});

test('loadImageFolder: classes from sorted sub-folders, resizing, gray, corrupt files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-ts-folder-'));
  try {
    const random = seededRandom(3);
    const makePng = async (path: string, width: number, height: number): Promise<Uint8Array> => {
      const rgb = new Uint8Array(width * height * 3).map(() => Math.floor(random() * 256));
      await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toFile(path);
      return rgb;
    };
    mkdirSync(join(dir, 'cat'));
    mkdirSync(join(dir, 'Dog'));
    mkdirSync(join(dir, 'bird'));
    mkdirSync(join(dir, '.hidden'));
    const dog = await makePng(join(dir, 'Dog', 'a.png'), 6, 4);
    const cat1 = await makePng(join(dir, 'cat', 'b.PNG'), 6, 4);
    const cat0 = await makePng(join(dir, 'cat', 'a.png'), 6, 4);
    const jpeg = new Uint8Array(6 * 4 * 3).fill(128);
    await sharp(jpeg, { raw: { width: 6, height: 4, channels: 3 } }).jpeg().toFile(join(dir, 'bird', 'x.jpg'));
    await makePng(join(dir, '.hidden', 'z.png'), 6, 4);
    writeFileSync(join(dir, 'cat', 'notes.txt'), 'not an image');
    writeFileSync(join(dir, 'cat', '.DS_Store'), 'junk');
    writeFileSync(join(dir, 'README.md'), 'top-level file');

    const ds = await loadImageFolder(dir);
    // Code-point order: uppercase first.
    assert.deepEqual(ds.classes, ['Dog', 'bird', 'cat']);
    assert.equal(ds.size, 4);
    assert.equal(ds.height, 4);
    assert.equal(ds.width, 6);
    assert.equal(ds.channels, 3);
    assert.deepEqual(ds.files.map((f) => f.slice(dir.length + 1)), [join('Dog', 'a.png'), join('bird', 'x.jpg'), join('cat', 'a.png'), join('cat', 'b.PNG')]);
    assert.deepEqual([0, 1, 2, 3].map((i) => ds.get(i).label), [0, 1, 2, 2]);
    assert.deepEqual(ds.get(0).pixels, dog);
    assert.deepEqual(ds.get(2).pixels, cat0);
    assert.deepEqual(ds.get(3).pixels, cat1);
    assert.equal(ds.skipped.length, 0);

    const resized = await loadImageFolder(dir, { size: 8 });
    assert.equal(resized.height, 8);
    assert.equal(resized.width, 8);
    assert.deepEqual(resized.get(0).pixels, resizeImage(dog, 4, 6, 8, 8, 'bilinear'));
    const rect = await loadImageFolder(dir, { size: { height: 3, width: 5 }, interpolation: 'nearest' });
    assert.deepEqual(rect.get(2).pixels, resizeImage(cat0, 4, 6, 3, 5, 'nearest'));

    const gray = await loadImageFolder(dir, { channels: 1 });
    assert.equal(gray.channels, 1);
    const g = gray.get(0).pixels;
    assert.equal(g.length, 24);
    assert.equal(g[0], (dog[0]! * 19595 + dog[1]! * 38470 + dog[2]! * 7471 + 0x8000) >>> 16);

    // A different size without { size }: refused, naming both files.
    await makePng(join(dir, 'cat', 'c.png'), 5, 5);
    await assertRejected(loadImageFolder(dir), 'INVALID_ARGUMENT', /c\.png is 5×5 but .*a\.png is 6×4; pass \{ size \}/);
    rmSync(join(dir, 'cat', 'c.png'));

    // A corrupt file: fail naming it, or skip and count it.
    const bad = join(dir, 'cat', 'broken.png');
    const good = readFileSync(join(dir, 'cat', 'a.png'));
    writeFileSync(bad, good.subarray(0, 40));
    await assertRejected(loadImageFolder(dir, { size: 8 }), 'INVALID_FORMAT', new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not an image`));
    const skipping = await loadImageFolder(dir, { size: 8, skipBad: true });
    assert.equal(skipping.size, 4);
    assert.equal(skipping.skipped.length, 1);
    assert.equal(skipping.skipped[0]!.path, bad);
    assert.match(skipping.skipped[0]!.reason, /not an image/);
    assert.ok(!skipping.files.includes(bad));
    assert.deepEqual(classCounts(skipping), [1, 1, 2]);

    await assertRejected(loadImageFolder(join(dir, 'nope')), 'IO_ERROR', /cannot read the image folder .*nope: no such folder/);
    const empty = mkdtempSync(join(tmpdir(), 'mobilenet-ts-empty-'));
    await assertRejected(loadImageFolder(empty), 'INVALID_ARGUMENT', /no class sub-folders/);
    rmSync(empty, { recursive: true });
    await assertRejected(loadImageFolder(dir, { size: 0 }), 'INVALID_ARGUMENT', /size/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('downloadFashionMnist checks the published sha256 and keeps files already present (no network: injected fetch)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-ts-fmnist-dl-'));
  try {
    const calls: string[] = [];
    const fakeFetch: FetchLike = async (url) => {
      calls.push(url);
      return new Response(readFileSync(join(sampleDir, 't10k-labels-idx1-ubyte.gz')));
    };
    // The sample's bytes are not the published file: the hash check refuses them and leaves nothing behind.
    await assertRejected(
      downloadFashionMnist({ dataDir: dir, splits: ['test'], fetchImpl: fakeFetch, handleSignals: false }),
      'NETWORK_ERROR',
      /t10k-images-idx3-ubyte\.gz: hash mismatch: expected sha256 78dcbbfb5a27efaf/,
    );
    assert.deepEqual(calls, ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz']);
    assert.deepEqual(readdirSync(dir), []);
    // Files already there are not fetched again.
    for (const name of [FASHION_MNIST_FILES.test.images, FASHION_MNIST_FILES.test.labels]) {
      writeFileSync(join(dir, `${name}.gz`), readFileSync(join(sampleDir, `${name}.gz`)));
    }
    calls.length = 0;
    const paths = await downloadFashionMnist({ dataDir: dir, splits: ['test'], fetchImpl: fakeFetch, handleSignals: false });
    assert.deepEqual(paths, [join(dir, 't10k-images-idx3-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz')]);
    assert.deepEqual(calls, []);
    assert.equal(Object.keys(FASHION_MNIST_SHA256).length, 4);
    assert.ok(Object.values(FASHION_MNIST_SHA256).every((h) => /^[0-9a-f]{64}$/.test(h)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ensureFashionMnist (--download) uses a folder that has every file, and fetches (sha256-checked) only what is missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-ts-fmnist-ensure-'));
  try {
    const calls: string[] = [];
    const fakeFetch: FetchLike = async (url) => {
      calls.push(url);
      return new Response(new Uint8Array(16));
    };
    for (const name of [FASHION_MNIST_FILES.test.images, FASHION_MNIST_FILES.test.labels]) {
      writeFileSync(join(dir, `${name}.gz`), readFileSync(join(sampleDir, `${name}.gz`)));
    }
    // The training files are missing: fetched from the published URL, and refused for their hash.
    await assertRejected(
      ensureFashionMnist({ dataDir: dir, fetchImpl: fakeFetch, handleSignals: false }),
      'NETWORK_ERROR',
      /train-images-idx3-ubyte\.gz: hash mismatch/,
    );
    assert.deepEqual(calls, ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz']);
    assert.deepEqual(readdirSync(dir).sort(), ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
    // Offline (MOBILENET_OFFLINE, or offline: true): refused before any fetch.
    calls.length = 0;
    await assertRejected(ensureFashionMnist({ dataDir: dir, fetchImpl: fakeFetch, handleSignals: false, offline: true }), 'NETWORK_ERROR', /offline \(MOBILENET_OFFLINE is set\)/);
    assert.deepEqual(calls, []);
    // Every file there (gzipped or not): the folder is used as it is, nothing fetched.
    const { gunzipSync } = await import('node:zlib');
    for (const name of [FASHION_MNIST_FILES.train.images, FASHION_MNIST_FILES.train.labels]) {
      writeFileSync(join(dir, name), gunzipSync(readFileSync(join(sampleDir, `${name}.gz`))));
    }
    calls.length = 0;
    assert.equal(await ensureFashionMnist({ dataDir: dir, fetchImpl: fakeFetch, handleSignals: false }), dir);
    assert.deepEqual(calls, []);
    assert.equal((await loadFashionMnist({ dataDir: dir, split: 'train' })).size, 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * IDX reading: the committed Fashion-MNIST sample (data/fashion-mnist-sample, made by
 * tools/make_samples.mjs), a hand-built tiny file, gzip handling and every refusal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync as zlibGzip, gunzipSync as zlibGunzip } from 'node:zlib';
import { assertRefused, repoRoot } from '../helpers.js';
import {
  crc32,
  encodeIdxImages,
  encodeIdxLabels,
  gunzipChecked,
  gzipDeterministic,
  isGzip,
  maybeGunzip,
  parseIdxImages,
  parseIdxImageSet,
  parseIdxLabels,
} from '../../src/data/idx.js';

const sampleDir = join(repoRoot, 'data', 'fashion-mnist-sample');
const sampleFile = (name: string): Uint8Array => readFileSync(join(sampleDir, name));

function perClass(labels: Uint8Array, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label]!++;
  return counts;
}

// Two 2×3 images and their labels, byte by byte as the IDX format defines them.
const TINY_PIXELS = [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255];
const TINY_IMAGES = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, ...TINY_PIXELS]);
const TINY_LABELS = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]);

test('the committed sample: 1,000 train and 500 test images, 28×28, balanced classes', () => {
  for (const [split, prefix, count, each] of [
    ['train', 'train', 1000, 100],
    ['test', 't10k', 500, 50],
  ] as const) {
    const set = parseIdxImageSet({
      images: sampleFile(`${prefix}-images-idx3-ubyte.gz`),
      labels: sampleFile(`${prefix}-labels-idx1-ubyte.gz`),
      imagesName: `${prefix}-images`,
      labelsName: `${prefix}-labels`,
      numClasses: 10,
    });
    assert.equal(set.count, count, split);
    assert.equal(set.rows, 28);
    assert.equal(set.cols, 28);
    assert.equal(set.pixels.length, count * 28 * 28);
    assert.equal(set.labels.length, count);
    assert.deepEqual(perClass(set.labels), new Array(10).fill(each), split);
    // Real images: not blank, using the whole 8-bit range.
    let max = 0;
    for (const v of set.pixels) if (v > max) max = v;
    assert.equal(max, 255);
  }
  const indices = JSON.parse(readFileSync(join(sampleDir, 'sample-indices.json'), 'utf8')) as { train: number[]; test: number[] };
  assert.equal(indices.train.length, 1000);
  assert.equal(indices.test.length, 500);
  assert.ok(indices.train.every((v, i) => i === 0 || v > indices.train[i - 1]!), 'train indices ascending (file order)');
  assert.ok(indices.test.every((v) => v < 10000));
});

test('the sample decompresses to what zlib gives and re-encodes to the same IDX bytes', () => {
  const gz = sampleFile('t10k-images-idx3-ubyte.gz');
  const raw = new Uint8Array(zlibGunzip(gz));
  assert.deepEqual(gunzipChecked(gz, 'x'), raw);
  const images = parseIdxImages(gz, 't10k');
  assert.deepEqual(encodeIdxImages(images.pixels, images.count, images.rows, images.cols), raw);
  // Uncompressed input gives the same result.
  assert.deepEqual(parseIdxImages(raw, 'raw'), images);
});

test('a hand-built tiny IDX pair parses, raw and gzipped', () => {
  for (const [images, labels] of [
    [TINY_IMAGES, TINY_LABELS],
    [gzipDeterministic(TINY_IMAGES), gzipDeterministic(TINY_LABELS)],
    [new Uint8Array(zlibGzip(TINY_IMAGES)), new Uint8Array(zlibGzip(TINY_LABELS))],
  ]) {
    const parsed = parseIdxImages(images!, 'tiny-images');
    assert.equal(parsed.count, 2);
    assert.equal(parsed.rows, 2);
    assert.equal(parsed.cols, 3);
    assert.deepEqual([...parsed.pixels], TINY_PIXELS);
    const l = parseIdxLabels(labels!, 'tiny-labels', { numClasses: 10 });
    assert.equal(l.count, 2);
    assert.deepEqual([...l.labels], [7, 3]);
    const set = parseIdxImageSet({ images: images!, labels: labels!, numClasses: 8 });
    assert.deepEqual([...set.labels], [7, 3]);
  }
  assert.deepEqual(encodeIdxImages(Uint8Array.from(TINY_PIXELS), 2, 2, 3), TINY_IMAGES);
  assert.deepEqual(encodeIdxLabels(Uint8Array.from([7, 3])), TINY_LABELS);
  // A raw input is copied, not aliased.
  const copy = TINY_IMAGES.slice();
  const parsed = parseIdxImages(copy);
  copy[16] = 99;
  assert.equal(parsed.pixels[0], 0);
});

test('zero images is a valid file', () => {
  const empty = encodeIdxImages(new Uint8Array(0), 0, 28, 28);
  assert.equal(parseIdxImages(empty).count, 0);
  assert.equal(parseIdxLabels(encodeIdxLabels(new Uint8Array(0))).count, 0);
});

test('gzip helpers: magic detection, CRC-32, gzip header fields', () => {
  assert.equal(isGzip(Uint8Array.from([0x1f, 0x8b])), true);
  assert.equal(isGzip(Uint8Array.from([0x1f])), false);
  assert.equal(isGzip(TINY_IMAGES), false);
  assert.equal(maybeGunzip(TINY_IMAGES), TINY_IMAGES);
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  // The published files carry the original file name (FNAME) in the header.
  const plain = gzipDeterministic(TINY_IMAGES);
  const name = new TextEncoder().encode('tiny-idx3-ubyte\0');
  const named = new Uint8Array(plain.length + name.length);
  named.set(plain.subarray(0, 10));
  named[3] = 0x08;
  named.set(name, 10);
  named.set(plain.subarray(10), 10 + name.length);
  assert.deepEqual(new Uint8Array(zlibGunzip(named)), TINY_IMAGES);
  assert.deepEqual(parseIdxImages(named, 'named').pixels, Uint8Array.from(TINY_PIXELS));
  // gzipDeterministic really is deterministic.
  assert.deepEqual(gzipDeterministic(TINY_IMAGES), plain);
});

test('truncated files at every cut point are refused, naming the file', () => {
  for (let cut = 0; cut < TINY_IMAGES.length; cut++) {
    assertRefused(() => parseIdxImages(TINY_IMAGES.subarray(0, cut), 'cut-images.idx'), 'INVALID_FORMAT', /^cut-images\.idx: /);
  }
  for (let cut = 0; cut < TINY_LABELS.length; cut++) {
    assertRefused(() => parseIdxLabels(TINY_LABELS.subarray(0, cut), 'cut-labels.idx'), 'INVALID_FORMAT', /^cut-labels\.idx: /);
  }
  const gz = gzipDeterministic(TINY_IMAGES);
  for (let cut = 0; cut < gz.length; cut++) {
    // cut 0 is not gzip any more, so it is refused as IDX; every other cut as gzip.
    assertRefused(() => parseIdxImages(gz.subarray(0, cut), 'cut.gz'), 'INVALID_FORMAT', /^cut\.gz: /);
  }
  // The real sample, cut at many points (including inside the deflate data and the trailer).
  const sample = sampleFile('train-images-idx3-ubyte.gz');
  const cuts = [1, 2, 5, 9, 10, 11, 20, 100, 1000, 65536, 200_000, sample.length - 9, sample.length - 8, sample.length - 5, sample.length - 4, sample.length - 1];
  for (const cut of cuts) {
    assertRefused(() => parseIdxImages(sample.subarray(0, cut), 'train-images-idx3-ubyte.gz'), 'INVALID_FORMAT', /^train-images-idx3-ubyte\.gz: /);
  }
  // Raw IDX data shorter than its header says.
  const raw = new Uint8Array(zlibGunzip(sample));
  for (const cut of [16, 17, 784, raw.length - 1]) {
    assertRefused(() => parseIdxImages(raw.subarray(0, cut), 'raw.idx'), 'INVALID_FORMAT', /raw\.idx: truncated IDX data: the header says 1000 × 28 × 28/);
  }
});

test('wrong magic numbers and element types are refused', () => {
  assertRefused(() => parseIdxImages(TINY_LABELS, 'labels-as-images'), 'INVALID_FORMAT', /labels-as-images: not an IDX images file: magic 0x00000801 \(IDX labels\), expected 0x00000803/);
  assertRefused(() => parseIdxLabels(TINY_IMAGES, 'images-as-labels'), 'INVALID_FORMAT', /images-as-labels: not an IDX labels file: magic 0x00000803 \(IDX images\), expected 0x00000801/);
  const wrong = TINY_IMAGES.slice();
  wrong[0] = 1;
  assertRefused(() => parseIdxImages(wrong, 'w1'), 'INVALID_FORMAT', /w1: not an IDX images file: magic 0x01000803/);
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assertRefused(() => parseIdxImages(png, 'picture.png'), 'INVALID_FORMAT', /picture\.png: not an IDX images file/);
  const fourDims = TINY_IMAGES.slice();
  fourDims[3] = 4;
  assertRefused(() => parseIdxImages(fourDims, 'w2'), 'INVALID_FORMAT', /w2: .*expected 0x00000803/);
  const float = TINY_IMAGES.slice();
  float[2] = 0x0d;
  assertRefused(() => parseIdxImages(float, 'w3'), 'INVALID_FORMAT', /w3: /);
  // Also when gzipped: the error names the file.
  assertRefused(() => parseIdxImages(gzipDeterministic(TINY_LABELS), 'gz-labels.gz'), 'INVALID_FORMAT', /gz-labels\.gz: not an IDX images file/);
});

test('header sizes that disagree with the file are refused', () => {
  const extra = new Uint8Array(TINY_IMAGES.length + 1);
  extra.set(TINY_IMAGES);
  assertRefused(() => parseIdxImages(extra, 'extra.idx'), 'INVALID_FORMAT', /extra\.idx: IDX size mismatch: the header says 2 × 2 × 3 = 12 bytes of data, the file holds 13 \(1 extra bytes\)/);
  const bigCount = TINY_IMAGES.slice();
  bigCount[7] = 3;
  assertRefused(() => parseIdxImages(bigCount, 'count.idx'), 'INVALID_FORMAT', /count\.idx: truncated IDX data: the header says 3 × 2 × 3 = 18 bytes/);
  const huge = TINY_IMAGES.slice();
  huge.set([0xff, 0xff, 0xff, 0xff], 4);
  assertRefused(() => parseIdxImages(huge, 'huge.idx'), 'INVALID_FORMAT', /huge\.idx: truncated IDX data/);
  const zeroRows = encodeIdxImages(new Uint8Array(0), 2, 0, 3);
  assertRefused(() => parseIdxImages(zeroRows, 'zero.idx'), 'INVALID_FORMAT', /zero\.idx: IDX images of size 0 × 3/);
  const labelsExtra = Uint8Array.from([...TINY_LABELS, 1]);
  assertRefused(() => parseIdxLabels(labelsExtra, 'l.idx'), 'INVALID_FORMAT', /l\.idx: IDX size mismatch/);
});

test('labels and images that disagree are refused', () => {
  const threeLabels = encodeIdxLabels(Uint8Array.from([1, 2, 3]));
  assertRefused(
    () => parseIdxImageSet({ images: TINY_IMAGES, labels: threeLabels, imagesName: 'a-images', labelsName: 'a-labels', numClasses: 10 }),
    'INVALID_FORMAT',
    /a-labels: 3 labels for 2 images in a-images/,
  );
  assertRefused(
    () => parseIdxImageSet({ images: TINY_IMAGES, labels: TINY_LABELS, imagesName: 'b-images', labelsName: 'b-labels', numClasses: 7 }),
    'INVALID_FORMAT',
    /b-labels: label 7 at index 0 is out of range: expected 0 to 6 \(7 classes\)/,
  );
  assertRefused(() => parseIdxLabels(TINY_LABELS, 'c-labels', { numClasses: 5 }), 'INVALID_FORMAT', /c-labels: label 7/);
  assertRefused(() => parseIdxImageSet({ images: TINY_IMAGES, labels: TINY_LABELS, numClasses: 0 }), 'INVALID_ARGUMENT');
});

test('bad gzip data is refused, naming the file', () => {
  const gz = gzipDeterministic(TINY_IMAGES);
  const name = 'bad.gz';
  const corrupt = (edit: (b: Uint8Array) => void): Uint8Array => {
    const b = gz.slice();
    edit(b);
    return b;
  };
  // Wrong compression method, reserved flags.
  assertRefused(() => parseIdxImages(corrupt((b) => (b[2] = 7)), name), 'INVALID_FORMAT', /bad\.gz: bad gzip data: compression method 7/);
  assertRefused(() => parseIdxImages(corrupt((b) => (b[3] = 0x80)), name), 'INVALID_FORMAT', /bad\.gz: bad gzip data: reserved header flags/);
  // Only the magic.
  assertRefused(() => parseIdxImages(Uint8Array.from([0x1f, 0x8b]), name), 'INVALID_FORMAT', /bad\.gz: bad gzip data: the gzip header is truncated/);
  // A wrong CRC or length in the trailer.
  assertRefused(() => parseIdxImages(corrupt((b) => (b[b.length - 8]! ^= 1)), name), 'INVALID_FORMAT', /bad\.gz: bad gzip data: CRC-32/);
  assertRefused(() => parseIdxImages(corrupt((b) => (b[b.length - 4]! += 1)), name), 'INVALID_FORMAT', /bad\.gz: bad gzip data: decompressed to 28 bytes, the trailer states 29/);
  assertRefused(() => parseIdxImages(corrupt((b) => (b[b.length - 4]! -= 1)), name), 'INVALID_FORMAT', /bad\.gz: bad gzip data: decompresses to more than/);
  // A trailer claiming far more data than deflate could produce from this input: refused before allocating.
  assertRefused(() => parseIdxImages(corrupt((b) => b.set([0xff, 0xff, 0xff, 0xff], b.length - 4)), name), 'INVALID_FORMAT', /bad\.gz: bad gzip data: the trailer states 4294967295 decompressed bytes, impossible/);
  // Flipped bits in the deflate data: either the inflater or the CRC catches them.
  const sample = sampleFile('t10k-labels-idx1-ubyte.gz');
  for (let i = 10; i < sample.length - 8; i += 7) {
    const b = sample.slice();
    b[i]! ^= 0x5a;
    assertRefused(() => parseIdxLabels(b, 't10k-labels-idx1-ubyte.gz'), 'INVALID_FORMAT', /^t10k-labels-idx1-ubyte\.gz: /);
  }
  // Random bytes after a gzip magic.
  const noise = new Uint8Array(64).map((_, i) => (i * 97 + 13) & 0xff);
  noise.set([0x1f, 0x8b, 8, 0]);
  assertRefused(() => parseIdxImages(noise, 'noise.gz'), 'INVALID_FORMAT', /noise\.gz: bad gzip data/);
  assertRefused(() => gunzipChecked(TINY_IMAGES, 'plain'), 'INVALID_FORMAT', /plain: not gzip data/);
});

test('encoders refuse inconsistent input', () => {
  assertRefused(() => encodeIdxImages(new Uint8Array(5), 1, 2, 3), 'SHAPE_MISMATCH');
  assertRefused(() => encodeIdxImages(new Uint8Array(0), -1, 2, 3), 'INVALID_ARGUMENT');
});

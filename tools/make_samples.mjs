#!/usr/bin/env node
/**
 * Writes the small Fashion-MNIST sample that tests and the smoke training run use, and the example
 * PNGs of the README, from the real Fashion-MNIST on this machine:
 *
 *   data/fashion-mnist-sample/
 *     train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz   1,000 images: the first 100 of each class
 *     t10k-images-idx3-ubyte.gz,  t10k-labels-idx1-ubyte.gz    500 images: the first 50 of each class
 *     sample-indices.json                                      which original images were taken
 *   examples/NN-<class>.png                                    20 test images, 2 per class, 28×28 gray PNG
 *
 * Images keep their file order. Example NN-… is the first test image of class NN for NN < 10 and
 * the second of class NN − 10 otherwise (so NN mod 10 is the label); every example is also in the
 * sample's test split. The output is byte-for-byte reproducible (gzip with mtime 0, no file name).
 *
 * Usage (after `npx tsc -p .`, since it uses the compiled library):
 *   node tools/make_samples.mjs [--data-dir /usr/share/datasets/fashion-mnist]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'src');
const { loadFashionMnist, FASHION_MNIST_DEFAULT_DIR, FASHION_MNIST_FILES } = await import(join(dist, 'node', 'datasets.js'));
const { encodeIdxImages, encodeIdxLabels, gzipDeterministic } = await import(join(dist, 'data', 'idx.js'));
const { FASHION_MNIST_CLASSES } = await import(join(dist, 'data', 'dataset.js'));
const { measureMeanStd } = await import(join(dist, 'data', 'augment.js'));
const { writeFileAtomic } = await import(join(dist, 'node', 'fs.js'));

const TRAIN_PER_CLASS = 100;
const TEST_PER_CLASS = 50;
const EXAMPLES_PER_CLASS = 2;

const args = process.argv.slice(2);
const dataDirFlag = args.indexOf('--data-dir');
const dataDir = dataDirFlag >= 0 ? args[dataDirFlag + 1] : FASHION_MNIST_DEFAULT_DIR;

const sampleDir = join(root, 'data', 'fashion-mnist-sample');
const examplesDir = join(root, 'examples');
mkdirSync(sampleDir, { recursive: true });
mkdirSync(examplesDir, { recursive: true });

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Indices of the first `perClass` images of each class, in file order. */
function firstPerClass(dataset, perClass) {
  const taken = new Array(dataset.classes.length).fill(0);
  const indices = [];
  for (let i = 0; i < dataset.size; i++) {
    const { label } = dataset.get(i);
    if (taken[label] < perClass) {
      taken[label]++;
      indices.push(i);
    }
  }
  const short = taken.findIndex((n) => n < perClass);
  if (short >= 0) throw new Error(`class ${short} has only ${taken[short]} images; ${perClass} needed`);
  return indices;
}

function writeSplit(dataset, indices, files) {
  const imageBytes = dataset.height * dataset.width;
  const pixels = new Uint8Array(indices.length * imageBytes);
  const labels = new Uint8Array(indices.length);
  indices.forEach((index, i) => {
    const sample = dataset.get(index);
    pixels.set(sample.pixels, i * imageBytes);
    labels[i] = sample.label;
  });
  const written = [];
  for (const [name, raw] of [
    [files.images, encodeIdxImages(pixels, indices.length, dataset.height, dataset.width)],
    [files.labels, encodeIdxLabels(labels)],
  ]) {
    const gz = gzipDeterministic(raw);
    const path = join(sampleDir, `${name}.gz`);
    writeFileAtomic(path, gz);
    written.push({ file: `${name}.gz`, bytes: gz.length, sha256: sha256(gz) });
  }
  return written;
}

const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

const train = await loadFashionMnist({ dataDir, split: 'train' });
const test = await loadFashionMnist({ dataDir, split: 'test' });

const trainIndices = firstPerClass(train, TRAIN_PER_CLASS);
const testIndices = firstPerClass(test, TEST_PER_CLASS);
const files = [...writeSplit(train, trainIndices, FASHION_MNIST_FILES.train), ...writeSplit(test, testIndices, FASHION_MNIST_FILES.test)];
writeFileAtomic(join(sampleDir, 'sample-indices.json'), `${JSON.stringify({ train: trainIndices, test: testIndices })}\n`);

// Examples: the first two test images of each class.
for (const name of readdirSync(examplesDir)) if (/^\d\d-.*\.png$/.test(name)) rmSync(join(examplesDir, name));
const exampleIndices = firstPerClass(test, EXAMPLES_PER_CLASS);
const seen = new Array(FASHION_MNIST_CLASSES.length).fill(0);
const examples = [];
for (const index of exampleIndices) {
  const { pixels, label } = test.get(index);
  const number = label + 10 * seen[label]++;
  const name = `${String(number).padStart(2, '0')}-${slug(FASHION_MNIST_CLASSES[label])}.png`;
  const png = await sharp(Buffer.from(pixels), { raw: { width: test.width, height: test.height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
  writeFileAtomic(join(examplesDir, name), png);
  examples.push({ name, testIndex: index, label, className: FASHION_MNIST_CLASSES[label], bytes: png.length });
}
examples.sort((a, b) => (a.name < b.name ? -1 : 1));

const trainStats = measureMeanStd(train);
const testStats = measureMeanStd(test);
console.log(JSON.stringify({ dataDir, files, examples, trainStats, testStats }, null, 2));

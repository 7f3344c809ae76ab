/**
 * The batch loader: coverage of each epoch, batch sizes, seeded shuffles per (seed, epoch),
 * exact resume from a saved position (with augmentation), buffer reuse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertRefused, repoRoot, seededRandom } from '../helpers.js';
import { createTransform, FASHION_MNIST_STATS } from '../../src/data/augment.js';
import { ArrayDataset, type Dataset } from '../../src/data/dataset.js';
import { DataLoader, type Batch, type LoaderOptions } from '../../src/data/loader.js';
import { loadFashionMnist } from '../../src/node/datasets.js';

/** n 6×6 gray images; image i has pixel 0 = i (so batches reveal which images they hold), label i % 4. */
function numberedDataset(n: number): ArrayDataset {
  const random = seededRandom(n);
  const pixels = new Uint8Array(n * 36).map(() => Math.floor(random() * 256));
  for (let i = 0; i < n; i++) pixels[i * 36] = i;
  return new ArrayDataset({ pixels, labels: Array.from({ length: n }, (_, i) => i % 4), height: 6, width: 6, channels: 1, classes: ['a', 'b', 'c', 'd'] });
}

/** With mean 0 and std 1/255 the normalized value is x itself: read back the image numbers. */
const IDENTITY = { mean: [0], std: [1 / 255] };
function imageNumbers(batch: Batch): number[] {
  const stride = batch.height * batch.width * 3;
  return Array.from({ length: batch.size }, (_, i) => Math.round(batch.images[i * stride]!));
}

function copyBatch(b: Batch): { images: Float32Array; labels: Int32Array; epoch: number; index: number } {
  return { images: b.images.slice(), labels: b.labels.slice(), epoch: b.epoch, index: b.index };
}

test('every epoch visits each sample once, in batches of batchSize with a smaller last one', () => {
  const ds = numberedDataset(23);
  const loader = new DataLoader(ds, { batchSize: 5, transform: IDENTITY, seed: 3 });
  assert.equal(loader.batchesPerEpoch, 5);
  for (let epoch = 0; epoch < 3; epoch++) {
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const batch of loader.epoch()) {
      assert.equal(batch.epoch, epoch);
      sizes.push(batch.size);
      assert.equal(batch.images.length, batch.size * 6 * 6 * 3);
      assert.equal(batch.labels.length, batch.size);
      const numbers = imageNumbers(batch);
      numbers.forEach((n, i) => assert.equal(batch.labels[i], n % 4));
      seen.push(...numbers);
    }
    assert.deepEqual(sizes, [5, 5, 5, 5, 3]);
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i));
    assert.deepEqual(seen, [...loader.epochOrder(epoch)]);
    assert.deepEqual(loader.position, { epoch: epoch + 1, batch: 0 });
  }
});

test('dropLast leaves out the short batch; shuffle: false keeps file order', () => {
  const ds = numberedDataset(23);
  const loader = new DataLoader(ds, { batchSize: 5, transform: IDENTITY, dropLast: true, shuffle: false });
  assert.equal(loader.batchesPerEpoch, 4);
  const seen: number[] = [];
  for (const batch of loader.epoch()) {
    assert.equal(batch.size, 5);
    seen.push(...imageNumbers(batch));
  }
  assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual([...loader.epochOrder(5)], Array.from({ length: 23 }, (_, i) => i));
  assertRefused(() => new DataLoader(numberedDataset(3), { batchSize: 5, transform: IDENTITY, dropLast: true }), 'INVALID_ARGUMENT', /no full batch/);
  const empty = new ArrayDataset({ pixels: new Uint8Array(0), labels: [], height: 6, width: 6, channels: 1, classes: ['a'] });
  assertRefused(() => new DataLoader(empty, { batchSize: 5, transform: IDENTITY }), 'INVALID_ARGUMENT', /empty/);
  for (const bad of [0, 1.5, -2]) assertRefused(() => new DataLoader(ds, { batchSize: bad, transform: IDENTITY }), 'INVALID_ARGUMENT', /batchSize/);
  assertRefused(() => new DataLoader(ds, { batchSize: 2, transform: IDENTITY, seed: -1 }), 'INVALID_ARGUMENT', /seed/);
});

test('the shuffle is a function of (seed, epoch) only', () => {
  const ds = numberedDataset(50);
  const a = new DataLoader(ds, { batchSize: 8, transform: IDENTITY, seed: 11 });
  const b = new DataLoader(ds, { batchSize: 8, transform: IDENTITY, seed: 11 });
  const c = new DataLoader(ds, { batchSize: 8, transform: IDENTITY, seed: 12 });
  // Asked in different orders, the same epochs give the same permutations.
  const a3 = [...a.epochOrder(3)];
  const a0 = [...a.epochOrder(0)];
  assert.deepEqual([...b.epochOrder(0)], a0);
  assert.deepEqual([...b.epochOrder(3)], a3);
  assert.notDeepEqual(a0, a3);
  assert.notDeepEqual([...c.epochOrder(3)], a3);
  // The batch size does not change the order.
  const d = new DataLoader(ds, { batchSize: 3, transform: IDENTITY, seed: 11 });
  assert.deepEqual([...d.epochOrder(3)], a3);
  assertRefused(() => a.epochOrder(-1), 'INVALID_ARGUMENT');
});

test('saving and restoring position resumes exactly, augmentation included', () => {
  const ds = numberedDataset(37);
  const options: LoaderOptions = {
    batchSize: 6,
    seed: 5,
    augment: true,
    transform: { ...FASHION_MNIST_STATS, size: 10, cropPadding: 2, horizontalFlip: true },
  };
  const reference = new DataLoader(ds, options);
  const all: ReturnType<typeof copyBatch>[] = [];
  let saved = reference.position;
  for (let i = 0; i < 3 * reference.batchesPerEpoch; i++) {
    all.push(copyBatch(reference.next()));
    if (i === 9) saved = reference.position; // after batch 2 of epoch 1 (7 batches per epoch)
  }
  assert.deepEqual(saved, { epoch: 1, batch: 3 });
  const resumed = new DataLoader(ds, { ...options, position: saved });
  for (let i = 10; i < all.length; i++) {
    const batch = copyBatch(resumed.next());
    assert.deepEqual(batch, all[i], `batch ${i}`);
  }
  // Random access gives the same batch too.
  const fresh = new DataLoader(ds, options);
  assert.deepEqual(copyBatch(fresh.batch(2, 4)), all[2 * 7 + 4]);
  // Augmentation really happens (the same image differs between epochs), and is off by default.
  const plain = new DataLoader(ds, { ...options, augment: false });
  const t = createTransform(options.transform, ds);
  const first = plain.batch(0, 0);
  const order = plain.epochOrder(0);
  const expected = new Float32Array(t.outputLength);
  t.apply(ds.get(order[0]!).pixels, expected);
  assert.deepEqual(first.images.subarray(0, t.outputLength), expected);
  const augmented = new DataLoader(ds, options).batch(0, 0);
  assert.notDeepEqual(augmented.images.subarray(0, t.outputLength), expected);
});

test('position: validated, and the end of an epoch means the start of the next', () => {
  const ds = numberedDataset(10);
  const loader = new DataLoader(ds, { batchSize: 4, transform: IDENTITY });
  assert.deepEqual(loader.position, { epoch: 0, batch: 0 });
  loader.position = { epoch: 2, batch: 3 };
  assert.deepEqual(loader.position, { epoch: 3, batch: 0 });
  loader.position = { epoch: 4, batch: 2 };
  const last = loader.next();
  assert.equal(last.size, 2);
  assert.equal(last.index, 2);
  assert.deepEqual(loader.position, { epoch: 5, batch: 0 });
  // The position returned is a copy.
  const p = loader.position;
  p.batch = 2;
  assert.deepEqual(loader.position, { epoch: 5, batch: 0 });
  for (const bad of [{ epoch: -1, batch: 0 }, { epoch: 0, batch: 4 }, { epoch: 0.5, batch: 0 }, { epoch: 0, batch: -1 }]) {
    assertRefused(() => (loader.position = bad), 'INVALID_ARGUMENT', /position/);
  }
  assertRefused(() => loader.batch(0, 3), 'INVALID_ARGUMENT', /batch index/);
  // An epoch generator started mid-epoch yields only the rest.
  loader.position = { epoch: 1, batch: 1 };
  assert.deepEqual([...loader.epoch()].map((b) => b.index), [1, 2]);
});

test('batches reuse the loader buffers; images are NHWC with 3 channels', () => {
  const ds = numberedDataset(12);
  const loader = new DataLoader(ds, { batchSize: 4, transform: { ...IDENTITY, size: 8 } });
  const a = loader.next();
  const aImages = a.images;
  const b = loader.next();
  assert.equal(b.images, aImages, 'same buffer');
  assert.equal(b.images.length, 4 * 8 * 8 * 3);
  assert.equal(b.height, 8);
  assert.equal(loader.outputHeight, 8);
  assert.ok(b.labels instanceof Int32Array);
  // Gray input: R = G = B everywhere.
  for (let i = 0; i < b.images.length; i += 3) {
    assert.equal(b.images[i], b.images[i + 1]);
    assert.equal(b.images[i], b.images[i + 2]);
  }
});

test('the committed Fashion-MNIST sample through the loader at 32×32', async () => {
  const train: Dataset = await loadFashionMnist({ dataDir: join(repoRoot, 'data', 'fashion-mnist-sample'), split: 'train' });
  const loader = new DataLoader(train, {
    batchSize: 64,
    seed: 1,
    augment: true,
    dropLast: true,
    transform: { ...FASHION_MNIST_STATS, size: 32, cropPadding: 4, horizontalFlip: true },
  });
  assert.equal(loader.batchesPerEpoch, 15);
  let count = 0;
  let sum = 0;
  const labels = new Array<number>(10).fill(0);
  for (const batch of loader.epoch()) {
    count += batch.size;
    for (const v of batch.images) sum += v;
    for (const l of batch.labels) labels[l]!++;
  }
  assert.equal(count, 960);
  assert.ok(labels.every((n) => n >= 80 && n <= 100), labels.join(','));
  // Normalized with the dataset's statistics, the mean is near 0 (zero padding pulls it lower).
  const mean = sum / (count * 32 * 32 * 3);
  assert.ok(mean > -0.5 && mean < 0.2, `mean ${mean}`);
});

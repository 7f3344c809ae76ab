/**
 * Augmentation and the dataset → MobileNet input geometry: flips, padded crops, gray → RGB,
 * normalization, statistics and the composed per-image transform.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertRefused, repoRoot, seededRandom } from '../helpers.js';
import {
  createTransform,
  FASHION_MNIST_STATS,
  flipHorizontal,
  grayToRgb,
  measureMeanStd,
  normalizeToFloat32,
  padAndCrop,
  randomCrop,
  randomErase,
} from '../../src/data/augment.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { resizeImage } from '../../src/data/resize.js';
import { loadFashionMnist } from '../../src/node/datasets.js';

function randomImage(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return new Uint8Array(length).map(() => 1 + Math.floor(random() * 255)); // never 0, so padding is visible
}

const f = Math.fround;
/** The float32 value of (x / 255 − mean) / std, one rounding per operation. */
const expectedValue = (x: number, mean: number, std: number): number => f(f(f(x / 255) - f(mean)) / f(std));

test('flipHorizontal mirrors columns, and twice is the identity', () => {
  // (2, 3, 1): rows [1 2 3], [4 5 6]
  assert.deepEqual([...flipHorizontal(Uint8Array.from([1, 2, 3, 4, 5, 6]), 2, 3, 1)], [3, 2, 1, 6, 5, 4]);
  // (1, 2, 3): pixels keep their channel order
  assert.deepEqual([...flipHorizontal(Uint8Array.from([1, 2, 3, 4, 5, 6]), 1, 2, 3)], [4, 5, 6, 1, 2, 3]);
  for (const [h, w, c] of [
    [28, 28, 1],
    [7, 5, 3],
    [1, 1, 1],
    [4, 9, 3],
  ] as const) {
    const image = randomImage(h * w * c, h * 100 + w);
    const once = flipHorizontal(image, h, w, c);
    if (w > 1) assert.notDeepEqual(once, image);
    assert.deepEqual(flipHorizontal(once, h, w, c), image);
  }
  assertRefused(() => flipHorizontal(new Uint8Array(5), 2, 3, 1), 'SHAPE_MISMATCH');
});

test('flipHorizontal on float32: the same mirror, values untouched; an NHWC batch flips as one taller image', () => {
  // (1, 2, 2): values that would not survive a trip through bytes
  assert.deepEqual([...flipHorizontal(Float32Array.from([-1.5, 0.25, 1e-7, 3]), 1, 2, 2)], [1e-7, 3, -1.5, 0.25].map(Math.fround));
  const [n, h, w, c] = [3, 5, 4, 3];
  const batch = Float32Array.from(randomImage(n * h * w * c, 11), (v) => v / 7 - 2);
  const flipped = flipHorizontal(batch, n * h, w, c);
  for (let i = 0; i < n; i++) {
    const one = batch.subarray(i * h * w * c, (i + 1) * h * w * c);
    assert.deepEqual(flipped.subarray(i * h * w * c, (i + 1) * h * w * c), flipHorizontal(one, h, w, c), `image ${i}`);
  }
  const out = new Float32Array(batch.length);
  assert.equal(flipHorizontal(batch, n * h, w, c, out), out);
  assertRefused(() => flipHorizontal(batch, n * h, w, c, new Float32Array(5)), 'SHAPE_MISMATCH');
  assertRefused(() => flipHorizontal<Uint8Array | Float32Array>(batch, n * h, w, c, new Uint8Array(batch.length)), 'SHAPE_MISMATCH', /out must be a Float32Array of 180 values/);
});

test('padAndCrop: pad 0 and the centred window are the identity; padding regions are zero', () => {
  const h = 6;
  const w = 5;
  for (const c of [1, 3]) {
    const image = randomImage(h * w * c, c);
    assert.deepEqual(padAndCrop(image, h, w, c, 0, 0, 0), image);
    for (const pad of [1, 2, 4]) assert.deepEqual(padAndCrop(image, h, w, c, pad, pad, pad), image);
    const pad = 2;
    for (let top = 0; top <= 2 * pad; top++) {
      for (let left = 0; left <= 2 * pad; left++) {
        const out = padAndCrop(image, h, w, c, pad, top, left);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const sy = y + top - pad;
            const sx = x + left - pad;
            const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
            for (let k = 0; k < c; k++) {
              const expected = inside ? image[(sy * w + sx) * c + k]! : 0;
              assert.equal(out[(y * w + x) * c + k], expected, `c=${c} top=${top} left=${left} (${y}, ${x}, ${k})`);
            }
          }
        }
      }
    }
  }
  // Padding larger than the image: the far corner window is all zeros.
  const small = randomImage(4, 9);
  assert.deepEqual([...padAndCrop(small, 2, 2, 1, 4, 0, 0)], [0, 0, 0, 0]);
  // The top-left window of a 28×28 image padded by 4: 4 zero rows and 4 zero columns.
  const image = randomImage(28 * 28, 5);
  const out = padAndCrop(image, 28, 28, 1, 4, 0, 0);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = out[y * 28 + x]!;
      if (y < 4 || x < 4) assert.equal(v, 0);
      else assert.equal(v, image[(y - 4) * 28 + (x - 4)]);
    }
  }
  // `out` is reused and fully overwritten.
  const reuse = new Uint8Array(28 * 28).fill(77);
  assert.equal(padAndCrop(image, 28, 28, 1, 4, 8, 8, reuse), reuse);
  assert.equal(reuse[27 * 28 + 27], 0);
  assertRefused(() => padAndCrop(image, 28, 28, 1, 4, 9, 0), 'INVALID_ARGUMENT', /top must be an integer from 0 to 8/);
  assertRefused(() => padAndCrop(image, 28, 28, 1, -1, 0, 0), 'INVALID_ARGUMENT', /padding/);
  assertRefused(() => padAndCrop(image, 28, 28, 1, 0, 1, 0), 'INVALID_ARGUMENT');
});

test('randomCrop is deterministic per seed and reaches every offset', () => {
  const image = randomImage(10 * 10, 11);
  assert.deepEqual(randomCrop(image, 10, 10, 1, 3, seededRandom(5)), randomCrop(image, 10, 10, 1, 3, seededRandom(5)));
  // Offsets drawn: top then left, each floor(r · (2·pad + 1)).
  const random = seededRandom(6);
  const probe = seededRandom(6);
  for (let i = 0; i < 50; i++) {
    const top = Math.floor(probe() * 7);
    const left = Math.floor(probe() * 7);
    assert.deepEqual(randomCrop(image, 10, 10, 1, 3, random), padAndCrop(image, 10, 10, 1, 3, top, left));
  }
  const offsets = new Set<number>();
  const r = seededRandom(1);
  for (let i = 0; i < 500; i++) offsets.add(Math.floor(r() * 9));
  assert.equal(offsets.size, 9);
  assert.deepEqual(randomCrop(image, 10, 10, 1, 0, seededRandom(1)), image);
});

test('grayToRgb repeats the gray value in R, G and B', () => {
  assert.deepEqual([...grayToRgb(Uint8Array.from([0, 7, 255]))], [0, 0, 0, 7, 7, 7, 255, 255, 255]);
  assertRefused(() => grayToRgb(Uint8Array.from([1, 2]), new Uint8Array(5)), 'SHAPE_MISMATCH');
});

test('normalizeToFloat32: (x / 255 − mean) / std in float32, per channel', () => {
  const pixels = Uint8Array.from([0, 1, 73, 128, 254, 255]);
  const out = normalizeToFloat32(pixels, 1, FASHION_MNIST_STATS);
  for (let i = 0; i < pixels.length; i++) assert.equal(out[i], expectedValue(pixels[i]!, 0.286, 0.353));
  assert.ok(Math.abs(out[0]! - -0.286 / 0.353) < 1e-6);
  assert.ok(Math.abs(out[5]! - (1 - 0.286) / 0.353) < 1e-6);
  const rgb = Uint8Array.from([10, 20, 30, 200, 100, 0]);
  const stats = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const y = normalizeToFloat32(rgb, 3, stats);
  for (let i = 0; i < rgb.length; i++) assert.equal(y[i], expectedValue(rgb[i]!, stats.mean[i % 3]!, stats.std[i % 3]!));
  // One value broadcast to three channels.
  const z = normalizeToFloat32(rgb, 3, { mean: [0.5], std: [0.25] });
  assert.equal(z[4], expectedValue(100, 0.5, 0.25));
  assertRefused(() => normalizeToFloat32(pixels, 1, { mean: [0.5], std: [0] }), 'INVALID_ARGUMENT', /positive/);
  assertRefused(() => normalizeToFloat32(pixels, 1, { mean: [0.5, 0.5], std: [1] }), 'INVALID_ARGUMENT');
  assertRefused(() => normalizeToFloat32(pixels, 1, stats), 'INVALID_ARGUMENT', /1-channel/);
  assertRefused(() => normalizeToFloat32(pixels, 3, FASHION_MNIST_STATS, new Float32Array(5)), 'SHAPE_MISMATCH');
});

test('measureMeanStd: exact statistics; the committed sample is close to the full-set values', async () => {
  // Two 1×2 gray images: values 0, 255, 255, 255 → mean 0.75, std sqrt(0.1875).
  const tiny = new ArrayDataset({ pixels: Uint8Array.from([0, 255, 255, 255]), labels: [0, 0], height: 1, width: 2, channels: 1, classes: ['a'] });
  const s = measureMeanStd(tiny);
  assert.equal(s.pixels, 4);
  assert.ok(Math.abs(s.mean[0]! - 0.75) < 1e-12);
  assert.ok(Math.abs(s.std[0]! - Math.sqrt(0.1875)) < 1e-12);
  const rgb = new ArrayDataset({ pixels: Uint8Array.from([0, 51, 255, 0, 51, 0]), labels: [0], height: 1, width: 2, channels: 3, classes: ['a'] });
  const t = measureMeanStd(rgb);
  assert.deepEqual(t.mean.map((v) => Math.round(v * 1000) / 1000), [0, 0.2, 0.5]);
  assert.deepEqual(t.std.map((v) => Math.round(v * 1000) / 1000), [0, 0, 0.5]);
  // The full training set gives 0.28604060 / 0.35302424 (see augment.ts); the 1,000-image sample is close.
  const sample = await loadFashionMnist({ dataDir: join(repoRoot, 'data', 'fashion-mnist-sample'), split: 'train' });
  const m = measureMeanStd(sample);
  assert.ok(Math.abs(m.mean[0]! - 0.286) < 0.01, `sample mean ${m.mean[0]}`);
  assert.ok(Math.abs(m.std[0]! - 0.353) < 0.01, `sample std ${m.std[0]}`);
  assert.deepEqual(FASHION_MNIST_STATS, { mean: [0.286], std: [0.353] });
});

test('createTransform without augmentation: gray → RGB and normalization at the input size', () => {
  const image = randomImage(28 * 28, 2);
  const transform = createTransform({ ...FASHION_MNIST_STATS }, { height: 28, width: 28, channels: 1 });
  assert.equal(transform.outputHeight, 28);
  assert.equal(transform.outputLength, 28 * 28 * 3);
  assert.equal(transform.augments, false);
  const out = transform.apply(image, new Float32Array(transform.outputLength));
  const expected = normalizeToFloat32(grayToRgb(image), 3, FASHION_MNIST_STATS);
  assert.deepEqual(out, expected);
  // A random source changes nothing when no augmentation is configured.
  assert.deepEqual(transform.apply(image, new Float32Array(transform.outputLength), seededRandom(1)), expected);
  assertRefused(() => transform.apply(image, new Float32Array(10)), 'SHAPE_MISMATCH');
  assertRefused(() => transform.apply(new Uint8Array(10), new Float32Array(transform.outputLength)), 'SHAPE_MISMATCH');
});

test('createTransform upscales 28 → 32 / 56 / 96 / 224 with the Pillow-exact bilinear resampler', () => {
  const image = randomImage(28 * 28, 3);
  for (const size of [32, 56, 96, 224]) {
    const transform = createTransform({ ...FASHION_MNIST_STATS, size }, { height: 28, width: 28, channels: 1 });
    assert.equal(transform.outputLength, size * size * 3);
    const out = transform.apply(image, new Float32Array(transform.outputLength));
    const expected = normalizeToFloat32(resizeImage(grayToRgb(image), 28, 28, size, size, 'bilinear'), 3, FASHION_MNIST_STATS);
    assert.deepEqual(out, expected, `size ${size}`);
  }
  const rgbImage = randomImage(10 * 8 * 3, 4);
  const rect = createTransform({ mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.2], size: { height: 12, width: 20 }, interpolation: 'nearest' }, { height: 10, width: 8, channels: 3 });
  assert.deepEqual(
    rect.apply(rgbImage, new Float32Array(rect.outputLength)),
    normalizeToFloat32(resizeImage(rgbImage, 10, 8, 12, 20, 'nearest'), 3, { mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.2] }),
  );
  assertRefused(() => createTransform({ ...FASHION_MNIST_STATS, size: 0 }, { height: 28, width: 28, channels: 1 }), 'INVALID_ARGUMENT');
  assertRefused(() => createTransform({ ...FASHION_MNIST_STATS, cropPadding: -1 }, { height: 28, width: 28, channels: 1 }), 'INVALID_ARGUMENT');
  assertRefused(() => createTransform({ ...FASHION_MNIST_STATS, interpolation: 'lanczos' as 'nearest' }, { height: 28, width: 28, channels: 1 }), 'INVALID_ARGUMENT');
});

test('createTransform with augmentation: seeded, equal to crop → flip → resize → normalize', () => {
  const image = randomImage(28 * 28, 8);
  const config = { ...FASHION_MNIST_STATS, size: 32, cropPadding: 4, horizontalFlip: true };
  const transform = createTransform(config, { height: 28, width: 28, channels: 1 });
  assert.equal(transform.augments, true);
  const run = (seed: number): Float32Array => transform.apply(image, new Float32Array(transform.outputLength), seededRandom(seed));
  assert.deepEqual(run(12), run(12));
  const outputs = new Set<string>();
  let flips = 0;
  for (let seed = 0; seed < 40; seed++) {
    const out = run(seed);
    outputs.add(Buffer.from(out.buffer).toString('base64'));
    // The same steps by hand, drawing in the documented order: crop row, crop column, flip.
    const r = seededRandom(seed);
    let pixels = randomCrop(image, 28, 28, 1, 4, r);
    if (r() < 0.5) {
      pixels = flipHorizontal(pixels, 28, 28, 1);
      flips++;
    }
    const expected = normalizeToFloat32(resizeImage(grayToRgb(pixels), 28, 28, 32, 32, 'bilinear'), 3, FASHION_MNIST_STATS);
    assert.deepEqual(out, expected, `seed ${seed}`);
  }
  assert.ok(outputs.size > 30, 'different seeds give different images');
  assert.ok(flips > 5 && flips < 35, `flips ${flips}/40`);
  // Without a random source (evaluation), no augmentation.
  assert.deepEqual(
    transform.apply(image, new Float32Array(transform.outputLength)),
    normalizeToFloat32(resizeImage(grayToRgb(image), 28, 28, 32, 32, 'bilinear'), 3, FASHION_MNIST_STATS),
  );
  // Flip only, at the input size: flipping the output image is the same as flipping the input.
  const flipOnly = createTransform({ ...FASHION_MNIST_STATS, horizontalFlip: true }, { height: 28, width: 28, channels: 1 });
  const alwaysFlip = (): number => 0.25;
  assert.deepEqual(
    flipOnly.apply(image, new Float32Array(flipOnly.outputLength), alwaysFlip),
    normalizeToFloat32(grayToRgb(flipHorizontal(image, 28, 28, 1)), 3, FASHION_MNIST_STATS),
  );
  assert.deepEqual(flipOnly.apply(image, new Float32Array(flipOnly.outputLength), () => 0.75), normalizeToFloat32(grayToRgb(image), 3, FASHION_MNIST_STATS));
});

test('randomErase: probability 0 leaves the image; 1 fills one rectangle of 2–40% of the area with random values; seeded', () => {
  const h = 28;
  const w = 28;
  const image = new Uint8Array(h * w).fill(7);
  assert.deepEqual(randomErase(image, h, w, 1, 0, seededRandom(1)), image);
  for (let seed = 0; seed < 50; seed++) {
    const out = randomErase(image, h, w, 1, 1, seededRandom(seed));
    assert.deepEqual(out, randomErase(image, h, w, 1, 1, seededRandom(seed)), 'same seed, same image');
    // The changed pixels lie in one rectangle; its area is within the paper's bounds.
    let top = h, bottom = -1, left = w, right = -1, changed = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (out[y * w + x] === 7) continue;
        changed++;
        top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x);
      }
    }
    if (changed === 0) continue; // no rectangle fitted in 10 draws (rare)
    const area = (bottom - top + 1) * (right - left + 1);
    assert.ok(changed <= area && changed >= area * 0.9, `seed ${seed}: ${changed} changed pixels in a ${area}-pixel box`);
    assert.ok(area >= 0.02 * h * w * 0.5 && area <= 0.4 * h * w * 1.2, `seed ${seed}: area ${area} of ${h * w}`);
  }
  assert.equal(image.every((v) => v === 7), true, 'the input is not modified');
  assert.throws(() => randomErase(image, h, w, 1, 1.5, seededRandom(1)), /probability/);
});

test('createTransform with randomErasing: erases in training mode only', () => {
  const image = new Uint8Array(28 * 28).fill(100);
  const transform = createTransform({ mean: [0], std: [1], randomErasing: 1 }, { height: 28, width: 28, channels: 1 });
  assert.equal(transform.augments, true);
  const plain = transform.apply(image, new Float32Array(transform.outputLength));
  assert.ok(plain.every((v) => Math.abs(v - 100 / 255) < 1e-6));
  const erased = transform.apply(image, new Float32Array(transform.outputLength), seededRandom(3));
  assert.ok(erased.some((v) => Math.abs(v - 100 / 255) > 1e-6));
  assert.throws(() => createTransform({ mean: [0], std: [1], randomErasing: -1 }, { height: 28, width: 28, channels: 1 }), /randomErasing/);
});

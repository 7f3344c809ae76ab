/**
 * decodeImage details: alpha handling, grayscale, bytes input. Fixtures: test/fixtures/images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../helpers.js';
import { MobileNetError } from '../../src/errors.js';
import { decodeImage, loadImageTensor } from '../../src/node/image.js';
import { presetConfig } from '../../src/data/preprocess.js';

test('alpha is dropped by default (PIL convert("RGB")) and composited over white on request', async () => {
  const path = fixturePath('images', 'alpha_96x72.png'); // columns 0-7 fully transparent, alpha rises to 255 at the right
  const dropped = await decodeImage(path);
  const white = await decodeImage(path, { alpha: 'white' });
  assert.equal(dropped.data.length, 96 * 72 * 3);
  const at = (img: { data: Uint8Array; width: number }, y: number, x: number): number[] => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
  assert.deepEqual(at(white, 10, 3), [255, 255, 255]); // transparent → white
  assert.notDeepEqual(at(dropped, 10, 3), [255, 255, 255]); // colour kept
  assert.deepEqual(at(white, 10, 95), at(dropped, 10, 95)); // opaque → unchanged
});

test('grayscale images decode to three equal channels', async () => {
  const gray = await decodeImage(fixturePath('images', 'gray_257x263.png'));
  assert.equal(gray.data.length, 257 * 263 * 3);
  for (let i = 0; i < gray.data.length; i += 3) {
    if (gray.data[i] !== gray.data[i + 1] || gray.data[i] !== gray.data[i + 2]) assert.fail(`pixel ${i / 3} is not gray`);
  }
});

test('bytes and paths decode alike; WebP is accepted', async () => {
  const path = fixturePath('images', 'scene_120x90.webp');
  const fromPath = await decodeImage(path);
  const fromBytes = await decodeImage(new Uint8Array(readFileSync(path)));
  assert.deepEqual(fromBytes, fromPath);
  assert.deepEqual([fromPath.width, fromPath.height], [120, 90]);
  const tensor = await loadImageTensor(new Uint8Array(readFileSync(path)), presetConfig('tfjs', 32));
  assert.equal(tensor.length, 32 * 32 * 3);
});

test('decodeImage refuses what is neither a path nor bytes, and unknown resizers', async () => {
  await assert.rejects(decodeImage(42 as never), (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_ARGUMENT');
  await assert.rejects(
    loadImageTensor(fixturePath('images', 'scene_120x90.webp'), presetConfig('tfjs', 32), { resizer: 'magick' as never }),
    /resizer must be 'sharp' or 'reference', got 'magick'/,
  );
  await assert.rejects(decodeImage(fixturePath('images')), (e: unknown) => e instanceof MobileNetError && e.code === 'IO_ERROR' && /is a directory/.test(e.message));
});

test('a gray-trained model (preprocess.grayscale) sees a colour photo as PIL\'s luma, R = G = B', async () => {
  // 2×2 PNG: red, green, blue, (10, 20, 30); PIL's convert('L') gives 76, 150, 29, 18.
  const png = await sharp(Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]), { raw: { width: 2, height: 2, channels: 3 } }).png().toBuffer();
  const config = presetConfig('tfjs', 2);
  const gray = await loadImageTensor(new Uint8Array(png), { ...config, grayscale: true });
  assert.deepEqual([...gray].map((v) => Math.round(v * 255)), [76, 76, 76, 150, 150, 150, 29, 29, 29, 18, 18, 18]);
  const colour = await loadImageTensor(new Uint8Array(png), config);
  assert.deepEqual([...colour].map((v) => Math.round(v * 255)), [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
});

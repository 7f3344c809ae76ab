/**
 * classifyImages / embedImages / predictLogits run a bounded number of images at a time, and
 * chunking changes nothing in the results; bad files are reported per file by the chunked path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../../src/io/npy.js';
import { toFloat32 } from '../../src/tensor.js';
import type { Classification, MobileNet } from '../../src/model/mobilenet.js';
import {
  IMAGE_CHUNK,
  classifyImageChunks,
  classifyImages,
  embedImages,
  loadImages,
  loadModel,
  predictLogits,
} from '../../src/node/model.js';
import { fixturePath, maxAbsDiff, repoRoot } from '../helpers.js';

const P = (name: string) => fixturePath('parity', name);
const IMAGES = ['photo_640x480.jpg', 'scene_120x90.webp', 'scene_300x200.png', 'gray_257x263.png', 'alpha_96x72.png'].map((n) => fixturePath('images', n));
const EXAMPLES = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.png')).sort().map((f) => join(repoRoot, 'examples', f));

/** n real image files, cycling through the 25 fixtures and examples. */
function files(n: number): string[] {
  const all = [...IMAGES, ...EXAMPLES];
  return Array.from({ length: n }, (_, i) => all[i % all.length]!);
}

/** Record the batch size of every run of the model's session. */
function spyBatches(model: MobileNet): number[] {
  const sizes: number[] = [];
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  const run = model.session.run.bind(model.session);
  model.session.run = (input, request) => {
    sizes.push(input.length / per);
    return run(input, request);
  };
  return sizes;
}

function assertSameClassifications(actual: Classification[][], expected: Classification[][]): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  actual.forEach((row, i) => {
    assert.deepEqual(row.map((c) => [c.index, c.label]), expected[i]!.map((c) => [c.index, c.label]), `image ${i}`);
    row.forEach((c, k) => (worst = Math.max(worst, Math.abs(c.score - expected[i]![k]!.score))));
  });
  assert.ok(worst <= 1e-6, `scores differ by ${worst}`);
  return worst;
}

test(`classifyImages and embedImages run ${IMAGE_CHUNK} images at a time, with one batch's results (N = 2·chunk + 3)`, async () => {
  const model = await loadModel(P('tv_v2_035.pth'), { options: { resolution: 128 }, threads: 1 });
  const paths = files(2 * IMAGE_CHUNK + 3);
  const oneBatch = await loadImages(model, paths);
  const expectedTop = model.classify(oneBatch, 5);
  const expectedEmbedding = model.embed(oneBatch);

  const sizes = spyBatches(model);
  const top = await classifyImages(model, paths, 5);
  assert.deepEqual(sizes, [IMAGE_CHUNK, IMAGE_CHUNK, 3]);
  assertSameClassifications(top, expectedTop);

  sizes.length = 0;
  const embedding = await embedImages(model, paths);
  assert.deepEqual(sizes, [IMAGE_CHUNK, IMAGE_CHUNK, 3]);
  assert.deepEqual(embedding.shape, expectedEmbedding.shape);
  const { max } = maxAbsDiff(embedding.data, expectedEmbedding.data);
  assert.ok(max <= 1e-6, `embeddings differ by ${max}`);
  await model.release();
});

test('classifyImageChunks: bad files are reported in input order, in their chunk; the good files get one batch’s results', async () => {
  const model = await loadModel(P('tv_v2_035.pth'), { options: { resolution: 96 }, threads: 1 });
  const good = files(2 * 2 + 3); // with chunk 2 and the bad files, some chunks run a single image
  const bad = {
    notImage: fixturePath('images', 'not_an_image.png'),
    truncated: fixturePath('images', 'truncated.png'),
    missing: fixturePath('images', 'missing.jpg'),
  };
  const paths = [good[0]!, bad.notImage, ...good.slice(1, 4), bad.missing, bad.truncated, ...good.slice(4)];
  const expected = model.classify(await loadImages(model, good), 3);

  const sizes = spyBatches(model);
  const chunks = [];
  for await (const chunk of classifyImageChunks(model, paths, { topK: 3, chunkSize: 2 })) chunks.push(chunk);
  assert.deepEqual(chunks.map((c) => c.map((o) => o.index)), [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
  assert.deepEqual(sizes, [1, 2, 1, 1, 2], 'only the chunk’s good images are run');
  const outcomes = chunks.flat();
  assert.deepEqual(outcomes.map((o) => o.file), paths);
  const failures = outcomes.filter((o) => o.error);
  assert.deepEqual(failures.map((o) => [o.index, o.error!.code]), [[1, 'INVALID_FORMAT'], [5, 'IO_ERROR'], [6, 'INVALID_FORMAT']]);
  for (const f of failures) assert.ok(f.error!.message.includes(f.file), f.error!.message);
  assertSameClassifications(outcomes.filter((o) => !o.error).map((o) => o.result!), expected);

  // The all-at-once API still stops at the first bad file, naming it.
  await assert.rejects(classifyImages(model, paths), (e: Error) => e.message.includes('not_an_image.png'));
  await model.release();
});

test('predictLogits runs chunk by chunk (NCHW, N = 2·chunk + 3) and gives torch’s logits', async () => {
  const input = parseNpy(new Uint8Array(readFileSync(P('tv_v2_035_input_nchw.npy'))));
  const logits = toFloat32(parseNpy(new Uint8Array(readFileSync(P('tv_v2_035_logits.npy')))));
  const per = 3 * 64 * 64;
  const pick = [0, 1, 1, 0, 1, 0, 0]; // 7 = 2·2 + 3 examples drawn from the fixture's two
  const x = new Float32Array(pick.length * per);
  const expected = new Float32Array(pick.length * 10);
  pick.forEach((j, i) => {
    x.set(toFloat32(input).subarray(j * per, (j + 1) * per), i * per);
    expected.set(logits.subarray(j * 10, (j + 1) * 10), i * 10);
  });
  const model = await loadModel('mobilenet_v2', { weights: P('tv_v2_035.pth'), options: { resolution: 64 }, threads: 1 });
  const oneBatch = predictLogits(model, x, { layout: 'nchw', chunkSize: 7 });
  const sizes = spyBatches(model);
  const chunked = predictLogits(model, x, { layout: 'nchw', chunkSize: 2 });
  assert.deepEqual(sizes, [2, 2, 2, 1]);
  assert.deepEqual(chunked.shape, [7, 10]);
  assert.ok(maxAbsDiff(chunked.data, oneBatch.data).max <= 1e-6);
  assert.ok(maxAbsDiff(chunked.data, expected).max <= 1e-4, 'torch’s logits');
  await model.release();
});

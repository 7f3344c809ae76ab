/**
 * Flip test-time augmentation in evaluateSession: on left–right symmetric images it changes nothing;
 * on any images its loss is that of the averaged probabilities of the image and its mirror, each
 * computed by the session on its own (the mirror written out here, independently of the library's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { evaluateSession } from '../../../src/train/trainer.js';
import { loadModel } from '../../../src/node/model.js';
import { repoRoot } from '../../helpers.js';

const [H, W, C] = [28, 28, 3];

function mirror(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) for (let y = 0; y < H; y++) for (let u = 0; u < W; u++) for (let c = 0; c < C; c++) {
    out[((i * H + y) * W + (W - 1 - u)) * C + c] = x[((i * H + y) * W + u) * C + c]!;
  }
  return out;
}

test('evaluateSession flip TTA: no change on symmetric images, the mean of both views otherwise', async () => {
  const model = await loadModel(join(repoRoot, 'models', 'fashion-mnist.safetensors'));
  try {
    const n = 6;
    let seed = 9;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4 - 2;
    const x = Float32Array.from({ length: n * H * W * C }, random);
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 3) % 10);
    const batch = (images: Float32Array) => [{ images, labels, size: n }];

    const symmetric = x.map((v, i) => v + mirror(x, n)[i]!);
    assert.deepEqual(evaluateSession(model.session, batch(symmetric), 10, { flip: true }), evaluateSession(model.session, batch(symmetric), 10));

    const p = model.session.run(x, { probabilities: true }).probabilities!.data.slice();
    const q = model.session.run(mirror(x, n), { probabilities: true }).probabilities!.data;
    let loss = 0;
    for (let i = 0; i < n; i++) loss -= Math.log((p[i * 10 + labels[i]!]! + q[i * 10 + labels[i]!]!) / 2) / n;
    const tta = evaluateSession(model.session, batch(x), 10, { flip: true });
    assert.ok(Math.abs(tta.loss - loss) < 1e-5 * Math.max(1, loss), `loss ${tta.loss} vs ${loss}`);
    const plain = evaluateSession(model.session, batch(x), 10);
    assert.notEqual(plain.loss, tta.loss, 'random images are not symmetric: the two views differ');
  } finally {
    await model.release();
  }
});

test('evaluateSession refuses NaN probabilities instead of counting them as class 0', async () => {
  const model = await loadModel(join(repoRoot, 'models', 'fashion-mnist.safetensors'));
  try {
    const x = new Float32Array(2 * H * W * C).fill(0.5);
    x.fill(Number.NaN, H * W * C); // the second image: what a model with a NaN weight produces everywhere
    const batch = [{ images: x, labels: Int32Array.of(0, 0), size: 2 }];
    assert.throws(() => evaluateSession(model.session, batch, 10), (e: Error & { code?: string }) => e.code === 'DIVERGED' && /test image 2 are not numbers/.test(e.message));
  } finally {
    await model.release();
  }
});

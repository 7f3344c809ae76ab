/**
 * Transfer learning from an image folder as a user does it: `mobilenet train --dataset folder:<dir>
 * --weights <model> --freeze-backbone` on PNGs written to disk, a corrupt file refused by name (or
 * skipped and counted with --skip-bad), a new head sized to the folder's classes, a backbone left
 * exactly as it was, and the new model classifying a file by its folder's name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { repoRoot } from '../helpers.js';
import { loadFashionMnist } from '../../src/node/datasets.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { readModel } from '../../src/model/load.js';
import { runCli } from './cli-helpers.js';

const BUNDLED = join(repoRoot, 'models', 'fashion-mnist.safetensors');
/** Three Fashion-MNIST classes, by label, and the folder names they get. */
const CLASSES: Array<[number, string]> = [[1, 'trouser'], [8, 'bag'], [9, 'ankle-boot']];
const PER_CLASS = 30;

async function writeFolder(dir: string): Promise<string[]> {
  const sample = await loadFashionMnist({ dataDir: join(repoRoot, 'data', 'fashion-mnist-sample'), split: 'train' });
  const files: string[] = [];
  for (const [label, name] of CLASSES) {
    mkdirSync(join(dir, name), { recursive: true });
    let n = 0;
    for (let i = 0; i < sample.size && n < PER_CLASS; i++) {
      const s = sample.get(i);
      if (s.label !== label) continue;
      const file = join(dir, name, `${String(n).padStart(3, '0')}.png`);
      await sharp(Buffer.from(s.pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
      files.push(file);
      n++;
    }
    assert.equal(n, PER_CLASS, `the sample has ${PER_CLASS} images of class ${label}`);
  }
  return files;
}

test('train --dataset folder: --weights --freeze-backbone: corrupt file named, --skip-bad counts it, new 3-class head, backbone untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-transfer-'));
  try {
    const images = join(dir, 'images');
    const files = await writeFolder(images);
    writeFileSync(join(images, 'bag', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nthis is not an image'));
    const args = ['train', '--dataset', `folder:${images}`, '--resolution', '28', '--weights', BUNDLED, '--freeze-backbone',
      '--epochs', '4', '--batch', '16', '--lr', '0.05', '--seed', '1'];

    const refused = runCli([...args, '--out', join(dir, 'refused')]);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /broken\.png/);

    const out = join(dir, 'run');
    const ok = runCli([...args, '--skip-bad', '--out', out], { timeoutMs: 240_000 });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /skipped 1 image\(s\) that failed to decode: .*broken\.png/);

    const before = parseSafetensors(new Uint8Array(readFileSync(BUNDLED)));
    const after = parseSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    assert.deepEqual(JSON.parse(after.metadata['mobilenet.labels']!), CLASSES.map(([, n]) => n).sort(), 'the labels are the folder names');
    // The frozen backbone is fed inputs normalized as it was trained (the bundled model's Fashion-MNIST
    // mean/std), not with the new folder's own statistics.
    const pre = (m: Record<string, string>) => JSON.parse(m['mobilenet.preprocess']!) as { mean: number[]; std: number[]; divisor: number };
    assert.deepEqual(pre(after.metadata).mean, pre(before.metadata).mean);
    assert.deepEqual(pre(after.metadata).std, pre(before.metadata).std);
    assert.equal(JSON.parse(after.metadata['mobilenet.options']!).smallInput, true, '28-pixel inputs train with the small-input strides');
    let same = 0;
    const resized: string[] = [];
    for (const [name, t] of before.tensors) {
      const u = after.tensors.get(name);
      assert.ok(u, `${name} is still in the model`);
      if (u.shape.join() !== t.shape.join()) {
        resized.push(name);
        assert.ok(u.shape.includes(CLASSES.length) && !u.shape.includes(10), `${name}: the new head has ${CLASSES.length} outputs, got shape ${u.shape.join('×')}`);
        continue;
      }
      assert.deepEqual(u.data, t.data, `${name} changed although the backbone was frozen`);
      same++;
    }
    assert.ok(resized.length >= 1 && resized.length <= 2, `only the classifier is resized, got ${resized.join(', ')}`);
    assert.ok(same > 100, `${same} backbone tensors compared`);

    const evaluation = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8')) as { accuracy: number; count: number; classes: string[] };
    assert.deepEqual([...evaluation.classes].sort(), CLASSES.map(([, n]) => n).sort());
    assert.ok(evaluation.count >= 6, `validation images: ${evaluation.count}`);
    // The backbone already tells these three classes apart (it was trained on Fashion-MNIST).
    assert.ok(evaluation.accuracy >= 0.8, `validation accuracy ${evaluation.accuracy}`);

    const bootFile = files.find((f) => f.includes('ankle-boot'))!;
    const classified = runCli(['classify', '--model', join(out, 'model.safetensors'), bootFile]);
    assert.equal(classified.status, 0, classified.stderr);
    assert.match(classified.stdout, /ankle-boot/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train --dataset folder: --weights: a resumed run keeps the pretrained normalization (the same model as an uninterrupted run), and eval tests on the run\'s own held-out split', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-transfer-'));
  try {
    const images = join(dir, 'images');
    const written = await writeFolder(images);
    // Seed 3: the held-out 10% differs from eval's default split (seed 0).
    const args = ['train', '--dataset', `folder:${images}`, '--resolution', '28', '--weights', BUNDLED, '--freeze-backbone',
      '--epochs', '2', '--batch', '16', '--lr', '0.05', '--seed', '3'];
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    assert.equal(runCli([...args, '--out', a]).status, 0);
    const first = runCli([...args, '--out', b, '--max-steps', '3']);
    assert.equal(first.status, 0, first.stderr);
    const resumed = runCli([...args, '--out', b, '--resume']);
    assert.equal(resumed.status, 0, resumed.stderr);
    const [ma, mb] = [a, b].map((d) => parseSafetensors(new Uint8Array(readFileSync(join(d, 'model.safetensors')))));
    assert.equal(mb!.metadata['mobilenet.preprocess'], ma!.metadata['mobilenet.preprocess']);
    for (const [name, t] of ma!.tensors) assert.deepEqual(mb!.tensors.get(name)!.data, t.data, `${name} differs after the resume`);

    // The file list as torchvision's ImageFolder orders it: relative paths sorted by code point.
    const paths = written.map((f) => relative(images, f).split(sep).join('/')).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const filesSha256 = createHash('sha256').update(paths.join('\n')).digest('hex');
    assert.deepEqual(JSON.parse(ma!.metadata['mobilenet.split']!), { seed: 3, validationFraction: 0.1, classCounts: [30, 30, 30], filesSha256 });
    const asRun = JSON.parse(readFileSync(join(a, 'evaluation.json'), 'utf8')) as { accuracy: number; loss: number; confusion: number[][] };
    // The checkpoint holds the run's fp32 weights: eval must reproduce the run's own final evaluation.
    const e = runCli(['eval', join(a, 'checkpoint.safetensors'), '--dataset', `folder:${images}`, '--json']);
    assert.equal(e.status, 0, e.stderr);
    const again = JSON.parse(e.stdout) as typeof asRun;
    assert.deepEqual(again.confusion, asRun.confusion);
    assert.ok(Math.abs(again.loss - asRun.loss) <= 1e-6, `loss ${again.loss} vs the run's ${asRun.loss}`);

    // One image more: the seeded split would hold out other images (some seen in training): eval and resume refuse.
    copyFileSync(join(images, 'bag', '000.png'), join(images, 'bag', 'extra.png'));
    const changed = runCli(['eval', join(a, 'model.safetensors'), '--dataset', `folder:${images}`]);
    assert.equal(changed.status, 2, changed.stderr);
    assert.match(changed.stderr, /the folder changed since .* \('bag' had 30 images, now 31\)/);
    const resumedChanged = runCli([...args, '--out', b, '--resume']);
    assert.equal(resumedChanged.status, 2, resumedChanged.stderr);
    assert.match(resumedChanged.stderr, /cannot resume: the folder .* changed since the run started \('bag' had 30 images, now 31\)/);
    rmSync(join(images, 'bag', 'extra.png'));
    // The same counts with a file renamed (it sorts last in its class, so the split moves): refused too.
    renameSync(join(images, 'bag', '000.png'), join(images, 'bag', 'zzz.png'));
    const moved = runCli(['eval', join(a, 'model.safetensors'), '--dataset', `folder:${images}`]);
    assert.equal(moved.status, 2, moved.stderr);
    assert.match(moved.stderr, /the folder changed since .* \(the same number of images per class, but other file names/);
    const resumedMoved = runCli([...args, '--out', b, '--resume']);
    assert.equal(resumedMoved.status, 2, resumedMoved.stderr);
    assert.match(resumedMoved.stderr, /cannot resume: the folder .* changed since the run started \(the same number of images per class, but other file names/);
    renameSync(join(images, 'bag', 'zzz.png'), join(images, 'bag', '000.png'));
    // Same class count, another name: the per-class numbers would land on the wrong classes.
    renameSync(join(images, 'trouser'), join(images, 'trousers'));
    const renamed = runCli(['eval', join(a, 'model.safetensors'), '--dataset', `folder:${images}`]);
    assert.equal(renamed.status, 2, renamed.stderr);
    assert.match(renamed.stderr, /was trained on other classes than .*: its class 2 is 'trouser', the dataset's is 'trousers'/);
    // --data-dir names Fashion-MNIST files: with a folder dataset it is an error, not silently ignored.
    const dataDir = runCli(['eval', join(a, 'model.safetensors'), '--dataset', `folder:${images}`, '--data-dir', dir]);
    assert.equal(dataDir.status, 2, dataDir.stderr);
    assert.match(dataDir.stderr, /--data-dir .* does not apply to --dataset folder:/);
    const download = runCli(['eval', join(a, 'model.safetensors'), '--dataset', `folder:${images}`, '--download']);
    assert.equal(download.status, 2, download.stderr);
    assert.match(download.stderr, /--download is about the Fashion-MNIST files; it does not apply to --dataset folder:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train --weights: an ONNX graph is refused by name (no architecture to rebuild), a clashing --arch is a one-line weights error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-transfer-'));
  try {
    const onnx = join(dir, 'model.onnx');
    const converted = runCli(['convert', BUNDLED, onnx]);
    assert.equal(converted.status, 0, converted.stderr);
    const base = ['train', '--dataset', 'sample', '--epochs', '1', '--max-steps', '1'];
    const fromOnnx = runCli([...base, '--weights', onnx, '--out', join(dir, 'a')]);
    assert.equal(fromOnnx.status, 2, fromOnnx.stderr);
    assert.match(fromOnnx.stderr, /model\.onnx: an ONNX graph carries no architecture/);
    // The bundled weights are MobileNetV1: asking for V2 on them names the misfit.
    const clash = runCli([...base, '--weights', BUNDLED, '--arch', 'mobilenet_v2', '--out', join(dir, 'b')]);
    assert.equal(clash.status, 2, clash.stderr);
    assert.match(clash.stderr, /^mobilenet: weights from .*fashion-mnist\.safetensors do not fit mobilenet_v2/m);
    assert.equal(clash.stderr.trim().split('\n').length, 1, clash.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train --weights keras .h5 with a 10-class head: α and conventions come from the file, the backbone is kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-transfer-'));
  try {
    const h5 = join(repoRoot, 'test', 'fixtures', 'parity', 'keras_v2_035.h5');
    const r = runCli(['train', '--dataset', 'sample', '--weights', h5, '--freeze-backbone', '--resolution', '64', '--epochs', '1', '--out', dir]);
    assert.equal(r.status, 0, r.stderr);
    const trained = await readModel(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), { fileName: 'model.safetensors' });
    assert.equal(trained.metadata.model, 'mobilenet_v2');
    assert.equal(trained.metadata.options.alpha, 0.35, 'α inferred from the shapes (the file has no metadata, and its head is not ImageNet-sized)');
    assert.equal(trained.metadata.options.convention, 'keras', 'Keras padding and BN ε carried over');
    assert.deepEqual(trained.metadata.preprocess.mean, [0.5, 0.5, 0.5], 'fed as Keras MobileNets expect: x / 127.5 − 1');
    const source = await readModel(new Uint8Array(readFileSync(h5)), { fileName: 'keras_v2_035.h5', options: { resolution: 64 } });
    let compared = 0;
    for (const [name, t] of source.weights) {
      if (name.startsWith('classifier.')) continue;
      const u = trained.weights.get(name)!.data;
      t.data.forEach((v, i) => assert.ok(Math.abs(u[i]! - v) <= 1e-3 * Math.abs(v) + 1e-7, `${name}[${i}]: ${u[i]} vs ${v} (fp16 of the same value)`));
      compared++;
    }
    assert.ok(compared > 100, `${compared} backbone tensors compared`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

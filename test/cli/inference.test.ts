import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy, serializeNpy } from '../../src/io/npy.js';
import { loadImages, loadModel } from '../../src/node/model.js';
import { toFloat32 } from '../../src/tensor.js';
import { fixturePath, maxAbsDiff } from '../helpers.js';
import { runCli } from './cli-helpers.js';

const P = (name: string) => fixturePath('parity', name);
const npy = (path: string) => toFloat32(parseNpy(new Uint8Array(readFileSync(path))));

test('predict: torchvision .pth with an NCHW input gives torch’s logits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-cli-'));
  const out = join(dir, 'y.npy');
  const r = runCli(['predict', 'mobilenet_v2', '--weights', P('tv_v2_035.pth'), '--input', P('tv_v2_035_input_nchw.npy'), '--layout', 'nchw', '--output', out]);
  assert.equal(r.status, 0, r.stderr);
  const { max } = maxAbsDiff(npy(out), npy(P('tv_v2_035_logits.npy')));
  assert.ok(max <= 1e-4, `max abs diff ${max}`);
  assert.deepEqual(parseNpy(new Uint8Array(readFileSync(out))).shape, [2, 10]);
});

test('convert .pth → .safetensors and .h5 → .onnx, then predict from the converted files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-cli-'));
  const st = join(dir, 'tv.safetensors');
  assert.equal(runCli(['convert', P('tv_v2_035.pth'), st, '--resolution', '64']).status, 0);
  const y1 = join(dir, 'y1.npy');
  const r1 = runCli(['predict', st, '--input', P('tv_v2_035_input_nchw.npy'), '--layout', 'nchw', '--output', y1]);
  assert.equal(r1.status, 0, r1.stderr);
  assert.ok(maxAbsDiff(npy(y1), npy(P('tv_v2_035_logits.npy'))).max <= 1e-4);

  const onnx = join(dir, 'k.onnx');
  const c = runCli(['convert', P('keras_v1_025.h5'), onnx, '--resolution', '65']);
  assert.equal(c.status, 0, c.stderr);
  const y2 = join(dir, 'y2.npy');
  const r2 = runCli(['predict', onnx, '--input', P('keras_v1_025_input_nhwc.npy'), '--output', y2]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.ok(maxAbsDiff(npy(y2), npy(P('keras_v1_025_logits.npy'))).max <= 1e-4);
  assert.deepEqual(readdirSync(dir).sort(), ['k.onnx', 'tv.safetensors', 'y1.npy', 'y2.npy'], 'no temp files left behind');
});

test('bad input: exit 2, one line naming the problem, no output file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-cli-'));
  const out = join(dir, 'y.npy');
  const notNpy = join(dir, 'x.npy');
  writeFileSync(notNpy, 'definitely not numpy');
  const truncated = join(dir, 'cut.pth');
  writeFileSync(truncated, readFileSync(P('tv_v2_035.pth')).subarray(0, 5000));
  const cases: Array<[string[], RegExp]> = [
    [['predict', 'mobilenet_v2', '--weights', P('tv_v2_035.pth'), '--input', P('tv_v2_035_input_nchw.npy'), '--output', out], /expected \(N, H, W, 3\) for --layout nhwc, found \(2, 3, 64, 64\)/],
    [['predict', 'mobilenet_v2', '--weights', P('tv_v2_035.pth'), '--input', notNpy, '--output', out], /npy/i],
    [['predict', 'mobilenet_v2', '--weights', truncated, '--input', P('tv_v2_035_input_nchw.npy'), '--layout', 'nchw', '--output', out], /zip|truncated|corrupt/i],
    [['predict', 'mobilenet_v2', '--weights', join(dir, 'missing.pth'), '--input', P('tv_v2_035_input_nchw.npy'), '--layout', 'nchw', '--output', out], /cannot read .*missing\.pth: no such file/],
    [['predict', 'mobilenet_v2_1.0_224', '--weights', P('tv_v2_035.pth'), '--input', P('tv_v2_035_input_nchw.npy'), '--layout', 'nchw', '--output', out], /do not fit mobilenet_v2_1\.0_224/],
    [['predict', 'mobilenet_v2', '--weights', P('tv_v2_035.pth'), '--input', P('tv_v2_035_input_nchw.npy'), '--layout', 'nhcw', '--output', out], /--layout must be one of nhwc, nchw, got 'nhcw'/],
    [['convert', P('tv_v2_035.pth'), join(dir, 'out.pth')], /output must end in \.safetensors or \.onnx/],
    [['classify', P('tv_v2_035_logits.npy'), '--model', P('tv_v2_035.pth'), '--resolution', '64'], /not an image/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
    assert.equal(existsSync(out), false, 'no output written');
  }
  assert.deepEqual(readdirSync(dir).sort(), ['cut.pth', 'x.npy']);
});

test('classify end to end (decode, torchvision preprocessing, model) matches torchvision’s pipeline', () => {
  const expected = JSON.parse(readFileSync(P('pipeline.json'), 'utf8')) as { images: Record<string, number[]> };
  const names = Object.keys(expected.images);
  const files = names.map((n) => fixturePath('images', n));
  const r = runCli(['classify', ...files, '--model', P('tv_v2_035.pth'), '--resolution', '224', '--top', '10', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout) as Array<{ file: string; predictions: Array<{ label: string; index: number; score: number }> }>;
  results.forEach((result, i) => {
    const probs = expected.images[names[i]!]!;
    assert.equal(result.predictions.length, 10);
    for (const p of result.predictions) {
      assert.ok(Math.abs(p.score - probs[p.index]!) < 1e-4, `${names[i]} class ${p.index}: ${p.score} vs ${probs[p.index]}`);
      assert.equal(p.label, `class_${p.index}`);
    }
    const best = probs.indexOf(Math.max(...probs));
    assert.equal(result.predictions[0]!.index, best);
  });
  const text = runCli(['classify', files[0]!, '--model', P('tv_v2_035.pth'), '--resolution', '224', '--top', '2']);
  assert.match(text.stdout, /photo_640x480\.jpg: class_\d \(\d+\.\d%\)\n    class_\d \(\d+\.\d%\)\n/);
});

test('published weights offline: a clear error with the URL and where to put the file', () => {
  const cache = mkdtempSync(join(tmpdir(), 'mobilenet-cache-'));
  const r = runCli(['classify', fixturePath('images', 'scene_300x200.png'), '--model', 'mobilenet_v2'], { env: { MOBILENET_OFFLINE: '1', MOBILENET_CACHE: cache } });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /https:\/\/download\.pytorch\.org\/models\/mobilenet_v2-b0353104\.pth/);
  assert.ok(r.stderr.includes(join(cache, 'torchvision', 'mobilenet_v2-b0353104.pth')), r.stderr);
  assert.equal(readdirSync(cache).length, 0, 'nothing written to the cache');
});

test('embed writes an (N, C) .npy equal to the model’s pooled features', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-cli-'));
  const out = join(dir, 'e.npy');
  const files = ['photo_640x480.jpg', 'scene_120x90.webp'].map((n) => fixturePath('images', n));
  const r = runCli(['embed', ...files, '--model', P('tv_v2_035.pth'), '--resolution', '224', '--output', out]);
  assert.equal(r.status, 0, r.stderr);
  const e = parseNpy(new Uint8Array(readFileSync(out)));
  assert.deepEqual(e.shape, [2, 1280]);
  const json = runCli(['embed', files[0]!, '--model', P('tv_v2_035.pth'), '--resolution', '224']);
  const rows = JSON.parse(json.stdout) as Array<{ embedding: number[] }>;
  assert.ok(maxAbsDiff(rows[0]!.embedding, toFloat32(e).subarray(0, 1280)).max < 1e-6);
});

test('classify with bad files: the good files’ results in input order, each bad file named on stderr, exit 2', () => {
  const expected = JSON.parse(readFileSync(P('pipeline.json'), 'utf8')) as { images: Record<string, number[]> };
  const names = Object.keys(expected.images);
  const good = names.map((n) => fixturePath('images', n));
  const bad = [fixturePath('images', 'not_an_image.png'), fixturePath('images', 'missing.jpg'), fixturePath('images', 'truncated.png')];
  // Bad files first, between and last, across chunks of 2.
  const files = [bad[0]!, good[0]!, bad[1]!, ...good.slice(1), bad[2]!];
  const args = ['classify', ...files, '--model', P('tv_v2_035.pth'), '--resolution', '224', '--top', '10', '--batch', '2'];
  const json = runCli([...args, '--json']);
  assert.equal(json.status, 2, json.stderr);
  const results = JSON.parse(json.stdout) as Array<{ file: string; predictions: Array<{ index: number; score: number }> }>;
  assert.deepEqual(results.map((r) => r.file), good);
  results.forEach((r, i) => {
    for (const p of r.predictions) assert.ok(Math.abs(p.score - expected.images[names[i]!]![p.index]!) < 1e-4, `${names[i]} class ${p.index}`);
  });
  const lines = json.stderr.trim().split('\n');
  assert.equal(lines.length, 4, json.stderr);
  assert.match(lines[0]!, /not_an_image\.png: not an image/);
  assert.match(lines[1]!, /cannot read image '.*missing\.jpg': no such file/);
  assert.match(lines[2]!, /truncated\.png: not an image/);
  assert.match(lines[3]!, new RegExp(`3 of ${files.length} images could not be read or decoded`));

  const text = runCli(args);
  assert.equal(text.status, 2, text.stderr);
  const heads = text.stdout.trim().split('\n').filter((line) => !line.startsWith(' '));
  assert.deepEqual(heads.map((line) => line.slice(0, line.lastIndexOf(': '))), good);
});

test('embed with a bad file: --output writes nothing and names every bad file; JSON rows of the good files, exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-cli-'));
  const out = join(dir, 'e.npy');
  const good = ['photo_640x480.jpg', 'scene_120x90.webp', 'scene_300x200.png'].map((n) => fixturePath('images', n));
  const bad = [fixturePath('images', 'truncated.png'), join(dir, 'gone.png')];
  const files = [good[0]!, bad[0]!, good[1]!, good[2]!, bad[1]!];
  const flags = ['--model', P('tv_v2_035.pth'), '--resolution', '224', '--batch', '2'];
  const r = runCli(['embed', ...files, ...flags, '--output', out]);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 3, r.stderr);
  assert.match(lines[0]!, /truncated\.png: not an image/);
  assert.match(lines[1]!, /gone\.png': no such file/);
  assert.match(lines[2]!, /2 of 5 images could not be read or decoded .*nothing written to .*e\.npy/);
  assert.deepEqual(readdirSync(dir), [], 'no output, no temp file');

  const json = runCli(['embed', ...files, ...flags]);
  assert.equal(json.status, 2, json.stderr);
  const rows = JSON.parse(json.stdout) as Array<{ file: string; embedding: number[] }>;
  assert.deepEqual(rows.map((row) => row.file), good);
  const model = await loadModel(P('tv_v2_035.pth'), { options: { resolution: 224 }, threads: 1 });
  const expected = model.embed(await loadImages(model, good));
  await model.release();
  assert.ok(maxAbsDiff(rows.flatMap((row) => row.embedding), expected.data).max === 0, 'the one-batch embedding, bit for bit');
});

test('predict --batch 2 on 7 examples: torch’s logits, the same file as one batch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-cli-'));
  const input = parseNpy(new Uint8Array(readFileSync(P('tv_v2_035_input_nchw.npy'))));
  const logits = npy(P('tv_v2_035_logits.npy'));
  const per = 3 * 64 * 64;
  const pick = [1, 0, 0, 1, 1, 0, 1]; // 7 = 2·2 + 3 examples drawn from the fixture's two
  const x = new Float32Array(pick.length * per);
  pick.forEach((j, i) => x.set(toFloat32(input).subarray(j * per, (j + 1) * per), i * per));
  const xPath = join(dir, 'x.npy');
  writeFileSync(xPath, serializeNpy({ dtype: 'float32', shape: [7, 3, 64, 64], data: x }));
  const base = ['predict', 'mobilenet_v2', '--weights', P('tv_v2_035.pth'), '--input', xPath, '--layout', 'nchw'];
  const r = runCli([...base, '--batch', '2', '--output', join(dir, 'y2.npy')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(runCli([...base, '--output', join(dir, 'y.npy')]).status, 0);
  const y = npy(join(dir, 'y2.npy'));
  assert.equal(y.length, 70);
  pick.forEach((j, i) => assert.ok(maxAbsDiff(y.subarray(i * 10, (i + 1) * 10), logits.subarray(j * 10, (j + 1) * 10)).max <= 1e-4, `row ${i}`));
  assert.deepEqual(readFileSync(join(dir, 'y2.npy')), readFileSync(join(dir, 'y.npy')));
});

test('convert .onnx → .onnx keeps the mobilenet metadata: preprocessing, labels, grayscale, options', async () => {
  const { buildGraph, createSpec, initWeights, presetConfig, readModel } = await import('../../src/index.js');
  const { writeOnnxModel } = await import('../../src/model/load.js');
  const { parseOnnxModel, serializeOnnxModel } = await import('../../src/io/onnx.js');
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-cli-'));
  const options = { alpha: 0.35, resolution: 32, classes: 3, convention: 'keras' as const };
  const graph = buildGraph(createSpec('mobilenet_v2', options));
  const metadata = {
    model: 'mobilenet_v2',
    options,
    preprocess: { ...presetConfig('keras', 32, 32), grayscale: true },
    labels: ['cat', 'dog', 'bird'],
    source: 'made by this test',
  };
  const x = join(dir, 'x.onnx');
  writeFileSync(x, writeOnnxModel({ graph, weights: initWeights(graph, { seed: 3 }), metadata }));
  const y = join(dir, 'y.onnx');
  const r = runCli(['convert', x, y]);
  assert.equal(r.status, 0, r.stderr);
  const back = await readModel(new Uint8Array(readFileSync(y)), { fileName: 'y.onnx' });
  assert.deepEqual(back.metadata, metadata);
  // ONNX → safetensors stays refused: an imported graph has no architecture to write.
  const st = runCli(['convert', y, join(dir, 'y.safetensors')]);
  assert.equal(st.status, 2, st.stderr);
  assert.match(st.stderr, /imported from ONNX and has no architecture spec/);

  // An ONNX file without metadata reads with guesses (torchvision preprocessing); they are not written.
  const bare = parseOnnxModel(new Uint8Array(readFileSync(x)));
  bare.metadata = {};
  const plain = join(dir, 'plain.onnx');
  writeFileSync(plain, serializeOnnxModel(bare));
  const copy = join(dir, 'copy.onnx');
  assert.equal(runCli(['convert', plain, copy]).status, 0);
  assert.deepEqual(Object.keys(parseOnnxModel(new Uint8Array(readFileSync(copy))).metadata).filter((k) => k.startsWith('mobilenet.')), []);
});

test('predict: an input of another size than the model records is refused, expected vs found', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-cli-'));
  const out = join(dir, 'y.npy');
  const x32 = join(dir, 'x32.npy');
  writeFileSync(x32, serializeNpy({ dtype: 'float32', shape: [2, 32, 32, 3], data: new Float32Array(2 * 32 * 32 * 3).fill(0.5) }));
  // The bundled Fashion-MNIST model records 28×28 in its metadata.
  const bundled = runCli(['predict', 'models/fashion-mnist.safetensors', '--input', x32, '--output', out]);
  assert.equal(bundled.status, 2, bundled.stderr);
  assert.match(bundled.stderr.trim(), /x32\.npy: the model takes 28×28 images, the input is 32×32$/);
  // A model name with a size records it for a .pth too.
  const named = runCli(['predict', 'mobilenet_v2_0.35_96', '--weights', P('tv_v2_035.pth'), '--input', P('tv_v2_035_input_nchw.npy'), '--layout', 'nchw', '--output', out]);
  assert.equal(named.status, 2, named.stderr);
  assert.match(named.stderr, /the model takes 96×96 images, the input is 64×64/);
  assert.equal(existsSync(out), false);
  // A 28×28 input runs on the bundled model; a .pth without a size takes the input's (the first test).
  const x28 = join(dir, 'x28.npy');
  writeFileSync(x28, serializeNpy({ dtype: 'float32', shape: [1, 28, 28, 3], data: new Float32Array(28 * 28 * 3).fill(0.5) }));
  const ok = runCli(['predict', 'models/fashion-mnist.safetensors', '--input', x28, '--output', out]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(parseNpy(new Uint8Array(readFileSync(out))).shape, [1, 10]);
});

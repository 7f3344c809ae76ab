import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCheckpoint } from '../../src/train/checkpoint.js';
import { readModel, writeSafetensorsModel } from '../../src/model/load.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { toFloat32 } from '../../src/tensor.js';
import { CLI, runCli } from './cli-helpers.js';
import { repoRoot } from '../helpers.js';

const base = ['train', '--dataset', 'sample', '--arch', 'mobilenet_v2', '--alpha', '0.35', '--epochs', '1', '--batch', '32', '--optimizer', 'sgd', '--lr', '0.02', '--seed', '5'];

function params(dir: string): Map<string, Float32Array> {
  const c = parseCheckpoint(new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))), dir);
  return new Map([...c.params].map(([k, t]) => [k, t.data]));
}

test('train: an interrupted run resumed gives exactly the weights of an uninterrupted one', () => {
  const a = mkdtempSync(join(tmpdir(), 'mobilenet-train-a-'));
  const b = mkdtempSync(join(tmpdir(), 'mobilenet-train-b-'));
  const full = runCli([...base, '--out', a, '--max-steps', '6']);
  assert.equal(full.status, 0, full.stderr);
  assert.match(full.stderr, /stopped at epoch 1, batch 6/);
  const first = runCli([...base, '--out', b, '--max-steps', '3']);
  assert.equal(first.status, 0, first.stderr);
  const second = runCli([...base, '--out', b, '--max-steps', '3', '--resume']);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /resuming from .* at epoch 1, batch 3/);
  const pa = params(a);
  const pb = params(b);
  assert.equal(pa.size, pb.size);
  for (const [name, data] of pa) assert.ok(data.every((v, i) => v === pb.get(name)![i]), `${name} differs`);
});

test('train: an epoch resumed from inside reports the training loss and accuracy of all its batches', () => {
  // 1,000 sample images in batches of 32: 31 steps; the second run stops after 10 and resumes.
  const args = [...base, '--precise-bn', '0'];
  const a = mkdtempSync(join(tmpdir(), 'mobilenet-train-a-'));
  const b = mkdtempSync(join(tmpdir(), 'mobilenet-train-b-'));
  const metrics = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim()) as Record<string, number>;
  const full = runCli([...args, '--out', a]);
  assert.equal(full.status, 0, full.stderr);
  const first = runCli([...args, '--out', b, '--max-steps', '10']);
  assert.equal(first.status, 0, first.stderr);
  const progress = parseCheckpoint(new Uint8Array(readFileSync(join(b, 'checkpoint.safetensors'))), b).state.progress;
  assert.equal(progress?.seen, 320, 'the checkpoint carries the 10 batches\' totals');
  const second = runCli([...args, '--out', b, '--resume']);
  assert.equal(second.status, 0, second.stderr);
  const [ma, mb] = [metrics(a), metrics(b)];
  assert.equal(mb.step, 31);
  for (const key of ['step', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy']) assert.equal(mb[key], ma[key], key);
  assert.ok(mb.seconds! >= progress!.seconds, 'the epoch\'s time includes the part before the stop');
});

test('train: a full smoke epoch writes metrics, curves, a confusion matrix and a loadable model', () => {
  const out = mkdtempSync(join(tmpdir(), 'mobilenet-train-'));
  const r = runCli([...base.map((a) => (a === '1' ? '3' : a)), '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['checkpoint.safetensors', 'metrics.jsonl', 'accuracy.png', 'loss.png', 'confusion.png', 'model.safetensors', 'evaluation.json']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(metrics.length, 3);
  assert.ok(metrics[2].testAccuracy > 0.2, `three epochs on 1,000 images beat chance (10%): ${metrics[2].testAccuracy}`);
  assert.ok(metrics[2].trainLoss < metrics[0].trainLoss, 'the training loss falls');
  // Fashion-MNIST is gray: the model says so, and classify then turns colour photos to gray first.
  const written = parseSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
  assert.equal(JSON.parse(written.metadata['mobilenet.preprocess']!).grayscale, true);
  const e = runCli(['eval', join(out, 'model.safetensors'), '--dataset', 'sample', '--json']);
  assert.equal(e.status, 0, e.stderr);
  const evaluation = JSON.parse(e.stdout);
  assert.equal(evaluation.count, 500);
  assert.equal(evaluation.classes.length, 10);
  const c = runCli(['classify', join('examples', '03-dress.png'), '--model', join(out, 'model.safetensors'), '--json']);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(JSON.parse(c.stdout)[0].predictions.length, 5);
});

test('train: resuming with another architecture, and an unwritable output folder, are clear errors', () => {
  const out = mkdtempSync(join(tmpdir(), 'mobilenet-train-'));
  assert.equal(runCli([...base, '--out', out, '--max-steps', '1']).status, 0);
  const r = runCli([...base, '--out', out, '--max-steps', '1', '--resume', '--alpha', '0.5']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot resume: .* holds mobilenet_v2 .* but this run asks for/);
  const flips = runCli([...base, '--out', out, '--max-steps', '1', '--resume', '--no-flip']);
  assert.equal(flips.status, 2);
  assert.match(flips.stderr, /cannot resume: the checkpoint was trained on \{"dataset":"sample","augment":\{"cropPadding":\d+,"horizontalFlip":true.*this run asks for .*"horizontalFlip":false/);
  const blocked = join(out, 'file');
  writeFileSync(blocked, 'x');
  const w = runCli([...base, '--out', join(blocked, 'sub'), '--max-steps', '1']);
  assert.equal(w.status, 2);
  assert.match(w.stderr.trim().split('\n').at(-1)!, /cannot create the output folder/);
  chmodSync(blocked, 0o644);
});

test('train: a checkpoint that cannot be written (the disk full, here a file-size limit) is a clear error; the previous one stays intact', () => {
  const out = mkdtempSync(join(tmpdir(), 'mobilenet-train-'));
  assert.equal(runCli([...base, '--out', out, '--max-steps', '1']).status, 0);
  const good = readFileSync(join(out, 'checkpoint.safetensors'));
  // 64 KiB may be written: less than a checkpoint. Node ignores SIGXFSZ, so the write fails (EFBIG) as on a full disk.
  const r = spawnSync('sh', ['-c', 'ulimit -f 64 && exec "$0" "$@"', process.execPath, CLI, ...base, '--out', out, '--max-steps', '1', '--resume'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr.trim().split('\n').at(-1)!, /^mobilenet: cannot write .*checkpoint\.safetensors: the file would exceed the size limit .*; the previous file is unchanged$/);
  assert.deepEqual(readFileSync(join(out, 'checkpoint.safetensors')), good);
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
});

test('train: --warmup, --epsilon and the optimizers\' weight-decay defaults reach the run\'s configuration', () => {
  const run = (dir: string, ...flags: string[]) => {
    const r = runCli(['train', '--dataset', 'sample', '--epochs', '2', '--max-steps', '1', '--out', dir, ...flags]);
    assert.equal(r.status, 0, r.stderr);
    return parseCheckpoint(new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))), dir).state.config;
  };
  const adamw = run(mkdtempSync(join(tmpdir(), 'mobilenet-train-')), '--optimizer', 'adamw', '--warmup', '0.5', '--epsilon', '1e-6');
  assert.deepEqual(adamw.optimizer, { type: 'adamw', epsilon: 1e-6, weightDecay: 0.01 }, 'AdamW: decoupled decay 0.01 unless given');
  assert.equal(adamw.schedule.warmupEpochs, 0.5);
  const rmsprop = run(mkdtempSync(join(tmpdir(), 'mobilenet-train-')), '--optimizer', 'rmsprop', '--weight-decay', '0');
  assert.deepEqual(rmsprop.optimizer, { type: 'rmsprop', style: 'tensorflow', rho: 0.9, momentum: 0.9, epsilon: 1.0, weightDecay: 0 }, 'an explicit 0 stays 0');
  assert.equal(rmsprop.schedule.warmupEpochs, undefined);
  const sgd = run(mkdtempSync(join(tmpdir(), 'mobilenet-train-')));
  assert.deepEqual(sgd.optimizer, { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.0005 }, 'the default recipe');
  const bad = runCli(['train', '--dataset', 'sample', '--epsilon', '1e-3', '--out', join(tmpdir(), 'never-created')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--epsilon applies to rmsprop and adamw, not sgd/);
});

test('train: a diverging run stops with a clear message and leaves the last good checkpoint untouched', () => {
  const out = mkdtempSync(join(tmpdir(), 'mobilenet-train-'));
  // lr 1e8 sends the loss to NaN/∞ within a few steps; the first 3 are still finite and checkpointed.
  const args = ['train', '--dataset', 'sample', '--epochs', '2', '--lr', '1e8', '--out', out];
  const first = runCli([...args, '--max-steps', '3']);
  assert.equal(first.status, 0, first.stderr);
  const good = readFileSync(join(out, 'checkpoint.safetensors'));
  const r = runCli([...args, '--resume']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^mobilenet: the loss is (NaN|-?Infinity) at step \d+: training diverged \(try a lower learning rate\); .*checkpoint\.safetensors \(epoch 1, batch 3\) is kept, untouched$/m);
  assert.deepEqual(readFileSync(join(out, 'checkpoint.safetensors')), good, 'the checkpoint is the last good one');
  assert.ok(!existsSync(join(out, 'model.safetensors')), 'no model from a diverged run');
});

test('eval --tta flip: the bundled model on the sample test set, labelled as test-time augmented; a bad mode is refused', () => {
  const r = runCli(['eval', join('models', 'fashion-mnist.safetensors'), '--dataset', 'sample', '--tta', 'flip', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const e = JSON.parse(r.stdout);
  assert.equal(e.testTimeAugmentation, 'flip');
  assert.equal(e.count, 500);
  assert.ok(e.accuracy > 0.85, `accuracy ${e.accuracy}`);
  const bad = runCli(['eval', join('models', 'fashion-mnist.safetensors'), '--dataset', 'sample', '--tta', 'crops']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--tta must be one of none, flip/);
});

test('train: a run too short for the BN moving averages recomputes the statistics unless --precise-bn 0', () => {
  // 15 steps of batch 64 on the sample; the default V1 (Keras convention) averages BN over ~100 steps.
  const run = (...flags: string[]) => {
    const out = mkdtempSync(join(tmpdir(), 'mobilenet-train-'));
    const r = runCli(['train', '--dataset', 'sample', '--epochs', '1', '--out', out, ...flags]);
    assert.equal(r.status, 0, r.stderr);
    return { stderr: r.stderr, evaluation: JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8')) as { preciseBatchNormImages: number } };
  };
  const auto = run();
  assert.match(auto.stderr, /precise BN: statistics recomputed over \d+ training images \(the run's 15 steps are too few/);
  assert.ok(auto.evaluation.preciseBatchNormImages > 0 && auto.evaluation.preciseBatchNormImages <= 2048);
  const off = run('--precise-bn', '0');
  assert.doesNotMatch(off.stderr, /precise BN/);
  assert.equal(off.evaluation.preciseBatchNormImages, 0);
});

test('eval normalizes as the model says, divisor included: (x / 127.5 − 2m) / 2s evaluates like (x / 255 − m) / s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-eval-'));
  const bundled = join('models', 'fashion-mnist.safetensors');
  const model = await readModel(new Uint8Array(readFileSync(bundled)), { fileName: bundled });
  const p = model.metadata.preprocess;
  const rescaled = join(dir, 'rescaled.safetensors');
  writeFileSync(rescaled, writeSafetensorsModel({ ...model, metadata: { ...model.metadata, preprocess: { ...p, divisor: 127.5, mean: p.mean.map((m) => 2 * m) as typeof p.mean, std: p.std.map((s) => 2 * s) as typeof p.std } } }));
  const evaluate = (file: string) => {
    const r = runCli(['eval', file, '--dataset', 'sample', '--json']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { accuracy: number; loss: number };
  };
  const a = evaluate(bundled);
  const b = evaluate(rescaled);
  assert.equal(b.accuracy, a.accuracy);
  assert.ok(Math.abs(b.loss - a.loss) < 1e-4, `loss ${b.loss} vs ${a.loss}`);
});

test('a training checkpoint is a model: eval on it gives the run\'s own evaluation (EMA weights where the run keeps them)', () => {
  const out = mkdtempSync(join(tmpdir(), 'mobilenet-train-ckpt-'));
  const r = runCli([...base, '--ema', '0.9', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const e = runCli(['eval', join(out, 'checkpoint.safetensors'), '--dataset', 'sample', '--json']);
  assert.equal(e.status, 0, e.stderr);
  // The epoch's test evaluation ran the EMA weights (the raw parameters give another loss).
  const evaluation = JSON.parse(e.stdout);
  assert.equal(evaluation.accuracy, metrics.at(-1).testAccuracy);
  assert.ok(Math.abs(evaluation.loss - metrics.at(-1).testLoss) < 1e-9, `loss ${evaluation.loss} vs the run's ${metrics.at(-1).testLoss}`);
  const c = runCli(['classify', join('examples', '03-dress.png'), '--model', join(out, 'checkpoint.safetensors'), '--json']);
  assert.equal(c.status, 0, c.stderr);
});

test('train --swa-epochs: the model is the mean of the last epochs\' weights, kept in the checkpoint so that a resumed run ends the same', () => {
  // 1,000 sample images in batches of 64: 15 steps per epoch; B stops after epoch 2 and resumes.
  const args = ['train', '--dataset', 'sample', '--arch', 'mobilenet_v2', '--alpha', '0.35', '--epochs', '3', '--batch', '64', '--lr', '0.02', '--seed', '5', '--swa-epochs', '2'];
  const a = mkdtempSync(join(tmpdir(), 'mobilenet-swa-a-'));
  const b = mkdtempSync(join(tmpdir(), 'mobilenet-swa-b-'));
  const full = runCli([...args, '--out', a]);
  assert.equal(full.status, 0, full.stderr);
  assert.match(full.stderr, /weight averaging: the model is the mean of the weights after the last 2 epochs/);
  assert.match(full.stderr, /precise BN: statistics recomputed over \d+ training images \(averaged weights need statistics of their own/);
  const first = runCli([...args, '--out', b, '--max-steps', '30']);
  assert.equal(first.status, 0, first.stderr);
  const afterTwo = parseCheckpoint(new Uint8Array(readFileSync(join(b, 'checkpoint.safetensors'))), b);
  assert.deepEqual(afterTwo.state.position, { epoch: 2, batch: 0 });
  assert.equal(afterTwo.state.swa?.count, 1, 'epoch 2 is the first averaged one');
  const second = runCli([...args, '--out', b, '--resume']);
  assert.equal(second.status, 0, second.stderr);

  const final = parseCheckpoint(new Uint8Array(readFileSync(join(a, 'checkpoint.safetensors'))), a);
  assert.equal(final.state.swa?.count, 2);
  // The average, computed here from the two epochs' weights: those after epoch 2 (B's checkpoint) and after epoch 3.
  for (const [name, p3] of final.params) {
    const p2 = afterTwo.params.get(name)!.data;
    const mean = final.swa!.get(name)!.data;
    for (let i = 0; i < mean.length; i++) {
      const expected = (p2[i]! + p3.data[i]!) / 2;
      assert.ok(Math.abs(mean[i]! - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `${name}[${i}]: ${mean[i]} vs ${expected}`);
    }
  }
  // The exported model holds the mean (fp16), BN statistics aside: they are recomputed for it.
  const model = parseSafetensors(new Uint8Array(readFileSync(join(a, 'model.safetensors'))));
  const exported = model.tensors.get('classifier.weight')!;
  const classifierMean = final.swa!.get('classifier.weight')!.data;
  const exportedValues = toFloat32(exported);
  for (let i = 0; i < classifierMean.length; i++) assert.ok(Math.abs(exportedValues[i]! - classifierMean[i]!) <= 1e-3 * Math.max(1, Math.abs(classifierMean[i]!)), `classifier.weight[${i}]`);
  // Resumed after epoch 2, B ends with the same average and the same model, bit for bit.
  assert.deepEqual(readFileSync(join(b, 'model.safetensors')), readFileSync(join(a, 'model.safetensors')));
  const resumed = parseCheckpoint(new Uint8Array(readFileSync(join(b, 'checkpoint.safetensors'))), b);
  for (const [name, t] of final.swa!) assert.deepEqual(resumed.swa!.get(name)!.data, t.data, name);

  // Averaging does not change the training: a run started without it may turn it on when resumed
  // before its first averaged epoch (and ends as if it had always been on), not after.
  const withoutSwa = args.filter((x, i) => x !== '--swa-epochs' && args[i - 1] !== '--swa-epochs');
  const late = mkdtempSync(join(tmpdir(), 'mobilenet-swa-e-'));
  assert.equal(runCli([...withoutSwa, '--out', late, '--max-steps', '15']).status, 0);
  const turnedOn = runCli([...args, '--out', late, '--resume']);
  assert.equal(turnedOn.status, 0, turnedOn.stderr);
  assert.deepEqual(readFileSync(join(late, 'model.safetensors')), readFileSync(join(a, 'model.safetensors')));
  const tooLate = mkdtempSync(join(tmpdir(), 'mobilenet-swa-f-'));
  assert.equal(runCli([...withoutSwa, '--out', tooLate, '--max-steps', '30']).status, 0);
  const refused = runCli([...args, '--out', tooLate, '--resume']);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /cannot resume: the checkpoint was trained with .*this run asks for .*"swaEpochs":2/);

  // --swa-lr holds a learning rate over the averaged epochs (the lr field is the next step's).
  const held = mkdtempSync(join(tmpdir(), 'mobilenet-swa-g-'));
  const heldRun = runCli([...args, '--swa-lr', '0.05', '--out', held]);
  assert.equal(heldRun.status, 0, heldRun.stderr);
  const lrs = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { lr: number }).lr);
  assert.deepEqual(lrs(held), [0.05, 0.05, 0.05]);
  assert.ok(lrs(a).every((lr) => lr < 0.02), `the schedule alone: ${lrs(a)}`);
  assert.notDeepEqual(readFileSync(join(held, 'model.safetensors')), readFileSync(join(a, 'model.safetensors')));
  // Like --swa-epochs, it changes nothing before the averaged epochs: turned on at resume after
  // epoch 1, the model is the same bit for bit; after epoch 2 a different rate is refused.
  const heldLate = mkdtempSync(join(tmpdir(), 'mobilenet-swa-h-'));
  assert.equal(runCli([...withoutSwa, '--out', heldLate, '--max-steps', '15']).status, 0);
  const heldOn = runCli([...args, '--swa-lr', '0.05', '--out', heldLate, '--resume']);
  assert.equal(heldOn.status, 0, heldOn.stderr);
  assert.deepEqual(readFileSync(join(heldLate, 'model.safetensors')), readFileSync(join(held, 'model.safetensors')));
  const heldChanged = runCli([...args, '--swa-lr', '0.03', '--out', b, '--resume']);
  assert.equal(heldChanged.status, 2);
  assert.match(heldChanged.stderr, /cannot resume: the checkpoint was trained with .*this run asks for .*"swaLr":0.03/);
  for (const [flags, message] of [
    [['--swa-lr', '0.05'], /--swa-lr needs --swa-epochs/],
    [['--swa-epochs', '2', '--swa-lr', '0'], /--swa-lr/],
    [['--swa-epochs', '2', '--swa-lr', 'fast'], /--swa-lr/],
  ] as const) {
    const r = runCli([...withoutSwa, ...flags, '--out', mkdtempSync(join(tmpdir(), 'mobilenet-swa-i-'))]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
  }

  const both = runCli([...args, '--out', mkdtempSync(join(tmpdir(), 'mobilenet-swa-c-')), '--ema', '0.99']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--swa-epochs and --ema are two ways of averaging the weights; choose one/);
  const many = runCli([...args, '--out', mkdtempSync(join(tmpdir(), 'mobilenet-swa-d-')), '--swa-epochs', '4']);
  assert.equal(many.status, 2);
  assert.match(many.stderr, /--swa-epochs 4 is more than the run's 3 epochs/);
});


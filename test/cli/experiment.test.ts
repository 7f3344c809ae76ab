/**
 * `mobilenet experiment …` as a user runs it: tables or JSON on stdout, figures on disk, one-line
 * errors with exit 2 for bad arguments, and a tradeoff sweep that resumes from its folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-helpers.js';

const PNG = [0x89, 0x50, 0x4e, 0x47];

function isPng(path: string): boolean {
  const bytes = readFileSync(path);
  return PNG.every((b, i) => bytes[i] === b);
}

test('experiment tradeoff: a 2×2 grid on the bundled sample; cost rises with α and resolution; a rerun reads the runs back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-tradeoff-'));
  try {
    const args = ['experiment', 'tradeoff', '--dataset', 'sample', '--alphas', '0.25,0.5', '--resolutions', '16,24', '--train-images', '128',
      '--epochs', '1', '--batch', '32', '--latency-iters', '3', '--out', dir, '--json'];
    const first = runCli(args, { timeoutMs: 300_000 });
    assert.equal(first.status, 0, first.stderr);
    const result = JSON.parse(first.stdout) as {
      rows: { alpha: number; resolution: number; macs: number; params: number; accuracy: number; latencyMs: number }[];
      pareto: { alpha: number; resolution: number }[];
      figures: { macs: string; latency: string };
    };
    assert.deepEqual(result.rows.map((r) => [r.alpha, r.resolution]), [[0.25, 16], [0.25, 24], [0.5, 16], [0.5, 24]]);
    const [a16, a24, b16, b24] = result.rows;
    // Multiply-adds grow with resolution² at a fixed α and with α at a fixed resolution; weights only with α.
    assert.ok(a16!.macs < a24!.macs && b16!.macs < b24!.macs && a16!.macs < b16!.macs);
    assert.equal(a16!.params, a24!.params);
    assert.ok(a16!.params < b16!.params);
    for (const r of result.rows) {
      assert.ok(r.accuracy >= 0 && r.accuracy <= 1, `accuracy ${r.accuracy}`);
      assert.ok(r.latencyMs > 0);
    }
    assert.ok(result.pareto.length >= 1);
    assert.ok(isPng(result.figures.macs) && isPng(result.figures.latency));
    const saved = JSON.parse(readFileSync(join(dir, 'tradeoff.json'), 'utf8')) as typeof result;
    assert.deepEqual(saved.rows.map((r) => r.accuracy), result.rows.map((r) => r.accuracy));

    // The same command again trains nothing: every point is read back from its run folder.
    const again = runCli(args.filter((a) => a !== '--json'), { timeoutMs: 120_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.equal((again.stderr.match(/already trained/g) ?? []).length, 4, again.stderr);
    for (const r of result.rows) assert.match(again.stdout, new RegExp(`${(100 * r.accuracy).toFixed(2)}%`));
    assert.match(again.stdout, /pareto/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('experiment tradeoff: the same seed gives the same accuracies', () => {
  const runs = [0, 1].map(() => {
    const dir = mkdtempSync(join(tmpdir(), 'mobilenet-tradeoff-'));
    try {
      const r = runCli(['experiment', 'tradeoff', '--dataset', 'sample', '--alphas', '0.25', '--resolutions', '16', '--train-images', '96',
        '--epochs', '1', '--batch', '32', '--latency-iters', '1', '--out', dir, '--json'], { timeoutMs: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { rows: { accuracy: number }[] }).rows[0]!.accuracy;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  assert.equal(runs[0], runs[1]);
});

test('experiment: bad arguments are one-line errors with exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['experiment', 'tradeoff', '--alphas', '0.5,0.5'], /repeat/],
    [['experiment', 'tradeoff', '--alphas', 'wide'], /--alphas/],
    [['experiment', 'tradeoff', '--resolutions', '28,'], /--resolutions/],
    [['experiment', 'tradeoff', '--resolutions', '4'], /--resolutions/],
    [['experiment', 'tradeoff', '--dataset', 'folder:/tmp'], /--dataset/],
    [['experiment', 'tradeoff', '--train-images', '10', '--batch', '64'], /--train-images/],
    [['experiment', 'manifold', '--dims', '1,2'], /--dims/],
    [['experiment', 'memory', '--resolution', 'big'], /--resolution/],
  ];
  for (const [args, pattern] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('experiment manifold and memory: tables or JSON with figures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-experiment-'));
  try {
    const manifold = runCli(['experiment', 'manifold', '--dims', '2,15', '--points', '200', '--trials', '3', '--out', join(dir, 'm.png'), '--json']);
    assert.equal(manifold.status, 0, manifold.stderr);
    const m = JSON.parse(manifold.stdout) as { runs: { n: number; reluError: number; linearError: number }[] };
    assert.ok(m.runs[0]!.reluError > m.runs[1]!.reluError, 'the ReLU error falls from n = 2 to n = 15');
    assert.ok(m.runs.every((r) => r.linearError < 1e-9));
    assert.ok(isPng(join(dir, 'm.png')));
    const memory = runCli(['experiment', 'memory', '--resolution', '224', '--out', join(dir, 'mem.svg')]);
    assert.equal(memory.status, 0, memory.stderr);
    // MobileNetV2 Table 3 (first version): 1600 KB for V1, 400 KB for V2 at 16 bits.
    const [, v1, v2] = /max: V1 (\d+) KB, V2 (\d+) KB/.exec(memory.stdout) ?? [];
    assert.ok(Math.abs(Number(v1) / 1600 - 1) < 0.01 && Math.abs(Number(v2) / 400 - 1) < 0.01, memory.stdout);
    assert.match(readFileSync(join(dir, 'mem.svg'), 'utf8'), /^<svg/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('experiment tradeoff: points trained without precise BN are recalibrated by a rerun that asks for it, once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-tradeoff-'));
  try {
    const args = ['experiment', 'tradeoff', '--dataset', 'sample', '--alphas', '0.25', '--resolutions', '16', '--train-images', '96',
      '--epochs', '1', '--batch', '32', '--latency-iters', '1', '--out', dir, '--json'];
    const plain = runCli([...args, '--precise-bn', '0'], { timeoutMs: 120_000 });
    assert.equal(plain.status, 0, plain.stderr);
    assert.doesNotMatch(plain.stderr, /precise BN/);
    const evaluation = () => JSON.parse(readFileSync(join(dir, 'runs', 'alpha-0.25_res-16', 'evaluation.json'), 'utf8')) as { accuracy: number; preciseBatchNormImages: number };
    assert.equal(evaluation().preciseBatchNormImages, 0);
    const precise = runCli(args, { timeoutMs: 120_000 });
    assert.equal(precise.status, 0, precise.stderr);
    assert.equal((precise.stderr.match(/precise BN/g) ?? []).length, 1, precise.stderr);
    assert.equal(evaluation().preciseBatchNormImages, 96, 'the whole 96-image subset, in batches of 32');
    const result = JSON.parse(precise.stdout) as { rows: { accuracy: number }[]; preciseBatchNorm: number };
    assert.equal(result.preciseBatchNorm, 2048);
    assert.equal(result.rows[0]!.accuracy, evaluation().accuracy);
    const again = runCli(args, { timeoutMs: 120_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /precise BN/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

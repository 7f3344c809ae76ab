import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './cli-helpers.js';

test('summary --json prints one object with the documented keys and the published totals', () => {
  const r = runCli(['summary', 'mobilenet_v2', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one JSON line');
  const s = JSON.parse(lines[0]!);
  for (const key of ['model', 'config', 'totals', 'byType', 'layers']) assert.ok(key in s, key);
  for (const key of ['macs', 'params', 'largestTensorBytes', 'peakActivationBytes']) assert.ok(key in s.totals, key);
  assert.equal(s.totals.params.trainable, 3_504_872);
  assert.equal(s.totals.params.all, 3_538_984);
  assert.equal(Math.floor(s.totals.macs / 1e6), 300);
  assert.equal(s.totals.largestTensorBytes, 112 * 112 * 96 * 4);
  for (const layer of s.layers) for (const key of ['name', 'op', 'inputShape', 'outputShape', 'params', 'macs']) assert.ok(key in layer);
});

test('summary options: slim convention with 1001 classes, α and resolution from the name', () => {
  const r = runCli(['summary', 'mobilenet_v2_0.35_96', '--convention', 'slim', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.config.classes, 1001);
  assert.equal(Math.floor(s.totals.macs / 1e6), 11);
  assert.equal(Math.round(s.totals.params.noBN / 1e4) / 100, 1.66);
  const v1 = JSON.parse(runCli(['summary', 'mobilenet_v1', '--alpha', '0.5', '--resolution', '160', '--output-stride', '16', '--json']).stdout);
  assert.equal(v1.config.alpha, 0.5);
  assert.equal(v1.config.outputStride, 16);
  assert.deepEqual(v1.layers.at(-1).outputShape, [1000]);
});

test('summary prints a table and --markdown prints markdown', () => {
  const text = runCli(['summary', 'mobilenet_v1']);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /blocks\.12\.pw\.conv\s+pw 1×1\s+7×7×1024\s+7×7×1024\s+1,048,576\s+51,380,224/);
  assert.match(text.stdout, /Conv 1×1\s+539\.\d+M\s+94\.86/);
  const md = runCli(['summary', 'mobilenet_v2', '--markdown']);
  assert.equal(md.status, 0);
  assert.match(md.stdout, /^\| name \| operator \|/m);
});

test('models lists every preset', () => {
  const r = runCli(['models', '--json']);
  assert.equal(r.status, 0);
  const models = JSON.parse(r.stdout) as Array<{ name: string }>;
  assert.equal(models.length, 46);
  assert.ok(models.some((m) => m.name === 'mobilenet_v2_0.35_96'));
  assert.ok(models.some((m) => m.name === 'mobilenet_v1_0.75_160'));
});

test('bad input: exit 2 with one line naming the value, never a stack trace', () => {
  const cases: Array<[string[], RegExp]> = [
    [['summary', 'mobilenet_v3'], /unknown model 'mobilenet_v3'/],
    [['summary', 'mobilenet_v2', '--alpha', '0'], /--alpha must be a positive number, got '0'/],
    [['summary', 'mobilenet_v2', '--alpha', '-1'], /--alpha must be a positive number, got '-1'/],
    [['summary', 'mobilenet_v2', '--alpha', 'abc'], /--alpha must be a number, got 'abc'/],
    [['summary', 'mobilenet_v2', '--resolution', '31'], /--resolution must be an integer ≥ 32, got '31'/],
    [['summary', 'mobilenet_v2', '--resolution', '100.5'], /--resolution must be an integer ≥ 32, got '100.5'/],
    [['summary', 'mobilenet_v2', '--output-stride', '4'], /--output-stride must be one of 8, 16, 32, got '4'/],
    [['summary', 'mobilenet_v2', '--convention', 'caffe'], /--convention must be one of torchvision, keras, slim, got 'caffe'/],
    [['summary', 'mobilenet_v2', '--frobnicate'], /unknown option '--frobnicate'/],
    [['summary', 'mobilenet_v2_0.35_96', '--alpha', '0.5'], /contradicts the model name/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0]!, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  }
});

test('--help on every command', () => {
  for (const args of [['--help'], ['summary', '--help'], ['models', '--help']]) {
    const r = runCli(args);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: mobilenet/);
  }
});

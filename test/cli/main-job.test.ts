/**
 * The README's main job on a fresh machine: `mobilenet classify examples/*.png` with the bundled
 * model, offline. The truth is Fashion-MNIST's own test labels (the file names carry them: NN mod 10).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { runCli } from './cli-helpers.js';

test('classify examples/*.png with the bundled model: one line per file, at least 18 of the 20 right', () => {
  const files = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.png')).sort().map((f) => join('examples', f));
  assert.equal(files.length, 20);
  const env = { MOBILENET_OFFLINE: '1' };
  const json = runCli(['classify', ...files, '--json'], { env });
  assert.equal(json.status, 0, json.stderr);
  const results = JSON.parse(json.stdout) as { file: string; predictions: { index: number; label: string; score: number }[] }[];
  assert.deepEqual(results.map((r) => r.file), files);
  const right = results.filter((r) => r.predictions[0]!.index === Number(/(\d\d)-/.exec(r.file)![1]) % 10).length;
  assert.ok(right >= 18, `${right} of 20 right`);
  for (const r of results) {
    const sum = r.predictions.reduce((a, p) => a + p.score, 0);
    assert.ok(sum > 0 && sum <= 1 + 1e-6, `${r.file}: top scores sum to ${sum}`);
  }
  const text = runCli(['classify', ...files], { env });
  assert.equal(text.status, 0, text.stderr);
  // Each file: its name with the top label and probability, then the runners-up indented.
  const heads = text.stdout.trim().split('\n').filter((line) => !line.startsWith(' '));
  assert.equal(heads.length, 20);
  heads.forEach((line, i) => {
    assert.ok(line.startsWith(`${files[i]}: `), line);
    assert.match(line, /: .+ \(\d+\.\d%\)$/);
  });
});

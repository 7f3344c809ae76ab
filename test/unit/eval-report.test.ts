/**
 * eval's text report: per-class lines with their test-image counts ("n/a" for a class without test
 * images rather than a 0.0% that reads as all wrong), and the confusion matrix for up to 20 classes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEvaluation } from '../../src/cli/commands/train.js';

test('formatEvaluation prints per-class counts, n/a for an empty class, and the confusion matrix', () => {
  const confusion = [[3, 1, 0], [0, 0, 0], [2, 0, 4]];
  const text = formatEvaluation({ accuracy: 0.7, loss: 0.5, perClass: [0.75, 0, 4 / 6], confusion, count: 10, classes: ['cat', 'dog', 'bird'], skipped: ['x/bad.png'] }, false);
  assert.match(text, /^accuracy 70\.00% on 10 images \(loss 0\.5000\)$/m);
  assert.match(text, /skipped 1 image\(s\) that failed to decode: x\/bad\.png/);
  assert.match(text, /0 cat\s+75\.0% of 4$/m);
  assert.match(text, /1 dog\s+n\/a \(no test images\)$/m);
  assert.match(text, /2 bird\s+66\.7% of 6$/m);
  const rows = text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('confusion matrix')) + 2, -1);
  assert.deepEqual(rows.map((r) => r.trim().split(/\s+/).map(Number)), [[0, 3, 1, 0], [1, 0, 0, 0], [2, 2, 0, 4]]);
});

test('formatEvaluation leaves a matrix too wide for a terminal to --json and --out', () => {
  const n = 21;
  const confusion = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const text = formatEvaluation({ accuracy: 1, loss: 0, perClass: new Array(n).fill(1), confusion, count: n, classes: confusion.map((_, i) => `c${i}`) }, true);
  assert.match(text, /with flip test-time augmentation/);
  assert.match(text, /the 21×21 confusion matrix is in evaluation\.json/);
  assert.doesNotMatch(text, /rows: true class/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manifoldExperiment, pseudoInverse, linearFitError } from '../../src/experiments/manifold.js';

test('manifold collapse: the ReLU error falls as n grows, the linear one is zero, and runs are deterministic', () => {
  const a = manifoldExperiment({ seed: 3 });
  const b = manifoldExperiment({ seed: 3 });
  assert.deepEqual(a.runs.map((r) => r.reluError), b.runs.map((r) => r.reluError));
  assert.deepEqual(a.runs.map((r) => r.n), [2, 3, 5, 15, 30]);
  for (let i = 1; i < a.runs.length; i++) {
    assert.ok(a.runs[i]!.reluError < a.runs[i - 1]!.reluError, `n=${a.runs[i]!.n}: ${a.runs[i]!.reluError} ≥ ${a.runs[i - 1]!.reluError}`);
  }
  for (const r of a.runs) assert.ok(r.linearError < 1e-20, `linear n=${r.n}: ${r.linearError}`);
  assert.ok(a.runs[0]!.reluError > 0.3 && a.runs.at(-1)!.reluError < 0.15);
});

test('pseudo-inverse and the linear fit are exact on known cases', () => {
  // T = [[1, 0], [0, 2], [1, 1]]: T⁺T = I.
  const T = Float64Array.from([1, 0, 0, 2, 1, 1]);
  const pinv = pseudoInverse(T, 3);
  const product = [0, 1].map((r) => [0, 1].map((c) => pinv[r * 3]! * T[c]! + pinv[r * 3 + 1]! * T[2 + c]! + pinv[r * 3 + 2]! * T[4 + c]!));
  assert.ok(Math.abs(product[0]![0]! - 1) < 1e-12 && Math.abs(product[0]![1]!) < 1e-12 && Math.abs(product[1]![1]! - 1) < 1e-12);
  const x = Float64Array.from([1, 2, -3, 0.5, 2, -1]);
  const scaled = x.map((v, i) => (i % 2 === 0 ? 2 * v : -v));
  assert.ok(linearFitError(scaled, x) < 1e-20, 'a linear image of the points is fully recoverable');
});

test('bad manifold options are refused', () => {
  assert.throws(() => manifoldExperiment({ dims: [1] }), /dims must be integers from 2/);
  assert.throws(() => manifoldExperiment({ points: 2 }), /points must be an integer/);
});

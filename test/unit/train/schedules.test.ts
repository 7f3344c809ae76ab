import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobileNetError } from '../../../src/errors.js';
import { constant, cosine, exponentialDecay, holdFrom, stepDecay, warmup, type Schedule } from '../../../src/train/schedules.js';

/** Equal up to a few ulps of the larger value (schedules are float64 throughout). */
function close(actual: number, expected: number, message?: string): void {
  const tolerance = 4 * Number.EPSILON * Math.max(Math.abs(actual), Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${message ?? ''} ${actual} vs ${expected}`);
}

const SPE = 100; // steps per epoch

test('constant', () => {
  const s = constant(0.1);
  for (const step of [0, 1, 99, 12345]) assert.equal(s(step, SPE), 0.1);
});

test('the MobileNetV2 recipe: 0.045 × 0.98 per epoch, smooth and staircase agree at whole epochs', () => {
  const smooth = exponentialDecay({ lr: 0.045, decayRate: 0.98 });
  const stairs = exponentialDecay({ lr: 0.045, decayRate: 0.98, staircase: true });
  assert.equal(smooth(0, SPE), 0.045);
  close(smooth(10 * SPE, SPE), 0.045 * 0.98 ** 10, 'epoch 10');
  close(stairs(10 * SPE, SPE), 0.045 * 0.98 ** 10, 'epoch 10 staircase');
  close(smooth(250 * SPE, SPE), 0.045 * 0.98 ** 250, 'epoch 250');
  // within an epoch: smooth moves, staircase holds
  close(smooth(10 * SPE + 50, SPE), 0.045 * 0.98 ** 10.5, 'epoch 10.5');
  close(stairs(10 * SPE + 99, SPE), 0.045 * 0.98 ** 10, 'epoch 10.99 staircase');
  close(stairs(11 * SPE, SPE), 0.045 * 0.98 ** 11, 'epoch 11 staircase');
});

test('staircase with slim\'s num_epochs_per_decay: decay steps = ⌊stepsPerEpoch · epochsPerDecay⌋', () => {
  // slim's defaults: 0.01 × 0.94 every 2 epochs
  const s = exponentialDecay({ lr: 0.01, decayRate: 0.94, epochsPerDecay: 2, staircase: true });
  assert.equal(s(199, SPE), 0.01);
  close(s(200, SPE), 0.01 * 0.94);
  close(s(599, SPE), 0.01 * 0.94 ** 2);
  // fractional steps per epoch (1281167 images / batch 96) → decay every ⌊13345.49 · 2.5⌋ = 33363 steps
  const spe = 1281167 / 96;
  const v2 = exponentialDecay({ lr: 0.045, decayRate: 0.98, epochsPerDecay: 2.5, staircase: true });
  assert.equal(v2(33362, spe), 0.045);
  close(v2(33363, spe), 0.045 * 0.98);
  // a third of an epoch of 300 steps is 100 steps, not 99 after rounding noise
  const third = exponentialDecay({ lr: 1, decayRate: 0.5, epochsPerDecay: 1 / 3, staircase: true });
  assert.equal(third(99, 300), 1);
  assert.equal(third(100, 300), 0.5);
});

test('step decay at milestones (epochs), torch MultiStepLR', () => {
  const s = stepDecay({ lr: 0.1, milestones: [60, 30, 90] });
  assert.equal(s(0, SPE), 0.1);
  assert.equal(s(30 * SPE - 1, SPE), 0.1);
  close(s(30 * SPE, SPE), 0.01);
  close(s(60 * SPE, SPE), 0.001);
  close(s(95 * SPE, SPE), 0.0001);
  close(stepDecay({ lr: 1, milestones: [1], gamma: 0.5 })(SPE, SPE), 0.5);
});

test('cosine: lr at 0, the mean halfway, finalLr at the end and after', () => {
  const s = cosine({ lr: 0.1, epochs: 10, finalLr: 0.001 });
  assert.equal(s(0, SPE), 0.1);
  close(s(5 * SPE, SPE), (0.1 + 0.001) / 2);
  close(s(10 * SPE, SPE), 0.001);
  close(s(20 * SPE, SPE), 0.001);
  close(s(2.5 * SPE, SPE), 0.001 + (0.099 * (1 + Math.cos(Math.PI / 4))) / 2);
  const toZero = cosine({ lr: 2, epochs: 1 });
  close(toZero(SPE, SPE), 0);
  // monotone
  let last = Infinity;
  for (let step = 0; step <= 10 * SPE; step += 7) {
    const v = s(step, SPE);
    assert.ok(v <= last);
    last = v;
  }
});

test('linear warm-up: from startFactor·lr to the wrapped schedule, then the schedule alone', () => {
  const inner = cosine({ lr: 0.4, epochs: 100 });
  const s = warmup(inner, { epochs: 5 });
  assert.equal(s(0, SPE), 0);
  close(s(250, SPE), 0.5 * inner(250, SPE));
  close(s(499, SPE), (499 / 500) * inner(499, SPE));
  assert.equal(s(500, SPE), inner(500, SPE));
  assert.equal(s(5000, SPE), inner(5000, SPE));

  const fromTenth = warmup(constant(1), { steps: 10, startFactor: 0.1 });
  close(fromTenth(0, SPE), 0.1);
  close(fromTenth(5, SPE), 0.55);
  assert.equal(fromTenth(10, SPE), 1);

  // shifted: the wrapped schedule starts after the warm-up
  const decay = exponentialDecay({ lr: 0.045, decayRate: 0.98 });
  const shifted = warmup(decay, { epochs: 1, shift: true });
  close(shifted(50, SPE), 0.5 * 0.045);
  assert.equal(shifted(SPE, SPE), 0.045);
  close(shifted(11 * SPE, SPE), 0.045 * 0.98 ** 10);
});

test('holdFrom (SWA): the inner schedule before the epoch, the held rate from its first step on', () => {
  const inner = cosine({ lr: 0.1, epochs: 10 });
  const s = holdFrom(inner, 8, 0.01);
  for (const step of [0, 1, 450, 799]) close(s(step, SPE), inner(step, SPE), `step ${step}`);
  for (const step of [800, 801, 999, 5000]) assert.equal(s(step, SPE), 0.01);
  assert.ok(inner(800, SPE) < 0.01, 'the cosine has fallen below the held rate by then');
});

test('schedules are pure: the same (step, stepsPerEpoch) always gives the same value', () => {
  const s: Schedule = warmup(stepDecay({ lr: 0.1, milestones: [2, 4] }), { epochs: 1 });
  const first = [0, 50, 100, 250, 450].map((step) => s(step, SPE));
  s(10_000, SPE);
  assert.deepEqual([0, 50, 100, 250, 450].map((step) => s(step, SPE)), first);
});

test('bad arguments are refused with INVALID_ARGUMENT', () => {
  const invalid = (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_ARGUMENT';
  assert.throws(() => constant(-1), invalid);
  assert.throws(() => exponentialDecay({ lr: 0.1, decayRate: 0 }), invalid);
  assert.throws(() => cosine({ lr: 0.1, epochs: 0 }), invalid);
  assert.throws(() => warmup(constant(1), {}), invalid);
  assert.throws(() => warmup(constant(1), { epochs: 1, steps: 5 }), invalid);
  assert.throws(() => constant(1)(-1, SPE), invalid);
  assert.throws(() => constant(1)(0, 0), invalid);
  assert.throws(() => holdFrom(constant(1), -1, 0.1), invalid);
  assert.throws(() => holdFrom(constant(1), 2, 0), invalid);
  assert.throws(() => holdFrom(constant(1), 2, 0.1)(-1, SPE), invalid);
});

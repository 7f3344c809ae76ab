/**
 * The training-checkpoint parser: a checkpoint round-trips (with a partly done epoch's totals), and a
 * malformed train.state is refused with a message that names the field, before a resumed run trusts it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCheckpoint, serializeCheckpoint, CHECKPOINT_STATE_KEY, type Checkpoint } from '../../../src/train/checkpoint.js';
import { parseSafetensors, serializeSafetensors } from '../../../src/io/safetensors.js';
import { presetConfig } from '../../../src/data/preprocess.js';
import { MobileNetError, type ErrorCode } from '../../../src/errors.js';
import type { TrainConfig } from '../../../src/train/trainer.js';

const config: TrainConfig = {
  epochs: 2,
  batchSize: 32,
  lr: 0.1,
  optimizer: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 },
  schedule: { type: 'cosine' },
  labelSmoothing: 0.1,
  seed: 0,
  emaDecay: 0,
  freezeBackbone: false,
};

const checkpoint: Checkpoint = {
  model: { model: 'mobilenet_v1', options: { alpha: 0.25, classes: 10 }, preprocess: presetConfig('keras', 32), labels: [] },
  state: {
    version: 1,
    config,
    step: 12,
    position: { epoch: 1, batch: 5 },
    optimizer: { kind: 'sgd', scalars: {} },
    progress: { lossSum: 301.25, correct: 97, seen: 160, seconds: 4.5 },
  },
  params: new Map([['fc.weight', { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }]]),
  optimizer: { kind: 'sgd', scalars: {}, tensors: new Map([['fc.weight/momentum', { dtype: 'float32', shape: [2, 3], data: new Float32Array(6).fill(0.5) }]]) },
};

/** The checkpoint with its train.state replaced by `state` (an object, or raw text). */
function withState(state: unknown): Uint8Array {
  const { tensors, metadata } = parseSafetensors(serializeCheckpoint(checkpoint));
  return serializeSafetensors(tensors, { ...metadata, [CHECKPOINT_STATE_KEY]: typeof state === 'string' ? state : JSON.stringify(state) });
}

function assertRefused(bytes: Uint8Array, code: ErrorCode, pattern: RegExp): void {
  assert.throws(() => parseCheckpoint(bytes, 'ck.safetensors'), (e: unknown) => {
    assert.ok(e instanceof MobileNetError, `expected a MobileNetError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('checkpoint: parameters, optimizer slots and the state (with a partly done epoch\'s totals) round-trip', () => {
  const c = parseCheckpoint(serializeCheckpoint(checkpoint), 'ck.safetensors');
  assert.deepEqual(c.state, checkpoint.state);
  assert.deepEqual(c.params.get('fc.weight')!.data, new Float32Array([1, 2, 3, 4, 5, 6]));
  assert.deepEqual([...c.optimizer.tensors.keys()], ['fc.weight/momentum']);
  assert.equal(c.ema, undefined);
});

test('checkpoint: a malformed train.state is refused with a message naming the field', () => {
  const s = checkpoint.state;
  const cases: [unknown, ErrorCode, RegExp][] = [
    ['{"version": 1,', 'INVALID_FORMAT', /ck\.safetensors: train\.state is not valid JSON/],
    [[1, 2], 'INVALID_FORMAT', /train\.state is not a JSON object/],
    [{ ...s, version: 2 }, 'UNSUPPORTED', /checkpoint version 2, this mobilenet-ts reads version 1/],
    [{ ...s, config: 'sgd' }, 'INVALID_FORMAT', /train\.state has no config object/],
    [{ ...s, step: -1 }, 'INVALID_FORMAT', /step must be a whole number ≥ 0, got -1/],
    [{ ...s, step: 1.5 }, 'INVALID_FORMAT', /step must be a whole number ≥ 0, got 1\.5/],
    [{ ...s, position: undefined }, 'INVALID_FORMAT', /position must be \{epoch, batch\} with whole numbers ≥ 0, got undefined/],
    [{ ...s, position: { epoch: 0, batch: '3' } }, 'INVALID_FORMAT', /position must be .*got \{"epoch":0,"batch":"3"\}/],
    [{ ...s, optimizer: { kind: 'sgd' } }, 'INVALID_FORMAT', /optimizer must be \{kind, scalars\} with numeric scalars/],
    [{ ...s, optimizer: { kind: 'adamw', scalars: { t: 'x' } } }, 'INVALID_FORMAT', /optimizer must be .*"t":"x"/],
    [{ ...s, ema: { kind: 'ema', scalars: [] } }, 'INVALID_FORMAT', /ema must be \{kind, scalars\}/],
    [{ ...s, progress: { ...s.progress, correct: 200 } }, 'INVALID_FORMAT', /progress must be \{lossSum, correct ≤ seen, seen, seconds ≥ 0\}/],
    [{ ...s, progress: { ...s.progress, lossSum: null } }, 'INVALID_FORMAT', /progress must be/],
    [{ ...s, progress: { ...s.progress, seconds: -1 } }, 'INVALID_FORMAT', /progress must be/],
    [{ ...s, data: { dataset: 'folder:x', augment: {}, classCounts: [3, -1] } }, 'INVALID_FORMAT', /data\.classCounts must be whole numbers ≥ 0, got \[3,-1\]/],
    [{ ...s, data: { dataset: 'folder:x', augment: {}, classCounts: 'many' } }, 'INVALID_FORMAT', /data\.classCounts must be/],
    [{ ...s, data: { dataset: 'folder:x', augment: {}, filesSha256: 'sha256:0' } }, 'INVALID_FORMAT', /data\.filesSha256 must be 64 hexadecimal digits, got "sha256:0"/],
  ];
  for (const [state, code, pattern] of cases) assertRefused(withState(state), code, pattern);
});

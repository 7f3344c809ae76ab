import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MobileNetError } from '../../../src/errors.js';
import { buildGraph } from '../../../src/graph/build.js';
import type { OpType, ParamKind } from '../../../src/graph/ops.js';
import { createSpec } from '../../../src/spec/registry.js';
import {
  AdamW,
  createOptimizer,
  defaultDecayFilter,
  graphParamInfo,
  RMSprop,
  SGD,
  type NamedState,
  type OptimizerConfig,
  type ParamInfo,
  type ParamTensor,
} from '../../../src/train/optimizers.js';
import { fixturePath, seededRandom } from '../../helpers.js';

// ---- The reference trajectories (tools/gen_optimizer_fixtures.py) ----

type Named = Record<string, number[]>;

interface Fixture {
  torch: string;
  lrs: number[];
  params: Array<{ name: string; kind: ParamKind; op: OpType; shape: number[]; data: number[] }>;
  grads: Named[];
  cases: Array<{ name: string; reference: string; config: OptimizerConfig; params: Named[]; state: Named; scalars: Record<string, number> }>;
}

const fixture = JSON.parse(readFileSync(fixturePath('optim', 'trajectories.json'), 'utf8')) as Fixture;
const infos: ParamInfo[] = fixture.params.map(({ name, kind, op }) => ({ name, kind, op }));
const shapes = new Map(fixture.params.map((p) => [p.name, p.shape]));

function freshParams(): Map<string, ParamTensor> {
  return new Map(fixture.params.map((p) => [p.name, { data: Float32Array.from(p.data), shape: p.shape }]));
}

function gradsAt(step: number): Map<string, ParamTensor> {
  return new Map(Object.entries(fixture.grads[step]!).map(([name, data]) => [name, { data: Float32Array.from(data), shape: shapes.get(name)! }]));
}

const RELATIVE = 1e-6;

/**
 * Largest |ours − ref| relative to the reference: to |ref| for each element, but never to less
 * than the tensor's largest magnitude. An element that ends near zero after w − update cancels two
 * numbers of the tensor's scale, so float32 rounding inside torch's (or our) arithmetic leaves an
 * error of that scale's ulp on it: relative to its own tiny value that would not mean anything.
 */
function relativeError(ours: Float32Array, ref: readonly number[], where: string): number {
  assert.equal(ours.length, ref.length, `${where}: length`);
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const expected = Math.fround(ref[i]!);
    const err = Math.abs(ours[i]! - expected) / Math.max(Math.abs(expected), scale, 1e-30);
    if (!(err <= RELATIVE)) assert.fail(`${where}[${i}]: ours ${ours[i]}, reference ${expected} (error ${err.toExponential(2)} relative to max(|ref|, ${scale}))`);
    worst = Math.max(worst, err);
  }
  return worst;
}

for (const c of fixture.cases) {
  test(`${c.name} matches ${c.reference} over ${c.params.length} steps`, (t) => {
    const optimizer = createOptimizer(infos, c.config);
    const params = freshParams();
    let worst = 0;
    for (let step = 0; step < c.params.length; step++) {
      optimizer.step(params, gradsAt(step), fixture.lrs[step]!);
      for (const [name, expected] of Object.entries(c.params[step]!)) {
        worst = Math.max(worst, relativeError(params.get(name)!.data, expected, `step ${step + 1} ${name}`));
      }
    }
    const state = optimizer.state();
    assert.deepEqual([...state.tensors.keys()].sort(), Object.keys(c.state).sort(), 'state tensor names');
    let worstState = 0;
    for (const [name, expected] of Object.entries(c.state)) {
      worstState = Math.max(worstState, relativeError(state.tensors.get(name)!.data, expected, `state ${name}`));
    }
    for (const [name, value] of Object.entries(c.scalars)) assert.equal(state.scalars[name], value, name);
    assert.equal(state.scalars.steps, c.params.length);
    t.diagnostic(`max relative error: params ${worst.toExponential(2)}, state ${worstState.toExponential(2)}`);
  });
}

test('the fixture covers every optimizer and both RMSprop styles', () => {
  const kinds = new Set(fixture.cases.map((c) => createOptimizer(infos, c.config).kind));
  assert.deepEqual([...kinds].sort(), ['adamw', 'rmsprop-pytorch', 'rmsprop-tensorflow', 'sgd']);
});

// ---- Weight decay: which parameters it reaches ----

const withMovingStats: ParamInfo[] = [
  ...infos,
  { name: 'blocks.0.dw.bn.movingMean', kind: 'movingMean', op: 'batchNorm' },
  { name: 'blocks.0.dw.bn.movingVariance', kind: 'movingVariance', op: 'batchNorm' },
];

function paramsWithMovingStats(): Map<string, ParamTensor> {
  const params = freshParams();
  params.set('blocks.0.dw.bn.movingMean', { data: Float32Array.from([0.3, -0.2]), shape: [2] });
  params.set('blocks.0.dw.bn.movingVariance', { data: Float32Array.from([1.5, 0.7]), shape: [2] });
  return params;
}

function zeroGrads(params: Map<string, ParamTensor>): Map<string, ParamTensor> {
  return new Map([...params].map(([name, p]) => [name, { data: new Float32Array(p.data.length), shape: p.shape }]));
}

/** Names whose values changed after one step with zero gradients: those weight decay reached. */
function decayedBy(config: OptimizerConfig): string[] {
  const params = paramsWithMovingStats();
  const before = new Map([...params].map(([n, p]) => [n, p.data.slice()]));
  createOptimizer(withMovingStats, config).step(params, zeroGrads(params), 0.1);
  return [...params].filter(([n, p]) => !before.get(n)!.every((v, i) => v === p.data[i])).map(([n]) => n).sort();
}

const convAndDense = ['blocks.0.project.conv.weight', 'classifier.weight', 'stem.conv.weight'];

test('by default weight decay reaches conv and dense weights only: not depthwise filters, BN, biases or moving statistics', () => {
  assert.deepEqual(decayedBy({ type: 'sgd', weightDecay: 0.1 }), convAndDense);
  assert.deepEqual(decayedBy({ type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.1 }), convAndDense);
  assert.deepEqual(decayedBy({ type: 'adamw', weightDecay: 0.1 }), convAndDense);
  // RMSprop with zero gradients moves nothing but the decayed weights (g = λ·w).
  assert.deepEqual(decayedBy({ type: 'rmsprop', weightDecay: 0.1 }), convAndDense);
  assert.deepEqual(decayedBy({ type: 'rmsprop', style: 'pytorch', weightDecay: 0.1 }), convAndDense);
});

test('decayDepthwise, decayBatchNorm and decayBias widen the rule; moving statistics stay untouched', () => {
  assert.deepEqual(decayedBy({ type: 'sgd', weightDecay: 0.1, decayDepthwise: true }), [...convAndDense, 'blocks.0.dw.conv.weight'].sort());
  assert.deepEqual(decayedBy({ type: 'sgd', weightDecay: 0.1, decayBatchNorm: true }), [...convAndDense, 'blocks.0.dw.bn.beta', 'blocks.0.dw.bn.gamma'].sort());
  assert.deepEqual(decayedBy({ type: 'sgd', weightDecay: 0.1, decayBias: true }), [...convAndDense, 'classifier.bias'].sort());
  const everything = decayedBy({ type: 'adamw', weightDecay: 0.1, decayDepthwise: true, decayBatchNorm: true, decayBias: true });
  assert.deepEqual(everything, infos.map((p) => p.name).sort());
});

test('a custom decayFilter sees name, kind and op and replaces the rule', () => {
  const seen: string[] = [];
  const filter = (name: string, kind: ParamKind, op: OpType) => {
    seen.push(`${name}:${kind}:${op}`);
    return name.startsWith('classifier.');
  };
  assert.deepEqual(decayedBy({ type: 'sgd', weightDecay: 0.1, decayFilter: filter }), ['classifier.bias', 'classifier.weight']);
  assert.ok(seen.includes('blocks.0.dw.conv.weight:weight:depthwiseConv2d'));
  assert.ok(!seen.some((s) => s.includes('moving')), 'moving statistics never reach the filter');
  assert.equal(defaultDecayFilter()('x', 'movingMean', 'batchNorm'), false);
});

test('gradients of moving statistics are ignored, parameters without a gradient are skipped', () => {
  const params = paramsWithMovingStats();
  const grads = gradsAt(0);
  grads.set('blocks.0.dw.bn.movingMean', { data: Float32Array.from([5, 5]), shape: [2] });
  grads.delete('classifier.bias');
  const optimizer = new SGD(withMovingStats, { momentum: 0.9 });
  optimizer.step(params, grads, 0.1);
  assert.deepEqual(Array.from(params.get('blocks.0.dw.bn.movingMean')!.data), [Math.fround(0.3), Math.fround(-0.2)]);
  assert.deepEqual(params.get('classifier.bias')!.data, freshParams().get('classifier.bias')!.data);
  assert.ok(!optimizer.state().tensors.has('classifier.bias/momentum'));
  assert.deepEqual(
    optimizer.parameters().map((p) => p.name),
    infos.map((p) => p.name),
  );
});

test('graphParamInfo: MobileNetV2 depthwise filters are depthwiseConv2d weights and escape decay by default', () => {
  const info = graphParamInfo(buildGraph(createSpec('mobilenet_v2')));
  const byOp = (op: OpType) => info.filter((p) => p.op === op && p.kind === 'weight').length;
  assert.equal(byOp('depthwiseConv2d'), 17);
  const optimizer = new RMSprop(info, { weightDecay: 4e-5 });
  const decayed = optimizer.parameters().filter((p) => p.weightDecay > 0);
  assert.ok(decayed.every((p) => p.name.endsWith('.weight')));
  assert.equal(decayed.length, info.filter((p) => p.kind === 'weight' && p.op !== 'depthwiseConv2d').length);
  assert.ok(!optimizer.parameters().some((p) => p.name.endsWith('.movingMean') || p.name.endsWith('.movingVariance')));
});

// ---- State: save, load, resume bit for bit ----

/** Through a plain-object form with number arrays, as a checkpoint file would carry it. */
function roundTrip(state: NamedState): NamedState {
  const plain = JSON.parse(
    JSON.stringify({ kind: state.kind, scalars: state.scalars, tensors: [...state.tensors].map(([n, t]) => [n, t.shape, Array.from(t.data)]) }),
  ) as { kind: string; scalars: Record<string, number>; tensors: Array<[string, number[], number[]]> };
  return {
    kind: plain.kind,
    scalars: plain.scalars,
    tensors: new Map(plain.tensors.map(([n, shape, data]) => [n, { dtype: 'float32', shape, data: Float32Array.from(data) }])),
  };
}

function randomGrads(step: number): Map<string, ParamTensor> {
  const random = seededRandom(1000 + step);
  return new Map(fixture.params.map((p) => [p.name, { data: Float32Array.from(p.data, () => random() - 0.5), shape: p.shape }]));
}

const resumeConfigs: OptimizerConfig[] = [
  { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  { type: 'sgd', momentum: 0.9, dampening: 0.5 },
  { type: 'adamw', amsgrad: true },
  { type: 'rmsprop', centered: true, weightDecay: 4e-5 },
  { type: 'rmsprop', style: 'pytorch', centered: true, momentum: 0.5 },
];

for (const config of resumeConfigs) {
  test(`save → load → continue equals an uninterrupted run bit for bit: ${JSON.stringify(config)}`, () => {
    const lrs = [0.1, 0.05, 0.07, 0.02, 0.03, 0.01, 0.04];
    const straight = freshParams();
    const a = createOptimizer(infos, config);
    for (let s = 0; s < lrs.length; s++) a.step(straight, randomGrads(s), lrs[s]!);

    const params = freshParams();
    const b = createOptimizer(infos, config);
    for (let s = 0; s < 3; s++) b.step(params, randomGrads(s), lrs[s]!);
    // a checkpoint: the parameters and the optimizer state, through a serialized form
    const savedState = roundTrip(b.state());
    const savedParams = new Map([...params].map(([n, p]) => [n, { data: p.data.slice(), shape: p.shape }]));
    b.step(params, randomGrads(99), 1); // what happens after the save is forgotten on resume

    const c = createOptimizer(infos, config);
    c.loadState(savedState);
    for (let s = 3; s < lrs.length; s++) c.step(savedParams, randomGrads(s), lrs[s]!);
    for (const [name, p] of straight) assert.deepEqual(savedParams.get(name)!.data, p.data, name);
    assert.deepEqual(c.state(), a.state());
  });
}

test('state() is a snapshot: later steps do not change it', () => {
  const params = freshParams();
  const optimizer = new AdamW(infos);
  optimizer.step(params, gradsAt(0), 0.1);
  const snapshot = optimizer.state();
  const copy = roundTrip(snapshot);
  optimizer.step(params, gradsAt(1), 0.1);
  assert.deepEqual(snapshot, copy);
});

test('loadState refuses another optimizer kind, unknown slots and slots of the wrong size', () => {
  const params = freshParams();
  const sgd = new SGD(infos, { momentum: 0.9 });
  sgd.step(params, gradsAt(0), 0.1);
  const state = sgd.state();
  assert.throws(() => new RMSprop(infos).loadState(state), (e: unknown) => e instanceof MobileNetError && /written by sgd/.test(e.message));
  assert.throws(() => new RMSprop(infos, { style: 'pytorch' }).loadState(new RMSprop(infos).state()), /rmsprop-tensorflow/);
  const extra = roundTrip(state);
  extra.tensors.set('nope.weight/momentum', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
  assert.throws(() => new SGD(infos, { momentum: 0.9 }).loadState(extra), /unexpected nope\.weight\/momentum/);
  assert.throws(() => new SGD(infos, { momentum: 0 }).loadState(state), /unexpected stem\.conv\.weight\/momentum/);
  const centered = new RMSprop(infos, { centered: true });
  centered.step(freshParams(), gradsAt(0), 0.1);
  assert.throws(() => new RMSprop(infos).loadState(centered.state()), /unexpected stem\.conv\.weight\/mg/);
  assert.throws(() => new SGD(infos, { momentum: 0.9 }).loadState({ ...state, scalars: { steps: 1, bogus: 2 } }), /unexpected scalar bogus/);
  const wrong = roundTrip(state);
  wrong.tensors.set('classifier.bias/momentum', { dtype: 'float32', shape: [2], data: new Float32Array(2) });
  const target = new SGD(infos, { momentum: 0.9 });
  target.loadState(wrong);
  assert.throws(() => target.step(freshParams(), gradsAt(1), 0.1), /classifier\.bias\/momentum has 2 values/);
});

// ---- Semantics worth pinning beyond the fixtures ----

test('TF-style RMSprop keeps the lr inside the momentum: a later lr change scales only new contributions', () => {
  const info: ParamInfo[] = [{ name: 'w', kind: 'weight', op: 'conv2d' }];
  const run = (style: 'tensorflow' | 'pytorch') => {
    const p = new Map([['w', { data: Float32Array.from([0]), shape: [1] }]]);
    const g = new Map([['w', { data: Float32Array.from([1]), shape: [1] }]]);
    const opt = new RMSprop(info, { style, epsilon: 0, initialMeanSquare: 1, rho: 0, momentum: 1 });
    opt.step(p, g, 1);
    opt.step(p, g, 0); // lr 0: TF keeps coasting on the buffer, torch stops
    return p.get('w')!.data[0]!;
  };
  assert.equal(run('tensorflow'), -2); // mom = 1, then 1·1 + 0: w = −1 − 1
  assert.equal(run('pytorch'), -1);
});

test('TF-style RMSprop defaults are slim\'s MobileNet ones: ms starts at 1, ε = 1 inside the root', () => {
  const info: ParamInfo[] = [{ name: 'w', kind: 'weight', op: 'conv2d' }];
  const p = new Map([['w', { data: Float32Array.from([0]), shape: [1] }]]);
  const opt = new RMSprop(info);
  opt.step(p, new Map([['w', { data: Float32Array.from([2]), shape: [1] }]]), 0.5);
  const ms = 0.9 * 1 + 0.1 * 4;
  assert.equal(opt.state().tensors.get('w/ms')!.data[0], Math.fround(ms));
  assert.equal(p.get('w')!.data[0], Math.fround(-(0.5 * 2) / Math.sqrt(ms + 1)));
});

test('bad options and arguments are refused with INVALID_ARGUMENT', () => {
  const invalid = (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_ARGUMENT';
  assert.throws(() => new SGD(infos, { nesterov: true }), invalid);
  assert.throws(() => new SGD(infos, { momentum: 0.9, dampening: 0.1, nesterov: true }), invalid);
  assert.throws(() => new AdamW(infos, { beta2: 1 }), invalid);
  assert.throws(() => new RMSprop(infos, { epsilon: -1 }), invalid);
  assert.throws(() => new SGD(infos, { weightDecay: Number.NaN }), invalid);
  assert.throws(() => new SGD([...infos, infos[0]!]), invalid);
  assert.throws(() => new SGD(infos).step(freshParams(), gradsAt(0), -0.1), invalid);
  assert.throws(() => createOptimizer(infos, { type: 'lamb' } as unknown as OptimizerConfig), invalid);
  const grads = gradsAt(0);
  grads.set('classifier.bias', { data: new Float32Array(2), shape: [2] });
  assert.throws(() => new SGD(infos).step(freshParams(), grads, 0.1), (e: unknown) => e instanceof MobileNetError && e.code === 'SHAPE_MISMATCH');
});

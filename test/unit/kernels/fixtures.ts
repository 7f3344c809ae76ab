/** Shared helpers of the kernel tests: loading the torch fixtures and comparing with a useful report. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MobileNetError } from '../../../src/errors.js';
import { fixturePath, maxAbsDiff, seededRandom } from '../../helpers.js';

export interface FixtureTensor {
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export interface FixtureCase<D> {
  readonly name: string;
  readonly desc: D;
  readonly epsilon?: number;
  readonly tensors: Readonly<Record<string, FixtureTensor | null>>;
}

export interface FixtureFile<D> {
  readonly kernel: string;
  readonly torch: string;
  readonly seed: number;
  readonly cases: readonly FixtureCase<D>[];
}

export function loadFixture<D>(kernel: string): FixtureFile<D> {
  const file = JSON.parse(readFileSync(fixturePath('kernels', `${kernel}.json`), 'utf8')) as FixtureFile<D>;
  assert.equal(file.kernel, kernel);
  assert.ok(file.cases.length > 0, `${kernel}.json has no cases`);
  return file;
}

/** A fixture tensor as float32, after checking its data matches its declared shape. */
export function tensor<D>(c: FixtureCase<D>, key: string): Float32Array {
  const t = c.tensors[key];
  if (t === undefined || t === null) throw new Error(`fixture case "${c.name}" has no tensor "${key}"`);
  const size = t.shape.reduce((a, b) => a * b, 1);
  assert.equal(t.data.length, size, `fixture "${c.name}" ${key}: ${t.data.length} values for shape [${t.shape.join(', ')}]`);
  return Float32Array.from(t.data);
}

export function optionalTensor<D>(c: FixtureCase<D>, key: string): Float32Array | null {
  return c.tensors[key] === null ? null : tensor(c, key);
}

export function shapeOf<D>(c: FixtureCase<D>, key: string): readonly number[] {
  const t = c.tensors[key];
  if (t === undefined || t === null) throw new Error(`fixture case "${c.name}" has no tensor "${key}"`);
  return t.shape;
}

/** Flat index → "(i, j, k)" in the given C-order shape, for failure messages. */
export function unravel(index: number, shape: readonly number[] | undefined): string {
  if (shape === undefined || index < 0) return String(index);
  const coords: number[] = [];
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    coords.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  return `${index} = (${coords.join(', ')})`;
}

/**
 * Asserts max |actual − expected| ≤ tolerance · max(1, max |expected|) and returns the max difference.
 * The failure message names the worst element and both values there.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  label: string,
  options: { tolerance?: number; shape?: readonly number[] } = {},
): number {
  const tolerance = options.tolerance ?? 1e-5;
  assert.equal(actual.length, expected.length, `${label}: length ${actual.length}, expected ${expected.length}`);
  let magnitude = 1;
  for (let i = 0; i < expected.length; i++) magnitude = Math.max(magnitude, Math.abs(expected[i]!));
  const { max, index } = maxAbsDiff(actual, expected);
  const bound = tolerance * magnitude;
  if (!(max <= bound)) {
    assert.fail(
      `${label}: max abs diff ${max} > ${bound} at index ${unravel(index, options.shape)}: ` +
        `got ${actual[index]}, expected ${expected[index]}`,
    );
  }
  return max;
}

/** Asserts that fn throws MobileNetError('INVALID_ARGUMENT') whose message matches every pattern. */
export function assertInvalid(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MobileNetError, `expected a MobileNetError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_ARGUMENT');
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

/** Seeded float32 data in [-1, 1) and seeded integers, so randomized tests repeat exactly. */
export class Random {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** Integer in [low, high], both inclusive. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  array(length: number, scale = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = (this.next() * 2 - 1) * scale;
    return out;
  }
}

/** Exact bit-level copy and comparison, so NaN sentinels compare equal to themselves. */
export function bits(array: Float32Array): Uint32Array {
  return new Uint32Array(array.buffer, array.byteOffset, array.length).slice();
}

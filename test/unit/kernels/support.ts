/** Shared helpers of the kernel tests: loading the torch fixtures and comparing with a useful report. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MobileNetError } from '../../../src/errors.js';
import { convOutputSize, samePadding, type WindowDesc } from '../../../src/kernels/ref/index.js';
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

export interface Geometry extends WindowDesc {
  batch: number;
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
  padBottom: number; // implied by outHeight; negative when rows are never reached
  padRight: number;
}

/** A random but valid window geometry: 'SAME' half the time, otherwise random explicit padding. */
export function randomGeometry(rng: Random): Geometry {
  for (;;) {
    const batch = rng.int(1, 2);
    const inHeight = rng.int(1, 9);
    const inWidth = rng.int(1, 9);
    const kernelHeight = rng.int(1, 4);
    const kernelWidth = rng.int(1, 4);
    const strideHeight = rng.int(1, 3);
    const strideWidth = rng.int(1, 3);
    const dilationHeight = rng.int(1, 2);
    const dilationWidth = rng.int(1, 2);
    const extentH = (kernelHeight - 1) * dilationHeight + 1;
    const extentW = (kernelWidth - 1) * dilationWidth + 1;
    let padTop: number, padBottom: number, padLeft: number, padRight: number, outHeight: number, outWidth: number;
    if (rng.int(0, 1) === 0) {
      const h = samePadding(inHeight, kernelHeight, strideHeight, dilationHeight);
      const w = samePadding(inWidth, kernelWidth, strideWidth, dilationWidth);
      [padTop, padBottom, outHeight] = [h.before, h.after, h.out];
      [padLeft, padRight, outWidth] = [w.before, w.after, w.out];
    } else {
      [padTop, padBottom, padLeft, padRight] = [rng.int(0, extentH - 1), rng.int(0, extentH - 1), rng.int(0, extentW - 1), rng.int(0, extentW - 1)];
      if (inHeight + padTop + padBottom < extentH || inWidth + padLeft + padRight < extentW) continue;
      outHeight = convOutputSize(inHeight, kernelHeight, strideHeight, dilationHeight, padTop, padBottom);
      outWidth = convOutputSize(inWidth, kernelWidth, strideWidth, dilationWidth, padLeft, padRight);
    }
    return {
      batch, inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth,
      dilationHeight, dilationWidth, padTop, padLeft,
      // What the kernels will actually see: the padding implied by the output size.
      padBottom: (outHeight - 1) * strideHeight + extentH - inHeight - padTop,
      padRight: (outWidth - 1) * strideWidth + extentW - inWidth - padLeft,
    };
  }
}

const GAP = 8; // elements before, between and after the arrays placed in an arena
const SLACK = 3; // each view reaches this far past its implied length, into the following gap
const OUTPUT_SENTINEL = -12345.5; // what an output region holds before the kernel runs

/**
 * Runs a kernel on subarray views carved from one arena (as the runtime's memory plan will), with
 * NaN in the gaps after inputs, then checks that the only elements that changed are the output's
 * implied range and that they equal `expected` bit for bit. An over-read inside a view hits a NaN
 * and poisons the result; an over-write hits a gap or a neighbour and is caught by the bitwise
 * comparison.
 *
 * `outputAlias` names the input whose view is also the output (in-place runs); otherwise the output
 * gets its own region, pre-filled with a sentinel.
 */
export function runGuarded(
  label: string,
  inputs: readonly Float32Array[],
  output: { length: number; alias?: number },
  expected: Float32Array,
  run: (views: Float32Array[], output: Float32Array) => void,
): void {
  const lengths = output.alias === undefined ? [...inputs.map((a) => a.length), output.length] : inputs.map((a) => a.length);
  const offsets: number[] = [];
  let end = GAP;
  for (const length of lengths) {
    offsets.push(end);
    end += length + GAP;
  }
  const arena = new Float32Array(end).fill(Number.NaN);
  inputs.forEach((a, i) => arena.set(a, offsets[i]));
  const views = lengths.map((length, i) => arena.subarray(offsets[i], offsets[i]! + length + SLACK));
  const outputIndex = output.alias ?? inputs.length;
  const outputOffset = offsets[outputIndex]!;
  // The output region and the gap after it hold a finite sentinel rather than NaN, so a stray write
  // of a NaN read from some input's gap still changes bits. (The gap before it stays NaN: it is the
  // previous input's over-read zone.)
  if (output.alias === undefined) arena.fill(OUTPUT_SENTINEL, outputOffset);
  const before = bits(arena);

  run(views.slice(0, inputs.length), views[outputIndex]!);

  const after = bits(arena);
  const expectedBits = bits(expected);
  assert.equal(expected.length, output.length, `${label}: expected has ${expected.length} elements, output ${output.length}`);
  for (let i = 0; i < arena.length; i++) {
    const inOutput = i >= outputOffset && i < outputOffset + output.length;
    const want = inOutput ? expectedBits[i - outputOffset]! : before[i]!;
    if (after[i] !== want) {
      const region = lengths.findIndex((length, k) => i >= offsets[k]! && i < offsets[k]! + length);
      const where = inOutput ? `output element ${i - outputOffset}` : region >= 0 ? `input ${region} element ${i - offsets[region]!}` : `a guard gap at arena index ${i}`;
      assert.fail(`${label}: ${where} is ${arena[i]}, expected ${inOutput ? expected[i - outputOffset] : 'it unchanged'}`);
    }
  }
}

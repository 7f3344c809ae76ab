/**
 * Shared helpers of the WebAssembly kernel tests: both variants (plain and relaxed SIMD) loaded on
 * one shared memory, guarded buffers, and a whole-memory check: every word the kernel should write
 * must match the reference within tolerance, every other word (inputs, weights, descriptors, gaps,
 * output outside the sub-range) must be bit-for-bit what it was.
 */
import assert from 'node:assert/strict';
import { activation, activationBackward, add, batchNormTraining, convOutputSize, samePadding } from '../../../src/kernels/ref/index.js';
import { Arena } from '../../../src/kernels/wasm/arena.js';
import { compileKernelsModule, instantiateKernels, relaxedSimdSupported, type KernelVariant, type WasmKernels } from '../../../src/kernels/wasm/module.js';
import { enableRelaxedSimd } from '../../../src/node/wasm-features.js';
import { Random } from '../kernels/support.js';

export { Random };

export const VARIANTS: readonly KernelVariant[] = ['simd', 'relaxed'];

/** A quiet NaN with a recognizable payload: what gaps and untouched outputs hold. */
export const SENTINEL_BITS = 0x7fc0dead;
/** Floats of sentinel between and around buffers. */
const GAP = 16;

let memory: WebAssembly.Memory | undefined;
const loaded = new Map<KernelVariant, WasmKernels>();

/**
 * The kernels of a variant, instantiated on the shared test memory. Relaxed SIMD is switched on
 * first (Node 20 has it behind a V8 flag); if it still does not validate the test fails: nothing is
 * skipped silently.
 */
export function kernels(variant: KernelVariant): WasmKernels {
  const cached = loaded.get(variant);
  if (cached !== undefined) return cached;
  if (variant === 'relaxed') {
    assert.ok(enableRelaxedSimd(), 'relaxed SIMD is not available even after enabling --experimental-wasm-relaxed-simd');
    assert.ok(relaxedSimdSupported());
  }
  memory ??= new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  const k = instantiateKernels(compileKernelsModule(variant), memory);
  assert.equal(k.variant, variant);
  loaded.set(variant, k);
  return k;
}

/** A fresh arena at the start of the test memory (tests run one after another in a file). */
export function freshArena(k: WasmKernels): Arena {
  return new Arena(k.memory, 64);
}

/** Allocates `count` floats between sentinel gaps, fills them from `data` (or sentinels), returns the byte offset. */
export function guarded(arena: Arena, count: number, data?: ArrayLike<number>): number {
  const before = arena.alloc(GAP);
  const at = arena.alloc(Math.max(count, 1));
  const after = arena.alloc(GAP);
  const words = new Uint32Array(arena.memory.buffer);
  words.fill(SENTINEL_BITS, before / 4, after / 4 + GAP);
  if (data !== undefined) new Float32Array(arena.memory.buffer, at, data.length).set(data);
  return at;
}

/** A buffer (or the first descriptor) of a Placement: where it went and how large it is. */
export interface Placed {
  readonly name: string;
  readonly at: number;
  readonly bytes: number;
}

/**
 * Where one run of a case puts its memory: guarded buffers and descriptors bump-allocated from
 * `start`, each buffer (and the first descriptor) recorded by name so that the high-address test can
 * run the case again with 2³¹ inside any of them. `where` ends the run's failure labels.
 */
export class Placement {
  readonly arena: Arena;
  readonly placed: Placed[] = [];
  private described = false;

  /** `from`: where the memory check's snapshot starts (≤ start). */
  constructor(memory: WebAssembly.Memory, readonly start: number, readonly where = '', private readonly from = start) {
    assert.equal(start % 16, 0);
    this.arena = new Arena(memory, start);
  }

  /** `count` floats between sentinel gaps, filled from `data` (or sentinels). */
  buf(name: string, count: number, data?: ArrayLike<number>): number {
    const at = guarded(this.arena, count, data);
    this.placed.push({ name, at, bytes: Math.max(count, 1) * 4 });
    return at;
  }

  /** `count` float64 (8-byte aligned: every block is 16-byte aligned) between sentinel gaps, from `data` or sentinels. */
  f64(name: string, count: number, data?: Float64Array | null): number {
    const at = this.buf(name, 2 * count);
    if (data !== undefined && data !== null) new Float64Array(this.arena.memory.buffer, at, count).set(data);
    return at;
  }

  desc(bytes: number): number {
    const at = this.arena.allocBytes(bytes);
    if (!this.described) this.placed.push({ name: 'the first descriptor', at, bytes });
    this.described = true;
    return at;
  }

  view(): DataView {
    return this.arena.view();
  }

  /** A trailing gap, then the snapshot of everything from `from` to it. */
  check(): MemoryCheck {
    this.arena.alloc(16);
    return new MemoryCheck(this.arena, this.from);
  }
}

/** What a case with band outputs exercised: calls whose output base wrapped below 0, written outputs that are NaN. */
export interface CaseStats {
  readonly wrapped: number;
  readonly nanOutputs: number;
}

/**
 * One output band per row chunk (its rows × `rowFloats`), the last chunk's first: allocated before
 * a case's other buffers at the start of the memory, band − r0·rowBytes then wraps around below 0,
 * as in the engine's fused blocks.
 */
export function outputBands(m: Placement, rowChunks: ReadonlyArray<readonly [number, number]>, rowFloats: number): number[] {
  const bands = new Array<number>(rowChunks.length);
  for (let i = rowChunks.length - 1; i >= 0; i--) {
    const [r0, r1] = rowChunks[i]!;
    bands[i] = m.buf(`output band ${i}`, (r1 - r0) * rowFloats);
  }
  return bands;
}

/**
 * The per-kernel tests' placement: a fresh arena at the start of the test memory, checked from
 * byte 0 (so a write through a null pointer shows too).
 */
export function freshPlacement(variant: KernelVariant): Placement {
  return new Placement(kernels(variant).memory, 64, '', 0);
}

/** A random tensor of `pixels` rows of `channels` floats, stored `stride` floats apart with sentinels in the row padding. */
export function stridedData(dense: Float32Array, pixels: number, channels: number, stride: number): Float32Array {
  const out = new Float32Array(pixels * stride);
  new Uint32Array(out.buffer).fill(SENTINEL_BITS);
  for (let p = 0; p < pixels; p++) out.set(dense.subarray(p * channels, (p + 1) * channels), p * stride);
  return out;
}

/**
 * A snapshot of memory [from, to) plus the words a kernel is expected to write. `verify` checks
 * expected words against their values within tolerance and every other word bit-for-bit.
 */
export class MemoryCheck {
  private readonly from: number;
  private readonly before: Uint32Array;
  private readonly expected: Float64Array;
  private readonly mask: Uint8Array;
  private readonly memory: WebAssembly.Memory;
  /** Expected float64 values by the index of their low word (mask 2 low word, 3 high word) and their tolerance scale. */
  private readonly doubles = new Map<number, { value: number; scale: number }>();

  constructor(arena: Arena, from = 0) {
    this.memory = arena.memory;
    this.from = from;
    const to = arena.mark();
    this.before = new Uint32Array(this.memory.buffer, from, (to - from) / 4).slice();
    this.expected = new Float64Array(this.before.length);
    this.mask = new Uint8Array(this.before.length);
  }

  /** The float at byte `at` should become `value`. */
  expect(at: number, value: number): void {
    const i = (at - this.from) / 4;
    assert.ok(Number.isInteger(i) && i >= 0 && i < this.mask.length, `MemoryCheck.expect: byte ${at} outside the snapshot`);
    this.mask[i] = 1;
    this.expected[i] = value;
  }

  /**
   * The float64 at byte `at` (8-byte aligned) should become `value`, within the tolerance times
   * max(1, |value|, scale): `scale` is the magnitude the error is relative to (e.g. Σ|terms| of a sum).
   */
  expectF64(at: number, value: number, scale = 0): void {
    const i = (at - this.from) / 4;
    assert.ok(Number.isInteger(i) && i >= 0 && i + 1 < this.mask.length && at % 8 === 0, `MemoryCheck.expectF64: byte ${at} outside the snapshot or not 8-byte aligned`);
    this.mask[i] = 2;
    this.mask[i + 1] = 3;
    this.doubles.set(i, { value, scale });
  }

  /** `count` floats at byte `at` may change arbitrarily (a kernel's scratch); the words around them are still checked. */
  ignore(at: number, count: number): void {
    const i = (at - this.from) / 4;
    assert.ok(Number.isInteger(i) && i >= 0 && i + count <= this.mask.length, `MemoryCheck.ignore: bytes ${at}…${at + 4 * count} outside the snapshot`);
    this.mask.fill(4, i, i + count);
  }

  verify(label: string, tolerance = 1e-4): void {
    const words = new Uint32Array(this.memory.buffer, this.from, this.before.length);
    const floats = new Float32Array(this.memory.buffer, this.from, this.before.length);
    const view = new DataView(this.memory.buffer, this.from, this.before.length * 4);
    let worst = 0;
    let worstAt = -1;
    let written = 0;
    for (let i = 0; i < words.length; i++) {
      if (this.mask[i] === 3 || this.mask[i] === 4) continue;
      if (this.mask[i] === 2) {
        written++;
        const { value, scale } = this.doubles.get(i)!;
        const got = view.getFloat64(i * 4, true);
        const diff = Number.isNaN(got) ? Infinity : Math.abs(got - value) / Math.max(1, Math.abs(value), scale);
        if (!(diff <= tolerance)) {
          assert.fail(`${label}: relative diff ${diff} > ${tolerance} at the float64 at byte ${this.from + i * 4}: got ${got}, expected ${value} (scale ${scale})`);
        }
        continue;
      }
      if (this.mask[i] === 1) {
        written++;
        const e = this.expected[i]!;
        const a = floats[i]!;
        if ((Number.isNaN(a) && Number.isNaN(e)) || a === e) continue;
        // ±Infinity must match exactly (|a − e| / |e| would be NaN, and NaN never counts as a difference).
        const diff = Number.isFinite(a) && Number.isFinite(e) ? Math.abs(a - e) / Math.max(1, Math.abs(e)) : Infinity;
        if (diff > worst) {
          worst = diff;
          worstAt = i;
        }
      } else if (words[i] !== this.before[i]) {
        assert.fail(
          `${label}: the word at byte ${this.from + i * 4} changed (0x${this.before[i]!.toString(16)} → 0x${words[i]!.toString(16)}) ` +
            'but lies outside the range the kernel should write',
        );
      }
    }
    assert.ok(written > 0, `${label}: nothing was expected to be written`);
    if (!(worst <= tolerance)) {
      assert.fail(`${label}: relative diff ${worst} > ${tolerance} at byte ${this.from + worstAt * 4}: got ${floats[worstAt]}, expected ${this.expected[worstAt]}`);
    }
  }
}

export interface Clamp {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

export const CLAMPS: readonly Clamp[] = [
  { name: 'linear', min: -Infinity, max: Infinity },
  { name: 'relu', min: 0, max: Infinity },
  { name: 'relu6', min: 0, max: 6 },
  { name: 'clamp[-0.25,0.5]', min: -0.25, max: 0.5 },
];

/** The reference epilogue: the ref activation for linear/relu/relu6, min/max for other bounds. */
export function applyClamp(values: Float32Array, clamp: Clamp): Float32Array {
  const out = new Float32Array(values.length);
  if (clamp.name === 'linear' || clamp.name === 'relu' || clamp.name === 'relu6') {
    activation(values, out, clamp.name, values.length);
  } else {
    for (let i = 0; i < values.length; i++) out[i] = Math.min(Math.max(values[i]!, clamp.min), clamp.max);
  }
  return out;
}

/** The reference residual connection (ref `add`). */
export function addResidual(values: Float32Array, residual: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  add(values, residual, out, values.length);
  return out;
}

/** Random cut points splitting [0, n) into contiguous chunks, each a multiple of `unit` except the last. */
export function randomChunks(rng: Random, n: number, maxChunks: number, unit = 1): Array<[number, number]> {
  const cuts = new Set<number>();
  const pieces = rng.int(1, maxChunks);
  for (let i = 1; i < pieces; i++) {
    const cut = Math.floor(rng.int(0, n) / unit) * unit;
    if (cut > 0 && cut < n) cuts.add(cut);
  }
  const sorted = [0, ...[...cuts].sort((a, b) => a - b), n];
  const chunks: Array<[number, number]> = [];
  for (let i = 0; i + 1 < sorted.length; i++) chunks.push([sorted[i]!, sorted[i + 1]!]);
  return chunks;
}

/** Padding and output size of one spatial axis of a window of `kernel` taps. */
export interface AxisGeometry {
  readonly pad: number;
  readonly out: number;
}

/** One spatial axis: SAME (asymmetric when odd), symmetric (pad = dilation·(k−1)/2), or explicit random padding; null when no window fits. */
export function randomWindowAxis(rng: Random, size: number, kernel: number, stride: number, dilation: number): AxisGeometry | null {
  const extent = (kernel - 1) * dilation + 1;
  switch (rng.int(0, 2)) {
    case 0: {
      const same = samePadding(size, kernel, stride, dilation);
      return { pad: same.before, out: same.out };
    }
    case 1: {
      const pad = Math.floor((extent - 1) / 2);
      if (size + 2 * pad < extent) return null;
      return { pad, out: convOutputSize(size, kernel, stride, dilation, pad, pad) };
    }
    default: {
      const before = rng.int(0, extent - 1);
      const after = rng.int(0, extent - 1);
      if (size + before + after < extent) return null;
      return { pad: before, out: convOutputSize(size, kernel, stride, dilation, before, after) };
    }
  }
}

/** [0, n) split into `parts` contiguous, nearly equal ranges (as threads would split it). */
export function evenChunks(n: number, parts: number): Array<[number, number]> {
  const chunks: Array<[number, number]> = [];
  for (let i = 0; i < parts; i++) chunks.push([Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)]);
  return chunks;
}

/**
 * A training-mode batch norm + activation, as the reference computes it, on random data: input x
 * (count, C) with per-channel means and spreads, its batch statistics (float32, as saved), the
 * activation output y, a random upstream gradient dY and the masked gradient dz the BN receives
 * (the reference activationBackward for relu / relu6 / linear, "0 where y ≤ lo or y ≥ hi" otherwise).
 */
export interface BatchNormData {
  readonly x: Float32Array;
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly mean: Float32Array;
  readonly invStd: Float32Array;
  readonly y: Float32Array;
  readonly gradOutput: Float32Array;
  readonly dz: Float32Array;
}

export function batchNormData(rng: Random, count: number, channels: number, clamp: Clamp, center = 0.3, spread = 1): BatchNormData {
  const x = new Float32Array(count * channels);
  const means = rng.array(channels, center);
  const spreads = rng.array(channels, spread / 2).map((v) => spread + v);
  const noise = rng.array(count * channels, 1.7);
  for (let i = 0; i < x.length; i++) x[i] = means[i % channels]! + center + spreads[i % channels]! * noise[i]!;
  const gamma = rng.array(channels, 0.5).map((v) => v + 1);
  const beta = rng.array(channels, 1);
  const mean = new Float32Array(channels);
  const invStd = new Float32Array(channels);
  const normalized = new Float32Array(x.length);
  batchNormTraining(x, normalized, { gamma, beta, epsilon: 1e-3 }, { mean, invStd }, { count, channels });
  const y = applyClamp(normalized, clamp);
  const gradOutput = rng.array(x.length);
  const dz = new Float32Array(x.length);
  if (clamp.name === 'linear' || clamp.name === 'relu' || clamp.name === 'relu6') {
    activationBackward(y, gradOutput, dz, clamp.name, x.length);
  } else {
    for (let i = 0; i < x.length; i++) dz[i] = y[i]! <= clamp.min || y[i]! >= clamp.max ? 0 : gradOutput[i]!;
  }
  return { x, gamma, beta, mean, invStd, y, gradOutput, dz };
}

/** The special values sprinkled into inputs: NaN must pass through every kernel, ±Infinity through the clamp. */
const NON_FINITE = [Number.NaN, Infinity, -Infinity] as const;

/**
 * Replaces about `rate` of `values` (at least one) with NaN, +Infinity or −Infinity, in place, and
 * returns them.
 */
export function sprinkleNonFinite(rng: Random, values: Float32Array, rate = 0.01): Float32Array {
  if (values.length === 0) return values;
  const count = Math.max(1, Math.round(rate * values.length));
  for (let n = 0; n < count; n++) values[rng.int(0, values.length - 1)] = rng.pick(NON_FINITE);
  return values;
}

/**
 * got[i] against expected[i] within `tolerance` relative to max(1, |expected|); NaN matches only NaN,
 * ±Infinity only itself. For a second reference next to a MemoryCheck's expectations.
 */
export function assertClose(label: string, got: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  assert.equal(got.length, expected.length, `${label}: ${got.length} values, expected ${expected.length}`);
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const e = expected[i]!;
    if ((Number.isNaN(a) && Number.isNaN(e)) || a === e) continue;
    const diff = Number.isFinite(a) && Number.isFinite(e) ? Math.abs(a - e) / Math.max(1, Math.abs(e)) : Infinity;
    if (!(diff <= tolerance)) assert.fail(`${label}: relative diff ${diff} > ${tolerance} at index ${i}: got ${a}, expected ${e}`);
  }
}

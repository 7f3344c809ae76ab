/**
 * Cheap descriptor and buffer checks shared by the reference kernels. They run once per call, before
 * any loop, so a bad descriptor fails loudly instead of reading or writing outside its arrays.
 */
import { MobileNetError } from '../../errors.js';

export function fail(kernel: string, message: string): never {
  throw new MobileNetError('INVALID_ARGUMENT', `${kernel}: ${message}`);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return value.constructor?.name ?? 'object';
}

/** Sizes must be positive integers: zero, negative, fractional or missing sizes are always caller bugs. */
export function checkPositiveInts<T extends object>(kernel: string, desc: T, keys: readonly (keyof T & string)[]): void {
  if (desc === null || typeof desc !== 'object') fail(kernel, `desc is ${show(desc)}, expected a descriptor object`);
  for (const key of keys) {
    const value: unknown = desc[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      fail(kernel, `desc.${key} = ${show(value)}, expected a positive integer`);
    }
  }
}

/** Paddings may be zero but must be whole and not negative. */
export function checkNonNegativeInts<T extends object>(kernel: string, desc: T, keys: readonly (keyof T & string)[]): void {
  for (const key of keys) {
    const value: unknown = desc[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      fail(kernel, `desc.${key} = ${show(value)}, expected a non-negative integer`);
    }
  }
}

/** A buffer must be a Float32Array holding at least what the descriptor implies; `shape` explains the count. */
export function checkArray(kernel: string, name: string, array: unknown, needed: number, shape: string): void {
  if (!(array instanceof Float32Array)) fail(kernel, `${name} is ${show(array)}, expected a Float32Array ${shape}`);
  if (array.length < needed) {
    fail(kernel, `${name} has ${array.length} elements, expected at least ${needed} for shape ${shape}`);
  }
}

/** The same check for an optional bias: null means "no bias". */
export function checkBias(kernel: string, bias: unknown, needed: number, shape: string): void {
  if (bias !== null) checkArray(kernel, 'bias', bias, needed, shape);
}

function overlapping(a: Float32Array, aLength: number, b: Float32Array, bLength: number): boolean {
  if (a.buffer !== b.buffer) return false;
  const aEnd = a.byteOffset + aLength * 4;
  const bEnd = b.byteOffset + bLength * 4;
  return a.byteOffset < bEnd && b.byteOffset < aEnd;
}

/**
 * Kernels that read an input element after writing an output element (convolutions, matrix
 * products, pools) would read their own results if the two shared memory, so that is refused.
 */
export function checkDisjoint(
  kernel: string,
  output: Float32Array,
  outputLength: number,
  inputName: string,
  input: Float32Array | null,
  inputLength: number,
): void {
  if (input !== null && overlapping(output, outputLength, input, inputLength)) {
    fail(kernel, `output overlaps ${inputName}, expected separate memory (this kernel cannot run in place)`);
  }
}

/**
 * Element-wise kernels read element i before writing element i, so output may be exactly the input
 * (in place) or separate memory; a shifted overlap would read already-written values and is refused.
 */
export function checkSameOrDisjoint(
  kernel: string,
  output: Float32Array,
  inputName: string,
  input: Float32Array,
  length: number,
): void {
  const same = output.buffer === input.buffer && output.byteOffset === input.byteOffset;
  if (!same && overlapping(output, length, input, length)) {
    fail(kernel, `output partially overlaps ${inputName}, expected the same view (in place) or separate memory`);
  }
}

/** A buffer as a kernel checks it: name, array, the elements it needs, and its shape for messages. */
export type Operand = readonly [name: string, array: Float32Array, length: number, shape: string];

/**
 * Gradient buffers are written while the inputs are still being read, and gradWeight/gradBias are
 * read-modify-write, so every gradient must be disjoint from every input and from the others.
 */
export function checkGradientsDisjoint(
  kernel: string,
  writes: readonly (readonly [string, Float32Array, number, ...unknown[]])[],
  reads: readonly (readonly [string, Float32Array, number, ...unknown[]])[],
): void {
  for (let i = 0; i < writes.length; i++) {
    const [writeName, write, writeLength] = writes[i]!;
    for (const [readName, read, readLength] of [...reads, ...writes.slice(i + 1)]) {
      if (overlapping(write, writeLength, read, readLength)) fail(kernel, `${writeName} overlaps ${readName}, expected separate memory`);
    }
  }
}

/**
 * The operands of a backward kernel: every input present and large enough; each gradient either
 * null (not wanted) or large enough; the gradients disjoint from the inputs and from each other.
 */
export function checkBackwardOperands(
  kernel: string,
  reads: readonly Operand[],
  gradients: readonly (readonly [name: string, array: Float32Array | null, length: number, shape: string])[],
): void {
  for (const [name, array, length, shape] of reads) checkArray(kernel, name, array, length, shape);
  const writes: Operand[] = [];
  for (const [name, array, length, shape] of gradients) {
    if (array === null) continue;
    checkArray(kernel, name, array, length, shape);
    writes.push([name, array, length, shape]);
  }
  checkGradientsDisjoint(kernel, writes, reads);
}

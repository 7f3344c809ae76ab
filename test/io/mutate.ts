/**
 * Seeded byte mutations for the malformed-input tests (test/io/malformed-inputs.test.ts): truncation,
 * byte flips, length/offset/count fields overwritten with huge or negative values, inserted,
 * duplicated, deleted and zero-filled ranges, plus finders for the fields of the container formats
 * the parsers read (zip records, HDF5 addresses, protobuf varints). Every mutation comes with a
 * description, so that a failing input can be rebuilt from it.
 */
import { MobileNetError } from '../../src/errors.js';
import { seededRandom } from '../helpers.js';

export type Random = () => number;

/** A fixed-width integer field of a file: a length, an offset, a count. */
export interface Field {
  offset: number;
  size: 1 | 2 | 4 | 8;
  littleEndian: boolean;
  what: string;
}

export interface Mutated {
  bytes: Uint8Array;
  description: string;
}

/** A mutation that knows the file's structure (may return undefined when it does not apply). */
export type StructuredMutation = (base: Uint8Array, random: Random) => Mutated | undefined;

export interface MutationTarget {
  /** Shown in failure messages: the file and the entry point. */
  name: string;
  base: Uint8Array;
  /** Fields to overwrite with extreme values. */
  fields?: readonly Field[];
  /** Byte ranges [start, end) (headers) that half of the positional mutations aim at. */
  hot?: ReadonlyArray<readonly [number, number]>;
  structured?: readonly StructuredMutation[];
  run: (bytes: Uint8Array) => unknown;
}

export const int = (random: Random, n: number): number => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

export function splice(bytes: Uint8Array, at: number, remove: number, insert: ArrayLike<number> = []): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** A position, half the time inside one of the hot ranges. */
function position(random: Random, length: number, hot: ReadonlyArray<readonly [number, number]>, inclusiveEnd = false): number {
  const limit = inclusiveEnd ? length + 1 : length;
  if (limit <= 0) return 0;
  if (hot.length > 0 && random() < 0.5) {
    const [start, end] = pick(random, hot);
    const s = Math.min(start, limit - 1);
    const e = Math.min(Math.max(end, s + 1), limit);
    return s + int(random, e - s);
  }
  return int(random, limit);
}

/** Extreme values for an n-byte field, as unsigned bigints (-1 is all ones). */
function extremeValues(size: number, original: bigint, fileLength: number): bigint[] {
  const bits = BigInt(size * 8);
  const mask = (1n << bits) - 1n;
  const values = [0n, 1n, mask, mask >> 1n, 1n << (bits - 1n), original + 1n, original - 1n, original * 2n, BigInt(fileLength), BigInt(fileLength) + 1n];
  if (size >= 4) values.push(0x7fffffffn, 0x80000000n, 0xfffffff0n);
  if (size === 8) values.push(2n ** 53n, 2n ** 53n + 1n, 2n ** 32n, 2n ** 62n);
  return values.map((v) => ((v % (mask + 1n)) + (mask + 1n)) % (mask + 1n));
}

function readField(bytes: Uint8Array, f: Field): bigint {
  let v = 0n;
  for (let i = 0; i < f.size; i++) {
    const b = BigInt(bytes[f.offset + (f.littleEndian ? i : f.size - 1 - i)] ?? 0);
    v |= b << BigInt(8 * i);
  }
  return v;
}

function writeField(bytes: Uint8Array, f: Field, value: bigint): void {
  for (let i = 0; i < f.size; i++) {
    const at = f.offset + (f.littleEndian ? i : f.size - 1 - i);
    if (at < bytes.length) bytes[at] = Number((value >> BigInt(8 * i)) & 0xffn);
  }
}

/** One generic mutation of `bytes`. */
function mutateOnce(bytes: Uint8Array, random: Random, fields: readonly Field[], hot: ReadonlyArray<readonly [number, number]>): Mutated {
  const n = bytes.length;
  const kind = int(random, fields.length > 0 ? 9 : 8);
  switch (kind) {
    case 0: {
      const at = position(random, n, hot);
      return { bytes: bytes.slice(0, at), description: `truncate to ${at}` };
    }
    case 1: {
      const out = bytes.slice();
      const flips: string[] = [];
      for (let k = 1 + int(random, 4); k > 0 && n > 0; k--) {
        const at = position(random, n, hot);
        const mask = 1 + int(random, 255);
        out[at]! ^= mask;
        flips.push(`${at}^${mask}`);
      }
      return { bytes: out, description: `flip ${flips.join(',')}` };
    }
    case 2: {
      const out = bytes.slice();
      const at = position(random, n, hot);
      const value = pick(random, [0x00, 0xff, 0x7f, 0x80, 0x01]);
      if (n > 0) out[at] = value;
      return { bytes: out, description: `set byte ${at}=${value}` };
    }
    case 3: {
      const at = position(random, n, hot, true);
      const insert = Array.from({ length: 1 + int(random, 16) }, () => int(random, 256));
      return { bytes: splice(bytes, at, 0, insert), description: `insert ${insert.length} bytes at ${at}` };
    }
    case 4: {
      const from = position(random, n, hot);
      const length = Math.min(1 + int(random, 64), n - from);
      const at = random() < 0.5 ? from + length : position(random, n, hot, true);
      return { bytes: splice(bytes, at, 0, bytes.slice(from, from + length)), description: `duplicate [${from}, +${length}) at ${at}` };
    }
    case 5: {
      const out = bytes.slice();
      const from = position(random, n, hot);
      const length = Math.min(1 + int(random, 64), n - from);
      out.fill(0, from, from + length);
      return { bytes: out, description: `zero [${from}, +${length})` };
    }
    case 6: {
      const from = position(random, n, hot);
      const length = Math.min(1 + int(random, 32), n - from);
      return { bytes: splice(bytes, from, Math.max(length, 0)), description: `delete [${from}, +${length})` };
    }
    case 7: {
      // A 4-byte little-endian or big-endian word anywhere set to an extreme value.
      const out = bytes.slice();
      const field: Field = { offset: position(random, Math.max(n - 3, 1), hot), size: 4, littleEndian: random() < 0.5, what: 'word' };
      const value = pick(random, extremeValues(4, readField(out, field), n));
      writeField(out, field, value);
      return { bytes: out, description: `word @${field.offset} ${field.littleEndian ? 'le' : 'be'} = ${value}` };
    }
    default: {
      const out = bytes.slice();
      const field = pick(random, fields);
      const value = pick(random, extremeValues(field.size, readField(out, field), n));
      writeField(out, field, value);
      return { bytes: out, description: `field ${field.what} @${field.offset} = ${value}` };
    }
  }
}

/** One mutated input: a structured mutation (when the target has some) or one to three generic ones. */
export function mutate(target: MutationTarget, random: Random): Mutated {
  const structured = target.structured ?? [];
  if (structured.length > 0 && random() < 0.4) {
    const m = pick(random, structured)(target.base, random);
    if (m !== undefined) return m;
  }
  let bytes = target.base;
  const steps: string[] = [];
  const count = random() < 0.7 ? 1 : 2 + int(random, 2);
  for (let k = 0; k < count; k++) {
    const m = mutateOnce(bytes, random, target.fields ?? [], target.hot ?? []);
    bytes = m.bytes;
    steps.push(m.description);
  }
  return { bytes, description: steps.join('; ') };
}

/** Undefined when `run` accepted the input or refused it properly; otherwise what went wrong. */
export async function misbehaviour(run: (bytes: Uint8Array) => unknown, bytes: Uint8Array): Promise<string | undefined> {
  try {
    await run(bytes);
    return undefined;
  } catch (error) {
    if (error instanceof MobileNetError && error.message.trim() !== '' && error.code !== 'INTERNAL') return undefined;
    if (error instanceof Error) {
      const frame = error.stack?.split('\n').find((l) => l.includes('/dist/src/')) ?? error.stack?.split('\n')[1] ?? '';
      return `${error.name}${error instanceof MobileNetError ? ` ${error.code}` : ''}: ${error.message.split('\n')[0]} ${frame.trim()}`;
    }
    return `threw a non-Error: ${String(error)}`;
  }
}

/**
 * Runs `count` seeded mutations of the target through its entry point; returns one line per input
 * that was neither accepted nor refused with a MobileNetError.
 */
export async function fuzz(target: MutationTarget, count: number, seed: number, log?: (line: string) => void): Promise<string[]> {
  const random = seededRandom(seed);
  const failures: string[] = [];
  for (let i = 0; i < count; i++) {
    const { bytes, description } = mutate(target, random);
    const started = performance.now();
    const problem = await misbehaviour(target.run, bytes);
    const ms = performance.now() - started;
    if (problem !== undefined) failures.push(`${target.name} #${i} [${description}] (${bytes.length} bytes): ${problem}`);
    if (log && ms > 500) log(`slow: ${target.name} #${i} [${description}] took ${ms.toFixed(0)} ms`);
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------
// Field finders

const u32le = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** The size, offset and count fields of each zip record, by signature: [offset in the record, size, name]. */
const ZIP_RECORD_FIELDS: ReadonlyMap<number, ReadonlyArray<readonly [number, 2 | 4 | 8, string]>> = new Map([
  [0x04034b50, [[8, 2, 'local method'], [18, 4, 'local compressed size'], [22, 4, 'local size'], [26, 2, 'local name length'], [28, 2, 'local extra length']]],
  [
    0x02014b50,
    [
      [10, 2, 'central method'], [20, 4, 'central compressed size'], [24, 4, 'central size'], [28, 2, 'central name length'],
      [30, 2, 'central extra length'], [32, 2, 'central comment length'], [42, 4, 'central local header offset'],
    ],
  ],
  [0x06054b50, [[8, 2, 'eocd entries on disk'], [10, 2, 'eocd entries'], [12, 4, 'eocd directory size'], [16, 4, 'eocd directory offset'], [20, 2, 'eocd comment length']]],
  [0x06064b50, [[24, 8, 'zip64 entries on disk'], [32, 8, 'zip64 entries'], [40, 8, 'zip64 directory size'], [48, 8, 'zip64 directory offset']]],
  [0x07064b50, [[8, 8, 'zip64 eocd offset']]],
] as const);

/** The size, offset and count fields of every zip record (local header, central directory, end records). */
export function zipFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  for (let at = 0; at + 4 <= bytes.length; at++) {
    if (bytes[at] !== 0x50 || bytes[at + 1] !== 0x4b) continue;
    for (const [offset, size, what] of ZIP_RECORD_FIELDS.get(u32le(bytes, at)) ?? []) {
      if (at + offset + size <= bytes.length) fields.push({ offset: at + offset, size, littleEndian: true, what });
    }
  }
  return fields;
}

/**
 * HDF5 fields: the superblock's sizes and addresses, and every 4-aligned 8-byte little-endian word
 * whose value points inside the file (object header, B-tree, heap addresses and lengths).
 */
export function hdf5Fields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [
    { offset: 8, size: 1, littleEndian: true, what: 'superblock version' },
    { offset: 13, size: 1, littleEndian: true, what: 'size of offsets' },
    { offset: 14, size: 1, littleEndian: true, what: 'size of lengths' },
    { offset: 16, size: 2, littleEndian: true, what: 'group leaf K' },
    { offset: 18, size: 2, littleEndian: true, what: 'group internal K' },
  ];
  for (let at = 16; at + 8 <= bytes.length; at += 4) {
    const low = u32le(bytes, at);
    const high = u32le(bytes, at + 4);
    if (high === 0 && low > 0 && low < bytes.length) fields.push({ offset: at, size: 8, littleEndian: true, what: `address/length ${low}` });
  }
  return fields;
}

export interface Varint {
  offset: number;
  length: number;
  /** 'length': the length prefix of a length-delimited field; 'value': an integer field. */
  kind: 'length' | 'value';
}

function readVarint(bytes: Uint8Array, at: number, end: number): [bigint, number] | undefined {
  let value = 0n;
  for (let i = 0; i < 10 && at + i < end; i++) {
    const b = bytes[at + i]!;
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if ((b & 0x80) === 0) return [value, at + i + 1];
  }
  return undefined;
}

/** Every varint of a protobuf message, descending into length-delimited fields that parse as messages. */
export function protobufVarints(bytes: Uint8Array, start = 0, end = bytes.length, depth = 0): Varint[] | undefined {
  const out: Varint[] = [];
  let pos = start;
  while (pos < end) {
    const tag = readVarint(bytes, pos, end);
    if (tag === undefined || tag[0] >> 3n === 0n) return undefined;
    pos = tag[1];
    switch (Number(tag[0] & 7n)) {
      case 0: {
        const v = readVarint(bytes, pos, end);
        if (v === undefined) return undefined;
        out.push({ offset: pos, length: v[1] - pos, kind: 'value' });
        pos = v[1];
        break;
      }
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const v = readVarint(bytes, pos, end);
        if (v === undefined || v[1] + Number(v[0]) > end) return undefined;
        out.push({ offset: pos, length: v[1] - pos, kind: 'length' });
        const inner = depth < 8 ? protobufVarints(bytes, v[1], v[1] + Number(v[0]), depth + 1) : undefined;
        if (inner !== undefined) out.push(...inner);
        pos = v[1] + Number(v[0]);
        break;
      }
      default:
        return undefined;
    }
  }
  return pos === end ? out : undefined;
}

export function encodeVarint(value: bigint): number[] {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}

/** Rewrites one varint of a protobuf file (a length or an integer) with an extreme value. */
export function protobufVarintMutation(varints: readonly Varint[]): StructuredMutation {
  return (base, random) => {
    if (varints.length === 0) return undefined;
    const v = pick(random, varints);
    const old = readVarint(base, v.offset, base.length)![0];
    const values =
      v.kind === 'length'
        ? [0n, old + 1n, old - 1n, old + 1000n, 0x7fffffffn, 0xffffffffn, 2n ** 53n, -1n, BigInt(base.length)]
        : [-1n, -(2n ** 31n), 2n ** 31n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 0n, old * 1000n];
    const value = pick(random, values);
    return { bytes: splice(base, v.offset, v.length, encodeVarint(value)), description: `varint (${v.kind}) @${v.offset} = ${value}` };
  };
}

/** Replaces one decimal number in bytes [start, end) of a text header with an extreme one; `fix` rewrites the header's length. */
export function textNumberMutation(start: number, end: (base: Uint8Array) => number, fix?: (bytes: Uint8Array, headerDelta: number) => void): StructuredMutation {
  return (base, random) => {
    const text = new TextDecoder('latin1').decode(base.subarray(start, end(base)));
    const numbers = [...text.matchAll(/-?[0-9]+/g)];
    if (numbers.length === 0) return undefined;
    const m = pick(random, numbers);
    const replacement = pick(random, ['-1', '0', '-0', '1.5', '1e308', '1e999', '4294967296', '2147483648', '9007199254740993', '99999999999999999999999', '18446744073709551615', '']);
    const at = start + m.index!;
    const out = splice(base, at, m[0].length, new TextEncoder().encode(replacement));
    const delta = replacement.length - m[0].length;
    const fixed = fix !== undefined && random() < 0.8;
    if (fixed) fix!(out, delta);
    return { bytes: out, description: `number '${m[0]}' @${at} → '${replacement}'${fixed ? ' (length fixed)' : ''}` };
  };
}

/** Replaces one token of a text header (quotes, brackets, a word) with another; `fix` rewrites the header's length. */
export function textTokenMutation(start: number, end: (base: Uint8Array) => number, tokens: readonly string[], fix?: (bytes: Uint8Array, headerDelta: number) => void): StructuredMutation {
  return (base, random) => {
    const text = new TextDecoder('latin1').decode(base.subarray(start, end(base)));
    const from = pick(random, tokens);
    const index = text.indexOf(from, int(random, Math.max(text.length - from.length, 1)));
    const at = index >= 0 ? index : text.indexOf(from);
    if (at < 0) return undefined;
    const to = pick(random, tokens);
    const out = splice(base, start + at, from.length, new TextEncoder().encode(to));
    if (fix !== undefined) fix(out, to.length - from.length);
    return { bytes: out, description: `token '${from}' @${start + at} → '${to}'` };
  };
}

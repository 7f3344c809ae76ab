import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertRefused, fixturePath, seededRandom } from '../helpers.js';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { parseNpy } from '../../src/io/npy.js';
import { MobileNetError, type ErrorCode } from '../../src/errors.js';
import { allocateTypedArray, shapeSize, type DType, type NamedTensors, type Tensor } from '../../src/tensor.js';

const fixture = (name: string): Uint8Array => readFileSync(fixturePath('io', name));

/** A safetensors file from a header object (or raw header text) and a data area. */
function makeFile(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const area = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + area.length);
  new DataView(out.buffer).setUint32(0, text.length, true);
  out.set(text, 8);
  out.set(area, 8 + text.length);
  return out;
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

test('safetensors: tensors and metadata match the hand-assembled reference and numpy values', () => {
  const { tensors, metadata } = parseSafetensors(fixture('tensors.safetensors'));
  assert.deepEqual(metadata, { format: 'pt', source: 'tools/gen_io_fixtures.py' });
  const names = ['f4_2x3', 'f2_specials', 'f8_5', 'i8_extremes', 'i4_2x2x2', 'i2_7', 'i1_6', 'u1_4x4', 'b1_5', 'scalar_f8', 'empty_0x3'];
  assert.deepEqual([...tensors.keys()], names);
  for (const name of names) {
    const want = parseNpy(readFileSync(fixturePath('io', 'npy', `${name}.npy`)));
    assert.deepEqual(tensors.get(name), want, name);
  }
});

test('safetensors: serializeSafetensors reproduces the reference files byte for byte', () => {
  for (const name of ['tensors.safetensors', 'no_metadata.safetensors']) {
    const original = fixture(name);
    const { tensors, metadata } = parseSafetensors(original);
    assert.deepEqual(serializeSafetensors(tensors, metadata), new Uint8Array(original), name);
  }
});

test('safetensors: BF16 is widened exactly to float32', () => {
  const { tensors } = parseSafetensors(fixture('bf16.safetensors'));
  const want = parseNpy(fixture('bf16_expected.npy'));
  assert.deepEqual(tensors.get('b'), want);
});

test('safetensors: round trips every dtype in insertion order, with awkward names', () => {
  const random = seededRandom(3);
  const dtypes: DType[] = ['float32', 'float64', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];
  const tensors: NamedTensors = new Map();
  const names = ['z.last', '10', '2', '__proto__', 'ünïcödé "quoted"\n', 'constructor', ''];
  let n = 0;
  for (const dtype of dtypes) {
    for (const shape of [[], [3], [2, 0], [1, 3, 2]]) {
      const data = allocateTypedArray(dtype, shapeSize(shape));
      for (let i = 0; i < data.length; i++) {
        if (data instanceof BigInt64Array) data[i] = BigInt(Math.floor(random() * 1e9)) - 500_000_000n;
        else data[i] = dtype === 'bool' ? (random() < 0.5 ? 1 : 0) : Math.floor(random() * 100);
      }
      const name = n < names.length ? names[n]! : `${dtype}.${shape.join('x')}`;
      tensors.set(name, { dtype, shape, data } as Tensor);
      n++;
    }
  }
  const metadata = { '10': 'ten', __proto__x: 'p', 'ÿ': '"' };
  const bytes = serializeSafetensors(tensors, metadata);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0);
  const back = parseSafetensors(bytes);
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  assert.deepEqual(back.tensors, tensors);
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(serializeSafetensors(back.tensors, back.metadata), bytes);
  // Empty file: no tensors, no metadata.
  const empty = serializeSafetensors(new Map());
  assert.deepEqual(parseSafetensors(empty), { tensors: new Map(), metadata: {} });
});

test('safetensors: tensors come back aligned and detached from a misaligned input buffer', () => {
  const original = fixture('tensors.safetensors');
  const buffer = new Uint8Array(original.length + 1);
  buffer.set(original, 1);
  const { tensors } = parseSafetensors(buffer.subarray(1));
  for (const [name, t] of tensors) {
    assert.equal(t.data.byteOffset % t.data.BYTES_PER_ELEMENT, 0, name);
    assert.notEqual(t.data.buffer, buffer.buffer, name);
  }
});

test('safetensors: a metadata key "__proto__" stays an own string entry', () => {
  const file = makeFile('{"__metadata__": {"__proto__": "x"}}');
  const { metadata } = parseSafetensors(file);
  assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
  assert.deepEqual(Object.entries(metadata), [['__proto__', 'x']]);
});

test('safetensors: refuses headers that break the format rules', () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => entry('F32', shape, begin, end);
  const cases: [unknown, number, ErrorCode, RegExp][] = [
    [{ a: f32(0, 8), b: f32(4, 12) }, 12, 'INVALID_FORMAT', /tensor 'b' data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/],
    [{ a: f32(0, 8), b: f32(0, 8) }, 8, 'INVALID_FORMAT', /overlap/],
    [{ a: f32(0, 4), b: f32(8, 12) }, 12, 'INVALID_FORMAT', /bytes \[4, 8\) .* belong to no tensor/],
    [{ a: f32(4, 8) }, 8, 'INVALID_FORMAT', /gap before tensor 'a'/],
    [{ a: f32(0, 4) }, 8, 'INVALID_FORMAT', /cover 4 bytes but the data area holds 8/],
    [{ a: f32(0, 12) }, 8, 'INVALID_FORMAT', /\[0, 12\] run past the end of the 8-byte data area/],
    [{ a: f32(0, 8, [3]) }, 8, 'INVALID_FORMAT', /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8/],
    [{ a: f32(8, 0, [0]) }, 8, 'INVALID_FORMAT', /0 <= begin <= end/],
    [{ a: entry('F32', [-2], 0, 8) }, 8, 'INVALID_FORMAT', /non-negative integers, got -2/],
    [{ a: entry('F32', [2.5], 0, 8) }, 8, 'INVALID_FORMAT', /non-negative integers, got 2\.5/],
    [{ a: entry('F32', [2 ** 60, 2 ** 60, 0.5], 0, 8) }, 8, 'INVALID_FORMAT', /non-negative integers/],
    [{ a: entry('F32', [2 ** 52, 2 ** 52], 0, 8) }, 8, 'INVALID_FORMAT', /needs .* bytes but data_offsets/],
    [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8, 9] } }, 8, 'INVALID_FORMAT', /must be \[begin, end\]/],
    [{ a: { dtype: 'F32', shape: [2] } }, 8, 'INVALID_FORMAT', /"data_offsets" must be \[begin, end\], got nothing/],
    [{ a: { shape: [2], data_offsets: [0, 8] } }, 8, 'INVALID_FORMAT', /"dtype" must be a string/],
    [{ a: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, 8, 'INVALID_FORMAT', /"shape" must be an array/],
    [{ a: { ...f32(0, 8), extra: 1 } }, 8, 'INVALID_FORMAT', /unexpected key\(s\) "extra"/],
    [{ a: entry('F33', [2], 0, 8) }, 8, 'INVALID_FORMAT', /unknown dtype "F33"/],
    [{ a: entry('U16', [4], 0, 8) }, 8, 'UNSUPPORTED', /tensor 'a' has dtype U16/],
    [{ a: 'tensor' }, 8, 'INVALID_FORMAT', /tensor 'a': expected an object/],
    [{ __metadata__: { k: 1 } }, 0, 'INVALID_FORMAT', /"__metadata__" value for "k" must be a string, got 1/],
    [{ __metadata__: ['x'] }, 0, 'INVALID_FORMAT', /"__metadata__" must be an object of strings/],
    ['[1, 2]', 0, 'INVALID_FORMAT', /must be a JSON object starting with '\{'/],
    [' {}', 0, 'INVALID_FORMAT', /starting with '\{'/],
    ['{"a": }', 0, 'INVALID_FORMAT', /not valid JSON/],
    ['{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}  x', 4, 'INVALID_FORMAT', /not valid JSON/],
  ];
  for (const [header, dataLength, code, pattern] of cases) {
    assertRefused(() => parseSafetensors(makeFile(header, dataLength)), code, pattern);
  }
});

test('safetensors: refuses bad header lengths and encodings', () => {
  const good = fixture('no_metadata.safetensors');
  const tooLong = new Uint8Array(good);
  new DataView(tooLong.buffer).setUint32(0, good.length, true);
  assertRefused(() => parseSafetensors(tooLong), 'INVALID_FORMAT', /runs past the end of the file/);
  const huge = new Uint8Array(good);
  new DataView(huge.buffer).setUint32(4, 1, true); // 2^32 + n
  assertRefused(() => parseSafetensors(huge), 'INVALID_FORMAT', /exceeds the 100000000-byte limit/);
  const overCap = new Uint8Array(good);
  new DataView(overCap.buffer).setUint32(0, 100_000_001, true);
  assertRefused(() => parseSafetensors(overCap), 'INVALID_FORMAT', /exceeds the 100000000-byte limit/);
  const badUtf8 = makeFile('{"\xff": 1}');
  badUtf8[10] = 0xff;
  assertRefused(() => parseSafetensors(badUtf8), 'INVALID_FORMAT', /not valid UTF-8/);
  assertRefused(() => parseSafetensors(new Uint8Array(5)), 'INVALID_FORMAT', /too short/);
  assertRefused(() => parseSafetensors(new Uint8Array(8)), 'INVALID_FORMAT', /starting with '\{'/);
  // A header padded with trailing spaces (as writers do) is fine.
  assert.equal(parseSafetensors(makeFile('{}      ')).tensors.size, 0);
});

test('safetensors: every truncation is refused with INVALID_FORMAT', () => {
  for (const name of ['tensors.safetensors', 'bf16.safetensors']) {
    const bytes = fixture(name);
    for (let cut = 0; cut < bytes.length; cut++) {
      assertRefused(() => parseSafetensors(bytes.subarray(0, cut)), 'INVALID_FORMAT');
    }
  }
});

test('safetensors: random corruption yields tensors or a MobileNetError, never another exception', () => {
  const random = seededRandom(5);
  const original = fixture('tensors.safetensors');
  const headerEnd = 8 + new DataView(original.buffer, original.byteOffset).getUint32(0, true);
  for (let trial = 0; trial < 3000; trial++) {
    const bytes = new Uint8Array(original);
    const flips = 1 + Math.floor(random() * 3);
    for (let i = 0; i < flips; i++) {
      const at = Math.floor(random() * headerEnd);
      // Mostly digits and JSON punctuation, so that many mutants still parse as JSON.
      bytes[at] = random() < 0.7 ? '0123456789[]{},:"-.'.charCodeAt(Math.floor(random() * 19)) : Math.floor(random() * 256);
    }
    try {
      parseSafetensors(bytes);
    } catch (e) {
      assert.ok(e instanceof MobileNetError, `trial ${trial}: ${String(e)}`);
    }
  }
});

test('safetensors: the writer refuses a reserved name, a bad tensor or non-string metadata', () => {
  const t: Tensor = { dtype: 'float32', shape: [1], data: new Float32Array(1) };
  assertRefused(() => serializeSafetensors(new Map([['__metadata__', t]])), 'INVALID_ARGUMENT', /reserved/);
  assertRefused(() => serializeSafetensors(new Map([['x', { ...t, shape: [2] }]])), 'INVALID_ARGUMENT', /'x' is not a tensor/);
  const bad: Record<string, string> = JSON.parse('{"k": 3}'); // untyped input from outside, as a caller might pass
  assertRefused(() => serializeSafetensors(new Map(), bad), 'INVALID_ARGUMENT', /metadata value for 'k'/);
});

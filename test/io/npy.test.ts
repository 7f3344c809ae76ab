import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertRefused, fixturePath, seededRandom } from '../helpers.js';
import { parseNpy, serializeNpy } from '../../src/io/npy.js';
import { MobileNetError } from '../../src/errors.js';
import { allocateTypedArray, shapeSize, type DType, type Tensor } from '../../src/tensor.js';

interface Described {
  descr: string;
  shape: number[];
  values: (number | string | boolean)[];
  bits?: number[];
}

const expected = JSON.parse(readFileSync(fixturePath('io', 'npy', 'expected.json'), 'utf8')) as Record<string, Described>;
const npyBytes = (name: string): Uint8Array => readFileSync(fixturePath('io', 'npy', `${name}.npy`));

const DESCR_DTYPE: Record<string, DType> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<f2': 'float16',
  '<i8': 'int64',
  '<i4': 'int32',
  '<i2': 'int16',
  '|i1': 'int8',
  '|u1': 'uint8',
  '|b1': 'bool',
};

function jsonValue(v: number | string | boolean): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v);
}

/** An .npy file with a hand-written header (padded like NumPy's) followed by `data`. */
function makeNpy(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const preamble = version === 1 ? 10 : 12;
  const padded = header + ' '.repeat(63 - ((preamble + header.length) % 64)) + '\n';
  const text = new TextEncoder().encode(padded);
  const out = new Uint8Array(preamble + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(text, preamble);
  out.set(data, preamble + text.length);
  return out;
}

test('npy: values, dtypes and shapes match what numpy wrote', () => {
  assert.ok(Object.keys(expected).length >= 15);
  for (const [name, want] of Object.entries(expected)) {
    const t = parseNpy(npyBytes(name));
    assert.equal(t.dtype, DESCR_DTYPE[want.descr], name);
    assert.deepEqual(t.shape, want.shape, name);
    assert.equal(t.data.length, shapeSize(want.shape), name);
    if (t.dtype === 'float16') {
      assert.deepEqual([...(t.data as Uint16Array)], want.bits, name);
    } else if (t.dtype === 'int64') {
      assert.deepEqual([...(t.data as BigInt64Array)], want.values.map((v) => BigInt(v as string)), name);
    } else {
      const got = [...(t.data as Float64Array)];
      want.values.forEach((v, i) => assert.ok(Object.is(got[i], jsonValue(v)), `${name}[${i}]: got ${got[i]}, want ${v}`));
    }
  }
});

test('npy: serializeNpy reproduces numpy.save byte for byte (format 1.0)', () => {
  for (const name of Object.keys(expected).filter((n) => !/^v[23]_/.test(n))) {
    const original = npyBytes(name);
    assert.deepEqual(serializeNpy(parseNpy(original)), new Uint8Array(original), name);
  }
});

test('npy: versions 2.0 and 3.0 read like 1.0; the writer always writes 1.0 with data at a multiple of 64', () => {
  const v2 = parseNpy(npyBytes('v2_f4_3x2'));
  const v3 = parseNpy(npyBytes('v3_f4_3x2'));
  assert.deepEqual(v2, v3);
  const out = serializeNpy(v2);
  assert.equal(out[6], 1);
  assert.equal(out[7], 0);
  const headerLength = out[8]! | (out[9]! << 8);
  assert.equal((10 + headerLength) % 64, 0);
  assert.equal(out[10 + headerLength - 1], 0x0a);
});

test('npy: round trips every dtype, 0-d, empty and many-dimensional tensors', () => {
  const random = seededRandom(7);
  const dtypes: DType[] = ['float32', 'float64', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];
  const shapes = [[], [0], [1], [5], [2, 3], [0, 4, 2], [2, 1, 3, 2], [1, 1, 1, 1, 1, 1, 7], [123456789, 0]];
  for (const dtype of dtypes) {
    for (const shape of shapes) {
      const data = allocateTypedArray(dtype, shapeSize(shape));
      for (let i = 0; i < data.length; i++) {
        const r = random();
        if (data instanceof BigInt64Array) data[i] = BigInt(Math.floor((r - 0.5) * 2 ** 53)) * 977n;
        else if (dtype === 'bool') data[i] = r < 0.5 ? 1 : 0;
        else if (dtype === 'float16') data[i] = Math.floor(r * 0x10000);
        else data[i] = (r - 0.5) * 300;
      }
      const t: Tensor = { dtype, shape, data };
      const back = parseNpy(serializeNpy(t));
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, shape);
      assert.deepEqual(back.data, data, `${dtype} ${JSON.stringify(shape)}`);
    }
  }
});

test('npy: parsed data is a fresh aligned array even when the input is a misaligned view', () => {
  const original = npyBytes('f8_5');
  const buffer = new Uint8Array(original.length + 3);
  buffer.set(original, 3);
  const t = parseNpy(buffer.subarray(3));
  assert.equal(t.data.byteOffset % 8, 0);
  assert.notEqual(t.data.buffer, buffer.buffer);
  assert.deepEqual(t, parseNpy(original));
});

test('npy: refuses Fortran order, big-endian, unsupported and object dtypes with UNSUPPORTED', () => {
  assertRefused(() => parseNpy(npyBytes('refuse_fortran')), 'UNSUPPORTED', /Fortran-order.*\[2, 3\]/);
  assertRefused(() => parseNpy(npyBytes('refuse_bigendian')), 'UNSUPPORTED', /big-endian.*'>f4'/);
  assertRefused(() => parseNpy(npyBytes('refuse_u2')), 'UNSUPPORTED', /dtype '<u2' is not supported.*'<f4'/);
  assertRefused(() => parseNpy(npyBytes('refuse_structured')), 'UNSUPPORTED', /structured dtypes/);
  assertRefused(() => parseNpy(npyBytes('refuse_object')), 'UNSUPPORTED', /object arrays.*never loaded/);
});

test('npy: fortran_order True is harmless for 0-d and 1-d arrays (same layout) and is accepted', () => {
  const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
  const t = parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", data));
  assert.deepEqual([...(t.data as Float32Array)], [1, 2, 3]);
});

test('npy: header literal is parsed strictly, never evaluated', () => {
  const f4x2 = new Uint8Array(8);
  const cases: [string, RegExp][] = [
    ["{'descr': '<f4', 'shape': (2,), }", /no 'fortran_order' key/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", /unexpected key\(s\) 'extra'/],
    ["{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", /duplicate key 'descr'/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", /one-element tuple/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", /'shape' must be a tuple/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", /non-negative/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", /expected ',' or '\)'/],
    ["{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", /'fortran_order' must be True or False/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", /expected a value|expected ',' or '}'/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", /unexpected "x" after the header dict/],
    ["{descr: '<f4', 'fortran_order': False, 'shape': (2,), }", /expected a value/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': __import__('os').system('x'), }", /expected a value/],
    ["{'descr': '<f4\\n', 'fortran_order': False, 'shape': (2,), }", /escape sequences/],
    ["{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", /expected ':'|expected ',' or '}'/],
    ["['descr', '<f4']", /dict literal/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", /too large/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (02,), }", /leading zero/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': " + '('.repeat(40) + "2,), }", /nested more than/],
  ];
  for (const [header, pattern] of cases) assertRefused(() => parseNpy(makeNpy(header, f4x2)), 'INVALID_FORMAT', pattern);
  // The same dict written with double quotes, no trailing comma and a Python 2 'L' suffix is fine.
  const t = parseNpy(makeNpy('{"descr": "<f4", "fortran_order": False, "shape": (2L,)}', f4x2));
  assert.deepEqual(t.shape, [2]);
});

test('npy: refuses bad magic, versions, lengths and trailing bytes', () => {
  const good = npyBytes('f4_2x3');
  assertRefused(() => parseNpy(new TextEncoder().encode('PK\x03\x04 this is a zip, not an npy')), 'INVALID_FORMAT', /expected magic/);
  const v4 = new Uint8Array(good);
  v4[6] = 4;
  assertRefused(() => parseNpy(v4), 'UNSUPPORTED', /version 4\.0/);
  const longHeader = new Uint8Array(good);
  longHeader[8] = 0xff;
  longHeader[9] = 0xff;
  assertRefused(() => parseNpy(longHeader), 'INVALID_FORMAT', /header declares 65535 bytes/);
  const hugeV2 = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8), 2);
  new DataView(hugeV2.buffer).setUint32(8, 0xfffffff0, true);
  assertRefused(() => parseNpy(hugeV2), 'INVALID_FORMAT', /exceeds the 1048576-byte limit/);
  const trailing = new Uint8Array(good.length + 1);
  trailing.set(good);
  assertRefused(() => parseNpy(trailing), 'INVALID_FORMAT', /needs 24 bytes .* found 25 \(trailing bytes\)/);
  const hugeShape = makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", new Uint8Array(8));
  assertRefused(() => parseNpy(hugeShape), 'INVALID_FORMAT', /data length mismatch/);
  const badUtf8 = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8), 3);
  badUtf8[20] = 0xff;
  assertRefused(() => parseNpy(badUtf8), 'INVALID_FORMAT', /not valid UTF-8/);
});

test('npy: every truncation of every fixture is refused with INVALID_FORMAT', () => {
  for (const name of ['f4_2x3', 'i8_extremes', 'scalar_f8', 'b1_5', 'v2_f4_3x2', 'v3_f4_3x2']) {
    const bytes = npyBytes(name);
    for (let cut = 0; cut < bytes.length; cut++) {
      assertRefused(() => parseNpy(bytes.subarray(0, cut)), 'INVALID_FORMAT');
    }
  }
});

test('npy: random corruption yields a tensor or a MobileNetError, never another exception', () => {
  const random = seededRandom(11);
  const sources = Object.keys(expected).map(npyBytes);
  for (let trial = 0; trial < 3000; trial++) {
    const bytes = new Uint8Array(sources[trial % sources.length]!);
    const flips = 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips; i++) bytes[Math.floor(random() * Math.min(bytes.length, 130))] = Math.floor(random() * 256);
    try {
      parseNpy(bytes);
    } catch (e) {
      assert.ok(e instanceof MobileNetError, `trial ${trial}: ${String(e)}`);
    }
  }
});

test('npy: serializeNpy refuses a tensor whose data does not match its shape', () => {
  assertRefused(() => serializeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(2) }), 'INVALID_ARGUMENT');
});

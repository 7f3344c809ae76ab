import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { assertRefused, fixturePath, seededRandom } from '../helpers.js';
import { parseTorchCheckpoint, parseTorchStateDict } from '../../src/io/torch.js';
import { PickleGlobal, unpickle } from '../../src/io/pickle.js';
import { parseNpy } from '../../src/io/npy.js';
import { MobileNetError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';

const fixture = (name: string): Uint8Array => readFileSync(fixturePath('io', name));
const expectedTensor = (name: string): Tensor => parseNpy(fixture(`torch_expected/${name}.npy`));

// ---- a small pickle assembler for hand-made (often hostile) pickles ----

type Part = number | string | readonly number[] | Uint8Array;
/** Concatenates parts: numbers are single bytes, strings are raw latin-1 bytes (opcodes and operands). */
function bytesOf(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return new Uint8Array(out);
}
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const str = (s: string): number[] => {
  const utf8 = new TextEncoder().encode(s);
  return [0x58, ...u32(utf8.length), ...utf8];
};
const int = (n: number): number[] => {
  if (n >= 0 && n < 256) return [0x4b, n];
  if (n >= 0 && n < 65536) return [0x4d, n & 0xff, n >> 8];
  if (n >= -(2 ** 31) && n < 2 ** 31) return [0x4a, ...u32(n >>> 0)];
  const bytes: number[] = []; // LONG1, 8 bytes two's complement
  let v = BigInt.asUintN(64, BigInt(n));
  for (let i = 0; i < 8; i++, v >>= 8n) bytes.push(Number(v & 0xffn));
  return [0x8a, 8, ...bytes];
};
const tuple = (items: readonly number[]): number[] => [0x28, ...items.flatMap(int), 0x74];
const global = (module: string, name: string): number[] => [...bytesOf('c', `${module}\n${name}\n`)];

interface TensorSpec {
  storage?: string;
  key?: string;
  numel: number;
  offset?: number;
  size: number[];
  stride: number[];
}
/** The opcodes torch.save writes for one tensor (protocol 2). */
function tensorOps(t: TensorSpec): number[] {
  return [
    ...global('torch._utils', '_rebuild_tensor_v2'),
    0x28, // MARK: the argument tuple
    0x28, // MARK: the persistent id
    ...str('storage'),
    ...global('torch', t.storage ?? 'FloatStorage'),
    ...str(t.key ?? '0'),
    ...str('cpu'),
    ...int(t.numel),
    0x74, // TUPLE
    0x51, // BINPERSID
    ...int(t.offset ?? 0),
    ...tuple(t.size),
    ...tuple(t.stride),
    0x89, // requires_grad False
    ...global('collections', 'OrderedDict'),
    0x29,
    0x52, // OrderedDict()
    0x74, // TUPLE
    0x52, // REDUCE
  ];
}
/** A protocol-2 pickle of {name: tensor, ...}. */
function stateDictPickle(entries: [string, TensorSpec][]): Uint8Array {
  return bytesOf(0x80, 2, 0x7d, 0x28, ...entries.flatMap(([name, t]) => [...str(name), ...tensorOps(t)]), 0x75, 0x2e);
}
/** A torch.save-like zip archive (stored entries unless `level` says otherwise). */
function archive(pickle: Uint8Array, storages: Record<string, Uint8Array> = {}, extra: Zippable = {}, level: 0 | 6 = 0): Uint8Array {
  const files: Zippable = { 'archive/data.pkl': pickle, 'archive/version': bytesOf('3\n'), ...extra };
  for (const [key, data] of Object.entries(storages)) files[`archive/data/${key}`] = data;
  return zipSync(files, { level });
}
const floats = (...values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);
/** Parses a bare pickle with no globals allowed. */
const plain = (...parts: Part[]): unknown => unpickle(bytesOf(...parts), { globals: new Map() });

// ---- reading real torch.save output ----

const STATE_DICT_ORDER = [
  '0.weight', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
  'extra.half', 'extra.double', 'extra.int64', 'extra.int32', 'extra.int16', 'extra.int8', 'extra.uint8', 'extra.bool',
  'extra.bf16', 'extra.scalar_f32', 'extra.empty', 'extra.transposed', 'extra.permuted', 'extra.expanded',
  'extra.view_a', 'extra.view_b', 'extra.strided',
];

for (const file of ['state_dict.pt', 'state_dict_protocol4.pt', 'state_dict_legacy.pt']) {
  test(`torch: ${file}: every tensor matches numpy's copy of torch's value (dtype, shape, bits)`, () => {
    const tensors = parseTorchStateDict(fixture(file));
    assert.deepEqual([...tensors.keys()], STATE_DICT_ORDER);
    for (const [name, tensor] of tensors) assert.deepEqual(tensor, expectedTensor(name), name);
    assert.equal(tensors.get('1.num_batches_tracked')!.dtype, 'int64');
    assert.deepEqual(tensors.get('1.num_batches_tracked')!.shape, []);
    assert.deepEqual([...(tensors.get('1.num_batches_tracked')!.data as BigInt64Array)], [7n]);
  });
}

test('torch: views sharing one storage come out as independent, aligned C-order copies', () => {
  const tensors = parseTorchStateDict(fixture('state_dict.pt'));
  const a = tensors.get('extra.view_a')!;
  const b = tensors.get('extra.view_b')!;
  const s = tensors.get('extra.strided')!;
  // base = arange(24) * 0.5; view_a = base[2:8].view(2, 3); view_b = base[10:22].view(3, 4)[:, 1:3]; strided = base[1::5]
  assert.deepEqual([...(a.data as Float32Array)], [1, 1.5, 2, 2.5, 3, 3.5]);
  assert.deepEqual([...(b.data as Float32Array)], [5.5, 6, 7.5, 8, 9.5, 10]);
  assert.deepEqual([...(s.data as Float32Array)], [0.5, 3, 5.5, 8, 10.5]);
  assert.notEqual(a.data.buffer, b.data.buffer);
  (a.data as Float32Array)[0] = 99;
  assert.equal((s.data as Float32Array)[0], 0.5);
});

for (const file of ['checkpoint.pt', 'checkpoint_legacy.pt']) test(`torch: a training checkpoint (${file}): parseTorchCheckpoint gives the whole object, parseTorchStateDict its state_dict`, () => {
  const bytes = fixture(file);
  const root = parseTorchCheckpoint(bytes);
  assert.ok(root instanceof Map);
  assert.equal(root.get('epoch'), 3);
  assert.equal(root.get('arch'), 'mobilenet_v2');
  assert.equal(root.get('best_acc1'), 71.875);
  assert.deepEqual(root.get('milestones'), [30, 60, [90, 'end']]);
  assert.equal(root.get('big'), 2n ** 70n);
  assert.equal(root.get('negative'), -5);
  assert.equal(root.get('flag'), true);
  assert.equal(root.get('nothing'), null);
  const ema = root.get('ema_scale') as Tensor; // an nn.Parameter: _rebuild_parameter
  assert.deepEqual([...(ema.data as Float32Array)], [0.5, 0.25]);
  const tensors = parseTorchStateDict(bytes);
  assert.deepEqual([...tensors.keys()], STATE_DICT_ORDER.slice(0, 6));
  for (const [name, tensor] of tensors) assert.deepEqual(tensor, expectedTensor(name), name);
});

test('torch: the state dict is also found under model / model_state_dict / model_ema / state_dict_ema', () => {
  for (const key of ['model', 'model_state_dict', 'model_ema', 'state_dict_ema']) {
    const pickle = bytesOf(
      0x80, 2, 0x7d, 0x28,
      ...str('epoch'), ...int(1),
      ...str(key), 0x7d, 0x28, ...str('w'), ...tensorOps({ numel: 2, size: [2], stride: [1] }), 0x75,
      0x75, 0x2e,
    );
    const tensors = parseTorchStateDict(archive(pickle, { '0': floats(1, 2) }));
    assert.deepEqual([...tensors.keys()], ['w'], key);
  }
});

test('torch: deflate-compressed archives read the same as stored ones', () => {
  const entries = unzipSync(fixture('state_dict.pt'));
  const recompressed = zipSync(entries, { level: 6 });
  assert.deepEqual(parseTorchStateDict(recompressed), parseTorchStateDict(fixture('state_dict.pt')));
});

// ---- refusals on real files ----

test('torch: a pickle naming os.system is refused with UNSUPPORTED, naming the global, and nothing runs', () => {
  assertRefused(
    () => parseTorchStateDict(fixture('refuse_system.pt')),
    'UNSUPPORTED',
    /pickle refers to global 'posix system' \(GLOBAL at byte 180\).*never runs code from a file/,
  );
  assertRefused(() => parseTorchCheckpoint(fixture('refuse_main_class.pt')), 'UNSUPPORTED', /global '__main__ SomeModelClass'/);
});

test('torch: a plain pickle (no torch.save magic number) is refused with advice to re-save', () => {
  assertRefused(() => parseTorchStateDict(bytesOf(0x80, 2, 0x7d, 0x2e)), 'UNSUPPORTED', /pickle stream without torch\.save's magic number.*torch\.save\(torch\.load\(old_path\), new_path\)/);
});

/**
 * Where state_dict_legacy.pt's list of storage keys and its data section start: the list is the
 * fifth pickle, after the fourth STOP that a PROTO 2 follows, and holds no 0x2e (STOP) itself.
 */
function legacyLayout(bytes: Uint8Array): { keysStart: number; dataStart: number } {
  let stops = 0;
  let keysStart = -1;
  for (let i = 0; i + 2 < bytes.length && keysStart < 0; i++) {
    if (bytes[i] === 0x2e && bytes[i + 1] === 0x80 && bytes[i + 2] === 0x02 && ++stops === 4) keysStart = i + 1;
  }
  return { keysStart, dataStart: bytes.indexOf(0x2e, keysStart) + 1 };
}

test('torch: legacy files: a wrong structure is refused with INVALID_FORMAT naming the part', () => {
  const original = fixture('state_dict_legacy.pt');
  const { keysStart: keysAt, dataStart } = legacyLayout(original);
  assert.ok(keysAt > 0 && dataStart > keysAt);
  const edit = (f: (b: Uint8Array, v: DataView) => void): Uint8Array => {
    const b = Uint8Array.from(original);
    f(b, new DataView(b.buffer));
    return b;
  };
  // The first storage's element count (the first int64 of the data section).
  assertRefused(() => parseTorchStateDict(edit((_, v) => v.setBigInt64(dataStart, v.getBigInt64(dataStart, true) + 1n, true))), 'INVALID_FORMAT', /legacy file: storage '\d+' at byte \d+ holds \d+ elements, its tensors say \d+/);
  // Truncated in the data section, or with bytes after it.
  assertRefused(() => parseTorchStateDict(original.subarray(0, original.length - 3)), 'INVALID_FORMAT', /legacy file: truncated: storage '\d+' needs \d+ bytes/);
  assertRefused(() => parseTorchStateDict(original.subarray(0, dataStart + 4)), 'INVALID_FORMAT', /legacy file: truncated: storage '\d+' starts at byte/);
  const longer = new Uint8Array(original.length + 5);
  longer.set(original);
  assertRefused(() => parseTorchStateDict(longer), 'INVALID_FORMAT', /legacy file: 5 unexpected bytes after the last storage/);
  // A key list that misses a storage: torch.save's lists every one.
  const keys = unpickle(original.subarray(keysAt, dataStart), { globals: new Map() }) as string[];
  assert.ok(keys.length > 1);
  const oneKey = bytesOf(0x80, 2, 0x5d, 0x28, ...str(keys[0]!), 0x65, 0x2e); // [keys[0]]
  const firstStorage = new DataView(original.buffer, original.byteOffset).getBigInt64(dataStart, true);
  const firstSize = 8 + Number(firstStorage) * 4; // a float32 storage: the conv weight
  const missing = new Uint8Array([...original.subarray(0, keysAt), ...oneKey, ...original.subarray(dataStart, dataStart + firstSize)]);
  assertRefused(() => parseTorchStateDict(missing), 'INVALID_FORMAT', /legacy file: storage '\d+' is used by a tensor but not listed among the storages/);
  // The protocol version and the magic number.
  const protocolAt = LEGACY_MAGIC_BYTES + 3; // after the magic pickle: PROTO 2, BININT2 (0x4d) and its two bytes
  assert.deepEqual([...original.subarray(protocolAt - 3, protocolAt)], [0x80, 0x02, 0x4d]);
  assertRefused(() => parseTorchStateDict(edit((b) => (b[protocolAt] = 0xea))), 'UNSUPPORTED', /legacy file: protocol version int 1002; only 1001 is known/);
});
const LEGACY_MAGIC_BYTES = 15; // PROTO 2, LONG1 of 10 bytes, STOP

test('torch: files that are not torch archives are refused with INVALID_FORMAT', () => {
  assertRefused(() => parseTorchStateDict(new Uint8Array(0)), 'INVALID_FORMAT', /expected a zip archive.*\(empty file\)/);
  assertRefused(() => parseTorchStateDict(fixture('npy/f4_2x3.npy')), 'INVALID_FORMAT', /found 93 4e 55 4d/);
  assertRefused(() => parseTorchStateDict(zipSync({ 'a/b.txt': bytesOf('hi') })), 'INVALID_FORMAT', /no '<folder>\/data\.pkl' entry.*'a\/b\.txt'/);
  const pickle = stateDictPickle([['w', { numel: 1, size: [1], stride: [1] }]]);
  assertRefused(() => parseTorchStateDict(zipSync({ 'a/data.pkl': pickle, 'b/data.pkl': pickle })), 'INVALID_FORMAT', /2 '<folder>\/data\.pkl' entries/);
  assertRefused(
    () => parseTorchStateDict(archive(pickle, { '0': floats(1) }, { 'archive/constants.pkl': bytesOf(0x80, 2, 0x29, 0x2e) })),
    'UNSUPPORTED',
    /TorchScript archive/,
  );
  assertRefused(() => parseTorchStateDict(archive(pickle, { '0': floats(1) }, { 'archive/byteorder': bytesOf('big') })), 'UNSUPPORTED', /byte order 'big'/);
  assert.equal(parseTorchStateDict(archive(pickle, { '0': floats(1) }, { 'archive/byteorder': bytesOf('little') })).size, 1);
});

test('torch: zip entries with an unknown compression method or lying sizes are refused', () => {
  const pickle = stateDictPickle([['w', { numel: 1, size: [1], stride: [1] }]]);
  const zip = archive(pickle, { '0': floats(1) });
  const centralHeaders: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) {
    if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 0x01 && zip[i + 3] === 0x02) centralHeaders.push(i);
  }
  assert.ok(centralHeaders.length >= 3);
  const method = new Uint8Array(zip);
  method[centralHeaders[0]! + 10] = 12; // bzip2
  assertRefused(() => parseTorchStateDict(method), 'UNSUPPORTED', /compression method 12/);
  const sizes = new Uint8Array(zip);
  new DataView(sizes.buffer).setUint32(centralHeaders[0]! + 24, 0x7fffffff, true); // uncompressed size
  assertRefused(() => parseTorchStateDict(sizes), 'INVALID_FORMAT', /declares/);
  const bomb = zipSync({ 'archive/data.pkl': [pickle, { level: 6 }], 'archive/data/0': floats(1) });
  const bombHeaders = [...bomb.keys()].filter((i) => bomb[i] === 0x50 && bomb[i + 1] === 0x4b && bomb[i + 2] === 0x01 && bomb[i + 3] === 0x02);
  new DataView(bomb.buffer).setUint32(bombHeaders[0]! + 24, 0xfffffff0, true);
  assertRefused(() => parseTorchStateDict(bomb), 'INVALID_FORMAT', /claims to inflate/);
  // A deflated entry whose compressed size runs past the file: refused before fflate allocates the
  // 2 GB its uncompressed size claims (within the ratio a compressed size that large allows).
  const long = zipSync({ 'archive/data.pkl': [pickle, { level: 6 }], 'archive/data/0': floats(1) });
  const longHeaders = [...long.keys()].filter((i) => long[i] === 0x50 && long[i + 1] === 0x4b && long[i + 2] === 0x01 && long[i + 3] === 0x02);
  new DataView(long.buffer).setUint32(longHeaders[0]! + 20, 0xfffffff0, true); // compressed size
  new DataView(long.buffer).setUint32(longHeaders[0]! + 24, 0x7fffffff, true); // uncompressed size
  assertRefused(() => parseTorchStateDict(long), 'INVALID_FORMAT', /'archive\/data\.pkl' declares 4294967280 compressed bytes in a \d+-byte file/);
});

test('torch: a zip64 end record claiming billions of entries is refused at once (fflate reads past the real ones as empty names)', () => {
  // Found by test/io/malformed-inputs.test.ts: the entry limit counted distinct names, so the
  // 4294967295 records read past the end (all zeros: name '', 0 bytes stored) never reached it and
  // the parse ran for hours.
  const bytes = new Uint8Array(fixture('state_dict_protocol4.pt'));
  let zip64End = -1;
  for (let i = 0; i + 4 <= bytes.length; i++) if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 0x06 && bytes[i + 3] === 0x06) zip64End = i;
  assert.ok(zip64End > 0, 'torch.save writes a zip64 end record');
  new DataView(bytes.buffer).setUint32(zip64End + 32, 0xffffffff, true); // total entries
  new DataView(bytes.buffer).setUint32(zip64End + 48, bytes.length, true); // central directory offset: the end of the file
  assertRefused(() => parseTorchStateDict(bytes), 'INVALID_FORMAT', /zip entry '' appears twice \(corrupt central directory\?\)/);
});

// ---- the restricted unpickler on hand-made pickles ----

test('pickle: forbidden globals are refused by name, whether spelled by GLOBAL or STACK_GLOBAL', () => {
  const system = bytesOf(0x80, 2, ...global('os', 'system'), ...str('echo pwned'), 0x85, 0x52, 0x2e);
  assertRefused(() => parseTorchCheckpoint(archive(system)), 'UNSUPPORTED', /global 'os system' \(GLOBAL at byte 2\).*loads only tensors and never runs code/);
  const evalPickle = bytesOf(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, ...str('1+1'), 0x85, 0x52, 0x2e);
  assertRefused(() => parseTorchCheckpoint(archive(evalPickle)), 'UNSUPPORTED', /global 'builtins eval' \(STACK_GLOBAL at byte 18\)/);
  // An allowed name used as a function it is not: storage classes are type tags only.
  const callStorage = bytesOf(0x80, 2, ...global('torch', 'FloatStorage'), 0x29, 0x52, 0x2e);
  assertRefused(() => parseTorchCheckpoint(archive(callStorage)), 'UNSUPPORTED', /calls 'torch FloatStorage'.*type tag/);
});

test('pickle: opcodes outside the supported set are refused, naming the opcode and its offset', () => {
  assertRefused(() => plain(0x80, 2, 'i', 'os\nsystem\n', 0x2e), 'UNSUPPORTED', /INST \(0x69\) at byte 2 is not supported/);
  assertRefused(() => plain(0x80, 2, 0x29, 0x81, 0x2e), 'UNSUPPORTED', /NEWOBJ \(0x81\) at byte 3/);
  assertRefused(() => plain(0x80, 2, 'I12\n', 0x2e), 'UNSUPPORTED', /INT \(0x49\) at byte 2/);
  assertRefused(() => plain(0x80, 2, 0x82, 1, 0x2e), 'UNSUPPORTED', /EXT1/);
  assertRefused(() => plain(0x80, 2, 0xff, 0x2e), 'INVALID_FORMAT', /unknown pickle opcode 0xff/);
  assertRefused(() => plain(0x80, 6, 0x4e, 0x2e), 'UNSUPPORTED', /protocol 6/);
});

test('pickle: plain values decode like Python', () => {
  assert.deepEqual(plain(0x80, 2, ...int(7), 0x2e), 7);
  assert.deepEqual(plain(0x80, 2, 'J', ...u32(-3 >>> 0), 0x2e), -3);
  assert.deepEqual(plain(0x80, 2, 0x8a, 0, 0x2e), 0);
  assert.deepEqual(plain(0x80, 2, 0x8a, 2, 0xff, 0x7f, 0x2e), 32767);
  assert.deepEqual(plain(0x80, 2, 0x8a, 1, 0xff, 0x2e), -1);
  assert.deepEqual(plain(0x80, 2, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x2e), 2n ** 64n);
  assert.deepEqual(plain(0x80, 2, 0x8b, ...u32(8), 0, 0, 0, 0, 0, 0, 0, 0x80, 0x2e), -(2n ** 63n));
  assert.deepEqual(plain(0x80, 2, 'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x2e), 1.5);
  assert.deepEqual(plain(0x80, 4, 0x8c, 2, 0xc3, 0xa9, 0x2e), 'é');
  assert.deepEqual(plain(0x80, 4, 0x8d, 2, 0, 0, 0, 0, 0, 0, 0, 'hi', 0x2e), 'hi');
  assert.deepEqual(plain(0x80, 3, 'C', 2, 1, 2, 0x2e), new Uint8Array([1, 2]));
  assert.deepEqual(plain(0x80, 3, 'B', ...u32(1), 9, 0x2e), new Uint8Array([9]));
  assert.deepEqual(plain(0x80, 2, 0x4e, 0x2e), null);
  // APPENDS of a memoized reference makes a cycle (the list contains itself), not a copy.
  const selfList = plain(0x80, 2, ']', 0x71, 0, '(', 0x88, 0x89, 'h', 0, 'e', 0x2e) as unknown[];
  assert.equal(selfList.length, 3);
  assert.deepEqual(selfList.slice(0, 2), [true, false]);
  assert.equal(selfList[2], selfList);
  assert.deepEqual(plain(0x80, 4, 0x8f, '(', ...int(1), ...int(2), 0x90, 0x2e), new Set([1, 2]));
  assert.deepEqual(plain(0x80, 4, '(', ...int(1), 0x91, 0x2e), new Set([1]));
  assert.deepEqual(plain(0x80, 2, ...int(1), '2', 0x86, 0x2e), [1, 1]);
  assert.deepEqual(plain(0x80, 2, ...int(1), ...int(2), '0', 0x2e), 1);
  assert.deepEqual(plain(0x80, 2, ...int(1), '(', ...int(2), '1', 0x2e), 1);
  assert.deepEqual(plain(0x80, 2, 0x7d, ...int(1), ...str('one'), 's', 0x2e), new Map([[1, 'one']]));
  assert.deepEqual(plain(0x80, 4, 0x95, 3, 0, 0, 0, 0, 0, 0, 0, 0x4e, 0x94, 0x2e), null);
  const tupleValue = plain(0x80, 2, ...int(1), ...int(2), ...int(3), 0x87, 0x2e);
  assert.ok(Array.isArray(tupleValue) && Object.isFrozen(tupleValue));
});

test('pickle: malformed pickles are refused with INVALID_FORMAT and the offset', () => {
  const cases: [Part[], RegExp][] = [
    [[0x80, 2, 0x7d], /ends at byte 3 without a STOP/],
    [[0x80, 2, '0', 0x2e], /POP at byte 2: the stack is empty/],
    [[0x80, 2, '(', '0', 0x2e], /POP at byte 3: no value above the last MARK/],
    [[0x80, 2, 0x74, 0x2e], /TUPLE at byte 2: no MARK to pop to/],
    [[0x80, 2, 'h', 5, 0x2e], /BINGET at byte 2: memo entry 5 was never stored/],
    [[0x80, 2, 'X', 0xff, 0xff, 0xff, 0xff, 'ab', 0x2e], /truncated: BINUNICODE at byte 2 needs 4294967295 more bytes/],
    [[0x80, 4, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x2e], /truncated: BINUNICODE8 at byte 2/],
    [[0x80, 4, 0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x2e], /truncated: FRAME at byte 2/],
    [[0x80, 2, 0x8b, ...u32(1 << 20), 0x2e], /LONG4 at byte 2: integer of 1048576 bytes/],
    [[0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0xff, 0x2e], /negative length -1/],
    [[0x80, 2, 0x7d, '(', ...int(1), 'u', 0x2e], /odd number \(1\)/],
    [[0x80, 2, 0x7d, ']', ...int(1), 's', 0x2e], /dict key list of length 0 is not hashable/],
    [[0x80, 2, ...int(1), ...int(2), 's', 0x2e], /expected a dict to set items on, found int 1|stack is empty/],
    [[0x80, 2, 0x29, ...int(2), 'a', 0x2e], /expected a list to append to, found tuple of length 0/],
    [[0x80, 2, 0x4e, 0x2e, 0x4e], /1 unexpected bytes after STOP/],
    [[0x80, 2, 0x4e, 0x4e, 0x2e], /exactly one value on the stack, found 2/],
    [[0x80, 2, '(', 0x4e, 0x2e], /MARK\(s\) still open/],
    [[0x80, 4, 0x8c, 1, 0xff, 0x2e], /not valid UTF-8/],
    [[0x80, 2, 'c', 'collections'], /no newline ends the operand/],
    [[0x80, 2, 'c', 'x'.repeat(2000), '\n'], /longer than 1024 bytes/],
    [[0x80, 4, ...int(1), ...int(2), 0x93, 0x2e], /expected module and name strings/],
    [[0x80, 2, ...int(1), 0x29, 'R', 0x2e], /expected a callable global, found int 1/],
    [[0x80, 2, 0x7d, ...int(1), 'b', 0x2e], /expected a state dict, found int 1/],
  ];
  for (const [parts, pattern] of cases) assertRefused(() => plain(...parts), 'INVALID_FORMAT', pattern);
  assertRefused(() => plain(0x80, 2, ']', 0x7d, 'b', 0x2e), 'UNSUPPORTED', /BUILD at byte 4 would set state on list/);
  assertRefused(() => plain(0x80, 2, 0x4e, 'Q', 0x2e), 'UNSUPPORTED', /BINPERSID at byte 3/);
});

test('pickle: nesting and memo size are bounded', () => {
  const deep = bytesOf(0x80, 2, ...new Array<number>(5000).fill(0x28), 0x2e);
  assertRefused(() => unpickle(deep, { globals: new Map() }), 'INVALID_FORMAT', /MARK at byte 1002: more than 1000 nested MARKs/);
  const memo = bytesOf(0x80, 2, 0x4e, 0x71, 0, 0x71, 1, 0x71, 0, 0x71, 2, 0x2e);
  assertRefused(() => unpickle(memo, { globals: new Map(), maxMemoEntries: 2 }), 'INVALID_FORMAT', /BINPUT at byte 9: more than 2 memo entries/);
  // Re-using an index does not count twice.
  assert.equal(unpickle(bytesOf(memo.subarray(0, 9), 0x2e), { globals: new Map(), maxMemoEntries: 2 }), null);
  // A custom allow-list entry is called with the arguments tuple.
  const add = new PickleGlobal('calc', 'add', (args) => (args[0] as number) + (args[1] as number));
  assert.equal(unpickle(bytesOf(0x80, 2, ...global('calc', 'add'), ...int(2), ...int(3), 0x86, 'R', 0x2e), { globals: new Map([[add.key, add]]) }), 5);
});

// ---- storages and tensors on hand-made archives ----

test('torch: storage references are checked against the archive', () => {
  const one = (t: Partial<TensorSpec>, storages: Record<string, Uint8Array>) =>
    () => parseTorchStateDict(archive(stateDictPickle([['w', { numel: 4, size: [4], stride: [1], ...t }]]), storages));
  assertRefused(one({ key: '7' }, { '0': floats(1, 2, 3, 4) }), 'INVALID_FORMAT', /storage '7' has no zip entry 'archive\/data\/7'/);
  assertRefused(one({}, { '0': floats(1, 2) }), 'INVALID_FORMAT', /'archive\/data\/0' holds 8 bytes; storage '0' of 4 float32 elements needs 16/);
  assertRefused(one({ numel: 2 ** 40 }, { '0': floats(1, 2) }), 'INVALID_FORMAT', /holds 8 bytes/);
  assertRefused(one({ offset: 1 }, { '0': floats(1, 2, 3, 4) }), 'INVALID_FORMAT', /tensor of shape \[4\] at byte \d+ \(storage '0'\): offset 1 and stride \[1\] reach element 4 of a 4-element storage/);
  assertRefused(one({ size: [2, 2], stride: [3, 1] }, { '0': floats(1, 2, 3, 4) }), 'INVALID_FORMAT', /reach element 4/);
  assertRefused(one({ size: [2, 2], stride: [1] }, { '0': floats(1, 2, 3, 4) }), 'INVALID_FORMAT', /differ in length/);
  assertRefused(one({ size: [100000, 100000], stride: [0, 0] }, { '0': floats(1, 2, 3, 4) }), 'UNSUPPORTED', /10000000000 elements of float32/);
  assertRefused(one({ storage: 'ComplexFloatStorage' }, { '0': floats(1, 2, 3, 4) }), 'UNSUPPORTED', /global 'torch ComplexFloatStorage'/);
  // Two references to one storage must agree on its type and size.
  const clash = stateDictPickle([
    ['a', { numel: 4, size: [4], stride: [1] }],
    ['b', { numel: 2, size: [2], stride: [1], storage: 'DoubleStorage' }],
  ]);
  assertRefused(() => parseTorchStateDict(archive(clash, { '0': floats(1, 2, 3, 4) })), 'INVALID_FORMAT', /storage '0' is referenced as 4 × float32 and as 2 × float64/);
  // A stride-0 view of modest size is fine: it is materialized.
  const expanded = parseTorchStateDict(archive(stateDictPickle([['e', { numel: 2, size: [3, 2], stride: [0, 1] }]]), { '0': floats(1, 2) }));
  assert.deepEqual([...(expanded.get('e')!.data as Float32Array)], [1, 2, 1, 2, 1, 2]);
  // An empty tensor may sit at the very end of its storage.
  const empty = parseTorchStateDict(archive(stateDictPickle([['z', { numel: 2, offset: 2, size: [0, 5], stride: [5, 1] }]]), { '0': floats(1, 2) }));
  assert.deepEqual(empty.get('z'), { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) });
});

test('torch: malformed persistent ids and rebuild arguments are refused', () => {
  const pid = (items: number[]) => bytesOf(0x80, 2, '(', ...items, 't', 'Q', 0x2e);
  const badPids: [number[], RegExp][] = [
    [[...str('storage'), ...global('torch', 'FloatStorage'), ...str('0'), ...str('cpu')], /must be \('storage', type, key, location, numel\[, view_metadata\]\), got tuple of length 4/],
    [[...str('storage'), ...global('collections', 'OrderedDict'), ...str('0'), ...str('cpu'), ...int(1)], /global 'collections OrderedDict' is not a storage type/],
    [[...str('storage'), ...global('torch', 'FloatStorage'), ...int(0), ...str('cpu'), ...int(1)], /expected string key/],
  ];
  for (const [items, pattern] of badPids) assertRefused(() => parseTorchCheckpoint(archive(pid(items))), 'INVALID_FORMAT', pattern);
  const rebuild = (args: number[]) => bytesOf(0x80, 2, ...global('torch._utils', '_rebuild_tensor_v2'), '(', ...args, 't', 'R', 0x2e);
  assertRefused(() => parseTorchCheckpoint(archive(rebuild([...int(1)]))), 'INVALID_FORMAT', /expected 6 or 7 arguments, got 1/);
  assertRefused(
    () => parseTorchCheckpoint(archive(rebuild([...int(1), ...int(0), ...tuple([1]), ...tuple([1]), 0x89, 0x4e]))),
    'INVALID_FORMAT',
    /expected a storage as first argument, got int 1/,
  );
  assertRefused(() => parseTorchStateDict(archive(bytesOf(0x80, 2, ']', 0x2e))), 'INVALID_FORMAT', /expected a dict of tensors at the top level, found list of length 0/);
  assertRefused(
    () => parseTorchStateDict(archive(bytesOf(0x80, 2, 0x7d, ...str('epoch'), ...int(3), 's', 0x2e))),
    'INVALID_FORMAT',
    /no tensors found in the checkpoint \(top-level keys: 'epoch'/,
  );
});

// ---- truncation and corruption never crash or hang ----

test('torch: every truncation of a real archive is refused with INVALID_FORMAT', () => {
  const bytes = fixture('state_dict.pt');
  for (let cut = 0; cut < bytes.length; cut++) {
    assertRefused(() => parseTorchStateDict(bytes.subarray(0, cut)), 'INVALID_FORMAT');
  }
});

test('torch: every truncation of a real data.pkl (re-zipped) is refused with INVALID_FORMAT', () => {
  for (const file of ['state_dict.pt', 'state_dict_protocol4.pt']) {
    const entries = unzipSync(fixture(file));
    const pklName = Object.keys(entries).find((n) => n.endsWith('/data.pkl'))!;
    const pkl = entries[pklName]!;
    for (let cut = 0; cut < pkl.length; cut++) {
      const zip = zipSync({ ...entries, [pklName]: pkl.subarray(0, cut) }, { level: 0 });
      assertRefused(() => parseTorchStateDict(zip), 'INVALID_FORMAT');
    }
  }
});

test('torch: random corruption of data.pkl and of the archive yields a result or a MobileNetError', () => {
  const random = seededRandom(13);
  const original = fixture('state_dict.pt');
  const entries = unzipSync(original);
  const pkl = entries['state_dict/data.pkl']!;
  for (let trial = 0; trial < 1500; trial++) {
    const mutated = new Uint8Array(pkl);
    const flips = 1 + Math.floor(random() * 3);
    for (let i = 0; i < flips; i++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
    const zip = zipSync({ ...entries, 'state_dict/data.pkl': mutated }, { level: 0 });
    try {
      parseTorchCheckpoint(zip);
    } catch (e) {
      assert.ok(e instanceof MobileNetError, `pickle trial ${trial}: ${String(e)}`);
    }
  }
  for (let trial = 0; trial < 1500; trial++) {
    const mutated = new Uint8Array(original);
    const flips = 1 + Math.floor(random() * 3);
    for (let i = 0; i < flips; i++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
    try {
      parseTorchCheckpoint(mutated);
    } catch (e) {
      assert.ok(e instanceof MobileNetError, `archive trial ${trial}: ${String(e)}`);
    }
  }
});

/**
 * Keras HDF5 reader vs files written by h5py in Keras' layouts (tools/gen_format_fixtures.py), with the
 * expected values saved by numpy. See test/fixtures/formats/README.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseKerasH5, looksLikeHdf5, type KerasWeights } from '../../src/io/keras.js';
import { MobileNetError, type ErrorCode } from '../../src/errors.js';
import { fixturePath, seededRandom } from '../helpers.js';
import { readNpyFloat32 } from './npy-reader-for-tests.js';

interface Manifest {
  layers: Array<{ name: string; weights: Array<{ name: string; file: string; shape: number[] }> }>;
  versions: Record<string, { keras_version: string; backend: string }>;
}

const manifest = JSON.parse(readFileSync(fixturePath('formats', 'keras_expected', 'manifest.json'), 'utf8')) as Manifest;

/** A fixture's bytes as a plain Uint8Array (not a Node Buffer), as a browser caller would pass them. */
function fixture(name: string): Uint8Array {
  const buffer = readFileSync(fixturePath('formats', name));
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function expected(file: string): { shape: number[]; data: Float32Array } {
  return readNpyFloat32(readFileSync(fixturePath('formats', 'keras_expected', file)));
}

async function assertRejectsWith(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MobileNetError, `expected a MobileNetError, got ${String(error)}`);
    assert.equal(error.code, code, `code of: ${error.message}`);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

/** Every layer and weight in manifest order, values bit-for-bit equal to numpy's. */
function assertMatchesNumpy(weights: KerasWeights, file: string): void {
  assert.deepEqual(
    weights.layers.map((l) => l.name),
    manifest.layers.map((l) => l.name),
    `${file}: layer order`,
  );
  for (const [i, layer] of manifest.layers.entries()) {
    const got = weights.layers[i]!;
    assert.deepEqual(
      got.weights.map((w) => w.name),
      layer.weights.map((w) => w.name),
      `${file}: weight order of ${layer.name}`,
    );
    for (const [j, weight] of layer.weights.entries()) {
      const tensor = got.weights[j]!.tensor;
      const want = expected(weight.file);
      assert.equal(tensor.dtype, 'float32');
      assert.deepEqual([...tensor.shape], want.shape, `${file}: shape of ${weight.name}`);
      assert.deepEqual([...tensor.shape], weight.shape);
      assert.ok(tensor.data instanceof Float32Array);
      assert.deepEqual(tensor.data, want.data, `${file}: values of ${weight.name}`);
    }
  }
  const versions = manifest.versions[file]!;
  assert.equal(weights.kerasVersion, versions.keras_version, `${file}: keras_version`);
  assert.equal(weights.backend, versions.backend, `${file}: backend`);
}

const GOOD_FILES = [
  'keras_weights_only_fixed.h5', // fixed-length strings, a float16 dataset
  'keras_weights_only_vlen.h5', // variable-length strings, a big-endian dataset
  'keras_full_model.h5', // model_weights group, a float64 dataset, optimizer_weights beside it
  'keras_chunked_attrs.h5', // layer_names0 / layer_names1
];

for (const file of GOOD_FILES) {
  test(`keras: ${file} matches numpy`, { timeout: 60_000 }, async () => {
    assertMatchesNumpy(await parseKerasH5(fixture(file)), file);
  });
}

test('keras: weights-only and full-model layouts give the same tensors', { timeout: 60_000 }, async () => {
  const weightsOnly = await parseKerasH5(fixture('keras_weights_only_vlen.h5'));
  const full = await parseKerasH5(fixture('keras_full_model.h5'));
  assert.deepEqual(full.layers, weightsOnly.layers);
});

test('keras: layers without weights have an empty list (both string encodings)', { timeout: 60_000 }, async () => {
  for (const file of ['keras_weights_only_fixed.h5', 'keras_weights_only_vlen.h5']) {
    const weights = await parseKerasH5(fixture(file));
    for (const name of ['input_1', 'conv1_relu']) {
      const layer = weights.layers.find((l) => l.name === name);
      assert.ok(layer, `${file}: ${name} present`);
      assert.deepEqual(layer.weights, []);
    }
  }
});

test('keras: non-ASCII names stored as UTF-8 bytes in fixed-length strings come back as written', { timeout: 60_000 }, async () => {
  const weights = await parseKerasH5(fixture('keras_non_ascii_names.h5'));
  assert.deepEqual(
    weights.layers.map((l) => [l.name, l.weights.map((w) => w.name)]),
    [['conv_\u00fc', ['conv_\u00fc/kernel:0']]],
  );
  assert.deepEqual(weights.layers[0]!.weights[0]!.tensor.data, expected('conv1__kernel_0.npy').data);
});

test('keras: concurrent parses are independent and leave no virtual files behind', { timeout: 60_000 }, async () => {
  const results = await Promise.all([...GOOD_FILES, ...GOOD_FILES].map(async (file) => [file, await parseKerasH5(fixture(file))] as const));
  for (const [file, weights] of results) assertMatchesNumpy(weights, file);
  // Refusals must clean up too.
  await Promise.allSettled([parseKerasH5(fixture('keras_bad_missing_layer.h5')), parseKerasH5(fixture('keras_full_model.h5').subarray(0, 5000))]);
  const h5wasm = await import('h5wasm');
  const module = await h5wasm.ready;
  const leftovers = module.FS.readdir('/').filter((name: string) => name.startsWith('mobilenet-ts-keras-'));
  assert.deepEqual(leftovers, []);
});

test('keras: the input buffer is not modified', { timeout: 60_000 }, async () => {
  const bytes = fixture('keras_full_model.h5');
  const copy = Uint8Array.from(bytes);
  await parseKerasH5(bytes);
  assert.deepEqual(bytes, copy);
});

// ------------------------------------------------------------------------------------------------
// Refusals
// ------------------------------------------------------------------------------------------------

test('keras: a listed layer without a group → INVALID_FORMAT naming it', { timeout: 60_000 }, async () => {
  await assertRejectsWith(parseKerasH5(fixture('keras_bad_missing_layer.h5')), 'INVALID_FORMAT', /'ghost_layer'/);
});

test('keras: a listed weight without a dataset → INVALID_FORMAT naming it', { timeout: 60_000 }, async () => {
  await assertRejectsWith(parseKerasH5(fixture('keras_bad_missing_dataset.h5')), 'INVALID_FORMAT', /'conv1\/bias:0' of layer 'conv1'/);
});

test('keras: an integer dataset → UNSUPPORTED naming the weight and its type', { timeout: 60_000 }, async () => {
  await assertRejectsWith(parseKerasH5(fixture('keras_bad_int_dataset.h5')), 'UNSUPPORTED', /'conv1\/kernel:0'.*int32/);
});

test('keras: an HDF5 file that is not a Keras weights file → INVALID_FORMAT', { timeout: 60_000 }, async () => {
  await assertRejectsWith(parseKerasH5(fixture('keras_bad_no_layer_names.h5')), 'INVALID_FORMAT', /layer_names/);
});

test('keras: the Keras 3 .weights.h5 layout → UNSUPPORTED saying so', { timeout: 60_000 }, async () => {
  await assertRejectsWith(parseKerasH5(fixture('keras_v3_layout.h5')), 'UNSUPPORTED', /Keras 3/);
});

test('keras: files that are not HDF5 → INVALID_FORMAT before h5wasm sees them', { timeout: 60_000 }, async () => {
  const random = seededRandom(11);
  const garbage = Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256));
  const cases: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['garbage', garbage],
    ['an ONNX file', fixture('tiny_torch.onnx')],
    ['a .npy file', fixture('tiny_torch_input.npy')],
    ['text', new TextEncoder().encode('{"layer_names": ["conv1"]}')],
  ];
  for (const [label, bytes] of cases) {
    assert.equal(looksLikeHdf5(bytes), false, label);
    await assertRejectsWith(parseKerasH5(bytes), 'INVALID_FORMAT', /not an HDF5 file/);
  }
});

test('keras: an HDF5 signature followed by garbage → INVALID_FORMAT', { timeout: 60_000 }, async () => {
  const random = seededRandom(12);
  const bytes = Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256));
  bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  assert.equal(looksLikeHdf5(bytes), true);
  await assertRejectsWith(parseKerasH5(bytes), 'INVALID_FORMAT', /cannot open the HDF5 file/);
});

test('keras: truncated files at several cut points → INVALID_FORMAT', { timeout: 120_000 }, async () => {
  for (const file of ['keras_weights_only_fixed.h5', 'keras_full_model.h5']) {
    const bytes = fixture(file);
    const cuts = [0, 1, 4, 8, 48, 96, 512, 800, 2048, 4096, bytes.length >> 1, bytes.length - 4096, bytes.length - 1];
    for (const cut of cuts) {
      await assertRejectsWith(parseKerasH5(bytes.subarray(0, cut)), 'INVALID_FORMAT');
    }
  }
});

test('keras: corrupted bytes give a result or a MobileNetError, never a crash; the reader keeps working', { timeout: 120_000 }, async () => {
  const original = fixture('keras_full_model.h5');
  const random = seededRandom(2024);
  let refused = 0;
  for (let round = 0; round < 60; round++) {
    const bytes = Uint8Array.from(original);
    const at = Math.floor(random() * bytes.length);
    const length = 1 + Math.floor(random() * 16);
    for (let i = at; i < Math.min(bytes.length, at + length); i++) bytes[i] = Math.floor(random() * 256);
    try {
      await parseKerasH5(bytes);
    } catch (error) {
      assert.ok(error instanceof MobileNetError, `round ${round}: expected a MobileNetError, got ${String(error)}`);
      assert.ok(error.code === 'INVALID_FORMAT' || error.code === 'UNSUPPORTED', `round ${round}: ${error.code} ${error.message}`);
      refused++;
    }
  }
  assert.ok(refused > 0, 'some corruptions were refused');
  assertMatchesNumpy(await parseKerasH5(original), 'keras_full_model.h5');
});

test('keras: a global heap object of size 0 or running past its collection → INVALID_FORMAT before HDF5 loops on it', { timeout: 60_000 }, async () => {
  // Found by test/io/malformed-inputs.test.ts (a zero-filled range of keras_weights_only_vlen.h5):
  // HDF5's global heap reader never advances past an object of size 0, so reading `layer_names`
  // looped forever (native libhdf5 through h5py hangs on the same bytes).
  const original = fixture('keras_weights_only_vlen.h5');
  const collection = 2048; // the file's one global heap collection ("GCOL"), 4096 bytes: the vlen strings
  assert.equal(new TextDecoder().decode(original.subarray(collection, collection + 4)), 'GCOL');
  const empty = Uint8Array.from(original);
  empty.fill(0, 2360, 2376); // the header of object 11: index 0 (free space) of 0 bytes
  await assertRejectsWith(parseKerasH5(empty), 'INVALID_FORMAT', /global heap collection at byte 2048 holds an object \(index 0, at byte 2360\) of 0 bytes, which is empty/);
  const long = Uint8Array.from(original);
  new DataView(long.buffer).setUint32(2064 + 8, 0xfffffff0, true); // object 1's size
  await assertRejectsWith(parseKerasH5(long), 'INVALID_FORMAT', /object \(index 1, at byte 2064\) of 4294967280 bytes, which runs past the collection's end at byte 6144/);
  assertMatchesNumpy(await parseKerasH5(original), 'keras_weights_only_vlen.h5');
});

test('keras: a file that crashes the HDF5 library → INVALID_FORMAT saying so; the next parse gets a fresh library', { timeout: 60_000 }, async () => {
  // Found by test/io/malformed-inputs.test.ts: HDF5 (C, in WASM) trusts sizes a corrupt file gives and
  // can write out of bounds before it traps; after a long run of such files a trap escaped from the
  // clean-up as a bare RuntimeError and every later parse, of valid files too, failed the same way.
  // A global heap collection that claims 1 byte makes the library trap at once.
  const original = fixture('keras_weights_only_vlen.h5');
  const crashing = Uint8Array.from(original);
  new DataView(crashing.buffer).setUint32(2048 + 8, 1, true); // the size of the collection at byte 2048
  for (let round = 0; round < 2; round++) {
    await assertRejectsWith(parseKerasH5(crashing), 'INVALID_FORMAT', /corrupt HDF5 content: the HDF5 library crashed: memory access out of bounds/);
    assertMatchesNumpy(await parseKerasH5(original), 'keras_weights_only_vlen.h5');
  }
});

test('keras: a non-Uint8Array argument → INVALID_ARGUMENT', async () => {
  // @ts-expect-error: a string where bytes belong, as an untyped caller could pass
  const promise = parseKerasH5('model.h5');
  await assertRejectsWith(promise, 'INVALID_ARGUMENT');
});

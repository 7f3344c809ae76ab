/**
 * ONNX reader/writer vs the outside world: models exported by torch.onnx.export and built by
 * onnx.helper, compared with what `onnx.load` saw (JSON dumps), and run in onnxruntime against torch's
 * outputs. See test/fixtures/formats/README.md for how each file was made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import {
  parseOnnxModel,
  serializeOnnxModel,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxValueInfo,
} from '../../src/io/onnx.js';
import { importOnnx } from '../../src/io/onnx-import.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { MobileNetError, type ErrorCode } from '../../src/errors.js';
import { float16ToFloat32, type DType, type Tensor } from '../../src/tensor.js';
import { fixturePath, maxAbsDiff, seededRandom } from '../helpers.js';
import { readNpyFloat32 } from './npy-reader-for-tests.js';

/** A fixture's bytes as a plain Uint8Array (not a Node Buffer), as a browser caller would pass them. */
function fixture(name: string): Uint8Array {
  const buffer = readFileSync(fixturePath('formats', name));
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function npy(name: string): { shape: number[]; data: Float32Array } {
  return readNpyFloat32(readFileSync(fixturePath('formats', name)));
}

function assertThrowsWith(fn: () => unknown, code: ErrorCode, pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MobileNetError, `expected a MobileNetError, got ${String(error)}`);
    assert.equal(error.code, code, `code of: ${error.message}`);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

// ------------------------------------------------------------------------------------------------
// The onnx.load dumps (tools/gen_format_fixtures.py: model_dump)
// ------------------------------------------------------------------------------------------------

interface DumpTensor {
  name: string;
  dims: number[];
  data_type: string;
  values: Array<number | boolean>;
}
interface DumpValueInfo {
  name: string;
  elem_type: string;
  shape: Array<number | string | null>;
}
interface DumpAttribute {
  type: 'FLOAT' | 'INT' | 'STRING' | 'TENSOR' | 'FLOATS' | 'INTS' | 'STRINGS';
  value: unknown;
}
interface Dump {
  ir_version: number;
  producer_name: string;
  producer_version: string;
  opset_import: Array<{ domain: string; version: number }>;
  metadata: Record<string, string>;
  graph: {
    name: string;
    nodes: Array<{
      name: string;
      op_type: string;
      domain: string;
      inputs: string[];
      outputs: string[];
      attributes: Record<string, DumpAttribute>;
    }>;
    initializers: DumpTensor[];
    inputs: DumpValueInfo[];
    outputs: DumpValueInfo[];
    value_info: DumpValueInfo[];
  };
}

function loadDump(name: string): Dump {
  return JSON.parse(readFileSync(fixturePath('formats', name), 'utf8')) as Dump;
}

const DTYPE_OF_ONNX_NAME: Record<string, DType> = {
  FLOAT: 'float32',
  DOUBLE: 'float64',
  FLOAT16: 'float16',
  INT64: 'int64',
  INT32: 'int32',
  INT16: 'int16',
  INT8: 'int8',
  UINT8: 'uint8',
  BOOL: 'bool',
};

/** Tensor values as JS numbers, the way onnx.numpy_helper.to_array shows them. */
function tensorValues(t: Tensor): number[] {
  switch (t.dtype) {
    case 'float16':
      return Array.from(t.data as Uint16Array, float16ToFloat32);
    case 'int64':
      return Array.from(t.data as BigInt64Array, Number);
    default:
      return Array.from(t.data as ArrayLike<number>);
  }
}

function assertTensorMatches(t: Tensor, dump: DumpTensor, label: string): void {
  assert.equal(t.dtype, DTYPE_OF_ONNX_NAME[dump.data_type], `${label}: dtype`);
  assert.deepEqual([...t.shape], dump.dims, `${label}: dims`);
  const want = dump.values.map((v) => (typeof v === 'boolean' ? Number(v) : v));
  // Exact: float32 values went through JSON as the doubles numpy printed, which round-trip exactly.
  assert.deepEqual(tensorValues(t), want, `${label}: values`);
}

function assertValueInfoMatches(v: OnnxValueInfo, dump: DumpValueInfo, label: string): void {
  assert.equal(v.name, dump.name, `${label}: name`);
  assert.equal(v.elemType, DTYPE_OF_ONNX_NAME[dump.elem_type], `${label}: elem_type`);
  assert.deepEqual(v.shape, dump.shape.map((d) => d ?? ''), `${label}: shape`);
}

function assertAttributeMatches(a: OnnxAttribute, dump: DumpAttribute, label: string): void {
  switch (dump.type) {
    case 'FLOAT':
      assert.equal(a.type, 'float', label);
      assert.equal(a.value, dump.value, label); // the dump holds the float32 value as a double
      break;
    case 'INT':
      assert.deepEqual(a, { type: 'int', value: dump.value }, label);
      break;
    case 'STRING':
      assert.deepEqual(a, { type: 'string', value: dump.value }, label);
      break;
    case 'FLOATS':
      assert.deepEqual(a, { type: 'floats', value: dump.value }, label);
      break;
    case 'INTS':
      assert.deepEqual(a, { type: 'ints', value: dump.value }, label);
      break;
    case 'STRINGS':
      assert.deepEqual(a, { type: 'strings', value: dump.value }, label);
      break;
    case 'TENSOR':
      assert.equal(a.type, 'tensor', label);
      if (a.type === 'tensor') assertTensorMatches(a.value, dump.value as DumpTensor, label);
      break;
  }
}

function assertModelMatchesDump(model: OnnxModel, dump: Dump): void {
  assert.equal(model.irVersion, dump.ir_version);
  assert.equal(model.producerName, dump.producer_name);
  assert.equal(model.producerVersion, dump.producer_version);
  assert.deepEqual(model.opsetImports, dump.opset_import);
  assert.deepEqual(model.metadata, dump.metadata);
  const g = model.graph;
  assert.equal(g.name, dump.graph.name);

  assert.equal(g.nodes.length, dump.graph.nodes.length, 'node count');
  for (const [i, want] of dump.graph.nodes.entries()) {
    const node = g.nodes[i]!;
    const label = `node ${i} (${want.name})`;
    assert.equal(node.name, want.name, label);
    assert.equal(node.opType, want.op_type, label);
    assert.equal(node.domain, want.domain, label);
    assert.deepEqual(node.inputs, want.inputs, label);
    assert.deepEqual(node.outputs, want.outputs, label);
    assert.deepEqual(Object.keys(node.attributes), Object.keys(want.attributes), `${label}: attribute names`);
    for (const [name, attr] of Object.entries(want.attributes)) {
      assertAttributeMatches(node.attributes[name]!, attr, `${label} attribute ${name}`);
    }
  }

  assert.deepEqual([...g.initializers.keys()], dump.graph.initializers.map((t) => t.name), 'initializer names in order');
  for (const want of dump.graph.initializers) assertTensorMatches(g.initializers.get(want.name)!, want, `initializer ${want.name}`);

  assert.equal(g.inputs.length, dump.graph.inputs.length);
  dump.graph.inputs.forEach((v, i) => assertValueInfoMatches(g.inputs[i]!, v, `input ${i}`));
  assert.equal(g.outputs.length, dump.graph.outputs.length);
  dump.graph.outputs.forEach((v, i) => assertValueInfoMatches(g.outputs[i]!, v, `output ${i}`));
  assert.equal((g.valueInfo ?? []).length, dump.graph.value_info.length);
  dump.graph.value_info.forEach((v, i) => assertValueInfoMatches(g.valueInfo![i]!, v, `value_info ${i}`));
}

// ------------------------------------------------------------------------------------------------
// Reading
// ------------------------------------------------------------------------------------------------

test('onnx: the torch export parses as onnx.load sees it', () => {
  const model = parseOnnxModel(fixture('tiny_torch.onnx'));
  assertModelMatchesDump(model, loadDump('tiny_torch_onnx_dump.json'));
  // The ops the brief asks the fixture to cover, in torch's export.
  const ops = new Set(model.graph.nodes.map((n) => n.opType));
  for (const op of ['Conv', 'BatchNormalization', 'Relu', 'Clip', 'Add', 'GlobalAveragePool', 'Flatten', 'Gemm']) {
    assert.ok(ops.has(op), `${op} present`);
  }
  const depthwise = model.graph.nodes.find((n) => n.name === '/dw/Conv');
  assert.deepEqual(depthwise?.attributes['group'], { type: 'int', value: 8 });
});

test('onnx: every storage field and attribute kind (onnx.helper model) parses as onnx.load sees it', () => {
  const model = parseOnnxModel(fixture('helper_typed_fields.onnx'));
  assertModelMatchesDump(model, loadDump('helper_typed_fields_onnx_dump.json'));
  // Exact int64 beyond 2^53 survives in tensors (the dump's JSON numbers cannot show it exactly).
  const i64 = model.graph.initializers.get('i64_typed')!;
  assert.deepEqual(i64.data, BigInt64Array.from([1n, -2n, 2n ** 40n, -(2n ** 62n)]));
  assert.equal(model.graph.nodes[0]!.attributes['big']?.value, 2 ** 52);
  assert.deepEqual(model.graph.inputs[0]!.shape, ['N', 3, '', 7]);
});

// ------------------------------------------------------------------------------------------------
// Round trips
// ------------------------------------------------------------------------------------------------

for (const file of ['tiny_torch.onnx', 'helper_typed_fields.onnx']) {
  test(`onnx: ${file} round-trips parse → serialize → parse unchanged`, () => {
    const model = parseOnnxModel(fixture(file));
    const bytes = serializeOnnxModel(model);
    assert.ok(bytes instanceof Uint8Array);
    const again = parseOnnxModel(bytes);
    assert.deepEqual(again, model);
    // And the writer is deterministic: the same model gives the same bytes.
    assert.deepEqual(serializeOnnxModel(again), bytes);
  });
}

test('onnx: the writer writes float32 initializers as raw_data', () => {
  // helper_typed_fields stores f32_typed in float_data; after our writer it must come back from raw_data,
  // which we can see in the bytes: the 24 little-endian bytes of the six floats appear verbatim.
  const model = parseOnnxModel(fixture('helper_typed_fields.onnx'));
  const bytes = serializeOnnxModel(model);
  const floats = model.graph.initializers.get('f32_typed')!.data as Float32Array;
  const le = new Uint8Array(floats.length * 4);
  const view = new DataView(le.buffer);
  floats.forEach((v, i) => view.setFloat32(i * 4, v, true));
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  assert.ok(hex(bytes).includes(hex(le)));
});

function handBuiltEverything(): OnnxModel {
  const tensors: Record<string, Tensor> = {
    f32: { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, -2.5, 3e-8, Infinity]) },
    f16: { dtype: 'float16', shape: [2], data: Uint16Array.from([0x3c00, 0xfbff]) },
    f64: { dtype: 'float64', shape: [1], data: Float64Array.from([Math.PI]) },
    i64: { dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]) },
    i32: { dtype: 'int32', shape: [1], data: Int32Array.from([-(2 ** 31)]) },
    i16: { dtype: 'int16', shape: [1], data: Int16Array.from([-300]) },
    i8: { dtype: 'int8', shape: [1], data: Int8Array.from([-7]) },
    u8: { dtype: 'uint8', shape: [1], data: Uint8Array.from([200]) },
    b: { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) },
    scalar: { dtype: 'float32', shape: [], data: Float32Array.from([6]) },
    empty: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
  };
  return {
    irVersion: 8,
    opsetImports: [
      { domain: '', version: 13 },
      { domain: 'org.example', version: 2 },
    ],
    producerName: 'mobilenet-ts test',
    producerVersion: '0.0.0',
    metadata: { key: 'value', 'ünïcode': '✓' },
    graph: {
      name: 'everything',
      nodes: [
        {
          name: 'n0',
          opType: 'Custom',
          domain: 'org.example',
          inputs: ['x', '', 'f32'],
          outputs: ['y'],
          attributes: {
            f: { type: 'float', value: 0.5 },
            i: { type: 'int', value: -(2 ** 53 - 1) },
            s: { type: 'string', value: 'NOTSET' },
            t: { type: 'tensor', value: tensors['i64']! },
            floats: { type: 'floats', value: [1.5, -0.25] },
            ints: { type: 'ints', value: [0, 2 ** 53 - 1] },
            strings: { type: 'strings', value: ['a', '', 'ü'] },
            emptyInts: { type: 'ints', value: [] },
          },
        },
        { name: '', opType: 'Relu', domain: '', inputs: ['y'], outputs: ['z'], attributes: {} },
      ],
      initializers: new Map(Object.entries(tensors)),
      inputs: [{ name: 'x', elemType: 'float32', shape: ['batch', 3, '', 4] }],
      outputs: [{ name: 'z', elemType: 'float32', shape: [], unknownRank: true }],
      valueInfo: [{ name: 'y', elemType: 'float16', shape: [] }],
    },
  };
}

test('onnx: a hand-built model with every dtype and attribute kind round-trips exactly', () => {
  const model = handBuiltEverything();
  assert.deepEqual(parseOnnxModel(serializeOnnxModel(model)), model);
});

// ------------------------------------------------------------------------------------------------
// onnxruntime: our bytes run and give torch's numbers
// ------------------------------------------------------------------------------------------------

async function runInOrt(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; shape: number[] }>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, { data, shape }] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', data, shape);
    const results = await session.run(ortFeeds);
    const out: Record<string, Float32Array> = {};
    for (const [name, tensor] of Object.entries(results)) out[name] = tensor.data as Float32Array;
    return out;
  } finally {
    await session.release();
  }
}

test('onnx: the round-tripped torch model runs in onnxruntime and matches torch within 1e-5', { timeout: 60_000 }, async () => {
  const bytes = serializeOnnxModel(parseOnnxModel(fixture('tiny_torch.onnx')));
  const input = npy('tiny_torch_input.npy');
  const want = npy('tiny_torch_output.npy');
  const got = await runInOrt(bytes, { input });
  const logits = got['logits'];
  assert.ok(logits, 'logits output');
  const { max, index } = maxAbsDiff(logits, want.data);
  assert.ok(max <= 1e-5, `max |ort - torch| = ${max} at ${index}`);
});

test('onnx: a hand-built Conv + Relu + GlobalAveragePool model runs in onnxruntime and matches torch within 1e-5', { timeout: 60_000 }, async () => {
  const weight = npy('handbuilt_conv_weight.npy'); // (C_out, C_in, kh, kw)
  const bias = npy('handbuilt_conv_bias.npy');
  const input = npy('handbuilt_input.npy'); // (N, C, H, W)
  const want = npy('handbuilt_output.npy'); // (N, C_out, 1, 1)
  const model: OnnxModel = {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 13 }],
    producerName: 'mobilenet-ts',
    producerVersion: '',
    metadata: {},
    graph: {
      name: 'conv_relu_gap',
      nodes: [
        {
          name: 'conv',
          opType: 'Conv',
          domain: '',
          inputs: ['x', 'conv.weight', 'conv.bias'],
          outputs: ['c'],
          attributes: {
            kernel_shape: { type: 'ints', value: [3, 3] },
            pads: { type: 'ints', value: [1, 1, 1, 1] },
            strides: { type: 'ints', value: [1, 1] },
            group: { type: 'int', value: 1 },
          },
        },
        { name: 'relu', opType: 'Relu', domain: '', inputs: ['c'], outputs: ['r'], attributes: {} },
        { name: 'gap', opType: 'GlobalAveragePool', domain: '', inputs: ['r'], outputs: ['y'], attributes: {} },
      ],
      initializers: new Map<string, Tensor>([
        ['conv.weight', { dtype: 'float32', shape: weight.shape, data: weight.data }],
        ['conv.bias', { dtype: 'float32', shape: bias.shape, data: bias.data }],
      ]),
      inputs: [{ name: 'x', elemType: 'float32', shape: ['N', 3, 8, 8] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: ['N', 4, 1, 1] }],
    },
  };
  const got = await runInOrt(serializeOnnxModel(model), { x: input });
  const y = got['y'];
  assert.ok(y, 'output y');
  assert.equal(y.length, want.data.length);
  const { max, index } = maxAbsDiff(y, want.data);
  assert.ok(max <= 1e-5, `max |ort - torch| = ${max} at ${index}`);
});

// ------------------------------------------------------------------------------------------------
// Refusals
// ------------------------------------------------------------------------------------------------

test('onnx: a tensor with external data → UNSUPPORTED naming the tensor and the file', () => {
  assertThrowsWith(() => parseOnnxModel(fixture('helper_external_data.onnx')), 'UNSUPPORTED', /'external_weight'.*'weights\.bin'/);
});

test('onnx: an initializer whose data disagrees with its dims → INVALID_FORMAT naming it', () => {
  assertThrowsWith(() => parseOnnxModel(fixture('helper_bad_length.onnx')), 'INVALID_FORMAT', /'short_weight'.*\[2, 3\].*20 bytes/);
});

test('onnx: an int attribute beyond 2^53 → UNSUPPORTED naming the attribute', () => {
  assertThrowsWith(() => parseOnnxModel(fixture('helper_int_overflow.onnx')), 'UNSUPPORTED', /'huge'.*'huge_attr'.*2\^53/);
});

test('onnx: a model without a graph → INVALID_FORMAT', () => {
  assertThrowsWith(() => parseOnnxModel(fixture('helper_no_graph.onnx')), 'INVALID_FORMAT', /no graph/);
});

test('onnx import: Conv strides or dilations that make no sense → INVALID_FORMAT naming the node', () => {
  // Found by test/io/malformed-inputs.test.ts: a varint of tiny_torch.onnx set to 0 made the strides
  // [0, 0], and the shape helper's INVALID_ARGUMENT ('convOutputSize: stride = 0') named neither the
  // node nor the file's part in it.
  const withConvAttribute = (name: string, value: number[]): Uint8Array => {
    const model = parseOnnxModel(fixture('tiny_torch.onnx'));
    const conv = model.graph.nodes.find((n) => n.opType === 'Conv')!;
    conv.attributes[name] = { type: 'ints', value };
    return serializeOnnxModel(model);
  };
  assertThrowsWith(() => importOnnx(parseOnnxModel(withConvAttribute('strides', [0, 0]))), 'INVALID_FORMAT', /^ONNX import: Conv \/conv1\/Conv: convOutputSize: stride = 0/);
  assertThrowsWith(() => importOnnx(parseOnnxModel(withConvAttribute('dilations', [40, 40]))), 'INVALID_FORMAT', /^ONNX import: Conv \/conv1\/Conv: convOutputSize: padded input size 18 .* smaller than the kernel extent 81/);
});

test('onnx: valid content the reader does not handle → UNSUPPORTED saying what', () => {
  assertThrowsWith(() => parseOnnxModel(fixture('helper_sequence_input.onnx')), 'UNSUPPORTED', /graph input 's' is a sequence/);
  assertThrowsWith(() => parseOnnxModel(fixture('helper_sparse_initializer.onnx')), 'UNSUPPORTED', /sparse initializer/);
  assertThrowsWith(() => parseOnnxModel(fixture('helper_graph_attribute.onnx')), 'UNSUPPORTED', /'(then|else)_branch' of node 'branching' \(If\) has type GRAPH/);
});

test('onnx: empty, garbage and other formats → INVALID_FORMAT', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['an HDF5 file', fixture('keras_full_model.h5')],
    ['a .npy file', fixture('tiny_torch_output.npy')],
    ['JSON text', new TextEncoder().encode('{"ir_version": 7, "graph": {}}')],
  ];
  for (const seed of [1, 2, 3, 4, 5]) {
    const random = seededRandom(seed);
    cases.push([`garbage (seed ${seed})`, Uint8Array.from({ length: 64 + seed * 300 }, () => Math.floor(random() * 256))]);
  }
  for (const [label, bytes] of cases) {
    assert.throws(
      () => parseOnnxModel(bytes),
      (error: unknown) => error instanceof MobileNetError && error.code === 'INVALID_FORMAT',
      label,
    );
  }
});

test('onnx: the torch export truncated at every byte → INVALID_FORMAT', () => {
  const bytes = fixture('tiny_torch.onnx');
  for (let cut = 0; cut < bytes.length; cut++) {
    try {
      parseOnnxModel(bytes.subarray(0, cut));
    } catch (error) {
      if (error instanceof MobileNetError && error.code === 'INVALID_FORMAT') continue;
      assert.fail(`cut at ${cut}: ${String(error)}`);
    }
    assert.fail(`cut at ${cut} of ${bytes.length} parsed without error`);
  }
});

test('onnx: corrupted bytes give a model or a MobileNetError, never another error', () => {
  const original = fixture('tiny_torch.onnx');
  const random = seededRandom(99);
  for (let round = 0; round < 300; round++) {
    const bytes = Uint8Array.from(original);
    const at = Math.floor(random() * bytes.length);
    const length = 1 + Math.floor(random() * 8);
    for (let i = at; i < Math.min(bytes.length, at + length); i++) bytes[i] = Math.floor(random() * 256);
    try {
      parseOnnxModel(bytes);
    } catch (error) {
      assert.ok(error instanceof MobileNetError, `round ${round}: ${String(error)}`);
      assert.ok(error.code === 'INVALID_FORMAT' || error.code === 'UNSUPPORTED', `round ${round}: ${error.code}`);
    }
  }
});

test('onnx: a non-Uint8Array argument → INVALID_ARGUMENT', () => {
  // @ts-expect-error: a string where bytes belong, as an untyped caller could pass
  assertThrowsWith(() => parseOnnxModel('model.onnx'), 'INVALID_ARGUMENT');
});

test('onnx: the writer refuses models it cannot write faithfully → INVALID_ARGUMENT', () => {
  const base = handBuiltEverything();
  const withInitializer = (name: string, t: Tensor): OnnxModel => ({
    ...base,
    graph: { ...base.graph, initializers: new Map([...base.graph.initializers, [name, t]]) },
  });
  const withAttribute = (a: OnnxAttribute): OnnxModel => ({
    ...base,
    graph: { ...base.graph, nodes: [{ ...base.graph.nodes[0]!, attributes: { bad: a } }] },
  });
  assertThrowsWith(
    () => serializeOnnxModel(withInitializer('short', { dtype: 'float32', shape: [2, 3], data: new Float32Array(5) })),
    'INVALID_ARGUMENT',
    /'short'.*\[2, 3\]/,
  );
  assertThrowsWith(() => serializeOnnxModel(withAttribute({ type: 'int', value: 1.5 })), 'INVALID_ARGUMENT', /'bad'/);
  assertThrowsWith(() => serializeOnnxModel(withAttribute({ type: 'ints', value: [2 ** 60] })), 'INVALID_ARGUMENT', /'bad'/);
  assertThrowsWith(() => serializeOnnxModel({ ...base, opsetImports: [] }), 'INVALID_ARGUMENT', /opset/);
  assertThrowsWith(() => serializeOnnxModel({ ...base, irVersion: 0 }), 'INVALID_ARGUMENT', /irVersion/);
});

// ------------------------------------------------------------------------------------------------
// Import: Softmax
// ------------------------------------------------------------------------------------------------

/** x [1, 3, 6, 6] → GlobalAveragePool → Flatten → `middle` → Gemm (3 → 4) → `tail`: a hand-built classifier. */
function poolGemmModel(middle: OnnxNode[], tail: OnnxNode[], output: string): OnnxModel {
  const random = seededRandom(11);
  const w = Float32Array.from({ length: 4 * 3 }, () => random() * 2 - 1);
  const b = Float32Array.from({ length: 4 }, () => random() * 2 - 1);
  const gemmInput = middle.at(-1)?.outputs[0] ?? 'f';
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 13 }],
    producerName: 'mobilenet-ts test',
    producerVersion: '',
    metadata: {},
    graph: {
      name: 'pool_gemm',
      nodes: [
        { name: 'pool', opType: 'GlobalAveragePool', domain: '', inputs: ['x'], outputs: ['p'], attributes: {} },
        { name: 'flat', opType: 'Flatten', domain: '', inputs: ['p'], outputs: ['f'], attributes: { axis: { type: 'int', value: 1 } } },
        ...middle,
        { name: 'fc', opType: 'Gemm', domain: '', inputs: [gemmInput, 'fc.weight', 'fc.bias'], outputs: ['logits'], attributes: { transB: { type: 'int', value: 1 } } },
        ...tail,
      ],
      initializers: new Map<string, Tensor>([
        ['fc.weight', { dtype: 'float32', shape: [4, 3], data: w }],
        ['fc.bias', { dtype: 'float32', shape: [4], data: b }],
      ]),
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 3, 6, 6] }],
      outputs: [{ name: output, elemType: 'float32', shape: [1, 4] }],
    },
  };
}

const softmaxNode = (name: string, input: string, output: string, axis?: number): OnnxNode => ({
  name, opType: 'Softmax', domain: '', inputs: [input], outputs: [output], attributes: axis === undefined ? {} : { axis: { type: 'int', value: axis } },
});

test('onnx import: a final Softmax over the logits is dropped; the probabilities match onnxruntime’s output', { timeout: 60_000 }, async () => {
  const bytes = serializeOnnxModel(poolGemmModel([], [softmaxNode('prob', 'logits', 'y')], 'y'));
  const random = seededRandom(12);
  const nchw = Float32Array.from({ length: 3 * 6 * 6 }, () => random() * 4 - 2);
  const want = (await runInOrt(bytes, { x: { data: nchw, shape: [1, 3, 6, 6] } }))['y']!;
  const { graph, weights } = importOnnx(parseOnnxModel(bytes));
  assert.ok(graph.outputs.logits, 'the Gemm is the logits output');
  const session = await InferenceSession.create(graph, weights, { backend: 'ref' });
  const nhwc = new Float32Array(nchw.length);
  for (let c = 0; c < 3; c++) for (let i = 0; i < 36; i++) nhwc[i * 3 + c] = nchw[c * 36 + i]!;
  const { logits, probabilities } = session.run(nhwc, { probabilities: true });
  assert.ok(maxAbsDiff(probabilities!.data, want).max <= 1e-6, 'softmax on request = the file’s Softmax');
  assert.ok(maxAbsDiff(logits!.data, want).max > 0.01, 'the session returns logits, not probabilities');
  await session.release();
});

test('onnx import: a Softmax that is not the final one over the logits → UNSUPPORTED naming the node', () => {
  // Softmax between Flatten and Gemm: dropping it would change every logit.
  const middle = poolGemmModel([softmaxNode('mid_softmax', 'f', 's')], [], 'logits');
  assertThrowsWith(() => importOnnx(parseOnnxModel(serializeOnnxModel(middle))), 'UNSUPPORTED', /^ONNX import: Softmax mid_softmax: only a final Softmax .*; it feeds Gemm fc/);
  // A final Softmax over the batch axis, or over pooled features rather than logits.
  const batchAxis = poolGemmModel([], [softmaxNode('prob', 'logits', 'y', 0)], 'y');
  assertThrowsWith(() => importOnnx(parseOnnxModel(serializeOnnxModel(batchAxis))), 'UNSUPPORTED', /^ONNX import: Softmax prob: axis 0 is not the class axis/);
  const overFeatures = poolGemmModel([], [], 'logits');
  overFeatures.graph.nodes = [...overFeatures.graph.nodes.slice(0, 2), softmaxNode('feature_softmax', 'f', 'y')];
  overFeatures.graph.outputs = [{ name: 'y', elemType: 'float32', shape: [1, 3] }];
  assertThrowsWith(() => importOnnx(parseOnnxModel(serializeOnnxModel(overFeatures))), 'UNSUPPORTED', /^ONNX import: Softmax feature_softmax: only a final Softmax over a classifier's/);
  // Softmax whose output is a graph output but also feeds another node.
  const both = poolGemmModel([], [softmaxNode('prob', 'logits', 'y'), { name: 'again', opType: 'Identity', domain: '', inputs: ['y'], outputs: ['z'], attributes: {} }], 'y');
  assertThrowsWith(() => importOnnx(parseOnnxModel(serializeOnnxModel(both))), 'UNSUPPORTED', /Softmax prob: .*it feeds Identity again/);
});

test('onnx export → import keeps each BatchNormalization’s decay as ONNX momentum (the convention’s: Keras 0.999, slim 0.997)', async () => {
  const { buildGraph } = await import('../../src/graph/build.js');
  const { createSpec } = await import('../../src/spec/registry.js');
  const { initWeights } = await import('../../src/runtime/weights.js');
  const { exportOnnx } = await import('../../src/io/onnx-export.js');
  for (const [convention, decay] of [['keras', 0.999], ['slim', 0.997], ['torchvision', 0.9]] as const) {
    const graph = buildGraph(createSpec('mobilenet_v2_0.35_32', { convention }));
    const bytes = serializeOnnxModel(exportOnnx(graph, initWeights(graph)));
    // ONNX BatchNormalization: running_mean = running_mean · momentum + mean · (1 − momentum), i.e. TF's decay.
    const bns = parseOnnxModel(bytes).graph.nodes.filter((n) => n.opType === 'BatchNormalization');
    assert.ok(bns.length > 0);
    for (const n of bns) assert.deepEqual(n.attributes['momentum'], { type: 'float', value: Math.fround(decay) }, `${convention} ${n.name}`);
    const imported = importOnnx(parseOnnxModel(bytes)).graph.nodes.filter((n) => n.op === 'batchNorm');
    assert.equal(imported.length, bns.length);
    for (const n of imported) assert.equal(n.op === 'batchNorm' && n.attrs.decay, Math.fround(decay), `${convention} ${n.name}`);
  }
});

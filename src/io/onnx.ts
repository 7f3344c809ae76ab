/**
 * A low-level reader and writer of ONNX `ModelProto` files: bytes ⇄ plain TypeScript objects.
 *
 * It knows the file format only (graph, nodes, attributes, tensors, value infos); what the ops mean is
 * for the layers above. Decoding runs on protobufjs' runtime reflection over the schema in
 * onnx-schema.ts. Everything here works in browsers too: no `node:` imports, `Uint8Array` in and out.
 *
 * Conventions:
 * - int64 scalars (ir_version, opset versions, int attributes, dims) become `number`; values outside
 *   ±(2^53 − 1) are refused (UNSUPPORTED) rather than silently rounded. int64 tensor data stays exact in
 *   a BigInt64Array.
 * - Tensors are read from `raw_data` (little-endian) or from the typed `*_data` field the ONNX spec
 *   assigns to their data type; they are written back as `raw_data`.
 * - A dimension with neither `dim_value` nor `dim_param` (unknown) is the empty string `''`; a tensor type
 *   without any shape (unknown rank) has `shape: []` and `unknownRank: true`.
 */
import protobuf from 'protobufjs/light.js';
import { MobileNetError } from '../errors.js';
import { DTYPE_BYTES, formatShape, shapeSize, tensorToLittleEndianBytes, typedArrayFromLittleEndian, type DType, type NamedTensors, type Tensor } from '../tensor.js';
import { ONNX_SCHEMA } from './onnx-schema.js';

// ------------------------------------------------------------------------------------------------
// Public types
// ------------------------------------------------------------------------------------------------

/** One attribute of a node, tagged by its ONNX attribute type. */
export type OnnxAttribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] };

export interface OnnxNode {
  name: string;
  opType: string;
  /** '' is the default ONNX domain ('ai.onnx'). */
  domain: string;
  /** Value names; '' marks an omitted optional input or output. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  name: string;
  elemType: DType;
  /** A number for a fixed dimension, a string for a symbolic one ('batch'), '' for an unknown one. */
  shape: Array<number | string>;
  /** True when the type has no shape at all (rank unknown); `shape` is then empty. */
  unknownRank?: boolean;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  /** Initializers in file order. */
  initializers: NamedTensors;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Shapes of intermediate values, when the file records them (GraphProto.value_info). */
  valueInfo?: OnnxValueInfo[];
}

export interface OnnxOpsetImport {
  /** '' is the default ONNX domain. */
  domain: string;
  version: number;
}

export interface OnnxModel {
  irVersion: number;
  opsetImports: OnnxOpsetImport[];
  producerName: string;
  producerVersion: string;
  /** ModelProto.metadata_props. */
  metadata: Record<string, string>;
  graph: OnnxGraph;
}

/** ONNX TensorProto.DataType codes of the dtypes mobilenet-ts handles. */
export const ONNX_DATA_TYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

const ONNX_DATA_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED',
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
};

const DTYPE_OF_ONNX = new Map<number, DType>(
  (Object.entries(ONNX_DATA_TYPE) as Array<[DType, number]>).map(([dtype, code]) => [code, dtype]),
);

function onnxTypeName(code: number): string {
  return ONNX_DATA_TYPE_NAMES[code] ?? `data type ${code}`;
}

// AttributeProto.AttributeType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
const ATTR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED',
  1: 'FLOAT',
  2: 'INT',
  3: 'STRING',
  4: 'TENSOR',
  5: 'GRAPH',
  6: 'FLOATS',
  7: 'INTS',
  8: 'STRINGS',
  9: 'TENSORS',
  10: 'GRAPHS',
  11: 'SPARSE_TENSOR',
  12: 'SPARSE_TENSORS',
  13: 'TYPE_PROTO',
  14: 'TYPE_PROTOS',
};

const DATA_LOCATION_EXTERNAL = 1;

// ------------------------------------------------------------------------------------------------
// The decoded protobuf shapes (snake_case, as in onnx.proto). `toObject` is called with
// `{ longs: BigInt, arrays: true }`: int64 fields are bigint, repeated fields are always arrays,
// absent optional fields are absent.
// ------------------------------------------------------------------------------------------------

interface ProtoEntry {
  key?: string;
  value?: string;
}
interface ProtoOpset {
  domain?: string;
  version?: bigint;
}
interface ProtoTensor {
  dims: bigint[];
  data_type?: number;
  segment?: object;
  float_data: number[];
  int32_data: number[];
  string_data: Uint8Array[];
  int64_data: bigint[];
  name?: string;
  raw_data?: Uint8Array;
  external_data: ProtoEntry[];
  data_location?: number;
  double_data: number[];
  uint64_data: bigint[];
}
interface ProtoAttribute {
  name?: string;
  ref_attr_name?: string;
  type?: number;
  f?: number;
  i?: bigint;
  s?: Uint8Array;
  t?: ProtoTensor;
  floats: number[];
  ints: bigint[];
  strings: Uint8Array[];
}
interface ProtoNode {
  input: string[];
  output: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute: ProtoAttribute[];
}
interface ProtoDimension {
  dim_value?: bigint;
  dim_param?: string;
}
interface ProtoTypeProto {
  tensor_type?: { elem_type?: number; shape?: { dim: ProtoDimension[] } };
  sequence_type?: object;
  map_type?: object;
  optional_type?: object;
  sparse_tensor_type?: object;
}
interface ProtoValueInfo {
  name?: string;
  type?: ProtoTypeProto;
}
interface ProtoGraph {
  node: ProtoNode[];
  name?: string;
  initializer: ProtoTensor[];
  sparse_initializer: object[];
  input: ProtoValueInfo[];
  output: ProtoValueInfo[];
  value_info: ProtoValueInfo[];
}
interface ProtoModel {
  ir_version?: bigint;
  opset_import: ProtoOpset[];
  producer_name?: string;
  producer_version?: string;
  graph?: ProtoGraph;
  metadata_props: ProtoEntry[];
  functions: object[];
}

// Built on first use: no work at import time.
let modelType: protobuf.Type | undefined;
function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

// ------------------------------------------------------------------------------------------------
// Reading
// ------------------------------------------------------------------------------------------------

function invalid(message: string): MobileNetError {
  return new MobileNetError('INVALID_FORMAT', `ONNX: ${message}`);
}

function unsupported(message: string): MobileNetError {
  return new MobileNetError('UNSUPPORTED', `ONNX: ${message}`);
}

/** An int64 from the file as a JS number, refusing what a double cannot hold exactly. */
function int64ToNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw unsupported(`${what} is ${value}, beyond ±(2^53 - 1), the range JavaScript numbers hold exactly`);
  }
  return Number(value);
}

const utf8 = new TextDecoder('utf-8');

function decodeString(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Parses an ONNX ModelProto. Throws MobileNetError: INVALID_FORMAT for bytes that are not a valid
 * model, UNSUPPORTED for valid content this reader does not handle (external data, graph attributes,
 * data types without a mobilenet-ts dtype, int64 values beyond 2^53). */
export function parseOnnxModel(bytes: Uint8Array): OnnxModel {
  if (!(bytes instanceof Uint8Array)) {
    throw new MobileNetError('INVALID_ARGUMENT', `parseOnnxModel: expected a Uint8Array, got ${typeof bytes}`);
  }
  const type = onnxModelType();
  let raw: ProtoModel;
  try {
    const message = type.decode(bytes);
    raw = type.toObject(message, { longs: BigInt, arrays: true }) as ProtoModel;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(`the ${bytes.length} bytes do not decode as a ModelProto (truncated or not an ONNX file): ${reason}`);
  }
  if (raw.ir_version === undefined) throw invalid('the model has no ir_version (ModelProto field 1); not an ONNX model?');
  const irVersion = int64ToNumber(raw.ir_version, 'ir_version');
  if (irVersion < 1) throw invalid(`ir_version ${irVersion} is not a valid IR version (expected 1 or more)`);
  if (raw.graph === undefined) throw invalid('the model has no graph (ModelProto field 7)');
  if (raw.opset_import.length === 0) throw invalid('the model declares no opset_import (ModelProto field 8)');
  if (raw.functions.length > 0) {
    throw unsupported(`the model defines ${raw.functions.length} local function(s) (ModelProto.functions); model-local functions are not supported`);
  }

  const opsetImports = raw.opset_import.map((o) => ({
    domain: o.domain ?? '',
    version: int64ToNumber(o.version ?? 0n, `opset_import version of domain '${o.domain ?? ''}'`),
  }));
  const metadata: Record<string, string> = {};
  for (const entry of raw.metadata_props) metadata[entry.key ?? ''] = entry.value ?? '';

  return {
    irVersion,
    opsetImports,
    producerName: raw.producer_name ?? '',
    producerVersion: raw.producer_version ?? '',
    metadata,
    graph: readGraph(raw.graph),
  };
}

function readGraph(g: ProtoGraph): OnnxGraph {
  const graphName = g.name ?? '';
  if (g.sparse_initializer.length > 0) {
    throw unsupported(`graph '${graphName}' has ${g.sparse_initializer.length} sparse initializer(s); sparse tensors are not supported`);
  }
  const initializers: NamedTensors = new Map();
  for (const [index, t] of g.initializer.entries()) {
    const name = t.name ?? '';
    if (name === '') throw invalid(`initializer #${index} of graph '${graphName}' has no name`);
    if (initializers.has(name)) throw invalid(`initializer '${name}' appears twice in graph '${graphName}'`);
    initializers.set(name, readTensor(t, `initializer '${name}'`));
  }
  return {
    name: graphName,
    nodes: g.node.map((n, index) => readNode(n, index)),
    initializers,
    inputs: g.input.map((v) => readValueInfo(v, 'graph input')),
    outputs: g.output.map((v) => readValueInfo(v, 'graph output')),
    valueInfo: g.value_info.map((v) => readValueInfo(v, 'value_info entry')),
  };
}

function readNode(n: ProtoNode, index: number): OnnxNode {
  const name = n.name ?? '';
  const label = name === '' ? `node #${index}` : `node '${name}'`;
  const opType = n.op_type ?? '';
  if (opType === '') throw invalid(`${label} has no op_type`);
  const attributes: Record<string, OnnxAttribute> = {};
  for (const a of n.attribute) {
    const attrName = a.name ?? '';
    if (attrName === '') throw invalid(`${label} (${opType}) has an attribute without a name`);
    if (Object.prototype.hasOwnProperty.call(attributes, attrName)) {
      throw invalid(`${label} (${opType}) has attribute '${attrName}' twice`);
    }
    attributes[attrName] = readAttribute(a, `attribute '${attrName}' of ${label} (${opType})`);
  }
  return { name, opType, domain: n.domain ?? '', inputs: [...n.input], outputs: [...n.output], attributes };
}

/** Which attribute type an IR v1/v2 attribute (no `type` field) holds, from the field that is set. */
function inferAttributeType(a: ProtoAttribute): number {
  if (a.f !== undefined) return ATTR.FLOAT;
  if (a.i !== undefined) return ATTR.INT;
  if (a.s !== undefined) return ATTR.STRING;
  if (a.t !== undefined) return ATTR.TENSOR;
  if (a.floats.length > 0) return ATTR.FLOATS;
  if (a.ints.length > 0) return ATTR.INTS;
  if (a.strings.length > 0) return ATTR.STRINGS;
  return 0;
}

function readAttribute(a: ProtoAttribute, label: string): OnnxAttribute {
  if (a.ref_attr_name !== undefined && a.ref_attr_name !== '') {
    throw unsupported(`${label} refers to a function attribute ('${a.ref_attr_name}'); ONNX functions are not supported`);
  }
  const type = a.type !== undefined && a.type !== 0 ? a.type : inferAttributeType(a);
  switch (type) {
    case ATTR.FLOAT:
      return { type: 'float', value: a.f ?? 0 };
    case ATTR.INT:
      return { type: 'int', value: int64ToNumber(a.i ?? 0n, label) };
    case ATTR.STRING:
      return { type: 'string', value: decodeString(a.s ?? new Uint8Array(0)) };
    case ATTR.TENSOR:
      if (a.t === undefined) throw invalid(`${label} has type TENSOR but holds no tensor`);
      return { type: 'tensor', value: readTensor(a.t, label) };
    case ATTR.FLOATS:
      return { type: 'floats', value: [...a.floats] };
    case ATTR.INTS:
      return { type: 'ints', value: a.ints.map((v, i) => int64ToNumber(v, `${label}[${i}]`)) };
    case ATTR.STRINGS:
      return { type: 'strings', value: a.strings.map(decodeString) };
    case 0:
      throw invalid(`${label} has no type and no value`);
    default:
      throw unsupported(
        `${label} has type ${ATTR_TYPE_NAMES[type] ?? type}; only FLOAT, INT, STRING, TENSOR, FLOATS, INTS and STRINGS are supported`,
      );
  }
}

function readTensor(t: ProtoTensor, label: string): Tensor {
  if (t.data_location === DATA_LOCATION_EXTERNAL || t.external_data.length > 0) {
    const location = t.external_data.find((e) => e.key === 'location')?.value;
    throw unsupported(
      `${label} keeps its data in an external file${location ? ` ('${location}')` : ''}; external data is not supported (save the model with its tensors inside)`,
    );
  }
  if (t.segment !== undefined) throw unsupported(`${label} is a segment of a larger tensor; segments are not supported`);
  const code = t.data_type ?? 0;
  const dtype = DTYPE_OF_ONNX.get(code);
  if (dtype === undefined) {
    if (code === 0) throw invalid(`${label} has no data_type`);
    throw unsupported(`${label} has data type ${onnxTypeName(code)}, which mobilenet-ts does not handle`);
  }
  const shape = t.dims.map((d, i) => {
    const n = int64ToNumber(d, `dimension ${i} of ${label}`);
    if (n < 0) throw invalid(`${label} has a negative dimension ${n} in dims [${t.dims.join(', ')}]`);
    return n;
  });
  const count = shapeSize(shape);
  const typeName = onnxTypeName(code);

  if (t.raw_data !== undefined) {
    const expected = count * DTYPE_BYTES[dtype];
    if (t.raw_data.length !== expected) {
      throw invalid(
        `${label} has dims ${formatShape(shape)} (${count} ${typeName} values, ${expected} bytes) but its raw_data holds ${t.raw_data.length} bytes`,
      );
    }
    return { dtype, shape, data: typedArrayFromLittleEndian(dtype, t.raw_data, 0, count) };
  }

  // The typed field the ONNX spec assigns to each data type.
  const field = dtype === 'float32' ? 'float_data' : dtype === 'float64' ? 'double_data' : dtype === 'int64' ? 'int64_data' : 'int32_data';
  const values = t[field];
  if (values.length !== count) {
    throw invalid(`${label} has dims ${formatShape(shape)} (${count} ${typeName} values) but its ${field} holds ${values.length}`);
  }
  switch (dtype) {
    case 'float32':
      return { dtype, shape, data: Float32Array.from(t.float_data) };
    case 'float64':
      return { dtype, shape, data: Float64Array.from(t.double_data) };
    case 'int64':
      return { dtype, shape, data: BigInt64Array.from(t.int64_data) };
    case 'int32':
      return { dtype, shape, data: Int32Array.from(t.int32_data) };
    case 'int16':
      return { dtype, shape, data: Int16Array.from(t.int32_data) };
    case 'int8':
      return { dtype, shape, data: Int8Array.from(t.int32_data) };
    case 'uint8':
      return { dtype, shape, data: Uint8Array.from(t.int32_data) };
    case 'bool':
      return { dtype, shape, data: Uint8Array.from(t.int32_data, (v) => (v !== 0 ? 1 : 0)) };
    case 'float16':
      // int32_data holds the IEEE half bit patterns.
      return { dtype, shape, data: Uint16Array.from(t.int32_data) };
  }
}

function readValueInfo(v: ProtoValueInfo, role: string): OnnxValueInfo {
  const name = v.name ?? '';
  const label = `${role} '${name}'`;
  if (v.type === undefined) throw invalid(`${label} has no type`);
  const tensorType = v.type.tensor_type;
  if (tensorType === undefined) {
    const kind = v.type.sequence_type
      ? 'a sequence'
      : v.type.map_type
        ? 'a map'
        : v.type.optional_type
          ? 'an optional'
          : v.type.sparse_tensor_type
            ? 'a sparse tensor'
            : 'of no known kind';
    throw unsupported(`${label} is ${kind}; only dense tensors are supported`);
  }
  const code = tensorType.elem_type ?? 0;
  const elemType = DTYPE_OF_ONNX.get(code);
  if (elemType === undefined) {
    if (code === 0) throw invalid(`${label} has no elem_type`);
    throw unsupported(`${label} has element type ${onnxTypeName(code)}, which mobilenet-ts does not handle`);
  }
  if (tensorType.shape === undefined) return { name, elemType, shape: [], unknownRank: true };
  const shape = tensorType.shape.dim.map((d, i): number | string => {
    if (d.dim_value !== undefined) return int64ToNumber(d.dim_value, `dimension ${i} of ${label}`);
    return d.dim_param ?? '';
  });
  return { name, elemType, shape };
}

// ------------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------------

function badArgument(message: string): MobileNetError {
  return new MobileNetError('INVALID_ARGUMENT', `serializeOnnxModel: ${message}`);
}

function checkInt(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) throw badArgument(`${what} must be a safe integer, got ${value}`);
  return value;
}

const utf8Encoder = new TextEncoder();

/** Serializes a model to ONNX ModelProto bytes. Tensors are written as little-endian raw_data.
 * Throws MobileNetError INVALID_ARGUMENT for a model that cannot be written (a tensor whose data length
 * disagrees with its shape, a non-integer int attribute, ...). */
export function serializeOnnxModel(model: OnnxModel): Uint8Array {
  const irVersion = checkInt(model.irVersion, 'irVersion');
  if (irVersion < 1) throw badArgument(`irVersion must be 1 or more, got ${irVersion}`);
  if (model.opsetImports.length === 0) throw badArgument('opsetImports is empty; ONNX models must import an opset');
  const message: Record<string, unknown> = {
    ir_version: irVersion,
    opset_import: model.opsetImports.map((o) => ({
      domain: o.domain,
      version: checkInt(o.version, `opset version of domain '${o.domain}'`),
    })),
    graph: writeGraph(model.graph),
    metadata_props: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
  };
  if (model.producerName !== '') message['producer_name'] = model.producerName;
  if (model.producerVersion !== '') message['producer_version'] = model.producerVersion;
  const type = onnxModelType();
  const problem = type.verify(message);
  if (problem !== null) throw new MobileNetError('INTERNAL', `serializeOnnxModel: the message does not fit the schema: ${problem}`);
  const encoded = type.encode(message).finish();
  // A plain Uint8Array view even where protobufjs hands back a Node Buffer.
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

function writeGraph(graph: OnnxGraph): Record<string, unknown> {
  const out: Record<string, unknown> = {
    node: graph.nodes.map(writeNode),
    initializer: [...graph.initializers].map(([name, tensor]) => writeTensor(tensor, `initializer '${name}'`, name)),
    input: graph.inputs.map(writeValueInfo),
    output: graph.outputs.map(writeValueInfo),
    value_info: (graph.valueInfo ?? []).map(writeValueInfo),
  };
  if (graph.name !== '') out['name'] = graph.name;
  return out;
}

function writeNode(node: OnnxNode, index: number): Record<string, unknown> {
  const label = node.name === '' ? `node #${index}` : `node '${node.name}'`;
  if (node.opType === '') throw badArgument(`${label} has no opType`);
  const out: Record<string, unknown> = {
    input: [...node.inputs],
    output: [...node.outputs],
    op_type: node.opType,
    attribute: Object.entries(node.attributes).map(([name, attr]) => writeAttribute(name, attr, `attribute '${name}' of ${label}`)),
  };
  if (node.name !== '') out['name'] = node.name;
  if (node.domain !== '') out['domain'] = node.domain;
  return out;
}

function writeAttribute(name: string, attr: OnnxAttribute, label: string): Record<string, unknown> {
  switch (attr.type) {
    case 'float':
      return { name, type: ATTR.FLOAT, f: attr.value };
    case 'int':
      return { name, type: ATTR.INT, i: checkInt(attr.value, label) };
    case 'string':
      return { name, type: ATTR.STRING, s: utf8Encoder.encode(attr.value) };
    case 'tensor':
      return { name, type: ATTR.TENSOR, t: writeTensor(attr.value, label) };
    case 'floats':
      return { name, type: ATTR.FLOATS, floats: [...attr.value] };
    case 'ints':
      return { name, type: ATTR.INTS, ints: attr.value.map((v, i) => checkInt(v, `${label}[${i}]`)) };
    case 'strings':
      return { name, type: ATTR.STRINGS, strings: attr.value.map((s) => utf8Encoder.encode(s)) };
  }
}

function writeTensor(tensor: Tensor, label: string, name?: string): Record<string, unknown> {
  const code = ONNX_DATA_TYPE[tensor.dtype];
  if (code === undefined) throw badArgument(`${label} has dtype ${String(tensor.dtype)}, which ONNX writing does not handle`);
  const dims = tensor.shape.map((d, i) => {
    if (!Number.isSafeInteger(d) || d < 0) throw badArgument(`${label} has an invalid dimension ${d} at axis ${i}`);
    return d;
  });
  const count = shapeSize(dims);
  if (tensor.data.length !== count) {
    throw badArgument(`${label} has shape ${formatShape(dims)} (${count} values) but ${tensor.data.length} values of data`);
  }
  return {
    dims,
    data_type: code,
    ...(name !== undefined ? { name } : {}),
    raw_data: tensorToLittleEndianBytes(tensor),
  };
}

function writeValueInfo(v: OnnxValueInfo): Record<string, unknown> {
  const code = ONNX_DATA_TYPE[v.elemType];
  if (code === undefined) throw badArgument(`value '${v.name}' has elemType ${String(v.elemType)}, which ONNX writing does not handle`);
  const tensorType: Record<string, unknown> = { elem_type: code };
  if (!v.unknownRank) {
    tensorType['shape'] = {
      dim: v.shape.map((d, i) => {
        if (typeof d === 'string') return d === '' ? {} : { dim_param: d };
        return { dim_value: checkInt(d, `dimension ${i} of value '${v.name}'`) };
      }),
    };
  }
  return { name: v.name, type: { tensor_type: tensorType } };
}

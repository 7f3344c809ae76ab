/**
 * safetensors files (huggingface/safetensors, "Format" section of its README), read and written.
 *
 * Layout: an unsigned 64-bit little-endian N · N bytes of UTF-8 JSON (may be padded at the end
 * with spaces) · the data area. The JSON object maps each tensor name to
 * `{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}` (offsets relative to the data
 * area) and may hold `"__metadata__": {string: string}`. Tensors are little-endian, C order, and
 * must cover the data area exactly: no gaps, no overlaps.
 *
 * Reading is strict about every one of those rules. BF16 tensors are converted to float32 on load
 * (exactly: bfloat16 is the upper half of a float32), because `Tensor` has no bfloat16 dtype; the
 * writer therefore never emits BF16.
 */
import { MobileNetError } from '../errors.js';
import {
  DTYPE_BYTES,
  bfloat16ToFloat32Array,
  formatShape,
  isTensor,
  tensorToLittleEndianBytes,
  typedArrayFromLittleEndian,
  type DType,
  type NamedTensors,
  type Tensor,
} from '../tensor.js';

/** Refuse headers larger than this (the reference implementation uses the same 100 MB cap). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

/** File dtype → tensor dtype. BF16 is read as bfloat16 bits and widened to float32. */
const FILE_DTYPES: ReadonlyMap<string, DType | 'bfloat16'> = new Map<string, DType | 'bfloat16'>([
  ['F64', 'float64'],
  ['F32', 'float32'],
  ['F16', 'float16'],
  ['BF16', 'bfloat16'],
  ['I64', 'int64'],
  ['I32', 'int32'],
  ['I16', 'int16'],
  ['I8', 'int8'],
  ['U8', 'uint8'],
  ['BOOL', 'bool'],
]);
/** Dtypes the format defines that we recognise but cannot represent. */
const KNOWN_UNSUPPORTED = new Set(['U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

const TENSOR_DTYPE_TO_FILE: Readonly<Record<DType, string>> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

function invalid(message: string): MobileNetError {
  return new MobileNetError('INVALID_FORMAT', `safetensors: ${message}`);
}

function describeJson(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Entry {
  readonly name: string;
  readonly fileDtype: string;
  readonly dtype: DType | 'bfloat16';
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

function parseEntry(name: string, value: unknown, dataLength: number): Entry {
  const where = `tensor '${name}'`;
  if (!isPlainObject(value)) throw invalid(`${where}: expected an object with dtype, shape and data_offsets, got ${describeJson(value)}`);
  const extra = Object.keys(value).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra.length > 0) throw invalid(`${where}: unexpected key(s) ${extra.map((k) => `"${k}"`).join(', ')}`);

  const fileDtype = value['dtype'];
  if (typeof fileDtype !== 'string') throw invalid(`${where}: "dtype" must be a string, got ${describeJson(fileDtype)}`);
  const dtype = FILE_DTYPES.get(fileDtype);
  if (dtype === undefined) {
    const supported = [...FILE_DTYPES.keys()].join(' ');
    if (KNOWN_UNSUPPORTED.has(fileDtype)) {
      throw new MobileNetError('UNSUPPORTED', `safetensors: ${where} has dtype ${fileDtype}, which mobilenet-ts does not support (supported: ${supported})`);
    }
    throw invalid(`${where}: unknown dtype ${describeJson(fileDtype)} (expected one of ${supported})`);
  }

  const shape = value['shape'];
  if (!Array.isArray(shape)) throw invalid(`${where}: "shape" must be an array, got ${describeJson(shape)}`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) throw invalid(`${where}: "shape" must hold non-negative integers, got ${describeJson(d)}`);
  }

  const offsets = value['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw invalid(`${where}: "data_offsets" must be [begin, end], got ${describeJson(offsets)}`);
  }
  const [begin, end] = offsets as unknown[];
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || (begin as number) < 0 || (end as number) < (begin as number)) {
    throw invalid(`${where}: "data_offsets" must be integers with 0 <= begin <= end, got [${describeJson(begin)}, ${describeJson(end)}]`);
  }
  const b = begin as number;
  const e = end as number;
  if (e > dataLength) throw invalid(`${where}: data_offsets [${b}, ${e}] run past the end of the ${dataLength}-byte data area`);

  const itemBytes = dtype === 'bfloat16' ? 2 : DTYPE_BYTES[dtype];
  // A product this large just fails the comparison below; a zero dimension makes it exactly 0.
  const count = (shape as number[]).includes(0) ? 0 : (shape as number[]).reduce((n, d) => n * d, 1);
  if (count * itemBytes !== e - b) {
    throw invalid(
      `${where}: shape ${formatShape(shape as number[])} of ${fileDtype} needs ${count * itemBytes} bytes but data_offsets [${b}, ${e}] span ${e - b}`,
    );
  }
  return { name, fileDtype, dtype, shape: shape as number[], begin: b, end: e };
}

/**
 * Parses a safetensors file. Tensors come back in the order of their data in the file; BF16 is
 * widened to float32. Every rule of the format is checked and a violation throws INVALID_FORMAT.
 */
export function parseSafetensors(bytes: Uint8Array): { tensors: NamedTensors; metadata: Record<string, string> } {
  if (bytes.length < 8) throw invalid(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const headerLength = high * 2 ** 32 + low;
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) {
    throw invalid(`header length ${headerLength} exceeds the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  }
  if (headerLength > bytes.length - 8) {
    throw invalid(`header length ${headerLength} runs past the end of the file (${bytes.length - 8} bytes after the length field; truncated?)`);
  }
  if (headerLength < 2 || bytes[8] !== 0x7b) {
    throw invalid(`header at byte 8 must be a JSON object starting with '{' (header length ${headerLength})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw invalid(`header (bytes 8 to ${8 + headerLength}) is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw invalid(`header (bytes 8 to ${8 + headerLength}) is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(header)) throw invalid(`header must be a JSON object, got ${describeJson(header)}`);

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadataEntries: [string, string][] = [];
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(value)) throw invalid(`"${METADATA_KEY}" must be an object of strings, got ${describeJson(value)}`);
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw invalid(`"${METADATA_KEY}" value for "${k}" must be a string, got ${describeJson(v)}`);
        metadataEntries.push([k, v]);
      }
      continue;
    }
    entries.push(parseEntry(name, value, dataLength));
  }

  // The format requires the tensors to tile the data area: sorted by offset, each begins where
  // the previous one ended, and the last ends at the end of the file.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const entry of entries) {
    if (entry.begin < cursor) {
      throw invalid(`tensor '${entry.name}' data_offsets [${entry.begin}, ${entry.end}] overlap tensor '${previous!.name}' [${previous!.begin}, ${previous!.end}]`);
    }
    if (entry.begin > cursor) {
      throw invalid(`bytes [${cursor}, ${entry.begin}) of the data area belong to no tensor (gap before tensor '${entry.name}')`);
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== dataLength) {
    throw invalid(`tensors cover ${cursor} bytes but the data area holds ${dataLength} (trailing bytes after the last tensor)`);
  }

  const tensors: NamedTensors = new Map();
  for (const entry of entries) {
    const count = (entry.end - entry.begin) / (entry.dtype === 'bfloat16' ? 2 : DTYPE_BYTES[entry.dtype]);
    const tensor: Tensor =
      entry.dtype === 'bfloat16'
        ? { dtype: 'float32', shape: entry.shape, data: bfloat16ToFloat32Array(typedArrayFromLittleEndian('float16', bytes, dataStart + entry.begin, count) as Uint16Array) }
        : { dtype: entry.dtype, shape: entry.shape, data: typedArrayFromLittleEndian(entry.dtype, bytes, dataStart + entry.begin, count) };
    tensors.set(entry.name, tensor);
  }
  return { tensors, metadata: Object.fromEntries(metadataEntries) };
}

/**
 * Writes tensors as a safetensors file, deterministically: `__metadata__` first (when given and
 * non-empty), then the tensors in the map's insertion order, data laid out in that same order,
 * compact JSON padded with spaces to a multiple of 8 bytes.
 */
export function serializeSafetensors(tensors: NamedTensors, metadata?: Record<string, string>): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    const fields = Object.entries(metadata).map(([k, v]) => {
      if (typeof v !== 'string') {
        throw new MobileNetError('INVALID_ARGUMENT', `serializeSafetensors: metadata value for '${k}' must be a string, got ${typeof v}`);
      }
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${fields.join(',')}}`);
  }
  const datas: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    if (name === METADATA_KEY) throw new MobileNetError('INVALID_ARGUMENT', `serializeSafetensors: '${METADATA_KEY}' is reserved and cannot name a tensor`);
    if (!isTensor(tensor)) {
      throw new MobileNetError('INVALID_ARGUMENT', `serializeSafetensors: '${name}' is not a tensor whose data length equals the product of its shape`);
    }
    const data = tensorToLittleEndianBytes(tensor);
    datas.push(data);
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${TENSOR_DTYPE_TO_FILE[tensor.dtype]}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${offset + data.length}]}`,
    );
    offset += data.length;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const data of datas) {
    out.set(data, at);
    at += data.length;
  }
  return out;
}

/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), read and written without NumPy.
 *
 * Layout (numpy/lib/format.py, "NPY format"):
 *   magic "\x93NUMPY" · major · minor · header length (uint16 LE for 1.0, uint32 LE for 2.0/3.0)
 *   · header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 *     (latin-1 for 1.0/2.0, UTF-8 for 3.0), padded with spaces and ended by '\n'
 *   · data: product(shape) elements, C order, little-endian here.
 *
 * The header is parsed by a small literal parser written for this purpose (never evaluated), and
 * only plain little-endian numeric and bool arrays in C order are accepted: object arrays (which
 * hold pickles), structured dtypes, big-endian data and Fortran order are refused with a message.
 */
import { MobileNetError } from '../errors.js';
import {
  DTYPE_BYTES,
  formatShape,
  isTensor,
  tensorToLittleEndianBytes,
  typedArrayFromLittleEndian,
  type DType,
  type Tensor,
} from '../tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const MAGIC_TEXT = '\\x93NUMPY';
/** Headers longer than this are refused (NumPy itself refuses > 10 000 bytes by default). */
const MAX_HEADER_BYTES = 1 << 20;
/** Nesting depth of the header literal; real headers nest at most 2 deep. */
const MAX_LITERAL_DEPTH = 16;
/** NumPy's writer leaves this many digits of room for the growing axis (format.GROWTH_AXIS_MAX_DIGITS). */
const GROWTH_AXIS_MAX_DIGITS = 21;
const DATA_ALIGNMENT = 64;

/** The .npy type strings we read and write, and the tensor dtype each one maps to. */
const DESCR_TO_DTYPE: ReadonlyMap<string, DType> = new Map<string, DType>([
  ['<f4', 'float32'],
  ['<f8', 'float64'],
  ['<f2', 'float16'],
  ['<i8', 'int64'],
  ['<i4', 'int32'],
  ['<i2', 'int16'],
  ['|i1', 'int8'],
  ['|u1', 'uint8'],
  ['|b1', 'bool'],
]);
const DTYPE_TO_DESCR: ReadonlyMap<DType, string> = new Map([...DESCR_TO_DTYPE].map(([d, t]) => [t, d]));
const SUPPORTED_DESCRS = [...DESCR_TO_DTYPE.keys()].map((d) => `'${d}'`).join(', ');

function invalid(message: string): MobileNetError {
  return new MobileNetError('INVALID_FORMAT', `npy: ${message}`);
}

function unsupported(message: string): MobileNetError {
  return new MobileNetError('UNSUPPORTED', `npy: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Header literal parser: exactly the Python literal subset NumPy headers use.

type Literal = string | number | boolean | null | Literal[] | LiteralDict;
interface LiteralDict {
  readonly kind: 'dict';
  readonly entries: Map<string, Literal>;
}
/** Marks a parsed tuple so `(3,)` and `[3]` stay distinguishable. */
interface LiteralTuple extends Array<Literal> {
  tuple?: true;
}

class HeaderParser {
  private pos = 0;

  constructor(private readonly text: string, private readonly headerStart: number) {}

  /** Parses the whole header: one dict literal followed only by whitespace. */
  parseHeader(): LiteralDict {
    this.skipSpace();
    if (this.text[this.pos] !== '{') {
      throw this.error(`expected the header to be a dict literal starting with '{'`);
    }
    const dict = this.parseValue(0);
    this.skipSpace();
    if (this.pos !== this.text.length) throw this.error(`unexpected ${this.describeHere()} after the header dict`);
    return dict as LiteralDict;
  }

  private parseValue(depth: number): Literal {
    if (depth > MAX_LITERAL_DEPTH) throw this.error(`header literal nested more than ${MAX_LITERAL_DEPTH} deep`);
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.parseDict(depth);
    if (c === '(') return this.parseSequence(depth, ')');
    if (c === '[') return this.parseSequence(depth, ']');
    if (c === "'" || c === '"') return this.parseString();
    if (c !== undefined && /[-+0-9]/.test(c)) return this.parseInteger();
    for (const [word, value] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos) && !/[A-Za-z0-9_]/.test(this.text[this.pos + word.length] ?? '')) {
        this.pos += word.length;
        return value;
      }
    }
    throw this.error(`expected a value, found ${this.describeHere()}`);
  }

  private parseDict(depth: number): LiteralDict {
    this.pos++; // '{'
    const entries = new Map<string, Literal>();
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return { kind: 'dict', entries };
      }
      const keyAt = this.pos;
      const key = this.parseValue(depth + 1);
      if (typeof key !== 'string') throw this.error(`dict keys must be strings`, keyAt);
      if (entries.has(key)) throw this.error(`duplicate key '${key}'`, keyAt);
      this.skipSpace();
      this.expect(':');
      entries.set(key, this.parseValue(depth + 1));
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') throw this.error(`expected ',' or '}' in dict, found ${this.describeHere()}`);
    }
  }

  private parseSequence(depth: number, close: ')' | ']'): Literal[] {
    this.pos++; // '(' or '['
    const items: LiteralTuple = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        // (3) is the integer 3 in Python, not a tuple: NumPy would not write it, so refuse it.
        if (close === ')' && items.length === 1 && !sawComma) {
          throw this.error(`'(x)' is not a tuple; a one-element tuple is written '(x,)'`);
        }
        if (close === ')') items.tuple = true;
        return items;
      }
      items.push(this.parseValue(depth + 1));
      this.skipSpace();
      if (this.text[this.pos] === ',') {
        this.pos++;
        sawComma = true;
      } else if (this.text[this.pos] !== close) {
        throw this.error(`expected ',' or '${close}', found ${this.describeHere()}`);
      }
    }
  }

  /** A quoted string without escapes (NumPy's descr and key strings never contain any). */
  private parseString(): string {
    const quote = this.text[this.pos]!;
    const start = ++this.pos;
    const end = this.text.indexOf(quote, start);
    if (end < 0) throw this.error(`unterminated string`, start - 1);
    const value = this.text.slice(start, end);
    if (value.includes('\\') || value.includes('\n')) throw this.error(`escape sequences in header strings are not supported`, start);
    this.pos = end + 1;
    return value;
  }

  /** A decimal integer; Python 2 era files may carry an 'L' suffix (3L), which NumPy accepts too. */
  private parseInteger(): number {
    const match = /^[-+]?[0-9]+L?/.exec(this.text.slice(this.pos, this.pos + 40));
    if (!match) throw this.error(`expected an integer, found ${this.describeHere()}`);
    const digits = match[0].replace(/L$/, '');
    if (/^[-+]?0[0-9]/.test(digits)) throw this.error(`integer '${digits}' has a leading zero`);
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) throw this.error(`integer '${digits}' is too large`);
    this.pos += match[0].length;
    return value;
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) throw this.error(`expected '${c}', found ${this.describeHere()}`);
    this.pos++;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /[ \t\r\n]/.test(this.text[this.pos]!)) this.pos++;
  }

  private describeHere(): string {
    if (this.pos >= this.text.length) return 'the end of the header';
    return JSON.stringify(this.text.slice(this.pos, this.pos + 12).trimEnd());
  }

  private error(message: string, at = this.pos): MobileNetError {
    return invalid(`bad header at byte ${this.headerStart + at}: ${message} (header: ${JSON.stringify(this.text.trimEnd().slice(0, 120))})`);
  }
}

// ---------------------------------------------------------------------------------------------

interface NpyHeader {
  readonly dtype: DType;
  readonly shape: number[];
}

function interpretHeader(dict: LiteralDict): NpyHeader {
  const keys = [...dict.entries.keys()];
  for (const required of ['descr', 'fortran_order', 'shape']) {
    if (!dict.entries.has(required)) throw invalid(`header has no '${required}' key (keys: ${keys.join(', ') || 'none'})`);
  }
  const extra = keys.filter((k) => k !== 'descr' && k !== 'fortran_order' && k !== 'shape');
  if (extra.length > 0) throw invalid(`header has unexpected key(s) ${extra.map((k) => `'${k}'`).join(', ')}`);

  const descr = dict.entries.get('descr');
  if (typeof descr !== 'string') {
    throw unsupported(`structured dtypes are not supported: 'descr' is ${describeLiteral(descr)}; expected one of ${SUPPORTED_DESCRS}`);
  }
  const fortranOrder = dict.entries.get('fortran_order');
  if (typeof fortranOrder !== 'boolean') throw invalid(`'fortran_order' must be True or False, got ${describeLiteral(fortranOrder)}`);
  const shape = dict.entries.get('shape');
  if (!Array.isArray(shape) || (shape as LiteralTuple).tuple !== true) {
    throw invalid(`'shape' must be a tuple of integers, got ${describeLiteral(shape)}`);
  }
  const dims: number[] = [];
  for (const d of shape) {
    if (typeof d !== 'number' || d < 0) throw invalid(`'shape' must hold non-negative integers, got ${describeLiteral(d)}`);
    dims.push(d);
  }

  const dtype = DESCR_TO_DTYPE.get(descr);
  if (dtype === undefined) {
    if (descr.startsWith('>')) {
      throw unsupported(`big-endian data ('${descr}') is not supported; re-save with a little-endian dtype, e.g. arr.astype('<${descr.slice(1)}')`);
    }
    if (descr.includes('O')) throw unsupported(`object arrays ('${descr}') hold pickled Python objects and are never loaded`);
    throw unsupported(`dtype '${descr}' is not supported; expected one of ${SUPPORTED_DESCRS}`);
  }
  if (fortranOrder && dims.length > 1) {
    throw unsupported(`Fortran-order arrays are not supported (shape ${formatShape(dims)}); re-save with np.save(path, np.ascontiguousarray(arr))`);
  }
  return { dtype, shape: dims };
}

function describeLiteral(v: Literal | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'None';
  if (Array.isArray(v)) return `a ${(v as LiteralTuple).tuple ? 'tuple' : 'list'} of ${v.length}`;
  if (typeof v === 'object') return `a dict`;
  return JSON.stringify(v);
}

/** Parses a .npy file into a C-order tensor; refuses anything it does not fully understand. */
export function parseNpy(bytes: Uint8Array): Tensor {
  if (bytes.length < 10) throw invalid(`file is ${bytes.length} bytes, too short for the 10-byte .npy preamble`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      const found = [...bytes.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw invalid(`not a .npy file: expected magic "${MAGIC_TEXT}" (93 4e 55 4d 50 59), found ${found}`);
    }
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw unsupported(`format version ${major}.${minor} is not supported (expected 1.0, 2.0 or 3.0)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else {
    if (bytes.length < 12) throw invalid(`file is ${bytes.length} bytes, too short for the 12-byte version ${major}.0 preamble`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  }
  if (headerLength > MAX_HEADER_BYTES) throw invalid(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw invalid(`truncated: header declares ${headerLength} bytes at byte ${headerStart} but the file has only ${bytes.length - headerStart} more`);
  }

  let text: string;
  try {
    // 1.0/2.0 headers are latin-1 (NumPy writes pure ASCII), 3.0 headers are UTF-8.
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(bytes.subarray(headerStart, dataStart));
  } catch {
    throw invalid(`header at byte ${headerStart} is not valid ${major === 3 ? 'UTF-8' : 'text'}`);
  }
  const header = interpretHeader(new HeaderParser(text, headerStart).parseHeader());

  const itemBytes = DTYPE_BYTES[header.dtype];
  const available = bytes.length - dataStart;
  // Stop multiplying once the product is too large, so a hostile shape cannot overflow past the
  // comparison; a zero dimension anywhere makes the array empty.
  let count = header.shape.includes(0) ? 0 : 1;
  for (const d of header.shape) {
    if (count * itemBytes > available) break;
    count *= d;
  }
  const expected = count * itemBytes;
  if (expected !== available) {
    const declared = expected > available ? `at least ${expected}` : `${expected}`;
    throw invalid(
      `data length mismatch: shape ${formatShape(header.shape)} of ${header.dtype} needs ${declared} bytes after the header (byte ${dataStart}), found ${available}` +
        (expected > available ? ' (file truncated?)' : ' (trailing bytes)'),
    );
  }
  return { dtype: header.dtype, shape: header.shape, data: typedArrayFromLittleEndian(header.dtype, bytes, dataStart, count) };
}

/**
 * Writes a tensor as a version 1.0 .npy file, byte for byte as `numpy.save` does: the same header
 * text (keys sorted, room left for growing the first axis) padded with spaces and '\n' so that the
 * data starts at a multiple of 64 bytes.
 */
export function serializeNpy(tensor: Tensor): Uint8Array {
  if (!isTensor(tensor)) {
    throw new MobileNetError('INVALID_ARGUMENT', `serializeNpy: expected a tensor whose data length equals the product of its shape`);
  }
  const descr = DTYPE_TO_DESCR.get(tensor.dtype)!;
  const shapeText = tensor.shape.length === 1 ? `(${tensor.shape[0]},)` : `(${tensor.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  if (tensor.shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(tensor.shape[0]).length));
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1; // + '\n'
  // Like NumPy: 1 to 64 spaces (a full 64 when already aligned), then the newline.
  header += ' '.repeat(DATA_ALIGNMENT - (unpadded % DATA_ALIGNMENT)) + '\n';
  if (header.length > 0xffff) throw new MobileNetError('INVALID_ARGUMENT', `serializeNpy: header of ${header.length} bytes does not fit version 1.0`);

  const data = tensorToLittleEndianBytes(tensor);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}

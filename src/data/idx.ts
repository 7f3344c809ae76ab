/**
 * IDX files, the format of MNIST and Fashion-MNIST (browser-safe: bytes in, arrays out).
 *
 * Layout (all header integers big-endian):
 *   bytes 0–1  zero
 *   byte  2    element type; 0x08 = unsigned byte (the only type these datasets use)
 *   byte  3    number of dimensions d
 *   then d × uint32 sizes, outermost first, then the elements in C order.
 * Images are magic 0x00000803 with sizes (N, rows, cols); labels are 0x00000801 with size (N).
 * Files are usually distributed gzipped (`*-ubyte.gz`); bytes that start with the gzip magic
 * (1f 8b) are decompressed first, and the gzip trailer (CRC-32 and length) is checked.
 *
 * Every problem — not gzip and not IDX, a wrong magic, a header whose sizes disagree with the
 * file's length (truncated or with trailing bytes), images and labels of different counts, a label
 * outside the class list — throws MobileNetError('INVALID_FORMAT', '<file>: …') naming the file.
 */
import { gunzipSync, gzipSync } from 'fflate';
import { MobileNetError } from '../errors.js';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

/** An IDX images file: N grayscale images of rows × cols. */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** (N, rows, cols) */
  pixels: Uint8Array;
}

/** An IDX labels file: N class indices. */
export interface IdxLabels {
  count: number;
  /** (N) */
  labels: Uint8Array;
}

/** Images and their labels, checked against each other. */
export interface IdxImageSet extends IdxImages {
  /** (N) */
  labels: Uint8Array;
}

function invalid(name: string, problem: string, cause?: unknown): MobileNetError {
  return new MobileNetError('INVALID_FORMAT', `${name}: ${problem}`, cause === undefined ? undefined : { cause });
}

function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

// ---- gzip ----

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const GZIP_DEFLATE = 8;
/** deflate cannot expand data by more than ~1032:1; a larger stated size means a corrupt trailer. */
const MAX_DEFLATE_RATIO = 1032;

/** True when `bytes` start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, the one gzip uses) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function readUint32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

/** Where the deflate data of a one-member gzip file starts, after checking the header's fields fit. */
function gzipHeaderLength(bytes: Uint8Array, name: string): number {
  const truncated = (): MobileNetError => invalid(name, 'bad gzip data: the gzip header is truncated');
  if (bytes.length < 10) throw truncated();
  if (bytes[2] !== GZIP_DEFLATE) throw invalid(name, `bad gzip data: compression method ${bytes[2]}, expected 8 (deflate)`);
  const flags = bytes[3]!;
  if (flags & 0xe0) throw invalid(name, `bad gzip data: reserved header flags set (0x${flags.toString(16)})`);
  let offset = 10;
  if (flags & 0x04) {
    // FEXTRA: a 2-byte length and that many bytes
    if (offset + 2 > bytes.length) throw truncated();
    offset += 2 + (bytes[offset]! | (bytes[offset + 1]! << 8));
  }
  for (const flag of [0x08, 0x10]) {
    // FNAME, FCOMMENT: zero-terminated strings
    if (!(flags & flag)) continue;
    while (offset < bytes.length && bytes[offset] !== 0) offset++;
    offset++;
  }
  if (flags & 0x02) offset += 2; // FHCRC
  if (offset > bytes.length) throw truncated();
  return offset;
}

/**
 * The decompressed content of a gzip file (one member), with its CRC-32 and length checked
 * against the trailer. Throws INVALID_FORMAT naming `name` for anything wrong.
 */
export function gunzipChecked(bytes: Uint8Array, name = '<buffer>'): Uint8Array {
  if (!isGzip(bytes)) throw invalid(name, 'not gzip data (the file does not start with 1f 8b)');
  const start = gzipHeaderLength(bytes, name);
  if (bytes.length < start + 8) throw invalid(name, 'bad gzip data: the file is truncated (no room for the deflate data and the 8-byte trailer)');
  const expectedCrc = readUint32LE(bytes, bytes.length - 8);
  const expectedSize = readUint32LE(bytes, bytes.length - 4);
  const compressedSize = bytes.length - start - 8;
  // A truncated file's "trailer" is really compressed data: refuse sizes deflate cannot produce
  // from this much input before allocating for them.
  if (expectedSize > compressedSize * MAX_DEFLATE_RATIO + 64) {
    throw invalid(
      name,
      `bad gzip data: the trailer states ${expectedSize} decompressed bytes, impossible from ${compressedSize} compressed bytes (truncated or corrupt file)`,
    );
  }
  let out: Uint8Array;
  try {
    // One spare byte so that more output than the trailer states is detected.
    out = gunzipSync(bytes, { out: new Uint8Array(expectedSize + 1) });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(name, `bad gzip data: ${reason} (truncated or corrupt file)`, error);
  }
  if (out.length !== expectedSize) {
    throw invalid(
      name,
      out.length > expectedSize
        ? `bad gzip data: decompresses to more than the ${expectedSize} bytes the trailer states (corrupt file)`
        : `bad gzip data: decompressed to ${out.length} bytes, the trailer states ${expectedSize} (truncated or corrupt file)`,
    );
  }
  const actualCrc = crc32(out);
  if (actualCrc !== expectedCrc) {
    throw invalid(name, `bad gzip data: CRC-32 ${hex32(actualCrc)} of the decompressed data, the trailer states ${hex32(expectedCrc)} (corrupt file)`);
  }
  return out;
}

/** The bytes themselves, or their decompressed content when they start with the gzip magic. */
export function maybeGunzip(bytes: Uint8Array, name = '<buffer>'): Uint8Array {
  return isGzip(bytes) ? gunzipChecked(bytes, name) : bytes;
}

// ---- IDX ----

function describeMagic(magic: number): string {
  if (magic === IDX_IMAGES_MAGIC) return `${hex32(magic)} (IDX images)`;
  if (magic === IDX_LABELS_MAGIC) return `${hex32(magic)} (IDX labels)`;
  return hex32(magic);
}

/**
 * Header checks shared by both kinds: the magic (which fixes the element type, 0x08 = unsigned
 * byte, and the number of dimensions), then the sizes against the file's length.
 * Returns the sizes; the elements start at 4 + 4·dims.
 */
function parseIdxHeader(data: Uint8Array, name: string, expectedMagic: number, what: string): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 4) {
    throw invalid(name, `not an IDX ${what} file: ${data.length} bytes, too short for the 4-byte magic ${hex32(expectedMagic)}`);
  }
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    throw invalid(name, `not an IDX ${what} file: magic ${describeMagic(magic)}, expected ${hex32(expectedMagic)}`);
  }
  const dims = data[3]!;
  const headerBytes = 4 + 4 * dims;
  if (data.length < headerBytes) {
    throw invalid(name, `truncated IDX header: ${data.length} bytes, the ${dims}-dimensional header needs ${headerBytes}`);
  }
  const sizes: number[] = [];
  let elements = 1;
  for (let d = 0; d < dims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    sizes.push(size);
    elements *= size;
  }
  const expectedBytes = headerBytes + elements;
  if (data.length !== expectedBytes) {
    const shape = sizes.join(' × ');
    throw invalid(
      name,
      data.length < expectedBytes
        ? `truncated IDX data: the header says ${shape} = ${elements} bytes of data, the file holds ${data.length - headerBytes}`
        : `IDX size mismatch: the header says ${shape} = ${elements} bytes of data, the file holds ${data.length - headerBytes} (${data.length - expectedBytes} extra bytes)`,
    );
  }
  return sizes;
}

/** The elements after the header: a view into decompressed bytes (ours), a copy of the caller's. */
function elementsOf(data: Uint8Array, headerBytes: number, ownsData: boolean): Uint8Array {
  return ownsData ? data.subarray(headerBytes) : data.slice(headerBytes);
}

/**
 * Parse an IDX images file (magic 0x00000803, sizes (N, rows, cols)), gzipped or not.
 * `name` is used in error messages (the file path, typically).
 */
export function parseIdxImages(bytes: Uint8Array, name = '<buffer>'): IdxImages {
  const gzipped = isGzip(bytes);
  const data = gzipped ? gunzipChecked(bytes, name) : bytes;
  const sizes = parseIdxHeader(data, name, IDX_IMAGES_MAGIC, 'images');
  const [count, rows, cols] = sizes as [number, number, number];
  if (count > 0 && (rows === 0 || cols === 0)) throw invalid(name, `IDX images of size ${rows} × ${cols}: expected positive sizes`);
  return { count, rows, cols, pixels: elementsOf(data, 16, gzipped) };
}

/**
 * Parse an IDX labels file (magic 0x00000801, size (N)), gzipped or not. With `numClasses`, every
 * label must be below it.
 */
export function parseIdxLabels(bytes: Uint8Array, name = '<buffer>', options: { numClasses?: number } = {}): IdxLabels {
  const gzipped = isGzip(bytes);
  const data = gzipped ? gunzipChecked(bytes, name) : bytes;
  const [count] = parseIdxHeader(data, name, IDX_LABELS_MAGIC, 'labels') as [number];
  const labels = elementsOf(data, 8, gzipped);
  if (options.numClasses !== undefined) checkLabels(labels, options.numClasses, name);
  return { count, labels };
}

function checkLabels(labels: Uint8Array, numClasses: number, name: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= numClasses) {
      throw invalid(name, `label ${labels[i]} at index ${i} is out of range: expected 0 to ${numClasses - 1} (${numClasses} classes)`);
    }
  }
}

export interface IdxImageSetInput {
  images: Uint8Array;
  labels: Uint8Array;
  /** Names for error messages (file paths). */
  imagesName?: string;
  labelsName?: string;
  /** Labels must be below this. */
  numClasses: number;
}

/**
 * Parse an images file and its labels file together: same count, every label < numClasses.
 */
export function parseIdxImageSet(input: IdxImageSetInput): IdxImageSet {
  const imagesName = input.imagesName ?? '<images>';
  const labelsName = input.labelsName ?? '<labels>';
  if (!Number.isInteger(input.numClasses) || input.numClasses < 1 || input.numClasses > 256) {
    throw new MobileNetError('INVALID_ARGUMENT', `parseIdxImageSet: numClasses must be an integer from 1 to 256, got ${input.numClasses}`);
  }
  const images = parseIdxImages(input.images, imagesName);
  const labels = parseIdxLabels(input.labels, labelsName, { numClasses: input.numClasses });
  if (labels.count !== images.count) {
    throw invalid(labelsName, `${labels.count} labels for ${images.count} images in ${imagesName}: the counts must be equal`);
  }
  return { ...images, labels: labels.labels };
}

// ---- writing (fixtures, samples) ----

function writeHeader(magic: number, sizes: readonly number[], dataBytes: number): Uint8Array {
  const headerBytes = 4 + 4 * sizes.length;
  const out = new Uint8Array(headerBytes + dataBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  sizes.forEach((size, d) => view.setUint32(4 + 4 * d, size, false));
  return out;
}

/** Encode N images of rows × cols ((N, rows, cols) uint8) as an IDX images file (uncompressed). */
export function encodeIdxImages(pixels: Uint8Array, count: number, rows: number, cols: number): Uint8Array {
  for (const [value, what] of [
    [count, 'count'],
    [rows, 'rows'],
    [cols, 'cols'],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new MobileNetError('INVALID_ARGUMENT', `encodeIdxImages: ${what} must be a non-negative 32-bit integer, got ${value}`);
    }
  }
  if (pixels.length !== count * rows * cols) {
    throw new MobileNetError('SHAPE_MISMATCH', `encodeIdxImages: ${pixels.length} bytes of pixels; expected ${count}×${rows}×${cols} = ${count * rows * cols}`);
  }
  const out = writeHeader(IDX_IMAGES_MAGIC, [count, rows, cols], pixels.length);
  out.set(pixels, 16);
  return out;
}

/** Encode labels ((N) uint8) as an IDX labels file (uncompressed). */
export function encodeIdxLabels(labels: Uint8Array): Uint8Array {
  const out = writeHeader(IDX_LABELS_MAGIC, [labels.length], labels.length);
  out.set(labels, 8);
  return out;
}

/** gzip with fixed header fields (mtime 0, no file name), so the same input gives the same bytes. */
export function gzipDeterministic(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 9, mtime: 0 });
}

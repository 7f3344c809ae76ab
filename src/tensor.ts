/**
 * A minimal typed tensor: what io parsers produce and what the runtime consumes.
 * Data is always C-order (row-major); `shape` lists dimensions outermost first.
 */
export type DType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/**
 * The JS array that holds each dtype. float16 has no native array in Node 20, so it is kept as raw
 * uint16 bits (convert with `float16ToFloat32`); int64 uses BigInt64Array.
 */
export interface DTypeArrays {
  float32: Float32Array;
  float16: Uint16Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TypedArrayFor<D extends DType> = DTypeArrays[D];

export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayFor<D>;
}

/** Named tensors as a weights file holds them, in file order. */
export type NamedTensors = Map<string, Tensor>;

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** IEEE 754 half → single, exact for every half value including subnormals, inf and NaN. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Single → half with round-to-nearest-even, overflow to inf, underflow through subnormals. */
export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mantissa >> 13;
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** A float32 copy of any floating tensor (float16/float64 converted); integers are refused. */
export function toFloat32(t: Tensor): Float32Array {
  switch (t.dtype) {
    case 'float32':
      return t.data as Float32Array;
    case 'float64':
      return Float32Array.from(t.data as Float64Array);
    case 'float16': {
      const src = t.data as Uint16Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = float16ToFloat32(src[i]!);
      return out;
    }
    default:
      throw new TypeError(`toFloat32: expected a floating-point tensor, got ${t.dtype}`);
  }
}

// ---- Byte-order helpers shared by the weight-file readers and writers (src/io) ----

/** Every file format we read stores little-endian data; true on all mainstream hosts. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A fresh, zeroed typed array of `dtype` holding `count` elements. */
export function allocateTypedArray(dtype: DType, count: number): TypedArrayFor<DType> {
  switch (dtype) {
    case 'float32':
      return new Float32Array(count);
    case 'float16':
      return new Uint16Array(count);
    case 'float64':
      return new Float64Array(count);
    case 'int64':
      return new BigInt64Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'int8':
      return new Int8Array(count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(count);
  }
}

/**
 * Copy `count` little-endian elements of `itemBytes` bytes each, starting at `byteOffset`, into a
 * fresh buffer (so the result is aligned whatever the source offset was), swapping bytes on
 * big-endian hosts. The caller checks that the range lies inside `bytes`.
 */
function copyLittleEndian(bytes: Uint8Array, byteOffset: number, count: number, itemBytes: number): ArrayBuffer {
  const out = new Uint8Array(count * itemBytes);
  out.set(bytes.subarray(byteOffset, byteOffset + out.length));
  if (!HOST_IS_LITTLE_ENDIAN && itemBytes > 1) out.set(swapBytes(out, itemBytes));
  return out.buffer;
}

function swapBytes(src: Uint8Array, itemBytes: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += itemBytes) {
    for (let j = 0; j < itemBytes; j++) out[i + j] = src[i + itemBytes - 1 - j]!;
  }
  return out;
}

/**
 * An aligned typed array of `dtype` decoded from `count` little-endian elements at `byteOffset`
 * of `bytes` (a copy: never a view into the file). Throws RangeError when the range does not fit.
 */
export function typedArrayFromLittleEndian(
  dtype: DType,
  bytes: Uint8Array,
  byteOffset: number,
  count: number,
): TypedArrayFor<DType> {
  const itemBytes = DTYPE_BYTES[dtype];
  if (byteOffset < 0 || count < 0 || byteOffset + count * itemBytes > bytes.length) {
    throw new RangeError(`typedArrayFromLittleEndian: ${count} × ${itemBytes} bytes at ${byteOffset} exceed ${bytes.length}`);
  }
  const buffer = copyLittleEndian(bytes, byteOffset, count, itemBytes);
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float16':
      return new Uint16Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer);
  }
}

/** The tensor's elements as little-endian bytes (a copy), as weight files store them. */
export function tensorToLittleEndianBytes(t: Tensor): Uint8Array {
  const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const itemBytes = DTYPE_BYTES[t.dtype];
  return HOST_IS_LITTLE_ENDIAN || itemBytes === 1 ? view.slice() : swapBytes(view, itemBytes);
}

/** bfloat16 bits → float32 (exact: bfloat16 is the upper half of a float32). */
export function bfloat16ToFloat32Array(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << 16;
  return out;
}

/** Structural check for a Tensor: a known dtype, an integer shape and a typed array of matching length. */
export function isTensor(value: unknown): value is Tensor {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { dtype?: unknown; shape?: unknown; data?: unknown };
  return (
    typeof v.dtype === 'string' &&
    Object.prototype.hasOwnProperty.call(DTYPE_BYTES, v.dtype) &&
    Array.isArray(v.shape) &&
    v.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
    ArrayBuffer.isView(v.data) &&
    (v.data as { length?: unknown }).length === shapeSize(v.shape as number[])
  );
}

/**
 * A minimal .npy reader for the format tests' expectation files (numpy.save output): versions 1–3,
 * C order, little-endian float32/float64/int64/int32 and bool. Test-only on purpose, so these tests
 * do not depend on src/io/npy.ts, which they are not about.
 */
export interface NpyArray {
  dtype: 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
}

const DESCRS: Record<string, NpyArray['dtype']> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|b1': 'bool',
};

export function readNpy(bytes: Uint8Array): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (!magic.every((b, i) => bytes[i] === b)) throw new Error('readNpy: not a .npy file');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, headerStart + headerLength),
  );
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`readNpy: cannot parse header ${header}`);
  }
  if (fortran === 'True') throw new Error('readNpy: Fortran order is not handled');
  const dtype = DESCRS[descr];
  if (dtype === undefined) throw new Error(`readNpy: dtype ${descr} is not handled`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  // An aligned copy (Node's Buffer#slice would return a view into the file's buffer).
  const body = new Uint8Array(bytes.length - headerStart - headerLength);
  body.set(bytes.subarray(headerStart + headerLength));
  switch (dtype) {
    case 'float32':
      return { dtype, shape, data: new Float32Array(body.buffer, 0, count) };
    case 'float64':
      return { dtype, shape, data: new Float64Array(body.buffer, 0, count) };
    case 'int64':
      return { dtype, shape, data: new BigInt64Array(body.buffer, 0, count) };
    case 'int32':
      return { dtype, shape, data: new Int32Array(body.buffer, 0, count) };
    case 'bool':
      return { dtype, shape, data: new Uint8Array(body.buffer, 0, count) };
  }
}

/** A float32 .npy file's values, checked to be float32. */
export function readNpyFloat32(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  const array = readNpy(bytes);
  if (!(array.data instanceof Float32Array)) throw new Error(`readNpyFloat32: dtype is ${array.dtype}`);
  return { shape: array.shape, data: array.data };
}

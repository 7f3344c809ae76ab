/**
 * Keras HDF5 weights (`.h5`), the files keras-applications publishes, read through h5wasm.
 *
 * Two layouts, same structure (Keras 2's `save_weights_to_hdf5_group`):
 * - weights-only (`model.save_weights`): the root group has attribute `layer_names`;
 * - full model (`model.save`): the same sits under the `model_weights` group, beside `model_config`.
 * Each listed layer is a group whose attribute `weight_names` (e.g. `conv1/kernel:0`) lists the
 * datasets at `<layer>/<weight_name>`, in the layer's own order. String attributes come as fixed-length
 * byte strings (h5py 2 era) or variable-length strings (h5py 3); attributes larger than HDF5's 64 KB
 * header limit are split by Keras into `name0`, `name1`, ...; all of these are read.
 *
 * Names stay as the file has them: mapping them onto graph parameters is the job of the name maps.
 * Works in browsers too: the bytes go to h5wasm's in-memory file system, never to a disk.
 */
import type { Attribute, Dataset, Entity, Group } from 'h5wasm';
import { MobileNetError } from '../errors.js';
import { float16ToFloat32, formatShape, shapeSize, type Tensor } from '../tensor.js';

export interface KerasWeight {
  /** As listed in the layer's `weight_names`, e.g. `conv1/kernel:0`. */
  name: string;
  /** Converted to float32 whatever the file stores (float16, float32 or float64). */
  tensor: Tensor<'float32'>;
}

export interface KerasLayer {
  name: string;
  /** In the layer's `weight_names` order; empty for layers without weights (activations, inputs). */
  weights: KerasWeight[];
}

export interface KerasWeights {
  /** In the file's `layer_names` order. */
  layers: KerasLayer[];
  kerasVersion?: string;
  backend?: string;
}

/** The 8-byte signature HDF5 files start with (possibly after a user block of 512·2^k bytes). */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function signatureAt(bytes: Uint8Array, offset: number): boolean {
  if (offset + HDF5_SIGNATURE.length > bytes.length) return false;
  return HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b);
}

/** Where the HDF5 superblock starts (0, 512, 1024, 2048, ...), or -1. */
function superblockOffset(bytes: Uint8Array): number {
  if (signatureAt(bytes, 0)) return 0;
  for (let offset = 512; offset + HDF5_SIGNATURE.length <= bytes.length; offset *= 2) {
    if (signatureAt(bytes, offset)) return offset;
  }
  return -1;
}

/** True when the bytes carry an HDF5 superblock signature (at 0, 512, 1024, 2048, ...). */
export function looksLikeHdf5(bytes: Uint8Array): boolean {
  return superblockOffset(bytes) >= 0;
}

const GCOL = [0x47, 0x43, 0x4f, 0x4c]; // "GCOL"

/**
 * HDF5's global heap reader (H5HG, which holds variable-length strings such as `layer_names`) walks
 * a collection's objects by their sizes without checking them: an object of size 0 makes it loop
 * forever (native libhdf5 does too), and in 32-bit WASM a size past the collection wraps the
 * pointer around. A synchronous WASM call cannot be interrupted, so every collection ("GCOL",
 * version 1) is walked here first, the same way, and a size that would stall or overrun is refused.
 */
function checkGlobalHeaps(bytes: Uint8Array): void {
  const superblock = superblockOffset(bytes);
  const version = bytes[superblock + 8];
  // Size of lengths: byte 14 of a version 0/1 superblock, byte 10 of a version 2/3 one (8 in h5py's files).
  const lengthSize = bytes[superblock + (version === 0 || version === 1 ? 14 : 10)];
  if (lengthSize !== 2 && lengthSize !== 4 && lengthSize !== 8) return; // HDF5 refuses the file itself
  const readLength = (at: number): number => {
    let value = 0;
    for (let i = lengthSize - 1; i >= 0; i--) value = value * 256 + (bytes[at + i] ?? 0);
    return value;
  };
  const headerSize = 8 + lengthSize; // signature, version, reserved, collection size
  const objectHeaderSize = 8 + lengthSize; // index, reference count, reserved, object size
  for (let at = 0; at + headerSize <= bytes.length; at++) {
    if (bytes[at] !== GCOL[0] || bytes[at + 1] !== GCOL[1] || bytes[at + 2] !== GCOL[2] || bytes[at + 3] !== GCOL[3] || bytes[at + 4] !== 1) continue;
    const size = readLength(at + 8);
    const end = at + size;
    if (end > bytes.length) {
      throw invalid(`the global heap collection at byte ${at} declares ${size} bytes but the file ends at byte ${bytes.length} (truncated or corrupt file)`);
    }
    for (let object = at + headerSize; object + objectHeaderSize <= end; ) {
      const index = bytes[object]! | (bytes[object + 1]! << 8);
      const objectSize = readLength(object + 8);
      // As H5HG reads it: a used object's header and data padded to 8 bytes; free space (index 0) as is.
      const need = index > 0 ? objectHeaderSize + Math.ceil(objectSize / 8) * 8 : objectSize;
      if (need === 0 || need > end - object) {
        throw invalid(
          `the global heap collection at byte ${at} holds an object (index ${index}, at byte ${object}) of ${objectSize} bytes, ` +
            `which ${need === 0 ? 'is empty' : `runs past the collection's end at byte ${end}`} (corrupt file)`,
        );
      }
      object += need;
    }
  }
}

function invalid(message: string): MobileNetError {
  return new MobileNetError('INVALID_FORMAT', `Keras HDF5: ${message}`);
}

function unsupported(message: string): MobileNetError {
  return new MobileNetError('UNSUPPORTED', `Keras HDF5: ${message}`);
}

type H5 = typeof import('h5wasm');

let h5wasmModule: Promise<H5> | undefined;
let h5wasmLoads = 0;

/** h5wasm is loaded (and its WASM compiled) on first use only, and again after it crashed (see crashNote). */
function loadH5wasm(): Promise<H5> {
  if (h5wasmModule !== undefined) return h5wasmModule;
  const load = h5wasmLoads++;
  const imported =
    load === 0
      ? import('h5wasm')
      : // A fresh copy of the module, with its own WASM instance and memory: its URL differs by the query.
        Promise.resolve()
          .then(() => import(/* webpackIgnore: true */ `${import.meta.resolve('h5wasm')}?instance=${load}`) as Promise<H5>)
          .catch((error: unknown) => {
            h5wasmModule = undefined;
            throw new MobileNetError('INTERNAL', `Keras HDF5: cannot load a fresh HDF5 library after a crash: ${String(error)}`);
          });
  h5wasmModule = imported.then(async (h5) => {
    await h5.ready;
    return h5;
  });
  return h5wasmModule;
}

/**
 * A WASM trap or abort inside the HDF5 library. The C library does not check every size and offset
 * a corrupt file holds: it can read and write out of bounds before it traps, so the instance's
 * memory cannot be trusted afterwards and the next parse loads a fresh instance (the old one, a few
 * MB, stays loaded: a module cannot be unloaded). Returns a note for the message ('' for any other error).
 */
function crashNote(error: unknown): string {
  if (!(error instanceof Error) || !(error.name === 'RuntimeError' || /^Aborted\(/.test(error.message))) return '';
  h5wasmModule = undefined;
  return 'the HDF5 library crashed: ';
}

let fileCounter = 0;

/** The HDF5 library's own message from an h5wasm error: its innermost (most specific) line. */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split('\n')
    .map((l) => /#\d+:.* in ([A-Za-z0-9_]+\(\)): (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  const last = lines[lines.length - 1];
  if (last) return `${last[2]} (${last[1]})`;
  return text.trim().split('\n')[0] ?? 'unknown error';
}

/**
 * Reads the weights of a Keras HDF5 file (weights-only or full model). Throws MobileNetError:
 * INVALID_FORMAT for bytes that are not HDF5, a truncated/corrupt file, or an HDF5 file that is not a
 * Keras weights file or lacks a listed layer or weight; UNSUPPORTED for weights that are not floating
 * point and for the Keras 3 `.weights.h5` layout.
 */
export async function parseKerasH5(bytes: Uint8Array): Promise<KerasWeights> {
  if (!(bytes instanceof Uint8Array)) {
    throw new MobileNetError('INVALID_ARGUMENT', `parseKerasH5: expected a Uint8Array, got ${typeof bytes}`);
  }
  if (!looksLikeHdf5(bytes)) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw invalid(
      `not an HDF5 file: no HDF5 signature (89 48 44 46 0d 0a 1a 0a) found; the ${bytes.length} bytes start with ${head || '(nothing)'}`,
    );
  }
  checkGlobalHeaps(bytes);
  const h5 = await loadH5wasm();
  const module = await h5.ready;
  const FS = module.FS;
  // Unique per call: concurrent parses never share a virtual file.
  const path = `/mobilenet-ts-keras-${Date.now().toString(36)}-${(fileCounter++).toString(36)}-${Math.random().toString(36).slice(2)}.h5`;

  // Everything from here on is synchronous, so no other call can toggle the error handler meanwhile.
  let file: InstanceType<H5['File']> | undefined;
  try {
    FS.writeFile(path, bytes);
    module.activate_throwing_error_handler();
    try {
      file = new h5.File(path, 'r');
    } catch (error) {
      throw invalid(`cannot open the HDF5 file (${bytes.length} bytes; truncated or corrupt?): ${crashNote(error)}${hdf5Reason(error)}`);
    }
    return readKerasFile(h5, file);
  } catch (error) {
    if (error instanceof MobileNetError) throw error;
    throw invalid(`corrupt HDF5 content: ${crashNote(error)}${hdf5Reason(error)}`);
  } finally {
    try {
      file?.close();
    } catch (error) {
      // Closing a file that failed half-way can fail too; the virtual file is removed below anyway.
      crashNote(error);
    }
    try {
      module.deactivate_throwing_error_handler();
      FS.unlink(path);
    } catch (error) {
      // Only a crashed instance fails here: it is replaced, and what was read from the file stands.
      if (crashNote(error) === '') throw error;
    }
  }
}

function readKerasFile(h5: H5, file: Group): KerasWeights {
  // Where the layer_names attribute lives decides the layout.
  let weightsGroup: Group;
  if (hasStringListAttribute(file, 'layer_names')) {
    weightsGroup = file;
  } else {
    const modelWeights = file.get('model_weights');
    if (modelWeights instanceof h5.Group && hasStringListAttribute(modelWeights, 'layer_names')) {
      weightsGroup = modelWeights;
    } else {
      const keys = file.keys();
      if (keys.includes('layers') || keys.includes('vars') || keys.includes('_layer_checkpoint_dependencies')) {
        throw unsupported(
          'this looks like a Keras 3 `.weights.h5` file (a `layers` group without `layer_names`); only the Keras 2 HDF5 layout is supported',
        );
      }
      throw invalid(
        `not a Keras weights file: no \`layer_names\` attribute at the root nor in a \`model_weights\` group (root holds: ${formatList(keys)})`,
      );
    }
  }

  const layerNames = readStringList(weightsGroup, 'layer_names', 'the weights group');
  const layers: KerasLayer[] = [];
  for (const layerName of layerNames) {
    const layerGroup = weightsGroup.get(layerName);
    if (layerGroup === null) throw invalid(`layer '${layerName}' is listed in layer_names but the file has no group for it`);
    if (!(layerGroup instanceof h5.Group)) {
      throw invalid(`layer '${layerName}' is listed in layer_names but is a ${entityKind(h5, layerGroup)}, not a group`);
    }
    const weightNames = hasStringListAttribute(layerGroup, 'weight_names')
      ? readStringList(layerGroup, 'weight_names', `layer '${layerName}'`)
      : [];
    const weights: KerasWeight[] = [];
    for (const weightName of weightNames) {
      const dataset = layerGroup.get(weightName);
      if (dataset === null) {
        throw invalid(`weight '${weightName}' of layer '${layerName}' is listed in weight_names but has no dataset`);
      }
      if (!(dataset instanceof h5.Dataset)) {
        throw invalid(`weight '${weightName}' of layer '${layerName}' is a ${entityKind(h5, dataset)}, not a dataset`);
      }
      weights.push({ name: weightName, tensor: readFloatDataset(h5, dataset, `weight '${weightName}' of layer '${layerName}'`) });
    }
    layers.push({ name: layerName, weights });
  }

  const result: KerasWeights = { layers };
  const kerasVersion = readOptionalString(weightsGroup, 'keras_version') ?? readOptionalString(file, 'keras_version');
  const backend = readOptionalString(weightsGroup, 'backend') ?? readOptionalString(file, 'backend');
  if (kerasVersion !== undefined) result.kerasVersion = kerasVersion;
  if (backend !== undefined) result.backend = backend;
  return result;
}

function entityKind(h5: H5, entity: Entity): string {
  if (entity instanceof h5.Group) return 'group';
  if (entity instanceof h5.Dataset) return 'dataset';
  return entity.constructor.name;
}

function formatList(items: string[]): string {
  if (items.length === 0) return 'nothing';
  const shown = items.slice(0, 8).map((s) => `'${s}'`);
  return items.length > 8 ? `${shown.join(', ')}, ... (${items.length} in all)` : shown.join(', ');
}

/** True when `name` or its Keras chunks `name0`, `name1`, ... exist on `group`. */
function hasStringListAttribute(group: Group, name: string): boolean {
  const attrs = group.attrs;
  return name in attrs || `${name}0` in attrs;
}

/**
 * A list of names from an attribute: fixed-length or variable-length strings, a scalar string, or an
 * empty numeric array (what Keras writes for a layer without weights). Keras' chunked attributes
 * (`name0`, `name1`, ...) are concatenated.
 */
function readStringList(group: Group, name: string, owner: string): string[] {
  const attrs = group.attrs;
  const single = attrs[name];
  if (single !== undefined) return attributeStrings(single, `attribute '${name}' of ${owner}`);
  const out: string[] = [];
  for (let chunk = 0; attrs[`${name}${chunk}`] !== undefined; chunk++) {
    out.push(...attributeStrings(attrs[`${name}${chunk}`]!, `attribute '${name}${chunk}' of ${owner}`));
  }
  return out;
}

const STRING_CLASS = 3;

function attributeStrings(attribute: Attribute, label: string): string[] {
  const value = attribute.value;
  if (attribute.metadata.type !== STRING_CLASS) {
    // An empty array of any type is an empty list: Keras writes np.asarray([]) (float64) for layers
    // without weights.
    if (attribute.metadata.total_size === 0) return [];
    throw invalid(`${label} should hold strings but holds HDF5 type class ${attribute.metadata.type}`);
  }
  const fixedAscii = !attribute.metadata.vlen && attribute.metadata.cset !== 1;
  const fix = (s: string): string => (fixedAscii ? recoverUtf8(s) : s);
  if (typeof value === 'string') return [fix(value)];
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value.map(fix);
  throw invalid(`${label} could not be read as a list of strings`);
}

let windows1252Bytes: Map<string, number> | null | undefined;

/**
 * Fixed-length strings marked ASCII are what h5py writes for Python bytes, and Keras encodes names as
 * UTF-8 bytes; h5wasm decodes them with TextDecoder('ascii') (windows-1252 in the Encoding Standard,
 * one code point per byte). Undo that and decode the bytes as UTF-8, so a non-ASCII layer name comes
 * back as written. Strings that are not valid UTF-8 are left as they are.
 */
function recoverUtf8(s: string): string {
  if (!/[^\x00-\x7f]/.test(s)) return s;
  if (windows1252Bytes === undefined) {
    const decoder = new TextDecoder('ascii');
    const map = new Map<string, number>();
    for (let byte = 0; byte < 256; byte++) map.set(decoder.decode(Uint8Array.of(byte)), byte);
    windows1252Bytes = map.size === 256 ? map : null;
  }
  if (windows1252Bytes === null) return s;
  const bytes: number[] = [];
  for (const ch of s) {
    const byte = windows1252Bytes.get(ch);
    if (byte === undefined) return s;
    bytes.push(byte);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return s;
  }
}

function readOptionalString(group: Group, name: string): string | undefined {
  const attribute = group.attrs[name];
  if (attribute === undefined || attribute.metadata.type !== STRING_CLASS) return undefined;
  const strings = attributeStrings(attribute, `attribute '${name}'`);
  return strings.length === 1 ? strings[0] : undefined;
}

const INTEGER_CLASS = 0;
const FLOAT_CLASS = 1;

/** A float dataset as float32 (float16 and float64 converted; h5wasm has already made it little-endian). */
function readFloatDataset(h5: H5, dataset: Dataset, label: string): Tensor<'float32'> {
  const metadata = dataset.metadata;
  const shape = metadata.shape;
  if (shape === null) throw invalid(`${label} has no dataspace (an empty HDF5 dataset)`);
  if (metadata.type !== FLOAT_CLASS) {
    const kind =
      metadata.type === INTEGER_CLASS
        ? `${metadata.signed ? 'int' : 'uint'}${metadata.size * 8}`
        : metadata.type === STRING_CLASS
          ? 'string'
          : `HDF5 type class ${metadata.type}`;
    throw unsupported(`${label} holds ${kind} values; weights must be floating point (float16, float32 or float64)`);
  }
  const count = shapeSize(shape);
  let data: Float32Array;
  switch (metadata.size) {
    case 4:
    case 8: {
      const value = dataset.value;
      if (typeof value === 'number') data = Float32Array.of(value); // a scalar dataset
      else if (value instanceof Float32Array) data = value;
      else if (value instanceof Float64Array) data = Float32Array.from(value);
      else throw invalid(`${label} could not be read as float${metadata.size * 8}`);
      break;
    }
    case 2: {
      const bits = readRawUint16(h5, dataset, count);
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = float16ToFloat32(bits[i]!);
      break;
    }
    default:
      throw unsupported(`${label} holds ${metadata.size * 8}-bit floats; only 16, 32 and 64 are supported`);
  }
  if (data.length !== count) {
    throw invalid(`${label} has shape ${formatShape(shape)} (${count} values) but ${data.length} values were read`);
  }
  return { dtype: 'float32', shape: [...shape], data };
}

/** The IEEE half bit patterns of a float16 dataset (h5wasm's `value` has no Float16 accessor). HDF5
 * converts to little-endian on the way out, as it does for every numeric read through h5wasm. */
function readRawUint16(h5: H5, dataset: Dataset, count: number): Uint16Array {
  const module = h5.Module;
  const nbytes = count * 2;
  const pointer = module._malloc(Math.max(nbytes, 1));
  if (!pointer) throw new MobileNetError('INTERNAL', `Keras HDF5: out of WASM memory reading ${nbytes} bytes of ${dataset.path}`);
  try {
    module.get_dataset_data(dataset.file_id, dataset.path, null, null, null, BigInt(pointer));
    const view = new DataView(module.HEAPU8.buffer, pointer, nbytes);
    const bits = new Uint16Array(count);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true);
    return bits;
  } finally {
    module._free(pointer);
  }
}

/**
 * PyTorch checkpoints as `torch.save` writes them since torch 1.6: a zip archive
 *
 *   <prefix>/data.pkl    the object, pickled; tensors point at storages through BINPERSID with
 *                        the persistent id ('storage', torch.FloatStorage, '<key>', 'cpu', numel)
 *   <prefix>/data/<key>  each storage's raw bytes, little-endian
 *   <prefix>/version     the archive format version ("3\n")
 *   <prefix>/byteorder   ("little" or "big", torch >= 2.1)
 *
 * The prefix folder name varies (the file's stem in recent torch, 'archive' in others). The
 * pickle is read by the restricted unpickler in ./pickle.ts with an allow-list of exactly the
 * globals a state dict needs; each is re-implemented here in a few lines, so nothing from the file
 * is ever run. Tensors are copied out of their storages into C order (storage offsets, strides
 * and storages shared by several tensors are handled). BFloat16 tensors are widened to float32.
 *
 * The legacy format (torch < 1.6, and `_use_new_zipfile_serialization=False` since; torchvision's
 * weights from before 2020 are in it, pytorch/vision#2068) is a row of pickles and raw data:
 *
 *   the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a dict of system facts
 *   (little_endian, type sizes), the object (persistent ids: ('storage', type, key, location,
 *   numel, view_metadata)), the sorted list of storage keys, then for each key its element count
 *   (int64, little-endian) and its raw bytes.
 *
 * The object's pickle comes before the storages it points at, so it is run twice: once to learn the
 * storages (tensors validated but not materialized), then, with the data section read, for real.
 */
import { unzipSync } from 'fflate';
import { MobileNetError } from '../errors.js';
import {
  DTYPE_BYTES,
  allocateTypedArray,
  bfloat16ToFloat32Array,
  formatShape,
  isTensor,
  typedArrayFromLittleEndian,
  type DType,
  type NamedTensors,
  type Tensor,
  type TypedArrayFor,
} from '../tensor.js';
import { PickleGlobal, describePickleValue, isPickleTuple, unpickle, unpickleAt, type UnpickleOptions } from './pickle.js';

/** Keys under which training checkpoints keep the model's state dict, tried in this order. */
export const STATE_DICT_KEYS: readonly string[] = ['state_dict', 'model', 'model_state_dict', 'model_ema', 'state_dict_ema'];

type StorageDType = DType | 'bfloat16';

const STORAGE_CLASSES: ReadonlyMap<string, StorageDType> = new Map<string, StorageDType>([
  ['FloatStorage', 'float32'],
  ['HalfStorage', 'float16'],
  ['DoubleStorage', 'float64'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
  ['BFloat16Storage', 'bfloat16'],
]);

/** Most zip entries we read through (a large model has a few hundred storages). */
const MAX_ZIP_ENTRIES = 100_000;
/** Deflate cannot expand data more than about 1032:1; a larger claim is a lie. */
const MAX_DEFLATE_RATIO = 1032;
/** No single tensor (or zip entry) larger than this is materialized. */
const MAX_TENSOR_BYTES = 2 ** 31 - 1;
/**
 * Views that repeat storage elements (stride 0, as from `expand`) can describe far more elements
 * than the file holds; past this many bytes such a view is refused rather than materialized.
 */
const MAX_EXPANDED_TENSOR_BYTES = 1 << 28;

/** The legacy format starts with the pickled magic number 0x1950a86a20f9469cfc6c (LONG1, protocol 2). */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

const RESAVE_ADVICE =
  'mobilenet-ts reads the zip format of torch.save (PyTorch ≥ 1.6) and the legacy pickle format before it. ' +
  'Re-save it with a recent PyTorch: torch.save(torch.load(old_path), new_path)';

function invalid(message: string): MobileNetError {
  return new MobileNetError('INVALID_FORMAT', `torch checkpoint: ${message}`);
}

function unsupported(message: string): MobileNetError {
  return new MobileNetError('UNSUPPORTED', `torch checkpoint: ${message}`);
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

function hexPreview(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ') || '(empty file)';
}

// ---------------------------------------------------------------------------------------------
// The zip archive

interface Archive {
  readonly prefix: string;
  readonly entries: Readonly<Record<string, Uint8Array>>;
}

function readArchive(bytes: Uint8Array): Archive {
  if (!startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    if (bytes.length > 0 && bytes[0] === 0x80) {
      throw unsupported(`this is a pickle stream without torch.save's magic number (a plain pickle, not a torch.save file). ${RESAVE_ADVICE}`);
    }
    if (startsWith(bytes, [0x75, 0x73, 0x74, 0x61, 0x72], 257)) {
      throw unsupported(`this is a tar archive from a very old PyTorch (< 0.4). ${RESAVE_ADVICE}`);
    }
    throw invalid(`not a torch.save file: expected a zip archive starting with "PK\\x03\\x04", found ${hexPreview(bytes)}`);
  }

  let entries: Record<string, Uint8Array>;
  const declared = new Map<string, number>();
  let count = 0;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => {
        // Counted per record, not per name: a corrupt central directory (fflate does not check the
        // records' signatures) can claim billions of records that all read as the same empty name.
        if (++count > MAX_ZIP_ENTRIES) throw invalid(`zip archive has more than ${MAX_ZIP_ENTRIES} entries`);
        if (declared.has(file.name)) throw invalid(`zip entry '${file.name}' appears twice (corrupt central directory?)`);
        if (file.compression === 0) {
          if (file.size !== file.originalSize || file.size > bytes.length) {
            throw invalid(`zip entry '${file.name}' declares ${file.size} stored bytes (${file.originalSize} uncompressed) in a ${bytes.length}-byte file`);
          }
        } else if (file.compression === 8) {
          if (file.size > bytes.length) {
            throw invalid(`zip entry '${file.name}' declares ${file.size} compressed bytes in a ${bytes.length}-byte file`);
          }
          if (file.originalSize > MAX_TENSOR_BYTES || file.originalSize > file.size * MAX_DEFLATE_RATIO + 1024) {
            throw invalid(`zip entry '${file.name}' claims to inflate ${file.size} bytes to ${file.originalSize}`);
          }
        } else {
          throw unsupported(`zip entry '${file.name}' uses compression method ${file.compression}; only stored (0) and deflate (8) are supported`);
        }
        declared.set(file.name, file.originalSize);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof MobileNetError) throw e;
    throw invalid(`corrupt or truncated zip archive (${e instanceof Error ? e.message : String(e)})`);
  }
  for (const [name, size] of declared) {
    const data = entries[name];
    if (data !== undefined && data.length !== size) {
      throw invalid(`zip entry '${name}' holds ${data.length} bytes but declares ${size} (truncated or corrupt archive)`);
    }
  }

  const names = Object.keys(entries);
  const pickles = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    const shown = names.slice(0, 6).map((n) => `'${n}'`).join(', ') + (names.length > 6 ? ', …' : '');
    throw invalid(
      pickles.length === 0
        ? `the zip archive has no '<folder>/data.pkl' entry, so it is not a torch.save file (entries: ${shown || 'none'})`
        : `the zip archive has ${pickles.length} '<folder>/data.pkl' entries (${pickles.join(', ')}); expected one`,
    );
  }
  const prefix = pickles[0]!.slice(0, -'/data.pkl'.length);
  if (`${prefix}/constants.pkl` in entries || names.some((n) => n.startsWith(`${prefix}/code/`))) {
    throw unsupported(
      `this is a TorchScript archive (torch.jit.save), which holds code; save the weights instead: torch.save(model.state_dict(), path)`,
    );
  }
  const byteorder = entries[`${prefix}/byteorder`];
  if (byteorder !== undefined) {
    const text = new TextDecoder().decode(byteorder).trim();
    if (text !== 'little') throw unsupported(`storages are stored with byte order '${text}'; only 'little' is supported`);
  }
  return { prefix, entries };
}

// ---------------------------------------------------------------------------------------------
// Storages and tensors

/** Where storages' bytes are: zip entries, or the data section of a legacy file. */
interface StorageSource {
  /** The storage's raw bytes, or undefined when the file has none for it. */
  bytes(key: string): Uint8Array | undefined;
  /** Names where the bytes were looked for, e.g. "zip entry 'archive/data/0'". */
  where(key: string): string;
}

function archiveSource(archive: Archive): StorageSource {
  const entry = (key: string): string => `${archive.prefix}/data/${key}`;
  return { bytes: (key) => archive.entries[entry(key)], where: (key) => `zip entry '${entry(key)}'` };
}

/** What a persistent id resolves to: one storage, not yet read. Without a source (a first pass over a legacy file) it is never read. */
class TorchStorage {
  private data: TypedArrayFor<DType> | undefined;

  constructor(
    readonly key: string,
    readonly dtype: StorageDType,
    readonly numel: number,
    readonly source: StorageSource | undefined,
  ) {}

  /** Bytes per element (bfloat16 rides as 16-bit raw bits). */
  get itemBytes(): number {
    return this.dtype === 'bfloat16' ? 2 : DTYPE_BYTES[this.dtype];
  }

  /** The storage's elements (bfloat16 as raw uint16 bits), read once. */
  elements(): TypedArrayFor<DType> {
    if (this.data === undefined) {
      if (this.source === undefined) throw new MobileNetError('INTERNAL', `torch checkpoint: storage '${this.key}' read without a source`);
      const raw = this.source.bytes(this.key);
      if (raw === undefined) throw invalid(`storage '${this.key}' has no ${this.source.where(this.key)}`);
      const readAs: DType = this.dtype === 'bfloat16' ? 'float16' : this.dtype;
      const expected = this.numel * this.itemBytes;
      if (raw.length !== expected) {
        throw invalid(`${this.source.where(this.key)} holds ${raw.length} bytes; storage '${this.key}' of ${this.numel} ${this.dtype} elements needs ${expected}`);
      }
      this.data = typedArrayFromLittleEndian(readAs, raw, 0, this.numel);
    }
    return this.data;
  }
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function readIntTuple(v: unknown, what: string, at: number): number[] {
  if (!Array.isArray(v) || !v.every(isNonNegativeInteger)) {
    throw invalid(`_rebuild_tensor_v2 at byte ${at}: ${what} must be a tuple of non-negative integers, got ${describePickleValue(v)}`);
  }
  return [...v];
}

/** Copies the strided view (offset, size, stride) of `src` into `dst` in C order. */
function gatherStrided(
  src: { readonly [i: number]: number | bigint },
  dst: { [i: number]: number | bigint; readonly length: number },
  offset: number,
  size: readonly number[],
  stride: readonly number[],
): void {
  const ndim = size.length;
  const index = new Array<number>(ndim).fill(0);
  let position = offset;
  for (let i = 0; i < dst.length; i++) {
    dst[i] = src[position]!;
    for (let d = ndim - 1; d >= 0; d--) {
      index[d]!++;
      position += stride[d]!;
      if (index[d]! < size[d]!) break;
      position -= stride[d]! * size[d]!;
      index[d] = 0;
    }
  }
}

function isCContiguous(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d]!;
  }
  return true;
}

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
function rebuildTensor(args: readonly unknown[], at: number): Tensor | DescribedTensor {
  if (args.length !== 6 && args.length !== 7) {
    throw invalid(`_rebuild_tensor_v2 at byte ${at}: expected 6 or 7 arguments, got ${args.length}`);
  }
  const storage = args[0];
  if (!(storage instanceof TorchStorage)) {
    throw invalid(`_rebuild_tensor_v2 at byte ${at}: expected a storage as first argument, got ${describePickleValue(storage)}`);
  }
  const offset = args[1];
  if (!isNonNegativeInteger(offset)) throw invalid(`_rebuild_tensor_v2 at byte ${at}: storage offset must be a non-negative integer, got ${describePickleValue(offset)}`);
  const size = readIntTuple(args[2], 'size', at);
  const stride = readIntTuple(args[3], 'stride', at);
  if (stride.length !== size.length) {
    throw invalid(`_rebuild_tensor_v2 at byte ${at}: size ${formatShape(size)} and stride ${formatShape(stride)} differ in length`);
  }

  const itemBytes = storage.itemBytes;
  let count = 1;
  let lastIndex = offset;
  for (let d = 0; d < size.length; d++) {
    count *= size[d]!;
    lastIndex += (size[d]! - 1) * stride[d]!;
  }
  const where = `tensor of shape ${formatShape(size)} at byte ${at} (storage '${storage.key}')`;
  if (count > 0) {
    if (lastIndex >= storage.numel) {
      throw invalid(`${where}: offset ${offset} and stride ${formatShape(stride)} reach element ${lastIndex} of a ${storage.numel}-element storage`);
    }
    if (count * itemBytes > MAX_TENSOR_BYTES || (count > storage.numel && count * itemBytes > MAX_EXPANDED_TENSOR_BYTES)) {
      throw unsupported(`${where}: ${count} elements of ${storage.dtype} are more than mobilenet-ts materializes`);
    }
  } else if (offset > storage.numel) {
    throw invalid(`${where}: storage offset ${offset} is past the end of a ${storage.numel}-element storage`);
  }

  const outDType: DType = storage.dtype === 'bfloat16' ? 'float16' : storage.dtype; // bfloat16 bits ride in a Uint16Array until widened
  // The first pass over a legacy file: the shape is checked, the data is not there yet.
  if (storage.source === undefined) return new DescribedTensor(size);
  const elements = storage.elements();
  let data: TypedArrayFor<DType>;
  if (count === 0) {
    data = allocateTypedArray(outDType, 0);
  } else if (isCContiguous(size, stride)) {
    data = elements.slice(offset, offset + count);
  } else {
    data = allocateTypedArray(outDType, count);
    gatherStrided(elements, data, offset, size, stride);
  }
  if (storage.dtype === 'bfloat16') return { dtype: 'float32', shape: size, data: bfloat16ToFloat32Array(data as Uint16Array) };
  return { dtype: storage.dtype, shape: size, data };
}

/** A tensor of a legacy file's first pass: checked against its storage, not read. */
class DescribedTensor {
  constructor(readonly shape: readonly number[]) {}
}

function rebuildParameter(args: readonly unknown[], at: number): unknown {
  // _rebuild_parameter(data, requires_grad, backward_hooks); ..._with_state adds a state dict.
  if ((args.length !== 3 && args.length !== 4) || !(isTensor(args[0]) || args[0] instanceof DescribedTensor)) {
    throw invalid(`_rebuild_parameter at byte ${at}: expected (tensor, requires_grad, hooks[, state]), got ${args.length} arguments`);
  }
  return args[0];
}

function orderedDict(args: readonly unknown[], at: number): Map<unknown, unknown> {
  if (args.length === 0) return new Map();
  const items = args[0];
  if (args.length === 1 && Array.isArray(items) && items.every((p) => Array.isArray(p) && p.length === 2)) {
    return new Map(items.map((p) => [(p as unknown[])[0], (p as unknown[])[1]]));
  }
  throw invalid(`collections.OrderedDict at byte ${at}: expected no arguments or a list of (key, value) pairs`);
}

function torchSize(args: readonly unknown[], at: number): readonly number[] {
  if (args.length !== 1 || !isPickleTuple(args[0]) || !args[0].every(isNonNegativeInteger)) {
    throw invalid(`torch.Size at byte ${at}: expected one tuple of non-negative integers`);
  }
  return Object.freeze([...(args[0] as number[])]);
}

/**
 * The allow-list, plus the persistent-id handler bound to one file's storages (`storages` collects
 * those the pickle refers to; without a source they are only described, for a legacy first pass).
 */
function torchUnpickleOptions(source: StorageSource | undefined, name: string, storages = new Map<string, TorchStorage>()): UnpickleOptions {
  const globals = new Map<string, PickleGlobal>();
  const add = (g: PickleGlobal): void => void globals.set(g.key, g);
  add(new PickleGlobal('collections', 'OrderedDict', orderedDict));
  add(new PickleGlobal('torch._utils', '_rebuild_tensor_v2', rebuildTensor));
  add(new PickleGlobal('torch._utils', '_rebuild_parameter', rebuildParameter));
  add(new PickleGlobal('torch._utils', '_rebuild_parameter_with_state', rebuildParameter));
  add(new PickleGlobal('torch', 'Size', torchSize));
  const storageClasses = new Map<PickleGlobal, StorageDType>();
  for (const [name, dtype] of STORAGE_CLASSES) {
    const g = new PickleGlobal('torch', name);
    add(g);
    storageClasses.set(g, dtype);
  }

  const persistentLoad = (pid: unknown, at: number): TorchStorage => {
    // The zip format's ids have five fields; the legacy format's a sixth, view_metadata (None but
    // for storages that were views of others, which PyTorch stopped making in 0.4).
    if (!isPickleTuple(pid) || (pid.length !== 5 && pid.length !== 6) || pid[0] !== 'storage') {
      throw invalid(`persistent id at byte ${at} must be ('storage', type, key, location, numel[, view_metadata]), got ${describePickleValue(pid)}`);
    }
    if (pid.length === 6 && pid[5] !== null) {
      throw unsupported(`persistent id at byte ${at}: a storage that is a view of another (view_metadata ${describePickleValue(pid[5])}), from PyTorch < 0.4. ${RESAVE_ADVICE}`);
    }
    const [, type, key, location, numel] = pid;
    const dtype = type instanceof PickleGlobal ? storageClasses.get(type) : undefined;
    if (dtype === undefined) throw invalid(`persistent id at byte ${at}: ${describePickleValue(type)} is not a storage type`);
    if (typeof key !== 'string' || typeof location !== 'string' || !isNonNegativeInteger(numel)) {
      throw invalid(`persistent id at byte ${at}: expected string key, string location and element count, got ${describePickleValue(key)}, ${describePickleValue(location)}, ${describePickleValue(numel)}`);
    }
    const known = storages.get(key);
    if (known !== undefined) {
      if (known.dtype !== dtype || known.numel !== numel) {
        throw invalid(`storage '${key}' is referenced as ${known.numel} × ${known.dtype} and as ${numel} × ${dtype}`);
      }
      return known;
    }
    const storage = new TorchStorage(key, dtype, numel, source);
    storages.set(key, storage);
    return storage;
  };
  return { globals, persistentLoad, source: name };
}

// ---------------------------------------------------------------------------------------------
// The legacy format

/** The header pickles and the key list hold plain values only: no globals at all. */
const PLAIN: UnpickleOptions = { globals: new Map() };

function parseLegacy(bytes: Uint8Array): unknown {
  const plain = (start: number, what: string) => unpickleAt(bytes, start, { ...PLAIN, source: `legacy torch.save file: ${what}` });
  const magic = plain(0, 'magic number');
  if (magic.value !== LEGACY_MAGIC_NUMBER) throw invalid(`legacy file: the magic number is ${describePickleValue(magic.value)}, expected 0x1950a86a20f9469cfc6c`);
  const protocol = plain(magic.end, 'protocol version');
  if (protocol.value !== LEGACY_PROTOCOL_VERSION) {
    throw unsupported(`legacy file: protocol version ${describePickleValue(protocol.value)}; only ${LEGACY_PROTOCOL_VERSION} is known`);
  }
  const system = plain(protocol.end, 'system information');
  if (!(system.value instanceof Map)) throw invalid(`legacy file: the system information at byte ${protocol.end} is ${describePickleValue(system.value)}, expected a dict`);
  if (system.value.get('little_endian') !== true) throw unsupported('legacy file: saved on a big-endian machine; only little-endian storages are supported');

  // First pass: which storages the object refers to (their types and sizes), and where its pickle ends.
  const storages = new Map<string, TorchStorage>();
  const objectStart = system.end;
  const described = unpickleAt(bytes, objectStart, torchUnpickleOptions(undefined, 'legacy torch.save file: object', storages));
  const keys = plain(described.end, 'storage keys');
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw invalid(`legacy file: the storage keys at byte ${described.end} are ${describePickleValue(keys.value)}, expected a list of strings`);
  }
  // The data section: each listed storage's element count (int64) and bytes, in the list's order.
  const data = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const storage = storages.get(key);
    if (storage === undefined) throw invalid(`legacy file: storage '${key}' is listed but no tensor refers to it`);
    if (data.has(key)) throw invalid(`legacy file: storage '${key}' is listed twice`);
    if (bytes.length - pos < 8) throw invalid(`legacy file: truncated: storage '${key}' starts at byte ${pos}, but the file ends at byte ${bytes.length}`);
    const numel = view.getBigInt64(pos, true);
    if (numel !== BigInt(storage.numel)) throw invalid(`legacy file: storage '${key}' at byte ${pos} holds ${numel} elements, its tensors say ${storage.numel}`);
    const size = storage.numel * storage.itemBytes;
    if (bytes.length - pos - 8 < size) {
      throw invalid(`legacy file: truncated: storage '${key}' needs ${size} bytes at byte ${pos + 8}, but the file ends at byte ${bytes.length}`);
    }
    data.set(key, bytes.subarray(pos + 8, pos + 8 + size));
    pos += 8 + size;
  }
  if (pos !== bytes.length) throw invalid(`legacy file: ${bytes.length - pos} unexpected bytes after the last storage (at byte ${pos})`);
  const missing = [...storages.keys()].find((k) => !data.has(k));
  if (missing !== undefined) throw invalid(`legacy file: storage '${missing}' is used by a tensor but not listed among the storages`);

  const source: StorageSource = { bytes: (key) => data.get(key), where: (key) => `legacy data for storage '${key}'` };
  return unpickleAt(bytes, objectStart, torchUnpickleOptions(source, 'legacy torch.save file: object')).value;
}

// ---------------------------------------------------------------------------------------------

/**
 * Reads a torch.save file (zip or legacy format) and returns the object it holds: dicts as Maps, lists and tuples
 * as arrays, tensors as `Tensor`s, numbers, strings, booleans and null. Only the globals a state
 * dict needs are accepted; anything else is refused (UNSUPPORTED) without being run.
 */
export function parseTorchCheckpoint(bytes: Uint8Array): unknown {
  if (startsWith(bytes, LEGACY_MAGIC)) return parseLegacy(bytes);
  const archive = readArchive(bytes);
  const pickle = `${archive.prefix}/data.pkl`;
  return unpickle(archive.entries[pickle]!, torchUnpickleOptions(archiveSource(archive), pickle));
}

/**
 * Reads the state dict of a torch.save file: the top-level dict of tensors, or the dict found
 * under one of STATE_DICT_KEYS in a training checkpoint. Entries that are not tensors (and
 * non-string keys) are skipped. Tensor order is the file's.
 */
export function parseTorchStateDict(bytes: Uint8Array): NamedTensors {
  const root = parseTorchCheckpoint(bytes);
  if (!(root instanceof Map)) throw invalid(`expected a dict of tensors at the top level, found ${describePickleValue(root)}`);
  let dict: Map<unknown, unknown> = root;
  for (const key of STATE_DICT_KEYS) {
    const inner = root.get(key);
    if (inner instanceof Map) {
      dict = inner;
      break;
    }
  }
  const tensors: NamedTensors = new Map();
  for (const [name, value] of dict) {
    if (typeof name === 'string' && isTensor(value)) tensors.set(name, value);
  }
  if (tensors.size === 0) {
    const keys = [...root.keys()].slice(0, 8).map((k) => (typeof k === 'string' ? `'${k}'` : describePickleValue(k)));
    throw invalid(`no tensors found in the checkpoint (top-level keys: ${keys.join(', ') || 'none'}; looked in ${STATE_DICT_KEYS.join(', ')})`);
  }
  return tensors;
}

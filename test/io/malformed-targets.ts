/**
 * The valid small files and public entry points that test/io/malformed-inputs.test.ts mutates: one
 * group per format, each with the fields worth overwriting and the structure-aware mutations
 * (numbers in text headers, varints of protobuf, the pickle inside a zip, IDX headers under gzip).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { fixturePath, repoRoot } from '../helpers.js';
import {
  hdf5Fields,
  int,
  protobufVarintMutation,
  protobufVarints,
  splice,
  textNumberMutation,
  textTokenMutation,
  zipFields,
  type Field,
  type MutationTarget,
  type StructuredMutation,
} from './mutate.js';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { parseNpy } from '../../src/io/npy.js';
import { parseTorchCheckpoint, parseTorchStateDict } from '../../src/io/torch.js';
import { parseKerasH5 } from '../../src/io/keras.js';
import { parseOnnxModel } from '../../src/io/onnx.js';
import { importOnnx } from '../../src/io/onnx-import.js';
import { encodeIdxImages, encodeIdxLabels, gunzipChecked, gzipDeterministic, parseIdxImageSet } from '../../src/data/idx.js';
import { parseCheckpoint, serializeCheckpoint, type Checkpoint } from '../../src/train/checkpoint.js';
import { readModel, writeOnnxModel, writeSafetensorsModel, type LoadedModel } from '../../src/model/load.js';
import { defaultMetadata } from '../../src/model/metadata.js';
import { buildGraph } from '../../src/graph/build.js';
import { createSpec } from '../../src/spec/registry.js';
import { initWeights } from '../../src/runtime/weights.js';
import type { ModelOptions } from '../../src/spec/types.js';

export interface TargetGroup {
  format: string;
  /** Each target gets its share of the group's mutations. */
  targets: MutationTarget[];
}

const read = (...parts: string[]): Uint8Array => new Uint8Array(readFileSync(join(...parts)));
const u32 = (offset: number, what: string, littleEndian = true): Field => ({ offset, size: 4, littleEndian, what });

/** A MobileNetV2 small enough to mutate by the hundred: two blocks, 32×32 input, 3 classes (about 15 kB). */
function tinyModel(): LoadedModel {
  const options: ModelOptions = { alpha: 0.35, resolution: 32, classes: 3, blocks: [{ t: 1, c: 16, n: 1, s: 1 }, { t: 6, c: 24, n: 1, s: 2 }], lastChannels: 32 };
  const graph = buildGraph(createSpec('mobilenet_v2', options));
  return { graph, weights: initWeights(graph, { seed: 0 }), metadata: defaultMetadata(graph.spec!, 'mobilenet_v2', options) };
}

// ---- safetensors -----------------------------------------------------------------------------

const safetensorsHeaderEnd = (b: Uint8Array): number => 8 + (b[0]! | (b[1]! << 8) | (b[2]! << 16));
function fixSafetensorsLength(bytes: Uint8Array, delta: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  view.setUint32(0, view.getUint32(0, true) + delta, true);
}
const JSON_TOKENS = ['"', '{', '}', '[', ']', ',', ':', 'null', '"F32"', '"F16"', '"BF16"', '"I64"', '"BOOL"', '"U16"', '"shape"', '"data_offsets"', '"dtype"', '"__metadata__"', ' '];

function safetensorsTarget(name: string, base: Uint8Array, run: (bytes: Uint8Array) => unknown): MutationTarget {
  const headerEnd = safetensorsHeaderEnd(base);
  return {
    name,
    base,
    fields: [{ offset: 0, size: 8, littleEndian: true, what: 'header length' }],
    hot: [[0, headerEnd]],
    structured: [
      textNumberMutation(8, safetensorsHeaderEnd, fixSafetensorsLength),
      textTokenMutation(8, safetensorsHeaderEnd, JSON_TOKENS, fixSafetensorsLength),
    ],
    run,
  };
}

/** Byte-level mutations of one metadata value (JSON text), re-serialized into a valid safetensors file. */
function metadataValueMutation(keys: readonly string[]): StructuredMutation {
  return (base, random) => {
    const { tensors, metadata } = parseSafetensors(base);
    const key = keys[int(random, keys.length)]!;
    const text = metadata[key] ?? '';
    let mutated: string;
    const numbers = [...text.matchAll(/-?[0-9]+(\.[0-9]+)?/g)];
    const choice = int(random, 4);
    if (choice === 0 && numbers.length > 0) {
      const m = numbers[int(random, numbers.length)]!;
      const to = ['-1', '1e999', '-1e999', '0.5', '9007199254740993', 'null', '"7"', '[]', '{}', 'true'][int(random, 10)]!;
      mutated = text.slice(0, m.index) + to + text.slice(m.index! + m[0].length);
    } else if (choice === 1) {
      const at = int(random, text.length + 1);
      mutated = text.slice(0, at);
    } else if (choice === 2) {
      const at = int(random, text.length + 1);
      mutated = text.slice(0, at) + ['null', '"', '{', '}', '[', ']', ',', '"x":1,', '0'][int(random, 9)]! + text.slice(at);
    } else {
      // A field's value replaced by another JSON type.
      const fieldsAt = [...text.matchAll(/"[A-Za-z_.]+":/g)];
      if (fieldsAt.length === 0) return undefined;
      const m = fieldsAt[int(random, fieldsAt.length)]!;
      const start = m.index! + m[0].length;
      mutated = text.slice(0, start) + ['null', '"x"', '-1', '[]', '{}', 'true', '1e999', '[-1]'][int(random, 8)]! + ',"_ignored":' + text.slice(start);
    }
    const bytes = serializeSafetensors(tensors, { ...metadata, [key]: mutated });
    return { bytes, description: `metadata '${key}' → ${JSON.stringify(mutated.slice(0, 120))}` };
  };
}

// ---- npy -------------------------------------------------------------------------------------

function npyTarget(file: string): MutationTarget {
  const base = read(fixturePath('io', 'npy', file));
  const v1 = base[6] === 1;
  const headerStart = v1 ? 10 : 12;
  const headerEnd = (b: Uint8Array): number => headerStart + (v1 ? b[8]! | (b[9]! << 8) : new DataView(b.buffer, b.byteOffset).getUint32(8, true));
  const fix = (bytes: Uint8Array, delta: number): void => {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    if (v1) view.setUint16(8, view.getUint16(8, true) + delta, true);
    else view.setUint32(8, view.getUint32(8, true) + delta, true);
  };
  const tokens = ["'", '(', ')', '[', ']', '{', '}', ',', ':', 'True', 'False', 'None', "'<f4'", "'<f8'", "'|b1'", "'|O'", "'>i4'", "'descr'", "'shape'", ' ', '\n'];
  return {
    name: `npy/${file} → parseNpy`,
    base,
    fields: [{ offset: 8, size: v1 ? 2 : 4, littleEndian: true, what: 'header length' }, { offset: 6, size: 1, littleEndian: true, what: 'major version' }],
    hot: [[0, headerEnd(base)]],
    structured: [textNumberMutation(headerStart, headerEnd, fix), textTokenMutation(headerStart, headerEnd, tokens, fix)],
    run: parseNpy,
  };
}

// ---- torch -----------------------------------------------------------------------------------

/** Byte-level mutations of the pickle (data.pkl), zipped back up (stored, as torch.save writes). */
function pickleMutation(): StructuredMutation {
  return (base, random) => {
    const entries = unzipSync(base);
    const name = Object.keys(entries).find((n) => n.endsWith('/data.pkl'))!;
    const pkl = entries[name]!;
    const at = int(random, pkl.length);
    let mutated: Uint8Array;
    let description: string;
    switch (int(random, 5)) {
      case 0:
        mutated = pkl.slice(0, at);
        description = `truncate to ${at}`;
        break;
      case 1:
        mutated = pkl.slice();
        mutated[at] = int(random, 256);
        description = `set byte ${at}=${mutated[at]}`;
        break;
      case 2: {
        // An operand (length, memo index, integer) set to an extreme 4-byte value.
        mutated = pkl.slice();
        const value = [0xffffffff, 0x7fffffff, 0x80000000, 0, 1, pkl.length][int(random, 6)]!;
        new DataView(mutated.buffer).setUint32(Math.min(at, pkl.length - 4), value, true);
        description = `u32 @${Math.min(at, pkl.length - 4)} = ${value}`;
        break;
      }
      case 3: {
        const length = Math.min(1 + int(random, 24), pkl.length - at);
        mutated = splice(pkl, at + length, 0, pkl.slice(at, at + length));
        description = `duplicate [${at}, +${length})`;
        break;
      }
      default: {
        const length = 1 + int(random, 8);
        mutated = splice(pkl, at, Math.min(length, pkl.length - at));
        description = `delete [${at}, +${length})`;
      }
    }
    return { bytes: zipSync({ ...entries, [name]: mutated }, { level: 0 }), description: `${name}: ${description}` };
  };
}

function torchTarget(path: string, label: string, run: (bytes: Uint8Array) => unknown): MutationTarget {
  const base = read(path);
  return { name: `${label} → ${run.name}`, base, fields: zipFields(base), hot: [[0, 64], [base.length - 512, base.length]], structured: [pickleMutation()], run };
}

// ---- ONNX ------------------------------------------------------------------------------------

function onnxTarget(name: string, base: Uint8Array, run: (bytes: Uint8Array) => unknown): MutationTarget {
  const varints = protobufVarints(base) ?? [];
  return {
    name,
    base,
    fields: varints.filter((v) => v.length === 1).map((v) => ({ offset: v.offset, size: 1, littleEndian: true, what: `varint ${v.kind}` })),
    structured: [protobufVarintMutation(varints), protobufVarintMutation(varints.filter((v) => v.kind === 'length'))],
    run,
  };
}

// ---- IDX -------------------------------------------------------------------------------------

/** IDX header fields: magic, then N (and rows, cols for images), big-endian. */
function idxFields(images: boolean): Field[] {
  const fields = [u32(0, 'magic', false), u32(4, 'count', false)];
  if (images) fields.push(u32(8, 'rows', false), u32(12, 'cols', false));
  return fields;
}

/** gzip fields: flags, FEXTRA length, and the trailer's CRC-32 and size. */
function gzipFields(bytes: Uint8Array): Field[] {
  return [
    { offset: 3, size: 1, littleEndian: true, what: 'gzip flags' },
    { offset: 10, size: 2, littleEndian: true, what: 'gzip FEXTRA length (if set)' },
    u32(bytes.length - 8, 'gzip CRC-32'),
    u32(bytes.length - 4, 'gzip size'),
  ];
}

/** An IDX header field set to an extreme value, then gzipped: the checks behind a valid gzip layer. */
function idxUnderGzip(raw: Uint8Array, images: boolean): StructuredMutation {
  return (_base, random) => {
    const out = raw.slice();
    const fields = idxFields(images);
    const field = fields[int(random, fields.length)]!;
    const value = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x00000803, 0x00000801, 0x00000c03, 0x0000ff03, 10000, 27][int(random, 11)]!;
    new DataView(out.buffer).setUint32(field.offset, value, false);
    const cut = random() < 0.3 ? int(random, out.length) : out.length;
    return { bytes: gzipDeterministic(out.subarray(0, cut)), description: `gzip(IDX ${field.what} = ${value}${cut < out.length ? `, cut to ${cut}` : ''})` };
  };
}

function idxTargets(): MutationTarget[] {
  const sample = (f: string): Uint8Array => read(repoRoot, 'data', 'fashion-mnist-sample', f);
  const imagesGz = sample('t10k-images-idx3-ubyte.gz');
  const labelsGz = sample('t10k-labels-idx1-ubyte.gz');
  // Eight images of the sample, re-encoded: small enough to mutate by the hundred.
  const pixels = gunzipChecked(imagesGz).subarray(16, 16 + 8 * 784);
  const labelsRaw = encodeIdxLabels(gunzipChecked(labelsGz).subarray(8, 16));
  const imagesRaw = encodeIdxImages(pixels, 8, 28, 28);
  const smallImagesGz = gzipDeterministic(imagesRaw);
  const smallLabelsGz = gzipDeterministic(labelsRaw);
  const withImages = (labels: Uint8Array, imagesName: string) => (images: Uint8Array) =>
    parseIdxImageSet({ images, labels, numClasses: 10, imagesName, labelsName: 'labels.gz' });
  const withLabels = (images: Uint8Array) => (labels: Uint8Array) =>
    parseIdxImageSet({ images, labels, numClasses: 10, imagesName: 'images.gz', labelsName: 'labels' });
  return [
    { name: 'small images (raw IDX) → parseIdxImageSet', base: imagesRaw, fields: idxFields(true), hot: [[0, 16]], structured: [idxUnderGzip(imagesRaw, true)], run: withImages(smallLabelsGz, 'images') },
    { name: 'small labels (raw IDX) → parseIdxImageSet', base: labelsRaw, fields: idxFields(false), hot: [[0, 8]], structured: [idxUnderGzip(labelsRaw, false)], run: withLabels(smallImagesGz) },
    { name: 'small images (.gz) → parseIdxImageSet', base: smallImagesGz, fields: gzipFields(smallImagesGz), hot: [[0, 16], [smallImagesGz.length - 8, smallImagesGz.length]], run: withImages(smallLabelsGz, 'images.gz') },
    { name: 't10k-labels-idx1-ubyte.gz → parseIdxImageSet', base: labelsGz, fields: gzipFields(labelsGz), hot: [[0, 16], [labelsGz.length - 8, labelsGz.length]], run: withLabels(imagesGz) },
  ];
}

// ---- checkpoint ------------------------------------------------------------------------------

function checkpointBytes(model: LoadedModel): Uint8Array {
  const first = [...model.weights][0]!;
  const checkpoint: Checkpoint = {
    model: model.metadata,
    state: {
      version: 1,
      config: { epochs: 2, batchSize: 4, lr: 0.1, optimizer: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, schedule: { type: 'cosine' }, labelSmoothing: 0.1, seed: 0, emaDecay: 0, freezeBackbone: false },
      step: 12,
      position: { epoch: 1, batch: 5 },
      optimizer: { kind: 'sgd', scalars: { lr: 0.05 } },
      progress: { lossSum: 30.25, correct: 9, seen: 16, seconds: 4.5 },
      data: { dataset: 'fashion-mnist', trainImages: 64, augment: { cropPadding: 4, horizontalFlip: true } },
    },
    params: model.weights,
    optimizer: { kind: 'sgd', scalars: { lr: 0.05 }, tensors: new Map([[`${first[0]}/momentum`, first[1]]]) },
  };
  return serializeCheckpoint(checkpoint);
}

// ---------------------------------------------------------------------------------------------

export function malformedTargets(): TargetGroup[] {
  const tiny = tinyModel();
  const tinySafetensors = writeSafetensorsModel(tiny);
  const tinyOnnx = writeOnnxModel(tiny);
  const checkpoint = checkpointBytes(tiny);
  const metadataKeys = ['mobilenet.options', 'mobilenet.preprocess', 'mobilenet.labels', 'mobilenet.version', 'train.state'];
  const readAs = (fileName: string) => {
    const run = (bytes: Uint8Array) => readModel(bytes, { fileName });
    Object.defineProperty(run, 'name', { value: `readModel(${fileName})` });
    return run;
  };
  const onnxImport = (bytes: Uint8Array) => importOnnx(parseOnnxModel(bytes));
  // torchvision's MobileNetV2 layout with the blocks tools/gen_train_fixtures.py trains (its steps.json).
  const steps = JSON.parse(readFileSync(fixturePath('train', 'steps.json'), 'utf8')) as { setting: number[][] };
  const initialOptions: ModelOptions = { resolution: 32, alpha: 0.25, dropout: 0, blocks: steps.setting.map(([t, c, n, s]) => ({ t: t!, c: c!, n: n!, s: s! })) };
  const readInitialPth = (bytes: Uint8Array) => readModel(bytes, { fileName: 'initial.pth', model: 'mobilenet_v2', options: initialOptions });
  const trainInitialLength = read(fixturePath('train', 'initial.pth')).length;
  const safetensorsCheckpoint = safetensorsTarget('checkpoint.safetensors → parseCheckpoint', checkpoint, (b) => parseCheckpoint(b, 'checkpoint.safetensors'));
  return [
    {
      format: 'safetensors',
      targets: [
        safetensorsTarget('io/tensors.safetensors → parseSafetensors', read(fixturePath('io', 'tensors.safetensors')), parseSafetensors),
        safetensorsTarget('io/bf16.safetensors → parseSafetensors', read(fixturePath('io', 'bf16.safetensors')), parseSafetensors),
        { ...safetensorsTarget('tiny model → readModel', tinySafetensors, readAs('tiny.safetensors')), structured: [textNumberMutation(8, safetensorsHeaderEnd, fixSafetensorsLength), metadataValueMutation(metadataKeys.slice(0, 4))] },
      ],
    },
    {
      format: 'checkpoint',
      targets: [
        { ...safetensorsCheckpoint, structured: [...safetensorsCheckpoint.structured!, metadataValueMutation(metadataKeys), metadataValueMutation(['train.state'])] },
        { ...safetensorsTarget('checkpoint → readModel', checkpoint, readAs('checkpoint.safetensors')), structured: [metadataValueMutation(metadataKeys)] },
      ],
    },
    { format: 'npy', targets: ['f4_2x3.npy', 'v2_f4_3x2.npy', 'v3_f4_3x2.npy', 'scalar_i8.npy', 'b1_5.npy'].map(npyTarget) },
    {
      format: 'torch',
      targets: [
        torchTarget(fixturePath('io', 'state_dict.pt'), 'io/state_dict.pt', parseTorchStateDict),
        torchTarget(fixturePath('io', 'state_dict_protocol4.pt'), 'io/state_dict_protocol4.pt', parseTorchStateDict),
        torchTarget(fixturePath('io', 'checkpoint.pt'), 'io/checkpoint.pt', parseTorchCheckpoint),
        // The legacy format: pickles and raw storages in a row (no zip fields; mutations anywhere).
        { name: 'io/state_dict_legacy.pt → parseTorchStateDict', base: read(fixturePath('io', 'state_dict_legacy.pt')), run: parseTorchStateDict },
        { name: 'io/checkpoint_legacy.pt → parseTorchCheckpoint', base: read(fixturePath('io', 'checkpoint_legacy.pt')), run: parseTorchCheckpoint },
        { ...torchTarget(fixturePath('train', 'initial.pth'), 'train/initial.pth', readAs('initial.pth')), hot: [[0, 10_600], [trainInitialLength - 8_000, trainInitialLength]], run: readInitialPth },
      ],
    },
    {
      format: 'keras',
      targets: ['keras_weights_only_fixed.h5', 'keras_weights_only_vlen.h5', 'keras_full_model.h5'].map((file): MutationTarget => {
        const base = read(fixturePath('formats', file));
        return { name: `formats/${file} → parseKerasH5`, base, fields: hdf5Fields(base), hot: [[0, 96]], run: parseKerasH5 };
      }),
    },
    {
      format: 'onnx',
      targets: [
        onnxTarget('formats/tiny_torch.onnx → parseOnnxModel + importOnnx', read(fixturePath('formats', 'tiny_torch.onnx')), onnxImport),
        onnxTarget('formats/helper_typed_fields.onnx → parseOnnxModel', read(fixturePath('formats', 'helper_typed_fields.onnx')), parseOnnxModel),
        onnxTarget('tiny model (exported) → readModel', tinyOnnx, readAs('tiny.onnx')),
      ],
    },
    { format: 'idx', targets: idxTargets() },
  ];
}

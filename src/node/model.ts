/**
 * The common case in one call, for Node: load a model from a file, or from a name plus a weights
 * file, then classify or embed image files.
 *
 *   const model = await loadModel('mobilenet_v2.safetensors');
 *   const [top] = await classifyImages(model, ['cat.jpg']);   // [{ label, index, score }, …]
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { MobileNetError } from '../errors.js';
import { MobileNet, type Classification, type MobileNetOptions } from '../model/mobilenet.js';
import { useNodeRuntime } from './runtime.js';
import { readModel, type WeightFormat } from '../model/load.js';
import type { Backend } from '../runtime/session.js';
import type { ModelOptions } from '../spec/types.js';
import type { Tensor } from '../tensor.js';
import { loadImageTensor } from './image.js';
import { readFileBytes } from './fs.js';
import { fetchPretrained } from './download.js';
import { findPretrained, pretrainedPreprocessConfig } from '../io/pretrained.js';
import { IMAGENET_LABELS, labelsWithBackground } from '../data/imagenet.js';
import { preprocessForInput } from '../data/preprocess.js';

export interface LoadModelOptions {
  /** A weights file for a model given by name. */
  weights?: string;
  /** Where published weights are cached (default $MOBILENET_CACHE, $XDG_CACHE_HOME/mobilenet-ts, ~/.cache/mobilenet-ts). */
  cacheDir?: string;
  /** Show a progress bar while downloading published weights (on a terminal). Default true. */
  progress?: boolean;
  /** The format of the weights; detected when absent. */
  format?: WeightFormat;
  /** Architecture options (resolution, convention, alpha, classes, …). */
  options?: ModelOptions;
  /** false: load a backbone whose classifier differs or is absent. Default true. */
  strict?: boolean;
  backend?: Backend;
  /** wasm: threads including the caller (default: the machine's cores). */
  threads?: number;
  /** wasm: MobileNetV2 §5.1 memory-efficient inverted residuals (default 'auto': for batches > 1). */
  memoryEfficient?: boolean | 'auto';
}

function engineOptions(options: LoadModelOptions): MobileNetOptions {
  useNodeRuntime();
  const out: MobileNetOptions = { backend: options.backend ?? 'wasm' };
  if (options.threads !== undefined) out.threads = options.threads;
  if (options.memoryEfficient !== undefined) out.memoryEfficient = options.memoryEfficient;
  return out;
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * `source` is a weights file (safetensors or ONNX carry everything; .pth and .h5 are inferred), or
 * a model name with `options.weights` naming the file.
 */
export async function loadModel(source: string, options: LoadModelOptions = {}): Promise<MobileNet> {
  let file: string;
  let model: string | undefined;
  if (options.weights !== undefined) {
    file = options.weights;
    model = source;
  } else if (isFile(source)) {
    file = source;
  } else if (/[\\/]|\.(safetensors|pth|pt|h5|onnx)$/i.test(source)) {
    // A path, not a registry name: say plainly that the file is missing.
    throw new MobileNetError('IO_ERROR', `cannot read ${source}: no such file`);
  } else {
    return loadPretrained(source, options);
  }
  const bytes = readFileBytes(file);
  const read: Parameters<typeof readModel>[1] = { fileName: basename(file), strict: options.strict ?? true };
  if (model !== undefined) read.model = model;
  if (options.options) read.options = options.options;
  if (options.format) read.format = options.format;
  const loaded = await readModel(bytes, read);
  return MobileNet.create(loaded, engineOptions(options));
}

/**
 * Published weights by registry id or model name ('mobilenet_v2' → torchvision's IMAGENET1K_V1,
 * 'keras:mobilenet_v2_0.35_96'): downloaded once into the cache, verified, then loaded with the
 * architecture, preprocessing and labels the publisher used.
 */
async function loadPretrained(name: string, options: LoadModelOptions): Promise<MobileNet> {
  let entry;
  try {
    entry = findPretrained(name);
  } catch (error) {
    if (error instanceof MobileNetError && error.code === 'UNKNOWN_MODEL') {
      throw new MobileNetError(
        'UNKNOWN_MODEL',
        `'${name}' is neither a file nor published weights mobilenet-ts knows (${error.message}); give a weights file, or a model name with --weights`,
      );
    }
    throw error;
  }
  const fetchOptions: Parameters<typeof fetchPretrained>[1] = { progress: options.progress ?? true };
  if (options.cacheDir !== undefined) fetchOptions.cacheDir = options.cacheDir;
  const path = await fetchPretrained(entry, fetchOptions);
  const loaded = await readModel(readFileBytes(path), {
    fileName: basename(path),
    model: entry.model,
    options: { convention: entry.convention, classes: entry.classes, includeTop: entry.includeTop, ...(entry.includeTop ? {} : { pooling: 'avg' as const }), ...options.options },
    strict: options.strict ?? true,
  });
  loaded.metadata.preprocess = pretrainedPreprocessConfig(entry);
  loaded.metadata.labels = entry.includeTop ? [...(entry.labels === 'imagenet' ? IMAGENET_LABELS : labelsWithBackground())] : [];
  loaded.metadata.source = entry.id;
  return MobileNet.create(loaded, engineOptions(options));
}

/** Decode and preprocess image files with the model's own preprocessing: (N, H, W, 3). */
export async function loadImages(model: MobileNet, paths: readonly string[]): Promise<Float32Array> {
  const [h, w] = model.inputShape as [number, number, number];
  const per = h * w * 3;
  const batch = new Float32Array(paths.length * per);
  const config = preprocessForInput(model.metadata.preprocess, h, w);
  for (let i = 0; i < paths.length; i++) {
    await loadImageTensor(paths[i]!, config, { out: batch.subarray(i * per, (i + 1) * per) });
  }
  return batch;
}

export async function classifyImages(model: MobileNet, paths: readonly string[], topK = 5): Promise<Classification[][]> {
  return model.classify(await loadImages(model, paths), topK);
}

export async function embedImages(model: MobileNet, paths: readonly string[]): Promise<Tensor<'float32'>> {
  return model.embed(await loadImages(model, paths));
}

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
import { permute } from '../io/layout.js';

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
  /** The input size for weights that record none (a .pth, most .h5 files); see ReadModelOptions. */
  fallbackResolution?: ModelOptions['resolution'];
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
  if (options.fallbackResolution !== undefined) read.fallbackResolution = options.fallbackResolution;
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
  // The publisher's labels name the publisher's classifier: not a new head (options.classes under
  // strict: false) nor a model without one.
  const spec = loaded.graph.spec!;
  const ownHead = entry.includeTop && spec.includeTop && spec.classes === entry.classes;
  loaded.metadata.labels = ownHead ? [...(entry.labels === 'imagenet' ? IMAGENET_LABELS : labelsWithBackground())] : [];
  loaded.metadata.source = entry.id;
  return MobileNet.create(loaded, engineOptions(options));
}

/**
 * Images decoded and run together by default. Memory (the input batch and the engine's
 * activations) grows with the chunk, not with the number of files: one batch of 5,000 photos at
 * 224 px would need 3 GB for the input alone.
 */
export const IMAGE_CHUNK = 32;

/** A file that could not be used: its place in the input, and the error naming it. */
export interface ImageFailure {
  index: number;
  file: string;
  error: MobileNetError;
}

/** One chunk of image files, decoded and preprocessed. */
export interface ImageChunk {
  /** Index in `paths` of the chunk's first file. */
  start: number;
  /** The chunk's files, in input order. */
  files: string[];
  /** (loaded.length, H, W, 3): the files that loaded, in input order. */
  batch: Float32Array;
  /** Index in `paths` of each image in `batch`. */
  loaded: number[];
  /** Files that could not be read (IO_ERROR) or decoded (INVALID_FORMAT); other errors are thrown. */
  failed: ImageFailure[];
}

/** One file's outcome in a chunked run: its result, or why the file could not be used. */
export type ImageOutcome<T> = { index: number; file: string; result: T; error?: undefined } | (ImageFailure & { result?: undefined });

export interface ChunkOptions {
  /** Images per chunk (default IMAGE_CHUNK). */
  chunkSize?: number;
}

function chunkSizeOf(options: ChunkOptions): number {
  const size = options.chunkSize ?? IMAGE_CHUNK;
  if (!Number.isInteger(size) || size < 1) throw new MobileNetError('INVALID_ARGUMENT', `chunk size must be a positive integer, got ${size}`);
  return size;
}

/** A bad file is the caller's input, reported per file; anything else (a bug, a bad config) stops the run. */
function isFileProblem(error: unknown): error is MobileNetError {
  return error instanceof MobileNetError && (error.code === 'IO_ERROR' || error.code === 'INVALID_FORMAT');
}

/**
 * Decode and preprocess image files a chunk at a time; a file that cannot be read or decoded is
 * listed in its chunk's `failed` instead of ending the run.
 */
export async function* loadImageChunks(model: MobileNet, paths: readonly string[], options: ChunkOptions = {}): AsyncGenerator<ImageChunk> {
  const size = chunkSizeOf(options);
  const [h, w] = model.inputShape as [number, number, number];
  const per = h * w * 3;
  const config = preprocessForInput(model.metadata.preprocess, h, w);
  for (let start = 0; start < paths.length; start += size) {
    const files = paths.slice(start, start + size);
    const batch = new Float32Array(files.length * per);
    const loaded: number[] = [];
    const failed: ImageFailure[] = [];
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      try {
        await loadImageTensor(file, config, { out: batch.subarray(loaded.length * per, (loaded.length + 1) * per) });
        loaded.push(start + i);
      } catch (error) {
        if (!isFileProblem(error)) throw error;
        failed.push({ index: start + i, file, error });
      }
    }
    yield { start, files, batch: batch.subarray(0, loaded.length * per), loaded, failed };
  }
}

/** Merge a chunk's results (one per loaded image) with its failures, in input order. */
function outcomes<T>(chunk: ImageChunk, results: (i: number) => T): ImageOutcome<T>[] {
  const out: ImageOutcome<T>[] = chunk.failed.map((f) => ({ ...f }));
  chunk.loaded.forEach((index, i) => out.push({ index, file: chunk.files[index - chunk.start]!, result: results(i) }));
  return out.sort((a, b) => a.index - b.index);
}

/** Top-k classes per file, a chunk at a time: each chunk's outcomes in input order. */
export async function* classifyImageChunks(
  model: MobileNet,
  paths: readonly string[],
  options: ChunkOptions & { topK?: number } = {},
): AsyncGenerator<ImageOutcome<Classification[]>[]> {
  for await (const chunk of loadImageChunks(model, paths, options)) {
    const results = chunk.loaded.length > 0 ? model.classify(chunk.batch, options.topK ?? 5) : [];
    yield outcomes(chunk, (i) => results[i]!);
  }
}

/** The pooled feature vector per file (a view into the chunk's (n, C) result), a chunk at a time. */
export async function* embedImageChunks(model: MobileNet, paths: readonly string[], options: ChunkOptions = {}): AsyncGenerator<ImageOutcome<Float32Array>[]> {
  for await (const chunk of loadImageChunks(model, paths, options)) {
    const embedding = chunk.loaded.length > 0 ? model.embed(chunk.batch) : undefined;
    const c = embedding?.shape[1] ?? 0;
    yield outcomes(chunk, (i) => embedding!.data.subarray(i * c, (i + 1) * c));
  }
}

/** Decode and preprocess image files with the model's own preprocessing: (N, H, W, 3), in one array. */
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

/** Top-k classes per file; throws the first bad file's error. Runs IMAGE_CHUNK images at a time. */
export async function classifyImages(model: MobileNet, paths: readonly string[], topK = 5): Promise<Classification[][]> {
  // No images: the model's own error, as before chunking.
  if (paths.length === 0) return model.classify(new Float32Array(0), topK);
  const results: Classification[][] = [];
  for await (const chunk of classifyImageChunks(model, paths, { topK })) {
    for (const o of chunk) {
      if (o.error) throw o.error;
      results.push(o.result);
    }
  }
  return results;
}

/** (N, C) pooled features; throws the first bad file's error. Runs IMAGE_CHUNK images at a time. */
export async function embedImages(model: MobileNet, paths: readonly string[]): Promise<Tensor<'float32'>> {
  if (paths.length === 0) return model.embed(new Float32Array(0));
  let data: Float32Array | undefined;
  let c = 0;
  for await (const chunk of embedImageChunks(model, paths)) {
    for (const o of chunk) {
      if (o.error) throw o.error;
      if (!data) {
        c = o.result.length;
        data = new Float32Array(paths.length * c);
      }
      data.set(o.result, o.index * c);
    }
  }
  return { dtype: 'float32', shape: [paths.length, c], data: data! };
}

/**
 * Logits of a preprocessed (N, H, W, 3) or (N, 3, H, W) float32 batch, run `chunkSize` examples
 * at a time so the engine's activations stay bounded: (N, classes).
 */
export function predictLogits(
  model: MobileNet,
  input: Float32Array,
  options: ChunkOptions & { layout?: 'nhwc' | 'nchw' } = {},
): Tensor<'float32'> {
  const size = chunkSizeOf(options);
  const [h, w] = model.inputShape as [number, number, number];
  const per = h * w * 3;
  const n = input.length / per;
  if (!model.graph.outputs.logits) throw new MobileNetError('INVALID_ARGUMENT', `${model.graph.name} has no classifier`);
  // A partial example or none at all: the model's own error names the expected shape.
  if (!Number.isInteger(n) || n === 0) return model.run(input).logits!;
  const classes = model.classes;
  const logits = new Float32Array(n * classes);
  for (let start = 0; start < n; start += size) {
    const count = Math.min(size, n - start);
    const rows = input.subarray(start * per, (start + count) * per);
    const nhwc = options.layout === 'nchw' ? permute(rows, [count, 3, h, w], [0, 2, 3, 1]).data : rows;
    logits.set(model.run(nhwc).logits!.data, start * classes);
  }
  return { dtype: 'float32', shape: [n, classes], data: logits };
}

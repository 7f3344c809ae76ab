/**
 * Reading and writing whole models: weights in any supported format → graph + canonical weights +
 * metadata. Bytes in, bytes out (the Node adapter reads files); formats are detected from the
 * bytes, never from the extension alone.
 */
import { MobileNetError } from '../errors.js';
import { buildGraph, type Graph } from '../graph/build.js';
import { createSpec, parseModelName } from '../spec/registry.js';
import type { Arch, ModelOptions, Resolution } from '../spec/types.js';
import type { Tensor, NamedTensors } from '../tensor.js';
import { parseSafetensors, serializeSafetensors } from '../io/safetensors.js';
import { parseTorchStateDict } from '../io/torch.js';
import { looksLikeHdf5, parseKerasH5, type KerasWeights } from '../io/keras.js';
import { parseOnnxModel, serializeOnnxModel } from '../io/onnx.js';
import { importOnnx } from '../io/onnx-import.js';
import { exportOnnx } from '../io/onnx-export.js';
import { importWeights, nameMap, type WeightSource } from '../io/names.js';
import { listPretrained } from '../io/pretrained.js';
import { checkWeights, graphParams, initWeights, type Weights } from '../runtime/weights.js';
import { presetConfig } from '../data/preprocess.js';
import { defaultMetadata, metadataFromStrings, metadataToStrings, ONNX_WITHOUT_METADATA, type ModelMetadata } from './metadata.js';
import { checkpointEvaluationWeights, checkpointFromSafetensors, CHECKPOINT_STATE_KEY } from '../train/checkpoint.js';

export type WeightFormat = 'safetensors' | 'pth' | 'h5' | 'onnx';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['safetensors', 'pth', 'h5', 'onnx'];

export interface LoadedModel {
  graph: Graph;
  weights: Weights;
  metadata: ModelMetadata;
}

export interface ReadModelOptions {
  /** The format; detected from the bytes when absent. */
  format?: WeightFormat;
  /** For messages and for guessing the Keras input size from keras-applications' file names. */
  fileName?: string;
  /** The architecture (`mobilenet_v2`, `mobilenet_v1_0.25_128`); inferred from the weights when absent. */
  model?: string;
  /** Options for the architecture (resolution, convention, …). */
  options?: ModelOptions;
  /** false: a classifier of another size, or none, is skipped (transfer learning). Default true. */
  strict?: boolean;
  /**
   * The input size for weights that record none: a .pth, an .h5 not named as keras-applications
   * names its files, safetensors without metadata, each with a model name without a size
   * (`mobilenet predict` passes its input's size). Ignored when the file, its name, the model name
   * or `options.resolution` gives one. Default: the architecture's 224.
   */
  fallbackResolution?: number | Resolution;
}

/** Detect a weights format from its first bytes (and the file name for ONNX, which has no magic). */
export function detectFormat(bytes: Uint8Array, fileName = ''): WeightFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'pth';
  if (looksLikeHdf5(bytes)) return 'h5';
  if (bytes.length >= 9) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = Number(view.getBigUint64(0, true));
    if (headerLength > 1 && headerLength <= bytes.length - 8 && bytes[8] === 0x7b /* { */) return 'safetensors';
  }
  if (/\.onnx$/i.test(fileName)) return 'onnx';
  if (/\.(pth|pt)$/i.test(fileName)) return 'pth';
  if (/\.safetensors$/i.test(fileName)) return 'safetensors';
  const what = fileName ? `${fileName}: ` : '';
  throw new MobileNetError(
    'INVALID_FORMAT',
    `${what}not a recognized weights file (expected safetensors, PyTorch .pth (zip), Keras .h5 (HDF5) or ONNX (.onnx))`,
  );
}

const ALPHA_CANDIDATES = [1.0, 0.75, 0.5, 0.35, 0.25, 1.3, 1.4];

/** The classifier's output count as a file stores it, or undefined when the file has no head. */
function fileClasses(tensors: NamedTensors, source: WeightSource, arch: Arch): number | undefined {
  if (source === 'torch') return tensors.get('classifier.1.weight')?.shape[0];
  const t = tensors.get(arch === 'mobilenet_v1' ? 'conv_preds/kernel' : 'predictions/kernel') ?? tensors.get('Logits/kernel');
  return t?.shape[t.shape.length - 1];
}

function guessArch(tensors: NamedTensors, source: WeightSource): Arch {
  const keys = [...tensors.keys()];
  if (source === 'torch') {
    if (keys.some((k) => /^features\.\d+\.conv\./.test(k))) return 'mobilenet_v2';
    if (keys.some((k) => /^features\.\d+\.1\.0\.weight$/.test(k))) return 'mobilenet_v1';
  } else {
    if (keys.some((k) => k.startsWith('block_') || k.startsWith('Conv1/'))) return 'mobilenet_v2';
    if (keys.some((k) => k.startsWith('conv_dw_'))) return 'mobilenet_v1';
  }
  throw new MobileNetError(
    'INVALID_FORMAT',
    `the ${source === 'torch' ? 'PyTorch' : 'Keras'} weights are not a MobileNetV1 or V2 layout mobilenet-ts knows (pass the model name if they are)`,
  );
}

/**
 * The input size of a keras-applications file, by its exact name (mobilenet_7_5_160_tf.h5,
 * mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5, …: the names the pretrained
 * registry lists). Any other name says nothing: run_epoch_160.h5 is not a 160-pixel model, nor is
 * "_035" in my_v2_035.h5 a size.
 */
function kerasResolutionFromName(fileName: string): number | undefined {
  const base = (fileName.split(/[\\/]/).pop() ?? '').toLowerCase();
  return listPretrained({ source: 'keras' }).find((e) => e.fileName.toLowerCase() === base)?.resolution;
}

/** Whether the model name or the options fix the input size. */
function resolutionGiven(model: string | undefined, options: ModelOptions | undefined): boolean {
  return options?.resolution !== undefined || (model !== undefined && parseModelName(model).resolution !== undefined);
}

/**
 * Labels belong to a classifier: a head the file did not provide (fresh weights under strict:
 * false) or no head at all has none; the labels of the file's head are kept.
 */
function labelsForHead(labels: string[], graph: Graph, freshHead: boolean): string[] {
  return graph.outputs.logits && !freshHead ? labels : [];
}

/**
 * Build the graph for a file's tensors: the given model/options, with the classifier size taken
 * from the file; without a model name, the architecture and α are inferred (the first α whose
 * every shape fits).
 */
function graphForTensors(tensors: NamedTensors, source: WeightSource, options: ReadModelOptions, defaults: ModelOptions): { graph: Graph; model: string; modelOptions: ModelOptions } {
  const arch = options.model ? parseModelName(options.model).arch : guessArch(tensors, source);
  const classes = fileClasses(tensors, source, arch);
  const base: ModelOptions = { ...defaults, ...options.options };
  if (classes !== undefined && base.classes === undefined && options.strict !== false) base.classes = classes;
  if (classes === undefined && base.includeTop === undefined && options.strict !== false) {
    base.includeTop = false;
    base.pooling = base.pooling ?? 'avg';
  }
  const named = options.model ? parseModelName(options.model) : undefined;
  if (options.model && (named!.alpha !== undefined || base.alpha !== undefined)) {
    return { graph: buildGraph(createSpec(options.model, base)), model: options.model, modelOptions: base };
  }
  // No α given: the first candidate whose every shape fits the file.
  const model = options.model ?? arch;
  const alphas = ALPHA_CANDIDATES;
  for (const alpha of alphas) {
    const modelOptions = { ...base, alpha };
    const graph = buildGraph(createSpec(model, modelOptions));
    const fits = nameMap(graph, source).every((e) => {
      // The head does not tell α apart, and under strict: false it may be any size (a new one is made).
      if (e.param.startsWith('classifier.')) return true;
      const t = tensors.get(e.external) ?? e.aliases?.map((a) => tensors.get(a)).find((x) => x);
      return t !== undefined && t.shape.join() === e.externalShape.join();
    });
    if (fits) return { graph, model, modelOptions };
  }
  if (options.model) {
    // Let the strict import report exactly what does not fit the architecture asked for.
    return { graph: buildGraph(createSpec(options.model, base)), model: options.model, modelOptions: base };
  }
  throw new MobileNetError(
    'WEIGHTS_MISMATCH',
    `could not infer the width multiplier of these ${arch} weights (tried α = ${alphas.join(', ')}); pass the model name and --alpha`,
  );
}

function kerasTensors(k: KerasWeights): NamedTensors {
  const out: NamedTensors = new Map();
  for (const layer of k.layers) {
    for (const w of layer.weights) {
      const base = w.name.split('/').pop()!.replace(/:\d+$/, '');
      out.set(`${layer.name}/${base}`, w.tensor);
    }
  }
  return out;
}

export async function readModel(bytes: Uint8Array, options: ReadModelOptions = {}): Promise<LoadedModel> {
  const fileName = options.fileName ?? '';
  const where = fileName || 'weights';
  const format = options.format ?? detectFormat(bytes, fileName);
  switch (format) {
    case 'safetensors': {
      const parsed = parseSafetensors(bytes);
      const metadata = parsed.metadata;
      // A training checkpoint reads as the model its run evaluates, so that eval, classify or convert
      // work on a run that is still going or was stopped.
      const tensors = metadata[CHECKPOINT_STATE_KEY] !== undefined ? checkpointEvaluationWeights(checkpointFromSafetensors(parsed, where)) : parsed.tensors;
      const meta = metadataFromStrings(metadata, where);
      if (!meta && !options.model) {
        throw new MobileNetError('INVALID_FORMAT', `${where}: safetensors without mobilenet-ts metadata; pass the model name (e.g. --model mobilenet_v2)`);
      }
      const model = options.model ?? meta!.model;
      const modelOptions: ModelOptions = { ...(meta?.options ?? {}), ...options.options };
      if (!meta && options.fallbackResolution !== undefined && !resolutionGiven(model, options.options)) modelOptions.resolution = options.fallbackResolution;
      const graph = buildGraph(createSpec(model, modelOptions));
      const { weights: checked } = checkWeights(graph, tensors, { strict: options.strict ?? true, source: where });
      const freshHead = addFreshHead(graph, checked);
      const modelMeta = meta ? { ...meta, options: modelOptions } : defaultMetadata(graph.spec!, model, modelOptions, fileName || undefined);
      modelMeta.labels = labelsForHead(modelMeta.labels, graph, freshHead);
      return { graph, weights: checked, metadata: modelMeta };
    }
    case 'pth':
    case 'h5': {
      const source: WeightSource = format === 'pth' ? 'torch' : 'keras';
      const tensors = format === 'pth' ? parseTorchStateDict(bytes) : kerasTensors(await parseKerasH5(bytes));
      const defaults: ModelOptions = { convention: source === 'torch' ? 'torchvision' : 'keras' };
      if (!resolutionGiven(options.model, options.options)) {
        const resolution = (source === 'keras' ? kerasResolutionFromName(fileName) : undefined) ?? options.fallbackResolution;
        if (resolution !== undefined) defaults.resolution = resolution;
      }
      const { graph, model, modelOptions } = graphForTensors(tensors, source, options, defaults);
      const weights = importWeights(graph, source, tensors, { strict: options.strict ?? true, source: where });
      const freshHead = addFreshHead(graph, weights);
      const { weights: checked } = checkWeights(graph, weights, { source: where });
      const metadata = defaultMetadata(graph.spec!, model, modelOptions, fileName || undefined);
      metadata.labels = labelsForHead(metadata.labels, graph, freshHead);
      return { graph, weights: checked, metadata };
    }
    case 'onnx': {
      const onnx = parseOnnxModel(bytes);
      const meta = metadataFromStrings(onnx.metadata, where);
      const { graph, weights } = importOnnx(onnx);
      const [h, w] = graph.input.shape as [number, number, number];
      const classes = graph.outputs.logits ? graph.nodes.find((n) => n.name === graph.outputs.logits)!.shape[0]! : 0;
      // Metadata a file carries (written by mobilenet-ts) is kept as it is, as for safetensors.
      if (meta) return { graph, weights, metadata: meta };
      const metadata: ModelMetadata = {
        model: ONNX_WITHOUT_METADATA,
        options: {},
        // An ONNX file does not say how it wants its input; torchvision's exports are the common case.
        preprocess: presetConfig('torchvision', h, w),
        labels: classes === 1000 ? [...(await import('../data/imagenet.js')).IMAGENET_LABELS] : [],
      };
      if (fileName) metadata.source = fileName;
      return { graph, weights, metadata };
    }
  }
}

/**
 * `graph`'s weights from canonically named tensors (a file's, or another model's weights). Under
 * strict: false a classifier that does not fit is skipped and gets fresh weights (the torchvision
 * initialization), so that the model runs and can be fine-tuned.
 */
export function fitWeights(graph: Graph, tensors: NamedTensors, options: { strict: boolean; source: string }): Weights {
  const { weights } = checkWeights(graph, tensors, options);
  addFreshHead(graph, weights);
  return weights;
}

/**
 * Under strict: false a classifier that did not fit was skipped: give it fresh weights (the
 * torchvision initialization) so that the model runs and can be fine-tuned. True when it did.
 */
function addFreshHead(graph: Graph, weights: Map<string, Tensor<'float32'>>): boolean {
  const missing = graphParams(graph).filter((p) => !weights.has(p.name) && p.name.startsWith('classifier.'));
  if (missing.length === 0) return false;
  const fresh = initWeights(graph, { seed: 0 });
  for (const p of missing) weights.set(p.name, fresh.get(p.name)!);
  return true;
}

/** Our native format: safetensors with the metadata that rebuilds the model. */
export function writeSafetensorsModel(model: LoadedModel): Uint8Array {
  if (!model.graph.spec) throw new MobileNetError('UNSUPPORTED', `${model.graph.name} was imported from ONNX and has no architecture spec; export it to ONNX instead`);
  const tensors: NamedTensors = new Map<string, Tensor>(model.weights);
  return serializeSafetensors(tensors, metadataToStrings(model.metadata));
}

/**
 * ONNX with the `mobilenet.*` metadata whenever the model has real metadata: built from a spec, or
 * imported from an ONNX file that carried it (convert x.onnx y.onnx keeps preprocessing and labels).
 * An ONNX file without metadata got guesses (torchvision preprocessing), which are not written.
 */
export function writeOnnxModel(model: LoadedModel): Uint8Array {
  const metadata = model.graph.spec || model.metadata.model !== ONNX_WITHOUT_METADATA ? metadataToStrings(model.metadata) : {};
  return serializeOnnxModel(exportOnnx(model.graph, model.weights, { metadata }));
}

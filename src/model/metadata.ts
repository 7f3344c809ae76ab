/**
 * What travels with the weights so that a file alone is enough to run: the architecture and its
 * options, the preprocessing, the labels. Stored as JSON strings in safetensors' `__metadata__`
 * and ONNX's metadata_props under `mobilenet.*` keys.
 */
import { asFormatError, MobileNetError } from '../errors.js';
import { PREPROCESS_PRESETS, presetConfig, validatePreprocessConfig, type PreprocessConfig, type PreprocessPreset } from '../data/preprocess.js';
import { imagenetLabelsFor } from '../data/imagenet.js';
import { createSpec } from '../spec/registry.js';
import type { Convention, ModelOptions, ModelSpec } from '../spec/types.js';

export const METADATA_VERSION = '1';

/**
 * `model` of the metadata an ONNX file without `mobilenet.*` metadata reads with: guesses
 * (torchvision preprocessing, ImageNet labels for 1000 classes), never written back to a file.
 */
export const ONNX_WITHOUT_METADATA = 'onnx';

export interface ModelMetadata {
  /** A model name the registry understands (`mobilenet_v2`, `mobilenet_v1_0.25_128`). */
  model: string;
  /** The options that, with `model`, rebuild the exact graph. */
  options: ModelOptions;
  preprocess: PreprocessConfig;
  /** One per class; empty when unknown. */
  labels: string[];
  /** Where the weights came from (a file name, a registry id). */
  source?: string;
  /**
   * A model trained on an image folder: the seeded split it held out, so that `eval` on that folder
   * tests on the same held-out images and not on ones it trained on.
   */
  split?: DatasetSplit;
}

export interface DatasetSplit {
  seed: number;
  validationFraction: number;
  /** Images per class in the folder at training time: the split is only the same on the same files. */
  classCounts?: number[];
  /** SHA-256 (hex) of the folder's image paths at training time: same counts with renamed or moved files change the split too. */
  filesSha256?: string;
}

/** A SHA-256 digest as 64 lower-case hexadecimal digits. */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** The preprocessing each convention's published weights expect. */
export function defaultPreset(convention: Convention): PreprocessPreset {
  return convention === 'torchvision' ? 'torchvision' : 'keras';
}

export function defaultMetadata(spec: ModelSpec, model: string, options: ModelOptions, source?: string): ModelMetadata {
  const meta: ModelMetadata = {
    model,
    options,
    preprocess: presetConfig(defaultPreset(spec.convention), spec.height, spec.width),
    labels: spec.includeTop ? [...(imagenetLabelsFor(spec.classes) ?? [])] : [],
  };
  if (source !== undefined) meta.source = source;
  return meta;
}

export function metadataToStrings(meta: ModelMetadata): Record<string, string> {
  const out: Record<string, string> = {
    'mobilenet.version': METADATA_VERSION,
    'mobilenet.model': meta.model,
    'mobilenet.options': JSON.stringify(meta.options),
    'mobilenet.preprocess': JSON.stringify(meta.preprocess),
    'mobilenet.labels': JSON.stringify(meta.labels),
  };
  if (meta.source !== undefined) out['mobilenet.source'] = meta.source;
  if (meta.split !== undefined) out['mobilenet.split'] = JSON.stringify(meta.split);
  return out;
}

function parseJson(key: string, text: string | undefined, where: string): unknown {
  if (text === undefined) throw new MobileNetError('INVALID_FORMAT', `${where}: metadata has no '${key}'`);
  try {
    return JSON.parse(text);
  } catch {
    throw new MobileNetError('INVALID_FORMAT', `${where}: metadata '${key}' is not valid JSON`);
  }
}

/** Read `mobilenet.*` metadata; undefined when the file carries none (not written by mobilenet-ts). */
export function metadataFromStrings(strings: Record<string, string>, where: string): ModelMetadata | undefined {
  if (strings['mobilenet.model'] === undefined) return undefined;
  const version = strings['mobilenet.version'];
  if (version !== METADATA_VERSION) {
    throw new MobileNetError('UNSUPPORTED', `${where}: metadata version ${version ?? 'missing'}, this mobilenet-ts reads version ${METADATA_VERSION}`);
  }
  const options = parseJson('mobilenet.options', strings['mobilenet.options'], where);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new MobileNetError('INVALID_FORMAT', `${where}: metadata 'mobilenet.options' must be a JSON object`);
  }
  // The model and options must describe a network (and one of bounded size) before anything builds it.
  asFormatError(`${where}: metadata 'mobilenet.model' and 'mobilenet.options'`, () => createSpec(strings['mobilenet.model']!, options as ModelOptions));
  const pre = parseJson('mobilenet.preprocess', strings['mobilenet.preprocess'], where);
  const preprocess =
    typeof pre === 'string' && (PREPROCESS_PRESETS as readonly string[]).includes(pre)
      ? undefined
      : asFormatError(`${where}: metadata 'mobilenet.preprocess'`, () => validatePreprocessConfig(pre));
  const labels = strings['mobilenet.labels'] === undefined ? [] : parseJson('mobilenet.labels', strings['mobilenet.labels'], where);
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) {
    throw new MobileNetError('INVALID_FORMAT', `${where}: metadata 'mobilenet.labels' must be a JSON array of strings`);
  }
  if (!preprocess) throw new MobileNetError('INVALID_FORMAT', `${where}: metadata 'mobilenet.preprocess' must be a preprocessing config object`);
  const meta: ModelMetadata = { model: strings['mobilenet.model']!, options: options as ModelOptions, preprocess, labels };
  if (strings['mobilenet.source'] !== undefined) meta.source = strings['mobilenet.source'];
  if (strings['mobilenet.split'] !== undefined) {
    const split = parseJson('mobilenet.split', strings['mobilenet.split'], where);
    const { seed, validationFraction, classCounts, filesSha256 } = (typeof split === 'object' && split !== null ? split : {}) as Partial<Record<keyof DatasetSplit, unknown>>;
    const countsOk = classCounts === undefined || (Array.isArray(classCounts) && classCounts.every((c) => Number.isSafeInteger(c) && (c as number) >= 0));
    const hashOk = filesSha256 === undefined || isSha256(filesSha256);
    if (!Number.isSafeInteger(seed) || typeof validationFraction !== 'number' || !(validationFraction > 0 && validationFraction < 1) || !countsOk || !hashOk) {
      throw new MobileNetError(
        'INVALID_FORMAT',
        `${where}: metadata 'mobilenet.split' must be {seed: an integer, validationFraction: between 0 and 1, classCounts?: whole numbers, filesSha256?: 64 hex digits}, got ${strings['mobilenet.split']}`,
      );
    }
    meta.split = { seed: seed as number, validationFraction };
    if (classCounts !== undefined) meta.split.classCounts = [...(classCounts as number[])];
    if (filesSha256 !== undefined) meta.split.filesSha256 = filesSha256 as string;
  }
  return meta;
}

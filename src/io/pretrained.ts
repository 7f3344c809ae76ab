/**
 * The registry of published pretrained MobileNet weights (plain data, browser-safe).
 *
 * Sources of the facts below (nothing here was downloaded or measured):
 * - torchvision `torchvision/models/mobilenetv2.py`, `MobileNet_V2_Weights`: the two URLs, the
 *   transforms (`ImageClassification(crop_size=224)` for IMAGENET1K_V1 and
 *   `ImageClassification(crop_size=224, resize_size=232)` for IMAGENET1K_V2), `num_params`
 *   3,504,872, ImageNet-1K acc@1/acc@5 71.878/90.286 (V1) and 72.154/90.822 (V2), `_file_size`
 *   13.555 and 13.598 (MB, rounded; torchvision ≥ 0.15). The 8 hex digits in each file name are the
 *   first digits of the file's sha256 (torch.hub's `check_hash` verifies that prefix); the full hash
 *   and the exact byte size are not published.
 * - keras `keras/src/applications/mobilenet.py` and `mobilenet_v2.py`: base URLs
 *   `https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/` and
 *   `.../mobilenet_v2/`, file names `mobilenet_<a>_<rows>_tf.h5` (a = 1_0, 7_5, 5_0, 2_5) and
 *   `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_<float(alpha)>_<rows>.h5`, `_no_top` variants;
 *   α ∈ {0.25, 0.5, 0.75, 1.0} × {128, 160, 192, 224} for V1 and α ∈ {0.35, 0.5, 0.75, 1.0, 1.3, 1.4} ×
 *   {96, 128, 160, 192, 224} for V2. Keras' `get_file` calls for these files pass no `file_hash`, and
 *   no public source gives their hashes or byte sizes, so those fields stay undefined.
 * - keras.io's Keras Applications table: MobileNet top-1/top-5 70.4%/89.5%, MobileNetV2 71.3%/90.1%
 *   (the α = 1.0, 224 weights only).
 *
 * Ids: `<source>:<model>[.<variant>]`, e.g. `torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V1`,
 * `keras:mobilenet_v2_0.35_96`, `keras:mobilenet_v1_0.25_128.notop`. Lookups are case-insensitive
 * and also accept a bare model name (`mobilenet_v2`, `mobilenet_v1_0.5_160`).
 */
import { MobileNetError } from '../errors.js';
import { presetConfig, type PreprocessConfig, type PreprocessPreset } from '../data/preprocess.js';
import { formatAlpha, parseModelName, presetName } from '../spec/registry.js';
import type { Arch, Convention } from '../spec/types.js';

export type PretrainedSource = 'torchvision' | 'keras';
export const PRETRAINED_SOURCES: readonly PretrainedSource[] = ['torchvision', 'keras'];
export type PretrainedFormat = 'pth' | 'h5';
/** 'imagenet': 1000 classes; 'imagenet+background': TF-slim's 1001 (background first). */
export type LabelSet = 'imagenet' | 'imagenet+background';

export interface PretrainedAccuracy {
  /** ImageNet-1k validation accuracy in percent. */
  top1: number;
  top5: number;
  /** Who measured it. */
  source: string;
}

export interface PretrainedEntry {
  id: string;
  /** The model registry's name: `mobilenet_v2_1.0_224`. */
  model: string;
  arch: Arch;
  alpha: number;
  resolution: number;
  /** false for Keras' `_no_top` files: no classifier in the file (features only). */
  includeTop: boolean;
  source: PretrainedSource;
  /** The publisher's name for this weight set ('IMAGENET1K_V1', 'imagenet'). */
  variant: string;
  format: PretrainedFormat;
  url: string;
  /** The last part of the URL: the file's name in the cache and when placed by hand. */
  fileName: string;
  /** The full sha256 (lower-case hex) when published. None of the current entries has one. */
  sha256?: string;
  /** The leading hex digits of the sha256 when the publisher gives only those (torchvision). */
  sha256Prefix?: string;
  /** Exact size in bytes when published. */
  size?: number;
  /** Approximate size in MB as the publisher rounds it (not used for verification). */
  approxSizeMB?: number;
  /** The architecture convention the weights need (padding, BN epsilon, channel rounding). */
  convention: Convention;
  preprocess: PreprocessPreset;
  /** Changes to the preset for these weights (torchvision IMAGENET1K_V2 resizes to 232, not 256). */
  preprocessOverrides?: { resizeShorter: number };
  labels: LabelSet;
  /** Classifier outputs the weights were trained with (a no-top file does not contain the classifier). */
  classes: number;
  /** Parameter count as the publisher states it. */
  numParams?: number;
  accuracy?: PretrainedAccuracy;
  /** What is unknown about this entry and why, and other caveats. */
  notes: readonly string[];
}

const TORCHVISION_NOTES = [
  'sha256: only the 8-digit prefix in the file name is published (torch.hub checks that prefix); the full hash is unknown',
  'size: the exact byte count is not published; approxSizeMB is torchvision\'s rounded "_file_size"',
];
const KERAS_NOTES = [
  'sha256: unknown; keras publishes no hash for this file (its get_file call passes no file_hash)',
  'size: unknown; no public source gives the byte count',
];

function torchvisionEntry(variant: string, hashPrefix: string, fields: Partial<PretrainedEntry>): PretrainedEntry {
  const fileName = `mobilenet_v2-${hashPrefix}.pth`;
  const model = presetName('mobilenet_v2', 1, 224);
  return {
    id: `torchvision:${model}.${variant}`,
    model,
    arch: 'mobilenet_v2',
    alpha: 1,
    resolution: 224,
    includeTop: true,
    source: 'torchvision',
    variant,
    format: 'pth',
    url: `https://download.pytorch.org/models/${fileName}`,
    fileName,
    sha256Prefix: hashPrefix,
    convention: 'torchvision',
    preprocess: 'torchvision',
    labels: 'imagenet',
    classes: 1000,
    numParams: 3504872,
    notes: TORCHVISION_NOTES,
    ...fields,
  };
}

const KERAS_V1_BASE = 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/';
const KERAS_V2_BASE = 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/';
const KERAS_V1_ALPHAS = [0.25, 0.5, 0.75, 1.0];
const KERAS_V1_ROWS = [128, 160, 192, 224];
const KERAS_V2_ALPHAS = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4];
const KERAS_V2_ROWS = [96, 128, 160, 192, 224];
/** keras mobilenet.py's alpha_text. */
const KERAS_V1_ALPHA_TEXT: ReadonlyMap<number, string> = new Map([
  [1.0, '1_0'],
  [0.75, '7_5'],
  [0.5, '5_0'],
  [0.25, '2_5'],
]);
const KERAS_ACCURACY_SOURCE = 'keras.io Keras Applications table';

function kerasFileName(arch: Arch, alpha: number, rows: number, includeTop: boolean): string {
  const suffix = includeTop ? '' : '_no_top';
  if (arch === 'mobilenet_v1') return `mobilenet_${KERAS_V1_ALPHA_TEXT.get(alpha)!}_${rows}_tf${suffix}.h5`;
  // Python's str(float(alpha)): 0.35, 0.5, 0.75, 1.0, 1.3, 1.4, the same text as formatAlpha.
  return `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${formatAlpha(alpha)}_${rows}${suffix}.h5`;
}

function kerasEntry(arch: Arch, alpha: number, rows: number, includeTop: boolean): PretrainedEntry {
  const model = presetName(arch, alpha, rows);
  const fileName = kerasFileName(arch, alpha, rows, includeTop);
  const entry: PretrainedEntry = {
    id: `keras:${model}${includeTop ? '' : '.notop'}`,
    model,
    arch,
    alpha,
    resolution: rows,
    includeTop,
    source: 'keras',
    variant: 'imagenet',
    format: 'h5',
    url: (arch === 'mobilenet_v1' ? KERAS_V1_BASE : KERAS_V2_BASE) + fileName,
    fileName,
    convention: 'keras',
    preprocess: 'keras',
    labels: 'imagenet',
    classes: 1000,
    notes: includeTop ? KERAS_NOTES : [...KERAS_NOTES, 'no-top file: convolutional features only, no classifier'],
  };
  if (includeTop && alpha === 1 && rows === 224) {
    entry.accuracy =
      arch === 'mobilenet_v1'
        ? { top1: 70.4, top5: 89.5, source: KERAS_ACCURACY_SOURCE }
        : { top1: 71.3, top5: 90.1, source: KERAS_ACCURACY_SOURCE };
  } else if (includeTop) {
    entry.notes = [...entry.notes, 'accuracy: keras publishes it for the α = 1.0, 224 weights only'];
  }
  return entry;
}

function buildRegistry(): readonly PretrainedEntry[] {
  const entries: PretrainedEntry[] = [
    torchvisionEntry('IMAGENET1K_V1', 'b0353104', {
      approxSizeMB: 13.555,
      accuracy: { top1: 71.878, top5: 90.286, source: 'torchvision MobileNet_V2_Weights.IMAGENET1K_V1' },
    }),
    torchvisionEntry('IMAGENET1K_V2', '7ebf99e0', {
      approxSizeMB: 13.598,
      preprocessOverrides: { resizeShorter: 232 },
      accuracy: { top1: 72.154, top5: 90.822, source: 'torchvision MobileNet_V2_Weights.IMAGENET1K_V2' },
    }),
  ];
  for (const includeTop of [true, false]) {
    for (const alpha of KERAS_V1_ALPHAS) for (const rows of KERAS_V1_ROWS) entries.push(kerasEntry('mobilenet_v1', alpha, rows, includeTop));
    for (const alpha of KERAS_V2_ALPHAS) for (const rows of KERAS_V2_ROWS) entries.push(kerasEntry('mobilenet_v2', alpha, rows, includeTop));
  }
  return Object.freeze(entries.map((e) => Object.freeze({ ...e, notes: Object.freeze([...e.notes]) })));
}

const REGISTRY: readonly PretrainedEntry[] = buildRegistry();
const BY_ID: ReadonlyMap<string, PretrainedEntry> = new Map(REGISTRY.map((e) => [e.id.toLowerCase(), e]));

function copy(entry: PretrainedEntry): PretrainedEntry {
  return {
    ...entry,
    notes: [...entry.notes],
    ...(entry.accuracy ? { accuracy: { ...entry.accuracy } } : {}),
    ...(entry.preprocessOverrides ? { preprocessOverrides: { ...entry.preprocessOverrides } } : {}),
  };
}

export interface PretrainedFilter {
  source?: PretrainedSource;
  arch?: Arch;
  includeTop?: boolean;
}

/** Every registered weight set (torchvision first, then Keras V1 and V2, with-top before no-top). */
export function listPretrained(filter: PretrainedFilter = {}): PretrainedEntry[] {
  return REGISTRY.filter(
    (e) =>
      (filter.source === undefined || e.source === filter.source) &&
      (filter.arch === undefined || e.arch === filter.arch) &&
      (filter.includeTop === undefined || e.includeTop === filter.includeTop),
  ).map(copy);
}

function describeAvailable(): string {
  return [
    `torchvision: mobilenet_v2 (α 1.0, 224) IMAGENET1K_V1 (default) and IMAGENET1K_V2`,
    `keras: mobilenet_v1 α ${KERAS_V1_ALPHAS.map(formatAlpha).join('/')} × ${KERAS_V1_ROWS.join('/')}`,
    `keras: mobilenet_v2 α ${KERAS_V2_ALPHAS.map(formatAlpha).join('/')} × ${KERAS_V2_ROWS.join('/')}`,
    `each Keras set also as '.notop'; ids look like 'torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V2', 'keras:mobilenet_v2_0.35_96', 'keras:mobilenet_v1_0.25_128.notop' (listPretrained() lists all ${REGISTRY.length})`,
  ].join('; ');
}

function unknown(what: string, detail?: string): MobileNetError {
  return new MobileNetError('UNKNOWN_MODEL', `no pretrained weights ${what}${detail ? ` (${detail})` : ''}; available: ${describeAvailable()}`);
}

/**
 * Find weights by id (`keras:mobilenet_v2_0.35_96`, `torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V2`)
 * or by model name (`mobilenet_v2` = α 1.0 at 224, `mobilenet_v1_0.5_160`), optionally with a
 * `source:` prefix or a `.variant` suffix (`.notop`, `.imagenet1k_v2`). Without a source, torchvision
 * is preferred where it has weights (only mobilenet_v2 1.0/224, whose default is IMAGENET1K_V1, as
 * torchvision's `pretrained=True`), Keras otherwise. Throws UNKNOWN_MODEL listing what exists.
 */
export function findPretrained(idOrModelName: string, source?: PretrainedSource): PretrainedEntry {
  if (typeof idOrModelName !== 'string' || idOrModelName.trim() === '') {
    throw unknown(`for ${JSON.stringify(idOrModelName)}`, 'expected an id or a model name');
  }
  if (source !== undefined && !PRETRAINED_SOURCES.includes(source)) {
    throw new MobileNetError('INVALID_ARGUMENT', `unknown weights source '${String(source)}'; expected ${PRETRAINED_SOURCES.join(' or ')}`);
  }
  const text = idOrModelName.trim();
  const exact = BY_ID.get(text.toLowerCase());
  if (exact && (source === undefined || exact.source === source)) return copy(exact);

  let rest = text;
  let wanted = source;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const prefix = text.slice(0, colon).toLowerCase() as PretrainedSource;
    if (!PRETRAINED_SOURCES.includes(prefix)) throw unknown(`for '${text}'`, `unknown source '${text.slice(0, colon)}'`);
    if (source !== undefined && source !== prefix) throw unknown(`for '${text}'`, `the id names source '${prefix}' but source '${source}' was asked for`);
    wanted = prefix;
    rest = text.slice(colon + 1);
  }
  // model[.variant]: the model name itself contains dots (0.35), so the variant is whatever follows
  // a dot that is followed by a letter.
  const match = /^(.*?)(?:\.([a-z][a-z0-9_]*))?$/i.exec(rest)!;
  const modelText = match[1]!;
  const variant = match[2]?.toLowerCase();
  let parsed;
  try {
    parsed = parseModelName(modelText);
  } catch {
    throw unknown(`for '${text}'`, `'${modelText}' is not a model name like mobilenet_v2 or mobilenet_v2_0.35_96`);
  }
  const alpha = parsed.alpha ?? 1;
  const resolution = parsed.resolution ?? 224;
  const model = presetName(parsed.arch, alpha, resolution);
  const includeTop = variant !== 'notop';
  const candidates = REGISTRY.filter(
    (e) =>
      e.model === model &&
      e.includeTop === includeTop &&
      (wanted === undefined || e.source === wanted) &&
      (variant === undefined || variant === 'notop' || e.variant.toLowerCase() === variant),
  );
  if (candidates.length === 0) {
    const forModel = REGISTRY.filter((e) => e.model === model);
    const detail =
      forModel.length === 0
        ? `${model} has no published weights`
        : `${model} has: ${forModel.map((e) => e.id).join(', ')}`;
    throw unknown(`for '${text}'${wanted ? ` from ${wanted}` : ''}`, detail);
  }
  // Preference: torchvision before keras (registry order), and torchvision's IMAGENET1K_V1 first.
  return copy(candidates[0]!);
}

/** The preprocessing these weights expect, at their resolution. */
export function pretrainedPreprocessConfig(entry: Pick<PretrainedEntry, 'preprocess' | 'resolution' | 'preprocessOverrides'>): PreprocessConfig {
  return presetConfig(entry.preprocess, entry.resolution, entry.resolution, entry.preprocessOverrides ?? {});
}

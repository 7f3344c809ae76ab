/**
 * `mobilenet train` and `mobilenet eval` for Node: datasets from disk, a progress bar,
 * metrics.jsonl, a checkpoint every epoch and every few minutes (atomic), exact resume, Ctrl-C that
 * saves and exits, and the trained model as fp16 safetensors with its labels and preprocessing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import { MobileNetError } from '../errors.js';
import { buildGraph, type Graph } from '../graph/build.js';
import { createSpec } from '../spec/registry.js';
import type { Arch, ModelOptions } from '../spec/types.js';
import { initWeights, type Weights } from '../runtime/weights.js';
import { deriveSeed, seededPermutation, splitDataset, subsetDataset, type Dataset } from '../data/dataset.js';
import { FASHION_MNIST_STATS, measureMeanStd, type NormalizationStats, type TransformConfig } from '../data/augment.js';
import { DataLoader } from '../data/loader.js';
import { serializeSafetensors } from '../io/safetensors.js';
import { fitWeights, readModel, type LoadedModel } from '../model/load.js';
import { metadataToStrings, type ModelMetadata } from '../model/metadata.js';
import { float32ToFloat16, type NamedTensors, type Tensor } from '../tensor.js';
import { parseCheckpoint, serializeCheckpoint, CHECKPOINT_VERSION, type DataSettings, type EpochProgress, type TrainState } from '../train/checkpoint.js';
import { Trainer, evaluateSession, type Evaluation, type TrainConfig } from '../train/trainer.js';
import { WeightAverage } from '../train/swa.js';
import { loadModel } from './model.js';
import { makeOutputFolder, readFileBytes, writeFileAtomic } from './fs.js';
import { ensureFashionMnist, loadFashionMnist } from './datasets.js';
import { loadImageFolder } from './image-folder.js';
import { useNodeRuntime } from './runtime.js';
import { writePlot } from './plot.js';
import { heatmap, lineChart } from '../plot/index.js';

/** Loss and accuracy curves (train and test) as one PNG each. */
async function plotCurves(out: string, history: EpochRecord[], title: string): Promise<void> {
  const epochs = history.map((h) => h.epoch + 1);
  await writePlot(join(out, 'accuracy.png'), lineChart({
    title: `${title}: accuracy`, xLabel: 'epoch', yLabel: 'top-1 accuracy',
    series: [
      { name: 'train', points: history.map((h, i) => [epochs[i]!, h.trainAccuracy]) },
      { name: 'test', points: history.map((h, i) => [epochs[i]!, h.testAccuracy]), dashed: true },
    ],
  }));
  await writePlot(join(out, 'loss.png'), lineChart({
    title: `${title}: loss`, xLabel: 'epoch', yLabel: 'cross-entropy',
    series: [
      { name: 'train (label-smoothed)', points: history.map((h, i) => [epochs[i]!, h.trainLoss]) },
      { name: 'test', points: history.map((h, i) => [epochs[i]!, h.testLoss]), dashed: true },
    ],
  }));
}

export async function plotConfusion(path: string, evaluation: Evaluation, classes: readonly string[], title: string): Promise<void> {
  await writePlot(path, heatmap({
    title: `${title}: confusion matrix (accuracy ${(100 * evaluation.accuracy).toFixed(2)}%)`,
    rowLabels: [...classes], colLabels: [...classes], values: evaluation.confusion,
    xLabel: 'predicted', yLabel: 'true', format: (v: number) => String(v),
  }));
}

export interface TrainRunOptions {
  /** Required unless `weights` is given (then: the weights' architecture). */
  arch?: Arch;
  /**
   * Architecture options (alpha, resolution, smallInput, …); classes come from the dataset. With
   * `weights`, the options left out are the weights' own (their α, input size, convention, …).
   */
  model: ModelOptions;
  /** 'fashion-mnist', 'sample' (the bundled 1,000-image subset) or 'folder:<dir>'. */
  dataset: string;
  dataDir?: string;
  /** Fashion-MNIST: download the published files (sha256-checked) if they are not there (ensureFashionMnist). */
  download?: boolean;
  config: TrainConfig;
  out: string;
  resume?: boolean;
  /**
   * Pretrained weights to start from (transfer learning; safetensors, .pth or .h5): the head is
   * re-initialized when its size differs, and the backbone gets its inputs normalized its own way.
   */
  weights?: string;
  augment: { cropPadding: number; horizontalFlip: boolean; randomErasing?: number };
  /** Folder datasets: the fraction held out for evaluation. Default 0.1. */
  validationFraction?: number;
  skipBad?: boolean;
  /** Show a progress bar (on a terminal). */
  progress?: boolean;
  /** Log lines (one per epoch) go here. */
  log?: (line: string) => void;
  /** Stop after this many optimizer steps in this invocation (tests, smoke runs). */
  maxSteps?: number;
  /**
   * Also checkpoint inside an epoch once this many minutes have passed since the last checkpoint,
   * so that a killed run (SIGKILL, power loss: no chance to save) loses at most that much work.
   * Default CHECKPOINT_MINUTES; 0 = only at the end of each epoch and when stopped.
   */
  checkpointMinutes?: number;
  /** Training threads (default: one per core). */
  threads?: number;
  /** Train on this many images of the training set (a seeded random subset; default all). */
  trainImages?: number;
  /**
   * After the last epoch, recompute the BN statistics over this many training images, augmented as
   * in training, under the final weights ("precise BN"; Trainer.recalibrateBatchNorm). 0 = off.
   * Default: AUTO_PRECISE_BN_IMAGES when the run is too short for the BN moving averages
   * (fewer than 10× their window of 1/(1 − decay) steps), else 0.
   */
  preciseBatchNorm?: number;
}

/** Minutes between checkpoints inside an epoch (TrainRunOptions.checkpointMinutes). */
export const CHECKPOINT_MINUTES = 10;

/** Images the BN statistics are recomputed over when a run is too short for the moving averages. */
export const AUTO_PRECISE_BN_IMAGES = 2048;

/**
 * The moving averages of BN with decay d weigh the last ~1/(1 − d) steps; a run of fewer than ten
 * windows leaves them dominated by early-training statistics (the 1,000-image sample trained with
 * the default recipe: 225 steps at Keras' d = 0.99 tested at 19.6%, and at 80.0% with precise BN).
 */
function tooShortForMovingAverages(graph: Graph, steps: number): boolean {
  const decays = graph.nodes.flatMap((n) => (n.op === 'batchNorm' ? [n.attrs.decay] : []));
  return decays.length > 0 && steps < 10 / (1 - Math.max(...decays));
}

/** One line of metrics.jsonl: the state at the end of an epoch. */
export interface EpochRecord {
  /** Counted from 0. */
  epoch: number;
  /** Optimizer steps taken so far. */
  step: number;
  /** The learning rate of the next step (the schedule at `step`; a cosine run ends at 0). */
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface TrainRunResult {
  history: EpochRecord[];
  /** Training images the final BN statistics were recomputed over (0: the moving averages). */
  preciseBatchNormImages?: number;
  final?: Evaluation;
  interrupted: boolean;
  modelPath?: string;
}

/** Inputs up to this size train with the small-input strides by default. */
export const SMALL_INPUT_MAX = 64;

const here = dirname(fileURLToPath(import.meta.url));
/** The bundled sample: <package>/data/fashion-mnist-sample (from dist/src/node). */
export const SAMPLE_DIR = join(here, '..', '..', '..', 'data', 'fashion-mnist-sample');

interface Data {
  train: Dataset;
  test: Dataset;
  stats: NormalizationStats;
  name: string;
  /** Folder datasets with skipBad: the files that failed to decode and were left out. */
  skipped?: string[];
  /** Folder datasets: images per class before the split (the split depends on them). */
  classCounts?: number[];
  /** Folder datasets: SHA-256 of the image paths in load order (the split depends on them too). */
  filesSha256?: string;
}

interface DataRequest {
  dataset: string;
  dataDir?: string | undefined;
  resolution?: ModelOptions['resolution'];
  validationFraction?: number | undefined;
  skipBad?: boolean | undefined;
  download?: boolean | undefined;
}

async function loadData(o: DataRequest, seed: number): Promise<Data> {
  for (const [given, flag] of [[o.dataDir !== undefined, '--data-dir'], [o.download === true, '--download']] as const) {
    if (given && o.dataset !== 'fashion-mnist') {
      throw new MobileNetError('INVALID_ARGUMENT', `${flag} is about the Fashion-MNIST files; it does not apply to --dataset ${o.dataset}`);
    }
  }
  if (o.dataset === 'fashion-mnist' || o.dataset === 'sample') {
    const dataDir = o.dataset === 'sample'
      ? SAMPLE_DIR
      : o.download ? await ensureFashionMnist({ ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }), progress: true }) : o.dataDir;
    const options = dataDir ? { dataDir } : {};
    return {
      train: await loadFashionMnist({ ...options, split: 'train' }),
      test: await loadFashionMnist({ ...options, split: 'test' }),
      stats: FASHION_MNIST_STATS,
      name: o.dataset,
    };
  }
  if (o.dataset.startsWith('folder:')) {
    const dir = o.dataset.slice('folder:'.length);
    const size = o.resolution ?? 224;
    const all = await loadImageFolder(dir, { size, skipBad: o.skipBad ?? false });
    const split = splitDataset(all, o.validationFraction ?? DEFAULT_VALIDATION_FRACTION, seed);
    const classCounts = all.classes.map(() => 0);
    for (let i = 0; i < all.size; i++) classCounts[all.labels[i]!]!++;
    const filesSha256 = createHash('sha256')
      .update(all.files.map((f) => relative(dir, f).split(sep).join('/')).join('\n'))
      .digest('hex');
    return { train: split.train, test: split.validation, stats: measureMeanStd(split.train), name: o.dataset, skipped: all.skipped.map((s) => s.path), classCounts, filesSha256 };
  }
  throw new MobileNetError('INVALID_ARGUMENT', `--dataset must be fashion-mnist, sample or folder:<dir>, got '${o.dataset}'`);
}

/** What a folder looked like when a run started: recorded in its checkpoint and in its model. */
interface FolderRecord {
  classCounts?: number[] | undefined;
  filesSha256?: string | undefined;
}

/**
 * How a folder differs from when a model was trained on it (its seeded split only holds out the same
 * images if every class has the same files), or undefined when it does not (or nothing was recorded).
 */
function folderChange(recorded: FolderRecord | undefined, now: Data, classes: readonly string[]): string | undefined {
  if (!recorded?.classCounts || !now.classCounts) return undefined;
  const [was, is] = [recorded.classCounts, now.classCounts];
  if (was.length !== is.length) return `it had ${was.length} classes, it now has ${is.length}`;
  const changed = is.flatMap((n, c) => (n === was[c] ? [] : [`'${classes[c]}' had ${was[c]} images, now ${n}`]));
  if (changed.length === 0) {
    // Models from before the file list was recorded only have the counts to go by.
    const renamed = recorded.filesSha256 !== undefined && now.filesSha256 !== undefined && recorded.filesSha256 !== now.filesSha256;
    return renamed ? 'the same number of images per class, but other file names: files were renamed, moved between classes or replaced by others' : undefined;
  }
  return `${changed.slice(0, 3).join('; ')}${changed.length > 3 ? `; ${changed.length - 3} more classes changed` : ''}`;
}

/** The held-out fraction of a folder dataset's seeded split, unless told otherwise. */
export const DEFAULT_VALIDATION_FRACTION = 0.1;

/** Test-set batches in file order, without augmentation (every evaluation here reads them so). */
function evaluationLoader(test: Dataset, transform: TransformConfig): DataLoader {
  return new DataLoader(test, { batchSize: 256, transform, augment: false, shuffle: false });
}

/** A seeded random subset of `images` training images (at least one batch). */
function trainSubset(train: Dataset, images: number, config: TrainConfig): Dataset {
  if (!Number.isInteger(images) || images < config.batchSize) {
    throw new MobileNetError('INVALID_ARGUMENT', `trainImages must be an integer of at least one batch (${config.batchSize}), got ${images}`);
  }
  const order = seededPermutation(train.size, deriveSeed(config.seed, 0x5b5e7));
  return images < train.size ? subsetDataset(train, order.subarray(0, images)) : train;
}

/**
 * Precise BN over about `images` training images in a seeded order, with the training augmentation
 * of `transform`: the weights were trained under the statistics of augmented batches, and clean
 * images' statistics do not fit them (the 40-epoch run with random erasing: 94.35% with its moving
 * averages, 94.36% after precise BN on augmented images, 94.07% on clean ones). Returns the count.
 */
export function recalibrate(trainer: Trainer, train: Dataset, transform: TransformConfig, batchSize: number, seed: number, images: number): number {
  const loader = new DataLoader(train, { batchSize, transform, augment: true, shuffle: true, dropLast: true, seed: deriveSeed(seed, 0xb2) });
  const count = Math.max(1, Math.min(loader.batchesPerEpoch, Math.round(images / batchSize)));
  // One batch at a time: the loader's buffer is consumed before the next batch overwrites it.
  return trainer.recalibrateBatchNorm((function* () {
    for (let i = 0; i < count; i++) yield loader.batch(0, i);
  })());
}

export interface RecalibrateOptions {
  /** 'fashion-mnist' or 'sample' (the data the model was trained on). */
  dataset: string;
  dataDir?: string;
  /** The subset the run trained on (runTraining's trainImages), if any. */
  trainImages?: number;
  /** The run's configuration (batch size and seed pick the calibration batches). */
  config: TrainConfig;
  /** The run's augmentation (runTraining's `augment`): the statistics are measured under it. */
  augment: TrainRunOptions['augment'];
  /** Training images to recompute the statistics over. */
  images: number;
}

/**
 * Precise BN for a finished run folder (runTraining's output): recompute the BN statistics of its
 * model.safetensors, evaluate on the test set, and rewrite model.safetensors and evaluation.json.
 */
export async function recalibrateRun(dir: string, o: RecalibrateOptions): Promise<Evaluation> {
  useNodeRuntime();
  const modelPath = join(dir, 'model.safetensors');
  const loaded = await readModel(readFileBytes(modelPath), { fileName: modelPath });
  const data = await loadData({ dataset: o.dataset, dataDir: o.dataDir }, o.config.seed);
  if (o.trainImages !== undefined) data.train = trainSubset(data.train, o.trainImages, o.config);
  const [height, width] = loaded.graph.input.shape as [number, number, number];
  const transform = { ...statsFromPreprocess(loaded.metadata.preprocess), size: { height, width } };
  const trainer = await Trainer.create(loaded.graph, loaded.weights, o.config);
  try {
    const used = recalibrate(trainer, data.train, { ...transform, ...o.augment }, o.config.batchSize, o.config.seed, o.images);
    const testLoader = evaluationLoader(data.test, transform);
    const evaluation = await trainer.evaluate(testLoader.epoch());
    writeFileAtomic(modelPath, serializeSafetensors(toFloat16Tensors(trainer.evaluationWeights()), metadataToStrings(loaded.metadata)));
    writeFileAtomic(join(dir, 'evaluation.json'), `${JSON.stringify({ ...evaluation, classes: loaded.metadata.labels, preciseBatchNormImages: used }, null, 1)}\n`);
    return evaluation;
  } finally {
    await trainer.close();
  }
}

/** A model's (x / divisor − mean) / std as the loader's (x / 255 − mean') / std'. */
function statsFromPreprocess(p: ModelMetadata['preprocess']): NormalizationStats {
  const k = p.divisor / 255;
  return { mean: p.mean.map((m) => m * k), std: p.std.map((s) => s * k) };
}

function toFloat16Tensors(weights: Weights): NamedTensors {
  const out: NamedTensors = new Map<string, Tensor>();
  for (const [name, t] of weights) {
    const half = new Uint16Array(t.data.length);
    for (let i = 0; i < half.length; i++) half[i] = float32ToFloat16(t.data[i]!);
    out.set(name, { dtype: 'float16', shape: t.shape, data: half });
  }
  return out;
}

/** JSON with object keys sorted, so that equal settings compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v);
}

function sameConfig(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/**
 * Pretrained weights, with the architecture and options they were made for (minus the head's size).
 * What the caller set (arch, α, …) guides reading files that do not say (.pth, .h5).
 */
async function readPretrained(path: string, arch: Arch | undefined, given: ModelOptions): Promise<{ arch: Arch; options: ModelOptions; loaded: LoadedModel }> {
  const loaded = await readModel(readFileBytes(path), { fileName: path, strict: false, ...(arch ? { model: arch } : {}), options: given });
  const spec = loaded.graph.spec;
  if (!spec) throw new MobileNetError('UNSUPPORTED', `${path}: an ONNX graph carries no architecture to rebuild for training; start from safetensors, .pth or .h5 weights`);
  const { classes: _classes, ...options } = loaded.metadata.options;
  return { arch: spec.arch, options: { ...options, alpha: spec.alpha, resolution: { height: spec.height, width: spec.width }, smallInput: spec.smallInput }, loaded };
}

/** The options the caller set (an explicit undefined does not erase a pretrained model's value). */
function definedOptions(options: ModelOptions): ModelOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ModelOptions;
}

export async function runTraining(o: TrainRunOptions): Promise<TrainRunResult> {
  useNodeRuntime();
  const log = o.log ?? (() => undefined);
  const config = o.config;
  const given = definedOptions(o.model);
  const pretrained = o.weights ? await readPretrained(o.weights, o.arch, given) : undefined;
  const arch = o.arch ?? pretrained?.arch;
  if (!arch) throw new MobileNetError('INVALID_ARGUMENT', 'runTraining needs an architecture (arch) unless it starts from weights');
  const model: ModelOptions = { ...pretrained?.options, ...given };
  const data = await loadData({ dataset: o.dataset, dataDir: o.dataDir, resolution: model.resolution, validationFraction: o.validationFraction, skipBad: o.skipBad, download: o.download }, config.seed);
  if (data.skipped?.length) {
    log(`skipped ${data.skipped.length} image(s) that failed to decode: ${data.skipped.slice(0, 5).join(', ')}${data.skipped.length > 5 ? ', …' : ''}`);
  }
  if (o.trainImages !== undefined) data.train = trainSubset(data.train, o.trainImages, config);
  const classes = [...data.train.classes];
  const inputSize = model.resolution ?? data.train.height;
  const side = typeof inputSize === 'number' ? inputSize : Math.min(inputSize.height, inputSize.width);
  // Small images (Fashion-MNIST, CIFAR) get the small-input strides unless told otherwise.
  const smallInput = model.smallInput ?? side <= SMALL_INPUT_MAX;
  const modelOptions: ModelOptions = { ...model, resolution: inputSize, smallInput, classes: classes.length };
  makeOutputFolder(o.out);
  const checkpointPath = join(o.out, 'checkpoint.safetensors');
  const metricsPath = join(o.out, 'metrics.jsonl');

  let graph: Graph = buildGraph(createSpec(arch, modelOptions));
  let params: Weights = initWeights(graph, { seed: config.seed });
  let position = { epoch: 0, batch: 0 };
  const dataSettings: DataSettings = { dataset: o.dataset, augment: o.augment };
  if (o.trainImages !== undefined) dataSettings.trainImages = o.trainImages;
  if (o.dataset.startsWith('folder:')) dataSettings.validationFraction = o.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  if (data.classCounts) dataSettings.classCounts = data.classCounts;
  if (data.filesSha256) dataSettings.filesSha256 = data.filesSha256;
  let resumedState: TrainState | undefined;
  let resumedOptimizer;
  let resumedEma;
  const swaEpochs = config.swaEpochs ?? 0;
  let swa = swaEpochs > 0 ? new WeightAverage() : undefined;
  let history: EpochRecord[] = [];

  if (o.resume && existsSync(checkpointPath)) {
    const c = parseCheckpoint(readFileBytes(checkpointPath), checkpointPath);
    if (c.model.model !== arch || !sameConfig(c.model.options, modelOptions)) {
      throw new MobileNetError(
        'INVALID_ARGUMENT',
        `cannot resume: ${checkpointPath} holds ${c.model.model} ${JSON.stringify(c.model.options)}, but this run asks for ${arch} ${JSON.stringify(modelOptions)}`,
      );
    }
    // Weight averaging (and its held learning rate) changes nothing before the averaged epochs: it
    // may be turned on or changed on resume as long as none of them has begun.
    const { swaEpochs: was = 0, swaLr: wasLr, ...trainedWith } = c.state.config;
    const { swaEpochs: now = 0, swaLr: nowLr, ...asked } = config;
    const swaChangeable = (was !== now || wasLr !== nowLr) && (c.state.swa?.count ?? 0) === 0 && c.state.position.epoch <= config.epochs - Math.max(was, now);
    if (!sameConfig(swaChangeable ? trainedWith : c.state.config, swaChangeable ? asked : config)) {
      throw new MobileNetError('INVALID_ARGUMENT', `cannot resume: the checkpoint was trained with ${JSON.stringify(c.state.config)}, this run asks for ${JSON.stringify(config)}`);
    }
    const change = folderChange(c.state.data, data, classes);
    if (change) {
      throw new MobileNetError('INVALID_ARGUMENT', `cannot resume: the folder ${o.dataset.slice('folder:'.length)} changed since the run started (${change}), so its seeded split would hold out other images`);
    }
    // A run started before the file list was recorded resumes on the counts alone.
    if (c.state.data && c.state.data.filesSha256 === undefined) delete dataSettings.filesSha256;
    if (c.state.data && !sameConfig(c.state.data, dataSettings)) {
      throw new MobileNetError('INVALID_ARGUMENT', `cannot resume: the checkpoint was trained on ${JSON.stringify(c.state.data)}, this run asks for ${JSON.stringify(dataSettings)}`);
    }
    params = c.params;
    // Inputs stay normalized as the run began (a pretrained backbone's own way, when it started from one).
    data.stats = statsFromPreprocess(c.model.preprocess);
    position = c.state.position;
    resumedState = c.state;
    resumedOptimizer = c.optimizer;
    resumedEma = c.ema;
    if (swa && c.swa) swa = WeightAverage.fromState({ count: c.state.swa?.count ?? 0, tensors: c.swa });
    if (existsSync(metricsPath)) {
      history = readFileSync(metricsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as EpochRecord).filter((r) => r.epoch < position.epoch);
    }
    log(`resuming from ${checkpointPath} at epoch ${position.epoch + 1}, batch ${position.batch}`);
  } else if (pretrained) {
    params = fitWeights(graph, pretrained.loaded.weights, { strict: false, source: o.weights! });
    // The backbone learned on inputs normalized its way (ImageNet's mean/std for torchvision, x/127.5 − 1
    // for Keras, …): feed it the same, not the new data's own statistics.
    data.stats = statsFromPreprocess(pretrained.loaded.metadata.preprocess);
  }

  let trainer = await Trainer.create(graph, params, config, o.threads === undefined ? {} : { threads: o.threads });
  if (resumedState && resumedOptimizer) trainer.loadState({ step: resumedState.step, optimizer: resumedOptimizer, ...(resumedEma ? { ema: resumedEma } : {}) });
  const transform = { ...data.stats, size: inputSize, ...o.augment };
  const loader = new DataLoader(data.train, { batchSize: config.batchSize, transform, augment: true, shuffle: true, dropLast: true, seed: config.seed, position });
  const testLoader = evaluationLoader(data.test, { ...data.stats, size: inputSize });
  const preprocess = {
    crop: { height: typeof inputSize === 'number' ? inputSize : inputSize.height, width: typeof inputSize === 'number' ? inputSize : inputSize.width },
    interpolation: 'bilinear' as const,
    divisor: 255,
    mean: [0, 1, 2].map((c) => data.stats.mean[data.stats.mean.length === 1 ? 0 : c]!) as [number, number, number],
    std: [0, 1, 2].map((c) => data.stats.std[data.stats.std.length === 1 ? 0 : c]!) as [number, number, number],
    // A model that only saw gray images (Fashion-MNIST) gets colour photos as gray too.
    ...(data.train.channels === 1 ? { grayscale: true } : {}),
  };
  const modelMeta: ModelMetadata = { model: arch, options: modelOptions, preprocess, labels: classes, source: `trained by mobilenet-ts on ${data.name}` };
  if (dataSettings.validationFraction !== undefined) {
    modelMeta.split = { seed: config.seed, validationFraction: dataSettings.validationFraction };
    if (data.classCounts) modelMeta.split.classCounts = data.classCounts;
    if (data.filesSha256) modelMeta.split.filesSha256 = data.filesSha256;
  }

  /** Where the checkpoint on disk stands (a diverged run names it: it is the last good state). */
  let saved = resumedState ? position : undefined;
  const checkpointMs = (o.checkpointMinutes ?? CHECKPOINT_MINUTES) * 60_000;
  if (!(checkpointMs >= 0)) throw new MobileNetError('INVALID_ARGUMENT', `checkpointMinutes must be a number ≥ 0, got ${o.checkpointMinutes}`);
  let savedAt = performance.now();
  const saveCheckpoint = (pos: { epoch: number; batch: number }, progress?: EpochProgress) => {
    const s = trainer.state();
    const state: TrainState = {
      version: CHECKPOINT_VERSION,
      config,
      step: s.step,
      position: pos,
      optimizer: { kind: s.optimizer.kind, scalars: s.optimizer.scalars },
    };
    if (s.ema) state.ema = { kind: s.ema.kind, scalars: s.ema.scalars };
    if (progress) state.progress = progress;
    state.data = dataSettings;
    const average = swa && swa.size > 0 ? swa.state() : undefined;
    if (average) state.swa = { count: average.count };
    const checkpoint = { model: modelMeta, state, params, optimizer: s.optimizer, ...(s.ema ? { ema: s.ema } : {}), ...(average ? { swa: average.tensors } : {}) };
    writeFileAtomic(checkpointPath, serializeCheckpoint(checkpoint));
    saved = pos;
    savedAt = performance.now();
  };

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  // Ctrl-C, and the TERM a shutdown or a job scheduler sends: finish the step, save, exit.
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const bar = o.progress && process.stderr.isTTY
    ? new SingleBar({ stream: process.stderr, format: 'epoch {epoch} [{bar}] {value}/{total} | loss {loss} | acc {acc}% | {ips} img/s | ETA {eta_formatted}', hideCursor: true })
    : undefined;
  let steps = 0;
  /** The last epoch's test evaluation and the step it was taken at (the final one reuses it). */
  let lastEvaluation: { step: number; evaluation: Evaluation } | undefined;
  try {
    for (let epoch = position.epoch; epoch < config.epochs && !interrupted; epoch++) {
      const first = epoch === position.epoch ? position.batch : 0;
      // A run resumed inside an epoch carries on that epoch's totals (and time), not just its remaining batches'.
      const carried = first > 0 ? resumedState?.progress : undefined;
      let lossSum = carried?.lossSum ?? 0;
      let correct = carried?.correct ?? 0;
      let seen = carried?.seen ?? 0;
      const start = performance.now() - (carried?.seconds ?? 0) * 1000;
      const progress = (): EpochProgress => ({ lossSum, correct, seen, seconds: (performance.now() - start) / 1000 });
      bar?.start(loader.batchesPerEpoch, first, { epoch: epoch + 1, loss: '-', acc: '-', ips: '-' });
      let batchIndex = first;
      for (; batchIndex < loader.batchesPerEpoch; batchIndex++) {
        const b = loader.batch(epoch, batchIndex);
        const r = await trainer.trainStep(b.images.subarray(0, b.size * b.height * b.width * 3), b.labels.subarray(0, b.size), loader.batchesPerEpoch).catch((error: unknown) => {
          if (!(error instanceof MobileNetError && error.code === 'DIVERGED')) throw error;
          const kept = saved ? `${checkpointPath} (epoch ${saved.epoch + 1}, batch ${saved.batch}) is kept, untouched` : 'no checkpoint had been written yet';
          throw new MobileNetError('DIVERGED', `${error.message}; ${kept}`);
        });
        // A step never waits on I/O: give signal handlers (Ctrl-C, TERM) their turn after each one.
        await new Promise<void>((resolve) => setImmediate(resolve));
        lossSum += r.loss * r.size;
        correct += r.correct;
        seen += r.size;
        steps++;
        const seconds = (performance.now() - start) / 1000;
        bar?.update(batchIndex + 1, { loss: (lossSum / seen).toFixed(3), acc: ((100 * correct) / seen).toFixed(1), ips: (seen / seconds).toFixed(0) });
        if (!bar && (batchIndex + 1) % 100 === 0) {
          log(`epoch ${epoch + 1} batch ${batchIndex + 1}/${loader.batchesPerEpoch}: loss ${(lossSum / seen).toFixed(4)} acc ${((100 * correct) / seen).toFixed(2)}% ${(seen / seconds).toFixed(0)} img/s`);
        }
        if (interrupted || (o.maxSteps !== undefined && steps >= o.maxSteps)) {
          batchIndex++;
          break;
        }
        if (checkpointMs > 0 && batchIndex + 1 < loader.batchesPerEpoch && performance.now() - savedAt >= checkpointMs) {
          saveCheckpoint({ epoch, batch: batchIndex + 1 }, progress());
        }
      }
      bar?.stop();
      if (batchIndex < loader.batchesPerEpoch) {
        // Stopped inside the epoch: save where to continue, and end.
        saveCheckpoint({ epoch, batch: batchIndex }, progress());
        interrupted = true;
        log(`stopped at epoch ${epoch + 1}, batch ${batchIndex}; checkpoint saved to ${checkpointPath} (continue with --resume)`);
        break;
      }
      const seconds = (performance.now() - start) / 1000;
      const evaluation = await trainer.evaluate(testLoader.epoch());
      lastEvaluation = { step: trainer.step, evaluation };
      const record: EpochRecord = {
        epoch,
        step: trainer.step,
        lr: trainer.learningRate(loader.batchesPerEpoch),
        trainLoss: lossSum / Math.max(1, seen),
        trainAccuracy: correct / Math.max(1, seen),
        testLoss: evaluation.loss,
        testAccuracy: evaluation.accuracy,
        seconds,
        imagesPerSecond: seen / seconds,
      };
      history.push(record);
      writeFileAtomic(metricsPath, history.map((h) => JSON.stringify(h)).join('\n') + '\n');
      // Before the checkpoint, which then holds the average with this epoch in it.
      if (swa && epoch + 1 > config.epochs - swaEpochs) swa.add(params);
      saveCheckpoint({ epoch: epoch + 1, batch: 0 });
      await plotCurves(o.out, history, `${graph.name} on ${data.name}`);
      log(
        `epoch ${epoch + 1}/${config.epochs}: train loss ${record.trainLoss.toFixed(4)} acc ${(100 * record.trainAccuracy).toFixed(2)}% | test loss ${record.testLoss.toFixed(4)} acc ${(100 * record.testAccuracy).toFixed(2)}% | ${record.imagesPerSecond.toFixed(0)} img/s, ${seconds.toFixed(1)} s`,
      );
      position = { epoch: epoch + 1, batch: 0 };
      if (interrupted) log(`stopped after epoch ${epoch + 1}; checkpoint saved to ${checkpointPath} (continue with --resume)`);
      if (o.maxSteps !== undefined && steps >= o.maxSteps) {
        interrupted = epoch + 1 < config.epochs;
        break;
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    bar?.stop();
  }
  const result: TrainRunResult = { history, interrupted };
  const averaged = swa !== undefined && swa.size > 0;
  if (!interrupted && swa && averaged) {
    // The averaged weights are a network no step has trained: evaluate and export those instead.
    await trainer.close();
    trainer = await Trainer.create(graph, swa.weights(), config, o.threads === undefined ? {} : { threads: o.threads });
    lastEvaluation = undefined;
    log(`weight averaging: the model is the mean of the weights after the last ${swa.size} epochs`);
  }
  if (!interrupted) {
    let recalibrated = 0;
    // A frozen backbone keeps its statistics: nothing to recompute.
    const totalSteps = config.epochs * loader.batchesPerEpoch;
    // Averaged weights need statistics of their own: their BN moving averages are an average too.
    const auto = !config.freezeBackbone && (tooShortForMovingAverages(graph, totalSteps) || averaged);
    const precise = o.preciseBatchNorm ?? (auto ? AUTO_PRECISE_BN_IMAGES : 0);
    if (precise) {
      recalibrated = recalibrate(trainer, data.train, transform, config.batchSize, config.seed, precise);
      const reason = averaged ? 'averaged weights need statistics of their own' : `the run's ${totalSteps} steps are too few for the BN moving averages`;
      const why = o.preciseBatchNorm === undefined ? ` (${reason}; --precise-bn 0 turns this off)` : '';
      if (recalibrated) log(`precise BN: statistics recomputed over ${recalibrated} training images${why}`);
      else if (config.emaDecay > 0) log('precise BN: skipped; with --ema the exported model uses the averaged BN statistics, as TF-slim does');
    }
    const final = !recalibrated && lastEvaluation?.step === trainer.step ? lastEvaluation.evaluation : await trainer.evaluate(testLoader.epoch());
    result.preciseBatchNormImages = recalibrated;
    result.final = final;
    const modelPath = join(o.out, 'model.safetensors');
    writeFileAtomic(modelPath, serializeSafetensors(toFloat16Tensors(trainer.evaluationWeights()), metadataToStrings(modelMeta)));
    writeFileAtomic(join(o.out, 'evaluation.json'), `${JSON.stringify({ ...final, classes, preciseBatchNormImages: recalibrated }, null, 1)}\n`);
    await plotConfusion(join(o.out, 'confusion.png'), final, classes, `${graph.name} on ${data.name}`);
    result.modelPath = modelPath;
  }
  await trainer.close();
  return result;
}

export interface EvaluateOptions {
  dataset: string;
  dataDir?: string;
  /** Write evaluation.json here. */
  out?: string;
  /** Flip test-time augmentation (evaluateSession's `flip`). */
  flip?: boolean;
  /** Folder datasets: skip and count files that fail to decode (as the training run may have). */
  skipBad?: boolean;
  /** Fashion-MNIST: download the published files (sha256-checked) if they are not there. */
  download?: boolean;
}

/** Evaluate a model file on a dataset with the model's own preprocessing geometry and normalization. */
export async function evaluateModel(path: string, options: EvaluateOptions): Promise<Evaluation & { classes: string[]; skipped?: string[] }> {
  const model = await loadModel(path);
  const [h, w] = model.inputShape as [number, number, number];
  // A folder is split as the model's training run split it (its metadata says how); else seed 0, 10%.
  const split = model.metadata.split;
  const request = { dataset: options.dataset, dataDir: options.dataDir, resolution: { height: h, width: w }, validationFraction: split?.validationFraction, skipBad: options.skipBad, download: options.download };
  const data = await loadData(request, split?.seed ?? 0);
  const classes = data.train.classes;
  if (classes.length !== model.classes) {
    throw new MobileNetError('INVALID_ARGUMENT', `${path} has ${model.classes} classes, the dataset ${options.dataset} has ${classes.length}`);
  }
  // Same count, other names (or order): the per-class numbers would land on the wrong classes.
  const labels = model.metadata.labels;
  const differs = labels.findIndex((l, i) => l !== classes[i]);
  if (labels.length > 0 && differs >= 0) {
    throw new MobileNetError(
      'INVALID_ARGUMENT',
      `${path} was trained on other classes than ${options.dataset} has: its class ${differs} is '${labels[differs]}', the dataset's is '${classes[differs]}'`,
    );
  }
  const change = folderChange(split, data, classes);
  if (change) {
    throw new MobileNetError(
      'INVALID_ARGUMENT',
      `the folder changed since ${path} was trained on it (${change}): its seeded split would hold out other images, some of them seen in training`,
    );
  }
  const loader = evaluationLoader(data.test, { ...statsFromPreprocess(model.metadata.preprocess), size: { height: h, width: w } });
  const evaluation = evaluateSession(model.session, loader.epoch(), model.classes, { flip: options.flip ?? false });
  await model.release();
  const result = {
    ...evaluation,
    classes: [...data.test.classes],
    ...(options.flip ? { testTimeAugmentation: 'flip' } : {}),
    ...(data.skipped?.length ? { skipped: data.skipped } : {}),
  };
  if (options.out) {
    makeOutputFolder(options.out);
    writeFileAtomic(join(options.out, 'evaluation.json'), `${JSON.stringify(result, null, 1)}\n`);
    await plotConfusion(join(options.out, 'confusion.png'), evaluation, result.classes, `${model.graph.name} on ${options.dataset}`);
  }
  return result;
}

/**
 * Training checkpoints: one safetensors file with the parameters (`param/<name>`), the optimizer's
 * slots (`opt/<slot>`), the EMA's averages (`ema/<name>`) and, in the metadata, the model's
 * description (the same `mobilenet.*` keys as an exported model) plus `train.state`: the config,
 * the completed steps and the data loader's position, so that a resumed run continues exactly.
 */
import { MobileNetError } from '../errors.js';
import { parseSafetensors, serializeSafetensors } from '../io/safetensors.js';
import { isSha256, metadataFromStrings, metadataToStrings, type ModelMetadata } from '../model/metadata.js';
import type { Weights } from '../runtime/weights.js';
import { toFloat32, type NamedTensors, type Tensor } from '../tensor.js';
import { emaStateKey } from './ema.js';
import type { NamedState } from './optimizers.js';
import type { TrainConfig } from './trainer.js';

export const CHECKPOINT_VERSION = 1;
/** The metadata entry that makes a safetensors file a checkpoint. */
export const CHECKPOINT_STATE_KEY = 'train.state';

export interface TrainState {
  version: number;
  config: TrainConfig;
  /** Optimizer steps taken. */
  step: number;
  /** Where the data loader continues. */
  position: { epoch: number; batch: number };
  optimizer: { kind: string; scalars: Record<string, number> };
  ema?: { kind: string; scalars: Record<string, number> };
  /** With --swa-epochs: how many epochs' weights the stored average holds (its tensors are swa/<name>). */
  swa?: { count: number };
  /** A checkpoint saved inside an epoch: that epoch's totals so far, so that its resumed metrics cover all of its batches. */
  progress?: EpochProgress;
  /** What the run trained on and how it was augmented; a resumed run must ask for the same (absent in older checkpoints). */
  data?: DataSettings;
}

/** The data side of a run that the batches depend on (not where the files are: a folder may move). */
export interface DataSettings {
  dataset: string;
  /** A seeded subset of the training images (default all). */
  trainImages?: number;
  /** Folder datasets: the held-out fraction of the seeded split. */
  validationFraction?: number;
  /** Folder datasets: images per class when the run started (the seeded split depends on them). */
  classCounts?: number[];
  /** Folder datasets: SHA-256 (hex) of the image paths, relative and '/'-separated, one per line in load order. */
  filesSha256?: string;
  augment: { cropPadding: number; horizontalFlip: boolean; randomErasing?: number };
}

/** The training totals of a partly done epoch. */
export interface EpochProgress {
  /** Sum over the images of the (label-smoothed) training loss. */
  lossSum: number;
  correct: number;
  seen: number;
  /** Wall time spent on the epoch so far. */
  seconds: number;
}

export interface Checkpoint {
  model: ModelMetadata;
  state: TrainState;
  params: Weights;
  optimizer: NamedState;
  ema?: NamedState;
  /** The running weight average (stochastic weight averaging), when the run keeps one. */
  swa?: Map<string, Tensor<'float32'>>;
}

export function serializeCheckpoint(c: Checkpoint): Uint8Array {
  const tensors: NamedTensors = new Map<string, Tensor>();
  for (const [name, t] of c.params) tensors.set(`param/${name}`, t);
  for (const [name, t] of c.optimizer.tensors) tensors.set(`opt/${name}`, t);
  if (c.ema) for (const [name, t] of c.ema.tensors) tensors.set(`ema/${name}`, t);
  if (c.swa) for (const [name, t] of c.swa) tensors.set(`swa/${name}`, t);
  const metadata = { ...metadataToStrings(c.model), [CHECKPOINT_STATE_KEY]: JSON.stringify(c.state) };
  return serializeSafetensors(tensors, metadata);
}

export function parseCheckpoint(bytes: Uint8Array, where: string): Checkpoint {
  return checkpointFromSafetensors(parseSafetensors(bytes), where);
}

/** A checkpoint from an already parsed safetensors file (readModel has parsed it to find out what it is). */
export function checkpointFromSafetensors({ tensors, metadata }: { tensors: NamedTensors; metadata: Record<string, string> }, where: string): Checkpoint {
  const model = metadataFromStrings(metadata, where);
  const raw = metadata[CHECKPOINT_STATE_KEY];
  if (!model || raw === undefined) throw new MobileNetError('INVALID_FORMAT', `${where}: not a mobilenet-ts training checkpoint (no train.state metadata)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new MobileNetError('INVALID_FORMAT', `${where}: train.state is not valid JSON`);
  }
  checkTrainState(parsed, where);
  const state = parsed;
  const params: Weights = new Map();
  const opt = new Map<string, Tensor<'float32'>>();
  const ema = new Map<string, Tensor<'float32'>>();
  const swa = new Map<string, Tensor<'float32'>>();
  for (const [key, t] of tensors) {
    const f: Tensor<'float32'> = { dtype: 'float32', shape: [...t.shape], data: toFloat32(t) };
    if (key.startsWith('param/')) params.set(key.slice(6), f);
    else if (key.startsWith('opt/')) opt.set(key.slice(4), f);
    else if (key.startsWith('ema/')) ema.set(key.slice(4), f);
    else if (key.startsWith('swa/')) swa.set(key.slice(4), f);
    else throw new MobileNetError('INVALID_FORMAT', `${where}: unexpected tensor ${key} in a checkpoint`);
  }
  const checkpoint: Checkpoint = { model, state, params, optimizer: { kind: state.optimizer.kind, tensors: opt, scalars: state.optimizer.scalars } };
  if (state.ema) checkpoint.ema = { kind: state.ema.kind, tensors: ema, scalars: state.ema.scalars };
  if ((state.swa?.count ?? 0) > 0 !== swa.size > 0) {
    throw new MobileNetError('INVALID_FORMAT', `${where}: train.state says the weight average holds ${state.swa?.count ?? 0} epochs, but the file has ${swa.size} swa/ tensors`);
  }
  if (swa.size > 0) checkpoint.swa = swa;
  return checkpoint;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * train.state's shape, checked field by field before a resumed run trusts it. The config is only
 * checked to be an object: a resumed run refuses any config that differs from its own.
 */
function checkTrainState(state: unknown, where: string): asserts state is TrainState {
  const bad = (what: string) => new MobileNetError('INVALID_FORMAT', `${where}: train.state ${what}`);
  if (!isRecord(state)) throw bad('is not a JSON object');
  if (state.version !== CHECKPOINT_VERSION) {
    throw new MobileNetError('UNSUPPORTED', `${where}: checkpoint version ${String(state.version)}, this mobilenet-ts reads version ${CHECKPOINT_VERSION}`);
  }
  if (!isRecord(state.config)) throw bad('has no config object');
  if (!isCount(state.step)) throw bad(`step must be a whole number ≥ 0, got ${JSON.stringify(state.step)}`);
  const position = state.position;
  if (!isRecord(position) || !isCount(position.epoch) || !isCount(position.batch)) {
    throw bad(`position must be {epoch, batch} with whole numbers ≥ 0, got ${JSON.stringify(position)}`);
  }
  const checkSlots = (name: string, v: unknown) => {
    if (!isRecord(v) || typeof v.kind !== 'string' || !isRecord(v.scalars) || !Object.values(v.scalars).every((x) => typeof x === 'number')) {
      throw bad(`${name} must be {kind, scalars} with numeric scalars, got ${JSON.stringify(v)}`);
    }
  };
  checkSlots('optimizer', state.optimizer);
  if (state.swa !== undefined && (!isRecord(state.swa) || !isCount(state.swa.count))) throw bad(`swa must be {count: a whole number}, got ${JSON.stringify(state.swa)}`);
  if (state.ema !== undefined) checkSlots('ema', state.ema);
  const d = state.data;
  if (d !== undefined && (!isRecord(d) || typeof d.dataset !== 'string' || !isRecord(d.augment))) {
    throw bad(`data must be {dataset, augment, …}, got ${JSON.stringify(d)}`);
  }
  if (d !== undefined && d.classCounts !== undefined && !(Array.isArray(d.classCounts) && d.classCounts.every(isCount))) {
    throw bad(`data.classCounts must be whole numbers ≥ 0, got ${JSON.stringify(d.classCounts)}`);
  }
  if (d !== undefined && d.filesSha256 !== undefined && !isSha256(d.filesSha256)) {
    throw bad(`data.filesSha256 must be 64 hexadecimal digits, got ${JSON.stringify(d.filesSha256)}`);
  }
  const p = state.progress;
  if (p !== undefined) {
    const ok = isRecord(p) && isCount(p.correct) && isCount(p.seen) && (p.correct as number) <= (p.seen as number)
      && typeof p.lossSum === 'number' && Number.isFinite(p.lossSum) && typeof p.seconds === 'number' && (p.seconds as number) >= 0;
    if (!ok) throw bad(`progress must be {lossSum, correct ≤ seen, seen, seconds ≥ 0}, got ${JSON.stringify(p)}`);
  }
}

/**
 * The weights a checkpoint's run evaluates and exports (Trainer.evaluationWeights): its parameters,
 * with the EMA's averages where the run keeps them.
 */
export function checkpointEvaluationWeights(c: Checkpoint): Weights {
  const weights: Weights = new Map(c.params);
  for (const name of c.params.keys()) {
    const average = c.ema?.tensors.get(emaStateKey(name));
    if (average) weights.set(name, average);
  }
  return weights;
}

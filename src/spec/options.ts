/**
 * Option validation and per-convention defaults. Every bad option is refused with a message that
 * names the value and what is allowed; unknown option names are refused too, since a misspelt
 * option silently ignored builds the wrong network.
 */
import { invalidArgument } from '../errors.js';
import {
  CONVENTIONS,
  OUTPUT_STRIDES,
  PADDING_RULES,
  type Arch,
  type CommonOptions,
  type Convention,
  type ModelOptions,
  type OutputStride,
  type PaddingRule,
  type ResolvedCommon,
  type V2BlockRow,
} from './types.js';

export const MIN_RESOLUTION = 32;
/** With smallInput the network downsamples by 8, so 8-pixel inputs still work (28×28 Fashion-MNIST). */
export const MIN_SMALL_RESOLUTION = 8;

interface ConventionDefaults {
  padding: PaddingRule;
  batchNormEpsilon: number;
  batchNormDecay: number;
  classes: number;
  dropout: number;
}

/**
 * What each source's published models use. BN decay in TF terms (PyTorch momentum 0.1 = decay 0.9).
 * Sources: torchvision mobilenetv2.py, keras-applications mobilenet.py / mobilenet_v2.py,
 * tensorflow/models research/slim nets/mobilenet_v1.py and nets/mobilenet/mobilenet_v2.py.
 */
const DEFAULTS: Record<Arch, Record<Convention, ConventionDefaults>> = {
  mobilenet_v1: {
    torchvision: { padding: 'symmetric', batchNormEpsilon: 1e-5, batchNormDecay: 0.9, classes: 1000, dropout: 0.001 },
    keras: { padding: 'keras-v1', batchNormEpsilon: 1e-3, batchNormDecay: 0.99, classes: 1000, dropout: 0.001 },
    slim: { padding: 'same', batchNormEpsilon: 1e-3, batchNormDecay: 0.9997, classes: 1001, dropout: 0.001 },
  },
  mobilenet_v2: {
    torchvision: { padding: 'symmetric', batchNormEpsilon: 1e-5, batchNormDecay: 0.9, classes: 1000, dropout: 0.2 },
    keras: { padding: 'same', batchNormEpsilon: 1e-3, batchNormDecay: 0.999, classes: 1000, dropout: 0 },
    slim: { padding: 'same', batchNormEpsilon: 1e-3, batchNormDecay: 0.997, classes: 1001, dropout: 0.2 },
  },
};

/** The convention a model uses when none is given: torchvision publishes V2, Keras publishes V1. */
export function defaultConvention(arch: Arch): Convention {
  return arch === 'mobilenet_v1' ? 'keras' : 'torchvision';
}

const COMMON_KEYS = [
  'alpha',
  'resolution',
  'classes',
  'includeTop',
  'pooling',
  'dropout',
  'outputStride',
  'convention',
  'padding',
  'batchNormEpsilon',
  'activation',
  'smallInput',
] as const;
const V1_KEYS = ['depthMultiplier', 'minDepth', 'rounding', 'separable'] as const;
const V2_KEYS = ['expansion', 'blocks', 'roundNearest', 'finegrain', 'lastChannels'] as const;

/** Refuse option names this architecture does not know. */
export function checkOptionNames(arch: Arch, options: object): void {
  const allowed = new Set<string>([...COMMON_KEYS, ...(arch === 'mobilenet_v1' ? V1_KEYS : V2_KEYS)]);
  for (const key of Object.keys(options)) {
    if ((options as Record<string, unknown>)[key] === undefined) continue;
    if (!allowed.has(key)) {
      throw invalidArgument(`unknown option '${key}' for ${arch}; allowed: ${[...allowed].join(', ')}`);
    }
  }
}

export function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(`${name} must be a positive number, got ${describe(value)}`);
  }
  return value;
}

export function positiveInteger(name: string, value: unknown, min = 1, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
    throw invalidArgument(`${name} must be an integer ${range}, got ${describe(value)}`);
  }
  return value;
}

function oneOf<T extends string | number>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw invalidArgument(`${name} must be one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidArgument(`${name} must be true or false, got ${describe(value)}`);
  return value;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  try {
    return JSON.stringify(value);
  } catch {
    return typeof value;
  }
}

/** Input sides above this are refused: no image is that large, and beyond 2^53 the shape arithmetic breaks. */
export const MAX_RESOLUTION = 16384;

function side(name: string, value: unknown, min: number): number {
  const size = positiveInteger(name, value, min);
  if (size > MAX_RESOLUTION) throw invalidArgument(`${name} must be at most ${MAX_RESOLUTION}, got ${size}`);
  return size;
}

function resolveResolution(value: CommonOptions['resolution'], min: number): { height: number; width: number } {
  if (value === undefined) return { height: 224, width: 224 };
  if (typeof value === 'number') {
    const size = side('resolution', value, min);
    return { height: size, width: size };
  }
  if (typeof value !== 'object' || value === null) {
    throw invalidArgument(`resolution must be an integer ≥ ${min} or {height, width}, got ${describe(value)}`);
  }
  return {
    height: side('resolution.height', value.height, min),
    width: side('resolution.width', value.width, min),
  };
}

/** Validate the options common to V1 and V2 and fill in the convention's defaults. */
export function resolveCommon(arch: Arch, options: CommonOptions): ResolvedCommon {
  const convention =
    options.convention === undefined ? defaultConvention(arch) : oneOf('convention', options.convention, CONVENTIONS);
  const defaults = DEFAULTS[arch][convention];
  const small = options.smallInput === true;
  const { height, width } = resolveResolution(options.resolution, small ? MIN_SMALL_RESOLUTION : MIN_RESOLUTION);
  const includeTop = options.includeTop === undefined ? true : boolean('includeTop', options.includeTop);
  const pooling =
    options.pooling === undefined ? (includeTop ? 'avg' : 'none') : oneOf('pooling', options.pooling, ['avg', 'max', 'none'] as const);
  if (includeTop && pooling !== 'avg') {
    throw invalidArgument(`pooling must be 'avg' when includeTop is true (the classifier expects it), got '${pooling}'`);
  }
  let dropout = defaults.dropout;
  if (options.dropout !== undefined) {
    if (typeof options.dropout !== 'number' || !(options.dropout >= 0 && options.dropout < 1)) {
      throw invalidArgument(`dropout must be a number in [0, 1), got ${describe(options.dropout)}`);
    }
    dropout = options.dropout;
  }
  return {
    alpha: options.alpha === undefined ? 1 : positiveNumber('alpha', options.alpha),
    height,
    width,
    classes: options.classes === undefined ? defaults.classes : positiveInteger('classes', options.classes),
    includeTop,
    pooling,
    dropout,
    outputStride:
      options.outputStride === undefined ? 32 : oneOf<OutputStride>('outputStride', options.outputStride, OUTPUT_STRIDES),
    convention,
    padding: options.padding === undefined ? defaults.padding : oneOf('padding', options.padding, PADDING_RULES),
    batchNormEpsilon:
      options.batchNormEpsilon === undefined ? defaults.batchNormEpsilon : positiveNumber('batchNormEpsilon', options.batchNormEpsilon),
    batchNormDecay: defaults.batchNormDecay,
    activation: options.activation === undefined ? 'relu6' : oneOf('activation', options.activation, ['relu', 'relu6'] as const),
    smallInput: options.smallInput === undefined ? false : boolean('smallInput', options.smallInput),
  };
}

/**
 * Most repeats of one row of a V2 body table: the paper's rows repeat at most 4 times. The spec is
 * built block by block, so a huge count (from a corrupt file's metadata) would never finish.
 */
export const MAX_BLOCK_REPEATS = 1000;

export function resolveV2Table(rows: readonly V2BlockRow[]): V2BlockRow[] {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw invalidArgument(`blocks must be a non-empty array of {t, c, n, s} rows, got ${describe(rows)}`);
  }
  return rows.map((row, i) => {
    if (typeof row !== 'object' || row === null) throw invalidArgument(`blocks[${i}] must be {t, c, n, s}, got ${describe(row)}`);
    return {
      t: positiveNumber(`blocks[${i}].t`, row.t),
      c: positiveInteger(`blocks[${i}].c`, row.c),
      n: positiveInteger(`blocks[${i}].n`, row.n, 1, MAX_BLOCK_REPEATS),
      s: oneOf(`blocks[${i}].s`, row.s, [1, 2] as const),
    };
  });
}

/**
 * slim's output_stride rule: once the running stride reaches the target, a layer that would
 * stride uses stride 1 instead and multiplies the dilation of the layers after it.
 */
export class StrideTracker {
  private current = 1;
  private rate = 1;

  constructor(private readonly outputStride: number) {}

  /** The stride and dilation to use for a layer the table gives `stride`. */
  next(stride: number): { stride: number; dilation: number } {
    if (stride > 1 && this.current >= this.outputStride) {
      const dilation = this.rate;
      this.rate *= stride;
      return { stride: 1, dilation };
    }
    this.current *= stride;
    return { stride, dilation: this.rate };
  }
}

export type { ModelOptions };

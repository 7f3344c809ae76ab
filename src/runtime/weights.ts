/**
 * Graph parameters as named float32 tensors (`<node>.<kind>` in the graph's layouts): checking a
 * set of weights against a graph, and deterministic random initialization.
 */
import { MobileNetError } from '../errors.js';
import { nodeParams, type ParamSpec } from '../graph/ops.js';
import type { Graph } from '../graph/build.js';
import { formatShape, shapeSize, toFloat32, type NamedTensors, type Tensor } from '../tensor.js';

/** Canonical weights: float32 data by parameter name. */
export type Weights = Map<string, Tensor<'float32'>>;

export function graphParams(graph: Graph): ParamSpec[] {
  return graph.nodes.flatMap(nodeParams);
}

export interface WeightsReport {
  missing: ParamSpec[];
  unexpected: string[];
  mismatched: Array<{ param: ParamSpec; found: readonly number[] }>;
  /** Parameters skipped under strict: false because the file's head differs (transfer learning). */
  skipped: string[];
}

export interface CheckOptions {
  /**
   * false: a classifier whose shape differs (another number of classes) or is absent is left to be
   * initialized, and unexpected keys are ignored, for transfer learning. Default true.
   */
  strict?: boolean;
  /** Where the weights came from, for messages ("mobilenet_v2.pth"). */
  source?: string;
}

const CLASSIFIER_PREFIX = 'classifier.';

/**
 * Check weights against a graph: every problem is collected and reported at once with expected vs
 * found. Returns canonical float32 weights (float16/float64 converted).
 */
export function checkWeights(graph: Graph, tensors: NamedTensors, options: CheckOptions = {}): { weights: Weights; report: WeightsReport } {
  const strict = options.strict ?? true;
  const report: WeightsReport = { missing: [], unexpected: [], mismatched: [], skipped: [] };
  const weights: Weights = new Map();
  const expected = graphParams(graph);
  const known = new Set(expected.map((p) => p.name));
  for (const param of expected) {
    const tensor = tensors.get(param.name);
    const isHead = param.name.startsWith(CLASSIFIER_PREFIX);
    if (!tensor) {
      if (!strict && isHead) report.skipped.push(param.name);
      else report.missing.push(param);
      continue;
    }
    if (tensor.shape.join() !== param.shape.join()) {
      if (!strict && isHead) report.skipped.push(param.name);
      else report.mismatched.push({ param, found: tensor.shape });
      continue;
    }
    let data: Float32Array;
    try {
      data = toFloat32(tensor);
    } catch {
      throw new MobileNetError('WEIGHTS_MISMATCH', `${param.name}: expected a floating-point tensor, found ${tensor.dtype}`);
    }
    weights.set(param.name, { dtype: 'float32', shape: param.shape, data });
  }
  for (const name of tensors.keys()) if (!known.has(name)) report.unexpected.push(name);

  const problems: string[] = [];
  const list = (items: string[]) => (items.length > 12 ? [...items.slice(0, 12), `… and ${items.length - 12} more`] : items).join(', ');
  if (report.missing.length) problems.push(`missing ${report.missing.length}: ${list(report.missing.map((p) => `${p.name} ${formatShape(p.shape)}`))}`);
  if (report.mismatched.length) {
    problems.push(
      `wrong shape ${report.mismatched.length}: ${list(report.mismatched.map((m) => `${m.param.name} expected ${formatShape(m.param.shape)} found ${formatShape(m.found)}`))}`,
    );
  }
  if (strict && report.unexpected.length) problems.push(`unexpected ${report.unexpected.length}: ${list(report.unexpected)}`);
  if (problems.length) {
    const from = options.source ? ` from ${options.source}` : '';
    const hint = report.skipped.length || !strict ? '' : ' (a different classifier head? load with strict: false to keep the backbone and re-initialize the head)';
    throw new MobileNetError('WEIGHTS_MISMATCH', `weights${from} do not fit ${graph.name}: ${problems.join('; ')}${hint}`);
  }
  return { weights, report };
}

/** A small seeded PRNG (mulberry32): weights are reproducible from the seed. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller. */
export function gaussian(random: () => number): () => number {
  return () => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export interface InitOptions {
  seed?: number;
  /**
   * Random BN statistics and affine parameters far from identity, so that tests exercise BN folding
   * (fresh BN layers are the identity and would hide mistakes).
   */
  randomBatchNorm?: boolean;
}

/**
 * Kaiming-normal (fan-out) conv weights as torchvision initializes MobileNetV2, N(0, 0.01) for the
 * classifier, zero biases; BN γ = 1, β = 0, mean 0, variance 1 unless randomBatchNorm.
 */
export function initWeights(graph: Graph, options: InitOptions = {}): Weights {
  const random = mulberry32(options.seed ?? 0);
  const normal = gaussian(random);
  const weights: Weights = new Map();
  for (const node of graph.nodes) {
    for (const param of nodeParams(node)) {
      const data = new Float32Array(shapeSize(param.shape));
      switch (param.kind) {
        case 'weight': {
          if (node.op === 'dense') {
            for (let i = 0; i < data.length; i++) data[i] = 0.01 * normal();
          } else {
            // fan_out = out channels · kernel area (per group for depthwise: multiplier · area).
            const s = param.shape;
            const fanOut = node.op === 'depthwiseConv2d' ? s[0]! * s[1]! * s[3]! : node.op === 'pointwiseConv2d' ? s[1]! : s[0]! * s[1]! * s[3]!;
            const std = Math.sqrt(2 / fanOut);
            for (let i = 0; i < data.length; i++) data[i] = std * normal();
          }
          break;
        }
        case 'bias':
          if (options.randomBatchNorm) for (let i = 0; i < data.length; i++) data[i] = 0.1 * normal();
          break;
        case 'gamma':
          for (let i = 0; i < data.length; i++) data[i] = options.randomBatchNorm ? 0.5 + random() : 1;
          break;
        case 'beta':
          if (options.randomBatchNorm) for (let i = 0; i < data.length; i++) data[i] = 0.2 * normal();
          break;
        case 'movingMean':
          if (options.randomBatchNorm) for (let i = 0; i < data.length; i++) data[i] = 0.2 * normal();
          break;
        case 'movingVariance':
          for (let i = 0; i < data.length; i++) data[i] = options.randomBatchNorm ? 0.5 + 1.5 * random() : 1;
          break;
      }
      weights.set(param.name, { dtype: 'float32', shape: param.shape, data });
    }
  }
  return weights;
}

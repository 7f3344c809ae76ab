/**
 * Name maps: which tensor of a torchvision state_dict or a Keras .h5 file is which graph parameter,
 * and how its layout converts. Explicit tables generated from the graph's structure, one entry per
 * parameter; no string-replace rules.
 *
 * torchvision MobileNetV2 (`features.N…`, `classifier.1`): features.0 is the stem
 * (Conv2dNormActivation: .0 conv, .1 BN), features.1…17 the inverted residual blocks
 * (`conv.0` expand, `conv.1` depthwise, `conv.2` projection, `conv.3` its BN; without expansion
 * `conv.0` depthwise, `conv.1` projection, `conv.2` BN), features.18 the last 1×1 conv.
 *
 * MobileNetV1 has no torchvision model; mobilenet-ts documents the same style for it
 * (docs/formats.md): features.0 the stem (.0 conv, .1 BN); features.{i+1} block i as
 * Sequential(Conv2dNormActivation(dw), Conv2dNormActivation(pw)): .0.0 dw conv, .0.1 dw BN,
 * .1.0 pw conv, .1.1 pw BN; classifier.1 the Linear layer.
 *
 * Keras: MobileNet (`conv1`, `conv1_bn`, `conv_dw_N`, `conv_dw_N_bn`, `conv_pw_N`, `conv_pw_N_bn`,
 * `conv_preds`) and MobileNetV2 (`Conv1`, `bn_Conv1`, `expanded_conv_depthwise[_BN]`,
 * `expanded_conv_project[_BN]`, `block_N_expand[_BN]`, `block_N_depthwise[_BN]`,
 * `block_N_project[_BN]`, `Conv_1`, `Conv_1_bn`, `predictions` (older files: `Logits`)).
 */
import { MobileNetError } from '../errors.js';
import type { Graph } from '../graph/build.js';
import type { GraphNode, ParamKind } from '../graph/ops.js';
import { nodeParams } from '../graph/ops.js';
import type { Tensor } from '../tensor.js';
import { toFloat32 } from '../tensor.js';
import { inversePermutation, permute } from './layout.js';

export type WeightSource = 'torch' | 'keras';

export interface NameMapEntry {
  /** The file's name: `features.1.conv.0.0.weight`, or Keras `conv_dw_1/depthwise_kernel`. */
  external: string;
  /** The graph parameter and its shape. */
  param: string;
  shape: readonly number[];
  /** Other names the same tensor has in older files (Keras V2's classifier was `Logits`). */
  aliases?: string[];
  /** The file's shape of this tensor. */
  externalShape: readonly number[];
  /** Axis permutation from the file's layout to the graph's (applied after reshaping to `viewShape`). */
  perm?: readonly number[];
  /** The file tensor is first viewed with this shape (drops 1×1 spatial axes, merges torch's dw axis). */
  viewShape?: readonly number[];
}

/** BN parameter names in each source. */
const TORCH_BN: Record<string, ParamKind> = { weight: 'gamma', bias: 'beta', running_mean: 'movingMean', running_var: 'movingVariance' };
const KERAS_BN: Record<string, ParamKind> = { gamma: 'gamma', beta: 'beta', moving_mean: 'movingMean', moving_variance: 'movingVariance' };

/** Graph node name → the module/layer prefix in the file. */
function torchModuleNames(graph: Graph): Map<string, string> {
  const spec = graph.spec;
  if (!spec) throw new MobileNetError('UNSUPPORTED', `${graph.name}: torchvision names need a MobileNet built from a spec`);
  const m = new Map<string, string>([
    ['stem.conv', 'features.0.0'],
    ['stem.bn', 'features.0.1'],
    ['classifier', 'classifier.1'],
  ]);
  if (spec.arch === 'mobilenet_v2') {
    spec.blocks.forEach((block, i) => {
      const f = `features.${i + 1}.conv`;
      const parts = block.expansion !== 1 ? ['expand', 'dw'] : ['dw'];
      parts.forEach((part, k) => {
        m.set(`blocks.${i}.${part}.conv`, `${f}.${k}.0`);
        m.set(`blocks.${i}.${part}.bn`, `${f}.${k}.1`);
      });
      m.set(`blocks.${i}.project.conv`, `${f}.${parts.length}`);
      m.set(`blocks.${i}.project.bn`, `${f}.${parts.length + 1}`);
    });
    const last = spec.blocks.length + 1;
    m.set('head.conv', `features.${last}.0`);
    m.set('head.bn', `features.${last}.1`);
  } else {
    spec.blocks.forEach((block, i) => {
      const f = `features.${i + 1}`;
      if (block.separable) {
        m.set(`blocks.${i}.dw.conv`, `${f}.0.0`);
        m.set(`blocks.${i}.dw.bn`, `${f}.0.1`);
        m.set(`blocks.${i}.pw.conv`, `${f}.1.0`);
        m.set(`blocks.${i}.pw.bn`, `${f}.1.1`);
      } else {
        m.set(`blocks.${i}.conv`, `${f}.0`);
        m.set(`blocks.${i}.bn`, `${f}.1`);
      }
    });
  }
  return m;
}

function kerasLayerNames(graph: Graph): Map<string, string> {
  const spec = graph.spec;
  if (!spec) throw new MobileNetError('UNSUPPORTED', `${graph.name}: Keras names need a MobileNet built from a spec`);
  const m = new Map<string, string>();
  if (spec.arch === 'mobilenet_v1') {
    if (spec.blocks.some((b) => !b.separable)) {
      // keras.applications.MobileNet builds only the depthwise separable network: there are no
      // Keras layer names to read such weights from or write them to.
      throw new MobileNetError(
        'UNSUPPORTED',
        `Keras has no MobileNetV1 with full convolutions (separable: false): its layers exist only for depthwise separable blocks (conv_dw_N, conv_pw_N), so ${graph.name} cannot be read from or written to a Keras .h5 file; use safetensors, ONNX or the PyTorch layout`,
      );
    }
    m.set('stem.conv', 'conv1').set('stem.bn', 'conv1_bn').set('classifier', 'conv_preds');
    spec.blocks.forEach((_, i) => {
      const j = i + 1;
      m.set(`blocks.${i}.dw.conv`, `conv_dw_${j}`).set(`blocks.${i}.dw.bn`, `conv_dw_${j}_bn`);
      m.set(`blocks.${i}.pw.conv`, `conv_pw_${j}`).set(`blocks.${i}.pw.bn`, `conv_pw_${j}_bn`);
    });
  } else {
    m.set('stem.conv', 'Conv1').set('stem.bn', 'bn_Conv1').set('head.conv', 'Conv_1').set('head.bn', 'Conv_1_bn');
    m.set('classifier', 'predictions');
    spec.blocks.forEach((_, i) => {
      const prefix = i === 0 ? 'expanded_conv_' : `block_${i}_`;
      for (const [part, layer] of [['expand', 'expand'], ['dw', 'depthwise'], ['project', 'project']] as const) {
        m.set(`blocks.${i}.${part}.conv`, `${prefix}${layer}`);
        m.set(`blocks.${i}.${part}.bn`, `${prefix}${layer}_BN`);
      }
    });
  }
  return m;
}

function convEntry(source: WeightSource, node: GraphNode, external: string, shape: readonly number[]): NameMapEntry {
  const entry = convLayout(source, node, external, shape);
  return { ...entry, param: `${node.name}.weight`, shape };
}

type Layout = Omit<NameMapEntry, 'param' | 'shape'>;

function convLayout(source: WeightSource, node: GraphNode, external: string, shape: readonly number[]): Layout {
  if (source === 'torch') {
    switch (node.op) {
      case 'conv2d': // (Cout, Cin/g, kh, kw) → (kh, kw, Cin/g, Cout)
        return { external, externalShape: [shape[3]!, shape[2]!, shape[0]!, shape[1]!], perm: [2, 3, 1, 0] };
      case 'depthwiseConv2d': // (C·m, 1, kh, kw) → view (C·m, kh, kw) → (kh, kw, C·m) = (kh, kw, C, m)
        return {
          external,
          externalShape: [shape[2]! * shape[3]!, 1, shape[0]!, shape[1]!],
          viewShape: [shape[2]! * shape[3]!, shape[0]!, shape[1]!],
          perm: [1, 2, 0],
        };
      case 'pointwiseConv2d': // (Cout, Cin, 1, 1) → (Cin, Cout)
        return { external, externalShape: [shape[1]!, shape[0]!, 1, 1], viewShape: [shape[1]!, shape[0]!], perm: [1, 0] };
      case 'dense': // Linear (out, in) → (in, out)
        return { external, externalShape: [shape[1]!, shape[0]!], perm: [1, 0] };
      default:
        break;
    }
  } else {
    switch (node.op) {
      case 'conv2d':
      case 'depthwiseConv2d': // same layouts as TF
        return { external, externalShape: shape };
      case 'pointwiseConv2d': // (1, 1, Cin, Cout)
        return { external, externalShape: [1, 1, ...shape], viewShape: shape };
      case 'dense': {
        // Keras MobileNet's classifier is a 1×1 conv (conv_preds); MobileNetV2's a Dense layer.
        const v1 = external.startsWith('conv_preds');
        return v1 ? { external, externalShape: [1, 1, ...shape], viewShape: shape } : { external, externalShape: shape };
      }
      default:
        break;
    }
  }
  throw new MobileNetError('INTERNAL', `no weight layout for ${node.op} ${node.name}`);
}

/** Every parameter of the graph with its name and layout in the given source. */
export function nameMap(graph: Graph, source: WeightSource): NameMapEntry[] {
  const modules = source === 'torch' ? torchModuleNames(graph) : kerasLayerNames(graph);
  const entries: NameMapEntry[] = [];
  for (const node of graph.nodes) {
    const params = nodeParams(node);
    if (params.length === 0) continue;
    const prefix = modules.get(node.name);
    if (!prefix) throw new MobileNetError('INTERNAL', `no ${source} name for ${node.name}`);
    const sep = source === 'torch' ? '.' : '/';
    for (const p of params) {
      if (node.op === 'batchNorm') {
        const table = source === 'torch' ? TORCH_BN : KERAS_BN;
        const key = Object.keys(table).find((k) => table[k] === p.kind)!;
        entries.push({ external: `${prefix}${sep}${key}`, param: p.name, shape: p.shape, externalShape: p.shape });
      } else if (p.kind === 'bias') {
        entries.push({ external: `${prefix}${sep}bias`, param: p.name, shape: p.shape, externalShape: p.shape });
      } else {
        const key = source === 'keras' && node.op === 'depthwiseConv2d' ? 'depthwise_kernel' : source === 'keras' ? 'kernel' : 'weight';
        entries.push(convEntry(source, node, `${prefix}${sep}${key}`, p.shape));
      }
    }
  }
  if (source === 'keras') {
    for (const e of entries) if (e.external.startsWith('predictions/')) e.aliases = [e.external.replace('predictions/', 'Logits/')];
  }
  return entries;
}

/** A file tensor in the graph's layout (float32). */
export function toGraphLayout(entry: NameMapEntry, tensor: Tensor): Tensor<'float32'> {
  const data = toFloat32(tensor);
  if (!entry.perm) return { dtype: 'float32', shape: [...entry.shape], data };
  // Depthwise: the permuted (kh, kw, C·m) is the graph's (kh, kw, C, m) in the same memory order.
  return { dtype: 'float32', shape: [...entry.shape], data: permute(data, entry.viewShape ?? tensor.shape, entry.perm).data };
}

/** A graph tensor in the file's layout (for exporting). */
export function toExternalLayout(entry: NameMapEntry, tensor: Tensor<'float32'>): Tensor<'float32'> {
  if (!entry.perm) return { dtype: 'float32', shape: [...entry.externalShape], data: tensor.data };
  const view = entry.perm.map((_, i) => (entry.viewShape ?? entry.externalShape)[i]!);
  const permutedShape = entry.perm.map((p) => view[p]!);
  const back = permute(tensor.data, permutedShape, inversePermutation(entry.perm));
  return { dtype: 'float32', shape: [...entry.externalShape], data: back.data };
}

/** Keys a source writes that carry nothing the graph needs. */
function ignorable(source: WeightSource, key: string): boolean {
  return source === 'torch' && key.endsWith('.num_batches_tracked');
}

export interface ImportOptions {
  /** false: skip a missing or differently shaped classifier and ignore unexpected keys. Default true. */
  strict?: boolean;
  /** For messages: the file name. */
  source?: string;
}

/**
 * Convert a file's tensors to graph parameters. Every problem is reported at once, in the file's
 * own names and layouts: missing keys, unexpected keys, wrong shapes.
 */
export function importWeights(graph: Graph, source: WeightSource, tensors: Map<string, Tensor>, options: ImportOptions = {}): Map<string, Tensor<'float32'>> {
  const strict = options.strict ?? true;
  const out = new Map<string, Tensor<'float32'>>();
  const used = new Set<string>();
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const entry of nameMap(graph, source)) {
    const key = [entry.external, ...(entry.aliases ?? [])].find((k) => tensors.has(k));
    const isHead = entry.param.startsWith('classifier.');
    if (key === undefined) {
      if (strict || !isHead) missing.push(`${entry.external} [${entry.externalShape.join(', ')}]`);
      continue;
    }
    used.add(key);
    const tensor = tensors.get(key)!;
    if (tensor.shape.join() !== entry.externalShape.join()) {
      if (strict || !isHead) wrong.push(`${key} expected [${entry.externalShape.join(', ')}] found [${tensor.shape.join(', ')}]`);
      continue;
    }
    try {
      out.set(entry.param, toGraphLayout(entry, tensor));
    } catch {
      wrong.push(`${key} expected a floating-point tensor, found ${tensor.dtype}`);
    }
  }
  const unexpected = [...tensors.keys()].filter((k) => !used.has(k) && !ignorable(source, k));
  const problems: string[] = [];
  const list = (items: string[]) => (items.length > 6 ? [...items.slice(0, 6), `… and ${items.length - 6} more`] : items).join(', ');
  if (missing.length) problems.push(`missing ${missing.length}: ${list(missing)}`);
  if (wrong.length) problems.push(`wrong shape ${wrong.length}: ${list(wrong)}`);
  if (strict && unexpected.length) problems.push(`unexpected ${unexpected.length}: ${list(unexpected)}`);
  if (problems.length) {
    const from = options.source ? ` in ${options.source}` : '';
    throw new MobileNetError(
      'WEIGHTS_MISMATCH',
      `the ${source === 'torch' ? 'PyTorch' : 'Keras'} weights${from} do not fit ${graph.name} (${graph.spec?.convention ?? 'imported'} convention): ${problems.join('; ')}`,
    );
  }
  return out;
}

/** Graph parameters in a source's names and layouts (e.g. to write a torchvision-style state_dict). */
export function exportWeights(graph: Graph, source: WeightSource, weights: Map<string, Tensor<'float32'>>): Map<string, Tensor<'float32'>> {
  const out = new Map<string, Tensor<'float32'>>();
  for (const entry of nameMap(graph, source)) {
    const t = weights.get(entry.param);
    if (t) out.set(entry.external, toExternalLayout(entry, t));
  }
  return out;
}

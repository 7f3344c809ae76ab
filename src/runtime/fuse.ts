/**
 * Layer fusion for the fast engine: after BN folding, a convolution absorbs the activation that
 * follows it, and a linear 1×1 projection absorbs the residual add after it (MobileNetV2's
 * shortcut, on either side of the add). The result is a short list of fused layers, each one kernel call.
 */
import type { Graph } from '../graph/build.js';
import type { ActivationFn } from '../spec/types.js';
import type { GraphNode, TensorShape } from '../graph/ops.js';

export type FusedLayer =
  | {
      kind: 'pointwise';
      name: string;
      input: string;
      output: string;
      node: GraphNode & { op: 'pointwiseConv2d' };
      activation: ActivationFn;
      /** A tensor added after the (linear) projection: the inverted residual's shortcut. */
      residual?: string;
      shape: TensorShape;
    }
  | { kind: 'depthwise'; name: string; input: string; output: string; node: GraphNode & { op: 'depthwiseConv2d' }; activation: ActivationFn; shape: TensorShape }
  | { kind: 'conv'; name: string; input: string; output: string; node: GraphNode & { op: 'conv2d' }; activation: ActivationFn; shape: TensorShape }
  | { kind: 'pool'; name: string; input: string; output: string; node: GraphNode & { op: 'globalPool' }; shape: TensorShape }
  | { kind: 'dense'; name: string; input: string; output: string; node: GraphNode & { op: 'dense' }; shape: TensorShape }
  /** Anything the fast kernels do not cover runs through the reference kernels. */
  | { kind: 'ref'; name: string; inputs: string[]; output: string; node: GraphNode; shape: TensorShape };

export interface FusedGraph {
  graph: Graph;
  layers: FusedLayer[];
  /** Graph value name → the tensor that holds it after fusion. */
  tensorOf: Map<string, string>;
}

/** Names the caller may read back: outputs and taps must stay materialized. */
function protectedNames(graph: Graph): Set<string> {
  const names = new Set<string>();
  for (const v of Object.values(graph.outputs)) if (v) names.add(v);
  for (const t of graph.taps) names.add(t.node);
  return names;
}

export function fuseLayers(graph: Graph): FusedGraph {
  const readers = new Map<string, GraphNode[]>();
  for (const node of graph.nodes) for (const i of node.inputs) readers.set(i, [...(readers.get(i) ?? []), node]);
  const keep = protectedNames(graph);
  const soleReader = (name: string): GraphNode | undefined => {
    const r = readers.get(name);
    return r && r.length === 1 && !keep.has(name) ? r[0] : undefined;
  };
  const tensorOf = new Map<string, string>([[graph.input.name, graph.input.name]]);
  const t = (name: string) => tensorOf.get(name) ?? name;
  const absorbed = new Set<string>();
  const layers: FusedLayer[] = [];

  for (const node of graph.nodes) {
    if (absorbed.has(node.name)) continue;
    const input = t(node.inputs[0]!);
    if (!isFast(node)) {
      if (node.op === 'dropout') {
        tensorOf.set(node.name, input); // identity at inference
        continue;
      }
      tensorOf.set(node.name, node.name);
      layers.push({ kind: 'ref', name: node.name, inputs: node.inputs.map(t), output: node.name, node, shape: node.shape });
      continue;
    }
    let last = node;
    let activation: ActivationFn = 'linear';
    const next = soleReader(node.name);
    const isConv = node.op === 'conv2d' || node.op === 'depthwiseConv2d' || node.op === 'pointwiseConv2d';
    if (isConv && next?.op === 'activation') {
      activation = next.attrs.fn;
      absorbed.add(next.name);
      last = next;
    }
    let residual: string | undefined;
    if (node.op === 'pointwiseConv2d' && activation === 'linear' && next?.op === 'add') {
      // Either operand order: ours is add(projection, shortcut), torch.onnx exports of torchvision
      // write Add(shortcut, projection); addition commutes. (add(x, x) has two readers: never here.)
      const other = next.inputs[0] === node.name ? next.inputs[1] : next.inputs[1] === node.name ? next.inputs[0] : undefined;
      if (other !== undefined) {
        residual = t(other);
        absorbed.add(next.name);
        last = next;
      }
    }
    const output = last.name;
    tensorOf.set(node.name, output);
    tensorOf.set(last.name, output);
    switch (node.op) {
      case 'pointwiseConv2d': {
        const layer: FusedLayer = { kind: 'pointwise', name: node.name, input, output, node, activation, shape: node.shape };
        if (residual) layer.residual = residual;
        layers.push(layer);
        break;
      }
      case 'depthwiseConv2d':
        layers.push({ kind: 'depthwise', name: node.name, input, output, node, activation, shape: node.shape });
        break;
      case 'conv2d':
        layers.push({ kind: 'conv', name: node.name, input, output, node, activation, shape: node.shape });
        break;
      case 'globalPool':
        layers.push({ kind: 'pool', name: node.name, input, output, node, shape: node.shape });
        break;
      case 'dense':
        layers.push({ kind: 'dense', name: node.name, input, output, node, shape: node.shape });
        break;
      default:
        break;
    }
  }
  return { graph, layers, tensorOf };
}

/** What the fast kernels cover; everything else runs through the reference kernels. */
function isFast(node: GraphNode): boolean {
  switch (node.op) {
    case 'pointwiseConv2d':
    case 'dense':
      return true;
    case 'depthwiseConv2d':
      return node.attrs.multiplier === 1 && node.attrs.kernel[0] === 3 && node.attrs.kernel[1] === 3;
    case 'conv2d':
      return node.attrs.groups === 1;
    case 'globalPool':
      return node.attrs.kind === 'avg';
    default:
      return false;
  }
}

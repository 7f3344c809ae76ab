/**
 * Batch-norm folding for inference: a conv followed by BN becomes one conv with a bias,
 *   w' = w · γ/√(σ² + ε) per output channel,  b' = (b − μ) · γ/√(σ² + ε) + β.
 * Every weight layout of the graph keeps the output channel as its fastest axis, so "per output
 * channel" is "index mod Cout" for all three conv kinds.
 */
import type { Graph } from '../graph/build.js';
import type { GraphNode } from '../graph/ops.js';
import { MobileNetError } from '../errors.js';
import type { Weights } from './weights.js';

function outChannelsOf(node: GraphNode): number | undefined {
  switch (node.op) {
    case 'conv2d':
    case 'pointwiseConv2d':
      return node.attrs.outChannels;
    case 'depthwiseConv2d':
      return node.attrs.channels * node.attrs.multiplier;
    default:
      return undefined;
  }
}

function param(weights: Weights, name: string): Float32Array {
  const t = weights.get(name);
  if (!t) throw new MobileNetError('INTERNAL', `foldBatchNorm: parameter ${name} is missing`);
  return t.data;
}

/**
 * Returns a graph without the foldable BN nodes (their consumers, outputs and taps now name the
 * conv) and the matching weights. A BN whose input is not a conv read by it alone stays.
 */
export function foldBatchNorm(graph: Graph, weights: Weights): { graph: Graph; weights: Weights } {
  const readers = new Map<string, number>();
  for (const node of graph.nodes) for (const input of node.inputs) readers.set(input, (readers.get(input) ?? 0) + 1);
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const rename = new Map<string, string>();
  const nodes: GraphNode[] = [];
  const folded: Weights = new Map(weights);
  const convs = new Map<string, GraphNode>(); // conv name → its (possibly updated) node in `nodes`

  for (const node of graph.nodes) {
    const renamedInputs = node.inputs.map((n) => rename.get(n) ?? n);
    if (node.op === 'batchNorm') {
      const producer = byName.get(node.inputs[0]!);
      const channels = producer ? outChannelsOf(producer) : undefined;
      if (producer && channels !== undefined && readers.get(producer.name) === 1 && convs.has(producer.name)) {
        const gamma = param(weights, `${node.name}.gamma`);
        const beta = param(weights, `${node.name}.beta`);
        const mean = param(weights, `${node.name}.movingMean`);
        const variance = param(weights, `${node.name}.movingVariance`);
        const w = param(weights, `${producer.name}.weight`);
        const hadBias = weights.has(`${producer.name}.bias`);
        const b = hadBias ? param(weights, `${producer.name}.bias`) : new Float32Array(channels);
        const scale = new Float64Array(channels);
        for (let c = 0; c < channels; c++) scale[c] = gamma[c]! / Math.sqrt(variance[c]! + node.attrs.epsilon);
        const newW = new Float32Array(w.length);
        for (let i = 0; i < w.length; i++) newW[i] = w[i]! * scale[i % channels]!;
        const newB = new Float32Array(channels);
        for (let c = 0; c < channels; c++) newB[c] = (b[c]! - mean[c]!) * scale[c]! + beta[c]!;
        folded.set(`${producer.name}.weight`, { dtype: 'float32', shape: weights.get(`${producer.name}.weight`)!.shape, data: newW });
        folded.set(`${producer.name}.bias`, { dtype: 'float32', shape: [channels], data: newB });
        for (const kind of ['gamma', 'beta', 'movingMean', 'movingVariance']) folded.delete(`${node.name}.${kind}`);
        const conv = convs.get(producer.name)!;
        (conv.attrs as { bias: boolean }).bias = true;
        rename.set(node.name, producer.name);
        continue;
      }
    }
    const copy = { ...node, inputs: renamedInputs, attrs: { ...node.attrs } } as GraphNode;
    if (outChannelsOf(copy) !== undefined) convs.set(copy.name, copy);
    nodes.push(copy);
  }
  const r = (name: string) => rename.get(name) ?? name;
  const outputs: Graph['outputs'] = { features: r(graph.outputs.features) };
  if (graph.outputs.logits) outputs.logits = r(graph.outputs.logits);
  if (graph.outputs.embedding) outputs.embedding = r(graph.outputs.embedding);
  return {
    graph: { ...graph, nodes, outputs, taps: graph.taps.map((t) => ({ ...t, node: r(t.node) })) },
    weights: folded,
  };
}

/**
 * Graph + weights → an ONNX model (opset 13, NCHW as ONNX's Conv requires). BN stays a
 * BatchNormalization node unless the caller folded it first; onnxruntime fuses it either way.
 * Initializers keep the graph's parameter names in ONNX (PyTorch-like OIHW) layouts.
 */
import { MobileNetError } from '../errors.js';
import type { Graph } from '../graph/build.js';
import type { GraphNode } from '../graph/ops.js';
import type { NamedTensors, Tensor } from '../tensor.js';
import { permute } from './layout.js';
import type { OnnxAttribute, OnnxModel, OnnxNode } from './onnx.js';

export const ONNX_OPSET = 13;

export interface OnnxExportOptions {
  /** Which output the model returns: logits (default when the graph has a classifier), embedding or features. */
  output?: 'logits' | 'embedding' | 'features';
  /** Key/value metadata stored in the model (arch, options, labels, preprocessing). */
  metadata?: Record<string, string>;
}

const ints = (value: number[]): OnnxAttribute => ({ type: 'ints', value });
const int = (value: number): OnnxAttribute => ({ type: 'int', value });

function weight(weights: Map<string, Tensor<'float32'>>, name: string): Tensor<'float32'> {
  const t = weights.get(name);
  if (!t) throw new MobileNetError('WEIGHTS_MISMATCH', `ONNX export: parameter ${name} is missing`);
  return t;
}

/** Graph layouts → ONNX Conv's (Cout, Cin/groups, kh, kw). */
function convWeightToOnnx(node: GraphNode, t: Tensor<'float32'>): Tensor<'float32'> {
  const s = t.shape;
  switch (node.op) {
    case 'conv2d': // (kh, kw, Cin/g, Cout) → (Cout, Cin/g, kh, kw)
      return { dtype: 'float32', shape: [s[3]!, s[2]!, s[0]!, s[1]!], data: permute(t.data, s, [3, 2, 0, 1]).data };
    case 'depthwiseConv2d': // (kh, kw, C, m) = (kh, kw, C·m) → (C·m, 1, kh, kw)
      return {
        dtype: 'float32',
        shape: [s[2]! * s[3]!, 1, s[0]!, s[1]!],
        data: permute(t.data, [s[0]!, s[1]!, s[2]! * s[3]!], [2, 0, 1]).data,
      };
    case 'pointwiseConv2d': // (Cin, Cout) → (Cout, Cin, 1, 1)
      return { dtype: 'float32', shape: [s[1]!, s[0]!, 1, 1], data: permute(t.data, s, [1, 0]).data };
    default:
      throw new MobileNetError('INTERNAL', `not a convolution: ${node.op}`);
  }
}

export function exportOnnx(graph: Graph, weights: Map<string, Tensor<'float32'>>, options: OnnxExportOptions = {}): OnnxModel {
  const initializers: NamedTensors = new Map();
  const nodes: OnnxNode[] = [];
  const alias = new Map<string, string>(); // graph value → ONNX value carrying it
  const value = (name: string) => alias.get(name) ?? name;
  const push = (node: GraphNode, opType: string, inputs: string[], attributes: Record<string, OnnxAttribute> = {}) =>
    nodes.push({ name: node.name, opType, domain: '', inputs, outputs: [node.name], attributes });
  let clipBounds = false;

  for (const node of graph.nodes) {
    const x = value(node.inputs[0]!);
    switch (node.op) {
      case 'conv2d':
      case 'depthwiseConv2d':
      case 'pointwiseConv2d': {
        const w = `${node.name}.weight`;
        initializers.set(w, convWeightToOnnx(node, weight(weights, w)));
        const inputs = [x, w];
        if (weights.has(`${node.name}.bias`)) {
          inputs.push(`${node.name}.bias`);
          initializers.set(`${node.name}.bias`, weight(weights, `${node.name}.bias`));
        }
        if (node.op === 'pointwiseConv2d') {
          push(node, 'Conv', inputs, { kernel_shape: ints([1, 1]) });
        } else {
          const a = node.attrs;
          push(node, 'Conv', inputs, {
            kernel_shape: ints([...a.kernel]),
            strides: ints([...a.stride]),
            dilations: ints([...a.dilation]),
            pads: ints([a.padding.top, a.padding.left, a.padding.bottom, a.padding.right]),
            group: int(node.op === 'depthwiseConv2d' ? node.attrs.channels : node.attrs.groups),
          });
        }
        break;
      }
      case 'batchNorm': {
        const names = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((k) => `${node.name}.${k}`);
        for (const n of names) initializers.set(n, weight(weights, n));
        // ONNX's momentum is the moving averages' decay (running = running·momentum + batch·(1 − momentum)):
        // written so that an imported graph trains with its convention's (Keras 0.999, slim 0.997).
        push(node, 'BatchNormalization', [x, ...names], {
          epsilon: { type: 'float', value: node.attrs.epsilon },
          momentum: { type: 'float', value: node.attrs.decay },
        });
        break;
      }
      case 'activation':
        if (node.attrs.fn === 'relu') push(node, 'Relu', [x]);
        else if (node.attrs.fn === 'relu6') {
          clipBounds = true;
          push(node, 'Clip', [x, 'clip.min', 'clip.max']);
        } else alias.set(node.name, x);
        break;
      case 'add':
        push(node, 'Add', [x, value(node.inputs[1]!)]);
        break;
      case 'globalPool':
        nodes.push({
          name: `${node.name}.global`,
          opType: node.attrs.kind === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool',
          domain: '',
          inputs: [x],
          outputs: [`${node.name}.nchw`],
          attributes: {},
        });
        push(node, 'Flatten', [`${node.name}.nchw`], { axis: int(1) });
        break;
      case 'dropout':
        alias.set(node.name, x); // identity at inference
        break;
      case 'dense': {
        const w = `${node.name}.weight`;
        initializers.set(w, weight(weights, w));
        const inputs = [x, w];
        if (weights.has(`${node.name}.bias`)) {
          inputs.push(`${node.name}.bias`);
          initializers.set(`${node.name}.bias`, weight(weights, `${node.name}.bias`));
        }
        push(node, 'Gemm', inputs, { transB: int(0) });
        break;
      }
    }
  }
  if (clipBounds) {
    initializers.set('clip.min', { dtype: 'float32', shape: [], data: new Float32Array([0]) });
    initializers.set('clip.max', { dtype: 'float32', shape: [], data: new Float32Array([6]) });
  }

  const which = options.output ?? (graph.outputs.logits ? 'logits' : graph.outputs.embedding ? 'embedding' : 'features');
  const outName = graph.outputs[which];
  if (!outName) throw new MobileNetError('INVALID_ARGUMENT', `${graph.name} has no ${which} output`);
  const outNode = graph.nodes.find((n) => n.name === outName)!;
  const [h, w] = graph.input.shape;
  const outShape: Array<number | string> =
    outNode.shape.length === 3 ? ['batch', outNode.shape[2]!, outNode.shape[0]!, outNode.shape[1]!] : ['batch', ...outNode.shape];
  const finalName = value(outName);
  return {
    irVersion: 7,
    opsetImports: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'mobilenet-ts',
    producerVersion: '0.1.0',
    metadata: options.metadata ?? {},
    graph: {
      name: graph.name,
      nodes,
      initializers,
      inputs: [{ name: graph.input.name, elemType: 'float32', shape: ['batch', 3, h!, w!] }],
      outputs: [{ name: finalName, elemType: 'float32', shape: outShape }],
    },
  };
}

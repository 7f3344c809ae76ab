/**
 * ONNX → graph + weights, for MobileNet-style models (e.g. torchvision's model exported by
 * torch.onnx): Conv (any group count: full, depthwise or pointwise), BatchNormalization, Relu,
 * Clip(0, 6), Add, GlobalAveragePool / GlobalMaxPool, Flatten, Reshape, Gemm, MatMul (+ Add bias),
 * Identity, Dropout, and a final Softmax over the classifier's logits whose output is the graph's
 * output (dropped: sessions return logits; a Softmax anywhere else is refused naming the node).
 * Anything else is refused with the op's name. Input: one NCHW float tensor [N, 3, H, W] with fixed H and W.
 */
import { asFormatError, MobileNetError } from '../errors.js';
import type { FeatureTap, Graph } from '../graph/build.js';
import { checkGraph } from '../graph/build.js';
import type { GraphNode, Padding4, TensorShape } from '../graph/ops.js';
import { convOutputSize, pad1d } from '../graph/padding.js';
import { shapeSize, toFloat32, type Tensor } from '../tensor.js';
import { permute } from './layout.js';
import type { OnnxAttribute, OnnxModel, OnnxNode } from './onnx.js';

export const ONNX_IMPORT_OPS = [
  'Conv', 'BatchNormalization', 'Relu', 'Clip', 'Add', 'GlobalAveragePool', 'GlobalMaxPool', 'Flatten', 'Reshape',
  'Gemm', 'MatMul', 'Identity', 'Dropout', 'Softmax', 'Constant',
] as const;

function unsupported(message: string): MobileNetError {
  return new MobileNetError('UNSUPPORTED', `ONNX import: ${message}`);
}

function attrInt(node: OnnxNode, name: string, fallback: number): number {
  const a = node.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'int') throw unsupported(`${node.opType} ${node.name}: attribute ${name} should be an int`);
  return a.value;
}

function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const a: OnnxAttribute | undefined = node.attributes[name];
  if (!a) return undefined;
  if (a.type !== 'ints') throw unsupported(`${node.opType} ${node.name}: attribute ${name} should be a list of ints`);
  return a.value;
}

interface Value {
  /** The graph value carrying it (a node name or the input). */
  name: string;
  /** NHWC per-example shape: [H, W, C] or [C]. */
  shape: TensorShape;
  stride: number;
}

/**
 * Runs a shape helper on a node's attributes: what it refuses (a stride of 0, pads larger than the
 * input) comes from the file, so the message names the node and the code is INVALID_FORMAT. Only
 * INVALID_ARGUMENT is converted: UNSUPPORTED stays what it is.
 */
function inNode<T>(node: OnnxNode, compute: () => T): T {
  return asFormatError(`ONNX import: ${node.opType} ${node.name}`, compute, ['INVALID_ARGUMENT']);
}

/** A name that is safe as a graph node name (parameter names are `<node>.<kind>`). */
function sanitize(name: string, used: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9_/:-]+/g, '_').replace(/^_+|_+$/g, '') || 'node';
  base = base.replace(/\./g, '_');
  let candidate = base;
  for (let i = 1; used.has(candidate); i++) candidate = `${base}_${i}`;
  used.add(candidate);
  return candidate;
}

export function importOnnx(model: OnnxModel): { graph: Graph; weights: Map<string, Tensor<'float32'>> } {
  const g = model.graph;
  const consts = new Map<string, Tensor>(g.initializers);
  const inputs = g.inputs.filter((i) => !consts.has(i.name));
  if (inputs.length !== 1) throw unsupported(`expected one input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`);
  const input = inputs[0]!;
  const [, c, h, w] = input.shape;
  if (input.shape.length !== 4 || c !== 3 || typeof h !== 'number' || typeof w !== 'number') {
    throw unsupported(`input ${input.name} should be NCHW [N, 3, H, W] with fixed H and W, found [${input.shape.join(', ')}]`);
  }
  const used = new Set<string>(['input']);
  const values = new Map<string, Value>([[input.name, { name: 'input', shape: [h, w, 3], stride: 1 }]]);
  const nodes: GraphNode[] = [];
  const weights = new Map<string, Tensor<'float32'>>();
  const denseByOutput = new Map<string, GraphNode>();
  const graphOutputs = new Set(g.outputs.map((o) => o.name));

  const getValue = (node: OnnxNode, i: number): Value => {
    const v = values.get(node.inputs[i]!);
    if (!v) throw unsupported(`${node.opType} ${node.name}: input ${node.inputs[i]} is not produced by a supported node before it`);
    return v;
  };
  const getConst = (node: OnnxNode, i: number): Tensor => {
    const t = consts.get(node.inputs[i]!);
    if (!t) throw unsupported(`${node.opType} ${node.name}: input ${i} (${node.inputs[i]}) must be a constant`);
    return t;
  };
  const add = (onnx: OnnxNode, node: Omit<GraphNode, 'name'>, params: Record<string, Tensor<'float32'>> = {}): void => {
    const name = sanitize(onnx.name || onnx.outputs[0] || onnx.opType, used);
    const full = { ...node, name } as GraphNode;
    nodes.push(full);
    for (const [kind, t] of Object.entries(params)) weights.set(`${name}.${kind}`, t);
    values.set(onnx.outputs[0]!, { name, shape: full.shape, stride: full.outputStride });
  };
  const alias = (onnx: OnnxNode, v: Value) => values.set(onnx.outputs[0]!, v);
  const f32 = (t: Tensor, shape: readonly number[] = t.shape): Tensor<'float32'> => ({ dtype: 'float32', shape: [...shape], data: toFloat32(t) });

  for (const node of g.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') throw unsupported(`op ${node.domain}.${node.opType} (${node.name}) is not supported`);
    switch (node.opType) {
      case 'Constant': {
        const a = node.attributes['value'];
        if (!a || a.type !== 'tensor') throw unsupported(`Constant ${node.name}: only tensor values are supported`);
        consts.set(node.outputs[0]!, a.value);
        break;
      }
      case 'Conv': {
        const x = getValue(node, 0);
        if (x.shape.length !== 3) throw unsupported(`Conv ${node.name}: input must be a feature map`);
        const [inH, inW, inC] = x.shape as [number, number, number];
        const wt = getConst(node, 1);
        const [outC, cPerGroup, kh, kw] = wt.shape as [number, number, number, number];
        if (wt.shape.length !== 4) throw unsupported(`Conv ${node.name}: only 2-D convolutions are supported`);
        const groups = attrInt(node, 'group', 1);
        if (cPerGroup * groups !== inC) throw unsupported(`Conv ${node.name}: weight [${wt.shape.join(', ')}] with group ${groups} does not fit ${inC} input channels`);
        const [sh, sw] = attrInts(node, 'strides') ?? [1, 1];
        const [dh, dw] = attrInts(node, 'dilations') ?? [1, 1];
        const autoPad = node.attributes['auto_pad'];
        let padding: Padding4;
        const mode = autoPad && autoPad.type === 'string' ? autoPad.value : 'NOTSET';
        if (mode === 'NOTSET') {
          const [t = 0, l = 0, b = 0, r = 0] = attrInts(node, 'pads') ?? [];
          padding = { top: t, left: l, bottom: b, right: r };
        } else if (mode === 'VALID') {
          padding = { top: 0, left: 0, bottom: 0, right: 0 };
        } else if (mode === 'SAME_UPPER' || mode === 'SAME_LOWER') {
          const ph = inNode(node, () => pad1d('same', inH, kh, sh!, dh!));
          const pw = inNode(node, () => pad1d('same', inW, kw, sw!, dw!));
          const lower = mode === 'SAME_LOWER';
          padding = lower
            ? { top: ph.after, bottom: ph.before, left: pw.after, right: pw.before }
            : { top: ph.before, bottom: ph.after, left: pw.before, right: pw.after };
        } else throw unsupported(`Conv ${node.name}: auto_pad ${mode}`);
        const outH = inNode(node, () => convOutputSize(inH, kh, sh!, dh!, padding.top, padding.bottom));
        const outW = inNode(node, () => convOutputSize(inW, kw, sw!, dw!, padding.left, padding.right));
        const base = { inputs: [x.name], shape: [outH, outW, outC], outputStride: x.stride * sh! };
        const params: Record<string, Tensor<'float32'>> = {};
        if (node.inputs[2]) params['bias'] = f32(getConst(node, 2), [outC]);
        const hasBias = 'bias' in params;
        const data = toFloat32(wt);
        if (groups === 1 && kh === 1 && kw === 1 && sh === 1 && sw === 1 && padding.top + padding.left + padding.bottom + padding.right === 0) {
          params['weight'] = { dtype: 'float32', shape: [inC, outC], data: permute(data, [outC, inC], [1, 0]).data };
          add(node, { op: 'pointwiseConv2d', inputs: base.inputs, shape: base.shape, outputStride: base.outputStride, attrs: { inChannels: inC, outChannels: outC, bias: hasBias } }, params);
        } else if (groups === inC && cPerGroup === 1) {
          const m = outC / inC;
          params['weight'] = { dtype: 'float32', shape: [kh, kw, inC, m], data: permute(data, [outC, kh, kw], [1, 2, 0]).data };
          add(node, {
            op: 'depthwiseConv2d', ...base,
            attrs: { kernel: [kh, kw], stride: [sh!, sw!], dilation: [dh!, dw!], padding, channels: inC, multiplier: m, bias: hasBias },
          }, params);
        } else {
          params['weight'] = { dtype: 'float32', shape: [kh, kw, cPerGroup, outC], data: permute(data, wt.shape, [2, 3, 1, 0]).data };
          add(node, {
            op: 'conv2d', ...base,
            attrs: { kernel: [kh, kw], stride: [sh!, sw!], dilation: [dh!, dw!], padding, inChannels: inC, outChannels: outC, groups, bias: hasBias },
          }, params);
        }
        break;
      }
      case 'BatchNormalization': {
        const x = getValue(node, 0);
        const channels = x.shape[x.shape.length - 1]!;
        const eps = node.attributes['epsilon'];
        const epsilon = eps && eps.type === 'float' ? eps.value : 1e-5;
        const mom = node.attributes['momentum'];
        add(
          node,
          { op: 'batchNorm', inputs: [x.name], shape: x.shape, outputStride: x.stride, attrs: { channels, epsilon, decay: mom && mom.type === 'float' ? mom.value : 0.9 } },
          { gamma: f32(getConst(node, 1)), beta: f32(getConst(node, 2)), movingMean: f32(getConst(node, 3)), movingVariance: f32(getConst(node, 4)) },
        );
        break;
      }
      case 'Relu': {
        const x = getValue(node, 0);
        add(node, { op: 'activation', inputs: [x.name], shape: x.shape, outputStride: x.stride, attrs: { fn: 'relu' } });
        break;
      }
      case 'Clip': {
        const x = getValue(node, 0);
        let min: number | undefined;
        let max: number | undefined;
        const mn = node.attributes['min'];
        const mx = node.attributes['max'];
        if (mn?.type === 'float') min = mn.value;
        if (mx?.type === 'float') max = mx.value;
        if (node.inputs[1]) min = toFloat32(getConst(node, 1))[0];
        if (node.inputs[2]) max = toFloat32(getConst(node, 2))[0];
        if (min !== 0 || max !== 6) throw unsupported(`Clip ${node.name}: only Clip(0, 6) (ReLU6) is supported, found Clip(${min}, ${max})`);
        add(node, { op: 'activation', inputs: [x.name], shape: x.shape, outputStride: x.stride, attrs: { fn: 'relu6' } });
        break;
      }
      case 'Add': {
        const dense = denseByOutput.get(node.inputs[0]!);
        if (dense && dense.op === 'dense' && consts.has(node.inputs[1]!) && !dense.attrs.bias) {
          // MatMul + Add(bias) is a dense layer with a bias.
          const b = f32(getConst(node, 1), [dense.attrs.outFeatures]);
          dense.attrs.bias = true;
          weights.set(`${dense.name}.bias`, b);
          alias(node, values.get(node.inputs[0]!)!);
          break;
        }
        const a = getValue(node, 0);
        const b = getValue(node, 1);
        if (a.shape.join() !== b.shape.join()) throw unsupported(`Add ${node.name}: broadcasting is not supported ([${a.shape}] + [${b.shape}])`);
        add(node, { op: 'add', inputs: [a.name, b.name], shape: a.shape, outputStride: a.stride, attrs: {} });
        break;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        const x = getValue(node, 0);
        add(node, {
          op: 'globalPool', inputs: [x.name], shape: [x.shape[2]!], outputStride: x.stride,
          attrs: { kind: node.opType === 'GlobalAveragePool' ? 'avg' : 'max' },
        });
        break;
      }
      case 'Flatten':
      case 'Reshape': {
        // After global pooling (N, C, 1, 1) → (N, C): nothing to do in NHWC.
        const x = getValue(node, 0);
        if (x.shape.length !== 1) throw unsupported(`${node.opType} ${node.name}: only flattening a pooled (N, C, 1, 1) tensor is supported`);
        alias(node, x);
        break;
      }
      case 'Identity':
      case 'Dropout':
        alias(node, getValue(node, 0));
        break;
      case 'Softmax': {
        // Only the final probabilities over a classifier's logits can be dropped (sessions return
        // logits and apply softmax on request); anywhere else it changes what the graph computes.
        const x = getValue(node, 0);
        const out = node.outputs[0]!;
        const consumer = g.nodes.find((n) => n !== node && n.inputs.includes(out));
        if (!graphOutputs.has(out) || consumer) {
          const where = consumer ? `it feeds ${consumer.opType} ${consumer.name || consumer.outputs[0]}` : 'its output is not a graph output';
          throw unsupported(`Softmax ${node.name || out}: only a final Softmax whose output is the graph's output is supported (it is dropped: sessions return logits); ${where}`);
        }
        if (nodes.find((n) => n.name === x.name)?.op !== 'dense') {
          throw unsupported(`Softmax ${node.name || out}: only a final Softmax over a classifier's (Gemm/MatMul) logits is supported`);
        }
        // On the flat (N, classes) logits, axis 1 (= -1) is the class axis; opset < 13 defaults to 1, 13+ to -1.
        const axis = attrInt(node, 'axis', 1);
        if (axis !== 1 && axis !== -1) throw unsupported(`Softmax ${node.name || out}: axis ${axis} is not the class axis of the (N, classes) logits (1 or -1)`);
        alias(node, x);
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        const x = getValue(node, 0);
        if (x.shape.length !== 1) throw unsupported(`${node.opType} ${node.name}: input must be a flat (N, C) tensor`);
        const wt = getConst(node, 1);
        let data = toFloat32(wt);
        let [inF, outF] = wt.shape as [number, number];
        if (node.opType === 'Gemm') {
          if (attrInt(node, 'transA', 0) !== 0) throw unsupported(`Gemm ${node.name}: transA = 1`);
          for (const k of ['alpha', 'beta']) {
            const a = node.attributes[k];
            if (a && a.type === 'float' && a.value !== 1) throw unsupported(`Gemm ${node.name}: ${k} = ${a.value}`);
          }
          if (attrInt(node, 'transB', 0) === 1) {
            [outF, inF] = wt.shape as [number, number];
            data = permute(data, wt.shape, [1, 0]).data;
          }
        }
        if (inF !== x.shape[0]) throw unsupported(`${node.opType} ${node.name}: weight [${wt.shape}] does not fit ${x.shape[0]} inputs`);
        const params: Record<string, Tensor<'float32'>> = { weight: { dtype: 'float32', shape: [inF, outF], data } };
        if (node.opType === 'Gemm' && node.inputs[2]) params['bias'] = f32(getConst(node, 2), [outF]);
        add(node, { op: 'dense', inputs: [x.name], shape: [outF], outputStride: x.stride, attrs: { inFeatures: inF, outFeatures: outF, bias: 'bias' in params } }, params);
        denseByOutput.set(node.outputs[0]!, nodes.at(-1)!);
        break;
      }
      default:
        throw unsupported(`op ${node.opType} (node ${node.name || node.outputs[0]}) is not supported; supported: ${ONNX_IMPORT_OPS.join(', ')}`);
    }
  }
  if (nodes.length === 0) throw unsupported('the graph has no supported nodes');
  const outValue = values.get(g.outputs[0]?.name ?? '');
  if (!outValue) throw unsupported(`output ${g.outputs[0]?.name} is not produced by the graph`);
  const outNode = nodes.find((n) => n.name === outValue.name);
  const spatial = nodes.filter((n) => n.shape.length === 3);
  const pool = nodes.find((n) => n.op === 'globalPool');
  const outputs: Graph['outputs'] = { features: spatial.at(-1)?.name ?? outValue.name };
  if (outNode?.op === 'dense') outputs.logits = outNode.name;
  if (pool) outputs.embedding = pool.name;
  const taps: FeatureTap[] = [];
  const graph: Graph = { name: g.name || 'onnx-model', input: { name: 'input', shape: [h, w, 3] }, nodes, outputs, taps };
  checkGraph(graph);
  for (const n of nodes) {
    if (n.op === 'conv2d' || n.op === 'depthwiseConv2d' || n.op === 'pointwiseConv2d' || n.op === 'dense') {
      const t = weights.get(`${n.name}.weight`)!;
      if (shapeSize(t.shape) !== t.data.length) throw new MobileNetError('INVALID_FORMAT', `ONNX import: ${n.name} weight has ${t.data.length} values for shape [${t.shape}]`);
    }
  }
  return { graph, weights };
}

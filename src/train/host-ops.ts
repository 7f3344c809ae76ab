/**
 * The training steps both networks run on the reference kernels (activation, add, global pooling,
 * dropout): one definition, so that TrainableNetwork and FastTrainableNetwork cannot drift apart.
 * The fast network calls these on views of its WebAssembly memory, except where it has a kernel.
 */
import type { ActivationNode, AddNode, DropoutNode, GlobalPoolNode, TensorShape } from '../graph/ops.js';
import * as ref from '../kernels/ref/index.js';

export type HostNode = ActivationNode | AddNode | GlobalPoolNode | DropoutNode;

export interface HostForward {
  batch: number;
  /** Shape of the first input, per image. */
  inShape: TensorShape;
  training: boolean;
  random: () => number;
  /** The second input of an add. */
  other?: Float32Array;
}

function poolDesc(node: GlobalPoolNode, o: { batch: number; inShape: TensorShape }) {
  return { batch: o.batch, height: o.inShape[0]!, width: o.inShape[1]!, channels: node.shape[0]! };
}

/** `out` = the node applied to `x`; returns the dropout mask when one was drawn. */
export function hostForward(node: HostNode, x: Float32Array, out: Float32Array, o: HostForward): Uint8Array | undefined {
  switch (node.op) {
    case 'activation':
      ref.activation(x, out, node.attrs.fn, out.length);
      return undefined;
    case 'add':
      ref.add(x, o.other!, out, out.length);
      return undefined;
    case 'globalPool':
      if (node.attrs.kind === 'avg') ref.globalAvgPool(x, out, poolDesc(node, o));
      else ref.globalMaxPool(x, out, poolDesc(node, o));
      return undefined;
    case 'dropout': {
      if (!o.training || node.attrs.rate <= 0) {
        out.set(x);
        return undefined;
      }
      const mask = new Uint8Array(out.length);
      ref.dropoutForward(x, out, mask, node.attrs.rate, o.random, out.length);
      return mask;
    }
  }
}

export interface HostBackward {
  batch: number;
  inShape: TensorShape;
  /** The node's input and output in the forward pass. */
  input: Float32Array;
  output: Float32Array;
  mask: Uint8Array | undefined;
}

/** dx = d(loss)/d(first input) from dy. An add's second input receives dy as well: the caller routes it. */
export function hostBackward(node: HostNode, dy: Float32Array, dx: Float32Array, o: HostBackward): void {
  switch (node.op) {
    case 'activation':
      ref.activationBackward(o.output, dy, dx, node.attrs.fn, dy.length);
      return;
    case 'add':
      dx.set(dy);
      return;
    case 'globalPool':
      if (node.attrs.kind === 'avg') ref.globalAvgPoolBackward(dy, dx, poolDesc(node, o));
      else ref.globalMaxPoolBackward(o.input, dy, dx, poolDesc(node, o));
      return;
    case 'dropout':
      if (o.mask) ref.dropoutBackward(dy, o.mask, dx, node.attrs.rate, dy.length);
      else dx.set(dy);
      return;
  }
}

/** Axis permutations between the weight layouts of PyTorch, Keras/TF and the graph. */
import { MobileNetError } from '../errors.js';
import { formatShape, shapeSize } from '../tensor.js';

/** out[...] = in[...] with axes reordered: out axis i is input axis perm[i]. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  if (perm.length !== shape.length) {
    throw new MobileNetError('INTERNAL', `permute: ${perm.length} axes for a tensor of shape ${formatShape(shape)}`);
  }
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i]!;
  }
  const strideOfOut = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(shapeSize(shape));
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let offset = 0;
    for (let i = 0; i < rank; i++) offset += index[i]! * strideOfOut[i]!;
    out[o] = data[offset]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i]! < outShape[i]!) break;
      index[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** The inverse permutation: permute(permute(x, p), inverse(p)) = x. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/**
 * Loading the WebAssembly SIMD kernels. The binaries (plain SIMD and relaxed SIMD, both compiled from
 * assembly/ by scripts/build-wasm.mjs) are embedded as base64, so this works without fs or fetch in
 * Node and in browsers. The module imports its memory (env.memory, shared) so that worker threads can
 * instantiate the same compiled Module on the same memory.
 */
import { MobileNetError } from '../../errors.js';
import { KERNELS_RELAXED_BASE64, KERNELS_SIMD_BASE64 } from './generated/binaries.js';

/** 'simd': plain 128-bit SIMD (mul + add); 'relaxed': relaxed SIMD (fused multiply-add). */
export type KernelVariant = 'simd' | 'relaxed';

/** The module's exports: every kernel takes the byte offset of its descriptor. */
export interface KernelExports {
  pointwise(desc: number): void;
  depthwise3x3(desc: number): void;
  conv2dDirect(desc: number): void;
  globalAvgPool(desc: number): void;
  // Training kernels (backward passes, training-mode batch norm).
  pointwiseWeightGrad(desc: number): void;
  depthwise3x3BackwardInput(desc: number): void;
  depthwise3x3BackwardWeight(desc: number): void;
  conv2dDirectBackwardWeight(desc: number): void;
  channelStats(desc: number): void;
  scaleShiftClamp(desc: number): void;
  bnBackwardReduce(desc: number): void;
  bnBackwardApply(desc: number): void;
  addInPlace(desc: number): void;
  globalAvgPoolBackward(desc: number): void;
  /** Field `field` (declaration order) of kernel `kernel`'s descriptor (ids in KERNEL_IDS: 0 pointwise, 1 depthwise3x3, 2 conv2dDirect, 3 globalAvgPool, 4… the training kernels): byte offset | 0x10000 for f32; −1 past the end. */
  layoutOffset(kernel: number, field: number): number;
  descriptorBytes(kernel: number): number;
  pointwisePanelWidth(): number;
  pointwisePackedChannels(channels: number): number;
  conv2dChannelAlign(): number;
  /** Floats of the scratch of channelStats / bnBackwardReduce / bnBackwardApply for a channel count. */
  trainingScratchFloats(channels: number): number;
  /** 1 for the relaxed-SIMD binary, 0 for plain SIMD. */
  kernelVariant(): number;
}

export interface WasmKernels {
  readonly variant: KernelVariant;
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
}

const EXPORT_NAMES = [
  'pointwise', 'depthwise3x3', 'conv2dDirect', 'globalAvgPool', 'layoutOffset', 'descriptorBytes',
  'pointwisePanelWidth', 'pointwisePackedChannels', 'conv2dChannelAlign', 'kernelVariant',
  'pointwiseWeightGrad', 'depthwise3x3BackwardInput', 'depthwise3x3BackwardWeight', 'conv2dDirectBackwardWeight', 'channelStats',
  'scaleShiftClamp', 'bnBackwardReduce', 'bnBackwardApply', 'addInPlace', 'globalAvgPoolBackward', 'trainingScratchFloats',
] as const satisfies readonly (keyof KernelExports)[];

const decoded: Partial<Record<KernelVariant, Uint8Array>> = {};

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The embedded binary of a variant. */
export function kernelsBinary(variant: KernelVariant): Uint8Array {
  if (variant !== 'simd' && variant !== 'relaxed') {
    throw new MobileNetError('INVALID_ARGUMENT', `kernel variant ${JSON.stringify(variant)}, expected 'simd' or 'relaxed'`);
  }
  return (decoded[variant] ??= decodeBase64(variant === 'simd' ? KERNELS_SIMD_BASE64 : KERNELS_RELAXED_BASE64));
}

/**
 * Whether this runtime accepts the relaxed-SIMD binary (validation only, nothing is compiled). Node 20
 * needs the V8 flag --experimental-wasm-relaxed-simd first: see src/node/wasm-features.ts.
 */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(kernelsBinary('relaxed'));
}

/** Whether this runtime supports WebAssembly SIMD at all (the plain binary validates). */
export function simdSupported(): boolean {
  return WebAssembly.validate(kernelsBinary('simd'));
}

/** The variant to use: relaxed when asked for (the default) and supported, else plain SIMD. */
export function chooseVariant(relaxed = true): KernelVariant {
  return relaxed && relaxedSimdSupported() ? 'relaxed' : 'simd';
}

/** Compiles a variant synchronously, e.g. to send the Module to worker threads (postMessage clones it). */
export function compileKernelsModule(variant: KernelVariant): WebAssembly.Module {
  const bytes = kernelsBinary(variant);
  if (!WebAssembly.validate(bytes)) {
    throw new MobileNetError('UNSUPPORTED', `this runtime cannot compile the '${variant}' WebAssembly kernels${variant === 'relaxed' ? ' (relaxed SIMD is not enabled)' : ' (no WebAssembly SIMD)'}`);
  }
  return new WebAssembly.Module(bytes);
}

function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

function kernelExports(instance: WebAssembly.Instance): KernelExports {
  const found: Partial<Record<keyof KernelExports, Function>> = {};
  for (const name of EXPORT_NAMES) {
    const value = instance.exports[name];
    if (typeof value !== 'function') throw new MobileNetError('INTERNAL', `the WebAssembly kernels have no export '${name}' (rebuild with npm run build)`);
    found[name] = value;
  }
  return found as KernelExports;
}

/**
 * Instantiates a compiled kernels Module on `memory`, which must be a shared WebAssembly.Memory
 * with maximum 65536 pages (new WebAssembly.Memory({ initial, maximum: 65536, shared: true })).
 * Synchronous, so workers can call it as soon as they receive the Module.
 */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): WasmKernels {
  if (!isSharedMemory(memory)) {
    throw new MobileNetError('INVALID_ARGUMENT', 'the WebAssembly kernels need a shared memory, expected new WebAssembly.Memory({ initial, maximum: 65536, shared: true })');
  }
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, { env: { memory, abort: () => {} } });
  } catch (error) {
    throw new MobileNetError('INVALID_ARGUMENT', `cannot instantiate the WebAssembly kernels on this memory (expected shared, maximum 65536 pages): ${String(error)}`, { cause: error });
  }
  const exports = kernelExports(instance);
  const variant: KernelVariant = exports.kernelVariant() === 1 ? 'relaxed' : 'simd';
  return { variant, module, memory, exports };
}

export interface LoadKernelsOptions {
  readonly memory: WebAssembly.Memory;
  /** Use relaxed SIMD (FMA) when the runtime supports it; default true. Falls back to plain SIMD. */
  readonly relaxed?: boolean;
}

/** Picks the variant, compiles it (asynchronously) and instantiates it on the given shared memory. */
export async function loadKernels(options: LoadKernelsOptions): Promise<WasmKernels> {
  const variant = chooseVariant(options.relaxed ?? true);
  const bytes = kernelsBinary(variant);
  if (!WebAssembly.validate(bytes)) throw new MobileNetError('UNSUPPORTED', 'this runtime does not support WebAssembly SIMD');
  const module = await WebAssembly.compile(bytes);
  return instantiateKernels(module, options.memory);
}

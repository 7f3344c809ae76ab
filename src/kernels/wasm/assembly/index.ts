// The WebAssembly SIMD kernels of mobilenet-ts. Every kernel is `(desc: usize) => void` reading a
// descriptor struct at byte offset `desc` (layouts in ./layout.ts and src/kernels/wasm/README.md).
export { pointwise } from './pointwise';
export { layoutOffset, descriptorBytes, pointwisePanelWidth, pointwisePackedChannels, conv2dChannelAlign } from './layout';

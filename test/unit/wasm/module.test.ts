/**
 * The kernels module: both variants load (relaxed after enabling the V8 flag; no silent skip), the
 * binaries carry no state that threads could trip over (no data, globals, start function or own
 * memory), and the descriptor layouts and packing constants compiled into the WebAssembly agree with
 * the TypeScript wrappers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MobileNetError } from '../../../src/errors.js';
import { CONV2D_DIRECT_CHANNEL_ALIGN, CONV2D_DIRECT_DESC_BYTES, CONV2D_DIRECT_LAYOUT } from '../../../src/kernels/wasm/conv2dDirect.js';
import { KERNEL_IDS, type FieldSpec } from '../../../src/kernels/wasm/descriptor.js';
import { DEPTHWISE3X3_DESC_BYTES, DEPTHWISE3X3_LAYOUT } from '../../../src/kernels/wasm/depthwise3x3.js';
import { GLOBAL_AVG_POOL_DESC_BYTES, GLOBAL_AVG_POOL_LAYOUT } from '../../../src/kernels/wasm/globalAvgPool.js';
import {
  compileKernelsModule, instantiateKernels, kernelsBinary, loadKernels, relaxedSimdSupported, simdSupported,
} from '../../../src/kernels/wasm/module.js';
import { POINTWISE_DESC_BYTES, POINTWISE_LAYOUT, POINTWISE_PANEL_WIDTH, pointwisePackedChannels } from '../../../src/kernels/wasm/pointwise.js';
import { ADD_IN_PLACE_DESC_BYTES, ADD_IN_PLACE_LAYOUT } from '../../../src/kernels/wasm/addInPlace.js';
import { BN_BACKWARD_APPLY_DESC_BYTES, BN_BACKWARD_APPLY_LAYOUT } from '../../../src/kernels/wasm/bnBackwardApply.js';
import { BN_BACKWARD_REDUCE_DESC_BYTES, BN_BACKWARD_REDUCE_LAYOUT } from '../../../src/kernels/wasm/bnBackwardReduce.js';
import { CHANNEL_STATS_DESC_BYTES, CHANNEL_STATS_LAYOUT, trainingScratchFloats } from '../../../src/kernels/wasm/channelStats.js';
import { CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES, CONV2D_DIRECT_BACKWARD_WEIGHT_LAYOUT } from '../../../src/kernels/wasm/conv2dDirectBackwardWeight.js';
import { DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES, DEPTHWISE3X3_BACKWARD_INPUT_LAYOUT } from '../../../src/kernels/wasm/depthwise3x3BackwardInput.js';
import { DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES, DEPTHWISE3X3_BACKWARD_WEIGHT_LAYOUT } from '../../../src/kernels/wasm/depthwise3x3BackwardWeight.js';
import { GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES, GLOBAL_AVG_POOL_BACKWARD_LAYOUT } from '../../../src/kernels/wasm/globalAvgPoolBackward.js';
import { POINTWISE_WEIGHT_GRAD_DESC_BYTES, POINTWISE_WEIGHT_GRAD_LAYOUT } from '../../../src/kernels/wasm/pointwiseWeightGrad.js';
import { SCALE_SHIFT_CLAMP_DESC_BYTES, SCALE_SHIFT_CLAMP_LAYOUT } from '../../../src/kernels/wasm/scaleShiftClamp.js';
import { enableRelaxedSimd } from '../../../src/node/wasm-features.js';
import { kernels, VARIANTS } from './support.js';

const sharedMemory = (): WebAssembly.Memory => new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });

test('relaxed SIMD is available once enabled (Node 20 needs the V8 flag), plain SIMD always', () => {
  assert.ok(simdSupported());
  assert.ok(enableRelaxedSimd(), 'enableRelaxedSimd() should make the relaxed binary validate');
  assert.ok(relaxedSimdSupported());
  assert.ok(enableRelaxedSimd(), 'enabling twice is harmless');
});

test('loadKernels picks relaxed SIMD by default when available, plain SIMD on request', async () => {
  enableRelaxedSimd();
  const memory = sharedMemory();
  assert.equal((await loadKernels({ memory })).variant, 'relaxed');
  assert.equal((await loadKernels({ memory, relaxed: true })).variant, 'relaxed');
  const plain = await loadKernels({ memory, relaxed: false });
  assert.equal(plain.variant, 'simd');
  assert.equal(plain.memory, memory);
  assert.equal(typeof plain.exports.pointwise, 'function');
});

test('one compiled Module instantiates on the same memory several times (as worker threads do)', () => {
  const memory = sharedMemory();
  const module = compileKernelsModule('simd');
  const a = instantiateKernels(module, memory);
  const b = instantiateKernels(module, memory);
  assert.equal(a.module, b.module);
  assert.equal(a.variant, 'simd');
});

test('instantiateKernels refuses a memory that is not shared', () => {
  const module = compileKernelsModule('simd');
  assert.throws(() => instantiateKernels(module, new WebAssembly.Memory({ initial: 1, maximum: 10 })), (error: unknown) => {
    assert.ok(error instanceof MobileNetError);
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.match(error.message, /shared memory/);
    return true;
  });
});

/** Section ids of a WebAssembly binary, in order. */
function sectionIds(bytes: Uint8Array): number[] {
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const ids: number[] = [];
  let at = 8;
  while (at < bytes.length) {
    ids.push(bytes[at++]!);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++]!;
      size += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    at += size;
  }
  assert.equal(at, bytes.length);
  return ids;
}

for (const variant of VARIANTS) {
  test(`the ${variant} binary has no data, globals, start function or memory of its own`, () => {
    const bytes = kernelsBinary(variant);
    const ids = sectionIds(bytes);
    for (const [id, name] of [[5, 'memory'], [6, 'global'], [8, 'start'], [11, 'data'], [12, 'data count']] as const) {
      assert.ok(!ids.includes(id), `the ${variant} binary has a ${name} section`);
    }
    const module = compileKernelsModule(variant);
    const imports = WebAssembly.Module.imports(module);
    assert.deepEqual(imports.filter((i) => i.kind === 'memory').map((i) => `${i.module}.${i.name}`), ['env.memory']);
    for (const i of imports) assert.ok(i.kind === 'memory' || (i.module === 'env' && i.name === 'abort'), `unexpected import ${i.module}.${i.name}`);
    for (const e of WebAssembly.Module.exports(module)) assert.equal(e.kind, 'function', `export ${e.name} is a ${e.kind}`);
  });

  test(`the ${variant} binary's descriptor layouts agree with the TypeScript wrappers`, () => {
    const { exports } = kernels(variant);
    const layouts: ReadonlyArray<readonly [keyof typeof KERNEL_IDS, Readonly<Record<string, FieldSpec>>, number]> = [
      ['pointwise', POINTWISE_LAYOUT, POINTWISE_DESC_BYTES],
      ['depthwise3x3', DEPTHWISE3X3_LAYOUT, DEPTHWISE3X3_DESC_BYTES],
      ['conv2dDirect', CONV2D_DIRECT_LAYOUT, CONV2D_DIRECT_DESC_BYTES],
      ['globalAvgPool', GLOBAL_AVG_POOL_LAYOUT, GLOBAL_AVG_POOL_DESC_BYTES],
      ['pointwiseWeightGrad', POINTWISE_WEIGHT_GRAD_LAYOUT, POINTWISE_WEIGHT_GRAD_DESC_BYTES],
      ['depthwise3x3BackwardInput', DEPTHWISE3X3_BACKWARD_INPUT_LAYOUT, DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES],
      ['depthwise3x3BackwardWeight', DEPTHWISE3X3_BACKWARD_WEIGHT_LAYOUT, DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES],
      ['conv2dDirectBackwardWeight', CONV2D_DIRECT_BACKWARD_WEIGHT_LAYOUT, CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES],
      ['channelStats', CHANNEL_STATS_LAYOUT, CHANNEL_STATS_DESC_BYTES],
      ['scaleShiftClamp', SCALE_SHIFT_CLAMP_LAYOUT, SCALE_SHIFT_CLAMP_DESC_BYTES],
      ['bnBackwardReduce', BN_BACKWARD_REDUCE_LAYOUT, BN_BACKWARD_REDUCE_DESC_BYTES],
      ['bnBackwardApply', BN_BACKWARD_APPLY_LAYOUT, BN_BACKWARD_APPLY_DESC_BYTES],
      ['addInPlace', ADD_IN_PLACE_LAYOUT, ADD_IN_PLACE_DESC_BYTES],
      ['globalAvgPoolBackward', GLOBAL_AVG_POOL_BACKWARD_LAYOUT, GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES],
    ];
    assert.deepEqual(layouts.map(([name]) => name).sort(), Object.keys(KERNEL_IDS).sort(), 'every kernel id has its layout checked');
    for (const [name, layout, bytes] of layouts) {
      const id = KERNEL_IDS[name];
      const fields = Object.entries(layout);
      fields.forEach(([field, spec], index) => {
        const code = exports.layoutOffset(id, index);
        assert.equal(code & 0xffff, spec.offset, `${name}.${field}: offset ${code & 0xffff} in WebAssembly, ${spec.offset} in TypeScript`);
        assert.equal(code >> 16 === 1 ? 'f32' : 'i32', spec.type, `${name}.${field}: type`);
      });
      assert.equal(exports.layoutOffset(id, fields.length), -1, `${name}: the WebAssembly layout has more fields than the TypeScript one`);
      assert.equal(exports.descriptorBytes(id), bytes, `${name}: descriptor size`);
    }
    const unknown = Math.max(...Object.values(KERNEL_IDS)) + 1;
    assert.equal(exports.layoutOffset(unknown, 0), -1);
    assert.equal(exports.descriptorBytes(unknown), -1);
  });

  test(`the ${variant} binary's packing constants agree with the TypeScript packers`, () => {
    const { exports } = kernels(variant);
    assert.equal(exports.pointwisePanelWidth(), POINTWISE_PANEL_WIDTH);
    for (let c = 1; c <= 300; c++) assert.equal(exports.pointwisePackedChannels(c), pointwisePackedChannels(c), `pointwisePackedChannels(${c})`);
    assert.equal(exports.conv2dChannelAlign(), CONV2D_DIRECT_CHANNEL_ALIGN);
    for (let c = 1; c <= 100; c++) assert.equal(exports.trainingScratchFloats(c), trainingScratchFloats(c), `trainingScratchFloats(${c})`);
    assert.equal(exports.kernelVariant(), variant === 'relaxed' ? 1 : 0);
  });
}

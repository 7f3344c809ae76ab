/**
 * The step interpreter's own decoding: Op.Copy reads its descriptor in JavaScript, so addresses at or
 * above 2³¹ (engine memories past 2 GiB, large batches in memory-efficient mode) must be read
 * unsigned. The memory is grown past 2 GiB but only a few of its pages are touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyDescriptor, Op, runCalls } from '../../../src/runtime/wasm/execute.js';
import { compileKernelsModule, instantiateKernels } from '../../../src/kernels/wasm/module.js';

const PAGE = 65536;

test('Op.Copy decodes a descriptor and addresses above 2³¹ unsigned', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const k = instantiateKernels(compileKernelsModule('simd'), memory);
  memory.grow(2 ** 31 / PAGE + 1 - 1);
  const base = 2 ** 31;
  const desc = base + 64;
  const src = base + 1024;
  const dst = base + 4096;
  const view = new DataView(memory.buffer);
  view.setUint32(desc, src, true);
  view.setUint32(desc + 4, dst, true);
  view.setUint32(desc + 8, 16, true);
  const bytes = new Uint8Array(memory.buffer);
  for (let i = 0; i < 16; i++) bytes[src + i] = i + 1;
  assert.deepEqual(copyDescriptor(memory, desc), { src, dst, bytes: 16 });
  // A plan's call list is an Int32Array: the descriptor pointer reads back negative there.
  const calls = Int32Array.of(Op.Copy, desc);
  assert.ok(calls[1]! < 0);
  assert.deepEqual(copyDescriptor(memory, calls[1]!), { src, dst, bytes: 16 });
  runCalls(k.exports, memory, calls);
  assert.deepEqual([...bytes.subarray(dst, dst + 16)], Array.from({ length: 16 }, (_, i) => i + 1));
  assert.equal(bytes[dst + 16], 0);
});

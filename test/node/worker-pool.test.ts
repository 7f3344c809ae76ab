/**
 * The Node worker pool with the step interpreter, on hand-made plans of Op.Copy steps: a thread
 * whose call throws still meets every barrier (nothing hangs), the failure is reported once, and
 * the next run on the same pool is clean. Starting and closing: a worker already gone does not
 * stall close(), and a failed start leaves no worker running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMAND, CONTROL, executePlan, Op, type StepPlan } from '../../src/runtime/wasm/execute.js';
import { compileKernelsModule, instantiateKernels, type WasmKernels } from '../../src/kernels/wasm/module.js';
import { createNodeWorkerPool, enableWorkerThreads } from '../../src/node/worker-pool.js';
import { defaultThreadCount, MAX_THREADS, registerWorkerPoolFactory, type WorkerPool } from '../../src/runtime/wasm/pool.js';
import { assertRejected } from '../helpers.js';

const CONTROL_OFFSET = 64;
const STEPS = 4;

interface Setup {
  k: WasmKernels;
  pool: WorkerPool;
  control: Int32Array;
  /** Where thread t's copy of step s writes its 16 bytes. */
  dst: (s: number, t: number) => number;
  /** A plan of STEPS steps in which every thread copies 16 bytes per step; `bad` calls get a descriptor outside the memory. */
  plan: (bad?: { step: number; thread: number }) => StepPlan[];
}

async function setup(): Promise<Setup> {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  const module = compileKernelsModule('simd');
  const k = instantiateKernels(module, memory);
  const pool = await createNodeWorkerPool({ threads: 2, module, memory, controlOffset: CONTROL_OFFSET });
  const control = new Int32Array(memory.buffer as SharedArrayBuffer, CONTROL_OFFSET, CONTROL.words);
  const view = new DataView(memory.buffer);
  const src = 4096;
  for (let i = 0; i < 16; i++) view.setUint8(src + i, 100 + i);
  const dst = (s: number, t: number) => 8192 + (s * 2 + t) * 64;
  const desc = (s: number, t: number) => 1024 + (s * 2 + t) * 16;
  for (let s = 0; s < STEPS; s++) {
    for (let t = 0; t < 2; t++) {
      view.setUint32(desc(s, t), src, true);
      view.setUint32(desc(s, t) + 4, dst(s, t), true);
      view.setUint32(desc(s, t) + 8, 16, true);
    }
  }
  const plan = (bad?: { step: number; thread: number }) =>
    Array.from({ length: STEPS }, (_, s) => ({
      calls: [0, 1].map((t) => Int32Array.of(Op.Copy, bad?.step === s && bad.thread === t ? memory.buffer.byteLength + 64 : desc(s, t))),
    }));
  return { k, pool, control, dst, plan };
}

function clear(k: WasmKernels): void {
  new Uint8Array(k.memory.buffer).fill(0, 8192, 8192 + STEPS * 2 * 64);
}

function copied(k: WasmKernels, at: number): boolean {
  return new Uint8Array(k.memory.buffer)[at] === 100;
}

/** One run of the loaded plan as thread 0: its own error (thrown after the last barrier) and the workers'. */
function run({ k, pool, control }: Setup, steps: StepPlan[]): { own?: unknown; worker?: string } {
  pool.start();
  let own: unknown;
  try {
    executePlan(k.exports, k.memory, control, steps, 0, 2);
  } catch (error) {
    own = error;
  }
  const worker = pool.takeError();
  return { ...(own === undefined ? {} : { own }), ...(worker === undefined ? {} : { worker }) };
}

test('a worker whose call throws meets the remaining barriers; the others skip their calls; the next run is clean', async () => {
  const s = await setup();
  try {
    const bad = s.plan({ step: 0, thread: 1 });
    s.pool.load(bad);
    clear(s.k);
    const failed = run(s, bad);
    assert.equal(failed.own, undefined);
    assert.match(failed.worker ?? '', /^worker 1: /);
    for (let step = 1; step < STEPS; step++) assert.ok(!copied(s.k, s.dst(step, 0)) && !copied(s.k, s.dst(step, 1)), `step ${step} was skipped`);

    const good = s.plan();
    s.pool.load(good);
    clear(s.k);
    assert.deepEqual(run(s, good), {});
    for (let step = 0; step < STEPS; step++) for (const t of [0, 1]) assert.ok(copied(s.k, s.dst(step, t)), `step ${step} thread ${t}`);
  } finally {
    await s.pool.close();
  }
});

test('thread 0 whose call throws still meets every barrier: the worker is not left waiting, and the next run is clean', async () => {
  const s = await setup();
  try {
    const bad = s.plan({ step: 1, thread: 0 });
    s.pool.load(bad);
    clear(s.k);
    const failed = run(s, bad);
    assert.ok(failed.own instanceof RangeError, String(failed.own));
    assert.equal(failed.worker, undefined);
    assert.ok(!copied(s.k, s.dst(2, 1)) && !copied(s.k, s.dst(3, 1)), 'the worker skipped steps 2 and 3');

    const good = s.plan();
    s.pool.load(good);
    for (let i = 0; i < 3; i++) {
      clear(s.k);
      assert.deepEqual(run(s, good), {});
      for (let step = 0; step < STEPS; step++) for (const t of [0, 1]) assert.ok(copied(s.k, s.dst(step, t)), `run ${i} step ${step} thread ${t}`);
    }
  } finally {
    await s.pool.close();
  }
});

test('close() returns when a worker has already exited', { timeout: 30_000 }, async () => {
  const s = await setup();
  // Tell the worker to exit behind the pool's back, as if it had died.
  Atomics.store(s.control, CONTROL.command, COMMAND.exit);
  Atomics.add(s.control, CONTROL.start, 1);
  Atomics.notify(s.control, CONTROL.start);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await s.pool.close();
});

test('workers that fail to start are reported, and none is left running', { timeout: 30_000 }, async () => {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  // Not a module: every worker's instantiation throws.
  const module = {} as WebAssembly.Module;
  await assertRejected(createNodeWorkerPool({ threads: 3, module, memory, controlOffset: CONTROL_OFFSET }), 'INTERNAL', /^worker [12] failed to start: /);
});

test('the default thread count is the registered core count, at most MAX_THREADS', () => {
  try {
    registerWorkerPoolFactory(createNodeWorkerPool, 3);
    assert.equal(defaultThreadCount(), 3);
    registerWorkerPoolFactory(createNodeWorkerPool, 128);
    assert.equal(defaultThreadCount(), MAX_THREADS);
  } finally {
    enableWorkerThreads();
  }
});

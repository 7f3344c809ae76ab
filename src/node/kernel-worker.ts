/**
 * A worker thread of the fast engine: instantiates the kernels on the shared memory, then sleeps
 * on the control block until the caller wakes it to load a plan, run it, or exit.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { barrier, COMMAND, CONTROL, executeJobSlot, executePlan, type KernelExports, type StepPlan } from '../runtime/wasm/execute.js';

interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  controlOffset: number;
  thread: number;
  threads: number;
  port: MessagePort;
}

/** Spins (~0.2 ms) before a worker sleeps waiting for the next job. */
const START_SPINS = 200_000;

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory, abort: () => undefined } });
  const exports = instance.exports as unknown as KernelExports;
  const control = new Int32Array(init.memory.buffer as SharedArrayBuffer, init.controlOffset, CONTROL.words);
  let steps: StepPlan[] = [];
  let seen = Atomics.load(control, CONTROL.start);
  // A failure is reported at once, before the barrier the caller waits at (its takeError() then
  // finds the message); the flag makes the other threads skip the rest of the run.
  const report = (error: unknown) => {
    init.port.postMessage({ error: `worker ${init.thread}: ${error instanceof Error ? error.message : String(error)}` });
    Atomics.store(control, CONTROL.error, 1);
  };
  parentPort!.postMessage({ ready: true });
  for (;;) {
    // Spin a little before sleeping: the training loop issues hundreds of short call lists per step,
    // and a futex wake-up costs more than most of them.
    for (let i = 0; i < START_SPINS && Atomics.load(control, CONTROL.start) === seen; i++);
    Atomics.wait(control, CONTROL.start, seen);
    seen = Atomics.load(control, CONTROL.start);
    const command = Atomics.load(control, CONTROL.command);
    if (command === COMMAND.exit) break;
    if (command === COMMAND.reload) {
      const message = receiveMessageOnPort(init.port);
      if (message) steps = (message.message as { steps: StepPlan[] }).steps;
      barrier(control, init.threads);
      continue;
    }
    if (command === COMMAND.calls) {
      try {
        executeJobSlot(exports, init.memory, init.controlOffset, init.thread);
      } catch (error) {
        report(error);
      }
      barrier(control, init.threads);
      continue;
    }
    try {
      executePlan(exports, init.memory, control, steps, init.thread, init.threads, { onError: report });
    } catch {
      // Already reported by onError; executePlan met every barrier before throwing.
    }
  }
}

main().catch((error) => {
  parentPort!.postMessage({ error: String(error) });
});

/**
 * worker_threads for the fast engine: threads − 1 workers share the kernels' memory with the
 * caller. Waking and barriers go through Atomics on a control block in that memory, not through
 * messages (a message round trip costs more than a small layer). Workers are unref'd: a
 * forgotten session does not keep the process alive.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { MobileNetError } from '../errors.js';
import { barrier, COMMAND, CONTROL, type StepPlan } from '../runtime/wasm/execute.js';
import { registerWorkerPoolFactory, type WorkerPool, type WorkerPoolFactory } from '../runtime/wasm/pool.js';

class NodeWorkerPool implements WorkerPool {
  private closed = false;

  constructor(
    readonly threads: number,
    private readonly workers: Worker[],
    private readonly ports: MessagePort[],
    private readonly control: Int32Array,
  ) {}

  private wake(command: number): void {
    Atomics.store(this.control, CONTROL.command, command);
    Atomics.add(this.control, CONTROL.start, 1);
    Atomics.notify(this.control, CONTROL.start);
  }

  /** Every worker message not yet read (the last run's errors). */
  private drain(): string[] {
    const errors: string[] = [];
    for (const port of this.ports) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const error = (m.message as { error?: string }).error;
        if (error) errors.push(error);
      }
    }
    return errors;
  }

  /** A failed run must not fail the next one: forget its flag and messages before waking anyone. */
  private reset(): void {
    this.drain();
    Atomics.store(this.control, CONTROL.error, 0);
  }

  load(steps: readonly StepPlan[]): void {
    if (this.threads === 1) return;
    for (const port of this.ports) port.postMessage({ steps });
    this.wake(COMMAND.reload);
    barrier(this.control, this.threads);
  }

  start(): void {
    if (this.threads === 1) return;
    this.reset();
    this.wake(COMMAND.run);
  }

  startCalls(): void {
    if (this.threads === 1) return;
    this.reset();
    this.wake(COMMAND.calls);
  }

  takeError(): string | undefined {
    // Workers post before they meet the last barrier, so after it every message is here.
    return this.drain()[0];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.threads === 1) return;
    // Ref'd again so that the process waits for them to exit.
    for (const w of this.workers) w.ref();
    const exited = this.workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    this.wake(COMMAND.exit);
    await Promise.all(exited);
    for (const port of this.ports) port.close();
  }
}

export const createNodeWorkerPool: WorkerPoolFactory = async ({ threads, module, memory, controlOffset }) => {
  const control = new Int32Array(memory.buffer as SharedArrayBuffer, controlOffset, CONTROL.words);
  const workers: Worker[] = [];
  const ports: MessagePort[] = [];
  const ready: Promise<void>[] = [];
  for (let thread = 1; thread < threads; thread++) {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./kernel-worker.js', import.meta.url), {
      workerData: { module, memory, controlOffset, thread, threads, port: port2 },
      transferList: [port2],
    });
    ready.push(
      new Promise<void>((resolve, reject) => {
        worker.once('message', (m: { ready?: boolean; error?: string }) =>
          m.ready ? resolve() : reject(new MobileNetError('INTERNAL', `worker ${thread} failed to start: ${m.error}`)),
        );
        worker.once('error', (e) => reject(new MobileNetError('INTERNAL', `worker ${thread} failed to start: ${e.message}`)));
      }),
    );
    workers.push(worker);
    ports.push(port1);
  }
  await Promise.all(ready);
  // Only now: an unref'd worker would not keep the process alive while it starts.
  for (const worker of workers) worker.unref();
  return new NodeWorkerPool(threads, workers, ports, control);
};

/** Makes the fast engine use worker_threads in this process, defaulting to one thread per core. */
export function enableWorkerThreads(): void {
  registerWorkerPoolFactory(createNodeWorkerPool, availableParallelism());
}

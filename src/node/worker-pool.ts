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
    /** Settle when each worker has exited, listened to since its creation: one may be gone before close(). */
    private readonly exited: Promise<void>[],
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
    this.wake(COMMAND.exit);
    await Promise.all(this.exited);
    for (const port of this.ports) port.close();
  }
}

export const createNodeWorkerPool: WorkerPoolFactory = async ({ threads, module, memory, controlOffset }) => {
  const control = new Int32Array(memory.buffer as SharedArrayBuffer, controlOffset, CONTROL.words);
  const workers: Worker[] = [];
  const exited: Promise<void>[] = [];
  const ports: MessagePort[] = [];
  const ready: Promise<void>[] = [];
  for (let thread = 1; thread < threads; thread++) {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./kernel-worker.js', import.meta.url), {
      workerData: { module, memory, controlOffset, thread, threads, port: port2 },
      transferList: [port2],
    });
    exited.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    ready.push(
      new Promise<void>((resolve, reject) => {
        worker.once('message', (m: { ready?: boolean; error?: string }) =>
          m.ready ? resolve() : reject(new MobileNetError('INTERNAL', `worker ${thread} failed to start: ${m.error}`)),
        );
        worker.once('error', (e) => reject(new MobileNetError('INTERNAL', `worker ${thread} failed to start: ${e.message}`)));
        // A worker that exits before it is ready sends neither.
        worker.once('exit', (code) => reject(new MobileNetError('INTERNAL', `worker ${thread} exited (code ${code}) before it was ready`)));
      }),
    );
    workers.push(worker);
    ports.push(port1);
  }
  const started = await Promise.allSettled(ready);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // The workers that did start wait on the control block, still ref'd: they would keep the process alive.
    await Promise.all(workers.map((w) => w.terminate()));
    for (const port of ports) port.close();
    throw failed.reason;
  }
  // Only now: an unref'd worker would not keep the process alive while it starts.
  for (const worker of workers) worker.unref();
  return new NodeWorkerPool(threads, workers, exited, ports, control);
};

/** Makes the fast engine use worker_threads in this process, defaulting to one thread per core. */
export function enableWorkerThreads(): void {
  registerWorkerPoolFactory(createNodeWorkerPool, availableParallelism());
}

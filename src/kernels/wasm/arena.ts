/**
 * A bump allocator over the kernels' memory, for tests and benchmarks (the runtime's planner lays
 * out its own memory). Allocations are 16-byte aligned and the memory grows when needed; offset 0 is
 * never handed out (pointer 0 means "none" in the descriptors).
 */
import { MobileNetError } from '../../errors.js';

const PAGE = 65536;

export class Arena {
  readonly memory: WebAssembly.Memory;
  private top: number;

  constructor(memory: WebAssembly.Memory, start = 64) {
    this.memory = memory;
    this.top = Math.max(16, Math.ceil(start / 16) * 16);
  }

  /** Byte offset of a fresh 16-byte aligned block of `bytes` bytes. */
  allocBytes(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new MobileNetError('INVALID_ARGUMENT', `Arena.allocBytes(${bytes}), expected a non-negative integer`);
    const at = this.top;
    const end = at + Math.ceil(bytes / 16) * 16;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch (error) {
        throw new MobileNetError('INVALID_ARGUMENT', `Arena: cannot grow the memory to ${end} bytes: ${String(error)}`, { cause: error });
      }
    }
    this.top = end;
    return at;
  }

  /** Byte offset of a fresh block of `count` floats. */
  alloc(count: number): number {
    return this.allocBytes(count * 4);
  }

  /** Copies `data` into a fresh block and returns its byte offset. */
  put(data: Float32Array): number {
    const at = this.alloc(data.length);
    this.f32(at, data.length).set(data);
    return at;
  }

  /** A Float32Array view of `count` floats at byte offset `at` (views go stale when the memory grows: take them late). */
  f32(at: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, count);
  }

  /** A DataView over the whole memory as it is now. */
  view(): DataView {
    return new DataView(this.memory.buffer);
  }

  /** The current top, to reset to later. */
  mark(): number {
    return this.top;
  }

  reset(mark: number): void {
    this.top = mark;
  }
}

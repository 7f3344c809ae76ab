/**
 * A restricted unpickler: enough of Python's pickle machine (protocols 2 to 5) to read what
 * `torch.save` writes, and nothing that can run code.
 *
 * Python's unpickler calls whatever a pickle names (`GLOBAL 'os system'` + `REDUCE` runs a shell
 * command). This one never looks anything up: a global resolves only when the caller put it in an
 * allow-list, as a small TypeScript function written here, and any other global is refused as
 * soon as the opcode naming it is read. Opcodes that build arbitrary objects (INST, OBJ, NEWOBJ,
 * EXT*) and the protocol-0 text opcodes are refused too, naming the opcode and its offset.
 *
 * Python values become: None → null, bool → boolean, int → number (bigint beyond 2^53), float →
 * number, str → string, bytes → Uint8Array, list → array, tuple → frozen array, dict → Map,
 * set/frozenset → Set. What REDUCE and BINPERSID produce is up to the allow-listed functions.
 * The machine is iterative (no recursion), and the mark stack and memo are bounded.
 */
import { MobileNetError } from '../errors.js';

/** A Python global the caller allows, with the function REDUCE runs for it (none: it is only a marker). */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call?: (args: readonly unknown[], at: number) => unknown,
  ) {}

  /** 'module name', the way the GLOBAL opcode spells it. */
  get key(): string {
    return `${this.module} ${this.name}`;
  }
}

export interface UnpickleOptions {
  /** The allow-list, keyed by 'module name' (e.g. 'collections OrderedDict'). */
  readonly globals: ReadonlyMap<string, PickleGlobal>;
  /** Handler for BINPERSID (torch uses it for tensor storages); without one, BINPERSID is refused. */
  readonly persistentLoad?: (pid: unknown, at: number) => unknown;
  /** Names the stream in messages, e.g. 'archive/data.pkl'. */
  readonly source?: string;
  /** Most nested MARKs (open tuples/lists/dicts being built); real torch pickles use about 3. */
  readonly maxMarkDepth?: number;
  /** Most memo entries. */
  readonly maxMemoEntries?: number;
}

const DEFAULT_MAX_MARK_DEPTH = 1000;
const DEFAULT_MAX_MEMO_ENTRIES = 4_000_000;
/** LONG4 integers longer than this are refused (no legitimate tensor file holds one). */
const MAX_LONG_BYTES = 1 << 16;
const HIGHEST_PROTOCOL = 5;

/** Every pickle opcode by byte, for naming the ones we refuse. */
const OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  (
    [
      ['(', 'MARK'], ['.', 'STOP'], ['0', 'POP'], ['1', 'POP_MARK'], ['2', 'DUP'], ['F', 'FLOAT'], ['I', 'INT'],
      ['J', 'BININT'], ['K', 'BININT1'], ['L', 'LONG'], ['M', 'BININT2'], ['N', 'NONE'], ['P', 'PERSID'],
      ['Q', 'BINPERSID'], ['R', 'REDUCE'], ['S', 'STRING'], ['T', 'BINSTRING'], ['U', 'SHORT_BINSTRING'],
      ['V', 'UNICODE'], ['X', 'BINUNICODE'], ['a', 'APPEND'], ['b', 'BUILD'], ['c', 'GLOBAL'], ['d', 'DICT'],
      ['}', 'EMPTY_DICT'], ['e', 'APPENDS'], ['g', 'GET'], ['h', 'BINGET'], ['i', 'INST'], ['j', 'LONG_BINGET'],
      ['l', 'LIST'], [']', 'EMPTY_LIST'], ['o', 'OBJ'], ['p', 'PUT'], ['q', 'BINPUT'], ['r', 'LONG_BINPUT'],
      ['s', 'SETITEM'], ['t', 'TUPLE'], [')', 'EMPTY_TUPLE'], ['u', 'SETITEMS'], ['G', 'BINFLOAT'],
      ['\x80', 'PROTO'], ['\x81', 'NEWOBJ'], ['\x82', 'EXT1'], ['\x83', 'EXT2'], ['\x84', 'EXT4'],
      ['\x85', 'TUPLE1'], ['\x86', 'TUPLE2'], ['\x87', 'TUPLE3'], ['\x88', 'NEWTRUE'], ['\x89', 'NEWFALSE'],
      ['\x8a', 'LONG1'], ['\x8b', 'LONG4'], ['B', 'BINBYTES'], ['C', 'SHORT_BINBYTES'],
      ['\x8c', 'SHORT_BINUNICODE'], ['\x8d', 'BINUNICODE8'], ['\x8e', 'BINBYTES8'], ['\x8f', 'EMPTY_SET'],
      ['\x90', 'ADDITEMS'], ['\x91', 'FROZENSET'], ['\x92', 'NEWOBJ_EX'], ['\x93', 'STACK_GLOBAL'],
      ['\x94', 'MEMOIZE'], ['\x95', 'FRAME'], ['\x96', 'BYTEARRAY8'], ['\x97', 'NEXT_BUFFER'],
      ['\x98', 'READONLY_BUFFER'],
    ] as const
  ).map(([c, name]) => [c.charCodeAt(0), name]),
);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A Python tuple as this unpickler represents it: a frozen array. */
export function isPickleTuple(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.isFrozen(value);
}

/** A short, non-recursive description of an unpickled value for error messages. */
export function describePickleValue(value: unknown): string {
  if (value === null) return 'None';
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `str ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `int ${value}` : `float ${value}`;
  if (typeof value === 'bigint') return `int ${value}`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof PickleGlobal) return `global '${value.key}'`;
  if (value instanceof Map) return `dict of ${value.size} entries`;
  if (value instanceof Set) return `set of ${value.size} items`;
  if (value instanceof Uint8Array) return `bytes of length ${value.length}`;
  if (Array.isArray(value)) return `${Object.isFrozen(value) ? 'tuple' : 'list'} of length ${value.length}`;
  if (typeof value === 'object') {
    const v = value as { dtype?: unknown; shape?: unknown };
    if (typeof v.dtype === 'string' && Array.isArray(v.shape)) return `tensor ${v.dtype} [${v.shape.join(', ')}]`;
  }
  return typeof value;
}

function isHashable(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean' ||
    value instanceof PickleGlobal ||
    isPickleTuple(value)
  );
}

/** Two's-complement little-endian bytes → integer (number when it is a safe integer). */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) hex += bytes[i]!.toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/**
 * Runs the restricted pickle machine over `bytes` and returns the object the pickle describes.
 * Throws MobileNetError: INVALID_FORMAT for truncated or malformed pickles (and for bytes after
 * the pickle's STOP), UNSUPPORTED for opcodes and globals outside the allow-list.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return run(bytes, 0, options, true).value;
}

/**
 * One pickle of a stream of them (legacy torch.save files are several pickles and raw data in a
 * row): runs from `start` to the first STOP and returns the value and the offset after the STOP.
 * Offsets in messages count from the start of `bytes`.
 */
export function unpickleAt(bytes: Uint8Array, start: number, options: UnpickleOptions): { value: unknown; end: number } {
  return run(bytes, start, options, false);
}

function run(bytes: Uint8Array, start: number, options: UnpickleOptions, whole: boolean): { value: unknown; end: number } {
  const source = options.source ?? 'pickle';
  const maxMarkDepth = options.maxMarkDepth ?? DEFAULT_MAX_MARK_DEPTH;
  const maxMemoEntries = options.maxMemoEntries ?? DEFAULT_MAX_MEMO_ENTRIES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = []; // stack lengths at each open MARK
  const memo = new Map<number, unknown>();
  let pos = start;
  let at = start; // offset of the opcode being executed
  let op = 0;

  const opName = (): string => OPCODE_NAMES.get(op) ?? `0x${op.toString(16).padStart(2, '0')}`;
  const invalid = (message: string): MobileNetError =>
    new MobileNetError('INVALID_FORMAT', `${source}: ${opName()} at byte ${at}: ${message}`);

  const need = (n: number): void => {
    if (n > bytes.length - pos) {
      throw new MobileNetError(
        'INVALID_FORMAT',
        `${source}: truncated: ${opName()} at byte ${at} needs ${n} more bytes at byte ${pos}, but only ${bytes.length - pos} remain`,
      );
    }
  };
  const readU8 = (): number => {
    need(1);
    return bytes[pos++]!;
  };
  const readU16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const readU32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const readI32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  /** An 8-byte length; anything beyond the remaining bytes is reported as truncation. */
  const readU64Length = (): number => {
    need(8);
    const low = view.getUint32(pos, true);
    const high = view.getUint32(pos + 4, true);
    pos += 8;
    const value = high * 2 ** 32 + low;
    need(Math.min(value, Number.MAX_SAFE_INTEGER));
    return value;
  };
  const readBytes = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const readText = (n: number): string => {
    const raw = readBytes(n);
    try {
      return utf8.decode(raw);
    } catch {
      throw invalid(`string of ${n} bytes at byte ${pos - n} is not valid UTF-8`);
    }
  };
  /** A '\n'-terminated line (GLOBAL's operands), at most 1024 bytes. */
  const readLine = (): string => {
    const limit = Math.min(bytes.length, pos + 1024);
    let end = pos;
    while (end < limit && bytes[end] !== 0x0a) end++;
    if (end >= limit) {
      if (limit === bytes.length) throw invalid(`truncated: no newline ends the operand starting at byte ${pos}`);
      throw invalid(`operand starting at byte ${pos} is longer than 1024 bytes`);
    }
    const text = readText(end - pos);
    pos++; // '\n'
    return text;
  };

  const pop = (): unknown => {
    const floor = marks.length > 0 ? marks[marks.length - 1]! : 0;
    if (stack.length <= floor) throw invalid(marks.length > 0 ? 'no value above the last MARK' : 'the stack is empty');
    return stack.pop();
  };
  const top = (): unknown => {
    const floor = marks.length > 0 ? marks[marks.length - 1]! : 0;
    if (stack.length <= floor) throw invalid(marks.length > 0 ? 'no value above the last MARK' : 'the stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) throw invalid('no MARK to pop to');
    return stack.splice(mark);
  };
  const memoPut = (index: number): void => {
    if (!memo.has(index) && memo.size >= maxMemoEntries) throw invalid(`more than ${maxMemoEntries} memo entries`);
    memo.set(index, top());
  };
  const memoGet = (index: number): void => {
    if (!memo.has(index)) throw invalid(`memo entry ${index} was never stored`);
    stack.push(memo.get(index));
  };
  const resolveGlobal = (module: string, name: string): PickleGlobal => {
    const found = options.globals.get(`${module} ${name}`);
    if (found === undefined) {
      throw new MobileNetError(
        'UNSUPPORTED',
        `${source}: pickle refers to global '${module} ${name}' (${opName()} at byte ${at}), which is not on the allow-list; ` +
          'mobilenet-ts loads only tensors and never runs code from a file',
      );
    }
    return found;
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) throw invalid(`expected a dict to set items on, found ${describePickleValue(target)}`);
    for (let i = 0; i < items.length; i += 2) {
      if (!isHashable(items[i])) throw invalid(`dict key ${describePickleValue(items[i])} is not hashable`);
      target.set(items[i], items[i + 1]);
    }
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target) || Object.isFrozen(target)) {
      throw invalid(`expected a list to append to, found ${describePickleValue(target)}`);
    }
    for (const item of items) target.push(item);
  };

  for (;;) {
    if (pos >= bytes.length) {
      throw new MobileNetError('INVALID_FORMAT', `${source}: truncated: the pickle ends at byte ${pos} without a STOP opcode`);
    }
    at = pos;
    op = bytes[pos++]!;
    switch (op) {
      case 0x80: {
        // PROTO
        const version = readU8();
        if (version > HIGHEST_PROTOCOL) {
          throw new MobileNetError('UNSUPPORTED', `${source}: pickle protocol ${version} at byte ${at} is newer than the highest known (${HIGHEST_PROTOCOL})`);
        }
        break;
      }
      case 0x95: // FRAME: framing only groups opcodes for buffered reads; check the length and go on.
        readU64Length();
        break;
      case 0x2e: {
        // STOP
        if (marks.length > 0) throw invalid(`${marks.length} MARK(s) still open`);
        if (stack.length !== 1) throw invalid(`expected exactly one value on the stack, found ${stack.length}`);
        if (whole && pos !== bytes.length) throw invalid(`${bytes.length - pos} unexpected bytes after STOP`);
        return { value: stack[0], end: pos };
      }
      case 0x28: // MARK
        if (marks.length >= maxMarkDepth) throw invalid(`more than ${maxMarkDepth} nested MARKs`);
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;

      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(readI32());
        break;
      case 0x4b: // BININT1
        stack.push(readU8());
        break;
      case 0x4d: // BININT2
        stack.push(readU16());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(readBytes(readU8())));
        break;
      case 0x8b: {
        // LONG4
        const n = readI32();
        if (n < 0) throw invalid(`negative length ${n}`);
        if (n > MAX_LONG_BYTES) throw invalid(`integer of ${n} bytes is longer than the ${MAX_LONG_BYTES}-byte limit`);
        stack.push(decodeLong(readBytes(n)));
        break;
      }
      case 0x47: {
        // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x8c: // SHORT_BINUNICODE
        stack.push(readText(readU8()));
        break;
      case 0x58: // BINUNICODE
        stack.push(readText(readU32()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(readText(readU64Length()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(readBytes(readU8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(readBytes(readU32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(readBytes(readU64Length()).slice());
        break;

      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x74: // TUPLE
        stack.push(Object.freeze(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(Object.freeze([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(Object.freeze([a, b, c]));
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark().map((item) => {
          if (!isHashable(item)) throw invalid(`set item ${describePickleValue(item)} is not hashable`);
          return item;
        })));
        break;

      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) throw invalid(`odd number (${items.length}) of keys and values`);
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const target = top();
        if (!(target instanceof Set)) throw invalid(`expected a set to add to, found ${describePickleValue(target)}`);
        for (const item of items) {
          if (!isHashable(item)) throw invalid(`set item ${describePickleValue(item)} is not hashable`);
          target.add(item);
        }
        break;
      }

      case 0x71: // BINPUT
        memoPut(readU8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(readU32());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x68: // BINGET
        memoGet(readU8());
        break;
      case 0x6a: // LONG_BINGET
        memoGet(readU32());
        break;

      case 0x63: {
        // GLOBAL 'module\nname\n'
        const module = readLine();
        const name = readLine();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw invalid(`expected module and name strings, found ${describePickleValue(module)} and ${describePickleValue(name)}`);
        }
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args), for allow-listed callables only
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PickleGlobal)) throw invalid(`expected a callable global, found ${describePickleValue(callable)}`);
        if (!isPickleTuple(args)) throw invalid(`arguments for '${callable.key}' must be a tuple, found ${describePickleValue(args)}`);
        if (callable.call === undefined) {
          throw new MobileNetError('UNSUPPORTED', `${source}: REDUCE at byte ${at} calls '${callable.key}', which mobilenet-ts accepts only as a type tag, not as a function`);
        }
        stack.push(callable.call(args, at));
        break;
      }
      case 0x62: {
        // BUILD: sets attributes. Only the `_metadata` torch attaches to an OrderedDict is expected,
        // and ignored.
        const state = pop();
        const target = top();
        if (!(target instanceof Map)) {
          throw new MobileNetError('UNSUPPORTED', `${source}: BUILD at byte ${at} would set state on ${describePickleValue(target)}; only dicts are accepted`);
        }
        if (!(state instanceof Map) && !isPickleTuple(state)) throw invalid(`expected a state dict, found ${describePickleValue(state)}`);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (options.persistentLoad === undefined) {
          throw new MobileNetError('UNSUPPORTED', `${source}: BINPERSID at byte ${at}: this pickle refers to external data, which is not expected here`);
        }
        stack.push(options.persistentLoad(pid, at));
        break;
      }

      default: {
        const name = OPCODE_NAMES.get(op);
        if (name === undefined) throw invalid(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
        throw new MobileNetError(
          'UNSUPPORTED',
          `${source}: pickle opcode ${name} (0x${op.toString(16).padStart(2, '0')}) at byte ${at} is not supported; ` +
            'mobilenet-ts reads only the opcodes torch.save writes for tensors and plain containers',
        );
      }
    }
  }
}

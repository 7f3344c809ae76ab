/**
 * The one error class of mobilenet-ts. `code` says what kind of problem it is so that callers
 * (the CLI, a server) can react without parsing messages; the message names the bad value and
 * what was expected.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT' // a bad option or argument from the caller
  | 'UNKNOWN_MODEL' // a model name not in the registry
  | 'INVALID_FORMAT' // a file that is truncated, corrupt or not of the expected format
  | 'UNSUPPORTED' // valid input that this version does not handle (an ONNX op, a pickle global)
  | 'WEIGHTS_MISMATCH' // missing/unexpected keys or wrong shapes when loading weights
  | 'SHAPE_MISMATCH' // an input tensor of the wrong shape
  | 'IO_ERROR' // a file that cannot be read or written
  | 'NETWORK_ERROR' // a download that failed
  | 'DIVERGED' // training produced a non-finite loss (usually a learning rate too high)
  | 'INTERNAL'; // a bug in mobilenet-ts

/** Codes that mean "the caller gave bad input": the CLI exits 2 for these, 1 for the rest. */
const USER_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_ARGUMENT',
  'UNKNOWN_MODEL',
  'INVALID_FORMAT',
  'UNSUPPORTED',
  'WEIGHTS_MISMATCH',
  'SHAPE_MISMATCH',
  'IO_ERROR',
  'NETWORK_ERROR',
  'DIVERGED',
]);

export class MobileNetError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MobileNetError';
    this.code = code;
  }

  /** True when the error is about the caller's input rather than a bug in this library. */
  get isUserError(): boolean {
    return USER_ERROR_CODES.has(this.code);
  }
}

/** Shorthand for the most common case: a bad argument. */
export function invalidArgument(message: string): MobileNetError {
  return new MobileNetError('INVALID_ARGUMENT', message);
}

/**
 * Runs `validate` on values read from a file. A MobileNetError with one of `codes` (by default any)
 * becomes INVALID_FORMAT prefixed with `where`: the bad value came from the file, not from the
 * caller, and the message should say which file and part. Other errors pass through unchanged.
 */
export function asFormatError<T>(where: string, validate: () => T, codes?: readonly ErrorCode[]): T {
  try {
    return validate();
  } catch (e) {
    if (!(e instanceof MobileNetError) || (codes !== undefined && !codes.includes(e.code))) throw e;
    throw new MobileNetError('INVALID_FORMAT', `${where}: ${e.message}`, { cause: e });
  }
}

/**
 * How the CLI ends on an error: one line on stderr, no stack; exit 2 for the caller's mistakes
 * (usage, bad input), 1 for internal failures. MOBILENET_DEBUG=1 prints the stack too.
 */
import { MobileNetError } from '../index.js';

export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 1;

/** Thrown by argument parsing for a bad flag value (always a usage error). */
export class UsageError extends Error {}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof MobileNetError) return error.isUserError ? EXIT_USAGE : EXIT_INTERNAL;
  return EXIT_INTERNAL;
}

export function reportError(error: unknown, write: (line: string) => void = (l) => process.stderr.write(l)): number {
  const code = exitCodeFor(error);
  const message = error instanceof Error ? error.message : String(error);
  write(`mobilenet: ${code === EXIT_INTERNAL && !(error instanceof MobileNetError) ? 'internal error: ' : ''}${message}\n`);
  if (process.env['MOBILENET_DEBUG'] && error instanceof Error && error.stack) write(`${error.stack}\n`);
  return code;
}

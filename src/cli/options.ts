/**
 * Parsing of option values shared by the CLI commands. Each parser refuses a bad value with a
 * message naming the flag, the value and what is allowed.
 */
import { CONVENTIONS, OUTPUT_STRIDES, type Convention, type ModelOptions } from '../index.js';
import { UsageError } from './errors.js';

export function parseNumber(flag: string, raw: string): number {
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`${flag} must be a number, got '${raw}'`);
  return value;
}

export function parsePositiveNumber(flag: string, raw: string): number {
  const value = parseNumber(flag, raw);
  if (value <= 0) throw new UsageError(`${flag} must be a positive number, got '${raw}'`);
  return value;
}

export function parseNonNegativeNumber(flag: string, raw: string): number {
  const value = parseNumber(flag, raw);
  if (value < 0) throw new UsageError(`${flag} must be ≥ 0, got '${raw}'`);
  return value;
}

export function parseInteger(flag: string, raw: string, min: number): number {
  const value = parseNumber(flag, raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${raw}'`);
  return value;
}

export function parseProbability(flag: string, raw: string): number {
  const value = parseNumber(flag, raw);
  if (value < 0 || value > 1) throw new UsageError(`${flag} must be a probability from 0 to 1, got '${raw}'`);
  return value;
}

/** "a,b,c", each item parsed by `parse` (which names the flag in its errors). */
export function parseList(flag: string, raw: string, parse: (flag: string, raw: string) => number): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new UsageError(`${flag} must be a comma-separated list, got '${raw}'`);
  return parts.map((p) => parse(flag, p));
}

/** "224" or "160x96" (height × width); at least 32 pixels, or 8 for --small-input networks. */
export function parseResolution(raw: string, min = 32): number | { height: number; width: number } {
  const parts = raw.toLowerCase().split(/[x×]/);
  if (parts.length === 1) return parseInteger('--resolution', raw, min);
  if (parts.length === 2) {
    const [h, w] = parts.map((p) => {
      const v = Number(p);
      if (!Number.isInteger(v) || v < min) throw new UsageError(`--resolution must be an integer ≥ ${min} or HxW with both ≥ ${min}, got '${raw}'`);
      return v;
    }) as [number, number];
    return { height: h, width: w };
  }
  throw new UsageError(`--resolution must be an integer ≥ ${min} or HxW, got '${raw}'`);
}

export function parseChoice<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}

/** The model flags shared by summary, predict, bench, …; raw values as commander collects them. */
export interface RawModelFlags {
  alpha?: string;
  resolution?: string;
  classes?: string;
  convention?: string;
  outputStride?: string;
  smallInput?: boolean;
}

export function modelOptionsFromFlags(flags: RawModelFlags): ModelOptions {
  const options: ModelOptions = {};
  if (flags.alpha !== undefined) options.alpha = parsePositiveNumber('--alpha', flags.alpha);
  if (flags.smallInput) options.smallInput = true;
  if (flags.resolution !== undefined) options.resolution = parseResolution(flags.resolution, flags.smallInput ? 8 : 32);
  if (flags.classes !== undefined) options.classes = parseInteger('--classes', flags.classes, 1);
  if (flags.convention !== undefined) options.convention = parseChoice<Convention>('--convention', flags.convention, CONVENTIONS);
  if (flags.outputStride !== undefined) {
    const allowed = OUTPUT_STRIDES.map(String);
    options.outputStride = Number(parseChoice('--output-stride', flags.outputStride, allowed)) as 8 | 16 | 32;
  }
  return options;
}

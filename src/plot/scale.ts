/**
 * Axis arithmetic for plots: "nice" tick steps (1, 2 or 5 times a power of ten), linear and
 * logarithmic axes that fit their tick labels into the pixels available, and number formatting for
 * tick and value labels. Pure functions; no SVG here.
 */

export interface AxisTick {
  readonly value: number;
  readonly label: string;
}

export interface Axis {
  /** Data values at the two ends of the axis. */
  readonly domain: readonly [number, number];
  readonly log: boolean;
  /** Labelled ticks, in increasing order. */
  readonly ticks: readonly AxisTick[];
  /** Unlabelled grid positions (log axes: 2…9 × each power of ten). */
  readonly minor: readonly number[];
}

const MINUS = '\u2212';

/** A tick step m × 10^e with m ∈ {1, 2, 5}, kept as integers so tick values come out exact. */
interface Step {
  readonly m: 1 | 2 | 5;
  readonly e: number;
}

function scaled(k: number, e: number): number {
  return (e >= 0 ? k * 10 ** e : k / 10 ** -e) + 0; // + 0 turns -0 into 0
}

function stepValue(step: Step): number {
  return scaled(step.m, step.e);
}

/** The 1–2–5 step nearest (on a log scale) to `raw` (> 0). */
function niceStepFor(raw: number): Step {
  const e = Math.floor(Math.log10(raw));
  const f = raw / 10 ** e;
  if (f < 1.5) return { m: 1, e };
  if (f < 3) return { m: 2, e };
  if (f < 7) return { m: 5, e };
  return { m: 1, e: e + 1 };
}

/** The 1–2–5 step nearest to `raw` as a number: niceStep(0.17) = 0.2, niceStep(380) = 500. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) throw new RangeError(`niceStep: expected a positive finite step, got ${raw}`);
  return stepValue(niceStepFor(raw));
}

function negativeSign(text: string): string {
  return text.startsWith('-') ? MINUS + text.slice(1) : text;
}

const SI_SUFFIXES: ReadonlyArray<readonly [number, string]> = [
  [12, 'T'],
  [9, 'G'],
  [6, 'M'],
  [3, 'k'],
];

/** Labels for ticks that are integer multiples of `step`: as many decimals as the step needs
 * with trailing zeros dropped (0, 0.5, 1, 1.5), k/M/G/T suffixes when the largest tick reaches
 * 100 000, a true minus sign, no "-0". */
function formatLinearTicks(values: readonly number[], step: Step): string[] {
  const largest = Math.max(0, ...values.map(Math.abs));
  let unitExponent = 0;
  let suffix = '';
  if (largest >= 1e5) {
    for (const [exponent, s] of SI_SUFFIXES) {
      if (largest >= 10 ** exponent) {
        unitExponent = exponent;
        suffix = s;
        break;
      }
    }
  }
  const decimals = Math.max(0, unitExponent - step.e);
  return values.map((v) => {
    const text = trimZeros((v / 10 ** unitExponent).toFixed(decimals));
    if (Number(text) === 0) return '0';
    return negativeSign(text) + suffix;
  });
}

/** Compact label for a value (bar tops, colour bars): three significant digits, k/M/G/T from
 * 10 000 up, plain integers below that, exponent form under 0.001. formatNumber(1234) = "1234",
 * formatNumber(56_900_000) = "56.9M", formatNumber(0.91234) = "0.912". */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : `${MINUS}∞`;
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const sign = value < 0 ? MINUS : '';
  if (abs >= 1e4) {
    for (const [exponent, s] of SI_SUFFIXES) {
      if (abs >= 10 ** exponent || exponent === 3) {
        return sign + trimZeros((abs / 10 ** exponent).toPrecision(3)) + s;
      }
    }
  }
  if (Number.isInteger(value)) return sign + String(abs);
  if (abs < 1e-3) {
    const [mantissa, exponent] = abs.toExponential(2).split('e') as [string, string];
    return `${sign}${trimZeros(mantissa)}e${negativeSign(exponent.replace('+', ''))}`;
  }
  return sign + trimZeros(abs.toPrecision(3));
}

function trimZeros(text: string): string {
  if (text.includes('e')) return text; // toPrecision may answer "1.00e+5" for huge values
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

export interface LinearAxisOptions {
  /** Smallest and largest finite data values; omit (or pass non-finite values) when there is no data. */
  readonly dataMin?: number;
  readonly dataMax?: number;
  /** A range chosen by the caller: used as the domain exactly. */
  readonly fixed?: readonly [number, number];
  /** Axis length in pixels. */
  readonly length: number;
  /** Pixels needed between neighbouring ticks for these labels to stay apart. */
  readonly minSpacing: (labels: readonly string[]) => number;
  /** Only integer ticks (epochs, counts). */
  readonly integer?: boolean;
}

/** A linear axis: domain widened to whole steps (unless fixed) and the most ticks whose labels fit. */
export function linearAxis(options: LinearAxisOptions): Axis {
  let lo: number;
  let hi: number;
  if (options.fixed) {
    [lo, hi] = options.fixed;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new RangeError(`axis range must be two finite numbers [min, max] with min < max, got [${lo}, ${hi}]`);
    }
  } else if (options.dataMin === undefined || options.dataMax === undefined || !Number.isFinite(options.dataMin) || !Number.isFinite(options.dataMax)) {
    lo = 0;
    hi = 1;
  } else {
    lo = options.dataMin;
    hi = options.dataMax;
    if (lo === hi) {
      const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
      lo -= pad;
      hi += pad;
    }
  }
  const fixed = options.fixed !== undefined;
  let best: Axis | undefined;
  for (let target = Math.max(1, Math.floor(options.length / 30)); target >= 1; target--) {
    let step = niceStepFor((hi - lo) / target);
    if (options.integer && step.e < 0) step = { m: 1, e: 0 };
    const size = stepValue(step);
    // Not fixed: the domain grows to whole steps, so both ends carry a tick.
    const first = fixed ? Math.ceil(lo / size - 1e-9) : Math.floor(lo / size + 1e-9);
    const last = fixed ? Math.floor(hi / size + 1e-9) : Math.ceil(hi / size - 1e-9);
    const domain: [number, number] = fixed ? [lo, hi] : [scaled(first * step.m, step.e), scaled(last * step.m, step.e)];
    const values: number[] = [];
    for (let i = first; i <= last; i++) values.push(scaled(i * step.m, step.e));
    const labels = formatLinearTicks(values, step);
    const axis: Axis = { domain, log: false, ticks: values.map((value, i) => ({ value, label: labels[i]! })), minor: [] };
    best = axis;
    const spacing = (options.length * size) / (domain[1] - domain[0]);
    if (spacing >= options.minSpacing(labels)) return axis;
  }
  return best!;
}

/** Label for m × 10^k on a log axis: "10", "200", "0.05", "100k", "2M", "1e−5". With `si`
 * (an axis that reaches 100 000) thousands are written "1k", "20k" too, for consistency. */
function formatLogTick(m: number, k: number, si: boolean): string {
  const value = scaled(m, k);
  if (k >= 5 || (si && k >= 3)) {
    for (const [exponent, s] of SI_SUFFIXES) {
      if (k >= exponent) return `${scaled(m, k - exponent)}${s}`;
    }
  }
  if (k >= 0) return String(value);
  if (k >= -4) return value.toFixed(-k);
  return `${m}e${MINUS}${-k}`;
}

export interface LogAxisOptions {
  /** Smallest and largest positive data values (non-positive values cannot be shown). */
  readonly dataMin?: number;
  readonly dataMax?: number;
  readonly fixed?: readonly [number, number];
  readonly length: number;
  readonly minSpacing: (labels: readonly string[]) => number;
  /** 'decade': the domain runs from one power of ten to another (bars); 'pad': data range plus a
   * small margin (scatter plots). */
  readonly snap: 'decade' | 'pad';
}

/** A base-10 log axis: labels on powers of ten, plus 2× and 5× when that leaves too few labels. */
export function logAxis(options: LogAxisOptions): Axis {
  let lo: number;
  let hi: number;
  if (options.fixed) {
    [lo, hi] = options.fixed;
    if (!(lo > 0) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new RangeError(`log axis range must be [min, max] with 0 < min < max, got [${lo}, ${hi}]`);
    }
  } else {
    const min = options.dataMin;
    const max = options.dataMax;
    if (min === undefined || max === undefined || !(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) {
      lo = 1;
      hi = 10;
    } else if (options.snap === 'decade') {
      lo = 10 ** Math.floor(Math.log10(min) + 1e-9);
      hi = 10 ** Math.ceil(Math.log10(max) - 1e-9);
      if (hi <= lo) hi = lo * 10;
    } else {
      const span = Math.max(Math.log10(max) - Math.log10(min), 0.3);
      const pad = span * 0.06;
      lo = 10 ** (Math.log10(min) - pad - (span === 0.3 ? 0.15 : 0));
      hi = 10 ** (Math.log10(max) + pad + (span === 0.3 ? 0.15 : 0));
    }
  }
  const lo10 = Math.log10(lo);
  const hi10 = Math.log10(hi);
  const inside = (v: number): boolean => Math.log10(v) >= lo10 - 1e-9 && Math.log10(v) <= hi10 + 1e-9;
  const si = hi >= 1e5;
  const candidates = (multipliers: readonly number[]): AxisTick[] => {
    const ticks: AxisTick[] = [];
    for (let k = Math.floor(lo10) - 1; k <= Math.ceil(hi10); k++) {
      for (const m of multipliers) {
        const value = scaled(m, k);
        if (inside(value)) ticks.push({ value, label: formatLogTick(m, k, si) });
      }
    }
    return ticks;
  };
  const pixelsPerDecade = options.length / (hi10 - lo10);
  const fits = (ticks: readonly AxisTick[]): boolean => {
    if (ticks.length < 2) return true;
    const need = options.minSpacing(ticks.map((t) => t.label));
    for (let i = 1; i < ticks.length; i++) {
      if ((Math.log10(ticks[i]!.value) - Math.log10(ticks[i - 1]!.value)) * pixelsPerDecade < need) return false;
    }
    return true;
  };
  let ticks = candidates([1]);
  if (ticks.length < 3) {
    for (const multipliers of [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]] as const) {
      const denser = candidates(multipliers);
      if (ticks.length >= 3 || !fits(denser)) break;
      ticks = denser;
    }
  }
  // Too many decades for the labels: keep every 2nd, 3rd, … power of ten.
  for (let every = 2; !fits(ticks) && ticks.length > 2; every++) {
    const decades = candidates([1]);
    ticks = decades.filter((t) => Math.round(Math.log10(t.value)) % every === 0);
    if (ticks.length <= 2) break;
  }
  const labelled = new Set(ticks.map((t) => t.value));
  const minor: number[] = [];
  if (hi10 - lo10 <= 8) {
    for (const t of candidates([1, 2, 3, 4, 5, 6, 7, 8, 9])) if (!labelled.has(t.value)) minor.push(t.value);
  }
  return { domain: [lo, hi], log: true, ticks, minor };
}

/** Maps data values of `axis` to pixels, `start` ↦ domain[0] and `end` ↦ domain[1]. */
export function axisToPixels(axis: Pick<Axis, 'domain' | 'log'>, start: number, end: number): (value: number) => number {
  if (axis.log) {
    const a = Math.log10(axis.domain[0]);
    const b = Math.log10(axis.domain[1]);
    return (v) => start + ((Math.log10(v) - a) / (b - a)) * (end - start);
  }
  const [a, b] = axis.domain;
  return (v) => start + ((v - a) / (b - a)) * (end - start);
}
